//! `phiwatch hunt` as users run it: findings, output formats, user rules,
//! exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::{phiwatch, repo, text};
use serde_json::Value;

fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// `hunt --format jsonl -q ARGS…`, asserting exit 0; the findings.
/// `hunt` with the Sigma detectors only (no analytics, no incidents: these
/// tests are about the rules; `tests/hunt_analytics.rs` and
/// `tests/analytics.rs` test the rest).
fn hunt(args: &[&str]) -> Vec<Value> {
    let mut all = vec![
        "hunt",
        "--format",
        "jsonl",
        "-q",
        "--no-analytics",
        "--no-incidents",
    ];
    all.extend_from_slice(args);
    let out = phiwatch(&all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    jsonl(&stdout(&out))
}

/// The `id:` values of a rule file, in order (a correlation file has two).
fn rule_ids(rule_file: &str) -> Vec<String> {
    std::fs::read_to_string(repo().join(rule_file))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|s| s.trim().to_string())
        .collect()
}

/// Line `n` (1-based) of a file under the repository.
fn line_of(path: &str, n: usize) -> String {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    text.lines()
        .nth(n - 1)
        .unwrap_or_else(|| panic!("{path} has no line {n}"))
        .to_string()
}

/// Splits an evidence source `path:line`.
fn source_parts(source: &str) -> (&str, usize) {
    let (path, line) = source.rsplit_once(':').expect("path:line");
    (path, line.parse().expect("line number"))
}

fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

/// Every key of the public finding contract, with its JSON type.
fn assert_contract(f: &Value) {
    assert_contract_with(f, true);
}

/// [`assert_contract`]; `known_tactics`: every tactic has a `TAxxxx` id
/// (SigmaHQ tags also name ATT&CK v18 tactics such as `attack.stealth`,
/// which phiwatch's table lists with an empty id).
fn assert_contract_with(f: &Value, known_tactics: bool) {
    let id = f["id"].as_str().expect("id is a string");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "id {id}"
    );
    assert!(is_rfc3339_utc(&f["time"]), "time {f}");
    assert!(is_rfc3339_utc(&f["end_time"]), "end_time {f}");
    assert!(f["time"].as_str() <= f["end_time"].as_str());
    let detector = f["detector"].as_str().expect("detector");
    assert!(["sigma", "correlation"].contains(&detector), "{detector}");
    for k in ["id", "title", "level"] {
        assert!(f["rule"][k].is_string(), "rule.{k} in {f}");
    }
    let level = f["rule"]["level"].as_str().unwrap();
    assert!(
        ["informational", "low", "medium", "high", "critical"].contains(&level),
        "{level}"
    );
    let tactics = f["attack"]["tactics"].as_array().expect("tactics");
    let techniques = f["attack"]["techniques"].as_array().expect("techniques");
    for t in tactics {
        let id = t["id"].as_str().unwrap();
        let ok =
            id.starts_with("TA") && id.len() == 6 && id[2..].bytes().all(|b| b.is_ascii_digit());
        let unknown = id.is_empty() && !t["shortname"].as_str().unwrap_or("").is_empty();
        assert!(ok || (unknown && !known_tactics), "tactic {t}");
    }
    for t in techniques {
        let id = t["id"].as_str().unwrap();
        assert!(
            id.starts_with('T') && id.as_bytes()[1].is_ascii_digit(),
            "{id}"
        );
    }
    let entity = f["entity"].as_object().expect("entity is an object");
    for (k, v) in entity {
        assert!(["user", "host", "ip"].contains(&k.as_str()) && v.is_string());
    }
    let score = f["score"].as_f64().expect("score is a number");
    assert!((0.0..=1.0).contains(&score), "score {score}");
    assert!(!f["summary"].as_str().expect("summary").is_empty());
    let evidence = f["evidence"].as_array().expect("evidence is a list");
    assert!(!evidence.is_empty());
    for e in evidence {
        source_parts(e["source"].as_str().expect("evidence source"));
        assert!(is_rfc3339_utc(&e["time"]), "evidence time {e}");
    }
    assert!(f["metrics"].is_object(), "metrics {f}");
}

