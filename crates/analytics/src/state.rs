//! Bounded per-entity state: at most `capacity` entities, the least recently
//! seen evicted first (counted), so memory is bounded by entities, never by
//! events.
//!
//! # Layout
//!
//! [`Bounded`] keeps each entity once, in a dense vector of slots (key,
//! value, and the links of a doubly linked list from the least to the most
//! recently touched), and finds it through a small open-addressing index of
//! 8-byte buckets (slot number and 32 bits of the key's hash, linear
//! probing, at most three quarters full). A key is stored once (the old
//! layout, a hash map plus an ordered map of ticks, held two copies of
//! every key), touching an entity moves it to the end of the list in O(1),
//! and eviction takes the head of the list. Lookups take any borrowed form
//! of the key (`&str` for a `String`), so looking up allocates nothing.
//!
//! Per entity the overhead is the slot's two links (8 bytes) and the
//! index's 8 bytes per bucket (10.7 to 21.3 bytes an entity), against 60 to
//! 120 bytes before; [`Bounded::heap_bytes`] reports it.
//!
//! The index is keyed by a seeded hash ([`foldhash`]'s random state, drawn
//! per map), so keys taken from logs cannot be chosen to collide.
//!
//! ```
//! use phiwatch_analytics::state::Bounded;
//!
//! let mut b: Bounded<String, u32> = Bounded::new(2);
//! *b.entry_by("alice", || "alice".to_string(), || 0) += 1;
//! *b.entry_by("bob", || "bob".to_string(), || 0) += 1;
//! *b.entry_by("alice", || "alice".to_string(), || 0) += 1; // alice is the most recent
//! *b.entry_by("carol", || "carol".to_string(), || 0) += 1; // evicts bob
//! assert_eq!(b.get("alice"), Some(&2));
//! assert_eq!(b.get("bob"), None);
//! assert_eq!(b.evicted, 1);
//! ```

use std::borrow::Borrow;
use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;
use foldhash::{HashMap, HashSet};
use serde::de::{Deserialize, Deserializer, IgnoredAny};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

/// No slot (end of the list, empty bucket).
const NIL: u32 = u32::MAX;

/// One entity: its key, its state, and its neighbours in the recency list.
#[derive(Clone, Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// Less recently touched neighbour.
    prev: u32,
    /// More recently touched neighbour.
    next: u32,
}

/// An index bucket: a slot number ([`NIL`] when empty) and 32 bits of the
/// key's hash (its low bits are the bucket it wants).
#[derive(Clone, Copy, Debug)]
struct Bucket {
    slot: u32,
    tag: u32,
}

const EMPTY: Bucket = Bucket { slot: NIL, tag: 0 };

/// A map from entity keys to state with a capacity; touching an entry makes
/// it the most recent.
#[derive(Clone, Debug)]
pub struct Bounded<K, V> {
    capacity: usize,
    slots: Vec<Slot<K, V>>,
    /// Open addressing, linear probing; a power of two long (or empty).
    index: Vec<Bucket>,
    /// Least and most recently touched slots.
    head: u32,
    tail: u32,
    hasher: RandomState,
    /// Entities dropped to stay within the capacity.
    pub evicted: u64,
}

impl<K: Eq + Hash, V> Bounded<K, V> {
    /// An empty map holding at most `capacity` entities (at least 1, at
    /// most 2³¹).
    pub fn new(capacity: usize) -> Self {
        Bounded {
            capacity: capacity.clamp(1, 1 << 31),
            slots: Vec::new(),
            index: Vec::new(),
            head: NIL,
            tail: NIL,
            hasher: RandomState::default(),
            evicted: 0,
        }
    }

    /// A map of `capacity` filled from `items`, least recently seen first
    /// (as a saved state lists them): the last item is the most recent. A
    /// key listed twice keeps its first value; evictions to fit the
    /// capacity are counted.
    pub fn from_oldest_first(capacity: usize, items: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut b = Bounded::new(capacity);
        for (k, v) in items {
            b.insert_keep(k, v);
        }
        b
    }

