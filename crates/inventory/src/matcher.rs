//! Which silo an event touches.

use phiwatch_event::{keys, Event, Key, ValueRef};

use crate::{Inventory, Silo, SiloMatch};

fn text(ev: &Event, key: Key) -> Option<&str> {
    match ev.get(key)? {
        ValueRef::Str(s) if !s.is_empty() && s != "-" => Some(s),
        _ => None,
    }
}

/// Whether the table named in an event (`patients`, `ehr.patients`,
/// `"EHR"."Patients"`) is `want` (`patients` or `ehr.patients`): compared
/// without quotes or case, schema-qualified names on either side.
fn same_table(seen: &str, want: &str) -> bool {
    let quoted = |s: &str| s.bytes().any(|b| matches!(b, b'"' | b'`' | b'[' | b']'));
    if !quoted(seen) && !quoted(want) {
        // The common case, without allocating.
        fn last(s: &str) -> &str {
            s.rsplit('.').next().unwrap_or("")
        }
        return seen.eq_ignore_ascii_case(want)
            || (!want.contains('.') && last(seen).eq_ignore_ascii_case(want))
            || (!seen.contains('.') && last(want).eq_ignore_ascii_case(seen));
    }
    let clean = |s: &str| s.replace(['"', '`', '[', ']'], "").to_ascii_lowercase();
    let (seen, want) = (clean(seen), clean(want));
    if seen == want {
        return true;
    }
    let last = |s: &str| s.rsplit('.').next().unwrap_or("").to_string();
    // One side qualified, the other not: compare the table part.
    (!want.contains('.') && last(&seen) == want) || (!seen.contains('.') && last(&want) == seen)
}

/// Whether a URL path names the resource type (`/fhir/Patient/123`,
/// `/fhir/Patient?name=x`, `/Patient/$export`).
fn path_names_resource(path: &str, resource: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|seg| seg == resource)
}

/// The fields silos match on, read once per event.
#[derive(Default)]
struct Fields<'a> {
    table: Option<&'a str>,
    db: Option<&'a str>,
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    file: Option<&'a str>,
    hosts: [Option<&'a str>; 3],
    resource: Option<&'a str>,
    url: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(ev: &'a Event) -> Fields<'a> {
        Fields {
            table: text(ev, keys::DB_SQL_TABLE),
            db: text(ev, keys::DB_NAME),
            bucket: text(ev, keys::PHIWATCH_OBJECT_BUCKET),
            key: text(ev, keys::PHIWATCH_OBJECT_KEY),
            file: text(ev, keys::FILE_PATH),
            hosts: [
                text(ev, keys::HOST_NAME),
                text(ev, keys::SERVER_ADDRESS),
                text(ev, keys::DESTINATION_DOMAIN),
            ],
            resource: text(ev, keys::RESOURCE_TYPE),
            url: text(ev, keys::URL_PATH),
        }
    }

    fn any(&self) -> bool {
        self.table.is_some()
            || self.bucket.is_some()
            || self.file.is_some()
            || self.resource.is_some()
            || self.url.is_some()
    }
}

impl Silo {
    /// Whether `ev` touches this silo.
    pub fn matches(&self, ev: &Event) -> bool {
        self.matches_fields(&Fields::of(ev))
    }

    fn matches_fields(&self, f: &Fields<'_>) -> bool {
        match &self.matcher {
            SiloMatch::Table { db, table } => {
                let Some(t) = f.table else {
                    return false;
                };
                if !same_table(t, table) {
                    return false;
                }
                match (db, f.db) {
                    (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
                    _ => true,
                }
            }
            SiloMatch::Bucket { bucket, prefix } => {
                f.bucket == Some(bucket.as_str())
                    && (prefix.is_empty() || f.key.is_some_and(|k| k.starts_with(prefix.as_str())))
            }
            SiloMatch::Path { host, path } => {
                let Some(p) = f.file else {
                    return false;
                };
                let norm = |s: &str| s.replace('\\', "/").to_ascii_lowercase();
                if !norm(p).starts_with(&norm(path)) {
                    return false;
                }
                match host {
                    None => true,
                    Some(h) => f.hosts.iter().flatten().any(|v| {
                        v.eq_ignore_ascii_case(h)
                            || v.split('.')
                                .next()
                                .is_some_and(|s| s.eq_ignore_ascii_case(h))
                    }),
                }
            }
            SiloMatch::Api { resource } => match f.resource {
                Some(r) => r == resource,
                None => f.url.is_some_and(|p| path_names_resource(p, resource)),
            },
        }
    }
}

impl Inventory {
    /// The index of the first silo `ev` touches.
    pub fn silo_of(&self, ev: &Event) -> Option<usize> {
        // Most events name none of the fields silos match on: look once.
        let f = Fields::of(ev);
        if !f.any() {
            return None;
        }
        self.silos.iter().position(|s| s.matches_fields(&f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_compare_with_or_without_schema() {
        assert!(same_table("ehr.patients", "patients"));
        assert!(same_table("patients", "ehr.patients"));
        assert!(same_table("\"EHR\".\"Patients\"", "ehr.patients"));
        assert!(!same_table("billing.patients", "ehr.patients"));
        assert!(!same_table("ehr.patients_archive", "patients"));
    }

    #[test]
    fn url_paths_name_resources_by_segment() {
        assert!(path_names_resource("/fhir/Patient/pt-1", "Patient"));
        assert!(path_names_resource("/fhir/Patient?family=x", "Patient"));
        assert!(path_names_resource("/fhir/Patient/$export", "Patient"));
        assert!(!path_names_resource("/fhir/PatientX/1", "Patient"));
        assert!(!path_names_resource(
            "/fhir/Observation?subject=Patient/1",
            "Patient"
        ));
    }
}
