#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Validators, type by type: tables of valid and invalid examples (all
//! synthetic or published test numbers), and property tests that build valid
//! numbers from their check-digit rules and break them with one change.

use phiwatch_phi::{validate, PhiType};
use proptest::prelude::*;

/// Asserts every `valid` example validates and every `invalid` one does not.
fn check(ty: PhiType, valid: &[&str], invalid: &[&str]) {
    for v in valid {
        assert_eq!(validate(ty, v), Some(true), "{ty} should accept {v:?}");
    }
    for v in invalid {
        assert_eq!(validate(ty, v), Some(false), "{ty} should reject {v:?}");
    }
}

/// The Luhn check digit for `payload` (independent of the crate's code).
fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = 2 * d;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn to_string(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

#[test]
fn ssn() {
    check(
        PhiType::UsSsn,
        &[
            "123-45-6780",
            "001-01-0001",
            "899 99 9999",
            "772.31.4455",
            "772314455",
            "665-12-3456",
        ],
        &[
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-99-9999",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "219-09-9999",
            "457-55-5462",
            "123-45-6789",
            "987-65-4321",
            "123-45-678",
            "123-456-789",
            "123-45 6789",
            "12a-45-6789",
            "",
        ],
    );
}

#[test]
fn itin() {
    check(
        PhiType::UsItin,
        &[
            "912-50-1234",
            "912-65-1234",
            "912-70-1234",
            "912-88-1234",
            "900-90-0000",
            "999-94-9999",
            "912991234",
        ],
        &[
            "912-49-1234",
            "912-66-1234",
            "912-69-1234",
            "912-89-1234",
            "912-93-1234",
            "812-70-1234",
            "912-7-01234",
        ],
    );
    // An ITIN is never a valid SSN: its area is 9xx.
    assert_eq!(validate(PhiType::UsSsn, "912-70-1234"), Some(false));
}

#[test]
fn npi() {
    check(
        PhiType::UsNpi,
        &["1234567893", "1245319599", "2000000002"],
        &[
            "1234567890",
            "1234567894",
            "123456789",
            "12345678930",
            "0234567893",
            "123-456-7893",
            "1234567a93",
        ],
    );
}

#[test]
fn dea() {
    check(
        PhiType::UsDea,
        &[
            "AB1234563",
            "BJ6125341",
            "FN0000000",
            "MA9999991",
            "X91234563",
            "ab1234563",
        ],
        &[
            "AB1234564",
            "IB1234563",
            "NB1234563",
            "A11234563",
            "AB123456",
            "AB12345634",
            "AB-1234563",
            "9B1234563",
        ],
    );
}

#[test]
fn mbi() {
    check(
        PhiType::UsMbi,
        &["1EG4-TE5-MK73", "1EG4TE5MK73", "9AA0A00AA00", "1A99C99CC99"],
        &[
            "0EG4-TE5-MK73",
            "1SG4-TE5-MK73",
            "1EG4-TE5-MK7",
            "1EGA-TE5-MK73",
            "1EG4-7E5-MK73",
            "1EG4-TE5-M173",
            "1EG4-TE5-MK7A",
            "1EG4TE5-MK73",
            "1EG-4TE5-MK73",
            "1EO4TE5MK73",
        ],
    );
}

#[test]
fn credit_card() {
    let valid = [
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "3530111333300000",
        "30569309025904",
        "2223003122003222",
        "4222222222222",
    ];
    check(PhiType::CreditCard, &valid, &["4111 1111 1111 1112"]);
    // Each published test number with its last digit changed fails Luhn.
    for v in valid {
        let mut b = v.as_bytes().to_vec();
        let last = b.last_mut().unwrap();
        *last = b'0' + (*last - b'0' + 1) % 10;
        let changed = String::from_utf8(b).unwrap();
        assert_eq!(
            validate(PhiType::CreditCard, &changed),
            Some(false),
            "{changed}"
        );
    }
    check(
        PhiType::CreditCard,
        &[
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "3782 822463 10005",
        ],
        &[
            // Luhn-valid, but no network (prefix 1, 9) or a wrong length.
            "1111111111111117",
            "9111111111111111",
            "37828224631000",
            "555555555555444",
            // Separators.
            "4111 1111-1111 1111",
            "4111  1111 1111 1111",
            "41 11111111111111",
            "4111 1111 1111 1111 ",
        ],
    );
}

#[test]
fn bank_routing() {
    check(
        PhiType::UsBankRouting,
        &[
            "011000015",
            "021000021",
            "026009593",
            "322271627",
            "121000358",
        ],
        &[
            "011000016",
            "021000022",
            "130000006",
            "900000002",
            "01100001",
            "0110000150",
            "011-000-015",
        ],
    );
}

#[test]
fn phone() {
    check(
        PhiType::PhoneNumber,
        &[
            "(212) 456-7890",
            "212-456-7890",
            "212.456.7890",
            "+1 212 456 7890",
            "1-800-234-5678",
            "2124567890",
        ],
        &[
            "012-456-7890",
            "112-456-7890",
            "911-456-7890",
            "292-456-7890",
            "375-456-7890",
            "961-456-7890",
            "212-056-7890",
            "212-411-7890",
            "212-555-0100",
            "212-555-0199",
            "212-456-789",
            "+44 212 456 7890",
            "(212 456-7890",
        ],
    );
}

#[test]
fn icd10() {
    check(
        PhiType::Icd10Code,
        &[
            "E11.9", "I10", "J45.909", "S72.001A", "T36.0X1A", "Z3A.20", "U07.1", "M1A.071", "F32A",
        ],
        &[
            "A1B",
            "U12",
            "E1",
            "E11.",
            "E11.12345",
            "1E1.9",
            "E1A.9",
            "E11..9",
            "E11-9",
        ],
    );
}

#[test]
fn ndc() {
    check(
        PhiType::Ndc,
        &[
            "0002-3227-30",
            "50090-347-01",
            "00093-7146-5",
            "00002-3227-30",
            "00002322730",
        ],
        &[
            "0002322730",
            "0000-3227-30",
            "00000-347-30",
            "002-3227-30",
            "0002-3227-301",
            "0002-3227",
        ],
    );
}

#[test]
fn date_of_birth() {
    check(
        PhiType::DateOfBirth,
        &[
            "1980-01-02",
            "01/02/1980",
            "1/2/1980",
            "2000-02-29",
            "Jan 2, 1980",
            "December 31 1999",
            "02-JAN-1980",
        ],
        &[
            "1900-02-29",
            "2001-02-29",
            "1980-04-31",
            "13/01/1980",
            "1980-00-10",
            "1879-06-01",
            "2031-01-01",
            "1/2/80",
            "1980-1-2",
        ],
    );
}

#[test]
fn ip_address() {
    check(
        PhiType::IpAddress,
        &[
            "192.0.2.10",
            "10.0.0.1",
            "2001:db8::1",
            "::1",
            "[2001:db8::1]",
        ],
        &[
            "192.0.2.256",
            "192.0.2",
            "192.0.2.010",
            "01.2.3.4",
            "2001:db8:::1",
            "1.2.3.4.5",
        ],
    );
}

#[test]
fn email() {
    check(
        PhiType::EmailAddress,
        &[
            "jane.doe@example.org",
            "j+tag@mail.example-clinic.com",
            "a_b@x.io",
        ],
        &[
            "jane.doe@example",
            "jane@example.c",
            "jane@example.123",
            "jane doe@example.org",
            "jane@@example.org",
            "jane.@example.org",
        ],
    );
}

#[test]
fn zip() {
    check(
        PhiType::ZipCode,
        &["02115", "02115-1234", "90210", "00501"],
        &[
            "00000",
            "00012",
            "0211",
            "021155",
            "02115-123",
            "02115_1234",
        ],
    );
}

#[test]
fn types_without_rules() {
    for ty in [
        PhiType::MedicalRecordNumber,
        PhiType::StreetAddress,
        PhiType::PersonName,
    ] {
        assert_eq!(validate(ty, "MRN 00123456"), None);
        assert!(!ty.has_validator());
    }
}

/// A single-digit change: a position and a nonzero delta.
fn flip(digits: &mut [u8], pos: usize, delta: u8) {
    let d = &mut digits[pos];
    *d = (*d + delta) % 10;
}

proptest! {
    #[test]
    fn npi_from_luhn(first in 1u8..=2, body in proptest::collection::vec(0u8..10, 8), pos in 0usize..10, delta in 1u8..10) {
        let mut ds = vec![first];
        ds.extend(body);
        let mut full = vec![8, 0, 8, 4, 0];
        full.extend(&ds);
        ds.push(luhn_check_digit(&full));
        prop_assert_eq!(validate(PhiType::UsNpi, &to_string(&ds)), Some(true));
        flip(&mut ds, pos, delta);
        prop_assert_eq!(validate(PhiType::UsNpi, &to_string(&ds)), Some(false));
    }

    #[test]
    fn visa_from_luhn(body in proptest::collection::vec(0u8..10, 14), pos in 0usize..16, delta in 1u8..10) {
        let mut ds = vec![4];
        ds.extend(body);
        ds.push(luhn_check_digit(&ds));
        prop_assert_eq!(validate(PhiType::CreditCard, &to_string(&ds)), Some(true));
        flip(&mut ds, pos, delta);
        prop_assert_eq!(validate(PhiType::CreditCard, &to_string(&ds)), Some(false));
    }

    #[test]
    fn mastercard_from_luhn(second in 1u8..=5, body in proptest::collection::vec(0u8..10, 13), pos in 2usize..16, delta in 1u8..10) {
        let mut ds = vec![5, second];
        ds.extend(body);
        ds.push(luhn_check_digit(&ds));
        let grouped: Vec<String> = ds.chunks(4).map(to_string).collect();
        prop_assert_eq!(validate(PhiType::CreditCard, &grouped.join(" ")), Some(true));
        flip(&mut ds, pos, delta);
        prop_assert_eq!(validate(PhiType::CreditCard, &to_string(&ds)), Some(false));
    }

    #[test]
    fn routing_from_checksum(prefix in prop_oneof![0u8..=12, 21u8..=32, 61u8..=72, Just(80u8)], body in proptest::collection::vec(0u8..10, 6), pos in 0usize..9, delta in 1u8..10) {
        let mut ds = vec![prefix / 10, prefix % 10];
        ds.extend(body);
        let w = [3u32, 7, 1, 3, 7, 1, 3, 7];
        let sum: u32 = ds.iter().zip(w).map(|(&d, w)| u32::from(d) * w).sum();
        ds.push(((10 - sum % 10) % 10) as u8);
        prop_assert_eq!(validate(PhiType::UsBankRouting, &to_string(&ds)), Some(true));
        flip(&mut ds, pos, delta);
        prop_assert_eq!(validate(PhiType::UsBankRouting, &to_string(&ds)), Some(false));
    }

    #[test]
    fn dea_from_check_digit(t in proptest::sample::select(b"ABCDEFGHJKLMPRSTUX".to_vec()), n in proptest::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ9".to_vec()), body in proptest::collection::vec(0u8..10, 6), pos in 0usize..7, delta in 1u8..10) {
        let mut ds = body;
        let odd = u32::from(ds[0] + ds[2] + ds[4]);
        let even = u32::from(ds[1] + ds[3] + ds[5]);
        ds.push(((odd + 2 * even) % 10) as u8);
        let text = |ds: &[u8]| format!("{}{}{}", char::from(t), char::from(n), to_string(ds));
        prop_assert_eq!(validate(PhiType::UsDea, &text(&ds)), Some(true));
        // Doubled positions (2nd, 4th, 6th) miss a change of 5: 2·5 ≡ 0.
        let weight = if pos % 2 == 1 { 2 } else { 1 };
        flip(&mut ds, pos, delta);
        let caught = (weight * u32::from(delta)) % 10 != 0;
        prop_assert_eq!(validate(PhiType::UsDea, &text(&ds)), Some(!caught));
    }

    #[test]
    fn mbi_positions(
        slots in proptest::collection::vec(0usize..1000, 11),
        bad in proptest::sample::select(b"SLOIBZ".to_vec()),
        alpha_pos in proptest::sample::select(vec![1usize, 4, 7, 8]),
    ) {
        const LETTERS: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
        const ALNUM: &[u8] = b"0123456789ACDEFGHJKMNPQRTUVWXY";
        let kinds = ["1-9", "A", "AN", "N", "A", "AN", "N", "A", "A", "N", "N"];
        let mut s: Vec<u8> = kinds.iter().zip(&slots).map(|(k, &r)| match *k {
            "1-9" => b'1' + (r % 9) as u8,
            "N" => b'0' + (r % 10) as u8,
            "A" => LETTERS[r % LETTERS.len()],
            _ => ALNUM[r % ALNUM.len()],
        }).collect();
        let text = String::from_utf8(s.clone()).unwrap();
        prop_assert_eq!(validate(PhiType::UsMbi, &text), Some(true));
        let dashed = format!("{}-{}-{}", &text[..4], &text[4..7], &text[7..]);
        prop_assert_eq!(validate(PhiType::UsMbi, &dashed), Some(true));
        s[alpha_pos] = bad;
        let broken = String::from_utf8(s).unwrap();
        prop_assert_eq!(validate(PhiType::UsMbi, &broken), Some(false));
    }

    #[test]
    fn ssn_ranges(area in 1u32..900, group in 1u32..100, serial in 1u32..10_000) {
        let s = format!("{area:03}-{group:02}-{serial:04}");
        let known = ["078-05-1120", "219-09-9999", "457-55-5462", "123-45-6789"];
        let expect = area != 666 && !known.contains(&s.as_str());
        prop_assert_eq!(validate(PhiType::UsSsn, &s), Some(expect));
        let zero_group = format!("{area:03}-00-{serial:04}");
        prop_assert_eq!(validate(PhiType::UsSsn, &zero_group), Some(false));
    }

    #[test]
    fn dates_round_trip(y in 1880u32..=2030, m in 1u32..=12, d in 1u32..=31) {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m { 2 if leap => 29, 2 => 28, 4 | 6 | 9 | 11 => 30, _ => 31 };
        let expect = d <= days;
        for s in [format!("{y}-{m:02}-{d:02}"), format!("{m}/{d}/{y}"), format!("{m:02}/{d:02}/{y}")] {
            prop_assert_eq!(validate(PhiType::DateOfBirth, &s), Some(expect), "{}", s);
        }
    }

    #[test]
    fn validators_take_any_input(s in "\\PC{0,40}", digits in "[0-9 .()+-]{0,24}") {
        for ty in PhiType::ALL {
            prop_assert_eq!(validate(ty, &s).is_some(), ty.has_validator());
            prop_assert_eq!(validate(ty, &digits).is_some(), ty.has_validator());
        }
    }
}
