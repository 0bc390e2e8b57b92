//! Findings and ledger entries come back as they went in; window queries
//! select by overlap and return time order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use phiwatch_finding::{Detector, Evidence, Finding, Level, RuleRef};
use phiwatch_store::Store;

fn loaded() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    for f in ["a.log", "b.log", "c.log"] {
        register(&mut s, run, f, &format!("logs/{f}"));
    }
    s.put_findings(run, &findings_at("logs/")).unwrap();
    s.put_accesses(run, &accesses_at("logs/")).unwrap();
    s
}

#[test]
fn every_finding_comes_back_equal_bit_for_bit() {
    let s = loaded();
    let want = findings_at("logs/");
    assert_eq!(want.len(), 6);
    for f in &want {
        let got = s.finding(&f.id).unwrap().expect("stored");
        assert_eq!(&got, f);
        assert_eq!(got.score.to_bits(), f.score.to_bits());
        for (k, v) in &f.metrics {
            assert_eq!(got.metrics[k].to_bits(), v.to_bits(), "{k}");
        }
    }
    // Long mantissas survive (serde_json alone rounds this one).
    let egress = want.iter().find(|f| f.rule.id == "egress_volume").unwrap();
    assert_eq!(egress.metrics["tiny"], 2.6990383094166964e-307);
    assert_eq!(s.finding("no-such-id").unwrap(), None);
}

#[test]
fn non_finite_numbers_survive() {
    let mut s = Store::open_in_memory().unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    let t = ts("2026-11-28T10:00:00Z");
    let rule = RuleRef {
        id: "r".into(),
        title: "t".into(),
        level: Level::Low,
        author: None,
        source: None,
    };
    let mut f = Finding::new(Detector::Analytics, rule, t);
    f.score = f64::NAN;
    f.metrics.insert("z".into(), f64::INFINITY);
    f.metrics.insert("ratio".into(), f64::NAN);
    f.metrics.insert("bytes".into(), 10.0);
    f.evidence.push(Evidence {
        source: "x.log:1".into(),
        time: t,
        record: None,
    });
    f.refresh_id();
    assert_eq!(s.put_findings(run, &[f.clone()]).unwrap().new, 1);
    let got = s.finding(&f.id).unwrap().unwrap();
    assert!(got.score.is_nan());
    assert_eq!(got.metrics["z"], f64::INFINITY);
    assert!(got.metrics["ratio"].is_nan());
    assert_eq!(got.metrics["bytes"], 10.0);
    assert_eq!(got.summary, f.summary);
    assert_eq!(got.evidence, f.evidence);
}

#[test]
fn every_access_comes_back_equal() {
    let s = loaded();
    let want = accesses_at("logs/");
    let got = s
        .accesses(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(got.len(), 6);
    assert_eq!(got, want);
    // Patient ids are kept: the scope counts patients from them.
    let ids: Vec<&str> = got
        .iter()
        .flat_map(|a| a.records.iter().map(String::as_str))
        .collect();
    assert_eq!(
        ids,
        ["pt-0000001", "pt-0000002", "pt-0000003", "pt-0000004"]
    );
}

/// (from, to, rule ids expected in order)
const FINDING_WINDOWS: &[(&str, &str, &[&str])] = &[
    // Everything, time order; the incident starts with the bulk select and
    // comes after it (insertion order breaks the tie).
    (
        "2026-11-28T00:00:00Z",
        "2026-11-29T00:00:00Z",
        &[
            "r-bulk-select",
            "phiwatch.incident",
            "r-copy-to",
            "phi.ssn",
            "egress_volume",
            "ioc.account",
        ],
    ),
    // Inside the egress span (10:05–10:25) only: the long findings that
    // overlap it.
    (
        "2026-11-28T10:10:00Z",
        "2026-11-28T10:20:00Z",
        &["phiwatch.incident", "egress_volume"],
    ),
    // Both ends inclusive: a window ending exactly at a finding's time.
    (
        "2026-11-28T09:00:00Z",
        "2026-11-28T10:01:00Z",
        &["r-bulk-select", "phiwatch.incident"],
    ),
    // Starting exactly at a long finding's end.
    (
        "2026-11-28T10:25:00Z",
        "2026-11-28T11:00:00Z",
        &["phiwatch.incident", "egress_volume"],
    ),
    // Nanosecond precision: one ns before the phi finding's time (the
    // incident spans the window).
    (
        "2026-11-28T10:02:30Z",
        "2026-11-28T10:03:00.000123455Z",
        &["phiwatch.incident"],
    ),
    (
        "2026-11-28T10:02:30Z",
        "2026-11-28T10:03:00.000123456Z",
        &["phiwatch.incident", "phi.ssn"],
    ),
    // After the last.
    (
        "2026-11-28T12:00:00.000000001Z",
        "2027-01-01T00:00:00Z",
        &[],
    ),
    // An inverted window is empty.
    ("2026-11-29T00:00:00Z", "2026-11-28T00:00:00Z", &[]),
];

#[test]
fn finding_windows_select_by_overlap_in_time_order() {
    let s = loaded();
    for (from, to, want) in FINDING_WINDOWS {
        let got: Vec<String> = s
            .findings(ts(from), ts(to))
            .unwrap()
            .into_iter()
            .map(|f| f.rule.id)
            .collect();
        assert_eq!(got, *want, "window {from} .. {to}");
    }
}

#[test]
fn access_windows_are_inclusive_and_ordered() {
    let s = loaded();
    for (from, to, want) in [
        (
            "2026-11-28T10:00:00Z",
            "2026-11-28T10:01:00Z",
            &["a.log:1", "a.log:2", "a.log:3"][..],
        ),
        ("2026-11-28T10:00:01Z", "2026-11-28T10:00:05Z", &["a.log:2"]),
        (
            "2026-11-28T10:03:00.000123457Z",
            "2026-11-28T11:59:59Z",
            &[],
        ),
        ("2026-11-28T11:00:00Z", "2026-11-28T13:00:00Z", &["c.log:1"]),
    ] {
        let got: Vec<String> = s
            .accesses(ts(from), ts(to))
            .unwrap()
            .into_iter()
            .map(|a| a.source.trim_start_matches("logs/").to_string())
            .collect();
        assert_eq!(got, want, "window {from} .. {to}");
    }
}

#[test]
fn accesses_come_back_in_time_order_whatever_the_insert_order() {
    let mut s = Store::open_in_memory().unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    let mut shuffled = accesses_at("logs/");
    shuffled.reverse();
    assert_eq!(s.put_accesses(run, &shuffled).unwrap().new, 6);
    let got = s
        .accesses(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(got, accesses_at("logs/"));
}
