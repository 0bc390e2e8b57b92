//! Export: the STIX 2.1 bundle (checked by the OASIS validator when it is
//! installed), the Zeek intel file and CSV, from hand-built observed items.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use phiwatch_event::Timestamp;
use phiwatch_intel::export::{
    csv, deterministic_uuid, stix_bundle, stix_export, to_string, zeek_export, zeek_intel,
    Observed, CSV_HEADER, ZEEK_HEADER,
};
use phiwatch_intel::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net, stix, HashKind,
    Indicator, KillChainPhase, LoadReport, Observable,
};
use serde_json::Value;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s.as_bytes()).unwrap()
}

fn ip(s: &str) -> Observable {
    Observable::Ip(parse_ip_net(s).unwrap())
}

fn seen(indicator: Indicator, count: u64, ours: bool) -> Observed {
    Observed {
        indicator,
        first_seen: ts("2024-03-01T12:00:00.123456789Z"),
        last_seen: ts("2024-03-02T08:30:00Z"),
        count,
        observed_by_phiwatch: ours,
    }
}

fn imported(o: Observable) -> Indicator {
    Indicator::of(o, "intel/vendor.json")
}

/// The original-pattern indicator, with everything optional set.
fn c2_indicator() -> Indicator {
    Indicator {
        id: "indicator--0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3".into(),
        name: "Vendor C2".into(),
        source: "intel/vendor.json".into(),
        any_of: vec![
            vec![Observable::Domain("c2.example".into())],
            vec![ip("192.0.2.66")],
        ],
        pattern: Some(
            "[domain-name:value = 'c2.example'] OR [ipv4-addr:value = '192.0.2.66']".into(),
        ),
        valid_from: Some(ts("2024-01-01T00:00:00Z")),
        valid_until: Some(ts("2025-01-01T00:00:00Z")),
        confidence: Some(85),
        labels: vec!["compromised".into(), "apt-x".into()],
        kill_chain: vec![KillChainPhase {
            chain: "mitre-attack".into(),
            phase: "command-and-control".into(),
        }],
        techniques: vec!["T1071.001".into()],
        description: Some("C2 server of the\tvendor breach\nsecond line".into()),
    }
}

/// Every kind the tests cover, in order; the last (JA3 only) has no STIX form.
fn items() -> Vec<Observed> {
    let (sha_kind, sha) = normalize_hash(&"AB".repeat(32), None).unwrap();
    let (cert_kind, cert) = normalize_hash(&"0f".repeat(20), Some(HashKind::Sha1)).unwrap();
    let mut both = imported(Observable::Email(
        normalize_email("Ops@Evil.Example").unwrap(),
    ));
    both.id = "and-group".into();
    both.name = "Mail and host".into();
    both.any_of = vec![vec![
        Observable::Email(normalize_email("ops@evil.example").unwrap()),
        ip("192.0.2.9"),
    ]];
    vec![
        seen(Indicator::of(ip("203.0.113.7"), "phiwatch"), 12, true),
        seen(imported(ip("198.51.100.0/24")), 3, false),
        seen(imported(ip("2001:DB8::5")), 1, false),
        seen(imported(ip("2001:db8:ff::/48")), 2, false),
        seen(
            imported(Observable::Domain(
                normalize_domain("Bücher.Example.").unwrap(),
            )),
            4,
            false,
        ),
        seen(
            imported(Observable::Url(
                normalize_url("http://evil.example/it's").unwrap(),
            )),
            5,
            false,
        ),
        seen(imported(Observable::FileHash(sha_kind, sha)), 6, false),
        seen(imported(Observable::CertHash(cert_kind, cert)), 1, false),
        seen(
            imported(Observable::Email(
                normalize_email("Bad.Actor@Evil.Example").unwrap(),
            )),
            7,
            false,
        ),
        seen(
            imported(Observable::UserAgent("Mozilla/5.0 (X'11)".into())),
            8,
            false,
        ),
        seen(
            imported(Observable::FileName(r"C:\Temp\o'brien.exe".into())),
            9,
            false,
        ),
        seen(both, 1, false),
        seen(c2_indicator(), 2_000_000_000, false),
        seen(
            imported(Observable::Ja3("e7d705a3286e19ea42f587b344ee6865".into())),
            10,
            false,
        ),
    ]
}

