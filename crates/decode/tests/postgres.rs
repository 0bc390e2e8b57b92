#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PostgreSQL stderr logs and csvlog with pgAudit: the 415 upstream pgAudit
//! records wrapped in realistic log lines, and synthetic sessions in
//! `tests/data/postgres/synthetic/`.

use std::collections::BTreeMap;

use phiwatch_decode::{detect, DecodeError, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s};

const UPSTREAM: &str = include_str!("data/postgres/upstream/pgaudit-audit-records.txt");
const DEBIAN: &str = include_str!("data/postgres/synthetic/debian-session.log");
const DEFAULT: &str = include_str!("data/postgres/synthetic/default-prefix.log");
const BADGER_RDS: &str = include_str!("data/postgres/synthetic/pgbadger-rds.log");
const CUSTOM: &str = include_str!("data/postgres/synthetic/custom-prefix.log");
const CSV: &str = include_str!("data/postgres/synthetic/session.csv");
const BAD: &str = include_str!("data/postgres/synthetic/bad.log");

const CUSTOM_PREFIX: &str = "%n|%c|%p|%e|%u|%d|%r|%a| ";

fn decoder(format: Format, prefix: Option<&str>) -> Box<dyn Decoder> {
    let cfg = DecoderConfig {
        pg_prefix: prefix.map(str::to_string),
        ..DecoderConfig::default()
    };
    format.decoder(&cfg).expect("decoder")
}

#[derive(Default)]
struct Run {
    events: Vec<Event>,
    /// (line the error belongs to, error)
    errors: Vec<(u64, DecodeError)>,
    none: usize,
}

impl Run {
    fn kinds(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for (_, e) in &self.errors {
            *m.entry(e.kind.label()).or_default() += 1;
        }
        m
    }
}

fn run_bytes(dec: &mut dyn Decoder, text: &[u8]) -> Run {
    let mut r = Run::default();
    let mut offset = 0u64;
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let n = i as u64 + 1;
        let origin = Origin {
            line: n,
            record: n,
            offset,
            ..Origin::default()
        };
        offset += line.len() as u64 + 1;
        match dec.decode(line, origin) {
            Ok(Some(ev)) => r.events.push(ev),
            Ok(None) => r.none += 1,
            Err(e) => r.errors.push((e.line.unwrap_or(n), e)),
        }
    }
    match dec.finish() {
        Some(Ok(ev)) => r.events.push(ev),
        Some(Err(e)) => r.errors.push((e.line.unwrap_or(0), e)),
        None => {}
    }
    r
}

fn run(dec: &mut dyn Decoder, text: &str) -> Run {
    run_bytes(dec, text.as_bytes())
}

fn raw<'a>(ev: &'a Event, name: &str) -> Option<&'a str> {
    ev.get_raw(name).and_then(|v| v.as_str())
}

fn text(ev: &Event, k: Key) -> String {
    ev.get(k).map(|v| v.to_string()).unwrap_or_default()
}

// ------------------------------------------------------------ upstream

/// The upstream records: (level, payload after `AUDIT: `).
fn upstream() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for line in UPSTREAM.lines() {
        let head = [
            ("NOTICE", "NOTICE:  AUDIT: "),
            ("WARNING", "WARNING:  AUDIT: "),
        ]
        .into_iter()
        .find_map(|(lvl, p)| line.strip_prefix(p).map(|rest| (lvl, rest)));
        match head {
            Some((lvl, rest)) => out.push((lvl, rest.to_string())),
            None => {
                let last = out.last_mut().expect("a record before a continuation");
                last.1.push('\n');
                last.1.push_str(line);
            }
        }
    }
    out
}

/// The records as a Debian-prefix stderr log (a tab after each newline, as
/// PostgreSQL writes them).
fn upstream_stderr(recs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (n, (lvl, payload)) in recs.iter().enumerate() {
        out.push_str(&format!(
            "2026-03-02 08:{:02}:{:02}.{:03} UTC [{}] regress_user1@contrib_regression {lvl}:  AUDIT: {}\n",
            n / 60 % 60,
            n % 60,
            n % 1000,
            30_000 + n / 50,
            payload.replace('\n', "\n\t")
        ));
    }
    out
}

