//! Time forms of syslog headers and of CEF / LEEF device times: BSD
//! `Mmm dd hh:mm:ss`, ArcSight `MMM dd [yyyy] HH:mm:ss[.SSS][ zzz]`, epoch
//! numbers, RFC 3339, and the subset of Java `SimpleDateFormat` patterns that
//! LEEF `devTimeFormat` uses in practice.

use phiwatch_event::Timestamp;

/// The month (1–12) of a 3-letter or full English month name, any case.
pub(super) fn month(s: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if s.len() < 3 {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|n| {
            if lower.len() == 3 {
                n.starts_with(lower.as_str())
            } else {
                *n == lower || (lower.len() == 4 && lower == "sept" && *n == "september")
            }
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Nanoseconds of a fraction's digits (`123` → 123 000 000); more than nine
/// digits are truncated.
fn fraction(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0i64;
    let mut scale = 100_000_000i64;
    for b in s.bytes().take(9) {
        nanos += i64::from(b - b'0') * scale;
        scale /= 10;
    }
    Some(nanos)
}

/// `hh:mm:ss[.fff]` → (h, m, s, nanos).
fn clock(s: &str) -> Option<(u32, u32, u32, i64)> {
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((a, f)) => (a, fraction(f)?),
        None => (s, 0),
    };
    let mut it = hms.split(':');
    let h = digits(it.next()?)?;
    let m = digits(it.next()?)?;
    let sec = digits(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    Some((h, m, sec, frac))
}

/// The UTC offset (seconds east) of a zone designator: `Z`, `UTC`, `GMT`,
/// `±hh:mm`, `±hhmm`, `±hh`, `GMT±hh:mm`, or a common North American /
/// European abbreviation.
pub(super) fn zone(s: &str) -> Option<i64> {
    let named = match s.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "UT" | "ZULU" => Some(0),
        "EST" => Some(-5),
        "EDT" | "AST" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        "AKST" => Some(-9),
        "AKDT" => Some(-8),
        "HST" => Some(-10),
        "WET" => Some(0),
        "WEST" | "CET" | "BST" => Some(1),
        "CEST" | "EET" => Some(2),
        "EEST" => Some(3),
        _ => None,
    };
    if let Some(h) = named {
        return Some(h * 3600);
    }
    let rest = s
        .strip_prefix("GMT")
        .or_else(|| s.strip_prefix("UTC"))
        .unwrap_or(s);
    let (sign, tz) = match rest.as_bytes().first() {
        Some(b'+') => (1, rest.get(1..)?),
        Some(b'-') => (-1, rest.get(1..)?),
        _ => return None,
    };
    let (h, m) = match tz.len() {
        1 | 2 => (digits(tz)?, 0),
        4 => (digits(tz.get(..2)?)?, digits(tz.get(2..)?)?),
        5 if tz.as_bytes().get(2) == Some(&b':') => (digits(tz.get(..2)?)?, digits(tz.get(3..)?)?),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// A device time as CEF (`rt`, `start`, `end`) and LEEF (`devTime`) write
/// them: epoch milliseconds (seconds when 11 digits or fewer), RFC 3339, or
/// `MMM dd [yyyy] HH:mm:ss[.SSS][ zzz]`. A time without a zone is at
/// `default_offset`; one without a year takes `year`.
pub(super) fn device_time(s: &str, year: Option<i32>, default_offset: i64) -> Option<Timestamp> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return if s.len() > 11 {
            Timestamp::from_millis(n)
        } else {
            Timestamp::from_secs(n)
        };
    }
    if s.len() >= 19 && s.as_bytes().get(4) == Some(&b'-') {
        return Timestamp::parse_rfc3339(s.as_bytes());
    }
    let mut it = s.split_ascii_whitespace();
    let mon = month(it.next()?)?;
    let day = digits(it.next()?)?;
    let mut tok = it.next()?;
    let y = if tok.len() == 4 && !tok.contains(':') {
        let y = digits(tok)?;
        tok = it.next()?;
        i64::from(y)
    } else {
        i64::from(year?)
    };
    let (h, m, sec, nanos) = clock(tok)?;
    let offset = match it.next() {
        Some(z) => zone(z)?,
        None => default_offset,
    };
    if it.next().is_some() {
        return None;
    }
    Timestamp::from_civil(y, mon, day, h, m, sec, nanos, offset)
}

/// Parses `s` with a Java `SimpleDateFormat` pattern (the letters `y M d H h
/// k K m s S a z Z X E`, quoted literals, other characters literal). A
/// pattern without a year takes `year`; without a zone, UTC.
pub(super) fn with_pattern(s: &str, pattern: &str, year: Option<i32>) -> Option<Timestamp> {
    let mut input = s.trim();
    let p: Vec<char> = pattern.chars().collect();
    let (mut y, mut mo, mut d) = (None, None, None);
    let (mut h, mut mi, mut sec, mut nanos, mut offset) = (0u32, 0u32, 0u32, 0i64, 0i64);
    let mut pm: Option<bool> = None;
    let mut i = 0;
    while let Some(&c) = p.get(i) {
        if c == '\'' {
            // Quoted literal ('' is a quote).
            let mut j = i + 1;
            let mut lit = String::new();
            while let Some(&q) = p.get(j) {
                if q == '\'' {
                    if p.get(j + 1) == Some(&'\'') {
                        lit.push('\'');
                        j += 2;
                        continue;
                    }
                    break;
                }
                lit.push(q);
                j += 1;
            }
            if lit.is_empty() && j == i + 1 && p.get(j) == Some(&'\'') {
                lit.push('\'');
            }
            input = input.strip_prefix(lit.as_str())?;
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            input = input.strip_prefix(c)?;
            i += 1;
            continue;
        }
        let mut n = 1;
        while p.get(i + n) == Some(&c) {
            n += 1;
        }
        i += n;
        // Numeric fields take exactly `n` digits when the next pattern
        // character is another field, else as many digits as there are.
        let adjacent = p.get(i).is_some_and(|x| x.is_ascii_alphabetic());
        let num = |input: &mut &str, min_width: usize| -> Option<u32> {
            let avail = input.bytes().take_while(u8::is_ascii_digit).count();
            let take = if adjacent { min_width.max(1) } else { avail };
            if take == 0 || take > avail {
                return None;
            }
            let (a, b) = input.split_at(take);
            *input = b;
            digits(a)
        };
        match c {
            'y' => {
                let v = num(&mut input, n.max(2))?;
                y = Some(if n == 2 {
                    2000 + i64::from(v)
                } else {
                    i64::from(v)
                });
            }
            'M' | 'L' if n >= 3 => {
                let len = input.bytes().take_while(u8::is_ascii_alphabetic).count();
                let (a, b) = input.split_at(len);
                mo = Some(month(a)?);
                input = b;
            }
            'M' | 'L' => mo = Some(num(&mut input, n)?),
            'd' => d = Some(num(&mut input, n)?),
            'H' => h = num(&mut input, n)?,
            'k' => h = num(&mut input, n)? % 24,
            'h' | 'K' => h = num(&mut input, n)? % 12,
            'm' => mi = num(&mut input, n)?,
            's' => sec = num(&mut input, n)?,
            'S' => {
                let avail = input.bytes().take_while(u8::is_ascii_digit).count();
                let take = if adjacent { n } else { avail };
                if take == 0 || take > avail {
                    return None;
                }
                let (a, b) = input.split_at(take);
                nanos = if n == 3 && take == 3 {
                    i64::from(digits(a)?) * 1_000_000
                } else {
                    fraction(a)?
                };
                input = b;
            }
            'a' => {
                let up = input.get(..2)?.to_ascii_uppercase();
                pm = Some(match up.as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return None,
                });
                input = input.get(2..)?;
            }
            'E' => {
                let len = input.bytes().take_while(u8::is_ascii_alphabetic).count();
                if len == 0 {
                    return None;
                }
                input = input.get(len..)?;
            }
            'z' | 'Z' | 'X' => {
                let len = input
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b':'))
                    .count();
                let (a, b) = input.split_at(len);
                offset = zone(a)?;
                input = b;
            }
            _ => return None,
        }
    }
    if !input.is_empty() {
        return None;
    }
    if pm == Some(true) {
        h += 12;
    }
    let y = match y {
        Some(y) => y,
        None => i64::from(year?),
    };
    Timestamp::from_civil(y, mo?, d?, h, mi, sec, nanos, offset)
}

