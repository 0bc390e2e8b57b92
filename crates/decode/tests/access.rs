//! Access-log decoders (text `access-log` and `access-json`): golden counts
//! over the synthetic fixtures in `tests/data/access/`, spot checks of the
//! normalized fields, bad input and detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s, Run};

const COMBINED: &[u8] = include_bytes!("data/access/combined.log");
const COMMON: &[u8] = include_bytes!("data/access/common.log");
const NGINX_EXT: &[u8] = include_bytes!("data/access/nginx-ext.log");
const EHR_API: &[u8] = include_bytes!("data/access/ehr-api.log");
const BAD: &[u8] = include_bytes!("data/access/bad.log");
const NGINX_JSON: &[u8] = include_bytes!("data/access/nginx.ndjson");
const TRAEFIK: &[u8] = include_bytes!("data/access/traefik.ndjson");
const CADDY: &[u8] = include_bytes!("data/access/caddy.ndjson");
const ENVOY: &[u8] = include_bytes!("data/access/envoy.ndjson");
const BAD_JSON: &[u8] = include_bytes!("data/access/bad-json.ndjson");

fn run(format: Format, text: &[u8]) -> Run {
    common::run_records(&mut *common::decoder(format), common::lines(text))
}

fn text(ev: &Event, k: Key) -> Option<String> {
    ev.get(k).map(|v| v.to_string())
}

