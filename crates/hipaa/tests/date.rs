//! Date arithmetic, driven by `tests/data/dates.txt`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_hipaa::{is_leap_year, Date, Weekday};

fn d(s: &str) -> Date {
    Date::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn weekday(name: &str) -> Weekday {
    match name {
        "Monday" => Weekday::Monday,
        "Tuesday" => Weekday::Tuesday,
        "Wednesday" => Weekday::Wednesday,
        "Thursday" => Weekday::Thursday,
        "Friday" => Weekday::Friday,
        "Saturday" => Weekday::Saturday,
        "Sunday" => Weekday::Sunday,
        other => panic!("unknown weekday {other}"),
    }
}

/// Runs one case; returns its op.
fn check(line_no: usize, parts: &[&str]) -> String {
    let at = format!("dates.txt:{line_no}: {parts:?}");
    match parts {
        ["add", date, n, want] => {
            assert_eq!(d(date).add_days(n.parse().unwrap()), d(want), "{at}")
        }
        ["between", a, b, want] => {
            assert_eq!(d(a).days_until(d(b)), want.parse::<i64>().unwrap(), "{at}")
        }
        ["bday", date, n, want] => {
            assert_eq!(
                d(date).add_business_days(n.parse().unwrap()),
                d(want),
                "{at}"
            )
        }
        ["eoy", date, want] => assert_eq!(d(date).end_of_year(), d(want), "{at}"),
        ["leap", y, want] => {
            assert_eq!(
                is_leap_year(y.parse().unwrap()),
                want.parse::<bool>().unwrap(),
                "{at}"
            )
        }
        ["dim", y, m, want] => assert_eq!(
            phiwatch_hipaa::Date::new(
                y.parse().unwrap(),
                m.parse().unwrap(),
                want.parse().unwrap()
            )
            .map(|x| x.day()),
            Ok(want.parse().unwrap()),
            "{at}"
        ),
        ["weekday", date, want] => assert_eq!(d(date).weekday(), weekday(want), "{at}"),
        ["parse", text, "error"] => assert!(Date::parse(text).is_err(), "{at}"),
        ["parse", text, want] => {
            let got = Date::parse(text).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(got.to_string(), *want, "{at}");
        }
        _ => panic!("{at}: malformed case"),
    }
    parts[0].to_string()
}

#[test]
fn date_cases_from_file() {
    let text = include_str!("data/dates.txt");
    let mut counts = std::collections::BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        *counts.entry(check(i + 1, &parts)).or_insert(0) += 1;
    }
    let total: usize = counts.values().sum();
    assert_eq!(total, 68, "cases run: {counts:?}");
    assert_eq!(counts["add"], 18);
    assert_eq!(counts["parse"], 14);
    assert_eq!(counts["bday"], 9);
}

#[test]
fn day_after_the_last_of_each_month_is_the_first_of_the_next() {
    // Every month boundary of a leap and a common year, and the round trip
    // through day numbers over four centuries.
    for year in [2026, 2028] {
        for month in 1..=12u32 {
            let last = phiwatch_hipaa::Date::new(year, month, 31)
                .or_else(|_| Date::new(year, month, 30))
                .or_else(|_| Date::new(year, month, 29))
                .or_else(|_| Date::new(year, month, 28))
                .unwrap();
            let next = last.add_days(1);
            assert_eq!(next.day(), 1, "{last}");
            assert_eq!(next.month(), month % 12 + 1, "{last}");
        }
    }
    let start = d("1900-01-01");
    let mut days = 0;
    let mut prev = start;
    while prev < d("2300-01-01") {
        let next = start.add_days(days + 1);
        assert_eq!(prev.days_until(next), 1, "{prev}");
        assert_eq!(Date::from_day_number(next.day_number()), next);
        prev = next;
        days += 1;
    }
    assert_eq!(days, 146_097, "400 Gregorian years");
}

#[test]
fn dates_serialize_as_rfc3339_strings_and_order_chronologically() {
    let date = d("2027-02-28");
    assert_eq!(serde_json::to_string(&date).unwrap(), "\"2027-02-28\"");
    let back: Date = serde_json::from_str("\"2027-02-28\"").unwrap();
    assert_eq!(back, date);
    let err = serde_json::from_str::<Date>("\"2027-02-29\"").unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(serde_json::from_str::<Date>("20270228").is_err());
    assert!(d("2026-12-31") < d("2027-01-01"));
    assert!(d("2027-01-31") < d("2027-02-01"));
    assert_eq!("2026-11-20".parse::<Date>(), Ok(d("2026-11-20")));
}
