//! The values the store takes and gives back.

use std::fmt;
use std::time::Duration;

use phiwatch_event::Timestamp;
use phiwatch_finding::Finding;

/// A run's id in the store (`runs.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What started a run: the command, its arguments, the phiwatch version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInfo {
    /// The subcommand (`hunt`, `scope`, …).
    pub command: String,
    /// Its arguments as given.
    pub args: Vec<String>,
    /// The phiwatch version that ran.
    pub version: String,
    /// When it started.
    pub started: Timestamp,
}

/// What a batch added: rows new to the store, rows it already held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Added {
    /// Rows stored.
    pub new: u64,
    /// Rows not stored because the store holds the same record (same
    /// content key or same path key: see the crate docs).
    pub duplicate: u64,
    /// Rows (new or duplicate) with a `path:line` reference whose path the
    /// run did not register with [`Store::add_source`](crate::Store::add_source):
    /// their key uses the path itself, so the same content under another
    /// name would not be recognized.
    pub unregistered: u64,
}

impl Added {
    /// Adds `other` to `self`.
    pub fn merge(&mut self, other: Added) {
        self.new += other.new;
        self.duplicate += other.duplicate;
        self.unregistered += other.unregistered;
    }
}

/// A run's totals, given to [`Store::finish_run`](crate::Store::finish_run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunTotals {
    /// Events read from the inputs.
    pub events_read: u64,
    /// Events accepted (decoded).
    pub events_accepted: u64,
    /// Events rejected (with a diagnostic).
    pub events_rejected: u64,
    /// Findings added and duplicate over the run.
    pub findings: Added,
    /// Ledger entries added and duplicate over the run.
    pub accesses: Added,
    /// When the run finished.
    pub finished: Timestamp,
}

/// A recorded run, as [`Store::runs`](crate::Store::runs) lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRow {
    /// Its id.
    pub id: RunId,
    /// What started it.
    pub info: RunInfo,
    /// Its totals, once finished.
    pub totals: Option<RunTotals>,
    /// Input files it registered.
    pub sources: u64,
    /// Of those, files whose content was new to the store.
    pub new_sources: u64,
}

/// The kind of an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// A user name.
    User,
    /// An IP address.
    Ip,
    /// A host name.
    Host,
}

impl EntityKind {
    /// `user`, `ip` or `host`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Ip => "ip",
            EntityKind::Host => "host",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<EntityKind> {
        match s {
            "user" => Some(EntityKind::User),
            "ip" => Some(EntityKind::Ip),
            "host" => Some(EntityKind::Host),
            _ => None,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user, address or host named by findings or ledger entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRow {
    /// User, IP or host.
    pub kind: EntityKind,
    /// The name or address.
    pub value: String,
    /// The earliest time of a finding or access naming it.
    pub first: Timestamp,
    /// The latest (end) time of a finding or access naming it.
    pub last: Timestamp,
    /// Findings naming it.
    pub findings: u64,
    /// Ledger entries naming it.
    pub accesses: u64,
}

/// An incident and its member findings.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// The incident finding (detector `incident`).
    pub finding: Finding,
    /// Its members' finding ids, in the incident's order. A member that
    /// the store holds under another id (the same content read from
    /// another file name) is given by the stored id.
    pub members: Vec<String>,
}

/// Rows per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `runs`.
    pub runs: u64,
    /// `sources` (distinct input contents).
    pub sources: u64,
    /// `findings` (incidents included).
    pub findings: u64,
    /// Findings with detector `incident`.
    pub incidents: u64,
    /// `incident_members`.
    pub incident_members: u64,
    /// `accesses` (the ledger).
    pub accesses: u64,
    /// `entities`.
    pub entities: u64,
    /// `coverage` (log kind × hour).
    pub coverage: u64,
}

/// How to open a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create the file when it does not exist (otherwise
    /// [`StoreError::Missing`](crate::StoreError::Missing)).
    pub create: bool,
    /// How long to wait for another connection's lock before failing.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    /// Create when missing; wait up to 10 s for locks.
    fn default() -> Self {
        OpenOptions {
            create: true,
            busy_timeout: Duration::from_secs(10),
        }
    }
}
