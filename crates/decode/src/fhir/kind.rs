//! What happened: the event's type, subtype, action and outcome.

use phiwatch_event::{keys, Event, Value};

use crate::json::type_error;
use crate::jtree::{get, Json, Obj};
use crate::DecodeError;

use super::{array, at, str_at, str_of};

pub(super) fn event_kind(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let type_code = get(obj, "type").and_then(|t| str_at(t, &["code"]));
    if let Some(code) = type_code {
        ev.push_norm_str(keys::EVENT_CODE, code);
    }
    let subtypes = array(obj, "subtype")?;
    // An operation's name (`$export`) is the most telling; else the first
    // subtype's code, or its display for numeric (DICOM) codes.
    let op = subtypes
        .iter()
        .filter_map(|s| str_at(s, &["code"]))
        .find(|c| c.starts_with('$'));
    let first = subtypes.first().and_then(|s| {
        let code = str_at(s, &["code"]);
        let display = str_at(s, &["display"]);
        match code {
            Some(c) if c.bytes().all(|b| b.is_ascii_digit()) => display.or(Some(c)),
            Some(c) => Some(c),
            None => display,
        }
    });
    if let Some(action) = op.or(first) {
        ev.push_norm_str(keys::EVENT_ACTION, action);
    }
    let action = match get(obj, "action") {
        None | Some(Json::Null) => None,
        Some(Json::Str(s)) => Some(s.as_ref()),
        Some(_) => return Err(type_error("action", "a code (C, R, U, D or E)")),
    };
    let ecs_type = match action {
        Some("C") => Some("creation"),
        Some("R") => Some("access"),
        Some("U") => Some("change"),
        Some("D") => Some("deletion"),
        // Execute: FHIR records searches and operations as E.
        Some("E") if type_code == Some("rest") => Some("access"),
        Some("E") => Some("info"),
        _ => None,
    };
    if let Some(t) = ecs_type {
        ev.push_norm(keys::EVENT_TYPE, Value::Static(t));
    }
    if type_code == Some("110114") {
        ev.push_norm(keys::EVENT_CATEGORY, Value::Static("authentication"));
    }
    Ok(())
}

/// `outcome`: 0 success, 4 minor, 8 serious, 12 major failure.
pub(super) fn outcome(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let code = match get(obj, "outcome") {
        None | Some(Json::Null) => None,
        Some(Json::Str(s)) => Some(s.trim().parse::<i64>().ok()),
        Some(Json::Int(i)) => Some(Some(*i)),
        Some(Json::Float(_)) => Some(None),
        // R5 made `outcome` a backbone element; read its code.
        Some(o @ Json::Obj(_)) => Some(
            at(o, &["code"])
                .and_then(|c| str_at(c, &["code"]))
                .and_then(|s| s.parse::<i64>().ok()),
        ),
        Some(_) => Some(None),
    };
    let failed = match code {
        None => None,
        Some(Some(0)) => Some(false),
        Some(Some(4 | 8 | 12)) => Some(true),
        Some(_) => return Err(type_error("outcome", "an outcome code (0, 4, 8 or 12)")),
    };
    if let Some(failed) = failed {
        let o = if failed { "failure" } else { "success" };
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
    }
    if let Some(desc) = str_of(get(obj, "outcomeDesc")) {
        let key = if failed == Some(true) {
            keys::ERROR_MESSAGE
        } else {
            keys::EVENT_REASON
        };
        ev.push_norm_str(key, desc);
    }
    Ok(())
}
