//! Zeek ASCII (TSV) logs: the `#separator` … `#types` header, then one record
//! per line.
//!
//! The header is read into a schema once: each column's key, type and
//! normalization rule are resolved when the first record after a header is
//! decoded, never per row. A `#fields` line starts a new schema, so
//! concatenated logs decode. Values are typed by the `#types` line: `time`
//! becomes a timestamp, `count`/`int`/`port` integers, `interval`/`double`
//! floats, `addr` addresses, `bool` booleans, `set[T]`/`vector[T]` lists;
//! a value that does not parse as its type is kept as a string.

use std::net::{IpAddr, Ipv4Addr};

use phiwatch_event::{Event, Key, Name, Origin, Timestamp, Value};

use crate::zeek_common::{self, Dataset, NormState, Rule, TimeProblem};
use crate::{DecodeError, Decoder, ErrorKind};

/// A column's scalar type (the item type of a container).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalar {
    Time,
    Float,
    Int,
    Addr,
    Bool,
    Str,
}

/// A column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ty {
    scalar: Scalar,
    container: bool,
}

impl Ty {
    const STRING: Ty = Ty {
        scalar: Scalar::Str,
        container: false,
    };

    fn parse(t: &[u8]) -> Ty {
        let (container, inner) = match t {
            [b's', b'e', b't', b'[', inner @ .., b']'] => (true, inner),
            [b'v', b'e', b'c', b't', b'o', b'r', b'[', inner @ .., b']'] => (true, inner),
            _ => (false, t),
        };
        let scalar = match inner {
            b"time" => Scalar::Time,
            b"interval" | b"double" => Scalar::Float,
            b"count" | b"int" | b"port" => Scalar::Int,
            b"addr" => Scalar::Addr,
            b"bool" => Scalar::Bool,
            _ => Scalar::Str,
        };
        Ty { scalar, container }
    }
}

/// A column's name: a registered key, or a name that is copied into each event.
#[derive(Clone, Debug)]
enum ColName {
    Key(Key),
    Dyn(Box<str>),
}

#[derive(Clone, Debug)]
struct Column {
    name: ColName,
    ty: Ty,
    rule: Option<Rule>,
}

/// The markers a header declares.
#[derive(Clone, Debug)]
struct Markers {
    set_sep: Vec<u8>,
    empty: Vec<u8>,
    unset: Vec<u8>,
}

impl Default for Markers {
    fn default() -> Self {
        Markers {
            set_sep: b",".to_vec(),
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
        }
    }
}

/// Decodes Zeek TSV logs.
pub(crate) struct ZeekTsvDecoder {
    sep: Vec<u8>,
    markers: Markers,
    path: Option<Box<str>>,
    /// Column names of the current `#fields` line; `None` before any.
    names: Option<Vec<Box<str>>>,
    /// Types of the current `#types` line (as many as names, padded with string).
    types: Vec<Ty>,
    /// The resolved schema; rebuilt after a header line changed something.
    cols: Vec<Column>,
    ts_col: Option<usize>,
    dataset: Dataset,
    /// The unknown path to keep as a raw `_path` field, with its key.
    raw_path: Option<(Key, Box<str>)>,
    dirty: bool,
    scratch: Vec<u8>,
    text: String,
    prev_fields: usize,
}

impl ZeekTsvDecoder {
    pub(crate) fn new() -> Self {
        ZeekTsvDecoder {
            sep: b"\t".to_vec(),
            markers: Markers::default(),
            path: None,
            names: None,
            types: Vec::new(),
            cols: Vec::new(),
            ts_col: None,
            dataset: zeek_common::UNKNOWN,
            raw_path: None,
            dirty: false,
            scratch: Vec::new(),
            text: String::new(),
            prev_fields: 48,
        }
    }

    /// Handles a line starting with `#`: a directive or a comment.
    fn header(&mut self, line: &[u8]) -> Result<Option<Event>, DecodeError> {
        if let Some(rest) = line.strip_prefix(b"#separator") {
            // `#separator` is always followed by one space (or tab) and the
            // escaped separator.
            if let Some((b' ' | b'\t', value)) = rest.split_first() {
                let sep = separator(value, "#separator")?;
                // A new header block: forget the previous log's schema.
                self.sep = sep;
                self.markers = Markers::default();
                self.path = None;
                self.names = None;
                self.types.clear();
                self.dirty = true;
            }
            return Ok(None);
        }
        const DIRECTIVES: [&[u8]; 8] = [
            b"#set_separator",
            b"#empty_field",
            b"#unset_field",
            b"#path",
            b"#open",
            b"#close",
            b"#fields",
            b"#types",
        ];
        let directive = DIRECTIVES.iter().find_map(|d| {
            let rest = line.strip_prefix(*d)?;
            if rest.is_empty() {
                Some((*d, rest))
            } else if let Some(v) = rest.strip_prefix(self.sep.as_slice()) {
                Some((*d, v))
            } else {
                rest.strip_prefix(b" ").map(|v| (*d, v))
            }
        });
        match directive {
            Some((directive, value)) => self.directive(directive, value).map(|()| None),
            // `### BTest …`, or any other comment.
            None => Ok(None),
        }
    }

