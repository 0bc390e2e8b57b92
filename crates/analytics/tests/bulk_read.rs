//! The bulk database reads analytic over synthetic audit records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_analytics::bulk_read::{AllowPair, BulkRead, Config};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

const T0: i64 = 1_800_000_000;

/// A read of `rows` rows by `user` from `table`, `secs` after T0.
fn read(secs: i64, user: &'static str, table: &'static str, rows: i64) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    ev.set_origin(Origin {
        record: secs as u64,
        line: secs as u64,
        ..Origin::default()
    });
    ev.push_norm(keys::EVENT_DATASET, Value::Static("postgresql.audit"));
    ev.push_norm(keys::DB_USER, Value::Static(user));
    ev.push_norm(keys::DB_SQL_TABLE, Value::Static(table));
    ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(rows));
    ev.push_norm(keys::SOURCE_IP, Value::Ip("10.0.2.10".parse().unwrap()));
    ev
}

/// Steady reads of 10–200 rows, one a minute from `start`.
fn steady(a: &mut BulkRead, start: i64, n: i64, user: &'static str, hits: &mut Vec<AnalyticHit>) {
    for i in 0..n {
        let rows = 10 + (i * 37) % 191;
        a.observe(&read(start + i * 60, user, "ehr.patients", rows), hits);
    }
}

#[test]
fn a_huge_read_after_steady_small_ones_is_critical() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut a, 0, 200, "mallory", &mut hits);
    assert!(hits.is_empty());
    a.observe(&read(20_000, "mallory", "ehr.patients", 150_000), &mut hits);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h.analytic, "bulk-read");
    assert_eq!(h.level, Level::Critical);
    assert_eq!(h.entity.user.as_deref(), Some("mallory"));
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.2.10"));
    assert_eq!(h.group["principal"], "mallory");
    assert_eq!(h.group["table"], "ehr.patients");
    assert!(h.tags.contains(&"attack.t1213".to_string()));
    assert_eq!(h.time, Timestamp::from_secs(T0 + 20_000).unwrap());
    let m = &h.metrics;
    assert_eq!(m["rows"], 150_000.0);
    assert_eq!(m["samples"], 200.0);
    assert_eq!(m["new_pair"], 0.0);
    assert!(m["median_rows"] > 10.0 && m["median_rows"] < 200.0, "{m:?}");
    assert!(m["mad_rows"] > 0.0);
    assert!(m["q_rows"] <= 200.0 && m["q_rows"] > 150.0, "{m:?}");
    assert!(m["robust_z"] > 100.0, "{m:?}");
    for k in [
        "min_rows",
        "min_samples",
        "min_z",
        "z_floor_rows",
        "quantile",
        "quantile_factor",
        "new_pair_rows",
        "critical_rows",
        "suppress_s",
    ] {
        assert!(m.contains_key(k), "{k}");
    }
    assert_eq!(a.counters().hits, 1);
}

#[test]
fn a_large_read_below_critical_is_high() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut a, 0, 50, "mallory", &mut hits);
    a.observe(&read(5_000, "mallory", "ehr.patients", 20_000), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].level, Level::High);
    // Below min_rows: never, however unusual.
    a.observe(&read(90_000, "mallory", "ehr.patients", 9_999), &mut hits);
    assert_eq!(hits.len(), 1);
}

