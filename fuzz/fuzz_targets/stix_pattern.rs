//! STIX patterns over arbitrary text: parsing and compiling never panic, and
//! whatever compiles has at least one group, none of them empty. A bundle
//! wrapping the same text as a pattern loads without panicking and counts
//! its one indicator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_event::Timestamp;
use phiwatch_intel::stix;
use phiwatch_intel::LoadReport;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pattern) = stix::parse_pattern(text) {
        if let Ok(groups) = stix::compile(&pattern) {
            assert!(!groups.is_empty());
            assert!(groups.iter().all(|g| !g.is_empty()));
        }
    }
    let Ok(quoted) = serde_json_string(text) else {
        return;
    };
    let bundle = format!(r#"{{"type":"indicator","id":"indicator--f","pattern":{quoted}}}"#);
    let mut report = LoadReport::default();
    let found = stix::load(&bundle, "fuzz", Timestamp::EPOCH, &mut report);
    assert_eq!(report.read, 1);
    assert_eq!(found.len() + report.problems.len() + report.expired, 1);
});

/// `text` as a JSON string literal (no serde_json dependency in the fuzz
/// crate).
fn serde_json_string(text: &str) -> Result<String, std::fmt::Error> {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}
