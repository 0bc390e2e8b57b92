//! Rare destinations: external destinations few internal hosts talk to,
//! reported when one is new and receives data (`rare-destination`), or when
//! one host keeps sending it data, a little every day (`slow-drip`).
//!
//! # What a destination is
//!
//! Connection records ([`Config::datasets`]: Zeek `conn`, VPC flow logs,
//! Suricata flows) from a host inside the organization's internal networks
//! (the [`Context`]; CGNAT `100.64.0.0/10` is the Internet) to an address
//! outside count `source.bytes` as bytes out and `destination.bytes` as
//! bytes in. A connection is *named* by the TLS server name
//! (`tls.client.server_name`) or HTTP host (`url.domain`) of the record of
//! the same session (`phiwatch.session_id`), else by the latest DNS answer
//! that mapped a name to its address. The destination is the **registered
//! base domain** of that name (`sync.metrics-collector.test` →
//! `metrics-collector.test`; a short built-in list of multi-label public
//! suffixes such as `co.uk` and hosting platforms such as
//! `s3.amazonaws.com`, plus [`Config::extra_suffixes`]), or the address
//! when the connection has no name. Connection records are held
//! [`Config::name_wait_secs`] of event time before they are counted, so the
//! TLS record of the same connection, logged at the same time, can name
//! them.
//!
//! **Prevalence** is the number of distinct internal hosts that contacted
//! the destination (connections, TLS and HTTP records) in the last
//! [`Config::prevalence_days`]; past [`Config::max_hosts`] hosts a
//! destination is popular for good. A destination is **rare** while its
//! prevalence is at most [`Config::max_prevalence`]. Popular destinations
//! (update servers, video calls, SaaS) never fire.
//!
//! # `rare-destination`: first seen, then sent data
//!
//! The first [`Config::learning_secs`] of data (from the first event seen;
//! a restored state keeps its start) are learning: every destination seen
//! then is known. A destination first seen later is *new*. The bytes out,
//! bytes in and connections of a new destination's first
//! [`Config::first_window_secs`] are summed; while it is rare:
//!
//! - bytes out `≥` [`Config::min_bytes`] → a **medium** hit;
//! - bytes out `≥` [`Config::high_bytes`] and bytes out / bytes in `≥`
//!   [`Config::high_min_ratio`] (an upload, not a two-way video call) → a
//!   **high** hit.
//!
//! A destination reports at most twice: its first hit, and one escalation to
//! high. Tags: exfiltration over C2 / alternative protocol (T1041, T1048),
//! application-layer C2 (T1071).
//!
//! # `slow-drip`: a little every day
//!
//! Learning does not hide a slow drip: a destination one host has been
//! feeding since before learning ended is still rare. Per (internal host,
//! rare destination) the analytic keeps UTC days over a sliding window of
//! [`Config::drip_window_days`]: bytes out and in, connections, uploads
//! (connections of at least [`Config::drip_upload_bytes`] out) and the hours
//! with uploads. A day with at least [`Config::drip_min_day_bytes`] out is
//! active. It is a slow drip when
//!
//! - at least [`Config::drip_min_days`] days are active,
//! - the window's bytes out are at least [`Config::drip_min_total_bytes`],
//! - no day sent more than [`Config::drip_max_day_bytes`] (a louder day is a
//!   burst, the business of `rare-destination` and `egress-volume`), and
//! - bytes out / bytes in is at least [`Config::drip_min_ratio`] (uploads,
//!   not a sync client that downloads as much).
//!
//! Level **high** when the uploads are spread over the day (median hours
//! with uploads per active day at least [`Config::drip_min_hours_per_day`]:
//! chunks sent around the clock, ATT&CK T1030); **medium** when they come
//! in one or two hours a day, the shape of a scheduled backup (allowlist
//! known backup destinations). A pair reports once per
//! [`Config::drip_suppress_secs`] (again earlier only to escalate to high);
//! the next hit carries the bytes and connections since the previous one.
//! Tags T1029 (scheduled transfer), T1030 (data transfer size limits),
//! T1041.
//!
//! Every threshold is repeated in each hit's metrics. Events may come out of
//! order (clock skew between sources): times are compared, never
//! subtracted unchecked; a connection older than its pair's window is
//! counted as late and dropped.
//!
//! ```
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::rare::{Config, Rare};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let conn = |secs: i64, src: &str, dst: &str, out: i64| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + secs).unwrap());
//!     ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip(src.parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip(dst.parse().unwrap()));
//!     ev.push_norm(keys::SOURCE_BYTES, Value::Int(out));
//!     ev.push_norm(keys::DESTINATION_BYTES, Value::Int(5_000));
//!     ev
//! };
//! let mut a = Rare::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! // A day of learning: 20 hosts use a popular service.
//! for i in 0..20 {
//!     a.observe(&conn(i * 60, &format!("10.0.0.{i}"), "198.51.100.7", 1_000), &mut hits);
//! }
//! // Two days later, one host uploads 2 GB to a destination never seen.
//! for i in 0..20 {
//!     a.observe(&conn(172_800 + i * 60, "10.0.1.30", "203.0.113.9", 100_000_000), &mut hits);
//! }
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 2, "{hits:#?}"); // medium, then the escalation
//! assert_eq!(hits[1].analytic, "rare-destination");
//! assert_eq!(hits[1].level, phiwatch_finding::Level::High);
//! assert_eq!(hits[1].group["destination"], "203.0.113.9");
//! ```

