//! Matching indicators over events at scale, and sightings.
//!
//! [`IntelSet`] compiles indicators into hash indexes, one per kind of
//! observable: exact IPv4 and IPv6 addresses, CIDR networks in one map per
//! prefix length present (longest first), domains (a name matches itself and
//! every parent suffix), normalized URLs, hashes, emails, JA3/JA3S/JA4, user
//! agents and file names. [`IntelSet::matches`] reads the fields of an event
//! that can carry an observable and appends a [`Hit`] per matched
//! observable; an event that matches nothing costs no allocation.
//! [`Sightings`] folds hits into first and last sighting, count and evidence
//! per indicator.
//!
//! ```
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//! use phiwatch_intel::matcher::{IntelSet, Sightings};
//! use phiwatch_intel::{parse_ip_net, Indicator, Observable};
//!
//! let net = parse_ip_net("10.0.0.0/8").unwrap();
//! let set = IntelSet::new(&[Indicator::of(Observable::Ip(net), "feed.txt")]);
//! let mut ev = Event::new(Timestamp::from_secs(1_700_000_000).unwrap());
//! ev.push_norm(keys::DESTINATION_IP, Value::Ip("10.1.2.3".parse().unwrap()));
//! let mut hits = Vec::new();
//! set.matches(&ev, &mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!((hits[0].field, hits[0].value.as_str()), ("destination.ip", "10.1.2.3"));
//!
//! let mut sightings = Sightings::new();
//! sightings.record(ev.time(), &hits, &"line 1");
//! assert_eq!(sightings.iter().next().map(|(i, s)| (i, s.count)), Some((0, 1)));
//! ```

mod build;
mod scan;
mod sightings;
mod text;

use std::collections::HashMap;
use std::hash::Hash;
use std::mem::size_of;
use std::net::IpAddr;

use phiwatch_event::Timestamp;

pub use sightings::{FieldValueCount, Sighting, Sightings};

/// A hash map keyed by attacker-controlled values (DoS-resistant hasher).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A map from a value to its posting (see [`MULTI`]).
type Index<K> = Map<K, u32>;
/// A map from a text value to its posting.
type StrIndex = Index<Box<str>>;

/// A posting with this bit set is an index into [`IntelSet::multi`]; without
/// it, a single atom id. Atom ids are below it.
const MULTI: u32 = 1 << 31;

/// One observable of one group of one indicator.
#[derive(Clone, Copy, Debug)]
struct Atom {
    indicator: u32,
    group: u32,
    observable: u16,
}

/// An indicator's validity window.
#[derive(Clone, Copy, Debug)]
struct Window {
    from: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl Window {
    fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t <= u)
    }
}

/// One matched observable in one event.
///
/// A group of several observables (`[a AND b]`) gives one hit per
/// observable, all with the same `indicator` and `group`, and only when all
/// of them matched in the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The indicator's index in the slice the set was built from.
    pub indicator: usize,
    /// The group's index in the indicator's `any_of`.
    pub group: usize,
    /// The observable's index in its group.
    pub observable: usize,
    /// The event field it was found in (`destination.ip`).
    pub field: &'static str,
    /// The field's value as the event has it (`10.1.2.3`, `x.evil.example`,
    /// a whole URL).
    pub value: String,
}

/// What an event field can carry, for the fields the matcher reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Not read.
    None,
    /// An address (`source.ip`), or a text that parses as one
    /// (`source.address`).
    Ip,
    /// A host name or an address (`dns.question.name`, `dns.answers.data`).
    Host,
    /// A URL (`url.original`, `url.full`).
    Url,
    /// A file hash.
    FileHash,
    /// A certificate hash.
    CertHash,
    /// An email address.
    Email,
    /// A JA3 fingerprint.
    Ja3,
    /// A JA3S fingerprint.
    Ja3s,
    /// A JA4 fingerprint.
    Ja4,
    /// A user agent.
    UserAgent,
    /// A file name.
    FileName,
}

