//! Egress volume: an internal source that sends far more to the Internet in
//! an hour than it, or its peers, usually do is moving data out (ATT&CK
//! T1048, T1041).
//!
//! Connection records ([`Config::datasets`]: Zeek `conn`, AWS VPC flow
//! logs) from a source inside [`Config::internal`] to a destination outside
//! it are summed per source and aligned UTC hour: `source.bytes` (bytes
//! sent by the source) as bytes out, `destination.bytes` as bytes in, and
//! per destination. Destinations in [`Config::allowlist`] (backups,
//! software updates, video calls) are not counted; their bytes are reported
//! as `allowlisted_bytes`.
//!
//! Event time drives the clock: an hour closes when an event of a later
//! hour arrives (or at [`Analytic::finish`]); events of an hour already
//! closed are counted as late and dropped. A closed hour of `bytes` out is
//! judged against three baselines of past hours with traffic:
//!
//! - the source's own history ([`Config::history`] hours): robust z (median,
//!   MAD, spread at least [`Config::z_floor_bytes`]) and 99th percentile;
//! - the same hour of the week's history ([`Config::week_history`] weeks),
//!   used once it holds [`Config::min_week_samples`]: a weekly job is not
//!   news;
//! - the peer group: every internal source's hourly totals
//!   ([`Config::peer_history`]), for sources whose own history is short.
//!
//! It is a hit when `bytes ≥` [`Config::min_bytes`], the out/in ratio is at
//! least [`Config::min_ratio`], the hour of the week (when used) agrees
//! (`z ≥ min_z` and `bytes ≥ its q99 ×` [`Config::quantile_factor`]), and
//! either the own history holds [`Config::min_samples`] hours with
//! `z ≥` [`Config::min_z`] and `bytes ≥ q99 × quantile_factor`, or it is
//! shorter and `bytes ≥ peer q99 ×` [`Config::peer_factor`] and
//! `bytes ≥` [`Config::new_source_bytes`], or neither the source nor the
//! peers have a baseline yet and `bytes ≥` [`Config::critical_bytes`]. Level
//! high; critical from [`Config::critical_bytes`].
//!
//! Destination networks (IPv4 /24, IPv6 /48) that at least
//! [`Config::popular_sources`] internal sources send to are sanctioned
//! services (video calls, SaaS, update mirrors): their bytes are taken out of
//! the hour before it is judged and reported as `popular_bytes`. The price:
//! exfiltration to a service everyone uses is not this analytic's to see (the
//! rare-destination analytic and the Sigma rules on file-sharing services
//! look there). The hit names the top three destinations of
//! the hour (`destination` is the top one) with their bytes.
//!
//! ```
//! use phiwatch_analytics::egress::{Config, Egress};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let conn = |hour: i64, bytes: i64, dst: &str| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + hour * 3600).unwrap());
//!     ev.push_norm_str(keys::EVENT_DATASET, "zeek.conn");
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("10.0.1.30".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip(dst.parse().unwrap()));
//!     ev.push_norm(keys::SOURCE_BYTES, Value::Int(bytes));
//!     ev.push_norm(keys::DESTINATION_BYTES, Value::Int(bytes / 10));
//!     ev
//! };
//! let mut a = Egress::new(Config::default());
//! let mut hits = Vec::new();
//! for h in 0..48 {
//!     a.observe(&conn(h, 10_000_000 + h * 100_000, "198.51.100.7"), &mut hits);
//! }
//! a.observe(&conn(48, 2_000_000_000, "203.0.113.9"), &mut hits);
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].group["destination"], "203.0.113.9");
//! ```

mod hour;

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp};
use phiwatch_finding::{Entity, Level};
use serde::{Deserialize, Serialize};

pub use crate::net::Cidr;
use crate::state::{alloc_size, push_capped, Bounded};
use crate::stats::{human_bytes as human, Window};
use crate::{Analytic, AnalyticHit, StateError};
use hour::{judge, Bucket, Conn, Peers, Source, HOUR_NS};

use crate::seen::Ev;

const NAME: &str = "egress-volume";
const VERSION: u64 = 1;
const TAGS: [&str; 3] = ["attack.exfiltration", "attack.t1048", "attack.t1041"];
/// Destinations named in a hit.
const TOP: usize = 3;

