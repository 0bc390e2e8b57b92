//! Context scoring: the words around a candidate and the key it is the value
//! of raise or lower its score.
//!
//! The words are compiled once per [`Context`]: for the text around a
//! candidate, an index of every context word by its first letter, looked up
//! at each word start in the window (ASCII case-insensitive, longest word
//! first; a window is a few dozen bytes, where an automaton's start-up costs
//! more than the lookups); for keys (a CSV header, a JSON key, a query
//! parameter), an Aho-Corasick automaton over the same words with spaces
//! removed, the keys being normalized first (see [`normalize_key`]).
//!
//! Window rules: in the bytes *before* a candidate, the nearest word that
//! speaks for a type decides it (a positive word for that type raises it, a
//! negative word such as "order" or "version" lowers it), so in
//! `order 1234 ssn 536-22-8741` the SSN sees "ssn", not "order". After the
//! candidate only positive words count (`536-22-8741 (SSN)`). Words must stand
//! on word boundaries (`cc` in "access" does not count; `patientSsn` does).
//!
//! ```
//! use phiwatch_phi::context::{normalize_key, Context};
//! use phiwatch_phi::PhiType;
//!
//! let mut buf = [0u8; 64];
//! assert_eq!(normalize_key("patient.Date_Of-Birth", &mut buf), "dateofbirth");
//! let ctx = Context::new();
//! let key = ctx.key("Patient_SSN");
//! assert!(key.positive(PhiType::UsSsn));
//! assert!(ctx.key("order_id").negative(PhiType::UsSsn));
//! ```

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::types::PhiType;

/// A set of types, one bit per [`PhiType`] discriminant.
pub type TypeMask = u32;

/// The bit of `ty` in a [`TypeMask`].
pub const fn bit(ty: PhiType) -> TypeMask {
    1 << (ty as u32)
}

/// Positive context words per type (matched case-insensitively).
const POSITIVE: &[(PhiType, &[&str])] = &[
    (
        PhiType::UsSsn,
        &[
            "ssn",
            "social security",
            "soc sec",
            "socsec",
            "ss#",
            "ss no",
        ],
    ),
    (PhiType::UsItin, &["itin", "taxpayer", "tin", "tax id"]),
    (
        PhiType::DateOfBirth,
        &[
            "dob",
            "date of birth",
            "born",
            "birth date",
            "birthdate",
            "birthday",
            "d.o.b",
        ],
    ),
    (
        PhiType::MedicalRecordNumber,
        &[
            "mrn",
            "medical record",
            "chart",
            "patient id",
            "patientid",
            "record number",
            "med rec",
        ],
    ),
    (
        PhiType::UsMbi,
        &[
            "mbi",
            "medicare",
            "beneficiary",
            "member id",
            "memberid",
            "hicn",
        ],
    ),
    (PhiType::UsNpi, &["npi", "provider"]),
    (PhiType::UsDea, &["dea", "prescriber"]),
    (PhiType::Icd10Code, &["icd", "icd10", "diagnosis", "dx"]),
    (PhiType::Ndc, &["ndc", "drug", "medication", "rx"]),
    (
        PhiType::CreditCard,
        &[
            "card",
            "visa",
            "mastercard",
            "cc",
            "amex",
            "discover",
            "pan",
        ],
    ),
    (PhiType::UsBankRouting, &["routing", "aba", "rtn", "bank"]),
    (
        PhiType::PhoneNumber,
        &[
            "phone",
            "tel",
            "telephone",
            "mobile",
            "cell",
            "fax",
            "contact",
        ],
    ),
    (PhiType::EmailAddress, &["email", "e-mail", "mail"]),
    (PhiType::IpAddress, &["ip", "client", "remote", "addr"]),
    (
        PhiType::StreetAddress,
        &["address", "street", "addr", "residence", "lives at"],
    ),
    (
        PhiType::PersonName,
        &["name", "patient", "mr.", "mrs.", "ms.", "dr."],
    ),
    (
        PhiType::ZipCode,
        &["zip", "postal", "zipcode", "postcode", "address", "addr"],
    ),
];

/// Words that lower the score of the number-like types.
const NEGATIVE: &[&str] = &[
    "order",
    "invoice",
    "sku",
    "tracking",
    "build",
    "version",
    "timestamp",
    "uuid",
    "epoch",
    "port",
    "pid",
    "bytes",
    "ticket",
    "transaction",
    "txn",
    "product",
    "serial",
    "confirmation",
];

