//! Unit tests of the matcher's internals.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp, Value};

use super::*;
use crate::model::{Indicator, Observable};
use crate::normalize::parse_ip_net;

fn ip_ind(s: &str) -> Indicator {
    Indicator::of(Observable::Ip(parse_ip_net(s).unwrap()), "t")
}

#[test]
fn shared_values_share_one_posting() {
    let set = IntelSet::new(&[ip_ind("10.0.0.1"), ip_ind("10.0.0.1"), ip_ind("10.0.0.2")]);
    assert_eq!(set.v4.len(), 2);
    assert_eq!(set.multi.len(), 1);
    let p = set
        .v4
        .get(&u32::from(std::net::Ipv4Addr::new(10, 0, 0, 1)))
        .unwrap();
    assert_eq!(set.posting(p), &[0, 1]);
    let mut ev = Event::new(Timestamp::EPOCH);
    ev.push_norm(
        keys::SOURCE_IP,
        Value::Ip("10.0.0.1".parse::<IpAddr>().unwrap()),
    );
    let mut hits = Vec::new();
    set.matches(&ev, &mut hits);
    assert_eq!(hits.iter().map(|h| h.indicator).collect::<Vec<_>>(), [0, 1]);
}

#[test]
fn network_maps_are_longest_prefix_first() {
    let set = IntelSet::new(&[
        ip_ind("10.0.0.0/8"),
        ip_ind("10.1.0.0/24"),
        ip_ind("10.1.0.0/16"),
    ]);
    let prefixes: Vec<u8> = set.v4_nets.iter().map(|(p, _)| *p).collect();
    assert_eq!(prefixes, [24, 16, 8]);
    assert!(set.v6_nets.is_empty());
}

#[test]
fn roles_follow_what_is_indexed() {
    let set = IntelSet::new(&[ip_ind("10.0.0.1")]);
    assert_eq!(set.roles[keys::SOURCE_IP.index()], Role::Ip);
    assert_eq!(set.roles[keys::DNS_QUESTION_NAME.index()], Role::Host);
    assert_eq!(set.roles[keys::FILE_HASH_SHA256.index()], Role::None);
    let empty = IntelSet::new(&[]);
    assert!(empty.is_empty());
    assert!(empty.roles.iter().all(|r| *r == Role::None));
}

#[test]
fn memory_grows_with_indicators() {
    let small = IntelSet::new(&[ip_ind("10.0.0.1")]);
    let many: Vec<Indicator> = (0..10_000u32)
        .map(|i| ip_ind(&std::net::Ipv4Addr::from(i).to_string()))
        .collect();
    let big = IntelSet::new(&many);
    assert!(big.memory_bytes() > small.memory_bytes() + 10_000 * 12);
    assert!(big.memory_bytes() < 10_000 * 100, "{}", big.memory_bytes());
    assert_eq!(big.observables(), 10_000);
    assert_eq!(big.indicators(), 10_000);
}

#[test]
fn windows_bound_both_ends() {
    let w = Window {
        from: Timestamp::from_secs(10),
        until: Timestamp::from_secs(20),
    };
    let at = |s| Timestamp::from_secs(s).unwrap();
    assert!(!w.contains(at(9)));
    assert!(w.contains(at(10)));
    assert!(w.contains(at(20)));
    assert!(!w.contains(at(21)));
}

#[test]
fn sightings_keep_earliest_and_latest() {
    let hit = |i: usize, v: &str| Hit {
        indicator: i,
        group: 0,
        observable: 0,
        field: "source.ip",
        value: v.to_string(),
    };
    let at = |s| Timestamp::from_secs(s).unwrap();
    let mut s = Sightings::with_limits(2, 2);
    for (t, v) in [(50, "a"), (10, "b"), (30, "c"), (70, "a"), (20, "a")] {
        s.record(at(t), &[hit(3, v)], &t);
    }
    let got = s.get(3).unwrap();
    assert_eq!((got.count, got.first, got.last), (5, at(10), at(70)));
    assert_eq!(got.earliest, vec![(at(10), 10), (at(20), 20)]);
    assert_eq!(got.latest, (at(70), 70));
    let values: Vec<(&str, u64)> = got
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    assert_eq!(values, [("a", 3), ("b", 1)]);
    assert_eq!(got.other_values, 1);

    let mut other = Sightings::with_limits(2, 2);
    other.record(at(5), &[hit(3, "a"), hit(3, "z"), hit(1, "q")], &5);
    s.merge(other);
    let got = s.get(3).unwrap();
    assert_eq!((got.count, got.first, got.last), (6, at(5), at(70)));
    assert_eq!(got.earliest, vec![(at(5), 5), (at(10), 10)]);
    assert_eq!(got.values[0].count, 4);
    assert_eq!(got.other_values, 2);
    assert_eq!(s.iter().map(|(i, _)| i).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn unordered_hits_count_an_indicator_once() {
    let hit = |i: usize| Hit {
        indicator: i,
        group: 0,
        observable: 0,
        field: "f",
        value: "v".into(),
    };
    let mut s = Sightings::new();
    s.record(Timestamp::EPOCH, &[hit(2), hit(1), hit(2)], &());
    assert_eq!(s.get(2).map(|x| (x.count, x.values[0].count)), Some((1, 2)));
    assert_eq!(s.len(), 2);
}

#[test]
fn v4_blocks_mark_only_what_networks_cover() {
    let set = IntelSet::new(&[ip_ind("10.1.0.0/20"), ip_ind("172.16.0.0/12")]);
    let ones: u32 = set.v4_blocks.iter().map(|w| w.count_ones()).sum();
    assert_eq!(ones, 1 + 16);
    let addr = |s: &str| u32::from(s.parse::<std::net::Ipv4Addr>().unwrap());
    assert!(set.v4_block_hit(addr("10.1.200.1")));
    assert!(!set.v4_block_hit(addr("10.2.0.1")));
    assert!(set.v4_block_hit(addr("172.31.255.255")));
    assert!(!set.v4_block_hit(addr("172.32.0.0")));
    assert!(IntelSet::new(&[ip_ind("10.0.0.1")]).v4_blocks.is_empty());
}
