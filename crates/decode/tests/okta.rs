//! Okta System Log decoder: golden counts over the panther-analysis
//! fixtures in `tests/data/okta/`, spot checks, bad input, detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, DecodeError, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{s, Run};

const RULE_TESTS: &str = include_str!("data/okta/okta-rule-tests.ndjson");
const ROOT_ATTACKER: &str = include_str!("data/okta/compromised-root-creds.attacker_okta.ndjson");
const ROOT_VICTIM: &str = include_str!("data/okta/compromised-root-creds.victim_okta.ndjson");
const ADMIN_PRIVS: &str =
    include_str!("data/okta/okta-add-administrator.admin_privs_assigned.ndjson");
const BRUTE_FORCE: &str =
    include_str!("data/okta/okta-add-administrator.brute_force_logins.ndjson");
const LEGIT_LOGIN: &str = include_str!("data/okta/okta-add-administrator.legit_login.ndjson");
const NEW_USER: &str = include_str!("data/okta/okta-add-administrator.new-user.ndjson");

fn decoder() -> Box<dyn Decoder> {
    Format::Okta
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    common::run_records(&mut *decoder(), records)
}

fn run_lines(text: &str) -> Run {
    run_records(text.lines().map(str::as_bytes))
}

fn ip(ev: &Event) -> Option<String> {
    ev.get(keys::SOURCE_IP).map(|v| v.to_string())
}

/// Panther rule tests wrap each record: `{rule_id, …, "log": {…}}`.
fn unwrap_log(line: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
    serde_json::to_vec(&v["log"]).expect("log")
}

/// Counts of facts over a set of events, as a stable string.
fn summarize(evs: &[Event]) -> String {
    let count = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    format!(
        "action={} user.name={} source.ip={} success={} failure={} unknown={} reason={} ua={} country={} lat={} as={} target={} method={} mfa={} session={}",
        count(&|e| e.get(keys::EVENT_ACTION).is_some()),
        count(&|e| e.get(keys::USER_NAME).is_some()),
        count(&|e| e.get(keys::SOURCE_IP).is_some()),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("success")),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("failure")),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("unknown")),
        count(&|e| e.get(keys::EVENT_REASON).is_some()),
        count(&|e| e.get(keys::USER_AGENT_ORIGINAL).is_some()),
        count(&|e| e.get(keys::SOURCE_GEO_COUNTRY_NAME).is_some()),
        count(&|e| e.get(keys::SOURCE_GEO_LATITUDE).is_some()),
        count(&|e| e.get(keys::SOURCE_AS_NUMBER).is_some()),
        count(&|e| e.get(keys::USER_TARGET_NAME).is_some()),
        count(&|e| e.get(keys::AUTH_METHOD).is_some()),
        count(&|e| e.get(keys::PHIWATCH_AUTH_MFA) == Some(ValueRef::Bool(true))),
        count(&|e| e.get(keys::PHIWATCH_SESSION_ID).is_some()),
    )
}

const SUMMARY_RULE_TESTS: &str = "action=58 user.name=58 source.ip=55 success=30 failure=17 unknown=7 reason=20 ua=55 country=40 lat=40 as=39 target=29 method=0 mfa=15 session=47";

