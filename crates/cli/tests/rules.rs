//! `phiwatch rules check` as users run it: failures with file and reason,
//! counts by log source, totals, --strict, jsonl.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{phiwatch, repo, text};
use serde_json::Value;

const GOOD: &str = "title: Good rule
id: 11111111-1111-4111-8111-111111111111
logsource:
    product: zeek
    service: ssl
detection:
    selection:
        tls.client.server_name: transfer.sh
    condition: selection
level: high
";

const BAD_CONDITION: &str = "title: Bad condition
id: 22222222-2222-4222-8222-222222222222
logsource:
    product: zeek
    service: ssl
detection:
    selection:
        tls.client.server_name: transfer.sh
    condition: selection and missing_one
level: high
";

const BAD_MODIFIER: &str = "title: Bad modifier
id: 33333333-3333-4333-8333-333333333333
logsource:
    product: zeek
    service: ssl
detection:
    selection:
        tls.client.server_name|frobnicate: transfer.sh
    condition: selection
level: high
";

const BAD_YAML: &str = "title: Bad yaml
id: 44444444-4444-4444-8444-444444444444
logsource:
    product: zeek
  service: ssl
detection: [unclosed
";

const MACOS: &str = "title: macOS rule
id: 55555555-5555-4555-8555-555555555555
logsource:
    product: macos
    category: process_creation
detection:
    selection:
        Image|endswith: /osascript
    condition: selection
level: low
";

/// The built-in pack on disk: (rule files, detection rules, correlations).
fn pack_counts() -> (usize, usize, usize) {
    let (mut files, mut detections, mut correlations) = (0, 0, 0);
    for e in std::fs::read_dir(repo().join("rules/healthcare")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("yml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        detections += text.lines().filter(|l| l.starts_with("detection:")).count();
        correlations += text
            .lines()
            .filter(|l| l.starts_with("correlation:"))
            .count();
    }
    (files, detections, correlations)
}

/// A rule directory: two good rules (one without data) and three broken.
fn rule_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("good.yml", GOOD),
        ("bad_condition.yml", BAD_CONDITION),
        ("bad_modifier.yml", BAD_MODIFIER),
        ("bad_yaml.yml", BAD_YAML),
        ("macos.yaml", MACOS),
        ("notes.txt", "not a rule"),
    ] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

#[test]
fn builtin_pack_loads_without_failures() {
    let (files, detections, correlations) = pack_counts();
    assert!(files >= 38 && detections == files && correlations >= 7);
    for args in [&["rules", "check"][..], &["rules", "check", "--strict"][..]] {
        let out = phiwatch(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(!stdout.contains("FAILED"), "{stdout}");
        let totals = stdout.lines().last().unwrap();
        assert!(
            totals.starts_with(&format!(
                "{files} files: {detections} rules loaded ({detections} run, 0 without"
            )) && totals.contains(&format!(" {correlations} correlations"))
                && totals.ends_with("0 failed"),
            "{totals}"
        );
        assert!(stdout.contains("LOG SOURCE"), "{stdout}");
        // Counts by log source add up to the rules (detections and correlations).
        let rows: Vec<(usize, usize)> = stdout
            .lines()
            .skip_while(|l| !l.starts_with("LOG SOURCE"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols[1].parse().unwrap(), cols[2].parse().unwrap())
            })
            .collect();
        let run: usize = rows.iter().map(|r| r.0).sum();
        let none: usize = rows.iter().map(|r| r.1).sum();
        assert_eq!((run, none), (detections + correlations, 0), "{stdout}");
        let row = |ls: &str| {
            stdout
                .lines()
                .find(|l| l.starts_with(ls))
                .map(str::to_owned)
        };
        assert!(row("aws/*/cloudtrail").unwrap().contains(" 7 "), "{stdout}");
        let corr = row("correlation").unwrap();
        assert_eq!(
            corr.split_whitespace().nth(1),
            Some(&*correlations.to_string())
        );
    }
}

#[test]
fn failures_are_listed_with_file_and_reason() {
    let dir = rule_dir();
    let d = dir.path().to_str().unwrap();
    let out = phiwatch(&["rules", "check", d]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "no --strict: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAILED")).collect();
    assert_eq!(failed.len(), 3, "{stdout}");
    let line_for = |file: &str| {
        let path = dir.path().join(file);
        let path = path.to_str().unwrap().to_string();
        failed
            .iter()
            .find(|l| l.contains(&format!("{path}:")))
            .unwrap_or_else(|| panic!("{file} not listed:\n{stdout}"))
            .to_string()
    };
    let cond = line_for("bad_condition.yml");
    assert!(
        cond.contains("'Bad condition'") && cond.contains("missing_one"),
        "{cond}"
    );
    assert!(line_for("bad_modifier.yml").contains("frobnicate"));
    let yaml = line_for("bad_yaml.yml");
    assert!(yaml.contains("YAML") && yaml.contains("line 5"), "{yaml}");
    assert!(
        !stdout.contains("good.yml"),
        "good rules are not listed: {stdout}"
    );
    let totals = stdout.lines().last().unwrap();
    assert!(
        totals.starts_with("5 files: 2 rules loaded (1 run, 1 without")
            && totals.ends_with("; 3 failed"),
        "{totals}"
    );
    // The macOS rule loads but phiwatch reads no macOS events.
    let macos = stdout
        .lines()
        .find(|l| l.starts_with("macos/process_creation/*"))
        .expect("macOS row");
    let cols: Vec<&str> = macos.split_whitespace().collect();
    assert_eq!(cols[1..], ["0", "1"], "RUN 0, NO DATA 1: {macos}");

    let strict = phiwatch(&["rules", "check", "--strict", d]);
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(text(&strict.stdout), stdout, "same report under --strict");

    // --strict fails only on failures: a directory of good rules passes.
    let good = tempfile::tempdir().unwrap();
    std::fs::write(good.path().join("good.yml"), GOOD).unwrap();
    std::fs::write(good.path().join("macos.yml"), MACOS).unwrap();
    let ok = phiwatch(&["rules", "check", "--strict", good.path().to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
}

#[test]
fn jsonl_gives_one_object_per_rule() {
    let dir = rule_dir();
    let out = phiwatch(&[
        "rules",
        "check",
        "--format",
        "jsonl",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let objs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 5, "{objs:?}");
    let by_file = |file: &str| -> &Value {
        objs.iter()
            .find(|o| o["path"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} missing"))
    };
    let good = by_file("/good.yml");
    assert_eq!(good["status"], "loaded");
    assert_eq!(good["kind"], "detection");
    assert_eq!(good["id"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(good["level"], "high");
    assert_eq!(good["logsource"], "zeek/*/ssl");
    let macos = by_file("/macos.yaml");
    assert_eq!(macos["status"], "no_data");
    assert_eq!(macos["logsource"], "macos/process_creation/*");
    for (file, word) in [
        ("/bad_condition.yml", "missing_one"),
        ("/bad_modifier.yml", "frobnicate"),
        ("/bad_yaml.yml", "YAML"),
    ] {
        let o = by_file(file);
        assert_eq!(o["status"], "failed", "{o}");
        assert!(o["reason"].as_str().unwrap().contains(word), "{o}");
    }
}

#[test]
fn jsonl_of_the_builtin_pack() {
    let out = phiwatch(&["rules", "check", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0));
    let objs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, detections, correlations) = pack_counts();
    assert_eq!(objs.len(), detections + correlations);
    assert!(objs.iter().all(|o| o["status"] == "loaded"));
    let kind = |k: &str| objs.iter().filter(|o| o["kind"] == k).count();
    assert_eq!(
        (kind("detection"), kind("correlation")),
        (detections, correlations)
    );
    assert!(objs
        .iter()
        .all(|o| o["path"].as_str().unwrap().starts_with("builtin:")));
}

#[test]
fn builtin_flag_adds_the_pack_to_paths() {
    let dir = rule_dir();
    let out = phiwatch(&["rules", "check", "--builtin", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let totals = stdout.lines().last().unwrap();
    let (files, detections, _) = pack_counts();
    assert!(
        totals.starts_with(&format!(
            "{} files: {} rules loaded ({} run, 1 without",
            files + 5,
            detections + 2,
            detections + 1
        )) && totals.ends_with("; 3 failed"),
        "{totals}"
    );
}

#[test]
fn sigmahq_rules_all_load() {
    let dir = "crates/sigma/tests/data/sigmahq/rules/windows/process_creation";
    let out = phiwatch(&["rules", "check", "--strict", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    let totals = stdout.lines().last().unwrap();
    assert!(totals.ends_with("; 0 failed"), "{totals}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("windows/process_creation/*"))
        .expect("windows row");
    let files = std::fs::read_dir(repo().join(dir))
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
    assert!(files > 1000, "{files}");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1..], [files.to_string().as_str(), "0"], "{row}");
}

#[test]
fn missing_path_is_a_usage_error() {
    let out = phiwatch(&["rules", "check", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/dir"));
}

#[test]
fn help_documents_every_flag() {
    let out = phiwatch(&["rules", "check", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let lines: Vec<&str> = help.lines().collect();
    for flag in [
        "--builtin",
        "--strict",
        "--format",
        "--taxonomy",
        "--placeholders",
        "[PATH]...",
    ] {
        let described = lines.iter().enumerate().any(|(i, l)| {
            l.split_whitespace().next() == Some(flag)
                && lines.get(i + 1).is_some_and(|d| !d.trim().is_empty())
        });
        assert!(described, "{flag} not described:\n{help}");
    }
    assert!(help.contains("jsonl") && help.contains("NO DATA"), "{help}");
}
