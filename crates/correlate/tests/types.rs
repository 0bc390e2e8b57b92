//! Each correlation type on hand-made series whose answer is known.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build, ev, group, records, run, secs, Ev};

fn corr(kind: &str, rules: &str, group_by: &str, timespan: &str, condition: &str) -> String {
    format!(
        "title: t\nname: under_test\ncorrelation:\n  type: {kind}\n  rules: [{rules}]\n  group-by: [{group_by}]\n  timespan: {timespan}\n{condition}"
    )
}

fn user(t: i64, rule: usize, u: &str) -> Ev {
    ev(t, &[rule], &[("User", u)])
}

#[test]
fn event_count_fires_at_threshold_with_window_and_evidence() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    let hits = run(
        &mut c,
        &[
            user(0, 0, "alice"),
            user(10, 0, "alice"),
            user(20, 0, "alice"),
        ],
    );
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h.correlation, 0);
    assert_eq!(h.group, group(&[("User", "alice")]));
    assert_eq!((secs(h.first), secs(h.last)), (0, 20));
    assert_eq!(h.value, 3.0);
    assert_eq!(records(h), vec![1, 2, 3]);
    assert_eq!(c.stats().hits, 1);
    assert_eq!(c.stats().observed, 3);
}

#[test]
fn event_count_below_threshold_is_silent() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    assert!(run(&mut c, &[user(0, 0, "alice"), user(10, 0, "alice")]).is_empty());
}

#[test]
fn one_burst_gives_one_hit_then_window_restarts() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    let events: Vec<Ev> = (0..7).map(|t| user(t, 0, "alice")).collect();
    let hits = run(&mut c, &events);
    // 7 events: hit at the 3rd, window reset, hit at the 6th, 7th pending.
    assert_eq!(hits.len(), 2);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (0, 2));
    assert_eq!((secs(hits[1].first), secs(hits[1].last)), (3, 5));
    assert_eq!(records(&hits[1]), vec![4, 5, 6]);
}

#[test]
fn evidence_is_bounded_by_max_evidence_and_keeps_newest() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 30\n",
    );
    let config = phiwatch_correlate::CorrelationConfig {
        max_groups: 10,
        max_evidence: 5,
    };
    let (mut c, errors) = common::build_with(&yaml, &["a"], config);
    assert!(errors.is_empty());
    let events: Vec<Ev> = (0..30).map(|t| user(t, 0, "alice")).collect();
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 30.0);
    assert_eq!(records(&hits[0]), vec![26, 27, 28, 29, 30]);
    assert_eq!(secs(hits[0].first), 0);
}

#[test]
fn empty_group_by_is_one_global_group() {
    let yaml = "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 60s\n  condition:\n    gte: 2\n";
    let mut c = build(yaml, &["a"]);
    let hits = run(&mut c, &[user(0, 0, "alice"), user(1, 0, "bob")]);
    assert_eq!(hits.len(), 1);
    assert!(hits[0].group.is_empty());
}

