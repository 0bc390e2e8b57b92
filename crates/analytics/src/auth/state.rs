//! Per-entity state of the authentication analytics: sources (spray),
//! targets (distributed spray), users (everything else), and the evidence
//! trail each keeps. Every collection here is capped.

use std::collections::{BTreeMap, VecDeque};

use phiwatch_event::{Origin, Timestamp};
use serde::{Deserialize, Serialize};

use crate::seen::Ev;
use crate::state::{alloc_size, push_capped};

/// Evidence of an episode: its first few events and its last few.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Trail {
    head: Vec<Ev>,
    tail: VecDeque<Ev>,
}

const HEAD: usize = 4;
const TAIL: usize = 5;

impl Trail {
    /// Adds `ev`; events of the head older than `oldest` are forgotten
    /// (a new episode starts).
    pub(crate) fn push(&mut self, ev: Ev, oldest: i64) {
        self.head.retain(|e| e.t >= oldest);
        self.tail.retain(|e| e.t >= oldest);
        if push_capped(&mut self.head, ev, HEAD) {
            return;
        }
        if self.tail.len() >= TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(ev);
    }

    /// The first event's time, if any.
    pub(crate) fn first(&self) -> Option<i64> {
        self.head.iter().chain(self.tail.iter()).map(|e| e.t).min()
    }

    /// Evidence: the head, the tail, and `last` (at most 10, in time
    /// order, without repeats).
    pub(crate) fn evidence(&self, last: Ev) -> Vec<(Origin, Timestamp)> {
        let mut all: Vec<Ev> = self.head.iter().chain(self.tail.iter()).copied().collect();
        all.push(last);
        all.sort_by_key(|e| (e.t, e.source, e.record, e.line, e.offset));
        all.dedup();
        all.into_iter().map(Ev::to_pair).collect()
    }

    pub(crate) fn bytes(&self) -> usize {
        alloc_size(self.head.capacity() * std::mem::size_of::<Ev>())
            + alloc_size(self.tail.capacity() * std::mem::size_of::<Ev>())
    }

    fn is_empty(&self) -> bool {
        self.head.is_empty() && self.tail.is_empty()
    }
}

/// One rule's suppression for one entity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Gate {
    last_hit: Option<i64>,
    suppressed: u64,
}

impl Gate {
    /// Whether a hit at `t` may be reported: Some(events suppressed since
    /// the last hit) when it may (the gate then closes for `window`
    /// nanoseconds), None when it is suppressed (and counted).
    pub(crate) fn pass(&mut self, t: i64, window: u64) -> Option<u64> {
        if self.last_hit.is_some_and(|h| t.abs_diff(h) < window) {
            self.suppressed += 1;
            return None;
        }
        self.last_hit = Some(self.last_hit.map_or(t, |h| h.max(t)));
        Some(std::mem::take(&mut self.suppressed))
    }

    /// Whether a hit was reported within `window` of `t`.
    pub(crate) fn open_since(&self, t: i64, window: u64) -> bool {
        self.last_hit.is_some_and(|h| t.abs_diff(h) < window)
    }

    /// Counts one more suppressed event when within `window` of a hit.
    pub(crate) fn absorb(&mut self, t: i64, window: u64) -> bool {
        if self.open_since(t, window) {
            self.suppressed += 1;
            return true;
        }
        false
    }
}

/// One attempt from a source.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Slot {
    pub(crate) t: i64,
    pub(crate) user: u64,
    pub(crate) ip: u64,
    pub(crate) ok: bool,
}

/// A source (address, network or ASN) that failed to log in: its attempts
/// in the spray window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Source {
    slots: VecDeque<Slot>,
    /// Failures per user hash in the window.
    #[serde(skip)]
    failed: BTreeMap<u64, u32>,
    /// Successes per user hash in the window.
    #[serde(skip)]
    ok: BTreeMap<u64, u32>,
    /// Attempts per address hash in the window.
    #[serde(skip)]
    ips: BTreeMap<u64, u32>,
    #[serde(skip)]
    failures: u64,
    pub(crate) latest: i64,
    pub(crate) trail: Trail,
    pub(crate) gate: Gate,
    /// The latest address seen.
    pub(crate) last_ip: String,
}

/// Bytes of a B-tree map of `n` small entries: nodes of up to eleven, at
/// least one allocated node when not empty.
fn btree_bytes(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.div_ceil(7) * alloc_size(200)
    }
}