#[test]
fn a_bi_job_reading_a_little_more_than_usual_is_not_reported() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    for i in 0..60 {
        let rows = 19_000 + (i * 131) % 2_000;
        a.observe(
            &read(i * 86_400, "svc_bi", "ehr.encounters", rows),
            &mut hits,
        );
    }
    a.observe(
        &read(61 * 86_400, "svc_bi", "ehr.encounters", 25_000),
        &mut hits,
    );
    assert!(hits.is_empty(), "{hits:?}");
    // The z-score is high (25 000 is far outside a tight history) but the
    // read is not quantile_factor times the usual: both must hold.
    a.observe(
        &read(62 * 86_400, "svc_bi", "ehr.encounters", 150_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
    assert!(hits[0].metrics["q_rows"] >= 20_000.0);
}

#[test]
fn allowlisted_principals_and_pairs_are_not_reported_but_feed_the_baseline() {
    let config = Config {
        allow_principals: vec!["svc_backup".into()],
        allow_pairs: vec![AllowPair {
            principal: "etl".into(),
            table: "ehr.notes".into(),
        }],
        ..Config::default()
    };
    let mut a = BulkRead::new(config);
    let mut hits = Vec::new();
    a.observe(&read(0, "svc_backup", "ehr.patients", 500_000), &mut hits);
    a.observe(&read(10, "etl", "ehr.notes", 500_000), &mut hits);
    assert!(hits.is_empty());
    assert_eq!(a.counters().allowed, 2);
    // The pair allowlist is per table: etl on another table is reported.
    a.observe(&read(20, "etl", "ehr.patients", 500_000), &mut hits);
    assert_eq!(hits.len(), 1);
    // The allowlisted reads are in the history.
    let saved = a.save();
    let pairs = saved["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3);
}

#[test]
fn new_pairs_use_the_absolute_threshold() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    a.observe(
        &read(0, "acme_support", "ehr.encounters", 30_000),
        &mut hits,
    );
    assert!(hits.is_empty());
    a.observe(&read(10, "acme_support", "ehr.patients", 60_000), &mut hits);
    assert_eq!(hits.len(), 1);
    let m = &hits[0].metrics;
    assert_eq!(m["new_pair"], 1.0);
    assert_eq!(m["samples"], 0.0);
    assert!(!m.contains_key("robust_z"));
    // Ten seconds into a cold start: still learning, so medium.
    assert_eq!(m["learning"], 1.0);
    assert_eq!(hits[0].level, Level::Medium);
    // A day later, a new pair's first read is high.
    a.observe(
        &read(86_400, "acme_support", "ehr.notes", 60_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].metrics["learning"], 0.0);
    assert_eq!(hits[1].level, Level::High);
    // A restored state has learned already: high at once.
    let mut b = BulkRead::new(Config::default());
    b.restore(&a.save()).unwrap();
    b.observe(
        &read(86_500, "acme_support", "billing.claims", 60_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[2].level, Level::High);
    // And with the learning period off, at once too.
    let mut c = BulkRead::new(Config {
        learning_secs: 0,
        ..Config::default()
    });
    c.observe(&read(0, "acme_support", "ehr.patients", 60_000), &mut hits);
    assert_eq!(hits[3].level, Level::High);
}

#[test]
fn a_nightly_job_is_news_once_then_only_if_it_grows_far_beyond_itself() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    // First night: a new pair with a large read.
    a.observe(&read(0, "svc_backup", "ehr.notes", 50_000), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["history_max"], 0.0);
    // The next five nights read the same: not news (below 5 x its largest).
    for night in 1..6 {
        a.observe(
            &read(night * 86_400, "svc_backup", "ehr.notes", 52_000),
            &mut hits,
        );
    }
    assert_eq!(hits.len(), 1, "{hits:#?}");
    // A night reading five times its largest is.
    a.observe(
        &read(6 * 86_400, "svc_backup", "ehr.notes", 260_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].metrics["new_pair"], 1.0);
    assert_eq!(hits[1].metrics["history_max"], 52_000.0);
    assert_eq!(hits[1].level, Level::Critical);
}

#[test]
fn fewer_samples_than_min_samples_use_the_new_pair_rule() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut a, 0, 19, "mallory", &mut hits);
    // z is enormous against 19 small reads, but 19 < 20 samples.
    a.observe(&read(5_000, "mallory", "ehr.patients", 40_000), &mut hits);
    assert!(hits.is_empty());
    // With 20 samples the baseline rule applies to the same read.
    let mut b = BulkRead::new(Config::default());
    steady(&mut b, 0, 20, "mallory", &mut hits);
    b.observe(&read(5_000, "mallory", "ehr.patients", 40_000), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["new_pair"], 0.0);
    assert_eq!(hits[0].metrics["samples"], 20.0);
    // A smaller min_samples makes the first run's pair a baselined one.
    let mut c = BulkRead::new(Config {
        min_samples: 19,
        ..Config::default()
    });
    steady(&mut c, 0, 19, "mallory", &mut hits);
    c.observe(&read(5_000, "mallory", "ehr.patients", 40_000), &mut hits);
    assert_eq!(hits.len(), 2);
}

