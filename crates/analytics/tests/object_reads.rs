#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cloud object reads analytic over hand-made CloudTrail S3 data events
//! whose right answer is known.

use phiwatch_analytics::context::Context;
use phiwatch_analytics::object_reads::{Config, ObjectReads};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, SourceId, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const T0: i64 = 1_793_577_600;
const HOUR: i64 = 3600;
const MB: i64 = 1_000_000;
const OWN: &str = "733632276124";
/// The organization's NAT address (not in the internal networks).
const NAT: &str = "198.51.100.250";

/// A CloudTrail S3 data event.
struct Call {
    secs: i64,
    action: &'static str,
    principal: String,
    bucket: String,
    key: Option<String>,
    bytes: i64,
    ip: Option<String>,
    account: &'static str,
    error: Option<&'static str>,
    copy_from: Option<String>,
    resources: Vec<(&'static str, String, Option<&'static str>)>,
    source: u32,
}

fn get(secs: i64, principal: &str, bucket: &str, n: i64, bytes: i64) -> Call {
    Call {
        secs,
        action: "GetObject",
        principal: principal.into(),
        bucket: bucket.into(),
        key: Some(format!("exports/{}/{n}.csv", secs / HOUR)),
        bytes,
        ip: Some(NAT.into()),
        account: OWN,
        error: None,
        copy_from: None,
        resources: Vec::new(),
        source: 1,
    }
}

impl Call {
    fn ip(mut self, ip: &str) -> Call {
        self.ip = Some(ip.into());
        self
    }

    fn event(&self) -> Event {
        let mut ev = Event::new(Timestamp::from_secs(T0 + self.secs).unwrap());
        ev.set_origin(Origin {
            source: SourceId(self.source),
            record: u64::try_from(self.secs).unwrap() + 1,
            ..Origin::default()
        });
        ev.push_norm_str(keys::EVENT_DATASET, "aws.cloudtrail");
        ev.push_norm_str(keys::EVENT_PROVIDER, "s3.amazonaws.com");
        ev.push_norm_str(keys::EVENT_ACTION, self.action);
        ev.push_norm_str(keys::USER_NAME, &self.principal);
        ev.push_norm_str(keys::PHIWATCH_OBJECT_BUCKET, &self.bucket);
        if let Some(k) = &self.key {
            ev.push_norm_str(keys::PHIWATCH_OBJECT_KEY, k);
        }
        ev.push_norm(keys::PHIWATCH_OBJECT_BYTES_OUT, Value::Int(self.bytes));
        if let Some(ip) = &self.ip {
            ev.push_norm(keys::SOURCE_IP, Value::Ip(ip.parse().unwrap()));
        }
        let outcome = if self.error.is_some() {
            "failure"
        } else {
            "success"
        };
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(outcome));
        if let Some(e) = self.error {
            ev.push_norm_str(keys::ERROR_CODE, e);
        }
        raw_str(&mut ev, "userIdentity.accountId", self.account);
        raw_str(&mut ev, "recipientAccountId", OWN);
        if let Some(s) = &self.copy_from {
            raw_str(&mut ev, "requestParameters.x-amz-copy-source", s);
        }
        if !self.resources.is_empty() {
            let types: Vec<Value> = self.resources.iter().map(|r| ev.store_str(r.0)).collect();
            let arns: Vec<Value> = self.resources.iter().map(|r| ev.store_str(&r.1)).collect();
            let accounts: Vec<Value> = self
                .resources
                .iter()
                .filter_map(|r| r.2)
                .map(|a| ev.store_str(a))
                .collect();
            for (name, vals) in [
                ("resources.type", types),
                ("resources.ARN", arns),
                ("resources.accountId", accounts),
            ] {
                let list = ev.store_list(vals);
                let n = ev.name(name);
                ev.push_raw(n, list);
            }
        }
        ev
    }
}

fn raw_str(ev: &mut Event, name: &str, v: &str) {
    let v = ev.store_str(v);
    let n = ev.name(name);
    ev.push_raw(n, v);
}

