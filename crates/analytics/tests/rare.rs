#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The rare destinations analytic (`rare-destination`, `slow-drip`) over
//! small hand-made series of Zeek conn, ssl and dns records.

use std::net::IpAddr;

use phiwatch_analytics::context::Context;
use phiwatch_analytics::rare::{Config, Rare};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const T0: i64 = 1_793_577_600;
const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const MB: i64 = 1_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn base(secs: i64, dataset: &'static str, src: &str, dst: &str) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    ev.set_origin(Origin {
        line: secs as u64,
        ..Origin::default()
    });
    ev.push_norm(keys::EVENT_DATASET, Value::Static(dataset));
    ev.push_norm(keys::SOURCE_IP, Value::Ip(ip(src)));
    ev.push_norm(keys::DESTINATION_IP, Value::Ip(ip(dst)));
    ev
}

/// A Zeek conn record `secs` after T0 (session id `uid`, may be empty).
fn conn(secs: i64, src: &str, dst: &str, out: i64, inb: i64, uid: &str) -> Event {
    let mut ev = base(secs, "zeek.conn", src, dst);
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
    ev.push_norm(keys::SOURCE_BYTES, Value::Int(out));
    ev.push_norm(keys::DESTINATION_BYTES, Value::Int(inb));
    if !uid.is_empty() {
        ev.push_norm_str(keys::PHIWATCH_SESSION_ID, uid);
    }
    ev
}

/// A Zeek ssl record with a server name.
fn ssl(secs: i64, src: &str, dst: &str, sni: &str, uid: &str) -> Event {
    let mut ev = base(secs, "zeek.ssl", src, dst);
    ev.push_norm_str(keys::TLS_CLIENT_SERVER_NAME, sni);
    ev.push_norm_str(keys::PHIWATCH_SESSION_ID, uid);
    ev
}

/// A Zeek dns record: `src` resolved `name` to `answer`.
fn dns(secs: i64, src: &str, name: &str, answer: &str) -> Event {
    let mut ev = base(secs, "zeek.dns", src, "10.0.1.53");
    ev.push_norm_str(keys::DNS_QUESTION_NAME, name);
    let list = ev.store_list([Value::Ip(ip(answer))]);
    ev.push_norm(keys::DNS_ANSWERS_DATA, list);
    ev
}

/// A TLS connection: its ssl record then its conn record, both at `secs`.
fn tls(secs: i64, src: &str, dst: &str, sni: &str, out: i64, inb: i64) -> Vec<Event> {
    let uid = format!("C{secs}{src}{dst}");
    vec![
        ssl(secs, src, dst, sni, &uid),
        conn(secs, src, dst, out, inb, &uid),
    ]
}

/// A day of learning: 20 hosts use a popular service every hour.
fn learning_day() -> Vec<Event> {
    let mut evs = Vec::new();
    for h in 0..24 {
        for i in 0..20 {
            let src = format!("10.1.0.{}", 10 + i);
            evs.extend(tls(
                h * HOUR + i * 7,
                &src,
                "198.51.100.7",
                "cdn.popular.example",
                20_000,
                900_000,
            ));
        }
    }
    evs
}

/// 20 uploads of 100 MB a minute apart to a new destination, on day 1 at
/// 10:00.
fn exfil() -> Vec<Event> {
    (0..20)
        .flat_map(|i| {
            tls(
                DAY + 10 * HOUR + i * MIN,
                "10.0.1.30",
                "203.0.113.9",
                "dl.files-drop.test",
                100 * MB,
                90_000,
            )
        })
        .collect()
}

