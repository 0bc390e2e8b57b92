//! The user-supplied field mapping for JSON lines: [`FieldMapping`] (what
//! the decoder applies), its rules and constants, and [`MappingError`] (every
//! problem of a mapping file, with its line and column). Reading the TOML
//! text is [`super::builder`]'s job.

use std::fmt;
use std::net::IpAddr;

use phiwatch_event::{keys, Key};

use super::builder;
use super::time::TimeFormat;

/// A user-supplied mapping from a JSON lines source's names to phiwatch's,
/// read from a TOML file with [`FieldMapping::parse`].
///
/// ```toml
/// # When the record happened. `field` is the raw dotted name; `format` is
/// # one of auto (default), rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns.
/// # Without [time], the usual names (@timestamp, timestamp, time, ts,
/// # eventTime, date) are tried with format `auto`.
/// [time]
/// field = "ts"
/// format = "epoch_ms"
///
/// # normalized name = raw dotted name. Quote the normalized name (or write
/// # it unquoted: nested keys are joined with dots, so `source.ip = "src"`
/// # works too). Values are converted by the target's name: `*.ip` to an
/// # address; `*.port`, `*.bytes`, `*.packets`, `file.size`,
/// # `event.severity`, `event.duration`, `http.response.status_code`,
/// # `network.iana_number`, `db.response.returned_rows`, `dns.id` and
/// # `network.vlan.id` to an integer; other `*.id` to an integer when the
/// # value is a plain number without leading zeros; `event.start` and
/// # `event.end` to a time; anything else is copied as it is. A value that
/// # cannot be converted rejects the record. An inline table chooses the
/// # conversion: same, ip, int, lower or time.
/// [fields]
/// "source.ip" = "client.addr"
/// "source.port" = "client.port"
/// "user.name" = "actor.login"
/// "event.action" = { from = "op", convert = "lower" }
///
/// # Constants added to every event. event.dataset and event.module replace
/// # the defaults (`json`).
/// [set]
/// "event.dataset" = "myapp.access"
/// "event.module" = "myapp"
/// ```
///
/// Every target must be a registered normalized name (`phiwatch.format` is
/// reserved). [`FieldMapping::parse`] reports every problem it finds, each
/// with its line and column, in one [`MappingError`].
///
/// ```
/// use phiwatch_decode::FieldMapping;
/// let m = FieldMapping::parse("[fields]\n\"source.ip\" = \"src\"\n[set]\n\"event.dataset\" = \"app\"\n").unwrap();
/// assert_eq!(m.dataset(), Some("app"));
/// let err = FieldMapping::parse("[fields]\n\"no.such\" = \"x\"\n[time]\nformat = \"weekly\"\n").unwrap_err();
/// assert_eq!(err.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FieldMapping {
    pub(super) time_field: Option<String>,
    pub(super) time_format: TimeFormat,
    pub(super) fields: Vec<FieldRule>,
    pub(super) set: Vec<(Key, SetValue)>,
}

/// One `[fields]` entry.
#[derive(Debug, Clone)]
pub(super) struct FieldRule {
    pub(super) target: Key,
    pub(super) source: String,
    pub(super) conv: MapConv,
}

/// How a mapped value is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MapConv {
    Same,
    Ip,
    Int,
    /// An integer when the value is a plain number, else as it is.
    IntIfNumeric,
    Lower,
    Time,
}

impl MapConv {
    pub(super) fn from_name(n: &str) -> Option<MapConv> {
        Some(match n {
            "same" => MapConv::Same,
            "ip" => MapConv::Ip,
            "int" => MapConv::Int,
            "lower" => MapConv::Lower,
            "time" => MapConv::Time,
            _ => return None,
        })
    }

    /// The default conversion for a target name.
    pub(super) fn for_target(name: &str) -> MapConv {
        const INT_TARGETS: &[&str] = &[
            "file.size",
            "event.severity",
            "event.duration",
            "http.response.status_code",
            "network.iana_number",
            "db.response.returned_rows",
            "dns.id",
            "network.vlan.id",
        ];
        if name.ends_with(".ip") {
            MapConv::Ip
        } else if name.ends_with(".port")
            || name.ends_with(".bytes")
            || name.ends_with(".packets")
            || INT_TARGETS.contains(&name)
        {
            MapConv::Int
        } else if name.ends_with(".id") {
            MapConv::IntIfNumeric
        } else if name == "event.start" || name == "event.end" {
            MapConv::Time
        } else {
            MapConv::Same
        }
    }
}

/// A `[set]` constant.
#[derive(Debug, Clone)]
pub(super) enum SetValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Ip(IpAddr),
}

impl FieldMapping {
    /// Reads a mapping from TOML text (see the type's documentation for the
    /// format). Reports every problem at once.
    pub fn parse(toml_text: &str) -> Result<FieldMapping, MappingError> {
        builder::build(toml_text)
    }

    /// The raw name of the time field, when the mapping names one.
    pub fn time_field(&self) -> Option<&str> {
        self.time_field.as_deref()
    }

    /// How the time field is written.
    pub fn time_format(&self) -> TimeFormat {
        self.time_format
    }

    /// The `[fields]` entries: (normalized target, raw source name).
    pub fn fields(&self) -> impl Iterator<Item = (Key, &str)> + '_ {
        self.fields.iter().map(|r| (r.target, r.source.as_str()))
    }

    /// The `event.dataset` set by the mapping, if any.
    pub fn dataset(&self) -> Option<&str> {
        self.set_str(keys::EVENT_DATASET)
    }

    /// The `event.module` set by the mapping, if any.
    pub fn module(&self) -> Option<&str> {
        self.set_str(keys::EVENT_MODULE)
    }

    fn set_str(&self, k: Key) -> Option<&str> {
        self.set.iter().find_map(|(key, v)| match v {
            SetValue::Str(s) if *key == k => Some(s.as_str()),
            _ => None,
        })
    }

    pub(super) fn sets(&self, k: Key) -> bool {
        self.set.iter().any(|(key, _)| *key == k)
    }

    pub(super) fn maps_to(&self, k: Key) -> bool {
        self.fields.iter().any(|r| r.target == k) || self.sets(k)
    }
}

/// An invalid mapping file: every problem found, in file order, each with
/// its 1-based line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct MappingError {
    problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    line: usize,
    column: usize,
    message: String,
}

impl MappingError {
    /// The problems: (line, column, message), lines and columns 1-based.
    pub fn problems(&self) -> impl Iterator<Item = (usize, usize, &str)> + '_ {
        self.problems
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.problems.len()
    }

    /// Whether there are none (never, for an error returned by
    /// [`FieldMapping::parse`]).
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Puts the problems in file order.
    pub(super) fn sort(&mut self) {
        self.problems.sort_by_key(|p| (p.line, p.column));
    }

    /// Adds a problem at byte offset `at` of `text`.
    pub(super) fn push(&mut self, text: &str, at: usize, message: String) {
        let (line, column) = line_col(text, at);
        self.problems.push(Problem {
            line,
            column,
            message,
        });
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "invalid field mapping ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  line {}, column {}: {}", p.line, p.column, p.message)?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 1), (1, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
