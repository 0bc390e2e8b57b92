//! The schema and its migrations.
//!
//! The version lives in `PRAGMA user_version`; the file is marked as a
//! phiwatch store by `PRAGMA application_id` ([`APPLICATION_ID`]). Opening
//! applies, in one transaction, every migration past the file's version;
//! a version past [`MIGRATIONS`] is refused ([`StoreError::TooNew`]).

use std::path::Path;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::error::{Result, StoreError};

/// `PRAGMA application_id` of a phiwatch store: `PHWT` in ASCII.
pub const APPLICATION_ID: i64 = 0x5048_5754;

/// Schema version 1: every table of the store.
///
/// The ledger (`accesses`) is indexed by time and its two keys only: every
/// query selects a time window, and the silo, user and IP indexes cost 40%
/// of `put_accesses` throughput (measured, `cargo bench -p phiwatch-store`)
/// for no query that uses them. A later migration adds one with the query
/// that needs it.
const V1: &str = r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    args TEXT NOT NULL,
    version TEXT NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER,
    events_read INTEGER,
    events_accepted INTEGER,
    events_rejected INTEGER,
    findings_new INTEGER,
    findings_duplicate INTEGER,
    findings_unregistered INTEGER,
    accesses_new INTEGER,
    accesses_duplicate INTEGER,
    accesses_unregistered INTEGER
);
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    bytes INTEGER NOT NULL,
    first_run INTEGER NOT NULL REFERENCES runs(id),
    first_path TEXT NOT NULL
);
CREATE TABLE run_sources (
    run INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    source INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (run, path)
) WITHOUT ROWID;
CREATE INDEX run_sources_source ON run_sources(source);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    finding_id TEXT NOT NULL,
    content_key BLOB NOT NULL UNIQUE,
    path_key BLOB NOT NULL UNIQUE,
    run INTEGER NOT NULL REFERENCES runs(id),
    time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    detector TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    user TEXT,
    host TEXT,
    ip TEXT,
    score REAL,
    exact BLOB NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX findings_time ON findings(time);
CREATE INDEX findings_end_time ON findings(end_time);
CREATE INDEX findings_finding_id ON findings(finding_id);
CREATE INDEX findings_detector ON findings(detector, time);
CREATE INDEX findings_rule_id ON findings(rule_id);
CREATE INDEX findings_level ON findings(level);
CREATE INDEX findings_user ON findings(user) WHERE user IS NOT NULL;
CREATE INDEX findings_ip ON findings(ip) WHERE ip IS NOT NULL;
CREATE TABLE incident_members (
    incident INTEGER NOT NULL REFERENCES findings(id),
    position INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    member INTEGER REFERENCES findings(id),
    PRIMARY KEY (incident, position)
) WITHOUT ROWID;
CREATE INDEX incident_members_member_id ON incident_members(member_id);
CREATE TABLE accesses (
    id INTEGER PRIMARY KEY,
    content_key BLOB NOT NULL UNIQUE,
    path_key BLOB NOT NULL UNIQUE,
    run INTEGER NOT NULL REFERENCES runs(id),
    source INTEGER REFERENCES sources(id),
    time INTEGER NOT NULL,
    silo TEXT NOT NULL,
    action TEXT NOT NULL,
    user TEXT,
    ip TEXT,
    host TEXT,
    reach TEXT NOT NULL,
    records INTEGER NOT NULL,
    rows INTEGER,
    bytes INTEGER,
    json TEXT NOT NULL
);
CREATE INDEX accesses_time ON accesses(time);
CREATE TABLE entities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    accesses INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE TABLE coverage (
    kind TEXT NOT NULL,
    hour INTEGER NOT NULL,
    first_run INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (kind, hour)
) WITHOUT ROWID;
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Schema version 2: the hourly flows from inside to outside (`scope
/// --store` counts the bytes that left from them), keyed like the ledger.
const V2: &str = r#"
CREATE TABLE flows (
    id INTEGER PRIMARY KEY,
    content_key BLOB NOT NULL UNIQUE,
    path_key BLOB NOT NULL UNIQUE,
    run INTEGER NOT NULL REFERENCES runs(id),
    hour INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    src TEXT,
    dst TEXT,
    bytes INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX flows_last ON flows(last);
CREATE INDEX flows_first ON flows(first);
"#;

/// The migrations, in order: entry `i` takes the schema from version `i`
/// to version `i + 1`. Never edit a released entry; append a new one.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this build writes.
pub fn latest() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// Maps an SQLite error met while opening: a file that is not a database
/// (or is corrupt) gets [`StoreError::NotADatabase`].
pub(crate) fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
                detail: source.to_string(),
            }
        }
        _ => StoreError::Open {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// What the file says about itself.
struct Identity {
    application_id: i64,
    version: i64,
    tables: i64,
}

fn identity(conn: &Connection) -> rusqlite::Result<Identity> {
    let application_id = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        [],
        |r| r.get(0),
    )?;
    Ok(Identity {
        application_id,
        version,
        tables,
    })
}

