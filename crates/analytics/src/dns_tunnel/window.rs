//! One (client, domain) pair's sliding window: [`SLOTS`] time slots of
//! counters, a bounded set of subdomain hashes, and the open burst.

use std::mem::size_of;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::name::Facts;
use crate::seen::Ev;

/// Slots per window: the window slides in steps of a sixth of its length.
pub(crate) const SLOTS: i64 = 6;

/// Counters over some queries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    pub queries: u64,
    pub txt: u64,
    /// Queries with a subdomain part (the denominator of the means).
    pub sub_queries: u64,
    pub entropy_sum: f64,
    pub len_sum: u64,
    pub max_label: u64,
    pub bytes: u64,
    /// Distinct subdomains (estimated past the tracking cap).
    pub distinct: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

impl Default for Totals {
    fn default() -> Totals {
        Totals {
            queries: 0,
            txt: 0,
            sub_queries: 0,
            entropy_sum: 0.0,
            len_sum: 0,
            max_label: 0,
            bytes: 0,
            distinct: 0,
            first_ns: i64::MAX,
            last_ns: i64::MIN,
        }
    }
}

impl Totals {
    pub(crate) fn add(&mut self, f: &Facts, t: i64) {
        self.queries += 1;
        self.txt += u64::from(f.txt);
        if f.sub_len > 0 {
            self.sub_queries += 1;
            self.entropy_sum += f.entropy;
            self.len_sum += f.sub_len;
        }
        self.max_label = self.max_label.max(f.max_label);
        self.bytes += f.name_bytes;
        self.first_ns = self.first_ns.min(t);
        self.last_ns = self.last_ns.max(t);
    }

    fn merge(&mut self, o: &Totals) {
        self.queries += o.queries;
        self.txt += o.txt;
        self.sub_queries += o.sub_queries;
        self.entropy_sum += o.entropy_sum;
        self.len_sum += o.len_sum;
        self.max_label = self.max_label.max(o.max_label);
        self.bytes += o.bytes;
        self.distinct += o.distinct;
        self.first_ns = self.first_ns.min(o.first_ns);
        self.last_ns = self.last_ns.max(o.last_ns);
    }

    /// Mean entropy of the subdomain parts (bits per byte).
    pub(crate) fn mean_entropy(&self) -> f64 {
        if self.sub_queries == 0 {
            return 0.0;
        }
        self.entropy_sum / self.sub_queries as f64
    }

    /// Mean length of the subdomain parts (bytes).
    pub(crate) fn mean_len(&self) -> f64 {
        if self.sub_queries == 0 {
            return 0.0;
        }
        self.len_sum as f64 / self.sub_queries as f64
    }

    /// Share of TXT/NULL queries.
    pub(crate) fn txt_share(&self) -> f64 {
        if self.queries == 0 {
            return 0.0;
        }
        self.txt as f64 / self.queries as f64
    }
}

/// One slot of the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Slot {
    /// Slot number (time / slot length); `i64::MIN` when empty.
    idx: i64,
    totals: Totals,
    /// The slot's first events.
    evidence: Vec<Ev>,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            idx: i64::MIN,
            totals: Totals::default(),
            evidence: Vec::new(),
        }
    }
}

/// A detection in progress: from the first qualifying window until the
/// pair has been quiet (no qualifying activity) for the suppression time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Burst {
    /// Counters since the start of the window that first qualified.
    pub totals: Totals,
    /// The first events.
    pub evidence: Vec<Ev>,
    /// Last event at which the window qualified.
    pub last_qualifying_ns: i64,
    /// Most distinct subdomains seen in one window.
    pub peak_distinct: u64,
    /// Qualified on distinct long or random names.
    pub by_names: bool,
    /// Qualified on TXT/NULL share.
    pub by_txt: bool,
}

/// Sizes the window works with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub slot_ns: i64,
    pub max_subdomains: usize,
    pub evidence: usize,
}

/// One (client, domain) pair's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DomainWindow {
    /// Newest slot number seen; `i64::MIN` before the first query.
    newest: i64,
    slots: Vec<Slot>,
    /// Subdomain hash → newest slot number it was seen in. Holds only the
    /// hashes whose low `level` bits are zero (adaptive sampling).
    seen: HashMap<u64, i64>,
    level: u32,
    /// The open burst, if any.
    pub burst: Option<Burst>,
}

