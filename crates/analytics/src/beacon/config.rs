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
    /// (UTC midnight for 24 h); each pair is scored once per window. Clamped
    /// to 1 s ..= 49 days (offsets are held in milliseconds in 32 bits).
    pub window_secs: u64,
    /// Smallest overall score that reports a beacon (default 0.8; level
    /// medium).
    pub min_score: f64,
    /// Score from which a beacon is reported at level high (default 0.9).
    pub high_score: f64,
    /// Fewest connections of a pair in a window to score it (default 20).
    pub min_connections: u64,
    /// Median interval below which a pair is a burst, not a beacon: its
    /// timestamp score is 0 (default 1 s).
    pub min_interval_secs: f64,
    /// MADM of the intervals, as a fraction of the median interval, at which
    /// the interval dispersion score reaches 0 (default 0.5).
    pub interval_madm_ratio: f64,
    /// MADM of the sizes, as a fraction of the median size, at which the size
    /// dispersion score reaches 0 (default 0.5).
    pub size_madm_ratio: f64,
    /// Smallest denominator of the size dispersion score, in bytes, so that
    /// tiny or empty payloads are not judged on a few bytes (default 32).
    pub size_madm_floor_bytes: f64,
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
    /// Most pairs tracked at once; the least recently seen is evicted
    /// (default 200 000).
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
            min_interval_secs: 1.0,
            interval_madm_ratio: 0.5,
            size_madm_ratio: 0.5,
            size_madm_floor_bytes: 32.0,
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
