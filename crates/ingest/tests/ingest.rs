//! End-to-end ingestion: real files on disk through detection, framing,
//! decoding, counting and the merge. Bad input must never stop the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiwatch_event::{keys, Event};
use phiwatch_ingest::{
    resolve_inputs, CollectSink, Diagnostic, Ingest, IngestConfig, Order, Report,
};

const ZEEK_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\n";

fn conn_line(ts: f64, i: usize) -> String {
    format!(
        "{ts:.6}\tC{i}\t10.0.0.{}\t{}\t192.0.2.7\t443\ttcp\t{}\n",
        i % 250 + 1,
        40000 + i % 20000,
        i * 10
    )
}

fn zeek_conn(times: &[f64]) -> String {
    let mut s = ZEEK_HEADER.to_string();
    for (i, t) in times.iter().enumerate() {
        s.push_str(&conn_line(*t, i));
    }
    s
}

fn vpc_line(start: u64, port: &str) -> String {
    format!("2 123456789010 eni-1235b8ca123456789 10.0.0.5 198.51.100.9 49152 {port} 6 20 4249 {start} {} ACCEPT OK\n", start + 60)
}

struct Run {
    events: Vec<Event>,
    report: Report,
    diags: Vec<Diagnostic>,
}

fn run(paths: &[PathBuf], cfg: IngestConfig) -> Run {
    let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let inputs = resolve_inputs(&args);
    let sink = Arc::new(CollectSink::default());
    let mut ingest = Ingest::start(inputs.inputs, inputs.errors, cfg, sink.clone());
    let events: Vec<Event> = ingest.by_ref().collect();
    let report = ingest.finish();
    let t = report.totals();
    assert_eq!(
        t.records,
        t.accepted + t.rejected,
        "read = accepted + rejected"
    );
    assert_eq!(
        events.len() as u64,
        t.emitted(),
        "every accepted event in range is emitted"
    );
    Run {
        events,
        report,
        diags: sink.take(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn compression_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = zeek_conn(&[1.0, 2.0, 3.0]);
    let gz = write(dir.path(), "conn.log", &gzip(text.as_bytes()));
    let zst = write(
        dir.path(),
        "conn.gz",
        &zstd::encode_all(text.as_bytes(), 3).unwrap(),
    );
    let r = run(&[gz, zst], IngestConfig::default());
    assert_eq!(r.events.len(), 6);
    let comp: Vec<&str> = r
        .report
        .sources
        .iter()
        .map(|(_, s)| s.compression.name())
        .collect();
    assert_eq!(comp, ["gzip", "zstd"]);
    assert!(r.diags.is_empty(), "{:?}", r.diags);
}

#[test]
fn truncated_gzip_keeps_what_was_read_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let times: Vec<f64> = (0..5000).map(|i| 1.0e9 + i as f64).collect();
    let gz = gzip(zeek_conn(&times).as_bytes());
    let cut = write(dir.path(), "cut.log.gz", &gz[..gz.len() / 2]);
    let good = write(dir.path(), "good.log", zeek_conn(&[5.0e8]).as_bytes());
    let r = run(&[cut, good], IngestConfig::default());
    let (_, cut_stats) = &r.report.sources[0];
    assert!(
        cut_stats.accepted > 100 && cut_stats.accepted < 5000,
        "{cut_stats:?}"
    );
    let err = cut_stats.error.as_deref().unwrap();
    assert!(err.contains("unexpected end"), "{err}");
    assert_eq!(
        r.report.sources[1].1.accepted, 1,
        "the other source still flows"
    );
    assert!(r
        .diags
        .iter()
        .any(|d| d.path.ends_with("cut.log.gz") && d.line == 0));
}

#[test]
fn bad_records_are_counted_reported_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..100u64 {
        text.push_str(&vpc_line(
            1_600_000_000 + i,
            if i % 4 == 0 { "x" } else { "22" },
        ));
    }
    text.push_str("2 123456789010 too few columns\n");
    let p = write(dir.path(), "flows.log", text.as_bytes());
    let cfg = IngestConfig {
        diagnostics_per_source: 5,
        ..IngestConfig::default()
    };
    let r = run(&[p], cfg);
    let s = &r.report.sources[0].1;
    assert_eq!((s.records, s.accepted, s.rejected), (101, 75, 26));
    assert_eq!(r.diags.len(), 5);
    assert_eq!(s.suppressed, 21);
    assert_eq!(r.diags[0].line, 1);
    assert!(
        r.diags[0].to_string().contains("flows.log:1: "),
        "{}",
        r.diags[0]
    );
    assert_eq!(s.rejected_by_kind.values().sum::<u64>(), 26);
}

