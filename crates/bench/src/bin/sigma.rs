//! `phiwatch-sigma-bench`: the Sigma engine with the whole SigmaHQ set
//! (3,754 rules) plus the built-in pack loaded: rule-load time and memory,
//! then events/s on one core over (1) the 238 events of SigmaHQ's
//! regression cases and (2) a generated synthetic-hospital corpus, each
//! beside a limit run in the same process over the same events (visiting
//! every field's value, as any evaluator must at least once).
//!
//! Usage: `phiwatch-sigma-bench [REPS] [RUNS] [CORPUS_DIR]` (defaults: 200
//! repetitions of the regression events, 5 runs; CORPUS_DIR is a directory
//! of logs, e.g. the one `bench/stages.sh` generates).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use phiwatch_bench::measure::{evaluate, files_under, median, read_events, sigmahq_and_builtin};
use phiwatch_event::{Event, ValueRef};
use phiwatch_sigma::{Engine, EngineConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// The limit: touch every value of every event once.
fn visit(events: &[Event]) -> u64 {
    let mut n = 0u64;
    for ev in events {
        for f in ev.fields() {
            n = n.wrapping_add(match f.value {
                ValueRef::Str(s) => {
                    s.len() as u64 + u64::from(s.as_bytes().first().copied().unwrap_or(0))
                }
                ValueRef::Int(i) => i as u64,
                _ => 1,
            });
        }
    }
    n
}

fn bench(name: &str, engine: &Engine, events: &[Event], runs: usize) {
    let mut limit = Vec::new();
    let mut secs = Vec::new();
    let mut hits = 0;
    for _ in 0..runs {
        let t = Instant::now();
        black_box(visit(events));
        limit.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        hits = evaluate(engine, black_box(events));
        secs.push(t.elapsed().as_secs_f64());
    }
    let (limit, secs) = (median(limit), median(secs));
    let n = events.len() as f64;
    println!(
        "{name:<52} {:>9} events {:>12.0} ev/s {:>10.0}x limit ({:.0} ev/s)   {hits} hits",
        events.len(),
        n / secs,
        secs / limit,
        n / limit
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let reps: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(200);
    let runs: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");

    let rss0 = rss_mb();
    let t = Instant::now();
    let set = sigmahq_and_builtin();
    let parse = t.elapsed().as_secs_f64();
    let rss1 = rss_mb();
    let t = Instant::now();
    let engine = Engine::build(&set, &EngineConfig::default());
    let build = t.elapsed().as_secs_f64();
    let rss2 = rss_mb();
    println!(
        "rules: {} files, {} rules compiled ({} failed); parse {:.2} s (+{:.0} MB), compile {:.2} s (+{:.0} MB)",
        set.files(),
        engine.rules().len(),
        set.errors().len() + engine.errors().len(),
        parse,
        rss1 - rss0,
        build,
        rss2 - rss1
    );

    let reg = files_under(&root.join("crates/ingest/tests/data/evtx"))?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect::<Vec<_>>();
    let base = read_events(&reg);
    let mut events = Vec::with_capacity(base.len() * reps);
    for _ in 0..reps {
        events.extend(base.iter().cloned());
    }
    // The first pass builds the routes (prefilter automata) lazily.
    let t = Instant::now();
    evaluate(&engine, &base);
    println!(
        "routes for the regression events built in {:.2} s; RSS now {:.0} MB",
        t.elapsed().as_secs_f64(),
        rss_mb()
    );
    bench(
        &format!("SigmaHQ regression events x{reps}"),
        &engine,
        &events,
        runs,
    );

    if let Some(dir) = args.get(3) {
        let files = files_under(Path::new(dir)).with_context(|| format!("reading {dir}"))?;
        let events = read_events(&files);
        evaluate(&engine, &events[..events.len().min(100_000)]);
        bench(
            &format!("generated corpus ({} files)", files.len()),
            &engine,
            &events,
            runs,
        );
    }
    println!("RSS at end {:.0} MB", rss_mb());
    Ok(())
}
