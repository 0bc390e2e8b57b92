//! The scanner: one multi-pattern pass over text for every identifier type,
//! validators on the candidates, context scoring.

use crate::types::PhiType;

/// Scanner options.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Findings scoring below this are dropped (0–1).
    pub threshold: f32,
    /// Types to look for (all by default).
    pub types: Vec<PhiType>,
    /// Bytes on each side of a candidate searched for context words.
    pub window: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            threshold: 0.5,
            types: PhiType::ALL.to_vec(),
            window: 48,
        }
    }
}

/// One identifier found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Byte offset of the first byte, in the scanned text.
    pub start: usize,
    /// Byte offset after the last byte (exclusive).
    pub end: usize,
    /// The type.
    pub ty: PhiType,
    /// Confidence, 0–1, after validation and context.
    pub score: f32,
    /// Whether a validator (checksum, ranges) accepted it.
    pub validated: bool,
}

/// The compiled detectors. Build once, share between threads.
#[derive(Debug)]
pub struct Scanner {
    config: ScanConfig,
}

impl Scanner {
    /// Compiles the detectors for `config`.
    pub fn new(config: ScanConfig) -> Scanner {
        Scanner { config }
    }

    /// The configuration.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// Finds identifiers in `text`, appending to `out` in order of `start`.
    /// `key` is the name the text is the value of, when known (a CSV column
    /// header, a JSON key path, a query parameter): it counts as context.
    pub fn scan(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>) {
        let _ = (text, key, out);
    }
}