/// The parts of a BSD syslog timestamp `Mmm dd [yyyy] hh:mm:ss[.fff][:]`
/// (day padded with a space or a zero; the year and the trailing `:` as
/// Cisco devices write them).
pub(super) struct Bsd {
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) year: Option<i64>,
    pub(super) clock: (u32, u32, u32, i64),
}

/// Whether `s` starts with a BSD timestamp shape (`Mmm dd hh:mm:ss`), and if
/// so its parts (`Err(())` for that shape with impossible values) and the
/// rest of `s` after it.
pub(super) fn bsd(s: &str) -> Option<(Result<Bsd, ()>, &str)> {
    let mon = month(s.get(..3)?)?;
    if s.as_bytes().get(3) != Some(&b' ') {
        return None;
    }
    let rest = s.get(4..)?.trim_start_matches(' ');
    let (day_s, rest) = rest.split_once(' ')?;
    if day_s.is_empty() || day_s.len() > 2 || !day_s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (mut tok, mut after) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut year = None;
    if tok.len() == 4 && tok.bytes().all(|b| b.is_ascii_digit()) {
        year = digits(tok).map(i64::from);
        (tok, after) = after.split_once(' ').unwrap_or((after, ""));
    }
    // Cisco devices end the time with `:`.
    let tok = tok.strip_suffix(':').unwrap_or(tok);
    let b = tok.as_bytes();
    if b.len() < 8 || b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    let parts = match (digits(day_s), clock(tok)) {
        (Some(day), Some(clock)) => Ok(Bsd {
            month: mon,
            day,
            year,
            clock,
        }),
        _ => Err(()),
    };
    Some((parts, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc(t: Option<Timestamp>) -> String {
        t.map(|t| t.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn patterns() {
        let cases = [
            (
                "2024-03-05T12:01:02.345+0100",
                "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                "2024-03-05T11:01:02.345000Z",
            ),
            (
                "Mar 05 2024 10:00:00",
                "MMM dd yyyy HH:mm:ss",
                "2024-03-05T10:00:00.000000Z",
            ),
            (
                "05/03/24 01:02:03 PM",
                "dd/MM/yy hh:mm:ss a",
                "2024-03-05T13:02:03.000000Z",
            ),
            (
                "20240305100000",
                "yyyyMMddHHmmss",
                "2024-03-05T10:00:00.000000Z",
            ),
            (
                "Tue, 5 Mar 2024 10:00:00 GMT-05:00",
                "EEE, d MMM yyyy HH:mm:ss z",
                "2024-03-05T15:00:00.000000Z",
            ),
            ("5 Mar 10:00", "d MMM HH:mm", "2024-03-05T10:00:00.000000Z"),
        ];
        for (s, p, want) in cases {
            assert_eq!(rfc(with_pattern(s, p, Some(2024))), want, "{s} / {p}");
        }
        for (s, p) in [
            ("2024-03-05", "yyyy-MM-dd HH"),
            ("2024-02-30 10", "yyyy-MM-dd HH"),
            ("x", "'"),
            ("5 Mar 10:00", "d MMM HH:mm"),
        ] {
            let year = if p == "d MMM HH:mm" { None } else { Some(2024) };
            assert_eq!(with_pattern(s, p, year), None, "{s} / {p}");
        }
    }

    #[test]
    fn zones_and_device_times() {
        assert_eq!(zone("+05:30"), Some(19_800));
        assert_eq!(zone("-0800"), Some(-28_800));
        assert_eq!(zone("GMT+1"), Some(3600));
        assert_eq!(zone("PDT"), Some(-25_200));
        assert_eq!(zone("Europe/Berlin"), None);
        assert_eq!(
            rfc(device_time("Mar 05 2024 10:00:00.5 PST", None, 0)),
            "2024-03-05T18:00:00.500000Z"
        );
        assert_eq!(
            rfc(device_time("Mar  5 10:00:00", Some(2024), 3600)),
            "2024-03-05T09:00:00.000000Z"
        );
        assert_eq!(device_time("Mar  5 10:00:00", None, 0), None);
        assert_eq!(
            rfc(device_time("1709634000", None, 0)),
            "2024-03-05T10:20:00.000000Z"
        );
        assert_eq!(device_time("Mar 05 2024 10:00:00 Mars/Base", None, 0), None);
        assert_eq!(month("Sept"), Some(9));
        assert_eq!(month("dec"), Some(12));
        assert_eq!(month("Decembre"), None);
    }
}
