//! Tests of the time-slice generator: determinism and independence of
//! slicing, volume, the daily and weekly rhythm, bounded state, decoys.

use super::*;
use crate::org;

fn world(scenario: Scenario, days: u32, seed: u64) -> (GenConfig, Org, World) {
    let cfg = GenConfig {
        scenario,
        days,
        seed,
        ..GenConfig::default()
    };
    let org = org::build(&cfg);
    let w = World::new(&cfg, &org);
    (cfg, org, w)
}

fn ts(ns: i64) -> Timestamp {
    Timestamp::from_nanos(ns)
}

fn all(cfg: &GenConfig, org: &Org, w: &mut World, slice: i64) -> Vec<Activity> {
    let s = cfg.start_secs * SEC;
    let e = s + i64::from(cfg.days) * DAY;
    let mut v = Vec::new();
    let mut t = s;
    while t < e {
        v.extend(w.slice(org, ts(t), ts((t + slice).min(e))));
        t += slice;
    }
    v
}

fn fingerprint(v: &[Activity]) -> Vec<String> {
    let mut f: Vec<String> = v.iter().map(|a| format!("{a:?}")).collect();
    f.sort();
    f
}

#[test]
fn slices_are_deterministic_and_independent_of_slicing() {
    let (cfg, org, mut w) = world(Scenario::VendorCompromise, 1, 3);
    let s = cfg.start_secs * SEC + 19 * HOUR;
    let a = w.slice(&org, ts(s), ts(s + 30 * MIN));
    let (_, _, mut w2) = world(Scenario::VendorCompromise, 1, 3);
    let mut b = w2.slice(&org, ts(s), ts(s + 7 * MIN + 13 * SEC));
    b.extend(w2.slice(&org, ts(s + 7 * MIN + 13 * SEC), ts(s + 30 * MIN)));
    assert!(!a.is_empty());
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let (_, org4, mut w4) = world(Scenario::VendorCompromise, 1, 4);
    let c = w4.slice(&org4, ts(s), ts(s + 30 * MIN));
    assert_ne!(fingerprint(&a), fingerprint(&c));
}

#[test]
fn volume_small_one_day() {
    let (cfg, org, mut w) = world(Scenario::VendorCompromise, 1, 1);
    let v = all(&cfg, &org, &mut w, 10 * MIN);
    let n: u64 = v.iter().map(records).sum();
    eprintln!("records: {n}");
    let target = cfg.scale.records_per_day() as f64;
    assert!((n as f64 - target).abs() < target * 0.3, "{n} records");
}

#[test]
fn rhythm_and_weekends() {
    let (cfg, org, mut w) = world(Scenario::SlowDrip, 7, 1);
    let s = cfg.start_secs * SEC;
    let count = |w: &mut World, a: i64, b: i64| -> u64 {
        w.slice(&org, ts(a), ts(b)).iter().map(records).sum()
    };
    let night = count(&mut w, s + 3 * HOUR + 30 * MIN, s + 4 * HOUR + 30 * MIN);
    let morning = count(&mut w, s + 9 * HOUR, s + 10 * HOUR);
    assert!(morning > night * 3, "{morning} vs {night}");
    let sat = count(&mut w, s + 5 * DAY + 9 * HOUR, s + 5 * DAY + 10 * HOUR);
    assert!(sat * 2 < morning, "{sat} vs {morning}");
}

#[test]
fn state_does_not_grow() {
    let (cfg, org, mut w) = world(Scenario::SlowDrip, 3, 1);
    let before = w.state_size();
    let s = cfg.start_secs * SEC;
    for i in 0..200 {
        let _ = w.slice(&org, ts(s + i * 10 * MIN), ts(s + (i + 1) * 10 * MIN));
    }
    assert_eq!(before, w.state_size());
    assert_eq!(w.slices, 200);
}

#[test]
fn decoys_present() {
    let (cfg, org, mut w) = world(Scenario::BenignDecoys, 7, 1);
    let v = all(&cfg, &org, &mut w, HOUR);
    assert!(v.iter().all(|a| a.step.is_none()));
    let has = |f: &dyn Fn(&Activity) -> bool| v.iter().any(f);
    assert!(has(
        &|a| matches!(&a.kind, Kind::Db(d) if d.application == "pg_dump")
    ));
    assert!(has(
        &|a| matches!(&a.kind, Kind::Db(d) if d.user == "svc_bi")
    ));
    assert!(has(
        &|a| matches!(&a.kind, Kind::Conn(c) if c.server_name.as_deref() == Some("meet.videoconf.example"))
    ));
    assert!(has(
        &|a| matches!(&a.kind, Kind::Conn(c) if c.server_name.as_deref() == Some("updates.softvendor.example"))
    ));
    assert!(has(&|a| matches!(&a.kind, Kind::Okta(_))));
    assert!(has(&|a| matches!(&a.kind, Kind::Aws(_))));
}
