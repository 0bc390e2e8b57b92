//! `phiwatch demo` and `phiwatch demo generate` as users run them: the
//! demo runs the whole chain (hunt, store, incident, scope, HIPAA, report)
//! on freshly generated data and checks it against the ground truth.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::text;
use serde_json::Value;

fn phiwatch(args: &[&str], cwd: &Path) -> Output {
    common::phiwatch_in(args, cwd)
}

const SCENARIOS: [&str; 4] = [
    "vendor-compromise",
    "slow-drip",
    "insider-snooping",
    "benign-decoys",
];

#[test]
fn unknown_scenario_or_scale_is_a_usage_error_listing_the_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    let out = out.to_str().unwrap();
    for args in [
        vec!["demo", "generate", "--scenario", "nope", "--out", out],
        vec!["demo", "--scenario", "nope", "--out", out],
    ] {
        let o = phiwatch(&args, tmp.path());
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for s in SCENARIOS {
            assert!(err.contains(s), "{args:?}: {err}");
        }
    }
    let o = phiwatch(
        &["demo", "generate", "--scale", "gigantic", "--out", out],
        tmp.path(),
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for s in ["small", "medium", "large", "huge"] {
        assert!(err.contains(s), "{err}");
    }
    for bad in [
        vec!["demo", "generate", "--out", out, "--start", "yesterday"],
        vec!["demo", "generate", "--out", out, "--days", "0"],
        vec!["demo", "generate"],
    ] {
        let o = phiwatch(&bad, tmp.path());
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o.stderr));
    }
    assert!(!Path::new(out).exists(), "usage errors write nothing");
}

#[test]
fn help_lists_the_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let o = phiwatch(&["demo", "generate", "--help"], tmp.path());
    assert_eq!(o.status.code(), Some(0));
    let help = text(&o.stdout);
    for s in SCENARIOS {
        assert!(help.contains(s), "{help}");
    }
}

#[test]
fn demo_refuses_a_foreign_non_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let dir = tmp.path().to_str().unwrap();
    let o = phiwatch(&["demo", "--out", dir], tmp.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("precious.txt")).unwrap(),
        "keep me"
    );
}

/// Needs the generator: fails while `phiwatch_synth::generate` is a stub.
#[test]
fn generate_writes_what_it_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    let o = phiwatch(
        &[
            "demo",
            "generate",
            "--scenario",
            "vendor-compromise",
            "--days",
            "1",
            "--scale",
            "small",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("records/s"), "{err}");
    assert!(err.contains("ground truth:"), "{err}");
    // The records figure on stderr matches the files on disk.
    let records: u64 = err
        .split_whitespace()
        .zip(err.split_whitespace().skip(1))
        .find(|(_, w)| *w == "records,")
        .and_then(|(n, _)| n.parse().ok())
        .expect("a record count on stderr");
    assert!(records > 0, "{err}");
    let logs = out.join("logs");
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![logs.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files += 1;
                bytes += std::fs::metadata(&p).unwrap().len();
            }
        }
    }
    assert!(files > 0 && bytes > 0, "{}", logs.display());
    for dir in ["inventory", "truth"] {
        let n = std::fs::read_dir(out.join(dir)).unwrap().count();
        assert!(n > 0, "{dir} is empty");
    }
}

/// The datasets the generator writes.
const DATASETS: [&str; 8] = [
    "zeek.conn",
    "zeek.dns",
    "zeek.ssl",
    "postgresql.audit",
    "fhir.audit",
    "okta.system",
    "aws.cloudtrail",
    "web.access",
];

/// Runs `phiwatch demo ARGS… --out DIR`, expecting success.
fn demo(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["demo", "--out", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = phiwatch(&all, dir.parent().unwrap());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{all:?}\n{}\n{}",
        text(&o.stderr),
        text(&o.stdout)
    );
    o
}

fn truth_scope(dir: &Path) -> Value {
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth/truth.json")).unwrap())
            .unwrap();
    t["scope"].clone()
}