const TLS_MATCH: &str = "rules/healthcare/tests/tls_file_sharing_sni/match.log";
const TLS_NOMATCH: &str = "rules/healthcare/tests/tls_file_sharing_sni/nomatch.log";
const SSH_MATCH: &str = "rules/healthcare/tests/linux_ssh_brute_force/match.log";

#[test]
fn jsonl_findings_follow_the_contract() {
    let findings = hunt(&[TLS_MATCH]);
    // Two handshakes to file-sharing services (lines 9 and 10), nothing else.
    assert_eq!(findings.len(), 2, "{findings:?}");
    let rule_id = &rule_ids("rules/healthcare/tls_file_sharing_sni.yml")[0];
    let expected = [(9, "mega.co.nz"), (10, "transfer.sh")];
    for (f, (line, host)) in findings.iter().zip(expected) {
        assert_contract(f);
        assert_eq!(f["detector"], "sigma");
        assert_eq!(f["rule"]["id"], rule_id.as_str());
        assert_eq!(f["rule"]["level"], "medium");
        assert_eq!(f["attack"]["tactics"][0]["id"], "TA0010");
        assert_eq!(f["attack"]["techniques"][0]["id"], "T1567.002");
        assert_eq!(f["entity"]["ip"], "10.20.30.41");
        let ev = f["evidence"].as_array().unwrap();
        assert_eq!(ev.len(), 1);
        let (path, n) = source_parts(ev[0]["source"].as_str().unwrap());
        assert_eq!((path, n), (TLS_MATCH, line));
        assert!(line_of(path, n).contains(host), "{}", line_of(path, n));
        assert_eq!(ev[0]["time"], f["time"]);
    }
    assert_eq!(findings[0]["time"], "2026-11-03T03:10:00.000000Z");
    assert_eq!(findings[1]["time"], "2026-11-03T03:10:05.000000Z");
    assert_eq!(findings[0]["score"], 0.5, "medium scores 0.5");
    assert_ne!(findings[0]["id"], findings[1]["id"]);
}

