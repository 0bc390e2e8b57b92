//! The JSON contract of a finding, its levels, scores and stable ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{sample, ts};
use phiwatch_finding::{Detector, Finding, Level, RuleRef};
use serde_json::Value;

#[test]
fn every_contract_key_has_its_type() {
    let f = sample(Level::High);
    let v: Value = serde_json::to_value(&f).unwrap();
    let id = v["id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(v["time"], "2026-11-28T10:00:00.500000Z");
    assert_eq!(v["end_time"], "2026-11-28T10:05:00.000000Z");
    assert_eq!(v["detector"], "sigma");
    assert_eq!(v["rule"]["id"], "5f6c1a2b-0000-4000-8000-000000000001");
    assert_eq!(v["rule"]["title"], "Bulk export of patient records");
    assert_eq!(v["rule"]["level"], "high");
    let tactic = &v["attack"]["tactics"][0];
    assert_eq!(tactic["id"], "TA0010");
    assert_eq!(tactic["name"], "Exfiltration");
    let technique = &v["attack"]["techniques"][0];
    assert_eq!(technique["id"], "T1567.002");
    assert_eq!(technique["name"], "Exfiltration to Cloud Storage");
    assert_eq!(v["entity"]["user"], "alice");
    assert_eq!(v["entity"]["host"], "ws-17");
    assert!(
        v["entity"].get("ip").is_none(),
        "unknown entity keys are omitted"
    );
    assert_eq!(v["score"].as_f64(), Some(0.75));
    assert!(v["summary"].is_string());
    let ev = v["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["source"], "logs/pgaudit.log:17");
    assert_eq!(ev[1]["time"], "2026-11-28T10:05:00.000000Z");
    assert_eq!(v["metrics"]["rows"].as_f64(), Some(12000.0));
    assert_eq!(v["metrics"]["z"].as_f64(), Some(7.5));
    assert_eq!(v["tags"][2], "attack.g0016", "groups stay in tags");
    assert!(v.get("group").is_none(), "empty group is omitted");
}

#[test]
fn group_is_written_when_present_and_round_trips() {
    let mut f = sample(Level::Medium);
    f.detector = Detector::Correlation;
    f.group.insert("user".into(), "alice".into());
    f.entity.ip = Some("10.0.0.5".into());
    f.refresh_id();
    let line = serde_json::to_string(&f).unwrap();
    assert!(!line.contains('\n'));
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["group"]["user"], "alice");
    assert_eq!(v["detector"], "correlation");
    assert_eq!(v["entity"]["ip"], "10.0.0.5");
    let back: Finding = serde_json::from_str(&line).unwrap();
    assert_eq!(back, f);
}

#[test]
fn detectors_and_levels_serialize_lower_case() {
    for d in Detector::ALL {
        assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        assert_eq!(d.as_str().parse::<Detector>().unwrap(), d);
    }
    let names: Vec<String> = Level::ALL
        .iter()
        .map(|l| {
            serde_json::to_value(l)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["informational", "low", "medium", "high", "critical"]
    );
    assert_eq!("HIGH".parse::<Level>().unwrap(), Level::High);
    assert!("severe".parse::<Level>().is_err());
}

#[test]
fn level_scores() {
    let scores: Vec<f64> = Level::ALL.iter().map(|l| l.score()).collect();
    assert_eq!(scores, [0.1, 0.3, 0.5, 0.75, 0.95]);
    let rule = RuleRef {
        id: "r".into(),
        title: "t".into(),
        level: Level::Critical,
        author: None,
        source: None,
    };
    assert_eq!(
        Finding::new(Detector::Sigma, rule, ts("2026-01-01T00:00:00Z")).score,
        0.95
    );
}

fn id(rule: &str, group: &[(&str, &str)], ev: Option<&str>, time: &str) -> String {
    let group: BTreeMap<String, String> = group
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Finding::stable_id(Detector::Sigma, rule, &group, ev, ts(time))
}

#[test]
fn stable_id_is_deterministic_and_sensitive() {
    let t = "2026-11-28T10:00:00Z";
    let base = id("r1", &[("user", "alice")], Some("a.log:1"), t);
    assert_eq!(base, id("r1", &[("user", "alice")], Some("a.log:1"), t));
    // Pinned: the id must not change across runs, machines or releases.
    assert_eq!(base, PINNED_ID);
    let others = [
        id("r2", &[("user", "alice")], Some("a.log:1"), t),
        id("r1", &[("user", "bob")], Some("a.log:1"), t),
        id("r1", &[("user", "alice")], Some("a.log:2"), t),
        id("r1", &[("user", "alice")], None, t),
        id(
            "r1",
            &[("user", "alice")],
            Some("a.log:1"),
            "2026-11-28T10:00:00.000000001Z",
        ),
        id("r1", &[("usera", "lice")], Some("a.log:1"), t),
        id("r1", &[], Some("a.log:1"), t),
    ];
    for (i, o) in others.iter().enumerate() {
        assert_ne!(&base, o, "variant {i}");
    }
    let sigma = Finding::stable_id(Detector::Sigma, "r", &BTreeMap::new(), None, ts(t));
    let phi = Finding::stable_id(Detector::Phi, "r", &BTreeMap::new(), None, ts(t));
    assert_ne!(sigma, phi);
}

/// FNV-1a 128 of the documented encoding, computed independently (python3).
const PINNED_ID: &str = "712690dbaead867a811520c7ee6de90f";

#[test]
fn derived_id_follows_fields() {
    let mut f = sample(Level::Low);
    let before = f.id.clone();
    assert_eq!(f.derived_id(), before);
    f.summary.push_str(" (edited)");
    f.metrics.insert("bytes".into(), 1.0);
    assert_eq!(
        f.derived_id(),
        before,
        "summary and metrics are not part of the id"
    );
    f.evidence[0].source = "logs/other.log:3".into();
    assert_ne!(f.derived_id(), before);
}
