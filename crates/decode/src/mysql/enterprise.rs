//! MySQL Enterprise Audit JSON (`audit_log_format=JSON`, also Percona's audit
//! log filter): the class-specific objects become `db.*`, `client.*` and
//! `event.*` fields.

use phiwatch_event::{keys, Event, Timestamp, Value, ValueRef};

use crate::json::{self, copy_checked, Conv};
use crate::{DecodeError, ErrorKind};

use super::{
    categorize, first_str, non_empty, parse_user_host, push_client, push_status, push_user,
    statement_fields, time_error, Activity, DATASET, FORMAT, MODULE,
};

pub(super) fn enterprise(ev: &mut Event) -> Result<(), DecodeError> {
    let t = record_time(ev)?;
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

    push_account(ev);

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

    push_statistics(ev)?;
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

/// `timestamp` (UTC), else `time` (epoch seconds, with
/// `audit_log_format_unix_timestamp`).
fn record_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    Ok(match ev.get_raw("timestamp") {
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
    })
}

/// Account and client: `account` is the authenticated account, `login`
/// what the client sent; the audit log filter writes `user[priv] @ host [ip]`.
fn push_account(ev: &mut Event) {
    let user = first_str(ev, &["account.user", "login.user"]).map(parse_user_host);
    if let Some(uh) = &user {
        push_user(ev, &uh.user);
    }
    let ip = first_str(ev, &["login.ip"]).map(str::to_owned);
    let ip = ip.or_else(|| user.as_ref().and_then(|u| u.ip.clone()));
    let host = user.and_then(|u| u.host);
    push_client(ev, ip.as_deref(), host.as_deref());
}

/// `query_statistics`: rows sent and the query time.
fn push_statistics(ev: &mut Event) -> Result<(), DecodeError> {
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
    Ok(())
}
