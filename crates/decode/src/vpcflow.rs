//! Stub: being written.

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, ErrorKind};

pub(crate) struct VpcFlowDecoder;

impl VpcFlowDecoder {
    pub(crate) fn new(_fields: Option<&str>) -> Result<Self, DecodeError> {
        Ok(VpcFlowDecoder)
    }
}

impl Decoder for VpcFlowDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}
