//! The beacon analytic's settings, and address blocks (CIDR) for the
//! internal ranges and the allowlist.

use serde::{Deserialize, Serialize};

pub use crate::net::{Cidr, CidrError};

/// Settings of [`super::Beacon`]. Every threshold is also reported in the
/// metrics of each hit. Missing keys take the defaults below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Length of the analysis window in seconds (default 86 400: 24 h).
    /// Windows are aligned on multiples of this length since the epoch
    /// (UTC midnight for 24 h); each pair is scored when the window closes
    /// and at every check (`check_secs`). Clamped to 1 s ..= 49 days
    /// (offsets are held in milliseconds in 32 bits).
    pub window_secs: u64,
    /// Smallest overall score that reports a beacon (default 0.8; level
    /// medium).
    pub min_score: f64,
    /// Score from which a beacon is reported at level high (default 0.9).
    pub high_score: f64,
    /// Fewest connections of a series (the whole pair, or one size class of
    /// it) in a window to score it (default 20).
    pub min_connections: u64,
    /// Shortest time, in seconds, from the first to the last connection of
    /// a series for it to be reported (default 3 600): a page that polls for
    /// a few minutes is not a beacon.
    pub min_span_secs: f64,
    /// Median interval below which a series is a burst, not a beacon: its
    /// timing scores are 0 (default 1 s).
    pub min_interval_secs: f64,
    /// MADM of the intervals, as a fraction of the median interval, at which
    /// the interval dispersion score reaches 0 (default 0.5).
    pub interval_madm_ratio: f64,
    /// Jitter tolerated around the dominant period, as a fraction of it
    /// (default 0.2): the period is the densest band of intervals
    /// `[d, d·(1 + 2·tolerance)]`, and a connection has a successor when
    /// another one follows it within `period·(1 ± tolerance)`.
    pub period_tolerance: f64,
    /// MADM of the sizes, as a fraction of the median size, at which the size
    /// dispersion score reaches 0 (default 0.5).
    pub size_madm_ratio: f64,
    /// Smallest denominator of the size dispersion score, in bytes, so that
    /// tiny or empty payloads are not judged on a few bytes; also the floor
    /// under which sizes are one class (default 32).
    pub size_madm_floor_bytes: f64,
    /// Sizes sent are split into classes where, in sorted order, one size is
    /// at least this many times the previous one (default 4); each class
    /// with `min_connections` is scored on its own as well as the whole
    /// pair, so a heartbeat is found under uploads on the same connection
    /// series. 1 or less: no split.
    pub size_class_ratio: f64,
    /// Weight of the interval score (skewness and MADM of the intervals) in
    /// the overall score (default 0.3). Timing weighs more than size: sizes
    /// already split the series, and constant request sizes are common in
    /// benign API traffic.
    pub interval_weight: f64,
    /// Weight of the count score (connections against those a beacon at the
    /// dominant period would make) (default 0.2).
    pub count_weight: f64,
    /// Weight of the period score (share of connections followed by another
    /// one period later, above chance) (default 0.3).
    pub period_weight: f64,
    /// Weight of the size score (skewness and MADM of the bytes sent); left
    /// out when sizes are not known (default 0.2).
    pub size_weight: f64,
    /// Seconds between checks of the open window's pairs, so that a beacon
    /// is reported before its window closes (default 3 600; 0: only when
    /// the window closes).
    pub check_secs: u64,
    /// A pair reported is not reported again for this many seconds unless
    /// its level rises; the next hit counts the windows suppressed meanwhile
    /// (default 604 800: 7 days).
    pub suppress_secs: u64,
    /// A destination (address and port) beaconed to by at least this many
    /// sources in one window is a shared service (update, time or SaaS
    /// polling from a fleet): its beacons are reported at level low
    /// (default 10; 0: never).
    pub fleet_sources: usize,
    /// Duration in seconds from which one connection is reported as a long
    /// connection (default 14 400: 4 h).
    pub long_conn_secs: f64,
    /// Score destinations in the `internal` ranges too (default false).
    pub include_internal: bool,
    /// Destination ranges that are not the Internet (default:
    /// [`crate::net::default_internal`]).
    pub internal: Vec<Cidr>,
    /// Destinations never scored (addresses or CIDR blocks; default none).
    pub allow: Vec<Cidr>,
    /// Key pairs by destination port too (default true); when false every
    /// port of a destination is one series.
    pub by_port: bool,
    /// `event.dataset` values that are connection records (default
    /// `zeek.conn`, `aws.vpcflow`, `suricata.flow`, `suricata.netflow`).
    /// Empty: every event with a source and a destination address. Other
    /// logs of the same connection (Zeek `ssl`, `dns`) would count it twice.
    pub datasets: Vec<String>,
    /// Most pairs tracked at once, and most pairs remembered for the
    /// suppression; the least recently seen is evicted (default 200 000).
    pub capacity: usize,
    /// Connections kept per pair, the most recent (default 2048, at least 4).
    pub per_pair: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_secs: 86_400,
            min_score: 0.8,
            high_score: 0.9,
            min_connections: 20,
            min_span_secs: 3_600.0,
            min_interval_secs: 1.0,
            interval_madm_ratio: 0.5,
            period_tolerance: 0.2,
            size_madm_ratio: 0.5,
            size_madm_floor_bytes: 32.0,
            size_class_ratio: 4.0,
            interval_weight: 0.3,
            count_weight: 0.2,
            period_weight: 0.3,
            size_weight: 0.2,
            check_secs: 3_600,
            suppress_secs: 604_800,
            fleet_sources: 10,
            long_conn_secs: 14_400.0,
            include_internal: false,
            internal: crate::net::default_internal(),
            allow: Vec::new(),
            by_port: true,
            datasets: [
                "zeek.conn",
                "aws.vpcflow",
                "suricata.flow",
                "suricata.netflow",
            ]
            .map(String::from)
            .to_vec(),
            capacity: 200_000,
            per_pair: 2048,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn config_reads_from_json_with_defaults() {
        let c: Config = serde_json::from_value(
            serde_json::json!({"allow": ["198.51.100.0/24"], "min_score": 0.7}),
        )
        .unwrap();
        assert_eq!(c.min_score, 0.7);
        assert_eq!(c.min_connections, 20);
        assert!(c.allow[0].contains(ip("198.51.100.9")));
        assert_eq!(Config::default().internal, crate::net::default_internal());
        let bad = serde_json::from_value::<Config>(serde_json::json!({"allow": ["x/1"]}));
        assert!(bad.is_err());
    }
}
