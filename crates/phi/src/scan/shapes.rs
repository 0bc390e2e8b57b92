//! Candidate shapes: the patterns of the one multi-pattern regex, and what
//! each shape can be.
//!
//! A shape is a form of text, not a type: nine bare digits may be an SSN, an
//! ITIN, a routing number or a medical record number. [`classify`] turns a
//! shape match into its candidate types with their base scores; validation
//! and context then decide between them.
//!
//! The patterns are ordered for leftmost-first matching: at one start, the
//! earlier (more specific) shape wins (`12345-6789-01` is an NDC before it is
//! a ZIP+4). Boundaries are checked in code, since look-around is not
//! available: see [`bounded`].

use crate::context::{bit, TypeMask};
use crate::types::PhiType;

/// A candidate shape; its discriminant is its pattern index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Email,
    Address,
    Name,
    Mbi,
    CardGrouped,
    Ndc,
    ZipPlus4,
    Ssn,
    Phone,
    Date,
    Ip4,
    Ip6,
    Dea,
    AlnumId,
    Icd,
    Digits,
}

const MONTHS: &str = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\\.?";
const SUFFIX: &str = "(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy)";
const MBI_L: &str = "[AC-HJKMNP-RT-Y]";
const MBI_A: &str = "[AC-HJKMNP-RT-Y0-9]";
const HEX: &str = "[0-9A-Fa-f]{1,4}";

/// The words a name shape starts with (`Patient: Jane Doe`, `name="Ann`),
/// in the order the pattern tries them.
pub(crate) const NAME_WORDS: &[&str] = &["name", "Name", "NAME", "patient", "Patient", "PATIENT"];

/// The titles a name shape starts with, followed by a dot or a space
/// (`Mr. Smith`, `Dr Jones`).
pub(crate) const NAME_TITLES: &[&str] = &["Mrs", "Mr", "Ms", "Dr", "MRS", "MR", "MS", "DR", "Pt"];

/// The searched forms of [`NAME_WORDS`] and [`NAME_TITLES`]: every title
/// with what may follow it, so that each is three bytes or more (a
/// searcher for three-byte prefixes is far more selective than for two),
/// and few enough (32 at most) for the faster form of that searcher.
pub(crate) fn name_keywords() -> Vec<String> {
    let mut k: Vec<String> = NAME_WORDS.iter().map(|w| w.to_string()).collect();
    for t in NAME_TITLES {
        for follow in [".", " "] {
            k.push(format!("{t}{follow}"));
        }
    }
    k
}

