//! Exfiltration analytics (issue 8, in progress): stateful detectors over
//! time-ordered events. Each [`Analytic`] keeps bounded per-entity state
//! ([`state::Bounded`]), scores what it sees against robust baselines
//! ([`stats`]), reports [`AnalyticHit`]s with the metrics behind the
//! decision, and can save its state and restore it (baselines learned in one
//! run serve the next).
//!
//! The analytics so far: [`dns_tunnel`] (DNS tunnelling), [`beacon`]
//! (beaconing), [`bulk_read`] (bulk database reads) and [`egress`] (egress
//! volume).

pub mod api;
pub mod auth;
pub mod beacon;
pub mod bulk_read;
pub mod context;
pub mod disruption;
pub mod dns_tunnel;
pub mod egress;
pub mod engine;
mod hit;
pub mod net;
pub mod object_reads;
pub mod rare;
mod seen;
pub mod staging;
pub mod state;
pub mod stats;

pub use hit::{Analytic, AnalyticHit, StateError};
