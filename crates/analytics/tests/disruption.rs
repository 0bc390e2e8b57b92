#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The service disruption analytic over hand-made series of requests whose
//! right answer is known.

use std::net::IpAddr;

use phiwatch_analytics::context::Context;
use phiwatch_analytics::disruption::{Config, Disruption};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, SourceId, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const T0: i64 = 1_793_577_600;
const HOUR: i64 = 3600;
const MIN: i64 = 60;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn origin(ev: &mut Event, source: u32, secs: i64) {
    ev.set_origin(Origin {
        source: SourceId(source),
        line: u64::try_from(secs).unwrap_or(0) + 1,
        ..Origin::default()
    });
}

/// A web access log record (nginx in front of the EHR): no server named.
fn web(secs: i64, client: u8, status: i64) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    origin(&mut ev, 1, secs);
    ev.push_norm_str(keys::EVENT_DATASET, "web.access");
    ev.push_norm(keys::SOURCE_IP, Value::Ip(ip(&format!("10.1.0.{client}"))));
    ev.push_norm_str(keys::URL_PATH, "/fhir/Patient/pt-1");
    ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(status));
    ev
}

/// A Zeek conn record of a TCP connection from `client` to `dst:port`.
fn conn(secs: i64, client: &str, dst: &str, port: i64, state: &'static str) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    origin(&mut ev, 2, secs);
    ev.push_norm_str(keys::EVENT_DATASET, "zeek.conn");
    ev.push_norm(keys::SOURCE_IP, Value::Ip(ip(client)));
    ev.push_norm(keys::DESTINATION_IP, Value::Ip(ip(dst)));
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(port));
    ev.push_norm(keys::NETWORK_TRANSPORT, Value::Static("tcp"));
    let n = ev.name("conn_state");
    ev.push_raw(n, Value::Static(state));
    ev
}

/// A FHIR AuditEvent with outcome code `outcome`.
fn fhir(secs: i64, client: u8, outcome: &'static str) -> Event {
    let mut ev = Event::new(Timestamp::from_secs(T0 + secs).unwrap());
    origin(&mut ev, 3, secs);
    ev.push_norm_str(keys::EVENT_DATASET, "fhir.audit");
    ev.push_norm_str(keys::EVENT_MODULE, "fhir");
    ev.push_norm(keys::CLIENT_IP, Value::Ip(ip(&format!("10.1.0.{client}"))));
    ev.push_norm_str(keys::OBSERVER_HOSTNAME, "ehr-prod");
    let n = ev.name("outcome");
    ev.push_raw(n, Value::Static(outcome));
    ev
}

/// Web requests every `step` seconds in `[from, to)`, from clients 1–7 in
/// turn, with `status`.
fn web_span(from: i64, to: i64, step: usize, status: i64) -> Vec<Event> {
    (from..to)
        .step_by(step)
        .map(|s| web(s, (s / step as i64 % 7) as u8 + 1, status))
        .collect()
}

/// Six hours healthy, `len` seconds of 503s, two hours healthy.
fn outage_series(len: i64) -> Vec<Event> {
    let mut evs = web_span(0, 6 * HOUR, 10, 200);
    evs.extend(web_span(6 * HOUR, 6 * HOUR + len, 10, 503));
    evs.extend(web_span(6 * HOUR + len, 8 * HOUR + len, 10, 200));
    evs
}

fn feed(a: &mut Disruption, evs: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in evs {
        a.observe(ev, &mut hits);
    }
    hits
}

fn run(config: Config, evs: &[Event]) -> (Disruption, Vec<AnalyticHit>) {
    let mut a = Disruption::new(config, &Context::default());
    let mut hits = feed(&mut a, evs);
    a.finish(&mut hits);
    (a, hits)
}

#[test]
fn a_half_hour_of_503s_is_one_high_hit_with_start_and_end() {
    let (a, hits) = run(Config::default(), &outage_series(30 * MIN));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "service-disruption");
    assert_eq!(h.level, Level::High);
    assert_eq!(h.group["service"], "http /fhir");
    assert_eq!(h.group["server"], "-");
    assert_eq!(h.time, Timestamp::from_secs(T0 + 6 * HOUR).unwrap());
    assert_eq!(
        h.end_time,
        Timestamp::from_secs(T0 + 6 * HOUR + 30 * MIN - 10).unwrap()
    );
    assert_eq!(h.metrics["failed"], 180.0);
    assert_eq!(h.metrics["clients"], 7.0);
    assert_eq!(h.metrics["ongoing"], 0.0);
    assert_eq!(h.metrics["failing_buckets"], 6.0);
    assert_eq!(h.metrics["min_share"], 0.5);
    assert!(h.metrics["robust_z"] >= 5.0);
    assert!(h.tags.contains(&"attack.t1499".to_string()));
    assert!(!h.evidence.is_empty() && h.evidence.len() <= 10);
    assert_eq!(h.evidence[0].1, h.time);
    assert_eq!(h.evidence.last().unwrap().1, h.end_time);
    assert!(h.title.contains("web service /fhir"), "{}", h.title);
    assert_eq!(a.counters().hits, 1);
    assert_eq!(a.counters().late, 0);
}

