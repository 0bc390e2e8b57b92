#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The API access analytic over small hand-made series of FHIR AuditEvent
//! and access-log records: enumeration, bulk export, off-hours access and
//! record snooping.

use std::net::IpAddr;

use phiwatch_analytics::api::{ApiAccess, Config, Flagged};
use phiwatch_analytics::context::{Context, Vendor};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC, in seconds.
const MONDAY: i64 = 1_793_577_600;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// One request, as a test builds it.
#[derive(Clone)]
struct Req {
    /// Seconds since MONDAY (fractions allowed).
    at: f64,
    user: Option<&'static str>,
    /// FHIR agent type code (`humanuser`, `110150`), if any.
    agent_type: Option<&'static str>,
    ip: &'static str,
    patients: Vec<String>,
    path: Option<String>,
    query: Option<String>,
    status: Option<i64>,
    dataset: &'static str,
}

impl Req {
    fn read(at: f64, user: &'static str, ip: &'static str, patient: String) -> Req {
        Req {
            at,
            user: Some(user),
            agent_type: Some("humanuser"),
            ip,
            path: Some(format!("/fhir/Patient/{patient}")),
            patients: vec![patient],
            query: None,
            status: None,
            dataset: "fhir.audit",
        }
    }

    fn app(mut self) -> Req {
        self.agent_type = Some("110150");
        self
    }

    /// The same request as the web server logged it (no user), `skew`
    /// seconds off and with the time truncated to the second.
    fn as_access_log(&self, skew: f64) -> Req {
        Req {
            at: (self.at + skew).floor(),
            user: None,
            agent_type: None,
            dataset: "web.access",
            status: Some(self.status.unwrap_or(200)),
            ..self.clone()
        }
    }

    fn event(&self, line: u64) -> Event {
        let nanos = ((MONDAY as f64 + self.at) * 1e9) as i64;
        let mut ev = Event::new(Timestamp::from_nanos(nanos));
        ev.set_origin(Origin {
            line,
            ..Origin::default()
        });
        ev.push_norm_str(keys::EVENT_DATASET, self.dataset);
        if let Some(u) = self.user {
            ev.push_norm_str(keys::USER_NAME, u);
        }
        if let Some(code) = self.agent_type {
            let name = ev.name("agent.type.coding.code");
            let v = ev.store_str(code);
            ev.push_raw(name, v);
        }
        let ip: IpAddr = self.ip.parse().unwrap();
        let key = if self.dataset == "web.access" {
            keys::SOURCE_IP
        } else {
            keys::CLIENT_IP
        };
        ev.push_norm(key, Value::Ip(ip));
        if !self.patients.is_empty() {
            let ids: Vec<Value> = self.patients.iter().map(|p| ev.store_str(p)).collect();
            let list = ev.store_list(ids);
            ev.push_norm(keys::PATIENT_IDS, list);
        }
        if let Some(p) = &self.path {
            ev.push_norm_str(keys::URL_PATH, p);
        }
        if let Some(q) = &self.query {
            ev.push_norm_str(keys::URL_QUERY, q);
        }
        if let Some(s) = self.status {
            ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(s));
        }
        ev
    }
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const NURSES: [&str; 12] = [
    "nurse.a", "nurse.b", "nurse.c", "nurse.d", "nurse.e", "nurse.f", "nurse.g", "nurse.h",
    "nurse.i", "nurse.j", "nurse.k", "nurse.l",
];

fn ip_of(i: usize) -> &'static str {
    const IPS: [&str; 12] = [
        "10.1.0.10",
        "10.1.0.11",
        "10.1.0.12",
        "10.1.0.13",
        "10.1.0.14",
        "10.1.0.15",
        "10.1.0.16",
        "10.1.0.17",
        "10.1.0.18",
        "10.1.0.19",
        "10.1.0.20",
        "10.1.0.21",
    ];
    IPS[i % IPS.len()]
}

fn pt(n: u64) -> String {
    format!("pt-{n:07}")
}

