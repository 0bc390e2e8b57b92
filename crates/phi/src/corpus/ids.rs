//! Identifier values: valid ones with real check digits and ranges, and
//! near misses that break exactly one rule (the hard negatives). Names,
//! streets and cities come from small invented lists.

use super::SplitMix64 as Rng;

pub(crate) const FIRST: &[&str] = &[
    "Alma", "Bruno", "Celia", "Dario", "Edwina", "Felix", "Greta", "Hugo", "Ines", "Jonah",
    "Katya", "Lionel", "Mireille", "Nestor", "Odile", "Pascal", "Quentin", "Rosa", "Silas", "Thea",
    "Ulla", "Viktor", "Wanda", "Xavier", "Yvette", "Zeno", "Maria", "James", "Linda", "Robert",
];

pub(crate) const LAST: &[&str] = &[
    "Abernathy",
    "Brightwater",
    "Calloway",
    "Dunmore",
    "Ellery",
    "Fairbanks",
    "Galloway",
    "Hollis",
    "Ingram",
    "Jarrow",
    "Kettering",
    "Lindqvist",
    "Marchetti",
    "Nordby",
    "Okafor",
    "Pemberton",
    "Quarles",
    "Redfern",
    "Stroud",
    "Thackeray",
    "Underhill",
    "Vance",
    "Whitcombe",
    "Yarrow",
    "Zeller",
    "Smith",
    "Garcia",
    "Nguyen",
    "Johnson",
    "Brown",
];

const STREET_NAMES: &[&str] = &[
    "Oak",
    "Maple",
    "Cedar",
    "Willow",
    "Lakeview",
    "Hillcrest",
    "Juniper",
    "Birch",
    "Sycamore",
    "Meadow",
    "Harbor",
    "Quarry",
    "Orchard",
    "Summit",
    "Prairie",
    "Old Mill",
];

const STREET_SUFFIXES: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Lane",
    "Ln",
    "Drive",
    "Dr",
    "Court",
    "Ct",
    "Way",
    "Place",
];

pub(crate) const CITIES: &[&str] = &[
    "Springfield",
    "Riverton",
    "Fairview",
    "Lakewood",
    "Oak Ridge",
    "Milford",
    "Clinton",
    "Georgetown",
    "Ashland",
    "Greenville",
    "Franklin",
    "Salem",
];

pub(crate) const STATES: &[&str] = &[
    "IL", "OH", "PA", "NY", "TX", "CA", "WA", "MA", "GA", "MN", "OR", "NC",
];

/// ICD-10-CM codes (dotted), a mix of chapters and lengths.
pub(crate) const ICD10: &[&str] = &[
    "E11.9", "I10", "F32.A", "S72.001A", "J45.909", "M54.50", "Z79.4", "E78.5", "N18.30", "K21.9",
    "G47.33", "R51.9", "I25.10", "C50.911", "F41.1", "E66.01", "J44.1", "N39.0", "R10.9", "Z00.00",
    "M17.11", "I48.91", "F33.1", "E03.9", "K58.9", "G43.909", "L40.0", "E55.9", "D64.9", "R07.9",
    "T78.40XA", "S06.0X0A", "O24.419", "Z34.90",
];

