//! MySQL-family audit decoder: golden counts over the synthetic fixtures in
//! `tests/data/mysql/` (MySQL Enterprise JSON, the audit log filter's JSON
//! lines, Percona's `audit_record` JSON, MariaDB `server_audit` text), spot
//! checks of normalized fields, bad input and detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin};
use proptest::prelude::*;

mod common;
use common::{i, lines, s, Run};

const ENTERPRISE: &str = include_str!("data/mysql/enterprise.json");
const FILTER: &str = include_str!("data/mysql/filter.ndjson");
const PERCONA: &str = include_str!("data/mysql/percona.ndjson");
const MARIADB: &[u8] = include_bytes!("data/mysql/server_audit.log");

fn decoder() -> Box<dyn Decoder> {
    Format::MysqlAudit
        .decoder(&DecoderConfig::default())
        .expect("decoder")
}

fn run_records<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut dec = decoder();
    let r = common::run_records(&mut *dec, records);
    assert!(dec.finish().is_none());
    r
}

fn ip(ev: &Event) -> Option<String> {
    ev.get(keys::CLIENT_IP).map(|v| v.to_string())
}

fn kinds(r: &Run) -> Vec<(u64, ErrorKind)> {
    r.errors.iter().map(|(n, e)| (*n, e.kind)).collect()
}

/// Counts of normalized facts, as a stable string.
fn summarize(evs: &[Event]) -> String {
    let count = |k: Key| evs.iter().filter(|e| e.get(k).is_some()).count();
    let fail = evs
        .iter()
        .filter(|e| s(e, keys::EVENT_OUTCOME) == Some("failure"))
        .count();
    format!(
        "user={} ip={} addr={} db={} op={} table={} stmt={} session={} outcome={} failure={} error={} rows={}",
        count(keys::DB_USER),
        count(keys::CLIENT_IP),
        count(keys::CLIENT_ADDRESS),
        count(keys::DB_NAME),
        count(keys::DB_OPERATION),
        count(keys::DB_SQL_TABLE),
        count(keys::DB_STATEMENT),
        count(keys::DB_SESSION_ID),
        count(keys::EVENT_OUTCOME),
        fail,
        count(keys::ERROR_CODE),
        count(keys::DB_RESPONSE_RETURNED_ROWS),
    )
}

/// The elements of a JSON array file, one record each (what the ingest
/// layer's framing does).
fn array_records(text: &str) -> Vec<Vec<u8>> {
    let v: Vec<serde_json::Value> = serde_json::from_str(text).expect("fixture is an array");
    v.iter().map(|e| serde_json::to_vec(e).unwrap()).collect()
}

