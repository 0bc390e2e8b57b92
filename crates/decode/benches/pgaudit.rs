//! PostgreSQL + pgAudit decoding throughput: a generated stderr log (Debian
//! prefix, sessions of connection / audit / disconnection lines, a quarter of
//! the statements spanning lines) and the same records as csvlog, against the
//! floor of merely finding the line ends of the same bytes with `memchr`.
//!
//! `cargo bench -p phiwatch-decode --bench pgaudit -- --warm-up-time 1 --measurement-time 3`
//! reports elements/s, where an element is one record (not one line).

#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_decode::Format;

mod common;
use common::{decode_all, Rng};

/// Records generated (connection lines included).
const RECORDS: usize = 12_000;

/// One record: pid, user, severity, message (newlines unescaped).
struct Rec {
    secs: u64,
    pid: u64,
    user: &'static str,
    app: &'static str,
    host: String,
    port: u64,
    message: String,
}

fn records() -> Vec<Rec> {
    const USERS: &[(&str, &str)] = &[
        ("clinician_app", "ehr-api"),
        ("reporting", "metabase"),
        ("backup", "pg_dump"),
        ("dba_alice", "psql"),
    ];
    const TABLES: &[&str] = &[
        "ehr.patients",
        "ehr.encounters",
        "ehr.observations",
        "ehr.medications",
        "billing.claims",
    ];
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(RECORDS);
    let mut secs = 1_772_438_400u64;
    let mut pid = 10_000u64;
    while out.len() < RECORDS {
        pid += 1 + r.below(7);
        let (user, app) = USERS[r.below(USERS.len() as u64) as usize];
        let host = format!("10.{}.{}.{}", r.below(4), r.below(256), 1 + r.below(254));
        let port = 32_768 + r.below(28_000);
        let mk = |secs: u64, message: String| Rec {
            secs,
            pid,
            user,
            app,
            host: host.clone(),
            port,
            message,
        };
        out.push(mk(
            secs,
            format!("connection received: host={host} port={port}"),
        ));
        out.push(mk(
            secs,
            format!("connection authorized: user={user} database=ehr application_name={app}"),
        ));
        let n = 5 + r.below(30);
        for stmt in 1..=n {
            secs += r.below(3);
            let t = TABLES[r.below(TABLES.len() as u64) as usize];
            let msg = match r.below(8) {
                0 | 1 => format!(
                    "AUDIT: SESSION,{stmt},1,READ,SELECT,TABLE,{t},\"SELECT id, family_name, given_name, birth_date\n  FROM {t}\n WHERE id = $1\",{},1",
                    r.below(100_000)
                ),
                2 | 3 => format!(
                    "AUDIT: SESSION,{stmt},1,READ,SELECT,TABLE,{t},SELECT * FROM {t} WHERE updated_at > now() - interval '1 day',<not logged>,{}",
                    r.below(5_000)
                ),
                4 => format!(
                    "AUDIT: SESSION,{stmt},1,WRITE,UPDATE,TABLE,{t},UPDATE {t} SET status = $1 WHERE id = $2,\"active,{}\",1",
                    r.below(100_000)
                ),
                5 => format!(
                    "AUDIT: SESSION,{stmt},1,READ,COPY,,,\"COPY {t} (id, family_name, given_name, birth_date) TO stdout;\",<none>,{}",
                    r.below(1_000_000)
                ),
                6 => format!("AUDIT: SESSION,{stmt},1,MISC,SET,,,SET search_path = ehr,<not logged>,0"),
                _ => format!(
                    "AUDIT: OBJECT,{stmt},1,READ,SELECT,TABLE,{t},\"SELECT p.id, e.code\n  FROM {t} p\n  JOIN ehr.encounters e ON e.patient_id = p.id\",<not logged>,{}",
                    r.below(500)
                ),
            };
            out.push(mk(secs, msg));
        }
        out.push(mk(
            secs,
            format!(
                "disconnection: session time: 0:00:{:02}.{:03} user={user} database=ehr host={host} port={port}",
                r.below(60),
                r.below(1000)
            ),
        ));
    }
    out
}

fn time(secs: u64) -> String {
    let sod = secs % 86_400;
    format!(
        "2026-03-02 {:02}:{:02}:{:02}.{:03} UTC",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        secs % 1000
    )
}

fn stderr_log(recs: &[Rec]) -> Vec<u8> {
    let mut s = String::new();
    for r in recs {
        let who = if r.message.starts_with("connection received") {
            "[unknown]@[unknown]".to_string()
        } else {
            format!("{}@ehr", r.user)
        };
        let _ = writeln!(
            s,
            "{} [{}] {who} LOG:  {}",
            time(r.secs),
            r.pid,
            r.message.replace('\n', "\n\t")
        );
    }
    s.into_bytes()
}

fn csv_log(recs: &[Rec]) -> Vec<u8> {
    let mut s = String::new();
    for (i, r) in recs.iter().enumerate() {
        let _ = writeln!(
            s,
            "{},\"{}\",\"ehr\",{},\"{}:{}\",69a4d000.{:x},{i},\"SELECT\",2026-03-02 00:00:00 UTC,3/{i},0,LOG,00000,\"{}\",,,,,,,,,\"{}\",\"client backend\",,0",
            time(r.secs),
            r.user,
            r.pid,
            r.host,
            r.port,
            r.pid,
            r.message.replace('"', "\"\""),
            r.app
        );
    }
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let recs = records();
    let n = recs.len();
    let stderr = stderr_log(&recs);
    let csv = csv_log(&recs);
    assert_eq!(
        decode_all(Format::PostgresLog, &stderr),
        n,
        "every stderr record decodes"
    );
    assert_eq!(
        decode_all(Format::PostgresCsv, &csv),
        n,
        "every csvlog record decodes"
    );

    eprintln!(
        "pgaudit bench: {n} records, stderr {} lines / {} bytes, csvlog {} lines / {} bytes",
        memchr::memchr_iter(b'\n', &stderr).count(),
        stderr.len(),
        memchr::memchr_iter(b'\n', &csv).count(),
        csv.len()
    );
    let mut g = c.benchmark_group("pgaudit");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("stderr_decode", |b| {
        b.iter(|| decode_all(Format::PostgresLog, black_box(&stderr)))
    });
    g.bench_function("stderr_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&stderr)).count())
    });
    g.bench_function("csvlog_decode", |b| {
        b.iter(|| decode_all(Format::PostgresCsv, black_box(&csv)))
    });
    g.bench_function("csvlog_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&csv)).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