/// The records as csvlog lines (PostgreSQL 16, 26 columns).
fn upstream_csv(recs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (n, (lvl, payload)) in recs.iter().enumerate() {
        let msg = format!("AUDIT: {payload}").replace('"', "\"\"");
        out.push_str(&format!(
            "2026-03-02 08:{:02}:{:02}.{:03} UTC,\"regress_user1\",\"contrib_regression\",{pid},\"[local]\",65e30a10.{pid:x},{n},\"SELECT\",2026-03-02 08:00:00 UTC,3/{n},0,{lvl},00000,\"{msg}\",,,,,,,,,\"pg_regress\",\"client backend\",,0\n",
            n / 60 % 60,
            n % 60,
            n % 1000,
            pid = 30_000 + n / 50,
        ));
    }
    out
}

fn class_counts(events: &[Event]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for ev in events {
        let k = format!(
            "{} {}",
            raw(ev, "audit_type").unwrap(),
            s(ev, keys::DB_AUDIT_CLASS).unwrap()
        );
        *m.entry(k).or_default() += 1;
    }
    m
}

fn expected_classes() -> BTreeMap<String, usize> {
    [
        ("SESSION DDL", 97),
        ("SESSION MISC", 78),
        ("SESSION WRITE", 70),
        ("SESSION READ", 62),
        ("SESSION ROLE", 50),
        ("SESSION FUNCTION", 16),
        ("OBJECT WRITE", 23),
        ("OBJECT READ", 19),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn check_upstream_events(events: &[Event], recs: &[(&str, String)]) {
    assert_eq!(events.len(), 415);
    assert_eq!(class_counts(events), expected_classes());
    let multi = recs.iter().filter(|(_, p)| p.contains('\n')).count();
    assert_eq!(multi, 179);
    for (ev, (lvl, payload)) in events.iter().zip(recs) {
        // The message survives the round trip exactly.
        assert_eq!(s(ev, keys::MESSAGE).unwrap(), format!("AUDIT: {payload}"));
        assert_eq!(s(ev, keys::LOG_LEVEL), Some(*lvl));
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("postgresql.audit"));
        assert_eq!(s(ev, keys::EVENT_ACTION), Some("audit"));
        assert_eq!(s(ev, keys::DB_SYSTEM), Some("postgresql"));
        assert_eq!(s(ev, keys::DB_USER), Some("regress_user1"));
        assert_eq!(s(ev, keys::DB_NAME), Some("contrib_regression"));
        assert!(s(ev, keys::DB_OPERATION).is_some());
    }
    let with_rows = events
        .iter()
        .filter(|e| e.get_raw("rows").is_some())
        .count();
    let rows_expected = recs
        .iter()
        .filter(|(_, p)| {
            // A tenth field: the text after the parameter is digits.
            p.rsplit_once(',')
                .is_some_and(|(_, r)| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
                && !p.ends_with(",<none>")
        })
        .count();
    assert!(with_rows > 100, "{with_rows}");
    assert!(with_rows <= rows_expected, "{with_rows} {rows_expected}");
    // Spot checks.
    let weird = events
        .iter()
        .find(|e| s(e, keys::DB_STATEMENT) == Some("CREATE TABLE do_table (\"weird name\" INT)"))
        .expect("quoted identifier statement");
    assert_eq!(s(weird, keys::DB_SQL_TABLE), Some("public.do_table"));
    let redacted = events
        .iter()
        .filter(|e| s(e, keys::DB_STATEMENT).is_some_and(|t| t.contains("<REDACTED>")))
        .count();
    assert!(redacted >= 4, "{redacted}");
    let copy_to = events
        .iter()
        .find(|e| {
            raw(e, "statement") == Some("COPY account TO stdout")
                && s(e, keys::DB_OPERATION) == Some("COPY")
        })
        .expect("COPY with an empty object name");
    assert_eq!(s(copy_to, keys::DB_SQL_TABLE), Some("account"));
    assert_eq!(i(copy_to, keys::DB_RESPONSE_RETURNED_ROWS), Some(0));
    let long = events
        .iter()
        .find(|e| s(e, keys::DB_PARAMETERS) == Some("1,<long param suppressed>"))
        .expect("quoted parameters");
    assert_eq!(s(long, keys::DB_AUDIT_CLASS), Some("WRITE"));
    let prev = events
        .iter()
        .find(|e| raw(e, "statement") == Some("<previously logged>"))
        .expect("previously logged");
    assert!(prev.get(keys::DB_STATEMENT).is_none());
    assert!(prev.get(keys::DB_PARAMETERS).is_none());
    assert_eq!(s(prev, keys::DB_SQL_TABLE), raw(prev, "object_name"));
}

#[test]
fn upstream_records_in_a_stderr_log() {
    let recs = upstream();
    assert_eq!(recs.len(), 415);
    let log = upstream_stderr(&recs);
    let r = run(&mut *decoder(Format::PostgresLog, None), &log);
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    assert_eq!(log.lines().count(), 922);
    assert_eq!(r.none, 508);
    check_upstream_events(&r.events, &recs);
    let first = &r.events[0];
    assert_eq!(first.origin().line, 1);
    assert_eq!(first.time().to_rfc3339(), "2026-03-02T08:00:00.000000Z");
    assert_eq!(s(first, keys::PHIWATCH_FORMAT), Some("postgres"));
    assert_eq!(i(first, keys::PROCESS_PID), Some(30_000));
    // Origins are the first lines of the records.
    let mut line = 1;
    for (ev, (_, p)) in r.events.iter().zip(&recs) {
        assert_eq!(ev.origin().line, line);
        line += 1 + p.matches('\n').count() as u64;
    }
    let d = detect(log.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::PostgresLog, Framing::Lines));
}

#[test]
fn upstream_records_in_a_csvlog() {
    let recs = upstream();
    let log = upstream_csv(&recs);
    let r = run(&mut *decoder(Format::PostgresCsv, None), &log);
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    assert_eq!(r.none, 507);
    check_upstream_events(&r.events, &recs);
    let ev = &r.events[10];
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("postgres-csv"));
    assert_eq!(s(ev, keys::CLIENT_APPLICATION), Some("pg_regress"));
    assert_eq!(s(ev, keys::CLIENT_ADDRESS), Some("[local]"));
    assert!(ev.get(keys::CLIENT_IP).is_none());
    assert_eq!(s(ev, keys::DB_SESSION_ID), Some("65e30a10.7530"));
    let d = detect(log.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::PostgresCsv, Framing::Lines));
}