/// Nurses reading 3–7 patients of their own panel (60 patients) every
/// hour of `hours`.
fn ward(hours: std::ops::Range<i64>, seed: u64) -> Vec<Req> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::new();
    for h in hours {
        for (i, n) in NURSES.iter().enumerate() {
            for _ in 0..3 + r.below(5) {
                let at = (h * HOUR) as f64 + r.below(3_500) as f64 + 0.25;
                let p = pt(i as u64 * 50 + r.below(60));
                out.push(Req::read(at, n, ip_of(i), p));
            }
        }
    }
    out
}

/// An emergency physician reading 60 patients nobody else reads in each
/// night hour (22:00–06:00) of `days`.
fn night_reader(days: std::ops::Range<i64>, seed: u64) -> Vec<Req> {
    let mut r = Rng(seed | 1);
    let mut out = Vec::new();
    for d in days {
        for h in (0..6).chain(22..24) {
            for k in 0..60 {
                let at = (d * DAY + h * HOUR + k * 58) as f64 + 0.5;
                out.push(Req::read(
                    at,
                    "dr.er",
                    "10.1.0.99",
                    pt(50_000 + r.below(900_000)),
                ));
            }
        }
    }
    out
}

fn run_with(config: Config, ctx: &Context, mut reqs: Vec<Req>) -> (ApiAccess, Vec<AnalyticHit>) {
    reqs.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut a = ApiAccess::new(config, ctx);
    let mut hits = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        a.observe(&r.event(i as u64 + 1), &mut hits);
    }
    a.finish(&mut hits);
    (a, hits)
}

fn run(config: Config, reqs: Vec<Req>) -> (ApiAccess, Vec<AnalyticHit>) {
    run_with(config, &Context::default(), reqs)
}

fn of<'a>(hits: &'a [AnalyticHit], analytic: &str) -> Vec<&'a AnalyticHit> {
    hits.iter().filter(|h| h.analytic == analytic).collect()
}

/// A client that has never been seen reading `n` patients from `from`
/// seconds, one every `every` seconds.
fn scraper(from: f64, n: u64, every: f64, user: &'static str) -> Vec<Req> {
    (0..n)
        .map(|i| Req::read(from + i as f64 * every, user, "10.0.2.10", pt(i)).app())
        .collect()
}

#[test]
fn a_new_client_enumerating_patients_is_high_then_critical() {
    let mut reqs = ward(0..30, 1);
    // 1 500 patients in 25 minutes from hour 28.
    reqs.extend(scraper((28 * HOUR) as f64 + 60.0, 1_500, 1.0, "bulk-sync"));
    let (a, hits) = run(Config::default(), reqs);
    let e = of(&hits, "api-enumeration");
    assert_eq!(e.len(), 2, "{hits:#?}");
    assert_eq!(e[0].level, Level::High);
    assert_eq!(e[0].metrics["patients"], 300.0);
    assert_eq!(e[0].metrics["by_peers"], 1.0);
    assert_eq!(e[0].metrics["new_agent_patients"], 300.0);
    assert!(e[0].metrics["peer_q"] < 20.0);
    assert_eq!(e[0].entity.user.as_deref(), Some("bulk-sync"));
    assert_eq!(e[0].entity.ip.as_deref(), Some("10.0.2.10"));
    assert_eq!(e[0].group["agent_kind"], "application");
    assert!(e[0].tags.contains(&"attack.t1119".to_string()));
    assert!(!e[0].evidence.is_empty() && e[0].evidence.len() <= 10);
    // The escalation is reported despite the suppression window.
    assert_eq!(e[1].level, Level::Critical);
    assert_eq!(e[1].metrics["patients"], 1_000.0);
    // Nothing else: the ward is quiet, the application is no person.
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(a.counters().hits, 2);
}

#[test]
fn a_steady_ward_and_a_night_physician_stay_quiet() {
    let mut reqs = ward(0..96, 2);
    reqs.extend(night_reader(0..4, 3));
    let (a, hits) = run(Config::default(), reqs);
    assert!(hits.is_empty(), "{hits:#?}");
    let c = a.counters();
    assert!(c.hours_closed > 1_000, "{c:?}");
    assert_eq!(c.signals, 0);
}