fn inc(m: &mut BTreeMap<u64, u32>, k: u64) {
    *m.entry(k).or_insert(0) += 1;
}

fn dec(m: &mut BTreeMap<u64, u32>, k: u64) {
    if let Some(n) = m.get_mut(&k) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            m.remove(&k);
        }
    }
}

impl Source {
    /// Adds an attempt; false when it is older than the window (late).
    pub(crate) fn push(&mut self, s: Slot, window: i64, cap: usize) -> bool {
        self.latest = if self.slots.is_empty() {
            s.t
        } else {
            self.latest.max(s.t)
        };
        let oldest = self.latest.saturating_sub(window);
        if s.t < oldest {
            return false;
        }
        self.add(s);
        self.slots.push_back(s);
        while self.slots.len() > cap.max(1) || self.slots.front().is_some_and(|f| f.t < oldest) {
            match self.slots.pop_front() {
                Some(f) => self.remove(f),
                None => break,
            }
        }
        true
    }

    fn add(&mut self, s: Slot) {
        if s.ok {
            inc(&mut self.ok, s.user);
        } else {
            inc(&mut self.failed, s.user);
            self.failures += 1;
        }
        inc(&mut self.ips, s.ip);
    }

    fn remove(&mut self, s: Slot) {
        if s.ok {
            dec(&mut self.ok, s.user);
        } else {
            dec(&mut self.failed, s.user);
            self.failures = self.failures.saturating_sub(1);
        }
        dec(&mut self.ips, s.ip);
    }

    /// Rebuilds the counts from the attempts (after a restore).
    pub(crate) fn rebuild(&mut self) {
        let slots = std::mem::take(&mut self.slots);
        for s in &slots {
            self.add(*s);
        }
        self.slots = slots;
    }

    /// Distinct users failing in the window.
    pub(crate) fn failed_users(&self) -> usize {
        self.failed.len()
    }

    /// Distinct users logging in in the window.
    pub(crate) fn ok_users(&self) -> usize {
        self.ok.len()
    }

    /// Failures in the window.
    pub(crate) fn failures(&self) -> u64 {
        self.failures
    }

    /// Distinct addresses in the window.
    pub(crate) fn addresses(&self) -> usize {
        self.ips.len()
    }

    /// Heap bytes held (the source itself excluded).
    pub(crate) fn bytes(&self) -> usize {
        alloc_size(self.slots.capacity() * std::mem::size_of::<Slot>())
            + btree_bytes(self.failed.len())
            + btree_bytes(self.ok.len())
            + btree_bytes(self.ips.len())
            + self.trail.bytes()
            + alloc_size(self.last_ip.capacity())
    }
}

/// One failure against a target.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct TSlot {
    pub(crate) t: i64,
    pub(crate) user: u64,
    pub(crate) src: u64,
}

/// A failing user of a target: failures in the window, and whether it has
/// logged in since.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Mark {
    fails: u32,
    recovered: bool,
}

/// What was logged into (an identity provider tenant, a cloud account, a
/// host): failures of many users from many sources.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Target {
    slots: VecDeque<TSlot>,
    users: BTreeMap<u64, Mark>,
    #[serde(skip)]
    sources: BTreeMap<u64, u32>,
    pub(crate) latest: i64,
    pub(crate) trail: Trail,
    pub(crate) gate: Gate,
}

impl Target {
    /// Adds a failure; false when older than the window (late).
    pub(crate) fn push(&mut self, s: TSlot, window: i64, cap: usize) -> bool {
        self.latest = if self.slots.is_empty() {
            s.t
        } else {
            self.latest.max(s.t)
        };
        let oldest = self.latest.saturating_sub(window);
        if s.t < oldest {
            return false;
        }
        self.users.entry(s.user).or_default().fails += 1;
        inc(&mut self.sources, s.src);
        self.slots.push_back(s);
        while self.slots.len() > cap.max(1) || self.slots.front().is_some_and(|f| f.t < oldest) {
            let Some(f) = self.slots.pop_front() else {
                break;
            };
            if let Some(m) = self.users.get_mut(&f.user) {
                m.fails = m.fails.saturating_sub(1);
                if m.fails == 0 {
                    self.users.remove(&f.user);
                }
            }
            dec(&mut self.sources, f.src);
        }
        true
    }

    /// A user logged in: if it failed in the window, it has recovered.
    pub(crate) fn login(&mut self, user: u64) {
        if let Some(m) = self.users.get_mut(&user) {
            m.recovered = true;
        }
    }

