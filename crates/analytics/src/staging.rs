//! Internal staging: a large transfer between two internal hosts on a pair
//! that is new, or far above its own history, in an hour — data gathered on
//! one host before it leaves (ATT&CK T1074.002, remote data staging), such
//! as copies to a file server's share over SMB.
//!
//! # What is counted
//!
//! Connection records ([`Config::datasets`]: Zeek `conn`, VPC flow logs,
//! Suricata flows) with both ends inside the organization's internal
//! networks (the [`Context`]) are split into **data flows**: the bytes the
//! client sent (`source.bytes`) flow client → server (a push, such as an SMB
//! write), the bytes the server sent (`destination.bytes`) flow server →
//! client (a pull, such as a copy or a `pg_dump` read). Each flow (sender,
//! receiver) sums its bytes per aligned UTC hour.
//!
//! # Decision
//!
//! The running total of the open hour is judged as each connection adds to
//! it, so a transfer is reported while it happens, against the flow's
//! history of past hours with traffic ([`Config::history`] of them, the
//! open hour excluded):
//!
//! - nothing below [`Config::min_bytes`] in the hour is reported;
//! - with at least [`Config::min_samples`] hours of history: a hit when the
//!   robust z-score `(bytes − median) / max(1.4826·MAD,`
//!   [`Config::z_floor_bytes`]`)` is at least [`Config::min_z`] **and**
//!   `bytes ≥` [`Config::quantile_factor`] `×` the history's
//!   [`Config::quantile`];
//! - with less (a new pair): a hit when `bytes ≥` [`Config::new_pair_bytes`]
//!   and `bytes ≥ quantile_factor ×` the largest hour of the short history
//!   (a nightly job does not fire on its second night), but only after the
//!   first [`Config::learning_secs`] of data: in the beginning every pair is
//!   new.
//!
//! Level medium; high from [`Config::high_bytes`] in the hour, critical from
//! [`Config::critical_bytes`]. A flow reports once per
//! [`Config::suppress_secs`] unless its level rises; the next hit counts the
//! verdicts suppressed meanwhile. Flows touching [`Config::allow_hosts`]
//! (a backup server) or [`Config::allow_ports`] are never reported but keep
//! learning. Every threshold is repeated in the hit's metrics.
//!
//! Event time drives the clock; a connection of an hour its flow has
//! already closed (out of order, clock skew between sources) is counted as
//! late and dropped. Only events of [`Config::datasets`] are looked at
//! ([`Analytic::wants`]).
//!
//! A flow takes about 400 bytes while its hour is open (its history,
//! `f32` values, grows to [`Config::history`] hours: 0.7 kB more).
//!
//! ```
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::staging::{Config, Staging};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let smb = |secs: i64, bytes: i64| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + secs).unwrap());
//!     ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("10.0.2.10".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip("10.0.1.30".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_PORT, Value::Int(445));
//!     ev.push_norm(keys::SOURCE_BYTES, Value::Int(bytes));
//!     ev.push_norm(keys::DESTINATION_BYTES, Value::Int(10_000));
//!     ev
//! };
//! let mut a = Staging::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! // Two days of a few megabytes an hour, then 100 MB a minute.
//! for h in 0..48 {
//!     a.observe(&smb(h * 3600, 3_000_000), &mut hits);
//! }
//! for m in 0..30 {
//!     a.observe(&smb(48 * 3600 + m * 60, 100_000_000), &mut hits);
//! }
//! assert_eq!(hits.len(), 2, "{hits:#?}"); // medium at 500 MB, high at 1 GB
//! assert_eq!(hits[0].group["destination"], "10.0.1.30");
//! assert_eq!(hits[1].level, phiwatch_finding::Level::High);
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp};
use phiwatch_finding::{Entity, Level};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::net::Cidr;
use crate::seen::{secs_ns, Ev};
use crate::state::{alloc_size, push_capped, Bounded};
use crate::stats::{human_bytes as human, Window};
use crate::{Analytic, AnalyticHit, StateError};

const NAME: &str = "internal-staging";
const VERSION: u64 = 1;
const NANOS: i64 = 1_000_000_000;
const HOUR_NS: i64 = 3_600 * NANOS;
const TAGS: [&str; 3] = ["attack.collection", "attack.t1074", "attack.t1074.002"];
/// Evidence kept per hour: the first connections (and the last).
const EVIDENCE_FIRST: usize = 8;
/// Server ports tracked per hour.
const PORTS: usize = 4;

