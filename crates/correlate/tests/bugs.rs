//! Bugs other correlation engines had, as regression tests, and the bounds
//! on state: groups never combined, order enforced in `temporal_ordered`,
//! windows never longer than the timespan, `max_groups` eviction, late
//! events, expiry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build, build_with, ev, group, observe_all, run, secs, Ev};
use phiwatch_correlate::CorrelationConfig;

const COUNT3: &str = "title: t\nname: count3\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1h\n  condition:\n    gte: 3\n";

fn user(t: i64, rule: usize, u: &str) -> Ev {
    ev(t, &[rule], &[("User", u)])
}

#[test]
fn events_of_different_groups_are_never_combined() {
    let mut c = build(COUNT3, &["a"]);
    // Five events, at most two per user: a global counter would fire.
    let events = [
        user(0, 0, "alice"),
        user(1, 0, "bob"),
        user(2, 0, "alice"),
        user(3, 0, "bob"),
        user(4, 0, "carol"),
    ];
    assert!(run(&mut c, &events).is_empty());
}

#[test]
fn multi_field_groups_differ_when_any_field_differs() {
    let yaml = COUNT3.replace("group-by: [User]", "group-by: [User, Host]");
    let mut c = build(&yaml, &["a"]);
    let e = |t, h| ev(t, &[0], &[("User", "alice"), ("Host", h)]);
    assert!(run(&mut c, &[e(0, "h1"), e(1, "h2"), e(2, "h1"), e(3, "h2")]).is_empty());
    let mut c = build(&yaml, &["a"]);
    let hits = run(&mut c, &[e(0, "h1"), e(1, "h2"), e(2, "h1"), e(3, "h1")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "alice"), ("Host", "h1")]));
}

#[test]
fn group_values_cannot_collide_by_concatenation() {
    // ("ab", "c") and ("a", "bc") are different groups.
    let yaml = COUNT3.replace("group-by: [User]", "group-by: [User, Host]");
    let mut c = build(&yaml, &["a"]);
    let e = |t, u, h| ev(t, &[0], &[("User", u), ("Host", h)]);
    assert!(run(&mut c, &[e(0, "ab", "c"), e(1, "a", "bc"), e(2, "ab", "c")]).is_empty());
}

#[test]
fn temporal_groups_are_never_combined() {
    let yaml = "title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n";
    let mut c = build(yaml, &["a", "b"]);
    assert!(run(&mut c, &[user(0, 0, "alice"), user(1, 1, "bob")]).is_empty());
}

