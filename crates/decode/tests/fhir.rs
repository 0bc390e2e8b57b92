//! FHIR AuditEvent decoder: golden counts over the HL7 R4 spec examples and
//! the synthetic EHR events in `tests/data/fhir/`, plus bad input and
//! detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{s, Run};

const SPEC_NDJSON: &str = include_str!("data/fhir/spec-audit.ndjson");
const SYNTHETIC: &str = include_str!("data/fhir/ehr-synthetic.ndjson");
const BUNDLE: &str = include_str!("data/fhir/audit-bundle.json");
const BAD: &str = include_str!("data/fhir/bad.ndjson");
const PATIENT: &str = include_str!("data/fhir/spec/patient-example.json");
const SPEC_FILES: [(&str, &str); 9] = [
    (
        "audit-event-example-login",
        include_str!("data/fhir/spec/audit-event-example-login.json"),
    ),
    (
        "audit-event-example-logout",
        include_str!("data/fhir/spec/audit-event-example-logout.json"),
    ),
    (
        "audit-event-example-media",
        include_str!("data/fhir/spec/audit-event-example-media.json"),
    ),
    (
        "audit-event-example-pixQuery",
        include_str!("data/fhir/spec/audit-event-example-pixQuery.json"),
    ),
    (
        "audit-event-example-search",
        include_str!("data/fhir/spec/audit-event-example-search.json"),
    ),
    (
        "audit-event-example-vread",
        include_str!("data/fhir/spec/audit-event-example-vread.json"),
    ),
    (
        "auditevent-example-disclosure",
        include_str!("data/fhir/spec/auditevent-example-disclosure.json"),
    ),
    (
        "auditevent-example-error",
        include_str!("data/fhir/spec/auditevent-example-error.json"),
    ),
    (
        "auditevent-example",
        include_str!("data/fhir/spec/auditevent-example.json"),
    ),
];

fn decoder() -> Box<dyn Decoder> {
    Format::FhirAudit
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    common::run_records(&mut *decoder(), records)
}

fn run_lines(text: &str) -> Run {
    run_records(text.lines().map(str::as_bytes))
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

fn by_id<'a>(evs: &'a [Event], id: &str) -> &'a Event {
    evs.iter()
        .find(|e| s(e, keys::EVENT_ID) == Some(id))
        .unwrap_or_else(|| panic!("no event {id}"))
}

/// The bundle's entry resources, as the ingest layer frames them.
fn bundle_entries() -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    v["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].to_string())
        .collect()
}

