//! `phiwatch scope` against the synthetic hospital's ground truth: for
//! each attack, the silos, the patients per silo, the totals and the
//! per-state counts equal what the generator knows it put in the logs;
//! and the bad-input paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{phiwatch_in, text};
use serde_json::Value;

fn generate(dir: &Path, scenario: &str) {
    let o = phiwatch_in(
        &[
            "demo",
            "generate",
            "--scenario",
            scenario,
            "--days",
            "3",
            "--scale",
            "small",
            "--seed",
            "1",
            "--out",
            scenario,
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

fn truth_scope(dir: &Path, scenario: &str) -> Value {
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(scenario).join("truth/truth.json")).unwrap(),
    )
    .unwrap();
    t["scope"].clone()
}

/// Runs `scope` with the truth's window and actors.
fn scope(dir: &Path, scenario: &str, truth: &Value) -> Value {
    let logs = format!("{scenario}/logs");
    let inv = format!("{scenario}/inventory/inventory.toml");
    let mut args: Vec<String> = vec![
        "scope".into(),
        logs,
        "--inventory".into(),
        inv,
        "--from".into(),
        truth["from"].as_str().unwrap().into(),
        "--to".into(),
        truth["to"].as_str().unwrap().into(),
    ];
    for a in truth["actors"].as_array().unwrap() {
        args.push("--actor".into());
        args.push(a.as_str().unwrap().into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = phiwatch_in(&args, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn check_against_truth(scenario: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, scenario);
    let truth = truth_scope(dir, scenario);
    let got = scope(dir, scenario, &truth);
    // Silos: the same names, the same patients each, bulk or not.
    let mut want: Vec<(String, u64, bool)> = truth["silos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["patients"].as_u64().unwrap(),
                s["bulk"].as_bool().unwrap(),
            )
        })
        .collect();
    let mut have: Vec<(String, u64, bool)> = got["silos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["patients"].as_u64().unwrap(),
                s["bulk"].as_bool().unwrap(),
            )
        })
        .collect();
    want.sort();
    have.sort();
    assert!(!want.is_empty());
    assert_eq!(have, want, "{scenario}: silos");
    let (gi, ti) = (&got["individuals"], &truth["individuals"]);
    for k in ["total", "deceased", "without_contact"] {
        assert_eq!(gi[k], ti[k], "{scenario}: individuals.{k}");
    }
    assert_eq!(gi["by_state"], ti["by_state"], "{scenario}: by_state");
    let sum: u64 = gi["by_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sum, gi["total"].as_u64().unwrap());
    // The contract's fields are there.
    for k in [
        "silos",
        "individuals",
        "categories",
        "exfiltration",
        "timeline",
    ] {
        assert!(got.get(k).is_some(), "{scenario}: no {k}");
    }
    for s in got["silos"].as_array().unwrap() {
        for k in [
            "name",
            "kind",
            "categories",
            "records_accessed",
            "bytes",
            "actors",
            "first",
            "last",
        ] {
            assert!(s.get(k).is_some(), "{scenario}: silo without {k}");
        }
    }
    assert!(!got["timeline"].as_array().unwrap().is_empty());
}

#[test]
fn vendor_compromise_scope_equals_the_ground_truth() {
    check_against_truth("vendor-compromise");
}

#[test]
fn slow_drip_scope_equals_the_ground_truth() {
    check_against_truth("slow-drip");
}

#[test]
fn insider_snooping_scope_equals_the_ground_truth() {
    check_against_truth("insider-snooping");
}

/// Scoping the incident the detectors found: its actors include the data
/// thief's accounts, so every patient of the bulk-read silos is in scope,
/// and the exfiltration host's egress is counted.
#[test]
fn an_incident_is_scoped_by_its_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, "vendor-compromise");
    let o = phiwatch_in(
        &[
            "hunt",
            "vendor-compromise/logs",
            "--inventory",
            "vendor-compromise/inventory/inventory.toml",
            "--format",
            "jsonl",
            "-q",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let incidents: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["detector"] == "incident" && f["rule"]["level"] == "critical")
        .collect();
    assert_eq!(incidents.len(), 1);
    let id = incidents[0]["id"].as_str().unwrap();
    let o = phiwatch_in(
        &[
            "scope",
            "vendor-compromise/logs",
            "--inventory",
            "vendor-compromise/inventory/inventory.toml",
            "--incident",
            &id[..12],
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["incident"].as_str(), Some(id));
    assert_eq!(got["individuals"]["total"], 5000);
    let silos: Vec<&str> = got["silos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for s in ["ehr.patients", "fhir.Patient"] {
        assert!(silos.contains(&s), "{silos:?}");
    }
    assert!(
        got["exfiltration"]["bytes"].as_u64().unwrap() > 1_000_000_000,
        "{}",
        got["exfiltration"]
    );
    assert!(!got["attack"]["tactics"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_is_a_usage_error_that_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, "insider-snooping");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "scope",
            "insider-snooping/logs",
            "--inventory",
            "insider-snooping/inventory/inventory.toml",
        ];
        args.extend_from_slice(extra);
        phiwatch_in(&args, dir)
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--from and --to"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&["--from", "2026-11-03", "--to", "2026-11-02"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("before it starts"));
    let o = run(&[
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-03",
        "--actor",
        "wen",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("user:NAME"), "{}", text(&o.stderr));
    let o = run(&["--incident", "ffffffff"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no incident"),
        "{}",
        text(&o.stderr)
    );
    // A patients list with two problems: both reported, with their lines.
    let csv = dir.join("insider-snooping/inventory/patients.csv");
    let mut body = std::fs::read_to_string(&csv).unwrap();
    body.push_str("pt-0000001,MA,false,true\nbad,Massachusetts,false,true\n");
    std::fs::write(&csv, body).unwrap();
    let o = run(&["--from", "2026-11-02", "--to", "2026-11-03"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("2 problems"), "{err}");
    assert!(
        err.contains("listed twice") && err.contains("two-letter"),
        "{err}"
    );
}

/// `hunt --store` then `scope --store` gives the scope `scope` gives from
/// the logs; hunting the same logs again under another directory name adds
/// nothing to the store.
#[test]
fn the_store_answers_like_the_logs_and_keeps_no_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, "vendor-compromise");
    let hunt = |logs: &str| {
        let o = phiwatch_in(
            &[
                "hunt",
                logs,
                "--inventory",
                "vendor-compromise/inventory/inventory.toml",
                "--store",
                "case.db",
                "--format",
                "jsonl",
                "-o",
                "findings.jsonl",
            ],
            dir,
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        text(&o.stderr)
    };
    let first = hunt("vendor-compromise/logs");
    assert!(
        first.contains("findings") && first.contains("0 already there"),
        "{first}"
    );
    std::fs::rename(dir.join("vendor-compromise/logs"), dir.join("copy-of-logs")).unwrap();
    let second = hunt("copy-of-logs");
    assert!(
        second.contains("0 of ") && second.contains("findings 0 added"),
        "{second}"
    );
    assert!(second.contains("ledger 0 accesses added"), "{second}");
    std::fs::rename(dir.join("copy-of-logs"), dir.join("vendor-compromise/logs")).unwrap();
    let truth = truth_scope(dir, "vendor-compromise");
    let window = [
        "--from",
        truth["from"].as_str().unwrap(),
        "--to",
        truth["to"].as_str().unwrap(),
        "--actor",
        "user:acme_support",
        "--actor",
        "user:acme-sync",
        "--actor",
        "host:fs-01",
        "--actor",
        "ip:10.0.1.30",
        "--discovered",
        "2026-11-05",
        "-q",
    ];
    let run = |source: &[&str]| -> Value {
        let mut args = vec!["scope"];
        args.extend_from_slice(source);
        args.extend_from_slice(&["--inventory", "vendor-compromise/inventory/inventory.toml"]);
        args.extend_from_slice(&window);
        let o = phiwatch_in(&args, dir);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let from_store = run(&["--store", "case.db"]);
    let from_logs = run(&["vendor-compromise/logs"]);
    for k in [
        "silos",
        "individuals",
        "exfiltration",
        "categories",
        "attack",
        "iocs",
    ] {
        assert_eq!(from_store[k], from_logs[k], "{k}");
    }
    assert!(from_store["exfiltration"]["bytes"].as_u64().unwrap() > 1_000_000_000);
    assert_eq!(from_store["hipaa"]["individual_deadline"], "2027-01-04");
    assert_eq!(from_store["hipaa"]["hhs"]["mode"], "contemporaneous");
    // A missing store is a usage error, not a new empty file.
    let o = phiwatch_in(
        &[
            "scope",
            "--store",
            "nope.db",
            "--inventory",
            "vendor-compromise/inventory/inventory.toml",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.join("nope.db").exists());
}

/// A date as `--to` is the whole day; the individuals list is PHI: written
/// owner-only even over a file that was readable by others.
#[test]
fn a_date_ends_with_its_day_and_the_individuals_file_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, "insider-snooping");
    let list = dir.join("affected.csv");
    std::fs::write(&list, "").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let o = phiwatch_in(
        &[
            "scope",
            "insider-snooping/logs",
            "--inventory",
            "insider-snooping/inventory/inventory.toml",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--actor",
            "user:wen.valzeni",
            "--individuals",
            "affected.csv",
            "-q",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["window"]["to"], "2026-11-03T23:59:59.999999999Z");
    let last = got["silos"][0]["last"].as_str().unwrap();
    assert!(last.starts_with("2026-11-03"), "{last}");
    let rows = std::fs::read_to_string(&list).unwrap();
    assert_eq!(
        rows.lines().filter(|l| l.starts_with("pt-")).count() as u64,
        got["individuals"]["total"].as_u64().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&list).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
