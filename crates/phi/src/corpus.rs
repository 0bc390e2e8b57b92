//! A deterministic, labeled evaluation corpus of synthetic documents: free
//! text clinical notes, CSV exports with and without telling headers,
//! FHIR-like JSON bodies, NDJSON application events, web access logs (with
//! identifiers in query strings, percent-encoded too) and application logs.
//!
//! Every true identifier is labeled with its byte span and type; the hard
//! negatives (invalid SSN ranges, Luhn failures, bad routing checksums,
//! order numbers, epoch timestamps, UUIDs, hashes, SKUs shaped like ICD
//! codes, version strings, tracking numbers, phone-like numbers with
//! invalid NANP area codes, bare dates without birth context, …) are
//! recorded as [`Negative`]s: nothing there may be reported. All names,
//! addresses and numbers are invented; no real person is in it.
//!
//! Labeling conventions: `DATE_OF_BIRTH` only where the text says the date
//! is a birth date (a `dob` key, "DOB", "born"); `MEDICAL_RECORD_NUMBER`
//! only with MRN context; `PERSON_NAME` only with name context (a name key
//! or "Pt"/"Patient"); `ZIP_CODE` only where a ZIP is meant (an address, a
//! `zip` key). A bare date in a log line is a negative, not a label.
//!
//! ```
//! use phiwatch_phi::corpus::generate;
//!
//! let corpus = generate(7, 2);
//! assert_eq!(corpus, generate(7, 2)); // deterministic
//! for doc in &corpus.docs {
//!     for label in &doc.labels {
//!         assert!(label.start < label.end && label.end <= doc.text.len());
//!     }
//! }
//! ```

mod docs;
mod ids;
mod logs;
mod mixed;
mod tables;

pub use mixed::mixed_logs;

use crate::types::PhiType;

/// The generated corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corpus {
    /// The documents, in generation order.
    pub docs: Vec<Doc>,
}

/// One synthetic document and its ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    /// A file name for it (unique within the corpus, with an extension).
    pub name: String,
    /// How it is laid out: `"text"`, `"csv"`, `"json"`, `"ndjson"` or
    /// `"access"` (web server access log; plain text line by line).
    pub layout: &'static str,
    /// The content.
    pub text: String,
    /// Every true identifier, in order of `start`.
    pub labels: Vec<Label>,
    /// The hard negatives placed in it, in order of `start`.
    pub negatives: Vec<Negative>,
}

/// A true identifier: `text[start..end]` is one `ty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset after the last byte (exclusive).
    pub end: usize,
    /// The type.
    pub ty: PhiType,
}

/// A hard negative: `text[start..end]` looks like an identifier but is not
/// one, and must not be reported as any type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negative {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset after the last byte (exclusive).
    pub end: usize,
    /// What it is, e.g. `"ssn_bad_range"`, `"epoch_ms"`, `"uuid"`.
    pub kind: &'static str,
}

impl Corpus {
    /// Total bytes of text.
    pub fn bytes(&self) -> usize {
        self.docs.iter().map(|d| d.text.len()).sum()
    }

    /// Number of labels of `ty` over every document.
    pub fn count(&self, ty: PhiType) -> usize {
        self.docs
            .iter()
            .flat_map(|d| &d.labels)
            .filter(|l| l.ty == ty)
            .count()
    }
}

/// The document kinds, generated in this order for each unit of scale.
const KINDS: [DocKind; 7] = [
    DocKind::Note,
    DocKind::CsvHeaders,
    DocKind::CsvGeneric,
    DocKind::Json,
    DocKind::Ndjson,
    DocKind::Access,
    DocKind::AppLog,
];

#[derive(Clone, Copy, Debug)]
enum DocKind {
    Note,
    CsvHeaders,
    CsvGeneric,
    Json,
    Ndjson,
    Access,
    AppLog,
}

