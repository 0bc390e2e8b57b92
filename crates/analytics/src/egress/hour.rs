//! One source's state (its open hour and its baselines), and the scoring of
//! a closed hour.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::Ev;
use crate::state::{alloc_size, SmallMap};
use crate::stats::{Sorted, Window};

/// Nanoseconds in an hour.
pub(crate) const HOUR_NS: i64 = 3_600 * 1_000_000_000;

/// Bytes to one destination in the open hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dest {
    pub(crate) out: u64,
    pub(crate) inb: u64,
    pub(crate) first: Ev,
}

/// One source's traffic to external destinations in one UTC hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Bucket {
    /// Hours since the epoch.
    pub(crate) hour: i64,
    /// Bytes sent to counted (external, not allowlisted) destinations.
    pub(crate) out: u64,
    /// Bytes received from them.
    pub(crate) inb: u64,
    /// Bytes sent to allowlisted destinations (not in `out`).
    pub(crate) allowlisted: u64,
    /// Counted connections.
    pub(crate) connections: u64,
    pub(crate) first_ns: i64,
    pub(crate) last_ns: i64,
    /// Per destination, at most [`Config::max_destinations`].
    pub(crate) dests: SmallMap<IpAddr, Dest>,
    /// Destinations past the cap: bytes in `out` but not in `dests`.
    pub(crate) untracked: u64,
    /// Bytes sent to popular destinations (taken out of `out` when the hour
    /// closes).
    #[serde(default)]
    pub(crate) popular: u64,
}

/// One connection record, as counted.
pub(crate) struct Conn {
    pub(crate) t: i64,
    pub(crate) dst: IpAddr,
    pub(crate) out: u64,
    pub(crate) inb: u64,
    pub(crate) allowlisted: bool,
    pub(crate) ev: Ev,
}

impl Bucket {
    pub(crate) fn new(hour: i64, t: i64) -> Bucket {
        Bucket {
            hour,
            out: 0,
            inb: 0,
            allowlisted: 0,
            connections: 0,
            first_ns: t,
            last_ns: t,
            dests: SmallMap::default(),
            untracked: 0,
            popular: 0,
        }
    }

    pub(crate) fn add(&mut self, c: &Conn, max_destinations: usize) {
        self.first_ns = self.first_ns.min(c.t);
        self.last_ns = self.last_ns.max(c.t);
        if c.allowlisted {
            self.allowlisted = self.allowlisted.saturating_add(c.out);
            return;
        }
        self.connections += 1;
        self.out = self.out.saturating_add(c.out);
        self.inb = self.inb.saturating_add(c.inb);
        if !self.dests.contains_key(&c.dst) && self.dests.len() >= max_destinations {
            self.untracked = self.untracked.saturating_add(c.out);
            return;
        }
        let d = self.dests.get_or_insert_with(c.dst, || Dest {
            out: 0,
            inb: 0,
            first: c.ev,
        });
        d.out = d.out.saturating_add(c.out);
        d.inb = d.inb.saturating_add(c.inb);
    }

    /// The `n` destinations that received the most, most first (ties by
    /// address).
    pub(crate) fn top(&self, n: usize) -> Vec<(IpAddr, Dest)> {
        let mut v: Vec<(IpAddr, Dest)> = self.dests.iter().map(|(k, d)| (*k, *d)).collect();
        v.sort_by(|a, b| b.1.out.cmp(&a.1.out).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    /// Heap bytes, the bucket's own included (it is boxed).
    pub(crate) fn memory_bytes(&self) -> usize {
        alloc_size(std::mem::size_of::<Bucket>()) + self.dests.heap_bytes()
    }
}

/// One internal source: its hourly history, per hour of the week, and the
/// open hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Source {
    /// Past hourly totals (hours with traffic).
    pub(crate) history: Window,
    /// Past totals of each hour of the week (0 = Monday 00:00 UTC).
    pub(crate) week: BTreeMap<u8, Window>,
    /// The open hour (boxed: idle sources hold none).
    pub(crate) open: Option<Box<Bucket>>,
}

impl Source {
    pub(crate) fn new(c: &Config) -> Source {
        Source {
            history: Window::new(c.history),
            week: BTreeMap::new(),
            open: None,
        }
    }

    /// Adds a closed hour's total to the baselines.
    pub(crate) fn learn(&mut self, hour: i64, bytes: u64, c: &Config) {
        if bytes == 0 {
            return;
        }
        self.history.push(bytes as f64);
        self.week
            .entry(hour_of_week(hour))
            .or_insert_with(|| Window::new(c.week_history))
            .push(bytes as f64);
    }

    /// Heap bytes held (the source itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.history.heap_bytes()
            + self
                .week
                .values()
                .map(|w| w.heap_bytes() + std::mem::size_of::<Window>() + 8)
                .sum::<usize>()
            + self.open.as_deref().map_or(0, Bucket::memory_bytes)
    }
}

