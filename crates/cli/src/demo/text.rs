//! Short human figures for `phiwatch demo`'s messages and table: seconds,
//! bytes, dates, times and paths under the output directory.

use std::path::{Path, PathBuf};

use phiwatch_event::Timestamp;

/// Seconds as a short human figure.
pub(super) fn secs_text(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Bytes as a short human figure (decimal units).
pub(super) fn bytes_text(b: u64) -> String {
    let f = b as f64;
    if b < 1_000 {
        format!("{b} B")
    } else if b < 1_000_000 {
        format!("{:.1} kB", f / 1e3)
    } else if b < 1_000_000_000 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}

/// A report path as a path to print: relative paths are under `out`.
pub(super) fn under(out: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || p.starts_with(out) {
        p.to_path_buf()
    } else {
        out.join(p)
    }
}

/// `YYYY-MM-DD` of a day given in epoch seconds.
pub(super) fn day_text(secs: i64) -> String {
    Timestamp::from_secs(secs)
        .map_or_else(|| secs.to_string(), |t| t.to_rfc3339()[..10].to_string())
}

/// The plural suffix of a count: `s` unless it is one.
pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A time to the second, for the table.
pub(super) fn second_text(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    match s.find('.') {
        Some(i) => format!("{}Z", &s[..i]),
        None => s,
    }
}
