//! FHIR R4 AuditEvent: one resource per record, as found in NDJSON exports,
//! in Bundles (the ingest layer frames each `entry[].resource`) and in single
//! pretty-printed resource files.
//!
//! Raw fields keep FHIR's element names, flattened with `.` (`agent.who.display`,
//! `entity.what.reference`, `subtype.code`); arrays of objects repeat the
//! name once per element, as in every JSON decoder of this crate. The
//! decoder also reads the resource as a tree, so that facts that belong to
//! one element stay together: the requesting agent gives `user.*` and
//! `client.*`, patient entities give `phiwatch.patient.ids`, and the
//! base64 `entity.query` is decoded into `url.*`.
//!
//! The URL helpers at the end (`rest_facts`, `patient_ids_from_query`) are
//! shared with the access-log decoders, which see the same FHIR REST calls
//! from the web server's side.

use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::access::{percent_decode, split_url};
use crate::json::{self, type_error};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct FhirAuditDecoder {
    /// Reused buffer for flattened names.
    path: String,
}

impl FhirAuditDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        FhirAuditDecoder {
            path: String::with_capacity(64),
        }
    }
}

impl Decoder for FhirAuditDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.trim_ascii();
        if record.is_empty() {
            return Ok(None);
        }
        let root: Json<'_> =
            serde_json::from_slice(record).map_err(|e| match std::str::from_utf8(record) {
                Ok(_) => json::json_error(e),
                Err(u) => crate::utf8_error(u),
            })?;
        let Json::Object(obj) = &root else {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "expected a JSON object (one FHIR resource)",
            ));
        };
        check_resource_type(obj)?;
        let time = recorded(obj)?;
        let mut ev = Event::with_capacity(time, 96, record.len() + 256);
        ev.set_origin(origin);
        self.path.clear();
        flatten_obj(&mut ev, &mut self.path, obj);
        json::tag(&mut ev, "fhir", "fhir.audit", "fhir-audit");
        ev.push_norm(keys::EVENT_KIND, Value::Static("event"));

        if let Some(id) = str_of(obj.get("id")) {
            ev.push_norm_str(keys::EVENT_ID, id);
        }
        if let Some(p) = obj.get("period") {
            period(&mut ev, p)?;
        }
        event_kind(&mut ev, obj)?;
        outcome(&mut ev, obj)?;
        agents(&mut ev, obj)?;
        source(&mut ev, obj);
        entities(&mut ev, obj)?;
        Ok(Some(ev))
    }
}

