//! One agent's state: its open hour, its hourly baselines per signal, the
//! patients it has opened (people), the hours it works, its exports and its
//! hit suppression; the peers' baselines; and the thresholds an hour is
//! judged by.

use serde::{Deserialize, Serialize};

use super::access::Kind;
use super::config::Flagged;
use super::Config;
use crate::seen::Ev;
use crate::state::{alloc_size, push_capped, U64Set};
use crate::stats::Window;

/// Nanoseconds in an hour.
pub(crate) const HOUR_NS: i64 = 3_600 * 1_000_000_000;
/// Hours in a day.
const DAY_H: i64 = 24;
/// Evidence records kept per signal and hour.
pub(crate) const EVIDENCE: usize = 8;
/// Export kick-offs remembered per agent.
const EXPORTS_KEPT: usize = 64;

/// The hourly series: distinct patients (enumeration), patients new to the
/// user (snooping), name searches (snooping).
pub(crate) const PATIENTS: usize = 0;
pub(crate) const NEW: usize = 1;
pub(crate) const SEARCHES: usize = 2;
pub(crate) const SERIES: usize = 3;

/// How a threshold was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum By {
    /// The agent's own history.
    Own,
    /// The peers' (short own history).
    Peers,
    /// No baseline at all: the absolute floor for new agents.
    Cold,
    /// Not judged.
    Never,
}

/// The population's hourly values of one series, summarized at the last
/// sweep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PeerStat {
    pub(crate) n: usize,
    pub(crate) median: f64,
    pub(crate) q: f64,
}

impl PeerStat {
    /// By selection: the peers hold thousands of hours.
    pub(crate) fn of(w: &Window, q: f64) -> PeerStat {
        let mut s = w.selector();
        PeerStat {
            n: w.len(),
            median: s.median().unwrap_or(0.0),
            q: s.quantile(q).unwrap_or(0.0),
        }
    }
}

/// The count from which an hour's series is flagged, and the numbers
/// behind it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Th {
    pub(crate) value: f64,
    pub(crate) by: By,
    pub(crate) samples: usize,
    pub(crate) median: f64,
    pub(crate) mad: f64,
    pub(crate) q: f64,
    pub(crate) spread: f64,
    pub(crate) peer: PeerStat,
}

/// The parameters of one series' threshold.
pub(crate) struct Rule {
    pub(crate) floor: f64,
    pub(crate) min_samples: usize,
    pub(crate) min_z: f64,
    pub(crate) z_floor: f64,
    pub(crate) quantile: f64,
    pub(crate) factor: f64,
    pub(crate) peer_factor: f64,
    pub(crate) min_peers: usize,
    /// Floor for a short history (judged against the peers or cold).
    pub(crate) new_floor: f64,
    /// Whether a short history with too few peers is judged by `new_floor`
    /// alone.
    pub(crate) cold: bool,
    /// Whether the peers may be used at all.
    pub(crate) peers: bool,
}

impl Rule {
    pub(crate) fn of(c: &Config, series: usize) -> Rule {
        let e = &c.enumeration;
        let s = &c.snooping;
        match series {
            PATIENTS => Rule {
                floor: e.min_patients as f64,
                min_samples: e.min_samples,
                min_z: e.min_z,
                z_floor: e.z_floor,
                quantile: e.quantile,
                factor: e.quantile_factor,
                peer_factor: e.peer_factor,
                min_peers: e.min_peer_samples,
                new_floor: e.new_agent_patients as f64,
                cold: true,
                peers: true,
            },
            NEW => Rule {
                floor: s.min_new as f64,
                min_samples: s.min_samples,
                min_z: s.min_z,
                z_floor: s.z_floor,
                quantile: s.quantile,
                factor: s.quantile_factor,
                peer_factor: s.peer_factor,
                min_peers: s.min_peer_samples,
                new_floor: s.min_new as f64,
                cold: false,
                peers: true,
            },
            _ => Rule {
                floor: s.min_searches as f64,
                min_samples: s.min_samples,
                min_z: s.min_z,
                z_floor: s.search_z_floor,
                quantile: s.quantile,
                factor: s.search_factor,
                peer_factor: s.search_factor,
                min_peers: s.min_peer_samples,
                new_floor: s.min_searches as f64,
                cold: false,
                peers: true,
            },
        }
    }