// ------------------------------------------------------------ synthetic

#[test]
fn debian_session_with_pg_dump() {
    let r = run(&mut *decoder(Format::PostgresLog, None), DEBIAN);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.none), (17, 7));
    let actions: Vec<String> = r
        .events
        .iter()
        .map(|e| text(e, keys::EVENT_ACTION))
        .collect();
    assert_eq!(
        actions,
        [
            "",
            "connection_received",
            "connection_authenticated",
            "connection_authorized",
            "audit",
            "audit",
            "error",
            "audit",
            "audit",
            "disconnection",
            "connection_received",
            "connection_authorized",
            "audit",
            "disconnection",
            "connection_received",
            "authentication_failure",
            "",
        ]
    );
    let ready = &r.events[0];
    assert_eq!(s(ready, keys::EVENT_DATASET), Some("postgresql.log"));
    assert!(ready.get(keys::DB_USER).is_none());
    assert_eq!(i(ready, keys::PROCESS_PID), Some(2101));

    let authn = &r.events[2];
    assert_eq!(s(authn, keys::AUTH_METHOD), Some("scram-sha-256"));
    let authz = &r.events[3];
    assert_eq!(s(authz, keys::CLIENT_APPLICATION), Some("psql"));
    assert_eq!(text(authz, keys::CLIENT_IP), "203.0.113.45");

    let read = &r.events[4];
    assert_eq!(read.origin().line, 5);
    assert_eq!(read.time().to_rfc3339(), "2026-03-02T08:15:10.002000Z");
    assert_eq!(s(read, keys::EVENT_DATASET), Some("postgresql.audit"));
    assert_eq!(s(read, keys::EVENT_MODULE), Some("postgresql"));
    assert_eq!(s(read, keys::DB_OPERATION), Some("SELECT"));
    assert_eq!(s(read, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(read, keys::DB_OBJECT_TYPE), Some("TABLE"));
    assert_eq!(s(read, keys::DB_AUDIT_CLASS), Some("READ"));
    assert_eq!(
        s(read, keys::DB_STATEMENT),
        Some("SELECT id, family_name, given_name, birth_date\n  FROM ehr.patients\n WHERE birth_date < '1950-01-01'")
    );
    assert!(read.get(keys::DB_PARAMETERS).is_none());
    assert_eq!(i(read, keys::DB_RESPONSE_RETURNED_ROWS), Some(1520));
    assert_eq!(s(read, keys::DB_USER), Some("mallory"));
    assert_eq!(s(read, keys::USER_NAME), Some("mallory"));
    assert_eq!(s(read, keys::DB_NAME), Some("ehr"));
    assert_eq!(text(read, keys::CLIENT_IP), "203.0.113.45");
    assert!(matches!(read.get(keys::CLIENT_IP), Some(ValueRef::Ip(_))));
    assert_eq!(i(read, keys::CLIENT_PORT), Some(51234));
    assert_eq!(s(read, keys::CLIENT_APPLICATION), Some("psql"));
    assert_eq!(s(read, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(read, keys::EVENT_TYPE), Some("access"));
    // Session id: hex seconds of the connection line, hex pid.
    let sid = format!("{:x}.{:x}", 1_772_439_303u64, 4242);
    assert_eq!(s(read, keys::DB_SESSION_ID), Some(sid.as_str()));
    assert_eq!(raw(read, "statement_id"), None); // an integer, not a string
    assert_eq!(
        read.get_raw("statement_id").and_then(|v| v.as_i64()),
        Some(1)
    );

    let err = &r.events[6];
    assert_eq!(s(err, keys::LOG_LEVEL), Some("ERROR"));
    assert_eq!(s(err, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(
        s(err, keys::ERROR_MESSAGE),
        Some("relation \"ehr.patient\" does not exist at character 15")
    );
    assert_eq!(
        s(err, keys::DB_STATEMENT),
        Some("SELECT * FROM ehr.patient")
    );
    assert_eq!(raw(err, "query"), Some("SELECT * FROM ehr.patient"));

    let write = &r.events[7];
    assert_eq!(s(write, keys::DB_PARAMETERS), Some("42"));
    assert_eq!(i(write, keys::DB_RESPONSE_AFFECTED_ROWS), Some(1));
    assert!(write.get(keys::DB_RESPONSE_RETURNED_ROWS).is_none());
    assert_eq!(s(write, keys::EVENT_TYPE), Some("change"));

    let view = &r.events[8];
    assert_eq!(raw(view, "audit_type"), Some("OBJECT"));
    assert_eq!(s(view, keys::DB_SQL_TABLE), Some("ehr.patient_summary"));
    assert_eq!(
        s(view, keys::DB_STATEMENT),
        Some("SELECT family_name, \"given name\"\n\n  FROM ehr.patient_summary")
    );

    let bye = &r.events[9];
    assert_eq!(i(bye, keys::EVENT_DURATION), Some(97_665_000_000));
    assert_eq!(s(bye, keys::DB_USER), Some("mallory"));

    let dump = &r.events[12];
    assert_eq!(s(dump, keys::DB_OPERATION), Some("COPY"));
    assert!(dump.get(keys::DB_OBJECT_TYPE).is_none());
    assert_eq!(s(dump, keys::DB_SQL_TABLE), Some("public.patients"));
    assert_eq!(i(dump, keys::DB_RESPONSE_RETURNED_ROWS), Some(250_000));
    assert_eq!(s(dump, keys::CLIENT_APPLICATION), Some("pg_dump"));
    assert_eq!(text(dump, keys::CLIENT_IP), "198.51.100.23");
    assert_eq!(s(dump, keys::DB_USER), Some("backup"));
    assert!(dump.get(keys::DB_PARAMETERS).is_none());

    let fail = &r.events[15];
    assert_eq!(s(fail, keys::LOG_LEVEL), Some("FATAL"));
    assert_eq!(s(fail, keys::EVENT_CATEGORY), Some("authentication"));
    assert_eq!(s(fail, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(fail, keys::USER_NAME), Some("eve"));
    assert_eq!(text(fail, keys::CLIENT_IP), "192.0.2.77");
    assert!(raw(fail, "detail")
        .unwrap()
        .starts_with("Connection matched"));

    let d = detect(DEBIAN.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::PostgresLog, Framing::Lines));
}

#[test]
fn default_prefix_takes_identity_from_the_session_table() {
    let r = run(&mut *decoder(Format::PostgresLog, None), DEFAULT);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.none), (7, 3));
    let ev = &r.events[2];
    assert_eq!(ev.time().to_rfc3339(), "2026-03-02T08:00:05.250000Z");
    assert_eq!(s(ev, keys::DB_USER), Some("carol"));
    assert_eq!(s(ev, keys::DB_NAME), Some("ehr"));
    assert_eq!(
        s(ev, keys::CLIENT_APPLICATION),
        Some("DBeaver 23.3.0 - Main")
    );
    assert_eq!(text(ev, keys::CLIENT_IP), "10.20.30.40");
    assert_eq!(i(ev, keys::CLIENT_PORT), Some(55001));
    assert!(ev.get_raw("user_name").is_none());
    // A join: the primary (first) table.
    assert_eq!(s(ev, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("success"));
    // Another backend: nothing known.
    let other = &r.events[3];
    assert!(other.get(keys::DB_USER).is_none());
    assert!(other.get(keys::DB_SESSION_ID).is_none());
    let set = &r.events[4];
    assert_eq!(s(set, keys::DB_AUDIT_CLASS), Some("MISC"));
    assert_eq!(s(set, keys::EVENT_OUTCOME), Some("unknown"));
    assert_eq!(s(set, keys::DB_USER), Some("carol"));
    // After the disconnection the session is forgotten.
    let after = &r.events[6];
    assert!(after.get(keys::DB_USER).is_none());
}

#[test]
fn pgbadger_and_rds_prefixes_in_one_file() {
    let r = run(&mut *decoder(Format::PostgresLog, None), BADGER_RDS);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.none), (8, 5));
    let first = &r.events[0];
    assert!(first.get(keys::DB_USER).is_none());
    assert!(first.get(keys::CLIENT_APPLICATION).is_none());
    assert_eq!(
        first.get_raw("session_line_num").and_then(|v| v.as_i64()),
        Some(1)
    );
    let dur = &r.events[2];
    assert_eq!(s(dur, keys::EVENT_ACTION), Some("statement"));
    assert_eq!(i(dur, keys::EVENT_DURATION), Some(12_500_000));
    assert_eq!(
        s(dur, keys::DB_STATEMENT),
        Some("SELECT count(*) FROM ehr.claims")
    );
    assert_eq!(s(dur, keys::CLIENT_APPLICATION), Some("billing-api"));
    let exec = &r.events[3];
    assert_eq!(s(exec, keys::DB_PARAMETERS), Some("$1 = '1001'"));
    let dup = &r.events[4];
    assert_eq!(s(dup, keys::EVENT_ACTION), Some("error"));
    assert_eq!(raw(dup, "detail"), Some("Key (id)=(77) already exists."));
    assert_eq!(
        s(dup, keys::DB_STATEMENT),
        Some("INSERT INTO ehr.claims (id, patient_id)\n\tVALUES (77, 1001)")
    );
    let del = &r.events[5];
    assert_eq!(s(del, keys::DB_SQL_TABLE), Some("ehr.claims"));
    assert_eq!(i(del, keys::DB_RESPONSE_AFFECTED_ROWS), Some(1));
    let rds = &r.events[6];
    assert_eq!(rds.time().to_rfc3339(), "2026-03-02T10:00:05.000000Z");
    assert_eq!(text(rds, keys::CLIENT_IP), "198.51.100.9");
    assert_eq!(i(rds, keys::CLIENT_PORT), Some(61000));
    assert_eq!(s(rds, keys::DB_USER), Some("erin"));
    assert_eq!(raw(rds, "connection_from"), Some("198.51.100.9(61000)"));
    let local = &r.events[7];
    assert_eq!(i(local, keys::PROCESS_PID), Some(914));
    let d = detect(BADGER_RDS.as_bytes()).unwrap();
    assert_eq!(d.format, Format::PostgresLog);
}

