//! The ordinary rhythm of the hospital, its alarming-but-benign decoys, and
//! the time-slice generator [`World`] that weaves a scenario into them.
//!
//! Every activity belongs to one minute and is drawn from a generator
//! seeded by (seed, minute) alone, so a slice's output does not depend on
//! how the range is cut into slices, and nothing accumulates between
//! slices: the state of a [`World`] is fixed when it is built.
//!
//! This module holds the time constants, the [`World`] and its per-minute
//! loop; [`kinds`] builds single activities, [`work`] the ordinary work of
//! each role, [`decoys`] the benign activity that looks alarming.

mod decoys;
mod kinds;
#[cfg(test)]
mod tests;
mod work;

use std::net::Ipv4Addr;

use phiwatch_event::Timestamp;

use crate::model::{Activity, DbWhat, Kind, Org, Role, StepInfo};
use crate::org;
use crate::scenario::{self, Plan};
use crate::{GenConfig, Rng, Scenario};

pub(crate) use kinds::{audit, db, dns_a, eport, fhir, okta, tcp, tls};
pub(crate) use work::{chart, login_minute, panel_patient};

/// Nanoseconds in a second.
pub(crate) const SEC: i64 = 1_000_000_000;
/// Nanoseconds in a minute.
pub(crate) const MIN: i64 = 60 * SEC;
/// Nanoseconds in an hour.
pub(crate) const HOUR: i64 = 60 * MIN;
/// Nanoseconds in a day.
pub(crate) const DAY: i64 = 24 * HOUR;

/// The hospital's public egress address as identity providers see it.
pub(crate) const EGRESS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 250);
/// The hospital's autonomous system.
pub(crate) const HOME_ASN: (u32, &str) = (64_500, "EXAMPLEHEALTH-NET");
/// Where the hospital is.
pub(crate) const HOME_GEO: (&str, &str) = ("US", "Boston");

/// Records an activity produces across all logs (a TLS connection gives a
/// conn and an ssl record, a FHIR access an AuditEvent and an nginx line, a
/// database session start two lines, a failed database login two: the
/// connection received, then the FATAL with its DETAIL).
pub fn records(a: &Activity) -> u64 {
    match &a.kind {
        Kind::Conn(c) => 1 + u64::from(c.server_name.is_some()) + u64::from(c.http.is_some()),
        Kind::Dns(_) | Kind::Okta(_) | Kind::Aws(_) => 1,
        Kind::Db(d) => match d.what {
            DbWhat::Connect | DbWhat::AuthFailed => 2,
            DbWhat::Audit { .. } | DbWhat::Disconnect => 1,
        },
        Kind::Fhir(_) => 2,
    }
}

/// A generator for one purpose at one index (a minute, a person-day…),
/// independent of every other draw.
pub(crate) fn rng_at(seed: u64, label: &str, k: i64) -> Rng {
    let mut r = Rng::new(seed).fork(label);
    let x = r.next_u64() ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut r = Rng::new(x);
    r.next_u64();
    r
}

/// An activity at `t` nanoseconds.
pub(crate) fn act(t: i64, step: Option<usize>, kind: Kind) -> Activity {
    Activity {
        time: Timestamp::from_nanos(t),
        step,
        kind,
    }
}

/// Day of the week of a time in nanoseconds, Monday = 0.
pub(crate) fn weekday(t: i64) -> i64 {
    (t.div_euclid(DAY) + 3).rem_euclid(7)
}

/// Hour-of-day activity (before normalization), piecewise linear.
fn hour_weight(h: f64) -> f64 {
    const PTS: &[(f64, f64)] = &[
        (0.0, 0.18),
        (5.0, 0.15),
        (6.5, 0.5),
        (8.0, 1.5),
        (11.5, 1.6),
        (12.0, 1.0),
        (13.0, 1.0),
        (13.5, 1.5),
        (16.5, 1.5),
        (18.0, 0.8),
        (20.0, 0.45),
        (22.0, 0.25),
        (24.0, 0.18),
    ];
    for w in PTS.windows(2) {
        let (a, b) = (w[0], w[1]);
        if h >= a.0 && h <= b.0 {
            return a.1 + (b.1 - a.1) * (h - a.0) / (b.0 - a.0);
        }
    }
    0.18
}

