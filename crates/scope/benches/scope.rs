//! The scope's hot paths: collecting the ledger from events
//! (`Ledger::observe`: silo matching, SQL `WHERE` reading, flows) and
//! building the scope from it (`ScopeBuilder`: actor matching, patient
//! sets, timeline), over 200,000 generated events of a day (pgAudit reads,
//! FHIR reads, outbound connections, other logs), next to the limit every
//! pass pays: reading each event's dataset and source address.

// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_event::{keys, Event, Timestamp, Value, ValueRef};
use phiwatch_inventory::{Inventory, PatientTables, Patients};
use phiwatch_scope::{Actors, Ledger, ScopeBuilder, ScopeConfig};

const EVENTS: usize = 200_000;
const PATIENTS: usize = 50_000;
const DAY0: i64 = 1_793_577_600;

/// splitmix64: deterministic and dependency-free.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn inventory() -> (Inventory, PatientTables) {
    let inv = Inventory::parse(
        r#"
[[silo]]
name = "ehr.patients"
kind = "table"
match = { db = "ehr", table = "patients" }
categories = ["name", "ssn"]
patients = "p.csv"

[[silo]]
name = "fhir.Patient"
kind = "api"
match = { resource = "Patient" }
categories = ["name"]
patients = "p.csv"
"#,
        "bench.toml",
    )
    .unwrap_or_default();
    let mut csv = String::from("patient_id,state\n");
    for i in 0..PATIENTS {
        csv.push_str(&format!("pt-{i:07},{}\n", ["MA", "NY", "CA", "TX"][i % 4]));
    }
    let p = Patients::parse(&csv, "p.csv").unwrap_or_default();
    let tables = PatientTables {
        tables: vec![p],
        of_silo: vec![Some(0), Some(0)],
    };
    (inv, tables)
}

fn events() -> Vec<Event> {
    let mut s = 11u64;
    (0..EVENTS)
        .map(|n| {
            let t = DAY0 + (n as i64 * 86_400) / EVENTS as i64;
            let mut ev = Event::new(Timestamp::from_secs(t).unwrap_or(Timestamp::EPOCH));
            let r = next(&mut s);
            let host = IpAddr::V4(Ipv4Addr::new(10, 1, (r >> 40) as u8 % 4, (r >> 48) as u8));
            let user = format!("user{}", (r >> 32) % 200);
            let pt = format!("pt-{:07}", (r >> 8) % PATIENTS as u64);
            match r % 10 {
                0 | 1 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "postgresql.log");
                    ev.push_norm_str(keys::EVENT_MODULE, "postgresql");
                    ev.push_norm_str(keys::DB_NAME, "ehr");
                    ev.push_norm_str(keys::DB_SQL_TABLE, "ehr.patients");
                    ev.push_norm_str(keys::DB_OPERATION, "SELECT");
                    ev.push_norm_str(
                        keys::DB_STATEMENT,
                        &format!("SELECT * FROM ehr.patients WHERE patient_id = '{pt}'"),
                    );
                    ev.push_norm_str(keys::USER_NAME, &user);
                    ev.push_norm(keys::CLIENT_IP, Value::Ip(host));
                    ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(1));
                }
                2 | 3 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "fhir.audit");
                    ev.push_norm_str(keys::EVENT_MODULE, "fhir");
                    ev.push_norm_str(keys::RESOURCE_TYPE, "Patient");
                    ev.push_norm_str(keys::PATIENT_IDS, &pt);
                    ev.push_norm_str(keys::USER_NAME, &user);
                    ev.push_norm(keys::CLIENT_IP, Value::Ip(host));
                }
                4..=7 => {
                    ev.push_norm_str(keys::EVENT_DATASET, "zeek.conn");
                    ev.push_norm_str(keys::EVENT_MODULE, "zeek");
                    ev.push_norm(keys::SOURCE_IP, Value::Ip(host));
                    let dst = Ipv4Addr::new(198, 51, 100, (r >> 16) as u8 % 40);
                    ev.push_norm(keys::DESTINATION_IP, Value::Ip(IpAddr::V4(dst)));
                    ev.push_norm(keys::SOURCE_BYTES, Value::Int((r >> 24) as i64 % 200_000));
                }
                _ => {
                    ev.push_norm_str(keys::EVENT_DATASET, "okta.system");
                    ev.push_norm_str(keys::EVENT_MODULE, "okta");
                    ev.push_norm_str(keys::USER_NAME, &user);
                    ev.push_norm(keys::SOURCE_IP, Value::Ip(host));
                }
            }
            ev
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (inv, tables) = inventory();
    let evs = events();
    let mut g = c.benchmark_group("scope");
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.sample_size(10);
    g.bench_function("limit_dataset_and_source", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in &evs {
                if let Some(ValueRef::Str(s)) = ev.get(keys::EVENT_DATASET) {
                    n += s.len();
                }
                n += usize::from(ev.get(keys::SOURCE_IP).is_some());
            }
            black_box(n)
        })
    });
    g.bench_function("ledger_observe", |b| {
        b.iter(|| {
            let mut l = Ledger::new(Vec::new());
            for ev in &evs {
                l.observe(ev, &inv, || String::from("bench.log:1"));
            }
            black_box(l.accesses.len())
        })
    });
    let mut ledger = Ledger::new(Vec::new());
    for ev in &evs {
        ledger.observe(ev, &inv, || String::from("bench.log:1"));
    }
    g.bench_function("scope_of_the_ledger", |b| {
        b.iter(|| {
            let cfg = ScopeConfig {
                from: Timestamp::from_secs(DAY0).unwrap_or(Timestamp::EPOCH),
                to: Timestamp::from_secs(DAY0 + 86_400).unwrap_or(Timestamp::EPOCH),
                actors: Actors(
                    (0..20)
                        .filter_map(|i| format!("user:user{i}").parse().ok())
                        .collect(),
                ),
                ..ScopeConfig::default()
            };
            let mut sb = ScopeBuilder::new(cfg, &inv, &tables);
            sb.ledger(&ledger);
            black_box(sb.finish().scope.individuals.total)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