fn created() -> Timestamp {
    ts("2024-04-01T00:00:00Z")
}

fn objects(bundle: &Value) -> &Vec<Value> {
    bundle["objects"].as_array().unwrap()
}

fn of_type<'a>(bundle: &'a Value, ty: &str) -> Vec<&'a Value> {
    objects(bundle).iter().filter(|o| o["type"] == ty).collect()
}

/// `kind--uuid` with a lowercase version-4, RFC 4122-variant UUID.
fn assert_stix_id(id: &str, kind: &str) {
    let uuid = id
        .strip_prefix(&format!("{kind}--"))
        .unwrap_or_else(|| panic!("{id}"));
    let b = uuid.as_bytes();
    assert_eq!(b.len(), 36, "{id}");
    for (i, c) in b.iter().enumerate() {
        match i {
            8 | 13 | 18 | 23 => assert_eq!(*c, b'-', "{id}"),
            _ => assert!(c.is_ascii_digit() || (b'a'..=b'f').contains(c), "{id}"),
        }
    }
    assert_eq!(b[14], b'4', "version in {id}");
    assert!(
        matches!(b[19], b'8' | b'9' | b'a' | b'b'),
        "variant in {id}"
    );
}

#[test]
fn bundle_has_identity_indicators_and_sightings() {
    let bundle = stix_bundle(&items(), created());
    assert_eq!(bundle["type"], "bundle");
    assert_stix_id(bundle["id"].as_str().unwrap(), "bundle");
    assert_eq!(objects(&bundle).len(), 1 + 13 * 2);
    let identities = of_type(&bundle, "identity");
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["name"], "phiwatch");
    assert_eq!(identities[0]["identity_class"], "system");
    assert_eq!(of_type(&bundle, "indicator").len(), 13);
    assert_eq!(of_type(&bundle, "sighting").len(), 13);
    let identity = identities[0]["id"].as_str().unwrap();
    assert_stix_id(identity, "identity");
    for o in objects(&bundle) {
        let ty = o["type"].as_str().unwrap();
        assert_stix_id(o["id"].as_str().unwrap(), ty);
        assert_eq!(o["spec_version"], "2.1");
        assert_eq!(o["created"], "2024-04-01T00:00:00.000Z");
        assert_eq!(o["modified"], "2024-04-01T00:00:00.000Z");
        if ty != "identity" {
            assert_eq!(o["created_by_ref"], identity);
        }
    }
}

#[test]
fn ids_are_deterministic() {
    let a = stix_bundle(&items(), created());
    let b = stix_bundle(&items(), created());
    assert_eq!(to_string(&a), to_string(&b));
    // Indicator and sighting ids depend on the indicator id only.
    let later = stix_bundle(&items(), ts("2025-01-01T00:00:00Z"));
    let ids = |bundle: &Value| -> Vec<String> {
        objects(bundle)
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&a), ids(&later));
    assert_ne!(
        a["id"], later["id"],
        "the bundle id covers the creation time"
    );
    let first = of_type(&a, "indicator")[0];
    assert_eq!(
        first["id"],
        format!(
            "indicator--{}",
            deterministic_uuid("indicator", "ip:203.0.113.7")
        )
    );
    let mut all = ids(&a);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), objects(&a).len(), "ids are unique");
}

