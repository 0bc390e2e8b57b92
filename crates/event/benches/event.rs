//! Event construction and lookup: the costs every decoder and detector pays.
//! The `hashmap_*` cases are the representation we decided against (a map
//! of owned strings per event, as many engines use) measured in the same run.
#![allow(missing_docs)]

use std::collections::HashMap;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_event::{keys, Event, Key, Timestamp, Value};

const NAMES: [&str; 20] = [
    "uid",
    "proto",
    "service",
    "conn_state",
    "history",
    "id.orig_h",
    "id.resp_h",
    "id.orig_p",
    "id.resp_p",
    "orig_bytes",
    "resp_bytes",
    "orig_pkts",
    "resp_pkts",
    "missed_bytes",
    "orig_ip_bytes",
    "resp_ip_bytes",
    "duration",
    "local_orig",
    "local_resp",
    "ip_proto",
];

fn build_conn_like(k: &[Key; 20]) -> Event {
    let mut ev = Event::with_capacity(Timestamp::from_nanos(1), 32, 256);
    for (i, key) in k.iter().enumerate() {
        let v = if i < 5 {
            ev.store_str("CHhAvVGS1DHFjwGM9")
        } else {
            Value::Int(i as i64)
        };
        ev.push_raw(*key, v);
    }
    ev.push_norm(keys::SOURCE_IP, Value::Ip([10, 0, 0, 1].into()));
    ev.push_norm(keys::DESTINATION_IP, Value::Ip([10, 0, 0, 2].into()));
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
    ev
}

fn build_hashmap() -> HashMap<String, String> {
    let mut m = HashMap::with_capacity(32);
    for (i, n) in NAMES.iter().enumerate() {
        let v = if i < 5 {
            "CHhAvVGS1DHFjwGM9".to_string()
        } else {
            i.to_string()
        };
        m.insert((*n).to_string(), v);
    }
    m.insert("source.ip".into(), "10.0.0.1".into());
    m.insert("destination.ip".into(), "10.0.0.2".into());
    m.insert("destination.port".into(), "443".into());
    m
}

fn bench(c: &mut Criterion) {
    let k: [Key; 20] = NAMES.map(|n| Key::lookup(n).expect("registered"));
    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(1));
    g.bench_function("build_23_fields", |b| {
        b.iter(|| black_box(build_conn_like(&k)))
    });
    g.bench_function("hashmap_build_23_fields", |b| {
        b.iter(|| black_box(build_hashmap()))
    });
    let ev = build_conn_like(&k);
    let m = build_hashmap();
    g.bench_function("get_hit_last", |b| {
        b.iter(|| black_box(&ev).get(keys::DESTINATION_PORT))
    });
    g.bench_function("get_miss", |b| {
        b.iter(|| black_box(&ev).get(keys::USER_NAME))
    });
    g.bench_function("get_by_name", |b| {
        b.iter(|| black_box(&ev).get_by_name("destination.port"))
    });
    g.bench_function("hashmap_get_hit", |b| {
        b.iter(|| black_box(&m).get("destination.port"))
    });
    g.bench_function("key_lookup", |b| {
        b.iter(|| Key::lookup(black_box("id.orig_h")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