    pub(crate) fn rebuild(&mut self) {
        for s in &self.slots {
            inc(&mut self.sources, s.src);
        }
    }

    /// (failing users, of which recovered, sources, failures).
    pub(crate) fn counts(&self) -> (usize, usize, usize, usize) {
        let recovered = self.users.values().filter(|m| m.recovered).count();
        (
            self.users.len(),
            recovered,
            self.sources.len(),
            self.slots.len(),
        )
    }

    /// Heap bytes held (the target itself excluded).
    pub(crate) fn bytes(&self) -> usize {
        alloc_size(self.slots.capacity() * std::mem::size_of::<TSlot>())
            + btree_bytes(self.users.len())
            + btree_bytes(self.sources.len())
            + self.trail.bytes()
    }
}

/// The rules with a suppression gate per user.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    Brute = 0,
    BruteSuccess = 1,
    SpraySuccess = 2,
    NewNetwork = 3,
    Travel = 4,
    NoMfa = 5,
    Dormant = 6,
    Vendor = 7,
}

/// Where a user last logged in from, with coordinates.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct GeoMark {
    pub(crate) t: i64,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) place: String,
    pub(crate) ip: String,
    pub(crate) asn: Option<u32>,
    pub(crate) ev: Ev,
}

/// A recent failing source of a user.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct FailFrom {
    pub(crate) group: u64,
    pub(crate) ip: u64,
    pub(crate) t: i64,
}

const FAIL_FROM: usize = 8;

/// A user's failed logins: the brute-force window, the sources it failed
/// from, the evidence (allocated at the first failure: most users never
/// fail).
#[derive(Clone, Debug, Default)]
struct Failing {
    /// Failures in the brute-force window: (time, address hash).
    fails: VecDeque<(i64, u64)>,
    fails_latest: i64,
    fail_from: Vec<FailFrom>,
    trail: Trail,
}

/// One account's history.
#[derive(Clone, Debug, Default)]
pub(crate) struct User {
    /// Successful logins seen.
    pub(crate) logins: u64,
    pub(crate) last_login: Option<i64>,
    /// Latest event of any kind (the eviction order on restore).
    pub(crate) last_seen: i64,
    /// ASNs logged in from, with the last time.
    pub(crate) asns: Vec<(u32, i64)>,
    /// Countries logged in from, with the last time.
    pub(crate) countries: Vec<(Box<str>, i64)>,
    /// The last login with coordinates (boxed: few logs have them).
    pub(crate) last_geo: Option<Box<GeoMark>>,
    /// MFA facts of the last logins that had one (bit 0 the latest).
    pub(crate) mfa_bits: u64,
    pub(crate) mfa_n: u32,
    /// Latest MFA step: its time and address hash (0: none logged).
    pub(crate) last_mfa: Option<(i64, u64)>,
    failing: Option<Box<Failing>>,
    /// The rules' suppression gates (allocated at the first hit).
    gates: Option<Box<[Gate; 8]>>,
}

/// The saved form of a user (every part inline, as first written).
#[derive(Serialize, Deserialize)]
struct SavedUser {
    logins: u64,
    last_login: Option<i64>,
    last_seen: i64,
    asns: Vec<(u32, i64)>,
    countries: Vec<(Box<str>, i64)>,
    last_geo: Option<Box<GeoMark>>,
    mfa_bits: u64,
    mfa_n: u32,
    last_mfa: Option<(i64, u64)>,
    fails: VecDeque<(i64, u64)>,
    fails_latest: i64,
    fail_from: Vec<FailFrom>,
    trail: Trail,
    gates: [Gate; 8],
}

impl Serialize for User {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let f = self.failing.as_deref().cloned().unwrap_or_default();
        SavedUser {
            logins: self.logins,
            last_login: self.last_login,
            last_seen: self.last_seen,
            asns: self.asns.clone(),
            countries: self.countries.clone(),
            last_geo: self.last_geo.clone(),
            mfa_bits: self.mfa_bits,
            mfa_n: self.mfa_n,
            last_mfa: self.last_mfa,
            fails: f.fails,
            fails_latest: f.fails_latest,
            fail_from: f.fail_from,
            trail: f.trail,
            gates: self.gates.as_deref().copied().unwrap_or_default(),
        }
        .serialize(ser)
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = SavedUser::deserialize(de)?;
        let failing = Failing {
            fails: s.fails,
            fails_latest: s.fails_latest,
            fail_from: s.fail_from,
            trail: s.trail,
        };
        let failed = !failing.fails.is_empty()
            || failing.fails_latest != 0
            || !failing.fail_from.is_empty()
            || !failing.trail.is_empty();
        let gated = s.gates != [Gate::default(); 8];
        Ok(User {
            logins: s.logins,
            last_login: s.last_login,
            last_seen: s.last_seen,
            asns: s.asns,
            countries: s.countries,
            last_geo: s.last_geo,
            mfa_bits: s.mfa_bits,
            mfa_n: s.mfa_n,
            last_mfa: s.last_mfa,
            failing: failed.then(|| Box::new(failing)),
            gates: gated.then(|| Box::new(s.gates)),
        })
    }
}

