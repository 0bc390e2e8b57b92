//! Microsoft SQL Server audit records (fn_get_audit_file) as CSV or JSON (stub: being written).

use phiwatch_event::{Event, Origin};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct MssqlAuditDecoder;

impl MssqlAuditDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        MssqlAuditDecoder
    }
}

impl Decoder for MssqlAuditDecoder {
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
