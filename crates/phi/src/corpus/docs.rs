//! Free-text clinical notes: a header naming the patient, then sentences
//! drawn at random, each with true identifiers, hard negatives or both.

use super::ids::{self, CardFmt, PhoneFmt};
use super::{Builder, SplitMix64 as Rng};
use crate::types::PhiType as T;

/// One clinical note.
pub(crate) fn note(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    header(&mut b, r);
    let n = r.range(8, 14);
    for _ in 0..n {
        b.t(" ");
        let pick = r.below(SENTENCES.len() as u64) as usize;
        SENTENCES[pick](&mut b, r);
    }
    b.t("\n");
    b
}

fn header(b: &mut Builder, r: &mut Rng) {
    let (first, mid, last) = ids::person(r);
    let name = match r.below(3) {
        0 => format!("{first} {mid}. {last}"),
        1 => format!("{first} {last}"),
        _ => format!("{last}, {first}"),
    };
    let lead = r.pick(&["Pt ", "Patient: ", "Patient name: ", "Name: "]);
    b.t(lead).p(T::PersonName, &name);
    let dob = ids::birth_date(r);
    let dob_s = ids::fmt_date(r, dob);
    match r.below(3) {
        0 => b.t(", DOB ").p(T::DateOfBirth, &dob_s),
        1 => b.t(", born ").p(T::DateOfBirth, &dob_s),
        _ => b.t(", date of birth: ").p(T::DateOfBirth, &dob_s),
    };
    let mrn_kw = r.pick(&[", MRN ", ", MRN: ", ", medical record # ", ", Med Rec No. "]);
    b.t(mrn_kw).p(T::MedicalRecordNumber, &ids::mrn(r));
    if r.chance(60) {
        let sep = if r.chance(80) { "-" } else { " " };
        b.t(", SSN ").p(T::UsSsn, &ids::ssn(r, sep));
    }
    b.t(".\n");
}

type Sentence = fn(&mut Builder, &mut Rng);

const SENTENCES: &[Sentence] = &[
    visit, dx_list, rx, contact, address, insurance, billing, itin, ssn_bare, orders, bad_ssn,
    bad_card, bad_phone, bad_npi, device, epochs, bad_aba, bad_dea, portal_ip, skus, accession,
    next_visit, bad_mbi,
];

fn visit(b: &mut Builder, r: &mut Rng) {
    let d = ids::recent_date(r);
    let ds = ids::fmt_date(r, d);
    let code = r.pick(ids::ICD10);
    b.t("Seen on ")
        .n("date_visit", &ds)
        .t(" for follow-up (ICD-10 ");
    b.p(T::Icd10Code, code).t("); vitals stable.");
}

fn dx_list(b: &mut Builder, r: &mut Rng) {
    b.t("Dx: ");
    let n = r.range(1, 3);
    for i in 0..n {
        if i > 0 {
            b.t(", ");
        }
        b.p(T::Icd10Code, r.pick(ids::ICD10));
    }
    b.t(".");
}

fn rx(b: &mut Builder, r: &mut Rng) {
    let drug = r.pick(ids::DRUGS);
    b.t("Rx ").t(drug).t(", NDC ").p(T::Ndc, &ids::ndc(r));
    b.t(", prescriber NPI ").p(T::UsNpi, &ids::npi(r));
    b.t(" DEA ").p(T::UsDea, &ids::dea(r)).t(".");
}

fn contact(b: &mut Builder, r: &mut Rng) {
    let fmt = r.pick(&[
        PhoneFmt::Parens,
        PhoneFmt::Dashes,
        PhoneFmt::Dots,
        PhoneFmt::Intl,
        PhoneFmt::Bare,
    ]);
    b.t("Contact phone ").p(T::PhoneNumber, &ids::phone(r, fmt));
    let (first, _, last) = ids::person(r);
    b.t(", email ")
        .p(T::EmailAddress, &ids::email(r, first, last))
        .t(".");
}

fn address(b: &mut Builder, r: &mut Rng) {
    b.t("Lives at ").p(T::StreetAddress, &ids::street(r));
    b.t(", ")
        .t(r.pick(ids::CITIES))
        .t(", ")
        .t(r.pick(ids::STATES))
        .t(" ");
    let plus4 = r.chance(30);
    b.p(T::ZipCode, &ids::zip(r, plus4)).t(".");
}