impl User {
    fn failing(&mut self) -> &mut Failing {
        self.failing.get_or_insert_with(Box::default)
    }

    /// The recent failing sources.
    pub(crate) fn fail_from(&self) -> &[FailFrom] {
        self.failing.as_ref().map_or(&[], |f| &f.fail_from)
    }

    /// Remembers a failing source (its address and spray group), the most
    /// recent few.
    pub(crate) fn failed_from(&mut self, t: i64, ip: u64, group: u64) {
        let fail_from = &mut self.failing().fail_from;
        if let Some(f) = fail_from
            .iter_mut()
            .find(|f| f.ip == ip && f.group == group)
        {
            f.t = f.t.max(t);
        } else {
            if fail_from.len() >= FAIL_FROM {
                if let Some(i) = (0..fail_from.len()).min_by_key(|&i| fail_from[i].t) {
                    fail_from.swap_remove(i);
                }
            }
            push_capped(fail_from, FailFrom { group, ip, t }, usize::MAX);
        }
    }

    /// Adds a failure to the brute-force window; false when late.
    pub(crate) fn fail(&mut self, t: i64, ip: u64, window: i64, cap: usize) -> bool {
        let f = self.failing();
        f.fails_latest = if f.fails.is_empty() {
            t
        } else {
            f.fails_latest.max(t)
        };
        let oldest = f.fails_latest.saturating_sub(window);
        if t < oldest {
            return false;
        }
        f.fails.push_back((t, ip));
        while f.fails.len() > cap.max(1) || f.fails.front().is_some_and(|x| x.0 < oldest) {
            f.fails.pop_front();
        }
        true
    }

    /// Failures in the window and their distinct addresses.
    pub(crate) fn failures(&self) -> (usize, usize) {
        let Some(f) = self.failing.as_ref() else {
            return (0, 0);
        };
        let mut ips: Vec<u64> = f.fails.iter().map(|f| f.1).collect();
        ips.sort_unstable();
        ips.dedup();
        (f.fails.len(), ips.len())
    }

    /// The failures' evidence trail.
    pub(crate) fn trail(&mut self) -> &mut Trail {
        &mut self.failing().trail
    }

    /// The failures' first event's time, if any.
    pub(crate) fn trail_first(&self) -> Option<i64> {
        self.failing.as_ref().and_then(|f| f.trail.first())
    }

    /// Evidence: the failures' trail and `last`.
    pub(crate) fn trail_evidence(&self, last: Ev) -> Vec<(Origin, Timestamp)> {
        match self.failing.as_ref() {
            Some(f) => f.trail.evidence(last),
            None => Trail::default().evidence(last),
        }
    }

    /// Records a login's MFA fact.
    pub(crate) fn mfa(&mut self, used: bool) {
        self.mfa_bits = (self.mfa_bits << 1) | u64::from(used);
        self.mfa_n = (self.mfa_n + 1).min(64);
    }

    /// (logins with a known MFA fact, share with MFA).
    pub(crate) fn mfa_habit(&self) -> (u32, f64) {
        if self.mfa_n == 0 {
            return (0, 0.0);
        }
        let mask = if self.mfa_n >= 64 {
            u64::MAX
        } else {
            (1u64 << self.mfa_n) - 1
        };
        let used = (self.mfa_bits & mask).count_ones();
        (self.mfa_n, f64::from(used) / f64::from(self.mfa_n))
    }

    /// Remembers a place (the oldest goes beyond `cap`).
    pub(crate) fn remember<T: PartialEq>(list: &mut Vec<(T, i64)>, v: T, t: i64, cap: usize) {
        if let Some(e) = list.iter_mut().find(|e| e.0 == v) {
            e.1 = e.1.max(t);
            return;
        }
        if list.len() >= cap.max(1) {
            if let Some(i) = (0..list.len()).min_by_key(|&i| list[i].1) {
                list.swap_remove(i);
            }
        }
        push_capped(list, (v, t), usize::MAX);
    }

