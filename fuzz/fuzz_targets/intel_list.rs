//! Intel list, Zeek intel and MISP parsing of arbitrary bytes: never
//! panics; every list line read is accounted for (loaded, expired or a
//! problem); every indicator has at least one non-empty group; the loader's
//! `loaded` count is the number of indicators it returned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_event::Timestamp;
use phiwatch_intel::{import, LoadReport};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    // Half a year per step: 1970 to 2097.
    let now = Timestamp::from_secs(i64::from(first) * 15_768_000).unwrap_or(Timestamp::EPOCH);
    let mut report = LoadReport::default();
    let found = match first % 4 {
        0 => {
            let found = import::list::load(&text, "fuzz", now, &mut report);
            assert_eq!(
                report.read,
                found.len() + report.expired + report.problems.len()
            );
            found
        }
        1 => import::zeek::load(&text, "fuzz", &mut report),
        2 => import::misp::load(&text, "fuzz", &mut report),
        _ => {
            let found = import::load_text(&text, "fuzz", now, &mut report);
            assert_eq!(report.loaded, found.len());
            let before = found.len();
            let merged = import::merge_duplicates(found, &mut report);
            assert_eq!(merged.len() + report.merged, before);
            merged
        }
    };
    for ind in &found {
        assert!(!ind.any_of.is_empty() && ind.any_of.iter().all(|g| !g.is_empty()));
    }
});
