//! Windows events decoder: golden counts over the synthetic fixtures in
//! `tests/data/windows/` (evtx_dump / Chainsaw `{"Event":…}` JSON, one per
//! line or pretty-printed, and Hayabusa timeline lines), spot-checked
//! normalized values, bad records, detection and a no-panic property.
//! The real EVTX corpus is checked through the ingest layer
//! (`crates/ingest/tests/evtx.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin};
use proptest::prelude::*;

mod common;
use common::Run;

const SECURITY: &str = include_str!("data/windows/security.jsonl");
const SYSTEM: &str = include_str!("data/windows/system.jsonl");
const SYSMON: &str = include_str!("data/windows/sysmon.jsonl");
const POWERSHELL: &str = include_str!("data/windows/powershell.json");
const HAYABUSA: &str = include_str!("data/windows/hayabusa.jsonl");
const BAD: &str = include_str!("data/windows/bad.jsonl");

fn decoder() -> Box<dyn Decoder> {
    Format::Windows
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

impl Run {
    fn counts(&self) -> (usize, usize, usize) {
        (self.events.len(), self.errors.len(), self.skipped)
    }
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    common::run_records(&mut *decoder(), records)
}

fn run_lines(text: &str) -> Run {
    run_records(text.lines().map(str::as_bytes))
}

/// Concatenated (pretty-printed) JSON documents, one record each, as the
/// ingest layer frames them.
fn run_documents(text: &str) -> Run {
    let docs: Vec<&[u8]> = serde_json::Deserializer::from_str(text)
        .into_iter::<&serde_json::value::RawValue>()
        .map(|d| d.unwrap().get().as_bytes())
        .collect();
    run_records(docs)
}

fn s(ev: &Event, k: Key) -> Option<String> {
    ev.get(k).map(|v| v.to_string())
}

fn raw(ev: &Event, name: &str) -> Option<String> {
    ev.get_raw(name).map(|v| v.to_string())
}

fn common(ev: &Event) {
    assert_eq!(s(ev, keys::EVENT_MODULE).as_deref(), Some("windows"));
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT).as_deref(), Some("windows"));
    assert!(ev.get(keys::EVENT_CODE).is_some());
    assert!(ev.get(keys::EVENT_ACTION).is_some());
}

#[test]
fn golden_counts() {
    assert_eq!(run_lines(SECURITY).counts(), (4, 0, 0));
    assert_eq!(run_lines(SYSTEM).counts(), (5, 0, 0));
    assert_eq!(run_lines(SYSMON).counts(), (5, 0, 0));
    assert_eq!(run_documents(POWERSHELL).counts(), (2, 0, 0));
    assert_eq!(run_lines(HAYABUSA).counts(), (3, 0, 0));
    assert_eq!(run_lines(BAD).counts(), (0, 10, 1));
    for text in [SECURITY, SYSTEM, SYSMON, HAYABUSA] {
        run_lines(text).events.iter().for_each(common);
    }
    run_documents(POWERSHELL).events.iter().for_each(common);
}