    /// Applies a header directive other than `#separator`.
    fn directive(&mut self, directive: &[u8], value: &[u8]) -> Result<(), DecodeError> {
        match directive {
            b"#set_separator" => self.markers.set_sep = separator(value, "#set_separator")?,
            b"#empty_field" => self.markers.empty = value.to_vec(),
            b"#unset_field" => self.markers.unset = value.to_vec(),
            b"#path" => {
                let mut v = Vec::new();
                unescape(value, &mut v);
                self.path = Some(String::from_utf8_lossy(&v).into());
            }
            b"#fields" => {
                let names = split(value, &self.sep)
                    .map(|n| String::from_utf8_lossy(n).into())
                    .collect::<Vec<Box<str>>>();
                self.types = vec![Ty::STRING; names.len()];
                self.names = Some(names);
            }
            b"#types" => {
                let types: Vec<Ty> = split(value, &self.sep).map(Ty::parse).collect();
                let n = self.names.as_ref().map_or(0, Vec::len);
                if self.names.is_none() {
                    return Err(DecodeError::new(ErrorKind::Schema, "#types before #fields"));
                }
                if types.len() != n {
                    // Keep what matches; the rest reads as strings.
                    for (slot, t) in self.types.iter_mut().zip(&types) {
                        *slot = *t;
                    }
                    self.dirty = true;
                    return Err(DecodeError::new(
                        ErrorKind::Schema,
                        format!("#types has {} entries but #fields has {n}", types.len()),
                    ));
                }
                self.types = types;
            }
            // #open / #close carry times we do not need.
            _ => return Ok(()),
        }
        self.dirty = true;
        Ok(())
    }

    /// Resolves names, types and rules of the current header.
    fn build_schema(&mut self) {
        self.dirty = false;
        self.cols.clear();
        self.ts_col = None;
        let Some(names) = &self.names else {
            return;
        };
        let known = self
            .path
            .as_deref()
            .and_then(|p| zeek_common::dataset_for_path(p.as_bytes()));
        self.dataset = match (known, &self.path) {
            (Some(d), _) => d,
            (None, Some(_)) => zeek_common::UNKNOWN,
            (None, None) => {
                zeek_common::infer_dataset(|n| names.iter().any(|c| zeek_common::canonical(c) == n))
            }
        };
        self.raw_path = match (known, &self.path, Key::lookup("_path")) {
            (None, Some(p), Some(k)) => Some((k, p.clone())),
            _ => None,
        };
        for (i, name) in names.iter().enumerate() {
            let ty = self.types.get(i).copied().unwrap_or(Ty::STRING);
            if &**name == "ts" && self.ts_col.is_none() {
                self.ts_col = Some(i);
            }
            self.cols.push(Column {
                name: match Key::lookup(name) {
                    Some(k) => ColName::Key(k),
                    None => ColName::Dyn(name.clone()),
                },
                ty,
                rule: zeek_common::rule_for(self.dataset.kind, name),
            });
        }
        if self.ts_col.is_none() {
            // Logs without `ts` (custom streams) are placed by their first
            // time column.
            self.ts_col = self.cols.iter().position(|c| {
                c.ty == Ty {
                    scalar: Scalar::Time,
                    container: false,
                }
            });
        }
    }

