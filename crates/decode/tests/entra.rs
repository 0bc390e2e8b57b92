//! Entra ID sign-in decoder: golden counts over the synthetic fixtures in
//! `tests/data/entra/` (Graph `signIn` resources and Azure Monitor
//! diagnostic exports), spot checks, bad input, detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, DecodeError, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::s;

const GRAPH: &str = include_str!("data/entra/graph-signins.ndjson");
const GRAPH_PAGE: &str = include_str!("data/entra/graph-page.json");
const DIAGNOSTIC: &str = include_str!("data/entra/diagnostic-signins.ndjson");

fn decoder() -> Box<dyn Decoder> {
    Format::EntraSignIn
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run_lines(text: &str) -> (Vec<Event>, Vec<DecodeError>, usize) {
    let r = common::run_lines(&mut *decoder(), text);
    let errs = r.errors.into_iter().map(|(_, e)| e).collect();
    (r.events, errs, r.skipped)
}

fn mfa(ev: &Event) -> Option<bool> {
    ev.get(keys::PHIWATCH_AUTH_MFA).and_then(|v| v.as_bool())
}

fn summarize(evs: &[Event]) -> String {
    let count = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    format!(
        "user.name={} source.ip={} success={} failure={} error.code={} reason={} mfa.true={} mfa.false={} method={} app={} iso={} as={} ua={}",
        count(&|e| e.get(keys::USER_NAME).is_some()),
        count(&|e| e.get(keys::SOURCE_IP).is_some()),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("success")),
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("failure")),
        count(&|e| e.get(keys::ERROR_CODE).is_some()),
        count(&|e| e.get(keys::EVENT_REASON).is_some()),
        count(&|e| mfa(e) == Some(true)),
        count(&|e| mfa(e) == Some(false)),
        count(&|e| e.get(keys::AUTH_METHOD).is_some()),
        count(&|e| e.get(keys::CLIENT_APPLICATION).is_some()),
        count(&|e| e.get(keys::SOURCE_GEO_COUNTRY_ISO_CODE).is_some()),
        count(&|e| e.get(keys::SOURCE_AS_NUMBER).is_some()),
        count(&|e| e.get(keys::USER_AGENT_ORIGINAL).is_some()),
    )
}

#[test]
fn graph_signins() {
    let (evs, errs, skipped) = run_lines(GRAPH);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((evs.len(), skipped), (6, 0));
    assert_eq!(
        summarize(&evs),
        "user.name=6 source.ip=6 success=3 failure=3 error.code=3 reason=3 mfa.true=2 mfa.false=3 method=6 app=6 iso=6 as=6 ua=6"
    );
    for ev in &evs {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("entra.signin"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("entra"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("entra-signin"));
        assert_eq!(s(ev, keys::EVENT_CATEGORY), Some("authentication"));
    }
    // Interactive sign-in with MFA by push.
    let ev = &evs[0];
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T09:00:12.345678900Z");
    assert_eq!(s(ev, keys::EVENT_ACTION), Some("sign-in"));
    assert_eq!(s(ev, keys::USER_NAME), Some("dana.example@contoso.example"));
    assert_eq!(s(ev, keys::USER_FULL_NAME), Some("Dana Example"));
    assert_eq!(
        s(ev, keys::USER_ID),
        Some("11111111-1111-4111-8111-111111111111")
    );
    assert_eq!(
        ev.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("203.0.113.10")
    );
    assert_eq!(s(ev, keys::SOURCE_GEO_COUNTRY_ISO_CODE), Some("US"));
    assert_eq!(s(ev, keys::SOURCE_GEO_CITY_NAME), Some("Springfield"));
    assert_eq!(s(ev, keys::SOURCE_GEO_REGION_NAME), Some("Illinois"));
    assert_eq!(
        ev.get(keys::SOURCE_GEO_LATITUDE).and_then(|v| v.as_f64()),
        Some(39.78)
    );
    assert_eq!(
        ev.get(keys::SOURCE_AS_NUMBER).and_then(|v| v.as_i64()),
        Some(64500)
    );
    assert_eq!(s(ev, keys::CLIENT_APPLICATION), Some("Azure Portal"));
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(ev.get(keys::ERROR_CODE), None);
    assert_eq!(ev.get(keys::EVENT_REASON), None);
    assert_eq!(mfa(ev), Some(true));
    assert_eq!(s(ev, keys::AUTH_METHOD), Some("password"));
    assert_eq!(
        s(ev, keys::EVENT_ID),
        Some("6a1c0f3e-0000-4000-9000-000000000001")
    );
    assert_eq!(
        s(ev, keys::PHIWATCH_SESSION_ID),
        Some("b7e2c0aa-0000-4000-8000-000000000001")
    );
    assert_eq!(
        ev.get_raw("deviceDetail.operatingSystem")
            .and_then(|v| v.as_str()),
        Some("Windows10")
    );

    // Password spray from another country: failures with codes.
    let ev = &evs[1];
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(ev, keys::ERROR_CODE), Some("50126"));
    assert!(s(ev, keys::EVENT_REASON).is_some_and(|r| r.contains("invalid username or password")));
    assert_eq!(mfa(ev), Some(false));
    assert_eq!(
        s(ev, keys::USER_AGENT_ORIGINAL),
        Some("python-requests/2.31.0")
    );
    // MFA required but the sign-in stopped there: MFA unknown.
    let ev = &evs[3];
    assert_eq!(s(ev, keys::ERROR_CODE), Some("50074"));
    assert_eq!(mfa(ev), None);
    // Non-interactive, MFA satisfied by a token claim, IPv6.
    let ev = &evs[5];
    assert_eq!(s(ev, keys::EVENT_ACTION), Some("non-interactive-sign-in"));
    assert_eq!(mfa(ev), Some(true));
    assert_eq!(s(ev, keys::AUTH_METHOD), Some("previously satisfied"));
    assert_eq!(
        ev.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("2001:db8::25")
    );
}

