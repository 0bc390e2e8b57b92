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
//! The FHIR REST helpers (`rest`: `rest_facts`, `patient_ids_from_query`) are
//! shared with the access-log decoders, which see the same FHIR REST calls
//! from the web server's side.

mod agents;
mod entities;
mod flatten;
mod kind;
mod rest;

use phiwatch_event::{keys, Event, Origin, Timestamp, Value};

use crate::json::{self, type_error};
use crate::jtree::{get, Json, Obj};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use agents::{agents, source};
use entities::entities;
use flatten::flatten_obj;
use kind::{event_kind, outcome};

pub(crate) use entities::Ids;
pub(crate) use rest::{patient_ids_from_query, rest_facts};

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
        let Json::Obj(obj) = &root else {
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

        if let Some(id) = str_of(get(obj, "id")) {
            ev.push_norm_str(keys::EVENT_ID, id);
        }
        if let Some(p) = get(obj, "period") {
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
    match get(obj, "resourceType") {
        Some(Json::Str(t)) if t == "AuditEvent" => Ok(()),
        Some(Json::Str(t)) => Err(DecodeError::new(
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
    match get(obj, "recorded") {
        Some(Json::Str(s)) => Timestamp::parse_rfc3339(s.as_bytes())
            .ok_or_else(|| time_error("recorded", "expected an RFC 3339 time")),
        None | Some(Json::Null) => Err(time_error("recorded", "missing (the event time)")),
        Some(_) => Err(time_error("recorded", "expected an RFC 3339 time string")),
    }
}

fn period(ev: &mut Event, p: &Json<'_>) -> Result<(), DecodeError> {
    let Json::Obj(p) = p else {
        return Err(type_error("period", "an object (Period)"));
    };
    for (name, key) in [("start", keys::EVENT_START), ("end", keys::EVENT_END)] {
        match get(p, name) {
            None | Some(Json::Null) => {}
            Some(Json::Str(s)) => match Timestamp::parse_rfc3339(s.as_bytes()) {
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
// Small accessors over the tree.

fn str_of<'a>(v: Option<&'a Json<'_>>) -> Option<&'a str> {
    match v {
        Some(Json::Str(s)) if !s.is_empty() => Some(s.as_ref()),
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
        Some(Json::Arr(a)) => a,
        _ => std::slice::from_ref(v),
    };
    list.iter()
}

fn has_code(v: Option<&Json<'_>>, code: &str) -> bool {
    v.is_some_and(|v| codings(v).any(|c| str_at(c, &["code"]) == Some(code)))
}

fn array<'a, 'j>(obj: &'a Obj<'j>, name: &str) -> Result<&'a [Json<'j>], DecodeError> {
    match get(obj, name) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Arr(a)) => Ok(a),
        Some(_) => Err(type_error(name, "an array")),
    }
}

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
}
