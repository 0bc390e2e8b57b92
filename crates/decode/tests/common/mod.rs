//! The harness the decoder integration tests share: feed numbered records
//! to a decoder and collect what comes out, and the small accessors the
//! assertions use.

// Each test file uses part of this module.
#![allow(dead_code, clippy::unwrap_used)]

use phiwatch_decode::{DecodeError, Decoder, DecoderConfig, Format};
use phiwatch_event::{Event, Key, Origin};

/// What a decoder made of some records.
pub struct Run {
    pub events: Vec<Event>,
    /// (record number, from 1; error)
    pub errors: Vec<(u64, DecodeError)>,
    /// Records that gave no event (`Ok(None)`).
    pub skipped: usize,
}

/// The origin of record `n` (its line and record number).
pub fn origin(n: u64) -> Origin {
    Origin {
        line: n,
        record: n,
        ..Origin::default()
    }
}

/// Decodes `records`, numbered from 1 (does not call `finish`).
pub fn run_records<'a>(dec: &mut dyn Decoder, records: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut r = Run {
        events: Vec::new(),
        errors: Vec::new(),
        skipped: 0,
    };
    for (i, rec) in records.into_iter().enumerate() {
        let n = i as u64 + 1;
        match dec.decode(rec, origin(n)) {
            Ok(Some(ev)) => r.events.push(ev),
            Ok(None) => r.skipped += 1,
            Err(e) => r.errors.push((n, e)),
        }
    }
    r
}

/// Decodes the lines of `text` (`str::lines`: `\n` or `\r\n`).
pub fn run_lines(dec: &mut dyn Decoder, text: &str) -> Run {
    run_records(dec, text.lines().map(str::as_bytes))
}

/// A decoder of `format` with the default configuration.
pub fn decoder(format: Format) -> Box<dyn Decoder> {
    format.decoder(&DecoderConfig::default()).expect("decoder")
}

/// The lines of `b`, split on `\n` after one final `\n` is removed.
pub fn lines(b: &[u8]) -> Vec<&[u8]> {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.split(|&c| c == b'\n').collect()
}

/// A field as a string.
pub fn s(ev: &Event, k: Key) -> Option<&str> {
    ev.get(k).and_then(|v| v.as_str())
}

/// A field as an integer.
pub fn i(ev: &Event, k: Key) -> Option<i64> {
    ev.get(k).and_then(|v| v.as_i64())
}

/// `src` with each `(at, byte)` edit applied, then cut at `cut`: the input
/// of the "mutated records never panic" properties.
pub fn mutate(
    src: &[u8],
    edits: Vec<(proptest::sample::Index, u8)>,
    cut: proptest::sample::Index,
) -> Vec<u8> {
    let mut b = src.to_vec();
    for (at, byte) in edits {
        let n = at.index(b.len());
        b[n] = byte;
    }
    b.truncate(cut.index(b.len() + 1));
    b
}
