//! Flattening an EVTX JSON record (`{"Event":{…}}`) into raw fields named
//! as Sigma rules name them: `System` children and attributes, `EventData`,
//! `UserData`.

use phiwatch_event::{Event, Timestamp, Value};

use crate::json;
use crate::jtree::{get, Json, Obj};
use crate::{DecodeError, ErrorKind};

/// The `#attributes` object of an element, if any.
fn attributes<'o, 'a>(obj: &'o Obj<'a>) -> &'o Obj<'a> {
    match get(obj, "#attributes") {
        Some(Json::Obj(a)) => a,
        _ => &[],
    }
}

fn scalar(ev: &mut Event, v: &Json<'_>) -> Option<Value> {
    Some(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::Int(*i),
        Json::Float(f) => Value::Float(*f),
        Json::Str(s) => match canonical_guid(s) {
            Some(g) => ev.store_str(std::str::from_utf8(&g).unwrap_or(s)),
            None => ev.store_str(s),
        },
        Json::Arr(_) | Json::Obj(_) => return None,
    })
}

/// A GUID in the form Windows renders GUID-typed values (`{UPPERCASE}`,
/// as in Event Viewer's XML and in Sigma rules), for the two other forms
/// exporters use: the `evtx` crate's `{lowercase}` and older evtx_dump /
/// Chainsaw exports' bare `UPPERCASE`. Bare GUIDs with lowercase letters are
/// string data (`ScriptBlockId`) and are left alone.
fn canonical_guid(s: &str) -> Option<[u8; 38]> {
    let b = s.as_bytes();
    let inner = match b.len() {
        38 if b[0] == b'{' && b[37] == b'}' => &b[1..37],
        36 if !b.iter().any(u8::is_ascii_lowercase) => b,
        _ => return None,
    };
    let mut out = [0u8; 38];
    out[0] = b'{';
    out[37] = b'}';
    for (i, &c) in inner.iter().enumerate() {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        if dash != (c == b'-') || !(dash || c.is_ascii_hexdigit()) {
            return None;
        }
        out[i + 1] = c.to_ascii_uppercase();
    }
    if b.len() == 38 && out[..] == *b {
        // Already canonical: no need to rewrite.
        return None;
    }
    Some(out)
}

/// Pushes `v` as raw field `name`: scalars as they are, arrays of scalars as
/// lists (the `#text` of element objects in them), an element with text as
/// its text (its attributes under `name.attribute`), other objects as dotted
/// paths, arrays of objects as one field per element.
pub(super) fn put(ev: &mut Event, name: &str, v: &Json<'_>) {
    match v {
        Json::Arr(items) => {
            if items
                .iter()
                .all(|i| !matches!(i, Json::Obj(_) | Json::Arr(_)))
            {
                let start = ev.begin_list();
                for i in items {
                    if let Some(s) = scalar(ev, i) {
                        ev.push_item(s);
                    }
                }
                let list = ev.end_list(start);
                push_named(ev, name, list);
            } else {
                for i in items {
                    put(ev, name, i);
                }
            }
        }
        Json::Obj(members) => {
            if let Some(text) = get(members, "#text") {
                put(ev, name, text);
            }
            let mut path = String::with_capacity(name.len() + 16);
            for (k, child) in members {
                let k: &str = k;
                if k == "#text" {
                    continue;
                }
                if k == "#attributes" {
                    if let Json::Obj(attrs) = child {
                        for (a, av) in attrs {
                            if a == "xmlns" {
                                continue;
                            }
                            dotted(&mut path, name, a);
                            put(ev, &path, av);
                        }
                    }
                    continue;
                }
                dotted(&mut path, name, k);
                put(ev, &path, child);
            }
        }
        _ => {
            if let Some(s) = scalar(ev, v) {
                push_named(ev, name, s);
            }
        }
    }
}

fn dotted(path: &mut String, a: &str, b: &str) {
    path.clear();
    path.push_str(a);
    path.push('.');
    path.push_str(b);
}

