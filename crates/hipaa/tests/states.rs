//! State laws: the built-in table, each State's thresholds at the boundary
//! (`tests/data/state_thresholds.txt`), the default rule, unknown States,
//! and the table's diagnostics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{d, facts_in};
use phiwatch_hipaa::{determine, determine_with, StateTable, BUILTIN_STATES};

#[test]
fn builtin_table_has_the_six_states_with_citations() {
    let table = StateTable::builtin().unwrap();
    assert_eq!(
        table.codes().collect::<Vec<_>>(),
        ["CA", "CO", "FL", "NY", "TX", "WA"]
    );
    let cites: Vec<&str> = table
        .codes()
        .map(|c| table.get(c).unwrap().citation.as_str())
        .collect();
    assert_eq!(
        cites,
        [
            "Cal. Civ. Code § 1798.82",
            "Colo. Rev. Stat. § 6-1-716",
            "Fla. Stat. § 501.171",
            "N.Y. Gen. Bus. Law § 899-aa",
            "Tex. Bus. & Com. Code § 521.053",
            "RCW 19.255.010"
        ]
    );
    for code in table.codes() {
        let law = table.get(code).unwrap();
        assert!(law.regulator.is_some(), "{code} names a regulator");
        assert!(!law.verify.is_empty(), "{code} marks what to verify");
    }
    assert!(BUILTIN_STATES.contains("1280.15"));
}

#[test]
fn state_thresholds_at_the_boundary_from_file() {
    let text = include_str!("data/state_thresholds.txt");
    let mut cases = 0;
    let mut required = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("state_thresholds.txt:{}: {line}", i + 1);
        let [state, residents, total, regulator, cra, individual, reg_deadline] =
            line.split_whitespace().collect::<Vec<_>>()[..]
        else {
            panic!("{at}: malformed");
        };
        let residents: u64 = residents.parse().unwrap();
        let total: u64 = total.parse().unwrap();
        let mut states = vec![(state, residents)];
        if total > residents {
            states.push(("OR", total - residents));
        }
        let det = determine(&facts_in("2026-03-02", &states));
        let n = det
            .state_notices
            .iter()
            .find(|n| n.state == state)
            .unwrap_or_else(|| panic!("{at}"));
        assert!(!n.default_rule, "{at}");
        assert_eq!(n.residents, residents, "{at}");
        assert_eq!(n.regulator_required, regulator == "yes", "{at}");
        required += usize::from(n.regulator_required);
        match cra {
            "-" => assert!(n.consumer_reporting_agencies.is_none(), "{at}"),
            yes_no => assert_eq!(
                n.consumer_reporting_agencies.as_ref().map(|c| c.required),
                Some(yes_no == "yes"),
                "{at}"
            ),
        }
        assert_eq!(n.individual_deadline, Some(d(individual)), "{at}");
        let want = (reg_deadline != "-").then(|| d(reg_deadline));
        assert_eq!(n.regulator_deadline, want, "{at}");
        cases += 1;
    }
    assert_eq!(cases, 20);
    assert_eq!(required, 15);
}

#[test]
fn other_deadlines_count_business_days() {
    // Discovered Monday 2026-03-02: CA H&S 1280.15 -> 15 business days.
    let det = determine(&facts_in("2026-03-02", &[("CA", 10), ("NY", 600)]));
    let ca = &det.state_notices[0];
    assert_eq!(ca.other_deadlines.len(), 1);
    assert_eq!(ca.other_deadlines[0].deadline, Some(d("2026-03-23")));
    assert!(ca.other_deadlines[0].citation.contains("1280.15"));
    // NY: the AG within 5 business days of notifying HHS (610 in total:
    // HHS with the notices, 2026-05-01, a Friday).
    let ny = &det.state_notices[1];
    assert_eq!(det.hhs.deadline, Some(d("2026-05-01")));
    assert_eq!(ny.other_deadlines[0].deadline, Some(d("2026-05-08")));
    // Fewer than 500: after the annual log, 2027-03-01 (a Monday).
    let det = determine(&facts_in("2026-03-02", &[("NY", 20)]));
    assert_eq!(
        det.state_notices[0].other_deadlines[0].deadline,
        Some(d("2027-03-08"))
    );
}

#[test]
fn hipaa_deemed_compliance_is_reported_per_state() {
    let det = determine(&facts_in(
        "2026-03-02",
        &[
            ("CA", 1),
            ("CO", 1),
            ("FL", 1),
            ("NY", 1),
            ("TX", 1),
            ("WA", 1),
        ],
    ));
    let deemed: Vec<(&str, bool)> = det
        .state_notices
        .iter()
        .map(|n| (n.state.as_str(), n.hipaa_deemed_compliance.is_some()))
        .collect();
    assert_eq!(
        deemed,
        [
            ("CA", true),
            ("CO", true),
            ("FL", true),
            ("NY", true),
            ("TX", false),
            ("WA", true)
        ]
    );
    for n in &det.state_notices {
        let notes = n
            .notes
            .iter()
            .filter(|x| x.starts_with("HIPAA deemed compliance: "))
            .count();
        assert_eq!(notes, 1, "{}: the note says it too", n.state);
    }
    let tx = det.state_notices.iter().find(|n| n.state == "TX").unwrap();
    assert!(tx.notes.iter().any(|x| x.contains("none recorded")));
    let fl = det.state_notices.iter().find(|n| n.state == "FL").unwrap();
    assert!(fl
        .hipaa_deemed_compliance
        .as_ref()
        .unwrap()
        .contains("copy of the notice"));
    assert!(det.to_complete.iter().any(|t| t
        .item
        .starts_with("CO, FL, TX count from the determination")));
    assert_eq!(
        det.to_complete
            .iter()
            .filter(|t| t.item.contains("marked `verify`"))
            .count(),
        6
    );
}

