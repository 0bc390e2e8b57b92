//! The analytics engine's hot path: `Engine::observe` with every analytic
//! enabled over a day of generated mixed events from 200 internal hosts
//! (Zeek conn and DNS, pgAudit reads, FHIR AuditEvent reads, Okta sign-ins),
//! next to the limit any analytic pays: reading each event's dataset and
//! source address.

// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_analytics::context::Context;
use phiwatch_analytics::engine::{Config, Engine};
use phiwatch_event::{keys, Event, Timestamp, Value, ValueRef};

const EVENTS: usize = 200_000;
const HOSTS: u32 = 200;
const DAY0: i64 = 1_793_577_600;

/// splitmix64: deterministic and dependency-free.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn host(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 1, (i >> 8) as u8, i as u8))
}

fn events() -> Vec<Event> {
    let mut s = 7u64;
    let users: Vec<String> = (0..HOSTS).map(|i| format!("user{i}")).collect();
    (0..EVENTS)
        .map(|n| {
            let t = DAY0 + (n as i64 * 86_400) / EVENTS as i64;
            let mut ev = Event::new(Timestamp::from_secs(t).unwrap_or(Timestamp::EPOCH));
            let r = next(&mut s);
            let h = (r % u64::from(HOSTS)) as u32;
            let user = &users[h as usize];
            match r % 10 {
                0..=4 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "zeek.conn");
                    ev.push_norm(keys::SOURCE_IP, Value::Ip(host(h)));
                    let dst = Ipv4Addr::new(198, 51, 100, (r >> 8) as u8 % 40);
                    ev.push_norm(keys::DESTINATION_IP, Value::Ip(IpAddr::V4(dst)));
                    ev.push_norm(keys::DESTINATION_PORT, Value::Int(443));
                    ev.push_norm(keys::SOURCE_BYTES, Value::Int((r >> 16) as i64 % 200_000));
                    ev.push_norm(
                        keys::DESTINATION_BYTES,
                        Value::Int((r >> 24) as i64 % 2_000_000),
                    );
                }
                5 | 6 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "zeek.dns");
                    ev.push_norm(keys::SOURCE_IP, Value::Ip(host(h)));
                    let name = format!("www{}.example{}.com", (r >> 8) % 50, (r >> 16) % 300);
                    ev.push_norm_str(keys::DNS_QUESTION_NAME, &name);
                }
                7 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "postgresql.audit");
                    ev.push_norm_str(keys::DB_USER, user);
                    ev.push_norm_str(keys::DB_SQL_TABLE, "ehr.patients");
                    ev.push_norm(
                        keys::DB_RESPONSE_RETURNED_ROWS,
                        Value::Int(1 + (r >> 8) as i64 % 40),
                    );
                    ev.push_norm(keys::CLIENT_IP, Value::Ip(host(h)));
                }
                8 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "fhir.audit");
                    ev.push_norm_str(keys::USER_NAME, user);
                    ev.push_norm(keys::CLIENT_IP, Value::Ip(host(h)));
                    ev.push_norm_str(keys::EVENT_ACTION, "read");
                    ev.push_norm_str(keys::EVENT_OUTCOME, "success");
                    ev.push_norm_str(keys::RESOURCE_TYPE, "Patient");
                    let id = format!("pt-{:07}", (r >> 8) % 5_000);
                    ev.push_norm_str(keys::RESOURCE_ID, &id);
                    let item = ev.store_str(&id);
                    let list = ev.store_list([item]);
                    ev.push_norm(keys::PATIENT_IDS, list);
                }
                _ => {
                    ev.push_norm_str(keys::EVENT_DATASET, "okta.system");
                    ev.push_norm_str(keys::EVENT_MODULE, "okta");
                    ev.push_norm_str(keys::USER_NAME, user);
                    ev.push_norm(keys::SOURCE_IP, Value::Ip(host(h)));
                    ev.push_norm_str(keys::EVENT_ACTION, "user.session.start");
                    let ok = if (r >> 8).is_multiple_of(20) {
                        "failure"
                    } else {
                        "success"
                    };
                    ev.push_norm_str(keys::EVENT_OUTCOME, ok);
                }
            }
            ev
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let evs = events();
    let ctx = Context::default();
    let mut g = c.benchmark_group("analytics");
    g.throughput(Throughput::Elements(evs.len() as u64));
    g.sample_size(10);
    g.bench_function("engine_all_analytics", |b| {
        b.iter(|| {
            let Ok(mut engine) = Engine::new(&Config::default(), &ctx) else {
                return 0;
            };
            let mut hits = Vec::new();
            for ev in &evs {
                engine.observe(ev, &mut hits);
            }
            engine.finish(&mut hits);
            black_box(hits.len())
        });
    });
    g.bench_function("limit_dataset_and_source", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in &evs {
                if let Some(ValueRef::Str(d)) = ev.get(keys::EVENT_DATASET) {
                    n += d.len();
                }
                if let Some(ValueRef::Ip(ip)) = ev.get(keys::SOURCE_IP) {
                    n += usize::from(ip.is_ipv4());
                }
            }
            black_box(n)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
