//! STIX 2.1 import: the OASIS example bundles (tests/data/oasis) and
//! hand-made edge cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_event::Timestamp;
use phiwatch_intel::stix::{self, compile_pattern, parse_pattern};
use phiwatch_intel::{HashKind, Indicator, KillChainPhase, LoadReport, Observable};
use proptest::prelude::*;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339(b"2026-01-01T00:00:00Z").unwrap()
}

fn oasis(name: &str) -> (Vec<Indicator>, LoadReport) {
    let path = format!("{}/tests/data/oasis/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut report = LoadReport::default();
    let found = stix::load(&text, name, now(), &mut report);
    (found, report)
}

fn load(text: &str) -> (Vec<Indicator>, LoadReport) {
    let mut report = LoadReport::default();
    let found = stix::load(text, "hand.json", now(), &mut report);
    (found, report)
}

fn ip(s: &str) -> Observable {
    Observable::Ip(phiwatch_intel::parse_ip_net(s).unwrap())
}

/// A bundle of indicators, each `(id, pattern, extra JSON members)`.
fn bundle(items: &[(&str, &str, &str)]) -> String {
    let objects: Vec<String> = items
        .iter()
        .map(|(id, pattern, extra)| {
            let pattern = serde_json::to_string(pattern).unwrap();
            format!(
                r#"{{"type": "indicator", "spec_version": "2.1", "id": "{id}", "pattern_type": "stix",
                   "pattern": {pattern}, "valid_from": "2024-01-01T00:00:00Z"{extra}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type": "bundle", "id": "bundle--1", "objects": [{}]}}"#,
        objects.join(",")
    )
}

fn reasons(report: &LoadReport) -> Vec<(String, String)> {
    report
        .problems
        .iter()
        .map(|p| (p.location.clone(), p.reason.clone()))
        .collect()
}

#[test]
fn oasis_c2_ip_address() {
    let (found, report) = oasis("indicator-for-c2-ip-address.json");
    assert_eq!((report.read, report.loaded, report.expired), (1, 1, 0));
    assert!(report.problems.is_empty());
    let ind = &found[0];
    assert_eq!(ind.id, "indicator--33fe3b22-0201-47cf-85d0-97c02164528d");
    assert_eq!(ind.name, "IP Address for known C2 channel");
    assert_eq!(ind.source, "indicator-for-c2-ip-address.json");
    assert_eq!(ind.any_of, vec![vec![ip("10.0.0.0")]]);
    assert_eq!(
        ind.pattern.as_deref(),
        Some("[ipv4-addr:value = '10.0.0.0']")
    );
    assert_eq!(ind.labels, vec!["malicious-activity".to_string()]);
    assert_eq!(
        ind.valid_from,
        Timestamp::parse_rfc3339(b"2014-05-08T09:00:00Z")
    );
    assert_eq!(ind.valid_until, None);
}

#[test]
fn oasis_malicious_url_stix20() {
    let (found, report) = oasis("indicator-for-malicious-URL.json");
    assert_eq!((report.read, report.loaded), (1, 1));
    assert_eq!(
        found[0].id,
        "indicator--d81f86b9-975b-bc0b-775e-810c5ad45a4f"
    );
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::Url("http://x4z9arb.cn/4712/".into())]]
    );
    // The malware's kill chain is not the indicator's.
    assert!(found[0].kill_chain.is_empty());
}

#[test]
fn oasis_file_hash_unquoted_sha256() {
    let (found, report) = oasis("malware-indicator-for-file-hash.json");
    assert_eq!((report.read, report.loaded), (1, 1));
    let sha = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c";
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::FileHash(HashKind::Sha256, sha.into())]]
    );
    assert_eq!(
        found[0].description.as_deref(),
        Some("This file hash indicates that a sample of Poison Ivy is present.")
    );
}

#[test]
fn oasis_kill_chain_phase() {
    let (found, report) = oasis("linking-an-indicator-to-kill-chain-phase.json");
    assert_eq!((report.read, report.loaded), (1, 1));
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::FileName("crypt1.exe".into())]]
    );
    assert_eq!(
        found[0].kill_chain,
        vec![KillChainPhase {
            chain: "organization-specific-kill-chain".into(),
            phase: "infect-machine".into()
        }]
    );
}