fn push_named(ev: &mut Event, name: &str, v: Value) {
    let n = ev.name(name);
    ev.push_raw(n, v);
}

pub(super) fn flatten_event(ev: &mut Event, event: &Obj<'_>) -> Result<(), DecodeError> {
    let Some(Json::Obj(system)) = get(event, "System") else {
        return Err(DecodeError::new(
            ErrorKind::Schema,
            "missing `Event.System` object",
        ));
    };
    flatten_system(ev, system)?;
    for (section, v) in event {
        let section: &str = section;
        match section {
            "System" | "#attributes" => {}
            "EventData" => flatten_event_data(ev, v),
            "UserData" => flatten_user_data(ev, v),
            other => put(ev, other, v),
        }
    }
    Ok(())
}

fn flatten_system(ev: &mut Event, system: &Obj<'_>) -> Result<(), DecodeError> {
    let mut time = None;
    for (k, v) in system {
        let k: &str = k;
        // Exports made with separate attributes (`evtx_dump
        // --separate-json-attributes`): `Provider_attributes` beside
        // `"Provider": null`.
        if let Some(base) = k.strip_suffix("_attributes") {
            if let Json::Obj(attrs) = v {
                system_attributes(ev, base, attrs, &mut time)?;
            }
            continue;
        }
        match (k, v) {
            ("EventID", v) => push_event_id(ev, v)?,
            (_, Json::Obj(el)) => {
                if let Some(text) = get(el, "#text") {
                    put(ev, k, text);
                }
                system_attributes(ev, k, attributes(el), &mut time)?;
            }
            // An empty element (`"Correlation": null`) carries nothing.
            (_, Json::Null) => {}
            _ => put(ev, k, v),
        }
    }
    match time {
        Some(t) => {
            ev.set_time(t);
            Ok(())
        }
        None => Err(DecodeError::new(
            ErrorKind::Time,
            "missing time: `Event.System.TimeCreated.SystemTime` is absent",
        )),
    }
}

/// The attributes of a `System` element: `Provider`'s as `Provider_<name>`,
/// `TimeCreated`'s `SystemTime` as `TimeCreated` (the event's time), others
/// (`Execution`, `Security`, `Correlation`, `EventID`'s `Qualifiers`) by
/// their own names.
fn system_attributes(
    ev: &mut Event,
    element: &str,
    attrs: &Obj<'_>,
    time: &mut Option<Timestamp>,
) -> Result<(), DecodeError> {
    match element {
        "Provider" => {
            let mut name = String::with_capacity(24);
            for (a, av) in attrs {
                name.clear();
                name.push_str("Provider_");
                name.push_str(a);
                put(ev, &name, av);
            }
        }
        "TimeCreated" => {
            if let Some(st) = get(attrs, "SystemTime") {
                put(ev, "TimeCreated", st);
                *time = Some(match st {
                    Json::Str(s) => Timestamp::parse_rfc3339(s.as_bytes()).ok_or_else(|| {
                        DecodeError::new(
                            ErrorKind::Time,
                            "field `TimeCreated.SystemTime`: expected an RFC 3339 time",
                        )
                    })?,
                    _ => {
                        return Err(DecodeError::new(
                            ErrorKind::Time,
                            "field `TimeCreated.SystemTime`: expected an RFC 3339 time string",
                        ))
                    }
                });
            }
        }
        _ => {
            for (a, av) in attrs {
                if a != "xmlns" {
                    put(ev, a, av);
                }
            }
        }
    }
    Ok(())
}

