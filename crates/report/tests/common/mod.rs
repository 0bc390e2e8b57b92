//! Shared test helpers: reports built from the scope fixtures.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use phiwatch_event::Timestamp;
use phiwatch_hipaa::Facts;
use phiwatch_report::{facts_from_scope, Report};
use phiwatch_scope::Scope;

/// The scenarios with a scope fixture in tests/data/.
pub const SCENARIOS: [&str; 3] = ["vendor-compromise", "insider-snooping", "slow-drip"];

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn scope(scenario: &str) -> Scope {
    serde_json::from_str(&read(&format!("{scenario}.scope.json"))).unwrap()
}

pub fn base_facts() -> Facts {
    serde_json::from_str(&read("base.facts.json")).unwrap()
}

/// 2026-11-29T12:00:00Z.
pub fn generated() -> Timestamp {
    Timestamp::parse_rfc3339(b"2026-11-29T12:00:00Z").unwrap()
}

pub fn report_of(scope: Scope) -> Report {
    let facts = facts_from_scope(&scope, base_facts());
    Report::new(scope, facts, generated())
}

pub fn report(scenario: &str) -> Report {
    report_of(scope(scenario))
}

/// The `data-value` of the element with `id` in an HTML page.
pub fn data_value(html: &str, id: &str) -> Option<String> {
    let key = format!("id=\"{id}\" data-value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Number of non-overlapping occurrences of `needle`.
pub fn occurrences(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}