#[test]
fn an_agent_judged_against_its_own_history() {
    // A nurse with four days of history reads 120 of her panel's patients
    // in an hour: far above her own hours, though not new to her.
    let mut reqs = ward(0..100, 4);
    for k in 0..120 {
        let at = (98 * HOUR + k * 25) as f64 + 0.5;
        reqs.push(Req::read(
            at,
            "nurse.c",
            ip_of(2),
            pt(100 + (k as u64 % 60)),
        ));
        reqs.push(Req::read(
            at + 1.0,
            "nurse.c",
            ip_of(2),
            pt(700_000 + k as u64),
        ));
    }
    let (_, hits) = run(Config::default(), reqs);
    let e = of(&hits, "api-enumeration");
    assert_eq!(e.len(), 1, "{hits:#?}");
    assert_eq!(e[0].metrics["by_own"], 1.0);
    assert!(e[0].metrics["samples"] >= 24.0);
    assert!(e[0].metrics["z"] >= 6.0, "{:?}", e[0].metrics);
    assert!(e[0].metrics["patients"] >= e[0].metrics["threshold"]);
    assert!(e[0].metrics["patients"] >= 3.0 * e[0].metrics["q"]);
}

/// A nurse who looks people up by name, then opens 150 strangers' charts.
fn snooper(hour: i64, user: &'static str, ip: &'static str) -> Vec<Req> {
    let mut out = Vec::new();
    for k in 0..8 {
        out.push(Req {
            path: Some("/fhir/Patient".to_string()),
            query: Some(format!("family=Name{k}&_count=20")),
            // A search lists candidates: they are not opened records.
            patients: (0..4).map(|j| pt(900_000 + k * 10 + j)).collect(),
            ..Req::read(
                (hour * HOUR + 2_400 + k as i64 * 120) as f64,
                user,
                ip,
                String::new(),
            )
        });
    }
    for k in 0..150 {
        let at = ((hour + 1) * HOUR + k * 23) as f64 + 0.5;
        out.push(Req::read(at, user, ip, pt(800_000 + k as u64)));
    }
    out
}

#[test]
fn name_searches_then_strangers_charts_are_snooping() {
    let mut reqs = ward(0..50, 5);
    reqs.extend(snooper(40, "nurse.e", ip_of(4)));
    let (_, hits) = run(Config::default(), reqs);
    let s = of(&hits, "record-snooping");
    assert_eq!(s.len(), 2, "{hits:#?}");
    // The searches first: medium.
    assert_eq!(s[0].group["signal"], "name-search");
    assert_eq!(s[0].level, Level::Medium);
    assert_eq!(s[0].metrics["searches"], 5.0);
    assert_eq!(
        s[0].metrics["new_patients"], 0.0,
        "search results are not opened"
    );
    // Then the charts: high, after the searches.
    assert_eq!(s[1].group["signal"], "new-patients");
    assert_eq!(s[1].level, Level::High);
    assert_eq!(s[1].metrics["correlated"], 1.0);
    assert_eq!(s[1].metrics["new_patients"], 40.0);
    assert_eq!(s[1].metrics["threshold"], 40.0);
    assert_eq!(s[1].metrics["by_own"], 1.0);
    assert_eq!(s[1].entity.user.as_deref(), Some("nurse.e"));
    // No patient identifier in titles or groups.
    for h in &hits {
        assert!(
            !h.title.contains("pt-") && !h.title.contains("Name"),
            "{}",
            h.title
        );
        assert!(h.group.values().all(|v| !v.contains("pt-")));
    }
    // Opening 150 strangers in an hour is also enumeration for her.
    assert!(of(&hits, "api-enumeration").len() <= 1);
}

#[test]
fn strangers_charts_without_searches_are_medium() {
    let mut reqs = ward(0..50, 6);
    reqs.extend(
        snooper(40, "nurse.f", ip_of(5))
            .into_iter()
            .filter(|r| r.query.is_none()),
    );
    let (_, hits) = run(Config::default(), reqs);
    let s = of(&hits, "record-snooping");
    assert_eq!(s.len(), 1, "{hits:#?}");
    assert_eq!(s[0].level, Level::Medium);
    assert_eq!(s[0].metrics["correlated"], 0.0);
}

