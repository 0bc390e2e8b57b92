//! Windows events: EVTX records (rendered to JSON by the ingest layer with the
//! `evtx` crate) and their JSON exports (evtx_dump, Chainsaw `dump`: one
//! `{"Event":{…}}` object per record), plus Hayabusa JSON timeline records.
//!
//! Fields are flattened under the names Sigma rules use: the `System`
//! children by their own names (`EventID`, `Channel`, `Computer`, `Level`,
//! …), `Provider`'s attributes as `Provider_Name` / `Provider_Guid`, other
//! `System` attributes by their own names (`ProcessID`, `ThreadID`, `UserID`,
//! `ActivityID`), `TimeCreated` as its `SystemTime`, every `EventData` child
//! by its name (`Image`, `CommandLine`, `TargetUserName`, …), unnamed
//! `EventData` `Data` elements as a list under `Data`, and the children of
//! `UserData`'s inner element by their names. Other sections (rare:
//! `RenderingInfo`, `ProcessingErrorData`) keep dotted paths.
//!
//! Process, user, network, file, registry and logon facts are added under ECS
//! and `phiwatch.*` names.

use std::borrow::Cow;
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, Conv};
use crate::jtree::{get, Json, Obj};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct WindowsDecoder;

impl WindowsDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        WindowsDecoder
    }
}

impl Decoder for WindowsDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        // A UTF-8 BOM starts files written by Windows tools (PowerShell).
        let record = record.trim_ascii();
        let record = record.strip_prefix(b"\xef\xbb\xbf").unwrap_or(record);
        if record.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let root: Json<'_> = serde_json::from_str(text).map_err(json::json_error)?;
        let Json::Obj(top) = root else {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "expected a JSON object (`{\"Event\":{…}}` or a Hayabusa record)",
            ));
        };
        let mut ev = Event::with_capacity(Timestamp::EPOCH, 64, text.len() + 128);
        let hayabusa = match get(&top, "Event") {
            Some(Json::Obj(event)) => {
                flatten_event(&mut ev, event)?;
                false
            }
            Some(_) => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "field `Event`: expected an object",
                ))
            }
            None if is_hayabusa(&top) => {
                flatten_hayabusa(&mut ev, &top)?;
                true
            }
            None => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "missing `Event` object (EVTX JSON) and not a Hayabusa timeline record",
                ))
            }
        };
        ev.set_origin(origin);
        normalize(&mut ev, hayabusa)?;
        Ok(Some(ev))
    }
}

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level and dotted nested names).
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    // `Event.System` answers for parsed lines; the text sniff used for
    // pretty-printed documents sees key names only (`System`). An
    // `{"Event":…}` object without the usual keys of generic JSON logs is
    // taken as an export too.
    let generic = [
        "@timestamp",
        "timestamp",
        "time",
        "ts",
        "date",
        "message",
        "msg",
        "level",
        "user",
        "host",
        "type",
    ]
    .iter()
    .any(|k| has(k));
    let evtx = has("Event") && (has("System") || has("Event.System") || !generic);
    let hayabusa = has("Timestamp")
        && has("EventID")
        && has("Channel")
        && has("RuleTitle")
        && (has("RecordID") || has("Computer"));
    evtx || hayabusa
}