/// Every shape with its pattern (no boundaries: the automata run anchored
/// at the positions [`super::starts`] finds), in priority order.
pub(crate) fn patterns() -> Vec<(Shape, String)> {
    vec![
        (
            Shape::Email,
            "[A-Za-z0-9._%+_-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,24}".into(),
        ),
        (
            Shape::Address,
            format!(
                "[0-9]{{1,6}}(?: [A-Z][a-z]+| [NSEW]\\.?| [0-9]{{1,3}}(?:st|nd|rd|th)){{1,4}} {SUFFIX}\\.?(?:,? (?:Apt|Suite|Ste|Unit|#) ?[0-9A-Za-z-]{{1,6}})?"
            ),
        ),
        (
            Shape::Name,
            format!(
                "(?:(?:{})\\.?[\"']?[ \\t]*[:=]?[ \\t]*[\"']?|(?:{})(?:\\.| )[ \\t]*)",
                NAME_WORDS.join("|"),
                NAME_TITLES.join("|")
            ) + "[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:[ \\t]+[A-Z]\\.)?(?:,?[ \\t]+[A-Z][a-z]+(?:-[A-Z][a-z]+)?){0,2}",
        ),
        (
            Shape::Mbi,
            format!("[1-9]{MBI_L}{MBI_A}[0-9]-?{MBI_L}{MBI_A}[0-9]-?{MBI_L}{{2}}[0-9]{{2}}"),
        ),
        (
            Shape::CardGrouped,
            "[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{3})?|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5}".into(),
        ),
        (
            Shape::Ndc,
            "[0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9]{1,2}".into(),
        ),
        (Shape::ZipPlus4, "[0-9]{5}-[0-9]{4}".into()),
        (
            Shape::Ssn,
            "[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}|[0-9]{3}\\.[0-9]{2}\\.[0-9]{4}".into(),
        ),
        (
            Shape::Phone,
            "(?:\\+1[ .-]?|1[ .-])?(?:\\([0-9]{3}\\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}".into(),
        ),
        (
            Shape::Date,
            format!(
                "[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}|[0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}}|[0-9]{{1,2}}/[0-9]{{1,2}}/(?:[0-9]{{4}}|[0-9]{{2}})|[0-9]{{1,2}}-[0-9]{{1,2}}-[0-9]{{4}}|{MONTHS} [0-9]{{1,2}},? [0-9]{{4}}|[0-9]{{1,2}} {MONTHS} [0-9]{{4}}"
            ),
        ),
        (Shape::Ip4, "[0-9]{1,3}(?:\\.[0-9]{1,3}){3}".into()),
        (
            Shape::Ip6,
            format!(
                "(?:{HEX}:){{7}}{HEX}|(?:{HEX}:){{1,6}}:(?:{HEX}(?::{HEX}){{0,5}})?"
            ),
        ),
        (Shape::Dea, "[A-Z][A-Z9][0-9]{7}".into()),
        (Shape::AlnumId, "[A-Z]{1,4}-?[0-9]{5,10}".into()),
        (Shape::Icd, "[A-TV-Z][0-9][0-9A-Z](?:\\.[0-9A-Z]{1,4})?".into()),
        (Shape::Digits, "[0-9]{5,}".into()),
    ]
}

/// A shape's pattern as the automata run it: dates carry a right boundary
/// that is not `T` or a digit, so the date part of an ISO timestamp
/// (`2026-11-28T10:00:00Z`, in every JSON log line) is never a candidate;
/// [`trim_end`] takes it off again.
pub(crate) fn anchored(shape: Shape, pattern: &str) -> String {
    match shape {
        Shape::Date => format!("(?:{pattern})(?:$|[^T0-9A-Za-z])"),
        _ => pattern.to_string(),
    }
}

/// The single pass the scanner's positions emulate, for the test that
/// checks them: a shape's pattern behind its left boundary (see
/// [`super::starts::allowed`]): the start of the text or a character that
/// cannot be part of the token (so no candidate starts inside a word, a hash
/// or a longer number); for shapes other than emails and names, `:` and `/`
/// only after a character that is not a letter or digit (`Chrome/120.0`,
/// `13:45:12`); for IPv4, `/` only as `//`. A name keyword may follow `_`
/// (`first_name`). Shapes start with an ASCII letter or digit, `(`, `+`,
/// `.`, `%`, `_` or `-`; the shape is the pattern's first group.
#[cfg(test)]
pub(crate) fn with_boundary(shape: Shape, pattern: &str) -> String {
    let left = match shape {
        Shape::Name => "(?:^|^[:/]|[^0-9A-Za-z:/]|[\\x00-\\xff][:/])",
        Shape::Email => "(?:^|^[:/]|[^0-9A-Za-z_.(+%:/-]|[\\x00-\\xff][:/])",
        Shape::Ip4 => "(?:^|^:|[^0-9A-Za-z_.(+%:/-]|[^0-9A-Za-z]:|//)",
        _ => "(?:^|^[:/]|[^0-9A-Za-z_.(+%:/-]|[^0-9A-Za-z][:/])",
    };
    format!("{left}({})", anchored(shape, pattern))
}

/// The end of the shape in a match of [`anchored`]'s pattern (dates end
/// with a digit; a right boundary character is dropped).
pub(crate) fn trim_end(text: &[u8], shape: Shape, s: usize, mut e: usize) -> usize {
    if shape == Shape::Date {
        while e > s && !text[e - 1].is_ascii_digit() {
            e -= 1;
        }
    }
    e
}

