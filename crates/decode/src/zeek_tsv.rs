//! Stub: being written.

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, ErrorKind};

pub(crate) struct ZeekTsvDecoder;

impl ZeekTsvDecoder {
    pub(crate) fn new() -> Self {
        ZeekTsvDecoder
    }
}

impl Decoder for ZeekTsvDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}
