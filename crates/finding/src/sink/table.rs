//! `table`: aligned columns for people, and a counts line.

use std::io::Write;

use super::{entity_text, Counts, FindingSink};
use crate::finding::Finding;

/// Rows held before column widths are fixed and printed.
const BATCH: usize = 256;

/// Column titles and the widest a cell may be (longer text is cut with `…`).
/// The last column (summary) is not padded.
const COLUMNS: [(&str, usize); 7] = [
    ("TIME", 20),
    ("LEVEL", 13),
    ("DETECTOR", 11),
    ("RULE", 48),
    ("ENTITY", 48),
    ("EVIDENCE", 40),
    ("SUMMARY", 120),
];

/// A human table: time (UTC, seconds), level, detector, rule title, entity,
/// evidence (count and first source), summary.
///
/// Rows are buffered in batches of 256 so that each batch's columns are only
/// as wide as its widest cell (capped per column); the header is printed
/// once. [`finish`](FindingSink::finish) prints the rest and the line
/// `N findings (critical C, high H, medium M, low L, informational I)`.
/// Control characters in cells (terminal escapes from log data) are shown as
/// spaces; nothing beyond the finding's own fields is printed.
#[derive(Debug)]
pub struct TableSink<W: Write> {
    out: W,
    rows: Vec<[String; 7]>,
    header_done: bool,
    counts: Counts,
}

impl<W: Write> TableSink<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        TableSink {
            out,
            rows: Vec::new(),
            header_done: false,
            counts: Counts::default(),
        }
    }

    /// The totals so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn flush_rows(&mut self) -> std::io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut widths = COLUMNS.map(|(title, _)| title.chars().count());
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        if !self.header_done {
            self.header_done = true;
            let header = COLUMNS.map(|(title, _)| title.to_owned());
            write_line(&mut self.out, &header, &widths)?;
        }
        for row in std::mem::take(&mut self.rows) {
            write_line(&mut self.out, &row, &widths)?;
        }
        Ok(())
    }
}

fn write_line<W: Write>(
    out: &mut W,
    cells: &[String; 7],
    widths: &[usize; 7],
) -> std::io::Result<()> {
    let mut line = String::with_capacity(256);
    for (i, (cell, &w)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            line.push_str(cell);
        } else {
            line.push_str(cell);
            let pad = w.saturating_sub(cell.chars().count()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// Control characters to spaces, then cut to `max` characters with `…`.
fn cell(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `2026-11-28T19:06:08Z`: RFC 3339 to the second.
fn short_time(f: &Finding) -> String {
    let full = f.time.to_rfc3339();
    match full.split_once('.') {
        Some((secs, _)) => format!("{secs}Z"),
        None => full,
    }
}

fn row(f: &Finding) -> [String; 7] {
    let evidence = match f.evidence.first() {
        None => "-".to_owned(),
        Some(e) => format!("{} {}", f.evidence.len(), e.source),
    };
    let texts = [
        short_time(f),
        f.rule.level.to_string(),
        f.detector.to_string(),
        f.rule.title.clone(),
        entity_text(f),
        evidence,
        f.summary.clone(),
    ];
    let mut i = 0;
    texts.map(|t| {
        let max = COLUMNS[i].1;
        i += 1;
        cell(&t, max)
    })
}

impl<W: Write> FindingSink for TableSink<W> {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        self.counts.add(f);
        self.rows.push(row(f));
        if self.rows.len() >= BATCH {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.flush_rows()?;
        writeln!(self.out, "{}", self.counts)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_cleaned_and_cut() {
        assert_eq!(cell("a\x1b[31mb\nc", 20), "a [31mb c");
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abcd", 4), "abcd");
    }
}
