//! Correlation rules: `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, `value_sum`, `value_avg`, `value_percentile` (and
//! `value_median`) over the matches of base rules, grouped by field values
//! within a timespan.
//!
//! The correlator is fed in time order: one call per event that matched at
//! least one base rule. Its state is bounded: windows expire with their
//! timespan, and each correlation keeps at most
//! [`CorrelationConfig::max_groups`] groups; when that limit bites, the
//! least recently updated group is dropped and
//! [`CorrelationStats::groups_evicted`] says so.
//!
//! ```
//! use phiwatch_correlate::{CorrelationConfig, Correlator, Observation, RuleName};
//! use phiwatch_event::{Origin, Timestamp};
//!
//! let yaml = "title: brute force\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 10m\n  condition:\n    gte: 3\n";
//! let rules = rsigma_parser::parse_sigma_yaml(yaml).unwrap().correlations;
//! let base = [RuleName { id: None, name: Some("failed_login".into()) }];
//! let (mut correlator, errors) = Correlator::build(&rules, &base, CorrelationConfig::default());
//! assert!(errors.is_empty());
//!
//! let mut hits = Vec::new();
//! for second in 0..3 {
//!     let field = |name: &str| (name == "User").then(|| "alice".to_string());
//!     let obs = Observation {
//!         time: Timestamp::from_secs(second).unwrap(),
//!         origin: Origin::default(),
//!         matched: &[0],
//!         field: &field,
//!     };
//!     correlator.observe(&obs, &mut hits);
//! }
//! correlator.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].group, vec![("User".to_string(), "alice".to_string())]);
//! assert!(!correlator.base_generates(0)); // only the correlation reports
//! ```
//!
//! # Semantics (the choices the specification leaves open)
//!
//! - **Windows** are sliding (the spec's default): a window holds the inputs
//!   of one group whose times are within `timespan` of the newest, bounds
//!   included, so first and last event of a hit are never more than
//!   `timespan` apart. Groups never share a window. `window: tumbling`
//!   (epoch-aligned buckets) and `window: session` (`gap`, capped by
//!   `timespan`) are supported too.
//! - **When a condition is decided.** Conditions made only of `gt`/`gte`
//!   (and the temporal defaults, and temporal expressions without `not`)
//!   fire as soon as they hold. Any `lt`, `lte`, `eq` or `neq` ("fewer than
//!   3 in 1h", ranges) is decided when the window closes: the window then
//!   starts at the group's first event and closes `timespan` later, when the
//!   observations' time passes its end or at [`Correlator::finish`]; the
//!   hit's `last` is the window's end. Only groups seen at least once can
//!   fire.
//! - **After a hit** the group's window starts afresh (the spec is silent;
//!   this gives one hit per burst, not one per further event).
//! - **temporal**: value = number of distinct referenced rules seen; without
//!   a condition, all of them are needed (the parser's implicit `gte: 1` is
//!   read that way). A string condition (`a and not b`) is evaluated over
//!   the rules seen. An event matching several referenced rules counts for
//!   each.
//! - **temporal_ordered**: value = how many of the listed rules were seen
//!   in the listed order (a prefix of the list); default: all. One event
//!   fills at most one step; a later rule seen before an earlier one does
//!   not count.
//! - **value_sum / value_avg / value_percentile**: over the numeric values
//!   of `condition.field`; absent or non-numeric values are skipped and
//!   counted in [`CorrelationStats::skipped`]. value_percentile compares the
//!   value at `condition.percentile` (default 50, linear interpolation) with
//!   the threshold, over at most [`PERCENTILE_CAP`] newest values per
//!   window. value_count with several fields counts distinct tuples.
//! - **Group-by** values come from [`Observation::field`]; an alias in
//!   `group-by` is read per referenced rule from its mapping. An input
//!   lacking a group-by field is skipped (and counted), like SQL and Splunk
//!   drop null groups.
//! - **Chaining**: a correlation may reference another by `name` or `id`;
//!   the referenced correlation's hits are its inputs, at the hit's `last`
//!   time, with the hit's group fields as their fields and its evidence as
//!   theirs. Cycles are errors. A reference that names both a base rule and
//!   a correlation is an error.
//! - **generate**: a base rule referenced by a correlation produces no
//!   finding of its own ([`Correlator::base_generates`]) unless a
//!   referencing correlation has `generate: true`; the same holds for
//!   intermediate correlations of a chain
//!   ([`Correlator::correlation_generates`]).
//! - **Late input**: an event older than the newest observation by more
//!   than a correlation's timespan (or older than its group's window) is
//!   ignored by that correlation and counted in [`CorrelationStats::late`];
//!   slightly out-of-order events within the window are accepted.
//! - **Bounds**: groups per correlation ≤ `max_groups`; evidence per window
//!   ≤ `max_evidence` (the newest); entries per window ≤ the larger of
//!   [`ENTRY_CAP`] and the condition's bound plus one (oldest dropped);
//!   sliding windows that hold nothing are dropped as time advances.