#[test]
fn a_burst_is_scored_against_the_history_before_it_and_suppressed() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut a, 0, 100, "mallory", &mut hits);
    let burst = 10_000;
    // Small reads in the period are not counted as suppressed.
    a.observe(&read(burst + 1, "mallory", "ehr.patients", 150), &mut hits);
    for i in 0..10 {
        a.observe(
            &read(burst + i * 60, "mallory", "ehr.patients", 50_000),
            &mut hits,
        );
    }
    assert_eq!(hits.len(), 1, "one hit per suppression period");
    assert_eq!(hits[0].time, Timestamp::from_secs(T0 + burst).unwrap());
    assert_eq!(a.counters().suppressed, 9);
    // After the period, the next large read reports the suppressed ones (it
    // takes five times the burst's reads: they have joined the history).
    a.observe(
        &read(burst + 3_700, "mallory", "ehr.patients", 300_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].metrics["suppressed"], 9.0);
    assert_eq!(hits[1].metrics["suppressed_rows"], 450_000.0);
    assert_eq!(hits[0].metrics["suppressed"], 0.0);
    // The burst is now part of the baseline: its quantile has risen.
    assert!(hits[1].metrics["q_rows"] >= 50_000.0);
}

#[test]
fn a_saved_baseline_catches_a_bulk_read_in_the_next_run() {
    let mut first = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut first, 0, 100, "mallory", &mut hits);
    let saved = first.save();
    let text = serde_json::to_string(&saved).unwrap();

    // Without the baseline, 40 000 rows by a "new" pair is below new_pair_rows.
    let mut cold = BulkRead::new(Config::default());
    cold.observe(&read(50_000, "mallory", "ehr.patients", 40_000), &mut hits);
    assert!(hits.is_empty());

    let mut warm = BulkRead::new(Config::default());
    warm.restore(&serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(warm.entities(), 1);
    assert_eq!(warm.counters().reads, 100);
    warm.observe(&read(50_000, "mallory", "ehr.patients", 40_000), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["samples"], 100.0);
    assert_eq!(warm.save()["pairs"][0][2]["rows"]["seen"], 101);

    assert!(warm.restore(&serde_json::json!({"version": 99})).is_err());
    assert!(warm
        .restore(&serde_json::json!({"version": 99, "counters": {}, "latest": null, "pairs": []}))
        .is_err());
}

