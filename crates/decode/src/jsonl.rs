//! Generic JSON lines: one JSON object per record, any shape, with an
//! optional user-supplied [`FieldMapping`].
//!
//! Without a mapping, an object is flattened into dotted raw names, and its
//! time is the first present of `@timestamp`, `timestamp`, `time`, `ts`,
//! `eventTime` and `date` (RFC 3339 text, or epoch seconds, milliseconds,
//! microseconds or nanoseconds told apart by magnitude). A record without any
//! of them is rejected with [`ErrorKind::Time`]. Fields that the source
//! already names with a normalized (ECS) name, such as `source.ip` in ECS
//! JSON, are kept as [`FieldKind::Both`], typed by their name (`*.ip` as an
//! address, `*.port` as an integer, …) when the value allows it.
//!
//! With a mapping, the mapping's time field and format are used instead, its
//! `[fields]` copy raw fields to normalized names (a value that cannot be
//! converted rejects the record with [`ErrorKind::Value`]), and its `[set]`
//! constants are added to every event.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use phiwatch_event::{keys, Event, FieldKind, Key, Name, Origin, Timestamp, Value, ValueRef};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::{self, Conv};
use crate::{DecodeError, Decoder, ErrorKind};

/// Time fields tried, in order, when no mapping names one.
pub(crate) const DEFAULT_TIME_FIELDS: &[&str] =
    &["@timestamp", "timestamp", "time", "ts", "eventTime", "date"];

// ---------------------------------------------------------------------------
// Checked conversions shared by the JSON decoders (Suricata, CloudTrail,
// JSON lines): like `json::alias`, but a present value of the wrong type is a
// `Value` error naming the field and the expected type, never the value.
// ---------------------------------------------------------------------------

/// What a checked copy expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// An IP address (or a string holding one).
    Ip,
    /// An integer (or a string of digits, or an integral float).
    Int,
    /// A port: an integer in 0..=65535.
    Port,
}

impl Want {
    fn describe(self) -> &'static str {
        match self {
            Want::Ip => "an IP address",
            Want::Int => "an integer",
            Want::Port => "a port number (0-65535)",
        }
    }
}

/// Converts `v` as `want` asks; `None` when it cannot.
pub(crate) fn convert(v: ValueRef<'_>, want: Want) -> Option<Value> {
    match want {
        Want::Ip => v.as_ip().map(Value::Ip),
        Want::Int => v.as_i64().map(Value::Int),
        Want::Port => v
            .as_i64()
            .filter(|p| (0..=65_535).contains(p))
            .map(Value::Int),
    }
}

/// The error for a field whose value is not of the expected type.
pub(crate) fn type_error(field: &str, expected: &str) -> DecodeError {
    DecodeError::new(
        ErrorKind::Value,
        format!("field `{field}`: expected {expected}"),
    )
}

/// Copies raw field `from` to normalized `to`, converted as `want` asks.
/// Absent and null fields are skipped (`Ok(false)`); a value that cannot be
/// converted is a [`ErrorKind::Value`] error naming the field.
pub(crate) fn copy_checked(
    ev: &mut Event,
    from: &str,
    to: Key,
    want: Want,
) -> Result<bool, DecodeError> {
    let v = match ev.get_by_name(from) {
        None | Some(ValueRef::Null) => return Ok(false),
        Some(v) => v,
    };
    match convert(v, want) {
        Some(out) => {
            ev.push_norm(to, out);
            Ok(true)
        }
        None => Err(type_error(from, want.describe())),
    }
}

/// `record` without surrounding ASCII whitespace (a `\r` before the newline,
/// indentation of a framed JSON element).
pub(crate) fn trim_record(record: &[u8]) -> &[u8] {
    record.trim_ascii()
}

/// Flattens `record` into `ev`, reporting invalid UTF-8 as an
/// [`ErrorKind::Encoding`] error rather than a JSON syntax error.
pub(crate) fn flatten_checked(ev: &mut Event, record: &[u8]) -> Result<(), DecodeError> {
    json::flatten_object(ev, record).map_err(|e| match std::str::from_utf8(record) {
        Ok(_) => e,
        Err(u) => DecodeError::new(
            ErrorKind::Encoding,
            format!("invalid UTF-8 at byte {}", u.valid_up_to()),
        ),
    })
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

/// How a mapped time field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// RFC 3339 text, or a number of seconds, milliseconds, microseconds or
    /// nanoseconds since the epoch, told apart by magnitude (below 10^11:
    /// seconds; below 10^14: milliseconds; below 10^17: microseconds).
    #[default]
    Auto,
    /// RFC 3339 / ISO 8601 text (`2020-09-14T01:19:40.5Z`, `±HH:MM`, `±HHMM`).
    Rfc3339,
    /// Seconds since the epoch, possibly fractional (number or text).
    EpochSeconds,
    /// Milliseconds since the epoch.
    EpochMillis,
    /// Microseconds since the epoch.
    EpochMicros,
    /// Nanoseconds since the epoch.
    EpochNanos,
}