#[test]
fn sightings_refer_to_indicators_and_carry_counts() {
    let bundle = stix_bundle(&items(), created());
    let indicators = of_type(&bundle, "indicator");
    let sightings = of_type(&bundle, "sighting");
    let identity = of_type(&bundle, "identity")[0]["id"].clone();
    let counts = [12, 3, 1, 2, 4, 5, 6, 1, 7, 8, 9, 1, 999_999_999];
    for ((s, ind), count) in sightings.iter().zip(&indicators).zip(counts) {
        assert_eq!(s["sighting_of_ref"], ind["id"]);
        assert_eq!(s["first_seen"], "2024-03-01T12:00:00.123Z");
        assert_eq!(s["last_seen"], "2024-03-02T08:30:00.000Z");
        assert_eq!(s["count"], count, "{}", ind["name"]);
        assert_eq!(s["where_sighted_refs"], serde_json::json!([identity]));
    }
}

#[test]
fn patterns_per_kind() {
    let bundle = stix_bundle(&items(), created());
    let patterns: Vec<&str> = of_type(&bundle, "indicator")
        .iter()
        .map(|o| o["pattern"].as_str().unwrap())
        .collect();
    let sha = "ab".repeat(32);
    let cert = "0f".repeat(20);
    let expected = [
        "[ipv4-addr:value = '203.0.113.7']".to_string(),
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']".into(),
        "[ipv6-addr:value = '2001:db8::5']".into(),
        "[ipv6-addr:value ISSUBSET '2001:db8:ff::/48']".into(),
        "[domain-name:value = 'xn--bcher-kva.example']".into(),
        r"[url:value = 'http://evil.example/it\'s']".into(),
        format!("[file:hashes.'SHA-256' = '{sha}']"),
        format!("[x509-certificate:hashes.'SHA-1' = '{cert}']"),
        "[email-addr:value = 'bad.actor@evil.example']".into(),
        r"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 (X\'11)']".into(),
        r"[file:name = 'C:\\Temp\\o\'brien.exe']".into(),
        "[email-addr:value = 'ops@evil.example' AND ipv4-addr:value = '192.0.2.9']".into(),
        "[domain-name:value = 'c2.example'] OR [ipv4-addr:value = '192.0.2.66']".into(),
    ];
    assert_eq!(patterns, expected);
    for o in of_type(&bundle, "indicator") {
        assert_eq!(o["pattern_type"], "stix");
    }
}

#[test]
fn indicator_properties() {
    let bundle = stix_bundle(&items(), created());
    let indicators = of_type(&bundle, "indicator");
    let ours = indicators[0];
    assert_eq!(ours["name"], "203.0.113.7");
    assert_eq!(
        ours["indicator_types"],
        serde_json::json!(["malicious-activity"])
    );
    assert_eq!(ours["valid_from"], "2024-03-01T12:00:00.123Z", "first seen");
    assert_eq!(
        ours["description"],
        "Surfaced by phiwatch's own detections."
    );
    for absent in ["valid_until", "kill_chain_phases", "confidence", "labels"] {
        assert!(ours.get(absent).is_none(), "{absent}");
    }
    assert_eq!(
        indicators[1]["description"],
        "Imported indicator sighted by phiwatch."
    );
    let c2 = indicators[12];
    assert_eq!(c2["name"], "Vendor C2");
    assert_eq!(
        c2["description"],
        "C2 server of the\tvendor breach\nsecond line"
    );
    assert_eq!(c2["valid_from"], "2024-01-01T00:00:00.000Z");
    assert_eq!(c2["valid_until"], "2025-01-01T00:00:00.000Z");
    assert_eq!(c2["confidence"], 85);
    assert_eq!(c2["labels"], serde_json::json!(["compromised", "apt-x"]));
    assert_eq!(c2["indicator_types"], serde_json::json!(["compromised"]));
    assert_eq!(
        c2["kill_chain_phases"],
        serde_json::json!([{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}])
    );
    assert_eq!(
        c2["external_references"],
        serde_json::json!([{"source_name": "mitre-attack", "external_id": "T1071.001"}])
    );
}

