//! Syslog RFC 3164 / RFC 5424 with CEF and LEEF payloads (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct SyslogDecoder;

impl SyslogDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        SyslogDecoder
    }
}

impl Decoder for SyslogDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

/// Whether these first non-empty lines of a source are this format.
pub(crate) fn detect_text(_lines: &[&[u8]]) -> bool {
    false
}