    /// The threshold of an hour against `own` history and `peer` stats.
    /// `z ≥ min_z` is `v ≥ median + min_z·spread`, so every condition is a
    /// lower bound on the count and the threshold is their maximum.
    pub(crate) fn threshold(&self, own: &Window, peer: PeerStat) -> Th {
        // Selection, not a sort: this runs for every agent's new hour.
        let mut sel = own.selector();
        let median = sel.median().unwrap_or(0.0);
        let mad = sel.mad().unwrap_or(0.0);
        let q = sel.quantile(self.quantile).unwrap_or(0.0);
        let spread = (mad * 1.4826).max(self.z_floor).max(f64::MIN_POSITIVE);
        let (value, by) = if own.len() >= self.min_samples {
            let v = self
                .floor
                .max(q * self.factor)
                .max(median + self.min_z * spread);
            (v, By::Own)
        } else if self.peers && peer.n >= self.min_peers {
            let v = self
                .floor
                .max(self.new_floor)
                .max(peer.q * self.peer_factor);
            (v, By::Peers)
        } else if self.cold {
            (self.floor.max(self.new_floor), By::Cold)
        } else {
            (f64::INFINITY, By::Never)
        };
        Th {
            value,
            by,
            samples: own.len(),
            median,
            mad,
            q,
            spread,
            peer,
        }
    }
}

/// One agent's requests in one UTC hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Bucket {
    /// Hours since the epoch.
    pub(crate) hour: i64,
    /// Patients requested (fingerprints), at most `max_hour_patients`.
    pub(crate) patients: U64Set,
    /// Distinct patients past the cap (counted, not stored).
    pub(crate) untracked: u64,
    /// The series' counts: distinct patients, new to the user, searches.
    pub(crate) counts: [u64; SERIES],
    pub(crate) requests: u64,
    pub(crate) failed: u64,
    pub(crate) first_ns: i64,
    pub(crate) last_ns: i64,
    /// Thresholds, fixed when the hour opened.
    pub(crate) th: [Th; SERIES],
    /// Series whose signal fired this hour (not learned unless
    /// `learn_flagged`).
    pub(crate) flagged: [bool; SERIES],
    /// Highest level signalled per series this hour (0: none).
    pub(crate) signalled: [u8; SERIES],
    /// Whether off-hours access was signalled this hour.
    pub(crate) off_hours: bool,
    /// First records of each series.
    pub(crate) evidence: [Vec<Ev>; SERIES],
}

impl Bucket {
    pub(crate) fn new(hour: i64, t: i64, th: [Th; SERIES]) -> Bucket {
        Bucket {
            hour,
            patients: U64Set::default(),
            untracked: 0,
            counts: [0; SERIES],
            requests: 0,
            failed: 0,
            first_ns: t,
            last_ns: t,
            th,
            flagged: [false; SERIES],
            signalled: [0; SERIES],
            off_hours: false,
            evidence: Default::default(),
        }
    }

    pub(crate) fn note(&mut self, series: usize, ev: Ev) {
        if let Some(e) = self.evidence.get_mut(series) {
            push_capped(e, ev, EVIDENCE);
        }
    }

    /// Heap bytes, the bucket's own included (it is boxed).
    pub(crate) fn memory_bytes(&self) -> usize {
        alloc_size(std::mem::size_of::<Bucket>())
            + self.patients.heap_bytes()
            + self
                .evidence
                .iter()
                .map(|e| alloc_size(e.capacity() * std::mem::size_of::<Ev>()))
                .sum::<usize>()
    }
}

/// Patients a person has opened: two generations of at most `cap` each,
/// so memory stays bounded and the oldest are forgotten first.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Seen {
    cur: U64Set,
    prev: U64Set,
}

impl Seen {
    /// Whether `p` is new to the user (and remembers it).
    pub(crate) fn first_time(&mut self, p: u64, cap: usize) -> bool {
        if self.cur.contains(p) {
            return false;
        }
        let known = self.prev.contains(p);
        self.cur.insert(p);
        if self.cur.len() >= cap.max(1) {
            self.prev = std::mem::take(&mut self.cur);
        }
        !known
    }

    fn memory_bytes(&self) -> usize {
        self.cur.heap_bytes() + self.prev.heap_bytes()
    }
}

/// Hit suppression of one kind for one agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sup {
    /// Time of the last hit.
    pub(crate) last: Option<i64>,
    /// Its level (0 low … 3 critical).
    pub(crate) level: u8,
    /// Hits held back since.
    pub(crate) held: u64,
}

