//! Event values seen as text, numbers, times and addresses, without
//! allocating on the common paths.

use std::fmt::Write as _;
use std::net::IpAddr;

use phiwatch_event::{Timestamp, ValueRef};

/// A small stack buffer for the text of a number or an address.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Calls `f` with the text form of a scalar value (the form
/// [`ValueRef`]'s `Display` gives; times in RFC 3339). `None` for null and
/// lists.
pub(crate) fn with_text<R>(v: ValueRef<'_>, f: impl FnOnce(&str) -> R) -> Option<R> {
    let mut st = match v {
        ValueRef::Str(s) => return Some(f(s)),
        ValueRef::Bool(b) => return Some(f(if b { "true" } else { "false" })),
        ValueRef::Null | ValueRef::List(_) => return None,
        ValueRef::Time(t) => return Some(f(&t.to_rfc3339())),
        _ => StackText {
            buf: [0; 64],
            len: 0,
        },
    };
    let written = match v {
        ValueRef::Int(i) => write!(st, "{i}"),
        ValueRef::Float(x) => write!(st, "{x}"),
        ValueRef::Ip(ip) => write!(st, "{ip}"),
        _ => Ok(()),
    };
    match written {
        Ok(()) => Some(f(std::str::from_utf8(&st.buf[..st.len]).unwrap_or(""))),
        // Longer than the buffer (a huge float): rare, so allocate.
        Err(_) => Some(f(&v.to_string())),
    }
}

/// Parses a decimal (or `0x` hexadecimal) number from event text.
pub(crate) fn parse_num(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    match b.first()? {
        b'0'..=b'9' | b'-' | b'+' | b'.' => {}
        _ => return None,
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|i| i as f64);
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The value as a number, if numeric (or numeric text).
pub(crate) fn num_of(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Int(i) => Some(i as f64),
        ValueRef::Float(f) => Some(f),
        ValueRef::Str(s) => parse_num(s),
        _ => None,
    }
}

/// Whether the value equals the integer `n` (exactly for integers).
pub(crate) fn int_eq(v: ValueRef<'_>, n: i64) -> bool {
    match v {
        ValueRef::Int(i) => i == n,
        ValueRef::Float(f) => f == n as f64,
        ValueRef::Str(s) => match s.parse::<i64>() {
            Ok(i) => i == n,
            Err(_) => parse_num(s) == Some(n as f64),
        },
        _ => false,
    }
}

/// Whether the value is the boolean `b` (a boolean, or `true`/`false` text
/// in any case).
pub(crate) fn bool_eq(v: ValueRef<'_>, b: bool) -> bool {
    match v {
        ValueRef::Bool(x) => x == b,
        ValueRef::Str(s) => s.eq_ignore_ascii_case(if b { "true" } else { "false" }),
        _ => false,
    }
}

/// A numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cmp {
    /// `==`
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Cmp {
    pub(crate) fn holds(self, x: f64, y: f64) -> bool {
        match self {
            Cmp::Eq => x == y,
            Cmp::Gt => x > y,
            Cmp::Gte => x >= y,
            Cmp::Lt => x < y,
            Cmp::Lte => x <= y,
        }
    }
}

/// A part of a date, for the time modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    /// Day of the month, 1–31.
    Day,
    /// ISO 8601 week number, 1–53.
    Week,
    Month,
    Year,
}

/// The value as a time: a time, text `Timestamp::parse_any` reads, or
/// epoch seconds (milliseconds above 10^11).
pub(crate) fn time_of(v: ValueRef<'_>) -> Option<Timestamp> {
    match v {
        ValueRef::Time(t) => Some(t),
        ValueRef::Str(s) => Timestamp::parse_any(s.trim().as_bytes()),
        ValueRef::Int(i) if i.unsigned_abs() > 100_000_000_000 => Timestamp::from_millis(i),
        ValueRef::Int(i) => Timestamp::from_secs(i),
        ValueRef::Float(f) if f.is_finite() && f.abs() < 9.0e9 => {
            Some(Timestamp::from_nanos((f * 1e9) as i64))
        }
        _ => None,
    }
}

/// The part of `t` (in UTC).
pub(crate) fn time_part(t: Timestamp, part: TimePart) -> i64 {
    let c = t.civil();
    match part {
        TimePart::Minute => i64::from(c.minute),
        TimePart::Hour => i64::from(c.hour),
        TimePart::Day => i64::from(c.day),
        TimePart::Month => i64::from(c.month),
        TimePart::Year => c.year,
        TimePart::Week => i64::from(c.iso_week()),
    }
}

/// An IPv4 or IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Net {
    v4: bool,
    bits: u128,
    mask: u128,
}

impl Net {
    /// Parses `addr/len` (or a bare address, a single host). Host bits are
    /// ignored, as most engines do.
    pub(crate) fn parse(s: &str) -> Result<Net, String> {
        let bad = || format!("cidr: '{s}' is not a network");
        let (addr, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s.trim(), None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| bad())?;
        let (v4, bits, width) = match ip {
            IpAddr::V4(a) => (true, u128::from(u32::from(a)), 32u32),
            IpAddr::V6(a) => (false, u128::from(a), 128),
        };
        let len = match len {
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|&l| l <= width)
                .ok_or_else(bad)?,
            None => width,
        };
        let mask = if len == 0 {
            0
        } else {
            (u128::MAX << (width - len)) & (u128::MAX >> (128 - width))
        };
        Ok(Net {
            v4,
            bits: bits & mask,
            mask,
        })
    }

    /// Whether `ip` is in the network (IPv4-mapped IPv6 addresses count as
    /// their IPv4 address).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let bits = match (self.v4, ip) {
            (true, IpAddr::V4(a)) => u128::from(u32::from(a)),
            (true, IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(m) => u128::from(u32::from(m)),
                None => return false,
            },
            (false, IpAddr::V6(a)) => u128::from(a),
            (false, IpAddr::V4(a)) => u128::from(a.to_ipv6_mapped()),
        };
        bits & self.mask == self.bits
    }
}
