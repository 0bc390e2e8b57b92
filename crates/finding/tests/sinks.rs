//! Output formats: jsonl, csv, ocsf, table, and the counts helper.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{sample, ts};
use phiwatch_finding::{
    sink, Counts, CsvSink, Detector, Evidence, Finding, FindingSink, Format, Level, CSV_HEADER,
};
use serde_json::Value;

fn render(format: Format, findings: &[Finding]) -> String {
    let mut out = Vec::new();
    {
        let mut s = sink(format, &mut out);
        for f in findings {
            s.write(f).unwrap();
        }
        s.finish().unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn format_names() {
    for (name, f) in [
        ("jsonl", Format::Jsonl),
        ("table", Format::Table),
        ("csv", Format::Csv),
        ("OCSF", Format::Ocsf),
    ] {
        assert_eq!(name.parse::<Format>().unwrap(), f);
    }
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("xml"), "{err}");
}

#[test]
fn jsonl_is_one_parseable_object_per_line() {
    let findings = [sample(Level::High), sample(Level::Low)];
    let text = render(Format::Jsonl, &findings);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (line, f) in lines.iter().zip(&findings) {
        let back: Finding = serde_json::from_str(line).unwrap();
        assert_eq!(&back, f);
    }
}

#[test]
fn csv_header_and_quoting() {
    let mut f = sample(Level::Critical);
    f.rule.title = "Export, then \"delete\"".into();
    f.summary = "line one\nline two".into();
    let text = render(Format::Csv, &[f.clone()]);
    let (header, rest) = text.split_once('\n').unwrap();
    assert_eq!(header, CSV_HEADER);
    assert_eq!(header.split(',').count(), 15);
    assert!(rest.starts_with(&format!(
        "{},2026-11-28T10:00:00.500000Z,2026-11-28T10:05:00.000000Z,sigma,",
        f.id
    )));
    assert!(rest
        .contains(",\"Export, then \"\"delete\"\"\",critical,TA0010,T1567.002,alice,ws-17,,0.95,"));
    assert!(rest.contains(",\"line one\nline two\",logs/pgaudit.log:17;logs/pgaudit.log:42\n"));
    assert!(rest.ends_with('\n'));
}

#[test]
fn csv_writes_header_without_findings() {
    let mut out = Vec::new();
    let mut s = CsvSink::new(&mut out);
    s.finish().unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), format!("{CSV_HEADER}\n"));
}

#[test]
fn ocsf_required_keys() {
    let mut f = sample(Level::High);
    f.entity.ip = Some("10.0.0.5".into());
    let text = render(Format::Ocsf, &[f.clone()]);
    assert_eq!(text.lines().count(), 1);
    let v: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(v["class_uid"], 2004);
    assert_eq!(v["category_uid"], 2);
    assert_eq!(v["activity_id"], 1);
    assert_eq!(v["type_uid"], 200401);
    assert_eq!(v["time"], 1_795_860_000_500_i64);
    assert_eq!(v["severity_id"], 4);
    assert_eq!(v["metadata"]["product"]["name"], "phiwatch");
    assert_eq!(v["metadata"]["product"]["vendor_name"], "phiwatch");
    assert_eq!(v["metadata"]["version"], "1.3.0");
    let info = &v["finding_info"];
    assert_eq!(info["uid"], f.id.as_str());
    assert_eq!(info["title"], "Bulk export of patient records");
    assert_eq!(info["desc"], f.summary.as_str());
    assert_eq!(info["types"][0], "sigma");
    assert_eq!(info["analytic"]["uid"], f.rule.id.as_str());
    assert_eq!(info["analytic"]["type_id"], 1);
    assert_eq!(info["first_seen_time"], 1_795_860_000_500_i64);
    assert_eq!(info["last_seen_time"], 1_795_860_300_000_i64);
    let attack = &info["attacks"][0];
    assert_eq!(attack["tactic"]["uid"], "TA0010");
    assert_eq!(attack["tactic"]["name"], "Exfiltration");
    assert_eq!(attack["technique"]["uid"], "T1567");
    assert_eq!(attack["sub_technique"]["uid"], "T1567.002");
    assert_eq!(info["attacks"].as_array().unwrap().len(), 1);
    assert_eq!(v["evidences"][1]["data"]["source"], "logs/pgaudit.log:42");
    let obs = v["observables"].as_array().unwrap();
    let pairs: Vec<(i64, &str)> = obs
        .iter()
        .map(|o| (o["type_id"].as_i64().unwrap(), o["value"].as_str().unwrap()))
        .collect();
    assert_eq!(pairs, [(4, "alice"), (1, "ws-17"), (2, "10.0.0.5")]);
    assert_eq!(
        v["unmapped"]["phiwatch"]["metrics"]["rows"].as_f64(),
        Some(12000.0)
    );
}