#[test]
fn diagnostic_export() {
    let (evs, errs, skipped) = run_lines(DIAGNOSTIC);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((evs.len(), skipped), (5, 0));
    assert_eq!(
        summarize(&evs),
        "user.name=5 source.ip=5 success=3 failure=2 error.code=2 reason=2 mfa.true=2 mfa.false=2 method=4 app=5 iso=5 as=4 ua=4"
    );
    let actions: Vec<&str> = evs
        .iter()
        .map(|e| s(e, keys::EVENT_ACTION).unwrap_or("?"))
        .collect();
    assert_eq!(
        actions,
        [
            "sign-in",
            "sign-in",
            "non-interactive-sign-in",
            "service-principal-sign-in",
            "sign-in"
        ]
    );
    let ev = &evs[0];
    assert_eq!(s(ev, keys::USER_NAME), Some("dana.example@contoso.example"));
    assert_eq!(
        s(ev, keys::CLOUD_ACCOUNT_ID),
        Some("00000000-0000-4000-8000-0000000000aa")
    );
    assert_eq!(
        ev.get_raw("properties.status.errorCode")
            .and_then(|v| v.as_i64()),
        Some(0)
    );
    // The service principal is the user; its address is private.
    let ev = &evs[3];
    assert_eq!(s(ev, keys::USER_NAME), Some("records-export-job"));
    assert_eq!(s(ev, keys::PHIWATCH_USER_TYPE), Some("ServicePrincipal"));
    assert_eq!(
        s(ev, keys::USER_ID),
        Some("5d2e1b3c-0000-4000-8000-0000000000ee")
    );
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), None);
    // No status: the envelope's resultType and resultDescription decide.
    let ev = &evs[4];
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(ev, keys::ERROR_CODE), Some("50126"));
    assert_eq!(
        s(ev, keys::EVENT_REASON),
        Some("Invalid username or password")
    );
}

fn one(json: &str) -> Result<Option<Event>, DecodeError> {
    decoder().decode(json.as_bytes(), Origin::default())
}