fn patients(ev: &Event) -> Vec<String> {
    match ev.get(keys::PATIENT_IDS) {
        Some(ValueRef::List(l)) => l.iter().map(|v| v.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn summarize(evs: &[Event]) -> String {
    let count = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    format!(
        "source.ip={} client.ip={} user={} method={} path={} query={} status={} failure={} bytes={} ua={} duration={} upstream={} patients={} resource={} action={}",
        count(&|e| e.get(keys::SOURCE_IP).is_some()),
        count(&|e| e.get(keys::CLIENT_IP).is_some()),
        count(&|e| e.get(keys::USER_NAME).is_some()),
        count(&|e| e.get(keys::HTTP_REQUEST_METHOD).is_some()),
        count(&|e| e.get(keys::URL_PATH).is_some()),
        count(&|e| e.get(keys::URL_QUERY).is_some()),
        count(&|e| e.get(keys::HTTP_RESPONSE_STATUS_CODE).is_some()),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("failure")),
        count(&|e| e.get(keys::HTTP_RESPONSE_BODY_BYTES).is_some()),
        count(&|e| e.get(keys::USER_AGENT_ORIGINAL).is_some()),
        count(&|e| e.get(keys::EVENT_DURATION).is_some()),
        count(&|e| e.get(keys::HTTP_UPSTREAM_TIME).is_some()),
        count(&|e| e.get(keys::PATIENT_IDS).is_some()),
        count(&|e| e.get(keys::RESOURCE_TYPE).is_some()),
        count(&|e| e.get(keys::EVENT_ACTION).is_some()),
    )
}

fn check_tags(evs: &[Event], format: &str) {
    for ev in evs {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("web.access"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("web"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some(format));
    }
}

// --- text -------------------------------------------------------------------

#[test]
fn combined() {
    let r = run(Format::AccessLog, COMBINED);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (12, 0));
    check_tags(&r.events, "access-log");
    let e = &r.events;

    let first = &e[0];
    assert_eq!(first.time().to_rfc3339(), "2026-10-10T20:55:36.000000Z");
    assert_eq!(text(first, keys::SOURCE_IP).as_deref(), Some("203.0.113.9"));
    assert_eq!(s(first, keys::USER_NAME), Some("alice"));
    assert_eq!(s(first, keys::HTTP_REQUEST_METHOD), Some("GET"));
    assert_eq!(s(first, keys::HTTP_VERSION), Some("1.1"));
    assert_eq!(
        s(first, keys::URL_ORIGINAL),
        Some("/fhir/Patient?name=smith")
    );
    assert_eq!(s(first, keys::URL_PATH), Some("/fhir/Patient"));
    assert_eq!(s(first, keys::URL_QUERY), Some("name=smith"));
    assert_eq!(i(first, keys::HTTP_RESPONSE_STATUS_CODE), Some(200));
    assert_eq!(i(first, keys::HTTP_RESPONSE_BODY_BYTES), Some(2326));
    assert_eq!(
        s(first, keys::HTTP_REQUEST_REFERRER),
        Some("https://portal.example.org/search")
    );
    assert!(s(first, keys::USER_AGENT_ORIGINAL)
        .unwrap()
        .starts_with("Mozilla/5.0"));
    assert_eq!(s(first, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(first, keys::RESOURCE_TYPE), Some("Patient"));
    assert_eq!(s(first, keys::EVENT_ACTION), Some("search-type"));
    // Raw fields by the nginx variable names.
    assert_eq!(
        first.get_raw("request").unwrap().as_str(),
        Some("GET /fhir/Patient?name=smith HTTP/1.1")
    );
    assert_eq!(
        first.get_raw("remote_user").unwrap().as_str(),
        Some("alice")
    );

    let v6 = &e[2];
    assert_eq!(text(v6, keys::SOURCE_IP).as_deref(), Some("2001:db8::42"));
    assert!(v6.get(keys::USER_NAME).is_none());
    assert!(v6.get(keys::HTTP_REQUEST_REFERRER).is_none());
    assert_eq!(s(v6, keys::HTTP_VERSION), Some("2.0"));

    // Escaped quotes and backslashes in a quoted field.
    let quoted = &e[3];
    assert_eq!(
        s(quoted, keys::USER_AGENT_ORIGINAL),
        Some("Mozilla/5.0 \"quoted\" agent \\ backslash")
    );
    assert_eq!(s(quoted, keys::EVENT_OUTCOME), Some("failure"));

    // Percent-decoding: UTF-8, `+` in the query, invalid escapes kept.
    let pct = &e[4];
    assert_eq!(s(pct, keys::URL_QUERY), Some("q=Jürgen Test&bad=%zz%4"));
    assert!(pct.get(keys::USER_AGENT_ORIGINAL).is_none());

    // TLS bytes sent to a plain-text port: accepted, request kept raw only.
    let tls = &e[5];
    assert!(tls.get(keys::HTTP_REQUEST_METHOD).is_none());
    assert!(tls.get(keys::URL_ORIGINAL).is_none());
    assert_eq!(
        tls.get_raw("request").unwrap().as_str(),
        Some("\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03\\xa8")
    );
    assert_eq!(i(tls, keys::HTTP_RESPONSE_STATUS_CODE), Some(400));

    // A proxy request in absolute form.
    let proxy = &e[8];
    assert_eq!(s(proxy, keys::URL_DOMAIN), Some("proxy-check.example.net"));
    assert_eq!(i(proxy, keys::URL_PORT), Some(8080));
    assert_eq!(s(proxy, keys::URL_SCHEME), Some("http"));
    assert_eq!(s(proxy, keys::URL_PATH), Some("/"));

    // HTTP/0.9.
    assert_eq!(s(&e[10], keys::URL_PATH), Some("/"));
    assert!(e[10].get(keys::HTTP_VERSION).is_none());
    // `-` bytes; an encoded slash decodes in url.path.
    assert!(e[11].get(keys::HTTP_RESPONSE_BODY_BYTES).is_none());
    assert_eq!(s(&e[11], keys::URL_PATH), Some("/a b/c/d"));

    let summary = summarize(e);
    assert_eq!(summary, SUMMARY_COMBINED, "{summary}");
}

const SUMMARY_COMBINED: &str = "source.ip=12 client.ip=0 user=2 method=10 path=9 query=2 status=12 failure=6 bytes=11 ua=6 duration=0 upstream=0 patients=0 resource=1 action=1";

#[test]
fn common() {
    let r = run(Format::AccessLog, COMMON);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (5, 0));
    let e = &r.events;
    assert_eq!(e[0].time().to_rfc3339(), "2000-10-10T20:55:36.000000Z");
    assert_eq!(s(&e[0], keys::USER_NAME), Some("frank"));
    assert_eq!(s(&e[0], keys::HTTP_VERSION), Some("1.0"));
    assert_eq!(e[1].time().to_rfc3339(), "2026-10-10T22:00:01.000000Z");
    // A host name instead of an address.
    assert_eq!(
        s(&e[3], keys::SOURCE_DOMAIN),
        Some("ws-042.clinic.example.org")
    );
    assert!(e[3].get(keys::SOURCE_IP).is_none());
    assert_eq!(s(&e[4], keys::EVENT_OUTCOME), Some("failure"));
    assert!(e[0].get(keys::USER_AGENT_ORIGINAL).is_none());
}

#[test]
fn nginx_extensions() {
    let r = run(Format::AccessLog, NGINX_EXT);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (6, 0));
    let e = &r.events;

    let read = &e[0];
    assert_eq!(i(read, keys::EVENT_DURATION), Some(12_000_000));
    assert_eq!(
        read.get(keys::HTTP_UPSTREAM_TIME).unwrap().as_f64(),
        Some(0.010)
    );
    assert_eq!(text(read, keys::CLIENT_IP).as_deref(), Some("203.0.113.50"));
    assert_eq!(patients(read), ["pt-1001"]);
    assert_eq!(s(read, keys::RESOURCE_ID), Some("pt-1001"));
    assert_eq!(s(read, keys::EVENT_ACTION), Some("read"));

    // Two upstreams: the times add up; two forwarded addresses.
    let search = &e[1];
    let up = search
        .get(keys::HTTP_UPSTREAM_TIME)
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((up - 0.143).abs() < 1e-9, "{up}");
    assert_eq!(
        search.get_raw("upstream_response_time").unwrap().as_str(),
        Some("0.140, 0.003")
    );
    assert_eq!(
        text(search, keys::CLIENT_IP).as_deref(),
        Some("203.0.113.50")
    );
    assert_eq!(patients(search), ["pt-1001"]);

    // `-` upstream and forwarded-for.
    assert!(e[2].get(keys::HTTP_UPSTREAM_TIME).is_none());
    assert!(e[2].get(keys::CLIENT_IP).is_none());
    assert_eq!(i(&e[2], keys::EVENT_DURATION), Some(0));

    // name=value pairs.
    assert_eq!(i(&e[3], keys::EVENT_DURATION), Some(20_000_000));
    assert_eq!(
        e[3].get(keys::HTTP_UPSTREAM_TIME).unwrap().as_f64(),
        Some(0.016)
    );
    assert_eq!(patients(&e[3]), ["pt-1002"]);
    assert_eq!(
        text(&e[3], Key::lookup("extra").unwrap()).as_deref(),
        Some("uct=\"0.001\",uht=\"0.015\"")
    );

    // vhost_combined.
    assert_eq!(
        e[4].get_raw("vhost").unwrap().as_str(),
        Some("ehr.example.org:443")
    );
    assert_eq!(
        text(&e[4], keys::SOURCE_IP).as_deref(),
        Some("198.51.100.9")
    );
    assert_eq!(patients(&e[4]), ["pt-1003"]);

    // Apache %D: microseconds.
    assert_eq!(i(&e[5], keys::EVENT_DURATION), Some(12_345_000));
}

#[test]
fn ehr_api_calls() {
    let r = run(Format::AccessLog, EHR_API);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (10, 0));
    let e = &r.events;
    let actions: Vec<Option<&str>> = e.iter().map(|e| s(e, keys::EVENT_ACTION)).collect();
    assert_eq!(
        actions,
        [
            Some("$export"),
            None,
            Some("$export"),
            Some("search-type"),
            Some("search-type"),
            Some("vread"),
            Some("search-type"),
            None,
            Some("delete"),
            Some("update"),
        ]
    );
    assert_eq!(s(&e[0], keys::RESOURCE_TYPE), Some("Group"));
    assert_eq!(s(&e[0], keys::RESOURCE_ID), Some("diabetes-cohort"));
    assert_eq!(
        s(&e[4], keys::URL_QUERY).unwrap(),
        "identifier=urn:oid:2.16.840.1.113883.19.5|MRN-000123&birthdate=1970-01-01"
    );
    assert_eq!(patients(&e[5]), ["pt-1004"]);
    assert_eq!(patients(&e[9]), ["pt-1005"]);
    assert_eq!(s(&e[7], keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(&e[7], keys::USER_NAME), Some("contractor.test.gamma"));
    let summary = summarize(e);
    assert_eq!(summary, SUMMARY_EHR, "{summary}");
}

const SUMMARY_EHR: &str = "source.ip=10 client.ip=0 user=7 method=10 path=10 query=5 status=10 failure=2 bytes=10 ua=10 duration=10 upstream=10 patients=3 resource=7 action=8";

#[test]
fn bad_text_lines() {
    let r = run(Format::AccessLog, BAD);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (1, 8, 1));
    let kinds: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(n, e)| (*n, e.kind)).collect();
    use ErrorKind::*;
    assert_eq!(
        kinds,
        [
            (1, Value),
            (2, Schema),
            (3, Time),
            (4, Value),
            (5, Value),
            (6, Schema),
            (7, Syntax),
            (8, Schema),
        ]
    );
    // Invalid UTF-8 is accepted with the bytes escaped.
    let ev = &r.events[0];
    assert_eq!(s(ev, keys::URL_PATH), Some("/caf\\xe9"));
    assert_eq!(s(ev, keys::USER_AGENT_ORIGINAL), Some("ua \\xff"));
}

