//! `phiwatch-bench`: end-to-end throughput of ingestion, with the ratio to
//! a limit measured in the same process (reading the same bytes and
//! counting lines with memchr).
//!
//! Corpora: Zeek conn TSV and JSON, a pgAudit stderr log, FHIR AuditEvent
//! NDJSON (all generated, deterministic) and the bundled EVTX files.
//!
//! Usage: `phiwatch-bench [RECORDS] [RUNS]` (defaults 1,000,000 and 5).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use phiwatch_bench::{fhir_audit_ndjson, pgaudit_log, zeek_conn_json, zeek_conn_tsv};
use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Origin;
use phiwatch_ingest::{CollectSink, Ingest, IngestConfig, InputSpec, Order};

/// mimalloc: events are built on decoding threads and freed on the consuming
/// thread; glibc's allocator made that cross-thread free the bottleneck
/// (see ARCHITECTURE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median seconds of `runs` runs of `f`, which returns a count to check.
fn time<F: FnMut() -> u64>(runs: usize, expect: u64, mut f: F) -> anyhow::Result<f64> {
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let n = f();
        secs.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(n == expect, "expected {expect} records, got {n}");
    }
    Ok(median(secs))
}

fn read_and_count(path: &Path) -> u64 {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(_) => return 0,
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    while let Ok(k) = f.read(&mut buf) {
        if k == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64;
    }
    n
}

fn decode_only(bytes: &[u8], format: Format) -> u64 {
    let Ok(mut dec) = format.decoder(&DecoderConfig::default()) else {
        return 0;
    };
    let mut n = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if let Ok(Some(ev)) = dec.decode(line, Origin::default()) {
            n += u64::from(!ev.is_empty());
        }
    }
    if let Some(Ok(ev)) = dec.finish() {
        n += u64::from(!ev.is_empty());
    }
    n
}

fn ingest(paths: &[&Path], order: Order, threads: usize) -> u64 {
    let cfg = IngestConfig {
        order,
        threads,
        ..IngestConfig::default()
    };
    let sink = Arc::new(CollectSink::default());
    let inputs = paths
        .iter()
        .map(|p| InputSpec::File(p.to_path_buf()))
        .collect();
    let mut run = Ingest::start(inputs, vec![], cfg, sink);
    let n = run.by_ref().count() as u64;
    run.finish();
    n
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let lines: usize = args
        .next()
        .map_or(Ok(1_000_000), |s| s.parse())
        .context("LINES")?;
    let runs: usize = args.next().map_or(Ok(5), |s| s.parse()).context("RUNS")?;
    let dir = std::env::temp_dir().join(format!("phiwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("phiwatch-bench: {lines} records per corpus, median of {runs} runs, 1 decode thread unless noted");
    println!(
        "{:<40} {:>12} {:>10} {:>10}",
        "stage", "records/s", "MB/s", "vs limit"
    );
    let pg_records = lines as u64 + 2 * (lines as u64).div_ceil(50);
    for (name, text, format, records, two_files) in [
        (
            "zeek tsv",
            zeek_conn_tsv(lines, 7),
            Format::ZeekTsv,
            lines as u64,
            true,
        ),
        (
            "zeek json",
            zeek_conn_json(lines, 7),
            Format::ZeekJson,
            lines as u64,
            true,
        ),
        (
            "pgaudit",
            pgaudit_log(lines, 7),
            Format::PostgresLog,
            pg_records,
            false,
        ),
        (
            "fhir ndjson",
            fhir_audit_ndjson(lines, 7),
            Format::FhirAudit,
            lines as u64,
            false,
        ),
    ] {
        suite(&dir, name, &text, format, records, runs, two_files)?;
    }
    evtx_suite(runs)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Times one corpus: the limit (reading the file and counting lines), the
/// decoder alone, and the whole pipeline.
fn suite(
    dir: &Path,
    name: &str,
    text: &str,
    format: Format,
    records: u64,
    runs: usize,
    two_files: bool,
) -> anyhow::Result<()> {
    let file = name.replace(' ', "-");
    let path = dir.join(&file);
    std::fs::write(&path, text)?;
    let copy = dir.join(format!("{file}.2"));
    std::fs::write(&copy, text)?;
    let total_lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64;
    let mb = text.len() as f64 / 1e6;
    let limit = time(runs, total_lines, || read_and_count(&path))?;
    let decode = time(runs, records, || decode_only(text.as_bytes(), format))?;
    let arrival = time(runs, records, || ingest(&[&path], Order::Arrival, 1))?;
    let ordered = time(runs, records, || ingest(&[&path], Order::Time, 1))?;
    let mut stages = vec![
        (format!("{name}: read + memchr (limit)"), limit),
        (format!("{name}: decode only (in memory)"), decode),
        (format!("{name}: ingest file, arrival order"), arrival),
        (format!("{name}: ingest file, time order"), ordered),
    ];
    if two_files {
        // Two files on two worker threads: per-second figures count both.
        let two = time(runs, 2 * records, || {
            ingest(&[&path, &copy], Order::Arrival, 2)
        })? / 2.0;
        let two_ordered = time(runs, 2 * records, || {
            ingest(&[&path, &copy], Order::Time, 2)
        })? / 2.0;
        stages.push((format!("{name}: 2 files, 2 threads, arrival"), two));
        stages.push((
            format!("{name}: 2 files, 2 threads, time order"),
            two_ordered,
        ));
    }
    for (stage, secs) in stages {
        println!(
            "{:<40} {:>12.0} {:>10.1} {:>9.1}x",
            stage,
            records as f64 / secs,
            mb / secs,
            secs / limit
        );
    }
    Ok(())
}

/// EVTX: the SigmaHQ regression files bundled for the tests (real EVTX,
/// mostly one or two events in a 68 KiB file), read through the pipeline,
/// against reading their bytes.
fn evtx_suite(runs: usize) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/data/evtx");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                files.push(p);
            }
        }
    }
    files.sort();
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let events = ingest(&paths, Order::Arrival, 1);
    let limit = time(runs, bytes, || {
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| b.len() as u64)
            .sum()
    })?;
    let secs = time(runs, events, || ingest(&paths, Order::Arrival, 1))?;
    let mb = bytes as f64 / 1e6;
    for (stage, t) in [
        (
            format!("evtx ({} files): read bytes (limit)", files.len()),
            limit,
        ),
        ("evtx: ingest, arrival order".to_string(), secs),
    ] {
        println!(
            "{:<40} {:>12.0} {:>10.1} {:>9.1}x",
            stage,
            events as f64 / t,
            mb / t,
            t / limit
        );
    }
    Ok(())
}
