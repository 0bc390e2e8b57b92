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
//! `phiwatch.db.session_id` are added. The SQL helpers at the end
//! ([`sql_operation`], [`sql_table`]) are shared with the SQL Server decoder.

use phiwatch_event::{keys, Event, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, copy_checked, Conv};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

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
// MySQL Enterprise Audit JSON

fn enterprise(ev: &mut Event) -> Result<(), DecodeError> {
    let t = match ev.get_raw("timestamp") {
        Some(ValueRef::Str(s)) => Timestamp::parse_rfc3339(s.as_bytes())
            .ok_or_else(|| time_error("timestamp", "a `YYYY-MM-DD hh:mm:ss` time"))?,
        None | Some(ValueRef::Null) => match ev.get_raw("time") {
            // `audit_log_format_unix_timestamp` adds epoch seconds.
            Some(v) => v
                .as_i64()
                .and_then(Timestamp::from_secs)
                .ok_or_else(|| time_error("time", "epoch seconds"))?,
            None => {
                return Err(DecodeError::new(
                    ErrorKind::Time,
                    "missing time: neither `timestamp` nor `time` is present",
                ))
            }
        },
        Some(_) => return Err(time_error("timestamp", "a time string")),
    };
    if ev.get_raw("class").is_none() {
        return Err(DecodeError::new(
            ErrorKind::Schema,
            "missing field `class` (not a MySQL audit record)",
        ));
    }
    ev.set_time(t);
    json::tag(ev, MODULE, DATASET, FORMAT);
    ev.push_norm(keys::DB_SYSTEM, Value::Static("mysql"));
    json::alias(ev, "class", keys::DB_AUDIT_CLASS, Conv::Lower);
    json::alias(ev, "event", keys::EVENT_ACTION, Conv::Lower);
    copy_checked(ev, "connection_id", keys::DB_SESSION_ID, Conv::Int)?;

    // Account and client: `account` is the authenticated account, `login`
    // what the client sent; the audit log filter writes `user[priv] @ host [ip]`.
    let user = first_str(ev, &["account.user", "login.user"]).map(parse_user_host);
    if let Some(uh) = &user {
        push_user(ev, &uh.user);
    }
    let ip = first_str(ev, &["login.ip"]).map(str::to_owned);
    let ip = ip.or_else(|| user.as_ref().and_then(|u| u.ip.clone()));
    let host = user.and_then(|u| u.host);
    push_client(ev, ip.as_deref(), host.as_deref());

    if let Some(db) = first_str(ev, &["table_access_data.db", "connection_data.db"]) {
        let db = db.to_owned();
        ev.push_norm_str(keys::DB_NAME, &db);
    }
    let stmt_field = [
        "general_data.query",
        "table_access_data.query",
        "query_data.query",
    ]
    .into_iter()
    .find(|f| non_empty(ev, f).is_some());
    let sql_command = first_str(
        ev,
        &[
            "table_access_data.sql_command",
            "general_data.sql_command",
            "query_data.sql_command",
        ],
    )
    .map(str::to_owned);
    statement_fields(
        ev,
        stmt_field,
        sql_command.as_deref(),
        &["table_access_data.table"],
    );

    let status = [
        "general_data.status",
        "connection_data.status",
        "query_data.status",
        "command_data.status",
    ]
    .into_iter()
    .find(|f| matches!(ev.get_raw(f), Some(v) if !v.is_null()));
    if let Some(f) = status {
        let code = ev
            .get_raw(f)
            .and_then(|v| v.as_i64())
            .ok_or_else(|| json::type_error(f, "an integer status"))?;
        push_status(ev, code);
    }

    copy_checked(
        ev,
        "query_statistics.rows_sent",
        keys::DB_RESPONSE_RETURNED_ROWS,
        Conv::Int,
    )?;
    if let Some(v) = ev.get_raw("query_statistics.query_time") {
        let secs = v
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
            .ok_or_else(|| json::type_error("query_statistics.query_time", "seconds"))?;
        ev.push_norm(keys::EVENT_DURATION, Value::Int((secs * 1e9) as i64));
    }
    let class = non_empty(ev, "class").unwrap_or("");
    let event = non_empty(ev, "event").unwrap_or("");
    let activity = match (class, event) {
        ("connection", "connect" | "change_user") => Activity::Login,
        ("connection", "disconnect") => Activity::Logout,
        ("table_access", "read") => Activity::Read,
        ("table_access", _) => Activity::Change,
        _ => Activity::Statement,
    };
    categorize(ev, activity);
    Ok(())
}