// --- JSON -------------------------------------------------------------------

#[test]
fn nginx_json() {
    let r = run(Format::AccessJson, NGINX_JSON);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (5, 0));
    check_tags(&r.events, "access-json");
    let e = &r.events;
    assert_eq!(e[0].time().to_rfc3339(), "2026-11-02T10:00:00.000000Z");
    assert_eq!(s(&e[0], keys::EVENT_ACTION), Some("read"));
    assert_eq!(i(&e[0], keys::HTTP_RESPONSE_BODY_BYTES), Some(1834));
    assert_eq!(i(&e[0], keys::EVENT_DURATION), Some(12_000_000));
    assert!(e[0].get(keys::USER_NAME).is_none());
    assert!(e[0].get(keys::HTTP_REQUEST_REFERRER).is_none());

    let full = &e[1];
    assert_eq!(s(full, keys::USER_NAME), Some("dr.test.alpha"));
    assert_eq!(s(full, keys::HTTP_VERSION), Some("2.0"));
    assert_eq!(s(full, keys::URL_DOMAIN), Some("ehr.example.org"));
    assert_eq!(s(full, keys::URL_SCHEME), Some("https"));
    assert_eq!(i(full, keys::HTTP_RESPONSE_BYTES), Some(23310));
    assert_eq!(i(full, keys::HTTP_REQUEST_BYTES), Some(412));
    assert_eq!(text(full, keys::CLIENT_IP).as_deref(), Some("203.0.113.50"));
    let up = full
        .get(keys::HTTP_UPSTREAM_TIME)
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((up - 0.143).abs() < 1e-9);
    assert_eq!(patients(full), ["pt-1001"]);
    assert_eq!(
        s(full, keys::HTTP_REQUEST_ID),
        Some("5f0c1e7a9b2d4c6e8f0a1b2c3d4e5f60")
    );

    let msec = &e[2];
    assert_eq!(msec.time().to_rfc3339(), "2026-11-02T10:00:02.123000Z");
    assert_eq!(text(msec, keys::SOURCE_IP).as_deref(), Some("2001:db8::7"));
    assert_eq!(s(msec, keys::EVENT_ACTION), Some("$export"));
    assert!(msec.get(keys::HTTP_UPSTREAM_TIME).is_none());

    assert!(e[3].get(keys::HTTP_REQUEST_METHOD).is_none());
    assert_eq!(s(&e[3], keys::EVENT_OUTCOME), Some("failure"));

    // `uri` + `args`.
    assert_eq!(
        s(&e[4], keys::URL_ORIGINAL),
        Some("/fhir/r4/Patient?name=test&birthdate=1970-01-01")
    );
}

