//! How a JSON lines record's time is written: [`TimeFormat`], the names a
//! mapping file gives the formats, and reading a time in each of them
//! (RFC 3339 text, or epoch seconds, milliseconds, microseconds or
//! nanoseconds, exactly, whether written as numbers or as text).

use phiwatch_event::{Timestamp, ValueRef};

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

    /// What a time in this format looks like, for error messages.
    pub(super) fn expected(self) -> &'static str {
        match self {
            TimeFormat::Auto => "an RFC 3339 time or epoch number",
            TimeFormat::Rfc3339 => "an RFC 3339 time",
            TimeFormat::EpochSeconds => "epoch seconds",
            TimeFormat::EpochMillis => "epoch milliseconds",
            TimeFormat::EpochMicros => "epoch microseconds",
            TimeFormat::EpochNanos => "epoch nanoseconds",
        }
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
}
