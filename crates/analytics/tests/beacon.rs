//! The beacon analytic over synthetic connection series.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_analytics::beacon::{Beacon, Config};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, SourceId, Timestamp, Value};
use phiwatch_finding::Level;

/// 2027-01-15T00:00:00Z, the start of a 24 h window.
const DAY0: i64 = 1_800_000_000 - 1_800_000_000 % 86_400;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
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
    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

#[derive(Clone, Copy, Debug)]
struct Conn {
    secs: f64,
    src: &'static str,
    dst: &'static str,
    port: i64,
    bytes: Option<i64>,
    duration: f64,
    /// Log source (sensor) of the record.
    sensor: u32,
}

fn conn(secs: f64, bytes: i64) -> Conn {
    Conn {
        secs,
        src: WS,
        dst: C2,
        port: 443,
        bytes: Some(bytes),
        duration: 0.5,
        sensor: 0,
    }
}

fn event(c: Conn, record: u64) -> Event {
    let mut ev = Event::new(Timestamp::from_nanos((c.secs * 1e9).round() as i64));
    ev.set_origin(Origin {
        source: SourceId(c.sensor),
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

/// The default settings with checks off: pairs are scored when their
/// window closes.
fn at_close() -> Config {
    Config {
        check_secs: 0,
        ..Config::default()
    }
}

/// Settings that report every score (to show the margins).
fn everything() -> Config {
    Config {
        min_score: 0.0,
        check_secs: 0,
        suppress_secs: 0,
        ..Config::default()
    }
}

fn sorted(mut conns: Vec<Conn>) -> Vec<Conn> {
    conns.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    conns
}

fn beacons(hits: &[AnalyticHit]) -> Vec<&AnalyticHit> {
    hits.iter()
        .filter(|h| h.group["kind"] == "beacon")
        .collect()
}

/// Every `period` s ± 1 s, 512 bytes, `n` connections from 01:00.
fn every(period: f64, n: usize, seed: u64) -> Vec<Conn> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| conn((DAY0 + HOUR) as f64 + i as f64 * period + r.sym(), 512))
        .collect()
}

/// Every 60 s ± 1 s, 512 bytes, `n` connections from 01:00.
fn perfect(n: usize, seed: u64) -> Vec<Conn> {
    every(60.0, n, seed)
}

/// Every 60 s ± 20 % (sleep jitter), sizes 800 ± 10 %.
fn jittered(n: usize, seed: u64) -> Vec<Conn> {
    let mut r = Rng(seed);
    let mut t = (DAY0 + HOUR) as f64;
    (0..n)
        .map(|_| {
            t += 60.0 * (1.0 + 0.2 * r.sym());
            conn(t, (800.0 * (1.0 + 0.1 * r.sym())) as i64)
        })
        .collect()
}

/// A day of a heartbeat every 300 s ± 15 % (200–700 bytes) and, on the same
/// pair, an upload of 1–8 MB every 1 500 s ± 20 %, from `from` seconds
/// after midnight.
fn heartbeat_and_uploads(seed: u64, from: i64) -> Vec<Conn> {
    let mut r = Rng(seed);
    let mut out = Vec::new();
    let (start, end) = ((DAY0 + from) as f64, (DAY0 + DAY - 60) as f64);
    let mut t = start;
    while t < end {
        out.push(conn(t, r.range(200.0, 700.0) as i64));
        t += 300.0 * (1.0 + 0.15 * r.sym());
    }
    let mut t = start + 100.0;
    while t < end {
        out.push(Conn {
            duration: 20.0,
            ..conn(t, r.range(1e6, 8e6) as i64)
        });
        t += 1_500.0 * (1.0 + 0.2 * r.sym());
    }
    sorted(out)
}

/// Poisson arrivals (mean 90 s) all day, with sizes from `size`.
fn poisson(seed: u64, mut size: impl FnMut(&mut Rng) -> i64) -> Vec<Conn> {
    let mut r = Rng(seed);
    let mut t = DAY0 as f64;
    let mut out = Vec::new();
    while t < (DAY0 + 86_000) as f64 {
        t += -90.0 * (1.0 - r.unit()).ln();
        let b = size(&mut r);
        out.push(conn(t, b));
    }
    out
}

/// Human browsing: Poisson arrivals with log-uniform sizes (300 B – 16 kB).
fn browsing(seed: u64) -> Vec<Conn> {
    poisson(seed, |r| (300.0 * (4.0 * r.unit()).exp()) as i64)
}

#[test]
fn a_perfect_beacon_is_one_high_hit() {
    let (hits, b) = run(at_close(), &perfect(200, 7));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    let m = &h.metrics;
    assert!(m["score"] > 0.95, "{m:?}");
    assert_eq!(h.level, Level::High);
    assert_eq!(h.analytic, "beacon");
    assert_eq!(m["connections"], 200.0);
    assert_eq!(m["series_connections"], 200.0);
    assert!((m["median_interval_s"] - 60.0).abs() < 2.0);
    assert!((m["period_s"] - 60.0).abs() < 2.0);
    assert_eq!(m["period_score"], 1.0);
    assert!(m["count_score"] > 0.999, "{m:?}");
    assert_eq!(m["median_bytes"], 512.0);
    assert_eq!(m["size_classes"], 1.0);
    assert!(!m.contains_key("series_max_bytes"), "the whole pair");
    // Thresholds are in the metrics.
    assert_eq!(m["min_score"], 0.8);
    assert_eq!(m["min_connections"], 20.0);
    assert_eq!(m["period_tolerance"], 0.2);
    assert_eq!(m["size_class_ratio"], 4.0);
    assert_eq!(m["fleet_sources"], 10.0);
    assert_eq!((m["early"], m["suppressed_windows"]), (0.0, 0.0));
    assert_eq!(h.entity.ip.as_deref(), Some(WS));
    assert_eq!(
        (
            h.group["source"].as_str(),
            h.group["destination"].as_str(),
            h.group["port"].as_str()
        ),
        (WS, C2, "443")
    );
    assert_eq!(
        h.tags,
        [
            "attack.command_and_control",
            "attack.t1071",
            "attack.t1071.001"
        ]
    );
    assert!(h.time < h.end_time);
    // The 1st, 2nd, 4th, … 128th connection, and the last.
    let records: Vec<u64> = h.evidence.iter().map(|e| e.0.record).collect();
    assert_eq!(records, [1, 2, 4, 8, 16, 32, 64, 128, 200]);
    assert_eq!(b.counters().beacon_hits, 1);
    assert_eq!(b.counters().connections, 200);
    assert_eq!(b.entities(), 0, "the window is emptied at the end");
}

#[test]
fn a_jittered_heartbeat_alone_is_a_hit() {
    for seed in [1, 2, 3] {
        let (hits, _) = run(at_close(), &jittered(300, seed));
        assert_eq!(hits.len(), 1, "seed {seed}");
        let m = &hits[0].metrics;
        assert!(m["score"] >= 0.8 && m["score"] < 0.97, "seed {seed}: {m:?}");
        assert!(m["interval_madm_s"] > 3.0, "{m:?}");
        // Each beat is followed by the next one within ± 20 %.
        assert!(m["period_score"] > 0.9, "{m:?}");
    }
}

#[test]
fn a_heartbeat_under_periodic_uploads_on_the_same_pair_is_found() {
    let mut high = 0;
    for seed in [5, 6, 7, 8] {
        let conns = heartbeat_and_uploads(seed, 0);
        let (hits, b) = run(at_close(), &conns);
        assert_eq!(hits.len(), 1, "seed {seed}: {hits:#?}");
        let h = &hits[0];
        let m = &h.metrics;
        assert_eq!(m["connections"], conns.len() as f64);
        // The heartbeat's class is the one reported: high.
        assert_eq!(m["size_classes"], 2.0);
        assert!(m["series_min_bytes"] >= 200.0 && m["series_max_bytes"] < 700.0);
        assert!(m["series_connections"] > 250.0, "{m:?}");
        assert!((m["period_s"] - 300.0).abs() < 30.0, "{m:?}");
        assert!(m["score"] >= 0.85, "seed {seed}: {m:?}");
        assert!(
            m["interval_score"] > 0.8 && m["period_score"] > 0.95,
            "{m:?}"
        );
        high += usize::from(h.level == Level::High);
        // The whole pair, sizes and intervals mixed, scores less.
        assert!(m["score_all"] < m["score"] - 0.05, "seed {seed}: {m:?}");
        assert!(h.title.contains("of 2"), "{}", h.title);
        // The evidence is the heartbeat's: first, last and between.
        assert!(h.evidence.len() >= 5, "{:?}", h.evidence);
        for (o, t) in &h.evidence {
            let c = conns[o.record as usize - 1];
            assert!(c.bytes.unwrap() < 700, "{c:?}");
            assert!(*t >= h.time && *t <= h.end_time);
        }
        assert_eq!(b.counters().beacon_hits, 1);
        // Scored as RITA does (the whole pair; timing (skew, MADM, count)
        // and size weigh one half each; no period score), it is not a
        // beacon.
        let rita = Config {
            size_class_ratio: 1.0,
            interval_weight: 2.0,
            count_weight: 1.0,
            period_weight: 0.0,
            size_weight: 3.0,
            ..at_close()
        };
        assert!(run(rita, &conns).0.is_empty(), "seed {seed}");
    }
    assert!(high >= 2, "mostly high: {high}");
}

#[test]
fn a_heartbeat_that_starts_in_the_afternoon_is_found_the_same_day() {
    // Only 9 hours of the window, from 15:00.
    let (hits, _) = run(at_close(), &heartbeat_and_uploads(9, 15 * HOUR));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let m = &hits[0].metrics;
    assert!(m["count_score"] > 0.95, "counted from its start: {m:?}");
    assert!(m["score"] >= 0.8, "{m:?}");
}

#[test]
fn random_browsing_and_random_api_calls_are_not_beacons() {
    for seed in [11, 12, 13, 14] {
        for (what, conns) in [
            ("browsing", browsing(seed)),
            // Fixed-size requests at random times: sizes alone are no beacon.
            ("api", poisson(seed, |_| 3_000)),
            // Two size classes, both random in time.
            (
                "mixed",
                poisson(seed, |r| if r.unit() < 0.3 { 4_000_000 } else { 3_000 }),
            ),
        ] {
            assert!(conns.len() > 500);
            let (hits, b) = run(Config::default(), &conns);
            assert!(hits.is_empty(), "{what} {seed}: {hits:#?}");
            assert_eq!(b.counters().connections, conns.len() as u64);
            // What it would have scored, to show the margin.
            let (hits, _) = run(everything(), &conns);
            let m = &hits[0].metrics;
            assert!(m["score"] < 0.7, "{what} {seed}: {m:?}");
            assert!(m["period_score"] < 0.3, "{what} {seed}: {m:?}");
        }
    }
}

#[test]
fn too_few_connections_or_too_short_a_span_are_not_reported() {
    // 19 beats every 5 minutes: one short.
    let (hits, _) = run(Config::default(), &every(300.0, 19, 3));
    assert!(hits.is_empty());
    let (hits, _) = run(Config::default(), &every(300.0, 20, 3));
    assert_eq!(beacons(&hits).len(), 1);
    // 50 beats every 60 s: 49 minutes, shorter than the span required.
    let (hits, _) = run(Config::default(), &perfect(50, 3));
    assert!(hits.is_empty(), "{hits:#?}");
    let short = Config {
        min_span_secs: 1_800.0,
        ..Config::default()
    };
    let (hits, _) = run(short, &perfect(50, 3));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["min_span_s"], 1_800.0);
    // A size class too small to stand alone is not scored on its own.
    let mut conns = every(300.0, 40, 4);
    for c in conns.iter_mut().step_by(3) {
        c.bytes = Some(5_000_000);
    }
    let (hits, _) = run(everything(), &conns);
    assert_eq!(hits[0].metrics["size_classes"], 1.0, "14 uploads: no class");
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
fn an_hourly_check_reports_a_beacon_before_its_window_closes_and_once() {
    // A beat every 5 minutes from 01:00 to 23:55.
    let conns = every(300.0, 276, 8);
    let mut b = Beacon::new(Config::default());
    let mut out = Vec::new();
    let mut when = None;
    for (i, c) in conns.iter().enumerate() {
        b.observe(&event(*c, i as u64 + 1), &mut out);
        if when.is_none() && !out.is_empty() {
            when = Some(c.secs);
        }
    }
    // Reported by the 03:00 check: about 24 beats over 2 hours.
    let when = when.expect("reported while the window is open");
    assert!((when - (DAY0 + 3 * HOUR) as f64).abs() < 5.0, "{when}");
    assert_eq!(out[0].metrics["early"], 1.0);
    let n = out[0].metrics["series_connections"];
    assert!((24.0..=26.0).contains(&n), "{n}");
    assert_eq!(out[0].level, Level::High);
    b.finish(&mut out);
    assert_eq!(out.len(), 1, "not again when the window closes");
    let c = b.counters();
    assert_eq!((c.beacon_hits, c.early_hits, c.suppressed), (1, 1, 0));
    assert!(c.checks >= 20, "{c:?}");
    // Checks off: the same beacon when the window closes, all of it.
    let (hits, _) = run(at_close(), &conns);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["series_connections"], 276.0);
    assert_eq!(hits[0].metrics["early"], 0.0);
}