pub(crate) const DRUGS: &[&str] = &[
    "metformin 500 mg",
    "lisinopril 10 mg",
    "atorvastatin 20 mg",
    "sertraline 50 mg",
    "albuterol inhaler",
    "levothyroxine 75 mcg",
    "omeprazole 20 mg",
    "insulin glargine",
];

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn digit_values(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn check digit for `payload` (the digits before the check digit).
pub(crate) fn luhn_check_digit(payload: &str) -> u32 {
    let mut sum = 0;
    for (i, d) in digit_values(payload).iter().rev().enumerate() {
        let v = if i % 2 == 0 { d * 2 } else { *d };
        sum += if v > 9 { v - 9 } else { v };
    }
    (10 - sum % 10) % 10
}

/// A different digit than `d`.
fn other_digit(rng: &mut Rng, d: u32) -> u32 {
    (d + 1 + rng.below(9) as u32) % 10
}

/// Replaces the last digit of `s` with a different one.
fn break_last_digit(rng: &mut Rng, s: &str) -> String {
    let mut out = s.to_string();
    if let Some(last) = out.pop() {
        let d = last.to_digit(10).unwrap_or(0);
        out.push(char::from_digit(other_digit(rng, d), 10).unwrap_or('0'));
    }
    out
}

fn join3(a: &str, b: &str, c: &str, sep: &str) -> String {
    format!("{a}{sep}{b}{sep}{c}")
}

/// A valid SSN (area 001–899 but 666, group 01–99, serial 0001–9999, not a
/// known advertising number) with `sep` between the parts.
pub(crate) fn ssn(rng: &mut Rng, sep: &str) -> String {
    loop {
        let area = rng.range(1, 899);
        let group = rng.range(1, 99);
        let serial = rng.range(1, 9999);
        let s = format!("{area:03}{sep}{group:02}{sep}{serial:04}");
        let bad = area == 666
            || (area, group, serial) == (78, 5, 1120)
            || (area, group, serial) == (219, 9, 9999)
            || (area, group, serial) == (123, 45, 6789);
        if !bad {
            return s;
        }
    }
}

/// An SSN-shaped number that breaks one rule: area 000, 666 or 9xx (with a
/// group outside the ITIN ranges), group 00 or serial 0000.
pub(crate) fn bad_ssn(rng: &mut Rng) -> String {
    let (area, group, serial) = (rng.range(1, 899), rng.range(1, 99), rng.range(1, 9999));
    let (area, group, serial) = match rng.below(5) {
        0 => (0, group, serial),
        1 => (666, group, serial),
        2 => (rng.range(900, 999), rng.range(1, 49), serial),
        3 => (if area == 666 { 665 } else { area }, 0, serial),
        _ => (if area == 666 { 667 } else { area }, group, 0),
    };
    format!("{area:03}-{group:02}-{serial:04}")
}

/// A valid ITIN: area 9xx, group 50–65, 70–88, 90–92 or 94–99.
pub(crate) fn itin(rng: &mut Rng, sep: &str) -> String {
    const GROUPS: &[(u64, u64)] = &[(50, 65), (70, 88), (90, 92), (94, 99)];
    let (lo, hi) = rng.pick(GROUPS);
    let group = rng.range(lo, hi);
    let area = rng.range(900, 999);
    let serial = rng.range(0, 9999);
    format!("{area}{sep}{group:02}{sep}{serial:04}")
}

/// A valid NPI: 1 or 2, eight digits, and the Luhn digit of 80840 + the
/// first nine.
pub(crate) fn npi(rng: &mut Rng) -> String {
    let first = if rng.chance(50) { "1" } else { "2" };
    let body = format!("{first}{}", digits(rng, 8));
    let check = luhn_check_digit(&format!("80840{body}"));
    format!("{body}{check}")
}

/// An NPI-shaped number whose check digit is wrong.
pub(crate) fn bad_npi(rng: &mut Rng) -> String {
    let good = npi(rng);
    break_last_digit(rng, &good)
}

/// The DEA check digit of six digits.
fn dea_check(six: &str) -> u32 {
    let d = digit_values(six);
    let odd = d.iter().step_by(2).sum::<u32>();
    let even = d.iter().skip(1).step_by(2).sum::<u32>();
    (odd + 2 * even) % 10
}

/// A valid DEA number: registrant type letter, the registrant's last
/// initial, six digits and the check digit.
pub(crate) fn dea(rng: &mut Rng) -> String {
    const TYPES: &[char] = &['A', 'B', 'F', 'G', 'M', 'P', 'R'];
    let kind = rng.pick(TYPES);
    let initial = LAST[rng.below(LAST.len() as u64) as usize]
        .chars()
        .next()
        .unwrap_or('A');
    let six = digits(rng, 6);
    format!("{kind}{initial}{six}{}", dea_check(&six))
}

/// A DEA-shaped value whose check digit is wrong.
pub(crate) fn bad_dea(rng: &mut Rng) -> String {
    let good = dea(rng);
    break_last_digit(rng, &good)
}

/// MBI letters: A–Z without S, L, O, I, B, Z.
const MBI_ALPHA: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";

/// A valid MBI (C A AN N A AN N A A N N), with dashes after the 4th and 7th
/// characters when `dashed`.
pub(crate) fn mbi(rng: &mut Rng, dashed: bool) -> String {
    let alpha = |r: &mut Rng| char::from(r.pick(MBI_ALPHA));
    let num = |r: &mut Rng| char::from(b'0' + r.below(10) as u8);
    let alnum = |r: &mut Rng| {
        if r.chance(50) {
            char::from(r.pick(MBI_ALPHA))
        } else {
            char::from(b'0' + r.below(10) as u8)
        }
    };
    let mut s = String::with_capacity(13);
    s.push(char::from(b'1' + rng.below(9) as u8));
    s.push(alpha(rng));
    s.push(alnum(rng));
    s.push(num(rng));
    if dashed {
        s.push('-');
    }
    s.push(alpha(rng));
    s.push(alnum(rng));
    s.push(num(rng));
    if dashed {
        s.push('-');
    }
    s.push(alpha(rng));
    s.push(alpha(rng));
    s.push(num(rng));
    s.push(num(rng));
    s
}

/// An MBI-shaped value with an excluded letter (S, L, O, I, B, Z) in an
/// alphabetic position, or a 0 first.
pub(crate) fn bad_mbi(rng: &mut Rng) -> String {
    let good: Vec<char> = mbi(rng, false).chars().collect();
    let mut v = good.clone();
    if rng.chance(30) {
        v[0] = '0';
    } else {
        let pos = rng.pick(&[1usize, 4, 7, 8]);
        v[pos] = rng.pick(&['S', 'L', 'O', 'I', 'B', 'Z']);
    }
    v.into_iter().collect()
}

/// How a card number is written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CardFmt {
    Spaces,
    Dashes,
    Plain,
}

