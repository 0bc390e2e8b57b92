//! The identifier types phiwatch detects and the HIPAA Safe Harbor
//! categories (45 CFR 164.514(b)(2)) they belong to.
//!
//! ```
//! use phiwatch_phi::{PhiType, SafeHarbor};
//!
//! let ty: PhiType = "us_npi".parse().unwrap();
//! assert_eq!(ty.name(), "US_NPI");
//! assert_eq!(ty.safe_harbor(), SafeHarbor::License);
//! assert_eq!(SafeHarbor::License.letter(), 'K');
//! assert!(!SafeHarbor::Biometric.pattern_detectable());
//! ```

use std::fmt;
use std::str::FromStr;

/// An identifier type. `name()` is the public name used in output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhiType {
    /// US Social Security number.
    UsSsn,
    /// US Individual Taxpayer Identification Number.
    UsItin,
    /// A date of birth (a date with birth context).
    DateOfBirth,
    /// A medical record number (with MRN context).
    MedicalRecordNumber,
    /// Medicare Beneficiary Identifier.
    UsMbi,
    /// National Provider Identifier.
    UsNpi,
    /// DEA registration number.
    UsDea,
    /// ICD-10-CM diagnosis code.
    Icd10Code,
    /// National Drug Code.
    Ndc,
    /// Payment card number.
    CreditCard,
    /// ABA routing number.
    UsBankRouting,
    /// NANP phone number.
    PhoneNumber,
    /// Email address.
    EmailAddress,
    /// IPv4 or IPv6 address.
    IpAddress,
    /// US street address.
    StreetAddress,
    /// A person's name (with name context).
    PersonName,
    /// US ZIP code (5 or ZIP+4).
    ZipCode,
}

/// The 18 HIPAA Safe Harbor identifier categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SafeHarbor {
    /// (A) Names.
    Names,
    /// (B) Geographic subdivisions smaller than a state (street address,
    /// city, county, ZIP code except the first three digits in some cases).
    Geographic,
    /// (C) All elements of dates (except year) related to an individual.
    Dates,
    /// (D) Telephone numbers.
    Telephone,
    /// (E) Fax numbers.
    Fax,
    /// (F) Email addresses.
    Email,
    /// (G) Social Security numbers.
    Ssn,
    /// (H) Medical record numbers.
    MedicalRecord,
    /// (I) Health plan beneficiary numbers.
    HealthPlan,
    /// (J) Account numbers.
    Account,
    /// (K) Certificate/license numbers.
    License,
    /// (L) Vehicle identifiers and serial numbers, including plates.
    Vehicle,
    /// (M) Device identifiers and serial numbers.
    Device,
    /// (N) Web URLs.
    Url,
    /// (O) IP addresses.
    IpAddress,
    /// (P) Biometric identifiers.
    Biometric,
    /// (Q) Full-face photographs and comparable images.
    Photo,
    /// (R) Any other unique identifying number, characteristic, or code.
    Other,
}

impl PhiType {
    /// Every type.
    pub const ALL: [PhiType; 17] = [
        PhiType::UsSsn,
        PhiType::UsItin,
        PhiType::DateOfBirth,
        PhiType::MedicalRecordNumber,
        PhiType::UsMbi,
        PhiType::UsNpi,
        PhiType::UsDea,
        PhiType::Icd10Code,
        PhiType::Ndc,
        PhiType::CreditCard,
        PhiType::UsBankRouting,
        PhiType::PhoneNumber,
        PhiType::EmailAddress,
        PhiType::IpAddress,
        PhiType::StreetAddress,
        PhiType::PersonName,
        PhiType::ZipCode,
    ];
}

/// The error of parsing a [`PhiType`] or [`SafeHarbor`] name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?} (expected one of: {expected})")]
pub struct ParseNameError {
    kind: &'static str,
    name: String,
    expected: &'static str,
}

