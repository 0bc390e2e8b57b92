//! The law-enforcement delay (164.412) and business-associate discovery
//! (164.410).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{d, facts, facts_in};
use phiwatch_hipaa::{determine, Facts, HhsMode, LawEnforcement, Role};

fn written(stated: &str, until: &str) -> Option<LawEnforcement> {
    Some(LawEnforcement::Written {
        stated: d(stated),
        until: d(until),
    })
}

fn oral(stated: &str, received: Option<&str>, until: Option<&str>) -> Option<LawEnforcement> {
    Some(LawEnforcement::Oral {
        stated: d(stated),
        written_received: received.map(d),
        written_until: until.map(d),
    })
}

fn with_delay(le: Option<LawEnforcement>, individuals: u64) -> Facts {
    let mut f = facts("2026-03-02", individuals); // base deadline 2026-05-01
    f.law_enforcement = le;
    f
}

#[test]
fn written_statement_delays_pending_notices_by_its_length() {
    let det = determine(&with_delay(written("2026-04-01", "2026-05-01"), 600));
    assert_eq!(det.individual_notice.base_deadline, Some(d("2026-05-01")));
    assert_eq!(det.individual_deadline, Some(d("2026-05-31")));
    assert_eq!(det.hhs.deadline, Some(d("2026-05-31")));
    assert_eq!(
        det.media_notice.deadline,
        Some(d("2026-05-31")),
        "600 in CA"
    );
    let le = det.law_enforcement.unwrap();
    assert_eq!(
        (le.kind.as_str(), le.delay_days, le.delay_end),
        ("written", 30, d("2026-05-01"))
    );
    assert_eq!(le.affected.len(), 3, "{:?}", le.affected);
    assert!(le.interpretation.contains("tolling") && le.interpretation.contains("counsel"));
    assert!(det.citations.iter().any(|c| c.cite == "45 CFR 164.412"));
}

#[test]
fn only_deadlines_falling_during_the_delay_move() {
    let det = determine(&with_delay(written("2026-05-10", "2026-06-10"), 20));
    assert_eq!(
        det.individual_deadline,
        Some(d("2026-05-01")),
        "due before the statement"
    );
    assert_eq!(
        det.hhs.deadline,
        Some(d("2027-03-01")),
        "due after the delay's end"
    );
    assert!(det.law_enforcement.unwrap().affected.is_empty());

    // A delay that ends before the deadline leaves it too.
    let det = determine(&with_delay(written("2026-03-10", "2026-04-09"), 20));
    assert_eq!(det.individual_deadline, Some(d("2026-05-01")));

    // A deadline on the last day of the delay is during it.
    let det = determine(&with_delay(written("2026-04-21", "2026-05-01"), 20));
    assert_eq!(det.individual_deadline, Some(d("2026-05-11")));
}

#[test]
fn oral_statement_delays_no_longer_than_30_days() {
    let det = determine(&with_delay(oral("2026-04-01", None, None), 20));
    let le = det.law_enforcement.as_ref().unwrap();
    assert_eq!(
        (le.kind.as_str(), le.delay_days, le.delay_end),
        ("oral", 30, d("2026-05-01"))
    );
    assert_eq!(det.individual_deadline, Some(d("2026-05-31")));
    assert!(det.to_complete.iter().any(|t| t
        .item
        .contains("Document the oral law-enforcement statement")));
}

#[test]
fn oral_statement_followed_by_a_written_one_within_30_days() {
    let det = determine(&with_delay(
        oral("2026-04-01", Some("2026-04-20"), Some("2026-06-15")),
        20,
    ));
    let le = det.law_enforcement.as_ref().unwrap();
    assert_eq!(
        (le.kind.as_str(), le.delay_days, le.delay_end),
        ("oral_then_written", 75, d("2026-06-15"))
    );
    assert_eq!(det.individual_deadline, Some(d("2026-07-15")));
    assert!(det.problems.is_empty());

    // A written delay shorter than 30 days applies as written.
    let det = determine(&with_delay(
        oral("2026-04-25", Some("2026-04-26"), Some("2026-05-04")),
        20,
    ));
    assert_eq!(det.law_enforcement.as_ref().unwrap().delay_days, 9);
    assert_eq!(det.individual_deadline, Some(d("2026-05-10")));

    // Without the date it was received, the officer confirms it.
    let det = determine(&with_delay(
        oral("2026-04-01", None, Some("2026-06-15")),
        20,
    ));
    assert_eq!(det.individual_deadline, Some(d("2026-07-15")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("within 30 days of the oral one")));
}

#[test]
fn written_statement_after_the_30_days_does_not_extend_the_oral_delay() {
    let det = determine(&with_delay(
        oral("2026-04-01", Some("2026-05-10"), Some("2026-07-01")),
        20,
    ));
    let le = det.law_enforcement.as_ref().unwrap();
    assert_eq!((le.kind.as_str(), le.delay_days), ("oral", 30));
    assert!(le.interpretation.contains("2026-05-10"));
    assert_eq!(det.individual_deadline, Some(d("2026-05-31")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("more than 30 days after the oral one")));
}