#[test]
fn fingerprints_are_left_out_and_counted() {
    let export = stix_export(&items(), created());
    let s = &export.summary;
    assert_eq!(
        (s.items, s.merged, s.indicators, s.sightings, s.skipped),
        (14, 0, 13, 13, 1)
    );
    assert_eq!(s.left_out.len(), 1);
    assert_eq!(
        s.left_out[0].indicator_id,
        "ja3:e7d705a3286e19ea42f587b344ee6865"
    );
    let names: Vec<&Value> = of_type(&export.output, "indicator")
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert!(!names.contains(&&Value::from("e7d705a3286e19ea42f587b344ee6865")));

    // A JA3 beside a domain: the domain is exported, the JA3 named.
    let mut mixed = imported(Observable::Domain("evil.example".into()));
    mixed.any_of.push(vec![Observable::Ja3(
        "e7d705a3286e19ea42f587b344ee6865".into(),
    )]);
    let export = stix_export(&[seen(mixed, 1, false)], created());
    let ind = &of_type(&export.output, "indicator")[0];
    assert_eq!(ind["pattern"], "[domain-name:value = 'evil.example']");
    assert_eq!(
        ind["description"],
        "Imported indicator sighted by phiwatch. Not in the pattern (no STIX form): ja3 e7d705a3286e19ea42f587b344ee6865."
    );
    assert_eq!(
        (export.summary.skipped, export.summary.left_out.len()),
        (0, 1)
    );
}

#[test]
fn same_indicator_twice_is_merged() {
    let mut a = seen(Indicator::of(ip("203.0.113.7"), "phiwatch"), 2, true);
    let mut b = seen(Indicator::of(ip("203.0.113.7"), "phiwatch"), 3, false);
    a.first_seen = ts("2024-02-01T00:00:00Z");
    b.last_seen = ts("2024-05-01T00:00:00Z");
    let export = stix_export(&[a, b], created());
    assert_eq!(export.summary.merged, 1);
    let sightings = of_type(&export.output, "sighting");
    assert_eq!(sightings.len(), 1);
    assert_eq!(sightings[0]["first_seen"], "2024-02-01T00:00:00.000Z");
    assert_eq!(sightings[0]["last_seen"], "2024-05-01T00:00:00.000Z");
    assert_eq!(sightings[0]["count"], 5);
}

#[test]
fn pretty_text_parses_back() {
    let bundle = stix_bundle(&items(), created());
    let text = to_string(&bundle);
    assert!(text.starts_with("{\n  \""));
    assert!(text.ends_with("}\n"));
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, bundle);
}

