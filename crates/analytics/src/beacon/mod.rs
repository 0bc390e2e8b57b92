//! Beaconing: a source that connects to the same external destination at
//! regular intervals, scored per (source, destination, port) pair over a
//! window in the way of RITA, with a periodicity score and a split by size
//! so that a heartbeat still stands out when other traffic (periodic
//! uploads, interactive use) shares the pair; and long connections to
//! external destinations.
//!
//! # Series
//!
//! Over one window a pair has `n` connections (all counted; the most recent
//! `per_pair` kept with their start time and bytes sent, `source.bytes`).
//! The kept connections are scored as one series, and split by size: sorted
//! by bytes sent, a new *size class* starts wherever one size is at least
//! [`Config::size_class_ratio`] times the previous one (both raised to
//! `size_madm_floor_bytes`), so sub-kilobyte heartbeats and multi-megabyte
//! uploads on one connection series are two classes, while the continuous
//! sizes of browsing stay one. Every class with at least `min_connections`
//! connections is scored on its own too. A series may be reported when it
//! has `min_connections` connections spanning at least `min_span_secs`;
//! the best one of the pair is (ties to the whole pair), and the hit names
//! the class and carries the whole pair's score (`score_all`).
//!
//! # Score of a series
//!
//! Start times sorted, intervals `d` the differences of neighbours, in
//! seconds, `Q1 ≤ Q2 ≤ Q3` their quartiles (linear interpolation):
//!
//! - **interval score** `= (skew_score + madm_score) / 2`, with the Bowley
//!   skewness `skew = (Q3 + Q1 − 2·Q2) / (Q3 − Q1)` (0 when `Q3 = Q1`),
//!   `skew_score = 1 − |skew|`, and `madm_score = clamp(1 − madm / (Q2 ·
//!   interval_madm_ratio), 0, 1)` for `madm = median(|d − Q2|)`;
//! - **period** `P`: the median of the densest band `[x, x·(1 + 2·tol)]`
//!   of the intervals of at least `min_interval_secs`, `tol =
//!   period_tolerance` (a jittered heartbeat's intervals pile up there even
//!   when other connections cut some of them);
//! - **period score**: of the connections followed by another one of the
//!   series within `P·(1 ± tol)`, or early enough (`P·(1 + tol)` before
//!   the end of the time observed) to have been, the share `f` that are
//!   followed, above chance: `clamp((f − c) / (1 − c), 0, 1)` where `c = 1
//!   − exp(−r · 2·tol·P)` is the share random (Poisson) arrivals at the
//!   series' own rate `r = (n − 1) / (last − first)` would reach. A
//!   heartbeat scores about 1 whatever else happens between its beats;
//!   random arrivals, busy hours or not, about 0;
//! - **count score** `= clamp((n − 1)·P / (end − first), 0, 1)`: the
//!   connections seen against those a beacon at period `P` would have made
//!   from the series' first connection to the end of the time observed (the
//!   window's end, the last event at the end of the input, or the latest
//!   event at a check): a beacon that stopped, or misses beats, scores less;
//! - **size score**, on the bytes sent, when at least half the series
//!   carries a size: the same skewness and MADM, with `madm_score = clamp(1
//!   − madm / max(Q2 · size_madm_ratio, size_madm_floor_bytes), 0, 1)`,
//!   and `size_score = (skew_score + madm_score) / 2`.
//!
//! The interval, count and period scores are 0 when `Q2 <
//! min_interval_secs` (a burst, not a beacon). **Score** = the weighted
//! mean of the interval, count, period and size scores (weights
//! `interval_weight` 0.3, `count_weight` 0.2, `period_weight` 0.3,
//! `size_weight` 0.2 by default; the size left out when unknown). Timing
//! weighs more than size: sizes already split the series, and requests of
//! a constant size at random times (API calls) are common and benign.
//! The earlier RITA-style score (timing and size one half each, no period)
//! is the whole pair alone (`size_class_ratio` 1) with weights 2, 1, 0, 3.
//!
//! # Reporting
//!
//! A pair is reported when its best series scores at least `min_score`
//! (level medium; high from `high_score`), at the first check (every
//! `check_secs` of event time) or window close that finds it. When at
//! least `fleet_sources` sources beacon to one destination and port in a
//! window, it is a shared service (update checks, time, SaaS polling) and
//! its beacons are reported at level low. A pair reported is not reported
//! again for `suppress_secs` unless its level rises; its next hit counts
//! the windows suppressed meanwhile. Checks use the same thresholds as the
//! close (a series seen so far, until the latest event); `min_span_secs`
//! keeps a page that polls for a few minutes from being reported. Every
//! score, its parts and every threshold are in the hit's metrics
//! (`observed_s` is the count score's denominator: the hit's `time` plus
//! `observed_s` is when it was decided).
//!
//! # Memory
//!
//! Per pair in the open window: 8 bytes per connection kept (at most
//! `per_pair`: 16 KiB by default), up to 9 evidence records of 48 bytes,
//! the two address strings and about 200 bytes of map entry. Per pair
//! reported within `suppress_secs`: about 100 bytes. Both maps are bounded
//! by `capacity`; evictions are counted.
//!
//! **Long connections**: one hit (medium), at once, the first time in a
//! window a connection of the pair lasts `long_conn_secs` or more
//! (`event.duration`).
//!
//! Only connection records count (`Config::datasets`), to destinations
//! outside `Config::internal` (unless `include_internal`) and outside
//! `Config::allow`. Events older than the open window are counted late and
//! ignored; within the window, order does not matter.
//!
//! ```
//! use phiwatch_analytics::beacon::{Beacon, Config};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let mut b = Beacon::new(Config::default());
//! let mut hits = Vec::new();
//! let conn = |secs: i64, bytes: i64| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + secs).unwrap());
//!     ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("10.1.0.7".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip("203.0.113.9".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
//!     ev.push_norm(keys::SOURCE_BYTES, Value::Int(bytes));
//!     ev
//! };
//! for i in 0..100 {
//!     // A heartbeat every 5 minutes, and an upload after every sixth beat.
//!     b.observe(&conn(i * 300, 512), &mut hits);
//!     if i % 6 == 5 {
//!         b.observe(&conn(i * 300 + 120, 3_000_000), &mut hits);
//!     }
//! }
//! b.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! let m = &hits[0].metrics;
//! // The heartbeat alone is scored: a perfect beacon, reported by the
//! // hourly check at 02:00, its 25th beat, before the window closes.
//! assert_eq!((m["series_connections"], m["series_max_bytes"]), (25.0, 512.0));
//! assert!(m["score"] > 0.99 && m["score"] > m["score_all"]);
//! assert_eq!(m["early"], 1.0);
//! ```

