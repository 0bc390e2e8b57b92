//! MySQL-family database audit logs, three shapes through one decoder:
//!
//! - **MySQL Enterprise Audit JSON** (`audit_log_format=JSON`, also Percona's
//!   *audit log filter*): objects with `timestamp` (`2019-10-03 13:07:15`,
//!   UTC), `id`, `class`, `event`, `connection_id`, `account`, `login` and a
//!   class-specific object (`connection_data`, `general_data`,
//!   `table_access_data`, `query_data`, `query_statistics`). The ingest layer
//!   frames a JSON array into one record per element.
//! - **Percona Audit Log Plugin JSON**: `{"audit_record":{"name":"Query",…}}`.
//! - **MariaDB `server_audit`** text lines:
//!   `timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode`
//!   where `object` is a quoted statement (backslash escapes, may hold
//!   commas) for `QUERY` events and a table name for table events.
//!
//! Each record is told apart by its first byte (`{` is JSON). Raw fields keep
//! the sources' names (flattened with `.` for JSON, the documented column
//! names for MariaDB); `db.*`, `client.*`, `event.*` and
//! `phiwatch.db.session_id` are added. The statement's verb and
//! table come from [`crate::sql`], shared with the SQL Server decoder.

mod enterprise;
mod mariadb;
mod percona;

use phiwatch_event::{keys, Event, Origin, Value, ValueRef};

use crate::json::{self, Conv};
use crate::sql::{sql_operation, sql_table, verb};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use enterprise::enterprise;
use mariadb::{mariadb, mariadb_time, split_mariadb};
use percona::percona;

const MODULE: &str = "mysql";
const DATASET: &str = "mysql.audit";
const FORMAT: &str = "mysql-audit";

pub(crate) struct MysqlAuditDecoder;

impl MysqlAuditDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        MysqlAuditDecoder
    }
}

impl Decoder for MysqlAuditDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let rec = record.trim_ascii();
        // The brackets and separators of a JSON array read line by line
        // (Percona's JSONL keeps them) carry no record.
        if rec.is_empty() || matches!(rec, b"[" | b"]" | b"," | b"[]") {
            return Ok(None);
        }
        let mut ev = if rec.first() == Some(&b'{') {
            let rec = rec.strip_suffix(b",").unwrap_or(rec);
            let Some(mut ev) = json::flatten_record(rec, 48, 96)? else {
                return Ok(None);
            };
            if ev.fields().any(|f| f.name.starts_with("audit_record.")) {
                percona(&mut ev)?;
            } else {
                enterprise(&mut ev)?;
            }
            ev
        } else {
            mariadb(rec)?
        };
        ev.set_origin(origin);
        Ok(Some(ev))
    }
}

/// Whether a JSON object with these keys is this format.
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    has("audit_record")
        || (has("timestamp") || has("time"))
            && has("class")
            && has("id")
            && (has("connection_id") || has("server_id"))
}

/// Whether these first non-empty lines are a MariaDB `server_audit` log:
/// the first line is a well-formed record.
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    lines
        .first()
        .is_some_and(|l| split_mariadb(l).is_some_and(|f| mariadb_time(f[0]).is_some()))
}

// ---------------------------------------------------------------------------
// Shared helpers

fn time_error(field: &str, expected: &str) -> DecodeError {
    DecodeError::new(
        ErrorKind::Time,
        format!("field `{field}`: expected {expected}"),
    )
}