#[test]
fn oasis_email_patterns_are_reported_not_dropped() {
    let (found, report) = oasis("malicious-email-indicator-with-attachment.json");
    assert!(found.is_empty());
    assert_eq!((report.read, report.loaded), (2, 0));
    let r = reasons(&report);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].0, "indicator--8cf9236f-1b96-493d-98be-0c1c1e8b62d7");
    assert!(
        r[0].1.contains("property email-message:subject"),
        "{}",
        r[0].1
    );
    assert_eq!(r[1].0, "indicator--2e17f6fe-3a4d-438a-911a-e509ba1b9933");
    assert!(r[1].1.contains("list path"), "{}", r[1].1);
    assert!(report
        .problems
        .iter()
        .all(|p| p.source == "malicious-email-indicator-with-attachment.json"));
}

#[test]
fn oasis_c2_with_coa_has_an_invalid_pattern() {
    let (found, report) = oasis("indicators-for-C2-with-COA.json");
    assert_eq!((report.read, report.loaded), (2, 1));
    assert_eq!(
        found[0].id,
        "indicator--53fe3b22-0201-47cf-85d0-97c02164528d"
    );
    assert_eq!(found[0].labels, vec!["ip-watchlist".to_string()]);
    let r = reasons(&report);
    assert_eq!(r[0].0, "indicator--a932fcc6-e032-176c-126f-cb970a5a1ade");
    assert!(
        r[0].1.starts_with("pattern syntax error at byte 12"),
        "{}",
        r[0].1
    );
}

#[test]
fn oasis_sighting_bundle() {
    let (found, report) = oasis("sighting-of-an-indicator.json");
    assert_eq!((report.read, report.loaded), (1, 1));
    assert!(
        report.problems.is_empty(),
        "sightings and identities are not problems"
    );
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::Url("http://paypa1.banking.com/".into())]]
    );
}

#[test]
fn oasis_poisonivy_report_with_flawed_patterns() {
    let (found, report) = oasis("poisonivy.json");
    assert_eq!((report.read, report.loaded, report.expired), (25, 5, 0));
    assert_eq!(report.problems.len(), 20);
    let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "indicator--137acf67-cedc-4a07-8719-72759174de3a",
            "indicator--fead5c52-9533-405c-b822-a034092a1ba8",
            "indicator--4d58096e-b5c9-47d8-af9a-1af5f4762d6b",
            "indicator--9c725598-a160-4e91-8b93-ed0956709892",
            "indicator--0b71628d-31dd-4eb8-baee-39f19c0a14b0",
        ]
    );
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::FileName("CBricksDoc".into())]]
    );
    assert_eq!(
        found[1].any_of,
        vec![vec![Observable::Domain("send.have8000.com".into())]]
    );
    assert_eq!(
        found[1].labels,
        vec!["malicious-activity".to_string(), "attribution".to_string()]
    );
    let why = |id: &str| {
        let p = report.problems.iter().find(|p| p.location == id);
        p.map(|p| p.reason.clone()).unwrap_or_default()
    };
    // `ipv4addr:value = '…'` without brackets.
    let r = why("indicator--e8094b09-7df4-4b13-b207-1e27af3c4bde");
    assert!(
        r.starts_with("pattern syntax error at byte 0: expected an observation"),
        "{r}"
    );
    // `[…].` with a trailing dot.
    let r = why("indicator--329ae6e9-25bd-49e8-89d1-aae4ca52e4a7");
    assert!(r.contains("unexpected '.' after the pattern"), "{r}");
    // `ipv4addr` is not a STIX type (ipv4-addr is): not silently half-used.
    let r = why("indicator--2e59f00b-0986-437e-9ebd-e0d61900d688");
    assert!(r.contains("object type ipv4addr is not evaluated"), "{r}");
    let r = why("indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40");
    assert!(
        r.contains("'domain autuo.xicp.net': not a domain name"),
        "{r}"
    );
}