    fn record(&mut self, line: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        if self.dirty {
            self.build_schema();
        }
        if self.names.is_none() {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "data line before #fields header",
            ));
        }
        let ZeekTsvDecoder {
            sep,
            markers,
            cols,
            ts_col,
            dataset,
            raw_path,
            scratch,
            text,
            prev_fields,
            ..
        } = self;
        let mut ev = Event::with_capacity(Timestamp::EPOCH, *prev_fields, line.len());
        let mut st = NormState::default();
        let mut time: Result<Timestamp, TimeProblem> = Err(TimeProblem::Missing);
        let mut fields = Fields::new(line, sep);
        for (i, col) in cols.iter().enumerate() {
            let Some(field) = fields.next() else {
                return Err(count_error(cols.len(), i));
            };
            let v = if Some(i) == *ts_col {
                time = parse_ts(field, &markers.unset);
                match time {
                    Ok(t) => Value::Time(t),
                    Err(_) => Value::Null,
                }
            } else {
                decode_value(&mut ev, field, col.ty, markers, scratch)
            };
            match &col.name {
                ColName::Key(k) => ev.push_raw(*k, v),
                ColName::Dyn(n) => {
                    let name: Name = ev.name(n);
                    ev.push_raw(name, v);
                }
            }
            if let Some(rule) = col.rule {
                zeek_common::apply(&mut ev, rule, v, &mut st, text);
            }
        }
        if fields.next().is_some() {
            let actual = cols.len() + 1 + fields.count();
            return Err(count_error(cols.len(), actual));
        }
        let time = time.map_err(zeek_common::time_error)?;
        zeek_common::finish(&mut ev, &mut st);
        if let Some((k, p)) = raw_path {
            let v = ev.store_str(p);
            ev.push_raw(*k, v);
        }
        crate::json::tag(&mut ev, "zeek", dataset.name, "zeek-tsv");
        ev.set_time(time);
        ev.set_origin(origin);
        *prev_fields = ev.len();
        Ok(Some(ev))
    }
}

impl Decoder for ZeekTsvDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let line = record.strip_suffix(b"\r").unwrap_or(record);
        if line.is_empty() {
            return Ok(None);
        }
        if line[0] == b'#' {
            return self.header(line);
        }
        self.record(line, origin)
    }
}

/// An escaped separator from a header line; empty is an error.
fn separator(value: &[u8], directive: &str) -> Result<Vec<u8>, DecodeError> {
    let mut sep = Vec::new();
    unescape(value, &mut sep);
    if sep.is_empty() {
        return Err(DecodeError::new(
            ErrorKind::Schema,
            format!("{directive}: empty separator"),
        ));
    }
    Ok(sep)
}

fn count_error(expected: usize, actual: usize) -> DecodeError {
    DecodeError::new(
        ErrorKind::Schema,
        format!("wrong column count: expected {expected} columns, found {actual}"),
    )
}

