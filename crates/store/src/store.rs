//! Opening a store, runs and sources.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::error::{Result, StoreError};
use crate::keys::SourceMap;
use crate::schema;
use crate::types::{OpenOptions, RunId, RunInfo, RunTotals};

/// The embedded store: one SQLite file (WAL mode, foreign keys on, a busy
/// timeout) holding runs, sources, findings, incidents, the data-access
/// ledger, entities and log coverage. See the crate docs.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating the file when missing and
    /// migrating its schema to this build's version.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, &OpenOptions::default())
    }

    /// Opens an existing store ([`StoreError::Missing`] when there is no
    /// file): for commands that only read one.
    pub fn open_existing(path: &Path) -> Result<Store> {
        let opts = OpenOptions {
            create: false,
            ..OpenOptions::default()
        };
        Store::open_with(path, &opts)
    }

    /// Opens the store at `path` as `opts` say.
    pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if !path.exists() {
            if !opts.create {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
            create_private(path)?;
        }
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| schema::open_error(path, e))?;
        Store::setup(conn, path.to_path_buf(), opts, true)
    }

    /// A store in memory (for tests and one-shot runs).
    pub fn open_in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| schema::open_error(&path, e))?;
        Store::setup(conn, path, &OpenOptions::default(), false)
    }

    fn setup(mut conn: Connection, path: PathBuf, opts: &OpenOptions, wal: bool) -> Result<Store> {
        let err = |e| schema::open_error(&path, e);
        conn.busy_timeout(opts.busy_timeout).map_err(err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(err)?;
        conn.pragma_update(None, "cache_size", -32_768)
            .map_err(err)?;
        // Identity and version are checked before anything is written.
        schema::migrate(&mut conn, &path, schema::MIGRATIONS)?;
        if wal {
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map_err(err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(err)?;
        }
        Ok(Store { conn, path })
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.sql("reading the schema version"))?;
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    }

    /// Maps an SQLite error to [`StoreError::Sql`] for `op`.
    pub(crate) fn sql(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sql {
            path: self.path.clone(),
            op,
            source,
        }
    }

    pub(crate) fn invalid(&self, problem: String) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            problem,
        }
    }

    /// Records a run; findings, accesses, sources and coverage are added
    /// under its id.
    pub fn begin_run(&mut self, run: &RunInfo) -> Result<RunId> {
        let args = serde_json::to_string(&run.args).map_err(|source| StoreError::Encode {
            path: self.path.clone(),
            what: "run arguments",
            source,
        })?;
        self.conn
            .execute(
                "INSERT INTO runs (command, args, version, started) VALUES (?1, ?2, ?3, ?4)",
                params![run.command, args, run.version, run.started.as_nanos()],
            )
            .map_err(self.sql("recording a run"))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Fails with [`StoreError::UnknownRun`] unless the run exists.
    pub(crate) fn check_run(&self, run: RunId) -> Result<()> {
        let found: Option<i64> = self
            .conn
            .query_row("SELECT id FROM runs WHERE id = ?1", [run.0], |r| r.get(0))
            .optional()
            .map_err(self.sql("looking up a run"))?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::UnknownRun {
                path: self.path.clone(),
                run: run.0,
            }),
        }
    }

    /// Registers an input file of `run`: `path` as it appears in evidence
    /// and ledger references (`path:line`), `content_hash` of its bytes
    /// ([`content_hash`](crate::content_hash)). Gives `true` when this
    /// content is new to the store. Registering the same path twice in a
    /// run is allowed with the same hash and an error with another.
    pub fn add_source(
        &mut self,
        run: RunId,
        path: &str,
        content_hash: &str,
        bytes: u64,
    ) -> Result<bool> {
        if content_hash.is_empty() || content_hash.len() > 256 {
            return Err(self.invalid(format!(
                "source {path:?} of run {run}: content hash must have 1 to 256 characters"
            )));
        }
        self.check_run(run)?;
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        let path_buf = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| sql_at(&path_buf, "registering a source", source))?;
        let e = |source| sql_at(&path_buf, "registering a source", source);
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM sources WHERE content_hash = ?1",
                [content_hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        let (id, new) = match existing {
            Some(id) => (id, false),
            None => {
                tx.execute(
                    "INSERT INTO sources (content_hash, bytes, first_run, first_path) VALUES (?1, ?2, ?3, ?4)",
                    params![content_hash, bytes, run.0, path],
                )
                .map_err(e)?;
                (tx.last_insert_rowid(), true)
            }
        };
        let prior: Option<i64> = tx
            .query_row(
                "SELECT source FROM run_sources WHERE run = ?1 AND path = ?2",
                params![run.0, path],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        match prior {
            Some(p) if p != id => {
                return Err(StoreError::Invalid {
                    path: path_buf.clone(),
                    problem: format!(
                        "source {path:?} registered twice in run {run} with different content"
                    ),
                })
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO run_sources (run, path, source) VALUES (?1, ?2, ?3)",
                    params![run.0, path, id],
                )
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok(new)
    }

    /// The paths `run` registered, with their hashes.
    pub(crate) fn source_map(&self, run: RunId) -> Result<SourceMap> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT rs.path, s.content_hash, s.id FROM run_sources rs JOIN sources s ON s.id = rs.source WHERE rs.run = ?1",
            )
            .map_err(self.sql("reading a run's sources"))?;
        let rows = st
            .query_map([run.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.sql("reading a run's sources"))?;
        let mut map = SourceMap::default();
        for row in rows {
            let (path, hash, id) = row.map_err(self.sql("reading a run's sources"))?;
            map.insert(path, hash, id);
        }
        Ok(map)
    }

    /// Records a run's totals and end.
    pub fn finish_run(&mut self, run: RunId, totals: &RunTotals) -> Result<()> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET finished = ?2, events_read = ?3, events_accepted = ?4, events_rejected = ?5,
                 findings_new = ?6, findings_duplicate = ?7, findings_unregistered = ?8,
                 accesses_new = ?9, accesses_duplicate = ?10, accesses_unregistered = ?11 WHERE id = ?1",
                params![
                    run.0,
                    totals.finished.as_nanos(),
                    n(totals.events_read),
                    n(totals.events_accepted),
                    n(totals.events_rejected),
                    n(totals.findings.new),
                    n(totals.findings.duplicate),
                    n(totals.findings.unregistered),
                    n(totals.accesses.new),
                    n(totals.accesses.duplicate),
                    n(totals.accesses.unregistered),
                ],
            )
            .map_err(self.sql("finishing a run"))?;
        if changed == 0 {
            return Err(StoreError::UnknownRun {
                path: self.path.clone(),
                run: run.0,
            });
        }
        Ok(())
    }
}

/// Creates an empty store file readable by its owner only (the ledger
/// holds patient ids); SQLite gives its `-wal` and `-shm` files the same
/// mode. An empty file is an empty SQLite database.
fn create_private(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(path) {
        Ok(_) => Ok(()),
        // An empty file there (made by `touch`, or by another process
        // meanwhile): the store will hold PHI, so only its owner reads it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                    |source| StoreError::Create {
                        path: path.to_path_buf(),
                        source,
                    },
                )?;
            }
            Ok(())
        }
        Err(e) => Err(StoreError::Create {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// [`StoreError::Sql`] at `path`.
pub(crate) fn sql_at(path: &Path, op: &'static str, source: rusqlite::Error) -> StoreError {
    StoreError::Sql {
        path: path.to_path_buf(),
        op,
        source,
    }
}