/// `hours` hours of reporting: four reads of 1–4 MB an hour.
fn routine(principal: &str, bucket: &str, hours: std::ops::Range<i64>) -> Vec<Call> {
    let mut v = Vec::new();
    for h in hours {
        for n in 0..4 {
            v.push(get(
                h * HOUR + n * 600 + 7,
                principal,
                bucket,
                n,
                MB * (1 + (h + n) % 4),
            ));
        }
    }
    v
}

/// `n` reads of `bytes` each in hour `h`.
fn burst(principal: &str, bucket: &str, h: i64, n: i64, bytes: i64) -> Vec<Call> {
    (0..n)
        .map(|i| {
            get(
                h * HOUR + 60 + i * 3000 / n.max(1),
                principal,
                bucket,
                1000 + i,
                bytes,
            )
        })
        .collect()
}

fn events(mut calls: Vec<Call>) -> Vec<Event> {
    calls.sort_by_key(|c| c.secs);
    calls.iter().map(Call::event).collect()
}

fn feed(a: &mut ObjectReads, evs: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in evs {
        a.observe(ev, &mut hits);
    }
    hits
}

fn run(config: Config, evs: &[Event]) -> (ObjectReads, Vec<AnalyticHit>) {
    let mut a = ObjectReads::new(config, &Context::default());
    let mut hits = feed(&mut a, evs);
    a.finish(&mut hits);
    (a, hits)
}

/// Two days of routine reads, then 3 000 objects (6 GB) in hour 48.
fn exfil() -> Vec<Event> {
    let mut calls = routine("reporting", "phi-exports", 0..60);
    calls.extend(burst("reporting", "phi-exports", 48, 3000, 2 * MB));
    events(calls)
}

#[test]
fn an_hour_of_gigabytes_from_a_bucket_is_a_high_hit() {
    let (a, hits) = run(Config::default(), &exfil());
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "object-reads");
    assert_eq!(h.level, Level::High);
    assert_eq!(h.group["principal"], "reporting");
    assert_eq!(h.group["bucket"], "phi-exports");
    assert_eq!(h.entity.user.as_deref(), Some("reporting"));
    assert_eq!(h.metrics["objects"], 3004.0);
    assert_eq!(h.metrics["bytes"], 6010.0 * MB as f64);
    assert_eq!(h.metrics["by_bytes"], 1.0);
    assert_eq!(h.metrics["by_objects"], 1.0);
    assert_eq!(h.metrics["new_pair"], 0.0);
    assert_eq!(h.metrics["samples"], 48.0);
    assert_eq!(h.metrics["min_bytes"], 1e8);
    assert!(h.metrics["robust_z_bytes"] >= 6.0);
    assert!(h.tags.contains(&"attack.t1530".to_string()));
    assert!(h.evidence.len() >= 3 && h.evidence.len() <= 10);
    assert_eq!(h.evidence[0].1, h.time);
    // Object keys may name patients: never in the title.
    assert!(!h.title.contains("exports/"), "{}", h.title);
    assert!(h.title.contains("6.0 GB"), "{}", h.title);
    assert_eq!(a.counters().hits, 1);
    assert_eq!(a.counters().hours_closed, 60);
}

#[test]
fn very_large_reads_are_critical() {
    let mut calls = routine("reporting", "phi-exports", 0..50);
    calls.extend(burst("reporting", "phi-exports", 48, 200, 60 * MB));
    let (_, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].level, Level::Critical);
    assert_eq!(hits[0].metrics["by_objects"], 0.0);
}

#[test]
fn routine_reads_and_a_nightly_job_are_quiet() {
    // Routine reads, plus a nightly 2 GB extract at 02:00 for two weeks,
    // plus one hour of twice the usual.
    let mut calls = routine("reporting", "phi-exports", 0..14 * 24);
    for d in 0..14 {
        calls.extend(burst("etl", "phi-exports", d * 24 + 2, 400, 5 * MB));
    }
    calls.extend(burst("reporting", "phi-exports", 100, 8, 4 * MB));
    let (a, hits) = run(Config::default(), &events(calls));
    // The first night is a new pair with 2 GB: reported once (medium
    // volume for a new pair is high); every later night is its history.
    assert!(hits.len() <= 1, "{hits:#?}");
    assert!(hits.iter().all(|h| h.group["principal"] == "etl"));
    assert_eq!(a.counters().reads, 14 * 24 * 4 + 14 * 400 + 8);
}

