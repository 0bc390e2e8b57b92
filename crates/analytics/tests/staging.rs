#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The internal staging analytic over small hand-made series of connection
//! records between internal hosts.

use std::net::IpAddr;

use phiwatch_analytics::context::Context;
use phiwatch_analytics::staging::{Config, Staging};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const T0: i64 = 1_793_577_600;
const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const MB: i64 = 1_000_000;
const GW: &str = "10.0.2.10";
const FS: &str = "10.0.1.30";

/// A Zeek conn record: `client` sent `sent` bytes to `server:port` and got
/// `received` back.
fn conn(secs: i64, client: &str, server: &str, port: i64, sent: i64, received: i64) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    ev.set_origin(Origin {
        line: secs as u64,
        ..Origin::default()
    });
    ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
    ev.push_norm(
        keys::SOURCE_IP,
        Value::Ip(client.parse::<IpAddr>().unwrap()),
    );
    ev.push_norm(
        keys::DESTINATION_IP,
        Value::Ip(server.parse::<IpAddr>().unwrap()),
    );
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(port));
    ev.push_norm(keys::SOURCE_BYTES, Value::Int(sent));
    ev.push_norm(keys::DESTINATION_BYTES, Value::Int(received));
    ev
}

/// 3 MB an hour from the gateway to the file server for `hours` hours.
fn history(hours: i64) -> Vec<Event> {
    (0..hours)
        .map(|h| conn(h * HOUR + 120, GW, FS, 445, 3 * MB, 50_000))
        .collect()
}

/// `n` SMB writes of `each` bytes a minute apart from `start`.
fn burst(start: i64, n: i64, each: i64) -> Vec<Event> {
    (0..n)
        .map(|i| conn(start + i * MIN, GW, FS, 445, each, 300_000))
        .collect()
}

fn sorted(mut evs: Vec<Event>) -> Vec<Event> {
    evs.sort_by_key(|e| e.time());
    evs
}

fn feed(a: &mut Staging, evs: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in evs {
        a.observe(ev, &mut hits);
    }
    hits
}

fn run(config: Config, evs: Vec<Event>) -> (Staging, Vec<AnalyticHit>) {
    let mut a = Staging::new(config, &Context::default());
    let mut hits = feed(&mut a, &sorted(evs));
    a.finish(&mut hits);
    (a, hits)
}

/// Two days of history, then 30 minutes of 100 MB a minute from 03:40 on
/// day 2.
fn staging() -> Vec<Event> {
    let mut evs = history(50);
    evs.extend(burst(2 * DAY + 3 * HOUR + 40 * MIN, 30, 100 * MB));
    evs
}

#[test]
fn staging_on_a_file_server_is_medium_then_high() {
    let (a, hits) = run(Config::default(), staging());
    assert_eq!(hits.len(), 2, "{hits:#?}");
    let (m, h) = (&hits[0], &hits[1]);
    assert_eq!(m.analytic, "internal-staging");
    assert_eq!(m.level, Level::Medium);
    assert!(m.metrics["bytes"] >= 500e6 && m.metrics["bytes"] < 600e6);
    assert_eq!(h.level, Level::High);
    let start = 2 * DAY + 3 * HOUR + 40 * MIN;
    assert_eq!(h.time, Timestamp::from_secs(T0 + start).unwrap());
    // 1 GB after ten writes: reported at the tenth, nine minutes in.
    assert_eq!(
        h.end_time,
        Timestamp::from_secs(T0 + start + 9 * MIN).unwrap()
    );
    assert_eq!(h.entity.ip.as_deref(), Some(GW));
    assert_eq!(h.group["source"], GW);
    assert_eq!(h.group["destination"], FS);
    assert_eq!(h.group["initiator"], GW);
    assert_eq!(h.group["port"], "445");
    for t in ["attack.collection", "attack.t1074", "attack.t1074.002"] {
        assert!(h.tags.contains(&t.to_string()), "{t}");
    }
    let x = &h.metrics;
    assert_eq!(x["new_pair"], 0.0);
    assert!(x["samples"] >= 48.0, "{x:?}");
    assert_eq!(x["median_bytes"], 3e6);
    assert!(x["robust_z"] > 50.0, "{x:?}");
    assert_eq!(x["pushed_bytes"], x["bytes"]);
    assert_eq!(x["pulled_bytes"], 0.0);
    for k in [
        "min_bytes",
        "high_bytes",
        "critical_bytes",
        "new_pair_bytes",
        "min_samples",
        "min_z",
        "quantile",
        "quantile_factor",
        "z_floor_bytes",
        "learning_secs",
        "suppress_secs",
    ] {
        assert!(x.contains_key(k), "{k}");
    }
    assert!(!h.evidence.is_empty() && h.evidence.len() <= 10);
    assert!(h.title.contains(GW) && h.title.contains(FS) && h.title.contains("445"));
    // The next hour of the same staging is suppressed.
    let c = a.counters();
    assert_eq!(c.hits, 2);
    assert!(c.suppressed > 0, "{c:?}");
}

