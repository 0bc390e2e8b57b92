//! Stub: being written.

use std::sync::Arc;

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, ErrorKind};

/// A user-supplied mapping from a JSON lines source's names to phiwatch's.
#[derive(Debug, Clone, Default)]
pub struct FieldMapping;

/// An invalid mapping file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid mapping")]
pub struct MappingError;

/// How a mapped time field is written.
#[derive(Debug, Clone, Copy)]
pub enum TimeFormat {
    /// Autodetect.
    Auto,
}

pub(crate) struct JsonLinesDecoder;

impl JsonLinesDecoder {
    pub(crate) fn new(_m: Option<Arc<FieldMapping>>) -> Self {
        JsonLinesDecoder
    }
}

impl Decoder for JsonLinesDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}
