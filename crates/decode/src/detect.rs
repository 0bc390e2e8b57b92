//! Stub: being written.

use crate::Format;

/// How a source's bytes are cut into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One record per line.
    Lines,
    /// A stream of JSON documents (arrays expanded, `Records` envelopes opened).
    JsonDocuments,
}

/// What detection decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// The format.
    pub format: Format,
    /// The framing.
    pub framing: Framing,
}

/// Detects the format of a source from its first bytes.
pub fn detect(_sample: &[u8]) -> Option<Detected> {
    None
}
