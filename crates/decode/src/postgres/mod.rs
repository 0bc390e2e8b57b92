//! PostgreSQL server logs, with pgAudit `AUDIT:` records: the stderr format
//! (lines led by a `log_line_prefix`) and csvlog.
//!
//! **stderr.** The prefix is the one configured (`DecoderConfig::pg_prefix`)
//! or, when none is, the first of the common ones ([`prefix::CANDIDATES`]:
//! pgBadger's, RDS's, Debian's, the default) that a line matches; a later
//! line that stops matching switches to another candidate. A report spans
//! lines: its continuation lines start with a tab (PostgreSQL writes one after
//! every newline of a message, and one is removed here), and its DETAIL, HINT,
//! CONTEXT, STATEMENT, QUERY and LOCATION lines follow it with their own
//! prefix. The decoder holds a report until the next one starts and returns it
//! then (with the origin of its first line); [`Decoder::finish`] returns the
//! last one.
//!
//! **csvlog.** The 23 (PostgreSQL 9–12), 24 (13) or 26 (14+) columns; a quoted
//! field may hold newlines, so lines are gathered until the quotes balance
//! (a record longer than [`MAX_RECORD`] is rejected).
//!
//! **pgAudit.** A message `AUDIT: <type>,<statement id>,<substatement id>,
//! <class>,<command>,<object type>,<object name>,<statement>,<parameter>[,<rows>]`
//! gives dataset `postgresql.audit`; other messages give `postgresql.log`.
//!
//! **Sessions.** `connection received` / `connection authorized` lines fill a
//! per-backend-pid table (at most [`session::CAPACITY`] sessions, oldest
//! evicted; a `disconnection` line ends one), so that an audit record whose
//! prefix lacks the user, database, client or application still gets them.
//! The session id is `%c` / `session_id` when logged, else the same form
//! (hex start seconds `.` hex pid) from the `connection received` line.

mod audit;
mod csv;
mod prefix;
mod session;

use std::borrow::Cow;
use std::sync::LazyLock;

use phiwatch_event::{keys, Event, FieldKind, Key, Name, Origin, Timestamp, Value};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};
use prefix::{Esc, Level, Prefix, Values};
use session::Sessions;

/// The longest record accepted (bytes, all lines together).
pub(crate) const MAX_RECORD: usize = 8 << 20;

const MODULE: &str = "postgresql";
const DATASET_LOG: &str = "postgresql.log";
const DATASET_AUDIT: &str = "postgresql.audit";

/// One record of either format, before it becomes an event. Text fields are
/// `None` when absent or empty.
#[derive(Default)]
struct Rec<'a> {
    log_time: &'a str,
    user: Option<&'a str>,
    db: Option<&'a str>,
    pid: Option<&'a str>,
    /// csvlog `connection_from` (`host:port`) or `%r` (`host(port)`).
    connection_from: Option<&'a str>,
    /// `%h`.
    remote_host: Option<&'a str>,
    local_addr: Option<&'a str>,
    session_id: Option<&'a str>,
    line_num: Option<&'a str>,
    command_tag: Option<&'a str>,
    session_start: Option<&'a str>,
    vxid: Option<&'a str>,
    xid: Option<&'a str>,
    sqlstate: Option<&'a str>,
    message: &'a str,
    detail: Option<&'a str>,
    hint: Option<&'a str>,
    internal_query: Option<&'a str>,
    internal_query_pos: Option<&'a str>,
    context: Option<&'a str>,
    query: Option<&'a str>,
    query_pos: Option<&'a str>,
    location: Option<&'a str>,
    app: Option<&'a str>,
    backend_type: Option<&'a str>,
    leader_pid: Option<&'a str>,
    query_id: Option<&'a str>,
}

fn some(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// A user, database or application value that names something.
fn known(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty() && *s != "[unknown]")
}

// ---------------------------------------------------------------- time

/// Offsets (seconds east of UTC) of the zone abbreviations PostgreSQL
/// writes for common `log_timezone`s (its `Default` abbreviation set).
const ZONES: &[(&str, i64)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("MET", 3600),
    ("MEST", 7200),
    ("EET", 7200),
    ("EEST", 10800),
    ("MSK", 10800),
    ("SAST", 7200),
    ("EST", -18000),
    ("EDT", -14400),
    ("CST", -21600),
    ("CDT", -18000),
    ("MST", -25200),
    ("MDT", -21600),
    ("PST", -28800),
    ("PDT", -25200),
    ("AKST", -32400),
    ("AKDT", -28800),
    ("HST", -36000),
    ("AST", -14400),
    ("ADT", -10800),
    ("NST", -12600),
    ("NDT", -9000),
    ("JST", 32400),
    ("KST", 32400),
    ("HKT", 28800),
    ("AWST", 28800),
    ("ACST", 34200),
    ("ACDT", 37800),
    ("AEST", 36000),
    ("AEDT", 39600),
    ("NZST", 43200),
    ("NZDT", 46800),
    ("WIB", 25200),
    ("PKT", 18000),
];