/// A resource type safe to print in an error: a short ASCII identifier.
fn printable_type(t: &str) -> Option<&str> {
    (!t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(t)
}

fn check_resource_type(obj: &Obj<'_>) -> Result<(), DecodeError> {
    match obj.get("resourceType") {
        Some(Json::String(t)) if t == "AuditEvent" => Ok(()),
        Some(Json::String(t)) => Err(DecodeError::new(
            ErrorKind::Schema,
            match printable_type(t) {
                Some(t) => format!("not an AuditEvent ({t})"),
                None => "not an AuditEvent (`resourceType` is not a resource type name)".into(),
            },
        )),
        Some(_) => Err(type_error("resourceType", "a string")),
        None => Err(DecodeError::new(
            ErrorKind::Schema,
            "missing `resourceType`: not a FHIR resource",
        )),
    }
}

fn time_error(field: &str, what: &str) -> DecodeError {
    DecodeError::new(ErrorKind::Time, format!("field `{field}`: {what}"))
}

/// `recorded`, the time the event was recorded (an `instant`).
fn recorded(obj: &Obj<'_>) -> Result<Timestamp, DecodeError> {
    match obj.get("recorded") {
        Some(Json::String(s)) => Timestamp::parse_rfc3339(s.as_bytes())
            .ok_or_else(|| time_error("recorded", "expected an RFC 3339 time")),
        None | Some(Json::Null) => Err(time_error("recorded", "missing (the event time)")),
        Some(_) => Err(time_error("recorded", "expected an RFC 3339 time string")),
    }
}

fn period(ev: &mut Event, p: &Json<'_>) -> Result<(), DecodeError> {
    let Json::Object(p) = p else {
        return Err(type_error("period", "an object (Period)"));
    };
    for (name, key) in [("start", keys::EVENT_START), ("end", keys::EVENT_END)] {
        match p.get(name) {
            None | Some(Json::Null) => {}
            Some(Json::String(s)) => match Timestamp::parse_rfc3339(s.as_bytes()) {
                Some(t) => ev.push_norm(key, Value::Time(t)),
                None => {
                    return Err(time_error(
                        &format!("period.{name}"),
                        "expected an RFC 3339 time",
                    ))
                }
            },
            Some(_) => {
                return Err(time_error(
                    &format!("period.{name}"),
                    "expected an RFC 3339 time string",
                ))
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Flattening the tree into raw fields (the same shape as `json::flatten_object`).

fn flatten_obj(ev: &mut Event, path: &mut String, obj: &Obj<'_>) {
    let base = path.len();
    for (k, v) in obj.iter() {
        if base > 0 {
            path.push('.');
        }
        path.push_str(k);
        flatten_value(ev, path, v);
        path.truncate(base);
    }
}

fn flatten_value(ev: &mut Event, path: &mut String, v: &Json<'_>) {
    match v {
        Json::Object(o) => flatten_obj(ev, path, o),
        Json::Array(items) => {
            let mut scalars = Vec::new();
            let mut objects = 0usize;
            flatten_array(ev, path, items, &mut scalars, &mut objects);
            if !scalars.is_empty() || objects == 0 {
                let list = ev.store_list(scalars);
                let name = ev.name(path);
                ev.push_raw(name, list);
            }
        }
        scalar => {
            let val = scalar_value(ev, scalar);
            let name = ev.name(path);
            ev.push_raw(name, val);
        }
    }
}

fn flatten_array(
    ev: &mut Event,
    path: &mut String,
    items: &[Json<'_>],
    scalars: &mut Vec<Value>,
    objects: &mut usize,
) {
    for item in items {
        match item {
            Json::Object(o) => {
                *objects += 1;
                flatten_obj(ev, path, o);
            }
            Json::Array(inner) => flatten_array(ev, path, inner, scalars, objects),
            scalar => {
                let v = scalar_value(ev, scalar);
                scalars.push(v);
            }
        }
    }
}

fn scalar_value(ev: &mut Event, v: &Json<'_>) -> Value {
    match v {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(Num::Int(i)) => Value::Int(*i),
        Json::Number(Num::Float(f)) => Value::Float(*f),
        Json::String(s) => ev.store_str(s),
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------
// A JSON tree that borrows its strings from the record (most FHIR strings
// have no escapes) and keeps objects as small vectors: cheaper to build
// than `serde_json::Value`, and field order is the record's.

enum Json<'a> {
    Null,
    Bool(bool),
    Number(Num),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Obj<'a>),
}

#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn as_i64(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(_) => None,
        }
    }
}

/// An object's members in order (a repeated key keeps every occurrence;
/// lookups see the first).
struct Obj<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Obj<'a> {
    fn get(&self, k: &str) -> Option<&Json<'a>> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Json<'a> {
    fn get(&self, k: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(o) => o.get(k),
            _ => None,
        }
    }

    fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Num::Int(i)))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(
            i64::try_from(u).map_or(Num::Float(u as f64), Num::Int),
        ))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Num::Float(f)))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element::<Json<'de>>()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(k) = map.next_key::<Json<'de>>()? {
            let Json::String(k) = k else {
                return Err(serde::de::Error::custom("object key is not a string"));
            };
            let v = map.next_value::<Json<'de>>()?;
            members.push((k, v));
        }
        Ok(Json::Object(Obj(members)))
    }
}

