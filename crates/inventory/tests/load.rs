//! Loading inventories: the generated hospital's loads with its silos,
//! networks and vendors; a broken file reports every problem with its line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use phiwatch_event::{keys, Event, Timestamp, Value};
use phiwatch_inventory::{Inventory, SiloKind, SiloMatch};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn the_generated_hospital_inventory_loads() {
    let inv = Inventory::load(&data("hospital.toml")).unwrap();
    let names: Vec<&str> = inv.silos.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ehr.patients",
            "ehr.encounters",
            "ehr.notes",
            "billing.claims",
            "s3.phi-exports",
            "fs.exports",
            "fhir.Patient"
        ]
    );
    assert_eq!(inv.silos[4].kind, SiloKind::Bucket);
    assert_eq!(
        inv.silos[0].matcher,
        SiloMatch::Table {
            db: Some("ehr".into()),
            table: "patients".into()
        }
    );
    assert_eq!(inv.silos[0].categories.len(), 7);
    assert_eq!(inv.internal_networks, ["10.0.0.0/8"]);
    assert_eq!(inv.vendors.len(), 3);
    assert_eq!(inv.vendors[0].name, "Acme Billing Services");
    assert_eq!(inv.vendors[0].accounts.len(), 6);
    assert_eq!(inv.vendors[0].networks, ["192.0.2.16/28"]);
    assert_eq!(inv.path, data("hospital.toml"));
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let err = Inventory::load(&data("broken.toml")).unwrap_err();
    let text = err.to_string();
    let lines: Vec<(usize, &str)> = err.0.iter().map(|p| (p.line, p.message.as_str())).collect();
    let expect: [(usize, &str); 10] = [
        (3, "kind \"tabel\" is not one of"),
        (9, "match needs \"bucket\""),
        (9, "category \"sosial\" is not one of"),
        (15, "unknown key \"colour\""),
        (15, "match key \"table\" does not apply to kind api"),
        (15, "name already used by the silo on line 3"),
        (21, "\"10.0.0.0/33\" is not an address or CIDR block"),
        (21, "\"not-a-net\" is not an address or CIDR block"),
        (21, "hours must be [from, to]"),
        (21, "vendors[2]: missing \"name\""),
    ];
    for (line, msg) in expect {
        assert!(
            lines.iter().any(|(l, m)| *l == line && m.contains(msg)),
            "missing line {line}: {msg}\n{text}"
        );
    }
    // And the unknown table, and nothing else.
    assert!(
        lines
            .iter()
            .any(|(_, m)| m.contains("unknown table or key \"extra\"")),
        "{text}"
    );
    assert_eq!(lines.len(), expect.len() + 1, "{text}");
    assert!(
        text.contains("broken.toml:3: silo \"ehr.patients\": kind"),
        "{text}"
    );
}

#[test]
fn syntax_errors_and_missing_files_are_problems_too() {
    let e = Inventory::parse("[[silo]]\nname = \n", "x.toml").unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].line, 2, "{e}");
    assert!(e.0[0].message.starts_with("not valid TOML"));
    let e = Inventory::load(Path::new("/nonexistent/inv.toml")).unwrap_err();
    assert_eq!(e.0[0].line, 0);
    assert!(e.to_string().contains("cannot read"));
}

fn event(fields: &[(phiwatch_event::Key, &'static str)]) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(1_800_000_000).unwrap());
    for (k, v) in fields {
        ev.push_norm(*k, Value::Static(v));
    }
    ev
}

#[test]
fn events_map_onto_their_silos() {
    let inv = Inventory::load(&data("hospital.toml")).unwrap();
    let silo = |ev: &Event| inv.silo_of(ev).map(|i| inv.silos[i].name.as_str());
    assert_eq!(
        silo(&event(&[
            (keys::DB_NAME, "ehr"),
            (keys::DB_SQL_TABLE, "ehr.patients")
        ])),
        Some("ehr.patients")
    );
    assert_eq!(
        silo(&event(&[
            (keys::DB_NAME, "billing"),
            (keys::DB_SQL_TABLE, "claims")
        ])),
        Some("billing.claims")
    );
    // Right table name, wrong database.
    assert_eq!(
        silo(&event(&[
            (keys::DB_NAME, "hr"),
            (keys::DB_SQL_TABLE, "patients")
        ])),
        None
    );
    assert_eq!(
        silo(&event(&[
            (
                keys::PHIWATCH_OBJECT_BUCKET,
                "examplehealth-phi-exports-3584"
            ),
            (keys::PHIWATCH_OBJECT_KEY, "exports/2026/a.csv")
        ])),
        Some("s3.phi-exports")
    );
    assert_eq!(
        silo(&event(&[
            (
                keys::PHIWATCH_OBJECT_BUCKET,
                "examplehealth-phi-exports-3584"
            ),
            (keys::PHIWATCH_OBJECT_KEY, "logs/a.csv")
        ])),
        None
    );
    assert_eq!(
        silo(&event(&[(keys::RESOURCE_TYPE, "Patient")])),
        Some("fhir.Patient")
    );
    assert_eq!(
        silo(&event(&[(keys::URL_PATH, "/fhir/Patient/pt-1")])),
        Some("fhir.Patient")
    );
    assert_eq!(silo(&event(&[(keys::RESOURCE_TYPE, "Observation")])), None);
    assert_eq!(
        silo(&event(&[
            (keys::FILE_PATH, "\\share\\exports\\x.zip"),
            (keys::HOST_NAME, "fs-01.corp")
        ])),
        Some("fs.exports")
    );
    assert_eq!(
        silo(&event(&[
            (keys::FILE_PATH, "/share/exports/x.zip"),
            (keys::HOST_NAME, "ws-9")
        ])),
        None
    );
}
