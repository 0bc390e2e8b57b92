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
pub mod incident;
pub mod net;
pub mod object_reads;
pub mod rare;
mod seen;
pub use seen::account_key;
pub mod staging;
pub mod state;
pub mod stats;

pub use hit::{Analytic, AnalyticHit, StateError};

/// The rule title of an analytic's findings (`dns-tunnel` → "DNS
/// tunnelling"); the analytic's name for one not listed.
pub fn rule_title(analytic: &str) -> &str {
    match analytic {
        "dns-tunnel" => "DNS tunnelling",
        "beacon" => "Beaconing to an external destination",
        "long-connection" => "Long connection to an external destination",
        "bulk-read" => "Bulk database read far above the principal's history",
        "db-new-access" => "Database table read by a principal for the first time",
        "egress-volume" => "Unusual egress volume",
        "rare-destination" => "Transfer to a rare, first-seen destination",
        "slow-drip" => "Slow-drip exfiltration to a rare destination",
        "internal-staging" => "Internal staging: unusual transfer between internal hosts",
        "api-enumeration" => "Patient enumeration through the API",
        "api-bulk-export" => "FHIR bulk export by a new client or off-hours",
        "off-hours-access" => "Patient-record access off hours",
        "record-snooping" => "Record snooping outside the user's usual patients",
        "password-spray" => "Password spraying",
        "brute-force" => "Brute-force login attempts",
        "new-network" => "Login from a new network or country",
        "impossible-travel" => "Impossible travel between logins",
        "no-mfa" => "Login without a second factor",
        "dormant-account" => "Login to a dormant account",
        "vendor-access" => "Vendor account outside its networks or hours",
        "object-reads" => "Cloud object reads far above the principal's history",
        "service-disruption" => "Service disruption",
        other => other,
    }
}
