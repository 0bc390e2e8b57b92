//! CloudTrail decoder: golden counts over the OTRF capture and the
//! panther-analysis fixtures in `tests/data/cloudtrail/`, plus edge cases.

// In tests a panic is a failure with a location; that is what we want.
#![allow(clippy::unwrap_used)]

use phiwatch_decode::{DecodeError, Decoder, DecoderConfig, ErrorKind, Format};
use phiwatch_event::{keys, Event, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s, Run};

const OTRF: &str =
    include_str!("data/cloudtrail/otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json");
const RULE_TESTS: &str = include_str!("data/cloudtrail/panther/rule-tests.ndjson");
const ROOT_ATTACKER: &str = include_str!(
    "data/cloudtrail/panther/scenario-compromised-root-creds/attacker_cloudtrail.ndjson"
);
const ROOT_VICTIM: &str = include_str!(
    "data/cloudtrail/panther/scenario-compromised-root-creds/victim_cloudtrail.ndjson"
);
const ENRICH_ATTACKER: &str =
    include_str!("data/cloudtrail/panther/scenario-enrichment-example/attacker_cloudtrail.ndjson");
const ENRICH_VICTIM: &str =
    include_str!("data/cloudtrail/panther/scenario-enrichment-example/victim_cloudtrail.ndjson");

fn decoder() -> Box<dyn Decoder> {
    Format::CloudTrail
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    common::run_records(&mut *decoder(), records)
}

fn run_lines(text: &str) -> Run {
    run_records(text.lines().map(str::as_bytes))
}

#[test]
fn otrf_capture() {
    let r = run_lines(OTRF);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (103, 0));
    for ev in &r.events {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("aws.cloudtrail"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("aws"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("cloudtrail"));
        assert_eq!(s(ev, keys::CLOUD_PROVIDER), Some("aws"));
    }
    // The first record: Logstash `@timestamp`, no eventTime.
    let first = &r.events[0];
    assert_eq!(first.time().to_rfc3339(), "2020-09-14T00:44:23.000000Z");
    assert_eq!(s(first, keys::EVENT_ACTION), Some("DescribeInstanceTypes"));
    assert_eq!(s(first, keys::EVENT_PROVIDER), Some("ec2.amazonaws.com"));
    assert_eq!(s(first, keys::USER_NAME), Some("pedro"));
    assert_eq!(s(first, keys::PHIWATCH_USER_TYPE), Some("IAMUser"));
    assert_eq!(
        s(first, keys::PHIWATCH_USER_ARN),
        Some("arn:aws:iam::123456789123:user/pedro")
    );
    assert_eq!(s(first, keys::USER_ID), Some("AIDAICAK2CN5MGHIIDIHA"));
    assert_eq!(s(first, keys::CLOUD_ACCOUNT_ID), Some("123456789123"));
    assert_eq!(s(first, keys::CLOUD_REGION), Some("us-east-1"));
    assert_eq!(
        first.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("1.2.3.4")
    );
    assert_eq!(
        s(first, keys::USER_AGENT_ORIGINAL),
        Some("console.ec2.amazonaws.com")
    );
    assert_eq!(s(first, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(
        first.get(keys::PHIWATCH_AUTH_MFA).and_then(|v| v.as_bool()),
        Some(true)
    );

    // The two S3 GetObject data events of the exfiltration.
    let gets: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| s(e, keys::EVENT_ACTION) == Some("GetObject"))
        .collect();
    assert_eq!(gets.len(), 2);
    for g in &gets {
        assert_eq!(i(g, keys::PHIWATCH_OBJECT_BYTES_OUT), Some(89));
        assert!(s(g, keys::PHIWATCH_OBJECT_BUCKET).is_some());
        assert!(s(g, keys::PHIWATCH_OBJECT_KEY).is_some());
        assert_eq!(s(g, keys::PHIWATCH_USER_TYPE), Some("AssumedRole"));
    }
    let summary = summarize(&r.events);
    assert_eq!(summary, SUMMARY_OTRF, "{summary}");
}

/// Counts of facts over a set of events, as a stable string.
fn summarize(evs: &[Event]) -> String {
    let count = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    format!(
        "source.ip={} source.domain={} user.name={} failure={} error.code={} mfa.true={} mfa.false={} bucket={} bytes_out={} bytes_in={} account={}",
        count(&|e| e.get(keys::SOURCE_IP).is_some()),
        count(&|e| e.get(keys::SOURCE_DOMAIN).is_some()),
        count(&|e| e.get(keys::USER_NAME).is_some()),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("failure")),
        count(&|e| e.get(keys::ERROR_CODE).is_some()),
        count(&|e| e.get(keys::PHIWATCH_AUTH_MFA) == Some(ValueRef::Bool(true))),
        count(&|e| e.get(keys::PHIWATCH_AUTH_MFA) == Some(ValueRef::Bool(false))),
        count(&|e| e.get(keys::PHIWATCH_OBJECT_BUCKET).is_some()),
        count(&|e| e.get(keys::PHIWATCH_OBJECT_BYTES_OUT).is_some()),
        count(&|e| e.get(keys::PHIWATCH_OBJECT_BYTES_IN).is_some()),
        count(&|e| e.get(keys::CLOUD_ACCOUNT_ID).is_some()),
    )
}

