//! PostgreSQL times: `log_time` with its zone abbreviation or offset, and
//! the zone table behind it.

use phiwatch_event::Timestamp;

use crate::{DecodeError, ErrorKind};

/// Offsets (seconds east of UTC) of the zone abbreviations PostgreSQL
/// writes for common `log_timezone`s (its `Default` abbreviation set).
const ZONES: &[(&str, i64)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("MET", 3600),
    ("MEST", 7200),
    ("EET", 7200),
    ("EEST", 10800),
    ("MSK", 10800),
    ("SAST", 7200),
    ("EST", -18000),
    ("EDT", -14400),
    ("CST", -21600),
    ("CDT", -18000),
    ("MST", -25200),
    ("MDT", -21600),
    ("PST", -28800),
    ("PDT", -25200),
    ("AKST", -32400),
    ("AKDT", -28800),
    ("HST", -36000),
    ("AST", -14400),
    ("ADT", -10800),
    ("NST", -12600),
    ("NDT", -9000),
    ("JST", 32400),
    ("KST", 32400),
    ("HKT", 28800),
    ("AWST", 28800),
    ("ACST", 34200),
    ("ACDT", 37800),
    ("AEST", 36000),
    ("AEDT", 39600),
    ("NZST", 43200),
    ("NZDT", 46800),
    ("WIB", 25200),
    ("PKT", 18000),
];

/// Seconds east of UTC of a zone as PostgreSQL writes it: an abbreviation
/// or a numeric offset (`+03`, `-0330`, `+05:30`).
fn zone_offset(tz: &str) -> Option<i64> {
    if let Some(&(_, off)) = ZONES.iter().find(|(n, _)| *n == tz) {
        return Some(off);
    }
    let (sign, digits) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    (h <= 15 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// A `%m` / `%t` / csvlog time: `YYYY-MM-DD HH:MM:SS[.fff] ZONE`.
pub(super) fn pg_time(s: &str) -> Option<Timestamp> {
    let (dt, tz) = s.rsplit_once(' ')?;
    if dt.len() < 19 {
        return None;
    }
    let t = Timestamp::parse_rfc3339(dt.as_bytes())?;
    let off = zone_offset(tz)?;
    t.as_nanos()
        .checked_sub(off.checked_mul(1_000_000_000)?)
        .map(Timestamp::from_nanos)
}

pub(super) fn time_error(field: &str) -> DecodeError {
    DecodeError::new(
        ErrorKind::Time,
        format!("field `{field}`: expected a PostgreSQL time (`YYYY-MM-DD HH:MM:SS[.fff] ZONE` with a known zone)"),
    )
}
