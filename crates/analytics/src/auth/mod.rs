//! Authentication precursors: what comes before a theft of data, read from
//! the sign-in logs of identity providers and hosts (Okta System Log,
//! Microsoft Entra sign-ins, CloudTrail `ConsoleLogin`, sshd `auth.log`,
//! PostgreSQL authentication failures, Windows 4625).
//!
//! # What is read
//!
//! An event is a **login** when its `event.action` is in
//! [`Config::login_actions`] and `event.outcome` is `success`; a
//! **failure** when the action is in [`Config::failure_actions`] and the
//! outcome is `failure`; an **MFA step** when it is another success with
//! `phiwatch.auth.mfa` true (Okta's `user.authentication.auth_via_mfa`).
//! Two kinds of failures are skipped (counted as `ignored`): those whose
//! `error.code` is in [`Config::ignore_error_codes`], interruptions after a
//! correct password such as Entra's "MFA required"; and those whose action
//! is in [`Config::unknown_user_actions`], attempts on accounts that do not
//! exist (sshd `invalid_user`), the background scanning of any exposed
//! host. The account is `user.name` (else
//! `user.email`, `db.user`), compared without case; the source is
//! `source.ip` (else `client.ip`), with its ASN, country, city and
//! coordinates when the log has them; the target is `event.dataset` with
//! the cloud account or host (`entra.signin:<tenant>`, `system.auth:db-01`).
//!
//! # Decisions (one analytic name each)
//!
//! - `password-spray` (high; T1110.003): one source — an address, a
//!   `/24` (`/48`) network or an ASN, [`Config::spray_group`] — fails
//!   against at least [`Config::spray_min_users`] distinct users within
//!   [`Config::spray_window_secs`], while at most
//!   [`Config::spray_max_success_ratio`] users per failing user log in
//!   from it (a shared egress where many log in and a few mistype is not a
//!   spray). **Distributed**: against one target, at least
//!   [`Config::distributed_min_users`] users fail from at least
//!   [`Config::distributed_min_sources`] sources within
//!   [`Config::distributed_window_secs`], with at most
//!   [`Config::distributed_max_per_user`] failures per user and at most
//!   [`Config::distributed_max_recovered`] of the users logging in since
//!   (failures of a source already reported as a spray are not counted
//!   again). **Critical** when a user that failed from a reported spray
//!   source logs in from that source within
//!   [`Config::spray_success_secs`]: the spray found a password.
//! - `brute-force` (medium; T1110.001): at least
//!   [`Config::brute_min_failures`] failures against one user within
//!   [`Config::brute_window_secs`]; **high** when, within
//!   [`Config::brute_success_secs`] of that hit, the user logs in from one
//!   of the failing addresses. Failures from a source while it is reported
//!   as spraying are the spray's, not counted here.
//! - `new-network` (medium; T1078): a login from an ASN or a country the
//!   user never logged in from, once it has [`Config::min_logins`]
//!   logins of history (internal and allowlisted sources and
//!   [`Config::allow_asns`] are never new).
//! - `impossible-travel` (high; T1078): two logins of one user, with
//!   coordinates, at least [`Config::travel_min_km`] apart, whose
//!   distance over the time between them (at least
//!   [`Config::travel_min_secs`], for clock skew) is above
//!   [`Config::max_kmh`]. Logs without coordinates are skipped, and so are
//!   logins from allowlisted sources and ASNs (VPNs move users around the
//!   map).
//! - `no-mfa` (T1078): a login without a second factor of a vendor
//!   account (`Context::vendors`) or a privileged one (high), or of a user
//!   whose last logins ([`Config::mfa_min_logins`] at least) used MFA in
//!   [`Config::mfa_usual_share`] of cases (medium; not from internal or
//!   allowlisted addresses, where sign-on policies often skip MFA). A login says whether
//!   MFA was used (`phiwatch.auth.mfa`); in [`Config::mfa_datasets`]
//!   (Okta) a login that does not say waits up to
//!   [`Config::mfa_grace_secs`] for an MFA step of the same user from the
//!   same address (one up to that long before it counts too), judged
//!   by that dataset's clock (or the latest event plus
//!   [`Config::skew_secs`] when that source goes quiet); logins still
//!   waiting at the end of the input stay in the saved state.
//! - `dormant-account` (medium; T1078): a login of an account whose
//!   previous login is at least [`Config::dormant_days`] old (it needs
//!   that much history, from this run or a restored state).
//! - `vendor-access` (high; T1199, T1078): a vendor account (one of a
//!   vendor's `accounts`, or an address in one of its `domains`) logging in
//!   from outside the vendor's networks (internal addresses count as
//!   inside when [`Config::vendor_internal_ok`]) or outside its hours.
//!
//! Each rule reports at most once per [`Config::suppress_secs`] for the
//! same source, target or user; what it suppressed meanwhile is counted in
//! the next hit (`suppressed`). Accounts in [`Config::allow_users`] are
//! never reported (their logins still build histories); failures from
//! [`Config::allow_sources`] are not counted. Every number behind a
//! decision and every threshold used is in the hit's metrics; the evidence
//! is the first few and last few events of the episode.
//!
//! Events arrive in time order per source; an event older than a window's
//! newest is counted as late (`Counters::late`) and left out of that
//! window. State is bounded: [`Config::capacity`] users,
//! [`Config::source_capacity`] sources, [`Config::target_capacity`]
//! targets, [`Config::max_window_events`] attempts per source and user,
//! the least recently seen evicted first (counted).
//!
//! ```
//! use phiwatch_analytics::auth::{Auth, Config};
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let mut a = Auth::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! for i in 0..12 {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + i * 30).unwrap());
//!     ev.push_norm(keys::EVENT_DATASET, Value::Static("okta.system"));
//!     ev.push_norm(keys::EVENT_ACTION, Value::Static("user.session.start"));
//!     ev.push_norm(keys::EVENT_OUTCOME, Value::Static("failure"));
//!     ev.push_norm_str(keys::USER_NAME, &format!("user{i}"));
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("203.0.113.9".parse().unwrap()));
//!     a.observe(&ev, &mut hits);
//! }
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].analytic, "password-spray");
//! assert_eq!(hits[0].group["source"], "203.0.113.0/24");
//! assert_eq!(hits[0].metrics["failed_users"], 10.0);
//! ```