/// A slow drip from 10.1.0.43: a beacon every 10 minutes and a 4 MB upload
/// every 30 minutes, from day 0 09:00 for `days` days.
fn drip(days: i64) -> Vec<Event> {
    let mut evs = Vec::new();
    let mut t = 9 * HOUR + 30;
    let mut k = 0;
    while t < days * DAY {
        let (out, inb) = if k % 3 == 0 {
            (4 * MB + (k % 7) * 100_000, 3_000)
        } else {
            (600, 800)
        };
        evs.extend(tls(
            t,
            "10.1.0.43",
            "100.64.77.12",
            "sync.metrics-collector.test",
            out,
            inb,
        ));
        t += 10 * MIN + (k % 5) * 7;
        k += 1;
    }
    evs
}

/// A nightly job: one upload of `out` bytes at 02:00 on days `0..days`.
fn nightly(days: i64, src: &str, out: i64, inb: i64) -> Vec<Event> {
    (0..days)
        .flat_map(|d| {
            tls(
                d * DAY + 2 * HOUR + 13,
                src,
                "198.51.100.24",
                "backup.storage-vendor.test",
                out,
                inb,
            )
        })
        .collect()
}

fn sorted(mut evs: Vec<Event>) -> Vec<Event> {
    evs.sort_by_key(|e| e.time());
    evs
}

fn feed(a: &mut Rare, evs: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in evs {
        a.observe(ev, &mut hits);
    }
    hits
}

fn run(config: Config, evs: Vec<Event>) -> (Rare, Vec<AnalyticHit>) {
    let mut a = Rare::new(config, &Context::default());
    let mut hits = feed(&mut a, &sorted(evs));
    a.finish(&mut hits);
    (a, hits)
}

fn of<'a>(hits: &'a [AnalyticHit], analytic: &str) -> Vec<&'a AnalyticHit> {
    hits.iter().filter(|h| h.analytic == analytic).collect()
}

#[test]
fn a_first_seen_upload_is_medium_then_high() {
    let mut evs = learning_day();
    evs.extend(exfil());
    let (a, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 2, "{hits:#?}");
    let (m, h) = (&hits[0], &hits[1]);
    assert_eq!(m.analytic, "rare-destination");
    assert_eq!(m.level, Level::Medium);
    assert_eq!(m.metrics["bytes_out"], 100e6);
    assert_eq!(h.level, Level::High);
    assert_eq!(h.metrics["bytes_out"], 500e6);
    assert_eq!(h.metrics["connections"], 5.0);
    assert_eq!(h.metrics["prevalence"], 1.0);
    assert!(h.metrics["ratio"] > 1000.0);
    for k in [
        "min_bytes",
        "high_bytes",
        "high_min_ratio",
        "max_prevalence",
        "first_window_secs",
        "learning_secs",
    ] {
        assert!(h.metrics.contains_key(k), "{k}");
    }
    assert_eq!(h.group["destination"], "files-drop.test");
    assert_eq!(h.group["destination_ip"], "203.0.113.9");
    assert_eq!(h.group["server_name"], "dl.files-drop.test");
    assert_eq!(h.group["source"], "10.0.1.30");
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.1.30"));
    assert!(h.tags.contains(&"attack.t1041".to_string()));
    assert!(h.tags.contains(&"attack.exfiltration".to_string()));
    let start = Timestamp::from_secs(T0 + DAY + 10 * HOUR).unwrap();
    assert_eq!(h.time, start);
    assert_eq!(
        h.end_time,
        Timestamp::from_secs(T0 + DAY + 10 * HOUR + 4 * MIN).unwrap()
    );
    assert!(!h.evidence.is_empty() && h.evidence.len() <= 10);
    assert_eq!(h.evidence[0].1, start);
    assert!(h.title.contains("files-drop.test") && h.title.contains("10.0.1.30"));
    let c = a.counters();
    assert_eq!(c.first_hits, 2);
    assert_eq!(c.drip_hits, 0);
    assert!(c.named >= 20 && c.connections >= 20);
}

