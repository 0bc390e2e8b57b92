//! The presumption, the safe harbor, and the individual, media, substitute
//! and deceased notices.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{d, facts, facts_in};
use phiwatch_hipaa::{determine, Assessment, Encryption, SubstituteKind};

#[test]
fn media_notice_needs_more_than_500_residents_of_one_state() {
    let det = determine(&facts_in(
        "2026-03-02",
        &[("CA", 500), ("TX", 501), ("NY", 499)],
    ));
    assert_eq!(det.media_states, ["TX"]);
    assert!(det.media_notice.required);
    assert_eq!(det.media_notice.states.len(), 1);
    assert_eq!(det.media_notice.states[0].residents, 501);
    assert_eq!(det.media_notice.deadline, Some(d("2026-05-01")));

    let exactly = determine(&facts_in("2026-03-02", &[("CA", 500)]));
    assert!(
        exactly.media_states.is_empty(),
        "exactly 500: no media notice"
    );
    assert!(!exactly.media_notice.required);
    assert_eq!(exactly.media_notice.deadline, None);
    assert!(
        exactly.hhs.required,
        "but 500 in total is HHS contemporaneous"
    );
}

#[test]
fn many_small_states_need_hhs_but_no_media() {
    let det = determine(&facts_in(
        "2026-03-02",
        &[("CA", 400), ("OR", 400), ("WA", 400)],
    ));
    assert!(det.media_states.is_empty());
    assert_eq!(det.hhs.mode, Some(phiwatch_hipaa::HhsMode::Contemporaneous));
    assert_eq!(det.state_notices.len(), 3);
}

#[test]
fn individuals_of_unknown_state_never_trigger_media_notice() {
    let det = determine(&facts_in("2026-03-02", &[("unknown", 900), ("DC", 501)]));
    assert_eq!(
        det.media_states,
        ["DC"],
        "DC is a jurisdiction; unknown is not"
    );
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("900 individuals whose State is unknown")));
}

#[test]
fn substitute_notice_kind_flips_at_10_without_contact() {
    let cases = [
        (0, None),
        (1, Some(SubstituteKind::Alternative)),
        (9, Some(SubstituteKind::Alternative)),
        (10, Some(SubstituteKind::WebOrMedia)),
        (250, Some(SubstituteKind::WebOrMedia)),
    ];
    for (without, kind) in cases {
        let mut f = facts("2026-03-02", 1000);
        f.without_contact = without;
        let det = determine(&f);
        let s = &det.substitute_notice;
        assert_eq!(s.kind, kind, "{without} without contact");
        assert_eq!(s.required, kind.is_some(), "{without}");
        assert_eq!(s.count, without);
        let days = (kind == Some(SubstituteKind::WebOrMedia)).then_some(90);
        assert_eq!(s.active_days, days, "{without}");
        assert_eq!(det.portal.substitute_notice_required, kind.is_some());
    }
}

#[test]
fn deceased_without_contact_do_not_count_for_substitute_notice() {
    let mut f = facts("2026-03-02", 100);
    f.deceased = 40;
    f.deceased_without_contact = 40;
    f.without_contact = 5;
    let det = determine(&f);
    assert_eq!(
        det.substitute_notice.kind,
        Some(SubstituteKind::Alternative)
    );
    assert_eq!(det.substitute_notice.count, 5, "only the living count");
    assert_eq!(det.deceased.count, 40);
    assert_eq!(det.deceased.next_of_kin_without_contact, 40);
    assert!(!det.deceased.substitute_notice_required);
    assert!(det.deceased.rule.contains("next of kin"));
    assert_eq!(det.individual_notice.living, 60);
    assert!(det.problems.is_empty(), "{:?}", det.problems);
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("next of kin") && t.item.contains("40")));
}

#[test]
fn secured_phi_needs_no_notification() {
    let mut f = facts_in("2026-03-02", &[("CA", 5000), ("TX", 300)]);
    f.encryption = Encryption::Secured;
    f.without_contact = 50;
    let det = determine(&f);
    assert!(!det.breach_presumed);
    assert!(det.reason.contains("secured"), "{}", det.reason);
    assert_eq!(det.safe_harbor.answer, "secured");
    assert_eq!(det.individual_deadline, None);
    assert!(!det.hhs.required);
    assert!(det.media_states.is_empty());
    assert!(!det.substitute_notice.required);
    assert_eq!(det.worksheet.conclusion.status, "not needed (secured PHI)");
    assert_eq!(det.state_notices.len(), 2);
    for s in &det.state_notices {
        assert_eq!(s.individual_deadline, None, "{}", s.state);
        assert!(!s.regulator_required, "{}", s.state);
        assert!(s.notes.iter().any(|n| n.contains("secured")), "{}", s.state);
    }
    assert!(det.citations.iter().any(|c| c.cite == "45 CFR 164.414(b)"));
}

#[test]
fn unknown_encryption_is_asked_and_presumed_unsecured() {
    let mut f = facts("2026-03-02", 10);
    f.encryption = Encryption::Unknown;
    let det = determine(&f);
    assert!(det.breach_presumed);
    assert_eq!(det.safe_harbor.answer, "unknown");
    assert!(det.safe_harbor.question.contains("NIST SP 800-111"));
    assert!(det.reason.contains("presumed unsecured"));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.starts_with("Answer the safe-harbor question")));
}

fn assessment(low: bool, by: &str) -> Assessment {
    Assessment {
        low_probability: low,
        documented_by: by.to_string(),
        date: d("2026-03-20"),
        notes: Some("Recipient was another covered entity; returned the file.".to_string()),
    }
}

