//! Synthea FHIR bulk export lines (synthetic patients, Apache-2.0; see
//! tests/data/synthea/README.md): clinical codes are not identifiers, the
//! patients' own birth dates, phones and ZIP codes are.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use phiwatch_phi::{scan_document, Layout, ScanConfig, Scanner};

fn counts(file: &str) -> BTreeMap<(String, String), usize> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/synthea")
        .join(file);
    let bytes = std::fs::read(path).unwrap();
    let scanner = Scanner::new(ScanConfig::default());
    let mut found = Vec::new();
    scan_document(&scanner, &bytes, Layout::Ndjson, &mut found);
    let mut m = BTreeMap::new();
    for f in found {
        *m.entry((f.ty.name().to_owned(), f.key.unwrap_or_default()))
            .or_default() += 1;
    }
    m
}

#[test]
fn clinical_codes_are_not_identifiers() {
    for file in ["Encounter.ndjson", "Condition.ndjson"] {
        let m = counts(file);
        let coded: Vec<_> = m.keys().filter(|(_, key)| key.contains("coding")).collect();
        assert!(
            coded.is_empty(),
            "{file}: codes reported as identifiers: {coded:?}"
        );
    }
}

#[test]
fn patient_identifiers_are_found() {
    let m = counts("Patient.ndjson");
    let get = |ty: &str, key: &str| {
        m.get(&(ty.to_owned(), key.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(get("DATE_OF_BIRTH", "birthDate"), 2, "{m:?}");
    assert_eq!(get("PHONE_NUMBER", "telecom[0].value"), 2, "{m:?}");
    assert_eq!(get("ZIP_CODE", "address[0].postalCode"), 2, "{m:?}");
}
