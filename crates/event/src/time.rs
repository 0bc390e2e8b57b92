//! UTC timestamps with nanosecond precision, and their text forms.

use std::fmt;

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z, in UTC.
///
/// Covers years 1678 to 2261, which is every log timestamp we will meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);
    /// The smallest representable time.
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The largest representable time.
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(n: i64) -> Self {
        Timestamp(n)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// The current time of the system clock (the epoch if the clock is
    /// before it, [`Timestamp::MAX`] past the representable range).
    pub fn now() -> Self {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(Timestamp(0), |d| {
            Timestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        })
    }

    /// From whole seconds since the epoch; `None` when out of range.
    pub fn from_secs(s: i64) -> Option<Self> {
        s.checked_mul(NANOS_PER_SEC).map(Timestamp)
    }

    /// From milliseconds since the epoch; `None` when out of range.
    pub fn from_millis(ms: i64) -> Option<Self> {
        ms.checked_mul(1_000_000).map(Timestamp)
    }

    /// Whole seconds since the epoch (floor).
    pub fn as_secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// Parses decimal seconds since the epoch, as Zeek writes them
    /// (`1300475167.096535`). Up to nine fractional digits are kept exactly;
    /// more are truncated. No exponent, no sign other than a leading `-`.
    pub fn parse_epoch_decimal(s: &[u8]) -> Option<Self> {
        let (neg, s) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            _ => (false, s),
        };
        let dot = memchr_dot(s);
        let (int, frac) = match dot {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, &s[..0]),
        };
        if int.is_empty() || int.len() > 12 {
            return None;
        }
        let secs = parse_digits(int)? as i64;
        let mut nanos: i64 = 0;
        let mut scale = 100_000_000;
        for (i, &b) in frac.iter().enumerate() {
            if !b.is_ascii_digit() {
                return None;
            }
            if i < 9 {
                nanos += i64::from(b - b'0') * scale;
                scale /= 10;
            }
        }
        let total = secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)?;
        Some(Timestamp(if neg { -total } else { total }))
    }

    /// Parses an RFC 3339 / ISO 8601 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM|±HHMM)`.
    /// A space may stand for `T`; a missing offset is read as UTC.
    pub fn parse_rfc3339(s: &[u8]) -> Option<Self> {
        if s.len() < 19 {
            return None;
        }
        let year = parse_digits(&s[0..4])? as i64;
        if s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
            return None;
        }
        if !matches!(s[10], b'T' | b't' | b' ') {
            return None;
        }
        let month = parse_digits(&s[5..7])? as u32;
        let day = parse_digits(&s[8..10])? as u32;
        let hour = parse_digits(&s[11..13])? as i64;
        let min = parse_digits(&s[14..16])? as i64;
        let sec = parse_digits(&s[17..19])? as i64;
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let mut rest = &s[19..];
        let mut nanos: i64 = 0;
        if let Some((b'.' | b',', tail)) = rest.split_first() {
            let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut scale = 100_000_000;
            for &b in &tail[..n.min(9)] {
                nanos += i64::from(b - b'0') * scale;
                scale /= 10;
            }
            rest = &tail[n..];
        }
        let offset_secs: i64 = match rest {
            [] | [b'Z'] | [b'z'] => 0,
            [sign @ (b'+' | b'-'), tz @ ..] => {
                let (h, m) = match tz {
                    [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                        (parse_digits(&[*h1, *h2])?, parse_digits(&[*m1, *m2])?)
                    }
                    [h1, h2] => (parse_digits(&[*h1, *h2])?, 0),
                    _ => return None,
                };
                if h > 23 || m > 59 {
                    return None;
                }
                let off = (h * 3600 + m * 60) as i64;
                if *sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
        secs.checked_mul(NANOS_PER_SEC)?
            .checked_add(nanos)
            .map(Timestamp)
    }

    /// A validated civil date and time at a UTC offset (`offset_secs` east
    /// of UTC): `None` for impossible dates (Feb 30), out-of-range fields or
    /// years outside 1000–2200.
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: i64,
        offset_secs: i64,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || !(0..NANOS_PER_SEC).contains(&nanos)
            || !(1000..=2200).contains(&year)
        {
            return None;
        }
        let secs = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(min) * 60
            + i64::from(sec)
            - offset_secs;
        secs.checked_mul(NANOS_PER_SEC)?
            .checked_add(nanos)
            .map(Timestamp)
    }

    /// Parses any of the text forms logs use for a time: RFC 3339, or decimal
    /// epoch seconds (a value above 10^11 is taken as milliseconds).
    pub fn parse_any(s: &[u8]) -> Option<Self> {
        if s.len() >= 19 && s[4] == b'-' {
            return Self::parse_rfc3339(s);
        }
        if s.len() > 11 && s.iter().all(u8::is_ascii_digit) {
            // A whole number too large for seconds: epoch milliseconds.
            return Self::from_millis(i64::try_from(parse_digits(s)?).ok()?);
        }
        Self::parse_epoch_decimal(s)
    }

    /// Formats as RFC 3339 in UTC: microseconds, or nanoseconds when the
    /// value has them (`2011-03-18T19:06:08.742593Z`).
    pub fn to_rfc3339(self) -> String {
        let mut s = String::with_capacity(30);
        self.write_rfc3339(&mut s);
        s
    }

    /// The UTC calendar date and time of day (proleptic Gregorian).
    pub fn civil(self) -> Civil {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (sod / 3600) as u32,
            minute: (sod / 60 % 60) as u32,
            second: (sod % 60) as u32,
            // 1970-01-01 was a Thursday; ISO weekdays run Monday = 1 .. Sunday = 7.
            weekday: ((days + 3).rem_euclid(7) + 1) as u32,
            day_of_year: (days - days_from_civil(year, 1, 1) + 1) as u32,
        }
    }

    /// Appends the RFC 3339 form to `out`.
    pub fn write_rfc3339(self, out: &mut String) {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut buf = [0u8; 32];
        let mut n = 0;
        put_digits(&mut buf, &mut n, y, 4);
        let parts = [
            (b'-', m as i64),
            (b'-', d as i64),
            (b'T', sod / 3600),
            (b':', sod / 60 % 60),
            (b':', sod % 60),
        ];
        for (sep, v) in parts {
            buf[n] = sep;
            n += 1;
            put_digits(&mut buf, &mut n, v, 2);
        }
        buf[n] = b'.';
        n += 1;
        if nanos % 1000 == 0 {
            put_digits(&mut buf, &mut n, nanos / 1000, 6);
        } else {
            put_digits(&mut buf, &mut n, nanos, 9);
        }
        buf[n] = b'Z';
        n += 1;
        out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or("invalid-time"));
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn put_digits(buf: &mut [u8; 32], n: &mut usize, mut v: i64, width: usize) {
    for i in (0..width).rev() {
        buf[*n + i] = b'0' + (v.rem_euclid(10)) as u8;
        v /= 10;
    }
    *n += width;
}