mod config;
mod report;
mod score;
mod series;

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp};
use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

pub use config::{Cidr, CidrError, Config};

use crate::seen::Ev;
use crate::state::Bounded;
use crate::{Analytic, AnalyticHit, StateError};

const NAME: &str = "beacon";
const NANOS: i64 = 1_000_000_000;
const MILLIS: i64 = 1_000_000;
/// Bytes sent not known.
const UNKNOWN: u32 = u32::MAX;
/// Longest window: offsets are milliseconds in a `u32`.
const MAX_WINDOW_SECS: u64 = 49 * 86_400;
/// Evidence kept per pair: the 1st, 2nd, 4th, … connection (at most this
/// many), and the last.
const EVIDENCE_MAX: usize = 8;
/// Version 2: evidence with sizes, suppression gates, checks. Version 1 is
/// read too.
const SAVE_VERSION: u64 = 2;

type PairKey = (String, String, u16);

/// What the analytic has counted since it was made (restored with its
/// state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Connection records scored (right dataset, both addresses, external
    /// or internal allowed, not allowlisted, in the open window).
    pub connections: u64,
    /// Connections skipped: internal destination.
    pub internal: u64,
    /// Connections skipped: allowlisted destination.
    pub allowed: u64,
    /// Events older than the open window (out of order or clock skew),
    /// ignored.
    pub late: u64,
    /// Windows closed.
    pub windows: u64,
    /// Checks of an open window.
    pub checks: u64,
    /// Beacon hits reported.
    pub beacon_hits: u64,
    /// Of those, reported at a check, before their window closed.
    pub early_hits: u64,
    /// Beacon hits lowered to level low: a destination of a fleet.
    pub fleet_hits: u64,
    /// Windows in which a pair reported before scored as a beacon again and
    /// was not reported (suppression).
    pub suppressed: u64,
    /// Long-connection hits reported.
    pub long_hits: u64,
    /// Pairs evicted to stay within the capacity.
    pub evicted: u64,
    /// Suppression records evicted to stay within the capacity.
    pub gates_evicted: u64,
}

