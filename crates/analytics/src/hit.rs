//! What an analytic reports, and the trait every analytic implements.

use std::collections::BTreeMap;

use phiwatch_event::{Event, Origin, Timestamp};
use phiwatch_finding::{Entity, Level};

/// One detection by an analytic, with the numbers behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalyticHit {
    /// The analytic (`dns-tunnel`, `beacon`): the finding's rule id is
    /// `phiwatch-analytics-<analytic>`.
    pub analytic: &'static str,
    /// One line for people.
    pub title: String,
    /// Severity.
    pub level: Level,
    /// First event behind it.
    pub time: Timestamp,
    /// Last event behind it.
    pub end_time: Timestamp,
    /// Who (user, host, address), as known.
    pub entity: Entity,
    /// ATT&CK tags in Sigma's form (`attack.exfiltration`, `attack.t1071.004`).
    pub tags: Vec<String>,
    /// The numbers behind the decision (counts, bytes, scores, baselines,
    /// thresholds).
    pub metrics: BTreeMap<String, f64>,
    /// What it is about (`domain`, `destination`), as text.
    pub group: BTreeMap<String, String>,
    /// Where some of the events were read, with their times.
    pub evidence: Vec<(Origin, Timestamp)>,
}

/// A saved state that cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not the JSON this analytic writes.
    #[error("cannot restore {analytic} state: {reason}")]
    Invalid {
        /// Which analytic.
        analytic: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// A stateful detector over time-ordered events.
pub trait Analytic {
    /// Its name (`dns-tunnel`).
    fn name(&self) -> &'static str;
    /// Whether events of this `event.dataset` (`""` when the event has none)
    /// can matter to it. The engine asks once per dataset and then passes
    /// only those events (default: all).
    fn wants(&self, dataset: &str) -> bool {
        let _ = dataset;
        true
    }
    /// Looks at one event (in time order); may report hits.
    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>);
    /// End of the input: reports what the open windows hold.
    fn finish(&mut self, out: &mut Vec<AnalyticHit>);
    /// Approximate bytes of state held.
    fn memory_bytes(&self) -> usize;
    /// Entities tracked.
    fn entities(&self) -> usize;
    /// The state, to restore in a later run.
    fn save(&self) -> serde_json::Value;
    /// Restores a saved state.
    ///
    /// # Errors
    ///
    /// The value is not a state this analytic saved.
    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError>;
}

/// Reads the state `analytic` saved: `state` deserialized as `T`, whose
/// version (`version_of`) must be one of `versions`. Every analytic's
/// `restore` starts here.
pub(crate) fn load_state<T: serde::de::DeserializeOwned>(
    analytic: &'static str,
    state: &serde_json::Value,
    versions: &[u64],
    version_of: impl Fn(&T) -> u64,
) -> Result<T, StateError> {
    let invalid = |reason: String| StateError::Invalid { analytic, reason };
    let saved = T::deserialize(state).map_err(|e| invalid(e.to_string()))?;
    let v = version_of(&saved);
    if !versions.contains(&v) {
        return Err(invalid(format!("version {v}")));
    }
    Ok(saved)
}
