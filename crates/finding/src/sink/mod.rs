//! Output formats: the [`FindingSink`] trait and its four implementations.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

use serde::Serialize;

use crate::finding::{Detector, Finding, Level};
use crate::ParseError;

mod csv;
mod jsonl;
pub(crate) mod ocsf;
mod table;

pub use csv::{push_field as push_csv_field, CsvSink, CSV_HEADER};
pub use jsonl::JsonlSink;
pub use ocsf::OcsfSink;
pub use table::TableSink;

/// Where findings go. Call [`write`](FindingSink::write) per finding, then
/// [`finish`](FindingSink::finish) once (it prints any trailer and flushes).
pub trait FindingSink {
    /// Writes one finding.
    fn write(&mut self, f: &Finding) -> std::io::Result<()>;
    /// Ends the output: trailers, buffered rows, flush.
    fn finish(&mut self) -> std::io::Result<()>;
}

impl<S: FindingSink + ?Sized> FindingSink for Box<S> {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        (**self).write(f)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        (**self).finish()
    }
}

impl<S: FindingSink + ?Sized> FindingSink for &mut S {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        (**self).write(f)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        (**self).finish()
    }
}

/// An output format, as named on the command line (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned columns for people, with a counts line.
    Table,
    /// One finding JSON object per line (the contract).
    Jsonl,
    /// A header and one row per finding.
    Csv,
    /// One OCSF Detection Finding JSON object per line.
    Ocsf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Table, Format::Jsonl, Format::Csv, Format::Ocsf];

    /// The name accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ParseError;
    /// `table`, `jsonl`, `csv` or `ocsf`, in any case.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseError::Format(s.to_owned()))
    }
}

/// A sink of the given format over `writer`. Wrap `writer` in a
/// `BufWriter` when it is a file or stdout; `finish` flushes it.
pub fn sink<'a, W: Write + 'a>(format: Format, writer: W) -> Box<dyn FindingSink + 'a> {
    match format {
        Format::Table => Box::new(TableSink::new(writer)),
        Format::Jsonl => Box::new(JsonlSink::new(writer)),
        Format::Csv => Box::new(CsvSink::new(writer)),
        Format::Ocsf => Box::new(OcsfSink::new(writer)),
    }
}

/// Totals by level and by detector, for summaries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All findings counted.
    pub total: u64,
    /// Per level; levels never seen are absent.
    pub by_level: BTreeMap<Level, u64>,
    /// Per detector; detectors never seen are absent.
    pub by_detector: BTreeMap<Detector, u64>,
}

impl Counts {
    /// Counts one finding.
    pub fn add(&mut self, f: &Finding) {
        self.total += 1;
        *self.by_level.entry(f.rule.level).or_insert(0) += 1;
        *self.by_detector.entry(f.detector).or_insert(0) += 1;
    }

    /// Findings at `level`.
    pub fn level(&self, level: Level) -> u64 {
        self.by_level.get(&level).copied().unwrap_or(0)
    }

    /// Findings from `detector`.
    pub fn detector(&self, detector: Detector) -> u64 {
        self.by_detector.get(&detector).copied().unwrap_or(0)
    }
}

impl fmt::Display for Counts {
    /// `N findings (critical C, high H, medium M, low L, informational I)`;
    /// `1 finding (…)` for one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.total == 1 {
            "finding"
        } else {
            "findings"
        };
        write!(f, "{} {noun} (", self.total)?;
        for (i, level) in Level::ALL.iter().rev().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{level} {}", self.level(*level))?;
        }
        f.write_str(")")
    }
}

/// `user=… host=… ip=…` for the keys known; `-` when none.
pub(crate) fn entity_text(f: &Finding) -> String {
    let e = &f.entity;
    let parts: Vec<String> = [("user", &e.user), ("host", &e.host), ("ip", &e.ip)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" ")
    }
}
