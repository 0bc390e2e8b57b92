//! SQL Server audit decoder: golden counts over the synthetic
//! `fn_get_audit_file` exports in `tests/data/mssql/` (CSV with quoted
//! multi-line statements, NDJSON, a JSON array), spot checks of normalized
//! fields, bad input and detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, DecodeError, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin};
use proptest::prelude::*;

mod common;
use common::{i, s};

const CSV: &str = include_str!("data/mssql/audit.csv");
const NDJSON: &str = include_str!("data/mssql/audit.ndjson");
const ARRAY: &str = include_str!("data/mssql/audit-array.json");
const TRUNCATED: &str = include_str!("data/mssql/truncated.csv");

fn decoder() -> Box<dyn Decoder> {
    Format::MssqlAudit
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

struct Run {
    events: Vec<Event>,
    /// (line given to the decoder, line the error names, error)
    errors: Vec<(u64, Option<u64>, DecodeError)>,
    skipped: usize,
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut dec = decoder();
    let mut r = Run {
        events: Vec::new(),
        errors: Vec::new(),
        skipped: 0,
    };
    let mut n = 0;
    for rec in records {
        n += 1;
        let origin = Origin {
            line: n,
            record: n,
            ..Origin::default()
        };
        match dec.decode(rec, origin) {
            Ok(Some(ev)) => r.events.push(ev),
            Ok(None) => r.skipped += 1,
            Err(e) => r.errors.push((n, e.line, e)),
        }
    }
    match dec.finish() {
        None => {}
        Some(Ok(ev)) => r.events.push(ev),
        Some(Err(e)) => r.errors.push((n + 1, e.line, e)),
    }
    r
}

fn run_lines(text: &str) -> Run {
    run_records(text.lines().map(str::as_bytes))
}

fn ip(ev: &Event) -> Option<String> {
    ev.get(keys::CLIENT_IP).map(|v| v.to_string())
}

/// Counts of normalized facts, as a stable string.
fn summarize(evs: &[Event]) -> String {
    let count = |k: Key| evs.iter().filter(|e| e.get(k).is_some()).count();
    let fail = evs
        .iter()
        .filter(|e| s(e, keys::EVENT_OUTCOME) == Some("failure"))
        .count();
    format!(
        "user={} ip={} addr={} app={} db={} op={} table={} stmt={} session={} outcome={} failure={} error={} rows={} affected={} host={}",
        count(keys::DB_USER),
        count(keys::CLIENT_IP),
        count(keys::CLIENT_ADDRESS),
        count(keys::CLIENT_APPLICATION),
        count(keys::DB_NAME),
        count(keys::DB_OPERATION),
        count(keys::DB_SQL_TABLE),
        count(keys::DB_STATEMENT),
        count(keys::DB_SESSION_ID),
        count(keys::EVENT_OUTCOME),
        fail,
        count(keys::ERROR_CODE),
        count(keys::DB_RESPONSE_RETURNED_ROWS),
        count(keys::DB_RESPONSE_AFFECTED_ROWS),
        count(keys::HOST_NAME),
    )
}

#[test]
fn csv_export() {
    let r = run_lines(CSV);
    let errs: Vec<(u64, Option<u64>, ErrorKind)> =
        r.errors.iter().map(|(n, l, e)| (*n, *l, e.kind)).collect();
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (15, 7, 8));
    assert_eq!(
        errs,
        [
            (21, None, ErrorKind::Schema),
            (22, None, ErrorKind::Schema),
            (23, None, ErrorKind::Time),
            (24, None, ErrorKind::Value),
            (25, None, ErrorKind::Value),
            (26, None, ErrorKind::Schema),
            (27, None, ErrorKind::Syntax),
        ]
    );
    for (_, _, e) in &r.errors {
        assert!(
            !e.reason.contains("many") && !e.reason.contains("yes"),
            "{e}"
        );
    }
    assert_eq!(
        summarize(&r.events),
        "user=15 ip=14 addr=15 app=15 db=12 op=10 table=9 stmt=10 session=15 outcome=15 failure=4 error=3 rows=15 affected=15 host=15"
    );
    for ev in &r.events {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("mssql.audit"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("mssql"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("mssql-audit"));
        assert_eq!(s(ev, keys::DB_SYSTEM), Some("mssql"));
        assert_eq!(s(ev, keys::HOST_NAME), Some("SQLPROD01"));
    }
    // Failed logins of the vendor account.
    let lgif = &r.events[0];
    assert_eq!(lgif.time().to_rfc3339(), "2024-06-01T02:14:07.123456700Z");
    assert_eq!(s(lgif, keys::EVENT_ACTION), Some("login"));
    assert_eq!(s(lgif, keys::EVENT_CODE), Some("LGIF"));
    assert_eq!(s(lgif, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(lgif, keys::ERROR_CODE), Some("18456"));
    assert_eq!(s(lgif, keys::DB_USER), Some("acme_vendor"));
    assert_eq!(ip(lgif).as_deref(), Some("203.0.113.45"));
    assert_eq!(s(lgif, keys::CLIENT_ADDRESS), Some("VENDOR-LAPTOP"));
    assert!(s(lgif, keys::ERROR_MESSAGE)
        .unwrap()
        .starts_with("Login failed"));
    assert_eq!(lgif.get(keys::DB_STATEMENT), None);
    assert_eq!(s(lgif, keys::EVENT_CATEGORY), Some("authentication"));
    assert_eq!(s(lgif, keys::EVENT_TYPE), Some("start"));
    assert_eq!(s(lgif, keys::EVENT_KIND), Some("event"));
    assert_eq!(
        lgif.get(keys::SOURCE_IP).map(|v| v.to_string()).as_deref(),
        Some("203.0.113.45")
    );
    assert_eq!(s(lgif, keys::SOURCE_ADDRESS), Some("VENDOR-LAPTOP"));
    assert_eq!(s(&r.events[3], keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(i(&r.events[3], keys::DB_SESSION_ID), Some(61));
    // Bulk reads of ehr.patients (action_id padded as char(4)).
    let bulk: Vec<&Event> = r.events[4..8].iter().collect();
    for ev in &bulk {
        assert_eq!(s(ev, keys::EVENT_ACTION), Some("select"));
        assert_eq!(s(ev, keys::DB_OPERATION), Some("SELECT"));
        assert_eq!(s(ev, keys::DB_SQL_TABLE), Some("dbo.patients"));
        assert_eq!(s(ev, keys::DB_NAME), Some("ehr"));
        assert_eq!(s(ev, keys::DB_OBJECT_TYPE), Some("TABLE"));
        assert_eq!(s(ev, keys::DB_AUDIT_CLASS), Some("READ"));
        assert_eq!(s(ev, keys::EVENT_CATEGORY), Some("database"));
        assert_eq!(s(ev, keys::EVENT_TYPE), Some("access"));
        assert_eq!(i(ev, keys::DB_RESPONSE_RETURNED_ROWS), Some(250_000));
        assert_eq!(
            s(ev, keys::CLIENT_APPLICATION),
            Some("Microsoft SQL Server Management Studio - Query")
        );
    }
    assert_eq!(i(bulk[0], keys::EVENT_DURATION), Some(4_200_000_000));
    assert_eq!(bulk[0].get_raw("action_id").unwrap().as_str(), Some("SL"));
    // The statement spanning five lines, with quotes and commas.
    let multi = &r.events[8];
    assert_eq!(multi.origin().line, 10);
    assert_eq!(
        s(multi, keys::DB_STATEMENT),
        Some("SELECT p.mrn,\n       p.last_name, p.first_name,\n       p.ssn\nFROM dbo.patients AS p\nWHERE p.note LIKE '%\"VIP\"%, ward 4'")
    );
    assert_eq!(i(multi, keys::DB_RESPONSE_RETURNED_ROWS), Some(12));
    // A permission failure.
    let denied = &r.events[9];
    assert_eq!(s(denied, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(denied, keys::DB_SQL_TABLE), Some("dbo.payroll"));
    assert_eq!(s(denied, keys::DB_NAME), Some("hr"));
    let exec = &r.events[10];
    assert_eq!(s(exec, keys::DB_OPERATION), Some("EXECUTE"));
    assert_eq!(s(exec, keys::DB_OBJECT_TYPE), Some("PROCEDURE"));
    assert_eq!(exec.get(keys::DB_SQL_TABLE), None);
    assert_eq!(s(&r.events[11], keys::EVENT_ACTION), Some("logout"));
    assert_eq!(s(&r.events[11], keys::EVENT_TYPE), Some("end"));
    let up = &r.events[12];
    assert_eq!(s(up, keys::DB_USER), Some("CLINIC\\n.nightingale"));
    assert_eq!(i(up, keys::DB_RESPONSE_AFFECTED_ROWS), Some(1));
    assert_eq!(s(up, keys::DB_SQL_TABLE), Some("dbo.vitals"));
    assert_eq!(s(up, keys::EVENT_TYPE), Some("change"));
    assert_eq!(s(up, keys::DB_AUDIT_CLASS), Some("WRITE"));
    // An action code outside the table: the statement gives the operation.
    let other = &r.events[13];
    assert_eq!(s(other, keys::EVENT_ACTION), Some("bcm"));
    assert_eq!(s(other, keys::DB_OPERATION), Some("DELETE"));
    assert_eq!(s(other, keys::DB_SQL_TABLE), Some("dbo.appointments"));
    assert_eq!(s(other, keys::EVENT_TYPE), Some("change"));
    assert_eq!(ip(other), None);
    assert_eq!(
        other.get_raw("client_ip").unwrap().as_str(),
        Some("local machine")
    );
    // The last record spans the file's last lines.
    let last = &r.events[14];
    assert_eq!(last.origin().line, 28);
    assert_eq!(i(last, keys::DB_RESPONSE_RETURNED_ROWS), Some(1_000_000));
    assert_eq!(
        s(last, keys::DB_STATEMENT),
        Some("SELECT *\nFROM dbo.patients\n-- \"nightly\", extract")
    );
}

#[test]
fn truncated_csv_is_reported_at_finish() {
    let r = run_lines(TRUNCATED);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (0, 1, 3));
    let (_, line, e) = &r.errors[0];
    assert_eq!((e.kind, *line), (ErrorKind::Syntax, Some(2)));
    assert!(e.reason.contains("inside a quoted field"));
    assert!(!e.reason.contains("cut"));
}

#[test]
fn json_exports() {
    let r = run_lines(NDJSON);
    let errs: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(n, _, e)| (*n, e.kind)).collect();
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (8, 5, 0));
    assert_eq!(
        errs,
        [
            (9, ErrorKind::Value),
            (10, ErrorKind::Value),
            (11, ErrorKind::Time),
            (12, ErrorKind::Value),
            (13, ErrorKind::Syntax),
        ]
    );
    assert_eq!(
        summarize(&r.events),
        "user=8 ip=8 addr=8 app=8 db=5 op=4 table=4 stmt=4 session=8 outcome=8 failure=4 error=3 rows=8 affected=8 host=8"
    );
    let lgif = &r.events[0];
    assert_eq!(s(lgif, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(lgif, keys::ERROR_CODE), Some("18456"));
    let sl = &r.events[4];
    assert_eq!(s(sl, keys::DB_SQL_TABLE), Some("dbo.patients"));
    assert_eq!(i(sl, keys::DB_RESPONSE_RETURNED_ROWS), Some(250_000));
    assert_eq!(s(sl, keys::EVENT_OUTCOME), Some("success"));

    // A JSON array, framed into elements.
    let v: Vec<serde_json::Value> = serde_json::from_str(ARRAY).unwrap();
    let recs: Vec<Vec<u8>> = v.iter().map(|e| serde_json::to_vec(e).unwrap()).collect();
    let r = run_records(recs.iter().map(Vec::as_slice));
    assert!(r.errors.is_empty());
    assert_eq!(r.events.len(), 4);
    assert!(r
        .events
        .iter()
        .all(|e| s(e, keys::DB_SQL_TABLE) == Some("dbo.patients")));
}

#[test]
fn bad_records() {
    use ErrorKind::*;
    let header = b"event_time,action_id,succeeded,statement,response_rows";
    let cases: &[(&[u8], ErrorKind, &str)] = &[
        (b"2024-06-01 10:00:00,SL,1", Schema, "expected 5 columns"),
        (
            b"2024-06-01 10:00:00,SL,1,\"a\"b,1",
            Syntax,
            "column 4: text after the closing quote",
        ),
        (
            b"2024-06-01 10:00:00,SL,1,a\"\"b,1",
            Syntax,
            "column 4: quote inside",
        ),
        (b"2024-06-01 10:00:00,SL,2,x,1", Value, "field `succeeded`"),
        (
            b"2024-06-01 10:00:00,SL,1,x,-",
            Value,
            "field `response_rows`: expected an integer",
        ),
        (b"2024-06-01 25:00:00,SL,1,x,1", Time, "field `event_time`"),
        (b",SL,1,x,1", Time, "missing time"),
        (
            b"2024-06-01 10:00:00,SL,1,\xc3\x28,1",
            Encoding,
            "invalid UTF-8",
        ),
    ];
    for (rec, kind, reason) in cases {
        let mut dec = decoder();
        assert!(dec.decode(header, Origin::default()).unwrap().is_none());
        let e = dec
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
    }
    // Rows before any header.
    let e = decoder()
        .decode(b"2024-06-01 10:00:00,SL,1", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, Schema);
    assert!(e.reason.contains("header"));
    // JSON.
    let e = decoder()
        .decode(
            br#"{"event_time":"2024-06-01T10:00:00"}"#,
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(
        (e.kind, e.reason.as_str()),
        (Schema, "missing field `action_id`")
    );
    let e = decoder()
        .decode(
            br#"{"event_time":"2024-06-01T10:00:00","action_id":"SL","duration_milliseconds":-5}"#,
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, Value);
    let e = decoder()
        .decode(b"{\"event_time\":", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, Syntax);
    // PowerShell's Export-Csv: a type line, every field quoted, True/False.
    let mut dec = decoder();
    let ps: [&[u8]; 3] = [
        b"#TYPE System.Data.DataRow",
        b"\"event_time\",\"action_id\",\"succeeded\",\"server_principal_name\"",
        b"\"6/1/2024 10:00:00 PM\",\"SL  \",\"False\",\"acme_vendor\"",
    ];
    assert!(dec.decode(ps[0], Origin::default()).unwrap().is_none());
    assert!(dec.decode(ps[1], Origin::default()).unwrap().is_none());
    let ev = dec.decode(ps[2], Origin::default()).unwrap().unwrap();
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(&ev, keys::DB_OPERATION), Some("SELECT"));
    assert_eq!(ev.time().to_rfc3339(), "2024-06-01T22:00:00.000000Z");
    let joined = ps.join(&b'\n');
    assert_eq!(detect(&joined).unwrap().format, Format::MssqlAudit);
    for blank in [&b""[..], b"\r", b"  ", b"[", b"]"] {
        assert!(decoder()
            .decode(blank, Origin::default())
            .unwrap()
            .is_none());
    }
    // An unterminated quote does not swallow the source: past 1 MiB the
    // held record is rejected and decoding goes on.
    let mut dec = decoder();
    dec.decode(header, Origin::default()).unwrap();
    let origin = |line| Origin {
        line,
        ..Origin::default()
    };
    assert!(dec
        .decode(b"2024-06-01 10:00:00,SL,1,\"open", origin(2))
        .unwrap()
        .is_none());
    let chunk = vec![b'x'; 64 * 1024];
    let mut err = None;
    for n in 3..40 {
        if let Err(e) = dec.decode(&chunk, origin(n)) {
            err = Some((n, e));
            break;
        }
    }
    let (n, e) = err.expect("too long");
    assert_eq!((e.kind, e.line), (TooLong, Some(2)));
    assert!(n > 10);
    assert!(dec.finish().is_none());
}

#[test]
fn detection() {
    let d = detect(CSV.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::MssqlAudit, Framing::Lines));
    let d = detect(NDJSON.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::MssqlAudit, Framing::Lines));
    let d = detect(ARRAY.as_bytes()).unwrap();
    assert_eq!(
        (d.format, d.framing),
        (Format::MssqlAudit, Framing::JsonDocuments)
    );
    let d = detect(TRUNCATED.as_bytes()).unwrap();
    assert_eq!(d.format, Format::MssqlAudit);
    let with_bom = format!("\u{feff}{CSV}");
    assert_eq!(
        detect(with_bom.as_bytes()).unwrap().format,
        Format::MssqlAudit
    );
    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "{\"event_time\":\"2024-06-01\",\"message\":\"hi\"}\n",
        "event_time,message\n2024-06-01,hi\n",
        "20240305 10:01:02,dbhost,alice,10.0.0.5,12,345,QUERY,ehr,'SELECT 1',0\n",
    ] {
        let d = detect(other.as_bytes());
        assert_ne!(d.map(|d| d.format), Some(Format::MssqlAudit), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_lines_never_panic(
        lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..8),
        with_header in any::<bool>(),
    ) {
        let mut dec = decoder();
        if with_header {
            let _ = dec.decode(b"event_time,action_id,succeeded,statement,response_rows,client_ip", Origin::default());
        }
        for l in &lines {
            let _ = dec.decode(l, Origin::default());
        }
        let _ = dec.finish();
    }

    #[test]
    fn mutated_csv_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let b = common::mutate(CSV.as_bytes(), edits, cut);
        let mut dec = decoder();
        for l in b.split(|&c| c == b'\n') {
            let _ = dec.decode(l, Origin::default());
        }
        let _ = dec.finish();
    }

    #[test]
    fn odd_json_values_never_panic(
        field in "(event_time|action_id|succeeded|session_id|response_rows|affected_rows|duration_milliseconds|client_ip|statement|additional_information|object_name|class_type)",
        value in "(null|true|-1|0.5|18446744073709551616|\"\"|\"[ -~]{0,16}\"|\\[\\]|\\{\\})",
    ) {
        let obj = format!("{{\"event_time\":\"2024-06-01T10:00:00\",\"action_id\":\"SL\",\"{field}\":{value}}}");
        let _ = decoder().decode(obj.as_bytes(), Origin::default());
    }
}
