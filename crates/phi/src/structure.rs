//! Structure-aware scanning: plain text line by line, URL query strings
//! (percent-decoded, per parameter), CSV/TSV cells with their column
//! headers, and JSON/NDJSON values with their key paths. Every finding's
//! offsets point at the original bytes of the document, whatever decoding
//! (percent-encoding, CSV quotes, JSON escapes) stood between.
//!
//! ```
//! use phiwatch_phi::{scan_document, Layout, ScanConfig, Scanner};
//!
//! let scanner = Scanner::new(ScanConfig::default());
//! let mut found = Vec::new();
//! scan_document(&scanner, b"name,ssn\nAda,219-45-6781\n", Layout::Auto, &mut found);
//! for f in &found {
//!     assert!(f.start < f.end && f.end <= 25);
//! }
//! ```

mod csv;
mod json;
mod query;

use crate::scan::{Match, Scanner};
use crate::types::PhiType;

/// How a document is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Detect from the content (see [`detect_layout`]).
    Auto,
    /// Plain text, scanned line by line (URL query strings per parameter).
    Text,
    /// Delimited values with a header row; the delimiter byte (`,` or `\t`).
    Csv(u8),
    /// One JSON document.
    Json,
    /// One JSON document per line.
    Ndjson,
}

/// One identifier found in a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Byte offset of the first byte in the document.
    pub start: usize,
    /// Byte offset after the last byte in the document (exclusive).
    pub end: usize,
    /// Line of `start`, 1-based.
    pub line: u64,
    /// The type.
    pub ty: PhiType,
    /// Confidence, 0–1.
    pub score: f32,
    /// The name the value was found under (column header, JSON key path,
    /// query parameter), when known.
    pub key: Option<String>,
}

/// Guesses the layout of `bytes`: a first non-blank `{` or `[` is JSON (one
/// document if it parses whole, else NDJSON); a Zeek TSV log (`#separator`
/// first) is TSV with its `#fields` as the header; a first line with at
/// least two tabs or commas, repeated in the same number on the next lines,
/// is TSV/CSV; anything else is text.
pub fn detect_layout(bytes: &[u8]) -> Layout {
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
    match first.map(|i| bytes[i]) {
        Some(b'{') | Some(b'[') => {
            if json::parses_whole(bytes) {
                Layout::Json
            } else {
                Layout::Ndjson
            }
        }
        _ if csv::is_zeek(bytes) => Layout::Csv(b'\t'),
        _ => match csv::sniff(bytes) {
            Some(d) => Layout::Csv(d),
            None => Layout::Text,
        },
    }
}

/// Scans a whole document laid out as `layout`, appending what it finds to
/// `out` in order of `start` (one finding per span and type: a value found
/// both in its line and as a query parameter is reported once, with its key).
pub fn scan_document(scanner: &Scanner, bytes: &[u8], layout: Layout, out: &mut Vec<Found>) {
    scan_with(scanner, bytes, layout, out);
}

/// What finds identifiers in one text: the [`Scanner`], or a stand-in in
/// tests.
pub(crate) trait Detect {
    /// Appends the identifiers in `text` (found under `key`) to `out`.
    fn detect(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>);
}

impl Detect for Scanner {
    fn detect(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>) {
        self.scan(text, key, out);
    }
}

/// [`scan_document`] with any detector.
pub(crate) fn scan_with(scanner: &dyn Detect, bytes: &[u8], layout: Layout, out: &mut Vec<Found>) {
    let from = out.len();
    let layout = match layout {
        Layout::Auto => detect_layout(bytes),
        l => l,
    };
    let mut ctx = Ctx::new(scanner, bytes, out);
    match layout {
        Layout::Auto | Layout::Text => scan_text(&mut ctx, bytes, 0),
        Layout::Csv(d) => csv::scan(&mut ctx, bytes, d),
        Layout::Json => {
            if !json::scan_one(&mut ctx, bytes, 0) {
                // Not JSON after all: what was found so far is dropped and
                // the document is read as text.
                ctx.out.truncate(from);
                scan_text(&mut ctx, bytes, 0);
            }
        }
        Layout::Ndjson => json::scan_lines(&mut ctx, bytes),
    }
    finish(out, from);
}

