//! Address blocks and which addresses are inside the organization.
//!
//! One convention for every analytic: [`default_internal`] lists the ranges
//! that are not the Internet. CGNAT's shared space `100.64.0.0/10` is *not*
//! in it: it is an ISP's space, and on an enterprise's logs an address there
//! is someone else's. An organization that uses it inside (some VPNs do)
//! lists it in its inventory's `internal_networks`, which replaces the
//! default.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The ranges that are not the Internet: RFC 1918, loopback, link-local,
/// "this network", multicast, broadcast, and IPv6 loopback, unspecified,
/// ULA, link-local and multicast.
pub fn default_internal() -> Vec<Cidr> {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
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

/// Whether `ip` is in any of `blocks`.
pub fn in_any(blocks: &[Cidr], ip: IpAddr) -> bool {
    blocks.iter().any(|c| c.contains(ip))
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
    fn cgnat_is_the_internet_by_default() {
        let d = default_internal();
        assert!(in_any(&d, ip("10.1.2.3")) && in_any(&d, ip("fd00::1")));
        assert!(!in_any(&d, ip("100.64.23.45")) && !in_any(&d, ip("8.8.8.8")));
    }
}
