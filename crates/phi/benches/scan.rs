//! Scanner throughput on ~8 MB of synthetic log text
//! ([`phiwatch_phi::corpus::mixed_logs`]: access lines with an IP in each
//! and identifiers in some query strings, JSON lines with some SSN/NPI/phone
//! values, free-text notes), every detector on, against a `memchr` count of
//! newlines over the same bytes as the limit; and the same text scanned as
//! `phiwatch scan` does (`scan_document`, line by line with query strings).
//!
//! `cargo bench -p phiwatch-phi --bench scan`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_phi::corpus::mixed_logs;
use phiwatch_phi::{scan_document, Layout, ScanConfig, Scanner};

fn bench(c: &mut Criterion) {
    let text = mixed_logs(0x9E37_79B9_7F4A_7C15, 8 << 20);
    let scanner = Scanner::new(ScanConfig::default());
    let mut out = Vec::new();
    scanner.scan(&text, None, &mut out);
    eprintln!("corpus {} bytes, {} findings", text.len(), out.len());
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("memchr_newlines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', text.as_bytes()).count())
    });
    g.bench_function("scan_all_types", |b| {
        b.iter(|| {
            out.clear();
            scanner.scan(&text, None, &mut out);
            out.len()
        })
    });
    let mut found = Vec::new();
    g.bench_function("scan_document_text", |b| {
        b.iter(|| {
            found.clear();
            scan_document(&scanner, text.as_bytes(), Layout::Text, &mut found);
            found.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
