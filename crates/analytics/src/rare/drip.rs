//! Slow drip: one internal host's uploads to one rare destination, per UTC
//! day over a sliding window of days, and their verdict.

use std::collections::BTreeMap;
use std::net::IpAddr;

use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::Ev;
use crate::state::alloc_size;
use crate::stats::Window;

/// Nanoseconds in a day.
pub(crate) const DAY_NS: i64 = 86_400 * 1_000_000_000;
/// Nanoseconds in an hour.
const HOUR_NS: i64 = 3_600 * 1_000_000_000;
/// Connection sizes kept per pair for the median.
const SIZES: usize = 64;

/// One UTC day of a pair.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Day {
    /// Days since the epoch.
    pub(crate) day: i64,
    pub(crate) out: u64,
    pub(crate) inb: u64,
    pub(crate) conns: u64,
    /// Connections that sent at least `drip_upload_bytes`.
    pub(crate) uploads: u64,
    /// UTC hours with an upload (bit `h`).
    pub(crate) hours: u32,
    /// The day's first connection.
    pub(crate) first: Ev,
}

/// One (internal host, destination) pair.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Pair {
    pub(crate) host: IpAddr,
    pub(crate) dest: String,
    /// The days in the window, oldest first.
    pub(crate) days: Vec<Day>,

    /// Bytes out of the last connections.
    pub(crate) sizes: Window,
    pub(crate) first: Ev,
    pub(crate) last: Ev,
    /// Time (nanoseconds) and level (1 medium, 2 high) of the last hit.
    pub(crate) last_hit: Option<i64>,
    pub(crate) hit_level: u8,
    pub(crate) hits: u64,
    /// Bytes out and connections since the last hit.
    pub(crate) since_hit_bytes: u64,
    pub(crate) since_hit_conns: u64,
    /// Latest connection (nanoseconds).
    pub(crate) last_seen: i64,
}

/// The window's numbers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    pub(crate) days_active: usize,
    pub(crate) days_seen: usize,
    pub(crate) total_out: u64,
    pub(crate) total_in: u64,
    pub(crate) max_day: u64,
    pub(crate) conns: u64,
    pub(crate) uploads: u64,
    pub(crate) hours_median: f64,
    pub(crate) first_ns: i64,
}

impl Pair {
    pub(crate) fn new(host: IpAddr, dest: &str, ev: Ev) -> Pair {
        Pair {
            host,
            dest: dest.into(),
            days: Vec::new(),
            sizes: Window::new(SIZES),
            first: ev,
            last: ev,
            last_hit: None,
            hit_level: 0,
            hits: 0,
            since_hit_bytes: 0,
            since_hit_conns: 0,
            last_seen: ev.t,
        }
    }

    /// Adds a connection; false when its day has left the window (too late).
    pub(crate) fn add(&mut self, out: u64, inb: u64, ev: Ev, c: &Config) -> bool {
        let t = ev.t;
        let day = t.div_euclid(DAY_NS);
        let window = i64::try_from(c.drip_window_days.max(1)).unwrap_or(i64::MAX);
        let latest = self.last_seen.max(t).div_euclid(DAY_NS);
        let oldest = latest.saturating_sub(window - 1);
        if day < oldest {
            return false;
        }
        self.days.retain(|d| d.day >= oldest);
        let i = match self.days.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => i,
            Err(i) => {
                // A window's few days: grown one at a time.
                self.days.reserve_exact(1);
                self.days.insert(
                    i,
                    Day {
                        day,
                        out: 0,
                        inb: 0,
                        conns: 0,
                        uploads: 0,
                        hours: 0,
                        first: ev,
                    },
                );
                i
            }
        };
        if let Some(d) = self.days.get_mut(i) {
            d.out = d.out.saturating_add(out);
            d.inb = d.inb.saturating_add(inb);
            d.conns += 1;
            if ev.t < d.first.t {
                d.first = ev;
            }
            if out >= c.drip_upload_bytes {
                d.uploads += 1;
                let hour = t.rem_euclid(DAY_NS) / HOUR_NS;
                d.hours |= 1u32 << u32::try_from(hour).unwrap_or(0).min(23);
            }
        }
        self.sizes.push(out as f64);
        if t < self.first.t {
            self.first = ev;
        }
        if t >= self.last.t {
            self.last = ev;
        }
        self.last_seen = self.last_seen.max(t);
        self.since_hit_bytes = self.since_hit_bytes.saturating_add(out);
        self.since_hit_conns += 1;
        true
    }

    /// The window's numbers (days with at least `drip_min_day_bytes` out
    /// are active).
    pub(crate) fn summary(&self, c: &Config) -> Summary {
        // Hours with uploads (0–24) per active day, counted: their median
        // without a list to sort.
        let mut counts = [0usize; 25];
        let mut active = 0usize;
        for d in self.days.iter().filter(|d| d.out >= c.drip_min_day_bytes) {
            active += 1;
            if let Some(n) = counts.get_mut(d.hours.count_ones() as usize) {
                *n += 1;
            }
        }
        Summary {
            days_active: active,
            days_seen: self.days.len(),
            total_out: self.days.iter().fold(0u64, |a, d| a.saturating_add(d.out)),
            total_in: self.days.iter().fold(0u64, |a, d| a.saturating_add(d.inb)),
            max_day: self.days.iter().map(|d| d.out).max().unwrap_or(0),
            conns: self.days.iter().map(|d| d.conns).sum(),
            uploads: self.days.iter().map(|d| d.uploads).sum(),
            hours_median: counted_median(&counts, active),
            first_ns: self.days.first().map_or(self.first.t, |d| d.first.t),
        }
    }

    /// Evidence: the first connection of each day in the window, the
    /// pair's first and last (at most 10, in time order).
    pub(crate) fn evidence(&self) -> Vec<Ev> {
        let mut v: Vec<Ev> = Vec::new();
        v.push(self.first);
        v.extend(self.days.iter().map(|d| d.first));
        v.sort_by_key(|e| e.t);
        v.dedup();
        v.truncate(9);
        if v.last() != Some(&self.last) {
            v.push(self.last);
        }
        v
    }

    /// Heap bytes held (the pair itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.dest.capacity())
            + alloc_size(self.days.capacity() * std::mem::size_of::<Day>())
            + self.sizes.heap_bytes()
    }
}

