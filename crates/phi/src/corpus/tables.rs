//! Structured documents: CSV exports (telling headers, and generic
//! `col1..colN` headers where only the value's shape tells), FHIR-like JSON
//! bodies and NDJSON application events.

use super::ids::{self, CardFmt, PhoneFmt};
use super::{Builder, SplitMix64 as Rng, Val};
use crate::types::PhiType as T;

/// A column: its header and how to make one cell.
type Column = (&'static str, fn(&mut Builder, &mut Rng));

const PATIENTS: &[Column] = &[
    ("first_name", |b, r| {
        b.p(T::PersonName, r.pick(ids::FIRST));
    }),
    ("last_name", |b, r| {
        b.p(T::PersonName, r.pick(ids::LAST));
    }),
    ("dob", |b, r| {
        let d = ids::birth_date(r);
        b.p(T::DateOfBirth, &ids::fmt_date(r, d));
    }),
    ("ssn", |b, r| {
        let sep = r.pick(&["-", "", "-"]);
        b.p(T::UsSsn, &ids::ssn(r, sep));
    }),
    ("mrn", |b, r| {
        b.p(T::MedicalRecordNumber, &ids::mrn(r));
    }),
    ("phone", |b, r| {
        let f = r.pick(&[PhoneFmt::Parens, PhoneFmt::Dashes, PhoneFmt::Bare]);
        b.p(T::PhoneNumber, &ids::phone(r, f));
    }),
    ("email", |b, r| {
        let (f, _, l) = ids::person(r);
        b.p(T::EmailAddress, &ids::email(r, f, l));
    }),
    ("street", |b, r| {
        b.p(T::StreetAddress, &ids::street(r));
    }),
    ("city", |b, r| {
        b.t(r.pick(ids::CITIES));
    }),
    ("zip", |b, r| {
        let plus4 = r.chance(25);
        b.p(T::ZipCode, &ids::zip(r, plus4));
    }),
    ("visit_date", |b, r| {
        let d = ids::recent_date(r);
        b.n("date_visit", &ids::iso_date(d));
    }),
];

const CLAIMS: &[Column] = &[
    ("claim_id", |b, r| {
        b.n("order_number", &ids::order_no(r));
    }),
    ("member_id", |b, r| {
        let dashed = r.chance(30);
        b.p(T::UsMbi, &ids::mbi(r, dashed));
    }),
    ("npi", |b, r| {
        b.p(T::UsNpi, &ids::npi(r));
    }),
    ("dea", |b, r| {
        b.p(T::UsDea, &ids::dea(r));
    }),
    ("icd10", |b, r| {
        b.p(T::Icd10Code, r.pick(ids::ICD10));
    }),
    ("ndc", |b, r| {
        b.p(T::Ndc, &ids::ndc(r));
    }),
    ("service_date", |b, r| {
        let d = ids::recent_date(r);
        b.n("date_visit", &ids::iso_date(d));
    }),
    ("sku", |b, r| {
        b.n("sku", &ids::sku(r));
    }),
    ("amount", |b, r| {
        b.t(&format!("{}.{:02}", r.range(5, 4000), r.below(100)));
    }),
];

const BILLING: &[Column] = &[
    ("patient_name", |b, r| {
        let (f, _, l) = ids::person(r);
        b.p(T::PersonName, &format!("{f} {l}"));
    }),
    ("card_number", |b, r| {
        let f = r.pick(&[CardFmt::Plain, CardFmt::Spaces, CardFmt::Dashes]);
        b.p(T::CreditCard, &ids::card(r, f));
    }),
    ("routing_number", |b, r| {
        b.p(T::UsBankRouting, &ids::aba(r));
    }),
    ("itin", |b, r| {
        b.p(T::UsItin, &ids::itin(r, "-"));
    }),
    ("billing_zip", |b, r| {
        b.p(T::ZipCode, &ids::zip(r, false));
    }),
    ("order_id", |b, r| {
        b.n("order_id", &ids::order_id(r));
    }),
    ("created_epoch", |b, r| {
        b.n("epoch_s", &ids::epoch(r, false));
    }),
    ("client_ip", |b, r| {
        b.p(T::IpAddress, &ids::ip(r));
    }),
];

/// Columns whose values tell their type by shape alone, and negatives.
const GENERIC: &[Column] = &[
    ("ssn", |b, r| {
        b.p(T::UsSsn, &ids::ssn(r, "-"));
    }),
    ("mbi", |b, r| {
        let dashed = r.chance(50);
        b.p(T::UsMbi, &ids::mbi(r, dashed));
    }),
    ("card", |b, r| {
        let f = r.pick(&[CardFmt::Spaces, CardFmt::Dashes, CardFmt::Plain]);
        b.p(T::CreditCard, &ids::card(r, f));
    }),
    ("email", |b, r| {
        let (f, _, l) = ids::person(r);
        b.p(T::EmailAddress, &ids::email(r, f, l));
    }),
    ("phone", |b, r| {
        let f = r.pick(&[PhoneFmt::Parens, PhoneFmt::Intl]);
        b.p(T::PhoneNumber, &ids::phone(r, f));
    }),
    ("dea", |b, r| {
        b.p(T::UsDea, &ids::dea(r));
    }),
    ("ip", |b, r| {
        b.p(T::IpAddress, &ids::ip(r));
    }),
    ("uuid", |b, r| {
        b.n("uuid", &ids::uuid(r));
    }),
    ("epoch_ms", |b, r| {
        b.n("epoch_ms", &ids::epoch(r, true));
    }),
    ("date", |b, r| {
        let d = ids::recent_date(r);
        b.n("date_visit", &ids::iso_date(d));
    }),
    ("bad_card", |b, r| {
        b.n("card_luhn_fail", &ids::bad_card(r, CardFmt::Spaces));
    }),
    ("bad_ssn", |b, r| {
        b.n("ssn_bad_range", &ids::bad_ssn(r));
    }),
    ("bad_phone", |b, r| {
        b.n("phone_bad_area", &ids::bad_phone(r, PhoneFmt::Dashes));
    }),
    ("bad_dea", |b, r| {
        b.n("dea_check_fail", &ids::bad_dea(r));
    }),
    ("bad_mbi", |b, r| {
        b.n("mbi_bad_char", &ids::bad_mbi(r));
    }),
    ("hash", |b, r| {
        b.n("sha256", &ids::hex(r, 64));
    }),
];

fn table(r: &mut Rng, cols: &[Column], headers: &[String]) -> Builder {
    let mut b = Builder::default();
    b.t(&headers.join(","));
    b.t("\n");
    let rows = r.range(12, 30);
    for _ in 0..rows {
        for (i, (_, cell)) in cols.iter().enumerate() {
            if i > 0 {
                b.t(",");
            }
            cell(&mut b, r);
        }
        b.t("\n");
    }
    b
}

/// Up to `n` distinct columns of `from`, in their order.
fn choose(r: &mut Rng, from: &[Column], n: usize) -> Vec<Column> {
    let mut keep: Vec<Column> = from.to_vec();
    while keep.len() > n {
        let i = r.below(keep.len() as u64) as usize;
        keep.remove(i);
    }
    keep
}

/// A CSV export with telling headers (patients, claims or billing).
pub(crate) fn csv_headers(r: &mut Rng) -> Builder {
    let schema = r.pick(&[PATIENTS, CLAIMS, BILLING]);
    let n = r.range(schema.len() as u64 - 2, schema.len() as u64) as usize;
    let cols = choose(r, schema, n);
    let headers: Vec<String> = cols.iter().map(|(h, _)| (*h).to_string()).collect();
    table(r, &cols, &headers)
}

/// A CSV export whose header is `col1..colN`: only the shape of a value
/// can tell what it is.
pub(crate) fn csv_generic(r: &mut Rng) -> Builder {
    let n = r.range(5, 9) as usize;
    let cols = choose(r, GENERIC, n);
    let headers: Vec<String> = (1..=cols.len()).map(|i| format!("col{i}")).collect();
    table(r, &cols, &headers)
}

/// Appends `"key": "value",\n` at `indent` with the value labeled.
fn kv(b: &mut Builder, indent: &str, key: &str, what: Val, value: &str, last: bool) {
    b.t(indent)
        .t("\"")
        .t(key)
        .t("\": \"")
        .v(what, value)
        .t("\"");
    b.t(if last { "\n" } else { ",\n" });
}

/// A FHIR-like Patient or Claim resource, pretty-printed.
pub(crate) fn json(r: &mut Rng) -> Builder {
    if r.chance(50) {
        patient(r)
    } else {
        claim(r)
    }
}

fn patient(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let (first, mid, last) = ids::person(r);
    b.t("{\n  \"resourceType\": \"Patient\",\n");
    kv(&mut b, "  ", "id", Val::Neg("uuid"), &ids::uuid(r), false);
    b.t("  \"identifier\": [\n    {\n");
    kv(
        &mut b,
        "      ",
        "system",
        Val::Plain,
        "http://hl7.org/fhir/sid/us-ssn",
        false,
    );
    kv(
        &mut b,
        "      ",
        "value",
        Val::Phi(T::UsSsn),
        &ids::ssn(r, "-"),
        true,
    );
    b.t("    },\n    {\n");
    kv(
        &mut b,
        "      ",
        "system",
        Val::Plain,
        "http://hl7.org/fhir/sid/us-mbi",
        false,
    );
    let dashed = r.chance(50);
    let mbi = ids::mbi(r, dashed);
    kv(&mut b, "      ", "value", Val::Phi(T::UsMbi), &mbi, true);
    b.t("    }\n  ],\n");
    kv(
        &mut b,
        "  ",
        "mrn",
        Val::Phi(T::MedicalRecordNumber),
        &ids::mrn(r),
        false,
    );
    b.t("  \"name\": [\n    {\n");
    kv(
        &mut b,
        "      ",
        "family",
        Val::Phi(T::PersonName),
        last,
        false,
    );
    b.t("      \"given\": [\"")
        .p(T::PersonName, first)
        .t("\"],\n");
    kv(
        &mut b,
        "      ",
        "use",
        Val::Plain,
        if mid < 'M' { "official" } else { "usual" },
        true,
    );
    b.t("    }\n  ],\n");
    b.t("  \"telecom\": [\n    {\n");
    kv(&mut b, "      ", "system", Val::Plain, "phone", false);
    let phone = ids::phone(r, PhoneFmt::Parens);
    kv(
        &mut b,
        "      ",
        "value",
        Val::Phi(T::PhoneNumber),
        &phone,
        true,
    );
    b.t("    },\n    {\n");
    kv(&mut b, "      ", "system", Val::Plain, "email", false);
    let email = ids::email(r, first, last);
    kv(
        &mut b,
        "      ",
        "value",
        Val::Phi(T::EmailAddress),
        &email,
        true,
    );
    b.t("    }\n  ],\n");
    let dob = ids::iso_date(ids::birth_date(r));
    kv(
        &mut b,
        "  ",
        "birthDate",
        Val::Phi(T::DateOfBirth),
        &dob,
        false,
    );
    b.t("  \"address\": [\n    {\n");
    b.t("      \"line\": [\"")
        .p(T::StreetAddress, &ids::street(r))
        .t("\"],\n");
    kv(
        &mut b,
        "      ",
        "city",
        Val::Plain,
        r.pick(ids::CITIES),
        false,
    );
    kv(
        &mut b,
        "      ",
        "state",
        Val::Plain,
        r.pick(ids::STATES),
        false,
    );
    let plus4 = r.chance(30);
    let zip = ids::zip(r, plus4);
    kv(
        &mut b,
        "      ",
        "postalCode",
        Val::Phi(T::ZipCode),
        &zip,
        true,
    );
    b.t("    }\n  ],\n  \"meta\": {\n");
    kv(
        &mut b,
        "    ",
        "versionId",
        Val::Plain,
        &r.range(1, 9).to_string(),
        false,
    );
    let updated = format!(
        "{}T10:{:02}:00Z",
        ids::iso_date(ids::recent_date(r)),
        r.below(60)
    );
    kv(
        &mut b,
        "    ",
        "lastUpdated",
        Val::Neg("date_visit"),
        &updated,
        true,
    );
    b.t("  }\n}\n");
    b
}

fn claim(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    b.t("{\n  \"resourceType\": \"Claim\",\n");
    kv(
        &mut b,
        "  ",
        "id",
        Val::Neg("order_number"),
        &ids::order_no(r),
        false,
    );
    b.t("  \"patient\": {\n");
    kv(
        &mut b,
        "    ",
        "reference",
        Val::Neg("uuid"),
        &format!("Patient/{}", ids::uuid(r)),
        false,
    );
    let mbi = ids::mbi(r, false);
    kv(&mut b, "    ", "memberId", Val::Phi(T::UsMbi), &mbi, true);
    b.t("  },\n");
    let created = ids::iso_date(ids::recent_date(r));
    kv(
        &mut b,
        "  ",
        "created",
        Val::Neg("date_visit"),
        &created,
        false,
    );
    b.t("  \"provider\": {\n");
    kv(
        &mut b,
        "    ",
        "npi",
        Val::Phi(T::UsNpi),
        &ids::npi(r),
        false,
    );
    kv(
        &mut b,
        "    ",
        "dea",
        Val::Phi(T::UsDea),
        &ids::dea(r),
        true,
    );
    b.t("  },\n  \"diagnosis\": [\n");
    let n = r.range(1, 3);
    for i in 0..n {
        b.t("    {\"sequence\": ").t(&(i + 1).to_string());
        b.t(", \"icd10\": \"")
            .p(T::Icd10Code, r.pick(ids::ICD10))
            .t("\"}");
        b.t(if i + 1 == n { "\n" } else { ",\n" });
    }
    b.t("  ],\n  \"item\": [\n    {\n");
    kv(
        &mut b,
        "      ",
        "ndc",
        Val::Phi(T::Ndc),
        &ids::ndc(r),
        false,
    );
    kv(
        &mut b,
        "      ",
        "sku",
        Val::Neg("sku"),
        &ids::sku(r),
        false,
    );
    let net = format!("{}.{:02}", r.range(5, 900), r.below(100));
    kv(&mut b, "      ", "net", Val::Plain, &net, true);
    b.t("    }\n  ],\n  \"payment\": {\n");
    kv(
        &mut b,
        "    ",
        "routingNumber",
        Val::Phi(T::UsBankRouting),
        &ids::aba(r),
        false,
    );
    let card = ids::card(r, CardFmt::Plain);
    kv(
        &mut b,
        "    ",
        "cardNumber",
        Val::Phi(T::CreditCard),
        &card,
        false,
    );
    kv(
        &mut b,
        "    ",
        "traceId",
        Val::Neg("sha256"),
        &ids::hex(r, 64),
        true,
    );
    b.t("  }\n}\n");
    b
}

/// Application events, one JSON object per line.
pub(crate) fn ndjson(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let n = r.range(15, 30);
    for _ in 0..n {
        let ts = format!(
            "{}T{:02}:{:02}:{:02}Z",
            ids::iso_date(ids::recent_date(r)),
            r.below(24),
            r.below(60),
            r.below(60)
        );
        b.t("{\"ts\":\"").n("date_visit", &ts).t("\",");
        match r.below(4) {
            0 => patient_event(&mut b, r),
            1 => payment_event(&mut b, r),
            2 => order_event(&mut b, r),
            _ => provider_event(&mut b, r),
        }
        b.t(",\"request_id\":\"")
            .n("uuid", &ids::uuid(r))
            .t("\"}\n");
    }
    b
}

fn patient_event(b: &mut Builder, r: &mut Rng) {
    b.t("\"event\":\"patient.view\",\"patient\":{\"mrn\":\"");
    b.p(T::MedicalRecordNumber, &ids::mrn(r)).t("\",\"dob\":\"");
    b.p(T::DateOfBirth, &ids::iso_date(ids::birth_date(r)))
        .t("\",\"ssn\":\"");
    let sep = r.pick(&["-", ""]);
    b.p(T::UsSsn, &ids::ssn(r, sep)).t("\",\"name\":\"");
    let (f, _, l) = ids::person(r);
    b.p(T::PersonName, &format!("{f} {l}"))
        .t("\"},\"client_ip\":\"");
    b.p(T::IpAddress, &ids::ip(r)).t("\"");
}

fn payment_event(b: &mut Builder, r: &mut Rng) {
    b.t("\"event\":\"payment.captured\",\"card\":\"");
    b.p(T::CreditCard, &ids::card(r, CardFmt::Plain))
        .t("\",\"routing\":\"");
    b.p(T::UsBankRouting, &ids::aba(r)).t("\",\"amount\":");
    b.t(&format!("{}.{:02}", r.range(1, 900), r.below(100)));
    b.t(",\"email\":\"");
    let (f, _, l) = ids::person(r);
    b.p(T::EmailAddress, &ids::email(r, f, l)).t("\"");
}

fn order_event(b: &mut Builder, r: &mut Rng) {
    b.t("\"event\":\"order.created\",\"order_id\":\"");
    b.n("order_id", &ids::order_id(r)).t("\",\"sku\":\"");
    b.n("sku", &ids::sku(r)).t("\",\"epoch_ms\":");
    b.n("epoch_ms", &ids::epoch(r, true)).t(",\"tracking\":\"");
    b.n("tracking", &ids::tracking(r))
        .t("\",\"card_last_try\":\"");
    b.n("card_luhn_fail", &ids::bad_card(r, CardFmt::Plain))
        .t("\"");
}

fn provider_event(b: &mut Builder, r: &mut Rng) {
    b.t("\"event\":\"eligibility.check\",\"npi\":\"");
    b.p(T::UsNpi, &ids::npi(r)).t("\",\"mbi\":\"");
    let dashed = r.chance(30);
    b.p(T::UsMbi, &ids::mbi(r, dashed)).t("\",\"dea\":\"");
    b.p(T::UsDea, &ids::dea(r)).t("\",\"icd10\":\"");
    b.p(T::Icd10Code, r.pick(ids::ICD10)).t("\",\"ndc\":\"");
    b.p(T::Ndc, &ids::ndc(r)).t("\",\"itin\":\"");
    b.p(T::UsItin, &ids::itin(r, "-"))
        .t("\",\"referral_npi_rejected\":\"");
    b.n("npi_luhn_fail", &ids::bad_npi(r)).t("\"");
}
