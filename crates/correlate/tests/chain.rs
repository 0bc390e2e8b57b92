//! Chained correlations, the `generate` flag and field aliases, with the
//! examples of the Sigma correlation specification.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build, build_with, ev, group, records, run, secs, Ev};
use phiwatch_correlate::CorrelationConfig;

/// The specification's "Failed Logins Followed by Successful Login" example
/// (correlation 0 = outer, 1 = multiple_failed_login; base 0 = failed_login,
/// base 1 = successful_login).
const BRUTE_FORCE: &str = r#"
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
"#;

fn login(t: i64, rule: usize, u: &str) -> Ev {
    ev(t, &[rule], &[("User", u)])
}

#[test]
fn chained_correlation_fires_on_the_spec_example() {
    let mut c = build(BRUTE_FORCE, &[]);
    let mut events: Vec<Ev> = (0..10).map(|t| login(t, 0, "alice")).collect();
    events.push(login(30, 1, "alice"));
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 2, "{hits:?}");
    // The intermediate hit comes first and feeds the outer correlation.
    assert_eq!(hits[0].correlation, 1);
    assert_eq!(hits[0].value, 10.0);
    assert_eq!(secs(hits[0].last), 9);
    let outer = &hits[1];
    assert_eq!(outer.correlation, 0);
    assert_eq!(outer.group, group(&[("User", "alice")]));
    assert_eq!((secs(outer.first), secs(outer.last)), (9, 30));
    assert_eq!(outer.value, 2.0);
    // Evidence: the intermediate's events, then the success.
    assert_eq!(records(outer).last(), Some(&11));
    assert!(records(outer).contains(&1));
    assert_eq!(c.stats().hits, 2);
}

#[test]
fn chained_correlation_keeps_order_groups_and_timespan() {
    // Success before the failures: wrong order.
    let mut c = build(BRUTE_FORCE, &[]);
    let mut events = vec![login(0, 1, "alice")];
    events.extend((1..11).map(|t| login(t, 0, "alice")));
    let hits = run(&mut c, &events);
    assert!(hits.iter().all(|h| h.correlation == 1), "{hits:?}");

    // Failures of alice, success of bob: different groups.
    let mut c = build(BRUTE_FORCE, &[]);
    let mut events: Vec<Ev> = (0..10).map(|t| login(t, 0, "alice")).collect();
    events.push(login(30, 1, "bob"));
    assert!(run(&mut c, &events).iter().all(|h| h.correlation == 1));

    // Success more than 10 minutes after the burst.
    let mut c = build(BRUTE_FORCE, &[]);
    let mut events: Vec<Ev> = (0..10).map(|t| login(t, 0, "alice")).collect();
    events.push(login(9 + 601, 1, "alice"));
    assert!(run(&mut c, &events).iter().all(|h| h.correlation == 1));

    // Only 9 failures: nothing at all.
    let mut c = build(BRUTE_FORCE, &[]);
    let mut events: Vec<Ev> = (0..9).map(|t| login(t, 0, "alice")).collect();
    events.push(login(30, 1, "alice"));
    assert!(run(&mut c, &events).is_empty());
}

#[test]
fn referenced_rules_do_not_generate_without_the_flag() {
    let c = build(BRUTE_FORCE, &["unrelated"]);
    assert!(
        !c.base_generates(0),
        "failed_login is only a building block"
    );
    assert!(!c.base_generates(1));
    assert!(c.base_generates(2), "an unreferenced rule generates");
    assert!(
        c.correlation_generates(0),
        "the outermost correlation generates"
    );
    assert!(!c.correlation_generates(1), "the intermediate one does not");
}

#[test]
fn generate_true_keeps_referenced_rules() {
    let yaml = BRUTE_FORCE.replacen("level: high", "level: high\ngenerate: true", 1);
    let c = build(&yaml, &[]);
    assert!(
        c.base_generates(1),
        "successful_login is referenced with generate"
    );
    assert!(c.correlation_generates(1), "so is multiple_failed_login");
    assert!(
        !c.base_generates(0),
        "failed_login is referenced without it"
    );
}