/// Sorts the findings appended since `from` and merges duplicates (same
/// span and type): the best score and a key win (the smallest, when two
/// keys found the same value). In place: a document's findings may be many.
fn finish(out: &mut Vec<Found>, from: usize) {
    let Some(tail) = out.get_mut(from..) else {
        return;
    };
    tail.sort_unstable_by(|a, b| {
        (a.start, a.end, a.ty)
            .cmp(&(b.start, b.end, b.ty))
            .then_with(|| match (&a.key, &b.key) {
                (Some(x), Some(y)) => x.cmp(y),
                (x, y) => y.is_some().cmp(&x.is_some()),
            })
    });
    let mut kept = 0;
    for r in 1..tail.len() {
        let same = (tail[kept].start, tail[kept].end, tail[kept].ty)
            == (tail[r].start, tail[r].end, tail[r].ty);
        if same {
            let (score, key) = (tail[r].score, tail[r].key.take());
            let k = &mut tail[kept];
            k.score = k.score.max(score);
            if k.key.is_none() {
                k.key = key;
            }
        } else {
            kept += 1;
            tail.swap(kept, r);
        }
    }
    if !tail.is_empty() {
        out.truncate(from + kept + 1);
    }
}

/// Plain text: all of it in one pass, then the query strings in it. The
/// same as line by line (no shape spans a line break, a line break is a
/// boundary like the text's ends, and context windows stop at line breaks),
/// without a scanner call per line.
fn scan_text(ctx: &mut Ctx<'_, '_>, bytes: &[u8], base: usize) {
    ctx.scan(bytes, Origin::At(base), None);
}

/// Where the bytes being scanned sit in the document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'m> {
    /// Byte `i` of the scanned text is byte `base + i` of the document.
    At(usize),
    /// Byte `i` of the scanned (decoded) text came from document bytes
    /// `map[i]..map[i + 1]`; `map` has one entry more than the text.
    Mapped(&'m [usize]),
}

impl Origin<'_> {
    /// The origin of the text from its offset `k` on.
    pub(crate) fn shifted(&self, k: usize) -> Origin<'_> {
        match self {
            Origin::At(base) => Origin::At(base + k),
            Origin::Mapped(map) => Origin::Mapped(map.get(k..).unwrap_or_default()),
        }
    }

    /// The document offset of text offset `i` (`i` ≤ text length).
    pub(crate) fn at(&self, i: usize) -> usize {
        match self {
            Origin::At(base) => base + i,
            Origin::Mapped(map) => map.get(i).or(map.last()).copied().unwrap_or(0),
        }
    }
}

/// Byte offsets of line starts, to number the lines of findings.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> LineIndex {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', bytes).collect(),
        }
    }

    /// The 1-based line of byte `offset`.
    fn line_of(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|&n| n < offset) as u64 + 1
    }
}

/// The scanning state shared by every layout.
pub(crate) struct Ctx<'s, 'o> {
    scanner: &'s dyn Detect,
    lines: LineIndex,
    out: &'o mut Vec<Found>,
    matches: Vec<Match>,
}

impl<'s, 'o> Ctx<'s, 'o> {
    fn new(scanner: &'s dyn Detect, doc: &[u8], out: &'o mut Vec<Found>) -> Self {
        Ctx {
            scanner,
            lines: LineIndex::new(doc),
            out,
            matches: Vec::new(),
        }
    }

    /// Scans `text` (found at `origin`) under `key`, then the URL query
    /// strings in it, each parameter under its name.
    pub(crate) fn scan(&mut self, text: &[u8], origin: Origin<'_>, key: Option<&str>) {
        self.scan_plain(text, origin, key);
        if memchr::memchr(b'?', text).is_some() {
            query::scan(self, text, origin);
        }
    }

    /// Scans `text` without looking for query strings. Invalid UTF-8 splits
    /// the text: each valid run is scanned on its own.
    pub(crate) fn scan_plain(&mut self, text: &[u8], origin: Origin<'_>, key: Option<&str>) {
        let mut pos = 0;
        while pos < text.len() {
            let (valid, skip) = match std::str::from_utf8(&text[pos..]) {
                Ok(s) => (s.len(), 0),
                Err(e) => (
                    e.valid_up_to(),
                    e.error_len().unwrap_or(text.len() - pos - e.valid_up_to()),
                ),
            };
            if let Ok(s) = std::str::from_utf8(&text[pos..pos + valid]) {
                if !s.is_empty() {
                    self.scan_str(s, pos, origin, key);
                }
            }
            pos += valid + skip.max(usize::from(valid == 0));
        }
    }

    fn scan_str(&mut self, s: &str, at: usize, origin: Origin<'_>, key: Option<&str>) {
        self.matches.clear();
        self.scanner.detect(s, key, &mut self.matches);
        for m in &self.matches {
            let start = origin.at(at + m.start);
            let end = origin.at(at + m.end).max(start);
            self.out.push(Found {
                start,
                end,
                line: self.lines.line_of(start),
                ty: m.ty,
                score: m.score,
                key: key.map(str::to_owned),
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