/// Generates the corpus for `seed`: `scale` documents of each of the seven
/// kinds (note, CSV with headers, CSV with generic headers, JSON, NDJSON,
/// access log, application log), about 3 KB each. The same seed and scale
/// always give the same corpus.
pub fn generate(seed: u64, scale: usize) -> Corpus {
    let mut rng = SplitMix64::new(seed);
    let mut docs = Vec::with_capacity(scale * KINDS.len());
    for i in 0..scale {
        for kind in KINDS {
            // Each document has its own stream, so adding a kind or changing
            // one generator does not reshuffle every other document.
            let mut r = SplitMix64::new(rng.next_u64());
            docs.push(generate_one(kind, i, &mut r));
        }
    }
    Corpus { docs }
}

/// Log-like documents only (access logs and application logs), for
/// throughput measurements: `count` of each, from `seed`.
pub fn generate_logs(seed: u64, count: usize) -> Corpus {
    let mut rng = SplitMix64::new(seed);
    let mut docs = Vec::with_capacity(count * 2);
    for i in 0..count {
        for kind in [DocKind::Access, DocKind::AppLog] {
            let mut r = SplitMix64::new(rng.next_u64());
            docs.push(generate_one(kind, i, &mut r));
        }
    }
    Corpus { docs }
}

fn generate_one(kind: DocKind, i: usize, r: &mut SplitMix64) -> Doc {
    match kind {
        DocKind::Note => docs::note(r).finish(format!("note-{i:04}.txt"), "text"),
        DocKind::CsvHeaders => tables::csv_headers(r).finish(format!("export-{i:04}.csv"), "csv"),
        DocKind::CsvGeneric => tables::csv_generic(r).finish(format!("generic-{i:04}.csv"), "csv"),
        DocKind::Json => tables::json(r).finish(format!("fhir-{i:04}.json"), "json"),
        DocKind::Ndjson => tables::ndjson(r).finish(format!("events-{i:04}.ndjson"), "ndjson"),
        DocKind::Access => logs::access(r).finish(format!("access-{i:04}.log"), "access"),
        DocKind::AppLog => logs::app(r).finish(format!("app-{i:04}.log"), "text"),
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable generator.
/// Not for secrets; here it makes the corpus reproducible without a
/// dependency.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0). The modulo bias is far
    /// below anything a corpus can show.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of `items`, which must not be empty.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Builds a document and its labels as text is appended.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    text: String,
    labels: Vec<Label>,
    negatives: Vec<Negative>,
}

impl Builder {
    /// Appends plain text.
    pub(crate) fn t(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a true identifier of `ty`.
    pub(crate) fn p(&mut self, ty: PhiType, s: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(s);
        self.labels.push(Label {
            start,
            end: self.text.len(),
            ty,
        });
        self
    }

    /// Appends a hard negative of `kind`.
    pub(crate) fn n(&mut self, kind: &'static str, s: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(s);
        self.negatives.push(Negative {
            start,
            end: self.text.len(),
            kind,
        });
        self
    }

    /// Appends `s` as a true identifier of `ty` when given one, else as a
    /// negative of `kind`, else as plain text.
    pub(crate) fn v(&mut self, what: Val, s: &str) -> &mut Self {
        match what {
            Val::Phi(ty) => self.p(ty, s),
            Val::Neg(kind) => self.n(kind, s),
            Val::Plain => self.t(s),
        }
    }

    /// Appends `s` percent-encoded (as in a query string), labeled as `what`.
    pub(crate) fn v_encoded(&mut self, what: Val, s: &str, plus_for_space: bool) -> &mut Self {
        let enc = percent_encode(s, plus_for_space);
        self.v(what, &enc)
    }

    fn finish(self, name: String, layout: &'static str) -> Doc {
        let mut labels = self.labels;
        labels.sort_by_key(|l| (l.start, l.end));
        let mut negatives = self.negatives;
        negatives.sort_by_key(|n| (n.start, n.end));
        Doc {
            name,
            layout,
            text: self.text,
            labels,
            negatives,
        }
    }
}

/// What a value appended to a [`Builder`] is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val {
    /// A true identifier.
    Phi(PhiType),
    /// A hard negative.
    Neg(&'static str),
    /// Neither (ordinary text: an amount, a status).
    Plain,
}

/// Percent-encodes everything but the RFC 3986 unreserved characters.
pub fn percent_encode(s: &str, plus_for_space: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' if plus_for_space => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (as a space); anything malformed is kept
/// as it is.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