// ---------------------------------------------------------------------------
// Small accessors over the tree.

fn str_of<'a>(v: Option<&'a Json<'_>>) -> Option<&'a str> {
    match v {
        Some(Json::String(s)) if !s.is_empty() => Some(s.as_ref()),
        _ => None,
    }
}

fn at<'a, 'j>(v: &'a Json<'j>, path: &[&str]) -> Option<&'a Json<'j>> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at<'a>(v: &'a Json<'_>, path: &[&str]) -> Option<&'a str> {
    str_of(at(v, path))
}

/// The codings of a CodeableConcept (`{coding:[…]}`), or of a bare Coding.
fn codings<'a, 'j>(v: &'a Json<'j>) -> impl Iterator<Item = &'a Json<'j>> {
    let list: &[Json<'j>] = match v.get("coding") {
        Some(Json::Array(a)) => a,
        _ => std::slice::from_ref(v),
    };
    list.iter()
}

fn has_code(v: Option<&Json<'_>>, code: &str) -> bool {
    v.is_some_and(|v| codings(v).any(|c| str_at(c, &["code"]) == Some(code)))
}

fn array<'a, 'j>(obj: &'a Obj<'j>, name: &str) -> Result<&'a [Json<'j>], DecodeError> {
    match obj.get(name) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(a)) => Ok(a),
        Some(_) => Err(type_error(name, "an array")),
    }
}

// ---------------------------------------------------------------------------
// What happened: type, subtype, action, outcome.