/// Thresholds and sizes of [`Egress`]; every field has a default
/// (`#[serde(default)]`), and every threshold is repeated in the hit's
/// metrics. Bytes are decimal (1 MB = 1 000 000 bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Internal networks (default [`crate::net::default_internal`]; CGNAT
    /// `100.64.0.0/10` is external). Sources inside are scored,
    /// destinations outside counted.
    pub internal: Vec<Cidr>,
    /// Destinations whose bytes are not counted (backup targets, update
    /// mirrors, video-call services): none by default.
    pub allowlist: Vec<Cidr>,
    /// `event.dataset` values that are connection records (default
    /// `zeek.conn`, `aws.vpcflow`); empty: every event with both addresses
    /// and `source.bytes`.
    pub datasets: Vec<String>,
    /// Bytes out in an hour below which nothing is reported (default
    /// 50 MB).
    pub min_bytes: u64,
    /// Smallest spread (bytes) used by the robust z-scores, so a flat
    /// history does not make every change an outlier (default 1 MB).
    pub z_floor_bytes: u64,
    /// Hours in the own history before it is used (default 24).
    pub min_samples: usize,
    /// Robust z against the own history (and the hour of the week) for a
    /// hit (default 5).
    pub min_z: f64,
    /// Bytes must also be at least this times the history's 99th
    /// percentile (default 3).
    pub quantile_factor: f64,
    /// For a source with a short history: bytes at least this times the
    /// peers' 99th percentile (default 10) ...
    pub peer_factor: f64,
    /// ... and at least this many bytes (default 200 MB).
    pub new_source_bytes: u64,
    /// Bytes out from which a hit is critical (default 1 GB).
    pub critical_bytes: u64,
    /// Bytes out / bytes in at least this for a hit (default 0: off).
    pub min_ratio: f64,
    /// Past hours (with traffic) kept per source (default 336: two weeks).
    pub history: usize,
    /// Past weeks kept per hour of the week (default 4).
    pub week_history: usize,
    /// Weeks of an hour of the week before that view is used (default 3).
    pub min_week_samples: usize,
    /// Hourly totals of all sources kept for the peer view (default 10 000).
    pub peer_history: usize,
    /// Destinations tracked per source and hour; bytes to more are counted
    /// in the total as `untracked_bytes` (default 10 000).
    pub max_destinations: usize,
    /// Sources tracked; the least recently seen are evicted (default
    /// 100 000).
    pub capacity: usize,
    /// A destination network (IPv4 /24, IPv6 /48) that this many distinct
    /// internal sources have sent to is popular: a sanctioned service
    /// (video calls, SaaS, update mirrors). Bytes to it are left out of the
    /// score and reported as `popular_bytes` (default 5; 0: off).
    pub popular_sources: usize,
    /// Destination networks tracked for popularity (default 100 000).
    pub popular_capacity: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            internal: crate::net::default_internal(),
            allowlist: Vec::new(),
            datasets: vec!["zeek.conn".to_string(), "aws.vpcflow".to_string()],
            min_bytes: 50_000_000,
            z_floor_bytes: 1_000_000,
            min_samples: 24,
            min_z: 5.0,
            quantile_factor: 3.0,
            peer_factor: 10.0,
            new_source_bytes: 200_000_000,
            critical_bytes: 1_000_000_000,
            min_ratio: 0.0,
            history: 336,
            week_history: 4,
            min_week_samples: 3,
            peer_history: 10_000,
            max_destinations: 10_000,
            capacity: 100_000,
            popular_sources: 5,
            popular_capacity: 100_000,
        }
    }
}

/// What the analytic saw and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Connections counted (internal source, external destination, right
    /// dataset), allowlisted ones included.
    pub connections: u64,
    /// Of those, to an allowlisted destination.
    pub allowlisted: u64,
    /// Events of an hour already closed (out of order, clock skew): dropped.
    pub late: u64,
    /// Source-hours closed and judged.
    pub hours_closed: u64,
    /// Hits reported.
    pub hits: u64,
}

