//! Settings of the authentication analytics: every threshold with its
//! default, and the allowlists.

use serde::{Deserialize, Serialize};

use crate::net::Cidr;

/// How the failures of a password spray are grouped into one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SprayGroup {
    /// One address.
    Ip,
    /// One network: `/spray_prefix_v4` for IPv4, `/spray_prefix_v6` for
    /// IPv6 (the default: a spray that rotates addresses in a hosting
    /// range is still one source).
    #[default]
    Prefix,
    /// One autonomous system (`source.as.number`); addresses without one
    /// are grouped by prefix.
    Asn,
}

/// Settings of [`super::Auth`]. Every threshold is also reported in the
/// metrics of each hit. Missing keys take the defaults below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    // --- what an event is ---
    /// `event.action` values of successful logins with `event.outcome`
    /// `success` (default: Okta `user.session.start`, Entra `sign-in`,
    /// CloudTrail `ConsoleLogin`, sshd `ssh_login`, PostgreSQL
    /// `connection_authorized`).
    pub login_actions: Vec<String>,
    /// `event.action` values of failed logins with `event.outcome`
    /// `failure` (default: `user.session.start`, `sign-in`,
    /// `ConsoleLogin`, `ssh_login_failed`, `invalid_user`,
    /// `authentication_failure`, Windows `logon-failed`).
    pub failure_actions: Vec<String>,
    /// `error.code` values of failures that are interruptions after a
    /// correct password, not wrong passwords (default: Entra's "MFA
    /// required", "keep me signed in", "password expired", conditional
    /// access and token-expiry codes); such events are ignored.
    pub ignore_error_codes: Vec<String>,
    /// `event.action` values of failures against accounts that do not
    /// exist (sshd `invalid_user`): the Internet's background scanning of
    /// every exposed host, ignored (default `invalid_user`).
    pub unknown_user_actions: Vec<String>,
    /// Accounts never reported (service accounts, test users), compared
    /// without case; their logins still feed the histories (default none).
    pub allow_users: Vec<String>,
    /// Sources never reported and whose failures are not counted
    /// (scanners, the organization's egress); logins from them are never a
    /// new network or travel (default none).
    pub allow_sources: Vec<Cidr>,

    // --- password-spray ---
    /// How failures are grouped into one source (default `prefix`).
    pub spray_group: SprayGroup,
    /// IPv4 prefix length of a `prefix` source (default 24).
    pub spray_prefix_v4: u8,
    /// IPv6 prefix length of a `prefix` source (default 48).
    pub spray_prefix_v6: u8,
    /// Sliding window of a source's attempts, seconds (default 3600).
    pub spray_window_secs: u64,
    /// Fewest distinct users failing from one source in the window for a
    /// spray (default 10).
    pub spray_min_users: usize,
    /// Most users logging in successfully from the source, per distinct
    /// failing user, for a spray: a shared egress where many users log in
    /// and a few mistype is not one (default 0.2).
    pub spray_max_success_ratio: f64,
    /// Seconds after a reported spray during which a sprayed user logging
    /// in from the spraying source is reported, critical (default 86 400).
    pub spray_success_secs: u64,
    /// Sliding window of the distributed spray, per target, seconds
    /// (default 900).
    pub distributed_window_secs: u64,
    /// Fewest distinct users failing against one target in that window for
    /// a distributed spray (default 20) ...
    pub distributed_min_users: usize,
    /// ... from at least this many distinct sources (default 10) ...
    pub distributed_min_sources: usize,
    /// ... with at most this many failures per user on average: a spray
    /// tries few passwords per account (default 3) ...
    pub distributed_max_per_user: f64,
    /// ... and at most this share of the failing users logging in
    /// successfully within the window (people who mistype and then get it
    /// right) (default 0.2).
    pub distributed_max_recovered: f64,

    // --- brute-force ---
    /// Sliding window of a user's failures, seconds (default 900).
    pub brute_window_secs: u64,
    /// Fewest failures against one user in the window (default 10).
    pub brute_min_failures: usize,
    /// Seconds after a brute-force hit during which a success from one of
    /// the failing addresses is reported, high (default 3600).
    pub brute_success_secs: u64,

    // --- new-network ---
    /// Successful logins a user needs in its history before a new ASN or
    /// country is reported (default 5).
    pub min_logins: u64,
    /// Autonomous systems never new, and whose logins are never impossible
    /// travel (VPN providers, the organization's own) (default none).
    pub allow_asns: Vec<u32>,
    /// ASNs and countries remembered per user (default 32 each).
    pub max_places: usize,

    // --- impossible-travel ---
    /// Speed above which two consecutive logins are impossible, km/h
    /// (default 1000).
    pub max_kmh: f64,
    /// Shortest distance reported, km: geolocation of addresses is rough
    /// (default 500).
    pub travel_min_km: f64,
    /// Smallest time between two logins used for the speed, seconds, so
    /// clock skew between sources does not make nearby logins "instant"
    /// (default 300).
    pub travel_min_secs: u64,

    // --- no-mfa ---
    /// Datasets whose second factor is an event of its own (Okta's
    /// `user.authentication.auth_via_mfa`): a login there without an MFA
    /// fact waits `mfa_grace_secs` for one (default `okta.system`).
    pub mfa_datasets: Vec<String>,
    /// Seconds before or after a login in which an MFA event of the same
    /// user counts for it (default 300).
    pub mfa_grace_secs: u64,
    /// Logins with a known MFA fact a user needs before its habit is
    /// judged (default 5).
    pub mfa_min_logins: u32,
    /// Share of a user's last logins (up to 64) with MFA from which it
    /// "usually uses MFA" (default 0.8).
    pub mfa_usual_share: f64,
    /// Accounts that are privileged (no-mfa is high for them), compared
    /// without case (default none; CloudTrail `Root` is always).
    pub privileged_users: Vec<String>,
    /// Substrings of account names that mark them privileged (default
    /// `admin`, `root`).
    pub privileged_substrings: Vec<String>,
    /// Accounts allowed to log in without MFA (kiosks, service accounts),
    /// compared without case (default none).
    pub no_mfa_allow_users: Vec<String>,

    // --- dormant-account ---
    /// Days without a successful login after which an account is dormant;
    /// 0 turns the rule off (default 30).
    pub dormant_days: u64,

    // --- vendor-access ---
    /// Whether a vendor account logging in from an internal address (a
    /// gateway, a jump host) is inside its networks (default true).
    pub vendor_internal_ok: bool,

    // --- common ---
    /// Seconds after a hit during which the same analytic reports nothing
    /// more for the same entity; what is suppressed is counted in the next
    /// hit (default 3600).
    pub suppress_secs: u64,
    /// Seconds a source's clock may lag the others': a login waiting for
    /// its MFA step is judged once its own source passes the deadline, or
    /// once any source is this far past it (default 300).
    pub skew_secs: u64,
    /// Attempts kept per source and failures per user (default 128).
    pub max_window_events: usize,
    /// Failures kept per target for the distributed spray (default 4096).
    pub max_target_events: usize,
    /// Most users tracked; the least recently seen is evicted (default
    /// 100 000).
    pub capacity: usize,
    /// Most failing sources tracked (default 20 000).
    pub source_capacity: usize,
    /// Most targets tracked (default 256).
    pub target_capacity: usize,
    /// Most logins waiting for their MFA event (default 10 000).
    pub max_pending: usize,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

