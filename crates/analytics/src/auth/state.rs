//! Per-entity state of the authentication analytics: sources (spray),
//! targets (distributed spray), users (everything else), and the evidence
//! trail each keeps. Every collection here is capped.

use std::collections::{BTreeMap, VecDeque};

use phiwatch_event::{Origin, Timestamp};
use serde::{Deserialize, Serialize};

use crate::seen::Ev;

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
        if self.head.len() < HEAD {
            self.head.push(ev);
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
        (self.head.capacity() + self.tail.capacity()) * std::mem::size_of::<Ev>()
    }
}

/// One rule's suppression for one entity.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
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

    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + (self.failed.len() + self.ok.len() + self.ips.len()) * 40
            + self.trail.bytes()
            + self.last_ip.capacity()
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

    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.slots.capacity() * std::mem::size_of::<TSlot>()
            + (self.users.len() + self.sources.len()) * 40
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

/// One account's history.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct User {
    /// Successful logins seen.
    pub(crate) logins: u64,
    pub(crate) last_login: Option<i64>,
    /// Latest event of any kind (the eviction order on restore).
    pub(crate) last_seen: i64,
    /// ASNs logged in from, with the last time.
    pub(crate) asns: Vec<(u32, i64)>,
    /// Countries logged in from, with the last time.
    pub(crate) countries: Vec<(String, i64)>,
    pub(crate) last_geo: Option<GeoMark>,
    /// MFA facts of the last logins that had one (bit 0 the latest).
    pub(crate) mfa_bits: u64,
    pub(crate) mfa_n: u32,
    /// Latest MFA step: its time and address hash (0: none logged).
    pub(crate) last_mfa: Option<(i64, u64)>,
    /// Failures in the brute-force window: (time, address hash).
    pub(crate) fails: VecDeque<(i64, u64)>,
    pub(crate) fails_latest: i64,
    pub(crate) fail_from: Vec<FailFrom>,
    pub(crate) trail: Trail,
    pub(crate) gates: [Gate; 8],
}

impl User {
    /// Remembers a failing source (its address and spray group), the most
    /// recent few.
    pub(crate) fn failed_from(&mut self, t: i64, ip: u64, group: u64) {
        if let Some(f) = self
            .fail_from
            .iter_mut()
            .find(|f| f.ip == ip && f.group == group)
        {
            f.t = f.t.max(t);
        } else {
            if self.fail_from.len() >= FAIL_FROM {
                if let Some(i) = (0..self.fail_from.len()).min_by_key(|&i| self.fail_from[i].t) {
                    self.fail_from.swap_remove(i);
                }
            }
            self.fail_from.push(FailFrom { group, ip, t });
        }
    }

    /// Adds a failure to the brute-force window; false when late.
    pub(crate) fn fail(&mut self, t: i64, ip: u64, window: i64, cap: usize) -> bool {
        self.fails_latest = if self.fails.is_empty() {
            t
        } else {
            self.fails_latest.max(t)
        };
        let oldest = self.fails_latest.saturating_sub(window);
        if t < oldest {
            return false;
        }
        self.fails.push_back((t, ip));
        while self.fails.len() > cap.max(1) || self.fails.front().is_some_and(|f| f.0 < oldest) {
            self.fails.pop_front();
        }
        true
    }

    /// Failures in the window and their distinct addresses.
    pub(crate) fn failures(&self) -> (usize, usize) {
        let mut ips: Vec<u64> = self.fails.iter().map(|f| f.1).collect();
        ips.sort_unstable();
        ips.dedup();
        (self.fails.len(), ips.len())
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
        list.push((v, t));
    }

    pub(crate) fn gate(&mut self, r: Rule) -> &mut Gate {
        &mut self.gates[r as usize]
    }

    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.asns.capacity() * std::mem::size_of::<(u32, i64)>()
            + self
                .countries
                .iter()
                .map(|c| c.0.capacity() + 32)
                .sum::<usize>()
            + self
                .last_geo
                .as_ref()
                .map_or(0, |g| g.place.capacity() + g.ip.capacity())
            + self.fails.capacity() * 16
            + self.fail_from.capacity() * std::mem::size_of::<FailFrom>()
            + self.trail.bytes()
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
            + self.user.capacity()
            + self.key.capacity()
            + self.ip.as_ref().map_or(0, String::capacity)
            + self.dataset.capacity()
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