#[test]
fn a_new_pair_is_judged_by_absolute_floors() {
    // Half a gigabyte by a new principal: below new_pair_bytes.
    let mut calls = routine("reporting", "phi-exports", 0..30);
    calls.extend(burst("mallory", "phi-exports", 10, 100, 5 * MB));
    let (_, hits) = run(Config::default(), &events(calls));
    assert!(hits.is_empty(), "{hits:#?}");
    // Two gigabytes: reported, as a new pair.
    let mut calls = routine("reporting", "phi-exports", 0..30);
    calls.extend(burst("mallory", "phi-exports", 10, 400, 5 * MB));
    let (_, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["new_pair"], 1.0);
    assert_eq!(hits[0].metrics["samples"], 0.0);
    assert_eq!(hits[0].group["principal"], "mallory");
    // Below min_samples hours, the pair's own history is not used.
    let mut calls = routine("reporting", "phi-exports", 0..10);
    calls.extend(burst("reporting", "phi-exports", 10, 100, 5 * MB));
    let (_, hits) = run(Config::default(), &events(calls));
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn reads_from_a_new_external_network_are_medium_and_raise_a_volume_hit() {
    let mut calls = routine("reporting", "phi-exports", 0..30);
    calls.push(get(20 * HOUR + 1900, "reporting", "phi-exports", 77, 3 * MB).ip("203.0.113.9"));
    let (a, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Medium);
    assert_eq!(hits[0].group["source_ip"], "203.0.113.9");
    assert_eq!(hits[0].entity.ip.as_deref(), Some("203.0.113.9"));
    assert!(hits[0].tags.contains(&"attack.t1078.004".to_string()));
    assert_eq!(a.counters().new_sources, 1);

    // The same address again later: known now, quiet.
    let mut calls = routine("reporting", "phi-exports", 0..30);
    calls.push(get(20 * HOUR + 1900, "reporting", "phi-exports", 77, 3 * MB).ip("203.0.113.9"));
    calls.push(get(27 * HOUR + 1900, "reporting", "phi-exports", 78, 3 * MB).ip("203.0.113.10"));
    let (_, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1);

    // A trusted network is never outside.
    let config = Config {
        trusted_networks: vec!["203.0.113.0/24".parse().unwrap()],
        ..Config::default()
    };
    let mut calls = routine("reporting", "phi-exports", 0..30);
    calls.push(get(20 * HOUR + 1900, "reporting", "phi-exports", 77, 3 * MB).ip("203.0.113.9"));
    let (a, hits) = run(config, &events(calls));
    assert!(hits.is_empty());
    // Only the NAT's reads (not trusted here) are from outside.
    assert_eq!(a.counters().outside_reads, 120);

    // A new principal reading from outside has no habits yet: quiet.
    let calls = vec![get(HOUR, "newrole", "phi-exports", 1, MB).ip("203.0.113.9")];
    let (_, hits) = run(Config::default(), &events(calls));
    assert!(hits.is_empty());

    // A bulk read from a new external network is critical.
    let mut calls = routine("reporting", "phi-exports", 0..50);
    calls.extend(
        burst("reporting", "phi-exports", 48, 3000, 2 * MB)
            .into_iter()
            .map(|c| c.ip("203.0.113.9")),
    );
    let (_, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Critical);
    assert!(hits[0].title.contains("new external address 203.0.113.9"));
}

fn copy_out(secs: i64, n: i64, dest_account: &'static str) -> Call {
    let mut c = get(secs, "AdminRole", "attacker-drop", n, 0);
    c.action = "CopyObject";
    c.copy_from = Some(format!("phi-exports/exports/{n}.csv"));
    c.resources = vec![
        (
            "AWS::S3::Bucket",
            "arn:aws:s3:::phi-exports".into(),
            Some(OWN),
        ),
        (
            "AWS::S3::Object",
            format!("arn:aws:s3:::phi-exports/exports/{n}.csv"),
            None,
        ),
        (
            "AWS::S3::Bucket",
            "arn:aws:s3:::attacker-drop".into(),
            Some(dest_account),
        ),
        (
            "AWS::S3::Object",
            format!("arn:aws:s3:::attacker-drop/exports/{n}.csv"),
            None,
        ),
    ];
    c
}

#[test]
fn copies_to_another_account_are_high_and_suppressed_for_a_while() {
    // One copy an hour for ten hours to an outside account.
    let mut calls = routine("reporting", "phi-exports", 0..12);
    calls.extend((0..10).map(|h| copy_out(h * HOUR + 100, h, "999999999999")));
    let (a, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(hits[0].level, Level::High);
    assert_eq!(hits[0].group["bucket"], "phi-exports");
    assert_eq!(
        hits[0].group["destination"],
        "attacker-drop (account 999999999999)"
    );
    assert!(hits[0].tags.contains(&"attack.t1537".to_string()));
    // Hours 1–5 are within six hours of the first hit; hour 6 is reported
    // with them counted.
    assert_eq!(hits[1].metrics["suppressed_hours"], 5.0);
    assert_eq!(
        hits[1].time,
        Timestamp::from_secs(T0 + 6 * HOUR + 100).unwrap()
    );
    assert_eq!(a.counters().copies_out, 10);
    assert_eq!(a.counters().suppressed, 8);

    // Copies within the account, or to a trusted one: quiet.
    let calls: Vec<Call> = (0..3).map(|h| copy_out(h * HOUR + 100, h, OWN)).collect();
    let (_, hits) = run(Config::default(), &events(calls));
    assert!(hits.is_empty(), "{hits:#?}");
    let config = Config {
        trusted_accounts: vec!["999999999999".into()],
        ..Config::default()
    };
    let calls: Vec<Call> = (0..3)
        .map(|h| copy_out(h * HOUR + 100, h, "999999999999"))
        .collect();
    let (_, hits) = run(config, &events(calls));
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn another_accounts_reads_are_noted_once() {
    let mut calls = routine("reporting", "phi-exports", 0..6);
    for h in 1..5 {
        let mut c = get(h * HOUR + 50, "partner", "phi-exports", h, MB);
        c.account = "111111111111";
        calls.push(c);
    }
    let (_, hits) = run(Config::default(), &events(calls));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::Medium);
    assert_eq!(hits[0].group["account"], "111111111111");
}

#[test]
fn failed_reads_are_counted_apart() {
    let mut calls = routine("reporting", "phi-exports", 0..3);
    for n in 0..50 {
        let mut c = get(HOUR + 100 + n, "mallory", "phi-exports", n, 0);
        c.error = Some("AccessDenied");
        calls.push(c);
    }
    let (a, hits) = run(Config::default(), &events(calls));
    assert!(hits.is_empty());
    assert_eq!(a.counters().failed_reads, 50);
    assert_eq!(a.counters().reads, 12);
    assert_eq!(a.entities(), 1);
}

#[test]
fn out_of_order_reads_within_the_grace_change_nothing() {
    let sorted = exfil();
    let (_, want) = run(Config::default(), &sorted);
    let mut shuffled = sorted.clone();
    // Reads of the burst a few seconds apart swap places.
    let from = T0 + 48 * HOUR;
    let burst: Vec<usize> = (0..shuffled.len())
        .filter(|&i| (from..from + HOUR).contains(&shuffled[i].time().as_secs()))
        .collect();
    for w in burst.chunks(8) {
        if let [a, .., b] = w {
            shuffled.swap(*a, *b);
        }
    }
    let (a, got) = run(Config::default(), &shuffled);
    assert_eq!(a.counters().late, 0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].metrics["bytes"], want[0].metrics["bytes"]);
    assert_eq!(got[0].metrics["objects"], want[0].metrics["objects"]);

    // A read of hour 2 arriving in hour 50: late, dropped.
    let mut evs = sorted;
    let at = evs
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(T0 + 50 * HOUR).unwrap())
        .unwrap();
    evs.insert(
        at,
        get(2 * HOUR + 5, "reporting", "phi-exports", 9, MB).event(),
    );
    let (a, got) = run(Config::default(), &evs);
    assert_eq!(a.counters().late, 1);
    assert_eq!(got.len(), 1);
}

