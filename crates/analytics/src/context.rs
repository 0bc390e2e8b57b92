//! What the analytics know about the organization besides the events: its
//! internal networks and its vendors (from the inventory's `[entity]`
//! table, PRODUCT.md). The engine hands one [`Context`] to every analytic
//! that needs it.

use serde::{Deserialize, Serialize};

use crate::net::{default_internal, Cidr};

/// The organization, as the inventory describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Context {
    /// Networks inside the organization (default
    /// [`crate::net::default_internal`]; an inventory's
    /// `internal_networks` replaces it).
    pub internal: Vec<Cidr>,
    /// Vendors: who they are, their accounts and where they connect from.
    pub vendors: Vec<Vendor>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            internal: default_internal(),
            vendors: Vec::new(),
        }
    }
}

impl Context {
    /// Whether `ip` is inside the organization.
    pub fn is_internal(&self, ip: std::net::IpAddr) -> bool {
        crate::net::in_any(&self.internal, ip)
    }

    /// The vendor owning `account` (compared without case), if any.
    pub fn vendor_of(&self, account: &str) -> Option<&Vendor> {
        self.vendors
            .iter()
            .find(|v| v.accounts.iter().any(|a| a.eq_ignore_ascii_case(account)))
    }
}

/// A vendor (business associate) with access to the organization.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vendor {
    /// Its name.
    pub name: String,
    /// Its accounts (identity provider users, database roles, API clients).
    pub accounts: Vec<String>,
    /// Where it connects from.
    pub networks: Vec<Cidr>,
    /// Its domains.
    pub domains: Vec<String>,
    /// UTC hours (0–23) it works in, when known (`[8, 18]`: 08:00 to
    /// 17:59); `None`: any hour.
    pub hours: Option<(u8, u8)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_are_found_by_account_without_case() {
        let c = Context {
            vendors: vec![Vendor {
                name: "Acme".into(),
                accounts: vec!["acme_support".into()],
                ..Vendor::default()
            }],
            ..Context::default()
        };
        assert_eq!(
            c.vendor_of("ACME_Support").map(|v| v.name.as_str()),
            Some("Acme")
        );
        assert!(c.vendor_of("acme").is_none());
        assert!(c.is_internal("10.0.0.1".parse().unwrap()));
        assert!(!c.is_internal("100.64.0.1".parse().unwrap()));
    }
}