const SUMMARY_OTRF: &str = "source.ip=98 source.domain=5 user.name=98 failure=0 error.code=0 mfa.true=87 mfa.false=11 bucket=9 bytes_out=9 bytes_in=9 account=103";
const SUMMARY_RULE_TESTS: &str = "source.ip=378 source.domain=25 user.name=333 failure=68 error.code=65 mfa.true=131 mfa.false=136 bucket=69 bytes_out=16 bytes_in=16 account=427";

/// Panther rule tests wrap each record: `{rule_id, …, "log": {…}}`.
fn unwrap_log(line: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
    serde_json::to_vec(&v["log"]).expect("log")
}

#[test]
fn panther_rule_tests() {
    let logs: Vec<Vec<u8>> = RULE_TESTS.lines().map(unwrap_log).collect();
    assert_eq!(logs.len(), 461);
    let r = run_records(logs.iter().map(Vec::as_slice));
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (436, 25, 0));
    // Every rejection is a time problem: 23 trimmed records have no time at
    // all, 2 have a placeholder instead of one.
    let missing = "missing time: neither `eventTime` nor `@timestamp` is present";
    let invalid = "field `eventTime`: expected an RFC 3339 time";
    let n_missing = r
        .errors
        .iter()
        .filter(|(_, e)| e.kind == ErrorKind::Time && e.reason == missing)
        .count();
    let n_invalid = r
        .errors
        .iter()
        .filter(|(_, e)| e.kind == ErrorKind::Time && e.reason == invalid)
        .count();
    assert_eq!((n_missing, n_invalid), (23, 2));
    assert_eq!(summarize(&r.events), SUMMARY_RULE_TESTS);

    // Spot checks by upstream test name.
    let find = |name: &str| -> Event {
        let idx = RULE_TESTS
            .lines()
            .position(|l| l.contains(&format!("\"test_name\": \"{name}\"")))
            .unwrap_or_else(|| panic!("no test named {name}"));
        decoder()
            .decode(&logs[idx], Origin::default())
            .expect("decodes")
            .expect("an event")
    };
    let ev = find("IAM User Updates Lambda Configuration with Layers");
    assert_eq!(s(&ev, keys::USER_NAME), Some("john.developer"));
    assert_eq!(s(&ev, keys::EVENT_PROVIDER), Some("lambda.amazonaws.com"));
    assert_eq!(s(&ev, keys::CLOUD_REGION), Some("us-west-2"));
    assert_eq!(
        ev.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("203.0.113.50")
    );
    assert_eq!(ev.time().to_rfc3339(), "2019-01-01T00:00:00.000000Z");
}