impl TimeFormat {
    /// Every format, with its name in a mapping file.
    pub const ALL: &'static [(&'static str, TimeFormat)] = &[
        ("auto", TimeFormat::Auto),
        ("rfc3339", TimeFormat::Rfc3339),
        ("epoch_s", TimeFormat::EpochSeconds),
        ("epoch_ms", TimeFormat::EpochMillis),
        ("epoch_us", TimeFormat::EpochMicros),
        ("epoch_ns", TimeFormat::EpochNanos),
    ];

    /// The format with this mapping-file name.
    pub fn from_name(name: &str) -> Option<TimeFormat> {
        TimeFormat::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// The format's mapping-file name.
    pub fn name(self) -> &'static str {
        TimeFormat::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("auto", |(n, _)| n)
    }

    /// Reads a time written in this format; `None` when it is not one.
    pub fn parse(self, v: ValueRef<'_>) -> Option<Timestamp> {
        if let ValueRef::Time(t) = v {
            return Some(t);
        }
        let unit = match self {
            TimeFormat::Auto => return parse_auto(v),
            TimeFormat::Rfc3339 => return Timestamp::parse_rfc3339(v.as_str()?.as_bytes()),
            TimeFormat::EpochSeconds => 1_000_000_000,
            TimeFormat::EpochMillis => 1_000_000,
            TimeFormat::EpochMicros => 1_000,
            TimeFormat::EpochNanos => 1,
        };
        parse_number_as(v, unit)
    }
}

/// A JSON number or numeric text as a count of `unit_ns` nanoseconds.
fn parse_number_as(v: ValueRef<'_>, unit_ns: i64) -> Option<Timestamp> {
    match v {
        ValueRef::Int(i) => i.checked_mul(unit_ns).map(Timestamp::from_nanos),
        ValueRef::Float(f) => float_time(f, unit_ns),
        ValueRef::Str(s) => parse_scaled(s.as_bytes(), unit_ns),
        _ => None,
    }
}

fn float_time(f: f64, unit_ns: i64) -> Option<Timestamp> {
    // i64 covers ±9.2e18 ns; stay clear of the edge where `as` saturates.
    if !f.is_finite() || (f * unit_ns as f64).abs() >= 9.0e18 {
        return None;
    }
    // Whole units and the fraction apart: the fraction of a float is exact,
    // so `1709647804.25` s is .250000000, not the nearest multiple of 256 ns.
    let whole = f.trunc();
    let frac = ((f - whole) * unit_ns as f64).round() as i64;
    (whole as i64)
        .checked_mul(unit_ns)?
        .checked_add(frac)
        .map(Timestamp::from_nanos)
}

