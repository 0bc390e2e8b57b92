//! Reading intel files: STIX 2.1 bundles (through [`crate::stix`]), MISP
//! event JSON ([`misp`]), Zeek intel files ([`zeek`]) and CSV or plain lists
//! ([`list`]). [`load_file`] tells the format by content; [`load_all`] loads
//! many files and merges indicators that look for the same observables.
//!
//! Every item read ends up counted in the [`LoadReport`]: loaded, merged,
//! expired, not for detection, or a [`Problem`] with its location. Nothing
//! is dropped silently.
//!
//! ```
//! use phiwatch_event::Timestamp;
//! use phiwatch_intel::{import, LoadReport};
//!
//! let mut report = LoadReport::default();
//! let text = "# vendor list\nevil[.]example\n10.0.0.0/8\n";
//! let found = import::load_text(text, "vendor.txt", Timestamp::EPOCH, &mut report);
//! assert_eq!(found.len(), 2);
//! assert_eq!(report.read, 2);
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use phiwatch_event::Timestamp;
use serde_json::Value;

use crate::model::{Indicator, LoadReport, Observable, Problem};

pub mod list;
pub mod misp;
pub mod zeek;

/// The format of an intel file, as [`detect_format`] tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A STIX 2.1 bundle or indicator (JSON).
    Stix,
    /// MISP event JSON.
    Misp,
    /// A Zeek intel file (TSV with a `#fields` line naming `indicator`).
    ZeekIntel,
    /// A CSV file or a plain list, one indicator per line.
    List,
    /// JSON that is neither STIX nor MISP, or broken JSON.
    UnknownJson,
}

/// Tells an intel file's format by its content: JSON with STIX markers
/// (`"type": "bundle"`, `objects`, `spec_version`, an indicator) is STIX,
/// JSON with `Event`/`response` (or a bare event) is MISP, a `#separator`
/// line or a `#fields` line naming `indicator` is Zeek intel, anything else
/// a list.
pub fn detect_format(text: &str) -> Format {
    match parse_json(text) {
        Some(Ok(v)) => json_format(&v),
        Some(Err(())) => Format::UnknownJson,
        None if is_zeek_intel(text) => Format::ZeekIntel,
        None => Format::List,
    }
}

/// Loads the indicators of one file's text, whatever its format; `source`
/// names the file in indicators and problems.
pub fn load_text(
    text: &str,
    source: &str,
    now: Timestamp,
    report: &mut LoadReport,
) -> Vec<Indicator> {
    let loaded_before = report.loaded;
    let out = match parse_json(text) {
        Some(Ok(v)) => match json_format(&v) {
            Format::Stix => stix_load(strip_bom(text), source, now, report),
            Format::Misp => misp::load_value(&v, source, report),
            _ => {
                problem(
                    report,
                    source,
                    "file",
                    "JSON that is neither a STIX bundle nor a MISP event",
                );
                Vec::new()
            }
        },
        Some(Err(())) => {
            let reason = match serde_json::from_str::<Value>(strip_bom(text)) {
                Err(e) => format!("invalid JSON: {e}"),
                Ok(_) => "invalid JSON".to_string(),
            };
            problem(report, source, "file", &reason);
            Vec::new()
        }
        None if is_zeek_intel(text) => zeek::load(text, source, report),
        None => list::load(text, source, now, report),
    };
    report.loaded = loaded_before + out.len();
    out
}

/// The STIX loader (written in `crate::stix`).
fn stix_load(text: &str, source: &str, now: Timestamp, report: &mut LoadReport) -> Vec<Indicator> {
    crate::stix::load(text, source, now, report)
}

/// Reads and loads one intel file. A file that cannot be read is a
/// [`Problem`]; one that can is counted in `report.files`. Text that is not
/// UTF-8 is read with replacement characters.
pub fn load_file(path: &Path, now: Timestamp, report: &mut LoadReport) -> Vec<Indicator> {
    let source = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => {
            report.files += 1;
            let text = String::from_utf8_lossy(&bytes);
            load_text(&text, &source, now, report)
        }
        Err(e) => {
            problem(report, &source, "file", &format!("cannot read: {e}"));
            Vec::new()
        }
    }
}

/// Loads every file and merges duplicates (see [`merge_duplicates`]);
/// `report.loaded` is the number of indicators returned.
pub fn load_all(paths: &[PathBuf], now: Timestamp) -> (Vec<Indicator>, LoadReport) {
    let mut report = LoadReport::default();
    let mut all = Vec::new();
    for path in paths {
        all.extend(load_file(path, now, &mut report));
    }
    let merged = merge_duplicates(all, &mut report);
    report.loaded = merged.len();
    (merged, report)
}

