//! Log documents: web access logs (combined format) with identifiers in
//! query strings, percent-encoded too, and application log lines.

use super::ids::{self, CardFmt, PhoneFmt};
use super::{Builder, SplitMix64 as Rng, Val};
use crate::types::PhiType as T;

const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "okhttp/4.12.0",
];

/// An access log of 20–40 requests.
pub(crate) fn access(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let n = r.range(20, 40);
    let (y, m, d) = ids::recent_date(r);
    for i in 0..n {
        b.p(T::IpAddress, &ids::ip(r)).t(" - ");
        b.t(r.pick(&["-", "-", "svc_portal", "webapp"]));
        let month = MONTHS[(m as usize).saturating_sub(1) % 12];
        b.t(&format!(
            " [{d:02}/{month}/{y}:{:02}:{:02}:{:02} +0000] \"",
            i % 24,
            r.below(60),
            r.below(60)
        ));
        b.t(r.pick(&["GET ", "GET ", "POST "]));
        let pick = r.below(PATHS.len() as u64) as usize;
        PATHS[pick](&mut b, r);
        let status = r.pick(&["200", "200", "302", "404", "500"]);
        b.t(" HTTP/1.1\" ").t(status).t(" ");
        b.n("response_bytes", &r.range(120, 99_999).to_string());
        b.t(" \"-\" \"").t(r.pick(AGENTS)).t("\"\n");
    }
    b
}

/// `key=value` in a query string, the value percent-encoded when `enc`.
fn q(b: &mut Builder, sep: &str, key: &str, what: Val, value: &str, enc: bool) {
    b.t(sep).t(key).t("=");
    if enc {
        let plus = value.len().is_multiple_of(2);
        b.v_encoded(what, value, plus);
    } else {
        b.v(what, value);
    }
}

type Path = fn(&mut Builder, &mut Rng);