/// The types a shape can produce (to leave out shapes no enabled type needs).
pub(crate) fn shape_types(shape: Shape) -> TypeMask {
    use PhiType::*;
    let list: &[PhiType] = match shape {
        Shape::Email => &[EmailAddress],
        Shape::Address => &[StreetAddress],
        Shape::Name => &[PersonName],
        Shape::Mbi => &[UsMbi],
        Shape::CardGrouped => &[CreditCard],
        Shape::Ndc => &[Ndc],
        Shape::ZipPlus4 => &[ZipCode],
        Shape::Ssn => &[UsSsn, UsItin],
        Shape::Phone => &[PhoneNumber],
        Shape::Date => &[DateOfBirth],
        Shape::Ip4 | Shape::Ip6 => &[IpAddress],
        Shape::Dea => &[UsDea, MedicalRecordNumber],
        Shape::AlnumId => &[MedicalRecordNumber],
        Shape::Icd => &[Icd10Code],
        Shape::Digits => &[
            ZipCode,
            MedicalRecordNumber,
            UsSsn,
            UsItin,
            UsBankRouting,
            UsNpi,
            PhoneNumber,
            Ndc,
            CreditCard,
        ],
    };
    list.iter().fold(0, |m, t| m | bit(*t))
}

/// One candidate type of a span with its base score (validator accepted or
/// absent; a rejected candidate is dropped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cand {
    pub ty: PhiType,
    pub base: f32,
}

/// Up to four candidates, on the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cands {
    pub items: [Cand; 4],
    pub len: usize,
}

impl Cands {
    fn new() -> Cands {
        Cands {
            items: [Cand {
                ty: PhiType::UsSsn,
                base: 0.0,
            }; 4],
            len: 0,
        }
    }

    fn push(&mut self, ty: PhiType, base: f32) {
        if self.len < self.items.len() {
            self.items[self.len] = Cand { ty, base };
            self.len += 1;
        }
    }

    /// The candidates.
    pub fn as_slice(&self) -> &[Cand] {
        &self.items[..self.len]
    }
}

/// Base scores. Checksum-validated types start high; structural-only types
/// (phone, ZIP, dates) lower; types that need context (DOB, MRN) start
/// below any sensible threshold and are reported only with context.
pub(crate) mod base {
    /// A checksum-validated identifier in its usual written form.
    pub const CHECKSUM: f32 = 0.9;
    /// A range-validated SSN/ITIN written with separators.
    pub const SSN_FORMATTED: f32 = 0.85;
    /// Nine bare digits that pass SSN/ITIN/routing rules.
    pub const NINE_BARE: f32 = 0.55;
    /// Ten bare digits that pass the NPI check.
    pub const NPI_BARE: f32 = 0.6;
    /// Ten digits in the epoch-seconds range (2017–2033) that pass NPI.
    pub const NPI_EPOCH_LIKE: f32 = 0.35;
    /// A card number without group separators (Luhn and issuer).
    pub const CARD_BARE: f32 = 0.8;
    /// MBI (strict positions) and DEA (check digit).
    pub const STRICT: f32 = 0.85;
    /// Phone with separators; bare ten digits need context.
    pub const PHONE: f32 = 0.55;
    /// Bare phone digits.
    pub const PHONE_BARE: f32 = 0.35;
    /// ZIP+4.
    pub const ZIP4: f32 = 0.55;
    /// Five digits.
    pub const ZIP5: f32 = 0.3;
    /// NDC with dashes.
    pub const NDC: f32 = 0.6;
    /// Eleven bare digits as NDC.
    pub const NDC_BARE: f32 = 0.3;
    /// ICD-10 code with a decimal point.
    pub const ICD_DOTTED: f32 = 0.6;
    /// ICD-10 category without a decimal point.
    pub const ICD_BARE: f32 = 0.3;
    /// An IP address.
    pub const IP: f32 = 0.6;
    /// An email address.
    pub const EMAIL: f32 = 0.9;
    /// Number + capitalized words + street suffix.
    pub const ADDRESS: f32 = 0.6;
    /// Capitalized words after a name keyword.
    pub const NAME: f32 = 0.65;
    /// Needs context (DOB, MRN): reported only with it.
    pub const NEEDS_CONTEXT: f32 = 0.45;
}

