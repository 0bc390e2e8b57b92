//! One (principal, bucket) pair's state: its hourly history, its open
//! hours, its suppression; the judging of a closed hour; and the networks
//! each principal reads from.

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use foldhash::HashSet;
use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::Ev;
use crate::stats::Window;

/// Nanoseconds in an hour.
pub(crate) const HOUR_NS: i64 = 3_600 * 1_000_000_000;
/// Reads kept as evidence from the start of an hour.
const FIRST_EVIDENCE: usize = 3;
/// Seed of the hash of object keys (fixed: saved states hold the hashes).
const KEY_SEED: u64 = 0x7068_6977_6174_6368;

/// Where something notable came from, and the read that showed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Noted {
    pub(crate) what: String,
    pub(crate) ev: Ev,
}

/// One pair's reads in one UTC hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Hour {
    /// Hours since the epoch.
    pub(crate) idx: i64,
    pub(crate) reads: u64,
    pub(crate) bytes: u64,
    /// Hashes of the distinct object keys read (at most `max_keys`).
    pub(crate) keys: HashSet<u64>,
    pub(crate) keys_capped: bool,
    /// Reads that name no key (each counted as an object).
    pub(crate) keyless: u64,
    pub(crate) first: Vec<Ev>,
    pub(crate) last: Option<Ev>,
    /// The largest read, and its bytes.
    pub(crate) biggest: Option<(u64, Ev)>,
    /// Reads from an external address that is not trusted, and their bytes.
    pub(crate) outside_reads: u64,
    pub(crate) outside_bytes: u64,
    /// Reads from an external network the principal had not used, and the
    /// first such address.
    pub(crate) new_source_reads: u64,
    pub(crate) new_source: Option<Noted>,
    /// Reads by a principal of another, untrusted account, and its account.
    pub(crate) foreign_reads: u64,
    pub(crate) foreign: Option<Noted>,
    /// Copies to another, untrusted account, and the first destination
    /// (`bucket (account)`).
    pub(crate) copies_out: u64,
    pub(crate) copy_to: Option<Noted>,
    /// The first source address.
    pub(crate) source_ip: Option<String>,
}

impl Hour {
    pub(crate) fn new(idx: i64) -> Hour {
        Hour {
            idx,
            reads: 0,
            bytes: 0,
            keys: HashSet::default(),
            keys_capped: false,
            keyless: 0,
            first: Vec::new(),
            last: None,
            biggest: None,
            outside_reads: 0,
            outside_bytes: 0,
            new_source_reads: 0,
            new_source: None,
            foreign_reads: 0,
            foreign: None,
            copies_out: 0,
            copy_to: None,
            source_ip: None,
        }
    }

    /// Counts one read of `bytes` bytes of `key`.
    pub(crate) fn add(&mut self, key: Option<&str>, bytes: u64, ev: Ev, max_keys: usize) {
        self.reads += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        match key {
            Some(k) => {
                let h = foldhash::fast::FixedState::with_seed(KEY_SEED).hash_one(k);
                if self.keys.len() < max_keys {
                    self.keys.insert(h);
                } else if !self.keys.contains(&h) {
                    self.keys_capped = true;
                }
            }
            None => self.keyless += 1,
        }
        if self.first.len() < FIRST_EVIDENCE {
            self.first.push(ev);
        }
        if self.last.is_none_or(|l| ev.t >= l.t) {
            self.last = Some(ev);
        }
        if self.biggest.is_none_or(|(b, _)| bytes > b) {
            self.biggest = Some((bytes, ev));
        }
    }

    /// Distinct objects read (keys, plus reads without a key).
    pub(crate) fn objects(&self) -> u64 {
        (self.keys.len() as u64).saturating_add(self.keyless)
    }

    /// The reads behind a hit: the first ones, the largest, the notable
    /// ones and the last, in time order, without repeats.
    pub(crate) fn evidence(&self) -> Vec<Ev> {
        let mut v: Vec<Ev> = self.first.clone();
        v.extend(self.biggest.map(|(_, e)| e));
        for n in [&self.new_source, &self.foreign, &self.copy_to]
            .into_iter()
            .flatten()
        {
            v.push(n.ev);
        }
        v.extend(self.last);
        v.sort_by_key(|e| (e.t, e.source, e.record, e.line));
        v.dedup();
        v
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Hour>()
            + self.keys.capacity() * 9
            + self.first.capacity() * std::mem::size_of::<Ev>()
    }
}

/// One (principal, bucket) pair.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Pair {
    /// Past hours with reads: bytes, and objects.
    pub(crate) bytes: Window,
    pub(crate) objects: Window,
    /// Hours still open, by index.
    pub(crate) open: BTreeMap<i64, Hour>,
    /// The last hour closed: reads of it or earlier are late.
    pub(crate) closed_through: Option<i64>,
    /// The hour and level of the last hit.
    pub(crate) last_hit: Option<(i64, Level)>,
    /// Hours that met the thresholds during the suppression, and what they
    /// read.
    pub(crate) suppressed_hours: u64,
    pub(crate) suppressed_bytes: u64,
    pub(crate) suppressed_objects: u64,
    /// Whether reads by another account were already reported.
    pub(crate) foreign_noted: bool,
    /// Latest read (nanoseconds).
    pub(crate) last_seen: i64,
}

impl Pair {
    pub(crate) fn new(c: &Config, t: i64) -> Pair {
        Pair {
            bytes: Window::new(c.history),
            objects: Window::new(c.history),
            open: BTreeMap::new(),
            closed_through: None,
            last_hit: None,
            suppressed_hours: 0,
            suppressed_bytes: 0,
            suppressed_objects: 0,
            foreign_noted: false,
            last_seen: t,
        }
    }

