//! What the decoder benchmarks share: a deterministic generator for their
//! synthetic records and the decode loop they time.

use std::hint::black_box;

use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Origin;

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Decodes every `\n`-terminated line of `bytes` (then what the decoder
/// still holds); returns the number of events.
pub fn decode_all(format: Format, bytes: &[u8]) -> usize {
    let mut dec = format.decoder(&DecoderConfig::default()).expect("decoder");
    let mut events = 0;
    let mut start = 0;
    for (i, end) in memchr::memchr_iter(b'\n', bytes).enumerate() {
        let origin = Origin {
            line: i as u64 + 1,
            offset: start as u64,
            ..Origin::default()
        };
        if let Ok(Some(ev)) = dec.decode(&bytes[start..end], origin) {
            black_box(&ev);
            events += 1;
        }
        start = end + 1;
    }
    if let Some(Ok(ev)) = dec.finish() {
        black_box(&ev);
        events += 1;
    }
    events
}