mod attempt;
mod config;
mod failures;
mod hit;
mod login;
mod mfa;
mod state;

use std::collections::{BTreeMap, HashSet, VecDeque};

use phiwatch_event::Event;
use serde::{Deserialize, Serialize};

pub use config::{Config, SprayGroup};

use crate::context::Context;
use crate::state::{alloc_size, Bounded};
use crate::{Analytic, AnalyticHit, StateError};
use attempt::{Attempt, Kind};
use state::{Pending, Source, Target, User};

const NAME: &str = "auth";
const VERSION: u64 = 1;
const NANOS: i64 = 1_000_000_000;
/// Datasets whose clocks are tracked.
const MAX_CLOCKS: usize = 64;

/// What the analytic has counted since it was made (restored with its
/// state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Successful logins.
    pub logins: u64,
    /// Failed logins.
    pub failures: u64,
    /// MFA steps.
    pub mfa_steps: u64,
    /// Failures skipped for their error code (interruptions) or action
    /// (accounts that do not exist).
    pub ignored: u64,
    /// Failures from allowlisted sources, and hits of allowlisted users.
    pub allowed: u64,
    /// Events earlier than the latest one seen (out of order, clock skew).
    pub out_of_order: u64,
    /// Attempts older than their window, left out of it.
    pub late: u64,
    /// Hits not reported during a suppression period.
    pub suppressed: u64,
    /// Logins that waited for an MFA step and got none.
    pub no_mfa_waits: u64,
    /// Waiting logins dropped to stay within `max_pending`.
    pub pending_dropped: u64,
    /// Hits reported.
    pub hits: u64,
    /// Users evicted to stay within the capacity.
    pub evicted_users: u64,
    /// Sources evicted.
    pub evicted_sources: u64,
    /// Targets evicted.
    pub evicted_targets: u64,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    counters: Counters,
    latest: Option<i64>,
    clocks: BTreeMap<String, i64>,
    users: Vec<(Box<str>, User)>,
    sources: Vec<(Box<str>, Source)>,
    targets: Vec<(Box<str>, Target)>,
    pending: VecDeque<Pending>,
}

/// The authentication analytics (`password-spray`, `brute-force`,
/// `new-network`, `impossible-travel`, `no-mfa`, `dormant-account`,
/// `vendor-access`): see the module documentation.
#[derive(Debug)]
pub struct Auth {
    config: Config,
    ctx: Context,
    allow_users: HashSet<String>,
    no_mfa_allow: HashSet<String>,
    privileged: HashSet<String>,
    allow_asns: HashSet<u32>,
    users: Bounded<Box<str>, User>,
    sources: Bounded<Box<str>, Source>,
    targets: Bounded<Box<str>, Target>,
    pending: VecDeque<Pending>,
    latest: Option<i64>,
    /// Latest event time per dataset.
    clocks: BTreeMap<String, i64>,
    counters: Counters,
}

fn lower_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// Seconds as nanoseconds, saturating.
use crate::seen::secs_ns as ns;