/// Merges indicators that look for the same observables (the same set of
/// groups, each the same set) into the first of them: labels, kill-chain
/// phases and techniques are unioned, the validity widened to cover both,
/// the higher confidence kept, a missing description filled. Counts each
/// merged indicator in `report.merged`. Indicators not yet valid are kept:
/// matching checks validity per event.
pub fn merge_duplicates(indicators: Vec<Indicator>, report: &mut LoadReport) -> Vec<Indicator> {
    let mut first: HashMap<Vec<Vec<Observable>>, usize, foldhash::quality::RandomState> =
        HashMap::default();
    let mut out: Vec<Indicator> = Vec::with_capacity(indicators.len());
    for ind in indicators {
        let key = observable_key(&ind);
        match first.get(&key) {
            Some(&i) => {
                if let Some(kept) = out.get_mut(i) {
                    absorb(kept, ind);
                    report.merged += 1;
                }
            }
            None => {
                first.insert(key, out.len());
                out.push(ind);
            }
        }
    }
    out
}

/// The observables of an indicator as a canonical value: each group sorted
/// and deduplicated, the groups sorted and deduplicated.
fn observable_key(ind: &Indicator) -> Vec<Vec<Observable>> {
    let mut groups: Vec<Vec<Observable>> = ind
        .any_of
        .iter()
        .map(|g| {
            let mut g = g.clone();
            g.sort();
            g.dedup();
            g
        })
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// Folds `other` into `kept`.
fn absorb(kept: &mut Indicator, other: Indicator) {
    union_into(&mut kept.labels, other.labels);
    union_into(&mut kept.kill_chain, other.kill_chain);
    union_into(&mut kept.techniques, other.techniques);
    kept.valid_from = match (kept.valid_from, other.valid_from) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    };
    kept.valid_until = match (kept.valid_until, other.valid_until) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    kept.confidence = kept.confidence.max(other.confidence);
    if kept.description.is_none() {
        kept.description = other.description;
    }
    if kept.pattern.is_none() {
        kept.pattern = other.pattern;
    }
}

/// Appends the items of `more` not already in `into`, in order.
fn union_into<T: PartialEq>(into: &mut Vec<T>, more: Vec<T>) {
    for item in more {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Records a problem.
pub(crate) fn problem(report: &mut LoadReport, source: &str, location: &str, reason: &str) {
    report.problems.push(Problem {
        source: source.to_string(),
        location: location.to_string(),
        reason: reason.to_string(),
    });
}

/// The text without a leading byte-order mark.
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// None if the text does not look like JSON; `Some(Err)` if it looks like
/// JSON but does not parse. Text opening with `[` that does not parse is
/// not JSON but a list (`[2001:db8::1]`).
fn parse_json(text: &str) -> Option<Result<Value, ()>> {
    let t = strip_bom(text).trim_start();
    match t.as_bytes().first() {
        Some(b'{') => Some(serde_json::from_str(t).map_err(|_| ())),
        Some(b'[') => serde_json::from_str(t).ok().map(Ok),
        _ => None,
    }
}

/// STIX, MISP or neither, for parsed JSON.
fn json_format(v: &Value) -> Format {
    match v {
        Value::Array(items) => items.first().map_or(Format::UnknownJson, json_format),
        Value::Object(o) => {
            let ty = o.get("type").and_then(Value::as_str);
            if matches!(ty, Some("bundle" | "indicator"))
                || o.contains_key("spec_version")
                || (o.contains_key("objects") && !o.contains_key("Event"))
            {
                Format::Stix
            } else if o.contains_key("Event")
                || o.contains_key("response")
                || o.contains_key("Attribute")
                || o.contains_key("Object")
                || (o.contains_key("info") && o.contains_key("uuid"))
            {
                Format::Misp
            } else {
                Format::UnknownJson
            }
        }
        _ => Format::UnknownJson,
    }
}

/// Whether the header lines (those opening with `#`) make this a Zeek
/// intel file.
fn is_zeek_intel(text: &str) -> bool {
    strip_bom(text)
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .any(|l| {
            l.starts_with("#separator") || (l.starts_with("#fields") && l.contains("indicator"))
        })
}

/// Undoes common defanging: `hxxp://`, `[.]`, `(.)`, `{.}`, `[dot]`,
/// `[:]`, `[@]`, `[at]`.
pub(crate) fn undefang(s: &str) -> String {
    let mut t = s.trim().to_string();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("[:]", ":"),
        ("[://]", "://"),
        ("[@]", "@"),
        ("[at]", "@"),
    ] {
        if t.contains(from) {
            t = t.replace(from, to);
        }
    }
    let lower = t.get(..5).map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some("hxxp:") | Some("hxxps") => format!("http{}", t.get(4..).unwrap_or("")),
        _ => t,
    }
}

/// A time in a list or feed: RFC 3339, `YYYY-MM-DD`, or epoch seconds.
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    let t = s.trim();
    let b = t.as_bytes();
    if b.len() == 10 && b.get(4) == Some(&b'-') {
        return Timestamp::parse_rfc3339(format!("{t}T00:00:00Z").as_bytes());
    }
    Timestamp::parse_any(b)
}

/// A value cut to at most 80 characters for a problem message.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