// ---------------------------------------------------------------------------
// Flattening.

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
fn put(ev: &mut Event, name: &str, v: &Json<'_>) {
    match v {
        Json::Arr(items) => {
            if items.iter().all(|i| !matches!(i, Json::Obj(_) | Json::Arr(_))) {
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

fn flatten_event(ev: &mut Event, event: &Obj<'_>) -> Result<(), DecodeError> {
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
fn push_event_id(ev: &mut Event, v: &Json<'_>) -> Result<(), DecodeError> {
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

// ---------------------------------------------------------------------------
// Hayabusa.

fn is_hayabusa(top: &Obj<'_>) -> bool {
    get(top, "Timestamp").is_some()
        && get(top, "EventID").is_some()
        && (get(top, "Channel").is_some() || get(top, "Computer").is_some())
}

/// A Hayabusa timeline record: its header fields by their names
/// (`RecordID` also as `EventRecordID`), `AllFieldInfo` and `ExtraFieldInfo`
/// children by their (original) names, `Details` (abbreviated names) under
/// `Details.<name>`.
fn flatten_hayabusa(ev: &mut Event, top: &Obj<'_>) -> Result<(), DecodeError> {
    for (k, v) in top {
        let k: &str = k;
        match (k, v) {
            ("EventID", v) => push_event_id(ev, v)?,
            ("RecordID", v) => {
                put(ev, "RecordID", v);
                put(ev, "EventRecordID", v);
            }
            ("AllFieldInfo" | "ExtraFieldInfo", Json::Obj(fields)) => {
                for (f, fv) in fields {
                    put(ev, f, fv);
                }
            }
            _ => put(ev, k, v),
        }
    }
    let time = match get(top, "Timestamp") {
        Some(Json::Str(s)) => parse_hayabusa_time(s).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "field `Timestamp`: expected a time like `2016-08-19 08:06:57.658 +09:00`",
            )
        })?,
        _ => {
            return Err(DecodeError::new(
                ErrorKind::Time,
                "field `Timestamp`: expected a time string",
            ))
        }
    };
    ev.set_time(time);
    Ok(())
}

/// Hayabusa's times: `2016-08-19 08:06:57.658 +09:00` (local, the default),
/// RFC 3339 (`--ISO-8601`), or `… UTC`-style suffixes.
fn parse_hayabusa_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some(t) = Timestamp::parse_rfc3339(s.as_bytes()) {
        return Some(t);
    }
    // `date time offset`: drop the space before the offset.
    let (head, off) = s.rsplit_once(' ')?;
    let off = match off {
        "UTC" | "Z" => "Z",
        o => o,
    };
    let mut joined = String::with_capacity(s.len());
    joined.push_str(head);
    joined.push_str(off);
    Timestamp::parse_rfc3339(joined.as_bytes())
}

// ---------------------------------------------------------------------------
// Normalization.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dataset {
    Security,
    Sysmon,
    PowerShell,
    System,
    Application,
    Other,
}

impl Dataset {
    fn of(channel: &str) -> Dataset {
        let c = channel.trim();
        if c.eq_ignore_ascii_case("Security") || c == "Sec" {
            Dataset::Security
        } else if c.eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational") || c == "Sysmon" {
            Dataset::Sysmon
        } else if c.eq_ignore_ascii_case("Microsoft-Windows-PowerShell/Operational")
            || c.eq_ignore_ascii_case("Windows PowerShell")
            || c.eq_ignore_ascii_case("PowerShellCore/Operational")
            || c.starts_with("PwSh")
        {
            Dataset::PowerShell
        } else if c.eq_ignore_ascii_case("System") || c == "Sys" {
            Dataset::System
        } else if c.eq_ignore_ascii_case("Application") || c == "App" {
            Dataset::Application
        } else {
            Dataset::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dataset::Security => "windows.security",
            Dataset::Sysmon => "windows.sysmon",
            Dataset::PowerShell => "windows.powershell",
            Dataset::System => "windows.system",
            Dataset::Application => "windows.application",
            Dataset::Other => "windows.other",
        }
    }
}

/// A raw string field that carries a value (not empty, not `-`).
fn text<'e>(ev: &'e Event, name: &str) -> Option<&'e str> {
    match ev.get_by_name(name) {
        Some(ValueRef::Str(s)) => {
            let t = s.trim();
            (!t.is_empty() && t != "-").then_some(t)
        }
        _ => None,
    }
}

/// Copies the first of `from` that holds a value (not empty, not `-`).
fn alias_text(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) -> bool {
    for f in from {
        if text(ev, f).is_some() {
            return json::alias(ev, f, to, Conv::Same);
        }
    }
    false
}