/// Parses `[-]digits[.digits]` as a count of `unit_ns` nanoseconds, exactly.
fn parse_scaled(s: &[u8], unit_ns: i64) -> Option<Timestamp> {
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (s.get(..i)?, s.get(i + 1..)?),
        None => (s, &s[..0]),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut whole: i64 = 0;
    for &b in int {
        whole = whole.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut total = whole.checked_mul(unit_ns)?;
    let mut scale = unit_ns;
    for &b in frac {
        scale /= 10;
        if scale == 0 {
            break;
        }
        total = total.checked_add(i64::from(b - b'0') * scale)?;
    }
    Some(Timestamp::from_nanos(if neg { -total } else { total }))
}

/// The unit of an epoch number, from its magnitude.
fn unit_by_magnitude(abs: f64) -> i64 {
    if abs < 1e11 {
        1_000_000_000
    } else if abs < 1e14 {
        1_000_000
    } else if abs < 1e17 {
        1_000
    } else {
        1
    }
}

fn parse_auto(v: ValueRef<'_>) -> Option<Timestamp> {
    match v {
        ValueRef::Int(i) => parse_number_as(v, unit_by_magnitude(i.unsigned_abs() as f64)),
        ValueRef::Float(f) => float_time(f, unit_by_magnitude(f.abs())),
        ValueRef::Str(s) => {
            let b = s.as_bytes();
            let digits = b.strip_prefix(b"-").unwrap_or(b);
            let int_len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
            if int_len > 0 && digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
                let int_part = digits.get(..int_len)?;
                let mag: f64 = std::str::from_utf8(int_part).ok()?.parse().ok()?;
                parse_scaled(b, unit_by_magnitude(mag))
            } else {
                Timestamp::parse_rfc3339(b)
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The mapping file
// ---------------------------------------------------------------------------

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
    time_field: Option<String>,
    time_format: TimeFormat,
    fields: Vec<FieldRule>,
    set: Vec<(Key, SetValue)>,
}

/// One `[fields]` entry.
#[derive(Debug, Clone)]
struct FieldRule {
    target: Key,
    source: String,
    conv: MapConv,
}

/// How a mapped value is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MapConv {
    Same,
    Ip,
    Int,
    /// An integer when the value is a plain number, else as it is.
    IntIfNumeric,
    Lower,
    Time,
}

impl MapConv {
    fn from_name(n: &str) -> Option<MapConv> {
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
    fn for_target(name: &str) -> MapConv {
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
enum SetValue {
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
        let root: Node = match toml::from_str(toml_text) {
            Ok(n) => n,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                let mut err = MappingError::default();
                err.push(toml_text, at, e.message().trim().to_string());
                return Err(err);
            }
        };
        let mut b = Builder {
            text: toml_text,
            err: MappingError::default(),
            map: FieldMapping::default(),
        };
        b.root(root);
        if b.err.problems.is_empty() {
            Ok(b.map)
        } else {
            b.err.problems.sort_by_key(|p| (p.line, p.column));
            Err(b.err)
        }
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

    fn sets(&self, k: Key) -> bool {
        self.set.iter().any(|(key, _)| *key == k)
    }

    fn maps_to(&self, k: Key) -> bool {
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

    fn push(&mut self, text: &str, at: usize, message: String) {
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

/// A TOML value and where it starts, when the parser says (values under
/// dotted keys such as `source.ip = "x"` have no position of their own; they
/// are reported at their parent's).
#[derive(Debug)]
struct At {
    pos: Option<usize>,
    node: Node,
}

/// A TOML value.
#[derive(Debug)]
enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array,
    /// Entries: key, the key's position, value.
    Table(Vec<(String, Option<usize>, At)>),
}

impl Node {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Bool(_) => "a boolean",
            Node::Array => "an array",
            Node::Table(_) => "a table",
        }
    }
}

// The `toml` deserializer reports a value's position to a struct with these
// names (the protocol behind `toml::Spanned`). `toml::Spanned` itself fails
// on values that have no position (tables made by dotted keys), so `At`
// speaks the protocol directly and accepts plain values too. Should the
// names ever change, values simply arrive without positions.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];

impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<At, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, AtVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(AtVisitor).map(|at| at.node)
    }
}

struct AtVisitor;

fn plain(node: Node) -> At {
    At { pos: None, node }
}

impl<'de> Visitor<'de> for AtVisitor {
    type Value = At;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<At, E> {
        Ok(plain(Node::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<At, E> {
        Ok(plain(Node::Int(i)))
    }
    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<At, E> {
        i64::try_from(u)
            .map(|i| plain(Node::Int(i)))
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, f: f64) -> Result<At, E> {
        Ok(plain(Node::Float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<At, E> {
        Ok(plain(Node::Str(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<At, E> {
        Ok(plain(Node::Str(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<At, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(plain(Node::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<At, A::Error> {
        let Some(first) = map.next_key::<At>()? else {
            return Ok(plain(Node::Table(Vec::new())));
        };
        if matches!(&first.node, Node::Str(k) if k == SPANNED_START) {
            // The positioned form: start, end, then the value itself.
            let start: usize = map.next_value()?;
            let mut node = None;
            while let Some(k) = map.next_key::<String>()? {
                if k == SPANNED_VALUE {
                    node = Some(map.next_value::<Node>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            let node = node.ok_or_else(|| serde::de::Error::missing_field("value"))?;
            return Ok(At {
                pos: Some(start),
                node,
            });
        }
        let mut entries = Vec::new();
        let mut key = Some(first);
        while let Some(k) = key {
            let v = map.next_value::<At>()?;
            let name = match k.node {
                Node::Str(s) => s,
                _ => return Err(serde::de::Error::custom("expected a string key")),
            };
            entries.push((name, k.pos, v));
            key = map.next_key::<At>()?;
        }
        Ok(plain(Node::Table(entries)))
    }
}

struct Builder<'a> {
    text: &'a str,
    err: MappingError,
    map: FieldMapping,
}

impl Builder<'_> {
    fn problem(&mut self, at: usize, message: String) {
        self.err.push(self.text, at, message);
    }

    fn root(&mut self, root: Node) {
        let Node::Table(sections) = root else {
            self.problem(0, "expected a TOML table".to_string());
            return;
        };
        let mut fields = None;
        let mut set = None;
        for (name, key_at, v) in sections {
            let at = v.pos.or(key_at).unwrap_or(0);
            let key_at = key_at.unwrap_or(at);
            match (name.as_str(), v.node) {
                ("time", Node::Table(t)) => self.time(at, t),
                ("fields", Node::Table(t)) => fields = Some((at, t)),
                ("set", Node::Table(t)) => set = Some((at, t)),
                (s @ ("time" | "fields" | "set"), other) => self.problem(
                    at,
                    format!("`{s}` must be a table, not {}", other.type_name()),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown section `{other}` (expected `time`, `fields` or `set`)"),
                ),
            }
        }
        // [set] first, so that [fields] can report targets set twice.
        if let Some((at, t)) = set {
            let mut flat = Vec::new();
            flatten_targets("", at, t, &mut flat, false);
            for (name, key_at, at, value) in flat {
                self.set_entry(name, key_at, at, value);
            }
        }
        if let Some((at, t)) = fields {
            let mut flat = Vec::new();
            flatten_targets("", at, t, &mut flat, true);
            for (name, key_at, at, value) in flat {
                self.field_entry(name, key_at, at, value);
            }
        }
    }

    fn time(&mut self, section_at: usize, entries: Vec<(String, Option<usize>, At)>) {
        for (k, key_at, v) in entries {
            let at = v.pos.unwrap_or(section_at);
            let key_at = key_at.unwrap_or(at);
            match (k.as_str(), v.node) {
                ("field", Node::Str(s)) if !s.is_empty() => self.map.time_field = Some(s),
                ("field", Node::Str(_)) => {
                    self.problem(at, "`time.field` must not be empty".to_string())
                }
                ("format", Node::Str(s)) => match TimeFormat::from_name(&s) {
                    Some(f) => self.map.time_format = f,
                    None => self.problem(
                        at,
                        format!(
                            "unknown time format `{s}` (expected one of: {})",
                            TimeFormat::ALL
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                },
                (name @ ("field" | "format"), other) => self.problem(
                    at,
                    format!("`time.{name}` must be a string, not {}", other.type_name()),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown key `{other}` in [time] (expected `field` or `format`)"),
                ),
            }
        }
    }

    /// Checks a target name; the key when valid.
    fn target(&mut self, n: &str, at: usize, section: &str) -> Option<Key> {
        match Key::lookup(n) {
            Some(k) if k == keys::PHIWATCH_FORMAT => {
                self.problem(at, format!("[{section}] `{n}` is set by phiwatch itself"));
                None
            }
            Some(k) if k.is_normalized() => Some(k),
            _ => {
                self.problem(
                    at,
                    format!("[{section}] `{n}` is not a normalized field name"),
                );
                None
            }
        }
    }

    fn field_entry(&mut self, name: String, key_at: usize, at: usize, value: Node) {
        let target = self.target(&name, key_at, "fields");
        let default_conv = MapConv::for_target(&name);
        let rule = match value {
            Node::Str(s) if !s.is_empty() => Some((s, default_conv)),
            Node::Str(_) => {
                self.problem(at, "the source field name must not be empty".to_string());
                None
            }
            Node::Table(entries) => self.rule_table(at, entries, default_conv),
            other => {
                self.problem(
                    at,
                    format!(
                        "expected a source field name (a string) or {{ from = \"…\", convert = \"…\" }}, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        };
        let (Some(target), Some((source, conv))) = (target, rule) else {
            return;
        };
        if self.map.sets(target) {
            self.problem(key_at, format!("`{name}` is in both [fields] and [set]"));
            return;
        }
        self.map.fields.push(FieldRule {
            target,
            source,
            conv,
        });
    }

    fn rule_table(
        &mut self,
        at: usize,
        entries: Vec<(String, Option<usize>, At)>,
        default_conv: MapConv,
    ) -> Option<(String, MapConv)> {
        let mut from = None;
        let mut conv = Some(default_conv);
        for (k, key_at, v) in entries {
            let vat = v.pos.unwrap_or(at);
            let key_at = key_at.unwrap_or(vat);
            match (k.as_str(), v.node) {
                ("from", Node::Str(s)) if !s.is_empty() => from = Some(s),
                ("convert", Node::Str(s)) => {
                    conv = MapConv::from_name(&s);
                    if conv.is_none() {
                        self.problem(
                            vat,
                            format!(
                                "unknown conversion `{s}` (expected same, ip, int, lower or time)"
                            ),
                        );
                    }
                }
                (name @ ("from" | "convert"), other) => self.problem(
                    vat,
                    format!(
                        "`{name}` must be a non-empty string, not {}",
                        other.type_name()
                    ),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown key `{other}` (expected `from` or `convert`)"),
                ),
            }
        }
        if from.is_none() {
            self.problem(at, "missing `from` (the source field name)".to_string());
        }
        Some((from?, conv?))
    }

    fn set_entry(&mut self, name: String, key_at: usize, at: usize, value: Node) {
        let target = self.target(&name, key_at, "set");
        let n = name.as_str();
        let v = match (MapConv::for_target(n), value) {
            (MapConv::Ip, Node::Str(s)) => match s.parse() {
                Ok(ip) => Some(SetValue::Ip(ip)),
                Err(_) => {
                    self.problem(at, format!("`{n}` must be an IP address"));
                    None
                }
            },
            (MapConv::Int, Node::Int(i)) => Some(SetValue::Int(i)),
            (MapConv::Int, other) => {
                self.problem(
                    at,
                    format!("`{n}` must be an integer, not {}", other.type_name()),
                );
                None
            }
            (_, Node::Str(s)) => Some(SetValue::Str(s)),
            (_, Node::Int(i)) => Some(SetValue::Int(i)),
            (_, Node::Float(f)) => Some(SetValue::Float(f)),
            (_, Node::Bool(b)) => Some(SetValue::Bool(b)),
            (_, other) => {
                self.problem(
                    at,
                    format!(
                        "`{n}` must be a string, number or boolean, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        };
        if let (Some(k), Some(v)) = (target, v) {
            self.map.set.push((k, v));
        }
    }
}

/// Joins nested tables into dotted target names (`source = { ip = "x" }` is
/// `"source.ip" = "x"`), each with the position of its key and of its
/// value (or its parent's, when the parser has none). In `[fields]`, a
/// table with a `from` or `convert` key is a rule, not a nesting.
fn flatten_targets(
    prefix: &str,
    parent_at: usize,
    entries: Vec<(String, Option<usize>, At)>,
    out: &mut Vec<(String, usize, usize, Node)>,
    rules: bool,
) {
    for (k, key_at, v) in entries {
        let name = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        let at = v.pos.or(key_at).unwrap_or(parent_at);
        let key_at = key_at.unwrap_or(parent_at);
        match v.node {
            Node::Table(t)
                if !(rules && t.iter().any(|(k, _, _)| k == "from" || k == "convert")) =>
            {
                flatten_targets(&name, key_at, t, out, rules);
            }
            node => out.push((name, key_at, at, node)),
        }
    }
}

// ---------------------------------------------------------------------------
// The decoder
// ---------------------------------------------------------------------------

pub(crate) struct JsonLinesDecoder {
    mapping: Option<Arc<FieldMapping>>,
}

impl JsonLinesDecoder {
    pub(crate) fn new(mapping: Option<Arc<FieldMapping>>) -> Self {
        JsonLinesDecoder { mapping }
    }
}

impl Decoder for JsonLinesDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = trim_record(record);
        if record.is_empty() {
            return Ok(None);
        }
        let mapping = self.mapping.as_deref();
        let mut flat = Event::with_capacity(Timestamp::EPOCH, 32, record.len());
        flatten_checked(&mut flat, record)?;
        let mut ev = if flat
            .fields()
            .any(|f| f.key.is_some_and(|k| k.is_normalized()))
        {
            retype(&flat, record.len(), mapping)
        } else {
            flat
        };

        ev.set_time(find_time(&ev, mapping)?);
        ev.set_origin(origin);

        if let Some(m) = mapping {
            for rule in &m.fields {
                apply_rule(&mut ev, rule)?;
            }
            for (k, v) in &m.set {
                let value = match v {
                    SetValue::Str(s) => ev.store_str(s),
                    SetValue::Int(i) => Value::Int(*i),
                    SetValue::Float(f) => Value::Float(*f),
                    SetValue::Bool(b) => Value::Bool(*b),
                    SetValue::Ip(ip) => Value::Ip(*ip),
                };
                ev.push_norm(*k, value);
            }
        }
        if ev.get(keys::EVENT_MODULE).is_none() {
            ev.push_norm(keys::EVENT_MODULE, Value::Static("json"));
        }
        if ev.get(keys::EVENT_DATASET).is_none() {
            ev.push_norm(keys::EVENT_DATASET, Value::Static("json"));
        }
        ev.push_norm(keys::PHIWATCH_FORMAT, Value::Static("json"));
        Ok(Some(ev))
    }
}

/// The record's time: the mapping's field, or the first present default.
fn find_time(ev: &Event, mapping: Option<&FieldMapping>) -> Result<Timestamp, DecodeError> {
    let format = mapping.map_or(TimeFormat::Auto, |m| m.time_format);
    let (name, value) = match mapping.and_then(|m| m.time_field.as_deref()) {
        Some(f) => match ev.get_by_name(f) {
            Some(v) if !v.is_null() => (f, v),
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::Time,
                    format!("missing time field `{f}`"),
                ))
            }
        },
        None => DEFAULT_TIME_FIELDS
            .iter()
            .find_map(|f| ev.get_raw(f).filter(|v| !v.is_null()).map(|v| (*f, v)))
            .ok_or_else(|| {
                DecodeError::new(
                    ErrorKind::Time,
                    "no time field (tried @timestamp, timestamp, time, ts, eventTime, date)",
                )
            })?,
    };
    format.parse(value).ok_or_else(|| {
        let expected = match format {
            TimeFormat::Auto => "an RFC 3339 time or epoch number",
            TimeFormat::Rfc3339 => "an RFC 3339 time",
            TimeFormat::EpochSeconds => "epoch seconds",
            TimeFormat::EpochMillis => "epoch milliseconds",
            TimeFormat::EpochMicros => "epoch microseconds",
            TimeFormat::EpochNanos => "epoch nanoseconds",
        };
        DecodeError::new(
            ErrorKind::Time,
            format!("time field `{name}`: expected {expected}"),
        )
    })
}

fn apply_rule(ev: &mut Event, rule: &FieldRule) -> Result<(), DecodeError> {
    let src = rule.source.as_str();
    let v = match ev.get_by_name(src) {
        None | Some(ValueRef::Null) => return Ok(()),
        Some(v) => v,
    };
    let fail = |expected: &str| {
        DecodeError::new(
            ErrorKind::Value,
            format!(
                "field `{src}` (mapped to {}): expected {expected}",
                rule.target
            ),
        )
    };
    let out = match rule.conv {
        MapConv::Ip => convert(v, Want::Ip).ok_or_else(|| fail("an IP address"))?,
        MapConv::Int => convert(v, Want::Int).ok_or_else(|| fail("an integer"))?,
        MapConv::Time => Value::Time(TimeFormat::Auto.parse(v).ok_or_else(|| fail("a time"))?),
        MapConv::IntIfNumeric if plain_int(v).is_some() => {
            Value::Int(plain_int(v).unwrap_or_default())
        }
        MapConv::IntIfNumeric | MapConv::Same => {
            json::alias(ev, src, rule.target, Conv::Same);
            return Ok(());
        }
        MapConv::Lower => {
            json::alias(ev, src, rule.target, Conv::Lower);
            return Ok(());
        }
    };
    ev.push_norm(rule.target, out);
    Ok(())
}

/// An integer, or a string of digits without a leading zero.
fn plain_int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Int(i) => Some(i),
        ValueRef::Str(s)
            if !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0')) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// Stores a copy of `v` in `ev` (values read from another event, or from
/// `ev` itself, which this re-stores).
fn copy_value(ev: &mut Event, v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Bool(b) => Value::Bool(b),
        ValueRef::Int(i) => Value::Int(i),
        ValueRef::Float(f) => Value::Float(f),
        ValueRef::Ip(ip) => Value::Ip(ip),
        ValueRef::Time(t) => Value::Time(t),
        ValueRef::Str(s) => {
            let s = s.to_string();
            ev.store_str(&s)
        }
        ValueRef::List(l) => {
            let items: Vec<ValueRef<'_>> = l.iter().collect();
            let mut stored = Vec::with_capacity(items.len());
            for it in items {
                stored.push(match it {
                    ValueRef::Str(s) => {
                        let s = s.to_string();
                        ev.store_str(&s)
                    }
                    ValueRef::Bool(b) => Value::Bool(b),
                    ValueRef::Int(i) => Value::Int(i),
                    ValueRef::Float(f) => Value::Float(f),
                    ValueRef::Ip(ip) => Value::Ip(ip),
                    ValueRef::Time(t) => Value::Time(t),
                    ValueRef::Null | ValueRef::List(_) => Value::Null,
                });
            }
            ev.store_list(stored)
        }
    }
}

/// Rebuilds a flattened event so that fields the source named with a
/// normalized name are [`FieldKind::Both`], typed by their name when the
/// value allows it. Targets of the mapping stay raw: the mapping wins.
fn retype(flat: &Event, bytes: usize, mapping: Option<&FieldMapping>) -> Event {
    let mut ev = Event::with_capacity(flat.time(), flat.len() + 8, bytes);
    for f in flat.fields() {
        let both = f
            .key
            .filter(|k| k.is_normalized() && !mapping.is_some_and(|m| m.maps_to(*k)));
        let (name, kind, value) = match both {
            Some(k) => {
                let typed = match MapConv::for_target(k.name()) {
                    MapConv::Ip => convert(f.value, Want::Ip),
                    MapConv::Int => match f.value {
                        ValueRef::Str(_) => convert(f.value, Want::Int),
                        _ => None,
                    },
                    MapConv::Time => match f.value {
                        ValueRef::Str(s) => Timestamp::parse_rfc3339(s.as_bytes()).map(Value::Time),
                        _ => None,
                    },
                    _ => None,
                };
                let v = match typed {
                    Some(v) => v,
                    None => copy_value(&mut ev, f.value),
                };
                (Name::Known(k), FieldKind::Both, v)
            }
            None => {
                let name = match f.key {
                    Some(k) => Name::Known(k),
                    None => ev.name(f.name),
                };
                (name, FieldKind::Raw, copy_value(&mut ev, f.value))
            }
        };
        ev.push(name, kind, value);
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        let t = |f: TimeFormat, v: ValueRef<'_>| f.parse(v).map(|t| t.to_rfc3339());
        let s = "2020-09-13T12:26:40.000000Z";
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Int(1_600_000_000)).as_deref(),
            Some(s)
        );
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Int(1_600_000_000_000)).as_deref(),
            Some(s)
        );
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Int(1_600_000_000_000_000)).as_deref(),
            Some(s)
        );
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Int(1_600_000_000_000_000_000)).as_deref(),
            Some(s)
        );
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Str("1600000000000")).as_deref(),
            Some(s)
        );
        assert_eq!(
            t(TimeFormat::Auto, ValueRef::Str("1600000000.5")).as_deref(),
            Some("2020-09-13T12:26:40.500000Z")
        );
        assert_eq!(
            t(TimeFormat::EpochMillis, ValueRef::Str("1600000000000.5")).as_deref(),
            Some("2020-09-13T12:26:40.000500Z")
        );
        assert_eq!(
            t(TimeFormat::EpochSeconds, ValueRef::Float(1.6e9)).as_deref(),
            Some(s)
        );
        assert_eq!(t(TimeFormat::Rfc3339, ValueRef::Int(1)), None);
        assert!(t(TimeFormat::EpochNanos, ValueRef::Int(i64::MAX)).is_some());
        assert_eq!(t(TimeFormat::EpochSeconds, ValueRef::Int(i64::MAX)), None);
        assert_eq!(t(TimeFormat::Auto, ValueRef::Str("")), None);
        assert_eq!(t(TimeFormat::Auto, ValueRef::Str("-")), None);
        assert_eq!(t(TimeFormat::Auto, ValueRef::Str("1.2.3")), None);
        assert_eq!(t(TimeFormat::Auto, ValueRef::Float(f64::NAN)), None);
        for (n, f) in TimeFormat::ALL {
            assert_eq!(TimeFormat::from_name(n), Some(*f));
            assert_eq!(f.name(), *n);
        }
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 1), (1, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