#[test]
fn suppression_reports_a_pair_once_per_period_and_counts_the_windows() {
    // Nine days of a beat every 5 minutes.
    let conns: Vec<Conn> = (0..9 * 288)
        .map(|i| conn((DAY0 + i * 300 + 7) as f64, 256))
        .collect();
    let (hits, b) = run(Config::default(), &conns);
    assert_eq!(hits.len(), 2, "{hits:#?}");
    // The first day, then seven days later, counting the six windows
    // suppressed between (not the one it was reported in).
    let day = |h: &AnalyticHit| (h.time.as_nanos() / 1_000_000_000 - DAY0) / DAY;
    assert_eq!((day(&hits[0]), day(&hits[1])), (0, 7));
    assert_eq!(hits[0].metrics["suppressed_windows"], 0.0);
    assert_eq!(hits[1].metrics["suppressed_windows"], 6.0);
    assert_eq!(hits[1].metrics["previous_level"], 3.0, "high before");
    assert_eq!(hits[1].metrics["suppress_s"], 604_800.0);
    let c = b.counters();
    assert_eq!((c.windows, c.beacon_hits), (9, 2));
    assert_eq!(c.suppressed, 6 + 1, "days 1–6, and day 8");
    // No suppression: every window, at the first check that finds it.
    let each = Config {
        suppress_secs: 0,
        check_secs: 0,
        ..Config::default()
    };
    assert_eq!(run(each, &conns).0.len(), 9);
}

