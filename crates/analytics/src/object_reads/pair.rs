//! One (principal, bucket) pair's state: its hourly history, its open
//! hours, its suppression; the judging of a closed hour; and the networks
//! each principal reads from.

use std::hash::BuildHasher;
use std::net::IpAddr;

use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::Ev;
use crate::state::{alloc_size, push_capped, U64Set};
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

/// The notable reads of an hour (rare: kept apart, allocated when one
/// comes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Notes {
    /// The first read from an external network new for the principal.
    pub(crate) new_source: Option<Noted>,
    /// The first read by a principal of another, untrusted account.
    pub(crate) foreign: Option<Noted>,
    /// The first copy to another, untrusted account (`bucket (account)`).
    pub(crate) copy_to: Option<Noted>,
}

/// One pair's reads in one UTC hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "SavedHour")]
pub(crate) struct Hour {
    /// Hours since the epoch.
    pub(crate) idx: i64,
    pub(crate) reads: u64,
    pub(crate) bytes: u64,
    /// Hashes of the distinct object keys read (at most `max_keys`).
    pub(crate) keys: U64Set,
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
    /// Reads from an external network the principal had not used.
    pub(crate) new_source_reads: u64,
    /// Reads by a principal of another, untrusted account.
    pub(crate) foreign_reads: u64,
    /// Copies to another, untrusted account.
    pub(crate) copies_out: u64,
    /// The first source address.
    pub(crate) source_ip: Option<IpAddr>,
    /// The first notable reads, if any.
    pub(crate) notes: Option<Box<Notes>>,
}

impl Hour {
    pub(crate) fn new(idx: i64) -> Hour {
        Hour {
            idx,
            reads: 0,
            bytes: 0,
            keys: U64Set::default(),
            keys_capped: false,
            keyless: 0,
            first: Vec::new(),
            last: None,
            biggest: None,
            outside_reads: 0,
            outside_bytes: 0,
            new_source_reads: 0,
            foreign_reads: 0,
            copies_out: 0,
            source_ip: None,
            notes: None,
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
                } else if !self.keys.contains(h) {
                    self.keys_capped = true;
                }
            }
            None => self.keyless += 1,
        }
        push_capped(&mut self.first, ev, FIRST_EVIDENCE);
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

    /// The notes, made when first needed.
    pub(crate) fn notes_mut(&mut self) -> &mut Notes {
        self.notes.get_or_insert_with(Box::default)
    }

    pub(crate) fn new_source(&self) -> Option<&Noted> {
        self.notes.as_ref()?.new_source.as_ref()
    }

    pub(crate) fn foreign(&self) -> Option<&Noted> {
        self.notes.as_ref()?.foreign.as_ref()
    }

    pub(crate) fn copy_to(&self) -> Option<&Noted> {
        self.notes.as_ref()?.copy_to.as_ref()
    }

    /// The reads behind a hit: the first ones, the largest, the notable
    /// ones and the last, in time order, without repeats.
    pub(crate) fn evidence(&self) -> Vec<Ev> {
        let mut v: Vec<Ev> = self.first.clone();
        v.extend(self.biggest.map(|(_, e)| e));
        for n in [self.new_source(), self.foreign(), self.copy_to()]
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

    /// Heap bytes held (the hour itself excluded).
    fn heap_bytes(&self) -> usize {
        let noted = |n: &Option<Noted>| n.as_ref().map_or(0, |n| alloc_size(n.what.capacity()));
        self.keys.heap_bytes()
            + alloc_size(self.first.capacity() * std::mem::size_of::<Ev>())
            + self.notes.as_ref().map_or(0, |n| {
                alloc_size(std::mem::size_of::<Notes>())
                    + noted(&n.new_source)
                    + noted(&n.foreign)
                    + noted(&n.copy_to)
            })
    }
}

/// An hour as saved, in this layout (its notes apart) or the first (notes
/// inline, the source address as text).
#[derive(Deserialize)]
struct SavedHour {
    idx: i64,
    reads: u64,
    bytes: u64,
    keys: U64Set,
    keys_capped: bool,
    keyless: u64,
    first: Vec<Ev>,
    last: Option<Ev>,
    biggest: Option<(u64, Ev)>,
    outside_reads: u64,
    outside_bytes: u64,
    new_source_reads: u64,
    foreign_reads: u64,
    copies_out: u64,
    source_ip: Option<String>,
    #[serde(default)]
    notes: Option<Box<Notes>>,
    #[serde(default)]
    new_source: Option<Noted>,
    #[serde(default)]
    foreign: Option<Noted>,
    #[serde(default)]
    copy_to: Option<Noted>,
}