/// Types that are reported only with positive context.
pub(crate) const NEEDS_CONTEXT: TypeMask =
    bit(PhiType::DateOfBirth) | bit(PhiType::MedicalRecordNumber);

/// The candidate types of a shape match `m` (the matched bytes).
pub(crate) fn classify(shape: Shape, m: &[u8]) -> Cands {
    use PhiType::*;
    let mut c = Cands::new();
    match shape {
        Shape::Email => c.push(EmailAddress, base::EMAIL),
        Shape::Address => c.push(StreetAddress, base::ADDRESS),
        Shape::Name => c.push(PersonName, base::NAME),
        Shape::Mbi => c.push(UsMbi, base::STRICT),
        Shape::CardGrouped => c.push(CreditCard, base::CHECKSUM),
        Shape::Ndc => c.push(Ndc, base::NDC),
        Shape::ZipPlus4 => c.push(ZipCode, base::ZIP4),
        Shape::Ssn => {
            let dashed = m.contains(&b'-');
            let b = if dashed {
                base::SSN_FORMATTED
            } else {
                base::SSN_FORMATTED - 0.1
            };
            c.push(UsSsn, b);
            c.push(UsItin, b);
        }
        Shape::Phone => c.push(PhoneNumber, base::PHONE),
        Shape::Date => c.push(DateOfBirth, base::NEEDS_CONTEXT),
        Shape::Ip4 | Shape::Ip6 => c.push(IpAddress, base::IP),
        Shape::Dea => {
            c.push(UsDea, base::STRICT);
            c.push(MedicalRecordNumber, base::NEEDS_CONTEXT);
        }
        Shape::AlnumId => c.push(MedicalRecordNumber, base::NEEDS_CONTEXT),
        Shape::Icd => {
            let b = if m.contains(&b'.') {
                base::ICD_DOTTED
            } else {
                base::ICD_BARE
            };
            c.push(Icd10Code, b);
        }
        Shape::Digits => digits(m, &mut c),
    }
    c
}

/// Candidates for a bare digit run, by length.
fn digits(m: &[u8], c: &mut Cands) {
    use PhiType::*;
    match m.len() {
        5 => c.push(ZipCode, base::ZIP5),
        6..=8 => c.push(MedicalRecordNumber, base::NEEDS_CONTEXT),
        9 => {
            c.push(UsSsn, base::NINE_BARE);
            c.push(UsItin, base::NINE_BARE);
            c.push(UsBankRouting, base::NINE_BARE);
            c.push(MedicalRecordNumber, base::NEEDS_CONTEXT);
        }
        10 => {
            let epoch_like = m[0] == b'1' && (b'5'..=b'9').contains(&m[1]) || m.starts_with(b"20");
            let npi = if epoch_like {
                base::NPI_EPOCH_LIKE
            } else {
                base::NPI_BARE
            };
            c.push(UsNpi, npi);
            c.push(PhoneNumber, base::PHONE_BARE);
            c.push(MedicalRecordNumber, base::NEEDS_CONTEXT);
        }
        11 => {
            c.push(Ndc, base::NDC_BARE);
            c.push(PhoneNumber, base::PHONE_BARE);
        }
        13..=19 => c.push(CreditCard, base::CARD_BARE),
        _ => {}
    }
}