#[test]
fn too_little_history_and_no_peers_judges_nothing() {
    // One person, alone, from the first hour: no baseline of any kind.
    let reqs: Vec<Req> = (0..150)
        .map(|k| Req::read(60.0 + k as f64 * 20.0, "nurse.z", "10.1.0.50", pt(k)))
        .collect();
    let (a, hits) = run(Config::default(), reqs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().requests, 150);
}

#[test]
fn a_new_person_is_judged_against_the_peers() {
    // nurse.new appears at hour 40 and opens 150 strangers at once.
    let mut reqs = ward(0..45, 7);
    for k in 0..150 {
        let at = (40 * HOUR + k * 20) as f64 + 0.5;
        reqs.push(Req::read(
            at,
            "nurse.new",
            "10.1.0.77",
            pt(600_000 + k as u64),
        ));
    }
    let (_, hits) = run(Config::default(), reqs);
    let s = of(&hits, "record-snooping");
    assert_eq!(s.len(), 1, "{hits:#?}");
    assert_eq!(s[0].metrics["by_peers"], 1.0);
    assert_eq!(s[0].metrics["samples"], 0.0);
    assert!(s[0].metrics["peer_samples"] >= 100.0);
    assert!(s[0].metrics["new_patients"] >= 3.0 * s[0].metrics["peer_q"]);
}

#[test]
fn bulk_export_by_a_new_client_then_off_hours() {
    let kick = |at: f64, status: i64| Req {
        path: Some("/fhir/Patient/$export".to_string()),
        query: Some("_type=Patient".to_string()),
        patients: Vec::new(),
        status: Some(status),
        ..Req::read(at, "pop-health", "10.0.3.5", String::new()).app()
    };
    let poll = |at: f64| Req {
        path: Some("/fhir/$export-poll-status".to_string()),
        ..kick(at, 202)
    };
    let reqs = vec![
        kick((10 * HOUR) as f64, 202),          // day 0 10:00: new client
        poll((10 * HOUR) as f64 + 30.0),        // a poll is no kick-off
        kick((DAY + 10 * HOUR) as f64, 202),    // day 1 10:00: known, working hours
        kick((2 * DAY + 2 * HOUR) as f64, 403), // refused: not an export
        kick((2 * DAY + 2 * HOUR) as f64 + 60.0, 202), // day 2 02:00: off-hours
        kick((3 * DAY + 2 * HOUR) as f64, 202), // day 3 02:00: once before at 02:00
        kick((4 * DAY + 2 * HOUR) as f64, 202), // day 4: a nightly job by now
        kick((5 * DAY + 3 * HOUR) as f64, 202), // day 5 03:00: within an hour of it
    ];
    let (a, hits) = run(Config::default(), reqs);
    let x = of(&hits, "api-bulk-export");
    assert_eq!(x.len(), 3, "{hits:#?}");
    assert_eq!(x[0].metrics["new_client"], 1.0);
    assert_eq!(x[0].metrics["off_hours"], 0.0);
    assert_eq!(x[0].level, Level::High);
    assert_eq!(x[0].group["path"], "/fhir/Patient/$export");
    assert_eq!(x[1].metrics["new_client"], 0.0);
    assert_eq!(x[1].metrics["off_hours"], 1.0);
    assert_eq!(x[1].metrics["earlier_exports"], 2.0);
    assert_eq!(x[2].metrics["days_exported_at_hour"], 1.0);
    assert!(x[1].title.contains("off-hours 02:01 UTC"), "{}", x[1].title);
    assert_eq!(a.counters().exports, 6);
}