    /// The gate of `r` (made at the first use).
    pub(crate) fn gate(&mut self, r: Rule) -> &mut Gate {
        &mut self.gates.get_or_insert_with(Box::default)[r as usize]
    }

    /// Whether `r` reported within `window` of `t`.
    pub(crate) fn open_since(&self, r: Rule, t: i64, window: u64) -> bool {
        self.gates
            .as_ref()
            .is_some_and(|g| g[r as usize].open_since(t, window))
    }

    /// Counts one more suppressed event of `r` when within `window` of its
    /// last hit.
    pub(crate) fn absorb(&mut self, r: Rule, t: i64, window: u64) -> bool {
        match self.gates.as_mut() {
            Some(g) => g[r as usize].absorb(t, window),
            None => false,
        }
    }

    /// Heap bytes held (the user itself excluded).
    pub(crate) fn bytes(&self) -> usize {
        alloc_size(self.asns.capacity() * std::mem::size_of::<(u32, i64)>())
            + alloc_size(self.countries.capacity() * std::mem::size_of::<(Box<str>, i64)>())
            + self
                .countries
                .iter()
                .map(|c| alloc_size(c.0.len()))
                .sum::<usize>()
            + self.last_geo.as_ref().map_or(0, |g| {
                alloc_size(std::mem::size_of::<GeoMark>())
                    + alloc_size(g.place.capacity())
                    + alloc_size(g.ip.capacity())
            })
            + self.failing.as_ref().map_or(0, |f| {
                alloc_size(std::mem::size_of::<Failing>())
                    + alloc_size(f.fails.capacity() * 16)
                    + alloc_size(f.fail_from.capacity() * std::mem::size_of::<FailFrom>())
                    + f.trail.bytes()
            })
            + self
                .gates
                .as_ref()
                .map_or(0, |_| alloc_size(std::mem::size_of::<[Gate; 8]>()))
    }
}

/// A login waiting for its MFA event.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) t: i64,
    pub(crate) deadline: i64,
    pub(crate) user: String,
    pub(crate) key: String,
    pub(crate) ip: Option<String>,
    pub(crate) dataset: String,
    pub(crate) ev: Ev,
    /// CloudTrail's root user and the like.
    pub(crate) root: bool,
    /// From an internal or allowlisted address.
    pub(crate) trusted: bool,
}

impl Pending {
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + alloc_size(self.user.capacity())
            + alloc_size(self.key.capacity())
            + self.ip.as_ref().map_or(0, |i| alloc_size(i.capacity()))
            + alloc_size(self.dataset.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_count_distinct_users_in_the_window() {
        let mut s = Source::default();
        let w = 100;
        for (t, user, ok) in [(0, 1, false), (10, 2, false), (20, 2, false), (30, 3, true)] {
            assert!(s.push(Slot { t, user, ip: 7, ok }, w, 10));
        }
        assert_eq!((s.failed_users(), s.ok_users(), s.failures()), (2, 1, 3));
        // 105 expires the first attempt; 1 is then late.
        assert!(s.push(
            Slot {
                t: 105,
                user: 4,
                ip: 8,
                ok: false
            },
            w,
            10
        ));
        assert_eq!(s.failed_users(), 2);
        assert!(!s.push(
            Slot {
                t: 1,
                user: 9,
                ip: 8,
                ok: false
            },
            w,
            10
        ));
        assert_eq!(s.addresses(), 2);
        let mut back: Source = serde_json::from_value(serde_json::to_value(&s).unwrap_or_default())
            .unwrap_or_default();
        back.rebuild();
        assert_eq!(back.failed_users(), s.failed_users());
        assert_eq!(back.failures(), s.failures());
    }

    #[test]
    fn mfa_habit_is_a_share_of_recent_logins() {
        let mut u = User::default();
        for used in [true, true, true, false] {
            u.mfa(used);
        }
        assert_eq!(u.mfa_habit(), (4, 0.75));
        for _ in 0..100 {
            u.mfa(true);
        }
        assert_eq!(u.mfa_habit(), (64, 1.0));
    }

    #[test]
    fn gates_suppress_and_count() {
        let mut g = Gate::default();
        assert_eq!(g.pass(0, 10), Some(0));
        assert_eq!(g.pass(5, 10), None);
        assert_eq!(g.pass(3, 10), None);
        assert_eq!(g.pass(20, 10), Some(2));
    }
}
