//! Matching throughput with 1,000,000 generated indicators (60% IPv4, 5%
//! IPv4 CIDR /16–/28, 5% IPv6, 20% domains, 5% URLs, 5% SHA-256) over
//! 1,000,000 generated events (random addresses and names, about 1%
//! matching), next to a plain `foldhash::HashSet<u32>` lookup of the same
//! events' source and destination IPv4 addresses: the limit for any
//! matcher that reads those two fields.
//!
//! Prints build time, bytes per indicator and a one-pass events/s with the
//! ratio to the hash-set limit to stderr, then runs criterion on chunks.

// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_event::{keys, Event, Timestamp, Value};
use phiwatch_intel::matcher::{Hit, IntelSet};
use phiwatch_intel::{normalize_url, HashKind, Indicator, IpNet, Observable};

const INDICATORS: usize = 1_000_000;
const EVENTS: usize = 1_000_000;
const CHUNK: usize = 10_000;
/// CIDR indicators lie inside 64.0.0.0/2; random event addresses do not.
const CIDR_BASE: u32 = 0x4000_0000;
const CIDR_BITS: u32 = 2;

/// splitmix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A public-looking IPv4 address outside 10/8 and the CIDR region.
    fn public_v4(&mut self) -> u32 {
        loop {
            let a = self.next() as u32;
            if a >> 24 != 10 && a >> (32 - CIDR_BITS) != CIDR_BASE >> (32 - CIDR_BITS) {
                return a;
            }
        }
    }
    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }
    fn name(&mut self) -> String {
        format!("h{:x}.site{}.example", self.next() >> 40, self.below(5000))
    }
}

fn indicator(r: &mut Rng, i: usize) -> Indicator {
    let o = match i % 100 {
        0..60 => Observable::Ip(IpNet {
            addr: IpAddr::V4(Ipv4Addr::from(r.public_v4())),
            prefix: 32,
        }),
        60..65 => {
            let prefix = 16 + r.below(13) as u8;
            let base = CIDR_BASE | (r.next() as u32 >> CIDR_BITS);
            let mask = u32::MAX << (32 - u32::from(prefix));
            Observable::Ip(IpNet {
                addr: IpAddr::V4(Ipv4Addr::from(base & mask)),
                prefix,
            })
        }
        65..70 => Observable::Ip(IpNet {
            addr: IpAddr::V6(Ipv6Addr::from(
                (0x2001_0db8_u128 << 96) | u128::from(r.next()),
            )),
            prefix: 128,
        }),
        70..90 => Observable::Domain(format!("bad{:x}.example", r.next() >> 24)),
        90..95 => {
            let u = format!("http://dl{:x}.example/p/{}", r.next() >> 40, r.hex(8));
            Observable::Url(normalize_url(&u).unwrap_or(u))
        }
        _ => Observable::FileHash(HashKind::Sha256, r.hex(64)),
    };
    Indicator::of(o, "bench")
}

/// An event that holds `o` (an address inside it, for a network).
fn put_observable(ev: &mut Event, o: &Observable, r: &mut Rng) {
    match o {
        Observable::Ip(n) => {
            let addr = match n.addr {
                IpAddr::V4(a) => {
                    let host = (r.next() as u32)
                        .checked_shr(u32::from(n.prefix))
                        .unwrap_or(0);
                    IpAddr::V4(Ipv4Addr::from(u32::from(a) | host))
                }
                v6 => v6,
            };
            ev.push_norm(keys::DESTINATION_IP, Value::Ip(addr));
        }
        Observable::Domain(d) => ev.push_norm_str(keys::DNS_QUESTION_NAME, &format!("www.{d}")),
        Observable::Url(u) => ev.push_norm_str(keys::URL_ORIGINAL, u),
        Observable::FileHash(_, h) => ev.push_norm_str(keys::FILE_HASH_SHA256, h),
        _ => {}
    }
}