/// A process id: a number, decimal text or `0x…` hex text.
fn pid(ev: &Event, name: &str) -> Option<i64> {
    match ev.get_by_name(name)? {
        ValueRef::Int(i) => Some(i),
        ValueRef::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => i64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// An address: `-`/empty are none; `::ffff:a.b.c.d` is read as IPv4.
fn ip(ev: &Event, name: &str) -> Option<IpAddr> {
    let v = ev.get_by_name(name)?;
    let ip = match v {
        ValueRef::Ip(ip) => ip,
        ValueRef::Str(s) => s.trim().trim_matches(['[', ']']).parse().ok()?,
        _ => return None,
    };
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

fn alias_ip(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) -> bool {
    for f in from {
        if let Some(a) = ip(ev, f) {
            ev.push_norm(to, Value::Ip(a));
            return true;
        }
    }
    false
}

fn alias_port(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) {
    for f in from {
        let p = match ev.get_by_name(f) {
            Some(v) => v.as_i64(),
            None => continue,
        };
        if let Some(p) = p.filter(|p| (0..=65_535).contains(p)) {
            ev.push_norm(to, Value::Int(p));
            return;
        }
    }
}

/// Event ids that are logons (the user is the target, not the subject).
fn is_logon_event(id: i64) -> bool {
    matches!(
        id,
        4624 | 4625 | 4634 | 4647 | 4648 | 4672 | 4768 | 4769 | 4771 | 4776 | 4778 | 4779
    )
}

fn logon_type_name(t: i64) -> Option<&'static str> {
    Some(match t {
        0 => "system",
        2 => "interactive",
        3 => "network",
        4 => "batch",
        5 => "service",
        7 => "unlock",
        8 => "network-cleartext",
        9 => "new-credentials",
        10 => "remote-interactive",
        11 => "cached-interactive",
        12 => "cached-remote-interactive",
        13 => "cached-unlock",
        _ => return None,
    })
}

fn action(ds: Dataset, provider: Option<&str>, id: i64) -> Option<&'static str> {
    let sysmon = ds == Dataset::Sysmon || provider == Some("Microsoft-Windows-Sysmon");
    if sysmon {
        return Some(match id {
            1 => "process-created",
            2 => "file-creation-time-changed",
            3 => "network-connection",
            4 => "sysmon-state-changed",
            5 => "process-terminated",
            6 => "driver-loaded",
            7 => "image-loaded",
            8 => "create-remote-thread",
            9 => "raw-access-read",
            10 => "process-access",
            11 => "file-created",
            12 => "registry-object-added-or-deleted",
            13 => "registry-value-set",
            14 => "registry-object-renamed",
            15 => "file-stream-created",
            17 => "pipe-created",
            18 => "pipe-connected",
            19..=21 => "wmi-activity",
            22 => "dns-query",
            23 => "file-deleted",
            24 => "clipboard-changed",
            25 => "process-tampering",
            26 => "file-deleted-detected",
            27 => "file-block-executable",
            28 => "file-block-shredding",
            29 => "file-executable-detected",
            _ => return None,
        });
    }
    Some(match (ds, id) {
        (Dataset::Security, 4624) => "logged-in",
        (Dataset::Security, 4625) => "logon-failed",
        (Dataset::Security, 4634 | 4647) => "logged-out",
        (Dataset::Security, 4648) => "logged-in-explicit",
        (Dataset::Security, 4672) => "logged-in-special",
        (Dataset::Security, 4688) => "created-process",
        (Dataset::Security, 4689) => "exited-process",
        (Dataset::Security, 4663) => "object-access",
        (Dataset::Security, 4656) => "object-handle-requested",
        (Dataset::Security, 4698) => "scheduled-task-created",
        (Dataset::Security, 4720) => "added-user-account",
        (Dataset::Security, 4726) => "deleted-user-account",
        (Dataset::Security, 4728 | 4732 | 4756) => "added-member-to-group",
        (Dataset::Security, 4768) => "kerberos-authentication-ticket-requested",
        (Dataset::Security, 4769) => "kerberos-service-ticket-requested",
        (Dataset::Security, 4771) => "kerberos-preauth-failed",
        (Dataset::Security, 4776) => "credential-validated",
        (Dataset::Security, 1102) | (Dataset::System, 104) => "audit-log-cleared",
        (Dataset::Security, 5140) => "network-share-object-accessed",
        (Dataset::Security, 5145) => "network-share-object-checked",
        (Dataset::Security, 5156) => "network-connection-allowed",
        (Dataset::System, 7045) => "service-installed",
        (Dataset::PowerShell, 4103) => "module-logging",
        (Dataset::PowerShell, 4104) => "script-block-logging",
        _ => return None,
    })
}

fn normalize(ev: &mut Event, hayabusa: bool) -> Result<(), DecodeError> {
    let id = match ev.get_by_name("EventID") {
        Some(ValueRef::Int(i)) => i,
        _ => return Err(DecodeError::new(ErrorKind::Schema, "missing `EventID`")),
    };
    let ds = text(ev, "Channel").map_or(Dataset::Other, Dataset::of);
    json::tag(ev, "windows", ds.name(), "windows");
    let code = id.to_string();
    ev.push_norm_str(keys::EVENT_CODE, &code);
    alias_text(ev, &["Computer"], keys::HOST_NAME);
    alias_text(ev, &["Provider_Name"], keys::EVENT_PROVIDER);
    if !hayabusa {
        if let Some(level) = ev.get_by_name("Level").and_then(|v| v.as_i64()) {
            let name = match level {
                0 | 4 => Some("information"),
                1 => Some("critical"),
                2 => Some("error"),
                3 => Some("warning"),
                5 => Some("verbose"),
                _ => None,
            };
            if let Some(n) = name {
                ev.push_norm(keys::LOG_LEVEL, Value::Static(n));
            }
        }
    } else {
        alias_text(ev, &["RuleTitle"], keys::RULE_NAME);
    }

    // Event action and outcome.
    let provider = text(ev, "Provider_Name").map(str::to_owned);
    match action(ds, provider.as_deref(), id) {
        Some(a) => ev.push_norm(keys::EVENT_ACTION, Value::Static(a)),
        None => ev.push_norm_str(keys::EVENT_ACTION, &code),
    }
    let security = ds == Dataset::Security;
    let outcome = match id {
        4624 if security => Some("success"),
        4625 | 4771 if security => Some("failure"),
        4768 | 4769 | 4776 if security => match ev.get_by_name("Status") {
            Some(ValueRef::Str(s)) => Some(if is_zero_status(s) {
                "success"
            } else {
                "failure"
            }),
            Some(ValueRef::Int(0)) => Some("success"),
            Some(ValueRef::Int(_)) => Some("failure"),
            _ => None,
        },
        _ => None,
    };
    if let Some(o) = outcome {
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
    }

    process(ev, hayabusa);
    user(ev, security && is_logon_event(id), hayabusa);
    network(ev, hayabusa);

    alias_text(ev, &["QueryName"], keys::DNS_QUESTION_NAME);
    alias_text(ev, &["TargetFilename"], keys::FILE_PATH);
    alias_text(ev, &["TargetObject"], keys::REGISTRY_PATH);

    // How the user authenticated.
    if security && is_logon_event(id) {
        let package = text(ev, "AuthenticationPackageName").map(str::to_ascii_lowercase);
        match package {
            Some(p) => ev.push_norm_str(keys::AUTH_METHOD, &p),
            None => {
                let lt = ev.get_by_name("LogonType").and_then(|v| v.as_i64());
                if let Some(n) = lt.and_then(logon_type_name) {
                    ev.push_norm(keys::AUTH_METHOD, Value::Static(n));
                }
            }
        }
    }
    Ok(())
}

fn is_zero_status(s: &str) -> bool {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b == b'0')
}

