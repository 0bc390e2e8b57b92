//! `phiwatch-bench`: end-to-end throughput of ingestion, with the ratio to
//! a limit measured in the same process (reading the same bytes and
//! counting lines with memchr).
//!
//! Corpora: Zeek conn TSV and JSON, a pgAudit stderr log, FHIR AuditEvent
//! NDJSON (all generated, deterministic) and the bundled EVTX files.
//!
//! Usage: `phiwatch-bench [RECORDS] [RUNS]` (defaults 1,000,000 and 5).

use std::path::Path;

use anyhow::Context;
use phiwatch_bench::measure::{files_under, ingest, read_and_count, time};
use phiwatch_bench::{fhir_audit_ndjson, pgaudit_log, zeek_conn_json, zeek_conn_tsv};
use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Origin;
use phiwatch_ingest::Order;

/// mimalloc: events are built on decoding threads and freed on the consuming
/// thread; glibc's allocator made that cross-thread free the bottleneck
/// (see ARCHITECTURE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // The second file exists only for the two-file stages.
    let copy = dir.join(format!("{file}.2"));
    if two_files {
        std::fs::write(&copy, text)?;
    }
    let total_lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64;
    let mb = text.len() as f64 / 1e6;
    let limit = time(runs, total_lines, || read_and_count(&[&path]))?;
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
    let mut files = files_under(&root)?;
    files.retain(|p| p.extension().is_some_and(|x| x == "evtx"));
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let events = ingest(&files, Order::Arrival, 1);
    let limit = time(runs, bytes, || {
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| b.len() as u64)
            .sum()
    })?;
    let secs = time(runs, events, || ingest(&files, Order::Arrival, 1))?;
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
