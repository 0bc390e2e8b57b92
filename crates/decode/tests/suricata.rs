//! Suricata EVE JSON decoder: golden counts and normalized values over the
//! synthetic fixtures in `tests/data/suricata/`.

// In tests a panic is a failure with a location; that is what we want.
#![allow(clippy::unwrap_used)]

use phiwatch_decode::{DecodeError, Decoder, DecoderConfig, ErrorKind, Format};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s};

const EVE: &str = include_str!("data/suricata/eve.json");
const EVE_BAD: &str = include_str!("data/suricata/eve-bad.json");

fn decoder() -> Box<dyn Decoder> {
    Format::SuricataEve
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run(data: &[u8]) -> (Vec<Event>, Vec<(u64, DecodeError)>, usize) {
    // No record for empty data; a final newline ends the last line.
    let records = if data.is_empty() {
        Vec::new()
    } else {
        common::lines(data)
    };
    let r = common::run_records(&mut *decoder(), records);
    (r.events, r.errors, r.skipped)
}

fn text(ev: &Event, k: Key) -> String {
    ev.get(k).map(|v| v.to_string()).unwrap_or_default()
}

#[test]
fn golden_counts() {
    let (evs, errs, skipped) = run(EVE.as_bytes());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((evs.len(), skipped), (17, 0));
    let datasets: Vec<&str> = evs
        .iter()
        .map(|e| s(e, keys::EVENT_DATASET).unwrap_or("?"))
        .collect();
    assert_eq!(
        datasets,
        [
            "suricata.flow",
            "suricata.netflow",
            "suricata.dns",
            "suricata.dns",
            "suricata.dns",
            "suricata.dns",
            "suricata.dns",
            "suricata.http",
            "suricata.tls",
            "suricata.fileinfo",
            "suricata.alert",
            "suricata.anomaly",
            "suricata.stats",
            "suricata.ssh",
            "suricata.smtp",
            "suricata.other",
            "suricata.flow",
        ]
    );
    for (n, ev) in evs.iter().enumerate() {
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("suricata"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("suricata"));
        assert_eq!(ev.origin().line, n as u64 + 1);
    }
}

#[test]
fn flow_and_netflow() {
    let (evs, _, _) = run(EVE.as_bytes());
    let flow = &evs[0];
    assert_eq!(flow.time().to_rfc3339(), "2024-03-05T14:02:11.104512Z");
    assert_eq!(text(flow, keys::SOURCE_IP), "10.1.20.15");
    assert!(matches!(flow.get(keys::SOURCE_IP), Some(ValueRef::Ip(_))));
    assert_eq!(i(flow, keys::SOURCE_PORT), Some(51544));
    assert_eq!(text(flow, keys::DESTINATION_IP), "203.0.113.80");
    assert_eq!(i(flow, keys::DESTINATION_PORT), Some(443));
    assert_eq!(s(flow, keys::NETWORK_TRANSPORT), Some("tcp"));
    assert_eq!(s(flow, keys::NETWORK_PROTOCOL), Some("tls"));
    assert_eq!(s(flow, keys::PHIWATCH_SESSION_ID), Some("1290184765443210"));
    assert_eq!(
        s(flow, keys::NETWORK_COMMUNITY_ID),
        Some("1:Qm3XxYp0mQZJ3vQ0cVbJxNnR0sE=")
    );
    assert_eq!(i(flow, keys::SOURCE_BYTES), Some(2140));
    assert_eq!(i(flow, keys::DESTINATION_BYTES), Some(9877));
    assert_eq!(i(flow, keys::SOURCE_PACKETS), Some(14));
    assert_eq!(i(flow, keys::DESTINATION_PACKETS), Some(12));
    assert_eq!(i(flow, keys::NETWORK_BYTES), Some(12017));
    assert_eq!(i(flow, keys::NETWORK_PACKETS), Some(26));
    assert_eq!(text(flow, keys::EVENT_START), "2024-03-05T14:01:10.013224Z");
    assert_eq!(s(flow, keys::EVENT_KIND), Some("event"));
    // Raw fields stay reachable by their EVE names.
    assert_eq!(
        flow.get_raw("flow.state").and_then(|v| v.as_str()),
        Some("closed")
    );
    assert_eq!(
        flow.get_raw("tcp.syn").and_then(|v| v.as_bool()),
        Some(true)
    );

    let nf = &evs[1];
    assert_eq!(i(nf, keys::SOURCE_BYTES), Some(74));
    assert_eq!(i(nf, keys::SOURCE_PACKETS), Some(1));
    assert_eq!(nf.get(keys::DESTINATION_BYTES), None);
    assert_eq!(s(nf, keys::NETWORK_TRANSPORT), Some("udp"));

    // -0800 offset, IPv6, and a protocol given by number.
    let v6 = &evs[16];
    assert_eq!(v6.time().to_rfc3339(), "2009-11-25T05:27:09.534255Z");
    assert_eq!(text(v6, keys::SOURCE_IP), "2001:db8::15");
    assert_eq!(i(v6, keys::NETWORK_IANA_NUMBER), Some(47));
    assert_eq!(s(v6, keys::NETWORK_TRANSPORT), Some("gre"));
}

#[test]
fn dns_in_every_eve_version() {
    let (evs, _, _) = run(EVE.as_bytes());
    let query = &evs[2];
    assert_eq!(
        s(query, keys::DNS_QUESTION_NAME),
        Some("portal.example.org")
    );
    assert_eq!(s(query, keys::DNS_QUESTION_TYPE), Some("A"));
    assert_eq!(s(query, keys::DNS_TYPE), Some("query"));
    assert_eq!(query.get(keys::DNS_ANSWERS_DATA), None);

    let v1 = &evs[3];
    assert_eq!(s(v1, keys::DNS_RESPONSE_CODE), Some("NOERROR"));
    assert_eq!(text(v1, keys::DNS_ANSWERS_DATA), "203.0.113.10");
    assert_eq!(text(v1, keys::DNS_ANSWERS_TTL), "300");
    assert_eq!(s(v1, keys::DNS_TYPE), Some("answer"));

    // v2 detailed + grouped: the detailed answers win, in order, no duplicates.
    let v2 = &evs[4];
    assert_eq!(
        text(v2, keys::DNS_ANSWERS_DATA),
        "cdn.example.net,203.0.113.44,203.0.113.45"
    );
    assert_eq!(text(v2, keys::DNS_ANSWERS_TTL), "3600,60,60");
    // v2 grouped only.
    let grouped = &evs[5];
    assert_eq!(
        text(grouped, keys::DNS_ANSWERS_DATA),
        "10 mx1.example.com,20 mx2.example.com"
    );
    assert_eq!(s(grouped, keys::DNS_QUESTION_TYPE), Some("MX"));
    // v3: the question is in `queries`.
    let v3 = &evs[6];
    assert_eq!(
        s(v3, keys::DNS_QUESTION_NAME),
        Some("nonexistent.example.com")
    );
    assert_eq!(s(v3, keys::DNS_QUESTION_TYPE), Some("AAAA"));
    assert_eq!(s(v3, keys::DNS_RESPONSE_CODE), Some("NXDOMAIN"));
    assert_eq!(s(v3, keys::DNS_TYPE), Some("answer"));
    assert_eq!(v3.get(keys::DNS_ANSWERS_DATA), None);
}

#[test]
fn http_tls_fileinfo() {
    let (evs, _, _) = run(EVE.as_bytes());
    let http = &evs[7];
    assert_eq!(s(http, keys::URL_DOMAIN), Some("portal.example.org"));
    assert_eq!(
        s(http, keys::URL_ORIGINAL),
        Some("/records/search?patient=redacted&page=2")
    );
    assert_eq!(s(http, keys::URL_PATH), Some("/records/search"));
    assert_eq!(s(http, keys::URL_QUERY), Some("patient=redacted&page=2"));
    assert_eq!(s(http, keys::HTTP_REQUEST_METHOD), Some("GET"));
    assert_eq!(i(http, keys::HTTP_RESPONSE_STATUS_CODE), Some(200));
    assert_eq!(i(http, keys::HTTP_RESPONSE_BODY_BYTES), Some(48213));
    assert_eq!(
        s(http, keys::HTTP_REQUEST_REFERRER),
        Some("http://portal.example.org/records")
    );
    assert!(s(http, keys::USER_AGENT_ORIGINAL).is_some_and(|u| u.starts_with("Mozilla/5.0")));
    assert_eq!(s(http, keys::HTTP_VERSION), Some("1.1"));

    let tls = &evs[8];
    assert_eq!(
        s(tls, keys::TLS_CLIENT_SERVER_NAME),
        Some("portal.example.org")
    );
    assert_eq!(s(tls, keys::TLS_VERSION), Some("1.2"));
    assert_eq!(s(tls, keys::TLS_VERSION_PROTOCOL), Some("tls"));
    assert_eq!(
        s(tls, keys::TLS_SERVER_SUBJECT),
        Some("CN=portal.example.org")
    );
    assert_eq!(
        s(tls, keys::TLS_SERVER_ISSUER),
        Some("C=US, O=Example CA, CN=Example Issuing CA 1")
    );
    assert_eq!(
        s(tls, keys::TLS_CLIENT_JA3),
        Some("e7d705a3286e19ea42f587b344ee6865")
    );
    assert_eq!(
        s(tls, keys::TLS_SERVER_JA3S),
        Some("15af977ce25de452b96affa2addb1036")
    );
    assert_eq!(
        s(tls, keys::TLS_CLIENT_JA4),
        Some("t13d1516h2_8daaf6152771_02713d6af862")
    );
    assert_eq!(
        s(tls, keys::TLS_SERVER_HASH_SHA1),
        Some("3A5F9C112233445566778899AABBCCDDEEFF0011")
    );

    let fi = &evs[9];
    assert_eq!(s(fi, keys::FILE_NAME), Some("/exports/report.pdf"));
    assert_eq!(
        s(fi, keys::FILE_HASH_MD5),
        Some("9e107d9d372bb6826bd81d3542a419d6")
    );
    assert_eq!(
        s(fi, keys::FILE_HASH_SHA1),
        Some("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
    );
    assert_eq!(
        s(fi, keys::FILE_HASH_SHA256),
        Some("d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    );
    assert_eq!(i(fi, keys::FILE_SIZE), Some(120443));
    assert_eq!(s(fi, keys::URL_PATH), Some("/exports/report.pdf"));
}

#[test]
fn alert_and_others() {
    let (evs, _, _) = run(EVE.as_bytes());
    let alert = &evs[10];
    assert_eq!(
        s(alert, keys::RULE_NAME),
        Some("ET POLICY Possible Outbound Reverse Shell")
    );
    assert_eq!(i(alert, keys::RULE_ID), Some(2019284));
    assert_eq!(
        s(alert, keys::RULE_CATEGORY),
        Some("Potentially Bad Traffic")
    );
    assert_eq!(i(alert, keys::EVENT_SEVERITY), Some(2));
    assert_eq!(s(alert, keys::EVENT_ACTION), Some("allowed"));
    assert_eq!(s(alert, keys::EVENT_KIND), Some("alert"));
    // `app_proto: failed` is not a protocol.
    assert_eq!(alert.get(keys::NETWORK_PROTOCOL), None);

    let anomaly = &evs[11];
    assert_eq!(anomaly.get(keys::SOURCE_PORT), None);
    assert_eq!(anomaly.get(keys::PHIWATCH_SESSION_ID), None);
    let stats = &evs[12];
    assert_eq!(s(stats, keys::EVENT_KIND), Some("metric"));
    assert_eq!(stats.get(keys::SOURCE_IP), None);
    assert_eq!(
        stats.get_raw("stats.decoder.pkts").and_then(|v| v.as_i64()),
        Some(1840009)
    );
    let smtp = &evs[14];
    assert_eq!(
        smtp.get_raw("smtp.rcpt_to")
            .map(|v| v.to_string())
            .as_deref(),
        Some("<clinic@example.net>")
    );
}

#[test]
fn bad_lines_have_the_right_kind() {
    let (evs, errs, skipped) = run(EVE_BAD.as_bytes());
    assert_eq!((evs.len(), errs.len(), skipped), (1, 13, 1));
    let got: Vec<(u64, ErrorKind)> = errs.iter().map(|(l, e)| (*l, e.kind)).collect();
    use ErrorKind::*;
    assert_eq!(
        got,
        [
            (1, Syntax),
            (2, Syntax),
            (3, Time),
            (4, Time),
            (5, Time),
            (6, Value),
            (7, Value),
            (9, Schema),
            (10, Schema),
            (11, Value),
            (12, Schema),
            (13, Value),
            (14, Value),
        ]
    );
    let reason = |l: u64| {
        errs.iter()
            .find(|(n, _)| *n == l)
            .map(|(_, e)| e.reason.clone())
            .unwrap_or_default()
    };
    assert_eq!(reason(3), "missing field `timestamp`");
    assert_eq!(
        reason(6),
        "field `src_port`: expected a port number (0-65535)"
    );
    assert_eq!(reason(7), "field `src_ip`: expected an IP address");
    assert_eq!(reason(9), "missing field `event_type`");
    assert_eq!(reason(11), "field `alert.severity`: expected an integer");
    assert_eq!(
        reason(14),
        "field `flow.bytes_toserver`: expected an integer"
    );
    // Reasons never quote values.
    for (_, e) in &errs {
        for secret in [
            "yesterday",
            "http\"",
            "10.1.20.999",
            "high",
            "70000",
            "10.1.20.15",
        ] {
            assert!(!e.reason.contains(secret), "{}", e.reason);
        }
    }
    assert_eq!(evs[0].origin().line, 15);
}

#[test]
fn encoding_blank_and_whitespace() {
    let mut dec = decoder();
    let bad =
        b"{\"timestamp\":\"2024-03-05T14:03:00Z\",\"event_type\":\"flow\",\"x\":\"\xff\xfe\"}";
    let e = dec.decode(bad, Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert!(dec.decode(b"", Origin::default()).unwrap().is_none());
    assert!(dec.decode(b"  \r", Origin::default()).unwrap().is_none());
    let crlf = b"{\"timestamp\":\"2024-03-05T14:03:00Z\",\"event_type\":\"dns\"}\r";
    assert!(dec.decode(crlf, Origin::default()).unwrap().is_some());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decoder().decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..17,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let src = EVE.lines().nth(line).unwrap_or("{}");
        let b = common::mutate(src.as_bytes(), edits, cut);
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn odd_values_never_panic(
        field in "(src_ip|src_port|dest_port|proto|flow_id|timestamp|flow\\.bytes_toserver|alert\\.severity|dns\\.answers|http\\.url|tls\\.version|tls\\.fingerprint|fileinfo\\.size|event_type)",
        value in "(null|true|-1|1e400|18446744073709551616|\"\"|\"[ -~]{0,12}\"|\\[\\]|\\[1,\"a\",null\\]|\\{\\}|\\{\"a\":\\[\\{\\}\\]\\})",
    ) {
        let mut obj = String::from("{\"timestamp\":\"2024-03-05T14:03:00Z\",\"event_type\":\"flow\"");
        let mut path: Vec<&str> = field.split('.').collect();
        let last = path.pop().unwrap_or("x");
        obj.push(',');
        for p in &path {
            obj.push_str(&format!("\"{p}\":{{"));
        }
        obj.push_str(&format!("\"{last}\":{value}"));
        for _ in &path {
            obj.push('}');
        }
        obj.push('}');
        let _ = decoder().decode(obj.as_bytes(), Origin::default());
    }
}