// ---------------------------------------------------------------------------
// Percona Audit Log Plugin JSON

fn percona(ev: &mut Event) -> Result<(), DecodeError> {
    const TS: &str = "audit_record.timestamp";
    let t = match ev.get_raw(TS) {
        Some(ValueRef::Str(s)) => {
            // `2014-08-27T10:44:19 UTC` (older plugins) or RFC 3339.
            let s = s.strip_suffix(" UTC").unwrap_or(s);
            Timestamp::parse_rfc3339(s.as_bytes())
                .ok_or_else(|| time_error(TS, "an ISO 8601 time"))?
        }
        None | Some(ValueRef::Null) => {
            return Err(DecodeError::new(
                ErrorKind::Time,
                "missing time: `audit_record.timestamp` is not present",
            ))
        }
        Some(_) => return Err(time_error(TS, "a time string")),
    };
    ev.set_time(t);
    json::tag(ev, MODULE, DATASET, FORMAT);
    ev.push_norm(keys::DB_SYSTEM, Value::Static("mysql"));
    json::alias(ev, "audit_record.name", keys::EVENT_ACTION, Conv::Lower);
    copy_checked(
        ev,
        "audit_record.connection_id",
        keys::DB_SESSION_ID,
        Conv::Int,
    )?;
    let user = first_str(ev, &["audit_record.user"]).map(parse_user_host);
    if let Some(uh) = &user {
        push_user(ev, &uh.user);
    }
    let ip = first_str(ev, &["audit_record.ip"])
        .map(str::to_owned)
        .or_else(|| user.as_ref().and_then(|u| u.ip.clone()));
    let host = first_str(ev, &["audit_record.host"])
        .map(str::to_owned)
        .or_else(|| user.and_then(|u| u.host));
    push_client(ev, ip.as_deref(), host.as_deref());
    if let Some(db) = first_str(ev, &["audit_record.db"]) {
        let db = db.to_owned();
        ev.push_norm_str(keys::DB_NAME, &db);
    }
    let stmt_field = Some("audit_record.sqltext").filter(|f| non_empty(ev, f).is_some());
    let class = first_str(ev, &["audit_record.command_class"]).map(str::to_owned);
    statement_fields(ev, stmt_field, class.as_deref(), &[]);
    if let Some(v) = ev.get_raw("audit_record.status") {
        if !v.is_null() {
            let code = v
                .as_i64()
                .ok_or_else(|| json::type_error("audit_record.status", "an integer status"))?;
            push_status(ev, code);
        }
    }
    copy_checked(
        ev,
        "audit_record.rows",
        keys::DB_RESPONSE_RETURNED_ROWS,
        Conv::Int,
    )?;
    let activity = match non_empty(ev, "audit_record.name") {
        Some("Connect" | "Change user") => Activity::Login,
        Some("Quit") => Activity::Logout,
        _ => Activity::Statement,
    };
    categorize(ev, activity);
    Ok(())
}

