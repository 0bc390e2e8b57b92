//! Validators: the structural and checksum rules of each identifier.
//!
//! [`validate`] takes the matched text of a candidate, separators included,
//! and checks it against the rules of its type: lengths, ranges, check digits,
//! character positions, calendar dates. Validators never allocate and never
//! panic; any byte string is a valid input. They look only at the candidate:
//! context (the word "SSN" nearby, a column header) is the scanner's job.
//!
//! ```
//! use phiwatch_phi::{validate, PhiType};
//!
//! assert_eq!(validate(PhiType::UsNpi, "1234567893"), Some(true));
//! assert_eq!(validate(PhiType::UsNpi, "1234567890"), Some(false));
//! assert_eq!(validate(PhiType::UsSsn, "666-12-3456"), Some(false));
//! assert_eq!(validate(PhiType::PersonName, "Ada Lovelace"), None);
//! ```
//!
//! Separators each type accepts:
//!
//! | type | forms |
//! | --- | --- |
//! | `US_SSN`, `US_ITIN` | `123456789`, or 3-2-4 groups split by one `-`, space or `.` (the same one twice) |
//! | `US_NPI`, `US_BANK_ROUTING`, `US_DEA` | no separators |
//! | `US_MBI` | `1EG4TE5MK73` or `1EG4-TE5-MK73` |
//! | `CREDIT_CARD` | digits, or groups of 4 (`4-6-5` and `4-6-4` too) split by one `-` or space |
//! | `PHONE_NUMBER` | `+1`/`1` prefix, `(`area code`)`, `-`, `.`, spaces |
//! | `NDC` | `4-4-2`, `5-3-2`, `5-4-1`, `5-4-2` with dashes, or 11 bare digits |
//! | `ZIP_CODE` | `12345`, `12345-6789`, `123456789` |

mod clinical;
mod contact;
mod date;
mod finance;
mod ids;

use crate::types::PhiType;

/// Longest candidate any validator looks at (an email address can be 254
/// bytes). Longer candidates are invalid for every type.
const MAX_LEN: usize = 256;

/// Whether `candidate` (the matched text, separators included) satisfies the
/// rules of `ty`: `Some(true)` valid, `Some(false)` invalid (wrong checksum,
/// reserved range, impossible date, …), `None` when the type has no rules to
/// check (names, addresses, medical record numbers; see
/// [`PhiType::has_validator`]).
///
/// The rules, type by type, are documented on the functions of the
/// submodules; in short:
///
/// - `US_SSN`: area not 000, 666 or 900–999, group not 00, serial not 0000,
///   and not a known published number (078-05-1120, 219-09-9999,
///   457-55-5462, 123-45-6789).
/// - `US_ITIN`: starts with 9, digits 4–5 in 50–65, 70–88, 90–92 or 94–99.
/// - `US_NPI`: first digit 1 or 2, Luhn over `80840` + the 10 digits.
/// - `US_DEA`: registrant letter, letter or `9`, 7 digits with the DEA check.
/// - `US_MBI`: the 11 CMS character positions.
/// - `CREDIT_CARD`: issuer prefix and length, Luhn.
/// - `US_BANK_ROUTING`: Federal Reserve prefix, 3-7-1 checksum.
/// - `PHONE_NUMBER`: NANP area code and exchange rules; 555-01XX is fictional.
/// - `ICD10_CODE`: ICD-10-CM category shape, optional subcategory.
/// - `NDC`: segment forms, a labeler code other than zero.
/// - `DATE_OF_BIRTH`: a real calendar date, year 1880–2030.
/// - `IP_ADDRESS`: IPv4 (no leading zeros) or IPv6.
/// - `EMAIL_ADDRESS`: dot-atom local part, host names, alphabetic TLD.
/// - `ZIP_CODE`: 5 or 9 digits, not in the unused 000 prefix.
pub fn validate(ty: PhiType, candidate: &str) -> Option<bool> {
    if !ty.has_validator() {
        return None;
    }
    if candidate.len() > MAX_LEN {
        return Some(false);
    }
    let s = candidate.as_bytes();
    let ok = match ty {
        PhiType::UsSsn => ids::ssn(s),
        PhiType::UsItin => ids::itin(s),
        PhiType::UsNpi => ids::npi(s),
        PhiType::UsDea => ids::dea(s),
        PhiType::UsMbi => ids::mbi(s),
        PhiType::CreditCard => finance::card(s),
        PhiType::UsBankRouting => finance::routing(s),
        PhiType::PhoneNumber => contact::phone(s),
        PhiType::EmailAddress => contact::email(s),
        PhiType::IpAddress => contact::ip(candidate),
        PhiType::ZipCode => contact::zip(s),
        PhiType::Icd10Code => clinical::icd10(s),
        PhiType::Ndc => clinical::ndc(s),
        PhiType::DateOfBirth => date::date(s),
        PhiType::MedicalRecordNumber | PhiType::StreetAddress | PhiType::PersonName => return None,
    };
    Some(ok)
}

