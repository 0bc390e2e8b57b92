//! Shared helpers: parse Sigma YAML, build a correlator, feed hand-made
//! event series.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;

use phiwatch_correlate::{
    CorrelationConfig, CorrelationError, CorrelationHit, Correlator, Observation, RuleName,
};
use phiwatch_event::{Origin, SourceId, Timestamp};

/// One event: time in seconds, the base rules it matched, its fields.
pub struct Ev {
    pub secs: i64,
    pub rules: Vec<usize>,
    pub fields: HashMap<String, String>,
}

/// An event at `secs` matching `rules` with `fields`.
pub fn ev(secs: i64, rules: &[usize], fields: &[(&str, &str)]) -> Ev {
    Ev {
        secs,
        rules: rules.to_vec(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Parses `yaml` (no parse errors allowed) and builds a correlator; base
/// rules are the detection rules in the document, in order, followed by
/// `extra` names.
pub fn build_with(
    yaml: &str,
    extra: &[&str],
    config: CorrelationConfig,
) -> (Correlator, Vec<CorrelationError>) {
    let collection = rsigma_parser::parse_sigma_yaml(yaml).expect("yaml");
    assert!(
        collection.errors.is_empty(),
        "parse errors: {:?}",
        collection.errors
    );
    let mut base: Vec<RuleName> = collection
        .rules
        .iter()
        .map(|r| RuleName {
            id: r.id.clone(),
            name: r.name.clone(),
        })
        .collect();
    base.extend(extra.iter().map(|n| RuleName {
        id: None,
        name: Some(n.to_string()),
    }));
    Correlator::build(&collection.correlations, &base, config)
}

/// [`build_with`] with the default configuration, asserting no errors.
pub fn build(yaml: &str, extra: &[&str]) -> Correlator {
    let (c, errors) = build_with(yaml, extra, CorrelationConfig::default());
    assert!(errors.is_empty(), "errors: {errors:?}");
    c
}

/// Feeds `events` (origin record = position in `events` + 1); returns the
/// hits emitted while observing, without calling `finish`.
pub fn observe_all(c: &mut Correlator, events: &[Ev]) -> Vec<CorrelationHit> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let field = |name: &str| e.fields.get(name).cloned();
        let obs = Observation {
            time: Timestamp::from_nanos(e.secs * 1_000_000_000),
            origin: origin(i as u64 + 1),
            matched: &e.rules,
            field: &field,
        };
        c.observe(&obs, &mut out);
    }
    out
}

/// Feeds `events`, then finishes; returns every hit.
pub fn run(c: &mut Correlator, events: &[Ev]) -> Vec<CorrelationHit> {
    let mut out = observe_all(c, events);
    c.finish(&mut out);
    out
}

/// The origin of record `n`.
pub fn origin(n: u64) -> Origin {
    Origin {
        source: SourceId(0),
        line: n,
        offset: 0,
        record: n,
    }
}

/// Seconds of a timestamp.
pub fn secs(t: Timestamp) -> i64 {
    t.as_nanos() / 1_000_000_000
}

/// Records of a hit's evidence.
pub fn records(hit: &CorrelationHit) -> Vec<u64> {
    hit.evidence.iter().map(|o| o.record).collect()
}

/// `(name, value)` pairs as owned strings.
pub fn group(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
