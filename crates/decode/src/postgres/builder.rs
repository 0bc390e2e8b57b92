//! Building an event from a parsed record of either format: the common
//! fields, the pgAudit payload and what the message text says.

use phiwatch_event::{keys, Event, FieldKind, Origin, Timestamp, Value};

use crate::{csv, DecodeError};

use super::fields::{kv, push_int, push_str, session_time, split_host_port, R};
use super::prefix::Level;
use super::session::Sessions;
use super::{audit, known, session, some, Rec, DATASET_AUDIT, DATASET_LOG, MODULE};

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
pub(super) struct Builder {
    sessions: Sessions,
    scratch: Vec<csv::Field>,
    format: &'static str,
}

impl Builder {
    pub(super) fn new(format: &'static str) -> Builder {
        Builder {
            sessions: Sessions::new(session::CAPACITY),
            scratch: Vec::new(),
            format,
        }
    }

    /// Turns a record into an event.
    pub(super) fn build(
        &mut self,
        rec: &Rec<'_>,
        level: Level,
        time: Timestamp,
        origin: Origin,
    ) -> Result<Event, DecodeError> {
        let mut ev = Event::with_capacity(time, 56, rec.message.len() * 2 + 256);
        ev.set_origin(origin);

        let raw = push_raw(&mut ev, rec, level)?;
        let pid = raw.pid;

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

        self.push_who(&mut ev, rec, &raw, &said);
        push_what(&mut ev, rec, level, &raw, &said, dataset);
        if said.ends_session {
            if let Some(p) = pid {
                self.sessions.end(p);
            }
        }
        Ok(ev)
    }

    /// Who and from where: the record, else what its message said, else
    /// the session table.
    fn push_who(&self, ev: &mut Event, rec: &Rec<'_>, raw: &Raw, said: &Said<'_>) {
        let sess = raw.pid.and_then(|p| self.sessions.get(p));
        let pick =
            |ev: &mut Event, raw: Option<Value>, said: Option<&str>, from_sess: Option<&String>| {
                raw.or_else(|| known(said).map(|s| ev.store_str(s)))
                    .or_else(|| from_sess.map(|s| ev.store_str(s)))
            };
        if let Some(v) = pick(
            ev,
            raw.user.filter(|_| known(rec.user).is_some()),
            said.user,
            sess.and_then(|s| s.user.as_ref()),
        ) {
            ev.push_norm(keys::DB_USER, v);
            ev.push_norm(keys::USER_NAME, v);
        }
        if let Some(v) = pick(
            ev,
            raw.db.filter(|_| known(rec.db).is_some()),
            said.db,
            sess.and_then(|s| s.db.as_ref()),
        ) {
            ev.push_norm(keys::DB_NAME, v);
        }
        if let Some(v) = pick(ev, raw.app, said.app, sess.and_then(|s| s.app.as_ref())) {
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
        match raw.session {
            Some(v) => ev.push_norm(keys::DB_SESSION_ID, v),
            None => {
                if let Some(s) = sess {
                    let v = ev.store_str(&s.id);
                    ev.push_norm(keys::DB_SESSION_ID, v);
                }
            }
        }
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

/// Values of the raw fields the normalized ones reuse.
struct Raw {
    user: Option<Value>,
    db: Option<Value>,
    pid: Option<i64>,
    session: Option<Value>,
    sqlstate: Option<Value>,
    message: Value,
    query: Option<Value>,
    app: Option<Value>,
}

/// Pushes the raw fields, under csvlog's column names.
fn push_raw(ev: &mut Event, rec: &Rec<'_>, level: Level) -> Result<Raw, DecodeError> {
    push_str(ev, R::LogTime, some(rec.log_time));
    let user_raw = push_str(ev, R::UserName, rec.user);
    let db_raw = push_str(ev, R::DatabaseName, rec.db);
    let pid = push_int(ev, R::ProcessId, rec.pid)?;
    push_str(ev, R::ConnectionFrom, rec.connection_from);
    push_str(ev, R::RemoteHost, rec.remote_host);
    push_str(ev, R::LocalAddress, rec.local_addr);
    let session_raw = push_str(ev, R::SessionId, rec.session_id);
    push_int(ev, R::SessionLineNum, rec.line_num)?;
    push_str(ev, R::CommandTag, rec.command_tag);
    push_str(ev, R::SessionStartTime, rec.session_start);
    push_str(ev, R::VirtualTransactionId, rec.vxid);
    push_int(ev, R::TransactionId, rec.xid)?;
    let sev = R::ErrorSeverity.name(ev);
    ev.push_raw(sev, Value::Static(level.name()));
    let sqlstate = push_str(ev, R::SqlStateCode, rec.sqlstate);
    let message = ev.store_str(rec.message);
    ev.push(keys::MESSAGE, FieldKind::Both, message);
    push_str(ev, R::Detail, rec.detail);
    push_str(ev, R::Hint, rec.hint);
    push_str(ev, R::InternalQuery, rec.internal_query);
    push_int(ev, R::InternalQueryPos, rec.internal_query_pos)?;
    push_str(ev, R::Context, rec.context);
    let query = push_str(ev, R::Query, rec.query);
    push_int(ev, R::QueryPos, rec.query_pos)?;
    push_str(ev, R::Location, rec.location);
    let app_raw = push_str(ev, R::ApplicationName, known(rec.app));
    push_str(ev, R::BackendType, rec.backend_type);
    push_int(ev, R::LeaderPid, rec.leader_pid)?;
    push_int(ev, R::QueryId, rec.query_id)?;
    Ok(Raw {
        user: user_raw,
        db: db_raw,
        pid,
        session: session_raw,
        sqlstate,
        message,
        query,
        app: app_raw,
    })
}

/// What happened: statement, parameters, duration, error, and for log
/// records the action, category, type and outcome.
fn push_what(
    ev: &mut Event,
    rec: &Rec<'_>,
    level: Level,
    raw: &Raw,
    said: &Said<'_>,
    dataset: &str,
) {
    if let Some(s) = said.statement {
        let v = ev.store_str(s);
        ev.push_norm(keys::DB_STATEMENT, v);
    } else if let (Some(q), true) = (raw.query, dataset == DATASET_LOG) {
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
    if let Some(code) = raw.sqlstate.filter(|_| rec.sqlstate != Some("00000")) {
        ev.push_norm(keys::ERROR_CODE, code);
    }
    if level.is_error() {
        ev.push_norm(keys::ERROR_MESSAGE, raw.message);
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
}