#[test]
fn rds_local_socket() {
    let r = run(&mut *decoder(Format::PostgresLog, None), BADGER_RDS);
    // The last record comes from finish().
    assert_eq!(r.events.len(), 8);
    let last = run(
        &mut *decoder(Format::PostgresLog, None),
        BADGER_RDS.lines().last().unwrap(),
    );
    let ev = &last.events[0];
    assert_eq!(s(ev, keys::CLIENT_ADDRESS), Some("[local]"));
    assert!(ev.get(keys::CLIENT_IP).is_none());
    assert_eq!(s(ev, keys::DB_AUDIT_CLASS), Some("DDL"));
    assert_eq!(i(ev, keys::DB_RESPONSE_RETURNED_ROWS), None);
}

#[test]
fn custom_prefix() {
    let r = run(
        &mut *decoder(Format::PostgresLog, Some(CUSTOM_PREFIX)),
        CUSTOM,
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.none), (2, 2));
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2026-03-02T10:00:00.123000Z");
    assert_eq!(s(ev, keys::DB_SESSION_ID), Some("65a4f3b1.1f4"));
    assert_eq!(text(ev, keys::CLIENT_IP), "203.0.113.200");
    assert_eq!(i(ev, keys::CLIENT_PORT), Some(50505));
    assert!(ev.get(keys::ERROR_CODE).is_none());
    let err = &r.events[1];
    assert_eq!(s(err, keys::ERROR_CODE), Some("42501"));
    assert_eq!(s(err, keys::DB_STATEMENT), Some("SELECT * FROM audit_log"));
    // Without the prefix the lines are not recognized.
    let r = run(&mut *decoder(Format::PostgresLog, None), CUSTOM);
    assert_eq!((r.events.len(), r.errors.len(), r.none), (0, 3, 0));
    assert!(r.errors.iter().all(|(_, e)| e.kind == ErrorKind::Syntax));
}

