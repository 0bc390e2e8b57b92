//! The CLI around the analytics: `analytics defaults`, `inventory check`,
//! and `hunt --inventory/--analytics/--state/--no-analytics/--no-incidents`,
//! including every bad-input path (exit 2, a clear message).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{phiwatch_in, repo, text};
use serde_json::Value;

fn generate(dir: &Path) {
    let o = phiwatch_in(
        &[
            "demo", "generate", "--days", "1", "--scale", "small", "--seed", "5", "--out", "c",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

fn findings(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(found: &[Value], detector: &str) -> usize {
    found.iter().filter(|f| f["detector"] == detector).count()
}

#[test]
fn defaults_are_complete_toml_that_hunt_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = phiwatch_in(&["analytics", "defaults", "-o", "all.toml"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("all.toml")).unwrap()).unwrap();
    for table in [
        "dns_tunnel",
        "beacon",
        "bulk_read",
        "egress",
        "rare",
        "staging",
        "api",
        "auth",
        "object_reads",
        "disruption",
        "incident",
    ] {
        assert!(
            t.get(table).is_some_and(toml::Value::is_table),
            "no [{table}]"
        );
    }
    assert_eq!(t["bulk_read"]["min_rows"].as_integer(), Some(10_000));
    assert_eq!(t["incident"]["gap_secs"].as_integer(), Some(604_800));
    // Fed back unchanged, it is accepted.
    generate(dir);
    let o = phiwatch_in(
        &[
            "hunt",
            "c/logs",
            "--analytics",
            "all.toml",
            "--no-builtin",
            "--no-phi",
            "-q",
            "--format",
            "jsonl",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(count(&findings(&o.stdout), "analytics") > 0);
}

#[test]
fn inventory_check_lists_the_silos_or_every_problem() {
    let inv = repo().join("crates/inventory/tests/data");
    let o = phiwatch_in(&["inventory", "check", "hospital.toml"], &inv);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.starts_with("hospital.toml: 7 silos, 1 internal networks, 3 vendors"),
        "{out}"
    );
    assert!(
        out.contains("silo ehr.patients (table): name, address, dob, ssn"),
        "{out}"
    );
    assert_eq!(out.matches("; 3 patients in ").count(), 7, "{out}");
    let o = phiwatch_in(&["inventory", "check", "broken.toml"], &inv);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("broken.toml:"))
            .count(),
        11,
        "{err}"
    );
    assert!(err.contains("phiwatch: broken.toml: 11 problems"), "{err}");
}

#[test]
fn bad_settings_state_and_inventory_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir);
    let run = |args: &[&str]| {
        let mut all = vec!["hunt", "c/logs", "-q", "--format", "jsonl"];
        all.extend_from_slice(args);
        phiwatch_in(&all, dir)
    };
    std::fs::write(dir.join("bad.toml"), "[egress]\nmin_bytez = 5\n").unwrap();
    let o = run(&["--analytics", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("min_bytez"), "{}", text(&o.stderr));
    std::fs::write(dir.join("off.toml"), "disabled = [\"becon\"]\n").unwrap();
    let o = run(&["--analytics", "off.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no analytic named \"becon\""),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(
        dir.join("state.json"),
        "{\"version\": 99, \"analytics\": {}}",
    )
    .unwrap();
    let o = run(&["--state", "state.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("version 99"),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(dir.join("state.json"), "not json").unwrap();
    let o = run(&["--state", "state.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("not JSON"), "{}", text(&o.stderr));
    let broken = repo().join("crates/inventory/tests/data/broken.toml");
    let o = run(&["--inventory", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("--inventory: 11 problems"), "{err}");
    assert!(err.contains("broken.toml:15:"), "{err}");
}

#[test]
fn state_is_written_and_serves_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir);
    let o = phiwatch_in(
        &[
            "hunt",
            "c/logs",
            "--inventory",
            "c/inventory/inventory.toml",
            "--state",
            "s.json",
            "--format",
            "jsonl",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let first = findings(&o.stdout);
    assert!(count(&first, "analytics") > 0);
    assert!(count(&first, "incident") > 0);
    assert!(
        text(&o.stderr).contains("analytics: 10 analytics,"),
        "{}",
        text(&o.stderr)
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("s.json")).unwrap()).unwrap();
    assert_eq!(state["version"], 1);
    assert_eq!(state["analytics"].as_object().unwrap().len(), 10);
    // The same logs again with what the first run learned: the first run's
    // first-seen destinations, new pairs and new agents are known now.
    let o = phiwatch_in(
        &[
            "hunt",
            "c/logs",
            "--inventory",
            "c/inventory/inventory.toml",
            "--state",
            "s.json",
            "--format",
            "jsonl",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let second = findings(&o.stdout);
    assert!(
        count(&second, "analytics") < count(&first, "analytics"),
        "{} then {}",
        count(&first, "analytics"),
        count(&second, "analytics")
    );
    // Off switches.
    let o = phiwatch_in(
        &[
            "hunt",
            "c/logs",
            "--no-analytics",
            "--no-incidents",
            "-q",
            "--format",
            "jsonl",
        ],
        dir,
    );
    let off = findings(&o.stdout);
    assert_eq!(count(&off, "analytics") + count(&off, "incident"), 0);
    assert!(count(&off, "sigma") > 0);
    let o = phiwatch_in(
        &[
            "hunt",
            "c/logs",
            "--no-builtin",
            "--no-phi",
            "--no-analytics",
            "--no-incidents",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("nothing to run"),
        "{}",
        text(&o.stderr)
    );
}

/// The analytics run on their own thread; their findings still come out in
/// the same order every run (after the other detectors', incidents last),
/// and the incident chain still sees the other detectors' findings.
#[test]
fn output_is_the_same_every_run_with_the_analytics_thread() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir);
    let run = || {
        let o = phiwatch_in(
            &[
                "hunt",
                "c/logs",
                "--inventory",
                "c/inventory/inventory.toml",
                "-q",
                "--format",
                "jsonl",
            ],
            dir,
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        o.stdout
    };
    let first = run();
    for _ in 0..3 {
        assert!(run() == first, "hunt's output changed between runs");
    }
    let found = findings(&first);
    let detectors: Vec<&str> = found
        .iter()
        .map(|f| f["detector"].as_str().unwrap())
        .collect();
    let first_analytics = detectors.iter().position(|d| *d == "analytics").unwrap();
    let first_incident = detectors.iter().position(|d| *d == "incident").unwrap();
    assert!(detectors[..first_analytics]
        .iter()
        .all(|d| *d != "analytics" && *d != "incident"));
    assert!(detectors[first_analytics..first_incident]
        .iter()
        .all(|d| *d == "analytics"));
    assert!(detectors[first_incident..].iter().all(|d| *d == "incident"));
    // An incident draws on more than the analytics: the Sigma findings
    // reached the chain through the thread.
    let incident = &found[first_incident];
    let members = incident.to_string();
    assert!(
        found[..first_analytics]
            .iter()
            .any(|f| members.contains(f["id"].as_str().unwrap())),
        "no finding of another detector in {incident}"
    );
}