// ---------------------------------------------------------------------------
// MariaDB server_audit text

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
fn split_mariadb(line: &[u8]) -> Option<[&[u8]; 10]> {
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
fn mariadb_time(s: &[u8]) -> Option<Timestamp> {
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

fn mariadb(line: &[u8]) -> Result<Event, DecodeError> {
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

// ---------------------------------------------------------------------------
// A little SQL: the statement's verb and its main table.

/// SQL verbs reported as `db.operation`, upper case.
const VERBS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "MERGE",
    "UPSERT",
    "CALL",
    "EXECUTE",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "RENAME",
    "GRANT",
    "REVOKE",
    "DENY",
    "SHOW",
    "SET",
    "USE",
    "DESCRIBE",
    "EXPLAIN",
    "LOAD",
    "HANDLER",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "LOCK",
    "UNLOCK",
    "FLUSH",
    "KILL",
    "ANALYZE",
    "OPTIMIZE",
    "BACKUP",
    "RESTORE",
    "BULK",
    "DECLARE",
    "PREPARE",
    "DEALLOCATE",
    "COPY",
    "VALUES",
    "TABLE",
];

fn verb(word: &str) -> Option<&'static str> {
    if word.eq_ignore_ascii_case("EXEC") {
        return Some("EXECUTE");
    }
    if word.eq_ignore_ascii_case("DESC") {
        return Some("DESCRIBE");
    }
    VERBS.iter().copied().find(|v| v.eq_ignore_ascii_case(word))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    /// A keyword or bare identifier.
    Word(&'a str),
    /// A quoted identifier (`` `x` ``, `[x]`, `"x"`), without its quotes.
    Quoted(&'a str),
    /// A string or other literal.
    Literal,
    /// One punctuation byte (0 for non-ASCII characters).
    Punct(u8),
}

/// Tokens of a SQL statement, skipping whitespace and comments.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer { s, pos: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        self.s.as_bytes().get(self.pos..).unwrap_or(&[])
    }

    /// Byte index of `end` at or after `from`, or the end of the text.
    fn find_from(&self, from: usize, end: &[u8]) -> usize {
        let hay = self.s.as_bytes().get(from..).unwrap_or(&[]);
        memchr::memmem::find(hay, end).map_or(self.s.len(), |i| from + i)
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            let r = self.rest();
            match r {
                [c, ..] if c.is_ascii_whitespace() => self.pos += 1,
                [b'-', b'-', ..] | [b'#', ..] => {
                    self.pos = self.find_from(self.pos, b"\n");
                }
                [b'/', b'*', ..] => {
                    self.pos = (self.find_from(self.pos + 2, b"*/") + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn quoted(&mut self, close: u8) -> &'a str {
        let start = self.pos + 1;
        let end = self.find_from(start, &[close]);
        self.pos = (end + 1).min(self.s.len());
        self.s.get(start..end).unwrap_or("")
    }

    fn next_tok(&mut self) -> Option<Tok<'a>> {
        self.skip_space_and_comments();
        let &c = self.rest().first()?;
        let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'@' | b'#');
        Some(match c {
            b'`' => Tok::Quoted(self.quoted(b'`')),
            b'[' => Tok::Quoted(self.quoted(b']')),
            b'"' => Tok::Quoted(self.quoted(b'"')),
            b'\'' => {
                // A string literal: `''` and `\'` do not end it.
                let b = self.s.as_bytes();
                let mut i = self.pos + 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => break,
                        _ => i += 1,
                    }
                }
                self.pos = (i + 1).min(b.len());
                Tok::Literal
            }
            c if word(c) => {
                let start = self.pos;
                let n = self.rest().iter().take_while(|&&b| word(b)).count();
                self.pos += n;
                Tok::Word(self.s.get(start..self.pos).unwrap_or(""))
            }
            c if c.is_ascii() => {
                self.pos += 1;
                Tok::Punct(c)
            }
            _ => {
                let n = self
                    .s
                    .get(self.pos..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                self.pos += n;
                Tok::Punct(0)
            }
        })
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Tok<'a>;
    fn next(&mut self) -> Option<Tok<'a>> {
        self.next_tok()
    }
}

/// Tokens at parenthesis depth 0; a parenthesized group shows as its
/// opening `(` alone.
fn top_level(stmt: &str) -> impl Iterator<Item = Tok<'_>> + '_ {
    let mut depth = 0usize;
    Lexer::new(stmt).filter(move |t| match t {
        Tok::Punct(b'(') => {
            depth += 1;
            depth == 1
        }
        Tok::Punct(b')') => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

/// The statement's operation (`SELECT`, `INSERT`, …), upper case; a `WITH`
/// query is the verb after its common table expressions.
pub(crate) fn sql_operation(stmt: &str) -> Option<&'static str> {
    let first = Lexer::new(stmt).find(|t| *t != Tok::Punct(b'('))?;
    let Tok::Word(w) = first else { return None };
    if w.eq_ignore_ascii_case("WITH") {
        return top_level(stmt).skip(1).find_map(|t| match t {
            Tok::Word(w) => ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]
                .iter()
                .copied()
                .find(|v| v.eq_ignore_ascii_case(w)),
            _ => None,
        });
    }
    verb(w)
}

/// The main table of a simple statement: after `FROM` (SELECT, DELETE),
/// `INTO` (INSERT, REPLACE, MERGE) or `UPDATE`; qualified names are joined
/// with `.` and unquoted (`[ehr].[dbo].[patients]` → `ehr.dbo.patients`).
pub(crate) fn sql_table(stmt: &str) -> Option<String> {
    let op = sql_operation(stmt)?;
    let mut toks = top_level(stmt).peekable();
    // Move past the verb (for WITH, past the CTEs to the main verb).
    toks.find(|t| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(op)))?;
    let is = |t: &Tok<'_>, kw: &str| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw));
    let mut toks = std::iter::from_fn(move || {
        let t = toks.next()?;
        // `TOP (n)`: the group is part of the clause, not a derived table.
        if is(&t, "TOP") && toks.peek() == Some(&Tok::Punct(b'(')) {
            toks.next();
        }
        Some(t)
    })
    .peekable();
    match op {
        "SELECT" => {
            toks.find(|t| is(t, "FROM"))?;
        }
        "DELETE" => {
            // `DELETE FROM t`, `DELETE t WHERE …` (T-SQL), `DELETE LOW_PRIORITY FROM t`.
            while toks
                .peek()
                .is_some_and(|t| ["LOW_PRIORITY", "QUICK", "IGNORE"].iter().any(|k| is(t, k)))
            {
                toks.next();
            }
            if toks.peek().is_some_and(|t| is(t, "FROM")) {
                toks.next();
            } else if toks.peek().is_some_and(|t| is(t, "TOP")) {
                toks.find(|t| is(t, "FROM"))?;
            }
        }
        "INSERT" | "REPLACE" | "MERGE" => {
            while toks.peek().is_some_and(|t| {
                ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "TOP"]
                    .iter()
                    .any(|k| is(t, k))
                    || matches!(t, Tok::Literal)
            }) {
                toks.next();
            }
            if toks.peek().is_some_and(|t| is(t, "INTO")) {
                toks.next();
            }
        }
        "UPDATE" => {
            while toks
                .peek()
                .is_some_and(|t| ["LOW_PRIORITY", "IGNORE", "TOP"].iter().any(|k| is(t, k)))
            {
                toks.next();
            }
        }
        _ => return None,
    }
    let mut name = String::new();
    loop {
        match toks.next()? {
            Tok::Word(w) if !name.is_empty() || verb(w).is_none() => name.push_str(w),
            Tok::Quoted(q) => name.push_str(q),
            _ => return None,
        }
        if toks.peek() == Some(&Tok::Punct(b'.')) {
            toks.next();
            name.push('.');
        } else {
            break;
        }
    }
    (!name.is_empty() && !name.eq_ignore_ascii_case("DUAL")).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_tables() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("SELECT * FROM patients", Some("SELECT"), Some("patients")),
            (
                "select p.* from `ehr`.`patients` p join visits v on 1",
                Some("SELECT"),
                Some("ehr.patients"),
            ),
            (
                "SELECT TOP 100 * FROM [ehr].[dbo].[patients] WHERE x = 'a,b'",
                Some("SELECT"),
                Some("ehr.dbo.patients"),
            ),
            (
                "/* c */ INSERT INTO ehr.notes (id) VALUES (1)",
                Some("INSERT"),
                Some("ehr.notes"),
            ),
            ("UPDATE LOW_PRIORITY t1 SET a=1", Some("UPDATE"), Some("t1")),
            ("DELETE FROM x WHERE id=1", Some("DELETE"), Some("x")),
            (
                "DELETE patients WHERE id=1",
                Some("DELETE"),
                Some("patients"),
            ),
            (
                "WITH c AS (SELECT * FROM a) SELECT * FROM c",
                Some("SELECT"),
                Some("c"),
            ),
            (
                "WITH c AS (SELECT * FROM a) DELETE FROM b",
                Some("DELETE"),
                Some("b"),
            ),
            ("SELECT (SELECT 1 FROM a) FROM b", Some("SELECT"), Some("b")),
            ("SELECT * FROM (SELECT 1) x", Some("SELECT"), None),
            ("UPDATE TOP (10) t SET a = 1", Some("UPDATE"), Some("t")),
            (
                "INSERT INTO t (a, b) SELECT a, b FROM u",
                Some("INSERT"),
                Some("t"),
            ),
            ("SELECT 1", Some("SELECT"), None),
            ("SELECT 1 FROM DUAL", Some("SELECT"), None),
            ("exec dbo.usp_export @n = 5", Some("EXECUTE"), None),
            ("SHOW VARIABLES", Some("SHOW"), None),
            ("Login failed for user 'x'.", None, None),
            ("", None, None),
            ("'unterminated", None, None),
            ("SELECT * FROM /* unterminated", Some("SELECT"), None),
        ];
        for (stmt, op, table) in cases {
            assert_eq!(sql_operation(stmt), *op, "{stmt}");
            assert_eq!(sql_table(stmt).as_deref(), *table, "{stmt}");
        }
    }

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

    #[test]
    fn mariadb_escapes() {
        assert_eq!(unescape(r"a\'b\\c\nd\q"), "a'b\\c\nd\\q");
    }
}
