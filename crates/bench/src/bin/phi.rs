//! PHI scanner throughput: `Scanner::scan` over generated log text
//! (`phiwatch_phi::corpus::mixed_logs`, or a file), every detector on, and
//! `scan_document` over the same bytes as `phiwatch scan` reads text (line
//! by line, query strings per parameter), each against a `memchr` newline
//! count over the same bytes in the same process (the limit). Medians of
//! RUNS.
//!
//! Usage: phiwatch-phi-bench [MB] [RUNS] [FILE]

use std::time::Instant;

use phiwatch_phi::corpus::mixed_logs;
use phiwatch_phi::{scan_document, Layout, ScanConfig, Scanner};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The median wall time of `runs` calls of `f` (seconds) and its last result.
fn median(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut n = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        n = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], n)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mb: usize = args.first().map_or(Ok(64), |s| s.parse())?;
    let runs: usize = args.get(1).map_or(Ok(5), |s| s.parse())?;
    let (what, text) = match args.get(2) {
        Some(path) => (
            path.clone(),
            String::from_utf8_lossy(&std::fs::read(path)?).into_owned(),
        ),
        None => (
            "generated mixed log text".to_string(),
            mixed_logs(0x9E37_79B9_7F4A_7C15, mb << 20),
        ),
    };
    let bytes = text.len() as f64;
    let scanner = Scanner::new(ScanConfig::default());
    let (limit, lines) = median(runs, || memchr::memchr_iter(b'\n', text.as_bytes()).count());
    let mut out = Vec::new();
    let (scan, matches) = median(runs, || {
        out.clear();
        scanner.scan(&text, None, &mut out);
        out.len()
    });
    let mut found = Vec::new();
    let (doc, findings) = median(runs, || {
        found.clear();
        scan_document(&scanner, text.as_bytes(), Layout::Text, &mut found);
        found.len()
    });
    let mbps = |s: f64| bytes / 1e6 / s.max(1e-9);
    println!(
        "corpus: {what}, {} bytes, {lines} lines (median of {runs})",
        text.len()
    );
    println!(
        "{:<44} {:>10} {:>12} {:>10}",
        "stage", "findings", "MB/s", "vs limit"
    );
    println!(
        "{:<44} {:>10} {:>12.1} {:>9.1}x",
        "limit: memchr newline count",
        "-",
        mbps(limit),
        1.0
    );
    for (name, n, s) in [
        ("Scanner::scan, all types (one text)", matches, scan),
        ("scan_document, text layout (per line)", findings, doc),
    ] {
        println!(
            "{name:<44} {n:>10} {:>12.1} {:>9.1}x",
            mbps(s),
            s / limit.max(1e-9)
        );
    }
    Ok(())
}
