//! The phiwatch embedded store: one SQLite file (bundled SQLite, WAL mode,
//! foreign keys on, a busy timeout) that keeps what `hunt --store DB`
//! found so that `scope --store DB` can answer later without the logs.
//!
//! It holds runs (command, arguments, version, totals), sources (input
//! files by the BLAKE3 hash of their bytes), findings, incidents and their
//! member ids, the data-access ledger ([`Access`]: who read which silo,
//! which patients or in bulk), entities (users, addresses, hosts with
//! first/last seen and counts) and log coverage (which kind of log had
//! records in which hour).
//!
//! **De-duplication by content.** A run registers each input file with
//! [`Store::add_source`] and the hash from [`content_hash`]. Every
//! `path:line` reference of a finding or ledger entry is rewritten to
//! `<content-hash>:line` to make its *content key*; the same bytes under
//! another name or directory give the same keys, so re-ingesting adds
//! nothing and counts duplicates ([`Added`]). A second *path key* (the
//! references as given) also catches the records of a file that has grown
//! since it was last read. Rows keep their original paths for display.
//!
//! **Migrations.** The schema version is `PRAGMA user_version`; opening
//! applies the missing migrations in one transaction and refuses a store
//! written by a newer phiwatch ([`StoreError::TooNew`]) or a database of
//! another application.
//!
//! **PHI.** The ledger's patient ids ([`Access::records`]) are PHI: they
//! are stored (the scope counts patients from them) and never printed by
//! this crate. Protect the file like the logs it came from.
//!
//! # Example
//!
//! ```
//! use phiwatch_event::Timestamp;
//! use phiwatch_finding::{Detector, Evidence, Finding, Level, RuleRef};
//! use phiwatch_store::{RunInfo, Store};
//!
//! let t = Timestamp::from_secs(1_790_000_000).unwrap();
//! let mut store = Store::open_in_memory()?;
//! let run = store.begin_run(&RunInfo {
//!     command: "hunt".into(),
//!     args: vec!["logs/".into()],
//!     version: "0.1.0".into(),
//!     started: t,
//! })?;
//! let hash = phiwatch_store::content_hash_bytes(b"one log line\n");
//! assert!(store.add_source(run, "logs/conn.log", &hash, 13)?);
//!
//! let rule = RuleRef { id: "r-1".into(), title: "Bulk read".into(), level: Level::High, author: None, source: None };
//! let mut f = Finding::new(Detector::Sigma, rule, t);
//! f.evidence.push(Evidence { source: "logs/conn.log:1".into(), time: t, record: None });
//! f.refresh_id();
//! let added = store.put_findings(run, &[f.clone()])?;
//! assert_eq!((added.new, added.duplicate), (1, 0));
//!
//! // The same content read again under another name: nothing added.
//! let again = store.begin_run(&RunInfo { command: "hunt".into(), args: vec![], version: "0.1.0".into(), started: t })?;
//! assert!(!store.add_source(again, "copy/renamed.log", &hash, 13)?);
//! let mut g = f.clone();
//! g.evidence[0].source = "copy/renamed.log:1".into();
//! g.refresh_id();
//! assert_ne!(g.id, f.id);
//! let added = store.put_findings(again, &[g])?;
//! assert_eq!((added.new, added.duplicate), (0, 1));
//!
//! assert_eq!(store.findings(t, t)?, vec![f]);
//! assert_eq!(store.counts()?.findings, 1);
//! # Ok::<(), phiwatch_store::StoreError>(())
//! ```

mod error;
mod exact;
mod keys;
mod read;
mod schema;
mod store;
mod types;
mod write;

use std::io::{self, Read};
use std::path::Path;

pub use error::{Result, StoreError};
pub use phiwatch_event::Timestamp;
pub use phiwatch_scope::{Access, Reach};
pub use read::HOUR_NS;
pub use schema::{latest as latest_schema_version, APPLICATION_ID};
pub use store::Store;
pub use types::{
    Added, Counts, EntityKind, EntityRow, Incident, OpenOptions, RunId, RunInfo, RunRow, RunTotals,
};

/// The content hash of a file's bytes: BLAKE3-256 as 64 lower-case hex
/// digits, read in 64 KiB blocks. BLAKE3 is collision resistant, so a log
/// written by an attacker cannot pose as another file and be dropped as
/// its duplicate.
pub fn content_hash(path: &Path) -> io::Result<String> {
    content_hash_reader(std::fs::File::open(path)?)
}

/// [`content_hash`] of everything `r` yields (standard input, a stream).
pub fn content_hash_reader(mut r: impl Read) -> io::Result<String> {
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// [`content_hash`] of bytes in memory.
pub fn content_hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