impl ParseNameError {
    fn new(kind: &'static str, input: &str, expected: &'static str) -> ParseNameError {
        // The input is a type name from a command line or a config file, not
        // a scanned value; it is still cut short so that a pasted identifier
        // is never echoed whole.
        let name: String = input.chars().take(32).collect();
        ParseNameError {
            kind,
            name,
            expected,
        }
    }

    /// The rejected name (at most its first 32 characters).
    pub fn name(&self) -> &str {
        &self.name
    }
}

const TYPE_NAMES: &str = "US_SSN, US_ITIN, DATE_OF_BIRTH, MEDICAL_RECORD_NUMBER, US_MBI, \
US_NPI, US_DEA, ICD10_CODE, NDC, CREDIT_CARD, US_BANK_ROUTING, PHONE_NUMBER, EMAIL_ADDRESS, \
IP_ADDRESS, STREET_ADDRESS, PERSON_NAME, ZIP_CODE";

impl PhiType {
    /// The public name, as written in output and accepted by `--types`:
    /// `US_SSN`, `US_ITIN`, `DATE_OF_BIRTH`, `MEDICAL_RECORD_NUMBER`,
    /// `US_MBI`, `US_NPI`, `US_DEA`, `ICD10_CODE`, `NDC`, `CREDIT_CARD`,
    /// `US_BANK_ROUTING`, `PHONE_NUMBER`, `EMAIL_ADDRESS`, `IP_ADDRESS`,
    /// `STREET_ADDRESS`, `PERSON_NAME`, `ZIP_CODE`. These names are a public
    /// contract: never rename one.
    pub const fn name(self) -> &'static str {
        match self {
            PhiType::UsSsn => "US_SSN",
            PhiType::UsItin => "US_ITIN",
            PhiType::DateOfBirth => "DATE_OF_BIRTH",
            PhiType::MedicalRecordNumber => "MEDICAL_RECORD_NUMBER",
            PhiType::UsMbi => "US_MBI",
            PhiType::UsNpi => "US_NPI",
            PhiType::UsDea => "US_DEA",
            PhiType::Icd10Code => "ICD10_CODE",
            PhiType::Ndc => "NDC",
            PhiType::CreditCard => "CREDIT_CARD",
            PhiType::UsBankRouting => "US_BANK_ROUTING",
            PhiType::PhoneNumber => "PHONE_NUMBER",
            PhiType::EmailAddress => "EMAIL_ADDRESS",
            PhiType::IpAddress => "IP_ADDRESS",
            PhiType::StreetAddress => "STREET_ADDRESS",
            PhiType::PersonName => "PERSON_NAME",
            PhiType::ZipCode => "ZIP_CODE",
        }
    }

    /// Whether [`validate`](crate::validate()) has rules for this type (it returns
    /// `Some(_)` exactly for these). `MEDICAL_RECORD_NUMBER`,
    /// `STREET_ADDRESS` and `PERSON_NAME` have none: they are found by
    /// context alone.
    pub const fn has_validator(self) -> bool {
        !matches!(
            self,
            PhiType::MedicalRecordNumber | PhiType::StreetAddress | PhiType::PersonName
        )
    }

    /// The HIPAA Safe Harbor category (45 CFR 164.514(b)(2)(i)) of this type.
    ///
    /// | type | category | note |
    /// | --- | --- | --- |
    /// | `US_SSN` | (G) Social Security numbers | |
    /// | `US_ITIN` | (R) other unique identifying number | An ITIN is an IRS taxpayer number issued to people who cannot get an SSN. (G) names SSNs only, so an ITIN falls under the catch-all (R); it must be removed all the same. |
    /// | `DATE_OF_BIRTH` | (C) dates | |
    /// | `MEDICAL_RECORD_NUMBER` | (H) medical record numbers | |
    /// | `US_MBI` | (I) health plan beneficiary numbers | The Medicare member id. |
    /// | `US_NPI` | (K) certificate/license numbers | Identifies a *provider*, not a patient. It is PHI only next to patient data. |
    /// | `US_DEA` | (K) certificate/license numbers | A prescriber's registration: identifies a provider, not a patient. |
    /// | `ICD10_CODE` | (R) other | A diagnosis code is clinical content, not an identifier. Its presence shows that the record holds health information, and a rare diagnosis can single out a person. Choice: (R), so it is removed with the identifiers. |
    /// | `NDC` | (R) other | A drug code is clinical content, like `ICD10_CODE`. Same choice. |
    /// | `CREDIT_CARD` | (J) account numbers | |
    /// | `US_BANK_ROUTING` | (J) account numbers | A routing number names a bank, but it is found beside the account number it routes to. |
    /// | `PHONE_NUMBER` | (D) telephone numbers | A fax number reads the same: see [`SafeHarbor::Fax`]. |
    /// | `EMAIL_ADDRESS` | (F) email addresses | |
    /// | `IP_ADDRESS` | (O) IP addresses | |
    /// | `STREET_ADDRESS` | (B) geographic subdivisions | |
    /// | `ZIP_CODE` | (B) geographic subdivisions | The first three digits may stay when their area holds more than 20,000 people. |
    /// | `PERSON_NAME` | (A) names | |
    pub const fn safe_harbor(self) -> SafeHarbor {
        match self {
            PhiType::UsSsn => SafeHarbor::Ssn,
            PhiType::UsItin => SafeHarbor::Other,
            PhiType::DateOfBirth => SafeHarbor::Dates,
            PhiType::MedicalRecordNumber => SafeHarbor::MedicalRecord,
            PhiType::UsMbi => SafeHarbor::HealthPlan,
            PhiType::UsNpi | PhiType::UsDea => SafeHarbor::License,
            PhiType::Icd10Code | PhiType::Ndc => SafeHarbor::Other,
            PhiType::CreditCard | PhiType::UsBankRouting => SafeHarbor::Account,
            PhiType::PhoneNumber => SafeHarbor::Telephone,
            PhiType::EmailAddress => SafeHarbor::Email,
            PhiType::IpAddress => SafeHarbor::IpAddress,
            PhiType::StreetAddress | PhiType::ZipCode => SafeHarbor::Geographic,
            PhiType::PersonName => SafeHarbor::Names,
        }
    }
}