mod config;
mod dest;
mod drip;
mod hits;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::IpAddr;

use phiwatch_event::{keys, Event};
use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::net::Cidr;
use crate::seen::{secs_ns, Ev, NANOS};
use crate::state::{alloc_size, Bounded};
use crate::{Analytic, AnalyticHit, StateError};
pub use config::Config;
use dest::{base_domain_into, under, Dest, SUFFIXES};
use drip::{judge, metrics, Pair};
use hits::{drip_hit, first_hit};

/// The analytic's table name.
const NAME: &str = "rare";
const VERSION: u64 = 1;
/// phiwatch's datasets whose records can name a destination: DNS answers,
/// TLS server names, HTTP hosts (others are not searched for names).
const NAME_DATASETS: &[&str] = &[
    "zeek.dns",
    "zeek.ssl",
    "zeek.http",
    "suricata.dns",
    "suricata.tls",
    "suricata.http",
    "windows.application",
    "windows.other",
    "windows.powershell",
    "windows.security",
    "windows.sysmon",
    "windows.system",
];

/// Longest name kept (a DNS name has at most 253 characters): longer ones,
/// which only a broken or hostile log has, leave their connection unnamed.
const MAX_NAME: usize = 253;

/// What the analytic saw and did (restored with its state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Connection records counted (internal host to external address).
    pub connections: u64,
    /// Of those, named by a TLS/HTTP record of the same session or by DNS.
    pub named: u64,
    /// Records skipped by an allowlist.
    pub allowed: u64,
    /// Events more than `name_wait_secs` older than the latest (out of
    /// order, clock skew); still counted.
    pub late: u64,
    /// Connections older than their pair's window: dropped from the drip.
    pub too_late: u64,
    /// Connections counted before their wait was over (`max_pending`).
    pub forced: u64,
    /// `rare-destination` hits.
    pub first_hits: u64,
    /// `slow-drip` hits.
    pub drip_hits: u64,
    /// Slow-drip verdicts not reported because of the suppression.
    pub suppressed: u64,
    /// Destinations evicted to stay within `capacity`.
    pub evicted_destinations: u64,
    /// Pairs evicted to stay within `pair_capacity`.
    pub evicted_pairs: u64,
}

/// A connection record waiting for its name.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Conn {
    src: IpAddr,
    dst: IpAddr,
    out: u64,
    inb: u64,
    session: Option<Box<str>>,
    ev: Ev,
}

/// A name, and when it was seen (nanoseconds).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Named {
    name: String,
    t: i64,
}

/// The state that is saved.
#[derive(Debug)]
struct State {
    start: Option<i64>,
    clock: Option<i64>,
    counters: Counters,
    /// In time order (a late record goes after those of its time).
    pending: VecDeque<Conn>,
    names: Bounded<IpAddr, Named>,
    sessions: Bounded<Box<str>, Named>,
    dests: Bounded<Box<str>, Dest>,
    pairs: Bounded<Box<str>, Pair>,
    /// Evictions before the last restore.
    evicted_base: (u64, u64),
    /// When session names were last pruned (nanoseconds).
    pruned: i64,
}

