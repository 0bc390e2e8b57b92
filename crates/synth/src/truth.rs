//! The ground truth: every labeled attack step, when it happened, who and
//! which addresses did it, and how many records of each log file carry it;
//! and the breach's [`Scope`]: the silos the attacker read and the patients
//! reached, computed from the generated activities (see [`scope`]).

pub mod scope;
mod sql;

pub use scope::{Individuals, Scope, ScopeSilo, ScopeTracker};

use std::collections::{BTreeMap, BTreeSet};

use phiwatch_event::Timestamp;
use serde::Serialize;

use crate::model::{Activity, Kind, StepInfo};
use crate::{GenConfig, Scenario};

/// One labeled step.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TruthStep {
    /// Index within the scenario (the `step` of its activities).
    pub index: usize,
    /// Stable id (`vc-01-spray`).
    pub id: String,
    /// What happens.
    pub name: String,
    /// ATT&CK tactic.
    pub tactic: String,
    /// ATT&CK techniques.
    pub techniques: Vec<String>,
    /// First labeled activity (RFC 3339), when any was generated.
    pub first: Option<String>,
    /// Last labeled activity (RFC 3339).
    pub last: Option<String>,
    /// Activities generated for the step.
    pub activities: u64,
    /// User names, accounts and clients that acted.
    pub actors: BTreeSet<String>,
    /// Addresses involved (sources and destinations).
    pub ips: BTreeSet<String>,
    /// Records written per log file (path relative to the logs directory).
    pub records: BTreeMap<String, u64>,
    #[serde(skip)]
    first_ns: Option<i64>,
    #[serde(skip)]
    last_ns: Option<i64>,
}

/// The ground truth of one generation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Truth {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Days generated.
    pub days: u32,
    /// Scale name.
    pub scale: String,
    /// First generated instant (RFC 3339).
    pub start: String,
    /// End of the generated range (RFC 3339, exclusive).
    pub end: String,
    /// The labeled steps, in order.
    pub steps: Vec<TruthStep>,
    /// The breach's scope (`null` when the scenario has no attack).
    pub scope: Option<Scope>,
}

impl Truth {
    /// An empty truth for `cfg` with the scenario's steps.
    pub fn new(cfg: &GenConfig) -> Truth {
        Truth::with_steps(cfg, crate::scenario::steps(cfg.scenario))
    }

    /// An empty truth for `cfg` with the given steps.
    pub fn with_steps(cfg: &GenConfig, steps: &[StepInfo]) -> Truth {
        let start = Timestamp::from_nanos(cfg.start_secs.saturating_mul(1_000_000_000));
        let end = Timestamp::from_nanos(
            cfg.start_secs
                .saturating_add(i64::from(cfg.days) * 86_400)
                .saturating_mul(1_000_000_000),
        );
        Truth {
            scenario: cfg.scenario.name().to_string(),
            seed: cfg.seed,
            days: cfg.days,
            scale: cfg.scale.name().to_string(),
            start: start.to_rfc3339(),
            end: end.to_rfc3339(),
            steps: steps
                .iter()
                .enumerate()
                .map(|(index, s)| TruthStep {
                    index,
                    id: s.id.to_string(),
                    name: s.name.to_string(),
                    tactic: s.tactic.to_string(),
                    techniques: s.techniques.iter().map(|t| (*t).to_string()).collect(),
                    first: None,
                    last: None,
                    activities: 0,
                    actors: BTreeSet::new(),
                    ips: BTreeSet::new(),
                    records: BTreeMap::new(),
                    first_ns: None,
                    last_ns: None,
                })
                .collect(),
            scope: None,
        }
    }

