//! Timestamp parsing: never panics, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_event::Timestamp;

fuzz_target!(|data: &[u8]| {
    if let Some(t) = Timestamp::parse_any(data) {
        assert_eq!(Timestamp::parse_rfc3339(t.to_rfc3339().as_bytes()), Some(t));
    }
});