/// Settings of [`Staging`] (TOML table `[staging]`); every field has a
/// default and every threshold is repeated in the hits' metrics. Bytes are
/// decimal (1 MB = 1 000 000 bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `event.dataset` values that are connection records (default
    /// `zeek.conn`, `aws.vpcflow`, `suricata.flow`, `suricata.netflow`);
    /// empty: every event with both addresses and byte counts.
    pub datasets: Vec<String>,
    /// Bytes in an hour below which nothing is reported (default 500 MB).
    pub min_bytes: u64,
    /// Bytes in an hour from which a hit is high (default 1 GB).
    pub high_bytes: u64,
    /// Bytes in an hour from which a hit is critical (default 20 GB).
    pub critical_bytes: u64,
    /// A new pair (short history) reports from this many bytes in an hour
    /// (default 500 MB).
    pub new_pair_bytes: u64,
    /// Hours of history before the baseline rule applies (default 24).
    pub min_samples: usize,
    /// Robust z-score against the history for a hit (default 5).
    pub min_z: f64,
    /// The history's quantile the hour must exceed, times
    /// `quantile_factor` (default 0.99) ...
    pub quantile: f64,
    /// ... (default 3); also how many times its largest hour a new pair
    /// must move.
    pub quantile_factor: f64,
    /// Smallest spread (bytes) of the robust z-score (default 10 MB).
    pub z_floor_bytes: u64,
    /// Seconds from the first event during which new pairs are learned,
    /// not reported (default 86 400).
    pub learning_secs: u64,
    /// Past hours (with traffic) kept per flow (default 168).
    pub history: usize,
    /// Seconds after a hit during which the flow does not report again
    /// unless its level rises (default 21 600: 6 h).
    pub suppress_secs: u64,
    /// Hosts (either end) whose flows are never reported, such as backup
    /// servers; they still learn (default none).
    pub allow_hosts: Vec<Cidr>,
    /// Server ports whose flows are never reported (default none).
    pub allow_ports: Vec<u16>,
    /// Flows tracked; the least recently seen are evicted (default
    /// 100 000).
    pub capacity: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            datasets: [
                "zeek.conn",
                "aws.vpcflow",
                "suricata.flow",
                "suricata.netflow",
            ]
            .map(String::from)
            .to_vec(),
            min_bytes: 500_000_000,
            high_bytes: 1_000_000_000,
            critical_bytes: 20_000_000_000,
            new_pair_bytes: 500_000_000,
            min_samples: 24,
            min_z: 5.0,
            quantile: 0.99,
            quantile_factor: 3.0,
            z_floor_bytes: 10_000_000,
            learning_secs: 86_400,
            history: 168,
            suppress_secs: 21_600,
            allow_hosts: Vec::new(),
            allow_ports: Vec::new(),
            capacity: 100_000,
        }
    }
}

/// What the analytic saw and did (restored with its state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Connection records between two internal hosts.
    pub connections: u64,
    /// Flow records of an hour already closed: dropped.
    pub late: u64,
    /// Verdicts on allowlisted flows (not reported).
    pub allowed: u64,
    /// Verdicts not reported because of the suppression.
    pub suppressed: u64,
    /// Hits reported.
    pub hits: u64,
    /// Flows evicted to stay within the capacity.
    pub evicted: u64,
}

/// One hour of a flow.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Hour {
    /// Hours since the epoch.
    hour: i64,
    bytes: u64,
    conns: u64,
    /// Bytes moved by connections the sender opened (push) or the
    /// receiver opened (pull).
    pushed: u64,
    pulled: u64,
    first_ns: i64,
    last_ns: i64,
    /// Server ports and their bytes, at most [`PORTS`].
    ports: Vec<(u16, u64)>,
    evidence: Vec<Ev>,
    last: Ev,
}

impl Hour {
    fn new(hour: i64, ev: Ev) -> Hour {
        Hour {
            hour,
            bytes: 0,
            conns: 0,
            pushed: 0,
            pulled: 0,
            first_ns: ev.t,
            last_ns: ev.t,
            ports: Vec::new(),
            evidence: Vec::new(),
            last: ev,
        }
    }

