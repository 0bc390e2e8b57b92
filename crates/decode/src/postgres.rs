//! PostgreSQL server logs with pgAudit (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct PostgresLogDecoder;

impl PostgresLogDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Result<Self, DecodeError> {
        Ok(PostgresLogDecoder)
    }
}

impl Decoder for PostgresLogDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

pub(crate) struct PostgresCsvDecoder;

impl PostgresCsvDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        PostgresCsvDecoder
    }
}

impl Decoder for PostgresCsvDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

/// Whether these first non-empty lines are a PostgreSQL stderr log.
pub(crate) fn detect_text(_lines: &[&[u8]]) -> bool {
    false
}

/// Whether these first non-empty lines are a PostgreSQL csvlog.
pub(crate) fn detect_csv(_lines: &[&[u8]]) -> bool {
    false
}
