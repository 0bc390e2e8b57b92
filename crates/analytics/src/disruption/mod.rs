//! Service disruption: an internal service that stops answering (ATT&CK
//! impact: T1499 endpoint denial of service, T1489 service stop). Reported
//! once per outage, with its start, its end (when it recovers, or at the
//! end of the input), the requests that failed and the clients affected.
//!
//! # What is counted
//!
//! Every event that shows a request to a service, keyed by (server,
//! service):
//!
//! - web access logs (any event with `http.response.status_code`): the
//!   server is `destination.ip`/`server.ip`, else `url.domain`,
//!   `server.address`, `host.name`, `observer.hostname`, else `-`; the
//!   service is the path's first segment (`http /fhir`). A request fails
//!   when its status is in [`Config::http_failures`] (500, 502, 503, 504:
//!   the server's fault, not the client's). Requests to addresses outside
//!   the organization (Zeek `http.log`) are ignored;
//! - FHIR AuditEvents: the server is `observer.hostname` (else
//!   `observer.name`), the service `fhir`; a request fails when its outcome
//!   code is in [`Config::fhir_failure_outcomes`] (8 serious, 12 major;
//!   4 is a client error);
//! - Zeek `conn` records of TCP connections to an internal address
//!   (the [`Context`]'s networks): the service is `tcp/<port>`; a
//!   connection fails when its `conn_state` is in
//!   [`Config::conn_failure_states`] (`REJ` refused, `S0` unanswered).
//!
//! The client is `source.ip`/`client.ip`, else the user name.
//!
//! # Decision
//!
//! Requests are counted per service in buckets of [`Config::bucket_secs`]
//! (five minutes) of event time. A bucket closes when the newest event
//! seen is [`Config::grace_secs`] past its end (later events of it are
//! counted as late and dropped), when the service's own requests are that
//! far past it (so one record stamped years ahead, which closes every open
//! bucket early, holds up no service for long), or at
//! [`Analytic::finish`]. A closed bucket of `n` requests, `f` failed
//! (share `s = f/n`), from `k` distinct failing clients opens an outage
//! when all of these hold:
//!
//! - floors: `n ≥ min_requests`, `f ≥ min_failures`, `s ≥ min_share`,
//!   `k ≥ min_clients` (one client failing is that client's problem);
//! - the service normally answers: its history holds at least
//!   [`Config::min_samples`] normal buckets (of at least
//!   `learn_min_requests` requests). A service with a shorter history is
//!   never reported: a port scan's refused connections are not an outage;
//! - far above normal: robust z of `s` against the history's shares
//!   (median, MAD, spread at least [`Config::z_floor_share`]) at least
//!   [`Config::min_z`], `s ≥` the history's [`Config::quantile`] share `+`
//!   [`Config::share_margin`], and `f ≥` that quantile of past failure
//!   counts `×` [`Config::count_factor`].
//!
//! While an outage lasts, a bucket whose share is at least
//! [`Config::recover_share`] extends it; it ends after
//! [`Config::recover_buckets`] healthy buckets in a row, or after
//! [`Config::max_gap_secs`] without any request to the service. Buckets of
//! an outage are not learned, so a long outage does not become normal.
//!
//! An outage is reported when it ends, with its true start and end (a hunt
//! over past logs); with [`Config::report_after_secs`] set, one still going
//! on is reported once it has lasted that long instead (watching live
//! logs), and not again.
//!
//! An ended outage that failed in at least [`Config::min_buckets`] buckets
//! is reported (shorter ones, restarts, are counted as blips): level high,
//! critical when it lasted [`Config::critical_secs`] or more or hit at least
//! [`Config::critical_clients`] clients. One that starts within
//! [`Config::suppress_secs`] of the end of the service's last reported one
//! is counted (`suppressed`, `suppressed_failed` in the next hit) unless it
//! is critical. Every threshold is repeated in the hit's metrics.
//!
//! The three sources see the same outage from different places (the web
//! server, the application's audit trail, the network), each under its own
//! (server, service) and each reported once. Events of phiwatch's own
//! datasets that show no request (DNS, TLS, database, identity logs) are
//! not looked at ([`Analytic::wants`]): requests are its only clock.
//!
//! ```
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::disruption::{Config, Disruption};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let req = |secs: i64, client: u8, status: i64| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + secs).unwrap());
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip([10, 1, 0, client].into()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip([10, 0, 1, 20].into()));
//!     ev.push_norm_str(keys::URL_PATH, "/fhir/Patient");
//!     ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(status));
//!     ev
//! };
//! let mut a = Disruption::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! // Six hours of healthy traffic, then thirty minutes of 503s, then health.
//! for s in (0..6 * 3600).step_by(10) {
//!     a.observe(&req(s, (s % 7) as u8, 200), &mut hits);
//! }
//! for s in (6 * 3600..6 * 3600 + 1800).step_by(10) {
//!     a.observe(&req(s, (s % 7) as u8, 503), &mut hits);
//! }
//! for s in (6 * 3600 + 1800..8 * 3600).step_by(10) {
//!     a.observe(&req(s, (s % 7) as u8, 200), &mut hits);
//! }
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].group["service"], "http /fhir");
//! assert_eq!(hits[0].metrics["failed"], 180.0);
//! ```

