//! The issue-8 evaluation on the synthetic hospital: baselines are learned
//! from a benign week before (`hunt --state`), then every attack scenario's
//! labeled steps must each be detected (a finding of level medium or more
//! that names one of the step's actors or addresses and overlaps its time),
//! one `incident` finding must hold a detection of every step, and the
//! benign background with its decoys must give no high or critical finding.
//!
//! Time to detect per step (the end of the first detecting finding's
//! evidence, minus the step's first activity) and false positives per day
//! are printed (`cargo test -p phiwatch --test analytics -- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{phiwatch_in, text};
use serde_json::Value;

const SEED: &str = "11";
const DAYS: &str = "3";
/// The scenarios start here; training ends here.
const START: &str = "2026-11-02";
const TRAIN_START: &str = "2026-10-30";

fn generate(dir: &Path, scenario: &str, start: &str, out: &str) {
    let o = phiwatch_in(
        &[
            "demo",
            "generate",
            "--scenario",
            scenario,
            "--days",
            DAYS,
            "--scale",
            "small",
            "--seed",
            SEED,
            "--start",
            start,
            "--out",
            out,
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// `hunt` over `corpus/logs` with its inventory and `state`; the findings.
fn hunt(dir: &Path, corpus: &str, state: &str) -> Vec<Value> {
    let logs = format!("{corpus}/logs");
    let inv = format!("{corpus}/inventory/inventory.toml");
    let o = phiwatch_in(
        &[
            "hunt",
            &logs,
            "--inventory",
            &inv,
            "--state",
            state,
            "--analytics",
            "settings.toml",
            "--format",
            "jsonl",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn nanos(s: &str) -> i64 {
    // RFC 3339 UTC with a fraction, as phiwatch and the truth write it.
    let secs = |d: &str| -> i64 {
        let (date, time) = d.split_once('T').unwrap();
        let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
        let t: Vec<i64> = time.split(':').map(|x| x.parse().unwrap()).collect();
        // Days from civil (Howard Hinnant's algorithm).
        let (y, m, d) = (p[0] - i64::from(p[1] <= 2), p[1], p[2]);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        (era * 146_097 + doe - 719_468) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
    };
    let s = s.trim_end_matches('Z');
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    secs(whole) * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

/// An account as every system writes it: lower case, no domain, no
/// punctuation.
fn account(s: &str) -> String {
    s.split('@')
        .next()
        .unwrap_or(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

struct Step {
    id: String,
    first: i64,
    last: i64,
    keys: BTreeSet<String>,
}

fn steps(dir: &Path, corpus: &str) -> Vec<Step> {
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(corpus).join("truth/truth.json")).unwrap(),
    )
    .unwrap();
    t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut keys: BTreeSet<String> = s["actors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| account(a.as_str().unwrap()))
                .collect();
            keys.extend(
                s["ips"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string()),
            );
            Step {
                id: s["id"].as_str().unwrap().to_string(),
                first: nanos(s["first"].as_str().unwrap()),
                last: nanos(s["last"].as_str().unwrap()),
                keys,
            }
        })
        .collect()
}

fn level(f: &Value) -> &str {
    f["rule"]["level"].as_str().unwrap()
}

fn serious(f: &Value) -> bool {
    matches!(level(f), "high" | "critical")
}

/// The actors and addresses a finding names.
fn names(f: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for part in ["entity", "group"] {
        if let Some(o) = f[part].as_object() {
            for v in o.values().filter_map(Value::as_str) {
                for piece in v.split([',', ' ']).filter(|p| !p.is_empty()) {
                    out.insert(piece.to_string());
                    out.insert(account(piece));
                }
            }
        }
    }
    out
}

/// Whether `f` (not an incident) detects `s`.
fn detects(f: &Value, s: &Step) -> bool {
    const SLACK: i64 = 10 * 60 * 1_000_000_000;
    if f["detector"] == "incident" || !matches!(level(f), "medium" | "high" | "critical") {
        return false;
    }
    let (t0, t1) = (
        nanos(f["time"].as_str().unwrap()),
        nanos(f["end_time"].as_str().unwrap()),
    );
    t1 >= s.first - SLACK && t0 <= s.last + SLACK && !names(f).is_disjoint(&s.keys)
}

fn settings(dir: &Path) {
    // Every member of an incident listed, so the test can check them all.
    std::fs::write(
        dir.join("settings.toml"),
        "[incident]\nmax_listed = 100000\n",
    )
    .unwrap();
}

/// Learns baselines from a benign stretch before `START`.
fn train(dir: &Path) {
    settings(dir);
    generate(dir, "benign-decoys", TRAIN_START, "train");
    let f = hunt(dir, "train", "state.json");
    assert!(dir.join("state.json").exists());
    let serious: Vec<&Value> = f.iter().filter(|f| serious(f)).collect();
    eprintln!(
        "training (cold start, {DAYS} days benign): {} findings, {} high or critical: {:?}",
        f.len(),
        serious.len(),
        serious
            .iter()
            .map(|f| f["rule"]["title"].as_str().unwrap())
            .collect::<BTreeSet<_>>()
    );
}

fn scenario(name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    train(dir);
    generate(dir, name, START, "corpus");
    std::fs::copy(dir.join("state.json"), dir.join("run.json")).unwrap();
    let found = hunt(dir, "corpus", "run.json");
    let steps = steps(dir, "corpus");
    assert!(!steps.is_empty());
    let incidents: Vec<&Value> = found
        .iter()
        .filter(|f| f["detector"] == "incident")
        .collect();
    let mut missed = Vec::new();
    let mut detected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in &steps {
        let hits: Vec<&Value> = found.iter().filter(|f| detects(f, s)).collect();
        let Some(first) = hits
            .iter()
            .min_by_key(|f| nanos(f["end_time"].as_str().unwrap()))
        else {
            missed.push(s.id.clone());
            continue;
        };
        let ttd = (nanos(first["end_time"].as_str().unwrap()) - s.first).max(0) as f64 / 60e9;
        let kinds: BTreeSet<String> = hits
            .iter()
            .map(|f| format!("{} ({})", f["rule"]["title"].as_str().unwrap(), level(f)))
            .collect();
        eprintln!(
            "{name}: {}: detected by {} findings; first: {} ({}, {}) after {ttd:.1} min; all: {kinds:?}",
            s.id,
            hits.len(),
            first["rule"]["title"].as_str().unwrap(),
            first["detector"].as_str().unwrap(),
            level(first),
        );
        detected.insert(
            &s.id,
            hits.iter().map(|f| f["id"].as_str().unwrap()).collect(),
        );
    }
    assert!(missed.is_empty(), "{name}: steps not detected: {missed:?}");

    // One incident holds a detection of every step.
    let holds_all = incidents.iter().find(|i| {
        let members: BTreeSet<&str> = i["group"]["findings"]
            .as_str()
            .unwrap_or("")
            .split(',')
            .collect();
        detected.values().all(|ids| !ids.is_disjoint(&members))
    });
    let Some(incident) = holds_all else {
        let summary: Vec<String> = incidents
            .iter()
            .map(|i| format!("{} [{}]", i["summary"], i["group"]["entities"]))
            .collect();
        panic!("{name}: no incident holds every step; incidents: {summary:#?}");
    };
    eprintln!(
        "{name}: incident {} ({}, risk {:.2}): {}",
        incident["id"].as_str().unwrap(),
        level(incident),
        incident["score"].as_f64().unwrap(),
        incident["summary"].as_str().unwrap()
    );
    assert!(serious(incident), "{incident}");

    // High or critical findings outside the attack (naming no step's actor
    // or address, and outside every step's time: a finding about the
    // service an attack disrupts names no attacker): false positives.
    let all_keys: BTreeSet<String> = steps.iter().flat_map(|s| s.keys.clone()).collect();
    let during = |f: &Value| {
        let (t0, t1) = (
            nanos(f["time"].as_str().unwrap()),
            nanos(f["end_time"].as_str().unwrap()),
        );
        steps.iter().any(|s| t1 >= s.first && t0 <= s.last)
    };
    let stray: Vec<String> = found
        .iter()
        .filter(|f| {
            serious(f)
                && f["detector"] != "incident"
                && names(f).is_disjoint(&all_keys)
                && !during(f)
        })
        .map(|f| format!("{} {}", f["rule"]["title"], f["summary"]))
        .collect();
    eprintln!(
        "{name}: {} high or critical findings unrelated to the attack: {stray:#?}",
        stray.len()
    );
    assert!(stray.is_empty(), "{name}: {stray:#?}");
}

#[test]
fn vendor_compromise_steps_are_detected_and_chained() {
    scenario("vendor-compromise");
}

#[test]
fn slow_drip_steps_are_detected_and_chained() {
    scenario("slow-drip");
}

#[test]
fn insider_snooping_steps_are_detected_and_chained() {
    scenario("insider-snooping");
}

#[test]
fn benign_decoys_give_no_high_or_critical_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    train(dir);
    generate(dir, "benign-decoys", START, "corpus");
    let found = hunt(dir, "corpus", "state.json");
    let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &found {
        *by_level.entry(level(f)).or_insert(0) += 1;
    }
    let days: f64 = DAYS.parse().unwrap();
    eprintln!(
        "benign-decoys after training: findings per day by level: {:?}",
        by_level
            .iter()
            .map(|(l, n)| (l, *n as f64 / days))
            .collect::<Vec<_>>()
    );
    let serious: Vec<String> = found
        .iter()
        .filter(|f| serious(f))
        .map(|f| format!("{}: {}", f["rule"]["title"], f["summary"]))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}