#[test]
fn ipv6_cidr_and_in_sets() {
    let g = compile_pattern(
        "[ipv6-addr:value ISSUBSET '2001:DB8::/32'] OR [ipv4-addr:value IN ('198.51.100.1', '203.0.113.0/24')]",
    )
    .unwrap();
    assert_eq!(
        g,
        vec![
            vec![ip("2001:db8::/32")],
            vec![ip("198.51.100.1")],
            vec![ip("203.0.113.0/24")]
        ]
    );
    // Overlapping networks stay separate alternatives.
    let g = compile_pattern(
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8' OR ipv4-addr:value ISSUBSET '10.1.0.0/16']",
    )
    .unwrap();
    assert_eq!(g.len(), 2);
    let (_, report) = load(&bundle(&[(
        "indicator--bad",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/33']",
        "",
    )]));
    assert!(reasons(&report)[0].1.contains("not a network"));
}

#[test]
fn domains_are_normalized() {
    let text = bundle(&[
        (
            "indicator--idn",
            "[domain-name:value = 'Bücher.Example.']",
            "",
        ),
        (
            "indicator--dot",
            "[domain-name:value = 'EVIL.example.']",
            "",
        ),
    ]);
    let (found, report) = load(&text);
    assert_eq!(report.loaded, 2);
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::Domain("xn--bcher-kva.example".into())]]
    );
    assert_eq!(
        found[1].any_of,
        vec![vec![Observable::Domain("evil.example".into())]]
    );
}

#[test]
fn uppercase_hashes_are_lowercased() {
    let md5 = "D41D8CD98F00B204E9800998ECF8427E";
    let text = bundle(&[(
        "indicator--h",
        &format!("[file:hashes.'MD5' = '{md5}']"),
        "",
    )]);
    let (found, _) = load(&text);
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::FileHash(
            HashKind::Md5,
            md5.to_ascii_lowercase()
        )]]
    );
}

#[test]
fn expired_indicators_are_counted_and_skipped() {
    let text = bundle(&[
        (
            "indicator--old",
            "[ipv4-addr:value = '192.0.2.1']",
            r#", "valid_until": "2025-06-01T00:00:00Z""#,
        ),
        (
            "indicator--new",
            "[ipv4-addr:value = '192.0.2.2']",
            r#", "valid_until": "2027-06-01T00:00:00Z""#,
        ),
        (
            "indicator--bad",
            "[ipv4-addr:value = '192.0.2.3']",
            r#", "valid_until": "soon""#,
        ),
    ]);
    let (found, report) = load(&text);
    assert_eq!((report.read, report.loaded, report.expired), (3, 1, 1));
    assert_eq!(found[0].id, "indicator--new");
    assert_eq!(
        found[0].valid_until,
        Timestamp::parse_rfc3339(b"2027-06-01T00:00:00Z")
    );
    assert_eq!(
        reasons(&report),
        vec![(
            "indicator--bad".into(),
            "valid_until \"soon\" is not a STIX timestamp".into()
        )]
    );
}

#[test]
fn unsupported_patterns_are_reported_with_reasons() {
    let cases = [
        (
            "indicator--fb",
            "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [url:value = 'http://a.example/']",
            "FOLLOWEDBY",
        ),
        (
            "indicator--within",
            "[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS",
            "WITHIN 300 SECONDS",
        ),
        (
            "indicator--like",
            "[domain-name:value LIKE '%.example']",
            "operator LIKE",
        ),
        (
            "indicator--neq",
            "[ipv4-addr:value != '192.0.2.1']",
            "operator !=",
        ),
        (
            "indicator--type",
            "[mutex:name = 'Global\\\\evil']",
            "object type mutex",
        ),
        (
            "indicator--and",
            "[ipv4-addr:value = '192.0.2.1'] AND [url:value = 'http://a.example/']",
            "correlation across events",
        ),
        (
            "indicator--syntax",
            "[ipv4-addr:value = '192.0.2.1'",
            "pattern syntax error at byte 30",
        ),
    ];
    let items: Vec<(&str, &str, &str)> = cases.iter().map(|(id, p, _)| (*id, *p, "")).collect();
    let (found, report) = load(&bundle(&items));
    assert!(found.is_empty());
    assert_eq!((report.read, report.loaded), (cases.len(), 0));
    let r = reasons(&report);
    assert_eq!(r.len(), cases.len());
    for ((id, _, want), (loc, why)) in cases.iter().zip(&r) {
        assert_eq!(id, loc);
        assert!(why.contains(want), "{id}: {why}");
    }
}

