//! MariaDB `server_audit` text lines:
//! `timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode`.

use phiwatch_event::{keys, Event, Timestamp, Value};

use crate::json;
use crate::sql::{sql_operation, sql_table};
use crate::{DecodeError, ErrorKind};

use super::{
    categorize, push_client_address, push_client_ip, push_status, time_error, Activity, DATASET,
    FORMAT, MODULE,
};

/// Column names of a `server_audit` file record, as documented.
const MARIADB_COLUMNS: [&str; 10] = [
    "timestamp",
    "serverhost",
    "username",
    "host",
    "connectionid",
    "queryid",
    "operation",
    "database",
    "object",
    "retcode",
];

/// `server_audit` operations (`server_audit_events` CONNECT, QUERY, TABLE, …).
const MARIADB_OPERATIONS: &[&str] = &[
    "CONNECT",
    "DISCONNECT",
    "FAILED_CONNECT",
    "CHANGEUSER",
    "PROXY_CONNECT",
    "QUERY",
    "QUERY_DDL",
    "QUERY_DML",
    "QUERY_DML_NO_SELECT",
    "QUERY_DCL",
    "READ",
    "WRITE",
    "CREATE",
    "ALTER",
    "DROP",
    "RENAME",
];

/// The ten fields of a record: the first eight have no commas; `retcode`
/// (digits or empty) follows the last comma; `object` is what lies between.
pub(super) fn split_mariadb(line: &[u8]) -> Option<[&[u8]; 10]> {
    let mut out: [&[u8]; 10] = [b""; 10];
    let mut rest = line;
    for slot in out.iter_mut().take(8) {
        let i = memchr::memchr(b',', rest)?;
        *slot = &rest[..i];
        rest = &rest[i + 1..];
    }
    let last = memchr::memrchr(b',', rest)?;
    out[8] = &rest[..last];
    out[9] = &rest[last + 1..];
    let op_ok = std::str::from_utf8(out[6]).is_ok_and(|op| MARIADB_OPERATIONS.contains(&op));
    let retcode_ok = out[9].iter().all(|b| b.is_ascii_digit() || *b == b'-');
    (op_ok && retcode_ok).then_some(out)
}

/// `20230305 10:01:02` (server local time, read as UTC) or epoch
/// microseconds (Amazon RDS / Aurora).
pub(super) fn mariadb_time(s: &[u8]) -> Option<Timestamp> {
    if s.len() == 17 && s[8] == b' ' {
        let mut iso = [0u8; 19];
        iso[..4].copy_from_slice(&s[..4]);
        iso[4] = b'-';
        iso[5..7].copy_from_slice(&s[4..6]);
        iso[7] = b'-';
        iso[8..10].copy_from_slice(&s[6..8]);
        iso[10] = b' ';
        iso[11..].copy_from_slice(&s[9..]);
        return Timestamp::parse_rfc3339(&iso);
    }
    if (13..=17).contains(&s.len()) && s.iter().all(u8::is_ascii_digit) {
        let micros: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
        return micros.checked_mul(1000).map(Timestamp::from_nanos);
    }
    None
}