#[test]
fn a_vendor_account_works_its_vendors_hours() {
    let ctx = Context {
        vendors: vec![Vendor {
            name: "Acme Billing".into(),
            accounts: vec!["acme_sync".into()],
            hours: Some((8, 18)),
            ..Vendor::default()
        }],
        ..Context::default()
    };
    let kick = |at: i64| Req {
        path: Some("/fhir/Group/7/$export".to_string()),
        patients: Vec::new(),
        ..Req::read(at as f64, "acme-sync", "10.0.2.10", String::new()).app()
    };
    // 10:00 (new client), then 19:00 the next day: inside the hospital's
    // working hours, outside the vendor's.
    let (_, hits) = run_with(
        Config::default(),
        &ctx,
        vec![kick(10 * HOUR), kick(DAY + 19 * HOUR)],
    );
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(hits[1].metrics["off_hours"], 1.0);
    assert_eq!(hits[1].metrics["work_hours_end"], 18.0);
    assert_eq!(hits[1].group["vendor"], "Acme Billing");
}

/// A day nurse: 08:00–16:59 on `days`.
fn day_shift(user: &'static str, days: std::ops::Range<i64>) -> Vec<Req> {
    let mut out = Vec::new();
    for d in days {
        for h in 8..17 {
            for k in 0..4 {
                let at = (d * DAY + h * HOUR + k * 600) as f64 + 5.0;
                out.push(Req::read(at, user, "10.1.0.40", pt(5_000 + (k + h) as u64)));
            }
        }
    }
    out
}

#[test]
fn off_hours_access_by_a_day_worker() {
    let mut reqs = day_shift("nurse.day", 0..6);
    // Day 6, 02:10 and 02:40: one hit for the night.
    reqs.push(Req::read(
        (6 * DAY + 2 * HOUR + 600) as f64,
        "nurse.day",
        "10.1.0.40",
        pt(5_001),
    ));
    reqs.push(Req::read(
        (6 * DAY + 2 * HOUR + 2_400) as f64,
        "nurse.day",
        "10.1.0.40",
        pt(5_002),
    ));
    // A night worker at the same hour is not off-hours for them.
    for d in 0..7 {
        for h in [1, 2, 3] {
            reqs.push(Req::read(
                (d * DAY + h * HOUR + 100) as f64,
                "nurse.night",
                "10.1.0.41",
                pt(7),
            ));
        }
    }
    let (_, hits) = run(Config::default(), reqs);
    let o = of(&hits, "off-hours-access");
    assert_eq!(o.len(), 1, "{hits:#?}");
    assert_eq!(o[0].level, Level::Medium);
    assert_eq!(o[0].entity.user.as_deref(), Some("nurse.day"));
    assert_eq!(o[0].metrics["hour_of_day"], 2.0);
    assert_eq!(o[0].metrics["days_active_near_hour"], 0.0);
    assert_eq!(o[0].metrics["active_days"], 6.0);
    assert!(o[0].tags.contains(&"attack.t1078".to_string()));
}

#[test]
fn off_hours_needs_an_established_user() {
    let mut reqs = day_shift("nurse.day", 0..3);
    reqs.push(Req::read(
        (3 * DAY + 2 * HOUR) as f64,
        "nurse.day",
        "10.1.0.40",
        pt(5_001),
    ));
    let (_, hits) = run(Config::default(), reqs);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn weekends_are_off_hours_only_when_asked_and_known() {
    // 15 weekdays from Monday, then Saturday 10:00 (day 19).
    let days: Vec<i64> = (0..19).filter(|d| d % 7 < 5).collect();
    let mut reqs = Vec::new();
    for d in &days {
        reqs.extend(day_shift("nurse.week", *d..*d + 1));
    }
    reqs.push(Req::read(
        (19 * DAY + 10 * HOUR) as f64,
        "nurse.week",
        "10.1.0.40",
        pt(5_001),
    ));
    let (_, hits) = run(Config::default(), reqs.clone());
    assert!(of(&hits, "off-hours-access").is_empty(), "{hits:#?}");
    let c = Config {
        weekends_off: true,
        ..Config::default()
    };
    let (_, hits) = run(c, reqs);
    let o = of(&hits, "off-hours-access");
    assert_eq!(o.len(), 1, "{hits:#?}");
    assert_eq!(o[0].metrics["weekend"], 1.0);
    assert_eq!(o[0].metrics["weekend_hours"], 0.0);
}

#[test]
fn audit_and_access_log_count_each_request_once() {
    let mut reqs = scraper(60.0, 400, 1.0, "bulk-sync");
    // The web server's clock is 4 s behind; it logs every request too.
    let logged: Vec<Req> = reqs.iter().map(|r| r.as_access_log(-4.0)).collect();
    reqs.extend(logged);
    let (a, hits) = run(Config::default(), reqs);
    let c = a.counters();
    assert_eq!(c.audit_records, 400);
    assert_eq!(c.access_records, 400);
    assert_eq!(c.duplicates, 400);
    assert_eq!(c.requests, 400);
    assert_eq!(a.entities(), 1, "no agent keyed by address");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["patients"], 300.0);
}