#[test]
fn traefik_caddy_envoy() {
    let t = run(Format::AccessJson, TRAEFIK);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(t.events.len(), 2);
    let a = &t.events[0];
    assert_eq!(a.time().to_rfc3339(), "2026-11-02T10:00:05.123456789Z");
    assert_eq!(text(a, keys::SOURCE_IP).as_deref(), Some("192.0.2.10"));
    assert_eq!(i(a, keys::EVENT_DURATION), Some(12_345_678));
    assert_eq!(
        a.get(keys::HTTP_UPSTREAM_TIME).unwrap().as_f64(),
        Some(0.011)
    );
    assert_eq!(s(a, keys::URL_DOMAIN), Some("ehr.example.org"));
    assert_eq!(patients(a), ["pt-1002"]);
    assert_eq!(text(a, keys::CLIENT_IP).as_deref(), Some("203.0.113.60"));
    assert!(a.get(keys::USER_NAME).is_none());
    let b = &t.events[1];
    assert_eq!(s(b, keys::USER_NAME), Some("svc-export"));
    assert_eq!(s(b, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(b, keys::EVENT_ACTION), Some("$export"));

    let c = run(Format::AccessJson, CADDY);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.events.len(), 2);
    let a = &c.events[0];
    assert_eq!(text(a, keys::SOURCE_IP).as_deref(), Some("203.0.113.70"));
    assert_eq!(s(a, keys::USER_AGENT_ORIGINAL), Some("curl/8.5.0"));
    assert_eq!(
        s(a, keys::HTTP_REQUEST_REFERRER),
        Some("https://portal.example.org/")
    );
    assert_eq!(i(a, keys::HTTP_RESPONSE_BODY_BYTES), Some(5120));
    assert_eq!(i(a, keys::EVENT_DURATION), Some(12_345_000));
    assert_eq!(patients(a), ["pt-1003"]);
    assert_eq!(
        s(a, keys::URL_QUERY),
        Some("patient=pt-1003&code=http://loinc.org|718-7")
    );
    let b = &c.events[1];
    assert_eq!(s(b, keys::USER_NAME), Some("intake-bot"));
    assert_eq!(s(b, keys::EVENT_ACTION), Some("create"));
    assert_eq!(i(b, keys::HTTP_REQUEST_BODY_BYTES), Some(2048));

    let v = run(Format::AccessJson, ENVOY);
    assert!(v.errors.is_empty(), "{:?}", v.errors);
    assert_eq!(v.events.len(), 2);
    let a = &v.events[0];
    assert_eq!(text(a, keys::SOURCE_IP).as_deref(), Some("10.0.9.8"));
    assert_eq!(i(a, keys::SOURCE_PORT), Some(44312));
    assert_eq!(i(a, keys::EVENT_DURATION), Some(12_000_000));
    assert_eq!(
        a.get(keys::HTTP_UPSTREAM_TIME).unwrap().as_f64(),
        Some(0.010)
    );
    assert_eq!(i(a, keys::HTTP_RESPONSE_BODY_BYTES), Some(2950));
    assert_eq!(s(a, keys::EVENT_ACTION), Some("vread"));
    assert_eq!(text(a, keys::CLIENT_IP).as_deref(), Some("198.51.100.30"));
    let b = &v.events[1];
    assert_eq!(text(b, keys::SOURCE_IP).as_deref(), Some("2001:db8::5"));
    assert_eq!(s(b, keys::EVENT_ACTION), Some("delete"));
    assert!(b.get(keys::HTTP_UPSTREAM_TIME).is_none());
}