pub(super) fn mariadb(line: &[u8]) -> Result<Event, DecodeError> {
    let text = std::str::from_utf8(line).map_err(crate::utf8_error)?;
    let Some(f) = split_mariadb(line) else {
        let commas = memchr::memchr_iter(b',', line).count();
        let reason = if commas < 9 {
            format!("expected 10 comma-separated fields, found {}", commas + 1)
        } else {
            "field `operation`: expected a server_audit operation (CONNECT, QUERY, READ, …) \
             and `retcode` a number"
                .to_owned()
        };
        return Err(DecodeError::new(ErrorKind::Schema, reason));
    };
    let t = mariadb_time(f[0])
        .ok_or_else(|| time_error("timestamp", "`YYYYMMDD hh:mm:ss` or epoch microseconds"))?;
    let mut ev = Event::with_capacity(t, 32, text.len() + 64);
    json::tag(&mut ev, MODULE, DATASET, FORMAT);
    ev.push_norm(keys::DB_SYSTEM, Value::Static("mariadb"));
    let mut values = [Value::Null; 10];
    for (i, (name, raw)) in MARIADB_COLUMNS.iter().zip(f).enumerate() {
        // `f` slices `text`, which is valid UTF-8, at ASCII commas.
        let s = std::str::from_utf8(raw).unwrap_or("");
        let v = match i {
            4 | 5 | 9 if !s.is_empty() => Value::Int(
                s.parse()
                    .map_err(|_| json::type_error(name, "an integer"))?,
            ),
            8 => match s.strip_prefix('\'') {
                Some(inner) => {
                    let inner = inner.strip_suffix('\'').ok_or_else(|| {
                        DecodeError::new(
                            ErrorKind::Syntax,
                            "field `object`: unterminated quoted statement",
                        )
                    })?;
                    let unescaped = unescape(inner);
                    ev.store_str(&unescaped)
                }
                None => ev.store_str(s),
            },
            _ => ev.store_str(s),
        };
        values[i] = v;
        if !s.is_empty() {
            let key = ev.name(name);
            ev.push_raw(key, v);
        }
    }
    let op = std::str::from_utf8(f[6]).unwrap_or("");
    let action = op.to_ascii_lowercase();
    ev.push_norm_str(keys::EVENT_ACTION, &action);
    // The `server_audit_events` class the operation belongs to.
    let class = match op {
        "CONNECT" | "DISCONNECT" | "FAILED_CONNECT" | "CHANGEUSER" | "PROXY_CONNECT" => "CONNECT",
        "READ" | "WRITE" | "CREATE" | "ALTER" | "DROP" | "RENAME" => "TABLE",
        _ => "QUERY",
    };
    ev.push_norm(keys::DB_AUDIT_CLASS, Value::Static(class));
    if !f[1].is_empty() {
        ev.push_norm(keys::HOST_NAME, values[1]);
    }
    if !f[2].is_empty() {
        ev.push_norm(keys::DB_USER, values[2]);
        ev.push_norm(keys::USER_NAME, values[2]);
    }
    mariadb_host(&mut ev, std::str::from_utf8(f[3]).unwrap_or(""), values[3]);
    if let Value::Int(_) = values[4] {
        ev.push_norm(keys::DB_SESSION_ID, values[4]);
    }
    if !f[7].is_empty() {
        ev.push_norm(keys::DB_NAME, values[7]);
    }
    let object = ev.view(values[8]).as_str().unwrap_or("").to_owned();
    if !object.is_empty() {
        if class == "QUERY" {
            ev.push_norm(keys::DB_STATEMENT, values[8]);
            if let Some(op) = sql_operation(&object) {
                ev.push_norm(keys::DB_OPERATION, Value::Static(op));
            }
            if let Some(table) = sql_table(&object) {
                ev.push_norm_str(keys::DB_SQL_TABLE, &table);
            }
        } else if class == "TABLE" {
            ev.push_norm(keys::DB_SQL_TABLE, values[8]);
        }
    }
    match values[9] {
        Value::Int(code) => push_status(&mut ev, code),
        _ if op == "FAILED_CONNECT" => {
            ev.push_norm(keys::EVENT_OUTCOME, Value::Static("failure"));
        }
        _ => {}
    }
    let activity = match op {
        "DISCONNECT" => Activity::Logout,
        _ if class == "CONNECT" => Activity::Login,
        "READ" => Activity::Read,
        _ if class == "TABLE" => Activity::Change,
        _ => Activity::Statement,
    };
    categorize(&mut ev, activity);
    Ok(ev)
}

/// `host` is an address, a host name, or (MariaDB 12) `address:port`.
fn mariadb_host(ev: &mut Event, host: &str, stored: Value) {
    if host.is_empty() {
        return;
    }
    if let Ok(ip) = host.parse() {
        push_client_ip(ev, ip);
        return;
    }
    if let Some((addr, port)) = host.rsplit_once(':') {
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        if let (Ok(ip), Ok(port)) = (addr.parse(), port.parse::<u16>()) {
            push_client_ip(ev, ip);
            ev.push_norm(keys::CLIENT_PORT, Value::Int(i64::from(port)));
            ev.push_norm(keys::SOURCE_PORT, Value::Int(i64::from(port)));
            return;
        }
    }
    push_client_address(ev, stored);
}

/// Undoes `server_audit`'s escaping of a quoted statement (`\'`, `\\`,
/// `\n`, `\r`, `\t`); an unknown escape keeps its backslash.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(c @ ('\'' | '\\' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_escapes() {
        assert_eq!(unescape(r"a\'b\\c\nd\q"), "a'b\\c\nd\\q");
    }
}
