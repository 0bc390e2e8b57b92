//! What: the entities (patients, resources, the base64 `query`), FHIR
//! references, and the patient-id set shared with the access-log decoders.

use phiwatch_event::{keys, Event, Value};

use crate::json::type_error;
use crate::jtree::{Json, Obj};
use crate::url::{percent_decode, split_url};
use crate::DecodeError;

use super::rest::{patient_ids_from_query, rest_facts};
use super::{array, at, codings, str_at};

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
pub(crate) struct Ids(
    pub(super) Vec<String>,
    Option<std::collections::HashSet<String>>,
);

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

pub(super) fn entities(ev: &mut Event, obj: &Obj<'_>) -> Result<(), DecodeError> {
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
            Some(Json::Str(s)) => parse_reference(s),
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
            Some(Json::Str(q)) => {
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

pub(super) fn is_type_name(t: &str) -> bool {
    t.len() <= 64
        && t.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A FHIR logical id: `[A-Za-z0-9\-\.]{1,64}`.
pub(super) fn is_id(id: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