#[test]
fn long_or_widespread_outages_are_critical() {
    let (_, hits) = run(Config::default(), &outage_series(2 * HOUR));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].level, Level::Critical);
    assert!(hits[0].metrics["duration_s"] >= 3600.0);

    let config = Config {
        critical_clients: 5,
        ..Config::default()
    };
    let (_, hits) = run(config, &outage_series(30 * MIN));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].level, Level::Critical);
}

#[test]
fn a_normal_error_rate_and_one_failing_client_are_quiet() {
    // 3% of requests fail all day long: normal for this service.
    let mut evs: Vec<Event> = (0..10 * HOUR)
        .step_by(10)
        .map(|s| {
            let status = if (s / 10) % 33 == 0 { 503 } else { 200 };
            web(s, (s / 10 % 7) as u8 + 1, status)
        })
        .collect();
    let (_, hits) = run(Config::default(), &evs);
    assert!(hits.is_empty(), "{hits:#?}");

    // One client's connections are refused for an hour: its problem.
    evs = (0..8 * HOUR)
        .step_by(20)
        .map(|s| {
            conn(
                s,
                &format!("10.1.0.{}", s / 20 % 5 + 1),
                "10.0.1.20",
                443,
                "SF",
            )
        })
        .collect();
    evs.extend(
        (6 * HOUR..7 * HOUR)
            .step_by(5)
            .map(|s| conn(s + 1, "10.1.0.9", "10.0.1.20", 443, "REJ")),
    );
    evs.sort_by_key(|e| e.time());
    let (a, hits) = run(Config::default(), &evs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert!(a.counters().failures >= 700);
}

#[test]
fn a_service_with_a_short_history_is_not_reported() {
    // One hour of history (12 buckets) is below min_samples (36).
    let mut evs = web_span(0, HOUR, 10, 200);
    evs.extend(web_span(HOUR, 2 * HOUR, 10, 503));
    let (a, hits) = run(Config::default(), &evs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().outages, 0);
    // The same with a lower min_samples is reported.
    let config = Config {
        min_samples: 12,
        ..Config::default()
    };
    let (_, hits) = run(config, &evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["samples"], 12.0);
}

#[test]
fn refused_connections_to_a_new_port_are_not_an_outage() {
    // A healthy HTTPS server for hours, then many clients refused on a port
    // that never answered (a scan, or a service never offered).
    let mut evs: Vec<Event> = (0..8 * HOUR)
        .step_by(20)
        .map(|s| {
            conn(
                s,
                &format!("10.1.0.{}", s / 20 % 5 + 1),
                "10.0.1.20",
                443,
                "SF",
            )
        })
        .collect();
    evs.extend((7 * HOUR..7 * HOUR + 30 * MIN).step_by(3).map(|s| {
        conn(
            s + 1,
            &format!("10.1.0.{}", s % 50 + 1),
            "10.0.1.20",
            8443,
            "REJ",
        )
    }));
    evs.sort_by_key(|e| e.time());
    let (a, hits) = run(Config::default(), &evs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.entities(), 2);
}

#[test]
fn refused_and_unanswered_connections_to_an_internal_server_are_an_outage() {
    let mut evs: Vec<Event> = (0..8 * HOUR)
        .step_by(20)
        .map(|s| {
            let state = if (6 * HOUR..7 * HOUR).contains(&s) {
                if s % 40 == 0 {
                    "REJ"
                } else {
                    "S0"
                }
            } else {
                "SF"
            };
            conn(
                s,
                &format!("10.1.0.{}", s / 20 % 5 + 1),
                "10.0.1.20",
                443,
                state,
            )
        })
        .collect();
    // The same to an address outside the organization, and UDP: ignored.
    evs.extend(
        (0..8 * HOUR)
            .step_by(20)
            .map(|s| conn(s + 2, "10.1.0.1", "198.51.100.9", 443, "S0")),
    );
    evs.sort_by_key(|e| e.time());
    let (a, hits) = run(Config::default(), &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].group["server"], "10.0.1.20");
    assert_eq!(hits[0].group["service"], "tcp/443");
    assert_eq!(hits[0].entity.ip.as_deref(), Some("10.0.1.20"));
    assert_eq!(hits[0].metrics["failed"], 180.0);
    assert_eq!(hits[0].metrics["clients"], 5.0);
    assert_eq!(a.entities(), 1);
}