#[test]
fn generate_inside_correlation_section_is_accepted() {
    let yaml = "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  generate: true\n  condition:\n    gte: 2\n";
    let c = build(yaml, &["a"]);
    assert!(c.base_generates(0));
}

#[test]
fn reference_cycles_are_errors_and_others_still_work() {
    let yaml = "title: x\nname: x\ncorrelation:\n  type: event_count\n  rules: [y]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n---\ntitle: y\nname: y\ncorrelation:\n  type: event_count\n  rules: [x]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n---\ntitle: self\nname: me\ncorrelation:\n  type: temporal\n  rules: [a, me]\n  group-by: [User]\n  timespan: 1m\n---\ntitle: z\nname: z\ncorrelation:\n  type: event_count\n  rules: [x]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 1\n---\ntitle: ok\nname: ok\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 2\n";
    let (mut c, errors) = build_with(yaml, &["a"], CorrelationConfig::default());
    let bad: Vec<usize> = errors.iter().map(|e| e.index).collect();
    assert_eq!(bad, vec![0, 1, 2, 3], "{errors:?}");
    assert!(errors[0].reason.contains("cycle"), "{}", errors[0].reason);
    assert!(errors[2].reason.contains("cycle"), "{}", errors[2].reason);
    assert!(
        errors[3].reason.contains("unusable"),
        "{}",
        errors[3].reason
    );
    let hits = run(&mut c, &[login(0, 0, "u"), login(1, 0, "u")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].correlation, 4);
    // Base rule `a` is referenced by usable `ok` (no generate) only.
    assert!(!c.base_generates(0));
}

#[test]
fn three_level_chain() {
    // c0: 2 hits of c1 within 10m; c1: 3 events of a within 1m.
    let yaml = "title: top\ncorrelation:\n  type: event_count\n  rules: [mid]\n  group-by: [User]\n  timespan: 10m\n  condition:\n    gte: 2\n---\ntitle: mid\nname: mid\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 3\n";
    let mut c = build(yaml, &["a"]);
    let events: Vec<Ev> = (0..6).map(|t| login(t, 0, "u")).collect();
    let hits = run(&mut c, &events);
    let top: Vec<_> = hits.iter().filter(|h| h.correlation == 0).collect();
    assert_eq!(top.len(), 1, "{hits:?}");
    assert_eq!(top[0].group, group(&[("User", "u")]));
    assert_eq!((secs(top[0].first), secs(top[0].last)), (2, 5));
    assert_eq!(records(top[0]), vec![1, 2, 3, 4, 5, 6]);
}

/// The specification's field-alias example.
const ALIASES: &str = r#"
title: alias example
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
---
name: internal_error
title: internal error
logsource:
    category: webserver
detection:
    selection:
        http.response.status_code: 500
    condition: selection
---
name: new_network_connection
title: new connection
logsource:
    category: network
detection:
    selection:
        event.category: network
        event.type: connection
        event.outcome: success
    condition: selection
"#;

#[test]
fn aliases_resolve_group_by_per_rule() {
    let mut c = build(ALIASES, &[]);
    let err = ev(
        0,
        &[0],
        &[("destination.ip", "10.0.0.5"), ("source.ip", "1.2.3.4")],
    );
    let conn = ev(
        5,
        &[1],
        &[("source.ip", "10.0.0.5"), ("destination.ip", "1.2.3.4")],
    );
    let hits = run(&mut c, &[err, conn]);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        group(&[("internal_ip", "10.0.0.5"), ("remote_ip", "1.2.3.4")])
    );

    // The same addresses in the same fields of both events do not match.
    let mut c = build(ALIASES, &[]);
    let err = ev(
        0,
        &[0],
        &[("destination.ip", "10.0.0.5"), ("source.ip", "1.2.3.4")],
    );
    let conn = ev(
        5,
        &[1],
        &[("destination.ip", "10.0.0.5"), ("source.ip", "1.2.3.4")],
    );
    assert!(run(&mut c, &[err, conn]).is_empty());
}