#[test]
fn security_logons() {
    let r = run_lines(SECURITY);
    let ok = &r.events[0];
    assert_eq!(ok.time().to_rfc3339(), "2024-03-05T14:22:31.123456Z");
    assert_eq!(raw(ok, "EventID").as_deref(), Some("4624"));
    assert_eq!(ok.get_raw("EventID").unwrap().as_i64(), Some(4624));
    assert_eq!(
        raw(ok, "Provider_Name").as_deref(),
        Some("Microsoft-Windows-Security-Auditing")
    );
    // GUIDs in the form Windows renders them (Event Viewer, Sigma rules).
    assert_eq!(
        raw(ok, "Provider_Guid").as_deref(),
        Some("{54849625-5478-4994-A5BA-3E3B0328C30D}")
    );
    assert_eq!(raw(ok, "ProcessID").as_deref(), Some("636"));
    assert_eq!(raw(ok, "ThreadID").as_deref(), Some("4512"));
    assert_eq!(
        raw(ok, "ActivityID").as_deref(),
        Some("{A1B2C3D4-0000-0000-0000-000000000001}")
    );
    assert_eq!(
        raw(ok, "TimeCreated").as_deref(),
        Some("2024-03-05T14:22:31.123456Z")
    );
    assert_eq!(raw(ok, "EventRecordID").as_deref(), Some("1001"));
    assert_eq!(raw(ok, "Keywords").as_deref(), Some("0x8020000000000000"));
    assert_eq!(raw(ok, "LogonType").as_deref(), Some("3"));
    assert_eq!(s(ok, keys::EVENT_CODE).as_deref(), Some("4624"));
    assert_eq!(
        s(ok, keys::EVENT_DATASET).as_deref(),
        Some("windows.security")
    );
    assert_eq!(
        s(ok, keys::HOST_NAME).as_deref(),
        Some("ehr-app01.example.test")
    );
    assert_eq!(
        s(ok, keys::EVENT_PROVIDER).as_deref(),
        Some("Microsoft-Windows-Security-Auditing")
    );
    assert_eq!(s(ok, keys::EVENT_ACTION).as_deref(), Some("logged-in"));
    assert_eq!(s(ok, keys::EVENT_OUTCOME).as_deref(), Some("success"));
    assert_eq!(s(ok, keys::USER_NAME).as_deref(), Some("dr.fictional"));
    assert_eq!(s(ok, keys::USER_DOMAIN).as_deref(), Some("EXAMPLE"));
    assert_eq!(
        s(ok, keys::USER_ID).as_deref(),
        Some("S-1-5-21-1111111111-2222222222-3333333333-1105")
    );
    assert_eq!(s(ok, keys::SOURCE_IP).as_deref(), Some("192.0.2.10"));
    assert_eq!(ok.get(keys::SOURCE_PORT).unwrap().as_i64(), Some(50123));
    assert_eq!(s(ok, keys::SOURCE_DOMAIN).as_deref(), Some("WS-CLINIC-07"));
    assert_eq!(s(ok, keys::AUTH_METHOD).as_deref(), Some("ntlm"));
    assert_eq!(s(ok, keys::LOG_LEVEL).as_deref(), Some("information"));
    // `Correlation`/`Security` null elements carry nothing.
    assert!(ok.get_raw("Security").is_none());

    let failed = &r.events[1];
    assert_eq!(
        s(failed, keys::EVENT_ACTION).as_deref(),
        Some("logon-failed")
    );
    assert_eq!(s(failed, keys::EVENT_OUTCOME).as_deref(), Some("failure"));
    assert_eq!(
        s(failed, keys::USER_NAME).as_deref(),
        Some("nurse.placeholder")
    );
    // An IPv4-mapped IPv6 address is read as IPv4.
    assert_eq!(s(failed, keys::SOURCE_IP).as_deref(), Some("198.51.100.23"));
    // No package (`-`): the logon type names the method.
    assert_eq!(
        s(failed, keys::AUTH_METHOD).as_deref(),
        Some("remote-interactive")
    );
    assert_eq!(failed.get(keys::PROCESS_PID).unwrap().as_i64(), Some(0x1a4));

    let created = &r.events[2];
    assert_eq!(
        s(created, keys::PROCESS_EXECUTABLE).as_deref(),
        Some("C:\\Windows\\System32\\cmd.exe")
    );
    assert_eq!(s(created, keys::PROCESS_NAME).as_deref(), Some("cmd.exe"));
    assert_eq!(
        created.get(keys::PROCESS_PID).unwrap().as_i64(),
        Some(0x1f40)
    );
    assert_eq!(
        created.get(keys::PROCESS_PARENT_PID).unwrap().as_i64(),
        Some(0x1a4)
    );
    assert_eq!(
        s(created, keys::PROCESS_PARENT_EXECUTABLE).as_deref(),
        Some("C:\\Windows\\explorer.exe")
    );
    assert!(s(created, keys::PROCESS_COMMAND_LINE)
        .unwrap()
        .starts_with("cmd.exe /c copy"));
    // Not a logon: the subject is the user.
    assert_eq!(s(created, keys::USER_NAME).as_deref(), Some("dr.fictional"));
    assert_eq!(
        s(created, keys::EVENT_ACTION).as_deref(),
        Some("created-process")
    );
    assert!(created.get(keys::EVENT_OUTCOME).is_none());

    // UserData: the inner element's children by their names.
    let cleared = &r.events[3];
    assert_eq!(
        raw(cleared, "SubjectUserName").as_deref(),
        Some("admin.example")
    );
    assert_eq!(raw(cleared, "SubjectLogonId").as_deref(), Some("0x5e1a7"));
    assert!(raw(cleared, "xmlns").is_none());
    assert_eq!(
        s(cleared, keys::USER_NAME).as_deref(),
        Some("admin.example")
    );
    assert_eq!(
        s(cleared, keys::EVENT_ACTION).as_deref(),
        Some("audit-log-cleared")
    );
}

