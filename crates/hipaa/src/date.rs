//! A small proleptic-Gregorian calendar date: the unit every breach
//! deadline is counted in. Years 1 to 9999; arithmetic saturates at those
//! bounds instead of failing, so no input can make it panic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The first and last days a [`Date`] can hold (as day numbers, see
/// [`days_from_civil`]).
const MIN_YEAR: i64 = 1;
const MAX_YEAR: i64 = 9999;

/// A calendar date (no time, no zone), serialized as RFC 3339 `YYYY-MM-DD`.
///
/// Dates order chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date could not be built or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("date {0:?} is not of the form YYYY-MM-DD")]
    Format(String),
    /// Year outside 1..=9999.
    #[error("year {0} is outside 1..=9999")]
    Year(i64),
    /// Month outside 1..=12.
    #[error("month {0} is outside 1..=12")]
    Month(u32),
    /// Day outside the month.
    #[error("day {day} does not exist in {year:04}-{month:02}")]
    Day {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// The offending day.
        day: u32,
    },
}

/// Day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1..=12) of `year`; 0 for a month outside 1..=12.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Date {
    /// The date `year-month-day`, checked.
    pub fn new(year: i64, month: u32, day: u32) -> Result<Date, DateError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::Year(year));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        // In range: checked just above.
        let (y, m) = (year as u16, month as u8);
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day {
                year: y,
                month: m,
                day,
            });
        }
        Ok(Date {
            year: y,
            month: m,
            day: day as u8,
        })
    }

    /// Reads `YYYY-MM-DD` (exactly: four-digit year, two-digit month and day).
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes.get(4) == Some(&b'-')
            && bytes.get(7) == Some(&b'-')
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            let shown: String = text.chars().take(40).collect();
            return Err(DateError::Format(shown));
        }
        let num = |range: std::ops::Range<usize>| -> u32 {
            text.get(range)
                .and_then(|s| s.parse().ok())
                .unwrap_or_default()
        };
        Date::new(i64::from(num(0..4)), num(5..7), num(8..10))
    }

    /// The year.
    pub fn year(self) -> i64 {
        i64::from(self.year)
    }

    /// The month, 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn day_number(self) -> i64 {
        days_from_civil(self.year(), i64::from(self.month), i64::from(self.day))
    }

    /// The date of a day number, saturating at 0001-01-01 and 9999-12-31.
    pub fn from_day_number(days: i64) -> Date {
        let min = days_from_civil(MIN_YEAR, 1, 1);
        let max = days_from_civil(MAX_YEAR, 12, 31);
        let (y, m, d) = civil_from_days(days.clamp(min, max));
        // The clamp keeps the result within 1..=9999, months 1..=12, days 1..=31.
        Date {
            year: y as u16,
            month: m as u8,
            day: d as u8,
        }
    }

    /// The date `days` calendar days later (earlier when negative),
    /// saturating at the calendar's bounds.
    pub fn add_days(self, days: i64) -> Date {
        Date::from_day_number(self.day_number().saturating_add(days))
    }

    /// Calendar days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.day_number() - self.day_number()
    }

    /// December 31 of this date's year.
    pub fn end_of_year(self) -> Date {
        Date {
            year: self.year,
            month: 12,
            day: 31,
        }
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.day_number() + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// The date `n` business days later, counting Monday to Friday only
    /// (public holidays are NOT skipped: no holiday calendar is applied).
    /// The start day itself is not counted; from a Saturday or Sunday the
    /// first business day counted is the Monday after. Zero days: `self`.
    pub fn add_business_days(self, n: u32) -> Date {
        if n == 0 {
            return self;
        }
        // From a weekend, counting starts as if from the Friday before.
        let start = match self.weekday() {
            Weekday::Saturday => self.add_days(-1),
            Weekday::Sunday => self.add_days(-2),
            _ => self,
        };
        let mut date = start.add_days(i64::from(n / 5) * 7);
        for _ in 0..n % 5 {
            date = date.add_days(1);
            while date.weekday().is_weekend() {
                date = date.add_days(1);
            }
        }
        date
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}
