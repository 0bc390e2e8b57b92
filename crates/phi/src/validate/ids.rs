//! Person and provider numbers: SSN, ITIN, NPI, DEA, MBI.

use super::{bare_digits, grouped, luhn_sum};

/// SSN and ITIN are written 3-2-4.
const SSN_GROUPS: [usize; 3] = [3, 2, 4];
const SSN_SEPS: &[u8] = b"- .";

/// Numbers that satisfy the range rules but are known not to be anyone's:
/// 078-05-1120 (printed on the sample card sold in Woolworth wallets in
/// 1938, voided by the SSA) and 219-09-9999 (an SSA advertisement) were
/// never valid; 457-55-5462 was published in an advertising campaign and
/// has been used by thousands of impostors; 123-45-6789 is the universal
/// placeholder. All four are treated as invalid so that sample data and
/// documentation do not raise findings. (987-65-4320 to 987-65-4329, the
/// SSA's reserved advertising numbers, already fail the 900–999 area rule.)
const KNOWN_INVALID_SSNS: [u32; 4] = [78_051_120, 219_099_999, 457_555_462, 123_456_789];

/// US Social Security number: 9 digits (3-2-4 with `-`, space or `.`);
/// area (first 3) not 000, 666 or 900–999; group (next 2) not 00; serial
/// (last 4) not 0000; not one of the known published numbers.
pub(super) fn ssn(s: &[u8]) -> bool {
    let Some(d) = grouped(s, &SSN_GROUPS, SSN_SEPS) else {
        return false;
    };
    let area = d.number(0, 3);
    let group = d.number(3, 5);
    let serial = d.number(5, 9);
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !KNOWN_INVALID_SSNS.contains(&d.number(0, 9))
}