#[test]
fn documented_low_probability_assessment_rebuts_the_presumption() {
    let mut f = facts_in("2026-03-02", &[("NY", 2000)]);
    f.assessment = Some(assessment(true, "Privacy Officer"));
    let det = determine(&f);
    assert!(!det.breach_presumed);
    assert!(det.reason.contains("2026-03-20"), "{}", det.reason);
    assert_eq!(det.individual_deadline, None);
    assert!(!det.hhs.required);
    assert!(det.media_states.is_empty());
    let c = &det.worksheet.conclusion;
    assert_eq!(
        (c.low_probability, c.status.as_str()),
        (Some(true), "documented")
    );
    assert_eq!(c.documented_by.as_deref(), Some("Privacy Officer"));
    let cites: Vec<&str> = det.citations.iter().map(|c| c.cite.as_str()).collect();
    assert!(cites.contains(&"45 CFR 164.414(b)") && cites.contains(&"45 CFR 164.530(j)"));
    assert!(!det
        .to_complete
        .iter()
        .any(|t| t.item.contains("four-factor")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("does not settle the State laws")));
}

#[test]
fn an_assessment_that_is_not_low_or_not_documented_leaves_the_presumption() {
    let mut f = facts("2026-03-02", 20);
    f.assessment = Some(assessment(false, "Privacy Officer"));
    let det = determine(&f);
    assert!(det.breach_presumed);
    assert_eq!(det.worksheet.conclusion.low_probability, Some(false));
    assert!(det.reason.contains("did not conclude"));

    f.assessment = Some(assessment(true, "  "));
    let det = determine(&f);
    assert!(
        det.breach_presumed,
        "an assessment without an author is not documented"
    );
    assert_eq!(det.problems.len(), 1);
    assert_eq!(det.problems[0].field, "assessment.documented_by");
    assert_eq!(det.worksheet.conclusion.low_probability, None);
}

#[test]
fn without_assessment_the_officer_completes_the_worksheet() {
    let det = determine(&facts("2026-03-02", 20));
    assert_eq!(det.worksheet.factors.len(), 4);
    let cites: Vec<&str> = det
        .worksheet
        .factors
        .iter()
        .map(|f| f.citation.as_str())
        .collect();
    assert_eq!(
        cites,
        [
            "45 CFR 164.402(2)(i)",
            "45 CFR 164.402(2)(ii)",
            "45 CFR 164.402(2)(iii)",
            "45 CFR 164.402(2)(iv)"
        ]
    );
    assert!(det
        .worksheet
        .factors
        .iter()
        .all(|f| !f.officer_fields.is_empty() && !f.prefilled.is_empty()));
    assert_eq!(det.worksheet.conclusion.low_probability, None);
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("four-factor risk assessment")));
}

#[test]
fn the_individual_notice_lists_the_five_content_elements() {
    let det = determine(&facts("2026-03-02", 20));
    let n = &det.individual_notice;
    assert_eq!(n.content_elements.len(), 5);
    assert!(n.content_elements[0].contains("date of the breach"));
    assert!(n.content_elements[4].contains("toll-free"));
    assert!(n.citation.contains("164.404(c)"));
    assert!(n.method.contains("first-class mail"));
}

#[test]
fn worksheet_and_portal_are_prefilled_from_the_evidence() {
    let mut f = facts("2026-03-02", 20);
    f.categories = ["name", "dob", "insurance", "clinical", "biometric", "name"]
        .map(String::from)
        .to_vec();
    f.evidence.silos = vec!["EHR.encounters".to_string()];
    f.evidence.actors = vec!["user:jdoe".to_string()];
    f.evidence.destinations = vec!["198.51.100.9".to_string()];
    f.evidence.bytes_out = 4096;
    f.evidence.exfiltration_seen = true;
    let det = determine(&f);
    let p = &det.portal;
    assert_eq!(p.breach_type.as_deref(), Some("Hacking/IT Incident"));
    assert_eq!(p.location, ["Network Server", "Electronic Medical Record"]);
    let kinds: Vec<(&str, usize)> = p
        .phi_types
        .iter()
        .map(|t| (t.kind.as_str(), t.categories.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Demographic", 2),
            ("Financial", 1),
            ("Clinical", 1),
            ("Other", 1)
        ]
    );
    assert_eq!(p.discovery_date, d("2026-03-02"));
    assert!(p.officer_fields.iter().any(|x| x.contains("Safeguards")));
    assert!(p.officer_fields.iter().any(|x| x == "Breach start date"));
    let iii = &det.worksheet.factors[2].prefilled;
    assert!(
        iii.contains(&"Exfiltration seen: yes".to_string()),
        "{iii:?}"
    );
    assert!(
        iii.contains(&"Bytes out: 4096 to 1 destination(s)".to_string()),
        "{iii:?}"
    );

    let mut bare = facts("2026-03-02", 20);
    bare.location = Some("Paper/Films".to_string());
    let det = determine(&bare);
    assert_eq!(det.portal.breach_type, None);
    assert_eq!(det.portal.location, ["Paper/Films"]);
    assert!(det
        .portal
        .officer_fields
        .iter()
        .any(|x| x == "Type of breach"));
}

#[test]
fn without_any_state_the_officer_is_asked_for_them() {
    let mut f = facts("2026-03-02", 800);
    f.by_state.clear();
    f.evidence.summary = Some("Archive uploaded to a file-sharing site.".to_string());
    let det = determine(&f);
    assert!(det.state_notices.is_empty());
    assert!(det.media_states.is_empty());
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.starts_with("No State of residence was given")));
    assert_eq!(
        det.worksheet.summary.as_deref(),
        Some("Archive uploaded to a file-sharing site.")
    );
}
