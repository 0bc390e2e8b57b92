//! The JSON shape: the public-contract field names of PRODUCT.md, a golden
//! determination for the hospital fixture, round trips, and the facts'
//! problems reported all at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{facts, hospital};
use phiwatch_hipaa::{determine, Determination, Facts};
use serde_json::Value;

fn json(det: &Determination) -> Value {
    serde_json::to_value(det).unwrap()
}

#[test]
fn contract_field_names_are_present() {
    let v = json(&determine(&hospital()));
    for key in [
        "breach_presumed",
        "hhs",
        "individual_deadline",
        "media_states",
        "substitute_notice",
        "state_notices",
    ] {
        assert!(v.get(key).is_some(), "contract field {key}");
    }
    for key in [
        "reason",
        "safe_harbor",
        "worksheet",
        "business_associate",
        "law_enforcement",
        "deceased",
        "portal",
        "citations",
        "to_complete",
    ] {
        assert!(v.get(key).is_some(), "field {key}");
    }
    assert_eq!(v["hhs"]["required"], true);
    assert_eq!(v["hhs"]["deadline"], "2027-02-08");
    assert_eq!(v["hhs"]["mode"], "contemporaneous");
    assert_eq!(v["individual_deadline"], "2027-02-08");
    assert_eq!(v["media_states"], serde_json::json!(["CA", "NY"]));
    assert_eq!(v["substitute_notice"]["required"], true);
    assert_eq!(v["substitute_notice"]["kind"], "web_or_media");
    assert_eq!(v["substitute_notice"]["count"], 25);
    let ca = &v["state_notices"][0];
    for key in [
        "state",
        "residents",
        "law",
        "citation",
        "individual_deadline",
        "individual_deadline_text",
        "regulator",
        "regulator_required",
        "regulator_deadline",
        "consumer_reporting_agencies",
        "hipaa_deemed_compliance",
        "notes",
    ] {
        assert!(ca.get(key).is_some(), "state notice field {key}");
    }
    let small = json(&determine(&{
        let mut f = facts("2026-05-05", 3);
        f.without_contact = 3;
        f
    }));
    assert_eq!(small["hhs"]["mode"], "annual_log");
    assert_eq!(small["substitute_notice"]["kind"], "alternative");
    assert_eq!(small["business_associate"], Value::Null);
    assert_eq!(small["law_enforcement"], Value::Null);
}

#[test]
fn hospital_determination_matches_the_golden_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/hospital.expected.json"
    );
    let det = determine(&hospital());
    let got = serde_json::to_string_pretty(&det).unwrap() + "\n";
    if std::env::var_os("PHIWATCH_BLESS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        got, want,
        "set PHIWATCH_BLESS=1 to rewrite {path} after checking the change"
    );
    // Counts behind the golden file.
    assert_eq!(det.state_notices.len(), 5);
    assert_eq!(
        det.state_notices.iter().filter(|n| n.default_rule).count(),
        2
    );
    assert_eq!(
        det.state_notices
            .iter()
            .filter(|n| n.regulator_required)
            .count(),
        3
    );
    assert_eq!(det.law_enforcement.as_ref().unwrap().affected.len(), 3);
    assert_eq!(det.citations.len(), 16);
    assert_eq!(det.to_complete.len(), 12);
    assert!(det.problems.is_empty());
}

#[test]
fn every_citation_has_its_text_and_every_cited_rule_is_listed() {
    let det = determine(&hospital());
    for c in &det.citations {
        assert!(!c.text.is_empty(), "{} has text", c.cite);
    }
    let listed: Vec<&str> = det.citations.iter().map(|c| c.cite.as_str()).collect();
    let mut fields = vec![
        det.hhs.citation.as_str(),
        det.media_notice.citation.as_str(),
        det.substitute_notice.citation.as_str(),
    ];
    fields.extend(
        det.state_notices
            .iter()
            .filter(|n| !n.default_rule)
            .map(|n| n.citation.as_str()),
    );
    for f in fields {
        assert!(listed.contains(&f), "{f} is listed in citations");
    }
    for cite in [
        "45 CFR 164.402",
        "45 CFR 164.404(b)",
        "45 CFR 164.404(c)",
        "45 CFR 164.406",
        "45 CFR 164.408(b)",
        "45 CFR 164.412",
        "45 CFR 164.402(2)(i)-(iv)",
    ] {
        assert!(listed.contains(&cite), "{cite}");
    }
}

#[test]
fn facts_and_determination_round_trip_through_json() {
    let f = hospital();
    let text = serde_json::to_string(&f).unwrap();
    let back: Facts = serde_json::from_str(&text).unwrap();
    assert_eq!(back, f);
    let det = determine(&f);
    let back: Determination = serde_json::from_str(&serde_json::to_string(&det).unwrap()).unwrap();
    assert_eq!(back, det);
}

#[test]
fn facts_problems_are_reported_all_at_once() {
    let f: Facts = serde_json::from_str(
        r#"{
        "covered_entity": " ",
        "discovered": "2026-01-10",
        "breach_start": "2026-02-01",
        "breach_end": "2026-01-15",
        "individuals": 100,
        "by_state": {"CA": 60, "XX": 10},
        "deceased": 30,
        "without_contact": 80,
        "deceased_without_contact": 31,
        "categories": ["name", "blood type"],
        "law_enforcement": {"kind": "oral", "stated": "2026-03-01", "written_received": "2026-02-01"}
    }"#,
    )
    .unwrap();
    let problems = f.check();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "without_contact",
            "deceased_without_contact",
            "by_state",
            "by_state.XX",
            "breach_end",
            "discovered",
            "law_enforcement.written_received",
            "law_enforcement.written_until",
            "categories[1]",
            "covered_entity",
        ]
    );
    let det = determine(&f);
    assert_eq!(det.problems, problems, "the determination carries them");
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item == "Resolve the 10 problem(s) in the facts (see `problems`)"));
    assert!(problems.iter().all(|p| !p.message.is_empty()));
}

#[test]
fn bad_facts_json_is_a_clear_error() {
    let err = serde_json::from_str::<Facts>(
        r#"{"covered_entity": "X", "discovered": "2026-02-30", "individuals": 1}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("day 30 does not exist in 2026-02"),
        "{err}"
    );
    let err = serde_json::from_str::<Facts>(r#"{"covered_entity": "X", "discovered": "2026-02-03", "individuals": 1, "encryption": "maybe"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown variant"), "{err}");
}
