//! The `phiwatch` binary as users run it: exit codes, stdout, stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn phiwatch(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phiwatch"));
    cmd.args(args)
        .current_dir(repo())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn phiwatch");
    if let Some(input) = stdin {
        let mut si = child.stdin.take().expect("stdin");
        si.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn jsonl(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

#[test]
fn events_over_the_bundled_samples() {
    let out = phiwatch(&["events", "samples/"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let events = jsonl(&out);
    assert_eq!(events.len(), 502, "{stderr}");
    let count = |ds: &str| events.iter().filter(|e| e["dataset"] == ds).count();
    assert_eq!(count("aws.cloudtrail"), 103);
    assert_eq!(count("aws.vpcflow"), 6);
    assert_eq!(
        count("zeek.conn"),
        5 + events
            .iter()
            .filter(|e| e["format"] == "zeek-json" && e["dataset"] == "zeek.conn")
            .count()
    );
    // Time-ordered across sources.
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Normalized and raw fields, and the origin.
    let get_object = events
        .iter()
        .find(|e| e["fields"]["event.action"] == "GetObject")
        .expect("a GetObject event");
    assert_eq!(get_object["fields"]["phiwatch.object.bytes_out"], 89);
    assert_eq!(get_object["raw"]["eventName"], "GetObject");
    assert!(get_object["origin"]["path"]
        .as_str()
        .unwrap()
        .ends_with(".json.zst"));
    assert!(
        stderr.contains("502 records read: 502 accepted, 0 rejected"),
        "{stderr}"
    );
    for (dataset, n) in [
        ("postgresql.audit", 5),
        ("postgresql.log", 12),
        ("mysql.audit", 17),
        ("mssql.audit", 4),
        ("fhir.audit", 10),
        ("web.access", 10),
        ("okta.system", 5),
        ("entra.signin", 6),
        ("system.auth", 8),
        ("windows.security", 4),
        ("cef", 7),
    ] {
        assert_eq!(count(dataset), n, "{dataset}");
    }
    assert!(stderr.contains("4 skipped"), "{stderr}");
}

#[test]
fn stdin_table_and_time_window() {
    let conn = std::fs::read(repo().join("samples/zeek/conn.log")).unwrap();
    let out = phiwatch(
        &[
            "events",
            "-",
            "--format",
            "table",
            "--from",
            "2012-02-21T16:52:50Z",
            "--to",
            "2012-02-21T16:53:15Z",
        ],
        Some(&conn),
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("TIME"));
    assert_eq!(lines.len(), 1 + 3, "{stdout}");
    assert!(lines[1].contains("zeek.conn") && lines[1].contains("141.142.220.235:37604"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 events emitted (2 outside --from/--to)"),
        "{stderr}"
    );
}

#[test]
fn output_file_and_field_selection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let out = phiwatch(
        &[
            "events",
            "samples/aws/vpcflow-compromised-root-creds.log",
            "--fields",
            "normalized",
            "-o",
            path.to_str().unwrap(),
            "-q",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(text.lines().count(), 6);
    assert!(first.get("raw").is_none());
    assert_eq!(first["fields"]["destination.port"], 22);
}

#[test]
fn usage_and_runtime_errors_have_their_exit_codes() {
    let out = phiwatch(&["events", "samples/", "--input-format", "nope"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected one of: zeek-tsv"));
    let out = phiwatch(&["events", "samples/", "--from", "yesterday"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = phiwatch(
        &["events", "no/such/file.log", "samples/zeek/conn.log"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no/such/file.log: no such file or directory"),
        "{stderr}"
    );
    assert_eq!(jsonl(&out).len(), 5, "the other input still flows");
    let out = phiwatch(&["events"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn forced_format_and_rejections_on_stderr() {
    // VPC flow lines read as Zeek TSV: every line rejected, with a reason.
    let out = phiwatch(
        &[
            "events",
            "samples/aws/vpcflow-compromised-root-creds.log",
            "--input-format",
            "zeek-tsv",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vpcflow-compromised-root-creds.log:2: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("7 records read: 0 accepted, 7 rejected"),
        "{stderr}"
    );
}

#[test]
fn help_describes_every_flag() {
    let out = phiwatch(&["events", "--help"], None);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--input-format",
        "--from",
        "--to",
        "--format",
        "--output",
        "--order",
        "--mapping",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn json_lines_with_a_mapping_file() {
    let data = "crates/decode/tests/data/jsonl/app.ndjson";
    let out = phiwatch(
        &[
            "events",
            data,
            "--mapping",
            "crates/decode/tests/data/jsonl/app-mapping.toml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let events = jsonl(&out);
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e["dataset"] == "ehr.audit"));
    assert_eq!(events[0]["fields"]["user.name"], "dr.smith");
    assert_eq!(events[0]["fields"]["event.action"], "read");
    let out = phiwatch(
        &[
            "events",
            data,
            "--mapping",
            "crates/decode/tests/data/jsonl/bad-mapping.toml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid field mapping (11 problems)"),
        "{stderr}"
    );
    let out = phiwatch(&["events", data, "--mapping", "no/such/mapping.toml"], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn events_mask_identifiers_unless_asked() {
    let log = b"10.1.2.3 - - [28/Nov/2026:10:00:00 +0000] \"GET /api/patients?ssn=536-22-8741&dob=1980-02-14&mrn=7012345 HTTP/1.1\" 200 112432000 \"-\" \"curl/8.5.0\"\n";
    let masked = phiwatch(&["events", "-", "-q"], Some(log));
    assert_eq!(masked.status.code(), Some(0));
    let ev = &jsonl(&masked)[0];
    let url = ev["fields"]["url.original"].as_str().unwrap();
    assert_eq!(
        url,
        "/api/patients?ssn=***-**-8741&dob=****-02-14&mrn=***2345"
    );
    assert_eq!(ev["raw"]["request"], format!("GET {url} HTTP/1.1"));
    // IP addresses and numbers are left as they are (and the line stays JSON).
    assert_eq!(ev["fields"]["source.ip"], "10.1.2.3");
    assert_eq!(ev["fields"]["http.response.body.bytes"], 112_432_000);
    let text = String::from_utf8_lossy(&masked.stdout);
    assert!(
        !text.contains("536-22-8741") && !text.contains("1980-02-14"),
        "{text}"
    );
    // The table masks too.
    let table = phiwatch(&["events", "-", "-q", "--format", "table"], Some(log));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("***-**-8741") && !text.contains("536-22-8741"),
        "{text}"
    );
    // --show-phi prints the values as logged.
    let shown = phiwatch(&["events", "-", "-q", "--show-phi"], Some(log));
    let ev = &jsonl(&shown)[0];
    assert_eq!(
        ev["fields"]["url.original"],
        "/api/patients?ssn=536-22-8741&dob=1980-02-14&mrn=7012345"
    );
}