/// The people of each role (indices into `Org::people`) and other derived
/// facts, fixed when the world is built.
#[derive(Debug, Clone)]
pub(crate) struct Cast {
    /// Clinicians and nurses (they read charts).
    pub clinical: Vec<usize>,
    /// Nurses.
    pub nurses: Vec<usize>,
    /// Emergency physicians.
    pub ed: Vec<usize>,
    /// Billing staff.
    pub billing: Vec<usize>,
    /// IT administrators.
    pub it: Vec<usize>,
    /// Every account with an identity-provider login (not services).
    pub sprayed: Vec<usize>,
    /// svc_ehr, svc_backup, svc_bi.
    pub svc: [usize; 3],
    /// Patients.
    pub np: usize,
    /// Workstations.
    pub nws: usize,
}

impl Cast {
    fn new(org: &Org) -> Cast {
        let of = |role: Role| -> Vec<usize> {
            org.people
                .iter()
                .enumerate()
                .filter(|(_, p)| p.role == role)
                .map(|(i, _)| i)
                .collect()
        };
        let find = |name: &str| {
            org.people
                .iter()
                .position(|p| p.username == name)
                .unwrap_or(0)
        };
        let mut clinical = of(Role::Clinician);
        clinical.extend(of(Role::Nurse));
        clinical.sort_unstable();
        Cast {
            clinical,
            nurses: of(Role::Nurse),
            ed: of(Role::EmergencyPhysician),
            billing: of(Role::Billing),
            it: of(Role::ItAdmin),
            sprayed: org
                .people
                .iter()
                .enumerate()
                .filter(|(_, p)| p.role != Role::Service)
                .map(|(i, _)| i)
                .collect(),
            svc: [find("svc_ehr"), find("svc_backup"), find("svc_bi")],
            np: org.patients.len().max(1),
            nws: org
                .hosts
                .len()
                .saturating_sub(org::FIRST_WORKSTATION)
                .max(1),
        }
    }
}

/// Action kinds of the ordinary workload: (weight, expected records).
const MIX: &[(f64, f64)] = &[
    (0.40, 8.0), // chart: TLS to the EHR API + 1–3 FHIR + as many DB reads
    (0.35, 3.0), // web: DNS + TLS to a site
    (0.10, 1.0), // file share
    (0.08, 5.0), // billing DB session
    (0.03, 1.0), // admin ssh
    (0.02, 4.0), // reporting role S3 + TLS
    (0.02, 1.0), // internal DNS lookup
];

/// Connection pool slots of the EHR application.
const POOL: u32 = 8;

/// The time-slice generator: the baseline, the decoys and the scenario's
/// labeled steps.
pub struct World {
    seed: u64,
    scenario: Scenario,
    range: (i64, i64),
    units_per_minute: f64,
    norm: f64,
    cast: Cast,
    /// People logging in at each minute of the day (shift starts).
    logins: Vec<Vec<u32>>,
    plan: Box<dyn Plan>,
    /// Slices generated (a counter, the only thing that changes).
    slices: u64,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("scenario", &self.scenario)
            .field("range", &self.range)
            .field("slices", &self.slices)
            .finish_non_exhaustive()
    }
}

impl World {
    /// Builds the schedule for `cfg` over `org`.
    pub fn new(cfg: &GenConfig, org: &Org) -> World {
        let cast = Cast::new(org);
        let start = cfg.start_secs.saturating_mul(SEC);
        let range = (start, start + i64::from(cfg.days.max(1)) * DAY);
        let norm = (0..1440)
            .map(|m| hour_weight(f64::from(m) / 60.0))
            .sum::<f64>()
            / 1440.0;
        let per_unit: f64 = MIX.iter().map(|(w, r)| w * r).sum();
        let units_per_minute = cfg.scale.records_per_day() as f64 * 0.90 / 1440.0 / per_unit;
        let mut logins = vec![Vec::new(); 1440];
        for (i, p) in org.people.iter().enumerate() {
            if let Some(m) = login_minute(cfg.seed, i, p.role) {
                logins[m].push(i as u32);
            }
        }
        let plan = scenario::plan(cfg, org, &cast, range);
        World {
            seed: cfg.seed,
            scenario: cfg.scenario,
            range,
            units_per_minute,
            norm,
            cast,
            logins,
            plan,
            slices: 0,
        }
    }

