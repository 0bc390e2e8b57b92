//! Event construction and lookup: the costs every decoder and detector pays.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_event::{keys, Event, Key, Timestamp, Value};

fn build_conn_like() -> Event {
    let mut ev = Event::with_capacity(Timestamp::from_nanos(1), 32, 256);
    let names = [
        "uid", "proto", "service", "conn_state", "history", "id.orig_h", "id.resp_h",
        "id.orig_p", "id.resp_p", "orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts",
        "missed_bytes", "orig_ip_bytes", "resp_ip_bytes", "duration", "local_orig",
        "local_resp", "ip_proto",
    ];
    for (i, n) in names.iter().enumerate() {
        let k = Key::lookup(n).expect("registered");
        let v = if i < 5 { ev.store_str("CHhAvVGS1DHFjwGM9") } else { Value::Int(i as i64) };
        ev.push_raw(k, v);
    }
    ev.push_norm(keys::SOURCE_IP, Value::Ip([10, 0, 0, 1].into()));
    ev.push_norm(keys::DESTINATION_IP, Value::Ip([10, 0, 0, 2].into()));
    ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
    ev
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(1));
    g.bench_function("build_23_fields", |b| b.iter(|| black_box(build_conn_like())));
    let ev = build_conn_like();
    g.bench_function("get_hit_last", |b| b.iter(|| black_box(&ev).get(keys::DESTINATION_PORT)));
    g.bench_function("get_miss", |b| b.iter(|| black_box(&ev).get(keys::USER_NAME)));
    g.bench_function("get_by_name", |b| b.iter(|| black_box(&ev).get_by_name("destination.port")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