impl From<SavedHour> for Hour {
    fn from(s: SavedHour) -> Hour {
        let mut notes = s.notes;
        if s.new_source.is_some() || s.foreign.is_some() || s.copy_to.is_some() {
            let n = notes.get_or_insert_with(Box::default);
            n.new_source = n.new_source.take().or(s.new_source);
            n.foreign = n.foreign.take().or(s.foreign);
            n.copy_to = n.copy_to.take().or(s.copy_to);
        }
        Hour {
            idx: s.idx,
            reads: s.reads,
            bytes: s.bytes,
            keys: s.keys,
            keys_capped: s.keys_capped,
            keyless: s.keyless,
            first: s.first,
            last: s.last,
            biggest: s.biggest,
            outside_reads: s.outside_reads,
            outside_bytes: s.outside_bytes,
            new_source_reads: s.new_source_reads,
            foreign_reads: s.foreign_reads,
            copies_out: s.copies_out,
            source_ip: s.source_ip.and_then(|ip| ip.parse().ok()),
            notes,
        }
    }
}

/// The open hours of a saved pair: a list, or (as first saved) a map from
/// index to hour.
fn open_hours<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<Hour>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Open {
        List(Vec<Hour>),
        // Keys are the hours' indexes as text; each hour holds its own.
        Map(std::collections::BTreeMap<String, Hour>),
    }
    let mut v = match Open::deserialize(de)? {
        Open::List(v) => v,
        Open::Map(m) => m.into_values().collect(),
    };
    v.sort_by_key(|h| h.idx);
    Ok(v)
}

/// A principal's networks as saved: addresses, or (as first saved) blocks
/// in text (`203.0.113.0/24`).
fn networks<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<(IpAddr, i64)>, D::Error> {
    let v = Vec::<(String, i64)>::deserialize(de)?;
    Ok(v.into_iter()
        .filter_map(|(n, t)| {
            let ip = n.split('/').next().unwrap_or(&n).parse().ok()?;
            Some((ip, t))
        })
        .collect())
}

/// One (principal, bucket) pair.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Pair {
    /// Past hours with reads: bytes, and objects.
    pub(crate) bytes: Window,
    pub(crate) objects: Window,
    /// Hours still open, oldest first (one or two: the current hour and
    /// the last one in its grace period).
    #[serde(deserialize_with = "open_hours")]
    pub(crate) open: Vec<Hour>,
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
            open: Vec::new(),
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

    /// The oldest open hour.
    pub(crate) fn first_open(&self) -> Option<i64> {
        self.open.first().map(|h| h.idx)
    }

    /// Takes the oldest open hour when it is before `below`.
    pub(crate) fn pop_before(&mut self, below: i64) -> Option<Hour> {
        if self.first_open()? < below {
            return Some(self.open.remove(0));
        }
        None
    }

    /// Open hour `idx`, opened when new.
    pub(crate) fn hour(&mut self, idx: i64) -> &mut Hour {
        let i = match self.open.binary_search_by_key(&idx, |h| h.idx) {
            Ok(i) => i,
            Err(i) => {
                self.open.reserve_exact(1);
                self.open.insert(i, Hour::new(idx));
                i
            }
        };
        // Invariant: `i` was found or just inserted.
        &mut self.open[i]
    }

    /// Heap bytes held (the pair itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.heap_bytes()
            + self.objects.heap_bytes()
            + alloc_size(self.open.capacity() * std::mem::size_of::<Hour>())
            + self.open.iter().map(Hour::heap_bytes).sum::<usize>()
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
            q_bytes: bytes.selector().quantile(q).unwrap_or(0.0),
            q_objects: objects.selector().quantile(q).unwrap_or(0.0),
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
    // One sort per series for all its numbers.
    let (sb, so) = (p.bytes.sorted(), p.objects.sorted());
    let mut v = Verdict {
        samples,
        new_pair: samples < c.min_samples,
        peers,
        median_bytes: sb.median().unwrap_or(0.0),
        mad_bytes: sb.mad().unwrap_or(0.0),
        median_objects: so.median().unwrap_or(0.0),
        ..Verdict::default()
    };
    let over_bytes = h.bytes >= c.min_bytes;
    let over_objects = h.objects() >= c.min_objects;
    if !v.new_pair {
        v.z_bytes = sb.robust_z(bytes, c.z_floor_bytes as f64).unwrap_or(0.0);
        v.q_bytes = sb.quantile(c.quantile).unwrap_or(0.0);
        v.z_objects = so.robust_z(objects, c.z_floor_objects).unwrap_or(0.0);
        v.q_objects = so.quantile(c.quantile).unwrap_or(0.0);
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
    #[serde(deserialize_with = "networks")]
    pub(crate) nets: Vec<(IpAddr, i64)>,
}

impl Sources {
    /// Records a read from `net` at `t`; whether `net` was known.
    pub(crate) fn note(&mut self, net: IpAddr, t: i64, cap: usize) -> bool {
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

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.nets.capacity() * std::mem::size_of::<(IpAddr, i64)>())
    }
}

/// The network of an address as principals are expected to keep using it:
/// its `/24` (IPv4) or `/48` (IPv6), as the network's address.
pub(crate) fn network_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) & !0xff)),
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(
            u128::from(v6) & !((1u128 << 80) - 1),
        )),
    }
}