#[test]
fn bad_records() {
    use ErrorKind::*;
    let cases: &[(&[u8], ErrorKind, &str)] = &[
        (br#"{"userPrincipalName":"a@example.org"}"#, Time, "missing time: `createdDateTime` is absent"),
        (br#"{"category":"SignInLogs","properties":{"userPrincipalName":"a@example.org"}}"#, Time, "`properties.createdDateTime` and `time`"),
        (br#"{"createdDateTime":"yesterday-secret"}"#, Time, "field `createdDateTime`: expected an RFC 3339 time"),
        (br#"{"category":"AuditLogs","time":"2024-03-05T10:00:00Z","properties":{"activityDisplayName":"secret"}}"#, Schema, "field `category`: expected a sign-in log category"),
        (br#"{"createdDateTime":"2024-03-05T10:00:00Z","status":{"errorCode":"secret"}}"#, Value, "field `status.errorCode`: expected an integer error code"),
        (br#"{"time":"2024-03-05T10:00:00Z","category":"SignInLogs","resultType":"secret","properties":{"id":"x"}}"#, Value, "field `resultType`"),
        (br#"{"createdDateTime":"2024-03-05T10:00:00Z","autonomousSystemNumber":"secret"}"#, Value, "field `autonomousSystemNumber`: expected an integer"),
        (br#"{"createdDateTime":"2024-03-05T10:00:00Z","location":{"geoCoordinates":{"latitude":"secret"}}}"#, Value, "field `location.geoCoordinates.latitude`: expected a number"),
        (br#"{"createdDateTime":"2024-03-05T10:00:00Z""#, Syntax, "truncated JSON"),
        (b"{\"createdDateTime\":\"2024-03-05T10:00:00Z\",\"userAgent\":\"\xc3\x28\"}", Encoding, "invalid UTF-8"),
        (b"42", Schema, "expected an object"),
        (br#"{"@odata.context":"x","value":[{"createdDateTime":"2024-03-05T10:00:00Z"}]}"#, Schema, "one record per element of `value`"),
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
        assert!(!e.reason.contains("secret"), "{}", e.reason);
    }
    assert!(decoder().decode(b"", Origin::default()).unwrap().is_none());
    // Null geo coordinates and AS number (Graph writes nulls) are fine.
    let ev = one(r#"{"createdDateTime":"2024-03-05T10:00:00Z","autonomousSystemNumber":null,"location":{"geoCoordinates":{"latitude":null}},"status":{"errorCode":0}}"#)
        .unwrap()
        .unwrap();
    assert_eq!(ev.get(keys::SOURCE_GEO_LATITUDE), None);
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(ev.get(keys::PHIWATCH_AUTH_MFA), None::<ValueRef<'_>>);
}

#[test]
fn detection() {
    for (name, text) in [("graph", GRAPH), ("diagnostic", DIAGNOSTIC)] {
        let d = detect(text.as_bytes()).expect(name);
        assert_eq!(
            (d.format, d.framing),
            (Format::EntraSignIn, Framing::Lines),
            "{name}"
        );
    }
    let d = detect(GRAPH_PAGE.as_bytes()).expect("page");
    assert_eq!(
        (d.format, d.framing),
        (Format::EntraSignIn, Framing::JsonDocuments)
    );
    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"sourceIPAddress\":\"203.0.113.1\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "{\"uuid\":\"x\",\"published\":\"2024-01-01T00:00:00Z\",\"eventType\":\"user.session.start\",\"actor\":{}}\n",
    ] {
        assert_ne!(
            detect(other.as_bytes()).map(|d| d.format),
            Some(Format::EntraSignIn),
            "{other}"
        );
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decoder().decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..5,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let src = DIAGNOSTIC.lines().nth(line).unwrap_or("{}");
        let b = common::mutate(src.as_bytes(), edits, cut);
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn odd_values_never_panic(
        outer in "(status|location|mfaDetail|authenticationDetails|authenticationRequirement|isInteractive|userPrincipalName|ipAddress|resultType|category|properties)",
        inner in "(errorCode|failureReason|countryOrRegion|geoCoordinates|authMethod|authenticationMethod|authenticationStepResultDetail|createdDateTime)",
        value in "(null|true|-1|0.5|18446744073709551616|\"\"|\"[ -~]{0,12}\"|\\[\\]|\\[1,\"a\",null\\]|\\{\\}|\\[\\{\"succeeded\":true\\}\\])",
        nest in any::<bool>(),
    ) {
        let v = if nest { format!("{{\"{inner}\":{value}}}") } else { value.clone() };
        let obj = format!("{{\"createdDateTime\":\"2024-01-02T03:04:05Z\",\"time\":\"2024-01-02T03:04:05Z\",\"{outer}\":{v}}}");
        let _ = decoder().decode(obj.as_bytes(), Origin::default());
    }
}