impl Auth {
    /// An analytic with these settings, knowing the organization's
    /// internal networks and vendors.
    pub fn new(config: Config, ctx: &Context) -> Auth {
        Auth {
            allow_users: lower_set(&config.allow_users),
            no_mfa_allow: lower_set(&config.no_mfa_allow_users),
            privileged: lower_set(&config.privileged_users),
            allow_asns: config.allow_asns.iter().copied().collect(),
            users: Bounded::new(config.capacity),
            sources: Bounded::new(config.source_capacity),
            targets: Bounded::new(config.target_capacity),
            pending: VecDeque::new(),
            latest: None,
            clocks: BTreeMap::new(),
            counters: Counters::default(),
            ctx: ctx.clone(),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it has counted so far.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted_users: self.users.evicted,
            evicted_sources: self.sources.evicted,
            evicted_targets: self.targets.evicted,
            ..self.counters
        }
    }

    /// Logins waiting for their MFA step.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn tick(&mut self, dataset: &str, t: i64) {
        if let Some(c) = self.clocks.get_mut(dataset) {
            *c = (*c).max(t);
        } else if self.clocks.len() < MAX_CLOCKS {
            self.clocks.insert(dataset.to_string(), t);
        }
    }
}

impl Analytic for Auth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        match self.latest {
            Some(l) if t < l => self.counters.out_of_order += 1,
            _ => self.latest = Some(t),
        }
        match Attempt::of(ev, &self.config) {
            Err(_) => self.counters.ignored += 1,
            Ok(None) => {}
            Ok(Some(a)) => {
                self.tick(&a.dataset, t);
                match a.kind {
                    Kind::Failure => self.failure(&a, out),
                    Kind::Login => self.login(&a, out),
                    Kind::MfaStep => self.mfa_step(&a, out),
                }
            }
        }
        if !self.pending.is_empty() {
            self.resolve(out);
        }
    }

    /// Logins still waiting for their MFA step stay pending (the step may
    /// be in the next input); the windows hold nothing more to report.
    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.resolve(out);
    }

    fn memory_bytes(&self) -> usize {
        let users: usize = self
            .users
            .iter()
            .map(|(k, u)| alloc_size(k.len()) + u.bytes())
            .sum::<usize>()
            + self.users.heap_bytes();
        let sources: usize = self
            .sources
            .iter()
            .map(|(k, s)| alloc_size(k.len()) + s.bytes())
            .sum::<usize>()
            + self.sources.heap_bytes();
        let targets: usize = self
            .targets
            .iter()
            .map(|(k, s)| alloc_size(k.len()) + s.bytes())
            .sum::<usize>()
            + self.targets.heap_bytes();
        let pending: usize = self.pending.iter().map(Pending::bytes).sum();
        let sets: usize = self
            .allow_users
            .iter()
            .chain(&self.no_mfa_allow)
            .chain(&self.privileged)
            .map(|s| s.capacity() + 32)
            .sum();
        std::mem::size_of::<Self>()
            + users
            + sources
            + targets
            + pending
            + sets
            + self.clocks.keys().map(|k| k.capacity() + 40).sum::<usize>()
    }

    fn entities(&self) -> usize {
        self.users.len() + self.sources.len() + self.targets.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            counters: Counters,
            latest: Option<i64>,
            clocks: &'a BTreeMap<String, i64>,
            users: Vec<(&'a str, &'a User)>,
            sources: Vec<(&'a str, &'a Source)>,
            targets: Vec<(&'a str, &'a Target)>,
            pending: &'a VecDeque<Pending>,
        }
        fn list<V>(b: &Bounded<Box<str>, V>) -> Vec<(&str, &V)> {
            b.iter_oldest_first().map(|(k, v)| (&**k, v)).collect()
        }
        let saved = SavedRef {
            version: VERSION,
            counters: self.counters(),
            latest: self.latest,
            clocks: &self.clocks,
            users: list(&self.users),
            sources: list(&self.sources),
            targets: list(&self.targets),
            pending: &self.pending,
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let mut saved: Saved =
            crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        let c = &self.config;
        // Saved least recently seen first: the eviction order survives.
        let mut users = Bounded::from_oldest_first(c.capacity, saved.users);
        let mut sources = Bounded::from_oldest_first(
            c.source_capacity,
            saved.sources.into_iter().map(|(k, mut v)| {
                v.rebuild();
                (k, v)
            }),
        );
        let mut targets = Bounded::from_oldest_first(
            c.target_capacity,
            saved.targets.into_iter().map(|(k, mut v)| {
                v.rebuild();
                (k, v)
            }),
        );
        users.evicted += saved.counters.evicted_users;
        sources.evicted += saved.counters.evicted_sources;
        targets.evicted += saved.counters.evicted_targets;
        while saved.pending.len() > c.max_pending.max(1) {
            saved.pending.pop_front();
            saved.counters.pending_dropped += 1;
        }
        self.users = users;
        self.sources = sources;
        self.targets = targets;
        self.pending = saved.pending;
        self.latest = saved.latest;
        self.clocks = saved.clocks;
        self.counters = saved.counters;
        Ok(())
    }
}
