//! The beacon analytic over synthetic connection series.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_analytics::beacon::{Beacon, Config};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// 2027-01-15T00:00:00Z, the start of a 24 h window.
const DAY0: i64 = 1_800_000_000 - 1_800_000_000 % 86_400;
const WS: &str = "10.1.0.7";
const C2: &str = "203.0.113.9";

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `[-1, 1)`.
    fn sym(&mut self) -> f64 {
        self.unit() * 2.0 - 1.0
    }
}

#[derive(Clone, Copy)]
struct Conn {
    secs: f64,
    src: &'static str,
    dst: &'static str,
    port: i64,
    bytes: Option<i64>,
    duration: f64,
}

fn conn(secs: f64, bytes: i64) -> Conn {
    Conn {
        secs,
        src: WS,
        dst: C2,
        port: 443,
        bytes: Some(bytes),
        duration: 0.5,
    }
}

fn event(c: Conn, record: u64) -> Event {
    let mut ev = Event::new(Timestamp::from_nanos((c.secs * 1e9).round() as i64));
    ev.set_origin(Origin {
        record,
        line: record,
        ..Origin::default()
    });
    ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
    ev.push_norm(keys::SOURCE_IP, Value::Ip(c.src.parse().unwrap()));
    ev.push_norm(keys::DESTINATION_IP, Value::Ip(c.dst.parse().unwrap()));
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(c.port));
    if let Some(b) = c.bytes {
        ev.push_norm(keys::SOURCE_BYTES, Value::Int(b));
        ev.push_norm(keys::DESTINATION_BYTES, Value::Int(b.saturating_mul(2)));
    }
    ev.push_norm(keys::EVENT_DURATION, Value::Int((c.duration * 1e9) as i64));
    ev
}

fn feed(b: &mut Beacon, conns: &[Conn], out: &mut Vec<AnalyticHit>) {
    for (i, c) in conns.iter().enumerate() {
        b.observe(&event(*c, i as u64 + 1), out);
    }
}

fn run(config: Config, conns: &[Conn]) -> (Vec<AnalyticHit>, Beacon) {
    let mut b = Beacon::new(config);
    let mut out = Vec::new();
    feed(&mut b, conns, &mut out);
    b.finish(&mut out);
    (out, b)
}

fn beacons(hits: &[AnalyticHit]) -> Vec<&AnalyticHit> {
    hits.iter()
        .filter(|h| h.group["kind"] == "beacon")
        .collect()
}

/// Every 60 s ± 1 s, 512 bytes, `n` connections from 01:00.
fn perfect(n: usize, seed: u64) -> Vec<Conn> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| conn((DAY0 + 3600) as f64 + i as f64 * 60.0 + r.sym(), 512))
        .collect()
}

/// Every 60 s ± 20 % (sleep jitter), sizes 800 ± 10 %.
fn jittered(n: usize, seed: u64) -> Vec<Conn> {
    let mut r = Rng(seed);
    let mut t = (DAY0 + 3600) as f64;
    (0..n)
        .map(|_| {
            t += 60.0 * (1.0 + 0.2 * r.sym());
            conn(t, (800.0 * (1.0 + 0.1 * r.sym())) as i64)
        })
        .collect()
}

#[test]
fn a_perfect_beacon_is_one_high_hit() {
    let (hits, b) = run(Config::default(), &perfect(200, 7));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert!(h.metrics["score"] > 0.95, "{:?}", h.metrics);
    assert_eq!(h.level, Level::High);
    assert_eq!(h.analytic, "beacon");
    assert_eq!(h.metrics["connections"], 200.0);
    assert!((h.metrics["median_interval_s"] - 60.0).abs() < 2.0);
    assert_eq!(h.metrics["median_bytes"], 512.0);
    assert_eq!(h.metrics["min_score"], 0.8);
    assert_eq!(h.metrics["min_connections"], 20.0);
    assert_eq!(h.entity.ip.as_deref(), Some(WS));
    assert_eq!(
        (
            h.group["source"].as_str(),
            h.group["destination"].as_str(),
            h.group["port"].as_str()
        ),
        (WS, C2, "443")
    );
    assert_eq!(h.tags, ["attack.command-and-control", "attack.t1071"]);
    assert!(h.time < h.end_time);
    assert_eq!(h.evidence.len(), 5);
    assert_eq!(h.evidence[0].0.record, 1);
    assert_eq!(h.evidence[4].0.record, 200);
    assert_eq!(b.counters().beacon_hits, 1);
    assert_eq!(b.counters().connections, 200);
    assert_eq!(b.entities(), 0, "the window is emptied at the end");
}

