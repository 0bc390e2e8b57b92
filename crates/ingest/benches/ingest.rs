//! Whole-pipeline ingestion of a Zeek conn file (open, frame, decode, count)
//! against reading the same file and counting lines with memchr.
#![allow(missing_docs)]

use std::io::Read;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_ingest::{CollectSink, Ingest, IngestConfig, InputSpec, Order};

const LINES: usize = 50_000;

fn corpus() -> String {
    let mut s = String::from("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\n");
    for i in 0..LINES {
        s.push_str(&format!(
            "{}.{:06}\tC{:016x}\t10.{}.{}.{}\t{}\t203.0.113.{}\t443\ttcp\tssl\t{}.{:06}\t{}\t{}\tSF\tShADadFf\t{}\t{}\n",
            1_700_000_000 + i / 10, i % 1_000_000, i * 2_654_435_761, i % 4, i % 256, i % 253 + 1,
            1024 + i % 60000, i % 254 + 1, i % 30, i % 999_999, i * 37 % 100_000, i * 91 % 2_000_000,
            i % 500, i % 2000
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("phiwatch-ingest-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("conn.log");
    std::fs::write(&path, corpus()).expect("write corpus");
    let mut g = c.benchmark_group("ingest_zeek_conn_tsv");
    g.throughput(Throughput::Elements(LINES as u64));
    g.sample_size(10);
    g.bench_function("limit_read_memchr", |b| {
        b.iter(|| {
            let mut f = std::fs::File::open(&path).expect("open");
            let mut buf = vec![0u8; 256 * 1024];
            let mut n = 0;
            while let Ok(k) = f.read(&mut buf) {
                if k == 0 {
                    break;
                }
                n += memchr::memchr_iter(b'\n', &buf[..k]).count();
            }
            n
        })
    });
    for (name, order) in [
        ("arrival_1_thread", Order::Arrival),
        ("time_ordered", Order::Time),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let cfg = IngestConfig {
                    order,
                    threads: 1,
                    ..IngestConfig::default()
                };
                let sink = Arc::new(CollectSink::default());
                let mut run = Ingest::start(vec![InputSpec::File(path.clone())], vec![], cfg, sink);
                let n = run.by_ref().count();
                run.finish();
                n
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
