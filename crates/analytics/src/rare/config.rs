//! The settings of [`super::Rare`].

use serde::{Deserialize, Serialize};

use crate::net::Cidr;

/// Settings of [`Rare`](super::Rare) (TOML table `[rare]`); every field has a default,
/// and every threshold is repeated in the hits' metrics. Bytes are decimal
/// (1 MB = 1 000 000 bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `event.dataset` values that are connection records (default
    /// `zeek.conn`, `aws.vpcflow`, `suricata.flow`, `suricata.netflow`);
    /// empty: every event with both addresses and `source.bytes`.
    pub datasets: Vec<String>,
    /// Seconds from the first event during which every destination seen is
    /// learned as known (default 86 400: one day).
    pub learning_secs: u64,
    /// Most internal hosts a rare destination has (default 3).
    pub max_prevalence: usize,
    /// Days after which a host that no longer contacts a destination stops
    /// counting in its prevalence (default 30).
    pub prevalence_days: u64,
    /// Hosts kept per destination; past this many it is popular for good
    /// (default 32; at least `max_prevalence + 1`).
    pub max_hosts: usize,
    /// `rare-destination`: bytes out to a new rare destination in its first
    /// window for a medium hit (default 10 MB).
    pub min_bytes: u64,
    /// `rare-destination`: bytes out in the first window for a high hit
    /// (default 500 MB) ...
    pub high_bytes: u64,
    /// ... with bytes out / bytes in at least this (default 10).
    pub high_min_ratio: f64,
    /// `rare-destination`: the first window of a new destination, seconds
    /// (default 21 600: 6 h); later traffic is the slow drip's business.
    pub first_window_secs: u64,
    /// Seconds of event time a connection record waits for the TLS or HTTP
    /// record that names it (default 60).
    pub name_wait_secs: u64,
    /// Destinations never counted (addresses or blocks; default none).
    pub allow_destinations: Vec<Cidr>,
    /// Server names never counted, with their subdomains (default none).
    pub allow_domains: Vec<String>,
    /// Internal hosts never counted (default none).
    pub allow_sources: Vec<Cidr>,
    /// More multi-label public suffixes for base domains (default none).
    pub extra_suffixes: Vec<String>,
    /// `slow-drip`: days in the sliding window (default 7).
    pub drip_window_days: u64,
    /// `slow-drip`: active days needed (default 3).
    pub drip_min_days: usize,
    /// `slow-drip`: bytes out that make a day active (default 1 MB).
    pub drip_min_day_bytes: u64,
    /// `slow-drip`: bytes out over the window needed (default 100 MB).
    pub drip_min_total_bytes: u64,
    /// `slow-drip`: a day above this many bytes out is a burst, not a drip
    /// (default 1 GB).
    pub drip_max_day_bytes: u64,
    /// `slow-drip`: bytes out / bytes in needed (default 5).
    pub drip_min_ratio: f64,
    /// `slow-drip`: bytes out that make a connection an upload (default
    /// 100 kB).
    pub drip_upload_bytes: u64,
    /// `slow-drip`: median hours with uploads per active day for level high
    /// (default 4); fewer: medium.
    pub drip_min_hours_per_day: f64,
    /// `slow-drip`: seconds after a hit during which its pair does not
    /// report again unless the level rises (default 604 800: 7 days).
    pub drip_suppress_secs: u64,
    /// Destinations tracked; the least recently seen are evicted (default
    /// 100 000).
    pub capacity: usize,
    /// (host, destination) pairs tracked for the slow drip (default
    /// 100 000).
    pub pair_capacity: usize,
    /// Address → name mappings kept (default 100 000).
    pub name_capacity: usize,
    /// Connection records held at once waiting for a name; past this the
    /// oldest is counted at once (default 100 000).
    pub max_pending: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            datasets: [
                "zeek.conn",
                "aws.vpcflow",
                "suricata.flow",
                "suricata.netflow",
            ]
            .map(String::from)
            .to_vec(),
            learning_secs: 86_400,
            max_prevalence: 3,
            prevalence_days: 30,
            max_hosts: 32,
            min_bytes: 10_000_000,
            high_bytes: 500_000_000,
            high_min_ratio: 10.0,
            first_window_secs: 21_600,
            name_wait_secs: 60,
            allow_destinations: Vec::new(),
            allow_domains: Vec::new(),
            allow_sources: Vec::new(),
            extra_suffixes: Vec::new(),
            drip_window_days: 7,
            drip_min_days: 3,
            drip_min_day_bytes: 1_000_000,
            drip_min_total_bytes: 100_000_000,
            drip_max_day_bytes: 1_000_000_000,
            drip_min_ratio: 5.0,
            drip_upload_bytes: 100_000,
            drip_min_hours_per_day: 4.0,
            drip_suppress_secs: 604_800,
            capacity: 100_000,
            pair_capacity: 100_000,
            name_capacity: 100_000,
            max_pending: 100_000,
        }
    }
}