mod classify;
mod service;

use std::collections::BTreeMap;

use phiwatch_event::{Event, Timestamp};
use phiwatch_finding::{Entity, Level};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::net::{in_any, Cidr};
use crate::seen::{secs_ns, Ev};
use crate::state::{alloc_size, Bounded};
use crate::{Analytic, AnalyticHit, StateError};
use classify::{client_of, observe, Kind, Raw, NO_SERVER};
use service::{Outage, Service};

const NAME: &str = "service-disruption";
const VERSION: u64 = 1;
const NANOS: i64 = 1_000_000_000;
const TAGS: [&str; 3] = ["attack.impact", "attack.t1499", "attack.t1489"];

/// Thresholds and sizes of [`Disruption`]; every field has a default, and
/// every threshold is repeated in the hit's metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Bucket length in seconds (default 300).
    pub bucket_secs: u64,
    /// Requests a bucket must hold to open an outage (default 10).
    pub min_requests: u64,
    /// Failed requests a bucket must hold to open an outage (default 10).
    pub min_failures: u64,
    /// Failed share of a bucket's requests to open an outage (default 0.5).
    pub min_share: f64,
    /// Distinct failing clients in a bucket to open an outage (default 3).
    pub min_clients: usize,
    /// Normal buckets in a service's history before it can be reported
    /// (default 36: three hours of traffic).
    pub min_samples: usize,
    /// Robust z of the failed share against the history (default 5).
    pub min_z: f64,
    /// Smallest spread of shares used by the robust z (default 0.05).
    pub z_floor_share: f64,
    /// Quantile of the history's shares and failure counts compared with
    /// (default 0.99).
    pub quantile: f64,
    /// The failed share must exceed the history's quantile by this much
    /// (default 0.3).
    pub share_margin: f64,
    /// Failures must be at least this times the history's quantile of
    /// failures per bucket (default 3).
    pub count_factor: f64,
    /// Requests a normal bucket needs to join the history (default 5).
    pub learn_min_requests: u64,
    /// Failing buckets an outage needs to be reported (default 2).
    pub min_buckets: u32,
    /// During an outage, a bucket whose failed share is at least this is
    /// still failing (default 0.2).
    pub recover_share: f64,
    /// Healthy buckets in a row that end an outage (default 2).
    pub recover_buckets: u32,
    /// Seconds without any request that end an outage (default 1800).
    pub max_gap_secs: u64,
    /// An outage this long (seconds) or longer is critical (default 3600).
    pub critical_secs: u64,
    /// An outage that failed this many distinct clients is critical
    /// (default 100).
    pub critical_clients: usize,
    /// Report an outage still going on once it has lasted this many
    /// seconds (its end is then the last failure so far, `ongoing` is 1,
    /// and it is not reported again when it ends); 0 reports every outage
    /// when it ends, with its true end (default 0).
    pub report_after_secs: u64,
    /// Seconds after a reported outage's end during which a new one of the
    /// same service is counted, not reported, unless critical (default
    /// 3600).
    pub suppress_secs: u64,
    /// HTTP statuses that are failures of the service (default 500, 502,
    /// 503, 504).
    pub http_failures: Vec<u16>,
    /// FHIR AuditEvent outcome codes that are failures (default 8, 12).
    pub fhir_failure_outcomes: Vec<i64>,
    /// Zeek `conn_state` values that are failures (default `REJ`, `S0`).
    pub conn_failure_states: Vec<String>,
    /// Servers never reported, exactly as shown (`10.0.1.99`, `ehr-test`;
    /// default none).
    pub allow_servers: Vec<String>,
    /// Server addresses never reported (default none).
    pub allow_networks: Vec<Cidr>,
    /// Services never reported, on any server (`tcp/3389`, `http /metrics`;
    /// default none).
    pub allow_services: Vec<String>,
    /// Normal buckets kept per service (default 576: two days of traffic).
    pub history: usize,
    /// Distinct failing clients kept per bucket and outage (default 1000).
    pub max_clients: usize,
    /// Seconds past a bucket's end before it closes, for events that
    /// arrive late or from a source whose clock is behind (default 120).
    pub grace_secs: u64,
    /// Services tracked; the least recently seen are evicted (default
    /// 10 000).
    pub capacity: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bucket_secs: 300,
            min_requests: 10,
            min_failures: 10,
            min_share: 0.5,
            min_clients: 3,
            min_samples: 36,
            min_z: 5.0,
            z_floor_share: 0.05,
            quantile: 0.99,
            share_margin: 0.3,
            count_factor: 3.0,
            learn_min_requests: 5,
            min_buckets: 2,
            recover_share: 0.2,
            recover_buckets: 2,
            max_gap_secs: 1800,
            critical_secs: 3600,
            critical_clients: 100,
            report_after_secs: 0,
            suppress_secs: 3600,
            http_failures: vec![500, 502, 503, 504],
            fhir_failure_outcomes: vec![8, 12],
            conn_failure_states: vec!["REJ".to_string(), "S0".to_string()],
            allow_servers: Vec::new(),
            allow_networks: Vec::new(),
            allow_services: Vec::new(),
            history: 576,
            max_clients: 1000,
            grace_secs: 120,
            capacity: 10_000,
        }
    }
}