/// Indicators compiled for matching. Immutable once built; share it between
/// threads by reference.
#[derive(Debug)]
pub struct IntelSet {
    indicators: usize,
    atoms: Vec<Atom>,
    /// Postings of values several atoms share.
    multi: Vec<Vec<u32>>,
    /// Sizes of groups of more than one observable, by (indicator, group).
    group_sizes: Map<(u32, u32), u16>,
    /// Windows of indicators that have one.
    windows: Map<u32, Window>,
    v4: Index<u32>,
    v6: Index<u128>,
    /// (prefix length, networks), longest prefix first.
    v4_nets: Vec<(u8, Index<u32>)>,
    /// One bit per IPv4 /16: set when a network of `v4_nets` overlaps it
    /// (empty without networks), so most addresses skip the network maps.
    v4_blocks: Vec<u64>,
    v6_nets: Vec<(u8, Index<u128>)>,
    domains: StrIndex,
    urls: StrIndex,
    /// Hosts of the URLs, to skip normalizing event URLs that cannot match.
    url_hosts: Map<Box<str>, ()>,
    url_ips: Map<IpAddr, ()>,
    file_hashes: StrIndex,
    cert_hashes: StrIndex,
    emails: StrIndex,
    ja3: StrIndex,
    ja3s: StrIndex,
    ja4: StrIndex,
    user_agents: StrIndex,
    file_names: StrIndex,
    /// What each registered key carries, by key index.
    roles: Vec<Role>,
}

impl IntelSet {
    /// The number of indicators it was built from.
    pub fn indicators(&self) -> usize {
        self.indicators
    }

    /// The number of observables indexed (over all groups of all
    /// indicators).
    pub fn observables(&self) -> usize {
        self.atoms.len()
    }

    /// Whether nothing is indexed (no event can match).
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// Whether a network of `v4_nets` may hold the address `x`.
    fn v4_block_hit(&self, x: u32) -> bool {
        let b = (x >> 16) as usize;
        self.v4_blocks
            .get(b / 64)
            .is_some_and(|w| w & (1 << (b % 64)) != 0)
    }

    /// The atoms of a posting.
    fn posting<'a>(&'a self, p: &'a u32) -> &'a [u32] {
        if p & MULTI == 0 {
            std::slice::from_ref(p)
        } else {
            self.multi
                .get((p & !MULTI) as usize)
                .map_or(&[], Vec::as_slice)
        }
    }

    /// Approximately the heap bytes the indexes hold: map capacities times
    /// entry sizes (with hashbrown's control bytes), plus strings and
    /// posting lists.
    pub fn memory_bytes(&self) -> usize {
        let mut n = size_of::<IntelSet>();
        n += self.atoms.capacity() * size_of::<Atom>();
        n += self.multi.capacity() * size_of::<Vec<u32>>();
        n += self.multi.iter().map(|v| v.capacity() * 4).sum::<usize>();
        n += map_bytes(&self.group_sizes) + map_bytes(&self.windows);
        n += map_bytes(&self.v4) + map_bytes(&self.v6);
        n += self
            .v4_nets
            .iter()
            .map(|(_, m)| map_bytes(m))
            .sum::<usize>();
        n += self
            .v6_nets
            .iter()
            .map(|(_, m)| map_bytes(m))
            .sum::<usize>();
        n += map_bytes(&self.url_ips) + str_map_bytes(&self.url_hosts);
        for m in [
            &self.domains,
            &self.urls,
            &self.file_hashes,
            &self.cert_hashes,
            &self.emails,
            &self.ja3,
            &self.ja3s,
            &self.ja4,
            &self.user_agents,
            &self.file_names,
        ] {
            n += str_map_bytes(m);
        }
        n + self.roles.capacity() * size_of::<Role>()
    }
}

/// Heap bytes of a hash map's table: buckets × (entry + one control byte).
fn map_bytes<K, V>(m: &Map<K, V>) -> usize {
    if m.capacity() == 0 {
        return 0;
    }
    // hashbrown keeps a power-of-two number of buckets, at most 7/8 full.
    let buckets = (m.capacity() * 8 / 7).next_power_of_two();
    buckets * (size_of::<(K, V)>() + 1)
}

/// [`map_bytes`] plus the keys' text.
fn str_map_bytes<V>(m: &Map<Box<str>, V>) -> usize {
    map_bytes(m) + m.keys().map(|k| k.len()).sum::<usize>()
}

/// Adds `atom` to `key`'s posting.
fn post<K: Hash + Eq>(map: &mut Index<K>, multi: &mut Vec<Vec<u32>>, key: K, atom: u32) {
    use std::collections::hash_map::Entry;
    match map.entry(key) {
        Entry::Vacant(e) => {
            e.insert(atom);
        }
        Entry::Occupied(mut e) => {
            let p = *e.get();
            if p & MULTI != 0 {
                if let Some(list) = multi.get_mut((p & !MULTI) as usize) {
                    list.push(atom);
                }
            } else if multi.len() < MULTI as usize {
                *e.get_mut() = MULTI | multi.len() as u32;
                multi.push(vec![p, atom]);
            }
        }
    }
}

#[cfg(test)]
mod tests;