impl fmt::Display for PhiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PhiType {
    type Err = ParseNameError;

    /// Parses a public name ([`PhiType::name`]), ignoring ASCII case.
    fn from_str(s: &str) -> Result<PhiType, ParseNameError> {
        PhiType::ALL
            .into_iter()
            .find(|ty| ty.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseNameError::new("PHI type", s, TYPE_NAMES))
    }
}

const CATEGORY_NAMES: &str = "a letter A..R or NAMES, GEOGRAPHIC, DATES, TELEPHONE, FAX, EMAIL, \
SSN, MEDICAL_RECORD, HEALTH_PLAN, ACCOUNT, LICENSE, VEHICLE, DEVICE, URL, IP_ADDRESS, \
BIOMETRIC, PHOTO, OTHER";

impl SafeHarbor {
    /// The 18 categories, in the order of the rule, (A) to (R).
    pub const ALL: [SafeHarbor; 18] = [
        SafeHarbor::Names,
        SafeHarbor::Geographic,
        SafeHarbor::Dates,
        SafeHarbor::Telephone,
        SafeHarbor::Fax,
        SafeHarbor::Email,
        SafeHarbor::Ssn,
        SafeHarbor::MedicalRecord,
        SafeHarbor::HealthPlan,
        SafeHarbor::Account,
        SafeHarbor::License,
        SafeHarbor::Vehicle,
        SafeHarbor::Device,
        SafeHarbor::Url,
        SafeHarbor::IpAddress,
        SafeHarbor::Biometric,
        SafeHarbor::Photo,
        SafeHarbor::Other,
    ];

