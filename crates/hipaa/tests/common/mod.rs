//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use phiwatch_hipaa::{Date, Facts};

/// A date from `YYYY-MM-DD` (test input is always valid).
pub fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// Minimal facts: a covered entity, `individuals` all in California,
/// unsecured PHI, no assessment.
pub fn facts(discovered: &str, individuals: u64) -> Facts {
    let mut f: Facts = serde_json::from_str(&format!(
        r#"{{"covered_entity": "Test Clinic", "discovered": "{discovered}", "individuals": {individuals},
            "encryption": "unsecured", "categories": ["name", "ssn"]}}"#
    ))
    .unwrap();
    if individuals > 0 {
        f.by_state.insert("CA".to_string(), individuals);
    }
    f
}

/// Facts with the given residents per State (individuals = their sum).
pub fn facts_in(discovered: &str, states: &[(&str, u64)]) -> Facts {
    let total = states.iter().map(|(_, n)| n).sum();
    let mut f = facts(discovered, total);
    f.by_state.clear();
    for (s, n) in states {
        f.by_state.insert(s.to_string(), *n);
    }
    f
}

/// The hospital fixture.
pub fn hospital() -> Facts {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/hospital.facts.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}