#[test]
fn a_jittered_beacon_is_a_hit() {
    for seed in [1, 2, 3] {
        let (hits, _) = run(Config::default(), &jittered(300, seed));
        assert_eq!(hits.len(), 1, "seed {seed}");
        let m = &hits[0].metrics;
        assert!(m["score"] >= 0.8 && m["score"] < 0.97, "seed {seed}: {m:?}");
        assert!(m["interval_madm_s"] > 3.0, "{m:?}");
    }
}

/// Poisson arrivals (mean 90 s) with log-normal-ish sizes, all day.
fn browsing(seed: u64) -> Vec<Conn> {
    let mut r = Rng(seed);
    let mut t = DAY0 as f64;
    let mut out = Vec::new();
    while t < (DAY0 + 86_000) as f64 {
        t += -90.0 * (1.0 - r.unit()).ln();
        let size = 300.0 * (4.0 * r.unit()).exp();
        out.push(conn(t, size as i64));
    }
    out
}

#[test]
fn human_browsing_is_not_a_beacon() {
    for seed in [11, 12, 13, 14] {
        let conns = browsing(seed);
        assert!(conns.len() > 500);
        let (hits, b) = run(Config::default(), &conns);
        assert!(hits.is_empty(), "seed {seed}: {hits:#?}");
        assert_eq!(b.counters().connections, conns.len() as u64);
        // What it would have scored, to show the margin.
        let (hits, _) = run(
            Config {
                min_score: 0.0,
                ..Config::default()
            },
            &conns,
        );
        assert!(hits[0].metrics["score"] < 0.7, "{:?}", hits[0].metrics);
    }
}

#[test]
fn too_few_connections_are_not_scored() {
    let (hits, _) = run(Config::default(), &perfect(19, 3));
    assert!(hits.is_empty());
    let (hits, _) = run(Config::default(), &perfect(20, 3));
    assert_eq!(beacons(&hits).len(), 1);
}

#[test]
fn a_burst_is_not_a_beacon() {
    let conns: Vec<Conn> = (0..100)
        .map(|i| conn(DAY0 as f64 + f64::from(i) * 0.2, 64))
        .collect();
    let (hits, _) = run(Config::default(), &conns);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn internal_destinations_only_when_configured() {
    let conns: Vec<Conn> = perfect(100, 5)
        .into_iter()
        .map(|c| Conn {
            dst: "10.0.1.20",
            ..c
        })
        .collect();
    let (hits, b) = run(Config::default(), &conns);
    assert!(hits.is_empty());
    assert_eq!(b.counters().internal, 100);
    assert_eq!(b.counters().connections, 0);
    let config = Config {
        include_internal: true,
        ..Config::default()
    };
    let (hits, _) = run(config, &conns);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group["destination"], "10.0.1.20");
    // CGNAT is the Internet by default (one convention for every analytic),
    // and inside when listed as internal.
    let cgnat: Vec<Conn> = conns
        .iter()
        .map(|&c| Conn {
            dst: "100.64.7.7",
            ..c
        })
        .collect();
    assert_eq!(run(Config::default(), &cgnat).0.len(), 1);
    let mut inside = Config::default();
    inside.internal.push("100.64.0.0/10".parse().unwrap());
    assert!(run(inside, &cgnat).0.is_empty());
}