    fn add(&mut self, m: &Move) {
        self.bytes = self.bytes.saturating_add(m.bytes);
        self.conns += 1;
        if m.pushed {
            self.pushed = self.pushed.saturating_add(m.bytes);
        } else {
            self.pulled = self.pulled.saturating_add(m.bytes);
        }
        self.first_ns = self.first_ns.min(m.ev.t);
        self.last_ns = self.last_ns.max(m.ev.t);
        if let Some(p) = self.ports.iter_mut().find(|p| p.0 == m.port) {
            p.1 = p.1.saturating_add(m.bytes);
        } else {
            push_capped(&mut self.ports, (m.port, m.bytes), PORTS);
        }
        push_capped(&mut self.evidence, m.ev, EVIDENCE_FIRST);
        if m.ev.t >= self.last.t {
            self.last = m.ev;
        }
    }

    fn top_port(&self) -> Option<u16> {
        self.ports
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|p| p.0)
    }
}

/// One data flow (sender → receiver).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Flow {
    /// Past hours' totals (hours with traffic).
    history: Window,
    /// The open hour (boxed: idle flows hold none).
    open: Option<Box<Hour>>,
    /// Time (nanoseconds) and level rank of the last hit.
    last_hit: Option<i64>,
    hit_level: u8,
    hits: u64,
    /// Verdicts suppressed since the last hit.
    suppressed: u64,
    last_seen: i64,
}

/// Bytes moved by one connection, one way.
struct Move {
    from: IpAddr,
    to: IpAddr,
    bytes: u64,
    /// The sender opened the connection.
    pushed: bool,
    port: u16,
    ev: Ev,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    start: Option<i64>,
    latest: Option<i64>,
    counters: Counters,
    /// Least recently seen first.
    flows: Vec<(IpAddr, IpAddr, Flow)>,
}

/// The history's numbers behind a verdict.
struct Baseline {
    samples: usize,
    median: f64,
    mad: f64,
    z: f64,
    q: f64,
    max: f64,
}

/// The internal staging analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct Staging {
    config: Config,
    internal: Vec<Cidr>,
    /// First event (nanoseconds): learning runs from here.
    start: Option<i64>,
    /// Latest event (nanoseconds).
    latest: Option<i64>,
    counters: Counters,
    flows: Bounded<(IpAddr, IpAddr), Flow>,
    evicted_base: u64,
}

impl Staging {
    /// The analytic with `config`, for the organization `ctx` (its internal
    /// networks).
    pub fn new(config: Config, ctx: &Context) -> Staging {
        Staging {
            internal: ctx.internal.clone(),
            start: None,
            latest: None,
            counters: Counters::default(),
            flows: Bounded::new(config.capacity),
            evicted_base: 0,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it saw and did.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted: self.evicted_base + self.flows.evicted,
            ..self.counters
        }
    }