/// `EventID`, either a number or `{"#text": n, "#attributes": {"Qualifiers": q}}`.
pub(super) fn push_event_id(ev: &mut Event, v: &Json<'_>) -> Result<(), DecodeError> {
    let (id, attrs): (&Json<'_>, &Obj<'_>) = match v {
        Json::Obj(el) => match get(el, "#text") {
            Some(t) => (t, attributes(el)),
            None => return Err(json::type_error("EventID", "an integer")),
        },
        other => (other, &[]),
    };
    let n = match id {
        Json::Int(i) => *i,
        Json::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| json::type_error("EventID", "an integer"))?,
        _ => return Err(json::type_error("EventID", "an integer")),
    };
    push_named(ev, "EventID", Value::Int(n));
    for (a, av) in attrs {
        put(ev, a, av);
    }
    Ok(())
}

fn flatten_event_data(ev: &mut Event, v: &Json<'_>) {
    match v {
        Json::Obj(children) => {
            for (k, child) in children {
                let k: &str = k;
                match k {
                    "Data" => flatten_data(ev, child),
                    "#text" => put(ev, "Data", child),
                    "#attributes" => {
                        if let Json::Obj(attrs) = child {
                            for (a, av) in attrs {
                                if a != "xmlns" {
                                    put(ev, a, av);
                                }
                            }
                        }
                    }
                    _ => put(ev, k, child),
                }
            }
        }
        Json::Null => {}
        other => put(ev, "EventData", other),
    }
}

/// An `EventData` `Data` member: unnamed values (a list under `Data`) or,
/// in exports that keep attributes apart, elements named by their `Name`.
fn flatten_data(ev: &mut Event, v: &Json<'_>) {
    let named = |j: &Json<'_>| -> bool {
        matches!(j, Json::Obj(o) if matches!(get(attributes(o), "Name"), Some(Json::Str(_))))
    };
    match v {
        Json::Arr(items) if items.iter().any(named) => {
            for item in items {
                flatten_data(ev, item);
            }
        }
        Json::Obj(o) if named(v) => {
            if let Some(Json::Str(name)) = get(attributes(o), "Name") {
                let name: &str = name;
                match get(o, "#text") {
                    Some(text) => put(ev, name, text),
                    None => push_named(ev, name, Value::Null),
                }
            }
        }
        Json::Obj(o) => match get(o, "#text") {
            Some(Json::Arr(items)) => put(ev, "Data", &Json::Arr(items_ref(items))),
            Some(text) => put_list(ev, "Data", text),
            None => put(ev, "Data", v),
        },
        Json::Arr(_) => put(ev, "Data", v),
        other => put_list(ev, "Data", other),
    }
}

/// A one-item list of a scalar.
fn put_list(ev: &mut Event, name: &str, v: &Json<'_>) {
    match scalar(ev, v) {
        Some(s) => {
            let start = ev.begin_list();
            ev.push_item(s);
            let list = ev.end_list(start);
            push_named(ev, name, list);
        }
        None => put(ev, name, v),
    }
}

/// A shallow copy of scalar items (objects become their text, else null).
fn items_ref<'a>(items: &[Json<'a>]) -> Vec<Json<'a>> {
    items
        .iter()
        .map(|i| match i {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(*b),
            Json::Int(n) => Json::Int(*n),
            Json::Float(f) => Json::Float(*f),
            Json::Str(s) => Json::Str(s.clone()),
            Json::Obj(o) => match get(o, "#text") {
                Some(Json::Str(s)) => Json::Str(s.clone()),
                Some(Json::Int(n)) => Json::Int(*n),
                _ => Json::Null,
            },
            Json::Arr(_) => Json::Null,
        })
        .collect()
}

fn flatten_user_data(ev: &mut Event, v: &Json<'_>) {
    match v {
        Json::Obj(inner) => {
            for (name, el) in inner {
                let name: &str = name;
                match el {
                    Json::Obj(children) => {
                        for (k, child) in children {
                            let k: &str = k;
                            if k == "#attributes" {
                                continue;
                            }
                            put(ev, k, child);
                        }
                    }
                    other => put(ev, name, other),
                }
            }
        }
        Json::Null => {}
        other => put(ev, "UserData", other),
    }
}