#[test]
fn allowlisted_destinations_are_skipped() {
    let config: Config =
        serde_json::from_value(serde_json::json!({"allow": ["203.0.113.0/24"]})).unwrap();
    let (hits, b) = run(config, &perfect(100, 5));
    assert!(hits.is_empty());
    assert_eq!(b.counters().allowed, 100);
    let other: Config =
        serde_json::from_value(serde_json::json!({"allow": ["198.51.100.1"]})).unwrap();
    assert_eq!(run(other, &perfect(100, 5)).0.len(), 1);
}

#[test]
fn a_long_connection_is_one_hit() {
    let mut conns = vec![conn((DAY0 + 60) as f64, 10_000); 3];
    conns[0].duration = 5.0 * 3600.0;
    conns[1].secs += 10.0;
    conns[1].duration = 6.0 * 3600.0; // the same pair again: not twice
    conns[2].secs += 20.0;
    conns[2].duration = 3.0 * 3600.0;
    let (hits, b) = run(Config::default(), &conns);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.group["kind"], "long-connection");
    assert_eq!(h.metrics["duration_s"], 5.0 * 3600.0);
    assert_eq!(h.metrics["long_conn_s"], 4.0 * 3600.0);
    assert_eq!(h.level, Level::Medium);
    assert_eq!(h.evidence.len(), 1);
    assert_eq!(
        (h.end_time.as_nanos() - h.time.as_nanos()) / 1_000_000_000,
        5 * 3600
    );
    assert_eq!(b.counters().long_hits, 1);
    // Internal: no hit.
    let inside: Vec<Conn> = conns
        .iter()
        .map(|&c| Conn {
            dst: "192.168.1.1",
            ..c
        })
        .collect();
    assert!(run(Config::default(), &inside).0.is_empty());
}

#[test]
fn one_hit_per_pair_per_window_and_windows_close_on_time() {
    // Two days of a beacon every 5 minutes: one hit per day, the first when
    // the second day starts.
    let conns: Vec<Conn> = (0..576)
        .map(|i| conn((DAY0 + i * 300 + 7) as f64, 256))
        .collect();
    let mut b = Beacon::new(Config::default());
    let mut out = Vec::new();
    feed(&mut b, &conns[..289], &mut out);
    assert_eq!(out.len(), 1, "the first window closed");
    assert_eq!(out[0].metrics["connections"], 288.0);
    feed(&mut b, &conns[289..], &mut out);
    b.finish(&mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(b.counters().windows, 2);
}

#[test]
fn pairs_are_kept_apart_by_port_unless_configured() {
    let mut conns = perfect(60, 9);
    for (i, c) in conns.iter_mut().enumerate() {
        c.port = if i % 2 == 0 { 443 } else { 8443 };
    }
    let (hits, _) = run(Config::default(), &conns);
    assert_eq!(hits.len(), 2, "two series of 30 every 120 s");
    let config = Config {
        by_port: false,
        ..Config::default()
    };
    let (hits, _) = run(config, &conns);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group["port"], "0");
}

#[test]
fn other_datasets_are_not_connections() {
    let mut b = Beacon::new(Config::default());
    let mut out = Vec::new();
    for (i, c) in perfect(50, 1).into_iter().enumerate() {
        let mut ev = event(c, i as u64);
        ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.ssl"));
        let mut dns = Event::new(ev.time());
        dns.push_norm(keys::EVENT_DATASET, Value::Static("zeek.dns"));
        dns.push_norm(keys::SOURCE_IP, Value::Ip(WS.parse().unwrap()));
        dns.push_norm(keys::DESTINATION_IP, Value::Ip("8.8.8.8".parse().unwrap()));
        b.observe(&dns, &mut out);
    }
    b.finish(&mut out);
    assert!(out.is_empty());
    assert_eq!(b.counters().events, 50);
    assert_eq!(b.counters().connections, 0);
}