#[test]
fn popular_and_known_destinations_never_fire() {
    let mut evs = learning_day();
    // A popular, known service receives 2 GB from one host after learning.
    for i in 0..20 {
        evs.extend(tls(
            DAY + 9 * HOUR + i * MIN,
            "10.1.0.10",
            "198.51.100.7",
            "upload.popular.example",
            100 * MB,
            10_000,
        ));
    }
    // A new service ten hosts start using in the same half minute.
    for i in 0..10 {
        evs.extend(tls(
            2 * DAY + i * 3,
            &format!("10.1.0.{}", 10 + i),
            "198.51.100.80",
            "app.new-saas.example",
            20 * MB,
            30 * MB,
        ));
    }
    let (a, hits) = run(Config::default(), evs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().first_hits, 0);
}

#[test]
fn a_two_way_call_to_a_new_destination_is_at_most_medium() {
    // A video call: 800 MB up and 900 MB down to a service first seen
    // after learning, by one host.
    let mut evs = learning_day();
    for i in 0..8 {
        evs.extend(tls(
            DAY + 9 * HOUR + i * 5 * MIN,
            "10.1.0.27",
            "198.51.100.21",
            "meet.videoconf.example",
            100 * MB,
            112 * MB,
        ));
    }
    let (_, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Medium);
    assert!(hits[0].metrics["ratio"] < 1.0);
}

