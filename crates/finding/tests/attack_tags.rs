//! ATT&CK tag translation: techniques, tactics, ids, unknowns, groups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tags;
use phiwatch_finding::{attack_from_tags, tactic, technique, Attack};

fn ids(a: &Attack) -> (Vec<&str>, Vec<&str>) {
    (
        a.tactics.iter().map(|t| t.id.as_str()).collect(),
        a.techniques.iter().map(|t| t.id.as_str()).collect(),
    )
}

#[test]
fn technique_without_tactic_gets_tactics_from_data() {
    let a = attack_from_tags(&tags(&["attack.t1567.002"]));
    assert_eq!(ids(&a), (vec!["TA0010"], vec!["T1567.002"]));
    assert_eq!(a.techniques[0].name, "Exfiltration to Cloud Storage");
    assert_eq!(a.tactics[0].name, "Exfiltration");
    assert_eq!(a.tactics[0].shortname, "exfiltration");
}

#[test]
fn technique_with_several_tactics_gets_all_in_matrix_order() {
    // T1078 Valid Accounts serves four tactics.
    let a = attack_from_tags(&tags(&["attack.t1078"]));
    let info = technique("T1078").unwrap();
    assert_eq!(info.name, "Valid Accounts");
    let expected: Vec<&str> = info.tactics.iter().map(|s| tactic(s).unwrap().id).collect();
    assert!(expected.len() >= 3, "{expected:?}");
    assert_eq!(ids(&a).0, expected);
}

#[test]
fn explicit_tactic_is_not_extended_from_data() {
    let a = attack_from_tags(&tags(&["attack.initial-access", "attack.t1078"]));
    assert_eq!(ids(&a), (vec!["TA0001"], vec!["T1078"]));
}

#[test]
fn underscores_hyphens_and_case() {
    let a = attack_from_tags(&tags(&[
        "attack.credential_access",
        "attack.command-and-control",
        "attack.Command_And_Control",
        "ATTACK.Lateral_Movement",
    ]));
    assert_eq!(ids(&a).0, vec!["TA0006", "TA0011", "TA0008"]);
    assert_eq!(a.tactics[1].name, "Command and Control");
    assert!(a.techniques.is_empty());
}

#[test]
fn tactic_ids() {
    let a = attack_from_tags(&tags(&["attack.ta0010", "attack.TA0009"]));
    assert_eq!(ids(&a).0, vec!["TA0010", "TA0009"]);
    assert_eq!(a.tactics[1].name, "Collection");
    assert_eq!(a.tactics[1].shortname, "collection");
}

#[test]
fn unknown_ids_are_kept_with_empty_names() {
    let a = attack_from_tags(&tags(&[
        "attack.t9999",
        "attack.ta0099",
        "attack.t1567.999",
    ]));
    // TA0099 is not a known tactic, so T1567.999's parent adds Exfiltration.
    assert_eq!(
        ids(&a),
        (vec!["TA0099", "TA0010"], vec!["T9999", "T1567.999"])
    );
    assert!(a.techniques.iter().all(|t| t.name.is_empty()));
    assert_eq!(a.tactics[0].name, "");
    let b = attack_from_tags(&tags(&["attack.t9999"]));
    assert_eq!(ids(&b), (vec![], vec!["T9999"]));
}

#[test]
fn unknown_sub_technique_takes_parent_tactics() {
    let a = attack_from_tags(&tags(&["attack.t1567.999"]));
    assert_eq!(ids(&a), (vec!["TA0010"], vec!["T1567.999"]));
}

#[test]
fn unknown_tactic_word_is_kept_and_technique_tactics_added() {
    // SigmaHQ already uses tactics newer than the embedded release.
    let a = attack_from_tags(&tags(&["attack.stealth", "attack.t1070.008"]));
    assert_eq!(a.tactics.len(), 2);
    assert_eq!(
        (a.tactics[0].id.as_str(), a.tactics[0].shortname.as_str()),
        ("", "stealth")
    );
    assert_eq!(a.tactics[1].id, "TA0005");
}

#[test]
fn groups_software_and_other_namespaces_are_ignored() {
    let a = attack_from_tags(&tags(&[
        "attack.g0016",
        "attack.s0002",
        "attack.m1047",
        "attack.ds0005",
        "cve.2021-44228",
        "detection.threat-hunting",
        "car.2016-04-005",
        "attack.",
        "attack.t1059.01",
    ]));
    assert_eq!(a, Attack::default());
}

#[test]
fn duplicates_collapse_in_first_seen_order() {
    let a = attack_from_tags(&tags(&[
        "attack.exfiltration",
        "attack.t1048.003",
        "attack.ta0010",
        "attack.T1048.003",
        "attack.collection",
    ]));
    assert_eq!(ids(&a), (vec!["TA0010", "TA0009"], vec!["T1048.003"]));
}
