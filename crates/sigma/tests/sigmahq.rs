//! The SigmaHQ rule set (3,754 files, Detection Rule License 1.1) loads and
//! compiles: at least 99%, and every failure is listed with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

#[test]
fn at_least_99_percent_of_sigmahq_loads_and_compiles() {
    let set = common::sigmahq();
    let engine = common::sigmahq_engine();
    assert_eq!(set.files(), 3754, "rule files read");
    let documents = set.rules().len() + set.errors().len();
    let loaded = engine.detection_count();
    let failed: Vec<String> = set
        .errors()
        .iter()
        .map(|e| e.to_string())
        .chain(engine.errors().iter().map(|e| e.to_string()))
        .collect();
    for f in &failed {
        eprintln!("not loaded: {f}");
    }
    assert_eq!(
        loaded + failed.len(),
        documents,
        "every rule is loaded or listed"
    );
    let ratio = loaded as f64 / documents as f64;
    eprintln!(
        "SigmaHQ: {loaded} of {documents} rules loaded ({:.2}%)",
        ratio * 100.0
    );
    assert!(ratio >= 0.99, "only {loaded} of {documents} rules loaded");
}

#[test]
fn rules_without_a_log_source_phiwatch_reads_are_marked() {
    let engine = common::sigmahq_engine();
    let mut by_source: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &engine.rules()[..engine.detection_count()] {
        let product = r.logsource.split('/').next().unwrap();
        let e = by_source.entry(product).or_default();
        if r.has_data {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    // Windows, proxy/webserver (no product), zeek and aws rules run; macOS
    // and GCP have no phiwatch source and are skipped.
    assert!(by_source["windows"].0 > 2500, "{by_source:?}");
    assert_eq!(by_source["macos"].0, 0, "{by_source:?}");
    assert!(by_source["macos"].1 > 40, "{by_source:?}");
    assert!(
        by_source["*"].0 > 50,
        "proxy/webserver rules: {by_source:?}"
    );
    assert!(by_source["aws"].0 > 40, "{by_source:?}");
    assert_eq!(by_source["gcp"].0, 0, "{by_source:?}");
}