const PATHS: &[Path] = &[
    |b, r| {
        b.t("/api/v1/patients");
        q(
            b,
            "?",
            "mrn",
            Val::Phi(T::MedicalRecordNumber),
            &ids::mrn(r),
            false,
        );
        let bd = ids::birth_date(r);
        let dob = ids::fmt_date(r, bd);
        q(b, "&", "dob", Val::Phi(T::DateOfBirth), &dob, true);
    },
    |b, r| {
        b.t("/api/v1/patients/search");
        let sep = r.pick(&["-", ""]);
        q(b, "?", "ssn", Val::Phi(T::UsSsn), &ids::ssn(r, sep), false);
        q(
            b,
            "&",
            "last_name",
            Val::Phi(T::PersonName),
            r.pick(ids::LAST),
            false,
        );
    },
    |b, r| {
        b.t("/portal/profile");
        let (f, _, l) = ids::person(r);
        q(
            b,
            "?",
            "email",
            Val::Phi(T::EmailAddress),
            &ids::email(r, f, l),
            true,
        );
        let fmt = r.pick(&[PhoneFmt::Parens, PhoneFmt::Dashes, PhoneFmt::Intl]);
        q(
            b,
            "&",
            "phone",
            Val::Phi(T::PhoneNumber),
            &ids::phone(r, fmt),
            true,
        );
    },
    |b, r| {
        b.t("/fhir/Patient");
        let (f, _, l) = ids::person(r);
        q(
            b,
            "?",
            "name",
            Val::Phi(T::PersonName),
            &format!("{f} {l}"),
            true,
        );
        let dob = ids::iso_date(ids::birth_date(r));
        q(b, "&", "birthdate", Val::Phi(T::DateOfBirth), &dob, false);
    },
    |b, r| {
        b.t("/claims/submit");
        q(b, "?", "npi", Val::Phi(T::UsNpi), &ids::npi(r), false);
        let dashed = r.chance(30);
        q(
            b,
            "&",
            "mbi",
            Val::Phi(T::UsMbi),
            &ids::mbi(r, dashed),
            false,
        );
        q(
            b,
            "&",
            "icd10",
            Val::Phi(T::Icd10Code),
            r.pick(ids::ICD10),
            false,
        );
        q(b, "&", "ndc", Val::Phi(T::Ndc), &ids::ndc(r), false);
    },
    |b, r| {
        b.t("/pharmacy/verify");
        q(b, "?", "dea", Val::Phi(T::UsDea), &ids::dea(r), false);
        q(
            b,
            "&",
            "prescriber_npi",
            Val::Phi(T::UsNpi),
            &ids::npi(r),
            false,
        );
    },
    |b, r| {
        b.t("/billing/pay");
        let fmt = r.pick(&[CardFmt::Plain, CardFmt::Spaces]);
        q(
            b,
            "?",
            "card",
            Val::Phi(T::CreditCard),
            &ids::card(r, fmt),
            true,
        );
        q(
            b,
            "&",
            "routing",
            Val::Phi(T::UsBankRouting),
            &ids::aba(r),
            false,
        );
        q(
            b,
            "&",
            "zip",
            Val::Phi(T::ZipCode),
            &ids::zip(r, false),
            false,
        );
    },
    |b, r| {
        b.t("/tax/forms");
        q(
            b,
            "?",
            "itin",
            Val::Phi(T::UsItin),
            &ids::itin(r, "-"),
            false,
        );
        q(
            b,
            "&",
            "year",
            Val::Plain,
            &r.range(2019, 2025).to_string(),
            false,
        );
    },
    |b, r| {
        b.t("/portal/address");
        q(
            b,
            "?",
            "street",
            Val::Phi(T::StreetAddress),
            &ids::street(r),
            true,
        );
        q(
            b,
            "&",
            "zip",
            Val::Phi(T::ZipCode),
            &{
                let plus4 = r.chance(30);
                ids::zip(r, plus4)
            },
            true,
        );
    },
    |b, r| {
        b.t("/shop/order");
        q(
            b,
            "?",
            "order_id",
            Val::Neg("order_id"),
            &ids::order_id(r),
            false,
        );
        q(b, "&", "sku", Val::Neg("sku"), &ids::sku(r), false);
        q(
            b,
            "&",
            "ts",
            Val::Neg("epoch_s"),
            &ids::epoch(r, false),
            false,
        );
    },
    |b, r| {
        b.t("/static/app.js");
        q(
            b,
            "?",
            "version",
            Val::Neg("version"),
            &ids::version4(r),
            false,
        );
        q(
            b,
            "&",
            "_",
            Val::Neg("epoch_ms"),
            &ids::epoch(r, true),
            false,
        );
    },
    |b, r| {
        b.t("/track");
        q(
            b,
            "?",
            "tracking",
            Val::Neg("tracking"),
            &ids::tracking(r),
            false,
        );
        q(
            b,
            "&",
            "order",
            Val::Neg("order_number"),
            &ids::order_no(r),
            false,
        );
    },
    |b, r| {
        b.t("/api/session/").n("uuid", &ids::uuid(r));
        q(b, "?", "sig", Val::Neg("sha1"), &ids::hex(r, 40), false);
    },
    |b, r| {
        b.t("/billing/retry");
        q(
            b,
            "?",
            "card",
            Val::Neg("card_luhn_fail"),
            &ids::bad_card(r, CardFmt::Plain),
            false,
        );
        q(
            b,
            "&",
            "routing",
            Val::Neg("aba_checksum_fail"),
            &ids::bad_aba(r),
            false,
        );
    },
    |b, r| {
        b.t("/provider/lookup");
        q(
            b,
            "?",
            "npi",
            Val::Neg("npi_luhn_fail"),
            &ids::bad_npi(r),
            false,
        );
        q(
            b,
            "&",
            "dea",
            Val::Neg("dea_check_fail"),
            &ids::bad_dea(r),
            false,
        );
        q(
            b,
            "&",
            "mbi",
            Val::Neg("mbi_bad_char"),
            &ids::bad_mbi(r),
            false,
        );
        b.t("&status=invalid");
    },
    |b, r| {
        b.t("/api/v1/health");
        q(
            b,
            "?",
            "node",
            Val::Plain,
            &format!("web{}", r.range(1, 9)),
            false,
        );
    },
];

/// An application log of 20–40 lines.
pub(crate) fn app(r: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let n = r.range(20, 40);
    let day = ids::iso_date(ids::recent_date(r));
    for i in 0..n {
        let ts = format!(
            "{day}T{:02}:{:02}:{:02}.{:03}Z",
            i % 24,
            r.below(60),
            r.below(60),
            r.below(1000)
        );
        b.n("date_visit", &ts).t(" ");
        b.t(r.pick(&["INFO ", "INFO ", "WARN ", "DEBUG", "ERROR"]));
        b.t(" [")
            .t(r.pick(&["ehr.api", "billing", "portal", "pharmacy", "jobs"]));
        b.t("] ");
        let pick = r.below(MESSAGES.len() as u64) as usize;
        MESSAGES[pick](&mut b, r);
        b.t("\n");
    }
    b
}

type Message = fn(&mut Builder, &mut Rng);

