//! Percona Audit Log Plugin JSON: `{"audit_record":{"name":"Query",…}}`.

use phiwatch_event::{keys, Event, Timestamp, Value, ValueRef};

use crate::json::{self, copy_checked, Conv};
use crate::{DecodeError, ErrorKind};

use super::{
    categorize, first_str, non_empty, parse_user_host, push_client, push_status, push_user,
    statement_fields, time_error, Activity, DATASET, FORMAT, MODULE,
};

pub(super) fn percona(ev: &mut Event) -> Result<(), DecodeError> {
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