#[test]
fn too_little_data_or_too_few_days_reports_nothing() {
    let mut evs = learning_day();
    // 5 MB to a new destination: below min_bytes.
    evs.extend(tls(
        DAY + HOUR,
        "10.0.1.30",
        "203.0.113.50",
        "x.tiny.test",
        5 * MB,
        1_000,
    ));
    // Two days of drip only.
    evs.extend(drip(2));
    let (_, hits) = run(Config::default(), evs);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn a_slow_drip_is_high_on_its_third_day_and_reported_once() {
    let (a, hits) = run(Config::default(), drip(7));
    let drips = of(&hits, "slow-drip");
    assert_eq!(drips.len(), 1, "{hits:#?}");
    // Learning hid the first sighting: no rare-destination hit.
    assert!(of(&hits, "rare-destination").is_empty());
    let h = drips[0];
    assert_eq!(h.level, Level::High);
    assert_eq!(h.entity.ip.as_deref(), Some("10.1.0.43"));
    assert_eq!(h.group["destination"], "metrics-collector.test");
    assert_eq!(h.group["destination_ip"], "100.64.77.12");
    assert_eq!(h.group["source"], "10.1.0.43");
    for t in ["attack.t1029", "attack.t1030", "attack.t1041"] {
        assert!(h.tags.contains(&t.to_string()), "{t}");
    }
    let m = &h.metrics;
    assert_eq!(m["days_active"], 3.0);
    assert!(
        m["total_bytes"] >= 100e6 && m["total_bytes"] < 400e6,
        "{m:?}"
    );
    assert!(m["max_day_bytes"] < 1e9);
    assert!(m["ratio"] > 100.0);
    assert!(m["upload_hours_per_day_median"] >= 4.0);
    assert_eq!(m["prevalence"], 1.0);
    assert!(
        m["median_bytes_per_connection"] < 1_000.0,
        "beacons dominate: {m:?}"
    );
    assert!(m["connections"] > 200.0);
    for k in [
        "min_days",
        "min_total_bytes",
        "max_day_bytes_allowed",
        "min_ratio",
        "min_hours_per_day",
        "window_days",
        "suppress_secs",
        "max_prevalence",
    ] {
        assert!(m.contains_key(k), "{k}");
    }
    // Reported at its first upload of day 2 (the third UTC day).
    assert!(h.end_time >= Timestamp::from_secs(T0 + 2 * DAY).unwrap());
    assert!(h.end_time < Timestamp::from_secs(T0 + 2 * DAY + HOUR).unwrap());
    assert_eq!(h.time, Timestamp::from_secs(T0 + 9 * HOUR + 30).unwrap());
    assert!(h.evidence.len() >= 3 && h.evidence.len() <= 10);
    assert!(a.counters().suppressed > 100);
}

#[test]
fn a_nightly_upload_is_at_most_medium_and_a_sync_client_is_quiet() {
    let mut evs = nightly(7, "10.0.1.40", 50 * MB, 80_000);
    // A sync client: uploads spread over the day, but downloads as much.
    for d in 0..7 {
        for h in 0..24 {
            evs.extend(tls(
                d * DAY + h * HOUR + 600,
                "10.0.1.30",
                "198.51.100.24",
                "sync.storage-vendor.test",
                8 * MB,
                9 * MB,
            ));
        }
    }
    let (_, hits) = run(Config::default(), evs);
    let drips = of(&hits, "slow-drip");
    assert_eq!(drips.len(), 1, "{hits:#?}");
    assert_eq!(drips[0].level, Level::Medium);
    assert_eq!(drips[0].group["source"], "10.0.1.40");
    assert_eq!(drips[0].metrics["upload_hours_per_day_median"], 1.0);
    assert!(hits.iter().all(|h| h.level < Level::High));
}

#[test]
fn a_burst_day_is_not_a_slow_drip() {
    let mut evs = drip(5);
    for i in 0..15 {
        evs.extend(tls(
            DAY + 12 * HOUR + i * MIN,
            "10.1.0.43",
            "100.64.77.12",
            "sync.metrics-collector.test",
            100 * MB,
            3_000,
        ));
    }
    let (_, hits) = run(Config::default(), evs);
    assert!(of(&hits, "slow-drip").is_empty(), "{hits:#?}");
}

#[test]
fn allowlists_silence_destinations_names_and_sources() {
    let configs = [
        Config {
            allow_domains: vec!["storage-vendor.test".into()],
            ..Config::default()
        },
        Config {
            allow_destinations: vec!["198.51.100.0/24".parse().unwrap()],
            ..Config::default()
        },
        Config {
            allow_sources: vec!["10.0.1.40".parse().unwrap()],
            ..Config::default()
        },
    ];
    for c in configs {
        let (a, hits) = run(c, nightly(7, "10.0.1.40", 50 * MB, 80_000));
        assert!(hits.is_empty(), "{hits:#?}");
        assert!(a.counters().allowed > 0);
    }
    // Without the allowlist the same series reports.
    let (_, hits) = run(Config::default(), nightly(7, "10.0.1.40", 50 * MB, 80_000));
    assert_eq!(hits.len(), 1);
}

#[test]
fn suppression_reports_a_pair_once_per_period_with_what_came_since() {
    let c = Config {
        drip_suppress_secs: 86_400,
        ..Config::default()
    };
    let (a, hits) = run(c, drip(6));
    let drips = of(&hits, "slow-drip");
    // Day 2, then once a day after.
    assert_eq!(drips.len(), 4, "{hits:#?}");
    assert_eq!(drips[0].metrics["previous_hits"], 0.0);
    for (i, h) in drips.iter().enumerate().skip(1) {
        assert_eq!(h.metrics["previous_hits"], i as f64);
        let since = h.metrics["bytes_since_last_hit"];
        assert!(
            since > 150e6 && since < 250e6,
            "about a day of uploads: {since}"
        );
        assert!(h.end_time.as_nanos() - drips[i - 1].end_time.as_nanos() >= 86_400_000_000_000);
    }
    assert!(a.counters().suppressed > 0);
}

#[test]
fn out_of_order_and_late_events_change_nothing_and_never_panic() {
    let evs = sorted(drip(7));
    let (_, straight) = run(Config::default(), evs.clone());
    // Swap neighbours: each pair of events arrives in reverse order.
    // Shift by one and swap neighbours: each TLS record arrives before the
    // connection ten minutes older than it.
    let mut shuffled = evs.clone();
    for pair in shuffled[1..].chunks_mut(2) {
        pair.reverse();
    }
    let mut a = Rare::new(Config::default(), &Context::default());
    let mut hits = feed(&mut a, &shuffled);
    // A record from ten days before the window, and one far in the past.
    hits.extend(feed(
        &mut a,
        &[
            conn(-10 * DAY, "10.1.0.43", "100.64.77.12", 4 * MB, 3_000, ""),
            conn(-3_000 * DAY, "10.1.0.43", "100.64.77.12", i64::MAX, -5, ""),
        ],
    ));
    a.finish(&mut hits);
    assert_eq!(hits, straight);
    assert_eq!(hits.len(), 1);
    let c = a.counters();
    assert!(c.late >= 2, "{c:?}");
    assert!(c.too_late >= 2, "{c:?}");
}

#[test]
fn clock_skew_between_the_ssl_and_conn_sources_keeps_the_names() {
    for skew in [-40, 40] {
        let mut evs = learning_day();
        for i in 0..20 {
            let t = DAY + 10 * HOUR + i * MIN;
            let uid = format!("S{i}");
            evs.push(ssl(
                t + skew,
                "10.0.1.30",
                "203.0.113.9",
                "dl.files-drop.test",
                &uid,
            ));
            evs.push(conn(t, "10.0.1.30", "203.0.113.9", 100 * MB, 90_000, &uid));
        }
        let (_, hits) = run(Config::default(), evs);
        assert_eq!(hits.len(), 2, "skew {skew}: {hits:#?}");
        assert!(hits
            .iter()
            .all(|h| h.group["destination"] == "files-drop.test"));
    }
    // Skew beyond the wait: still detected, by address.
    let mut evs = learning_day();
    for i in 0..20 {
        let t = DAY + 10 * HOUR + i * MIN;
        let uid = format!("S{i}");
        evs.push(ssl(
            t + 600,
            "10.0.1.30",
            "203.0.113.9",
            "dl.files-drop.test",
            &uid,
        ));
        evs.push(conn(t, "10.0.1.30", "203.0.113.9", 100 * MB, 90_000, &uid));
    }
    let (_, hits) = run(Config::default(), evs);
    assert!(hits.iter().any(|h| h.level == Level::High), "{hits:#?}");
}

#[test]
fn dns_answers_name_connections_and_base_domains_group_addresses() {
    let mut evs = learning_day();
    // Two addresses of one new domain, named by DNS only, 300 MB each.
    for (i, addr) in ["203.0.113.20", "203.0.113.21"].iter().enumerate() {
        let t = DAY + 10 * HOUR + i as i64 * 5 * MIN;
        evs.push(dns(
            t - 1,
            "10.0.1.30",
            &format!("n{i}.drop-box.test"),
            addr,
        ));
        for k in 0..3 {
            evs.push(conn(t + k * MIN, "10.0.1.30", addr, 100 * MB, 5_000, ""));
        }
    }
    let (_, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert!(hits
        .iter()
        .all(|h| h.group["destination"] == "drop-box.test"));
    assert_eq!(hits[1].level, Level::High);
    assert_eq!(hits[1].metrics["bytes_out"], 500e6);
}

#[test]
fn a_new_entity_after_learning_starts_its_own_drip() {
    // Data starts on day 0 (another host, another destination); a new host
    // starts dripping to a never-seen destination on day 3.
    let mut evs = nightly(1, "10.0.1.40", MB, 80_000);
    for e in drip(8) {
        if e.time() >= Timestamp::from_secs(T0 + 3 * DAY).unwrap() {
            evs.push(e);
        }
    }
    let (_, hits) = run(Config::default(), evs);
    let drips = of(&hits, "slow-drip");
    assert_eq!(drips.len(), 1, "{hits:#?}");
    assert!(drips[0].end_time >= Timestamp::from_secs(T0 + 5 * DAY).unwrap());
    // First seen on day 3, after learning: a first-seen hit too.
    let first = of(&hits, "rare-destination");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].level, Level::Medium);
    assert_eq!(first[0].entity.ip.as_deref(), Some("10.1.0.43"));
}

