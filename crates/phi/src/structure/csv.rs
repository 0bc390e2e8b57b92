//! CSV and TSV: the first row is the header; each cell is scanned under its
//! column's name (the header's own cells without a key). Quoted cells (`"a,b"`, doubled quotes, line breaks inside
//! quotes) and CRLF line ends are handled. Zeek's TSV logs (a `#separator`
//! line first) take their column names from the `#fields` line; their
//! other `#` lines (`#path`, `#open`, `#close`, …) are metadata, not data.

use super::{Ctx, Origin};

/// The delimiter of a CSV/TSV document, if its first line has at least two
/// tabs (or commas, semicolons, pipes) outside quotes, the next lines as
/// many, and cells that can be column names.
pub(super) fn sniff(bytes: &[u8]) -> Option<u8> {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(5);
    let first = lines.next()?;
    let rest: Vec<&[u8]> = lines.collect();
    [b'\t', b',', b';', b'|'].into_iter().find(|&d| {
        let n = count_outside_quotes(first, d);
        n >= 2
            && rest.iter().all(|l| count_outside_quotes(l, d) == n)
            && first.split(|&b| b == d).all(header_like)
    })
}

/// Whether `bytes` is a Zeek TSV log (its first line `#separator \x09`).
pub(super) fn is_zeek(bytes: &[u8]) -> bool {
    bytes.starts_with(b"#separator ")
}

/// Whether a cell of the first line can be a column name: short, and not a
/// phrase (a log line with two commas in it is not a header).
fn header_like(cell: &[u8]) -> bool {
    cell.len() <= 64 && cell.iter().filter(|&&b| b == b' ').count() <= 4
}

fn count_outside_quotes(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

/// One cell: the bytes between its delimiters (inside its quotes).
struct Cell {
    start: usize,
    end: usize,
    /// Quoted with doubled quotes inside: the text must be unescaped.
    escaped: bool,
}

/// Reads the cell at `pos`: the cell, where the next one starts, and whether
/// it ended its record.
fn next_cell(bytes: &[u8], pos: usize, d: u8) -> (Cell, usize, bool) {
    if bytes.get(pos) == Some(&b'"') {
        let start = pos + 1;
        let mut i = start;
        let mut escaped = false;
        let end = loop {
            match memchr::memchr(b'"', &bytes[i.min(bytes.len())..]) {
                None => break bytes.len(),
                Some(n) if bytes.get(i + n + 1) == Some(&b'"') => {
                    escaped = true;
                    i += n + 2;
                }
                Some(n) => break i + n,
            }
        };
        let after = (end + 1).min(bytes.len());
        let stop = memchr::memchr2(d, b'\n', &bytes[after..]).map_or(bytes.len(), |n| after + n);
        let trailing = bytes[after..stop].iter().any(|&b| b != b'\r');
        let cell = if trailing {
            // Text after the closing quote: malformed, so the cell is read
            // raw, quotes and all (nothing in it goes unscanned).
            Cell {
                start: pos,
                end: stop,
                escaped: false,
            }
        } else {
            Cell {
                start,
                end,
                escaped,
            }
        };
        return (cell, stop + 1, bytes.get(stop) != Some(&d));
    }
    let stop = memchr::memchr2(d, b'\n', &bytes[pos..]).map_or(bytes.len(), |n| pos + n);
    let mut end = stop;
    if end > pos && bytes[end - 1] == b'\r' && bytes.get(stop) != Some(&d) {
        end -= 1;
    }
    let cell = Cell {
        start: pos,
        end,
        escaped: false,
    };
    (cell, stop + 1, bytes.get(stop) != Some(&d))
}

/// The text of a quoted cell with doubled quotes undone, and its map to
/// document offsets.
fn unescape(bytes: &[u8], cell: &Cell) -> (Vec<u8>, Vec<usize>) {
    let raw = &bytes[cell.start..cell.end];
    let mut text = Vec::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < raw.len() {
        map.push(cell.start + i);
        text.push(raw[i]);
        i += if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') {
            2
        } else {
            1
        };
    }
    map.push(cell.end);
    (text, map)
}

/// Scans a CSV/TSV document delimited by `d`.
pub(super) fn scan(ctx: &mut Ctx<'_, '_>, bytes: &[u8], d: u8) {
    let mut headers: Option<Vec<String>> = None;
    let mut row: Vec<Cell> = Vec::new();
    let mut pos = 0;
    let zeek = is_zeek(bytes);
    while pos < bytes.len() {
        if zeek && row.is_empty() && bytes[pos] == b'#' {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |n| pos + n);
            let line = &bytes[pos..end];
            if let Some(fields) = line
                .strip_prefix(b"#fields")
                .and_then(|f| f.strip_prefix(&[d]))
            {
                let text = String::from_utf8_lossy(fields);
                headers = Some(
                    text.trim_end()
                        .split(d as char)
                        .map(str::to_owned)
                        .collect(),
                );
            }
            pos = end + 1;
            continue;
        }
        let (cell, next, last) = next_cell(bytes, pos, d);
        row.push(cell);
        pos = next;
        if !last && pos < bytes.len() {
            continue;
        }
        match &headers {
            None => {
                // The header is scanned too: a file without one has data in
                // its first row.
                for c in &row {
                    scan_cell(ctx, bytes, c, None);
                }
                headers = Some(row.iter().map(|c| cell_text(bytes, c)).collect());
            }
            Some(names) => {
                for (i, c) in row.iter().enumerate() {
                    let key = names.get(i).map(String::as_str).filter(|k| !k.is_empty());
                    scan_cell(ctx, bytes, c, key);
                }
            }
        }
        row.clear();
    }
}

fn scan_cell(ctx: &mut Ctx<'_, '_>, bytes: &[u8], c: &Cell, key: Option<&str>) {
    if c.start >= c.end {
        return;
    }
    if c.escaped {
        let (text, map) = unescape(bytes, c);
        ctx.scan(&text, Origin::Mapped(&map), key);
    } else {
        ctx.scan(&bytes[c.start..c.end], Origin::At(c.start), key);
    }
}

/// A header cell as text (lossy, trimmed).
fn cell_text(bytes: &[u8], c: &Cell) -> String {
    let raw = if c.escaped {
        unescape(bytes, c).0
    } else {
        bytes[c.start.min(c.end)..c.end].to_vec()
    };
    String::from_utf8_lossy(&raw).trim().to_owned()
}

/// The cells of each record as text, for tests.
#[cfg(test)]
pub(super) fn records(bytes: &[u8], d: u8) -> Vec<Vec<(String, usize, usize)>> {
    let mut out = vec![Vec::new()];
    let mut pos = 0;
    while pos < bytes.len() {
        let (cell, next, last) = next_cell(bytes, pos, d);
        let text = cell_text(bytes, &cell);
        if let Some(r) = out.last_mut() {
            r.push((text, cell.start, cell.end));
        }
        pos = next;
        if last && pos < bytes.len() {
            out.push(Vec::new());
        }
    }
    out
}