#[test]
fn the_access_log_alone_is_counted_by_address() {
    let reqs: Vec<Req> = scraper(60.0, 400, 1.0, "bulk-sync")
        .iter()
        .map(|r| r.as_access_log(0.0))
        .collect();
    let (a, hits) = run(Config::default(), reqs);
    assert_eq!(a.counters().requests, 400);
    assert_eq!(a.counters().duplicates, 0);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].entity.user, None);
    assert_eq!(hits[0].entity.ip.as_deref(), Some("10.0.2.10"));
    assert_eq!(hits[0].group["agent_kind"], "address");
}

#[test]
fn the_preferred_source_is_configurable() {
    let mut reqs = scraper(60.0, 400, 1.0, "bulk-sync");
    let logged: Vec<Req> = reqs.iter().map(|r| r.as_access_log(0.0)).collect();
    reqs.extend(logged);
    // Prefer the access log: the audit records become the duplicates.
    let c = Config {
        audit_datasets: vec!["web.access".into()],
        access_datasets: vec!["fhir.audit".into()],
        ..Config::default()
    };
    let (a, hits) = run(c, reqs.clone());
    assert_eq!(a.counters().duplicates, 400);
    assert_eq!(hits[0].group["agent_kind"], "address");
    // Audit records only.
    let c = Config {
        access_datasets: Vec::new(),
        ..Config::default()
    };
    let (a, _) = run(c, reqs);
    assert_eq!(a.counters().access_records, 0);
    assert_eq!(a.counters().requests, 400);
}