/// `n` sources beaconing to one destination every 5 minutes, on `days`
/// days from `from_day`.
fn fleet(n: usize, from_day: i64, days: i64) -> Vec<Conn> {
    const SOURCES: [&str; 12] = [
        "10.1.0.1",
        "10.1.0.2",
        "10.1.0.3",
        "10.1.0.4",
        "10.1.0.5",
        "10.1.0.6",
        "10.1.0.7",
        "10.1.0.8",
        "10.1.0.9",
        "10.1.0.10",
        "10.1.0.11",
        "10.1.0.12",
    ];
    let mut out = Vec::new();
    for (k, src) in SOURCES.iter().take(n).enumerate() {
        for i in 0..days * 288 {
            out.push(Conn {
                src,
                ..conn(((from_day * DAY) + DAY0 + i * 300 + k as i64) as f64, 400)
            });
        }
    }
    sorted(out)
}

#[test]
fn a_destination_many_sources_beacon_to_is_a_shared_service_and_low() {
    let (hits, b) = run(Config::default(), &fleet(12, 0, 1));
    assert_eq!(hits.len(), 12);
    for h in &hits {
        assert_eq!(h.level, Level::Low, "{}", h.title);
        assert_eq!(h.metrics["destination_sources"], 12.0);
        assert!(h.title.contains("12 sources"), "{}", h.title);
    }
    assert_eq!(b.counters().fleet_hits, 12);
    // Nine sources are not a fleet (by default).
    let (hits, _) = run(Config::default(), &fleet(9, 0, 1));
    assert!(hits.iter().all(|h| h.level == Level::High));
    // Off.
    let off = Config {
        fleet_sources: 0,
        ..Config::default()
    };
    assert!(run(off, &fleet(12, 0, 1))
        .0
        .iter()
        .all(|h| h.level == Level::High));
    // A pair reported low on day 0 is reported again, high, the day the
    // fleet is gone: its level rose.
    let mut conns = fleet(12, 0, 1);
    conns.extend(fleet(1, 1, 1));
    let (hits, _) = run(Config::default(), &sorted(conns));
    let ws: Vec<_> = hits
        .iter()
        .filter(|h| h.group["source"] == "10.1.0.1")
        .collect();
    assert_eq!(ws.len(), 2);
    assert_eq!((ws[0].level, ws[1].level), (Level::Low, Level::High));
    assert_eq!(ws[1].metrics["previous_level"], 1.0);
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
    let mut b = Beacon::new(at_close());
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
    // closed its window (observed until midnight: its count score is lower).
    let sorted = run(at_close(), &perfect(200, 4)).0;
    assert_eq!(beacons(&out).len(), 1, "{out:#?}");
    let (m, s) = (&beacons(&out)[0].metrics, &sorted[0].metrics);
    assert_eq!(m["connections"], 200.0);
    for k in ["interval_score", "period_s", "size_score"] {
        assert_eq!(m[k], s[k], "{k}");
    }
    assert!(m["count_score"] < s["count_score"]);
    assert!(b.counters().late >= 3, "{:?}", b.counters());
    // The far-future record is a long connection.
    assert_eq!(b.counters().long_hits, 1);
    // With the hourly checks too, nothing breaks.
    let mut b = Beacon::new(Config::default());
    let mut out = Vec::new();
    feed(&mut b, &weird, &mut out);
    b.finish(&mut out);
    assert_eq!(beacons(&out).len(), 1, "{out:#?}");
    // A beacon at the end of time (a forged or broken clock).
    let end_of_time: Vec<Conn> = (0..100)
        .map(|i| conn(9.223e9 - 40_000.0 + f64::from(i) * 300.0, 64))
        .collect();
    let (hits, _) = run(Config::default(), &end_of_time);
    assert_eq!(beacons(&hits).len(), 1, "{hits:#?}");
    assert!(hits[0].time <= hits[0].end_time);
}