mod compile;
mod engine;
mod groups;
mod window;

use phiwatch_event::{Origin, Timestamp};
use rsigma_parser::CorrelationRule;

use crate::compile::Source;
use crate::engine::{Engine, Input, Outcome};

pub use crate::window::{ENTRY_CAP, PERCENTILE_CAP};

/// Limits and options for the correlator.
#[derive(Clone, Debug)]
pub struct CorrelationConfig {
    /// Most groups kept per correlation rule (the group-cardinality limit).
    pub max_groups: usize,
    /// Most evidence references kept per hit.
    pub max_evidence: usize,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        CorrelationConfig {
            max_groups: 100_000,
            max_evidence: 20,
        }
    }
}

/// How a correlation names the rules it combines: by `name` or `id`.
#[derive(Clone, Debug, Default)]
pub struct RuleName {
    /// The rule's `id`.
    pub id: Option<String>,
    /// The rule's `name`.
    pub name: Option<String>,
}

/// A correlation that cannot be used (unknown rule reference, a field the
/// type needs is missing, a bad condition, a reference cycle, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("correlation {index}: {reason}")]
pub struct CorrelationError {
    /// Index of the correlation in the slice given to [`Correlator::build`].
    pub index: usize,
    /// What is wrong.
    pub reason: String,
}

/// One event as the correlator sees it.
pub struct Observation<'a> {
    /// The event time.
    pub time: Timestamp,
    /// Where the event was read (kept as evidence).
    pub origin: Origin,
    /// Indices (into the `base` slice given to [`Correlator::build`]) of the
    /// base rules the event matched.
    pub matched: &'a [usize],
    /// The event's value for a Sigma field name (already mapped for the
    /// event's log source), as text; `None` when absent.
    pub field: &'a dyn Fn(&str) -> Option<String>,
}

/// A correlation that fired.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationHit {
    /// Index of the correlation rule.
    pub correlation: usize,
    /// The group-by fields and their values.
    pub group: Vec<(String, String)>,
    /// Time of the first event in the window.
    pub first: Timestamp,
    /// Time of the event that made the condition true.
    pub last: Timestamp,
    /// The aggregated value compared with the condition (count, distinct
    /// count, sum, average, percentile, or number of rules seen).
    pub value: f64,
    /// Where the contributing events were read (at most `max_evidence`).
    pub evidence: Vec<Origin>,
    /// The time of each `evidence` entry (same order).
    pub evidence_times: Vec<Timestamp>,
}

/// Counters for `rules check` and the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Observations fed in.
    pub observed: u64,
    /// Hits emitted.
    pub hits: u64,
    /// Groups dropped because a correlation reached `max_groups`.
    pub groups_evicted: u64,
    /// Events older than the newest seen by more than a timespan (of a
    /// correlation they were routed to), or older than their group's window;
    /// they are ignored by that correlation.
    pub late: u64,
    /// Inputs a correlation could not use: a group-by or `condition.field`
    /// value missing, or (value_sum/avg/percentile) not a number.
    pub skipped: u64,
}

