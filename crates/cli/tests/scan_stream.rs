//! `phiwatch scan` on plain text larger than its blocks: findings and
//! redaction are those of the whole input (offsets and lines across blocks,
//! identifiers on a block boundary), compressed or not, whatever
//! `--max-bytes` says; JSON and CSV are still read whole and refused past
//! `--max-bytes`. All identifiers here are synthetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use common::{phiwatch, text};
use serde_json::Value;

/// The block size of the scan (4 MiB): identifiers are placed across it.
const BLOCK: usize = 4 << 20;

/// A synthetic log and the SSNs in it: (line, start, end), 1-based line,
/// byte offsets, end exclusive.
struct Log {
    bytes: Vec<u8>,
    ssns: Vec<(u64, usize, usize)>,
}

/// A valid-looking SSN, different for each `k`.
fn ssn(k: usize) -> String {
    format!(
        "{:03}-{:02}-{:04}",
        100 + (k * 37) % 500,
        10 + k % 89,
        1000 + (k * 7919) % 8999
    )
}

impl Log {
    /// About 9.5 MB of log lines (more than two blocks); an SSN on every
    /// 997th line, and one across each of the first two block boundaries
    /// (the second block starts with the line cut from the first).
    fn new() -> Log {
        let mut log = Log {
            bytes: Vec::with_capacity(10 << 20),
            ssns: Vec::new(),
        };
        let mut line = 1u64;
        let mut cut = 0; // where the second block starts
        let mut across = [BLOCK, usize::MAX];
        while log.bytes.len() < 9_500_000 {
            let filler = format!(
                "2024-05-01T10:{:02}:{:02}Z web-{} GET /api/items/{} 200 {}ms agent=curl",
                line % 60,
                line % 59,
                line % 7,
                line * 13,
                line % 997
            );
            let start = log.bytes.len();
            let boundary = across
                .iter()
                .copied()
                .find(|&b| b > start && b < start + 200);
            if let Some(b) = boundary {
                // The SSN starts five bytes before the boundary.
                let pad = b - 5 - start - "ssn=".len();
                log.bytes.extend(std::iter::repeat_n(b'x', pad));
                log.push_ssn(line, "ssn=");
                log.bytes.extend_from_slice(b" tail\n");
                if b == BLOCK {
                    cut = start;
                    across[1] = cut + BLOCK;
                }
            } else if line.is_multiple_of(997) {
                log.bytes.extend_from_slice(filler.as_bytes());
                log.push_ssn(line, " patient ssn=");
                log.bytes.push(b'\n');
            } else {
                log.bytes.extend_from_slice(filler.as_bytes());
                log.bytes.push(b'\n');
            }
            line += 1;
        }
        assert!(cut > 0 && log.bytes.len() > cut + BLOCK);
        log
    }

    fn push_ssn(&mut self, line: u64, before: &str) {
        self.bytes.extend_from_slice(before.as_bytes());
        let s = ssn(self.ssns.len());
        let start = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.ssns.push((line, start, start + s.len()));
    }

    /// The input with every SSN masked as `--redact mask` does.
    fn masked(&self) -> Vec<u8> {
        let mut out = self.bytes.clone();
        for &(_, s, e) in &self.ssns {
            let last4 = &self.bytes[e - 4..e];
            out[s..e].copy_from_slice(&[b"***-**-".as_slice(), last4].concat());
        }
        out
    }
}

