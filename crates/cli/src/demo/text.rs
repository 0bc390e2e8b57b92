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

/// Items joined by `, ` in lines of at most `width` characters, the lines
/// after the first indented by `indent` spaces.
pub(super) fn wrap_list<S: AsRef<str>>(items: &[S], indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0usize;
    for (i, item) in items.iter().enumerate() {
        let item = item.as_ref();
        let n = item.chars().count();
        if i > 0 {
            out.push(',');
            line += 1;
            if line + 1 + n > width {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                line = 0;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push_str(item);
        line += n;
    }
    out
}

/// A duration in seconds as hours or minutes, for spans.
pub(super) fn span_text(secs: f64) -> String {
    if secs >= 3_600.0 {
        format!("{:.1} h", secs / 3_600.0)
    } else if secs >= 60.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{secs:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(bytes_text(2_500_000_000), "2.50 GB");
        assert_eq!(bytes_text(999), "999 B");
        assert_eq!(span_text(75_600.0), "21.0 h");
        assert_eq!(span_text(90.0), "2 min");
        assert_eq!(plural(1), "");
        assert_eq!(plural(2), "s");
        assert_eq!(day_text(1_793_577_600), "2026-11-02");
    }

    #[test]
    fn lists_wrap_at_the_width() {
        let items = ["aaaa", "bbbb", "cccc", "dd"];
        assert_eq!(wrap_list(&items, 2, 100), "aaaa, bbbb, cccc, dd");
        assert_eq!(wrap_list(&items, 2, 12), "aaaa, bbbb,\n  cccc, dd");
        assert_eq!(wrap_list::<&str>(&[], 2, 12), "");
    }
}
