//! Windows events: the 202 EVTX files of the Sigma regression corpus
//! (tests/data/evtx/) ingested in one run (open, parse with the `evtx`
//! crate, render to JSON, decode, count), against reading the same bytes;
//! the same events from their JSON twins; and the decoder alone on the
//! twins' records.
#![allow(missing_docs)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Origin;
use phiwatch_ingest::{CollectSink, Ingest, IngestConfig, InputSpec, Order};

fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with_ext(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

fn ingest(files: &[PathBuf]) -> usize {
    let cfg = IngestConfig {
        order: Order::Arrival,
        threads: 1,
        ..IngestConfig::default()
    };
    let inputs = files.iter().cloned().map(InputSpec::File).collect();
    let sink = Arc::new(CollectSink::default());
    let mut run = Ingest::start(inputs, vec![], cfg, sink);
    let n = run.by_ref().count();
    run.finish();
    n
}

fn read_all(files: &[PathBuf]) -> usize {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    for p in files {
        let mut f = std::fs::File::open(p).expect("open");
        while let Ok(k) = f.read(&mut buf) {
            if k == 0 {
                break;
            }
            total += k;
        }
    }
    total
}

/// The records of the JSON twins (concatenated documents), compact or
/// indented (as the ingest layer's `evtx` settings render EVTX records).
fn twin_records(files: &[PathBuf], pretty: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in files {
        let text = std::fs::read_to_string(p).expect("read twin");
        for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
            let doc = doc.expect("twin JSON");
            let bytes = if pretty {
                serde_json::to_vec_pretty(&doc)
            } else {
                serde_json::to_vec(&doc)
            };
            out.push(bytes.expect("render"));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evtx");
    let (mut evtx, mut json) = (Vec::new(), Vec::new());
    files_with_ext(&dir, "evtx", &mut evtx);
    files_with_ext(&dir, "json", &mut json);
    let events = ingest(&evtx);
    assert!(events > 0, "the EVTX corpus is missing");

    let mut g = c.benchmark_group("ingest_evtx_corpus");
    g.throughput(Throughput::Elements(events as u64));
    g.sample_size(10);
    g.bench_function("limit_read_bytes", |b| b.iter(|| read_all(&evtx)));
    g.bench_function("evtx_arrival_1_thread", |b| b.iter(|| ingest(&evtx)));
    g.bench_function("json_twins_arrival_1_thread", |b| b.iter(|| ingest(&json)));
    g.finish();

    let mut g = c.benchmark_group("decode_windows_json");
    for (name, pretty) in [
        ("decoder_only_compact", false),
        ("decoder_only_indented", true),
    ] {
        let records = twin_records(&json, pretty);
        g.throughput(Throughput::Elements(records.len() as u64));
        g.bench_function(name, |b| {
            let mut dec = Format::Windows
                .decoder(&DecoderConfig::default())
                .expect("decoder");
            b.iter(|| {
                records
                    .iter()
                    .filter(|r| matches!(dec.decode(r, Origin::default()), Ok(Some(_))))
                    .count()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