/// Seconds east of UTC of a zone as PostgreSQL writes it: an abbreviation
/// or a numeric offset (`+03`, `-0330`, `+05:30`).
fn zone_offset(tz: &str) -> Option<i64> {
    if let Some(&(_, off)) = ZONES.iter().find(|(n, _)| *n == tz) {
        return Some(off);
    }
    let (sign, digits) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    (h <= 15 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// A `%m` / `%t` / csvlog time: `YYYY-MM-DD HH:MM:SS[.fff] ZONE`.
fn pg_time(s: &str) -> Option<Timestamp> {
    let (dt, tz) = s.rsplit_once(' ')?;
    if dt.len() < 19 {
        return None;
    }
    let t = Timestamp::parse_rfc3339(dt.as_bytes())?;
    let off = zone_offset(tz)?;
    t.as_nanos()
        .checked_sub(off.checked_mul(1_000_000_000)?)
        .map(Timestamp::from_nanos)
}

fn time_error(field: &str) -> DecodeError {
    DecodeError::new(
        ErrorKind::Time,
        format!("field `{field}`: expected a PostgreSQL time (`YYYY-MM-DD HH:MM:SS[.fff] ZONE` with a known zone)"),
    )
}

// ---------------------------------------------------------------- events

/// Raw field names (csvlog's columns, then pgAudit's fields), indexed by [`R`].
const RAW: &[&str] = &[
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
enum R {
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
    fn name(self, ev: &mut Event) -> Name {
        match RAW_KEYS.get(self as usize).copied().flatten() {
            Some(k) => Name::Known(k),
            None => ev.name(self.text()),
        }
    }
}

fn push_str(ev: &mut Event, name: R, s: Option<&str>) -> Option<Value> {
    let s = s?;
    let v = ev.store_str(s);
    let n = name.name(ev);
    ev.push_raw(n, v);
    Some(v)
}

fn push_int(ev: &mut Event, name: R, s: Option<&str>) -> Result<Option<i64>, DecodeError> {
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
fn split_host_port(s: &str) -> (&str, Option<&str>) {
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
fn kv<'a>(s: &'a str, key: &str, ends: &[&str]) -> Option<&'a str> {
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
fn session_time(s: &str) -> Option<i64> {
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

/// What the message says, beyond its text.
#[derive(Default)]
struct Said<'a> {
    action: Option<&'static str>,
    category: Option<&'static str>,
    etype: Option<&'static str>,
    outcome: Option<&'static str>,
    user: Option<&'a str>,
    db: Option<&'a str>,
    app: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<&'a str>,
    statement: Option<&'a str>,
    parameters: Option<&'a str>,
    duration: Option<i64>,
    auth_method: Option<&'a str>,
    ends_session: bool,
}

/// Shared state of both decoders.
struct Builder {
    sessions: Sessions,
    scratch: Vec<csv::Field>,
    format: &'static str,
}

impl Builder {
    fn new(format: &'static str) -> Builder {
        Builder {
            sessions: Sessions::new(session::CAPACITY),
            scratch: Vec::new(),
            format,
        }
    }

    /// Turns a record into an event.
    fn build(
        &mut self,
        rec: &Rec<'_>,
        level: Level,
        time: Timestamp,
        origin: Origin,
    ) -> Result<Event, DecodeError> {
        let mut ev = Event::with_capacity(time, 56, rec.message.len() * 2 + 256);
        ev.set_origin(origin);

        // Raw fields, under csvlog's column names.
        push_str(&mut ev, R::LogTime, some(rec.log_time));
        let user_raw = push_str(&mut ev, R::UserName, rec.user);
        let db_raw = push_str(&mut ev, R::DatabaseName, rec.db);
        let pid = push_int(&mut ev, R::ProcessId, rec.pid)?;
        push_str(&mut ev, R::ConnectionFrom, rec.connection_from);
        push_str(&mut ev, R::RemoteHost, rec.remote_host);
        push_str(&mut ev, R::LocalAddress, rec.local_addr);
        let session_raw = push_str(&mut ev, R::SessionId, rec.session_id);
        push_int(&mut ev, R::SessionLineNum, rec.line_num)?;
        push_str(&mut ev, R::CommandTag, rec.command_tag);
        push_str(&mut ev, R::SessionStartTime, rec.session_start);
        push_str(&mut ev, R::VirtualTransactionId, rec.vxid);
        push_int(&mut ev, R::TransactionId, rec.xid)?;
        let sev = R::ErrorSeverity.name(&mut ev);
        ev.push_raw(sev, Value::Static(level.name()));
        let sqlstate = push_str(&mut ev, R::SqlStateCode, rec.sqlstate);
        let message = ev.store_str(rec.message);
        ev.push(keys::MESSAGE, FieldKind::Both, message);
        push_str(&mut ev, R::Detail, rec.detail);
        push_str(&mut ev, R::Hint, rec.hint);
        push_str(&mut ev, R::InternalQuery, rec.internal_query);
        push_int(&mut ev, R::InternalQueryPos, rec.internal_query_pos)?;
        push_str(&mut ev, R::Context, rec.context);
        let query = push_str(&mut ev, R::Query, rec.query);
        push_int(&mut ev, R::QueryPos, rec.query_pos)?;
        push_str(&mut ev, R::Location, rec.location);
        let app_raw = push_str(&mut ev, R::ApplicationName, known(rec.app));
        push_str(&mut ev, R::BackendType, rec.backend_type);
        push_int(&mut ev, R::LeaderPid, rec.leader_pid)?;
        push_int(&mut ev, R::QueryId, rec.query_id)?;

        let msg = rec.message;
        let mut said = Said::default();
        let mut dataset = DATASET_LOG;
        if let Some(payload) = msg.strip_prefix(audit::MARKER) {
            dataset = DATASET_AUDIT;
            self.audit(&mut ev, payload)?;
        } else {
            said = self.message(msg, rec, level, pid, time);
        }
        crate::json::tag(&mut ev, MODULE, dataset, self.format);
        ev.push_norm(keys::EVENT_KIND, Value::Static("event"));
        ev.push_norm(keys::DB_SYSTEM, Value::Static("postgresql"));
        ev.push_norm(keys::LOG_LEVEL, Value::Static(level.name()));
        if let Some(p) = pid {
            ev.push_norm(keys::PROCESS_PID, Value::Int(p));
        }

        // Who and from where: the record, else what its message said, else
        // the session table.
        let sess = pid.and_then(|p| self.sessions.get(p));
        let pick =
            |ev: &mut Event, raw: Option<Value>, said: Option<&str>, from_sess: Option<&String>| {
                raw.or_else(|| known(said).map(|s| ev.store_str(s)))
                    .or_else(|| from_sess.map(|s| ev.store_str(s)))
            };
        if let Some(v) = pick(
            &mut ev,
            user_raw.filter(|_| known(rec.user).is_some()),
            said.user,
            sess.and_then(|s| s.user.as_ref()),
        ) {
            ev.push_norm(keys::DB_USER, v);
            ev.push_norm(keys::USER_NAME, v);
        }
        if let Some(v) = pick(
            &mut ev,
            db_raw.filter(|_| known(rec.db).is_some()),
            said.db,
            sess.and_then(|s| s.db.as_ref()),
        ) {
            ev.push_norm(keys::DB_NAME, v);
        }
        if let Some(v) = pick(
            &mut ev,
            app_raw,
            said.app,
            sess.and_then(|s| s.app.as_ref()),
        ) {
            ev.push_norm(keys::CLIENT_APPLICATION, v);
        }
        let (host, port): (Option<&str>, Option<i64>) = {
            let from_rec = rec.remote_host.or(rec.connection_from).map(split_host_port);
            match from_rec {
                Some((h, p)) => (some(h), p.and_then(|p| p.parse().ok())),
                None => match said.host {
                    Some(h) => (Some(h), said.port.and_then(|p| p.parse().ok())),
                    None => (
                        sess.and_then(|s| s.host.as_deref()),
                        sess.and_then(|s| s.port),
                    ),
                },
            }
        };
        if let Some(h) = host {
            let addr = ev.store_str(h);
            ev.push_norm(keys::CLIENT_ADDRESS, addr);
            ev.push_norm(keys::SOURCE_ADDRESS, addr);
            if let Ok(ip) = h.parse::<std::net::IpAddr>() {
                ev.push_norm(keys::CLIENT_IP, Value::Ip(ip));
                ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
            }
        }
        if let Some(p) = port.filter(|p| (0..=65_535).contains(p)) {
            ev.push_norm(keys::CLIENT_PORT, Value::Int(p));
            ev.push_norm(keys::SOURCE_PORT, Value::Int(p));
        }
        match session_raw {
            Some(v) => ev.push_norm(keys::DB_SESSION_ID, v),
            None => {
                if let Some(s) = sess {
                    let v = ev.store_str(&s.id);
                    ev.push_norm(keys::DB_SESSION_ID, v);
                }
            }
        }

        // What happened.
        if let Some(s) = said.statement {
            let v = ev.store_str(s);
            ev.push_norm(keys::DB_STATEMENT, v);
        } else if let (Some(q), true) = (query, dataset == DATASET_LOG) {
            ev.push_norm(keys::DB_STATEMENT, q);
        }
        if let Some(p) = said.parameters {
            let v = ev.store_str(p);
            ev.push_norm(keys::DB_PARAMETERS, v);
        }
        if let Some(d) = said.duration {
            ev.push_norm(keys::EVENT_DURATION, Value::Int(d));
        }
        if let Some(m) = said.auth_method {
            let v = ev.store_str(m);
            ev.push_norm(keys::AUTH_METHOD, v);
        }
        if let Some(code) = sqlstate.filter(|_| rec.sqlstate != Some("00000")) {
            ev.push_norm(keys::ERROR_CODE, code);
        }
        if level.is_error() {
            ev.push_norm(keys::ERROR_MESSAGE, message);
        }
        if dataset == DATASET_LOG {
            let (action, category, etype, outcome) = if level.is_error() {
                (
                    Some(said.action.unwrap_or("error")),
                    said.category.unwrap_or("database"),
                    said.etype.unwrap_or("error"),
                    Some("failure"),
                )
            } else {
                (
                    said.action,
                    said.category.unwrap_or("database"),
                    said.etype.unwrap_or("info"),
                    said.outcome,
                )
            };
            if let Some(a) = action {
                ev.push_norm(keys::EVENT_ACTION, Value::Static(a));
            }
            ev.push_norm(keys::EVENT_CATEGORY, Value::Static(category));
            ev.push_norm(keys::EVENT_TYPE, Value::Static(etype));
            if let Some(o) = outcome {
                ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
            }
        }
        if said.ends_session {
            if let Some(p) = pid {
                self.sessions.end(p);
            }
        }
        Ok(ev)
    }

    /// The fields of a pgAudit payload.
    fn audit(&mut self, ev: &mut Event, payload: &str) -> Result<(), DecodeError> {
        let a = audit::parse(payload, &mut self.scratch)?;
        push_str(ev, R::AuditType, some(&a.audit_type));
        let n = R::StatementId.name(ev);
        ev.push_raw(n, Value::Int(a.statement_id));
        let n = R::SubstatementId.name(ev);
        ev.push_raw(n, Value::Int(a.substatement_id));
        let class = push_str(ev, R::Class, some(&a.class));
        let command = push_str(ev, R::Command, some(&a.command));
        let otype = push_str(ev, R::ObjectType, some(&a.object_type));
        let oname = push_str(ev, R::ObjectName, some(&a.object_name));
        let stmt = push_str(ev, R::Statement, some(&a.statement));
        let param = push_str(ev, R::Parameter, some(&a.parameter));
        if let Some(r) = a.rows {
            let n = R::Rows.name(ev);
            ev.push_raw(n, Value::Int(r));
        }
        if let Some(v) = class {
            ev.push_norm(keys::DB_AUDIT_CLASS, v);
        }
        if let Some(v) = command {
            ev.push_norm(keys::DB_OPERATION, v);
        }
        if let Some(v) = otype {
            ev.push_norm(keys::DB_OBJECT_TYPE, v);
        }
        let class = &*a.class;
        match oname {
            Some(v) if audit::is_relation(&a.object_type) => ev.push_norm(keys::DB_SQL_TABLE, v),
            Some(_) => {}
            None if matches!(class, "READ" | "WRITE") && !audit::is_placeholder(&a.statement) => {
                if let Some(t) = audit::table_from_statement(&a.statement) {
                    ev.push_norm_str(keys::DB_SQL_TABLE, t);
                }
            }
            None => {}
        }
        if let Some(v) = stmt.filter(|_| !audit::is_placeholder(&a.statement)) {
            ev.push_norm(keys::DB_STATEMENT, v);
        }
        if let Some(v) = param.filter(|_| !audit::is_placeholder(&a.parameter)) {
            ev.push_norm(keys::DB_PARAMETERS, v);
        }
        if let Some(r) = a.rows {
            if class == "READ" || a.command == "FETCH" {
                ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(r));
            } else if class == "WRITE" {
                ev.push_norm(keys::DB_RESPONSE_AFFECTED_ROWS, Value::Int(r));
            }
        }
        ev.push_norm(keys::EVENT_ACTION, Value::Static("audit"));
        ev.push_norm(keys::EVENT_CATEGORY, Value::Static("database"));
        let etype = match class {
            "READ" => "access",
            "WRITE" | "DDL" | "ROLE" => "change",
            _ => "info",
        };
        ev.push_norm(keys::EVENT_TYPE, Value::Static(etype));
        // pgAudit writes rows once the statement has run; without them the
        // record may precede a failure.
        let outcome = if a.rows.is_some() {
            "success"
        } else {
            "unknown"
        };
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(outcome));
        Ok(())
    }

    /// What a non-audit message says; updates the session table.
    fn message<'a>(
        &mut self,
        msg: &'a str,
        rec: &Rec<'a>,
        level: Level,
        pid: Option<i64>,
        time: Timestamp,
    ) -> Said<'a> {
        let mut said = Said::default();
        if let Some(rest) = msg.strip_prefix("connection received: ") {
            said.action = Some("connection_received");
            said.category = Some("session");
            said.etype = Some("start");
            said.outcome = Some("success");
            said.host = kv(rest, "host=", &[" "]);
            said.port = kv(rest, "port=", &[" "]);
            if let Some(p) = pid {
                let s = self.sessions.start(p, time);
                s.host = said.host.map(str::to_string);
                s.port = said.port.and_then(|p| p.parse().ok());
            }
        } else if let Some(rest) = msg
            .strip_prefix("connection authorized: ")
            .or_else(|| msg.strip_prefix("replication connection authorized: "))
        {
            said.action = Some("connection_authorized");
            said.category = Some("authentication");
            said.etype = Some("start");
            said.outcome = Some("success");
            const ENDS: &[&str] = &[
                " database=",
                " application_name=",
                " SSL enabled",
                " GSS ",
                " replication=",
            ];
            said.user = kv(rest, "user=", ENDS);
            said.db = kv(rest, "database=", ENDS);
            said.app = kv(rest, "application_name=", ENDS);
            if let Some(p) = pid {
                let s = self.sessions.get_or_start(p, time);
                s.user = said.user.map(str::to_string);
                s.db = said.db.map(str::to_string);
                s.app = said.app.map(str::to_string);
            }
        } else if let Some(rest) = msg.strip_prefix("connection authenticated: ") {
            said.action = Some("connection_authenticated");
            said.category = Some("authentication");
            said.etype = Some("info");
            said.outcome = Some("success");
            said.auth_method = kv(rest, "method=", &[" "]);
        } else if let Some(rest) = msg.strip_prefix("disconnection: session time: ") {
            said.action = Some("disconnection");
            said.category = Some("session");
            said.etype = Some("end");
            said.outcome = Some("success");
            said.duration = rest.split(' ').next().and_then(session_time);
            const ENDS: &[&str] = &[" database=", " host=", " port="];
            said.user = kv(rest, " user=", ENDS);
            said.db = kv(rest, " database=", ENDS);
            said.host = kv(rest, " host=", ENDS);
            said.port = kv(rest, " port=", ENDS);
            said.ends_session = true;
        } else if let Some(stmt) = msg.strip_prefix("statement: ") {
            said.action = Some("statement");
            said.statement = some(stmt);
        } else if let Some(rest) = msg.strip_prefix("duration: ") {
            let (ms, after) = rest.split_once(" ms").unwrap_or((rest, ""));
            said.duration = ms.parse::<f64>().ok().map(|ms| (ms * 1e6) as i64);
            if let Some((_, stmt)) = after.split_once("statement: ") {
                said.action = Some("statement");
                said.statement = some(stmt);
            } else if let Some((_, stmt)) = after
                .split_once("execute ")
                .and_then(|(_, e)| e.split_once(": "))
            {
                said.action = Some("statement");
                said.statement = some(stmt);
            }
        } else if let Some((_, stmt)) = msg
            .strip_prefix("execute ")
            .and_then(|e| e.split_once(": "))
        {
            said.action = Some("statement");
            said.statement = some(stmt);
        } else if level.is_error() {
            if let Some(rest) = msg.strip_prefix("password authentication failed for user \"") {
                said.action = Some("authentication_failure");
                said.category = Some("authentication");
                said.etype = Some("start");
                said.user = rest.split_once('"').map(|(u, _)| u);
            }
        }
        if said.action == Some("statement") {
            said.parameters = rec
                .detail
                .and_then(|d| d.strip_prefix("parameters: "))
                .and_then(some);
        }
        said
    }
}