/// The egress volume analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct Egress {
    config: Config,
    sources: Bounded<IpAddr, Source>,
    /// Every source's past hourly totals.
    peers: Window,
    /// Distinct internal sources per destination network (up to
    /// `popular_sources` of them).
    popular: Bounded<IpAddr, Vec<IpAddr>>,
    /// The open hour (hours since the epoch).
    hour: Option<i64>,
    counters: Counters,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    hour: Option<i64>,
    counters: Counters,
    peers: Window,
    sources: Bounded<IpAddr, Source>,
    #[serde(default)]
    popular: Option<Bounded<IpAddr, Vec<IpAddr>>>,
}

impl Egress {
    /// An analytic with `config`.
    pub fn new(config: Config) -> Egress {
        Egress {
            sources: Bounded::new(config.capacity),
            peers: Window::new(config.peer_history),
            popular: Bounded::new(config.popular_capacity),
            hour: None,
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
        self.counters
    }

    /// Sources evicted to stay within [`Config::capacity`].
    pub fn evicted(&self) -> u64 {
        self.sources.evicted
    }

    fn internal(&self, ip: IpAddr) -> bool {
        self.config.internal.iter().any(|c| c.contains(ip))
    }

    /// The connection in `ev`, if it is one this analytic counts.
    fn conn(&self, ev: &Event) -> Option<(IpAddr, Conn)> {
        if !self.config.datasets.is_empty() {
            let ds = ev.get(keys::EVENT_DATASET).and_then(|v| v.as_str())?;
            if !self.config.datasets.iter().any(|d| d == ds) {
                return None;
            }
        }
        let src = ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip())?;
        let dst = ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip())?;
        if !self.internal(src) || self.internal(dst) {
            return None;
        }
        let bytes = |k| {
            ev.get(k)
                .and_then(|v| v.as_i64())
                .map_or(0, |b| u64::try_from(b).unwrap_or(0))
        };
        let out = ev.get(keys::SOURCE_BYTES).and_then(|v| v.as_i64())?;
        Some((
            src,
            Conn {
                t: ev.time().as_nanos(),
                dst,
                out: u64::try_from(out).unwrap_or(0),
                inb: bytes(keys::DESTINATION_BYTES),
                allowlisted: self.config.allowlist.iter().any(|c| c.contains(dst)),
                ev: Ev::of(ev),
            },
        ))
    }

    /// Notes that `src` sent to `dst` (popularity).
    fn note_popular(&mut self, src: IpAddr, dst: IpAddr) {
        let need = self.config.popular_sources;
        if need == 0 {
            return;
        }
        let seen = self.popular.entry(&network(dst), Vec::new);
        if seen.len() < need && !seen.contains(&src) {
            push_capped(seen, src, need);
        }
    }

    /// Whether `dst`'s network is popular.
    fn is_popular(&self, dst: IpAddr) -> bool {
        let need = self.config.popular_sources;
        need > 0
            && self
                .popular
                .get(&network(dst))
                .is_some_and(|v| v.len() >= need)
    }

    /// Closes every open hour before `hour`, judging each.
    fn close_before(&mut self, hour: i64, out: &mut Vec<AnalyticHit>) {
        let mut closed: Vec<(IpAddr, Bucket)> = Vec::new();
        for (ip, s) in self.sources.iter_mut() {
            if let Some(b) = s.open.take_if(|b| b.hour < hour) {
                closed.push((*ip, *b));
            }
        }
        if closed.is_empty() {
            return;
        }
        closed.sort_by_key(|(ip, b)| (b.hour, *ip));
        // Peers are the hours before the ones closing now.
        let peers = Peers::of(&self.peers);
        for (ip, mut b) in closed {
            self.counters.hours_closed += 1;
            let popular: Vec<IpAddr> = b
                .dests
                .keys()
                .copied()
                .filter(|d| self.is_popular(*d))
                .collect();
            for d in popular {
                if let Some(x) = b.dests.remove(&d) {
                    b.out = b.out.saturating_sub(x.out);
                    b.inb = b.inb.saturating_sub(x.inb);
                    b.popular = b.popular.saturating_add(x.out);
                }
            }
            let source = self.sources.entry(&ip, || Source::new(&self.config));
            let verdict = judge(&self.config, &b, source, &peers);
            source.learn(b.hour, b.out, &self.config);
            if b.out > 0 {
                self.peers.push(b.out as f64);
            }
            if verdict.hit {
                self.counters.hits += 1;
                out.push(make_hit(&self.config, ip, &b, verdict.metrics));
            }
        }
    }
}