    /// The scenario's labeled steps.
    pub fn steps(&self) -> &'static [StepInfo] {
        scenario::steps(self.scenario)
    }

    /// The attacker's accounts and addresses, as the scenario declares them
    /// (`None` when the scenario has no attack).
    pub fn actors(&self, org: &Org) -> Option<scenario::AttackActors> {
        self.plan.actors(org)
    }

    /// The size of the world's state (entries in its tables), for checking
    /// that it does not grow with the number of slices.
    pub fn state_size(&self) -> usize {
        self.logins.iter().map(Vec::len).sum::<usize>()
            + self.logins.len()
            + self.cast.clinical.len()
            + self.plan.state_size()
    }

    /// Every activity in [`start`, `end`) (in no particular order).
    pub fn slice(&mut self, org: &Org, start: Timestamp, end: Timestamp) -> Vec<Activity> {
        self.slices += 1;
        let s = start.as_nanos().max(self.range.0);
        let e = end.as_nanos().min(self.range.1);
        let mut out = Vec::new();
        if s >= e {
            return out;
        }
        let mut m = s.div_euclid(MIN) * MIN;
        while m < e {
            self.minute(org, m, &mut out);
            m += MIN;
        }
        out.retain(|a| {
            let t = a.time.as_nanos();
            t >= s && t < e
        });
        out
    }

    /// Rhythm at `t`: 1 on average over a weekday.
    fn rhythm(&self, t: i64) -> f64 {
        let h = t.rem_euclid(DAY) as f64 / HOUR as f64;
        let w = hour_weight(h) / self.norm;
        if weekday(t) >= 5 {
            w * 0.3
        } else {
            w
        }
    }

    fn decoy_factor(&self) -> f64 {
        if self.scenario == Scenario::BenignDecoys {
            3.0
        } else {
            1.0
        }
    }

    /// Everything of the minute starting at `m` (all within the minute).
    fn minute(&self, org: &Org, m: i64, out: &mut Vec<Activity>) {
        let first = out.len();
        let mut r = rng_at(self.seed, "minute", m / MIN);
        let x = self.units_per_minute * self.rhythm(m) * (0.9 + 0.2 * r.unit());
        let mut n = x.floor() as u64;
        if r.chance(x - x.floor()) {
            n += 1;
        }
        let outage = self.plan.outage();
        let in_outage = outage.is_some_and(|(a, b)| m >= a && m < b);
        for _ in 0..n {
            let t = m + r.below(MIN as u64 - 5 * SEC as u64) as i64;
            let kind = mix_kind(r.unit());
            self.ordinary(org, kind, t, in_outage, &mut r, out);
        }
        self.pool(org, m, out);
        self.logins(org, m, out);
        self.decoys(org, m, in_outage, out);
        let mut sr = rng_at(self.seed, "scenario", m / MIN);
        self.plan.emit(org, &self.cast, m, &mut sr, out);
        keep_in_minute(&mut out[first..], m);
    }
}

/// The kind of ordinary action (an index into [`MIX`]) a uniform draw `u`
/// in [0, 1) falls on.
fn mix_kind(mut u: f64) -> usize {
    for (i, (w, _)) in MIX.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    MIX.len() - 1
}

/// Moves every activity into the minute starting at `m`.
fn keep_in_minute(acts: &mut [Activity], m: i64) {
    for a in acts {
        let t = a.time.as_nanos();
        if t >= m + MIN {
            a.time = Timestamp::from_nanos(m + MIN - 1);
        } else if t < m {
            a.time = Timestamp::from_nanos(m);
        }
    }
}
