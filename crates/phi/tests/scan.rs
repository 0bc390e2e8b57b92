//! Scanner behaviour, type by type: positives, hard negatives, exact
//! offsets, context, keys, threshold and type filtering.
//!
//! Every identifier here is synthetic (test card numbers, published example
//! MBIs, made-up SSNs in valid ranges).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_phi::{Match, PhiType, ScanConfig, Scanner};
use proptest::prelude::*;

fn scan_with(cfg: ScanConfig, input: &str, key: Option<&str>) -> Vec<Match> {
    let mut out = Vec::new();
    Scanner::new(cfg).scan(input, key, &mut out);
    out
}

fn scan(input: &str, key: Option<&str>) -> Vec<Match> {
    scan_with(ScanConfig::default(), input, key)
}

/// `expected`: the findings as (type, matched text), in order.
fn check(input: &str, key: Option<&str>, expected: &[(PhiType, &str)]) {
    let got = scan(input, key);
    let got_view: Vec<(PhiType, &str)> =
        got.iter().map(|m| (m.ty, &input[m.start..m.end])).collect();
    assert_eq!(got_view, expected, "input {input:?} key {key:?}: {got:?}");
}

fn none(input: &str, key: Option<&str>) {
    check(input, key, &[]);
}

#[test]
fn ssn() {
    use PhiType::UsSsn;
    check("ssn: 536-22-8741", None, &[(UsSsn, "536-22-8741")]);
    check("SSN 536 22 8741.", None, &[(UsSsn, "536 22 8741")]);
    check("536-22-8741", None, &[(UsSsn, "536-22-8741")]);
    check(
        "social security number 536228741",
        None,
        &[(UsSsn, "536228741")],
    );
    check("536228741", Some("patient.ssn"), &[(UsSsn, "536228741")]);
    // Invalid ranges and published numbers.
    none("ssn: 000-22-8741", None);
    none("ssn: 666-22-8741", None);
    none("ssn: 123-45-6789", None);
    // Inside a longer run, a UUID, a hash; ZIP+4 is not an SSN.
    none("id 15362287419", None);
    none("ssn 12-536-22-8741", None);
    none("ref a536228741b", None);
    check("zip 62701-1234", None, &[(PhiType::ZipCode, "62701-1234")]);
    // An order number is not an SSN.
    none("536228741", Some("order_id"));
    none("order 536228741", None);
    // Context that names another type: a routing number failing its
    // checksum is not taken for an SSN.
    none("routing 536228741", None);
    none("536228741", Some("routing_number"));
}

#[test]
fn itin() {
    check(
        "itin 912-70-1234",
        None,
        &[(PhiType::UsItin, "912-70-1234")],
    );
    // 9xx with a group outside the ITIN ranges is neither.
    none("itin 912-40-1234", None);
}

#[test]
fn npi() {
    use PhiType::UsNpi;
    check("NPI: 1234567893", None, &[(UsNpi, "1234567893")]);
    check("1234567893", Some("provider_npi"), &[(UsNpi, "1234567893")]);
    check("{\"npi\":\"1234567893\"}", None, &[(UsNpi, "1234567893")]);
    none("NPI: 1234567890", None);
    // Epoch seconds in the NPI range need NPI context.
    none("ts=1764324003 ok", None);
    none("1764324003", Some("timestamp"));
}

#[test]
fn dea_mbi() {
    check("DEA AB1234563", None, &[(PhiType::UsDea, "AB1234563")]);
    none("DEA AB1234564", None);
    check(
        "medicare 1EG4-TE5-MK73",
        None,
        &[(PhiType::UsMbi, "1EG4-TE5-MK73")],
    );
    check(
        "mbi=1EG4TE5MK73&x=1",
        None,
        &[(PhiType::UsMbi, "1EG4TE5MK73")],
    );
    // S, L, O, I, B, Z are not MBI letters.
    none("mbi 1SG4TE5MK73", None);
}

#[test]
fn cards_and_routing() {
    use PhiType::{CreditCard, UsBankRouting};
    check(
        "card 4111 1111 1111 1111",
        None,
        &[(CreditCard, "4111 1111 1111 1111")],
    );
    check(
        "4111111111111111",
        None,
        &[(CreditCard, "4111111111111111")],
    );
    check(
        "amex 3782-822463-10005",
        None,
        &[(CreditCard, "3782-822463-10005")],
    );
    none("card 4111 1111 1111 1112", None);
    // Epoch milliseconds fail the issuer ranges.
    none("ts 1764324003123", None);
    check("routing 011000015", None, &[(UsBankRouting, "011000015")]);
    check("011000015", Some("aba"), &[(UsBankRouting, "011000015")]);
    none("routing 011000016", None);
}

