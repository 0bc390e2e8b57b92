//! `phiwatch scan` as users run it: findings with exact offsets in every
//! layout, compressed input, directories, redaction, summaries, exit codes.
//! All identifiers here are synthetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{phiwatch, text};
use serde_json::Value;

const SSN: &str = "219-45-6781";
const CARD: &str = "4111 1111 1111 1111";
const CSV: &str = "id,ssn,card\r\n1,219-45-6781,\"4111 1111 1111 1111\"\r\n2,none,x\r\n";

fn jsonl(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `scan --types US_SSN,CREDIT_CARD ARGS…` (the other detectors are not
/// under test here), asserting exit 0; the findings.
fn scan(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["scan", "--types", "US_SSN,CREDIT_CARD"];
    all.extend_from_slice(args);
    let out = phiwatch(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    jsonl(&out)
}

/// (type, start, end, line, key) of each finding.
fn spans(found: &[Value]) -> Vec<(String, u64, u64, u64, Option<String>)> {
    found
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_string(),
                f["start"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
                f["line"].as_u64().unwrap(),
                f["key"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn at(doc: &str, needle: &str) -> (u64, u64) {
    let s = doc.find(needle).unwrap();
    (s as u64, (s + needle.len()) as u64)
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    path_str(&p).to_string()
}

#[test]
fn csv_findings_have_exact_offsets_keys_and_masked_text() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "export.csv", CSV.as_bytes());
    let found = scan(&[&f]);
    let (a, b) = at(CSV, SSN);
    let (c, d) = at(CSV, CARD);
    assert_eq!(
        spans(&found),
        vec![
            ("US_SSN".into(), a, b, 2, Some("ssn".into())),
            ("CREDIT_CARD".into(), c, d, 2, Some("card".into())),
        ]
    );
    assert_eq!(found[0]["path"], f.as_str());
    assert_eq!(found[0]["text"], "***-**-6781");
    assert_eq!(found[0]["safe_harbor"], "G SSN");
    assert_eq!(found[1]["text"], "**** **** **** 1111");
    assert_eq!(found[1]["safe_harbor"], "J ACCOUNT");
    let score = found[0]["score"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&score), "{score}");
    // The text as found only when asked for.
    let shown = scan(&["--show-text", &f]);
    assert_eq!(shown[0]["text"], SSN);
    assert_eq!(shown[1]["text"], CARD);
}

#[test]
fn query_strings_json_and_ndjson_map_to_the_original_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = "10.0.0.1 - - \"GET /chart?mrn=7&ssn=219%2D45%2D6781 HTTP/1.1\" 200\n";
    let f = write(dir.path(), "access.log", log.as_bytes());
    let (a, b) = at(log, "219%2D45%2D6781");
    assert_eq!(
        spans(&scan(&[&f])),
        vec![("US_SSN".into(), a, b, 1, Some("ssn".into()))]
    );

    let json =
        "{\"patient\": {\"identifier\": [{\"system\": \"ssn\", \"value\": \"219-45-6781\"}]}}";
    let f = write(dir.path(), "p.json", json.as_bytes());
    let (a, b) = at(json, SSN);
    let key = "patient.identifier[0].value";
    assert_eq!(
        spans(&scan(&[&f])),
        vec![("US_SSN".into(), a, b, 1, Some(key.into()))]
    );

    let nd = "{\"n\":1}\n{\"card\":\"4111 1111 1111 1111\"}\n";
    let f = write(dir.path(), "p.ndjson", nd.as_bytes());
    let (a, b) = at(nd, CARD);
    assert_eq!(
        spans(&scan(&[&f])),
        vec![("CREDIT_CARD".into(), a, b, 2, Some("card".into()))]
    );
    // Forced to text, the JSON line gives the same span without a key.
    assert_eq!(
        spans(&scan(&["--layout", "text", &f])),
        vec![("CREDIT_CARD".into(), a, b, 2, None)]
    );
}

#[test]
fn types_filter_and_table_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "export.csv", CSV.as_bytes());
    let out = phiwatch(&["scan", "--types", "credit_card", &f]);
    assert_eq!(out.status.code(), Some(0));
    let found = jsonl(&out);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["type"], "CREDIT_CARD");

    let out = phiwatch(&["scan", "--types", "US_SSN", "--format", "table", &f]);
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("PATH:LINE"));
    assert!(lines[1].contains("US_SSN") && lines[1].contains("***-**-6781"));
    assert!(lines[1].contains(&format!("{f}:2")));
    assert!(!table.contains(SSN));
}

#[test]
fn compressed_inputs_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(CSV.as_bytes()).unwrap();
    let gz = write(dir.path(), "logs/a.csv.gz", &gz.finish().unwrap());
    let zst = zstd::encode_all(CSV.as_bytes(), 3).unwrap();
    write(dir.path(), "logs/deep/b.csv.zst", &zst);
    write(dir.path(), "logs/deep/c.txt", b"nothing here\n");
    let plain = write(dir.path(), "plain.csv", CSV.as_bytes());

    let want = spans(&scan(&[&plain]));
    assert_eq!(
        spans(&scan(&[&gz])),
        want,
        "offsets in the decompressed stream"
    );
    let summary = dir.path().join("summary.txt");
    let logs = dir.path().join("logs");
    let found = scan(&[path_str(&logs), "--summary", path_str(&summary)]);
    assert_eq!(found.len(), 4);
    let s = std::fs::read_to_string(&summary).unwrap();
    assert!(
        s.contains("a.csv.gz: 2 findings (US_SSN 1, CREDIT_CARD 1)"),
        "{s}"
    );
    assert!(s.contains("c.txt: 0 findings"), "{s}");
    assert!(
        s.contains("total: 4 findings (US_SSN 2, CREDIT_CARD 2) in 3 file(s)"),
        "{s}"
    );
    let glob = format!("{}/**/*.zst", path_str(&logs));
    assert_eq!(scan(&[&glob]).len(), 2);
}