impl Sup {
    /// Whether a hit of `level` at `t` may be reported; if not, it is
    /// counted. A higher level than the last hit's always may.
    pub(crate) fn allow(&mut self, t: i64, level: u8, window_ns: u64) -> bool {
        if let Some(last) = self.last {
            if t.abs_diff(last) < window_ns && level <= self.level {
                self.held += 1;
                return false;
            }
        }
        true
    }

    /// Records a reported hit; returns the count held back before it.
    pub(crate) fn reported(&mut self, t: i64, level: u8) -> u64 {
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        self.level = level;
        std::mem::take(&mut self.held)
    }
}

/// The hit kinds, as indexes of [`Agent::sup`].
pub(crate) const ENUMERATION: usize = 0;
pub(crate) const EXPORT: usize = 1;
pub(crate) const OFF_HOURS: usize = 2;
pub(crate) const SNOOPING: usize = 3;

/// What few agents need: exports, hit suppression, snooping signals
/// (allocated at the first).
#[derive(Clone, Debug, Default)]
pub(crate) struct Extra {
    /// Hours (since the epoch) of earlier export kick-offs, the latest
    /// [`EXPORTS_KEPT`].
    pub(crate) exports: Vec<i64>,
    /// Export kick-offs ever.
    pub(crate) export_count: u64,
    pub(crate) sup: [Sup; 4],
    /// Time of each series' last signal (for correlating snooping).
    pub(crate) last_signal: [Option<i64>; SERIES],
}

/// One agent (a user, a client application or an address).
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    pub(crate) kind: Kind,
    pub(crate) first_seen: i64,
    pub(crate) last_seen: i64,
    /// The open hour (boxed: most agents are idle most hours).
    pub(crate) open: Option<Box<Bucket>>,
    /// Past active hours' counts per series.
    pub(crate) history: [Window; SERIES],
    /// Patients opened (people only).
    pub(crate) seen: Option<Seen>,
    /// Active hours per hour of the day (each is a distinct day).
    pub(crate) hour_days: [u16; 24],
    /// Distinct days with activity.
    pub(crate) active_days: u32,
    pub(crate) last_day: Option<i64>,
    /// Active hours on Saturdays and Sundays.
    pub(crate) weekend_hours: u32,
    /// Exports, suppression, signals.
    extra: Option<Box<Extra>>,
}

/// The saved form of an agent (every part inline, as first written).
#[derive(Serialize, Deserialize)]
struct SavedAgent {
    kind: Kind,
    first_seen: i64,
    last_seen: i64,
    open: Option<Box<Bucket>>,
    history: [Window; SERIES],
    seen: Option<Seen>,
    hour_days: [u16; 24],
    active_days: u32,
    last_day: Option<i64>,
    weekend_hours: u32,
    exports: Vec<i64>,
    export_count: u64,
    sup: [Sup; 4],
    last_signal: [Option<i64>; SERIES],
}

impl Serialize for Agent {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let x = self.extra.as_deref().cloned().unwrap_or_default();
        SavedAgent {
            kind: self.kind,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            open: self.open.clone(),
            history: self.history.clone(),
            seen: self.seen.clone(),
            hour_days: self.hour_days,
            active_days: self.active_days,
            last_day: self.last_day,
            weekend_hours: self.weekend_hours,
            exports: x.exports,
            export_count: x.export_count,
            sup: x.sup,
            last_signal: x.last_signal,
        }
        .serialize(ser)
    }
}

impl<'de> Deserialize<'de> for Agent {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = SavedAgent::deserialize(de)?;
        let x = Extra {
            exports: s.exports,
            export_count: s.export_count,
            sup: s.sup,
            last_signal: s.last_signal,
        };
        let used = !x.exports.is_empty()
            || x.export_count > 0
            || x.sup != [Sup::default(); 4]
            || x.last_signal != [None; SERIES];
        Ok(Agent {
            kind: s.kind,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            open: s.open,
            history: s.history,
            seen: s.seen,
            hour_days: s.hour_days,
            active_days: s.active_days,
            last_day: s.last_day,
            weekend_hours: s.weekend_hours,
            extra: used.then(|| Box::new(x)),
        })
    }
}

/// Whether hour `hour` (since the epoch) falls on a Saturday or Sunday.
pub(crate) fn weekend(hour: i64) -> bool {
    // The epoch was a Thursday: day 0 → 3 (Monday = 0).
    (hour.div_euclid(DAY_H) + 3).rem_euclid(7) >= 5
}

