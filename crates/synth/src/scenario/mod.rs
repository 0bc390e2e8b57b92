//! Attack scenarios: each lists its labeled steps (with ATT&CK tactics and
//! techniques) and injects labeled activities at scheduled times inside
//! the generated range.
//!
//! A scenario is a [`Plan`]: asked for one minute at a time, it emits the
//! activities of that minute from its fixed schedule, so it holds no state
//! that grows as slices are generated.

mod benign;
mod insider;
mod slow_drip;
mod vendor;

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::baseline::{Cast, DAY, MIN};
use crate::model::{Activity, Org, StepInfo};
use crate::{GenConfig, Rng, Scenario};

/// The attacker as a breach scope names them: the accounts (under every
/// name they appear with in the logs) and the addresses a scenario's
/// attacker acts as, and why these were chosen. Scenarios declare them;
/// the ground truth of the scope is computed from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttackActors {
    /// Account names (`user:` on the command line): database roles, FHIR
    /// agents, AWS principals, identity-provider logins. Compared
    /// case-insensitively.
    pub users: Vec<String>,
    /// Addresses (`ip:` on the command line), compared exactly.
    pub ips: Vec<Ipv4Addr>,
    /// Which accounts and addresses were chosen, and which were not.
    pub choice: &'static str,
}

impl AttackActors {
    /// The actors in the command line's form: `user:NAME`, then `ip:ADDRESS`.
    pub fn cli(&self) -> Vec<String> {
        let users = self.users.iter().map(|u| format!("user:{u}"));
        users
            .chain(self.ips.iter().map(|ip| format!("ip:{ip}")))
            .collect()
    }
}

/// A scenario's schedule.
pub(crate) trait Plan {
    /// Emits the scenario's activities of the minute starting at `m`
    /// (nanoseconds), all within that minute.
    fn emit(&self, org: &Org, cast: &Cast, m: i64, r: &mut Rng, out: &mut Vec<Activity>);

    /// A window of service disruption, when ordinary EHR traffic mostly fails
    /// (the baseline then holds back its chart reads).
    fn outage(&self) -> Option<(i64, i64)> {
        None
    }

    /// Entries in the plan's tables (constant).
    fn state_size(&self) -> usize {
        0
    }

    /// The attacker's accounts and addresses (`None`: no attack).
    fn actors(&self, _org: &Org) -> Option<AttackActors> {
        None
    }
}

/// The labeled steps of a scenario (empty for the decoy-only baseline).
pub fn steps(s: Scenario) -> &'static [StepInfo] {
    match s {
        Scenario::VendorCompromise => vendor::STEPS,
        Scenario::SlowDrip => slow_drip::STEPS,
        Scenario::InsiderSnooping => insider::STEPS,
        Scenario::BenignDecoys => benign::STEPS,
    }
}

/// The plan of `cfg.scenario` over `range` (nanoseconds).
pub(crate) fn plan(cfg: &GenConfig, org: &Org, cast: &Cast, range: (i64, i64)) -> Box<dyn Plan> {
    match cfg.scenario {
        Scenario::VendorCompromise => Box::new(vendor::Vendor::new(cfg, org, cast, range)),
        Scenario::SlowDrip => Box::new(slow_drip::SlowDrip::new(cfg, org, cast, range)),
        Scenario::InsiderSnooping => Box::new(insider::Insider::new(cfg, org, cast, range)),
        Scenario::BenignDecoys => Box::new(benign::Benign),
    }
}

/// A step's window: minutes [`start`, `end`) in nanoseconds, minute-aligned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// First minute.
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
}

impl Window {
    /// The window from `day` + `from` minutes for `len` minutes, clipped to
    /// `range` (and at least one minute long, inside the range).
    pub fn at(range: (i64, i64), day: i64, from_min: i64, len_min: i64) -> Window {
        let start = (range.0 + day * DAY + from_min * MIN).clamp(range.0, range.1 - MIN);
        let end = (start + len_min.max(1) * MIN).min(range.1);
        Window { start, end }
    }

    /// Whether minute `m` is in the window.
    pub fn has(&self, m: i64) -> bool {
        m >= self.start && m < self.end
    }

    /// The minute's index within the window.
    pub fn index(&self, m: i64) -> i64 {
        (m - self.start) / MIN
    }

    /// Minutes in the window.
    pub fn len(&self) -> i64 {
        (self.end - self.start) / MIN
    }

    /// Whether `m` is the window's last minute.
    pub fn is_last(&self, m: i64) -> bool {
        m + MIN >= self.end
    }
}

/// A random lowercase/digit label of `n` characters (DNS-safe).
pub(crate) fn label(r: &mut Rng, n: usize) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..n)
        .map(|_| char::from(A[r.below(A.len() as u64) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{World, SEC};
    use crate::org;
    use phiwatch_event::Timestamp;

    fn run(s: Scenario, days: u32) -> (GenConfig, Vec<Activity>) {
        let cfg = GenConfig {
            scenario: s,
            days,
            seed: 11,
            ..GenConfig::default()
        };
        let org = org::build(&cfg);
        let mut w = World::new(&cfg, &org);
        let s0 = cfg.start_secs * SEC;
        let e = s0 + i64::from(days) * DAY;
        let mut v = Vec::new();
        let mut t = s0;
        while t < e {
            let a = w.slice(
                &org,
                Timestamp::from_nanos(t),
                Timestamp::from_nanos(t + 10 * MIN),
            );
            v.extend(a.into_iter().filter(|a| a.step.is_some()));
            t += 10 * MIN;
        }
        (cfg, v)
    }

    #[test]
    fn every_step_present_and_in_range() {
        for &s in Scenario::ALL {
            for days in [1, 2, 3] {
                let (cfg, v) = run(s, days);
                let s0 = cfg.start_secs * SEC;
                let e = s0 + i64::from(days) * DAY;
                let steps = steps(s);
                let mut counts = vec![0usize; steps.len()];
                for a in &v {
                    let t = a.time.as_nanos();
                    assert!(t >= s0 && t < e, "{s:?} {days}: {t}");
                    let i = a.step.unwrap_or(usize::MAX);
                    assert!(i < steps.len(), "{s:?}: step {i}");
                    counts[i] += 1;
                }
                for (i, c) in counts.iter().enumerate() {
                    assert!(*c >= 1, "{s:?} days={days}: step {} empty", steps[i].id);
                }
                if s == Scenario::BenignDecoys {
                    assert!(v.is_empty());
                }
            }
        }
    }

    #[test]
    fn steps_are_well_formed() {
        for &s in Scenario::ALL {
            let mut ids = std::collections::HashSet::new();
            for st in steps(s) {
                assert!(ids.insert(st.id));
                assert!(
                    st.tactic.starts_with("TA00") && st.tactic.len() == 6,
                    "{}",
                    st.tactic
                );
                assert!(!st.techniques.is_empty());
                for t in st.techniques {
                    assert!(t.starts_with('T') && (t.len() == 5 || t.len() == 9), "{t}");
                }
            }
        }
        assert!(steps(Scenario::BenignDecoys).is_empty());
    }
}