#[test]
fn system_application_and_data_lists() {
    let r = run_lines(SYSTEM);
    let svc = &r.events[0];
    // EventID with Qualifiers.
    assert_eq!(svc.get_raw("EventID").unwrap().as_i64(), Some(7045));
    assert_eq!(raw(svc, "Qualifiers").as_deref(), Some("16384"));
    assert_eq!(
        raw(svc, "UserID").as_deref(),
        Some("S-1-5-21-1111111111-2222222222-3333333333-500")
    );
    // The `evtx` crate's `{lowercase}` GUIDs are put in Windows' form.
    assert_eq!(
        raw(svc, "Provider_Guid").as_deref(),
        Some("{555908D1-A6D7-4695-8E1E-26931D2012F4}")
    );
    assert_eq!(
        raw(svc, "Provider_EventSourceName").as_deref(),
        Some("Service Control Manager")
    );
    assert_eq!(
        s(svc, keys::EVENT_DATASET).as_deref(),
        Some("windows.system")
    );
    assert_eq!(
        s(svc, keys::EVENT_ACTION).as_deref(),
        Some("service-installed")
    );
    assert_eq!(
        raw(svc, "ImagePath").as_deref(),
        Some("C:\\ProgramData\\svc.exe")
    );
    assert_eq!(
        s(svc, keys::USER_ID).as_deref(),
        Some("S-1-5-21-1111111111-2222222222-3333333333-500")
    );

    // Unnamed Data elements: a list under `Data`; EventID as text.
    let crash = &r.events[1];
    assert_eq!(crash.get_raw("EventID").unwrap().as_i64(), Some(1000));
    assert_eq!(s(crash, keys::EVENT_CODE).as_deref(), Some("1000"));
    assert_eq!(
        s(crash, keys::EVENT_DATASET).as_deref(),
        Some("windows.application")
    );
    assert_eq!(s(crash, keys::LOG_LEVEL).as_deref(), Some("error"));
    let data = crash.get_raw("Data").unwrap();
    let phiwatch_event::ValueRef::List(list) = data else {
        panic!("Data is a list");
    };
    assert_eq!(list.len(), 6);
    assert_eq!(list.iter().next().unwrap().as_str(), Some("example.exe"));
    assert!(crash.get_raw("Binary").unwrap().is_null());
    // An unknown event id: the action is the id.
    assert_eq!(s(crash, keys::EVENT_ACTION).as_deref(), Some("1000"));

    let single = &r.events[2];
    assert_eq!(raw(single, "Data").as_deref(), Some("single unnamed value"));
    assert!(matches!(
        single.get_raw("Data"),
        Some(phiwatch_event::ValueRef::List(_))
    ));

    // Data elements that keep their `Name` attribute apart.
    let named = &r.events[3];
    assert_eq!(raw(named, "PatientExport").as_deref(), Some("batch-42"));
    assert_eq!(raw(named, "Rows").as_deref(), Some("120"));
    assert_eq!(
        s(named, keys::EVENT_DATASET).as_deref(),
        Some("windows.other")
    );

    // Attributes kept apart (`Provider_attributes`, `--separate-json-attributes`).
    let sep = &r.events[4];
    assert_eq!(sep.time().to_rfc3339(), "2024-03-05T16:08:00.123456700Z");
    assert_eq!(
        raw(sep, "Provider_Name").as_deref(),
        Some("Service Control Manager")
    );
    assert_eq!(
        raw(sep, "Provider_Guid").as_deref(),
        Some("{555908D1-A6D7-4695-8E1E-26931D2012F4}")
    );
    assert_eq!(raw(sep, "Qualifiers").as_deref(), Some("16384"));
    assert_eq!(raw(sep, "ThreadID").as_deref(), Some("9004"));
    assert_eq!(raw(sep, "param2").as_deref(), Some("running"));
    assert_eq!(s(sep, keys::EVENT_CODE).as_deref(), Some("7036"));
    assert!(sep.get_raw("Provider_attributes.Name").is_none());
}