#[test]
fn out_of_order_and_skewed_clocks_do_not_panic() {
    let mut conns = perfect(200, 4);
    // Shuffle within the window, a record from last year, one from the far
    // past and the far future, and an absurd duration.
    let mut r = Rng(99);
    for i in (1..conns.len()).rev() {
        let j = (r.unit() * (i + 1) as f64) as usize;
        conns.swap(i, j);
    }
    let mut weird = conns.clone();
    weird.insert(50, conn((DAY0 - 365 * 86_400) as f64, 1));
    weird.insert(
        60,
        Conn {
            bytes: None,
            ..conn(-9.0e9, -5)
        },
    );
    let mut b = Beacon::new(Config::default());
    let mut out = Vec::new();
    feed(&mut b, &weird, &mut out);
    b.observe(
        &event(
            Conn {
                duration: 1e30,
                ..conn(9.2e9, i64::MAX)
            },
            9,
        ),
        &mut out,
    );
    b.observe(&event(conn(DAY0 as f64, 1), 10), &mut out);
    b.finish(&mut out);
    // The shuffled series scored as the sorted one, before the far future
    // closed its window.
    let sorted = run(Config::default(), &perfect(200, 4)).0;
    assert_eq!(beacons(&out).len(), 1, "{out:#?}");
    assert_eq!(beacons(&out)[0].metrics["connections"], 200.0);
    assert!(
        (beacons(&out)[0].metrics["median_interval_s"] - sorted[0].metrics["median_interval_s"])
            .abs()
            < 1e-9
    );
    assert!(b.counters().late >= 3, "{:?}", b.counters());
    // The far-future record is a long connection.
    assert_eq!(b.counters().long_hits, 1);
}

#[test]
fn eviction_is_counted_and_memory_is_bounded() {
    let config = Config {
        capacity: 2,
        per_pair: 16,
        ..Config::default()
    };
    let mut b = Beacon::new(config);
    let mut out = Vec::new();
    for (i, dst) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        for k in 0..100 {
            let c = Conn {
                dst,
                ..conn((DAY0 + i as i64 * 10_000 + k * 60) as f64, 100)
            };
            b.observe(&event(c, 1), &mut out);
        }
    }
    assert_eq!(b.entities(), 2);
    assert_eq!(b.counters().evicted, 1);
    let mem = b.memory_bytes();
    assert!(mem > 2 * 16 * 8 && mem < 4_096, "{mem}");
    b.finish(&mut out);
    assert_eq!(out.len(), 2, "the evicted pair is gone");
    assert_eq!(out[0].metrics["connections"], 100.0);
    assert_eq!(out[0].metrics["connections_kept"], 16.0);
}

#[test]
fn save_and_restore_in_the_middle_gives_the_same_hits() {
    let mut conns = jittered(300, 21);
    conns.extend(perfect(150, 22).into_iter().map(|c| Conn {
        dst: "198.51.100.4",
        ..c
    }));
    conns.push(Conn {
        duration: 20_000.0,
        ..conn((DAY0 + 7200) as f64, 5)
    });
    conns.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    let (whole, _) = run(Config::default(), &conns);
    assert_eq!(whole.len(), 3, "{whole:#?}");

    let half = conns.len() / 2;
    let mut first = Beacon::new(Config::default());
    let mut out = Vec::new();
    feed(&mut first, &conns[..half], &mut out);
    let saved = first.save();
    let text = serde_json::to_string(&saved).unwrap();
    let mut second = Beacon::new(Config::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(second.entities(), first.entities());
    assert_eq!(second.counters(), first.counters());
    for (i, c) in conns[half..].iter().enumerate() {
        second.observe(&event(*c, (half + i) as u64 + 1), &mut out);
    }
    second.finish(&mut out);
    assert_eq!(out, whole);

    // Not a state of ours, or another window length.
    assert!(second.restore(&serde_json::json!({"x": 1})).is_err());
    let mut week = Beacon::new(Config {
        window_secs: 7 * 86_400,
        ..Config::default()
    });
    assert!(week.restore(&saved).is_err());
}