    /// The public name, as written in output (`safe_harbor` of a finding):
    /// `NAMES`, `GEOGRAPHIC`, `DATES`, `TELEPHONE`, `FAX`, `EMAIL`, `SSN`,
    /// `MEDICAL_RECORD`, `HEALTH_PLAN`, `ACCOUNT`, `LICENSE`, `VEHICLE`,
    /// `DEVICE`, `URL`, `IP_ADDRESS`, `BIOMETRIC`, `PHOTO`, `OTHER`.
    pub const fn name(self) -> &'static str {
        match self {
            SafeHarbor::Names => "NAMES",
            SafeHarbor::Geographic => "GEOGRAPHIC",
            SafeHarbor::Dates => "DATES",
            SafeHarbor::Telephone => "TELEPHONE",
            SafeHarbor::Fax => "FAX",
            SafeHarbor::Email => "EMAIL",
            SafeHarbor::Ssn => "SSN",
            SafeHarbor::MedicalRecord => "MEDICAL_RECORD",
            SafeHarbor::HealthPlan => "HEALTH_PLAN",
            SafeHarbor::Account => "ACCOUNT",
            SafeHarbor::License => "LICENSE",
            SafeHarbor::Vehicle => "VEHICLE",
            SafeHarbor::Device => "DEVICE",
            SafeHarbor::Url => "URL",
            SafeHarbor::IpAddress => "IP_ADDRESS",
            SafeHarbor::Biometric => "BIOMETRIC",
            SafeHarbor::Photo => "PHOTO",
            SafeHarbor::Other => "OTHER",
        }
    }

    /// The letter of the category in 45 CFR 164.514(b)(2)(i), `'A'` to `'R'`.
    pub const fn letter(self) -> char {
        (b'A' + self as u8) as char
    }

    /// What the rule says the category covers, in one line.
    pub const fn description(self) -> &'static str {
        match self {
            SafeHarbor::Names => "Names",
            SafeHarbor::Geographic => {
                "Geographic subdivisions smaller than a state: street address, city, county, \
                 precinct, ZIP code (the first three digits may stay for areas of more than \
                 20,000 people)"
            }
            SafeHarbor::Dates => {
                "All elements of dates (except year) directly related to an individual: \
                 birth, admission, discharge, death; ages over 89"
            }
            SafeHarbor::Telephone => "Telephone numbers",
            SafeHarbor::Fax => "Fax numbers",
            SafeHarbor::Email => "Electronic mail addresses",
            SafeHarbor::Ssn => "Social security numbers",
            SafeHarbor::MedicalRecord => "Medical record numbers",
            SafeHarbor::HealthPlan => "Health plan beneficiary numbers",
            SafeHarbor::Account => "Account numbers",
            SafeHarbor::License => "Certificate/license numbers",
            SafeHarbor::Vehicle => {
                "Vehicle identifiers and serial numbers, including license plate numbers"
            }
            SafeHarbor::Device => "Device identifiers and serial numbers",
            SafeHarbor::Url => "Web Universal Resource Locators (URLs)",
            SafeHarbor::IpAddress => "Internet Protocol (IP) address numbers",
            SafeHarbor::Biometric => "Biometric identifiers, including finger and voice prints",
            SafeHarbor::Photo => "Full face photographic images and any comparable images",
            SafeHarbor::Other => "Any other unique identifying number, characteristic, or code",
        }
    }

    /// Whether identifiers of this category can be found by their shape in
    /// text (names and medical record numbers only with context). Fax
    /// numbers, vehicle and device identifiers, biometrics, photographs and
    /// the open-ended (R) cannot:
    ///
    /// | | category | by pattern | phiwatch types, or why not |
    /// | --- | --- | --- | --- |
    /// | A | names | with context | `PERSON_NAME`: a name has no shape of its own; found only next to a telling word or key |
    /// | B | geographic | yes | `STREET_ADDRESS`, `ZIP_CODE` (city and county names: not without a gazetteer) |
    /// | C | dates | yes | `DATE_OF_BIRTH` (other dates of an individual need context) |
    /// | D | telephone | yes | `PHONE_NUMBER` (NANP) |
    /// | E | fax | **no** | a fax number is a telephone number: only the word "fax" beside it tells them apart, so faxes are reported as `PHONE_NUMBER` (D) |
    /// | F | email | yes | `EMAIL_ADDRESS` |
    /// | G | SSN | yes | `US_SSN` |
    /// | H | medical record numbers | with context | `MEDICAL_RECORD_NUMBER`: every hospital has its own format |
    /// | I | health plan beneficiary numbers | yes | `US_MBI` (Medicare); commercial member ids have no common format |
    /// | J | account numbers | yes | `CREDIT_CARD`, `US_BANK_ROUTING` (bank account numbers themselves have no format) |
    /// | K | certificate/license numbers | yes | `US_NPI`, `US_DEA`; other certificates and licenses have no known format |
    /// | L | vehicle identifiers, plates | **no** | plates differ by state and have no check; VINs have one, but phiwatch does not look for them |
    /// | M | device identifiers, serials | **no** | serial numbers are vendor-specific |
    /// | N | web URLs | yes | a URL has a shape, but not every URL identifies a person; no phiwatch type yet |
    /// | O | IP addresses | yes | `IP_ADDRESS` |
    /// | P | biometric identifiers | **no** | fingerprints, voice prints: binary data, not text patterns |
    /// | Q | full-face photographs | **no** | images, not text |
    /// | R | any other unique number or code | **no** | open-ended by definition; phiwatch puts `US_ITIN`, `ICD10_CODE` and `NDC` here |
    pub const fn pattern_detectable(self) -> bool {
        !matches!(
            self,
            SafeHarbor::Fax
                | SafeHarbor::Vehicle
                | SafeHarbor::Device
                | SafeHarbor::Biometric
                | SafeHarbor::Photo
                | SafeHarbor::Other
        )
    }
}