/// What the analytic saw and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Requests counted (events about a service).
    pub requests: u64,
    /// Of those, failed.
    pub failures: u64,
    /// Requests to allowlisted servers or services (not counted).
    pub allowlisted: u64,
    /// Requests of a bucket already closed (out of order beyond the grace,
    /// clock skew): dropped.
    pub late: u64,
    /// Buckets closed and judged.
    pub buckets_closed: u64,
    /// Outages opened.
    pub outages: u64,
    /// Outages that ended before `min_buckets` failing buckets.
    pub blips: u64,
    /// Outages not reported (within the suppression window).
    pub suppressed: u64,
    /// Hits reported.
    pub hits: u64,
    /// Services evicted to stay within the capacity.
    pub evicted: u64,
}

/// A (server, service) pair.
type Key = (Box<str>, Box<str>);

/// The service disruption analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct Disruption {
    config: Config,
    internal: Vec<Cidr>,
    raw: Raw,
    services: Bounded<Key, Service>,
    /// Buffers for the server and service of an event.
    server: String,
    service: String,
    /// Newest event time seen (nanoseconds).
    latest: Option<i64>,
    /// Buckets below this index are closed.
    closed_below: Option<i64>,
    counters: Counters,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    latest: Option<i64>,
    closed_below: Option<i64>,
    counters: Counters,
    services: Vec<(String, String, Service)>,
}

impl Disruption {
    /// An analytic with `config`, watching the servers inside `ctx`'s
    /// internal networks.
    pub fn new(config: Config, ctx: &Context) -> Disruption {
        Disruption {
            internal: ctx.internal.clone(),
            raw: Raw::new(),
            services: Bounded::new(config.capacity),
            server: String::new(),
            service: String::new(),
            latest: None,
            closed_below: None,
            counters: Counters::default(),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it saw and did.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted: self.services.evicted,
            ..self.counters
        }
    }

    fn bucket_ns(&self) -> i64 {
        secs_ns(self.config.bucket_secs.max(1))
    }

    fn allowed(&self, server: &str, service: &str) -> bool {
        let c = &self.config;
        c.allow_servers.iter().any(|s| s == server)
            || c.allow_services.iter().any(|s| s == service)
            || (!c.allow_networks.is_empty()
                && server.parse().is_ok_and(|ip| in_any(&c.allow_networks, ip)))
    }