#[test]
fn panther_rule_tests() {
    let logs: Vec<Vec<u8>> = RULE_TESTS.lines().map(unwrap_log).collect();
    assert_eq!(logs.len(), 66);
    let r = run_records(logs.iter().map(Vec::as_slice));
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (58, 8, 0));
    // Every rejection is a time problem: 4 trimmed records have no
    // `published`, 4 have the placeholder `redacted`.
    let missing = "missing time: `published` is absent";
    let invalid = "field `published`: expected an RFC 3339 time";
    let count = |reason: &str| {
        r.errors
            .iter()
            .filter(|(_, e)| e.kind == ErrorKind::Time && e.reason == reason)
            .count()
    };
    assert_eq!((count(missing), count(invalid)), (4, 4), "{:?}", r.errors);
    assert_eq!(summarize(&r.events), SUMMARY_RULE_TESTS);
    for ev in &r.events {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("okta.system"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("okta"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("okta"));
    }

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
    // Panther's own time form (space, no zone) is read as UTC.
    let ev = find("Support Access Granted");
    assert_eq!(ev.time().to_rfc3339(), "2022-03-22T14:21:53.225000Z");
    assert_eq!(
        s(&ev, keys::EVENT_ACTION),
        Some("user.session.impersonation.grant")
    );
    assert_eq!(s(&ev, keys::USER_NAME), Some("homer@springfield.gov"));
    assert_eq!(s(&ev, keys::USER_FULL_NAME), Some("Homer Simpson"));
    assert_eq!(s(&ev, keys::USER_ID), Some("111111"));
    assert_eq!(ip(&ev).as_deref(), Some("1.1.1.1"));
    assert_eq!(s(&ev, keys::LOG_LEVEL), Some("info"));
    assert_eq!(
        ev.get(keys::EVENT_SEVERITY).and_then(|v| v.as_i64()),
        Some(6)
    );
    assert_eq!(ev.get(keys::EVENT_OUTCOME), None);

    // Lowercased top-level keys (data-lake export) read like the original.
    let ev = find("Anonymizing Proxy Used");
    assert_eq!(s(&ev, keys::EVENT_ACTION), Some("user.session.start"));
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(
        s(&ev, keys::EVENT_REASON),
        Some("FastPass declined phishing attempt")
    );
    assert_eq!(
        s(&ev, keys::MESSAGE),
        Some("Authentication of user via MFA")
    );
    assert_eq!(
        ev.get(keys::SOURCE_AS_NUMBER).and_then(|v| v.as_i64()),
        Some(701)
    );
    assert_eq!(s(&ev, keys::SOURCE_AS_ORGANIZATION_NAME), Some("verizon"));
    assert_eq!(s(&ev, keys::SOURCE_GEO_COUNTRY_NAME), Some("United States"));
    assert_eq!(s(&ev, keys::SOURCE_GEO_REGION_NAME), Some("Ohio"));
    assert_eq!(s(&ev, keys::SOURCE_GEO_CITY_NAME), Some("Springfield"));
    assert_eq!(ev.get(keys::SOURCE_GEO_COUNTRY_ISO_CODE), None);
    assert_eq!(
        ev.get(keys::SOURCE_GEO_LATITUDE).and_then(|v| v.as_f64()),
        Some(20.0)
    );
    assert_eq!(
        s(&ev, keys::USER_TARGET_NAME),
        Some("peter.griffin@company.com")
    );
    assert_eq!(s(&ev, keys::USER_TARGET_ID), Some("0002222AAAA"));
    assert_eq!(s(&ev, keys::PHIWATCH_SESSION_ID), Some("100-abc-9999"));
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), Some(ValueRef::Bool(true)));
    assert_eq!(
        ev.get_raw("securitycontext.isProxy"),
        Some(ValueRef::Bool(true))
    );
}

#[test]
fn scenarios() {
    for (name, text, n) in [
        ("root attacker", ROOT_ATTACKER, 2),
        ("root victim", ROOT_VICTIM, 1),
        ("admin privs", ADMIN_PRIVS, 1),
        ("brute force", BRUTE_FORCE, 10),
        ("legit login", LEGIT_LOGIN, 5),
        ("new user", NEW_USER, 1),
    ] {
        let r = run_lines(text);
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        assert_eq!((r.events.len(), r.skipped), (n, 0), "{name}");
    }
    // Brute force: nine failures from many countries, then a success.
    let r = run_lines(BRUTE_FORCE);
    let outcomes: Vec<&str> = r
        .events
        .iter()
        .map(|e| s(e, keys::EVENT_OUTCOME).unwrap_or("?"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "failure").count(), 9);
    assert_eq!(outcomes.iter().filter(|o| **o == "success").count(), 1);
    let first = &r.events[0];
    assert_eq!(first.time().to_rfc3339(), "2021-06-25T21:27:03.490000Z");
    assert_eq!(
        s(first, keys::USER_NAME),
        Some("jack.naglieri@runpanther.io")
    );
    assert_eq!(
        s(first, keys::USER_EMAIL),
        Some("jack.naglieri@runpanther.io")
    );
    assert_eq!(s(first, keys::EVENT_REASON), Some("VERIFICATION_ERROR"));
    assert_eq!(s(first, keys::SOURCE_GEO_COUNTRY_NAME), Some("Argentina"));
    assert_eq!(ip(first).as_deref(), Some("195.154.58.200"));
    assert_eq!(s(first, keys::EVENT_CATEGORY), Some("authentication"));
    assert!(s(first, keys::USER_AGENT_ORIGINAL).is_some_and(|u| u.starts_with("Mozilla/5.0")));

    // The administrator grant names its target user.
    let r = run_lines(ADMIN_PRIVS);
    let ev = &r.events[0];
    assert_eq!(
        s(ev, keys::EVENT_ACTION),
        Some("user.account.privilege.grant")
    );
    assert_eq!(s(ev, keys::EVENT_CATEGORY), Some("iam"));
    assert!(s(ev, keys::USER_TARGET_NAME).is_some());

    // Failed logins of the compromised-root scenario: ipChain, no session.
    let r = run_lines(ROOT_ATTACKER);
    let ev = &r.events[0];
    assert_eq!(s(ev, keys::USER_NAME), Some("tracey_stone@acme.io"));
    assert_eq!(ev.get(keys::USER_ID), None);
    assert_eq!(ev.get(keys::USER_FULL_NAME), None);
    assert_eq!(
        ev.get_raw("actor.id").and_then(|v| v.as_str()),
        Some("unknown")
    );
    assert_eq!(ev.get(keys::PHIWATCH_SESSION_ID), None);
    assert_eq!(ip(ev).as_deref(), Some("92.55.146.245"));
}

