//! `jsonl`: one finding object per line.

use std::io::Write;

use super::FindingSink;
use crate::finding::Finding;

/// Writes each finding as one JSON object on its own line (the contract
/// shape documented on [`Finding`]).
#[derive(Debug)]
pub struct JsonlSink<W: Write> {
    out: W,
}

impl<W: Write> JsonlSink<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        JsonlSink { out }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> FindingSink for JsonlSink<W> {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, f)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