#[test]
fn invalid_prefixes_are_rejected() {
    for p in ["%m %z ", "%m [%p] %u%d ", "[%p] %u ", "%m %", "%m %-10u "] {
        let cfg = DecoderConfig {
            pg_prefix: Some(p.to_string()),
            ..DecoderConfig::default()
        };
        let e = Format::PostgresLog.decoder(&cfg).err().expect(p);
        assert_eq!(e.kind, ErrorKind::Schema, "{p}");
        assert!(e.reason.starts_with("log_line_prefix"), "{}", e.reason);
    }
}

#[test]
fn csvlog_session() {
    let r = run(&mut *decoder(Format::PostgresCsv, None), CSV);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.none), (8, 3));
    let lines: Vec<u64> = r.events.iter().map(|e| e.origin().line).collect();
    assert_eq!(lines, [1, 2, 3, 6, 8, 9, 10, 11]);
    let read = &r.events[2];
    assert_eq!(s(read, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(
        s(read, keys::DB_STATEMENT),
        Some("SELECT id, ssn\n  FROM ehr.patients\n WHERE mrn LIKE 'A%'")
    );
    assert_eq!(i(read, keys::DB_RESPONSE_RETURNED_ROWS), Some(311));
    assert_eq!(s(read, keys::DB_SESSION_ID), Some("65e30a10.bb9"));
    assert_eq!(text(read, keys::CLIENT_IP), "192.0.2.50");
    assert_eq!(i(read, keys::CLIENT_PORT), Some(53000));
    assert_eq!(
        read.get_raw("query_id").and_then(|v| v.as_i64()),
        Some(-6_917_502_731_409_427_413)
    );
    assert_eq!(raw(read, "backend_type"), Some("client backend"));
    let err = &r.events[3];
    assert_eq!(s(err, keys::ERROR_CODE), Some("42P01"));
    assert_eq!(
        s(err, keys::ERROR_MESSAGE),
        Some("relation \"ehr.patientz\" does not exist")
    );
    assert_eq!(
        s(err, keys::DB_STATEMENT),
        Some("SELECT *\n  FROM ehr.patientz")
    );
    assert_eq!(err.get_raw("query_pos").and_then(|v| v.as_i64()), Some(17));
    let copy = &r.events[4];
    assert_eq!(s(copy, keys::DB_SQL_TABLE), Some("ehr.patients"));
    assert_eq!(s(copy, keys::DB_OPERATION), Some("COPY"));
    assert_eq!(i(copy, keys::DB_RESPONSE_RETURNED_ROWS), Some(20_480));
    let bye = &r.events[5];
    assert_eq!(i(bye, keys::EVENT_DURATION), Some(9_000_000_000));
    let v12 = &r.events[6];
    assert_eq!(v12.time().to_rfc3339(), "2026-03-02T17:00:00.000000Z");
    assert_eq!(
        s(v12, keys::DB_PARAMETERS),
        Some("17,<long param suppressed>")
    );
    assert_eq!(s(v12, keys::DB_SQL_TABLE), Some("ehr.allergies"));
    assert_eq!(s(v12, keys::CLIENT_ADDRESS), Some("[local]"));
    assert!(v12.get(keys::CLIENT_APPLICATION).is_none());
    let v13 = &r.events[7];
    assert_eq!(raw(v13, "backend_type"), Some("checkpointer"));
    assert!(v13.get(keys::DB_USER).is_none());
    let d = detect(CSV.as_bytes()).unwrap();
    assert_eq!((d.format, d.framing), (Format::PostgresCsv, Framing::Lines));
}

// ------------------------------------------------------------ bad input

#[test]
fn bad_stderr_lines() {
    let r = run(&mut *decoder(Format::PostgresLog, None), BAD);
    assert_eq!(r.events.len(), 1, "{:?}", r.errors);
    // The blank line, and the last record's line (returned by finish).
    assert_eq!(r.none, 2);
    let got: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(l, e)| (*l, e.kind)).collect();
    assert_eq!(
        got,
        [
            (1, ErrorKind::Syntax),
            (2, ErrorKind::Schema),
            (3, ErrorKind::Schema),
            (4, ErrorKind::Time),
            (5, ErrorKind::Schema),
            (6, ErrorKind::Value),
            (7, ErrorKind::Syntax),
            (8, ErrorKind::Value),
        ]
    );
    for (_, e) in &r.errors {
        assert!(!e.reason.contains("123-45"), "{}", e.reason);
        assert!(!e.reason.contains("many"), "{}", e.reason);
    }
    assert_eq!(r.events[0].origin().line, 10);
    let k = r.kinds();
    assert_eq!(k.get("syntax"), Some(&2));
}