    /// The most entities held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn tag_of<Q: Hash + ?Sized>(&self, q: &Q) -> u32 {
        // The high half: foldhash mixes it best.
        (self.hasher.hash_one(q) >> 32) as u32
    }

    fn mask(&self) -> usize {
        self.index.len().wrapping_sub(1)
    }

    /// The bucket holding the key `q` stands for (see [`Bounded::get_by`]),
    /// if any.
    fn find<Q: Hash + ?Sized>(&self, q: &Q, eq: impl Fn(&K) -> bool) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let tag = self.tag_of(q);
        let mask = self.mask();
        let mut i = tag as usize & mask;
        // The index is never full: an empty bucket ends every probe.
        for _ in 0..self.index.len() {
            let b = self.index.get(i)?;
            if b.slot == NIL {
                return None;
            }
            if b.tag == tag {
                if let Some(s) = self.slots.get(b.slot as usize) {
                    if eq(&s.key) {
                        return Some(i);
                    }
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The slot of the key `q` stands for.
    fn slot_of<Q: Hash + ?Sized>(&self, q: &Q, eq: impl Fn(&K) -> bool) -> Option<u32> {
        let i = self.find(q, eq)?;
        self.index.get(i).map(|b| b.slot)
    }

    /// The entry of `key`, if tracked (not touched).
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_by(key, |k| k.borrow() == key)
    }

    /// The entry of the key that `q` stands for and `eq` recognizes, if
    /// tracked (not touched). `q` must hash exactly as that key does: a
    /// `&str` for a `String`, a `(&str, &str)` for a `(String, String)`.
    /// (One that does not only misses.)
    pub fn get_by<Q: Hash + ?Sized>(&self, q: &Q, eq: impl Fn(&K) -> bool) -> Option<&V> {
        let s = self.slot_of(q, eq)?;
        self.slots.get(s as usize).map(|s| &s.value)
    }

    /// The entry of `key`, made the most recent, if tracked.
    pub fn touch<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let s = self.slot_of(key, |k| k.borrow() == key)?;
        self.make_newest(s);
        self.slots.get_mut(s as usize).map(|s| &mut s.value)
    }

    /// The entry of `key`, made with `make` when new (evicting the least
    /// recently touched one when full); it becomes the most recent.
    pub fn entry(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V
    where
        K: Clone,
    {
        self.entry_by(key, || key.clone(), make)
    }

    /// The entry of the key `q` stands for (compared with `==` through
    /// [`Borrow`]), made with `make_key` and `make` when new: the key is
    /// only built (allocated) for a new entity.
    pub fn entry_by<Q>(
        &mut self,
        q: &Q,
        make_key: impl FnOnce() -> K,
        make: impl FnOnce() -> V,
    ) -> &mut V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entry_with(q, |k| k.borrow() == q, make_key, make)
    }

    /// [`Bounded::entry_by`] for keys without a borrowed form: `q` hashes
    /// as the key does (see [`Bounded::get_by`]) and `eq` recognizes it.
    pub fn entry_with<Q: Hash + ?Sized>(
        &mut self,
        q: &Q,
        eq: impl Fn(&K) -> bool,
        make_key: impl FnOnce() -> K,
        make: impl FnOnce() -> V,
    ) -> &mut V {
        let s = match self.slot_of(q, eq) {
            Some(s) => {
                self.make_newest(s);
                s
            }
            None => {
                let tag = self.tag_of(q);
                self.insert_new(tag, make_key(), make())
            }
        };
        // Invariant: `s` is a live slot (found in the index, or just pushed).
        &mut self.slots[s as usize].value
    }

    /// [`Bounded::entry_with`], with the entity's key.
    pub fn entry_with_key<Q: Hash + ?Sized>(
        &mut self,
        q: &Q,
        eq: impl Fn(&K) -> bool,
        make_key: impl FnOnce() -> K,
        make: impl FnOnce() -> V,
    ) -> (&K, &mut V) {
        let s = match self.slot_of(q, eq) {
            Some(s) => {
                self.make_newest(s);
                s
            }
            None => {
                let tag = self.tag_of(q);
                self.insert_new(tag, make_key(), make())
            }
        };
        // Invariant: `s` is a live slot (found in the index, or just pushed).
        let slot = &mut self.slots[s as usize];
        (&slot.key, &mut slot.value)
    }

    /// Inserts `v` under `k` unless `k` is there (then only touched).
    fn insert_keep(&mut self, k: K, v: V) {
        match self.slot_of(&k, |x| *x == k) {
            Some(s) => self.make_newest(s),
            None => {
                let tag = self.tag_of(&k);
                self.insert_new(tag, k, v);
            }
        }
    }

    /// Adds a new entity as the most recent, evicting the least recent when
    /// full; its slot.
    fn insert_new(&mut self, tag: u32, key: K, value: V) -> u32 {
        if self.slots.len() >= self.capacity && self.head != NIL {
            self.remove_slot(self.head);
            self.evicted += 1;
        }
        if (self.slots.len() + 1) * 4 > self.index.len() * 3 {
            self.grow();
        }
        let s = u32::try_from(self.slots.len()).unwrap_or(NIL - 1);
        self.slots.push(Slot {
            key,
            value,
            prev: self.tail,
            next: NIL,
        });
        match self.slots.get_mut(self.tail as usize) {
            Some(t) => t.next = s,
            None => self.head = s,
        }
        self.tail = s;
        self.place(Bucket { slot: s, tag });
        s
    }

    /// Puts `b` in the first empty bucket from its home.
    fn place(&mut self, b: Bucket) {
        let mask = self.mask();
        let mut i = b.tag as usize & mask;
        for _ in 0..self.index.len() {
            match self.index.get_mut(i) {
                Some(x) if x.slot == NIL => {
                    *x = b;
                    return;
                }
                Some(_) => i = (i + 1) & mask,
                None => return,
            }
        }
    }

    /// Doubles the index (at least 8 buckets) and places every slot again.
    fn grow(&mut self) {
        let len = (self.index.len() * 2).max(8);
        self.index = vec![EMPTY; len];
        for s in 0..self.slots.len() {
            let tag = self.tag_of(&self.slots[s].key);
            self.place(Bucket {
                slot: s as u32,
                tag,
            });
        }
    }

    /// Makes slot `s` the most recent.
    fn make_newest(&mut self, s: u32) {
        if self.tail == s {
            return;
        }
        self.unlink(s);
        if let Some(x) = self.slots.get_mut(s as usize) {
            x.prev = self.tail;
            x.next = NIL;
        }
        match self.slots.get_mut(self.tail as usize) {
            Some(t) => t.next = s,
            None => self.head = s,
        }
        self.tail = s;
    }

    /// Takes slot `s` out of the recency list.
    fn unlink(&mut self, s: u32) {
        let Some((prev, next)) = self.slots.get(s as usize).map(|x| (x.prev, x.next)) else {
            return;
        };
        match self.slots.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    /// The bucket pointing at slot `s`.
    fn bucket_of_slot(&self, s: u32) -> Option<usize> {
        let key = &self.slots.get(s as usize)?.key;
        let tag = self.tag_of(key);
        let mask = self.mask();
        let mut i = tag as usize & mask;
        for _ in 0..self.index.len() {
            let b = self.index.get(i)?;
            if b.slot == s {
                return Some(i);
            }
            if b.slot == NIL {
                return None;
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Empties bucket `i`, shifting back the entries after it that probed
    /// past it (linear probing without tombstones).
    fn clear_bucket(&mut self, mut i: usize) {
        let mask = self.mask();
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let Some(&b) = self.index.get(j) else { return };
            if b.slot == NIL {
                break;
            }
            let home = b.tag as usize & mask;
            // `b` may move to `i` when its home is not within (i, j].
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if !stays {
                if let Some(x) = self.index.get_mut(i) {
                    *x = b;
                }
                i = j;
            }
        }
        if let Some(x) = self.index.get_mut(i) {
            *x = EMPTY;
        }
    }

    /// Removes slot `s`: out of the list and the index; the last slot moves
    /// into its place.
    fn remove_slot(&mut self, s: u32) -> Option<(K, V)> {
        if s as usize >= self.slots.len() {
            return None;
        }
        self.unlink(s);
        if let Some(i) = self.bucket_of_slot(s) {
            self.clear_bucket(i);
        }
        let last = u32::try_from(self.slots.len() - 1).unwrap_or(NIL);
        if last != s {
            // Re-point the last slot's bucket and neighbours at `s`.
            if let Some(i) = self.bucket_of_slot(last) {
                if let Some(b) = self.index.get_mut(i) {
                    b.slot = s;
                }
            }
            let (prev, next) = self
                .slots
                .get(last as usize)
                .map_or((NIL, NIL), |x| (x.prev, x.next));
            match self.slots.get_mut(prev as usize) {
                Some(p) => p.next = s,
                None => self.head = s,
            }
            match self.slots.get_mut(next as usize) {
                Some(n) => n.prev = s,
                None => self.tail = s,
            }
        }
        let x = self.slots.swap_remove(s as usize);
        Some((x.key, x.value))
    }

    /// Entities tracked.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether none is tracked.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every entity and its state (any order).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots.iter().map(|s| (&s.key, &s.value))
    }

    /// Every entity and its state, mutably (any order).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.slots.iter_mut().map(|s| (&s.key, &mut s.value))
    }

    /// Every entity and its state, least recently touched first.
    pub fn iter_oldest_first(&self) -> impl Iterator<Item = (&K, &V)> {
        let mut s = self.head;
        std::iter::from_fn(move || {
            let x = self.slots.get(s as usize)?;
            s = x.next;
            Some((&x.key, &x.value))
        })
    }

    /// Drops the entities `keep` says no to (not counted as evicted).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut i = 0;
        while i < self.slots.len() {
            let kept = match self.slots.get_mut(i) {
                Some(s) => keep(&s.key, &mut s.value),
                None => true,
            };
            if kept {
                i += 1;
            } else {
                // The last slot moves into `i`: look at it next.
                self.remove_slot(i as u32);
            }
        }
        self.shrink();
    }

    /// Gives memory back after many entities went.
    fn shrink(&mut self) {
        if self.slots.capacity() > 64 && self.slots.len() * 4 < self.slots.capacity() {
            self.slots.shrink_to(self.slots.len() * 2);
            let mut len = 8;
            while (self.slots.len() + 1) * 4 > len * 3 {
                len *= 2;
            }
            if len < self.index.len() {
                self.index = Vec::new();
                let tags: Vec<u32> = self.slots.iter().map(|s| self.tag_of(&s.key)).collect();
                self.index = vec![EMPTY; len];
                for (s, tag) in tags.into_iter().enumerate() {
                    self.place(Bucket {
                        slot: s as u32,
                        tag,
                    });
                }
            }
        }
    }

    /// Heap bytes of the map itself: the slots (keys and values inline)
    /// and the index. What keys and values hold on the heap is theirs to
    /// add. The slots' spare capacity is not counted: a large vector's
    /// untouched tail takes no memory until it is used.
    pub fn heap_bytes(&self) -> usize {
        alloc_size(self.slots.len() * std::mem::size_of::<Slot<K, V>>())
            + alloc_size(self.index.len() * std::mem::size_of::<Bucket>())
    }
}