fn memchr_dot(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'.')
}

fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A UTC calendar date and time of day, from [`Timestamp::civil`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
    /// ISO weekday: Monday 1 … Sunday 7.
    pub weekday: u32,
    /// Day of the year, 1–366.
    pub day_of_year: u32,
}

impl Civil {
    /// The ISO 8601 week number (1–53) of this date.
    pub fn iso_week(&self) -> u32 {
        let w = (i64::from(self.day_of_year) - i64::from(self.weekday) + 10) / 7;
        if w < 1 {
            weeks_in_year(self.year - 1)
        } else if w > i64::from(weeks_in_year(self.year)) {
            1
        } else {
            w as u32
        }
    }
}

/// ISO weeks in a year: 53 when it starts on a Thursday, or on a Wednesday
/// in a leap year.
fn weeks_in_year(y: i64) -> u32 {
    let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if p(y) == 4 || p(y - 1) == 3 {
        53
    } else {
        52
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {

    #[test]
    fn civil_parts_and_iso_weeks() {
        let c = |t: &str| Timestamp::parse_rfc3339(t.as_bytes()).unwrap().civil();
        let sat = c("2026-11-28T19:34:07Z");
        assert_eq!(
            (sat.year, sat.month, sat.day, sat.hour, sat.minute, sat.second),
            (2026, 11, 28, 19, 34, 7)
        );
        assert_eq!((sat.weekday, sat.day_of_year, sat.iso_week()), (6, 332, 48));
        // 2021-01-03 (a Sunday) still belongs to ISO week 53 of 2020;
        // 2024-12-30 (a Monday) to week 1 of 2025.
        assert_eq!(c("2021-01-03T00:00:00Z").iso_week(), 53);
        assert_eq!(c("2024-12-30T00:00:00Z").iso_week(), 1);
        assert_eq!(c("2024-02-29T23:59:59Z").day_of_year, 60);
        assert_eq!(c("1969-12-31T23:00:00Z").weekday, 3);
    }

    use super::*;

    fn check(input: &str, rfc: &str) {
        let t = Timestamp::parse_any(input.as_bytes()).expect(input);
        assert_eq!(t.to_rfc3339(), rfc, "{input}");
    }

    #[test]
    fn parses_known_forms() {
        check("1300475167.096535", "2011-03-18T19:06:07.096535Z");
        check("0", "1970-01-01T00:00:00.000000Z");
        check("2020-09-14T01:19:40Z", "2020-09-14T01:19:40.000000Z");
        check(
            "2020-09-14T01:19:40.123456789Z",
            "2020-09-14T01:19:40.123456789Z",
        );
        check("2020-09-14 03:19:40+02:00", "2020-09-14T01:19:40.000000Z");
        check("2020-09-14T01:19:40.5-0130", "2020-09-14T02:49:40.500000Z");
        check("2000-02-29T23:59:59Z", "2000-02-29T23:59:59.000000Z");
        check("1600000000123", "2020-09-13T12:26:40.123000Z");
        check("-1.5", "1969-12-31T23:59:58.500000Z");
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "XXXXXXXXXX.XXXXXX",
            "",
            "2020-13-01T00:00:00Z",
            "2019-02-29T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+5",
            "12.3.4",
            "1e9",
            "99999999999999999999999",
        ] {
            assert!(Timestamp::parse_any(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn rfc3339_roundtrip(n in -6_000_000_000_000_000_000i64..9_000_000_000_000_000_000i64) {
            let t = Timestamp::from_nanos(n);
            let back = Timestamp::parse_rfc3339(t.to_rfc3339().as_bytes());
            proptest::prop_assert_eq!(back, Some(t));
        }

        #[test]
        fn parse_never_panics(s in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let _ = Timestamp::parse_any(&s);
        }
    }
}