#[test]
fn a_fifty_megabyte_line_is_skipped_without_loading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.json");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(
        f,
        r#"{{"@timestamp":"2024-01-01T00:00:00Z","message":"before"}}"#
    )
    .unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    f.write_all(br#"{"@timestamp":"2024-01-01T00:00:01Z","message":""#)
        .unwrap();
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"}\n").unwrap();
    writeln!(
        f,
        r#"{{"@timestamp":"2024-01-01T00:00:02Z","message":"after"}}"#
    )
    .unwrap();
    drop(f);
    let r = run(&[p], IngestConfig::default());
    let s = &r.report.sources[0].1;
    assert_eq!((s.records, s.accepted, s.rejected), (3, 2, 1));
    assert_eq!(r.diags.len(), 1);
    assert_eq!(r.diags[0].line, 2);
    assert!(r.diags[0].reason.contains("exceeds"), "{}", r.diags[0]);
    let msgs: Vec<String> = r
        .events
        .iter()
        .map(|e| e.get(keys::MESSAGE).unwrap().to_string())
        .collect();
    assert_eq!(msgs, ["before", "after"]);
}

#[test]
fn junk_empty_and_unreadable_inputs_do_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "junk.bin",
        &[0u8, 1, 2, 0xff, 0xfe, 0, 0, 7, 200, 13, 10, 0],
    );
    write(d, "empty.log", b"");
    write(d, "conn.log", zeek_conn(&[10.0, 11.0]).as_bytes());
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("gone"), d.join("dangling.log")).unwrap();
    let r = run(&[d.to_path_buf()], IngestConfig::default());
    assert_eq!(r.events.len(), 2);
    assert_eq!(
        r.report.input_errors.len(),
        1,
        "{:?}",
        r.report.input_errors
    );
    assert!(r.report.input_errors[0].contains("dangling.log"));
    let by_name = |n: &str| {
        &r.report
            .sources
            .iter()
            .find(|(i, _)| i.path.ends_with(n))
            .unwrap()
            .1
    };
    assert!(
        by_name("junk.bin").error.is_none(),
        "found in a directory: skipped"
    );
    assert_eq!(
        by_name("junk.bin").skipped.as_deref(),
        Some("not a recognized log format")
    );
    assert_eq!(by_name("empty.log").records, 0);
    assert!(
        by_name("empty.log").error.is_none(),
        "an empty file is not an error"
    );
    assert_eq!(r.report.failed_sources(), 0);
    assert_eq!(r.report.skipped_sources(), 1);
    // Named explicitly, the same junk is a failure with a reason.
    let r = run(&[d.join("junk.bin")], IngestConfig::default());
    assert!(r.report.sources[0]
        .1
        .error
        .as_deref()
        .unwrap()
        .contains("binary data"));
    assert_eq!(r.report.failed_sources(), 1);
}

#[test]
fn invalid_utf8_is_kept_visible() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = ZEEK_HEADER
        .replace("orig_bytes", "service")
        .replace("\tcount\n", "\tstring\n")
        .into_bytes();
    text.extend_from_slice(b"1.0\tC1\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tab\xffcd\n");
    let p = write(dir.path(), "conn.log", &text);
    let r = run(&[p], IngestConfig::default());
    assert_eq!(r.events.len(), 1);
    assert_eq!(
        r.events[0].get_raw("service").unwrap().as_str(),
        Some("ab\\xffcd")
    );
}

#[test]
fn sources_are_merged_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<f64> = (0..3000).map(|i| 1000.0 + 2.0 * i as f64).collect();
    let b: Vec<f64> = (0..3000).map(|i| 1001.0 + 2.0 * i as f64).collect();
    // A third source that starts much later, and a slightly shuffled one.
    let c: Vec<f64> = (0..10).map(|i| 900_000.0 + i as f64).collect();
    let mut d: Vec<f64> = (0..1000).map(|i| 5000.5 + i as f64).collect();
    d.swap(10, 20);
    d.swap(500, 501);
    let paths = [
        write(dir.path(), "a.log", zeek_conn(&a).as_bytes()),
        write(dir.path(), "b.log", &gzip(zeek_conn(&b).as_bytes())),
        write(dir.path(), "c.log", zeek_conn(&c).as_bytes()),
        write(dir.path(), "d.log", zeek_conn(&d).as_bytes()),
    ];
    let r = run(&paths, IngestConfig::default());
    assert_eq!(r.events.len(), 7010);
    assert!(
        r.events.windows(2).all(|w| w[0].time() <= w[1].time()),
        "not time-ordered"
    );
    assert_eq!(r.report.out_of_order, 0);
    assert_eq!(r.report.totals().late, 0);
    // Arrival order: same events, any order.
    let cfg = IngestConfig {
        order: Order::Arrival,
        ..IngestConfig::default()
    };
    let r2 = run(&paths, cfg);
    assert_eq!(r2.events.len(), 7010);
}

#[test]
fn late_events_beyond_the_window_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut t: Vec<f64> = (0..100).map(|i| 100.0 + i as f64).collect();
    t.push(50.0);
    let p = write(dir.path(), "late.log", zeek_conn(&t).as_bytes());
    let cfg = IngestConfig {
        reorder_window: 8,
        ..IngestConfig::default()
    };
    let r = run(std::slice::from_ref(&p), cfg);
    assert_eq!(r.report.totals().late, 1);
    assert_eq!(r.report.out_of_order, 1);
    let r = run(&[p], IngestConfig::default());
    assert_eq!(r.report.totals().late, 0, "a wide window sorts it");
    assert_eq!(r.events[0].time().as_secs(), 50);
}