/// Approximate bytes an allocator hands out for a request of `n` bytes:
/// rounded up to its size class (multiples of 16 up to 128, then four
/// classes per doubling), so that reported memory follows resident memory.
pub fn alloc_size(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let top = usize::BITS - 1 - n.leading_zeros();
    let step = 1usize << (top - 2);
    n.div_ceil(step) * step
}

/// Pushes `x` when `v` holds fewer than `max`; the vector grows 1, 2, 4, …
/// up to `max` (not the standard library's 4 or 8 at once), since most of
/// these lists stay short. Whether it was pushed.
pub fn push_capped<T>(v: &mut Vec<T>, x: T, max: usize) -> bool {
    if v.len() >= max {
        return false;
    }
    if v.len() == v.capacity() {
        let more = v.len().max(1).min(max - v.len());
        v.reserve_exact(more);
    }
    v.push(x);
    true
}

/// A set of 64-bit values (hashes, fingerprints): a short list up to
/// [`U64Set::SMALL`] values, a hash set past it. Most sets stay small.
#[derive(Clone, Debug, PartialEq)]
pub enum U64Set {
    /// Up to [`U64Set::SMALL`] values, unordered.
    Small(Vec<u64>),
    /// More.
    Big(Box<HashSet<u64>>),
}

impl Default for U64Set {
    fn default() -> U64Set {
        U64Set::Small(Vec::new())
    }
}