/// The hour of the day (0–23) of hour `hour` since the epoch.
pub(crate) fn hour_of_day(hour: i64) -> u8 {
    u8::try_from(hour.rem_euclid(DAY_H)).unwrap_or(0)
}

/// Circular distance between two hours of the day.
pub(crate) fn hod_distance(a: u8, b: u8) -> u8 {
    let d = a.abs_diff(b);
    d.min(24u8.saturating_sub(d))
}

impl Agent {
    pub(crate) fn new(kind: Kind, t: i64, c: &Config) -> Agent {
        Agent {
            kind,
            first_seen: t,
            last_seen: t,
            open: None,
            history: std::array::from_fn(|_| Window::new(c.history)),
            seen: kind.is_person().then(Seen::default),
            hour_days: [0; 24],
            active_days: 0,
            last_day: None,
            weekend_hours: 0,
            extra: None,
        }
    }

    /// Exports, suppression and signals (made at the first use).
    pub(crate) fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Export kick-offs ever.
    pub(crate) fn export_count(&self) -> u64 {
        self.extra.as_ref().map_or(0, |x| x.export_count)
    }

    /// Time of `series`' last signal.
    pub(crate) fn last_signal(&self, series: usize) -> Option<i64> {
        self.extra
            .as_ref()
            .and_then(|x| x.last_signal.get(series).copied().flatten())
    }

    /// Learns a closed hour: its series (a flagged one as
    /// `learn_flagged` says), and the hours and days worked. Returns what
    /// the peers learn: the series that were not flagged. Returns the values learned per series, for the peers.
    pub(crate) fn learn(&mut self, b: &Bucket, c: &Config) -> [Option<f64>; SERIES] {
        let mut learned = [None; SERIES];
        for (s, slot) in learned.iter_mut().enumerate() {
            let v = b.counts[s] as f64;
            let v = match (b.flagged[s], c.learn_flagged) {
                (false, _) | (true, Flagged::Learn) => v,
                (true, Flagged::Clip) => v.min(b.th[s].value),
                (true, Flagged::Skip) => continue,
            };
            self.history[s].push(v);
            // The peers learn what is normal: never a flagged hour.
            if !b.flagged[s] {
                *slot = Some(v);
            }
        }
        let hod = usize::from(hour_of_day(b.hour));
        self.hour_days[hod] = self.hour_days[hod].saturating_add(1);
        let day = b.hour.div_euclid(DAY_H);
        if self.last_day != Some(day) {
            self.active_days = self.active_days.saturating_add(1);
            self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        }
        if weekend(b.hour) {
            self.weekend_hours = self.weekend_hours.saturating_add(1);
        }
        learned
    }

    /// Earlier days active within `slack` hours of `hod`.
    pub(crate) fn days_near(&self, hod: u8, slack: u8) -> u32 {
        (0..24u8)
            .filter(|&h| hod_distance(h, hod) <= slack)
            .map(|h| u32::from(self.hour_days[usize::from(h)]))
            .max()
            .unwrap_or(0)
    }

    /// Earlier days (before the day of `hour`) with an export kick-off
    /// within `slack` hours of `hour`'s hour of the day.
    pub(crate) fn export_days_near(&self, hour: i64, slack: u8) -> u32 {
        let hod = hour_of_day(hour);
        let today = hour.div_euclid(DAY_H);
        let Some(x) = self.extra.as_ref() else {
            return 0;
        };
        let mut days: Vec<i64> = x
            .exports
            .iter()
            .filter(|&&h| h.div_euclid(DAY_H) < today && hod_distance(hour_of_day(h), hod) <= slack)
            .map(|h| h.div_euclid(DAY_H))
            .collect();
        days.sort_unstable();
        days.dedup();
        u32::try_from(days.len()).unwrap_or(u32::MAX)
    }

    pub(crate) fn exported(&mut self, hour: i64) {
        let x = self.extra();
        x.export_count = x.export_count.saturating_add(1);
        if x.exports.len() >= EXPORTS_KEPT {
            x.exports.remove(0);
        }
        x.exports.push(hour);
    }

    /// Heap bytes held (the agent itself, inline in its map, excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.history.iter().map(Window::heap_bytes).sum::<usize>()
            + self.open.as_deref().map_or(0, Bucket::memory_bytes)
            + self.seen.as_ref().map_or(0, Seen::memory_bytes)
            + self.extra.as_ref().map_or(0, |x| {
                alloc_size(std::mem::size_of::<Extra>()) + alloc_size(x.exports.capacity() * 8)
            })
    }
}
