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
    let secs = t.as_secs();
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    match part {
        TimePart::Minute => sod / 60 % 60,
        TimePart::Hour => sod / 3600,
        TimePart::Day => i64::from(d),
        TimePart::Month => i64::from(m),
        TimePart::Year => y,
        TimePart::Week => iso_week(days, y),
    }
}

fn iso_week(days: i64, y: i64) -> i64 {
    // 1970-01-01 was a Thursday; ISO weekdays run Monday = 1 .. Sunday = 7.
    let wd = (days + 3).rem_euclid(7) + 1;
    let doy = days - days_from_civil(y, 1, 1) + 1;
    let w = (doy - wd + 10) / 7;
    if w < 1 {
        weeks_in_year(y - 1)
    } else if w > weeks_in_year(y) {
        1
    } else {
        w
    }
}

fn weeks_in_year(y: i64) -> i64 {
    let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if p(y) == 4 || p(y - 1) == 3 {
        53
    } else {
        52
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
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