/// Hour of the week of `hour` (hours since the epoch): 0 is Monday
/// 00:00–01:00 UTC (the epoch was a Thursday).
pub(crate) fn hour_of_week(hour: i64) -> u8 {
    // rem_euclid(168) is in 0..168: it fits.
    u8::try_from((hour + 72).rem_euclid(168)).unwrap_or(0)
}

/// The population's hourly totals before the hour being closed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Peers {
    pub(crate) n: usize,
    pub(crate) median: f64,
    pub(crate) mad: f64,
    pub(crate) q99: f64,
}

impl Peers {
    /// By selection: the peers hold thousands of hours.
    pub(crate) fn of(w: &Window) -> Peers {
        let mut s = w.selector();
        Peers {
            n: w.len(),
            median: s.median().unwrap_or(0.0),
            mad: s.mad().unwrap_or(0.0),
            q99: s.quantile(0.99).unwrap_or(0.0),
        }
    }
}

/// A closed hour's verdict and the numbers behind it.
pub(crate) struct Verdict {
    pub(crate) hit: bool,
    pub(crate) metrics: BTreeMap<String, f64>,
}

/// Robust z of `v` against sorted values (spread floor `floor`), 0 when
/// empty.
fn z_of(w: &Sorted, v: f64, floor: f64) -> f64 {
    w.robust_z(v, floor).unwrap_or(0.0)
}

/// Judges a closed hour of `bytes` against the source's baselines and the
/// peers' (see the module docs of `egress`).
pub(crate) fn judge(c: &Config, b: &Bucket, s: &Source, p: &Peers) -> Verdict {
    let bytes = b.out as f64;
    let floor = c.z_floor_bytes as f64;
    let ratio = bytes / (b.inb.max(1) as f64);
    // One sort per baseline for all its numbers.
    let own = s.history.sorted();
    let own_n = own.len();
    let own_q99 = own.quantile(0.99).unwrap_or(0.0);
    let own_z = z_of(&own, bytes, floor);
    let week = s
        .week
        .get(&hour_of_week(b.hour))
        .map(Window::sorted)
        .unwrap_or_default();
    let week_q99 = week.quantile(0.99).unwrap_or(0.0);
    let week_z = z_of(&week, bytes, floor);
    let week_used = week.len() >= c.min_week_samples;
    let peer_spread = (p.mad * 1.4826).max(floor).max(f64::MIN_POSITIVE);
    let peer_z = if p.n == 0 {
        0.0
    } else {
        (bytes - p.median) / peer_spread
    };

    let over_floor = b.out >= c.min_bytes;
    let ratio_ok = c.min_ratio <= 0.0 || ratio >= c.min_ratio;
    let by_own = own_n >= c.min_samples && own_z >= c.min_z && bytes >= own_q99 * c.quantile_factor;
    let by_peers = own_n < c.min_samples
        && p.n >= c.min_samples
        && bytes >= p.q99 * c.peer_factor
        && b.out >= c.new_source_bytes;
    // No baseline at all (everything before went to popular services, or
    // nothing came before): only volumes from the critical size.
    let by_floor = own_n < c.min_samples && p.n < c.min_samples && b.out >= c.critical_bytes;
    let week_ok = !week_used || (week_z >= c.min_z && bytes >= week_q99 * c.quantile_factor);
    let hit = over_floor && ratio_ok && week_ok && (by_own || by_peers || by_floor);

    let flag = |x: bool| f64::from(u8::from(x));
    let metrics = [
        ("bytes_out", bytes),
        ("bytes_in", b.inb as f64),
        ("ratio", ratio),
        ("allowlisted_bytes", b.allowlisted as f64),
        ("popular_bytes", b.popular as f64),
        ("popular_sources", c.popular_sources as f64),
        ("connections", b.connections as f64),
        ("destinations", b.dests.len() as f64),
        ("untracked_bytes", b.untracked as f64),
        ("own_samples", own_n as f64),
        ("own_median", own.median().unwrap_or(0.0)),
        ("own_mad", own.mad().unwrap_or(0.0)),
        ("own_q99", own_q99),
        ("own_z", own_z),
        ("week_samples", week.len() as f64),
        ("week_median", week.median().unwrap_or(0.0)),
        ("week_q99", week_q99),
        ("week_z", week_z),
        ("peer_samples", p.n as f64),
        ("peer_median", p.median),
        ("peer_mad", p.mad),
        ("peer_q99", p.q99),
        ("peer_z", peer_z),
        ("by_own", flag(by_own)),
        ("by_peers", flag(by_peers)),
        ("by_floor", flag(by_floor)),
        ("week_used", flag(week_used)),
        ("min_bytes", c.min_bytes as f64),
        ("min_z", c.min_z),
        ("z_floor_bytes", floor),
        ("min_samples", c.min_samples as f64),
        ("min_week_samples", c.min_week_samples as f64),
        ("quantile_factor", c.quantile_factor),
        ("peer_factor", c.peer_factor),
        ("new_source_bytes", c.new_source_bytes as f64),
        ("critical_bytes", c.critical_bytes as f64),
        ("min_ratio", c.min_ratio),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Verdict { hit, metrics }
}