#[test]
fn standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phiwatch"))
        .args(["scan", "--types", "US_SSN", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"line one\nssn: 219-45-6781\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let found = jsonl(&out);
    assert_eq!(spans(&found), vec![("US_SSN".into(), 14, 25, 2, None)]);
    assert_eq!(found[0]["path"], "-");
    assert!(text(&out.stderr).contains("scan: -: 1 finding (US_SSN 1)"));
}

#[test]
fn redaction_modes_write_the_input_with_identifiers_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "export.csv", CSV.as_bytes());
    let run = |mode: &str, extra: &[&str]| {
        let mut args = vec!["scan", "--types", "US_SSN,CREDIT_CARD", "--redact", mode];
        args.extend_from_slice(extra);
        args.push(&f);
        let out = phiwatch(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(
        run("mask", &[]),
        "id,ssn,card\r\n1,***-**-6781,\"**** **** **** 1111\"\r\n2,none,x\r\n"
    );
    assert_eq!(
        run("redact", &[]),
        "id,ssn,card\r\n1,[REDACTED],\"[REDACTED]\"\r\n2,none,x\r\n"
    );
    assert_eq!(
        run("replace", &[]),
        "id,ssn,card\r\n1,<US_SSN>,\"<CREDIT_CARD>\"\r\n2,none,x\r\n"
    );
    let h1 = run("hash", &["--hash-key", "k1"]);
    let h2 = run("hash", &["--hash-key", "k2"]);
    assert!(
        h1.starts_with("id,ssn,card\r\n1,<US_SSN:") && !h1.contains("6781"),
        "{h1}"
    );
    assert_ne!(h1, h2);
    assert_eq!(
        h1,
        run("hash", &["--hash-key", "k1"]),
        "same key, same pseudonym"
    );
    // -o FILE.
    let o = dir.path().join("clean.csv");
    run("replace", &["-o", path_str(&o)]);
    assert!(std::fs::read_to_string(&o).unwrap().contains("1,<US_SSN>,"));
}

#[test]
fn hash_key_from_the_environment_and_same_value_same_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "n.txt", b"a 219-45-6781\nb 219-45-6781\n");
    let out = Command::new(env!("CARGO_BIN_EXE_phiwatch"))
        .args(["scan", "--types", "US_SSN", "--redact", "hash", &f])
        .env("PHIWATCH_HASH_KEY", "from-env")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0][2..], lines[1][2..], "{s}");
    assert!(lines[0].starts_with("a <US_SSN:"));
}

#[test]
fn a_directory_is_redacted_into_a_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in");
    write(&src, "a.csv", CSV.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"ssn 219-45-6781\n").unwrap();
    write(&src, "sub/b.log.gz", &gz.finish().unwrap());
    let dst = dir.path().join("out");
    let out = phiwatch(&[
        "scan",
        "--types",
        "US_SSN,CREDIT_CARD",
        "--redact",
        "replace",
        "-o",
        path_str(&dst),
        path_str(&src),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let a = std::fs::read_to_string(dst.join("a.csv")).unwrap();
    assert_eq!(
        a,
        "id,ssn,card\r\n1,<US_SSN>,\"<CREDIT_CARD>\"\r\n2,none,x\r\n"
    );
    let b = std::fs::read_to_string(dst.join("sub/b.log")).unwrap();
    assert_eq!(b, "ssn <US_SSN>\n");
    // One file into an existing directory: mirrored too.
    let one = dir.path().join("one");
    std::fs::create_dir(&one).unwrap();
    let a_csv = src.join("a.csv");
    let out = phiwatch(&[
        "scan",
        "--redact",
        "redact",
        "-o",
        path_str(&one),
        path_str(&a_csv),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let a = std::fs::read_to_string(one.join("a.csv")).unwrap();
    assert!(a.contains("1,[REDACTED],"), "{a}");
    // Without -o DIR a directory cannot be redacted to one stream.
    let out = phiwatch(&["scan", "--redact", "mask", path_str(&src)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.txt", b"x\n");
    for args in [
        vec!["scan", "--threshold", "1.5", &f],
        vec!["scan", "--types", "US_SSN,NOPE", &f],
        vec!["scan", "--layout", "xml", &f],
        vec!["scan", "--redact", "mask", "-o", &f, &f],
    ] {
        let out = phiwatch(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_phiwatch"))
        .args(["scan", "--redact", "hash", &f])
        .env_remove("PHIWATCH_HASH_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--hash-key"));
}

#[test]
fn missing_inputs_exit_1_without_echoing_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.txt", b"ssn 219-45-6781\n");
    let missing = dir.path().join("patient-219-45-6781.csv");
    let out = phiwatch(&["scan", "--types", "US_SSN", &f, path_str(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(jsonl(&out).len(), 1, "the readable input is still scanned");
    let err = text(&out.stderr);
    assert!(err.contains("no such file"), "{err}");
    assert!(!err.contains(SSN), "{err}");
    assert!(err.contains("6781"), "masked, not dropped: {err}");
}
