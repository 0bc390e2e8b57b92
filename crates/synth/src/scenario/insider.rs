//! Insider snooping: one nurse looks people up by name and reads hundreds of
//! patients' charts outside her care pattern through the EHR's FHIR API,
//! every day, in the middle of her shift.

use crate::baseline::{act, chart, fhir, Cast, MIN, SEC};
use crate::model::{Activity, Org, StepInfo};
use crate::scenario::{AttackActors, Plan, Window};
use crate::{GenConfig, Rng};

/// The steps.
pub(crate) const STEPS: &[StepInfo] = &[
    StepInfo {
        id: "is-01-search",
        name: "Searches for patients by name outside the user's care",
        tactic: "TA0009",
        techniques: &["T1213"],
    },
    StepInfo {
        id: "is-02-browse",
        name: "Reads of hundreds of charts outside the user's care pattern",
        tactic: "TA0009",
        techniques: &["T1213"],
    },
];

const FAMILY: &[&str] = &[
    "Alvaro", "Brandena", "Corketti", "Dalmont", "Esridge", "Falsella", "Gortano", "Halwick",
];

/// The attacker in the breach scope.
const ACTOR_CHOICE: &str = "the snooping nurse's account and her workstation's address; so \
her ordinary chart reads between the first and the last snooping count too (record-level \
reads of the patients she opened), as an investigator scoping by account would count them";

pub(crate) struct Insider {
    seed: u64,
    range: (i64, i64),
    days: i64,
    /// The nurse (index into `Org::people`).
    nurse: usize,
    /// Minutes after midnight the snooping starts (mid-shift).
    at: i64,
}

impl Insider {
    pub(crate) fn new(cfg: &GenConfig, org: &Org, cast: &Cast, range: (i64, i64)) -> Insider {
        let mut r = Rng::new(cfg.seed).fork("insider");
        let pool = if cast.nurses.is_empty() {
            &cast.clinical
        } else {
            &cast.nurses
        };
        let nurse = r.pick(pool).copied().unwrap_or(0);
        let login = org
            .people
            .get(nurse)
            .and_then(|p| crate::baseline::login_minute(cfg.seed, nurse, p.role))
            .unwrap_or(7 * 60) as i64;
        // Mid-shift, kept within the day so that one day holds all of it.
        let at = (login + 5 * 60).rem_euclid(1440).min(1440 - 150);
        Insider {
            seed: cfg.seed,
            range,
            days: i64::from(cfg.days.max(1)),
            nurse,
            at,
        }
    }

    fn search(&self, day: i64) -> Window {
        Window::at(self.range, day, self.at, 20)
    }

    fn browse(&self, day: i64) -> Window {
        Window::at(self.range, day, self.at + 20, 120)
    }
}

impl Plan for Insider {
    fn actors(&self, org: &Org) -> Option<AttackActors> {
        let nurse = org.people.get(self.nurse)?;
        Some(AttackActors {
            users: vec![nurse.username.clone()],
            ips: vec![org.hosts.get(nurse.host)?.ip],
            choice: ACTOR_CHOICE,
        })
    }

    fn emit(&self, org: &Org, cast: &Cast, m: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let day = (m - self.range.0).div_euclid(24 * 60 * MIN);
        if day < 0 || day >= self.days {
            return;
        }
        let nurse = &org.people[self.nurse];
        let ws = org.hosts[nurse.host].ip;
        let w = self.search(day);
        if w.has(m) && (m == w.start || r.chance(0.6)) {
            let family = r.pick(FAMILY).copied().unwrap_or("Alvaro");
            let n = r.range(1, 6);
            let patients: Vec<String> = (0..n)
                .map(|_| crate::org::patient_id(r.below(cast.np as u64) as usize))
                .collect();
            out.push(act(
                m + r.below(50 * SEC as u64) as i64,
                Some(0),
                fhir(
                    &nurse.username,
                    false,
                    ws,
                    "search-type",
                    "Patient",
                    patients,
                    format!("/fhir/Patient?family={family}&_count=20"),
                    200,
                    r.range(3_000, 30_000),
                    "EHRWeb/4.2 (Windows NT 10.0; Win64; x64)",
                ),
            ));
        }
        let w = self.browse(day);
        if w.has(m) {
            let n = if m == w.start { 3 } else { r.range(1, 5) };
            for j in 0..n {
                let pt = r.below(cast.np as u64) as usize;
                let t = m + j as i64 * 12 * SEC + r.below(5 * SEC as u64) as i64;
                let k = 1 + r.below(2) as usize;
                chart(
                    self.seed,
                    org,
                    self.nurse,
                    &[pt, pt][..k],
                    t,
                    Some(1),
                    r,
                    out,
                );
            }
        }
    }
}