#[test]
fn finding_ids_are_stable_and_depend_on_the_input() {
    let ids = |fs: &[Value]| -> Vec<String> {
        fs.iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let first = ids(&hunt(&[TLS_MATCH]));
    let second = ids(&hunt(&[TLS_MATCH]));
    assert_eq!(first.len(), 2);
    assert_eq!(first, second, "same input, same ids");

    // The same records read from another file are other evidence.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ssl.log");
    std::fs::copy(repo().join(TLS_MATCH), &copy).unwrap();
    let other = ids(&hunt(&[copy.to_str().unwrap()]));
    assert_eq!(other.len(), 2);
    assert!(other.iter().all(|id| !first.contains(id)), "{other:?}");
    // And so are other records of the same rule.
    let ssh = ids(&hunt(&[SSH_MATCH]));
    assert_eq!(ssh.len(), 1);
    assert!(!first.contains(&ssh[0]));
}

#[test]
fn nomatch_file_gives_no_findings() {
    let out = phiwatch(&["hunt", "--format", "jsonl", TLS_NOMATCH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains(" 0 findings"), "{}", stderr(&out));
}

#[test]
fn correlation_finding_has_group_value_and_evidence() {
    let findings = hunt(&[SSH_MATCH]);
    // Twelve failures: the tenth fires, the window then starts afresh and
    // the last two are not enough for a second hit.
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_contract(f);
    assert_eq!(f["detector"], "correlation");
    let ids = rule_ids("rules/healthcare/linux_ssh_brute_force.yml");
    assert_eq!(f["rule"]["id"], ids[1].as_str(), "the correlation's id");
    assert_eq!(f["rule"]["level"], "high");
    assert_eq!(f["group"]["source.ip"], "203.0.113.99");
    assert_eq!(f["group"]["user.name"], "root");
    assert_eq!(f["entity"]["user"], "root");
    assert_eq!(f["entity"]["ip"], "203.0.113.99");
    assert_eq!(f["metrics"]["value"], 10.0);
    assert_eq!(f["attack"]["techniques"][0]["id"], "T1110.001");
    assert_eq!(f["time"], "2026-11-03T03:30:00.000000Z");
    assert_eq!(f["end_time"], "2026-11-03T03:30:36.000000Z");
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 10);
    for (i, e) in ev.iter().enumerate() {
        let (path, n) = source_parts(e["source"].as_str().unwrap());
        assert_eq!((path, n), (SSH_MATCH, i + 1));
        assert!(line_of(path, n).contains("Failed password for root"));
    }
}

/// Each evidence entry carries its own record's time (the contract's
/// "evidence (list with source and time)"; `Evidence::time` is documented as
/// "the record's time").
#[test]
fn correlation_evidence_times_are_the_records_times() {
    let findings = hunt(&[SSH_MATCH]);
    assert_eq!(findings.len(), 1);
    for e in findings[0]["evidence"].as_array().unwrap() {
        let (path, n) = source_parts(e["source"].as_str().unwrap());
        // auth.log lines start with the RFC 3339 time: 2026-11-03T03:30:04.000000+00:00
        let line = line_of(path, n);
        let stamp = format!("{}Z", &line[..26]);
        assert_eq!(e["time"], stamp.as_str(), "{e}");
    }
}

/// Every rule of the built-in pack fires on its match file and stays quiet
/// on its nomatch file, end to end through the binary.
#[test]
fn every_pack_rule_fires_on_its_match_file_only() {
    let tests = repo().join("rules/healthcare/tests");
    let mut dirs: Vec<_> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let rule_files = std::fs::read_dir(repo().join("rules/healthcare"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .and_then(|x| x.to_str())
                == Some("yml")
        })
        .count();
    assert!(dirs.len() >= 38, "{}", dirs.len());
    assert_eq!(dirs.len(), rule_files, "one test directory per rule file");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let ids = rule_ids(&format!("rules/healthcare/{name}.yml"));
        assert!(!ids.is_empty(), "{name}");
        for (stem, want_hit) in [("match", true), ("nomatch", false)] {
            let file = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(stem))
                .unwrap_or_else(|| panic!("{name}: no {stem} file"));
            let findings = hunt(&[file.to_str().unwrap()]);
            let own = findings
                .iter()
                .filter(|f| ids.iter().any(|id| f["rule"]["id"] == id.as_str()))
                .count();
            assert_eq!(own > 0, want_hit, "{name}/{stem}: {own} own findings");
            for f in &findings {
                assert_contract(f);
            }
        }
    }
}

