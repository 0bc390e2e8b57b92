//! Counters and diagnostics: what each source received, accepted and rejected.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use phiwatch_decode::{ErrorKind, Format};
use phiwatch_event::{SourceId, Timestamp};

/// How a source's bytes were compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Not compressed.
    #[default]
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard (one or more frames).
    Zstd,
}

impl Compression {
    /// A short label.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Counters for one source. `records == accepted + rejected` always holds;
/// `accepted` includes events later dropped by the time filter (`filtered`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Records framed and given to the decoder (headers and blank lines excluded).
    pub records: u64,
    /// Records decoded into events.
    pub accepted: u64,
    /// Records rejected, with a diagnostic.
    pub rejected: u64,
    /// Accepted events outside `--from`/`--to`.
    pub filtered: u64,
    /// Events that arrived after later events had already been emitted
    /// (beyond the reorder window); they are still emitted.
    pub late: u64,
    /// Lines that carried no record (headers, comments, blank lines).
    pub meta_lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Rejections by class.
    pub rejected_by_kind: BTreeMap<ErrorKind, u64>,
    /// Diagnostics counted but not reported, beyond the per-source cap.
    pub suppressed: u64,
    /// The format used, once known.
    pub format: Option<Format>,
    /// The compression found.
    pub compression: Compression,
    /// Why the source stopped early or could not be read at all.
    pub error: Option<String>,
    /// Why a file found in a directory was skipped (not a log format).
    pub skipped: Option<String>,
}

impl SourceStats {
    /// Adds another source's counters into this one (for totals).
    pub fn add(&mut self, o: &SourceStats) {
        self.records += o.records;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.filtered += o.filtered;
        self.late += o.late;
        self.meta_lines += o.meta_lines;
        self.bytes += o.bytes;
        self.suppressed += o.suppressed;
        for (k, v) in &o.rejected_by_kind {
            *self.rejected_by_kind.entry(*k).or_default() += v;
        }
    }

    /// Events emitted (accepted and inside the time filter).
    pub fn emitted(&self) -> u64 {
        self.accepted - self.filtered
    }
}

/// One input: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Its id in events' origins.
    pub id: SourceId,
    /// The path as given or found (`-` for standard input).
    pub path: Arc<str>,
    /// Size in bytes on disk, when known.
    pub size: Option<u64>,
    /// Last modification time, when known (the year of timestamps written
    /// without one defaults to it).
    pub modified: Option<Timestamp>,
}

/// A problem with a record or a whole source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The source.
    pub source: SourceId,
    /// Its path.
    pub path: Arc<str>,
    /// 1-based line, or 0 when the problem concerns the whole source.
    pub line: u64,
    /// The class of a record rejection; `None` for source-level problems.
    pub kind: Option<ErrorKind>,
    /// What was wrong (never the record's content).
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path, self.line, self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Receives diagnostics as they happen, from any thread.
pub trait DiagnosticSink: Send + Sync {
    /// Called once per reported diagnostic.
    fn report(&self, d: &Diagnostic);
}

/// A sink that keeps diagnostics in memory (for tests and embedding).
#[derive(Debug, Default)]
pub struct CollectSink(pub std::sync::Mutex<Vec<Diagnostic>>);

impl DiagnosticSink for CollectSink {
    fn report(&self, d: &Diagnostic) {
        if let Ok(mut v) = self.0.lock() {
            v.push(d.clone());
        }
    }
}

impl CollectSink {
    /// The diagnostics collected so far.
    pub fn take(&self) -> Vec<Diagnostic> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// The totals of a run, per source and overall.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every source with its counters, in source-id order.
    pub sources: Vec<(SourceInfo, SourceStats)>,
    /// Problems with the inputs themselves (paths that matched nothing).
    pub input_errors: Vec<String>,
    /// Events emitted out of time order by the merge (time-ordered runs only).
    pub out_of_order: u64,
}

impl Report {
    /// The sum over all sources.
    pub fn totals(&self) -> SourceStats {
        let mut t = SourceStats::default();
        for (_, s) in &self.sources {
            t.add(s);
        }
        t
    }

    /// Files found in directories and skipped as not logs.
    pub fn skipped_sources(&self) -> usize {
        self.sources
            .iter()
            .filter(|(_, s)| s.skipped.is_some())
            .count()
    }

    /// Sources that could not be read at all or stopped early.
    pub fn failed_sources(&self) -> usize {
        self.sources
            .iter()
            .filter(|(_, s)| s.error.is_some())
            .count()
    }
}