fn process(ev: &mut Event, hayabusa: bool) {
    let exe = alias_text(ev, &["Image", "NewProcessName"], keys::PROCESS_EXECUTABLE)
        || (hayabusa && alias_text(ev, &["Details.Proc"], keys::PROCESS_EXECUTABLE));
    if exe {
        if let Some(name) = ev
            .get(keys::PROCESS_EXECUTABLE)
            .and_then(|v| v.as_str())
            .and_then(|p| p.rsplit(['\\', '/']).next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
        {
            ev.push_norm_str(keys::PROCESS_NAME, &name);
        }
    }
    if !alias_text(ev, &["CommandLine"], keys::PROCESS_COMMAND_LINE) && hayabusa {
        alias_text(ev, &["Details.Cmdline"], keys::PROCESS_COMMAND_LINE);
    }
    alias_text(
        ev,
        &["ParentImage", "ParentProcessName"],
        keys::PROCESS_PARENT_EXECUTABLE,
    );
    alias_text(
        ev,
        &["ParentCommandLine"],
        keys::PROCESS_PARENT_COMMAND_LINE,
    );
    // Security 4688 names the new process `NewProcessId` and its creator
    // `ProcessId`; Sysmon names them `ProcessId` and `ParentProcessId`.
    if let Some(p) = pid(ev, "NewProcessId") {
        ev.push_norm(keys::PROCESS_PID, Value::Int(p));
        if let Some(pp) = pid(ev, "ProcessId") {
            ev.push_norm(keys::PROCESS_PARENT_PID, Value::Int(pp));
        }
    } else {
        if let Some(p) =
            pid(ev, "ProcessId").or_else(|| hayabusa.then(|| pid(ev, "Details.PID")).flatten())
        {
            ev.push_norm(keys::PROCESS_PID, Value::Int(p));
        }
        if let Some(pp) = pid(ev, "ParentProcessId") {
            ev.push_norm(keys::PROCESS_PARENT_PID, Value::Int(pp));
        }
    }
}

fn user(ev: &mut Event, logon: bool, hayabusa: bool) {
    let pairs: &[(&str, &str, &str)] = if logon {
        &[
            ("TargetUserName", "TargetDomainName", "TargetUserSid"),
            ("SubjectUserName", "SubjectDomainName", "SubjectUserSid"),
        ]
    } else {
        &[
            ("SubjectUserName", "SubjectDomainName", "SubjectUserSid"),
            ("TargetUserName", "TargetDomainName", "TargetUserSid"),
        ]
    };
    for (name, domain, sid) in pairs {
        if text(ev, name).is_some() {
            alias_text(ev, &[name], keys::USER_NAME);
            alias_text(ev, &[domain], keys::USER_DOMAIN);
            alias_text(ev, &[sid], keys::USER_ID);
            return;
        }
    }
    // Sysmon and others: `User` as `DOMAIN\name`.
    let user = ["User", "Details.User", "Details.TgtUser"]
        .into_iter()
        .filter(|n| hayabusa || !n.starts_with("Details."))
        .find_map(|n| text(ev, n))
        .map(str::to_owned);
    if let Some(u) = user {
        match u.split_once('\\') {
            Some((d, n)) if !n.is_empty() => {
                ev.push_norm_str(keys::USER_NAME, n);
                if !d.is_empty() {
                    ev.push_norm_str(keys::USER_DOMAIN, d);
                }
            }
            _ => ev.push_norm_str(keys::USER_NAME, &u),
        }
    }
    if ev.get(keys::USER_ID).is_none() {
        alias_text(ev, &["UserID"], keys::USER_ID);
    }
}

fn network(ev: &mut Event, hayabusa: bool) {
    let src: &[&str] = if hayabusa {
        &["IpAddress", "SourceIp", "SourceAddress", "Details.SrcIP"]
    } else {
        &["IpAddress", "SourceIp", "SourceAddress"]
    };
    if alias_ip(ev, src, keys::SOURCE_IP) {
        alias_port(
            ev,
            &["IpPort", "SourcePort", "Details.SrcPort"],
            keys::SOURCE_PORT,
        );
    }
    let dst: &[&str] = if hayabusa {
        &["DestinationIp", "DestAddress", "Details.TgtIP"]
    } else {
        &["DestinationIp", "DestAddress"]
    };
    if alias_ip(ev, dst, keys::DESTINATION_IP) {
        alias_port(
            ev,
            &["DestinationPort", "DestPort", "Details.TgtPort"],
            keys::DESTINATION_PORT,
        );
    }
    alias_text(ev, &["WorkstationName"], keys::SOURCE_DOMAIN);
    alias_text(ev, &["SourceHostname"], keys::SOURCE_DOMAIN);
    alias_text(ev, &["DestinationHostname"], keys::DESTINATION_DOMAIN);
    if let Some(p) = text(ev, "Protocol").map(str::to_ascii_lowercase) {
        if matches!(p.as_str(), "tcp" | "udp" | "icmp") {
            ev.push_norm_str(keys::NETWORK_TRANSPORT, &p);
        }
    }
}