#[test]
fn clock_skew_between_two_trails_is_absorbed_by_the_grace() {
    // Two trails deliver the same principal's reads; the second's clock is
    // four minutes behind, so its records arrive looking late.
    let mut calls = routine("reporting", "phi-exports", 0..60);
    for i in 0..3000 {
        let mut c = get(
            48 * HOUR + 900 + i * 2 / 3,
            "reporting",
            "phi-exports",
            1000 + i,
            2 * MB,
        );
        if i % 2 == 1 {
            c.source = 2;
        }
        calls.push(c);
    }
    calls.sort_by_key(|c| c.secs);
    let evs: Vec<Event> = calls
        .iter()
        .map(|c| {
            let mut ev = c.event();
            if c.source == 2 {
                ev.set_time(Timestamp::from_secs(T0 + c.secs - 240).unwrap());
            }
            ev
        })
        .collect();
    let (a, hits) = run(Config::default(), &evs);
    assert_eq!(a.counters().late, 0);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["objects"], 3004.0);
}

#[test]
fn allowlisted_principals_buckets_and_pairs_are_never_reported() {
    for config in [
        Config {
            allow_principals: vec!["reporting".into()],
            ..Config::default()
        },
        Config {
            allow_buckets: vec!["phi-exports".into()],
            ..Config::default()
        },
        toml::from_str("[[allow_pairs]]\nprincipal = \"reporting\"\nbucket = \"phi-exports\"\n")
            .unwrap(),
    ] {
        let (a, hits) = run(config, &exfil());
        assert!(hits.is_empty(), "{hits:#?}");
        assert_eq!(a.counters().allowed, 1);
    }
}

