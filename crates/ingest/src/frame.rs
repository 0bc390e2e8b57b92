//! Bytes to records: decompression by magic bytes, line framing with a size
//! cap, and JSON document framing.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::stats::Compression;

/// Counts bytes read from the underlying file (compressed), for progress.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps `raw` in a decompressor chosen by its first bytes (gzip, one or
/// more members; zstd, one or more frames; anything else passes through).
/// The first bytes are read whole even from a pipe that gives them one by
/// one, and put back in front.
///
/// # Errors
///
/// Reading the first bytes failed, or the zstd decoder could not start.
pub fn decompress(
    mut raw: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < magic.len() {
        match raw.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = io::Cursor::new(magic[..n].to_vec());
    let joined: Box<dyn Read + Send> = Box::new(head.chain(raw));
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => (
            Box::new(flate2::read::MultiGzDecoder::new(joined)),
            Compression::Gzip,
        ),
        [0x28, 0xb5, 0x2f, 0xfd] => (
            Box::new(zstd::stream::read::Decoder::new(joined)?),
            Compression::Zstd,
        ),
        _ => (joined, Compression::None),
    })
}

/// One framed line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// A line (without `\n` or `\r\n`), with its 1-based number and offset.
    Text(&'a [u8], u64, u64),
    /// A line longer than the cap; its bytes were skipped, not stored.
    TooLong(u64, u64, u64),
}

/// Splits a stream into lines with bounded memory: a line longer than
/// `max_line` is skipped (and reported), never buffered whole.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    line_no: u64,
    /// Stream offset of `buf[start]`.
    offset: u64,
    max_line: usize,
}

const INITIAL_BUF: usize = 256 * 1024;

impl<R: Read> LineReader<R> {
    pub(crate) fn new(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; INITIAL_BUF.min(max_line.max(1024) + 1)],
            start: 0,
            end: 0,
            eof: false,
            line_no: 0,
            offset: 0,
            max_line: max_line.max(1),
        }
    }

    /// Bytes read so far and not yet framed, after trying to have `want`.
    pub(crate) fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        while self.end - self.start < want && !self.eof {
            if self.end == self.buf.len() {
                if self.buf.len() >= want.max(self.max_line) {
                    break;
                }
                let new_len = (self.buf.len() * 2).min(want.max(self.max_line) + 1);
                self.buf.resize(new_len, 0);
            }
            self.read_more()?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Decompressed bytes consumed so far.
    pub(crate) fn position(&self) -> u64 {
        self.offset
    }

    fn read_more(&mut self) -> io::Result<()> {
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Everything not yet framed, to the end of the stream, up to `max`
    /// bytes (for binary sources that are not line-based).
    pub(crate) fn read_rest(&mut self, max: usize) -> io::Result<Vec<u8>> {
        let too_large = || {
            io::Error::other(format!(
                "larger than the {max} byte limit (--max-document-bytes)"
            ))
        };
        let mut out = self.buf[self.start..self.end].to_vec();
        self.start = self.end;
        if out.len() > max {
            return Err(too_large());
        }
        let mut chunk = vec![0u8; 256 * 1024];
        while !self.eof {
            match self.inner.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    if out.len() + n > max {
                        return Err(too_large());
                    }
                    out.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.offset += out.len() as u64;
        Ok(out)
    }

    /// Bytes held after a read error (an incomplete last line).
    pub(crate) fn pending(&self) -> usize {
        self.end - self.start
    }

    /// The next line, `None` at the end of the stream.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = memchr::memchr(b'\n', window) {
                let line_end = self.start + scanned + pos;
                return Ok(Some(self.take(line_end, line_end + 1)));
            }
            scanned = self.end - self.start;
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let end = self.end;
                return Ok(Some(self.take(end, end)));
            }
            if self.start > 0 && self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                if self.buf.len() > self.max_line {
                    return self.skip_long_line().map(Some);
                }
                let new_len = (self.buf.len() * 2).min(self.max_line + 1);
                self.buf.resize(new_len, 0);
            }
            self.read_more()?;
        }
    }

    fn take(&mut self, line_end: usize, next: usize) -> Line<'_> {
        self.line_no += 1;
        let offset = self.offset;
        let start = self.start;
        self.offset += (next - start) as u64;
        self.start = next;
        let mut line = &self.buf[start..line_end];
        if next > line_end {
            // A CRLF terminator: the `\r` is part of it, not of the line.
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
        }
        if line.len() > self.max_line {
            return Line::TooLong(self.line_no, offset, line.len() as u64);
        }
        Line::Text(line, self.line_no, offset)
    }

    /// Discards the rest of an over-long line.
    fn skip_long_line(&mut self) -> io::Result<Line<'static>> {
        self.line_no += 1;
        let line_no = self.line_no;
        let offset = self.offset;
        let mut len = (self.end - self.start) as u64;
        self.start = 0;
        self.end = 0;
        loop {
            self.read_more()?;
            if self.eof && self.end == 0 {
                break;
            }
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[..self.end]) {
                len += pos as u64;
                self.start = pos + 1;
                break;
            }
            len += self.end as u64;
            self.end = 0;
            if self.eof {
                break;
            }
        }
        self.offset += len + u64::from(self.start > 0);
        if self.buf.len() > INITIAL_BUF {
            // Give back the memory the long line made us grow.
            let rest = self.buf[self.start..self.end].to_vec();
            self.buf = vec![0; INITIAL_BUF.max(rest.len())];
            self.buf[..rest.len()].copy_from_slice(&rest);
            self.start = 0;
            self.end = rest.len();
        }
        Ok(Line::TooLong(line_no, offset, len))
    }
}