#[test]
fn csv_has_a_header_and_one_row_per_finding() {
    let out = phiwatch(&["hunt", "-q", "--format", "csv", TLS_MATCH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let header: Vec<&str> = lines[0].split(',').collect();
    for col in [
        "id", "time", "detector", "rule_id", "level", "score", "evidence",
    ] {
        assert!(header.contains(&col), "{col} in {header:?}");
    }
    let jsonl_ids: Vec<String> = hunt(&[TLS_MATCH])
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let idx = |name: &str| header.iter().position(|c| *c == name).unwrap();
    for (row, id) in lines[1..].iter().zip(&jsonl_ids) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{row}");
        assert_eq!(cells[idx("id")], id);
        assert_eq!(cells[idx("detector")], "sigma");
        assert_eq!(cells[idx("level")], "medium");
        assert!(cells[idx("evidence")].starts_with(TLS_MATCH));
    }
}

#[test]
fn ocsf_gives_detection_findings() {
    let out = phiwatch(&["hunt", "-q", "--format", "ocsf", TLS_MATCH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let objs = jsonl(&stdout(&out));
    assert_eq!(objs.len(), 2);
    let ids: Vec<Value> = hunt(&[TLS_MATCH]).iter().map(|f| f["id"].clone()).collect();
    for (o, id) in objs.iter().zip(ids) {
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["category_uid"], 2);
        assert_eq!(o["type_uid"], 200401);
        assert_eq!(o["severity"], "Medium");
        assert_eq!(o["finding_info"]["uid"], id);
        let attack = &o["finding_info"]["attacks"][0];
        assert_eq!(attack["tactic"]["uid"], "TA0010");
        assert_eq!(attack["sub_technique"]["uid"], "T1567.002");
        assert!(o["time"].as_i64().unwrap() > 1_700_000_000_000, "ms epoch");
        assert!(o["evidences"][0]["data"]["source"]
            .as_str()
            .unwrap()
            .starts_with(TLS_MATCH));
    }
}

#[test]
fn table_on_stdout_and_totals_on_stderr() {
    let out = phiwatch(&["hunt", TLS_MATCH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header, 2 rows, counts: {text}");
    assert!(lines[0].starts_with("TIME") && lines[0].contains("LEVEL"));
    assert_eq!(
        lines.iter().filter(|l| l.contains("medium  sigma")).count(),
        2
    );
    assert!(
        lines[3].starts_with("2 findings") && lines[3].contains("medium 2"),
        "{}",
        lines[3]
    );
    let err = stderr(&out);
    assert!(err.contains("phiwatch: hunt: 2 events against"), "{err}");
    assert!(err.contains(" 2 findings"), "{err}");
}

#[test]
fn output_file_takes_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.jsonl");
    let p = path.to_str().unwrap();
    let out = phiwatch(&["hunt", "-q", "--format", "jsonl", "-o", p, TLS_MATCH]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let findings = jsonl(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(findings.len(), 2);
    assert_eq!(findings, hunt(&[TLS_MATCH]));
}

const AUTH_LOG: &str = "samples/identity/secure.log";

const SSH_LOGIN_RULE: &str = "title: Successful SSH login
id: 6f1c1a52-0c39-4c55-9a43-2d0f4f0e7a10
logsource:
    product: linux
    service: auth
detection:
    selection:
        event.action: ssh_login
        event.outcome: success
    condition: selection
level: low
tags:
    - attack.initial-access
    - attack.t1078
";

#[test]
fn user_rules_run_and_broken_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ssh_login.yml"), SSH_LOGIN_RULE).unwrap();
    std::fs::write(
        dir.path().join("broken.yml"),
        "title: Broken\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: sel and nope\n",
    )
    .unwrap();
    let rules = dir.path().to_str().unwrap();
    let out = phiwatch(&[
        "hunt",
        "--format",
        "jsonl",
        "--no-builtin",
        "--rules",
        rules,
        AUTH_LOG,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let broken = dir.path().join("broken.yml");
    assert!(
        err.lines()
            .any(|l| l.contains("rule not loaded") && l.contains(broken.to_str().unwrap())),
        "{err}"
    );
    let findings = jsonl(&stdout(&out));
    // Lines 2 and 7 of the sample are the two accepted SSH logins.
    assert_eq!(findings.len(), 2, "{findings:?}");
    let lines: Vec<usize> = findings
        .iter()
        .map(|f| source_parts(f["evidence"][0]["source"].as_str().unwrap()).1)
        .collect();
    assert_eq!(lines, [2, 7]);
    for f in &findings {
        assert_contract(f);
        assert_eq!(f["rule"]["id"], "6f1c1a52-0c39-4c55-9a43-2d0f4f0e7a10");
        assert_eq!(f["rule"]["level"], "low");
        assert_eq!(f["attack"]["techniques"][0]["id"], "T1078");
    }
    assert_eq!(findings[0]["entity"]["user"], "svc_etl");
    assert_eq!(findings[1]["entity"]["user"], "carol");

    // With the pack too, the user rule's findings are still there.
    let with_pack = hunt(&["--rules", rules, AUTH_LOG]);
    let own = with_pack
        .iter()
        .filter(|f| f["rule"]["id"] == "6f1c1a52-0c39-4c55-9a43-2d0f4f0e7a10")
        .count();
    assert_eq!(own, 2);
}

/// A filter names the events to drop from the rules it targets.
#[test]
fn filters_suppress_what_their_condition_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ssh_login.yml"), SSH_LOGIN_RULE).unwrap();
    std::fs::write(
        dir.path().join("ignore_etl.yml"),
        "title: The ETL account logs in by design
logsource:
    product: linux
    service: auth
filter:
    rules:
        - 6f1c1a52-0c39-4c55-9a43-2d0f4f0e7a10
    selection:
        user.name: svc_etl
    condition: selection
",
    )
    .unwrap();
    let findings = hunt(&[
        "--no-builtin",
        "--rules",
        dir.path().to_str().unwrap(),
        AUTH_LOG,
    ]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["entity"]["user"], "carol");
    assert_eq!(
        findings[0]["evidence"][0]["source"],
        format!("{AUTH_LOG}:7").as_str()
    );
}

#[test]
fn taxonomy_file_adds_field_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let rule = SSH_LOGIN_RULE.replace("event.outcome: success", "TargetUserName: carol");
    std::fs::write(dir.path().join("rule.yml"), rule).unwrap();
    std::fs::write(
        dir.path().join("extra.toml"),
        "[[source]]\ndataset = \"system.auth\"\nfields = \"aliases\"\n\n[fields.aliases]\nTargetUserName = \"user.name\"\n",
    )
    .unwrap();
    let rule = dir.path().join("rule.yml");
    let rule = rule.to_str().unwrap();
    let without = hunt(&["--no-builtin", "--rules", rule, AUTH_LOG]);
    assert!(without.is_empty(), "unmapped name: {without:?}");
    let tax = dir.path().join("extra.toml");
    let with = hunt(&[
        "--no-builtin",
        "--rules",
        rule,
        "--taxonomy",
        tax.to_str().unwrap(),
        AUTH_LOG,
    ]);
    assert_eq!(with.len(), 1, "{with:?}");
    assert_eq!(with[0]["entity"]["user"], "carol");
}

#[test]
fn usage_errors_exit_2() {
    let missing = phiwatch(&["hunt", "--rules", "no/such/rules", TLS_MATCH]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no/such/rules"),
        "{}",
        stderr(&missing)
    );
    assert!(missing.stdout.is_empty());

    let nothing = phiwatch(&[
        "hunt",
        "--no-builtin",
        "--no-analytics",
        "--no-incidents",
        TLS_MATCH,
    ]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(stderr(&nothing).contains("nothing to run"));

    let format = phiwatch(&["hunt", "--format", "xml", TLS_MATCH]);
    assert_eq!(format.status.code(), Some(2));

    for flag in ["--taxonomy", "--placeholders"] {
        let out = phiwatch(&["hunt", flag, "no/such/file.toml", TLS_MATCH]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(stderr(&out).contains("no/such/file.toml"), "{flag}");
    }
}

#[test]
fn placeholders_file_gives_expand_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let rule = SSH_LOGIN_RULE.replace("event.outcome: success", "user.name|expand: '%Staff%'");
    std::fs::write(dir.path().join("rule.yml"), rule).unwrap();
    let values = dir.path().join("placeholders.toml");
    std::fs::write(&values, "Staff = [\"carol\", \"dave\"]\n").unwrap();
    let rule = dir.path().join("rule.yml");
    let rule = rule.to_str().unwrap();
    assert!(hunt(&["--no-builtin", "--rules", rule, AUTH_LOG]).is_empty());
    let with = hunt(&[
        "--no-builtin",
        "--rules",
        rule,
        "--placeholders",
        values.to_str().unwrap(),
        AUTH_LOG,
    ]);
    assert_eq!(with.len(), 1, "{with:?}");
    assert_eq!(with[0]["entity"]["user"], "carol");
}

/// The SigmaHQ regression EVTX files of process_creation against the SigmaHQ
/// process_creation rules: each case's rule fires exactly `match_count`
/// times on its own file.
#[test]
fn sigmahq_regression_evtx_process_creation() {
    let cases = "crates/ingest/tests/data/evtx/rules/windows/process_creation";
    let findings = hunt(&[
        "--no-builtin",
        "--rules",
        "crates/sigma/tests/data/sigmahq/rules/windows/process_creation",
        &format!("{cases}/*/*.evtx"),
    ]);
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join(cases)).unwrap() {
        let dir = entry.unwrap().path();
        let info = std::fs::read_to_string(dir.join("info.yml")).unwrap();
        let rule_id = info
            .split("rule_metadata:")
            .nth(1)
            .and_then(|s| s.split("id:").nth(1))
            .map(|s| s.split_whitespace().next().unwrap().to_string())
            .expect("rule id in info.yml");
        let want: Option<usize> = info
            .split("match_count:")
            .nth(1)
            .map(|s| s.split_whitespace().next().unwrap().parse().unwrap());
        let prefix = format!("{cases}/{}/", dir.file_name().unwrap().to_str().unwrap());
        let got = findings
            .iter()
            .filter(|f| {
                f["rule"]["id"] == rule_id.as_str()
                    && f["evidence"][0]["source"]
                        .as_str()
                        .unwrap()
                        .starts_with(&prefix)
            })
            .count();
        match want {
            Some(n) => assert_eq!(got, n, "{prefix}: rule {rule_id}"),
            None => assert!(got >= 1, "{prefix}: rule {rule_id}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 130);
    for f in &findings {
        assert_contract_with(f, false);
    }
}

/// Whether `--help` (long form) lists `flag` with a description under it.
fn help_describes(help: &str, flag: &str) -> bool {
    let lines: Vec<&str> = help.lines().collect();
    lines.iter().enumerate().any(|(i, l)| {
        l.trim_start()
            .split(", ")
            .any(|p| p.split_whitespace().next() == Some(flag))
            && lines.get(i + 1).is_some_and(|d| !d.trim().is_empty())
    })
}

#[test]
fn help_documents_every_flag() {
    let out = phiwatch(&["hunt", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for flag in [
        "--rules",
        "--no-builtin",
        "--taxonomy",
        "--placeholders",
        "--no-phi",
        "--format",
        "-o",
        "--output",
        "--max-groups",
        "--from",
        "--to",
        "--input-format",
        "--quiet",
        "--max-diagnostics",
    ] {
        assert!(help_describes(&help, flag), "{flag} not described:\n{help}");
    }
    assert!(!help_describes(&help, "--no-such-flag"));
}

#[test]
fn identifiers_in_urls_give_phi_findings_without_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(
        &log,
        "10.0.2.10 - - [03/Nov/2026:03:20:03 +0000] \"GET /portal/lookup?ssn=219-45-6781&dob=1962-03-14 HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"\n\
         10.0.2.11 - - [03/Nov/2026:03:20:04 +0000] \"GET /portal/home?page=2 HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"\n",
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let out = phiwatch(&["hunt", "-q", "--format", "jsonl", log]);
    assert_eq!(out.status.code(), Some(0));
    let all = stdout(&out);
    assert!(
        !all.contains("219-45-6781") && !all.contains("6781"),
        "{all}"
    );
    let findings: Vec<Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let phi: Vec<&Value> = findings.iter().filter(|f| f["detector"] == "phi").collect();
    assert_eq!(phi.len(), 1, "{all}");
    let f = phi[0];
    assert_eq!(f["rule"]["id"], "phiwatch-phi-url");
    assert_eq!(f["rule"]["level"], "high");
    assert_eq!(f["metrics"]["US_SSN"], 1.0);
    assert_eq!(f["metrics"]["DATE_OF_BIRTH"], 1.0);
    assert_eq!(f["evidence"][0]["source"], format!("{log}:1").as_str());
    assert_eq!(f["entity"]["ip"], "10.0.2.10");
    assert!(f["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "safe_harbor.G"));

    let off = phiwatch(&["hunt", "-q", "--no-phi", "--format", "jsonl", log]);
    assert!(!stdout(&off).contains("\"detector\":\"phi\""));
}
