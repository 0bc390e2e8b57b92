//! One correlation's groups: a slab of windows keyed by group-by values,
//! with a least-recently-updated queue (for the `max_groups` limit and for
//! expiring idle sliding windows) and a deadline heap (for closing anchored
//! windows when time passes their end). Both queues are lazy: an entry is
//! valid only while it matches the group's current sequence number or
//! deadline, and they are rebuilt when stale entries pile up.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use foldhash::fast::RandomState;
use phiwatch_event::Origin;

use crate::window::Agg;

/// One group's window.
#[derive(Debug)]
pub struct Group {
    /// The group-by values.
    pub key: Box<[String]>,
    /// The aggregate.
    pub agg: Agg,
    /// Newest contributing origins with their times (bounded).
    pub evidence: VecDeque<(i64, Origin)>,
    /// Newest input time in the window.
    pub newest: i64,
    /// Start of an anchored window (tumbling, session, or a sliding window
    /// decided at close); `None` while the window is empty.
    pub anchor: Option<i64>,
    /// When the anchored window closes (`i64::MAX` when none).
    pub deadline: i64,
    /// Sequence number of the last update (for the LRU queue).
    seq: u64,
}

/// The groups of one correlation.
#[derive(Debug)]
pub struct Groups {
    index: HashMap<Box<[String]>, u32, RandomState>,
    slots: Vec<Option<Group>>,
    free: Vec<u32>,
    lru: VecDeque<(u64, u32)>,
    deadlines: BinaryHeap<Reverse<(i64, u32)>>,
    next_seq: u64,
}