const MESSAGES: &[Message] = &[
    |b, r| {
        b.t("patient lookup mrn=")
            .p(T::MedicalRecordNumber, &ids::mrn(r));
        b.t(&format!(" by user u{}", r.range(100, 999)));
    },
    |b, r| {
        b.t("search by SSN ").p(T::UsSsn, &ids::ssn(r, "-"));
        b.t(&format!(" returned 1 result in {} ms", r.range(2, 90)));
    },
    |b, r| {
        b.t("eligibility MBI ").p(T::UsMbi, &{
            let dashed = r.chance(40);
            ids::mbi(r, dashed)
        });
        b.t(" NPI ").p(T::UsNpi, &ids::npi(r)).t(" status=active");
    },
    |b, r| {
        b.t("claim ").n("order_number", &ids::order_no(r));
        b.t(" icd10=").p(T::Icd10Code, r.pick(ids::ICD10));
        b.t(" ndc=").p(T::Ndc, &ids::ndc(r));
        b.t(" dea=").p(T::UsDea, &ids::dea(r));
    },
    |b, r| {
        b.t("payment card ")
            .p(T::CreditCard, &ids::card(r, CardFmt::Spaces));
        b.t(" routing ")
            .p(T::UsBankRouting, &ids::aba(r))
            .t(" approved");
    },
    |b, r| {
        b.t("payment retry card=")
            .n("card_luhn_fail", &ids::bad_card(r, CardFmt::Plain));
        b.t(" rejected: checksum");
    },
    |b, r| {
        let (f, _, l) = ids::person(r);
        b.t("profile update email=")
            .p(T::EmailAddress, &ids::email(r, f, l));
        b.t(" phone=")
            .p(T::PhoneNumber, &ids::phone(r, PhoneFmt::Dashes));
    },
    |b, r| {
        let (f, _, l) = ids::person(r);
        b.t("registration name=\"")
            .p(T::PersonName, &format!("{f} {l}"));
        b.t("\" dob=")
            .p(T::DateOfBirth, &ids::iso_date(ids::birth_date(r)));
        b.t(" zip=").p(T::ZipCode, &ids::zip(r, false));
    },
    |b, r| {
        b.t("address change: ").p(T::StreetAddress, &ids::street(r));
        b.t(", ")
            .t(r.pick(ids::CITIES))
            .t(", ")
            .t(r.pick(ids::STATES))
            .t(" ");
        let plus4 = r.chance(40);
        b.p(T::ZipCode, &ids::zip(r, plus4));
    },
    |b, r| {
        b.t("login from ").p(T::IpAddress, &ids::ip(r)).t(" ok");
    },
    |b, r| {
        b.t("agent version ").n("version", &ids::version4(r));
        b.t(&format!(" started, pid {}", r.range(300, 65000)));
    },
    |b, r| {
        b.t("order ").n("order_number", &ids::order_no(r));
        b.t(" id=").n("order_id", &ids::order_id(r));
        b.t(" sku=").n("sku", &ids::sku(r));
        b.t(" tracking=").n("tracking", &ids::tracking(r));
    },
    |b, r| {
        b.t("cache put sha256=")
            .n("sha256", &ids::hex(r, 64))
            .t(" ttl=3600");
    },
    |b, r| {
        b.t("job finished at epoch ")
            .n("epoch_s", &ids::epoch(r, false));
        b.t(" (").n("epoch_ms", &ids::epoch(r, true)).t(" ms)");
    },
    |b, r| {
        b.t("session ").n("uuid", &ids::uuid(r)).t(" expired");
    },
    |b, r| {
        b.t("callback to ")
            .n("phone_bad_area", &ids::bad_phone(r, PhoneFmt::Dashes));
        b.t(" failed: invalid number");
    },
    |b, r| {
        b.t("ssn validation failed for ")
            .n("ssn_bad_range", &ids::bad_ssn(r));
    },
    |b, r| {
        b.t("npi check failed: ")
            .n("npi_luhn_fail", &ids::bad_npi(r));
    },
    |b, r| {
        b.t("routing ")
            .n("aba_checksum_fail", &ids::bad_aba(r))
            .t(" rejected");
    },
    |b, r| {
        b.t("itin ").p(T::UsItin, &ids::itin(r, "-")).t(" accepted");
    },
    |b, r| {
        b.t("upstream took ")
            .n("five_digits", &r.range(10000, 99999).to_string());
        b.t(" us");
    },
    |b, r| {
        b.t("dea lookup failed: ")
            .n("dea_check_fail", &ids::bad_dea(r));
    },
];
