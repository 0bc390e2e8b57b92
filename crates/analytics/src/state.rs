//! Bounded per-entity state: at most `capacity` entities, the least recently
//! seen evicted first (counted), so memory is bounded by entities, never by
//! events.

use std::hash::Hash;

use std::collections::BTreeMap;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

/// A map from entity keys to state with a capacity; touching an entry makes
/// it the most recent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bounded<K: Eq + Hash, V> {
    capacity: usize,
    tick: u64,
    entries: HashMap<K, (u64, V)>,
    /// Last touch → key, oldest first: eviction without a scan.
    order: BTreeMap<u64, K>,
    /// Entities dropped to stay within the capacity.
    pub evicted: u64,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    /// An empty map holding at most `capacity` entities (at least 1).
    pub fn new(capacity: usize) -> Self {
        Bounded {
            capacity: capacity.max(1),
            tick: 0,
            entries: HashMap::default(),
            order: BTreeMap::new(),
            evicted: 0,
        }
    }

    /// The entry of `key`, made with `make` when new (evicting the least
    /// recently touched one when full).
    pub fn entry(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V {
        self.tick += 1;
        let tick = self.tick;
        if !self.entries.contains_key(key) && self.entries.len() >= self.capacity {
            self.evict_oldest();
        }
        let e = self
            .entries
            .entry(key.clone())
            .or_insert_with(|| (0, make()));
        if e.0 != 0 {
            self.order.remove(&e.0);
        }
        e.0 = tick;
        self.order.insert(tick, key.clone());
        &mut e.1
    }

    /// The entry of `key`, if tracked (not touched).
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|e| &e.1)
    }

    /// Entities tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entity and its state (any order).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, (_, v))| (k, v))
    }

    /// Every entity and its state, mutably (any order).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, (_, v))| (k, v))
    }

    /// Drops the entities `keep` says no to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let order = &mut self.order;
        self.entries.retain(|k, (t, v)| {
            let kept = keep(k, v);
            if !kept {
                order.remove(t);
            }
            kept
        });
    }

    fn evict_oldest(&mut self) {
        if let Some((_, k)) = self.order.pop_first() {
            self.entries.remove(&k);
            self.evicted += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_touched() {
        let mut b: Bounded<&str, u32> = Bounded::new(2);
        *b.entry(&"a", || 0) += 1;
        *b.entry(&"b", || 0) += 1;
        *b.entry(&"a", || 0) += 1; // a is now the most recent
        *b.entry(&"c", || 0) += 1; // evicts b
        assert_eq!(b.len(), 2);
        assert_eq!(b.get(&"a"), Some(&2));
        assert_eq!(b.get(&"b"), None);
        assert_eq!(b.evicted, 1);
    }

    #[test]
    fn eviction_stays_in_order_at_scale() {
        let mut b: Bounded<u32, u32> = Bounded::new(1000);
        for i in 0..100_000u32 {
            *b.entry(&i, || 0) += 1;
            // Keep touching entity 7: it is never the oldest.
            *b.entry(&7, || 0) += 1;
        }
        assert_eq!(b.len(), 1000);
        assert_eq!(b.evicted, 100_000 - 1000);
        assert!(b.get(&7).is_some());
        assert!(b.get(&99_999).is_some() && b.get(&98_000).is_none());
        b.retain(|k, _| *k != 7);
        *b.entry(&1, || 0) += 1;
        assert_eq!(b.len(), 1000);
    }

    #[test]
    fn round_trips_through_json() {
        let mut b: Bounded<String, Vec<u32>> = Bounded::new(10);
        b.entry(&"x".to_string(), Vec::new).push(3);
        let saved = serde_json::to_value(&b).unwrap();
        let back: Bounded<String, Vec<u32>> = serde_json::from_value(saved).unwrap();
        assert_eq!(back.get(&"x".to_string()), Some(&vec![3]));
    }
}
