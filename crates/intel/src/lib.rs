//! Threat intelligence for phiwatch: indicators of compromise imported from
//! STIX 2.1 bundles, MISP event JSON, Zeek intel files and CSV or plain
//! lists; matched over every event at scale (exact and CIDR addresses,
//! domain suffixes, normalized URLs, hashes, emails, JA3/JA4, user agents);
//! sightings (first and last time, count) per indicator; export as a STIX
//! 2.1 bundle with sightings, a Zeek intel file or CSV.
//!
//! The model ([`Indicator`], [`Observable`]) is in `model.rs`, value
//! normalization in `normalize.rs`.

mod model;
mod normalize;

pub use model::{HashKind, Indicator, IpNet, KillChainPhase, LoadReport, Observable, Problem};
pub use normalize::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net,
};

pub mod export;
pub mod import;
pub mod matcher;
pub mod stix;