impl U64Set {
    /// Values kept in a list before a hash set.
    pub const SMALL: usize = 16;

    /// Values held.
    pub fn len(&self) -> usize {
        match self {
            U64Set::Small(v) => v.len(),
            U64Set::Big(s) => s.len(),
        }
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `x` is in.
    pub fn contains(&self, x: u64) -> bool {
        match self {
            U64Set::Small(v) => v.contains(&x),
            U64Set::Big(s) => s.contains(&x),
        }
    }

    /// Adds `x`; whether it was new.
    pub fn insert(&mut self, x: u64) -> bool {
        match self {
            U64Set::Small(v) if v.contains(&x) => false,
            U64Set::Small(v) if v.len() < Self::SMALL => push_capped(v, x, Self::SMALL),
            U64Set::Small(v) => {
                let mut set: HashSet<u64> = v.iter().copied().collect();
                set.insert(x);
                *self = U64Set::Big(Box::new(set));
                true
            }
            U64Set::Big(s) => s.insert(x),
        }
    }

    /// Every value (any order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            U64Set::Small(v) => Box::new(v.iter().copied()),
            U64Set::Big(s) => Box::new(s.iter().copied()),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        match self {
            U64Set::Small(v) => alloc_size(v.capacity() * 8),
            U64Set::Big(s) => {
                alloc_size(std::mem::size_of::<HashSet<u64>>()) + alloc_size(s.capacity() * 9 + 16)
            }
        }
    }
}

