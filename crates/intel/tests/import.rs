//! Import of MISP events, Zeek intel files, CSV and plain lists, and the
//! loader (format detection, merging). Public fixtures: PyMISP's
//! `tests/mispevent_testfiles` and the intel files of Zeek's btests; the
//! rest are hand-made edge cases (see the READMEs under `tests/data`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use phiwatch_event::Timestamp;
use phiwatch_intel::import::{self, detect_format, load_all, load_file, load_text, Format};
use phiwatch_intel::{HashKind, Indicator, LoadReport, Observable};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339(b"2024-06-01T00:00:00Z").unwrap()
}

fn load(rel: &str) -> (Vec<Indicator>, LoadReport) {
    let mut report = LoadReport::default();
    let found = load_file(&data(rel), now(), &mut report);
    (found, report)
}

/// The value of each indicator's single observable.
fn single_values(found: &[Indicator]) -> Vec<String> {
    found
        .iter()
        .map(|i| {
            assert_eq!(i.any_of.len(), 1, "{i:?}");
            assert_eq!(i.any_of[0].len(), 1, "{i:?}");
            i.any_of[0][0].value()
        })
        .collect()
}

/// The problems as `location: reason`.
fn problems(report: &LoadReport) -> Vec<String> {
    report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.reason))
        .collect()
}

fn find<'a>(found: &'a [Indicator], o: &Observable) -> &'a Indicator {
    found
        .iter()
        .find(|i| i.any_of.iter().any(|g| g.contains(o)))
        .unwrap_or_else(|| panic!("{o:?} not loaded"))
}

fn sha256_e3b0() -> String {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()
}

