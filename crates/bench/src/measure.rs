//! Timing helpers shared by the benchmark binaries: medians of repeated
//! runs, the read-and-count limit, and one ingestion run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use phiwatch_event::Event;
use phiwatch_ingest::{CollectSink, Ingest, IngestConfig, InputSpec, Order};
use phiwatch_sigma::{Engine, Hit, RuleSet};

/// The median of `v` (0 for an empty list).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Median seconds of `runs` runs (at least one) of `f`, which returns a
/// count that must equal `expect` every time.
pub fn time<F: FnMut() -> u64>(runs: usize, expect: u64, mut f: F) -> anyhow::Result<f64> {
    let mut secs = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let n = f();
        secs.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(n == expect, "expected {expect} records, got {n}");
    }
    Ok(median(secs))
}

/// The limit: reading every file and counting its lines with memchr.
pub fn read_and_count<P: AsRef<Path>>(files: &[P]) -> u64 {
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    for p in files {
        let Ok(mut f) = std::fs::File::open(p) else {
            continue;
        };
        while let Ok(k) = f.read(&mut buf) {
            if k == 0 {
                break;
            }
            n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64;
        }
    }
    n
}

/// Ingests `files` with `threads` workers in `order`; the events read.
pub fn ingest<P: AsRef<Path>>(files: &[P], order: Order, threads: usize) -> u64 {
    let cfg = IngestConfig {
        order,
        threads,
        ..IngestConfig::default()
    };
    let sink = Arc::new(CollectSink::default());
    let inputs = files
        .iter()
        .map(|p| InputSpec::File(p.as_ref().to_path_buf()))
        .collect();
    let mut run = Ingest::start(inputs, vec![], cfg, sink);
    let n = run.by_ref().count() as u64;
    run.finish();
    n
}

/// Every file under `root`, recursively, sorted.
pub fn files_under(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Every event of `files`, merged in time order (2 reading threads).
pub fn read_events(files: &[PathBuf]) -> Vec<Event> {
    let cfg = IngestConfig {
        order: Order::Time,
        threads: 2,
        ..IngestConfig::default()
    };
    let sink = Arc::new(CollectSink::default());
    let inputs = files.iter().map(|p| InputSpec::File(p.clone())).collect();
    let mut run = Ingest::start(inputs, vec![], cfg, sink);
    let v: Vec<Event> = run.by_ref().collect();
    run.finish();
    v
}

/// The SigmaHQ rule set kept for tests and benchmarks, plus the built-in
/// pack (3,754 + the pack's files).
pub fn sigmahq_and_builtin() -> RuleSet {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sigma/tests/data/sigmahq");
    let dirs: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| base.join(d))
        .collect();
    let mut set = RuleSet::load_paths(&dirs);
    set.extend(RuleSet::builtin());
    set
}

/// Runs the engine over `events` in one session; the hits.
pub fn evaluate(engine: &Engine, events: &[Event]) -> u64 {
    let mut session = engine.session();
    let mut hits: Vec<Hit> = Vec::new();
    let mut n = 0u64;
    for ev in events {
        session.process(ev, &mut hits);
        n += hits.len() as u64;
        hits.clear();
    }
    session.finish(&mut hits);
    if std::env::var_os("SIGMA_BENCH_VERBOSE").is_some() {
        let (ev, evals) = session.counts();
        eprintln!(
            "{ev} events, {evals} rule evaluations ({:.1} per event)",
            evals as f64 / ev.max(1) as f64
        );
    }
    n + hits.len() as u64
}