/// The raw string field `name` when present and not empty.
fn non_empty<'a>(ev: &'a Event, name: &str) -> Option<&'a str> {
    match ev.get_raw(name) {
        Some(ValueRef::Str(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

fn first_str<'a>(ev: &'a Event, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| non_empty(ev, n))
}

/// A MySQL `user[priv_user] @ host [ip]` string, split.
struct UserHost {
    user: String,
    host: Option<String>,
    ip: Option<String>,
}

fn parse_user_host(s: &str) -> UserHost {
    let (left, right) = match s.split_once(" @ ") {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    let user = left.split('[').next().unwrap_or(left).trim().to_owned();
    let (mut host, mut ip) = (None, None);
    if let Some(r) = right {
        let (h, rest) = r.split_once('[').unwrap_or((r, ""));
        let h = h.trim();
        if !h.is_empty() {
            host = Some(h.to_owned());
        }
        let i = rest.split(']').next().unwrap_or("").trim();
        if !i.is_empty() {
            ip = Some(i.to_owned());
        }
    }
    UserHost { user, host, ip }
}

fn push_user(ev: &mut Event, user: &str) {
    if user.is_empty() {
        return;
    }
    let v = ev.store_str(user);
    ev.push_norm(keys::DB_USER, v);
    ev.push_norm(keys::USER_NAME, v);
}

/// `client.ip` from an address, else `client.address` from a host name.
fn push_client(ev: &mut Event, ip: Option<&str>, host: Option<&str>) {
    if let Some(ip) = ip.and_then(|s| s.parse().ok()) {
        push_client_ip(ev, ip);
        return;
    }
    if let Some(h) = host.filter(|h| !h.is_empty() && *h != "%") {
        if let Ok(ip) = h.parse() {
            push_client_ip(ev, ip);
        } else {
            let v = ev.store_str(h);
            push_client_address(ev, v);
        }
    }
}

/// `db.statement`, `db.operation` and `db.sql.table` from the statement in
/// raw field `stmt` (when any), the source's command class, and raw table
/// fields that win over parsing.
fn statement_fields(ev: &mut Event, stmt: Option<&str>, command: Option<&str>, tables: &[&str]) {
    let text = stmt.and_then(|f| non_empty(ev, f)).map(str::to_owned);
    if let Some(f) = stmt {
        json::alias(ev, f, keys::DB_STATEMENT, Conv::Same);
    }
    let op = text
        .as_deref()
        .and_then(sql_operation)
        .or_else(|| command.and_then(command_operation));
    if let Some(op) = op {
        ev.push_norm(keys::DB_OPERATION, Value::Static(op));
    }
    if let Some(t) = tables.iter().find(|t| non_empty(ev, t).is_some()) {
        json::alias(ev, t, keys::DB_SQL_TABLE, Conv::Same);
    } else if let Some(table) = text.as_deref().and_then(sql_table) {
        ev.push_norm_str(keys::DB_SQL_TABLE, &table);
    }
}

/// What kind of activity a record is, for `event.category` and `event.type`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Activity {
    /// A connection or login attempt.
    Login,
    /// A disconnection or logout.
    Logout,
    /// A read of table data.
    Read,
    /// A change to data, schema or privileges.
    Change,
    /// Anything else: judged by `db.operation` when there is one.
    Statement,
}

/// Adds `event.kind`, `event.category` and `event.type` (the vocabulary of
/// the PostgreSQL decoder: authentication/start, session/end,
/// database/access|change|info).
pub(crate) fn categorize(ev: &mut Event, activity: Activity) {
    let activity = match activity {
        Activity::Statement => match ev.get(keys::DB_OPERATION).and_then(|v| v.as_str()) {
            Some("SELECT" | "SHOW" | "DESCRIBE" | "EXPLAIN" | "TABLE" | "VALUES" | "RECEIVE") => {
                Activity::Read
            }
            Some(
                "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "MERGE" | "UPSERT" | "CREATE"
                | "ALTER" | "DROP" | "TRUNCATE" | "RENAME" | "GRANT" | "REVOKE" | "DENY" | "LOAD"
                | "COPY" | "BULK" | "RESTORE",
            ) => Activity::Change,
            _ => Activity::Statement,
        },
        other => other,
    };
    let (category, etype) = match activity {
        Activity::Login => ("authentication", "start"),
        Activity::Logout => ("session", "end"),
        Activity::Read => ("database", "access"),
        Activity::Change => ("database", "change"),
        Activity::Statement => ("database", "info"),
    };
    ev.push_norm(keys::EVENT_KIND, Value::Static("event"));
    ev.push_norm(keys::EVENT_CATEGORY, Value::Static(category));
    ev.push_norm(keys::EVENT_TYPE, Value::Static(etype));
}

/// `client.ip` and `source.ip`.
pub(crate) fn push_client_ip(ev: &mut Event, ip: std::net::IpAddr) {
    ev.push_norm(keys::CLIENT_IP, Value::Ip(ip));
    ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
}

/// `client.address` and `source.address` (a host name).
pub(crate) fn push_client_address(ev: &mut Event, v: Value) {
    ev.push_norm(keys::CLIENT_ADDRESS, v);
    ev.push_norm(keys::SOURCE_ADDRESS, v);
}

/// `select`, `insert_select`, `show_variables` → `SELECT`, `INSERT`, `SHOW`.
fn command_operation(cmd: &str) -> Option<&'static str> {
    let head = cmd.split(['_', ' ']).next().unwrap_or(cmd);
    verb(head)
}

/// `event.outcome` and `error.code` from a MySQL status / return code.
fn push_status(ev: &mut Event, code: i64) {
    if code == 0 {
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static("success"));
    } else {
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static("failure"));
        ev.push_norm_str(keys::ERROR_CODE, &code.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_host_strings() {
        let u = parse_user_host("root[root] @ localhost []");
        assert_eq!(
            (u.user.as_str(), u.host.as_deref(), u.ip.as_deref()),
            ("root", Some("localhost"), None)
        );
        let u = parse_user_host("vendor[vendor] @  [203.0.113.9]");
        assert_eq!(
            (u.user.as_str(), u.host.as_deref(), u.ip.as_deref()),
            ("vendor", None, Some("203.0.113.9"))
        );
        assert_eq!(parse_user_host("alice").user, "alice");
    }
}