#[test]
fn fhir_serious_failures_count_and_client_errors_do_not() {
    let mut evs: Vec<Event> = (0..6 * HOUR)
        .step_by(10)
        .map(|s| fhir(s, (s / 10 % 7) as u8 + 1, "0"))
        .collect();
    // An hour of minor failures (4: the client's fault), then of serious.
    evs.extend(
        (6 * HOUR..7 * HOUR)
            .step_by(10)
            .map(|s| fhir(s, (s / 10 % 7) as u8 + 1, "4")),
    );
    evs.extend(
        (7 * HOUR..7 * HOUR + 30 * MIN)
            .step_by(10)
            .map(|s| fhir(s, (s / 10 % 7) as u8 + 1, "8")),
    );
    evs.extend(
        (7 * HOUR + 30 * MIN..9 * HOUR)
            .step_by(10)
            .map(|s| fhir(s, (s / 10 % 7) as u8 + 1, "0")),
    );
    let (_, hits) = run(Config::default(), &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].group["server"], "ehr-prod");
    assert_eq!(hits[0].group["service"], "fhir");
    assert_eq!(hits[0].entity.host.as_deref(), Some("ehr-prod"));
    assert_eq!(hits[0].time, Timestamp::from_secs(T0 + 7 * HOUR).unwrap());
}

#[test]
fn out_of_order_events_within_the_grace_change_nothing() {
    let sorted = outage_series(30 * MIN);
    let (_, want) = run(Config::default(), &sorted);
    // Swap neighbours 50 s apart: out of order, within the 120 s grace.
    let mut shuffled = sorted.clone();
    for i in (0..shuffled.len() - 5).step_by(7) {
        shuffled.swap(i, i + 5);
    }
    let (a, got) = run(Config::default(), &shuffled);
    assert_eq!(a.counters().late, 0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].metrics["failed"], want[0].metrics["failed"]);
    assert_eq!(got[0].time, want[0].time);
    assert_eq!(got[0].end_time, want[0].end_time);

    // An event an hour old arrives after the fact: late, dropped, no panic.
    let mut evs = sorted;
    evs.insert(3000, web(5, 1, 503));
    let (a, got) = run(Config::default(), &evs);
    assert_eq!(a.counters().late, 1);
    assert_eq!(got.len(), 1);
}

#[test]
fn clock_skew_between_two_sources_is_absorbed_by_the_grace() {
    // Two web servers log the same service; the second's clock is 90 s
    // behind. Events arrive in true-time order, so the second's look late.
    let skewed = |skew: i64| -> Vec<Event> {
        let mut evs = Vec::new();
        for s in (0..9 * HOUR).step_by(10) {
            let status = if (6 * HOUR..6 * HOUR + 30 * MIN).contains(&s) {
                503
            } else {
                200
            };
            evs.push(web(s, (s / 10 % 7) as u8 + 1, status));
            let mut b = web(s + 5 - skew, (s / 10 % 7) as u8 + 1, status);
            origin(&mut b, 9, s);
            evs.push(b);
        }
        evs
    };
    let (a, hits) = run(Config::default(), &skewed(90));
    assert_eq!(a.counters().late, 0);
    assert_eq!(a.counters().failures, 360);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    // The skewed server's first failures are stamped in the bucket before
    // the outage, which is judged alone and not enough to open it.
    assert!((350.0..=360.0).contains(&hits[0].metrics["failed"]));
    // Ten minutes of skew is beyond the grace: some requests are late
    // (counted, dropped), and the outage is still found once.
    let (a, hits) = run(Config::default(), &skewed(600));
    assert!(a.counters().late > 0);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert!(hits[0].metrics["failed"] >= 180.0);
}

