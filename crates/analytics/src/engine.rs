//! The analytics engine: every analytic, built from one configuration (a
//! TOML table per analytic, every threshold visible), fed the same
//! time-ordered events, saved and restored together.

use std::collections::BTreeMap;

use phiwatch_event::{keys, Event, ValueRef};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::net::default_internal;
use crate::{
    api, auth, beacon, bulk_read, disruption, dns_tunnel, egress, object_reads, rare, staging,
};
use crate::{Analytic, AnalyticHit, StateError};

/// Version of the saved state's envelope.
const SAVE_VERSION: u64 = 1;

/// Settings of every analytic: one table each (missing tables and keys take
/// the defaults), and the analytics to leave out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Analytics not run, by table name (`beacon`, `egress`, …).
    pub disabled: Vec<String>,
    /// DNS tunnelling.
    pub dns_tunnel: dns_tunnel::Config,
    /// Beaconing and long connections.
    pub beacon: beacon::Config,
    /// Bulk database reads.
    pub bulk_read: bulk_read::Config,
    /// Egress volume.
    pub egress: egress::Config,
    /// Rare and first-seen destinations, slow drip.
    pub rare: rare::Config,
    /// Internal staging.
    pub staging: staging::Config,
    /// FHIR and API access.
    pub api: api::Config,
    /// Authentication precursors.
    pub auth: auth::Config,
    /// Cloud object reads.
    pub object_reads: object_reads::Config,
    /// Service disruption.
    pub disruption: disruption::Config,
}

/// The table names of [`Config`], in the order the analytics run.
pub const ANALYTICS: [&str; 10] = [
    "dns_tunnel",
    "beacon",
    "bulk_read",
    "egress",
    "rare",
    "staging",
    "api",
    "auth",
    "object_reads",
    "disruption",
];

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `disabled` names no analytic.
    #[error("disabled: no analytic named {0:?} (known: {known})", known = ANALYTICS.join(", "))]
    Unknown(String),
}

/// Memory held by one analytic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Table name.
    pub analytic: &'static str,
    /// Entities tracked.
    pub entities: usize,
    /// Approximate bytes of state.
    pub bytes: usize,
}

/// Every enabled analytic, in [`ANALYTICS`] order.
pub struct Engine {
    analytics: Vec<(&'static str, Box<dyn Analytic + Send>)>,
    /// Per `event.dataset` seen, which analytics want its events (bit `i`
    /// for analytic `i`); a few dozen datasets at most in practice, capped.
    routes: foldhash::HashMap<Box<str>, u64>,
}

/// Datasets remembered for routing; events of others go to every analytic.
const MAX_ROUTES: usize = 256;

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("analytics", &self.names())
            .finish()
    }
}