impl Groups {
    /// No groups.
    pub fn new() -> Groups {
        Groups {
            index: HashMap::with_hasher(RandomState::default()),
            slots: Vec::new(),
            free: Vec::new(),
            lru: VecDeque::new(),
            deadlines: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Number of live groups.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of the group with `key`, creating it (from `make`) if
    /// needed. When that would pass `max_groups`, the least recently updated
    /// group is dropped first and counted in `evicted`.
    pub fn get_or_insert(
        &mut self,
        key: Vec<String>,
        max_groups: usize,
        make: impl FnOnce() -> Agg,
        evicted: &mut u64,
    ) -> u32 {
        if let Some(&slot) = self.index.get(key.as_slice()) {
            return slot;
        }
        while self.index.len() >= max_groups.max(1) {
            if self.pop_lru().is_none() {
                break;
            }
            *evicted += 1;
        }
        let key: Box<[String]> = key.into_boxed_slice();
        let group = Group {
            key: key.clone(),
            agg: make(),
            evidence: VecDeque::new(),
            newest: i64::MIN,
            anchor: None,
            deadline: i64::MAX,
            seq: 0,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(group);
                s
            }
            None => {
                self.slots.push(Some(group));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, slot);
        slot
    }

    /// The group in `slot`.
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Group> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    /// Marks the group in `slot` as just updated.
    pub fn touch(&mut self, slot: u32) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(g) = self.get_mut(slot) {
            g.seq = seq;
            self.lru.push_back((seq, slot));
        }
        if self.lru.len() > 2 * self.index.len() + 64 {
            self.rebuild_lru();
        }
    }

    /// Records that the group in `slot` now closes at `deadline`.
    pub fn set_deadline(&mut self, slot: u32, deadline: i64) {
        if let Some(g) = self.get_mut(slot) {
            g.deadline = deadline;
            if deadline != i64::MAX {
                self.deadlines.push(Reverse((deadline, slot)));
            }
        }
        if self.deadlines.len() > 2 * self.index.len() + 64 {
            self.rebuild_deadlines();
        }
    }

    /// Removes the group in `slot`.
    pub fn remove(&mut self, slot: u32) -> Option<Group> {
        let group = self.slots.get_mut(slot as usize)?.take()?;
        self.index.remove(&group.key);
        self.free.push(slot);
        Some(group)
    }

    /// Removes and returns the least recently updated group.
    fn pop_lru(&mut self) -> Option<Group> {
        while let Some((seq, slot)) = self.lru.pop_front() {
            if self
                .slots
                .get(slot as usize)?
                .as_ref()
                .is_some_and(|g| g.seq == seq)
            {
                return self.remove(slot);
            }
        }
        // No queue entry: fall back to any group (cannot happen when every
        // insert is followed by `touch`).
        let slot = *self.index.values().next()?;
        self.remove(slot)
    }

    /// Removes the least recently updated groups while their newest input
    /// is older than `cutoff` (sliding windows that hold nothing any more).
    pub fn expire_idle(&mut self, cutoff: i64) -> usize {
        let mut removed = 0;
        while let Some(&(seq, slot)) = self.lru.front() {
            let state = self.slots.get(slot as usize).and_then(Option::as_ref);
            match state {
                Some(g) if g.seq == seq => {
                    if g.newest >= cutoff || g.deadline != i64::MAX {
                        break;
                    }
                    self.lru.pop_front();
                    self.remove(slot);
                    removed += 1;
                }
                _ => {
                    self.lru.pop_front();
                }
            }
        }
        removed
    }

    /// Removes and returns the next group whose deadline is before `now`.
    pub fn pop_due(&mut self, now: i64) -> Option<Group> {
        while let Some(&Reverse((deadline, slot))) = self.deadlines.peek() {
            if deadline >= now {
                return None;
            }
            self.deadlines.pop();
            let valid = self
                .slots
                .get(slot as usize)
                .and_then(Option::as_ref)
                .is_some_and(|g| g.deadline == deadline);
            if valid {
                return self.remove(slot);
            }
        }
        None
    }

    fn rebuild_lru(&mut self) {
        let mut live: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (g.seq, i as u32)))
            .collect();
        live.sort_unstable();
        self.lru = live.into();
    }

    fn rebuild_deadlines(&mut self) {
        self.deadlines = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (g.deadline, i as u32)))
            .filter(|(d, _)| *d != i64::MAX)
            .map(Reverse)
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Kind;

    fn agg() -> Agg {
        Agg::new(Kind::EventCount, 1)
    }

    fn key(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn evicts_least_recently_updated() {
        let mut g = Groups::new();
        let mut evicted = 0;
        let a = g.get_or_insert(key("a"), 2, agg, &mut evicted);
        g.touch(a);
        let b = g.get_or_insert(key("b"), 2, agg, &mut evicted);
        g.touch(b);
        g.touch(a); // a is now newer than b
        assert_eq!(evicted, 0);
        let c = g.get_or_insert(key("c"), 2, agg, &mut evicted);
        g.touch(c);
        assert_eq!(evicted, 1);
        assert_eq!(g.len(), 2);
        assert!(g.index.contains_key(key("a").as_slice()));
        assert!(!g.index.contains_key(key("b").as_slice()));
    }

    #[test]
    fn lru_queue_stays_bounded() {
        let mut g = Groups::new();
        let mut evicted = 0;
        let a = g.get_or_insert(key("a"), 10, agg, &mut evicted);
        for _ in 0..10_000 {
            g.touch(a);
        }
        assert!(g.lru.len() <= 2 + 64 + 1);
    }

    #[test]
    fn deadlines_pop_in_order_and_skip_stale() {
        let mut g = Groups::new();
        let mut evicted = 0;
        let a = g.get_or_insert(key("a"), 10, agg, &mut evicted);
        let b = g.get_or_insert(key("b"), 10, agg, &mut evicted);
        g.set_deadline(a, 50);
        g.set_deadline(b, 20);
        g.set_deadline(a, 80); // moved: the entry at 50 is stale
        assert_eq!(g.pop_due(60).map(|x| x.key[0].clone()), Some("b".into()));
        assert!(g.pop_due(60).is_none());
        assert_eq!(g.pop_due(81).map(|x| x.key[0].clone()), Some("a".into()));
        assert_eq!(g.len(), 0);
    }

    #[test]
    fn expire_idle_removes_old_groups_only() {
        let mut g = Groups::new();
        let mut evicted = 0;
        for (name, t) in [("a", 10), ("b", 20), ("c", 30)] {
            let s = g.get_or_insert(key(name), 10, agg, &mut evicted);
            if let Some(x) = g.get_mut(s) {
                x.newest = t;
            }
            g.touch(s);
        }
        assert_eq!(g.expire_idle(25), 2);
        assert_eq!(g.len(), 1);
    }
}