#[test]
fn a_state_outside_the_table_gets_the_default_rule() {
    let det = determine(&facts_in("2026-03-02", &[("OR", 700)]));
    let or = &det.state_notices[0];
    assert!(or.default_rule);
    assert_eq!(
        or.individual_deadline,
        Some(d("2026-05-01")),
        "HIPAA's 60 days as the outer bound"
    );
    assert!(or
        .individual_deadline_text
        .contains("HIPAA's 60 days is the outer bound"));
    assert_eq!(
        (or.regulator.as_ref(), or.regulator_required),
        (None, false)
    );
    assert!(det.to_complete.iter().any(|t| t
        .item
        .starts_with("Check the OR breach notification statute")));
    assert_eq!(det.media_states, ["OR"], "the media rule is federal");
}

#[test]
fn individuals_of_unknown_state_get_the_default_rule_and_a_task() {
    let det = determine(&facts_in("2026-03-02", &[("unknown", 12), ("TX", 3)]));
    assert_eq!(det.state_notices.len(), 2);
    let unknown = det
        .state_notices
        .iter()
        .find(|n| n.state == "unknown")
        .unwrap();
    assert!(unknown.default_rule);
    assert_eq!(unknown.residents, 12);
    assert_eq!(unknown.individual_deadline, Some(d("2026-05-01")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("12 individuals whose State is unknown")));
    assert!(det.problems.is_empty());
}

#[test]
fn states_with_zero_residents_are_left_out_and_bad_codes_are_problems() {
    let mut f = facts_in("2026-03-02", &[("CA", 5), ("TX", 0), ("Texas", 3)]);
    f.individuals = 8;
    let det = determine(&f);
    let states: Vec<&str> = det.state_notices.iter().map(|n| n.state.as_str()).collect();
    assert_eq!(states, ["CA", "Texas"]);
    assert_eq!(det.problems.len(), 1);
    assert_eq!(det.problems[0].field, "by_state.Texas");
}

#[test]
fn a_custom_table_replaces_the_builtin_one() {
    let table = StateTable::parse(
        r#"
[[state]]
code = "OR"
name = "Oregon"
law = "Oregon Consumer Information Protection Act"
citation = "ORS 646A.604"
individual = { days = 45, from = "discovery", text = "45 days after discovery" }
regulator = { name = "Oregon Attorney General", more_than = 250, deadline = { days = 0, from = "individual_notice", text = "with the notices" } }
"#,
        "custom.toml",
    )
    .unwrap();
    assert_eq!(table.len(), 1);
    let det = determine_with(&facts_in("2026-03-02", &[("OR", 251), ("CA", 10)]), &table);
    let or = &det.state_notices[1];
    assert_eq!((or.state.as_str(), or.default_rule), ("OR", false));
    assert_eq!(or.individual_deadline, Some(d("2026-04-16")));
    assert_eq!(or.regulator_deadline, Some(d("2026-04-16")));
    assert!(det.state_notices[0].default_rule, "CA is not in this table");
    assert!(det.citations.iter().any(|c| c.cite == "ORS 646A.604"));
}

#[test]
fn a_broken_table_reports_every_problem_with_its_line() {
    let text = include_str!("data/broken_states.toml");
    let err = StateTable::parse(text, "broken_states.toml").unwrap_err();
    let got: Vec<(usize, &str)> = err.0.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(got.len(), 6, "{err}");
    let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(lines, [3, 10, 18, 25, 32, 47], "{err}");
    assert!(got[0].1.contains("\"ZZ\" is not a USPS"), "{err}");
    assert!(
        got[1].1.contains("exactly one of more_than or at_least"),
        "{err}"
    );
    assert!(
        got[2].1.contains("days or business_days, not both"),
        "{err}"
    );
    assert!(got[3].1.contains("the day after"), "{err}");
    assert!(got[4].1.contains("deadline"), "{err}");
    assert!(got[5].1.contains("text is empty"), "{err}");
    assert!(
        err.to_string().starts_with("broken_states.toml:3: "),
        "{err}"
    );

    let err = StateTable::parse("[[state]\ncode = 1", "bad.toml").unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].line, 1, "{err}");
    let err = StateTable::parse("[[state]]\ncode = \"CA\"\n", "short.toml").unwrap_err();
    assert!(err.0[0].message.contains("missing field"), "{err}");
}