#[test]
fn eviction_is_bounded_and_counted() {
    let config = Config {
        capacity: 10,
        ..Config::default()
    };
    let mut a = BulkRead::new(config);
    let mut hits = Vec::new();
    let tables: Vec<&'static str> = (0..25)
        .map(|i| &*Box::leak(format!("t{i}").into_boxed_str()))
        .collect();
    for (i, t) in tables.iter().enumerate() {
        a.observe(&read(i as i64, "u", t, 5), &mut hits);
    }
    assert_eq!(a.entities(), 10);
    assert_eq!(a.counters().evicted, 15);
    let before = a.memory_bytes();
    assert!(before > 0);
    // The eviction count survives a save and restore.
    let mut b = BulkRead::new(Config {
        capacity: 10,
        ..Config::default()
    });
    b.restore(&a.save()).unwrap();
    assert_eq!(b.entities(), 10);
    assert_eq!(b.counters().evicted, 15);
    // The most recent pairs were kept, the oldest goes first on restore too.
    b.observe(&read(100, "u", "new", 5), &mut hits);
    assert_eq!(b.counters().evicted, 16);
    let kept: Vec<String> = b.save()["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().to_string())
        .collect();
    assert!(!kept.contains(&"t15".to_string()), "{kept:?}");
    assert!(kept.contains(&"t24".to_string()));
}

#[test]
fn out_of_order_events_are_tolerated() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    steady(&mut a, 100_000, 50, "mallory", &mut hits);
    // A late large read, long before the others: scored, reported.
    a.observe(&read(0, "mallory", "ehr.patients", 60_000), &mut hits);
    assert_eq!(hits.len(), 1);
    // Another one near it (in either direction) is suppressed.
    a.observe(&read(-600, "mallory", "ehr.patients", 60_000), &mut hits);
    assert_eq!(hits.len(), 1);
    // Far from it, reported again (the two 60 000-row reads have joined the
    // history, so it takes five times that).
    a.observe(&read(200_000, "mallory", "ehr.patients", 60_000), &mut hits);
    assert_eq!(hits.len(), 1);
    a.observe(
        &read(200_060, "mallory", "ehr.patients", 400_000),
        &mut hits,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].metrics["suppressed"], 1.0);
    assert_eq!(a.counters().out_of_order, 2);
    // Extreme timestamps do not panic.
    // (The second read is five times the first: a new pair's growth.)
    for (nanos, rows) in [(i64::MIN, 500_000), (i64::MAX, 2_500_000)] {
        let mut e = Event::new(Timestamp::from_nanos(nanos));
        e.push_norm(keys::DB_USER, Value::Static("x"));
        e.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(rows));
        a.observe(&e, &mut hits);
    }
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[2].group["table"], "-");
}

#[test]
fn records_without_rows_are_ignored_and_fallback_keys_used() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    let mut ev = Event::new(Timestamp::from_secs(T0).unwrap());
    ev.push_norm(keys::DB_USER, Value::Static("mallory"));
    a.observe(&ev, &mut hits);
    assert_eq!(a.counters().reads, 0);
    assert_eq!(a.entities(), 0);
    // user.name and db.name when db.user and db.sql.table are missing;
    // client.ip when source.ip is.
    let mut ev = Event::new(Timestamp::from_secs(T0).unwrap());
    ev.push_norm(keys::USER_NAME, Value::Static("acme_vendor"));
    ev.push_norm(keys::DB_NAME, Value::Static("ehr"));
    ev.push_norm(keys::CLIENT_IP, Value::Ip("203.0.113.45".parse().unwrap()));
    ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(250_000));
    a.observe(&ev, &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group["principal"], "acme_vendor");
    assert_eq!(hits[0].group["table"], "ehr");
    assert_eq!(hits[0].entity.ip.as_deref(), Some("203.0.113.45"));
}