impl Engine {
    /// The enabled analytics of `config`, knowing the organization `ctx`:
    /// its internal networks replace an analytic's own `internal` list unless
    /// the configuration changed that list from the default.
    ///
    /// # Errors
    ///
    /// `disabled` names an analytic that does not exist.
    pub fn new(config: &Config, ctx: &Context) -> Result<Engine, ConfigError> {
        if let Some(bad) = config
            .disabled
            .iter()
            .find(|d| !ANALYTICS.contains(&d.as_str()))
        {
            return Err(ConfigError::Unknown(bad.clone()));
        }
        let on = |name: &str| !config.disabled.iter().any(|d| d == name);
        let mut analytics: Vec<(&'static str, Box<dyn Analytic + Send>)> = Vec::new();
        for name in ANALYTICS {
            if !on(name) {
                continue;
            }
            let a: Box<dyn Analytic + Send> = match name {
                "dns_tunnel" => Box::new(dns_tunnel::DnsTunnel::new(config.dns_tunnel.clone())),
                "beacon" => {
                    let mut c = config.beacon.clone();
                    if c.internal == default_internal() {
                        c.internal.clone_from(&ctx.internal);
                    }
                    Box::new(beacon::Beacon::new(c))
                }
                "bulk_read" => Box::new(bulk_read::BulkRead::new(config.bulk_read.clone())),
                "egress" => {
                    let mut c = config.egress.clone();
                    if c.internal == default_internal() {
                        c.internal.clone_from(&ctx.internal);
                    }
                    Box::new(egress::Egress::new(c))
                }
                "rare" => Box::new(rare::Rare::new(config.rare.clone(), ctx)),
                "staging" => Box::new(staging::Staging::new(config.staging.clone(), ctx)),
                "api" => Box::new(api::ApiAccess::new(config.api.clone(), ctx)),
                "auth" => Box::new(auth::Auth::new(config.auth.clone(), ctx)),
                "object_reads" => Box::new(object_reads::ObjectReads::new(
                    config.object_reads.clone(),
                    ctx,
                )),
                "disruption" => {
                    Box::new(disruption::Disruption::new(config.disruption.clone(), ctx))
                }
                _ => continue,
            };
            analytics.push((name, a));
        }
        Ok(Engine {
            analytics,
            routes: foldhash::HashMap::default(),
        })
    }

    /// Table names of the analytics that run.
    pub fn names(&self) -> Vec<&'static str> {
        self.analytics.iter().map(|(n, _)| *n).collect()
    }

    /// Which analytics want events of `dataset` (bit per analytic).
    fn route(&mut self, dataset: &str) -> u64 {
        if let Some(mask) = self.routes.get(dataset) {
            return *mask;
        }
        let mask = self
            .analytics
            .iter()
            .enumerate()
            .filter(|(_, (_, a))| a.wants(dataset))
            .fold(0u64, |m, (i, _)| m | (1u64 << (i % 64)));
        if self.routes.len() < MAX_ROUTES {
            self.routes.insert(dataset.into(), mask);
        }
        mask
    }

    /// Feeds one event (in time order) to the analytics that want it.
    pub fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        let dataset = match ev.get(keys::EVENT_DATASET) {
            Some(ValueRef::Str(s)) => s,
            _ => "",
        };
        let mask = self.route(dataset);
        for (i, (_, a)) in self.analytics.iter_mut().enumerate() {
            if mask & (1u64 << (i % 64)) != 0 {
                a.observe(ev, out);
            }
        }
    }

    /// End of input: what the open windows hold.
    pub fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        for (_, a) in &mut self.analytics {
            a.finish(out);
        }
    }

    /// Memory and entities per analytic.
    pub fn memory(&self) -> Vec<Memory> {
        self.analytics
            .iter()
            .map(|(n, a)| Memory {
                analytic: n,
                entities: a.entities(),
                bytes: a.memory_bytes(),
            })
            .collect()
    }

    /// Every analytic's state, to restore in a later run.
    pub fn save(&self) -> serde_json::Value {
        let states: BTreeMap<&str, serde_json::Value> =
            self.analytics.iter().map(|(n, a)| (*n, a.save())).collect();
        serde_json::json!({ "version": SAVE_VERSION, "analytics": states })
    }

    /// Restores a state [`Engine::save`] wrote. Analytics absent from it
    /// start empty; states of analytics not running are ignored.
    ///
    /// # Errors
    ///
    /// Not a saved state, another version, or an analytic's state is invalid.
    pub fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let invalid = |reason: String| StateError::Invalid {
            analytic: "engine",
            reason,
        };
        match state.get("version").and_then(serde_json::Value::as_u64) {
            Some(SAVE_VERSION) => {}
            Some(v) => return Err(invalid(format!("version {v}"))),
            None => return Err(invalid("not a phiwatch analytics state".into())),
        }
        let Some(states) = state.get("analytics").and_then(|v| v.as_object()) else {
            return Err(invalid("no \"analytics\" object".into()));
        };
        for (name, a) in &mut self.analytics {
            if let Some(s) = states.get(*name) {
                a.restore(s)?;
            }
        }
        Ok(())
    }
}
