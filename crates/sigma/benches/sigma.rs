//! Sigma engine costs:
//! - `evaluate/sigmahq_full/regression_events`: events/s over SigmaHQ's 238
//!   regression events (JSON twins) with the whole SigmaHQ set and the
//!   built-in healthcare pack loaded, routed by log source as in production;
//! - `evaluate/builtin_pack/pgaudit`: events/s over ~10k generated
//!   PostgreSQL + pgAudit records (decoded once, outside the timing) with the
//!   built-in pack loaded;
//! - `load/sigmahq_parse_and_compile`: reading, parsing and compiling the
//!   whole SigmaHQ set (`RuleSet::load_paths` + `Engine::build`).
//!
//! `cargo bench -p phiwatch-sigma --bench sigma -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::{Event, Origin};
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order};
use phiwatch_sigma::{Engine, EngineConfig, Hit, RuleSet};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sigmahq_dirs() -> Vec<PathBuf> {
    let base = manifest().join("tests/data/sigmahq");
    ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| base.join(d))
        .collect()
}

/// Every event of the regression JSON twins, in file order.
fn regression_events() -> Vec<Event> {
    let dir = manifest().join("../ingest/tests/data/evtx");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p.display().to_string());
            }
        }
    }
    files.sort();
    let inputs = resolve_inputs(&files);
    let cfg = IngestConfig {
        order: Order::Arrival,
        threads: 1,
        ..IngestConfig::default()
    };
    let sink = Arc::new(CollectSink::default());
    let mut run = Ingest::start(inputs.inputs, inputs.errors, cfg, sink);
    let events: Vec<Event> = run.by_ref().collect();
    run.finish();
    events
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// ~10k PostgreSQL stderr lines with pgAudit records: sessions of a
/// connection, reads and writes of clinical tables, now and then a
/// `SELECT *` on the patient table or a `COPY … TO`, and a disconnection.
fn pgaudit_log(records: usize) -> String {
    const USERS: &[(&str, &str)] = &[
        ("clinician_app", "ehr-api"),
        ("reporting", "metabase"),
        ("dba_alice", "psql"),
        ("mallory", "psql"),
    ];
    const TABLES: &[&str] = &[
        "ehr.patients",
        "ehr.encounters",
        "ehr.observations",
        "billing.claims",
    ];
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::new();
    let mut n = 0;
    let mut pid = 7000;
    while n < records {
        pid += 1;
        let (user, app) = USERS[r.below(USERS.len() as u64) as usize];
        let ts = |s: usize| format!("2026-11-03 02:{:02}:{:02}.000 UTC", (s / 60) % 60, s % 60);
        let host = format!("10.0.{}.{}", r.below(256), 1 + r.below(254));
        let pre = |s: usize| format!("{} [{pid}] {user}@ehr LOG:  ", ts(s));
        out.push_str(&format!(
            "{} [{pid}] [unknown]@[unknown] LOG:  connection received: host={host} port=51300\n",
            ts(n)
        ));
        out.push_str(&format!(
            "{}connection authorized: user={user} database=ehr application_name={app}\n",
            pre(n)
        ));
        let stmts = 5 + r.below(20);
        for s in 1..=stmts {
            let t = TABLES[r.below(TABLES.len() as u64) as usize];
            let rows = r.below(500);
            let body = match r.below(20) {
                0 => format!("READ,SELECT,TABLE,ehr.patients,SELECT * FROM ehr.patients,<not logged>,{rows}"),
                1 => format!("READ,COPY,,,\"COPY (SELECT id, family_name FROM {t}) TO STDOUT WITH CSV\",<not logged>,{rows}"),
                2..=4 => format!("WRITE,UPDATE,TABLE,{t},UPDATE {t} SET note = $1 WHERE id = $2,<not logged>,1"),
                _ => format!("READ,SELECT,TABLE,{t},\"SELECT id, family_name, birth_date FROM {t} WHERE id = $1\",<not logged>,1"),
            };
            out.push_str(&format!("{}AUDIT: SESSION,{s},1,{body}\n", pre(n)));
        }
        out.push_str(&format!(
            "{}disconnection: session time: 0:00:05.000 user={user} database=ehr host={host} port=51300\n",
            pre(n)
        ));
        n += stmts as usize + 3;
    }
    out
}

fn decode_postgres(text: &str) -> Vec<Event> {
    let mut dec = Format::PostgresLog
        .decoder(&DecoderConfig::default())
        .unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let origin = Origin {
            line: i as u64 + 1,
            ..Origin::default()
        };
        if let Ok(Some(ev)) = dec.decode(line.as_bytes(), origin) {
            out.push(ev);
        }
    }
    if let Some(Ok(ev)) = dec.finish() {
        out.push(ev);
    }
    out
}

/// Runs every event through a fresh session; returns the number of hits.
/// The pack has correlations, so each pass starts from a clean state.
fn evaluate(engine: &Engine, events: &[Event]) -> usize {
    let mut session = engine.session();
    let mut hits: Vec<Hit> = Vec::new();
    for ev in events {
        session.process(ev, &mut hits);
    }
    session.finish(&mut hits);
    hits.len()
}

fn evaluate_benches(c: &mut Criterion) {
    let mut set = RuleSet::load_paths(&sigmahq_dirs());
    set.extend(RuleSet::builtin());
    let full = Engine::build(&set, &EngineConfig::default());
    let events = regression_events();
    assert_eq!(events.len(), 238, "regression events");
    assert!(evaluate(&full, &events) > 300, "the regression events fire");

    let pack = Engine::build(&RuleSet::builtin(), &EngineConfig::default());
    let pg = decode_postgres(&pgaudit_log(10_000));
    assert!(pg.len() >= 9_000, "{} pgAudit events", pg.len());
    assert!(
        evaluate(&pack, &pg) > 0,
        "the pack fires on the pgAudit log"
    );

    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(events.len() as u64));
    // One session for every iteration: SigmaHQ has no correlations, so it
    // keeps no state, and a fresh session (a few allocations per rule)
    // would be a visible share of 238 events.
    let mut session = full.session();
    let mut hits: Vec<Hit> = Vec::new();
    g.bench_function("sigmahq_full/regression_events", |b| {
        b.iter(|| {
            hits.clear();
            for ev in black_box(&events) {
                session.process(ev, &mut hits);
            }
            black_box(hits.len())
        })
    });
    g.throughput(Throughput::Elements(pg.len() as u64));
    g.bench_function("builtin_pack/pgaudit", |b| {
        b.iter(|| black_box(evaluate(&pack, black_box(&pg))))
    });
    g.finish();
}

fn load_benches(c: &mut Criterion) {
    let dirs = sigmahq_dirs();
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("sigmahq_parse_and_compile", |b| {
        b.iter(|| {
            let set = RuleSet::load_paths(black_box(&dirs));
            let engine = Engine::build(&set, &EngineConfig::default());
            black_box(engine.detection_count())
        })
    });
    g.finish();
}

criterion_group!(benches, evaluate_benches, load_benches);
criterion_main!(benches);