/// The median of `n` small integers given as counts per value, as
/// [`crate::stats::quantile`] gives it (interpolating between the two
/// middle values); 0 for none.
fn counted_median(counts: &[usize], n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let pos = 0.5 * (n - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = pos - lo as f64;
    // The value at sorted position `i`.
    let at = |i: usize| {
        let mut seen = 0;
        for (v, &k) in counts.iter().enumerate() {
            seen += k;
            if i < seen {
                return v as f64;
            }
        }
        0.0
    };
    let (a, b) = (at(lo), at(hi));
    a + (b - a) * frac
}

/// A pair's verdict: the level (None: not a slow drip) and the window's
/// numbers behind it (no allocation: it runs for every connection to a
/// rare destination).
pub(crate) fn judge(c: &Config, p: &Pair, rare: bool) -> (Option<Level>, Summary) {
    let s = p.summary(c);
    let ratio = s.total_out as f64 / (s.total_in.max(1) as f64);
    let hit = rare
        && s.days_active >= c.drip_min_days
        && s.total_out >= c.drip_min_total_bytes
        && s.max_day <= c.drip_max_day_bytes
        && ratio >= c.drip_min_ratio;
    let spread = s.hours_median >= c.drip_min_hours_per_day;
    let level = hit.then_some(if spread { Level::High } else { Level::Medium });
    (level, s)
}

/// The metrics of a slow-drip hit: the window's numbers and every
/// threshold.
pub(crate) fn metrics(
    c: &Config,
    p: &Pair,
    s: &Summary,
    prevalence: usize,
) -> BTreeMap<String, f64> {
    let ratio = s.total_out as f64 / (s.total_in.max(1) as f64);
    let sizes = p.sizes.sorted();
    let median_conn = sizes.median().unwrap_or(0.0);
    [
        ("days_active", s.days_active as f64),
        ("days_seen", s.days_seen as f64),
        ("total_bytes", s.total_out as f64),
        ("total_bytes_in", s.total_in as f64),
        ("ratio", ratio),
        ("max_day_bytes", s.max_day as f64),
        ("connections", s.conns as f64),
        ("uploads", s.uploads as f64),
        ("median_bytes_per_connection", median_conn),
        (
            "p90_bytes_per_connection",
            sizes.quantile(0.9).unwrap_or(0.0),
        ),
        ("upload_hours_per_day_median", s.hours_median),
        ("prevalence", prevalence as f64),
        (
            "window_start_secs",
            (s.first_ns.div_euclid(1_000_000_000)) as f64,
        ),
        ("previous_hits", p.hits as f64),
        ("bytes_since_last_hit", p.since_hit_bytes as f64),
        ("connections_since_last_hit", p.since_hit_conns as f64),
        ("window_days", c.drip_window_days as f64),
        ("min_days", c.drip_min_days as f64),
        ("min_day_bytes", c.drip_min_day_bytes as f64),
        ("min_total_bytes", c.drip_min_total_bytes as f64),
        ("max_day_bytes_allowed", c.drip_max_day_bytes as f64),
        ("min_ratio", c.drip_min_ratio),
        ("upload_bytes", c.drip_upload_bytes as f64),
        ("min_hours_per_day", c.drip_min_hours_per_day),
        ("max_prevalence", c.max_prevalence as f64),
        ("suppress_secs", c.drip_suppress_secs as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