/// The saved form: maps as lists, least recently seen first.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    start: Option<i64>,
    clock: Option<i64>,
    counters: Counters,
    pending: Vec<Conn>,
    names: Vec<(IpAddr, Named)>,
    sessions: Vec<(Box<str>, Named)>,
    dests: Vec<(Box<str>, Dest)>,
    pairs: Vec<(Box<str>, Pair)>,
    pruned: i64,
}

/// The rare destinations and slow drip analytic (see the [module
/// docs](self)).
#[derive(Debug)]
pub struct Rare {
    config: Config,
    internal: Vec<Cidr>,
    suffixes: Vec<String>,
    st: State,
    /// Buffers for a destination's and a pair's key.
    base_buf: String,
    key_buf: String,
}

/// Maps `k` to `name`, seen at `t`.
fn set_name(b: &mut Bounded<IpAddr, Named>, k: IpAddr, name: &str, t: i64) {
    let e = b.entry(&k, || Named {
        name: String::new(),
        t,
    });
    name.clone_into(&mut e.name);
    e.t = t;
}

/// Maps session `k` to `name`, seen at `t`.
fn set_session(b: &mut Bounded<Box<str>, Named>, k: &str, name: &str, t: i64) {
    let e = b.entry_by(
        k,
        || k.into(),
        || Named {
            name: String::new(),
            t,
        },
    );
    name.clone_into(&mut e.name);
    e.t = t;
}

/// The level `rare-destination` gives `d` now (0 none, 1 medium, 2 high),
/// when it is higher than what it reported.
fn first_verdict(c: &Config, d: &Dest, t: i64, learn_end: i64) -> Option<(u8, f64)> {
    let in_window = t < d.first_seen.saturating_add(secs_ns(c.first_window_secs));
    if d.first_seen < learn_end || !in_window || !d.rare(c.max_prevalence) {
        return None;
    }
    let ratio = d.first_out as f64 / d.first_in.max(1) as f64;
    let level = if d.first_out >= c.high_bytes && ratio >= c.high_min_ratio {
        2
    } else if d.first_out >= c.min_bytes {
        1
    } else {
        0
    };
    (level > d.reported).then_some((level, ratio))
}

impl Rare {
    /// The analytic with `config`, for the organization `ctx` (its internal
    /// networks).
    pub fn new(config: Config, ctx: &Context) -> Rare {
        let mut suffixes: Vec<String> = SUFFIXES.iter().map(|s| s.to_string()).collect();
        suffixes.extend(
            config
                .extra_suffixes
                .iter()
                .map(|s| s.trim().trim_matches('.').to_ascii_lowercase())
                .filter(|s| !s.is_empty()),
        );
        Rare {
            internal: ctx.internal.clone(),
            suffixes,
            st: State {
                start: None,
                clock: None,
                counters: Counters::default(),
                pending: VecDeque::new(),
                names: Bounded::new(config.name_capacity),
                sessions: Bounded::new(config.max_pending),
                dests: Bounded::new(config.capacity),
                pairs: Bounded::new(config.pair_capacity),
                evicted_base: (0, 0),
                pruned: i64::MIN,
            },
            base_buf: String::new(),
            key_buf: String::new(),
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
            evicted_destinations: self.st.evicted_base.0 + self.st.dests.evicted,
            evicted_pairs: self.st.evicted_base.1 + self.st.pairs.evicted,
            ..self.st.counters
        }
    }

    fn internal(&self, ip: IpAddr) -> bool {
        crate::net::in_any(&self.internal, ip)
    }