#[test]
fn save_and_restore_give_the_same_hits_as_one_run() {
    let mut calls = routine("reporting", "phi-exports", 0..60);
    calls.extend(burst("reporting", "phi-exports", 48, 3000, 2 * MB));
    calls.extend(burst("mallory", "phi-exports", 40, 400, 5 * MB));
    calls.push(get(45 * HOUR + 1900, "reporting", "phi-exports", 77, 3 * MB).ip("203.0.113.9"));
    let evs = events(calls);
    let (_, want) = run(Config::default(), &evs);
    assert_eq!(want.len(), 3, "{want:#?}");
    // Cut in the middle of the exfiltration hour.
    let cut = evs
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(T0 + 48 * HOUR + 1800).unwrap())
        .unwrap();
    let mut first = ObjectReads::new(Config::default(), &Context::default());
    let mut got = feed(&mut first, &evs[..cut]);
    let text = serde_json::to_string(&first.save()).unwrap();
    let mut second = ObjectReads::new(Config::default(), &Context::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    got.extend(feed(&mut second, &evs[cut..]));
    second.finish(&mut got);
    assert_eq!(got, want);
    assert_eq!(second.counters().reads, evs.len() as u64);

    let mut bad = ObjectReads::new(Config::default(), &Context::default());
    assert!(bad.restore(&serde_json::json!({"version": 1})).is_err());
    let mut v = first.save();
    v["version"] = serde_json::json!(7);
    assert!(bad.restore(&v).is_err());
}

#[test]
fn the_number_of_pairs_is_bounded() {
    let config = Config {
        capacity: 4,
        ..Config::default()
    };
    let calls: Vec<Call> = (0..10)
        .map(|i| get(i, &format!("role-{i}"), "phi-exports", i, MB))
        .collect();
    let (a, _) = run(config.clone(), &events(calls));
    assert_eq!(a.entities(), 4);
    assert_eq!(a.counters().evicted, 6);
    assert_eq!(a.counters().evicted_principals, 6);
    let mut b = ObjectReads::new(config, &Context::default());
    b.restore(&a.save()).unwrap();
    assert_eq!(b.entities(), 4);
    assert_eq!(b.counters().evicted, 6);
    assert!(a.memory_bytes() > 0);
}