#[test]
fn time_filter_counts_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let t: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
    let p = write(dir.path(), "conn.log", zeek_conn(&t).as_bytes());
    let cfg = IngestConfig {
        from: phiwatch_event::Timestamp::from_secs(103),
        to: phiwatch_event::Timestamp::from_secs(105),
        ..IngestConfig::default()
    };
    let r = run(&[p], cfg);
    assert_eq!(r.events.len(), 3);
    assert_eq!(r.report.totals().filtered, 7);
}

#[test]
fn cloudtrail_records_envelope_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let doc = r#"{
  "Records": [
    {"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4"},
    {"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1"},
    {"eventVersion":"1.08","eventTime":"2024-05-01T09:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4"}
  ]
}"#;
    let p = write(dir.path(), "ct.json.gz", &gzip(doc.as_bytes()));
    let r = run(&[p], IngestConfig::default());
    let s = &r.report.sources[0].1;
    assert_eq!((s.records, s.accepted, s.rejected), (3, 2, 1));
    assert_eq!(r.diags[0].line, 4, "diagnostic points at the record's line");
    assert_eq!(
        r.events[0].get(keys::EVENT_ACTION).unwrap().as_str(),
        Some("ListUsers")
    );
}

#[test]
fn a_one_line_json_document_is_capped_by_the_document_limit_not_the_line_limit() {
    let dir = tempfile::tempdir().unwrap();
    let record = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4"}"#;
    let doc = format!("{{\"Records\":[{}]}}", vec![record; 50].join(","));
    let p = write(dir.path(), "ct.json", doc.as_bytes());
    let cfg = IngestConfig {
        max_record_bytes: 1000,
        ..IngestConfig::default()
    };
    let r = run(std::slice::from_ref(&p), cfg);
    assert_eq!(r.events.len(), 50, "{:?}", r.diags);
    let cfg = IngestConfig {
        max_document_bytes: 1000,
        ..IngestConfig::default()
    };
    let r = run(&[p], cfg);
    assert!(r.events.is_empty());
    let err = r.report.sources[0].1.error.as_deref().unwrap();
    assert!(err.contains("larger than the 1000 byte limit"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_files_never_panic_and_totals_add_up(
        files in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..2000), 1..4),
        prefix in proptest::sample::select(vec!["", "#separator \\x09\n#fields\tts\tuid\n", "{\"ts\":1,", "2 1 eni-1 "]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut b = prefix.as_bytes().to_vec();
                b.extend_from_slice(f);
                write(dir.path(), &format!("f{i}"), &b)
            })
            .collect();
        run(&paths, IngestConfig::default());
    }
}

#[test]
fn many_overlapping_sources_on_few_workers_stay_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = (0..40)
        .map(|s| {
            let t: Vec<f64> = (0..500).map(|i| 10_000.0 + (i * 40 + s) as f64).collect();
            write(
                dir.path(),
                &format!("s{s:02}.log"),
                zeek_conn(&t).as_bytes(),
            )
        })
        .collect();
    let cfg = IngestConfig {
        threads: 2,
        batch_size: 16,
        reorder_window: 8,
        ..IngestConfig::default()
    };
    let r = run(&paths, cfg);
    assert_eq!(r.events.len(), 40 * 500);
    assert!(
        r.events.windows(2).all(|w| w[0].time() < w[1].time()),
        "strictly increasing by construction"
    );
    assert!(r
        .report
        .sources
        .iter()
        .all(|(_, s)| s.accepted == 500 && s.error.is_none()));
}

#[test]
fn stopping_early_returns_promptly_with_partial_totals() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = (0..5)
        .map(|s| {
            let t: Vec<f64> = (0..5000).map(|i| (i * 5 + s) as f64).collect();
            write(dir.path(), &format!("s{s}.log"), zeek_conn(&t).as_bytes())
        })
        .collect();
    for order in [Order::Time, Order::Arrival] {
        let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let inputs = resolve_inputs(&args);
        let cfg = IngestConfig {
            order,
            ..IngestConfig::default()
        };
        let mut ingest = Ingest::start(
            inputs.inputs,
            inputs.errors,
            cfg,
            Arc::new(CollectSink::default()),
        );
        let first: Vec<Event> = ingest.by_ref().take(10).collect();
        assert_eq!(first.len(), 10);
        let report = ingest.finish();
        assert_eq!(report.sources.len(), 5);
        // Dropping without finish must not hang either.
        let inputs = resolve_inputs(&args);
        let mut again = Ingest::start(
            inputs.inputs,
            inputs.errors,
            IngestConfig::default(),
            Arc::new(CollectSink::default()),
        );
        assert!(again.next().is_some());
        drop(again);
    }
}