#[test]
fn ocsf_severity_mapping() {
    let findings: Vec<Finding> = Level::ALL.iter().map(|&l| sample(l)).collect();
    let text = render(Format::Ocsf, &findings);
    let sev: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["severity_id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(sev, [1, 2, 3, 4, 5]);
}

#[test]
fn ocsf_unlinked_tactic_and_technique_get_their_own_entries() {
    let mut f = sample(Level::Low);
    f.tags = common::tags(&["attack.collection", "attack.t1567"]);
    f.attack = phiwatch_finding::attack_from_tags(&f.tags);
    let v: Value = serde_json::from_str(render(Format::Ocsf, &[f]).trim_end()).unwrap();
    let attacks = v["finding_info"]["attacks"].as_array().unwrap();
    assert_eq!(attacks.len(), 2);
    assert_eq!(attacks[0]["technique"]["uid"], "T1567");
    assert!(attacks[0].get("tactic").is_none());
    assert_eq!(attacks[1]["tactic"]["uid"], "TA0009");
}

#[test]
fn table_has_rows_and_counts_line() {
    let mut findings = vec![
        sample(Level::High),
        sample(Level::High),
        sample(Level::Critical),
    ];
    findings[1].summary = "evil\x1b[2J summary".into();
    findings[2].evidence.clear();
    let text = render(Format::Table, &findings);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("TIME"));
    assert!(lines[0].contains("SUMMARY"));
    assert!(lines[1].starts_with("2026-11-28T10:00:00Z  high"));
    assert!(lines[1].contains("user=alice host=ws-17"));
    assert!(lines[1].contains("2 logs/pgaudit.log:17"));
    assert!(!text.contains('\x1b'), "terminal escapes are neutralised");
    assert_eq!(
        lines[4],
        "3 findings (critical 1, high 2, medium 0, low 0, informational 0)"
    );
    // Columns line up: LEVEL starts at the same offset on every row.
    let col = lines[0].find("LEVEL").unwrap();
    assert!(lines[1..4]
        .iter()
        .all(|l| l[col..].starts_with("high") || l[col..].starts_with("critical")));
}

#[test]
fn table_without_findings_prints_only_counts() {
    assert_eq!(
        render(Format::Table, &[]),
        "0 findings (critical 0, high 0, medium 0, low 0, informational 0)\n"
    );
}

#[test]
fn table_batches_keep_every_row() {
    let findings: Vec<Finding> = (0..300).map(|_| sample(Level::Medium)).collect();
    let text = render(Format::Table, &findings);
    assert_eq!(text.lines().count(), 302);
    assert_eq!(text.matches("TIME").count(), 1);
    assert!(
        text.ends_with("300 findings (critical 0, high 0, medium 300, low 0, informational 0)\n")
    );
}

#[test]
fn counts_by_level_and_detector() {
    let mut c = Counts::default();
    let mut phi = sample(Level::Critical);
    phi.detector = Detector::Phi;
    phi.evidence.push(Evidence {
        source: "x:1".into(),
        time: ts("2026-11-28T11:00:00Z"),
        record: None,
    });
    for f in [sample(Level::High), sample(Level::Low), phi] {
        c.add(&f);
    }
    assert_eq!(c.total, 3);
    assert_eq!(c.level(Level::Critical), 1);
    assert_eq!(c.level(Level::Medium), 0);
    assert_eq!(c.detector(Detector::Sigma), 2);
    assert_eq!(c.detector(Detector::Phi), 1);
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["by_level"]["high"], 1);
    assert_eq!(v["by_detector"]["phi"], 1);
    let mut one = Counts::default();
    one.add(&sample(Level::Low));
    assert_eq!(
        one.to_string(),
        "1 finding (critical 0, high 0, medium 0, low 1, informational 0)"
    );
}