fn event(r: &mut Rng, i: usize, inds: &[Indicator]) -> Event {
    let t = Timestamp::from_nanos(1_700_000_000_000_000_000 + i as i64 * 1_000_000);
    let mut ev = Event::with_capacity(t, 6, 96);
    let src = Ipv4Addr::from(0x0a00_0000 | (r.next() as u32 & 0x00ff_ffff));
    ev.push_norm(keys::SOURCE_IP, Value::Ip(IpAddr::V4(src)));
    ev.push_norm(keys::SOURCE_PORT, Value::Int(r.below(65536) as i64));
    if r.below(100) == 0 {
        let ind = &inds[r.below(inds.len() as u64) as usize];
        put_observable(&mut ev, &ind.any_of[0][0], r);
        return ev;
    }
    let dst = Ipv4Addr::from(r.public_v4());
    ev.push_norm(keys::DESTINATION_IP, Value::Ip(IpAddr::V4(dst)));
    match r.below(100) {
        0..30 => ev.push_norm_str(keys::DNS_QUESTION_NAME, &r.name()),
        30..40 => {
            let u = format!(
                "https://{}/api/v{}/items?id={}",
                r.name(),
                r.below(3),
                r.below(1 << 20)
            );
            ev.push_norm_str(keys::URL_ORIGINAL, &u);
        }
        40..45 => {
            let h = r.hex(64);
            ev.push_norm_str(keys::FILE_HASH_SHA256, &h);
        }
        _ => {}
    }
    ev
}

/// The limit: one hash-set probe per IPv4 source and destination.
fn hashset_hits(set: &foldhash::HashSet<u32>, ev: &Event) -> usize {
    [keys::SOURCE_IP, keys::DESTINATION_IP]
        .into_iter()
        .filter_map(|k| ev.get(k).and_then(|v| v.as_ip()))
        .filter(|ip| match ip {
            IpAddr::V4(a) => set.contains(&u32::from(*a)),
            IpAddr::V6(_) => false,
        })
        .count()
}

fn match_all(set: &IntelSet, events: &[Event], out: &mut Vec<Hit>) -> usize {
    let mut n = 0;
    for ev in events {
        out.clear();
        set.matches(ev, out);
        n += out.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut r = Rng(7);
    let inds: Vec<Indicator> = (0..INDICATORS).map(|i| indicator(&mut r, i)).collect();
    let gen_time = t0.elapsed();
    let t1 = Instant::now();
    let set = IntelSet::new(&inds);
    let build = t1.elapsed();
    let v4: foldhash::HashSet<u32> = inds
        .iter()
        .filter_map(|i| match i.any_of[0][0] {
            Observable::Ip(IpNet {
                addr: IpAddr::V4(a),
                prefix: 32,
            }) => Some(u32::from(a)),
            _ => None,
        })
        .collect();
    let events: Vec<Event> = (0..EVENTS).map(|i| event(&mut r, i, &inds)).collect();
    drop(inds);
    let bytes = set.memory_bytes();
    eprintln!(
        "intel: {INDICATORS} indicators generated in {gen_time:.2?}, IntelSet built in {build:.2?}; \
         memory {:.1} MB = {:.1} bytes/indicator; setup total {:.2?}",
        bytes as f64 / 1e6,
        bytes as f64 / INDICATORS as f64,
        t0.elapsed()
    );

    let mut out = Vec::new();
    let t = Instant::now();
    let hits = match_all(&set, &events, &mut out);
    let m = t.elapsed();
    let t = Instant::now();
    let base: usize = events.iter().map(|ev| hashset_hits(&v4, ev)).sum();
    let h = t.elapsed();
    let rate = |d: Duration| EVENTS as f64 / d.as_secs_f64();
    eprintln!(
        "intel: one pass over {EVENTS} events: IntelSet::matches {:.2} M events/s ({hits} hits), \
         HashSet<u32> limit {:.2} M events/s ({base} hits); ratio {:.2}x the limit's time",
        rate(m) / 1e6,
        rate(h) / 1e6,
        m.as_secs_f64() / h.as_secs_f64()
    );

    let mut g = c.benchmark_group("intel-match");
    g.throughput(Throughput::Elements(CHUNK as u64));
    let chunks: Vec<&[Event]> = events.chunks(CHUNK).collect();
    let mut i = 0;
    g.bench_function("IntelSet::matches", |b| {
        b.iter(|| {
            i = (i + 1) % chunks.len();
            black_box(match_all(&set, chunks[i], &mut out))
        })
    });
    g.bench_function("HashSet<u32> limit", |b| {
        b.iter(|| {
            i = (i + 1) % chunks.len();
            black_box(
                chunks[i]
                    .iter()
                    .map(|ev| hashset_hits(&v4, ev))
                    .sum::<usize>(),
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