/// The correlation state machine. Build once, then feed observations in time
/// order.
#[derive(Debug)]
pub struct Correlator {
    /// One slot per correlation given to `build`; `None` when unusable.
    engines: Vec<Option<Engine>>,
    /// Usable correlations, each after those it references.
    order: Vec<usize>,
    base_generates: Vec<bool>,
    correlation_generates: Vec<bool>,
    config: CorrelationConfig,
    /// Newest observation time seen (nanoseconds).
    watermark: i64,
    stats: CorrelationStats,
}

impl Correlator {
    /// Compiles `rules` against the base rules they may reference. Returns
    /// the correlator (with the usable correlations) and one error per
    /// correlation that cannot be used.
    pub fn build(
        rules: &[CorrelationRule],
        base: &[RuleName],
        config: CorrelationConfig,
    ) -> (Correlator, Vec<CorrelationError>) {
        let plans = compile::compile_all(rules, base);
        let (graph_errors, order) = compile::check_graph(&plans);
        let mut errors: Vec<CorrelationError> = plans
            .iter()
            .enumerate()
            .filter_map(|(index, p)| {
                p.as_ref().err().map(|reason| CorrelationError {
                    index,
                    reason: reason.clone(),
                })
            })
            .collect();
        errors.extend(graph_errors);
        errors.sort_by_key(|e| e.index);
        let usable: Vec<bool> = (0..plans.len()).map(|c| order.contains(&c)).collect();
        let engines: Vec<Option<Engine>> = plans
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.ok().filter(|_| usable[i]).map(|p| Engine::new(i, p)))
            .collect();
        let (base_generates, correlation_generates) = generation(&engines, base.len());
        let correlator = Correlator {
            engines,
            order,
            base_generates,
            correlation_generates,
            config,
            watermark: i64::MIN,
            stats: CorrelationStats::default(),
        };
        (correlator, errors)
    }

    /// Feeds one event; hits go to `out`.
    pub fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<CorrelationHit>) {
        self.stats.observed += 1;
        let t = obs.time.as_nanos();
        self.watermark = self.watermark.max(t);
        let start = out.len();
        let mut late = false;
        let mut fresh = Vec::new();
        for &c in &self.order {
            let Some(engine) = self.engines.get_mut(c).and_then(Option::as_mut) else {
                continue;
            };
            engine.sweep(self.watermark, &mut fresh);
            let positions = base_positions(engine, obs.matched);
            if !positions.is_empty() {
                if t < self.watermark.saturating_sub(engine.plan.span) {
                    late = true;
                } else {
                    let origins = [obs.origin];
                    let input = |position| Input {
                        time: t,
                        origins: &origins,
                        position,
                        field: obs.field,
                    };
                    for p in positions {
                        let outcome =
                            engine.feed(&input(p), &self.config, &mut self.stats, &mut fresh);
                        late |= outcome == Outcome::Late;
                        self.stats.skipped += u64::from(outcome == Outcome::Skipped);
                    }
                }
            }
            feed_chained(
                engine,
                &out[start..],
                &self.config,
                &mut self.stats,
                &mut fresh,
            );
            out.append(&mut fresh);
        }
        self.stats.late += u64::from(late);
        self.stats.hits += (out.len() - start) as u64;
    }

    /// End of input: emits what only an end can decide (none for the
    /// threshold types, but `lt`/`lte` conditions fire when a window closes).
    /// Every window is closed and forgotten.
    pub fn finish(&mut self, out: &mut Vec<CorrelationHit>) {
        let start = out.len();
        let mut fresh = Vec::new();
        for &c in &self.order {
            let Some(engine) = self.engines.get_mut(c).and_then(Option::as_mut) else {
                continue;
            };
            feed_chained(
                engine,
                &out[start..],
                &self.config,
                &mut self.stats,
                &mut fresh,
            );
            engine.sweep(i64::MAX, &mut fresh);
            out.append(&mut fresh);
        }
        self.stats.hits += (out.len() - start) as u64;
    }

    /// Whether base rule `base` should produce findings of its own: false
    /// when a correlation references it and `generate` is not set.
    pub fn base_generates(&self, base: usize) -> bool {
        self.base_generates.get(base).copied().unwrap_or(true)
    }

    /// Whether the hits of correlation `correlation` should become findings
    /// of their own: false when another correlation references it (it is
    /// an intermediate step of a chain) and none of those sets `generate`,
    /// and false for an unusable correlation. Hits of intermediate
    /// correlations still go to `out` (they feed the chain).
    pub fn correlation_generates(&self, correlation: usize) -> bool {
        self.correlation_generates
            .get(correlation)
            .copied()
            .unwrap_or(false)
    }

    /// Number of groups currently kept by correlation `correlation`.
    pub fn group_count(&self, correlation: usize) -> usize {
        self.engines
            .get(correlation)
            .and_then(Option::as_ref)
            .map_or(0, Engine::group_count)
    }

    /// Counters so far.
    pub fn stats(&self) -> CorrelationStats {
        self.stats.clone()
    }
}