fn one(json: &str) -> Result<Option<Event>, DecodeError> {
    decoder().decode(json.as_bytes(), Origin::default())
}

#[test]
fn targets_mfa_and_outcomes() {
    // The first target of type User is the target user; MFA by event type.
    let ev = one(r#"{"uuid":"u1","published":"2024-03-05T10:00:00.000Z","eventType":"user.authentication.auth_via_mfa","severity":"WARN","actor":{"id":"00u1","type":"User","alternateId":"pat.example@example.org","displayName":"Pat Example"},"client":{"ipAddress":null},"request":{"ipChain":[{"ip":"203.0.113.5"},{"ip":"198.51.100.1"}]},"authenticationContext":{"credentialType":"OTP","externalSessionId":"idx123"},"outcome":{"result":"CHALLENGE"},"target":[{"id":"0oa1","type":"AppInstance","alternateId":"EHR","displayName":"EHR"},{"id":"00u9","type":"User","alternateId":"sam.sample@example.org","displayName":"Sam Sample"},{"id":"00u8","type":"User","alternateId":"other@example.org","displayName":"Other"}]}"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        s(&ev, keys::USER_TARGET_NAME),
        Some("sam.sample@example.org")
    );
    assert_eq!(s(&ev, keys::USER_TARGET_ID), Some("00u9"));
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("unknown"));
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), Some(ValueRef::Bool(true)));
    assert_eq!(s(&ev, keys::AUTH_METHOD), Some("otp"));
    assert_eq!(
        ev.get(keys::EVENT_SEVERITY).and_then(|v| v.as_i64()),
        Some(4)
    );
    assert_eq!(ip(&ev).as_deref(), Some("203.0.113.5"));
    assert_eq!(s(&ev, keys::PHIWATCH_SESSION_ID), Some("idx123"));

    // DENY is a failure; the factor of the debug data is the method.
    let ev = one(r#"{"published":"2024-03-05T10:00:00Z","eventType":"policy.evaluate_sign_on","outcome":{"result":"DENY","reason":"Sign-on policy"},"debugContext":{"debugData":{"factor":"OKTA_VERIFY_PUSH"}},"target":[{"id":"0oa1","type":"AppInstance"}]}"#)
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(&ev, keys::AUTH_METHOD), Some("okta_verify_push"));
    assert_eq!(ev.get(keys::USER_TARGET_NAME), None);
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), Some(ValueRef::Bool(true)));

    // A plain session start says nothing about MFA.
    let ev = one(r#"{"published":"2024-03-05T10:00:00Z","eventType":"user.session.start","outcome":{"result":"SUCCESS"},"authenticationContext":{"credentialType":"PASSWORD","externalSessionId":"unknown"}}"#)
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), None);
    assert_eq!(s(&ev, keys::AUTH_METHOD), Some("password"));
    assert_eq!(ev.get(keys::PHIWATCH_SESSION_ID), None);
}

