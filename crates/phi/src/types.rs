//! The identifier types phiwatch detects and the HIPAA Safe Harbor
//! categories (45 CFR 164.514(b)(2)) they belong to.

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
