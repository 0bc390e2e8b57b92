//! Slow-drip exfiltration: a compromised workstation pulls small batches of
//! patient rows a few times a day, beacons to a rare destination every ~10
//! minutes with jitter, and uploads a few megabytes every ~30 minutes, so
//! that no single transfer stands out but the total does.

use std::net::Ipv4Addr;

use crate::baseline::{act, audit, db, dns_a, eport, tls, Cast, HOUR, MIN, SEC};
use crate::model::{Activity, DbWhat, Org, StepInfo};
use crate::scenario::{AttackActors, Plan};
use crate::{GenConfig, Rng};

/// The steps.
pub(crate) const STEPS: &[StepInfo] = &[
    StepInfo {
        id: "sd-01-collect",
        name: "Small periodic pulls of patient rows from the EHR database",
        tactic: "TA0009",
        techniques: &["T1213", "T1005"],
    },
    StepInfo {
        id: "sd-02-beacon",
        name: "Beaconing over HTTPS to a rare destination",
        tactic: "TA0011",
        techniques: &["T1071.001"],
    },
    StepInfo {
        id: "sd-03-exfil",
        name: "Scheduled small uploads to the same destination",
        tactic: "TA0010",
        techniques: &["T1029", "T1030", "T1041"],
    },
];

const DEST_IP: Ipv4Addr = Ipv4Addr::new(100, 64, 77, 12);
const DEST: &str = "sync.metrics-collector.test";

/// The attacker in the breach scope.
const ACTOR_CHOICE: &str = "the compromised workstation's user under both names it appears \
with (identity-provider login, database role, whose credentials the pulls use) and the \
workstation's address; so the user's own claim lookups in the window count too, as an \
investigator could not tell them apart";

/// Beacon period and jitter (seconds).
const BEACON: (i64, i64) = (600, 60);
/// Upload period and jitter (seconds).
const UPLOAD: (i64, i64) = (1_800, 300);

pub(crate) struct SlowDrip {
    seed: u64,
    /// First and end of the campaign (nanoseconds).
    span: (i64, i64),
    /// The compromised workstation's user (index into `Org::people`).
    victim: usize,
}

impl SlowDrip {
    pub(crate) fn new(cfg: &GenConfig, _org: &Org, cast: &Cast, range: (i64, i64)) -> SlowDrip {
        let mut r = Rng::new(cfg.seed).fork("slow-drip");
        let pool = if cast.billing.is_empty() {
            &cast.clinical
        } else {
            &cast.billing
        };
        let victim = r.pick(pool).copied().unwrap_or(0);
        // From 09:00 on the first day to the end.
        let start = (range.0 + 9 * HOUR).min(range.1 - HOUR);
        SlowDrip {
            seed: cfg.seed,
            span: (start, range.1),
            victim,
        }
    }

    /// The time of the `k`th event of a periodic schedule with jitter.
    fn nth(&self, label: &str, k: i64, (period, jitter): (i64, i64)) -> i64 {
        let mut r = crate::baseline::rng_at(self.seed, label, k);
        let j = if k == 0 {
            0
        } else {
            r.below(2 * jitter as u64) as i64 - jitter
        };
        self.span.0 + 30 * SEC + k * period * SEC + j * SEC
    }

    /// The events of a periodic schedule falling in the minute `m`.
    fn due(&self, label: &str, m: i64, sched: (i64, i64)) -> Vec<(i64, i64)> {
        let period = sched.0 * SEC;
        let k0 = ((m - self.span.0) / period - 1).max(0);
        (k0..k0 + 3)
            .map(|k| (k, self.nth(label, k, sched)))
            .filter(|&(_, t)| t >= m && t < m + MIN && t < self.span.1)
            .collect()
    }
}

impl Plan for SlowDrip {
    fn actors(&self, org: &Org) -> Option<AttackActors> {
        let person = org.people.get(self.victim)?;
        let ws = org.hosts.get(person.host)?.ip;
        // The same role name the pulls use.
        let role = person.db_user.as_deref().unwrap_or("billing_ro");
        Some(AttackActors {
            users: vec![person.username.clone(), role.to_string()],
            ips: vec![ws],
            choice: ACTOR_CHOICE,
        })
    }

    fn emit(&self, org: &Org, _cast: &Cast, m: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        if m < self.span.0 || m >= self.span.1 {
            return;
        }
        let person = &org.people[self.victim];
        let ws = org.hosts[person.host].ip;

        // Collection every 6 hours, at a jittered minute.
        let rel = m - self.span.0;
        let mut jr = crate::baseline::rng_at(self.seed, "sd-collect", rel / (6 * HOUR));
        let at = (rel / (6 * HOUR)) * 6 * HOUR + jr.below(20) as i64 * MIN;
        if rel == at {
            let user = person
                .db_user
                .clone()
                .unwrap_or_else(|| "billing_ro".into());
            let pid = 45_000 + r.below(5_000) as u32;
            let client = (ws, eport(r));
            let t = m + SEC;
            let batch = 150 + r.below(100);
            let offset = (rel / (6 * HOUR)) as u64 * batch;
            out.push(act(
                t,
                Some(0),
                db(pid, &user, "ehr", client, "psql", DbWhat::Connect),
            ));
            let stmt = format!(
                "SELECT id, name, dob, ssn, address, insurance_id FROM ehr.patients ORDER BY id LIMIT {batch} OFFSET {offset}"
            );
            out.push(act(
                t + 2 * SEC,
                Some(0),
                db(
                    pid,
                    &user,
                    "ehr",
                    client,
                    "psql",
                    audit("READ", "SELECT", "ehr.patients", stmt, batch),
                ),
            ));
            out.push(act(
                t + 4 * SEC,
                Some(0),
                db(pid, &user, "ehr", client, "psql", DbWhat::Disconnect),
            ));
        }

        for (k, t) in self.due("sd-beacon", m, BEACON) {
            if k % 6 == 0 {
                out.push(act(t, Some(1), dns_a(org, ws, DEST, DEST_IP)));
            }
            let (ob, rb) = (r.range(300, 900), r.range(200, 1_200));
            out.push(act(
                t + 20_000_000,
                Some(1),
                tls(r, ws, DEST_IP, DEST, 0.8, ob, rb),
            ));
        }
        for (_, t) in self.due("sd-upload", m, UPLOAD) {
            let ob = r.range(2_000_000, 6_000_000);
            let dur = 12.0 + r.unit() * 20.0;
            out.push(act(t, Some(2), tls(r, ws, DEST_IP, DEST, dur, ob, 3_000)));
        }
    }
}