#[test]
fn missing_group_field_is_skipped_and_counted() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 2\n",
    );
    let mut c = build(&yaml, &["a"]);
    let hits = run(
        &mut c,
        &[user(0, 0, "alice"), ev(1, &[0], &[]), user(2, 0, "alice")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(records(&hits[0]), vec![1, 3]);
    assert_eq!(c.stats().skipped, 1);
}

#[test]
fn value_count_counts_distinct_values() {
    let yaml = corr(
        "value_count",
        "a",
        "Host",
        "5m",
        "  condition:\n    field: User\n    gte: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, u| ev(t, &[0], &[("Host", "h1"), ("User", u)]);
    // alice thrice, bob once: 2 distinct, no hit; carol makes 3.
    let hits = run(
        &mut c,
        &[
            e(0, "alice"),
            e(1, "alice"),
            e(2, "bob"),
            e(3, "alice"),
            e(4, "carol"),
        ],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 3.0);
    assert_eq!(secs(hits[0].last), 4);
    assert_eq!(hits[0].group, group(&[("Host", "h1")]));
}

#[test]
fn value_count_forgets_values_that_left_the_window() {
    let yaml = corr(
        "value_count",
        "a",
        "Host",
        "60s",
        "  condition:\n    field: User\n    gte: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, u| ev(t, &[0], &[("Host", "h1"), ("User", u)]);
    // alice at 0 is gone by 70; bob, carol in the window: 2.
    assert!(run(&mut c, &[e(0, "alice"), e(30, "bob"), e(70, "carol")]).is_empty());
    // alice seen again at 50 stays in: 3 distinct at 70.
    let mut c = build(&yaml, &["a"]);
    let hits = run(
        &mut c,
        &[e(0, "alice"), e(30, "bob"), e(50, "alice"), e(70, "carol")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(secs(hits[0].first), 30);
}

#[test]
fn value_count_with_two_fields_counts_pairs() {
    let yaml = corr(
        "value_count",
        "a",
        "Host",
        "60s",
        "  condition:\n    field: [User, Domain]\n    gte: 2\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, u, d| ev(t, &[0], &[("Host", "h"), ("User", u), ("Domain", d)]);
    let hits = run(
        &mut c,
        &[e(0, "alice", "x"), e(1, "alice", "x"), e(2, "alice", "y")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(secs(hits[0].last), 2);
}

#[test]
fn temporal_needs_every_rule_in_any_order() {
    let yaml = corr("temporal", "a, b, c", "User", "5m", "");
    let mut c = build(&yaml, &["a", "b", "c"]);
    let hits = run(
        &mut c,
        &[user(0, 2, "u"), user(10, 0, "u"), user(20, 1, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 3.0);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (0, 20));

    let mut c = build(&yaml, &["a", "b", "c"]);
    // a and b many times, never c: nothing.
    let events: Vec<Ev> = (0..10).map(|t| user(t, (t % 2) as usize, "u")).collect();
    assert!(run(&mut c, &events).is_empty());
}

#[test]
fn temporal_with_explicit_threshold_counts_rules() {
    let yaml = corr(
        "temporal",
        "a, b, c",
        "User",
        "5m",
        "  condition:\n    gte: 2\n",
    );
    let mut c = build(&yaml, &["a", "b", "c"]);
    let hits = run(&mut c, &[user(0, 0, "u"), user(1, 0, "u"), user(2, 2, "u")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 2.0);
    assert_eq!(secs(hits[0].last), 2);
}

#[test]
fn temporal_event_matching_two_rules_counts_for_both() {
    let yaml = corr("temporal", "a, b", "User", "5m", "");
    let mut c = build(&yaml, &["a", "b"]);
    let hits = run(&mut c, &[ev(0, &[0, 1], &[("User", "u")])]);
    assert_eq!(hits.len(), 1);
    assert_eq!(records(&hits[0]), vec![1, 1]);
}

#[test]
fn temporal_expression_condition() {
    let yaml = corr(
        "temporal",
        "a, b, c",
        "User",
        "5m",
        "  condition: a and (b or c)\n",
    );
    let mut c = build(&yaml, &["a", "b", "c"]);
    let hits = run(&mut c, &[user(0, 2, "u"), user(1, 0, "u")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(secs(hits[0].last), 1);

    // With `not`, the answer is known only when the window closes.
    let yaml = corr(
        "temporal",
        "a, b",
        "User",
        "5m",
        "  condition: a and not b\n",
    );
    let mut c = build(&yaml, &["a", "b"]);
    let hits = run(
        &mut c,
        &[user(0, 0, "x"), user(0, 0, "y"), user(60, 1, "y")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "x")]));
    assert_eq!(
        secs(hits[0].last),
        300,
        "a close-decided hit ends at the window end"
    );
}

#[test]
fn temporal_ordered_fires_only_in_listed_order() {
    let yaml = corr("temporal_ordered", "a, b, c", "User", "5m", "");
    let mut c = build(&yaml, &["a", "b", "c"]);
    let hits = run(
        &mut c,
        &[user(0, 0, "u"), user(10, 1, "u"), user(20, 2, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 3.0);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (0, 20));

    let mut c = build(&yaml, &["a", "b", "c"]);
    assert!(run(
        &mut c,
        &[user(0, 2, "u"), user(10, 1, "u"), user(20, 0, "u")]
    )
    .is_empty());
}

#[test]
fn value_sum_fires_over_threshold_and_skips_non_numbers() {
    let yaml = corr(
        "value_sum",
        "a",
        "User",
        "1h",
        "  condition:\n    field: bytes\n    gt: 1000\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, b| ev(t, &[0], &[("User", "u"), ("bytes", b)]);
    let hits = run(
        &mut c,
        &[e(0, "400"), e(1, "lots"), e(2, "600"), e(3, " 1.5 ")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 1001.5);
    assert_eq!(records(&hits[0]), vec![1, 3, 4]);
    assert_eq!(c.stats().skipped, 1);
}

#[test]
fn value_avg_over_window() {
    let yaml = corr(
        "value_avg",
        "a",
        "User",
        "1h",
        "  condition:\n    field: bytes\n    gt: 500\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, b| ev(t, &[0], &[("User", "u"), ("bytes", b)]);
    // averages: 100, 300, 466.67, 600 -> fires on the 4th.
    let hits = run(
        &mut c,
        &[e(0, "100"), e(1, "500"), e(2, "800"), e(3, "1000")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 600.0);
    assert_eq!(secs(hits[0].last), 3);
}

#[test]
fn value_percentile_compares_the_percentile_value() {
    let yaml = corr(
        "value_percentile",
        "a",
        "User",
        "1h",
        "  condition:\n    field: ms\n    percentile: 90\n    gte: 900\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, v: &str| ev(t, &[0], &[("User", "u"), ("ms", v)]);
    // values 100..=1000 step 100: p90 of the first 9 is 820, of 10 is 910.
    let events: Vec<Ev> = (1..=10).map(|i| e(i, &(i * 100).to_string())).collect();
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(secs(hits[0].last), 10);
    assert!((hits[0].value - 910.0).abs() < 1e-9, "{}", hits[0].value);
}

#[test]
fn value_median_is_percentile_50() {
    let yaml = corr(
        "value_median",
        "a",
        "User",
        "1h",
        "  condition:\n    field: ms\n    gte: 20\n",
    );
    let mut c = build(&yaml, &["a"]);
    let e = |t, v| ev(t, &[0], &[("User", "u"), ("ms", v)]);
    let hits = run(&mut c, &[e(0, "10"), e(1, "10"), e(2, "40"), e(3, "40")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 25.0);
    assert_eq!(secs(hits[0].last), 3);
}

#[test]
fn lt_is_decided_when_the_window_closes() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "1h",
        "  condition:\n    lt: 3\n",
    );
    let mut c = build(&yaml, &["a"]);
    let events = [
        user(0, 0, "quiet"),
        user(60, 0, "quiet"),
        user(0, 0, "busy"),
        user(1, 0, "busy"),
        user(2, 0, "busy"),
        // Time passes the end of both windows (0 + 1h).
        user(3700, 0, "later"),
    ];
    let seen = common::observe_all(&mut c, &events);
    assert_eq!(seen.len(), 1, "quiet closes when time passes 1h: {seen:?}");
    assert_eq!(seen[0].group, group(&[("User", "quiet")]));
    assert_eq!(seen[0].value, 2.0);
    assert_eq!((secs(seen[0].first), secs(seen[0].last)), (0, 3600));
    // `later` has 1 event; its window is decided at finish.
    let mut rest = Vec::new();
    c.finish(&mut rest);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].group, group(&[("User", "later")]));
}

#[test]
fn range_condition_is_decided_at_close() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gt: 2\n    lte: 4\n",
    );
    let mut c = build(&yaml, &["a"]);
    let mut events: Vec<Ev> = (0..3).map(|t| user(t, 0, "three")).collect();
    events.extend((0..6).map(|t| user(t, 0, "six")));
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "three")]));
    assert_eq!(hits[0].value, 3.0);
}

#[test]
fn eq_and_neq() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    eq: 2\n",
    );
    let mut c = build(&yaml, &["a"]);
    let hits = run(&mut c, &[user(0, 0, "x"), user(1, 0, "x"), user(0, 0, "y")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "x")]));

    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    neq: 2\n",
    );
    let mut c = build(&yaml, &["a"]);
    let hits = run(&mut c, &[user(0, 0, "x"), user(1, 0, "x"), user(0, 0, "y")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "y")]));
}