/// One pair's connections in the open window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct PairState {
    /// The most recent connections: milliseconds since the window's start,
    /// bytes sent ([`UNKNOWN`] when not known).
    conns: VecDeque<(u32, u32)>,
    /// Connections in the window.
    count: u64,
    /// Bytes sent and received in the window.
    bytes_out: u64,
    bytes_in: u64,
    /// Whether a long connection was reported in this window.
    long_reported: bool,
    /// Latest start, milliseconds since the window's start.
    last_ms: u32,
    /// The 1st, 2nd, 4th, … connection, with its bytes sent.
    evidence: Vec<(Ev, u32)>,
    last: Option<(Ev, u32)>,
    /// Connections at the last check that scored the pair: a check skips
    /// a pair with none since (its score can only have fallen).
    #[serde(default)]
    checked: u64,
}

/// The last hit of a pair, for the suppression.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Gate {
    /// When it was reported (check or window end), nanoseconds.
    at: i64,
    level: Level,
    /// Windows suppressed since.
    suppressed: u64,
}

/// The open window (nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Clock {
    start: i64,
    end: i64,
    /// First and last event seen in the window.
    first: i64,
    last: i64,
    /// Time of the next check (`i64::MAX`: none).
    #[serde(default = "never")]
    next_check: i64,
}

fn never() -> i64 {
    i64::MAX
}

/// The beaconing analytic (`beacon`): see the module documentation.
#[derive(Debug)]
pub struct Beacon {
    config: Config,
    window_ns: i64,
    check_ns: i64,
    suppress_ns: i64,
    pairs: Bounded<PairKey, PairState>,
    gates: Bounded<PairKey, Gate>,
    clock: Option<Clock>,
    counters: Counters,
}

/// The saved state (version 2).
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    window_ns: i64,
    clock: Option<Clock>,
    counters: Counters,
    pairs: Vec<(String, String, u16, PairState)>,
    #[serde(default)]
    gates: Vec<(String, String, u16, Gate)>,
}

/// A pair as version 1 saved it: evidence without sizes.
#[derive(Deserialize)]
struct PairStateV1 {
    conns: VecDeque<(u32, u32)>,
    count: u64,
    bytes_out: u64,
    bytes_in: u64,
    long_reported: bool,
    last_ms: u32,
    evidence: Vec<Ev>,
    last: Option<Ev>,
}

/// The state version 1 saved.
#[derive(Deserialize)]
struct SavedV1 {
    window_ns: i64,
    clock: Option<Clock>,
    counters: Counters,
    pairs: Vec<(String, String, u16, PairStateV1)>,
}

impl From<SavedV1> for Saved {
    fn from(v: SavedV1) -> Saved {
        let pairs = v
            .pairs
            .into_iter()
            .map(|(s, d, p, st)| {
                let st = PairState {
                    conns: st.conns,
                    count: st.count,
                    bytes_out: st.bytes_out,
                    bytes_in: st.bytes_in,
                    long_reported: st.long_reported,
                    last_ms: st.last_ms,
                    evidence: st.evidence.into_iter().map(|e| (e, UNKNOWN)).collect(),
                    last: st.last.map(|e| (e, UNKNOWN)),
                    checked: 0,
                };
                (s, d, p, st)
            })
            .collect();
        Saved {
            version: SAVE_VERSION,
            window_ns: v.window_ns,
            clock: v.clock,
            counters: v.counters,
            pairs,
            gates: Vec::new(),
        }
    }
}

/// Seconds as nanoseconds, saturating.
fn secs_ns(secs: u64) -> i64 {
    i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(NANOS)
}

impl Beacon {
    /// An analytic with these settings.
    pub fn new(config: Config) -> Beacon {
        let secs = config.window_secs.clamp(1, MAX_WINDOW_SECS);
        Beacon {
            window_ns: secs as i64 * NANOS,
            check_ns: secs_ns(config.check_secs),
            suppress_ns: secs_ns(config.suppress_secs),
            pairs: Bounded::new(config.capacity),
            gates: Bounded::new(config.capacity),
            clock: None,
            counters: Counters::default(),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it has counted so far.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted: self.pairs.evicted,
            gates_evicted: self.gates.evicted,
            ..self.counters
        }
    }

