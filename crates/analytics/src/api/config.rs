//! Settings of the API access analytic: sources, agents, clocks and one
//! table per hit kind. Every field has a default (`#[serde(default)]`),
//! and every threshold a hit used is repeated in its metrics.

use serde::{Deserialize, Serialize};

/// Settings of [`ApiAccess`](super::ApiAccess) (the `[api]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `event.dataset` values of audit records (who, what, which patients),
    /// preferred when a request is in both kinds of source (default
    /// `fhir.audit`).
    pub audit_datasets: Vec<String>,
    /// `event.dataset` values of web access records of the same API
    /// (default `web.access`): counted only when no audit record from the
    /// same client address lies within [`Config::dedupe_secs`] of them, so a
    /// request logged by both is counted once. Empty: access logs are not
    /// read.
    pub access_datasets: Vec<String>,
    /// Seconds around an access record in which an audit record from the
    /// same client address means the request was audited (default 10).
    /// Access records wait this long (event time) before they are counted.
    pub dedupe_secs: u64,
    /// URL path prefixes of access records to read (`/fhir/`); empty: any
    /// request naming a FHIR resource, patients or `$export` (default).
    pub path_prefixes: Vec<String>,
    /// Accounts that act for many people (the EHR back end, integration
    /// engines), compared without case; `*` at the start or end is a
    /// wildcard (`svc_*`). They are never judged as people (no off-hours,
    /// no snooping), stay out of the peers' baselines, and their enumeration
    /// is judged against their own history only (default none).
    pub service_accounts: Vec<String>,
    /// Agents (user names or client addresses, compared without case) never
    /// reported by any rule; their requests still feed the baselines
    /// (default none).
    pub allow_agents: Vec<String>,
    /// Working hours, UTC (0–24): `[start, end]` means start:00 to
    /// (end−1):59;
    /// `start > end` wraps midnight; `start == end`: no off-hours (default
    /// `[6, 20]`). A vendor account uses its vendor's `hours` when the
    /// inventory gives them.
    pub work_hours: (u8, u8),
    /// Whether Saturday and Sunday (UTC) are off-hours too (default false).
    pub weekends_off: bool,
    /// Seconds after a hit during which the same agent reports nothing more
    /// of the same kind unless the level rises; what was held back is
    /// counted in the next hit (`suppressed`) (default 21 600: six hours).
    pub suppress_secs: u64,
    /// Seconds after an hour ends during which its counts stay open for
    /// late records (clock skew between sources, out-of-order files);
    /// later ones are counted as late and dropped (default 300).
    pub grace_secs: u64,
    /// What an hour in which an enumeration or snooping signal fired
    /// teaches the agent's own baseline (the peers' never learn it)
    /// (default `clip`: its count at the threshold it
    /// crossed, so one burst does not make bursts normal, yet a pattern
    /// that keeps repeating is learned over days; `skip`: nothing, so a
    /// daily snooper is reported every day, and a benign pattern that
    /// crossed once is reported until allowlisted; `learn`: its count).
    pub learn_flagged: Flagged,
    /// Active hours kept per agent and signal (default 336: two weeks).
    pub history: usize,
    /// Agent-hours kept for the peers' baselines (default 10 000).
    pub peer_history: usize,
    /// Distinct patients tracked per agent and hour; more are counted as
    /// distinct without being stored (default 100 000).
    pub max_hour_patients: usize,
    /// Patients remembered per person for "new to this user" (two
    /// generations of this many; default 4 096).
    pub patient_memory: usize,
    /// Access records waiting for their audit counterpart; when full the
    /// oldest is counted at once (default 100 000).
    pub max_pending: usize,
    /// Agents tracked; the least recently seen are evicted (default 50 000).
    pub capacity: usize,
    /// `api-enumeration`.
    pub enumeration: Enumeration,
    /// `api-bulk-export`.
    pub export: Export,
    /// `off-hours-access`.
    pub off_hours: OffHours,
    /// `record-snooping`.
    pub snooping: Snooping,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            audit_datasets: vec!["fhir.audit".to_string()],
            access_datasets: vec!["web.access".to_string()],
            dedupe_secs: 10,
            path_prefixes: Vec::new(),
            service_accounts: Vec::new(),
            allow_agents: Vec::new(),
            work_hours: (6, 20),
            weekends_off: false,
            suppress_secs: 21_600,
            grace_secs: 300,
            learn_flagged: Flagged::Clip,
            history: 336,
            peer_history: 10_000,
            max_hour_patients: 100_000,
            patient_memory: 4_096,
            max_pending: 100_000,
            capacity: 50_000,
            enumeration: Enumeration::default(),
            export: Export::default(),
            off_hours: OffHours::default(),
            snooping: Snooping::default(),
        }
    }
}

/// What a flagged hour teaches the baselines ([`Config::learn_flagged`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flagged {
    /// The count, clipped at the threshold it crossed.
    #[default]
    Clip,
    /// Nothing.
    Skip,
    /// The count.
    Learn,
}