#[test]
fn tumbling_window_does_not_cross_buckets() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "60s",
        "  condition:\n    gte: 2\n  window: tumbling\n",
    );
    let mut c = build(&yaml, &["a"]);
    // 50 and 70 are 20 s apart but in different minutes.
    assert!(run(&mut c, &[user(50, 0, "u"), user(70, 0, "u")]).is_empty());
    let mut c = build(&yaml, &["a"]);
    let hits = run(&mut c, &[user(61, 0, "u"), user(119, 0, "u")]);
    assert_eq!(hits.len(), 1);
}

#[test]
fn session_window_ends_after_gap() {
    let yaml = corr(
        "event_count",
        "a",
        "User",
        "1h",
        "  condition:\n    gte: 3\n  window: session\n  gap: 30s\n",
    );
    let mut c = build(&yaml, &["a"]);
    // Pauses of 20 s keep the session: hit. A 40 s pause breaks it.
    let hits = run(
        &mut c,
        &[user(0, 0, "u"), user(20, 0, "u"), user(40, 0, "u")],
    );
    assert_eq!(hits.len(), 1);
    let mut c = build(&yaml, &["a"]);
    assert!(run(
        &mut c,
        &[user(0, 0, "u"), user(20, 0, "u"), user(60, 0, "u")]
    )
    .is_empty());
}
