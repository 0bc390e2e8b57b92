//! Format detection over arbitrary samples.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiwatch_decode::detect(data);
});
