#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Syslog decoder: the RFC 5424 §6.5 and RFC 3164 §5.4 examples, rsyslog
//! file lines, CEF and LEEF payloads, and bad lines
//! (`tests/data/syslog/`).

use phiwatch_decode::{detect, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s, Run};

const RFC5424: &str = include_str!("data/syslog/rfc5424-examples.log");
const RFC3164: &str = include_str!("data/syslog/rfc3164-examples.log");
const RSYSLOG: &str = include_str!("data/syslog/rsyslog-files.log");
const CEF: &str = include_str!("data/syslog/cef.log");
const LEEF: &str = include_str!("data/syslog/leef.log");
const BAD: &str = include_str!("data/syslog/bad.log");

fn decoder(year: Option<i32>) -> Box<dyn Decoder> {
    let cfg = DecoderConfig {
        year,
        ..DecoderConfig::default()
    };
    Format::Syslog.decoder(&cfg).expect("decoder")
}

fn run(year: Option<i32>, text: &str) -> Run {
    let mut dec = decoder(year);
    let r = common::run_lines(&mut *dec, text);
    assert!(dec.finish().is_none());
    r
}

fn text(ev: &Event, k: Key) -> String {
    ev.get(k).map(|v| v.to_string()).unwrap_or_default()
}

fn raw<'a>(ev: &'a Event, name: &str) -> Option<&'a str> {
    ev.get_raw(name).and_then(|v| v.as_str())
}

#[test]
fn rfc5424_examples() {
    let r = run(None, RFC5424);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (4, 0));
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2003-10-11T22:14:15.003000Z");
    assert_eq!(i(ev, keys::LOG_SYSLOG_PRIORITY), Some(34));
    assert_eq!(i(ev, keys::LOG_SYSLOG_FACILITY_CODE), Some(4));
    assert_eq!(i(ev, keys::LOG_SYSLOG_SEVERITY_CODE), Some(2));
    assert_eq!(s(ev, keys::LOG_LEVEL), Some("crit"));
    assert_eq!(
        s(ev, keys::LOG_SYSLOG_HOSTNAME),
        Some("mymachine.example.com")
    );
    assert_eq!(s(ev, keys::HOST_NAME), Some("mymachine.example.com"));
    assert_eq!(s(ev, keys::LOG_SYSLOG_APPNAME), Some("su"));
    assert_eq!(s(ev, keys::PROCESS_NAME), Some("su"));
    assert_eq!(ev.get(keys::LOG_SYSLOG_PROCID), None);
    assert_eq!(s(ev, keys::LOG_SYSLOG_MSGID), Some("ID47"));
    // The BOM before MSG is dropped.
    assert_eq!(
        s(ev, keys::MESSAGE),
        Some("'su root' failed for lonvick on /dev/pts/8")
    );
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("syslog"));
    assert_eq!(s(ev, keys::EVENT_MODULE), Some("syslog"));
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("syslog"));
    assert_eq!(ev.origin().line, 1);

    let ev = &r.events[1];
    assert_eq!(ev.time().to_rfc3339(), "2003-08-24T12:14:15.000003Z");
    assert_eq!(s(ev, keys::HOST_NAME), Some("192.0.2.1"));
    assert_eq!(s(ev, keys::LOG_SYSLOG_PROCID), Some("8710"));
    assert_eq!(i(ev, keys::PROCESS_PID), Some(8710));
    assert_eq!(ev.get(keys::LOG_SYSLOG_MSGID), None);
    assert_eq!(
        s(ev, keys::MESSAGE),
        Some("%% It's time to make the do-nuts.")
    );

    let ev = &r.events[2];
    assert_eq!(raw(ev, "sd.exampleSDID@32473.iut"), Some("3"));
    assert_eq!(
        raw(ev, "sd.exampleSDID@32473.eventSource"),
        Some("Application")
    );
    assert_eq!(raw(ev, "sd.exampleSDID@32473.eventID"), Some("1011"));
    assert_eq!(
        s(ev, keys::MESSAGE),
        Some("An application event log entry...")
    );

    let ev = &r.events[3];
    assert_eq!(raw(ev, "sd.examplePriority@32473.class"), Some("high"));
    assert_eq!(raw(ev, "sd.exampleSDID@32473.iut"), Some("3"));
    assert_eq!(ev.get(keys::MESSAGE), None);
}

