#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The egress volume analytic over synthetic hours of connection records.

use std::net::IpAddr;

use phiwatch_analytics::egress::{Config, Egress};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const MONDAY: i64 = 1_793_577_600;
const MB: i64 = 1_000_000;
const WEEK: i64 = 168;

/// A Zeek conn record `secs` after hour `hour` (hours since MONDAY).
fn conn(hour: i64, secs: i64, src: &str, dst: &str, out: i64, inb: i64) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(MONDAY + hour * 3600 + secs).unwrap());
    ev.set_origin(Origin {
        line: (hour * 3600 + secs) as u64,
        ..Origin::default()
    });
    ev.push_norm_str(keys::EVENT_DATASET, "zeek.conn");
    ev.push_norm(keys::SOURCE_IP, Value::Ip(src.parse::<IpAddr>().unwrap()));
    ev.push_norm(
        keys::DESTINATION_IP,
        Value::Ip(dst.parse::<IpAddr>().unwrap()),
    );
    ev.push_norm(keys::SOURCE_BYTES, Value::Int(out));
    ev.push_norm(keys::DESTINATION_BYTES, Value::Int(inb));
    ev
}

/// 5–20 MB out per hour (two connections) from `src` in hours `from..to`.
fn normal(src: &str, from: i64, to: i64, seed: u64) -> Vec<Event> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut evs = Vec::new();
    for h in from..to {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let total = 5 * MB + (x % (15 * MB as u64)) as i64;
        evs.push(conn(h, 60, src, "198.51.100.10", total / 2, total));
        evs.push(conn(
            h,
            1800,
            src,
            "198.51.100.20",
            total - total / 2,
            total,
        ));
    }
    evs
}

fn sorted(mut evs: Vec<Event>) -> Vec<Event> {
    evs.sort_by_key(|e| e.time());
    evs
}

fn feed(a: &mut Egress, evs: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in evs {
        a.observe(ev, &mut hits);
    }
    hits
}

fn run(config: Config, evs: Vec<Event>) -> (Egress, Vec<AnalyticHit>) {
    let mut a = Egress::new(config);
    let mut hits = feed(&mut a, &sorted(evs));
    a.finish(&mut hits);
    (a, hits)
}

/// A week of normal traffic from three hosts, then a 2 GB hour from one.
fn week_then_exfil() -> Vec<Event> {
    let mut evs = Vec::new();
    for (i, h) in ["10.0.1.30", "10.0.1.31", "10.0.1.32"].iter().enumerate() {
        evs.extend(normal(h, 0, WEEK + 3, i as u64 + 1));
    }
    // Hour WEEK + 2: 20 uploads of 100 MB to one address, 1 to another.
    for i in 0..20 {
        evs.push(conn(
            WEEK + 2,
            100 + i * 60,
            "10.0.1.30",
            "100.64.23.45",
            100 * MB,
            MB / 10,
        ));
    }
    evs.push(conn(
        WEEK + 2,
        3000,
        "10.0.1.30",
        "203.0.113.9",
        30 * MB,
        MB,
    ));
    evs
}

#[test]
fn a_two_gigabyte_hour_is_critical_with_its_destinations() {
    let (a, hits) = run(Config::default(), week_then_exfil());
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "egress-volume");
    assert_eq!(h.level, Level::Critical);
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.1.30"));
    assert_eq!(h.group["destination"], "100.64.23.45");
    assert_eq!(h.group["destination_2"], "203.0.113.9");
    assert_eq!(h.group["destination_3"], "198.51.100.20");
    assert_eq!(h.metrics["destination_bytes"], 2_000.0 * MB as f64);
    assert!(h.metrics["bytes_out"] > 2_030.0 * MB as f64);
    assert!(h.metrics["own_z"] >= 5.0 && h.metrics["own_samples"] >= 168.0);
    assert_eq!(h.metrics["by_own"], 1.0);
    assert!(
        h.metrics["ratio"] > 10.0,
        "upload-heavy: {}",
        h.metrics["ratio"]
    );
    assert_eq!(h.metrics["min_bytes"], 50.0 * MB as f64);
    assert_eq!(h.metrics["critical_bytes"], 1e9);
    assert_eq!(
        h.time,
        Timestamp::from_secs(MONDAY + (WEEK + 2) * 3600 + 60).unwrap()
    );
    assert_eq!(h.evidence.len(), 3);
    assert!(h.tags.iter().any(|t| t == "attack.exfiltration"));
    assert_eq!(a.counters().late, 0);
    assert_eq!(a.counters().hits, 1);
    assert_eq!(a.entities(), 3);
}

