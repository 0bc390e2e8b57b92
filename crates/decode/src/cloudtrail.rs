//! Stub: being written.

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, ErrorKind};

pub(crate) struct CloudTrailDecoder;

impl CloudTrailDecoder {
    pub(crate) fn new() -> Self {
        CloudTrailDecoder
    }
}

impl Decoder for CloudTrailDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}