#[test]
fn rfc5424_structured_data_escapes_and_nil_time() {
    let mut dec = decoder(None);
    let line = br#"<13>1 2024-03-05T10:00:00+01:00 h a p m [x@1 q="say \"hi\" \\ \] \n" e=""][origin ip="192.0.2.8"] body"#;
    let ev = dec.decode(line, Origin::default()).unwrap().unwrap();
    assert_eq!(raw(&ev, "sd.x@1.q"), Some(r#"say "hi" \ ] \n"#));
    assert_eq!(raw(&ev, "sd.x@1.e"), Some(""));
    assert_eq!(raw(&ev, "sd.origin.ip"), Some("192.0.2.8"));
    assert_eq!(text(&ev, keys::HOST_IP), "192.0.2.8");
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T09:00:00.000000Z");
    assert_eq!(s(&ev, keys::MESSAGE), Some("body"));
    // A nil TIMESTAMP and no payload time: rejected, not invented.
    let e = dec
        .decode(b"<13>1 - host app - - - no time", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Time);
}

#[test]
fn rfc3164_examples() {
    let r = run(Some(2003), RFC3164);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (4, 1, 0));
    // Example 4 as sent has no valid TIMESTAMP (a relay would add one).
    assert_eq!(r.errors[0].0, 4);
    assert_eq!(r.errors[0].1.kind, ErrorKind::Time);
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2003-10-11T22:14:15.000000Z");
    assert_eq!(s(ev, keys::HOST_NAME), Some("mymachine"));
    assert_eq!(s(ev, keys::PROCESS_NAME), Some("su"));
    assert_eq!(
        s(ev, keys::MESSAGE),
        Some("'su root' failed for lonvick on /dev/pts/8")
    );
    let ev = &r.events[1];
    assert_eq!(ev.time().to_rfc3339(), "2003-02-05T17:32:18.000000Z");
    assert_eq!(s(ev, keys::HOST_NAME), Some("10.0.0.99"));
    assert_eq!(ev.get(keys::PROCESS_NAME), None);
    assert_eq!(s(ev, keys::MESSAGE), Some("Use the BFG!"));
    assert_eq!(i(ev, keys::LOG_SYSLOG_FACILITY_CODE), Some(1));
    assert_eq!(i(ev, keys::LOG_SYSLOG_SEVERITY_CODE), Some(5));
    // Example 3: the word after the TIMESTAMP ("CST") is taken as the
    // HOSTNAME, as a BSD receiver reads it; the rest is the message.
    let ev = &r.events[2];
    assert_eq!(s(ev, keys::HOST_NAME), Some("CST"));
    assert!(s(ev, keys::MESSAGE)
        .unwrap()
        .starts_with("1987 mymachine myproc[10]: %%"));
    assert_eq!(i(ev, keys::LOG_SYSLOG_FACILITY_CODE), Some(20));
    let ev = &r.events[3];
    assert_eq!(s(ev, keys::HOST_NAME), Some("scapegoat"));
    assert_eq!(ev.time().to_rfc3339(), "2003-10-22T10:52:12.000000Z");
    assert!(s(ev, keys::MESSAGE)
        .unwrap()
        .starts_with("1990 Oct 22 10:52:01 TZ-6"));
}

#[test]
fn rsyslog_file_lines() {
    let r = run(Some(2024), RSYSLOG);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (11, 1));
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T10:01:02.000000Z");
    assert_eq!(s(ev, keys::HOST_NAME), Some("app01"));
    assert_eq!(s(ev, keys::PROCESS_NAME), Some("myapp"));
    assert_eq!(i(ev, keys::PROCESS_PID), Some(2211));
    assert_eq!(s(ev, keys::MESSAGE), Some("job finished in 12s"));
    assert_eq!(ev.get(keys::LOG_SYSLOG_PRIORITY), None);
    assert_eq!(
        s(&r.events[1], keys::MESSAGE),
        Some("[ 1234.567890] eth0: link up")
    );
    // A tag with a pid and no colon.
    let cron = &r.events[2];
    assert_eq!(s(cron, keys::PROCESS_NAME), Some("cron"));
    assert_eq!(i(cron, keys::PROCESS_PID), Some(998));
    assert_eq!(
        s(cron, keys::MESSAGE),
        Some("(root) CMD (run-parts /etc/cron.hourly)")
    );
    // No hostname.
    let pf = &r.events[3];
    assert_eq!(pf.get(keys::HOST_NAME), None);
    assert_eq!(s(pf, keys::PROCESS_NAME), Some("postfix/smtpd"));
    assert_eq!(i(pf, keys::PROCESS_PID), Some(4121));
    // rsyslog RFC 3339 timestamps.
    assert_eq!(
        r.events[4].time().to_rfc3339(),
        "2024-03-05T10:01:02.123000Z"
    );
    assert_eq!(s(&r.events[4], keys::HOST_NAME), Some("app02"));
    assert_eq!(
        r.events[5].time().to_rfc3339(),
        "2024-03-05T15:01:03.456789Z"
    );
    // An IPv6 host is a host, not a tag.
    assert_eq!(s(&r.events[6], keys::HOST_NAME), Some("2001:db8::17"));
    assert_eq!(s(&r.events[6], keys::PROCESS_NAME), Some("ntpd"));
    assert_eq!(s(&r.events[7], keys::MESSAGE), Some("-- MARK --"));
    assert_eq!(r.events[7].get(keys::PROCESS_NAME), None);
    assert_eq!(
        r.events[8].time().to_rfc3339(),
        "2024-12-31T23:59:59.000000Z"
    );
    assert_eq!(
        r.events[9].time().to_rfc3339(),
        "2024-02-29T12:00:00.000000Z"
    );
    let dh = &r.events[10];
    assert_eq!(i(dh, keys::LOG_SYSLOG_FACILITY_CODE), Some(3));
    assert_eq!(s(dh, keys::LOG_LEVEL), Some("info"));
    assert_eq!(dh.origin().line, 12);

    // Without a configured year, BSD timestamps are rejected (ISO ones are not).
    let r = run(None, RSYSLOG);
    assert_eq!((r.events.len(), r.errors.len()), (2, 9));
    let (line, e) = &r.errors[0];
    assert_eq!((*line, e.kind), (1, ErrorKind::Time));
    assert!(e.reason.contains("no year"), "{}", e.reason);
    // 2023 is not a leap year.
    let r = run(Some(2023), RSYSLOG);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].0, 11);
}