    /// The first check after `t` (none when checks are off).
    fn next_check(&self, t: i64) -> i64 {
        if self.check_ns <= 0 {
            return i64::MAX;
        }
        t.div_euclid(self.check_ns)
            .checked_add(1)
            .and_then(|k| k.checked_mul(self.check_ns))
            .unwrap_or(i64::MAX)
    }

    /// Moves the clock to `t`, closing the open window when `t` is past it.
    /// False when `t` is before the open window.
    fn advance(&mut self, t: i64, out: &mut Vec<AnalyticHit>) -> bool {
        if let Some(c) = self.clock.as_mut() {
            if t < c.start {
                return false;
            }
            if t < c.end {
                c.first = c.first.min(t);
                c.last = c.last.max(t);
                return true;
            }
            let end = c.end;
            self.close(end, out);
        }
        let Some(start) = t.div_euclid(self.window_ns).checked_mul(self.window_ns) else {
            return false;
        };
        self.clock = Some(Clock {
            start,
            end: start.saturating_add(self.window_ns),
            first: t,
            last: t,
            next_check: self.next_check(t),
        });
        true
    }

    /// Scores every pair of the open window observed until `until`
    /// (nanoseconds) and reports the beacons (in pair order); `closing`:
    /// the window closes (and is emptied).
    fn check(&mut self, until: i64, closing: bool, out: &mut Vec<AnalyticHit>) {
        let Some(clock) = self.clock else {
            return;
        };
        let c = &self.config;
        let end = (until.min(clock.end) - clock.start) as f64 / NANOS as f64;
        let params = series::params(c);
        let mut found: Vec<(&PairKey, &PairState, series::Best)> = self
            .pairs
            .iter()
            .filter(|(_, st)| st.count >= c.min_connections && (closing || st.checked < st.count))
            .filter_map(|(k, st)| Some((k, st, series::best(st, end, c, &params)?)))
            .filter(|(_, _, b)| b.scores.score >= c.min_score)
            .collect();
        found.sort_by(|a, b| a.0.cmp(b.0));
        let mut sources: BTreeMap<(&str, u16), usize> = BTreeMap::new();
        for (k, _, _) in &found {
            *sources.entry((k.1.as_str(), k.2)).or_default() += 1;
        }
        let mut hits = Vec::new();
        for (key, st, best) in found {
            let n_sources = sources.get(&(key.1.as_str(), key.2)).copied().unwrap_or(0);
            let fleet = c.fleet_sources > 0 && n_sources >= c.fleet_sources;
            let level = if fleet {
                Level::Low
            } else if best.scores.score >= c.high_score {
                Level::High
            } else {
                Level::Medium
            };
            let prev = self.gates.get(key).copied();
            let pass = prev
                .is_none_or(|g| until.saturating_sub(g.at) >= self.suppress_ns || level > g.level);
            let gate = self.gates.entry(key, || Gate {
                at: until,
                level,
                suppressed: 0,
            });
            if !pass {
                // A window counts once, when it closes, unless the pair was
                // reported in it.
                if closing && gate.at < clock.start {
                    gate.suppressed += 1;
                    self.counters.suppressed += 1;
                }
                continue;
            }
            let suppressed = std::mem::take(&mut gate.suppressed);
            gate.at = until;
            gate.level = level;
            let cx = report::Context {
                window_start: clock.start,
                window_ns: self.window_ns,
                level,
                destination_sources: n_sources,
                suppressed,
                previous: prev.map(|g| g.level),
                early: !closing,
            };
            self.counters.fleet_hits += u64::from(fleet);
            self.counters.early_hits += u64::from(!closing);
            hits.push(report::beacon_hit(c, key, st, &best, &cx));
        }
        self.counters.beacon_hits += hits.len() as u64;
        out.extend(hits);
        if !closing {
            for (_, st) in self.pairs.iter_mut() {
                st.checked = st.count;
            }
        }
    }

    /// Scores every pair of the open window, observed until `until`
    /// (nanoseconds), reports the beacons and empties it.
    fn close(&mut self, until: i64, out: &mut Vec<AnalyticHit>) {
        let Some(clock) = self.clock else {
            return;
        };
        let until = until.min(clock.end);
        self.check(until, true, out);
        self.clock = None;
        self.pairs.retain(|_, _| false);
        let keep = self.suppress_ns;
        self.gates
            .retain(|_, g| g.suppressed > 0 || until.saturating_sub(g.at) < keep);
        self.counters.windows += 1;
    }