#[test]
fn clock_skew_between_two_sensors_does_not_hide_a_beacon() {
    // A beat every 10 minutes, leaving through two egress sensors in turn;
    // the second one's clock is 45 s behind.
    let conns: Vec<Conn> = (0..130)
        .map(|i| {
            let skew = if i % 2 == 1 { -45.0 } else { 0.0 };
            Conn {
                sensor: (i % 2) as u32,
                ..conn((DAY0 + HOUR + i * 600) as f64 + skew, 700)
            }
        })
        .collect();
    // Each sensor's records arrive in its own order, merged by time.
    let (hits, b) = run(Config::default(), &sorted(conns.clone()));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert!(hits[0].metrics["score"] >= 0.8, "{:?}", hits[0].metrics);
    let sources: std::collections::BTreeSet<u32> =
        hits[0].evidence.iter().map(|e| e.0.source.0).collect();
    assert_eq!(sources.len(), 2, "evidence from both sensors");
    assert_eq!(b.counters().late, 0);
    // Fed one sensor after the other: the second's records are out of
    // order but in the window, and count the same.
    let mut by_sensor = conns.clone();
    by_sensor.sort_by_key(|c| c.sensor);
    let (hits2, _) = run(at_close(), &by_sensor);
    let (hits3, _) = run(at_close(), &sorted(conns));
    assert_eq!(hits2[0].metrics["score"], hits3[0].metrics["score"]);
}