#[test]
fn enterprise_json_array() {
    let recs = array_records(ENTERPRISE);
    let r = run_records(recs.iter().map(Vec::as_slice));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (17, 0));
    for ev in &r.events {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("mysql.audit"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("mysql"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("mysql-audit"));
        assert_eq!(s(ev, keys::DB_SYSTEM), Some("mysql"));
    }
    assert_eq!(
        summarize(&r.events),
        "user=15 ip=15 addr=0 db=7 op=10 table=10 stmt=10 session=17 outcome=9 failure=2 error=2 rows=3"
    );
    // The failed vendor login.
    let ev = &r.events[1];
    assert_eq!(ev.time().to_rfc3339(), "2024-03-09T02:10:11.000000Z");
    assert_eq!(s(ev, keys::EVENT_ACTION), Some("connect"));
    assert_eq!(s(ev, keys::DB_AUDIT_CLASS), Some("connection"));
    assert_eq!(s(ev, keys::EVENT_CATEGORY), Some("authentication"));
    assert_eq!(s(ev, keys::EVENT_TYPE), Some("start"));
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(ev, keys::ERROR_CODE), Some("1045"));
    assert_eq!(s(ev, keys::DB_USER), Some("acme_vendor"));
    assert_eq!(ip(ev).as_deref(), Some("203.0.113.45"));
    assert_eq!(i(ev, keys::DB_SESSION_ID), Some(4711));
    // Bulk reads of ehr.patients: table access and the statement's status.
    let reads: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| {
            s(e, keys::DB_SQL_TABLE) == Some("patients")
                && s(e, keys::DB_USER) == Some("acme_vendor")
        })
        .collect();
    assert_eq!(reads.len(), 6);
    for ev in &reads {
        assert_eq!(s(ev, keys::DB_OPERATION), Some("SELECT"));
        assert_eq!(s(ev, keys::DB_USER), Some("acme_vendor"));
    }
    let status = reads
        .iter()
        .find(|e| s(e, keys::EVENT_ACTION) == Some("status"))
        .unwrap();
    assert_eq!(i(status, keys::DB_RESPONSE_RETURNED_ROWS), Some(50000));
    assert_eq!(i(status, keys::EVENT_DURATION), Some(1_250_000_000));
    assert_eq!(s(status, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(
        status
            .get_raw("query_statistics.rows_examined")
            .unwrap()
            .as_i64(),
        Some(50000)
    );
    let read = reads
        .iter()
        .find(|e| s(e, keys::EVENT_ACTION) == Some("read"))
        .unwrap();
    assert_eq!(s(read, keys::DB_NAME), Some("ehr"));
    assert_eq!(s(read, keys::DB_AUDIT_CLASS), Some("table_access"));
    // Statement parsing where no table_access record names the table.
    let denied = &r.events[9];
    assert_eq!(s(denied, keys::DB_SQL_TABLE), Some("ehr.billing_secret"));
    assert_eq!(s(denied, keys::ERROR_CODE), Some("1142"));
    let update = &r.events[14];
    assert_eq!(s(update, keys::DB_OPERATION), Some("UPDATE"));
    assert_eq!(s(update, keys::DB_SQL_TABLE), Some("patients"));
    assert_eq!(ip(update).as_deref(), Some("10.20.1.15"));
}

#[test]
fn enterprise_json_lines_and_filter_format() {
    let r = run_records(lines(FILTER.as_bytes()));
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (5, 7, 1));
    assert_eq!(
        kinds(&r),
        [
            (6, ErrorKind::Value),
            (7, ErrorKind::Value),
            (8, ErrorKind::Time),
            (9, ErrorKind::Time),
            (10, ErrorKind::Value),
            (11, ErrorKind::Syntax),
            (12, ErrorKind::Schema),
        ]
    );
    // `user[priv] @ host [ip]` accounts.
    let ev = &r.events[1];
    assert_eq!(s(ev, keys::DB_USER), Some("dr_quill"));
    assert_eq!(ip(ev).as_deref(), Some("198.51.100.23"));
    assert_eq!(s(ev, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(ev, keys::DB_OPERATION), Some("SELECT"));
    let end = &r.events[3];
    assert_eq!(s(end, keys::EVENT_ACTION), Some("query_status_end"));
    assert_eq!(i(end, keys::DB_RESPONSE_RETURNED_ROWS), Some(31));
    // Unix-time variant.
    let del = &r.events[4];
    assert_eq!(del.time().to_rfc3339(), "2024-05-02T22:41:40.000000Z");
    assert_eq!(s(del, keys::DB_OPERATION), Some("DELETE"));
    assert_eq!(s(del, keys::DB_SQL_TABLE), Some("ehr.appointments"));
    for (_, e) in &r.errors {
        assert!(!e.reason.contains("eighty") && !e.reason.contains("lots"));
    }
    assert!(r.errors[0].1.reason.contains("`connection_id`"));
    assert!(r.errors[1].1.reason.contains("`general_data.status`"));
}

#[test]
fn percona_audit_records() {
    let r = run_records(lines(PERCONA.as_bytes()));
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (8, 3, 0));
    assert_eq!(
        kinds(&r),
        [
            (9, ErrorKind::Time),
            (10, ErrorKind::Value),
            (11, ErrorKind::Time)
        ]
    );
    assert_eq!(
        summarize(&r.events),
        "user=8 ip=7 addr=1 db=8 op=5 table=3 stmt=5 session=8 outcome=8 failure=2 error=2 rows=0"
    );
    let failed = &r.events[0];
    assert_eq!(s(failed, keys::EVENT_ACTION), Some("connect"));
    assert_eq!(s(failed, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(failed, keys::ERROR_CODE), Some("1045"));
    let q = &r.events[2];
    assert_eq!(q.time().to_rfc3339(), "2016-03-22T08:49:14.000000Z");
    assert_eq!(s(q, keys::DB_USER), Some("contractor"));
    assert_eq!(s(q, keys::DB_OPERATION), Some("SELECT"));
    assert_eq!(s(q, keys::DB_SQL_TABLE), Some("patients"));
    assert_eq!(s(q, keys::DB_NAME), Some("ehr"));
    assert_eq!(i(q, keys::DB_SESSION_ID), Some(22));
    // ` UTC` suffix of older plugins.
    let q = &r.events[3];
    assert_eq!(q.time().to_rfc3339(), "2016-03-22T08:49:20.000000Z");
    assert_eq!(s(q, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(&r.events[4], keys::DB_OPERATION), Some("SHOW"));
    assert_eq!(s(&r.events[6], keys::EVENT_ACTION), Some("quit"));
    assert_eq!(s(&r.events[6], keys::EVENT_CATEGORY), Some("session"));
    let local = &r.events[7];
    assert_eq!(s(local, keys::DB_USER), Some("root"));
    assert_eq!(s(local, keys::CLIENT_ADDRESS), Some("localhost"));
}

#[test]
fn mariadb_server_audit() {
    let r = run_records(lines(MARIADB));
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (13, 7, 1));
    assert_eq!(
        kinds(&r),
        [
            (15, ErrorKind::Schema),
            (16, ErrorKind::Time),
            (17, ErrorKind::Schema),
            (18, ErrorKind::Syntax),
            (19, ErrorKind::Value),
            (20, ErrorKind::Time),
            (21, ErrorKind::Encoding),
        ]
    );
    for (_, e) in &r.errors {
        assert!(!e.reason.contains("forty") && !e.reason.contains("SELECT"));
    }
    assert_eq!(
        summarize(&r.events),
        "user=13 ip=12 addr=1 db=12 op=6 table=9 stmt=6 session=13 outcome=10 failure=2 error=2 rows=0"
    );
    for ev in &r.events {
        assert_eq!(s(ev, keys::DB_SYSTEM), Some("mariadb"));
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("mysql.audit"));
    }
    let failed = &r.events[0];
    assert_eq!(failed.time().to_rfc3339(), "2024-03-05T10:01:02.000000Z");
    assert_eq!(s(failed, keys::EVENT_ACTION), Some("failed_connect"));
    assert_eq!(s(failed, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(failed, keys::ERROR_CODE), Some("1045"));
    assert_eq!(s(failed, keys::HOST_NAME), Some("dbhost01"));
    assert_eq!(s(failed, keys::EVENT_CATEGORY), Some("authentication"));
    assert_eq!(
        failed
            .get(keys::SOURCE_IP)
            .map(|v| v.to_string())
            .as_deref(),
        Some("203.0.113.45")
    );
    assert_eq!(s(failed, keys::DB_USER), Some("vendor_svc"));
    assert_eq!(ip(failed).as_deref(), Some("203.0.113.45"));
    let read = &r.events[2];
    assert_eq!(s(read, keys::EVENT_ACTION), Some("read"));
    assert_eq!(s(read, keys::DB_AUDIT_CLASS), Some("TABLE"));
    assert_eq!(s(read, keys::EVENT_TYPE), Some("access"));
    assert_eq!(s(read, keys::DB_SQL_TABLE), Some("patients"));
    assert_eq!(read.get(keys::EVENT_OUTCOME), None);
    assert_eq!(i(read, keys::DB_SESSION_ID), Some(13));
    assert_eq!(read.get_raw("queryid").unwrap().as_i64(), Some(345));
    // Commas and escaped quotes inside the statement.
    let q = &r.events[5];
    assert_eq!(
        s(q, keys::DB_STATEMENT),
        Some(
            "SELECT id, last_name, first_name, dob FROM ehr.patients WHERE last_name LIKE 'O\\'%' OR city IN ('Springfield, IL', 'Shelbyville')"
        )
    );
    assert_eq!(s(q, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(q, keys::DB_OPERATION), Some("SELECT"));
    assert_eq!(s(q, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(&r.events[6], keys::ERROR_CODE), Some("1142"));
    let ins = &r.events[9];
    assert_eq!(
        s(ins, keys::DB_STATEMENT),
        Some("INSERT INTO encounters (patient_id, note)\nVALUES (7, 'BP 120/80, ok')")
    );
    assert_eq!(s(ins, keys::DB_SQL_TABLE), Some("encounters"));
    assert_eq!(s(ins, keys::EVENT_TYPE), Some("change"));
    assert_eq!(s(&r.events[10], keys::CLIENT_ADDRESS), Some("localhost"));
    assert_eq!(s(&r.events[10], keys::DB_OPERATION), Some("CREATE"));
    // Amazon RDS: epoch microseconds.
    let rds = &r.events[11];
    assert_eq!(rds.time().to_rfc3339(), "2024-03-05T10:10:00.123456Z");
    assert_eq!(s(rds, keys::HOST_NAME), Some("aurora-ehr-1"));
    // MariaDB 12: host:port.
    let m12 = &r.events[12];
    assert_eq!(ip(m12).as_deref(), Some("203.0.113.45"));
    assert_eq!(i(m12, keys::CLIENT_PORT), Some(53122));
}

#[test]
fn bad_records() {
    use ErrorKind::*;
    let cases: &[(&[u8], ErrorKind, &str)] = &[
        (br#"{"timestamp":"2024-05-02 22:43:04""#, Syntax, "truncated JSON"),
        (br#"{"timestamp":5,"class":"general","id":1}"#, Time, "field `timestamp`"),
        (br#"{"timestamp":"2024-05-02 22:43:04","id":1}"#, Schema, "`class`"),
        (br#"{"audit_record":{"timestamp":true}}"#, Time, "audit_record.timestamp"),
        (br#"{"timestamp":"2024-05-02 22:43:04","class":"x","query_statistics":{"query_time":"slow"}}"#, Value, "query_time"),
        (b"{\"timestamp\":\"2024-05-02 22:43:04\",\"class\":\"\xc3\x28\"}", Encoding, "invalid UTF-8"),
        (b"20240305 12:07:00,h,u,10.0.0.1,1,2,QUERY,db,'SELECT \xc3\x28',0", Encoding, "invalid UTF-8"),
        (b"20240305 12:07:00,h", Schema, "expected 10 comma-separated fields, found 2"),
        (b"hello world", Schema, "expected 10"),
        (b"20240305 12:07:00,h,u,10.0.0.1,1,2,QUERY,db,'SELECT 1',x", Schema, "retcode"),
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
    }
    for blank in [&b""[..], b" \t\r", b"[", b"]", b","] {
        assert!(decoder()
            .decode(blank, Origin::default())
            .unwrap()
            .is_none());
    }
    // A line of a JSON array read line by line, with its separator.
    let ev = decoder()
        .decode(
            br#"{"timestamp":"2024-05-02 22:40:01","id":0,"class":"audit","server_id":1},"#,
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::DB_AUDIT_CLASS), Some("audit"));
}

#[test]
fn detection() {
    let d = detect(ENTERPRISE.as_bytes()).unwrap();
    assert_eq!(
        (d.format, d.framing),
        (Format::MysqlAudit, Framing::JsonDocuments)
    );
    let d = detect(FILTER.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::MysqlAudit, Framing::Lines));
    let d = detect(PERCONA.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::MysqlAudit, Framing::Lines));
    let d = detect(MARIADB).unwrap();
    assert_eq!((d.format, d.framing), (Format::MysqlAudit, Framing::Lines));
    // Other formats are not captured.
    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "{\"@timestamp\":\"2020-01-01T00:00:00Z\",\"message\":\"hi\"}\n",
        "203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 200 2326\n",
        "a,b,c,d,e,f,g,h,i,j\n",
    ] {
        let d = detect(other.as_bytes());
        assert_ne!(d.map(|d| d.format), Some(Format::MysqlAudit), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decoder().decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_lines_never_panic(
        line in 0usize..21,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        json in any::<bool>(),
    ) {
        let src: &[u8] = if json {
            PERCONA.lines().nth(line % 11).unwrap_or("{}").as_bytes()
        } else {
            lines(MARIADB).get(line).copied().unwrap_or(b"")
        };
        let mut b = src.to_vec();
        for (at, byte) in edits {
            if !b.is_empty() {
                let n = at.index(b.len());
                b[n] = byte;
            }
        }
        b.truncate(cut.index(b.len() + 1));
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn arbitrary_statements_never_panic(stmt in "[ -~\\n\u{e9}]{0,80}") {
        let line = format!("20240305 10:01:06,h,u,10.0.0.1,1,2,QUERY,db,'{stmt}',0");
        let _ = decoder().decode(line.as_bytes(), Origin::default());
        let json = serde_json::json!({"timestamp":"2024-05-02 22:43:04","class":"general","id":1,"general_data":{"query":stmt}});
        let _ = decoder().decode(json.to_string().as_bytes(), Origin::default());
    }
}