#[test]
fn invalid_utf8() {
    let mut log = b"2026-03-02 08:00:00.000 UTC [1] LOG:  \xff\xfe bad\n".to_vec();
    log.extend_from_slice(b"2026-03-02 08:00:01.000 UTC [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT 1\n\t\xc3(\",<none>\n");
    log.extend_from_slice(b"2026-03-02 08:00:02.000 UTC [1] LOG:  ok\n");
    let r = run_bytes(&mut *decoder(Format::PostgresLog, None), &log);
    let got: Vec<(u64, ErrorKind)> = r.errors.iter().map(|(l, e)| (*l, e.kind)).collect();
    assert_eq!(got, [(1, ErrorKind::Encoding), (2, ErrorKind::Encoding)]);
    assert_eq!(r.events.len(), 1);

    let csv =
        b"2026-03-02 11:00:00.100 UTC,\"\xff\",,1,,,1,,,,0,LOG,00000,\"m\",,,,,,,,,,\"x\",,0\n";
    let r = run_bytes(&mut *decoder(Format::PostgresCsv, None), csv);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].1.kind, ErrorKind::Encoding);
}

#[test]
fn bad_csvlog_records() {
    let good = CSV.lines().next().unwrap();
    let cases: Vec<(String, ErrorKind)> = vec![
        ("a,b,c".into(), ErrorKind::Schema),
        (
            good.replacen("2026-03-02 11:00:00.100 UTC", "yesterday", 1),
            ErrorKind::Time,
        ),
        (
            good.replacen(
                "2026-03-02 11:00:00.100 UTC",
                "2026-03-02 11:00:00.100 QQQ",
                1,
            ),
            ErrorKind::Time,
        ),
        (good.replacen(",LOG,", ",LOUD,", 1), ErrorKind::Value),
        (good.replacen(",3001,", ",pid,", 1), ErrorKind::Value),
        (format!("{good},extra"), ErrorKind::Schema),
        (
            good.replacen("\"client backend\"", "\"client\" backend", 1),
            ErrorKind::Syntax,
        ),
        (
            good.replacen(
                "connection received: host=192.0.2.50 port=53000",
                "AUDIT: SESSION,1",
                1,
            ),
            ErrorKind::Schema,
        ),
    ];
    for (line, kind) in cases {
        let r = run(&mut *decoder(Format::PostgresCsv, None), &line);
        assert_eq!(r.errors.len(), 1, "{line}");
        assert_eq!(r.errors[0].1.kind, kind, "{line}: {}", r.errors[0].1);
    }
    // A record cut inside a quoted field.
    let cut = "2026-03-02 11:00:00.100 UTC,\"a\",\"b\",1,,,1,,,,0,LOG,00000,\"AUDIT: x\n";
    let r = run(&mut *decoder(Format::PostgresCsv, None), cut);
    assert_eq!(r.events.len(), 0);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0], (1, r.errors[0].1.clone()));
    assert_eq!(r.errors[0].1.kind, ErrorKind::Syntax);
}