#[test]
fn console_logins_and_sessions() {
    for (name, text, n) in [
        ("root attacker", ROOT_ATTACKER, 12),
        ("root victim", ROOT_VICTIM, 4),
        ("enrichment attacker", ENRICH_ATTACKER, 7),
        ("enrichment victim", ENRICH_VICTIM, 4),
    ] {
        let r = run_lines(text);
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        assert_eq!(r.events.len(), n, "{name}");
    }
    let r = run_lines(ENRICH_ATTACKER);
    // The scenario: failed root console logins, then a successful one.
    let logins: Vec<(&str, Option<bool>)> = r
        .events
        .iter()
        .filter(|e| s(e, keys::EVENT_ACTION) == Some("ConsoleLogin"))
        .map(|e| {
            (
                s(e, keys::EVENT_OUTCOME).unwrap_or("?"),
                e.get(keys::PHIWATCH_AUTH_MFA).and_then(|v| v.as_bool()),
            )
        })
        .collect();
    assert!(logins.len() >= 2, "{logins:?}");
    assert!(logins.iter().any(|(o, _)| *o == "failure"));
    assert!(logins.iter().any(|(o, _)| *o == "success"));
    assert!(logins.iter().all(|(_, mfa)| *mfa == Some(false)));
    let first = &r.events[0];
    assert_eq!(s(first, keys::USER_NAME), Some("root"));
    assert_eq!(s(first, keys::PHIWATCH_USER_TYPE), Some("Root"));
    assert_eq!(s(first, keys::CLOUD_ACCOUNT_ID), Some("493859302102"));
    assert_eq!(first.time().to_rfc3339(), "2020-10-30T23:25:32.000000Z");
}

fn one(json: &str) -> Result<Option<Event>, DecodeError> {
    decoder().decode(json.as_bytes(), Origin::default())
}

#[test]
fn identity_outcome_and_objects() {
    // Assumed role: the name comes from the session issuer; bytes as text.
    let ev = one(r#"{"eventTime":"2024-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","sourceIPAddress":"s3.amazonaws.com","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:sess","arn":"arn:aws:sts::111122223333:assumed-role/etl/sess","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","userName":"etl"},"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"bucketName":"phi-exports","key":"2024/01/batch.csv"},"additionalEventData":{"bytesTransferredIn":"4096","bytesTransferredOut":0.0},"errorCode":"AccessDenied","errorMessage":"Access Denied"}"#)
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::USER_NAME), Some("etl"));
    assert_eq!(s(&ev, keys::CLOUD_ACCOUNT_ID), Some("111122223333"));
    assert_eq!(s(&ev, keys::SOURCE_DOMAIN), Some("s3.amazonaws.com"));
    assert_eq!(ev.get(keys::SOURCE_IP), None);
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(&ev, keys::ERROR_CODE), Some("AccessDenied"));
    assert_eq!(s(&ev, keys::ERROR_MESSAGE), Some("Access Denied"));
    assert_eq!(s(&ev, keys::PHIWATCH_OBJECT_BUCKET), Some("phi-exports"));
    assert_eq!(s(&ev, keys::PHIWATCH_OBJECT_KEY), Some("2024/01/batch.csv"));
    assert_eq!(i(&ev, keys::PHIWATCH_OBJECT_BYTES_IN), Some(4096));
    assert_eq!(i(&ev, keys::PHIWATCH_OBJECT_BYTES_OUT), Some(0));
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), Some(ValueRef::Bool(false)));

    // ConsoleLogin: the response element decides, even without errorCode;
    // MFAUsed wins over the session attribute.
    let ev = one(r#"{"eventTime":"2024-01-02T03:04:05Z","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"Yes"},"userIdentity":{"type":"Root","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"recipientAccountId":111122223333,"sourceIPAddress":"AWS Internal"}"#)
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(ev.get(keys::ERROR_CODE), None);
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), Some(ValueRef::Bool(true)));
    assert_eq!(s(&ev, keys::USER_NAME), Some("root"));
    assert_eq!(s(&ev, keys::CLOUD_ACCOUNT_ID), Some("111122223333"));
    assert_eq!(ev.get(keys::SOURCE_IP), None);
    assert_eq!(ev.get(keys::SOURCE_DOMAIN), None);

    // eventTime wins over @timestamp.
    let ev = one(r#"{"eventTime":"2024-01-02T03:04:05Z","@timestamp":"2030-01-01T00:00:00Z"}"#)
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2024-01-02T03:04:05.000000Z");
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("success"));
}

