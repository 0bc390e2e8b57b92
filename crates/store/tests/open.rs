//! Opening files: fresh, reopened, newer schema, not a database, another
//! application's database, missing, and two connections at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use phiwatch_store::{latest_schema_version, OpenOptions, Store, StoreError, APPLICATION_ID};

fn pragma(path: &std::path::Path, name: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_fresh_store_has_the_latest_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phiwatch.db");
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), latest_schema_version());
    assert_eq!(latest_schema_version(), 2);
    assert_eq!(s.path(), path);
    drop(s);
    assert_eq!(pragma(&path, "application_id"), APPLICATION_ID);
    assert_eq!(pragma(&path, "user_version"), 2);
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "accesses",
            "coverage",
            "entities",
            "findings",
            "flows",
            "incident_members",
            "meta",
            "run_sources",
            "runs",
            "sources"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_new_store_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let mut s = Store::open(&path).unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    s.put_accesses(run, &accesses_at("logs/")).unwrap();
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.path().join(format!("private.db{suffix}"));
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn reopening_is_idempotent_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phiwatch.db");
    {
        let mut s = Store::open(&path).unwrap();
        let run = s.begin_run(&info("hunt")).unwrap();
        register(&mut s, run, "a.log", "logs/a.log");
        s.put_accesses(run, &accesses_at("logs/")).unwrap();
    }
    for _ in 0..3 {
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 2);
        let c = s.counts().unwrap();
        assert_eq!((c.runs, c.sources, c.accesses), (1, 1, 6));
    }
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.counts().unwrap().accesses, 6);
}

#[test]
fn a_store_from_a_newer_phiwatch_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(Store::open(&path).unwrap());
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA user_version = 7; CREATE TABLE from_the_future (x);")
            .unwrap();
    }
    let e = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::TooNew {
                found: 7,
                supported: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("future.db"), "{msg}");
    assert!(
        msg.contains("schema version 7, written by a newer phiwatch; this phiwatch reads schema versions up to 2"),
        "{msg}"
    );
    assert_eq!(pragma(&path, "user_version"), 7);
}

#[test]
fn a_file_that_is_not_sqlite_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        (
            "text.db",
            b"this is a log file, not a database\n".repeat(200),
        ),
        ("zeros.db", vec![0u8; 4096]),
        (
            "truncated.db",
            b"SQLite format 3\0"
                .iter()
                .copied()
                .chain([0xff; 50])
                .collect(),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(
            matches!(e, StoreError::NotADatabase { .. }),
            "{name}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(name) && msg.contains("is not a phiwatch store"),
            "{msg}"
        );
        // Left as it was.
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

#[test]
fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE customers (id INTEGER, name TEXT);")
            .unwrap();
    }
    let e = Store::open(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::ForeignDatabase { tables: 1, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("not a phiwatch store"), "{e}");
    assert_eq!(pragma(&path, "user_version"), 0);
}

#[test]
fn open_existing_does_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let e = Store::open_existing(&path).unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e:?}");
    assert!(e.to_string().ends_with("absent.db does not exist"), "{e}");
    assert!(!path.exists());
    let e = Store::open(&dir.path().join("no/such/dir/x.db")).unwrap_err();
    assert!(matches!(e, StoreError::Create { .. }), "{e:?}");
    assert!(e.to_string().starts_with("cannot create store "), "{e}");
}

#[test]
fn two_stores_on_one_file_read_while_one_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let mut writer = Store::open(&path).unwrap();
    let reader = Store::open_with(
        &path,
        &OpenOptions {
            create: false,
            busy_timeout: Duration::from_secs(5),
        },
    )
    .unwrap();
    let run = writer.begin_run(&info("hunt")).unwrap();
    for f in ["a.log", "b.log", "c.log"] {
        register(&mut writer, run, f, &format!("logs/{f}"));
    }
    writer.put_findings(run, &findings_at("logs/")).unwrap();
    // The reader sees committed rows.
    assert_eq!(reader.counts().unwrap().findings, 6);
    let all = (ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
    // Reads interleaved with writes on both connections.
    let a = writer.put_accesses(run, &accesses_at("logs/")).unwrap();
    assert_eq!(a.new, 6);
    assert_eq!(reader.accesses(all.0, all.1).unwrap().len(), 6);
    assert_eq!(reader.findings(all.0, all.1).unwrap().len(), 6);
    // A second writer is serialized by the busy timeout, not refused.
    let mut second = Store::open(&path).unwrap();
    let run2 = second.begin_run(&info("hunt")).unwrap();
    register(&mut second, run2, "a.log", "renamed.log");
    assert_eq!(writer.counts().unwrap().runs, 2);
    // From threads at once.
    let p2 = path.clone();
    let h = std::thread::spawn(move || {
        let s = Store::open(&p2).unwrap();
        (0..20).map(|_| s.counts().unwrap().findings).sum::<u64>()
    });
    let mut n = 0;
    for _ in 0..20 {
        n += reader.counts().unwrap().findings;
    }
    assert_eq!(h.join().unwrap(), 120);
    assert_eq!(n, 120);
}