#[test]
fn one_hit_per_window_and_windows_close_on_time() {
    // Two days of a beacon every 5 minutes, no suppression, no checks: one
    // hit per day, the first when the second day starts.
    let conns: Vec<Conn> = (0..576)
        .map(|i| conn((DAY0 + i * 300 + 7) as f64, 256))
        .collect();
    let config = Config {
        suppress_secs: 0,
        check_secs: 0,
        ..Config::default()
    };
    let mut b = Beacon::new(config);
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
    let mut conns = perfect(100, 9);
    for (i, c) in conns.iter_mut().enumerate() {
        c.port = if i % 2 == 0 { 443 } else { 8443 };
    }
    let (hits, _) = run(Config::default(), &conns);
    assert_eq!(hits.len(), 2, "two series of 50 every 120 s");
    let config = Config {
        by_port: false,
        ..Config::default()
    };
    let (hits, _) = run(config, &conns);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group["port"], "0");
    assert_eq!(hits[0].tags.len(), 2, "no port, no web protocol");
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
fn eviction_is_counted_and_memory_is_bounded() {
    let config = Config {
        capacity: 2,
        per_pair: 16,
        check_secs: 0,
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
                ..conn((DAY0 + i as i64 * 10_000 + k * 300) as f64, 100)
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
    // The suppression records are bounded by the same capacity: five
    // sources beaconing one day each.
    let config = Config {
        capacity: 2,
        ..Config::default()
    };
    let srcs = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"];
    let conns: Vec<Conn> = srcs
        .iter()
        .enumerate()
        .flat_map(|(d, src)| {
            every(300.0, 100, d as u64).into_iter().map(move |c| Conn {
                src,
                secs: c.secs + (d as i64 * DAY) as f64,
                ..c
            })
        })
        .collect();
    let (hits, b) = run(config, &conns);
    assert_eq!(hits.len(), 5);
    assert_eq!(b.counters().gates_evicted, 3);
    assert!(b.memory_bytes() < 2_048, "{}", b.memory_bytes());
    // A full pair: 2 048 connections of 8 bytes, a few records of evidence.
    let (_, b) = {
        let mut b = Beacon::new(Config::default());
        let mut out = Vec::new();
        feed(&mut b, &every(30.0, 2_500, 1), &mut out);
        (out, b)
    };
    assert!(b.memory_bytes() < 2_048 * 8 + 2_048, "{}", b.memory_bytes());
}

#[test]
fn save_and_restore_in_the_middle_gives_the_same_hits() {
    // Two days: a jittered beacon, a perfect one, a heartbeat under uploads
    // and a long connection, with checks and suppression on.
    let mut conns = jittered(300, 21);
    conns.extend(perfect(150, 22).into_iter().map(|c| Conn {
        dst: "198.51.100.4",
        ..c
    }));
    conns.extend(heartbeat_and_uploads(23, 0).into_iter().map(|c| Conn {
        dst: "198.51.100.5",
        ..c
    }));
    conns.extend(heartbeat_and_uploads(24, 0).into_iter().map(|c| Conn {
        secs: c.secs + DAY as f64,
        dst: "198.51.100.5",
        ..c
    }));
    conns.push(Conn {
        duration: 20_000.0,
        ..conn((DAY0 + 7200) as f64, 5)
    });
    let conns = sorted(conns);
    let (whole, _) = run(Config::default(), &conns);
    // The heartbeat under uploads is medium at one check, high at a later
    // one (its level rose), and suppressed on the second day.
    assert_eq!(whole.len(), 5, "{whole:#?}");
    let hb: Vec<_> = whole
        .iter()
        .filter(|h| h.group["destination"] == "198.51.100.5")
        .collect();
    assert_eq!((hb[0].level, hb[1].level), (Level::Medium, Level::High));

    for cut in [conns.len() / 3, conns.len() / 2, conns.len() * 3 / 4] {
        let mut first = Beacon::new(Config::default());
        let mut out = Vec::new();
        feed(&mut first, &conns[..cut], &mut out);
        let saved = first.save();
        let text = serde_json::to_string(&saved).unwrap();
        let mut second = Beacon::new(Config::default());
        second
            .restore(&serde_json::from_str(&text).unwrap())
            .unwrap();
        assert_eq!(second.entities(), first.entities());
        assert_eq!(second.counters(), first.counters());
        for (i, c) in conns[cut..].iter().enumerate() {
            second.observe(&event(*c, (cut + i) as u64 + 1), &mut out);
        }
        second.finish(&mut out);
        assert_eq!(out, whole, "cut at {cut}");
    }

    // Not a state of ours, a version from the future, or another window.
    let mut other = Beacon::new(Config::default());
    assert!(other.restore(&serde_json::json!({"x": 1})).is_err());
    let mut future = Beacon::new(Config::default()).save();
    future["version"] = serde_json::json!(99);
    assert!(other.restore(&future).is_err());
    let mut week = Beacon::new(Config {
        window_secs: 7 * 86_400,
        ..Config::default()
    });
    assert!(week
        .restore(&Beacon::new(Config::default()).save())
        .is_err());
}

#[test]
fn a_version_1_state_is_read() {
    // Version 1 kept evidence without sizes and had no suppression or
    // checks; its windows carry on.
    let conns = perfect(200, 31);
    let mut first = Beacon::new(at_close());
    let mut out = Vec::new();
    feed(&mut first, &conns[..100], &mut out);
    let mut v1 = first.save();
    v1["version"] = serde_json::json!(1);
    v1.as_object_mut().unwrap().remove("gates");
    v1["clock"].as_object_mut().unwrap().remove("next_check");
    for p in v1["pairs"].as_array_mut().unwrap() {
        let st = &mut p[3];
        let bare: Vec<_> = st["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[0].clone())
            .collect();
        st["evidence"] = serde_json::Value::Array(bare);
        st["last"] = st["last"][0].clone();
    }
    let mut second = Beacon::new(at_close());
    second.restore(&v1).unwrap();
    for (i, c) in conns[100..].iter().enumerate() {
        second.observe(&event(*c, 101 + i as u64), &mut out);
    }
    second.finish(&mut out);
    let (whole, _) = run(at_close(), &conns);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].metrics, whole[0].metrics);
    assert_eq!(out[0].evidence, whole[0].evidence);
}
