//! Judging one request against its agent's open hour: which signals fire,
//! at which level, and whether they are reported or held back.

use phiwatch_finding::Level;

use super::access::Access;
use super::agent::{
    hour_of_day, weekend, Agent, Bucket, ENUMERATION, EXPORT, HOUR_NS, NEW, OFF_HOURS, PATIENTS,
    SEARCHES, SNOOPING,
};
use super::hits::{self, level_code, ExportWhy, OffWhy, Who};
use super::{outside, secs_ns, Config, Counters};
use crate::AnalyticHit;

const DAY_NS: i64 = 24 * HOUR_NS;

/// Everything a request is judged with.
pub(crate) struct Judge<'a> {
    pub(crate) c: &'a Config,
    pub(crate) counters: &'a mut Counters,
    pub(crate) out: &'a mut Vec<AnalyticHit>,
    pub(crate) who: Who<'a>,
    pub(crate) a: &'a Access,
    /// The agent is allowlisted.
    pub(crate) allowed: bool,
    /// The agent is an allowlisted export client.
    pub(crate) allowed_export: bool,
    /// Its vendor's working hours, when it is a vendor's account.
    pub(crate) vendor_hours: Option<(u8, u8)>,
}

impl Judge<'_> {
    fn t(&self) -> i64 {
        self.a.t()
    }

    fn hours(&self) -> (u8, u8) {
        self.vendor_hours.unwrap_or(self.c.work_hours)
    }

    /// Counts a signal; whether (and with how many held back before it) it
    /// is reported.
    fn report(
        &mut self,
        agent: &mut Agent,
        kind: usize,
        level: Level,
        allowed: bool,
    ) -> Option<u64> {
        self.counters.signals += 1;
        if allowed {
            self.counters.allowed += 1;
            return None;
        }
        let code = level_code(level);
        let window = secs_ns(self.c.suppress_secs).unsigned_abs();
        let t = self.t();
        let sup = &mut agent.extra().sup[kind];
        if !sup.allow(t, code, window) {
            self.counters.suppressed += 1;
            return None;
        }
        self.counters.hits += 1;
        Some(sup.reported(t, code))
    }

    /// Every rule, for a request already counted in `b`.
    pub(crate) fn all(&mut self, agent: &mut Agent, b: &mut Bucket) {
        self.enumeration(agent, b);
        self.snooping(agent, b);
        self.off_hours(agent, b);
        self.export(agent);
    }

    fn enumeration(&mut self, agent: &mut Agent, b: &mut Bucket) {
        let count = b.counts[PATIENTS] as f64;
        if count < b.th[PATIENTS].value {
            return;
        }
        b.flagged[PATIENTS] = true;
        let level = if count >= self.c.enumeration.critical_patients as f64 {
            Level::Critical
        } else {
            Level::High
        };
        if level_code(level) <= b.signalled[PATIENTS] {
            return;
        }
        b.signalled[PATIENTS] = level_code(level);
        if let Some(held) = self.report(agent, ENUMERATION, level, self.allowed) {
            let hit = hits::enumeration(self.c, &self.who, b, self.a.ev, level, held);
            self.out.push(hit);
        }
    }

    fn snooping(&mut self, agent: &mut Agent, b: &mut Bucket) {
        if !agent.kind.is_person() {
            return;
        }
        let s = &self.c.snooping;
        let t = self.t();
        let corr = secs_ns(s.correlate_secs).unsigned_abs();
        let patients = b.counts[PATIENTS] as f64;
        let new = b.counts[NEW] as f64;
        let share_ok = patients > 0.0 && new / patients >= s.min_share;
        for (series, other, fires) in [
            (
                SEARCHES,
                NEW,
                b.counts[SEARCHES] as f64 >= b.th[SEARCHES].value,
            ),
            (NEW, SEARCHES, new >= b.th[NEW].value && share_ok),
        ] {
            if !fires {
                continue;
            }
            if !b.flagged[series] {
                b.flagged[series] = true;
                agent.extra().last_signal[series] = Some(t);
            }
            let correlated = b.flagged[other]
                || agent
                    .last_signal(other)
                    .is_some_and(|x| t.abs_diff(x) <= corr);
            let level = if correlated {
                Level::High
            } else {
                Level::Medium
            };
            if level_code(level) <= b.signalled[series] {
                continue;
            }
            b.signalled[series] = level_code(level);
            if let Some(held) = self.report(agent, SNOOPING, level, self.allowed) {
                let hit = hits::snooping(
                    self.c, &self.who, b, series, correlated, self.a.ev, level, held,
                );
                self.out.push(hit);
            }
        }
    }

    fn off_hours(&mut self, agent: &mut Agent, b: &mut Bucket) {
        let a = self.a;
        if b.off_hours || !agent.kind.is_person() || !a.ok || a.patients.is_empty() {
            return;
        }
        let o = &self.c.off_hours;
        let hour = self.t().div_euclid(HOUR_NS);
        let hod = hour_of_day(hour);
        let hours = self.hours();
        let off_hour = outside(hours, hod);
        let off_day = self.c.weekends_off && weekend(hour);
        if !(off_hour || off_day) || agent.active_days < o.min_active_days {
            return;
        }
        let days_near = agent.days_near(hod, o.hour_slack);
        let span_days = self.t().saturating_sub(agent.first_seen) as f64 / DAY_NS as f64;
        let novel_hour = off_hour && days_near < o.min_hour_days;
        let novel_weekend =
            off_day && agent.weekend_hours == 0 && span_days >= f64::from(o.weekend_min_span_days);
        if !(novel_hour || novel_weekend) {
            return;
        }
        b.off_hours = true;
        if let Some(held) = self.report(agent, OFF_HOURS, Level::Medium, self.allowed) {
            let why = OffWhy {
                hours,
                weekend: weekend(hour),
                days_near,
                active_days: agent.active_days,
                weekend_hours: agent.weekend_hours,
                span_days,
            };
            let hit = hits::off_hours(self.c, &self.who, b, &why, self.a.ev, held);
            self.out.push(hit);
        }
    }

    fn export(&mut self, agent: &mut Agent) {
        let a = self.a;
        let Some(path) = a.export.as_deref() else {
            return;
        };
        if !a.ok {
            return;
        }
        self.counters.exports += 1;
        let x = &self.c.export;
        let hour = self.t().div_euclid(HOUR_NS);
        let hours = self.hours();
        let new_client = agent.export_count() == 0;
        let off = outside(hours, hour_of_day(hour)) || (self.c.weekends_off && weekend(hour));
        let days_at_hour = agent.export_days_near(hour, x.hour_slack);
        let scheduled = !new_client && days_at_hour >= x.learn_days;
        let earlier_exports = agent.export_count();
        agent.exported(hour);
        let off_hours = off && !scheduled;
        if !(new_client || off_hours) {
            return;
        }
        if let Some(held) = self.report(agent, EXPORT, Level::High, self.allowed_export) {
            let why = ExportWhy {
                path,
                new_client,
                off_hours,
                weekend: weekend(hour),
                earlier_exports,
                days_at_hour,
                hours,
                status: a.status,
            };
            let hit = hits::export(self.c, &self.who, &why, self.a.ev, held);
            self.out.push(hit);
        }
    }
}
