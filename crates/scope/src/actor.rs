//! Who a scope is about: `user:NAME`, `ip:ADDRESS` or `ip:CIDR`,
//! `host:NAME` (the `--actor` values of `phiwatch scope`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use phiwatch_analytics::account_key;
use phiwatch_analytics::net::Cidr;

/// One actor.
#[derive(Clone, Debug, PartialEq)]
pub enum Actor {
    /// An account: matched by its comparable form (local part, without
    /// case, dots, dashes or underscores), so `user:acme_support` is also
    /// `acme.support@acme-billing.example` and `acme-support`.
    User {
        /// As given.
        name: String,
        /// The comparable form.
        key: String,
    },
    /// An address or a network.
    Net(Cidr),
    /// A host name (case-insensitive; the short name matches the FQDN).
    Host(String),
}

/// An `--actor` value that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("actor {value:?}: {reason} (use user:NAME, ip:ADDRESS, ip:CIDR or host:NAME)")]
pub struct ActorError {
    /// The value given.
    pub value: String,
    /// What is wrong.
    pub reason: String,
}

impl FromStr for Actor {
    type Err = ActorError;

    fn from_str(s: &str) -> Result<Actor, ActorError> {
        let err = |reason: &str| ActorError {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        let (kind, value) = s.split_once(':').ok_or_else(|| err("no kind"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(err("empty value"));
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "user" => {
                let key = account_key(value);
                if key.is_empty() {
                    return Err(err("no account name"));
                }
                Ok(Actor::User {
                    name: value.to_string(),
                    key,
                })
            }
            "ip" | "net" => value.parse::<Cidr>().map(Actor::Net).map_err(|e| err(&e.0)),
            "host" => Ok(Actor::Host(value.to_ascii_lowercase())),
            _ => Err(err("unknown kind")),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User { name, .. } => write!(f, "user:{name}"),
            Actor::Net(c) => write!(f, "ip:{c}"),
            Actor::Host(h) => write!(f, "host:{h}"),
        }
    }
}

/// What an event says about who acted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Who<'a> {
    /// Account names (user, database user).
    pub users: [Option<&'a str>; 2],
    /// Addresses (source/client).
    pub ips: [Option<IpAddr>; 2],
    /// Host names.
    pub hosts: [Option<&'a str>; 2],
}

/// The actors of a scope; none means everyone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actors(pub Vec<Actor>);

impl Actors {
    /// Whether `who` is one of the actors (always, when there are none).
    pub fn matches(&self, who: &Who<'_>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let mut keys: Option<[Option<String>; 2]> = None;
        self.0.iter().any(|a| match a {
            Actor::User { key: want, .. } => keys
                .get_or_insert_with(|| who.users.map(|u| u.map(account_key)))
                .iter()
                .flatten()
                .any(|k| k == want),
            Actor::Net(c) => who.ips.iter().flatten().any(|ip| c.contains(*ip)),
            Actor::Host(h) => who.hosts.iter().flatten().any(|n| same_host(n, h)),
        })
    }

    /// The actor values as given.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// `fs-01` is `fs-01.corp.example` (case-insensitive).
fn same_host(seen: &str, want: &str) -> bool {
    seen.eq_ignore_ascii_case(want)
        || seen
            .split('.')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case(want))
        || want
            .split('.')
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actors(v: &[&str]) -> Actors {
        Actors(v.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn parse_and_match() {
        let a = actors(&["user:acme_support", "ip:203.0.113.0/24", "host:fs-01"]);
        let user = |u| Who {
            users: [Some(u), None],
            ..Who::default()
        };
        assert!(a.matches(&user("acme.support@acme-billing.example")));
        assert!(a.matches(&user("ACME-SUPPORT")));
        assert!(!a.matches(&user("acme_sync")));
        let ip = |s: &str| Who {
            ips: [None, Some(s.parse().unwrap())],
            ..Who::default()
        };
        assert!(a.matches(&ip("203.0.113.77")));
        assert!(!a.matches(&ip("203.0.114.1")));
        let host = |h| Who {
            hosts: [Some(h), None],
            ..Who::default()
        };
        assert!(a.matches(&host("FS-01.corp.example")));
        assert!(!a.matches(&host("fs-02")));
        assert!(Actors::default().matches(&Who::default()));
        assert!(!a.matches(&Who::default()));
        assert_eq!(a.names()[1], "ip:203.0.113.0/24");
    }

    #[test]
    fn bad_actors_say_why() {
        for bad in [
            "acme",
            "user:",
            "ip:not-an-address",
            "mac:00:11",
            "user:...",
        ] {
            let e = bad.parse::<Actor>().unwrap_err();
            assert!(e.to_string().contains("user:NAME"), "{e}");
        }
    }
}
