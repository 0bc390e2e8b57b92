//! `phiwatch demo` and `phiwatch demo generate` as users run them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::text;

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

/// Needs the generator: fails while `phiwatch_synth::generate` is a stub.
#[test]
fn demo_summarizes_every_dataset_and_points_at_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let dir = out.to_str().unwrap();
    let o = phiwatch(&["demo", "--out", dir], tmp.path());
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}\n{stdout}", text(&o.stderr));
    assert!(stdout.contains("not detections"), "{stdout}");
    assert!(stdout.contains("ground truth"), "{stdout}");
    assert!(
        stdout.contains(&format!("phiwatch events {}", out.join("logs").display())),
        "{stdout}"
    );

    // The same run as one JSON object; a previous demo output is replaced.
    let o = phiwatch(&["demo", "--out", dir, "--format", "jsonl"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let datasets = v["datasets"].as_array().unwrap();
    for ds in [
        "zeek.conn",
        "zeek.dns",
        "zeek.ssl",
        "postgresql.audit",
        "fhir.audit",
        "okta.system",
        "aws.cloudtrail",
        "web.access",
    ] {
        let d = datasets
            .iter()
            .find(|d| d["dataset"] == ds)
            .unwrap_or_else(|| panic!("no {ds} in {datasets:?}"));
        assert!(d["events"].as_u64().unwrap() > 0, "{d}");
        assert!(stdout.contains(ds), "{ds} missing from the table");
    }
    assert_eq!(v["totals"]["rejected"], 0, "{}", v["formats"]);
    assert!(v["totals"]["accepted"].as_u64().unwrap() > 0);
    let truth = v["paths"]["truth"].as_str().unwrap();
    assert!(Path::new(truth).is_file(), "{truth}");
    assert!(stdout.contains(truth), "{stdout}");
    assert!(v["generated"]["steps"].as_u64().unwrap() > 0);
    assert!(v["aggregations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["descriptive"] == true));

    // Deterministic: the same seed gives the same summary.
    let again = phiwatch(&["demo", "--out", dir, "--format", "jsonl"], tmp.path());
    assert_eq!(again.stdout, o.stdout);
}

#[test]
fn demo_without_generated_data_fails_clearly_or_succeeds() {
    // Whatever the state of the generator, `demo` never exits 2 on valid
    // flags, and a failure says what is missing.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("d");
    let o = phiwatch(
        &["demo", "--out", out.to_str().unwrap(), "--seed", "3"],
        tmp.path(),
    );
    match o.status.code() {
        Some(0) => {}
        Some(1) => assert!(
            text(&o.stderr).contains("nothing was generated"),
            "{}",
            text(&o.stderr)
        ),
        c => panic!("exit {c:?}: {}", text(&o.stderr)),
    }
}