/// Individual Taxpayer Identification Number: 9 digits (3-2-4) starting with
/// 9, the 4th–5th digits in 50–65, 70–88, 90–92 or 94–99 (the IRS ranges).
pub(super) fn itin(s: &[u8]) -> bool {
    let Some(d) = grouped(s, &SSN_GROUPS, SSN_SEPS) else {
        return false;
    };
    let middle = d.number(3, 5);
    d.number(0, 1) == 9 && matches!(middle, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// National Provider Identifier: 10 bare digits, the first 1 or 2 (the only
/// first digits CMS issues), and the Luhn check over the ISO card-issuer
/// prefix `80840` followed by the 10 digits (the 10th is the check digit).
pub(super) fn npi(s: &[u8]) -> bool {
    let Some(d) = bare_digits(s) else {
        return false;
    };
    let ds = d.as_slice();
    if ds.len() != 10 || !matches!(ds.first(), Some(1 | 2)) {
        return false;
    }
    // The prefix 80840 sits at offsets 10..15 from the right.
    let prefix = luhn_sum(&[8, 0, 8, 4, 0], 10);
    (prefix + luhn_sum(ds, 0)).is_multiple_of(10)
}

/// The first letter of a DEA number: the registrant type (A, B, F, G for
/// practitioners and hospitals, M for mid-level practitioners, P–U for
/// distributors and manufacturers, X for buprenorphine prescribers, …).
const DEA_TYPES: &[u8] = b"ABCDEFGHJKLMPRSTUX";

/// DEA registration number: 2 letters and 7 digits, no separators. The first
/// letter is a registrant type, the second the first letter of the
/// registrant's last name (or `9`); the 7th digit is the last digit of
/// `d1 + d3 + d5 + 2 × (d2 + d4 + d6)`. Letters in either case.
pub(super) fn dea(s: &[u8]) -> bool {
    let [t, n, rest @ ..] = s else {
        return false;
    };
    if rest.len() != 7 || !DEA_TYPES.contains(&t.to_ascii_uppercase()) {
        return false;
    }
    if !(n.is_ascii_alphabetic() || *n == b'9') {
        return false;
    }
    let Some(d) = bare_digits(rest) else {
        return false;
    };
    let [d1, d2, d3, d4, d5, d6, d7] = [0, 1, 2, 3, 4, 5, 6].map(|i| u32::from(d.buf[i]));
    (d1 + d3 + d5 + 2 * (d2 + d4 + d6)) % 10 == d7
}

/// What each of the 11 MBI positions may hold.
#[derive(Clone, Copy)]
enum Slot {
    /// 1–9.
    NonZero,
    /// 0–9.
    Numeric,
    /// A letter other than S, L, O, I, B, Z.
    Alpha,
    /// `Numeric` or `Alpha`.
    AlphaNumeric,
}

/// The CMS MBI format: C A AN N A AN N A A N N.
const MBI_SLOTS: [Slot; 11] = [
    Slot::NonZero,
    Slot::Alpha,
    Slot::AlphaNumeric,
    Slot::Numeric,
    Slot::Alpha,
    Slot::AlphaNumeric,
    Slot::Numeric,
    Slot::Alpha,
    Slot::Alpha,
    Slot::Numeric,
    Slot::Numeric,
];

fn mbi_letter(b: u8) -> bool {
    let b = b.to_ascii_uppercase();
    b.is_ascii_uppercase() && !b"SLOIBZ".contains(&b)
}

/// Medicare Beneficiary Identifier: 11 characters in the CMS positions
/// (1: 1–9; 2, 5, 8, 9: letter; 3, 6: letter or digit; 4, 7, 10, 11:
/// digit), letters excluding S, L, O, I, B and Z (either case), written
/// bare (`1EG4TE5MK73`) or with dashes after the 4th and 7th characters
/// (`1EG4-TE5-MK73`).
pub(super) fn mbi(s: &[u8]) -> bool {
    let mut buf = [0u8; 11];
    match s.len() {
        11 => buf.copy_from_slice(s),
        13 => {
            if s.get(4) != Some(&b'-') || s.get(8) != Some(&b'-') {
                return false;
            }
            let parts = [s.get(0..4), s.get(5..8), s.get(9..13)];
            let mut i = 0;
            for part in parts {
                for &b in part.unwrap_or(&[]) {
                    buf[i] = b;
                    i += 1;
                }
            }
        }
        _ => return false,
    }
    buf.iter().zip(MBI_SLOTS).all(|(&b, slot)| match slot {
        Slot::NonZero => matches!(b, b'1'..=b'9'),
        Slot::Numeric => b.is_ascii_digit(),
        Slot::Alpha => mbi_letter(b),
        Slot::AlphaNumeric => b.is_ascii_digit() || mbi_letter(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssn_ranges() {
        assert!(ssn(b"001-01-0001"));
        assert!(ssn(b"899-99-9999"));
        assert!(!ssn(b"000-12-3456"));
        assert!(!ssn(b"666-12-3456"));
        assert!(!ssn(b"900-12-3456"));
        assert!(!ssn(b"123-00-4567"));
        assert!(!ssn(b"123-45-0000"));
        assert!(!ssn(b"078-05-1120"));
        assert!(!ssn(b"12-345-6789"));
    }

    #[test]
    fn itin_middle_ranges() {
        for (mid, ok) in [(49, false), (50, true), (65, true), (66, false), (70, true)] {
            let s = format!("912-{mid:02}-3456");
            assert_eq!(itin(s.as_bytes()), ok, "{s}");
        }
        assert!(!itin(b"812-70-3456"));
        assert!(!itin(b"912-93-3456"));
    }

    #[test]
    fn npi_check_digit() {
        assert!(npi(b"1234567893"));
        assert!(!npi(b"1234567890"));
        assert!(!npi(b"123456789"));
        // Passes the check digit but starts with 3.
        assert!(!npi(b"3234567899"));
    }

    #[test]
    fn dea_check_digit_and_letters() {
        assert!(dea(b"AB1234563"));
        assert!(dea(b"ab1234563"));
        assert!(dea(b"M91234563"));
        assert!(!dea(b"AB1234564"));
        assert!(!dea(b"IB1234563"));
        assert!(!dea(b"A11234563"));
        assert!(!dea(b"AB123456"));
    }

    #[test]
    fn mbi_positions() {
        assert!(mbi(b"1EG4-TE5-MK73"));
        assert!(mbi(b"1EG4TE5MK73"));
        assert!(mbi(b"1eg4te5mk73"));
        assert!(!mbi(b"0EG4TE5MK73"));
        assert!(!mbi(b"1SG4TE5MK73"));
        assert!(!mbi(b"1EG4-TE5MK73"));
        assert!(!mbi(b"1EGATE5MK73"));
    }
}
