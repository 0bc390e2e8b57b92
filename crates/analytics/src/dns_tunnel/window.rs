//! One (client, domain) pair's sliding window: [`SLOTS`] time slots of
//! counters, a bounded set of subdomain hashes, and the open burst.

use std::mem::size_of;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::name::Facts;
use crate::seen::Ev;
use crate::state::{alloc_size, push_capped};

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

/// Subdomain hashes and the newest slot each was seen in: a short list,
/// a hash map past [`SMALL_SEEN`] (most pairs query a handful of names).
/// Saved as a map, hash to slot.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Small(Vec<(u64, i64)>),
    Big(HashMap<u64, i64>),
}

/// Hashes held in a list before a map.
const SMALL_SEEN: usize = 16;

impl Default for Seen {
    fn default() -> Seen {
        Seen::Small(Vec::new())
    }
}

impl Seen {
    fn len(&self) -> usize {
        match self {
            Seen::Small(v) => v.len(),
            Seen::Big(m) => m.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get_mut(&mut self, h: u64) -> Option<&mut i64> {
        match self {
            Seen::Small(v) => v.iter_mut().find(|e| e.0 == h).map(|e| &mut e.1),
            Seen::Big(m) => m.get_mut(&h),
        }
    }

    /// Adds a hash not held yet.
    fn insert(&mut self, h: u64, slot: i64) {
        match self {
            Seen::Small(v) if v.len() < SMALL_SEEN => {
                push_capped(v, (h, slot), SMALL_SEEN);
            }
            Seen::Small(v) => {
                let mut m: HashMap<u64, i64> = v.iter().copied().collect();
                m.insert(h, slot);
                *self = Seen::Big(m);
            }
            Seen::Big(m) => {
                m.insert(h, slot);
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(u64, i64) -> bool) {
        match self {
            Seen::Small(v) => v.retain(|e| keep(e.0, e.1)),
            Seen::Big(m) => m.retain(|h, s| keep(*h, *s)),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Seen::Small(v) => alloc_size(v.capacity() * size_of::<(u64, i64)>()),
            Seen::Big(m) => alloc_size(m.capacity() * (size_of::<(u64, i64)>() + 1) + 16),
        }
    }
}

impl Serialize for Seen {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            Seen::Small(v) => ser.collect_map(v.iter().map(|(h, s)| (h, s))),
            Seen::Big(m) => ser.collect_map(m.iter()),
        }
    }
}

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let m = HashMap::<u64, i64>::deserialize(de)?;
        Ok(if m.len() <= SMALL_SEEN {
            Seen::Small(m.into_iter().collect())
        } else {
            Seen::Big(m)
        })
    }
}

/// The live slots of a saved window (the first layout also saved empty
/// ones, numbered `i64::MIN`).
fn live_slots<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<Slot>, D::Error> {
    let mut v = Vec::<Slot>::deserialize(de)?;
    v.retain(|s| s.idx != i64::MIN);
    v.truncate(SLOTS as usize);
    Ok(v)
}

/// One (client, domain) pair's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DomainWindow {
    /// Newest slot number seen; `i64::MIN` before the first query.
    newest: i64,
    /// The slots with queries (at most [`SLOTS`], any order): a pair that
    /// queries once holds one.
    #[serde(deserialize_with = "live_slots")]
    slots: Vec<Slot>,
    /// Subdomain hash → newest slot number it was seen in. Holds only the
    /// hashes whose low `level` bits are zero (adaptive sampling).
    seen: Seen,
    level: u32,
    /// The open burst, if any (boxed: rare).
    pub burst: Option<Box<Burst>>,
}

impl DomainWindow {
    pub(crate) fn new() -> DomainWindow {
        DomainWindow {
            newest: i64::MIN,
            slots: Vec::new(),
            seen: Seen::default(),
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
        self.slots.retain(|s| s.idx >= from);
        self.seen.retain(|_, last| last >= from);
        if self.seen.is_empty() {
            self.level = 0;
        }
    }

    /// The live slots in the order of their place in a ring of [`SLOTS`]
    /// (the order the first layout summed them in, so that sums of floats
    /// come out the same).
    fn in_ring_order(&self) -> Vec<&Slot> {
        let from = self.live_from();
        let mut v: Vec<&Slot> = self.slots.iter().filter(|s| s.idx >= from).collect();
        v.sort_by_key(|s| s.idx.rem_euclid(SLOTS));
        v
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
        let i = match self.slots.iter().position(|s| s.idx == idx) {
            Some(i) => i,
            None => {
                // At most SLOTS live slots: grown one at a time.
                self.slots.reserve_exact(1);
                self.slots.push(Slot {
                    idx,
                    ..Slot::default()
                });
                self.slots.len() - 1
            }
        };
        if let Some(slot) = self.slots.get_mut(i) {
            slot.totals.add(f, t);
            push_capped(&mut slot.evidence, ev, p.evidence);
        }
        let Some(h) = f.hash else { return 0 };
        if !self.admitted(h) {
            return 0;
        }
        let weight = 1u64 << self.level;
        let added = match self.seen.get_mut(h) {
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
        let mut t = Totals::default();
        for s in self.in_ring_order() {
            t.merge(&s.totals);
        }
        t.distinct = (self.seen.len() as u64) << self.level;
        t
    }

    /// The window's first `n` events, oldest first.
    pub(crate) fn evidence(&self, n: usize) -> Vec<Ev> {
        let mut v: Vec<Ev> = self
            .in_ring_order()
            .into_iter()
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

    /// Heap bytes held (the window itself, inline in its map, excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        let ev = size_of::<Ev>();
        let slots: usize = self
            .slots
            .iter()
            .map(|s| alloc_size(s.evidence.capacity() * ev))
            .sum();
        let burst = self.burst.as_ref().map_or(0, |b| {
            alloc_size(size_of::<Burst>()) + alloc_size(b.evidence.capacity() * ev)
        });
        alloc_size(self.slots.capacity() * size_of::<Slot>())
            + slots
            + self.seen.heap_bytes()
            + burst
    }
}