impl DomainWindow {
    pub(crate) fn new() -> DomainWindow {
        DomainWindow {
            newest: i64::MIN,
            slots: vec![Slot::default(); SLOTS as usize],
            seen: HashMap::default(),
            level: 0,
            burst: None,
        }
    }

    fn live_from(&self) -> i64 {
        self.newest.saturating_sub(SLOTS - 1)
    }

    /// Whether the window holds nothing any more at slot `now`.
    pub(crate) fn is_stale(&self, now_slot: i64) -> bool {
        self.newest < now_slot.saturating_sub(SLOTS - 1)
    }

    fn admitted(&self, h: u64) -> bool {
        h & ((1u64 << self.level) - 1) == 0
    }

    fn expire(&mut self) {
        let from = self.live_from();
        for s in &mut self.slots {
            if s.idx < from && s.idx != i64::MIN {
                *s = Slot::default();
            }
        }
        self.seen.retain(|_, last| *last >= from);
        if self.seen.is_empty() {
            self.level = 0;
        }
    }

    /// Adds one query at `t`; returns the distinct subdomains it adds
    /// (0, or 2^level for a new sampled hash). A query older than the
    /// window counts in its oldest slot.
    pub(crate) fn add(&mut self, t: i64, f: &Facts, ev: Ev, p: Params) -> u64 {
        let e = t.div_euclid(p.slot_ns.max(1));
        if e > self.newest {
            self.newest = e;
            self.expire();
        }
        let idx = e.max(self.live_from());
        let slot = &mut self.slots[idx.rem_euclid(SLOTS) as usize];
        if slot.idx != idx {
            *slot = Slot {
                idx,
                ..Slot::default()
            };
        }
        slot.totals.add(f, t);
        if slot.evidence.len() < p.evidence {
            slot.evidence.push(ev);
        }
        let Some(h) = f.hash else { return 0 };
        if !self.admitted(h) {
            return 0;
        }
        let weight = 1u64 << self.level;
        let added = match self.seen.get_mut(&h) {
            Some(last) => {
                *last = (*last).max(idx);
                0
            }
            None => {
                self.seen.insert(h, idx);
                weight
            }
        };
        if self.seen.len() > p.max_subdomains.max(1) {
            self.expire();
            while self.seen.len() > p.max_subdomains.max(1) && self.level < 63 {
                self.level += 1;
                let mask = (1u64 << self.level) - 1;
                self.seen.retain(|h, _| h & mask == 0);
            }
        }
        added
    }

    /// Counters over the live slots, with the distinct-subdomain estimate.
    pub(crate) fn totals(&self) -> Totals {
        let from = self.live_from();
        let mut t = Totals::default();
        for s in self.slots.iter().filter(|s| s.idx >= from) {
            t.merge(&s.totals);
        }
        t.distinct = (self.seen.len() as u64) << self.level;
        t
    }

    /// The window's first `n` events, oldest first.
    pub(crate) fn evidence(&self, n: usize) -> Vec<Ev> {
        let from = self.live_from();
        let mut v: Vec<Ev> = self
            .slots
            .iter()
            .filter(|s| s.idx >= from)
            .flat_map(|s| s.evidence.iter().copied())
            .collect();
        v.sort_by_key(|e| (e.t, e.source, e.record, e.offset));
        v.truncate(n);
        v
    }

    /// Subdomain hashes tracked (sampled).
    #[cfg(test)]
    pub(crate) fn tracked(&self) -> usize {
        self.seen.len()
    }

    /// Approximate heap and inline bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        let ev = size_of::<Ev>();
        let slots: usize = self
            .slots
            .iter()
            .map(|s| size_of::<Slot>() + s.evidence.capacity() * ev)
            .sum();
        let burst = self
            .burst
            .as_ref()
            .map_or(0, |b| size_of::<Burst>() + b.evidence.capacity() * ev);
        size_of::<DomainWindow>()
            + slots
            + self.seen.capacity() * (size_of::<(u64, i64)>() + 1)
            + burst
    }
}
