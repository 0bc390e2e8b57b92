//! Web and API access logs: nginx/Apache combined and common, JSON access logs (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct AccessLogDecoder;

impl AccessLogDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        AccessLogDecoder
    }
}

impl Decoder for AccessLogDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

pub(crate) struct AccessJsonDecoder;

impl AccessJsonDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        AccessJsonDecoder
    }
}

impl Decoder for AccessJsonDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level and dotted nested names).
pub(crate) fn detect_json(_has: &dyn Fn(&str) -> bool) -> bool {
    false
}

/// Whether these first non-empty lines of a source are this format.
pub(crate) fn detect_text(_lines: &[&[u8]]) -> bool {
    false
}