/// Whether `digits` (values 0–9, check digit last) pass the Luhn check.
/// Values above 9 fail.
pub fn luhn_valid(digits: &[u8]) -> bool {
    !digits.is_empty() && digits.iter().all(|&d| d <= 9) && luhn_sum(digits, 0).is_multiple_of(10)
}

/// The Luhn sum of `digits` (check digit last), `offset` being the number of
/// digits that follow them (their parity decides which ones are doubled).
fn luhn_sum(digits: &[u8], offset: usize) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if (i + offset) % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum()
}

/// Up to 24 digit values (0–9) collected from a candidate, on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Digits {
    buf: [u8; 24],
    len: usize,
}

impl Digits {
    const fn new() -> Digits {
        Digits {
            buf: [0; 24],
            len: 0,
        }
    }

    /// Appends a digit value; false when full.
    fn push(&mut self, d: u8) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = d;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The number formed by digits `from..to` (0 when out of range).
    fn number(&self, from: usize, to: usize) -> u32 {
        self.as_slice()
            .get(from..to)
            .map_or(0, |ds| ds.iter().fold(0, |n, &d| n * 10 + u32::from(d)))
    }
}

/// Parses `s` as digits written in `groups` (lengths), either run together
/// or split by one separator from `seps`, the same one between every group.
fn grouped(s: &[u8], groups: &[usize], seps: &[u8]) -> Option<Digits> {
    let total: usize = groups.iter().sum();
    let mut out = Digits::new();
    if s.len() == total {
        for &b in s {
            if !b.is_ascii_digit() || !out.push(b - b'0') {
                return None;
            }
        }
        return Some(out);
    }
    if s.len() != total + groups.len().saturating_sub(1) {
        return None;
    }
    let mut sep = None;
    let mut i = 0;
    for (g, &len) in groups.iter().enumerate() {
        if g > 0 {
            let b = *s.get(i)?;
            if !seps.contains(&b) || sep.is_some_and(|x| x != b) {
                return None;
            }
            sep = Some(b);
            i += 1;
        }
        for &b in s.get(i..i + len)? {
            if !b.is_ascii_digit() || !out.push(b - b'0') {
                return None;
            }
        }
        i += len;
    }
    Some(out)
}

/// Parses `s` as bare digits only.
fn bare_digits(s: &[u8]) -> Option<Digits> {
    let mut out = Digits::new();
    for &b in s {
        if !b.is_ascii_digit() || !out.push(b - b'0') {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_accepts_run_together_or_one_consistent_separator() {
        let g = [3, 2, 4];
        let seps = b"- .";
        assert!(grouped(b"123456789", &g, seps).is_some());
        assert!(grouped(b"123-45-6789", &g, seps).is_some());
        assert!(grouped(b"123 45 6789", &g, seps).is_some());
        assert!(grouped(b"123-45 6789", &g, seps).is_none());
        assert!(grouped(b"12-345-6789", &g, seps).is_none());
        assert!(grouped(b"123/45/6789", &g, seps).is_none());
        assert!(grouped(b"12345678", &g, seps).is_none());
        assert!(grouped(b"", &g, seps).is_none());
        let d = grouped(b"123-45-6789", &g, seps).map(|d| d.number(3, 5));
        assert_eq!(d, Some(45));
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
        assert!(!luhn_valid(&[]));
        assert!(!luhn_valid(&[10]));
    }

    #[test]
    fn types_without_rules_give_none_and_long_input_is_invalid() {
        for ty in PhiType::ALL {
            let long = "1".repeat(MAX_LEN + 1);
            let got = validate(ty, &long);
            assert_eq!(got.is_some(), ty.has_validator(), "{ty}");
            assert_ne!(got, Some(true), "{ty}");
        }
    }
}