#[test]
fn temporal_ordered_enforces_order() {
    let yaml = "title: t\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n";
    let mut c = build(yaml, &["a", "b"]);
    // b then a: both seen, wrong order.
    assert!(run(&mut c, &[user(0, 1, "u"), user(10, 0, "u")]).is_empty());
    // b, a, b: the second b follows a.
    let mut c = build(yaml, &["a", "b"]);
    let hits = run(
        &mut c,
        &[user(0, 1, "u"), user(10, 0, "u"), user(20, 1, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (10, 20));
    assert_eq!(common::records(&hits[0]), vec![1, 2, 3]);
}

#[test]
fn temporal_ordered_needs_every_step_in_order() {
    let yaml = "title: t\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, c]\n  group-by: [User]\n  timespan: 5m\n";
    // a, c, b: c came before b.
    let mut c = build(yaml, &["a", "b", "c"]);
    assert!(run(&mut c, &[user(0, 0, "u"), user(1, 2, "u"), user(2, 1, "u")]).is_empty());
    // One event matching a and b at once does not make two steps.
    let mut c = build(yaml, &["a", "b", "c"]);
    let both = ev(0, &[0, 1], &[("User", "u")]);
    assert!(run(&mut c, &[both, user(1, 2, "u")]).is_empty());
}

#[test]
fn temporal_ordered_sequence_must_fit_in_timespan() {
    let yaml = "title: t\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n";
    let mut c = build(yaml, &["a", "b"]);
    assert!(run(&mut c, &[user(0, 0, "u"), user(301, 1, "u")]).is_empty());
    // A later a restarts the sequence inside the window.
    let mut c = build(yaml, &["a", "b"]);
    let hits = run(
        &mut c,
        &[user(0, 0, "u"), user(200, 0, "u"), user(400, 1, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(secs(hits[0].first), 200);
}

#[test]
fn event_count_window_never_spans_more_than_timespan() {
    let mut c = build(COUNT3, &["a"]);
    // 0, 40 min, 80 min: any two are within an hour, never all three.
    assert!(run(
        &mut c,
        &[user(0, 0, "u"), user(2400, 0, "u"), user(4800, 0, "u")]
    )
    .is_empty());
    // Exactly one hour between first and last counts (inclusive bound).
    let mut c = build(COUNT3, &["a"]);
    let hits = run(
        &mut c,
        &[user(0, 0, "u"), user(1800, 0, "u"), user(3600, 0, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert!(secs(hits[0].last) - secs(hits[0].first) <= 3600);
    // One second more does not.
    let mut c = build(COUNT3, &["a"]);
    assert!(run(
        &mut c,
        &[user(0, 0, "u"), user(1800, 0, "u"), user(3601, 0, "u")]
    )
    .is_empty());
}

#[test]
fn temporal_window_never_spans_more_than_timespan() {
    let yaml = "title: t\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n  group-by: [User]\n  timespan: 1h\n";
    let mut c = build(yaml, &["a", "b", "c"]);
    assert!(run(
        &mut c,
        &[user(0, 0, "u"), user(3000, 1, "u"), user(4200, 2, "u")]
    )
    .is_empty());
}

#[test]
fn sliding_window_keeps_recent_events_after_old_ones_expire() {
    let mut c = build(COUNT3, &["a"]);
    // 0 has expired at 3700; 3000, 3700, 4000 are within an hour.
    let events = [
        user(0, 0, "u"),
        user(3000, 0, "u"),
        user(3700, 0, "u"),
        user(4000, 0, "u"),
    ];
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (3000, 4000));
    assert_eq!(hits[0].value, 3.0);
}

#[test]
fn max_groups_evicts_oldest_updated_group_and_counts_it() {
    let config = CorrelationConfig {
        max_groups: 2,
        max_evidence: 20,
    };
    let (mut c, errors) = build_with(COUNT3, &["a"], config);
    assert!(errors.is_empty());
    let events = [
        user(0, 0, "alice"),
        user(1, 0, "alice"),
        user(2, 0, "bob"),
        user(3, 0, "carol"), // evicts alice (least recently updated)
        user(4, 0, "alice"), // alice starts over (evicts bob): 1 event
        user(5, 0, "alice"),
    ];
    let hits = run(&mut c, &events);
    assert!(hits.is_empty(), "alice's count restarted: {hits:?}");
    assert_eq!(c.stats().groups_evicted, 2);
    assert!(c.group_count(0) <= 2);
    // The most recently updated group survives eviction.
    let (mut c, _) = build_with(
        COUNT3,
        &["a"],
        CorrelationConfig {
            max_groups: 2,
            max_evidence: 20,
        },
    );
    let events = [
        user(0, 0, "alice"),
        user(1, 0, "bob"),
        user(2, 0, "alice"),
        user(3, 0, "carol"), // evicts bob, not alice
        user(4, 0, "alice"),
    ];
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("User", "alice")]));
    assert_eq!(c.stats().groups_evicted, 1);
}

#[test]
fn late_events_are_counted_and_ignored() {
    let mut c = build(COUNT3, &["a"]);
    let events = [
        user(10_000, 0, "u"),
        user(0, 0, "u"),   // more than 1h before the newest: late
        user(100, 0, "u"), // late
        user(10_001, 0, "u"),
    ];
    assert!(run(&mut c, &events).is_empty());
    assert_eq!(c.stats().late, 2);
    assert_eq!(c.stats().observed, 4);
}

#[test]
fn slightly_out_of_order_events_are_accepted() {
    let mut c = build(COUNT3, &["a"]);
    let hits = run(
        &mut c,
        &[user(100, 0, "u"), user(50, 0, "u"), user(120, 0, "u")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (50, 120));
    assert_eq!(c.stats().late, 0);
}

#[test]
fn idle_groups_expire_as_time_advances() {
    let mut c = build(COUNT3, &["a"]);
    let mut events: Vec<Ev> = (0..1000).map(|i| user(i, 0, &format!("u{i}"))).collect();
    observe_all(&mut c, &events);
    assert_eq!(c.group_count(0), 1000);
    // Two hours later every one of those windows is empty.
    events.clear();
    events.push(user(8000, 0, "new"));
    observe_all(&mut c, &events);
    assert_eq!(c.group_count(0), 1);
    assert_eq!(c.stats().groups_evicted, 0);
}

#[test]
fn closed_anchored_windows_are_dropped() {
    let yaml = COUNT3.replace("gte: 3", "lt: 3");
    let mut c = build(&yaml, &["a"]);
    let events: Vec<Ev> = (0..100).map(|i| user(i, 0, &format!("u{i}"))).collect();
    observe_all(&mut c, &events);
    assert_eq!(c.group_count(0), 100);
    let hits = observe_all(&mut c, &[user(9000, 0, "new")]);
    assert_eq!(hits.len(), 100);
    assert_eq!(c.group_count(0), 1);
}