/// Whether `text[s..e]` stands alone: no letter or digit touches it, and no
/// `.`/`-`/`:` joins it to a longer token (`1.2.3.4.5`, the last group of a
/// UUID, `v1.2.3.4`). A name or address may be followed by punctuation.
pub(crate) fn bounded(text: &[u8], s: usize, e: usize) -> bool {
    bounded_left(text, s) && bounded_right(text, e)
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn joiner(b: u8) -> bool {
    matches!(b, b'.' | b'-' | b':' | b'/')
}

/// The left half of [`bounded`].
pub(crate) fn bounded_left(text: &[u8], s: usize) -> bool {
    match s {
        0 => true,
        1 => !word(text[0]),
        _ => {
            let p = text[s - 1];
            !(word(p) || joiner(p) && text[s - 2].is_ascii_alphanumeric())
        }
    }
}

/// The right half of [`bounded`].
pub(crate) fn bounded_right(text: &[u8], e: usize) -> bool {
    match text.get(e) {
        None => true,
        Some(&n) => {
            !(word(n) || joiner(n) && text.get(e + 1).is_some_and(|b| b.is_ascii_alphanumeric()))
        }
    }
}

/// Whether a date match is the date part of a timestamp
/// (`2026-11-28T10:00:00Z`, `2026-11-28 10:00`).
pub(crate) fn is_timestamp(text: &[u8], e: usize) -> bool {
    match text.get(e..e.saturating_add(3).min(text.len())) {
        Some([b'T', d, ..]) => d.is_ascii_digit(),
        Some([b' ', a, b]) => a.is_ascii_digit() && b.is_ascii_digit(),
        _ => false,
    }
}

/// Whether the bytes before a 5-digit ZIP read `, ST ` (a state code).
pub(crate) fn after_state_code(text: &[u8], s: usize) -> bool {
    s >= 4 && {
        let w = &text[s - 4..s];
        (w[0] == b',' || w[0] == b' ')
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_uppercase()
            && w[3] == b' '
    }
}

/// Words that, joined to `name` (`file_name`, `hostname`), make it not a
/// person's name.
const NOT_PERSON: &[&[u8]] = &[
    b"file",
    b"host",
    b"user",
    b"server",
    b"service",
    b"db",
    b"table",
    b"app",
    b"device",
    b"computer",
    b"domain",
    b"rule",
    b"event",
    b"type",
    b"class",
    b"process",
    b"container",
    b"bucket",
    b"key",
    b"column",
    b"field",
    b"param",
    b"node",
    b"pod",
    b"cluster",
    b"image",
    b"package",
    b"module",
    b"function",
    b"method",
    b"queue",
    b"topic",
    b"index",
    b"log",
    b"job",
    b"task",
    b"account",
    b"bundle",
    b"display",
    b"nick",
    b"path",
    b"dir",
    b"schema",
];

/// For a name-shape match at `s`: the start of the name itself (after the
/// keyword and separators), or None when the keyword is joined to a word that
/// makes it not a person (`file_name`) or the name is too short.
pub(crate) fn name_start(text: &[u8], s: usize, e: usize) -> Option<usize> {
    if s >= 2 && matches!(text[s - 1], b'_' | b'-') {
        let mut w = s - 1;
        // The longest word of NOT_PERSON is 9 letters: look no further.
        while w > 0 && s - w <= 12 && text[w - 1].is_ascii_alphabetic() {
            w -= 1;
        }
        let word = &text[w..s - 1];
        if NOT_PERSON.iter().any(|n| word.eq_ignore_ascii_case(n)) {
            return None;
        }
    }
    let mut i = s;
    while i < e && text[i].is_ascii_alphabetic() {
        i += 1;
    }
    while i < e && !text[i].is_ascii_uppercase() {
        i += 1;
    }
    (i < e && e - i >= 2).then_some(i)
}

/// A run of name-like words in a value whose key names a person: 1–5 words of
/// letters, `'`, `-`, `.` and `,`, starting with a letter. Returns the span
/// of the trimmed value.
pub(crate) fn whole_name(text: &str) -> Option<(usize, usize)> {
    let t = text.trim();
    let s = text.len() - text.trim_start().len();
    let ok = !t.is_empty()
        && t.len() <= 80
        && t.as_bytes()[0].is_ascii_alphabetic()
        && t.split_whitespace().count() <= 5
        && t.bytes()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'\'' | b'-' | b'.' | b','));
    ok.then_some((s, s + t.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(shape: Shape, m: &str) -> Vec<PhiType> {
        classify(shape, m.as_bytes())
            .as_slice()
            .iter()
            .map(|c| c.ty)
            .collect()
    }

    #[test]
    fn every_pattern_compiles_alone() {
        for (shape, p) in patterns() {
            let p = with_boundary(shape, &p);
            let built = regex_automata::meta::Regex::builder()
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .unicode(false)
                        .utf8(false),
                )
                .build(&p);
            assert!(built.is_ok(), "{shape:?}: {p}");
        }
    }

    #[test]
    fn digit_runs_by_length() {
        use PhiType::*;
        assert_eq!(types(Shape::Digits, "12345"), [ZipCode]);
        assert_eq!(types(Shape::Digits, "1234567"), [MedicalRecordNumber]);
        assert_eq!(
            types(Shape::Digits, "123456789"),
            [UsSsn, UsItin, UsBankRouting, MedicalRecordNumber]
        );
        assert_eq!(
            types(Shape::Digits, "2234567890"),
            [UsNpi, PhoneNumber, MedicalRecordNumber]
        );
        assert_eq!(types(Shape::Digits, "12345678901"), [Ndc, PhoneNumber]);
        assert!(types(Shape::Digits, "123456789012").is_empty());
        assert_eq!(types(Shape::Digits, "4111111111111111"), [CreditCard]);
        assert!(types(Shape::Digits, "41111111111111111111").is_empty());
        // Epoch-like ten digits start lower than plain ones.
        let epoch = classify(Shape::Digits, b"1764324003").items[0].base;
        let plain = classify(Shape::Digits, b"1234567893").items[0].base;
        assert!(epoch < plain);
    }

    #[test]
    fn boundaries() {
        let t = b"x 123456789 y";
        assert!(bounded(t, 2, 11));
        assert!(!bounded(b"a123456789", 1, 10));
        assert!(!bounded(b"1234567890", 0, 9));
        assert!(!bounded(b"ab-123456789", 3, 12));
        assert!(bounded(b"-123456789", 1, 10));
        assert!(!bounded(b"1.2.3.4.5", 0, 7));
        assert!(bounded(b"(123456789).", 1, 10));
        assert!(bounded(b"123456789", 0, 9));
    }

    #[test]
    fn date_ends_are_trimmed() {
        assert_eq!(trim_end(b"1980-01-02,", Shape::Date, 0, 11), 10);
        assert_eq!(trim_end(b"1980-01-02,", Shape::Ssn, 0, 11), 11);
    }

    #[test]
    fn timestamps_and_state_codes() {
        assert!(is_timestamp(b"2026-11-28T10:00", 10));
        assert!(is_timestamp(b"2026-11-28 10:00", 10));
        assert!(!is_timestamp(b"2026-11-28 ok", 10));
        assert!(!is_timestamp(b"2026-11-28", 10));
        assert!(after_state_code(b"Springfield, IL 62701", 16));
        assert!(!after_state_code(b"took 62701", 5));
    }

    #[test]
    fn names() {
        let t = b"first_name: John";
        assert_eq!(name_start(t, 6, t.len()), Some(12));
        let t = b"file_name: Report";
        assert_eq!(name_start(t, 5, t.len()), None);
        assert_eq!(whole_name(" Mary O'Brien "), Some((1, 13)));
        assert_eq!(whole_name("Smith, John"), Some((0, 11)));
        assert_eq!(whole_name("room 12"), None);
        assert_eq!(whole_name(""), None);
    }
}