#[test]
fn min_ratio_gates_on_asymmetry() {
    let config = Config {
        min_ratio: 1_000.0,
        ..Config::default()
    };
    let (_, hits) = run(config, week_then_exfil());
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn allowlisted_nightly_backup_stays_quiet() {
    let mut evs = normal("10.0.5.5", 0, 2 * WEEK, 9);
    // Nightly from the second week (the first learns the normal hours).
    for day in 7..14 {
        for i in 0..50 {
            evs.push(conn(
                day * 24 + 2,
                10 + i * 60,
                "10.0.5.5",
                "203.0.113.200",
                100 * MB,
                MB,
            ));
        }
    }
    let mut config = Config {
        allowlist: vec!["203.0.113.192/26".parse().unwrap()],
        ..Config::default()
    };
    let (a, hits) = run(config.clone(), evs.clone());
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().allowlisted, 7 * 50);
    // Without the allowlist the first night is reported, bytes counted
    // (later nights are learned: the history's q99 rises).
    config.allowlist.clear();
    let (_, hits) = run(config, evs);
    assert!(!hits.is_empty());
    assert_eq!((hits[0].time.as_secs() - MONDAY) / 3600, 7 * 24 + 2);
    assert!(hits[0].metrics["bytes_out"] >= 5_000.0 * MB as f64);
    assert_eq!(hits[0].metrics["allowlisted_bytes"], 0.0);
}

#[test]
fn allowlisted_bytes_are_reported_beside_a_hit() {
    let mut evs = week_then_exfil();
    evs.push(conn(
        WEEK + 2,
        3100,
        "10.0.1.30",
        "203.0.113.200",
        700 * MB,
        MB,
    ));
    let config = Config {
        allowlist: vec!["203.0.113.200".parse().unwrap()],
        ..Config::default()
    };
    let (_, hits) = run(config, evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["allowlisted_bytes"], 700.0 * MB as f64);
    assert!(hits[0].metrics["bytes_out"] < 2_100.0 * MB as f64);
}

#[test]
fn a_new_source_far_above_its_peers_is_reported() {
    let mut evs = Vec::new();
    for (i, h) in ["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"]
        .iter()
        .enumerate()
    {
        for hh in 0..WEEK {
            evs.push(conn(
                hh,
                100 + i as i64,
                h,
                "198.51.100.10",
                10 * MB,
                20 * MB,
            ));
        }
    }
    evs.push(conn(
        WEEK - 1,
        900,
        "10.0.9.9",
        "203.0.113.50",
        300 * MB,
        MB,
    ));
    let (_, hits) = run(Config::default(), evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.9.9"));
    assert_eq!(h.level, Level::High);
    assert_eq!(h.metrics["by_peers"], 1.0);
    assert_eq!(h.metrics["own_samples"], 0.0);
    assert_eq!(h.metrics["peer_q99"], 10.0 * MB as f64);
    // 150 MB is 15 × the peers but under new_source_bytes.
    let mut evs2 = Vec::new();
    for hh in 0..WEEK {
        evs2.push(conn(hh, 100, "10.0.1.1", "198.51.100.10", 10 * MB, 20 * MB));
    }
    evs2.push(conn(
        WEEK - 1,
        900,
        "10.0.9.9",
        "203.0.113.50",
        150 * MB,
        MB,
    ));
    assert!(run(Config::default(), evs2).1.is_empty());
}

#[test]
fn a_spike_below_the_floor_is_not_reported() {
    let mut evs = normal("10.0.1.30", 0, WEEK + 2, 4);
    evs.push(conn(
        WEEK + 1,
        1000,
        "10.0.1.30",
        "203.0.113.9",
        40 * MB,
        MB,
    ));
    let (a, hits) = run(Config::default(), evs.clone());
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().hours_closed, (WEEK + 2) as u64);
    // The same spike is an outlier when the floor is lower.
    let config = Config {
        min_bytes: 30 * MB as u64,
        quantile_factor: 2.0,
        ..Config::default()
    };
    assert_eq!(run(config, evs).1.len(), 1);
}

