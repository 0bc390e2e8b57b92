//! The correlation examples of the Sigma specification repository
//! (`tests/data/*.yml`, see `tests/data/README.md`), each on a series whose
//! answer is known.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build, ev, group, run, secs, Ev};

const RULE_ID: &str = "5638f7c0-ac70-491d-8465-2a65075e0d86";

#[test]
fn event_count() {
    let mut c = build(include_str!("data/event_count.yml"), &[RULE_ID]);
    let mut events: Vec<Ev> = (0..100)
        .map(|t| ev(t * 30, &[0], &[("ComputerName", "pc1")]))
        .collect();
    events.extend((0..99).map(|t| ev(t * 30, &[0], &[("ComputerName", "pc2")])));
    events.sort_by_key(|e| e.secs);
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("ComputerName", "pc1")]));
    assert_eq!(hits[0].value, 100.0);
    assert_eq!(hits[0].evidence.len(), 20, "default max_evidence");
}

#[test]
fn event_count_ecs() {
    let mut c = build(include_str!("data/event_count_ecs.yml"), &[RULE_ID]);
    let events: Vec<Ev> = (0..100)
        .map(|t| ev(t, &[0], &[("dns.question.name", "evil.example")]))
        .collect();
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        group(&[("dns.question.name", "evil.example")])
    );
}

#[test]
fn value_count() {
    let mut c = build(include_str!("data/value_count.yml"), &[RULE_ID]);
    let e = |t: i64, ws: &str, user: String| {
        ev(
            t,
            &[0],
            &[
                ("ComputerName", "dc1"),
                ("WorkstationName", ws),
                ("User", user.as_str()),
            ],
        )
    };
    let mut events: Vec<Ev> = (0..100)
        .map(|i| e(i * 60, "ws1", format!("user{i}")))
        .collect();
    // ws2: 150 attempts over 99 users.
    events.extend((0..150).map(|i| e(i * 60, "ws2", format!("user{}", i % 99))));
    events.sort_by_key(|e| e.secs);
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        group(&[("ComputerName", "dc1"), ("WorkstationName", "ws1")])
    );
    assert_eq!(hits[0].value, 100.0);
}

fn recon(t: i64, rule: usize, host: &str) -> Ev {
    ev(t, &[rule], &[("ComputerName", host), ("User", "bob")])
}

#[test]
fn temporal() {
    let names = ["recon_cmd_a", "recon_cmd_b", "recon_cmd_c"];
    let mut c = build(include_str!("data/temporal.yml"), &names);
    let events = [
        recon(0, 2, "h1"),
        recon(60, 0, "h1"),
        recon(90, 0, "h2"),
        recon(120, 1, "h1"), // h1 complete within 5m
        recon(500, 1, "h2"),
        recon(520, 2, "h2"), // h2: a at 90 is over 5m before c
    ];
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        group(&[("ComputerName", "h1"), ("User", "bob")])
    );
    assert_eq!((secs(hits[0].first), secs(hits[0].last)), (0, 120));
}

#[test]
fn temporal_ordered() {
    let names = ["recon_cmd_a", "recon_cmd_b", "recon_cmd_c"];
    let mut c = build(include_str!("data/temporal_ordered.yml"), &names);
    let events = [
        recon(0, 2, "h1"),
        recon(60, 0, "h1"),
        recon(120, 1, "h1"), // h1: c came first, no hit yet
        recon(130, 0, "h2"),
        recon(140, 1, "h2"),
        recon(150, 2, "h2"), // h2 in order
        recon(200, 2, "h1"), // h1: now a, b, c in order
    ];
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits[0].group,
        group(&[("ComputerName", "h2"), ("User", "bob")])
    );
    assert_eq!(
        hits[1].group,
        group(&[("ComputerName", "h1"), ("User", "bob")])
    );
    assert_eq!((secs(hits[1].first), secs(hits[1].last)), (60, 200));
}

#[test]
fn value_sum() {
    let mut c = build(include_str!("data/value_sum.yml"), &["website_access"]);
    let e = |t: i64, bytes: &str| {
        ev(
            t,
            &[0],
            &[
                ("SourceIP", "10.1.1.1"),
                ("User", "eve"),
                ("bytes_sent", bytes),
            ],
        )
    };
    // 999_999 in the first hour is not over the limit; 2 more bytes are.
    let hits = run(&mut c, &[e(0, "500000"), e(60, "499999"), e(120, "2")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 1_000_001.0);
    assert_eq!(secs(hits[0].last), 120);
}

#[test]
fn value_avg() {
    let mut c = build(include_str!("data/value_avg.yml"), &["rule_a_id"]);
    let e = |t: i64, user: &str, bytes: &str| {
        ev(
            t,
            &[0],
            &[
                ("SourceIP", "10.1.1.1"),
                ("User", user),
                ("BytesOut", bytes),
            ],
        )
    };
    let hits = run(
        &mut c,
        &[e(0, "a", "400"), e(1, "b", "900"), e(2, "a", "600")],
    ); // a: average exactly 500
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        group(&[("SourceIP", "10.1.1.1"), ("User", "b")])
    );
    assert_eq!(hits[0].value, 900.0);
}

#[test]
fn value_percentile() {
    let yaml = include_str!("data/value_percentile.yml");
    // `Image` is a path in real logs: not a number, skipped and counted.
    let mut c = build(yaml, &["process_creation"]);
    let e =
        |t: i64, host: &str, image: &str| ev(t, &[0], &[("ComputerName", host), ("Image", image)]);
    let hits = run(
        &mut c,
        &[e(0, "pc", "C:\\Windows\\cmd.exe"), e(1, "pc", "C:\\x.exe")],
    );
    assert!(hits.is_empty());
    assert_eq!(c.stats().skipped, 2);
    // With numbers, `lte: 1` is decided when the window closes: the median
    // (percentile 50, the default) of pc1 is 1, of pc2 is 5.
    let mut c = build(yaml, &["process_creation"]);
    let events = [
        e(0, "pc1", "0"),
        e(1, "pc1", "1"),
        e(2, "pc1", "9"),
        e(0, "pc2", "5"),
    ];
    let hits = run(&mut c, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, group(&[("ComputerName", "pc1")]));
    assert_eq!(hits[0].value, 1.0);
    assert_eq!(secs(hits[0].last), 24 * 3600);
}