#[test]
fn empty_input() {
    for f in [Format::PostgresLog, Format::PostgresCsv] {
        let r = run(&mut *decoder(f, None), "");
        assert_eq!((r.events.len(), r.errors.len()), (0, 0));
        let r = run(&mut *decoder(f, None), "\n\n  \n");
        assert_eq!((r.events.len(), r.errors.len()), (0, 0));
    }
}

#[test]
fn other_formats_are_not_captured() {
    let others = [
        "#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "Mar  2 08:15:10 db1 postgres[4242]: [5-1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>\n",
        "192.0.2.1 - - [02/Mar/2026:08:15:10 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl/8\"\n",
        "id,name,created\n1,a,2026-03-02 08:00:00\n",
        "2026-03-02 08:15:10,123 INFO some.java.Logger - started\n",
    ];
    for o in others {
        let d = detect(o.as_bytes()).map(|d| d.format);
        assert!(
            !matches!(d, Some(Format::PostgresLog | Format::PostgresCsv)),
            "{o}: {d:?}"
        );
    }
}

#[test]
fn session_table_is_bounded() {
    // 120k connections without disconnection: the oldest are evicted and
    // decoding still works.
    let mut dec = decoder(Format::PostgresLog, None);
    for pid in 0..120_000u32 {
        let line = format!(
            "2026-03-02 08:00:00.000 UTC [{pid}] LOG:  connection authorized: user=u{pid} database=ehr"
        );
        dec.decode(
            line.as_bytes(),
            Origin {
                line: u64::from(pid) + 1,
                ..Origin::default()
            },
        )
        .unwrap();
    }
    let audit = |pid: u32| {
        format!("2026-03-02 08:00:01.000 UTC [{pid}] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>")
    };
    // The event of a record comes back when the next record starts.
    let last_conn = dec
        .decode(audit(5).as_bytes(), Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(s(&last_conn, keys::DB_USER), Some("u119999"));
    let old = dec
        .decode(audit(119_999).as_bytes(), Origin::default())
        .unwrap()
        .unwrap();
    assert!(old.get(keys::DB_USER).is_none());
    let new = dec
        .decode(
            b"2026-03-02 08:00:02.000 UTC [1] LOG:  x",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(s(&new, keys::DB_USER), Some("u119999"));
    let x = dec.finish().unwrap().unwrap();
    assert_eq!(s(&x, keys::EVENT_DATASET), Some("postgresql.log"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..12)) {
        for f in [Format::PostgresLog, Format::PostgresCsv] {
            let mut dec = decoder(f, None);
            for l in &lines {
                let _ = dec.decode(l, Origin::default());
            }
            let _ = dec.finish();
        }
        let joined = lines.join(&b'\n');
        let _ = detect(&joined);
    }

    #[test]
    fn mutated_records_never_panic(cut in 0usize..400, byte in any::<u8>(), at in 0usize..400) {
        let src = DEBIAN.lines().nth(4).unwrap().as_bytes().to_vec();
        let mut l = src[..cut.min(src.len())].to_vec();
        if !l.is_empty() {
            let i = at % l.len();
            l[i] = byte;
        }
        let mut dec = decoder(Format::PostgresLog, None);
        let _ = dec.decode(&l, Origin::default());
        let _ = dec.decode(b"\tx\"", Origin::default());
        let _ = dec.finish();
        let csv = CSV.lines().nth(2).unwrap().as_bytes();
        let mut c = csv[..cut.min(csv.len())].to_vec();
        if !c.is_empty() {
            let i = at % c.len();
            c[i] = byte;
        }
        let mut dec = decoder(Format::PostgresCsv, None);
        let _ = dec.decode(&c, Origin::default());
        let _ = dec.finish();
    }

    #[test]
    fn arbitrary_prefixes_never_panic(p in "[%a-zA-Z0-9 \\[\\]@:|,=()-]{0,24}", line in "[ -~]{0,80}") {
        let cfg = DecoderConfig { pg_prefix: Some(p), ..DecoderConfig::default() };
        if let Ok(mut dec) = Format::PostgresLog.decoder(&cfg) {
            let _ = dec.decode(line.as_bytes(), Origin::default());
            let _ = dec.finish();
        }
    }
}
