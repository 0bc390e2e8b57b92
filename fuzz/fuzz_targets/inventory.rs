//! Inventory parsing of arbitrary text: never panics; a rejected file names
//! at least one problem, each on a line of the text (or line 1 for an empty
//! one); an accepted file's silos all have a name and a valid kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_inventory::Inventory;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1) + 1;
    match Inventory::parse(&text, "fuzz.toml") {
        Ok(inv) => {
            for s in &inv.silos {
                assert!(!s.name.trim().is_empty());
            }
        }
        Err(p) => {
            assert!(!p.0.is_empty());
            for x in &p.0 {
                assert!(x.line >= 1 && x.line <= lines, "{x} of {lines}");
            }
        }
    }
});