#[test]
fn save_and_restore_give_the_same_hits_as_one_run() {
    let mut evs = learning_day();
    evs.extend(exfil());
    evs.extend(drip(7));
    let evs = sorted(evs);
    let (_, whole) = run(Config::default(), evs.clone());
    assert!(whole.len() >= 3, "{whole:#?}");
    for cut in [evs.len() / 3, evs.len() / 2 + 1] {
        let mut a = Rare::new(Config::default(), &Context::default());
        let mut hits = feed(&mut a, &evs[..cut]);
        let text = serde_json::to_string(&a.save()).unwrap();
        let mut b = Rare::new(Config::default(), &Context::default());
        b.restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(b.counters(), a.counters());
        assert_eq!(b.entities(), a.entities());
        hits.extend(feed(&mut b, &evs[cut..]));
        b.finish(&mut hits);
        assert_eq!(hits, whole, "cut at {cut}");
    }
    let mut a = Rare::new(Config::default(), &Context::default());
    assert!(a.restore(&serde_json::json!({"version": 99})).is_err());
    assert!(a.restore(&serde_json::json!("nope")).is_err());
    let mut saved = Rare::new(Config::default(), &Context::default()).save();
    saved["version"] = serde_json::json!(2);
    assert!(a.restore(&saved).is_err());
}