#[test]
fn config_reads_from_json_with_defaults() {
    let c: Config = serde_json::from_str(
        r#"{"min_rows": 5000, "allow_pairs": [{"principal": "a", "table": "b"}]}"#,
    )
    .unwrap();
    assert_eq!(c.min_rows, 5000);
    assert_eq!(c.new_pair_rows, 50_000);
    assert_eq!(c.allow_pairs.len(), 1);
    assert!(serde_json::from_str::<Config>(r#"{"nope": 1}"#).is_err());
}

/// A read by `user` through `app` (rows small).
fn app_read(secs: i64, user: &'static str, table: &'static str, app: &'static str) -> Event {
    let mut ev = read(secs, user, table, 200);
    ev.push_norm(keys::CLIENT_APPLICATION, Value::Static(app));
    ev
}

#[test]
fn an_established_principal_reading_a_new_table_through_a_console_is_high() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    for i in 0..60 {
        a.observe(
            &app_read(i * 60, "caro", "billing.claims", "billing-app"),
            &mut hits,
        );
    }
    assert!(hits.is_empty());
    // The same user's account pulls patient rows with psql.
    a.observe(&app_read(10_000, "caro", "ehr.patients", "psql"), &mut hits);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "db-new-access");
    assert_eq!(h.level, Level::High);
    assert_eq!(h.group["table"], "ehr.patients");
    assert_eq!(h.group["application"], "psql");
    assert_eq!(h.metrics["prior_reads"], 60.0);
    assert_eq!(h.metrics["console_client"], 1.0);
    assert_eq!(a.counters().new_access, 1);
    // Another new table within the suppression window: quiet; later reads of
    // the now-known pair: quiet.
    a.observe(&app_read(10_060, "caro", "ehr.notes", "psql"), &mut hits);
    a.observe(&app_read(10_120, "caro", "ehr.patients", "psql"), &mut hits);
    assert_eq!(hits.len(), 1);
    // After the window, a new table through the usual application: medium.
    a.observe(
        &app_read(20_000, "caro", "billing.invoices", "billing-app"),
        &mut hits,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].level, Level::Medium);
    assert_eq!(hits[1].metrics["new_application"], 0.0);
}

#[test]
fn new_principals_and_allowlisted_ones_are_not_new_access() {
    let mut a = BulkRead::new(Config {
        allow_principals: vec!["svc_bi".into()],
        ..Config::default()
    });
    let mut hits = Vec::new();
    // A principal with little history reads several tables: nothing.
    for (i, t) in ["a", "b", "c", "d"].iter().enumerate() {
        let table: &'static str = t;
        a.observe(&app_read(i as i64, "newbie", table, "psql"), &mut hits);
    }
    for i in 0..60 {
        a.observe(
            &app_read(100 + i, "svc_bi", "ehr.encounters", "bi"),
            &mut hits,
        );
    }
    a.observe(
        &app_read(1_000, "svc_bi", "ehr.patients", "psql"),
        &mut hits,
    );
    assert!(hits.is_empty(), "{hits:#?}");
    // Off in the configuration.
    let mut b = BulkRead::new(Config {
        new_access_min_reads: 0,
        ..Config::default()
    });
    for i in 0..60 {
        b.observe(
            &app_read(i, "caro", "billing.claims", "billing-app"),
            &mut hits,
        );
    }
    b.observe(&app_read(1_000, "caro", "ehr.patients", "psql"), &mut hits);
    assert!(hits.is_empty());
}

#[test]
fn principals_survive_save_and_restore() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    for i in 0..60 {
        a.observe(
            &app_read(i * 60, "caro", "billing.claims", "billing-app"),
            &mut hits,
        );
    }
    let saved = a.save();
    let mut b = BulkRead::new(Config::default());
    b.restore(&saved).unwrap();
    b.observe(&app_read(10_000, "caro", "ehr.patients", "psql"), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["prior_reads"], 60.0);
}

#[test]
fn only_database_audit_datasets_are_wanted() {
    let a = BulkRead::new(Config::default());
    assert!(a.wants("postgresql.audit") && a.wants("mysql.audit") && a.wants("mssql.audit"));
    assert!(!a.wants("zeek.conn") && !a.wants("fhir.audit") && !a.wants("okta.system"));
    assert!(a.wants("json") && a.wants(""));
}

#[test]
fn a_pair_that_read_once_is_small() {
    let mut a = BulkRead::new(Config::default());
    let mut hits = Vec::new();
    let users: Vec<String> = (0..20_000).map(|i| format!("app{i}")).collect();
    for u in &users {
        let mut ev = Event::new(Timestamp::from_secs(T0).unwrap());
        ev.push_norm_str(keys::DB_USER, u);
        ev.push_norm_str(keys::DB_SQL_TABLE, "ehr.patients");
        ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(12));
        a.observe(&ev, &mut hits);
    }
    // The pair and its principal.
    let per = a.memory_bytes() / a.entities();
    assert!(per < 450, "{per} bytes per pair");
}