#[test]
fn phone_email_ip() {
    use PhiType::{EmailAddress, IpAddress, PhoneNumber};
    check(
        "call (415) 867-5309 now",
        None,
        &[(PhoneNumber, "(415) 867-5309")],
    );
    check(
        "tel: +1 415-867-5309",
        None,
        &[(PhoneNumber, "+1 415-867-5309")],
    );
    check("4158675309", Some("mobile"), &[(PhoneNumber, "4158675309")]);
    none("phone 115-867-5309", None);
    check(
        "mail jane.doe@example.com.",
        None,
        &[(EmailAddress, "jane.doe@example.com")],
    );
    check(
        "<a_b+c@mail.example.org>",
        None,
        &[(EmailAddress, "a_b+c@mail.example.org")],
    );
    none("user@localhost", None);
    check("client 10.1.2.3:443", None, &[(IpAddress, "10.1.2.3")]);
    check("http://10.1.2.3/x", None, &[(IpAddress, "10.1.2.3")]);
    check("from 2001:db8::1 ok", None, &[(IpAddress, "2001:db8::1")]);
    none("version 1.2.3.4", None);
    none("Chrome/120.0.0.0 Safari", None);
    none("1.2.3.4.5", None);
    none("999.1.2.3", None);
}

#[test]
fn clinical_codes() {
    use PhiType::{Icd10Code, Ndc};
    check("diagnosis E11.9", None, &[(Icd10Code, "E11.9")]);
    check("dx: J45", None, &[(Icd10Code, "J45")]);
    check("E11.65", Some("icd10"), &[(Icd10Code, "E11.65")]);
    // SKU shaped like a code: no decimal point and a negative word.
    none("sku A12 in stock", None);
    none("item A12", None);
    check("ndc 0002-3227-01", None, &[(Ndc, "0002-3227-01")]);
    check("NDC 12345-678-90", None, &[(Ndc, "12345-678-90")]);
}

#[test]
fn zip_dates_mrn() {
    use PhiType::{DateOfBirth, MedicalRecordNumber, ZipCode};
    check("zip 62701", None, &[(ZipCode, "62701")]);
    check("Springfield, IL 62701", None, &[(ZipCode, "62701")]);
    check("62701", Some("postal_code"), &[(ZipCode, "62701")]);
    none("took 62701 ms", None);
    // The response size of an access log line is another field than the
    // query string's zip.
    check(
        "\"GET /a?zip=62701 HTTP/1.1\" 200 51234 \"-\"",
        None,
        &[(ZipCode, "62701")],
    );
    check("{\"zip\": \"62701\"}", None, &[(ZipCode, "62701")]);
    check("62701", Some("home_address"), &[(ZipCode, "62701")]);
    check("DOB: 01/02/1980", None, &[(DateOfBirth, "01/02/1980")]);
    check(
        "born March 4, 1961",
        None,
        &[(DateOfBirth, "March 4, 1961")],
    );
    check(
        "1980-01-02",
        Some("birthDate"),
        &[(DateOfBirth, "1980-01-02")],
    );
    // A date without birth context is not a date of birth; timestamps never.
    none("visit 01/02/1980", None);
    none("dob 2026-11-28T10:00:00Z", None);
    none("dob 02/30/1980", None);
    check("MRN: 00123456", None, &[(MedicalRecordNumber, "00123456")]);
    check(
        "medical record number A1234567",
        None,
        &[(MedicalRecordNumber, "A1234567")],
    );
    check("MRN12345678", None, &[(MedicalRecordNumber, "MRN12345678")]);
    check(
        "00123456",
        Some("mrn"),
        &[(MedicalRecordNumber, "00123456")],
    );
    none("id 00123456", None);
}

#[test]
fn addresses_and_names() {
    use PhiType::{PersonName, StreetAddress};
    check(
        "Pt Smith, John, DOB 1/2/1980",
        None,
        &[
            (PersonName, "Smith, John"),
            (PhiType::DateOfBirth, "1/2/1980"),
        ],
    );
    // An IP is not lowered by a word that names another type.
    check(
        "npi 1234567893. Portal login from 10.1.2.3.",
        None,
        &[
            (PhiType::UsNpi, "1234567893"),
            (PhiType::IpAddress, "10.1.2.3"),
        ],
    );
    check(
        "lives at 123 Main Street, Apt 4B",
        None,
        &[(StreetAddress, "123 Main Street, Apt 4B")],
    );
    check(
        "1600 N Oak Ave.",
        None,
        &[(StreetAddress, "1600 N Oak Ave.")],
    );
    none("we shipped 3 Large Boxes today", None);
    check(
        "Patient: John Smith was seen",
        None,
        &[(PersonName, "John Smith")],
    );
    check(
        "seen by Dr. Maria Lopez-Garcia",
        None,
        &[(PersonName, "Maria Lopez-Garcia")],
    );
    check("{\"first_name\":\"Alice\"}", None, &[(PersonName, "Alice")]);
    check(
        " Alice B. Cooper ",
        Some("patient_name"),
        &[(PersonName, "Alice B. Cooper")],
    );
    check(
        "O'Brien, Mary",
        Some("Patient Name"),
        &[(PersonName, "O'Brien, Mary")],
    );
    check("John", Some("name[0].given[0]"), &[(PersonName, "John")]);
    none("{\"username\":\"Alice\"}", None);
    none("{\"file_name\":\"Report\"}", None);
    none("Alice", Some("username"));
    none("Windows NT Safari", None);
}