impl Default for Config {
    fn default() -> Config {
        Config {
            login_actions: strings(&[
                "user.session.start",
                "sign-in",
                "ConsoleLogin",
                "ssh_login",
                "connection_authorized",
            ]),
            failure_actions: strings(&[
                "user.session.start",
                "sign-in",
                "ConsoleLogin",
                "ssh_login_failed",
                "invalid_user",
                "authentication_failure",
                "logon-failed",
            ]),
            ignore_error_codes: strings(&[
                "50055", "50058", "50072", "50074", "50076", "50079", "50097", "50125", "50140",
                "50158", "50173", "53003", "65001", "70043", "70044", "81010",
            ]),
            unknown_user_actions: strings(&["invalid_user"]),
            allow_users: Vec::new(),
            allow_sources: Vec::new(),
            spray_group: SprayGroup::Prefix,
            spray_prefix_v4: 24,
            spray_prefix_v6: 48,
            spray_window_secs: 3600,
            spray_min_users: 10,
            spray_max_success_ratio: 0.2,
            spray_success_secs: 86_400,
            distributed_window_secs: 900,
            distributed_min_users: 20,
            distributed_min_sources: 10,
            distributed_max_per_user: 3.0,
            distributed_max_recovered: 0.2,
            brute_window_secs: 900,
            brute_min_failures: 10,
            brute_success_secs: 3600,
            min_logins: 5,
            allow_asns: Vec::new(),
            max_places: 32,
            max_kmh: 1000.0,
            travel_min_km: 500.0,
            travel_min_secs: 300,
            mfa_datasets: strings(&["okta.system"]),
            mfa_grace_secs: 300,
            mfa_min_logins: 5,
            mfa_usual_share: 0.8,
            privileged_users: Vec::new(),
            privileged_substrings: strings(&["admin", "root"]),
            no_mfa_allow_users: Vec::new(),
            dormant_days: 30,
            vendor_internal_ok: true,
            suppress_secs: 3600,
            skew_secs: 300,
            max_window_events: 128,
            max_target_events: 4096,
            capacity: 100_000,
            source_capacity: 20_000,
            target_capacity: 256,
            max_pending: 10_000,
        }
    }
}