fn insurance(b: &mut Builder, r: &mut Rng) {
    let dashed = r.chance(40);
    let kw = r.pick(&["Medicare MBI ", "MBI: ", "Medicare beneficiary id "]);
    b.t(kw).p(T::UsMbi, &ids::mbi(r, dashed)).t(" verified.");
}

fn billing(b: &mut Builder, r: &mut Rng) {
    let fmt = r.pick(&[CardFmt::Spaces, CardFmt::Dashes, CardFmt::Plain]);
    b.t("Card on file ").p(T::CreditCard, &ids::card(r, fmt));
    b.t("; refunds to routing number ")
        .p(T::UsBankRouting, &ids::aba(r))
        .t(".");
}

fn itin(b: &mut Builder, r: &mut Rng) {
    let sep = if r.chance(80) { "-" } else { "" };
    b.t("No SSN; ITIN ")
        .p(T::UsItin, &ids::itin(r, sep))
        .t(" on file.");
}

fn ssn_bare(b: &mut Builder, r: &mut Rng) {
    b.t("SSN: ").p(T::UsSsn, &ids::ssn(r, "")).t(" (verified).");
}

fn orders(b: &mut Builder, r: &mut Rng) {
    b.t("Supplies order ").n("order_number", &ids::order_no(r));
    b.t(" (order id ").n("order_id", &ids::order_id(r));
    b.t(") shipped, tracking ")
        .n("tracking", &ids::tracking(r))
        .t(".");
}

fn bad_ssn(b: &mut Builder, r: &mut Rng) {
    b.t("SSN ").n("ssn_bad_range", &ids::bad_ssn(r));
    b.t(" on the intake form was rejected as invalid.");
}

fn bad_card(b: &mut Builder, r: &mut Rng) {
    let fmt = r.pick(&[CardFmt::Spaces, CardFmt::Dashes, CardFmt::Plain]);
    b.t("Declined card ")
        .n("card_luhn_fail", &ids::bad_card(r, fmt));
    b.t(" (typo).");
}

fn bad_phone(b: &mut Builder, r: &mut Rng) {
    let fmt = r.pick(&[PhoneFmt::Parens, PhoneFmt::Dashes, PhoneFmt::Dots]);
    b.t("Callback number ")
        .n("phone_bad_area", &ids::bad_phone(r, fmt));
    b.t(" could not be dialed.");
}

fn bad_npi(b: &mut Builder, r: &mut Rng) {
    b.t("Referring NPI ").n("npi_luhn_fail", &ids::bad_npi(r));
    b.t(" not found in registry.");
}

fn device(b: &mut Builder, r: &mut Rng) {
    b.t("Pump firmware version ")
        .n("version", &ids::version4(r));
    b.t(", upload ").n("sha1", &ids::hex(r, 40));
    b.t(", session ").n("uuid", &ids::uuid(r)).t(".");
}

fn epochs(b: &mut Builder, r: &mut Rng) {
    b.t("Glucose meter synced at ")
        .n("epoch_s", &ids::epoch(r, false));
    b.t(" (").n("epoch_ms", &ids::epoch(r, true)).t(" ms).");
}

fn bad_aba(b: &mut Builder, r: &mut Rng) {
    b.t("Routing number ")
        .n("aba_checksum_fail", &ids::bad_aba(r));
    b.t(" failed validation.");
}

fn bad_dea(b: &mut Builder, r: &mut Rng) {
    b.t("DEA ").n("dea_check_fail", &ids::bad_dea(r));
    b.t(" did not verify.");
}

fn portal_ip(b: &mut Builder, r: &mut Rng) {
    b.t("Portal login from ")
        .p(T::IpAddress, &ids::ip(r))
        .t(".");
}

fn skus(b: &mut Builder, r: &mut Rng) {
    b.t("Dispensed kit SKU ").n("sku", &ids::sku(r));
    b.t(" and SKU ").n("sku", &ids::sku(r)).t(".");
}

fn accession(b: &mut Builder, r: &mut Rng) {
    b.t("Lab accession #")
        .n("five_digits", &format!("{}", r.range(10000, 99999)));
    b.t(", ").t(&format!("{}", r.range(2, 9))).t(" tubes.");
}

fn next_visit(b: &mut Builder, r: &mut Rng) {
    let d = ids::recent_date(r);
    let ds = ids::fmt_date(r, d);
    b.t("Next appointment ").n("date_visit", &ds).t(".");
}

fn bad_mbi(b: &mut Builder, r: &mut Rng) {
    b.t("Old Medicare id ").n("mbi_bad_char", &ids::bad_mbi(r));
    b.t(" was rejected.");
}
