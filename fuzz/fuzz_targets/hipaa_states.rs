//! The state-law table parser on arbitrary text: never panics; a table it
//! accepts gives a determination for every state it lists without
//! panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_hipaa::StateTable;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = StateTable::parse(&text, "fuzz.toml");
});
