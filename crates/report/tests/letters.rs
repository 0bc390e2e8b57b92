//! The notice drafts: which drafts, the five headings and HIPAA elements,
//! PHI types in words, mail-merge placeholders, deadlines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{occurrences, read, report, report_of, scope, SCENARIOS};
use phiwatch_report::letters;
use serde_json::Value;

const HEADINGS: [&str; 5] = [
    "## What Happened",
    "## What Information Was Involved",
    "## What We Are Doing",
    "## What You Can Do",
    "## For More Information",
];

fn doc<'a>(docs: &'a [phiwatch_report::Document], name: &str) -> &'a str {
    &docs
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .content
}

#[test]
fn the_drafts_each_scenario_needs() {
    let exp: Value = serde_json::from_str(&read("expected.json")).unwrap();
    for s in SCENARIOS {
        let names: Vec<String> = letters(&report(s)).into_iter().map(|d| d.name).collect();
        let want: Vec<String> = exp[s]["letters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, want, "{s}");
    }
}

#[test]
fn individual_letter_has_the_five_elements() {
    let r = report("vendor-compromise");
    let docs = letters(&r);
    let l = doc(&docs, "letters/individual-notice.md");
    // The headings, once each, in order.
    let mut at = 0;
    for h in HEADINGS {
        assert_eq!(occurrences(l, &format!("{h}\n")), 1, "{h}");
        let pos = l.find(h).unwrap();
        assert!(pos > at, "{h} out of order");
        at = pos;
    }
    assert!(l.contains("# Notice of Data Breach"));
    // (1) what happened, with the breach and discovery dates.
    assert!(l.contains("Between November 3, 2026 and November 4, 2026"));
    assert!(l.contains("We discovered this on November 6, 2026."));
    // Nothing left the organization in this scenario, and the letter says
    // so without overstating it.
    assert!(l.contains("has not found that information was copied"));
    // (2) the PHI types, in words.
    for words in [
        "your name, address, date of birth, Social Security number",
        "health insurance information",
        "medical information",
        "billing and payment information",
    ] {
        assert!(l.contains(words), "{words}");
    }
    assert!(!l.contains("dob") && !l.contains("ssn"));
    // (3) steps: SSN involved, so credit freeze and reports.
    assert!(l.contains("security freeze"));
    assert!(l.contains("annualcreditreport.com"));
    assert!(l.contains("Explanation of Benefits"));
    // (4) what the entity does, naming HHS and the NY regulator.
    assert!(l.contains("U.S. Department of Health and Human Services"));
    assert!(l.contains("the New York Attorney General"));
    // (5) contact procedures.
    for p in [
        "[TOLL-FREE NUMBER]",
        "[EMAIL ADDRESS]",
        "[WEBSITE]",
        "[POSTAL ADDRESS]",
    ] {
        assert!(l.contains(p), "{p}");
    }
    // Mail merge and the drafting note with the deadline.
    assert!(l.contains("Dear [PATIENT NAME],"));
    assert!(l.contains("**Send by January 5, 2027 (2027-01-05)**"));
    assert!(l.contains("Residents of New York (NY): send by 2026-12-06"));
    assert!(l.contains("Fill in: [DATE OF LETTER], [PATIENT NAME]"));
    assert!(l.contains("Example Community Hospital"));
}

#[test]
fn categories_decide_the_steps() {
    let mut sc = scope("insider-snooping");
    sc.categories = vec!["name".into(), "clinical".into()];
    let r = report_of(sc);
    let docs = letters(&r);
    let l = doc(&docs, "letters/individual-notice.md");
    assert!(l.contains("may have included your name and medical information"));
    assert!(
        !l.contains("security freeze"),
        "no SSN: no credit freeze advice"
    );
    assert!(!l.contains("credit monitoring"));
    assert!(l.contains("Explanation of Benefits"));
    assert!(l.contains("IdentityTheft.gov"));
}

#[test]
fn next_of_kin_substitute_media_and_regulator_drafts() {
    let r = report("slow-drip");
    let docs = letters(&r);
    let nok = doc(&docs, "letters/next-of-kin-notice.md");
    assert!(nok.contains("next of kin or personal representative of [PATIENT NAME]"));
    assert!(nok.contains("deceased - do not issue credit"));
    assert!(nok.contains("Deceased individuals: 179"));
    let sub = doc(&docs, "letters/substitute-notice.md");
    assert!(sub.contains("home page"));
    assert!(sub.contains("Living individuals without current contact details: 326."));
    assert!(sub.contains("copied out of our systems"));
    for h in HEADINGS {
        assert!(sub.contains(h), "substitute: {h}");
    }
    let ma = doc(&docs, "letters/media-notice-MA.md");
    assert!(ma.contains("approximately 2,350 residents of Massachusetts"));
    assert!(ma.contains("notifying 5,000 patients"));
    assert!(!ma.contains("MAIL-MERGE"));
    let nh = doc(&docs, "letters/media-notice-NH.md");
    assert!(nh.contains("approximately 706 residents of New Hampshire"));
    let ny = doc(&docs, "letters/regulator-NY.md");
    assert!(ny.contains("N.Y. Gen. Bus. Law § 899-aa"));
    assert!(ny.contains("approximately 222 residents of New York (5,000 individuals in all)"));
    assert!(ny.contains("**Send by December 6, 2026 (2026-12-06)**"));
    // Every draft is marked as a draft and carries the note.
    for d in &docs {
        assert!(d.content.starts_with("> **DRAFT"), "{}", d.name);
        assert!(d.content.contains("not legal advice"), "{}", d.name);
        assert_eq!(d.media_type, "text/markdown; charset=utf-8");
    }
}

#[test]
fn no_substitute_or_next_of_kin_draft_when_not_needed() {
    let mut sc = scope("insider-snooping");
    sc.individuals.deceased = 0;
    sc.individuals.without_contact = 0;
    let r = report_of(sc);
    let names: Vec<String> = letters(&r).into_iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        ["letters/individual-notice.md", "letters/regulator-NY.md"]
    );
}
