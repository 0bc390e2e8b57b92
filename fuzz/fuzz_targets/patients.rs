//! Patients CSV parsing of arbitrary bytes: never panics; a rejected file
//! names at least one problem, each on a line of the text; an accepted
//! file's patients have ids, two-letter or `unknown` states, and unique
//! ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_inventory::Patients;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1) + 1;
    match Patients::parse(&text, "fuzz.csv") {
        Ok(p) => {
            let mut ids = std::collections::HashSet::new();
            for x in &p.list {
                assert!(!x.id.is_empty());
                assert!(x.state == "unknown" || x.state.len() == 2);
                assert!(ids.insert(x.id.clone()), "duplicate id accepted");
                assert!(p.position(&x.id).is_some());
            }
        }
        Err(e) => {
            assert!(!e.0.is_empty());
            for x in &e.0 {
                assert!(x.line <= lines, "{x} of {lines}");
            }
        }
    }
});
