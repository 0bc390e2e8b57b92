//! FHIR and API access (patient enumeration per agent, $export by a new client, off-hours access). Being written (issue 8): this placeholder reports nothing.

use phiwatch_event::Event;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::{Analytic, AnalyticHit, StateError};

/// Settings (none yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {}

/// The analytic.
#[derive(Debug)]
pub struct ApiAccess {}

impl ApiAccess {
    /// A new analytic.
    pub fn new(_config: Config, _ctx: &Context) -> ApiAccess {
        ApiAccess {}
    }
}

impl Analytic for ApiAccess {
    fn name(&self) -> &'static str {
        "api"
    }
    fn observe(&mut self, _ev: &Event, _out: &mut Vec<AnalyticHit>) {}
    fn finish(&mut self, _out: &mut Vec<AnalyticHit>) {}
    fn memory_bytes(&self) -> usize {
        0
    }
    fn entities(&self) -> usize {
        0
    }
    fn save(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn restore(&mut self, _state: &serde_json::Value) -> Result<(), StateError> {
        Ok(())
    }
}
