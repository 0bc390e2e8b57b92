//! HIPAA deadline arithmetic (164.404(b), 164.408), driven by
//! `tests/data/deadlines.txt`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{d, facts};
use phiwatch_hipaa::{determine, HhsMode};

#[test]
fn individual_and_hhs_deadlines_from_file() {
    let text = include_str!("data/deadlines.txt");
    let mut cases = 0;
    let mut modes = [0usize; 2];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("deadlines.txt:{}: {line}", i + 1);
        let [discovered, n, individual, mode, hhs] =
            line.split_whitespace().collect::<Vec<_>>()[..]
        else {
            panic!("{at}: malformed");
        };
        let det = determine(&facts(discovered, n.parse().unwrap()));
        assert!(det.breach_presumed, "{at}");
        assert_eq!(det.individual_deadline, Some(d(individual)), "{at}");
        assert_eq!(
            det.individual_notice.base_deadline,
            Some(d(individual)),
            "{at}"
        );
        assert!(det.hhs.required, "{at}");
        assert_eq!(det.hhs.deadline, Some(d(hhs)), "{at}");
        let want = match mode {
            "contemporaneous" => HhsMode::Contemporaneous,
            "annual_log" => HhsMode::AnnualLog,
            other => panic!("{at}: mode {other}"),
        };
        assert_eq!(det.hhs.mode, Some(want), "{at}");
        modes[usize::from(want == HhsMode::AnnualLog)] += 1;
        assert_eq!(
            det.portal.individual_notice_deadline,
            Some(d(individual)),
            "{at}"
        );
        cases += 1;
    }
    assert_eq!(cases, 19);
    assert_eq!(modes, [8, 11], "contemporaneous, annual_log");
}

#[test]
fn hhs_citation_follows_the_mode() {
    let small = determine(&facts("2026-06-10", 499));
    let large = determine(&facts("2026-06-10", 500));
    assert_eq!(small.hhs.citation, "45 CFR 164.408(c)");
    assert_eq!(large.hhs.citation, "45 CFR 164.408(b)");
    assert!(small
        .citations
        .iter()
        .any(|c| c.cite == "45 CFR 164.408(c)"));
    assert!(!small
        .citations
        .iter()
        .any(|c| c.cite == "45 CFR 164.408(b)"));
    assert!(large
        .citations
        .iter()
        .any(|c| c.cite == "45 CFR 164.408(b)"));
    assert!(small.hhs.how.contains("end of 2026"), "{}", small.hhs.how);
}

#[test]
fn no_individuals_counted_means_no_notice_is_computed() {
    let det = determine(&facts("2026-06-10", 0));
    assert!(det.breach_presumed);
    assert!(
        det.reason.contains("No affected individual"),
        "{}",
        det.reason
    );
    assert_eq!(det.individual_deadline, None);
    assert!(!det.hhs.required);
    assert_eq!(det.hhs.deadline, None);
    assert_eq!(det.hhs.mode, None);
    assert!(det.state_notices.is_empty());
}