/// Whether a normalized key names a terminology code.
fn is_code_key(norm: &str) -> bool {
    ["code", "coding", "snomed", "loinc", "rxnorm", "cpt"]
        .iter()
        .any(|w| norm.ends_with(w) || norm.starts_with(w))
}

/// The types negative words lower: every number-like type (not names,
/// addresses or email addresses).
const NEGATIVE_TYPES: TypeMask =
    !(bit(PhiType::PersonName) | bit(PhiType::StreetAddress) | bit(PhiType::EmailAddress));

/// What one context word says.
#[derive(Clone, Copy, Debug)]
struct Word {
    /// Types it speaks for.
    positive: TypeMask,
    /// Whether it lowers [`NEGATIVE_TYPES`].
    negative: bool,
}

/// What the context of a candidate says, per type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// Types with a positive word (or key).
    pub pos: TypeMask,
    /// Types with a negative word (or key).
    pub neg: TypeMask,
    /// The types the nearest context word before the candidate speaks for
    /// (every type, not only the candidate's; 0 when that word is negative
    /// or there is none): "routing 123456789" is not an SSN.
    pub nearest: TypeMask,
}

impl Signals {
    /// Whether the context speaks for `ty`.
    pub fn positive(&self, ty: PhiType) -> bool {
        self.pos & bit(ty) != 0
    }

    /// Whether the context speaks against `ty`.
    pub fn negative(&self, ty: PhiType) -> bool {
        self.neg & bit(ty) != 0
    }
}

