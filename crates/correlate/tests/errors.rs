//! Correlations that cannot be used are reported, each with its index and
//! reason, and never stop the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build_with, ev, run};
use phiwatch_correlate::{CorrelationConfig, CorrelationError};

const GOOD: &str = "title: good\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 2\n";

/// Builds `bad` followed by a good correlation; checks the one error and
/// that the good correlation still fires.
fn check(bad: &str, reason_part: &str) -> CorrelationError {
    let yaml = format!("{bad}---\n{GOOD}");
    let (mut c, errors) = build_with(&yaml, &["a", "b"], CorrelationConfig::default());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].index, 0);
    assert!(
        errors[0].reason.contains(reason_part),
        "expected '{reason_part}' in '{}'",
        errors[0].reason
    );
    let e = |t| ev(t, &[0, 1], &[("User", "u"), ("bytes", "5")]);
    let hits = run(&mut c, &[e(0), e(1)]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].correlation, 1);
    errors[0].clone()
}

#[test]
fn unknown_reference() {
    let e = check(
        "title: x\ncorrelation:\n  type: event_count\n  rules: [a, nope]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n",
        "unknown rule reference 'nope'",
    );
    assert_eq!(
        e.to_string(),
        "correlation 0: unknown rule reference 'nope'"
    );
}

#[test]
fn empty_rules() {
    check(
        "title: x\ncorrelation:\n  type: event_count\n  rules: []\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n",
        "no rules",
    );
}

#[test]
fn value_types_need_a_field() {
    for kind in ["value_count", "value_sum", "value_avg", "value_percentile"] {
        let bad = format!("title: x\ncorrelation:\n  type: {kind}\n  rules: [b]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n");
        check(&bad, "needs condition.field");
    }
}

#[test]
fn numeric_types_take_one_field() {
    check(
        "title: x\ncorrelation:\n  type: value_sum\n  rules: [b]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    field: [bytes, other]\n    gte: 1\n",
        "one numeric field",
    );
}

#[test]
fn percentile_out_of_range() {
    check(
        "title: x\ncorrelation:\n  type: value_percentile\n  rules: [b]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    field: bytes\n    percentile: 101\n    gte: 1\n",
        "percentile 101 is out of range",
    );
}

#[test]
fn zero_timespan() {
    check(
        "title: x\ncorrelation:\n  type: event_count\n  rules: [b]\n  group-by: [User]\n  timespan: 0s\n  condition:\n    gte: 1\n",
        "timespan",
    );
}

#[test]
fn expression_condition_outside_temporal() {
    check(
        "title: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  group-by: [User]\n  timespan: 1m\n  condition: a and b\n",
        "only supported for temporal",
    );
}

#[test]
fn expression_naming_an_unknown_rule() {
    check(
        "title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [User]\n  timespan: 1m\n  condition: a and zzz\n",
        "'zzz'",
    );
}

#[test]
fn ambiguous_reference() {
    // `b` is a base rule and also the name of the first correlation.
    let yaml = "title: x\nname: b\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n---\ntitle: y\ncorrelation:\n  type: event_count\n  rules: [b]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n";
    let (_, errors) = build_with(yaml, &["a", "b"], CorrelationConfig::default());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].index, 1);
    assert!(errors[0].reason.contains("both a rule and a correlation"));
}

#[test]
fn every_error_is_reported_at_once() {
    let yaml = "title: x\ncorrelation:\n  type: event_count\n  rules: [nope]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n---\ntitle: y\ncorrelation:\n  type: value_sum\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n";
    let (_, errors) = build_with(yaml, &["a"], CorrelationConfig::default());
    let indices: Vec<usize> = errors.iter().map(|e| e.index).collect();
    assert_eq!(indices, vec![0, 1]);
}