#[test]
fn sysmon_events() {
    let r = run_lines(SYSMON);
    let p = &r.events[0];
    assert_eq!(s(p, keys::EVENT_DATASET).as_deref(), Some("windows.sysmon"));
    assert_eq!(s(p, keys::EVENT_ACTION).as_deref(), Some("process-created"));
    assert_eq!(
        s(p, keys::PROCESS_EXECUTABLE).as_deref(),
        Some("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    );
    assert_eq!(s(p, keys::PROCESS_NAME).as_deref(), Some("powershell.exe"));
    assert_eq!(p.get(keys::PROCESS_PID).unwrap().as_i64(), Some(6120));
    assert_eq!(
        p.get(keys::PROCESS_PARENT_PID).unwrap().as_i64(),
        Some(5200)
    );
    assert_eq!(
        s(p, keys::PROCESS_PARENT_EXECUTABLE).as_deref(),
        Some("C:\\Windows\\explorer.exe")
    );
    assert_eq!(
        s(p, keys::PROCESS_PARENT_COMMAND_LINE).as_deref(),
        Some("C:\\Windows\\Explorer.EXE")
    );
    assert!(s(p, keys::PROCESS_COMMAND_LINE)
        .unwrap()
        .contains("Compress-Archive"));
    assert_eq!(s(p, keys::USER_NAME).as_deref(), Some("dr.fictional"));
    assert_eq!(s(p, keys::USER_DOMAIN).as_deref(), Some("EXAMPLE"));
    assert_eq!(s(p, keys::USER_ID).as_deref(), Some("S-1-5-18"));
    assert_eq!(raw(p, "IntegrityLevel").as_deref(), Some("Medium"));

    let net = &r.events[1];
    assert_eq!(
        s(net, keys::EVENT_ACTION).as_deref(),
        Some("network-connection")
    );
    assert_eq!(s(net, keys::SOURCE_IP).as_deref(), Some("10.20.30.40"));
    assert_eq!(net.get(keys::SOURCE_PORT).unwrap().as_i64(), Some(49822));
    assert_eq!(
        s(net, keys::DESTINATION_IP).as_deref(),
        Some("203.0.113.50")
    );
    assert_eq!(net.get(keys::DESTINATION_PORT).unwrap().as_i64(), Some(443));
    assert_eq!(s(net, keys::NETWORK_TRANSPORT).as_deref(), Some("tcp"));
    assert_eq!(net.get_raw("Initiated").unwrap().as_bool(), Some(true));
    assert!(net.get(keys::DESTINATION_DOMAIN).is_none());

    let file = &r.events[2];
    assert_eq!(s(file, keys::FILE_PATH).as_deref(), Some("E:\\x.zip"));
    assert_eq!(s(file, keys::EVENT_ACTION).as_deref(), Some("file-created"));

    let dns = &r.events[3];
    assert_eq!(
        s(dns, keys::DNS_QUESTION_NAME).as_deref(),
        Some("upload.example.net")
    );
    assert_eq!(s(dns, keys::USER_NAME).as_deref(), Some("SYSTEM"));
    assert_eq!(s(dns, keys::USER_DOMAIN).as_deref(), Some("NT AUTHORITY"));

    let reg = &r.events[4];
    assert!(s(reg, keys::REGISTRY_PATH).unwrap().ends_with("\\Run\\x"));
    assert_eq!(raw(reg, "Details").as_deref(), Some("C:\\x.exe"));
}

#[test]
fn powershell_documents() {
    let r = run_documents(POWERSHELL);
    let sb = &r.events[0];
    assert_eq!(
        s(sb, keys::EVENT_DATASET).as_deref(),
        Some("windows.powershell")
    );
    assert_eq!(
        s(sb, keys::EVENT_ACTION).as_deref(),
        Some("script-block-logging")
    );
    assert_eq!(s(sb, keys::EVENT_CODE).as_deref(), Some("4104"));
    assert!(raw(sb, "ScriptBlockText")
        .unwrap()
        .starts_with("Compress-Archive"));
    assert_eq!(raw(sb, "Path").as_deref(), Some(""));
    // A lowercase bare GUID is string data, left alone.
    assert_eq!(
        raw(sb, "ScriptBlockId").as_deref(),
        Some("3c6b3c5e-0000-0000-0000-000000000001")
    );
    assert_eq!(s(sb, keys::LOG_LEVEL).as_deref(), Some("verbose"));
    let classic = &r.events[1];
    assert_eq!(
        s(classic, keys::EVENT_DATASET).as_deref(),
        Some("windows.powershell")
    );
    assert_eq!(classic.get_raw("EventID").unwrap().as_i64(), Some(400));
    let phiwatch_event::ValueRef::List(list) = classic.get_raw("Data").unwrap() else {
        panic!("Data is a list");
    };
    assert_eq!(list.len(), 3);
}

#[test]
fn hayabusa_records() {
    let r = run_lines(HAYABUSA);
    let logon = &r.events[0];
    assert_eq!(logon.time().to_rfc3339(), "2024-03-05T14:22:31.123000Z");
    assert_eq!(
        s(logon, keys::EVENT_DATASET).as_deref(),
        Some("windows.security")
    );
    assert_eq!(s(logon, keys::EVENT_CODE).as_deref(), Some("4624"));
    assert_eq!(s(logon, keys::EVENT_OUTCOME).as_deref(), Some("success"));
    assert_eq!(raw(logon, "EventRecordID").as_deref(), Some("1001"));
    assert_eq!(
        s(logon, keys::RULE_NAME).as_deref(),
        Some("Logon (Network)")
    );
    assert_eq!(
        raw(logon, "AuthenticationPackageName").as_deref(),
        Some("NTLM")
    );
    assert_eq!(s(logon, keys::AUTH_METHOD).as_deref(), Some("ntlm"));
    assert_eq!(s(logon, keys::USER_NAME).as_deref(), Some("dr.fictional"));
    assert_eq!(s(logon, keys::SOURCE_IP).as_deref(), Some("192.0.2.10"));
    assert_eq!(logon.get(keys::SOURCE_PORT).unwrap().as_i64(), Some(50123));
    assert_eq!(
        raw(logon, "Details.SrcComp").as_deref(),
        Some("WS-CLINIC-07")
    );

    let proc = &r.events[1];
    assert_eq!(proc.time().to_rfc3339(), "2024-03-05T14:30:00.250000Z");
    assert_eq!(
        s(proc, keys::EVENT_DATASET).as_deref(),
        Some("windows.sysmon")
    );
    assert_eq!(
        raw(proc, "ParentImage").as_deref(),
        Some("C:\\Windows\\explorer.exe")
    );
    assert_eq!(
        s(proc, keys::PROCESS_NAME).as_deref(),
        Some("powershell.exe")
    );
    assert_eq!(proc.get(keys::PROCESS_PID).unwrap().as_i64(), Some(6120));
    assert_eq!(s(proc, keys::USER_NAME).as_deref(), Some("dr.fictional"));

    let ps = &r.events[2];
    assert_eq!(ps.time().to_rfc3339(), "2024-03-05T14:31:00.000000Z");
    assert_eq!(
        s(ps, keys::EVENT_DATASET).as_deref(),
        Some("windows.powershell")
    );
    assert_eq!(ps.get_raw("EventID").unwrap().as_i64(), Some(4104));
}

#[test]
fn bad_records_are_rejected_with_the_right_kind() {
    let r = run_lines(BAD);
    let kinds: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(n, e)| (*n, e.kind)).collect();
    assert_eq!(
        kinds,
        [
            (1, ErrorKind::Time),
            (2, ErrorKind::Time),
            (3, ErrorKind::Value),
            (4, ErrorKind::Schema),
            (5, ErrorKind::Schema),
            (6, ErrorKind::Schema),
            (7, ErrorKind::Syntax),
            (8, ErrorKind::Schema),
            (9, ErrorKind::Schema),
            (11, ErrorKind::Time),
        ]
    );
    for (_, e) in &r.errors {
        assert!(!e.reason.contains("yesterday"), "{e}");
        assert!(!e.reason.contains("four\""), "{e}");
        assert!(!e.reason.contains("not a time"), "{e}");
    }

    let mut dec = decoder();
    let bad_utf8 = b"{\"Event\":{\"System\":{\"Computer\":\"\xff\xfe\"}}}";
    let e = dec.decode(bad_utf8, Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert!(dec.decode(b"   ", Origin::default()).unwrap().is_none());
    // A UTF-8 BOM before the first record (files written by PowerShell).
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(SYSMON.lines().next().unwrap().as_bytes());
    assert!(dec.decode(&bom, Origin::default()).unwrap().is_some());
    let e = dec.decode(b"{\"Event\":", Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    // A wrongly typed EventID object and an out-of-range time.
    let e = dec
        .decode(
            br##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0}},"TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T00:00:00Z"}}}}}"##,
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let e = dec
        .decode(
            br##"{"Event":{"System":{"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":12}}}}}"##,
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Time);
}

#[test]
fn detection() {
    for (text, framing) in [
        (SECURITY, Framing::Lines),
        (SYSTEM, Framing::Lines),
        (SYSMON, Framing::Lines),
        (HAYABUSA, Framing::Lines),
        (POWERSHELL, Framing::JsonDocuments),
    ] {
        let d = detect(text.as_bytes()).unwrap();
        assert_eq!(
            (d.format, d.framing),
            (Format::Windows, framing),
            "{text:.60}"
        );
    }
    // Hayabusa's (non-JSONL) output: pretty-printed objects.
    let pretty = "{\n    \"Timestamp\": \"2024-03-05 23:22:31.123 +09:00\",\n    \"Computer\": \"c\",\n    \"Channel\": \"Sec\",\n    \"EventID\": 4624,\n    \"Level\": \"info\",\n    \"RecordID\": 1,\n    \"RuleTitle\": \"Logon\"\n}\n";
    let d = detect(pretty.as_bytes()).unwrap();
    assert_eq!(
        (d.format, d.framing),
        (Format::Windows, Framing::JsonDocuments)
    );
    assert_eq!(run_documents(pretty).counts(), (1, 0, 0));
    let evtx = detect(b"ElfFile\0\0\0\0").unwrap();
    assert_eq!(
        (evtx.format, evtx.framing),
        (Format::Windows, Framing::Evtx)
    );

    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "{\"@timestamp\":\"2020-01-01T00:00:00Z\",\"Event\":\"login\",\"message\":\"hi\"}\n",
        "{\"timestamp\":\"2020-01-01T00:00:00.0+0000\",\"event_type\":\"flow\"}\n",
    ] {
        let d = detect(other.as_bytes());
        assert_ne!(d.map(|d| d.format), Some(Format::Windows), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut dec = decoder();
        let _ = dec.decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_records_never_panic(cut in 0usize..2000, byte in any::<u8>()) {
        let line = SYSMON.lines().next().unwrap().as_bytes();
        let mut rec = line.to_vec();
        let at = cut % rec.len();
        rec[at] = byte;
        let mut dec = decoder();
        let _ = dec.decode(&rec, Origin::default());
        let _ = dec.decode(&line[..at], Origin::default());
    }
}
