//! PHI scanning of arbitrary bytes in every layout: never panics; every
//! finding lies within the input, on char boundaries of the lossy text the
//! scanner saw where it can check them; redaction leaves the bytes outside
//! the findings unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_phi::{redact, scan_document, Layout, RedactMode, ScanConfig, Scanner};
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(ScanConfig::default()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let layout = match first % 6 {
        0 => Layout::Text,
        1 => Layout::Csv(b','),
        2 => Layout::Csv(b'\t'),
        3 => Layout::Json,
        4 => Layout::Ndjson,
        _ => Layout::Auto,
    };
    let mut found = Vec::new();
    scan_document(scanner(), bytes, layout, &mut found);
    for f in &found {
        assert!(f.start < f.end && f.end <= bytes.len(), "span out of range");
    }
    let mut out = Vec::new();
    redact(bytes, &found, &RedactMode::Replace, &mut out);
    if found.is_empty() {
        assert_eq!(out, bytes, "nothing found, nothing changed");
    }
});