#[test]
fn cef_payloads() {
    let r = run(Some(2024), CEF);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (7, 0));

    // A firewall allowing a large upload to an external address.
    let fw = &r.events[0];
    assert_eq!(s(fw, keys::EVENT_DATASET), Some("cef"));
    assert_eq!(s(fw, keys::EVENT_MODULE), Some("syslog"));
    assert_eq!(fw.time().to_rfc3339(), "2024-03-05T10:15:01.000000Z");
    assert_eq!(s(fw, keys::HOST_NAME), Some("fw01.example.net"));
    assert_eq!(i(fw, keys::LOG_SYSLOG_PRIORITY), Some(134));
    assert_eq!(s(fw, keys::OBSERVER_VENDOR), Some("Example Networks"));
    assert_eq!(s(fw, keys::OBSERVER_PRODUCT), Some("EdgeWall"));
    assert_eq!(s(fw, keys::OBSERVER_VERSION), Some("9.1.2"));
    assert_eq!(s(fw, keys::EVENT_CODE), Some("traffic:allow"));
    assert_eq!(s(fw, keys::RULE_NAME), Some("Outbound session allowed"));
    assert_eq!(i(fw, keys::EVENT_SEVERITY), Some(3));
    assert!(matches!(fw.get(keys::SOURCE_IP), Some(ValueRef::Ip(_))));
    assert_eq!(text(fw, keys::SOURCE_IP), "10.20.30.41");
    assert_eq!(text(fw, keys::DESTINATION_IP), "203.0.113.77");
    assert_eq!(i(fw, keys::SOURCE_PORT), Some(51514));
    assert_eq!(i(fw, keys::DESTINATION_PORT), Some(443));
    assert_eq!(s(fw, keys::NETWORK_TRANSPORT), Some("tcp"));
    assert_eq!(s(fw, keys::NETWORK_PROTOCOL), Some("https"));
    assert_eq!(s(fw, keys::EVENT_ACTION), Some("allow"));
    assert_eq!(s(fw, keys::SOURCE_USER_NAME), Some("jdoe.fictional"));
    assert_eq!(s(fw, keys::USER_NAME), Some("jdoe.fictional"));
    assert_eq!(s(fw, keys::SOURCE_DOMAIN), Some("ws-0413.example.net"));
    assert_eq!(
        s(fw, keys::DESTINATION_DOMAIN),
        Some("files.upload.example")
    );
    // `in` flows source → destination: the upload.
    assert_eq!(i(fw, keys::SOURCE_BYTES), Some(2_147_483_648));
    assert_eq!(i(fw, keys::DESTINATION_BYTES), Some(1_048_576));
    assert_eq!(i(fw, keys::NETWORK_BYTES), Some(2_148_532_224));
    assert_eq!(s(fw, keys::NETWORK_DIRECTION), Some("outbound"));
    assert_eq!(s(fw, keys::OBSERVER_HOSTNAME), Some("fw01.example.net"));
    assert_eq!(s(fw, keys::EVENT_ID), Some("77120"));
    assert_eq!(raw(fw, "Policy Name"), Some("Allow Web Outbound"));
    assert_eq!(raw(fw, "cs1"), Some("Allow Web Outbound"));
    assert_eq!(raw(fw, "Session Id"), Some("884213"));
    assert_eq!(raw(fw, "cef.device.event_class_id"), Some("traffic:allow"));
    assert_eq!(raw(fw, "cef.version"), Some("0"));
    assert_eq!(raw(fw, "in"), Some("2147483648"));

    // A DLP alert: bare CEF, epoch-millisecond `rt`, escapes.
    let dlp = &r.events[1];
    assert_eq!(dlp.time().to_rfc3339(), "2024-03-05T10:20:00.123000Z");
    assert_eq!(dlp.get(keys::LOG_SYSLOG_PRIORITY), None);
    assert_eq!(i(dlp, keys::EVENT_SEVERITY), Some(10));
    assert_eq!(s(dlp, keys::FILE_NAME), Some("patients_export.csv"));
    assert_eq!(
        s(dlp, keys::FILE_PATH),
        Some(r"C:\Users\nurse.example\Desktop\patients_export.csv")
    );
    assert_eq!(i(dlp, keys::FILE_SIZE), Some(5_242_880));
    assert_eq!(
        s(dlp, keys::FILE_HASH_SHA256),
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert_eq!(s(dlp, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(
        s(dlp, keys::EVENT_REASON),
        Some("Policy HIPAA-PHI matched 1200 records")
    );
    assert_eq!(
        s(dlp, keys::MESSAGE),
        Some("Upload of file with MRN patterns=1200 to personal cloud")
    );
    assert_eq!(
        s(dlp, keys::DESTINATION_USER_NAME),
        Some("external.share@example.org")
    );
    assert_eq!(
        s(dlp, keys::URL_ORIGINAL),
        Some("https://cloud.example.com/upload")
    );
    assert_eq!(raw(dlp, "Matched Rule"), Some(r"MRN\d{8}"));
    assert_eq!(text(dlp, keys::SOURCE_IP), "192.0.2.10");

    // A WAF block inside RFC 5424, with a patient id in the URL.
    let waf = &r.events[2];
    assert_eq!(waf.time().to_rfc3339(), "2024-03-05T10:20:00.250000Z");
    assert_eq!(s(waf, keys::LOG_SYSLOG_MSGID), Some("BLOCK"));
    assert_eq!(raw(waf, "sd.meta.sequenceId"), Some("42"));
    assert_eq!(s(waf, keys::OBSERVER_PRODUCT), Some("Shield|WAF"));
    assert_eq!(i(waf, keys::EVENT_SEVERITY), Some(8));
    assert_eq!(
        s(waf, keys::URL_ORIGINAL),
        Some("https://ehr.example.org/api/Patient/PT-000123?name=Test Patient")
    );
    assert_eq!(s(waf, keys::HTTP_REQUEST_METHOD), Some("GET"));
    assert_eq!(
        s(waf, keys::USER_AGENT_ORIGINAL),
        Some("Mozilla/5.0 (X11; Linux x86_64) sqlmap/1.7")
    );
    assert_eq!(text(waf, keys::EVENT_START), "2024-03-05T10:19:59.900000Z");
    assert_eq!(text(waf, keys::EVENT_END), "2024-03-05T10:20:00.100000Z");
    assert_eq!(i(waf, keys::EVENT_DURATION), Some(200_000_000));
    assert_eq!(raw(waf, "Attack Type"), Some("SQLi"));
    assert_eq!(raw(waf, "Anomaly Score"), Some("25"));

    // Header escapes, IPv6, `\n` in a value, a named severity.
    let esc = &r.events[3];
    assert_eq!(s(esc, keys::OBSERVER_VENDOR), Some(r"Back\slash Corp"));
    assert_eq!(s(esc, keys::RULE_NAME), Some("Name with | pipe"));
    assert_eq!(i(esc, keys::EVENT_SEVERITY), Some(3));
    assert_eq!(text(esc, keys::SOURCE_IP), "2001:db8::5");
    assert_eq!(s(esc, keys::MESSAGE), Some("line one\nline two"));
    assert_eq!(esc.time().to_rfc3339(), "2024-03-05T10:30:00.000000Z");

    // An empty extension; the syslog time.
    let hb = &r.events[4];
    assert_eq!(hb.time().to_rfc3339(), "2024-03-05T10:31:00.000000Z");
    assert_eq!(s(hb, keys::RULE_NAME), Some("Heartbeat"));
    assert_eq!(i(hb, keys::EVENT_SEVERITY), Some(0));

    // A syslog tag before the payload; a numeric `proto`.
    let deny = &r.events[5];
    assert_eq!(s(deny, keys::PROCESS_NAME), Some("edgewall"));
    assert_eq!(i(deny, keys::PROCESS_PID), Some(311));
    assert_eq!(s(deny, keys::NETWORK_TRANSPORT), Some("tcp"));
    assert_eq!(i(deny, keys::NETWORK_IANA_NUMBER), Some(6));
    assert_eq!(s(deny, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(deny.time().to_rfc3339(), "2024-03-05T10:32:00.000000Z");

    // `dtz` gives the zone of a zoneless `rt`; an empty value is null.
    let px = &r.events[6];
    assert_eq!(px.time().to_rfc3339(), "2024-03-05T11:00:00.000000Z");
    assert_eq!(raw(px, "cef.version"), Some("1"));
    assert_eq!(i(px, keys::SOURCE_BYTES), Some(512_000));
    assert_eq!(i(px, keys::DESTINATION_BYTES), Some(2048));
    assert!(px.get_raw("duser").is_some_and(|v| v.is_null()));
    assert_eq!(px.get(keys::DESTINATION_USER_NAME), None);
}

#[test]
fn leef_payloads() {
    let r = run(Some(2024), LEEF);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (7, 0));

    let ev = &r.events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("leef"));
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T10:59:58.000000Z");
    assert_eq!(s(ev, keys::HOST_NAME), Some("qradar-src.example.net"));
    assert_eq!(s(ev, keys::OBSERVER_VENDOR), Some("Fictional"));
    assert_eq!(s(ev, keys::OBSERVER_PRODUCT), Some("FileAudit"));
    assert_eq!(s(ev, keys::OBSERVER_VERSION), Some("2.1"));
    assert_eq!(s(ev, keys::EVENT_CODE), Some("FileRead"));
    assert_eq!(text(ev, keys::SOURCE_IP), "10.9.8.7");
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(445));
    assert_eq!(s(ev, keys::USER_NAME), Some("jdoe.fictional"));
    assert_eq!(s(ev, keys::NETWORK_TRANSPORT), Some("tcp"));
    assert_eq!(i(ev, keys::EVENT_SEVERITY), Some(4));
    assert_eq!(raw(ev, "cat"), Some("File Access"));
    assert_eq!(raw(ev, "resource"), Some(r"\\fs01\phi\charts.xlsx"));
    assert_eq!(raw(ev, "leef.version"), Some("1.0"));

    let flow = &r.events[1];
    assert_eq!(flow.time().to_rfc3339(), "2024-03-05T11:00:00.000000Z");
    assert_eq!(raw(flow, "leef.delimiter"), Some("^"));
    assert_eq!(i(flow, keys::SOURCE_BYTES), Some(734_003_200));
    assert_eq!(i(flow, keys::DESTINATION_BYTES), Some(1024));
    assert_eq!(text(flow, keys::DESTINATION_IP), "203.0.113.50");

    let vpn = &r.events[2];
    assert_eq!(raw(vpn, "leef.delimiter"), Some("\t"));
    assert_eq!(vpn.time().to_rfc3339(), "2024-03-05T11:01:02.345000Z");
    assert_eq!(s(vpn, keys::USER_NAME), Some("a.admin"));
    assert_eq!(raw(vpn, "isLoginEvent"), Some("true"));

    let px = &r.events[3];
    assert_eq!(raw(px, "leef.delimiter"), Some("|"));
    assert_eq!(
        s(px, keys::URL_ORIGINAL),
        Some("https://drop.example.net/u")
    );
    assert_eq!(i(px, keys::SOURCE_BYTES), Some(99));
    assert_eq!(px.time().to_rfc3339(), "2024-03-05T12:00:00.000000Z");

    // LEEF 1.0 whose tabs became spaces.
    let legacy = &r.events[4];
    assert_eq!(s(legacy, keys::USER_NAME), Some("svc backup"));
    assert_eq!(text(legacy, keys::DESTINATION_IP), "192.0.2.45");
    assert_eq!(legacy.time().to_rfc3339(), "2024-03-05T13:00:00.000000Z");

    // LEEF 2.0 without a delimiter field.
    let edge = &r.events[5];
    assert_eq!(text(edge, keys::SOURCE_IP), "192.0.2.60");
    assert_eq!(edge.time().to_rfc3339(), "2024-03-05T12:00:00.000000Z");

    // Inside RFC 5424, with ArcSight keys.
    let audit = &r.events[6];
    assert_eq!(audit.time().to_rfc3339(), "2024-03-05T13:30:00.000000Z");
    assert_eq!(s(audit, keys::EVENT_ACTION), Some("export"));
    assert_eq!(s(audit, keys::FILE_NAME), Some("records.zip"));
    assert_eq!(i(audit, keys::FILE_SIZE), Some(1000));
}

#[test]
fn bad_lines_have_the_right_kind() {
    let r = run(Some(2024), BAD);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (1, 19, 2));
    assert_eq!(r.events[0].origin().line, 1);
    use ErrorKind::*;
    let kinds: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(l, e)| (*l, e.kind)).collect();
    assert_eq!(
        kinds,
        [
            (2, Syntax),
            (3, Schema),
            (4, Time),
            (5, Syntax),
            (6, Syntax),
            (7, Time),
            (8, Syntax),
            (9, Schema),
            (10, Value),
            (11, Value),
            (12, Time),
            (13, Time),
            (14, Schema),
            (15, Time),
            (16, Value),
            (17, Time),
            (18, Value),
            (19, Syntax),
            (20, Value),
        ]
    );
    let reasons: Vec<&str> = r.errors.iter().map(|(_, e)| e.reason.as_str()).collect();
    assert_eq!(reasons[8], "field `spt`: expected a port number (0-65535)");
    assert_eq!(reasons[9], "field `src`: expected an IP address");
    assert_eq!(reasons[18], "field `in`: expected an integer");
    // Reasons name fields, never values.
    for (_, e) in &r.errors {
        for value in [
            "not-an-ip",
            "70000",
            "yesterday",
            "lots",
            "not a time",
            "App]",
        ] {
            assert!(!e.reason.contains(value), "{}", e.reason);
        }
    }
}