    /// The internal host and external address of `ev`, when it goes out.
    fn outbound(&self, ev: &Event) -> Option<(IpAddr, IpAddr)> {
        let src = ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip())?;
        let dst = ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip())?;
        (self.internal(src) && !self.internal(dst)).then_some((src, dst))
    }

    fn is_conn(&self, ev: &Event, dataset: Option<&str>) -> bool {
        if self.config.datasets.is_empty() {
            return ev.get(keys::SOURCE_BYTES).is_some();
        }
        dataset.is_some_and(|ds| self.config.datasets.iter().any(|d| d == ds))
    }

    fn allowed_name(&self, name: &str) -> bool {
        self.config.allow_domains.iter().any(|d| under(name, d))
    }

    /// Learns names from DNS answers, TLS server names and HTTP hosts; a
    /// TLS or HTTP record is also a contact.
    fn learn_names(&mut self, ev: &Event, t: i64) {
        if let (Some(q), Some(answers)) = (
            ev.get(keys::DNS_QUESTION_NAME).and_then(|v| v.as_str()),
            ev.get(keys::DNS_ANSWERS_DATA),
        ) {
            let q = q.trim_end_matches('.');
            if q.is_empty() || q.len() > MAX_NAME {
                return;
            }
            let internal = &self.internal;
            let names = &mut self.st.names;
            let mut learn = |ip: IpAddr| {
                if !crate::net::in_any(internal, ip) {
                    set_name(names, ip, q, t);
                }
            };
            match answers {
                phiwatch_event::ValueRef::List(l) => {
                    l.iter().filter_map(|v| v.as_ip()).for_each(&mut learn)
                }
                v => v.as_ip().into_iter().for_each(&mut learn),
            }
            return;
        }
        let name = [keys::TLS_CLIENT_SERVER_NAME, keys::URL_DOMAIN]
            .into_iter()
            .find_map(|k| ev.get(k).and_then(|v| v.as_str()))
            .map(|s| s.trim_end_matches('.'))
            .filter(|s| !s.is_empty() && s.len() <= MAX_NAME && s.parse::<IpAddr>().is_err());
        let Some(name) = name else {
            return;
        };
        let Some((src, dst)) = self.outbound(ev) else {
            return;
        };
        if let Some(session) = ev.get(keys::PHIWATCH_SESSION_ID).and_then(|v| v.as_str()) {
            set_session(&mut self.st.sessions, session, name, t);
        }
        set_name(&mut self.st.names, dst, name, t);
        if self.allowed_name(name) || self.allowed_src_dst(src, dst) {
            return;
        }
        let mut base = std::mem::take(&mut self.base_buf);
        if base_domain_into(name, &self.suffixes, &mut base) {
            let (w, cap) = self.prevalence_params();
            let b = base.as_str();
            let d = self.st.dests.entry_by(b, || b.into(), || Dest::new(t));
            d.contact(src, t, w, cap);
            d.name.get_or_insert_with(|| name.to_ascii_lowercase());
            d.ip.get_or_insert(dst);
        }
        self.base_buf = base;
    }

    fn allowed_src_dst(&self, src: IpAddr, dst: IpAddr) -> bool {
        crate::net::in_any(&self.config.allow_sources, src)
            || crate::net::in_any(&self.config.allow_destinations, dst)
    }

    fn prevalence_params(&self) -> (i64, usize) {
        (
            secs_ns(self.config.prevalence_days.saturating_mul(86_400)),
            self.config.max_hosts.max(self.config.max_prevalence + 1),
        )
    }

    /// Holds a connection record until its name can be known.
    fn hold(&mut self, conn: Conn, out: &mut Vec<AnalyticHit>) {
        if self.st.pending.len() >= self.config.max_pending.max(1) {
            // Every record of the oldest time goes at once.
            if let Some(oldest) = self.st.pending.front().map(|c| c.ev.t) {
                while self.st.pending.front().is_some_and(|c| c.ev.t == oldest) {
                    if let Some(c) = self.st.pending.pop_front() {
                        self.st.counters.forced += 1;
                        self.count(c, out);
                    }
                }
            }
        }
        let t = conn.ev.t;
        if self.st.pending.back().is_none_or(|b| b.ev.t <= t) {
            self.st.pending.push_back(conn);
        } else {
            // Out of order: after every record of its time or earlier.
            let i = self.st.pending.partition_point(|c| c.ev.t <= t);
            self.st.pending.insert(i, conn);
        }
    }

    /// Counts the held connections at or before `until`.
    fn release(&mut self, until: i64, out: &mut Vec<AnalyticHit>) {
        while self.st.pending.front().is_some_and(|c| c.ev.t <= until) {
            if let Some(c) = self.st.pending.pop_front() {
                self.count(c, out);
            }
        }
        // Session names serve connections of about the same time: once the
        // clock has moved a wait past them, they go.
        let wait = secs_ns(self.config.name_wait_secs).max(NANOS);
        if until != i64::MAX && until.saturating_sub(self.st.pruned) >= wait {
            let horizon = until.saturating_sub(wait);
            self.st.sessions.retain(|_, n| n.t >= horizon);
            self.st.pruned = until;
        }
    }

    /// Counts one connection: prevalence, first window, drip; may report.
    fn count(&mut self, c: Conn, out: &mut Vec<AnalyticHit>) {
        let t = c.ev.t;
        let mut key = std::mem::take(&mut self.base_buf);
        let st = &mut self.st;
        let name = c
            .session
            .as_deref()
            .and_then(|s| st.sessions.get(s))
            .or_else(|| st.names.get(&c.dst))
            .map(|n| n.name.as_str());
        if name.is_some_and(|n| self.config.allow_domains.iter().any(|d| under(n, d))) {
            st.counters.allowed += 1;
            self.base_buf = key;
            return;
        }
        st.counters.connections += 1;
        let named = name.is_some_and(|n| base_domain_into(n, &self.suffixes, &mut key));
        st.counters.named += u64::from(named);
        if !named {
            key.clear();
            let _ = write!(key, "{}", c.dst);
        }
        let cfg = &self.config;
        let (w, cap) = (
            secs_ns(cfg.prevalence_days.saturating_mul(86_400)),
            cfg.max_hosts.max(cfg.max_prevalence + 1),
        );
        let learn_end = st
            .start
            .map_or(i64::MAX, |s| s.saturating_add(secs_ns(cfg.learning_secs)));
        let k = key.as_str();
        let d = st.dests.entry_by(k, || k.into(), || Dest::new(t));
        d.contact(c.src, t, w, cap);
        if let Some(n) = name {
            d.name.get_or_insert_with(|| n.to_ascii_lowercase());
        }
        d.ip.get_or_insert(c.dst);
        d.first_window(c.src, t, c.out, c.inb, c.ev, secs_ns(cfg.first_window_secs));
        let rare = d.rare(cfg.max_prevalence);
        let prevalence = d.prevalence();
        if let Some((level, ratio)) = first_verdict(cfg, d, t, learn_end) {
            d.reported = level;
            st.counters.first_hits += 1;
            out.push(first_hit(cfg, &key, d, level, ratio, learn_end, t));
        }
        if rare {
            self.drip(&key, &c, prevalence, out);
        }
        self.base_buf = key;
    }

    /// `slow-drip`: adds the connection to its pair and judges the pair.
    fn drip(&mut self, key: &str, conn: &Conn, prevalence: usize, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let mut pk = std::mem::take(&mut self.key_buf);
        pk.clear();
        let _ = write!(pk, "{} {key}", conn.src);
        let p = self.st.pairs.entry_by(
            pk.as_str(),
            || pk.as_str().into(),
            || Pair::new(conn.src, key, conn.ev),
        );
        self.key_buf = pk;
        if !p.add(conn.out, conn.inb, conn.ev, c) {
            self.st.counters.too_late += 1;
            return;
        }
        let (level, summary) = judge(c, p, true);
        let Some(level) = level else {
            return;
        };
        let rank = if level == Level::High { 2 } else { 1 };
        let t = conn.ev.t;
        let suppress = secs_ns(c.drip_suppress_secs);
        if p.last_hit
            .is_some_and(|h| t.saturating_sub(h) < suppress && rank <= p.hit_level)
        {
            self.st.counters.suppressed += 1;
            return;
        }
        // The numbers as they stood before this hit is recorded.
        let metrics = metrics(c, p, &summary, prevalence);
        p.last_hit = Some(p.last_hit.map_or(t, |h| h.max(t)));
        p.hit_level = rank;
        p.hits += 1;
        p.since_hit_bytes = 0;
        p.since_hit_conns = 0;
        self.st.counters.drip_hits += 1;
        let d = self.st.dests.get(key);
        out.push(drip_hit(p, d, level, metrics));
    }
}

