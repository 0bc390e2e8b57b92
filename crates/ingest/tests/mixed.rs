//! A mixed directory of every format, under misleading names and with
//! mixed compression: each file must be recognized by its content alone,
//! and give the events its own decoder's tests expect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use phiwatch_decode::Format;
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig};

/// (fixture under crates/, misleading name, compression, format, accepted, rejected)
const CASES: &[(&str, &str, &str, Format, u64, u64)] = &[
    ("decode/tests/data/zeek/zeek-cut-logs/conn.log", "access.json", "", Format::ZeekTsv, 5, 0),
    ("decode/tests/data/zeek/otrf/combined_zeek.head600.log", "auth.log", "gz", Format::ZeekJson, 600, 0),
    ("decode/tests/data/suricata/eve.json", "conn.log", "zst", Format::SuricataEve, 17, 0),
    ("decode/tests/data/cloudtrail/otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json", "syslog.txt", "", Format::CloudTrail, 103, 0),
    ("decode/tests/data/vpcflow/panther/scenario-compromised-root-creds.vpcflow.log", "eve.json", "gz", Format::VpcFlow, 6, 0),
    ("decode/tests/data/postgres/synthetic/debian-session.log", "flows.log", "", Format::PostgresLog, 17, 0),
    ("decode/tests/data/postgres/synthetic/session.csv", "okta.json", "", Format::PostgresCsv, 8, 0),
    ("decode/tests/data/mysql/enterprise.json", "postgresql.log", "", Format::MysqlAudit, 17, 0),
    ("decode/tests/data/mssql/audit-array.json", "fhir.ndjson", "zst", Format::MssqlAudit, 4, 0),
    ("decode/tests/data/fhir/audit-bundle.json", "mssql.csv", "", Format::FhirAudit, 19, 0),
    ("decode/tests/data/access/combined.log", "windows.evtx", "", Format::AccessLog, 12, 0),
    ("decode/tests/data/access/nginx.ndjson", "cloudtrail.json", "", Format::AccessJson, 5, 0),
    ("decode/tests/data/okta/okta-add-administrator.legit_login.ndjson", "entra.json", "gz", Format::Okta, 5, 0),
    ("decode/tests/data/entra/graph-signins.ndjson", "nginx.log", "", Format::EntraSignIn, 6, 0),
    ("decode/tests/data/authlog/auth.log", "zeek.log", "", Format::AuthLog, 40, 0),
    ("decode/tests/data/syslog/cef.log", "app.json", "", Format::Syslog, 7, 0),
    ("decode/tests/data/windows/security.jsonl", "secure", "", Format::Windows, 4, 0),
    (
        "ingest/tests/data/evtx/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load/8a2f4b1c-3d5e-4f7a-9b2c-1e4f6d8a9c2b.evtx",
        "report.csv",
        "gz",
        Format::Windows,
        1,
        0,
    ),
    ("decode/tests/data/jsonl/ecs.ndjson", "vpc.log", "", Format::JsonLines, 9, 5),
];

fn compress(bytes: &[u8], how: &str) -> Vec<u8> {
    match how {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(bytes, 3).unwrap(),
        _ => bytes.to_vec(),
    }
}

#[test]
fn every_format_is_recognized_by_content_under_a_misleading_name() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    for (i, (fixture, name, how, ..)) in CASES.iter().enumerate() {
        let bytes =
            std::fs::read(crates.join(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let sub = dir.path().join(format!("{i:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(name), compress(&bytes, how)).unwrap();
    }
    let inputs = resolve_inputs(&[dir.path().display().to_string()]);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let mut cfg = IngestConfig::default();
    // auth.log and BSD syslog lines carry no year.
    cfg.decoder.year = Some(2024);
    let sink = Arc::new(CollectSink::default());
    let mut run = Ingest::start(inputs.inputs, inputs.errors, cfg, sink);
    let events = run.by_ref().count() as u64;
    let report = run.finish();
    assert_eq!(report.sources.len(), CASES.len());
    for ((info, stats), (fixture, name, how, format, accepted, rejected)) in
        report.sources.iter().zip(CASES)
    {
        assert!(info.path.ends_with(name), "{} vs {name}", info.path);
        assert_eq!(
            stats.format,
            Some(*format),
            "{fixture} as {name} ({how}): {stats:?}"
        );
        assert_eq!(
            (stats.accepted, stats.rejected),
            (*accepted, *rejected),
            "{fixture} as {name} ({how}): {:?}",
            stats.rejected_by_kind
        );
        assert!(
            stats.error.is_none() && stats.skipped.is_none(),
            "{fixture}: {stats:?}"
        );
    }
    let expected: u64 = CASES.iter().map(|c| c.4).sum();
    assert_eq!(events, expected);
    assert_eq!(report.out_of_order, 0);
}