// ---------------------------------------------------------------- stderr

/// A report being gathered.
struct Held {
    origin: Origin,
    head: String,
    vals: Values,
    level: Level,
    /// The message, then the follow-on sections.
    text: String,
    /// `(level, start, end)` in `text`; the first is the message.
    sections: Vec<(Level, usize, usize)>,
    failed: Option<DecodeError>,
}

pub(crate) struct PostgresLogDecoder {
    prefixes: Vec<Prefix>,
    current: usize,
    held: Option<Held>,
    builder: Builder,
}

impl PostgresLogDecoder {
    /// A decoder for the configured prefix, or for the common ones when none
    /// is configured; an invalid or unsupported prefix is an error.
    pub(crate) fn new(cfg: &DecoderConfig) -> Result<Self, DecodeError> {
        let prefixes = match &cfg.pg_prefix {
            Some(p) => vec![Prefix::parse(p)?],
            None => prefix::CANDIDATES
                .iter()
                .map(|p| Prefix::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(PostgresLogDecoder {
            prefixes,
            current: 0,
            held: None,
            builder: Builder::new("postgres"),
        })
    }

    fn match_line(&mut self, line: &str) -> Option<(Values, Level, usize)> {
        if let Some(m) = self
            .prefixes
            .get(self.current)
            .and_then(|p| p.matches(line))
        {
            return Some(m);
        }
        for (i, p) in self.prefixes.iter().enumerate() {
            if i == self.current {
                continue;
            }
            if let Some(m) = p.matches(line) {
                self.current = i;
                return Some(m);
            }
        }
        None
    }

    fn finalize(&mut self, h: Held) -> Result<Event, DecodeError> {
        let line = h.origin.line;
        if let Some(e) = h.failed {
            return Err(e.at_line(line));
        }
        let v = |e: Esc| {
            h.vals[e as usize]
                .and_then(|(a, b)| h.head.get(a..b))
                .and_then(some)
        };
        let section = |l: Level| {
            h.sections
                .iter()
                .skip(1)
                .find(|s| s.0 == l)
                .and_then(|&(_, a, b)| h.text.get(a..b))
        };
        let (log_time, time) = if let Some(t) = v(Esc::TimeMs).or_else(|| v(Esc::Time)) {
            (
                t,
                pg_time(t).ok_or_else(|| time_error("log_time").at_line(line))?,
            )
        } else if let Some(t) = v(Esc::TimeEpoch) {
            (
                t,
                Timestamp::parse_epoch_decimal(t.as_bytes())
                    .ok_or_else(|| time_error("log_time").at_line(line))?,
            )
        } else {
            return Err(time_error("log_time").at_line(line));
        };
        let message = h
            .sections
            .first()
            .and_then(|&(_, a, b)| h.text.get(a..b))
            .unwrap_or("");
        let rec = Rec {
            log_time,
            user: v(Esc::User),
            db: v(Esc::Db),
            pid: v(Esc::Pid),
            connection_from: v(Esc::RemoteHostPort),
            remote_host: v(Esc::RemoteHost),
            local_addr: v(Esc::LocalAddr),
            session_id: v(Esc::Session),
            line_num: v(Esc::LineNum),
            command_tag: v(Esc::CommandTag),
            session_start: v(Esc::SessionStart),
            vxid: v(Esc::Vxid),
            xid: v(Esc::Xid),
            sqlstate: v(Esc::SqlState),
            message,
            detail: section(Level::Detail),
            hint: section(Level::Hint),
            internal_query: section(Level::Query),
            internal_query_pos: None,
            context: section(Level::Context),
            query: section(Level::Statement),
            query_pos: None,
            location: section(Level::Location),
            app: v(Esc::App),
            backend_type: v(Esc::BackendType),
            leader_pid: v(Esc::LeaderPid),
            query_id: v(Esc::QueryId),
        };
        self.builder
            .build(&rec, h.level, time, h.origin)
            .map_err(|e| e.at_line(line))
    }
}

impl Decoder for PostgresLogDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if let Some(cont) = record.strip_prefix(b"\t") {
            let Some(h) = self.held.as_mut() else {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "continuation line (starting with a tab) without a report before it",
                ));
            };
            match std::str::from_utf8(cont) {
                Ok(s) if h.failed.is_none() => {
                    if h.head.len() + h.text.len() + s.len() > MAX_RECORD {
                        h.failed = Some(DecodeError::new(
                            ErrorKind::TooLong,
                            format!("report longer than {MAX_RECORD} bytes"),
                        ));
                    } else {
                        h.text.push('\n');
                        h.text.push_str(s);
                        if let Some(last) = h.sections.last_mut() {
                            last.2 = h.text.len();
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if h.failed.is_none() {
                        h.failed = Some(crate::utf8_error(e));
                    }
                }
            }
            return Ok(None);
        }
        if record.trim_ascii().is_empty() {
            return Ok(None);
        }
        let line = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let Some((vals, level, msg)) = self.match_line(line) else {
            return Err(DecodeError::new(
                ErrorKind::Syntax,
                "line does not start with the log_line_prefix and a severity",
            ));
        };
        let body = line.get(msg..).unwrap_or("");
        if level.is_follow_on() {
            let Some(h) = self.held.as_mut() else {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    format!("{} line without a report before it", level.name()),
                ));
            };
            if h.head.len() + h.text.len() + body.len() > MAX_RECORD {
                if h.failed.is_none() {
                    h.failed = Some(DecodeError::new(
                        ErrorKind::TooLong,
                        format!("report longer than {MAX_RECORD} bytes"),
                    ));
                }
                return Ok(None);
            }
            let start = h.text.len();
            h.text.push_str(body);
            h.sections.push((level, start, h.text.len()));
            return Ok(None);
        }
        let mut text = String::with_capacity(body.len() + 64);
        text.push_str(body);
        let new = Held {
            origin,
            head: line.to_string(),
            vals,
            level,
            sections: vec![(level, 0, text.len())],
            text,
            failed: None,
        };
        match self.held.replace(new) {
            Some(prev) => self.finalize(prev).map(Some),
            None => Ok(None),
        }
    }

    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        let h = self.held.take()?;
        Some(self.finalize(h))
    }
}