/// The compiled context words. Build once, share between threads.
#[derive(Debug, Clone)]
pub struct Context {
    /// Per lowercase first letter and second byte (see [`slot`]), the
    /// window words starting with them (lowercase bytes, what they say),
    /// longest first.
    window_index: Vec<Vec<(Box<[u8]>, Word)>>,
    key_ac: Option<AhoCorasick>,
    key_words: Vec<(Word, usize)>,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

/// Every context word with what it says, in a stable order.
fn all_words() -> Vec<(&'static str, Word)> {
    let mut words: Vec<(&'static str, Word)> = Vec::new();
    for (ty, list) in POSITIVE {
        for w in *list {
            match words.iter_mut().find(|(s, _)| s == w) {
                Some((_, word)) => word.positive |= bit(*ty),
                None => words.push((
                    w,
                    Word {
                        positive: bit(*ty),
                        negative: false,
                    },
                )),
            }
        }
    }
    for w in NEGATIVE {
        words.push((
            w,
            Word {
                positive: 0,
                negative: true,
            },
        ));
    }
    words
}

/// Builds an automaton; the patterns are a fixed, small list of literals,
/// so this cannot fail in practice (None: no context at all).
fn build(patterns: &[String], kind: MatchKind) -> Option<AhoCorasick> {
    let built = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(kind)
        .kind(Some(AhoCorasickKind::DFA))
        // Windows are short and full of letters: a prefilter only adds
        // restarts.
        .prefilter(false)
        .build(patterns)
        .ok();
    debug_assert!(built.is_some(), "the context words compile");
    built
}

/// The index slot of a word by its lowercase first letter and second byte
/// (folded to five bits; words that share a slot are told apart when
/// compared).
fn slot(first: u8, second: u8) -> Option<usize> {
    first
        .is_ascii_lowercase()
        .then(|| usize::from(first - b'a') * 32 + usize::from(second & 31))
}

impl Context {
    /// Compiles the context words.
    pub fn new() -> Context {
        let words = all_words();
        let mut window_index: Vec<Vec<(Box<[u8]>, Word)>> = vec![Vec::new(); 26 * 32];
        for (s, w) in &words {
            let lower: Box<[u8]> = s.to_ascii_lowercase().into_bytes().into();
            if let [first, second, ..] = *lower {
                if let Some(bucket) = slot(first, second).and_then(|i| window_index.get_mut(i)) {
                    bucket.push((lower, *w));
                }
            }
        }
        for bucket in &mut window_index {
            // Longest first: the longest word at a position wins (`zipcode`
            // over `zip`); equal lengths keep the list order.
            bucket.sort_by_key(|(b, _)| std::cmp::Reverse(b.len()));
        }
        // Keys: the same words, normalized like keys are; words with
        // punctuation ("mr.", "dr.") say nothing as keys.
        let mut key_patterns = Vec::new();
        let mut key_words = Vec::new();
        for (s, w) in &words {
            if s.bytes().any(|b| !b.is_ascii_alphanumeric() && b != b' ') {
                continue;
            }
            let norm: String = s.chars().filter(|c| *c != ' ').collect();
            if key_patterns.contains(&norm) {
                continue;
            }
            let len = norm.len();
            key_patterns.push(norm);
            key_words.push((*w, len));
        }
        Context {
            window_index,
            key_ac: build(&key_patterns, MatchKind::Standard),
            key_words,
        }
    }

    /// What the bytes around `text[start..end]` say about the types in
    /// `types`: `window` bytes before (nearest word wins) and `window / 2`
    /// bytes after (positive words only).
    pub fn window(
        &self,
        text: &[u8],
        start: usize,
        end: usize,
        window: usize,
        types: TypeMask,
    ) -> Signals {
        let mut sig = Signals::default();
        let (from, to) = clip_to_line(text, start, end, window);
        if text.get(from..to).is_none() {
            return sig;
        }
        // Words before the candidate in order (the nearest wins), words
        // after it positive only.
        let mut p = from;
        while p < to {
            let b = text[p];
            if !b.is_ascii_alphabetic() {
                p += 1;
                continue;
            }
            let hit = if left_ok(text, p) {
                // Words are lowercase; bytes compare with `| 0x20`, which
                // leaves `#`, `-`, `.`, ` ` as they are.
                let second = text.get(p + 1).map_or(0, |c| c | 0x20);
                slot(b | 0x20, second)
                    .and_then(|i| self.window_index.get(i))
                    .and_then(|bucket| {
                        bucket.iter().find(|(w, _)| {
                            p + w.len() <= to
                                && text
                                    .get(p..p + w.len())
                                    .is_some_and(|t| t.eq_ignore_ascii_case(w))
                        })
                    })
            } else {
                None
            };
            let Some((word, w)) = hit else {
                // On to the next byte that can start a word: not a small
                // letter, nor a capital after a capital.
                p += 1;
                while p < to
                    && (text[p].is_ascii_lowercase()
                        || text[p].is_ascii_uppercase() && text[p - 1].is_ascii_uppercase())
                {
                    p += 1;
                }
                continue;
            };
            let (s, e) = (p, p + word.len());
            p = e;
            if (e > start && s < end) || !right_ok(text, s, e) {
                continue;
            }
            if s >= end {
                sig.pos |= w.positive & types;
            } else if w.negative {
                let n = NEGATIVE_TYPES & types;
                sig.neg |= n;
                sig.pos &= !n;
                sig.nearest = 0;
            } else {
                let p = w.positive & types;
                sig.pos |= p;
                sig.neg &= !p;
                sig.nearest = w.positive;
            }
        }
        sig
    }

    /// What a key says. Words of three letters or fewer count only at the
    /// start or the end of the normalized key (`ccnumber`, `patientssn`, but
    /// not `access`).
    pub fn key(&self, key: &str) -> Signals {
        let mut buf = [0u8; 64];
        let norm = normalize_key(key, &mut buf);
        let mut sig = Signals::default();
        let hits = self
            .key_ac
            .iter()
            .flat_map(|ac| ac.find_overlapping_iter(norm));
        for m in hits {
            let (w, len) = self.key_words[m.pattern().as_usize()];
            if len <= 3 && m.start() != 0 && m.end() != norm.len() {
                continue;
            }
            if w.negative {
                sig.neg |= NEGATIVE_TYPES;
            } else {
                sig.pos |= w.positive;
            }
        }
        // A clinical code (FHIR `code.coding[].code`, SNOMED CT, LOINC,
        // RxNorm, CPT) is a number of the terminology, not of a person:
        // every number-like type but the code types themselves.
        if is_code_key(norm) {
            sig.neg |= NEGATIVE_TYPES & !(bit(PhiType::Icd10Code) | bit(PhiType::Ndc));
        }
        // A positive key wins over a negative word inside it
        // ("ssn_version" is odd, "patient_order_ssn" is an SSN).
        sig.neg &= !sig.pos;
        if key_is_name(norm) {
            sig.pos |= bit(PhiType::PersonName);
        }
        // "username", "hostname": "name" inside a key is not a person.
        if !key_is_name(norm) && norm.ends_with("name") {
            sig.pos &= !bit(PhiType::PersonName);
        }
        sig
    }
}

/// The window around `text[start..end]`: `window` bytes before and
/// `window / 2` after, not crossing a line break (the end of the previous
/// log line says nothing about this one).
fn clip_to_line(text: &[u8], start: usize, end: usize, window: usize) -> (usize, usize) {
    let lo = start.saturating_sub(window);
    let mut from = lo;
    // Backwards to the nearest line break or field end (`" ` as between
    // the fields of an access log line), unless only separators stand
    // between it and the candidate (`"zip": "62701"`).
    let mut only_separators = true;
    let mut i = start;
    while i > lo {
        let b = text[i - 1];
        if b == b'\n' || (b == b'"' && text.get(i) == Some(&b' ') && !only_separators) {
            from = i;
            break;
        }
        only_separators &= matches!(b, b' ' | b':' | b'=' | b'"' | b'\'');
        i -= 1;
    }
    let to = end.saturating_add(window / 2).min(text.len());
    let to = match memchr::memchr(b'\n', text.get(end..to).unwrap_or_default()) {
        Some(i) => end + i,
        None => to,
    };
    (from, to)
}

/// Whether a ZIP code's window can hold a ZIP context word at all ("zip",
/// "postal", "postcode", "zipcode": a `z`, or `ost`), and holds one of the
/// words that speak for a ZIP code ("zip", "postal", "postcode", "addr",
/// "address"): a cheap check before the automaton, since five-digit numbers
/// are everywhere in logs (a response size beside `Mozilla` has a `z` but no
/// ZIP word).
pub fn maybe_zip_context(text: &[u8], start: usize, end: usize, window: usize) -> bool {
    let (from, to) = clip_to_line(text, start, end, window);
    let w = text.get(from..to).unwrap_or_default();
    let at = |i: usize, word: &[u8]| {
        w.get(i..i + word.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(word))
    };
    // memchr jumps between the few letters the words start with (most
    // windows hold none of them at a useful place).
    let mut gate = false;
    for i in memchr::memchr2_iter(b'z', b'Z', w) {
        if at(i, b"zip") {
            return true;
        }
        gate = true;
    }
    for i in memchr::memchr2_iter(b'o', b'O', w) {
        if at(i, b"ost") {
            if i >= 1 && (at(i - 1, b"postal") || at(i - 1, b"postcode")) {
                return true;
            }
            gate = true;
        }
    }
    gate && memchr::memchr2_iter(b'a', b'A', w).any(|i| at(i, b"addr"))
}

/// Normalized keys that hold a person's name.
const NAME_KEYS: &[&str] = &[
    "name",
    "firstname",
    "lastname",
    "fullname",
    "middlename",
    "givenname",
    "familyname",
    "surname",
    "patientname",
    "patient",
    "membername",
    "subscribername",
    "guarantorname",
    "contactname",
    "providername",
    "physicianname",
    "fname",
    "lname",
    "maidenname",
    "family",
    "given",
    "nametext",
];

/// Whether a normalized key names a person's name column.
pub fn key_is_name(norm: &str) -> bool {
    NAME_KEYS.contains(&norm)
}

/// Generic last segments that say nothing alone: the segment before them is
/// kept too (`patient.id` → `patientid`).
const GENERIC: &[&str] = &[
    "id", "value", "number", "no", "num", "code", "text", "val",
    // `user.name`, `host.name`, `file.name` (ECS): not a person's name;
    // `patient.name` still is.
    "name",
];

/// Normalizes a key into `buf`: the last segment of a path (`a.b[0].c` →
/// `c`, array indexes skipped; a generic last segment such as `id` keeps the one before it),
/// ASCII-lowercased, only letters and digits kept, at most 64 bytes.
pub fn normalize_key<'b>(key: &str, buf: &'b mut [u8; 64]) -> &'b str {
    let is_sep = |c: char| matches!(c, '.' | '/' | '[' | ']' | ':');
    let mut segs = key
        .split(is_sep)
        .filter(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()))
        .rev();
    let last = segs.next().unwrap_or("");
    let mut len = 0;
    if is_generic(last) {
        if let Some(prev) = segs.next() {
            len = push_norm(prev, buf, len);
        }
    }
    len = push_norm(last, buf, len);
    // Only ASCII alphanumerics were written.
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}

