//! Linux auth.log / secure: sshd, sudo, su, PAM (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct AuthLogDecoder;

impl AuthLogDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        AuthLogDecoder
    }
}

impl Decoder for AuthLogDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

/// Whether these first non-empty lines of a source are this format.
pub(crate) fn detect_text(_lines: &[&[u8]]) -> bool {
    false
}