fn canonical(any_of: &[Vec<Observable>]) -> Vec<Vec<Observable>> {
    let mut groups: Vec<Vec<Observable>> = any_of
        .iter()
        .map(|g| {
            let mut g = g.clone();
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

#[test]
fn bundle_reimports_to_the_same_indicators() {
    let items = items();
    let text = to_string(&stix_bundle(&items, created()));
    let mut report = LoadReport::default();
    let back = stix::load(&text, "export.json", created(), &mut report);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.read, report.loaded), (13, 13));
    // The JA3-only indicator (last) is not in the bundle.
    for (orig, again) in items.iter().map(|o| &o.indicator).zip(&back) {
        // The same groups, in any order (the importer sorts them).
        assert_eq!(
            canonical(&again.any_of),
            canonical(&orig.any_of),
            "{}",
            orig.id
        );
        assert_eq!(again.name, orig.name);
        assert_eq!(
            again.id,
            format!("indicator--{}", deterministic_uuid("indicator", &orig.id))
        );
        assert_eq!(again.confidence, orig.confidence);
        assert_eq!(again.kill_chain, orig.kill_chain);
        assert_eq!(again.techniques, orig.techniques);
        assert_eq!(again.valid_until, orig.valid_until);
        assert_eq!(
            again.valid_from,
            Some(orig.valid_from.unwrap_or(items[0].first_seen)).map(|t| {
                // Exported with milliseconds.
                Timestamp::from_nanos(t.as_nanos() - t.as_nanos().rem_euclid(1_000_000))
            })
        );
    }
    assert_eq!(back[12].description, c2_indicator().description);
    assert_eq!(back[12].labels, c2_indicator().labels);
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn validator_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import stix2validator"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `scripts/stix-validate.py` on `bundle`; returns whether it passed
/// and its output.
fn validate(bundle: &Value, name: &str) -> (bool, String) {
    let path = std::env::temp_dir().join(format!(
        "phiwatch-export-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, to_string(bundle)).unwrap();
    let script = workspace_root().join("scripts/stix-validate.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn bundle_passes_the_oasis_validator() {
    if !validator_installed() {
        // CI installs it and sets this, so there the check always runs.
        assert!(
            std::env::var_os("PHIWATCH_REQUIRE_STIX_VALIDATOR").is_none(),
            "stix2-validator is required (PHIWATCH_REQUIRE_STIX_VALIDATOR) but not installed"
        );
        eprintln!("note: stix2-validator not installed (pip install stix2-validator); validation skipped here, CI runs it");
        return;
    }
    let (ok, out) = validate(&stix_bundle(&items(), created()), "good");
    assert!(ok, "{out}");
    // The script does fail on an invalid bundle.
    let mut bad = stix_bundle(&items(), created());
    bad["objects"][1]["pattern"] = "[ipv4-addr:value = ".into();
    bad["objects"][2]["id"] = "sighting--not-a-uuid".into();
    let (ok, out) = validate(&bad, "bad");
    assert!(!ok, "{out}");
}

#[test]
fn zeek_intel_lines() {
    let export = zeek_export(&items());
    let seen = "seen {} times, 2024-03-01T12:00:00.123Z to 2024-03-02T08:30:00.000Z";
    let desc =
        |name: &str, count: u64| format!("{name}; {}", seen.replace("{}", &count.to_string()));
    let src = "intel/vendor.json";
    let sha = "ab".repeat(32);
    let cert = "0f".repeat(20);
    let expected = [
        ZEEK_HEADER.to_string(),
        format!(
            "203.0.113.7\tIntel::ADDR\tphiwatch\t{}",
            desc("203.0.113.7", 12)
        ),
        format!(
            "198.51.100.0/24\tIntel::SUBNET\t{src}\t{}",
            desc("198.51.100.0/24", 3)
        ),
        format!(
            "2001:db8::5\tIntel::ADDR\t{src}\t{}",
            desc("2001:db8::5", 1)
        ),
        format!(
            "2001:db8:ff::/48\tIntel::SUBNET\t{src}\t{}",
            desc("2001:db8:ff::/48", 2)
        ),
        format!(
            "xn--bcher-kva.example\tIntel::DOMAIN\t{src}\t{}",
            desc("xn--bcher-kva.example", 4)
        ),
        format!(
            "evil.example/it's\tIntel::URL\t{src}\t{}",
            desc("http://evil.example/it's", 5)
        ),
        format!("{sha}\tIntel::FILE_HASH\t{src}\t{}", desc(&sha, 6)),
        format!("{cert}\tIntel::CERT_HASH\t{src}\t{}", desc(&cert, 1)),
        format!(
            "bad.actor@evil.example\tIntel::EMAIL\t{src}\t{}",
            desc("bad.actor@evil.example", 7)
        ),
        format!(
            "Mozilla/5.0 (X'11)\tIntel::SOFTWARE\t{src}\t{}",
            desc("Mozilla/5.0 (X'11)", 8)
        ),
        format!(
            "{}\tIntel::FILE_NAME\t{src}\t{}",
            r"C:\Temp\o'brien.exe",
            desc(r"C:\Temp\o'brien.exe", 9)
        ),
        // The AND group (email + address) has no Zeek form.
        format!(
            "c2.example\tIntel::DOMAIN\t{src}\t{}",
            desc("C2 server of the vendor breach second line", 2_000_000_000)
        ),
        format!(
            "192.0.2.66\tIntel::ADDR\t{src}\t{}",
            desc("C2 server of the vendor breach second line", 2_000_000_000)
        ),
    ];
    let lines: Vec<&str> = export.output.lines().collect();
    assert_eq!(lines.len(), expected.len());
    for (got, want) in lines.iter().zip(&expected) {
        assert_eq!(*got, want.as_str());
    }
    assert!(export.output.ends_with('\n'));
    let s = &export.summary;
    assert_eq!((s.indicators, s.lines, s.skipped), (12, 13, 2));
    let reasons: Vec<(&str, &str)> = s
        .left_out
        .iter()
        .map(|l| (l.indicator_id.as_str(), l.reason))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert_eq!(reasons[0].0, "and-group");
    assert!(reasons[0].1.contains("AND group"));
    assert!(reasons[2].1.contains("fingerprint"));
    assert_eq!(zeek_intel(&items()), export.output);
}

#[test]
fn csv_rows() {
    let text = csv(&items());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    let times = "2024-03-01T12:00:00.123Z,2024-03-02T08:30:00.000Z";
    let src = "intel/vendor.json";
    assert_eq!(
        lines[1],
        format!("ip:203.0.113.7,203.0.113.7,ip,203.0.113.7,{times},12,phiwatch,true")
    );
    assert_eq!(
        lines[2],
        format!("ip:198.51.100.0/24,198.51.100.0/24,ip,198.51.100.0/24,{times},3,{src},false")
    );
    assert_eq!(
        lines[10],
        format!("user-agent:Mozilla/5.0 (X'11),Mozilla/5.0 (X'11),user-agent,Mozilla/5.0 (X'11),{times},8,{src},false")
    );
    assert_eq!(
        lines[11],
        format!(
            r"file-name:C:\Temp\o'brien.exe,C:\Temp\o'brien.exe,file-name,C:\Temp\o'brien.exe,{times},9,{src},false"
        )
    );
    // The AND group gives one row per observable.
    assert_eq!(
        lines[12],
        format!("and-group,Mail and host,email,ops@evil.example,{times},1,{src},false")
    );
    assert_eq!(
        lines[13],
        format!("and-group,Mail and host,ip,192.0.2.9,{times},1,{src},false")
    );
    let c2 = "indicator--0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3,Vendor C2";
    assert_eq!(
        lines[14],
        format!("{c2},domain,c2.example,{times},2000000000,{src},false")
    );
    assert_eq!(
        lines[15],
        format!("{c2},ip,192.0.2.66,{times},2000000000,{src},false")
    );
    // JA3 has no STIX or Zeek form but is in the CSV.
    assert_eq!(
        lines[16],
        format!("ja3:e7d705a3286e19ea42f587b344ee6865,e7d705a3286e19ea42f587b344ee6865,ja3,e7d705a3286e19ea42f587b344ee6865,{times},10,{src},false")
    );
    assert_eq!(lines.len(), 17);
}

#[test]
fn csv_quotes_what_needs_it() {
    let mut ind = imported(Observable::UserAgent("a, \"b\"".into()));
    ind.name = "line one\nline two".into();
    ind.pattern = None;
    let text = csv(&[seen(ind, 1, false)]);
    let body = text.strip_prefix(CSV_HEADER).unwrap();
    let want = concat!(
        "\n\"user-agent:a, \"\"b\"\"\",\"line one\nline two\",user-agent,\"a, \"\"b\"\"\",",
        "2024-03-01T12:00:00.123Z,2024-03-02T08:30:00.000Z,1,intel/vendor.json,false\n"
    );
    assert_eq!(body, want);
}