#[test]
fn config_reads_from_toml_and_rejects_unknown_keys() {
    let c: Config = toml::from_str(
        "trusted_networks = [\"198.51.100.250\"]\ntrusted_accounts = [\"111111111111\"]",
    )
    .unwrap();
    assert_eq!(c.trusted_networks.len(), 1);
    assert_eq!(c.min_bytes, 100_000_000);
    assert!(toml::from_str::<Config>("min_byte = 1").is_err());
    assert_eq!(toml::from_str::<Config>("").unwrap(), Config::default());
}

#[test]
fn odd_input_does_not_panic() {
    let mut a = ObjectReads::new(
        Config {
            capacity: 0,
            history: 0,
            max_keys: 0,
            source_networks: 0,
            ..Config::default()
        },
        &Context::default(),
    );
    let mut hits = Vec::new();
    for t in [i64::MAX, i64::MIN, 0] {
        let mut ev = Event::new(Timestamp::from_nanos(t));
        ev.push_norm_str(keys::EVENT_ACTION, "GetObject");
        ev.push_norm_str(keys::PHIWATCH_OBJECT_BUCKET, "b");
        ev.push_norm(keys::PHIWATCH_OBJECT_BYTES_OUT, Value::Int(-5));
        ev.push_norm(keys::SOURCE_IP, Value::Ip("203.0.113.1".parse().unwrap()));
        a.observe(&ev, &mut hits);
    }
    a.finish(&mut hits);
    assert!(hits.is_empty());
    assert_eq!(a.counters().reads, 3);
}

/// CloudTrail records as AWS writes them, read through phiwatch's ingest
/// and CloudTrail decoder (resources flattened as the decoder does).
fn decoded(name: &str, records: &[serde_json::Value]) -> Vec<Event> {
    use std::sync::Arc;

    use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order};
    let dir = std::env::temp_dir().join(format!(
        "phiwatch-object-reads-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trail.json");
    let body = serde_json::json!({ "Records": records });
    std::fs::write(&path, serde_json::to_vec(&body).unwrap()).unwrap();
    let resolved = resolve_inputs(&[path.to_string_lossy().into_owned()]);
    let cfg = IngestConfig {
        order: Order::Time,
        ..IngestConfig::default()
    };
    let mut run = Ingest::start(
        resolved.inputs,
        resolved.errors,
        cfg,
        Arc::new(CollectSink::default()),
    );
    let evs: Vec<Event> = run.by_ref().collect();
    run.finish();
    std::fs::remove_dir_all(&dir).unwrap();
    evs
}

fn copy_record(minute: i64, resources: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:attacker",
            "arn": "arn:aws:sts::111111111111:assumed-role/ops/attacker",
            "accountId": "111111111111"
        },
        "eventTime": format!("2026-11-02T10:{minute:02}:00Z"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "CopyObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {
            "bucketName": "drop-bucket",
            "key": "a.csv",
            "x-amz-copy-source": "phi-bucket/a.csv"
        },
        "eventType": "AwsApiCall",
        "eventCategory": "Data",
        "recipientAccountId": "111111111111",
        "resources": resources
    })
}

