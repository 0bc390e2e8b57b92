//! Every decoder over arbitrary bytes: the first byte picks the format, the
//! rest is split into lines and decoded in order (so header state is
//! exercised). Decoders must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Origin;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = Format::ALL[pick as usize % Format::ALL.len()];
    let Ok(mut dec) = format.decoder(&DecoderConfig::default()) else { return };
    for (i, line) in rest.split(|&b| b == b'\n').enumerate() {
        let origin = Origin { line: i as u64 + 1, ..Origin::default() };
        if let Ok(Some(ev)) = dec.decode(line, origin) {
            // Reading every field back must not panic either.
            for f in ev.fields() {
                let _ = f.value.to_string();
            }
        }
    }
});
