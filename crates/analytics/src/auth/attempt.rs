//! What an authentication event says, read once from its normalized fields.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Key};

use super::config::{Config, SprayGroup};
use crate::seen::Ev;

/// What an event is to these analytics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A successful login.
    Login,
    /// A failed login (a wrong password, an unknown user).
    Failure,
    /// A second factor verified (a login's MFA step).
    MfaStep,
}

/// One authentication attempt.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    pub(crate) kind: Kind,
    pub(crate) ev: Ev,
    /// The account as logged.
    pub(crate) user: Option<String>,
    /// The account, lowercased (the state key).
    pub(crate) key: Option<String>,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) dataset: String,
    /// What was logged into (`dataset:account-or-host`).
    pub(crate) target: String,
    pub(crate) country: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) asn: Option<u32>,
    pub(crate) as_org: Option<String>,
    pub(crate) geo: Option<(f64, f64)>,
    pub(crate) mfa: Option<bool>,
    /// CloudTrail's root user and the like.
    pub(crate) root: bool,
    pub(crate) host: Option<String>,
}

fn text(ev: &Event, ks: &[Key]) -> Option<String> {
    ks.iter().find_map(|&k| {
        ev.get(k)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|i| i.to_string()))
            })
            .filter(|s| !s.is_empty())
    })
}

fn float(ev: &Event, k: Key) -> Option<f64> {
    ev.get(k).and_then(|v| v.as_f64()).filter(|f| f.is_finite())
}

/// Whether `name` is a real account name (Okta writes `unknown` for
/// unknown actors of some events, sshd an empty name).
fn usable_user(name: &str) -> bool {
    !name.is_empty() && !name.eq_ignore_ascii_case("unknown") && name != "-"
}

impl Attempt {
    /// The attempt `ev` holds, if it is a login, a failed login or an MFA
    /// step; `Err(Ignored)` for a failure skipped on purpose (an
    /// interruption code, an account that does not exist).
    pub(crate) fn of(ev: &Event, c: &Config) -> Result<Option<Attempt>, Ignored> {
        let Some(outcome) = ev.get(keys::EVENT_OUTCOME).and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        let action = ev
            .get(keys::EVENT_ACTION)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        // Read only when it matters: most successes (web requests, queries)
        // are neither logins nor MFA steps.
        let mfa_of = || ev.get(keys::PHIWATCH_AUTH_MFA).and_then(|v| v.as_bool());
        let is = |list: &[String]| list.iter().any(|a| a == action);
        let kind = match outcome {
            "success" if is(&c.login_actions) => Kind::Login,
            "success" if mfa_of() == Some(true) => Kind::MfaStep,
            "failure" if is(&c.failure_actions) => {
                if is(&c.unknown_user_actions) {
                    return Err(Ignored);
                }
                let code = text(ev, &[keys::ERROR_CODE]);
                if code.is_some_and(|code| c.ignore_error_codes.contains(&code)) {
                    return Err(Ignored);
                }
                Kind::Failure
            }
            _ => return Ok(None),
        };
        let user = text(ev, &[keys::USER_NAME, keys::USER_EMAIL, keys::DB_USER])
            .filter(|u| usable_user(u));
        let dataset = text(ev, &[keys::EVENT_DATASET]).unwrap_or_else(|| "-".into());
        let scope = text(ev, &[keys::CLOUD_ACCOUNT_ID, keys::HOST_NAME]);
        let target = match scope {
            Some(s) => format!("{dataset}:{s}"),
            None => dataset.clone(),
        };
        let ip = [keys::SOURCE_IP, keys::CLIENT_IP]
            .into_iter()
            .find_map(|k| ev.get(k).and_then(|v| v.as_ip()));
        let asn = ev
            .get(keys::SOURCE_AS_NUMBER)
            .and_then(|v| v.as_i64())
            .and_then(|n| u32::try_from(n).ok());
        let geo = match (
            float(ev, keys::SOURCE_GEO_LATITUDE),
            float(ev, keys::SOURCE_GEO_LONGITUDE),
        ) {
            (Some(la), Some(lo))
                if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) =>
            {
                Some((la, lo))
            }
            _ => None,
        };
        let root = ev
            .get(keys::PHIWATCH_USER_TYPE)
            .and_then(|v| v.as_str())
            .is_some_and(|t| t.eq_ignore_ascii_case("root"));
        Ok(Some(Attempt {
            kind,
            ev: Ev::of(ev),
            key: user.as_ref().map(|u| u.to_lowercase()),
            user,
            ip,
            dataset,
            target,
            country: text(
                ev,
                &[
                    keys::SOURCE_GEO_COUNTRY_ISO_CODE,
                    keys::SOURCE_GEO_COUNTRY_NAME,
                ],
            ),
            city: text(ev, &[keys::SOURCE_GEO_CITY_NAME]),
            asn,
            as_org: text(ev, &[keys::SOURCE_AS_ORGANIZATION_NAME]),
            geo,
            mfa: mfa_of(),
            root,
            host: text(ev, &[keys::HOST_NAME]),
        }))
    }

    /// The spray source of this attempt (`203.0.113.0/24`, `AS64510`,
    /// `203.0.113.9`), None without an address.
    pub(crate) fn group(&self, c: &Config) -> Option<String> {
        let ip = self.ip?;
        Some(match (c.spray_group, self.asn) {
            (SprayGroup::Ip, _) => ip.to_canonical().to_string(),
            (SprayGroup::Asn, Some(asn)) => format!("AS{asn}"),
            _ => prefix(ip, c.spray_prefix_v4, c.spray_prefix_v6),
        })
    }

    /// Where the login came from, for people (`Bucharest, RO`).
    pub(crate) fn place(&self) -> String {
        match (&self.city, &self.country) {
            (Some(ci), Some(co)) => format!("{ci}, {co}"),
            (None, Some(co)) => co.clone(),
            (Some(ci), None) => ci.clone(),
            (None, None) => "an unknown place".into(),
        }
    }
}

/// An event the analytics skip on purpose (counted).
#[derive(Debug)]
pub(crate) struct Ignored;

/// The network of `ip` (`/v4` or `/v6` bits), as text.
pub(crate) fn prefix(ip: IpAddr, v4: u8, v6: u8) -> String {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let bits = v4.min(32);
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            let net = std::net::Ipv4Addr::from(u32::from(a) & mask);
            format!("{net}/{bits}")
        }
        IpAddr::V6(a) => {
            let bits = v6.min(128);
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask);
            format!("{net}/{bits}")
        }
    }
}

/// A stable 64-bit hash of text (FNV-1a): users and sources in the windows
/// are kept as hashes, which survive a save and restore.
pub(crate) fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Great-circle distance between two (lat, lon) points, km.
pub(crate) fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6371.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().clamp(0.0, 1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_distances() {
        let ip: IpAddr = "203.0.113.77".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(prefix(ip, 24, 48), "203.0.113.0/24");
        assert_eq!(prefix(ip, 0, 48), "0.0.0.0/0");
        let v6: IpAddr = "2001:db8:1:2::5"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(prefix(v6, 24, 48), "2001:db8:1::/48");
        // Boston to Bucharest is about 7 400 km.
        let d = distance_km((42.36, -71.06), (44.43, 26.10));
        assert!((7_200.0..7_600.0).contains(&d), "{d}");
        assert!(distance_km((10.0, 10.0), (10.0, 10.0)) < 1e-6);
        assert_ne!(hash("alice"), hash("bob"));
    }
}