#[test]
fn bad_records() {
    use ErrorKind::*;
    let cases: &[(&[u8], ErrorKind, &str)] = &[
        (br#"{"eventType":"user.session.start"}"#, Time, "missing time: `published` is absent"),
        (br#"{"published":1700000000}"#, Time, "field `published`: expected an RFC 3339 time string"),
        (br#"{"published":"secret-ssn-123"}"#, Time, "field `published`: expected an RFC 3339 time"),
        (br#"{"published":"2024-03-05T10:00:00Z","securityContext":{"asNumber":"AS-many"}}"#, Value, "field `securityContext.asNumber`: expected an integer"),
        (br#"{"published":"2024-03-05T10:00:00Z","client":{"geographicalContext":{"geolocation":{"lat":"north"}}}}"#, Value, "field `client.geographicalContext.geolocation.lat`: expected a number"),
        (br#"{"published":"2024-03-05T10:00:00Z""#, Syntax, "truncated JSON"),
        (br#"["published"]"#, Schema, "expected an object"),
        (b"{\"published\":\"2024-03-05T10:00:00Z\",\"displayMessage\":\"\xff\"}", Encoding, "invalid UTF-8"),
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
        assert!(
            !e.reason.contains("secret")
                && !e.reason.contains("many")
                && !e.reason.contains("north")
        );
    }
    assert!(decoder().decode(b"", Origin::default()).unwrap().is_none());
    assert!(decoder()
        .decode(b"  \r", Origin::default())
        .unwrap()
        .is_none());
}

#[test]
fn detection() {
    for (name, text) in [
        ("root attacker", ROOT_ATTACKER),
        ("root victim", ROOT_VICTIM),
        ("admin privs", ADMIN_PRIVS),
        ("brute force", BRUTE_FORCE),
        ("legit login", LEGIT_LOGIN),
        ("new user", NEW_USER),
    ] {
        let d = detect(text.as_bytes()).expect(name);
        assert_eq!(
            (d.format, d.framing),
            (Format::Okta, Framing::Lines),
            "{name}"
        );
    }
    // The rule-test records, unwrapped, as NDJSON (lowercased keys included).
    let unwrapped: Vec<u8> = RULE_TESTS
        .lines()
        .filter(|l| l.contains("\"eventtype\""))
        .flat_map(|l| {
            let mut v = unwrap_log(l);
            v.push(b'\n');
            v
        })
        .collect();
    assert_eq!(detect(&unwrapped).map(|d| d.format), Some(Format::Okta));
    // The System Log API's answer: a JSON array.
    let array = format!("[{}]", BRUTE_FORCE.lines().collect::<Vec<_>>().join(","));
    let d = detect(array.as_bytes()).unwrap();
    assert_eq!(
        (d.format, d.framing),
        (Format::Okta, Framing::JsonDocuments)
    );

    // Other formats are not taken for Okta.
    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"eventType\":\"AwsApiCall\",\"eventTime\":\"2024-01-01T00:00:00Z\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "{\"timestamp\":\"2020-01-01T00:00:00.0+0000\",\"event_type\":\"flow\"}\n",
    ] {
        assert_ne!(detect(other.as_bytes()).map(|d| d.format), Some(Format::Okta), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decoder().decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..10,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let src = BRUTE_FORCE.lines().nth(line).unwrap_or("{}");
        let b = common::mutate(src.as_bytes(), edits, cut);
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn odd_values_never_panic(
        outer in "(published|eventType|actor|client|outcome|target|securityContext|authenticationContext|debugContext|severity|eventtype)",
        inner in "(type|alternateId|ipAddress|result|asNumber|credentialType|externalSessionId|geolocation|debugData|id)",
        value in "(null|true|-1|0.5|18446744073709551616|\"\"|\"[ -~]{0,12}\"|\\[\\]|\\[1,\"a\",null\\]|\\{\\}|\\[\\{\"type\":\"User\"\\}\\])",
        nest in any::<bool>(),
    ) {
        let v = if nest { format!("{{\"{inner}\":{value}}}") } else { value.clone() };
        let obj = format!("{{\"published\":\"2024-01-02T03:04:05Z\",\"{outer}\":{v}}}");
        let _ = decoder().decode(obj.as_bytes(), Origin::default());
    }
}