/// Whether `b` holds `ddd-dd-dddd`.
fn has_ssn(b: &[u8]) -> bool {
    let shape = b"ddd-dd-dddd";
    b.windows(shape.len()).any(|w| {
        w.iter().zip(shape).all(|(&c, &s)| {
            if s == b'd' {
                c.is_ascii_digit()
            } else {
                c == s
            }
        })
    })
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

/// `scan --types US_SSN ARGS…`.
fn scan(args: &[&str]) -> Output {
    let mut all = vec!["scan", "--types", "US_SSN"];
    all.extend_from_slice(args);
    phiwatch(&all)
}

/// (line, start, end) of each finding in jsonl output, all US_SSN.
fn spans(out: &Output) -> Vec<(u64, usize, usize)> {
    text(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["type"], "US_SSN", "{l}");
            let n = |k: &str| v[k].as_u64().unwrap();
            (n("line"), n("start") as usize, n("end") as usize)
        })
        .collect()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn findings_in_text_larger_than_two_blocks_are_those_of_the_whole_input() {
    let log = Log::new();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "app.log", &log.bytes);
    // Streamed text is not refused by --max-bytes.
    let out = scan(&[&path, "--format", "jsonl", "--max-bytes", "1000"]);
    ok(&out);
    let found = spans(&out);
    assert_eq!(found.len(), log.ssns.len());
    assert_eq!(found, log.ssns);
    // The identifier across the first block boundary, by its own numbers.
    let across = found
        .iter()
        .find(|&&(_, s, e)| s < BLOCK && e > BLOCK)
        .unwrap();
    let before = log.bytes[..across.1]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(across.0, before as u64 + 1);
    assert_eq!(&log.bytes[across.1 - 4..across.1], b"ssn=");
    let summary = text(&out.stderr);
    assert!(
        summary.contains(&format!(
            "{} findings (US_SSN {})",
            found.len(),
            found.len()
        )) && summary.contains(&format!("({} bytes)", log.bytes.len())),
        "{summary}"
    );
}

#[test]
fn redacting_streamed_text_changes_only_the_identifiers() {
    let log = Log::new();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "app.log", &log.bytes);
    let out = scan(&[&path, "--redact", "mask", "-q"]);
    ok(&out);
    assert_eq!(out.stdout.len(), log.bytes.len());
    assert!(!has_ssn(&out.stdout), "an SSN is left in the output");
    assert!(out.stdout == log.masked(), "bytes outside the SSNs changed");
    assert!(has_ssn(&log.bytes));
}

#[test]
fn compressed_text_is_streamed_with_the_same_findings() {
    let log = Log::new();
    let dir = tempfile::tempdir().unwrap();
    // Stored (level 0) deflate: still gzip through the same decoder, and
    // fast in debug builds.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    gz.write_all(&log.bytes).unwrap();
    let gz = gz.finish().unwrap();
    let path = write(dir.path(), "app.log.gz", &gz);
    let out = scan(&[&path, "--max-bytes", "1000"]);
    ok(&out);
    assert_eq!(spans(&out), log.ssns);

    // Cut short: what was found before the damage stays written, the input
    // counts as failed.
    let path = write(dir.path(), "cut.log.gz", &gz[..gz.len() * 3 / 5]);
    let out = scan(&[&path, "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cut.log.gz: not valid gzip data"), "{err}");
    let found = spans(&out);
    assert!(
        found.len() > 10 && found.len() < log.ssns.len(),
        "{}",
        found.len()
    );
    assert_eq!(found, log.ssns[..found.len()]);
}

#[test]
fn json_and_csv_are_still_read_whole_and_refused_past_max_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let small = br#"{"patient":{"ssn":"536-22-8741","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#;
    let mut big_json = b"[".to_vec();
    let mut big_csv = b"id,ssn,name\n".to_vec();
    for i in 0..(BLOCK / 20) {
        big_json.extend_from_slice(format!("{{\"id\":{i},\"ssn\":\"536-22-8741\"}},").as_bytes());
        big_csv.extend_from_slice(format!("{i},536-22-8741,name{i}\n").as_bytes());
    }
    big_json.extend_from_slice(b"{}]");
    assert!(big_json.len() > BLOCK && big_csv.len() > BLOCK);
    for (name, bytes, max) in [
        ("small.json", &small[..], "50"),
        ("big.json", &big_json[..], "1000"),
        ("big.csv", &big_csv[..], "1000"),
    ] {
        let path = write(dir.path(), name, bytes);
        let out = scan(&[&path, "--max-bytes", max]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{name}: larger than --max-bytes {max}")),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
    // Under the limit, the small document is scanned as JSON (with its key).
    let path = write(dir.path(), "small.json", small);
    let out = scan(&[&path]);
    ok(&out);
    let v: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["key"], "patient.ssn");
}