#[test]
fn bad_json_lines() {
    let r = run(Format::AccessJson, BAD_JSON);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (1, 8, 1));
    let kinds: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(n, e)| (*n, e.kind)).collect();
    use ErrorKind::*;
    assert_eq!(
        kinds,
        [
            (1, Syntax),
            (2, Time),
            (3, Time),
            (4, Value),
            (5, Value),
            (6, Value),
            (7, Schema),
            (10, Encoding),
        ]
    );
    assert!(r.errors[3].1.reason.contains("`status`"));
    // The unknown shape with a time is kept, raw fields only.
    assert_eq!(
        r.events[0].get_raw("something").unwrap().as_str(),
        Some("else")
    );
}

// --- detection --------------------------------------------------------------

#[test]
fn detection_of_fixtures() {
    for t in [COMBINED, COMMON, NGINX_EXT, EHR_API] {
        let d = detect(t).expect("detected");
        assert_eq!((d.format, d.framing), (Format::AccessLog, Framing::Lines));
    }
    for t in [NGINX_JSON, TRAEFIK, CADDY, ENVOY] {
        let d = detect(t).expect("detected");
        assert_eq!(
            (d.format, d.framing),
            (Format::AccessJson, Framing::Lines),
            "{}",
            String::from_utf8_lossy(t)
        );
    }
}