    /// The two data flows of a connection between internal hosts.
    fn moves(&self, ev: &Event) -> Option<[Move; 2]> {
        if !self.config.datasets.is_empty() {
            let ds = ev.get(keys::EVENT_DATASET).and_then(|v| v.as_str())?;
            if !self.config.datasets.iter().any(|d| d == ds) {
                return None;
            }
        }
        let client = ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip())?;
        let server = ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip())?;
        let internal = |ip| crate::net::in_any(&self.internal, ip);
        if !internal(client) || !internal(server) || client == server {
            return None;
        }
        let bytes = |k| {
            ev.get(k)
                .and_then(|v| v.as_i64())
                .map(|b| u64::try_from(b).unwrap_or(0))
        };
        let (sent, received) = (bytes(keys::SOURCE_BYTES), bytes(keys::DESTINATION_BYTES));
        if sent.is_none() && received.is_none() {
            return None;
        }
        let port = ev
            .get(keys::DESTINATION_PORT)
            .and_then(|v| v.as_i64())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0);
        let e = Ev::of(ev);
        Some([
            Move {
                from: client,
                to: server,
                bytes: sent.unwrap_or(0),
                pushed: true,
                port,
                ev: e,
            },
            Move {
                from: server,
                to: client,
                bytes: received.unwrap_or(0),
                pushed: false,
                port,
                ev: e,
            },
        ])
    }

    fn allowed(&self, m: &Move) -> bool {
        crate::net::in_any(&self.config.allow_hosts, m.from)
            || crate::net::in_any(&self.config.allow_hosts, m.to)
            || self.config.allow_ports.contains(&m.port)
    }

    /// Adds one flow's bytes to its hour and judges the hour so far.
    fn add(&mut self, m: &Move, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = m.ev.t;
        let hour = t.div_euclid(HOUR_NS);
        let learning_over = self
            .start
            .is_some_and(|s| t >= s.saturating_add(secs_ns(c.learning_secs)));
        let allowed = self.allowed(m);
        let history = c.history;
        let f = self.flows.entry(&(m.from, m.to), || Flow {
            history: Window::new(history),
            open: None,
            last_hit: None,
            hit_level: 0,
            hits: 0,
            suppressed: 0,
            last_seen: t,
        });
        f.last_seen = f.last_seen.max(t);
        match &f.open {
            Some(h) if h.hour > hour => {
                self.counters.late += 1;
                return;
            }
            Some(h) if h.hour < hour => {
                let closed = h.bytes;
                if closed > 0 {
                    f.history.push(closed as f64);
                }
                f.open = Some(Box::new(Hour::new(hour, m.ev)));
            }
            Some(_) => {}
            None => f.open = Some(Box::new(Hour::new(hour, m.ev))),
        }
        let Some(h) = f.open.as_mut() else {
            return;
        };
        h.add(m);
        let bytes = h.bytes;
        if bytes < c.min_bytes {
            return;
        }
        let b = baseline(&f.history, bytes as f64, c);
        let by_history =
            b.samples >= c.min_samples && b.z >= c.min_z && bytes as f64 >= b.q * c.quantile_factor;
        let by_new = b.samples < c.min_samples
            && learning_over
            && bytes >= c.new_pair_bytes
            && bytes as f64 >= b.max * c.quantile_factor;
        if !(by_history || by_new) {
            return;
        }
        let (level, rank) = if bytes >= c.critical_bytes {
            (Level::Critical, 3)
        } else if bytes >= c.high_bytes {
            (Level::High, 2)
        } else {
            (Level::Medium, 1)
        };
        if allowed {
            self.counters.allowed += 1;
            return;
        }
        let suppress = secs_ns(c.suppress_secs);
        if f.last_hit
            .is_some_and(|l| t.saturating_sub(l) < suppress && rank <= f.hit_level)
        {
            f.suppressed += 1;
            self.counters.suppressed += 1;
            return;
        }
        let suppressed = std::mem::take(&mut f.suppressed);
        let previous = f.hits;
        f.last_hit = Some(f.last_hit.map_or(t, |l| l.max(t)));
        f.hit_level = rank;
        f.hits += 1;
        self.counters.hits += 1;
        let Some(h) = f.open.as_ref() else {
            return;
        };
        out.push(hit(c, m, h, &b, level, by_new, suppressed, previous));
    }
}

fn baseline(w: &Window, bytes: f64, c: &Config) -> Baseline {
    let s = w.sorted();
    Baseline {
        samples: w.len(),
        median: s.median().unwrap_or(0.0),
        mad: s.mad().unwrap_or(0.0),
        z: s.robust_z(bytes, c.z_floor_bytes as f64).unwrap_or(0.0),
        q: s.quantile(c.quantile).unwrap_or(0.0),
        max: s.quantile(1.0).unwrap_or(0.0),
    }
}