    /// Closes every bucket below `below`, ends outages silent for
    /// `max_gap_secs` at time `now`, and reports what ended.
    fn sweep(&mut self, below: i64, now: i64, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let gap = secs_ns(c.max_gap_secs);
        let mut ended: Vec<Ended> = Vec::new();
        let mut counters = self.counters;
        for (key, s) in self.services.iter_mut() {
            close_due(key, s, below, c, &mut counters, &mut ended);
            let silent = s.open.is_empty() && now.saturating_sub(s.last_seen) >= gap;
            if silent {
                if let Some(o) = s.outage.take() {
                    ended.extend(report(key, s, *o, c, &mut counters, false));
                }
            }
        }
        self.counters = counters;
        self.emit(ended, out);
    }

    fn emit(&mut self, mut ended: Vec<Ended>, out: &mut Vec<AnalyticHit>) {
        ended.sort_by(|a, b| (a.1.start_ns, &a.0).cmp(&(b.1.start_ns, &b.0)));
        for (key, o, sup, sup_failed, ongoing) in ended {
            self.counters.hits += 1;
            out.push(make_hit(&self.config, &key, &o, (sup, sup_failed), ongoing));
        }
    }
}

/// Closes the buckets of `s` below `below`, oldest first; what ended goes
/// to `ended`.
fn close_due(
    key: &Key,
    s: &mut Service,
    below: i64,
    c: &Config,
    counters: &mut Counters,
    ended: &mut Vec<Ended>,
) {
    while let Some(b) = s.pop_before(below) {
        counters.buckets_closed += 1;
        if let Some(o) = s.close(b, c, &mut counters.outages) {
            ended.extend(report(key, s, o, c, counters, false));
        }
        let early = secs_ns(c.report_after_secs);
        if c.report_after_secs == 0 {
            continue;
        }
        let Some(o) = s.outage.as_mut() else {
            continue;
        };
        if !o.reported
            && o.bad_buckets >= c.min_buckets
            && o.end_ns.saturating_sub(o.start_ns) >= early
        {
            let so_far = (**o).clone();
            o.reported = true;
            ended.extend(report(key, s, so_far, c, counters, true));
        }
    }
}

/// Whether an ended outage is critical.
fn critical(o: &Outage, c: &Config) -> bool {
    o.end_ns.saturating_sub(o.start_ns) >= secs_ns(c.critical_secs)
        || o.clients.len() >= c.critical_clients
}

/// An ended outage to report: the service, the outage, the outages
/// suppressed before it (and their failures), and whether it is still going
/// on at the end of the input.
type Ended = (Key, Outage, u64, u64, bool);

/// Whether an ended outage is reported: not when it failed in fewer than
/// `min_buckets` buckets (a blip), nor when it starts within the
/// suppression window of the service's last reported outage and is not
/// critical (counted in the next hit instead).
fn report(
    key: &Key,
    s: &mut Service,
    o: Outage,
    c: &Config,
    counters: &mut Counters,
    ongoing: bool,
) -> Option<Ended> {
    if o.reported {
        // Reported while it went on (`report_after_secs`): once is enough.
        return None;
    }
    if o.bad_buckets < c.min_buckets {
        counters.blips += 1;
        return None;
    }
    let in_window = s
        .last_hit_end
        .is_some_and(|h| o.start_ns.saturating_sub(h) < secs_ns(c.suppress_secs));
    if in_window && !critical(&o, c) {
        counters.suppressed += 1;
        s.suppressed += 1;
        s.suppressed_failed = s.suppressed_failed.saturating_add(o.failed);
        return None;
    }
    let sup = std::mem::take(&mut s.suppressed);
    let sup_failed = std::mem::take(&mut s.suppressed_failed);
    s.last_hit_end = Some(s.last_hit_end.map_or(o.end_ns, |h| h.max(o.end_ns)));
    Some((key.clone(), o, sup, sup_failed, ongoing))
}

