//! Store throughput: `put_accesses` of 100k ledger entries (new, and again
//! as duplicates) and `accesses()` over a window, against the limit: the
//! same rows inserted into (and read back from) an in-memory SQLite table
//! without indexes or keys.
//!
//! `cargo bench -p phiwatch-store` (rows/s are criterion's "thrpt").

// criterion_group! makes an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use phiwatch_event::Timestamp;
use phiwatch_store::{content_hash_bytes, Access, Reach, RunId, RunInfo, Store};
use rusqlite::{params, Connection};

const N: usize = 100_000;
const FILES: usize = 50;
const DAY_NS: i64 = 86_400_000_000_000;
const T0: i64 = 1_790_000_000_000_000_000;

/// 100k synthetic entries over 30 days from 50 files, a third naming two
/// patients, a third bulk, a third unresolved.
fn ledger() -> Vec<Access> {
    (0..N)
        .map(|i| {
            let reach = [Reach::Records, Reach::Bulk, Reach::Unresolved][i % 3];
            Access {
                time: Timestamp::from_nanos(T0 + (i as i64) * (30 * DAY_NS / N as i64)),
                silo: ["ehr.patients", "billing.claims", "fhir.Patient"][i % 3].into(),
                action: "SELECT".into(),
                user: Some(format!("user{}", i % 40)),
                ip: Some(format!("10.0.{}.{}", i % 7, i % 250).parse().unwrap()),
                host: Some(format!("db{:02}", i % 4)),
                reach,
                filtered: false,
                records: match reach {
                    Reach::Records => vec![format!("pt-{:07}", i), format!("pt-{:07}", i + 1)],
                    _ => Vec::new(),
                },
                rows: Some((i % 5000) as u64),
                bytes: None,
                source: format!("logs/pg-{:02}.log:{}", i % FILES, i / FILES + 1),
            }
        })
        .collect()
}

fn store_with_run(s: &mut Store) -> RunId {
    let run = s
        .begin_run(&RunInfo {
            command: "bench".into(),
            args: vec![],
            version: "0".into(),
            started: Timestamp::from_nanos(T0),
        })
        .unwrap();
    for f in 0..FILES {
        let hash = content_hash_bytes(format!("file {f}").as_bytes());
        s.add_source(run, &format!("logs/pg-{f:02}.log"), &hash, 1)
            .unwrap();
    }
    run
}

/// The limit: the same columns into a plain in-memory table.
fn plain_insert(conn: &mut Connection, rows: &[Access]) {
    let tx = conn.transaction().unwrap();
    {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO plain (time, silo, action, user, ip, host, reach, records, rows, bytes, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .unwrap();
        for a in rows {
            let json = serde_json::to_string(a).unwrap();
            st.execute(params![
                a.time.as_nanos(),
                a.silo,
                a.action,
                a.user,
                a.ip.map(|i| i.to_string()),
                a.host,
                "records",
                a.records.len() as i64,
                a.rows.map(|v| v as i64),
                a.bytes.map(|v| v as i64),
                json
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn plain_table() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE plain (time INTEGER, silo TEXT, action TEXT, user TEXT, ip TEXT, host TEXT,
         reach TEXT, records INTEGER, rows INTEGER, bytes INTEGER, json TEXT)",
    )
    .unwrap();
    c
}

fn put(c: &mut Criterion) {
    let rows = ledger();
    let mut g = c.benchmark_group("put_accesses_100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("limit: plain in-memory table, no indexes", |b| {
        b.iter_batched(
            plain_table,
            |mut conn| plain_insert(&mut conn, black_box(&rows)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("store in memory, new rows", |b| {
        b.iter_batched(
            || {
                let mut s = Store::open_in_memory().unwrap();
                let run = store_with_run(&mut s);
                (s, run)
            },
            |(mut s, run)| assert_eq!(s.put_accesses(run, black_box(&rows)).unwrap().new, N as u64),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("store file (WAL), new rows", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let mut s = Store::open(&dir.path().join("bench.db")).unwrap();
                let run = store_with_run(&mut s);
                (dir, s, run)
            },
            |(_dir, mut s, run)| {
                assert_eq!(s.put_accesses(run, black_box(&rows)).unwrap().new, N as u64)
            },
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let mut full = Store::open(&dir.path().join("full.db")).unwrap();
    let run = store_with_run(&mut full);
    full.put_accesses(run, &rows).unwrap();
    g.bench_function("store file (WAL), all duplicates", |b| {
        b.iter(|| {
            assert_eq!(
                full.put_accesses(run, black_box(&rows)).unwrap().duplicate,
                N as u64
            )
        })
    });
    g.finish();
}

fn query(c: &mut Criterion) {
    let rows = ledger();
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("query.db")).unwrap();
    let run = store_with_run(&mut s);
    s.put_accesses(run, &rows).unwrap();
    let mut plain = plain_table();
    plain_insert(&mut plain, &rows);
    // Three days of thirty: 10% of the rows.
    let (from, to) = (T0 + 10 * DAY_NS, T0 + 13 * DAY_NS - 1);
    let in_window = rows
        .iter()
        .filter(|a| (from..=to).contains(&a.time.as_nanos()))
        .count();
    let mut g = c.benchmark_group("accesses_window");
    g.sample_size(10);
    g.throughput(Throughput::Elements(in_window as u64));
    g.bench_function("limit: plain table scan + JSON decode", |b| {
        b.iter(|| {
            let mut st = plain
                .prepare_cached(
                    "SELECT json FROM plain WHERE time >= ?1 AND time <= ?2 ORDER BY time",
                )
                .unwrap();
            let v: Vec<Access> = st
                .query_map([from, to], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|j| serde_json::from_str(&j.unwrap()).unwrap())
                .collect();
            assert_eq!(v.len(), in_window);
        })
    });
    g.bench_function("store accesses(window)", |b| {
        b.iter(|| {
            let v = s
                .accesses(Timestamp::from_nanos(from), Timestamp::from_nanos(to))
                .unwrap();
            assert_eq!(v.len(), in_window);
        })
    });
    g.finish();
    let mut g = c.benchmark_group("accesses_all");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("store accesses(all 100k)", |b| {
        b.iter(|| {
            let v = s.accesses(Timestamp::MIN, Timestamp::MAX).unwrap();
            assert_eq!(v.len(), N);
        })
    });
    g.finish();
}

criterion_group!(benches, put, query);
criterion_main!(benches);
