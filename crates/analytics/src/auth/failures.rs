//! Failed logins: the spray window of their source, the distributed-spray
//! window of their target, the brute-force window of their user.

use phiwatch_finding::Level;

use super::attempt::{hash, Attempt};
use super::hit::{build, mins, secs, Parts, T_BRUTE, T_SPRAY};
use super::state::{Rule, Slot, Source, TSlot, Target, User};
use super::{ns, Auth};
use crate::net::in_any;
use crate::AnalyticHit;

impl Auth {
    /// Whether the attempt comes from an allowlisted source.
    pub(super) fn allowed_source(&self, a: &Attempt) -> bool {
        a.ip.is_some_and(|ip| in_any(&self.config.allow_sources, ip))
    }

    /// Whether the attempt comes from inside the organization.
    pub(super) fn is_internal(&self, a: &Attempt) -> bool {
        a.ip.is_some_and(|ip| self.ctx.is_internal(ip))
    }

    /// A failed login: the source's spray window, the target's distributed
    /// window, the user's brute-force window (failures of a source reported
    /// as spraying count only in the first).
    pub(super) fn failure(&mut self, a: &Attempt, out: &mut Vec<AnalyticHit>) {
        self.counters.failures += 1;
        if self.allowed_source(a) {
            self.counters.allowed += 1;
            return;
        }
        let user = hash(a.key.as_deref().unwrap_or("-"));
        let ip_text = a.ip.map(|ip| ip.to_canonical().to_string());
        let ip = hash(ip_text.as_deref().unwrap_or("-"));
        let group = a.group(&self.config);
        let group_hash = hash(group.as_deref().unwrap_or("-"));
        let mut spraying = false;
        if let Some(g) = &group {
            spraying = self.source_failure(a, g, user, ip, out);
        }
        if a.key.is_some() && !spraying {
            self.target_failure(a, user, group_hash, out);
        }
        if let Some(key) = &a.key {
            let from = (ip, group_hash, ip_text);
            self.user_failure(a, key, from, spraying, out);
        }
    }