#[test]
fn late_and_out_of_order_records_never_break_anything() {
    let mut a = ApiAccess::new(Config::default(), &Context::default());
    let mut hits = Vec::new();
    let reqs = ward(0..10, 8);
    let mut sorted = reqs.clone();
    sorted.sort_by(|a, b| a.at.total_cmp(&b.at));
    for (i, r) in sorted.iter().enumerate() {
        a.observe(&r.event(i as u64), &mut hits);
    }
    // Two hours late: the hour is closed, the record is dropped and counted.
    a.observe(
        &Req::read((7 * HOUR) as f64, "nurse.a", ip_of(0), pt(1)).event(9_999),
        &mut hits,
    );
    // A record of the next hour, then one of the hour before it (within the
    // grace period): counted normally.
    a.observe(
        &Req::read((10 * HOUR + 60) as f64, "nurse.a", ip_of(0), pt(1)).event(9_998),
        &mut hits,
    );
    a.observe(
        &Req::read((10 * HOUR) as f64 - 1.0, "nurse.b", ip_of(1), pt(60)).event(9_997),
        &mut hits,
    );
    // Nonsense times far away do not panic.
    a.observe(
        &Req::read(-1e9, "nurse.a", ip_of(0), pt(1)).event(1),
        &mut hits,
    );
    a.observe(
        &Req::read(1e9, "nurse.a", ip_of(0), pt(1)).event(2),
        &mut hits,
    );
    a.observe(
        &Req::read(10.0, "nurse.a", ip_of(0), pt(1)).event(3),
        &mut hits,
    );
    a.finish(&mut hits);
    let c = a.counters();
    assert_eq!(c.out_of_order, 4, "{c:?}");
    assert_eq!(c.late, 3, "{c:?}");
    assert_eq!(c.requests + c.late, c.audit_records);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn clock_skew_between_sources_within_the_grace_period_counts() {
    // Source A (audit) runs 2 minutes ahead of source B (another audit
    // feed of the same API): B's records of hour 5 arrive after A's of
    // hour 6 began, and still count in hour 5.
    let mut reqs: Vec<Req> = Vec::new();
    for k in 0..30 {
        reqs.push(Req::read(
            (5 * HOUR + 3_590 + k) as f64 + 120.0,
            "nurse.a",
            ip_of(0),
            pt(k as u64),
        ));
        reqs.push(Req::read(
            (5 * HOUR + 3_590 + k) as f64,
            "nurse.b",
            ip_of(1),
            pt(k as u64),
        ));
    }
    let (a, _) = run(Config::default(), reqs);
    assert_eq!(a.counters().late, 0);
    assert_eq!(a.counters().requests, 60);
}

#[test]
fn allowlists_silence_agents_and_export_clients() {
    let mut reqs = ward(0..30, 9);
    reqs.extend(scraper((28 * HOUR) as f64, 400, 1.0, "bulk-sync"));
    let c = Config {
        allow_agents: vec!["bulk-*".into()],
        ..Config::default()
    };
    let (a, hits) = run(c, reqs);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().allowed, 1);

    let kick = Req {
        path: Some("/fhir/$export".to_string()),
        patients: Vec::new(),
        ..Req::read(100.0, "pop-health", "10.0.3.5", String::new()).app()
    };
    let mut c = Config::default();
    c.export.allow_clients = vec!["10.0.3.5".into()];
    let (a, hits) = run(c, vec![kick]);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().allowed, 1);
}

#[test]
fn one_ongoing_enumeration_reports_once() {
    let mut reqs = ward(0..40, 10);
    // 400 patients in each of hours 28, 29, 30, then again at hour 36.
    for h in [28, 29, 30, 36] {
        reqs.extend((0..400u64).map(|i| {
            Req::read(
                (h * HOUR) as f64 + i as f64 * 5.0,
                "bulk-sync",
                "10.0.2.10",
                pt(h as u64 * 1000 + i),
            )
            .app()
        }));
    }
    let (a, hits) = run(Config::default(), reqs);
    let e = of(&hits, "api-enumeration");
    assert_eq!(e.len(), 2, "{hits:#?}");
    assert_eq!(e[0].metrics["suppressed"], 0.0);
    assert_eq!(e[1].metrics["suppressed"], 2.0);
    assert_eq!(e[1].metrics["suppress_s"], 21_600.0);
    assert_eq!(a.counters().suppressed, 2);
}

#[test]
fn flagged_hours_are_learned_as_configured() {
    // The same new client scrapes 400 patients every hour for two days.
    let reqs: Vec<Req> = {
        let mut v = ward(0..60, 11);
        for h in 12..60 {
            v.extend((0..400u64).map(|i| {
                Req::read(
                    (h * HOUR) as f64 + i as f64 * 5.0,
                    "bulk-sync",
                    "10.0.2.10",
                    pt(i),
                )
                .app()
            }));
        }
        v
    };
    let signals = |mode: Flagged| {
        let c = Config {
            learn_flagged: mode,
            suppress_secs: 1,
            ..Config::default()
        };
        let (a, _) = run(c, reqs.clone());
        a.counters().signals
    };
    // Judged against the peers (who never learn flagged hours) until it
    // has 24 hours of its own; clipped at 300, that history then says 300
    // is normal and 400 is not far above it: it stops signalling.
    assert_eq!(signals(Flagged::Clip), 24);
    // Skipped, it never becomes normal.
    assert_eq!(signals(Flagged::Skip), 48);
    // Learned as is, the same here.
    assert_eq!(signals(Flagged::Learn), 24);
}