/// Splits a line at a separator; single-byte separators use `memchr`.
struct Fields<'a> {
    rest: Option<&'a [u8]>,
    sep: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(line: &'a [u8], sep: &'a [u8]) -> Self {
        Fields {
            rest: Some(line),
            sep,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let found = match self.sep {
            [b] => memchr::memchr(*b, rest),
            sep => memchr::memmem::find(rest, sep),
        };
        match found {
            Some(i) => {
                self.rest = Some(&rest[i + self.sep.len()..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

fn split<'a>(line: &'a [u8], sep: &'a [u8]) -> Fields<'a> {
    Fields::new(line, sep)
}

fn parse_ts(field: &[u8], unset: &[u8]) -> Result<Timestamp, TimeProblem> {
    if field == unset {
        return Err(TimeProblem::Unset);
    }
    match Timestamp::parse_epoch_decimal(field) {
        Some(t) => Ok(t),
        None if zeek_common::is_masked(field) => Err(TimeProblem::Masked),
        None => Err(TimeProblem::Invalid),
    }
}

/// Decodes one field by its column type.
#[inline]
fn decode_value(ev: &mut Event, field: &[u8], ty: Ty, m: &Markers, scratch: &mut Vec<u8>) -> Value {
    if field == m.unset.as_slice() {
        return Value::Null;
    }
    if !ty.container {
        if field == m.empty.as_slice() {
            return ev.store_str("");
        }
        return scalar(ev, field, ty.scalar, scratch);
    }
    let start = ev.begin_list();
    if field != m.empty.as_slice() {
        for item in split(field, &m.set_sep) {
            let v = if item == m.unset.as_slice() {
                Value::Null
            } else {
                scalar(ev, item, ty.scalar, scratch)
            };
            ev.push_item(v);
        }
    }
    ev.end_list(start)
}

#[inline]
fn scalar(ev: &mut Event, b: &[u8], s: Scalar, scratch: &mut Vec<u8>) -> Value {
    let typed = match s {
        Scalar::Str => None,
        Scalar::Int => parse_int(b).map(Value::Int),
        Scalar::Float => parse_float(b).map(Value::Float),
        Scalar::Addr => parse_ip(b).map(Value::Ip),
        Scalar::Time => Timestamp::parse_epoch_decimal(b).map(Value::Time),
        Scalar::Bool => match b {
            b"T" => Some(Value::Bool(true)),
            b"F" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    match typed {
        Some(v) => v,
        None => string(ev, b, scratch),
    }
}

/// Stores a string field, decoding Zeek's `\xNN` and `\\` escapes.
#[inline]
fn string(ev: &mut Event, b: &[u8], scratch: &mut Vec<u8>) -> Value {
    if memchr::memchr(b'\\', b).is_none() {
        return ev.store_bytes(b);
    }
    scratch.clear();
    unescape(b, scratch);
    ev.store_bytes(scratch)
}

/// Decodes `\xNN` and `\\`; any other backslash is kept as it is.
fn unescape(mut b: &[u8], out: &mut Vec<u8>) {
    while let Some(i) = memchr::memchr(b'\\', b) {
        out.extend_from_slice(&b[..i]);
        let rest = &b[i..];
        match rest {
            [b'\\', b'x', h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                out.push(hex(*h) << 4 | hex(*l));
                b = &rest[4..];
            }
            [b'\\', b'\\', ..] => {
                out.push(b'\\');
                b = &rest[2..];
            }
            _ => {
                out.push(b'\\');
                b = &rest[1..];
            }
        }
    }
    out.extend_from_slice(b);
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10) & 0x0f,
    }
}

/// A decimal integer with an optional leading `-`; `None` when out of range.
#[inline]
fn parse_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(d))?;
    }
    Some(if neg { -v } else { v })
}

/// A float. `[-]digits[.digits]` with at most 15 significant digits is
/// computed exactly (one correctly rounded division); anything else goes to
/// the standard parser.
#[inline]
fn parse_float(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (neg, body) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut frac = 0usize;
    let mut dot = false;
    let mut simple = !body.is_empty() && body.len() <= 16;
    if simple {
        for &c in body {
            if c == b'.' && !dot {
                dot = true;
                continue;
            }
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                simple = false;
                break;
            }
            mantissa = mantissa * 10 + u64::from(d);
            digits += 1;
            if dot {
                frac += 1;
            }
        }
    }
    if simple && digits > 0 && digits <= 15 {
        let v = mantissa as f64 / POW10[frac];
        return Some(if neg { -v } else { v });
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// An address: a fast path for dotted IPv4, the standard parser otherwise.
#[inline]
fn parse_ip(b: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(b) {
        return Some(IpAddr::V4(v4));
    }
    if b.contains(&b':') {
        return std::str::from_utf8(b).ok()?.parse().ok();
    }
    None
}

#[inline]
fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0usize;
    let mut acc: u16 = 0;
    let mut len = 0usize;
    for &c in b {
        if c == b'.' {
            if len == 0 || n == 3 {
                return None;
            }
            octets[n] = u8::try_from(acc).ok()?;
            n += 1;
            acc = 0;
            len = 0;
        } else {
            let d = c.wrapping_sub(b'0');
            // No leading zeros, as the standard parser.
            if d > 9 || len == 3 || (len == 1 && acc == 0) {
                return None;
            }
            acc = acc * 10 + u16::from(d);
            len += 1;
        }
    }
    if n != 3 || len == 0 {
        return None;
    }
    octets[3] = u8::try_from(acc).ok()?;
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_fast_path_matches_std() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.04",
            "10.0.0.1a",
            "1000.1.1.1",
        ] {
            assert_eq!(parse_ipv4(s.as_bytes()), s.parse().ok(), "{s}");
        }
    }

    #[test]
    fn floats_match_std() {
        for s in [
            "0.000435",
            "1.5",
            "-3.25",
            "3600.000000",
            "0",
            "123456789012345",
            "0.1",
            "100.0",
            "1e5",
            "inf",
            "1.",
            ".5",
            "",
            "-",
            "1.2.3",
            "9999999999999999",
            "38.055625",
        ] {
            let std: Option<f64> = s.parse().ok();
            assert_eq!(parse_float(s.as_bytes()), std, "{s}");
        }
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int(b"0"), Some(0));
        assert_eq!(parse_int(b"-42"), Some(-42));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"18446744073709551615"), None);
        assert_eq!(parse_int(b"1a"), None);
        assert_eq!(parse_int(b"-"), None);
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        unescape(br"a\x09b\\c\xffd\q\x4", &mut out);
        assert_eq!(out, b"a\tb\\c\xffd\\q\\x4");
    }

    #[test]
    fn types() {
        assert_eq!(
            Ty::parse(b"set[addr]"),
            Ty {
                scalar: Scalar::Addr,
                container: true
            }
        );
        assert_eq!(
            Ty::parse(b"vector[interval]"),
            Ty {
                scalar: Scalar::Float,
                container: true
            }
        );
        assert_eq!(
            Ty::parse(b"port"),
            Ty {
                scalar: Scalar::Int,
                container: false
            }
        );
        assert_eq!(Ty::parse(b"table[string]"), Ty::STRING);
    }
}