// ---------------------------------------------------------------- csvlog

/// csvlog column names, in order.
#[cfg(test)]
const CSV_COLUMNS: &[&str] = &[
    "log_time",
    "user_name",
    "database_name",
    "process_id",
    "connection_from",
    "session_id",
    "session_line_num",
    "command_tag",
    "session_start_time",
    "virtual_transaction_id",
    "transaction_id",
    "error_severity",
    "sql_state_code",
    "message",
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
];

pub(crate) struct PostgresCsvDecoder {
    buf: Vec<u8>,
    first: Origin,
    lines: u64,
    open: bool,
    fields: Vec<csv::Field>,
    builder: Builder,
}

impl PostgresCsvDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        PostgresCsvDecoder {
            buf: Vec::new(),
            first: Origin::default(),
            lines: 0,
            open: false,
            fields: Vec::new(),
            builder: Builder::new("postgres-csv"),
        }
    }

    fn record(&mut self) -> Result<Event, DecodeError> {
        let text = std::str::from_utf8(&self.buf).map_err(crate::utf8_error)?;
        csv::split(text, &mut self.fields)
            .map_err(|why| DecodeError::new(ErrorKind::Syntax, format!("csvlog: {why}")))?;
        let n = self.fields.len();
        if !(23..=26).contains(&n) || n == 25 {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                format!("csvlog: expected 23, 24 or 26 columns, found {n}"),
            ));
        }
        let cols: Vec<Cow<'_, str>> = self.fields.iter().map(|f| f.text(text)).collect();
        let c = |i: usize| cols.get(i).map(|s| s.as_ref()).and_then(some);
        let log_time = c(0).ok_or_else(|| time_error("log_time"))?;
        let time = pg_time(log_time).ok_or_else(|| time_error("log_time"))?;
        let level = c(11)
            .and_then(Level::from_name)
            .filter(|l| !l.is_follow_on())
            .ok_or_else(|| crate::json::type_error("error_severity", "a PostgreSQL severity"))?;
        let rec = Rec {
            log_time,
            user: c(1),
            db: c(2),
            pid: c(3),
            connection_from: c(4),
            remote_host: None,
            local_addr: None,
            session_id: c(5),
            line_num: c(6),
            command_tag: c(7),
            session_start: c(8),
            vxid: c(9),
            xid: c(10),
            sqlstate: c(12),
            message: c(13).unwrap_or(""),
            detail: c(14),
            hint: c(15),
            internal_query: c(16),
            internal_query_pos: c(17),
            context: c(18),
            query: c(19),
            query_pos: c(20),
            location: c(21),
            app: c(22),
            backend_type: c(23),
            leader_pid: c(24),
            query_id: c(25),
        };
        self.builder.build(&rec, level, time, self.first)
    }
}

