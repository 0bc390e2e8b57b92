//! `phiwatch-stages`: throughput of each stage of phiwatch on a synthetic
//! hospital's logs (the `phiwatch-synth` generator), with the ratio to
//! reading the same bytes in the same process. Stages that do not exist yet
//! print `not built yet`.
//!
//! Usage: `phiwatch-stages [SCALE] [DAYS] [RUNS] [SEED] [CORPUS_ROOT]`
//! (defaults medium, 1, 3, 1, bench/corpus). The corpus is generated once
//! into `CORPUS_ROOT/<scale>-<days>-<seed>/` and reused when present
//! (a `.complete` file there records the generation figures).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, ensure, Context};
use phiwatch_bench::measure::{
    evaluate, files_under, ingest, read_and_count, read_events, sigmahq_and_builtin, time,
};
use phiwatch_ingest::Order;
use phiwatch_sigma::{Engine, EngineConfig, RuleSet};
use phiwatch_synth::{generate, GenConfig, Scale, Scenario};

/// mimalloc, as in the `phiwatch` binary (see ARCHITECTURE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COMPLETE: &str = ".complete";

/// Generation figures, kept next to the corpus.
struct Generated {
    records: u64,
    bytes: u64,
    secs: f64,
    cached: bool,
}

fn parse_complete(text: &str) -> Option<Generated> {
    let get = |k: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
    };
    Some(Generated {
        records: get("records")?.parse().ok()?,
        bytes: get("bytes")?.parse().ok()?,
        secs: get("secs")?.parse().ok()?,
        cached: true,
    })
}

/// Generates the corpus unless a complete one is there.
fn corpus(dir: &Path, cfg: &GenConfig) -> anyhow::Result<Generated> {
    let complete = dir.join(COMPLETE);
    if let Ok(text) = std::fs::read_to_string(&complete) {
        if let Some(g) = parse_complete(&text) {
            return Ok(g);
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!("phiwatch-stages: generating {} …", dir.display());
    let t = Instant::now();
    let report = generate(cfg, dir).with_context(|| format!("generating {}", dir.display()))?;
    let secs = t.elapsed().as_secs_f64();
    if report.records == 0 {
        bail!(
            "the generator (phiwatch-synth) wrote nothing into {}",
            dir.display()
        );
    }
    std::fs::write(
        &complete,
        format!(
            "records={} bytes={} secs={secs:.3} files={}\n",
            report.records,
            report.bytes,
            report.files.len()
        ),
    )?;
    Ok(Generated {
        records: report.records,
        bytes: report.bytes,
        secs,
        cached: false,
    })
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let scale_name = args.next().unwrap_or_else(|| "medium".into());
    let Some(scale) = Scale::from_name(&scale_name) else {
        let names: Vec<&str> = Scale::ALL.iter().map(|s| s.name()).collect();
        bail!(
            "unknown scale '{scale_name}'; expected one of: {}",
            names.join(", ")
        );
    };
    let days: u32 = args.next().map_or(Ok(1), |s| s.parse()).context("DAYS")?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse()).context("RUNS")?;
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse()).context("SEED")?;
    let root = PathBuf::from(args.next().unwrap_or_else(|| "bench/corpus".into()));
    ensure!(days >= 1, "DAYS must be at least 1");

    let cfg = GenConfig {
        scenario: Scenario::VendorCompromise,
        days,
        scale,
        seed,
        ..GenConfig::default()
    };
    let dir = root.join(format!("{}-{days}-{seed}", scale.name()));
    let gen = corpus(&dir, &cfg)?;
    let files = files_under(&dir.join("logs"))?;
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mb = bytes as f64 / 1e6;
    let lines = read_and_count(&files);
    let events = ingest(&files, Order::Arrival, 1);

    println!(
        "phiwatch-stages: {} ({} scenario), {} files, {:.1} MB, {lines} lines, {events} events; median of {runs} runs",
        dir.display(),
        cfg.scenario.name(),
        files.len(),
        mb
    );
    println!(
        "{:<44} {:>12} {:>10} {:>10}",
        "stage", "records/s", "MB/s", "vs limit"
    );
    println!(
        "{:<44} {:>12.0} {:>10.1} {:>10}",
        format!(
            "generate ({}){}",
            scale.name(),
            if gen.cached { ", cached corpus" } else { "" }
        ),
        gen.records as f64 / gen.secs.max(1e-9),
        gen.bytes as f64 / 1e6 / gen.secs.max(1e-9),
        "-"
    );
    let limit = time(runs, lines, || read_and_count(&files))?;
    let mut stages = vec![("read + memchr (limit)".to_string(), lines, limit)];
    stages.push((
        "decode: ingest, arrival order, 1 thread".to_string(),
        events,
        time(runs, events, || ingest(&files, Order::Arrival, 1))?,
    ));
    stages.push((
        "decode: ingest, arrival order, 2 threads".to_string(),
        events,
        time(runs, events, || ingest(&files, Order::Arrival, 2))?,
    ));
    stages.push((
        "decode: ingest, time order, 2 threads".to_string(),
        events,
        time(runs, events, || ingest(&files, Order::Time, 2))?,
    ));
    let events = read_events(&files);
    let cfg = EngineConfig::default();
    let pack = Engine::build(&RuleSet::builtin(), &cfg);
    let full = Engine::build(&sigmahq_and_builtin(), &cfg);
    for (label, engine) in [("built-in pack", &pack), ("SigmaHQ + pack", &full)] {
        // The first pass builds the routes (prefilter automata) lazily.
        evaluate(engine, &events[..events.len().min(50_000)]);
        let mut hits = 0;
        let secs = time(runs, events.len() as u64, || {
            hits = evaluate(engine, &events);
            events.len() as u64
        })?;
        stages.push((
            format!(
                "sigma: {label} ({} rules), 1 thread, {hits} hits",
                engine.rules().len()
            ),
            events.len() as u64,
            secs,
        ));
    }
    drop(events);
    for (stage, n, secs) in stages {
        println!(
            "{:<44} {:>12.0} {:>10.1} {:>9.1}x",
            stage,
            n as f64 / secs,
            mb / secs,
            secs / limit
        );
    }
    for stage in ["analytics", "phi scan", "ioc", "scope"] {
        println!("{stage:<44} {:>12}", "not built yet");
    }
    Ok(())
}