#[test]
fn other_pattern_types_are_reported() {
    let text = r#"[{"type": "indicator", "id": "indicator--sigma", "pattern_type": "sigma",
        "pattern": "title: x", "valid_from": "2024-01-01T00:00:00Z"},
        {"type": "malware", "id": "malware--1", "name": "ignored"}]"#;
    let (found, report) = load(text);
    assert!(found.is_empty());
    assert_eq!(report.read, 1);
    assert_eq!(
        reasons(&report),
        vec![(
            "indicator--sigma".into(),
            "pattern_type sigma is not evaluated".into()
        )]
    );
}

#[test]
fn metadata_and_attack_techniques() {
    let text = r#"{"type": "bundle", "id": "bundle--2", "objects": [
      {"type": "indicator", "spec_version": "2.1", "id": "indicator--meta", "pattern_type": "stix",
       "pattern": "[url:value = 'https://exfil.example/upload']", "valid_from": "2024-01-01T00:00:00Z",
       "confidence": 85, "labels": ["exfil"], "indicator_types": ["malicious-activity", "exfil"],
       "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "exfiltration"}],
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1567.002"},
                               {"source_name": "capec", "external_id": "CAPEC-1"}]},
      {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--c2", "name": "Web Protocols",
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1071.001"}],
       "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}]},
      {"type": "relationship", "spec_version": "2.1", "id": "relationship--1", "relationship_type": "indicates",
       "source_ref": "indicator--meta", "target_ref": "attack-pattern--c2"}
    ]}"#;
    let (found, report) = load(text);
    assert_eq!((report.read, report.loaded), (1, 1));
    let ind = &found[0];
    assert_eq!(
        ind.name, "[url:value = 'https://exfil.example/upload']",
        "no name: the pattern"
    );
    assert_eq!(ind.confidence, Some(85));
    assert_eq!(
        ind.labels,
        vec!["exfil".to_string(), "malicious-activity".to_string()]
    );
    assert_eq!(
        ind.techniques,
        vec!["T1567.002".to_string(), "T1071.001".to_string()]
    );
    let phases: Vec<&str> = ind.kill_chain.iter().map(|k| k.phase.as_str()).collect();
    assert_eq!(phases, vec!["exfiltration", "command-and-control"]);
}

#[test]
fn bare_indicator_and_bad_files() {
    let (found, report) = load(
        r#"{"type": "indicator", "id": "indicator--bare", "pattern": "[email-addr:value = 'Bad@Evil.Example']"}"#,
    );
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::Email("bad@evil.example".into())]]
    );
    assert_eq!(report.loaded, 1);
    let (found, report) = load("{not json");
    assert!(found.is_empty());
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.read, 0);
    assert!(report.problems[0].reason.starts_with("not JSON"));
    let (_, report) = load(
        r#"{"type": "indicator", "id": "indicator--r", "revoked": true, "pattern": "[url:value = 'http://a.example/']"}"#,
    );
    assert_eq!(
        reasons(&report),
        vec![("indicator--r".into(), "revoked; not used".into())]
    );
}

proptest! {
    #[test]
    fn parser_never_panics(s in "\\PC{0,200}") {
        let _ = compile_pattern(&s);
    }

    #[test]
    fn parser_never_panics_on_pattern_like_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("["), Just("]"), Just("("), Just(")"), Just(" AND "), Just(" OR "),
                Just(" FOLLOWEDBY "), Just(" NOT "), Just("ipv4-addr:value"), Just("file:hashes.'SHA-256'"),
                Just(" = "), Just(" IN "), Just(" ISSUBSET "), Just("'10.0.0.0/8'"), Just("('a', 'b')"),
                Just(" WITHIN 5 SECONDS"), Just("t'2020-01-01T00:00:00Z'"), Just("[*]"), Just("'\\'"),
                Just("h'0"), Just("EXISTS "), Just(","), Just("-"), Just("1.5"),
            ],
            0..40,
        )
    ) {
        let text: String = parts.concat();
        if let Ok(p) = parse_pattern(&text) {
            let _ = stix::compile(&p);
        }
    }
}
