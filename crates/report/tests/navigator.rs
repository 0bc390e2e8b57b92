//! The ATT&CK Navigator layer: exactly the scope's techniques, the layer
//! format's required keys and types.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{report, report_of, scope, SCENARIOS};
use phiwatch_report::navigator_layer;
use serde_json::Value;

/// Checks the keys and types the layer format 4.5 requires or defines
/// (name, versions, domain; technique entries; gradient; legend items).
fn check_format(layer: &Value) {
    assert!(layer["name"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert!(layer["versions"]["attack"]
        .as_str()
        .unwrap()
        .parse::<u32>()
        .is_ok());
    assert!(layer["versions"]["navigator"]
        .as_str()
        .unwrap()
        .starts_with("4."));
    assert_eq!(layer["domain"], "enterprise-attack");
    assert!(layer["description"].is_string());
    let g = &layer["gradient"];
    assert_eq!(g["colors"].as_array().unwrap().len(), 2);
    assert!(g["minValue"].is_number() && g["maxValue"].is_number());
    for item in layer["legendItems"].as_array().unwrap() {
        assert!(item["label"].is_string() && item["color"].as_str().unwrap().starts_with('#'));
    }
    for t in layer["techniques"].as_array().unwrap() {
        let id = t["techniqueID"].as_str().unwrap();
        assert!(
            id.starts_with('T') && id[1..5].chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
        if let Some(tactic) = t.get("tactic") {
            let s = tactic.as_str().unwrap();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{s}");
        }
        assert_eq!(t["enabled"], true);
        assert!(t["score"].is_number());
        assert!(t["comment"].is_string());
        assert!(t["color"].as_str().unwrap().starts_with('#'));
        assert!(t["showSubtechniques"].is_boolean());
    }
    for key in ["layout", "metadata", "links", "hideDisabled", "sorting"] {
        assert!(layer.get(key).is_some(), "{key}");
    }
}

#[test]
fn exactly_the_scopes_techniques() {
    for s in SCENARIOS {
        let r = report(s);
        let layer = navigator_layer(&r);
        check_format(&layer);
        let got: BTreeSet<&str> = layer["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["techniqueID"].as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = r
            .scope
            .attack
            .techniques
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(got, want, "{s}");
    }
}

#[test]
fn tactics_follow_the_chain() {
    let r = report("vendor-compromise");
    let layer = navigator_layer(&r);
    let entries = layer["techniques"].as_array().unwrap();
    let tactics_of = |id: &str| -> Vec<&str> {
        entries
            .iter()
            .filter(|t| t["techniqueID"] == id)
            .map(|t| t["tactic"].as_str().unwrap())
            .collect()
    };
    // T1078 Valid Accounts serves four tactics; only initial access is in
    // this chain.
    assert_eq!(tactics_of("T1078"), ["initial-access"]);
    assert_eq!(tactics_of("T1041"), ["exfiltration"]);
    assert_eq!(tactics_of("T1110.003"), ["credential-access"]);
    // One entry per technique here: 17.
    assert_eq!(entries.len(), 17);
    // Parents with a sub-technique in scope show them.
    let t1078 = entries
        .iter()
        .find(|t| t["techniqueID"] == "T1078")
        .unwrap();
    assert_eq!(t1078["showSubtechniques"], true);
    let t1199 = entries
        .iter()
        .find(|t| t["techniqueID"] == "T1199")
        .unwrap();
    assert_eq!(t1199["showSubtechniques"], false);
}

#[test]
fn unknown_technique_has_no_tactic_and_empty_scope_is_valid() {
    let mut sc = scope("insider-snooping");
    sc.attack.techniques.push(phiwatch_finding::Technique {
        id: "T9999".into(),
        name: String::new(),
    });
    let layer = navigator_layer(&report_of(sc));
    check_format(&layer);
    let t = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T9999")
        .unwrap();
    assert!(t.get("tactic").is_none());
    let mut empty = scope("insider-snooping");
    empty.attack = Default::default();
    let layer = navigator_layer(&report_of(empty));
    check_format(&layer);
    assert_eq!(layer["techniques"].as_array().unwrap().len(), 0);
}