/// `api-enumeration`: distinct patients requested by one agent in an hour
/// (the `[api.enumeration]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Enumeration {
    /// Fewest patients in an hour ever reported (default 100).
    pub min_patients: u64,
    /// Active hours in the agent's history before it is judged against it
    /// (default 24).
    pub min_samples: usize,
    /// Robust z against the own history (default 6).
    pub min_z: f64,
    /// Smallest spread (patients) of the robust z (default 5).
    pub z_floor: f64,
    /// The quantile of the histories compared with (default 0.99).
    pub quantile: f64,
    /// Patients at least this times the own history's quantile (default 3).
    pub quantile_factor: f64,
    /// A new agent (shorter history): at least this many patients (default
    /// 300) ...
    pub new_agent_patients: u64,
    /// ... and at least this times the peers' quantile, when the peers'
    /// baseline holds [`Enumeration::min_peer_samples`] (default 5).
    pub peer_factor: f64,
    /// Agent-hours the peers' baseline needs before it is used (default
    /// 100).
    pub min_peer_samples: usize,
    /// Patients in an hour from which the hit is critical (default 1 000).
    pub critical_patients: u64,
}

impl Default for Enumeration {
    fn default() -> Enumeration {
        Enumeration {
            min_patients: 100,
            min_samples: 24,
            min_z: 6.0,
            z_floor: 5.0,
            quantile: 0.99,
            quantile_factor: 3.0,
            new_agent_patients: 300,
            peer_factor: 5.0,
            min_peer_samples: 100,
            critical_patients: 1_000,
        }
    }
}

/// `api-bulk-export`: FHIR bulk data `$export` kick-offs (the
/// `[api.export]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Export {
    /// Clients (user names or addresses, compared without case) whose
    /// exports are expected (the population-health job); never reported
    /// (default none).
    pub allow_clients: Vec<String>,
    /// A known client's off-hours export is not reported when it has
    /// exported at that hour of the day (± [`Export::hour_slack`]) on at
    /// least this many earlier days: a nightly job (default 2).
    pub learn_days: u32,
    /// Hours either side for [`Export::learn_days`] (default 1).
    pub hour_slack: u8,
}

impl Default for Export {
    fn default() -> Export {
        Export {
            allow_clients: Vec::new(),
            learn_days: 2,
            hour_slack: 1,
        }
    }
}

/// `off-hours-access`: a person reading patient records at an hour they
/// have never worked (the `[api.off_hours]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffHours {
    /// Days the user must have been active on before their hours are
    /// trusted (default 5).
    pub min_active_days: u32,
    /// Earlier days with activity within [`OffHours::hour_slack`] of the
    /// hour below which the hour is "never worked" (default 1).
    pub min_hour_days: u32,
    /// Hours either side counted as the same hour (default 1).
    pub hour_slack: u8,
    /// With `weekends_off`: days the user's history must span before a
    /// first weekend access is reported (default 14).
    pub weekend_min_span_days: u32,
}

impl Default for OffHours {
    fn default() -> OffHours {
        OffHours {
            min_active_days: 5,
            min_hour_days: 1,
            hour_slack: 1,
            weekend_min_span_days: 14,
        }
    }
}

/// `record-snooping`: a person opening many patients' records new to them,
/// or looking patients up by name, far above their own and their peers'
/// norm (the `[api.snooping]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Snooping {
    /// Fewest patients new to the user in an hour ever reported (default
    /// 40).
    pub min_new: u64,
    /// Smallest share of the hour's patients that are new to the user
    /// (default 0.5).
    pub min_share: f64,
    /// Active hours of history before the user is judged against it
    /// (default 8); with fewer, against the peers.
    pub min_samples: usize,
    /// Robust z against the own history (default 5).
    pub min_z: f64,
    /// Smallest spread (patients) of the robust z (default 3).
    pub z_floor: f64,
    /// The quantile of the histories compared with (default 0.99).
    pub quantile: f64,
    /// New patients at least this times the own history's quantile
    /// (default 3).
    pub quantile_factor: f64,
    /// With a short history: at least this times the peers' quantile
    /// (default 3).
    pub peer_factor: f64,
    /// User-hours the peers' baselines need before they are used (default
    /// 100).
    pub min_peer_samples: usize,
    /// Fewest name searches in an hour ever reported (default 5).
    pub min_searches: u64,
    /// Searches at least this times the own (or, with a short history, the
    /// peers') quantile (default 3).
    pub search_factor: f64,
    /// Smallest spread (searches) of the robust z (default 1).
    pub search_z_floor: f64,
    /// Query parameters of a `Patient` search that make it a name search
    /// (default `family`, `given`, `name`, `phonetic`).
    pub search_params: Vec<String>,
    /// Seconds within which a name-search signal makes a new-patients signal
    /// of the same user high (default 14 400).
    pub correlate_secs: u64,
}

impl Default for Snooping {
    fn default() -> Snooping {
        Snooping {
            min_new: 40,
            min_share: 0.5,
            min_samples: 8,
            min_z: 5.0,
            z_floor: 3.0,
            quantile: 0.99,
            quantile_factor: 3.0,
            peer_factor: 3.0,
            min_peer_samples: 100,
            min_searches: 5,
            search_factor: 3.0,
            search_z_floor: 1.0,
            search_params: ["family", "given", "name", "phonetic"]
                .map(String::from)
                .to_vec(),
            correlate_secs: 14_400,
        }
    }
}