impl Decoder for PostgresCsvDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if self.buf.is_empty() && !self.open {
            if record.trim_ascii().is_empty() {
                return Ok(None);
            }
            self.first = origin;
            self.lines = 0;
        } else {
            self.buf.push(b'\n');
        }
        self.lines += 1;
        self.buf.extend_from_slice(record);
        if memchr::memchr_iter(b'"', record).count() % 2 == 1 {
            self.open = !self.open;
        }
        let line = self.first.line;
        let multi = self.lines > 1;
        let mark = |e: DecodeError| if multi { e.at_line(line) } else { e };
        if self.open {
            if self.buf.len() > MAX_RECORD {
                self.buf.clear();
                self.open = false;
                return Err(mark(DecodeError::new(
                    ErrorKind::TooLong,
                    format!("csvlog record longer than {MAX_RECORD} bytes (unbalanced quotes?)"),
                )));
            }
            return Ok(None);
        }
        let out = self.record().map_err(mark);
        self.buf.clear();
        out.map(Some)
    }

    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        if self.buf.is_empty() && !self.open {
            return None;
        }
        self.buf.clear();
        self.open = false;
        Some(Err(DecodeError::new(
            ErrorKind::Syntax,
            "csvlog: the last record ends inside a quoted field",
        )
        .at_line(self.first.line)))
    }
}