#[test]
fn bad_records() {
    use ErrorKind::*;
    let cases: &[(&[u8], ErrorKind, &str)] = &[
        (br#"{"Records":[{"eventTime":"2024-01-02T03:04:05Z"}]}"#, Schema, "Records"),
        (br#"{"Records":[]}"#, Schema, "Records"),
        (br#"{"eventName":"GetObject"}"#, Time, "neither `eventTime` nor `@timestamp`"),
        (br#"{"eventTime":1704164645}"#, Time, "field `eventTime`: expected an RFC 3339 time string"),
        (br#"{"eventTime":"Jan 2"}"#, Time, "field `eventTime`: expected an RFC 3339 time"),
        (br#"{"eventTime":null,"@timestamp":"2024-13-02T03:04:05Z"}"#, Time, "field `@timestamp`"),
        (br#"{"eventTime":"2024-01-02T03:04:05Z","additionalEventData":{"bytesTransferredOut":"many"}}"#, Value, "field `additionalEventData.bytesTransferredOut`: expected an integer"),
        (br#"{"eventTime":"2024-01-02T03:04:05Z","additionalEventData":{"bytesTransferredIn":[1]}}"#, Value, "bytesTransferredIn"),
        (br#"{"eventTime":"2024-01-02T03:04:05Z""#, Syntax, "truncated JSON"),
        (br#"{"eventTime":"2024-01-02T03:04:05Z",}"#, Syntax, "invalid JSON"),
        (br#""eventTime""#, Schema, "expected an object"),
        (b"{\"eventTime\":\"2024-01-02T03:04:05Z\",\"userAgent\":\"\xc3\x28\"}", Encoding, "invalid UTF-8"),
    ];
    for (rec, kind, reason) in cases {
        let e = decoder()
            .decode(rec, Origin::default())
            .expect_err(&String::from_utf8_lossy(rec));
        assert_eq!(
            e.kind,
            *kind,
            "{}: {}",
            String::from_utf8_lossy(rec),
            e.reason
        );
        assert!(e.reason.contains(reason), "{}", e.reason);
        assert!(!e.reason.contains("many") && !e.reason.contains("Jan 2"));
    }
    assert!(decoder().decode(b"", Origin::default()).unwrap().is_none());
    assert!(decoder()
        .decode(b" \t\r", Origin::default())
        .unwrap()
        .is_none());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decoder().decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..103,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let src = OTRF.lines().nth(line).unwrap_or("{}");
        let b = common::mutate(src.as_bytes(), edits, cut);
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn odd_values_never_panic(
        outer in "(eventTime|@timestamp|sourceIPAddress|recipientAccountId|errorCode|eventName|userIdentity|additionalEventData|responseElements|requestParameters|Records)",
        inner in "(type|userName|bytesTransferredOut|MFAUsed|ConsoleLogin|bucketName|accountId)",
        value in "(null|true|-1|0.5|18446744073709551616|\"\"|\"[ -~]{0,12}\"|\\[\\]|\\[1,\"a\",null\\]|\\{\\})",
        nest in any::<bool>(),
    ) {
        let v = if nest { format!("{{\"{inner}\":{value}}}") } else { value.clone() };
        let obj = format!("{{\"eventTime\":\"2024-01-02T03:04:05Z\",\"eventName\":\"ConsoleLogin\",\"{outer}\":{v}}}");
        let _ = decoder().decode(obj.as_bytes(), Origin::default());
    }
}
