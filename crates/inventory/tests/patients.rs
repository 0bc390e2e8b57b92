//! The patients CSV: defaults, every problem with its line, one read per
//! file however many silos name it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_inventory::{Inventory, Patients};

#[test]
fn columns_defaults_and_lookup() {
    let p = Patients::parse(
        "patient_id,state,deceased,contact\npt-1,ma,false,true\npt-2,,true,\npt-3,TX,no,0\n",
        "p.csv",
    )
    .unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p.list[0].state, "MA");
    assert_eq!(p.list[1].state, "unknown");
    assert!(p.list[1].deceased);
    assert!(p.list[1].contact, "an empty contact column means on file");
    assert!(!p.list[2].contact);
    assert_eq!(p.position("pt-3"), Some(2));
    assert_eq!(p.position("pt-4"), None);
    // Only the two required columns, in another order.
    let p = Patients::parse("state,patient_id\nCA,a\n", "p.csv").unwrap();
    assert_eq!(
        (p.list[0].id.as_str(), p.list[0].state.as_str()),
        ("a", "CA")
    );
    assert!(!p.list[0].deceased && p.list[0].contact);
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = "patient_id,state,deceased\npt-1,MA,false\n,MA,false\npt-3,Massachusetts,false\npt-4,MA,maybe\npt-1,NY,false\npt-6,NY,true\n";
    let e = Patients::parse(text, "p.csv").unwrap_err();
    let lines: Vec<(usize, &str)> = e.0.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(e.0.len(), 4, "{e}");
    assert_eq!(lines[0].0, 3);
    assert!(lines[0].1.contains("empty patient_id"));
    assert_eq!(lines[1].0, 4);
    assert!(lines[1].1.contains("two-letter"));
    assert_eq!(lines[2].0, 5);
    assert!(lines[2].1.contains("deceased"));
    assert_eq!(lines[3].0, 6);
    assert!(lines[3].1.contains("twice"));
    assert!(e.to_string().starts_with("p.csv:3: "));
    let e = Patients::parse("id,where\n1,2\n", "p.csv").unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(e.0[0].message.contains("patient_id and state"));
}

#[test]
fn silos_share_a_file_and_missing_files_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pts.csv"),
        "patient_id,state\npt-1,MA\npt-2,NY\n",
    )
    .unwrap();
    let inv_path = dir.path().join("inventory.toml");
    std::fs::write(
        &inv_path,
        r#"
[[silo]]
name = "a"
kind = "table"
match = { table = "a" }
categories = ["name"]
patients = "pts.csv"

[[silo]]
name = "b"
kind = "api"
match = { resource = "Patient" }
categories = ["name"]
patients = "pts.csv"

[[silo]]
name = "c"
kind = "table"
match = { table = "c" }
categories = ["name"]
"#,
    )
    .unwrap();
    let inv = Inventory::load(&inv_path).unwrap();
    let t = inv.load_patients().unwrap();
    assert_eq!(t.tables.len(), 1);
    assert_eq!(t.of_silo, vec![Some(0), Some(0), None]);
    assert_eq!(t.of(1).unwrap().len(), 2);
    assert!(t.of(2).is_none());
    std::fs::remove_file(dir.path().join("pts.csv")).unwrap();
    let e = inv.load_patients().unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(e.0[0].message.contains("cannot read"));
}