#[test]
fn allowlisted_services_and_servers_are_never_reported() {
    let config = Config {
        allow_services: vec!["http /fhir".into()],
        ..Config::default()
    };
    let (a, hits) = run(config, &outage_series(30 * MIN));
    assert!(hits.is_empty());
    assert!(a.counters().allowlisted > 0);
    assert_eq!(a.entities(), 0);

    let evs: Vec<Event> = (0..8 * HOUR)
        .step_by(20)
        .map(|s| {
            let state = if (6 * HOUR..7 * HOUR).contains(&s) {
                "REJ"
            } else {
                "SF"
            };
            conn(
                s,
                &format!("10.1.0.{}", s / 20 % 5 + 1),
                "10.0.1.20",
                443,
                state,
            )
        })
        .collect();
    let (_, hits) = run(Config::default(), &evs);
    assert_eq!(hits.len(), 1);
    let config = Config {
        allow_networks: vec!["10.0.1.0/24".parse().unwrap()],
        ..Config::default()
    };
    let (_, hits) = run(config, &evs);
    assert!(hits.is_empty());
}

#[test]
fn a_flapping_service_reports_once_and_counts_the_rest() {
    // Outages at 6:00, 6:50 (within the hour after the first ended) and
    // 10:00 (after it): the second is counted in the third's hit.
    let mut evs = web_span(0, 6 * HOUR, 10, 200);
    for (from, to) in [
        (6 * HOUR, 6 * HOUR + 20 * MIN),
        (6 * HOUR + 50 * MIN, 7 * HOUR + 10 * MIN),
        (10 * HOUR, 10 * HOUR + 20 * MIN),
    ] {
        let start = evs.last().map_or(0, |e| e.time().as_secs() - T0 + 10);
        evs.extend(web_span(start, from, 10, 200));
        evs.extend(web_span(from, to, 10, 503));
    }
    let end = 10 * HOUR + 20 * MIN;
    evs.extend(web_span(end, end + HOUR, 10, 200));
    let (a, hits) = run(Config::default(), &evs);
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(hits[0].metrics["suppressed"], 0.0);
    assert_eq!(hits[1].metrics["suppressed"], 1.0);
    assert_eq!(hits[1].metrics["suppressed_failed"], 120.0);
    assert_eq!(hits[1].time, Timestamp::from_secs(T0 + 10 * HOUR).unwrap());
    assert_eq!(a.counters().suppressed, 1);
}

#[test]
fn a_five_minute_blip_is_not_reported() {
    let (a, hits) = run(Config::default(), &outage_series(5 * MIN));
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().outages, 1);
    assert_eq!(a.counters().blips, 1);
}

#[test]
fn an_outage_still_on_at_the_end_is_reported_at_finish() {
    let mut evs = web_span(0, 6 * HOUR, 10, 200);
    evs.extend(web_span(6 * HOUR, 7 * HOUR, 10, 503));
    let mut a = Disruption::new(Config::default(), &Context::default());
    let hits = feed(&mut a, &evs);
    assert!(hits.is_empty());
    let mut hits = Vec::new();
    a.finish(&mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["ongoing"], 1.0);
    assert!(hits[0].title.contains("still failing"), "{}", hits[0].title);
}

#[test]
fn a_service_that_goes_silent_ends_its_outage() {
    // 20 minutes of 503s, then no request to it at all while other
    // traffic goes on: the outage ends after max_gap_secs, at the last
    // failure.
    let mut evs = web_span(0, 6 * HOUR, 10, 200);
    evs.extend(web_span(6 * HOUR, 6 * HOUR + 20 * MIN, 10, 503));
    evs.extend(
        (0..10 * HOUR)
            .step_by(30)
            .map(|s| conn(s, "10.1.0.1", "10.0.1.30", 445, "SF")),
    );
    evs.sort_by_key(|e| e.time());
    let mut a = Disruption::new(Config::default(), &Context::default());
    let hits = feed(&mut a, &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["ongoing"], 0.0);
    assert_eq!(
        hits[0].end_time,
        Timestamp::from_secs(T0 + 6 * HOUR + 20 * MIN - 10).unwrap()
    );
}

#[test]
fn save_and_restore_give_the_same_hits_as_one_run() {
    let evs = outage_series(40 * MIN);
    let (_, want) = run(Config::default(), &evs);
    assert_eq!(want.len(), 1);
    // Cut in the middle of the outage.
    let cut = evs
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(T0 + 6 * HOUR + 17 * MIN).unwrap())
        .unwrap();
    let mut first = Disruption::new(Config::default(), &Context::default());
    let mut got = feed(&mut first, &evs[..cut]);
    let saved = first.save();
    let text = serde_json::to_string(&saved).unwrap();
    let mut second = Disruption::new(Config::default(), &Context::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(second.entities(), first.entities());
    got.extend(feed(&mut second, &evs[cut..]));
    second.finish(&mut got);
    assert_eq!(got, want);
    assert_eq!(second.counters().requests, evs.len() as u64);

    let mut bad = Disruption::new(Config::default(), &Context::default());
    assert!(bad.restore(&serde_json::json!({"version": 99})).is_err());
    let mut v = saved.clone();
    v["version"] = serde_json::json!(2);
    assert!(bad.restore(&v).is_err());
    assert!(bad.restore(&serde_json::json!("nonsense")).is_err());
}

