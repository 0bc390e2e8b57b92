//! Beaconing: a source that connects to the same external destination at
//! regular intervals with payloads of regular size, scored per (source,
//! destination, port) pair over a window the way RITA does; and long
//! connections to external destinations.
//!
//! # Score
//!
//! Over one window, a pair has `n` connections (all counted; the most recent
//! `per_pair` kept with their start time and bytes sent).
//!
//! **Timestamp score.** Sort the kept start times; the intervals `d` are the
//! differences of neighbours, in seconds. With `Q1 ≤ Q2 ≤ Q3` their
//! quartiles (linear interpolation):
//!
//! - Bowley skewness `skew = (Q3 + Q1 − 2·Q2) / (Q3 − Q1)`, 0 when
//!   `Q3 = Q1`; `skew_score = 1 − |skew|` (a symmetric spread scores 1);
//! - MADM `madm = median(|d − Q2|)`;
//!   `madm_score = clamp(1 − madm / (Q2 · interval_madm_ratio), 0, 1)`
//!   (no spread scores 1; a spread of half the median interval, by
//!   default, scores 0);
//! - `count_score = clamp((n − 1) · Q2 / coverage, 0, 1)`: the connections
//!   seen against those a beacon at the median interval would make over the
//!   part of the window the analytic observed (`coverage`, seconds: from the
//!   first event of any kind in the window to the window's end, or to the
//!   last event at the end of the input);
//! - `ts_score = (skew_score + madm_score + count_score) / 3`, and 0 when
//!   `Q2 < min_interval_secs` (a burst, not a beacon).
//!
//! **Size score**, on the bytes sent by the source per connection
//! (`source.bytes`), when at least half the kept connections carry a size:
//! the same skewness and MADM, with `madm_score = clamp(1 − madm /
//! max(Q2 · size_madm_ratio, size_madm_floor_bytes), 0, 1)`, and
//! `size_score = (skew_score + madm_score) / 2`.
//!
//! **Score** `= (ts_score + size_score) / 2`, or `ts_score` without sizes.
//! A pair is reported when `n ≥ min_connections` and `score ≥ min_score`
//! (level high from `high_score`), once per window, when the window closes
//! or at [`Analytic::finish`]. Every term above is in the hit's metrics.
//!
//! **Long connections**: one hit, at once, the first time in a window a
//! connection of the pair lasts `long_conn_secs` or more
//! (`event.duration`).
//!
//! Only connection records count (`Config::datasets`), to destinations
//! outside `Config::internal` (unless `include_internal`) and outside
//! `Config::allow`.
//!
//! ```
//! use phiwatch_analytics::beacon::{Beacon, Config};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let mut b = Beacon::new(Config::default());
//! let mut hits = Vec::new();
//! for i in 0..100 {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + i * 300).unwrap());
//!     ev.push_norm(keys::EVENT_DATASET, Value::Static("zeek.conn"));
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("10.1.0.7".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_IP, Value::Ip("203.0.113.9".parse().unwrap()));
//!     ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
//!     ev.push_norm(keys::SOURCE_BYTES, Value::Int(512));
//!     b.observe(&ev, &mut hits);
//! }
//! b.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert!(hits[0].metrics["score"] > 0.95);
//! ```

mod config;
mod score;

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Origin, Timestamp};
use phiwatch_finding::{Entity, Level};
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
/// Evidence kept per pair: the first few connections, and the last.
const EVIDENCE_FIRST: usize = 4;
const SAVE_VERSION: u64 = 1;

type PairKey = (String, String, u16);

/// What the analytic has counted since it was made (restored with its
/// state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Beacon hits reported.
    pub beacon_hits: u64,
    /// Long-connection hits reported.
    pub long_hits: u64,
    /// Pairs evicted to stay within the capacity.
    pub evicted: u64,
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
    evidence: Vec<Ev>,
    last: Option<Ev>,
}

/// The open window (nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Clock {
    start: i64,
    end: i64,
    /// First and last event seen in the window.
    first: i64,
    last: i64,
}