    /// Runs the check due at the open window's latest event, if any.
    fn maybe_check(&mut self, out: &mut Vec<AnalyticHit>) {
        let Some(c) = self.clock else {
            return;
        };
        if c.last < c.next_check {
            return;
        }
        self.counters.checks += 1;
        self.check(c.last, false, out);
        let next = self.next_check(c.last);
        if let Some(c) = self.clock.as_mut() {
            c.next_check = next;
        }
    }

    /// Whether `ev` is a connection record, and its addresses.
    fn endpoints(&self, ev: &Event) -> Option<(IpAddr, IpAddr)> {
        if !self.config.datasets.is_empty() {
            let ds = ev.get(keys::EVENT_DATASET)?;
            let ds = ds.as_str()?;
            if !self.config.datasets.iter().any(|d| d == ds) {
                return None;
            }
        }
        let src = ev.get(keys::SOURCE_IP)?.as_ip()?;
        let dst = ev.get(keys::DESTINATION_IP)?.as_ip()?;
        Some((src, dst))
    }

    /// Whether connections to `dst` are scored; counts the skipped ones.
    fn wanted(&mut self, dst: IpAddr) -> bool {
        if self.config.allow.iter().any(|c| c.contains(dst)) {
            self.counters.allowed += 1;
            return false;
        }
        if !self.config.include_internal && self.config.internal.iter().any(|c| c.contains(dst)) {
            self.counters.internal += 1;
            return false;
        }
        true
    }

    /// Records one connection of `key` at `t` (in the open window); returns
    /// the duration when it is a long connection not yet reported.
    fn record(&mut self, key: &PairKey, t: i64, ev: &Event) -> Option<f64> {
        let start = self.clock.map_or(t, |c| c.start);
        let off = u32::try_from((t - start) / MILLIS).unwrap_or(u32::MAX - 1);
        let int = |k| ev.get(k).and_then(|v| v.as_i64()).filter(|b| *b >= 0);
        let out = int(keys::SOURCE_BYTES);
        let bytes = out.map_or(UNKNOWN, |b| {
            u32::try_from(b).unwrap_or(UNKNOWN - 1).min(UNKNOWN - 1)
        });
        let back = int(keys::DESTINATION_BYTES);
        let duration = ev
            .get(keys::EVENT_DURATION)
            .and_then(|v| v.as_f64())
            .map(|ns| ns / NANOS as f64);
        let per_pair = self.config.per_pair.max(4);
        let long = self.config.long_conn_secs;
        let st = self.pairs.entry(key, PairState::default);
        st.count += 1;
        if st.conns.len() >= per_pair {
            st.conns.pop_front();
        }
        st.conns.push_back((off, bytes));
        st.last_ms = st.last_ms.max(off);
        st.bytes_out = st.bytes_out.saturating_add(out.unwrap_or(0) as u64);
        st.bytes_in = st.bytes_in.saturating_add(back.unwrap_or(0) as u64);
        let e = (Ev::of(ev), bytes);
        if st.count.is_power_of_two() && st.evidence.len() < EVIDENCE_MAX {
            st.evidence.push(e);
        }
        st.last = Some(e);
        match duration {
            Some(d) if d >= long && !st.long_reported => {
                st.long_reported = true;
                Some(d)
            }
            _ => None,
        }
    }

    /// The hit for a long connection of `key`.
    fn long_hit(&self, key: &PairKey, secs: f64, ev: &Event) -> Option<AnalyticHit> {
        let st = self.pairs.get(key)?;
        let mut m = report::pair_metrics(&self.config, self.window_ns, st);
        m.push(("duration_s", secs));
        let title = format!(
            "Long connection {} → {}:{} ({:.1} h)",
            key.0,
            key.1,
            key.2,
            secs / 3600.0
        );
        let evidence = vec![(ev.origin(), ev.time())];
        let mut hit = report::hit(key, "long-connection", title, Level::Medium, m, evidence);
        hit.time = ev.time();
        hit.end_time =
            Timestamp::from_nanos(ev.time().as_nanos().saturating_add((secs * 1e9) as i64));
        Some(hit)
    }
}

