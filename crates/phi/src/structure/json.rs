//! JSON and NDJSON: every string value (and every number) is scanned under
//! its key path (`patient.identifier[0].value`). Escaped strings are
//! unescaped for scanning and mapped back to their escapes' bytes.

use super::{scan_text, Ctx, Origin};

/// Nesting deeper than this is not JSON we read (the document falls back to
/// text).
const MAX_DEPTH: usize = 256;

/// A parse failure (the position is not reported: the caller falls back).
struct Invalid;

type Parsed<T> = Result<T, Invalid>;

struct Parser<'b, 'c, 's, 'o> {
    b: &'b [u8],
    /// Document offset of `b[0]`.
    base: usize,
    pos: usize,
    ctx: Option<&'c mut Ctx<'s, 'o>>,
    path: String,
    depth: usize,
}

/// Whether `bytes` is exactly one JSON value (blanks around it allowed).
pub(super) fn parses_whole(bytes: &[u8]) -> bool {
    let mut p = Parser::new(bytes, 0, None);
    p.document().is_ok()
}

/// Scans `bytes` (at document offset `base`) as one JSON document; false
/// (with some findings possibly appended) when it is not one.
pub(super) fn scan_one(ctx: &mut Ctx<'_, '_>, bytes: &[u8], base: usize) -> bool {
    let mut p = Parser::new(bytes, base, Some(ctx));
    p.document().is_ok()
}

/// Scans one JSON document per line; a line that is not JSON is scanned as
/// text.
pub(super) fn scan_lines(ctx: &mut Ctx<'_, '_>, bytes: &[u8]) {
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &bytes[start..end];
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            let before = ctx.out.len();
            if !scan_one(ctx, line, start) {
                ctx.out.truncate(before);
                scan_text(ctx, line, start);
            }
        }
        start = end + 1;
    }
}

impl<'b, 'c, 's, 'o> Parser<'b, 'c, 's, 'o> {
    fn new(b: &'b [u8], base: usize, ctx: Option<&'c mut Ctx<'s, 'o>>) -> Self {
        Parser {
            b,
            base,
            pos: 0,
            ctx,
            path: String::new(),
            depth: 0,
        }
    }

    fn document(&mut self) -> Parsed<()> {
        self.ws();
        self.value()?;
        self.ws();
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn ws(&mut self) {
        while self
            .b
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Parsed<()> {
        self.ws();
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn value(&mut self) -> Parsed<()> {
        self.ws();
        match self.b.get(self.pos) {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => {
                let (start, end, escaped) = self.string()?;
                self.scan_string(start, end, escaped)
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while self
                    .b
                    .get(self.pos)
                    .is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    self.pos += 1;
                }
                self.scan_raw(start, self.pos);
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => Err(Invalid),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Parsed<()>) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Invalid);
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn literal(&mut self, word: &[u8]) -> Parsed<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn object(&mut self) -> Parsed<()> {
        self.pos += 1;
        self.ws();
        if self.b.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.pos) != Some(&b'"') {
                return Err(Invalid);
            }
            let (start, end, escaped) = self.string()?;
            self.eat(b':')?;
            let len = self.path.len();
            if self.ctx.is_some() {
                if !self.path.is_empty() {
                    self.path.push('.');
                }
                let name = if escaped {
                    unescape(&self.b[start..end], 0).map(|(t, _)| t)?
                } else {
                    self.b[start..end].to_vec()
                };
                self.path.push_str(&String::from_utf8_lossy(&name));
            }
            let r = self.value();
            self.path.truncate(len);
            r?;
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn array(&mut self) -> Parsed<()> {
        self.pos += 1;
        self.ws();
        if self.b.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            let len = self.path.len();
            if self.ctx.is_some() {
                self.path.push('[');
                self.path.push_str(&index.to_string());
                self.path.push(']');
            }
            let r = self.value();
            self.path.truncate(len);
            r?;
            index += 1;
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Reads the string at `pos` (an opening quote): the span inside the
    /// quotes and whether it has escapes.
    fn string(&mut self) -> Parsed<(usize, usize, bool)> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.b[i.min(self.b.len())..]) {
                None => return Err(Invalid),
                Some(n) if self.b[i + n] == b'\\' => {
                    escaped = true;
                    i += n + 2;
                }
                Some(n) => {
                    self.pos = i + n + 1;
                    return Ok((start, i + n, escaped));
                }
            }
        }
    }

    fn scan_raw(&mut self, start: usize, end: usize) {
        let (b, base) = (self.b, self.base);
        let key = (!self.path.is_empty()).then_some(self.path.as_str());
        if let Some(ctx) = self.ctx.as_deref_mut() {
            ctx.scan(&b[start..end], Origin::At(base + start), key);
        }
    }

    fn scan_string(&mut self, start: usize, end: usize, escaped: bool) -> Parsed<()> {
        if !escaped {
            self.scan_raw(start, end);
            return Ok(());
        }
        let (text, map) = unescape(&self.b[start..end], self.base + start)?;
        let key = (!self.path.is_empty()).then_some(self.path.as_str());
        if let Some(ctx) = self.ctx.as_deref_mut() {
            ctx.scan(&text, Origin::Mapped(&map), key);
        }
        Ok(())
    }
}

/// Undoes JSON escapes in `raw` (which starts at document offset `at`): the
/// text and, for each of its bytes, the document offset of the escape or
/// byte it came from (one entry more than the text).
fn unescape(raw: &[u8], at: usize) -> Parsed<(Vec<u8>, Vec<usize>)> {
    let mut text = Vec::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            map.push(at + i);
            text.push(raw[i]);
            i += 1;
            continue;
        }
        let (c, len) = match raw.get(i + 1) {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => unicode(raw, i)?,
            _ => return Err(Invalid),
        };
        let mut buf = [0u8; 4];
        for &byte in c.encode_utf8(&mut buf).as_bytes() {
            map.push(at + i);
            text.push(byte);
        }
        i += len;
    }
    map.push(at + raw.len());
    Ok((text, map))
}

/// The character of the `\uXXXX` escape at `i` (a surrogate pair takes two
/// escapes) and the escape's length; a lone surrogate is U+FFFD.
fn unicode(raw: &[u8], i: usize) -> Parsed<(char, usize)> {
    let hex4 = |at: usize| -> Option<u32> {
        let s = std::str::from_utf8(raw.get(at..at + 4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let hi = hex4(i + 2).ok_or(Invalid)?;
    if (0xD800..0xDC00).contains(&hi) && raw.get(i + 6..i + 8) == Some(b"\\u") {
        if let Some(lo) = hex4(i + 8).filter(|lo| (0xDC00..0xE000).contains(lo)) {
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return Ok((char::from_u32(c).unwrap_or('\u{fffd}'), 12));
        }
    }
    Ok((char::from_u32(hi).unwrap_or('\u{fffd}'), 6))
}

#[cfg(test)]
pub(super) fn unescape_for_test(raw: &str) -> Option<(String, Vec<usize>)> {
    let (t, m) = unescape(raw.as_bytes(), 0).ok()?;
    Some((String::from_utf8_lossy(&t).into_owned(), m))
}