fn is_generic(seg: &str) -> bool {
    let mut buf = [0u8; 64];
    let len = push_norm(seg, &mut buf, 0);
    GENERIC.iter().any(|g| g.as_bytes() == &buf[..len])
}

fn push_norm(seg: &str, buf: &mut [u8; 64], mut len: usize) -> usize {
    for b in seg.bytes() {
        if len == buf.len() {
            break;
        }
        if b.is_ascii_alphanumeric() {
            buf[len] = b.to_ascii_lowercase();
            len += 1;
        }
    }
    len
}

/// Whether a word starting at `s` stands on a word boundary on its left: no
/// ASCII letter right before it, except at a camelCase step (`patientSsn`).
fn left_ok(text: &[u8], s: usize) -> bool {
    let first = text.get(s).copied().unwrap_or(b' ');
    match s.checked_sub(1).and_then(|i| text.get(i)) {
        Some(p) if p.is_ascii_alphabetic() => p.is_ascii_lowercase() && first.is_ascii_uppercase(),
        _ => true,
    }
}

/// Whether `text[s..e]` stands on a word boundary on its right: no ASCII
/// letter right after a final letter, except at a camelCase step
/// (`ssnValue`).
fn right_ok(text: &[u8], s: usize, e: usize) -> bool {
    let last = if e > s {
        text.get(e - 1).copied()
    } else {
        None
    }
    .unwrap_or(b' ');
    match text.get(e) {
        Some(n) if n.is_ascii_alphabetic() && last.is_ascii_alphabetic() => {
            n.is_ascii_uppercase() && last.is_ascii_lowercase()
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(k: &str) -> String {
        let mut buf = [0u8; 64];
        normalize_key(k, &mut buf).to_string()
    }

    #[test]
    fn keys_normalize_to_last_segment() {
        assert_eq!(norm("patient.SSN"), "ssn");
        assert_eq!(norm("rows[3].first_name"), "firstname");
        assert_eq!(norm("Date-Of Birth"), "dateofbirth");
        assert_eq!(norm("patient.id"), "patientid");
        assert_eq!(norm("name[0].given[0]"), "given");
        assert_eq!(norm("fields.user.name"), "username");
        assert_eq!(norm("patient.name"), "patientname");
        assert_eq!(norm("name"), "name");
        assert_eq!(norm(""), "");
        assert_eq!(norm(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn key_signals() {
        let c = Context::new();
        assert!(c.key("ssn").positive(PhiType::UsSsn));
        assert!(c.key("cc_number").positive(PhiType::CreditCard));
        assert!(!c.key("access").positive(PhiType::CreditCard));
        assert!(c.key("order_id").negative(PhiType::UsSsn));
        assert!(!c.key("order_id").negative(PhiType::EmailAddress));
        assert!(c.key("first_name").positive(PhiType::PersonName));
        assert!(!c.key("username").positive(PhiType::PersonName));
        assert!(c.key("patient.dob").positive(PhiType::DateOfBirth));
        assert!(c.key("patient.id").positive(PhiType::MedicalRecordNumber));
    }

    #[test]
    fn nearest_word_before_wins() {
        let c = Context::new();
        let all = !0;
        let t = b"order 1234 ssn 536-22-8741";
        let s = c.window(t, 15, 26, 48, all);
        assert!(s.positive(PhiType::UsSsn));
        assert!(!s.negative(PhiType::UsSsn));
        let t = b"ssn? no, order 536228741";
        let s = c.window(t, 15, 24, 48, all);
        assert!(s.negative(PhiType::UsSsn));
        assert!(!s.positive(PhiType::UsSsn));
    }

    #[test]
    fn zip_precheck_needs_a_zip_word() {
        // A response size beside "Mozilla": a `z`, but no ZIP word.
        let t = b"\"GET / HTTP/1.1\" 200 12345 \"-\" \"Mozilla/5.0\"";
        assert!(!maybe_zip_context(t, 22, 27, 48));
        let t = b"ZIP code 62701";
        assert!(maybe_zip_context(t, 9, 14, 48));
        let t = b"Postal: 62701";
        assert!(maybe_zip_context(t, 8, 13, 48));
        // "addr" speaks for a ZIP code but does not pass the `z`/`ost` gate
        // alone (as before); with a `z` in the window it does.
        assert!(!maybe_zip_context(b"addr 62701", 5, 10, 48));
        assert!(maybe_zip_context(b"zone addr 62701", 10, 15, 48));
        assert!(!maybe_zip_context(b"took 62701 ms", 5, 10, 48));
    }

    #[test]
    fn words_need_boundaries() {
        let c = Context::new();
        let t = b"access 4111111111111111";
        assert_eq!(c.window(t, 7, 23, 48, !0), Signals::default());
        let t = b"patientSsn=536228741";
        assert!(c.window(t, 11, 20, 48, !0).positive(PhiType::UsSsn));
        let t = b"536-22-8741 (SSN)";
        assert!(c.window(t, 0, 11, 48, !0).positive(PhiType::UsSsn));
    }
}