/// A valid card number (Visa, Mastercard 51–55 or 2221–2720, Amex 34/37,
/// Discover 6011/65) with its Luhn digit, grouped as issued.
pub(crate) fn card(rng: &mut Rng, fmt: CardFmt) -> String {
    let (prefix, len) = match rng.below(5) {
        0 | 1 => ("4".to_string(), 16),
        2 => {
            if rng.chance(70) {
                (format!("5{}", rng.range(1, 5)), 16)
            } else {
                (format!("{}", rng.range(2221, 2720)), 16)
            }
        }
        3 => (if rng.chance(50) { "34" } else { "37" }.to_string(), 15),
        _ => (if rng.chance(50) { "6011" } else { "65" }.to_string(), 16),
    };
    let body = format!("{prefix}{}", digits(rng, len - 1 - prefix.len()));
    let number = format!("{body}{}", luhn_check_digit(&body));
    group_card(&number, fmt)
}

/// A card-shaped number (issuer prefix, length) failing the Luhn check.
pub(crate) fn bad_card(rng: &mut Rng, fmt: CardFmt) -> String {
    let good: String = card(rng, CardFmt::Plain);
    group_card(&break_last_digit(rng, &good), fmt)
}

fn group_card(number: &str, fmt: CardFmt) -> String {
    let sep = match fmt {
        CardFmt::Spaces => " ",
        CardFmt::Dashes => "-",
        CardFmt::Plain => return number.to_string(),
    };
    let cuts: &[usize] = if number.len() == 15 {
        &[4, 10]
    } else {
        &[4, 8, 12]
    };
    let mut out = String::with_capacity(number.len() + 3);
    for (i, c) in number.chars().enumerate() {
        if cuts.contains(&i) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// The ABA check digit for the first eight digits.
fn aba_check(eight: &str) -> u32 {
    let d = digit_values(eight);
    let w = [3, 7, 1, 3, 7, 1, 3, 7];
    let sum: u32 = d.iter().zip(w).map(|(a, b)| a * b).sum();
    (10 - sum % 10) % 10
}

/// A valid ABA routing number: a Federal Reserve prefix (01–12, 21–32,
/// 61–72, 80) and the 3-7-1 checksum.
pub(crate) fn aba(rng: &mut Rng) -> String {
    let prefix = match rng.below(4) {
        0 => rng.range(1, 12),
        1 => rng.range(21, 32),
        2 => rng.range(61, 72),
        _ => 80,
    };
    let eight = format!("{prefix:02}{}", digits(rng, 6));
    format!("{eight}{}", aba_check(&eight))
}

/// A routing-shaped number (valid prefix) whose checksum fails.
pub(crate) fn bad_aba(rng: &mut Rng) -> String {
    let good = aba(rng);
    break_last_digit(rng, &good)
}

/// How a phone number is written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PhoneFmt {
    Parens,
    Dashes,
    Dots,
    Intl,
    Bare,
}

fn nanp_part(rng: &mut Rng, area: bool) -> String {
    loop {
        let a = rng.range(2, 9);
        let b = if area {
            rng.range(0, 8)
        } else {
            rng.range(0, 9)
        };
        let c = rng.range(0, 9);
        // N11 codes are service codes; 37X and 96X are reserved areas.
        let reserved = area && ((a, b) == (3, 7) || (a, b) == (9, 6));
        let n11 = b == 1 && c == 1;
        if !n11 && !reserved {
            return format!("{a}{b}{c}");
        }
    }
}

/// A valid NANP number: area and exchange NXX (not N11; area middle digit
/// not 9, area not 37X or 96X).
pub(crate) fn phone(rng: &mut Rng, fmt: PhoneFmt) -> String {
    let area = nanp_part(rng, true);
    let exch = nanp_part(rng, false);
    let line = digits(rng, 4);
    format_phone(&area, &exch, &line, fmt)
}

fn format_phone(area: &str, exch: &str, line: &str, fmt: PhoneFmt) -> String {
    match fmt {
        PhoneFmt::Parens => format!("({area}) {exch}-{line}"),
        PhoneFmt::Dashes => join3(area, exch, line, "-"),
        PhoneFmt::Dots => join3(area, exch, line, "."),
        PhoneFmt::Intl => format!("+1 {area} {exch} {line}"),
        PhoneFmt::Bare => format!("{area}{exch}{line}"),
    }
}

/// A phone-shaped number whose area code is not NANP: N11, 0XX or 1XX.
pub(crate) fn bad_phone(rng: &mut Rng, fmt: PhoneFmt) -> String {
    let area = match rng.below(3) {
        0 => format!("{}11", rng.range(2, 9)),
        1 => format!("0{:02}", rng.range(0, 99)),
        _ => format!("1{:02}", rng.range(0, 99)),
    };
    let exch = nanp_part(rng, false);
    let line = digits(rng, 4);
    format_phone(&area, &exch, &line, fmt)
}

/// A National Drug Code in one of the forms 4-4-2, 5-3-2, 5-4-1, 5-4-2.
pub(crate) fn ndc(rng: &mut Rng) -> String {
    let (a, b, c) = rng.pick(&[(4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)]);
    join3(&digits(rng, a), &digits(rng, b), &digits(rng, c), "-")
}

/// A date of birth (year, month, day), a valid calendar date.
pub(crate) fn birth_date(rng: &mut Rng) -> (u64, u64, u64) {
    let y = rng.range(1930, 2015);
    let m = rng.range(1, 12);
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (y, m, rng.range(1, days))
}

/// A recent date (for visits, orders, logs: never a birth date).
pub(crate) fn recent_date(rng: &mut Rng) -> (u64, u64, u64) {
    (rng.range(2023, 2026), rng.range(1, 12), rng.range(1, 28))
}

/// A date as `MM/DD/YYYY`, `YYYY-MM-DD`, `MM-DD-YYYY` or `M/D/YYYY`.
pub(crate) fn fmt_date(rng: &mut Rng, (y, m, d): (u64, u64, u64)) -> String {
    match rng.below(4) {
        0 => format!("{m:02}/{d:02}/{y}"),
        1 => format!("{y}-{m:02}-{d:02}"),
        2 => format!("{m:02}-{d:02}-{y}"),
        _ => format!("{m}/{d}/{y}"),
    }
}

/// An ISO date `YYYY-MM-DD`.
pub(crate) fn iso_date((y, m, d): (u64, u64, u64)) -> String {
    format!("{y}-{m:02}-{d:02}")
}

/// A medical record number: 7 or 8 digits (leading zeros kept) or a letter
/// and 7 digits.
pub(crate) fn mrn(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("00{}", digits(rng, 6)),
        1 => format!("{}{}", rng.range(1, 9), digits(rng, 6)),
        _ => format!(
            "{}{}",
            char::from(b'A' + rng.below(26) as u8),
            digits(rng, 7)
        ),
    }
}