#[test]
fn a_weekly_upload_is_learned_by_hour_of_week() {
    let mut evs = normal("10.0.3.3", 0, 5 * WEEK, 5);
    for week in 0..5 {
        for i in 0..5 {
            evs.push(conn(
                week * WEEK + 2,
                600 + i * 60,
                "10.0.3.3",
                "203.0.113.77",
                100 * MB,
                MB,
            ));
        }
    }
    let (_, hits) = run(Config::default(), evs);
    // Monday 02:00 of the first week has no baseline yet (2 hours, no
    // peers); the second and third are news; from the fourth on the hour of
    // the week (3 samples) knows it.
    let mondays: Vec<i64> = hits
        .iter()
        .map(|h| (h.time.as_secs() - MONDAY) / 3600 / WEEK)
        .collect();
    assert!(!mondays.contains(&4), "{mondays:?}");
    assert!(!mondays.contains(&3), "{mondays:?}");
    assert_eq!(mondays, [1, 2]);
    // A different hour of the same size on the fifth week is still news.
    let mut evs = normal("10.0.3.3", 0, 5 * WEEK, 5);
    for week in 0..4 {
        evs.push(conn(
            week * WEEK + 2,
            600,
            "10.0.3.3",
            "203.0.113.77",
            500 * MB,
            MB,
        ));
    }
    evs.push(conn(
        4 * WEEK + 5,
        600,
        "10.0.3.3",
        "203.0.113.77",
        500 * MB,
        MB,
    ));
    let (_, hits) = run(Config::default(), evs);
    let last = hits.last().unwrap();
    assert_eq!((last.time.as_secs() - MONDAY) / 3600, 4 * WEEK + 5);
    assert_eq!(last.metrics["week_used"], 1.0);
    assert!(last.metrics["week_z"] >= 5.0);
}

#[test]
fn out_of_order_events_are_counted_late_and_dropped() {
    let mut evs = sorted(week_then_exfil());
    // A huge record of an hour already closed, and one far in the past.
    evs.push(conn(
        WEEK + 1,
        10,
        "10.0.1.31",
        "203.0.113.1",
        5_000 * MB,
        0,
    ));
    evs.push(conn(-100_000, 0, "10.0.1.31", "203.0.113.1", 5_000 * MB, 0));
    let mut a = Egress::new(Config::default());
    let mut hits = feed(&mut a, &evs);
    a.finish(&mut hits);
    assert_eq!(a.counters().late, 2);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].entity.ip.as_deref(), Some("10.0.1.30"));
}

#[test]
fn ignores_internal_destinations_external_sources_and_other_datasets() {
    let evs = vec![
        conn(0, 1, "10.0.1.30", "10.0.2.2", 5_000 * MB, 0),
        conn(0, 2, "203.0.113.5", "198.51.100.1", 5_000 * MB, 0),
    ];
    let (a, hits) = run(Config::default(), evs);
    assert!(hits.is_empty());
    assert_eq!(a.counters().connections, 0);
    assert_eq!(a.counters().events, 2);
    // CGNAT is external by default.
    let (a, _) = run(
        Config::default(),
        vec![conn(0, 1, "10.0.1.30", "100.64.1.1", MB, 0)],
    );
    assert_eq!(a.counters().connections, 1);
    // Only the configured datasets count.
    let vpc_only = Config {
        datasets: vec!["aws.vpcflow".to_string()],
        ..Config::default()
    };
    let (a, _) = run(vpc_only, vec![conn(0, 1, "10.0.1.30", "100.64.1.1", MB, 0)]);
    assert_eq!(a.counters().connections, 0);
}