/// Checks that the file is ours (or empty) and not newer than `supported`;
/// gives its version.
fn check(path: &Path, id: &Identity, supported: u32) -> Result<u32> {
    let ours = id.application_id == APPLICATION_ID;
    let empty = id.application_id == 0 && id.version == 0 && id.tables == 0;
    if !ours && !empty {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
            application_id: id.application_id,
            tables: id.tables,
        });
    }
    let found = u32::try_from(id.version).unwrap_or(u32::MAX);
    if found > supported {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(found)
}

/// Brings the schema to the last of `migrations`, each step in the same
/// transaction as the version bump; gives the version reached. A store
/// already up to date is only read (no write lock is taken).
pub(crate) fn migrate(conn: &mut Connection, path: &Path, migrations: &[&str]) -> Result<u32> {
    let supported = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    let id = identity(conn).map_err(|e| open_error(path, e))?;
    let found = check(path, &id, supported)?;
    if found == supported {
        return Ok(found);
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| open_error(path, e))?;
    // Another process may have migrated while we waited for the lock.
    let id = identity(&tx).map_err(|e| open_error(path, e))?;
    let mut version = check(path, &id, supported)?;
    let from = version;
    for (i, sql) in migrations.iter().enumerate().skip(version as usize) {
        let to = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let step = tx
            .execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", to))
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID));
        step.map_err(|source| StoreError::Migration {
            path: path.to_path_buf(),
            from,
            to,
            source,
        })?;
        version = to;
    }
    tx.commit().map_err(|source| StoreError::Migration {
        path: path.to_path_buf(),
        from,
        to: version,
        source,
    })?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "CREATE TABLE t (a INTEGER NOT NULL);";
    const T2: &str = "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x';";
    const BAD: &str = "CREATE TABLE u (a INTEGER); CREATE TABLE t (a INTEGER);";

    fn version(c: &Connection) -> i64 {
        c.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn upgrades_from_one_to_two_keeping_rows() {
        let p = Path::new("test.db");
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut c, p, &[T1]).unwrap(), 1);
        c.execute("INSERT INTO t (a) VALUES (7)", []).unwrap();
        assert_eq!(migrate(&mut c, p, &[T1, T2]).unwrap(), 2);
        assert_eq!(version(&c), 2);
        let (a, b): (i64, String) = c
            .query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((a, b.as_str()), (7, "x"));
        // Idempotent.
        assert_eq!(migrate(&mut c, p, &[T1, T2]).unwrap(), 2);
        // The older build refuses the newer file.
        let e = migrate(&mut c, p, &[T1]).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::TooNew {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_failed_step_rolls_back_to_the_old_version() {
        let p = Path::new("test.db");
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, p, &[T1]).unwrap();
        let e = migrate(&mut c, p, &[T1, BAD]).unwrap_err();
        assert!(
            matches!(e, StoreError::Migration { from: 1, to: 2, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("from version 1 to 2"), "{e}");
        assert_eq!(version(&c), 1);
        // Table `u` of the failed step was rolled back with it.
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'u'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let p = Path::new("other.db");
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE mine (x); PRAGMA user_version = 3;")
            .unwrap();
        let e = migrate(&mut c, p, MIGRATIONS).unwrap_err();
        assert!(
            matches!(e, StoreError::ForeignDatabase { tables: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("not a phiwatch store"), "{e}");
    }
}