/// A person: (first, middle initial, last).
pub(crate) fn person(rng: &mut Rng) -> (&'static str, char, &'static str) {
    (
        rng.pick(FIRST),
        char::from(b'A' + rng.below(26) as u8),
        rng.pick(LAST),
    )
}

/// An email address at an example domain.
pub(crate) fn email(rng: &mut Rng, first: &str, last: &str) -> String {
    const DOMAINS: &[&str] = &[
        "example.com",
        "example.org",
        "example.net",
        "mail.example.com",
    ];
    let domain = rng.pick(DOMAINS);
    let (f, l) = (first.to_ascii_lowercase(), last.to_ascii_lowercase());
    match rng.below(3) {
        0 => format!("{f}.{l}@{domain}"),
        1 => format!("{}{l}{}@{domain}", &f[..1], rng.range(1, 99)),
        _ => format!("{f}_{l}{}@{domain}", rng.range(1950, 2010)),
    }
}

/// An IPv4 address (no loopback, no multicast), or now and then an IPv6
/// one in the documentation prefix.
pub(crate) fn ip(rng: &mut Rng) -> String {
    if rng.chance(10) {
        return format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.below(0x10000),
            rng.below(0x10000),
            rng.range(1, 0xffff)
        );
    }
    let a = loop {
        let a = rng.range(1, 223);
        if a != 127 {
            break a;
        }
    };
    format!(
        "{a}.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        rng.range(1, 254)
    )
}