#[test]
fn spec_examples_each_file() {
    for (name, json) in SPEC_FILES {
        let r = run_records([json.as_bytes()]);
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        assert_eq!(r.events.len(), 1, "{name}");
        let ev = &r.events[0];
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("fhir.audit"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("fhir"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("fhir-audit"));
        assert!(s(ev, keys::EVENT_OUTCOME).is_some(), "{name}");
        // Raw fields keep FHIR's names.
        assert_eq!(
            ev.get_raw("resourceType").unwrap().as_str(),
            Some("AuditEvent")
        );
        assert!(ev.get_raw("agent.type.coding.code").is_some(), "{name}");
    }
}

#[test]
fn spec_examples_ndjson() {
    let r = run_lines(SPEC_NDJSON);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (9, 0));
    let e = &r.events;

    let vread = by_id(e, "example-rest");
    assert_eq!(vread.time().to_rfc3339(), "2013-06-20T23:42:24.000000Z");
    assert_eq!(s(vread, keys::EVENT_ACTION), Some("vread"));
    assert_eq!(s(vread, keys::EVENT_CODE), Some("rest"));
    assert_eq!(s(vread, keys::EVENT_TYPE), Some("access"));
    assert_eq!(s(vread, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(patients(vread), ["example"]);
    assert_eq!(s(vread, keys::RESOURCE_TYPE), Some("Patient"));
    assert_eq!(s(vread, keys::RESOURCE_ID), Some("example"));
    // The requestor: who.identifier.value is the id, altId the login.
    assert_eq!(s(vread, keys::USER_ID), Some("95"));
    assert_eq!(s(vread, keys::USER_NAME), Some("601847123"));
    assert_eq!(s(vread, keys::USER_FULL_NAME), Some("Grahame Grieve"));
    // The requestor has no network: the workstation agent's is used.
    assert_eq!(
        s(vread, keys::CLIENT_ADDRESS),
        Some("Workstation1.ehr.familyclinic.com")
    );
    assert!(vread.get(keys::CLIENT_IP).is_none());

    let search = by_id(e, "example-search");
    assert_eq!(s(search, keys::EVENT_ACTION), Some("search"));
    assert_eq!(
        s(search, keys::URL_ORIGINAL),
        Some("http://fhir-dev.healthintersections.com.au/open/Encounter?participant=13")
    );
    assert_eq!(s(search, keys::URL_QUERY), Some("participant=13"));
    assert_eq!(s(search, keys::URL_PATH), Some("/open/Encounter"));
    assert_eq!(
        search.get_raw("entity.query.decoded").unwrap().as_str(),
        Some("http://fhir-dev.healthintersections.com.au/open/Encounter?participant=13")
    );
    assert_eq!(
        s(search, keys::CLIENT_APPLICATION),
        Some("hl7connect.healthintersections.com.au")
    );

    let login = by_id(e, "example-login");
    assert_eq!(s(login, keys::EVENT_ACTION), Some("Login"));
    assert_eq!(s(login, keys::EVENT_CATEGORY), Some("authentication"));
    assert_eq!(text(login, keys::CLIENT_IP).as_deref(), Some("127.0.0.1"));

    // PIX query: patient by identifier (role 1), an HL7 v3 XML query.
    let pix = by_id(e, "example-pixQuery");
    assert_eq!(
        patients(pix),
        ["e3cdfc81a0d24bd^^^&2.16.840.1.113883.4.2&ISO"]
    );
    assert!(s(pix, keys::URL_QUERY).unwrap().starts_with("<?xml"));

    let disclosure = by_id(e, "example-disclosure");
    assert_eq!(patients(disclosure), ["example"]);
    assert_eq!(s(disclosure, keys::USER_ID), Some("SomeIdiot@nowhere"));
    assert_eq!(s(disclosure, keys::CLIENT_ADDRESS), Some("custodian.net"));
    assert_eq!(
        s(disclosure, keys::EVENT_REASON),
        Some("Successful  Disclosure")
    );
    assert_eq!(
        disclosure
            .get_raw("purposeOfEvent.coding.code")
            .unwrap()
            .as_str(),
        Some("HMARKT")
    );

    let error = by_id(e, "example-error");
    assert_eq!(s(error, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(error, keys::EVENT_TYPE), Some("creation"));
    assert!(s(error, keys::ERROR_MESSAGE)
        .unwrap()
        .starts_with("Invalid request"));
    // `#o1` is a contained reference: no resource.
    assert!(error.get(keys::RESOURCE_TYPE).is_none());

    let app = by_id(e, "example");
    assert_eq!(app.time().to_rfc3339(), "2012-10-25T11:04:27.000000Z");
    assert_eq!(
        text(app, keys::USER_ROLES).as_deref(),
        Some("Service User (Logon)")
    );

    let summary = summarize(&r.events);
    assert_eq!(summary, SUMMARY_SPEC, "{summary}");
}

fn summarize(evs: &[Event]) -> String {
    let count = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    format!(
        "failure={} user.name={} user.id={} client.ip={} client.address={} app={} patients={} resource={} url.query={} action={}",
        count(&|e| s(e, keys::EVENT_OUTCOME) == Some("failure")),
        count(&|e| e.get(keys::USER_NAME).is_some()),
        count(&|e| e.get(keys::USER_ID).is_some()),
        count(&|e| e.get(keys::CLIENT_IP).is_some()),
        count(&|e| e.get(keys::CLIENT_ADDRESS).is_some()),
        count(&|e| e.get(keys::CLIENT_APPLICATION).is_some()),
        count(&|e| e.get(keys::PATIENT_IDS).is_some()),
        count(&|e| e.get(keys::RESOURCE_TYPE).is_some()),
        count(&|e| e.get(keys::URL_QUERY).is_some()),
        count(&|e| e.get(keys::EVENT_ACTION).is_some()),
    )
}

const SUMMARY_SPEC: &str = "failure=1 user.name=9 user.id=9 client.ip=3 client.address=8 app=9 patients=4 resource=3 url.query=2 action=9";
const SUMMARY_SYNTHETIC: &str = "failure=3 user.name=10 user.id=10 client.ip=10 client.address=10 app=10 patients=6 resource=6 url.query=5 action=10";

#[test]
fn synthetic_ehr_events() {
    let r = run_lines(SYNTHETIC);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (10, 0));
    let e = &r.events;

    let export = by_id(e, "ae-0001");
    assert_eq!(s(export, keys::EVENT_ACTION), Some("$export"));
    assert_eq!(
        s(export, keys::CLIENT_APPLICATION),
        Some("Acme Analytics Sync (registered 2026-11-01)")
    );
    assert_eq!(s(export, keys::USER_ID), Some("client-7f3e"));
    assert_eq!(
        text(export, keys::CLIENT_IP).as_deref(),
        Some("198.51.100.23")
    );
    assert_eq!(s(export, keys::RESOURCE_TYPE), Some("Group"));
    assert_eq!(s(export, keys::RESOURCE_ID), Some("diabetes-cohort"));
    assert_eq!(
        s(export, keys::URL_QUERY),
        Some("_type=Patient,Observation,Condition&_since=2026-01-01T00:00:00Z")
    );
    assert_eq!(s(export, keys::URL_DOMAIN), Some("ehr.example.org"));
    assert_eq!(
        export.get(keys::EVENT_END).unwrap().to_string(),
        "2026-11-02T02:31:55.000000Z"
    );
    assert_eq!(s(export, keys::OBSERVER_NAME), Some("Example EHR FHIR API"));

    let compartment = by_id(e, "ae-0003");
    assert_eq!(s(compartment, keys::EVENT_ACTION), Some("search-type"));
    assert_eq!(patients(compartment), ["pt-1001"]);
    assert_eq!(
        s(compartment, keys::URL_QUERY),
        Some("patient=pt-1001&category=laboratory&_count=50")
    );
    assert_eq!(s(compartment, keys::USER_NAME), Some("dr.test.alpha"));
    assert_eq!(s(compartment, keys::USER_ID), Some("u-4411"));
    assert_eq!(
        compartment.time().to_rfc3339(),
        "2026-11-02T08:01:44.100000Z"
    );

    // Patients only named in the query.
    let multi = by_id(e, "ae-0004");
    assert_eq!(patients(multi), ["pt-1002", "pt-1003"]);
    assert_eq!(
        s(multi, keys::URL_QUERY),
        Some("subject=Patient/pt-1002,Patient/pt-1003&code=http://loinc.org|4548-4")
    );

    let vread = by_id(e, "ae-0005");
    assert_eq!(
        text(vread, keys::CLIENT_IP).as_deref(),
        Some("2001:db8:10::25")
    );
    assert_eq!(patients(vread), ["pt-1004"]);

    let read = by_id(e, "ae-0006");
    assert_eq!(s(read, keys::RESOURCE_TYPE), Some("Observation"));
    assert_eq!(s(read, keys::RESOURCE_ID), Some("obs-77"));
    assert_eq!(patients(read), ["pt-1004"]);

    let denied = by_id(e, "ae-0007");
    assert_eq!(s(denied, keys::EVENT_OUTCOME), Some("failure"));
    assert!(s(denied, keys::ERROR_MESSAGE)
        .unwrap()
        .starts_with("Access denied"));
    assert_eq!(s(denied, keys::EVENT_ACTION), Some("search-system"));

    let minor = by_id(e, "ae-0008");
    assert_eq!(s(minor, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(minor, keys::URL_PATH), Some("/fhir/Patient/$export"));

    let delete = by_id(e, "ae-0009");
    assert_eq!(s(delete, keys::EVENT_TYPE), Some("deletion"));
    assert_eq!(s(delete, keys::RESOURCE_TYPE), Some("DocumentReference"));
    assert_eq!(patients(delete), ["pt-1005"]);

    let create = by_id(e, "ae-0010");
    assert_eq!(s(create, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(create, keys::RESOURCE_TYPE), Some("Condition"));
    assert_eq!(s(create, keys::RESOURCE_ID), Some("cond-9"));

    let summary = summarize(&r.events);
    assert_eq!(summary, SUMMARY_SYNTHETIC, "{summary}");
}

#[test]
fn bundle_entries_decode_and_detect() {
    let entries = bundle_entries();
    assert_eq!(entries.len(), 19);
    let r = run_records(entries.iter().map(|e| e.as_bytes()));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.events.len(), 19);
    assert_eq!(
        summarize(&r.events[..9]),
        SUMMARY_SPEC,
        "bundle entries decode as the NDJSON lines do"
    );
    let d = detect(BUNDLE.as_bytes()).expect("detected");
    assert_eq!(
        (d.format, d.framing),
        (Format::FhirAudit, Framing::JsonDocuments)
    );
    // A compact one-line bundle too.
    let compact: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    let d = detect(compact.to_string().as_bytes()).expect("detected");
    assert_eq!(
        (d.format, d.framing),
        (Format::FhirAudit, Framing::JsonDocuments)
    );
}

#[test]
fn detection_of_fixtures() {
    for text in [SPEC_NDJSON, SYNTHETIC] {
        let d = detect(text.as_bytes()).expect("detected");
        assert_eq!((d.format, d.framing), (Format::FhirAudit, Framing::Lines));
    }
    for (name, json) in SPEC_FILES {
        let d = detect(json.as_bytes()).expect(name);
        assert_eq!(d.format, Format::FhirAudit, "{name}");
    }
    // A pretty-printed single resource.
    let v: serde_json::Value = serde_json::from_str(SPEC_FILES[5].1).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let d = detect(pretty.as_bytes()).expect("detected");
    assert_eq!(
        (d.format, d.framing),
        (Format::FhirAudit, Framing::JsonDocuments)
    );
}

#[test]
fn other_formats_are_not_captured() {
    let others = [
        PATIENT,
        "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"subject\":{\"reference\":\"Patient/p1\"}}\n",
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
    ];
    for o in others {
        let got = detect(o.as_bytes()).map(|d| d.format);
        assert_ne!(got, Some(Format::FhirAudit), "{o}");
    }
}

#[test]
fn bad_records() {
    let r = run_lines(BAD);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (0, 9, 1));
    let kinds: Vec<ErrorKind> = r.errors.iter().map(|(_, e)| e.kind).collect();
    use ErrorKind::*;
    assert_eq!(
        kinds,
        [Schema, Syntax, Time, Time, Value, Value, Value, Schema, Schema]
    );
    assert_eq!(r.errors[0].1.reason, "not an AuditEvent (Patient)");
    for (_, e) in &r.errors {
        // Never the content: no fictional names or ids from the records.
        assert!(!e.reason.contains("pt-1001"), "{e}");
        assert!(!e.reason.contains("Chalmers"), "{e}");
    }
}

#[test]
fn edge_cases() {
    let mut dec = decoder();
    let o = Origin::default();
    // Empty and blank records carry nothing.
    assert!(dec.decode(b"", o).unwrap().is_none());
    assert!(dec.decode(b"  \r", o).unwrap().is_none());
    // Invalid UTF-8 is an encoding error.
    let e = dec
        .decode(b"{\"resourceType\":\"AuditEvent\",\"x\":\"\xff\"}", o)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    // resourceType of the wrong type.
    let e = dec.decode(b"{\"resourceType\":5}", o).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    // A resource type that is not a name is not echoed.
    let e = dec
        .decode(b"{\"resourceType\":\"John Smith 1970\"}", o)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schema);
    assert!(!e.reason.contains("Smith"));
    // Minimal AuditEvent: just the time.
    let ev = dec
        .decode(
            b"{\"resourceType\":\"AuditEvent\",\"recorded\":\"2026-01-01T00:00:00Z\"}",
            o,
        )
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2026-01-01T00:00:00.000000Z");
    // An undecodable query is kept raw only.
    let ev = dec
        .decode(
            b"{\"resourceType\":\"AuditEvent\",\"recorded\":\"2026-01-01T00:00:00Z\",\"entity\":[{\"query\":\"!!not base64!!\"}]}",
            o,
        )
        .unwrap()
        .unwrap();
    assert!(ev.get(keys::URL_QUERY).is_none());
    assert_eq!(
        ev.get_raw("entity.query").unwrap().as_str(),
        Some("!!not base64!!")
    );
    // Bad period.
    let e = dec
        .decode(
            b"{\"resourceType\":\"AuditEvent\",\"recorded\":\"2026-01-01T00:00:00Z\",\"period\":{\"start\":\"soon\"}}",
            o,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Time);
    assert!(e.reason.contains("period.start"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut dec = decoder();
        let _ = dec.decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(cut in 0usize..4000, byte in any::<u8>()) {
        let line = SYNTHETIC.lines().next().unwrap().as_bytes();
        let mut v = line.to_vec();
        let i = cut % v.len();
        v[i] = byte;
        let mut dec = decoder();
        let _ = dec.decode(&v, Origin::default());
        let _ = dec.decode(&line[..i], Origin::default());
    }
}