impl Serialize for U64Set {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for U64Set {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let v = Vec::<u64>::deserialize(de)?;
        let mut s = U64Set::default();
        for x in v {
            s.insert(x);
        }
        Ok(s)
    }
}

/// A map that most often holds a few entries: a short list up to
/// [`SmallMap::SMALL`] of them, a hash map past it. Saved as a map.
#[derive(Clone, Debug, PartialEq)]
pub enum SmallMap<K: Eq + Hash, V> {
    /// Up to [`SmallMap::SMALL`] entries, unordered.
    Small(Vec<(K, V)>),
    /// More.
    Big(HashMap<K, V>),
}

impl<K: Eq + Hash, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap::Small(Vec::new())
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    /// Entries held in a list before a hash map.
    pub const SMALL: usize = 8;

    /// Entries held.
    pub fn len(&self) -> usize {
        match self {
            SmallMap::Small(v) => v.len(),
            SmallMap::Big(m) => m.len(),
        }
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        match self {
            SmallMap::Small(v) => v.iter().find(|e| e.0 == *k).map(|e| &e.1),
            SmallMap::Big(m) => m.get(k),
        }
    }

    /// The value of `k`, mutably.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        match self {
            SmallMap::Small(v) => v.iter_mut().find(|e| e.0 == *k).map(|e| &mut e.1),
            SmallMap::Big(m) => m.get_mut(k),
        }
    }

    /// Whether `k` is in.
    pub fn contains_key(&self, k: &K) -> bool {
        self.get(k).is_some()
    }

    /// The value of `k`, made with `make` when absent.
    pub fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        if let SmallMap::Small(v) = self {
            if v.len() >= Self::SMALL && !v.iter().any(|e| e.0 == k) {
                let m: HashMap<K, V> = std::mem::take(v).into_iter().collect();
                *self = SmallMap::Big(m);
            }
        }
        match self {
            SmallMap::Small(v) => {
                let i = match v.iter().position(|e| e.0 == k) {
                    Some(i) => i,
                    None => {
                        push_capped(v, (k, make()), usize::MAX);
                        v.len() - 1
                    }
                };
                // Invariant: `i` was found or just pushed.
                &mut v[i].1
            }
            SmallMap::Big(m) => m.entry(k).or_insert_with(make),
        }
    }

    /// Removes `k`, returning its value.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        match self {
            SmallMap::Small(v) => {
                let i = v.iter().position(|e| e.0 == *k)?;
                Some(v.swap_remove(i).1)
            }
            SmallMap::Big(m) => m.remove(k),
        }
    }

    /// Every entry (any order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&K, &V)> + '_> {
        match self {
            SmallMap::Small(v) => Box::new(v.iter().map(|(k, v)| (k, v))),
            SmallMap::Big(m) => Box::new(m.iter()),
        }
    }

    /// Every key (any order).
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Heap bytes of the entries (what they own besides excluded).
    pub fn heap_bytes(&self) -> usize {
        match self {
            SmallMap::Small(v) => alloc_size(v.capacity() * std::mem::size_of::<(K, V)>()),
            SmallMap::Big(m) => alloc_size(m.capacity() * (std::mem::size_of::<(K, V)>() + 1) + 16),
        }
    }
}

impl<K: Eq + Hash + Serialize, V: Serialize> Serialize for SmallMap<K, V> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_map(self.iter())
    }
}