/// The beaconing analytic (`beacon`): see the module documentation.
#[derive(Debug)]
pub struct Beacon {
    config: Config,
    window_ns: i64,
    pairs: Bounded<PairKey, PairState>,
    clock: Option<Clock>,
    counters: Counters,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    window_ns: i64,
    clock: Option<Clock>,
    counters: Counters,
    pairs: Vec<(String, String, u16, PairState)>,
}

impl Beacon {
    /// An analytic with these settings.
    pub fn new(config: Config) -> Beacon {
        let secs = config.window_secs.clamp(1, MAX_WINDOW_SECS);
        Beacon {
            window_ns: secs as i64 * NANOS,
            pairs: Bounded::new(config.capacity),
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
            ..self.counters
        }
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
        });
        true
    }

    /// Scores every pair of the open window, observed until `until`
    /// (nanoseconds), reports the beacons (in pair order) and empties it.
    fn close(&mut self, until: i64, out: &mut Vec<AnalyticHit>) {
        let Some(clock) = self.clock.take() else {
            return;
        };
        let coverage = (until.min(clock.end) - clock.first) as f64 / NANOS as f64;
        let mut hits: Vec<(&PairKey, AnalyticHit)> = self
            .pairs
            .iter()
            .filter_map(|(k, st)| Some((k, self.evaluate(k, st, &clock, coverage)?)))
            .collect();
        hits.sort_by(|a, b| a.0.cmp(b.0));
        self.counters.beacon_hits += hits.len() as u64;
        out.extend(hits.into_iter().map(|(_, h)| h));
        self.pairs.retain(|_, _| false);
        self.counters.windows += 1;
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

    /// Scores one pair; a hit when it is a beacon.
    fn evaluate(
        &self,
        key: &PairKey,
        st: &PairState,
        clock: &Clock,
        coverage: f64,
    ) -> Option<AnalyticHit> {
        let c = &self.config;
        if st.count < c.min_connections || st.conns.len() < 2 {
            return None;
        }
        let mut times: Vec<f64> = st.conns.iter().map(|&(t, _)| f64::from(t) / 1e3).collect();
        times.sort_by(f64::total_cmp);
        let sizes: Vec<f64> = st
            .conns
            .iter()
            .filter(|&&(_, b)| b != UNKNOWN)
            .map(|&(_, b)| f64::from(b))
            .collect();
        let params = score::Params {
            min_interval_secs: c.min_interval_secs,
            interval_madm_ratio: c.interval_madm_ratio,
            size_madm_ratio: c.size_madm_ratio,
            size_madm_floor_bytes: c.size_madm_floor_bytes,
        };
        let s = score::score(&times, &sizes, st.count, coverage, params)?;
        if s.score < c.min_score {
            return None;
        }
        let first = clock.start + (times[0] * 1e3) as i64 * MILLIS;
        let last = clock.start + (times[times.len() - 1] * 1e3) as i64 * MILLIS;
        let mut m = self.pair_metrics(st);
        let iv = s.intervals;
        m.extend([
            ("median_interval_s", iv.median),
            ("interval_q1_s", iv.q1),
            ("interval_q3_s", iv.q3),
            ("interval_skew", iv.skew),
            ("interval_madm_s", iv.madm),
            ("interval_skew_score", iv.skew_score),
            ("interval_madm_score", iv.madm_score),
            ("count_score", s.count_score),
            ("ts_score", s.ts_score),
            ("coverage_s", coverage),
            ("score", s.score),
        ]);
        if let (Some(sz), Some(size_score)) = (s.sizes, s.size_score) {
            m.extend([
                ("median_bytes", sz.median),
                ("size_skew", sz.skew),
                ("size_madm_bytes", sz.madm),
                ("size_skew_score", sz.skew_score),
                ("size_madm_score", sz.madm_score),
                ("size_score", size_score),
            ]);
        }
        let level = if s.score >= c.high_score {
            Level::High
        } else {
            Level::Medium
        };
        let title = format!(
            "Beaconing {} → {}:{} every ~{:.0} s ({} connections, score {:.2})",
            key.0, key.1, key.2, iv.median, st.count, s.score
        );
        let mut hit = self.hit(key, "beacon", title, level, m, st);
        hit.time = Timestamp::from_nanos(first);
        hit.end_time = Timestamp::from_nanos(last);
        Some(hit)
    }

    /// Counts and thresholds common to both kinds of hit.
    fn pair_metrics(&self, st: &PairState) -> Vec<(&'static str, f64)> {
        let c = &self.config;
        vec![
            ("connections", st.count as f64),
            ("connections_kept", st.conns.len() as f64),
            ("bytes_out", st.bytes_out as f64),
            ("bytes_in", st.bytes_in as f64),
            ("min_score", c.min_score),
            ("high_score", c.high_score),
            ("min_connections", c.min_connections as f64),
            ("min_interval_s", c.min_interval_secs),
            ("interval_madm_ratio", c.interval_madm_ratio),
            ("size_madm_ratio", c.size_madm_ratio),
            ("size_madm_floor_bytes", c.size_madm_floor_bytes),
            ("long_conn_s", c.long_conn_secs),
            ("window_s", self.window_ns as f64 / NANOS as f64),
        ]
    }

    /// A hit about the pair `key`.
    fn hit(
        &self,
        key: &PairKey,
        kind: &str,
        title: String,
        level: Level,
        metrics: Vec<(&'static str, f64)>,
        st: &PairState,
    ) -> AnalyticHit {
        let mut evidence: Vec<(Origin, Timestamp)> =
            st.evidence.iter().map(|e| e.to_pair()).collect();
        if let Some(l) = st.last.filter(|l| !st.evidence.contains(l)) {
            evidence.push(l.to_pair());
        }
        let time = evidence.first().map_or(Timestamp::EPOCH, |e| e.1);
        let end_time = evidence.last().map_or(time, |e| e.1);
        let group = BTreeMap::from([
            ("source".to_string(), key.0.clone()),
            ("destination".to_string(), key.1.clone()),
            ("port".to_string(), key.2.to_string()),
            ("kind".to_string(), kind.to_string()),
        ]);
        AnalyticHit {
            analytic: NAME,
            title,
            level,
            time,
            end_time,
            entity: Entity {
                ip: Some(key.0.clone()),
                ..Entity::default()
            },
            tags: vec!["attack.command-and-control".into(), "attack.t1071".into()],
            metrics: metrics
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            group,
            evidence,
        }
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
        let e = Ev::of(ev);
        if st.evidence.len() < EVIDENCE_FIRST {
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
        let mut m = self.pair_metrics(st);
        m.push(("duration_s", secs));
        let title = format!(
            "Long connection {} → {}:{} ({:.1} h)",
            key.0,
            key.1,
            key.2,
            secs / 3600.0
        );
        let mut hit = self.hit(key, "long-connection", title, Level::Medium, m, st);
        hit.time = ev.time();
        hit.end_time =
            Timestamp::from_nanos(ev.time().as_nanos().saturating_add((secs * 1e9) as i64));
        hit.evidence = vec![(ev.origin(), ev.time())];
        Some(hit)
    }
}

impl Analytic for Beacon {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, dataset: &str) -> bool {
        self.config.datasets.is_empty() || self.config.datasets.iter().any(|d| d == dataset)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        if !self.advance(t, out) {
            self.counters.late += 1;
            return;
        }
        let Some((src, dst)) = self.endpoints(ev) else {
            return;
        };
        if !self.wanted(dst) {
            return;
        }
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
                    + st.evidence.capacity() * std::mem::size_of::<Ev>()
            })
            .sum();
        let cidrs = (self.config.internal.capacity() + self.config.allow.capacity())
            * std::mem::size_of::<Cidr>();
        std::mem::size_of::<Self>() + pairs + cidrs
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
        let saved = Saved {
            version: SAVE_VERSION,
            window_ns: self.window_ns,
            clock: self.clock,
            counters: self.counters(),
            pairs,
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let invalid = |reason: String| StateError::Invalid {
            analytic: NAME,
            reason,
        };
        let mut saved: Saved =
            serde_json::from_value(state.clone()).map_err(|e| invalid(e.to_string()))?;
        if saved.version != SAVE_VERSION {
            return Err(invalid(format!("version {}", saved.version)));
        }
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
        self.pairs = pairs;
        self.clock = saved.clock;
        self.counters = saved.counters;
        Ok(())
    }
}