#[test]
fn pymisp_def_param_object_attributes() {
    let (found, report) = load("misp/def_param.json");
    assert_eq!(
        single_values(&found),
        vec!["domain.example.com", "ns2.example.com"]
    );
    assert_eq!((report.files, report.read, report.loaded), (1, 4, 2));
    assert_eq!(
        report.not_for_detection, 2,
        "to_ids false: whois-registrar and ns1"
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(found[0].name, "This is a test / domain.example.com");
    assert_eq!(
        found[0].any_of[0][0],
        Observable::Domain("domain.example.com".into())
    );
    assert_ne!(found[0].id, found[1].id, "ids from the attribute numbers");
    assert!(found[0].id.ends_with("#2"), "{}", found[0].id);
}

#[test]
fn pymisp_object_attribute_tags() {
    let (found, report) = load("misp/event_obj_attr_tag.json");
    assert_eq!(single_values(&found), vec!["bar", "https://www.circl.lu/"]);
    assert_eq!(found[0].any_of[0][0], Observable::FileName("bar".into()));
    assert_eq!(found[0].labels, vec!["blah"]);
    assert_eq!(found[0].name, "bar", "no event info: the value");
    assert!(found[1].labels.is_empty());
    assert_eq!(
        (report.read, report.loaded, report.problems.len()),
        (2, 2, 0)
    );
}

#[test]
fn pymisp_event_without_attributes() {
    let (found, report) = load("misp/event_tags.json");
    assert!(found.is_empty());
    assert_eq!((report.files, report.read, report.loaded), (1, 0, 0));
    assert!(report.problems.is_empty());
}

#[test]
fn misp_hand_made_types_tags_and_counts() {
    let (found, report) = load("misp/hand-made-response.json");
    assert_eq!(report.read, 16);
    assert_eq!(report.loaded, 8);
    assert_eq!(
        report.not_for_detection, 4,
        "to_ids false, text, link, deleted"
    );
    let expected = [
        "Attribute a0000000-0000-4000-8000-000000000009: MISP type AS is not matched",
        "Attribute a0000000-0000-4000-8000-00000000000a: MISP type jarm-fingerprint is not matched",
        "Attribute a0000000-0000-4000-8000-00000000000c: MISP uri without a host is not matched",
        "Attribute a0000000-0000-4000-8000-00000000000d: MISP ip-dst value \"not-an-address\" cannot be read",
    ];
    assert_eq!(problems(&report), expected);

    let c2 = &found[0];
    assert_eq!(c2.id, "a0000000-0000-4000-8000-000000000001");
    assert_eq!(
        c2.name,
        "Hand-made: exfiltration campaign / 203.0.113.50|443"
    );
    assert_eq!(c2.any_of[0][0].value(), "203.0.113.50");
    assert_eq!(c2.techniques, vec!["T1041", "T1071.001"]);
    assert_eq!(c2.kill_chain.len(), 1);
    assert_eq!(c2.kill_chain[0].chain, "lockheed-martin-cyber-kill-chain");
    assert_eq!(c2.kill_chain[0].phase, "actions-on-objectives");
    assert!(c2.labels.contains(&"tlp:green".to_string()));
    assert_eq!(c2.description.as_deref(), Some("C2 listener"));
    assert_eq!((c2.valid_from, c2.valid_until), (None, None));

    let both = &found[1];
    assert_eq!(both.any_of.len(), 2, "domain|ip: either matches");
    assert_eq!(
        both.any_of[0],
        vec![Observable::Domain("c2.evil.example".into())]
    );
    assert_eq!(both.any_of[1][0].value(), "2001:db8::50");

    let file = &found[2];
    assert_eq!(
        file.any_of[0],
        vec![Observable::FileHash(HashKind::Sha256, sha256_e3b0())]
    );
    assert_eq!(
        file.any_of[1],
        vec![Observable::FileName("stage2.dll".into())]
    );

    assert_eq!(
        found[3].any_of[0][0],
        Observable::Ja3("e7157f56a6c0c2e42d9a8a3e3a8b7c1d".into())
    );
    let cert = Observable::CertHash(
        HashKind::Sha1,
        "2c322ae2b7fe91391345e070b63668978bb1c9da".into(),
    );
    assert_eq!(found[4].any_of[0][0], cert);
    assert_eq!(
        found[5].any_of[0][0],
        Observable::UserAgent("Mozilla/5.0 (compatible; EvilBot/1.0)".into())
    );
    assert_eq!(
        found[6].any_of[0][0],
        Observable::Email("bad.actor@phish.example".into())
    );
    let url = &found[7];
    assert_eq!(
        url.any_of[0][0],
        Observable::Url("https://files.example/upload".into())
    );
    assert_eq!(
        url.id, "0b5c2a38-1111-4c3e-9d6e-000000000001#15",
        "event uuid and attribute number"
    );
}

#[test]
fn misp_document_shapes() {
    let attr = r#"{"type": "ip-dst", "value": "192.0.2.1", "to_ids": true, "uuid": "u1"}"#;
    let shapes = [
        format!(r#"{{"Event": {{"info": "x", "Attribute": [{attr}]}}}}"#),
        format!(r#"{{"response": [{{"Event": {{"Attribute": [{attr}]}}}}]}}"#),
        format!(
            r#"[{{"Event": {{"Attribute": [{attr}]}}}}, {{"Event": {{"Attribute": [{attr}]}}}}]"#
        ),
        format!(r#"{{"info": "bare", "uuid": "e1", "Attribute": [{attr}]}}"#),
    ];
    for (i, text) in shapes.iter().enumerate() {
        assert_eq!(detect_format(text), Format::Misp, "{text}");
        let mut report = LoadReport::default();
        let found = load_text(text, "m.json", now(), &mut report);
        let want = if i == 2 { 2 } else { 1 };
        assert_eq!(found.len(), want, "{text}");
        assert_eq!(report.loaded, want);
        assert_eq!(found[0].id, "u1");
        assert_eq!(found[0].any_of[0][0].value(), "192.0.2.1");
    }
}

#[test]
fn zeek_btest_duplicates_merge() {
    let (found, report) = load_all(&[data("lists/zeek-btest/input-and-match.dat")], now());
    assert_eq!(single_values(&found), vec!["1.2.3.4", "e@mail.com"]);
    assert_eq!(
        (report.files, report.read, report.loaded, report.merged),
        (1, 3, 2, 1)
    );
    assert_eq!(found[0].name, "this host is just plain baaad");
    assert_eq!(found[0].labels, vec!["source1"]);
    assert_eq!(
        found[0].description.as_deref(),
        Some("this host is just plain baaad (http://some-data-distributor.com/1234)")
    );
    assert_eq!(
        found[1].any_of[0][0],
        Observable::Email("e@mail.com".into())
    );
}

#[test]
fn zeek_btest_subnets_and_certs() {
    let (found, report) = load("lists/zeek-btest/match-subnet.dat");
    let want = [
        "192.168.1.1",
        "192.168.2.0/24",
        "192.168.142.1",
        "192.168.142.0/24",
        "192.168.142.0/26",
        "192.168.128.0/18",
    ];
    assert_eq!(single_values(&found), want);
    assert_eq!(
        (report.read, report.loaded, report.problems.len()),
        (6, 6, 0)
    );
    assert!(matches!(found[1].any_of[0][0], Observable::Ip(n) if n.prefix == 24));

    let (found, report) = load("lists/zeek-btest/certs.dat");
    assert_eq!(
        found[0].any_of[0][0],
        Observable::Domain("www.pantz.org".into())
    );
    assert!(
        matches!(&found[2].any_of[0][0], Observable::CertHash(HashKind::Sha1, h) if h.starts_with("2c322ae2"))
    );
    assert_eq!((report.read, report.loaded), (3, 3));
}

#[test]
fn zeek_hand_made_types_and_bad_lines() {
    let (found, report) = load("lists/hand.intel");
    assert_eq!(report.read, 11);
    assert_eq!(report.loaded, 7);
    assert_eq!(report.not_for_detection, 1, "meta.whitelist T");
    let expected = [
        "line 12: Zeek type Intel::USER_NAME is not matched",
        "line 13: \"300.1.2.3\" is not a valid Intel::ADDR",
        "line 15: expected at least 2 fields, found 1",
    ];
    assert_eq!(problems(&report), expected);
    let want = [
        Observable::Url("http://evil.example/gate.php".into()),
        Observable::FileHash(HashKind::Sha256, sha256_e3b0()),
        Observable::CertHash(
            HashKind::Sha1,
            "2c322ae2b7fe91391345e070b63668978bb1c9da".into(),
        ),
        Observable::UserAgent("Mozilla/5.0 (compatible; EvilBot/1.0)".into()),
        Observable::FileName("invoice.pdf.exe".into()),
        Observable::Email("bad.actor@phish.example".into()),
    ];
    for (ind, o) in found.iter().zip(&want) {
        assert_eq!(&ind.any_of[0][0], o);
    }
    assert_eq!(found[0].name, "C2 gate");
    assert_eq!(
        found[2].name, "2c322ae2b7fe91391345e070b63668978bb1c9da",
        "no desc: the value"
    );
    assert_eq!(found[3].labels, vec!["vendor-b"]);
    assert_eq!(found[6].any_of[0][0].value(), "2001:db8::/32");
}

#[test]
fn plain_list_kinds_defanging_and_bad_lines() {
    let (found, report) = load("lists/edge.txt");
    let want = [
        "198.51.100.7",
        "2001:db8::1",
        "192.0.2.0/24",
        "2001:db8:abcd::/48",
        "203.0.113.9",
        "http://evil.example/gate.php?id=1",
        "http://evil.example/drop/x.bin",
        "exfil.example",
        "xn--bcher-kva.example",
        "bad.actor@phish.example",
        "d41d8cd98f00b204e9800998ecf8427e",
        &sha256_e3b0(),
    ];
    assert_eq!(single_values(&found), want);
    assert!(matches!(
        found[10].any_of[0][0],
        Observable::FileHash(HashKind::Md5, _)
    ));
    assert!(matches!(found[7].any_of[0][0], Observable::Domain(_)));
    assert!(matches!(found[6].any_of[0][0], Observable::Url(_)));
    assert_eq!((report.read, report.loaded), (14, 12));
    let expected = [
        "line 16: cannot tell what \"localhost\" is",
        "line 17: cannot tell what \"this is not an indicator\" is",
    ];
    assert_eq!(problems(&report), expected);
}

#[test]
fn csv_with_header_types_and_expiry() {
    let (found, report) = load("lists/feed.csv");
    assert_eq!(
        single_values(&found),
        vec![
            "198.51.100.7",
            "e7157f56a6c0c2e42d9a8a3e3a8b7c1d",
            "https://files.example/upload"
        ]
    );
    assert_eq!(
        found[0].description.as_deref(),
        Some("C2 server, seen in March")
    );
    assert_eq!(
        found[0].valid_until,
        Timestamp::parse_rfc3339(b"2099-01-01T00:00:00Z")
    );
    assert!(
        matches!(found[1].any_of[0][0], Observable::Ja3(_)),
        "typed ja3, not MD5"
    );
    assert_eq!((report.read, report.loaded, report.expired), (7, 3, 1));
    let expected = [
        "line 7: type \"asn\" is not matched",
        "line 8: cannot read the time \"next tuesday\"",
        "line 9: no indicator in the line",
    ];
    assert_eq!(problems(&report), expected);
}

#[test]
fn headerless_csv_takes_first_column() {
    let text = "192.0.2.10,seen on 2024-05-01\n\"evil.example\",phishing\nnot_a_thing,x\n";
    let mut report = LoadReport::default();
    let found = load_text(text, "h.csv", now(), &mut report);
    assert_eq!(single_values(&found), vec!["192.0.2.10", "evil.example"]);
    assert_eq!(
        problems(&report),
        vec!["line 3: cannot tell what \"not_a_thing\" is"]
    );
}

#[test]
fn load_all_merges_across_files_and_reports_missing() {
    let paths = [
        data("lists/edge.txt"),
        data("lists/feed.csv"),
        data("lists/hand.intel"),
        data("misp/hand-made-response.json"),
        data("lists/no-such-file.txt"),
    ];
    let (found, report) = load_all(&paths, now());
    assert_eq!(report.files, 4);
    let missing: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.source.ends_with("no-such-file.txt"))
        .collect();
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].reason.starts_with("cannot read"),
        "{}",
        missing[0].reason
    );
    // email ×3, user agent ×2, cert hash ×2, JA3 ×2, URL ×2, SHA-256 ×2, 198.51.100.7 ×2.
    assert_eq!(report.merged, 8);
    assert_eq!(report.loaded, found.len());
    assert_eq!(found.len(), 12 + 3 + 7 + 8 - 8);

    let ip = find(
        &found,
        &Observable::Ip(phiwatch_intel::parse_ip_net("198.51.100.7").unwrap()),
    );
    assert!(ip.source.ends_with("edge.txt"), "kept the first");
    assert_eq!(
        ip.description.as_deref(),
        Some("C2 server, seen in March"),
        "filled from the CSV"
    );
    assert_eq!(
        ip.valid_until, None,
        "the list's copy never expires: widened"
    );

    let email = find(&found, &Observable::Email("bad.actor@phish.example".into()));
    assert!(email.labels.contains(&"vendor-b".to_string()));
    assert!(email.labels.contains(&"tlp:green".to_string()));
    assert_eq!(email.techniques, vec!["T1041"]);
    assert_eq!(email.kill_chain.len(), 1);
    let n = found
        .iter()
        .filter(|i| {
            i.any_of
                .iter()
                .flatten()
                .any(|o| *o == Observable::Email("bad.actor@phish.example".into()))
        })
        .count();
    assert_eq!(n, 1);
}

#[test]
fn format_detection() {
    assert_eq!(
        detect_format(r#"{"type": "bundle", "id": "bundle--1", "objects": []}"#),
        Format::Stix
    );
    assert_eq!(
        detect_format(r#"[{"type": "indicator", "spec_version": "2.1"}]"#),
        Format::Stix
    );
    assert_eq!(detect_format("\u{feff}{\"Event\": {}}"), Format::Misp);
    assert_eq!(
        detect_format("#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n"),
        Format::ZeekIntel
    );
    assert_eq!(detect_format("#separator \\x09\n"), Format::ZeekIntel);
    assert_eq!(
        detect_format("# fields indicator list\n1.2.3.4\n"),
        Format::List
    );
    assert_eq!(detect_format("[2001:db8::1]\n"), Format::List);
    assert_eq!(detect_format(r#"{"hello": 1}"#), Format::UnknownJson);
    assert_eq!(detect_format(r#"{"Event": "#), Format::UnknownJson);

    let mut report = LoadReport::default();
    assert!(load_text(r#"{"Event": "#, "broken.json", now(), &mut report).is_empty());
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].reason.starts_with("invalid JSON"),
        "{:?}",
        report.problems
    );
    let found = load_text("[2001:db8::1]\n", "v6.txt", now(), &mut report);
    assert_eq!(single_values(&found), vec!["2001:db8::1"]);
}

#[test]
fn stix_goes_to_the_stix_loader() {
    let text = r#"{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator",
        "spec_version": "2.1", "id": "indicator--0a1b2c3d-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "pattern_type": "stix", "pattern": "[domain-name:value = 'Evil.Example']",
        "valid_from": "2024-01-01T00:00:00Z"}]}"#;
    let mut report = LoadReport::default();
    let found = load_text(text, "b.json", now(), &mut report);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].id,
        "indicator--0a1b2c3d-0000-4000-8000-000000000001"
    );
    assert_eq!(
        found[0].any_of,
        vec![vec![Observable::Domain("evil.example".into())]]
    );
    assert_eq!(report.loaded, 1, "counted once, whoever counts");
}

#[test]
fn merge_keys_ignore_group_order() {
    let a = phiwatch_intel::Observable::Domain("a.example".into());
    let b = phiwatch_intel::Observable::Domain("b.example".into());
    let mut one = Indicator::of(a.clone(), "x");
    one.any_of = vec![vec![a.clone(), b.clone()]];
    one.labels = vec!["l1".into()];
    let mut two = Indicator::of(a.clone(), "y");
    two.any_of = vec![vec![b.clone(), a.clone()]];
    two.labels = vec!["l2".into(), "l1".into()];
    two.techniques = vec!["T1041".into()];
    let three = Indicator::of(a, "z");
    let mut report = LoadReport::default();
    let out = import::merge_duplicates(vec![one, two, three], &mut report);
    assert_eq!(out.len(), 2, "[a AND b] differs from [a]");
    assert_eq!(report.merged, 1);
    assert_eq!(out[0].labels, vec!["l1", "l2"]);
    assert_eq!(out[0].techniques, vec!["T1041"]);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lists_account_for_every_line(lines in proptest::collection::vec("[ -~]{0,40}", 0..20)) {
            let text = lines.join("\n");
            let mut report = LoadReport::default();
            let found = import::list::load(&text, "p.txt", now(), &mut report);
            prop_assert_eq!(report.read, found.len() + report.expired + report.problems.len());
        }

        #[test]
        fn any_text_loads_without_panic(text in "\\PC{0,200}") {
            let mut report = LoadReport::default();
            let found = load_text(&text, "p", now(), &mut report);
            prop_assert_eq!(report.loaded, found.len());
            let _ = import::zeek::load(&text, "p", &mut report);
            let _ = import::misp::load(&text, "p", &mut report);
        }
    }
}