#[test]
fn damaged_rows_give_an_error_that_does_not_quote_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    {
        let mut s = Store::open(&path).unwrap();
        let run = s.begin_run(&info("hunt")).unwrap();
        s.put_findings(run, &findings_at("logs/")).unwrap();
        s.put_accesses(run, &accesses_at("logs/")).unwrap();
    }
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        // A hand edit: a patient id where a number belongs, a cut finding.
        c.execute_batch(
            "UPDATE accesses SET json = replace(json, '\"rows\":1', '\"rows\":\"pt-0000001\"') WHERE id = 1;
             UPDATE findings SET json = substr(json, 1, 40) WHERE id = 2;
             UPDATE findings SET exact = x'00' WHERE id = 3;",
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let all = (ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"));
    let e = s.accesses(all.0, all.1).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Damaged {
                table: "accesses",
                row: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("damaged.db: row 1 of table accesses is damaged: ledger entry json is invalid (data error"), "{msg}");
    assert!(!msg.contains("pt-"), "{msg}");
    let e = s.findings(all.0, all.1).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Damaged {
                table: "findings",
                row: 2,
                ..
            }
        ),
        "{e}"
    );
    let e = s.finding(&findings_at("logs/")[2].id).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("row 3 of table findings is damaged: exact blob is malformed"),
        "{e}"
    );
    // The rest still reads.
    assert!(s.finding(&findings_at("logs/")[0].id).unwrap().is_some());
}

/// A version-1 store (before the flows table) opens as version 2 with its
/// rows kept, and flows can then be stored, de-duplicated and read back.
#[test]
fn a_version_1_store_is_upgraded_and_keeps_its_rows() {
    use phiwatch_scope::Flow;
    use phiwatch_store::{RunInfo, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut s = Store::open(&path).unwrap();
        s.begin_run(&RunInfo {
            command: "hunt".into(),
            args: Vec::new(),
            version: "0.1.0".into(),
            started: Timestamp::from_secs(1).unwrap(),
        })
        .unwrap();
    }
    {
        // What version 1 looked like.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("DROP TABLE flows; PRAGMA user_version = 1;")
            .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 2);
    assert_eq!(s.runs().unwrap().len(), 1, "the old run is kept");
    let run = s
        .begin_run(&RunInfo {
            command: "hunt".into(),
            args: Vec::new(),
            version: "0.1.0".into(),
            started: Timestamp::from_secs(2).unwrap(),
        })
        .unwrap();
    s.add_source(run, "conn.log", "ab", 10).unwrap();
    let t = |secs| Timestamp::from_secs(secs).unwrap();
    let flow = Flow {
        hour: t(3600),
        first: t(3700),
        last: t(3800),
        src: Some("10.0.1.30".parse().unwrap()),
        dst: Some("100.64.23.45".parse().unwrap()),
        host: None,
        bytes: 1_000_000,
        connections: 3,
        names: vec!["cdn.example".into()],
        source: "conn.log:7".into(),
    };
    let added = s.put_flows(run, std::slice::from_ref(&flow)).unwrap();
    assert_eq!((added.new, added.duplicate, added.unregistered), (1, 0, 0));
    let again = s.put_flows(run, std::slice::from_ref(&flow)).unwrap();
    assert_eq!((again.new, again.duplicate), (0, 1));
    // Read again with other companion logs (other names): the same flow.
    let mut renamed = flow.clone();
    renamed.names = vec!["other.example".into()];
    let third = s.put_flows(run, std::slice::from_ref(&renamed)).unwrap();
    assert_eq!((third.new, third.duplicate), (0, 1));
    assert_eq!(s.flows(t(0), t(3750)).unwrap(), vec![flow.clone()]);
    // The log grew (another content, same first record): replaced, not added.
    let run3 = s
        .begin_run(&RunInfo {
            command: "hunt".into(),
            args: Vec::new(),
            version: "0.1.0".into(),
            started: Timestamp::from_secs(3).unwrap(),
        })
        .unwrap();
    s.add_source(run3, "conn.log", "cd", 20).unwrap();
    let mut grown = flow.clone();
    grown.bytes = 3_000_000;
    grown.connections = 5;
    s.put_flows(run3, std::slice::from_ref(&grown)).unwrap();
    let stored = s.flows(t(0), t(9000)).unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].bytes, 3_000_000);
    assert!(s.flows(t(3801), t(9000)).unwrap().is_empty());
}
