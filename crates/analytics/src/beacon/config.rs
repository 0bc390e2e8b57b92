//! The beacon analytic's settings, and address blocks (CIDR) for the
//! internal ranges and the allowlist.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// Destination ranges that are not the Internet (default: RFC 1918,
    /// loopback, link-local, CGNAT 100.64.0.0/10, "this network",
    /// multicast, broadcast, and IPv6 loopback, unspecified, ULA, link-local
    /// and multicast).
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
            internal: default_internal(),
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

fn default_internal() -> Vec<Cidr> {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

/// An address block: an address and a prefix length (`10.0.0.0/8`,
/// `2001:db8::/32`); a bare address is a block of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// Text that is not an address block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an address or CIDR block: {0:?}")]
pub struct CidrError(pub String);

impl Cidr {
    /// Whether `ip` is in the block (IPv4-mapped IPv6 addresses count as
    /// IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(s.to_string());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { addr, prefix })
    }
}

impl TryFrom<String> for Cidr {
    type Error = CidrError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.to_string()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses() {
        let c: Cidr = "100.64.0.0/10".parse().unwrap();
        assert!(c.contains(ip("100.127.255.1")));
        assert!(!c.contains(ip("100.128.0.1")));
        assert!(c.contains(ip("::ffff:100.64.1.1")));
        let one: Cidr = "203.0.113.5".parse().unwrap();
        assert!(one.contains(ip("203.0.113.5")) && !one.contains(ip("203.0.113.6")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        let v6: Cidr = "fe80::/10".parse().unwrap();
        assert!(v6.contains(ip("fe80::1")) && !v6.contains(ip("2001:db8::1")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
        assert_eq!(c.to_string(), "100.64.0.0/10");
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
        assert_eq!(Config::default().internal.len(), 14);
        let bad = serde_json::from_value::<Config>(serde_json::json!({"allow": ["x/1"]}));
        assert!(bad.is_err());
    }
}