// ---------------------------------------------------------------- detection

/// Whether these first non-empty lines are a PostgreSQL stderr log: the
/// first line, or two of them, match a common prefix and a severity.
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    let prefixes: Vec<Prefix> = prefix::CANDIDATES
        .iter()
        .filter_map(|p| Prefix::parse(p).ok())
        .collect();
    let hit = |l: &&[u8]| {
        std::str::from_utf8(l).is_ok_and(|s| prefixes.iter().any(|p| p.matches(s).is_some()))
    };
    lines.first().is_some_and(hit) || lines.iter().filter(|l| hit(l)).count() >= 2
}

/// Whether these first non-empty lines are a PostgreSQL csvlog: the first
/// starts with a csvlog time and a comma and carries a severity followed by
/// a SQLSTATE.
pub(crate) fn detect_csv(lines: &[&[u8]]) -> bool {
    let Some(first) = lines.first() else {
        return false;
    };
    let Some(n) = prefix::time_len(first, true) else {
        return false;
    };
    if first.get(n) != Some(&b',') {
        return false;
    }
    const SEVERITIES: &[&[u8]] = &[
        b",LOG,",
        b",ERROR,",
        b",FATAL,",
        b",PANIC,",
        b",WARNING,",
        b",NOTICE,",
        b",INFO,",
        b",DEBUG1,",
        b",DEBUG2,",
        b",DEBUG3,",
        b",DEBUG4,",
        b",DEBUG5,",
    ];
    SEVERITIES.iter().any(|sev| {
        memchr::memmem::find_iter(first, sev).any(|i| {
            let code = first.get(i + sev.len()..i + sev.len() + 6);
            code.is_some_and(|c| c[..5].iter().all(u8::is_ascii_alphanumeric) && c[5] == b',')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_zones() {
        let t = pg_time("2024-03-01 10:00:00.123 CET").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T09:00:00.123000Z");
        let t = pg_time("2024-03-01 10:00:00 -0330").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T13:30:00.000000Z");
        assert!(pg_time("2024-03-01 10:00:00 XYZT").is_none());
        assert!(pg_time("2024-03-01").is_none());
        assert_eq!(session_time("1:02:03.5"), Some(3_723_500_000_000));
    }

    #[test]
    fn raw_names_are_registered() {
        for n in CSV_COLUMNS.iter().chain(RAW) {
            assert!(phiwatch_event::Key::lookup(n).is_some(), "{n}");
        }
    }

    #[test]
    fn host_ports() {
        assert_eq!(
            split_host_port("10.0.0.1(5432)"),
            ("10.0.0.1", Some("5432"))
        );
        assert_eq!(split_host_port("10.0.0.1:5432"), ("10.0.0.1", Some("5432")));
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1", None));
        assert_eq!(
            split_host_port("2001:db8::1:5432"),
            ("2001:db8::1:5432", None)
        );
        assert_eq!(split_host_port("[local]"), ("[local]", None));
        assert_eq!(split_host_port("db.example:99"), ("db.example", Some("99")));
    }
}
