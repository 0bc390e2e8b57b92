//! Generic JSON lines decoder and field mappings, over the fixtures in
//! `tests/data/jsonl/` (own) and the panther VPC rule tests (parsed JSON).

// In tests a panic is a failure with a location; that is what we want.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use phiwatch_decode::{Decoder, DecoderConfig, ErrorKind, FieldMapping, Format, TimeFormat};
use phiwatch_event::{keys, Event, FieldKind, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, run_records, s, Run};

const ECS: &str = include_str!("data/jsonl/ecs.ndjson");
const APP: &str = include_str!("data/jsonl/app.ndjson");
const APP_MAPPING: &str = include_str!("data/jsonl/app-mapping.toml");
const BAD_MAPPING: &str = include_str!("data/jsonl/bad-mapping.toml");
const PANTHER_VPC: &str = include_str!("data/vpcflow/panther/rule-tests.ndjson");

fn decoder(mapping: Option<FieldMapping>) -> Box<dyn Decoder> {
    let cfg = DecoderConfig {
        mapping: mapping.map(Arc::new),
        ..DecoderConfig::default()
    };
    Format::JsonLines.decoder(&cfg).expect("decoder")
}

fn run(dec: &mut dyn Decoder, text: &str) -> Run {
    common::run_lines(dec, text)
}

fn kind_of(ev: &Event, name: &str) -> Option<FieldKind> {
    ev.fields().find(|f| f.name == name).map(|f| f.kind)
}

#[test]
fn ecs_lines_without_mapping() {
    let r = run(&mut *decoder(None), ECS);
    use ErrorKind::*;
    let got: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(l, e)| (*l, e.kind)).collect();
    assert_eq!(
        got,
        [
            (10, Time),
            (11, Time),
            (12, Time),
            (13, Schema),
            (14, Syntax)
        ]
    );
    assert_eq!((r.events.len(), r.skipped), (9, 0));
    let reasons: Vec<&str> = r.errors.iter().map(|(_, e)| e.reason.as_str()).collect();
    assert_eq!(
        reasons[..3],
        [
            "no time field (tried @timestamp, timestamp, time, ts, eventTime, date)",
            "time field `@timestamp`: expected an RFC 3339 time or epoch number",
            "time field `@timestamp`: expected an RFC 3339 time or epoch number",
        ]
    );

    let times: Vec<String> = r.events.iter().map(|e| e.time().to_rfc3339()).collect();
    assert_eq!(
        times,
        [
            "2024-03-05T14:10:00.123000Z",
            "2024-03-05T14:10:01.000000Z",
            "2024-03-05T14:10:02.000000Z",
            "2024-03-05T14:10:03.000000Z",
            "2024-03-05T14:10:04.250000Z",
            "2024-03-05T14:10:05.000000Z",
            "2024-03-05T14:10:06.000000Z",
            "2024-03-05T14:10:07.000000Z",
            "2024-03-05T14:10:08.000000Z",
        ]
    );

    // Nested ECS: normalized names are the source's own (Both), typed.
    let nginx = &r.events[0];
    assert!(matches!(nginx.get(keys::SOURCE_IP), Some(ValueRef::Ip(_))));
    assert_eq!(kind_of(nginx, "source.ip"), Some(FieldKind::Both));
    assert_eq!(i(nginx, keys::SOURCE_PORT), Some(51234));
    assert_eq!(i(nginx, keys::HTTP_RESPONSE_STATUS_CODE), Some(200));
    assert_eq!(i(nginx, keys::HTTP_RESPONSE_BODY_BYTES), Some(5120));
    assert_eq!(s(nginx, keys::HTTP_REQUEST_METHOD), Some("GET"));
    // The source's dataset and module are kept; no default added beside them.
    assert_eq!(s(nginx, keys::EVENT_DATASET), Some("nginx.access"));
    assert_eq!(nginx.get_all(keys::EVENT_DATASET).count(), 1);
    assert_eq!(s(nginx, keys::EVENT_MODULE), Some("nginx"));
    assert_eq!(s(nginx, keys::PHIWATCH_FORMAT), Some("json"));
    assert_eq!(
        nginx
            .get_by_name("event.category")
            .map(|v| v.to_string())
            .as_deref(),
        Some("web")
    );

    // Dotted ECS names; a port given as text becomes an integer.
    let login = &r.events[1];
    assert_eq!(login.get(keys::SOURCE_PORT), Some(ValueRef::Int(40022)));
    assert_eq!(s(login, keys::USER_NAME), Some("nurse.jones"));
    assert_eq!(s(login, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(login, keys::HOST_NAME), Some("ehr-web-01"));
    assert_eq!(s(login, keys::EVENT_DATASET), Some("json"));
    assert_eq!(s(login, keys::EVENT_MODULE), Some("json"));

    // Plain app fields stay raw; ECS-named ones are reachable and typed.
    let export = &r.events[2];
    assert_eq!(export.get(keys::FILE_SIZE), Some(ValueRef::Int(1_048_576)));
    assert_eq!(s(export, keys::USER_ID), Some("1001"));
    assert_eq!(kind_of(export, "msg"), Some(FieldKind::Raw));
    assert_eq!(
        export.get_raw("level").and_then(|v| v.as_str()),
        Some("info")
    );
    assert_eq!(
        r.events[3].get(keys::NETWORK_BYTES),
        Some(ValueRef::Int(900))
    );
    // A value that is not of the name's type is kept as it is, not rejected.
    assert_eq!(s(&r.events[5], keys::SOURCE_IP), Some("not-an-address"));
    // Origins are set.
    assert_eq!(r.events[8].origin().line, 9);
}

