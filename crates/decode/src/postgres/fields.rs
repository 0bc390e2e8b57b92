//! Raw field names of both formats (csvlog columns, pgAudit fields) and the
//! small parsers of field values (`host(port)`, `key=value`, session times).

use std::sync::LazyLock;

use phiwatch_event::{Event, Key, Name, Value};

use crate::DecodeError;

use super::some;

/// Raw field names (csvlog's columns, then pgAudit's fields), indexed by [`R`].
pub(super) const RAW: &[&str] = &[
    "log_time",
    "user_name",
    "database_name",
    "process_id",
    "connection_from",
    "remote_host",
    "local_address",
    "session_id",
    "session_line_num",
    "command_tag",
    "session_start_time",
    "virtual_transaction_id",
    "transaction_id",
    "error_severity",
    "sql_state_code",
    "detail",
    "hint",
    "internal_query",
    "internal_query_pos",
    "context",
    "query",
    "query_pos",
    "location",
    "application_name",
    "backend_type",
    "leader_pid",
    "query_id",
    "audit_type",
    "statement_id",
    "substatement_id",
    "class",
    "command",
    "object_type",
    "object_name",
    "statement",
    "parameter",
    "rows",
];

/// A raw field name: an index into [`RAW`].
#[derive(Clone, Copy)]
pub(super) enum R {
    LogTime,
    UserName,
    DatabaseName,
    ProcessId,
    ConnectionFrom,
    RemoteHost,
    LocalAddress,
    SessionId,
    SessionLineNum,
    CommandTag,
    SessionStartTime,
    VirtualTransactionId,
    TransactionId,
    ErrorSeverity,
    SqlStateCode,
    Detail,
    Hint,
    InternalQuery,
    InternalQueryPos,
    Context,
    Query,
    QueryPos,
    Location,
    ApplicationName,
    BackendType,
    LeaderPid,
    QueryId,
    AuditType,
    StatementId,
    SubstatementId,
    Class,
    Command,
    ObjectType,
    ObjectName,
    Statement,
    Parameter,
    Rows,
}

/// The registered keys of [`RAW`], looked up once.
static RAW_KEYS: LazyLock<Vec<Option<Key>>> =
    LazyLock::new(|| RAW.iter().map(|n| Key::lookup(n)).collect());

impl R {
    fn text(self) -> &'static str {
        RAW.get(self as usize).copied().unwrap_or("?")
    }

    /// The field name in `ev` (always a registered key in practice).
    pub(super) fn name(self, ev: &mut Event) -> Name {
        match RAW_KEYS.get(self as usize).copied().flatten() {
            Some(k) => Name::Known(k),
            None => ev.name(self.text()),
        }
    }
}

pub(super) fn push_str(ev: &mut Event, name: R, s: Option<&str>) -> Option<Value> {
    let s = s?;
    let v = ev.store_str(s);
    let n = name.name(ev);
    ev.push_raw(n, v);
    Some(v)
}

pub(super) fn push_int(
    ev: &mut Event,
    name: R,
    s: Option<&str>,
) -> Result<Option<i64>, DecodeError> {
    let Some(s) = s else { return Ok(None) };
    let i: i64 = s
        .parse()
        .map_err(|_| crate::json::type_error(name.text(), "an integer"))?;
    let n = name.name(ev);
    ev.push_raw(n, Value::Int(i));
    Ok(Some(i))
}

/// Splits a client address: csvlog `host:port`, `%r` `host(port)`, or a
/// bare host (`%h`, `[local]`).
pub(super) fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(open) = s
        .strip_suffix(')')
        .and_then(|t| t.rfind('(').map(|i| (t, i)))
    {
        let (t, i) = open;
        return (&t[..i], Some(&t[i + 1..]));
    }
    if s.starts_with('[') || s.parse::<std::net::IpAddr>().is_ok() {
        return (s, None);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => (h, Some(p)),
        _ => (s, None),
    }
}

/// `key=value` in a connection line; the value ends at the next of `ends`
/// or at the end.
pub(super) fn kv<'a>(s: &'a str, key: &str, ends: &[&str]) -> Option<&'a str> {
    let start = s.find(key)? + key.len();
    let rest = &s[start..];
    let end = ends
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    some(&rest[..end])
}

/// `h:mm:ss.fff` as nanoseconds.
pub(super) fn session_time(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let whole: i64 = whole.parse().ok()?;
    let mut nanos = 0i64;
    let mut scale = 100_000_000;
    for c in frac.bytes().take(9) {
        if !c.is_ascii_digit() {
            return None;
        }
        nanos += i64::from(c - b'0') * scale;
        scale /= 10;
    }
    ((h * 3600 + m * 60 + whole) * 1_000_000_000).checked_add(nanos)
}
