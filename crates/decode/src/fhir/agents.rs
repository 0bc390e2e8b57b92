//! Who: the agents (the requesting user and client, the application) and the
//! source observer.

use phiwatch_event::{keys, Event, Value};

use crate::json::type_error;
use crate::jtree::{get, Json, Obj};
use crate::DecodeError;

use super::{array, codings, has_code, str_at};

const DCM_APPLICATION: &str = "110150";
const DCM_DESTINATION: &str = "110152";

fn is_human(agent: &Json<'_>) -> bool {
    has_code(agent.get("type"), "humanuser")
}

fn is_application(agent: &Json<'_>) -> bool {
    let t = agent.get("type");
    has_code(t, DCM_APPLICATION)
        || t.is_some_and(|t| codings(t).any(|c| str_at(c, &["display"]) == Some("Application")))
}

pub(super) fn agents(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let list = array(obj, "agent")?;
    for a in list {
        if !a.is_object() {
            return Err(type_error("agent", "an array of objects"));
        }
        match a.get("requestor") {
            None | Some(Json::Null | Json::Bool(_)) => {}
            Some(_) => return Err(type_error("agent.requestor", "a boolean")),
        }
    }
    let requestor = list
        .iter()
        .find(|a| matches!(a.get("requestor"), Some(Json::Bool(true))))
        .or_else(|| list.iter().find(|a| is_human(a)));
    if let Some(a) = requestor {
        let id = str_at(a, &["who", "identifier", "value"])
            .or_else(|| str_at(a, &["who", "reference"]))
            .or_else(|| str_at(a, &["altId"]));
        let name = str_at(a, &["who", "display"])
            .or_else(|| str_at(a, &["altId"]))
            .or_else(|| str_at(a, &["who", "identifier", "value"]))
            .or_else(|| str_at(a, &["name"]));
        if let Some(id) = id {
            ev.push_norm_str(keys::USER_ID, id);
        }
        if let Some(name) = name {
            ev.push_norm_str(keys::USER_NAME, name);
        }
        if let Some(full) = str_at(a, &["name"]) {
            ev.push_norm_str(keys::USER_FULL_NAME, full);
        }
        let roles: Vec<&str> = a
            .get("role")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                str_at(r, &["text"]).or_else(|| {
                    codings(r).find_map(|c| str_at(c, &["display"]).or(str_at(c, &["code"])))
                })
            })
            .collect();
        if !roles.is_empty() {
            let values: Vec<Value> = roles.iter().map(|r| ev.store_str(r)).collect();
            let list = ev.store_list(values);
            ev.push_norm(keys::USER_ROLES, list);
        }
    }
    // The client's address: the requestor's network, else the first
    // non-destination agent's.
    let address = requestor
        .and_then(|a| str_at(a, &["network", "address"]))
        .or_else(|| {
            list.iter()
                .filter(|a| !has_code(a.get("type"), DCM_DESTINATION))
                .find_map(|a| str_at(a, &["network", "address"]))
        });
    if let Some(addr) = address {
        ev.push_norm_str(keys::CLIENT_ADDRESS, addr);
        if let Ok(ip) = addr.trim().parse() {
            ev.push_norm(keys::CLIENT_IP, Value::Ip(ip));
        }
    }
    let app = list.iter().filter(|a| is_application(a)).find_map(|a| {
        str_at(a, &["who", "display"])
            .or_else(|| str_at(a, &["name"]))
            .or_else(|| str_at(a, &["who", "identifier", "value"]))
            .or_else(|| str_at(a, &["who", "reference"]))
    });
    let app = app.or_else(|| {
        get(obj, "source").and_then(|s| {
            str_at(s, &["observer", "display"])
                .or_else(|| str_at(s, &["observer", "identifier", "value"]))
                .or_else(|| str_at(s, &["observer", "reference"]))
        })
    });
    if let Some(app) = app {
        ev.push_norm_str(keys::CLIENT_APPLICATION, app);
    }
    Ok(())
}

pub(super) fn source(ev: &mut Event, obj: &Obj<'_>) {
    let Some(src) = get(obj, "source") else {
        return;
    };
    let observer = str_at(src, &["observer", "display"])
        .or_else(|| str_at(src, &["observer", "identifier", "value"]))
        .or_else(|| str_at(src, &["observer", "reference"]));
    if let Some(o) = observer {
        ev.push_norm_str(keys::OBSERVER_NAME, o);
    }
    if let Some(site) = str_at(src, &["site"]) {
        ev.push_norm_str(keys::OBSERVER_HOSTNAME, site);
    }
}
