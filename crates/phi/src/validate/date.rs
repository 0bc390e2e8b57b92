//! Dates (of birth): a real calendar date in a common written form.

/// Earliest and latest years accepted. There is no clock here (validators
/// are pure functions), so "not in the future" cannot be checked: the range
/// covers every living person's birth year with a margin, and a few years
/// past today for dates typed in advance.
const YEARS: std::ops::RangeInclusive<u32> = 1880..=2030;

const MONTHS: [&str; 12] = [
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

/// A date of birth: a real calendar date (leap years included) with a year
/// in 1880–2030, in one of these forms:
///
/// - ISO: `1980-01-02`, `1980/1/2`;
/// - US: `01/02/1980`, `1/2/1980`, `01-02-1980` (month first);
/// - with a month name (full or 3-letter, `Sept` too, either case):
///   `Jan 2, 1980`, `January 2 1980`, `Jan. 2, 1980`, `2 Jan 1980`,
///   `02-JAN-1980`.
///
/// Two-digit years and day-first numeric forms (`02.01.1980`) are not
/// accepted: they are ambiguous.
pub(super) fn date(s: &[u8]) -> bool {
    match numeric(s).or_else(|| named(s)) {
        Some((y, m, d)) => YEARS.contains(&y) && (1..=days_in_month(y, m)).contains(&d),
        None => false,
    }
}

/// Days in month `m` (1–12) of year `y`; 0 for a month out of range.
fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A run of 1–4 ASCII digits as a number.
fn number(s: &[u8], min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

/// `YYYY-MM-DD`, `YYYY/M/D`, `M/D/YYYY` or `M-D-YYYY` as (year, month, day).
fn numeric(s: &[u8]) -> Option<(u32, u32, u32)> {
    let sep = *s.iter().find(|b| !b.is_ascii_digit())?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let mut parts = s.split(|&b| b == sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    if a.len() == 4 {
        // ISO dates with dashes always have two-digit months and days.
        let min = if sep == b'-' { 2 } else { 1 };
        Some((number(a, 4, 4)?, number(b, min, 2)?, number(c, min, 2)?))
    } else {
        Some((number(c, 4, 4)?, number(a, 1, 2)?, number(b, 1, 2)?))
    }
}

/// The month (1–12) named by `word`: its full name, its first three letters,
/// or `sept`, in any case.
fn month(word: &[u8]) -> Option<u32> {
    let mut lower = [0u8; 9];
    if word.len() < 3 || word.len() > lower.len() {
        return None;
    }
    for (l, b) in lower.iter_mut().zip(word) {
        *l = b.to_ascii_lowercase();
    }
    let word = lower.get(..word.len())?;
    let idx = MONTHS.iter().position(|m| {
        let m = m.as_bytes();
        m == word || m.get(..3) == Some(word) || (word == b"sept" && m.starts_with(word))
    })?;
    u32::try_from(idx + 1).ok()
}

/// `Mon D, YYYY`, `Mon. D YYYY`, `D Mon YYYY`, `DD-Mon-YYYY` as (year,
/// month, day): three alphanumeric tokens split by one or two of ` `, `,`,
/// `.` and `-`.
fn named(s: &[u8]) -> Option<(u32, u32, u32)> {
    let mut tokens: [&[u8]; 3] = [&[]; 3];
    let mut n = 0;
    let mut sep_run = 0;
    let mut start = None;
    for (i, &b) in s.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            start.get_or_insert(i);
            sep_run = 0;
            continue;
        }
        if !b" ,.-".contains(&b) || i == 0 {
            return None;
        }
        sep_run += 1;
        if sep_run > 2 {
            return None;
        }
        if let Some(st) = start.take() {
            *tokens.get_mut(n)? = s.get(st..i)?;
            n += 1;
        }
    }
    let st = start?;
    *tokens.get_mut(n)? = s.get(st..)?;
    let [a, b, c] = tokens;
    let year = number(c, 4, 4)?;
    match month(a) {
        Some(m) => Some((year, m, number(b, 1, 2)?)),
        None => Some((year, month(b)?, number(a, 1, 2)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        for ok in [
            "1980-01-02",
            "1980/1/2",
            "01/02/1980",
            "1/2/1980",
            "2000-02-29",
            "Jan 2, 1980",
            "january 2 1980",
            "Jan. 2, 1980",
            "2 Jan 1980",
            "02-JAN-1980",
            "Sept 30, 1975",
        ] {
            assert!(date(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "1900-02-29",
            "1980-13-01",
            "1980-1-2",
            "02/30/1980",
            "1879-12-31",
            "2031-01-01",
            "1/2/80",
            "Foo 2, 1980",
            "Jan 32, 1980",
            "1980-01-02-03",
            "Jan  , 2 1980",
            "1980-01/02",
        ] {
            assert!(!date(bad.as_bytes()), "{bad}");
        }
    }
}