impl Analytic for Beacon {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, dataset: &str) -> bool {
        crate::seen::listed(&self.config.datasets, dataset)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        if !self.advance(t, out) {
            self.counters.late += 1;
            return;
        }
        if let Some((src, dst)) = self.endpoints(ev) {
            if self.wanted(dst) {
                self.counters.connections += 1;
                let port = if self.config.by_port {
                    ev.get(keys::DESTINATION_PORT)
                        .and_then(|v| v.as_i64())
                        .and_then(|p| u16::try_from(p).ok())
                        .unwrap_or(0)
                } else {
                    0
                };
                let key = (src.to_string(), dst.to_string(), port);
                if let Some(secs) = self.record(&key, t, ev) {
                    if let Some(hit) = self.long_hit(&key, secs, ev) {
                        self.counters.long_hits += 1;
                        out.push(hit);
                    }
                }
            }
        }
        self.maybe_check(out);
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        if let Some(c) = self.clock {
            self.close(c.last, out);
        }
    }

    fn memory_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(PairKey, (u64, PairState))>() + 8;
        let pairs: usize = self
            .pairs
            .iter()
            .map(|(k, st)| {
                entry
                    + k.0.capacity()
                    + k.1.capacity()
                    + st.conns.capacity() * std::mem::size_of::<(u32, u32)>()
                    + st.evidence.capacity() * std::mem::size_of::<(Ev, u32)>()
            })
            .sum();
        let gate = std::mem::size_of::<(PairKey, (u64, Gate))>() + 8;
        let gates: usize = self
            .gates
            .iter()
            .map(|(k, _)| gate + k.0.capacity() + k.1.capacity())
            .sum();
        let cidrs = (self.config.internal.capacity() + self.config.allow.capacity())
            * std::mem::size_of::<Cidr>();
        std::mem::size_of::<Self>() + pairs + gates + cidrs
    }

    fn entities(&self) -> usize {
        self.pairs.len()
    }

    fn save(&self) -> serde_json::Value {
        let pairs = self
            .pairs
            .iter()
            .map(|(k, st)| (k.0.clone(), k.1.clone(), k.2, st.clone()))
            .collect();
        let mut gates: Vec<(String, String, u16, Gate)> = self
            .gates
            .iter()
            .map(|(k, g)| (k.0.clone(), k.1.clone(), k.2, *g))
            .collect();
        gates.sort_by_key(|g| g.3.at);
        let saved = Saved {
            version: SAVE_VERSION,
            window_ns: self.window_ns,
            clock: self.clock,
            counters: self.counters(),
            pairs,
            gates,
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let invalid = |reason: String| StateError::Invalid {
            analytic: NAME,
            reason,
        };
        let parse = |e: serde_json::Error| invalid(e.to_string());
        let mut saved: Saved = match state.get("version").and_then(|v| v.as_u64()) {
            Some(1) => serde_json::from_value::<SavedV1>(state.clone())
                .map_err(parse)?
                .into(),
            Some(SAVE_VERSION) => serde_json::from_value(state.clone()).map_err(parse)?,
            Some(v) => return Err(invalid(format!("version {v}"))),
            None => return Err(invalid("not a beacon state".into())),
        };
        if saved.window_ns != self.window_ns {
            return Err(invalid(format!(
                "saved with a {} s window, configured {} s",
                saved.window_ns / NANOS,
                self.window_ns / NANOS
            )));
        }
        // Least recently seen first, so eviction order survives.
        saved.pairs.sort_by_key(|p| p.3.last_ms);
        let mut pairs = Bounded::new(self.config.capacity);
        for (src, dst, port, st) in saved.pairs {
            *pairs.entry(&(src, dst, port), PairState::default) = st;
        }
        pairs.evicted = saved.counters.evicted;
        let mut gates = Bounded::new(self.config.capacity);
        saved.gates.sort_by_key(|g| g.3.at);
        for (src, dst, port, g) in saved.gates {
            *gates.entry(&(src, dst, port), || g) = g;
        }
        gates.evicted = saved.counters.gates_evicted;
        let mut clock = saved.clock;
        if let Some(c) = clock.as_mut() {
            // A check period changed since, or a version 1 state.
            c.next_check = if self.check_ns > 0 {
                c.next_check.min(self.next_check(c.last))
            } else {
                i64::MAX
            };
        }
        self.pairs = pairs;
        self.gates = gates;
        self.clock = clock;
        self.counters = saved.counters;
        Ok(())
    }
}