    /// Returns whether the source is in a reported spray.
    fn source_failure(
        &mut self,
        a: &Attempt,
        g: &str,
        user: u64,
        ip: u64,
        out: &mut Vec<AnalyticHit>,
    ) -> bool {
        let c = &self.config;
        let t = a.ev.t;
        let window = ns(c.spray_window_secs);
        let sup = ns(c.suppress_secs).unsigned_abs();
        let src = self.sources.entry_by(g, || g.into(), Source::default);
        let slot = Slot {
            t,
            user,
            ip,
            ok: false,
        };
        if !src.push(slot, window, c.max_window_events) {
            self.counters.late += 1;
            return src.gate.open_since(t, sup);
        }
        src.trail.push(a.ev, t.saturating_sub(window));
        if let Some(ip) = a.ip {
            src.last_ip = ip.to_canonical().to_string();
        }
        if src.gate.absorb(t, sup) {
            return true;
        }
        let failed = src.failed_users();
        let ok = src.ok_users();
        let ratio = ok as f64 / failed.max(1) as f64;
        if failed < c.spray_min_users || ratio > c.spray_max_success_ratio {
            return false;
        }
        let Some(suppressed) = src.gate.pass(t, sup) else {
            return true;
        };
        let first = src.trail.first().unwrap_or(t);
        let hit = build(Parts {
            analytic: "password-spray",
            level: Level::High,
            title: format!(
                "Password spray from {g}: {failed} users failed in {} min ({ok} logged in)",
                mins(t.saturating_sub(first))
            ),
            time: first,
            end: t,
            user: None,
            ip: Some(src.last_ip.clone()),
            host: None,
            tags: T_SPRAY,
            metrics: vec![
                ("failed_users", failed as f64),
                ("failures", src.failures() as f64),
                ("ok_users", ok as f64),
                ("success_ratio", ratio),
                ("addresses", src.addresses() as f64),
                ("span_s", secs(t.saturating_sub(first))),
                ("suppressed", suppressed as f64),
                ("spray_window_s", c.spray_window_secs as f64),
                ("spray_min_users", c.spray_min_users as f64),
                ("spray_max_success_ratio", c.spray_max_success_ratio),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group: vec![
                ("kind", "source".into()),
                ("source", g.to_string()),
                ("target", a.target.clone()),
            ],
            evidence: src.trail.evidence(a.ev),
        });
        self.counters.hits += 1;
        out.push(hit);
        true
    }

    fn target_failure(&mut self, a: &Attempt, user: u64, src: u64, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = a.ev.t;
        let window = ns(c.distributed_window_secs);
        let sup = ns(c.suppress_secs).unsigned_abs();
        let target = a.target.as_str();
        let tg = self
            .targets
            .entry_by(target, || target.into(), Target::default);
        if !tg.push(TSlot { t, user, src }, window, c.max_target_events) {
            self.counters.late += 1;
            return;
        }
        tg.trail.push(a.ev, t.saturating_sub(window));
        if tg.gate.absorb(t, sup) {
            return;
        }
        let (users, recovered, sources, failures) = tg.counts();
        let per_user = failures as f64 / users.max(1) as f64;
        let share = recovered as f64 / users.max(1) as f64;
        if users < c.distributed_min_users
            || sources < c.distributed_min_sources
            || per_user > c.distributed_max_per_user
            || share > c.distributed_max_recovered
        {
            return;
        }
        let Some(suppressed) = tg.gate.pass(t, sup) else {
            return;
        };
        let first = tg.trail.first().unwrap_or(t);
        let hit = build(Parts {
            analytic: "password-spray",
            level: Level::High,
            title: format!(
                "Distributed password spray against {}: {users} users failed from {sources} sources in {} min",
                a.target,
                mins(t.saturating_sub(first))
            ),
            time: first,
            end: t,
            user: None,
            ip: None,
            host: a.host.clone(),
            tags: T_SPRAY,
            metrics: vec![
                ("failed_users", users as f64),
                ("recovered_users", recovered as f64),
                ("sources", sources as f64),
                ("failures", failures as f64),
                ("failures_per_user", per_user),
                ("recovered_share", share),
                ("span_s", secs(t.saturating_sub(first))),
                ("suppressed", suppressed as f64),
                ("distributed_window_s", c.distributed_window_secs as f64),
                ("distributed_min_users", c.distributed_min_users as f64),
                ("distributed_min_sources", c.distributed_min_sources as f64),
                ("distributed_max_per_user", c.distributed_max_per_user),
                ("distributed_max_recovered", c.distributed_max_recovered),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group: vec![("kind", "distributed".into()), ("target", a.target.clone())],
            evidence: tg.trail.evidence(a.ev),
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn user_failure(
        &mut self,
        a: &Attempt,
        key: &str,
        (ip, group, ip_text): (u64, u64, Option<String>),
        spraying: bool,
        out: &mut Vec<AnalyticHit>,
    ) {
        let c = &self.config;
        let t = a.ev.t;
        let window = ns(c.brute_window_secs);
        let sup = ns(c.suppress_secs).unsigned_abs();
        let allowed = self.allow_users.contains(key);
        let u = self.users.entry_by(key, || key.into(), User::default);
        u.last_seen = u.last_seen.max(t);
        u.failed_from(t, ip, group);
        // A reported spray explains its failures: they are not brute force
        // too (a spray that succeeds is reported as such).
        if spraying {
            return;
        }
        if !u.fail(t, ip, window, c.max_window_events) {
            self.counters.late += 1;
            return;
        }
        u.trail().push(a.ev, t.saturating_sub(window));
        if u.absorb(Rule::Brute, t, sup) {
            return;
        }
        let (failures, addresses) = u.failures();
        if failures < c.brute_min_failures {
            return;
        }
        if allowed {
            self.counters.allowed += 1;
            return;
        }
        let Some(suppressed) = u.gate(Rule::Brute).pass(t, sup) else {
            return;
        };
        let first = u.trail_first().unwrap_or(t);
        let name = a.user.clone().unwrap_or_else(|| key.to_string());
        let hit = build(Parts {
            analytic: "brute-force",
            level: Level::Medium,
            title: format!(
                "Brute force against {name}: {failures} failures from {addresses} addresses in {} min",
                mins(t.saturating_sub(first))
            ),
            time: first,
            end: t,
            user: Some(name.clone()),
            ip: ip_text,
            host: a.host.clone(),
            tags: T_BRUTE,
            metrics: vec![
                ("failures", failures as f64),
                ("addresses", addresses as f64),
                ("span_s", secs(t.saturating_sub(first))),
                ("suppressed", suppressed as f64),
                ("brute_window_s", c.brute_window_secs as f64),
                ("brute_min_failures", c.brute_min_failures as f64),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group: vec![("user", name), ("target", a.target.clone())],
            evidence: u.trail_evidence(a.ev),
        });
        self.counters.hits += 1;
        out.push(hit);
    }
}