#[test]
fn service_accounts_are_judged_by_their_own_history_only() {
    let mut reqs = ward(0..30, 12);
    // The EHR back end reads for everyone: 500 patients an hour.
    for h in 0..30 {
        reqs.extend((0..500u64).map(|i| {
            Req::read(
                (h * HOUR) as f64 + i as f64 * 7.0,
                "svc_ehr",
                "10.0.1.20",
                pt(h as u64 * 500 + i),
            )
        }));
    }
    let c = Config {
        service_accounts: vec!["svc_*".into()],
        ..Config::default()
    };
    let (_, hits) = run(c, reqs.clone());
    assert!(hits.is_empty(), "{hits:#?}");
    // Without the setting it is a person who reads far too much.
    let (_, hits) = run(Config::default(), reqs);
    assert!(!hits.is_empty());
}

#[test]
fn save_and_restore_give_the_same_hits() {
    let mut reqs = ward(0..50, 13);
    reqs.extend(snooper(40, "nurse.e", ip_of(4)));
    reqs.extend(scraper((44 * HOUR) as f64, 1_200, 1.0, "bulk-sync"));
    // Access-log copies of some requests, so some wait at the cut.
    let logged: Vec<Req> = reqs
        .iter()
        .step_by(7)
        .map(|r| r.as_access_log(-3.0))
        .collect();
    reqs.extend(logged);
    reqs.sort_by(|a, b| a.at.total_cmp(&b.at));
    let events: Vec<Event> = reqs
        .iter()
        .enumerate()
        .map(|(i, r)| r.event(i as u64))
        .collect();

    let mut whole = ApiAccess::new(Config::default(), &Context::default());
    let mut expected = Vec::new();
    for ev in &events {
        whole.observe(ev, &mut expected);
    }
    whole.finish(&mut expected);
    assert!(expected.len() >= 3, "{expected:#?}");

    // Cut in the middle of the snooping hour.
    let cut = events
        .iter()
        .position(|e| e.time().as_secs() >= MONDAY + 41 * HOUR + 600)
        .unwrap();
    let mut first = ApiAccess::new(Config::default(), &Context::default());
    let mut got = Vec::new();
    for ev in &events[..cut] {
        first.observe(ev, &mut got);
    }
    let saved = first.save();
    let text = serde_json::to_string(&saved).unwrap();
    let mut second = ApiAccess::new(Config::default(), &Context::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(second.entities(), first.entities());
    for ev in &events[cut..] {
        second.observe(ev, &mut got);
    }
    second.finish(&mut got);
    assert_eq!(got, expected);
    assert_eq!(second.counters(), whole.counters());

    // Not our state.
    assert!(second.restore(&serde_json::json!({"version": 99})).is_err());
    assert!(second.restore(&serde_json::json!([1, 2])).is_err());
}

#[test]
fn capacity_bounds_the_agents_and_counts_evictions() {
    let c = Config {
        capacity: 5,
        ..Config::default()
    };
    let (a, _) = run(c, ward(0..5, 14));
    assert!(a.entities() <= 5);
    assert!(a.counters().evicted >= 7, "{:?}", a.counters());
    let (big, _) = run(Config::default(), ward(0..5, 14));
    assert_eq!(big.entities(), NURSES.len());
    assert!(a.memory_bytes() < big.memory_bytes());
    // Memory per agent stays modest.
    let per = big.memory_bytes() / big.entities();
    assert!(per < 20_000, "{per}");
}

#[test]
fn the_config_reads_from_toml_with_defaults() {
    let c: Config = toml::from_str(
        r#"
        work_hours = [7, 19]
        learn_flagged = "skip"
        [enumeration]
        min_patients = 50
        [snooping]
        search_params = ["family"]
        "#,
    )
    .unwrap();
    assert_eq!(c.work_hours, (7, 19));
    assert_eq!(c.learn_flagged, Flagged::Skip);
    assert_eq!(c.enumeration.min_patients, 50);
    assert_eq!(c.enumeration.new_agent_patients, 300);
    assert_eq!(c.snooping.search_params, ["family"]);
    assert!(toml::from_str::<Config>("nope = 1").is_err());
    assert!(toml::from_str::<Config>("[snooping]\nnope = 1").is_err());
}