impl Analytic for Rare {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.st.counters.events += 1;
        let t = ev.time().as_nanos();
        let wait = secs_ns(self.config.name_wait_secs);
        let learning = secs_ns(self.config.learning_secs);
        match self.st.start {
            None => self.st.start = Some(t),
            // An earlier event while still learning (clock skew) moves the
            // start back.
            Some(s)
                if t < s
                    && self
                        .st
                        .clock
                        .is_some_and(|c| c < s.saturating_add(learning)) =>
            {
                self.st.start = Some(t);
            }
            _ => {}
        }
        let clock = self.st.clock.map_or(t, |c| c.max(t));
        if t < clock.saturating_sub(wait) {
            self.st.counters.late += 1;
        }
        self.st.clock = Some(clock);
        let dataset = ev.get(keys::EVENT_DATASET).and_then(|v| v.as_str());
        if self.is_conn(ev, dataset) {
            if let Some((src, dst)) = self.outbound(ev) {
                if self.allowed_src_dst(src, dst) {
                    self.st.counters.allowed += 1;
                } else if let Some(bytes) = ev.get(keys::SOURCE_BYTES).and_then(|v| v.as_i64()) {
                    let inb = ev
                        .get(keys::DESTINATION_BYTES)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(0);
                    let session = ev
                        .get(keys::PHIWATCH_SESSION_ID)
                        .and_then(|v| v.as_str())
                        .map(Box::from);
                    let conn = Conn {
                        src,
                        dst,
                        out: u64::try_from(bytes).unwrap_or(0),
                        inb: u64::try_from(inb).unwrap_or(0),
                        session,
                        ev: Ev::of(ev),
                    };
                    self.hold(conn, out);
                }
            }
        } else if crate::seen::wants_dataset(dataset.unwrap_or(""), NAME_DATASETS) {
            self.learn_names(ev, t);
        }
        self.release(clock.saturating_sub(wait), out);
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.release(i64::MAX, out);
    }

    fn memory_bytes(&self) -> usize {
        let st = &self.st;
        let dests: usize = st
            .dests
            .iter()
            .map(|(k, d)| alloc_size(k.len()) + d.heap_bytes())
            .sum();
        let pairs: usize = st
            .pairs
            .iter()
            .map(|(k, p)| alloc_size(k.len()) + p.heap_bytes())
            .sum();
        let names: usize = st
            .names
            .iter()
            .map(|(_, n)| alloc_size(n.name.capacity()))
            .sum();
        let sessions: usize = st
            .sessions
            .iter()
            .map(|(k, n)| alloc_size(k.len()) + alloc_size(n.name.capacity()))
            .sum();
        let pending = alloc_size(st.pending.capacity() * std::mem::size_of::<Conn>())
            + st.pending
                .iter()
                .map(|c| c.session.as_ref().map_or(0, |s| alloc_size(s.len())))
                .sum::<usize>();
        std::mem::size_of::<Rare>()
            + st.dests.heap_bytes()
            + dests
            + st.pairs.heap_bytes()
            + pairs
            + st.names.heap_bytes()
            + names
            + st.sessions.heap_bytes()
            + sessions
            + pending
            + alloc_size(self.base_buf.capacity())
            + alloc_size(self.key_buf.capacity())
    }

    fn entities(&self) -> usize {
        self.st.dests.len() + self.st.pairs.len()
    }

    fn save(&self) -> serde_json::Value {
        let st = &self.st;
        let saved = Saved {
            version: VERSION,
            start: st.start,
            clock: st.clock,
            counters: self.counters(),
            pending: st.pending.iter().cloned().collect(),
            names: st
                .names
                .iter_oldest_first()
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            sessions: st
                .sessions
                .iter_oldest_first()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            dests: st
                .dests
                .iter_oldest_first()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            pairs: st
                .pairs
                .iter_oldest_first()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            pruned: st.pruned,
        };
        // Keys are strings and addresses, numbers finite: cannot fail.
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let s: Saved = crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        let c = &self.config;
        let mut pending: Vec<Conn> = s.pending;
        // Stable: the saved order of records of one time stays.
        pending.sort_by_key(|c| c.ev.t);
        self.st = State {
            start: s.start,
            clock: s.clock,
            counters: s.counters,
            pending: pending.into(),
            // Saved least recently seen first: the eviction order survives.
            names: Bounded::from_oldest_first(c.name_capacity, s.names),
            sessions: Bounded::from_oldest_first(c.max_pending, s.sessions),
            dests: Bounded::from_oldest_first(c.capacity, s.dests),
            pairs: Bounded::from_oldest_first(c.pair_capacity, s.pairs),
            evicted_base: (s.counters.evicted_destinations, s.counters.evicted_pairs),
            pruned: s.pruned,
        };
        // Evictions while rebuilding into smaller maps count too.
        self.st.evicted_base.0 += std::mem::take(&mut self.st.dests.evicted);
        self.st.evicted_base.1 += std::mem::take(&mut self.st.pairs.evicted);
        Ok(())
    }
}