fn event_kind(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let type_code = obj.get("type").and_then(|t| str_at(t, &["code"]));
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
    let action = match obj.get("action") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.as_ref()),
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
fn outcome(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let code = match obj.get("outcome") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.trim().parse::<i64>().ok()),
        Some(Json::Number(n)) => Some(n.as_i64()),
        // R5 made `outcome` a backbone element; read its code.
        Some(o @ Json::Object(_)) => Some(
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
    if let Some(desc) = str_of(obj.get("outcomeDesc")) {
        let key = if failed == Some(true) {
            keys::ERROR_MESSAGE
        } else {
            keys::EVENT_REASON
        };
        ev.push_norm_str(key, desc);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Who: agents.

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

fn agents(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
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
        obj.get("source").and_then(|s| {
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

fn source(ev: &mut Event, obj: &Obj<'_>) {
    let Some(src) = obj.get("source") else {
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

// ---------------------------------------------------------------------------
// What: entities.

/// The DICOM / HL7 object-role code of a patient.
const ROLE_PATIENT: &str = "1";

fn is_patient_role(entity: &Json<'_>) -> bool {
    entity.get("role").is_some_and(|r| {
        codings(r).any(|c| {
            str_at(c, &["code"]) == Some(ROLE_PATIENT)
                && str_at(c, &["system"]).is_none_or(|s| s.ends_with("object-role"))
        })
    })
}

/// Ids collected once each, in order of appearance. A set backs the list
/// once it grows, so that a record naming thousands of ids stays linear.
#[derive(Default)]
pub(crate) struct Ids(Vec<String>, Option<std::collections::HashSet<String>>);

impl Ids {
    const LINEAR: usize = 16;

    pub(crate) fn add(&mut self, id: &str) {
        if id.is_empty() {
            return;
        }
        let seen = match &mut self.1 {
            Some(set) => !set.insert(id.to_string()),
            None => self.0.iter().any(|x| x == id),
        };
        if seen {
            return;
        }
        self.0.push(id.to_string());
        if self.1.is_none() && self.0.len() > Self::LINEAR {
            self.1 = Some(self.0.iter().cloned().collect());
        }
    }

    /// Pushes `phiwatch.patient.ids` when there are any.
    pub(crate) fn push(&self, ev: &mut Event) {
        if self.0.is_empty() {
            return;
        }
        let values: Vec<Value> = self.0.iter().map(|s| ev.store_str(s)).collect();
        let list = ev.store_list(values);
        ev.push_norm(keys::PATIENT_IDS, list);
    }
}

fn entities(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
    let list = array(obj, "entity")?;
    let mut patients = Ids::default();
    let mut main: Option<(String, String)> = None;
    let mut first_patient: Option<String> = None;
    let mut query_done = false;
    for e in list {
        if !e.is_object() {
            return Err(type_error("entity", "an array of objects"));
        }
        let reference = match at(e, &["what", "reference"]) {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => parse_reference(s),
            Some(_) => return Err(type_error("entity.what.reference", "a string")),
        };
        let patient_role = is_patient_role(e);
        match reference {
            Some(("Patient", id)) => {
                patients.add(id);
                first_patient.get_or_insert_with(|| id.to_string());
            }
            Some((_, id)) if patient_role => patients.add(id),
            Some((t, id)) => {
                main.get_or_insert_with(|| (t.to_string(), id.to_string()));
            }
            None if patient_role => {
                if let Some(id) = str_at(e, &["what", "identifier", "value"]) {
                    patients.add(id);
                }
            }
            None => {}
        }
        match e.get("query") {
            None | Some(Json::Null) => {}
            Some(Json::String(q)) => {
                if !query_done {
                    query_done = query(ev, q, &mut patients);
                }
            }
            Some(_) => return Err(type_error("entity.query", "a base64 string")),
        }
    }
    patients.push(ev);
    let main = main.or_else(|| first_patient.map(|id| ("Patient".to_string(), id)));
    if let Some((t, id)) = main {
        ev.push_norm_str(keys::RESOURCE_TYPE, &t);
        ev.push_norm_str(keys::RESOURCE_ID, &id);
    }
    Ok(())
}

/// Decodes a base64 `entity.query` into a raw `entity.query.decoded` and
/// `url.*`. Whether it decoded: a query that is not base64 is kept raw only.
fn query(ev: &mut Event, b64: &str, patients: &mut Ids) -> bool {
    let Some(bytes) = base64_decode(b64.as_bytes()) else {
        return false;
    };
    let text = ev.store_bytes(&bytes);
    let name = ev.name("entity.query.decoded");
    ev.push_raw(name, text);
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return true;
    };
    let text = text.trim();
    let looks_like_url = !text.bytes().any(|b| b.is_ascii_whitespace())
        && (text.starts_with('/') || text.contains("://") || text.contains('?'));
    if !looks_like_url {
        // Not a URL (an HL7 v3 or SQL query): the whole text is the query.
        ev.push_norm_str(keys::URL_QUERY, text);
        return true;
    }
    ev.push_norm_str(keys::URL_ORIGINAL, text);
    let parts = split_url(text);
    if let Some(d) = parts.domain {
        ev.push_norm_str(keys::URL_DOMAIN, d);
    }
    let path = percent_decode(parts.path.as_bytes(), false);
    let v = ev.store_bytes(&path);
    ev.push_norm(keys::URL_PATH, v);
    let rest = rest_facts(false, parts.path);
    if let Some(q) = parts.query {
        let dq = percent_decode(q.as_bytes(), true);
        let v = ev.store_bytes(&dq);
        ev.push_norm(keys::URL_QUERY, v);
        patient_ids_from_query(rest.as_ref().map(|r| r.resource_type), q, patients);
    }
    if let Some(r) = rest {
        if r.resource_type == "Patient" {
            if let Some(id) = r.id {
                patients.add(id);
            }
        }
    }
    true
}

/// The type and id of a FHIR reference: `Patient/123`,
/// `Patient/123/_history/2`, `https://ehr.example/fhir/Patient/123`.
/// `None` for contained (`#x`), conditional and URN references.
pub(crate) fn parse_reference(r: &str) -> Option<(&str, &str)> {
    let r = r.trim();
    if r.starts_with('#') || r.starts_with("urn:") || r.contains('?') {
        return None;
    }
    let r = match r.find("/_history") {
        Some(i) => &r[..i],
        None => r,
    };
    let mut segs = r.rsplit('/');
    let id = segs.next()?;
    let t = segs.next()?;
    (is_type_name(t) && is_id(id)).then_some((t, id))
}

fn is_type_name(t: &str) -> bool {
    t.len() <= 64
        && t.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A FHIR logical id: `[A-Za-z0-9\-\.]{1,64}`.
fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Standard or URL-safe base64, padding optional, whitespace ignored.
pub(crate) fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut pad = 0usize;
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be padding zeros; 6 leftover bits is a broken length.
    (bits < 6 && pad <= 2).then_some(out)
}

// ---------------------------------------------------------------------------
// FHIR REST URLs, shared with the access-log decoders.

/// What a FHIR REST path says: `[base]/Patient/123/_history/2`,
/// `[base]/Observation?…`, `[base]/Group/7/$export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rest<'a> {
    /// The resource type (`Patient`), or `""` for a system-level call.
    pub(crate) resource_type: &'a str,
    /// The resource id.
    pub(crate) id: Option<&'a str>,
    /// An operation (`$export`), with its `$`.
    pub(crate) operation: Option<&'a str>,
    /// A version id (`_history/2`), or `Some("")` for a history call.
    pub(crate) history: Option<&'a str>,
    /// `_search` (a POST search).
    pub(crate) search: bool,
}

impl Rest<'_> {
    /// The FHIR interaction for an HTTP method: `read`, `vread`,
    /// `search-type`, `$export`, … .
    pub(crate) fn interaction(&self, method: &str) -> Option<&str> {
        if let Some(op) = self.operation {
            return Some(op);
        }
        if self.resource_type.is_empty() {
            return None;
        }
        Some(match (method, self.id, self.history) {
            ("GET" | "HEAD", Some(_), Some(v)) if !v.is_empty() => "vread",
            ("GET" | "HEAD", Some(_), Some(_)) => "history-instance",
            ("GET" | "HEAD", None, Some(_)) => "history-type",
            ("GET" | "HEAD", Some(_), None) => "read",
            ("GET" | "HEAD", None, None) => "search-type",
            ("POST", None, _) if self.search => "search-type",
            ("POST", None, _) => "create",
            ("PUT", _, _) => "update",
            ("PATCH", _, _) => "patch",
            ("DELETE", _, _) => "delete",
            _ => return None,
        })
    }
}

/// The FHIR REST facts of a URL path (not decoded; segments are matched as
/// they are), when one of its segments is an R4 resource type or an
/// operation. `known_only` limits resource types to the R4 list (for
/// arbitrary web paths); FHIR audit queries accept any capitalised name.
pub(crate) fn rest_facts(known_only: bool, path: &str) -> Option<Rest<'_>> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_type = |s: &str| {
        R4_TYPES.binary_search(&s).is_ok() || !known_only && is_type_name(s) && s.len() > 2
    };
    let start = segs.iter().position(|s| is_type(s));
    let Some(i) = start else {
        // A system-level operation: `[base]/$export`.
        let op = segs.last().filter(|s| s.starts_with('$') && s.len() > 1)?;
        let looks_fhir = segs.len() == 1 || segs.iter().any(|s| s.eq_ignore_ascii_case("fhir"));
        return looks_fhir.then_some(Rest {
            resource_type: "",
            id: None,
            operation: Some(op),
            history: None,
            search: false,
        });
    };
    let mut rest = Rest {
        resource_type: segs[i],
        id: None,
        operation: None,
        history: None,
        search: false,
    };
    let mut tail = segs.get(i + 1..).unwrap_or(&[]).iter();
    match tail.next() {
        None => {}
        Some(s) if s.starts_with('$') => rest.operation = Some(s),
        Some(&"_search") => rest.search = true,
        Some(&"_history") => rest.history = Some(tail.next().copied().unwrap_or("")),
        Some(s) if is_id(s) => {
            rest.id = Some(s);
            match tail.next() {
                Some(s) if s.starts_with('$') => rest.operation = Some(s),
                Some(&"_history") => rest.history = Some(tail.next().copied().unwrap_or("")),
                _ => {}
            }
        }
        Some(_) => return None,
    }
    Some(rest)
}

/// Patient ids named by a FHIR search query (raw, percent-encoded):
/// `patient=123`, `subject=Patient/123`, `patient:Patient=…`, and `_id=`
/// on a Patient search. Comma-separated values give several ids.
pub(crate) fn patient_ids_from_query(resource_type: Option<&str>, query: &str, out: &mut Ids) {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name.as_bytes(), true);
        let name = name.split(|&b| b == b':').next().unwrap_or(&[]);
        let kind = match name {
            b"patient" | b"beneficiary" => 1,
            b"subject" => 2,
            b"_id" if resource_type == Some("Patient") => 1,
            _ => continue,
        };
        let value = percent_decode(value.as_bytes(), true);
        let Ok(value) = std::str::from_utf8(&value) else {
            continue;
        };
        for v in value.split(',') {
            let v = v.trim();
            match parse_reference(v) {
                Some(("Patient", id)) => out.add(id),
                Some(_) => {}
                None if kind == 1 && is_id(v) => out.add(v),
                None => {}
            }
        }
    }
}