#[test]
fn other_formats_are_not_captured() {
    let others: [&str; 7] = [
        // Zeek http, JSON
        "{\"ts\":1591367999.305988,\"uid\":\"CMdzit1AMNsmfAIiQc\",\"id.orig_h\":\"192.168.4.76\",\"id.orig_p\":46378,\"id.resp_h\":\"31.3.245.133\",\"id.resp_p\":80,\"trans_depth\":1,\"method\":\"GET\",\"host\":\"testmyids.com\",\"uri\":\"/\",\"version\":\"1.1\",\"user_agent\":\"curl/7.47.0\",\"request_body_len\":0,\"response_body_len\":39,\"status_code\":200,\"status_msg\":\"OK\"}\n",
        // Suricata http
        "{\"timestamp\":\"2020-06-05T14:39:59.305988+0000\",\"flow_id\":1,\"event_type\":\"http\",\"src_ip\":\"192.168.4.76\",\"src_port\":46378,\"dest_ip\":\"31.3.245.133\",\"dest_port\":80,\"proto\":\"TCP\",\"http\":{\"hostname\":\"testmyids.com\",\"url\":\"/\",\"http_user_agent\":\"curl/7.47.0\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":39}}\n",
        // Zeek TSV header
        "#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\tid.orig_h\n",
        // CloudTrail
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\"}\n",
        // VPC flow
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        // syslog
        "Oct 11 22:14:15 host sshd[1234]: Accepted publickey for alice from 192.0.2.5 port 2222 ssh2\n",
        // FHIR AuditEvent
        "{\"resourceType\":\"AuditEvent\",\"recorded\":\"2026-01-01T00:00:00Z\",\"agent\":[]}\n",
    ];
    for o in others {
        let got = detect(o.as_bytes()).map(|d| d.format);
        assert!(
            got != Some(Format::AccessLog) && got != Some(Format::AccessJson),
            "{o} -> {got:?}"
        );
    }
}

// --- robustness -------------------------------------------------------------

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for f in [Format::AccessLog, Format::AccessJson] {
            let mut dec = f.decoder(&DecoderConfig::default()).unwrap();
            let _ = dec.decode(&bytes, Origin::default());
        }
    }

    #[test]
    fn mutated_lines_never_panic(line in 0usize..10, at in 0usize..400, byte in any::<u8>()) {
        let lines: Vec<&[u8]> = EHR_API.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        let l = lines[line % lines.len()];
        let mut v = l.to_vec();
        let k = at % v.len();
        v[k] = byte;
        let mut dec = Format::AccessLog.decoder(&DecoderConfig::default()).unwrap();
        let _ = dec.decode(&v, Origin::default());
        let _ = dec.decode(&l[..k], Origin::default());
    }

    #[test]
    fn clf_shaped_lines_never_panic(
        host in "[0-9a-f:.]{0,20}",
        time in "[0-9A-Za-z/: +-]{0,30}",
        req in "[ -~]{0,40}",
        tail in "[ -~]{0,60}",
    ) {
        let line = format!("{host} - - [{time}] \"{req}\" 200 12 {tail}");
        let mut dec = Format::AccessLog.decoder(&DecoderConfig::default()).unwrap();
        let _ = dec.decode(line.as_bytes(), Origin::default());
    }
}