#[test]
fn encoding_empty_and_truncated() {
    let mut dec = decoder(Some(2024));
    let e = dec
        .decode(b"<13>Mar  5 10:00:00 host app: caf\xe9", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    assert!(dec.decode(b"", Origin::default()).unwrap().is_none());
    assert!(dec.decode(b" \r", Origin::default()).unwrap().is_none());
    for (line, kind) in [
        (&b"CEF:0|V|P"[..], ErrorKind::Schema),
        (b"LEEF:1.0|V", ErrorKind::Schema),
        (b"<13", ErrorKind::Syntax),
        (b"<13>1 2024-03-05T10:00:00Z", ErrorKind::Schema),
        (b"<13>1 2024-03-05T10:00:00Z h a p m [x", ErrorKind::Syntax),
        (b"<13>Mar  5", ErrorKind::Time),
    ] {
        let e = dec.decode(line, Origin::default()).unwrap_err();
        assert_eq!(e.kind, kind, "{}", String::from_utf8_lossy(line));
    }
    // A CRLF line ending is not part of the message.
    let ev = dec
        .decode(b"<13>Mar  5 10:00:00 host app: hi\r", Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::MESSAGE), Some("hi"));
}

#[test]
fn deviations() {
    let mut dec = decoder(Some(2024));
    // Cisco: a year in the timestamp, a `:` after the time, no hostname.
    let ev = dec
        .decode(
            b"<166>Mar 05 2024 10:00:00: %ASA-6-302013: Built outbound TCP connection 1",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T10:00:00.000000Z");
    assert_eq!(ev.get(keys::HOST_NAME), None);
    // The `%FACILITY-SEVERITY-MNEMONIC` is the Cisco message code.
    assert_eq!(s(&ev, keys::EVENT_CODE), Some("ASA-6-302013"));
    assert_eq!(s(&ev, keys::EVENT_DATASET), Some("cisco"));
    assert_eq!(
        s(&ev, keys::MESSAGE),
        Some("Built outbound TCP connection 1")
    );
    // `<PRI>` directly before CEF; LEEF severity given as a word.
    let ev = dec
        .decode(
            b"<10>CEF:0|V|P|1|sig|n|Medium|end=1709634000000",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(i(&ev, keys::EVENT_SEVERITY), Some(6));
    assert_eq!(i(&ev, keys::LOG_SYSLOG_SEVERITY_CODE), Some(2));
    assert_eq!(ev.time().to_rfc3339(), "2024-03-05T10:20:00.000000Z");
    let ev = dec
        .decode(
            b"LEEF:1.0|V|P|1|E|sev=High\tdevTime=1709634000",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(i(&ev, keys::EVENT_SEVERITY), Some(8));
    // An unknown CEF severity stays raw.
    let ev = dec
        .decode(
            b"CEF:0|V|P|1|sig|n|Unknown|rt=1709634000000",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(ev.get(keys::EVENT_SEVERITY), None);
    assert_eq!(raw(&ev, "cef.severity"), Some("Unknown"));
}

#[test]
fn detection() {
    for (name, sample) in [
        ("rfc5424", RFC5424),
        ("rsyslog", RSYSLOG),
        ("cef", CEF),
        ("leef", LEEF),
        ("bad", BAD),
    ] {
        let d = detect(sample.as_bytes()).expect(name);
        assert_eq!(
            (d.format, d.framing),
            (Format::Syslog, Framing::Lines),
            "{name}"
        );
    }
    // The RFC 3164 examples start with `su`: the auth.log decoder, tried
    // first, may claim them.
    let d = detect(RFC3164.as_bytes()).unwrap();
    assert!(
        matches!(d.format, Format::Syslog | Format::AuthLog),
        "{d:?}"
    );
    // A UTF-8 BOM at the start of a file.
    let d = detect(format!("\u{feff}{CEF}").as_bytes()).unwrap();
    assert_eq!(d.format, Format::Syslog);

    for other in [
        "#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "2024-03-05 10:01:02.123 UTC [123] LOG:  statement: SELECT 1\n2024-03-05 10:01:03.123 UTC [123] LOG:  duration: 0.1 ms\n",
        "192.0.2.1 - - [05/Mar/2024:10:01:02 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8.0\"\n",
        "1300475167.096535\tCHhAvVGS1DHFjwGM9\t141.142.220.202\t5353\n",
        "hello world\n",
    ] {
        let got = detect(other.as_bytes()).map(|d| d.format);
        assert_ne!(got, Some(Format::Syslog), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decoder(Some(2024)).decode(&bytes, Origin::default());
        let _ = decoder(None).decode(&bytes, Origin::default());
        let _ = detect(&bytes);
    }

    #[test]
    fn syslog_shaped_lines_never_panic(
        head in "(<[0-9]{1,3}>)?(1 )?(-|2024-03-05T10:00:00(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})|(Jan|Feb|Mar|Dec) {1,2}[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}) ",
        host in "(-|[a-z0-9.:]{0,12}) ",
        tag in "([a-z/]{0,8}(\\[[0-9]{0,4}\\]?)?:? )?",
        sd in "(- |\\[[a-z@0-9]{0,5}( [a-z]{1,3}=\"[^\"]{0,6}\"?)*\\]? )?",
        payload in "(CEF:[0-9x]?(\\|[a-zA-Z0-9\\\\ ]{0,4}){0,8}|LEEF:[12]\\.0(\\|[a-zA-Z0-9^ ]{0,4}){0,6}|[a-z ]{0,10})",
        ext in proptest::collection::vec("(src|dst|spt|dpt|rt|in|out|cs1|cs1Label|devTime|devTimeFormat|sev|proto|fileHash|start|end|dtz|x)=[a-zA-Z0-9 :.\\\\=^'+-]{0,24}", 0..6),
        sep in "( |\t|\\^)",
    ) {
        let line = format!("{head}{host}{tag}{sd}{payload}{}", ext.join(&sep));
        let _ = decoder(Some(2024)).decode(line.as_bytes(), Origin::default());
        let _ = decoder(None).decode(line.as_bytes(), Origin::default());
        let _ = detect(line.as_bytes());
    }
}

#[test]
fn cisco_ios_sample_from_sigma_regression_data() {
    use phiwatch_decode::{DecoderConfig, Format};
    use phiwatch_event::{keys, Origin};
    let line = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/syslog/cisco-ios-sigma.raw"),
    )
    .unwrap();
    let line = line.trim_ascii();
    let cfg = DecoderConfig {
        year: Some(2025),
        ..DecoderConfig::default()
    };
    let mut dec = Format::Syslog.decoder(&cfg).unwrap();
    let ev = dec.decode(line, Origin::default()).unwrap().unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2025-02-17T13:40:03.673000Z");
    assert_eq!(ev.get(keys::EVENT_DATASET).unwrap().as_str(), Some("cisco"));
    assert_eq!(
        ev.get(keys::EVENT_CODE).unwrap().as_str(),
        Some("PARSER-5-CFGLOG_LOGGEDCMD")
    );
    assert_eq!(
        ev.get(keys::HOST_NAME).unwrap().as_str(),
        Some("172.16.5.10")
    );
    assert_eq!(
        ev.get(keys::MESSAGE).unwrap().as_str(),
        Some("User:admin  logged command:no access-session port-control")
    );
    let mut no_year = Format::Syslog.decoder(&DecoderConfig::default()).unwrap();
    let err = no_year.decode(line, Origin::default()).unwrap_err();
    assert_eq!(err.kind, phiwatch_decode::ErrorKind::Time);
    let detected = phiwatch_decode::detect(line).unwrap();
    assert_eq!(detected.format, Format::Syslog);
}
