//! The store's error type: every message names the database file.

use std::path::PathBuf;

/// What went wrong with a store. Every variant carries the database path
/// (`:memory:` for an in-memory store) so that messages say which file.
/// Messages never quote stored findings or ledger entries (they may hold
/// patient identifiers).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or set up (permissions, missing
    /// directory, locked for longer than the busy timeout).
    #[error("cannot open store {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file could not be created.
    #[error("cannot create store {path}: {source}")]
    Create {
        /// The database file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is not an SQLite database (or is corrupt).
    #[error("{path} is not a phiwatch store: the file is not an SQLite database or is corrupt ({detail})")]
    NotADatabase {
        /// The database file.
        path: PathBuf,
        /// SQLite's words.
        detail: String,
    },
    /// The file is an SQLite database of another application.
    #[error("{path} is an SQLite database but not a phiwatch store (application id {application_id:#x}, {tables} tables); refusing to modify it")]
    ForeignDatabase {
        /// The database file.
        path: PathBuf,
        /// Its `PRAGMA application_id`.
        application_id: i64,
        /// How many tables it holds.
        tables: i64,
    },
    /// The store was written by a newer phiwatch.
    #[error("store {path} has schema version {found}, written by a newer phiwatch; this phiwatch reads schema versions up to {supported}: upgrade phiwatch to use this store")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// `open_existing` on a path with no file.
    #[error("store {path} does not exist")]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// A schema migration failed; the store is left at `from`.
    #[error("store {path}: migrating schema from version {from} to {to} failed: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// The version before.
        from: u32,
        /// The version that failed.
        to: u32,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// An SQL statement failed.
    #[error("store {path}: {op}: {source}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored row could not be decoded (a damaged or hand-edited store).
    #[error("store {path}: row {row} of table {table} is damaged: {detail}")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row id.
        row: i64,
        /// What was wrong (never the row's content).
        detail: String,
    },
    /// A value could not be encoded as JSON.
    #[error("store {path}: cannot encode {what} as JSON: {source}")]
    Encode {
        /// The database file.
        path: PathBuf,
        /// What was being encoded.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A run id that the store does not hold.
    #[error("store {path}: no run {run}")]
    UnknownRun {
        /// The database file.
        path: PathBuf,
        /// The run id.
        run: i64,
    },
    /// The caller passed something the store cannot keep.
    #[error("store {path}: {problem}")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        problem: String,
    },
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;