/// A street line: number, name, suffix, sometimes a unit.
pub(crate) fn street(rng: &mut Rng) -> String {
    let mut s = format!(
        "{} {} {}",
        rng.range(10, 9899),
        rng.pick(STREET_NAMES),
        rng.pick(STREET_SUFFIXES)
    );
    if rng.chance(25) {
        s.push_str(&format!(
            " Apt {}{}",
            rng.range(1, 40),
            rng.pick(&["", "A", "B"])
        ));
    }
    s
}

/// A ZIP code, ZIP+4 when `plus4`.
pub(crate) fn zip(rng: &mut Rng, plus4: bool) -> String {
    let five = rng.range(1001, 99950);
    if plus4 {
        format!("{five:05}-{:04}", rng.range(1, 9999))
    } else {
        format!("{five:05}")
    }
}

/// A lowercase hex string of `n` digits.
pub(crate) fn hex(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.below(16) as usize]))
        .collect()
}

/// A version-4 UUID.
pub(crate) fn uuid(rng: &mut Rng) -> String {
    let h = hex(rng, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

/// An epoch timestamp in seconds (10 digits) or milliseconds (13 digits).
pub(crate) fn epoch(rng: &mut Rng, millis: bool) -> String {
    let secs = rng.range(1_600_000_000, 1_800_000_000);
    if millis {
        format!("{secs}{:03}", rng.below(1000))
    } else {
        secs.to_string()
    }
}

/// An order number like `ORD-2024-000123`.
pub(crate) fn order_no(rng: &mut Rng) -> String {
    format!("ORD-{}-{:06}", rng.range(2019, 2026), rng.range(1, 999_999))
}

/// A 9- or 10-digit order id.
pub(crate) fn order_id(rng: &mut Rng) -> String {
    let n = if rng.chance(50) { 9 } else { 10 };
    format!("{}{}", rng.range(1, 9), digits(rng, n - 1))
}

/// A SKU shaped like an ICD-10 code (letter, two digits, letter).
pub(crate) fn sku(rng: &mut Rng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTVWXYZ";
    format!(
        "{}{:02}{}",
        char::from(rng.pick(LETTERS)),
        rng.below(100),
        char::from(rng.pick(LETTERS))
    )
}

/// A parcel tracking number (UPS 1Z…, FedEx 12 digits, USPS 22 digits).
pub(crate) fn tracking(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("1Z{}{}", hex(rng, 6).to_ascii_uppercase(), digits(rng, 10)),
        1 => digits(rng, 12),
        _ => format!("9400{}", digits(rng, 18)),
    }
}

/// A four-part version number whose parts are all small (so it is also a
/// well-formed IPv4 address).
pub(crate) fn version4(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.range(1, 12),
        rng.below(20),
        rng.below(30),
        rng.range(1, 250)
    )
}