#[allow(clippy::too_many_arguments)]
fn hit(
    c: &Config,
    m: &Move,
    h: &Hour,
    b: &Baseline,
    level: Level,
    new_pair: bool,
    suppressed: u64,
    previous: u64,
) -> AnalyticHit {
    let port = h.top_port();
    let initiator = if h.pushed >= h.pulled { m.from } else { m.to };
    let flag = |x: bool| f64::from(u8::from(x));
    let metrics: BTreeMap<String, f64> = [
        ("bytes", h.bytes as f64),
        ("connections", h.conns as f64),
        ("pushed_bytes", h.pushed as f64),
        ("pulled_bytes", h.pulled as f64),
        ("port", f64::from(port.unwrap_or(0))),
        ("hour_start_secs", h.hour.saturating_mul(3_600) as f64),
        ("samples", b.samples as f64),
        ("median_bytes", b.median),
        ("mad_bytes", b.mad),
        ("robust_z", b.z),
        ("q_bytes", b.q),
        ("max_history_bytes", b.max),
        ("new_pair", flag(new_pair)),
        ("suppressed", suppressed as f64),
        ("previous_hits", previous as f64),
        ("min_bytes", c.min_bytes as f64),
        ("high_bytes", c.high_bytes as f64),
        ("critical_bytes", c.critical_bytes as f64),
        ("new_pair_bytes", c.new_pair_bytes as f64),
        ("min_samples", c.min_samples as f64),
        ("min_z", c.min_z),
        ("quantile", c.quantile),
        ("quantile_factor", c.quantile_factor),
        ("z_floor_bytes", c.z_floor_bytes as f64),
        ("learning_secs", c.learning_secs as f64),
        ("suppress_secs", c.suppress_secs as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut group = BTreeMap::from([
        ("source".to_string(), m.from.to_string()),
        ("destination".to_string(), m.to.to_string()),
        ("initiator".to_string(), initiator.to_string()),
    ]);
    if let Some(p) = port {
        group.insert("port".into(), p.to_string());
    }
    let mins = h.last_ns.saturating_sub(h.first_ns).max(0) / (60 * NANOS);
    let why = if new_pair {
        format!("new pair, {} hours of history", b.samples)
    } else {
        format!("hourly median {}, z {:.0}", human(b.median as u64), b.z)
    };
    let on = port.map_or_else(String::new, |p| format!(" (port {p})"));
    let mut evidence: Vec<(phiwatch_event::Origin, Timestamp)> =
        h.evidence.iter().map(|e| e.to_pair()).collect();
    if !h.evidence.contains(&h.last) {
        evidence.push(h.last.to_pair());
    }
    AnalyticHit {
        analytic: NAME,
        title: format!(
            "Internal staging: {} moved {} to {}{on} in {mins} min ({why})",
            m.from,
            human(h.bytes),
            m.to
        ),
        level,
        time: Timestamp::from_nanos(h.first_ns),
        end_time: Timestamp::from_nanos(h.last_ns),
        entity: Entity {
            ip: Some(initiator.to_string()),
            ..Entity::default()
        },
        tags: TAGS.iter().map(|s| s.to_string()).collect(),
        metrics,
        group,
        evidence,
    }
}

impl Analytic for Staging {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, dataset: &str) -> bool {
        crate::seen::listed(&self.config.datasets, dataset)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        let learning = secs_ns(self.config.learning_secs);
        match self.start {
            None => self.start = Some(t),
            // An earlier event while still learning (clock skew) moves the
            // start back.
            Some(s) if t < s && self.latest.is_some_and(|l| l < s.saturating_add(learning)) => {
                self.start = Some(t);
            }
            _ => {}
        }
        self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        let Some(moves) = self.moves(ev) else {
            return;
        };
        self.counters.connections += 1;
        for m in &moves {
            if m.bytes > 0 {
                self.add(m, out);
            }
        }
    }

    fn finish(&mut self, _out: &mut Vec<AnalyticHit>) {}

    fn memory_bytes(&self) -> usize {
        let flows: usize = self
            .flows
            .iter()
            .map(|(_, f)| {
                f.history.heap_bytes()
                    + f.open.as_ref().map_or(0, |h| {
                        alloc_size(std::mem::size_of::<Hour>())
                            + alloc_size(h.ports.capacity() * std::mem::size_of::<(u16, u64)>())
                            + alloc_size(h.evidence.capacity() * std::mem::size_of::<Ev>())
                    })
            })
            .sum();
        std::mem::size_of::<Staging>() + self.flows.heap_bytes() + flows
    }

    fn entities(&self) -> usize {
        self.flows.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            start: Option<i64>,
            latest: Option<i64>,
            counters: Counters,
            /// Least recently seen first.
            flows: Vec<(IpAddr, IpAddr, &'a Flow)>,
        }
        let saved = SavedRef {
            version: VERSION,
            start: self.start,
            latest: self.latest,
            counters: self.counters(),
            flows: self
                .flows
                .iter_oldest_first()
                .map(|((a, b), f)| (*a, *b, f))
                .collect(),
        };
        // Addresses and finite numbers: serializing cannot fail.
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let s: Saved = crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        let mut flows = Bounded::from_oldest_first(
            self.config.capacity,
            s.flows.into_iter().map(|(a, b, f)| ((a, b), f)),
        );
        self.evicted_base = s.counters.evicted + std::mem::take(&mut flows.evicted);
        self.flows = flows;
        self.start = s.start;
        self.latest = s.latest;
        self.counters = s.counters;
        Ok(())
    }
}