    /// Notes a labeled activity: its time, its actors and addresses.
    /// Activities without a step (or with an unknown one) are ignored.
    pub fn observe(&mut self, a: &Activity) {
        let Some(s) = a.step.and_then(|i| self.steps.get_mut(i)) else {
            return;
        };
        let t = a.time.as_nanos();
        s.activities += 1;
        if s.first_ns.is_none_or(|f| t < f) {
            s.first_ns = Some(t);
            s.first = Some(a.time.to_rfc3339());
        }
        if s.last_ns.is_none_or(|l| t > l) {
            s.last_ns = Some(t);
            s.last = Some(a.time.to_rfc3339());
        }
        let (actor, ips): (Option<&str>, [Option<std::net::Ipv4Addr>; 2]) = match &a.kind {
            Kind::Conn(c) => (None, [Some(c.src), Some(c.dst)]),
            Kind::Dns(d) => (None, [Some(d.src), None]),
            Kind::Db(d) => (Some(&d.user), [Some(d.client.0), None]),
            Kind::Fhir(f) => (Some(&f.agent), [Some(f.client), None]),
            Kind::Okta(o) => (Some(&o.user), [Some(o.ip), None]),
            Kind::Aws(w) => (Some(&w.principal), [Some(w.ip), None]),
        };
        if let Some(u) = actor {
            if !s.actors.contains(u) {
                s.actors.insert(u.to_string());
            }
        }
        for ip in ips.into_iter().flatten() {
            // Bounded: a step's addresses are few, but a spray or a
            // disruption touches many; keep the first 64.
            if s.ips.len() < 64 {
                s.ips.insert(ip.to_string());
            }
        }
    }

    /// Counts `n` records of `step` written to `file`.
    pub fn record(&mut self, step: usize, file: &str, n: u64) {
        if let Some(s) = self.steps.get_mut(step) {
            match s.records.get_mut(file) {
                Some(c) => *c += n,
                None => {
                    s.records.insert(file.to_string(), n);
                }
            }
        }
    }

    /// The truth as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// The scope truth of the generation `cfg` describes, computed without
/// writing anything (the same activities, in the same order, as
/// [`generate`](crate::generate) writes); `None` for a scenario without an
/// attack.
pub fn scope_of(cfg: &GenConfig) -> Option<Scope> {
    let org = crate::org::build(cfg);
    let mut world = crate::baseline::World::new(cfg, &org);
    let mut tracker = ScopeTracker::new(&org, world.actors(&org)?);
    let Ok(()) = crate::run::<std::convert::Infallible>(cfg, &org, &mut world, |a| {
        tracker.observe(a);
        Ok(())
    });
    tracker.finish(&org)
}

/// The scenario a truth file describes (for readers of the JSON).
pub fn scenario_of(t: &Truth) -> Option<Scenario> {
    Scenario::from_name(&t.scenario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{World, DAY, MIN, SEC};
    use crate::org;

    #[test]
    fn truth_from_a_run() {
        let cfg = GenConfig {
            scenario: Scenario::VendorCompromise,
            days: 1,
            ..GenConfig::default()
        };
        let org = org::build(&cfg);
        let mut w = World::new(&cfg, &org);
        let mut truth = Truth::new(&cfg);
        let s = cfg.start_secs * SEC;
        let mut t = s;
        while t < s + DAY {
            for a in w.slice(
                &org,
                Timestamp::from_nanos(t),
                Timestamp::from_nanos(t + 30 * MIN),
            ) {
                truth.observe(&a);
                if let Some(i) = a.step {
                    truth.record(i, "zeek/conn.log", 1);
                }
            }
            t += 30 * MIN;
        }
        assert_eq!(truth.steps.len(), 9);
        for st in &truth.steps {
            assert!(st.activities > 0, "{}", st.id);
            assert!(st.first <= st.last);
            assert_eq!(st.records.get("zeek/conn.log"), Some(&st.activities));
        }
        assert!(truth.steps[1]
            .actors
            .contains("acme.support@acme-billing.example"));
        assert!(truth.steps[1].ips.contains("203.0.113.77"));
        let json = truth.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["scenario"], "vendor-compromise");
        assert_eq!(v["steps"][0]["techniques"][0], "T1110.003");
        assert_eq!(scenario_of(&truth), Some(Scenario::VendorCompromise));
    }

    #[test]
    fn benign_truth_is_empty() {
        let cfg = GenConfig {
            scenario: Scenario::BenignDecoys,
            ..GenConfig::default()
        };
        let t = Truth::new(&cfg);
        assert!(t.steps.is_empty());
        assert!(t.to_json().contains("\"steps\": []"));
    }
}