/// The FHIR R4 resource types, sorted (for `binary_search`).
const R4_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level and dotted nested names): a FHIR resource with an AuditEvent's
/// `recorded` or `agent`, which Patient, Observation and the other clinical
/// resources do not have.
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    has("resourceType") && (has("recorded") || has("agent"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_probe() {
        let probe = |keys: &[&str]| detect_json(&|k| keys.contains(&k));
        assert!(probe(&[
            "resourceType",
            "id",
            "recorded",
            "agent",
            "source"
        ]));
        assert!(!probe(&[
            "resourceType",
            "id",
            "name",
            "gender",
            "birthDate"
        ]));
        assert!(!probe(&["resourceType", "id", "status", "code", "subject"]));
        assert!(!probe(&["recorded", "agent"]));
    }

    #[test]
    fn types_are_sorted() {
        assert!(R4_TYPES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode(b"aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(base64_decode(b"aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(base64_decode(b"a").as_deref(), None);
        assert_eq!(base64_decode(b"a!==").as_deref(), None);
    }

    #[test]
    fn references() {
        assert_eq!(parse_reference("Patient/123"), Some(("Patient", "123")));
        assert_eq!(
            parse_reference("https://x.example/fhir/Patient/1/_history/2"),
            Some(("Patient", "1"))
        );
        assert_eq!(parse_reference("#o1"), None);
        assert_eq!(parse_reference("Patient?identifier=x"), None);
    }

    #[test]
    fn rest_paths() {
        let r = rest_facts(true, "/fhir/r4/Patient/123/_history/2").unwrap();
        assert_eq!(r.interaction("GET"), Some("vread"));
        let r = rest_facts(true, "/fhir/Group/g1/$export").unwrap();
        assert_eq!(
            (r.resource_type, r.interaction("GET")),
            ("Group", Some("$export"))
        );
        let r = rest_facts(true, "/fhir/$export").unwrap();
        assert_eq!(r.interaction("GET"), Some("$export"));
        assert!(rest_facts(true, "/static/app.js").is_none());
        let mut ids = Ids::default();
        patient_ids_from_query(
            Some("Observation"),
            "patient=p1,p2&subject=Patient%2Fp3&code=x",
            &mut ids,
        );
        assert_eq!(ids.0, ["p1", "p2", "p3"]);
        let mut many = Ids::default();
        for i in 0..1000 {
            many.add(&format!("p{}", i % 50));
        }
        assert_eq!(many.0.len(), 50);
        assert_eq!(many.0[49], "p49");
    }
}
