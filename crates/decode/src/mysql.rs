//! MySQL / MariaDB / Percona audit plugin JSON (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct MysqlAuditDecoder;

impl MysqlAuditDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        MysqlAuditDecoder
    }
}

impl Decoder for MysqlAuditDecoder {
    fn decode(&mut self, _record: &[u8], _origin: Origin) -> Result<Option<Event>, DecodeError> {
        Err(DecodeError::new(ErrorKind::Schema, "not implemented"))
    }
}

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level and dotted nested names).
pub(crate) fn detect_json(_has: &dyn Fn(&str) -> bool) -> bool {
    false
}

/// Whether these first non-empty lines are a MariaDB `server_audit` CSV log.
pub(crate) fn detect_text(_lines: &[&[u8]]) -> bool {
    false
}
