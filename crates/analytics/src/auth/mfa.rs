//! Second factors: MFA steps, logins waiting for one, and the `no-mfa`
//! judgement.

use phiwatch_finding::Level;

use super::attempt::{hash, Attempt};
use super::hit::{build, flag, secs, Parts, T_VALID, T_VENDOR};
use super::login::Ctx;
use super::state::{Pending, Rule, User};
use super::{ns, Auth};
use crate::AnalyticHit;

/// A login, as the rules after the login need it (and as it waits for its
/// MFA step).
fn pending_of(a: &Attempt, key: &str, deadline: i64) -> Pending {
    Pending {
        t: a.ev.t,
        deadline,
        user: a.user.clone().unwrap_or_else(|| key.to_string()),
        key: key.to_string(),
        ip: a.ip.map(|ip| ip.to_canonical().to_string()),
        dataset: a.dataset.clone(),
        ev: a.ev,
        root: a.root,
        trusted: false,
    }
}

/// Whether an MFA step and a login come from the same address (or either
/// has none logged).
fn same(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

impl Auth {
    /// An MFA step: it completes the user's logins waiting for one.
    pub(super) fn mfa_step(&mut self, a: &Attempt, out: &mut Vec<AnalyticHit>) {
        self.counters.mfa_steps += 1;
        let Some(key) = &a.key else {
            return;
        };
        let t = a.ev.t;
        let grace = ns(self.config.mfa_grace_secs).unsigned_abs();
        let ip = a.ip.map(|ip| ip.to_canonical().to_string());
        {
            let u = self
                .users
                .entry_by(key.as_str(), || key.as_str().into(), User::default);
            if u.last_mfa.is_none_or(|m| m.0 <= t) {
                u.last_mfa = Some((t, ip.as_deref().map_or(0, hash)));
            }
            u.last_seen = u.last_seen.max(t);
        }
        let mut done = Vec::new();
        self.pending.retain(|p| {
            let hit = p.key == *key && p.t.abs_diff(t) <= grace && same(&p.ip, &ip);
            if hit {
                done.push(p.clone());
            }
            !hit
        });
        for p in done {
            self.judge_mfa(&p, true, out);
        }
    }

    /// Logins whose MFA wait is over: judged without MFA.
    pub(super) fn resolve(&mut self, out: &mut Vec<AnalyticHit>) {
        let skew = ns(self.config.skew_secs);
        let latest = self.latest.unwrap_or(i64::MIN);
        while let Some(p) = self.pending.front() {
            let clock = self.clocks.get(&p.dataset).copied().unwrap_or(i64::MIN);
            let due = clock >= p.deadline || latest >= p.deadline.saturating_add(skew);
            if !due {
                break;
            }
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.counters.no_mfa_waits += 1;
            self.judge_mfa(&p, false, out);
        }
    }

    /// Records a login's MFA fact, reporting a login without MFA that the
    /// account's kind or habit makes suspicious.
    pub(super) fn judge_mfa(&mut self, p: &Pending, used: bool, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let sup = ns(c.suppress_secs).unsigned_abs();
        let vendor = self.vendor_of(&p.user).map(|v| v.name.clone());
        let privileged = p.root
            || self.privileged.contains(&p.key)
            || c.privileged_substrings
                .iter()
                .any(|s| !s.is_empty() && p.key.contains(&s.to_lowercase()));
        let allowed = self.allow_users.contains(&p.key) || self.no_mfa_allow.contains(&p.key);
        let now = self.latest.unwrap_or(p.t);
        let u = self
            .users
            .entry_by(p.key.as_str(), || p.key.as_str().into(), User::default);
        let (n, share) = u.mfa_habit();
        u.mfa(used);
        if used {
            return;
        }
        // Sign-on policies often skip the second factor on trusted
        // networks: only vendor and privileged accounts are held to it there.
        let usual = n >= c.mfa_min_logins && share >= c.mfa_usual_share && !p.trusted;
        if !(vendor.is_some() || privileged || usual) {
            return;
        }
        if allowed {
            self.counters.allowed += 1;
            return;
        }
        let Some(suppressed) = u.gate(Rule::NoMfa).pass(p.t, sup) else {
            self.counters.suppressed += 1;
            return;
        };
        let level = if vendor.is_some() || privileged {
            Level::High
        } else {
            Level::Medium
        };
        let why = match (&vendor, privileged) {
            (Some(v), _) => format!("vendor {v}"),
            (None, true) => "privileged account".to_string(),
            (None, false) => format!("usually MFA in {:.0}% of {n} logins", share * 100.0),
        };
        let from = p.ip.as_deref().unwrap_or("an unknown address");
        let mut group = vec![("user", p.user.clone()), ("dataset", p.dataset.clone())];
        if let Some(v) = &vendor {
            group.push(("vendor", v.clone()));
        }
        let hit = build(Parts {
            analytic: "no-mfa",
            level,
            title: format!("Login without MFA: {} from {from} ({why})", p.user),
            time: p.t,
            end: p.t,
            user: Some(p.user.clone()),
            ip: p.ip.clone(),
            host: None,
            tags: if vendor.is_some() { T_VENDOR } else { T_VALID },
            metrics: vec![
                ("mfa_logins", f64::from(n)),
                ("mfa_share", share),
                ("vendor", flag(vendor.is_some())),
                ("privileged", flag(privileged)),
                ("waited_s", secs(now.saturating_sub(p.t).max(0))),
                ("suppressed", suppressed as f64),
                ("mfa_min_logins", f64::from(c.mfa_min_logins)),
                ("mfa_usual_share", c.mfa_usual_share),
                ("mfa_grace_s", c.mfa_grace_secs as f64),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group,
            evidence: vec![p.ev.to_pair()],
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    /// The login's MFA fact: judged now when known, after an MFA step of
    /// the same user from the same address close before it, or after a
    /// wait in the datasets whose second factor is an event of its own.
    pub(super) fn login_mfa(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = x.a.ev.t;
        let grace = ns(c.mfa_grace_secs);
        let mut p = pending_of(x.a, x.key, t.saturating_add(grace));
        p.trusted = self.allowed_source(x.a) || self.is_internal(x.a);
        match x.a.mfa {
            Some(used) => self.judge_mfa(&p, used, out),
            None if c.mfa_datasets.contains(&x.a.dataset) => {
                let ip = x.ip.map_or(0, hash);
                let recent =
                    self.users
                        .get(x.key)
                        .and_then(|u| u.last_mfa)
                        .is_some_and(|(m, from)| {
                            m.abs_diff(t) <= grace.unsigned_abs()
                                && (from == 0 || ip == 0 || from == ip)
                        });
                if recent {
                    self.judge_mfa(&p, true, out);
                    return;
                }
                if self.pending.len() >= self.config.max_pending.max(1) {
                    self.pending.pop_front();
                    self.counters.pending_dropped += 1;
                }
                self.pending.push_back(p);
            }
            None => {}
        }
    }
}