#[test]
fn a_nightly_backup_with_history_stays_quiet() {
    // pg_dump pulls 2 GB from the database to the backup host every night,
    // from the first night of data (learning) on.
    let evs: Vec<Event> = (0..10)
        .map(|d| {
            conn(
                d * DAY + 2 * HOUR,
                "10.0.1.40",
                "10.0.1.10",
                5432,
                200_000,
                2_000 * MB,
            )
        })
        .collect();
    let (a, hits) = run(Config::default(), evs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().connections, 10);
}

#[test]
fn a_first_backup_after_learning_fires_unless_allowlisted() {
    let mut evs = history(30);
    evs.extend((2..6).map(|d| {
        conn(
            d * DAY + 2 * HOUR,
            "10.0.1.40",
            "10.0.1.10",
            5432,
            200_000,
            2_000 * MB,
        )
    }));
    let (_, hits) = run(Config::default(), evs.clone());
    // Only its first night: a pull by the backup host.
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.level, Level::High);
    assert_eq!(h.metrics["new_pair"], 1.0);
    assert_eq!(h.metrics["samples"], 0.0);
    assert_eq!(h.group["source"], "10.0.1.10");
    assert_eq!(h.group["destination"], "10.0.1.40");
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.1.40"));
    assert_eq!(h.metrics["pulled_bytes"], 2e9);
    for c in [
        Config {
            allow_hosts: vec!["10.0.1.40".parse().unwrap()],
            ..Config::default()
        },
        Config {
            allow_ports: vec![5432],
            ..Config::default()
        },
    ] {
        let (a, hits) = run(c, evs.clone());
        assert!(hits.is_empty(), "{hits:#?}");
        assert_eq!(a.counters().allowed, 1);
    }
}