impl<'de, K: Eq + Hash + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de>
    for SmallMap<K, V>
{
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let m = HashMap::<K, V>::deserialize(de)?;
        Ok(if m.len() <= Self::SMALL {
            SmallMap::Small(m.into_iter().collect())
        } else {
            SmallMap::Big(m)
        })
    }
}

/// The saved form (the one the first layout wrote, so states stay
/// readable both ways): `entries` maps each key to its rank in the recency
/// order (1 the least recent) and its state, `order` maps ranks to keys.
impl<K: Serialize + Eq + Hash, V: Serialize> Serialize for Bounded<K, V> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        struct Entries<'a, K, V>(&'a Bounded<K, V>);
        impl<K: Serialize + Eq + Hash, V: Serialize> Serialize for Entries<'_, K, V> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let mut m = ser.serialize_map(Some(self.0.len()))?;
                for (rank, (k, v)) in self.0.iter_oldest_first().enumerate() {
                    m.serialize_entry(k, &(rank as u64 + 1, v))?;
                }
                m.end()
            }
        }
        struct Order<'a, K, V>(&'a Bounded<K, V>);
        impl<K: Serialize + Eq + Hash, V> Serialize for Order<'_, K, V> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let mut m = ser.serialize_map(Some(self.0.len()))?;
                for (rank, (k, _)) in self.0.iter_oldest_first().enumerate() {
                    m.serialize_entry(&(rank as u64 + 1), k)?;
                }
                m.end()
            }
        }
        let mut s = ser.serialize_struct("Bounded", 5)?;
        s.serialize_field("capacity", &self.capacity)?;
        s.serialize_field("tick", &(self.len() as u64))?;
        s.serialize_field("entries", &Entries(self))?;
        s.serialize_field("order", &Order(self))?;
        s.serialize_field("evicted", &self.evicted)?;
        s.end()
    }
}