/// One record of a JSON document stream.
#[derive(Debug)]
pub(crate) struct DocRecord {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) line: u64,
}

/// Cuts a JSON text into records: each top-level object, each element of a
/// top-level array, each element of a CloudTrail `Records` array. Returns
/// the records and, if the text is malformed, the line and reason where
/// reading stopped.
pub(crate) fn split_documents(text: &str) -> (Vec<DocRecord>, Option<(u64, String)>) {
    use serde_json::value::RawValue;
    let mut out = Vec::new();
    let base = text.as_ptr() as usize;
    let mut lines = LineCounter::default();
    let push = |out: &mut Vec<DocRecord>, raw: &RawValue, lines: &mut LineCounter| {
        let s = raw.get();
        let start = s.as_ptr() as usize - base;
        out.push(DocRecord {
            start,
            end: start + s.len(),
            line: lines.line_at(text, start),
        });
    };
    let stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    for item in stream {
        let raw = match item {
            Ok(raw) => raw,
            Err(e) => {
                let line = e.line() as u64;
                return (
                    out,
                    Some((line, phiwatch_decode::json::json_error(e).reason)),
                );
            }
        };
        let s = raw.get();
        if s.starts_with('[') {
            match serde_json::from_str::<Vec<&RawValue>>(s) {
                Ok(items) => items.iter().for_each(|r| push(&mut out, r, &mut lines)),
                Err(e) => return (out, Some((e.line() as u64, e.to_string()))),
            }
        } else if s.starts_with('{') {
            /// Containers whose elements are the records: a CloudTrail
            /// `Records` file, a FHIR Bundle's entry resources, a Microsoft
            /// Graph page's `value` (Entra sign-ins).
            #[derive(serde::Deserialize)]
            struct Envelope<'a> {
                #[serde(borrow, rename = "Records")]
                records: Option<Vec<&'a RawValue>>,
                #[serde(borrow, rename = "resourceType")]
                resource_type: Option<&'a str>,
                #[serde(borrow)]
                entry: Option<Vec<Entry<'a>>>,
                #[serde(borrow, rename = "@odata.context")]
                odata_context: Option<&'a str>,
                #[serde(borrow)]
                value: Option<Vec<&'a RawValue>>,
            }
            #[derive(serde::Deserialize)]
            struct Entry<'a> {
                #[serde(borrow)]
                resource: Option<&'a RawValue>,
            }
            match serde_json::from_str::<Envelope<'_>>(s) {
                Ok(Envelope {
                    records: Some(items),
                    ..
                }) => items.iter().for_each(|r| push(&mut out, r, &mut lines)),
                Ok(Envelope {
                    resource_type: Some("Bundle"),
                    entry: Some(entries),
                    ..
                }) => entries
                    .iter()
                    .filter_map(|e| e.resource)
                    .for_each(|r| push(&mut out, r, &mut lines)),
                Ok(Envelope {
                    odata_context: Some(_),
                    value: Some(items),
                    ..
                }) => items.iter().for_each(|r| push(&mut out, r, &mut lines)),
                _ => push(&mut out, raw, &mut lines),
            }
        } else {
            push(&mut out, raw, &mut lines);
        }
    }
    (out, None)
}

#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: u64,
}