#[test]
fn below_the_floor_or_the_quantile_reports_nothing() {
    // A new pair after learning moving 400 MB in an hour.
    let mut evs = history(30);
    evs.extend((0..4).map(|i| conn(2 * DAY + i * MIN, "10.1.0.7", FS, 445, 100 * MB, 0)));
    // A busy pair (200 MB an hour for 30 hours) moving 550 MB: z is high,
    // but not three times its 99th percentile.
    evs.extend((0..30).map(|h| conn(h * HOUR + 30, "10.1.0.8", FS, 445, 200 * MB, 0)));
    evs.extend((0..11).map(|i| conn(2 * DAY + HOUR + i * MIN, "10.1.0.8", FS, 445, 50 * MB, 0)));
    let (_, hits) = run(Config::default(), evs);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn a_new_pair_after_learning_reports_as_new() {
    let mut evs = history(30);
    evs.extend((0..6).map(|i| conn(2 * DAY + i * MIN, "10.1.0.7", FS, 445, 100 * MB, 0)));
    let (_, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Medium);
    assert_eq!(hits[0].metrics["new_pair"], 1.0);
    assert_eq!(hits[0].group["source"], "10.1.0.7");
    assert!(hits[0].title.contains("new pair"));
}

#[test]
fn out_of_order_and_late_records_are_counted_and_never_panic() {
    let evs = sorted(staging());
    let (_, straight) = run(Config::default(), evs.clone());
    // Neighbours swapped within the burst (same hour): same hits.
    let mut shuffled = evs.clone();
    let n = shuffled.len();
    for pair in shuffled[n - 30..].chunks_mut(2) {
        pair.reverse();
    }
    let mut a = Staging::new(Config::default(), &Context::default());
    let mut hits = feed(&mut a, &shuffled);
    assert_eq!(hits.len(), straight.len(), "{hits:#?}");
    assert_eq!(hits[1].level, Level::High);
    // A record of an hour the flow has closed, and absurd values.
    hits.extend(feed(
        &mut a,
        &[
            conn(HOUR, GW, FS, 445, 5 * MB, 0),
            conn(-3_000 * DAY, GW, FS, 99_999, i64::MAX, -7),
            conn(2 * DAY + 5 * HOUR, GW, FS, 445, i64::MAX, i64::MAX),
        ],
    ));
    assert!(a.counters().late >= 2, "{:?}", a.counters());
    a.finish(&mut hits);
}

#[test]
fn clock_skew_between_two_sensors_does_not_hide_staging() {
    // Sensor B's clock is two minutes behind sensor A's; each sees another
    // flow, merged in time order.
    let mut evs = staging();
    for i in 0..30 {
        evs.push(conn(
            2 * DAY + 3 * HOUR + 40 * MIN + i * MIN - 120,
            "10.0.2.11",
            "10.0.1.31",
            445,
            100 * MB,
            0,
        ));
    }
    for h in 0..50 {
        evs.push(conn(
            h * HOUR + 600 - 120,
            "10.0.2.11",
            "10.0.1.31",
            445,
            2 * MB,
            0,
        ));
    }
    let (a, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 4, "{hits:#?}");
    assert!(hits.iter().any(|h| h.group["source"] == "10.0.2.11"));
    assert_eq!(a.counters().late, 0);
    // The same flow seen by both sensors, one two minutes behind, across
    // the hour: late records are counted, the staging is still found.
    let mut evs = staging();
    evs.extend(
        burst(2 * DAY + 3 * HOUR + 40 * MIN, 30, 100 * MB)
            .into_iter()
            .map(|mut e| {
                e.set_time(Timestamp::from_nanos(e.time().as_nanos() - 120_000_000_000));
                e
            }),
    );
    let (a, hits) = run(Config::default(), evs);
    assert!(hits.iter().any(|h| h.level == Level::High), "{hits:#?}");
    assert!(a.counters().connections > 100);
}

#[test]
fn suppression_reports_a_flow_once_then_counts_what_it_held_back() {
    let mut evs = history(50);
    // Three hours of 1.5 GB, then seven hours later 6 GB in one hour.
    for h in 0..3 {
        evs.extend(burst(2 * DAY + h * HOUR, 15, 100 * MB));
    }
    evs.extend(burst(2 * DAY + 10 * HOUR, 30, 200 * MB));
    let (_, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 3, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Medium);
    assert_eq!(hits[1].level, Level::High);
    let last = &hits[2];
    assert_eq!(last.level, Level::High);
    assert_eq!(last.metrics["previous_hits"], 2.0);
    assert!(last.metrics["suppressed"] >= 2.0, "{:?}", last.metrics);
    assert!(last.time >= Timestamp::from_secs(T0 + 2 * DAY + 10 * HOUR).unwrap());
}

#[test]
fn save_and_restore_give_the_same_hits_as_one_run() {
    let mut evs = staging();
    evs.extend(burst(4 * DAY, 30, 300 * MB));
    let evs = sorted(evs);
    let (_, whole) = run(Config::default(), evs.clone());
    assert!(whole.len() >= 3, "{whole:#?}");
    for cut in [evs.len() / 2, evs.len() - 25] {
        let mut a = Staging::new(Config::default(), &Context::default());
        let mut hits = feed(&mut a, &evs[..cut]);
        let text = serde_json::to_string(&a.save()).unwrap();
        let mut b = Staging::new(Config::default(), &Context::default());
        b.restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(b.counters(), a.counters());
        assert_eq!(b.entities(), a.entities());
        hits.extend(feed(&mut b, &evs[cut..]));
        b.finish(&mut hits);
        assert_eq!(hits, whole, "cut at {cut}");
    }
    let mut a = Staging::new(Config::default(), &Context::default());
    assert!(a.restore(&serde_json::json!({"version": 7})).is_err());
    assert!(a.restore(&serde_json::json!([1, 2])).is_err());
    let mut saved = a.save();
    saved["version"] = serde_json::json!(2);
    assert!(a.restore(&saved).is_err());
}

#[test]
fn flows_are_bounded_and_evictions_counted() {
    let c = Config {
        capacity: 10,
        ..Config::default()
    };
    let evs: Vec<Event> = (0..50)
        .map(|i| conn(i * MIN, &format!("10.1.0.{i}"), FS, 445, MB, 0))
        .collect();
    let (a, _) = run(c, evs);
    assert_eq!(a.entities(), 10);
    assert_eq!(a.counters().evicted, 40);
    let m = a.memory_bytes();
    assert!(m > 0 && m < 50_000, "{m}");
    // Memory follows flows and their hours, not records.
    let (big, _) = run(Config::default(), staging());
    assert!(big.memory_bytes() < 20_000, "{}", big.memory_bytes());
}

#[test]
fn config_reads_from_toml_with_defaults() {
    let c: Config = toml::from_str(
        "min_bytes = 1_000_000\nallow_hosts = [\"10.0.1.40\"]\nallow_ports = [873]\n",
    )
    .unwrap();
    assert_eq!(c.min_bytes, 1_000_000);
    assert_eq!(c.high_bytes, Config::default().high_bytes);
    assert_eq!(c.allow_ports, vec![873]);
    assert!(toml::from_str::<Config>("nope = true").is_err());
    let a = Staging::new(c.clone(), &Context::default());
    assert_eq!(a.config(), &c);
    assert_eq!(a.name(), "internal-staging");
}

#[test]
fn only_connection_datasets_are_wanted() {
    let a = Staging::new(Config::default(), &Context::default());
    assert!(a.wants("zeek.conn") && a.wants("aws.vpcflow"));
    assert!(!a.wants("zeek.dns") && !a.wants("web.access"));
    let any = Staging::new(
        Config {
            datasets: Vec::new(),
            ..Config::default()
        },
        &Context::default(),
    );
    assert!(any.wants("zeek.dns"));
}

#[test]
fn a_flow_seen_once_is_small() {
    let mut a = Staging::new(Config::default(), &Context::default());
    let mut hits = Vec::new();
    for i in 0..20_000u32 {
        let client = format!("10.1.{}.{}", i >> 8, i & 0xff);
        a.observe(&conn(MIN, &client, FS, 445, 5 * MB, 1_000), &mut hits);
    }
    let per = a.memory_bytes() / a.entities();
    // Two flows a connection (push and pull): slot, index, open hour.
    assert!(per < 500, "{per} bytes per flow");
}