impl fmt::Display for SafeHarbor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SafeHarbor {
    type Err = ParseNameError;

    /// Parses a public name ([`SafeHarbor::name`]) or a letter `A`..`R`,
    /// ignoring ASCII case.
    fn from_str(s: &str) -> Result<SafeHarbor, ParseNameError> {
        SafeHarbor::ALL
            .into_iter()
            .find(|c| {
                c.name().eq_ignore_ascii_case(s)
                    || (s.len() == 1 && s.chars().all(|l| l.eq_ignore_ascii_case(&c.letter())))
            })
            .ok_or_else(|| ParseNameError::new("Safe Harbor category", s, CATEGORY_NAMES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_ignoring_case() {
        for ty in PhiType::ALL {
            assert_eq!(ty.name().parse::<PhiType>(), Ok(ty));
            assert_eq!(ty.name().to_lowercase().parse::<PhiType>(), Ok(ty));
            assert_eq!(ty.to_string(), ty.name());
        }
        assert!("SSN".parse::<PhiType>().is_err());
        assert!("".parse::<PhiType>().is_err());
    }

    #[test]
    fn letters_run_a_to_r() {
        let letters: String = SafeHarbor::ALL.iter().map(|c| c.letter()).collect();
        assert_eq!(letters, "ABCDEFGHIJKLMNOPQR");
        for c in SafeHarbor::ALL {
            assert_eq!(c.name().parse::<SafeHarbor>(), Ok(c));
            assert_eq!(c.letter().to_string().parse::<SafeHarbor>(), Ok(c));
            assert!(!c.description().is_empty());
        }
        assert_eq!("k".parse::<SafeHarbor>(), Ok(SafeHarbor::License));
        assert!("S".parse::<SafeHarbor>().is_err());
    }

    #[test]
    fn every_type_maps_to_a_detectable_category_except_the_catch_all() {
        for ty in PhiType::ALL {
            let c = ty.safe_harbor();
            assert!(c.pattern_detectable() || c == SafeHarbor::Other, "{ty}");
        }
        let undetectable: Vec<char> = SafeHarbor::ALL
            .into_iter()
            .filter(|c| !c.pattern_detectable())
            .map(SafeHarbor::letter)
            .collect();
        assert_eq!(undetectable, ['E', 'L', 'M', 'P', 'Q', 'R']);
    }
}