#[test]
fn the_number_of_services_is_bounded() {
    let config = Config {
        capacity: 5,
        ..Config::default()
    };
    let evs: Vec<Event> = (0..20)
        .map(|i| conn(i, "10.1.0.1", &format!("10.0.3.{i}"), 443, "SF"))
        .collect();
    let (a, _) = run(config, &evs);
    assert_eq!(a.entities(), 5);
    assert_eq!(a.counters().evicted, 15);
    let saved = a.save();
    let mut b = Disruption::new(
        Config {
            capacity: 5,
            ..Config::default()
        },
        &Context::default(),
    );
    b.restore(&saved).unwrap();
    assert_eq!(b.counters().evicted, 15);
    assert!(a.memory_bytes() > 0);
}

#[test]
fn config_reads_from_toml_and_rejects_unknown_keys() {
    let c: Config = toml::from_str("min_clients = 5\nallow_services = [\"tcp/3389\"]").unwrap();
    assert_eq!(c.min_clients, 5);
    assert_eq!(c.bucket_secs, 300);
    assert!(toml::from_str::<Config>("min_client = 5").is_err());
    assert_eq!(toml::from_str::<Config>("").unwrap(), Config::default());
}

#[test]
fn odd_input_does_not_panic() {
    let mut a = Disruption::new(
        Config {
            bucket_secs: 0,
            capacity: 0,
            history: 0,
            ..Config::default()
        },
        &Context::default(),
    );
    let mut hits = Vec::new();
    let mut ev = Event::new(Timestamp::from_nanos(i64::MIN));
    ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Static("abc"));
    a.observe(&ev, &mut hits);
    let mut ev = Event::new(Timestamp::from_nanos(i64::MAX));
    ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(503));
    a.observe(&ev, &mut hits);
    let mut ev = Event::new(Timestamp::from_nanos(i64::MIN));
    ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(503));
    a.observe(&ev, &mut hits);
    a.finish(&mut hits);
    assert!(hits.is_empty());
}

#[test]
fn a_record_stamped_years_ahead_does_not_stop_detection() {
    let mut evs = outage_series(30 * MIN);
    // A conn record from a host whose clock is thirty years off.
    let mut bogus = conn(0, "10.1.0.1", "10.0.1.30", 445, "SF");
    bogus.set_time(Timestamp::from_secs(T0 + 30 * 365 * 24 * HOUR).unwrap());
    evs.insert(1000, bogus);
    let mut a = Disruption::new(Config::default(), &Context::default());
    // Found when the service recovers, before the end of the input.
    let hits = feed(&mut a, &evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["failed"], 180.0);
    // At most the rest of one bucket arrived after it was closed early.
    assert!(a.counters().late <= 30, "{:?}", a.counters());
}

#[test]
fn report_after_reports_a_long_outage_once_while_it_goes_on() {
    let config = Config {
        report_after_secs: 900,
        ..Config::default()
    };
    let evs = outage_series(2 * HOUR);
    let mut a = Disruption::new(config, &Context::default());
    let cut = evs
        .iter()
        .position(|e| e.time() >= Timestamp::from_secs(T0 + 6 * HOUR + 30 * MIN).unwrap())
        .unwrap();
    // Reported within half an hour of its start...
    let hits = feed(&mut a, &evs[..cut]);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["ongoing"], 1.0);
    assert_eq!(hits[0].level, Level::High);
    assert!(hits[0].metrics["duration_s"] >= 900.0);
    assert!(
        hits[0].title.contains("still failing at"),
        "{}",
        hits[0].title
    );
    // ...and not again when it ends.
    let mut rest = feed(&mut a, &evs[cut..]);
    a.finish(&mut rest);
    assert!(rest.is_empty(), "{rest:#?}");
    assert_eq!(a.counters().hits, 1);
}

#[test]
fn only_datasets_with_requests_are_wanted() {
    let a = Disruption::new(Config::default(), &Context::default());
    for ds in [
        "web.access",
        "fhir.audit",
        "zeek.conn",
        "zeek.http",
        "json",
        "",
    ] {
        assert!(a.wants(ds), "{ds}");
    }
    for ds in ["zeek.dns", "zeek.ssl", "postgresql.audit", "okta.system"] {
        assert!(!a.wants(ds), "{ds}");
    }
}