#[test]
fn sources_past_the_capacity_are_evicted_and_counted() {
    let config = Config {
        capacity: 2,
        ..Config::default()
    };
    let mut evs = Vec::new();
    for (i, s) in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
        .iter()
        .enumerate()
    {
        evs.push(conn(0, i as i64, s, "198.51.100.1", MB, MB));
    }
    let (a, _) = run(config, evs);
    assert_eq!(a.evicted(), 2);
    assert_eq!(a.entities(), 2);
    assert!(a.memory_bytes() > 0);
}

#[test]
fn baselines_survive_save_and_restore() {
    let all = sorted(week_then_exfil());
    let cut = all
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(MONDAY + (WEEK + 1) * 3600).unwrap())
        .unwrap();
    let mut first = Egress::new(Config::default());
    let hits = feed(&mut first, &all[..cut]);
    assert!(hits.is_empty());
    let text = serde_json::to_string(&first.save()).unwrap();
    let mut second = Egress::new(Config::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(second.entities(), 3);
    let mut hits = feed(&mut second, &all[cut..]);
    second.finish(&mut hits);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["own_samples"], (WEEK + 2) as f64);
    assert_eq!(hits[0].level, Level::Critical);
    // A fresh analytic without the baselines sees a new source's hour.
    let mut fresh = Egress::new(Config::default());
    let mut hits = feed(&mut fresh, &all[cut..]);
    fresh.finish(&mut hits);
    assert!(hits.iter().all(|h| h.metrics["own_samples"] < 24.0));
    assert!(Egress::new(Config::default())
        .restore(&serde_json::json!({"version": 99}))
        .is_err());
}

#[test]
fn config_reads_from_toml_like_json_with_defaults() {
    let c: Config = serde_json::from_value(serde_json::json!({
        "allowlist": ["203.0.113.0/24"],
        "min_bytes": 1
    }))
    .unwrap();
    assert_eq!(c.min_bytes, 1);
    assert_eq!(c.critical_bytes, 1_000_000_000);
    assert!(serde_json::from_value::<Config>(serde_json::json!({"allowlist": ["nope"]})).is_err());
}

#[test]
fn uploads_to_a_destination_many_hosts_use_are_not_exfiltration() {
    // A week of normal traffic from six hosts, then an hour in which all six
    // join video calls (1.2 GB each to one service) and one of them also
    // sends 2 GB to a destination nobody else uses.
    let hosts = [
        "10.0.1.30",
        "10.0.1.31",
        "10.0.1.32",
        "10.0.1.33",
        "10.0.1.34",
        "10.0.1.35",
    ];
    let mut evs = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        evs.extend(normal(h, 0, WEEK, i as u64 + 1));
        evs.push(conn(
            WEEK,
            100 + i as i64,
            h,
            "203.0.113.50",
            1_200 * MB,
            40 * MB,
        ));
    }
    let (a, hits) = run(Config::default(), evs.clone());
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(
        a.counters().hours_closed as usize,
        hosts.len() * (WEEK as usize + 1)
    );

    evs.push(conn(WEEK, 900, "10.0.1.33", "192.0.2.99", 2_000 * MB, MB));
    let (_, hits) = run(Config::default(), evs.clone());
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.group["destination"], "192.0.2.99");
    assert_eq!(h.metrics["bytes_out"], 2_000e6);
    assert_eq!(h.metrics["popular_bytes"], 1_200e6);

    // With popularity off, every video call is an outlier.
    let off = Config {
        popular_sources: 0,
        ..Config::default()
    };
    let (_, hits) = run(off, evs);
    assert_eq!(hits.len(), hosts.len(), "{hits:#?}");
}
