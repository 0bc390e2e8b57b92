//! The documents together: names, the report JSON (contract fields at the
//! top level, round trip), the CSVs, and PHI only in individuals.csv.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{read, report, SCENARIOS};
use phiwatch_inventory::{Patient, Patients};
use phiwatch_report::{documents, individuals_csv, iocs_csv, Report, PHI_WARNING};
use serde_json::Value;

fn patients() -> Vec<Patient> {
    Patients::parse(&read("vendor-compromise.patients.csv"), "patients.csv")
        .unwrap()
        .list
}

#[test]
fn names_and_types() {
    let r = report("vendor-compromise");
    let docs = documents(&r, None).unwrap();
    let names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names[..5],
        [
            "report.html",
            "report.json",
            "forensic-summary.md",
            "attack-layer.json",
            "iocs.csv"
        ]
    );
    assert_eq!(docs.len(), 5 + 6); // six letters in this scenario
    assert!(docs.iter().all(|d| !d.phi && !d.content.is_empty()));
    assert!(!names.contains(&"individuals.csv"));
    let with = documents(&r, Some(&patients())).unwrap();
    assert_eq!(with.len(), docs.len() + 1);
    let last = with.last().unwrap();
    assert_eq!((last.name.as_str(), last.phi), ("individuals.csv", true));
    assert_eq!(with.iter().filter(|d| d.phi).count(), 1);
}

#[test]
fn report_json_has_the_contract_fields_at_the_top() {
    for s in SCENARIOS {
        let r = report(s);
        let v: Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        for key in [
            "window",
            "actors",
            "silos",
            "individuals",
            "categories",
            "exfiltration",
            "timeline",
            "attack",
            "iocs",
            "data_gaps",
            "totals",
            "review",
            "hipaa",
            "facts",
            "generated",
            "generator",
        ] {
            assert!(v.get(key).is_some(), "{s}: {key}");
        }
        for key in [
            "name",
            "kind",
            "categories",
            "records_accessed",
            "bytes",
            "actors",
            "first",
            "last",
        ] {
            assert!(v["silos"][0].get(key).is_some(), "{s}: silos[].{key}");
        }
        assert!(v["individuals"]["total"].is_u64() && v["individuals"]["by_state"].is_object());
        assert!(
            v["exfiltration"]["bytes"].is_u64() && v["exfiltration"]["destinations"].is_array()
        );
        let h = &v["hipaa"];
        for key in [
            "breach_presumed",
            "individual_deadline",
            "media_states",
            "substitute_notice",
            "state_notices",
        ] {
            assert!(h.get(key).is_some(), "{s}: hipaa.{key}");
        }
        for key in ["required", "deadline", "mode"] {
            assert!(h["hhs"].get(key).is_some(), "{s}: hipaa.hhs.{key}");
        }
        assert_eq!(h["hhs"]["mode"], "contemporaneous");
        assert_eq!(v["generated"], "2026-11-29T12:00:00.000000Z");
        assert!(v["generator"].as_str().unwrap().starts_with("phiwatch "));
        // The scope's fields are as the scope serializes them.
        let scope: Value = serde_json::to_value(&r.scope).unwrap();
        for (k, val) in scope.as_object().unwrap() {
            assert_eq!(&v[k], val, "{s}: {k}");
        }
        // Round trip.
        let back = Report::from_json(&r.to_json().unwrap()).unwrap();
        assert_eq!(back, r, "{s}");
    }
}

#[test]
fn facts_come_from_the_scope() {
    let r = report("slow-drip");
    let f = &r.facts;
    assert_eq!(f.covered_entity, "Example Community Hospital");
    assert_eq!(f.individuals, 5000);
    assert_eq!(f.by_state, r.scope.individuals.by_state);
    assert_eq!((f.deceased, f.without_contact), (179, 326));
    assert_eq!(f.categories, r.scope.categories);
    assert_eq!(f.breach_start.unwrap().to_string(), "2026-11-02");
    assert_eq!(f.breach_end.unwrap().to_string(), "2026-11-04");
    assert_eq!(f.evidence.silos, ["ehr.patients", "billing.claims"]);
    assert_eq!(f.evidence.bytes_out, 504_843_072);
    assert_eq!(f.evidence.destinations.len(), 19);
    assert!(f.evidence.exfiltration_seen);
    assert!(f
        .evidence
        .summary
        .as_deref()
        .unwrap()
        .contains("2 data silo(s)"));
    assert!(f.check().is_empty(), "{:?}", f.check());
}

#[test]
fn individuals_csv_one_row_per_patient() {
    let list = patients();
    assert_eq!(list.len(), 5000);
    let csv = individuals_csv(&list);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5002);
    assert_eq!(lines[0], PHI_WARNING);
    assert_eq!(lines[1], "patient_id,state,deceased,contact");
    // It reads back as the same list (without the comment line).
    let body = csv.split_once('\n').unwrap().1;
    let back = Patients::parse(body, "individuals.csv").unwrap().list;
    assert_eq!(back, list);
    // And agrees with the scope of the scenario, where every patient was
    // reached by a bulk read.
    let r = report("vendor-compromise");
    assert_eq!(
        back.iter().filter(|p| p.deceased).count() as u64,
        r.scope.individuals.deceased
    );
    for (state, n) in &r.scope.individuals.by_state {
        assert_eq!(
            back.iter().filter(|p| &p.state == state).count() as u64,
            *n,
            "{state}"
        );
    }
    // Quoting.
    let odd = Patient {
        id: "a,\"b\"".into(),
        state: "MA".into(),
        deceased: true,
        contact: false,
    };
    assert!(individuals_csv(&[odd]).ends_with("\"a,\"\"b\"\"\",MA,true,false\n"));
}

#[test]
fn phi_only_in_individuals_csv() {
    let list = patients();
    // Every id of the synthetic list starts so: a document without the
    // prefix holds none of them.
    assert!(list.iter().all(|p| p.id.starts_with("pt-0")));
    for s in SCENARIOS {
        let r = report(s);
        for d in documents(&r, Some(&list)).unwrap() {
            if d.phi {
                assert_eq!(d.name, "individuals.csv");
                assert_eq!(d.content.matches("\npt-0").count(), 5000, "{s}");
            } else {
                assert!(!d.content.contains("pt-0"), "{s}: {}", d.name);
            }
        }
    }
}

#[test]
fn iocs_csv_rows() {
    let exp: Value = serde_json::from_str(&read("expected.json")).unwrap();
    for s in SCENARIOS {
        let r = report(s);
        let csv = iocs_csv(&r.scope.iocs);
        assert_eq!(
            csv.lines().count() as u64,
            exp[s]["iocs"].as_u64().unwrap() + 1,
            "{s}"
        );
        assert!(csv.starts_with("kind,value,context\n"));
        for i in &r.scope.iocs {
            assert!(
                csv.contains(&format!("{},{},", i.kind, i.value)),
                "{s}: {}",
                i.value
            );
        }
    }
}