/// The network a destination's popularity is counted on: its /24 (IPv4)
/// or /48 (IPv6).
fn network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            IpAddr::V4(std::net::Ipv4Addr::new(o[0], o[1], o[2], 0))
        }
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(
            u128::from(v6) & !((1u128 << 80) - 1),
        )),
    }
}

fn make_hit(
    c: &Config,
    ip: IpAddr,
    b: &Bucket,
    mut metrics: std::collections::BTreeMap<String, f64>,
) -> AnalyticHit {
    let level = if b.out >= c.critical_bytes {
        Level::Critical
    } else {
        Level::High
    };
    let top = b.top(TOP);
    let mut group = std::collections::BTreeMap::new();
    group.insert("source".to_string(), ip.to_string());
    for (i, (dst, d)) in top.iter().enumerate() {
        let key = match i {
            0 => "destination".to_string(),
            n => format!("destination_{}", n + 1),
        };
        metrics.insert(format!("{key}_bytes"), d.out as f64);
        metrics.insert(format!("{key}_bytes_in"), d.inb as f64);
        group.insert(key, dst.to_string());
    }
    let start = Timestamp::from_nanos(b.hour.saturating_mul(HOUR_NS));
    metrics.insert("hour_start_secs".to_string(), start.as_secs() as f64);
    let to = top
        .first()
        .map_or_else(String::new, |(d, _)| format!(", most to {d}"));
    AnalyticHit {
        analytic: NAME,
        title: format!(
            "Unusual egress volume from {ip}: {} out in the hour from {}{to}",
            human(b.out),
            start.to_rfc3339()
        ),
        level,
        time: Timestamp::from_nanos(b.first_ns),
        end_time: Timestamp::from_nanos(b.last_ns),
        entity: Entity {
            ip: Some(ip.to_string()),
            ..Entity::default()
        },
        tags: TAGS.iter().map(|s| s.to_string()).collect(),
        metrics,
        group,
        evidence: top.iter().map(|(_, d)| d.first.to_pair()).collect(),
    }
}

impl Analytic for Egress {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, dataset: &str) -> bool {
        crate::seen::listed(&self.config.datasets, dataset)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let Some((src, conn)) = self.conn(ev) else {
            return;
        };
        let hour = conn.t.div_euclid(HOUR_NS);
        match self.hour {
            Some(h) if hour < h => {
                self.counters.late += 1;
                return;
            }
            Some(h) if hour > h => self.close_before(hour, out),
            _ => {}
        }
        self.hour = Some(hour);
        self.counters.connections += 1;
        self.counters.allowlisted += u64::from(conn.allowlisted);
        self.note_popular(src, conn.dst);
        let max = self.config.max_destinations;
        let source = self.sources.entry(&src, || Source::new(&self.config));
        source
            .open
            .get_or_insert_with(|| Box::new(Bucket::new(hour, conn.t)))
            .add(&conn, max);
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.close_before(i64::MAX, out);
    }

    fn memory_bytes(&self) -> usize {
        self.sources.heap_bytes()
            + self
                .sources
                .iter()
                .map(|(_, s)| s.heap_bytes())
                .sum::<usize>()
            + self.peers.heap_bytes()
            + self.popular.heap_bytes()
            + self
                .popular
                .iter()
                .map(|(_, v)| alloc_size(v.capacity() * std::mem::size_of::<IpAddr>()))
                .sum::<usize>()
            + std::mem::size_of::<Egress>()
    }

    fn entities(&self) -> usize {
        self.sources.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            hour: Option<i64>,
            counters: Counters,
            peers: &'a Window,
            sources: &'a Bounded<IpAddr, Source>,
            popular: &'a Bounded<IpAddr, Vec<IpAddr>>,
        }
        let saved = SavedRef {
            version: VERSION,
            hour: self.hour,
            counters: self.counters,
            peers: &self.peers,
            sources: &self.sources,
            popular: &self.popular,
        };
        // Keys are addresses and numbers are finite: serializing cannot fail.
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let s: Saved = crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        self.hour = s.hour;
        self.counters = s.counters;
        self.peers = s.peers;
        self.sources = s.sources;
        if let Some(p) = s.popular {
            self.popular = p;
        }
        Ok(())
    }
}
