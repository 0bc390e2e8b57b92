//! Unit tests of the window and the decision.

use super::name::{hash, split, Facts};
use super::window::{DomainWindow, Params, Totals};
use super::*;
use crate::seen::Ev;

use phiwatch_event::Timestamp;

const P: Params = Params {
    slot_ns: 600 * NANOS,
    max_subdomains: 4096,
    evidence: 3,
};

fn facts(name: &str) -> Facts {
    Facts::of(name, split(name), false)
}

fn ev_at(secs: i64) -> Ev {
    Ev::of(&Event::new(Timestamp::from_secs(secs).unwrap()))
}

#[test]
fn window_slides_in_sixths() {
    let mut w = DomainWindow::new();
    for i in 0..10 {
        let n = format!("h{i}.example.com");
        w.add(i * NANOS, &facts(&n), ev_at(i), P);
    }
    assert_eq!(w.totals().queries, 10);
    assert_eq!(w.totals().distinct, 10);
    // 55 minutes later the first slot is still live.
    w.add(3300 * NANOS, &facts("x.example.com"), ev_at(3300), P);
    assert_eq!(w.totals().queries, 11);
    // Past the hour it has gone, with its subdomains.
    w.add(3700 * NANOS, &facts("y.example.com"), ev_at(3700), P);
    let t = w.totals();
    assert_eq!((t.queries, t.distinct), (2, 2));
    assert_eq!(w.evidence(5).len(), 2);
    // A late query counts in the oldest live slot, not in a dead one.
    w.add(0, &facts("z.example.com"), ev_at(0), P);
    assert_eq!(w.totals().queries, 3);
}

#[test]
fn distinct_count_is_estimated_past_the_cap() {
    let p = Params {
        max_subdomains: 64,
        ..P
    };
    let mut w = DomainWindow::new();
    let mut added = 0;
    for i in 0..2000 {
        let n = format!("s{i}.example.com");
        added += w.add(NANOS, &facts(&n), ev_at(1), p);
    }
    assert!(w.tracked() <= 64, "{}", w.tracked());
    let d = w.totals().distinct as f64;
    assert!((1000.0..4000.0).contains(&d), "estimate {d}");
    assert!((1000..4000).contains(&added), "added {added}");
    // Repeats add nothing.
    let before = w.totals().distinct;
    for i in 0..2000 {
        let n = format!("s{i}.example.com");
        w.add(NANOS, &facts(&n), ev_at(1), p);
    }
    assert_eq!(w.totals().distinct, before);
    assert_eq!(hash(b"s1"), hash(b"s1"));
}

fn totals(queries: u64, txt: u64, distinct: u64, entropy: f64, len: u64) -> Totals {
    Totals {
        queries,
        txt,
        sub_queries: queries,
        entropy_sum: entropy * queries as f64,
        len_sum: len * queries,
        distinct,
        ..Totals::default()
    }
}

#[test]
fn judge_each_path() {
    let c = Config::default();
    // Many random names.
    assert_eq!(judge(&totals(60, 0, 50, 3.6, 10), &c), (true, false));
    // Many long names of low entropy.
    assert_eq!(judge(&totals(60, 0, 50, 2.0, 30), &c), (true, false));
    // Many short plain names.
    assert_eq!(judge(&totals(60, 0, 50, 3.4, 29), &c), (false, false));
    // Too few distinct.
    assert_eq!(judge(&totals(60, 0, 49, 4.5, 60), &c), (false, false));
    // TXT path.
    assert_eq!(judge(&totals(40, 20, 10, 1.0, 5), &c), (false, true));
    assert_eq!(judge(&totals(40, 19, 10, 1.0, 5), &c), (false, false));
    assert_eq!(judge(&totals(41, 20, 10, 1.0, 5), &c), (false, false));
    // One TXT record polled: no distinct names.
    assert_eq!(judge(&totals(40, 40, 1, 1.0, 5), &c), (false, false));
    // Below the floor nothing counts.
    let strict = Config {
        min_queries: 100,
        ..Config::default()
    };
    assert_eq!(judge(&totals(99, 99, 99, 4.5, 60), &strict), (false, false));
}

#[test]
fn allowlist_matches_the_domain_and_below() {
    let a = DnsTunnel::new(Config {
        allowlist: vec!["Sophosxl.NET.".into(), "telemetry.vendor.com".into()],
        ..Config::default()
    });
    assert!(a.allowed("sophosxl.net"));
    assert!(a.allowed("abc.d.sophosxl.net"));
    assert!(a.allowed("x.telemetry.vendor.com"));
    assert!(!a.allowed("vendor.com"));
    assert!(!a.allowed("notsophosxl.net"));
}

#[test]
fn config_reads_from_partial_json() {
    let c: Config = serde_json::from_str(r#"{"min_distinct": 10}"#).unwrap();
    assert_eq!(c.min_distinct, 10);
    assert_eq!(c.window_secs, 3600);
    assert!(serde_json::from_str::<Config>(r#"{"nope": 1}"#).is_err());
}