/// A duration for people (`45 min`, `5h 59m`).
fn human_secs(ns: i64) -> String {
    let m = ns.max(0) / (60 * NANOS);
    if m >= 60 {
        format!("{}h {:02}m", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

/// The numbers behind an outage's hit, and every threshold.
fn metrics(c: &Config, o: &Outage, suppressed: (u64, u64), ongoing: bool) -> BTreeMap<String, f64> {
    let duration = o.end_ns.saturating_sub(o.start_ns);
    let share = o.failed as f64 / (o.total.max(1)) as f64;
    let flag = |b: bool| f64::from(u8::from(b));
    let mut m: BTreeMap<String, f64> = [
        (
            "start_secs",
            Timestamp::from_nanos(o.start_ns).as_secs() as f64,
        ),
        ("end_secs", Timestamp::from_nanos(o.end_ns).as_secs() as f64),
        ("duration_s", duration as f64 / NANOS as f64),
        ("failing_buckets", f64::from(o.bad_buckets)),
        ("failed", o.failed as f64),
        ("total", o.total as f64),
        ("failed_share", share),
        ("peak_share", o.peak_share),
        ("clients", o.clients.len() as f64),
        ("clients_capped", flag(o.clients_capped)),
        ("ongoing", flag(ongoing)),
        ("suppressed", suppressed.0 as f64),
        ("suppressed_failed", suppressed.1 as f64),
        ("bucket_s", c.bucket_secs as f64),
        ("min_requests", c.min_requests as f64),
        ("min_failures", c.min_failures as f64),
        ("min_share", c.min_share),
        ("min_clients", c.min_clients as f64),
        ("min_samples", c.min_samples as f64),
        ("min_z", c.min_z),
        ("z_floor_share", c.z_floor_share),
        ("quantile", c.quantile),
        ("share_margin", c.share_margin),
        ("count_factor", c.count_factor),
        ("min_buckets", f64::from(c.min_buckets)),
        ("recover_share", c.recover_share),
        ("recover_buckets", f64::from(c.recover_buckets)),
        ("max_gap_s", c.max_gap_secs as f64),
        ("critical_s", c.critical_secs as f64),
        ("critical_clients", c.critical_clients as f64),
        ("suppress_s", c.suppress_secs as f64),
        ("report_after_s", c.report_after_secs as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in o.trigger.metrics() {
        m.insert(k.to_string(), v);
    }
    m
}

fn make_hit(
    c: &Config,
    key: &Key,
    o: &Outage,
    suppressed: (u64, u64),
    ongoing: bool,
) -> AnalyticHit {
    let (server, service) = (&*key.0, &*key.1);
    let kind = Kind::of_service(service);
    let duration = o.end_ns.saturating_sub(o.start_ns);
    let level = if critical(o, c) {
        Level::Critical
    } else {
        Level::High
    };
    let m = metrics(c, o, suppressed, ongoing);
    let what = match kind {
        Kind::Conn => format!("{server} {service}"),
        Kind::Fhir if server == NO_SERVER => "the FHIR API".to_string(),
        Kind::Fhir => format!("the FHIR API on {server}"),
        Kind::Http => {
            let path = service.strip_prefix("http ").unwrap_or(service);
            if server == NO_SERVER {
                format!("web service {path}")
            } else {
                format!("web service {path} on {server}")
            }
        }
    };
    let until = if ongoing {
        format!(
            "still failing at {}",
            Timestamp::from_nanos(o.end_ns).to_rfc3339()
        )
    } else {
        format!("until {}", Timestamp::from_nanos(o.end_ns).to_rfc3339())
    };
    let title = format!(
        "Service disruption: {what} failing from {} {until} ({}; {} of {} requests failed, {} clients)",
        Timestamp::from_nanos(o.start_ns).to_rfc3339(),
        human_secs(duration),
        o.failed,
        o.total,
        o.clients.len()
    );
    let entity = if server == NO_SERVER {
        Entity::default()
    } else if server.parse::<std::net::IpAddr>().is_ok() {
        Entity {
            ip: Some(server.to_string()),
            ..Entity::default()
        }
    } else {
        Entity {
            host: Some(server.to_string()),
            ..Entity::default()
        }
    };
    AnalyticHit {
        analytic: NAME,
        title,
        level,
        time: Timestamp::from_nanos(o.start_ns),
        end_time: Timestamp::from_nanos(o.end_ns),
        entity,
        tags: TAGS.iter().map(|s| s.to_string()).collect(),
        metrics: m,
        group: BTreeMap::from([
            ("server".to_string(), server.to_string()),
            ("service".to_string(), service.to_string()),
            ("source".to_string(), kind.label().to_string()),
        ]),
        evidence: o.evidence().into_iter().map(Ev::to_pair).collect(),
    }
}

/// phiwatch's datasets whose events may show a service answering: HTTP
/// statuses, FHIR AuditEvents, Zeek connection states.
const SERVICE_DATASETS: &[&str] = &[
    "web.access",
    "fhir.audit",
    "zeek.conn",
    "zeek.http",
    "suricata.http",
];

impl Analytic for Disruption {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Only requests move its clock: datasets of phiwatch's without them
    /// are passed over.
    fn wants(&self, dataset: &str) -> bool {
        crate::seen::wants_dataset(dataset, SERVICE_DATASETS)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let found = observe(
            ev,
            &self.config,
            &self.internal,
            &self.raw,
            &mut self.server,
            &mut self.service,
        );
        let Some(failed) = found else {
            return;
        };
        if self.allowed(&self.server, &self.service) {
            self.counters.allowlisted += 1;
            return;
        }
        let t = ev.time().as_nanos();
        let bucket_ns = self.bucket_ns();
        let latest = self.latest.map_or(t, |l| l.max(t));
        self.latest = Some(latest);
        let below = latest
            .saturating_sub(secs_ns(self.config.grace_secs))
            .div_euclid(bucket_ns);
        if self.closed_below.is_none_or(|b| below > b) {
            self.closed_below = Some(below);
            self.sweep(below, latest, out);
        }
        let idx = t.div_euclid(bucket_ns);
        let (server, service) = (self.server.as_str(), self.service.as_str());
        let q = (server, service);
        let is_key = |k: &Key| &*k.0 == server && &*k.1 == service;
        let c = &self.config;
        let (k, s) = self.services.entry_with_key(
            &q,
            is_key,
            || (server.into(), service.into()),
            || Service::new(c, t),
        );
        if s.closed_through.is_some_and(|x| idx <= x) {
            self.counters.late += 1;
            return;
        }
        // The service's own clock closes its old buckets too, so that one
        // record stamped far ahead (which stops the sweeps) holds up nobody.
        let own_below = t
            .saturating_sub(secs_ns(c.grace_secs))
            .div_euclid(bucket_ns);
        let mut ended = Vec::new();
        if s.first_open().is_some_and(|k| k < own_below) {
            close_due(k, s, own_below, c, &mut self.counters, &mut ended);
        }
        s.last_seen = s.last_seen.max(t);
        self.counters.requests += 1;
        self.counters.failures += u64::from(failed);
        // Only a failure keeps its client.
        let client = if failed { client_of(ev) } else { None };
        s.bucket(idx)
            .add(failed, client.as_deref(), Ev::of(ev), c.max_clients);
        if !ended.is_empty() {
            self.emit(ended, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        let now = self.latest.unwrap_or(0);
        self.sweep(i64::MAX, now, out);
        let c = &self.config;
        let mut ended = Vec::new();
        let mut counters = self.counters;
        for (key, s) in self.services.iter_mut() {
            if let Some(o) = s.outage.take() {
                ended.extend(report(key, s, *o, c, &mut counters, true));
            }
        }
        self.counters = counters;
        self.emit(ended, out);
    }

    fn memory_bytes(&self) -> usize {
        self.services.heap_bytes()
            + self
                .services
                .iter()
                .map(|(k, s)| alloc_size(k.0.len()) + alloc_size(k.1.len()) + s.heap_bytes())
                .sum::<usize>()
            + alloc_size(self.server.capacity())
            + alloc_size(self.service.capacity())
            + std::mem::size_of::<Disruption>()
    }

    fn entities(&self) -> usize {
        self.services.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            latest: Option<i64>,
            closed_below: Option<i64>,
            counters: Counters,
            /// Least recently seen first.
            services: Vec<(&'a str, &'a str, &'a Service)>,
        }
        let saved = SavedRef {
            version: VERSION,
            latest: self.latest,
            closed_below: self.closed_below,
            counters: self.counters(),
            services: self
                .services
                .iter_oldest_first()
                .map(|(k, s)| (&*k.0, &*k.1, s))
                .collect(),
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let saved: Saved = crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        // Saved least recently seen first: the eviction order survives.
        let mut services = Bounded::from_oldest_first(
            self.config.capacity,
            saved
                .services
                .into_iter()
                .map(|(a, b, s)| ((a.into(), b.into()), s)),
        );
        services.evicted += saved.counters.evicted;
        self.services = services;
        self.latest = saved.latest;
        self.closed_below = saved.closed_below;
        self.counters = saved.counters;
        Ok(())
    }
}