    pub(crate) fn learn(&mut self, h: &Hour) {
        self.bytes.push(h.bytes as f64);
        self.objects.push(h.objects() as f64);
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Pair>()
            + (self.bytes.len() + self.objects.len()) * 8
            + self
                .open
                .values()
                .map(|h| h.memory_bytes() + 16)
                .sum::<usize>()
    }
}

/// Every pair's past hours, for pairs with a short history.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Peers {
    pub(crate) n: usize,
    pub(crate) q_bytes: f64,
    pub(crate) q_objects: f64,
}

impl Peers {
    pub(crate) fn of(bytes: &Window, objects: &Window, q: f64) -> Peers {
        Peers {
            n: bytes.len(),
            q_bytes: bytes.quantile(q).unwrap_or(0.0),
            q_objects: objects.quantile(q).unwrap_or(0.0),
        }
    }
}

/// The decision on a closed hour, and the numbers behind it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Verdict {
    pub(crate) by_bytes: bool,
    pub(crate) by_objects: bool,
    pub(crate) new_pair: bool,
    pub(crate) samples: usize,
    pub(crate) median_bytes: f64,
    pub(crate) mad_bytes: f64,
    pub(crate) z_bytes: f64,
    pub(crate) q_bytes: f64,
    pub(crate) median_objects: f64,
    pub(crate) z_objects: f64,
    pub(crate) q_objects: f64,
    pub(crate) peers: Peers,
}

impl Verdict {
    pub(crate) fn metrics(&self) -> [(&'static str, f64); 14] {
        let flag = |b: bool| f64::from(u8::from(b));
        [
            ("by_bytes", flag(self.by_bytes)),
            ("by_objects", flag(self.by_objects)),
            ("new_pair", flag(self.new_pair)),
            ("samples", self.samples as f64),
            ("median_bytes", self.median_bytes),
            ("mad_bytes", self.mad_bytes),
            ("robust_z_bytes", self.z_bytes),
            ("q_bytes", self.q_bytes),
            ("median_objects", self.median_objects),
            ("robust_z_objects", self.z_objects),
            ("q_objects", self.q_objects),
            ("peer_samples", self.peers.n as f64),
            ("peer_q_bytes", self.peers.q_bytes),
            ("peer_q_objects", self.peers.q_objects),
        ]
    }
}

/// Judges a closed hour against its pair's history, or, for a pair with a
/// short history, against the peers and the absolute floors (see the
/// module docs).
pub(crate) fn judge(h: &Hour, p: &Pair, peers: Peers, c: &Config) -> Verdict {
    let bytes = h.bytes as f64;
    let objects = h.objects() as f64;
    let samples = p.bytes.len();
    let mut v = Verdict {
        samples,
        new_pair: samples < c.min_samples,
        peers,
        median_bytes: p.bytes.median().unwrap_or(0.0),
        mad_bytes: p.bytes.mad().unwrap_or(0.0),
        median_objects: p.objects.median().unwrap_or(0.0),
        ..Verdict::default()
    };
    let over_bytes = h.bytes >= c.min_bytes;
    let over_objects = h.objects() >= c.min_objects;
    if !v.new_pair {
        v.z_bytes = p
            .bytes
            .robust_z(bytes, c.z_floor_bytes as f64)
            .unwrap_or(0.0);
        v.q_bytes = p.bytes.quantile(c.quantile).unwrap_or(0.0);
        v.z_objects = p
            .objects
            .robust_z(objects, c.z_floor_objects)
            .unwrap_or(0.0);
        v.q_objects = p.objects.quantile(c.quantile).unwrap_or(0.0);
        v.by_bytes = over_bytes && v.z_bytes >= c.min_z && bytes >= v.q_bytes * c.quantile_factor;
        v.by_objects =
            over_objects && v.z_objects >= c.min_z && objects >= v.q_objects * c.quantile_factor;
    } else {
        let peers_used = peers.n >= c.min_samples;
        v.by_bytes = over_bytes
            && h.bytes >= c.new_pair_bytes
            && (!peers_used || bytes >= peers.q_bytes * c.peer_factor);
        v.by_objects = over_objects
            && h.objects() >= c.new_pair_objects
            && (!peers_used || objects >= peers.q_objects * c.peer_factor);
    }
    v
}

/// The external networks a principal has read from, most recent last.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Sources {
    /// Reads seen from the principal (from anywhere).
    pub(crate) reads: u64,
    /// Networks (`/24`, `/48`) and when last seen (nanoseconds).
    pub(crate) nets: Vec<(String, i64)>,
}

impl Sources {
    /// Records a read from `net` at `t`; whether `net` was known.
    pub(crate) fn note(&mut self, net: String, t: i64, cap: usize) -> bool {
        if let Some(e) = self.nets.iter_mut().find(|(n, _)| *n == net) {
            e.1 = e.1.max(t);
            return true;
        }
        if self.nets.len() >= cap.max(1) {
            // Forget the network seen least recently.
            if let Some(i) = self
                .nets
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(i, _)| i)
            {
                self.nets.swap_remove(i);
            }
        }
        self.nets.push((net, t));
        false
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Sources>()
            + self
                .nets
                .iter()
                .map(|(n, _)| n.capacity() + 32)
                .sum::<usize>()
    }
}

/// The network of an address as principals are expected to keep using it:
/// its `/24` (IPv4) or `/48` (IPv6).
pub(crate) fn network_of(ip: std::net::IpAddr) -> String {
    match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}