impl<'de, K, V> Deserialize<'de> for Bounded<K, V>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(bound = "K: Deserialize<'de> + Eq + Hash, V: Deserialize<'de>")]
        struct Repr<K, V> {
            capacity: usize,
            #[serde(default)]
            #[allow(dead_code)]
            tick: IgnoredAny,
            entries: StdHashMap<K, (u64, V)>,
            #[serde(default)]
            #[allow(dead_code)]
            order: IgnoredAny,
            #[serde(default)]
            evicted: u64,
        }
        let r = Repr::<K, V>::deserialize(de)?;
        let mut items: Vec<(u64, K, V)> =
            r.entries.into_iter().map(|(k, (t, v))| (t, k, v)).collect();
        items.sort_by_key(|x| x.0);
        let mut b =
            Bounded::from_oldest_first(r.capacity, items.into_iter().map(|(_, k, v)| (k, v)));
        b.evicted += r.evicted;
        Ok(b)
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
        b.entry(&"y".to_string(), Vec::new).push(4);
        b.entry(&"x".to_string(), Vec::new).push(5);
        let saved = serde_json::to_value(&b).unwrap();
        let back: Bounded<String, Vec<u32>> = serde_json::from_value(saved).unwrap();
        assert_eq!(back.get("x"), Some(&vec![3, 5]));
        // The recency order survives: y is the oldest.
        let order: Vec<&String> = back.iter_oldest_first().map(|(k, _)| k).collect();
        assert_eq!(order, ["y", "x"]);
    }

    #[test]
    fn reads_the_first_layouts_saved_form() {
        let old = serde_json::json!({
            "capacity": 3, "tick": 9,
            "entries": {"a": [7, 1], "b": [2, 2], "c": [9, 3]},
            "order": {"2": "b", "7": "a", "9": "c"},
            "evicted": 4
        });
        let mut b: Bounded<String, u32> = serde_json::from_value(old).unwrap();
        assert_eq!(b.evicted, 4);
        b.entry_by("d", || "d".to_string(), || 4);
        // b was the least recent.
        assert_eq!(b.get("b"), None);
        assert_eq!(b.evicted, 5);
    }

    /// The map against a plain model (a vector in recency order) under a
    /// long random mix of touches, inserts, retains and evictions.
    #[test]
    fn matches_a_model() {
        let mut b: Bounded<u64, u64> = Bounded::new(50);
        let mut model: Vec<(u64, u64)> = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut evicted = 0;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = x % 120;
            match x % 10 {
                0..=6 => {
                    *b.entry(&k, || 0) += step;
                    if let Some(i) = model.iter().position(|e| e.0 == k) {
                        let mut e = model.remove(i);
                        e.1 += step;
                        model.push(e);
                    } else {
                        if model.len() == 50 {
                            model.remove(0);
                            evicted += 1;
                        }
                        model.push((k, step));
                    }
                }
                7 | 8 => {
                    let got = b.touch(&k).map(|v| *v);
                    let want = model.iter().position(|e| e.0 == k).map(|i| {
                        let e = model.remove(i);
                        model.push(e);
                        e.1
                    });
                    assert_eq!(got, want);
                }
                _ => {
                    let cut = x % 7;
                    b.retain(|k, _| k % 7 != cut);
                    model.retain(|e| e.0 % 7 != cut);
                }
            }
            assert_eq!(b.len(), model.len());
            assert_eq!(b.evicted, evicted);
        }
        let order: Vec<(u64, u64)> = b.iter_oldest_first().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(order, model);
        for (k, v) in &model {
            assert_eq!(b.get(k), Some(v));
        }
    }

    #[test]
    fn looks_up_without_owning_the_key() {
        let mut b: Bounded<(String, String), u32> = Bounded::new(10);
        *b.entry_with(
            &("alice", "patients"),
            |k| k.0 == "alice" && k.1 == "patients",
            || ("alice".to_string(), "patients".to_string()),
            || 0,
        ) += 1;
        let found = b.get_by(&("alice", "patients"), |k| {
            k.0 == "alice" && k.1 == "patients"
        });
        assert_eq!(found, Some(&1));
        assert_eq!(
            b.get(&("alice".to_string(), "patients".to_string())),
            Some(&1)
        );
    }

    #[test]
    fn small_sets_grow_into_hash_sets() {
        let mut s = U64Set::default();
        for i in 0..40u64 {
            assert!(s.insert(i * 3));
            assert!(!s.insert(i * 3));
        }
        assert_eq!(s.len(), 40);
        assert!(s.contains(39 * 3) && !s.contains(1));
        let back: U64Set = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back.len(), 40);
        let mut small = U64Set::default();
        small.insert(7);
        assert!(matches!(small, U64Set::Small(_)));
        assert_eq!(small.heap_bytes(), 16);
    }

    #[test]
    fn small_maps_grow_into_hash_maps() {
        let mut m: SmallMap<u32, u32> = SmallMap::default();
        for i in 0..30 {
            *m.get_or_insert_with(i % 20, || 0) += 1;
        }
        assert_eq!(m.len(), 20);
        assert_eq!(m.get(&3), Some(&2));
        assert_eq!(m.get(&15), Some(&1));
        assert_eq!(m.remove(&3), Some(2));
        assert!(!m.contains_key(&3));
        let back: SmallMap<u32, u32> =
            serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back.len(), 19);
        let mut s: SmallMap<u32, u32> = SmallMap::default();
        *s.get_or_insert_with(1, || 5) += 1;
        assert_eq!(s.iter().collect::<Vec<_>>(), [(&1, &6)]);
        assert!(matches!(s, SmallMap::Small(_)));
    }

    #[test]
    fn capped_pushes_grow_by_doubling() {
        let mut v: Vec<u32> = Vec::new();
        for i in 0..10 {
            push_capped(&mut v, i, 5);
        }
        assert_eq!(v, [0, 1, 2, 3, 4]);
        assert_eq!(v.capacity(), 5);
        assert_eq!(alloc_size(0), 0);
        assert_eq!(alloc_size(1), 16);
        assert_eq!(alloc_size(129), 160);
        assert_eq!(alloc_size(1000), 1024);
        assert_eq!(alloc_size(1025), 1280);
    }

    #[test]
    fn memory_is_slots_and_index() {
        let mut b: Bounded<u64, u64> = Bounded::new(1_000_000);
        for i in 0..100_000 {
            b.entry(&i, || i);
        }
        let per = b.heap_bytes() as f64 / b.len() as f64;
        // 24-byte slots and 8-byte buckets, with the vectors' slack.
        assert!((32.0..70.0).contains(&per), "{per}");
        b.retain(|k, _| *k < 1000);
        assert!(b.heap_bytes() < 200_000, "{}", b.heap_bytes());
        assert_eq!(b.get(&999), Some(&999));
    }
}