#[test]
fn offsets_are_bytes_after_non_ascii() {
    let text = "Ünïcödé — patient SSN: 536-22-8741 ✓";
    let got = scan(text, None);
    assert_eq!(got.len(), 1);
    let start = text.find("536").unwrap();
    assert_eq!((got[0].start, got[0].end), (start, start + 11));
    assert_eq!(got[0].ty, PhiType::UsSsn);
    assert!(got[0].validated);
    // A non-ASCII letter before the digits is a boundary, not a word.
    let text = "é536-22-8741";
    let got = scan(text, None);
    assert_eq!((got[0].start, got[0].end), (2, 13));
}

#[test]
fn matches_come_in_order_of_start() {
    let text = "ssn 536-22-8741 npi 1234567893 mail a@example.com ip 10.0.0.7";
    let got = scan(text, None);
    let types: Vec<PhiType> = got.iter().map(|m| m.ty).collect();
    assert_eq!(
        types,
        [
            PhiType::UsSsn,
            PhiType::UsNpi,
            PhiType::EmailAddress,
            PhiType::IpAddress
        ]
    );
    assert!(got.windows(2).all(|w| w[0].end <= w[1].start));
}

#[test]
fn context_raises_and_lowers() {
    let score = |text: &str, key: Option<&str>| scan_with(all_kept(), text, key)[0].score;
    let plain = score("x 536228741", None);
    let with_word = score("ssn 536228741", None);
    let with_key = score("536228741", Some("ssn"));
    let negative = score("order 536228741", None);
    assert!(with_word > plain + 0.2, "{with_word} vs {plain}");
    assert!(with_key > plain + 0.2, "{with_key} vs {plain}");
    assert!(negative < plain - 0.2, "{negative} vs {plain}");
    // The nearest word before decides; positive words after count.
    assert!(score("order 17 ssn 536228741", None) > plain);
    assert!(score("536-22-8741 (SSN)", None) > score("536-22-8741", None));
    // Words on word boundaries only: "cc" in "access" is nothing.
    assert_eq!(
        score("access 4111111111111111", None),
        score("x 4111111111111111", None)
    );
}

fn all_kept() -> ScanConfig {
    ScanConfig {
        threshold: 0.0,
        ..ScanConfig::default()
    }
}

#[test]
fn threshold_and_type_filter() {
    let text = "x 62702 then a long gap of words, ssn 536-22-8741 zip 62701";
    let low = scan_with(all_kept(), text, None);
    assert_eq!(low.len(), 3, "{low:?}");
    let high = scan_with(
        ScanConfig {
            threshold: 0.95,
            ..ScanConfig::default()
        },
        text,
        None,
    );
    assert_eq!(high.len(), 1, "{high:?}");
    let only_zip = scan_with(
        ScanConfig {
            types: vec![PhiType::ZipCode],
            ..ScanConfig::default()
        },
        text,
        None,
    );
    assert_eq!(only_zip.len(), 1, "{only_zip:?}");
    assert_eq!(only_zip[0].ty, PhiType::ZipCode);
    let nothing = scan_with(
        ScanConfig {
            types: vec![],
            ..ScanConfig::default()
        },
        text,
        None,
    );
    assert!(nothing.is_empty());
}

#[test]
fn one_type_per_span_best_score_wins() {
    // Nine digits valid as SSN and as routing number: context decides.
    let got = scan("routing 011234564", None);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].ty, PhiType::UsBankRouting);
    let got = scan("ssn 011234564", None);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].ty, PhiType::UsSsn);
}

#[test]
fn appends_without_clearing() {
    let scanner = Scanner::new(ScanConfig::default());
    let mut out = Vec::new();
    scanner.scan("ssn 536-22-8741", None, &mut out);
    scanner.scan("ssn 536-22-8741", None, &mut out);
    assert_eq!(out.len(), 2);
}

proptest! {
    #[test]
    fn never_panics_spans_on_char_boundaries(text in "\\PC{0,200}", key in proptest::option::of("[a-z_.]{0,12}")) {
        let got = scan_with(all_kept(), &text, key.as_deref());
        let mut last_start = 0;
        for m in &got {
            prop_assert!(m.start < m.end && m.end <= text.len());
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
            prop_assert!(m.start >= last_start);
            prop_assert!((0.0..=1.0).contains(&m.score));
            last_start = m.start;
        }
    }

    #[test]
    fn never_panics_on_identifier_soup(text in "[0-9A-Za-z@.:/ ()+_-]{0,120}") {
        let got = scan_with(all_kept(), &text, None);
        for m in &got {
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        }
    }
}