fn app_mapping() -> FieldMapping {
    FieldMapping::parse(APP_MAPPING).expect("app mapping is valid")
}

#[test]
fn mapping_api() {
    let m = app_mapping();
    assert_eq!(m.time_field(), Some("ts_ms"));
    assert_eq!(m.time_format(), TimeFormat::EpochMillis);
    assert_eq!(m.dataset(), Some("ehr.audit"));
    assert_eq!(m.module(), Some("ehr"));
    let fields: Vec<(String, &str)> = m.fields().map(|(k, f)| (k.to_string(), f)).collect();
    assert_eq!(
        fields,
        [
            ("source.ip".to_string(), "client.addr"),
            ("source.port".to_string(), "client.port"),
            ("user.name".to_string(), "actor.login"),
            ("user.id".to_string(), "actor.uid"),
            ("event.action".to_string(), "op"),
            ("destination.bytes".to_string(), "bytes_sent"),
            ("http.response.status_code".to_string(), "status"),
            ("url.path".to_string(), "resource"),
        ]
    );
    let empty = FieldMapping::parse("").expect("an empty mapping is valid");
    assert_eq!((empty.time_field(), empty.fields().count()), (None, 0));
}

#[test]
fn app_log_with_mapping() {
    let r = run(&mut *decoder(Some(app_mapping())), APP);
    use ErrorKind::*;
    let got: Vec<(u64, ErrorKind, &str)> = r
        .errors
        .iter()
        .map(|(l, e)| (*l, e.kind, e.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (5, Time, "missing time field `ts_ms`"),
            (6, Time, "time field `ts_ms`: expected epoch milliseconds"),
            (
                7,
                Value,
                "field `client.addr` (mapped to source.ip): expected an IP address"
            ),
            (
                8,
                Value,
                "field `client.port` (mapped to source.port): expected an integer"
            ),
            (
                9,
                Value,
                "field `bytes_sent` (mapped to destination.bytes): expected an integer"
            ),
        ]
    );
    assert_eq!((r.events.len(), r.skipped), (5, 1));

    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T14:00:00.123000Z");
    assert_eq!(
        ev.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("10.1.2.3")
    );
    assert!(matches!(ev.get(keys::SOURCE_IP), Some(ValueRef::Ip(_))));
    assert_eq!(ev.get(keys::SOURCE_PORT), Some(ValueRef::Int(51515)));
    assert_eq!(s(ev, keys::USER_NAME), Some("dr.smith"));
    assert_eq!(ev.get(keys::USER_ID), Some(ValueRef::Int(4711)));
    assert_eq!(s(ev, keys::EVENT_ACTION), Some("read"));
    assert_eq!(ev.get(keys::DESTINATION_BYTES), Some(ValueRef::Int(2048)));
    assert_eq!(i(ev, keys::HTTP_RESPONSE_STATUS_CODE), Some(200));
    assert_eq!(s(ev, keys::URL_PATH), Some("chart"));
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("ehr.audit"));
    assert_eq!(s(ev, keys::EVENT_MODULE), Some("ehr"));
    assert_eq!(s(ev, keys::EVENT_KIND), Some("event"));
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("json"));
    assert_eq!(ev.get_all(keys::EVENT_DATASET).count(), 1);
    // Raw fields are kept under their own names.
    assert_eq!(
        ev.get_raw("client.addr").and_then(|v| v.as_str()),
        Some("10.1.2.3")
    );

    let export = &r.events[1];
    assert_eq!(export.time().to_rfc3339(), "2024-03-05T14:00:01.456000Z");
    assert_eq!(
        export
            .get(keys::SOURCE_IP)
            .map(|v| v.to_string())
            .as_deref(),
        Some("2001:db8::42")
    );
    // A leading zero makes an id text, not a number.
    assert_eq!(s(export, keys::USER_ID), Some("04711"));
    assert_eq!(s(export, keys::EVENT_ACTION), Some("export"));
    // Absent and null mapped fields are skipped.
    assert_eq!(r.events[2].get(keys::SOURCE_PORT), None);
    assert_eq!(r.events[3].get(keys::DESTINATION_BYTES), None);
    assert_eq!(r.events[4].origin().line, 11);
}