#[test]
fn law_enforcement_delay_moves_the_annual_log_across_years() {
    let mut f = facts("2026-12-01", 70); // individual 2027-01-30, log 2027-03-01
    f.law_enforcement = written("2027-02-15", "2027-03-17");
    let det = determine(&f);
    assert_eq!(
        det.individual_deadline,
        Some(d("2027-01-30")),
        "before the statement"
    );
    assert_eq!(det.hhs.deadline, Some(d("2027-03-31")));
    assert_eq!(det.hhs.mode, Some(HhsMode::AnnualLog));
}

#[test]
fn state_deadlines_are_not_moved_by_the_delay() {
    let mut f = facts_in("2026-03-02", &[("TX", 300)]);
    f.law_enforcement = written("2026-04-15", "2026-05-15");
    let det = determine(&f);
    let tx = &det.state_notices[0];
    assert_eq!(tx.individual_deadline, Some(d("2026-05-01")));
    assert_eq!(tx.regulator_deadline, Some(d("2026-04-01")));
    assert_eq!(det.individual_deadline, Some(d("2026-05-31")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("each State's own delay provision")));
}

#[test]
fn a_delay_ending_before_it_starts_is_a_problem_and_moves_nothing() {
    let det = determine(&with_delay(written("2026-04-01", "2026-03-01"), 20));
    assert_eq!(det.problems.len(), 1);
    assert_eq!(det.problems[0].field, "law_enforcement.until");
    assert_eq!(det.individual_deadline, Some(d("2026-05-01")));
    assert_eq!(det.law_enforcement.unwrap().delay_days, 0);
}

fn ba(agent: bool, notified: Option<&str>, discovered: &str, n: u64) -> Facts {
    let mut f = facts(discovered, n);
    f.role = Role::BusinessAssociate {
        agent_of_ce: agent,
        ce_notified: notified.map(d),
    };
    f
}

#[test]
fn business_associate_that_is_the_agent_starts_the_covered_entitys_clock() {
    let det = determine(&ba(true, Some("2026-04-20"), "2026-03-02", 20));
    let b = det.business_associate.as_ref().unwrap();
    assert_eq!(b.notify_ce_by, d("2026-05-01"));
    assert!(b.agent_of_ce);
    assert_eq!(
        b.ce_clock_start,
        d("2026-03-02"),
        "agent: the BA's discovery, not the notice"
    );
    assert_eq!(det.clock.start, d("2026-03-02"));
    assert_eq!(det.individual_deadline, Some(d("2026-05-01")));
    assert_eq!(b.content.len(), 2);
    assert!(b.content[0].contains("identification of each individual"));
    assert!(det.portal.business_associate_involved);
}

#[test]
fn business_associate_not_agent_the_covered_entity_clock_starts_when_notified() {
    let det = determine(&ba(false, Some("2026-04-15"), "2026-03-02", 20));
    let b = det.business_associate.as_ref().unwrap();
    assert_eq!(b.notify_ce_by, d("2026-05-01"), "the BA's own 60 days");
    assert_eq!(det.clock.start, d("2026-04-15"));
    assert!(!det.clock.assumed);
    assert_eq!(det.individual_deadline, Some(d("2026-06-14")));
    assert_eq!(det.portal.discovery_date, d("2026-04-15"));
    assert_eq!(
        det.state_notices[0].individual_deadline,
        Some(d("2026-05-15")),
        "CA: 30 days from the CE's discovery"
    );
}

#[test]
fn covered_entity_notified_next_year_logs_in_that_year() {
    let det = determine(&ba(false, Some("2027-01-05"), "2026-12-20", 100));
    assert_eq!(
        det.business_associate.as_ref().unwrap().notify_ce_by,
        d("2027-02-18")
    );
    assert_eq!(det.hhs.mode, Some(HhsMode::AnnualLog));
    assert_eq!(
        det.hhs.deadline,
        Some(d("2028-02-29")),
        "discovered by the CE in 2027"
    );
}

#[test]
fn business_associate_not_yet_notified_assumes_the_earliest_clock() {
    let det = determine(&ba(false, None, "2026-03-02", 20));
    assert!(det.clock.assumed);
    assert_eq!(det.clock.start, d("2026-03-02"));
    assert_eq!(det.individual_deadline, Some(d("2026-05-01")));
    assert!(det
        .to_complete
        .iter()
        .any(|t| t.item.contains("role.ce_notified")));
}

#[test]
fn business_associate_deadline_is_delayed_too() {
    let mut f = ba(false, None, "2026-03-02", 20);
    f.law_enforcement = written("2026-04-20", "2026-04-30");
    let det = determine(&f);
    let b = det.business_associate.as_ref().unwrap();
    assert_eq!(
        (b.base_deadline, b.notify_ce_by),
        (d("2026-05-01"), d("2026-05-01")),
        "ends before"
    );
    f.law_enforcement = written("2026-04-20", "2026-05-20");
    let det = determine(&f);
    let b = det.business_associate.as_ref().unwrap();
    assert_eq!(
        (b.base_deadline, b.notify_ce_by),
        (d("2026-05-01"), d("2026-05-31"))
    );
}

#[test]
fn covered_entity_role_has_no_business_associate_section_and_bad_notice_date_is_a_problem() {
    assert!(determine(&facts("2026-03-02", 20))
        .business_associate
        .is_none());
    let det = determine(&ba(false, Some("2026-02-01"), "2026-03-02", 20));
    assert_eq!(det.problems.len(), 1);
    assert_eq!(det.problems[0].field, "role.ce_notified");
}