#[test]
fn state_is_bounded_and_evictions_are_counted() {
    let c = Config {
        capacity: 10,
        pair_capacity: 5,
        name_capacity: 8,
        ..Config::default()
    };
    let mut evs = Vec::new();
    for i in 0..100 {
        let dst = format!("203.0.{}.{}", i / 200, i % 200 + 1);
        evs.push(dns(
            i * MIN,
            "10.1.0.9",
            &format!("h{i}.site{i}.test"),
            &dst,
        ));
        evs.push(conn(i * MIN + 1, "10.1.0.9", &dst, 1_000, 1_000, ""));
    }
    let (a, _) = run(c, evs);
    assert!(a.entities() <= 15, "{}", a.entities());
    let n = a.counters();
    assert_eq!(n.evicted_destinations, 90);
    assert_eq!(n.evicted_pairs, 95);
    assert!(
        a.memory_bytes() > 0 && a.memory_bytes() < 200_000,
        "{}",
        a.memory_bytes()
    );
    // Held connections are bounded too: counted early, still detected.
    let mut evs = learning_day();
    evs.extend(exfil());
    let (small, hits) = run(
        Config {
            max_pending: 1,
            ..Config::default()
        },
        evs,
    );
    assert!(small.counters().forced > 0);
    assert!(hits.iter().any(|h| h.level == Level::High), "{hits:#?}");
    // A name no DNS name can be leaves its connection unnamed.
    let long = format!("{}.example", "a".repeat(300));
    let (_, hits) = run(
        Config::default(),
        [
            learning_day(),
            tls(DAY + HOUR, "10.0.1.30", "203.0.113.77", &long, 600 * MB, 1),
        ]
        .concat(),
    );
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].group["destination"], "203.0.113.77");
    // Memory grows with entities, not with events.
    let (big, _) = run(Config::default(), drip(7));
    assert!(big.memory_bytes() < 100_000, "{}", big.memory_bytes());
}

#[test]
fn config_reads_from_toml_with_defaults() {
    let c: Config = toml::from_str(
        "min_bytes = 5_000_000\nallow_domains = [\"backup.example\"]\nallow_destinations = [\"192.0.2.0/24\"]\n",
    )
    .unwrap();
    assert_eq!(c.min_bytes, 5_000_000);
    assert_eq!(c.high_bytes, Config::default().high_bytes);
    assert_eq!(c.drip_min_days, 3);
    assert!(toml::from_str::<Config>("no_such_key = 1").is_err());
    assert!(toml::from_str::<Config>("allow_destinations = [\"x/99\"]").is_err());
    let a = Rare::new(c.clone(), &Context::default());
    assert_eq!(a.config(), &c);
    assert_eq!(a.name(), "rare");
}