impl LineCounter {
    /// 1-based line of byte `at`; calls must not go backwards.
    fn line_at(&mut self, text: &str, at: usize) -> u64 {
        if at >= self.pos {
            self.line += memchr::memchr_iter(b'\n', &text.as_bytes()[self.pos..at]).count() as u64;
            self.pos = at;
        }
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(match l {
                Line::Text(b, n, off) => format!("{n}@{off}:{}", String::from_utf8_lossy(b)),
                Line::TooLong(n, off, len) => format!("{n}@{off}:too long {len}"),
            });
        }
        out
    }

    #[test]
    fn frames_lines_with_offsets() {
        assert_eq!(
            lines(b"a\r\nbb\n\nccc", 100),
            ["1@0:a", "2@3:bb", "3@6:", "4@7:ccc"]
        );
        assert_eq!(lines(b"", 100), Vec::<String>::new());
        assert_eq!(lines(b"x\n", 100), ["1@0:x"]);
    }

    #[test]
    fn long_lines_are_skipped_not_buffered() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 3 * INITIAL_BUF));
        input.extend(b"\nafter\n");
        let got = lines(&input, 1000);
        assert_eq!(got[0], "1@0:ok");
        assert_eq!(got[1], format!("2@3:too long {}", 3 * INITIAL_BUF));
        assert_eq!(got[2], format!("3@{}:after", 3 + 3 * INITIAL_BUF + 1));
        assert_eq!(got.len(), 3);
        // A long last line without a newline.
        let mut tail = b"ok\n".to_vec();
        tail.extend(std::iter::repeat_n(b'y', 2000));
        assert_eq!(lines(&tail, 1000), ["1@0:ok", "2@3:too long 2000"]);
    }

    #[test]
    fn lines_across_buffer_growth() {
        let long = "z".repeat(INITIAL_BUF + 10);
        let input = format!("{long}\nend");
        let got = lines(input.as_bytes(), 10 * INITIAL_BUF);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], format!("2@{}:end", INITIAL_BUF + 11));
    }

    #[test]
    fn documents_are_split() {
        let text = "{\n \"Records\": [\n  {\"a\":1},\n  {\"a\":2}\n ]\n}\n[{\"b\":1}, {\"b\":2}]\n{\"c\":3}";
        let (recs, err) = split_documents(text);
        assert!(err.is_none());
        let got: Vec<(&str, u64)> = recs
            .iter()
            .map(|r| (&text[r.start..r.end], r.line))
            .collect();
        assert_eq!(
            got,
            [
                ("{\"a\":1}", 3),
                ("{\"a\":2}", 4),
                ("{\"b\":1}", 7),
                ("{\"b\":2}", 7),
                ("{\"c\":3}", 8)
            ]
        );
        let bundle = "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"AuditEvent\",\"id\":\"1\"}},{\"fullUrl\":\"x\"},{\"resource\":{\"id\":\"2\"}}]}";
        let (recs, err) = split_documents(bundle);
        assert!(err.is_none());
        let got: Vec<&str> = recs.iter().map(|r| &bundle[r.start..r.end]).collect();
        assert_eq!(
            got,
            [
                "{\"resourceType\":\"AuditEvent\",\"id\":\"1\"}",
                "{\"id\":\"2\"}"
            ]
        );
        let page = "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}]}";
        let (recs, _) = split_documents(page);
        assert_eq!(recs.len(), 2);
        let (recs, err) = split_documents("{\"a\":1}\n{\"b\":");
        assert_eq!(recs.len(), 1);
        assert_eq!(err.unwrap().0, 2);
    }

    proptest::proptest! {
        /// Framing accounts for every byte: text lines, skipped long lines and
        /// their terminators add up to the input, and offsets are exact.
        #[test]
        fn framing_accounts_for_every_byte(
            input in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\n', b'\r', b'{', 0xff]), 0..3000),
            max in 1usize..300,
        ) {
            let mut r = LineReader::new(&input[..], max);
            let mut covered = 0u64;
            while let Some(l) = r.next_line().unwrap() {
                let (off, len) = match l {
                    Line::Text(b, _, off) => (off, b.len() as u64),
                    Line::TooLong(_, off, len) => (off, len),
                };
                proptest::prop_assert_eq!(off, covered);
                let mut end = (off + len) as usize;
                if input.get(end) == Some(&b'\r') && input.get(end + 1) == Some(&b'\n') {
                    end += 1;
                }
                if input.get(end) == Some(&b'\n') {
                    end += 1;
                }
                covered = end as u64;
            }
            proptest::prop_assert_eq!(covered, input.len() as u64);
        }

        #[test]
        fn document_splitting_never_panics(text in "[\\[\\]{}\",:a-z0-9 \n]{0,200}") {
            let (recs, _) = split_documents(&text);
            for r in recs {
                proptest::prop_assert!(r.start <= r.end && r.end <= text.len());
            }
        }
    }
}