#[test]
fn demo_runs_the_whole_chain_and_matches_the_ground_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let table = text(&demo(&dir, &[]).stdout);
    for section in [
        "READ BACK",
        "DETECTIONS",
        "INCIDENT ",
        "SCOPE (the incident's window",
        "HIPAA (45 CFR",
        "GROUND TRUTH",
        "WHERE THINGS ARE",
        "NEXT",
    ] {
        assert!(table.contains(section), "no {section} in\n{table}");
    }
    assert!(table.contains("  verdict          matches\n"), "{table}");
    assert!(table.contains("  truth's window   matches"), "{table}");
    for ds in DATASETS {
        assert!(table.contains(ds), "{ds} missing from the table");
    }

    // The same run as one JSON object; the previous output is replaced.
    let o = demo(&dir, &["--format", "jsonl"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "scenario",
        "seed",
        "days",
        "scale",
        "start",
        "generated",
        "datasets",
        "formats",
        "totals",
        "detections",
        "incident",
        "scope",
        "hipaa",
        "truth_check",
        "paths",
        "next",
    ] {
        assert!(v.get(k).is_some(), "no {k} in {v}");
    }
    assert!(v.get("aggregations").is_none(), "the aggregations are gone");
    check_datasets(&v);
    check_incident_and_scope(&dir, &v);
    check_outputs(&dir, &v);
    check_next_scope_command(&dir, &v);

    // Deterministic: the same seed gives the same summary, byte for byte.
    let again = text(&demo(&dir, &[]).stdout);
    assert_eq!(again, table);
}

fn check_datasets(v: &Value) {
    let datasets = v["datasets"].as_array().unwrap();
    for ds in DATASETS {
        let d = datasets
            .iter()
            .find(|d| d["dataset"] == ds)
            .unwrap_or_else(|| panic!("no {ds} in {datasets:?}"));
        assert!(d["events"].as_u64().unwrap() > 0, "{d}");
    }
    let events: u64 = datasets.iter().map(|d| d["events"].as_u64().unwrap()).sum();
    assert_eq!(v["totals"]["events"], events);
    assert_eq!(v["totals"]["rejected"], 0, "{}", v["formats"]);
    assert_eq!(v["totals"]["accepted"], v["generated"]["records"]);
    assert!(v["generated"]["steps"].as_u64().unwrap() > 0);
}