#[test]
fn decoded_cloudtrail_copies_name_the_destination_account() {
    let cross = copy_record(
        1,
        serde_json::json!([
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::phi-bucket/a.csv"},
            {"accountId": "111111111111", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::phi-bucket"},
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::drop-bucket/a.csv"},
            {"accountId": "999999999999", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::drop-bucket"}
        ]),
    );
    // An in-place copy re-encrypted with another account's KMS key: not a
    // copy to another account (the key's account proves nothing).
    let kms = copy_record(
        2,
        serde_json::json!([
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::phi-bucket/a.csv"},
            {"accountId": "999999999999", "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:999999999999:key/k"}
        ]),
    );
    let evs = decoded("copies", &[cross, kms]);
    assert_eq!(evs.len(), 2);
    let (a, hits) = run(Config::default(), &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].level, Level::High);
    assert_eq!(hits[0].group["principal"], "ops");
    assert_eq!(hits[0].group["bucket"], "phi-bucket");
    assert_eq!(
        hits[0].group["destination"],
        "drop-bucket (account 999999999999)"
    );
    assert_eq!(hits[0].metrics["copies_out"], 1.0);
    assert_eq!(a.counters().reads, 2);
    assert_eq!(a.counters().copies_out, 1);
}

#[test]
fn a_record_stamped_years_ahead_does_not_stop_detection() {
    let mut evs = exfil();
    let mut bogus = get(0, "other", "logs", 1, MB).event();
    bogus.set_time(Timestamp::from_secs(T0 + 30 * 365 * 24 * HOUR).unwrap());
    evs.insert(10, bogus);
    let mut a = ObjectReads::new(Config::default(), &Context::default());
    // Found before the end of the input.
    let hits = feed(&mut a, &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["objects"], 3004.0);
    assert!(a.counters().late <= 4, "{:?}", a.counters());
}

#[test]
fn only_cloudtrail_is_wanted() {
    let a = ObjectReads::new(Config::default(), &Context::default());
    assert!(a.wants("aws.cloudtrail") && a.wants("json"));
    assert!(!a.wants("zeek.conn") && !a.wants("web.access") && !a.wants("okta.system"));
}

#[test]
fn a_pair_that_read_once_is_small() {
    let mut a = ObjectReads::new(Config::default(), &Context::default());
    let mut hits = Vec::new();
    let roles: Vec<String> = (0..10_000).map(|i| format!("role-{i}")).collect();
    for r in &roles {
        let mut ev = Event::new(Timestamp::from_secs(T0).unwrap());
        ev.push_norm_str(keys::EVENT_PROVIDER, "s3.amazonaws.com");
        ev.push_norm_str(keys::EVENT_ACTION, "GetObject");
        ev.push_norm_str(keys::USER_NAME, r);
        ev.push_norm_str(keys::PHIWATCH_OBJECT_BUCKET, "phi-exports");
        ev.push_norm_str(keys::PHIWATCH_OBJECT_KEY, "exports/a.csv");
        ev.push_norm(keys::PHIWATCH_OBJECT_BYTES_OUT, Value::Int(MB));
        a.observe(&ev, &mut hits);
    }
    // The pair with its open hour, and the principal's networks.
    let per = a.memory_bytes() / a.entities();
    assert!(per < 900, "{per} bytes per pair");
}

/// A state saved in the first layout (version 1: open hours as a map by
/// index, the notes of an hour inline, networks as `/24` text) is read
/// into this one, and the run goes on as if never cut.
#[test]
fn a_state_saved_by_version_1_is_read() {
    let mut calls = routine("reporting", "phi-exports", 0..60);
    calls.extend(burst("reporting", "phi-exports", 48, 3000, 2 * MB));
    calls.push(get(48 * HOUR + 100, "reporting", "phi-exports", 77, 3 * MB).ip("203.0.113.9"));
    let evs = events(calls);
    let (_, want) = run(Config::default(), &evs);
    assert!(!want.is_empty());
    let cut = evs
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(T0 + 48 * HOUR + 1800).unwrap())
        .unwrap();
    let mut first = ObjectReads::new(Config::default(), &Context::default());
    let mut got = feed(&mut first, &evs[..cut]);
    let mut v = first.save();
    // Back to the first layout.
    v["version"] = serde_json::json!(1);
    let mut noted = 0;
    for pair in v["pairs"].as_array_mut().unwrap() {
        let p = &mut pair[2];
        let mut map = serde_json::Map::new();
        for mut h in p["open"].as_array().unwrap().clone() {
            if let Some(n) = h.get("notes").cloned().filter(|n| !n.is_null()) {
                for k in ["new_source", "foreign", "copy_to"] {
                    noted += usize::from(!n[k].is_null());
                    h[k] = n[k].clone();
                }
            }
            h.as_object_mut().unwrap().remove("notes");
            map.insert(h["idx"].to_string(), h);
        }
        p["open"] = serde_json::Value::Object(map);
    }
    for s in v["sources"].as_array_mut().unwrap() {
        for n in s[1]["nets"].as_array_mut().unwrap() {
            n[0] = serde_json::json!(format!("{}/24", n[0].as_str().unwrap()));
        }
    }
    assert!(noted > 0, "the cut keeps a note to convert");
    let mut second = ObjectReads::new(Config::default(), &Context::default());
    second.restore(&v).unwrap();
    got.extend(feed(&mut second, &evs[cut..]));
    second.finish(&mut got);
    assert_eq!(got, want);
}