/// The positions in `engine`'s rules that `matched` base rules fill. For
/// the temporal types every one counts (in reverse, so one event never
/// advances two steps of an ordered sequence); for the others an event
/// counts once, under its first position.
fn base_positions(engine: &Engine, matched: &[usize]) -> Vec<usize> {
    let mut positions: Vec<usize> = engine
        .plan
        .sources
        .iter()
        .enumerate()
        .filter(
            |(_, s)| matches!(s, Source::Base(list) if list.iter().any(|b| matched.contains(b))),
        )
        .map(|(p, _)| p)
        .collect();
    if engine.plan.kind.is_temporal() {
        positions.reverse();
    } else {
        positions.truncate(1);
    }
    positions
}

/// Feeds `engine` the hits in `hits` of the correlations it references; a
/// hit's group values are the fields it offers.
fn feed_chained(
    engine: &mut Engine,
    hits: &[CorrelationHit],
    config: &CorrelationConfig,
    stats: &mut CorrelationStats,
    out: &mut Vec<CorrelationHit>,
) {
    for hit in hits {
        let mut positions: Vec<usize> = engine
            .plan
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == Source::Corr(hit.correlation))
            .map(|(p, _)| p)
            .collect();
        if positions.is_empty() {
            continue;
        }
        if engine.plan.kind.is_temporal() {
            positions.reverse();
        } else {
            positions.truncate(1);
        }
        let field = |name: &str| {
            hit.group
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        for position in positions {
            let input = Input {
                time: hit.last.as_nanos(),
                origins: &hit.evidence,
                position,
                field: &field,
            };
            match engine.feed(&input, config, stats, out) {
                Outcome::Late => stats.late += 1,
                Outcome::Skipped => stats.skipped += 1,
                Outcome::Used => {}
            }
        }
    }
}

/// Which base rules and correlations produce findings of their own: those
/// that no usable correlation references, or that a referencing correlation
/// with `generate: true` references.
fn generation(engines: &[Option<Engine>], bases: usize) -> (Vec<bool>, Vec<bool>) {
    let mut base_ref = vec![(false, false); bases];
    let mut corr_ref = vec![(false, false); engines.len()];
    for engine in engines.iter().flatten() {
        let generate = engine.plan.generate;
        for source in &engine.plan.sources {
            let slots: Vec<&mut (bool, bool)> = match source {
                Source::Base(list) => base_ref
                    .iter_mut()
                    .enumerate()
                    .filter(|(i, _)| list.contains(i))
                    .map(|(_, s)| s)
                    .collect(),
                Source::Corr(c) => corr_ref.get_mut(*c).into_iter().collect(),
            };
            for slot in slots {
                slot.0 = true;
                slot.1 |= generate;
            }
        }
    }
    let rule = |(referenced, generate): &(bool, bool)| !referenced || *generate;
    let corr = corr_ref
        .iter()
        .zip(engines)
        .map(|(r, e)| e.is_some() && rule(r))
        .collect();
    (base_ref.iter().map(rule).collect(), corr)
}