#[test]
fn bad_mapping_reports_every_problem() {
    let err = FieldMapping::parse(BAD_MAPPING).expect_err("bad mapping");
    let got: Vec<(usize, usize, String)> = err
        .problems()
        .map(|(l, c, m)| (l, c, m.to_string()))
        .collect();
    let expected: Vec<(usize, usize, &str)> = vec![
        (4, 10, "unknown time format `fortnightly` (expected one of: auto, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns)"),
        (5, 1, "unknown key `zone` in [time] (expected `field` or `format`)"),
        (9, 1, "[fields] `source.hostname` is not a normalized field name"),
        (10, 15, "the source field name must not be empty"),
        (11, 22, "expected a source field name (a string) or { from = \"…\", convert = \"…\" }, not an integer"),
        (12, 43, "unknown conversion `upper` (expected same, ip, int, lower or time)"),
        (13, 1, "[fields] `phiwatch.format` is set by phiwatch itself"),
        (17, 15, "`source.ip` must be an IP address"),
        (18, 17, "`source.port` must be an integer, not a string"),
        (19, 1, "[set] `id.orig_h` is not a normalized field name"),
        (21, 2, "unknown section `extras` (expected `time`, `fields` or `set`)"),
    ];
    let expected: Vec<(usize, usize, String)> = expected
        .into_iter()
        .map(|(l, c, m)| (l, c, m.to_string()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(err.len(), 11);
    let shown = err.to_string();
    assert!(
        shown.starts_with("invalid field mapping (11 problems)\n  line 4, column 10: "),
        "{shown}"
    );

    // A TOML syntax error is one problem, with its position.
    let err = FieldMapping::parse("[fields]\n\"source.ip\" = \n").expect_err("syntax");
    let probs: Vec<(usize, usize)> = err.problems().map(|(l, c, _)| (l, c)).collect();
    assert_eq!(probs.len(), 1);
    assert_eq!(probs[0].0, 2);
    // Shapes that are not tables; a target in both sections.
    let err = FieldMapping::parse("fields = 3\ntime = \"ts\"\n[set]\n\"user.name\" = \"x\"\n")
        .expect_err("shapes");
    assert_eq!(err.len(), 2, "{err}");
    let err =
        FieldMapping::parse("[fields]\n\"user.name\" = \"u\"\n[set]\n\"user.name\" = \"x\"\n")
            .expect_err("twice");
    assert!(
        err.to_string().contains("in both [fields] and [set]"),
        "{err}"
    );
    let err = FieldMapping::parse("[fields]\n\"user.name\" = { convert = \"lower\" }\n")
        .expect_err("no from");
    assert!(err.to_string().contains("missing `from`"), "{err}");
    // Unquoted dotted names are reported on their own line.
    let err = FieldMapping::parse("[fields]\nsource.ip = \"a\"\nsource.bogus = \"b\"\n")
        .expect_err("dotted");
    let probs: Vec<(usize, String)> = err.problems().map(|(l, _, m)| (l, m.to_string())).collect();
    assert_eq!(
        probs,
        [(
            3,
            "[fields] `source.bogus` is not a normalized field name".to_string()
        )]
    );
    let err = FieldMapping::parse("[time]\nfield = 1979-05-27\n").expect_err("datetime");
    assert_eq!(err.len(), 1, "{err}");
}

#[test]
fn time_formats_in_mappings() {
    let cases = [
        (
            "epoch_s",
            r#"{"t":1700000000.5}"#,
            Some("2023-11-14T22:13:20.500000Z"),
        ),
        (
            "epoch_s",
            r#"{"t":"1700000000"}"#,
            Some("2023-11-14T22:13:20.000000Z"),
        ),
        (
            "epoch_us",
            r#"{"t":1700000000000001}"#,
            Some("2023-11-14T22:13:20.000001Z"),
        ),
        (
            "epoch_ns",
            r#"{"t":"1700000000000000001"}"#,
            Some("2023-11-14T22:13:20.000000001Z"),
        ),
        (
            "rfc3339",
            r#"{"t":"2023-11-14T22:13:20+0000"}"#,
            Some("2023-11-14T22:13:20.000000Z"),
        ),
        ("rfc3339", r#"{"t":1700000000}"#, None),
        ("epoch_ms", r#"{"t":"2023-11-14T22:13:20Z"}"#, None),
        ("auto", r#"{"t":{"nested":1}}"#, None),
    ];
    for (format, rec, want) in cases {
        let m = FieldMapping::parse(&format!("[time]\nfield = \"t\"\nformat = \"{format}\"\n"))
            .expect("mapping");
        let got = decoder(Some(m)).decode(rec.as_bytes(), Origin::default());
        match want {
            Some(t) => assert_eq!(
                got.expect(rec).expect(rec).time().to_rfc3339(),
                t,
                "{format} {rec}"
            ),
            None => assert_eq!(
                got.map(|_| ()).unwrap_err().kind,
                ErrorKind::Time,
                "{format} {rec}"
            ),
        }
    }
    // With [time] but no field, the usual names are tried with the format.
    let m = FieldMapping::parse("[time]\nformat = \"epoch_ms\"\n").expect("mapping");
    let ev = decoder(Some(m))
        .decode(br#"{"ts":1700000000000}"#, Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2023-11-14T22:13:20.000000Z");
}

#[test]
fn mapping_wins_over_source_names() {
    // The source has its own `source.ip`, but the mapping points elsewhere.
    let m = FieldMapping::parse("[fields]\n\"source.ip\" = \"real_client\"\n").expect("mapping");
    let ev = decoder(Some(m))
        .decode(br#"{"time":"2024-01-01T00:00:00Z","source":{"ip":"10.0.0.1"},"real_client":"192.0.2.1"}"#, Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(
        ev.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("192.0.2.1")
    );
    assert_eq!(kind_of(&ev, "source.ip"), Some(FieldKind::Raw));
}

/// Panther's parsed VPC flow / DNS rule tests, `log` unwrapped: a real-world
/// shape for the generic decoder with a mapping.
#[test]
fn panther_vpc_json_with_mapping() {
    let m = FieldMapping::parse(
        r#"
[time]
field = "query_timestamp"
format = "auto"
[fields]
"source.ip" = "srcaddr"
"source.port" = "srcport"
"dns.question.name" = "query_name"
"dns.question.type" = "query_type"
"dns.response_code" = "rcode"
"cloud.account.id" = "account_id"
"cloud.region" = "region"
[set]
"event.dataset" = "aws.route53_resolver"
"#,
    )
    .expect("mapping");
    let logs: Vec<Vec<u8>> = PANTHER_VPC
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("fixture line");
            serde_json::to_vec(&v["log"]).expect("log")
        })
        .collect();
    assert_eq!(logs.len(), 39);
    let r = run_records(&mut *decoder(Some(m)), logs.iter().map(Vec::as_slice));
    // Only the 8 Route 53 resolver records carry `query_timestamp`.
    assert_eq!((r.events.len(), r.errors.len()), (8, 31));
    assert!(r
        .errors
        .iter()
        .all(|(_, e)| e.kind == ErrorKind::Time
            && e.reason == "missing time field `query_timestamp`"));
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2022-06-25T00:27:53.000000Z");
    assert_eq!(
        s(ev, keys::DNS_QUESTION_NAME),
        Some("dynamodb.us-west-2.amazonaws.com")
    );
    assert_eq!(ev.get(keys::SOURCE_PORT), Some(ValueRef::Int(8888)));
    assert_eq!(s(ev, keys::CLOUD_ACCOUNT_ID), Some("0123456789"));
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("aws.route53_resolver"));

    // Without a mapping, the OCSF records' `time`-less shapes are rejected
    // the same way, and the resolver ones fall back to no known time name.
    let r = run_records(&mut *decoder(None), logs.iter().map(Vec::as_slice));
    assert_eq!(r.events.len() + r.errors.len(), 39);
}

#[test]
fn bad_input() {
    let mut dec = decoder(None);
    assert!(dec.decode(b"", Origin::default()).unwrap().is_none());
    assert!(dec.decode(b"   \r", Origin::default()).unwrap().is_none());
    let e = dec
        .decode(
            b"{\"time\":\"2024-01-01T00:00:00Z\",\"name\":\"\xe9t\xe9\"}",
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    let e = dec
        .decode(b"{\"time\":\"2024-01-01T00:00:00Z\"", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    let e = dec.decode(b"42", Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schema);
    let e = dec
        .decode(
            br#"{"patient":"Jane Roe","time":"03/05/2024"}"#,
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Time);
    assert!(
        !e.reason.contains("03/05") && !e.reason.contains("Jane"),
        "{}",
        e.reason
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decoder(None).decode(&bytes, Origin::default());
        let _ = decoder(Some(app_mapping())).decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..14,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        for text in [ECS, APP] {
            let src = text.lines().nth(line % text.lines().count()).unwrap_or("{}");
            let mut b = src.as_bytes().to_vec();
            if !b.is_empty() {
                for (at, byte) in &edits {
                    let n = at.index(b.len());
                    b[n] = *byte;
                }
            }
            b.truncate(cut.index(b.len() + 1));
            let _ = decoder(None).decode(&b, Origin::default());
            let _ = decoder(Some(app_mapping())).decode(&b, Origin::default());
        }
    }

    #[test]
    fn odd_times_never_panic(
        name in "(@timestamp|timestamp|time|ts|eventTime|date|ts_ms)",
        value in "(null|true|-1|0|-9223372036854775808|9223372036854775807|18446744073709551615|1e308|-1e308|0.000001|\"\"|\"-\"|\"[0-9.:T+Z-]{0,30}\"|\\[\\]|\\{\\})",
    ) {
        let rec = format!("{{\"{name}\":{value}}}");
        let _ = decoder(None).decode(rec.as_bytes(), Origin::default());
        let _ = decoder(Some(app_mapping())).decode(rec.as_bytes(), Origin::default());
        for (f, _) in TimeFormat::ALL {
            let m = FieldMapping::parse(&format!("[time]\nfield = \"{name}\"\nformat = \"{f}\"\n")).expect("mapping");
            let _ = decoder(Some(m)).decode(rec.as_bytes(), Origin::default());
        }
    }

    #[test]
    fn arbitrary_mapping_text_never_panics(text in "[\\[\\]a-z._\"= \n{},0-9-]{0,120}") {
        let _ = FieldMapping::parse(&text);
    }
}