/// Exactly one incident, critical; its scope's individuals are the
/// truth's; the truth's own window and actors scope exactly.
fn check_incident_and_scope(dir: &Path, v: &Value) {
    let d = &v["detections"];
    let incidents = d["by_detector"]["incident"].as_object().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents["critical"], 1, "{incidents:?}");
    let by_level_total: u64 = d["by_detector"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|l| l.as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(d["findings"], by_level_total);
    assert!(d["fired"].as_array().unwrap().len() > 5, "{d}");
    assert_eq!(v["incident"]["level"], "critical");
    assert_eq!(v["incident"]["incidents"], 1);

    let truth = truth_scope(dir);
    let (got, want) = (&v["scope"]["individuals"], &truth["individuals"]);
    assert!(want["total"].as_u64().unwrap() > 0);
    assert_eq!(got["total"], want["total"]);
    assert_eq!(got["by_state"], want["by_state"]);
    let sum: u64 = got["by_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(sum, got["total"].as_u64().unwrap());
    assert!(
        v["scope"]["bytes_out"].as_u64().unwrap() > 0,
        "{}",
        v["scope"]
    );

    let t = &v["truth_check"];
    assert_eq!(t["matches"], true, "{t}");
    assert_eq!(t["attack_expected"], true);
    assert_eq!(t["incident_found"], true);
    assert_eq!(t["window_scope"]["matches"], true, "{t}");
    assert_eq!(t["window_scope"]["differences"], Value::Array(Vec::new()));
    assert_eq!(t["incident_scope"]["individuals_match"], true, "{t}");
    assert_eq!(t["truth"]["individuals"], want["total"]);

    let h = &v["hipaa"];
    assert_eq!(h["breach_presumed"], true, "{h}");
    assert_eq!(h["discovered"], "2026-11-04", "the day after the two days");
    assert_eq!(h["hhs"]["mode"], "contemporaneous", "{h}");
}

/// The findings file, the store and the documents are there.
fn check_outputs(dir: &Path, v: &Value) {
    let p = &v["paths"];
    let findings = std::fs::read_to_string(p["findings"].as_str().unwrap()).unwrap();
    let lines: Vec<Value> = findings
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len() as u64,
        v["detections"]["findings"].as_u64().unwrap()
    );
    let id = v["incident"]["id"].as_str().unwrap();
    assert!(
        lines
            .iter()
            .any(|f| f["id"] == id && f["detector"] == "incident"),
        "the incident {id} is in findings.jsonl"
    );
    let db = Path::new(p["store"].as_str().unwrap());
    assert_eq!(db, dir.join("phiwatch.db"));
    assert!(std::fs::metadata(db).unwrap().len() > 0);

    let report = dir.join("report");
    assert_eq!(p["report"], report.join("report.html").to_str().unwrap());
    for doc in [
        "report.html",
        "report.json",
        "forensic-summary.md",
        "attack-layer.json",
        "iocs.csv",
    ] {
        assert!(report.join(doc).is_file(), "no {doc}");
    }
    let documents = p["documents"].as_array().unwrap();
    assert!(documents.len() >= 5);
    for d in documents {
        assert!(Path::new(d.as_str().unwrap()).is_file(), "{d}");
    }
    let total = &v["scope"]["individuals"]["total"];
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains(&format!(r#"id="individuals-total" data-value="{total}""#)),
        "report.html does not show {total} individuals"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(&json["individuals"]["total"], total);
}

/// The NEXT commands redo the steps: the scope command, run as printed,
/// finds the incident in the store and writes the same total.
fn check_next_scope_command(dir: &Path, v: &Value) {
    let next: Vec<&str> = v["next"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(next[0].starts_with("phiwatch hunt "), "{next:?}");
    let scope = next
        .iter()
        .find(|c| c.starts_with("phiwatch scope --store"))
        .unwrap();
    let id = v["incident"]["id"].as_str().unwrap();
    assert!(scope.contains(&format!("--incident {id}")), "{scope}");
    let out = dir.join("by-hand.html");
    let mut args: Vec<&str> = scope.split_whitespace().skip(1).collect();
    let o_at = args.iter().position(|a| *a == "-o").unwrap();
    let out_str = out.to_str().unwrap();
    args[o_at + 1] = out_str;
    let o = phiwatch(&args, dir.parent().unwrap());
    assert_eq!(o.status.code(), Some(0), "{scope}: {}", text(&o.stderr));
    let total = &v["scope"]["individuals"]["total"];
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains(&format!(r#"id="individuals-total" data-value="{total}""#)));
}

#[test]
fn benign_decoys_expect_no_incident_and_find_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("benign");
    let table = text(&demo(&dir, &["--scenario", "benign-decoys"]).stdout);
    assert!(
        table.contains("no attack (the truth's scope is null): no incident expected"),
        "{table}"
    );
    assert!(table.contains("  verdict          matches\n"), "{table}");
    assert!(table.contains("nothing to scope: no incident"), "{table}");
    assert!(table.contains("report        none: no incident"), "{table}");
    assert!(!dir.join("report").exists());
    assert!(dir.join("phiwatch.db").is_file());
    assert!(truth_scope(&dir).is_null());

    let o = demo(&dir, &["--scenario", "benign-decoys", "--format", "jsonl"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in ["incident", "scope", "hipaa"] {
        assert!(v[k].is_null(), "{k}: {}", v[k]);
    }
    let t = &v["truth_check"];
    assert_eq!(t["matches"], true);
    assert_eq!(t["attack_expected"], false);
    assert_eq!(t["incident_found"], false);
    assert!(t["truth"].is_null() && t["window_scope"].is_null());
    assert!(v["paths"]["report"].is_null());
    assert_eq!(v["paths"]["documents"], Value::Array(Vec::new()));
}
