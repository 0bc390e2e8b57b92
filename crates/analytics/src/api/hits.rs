//! The hits of the API access analytic: titles, levels, tags, metrics,
//! groups and evidence of each kind.

use std::collections::BTreeMap;
use std::net::IpAddr;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Entity, Level};

use super::access::Kind;
use super::agent::{Bucket, By, Th, HOUR_NS, NEW, PATIENTS, SEARCHES};
use super::Config;
use crate::seen::Ev;
use crate::AnalyticHit;

pub(crate) const ENUMERATION: &str = "api-enumeration";
pub(crate) const EXPORT: &str = "api-bulk-export";
pub(crate) const OFF_HOURS: &str = "off-hours-access";
pub(crate) const SNOOPING: &str = "record-snooping";

/// Level codes kept in state (0: none).
pub(crate) fn level_code(l: Level) -> u8 {
    match l {
        Level::Informational => 0,
        Level::Low => 1,
        Level::Medium => 2,
        Level::High => 3,
        Level::Critical => 4,
    }
}

/// Who a hit is about.
pub(crate) struct Who<'a> {
    pub(crate) key: &'a str,
    pub(crate) user: Option<&'a str>,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) kind: Kind,
    pub(crate) vendor: Option<&'a str>,
}

impl Who<'_> {
    /// The agent as people read it: the user, else the address.
    fn name(&self) -> String {
        match (self.user, self.ip) {
            (Some(u), _) => u.to_string(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => self.key.to_string(),
        }
    }

    fn entity(&self) -> Entity {
        Entity {
            user: self.user.map(str::to_string),
            ip: self.ip.map(|ip| ip.to_string()),
            ..Entity::default()
        }
    }

    fn group(&self) -> BTreeMap<String, String> {
        let mut g = BTreeMap::new();
        g.insert("agent".to_string(), self.name());
        g.insert("agent_kind".to_string(), self.kind.as_str().to_string());
        if let Some(ip) = self.ip {
            g.insert("client".to_string(), ip.to_string());
        }
        if let Some(v) = self.vendor {
            g.insert("vendor".to_string(), v.to_string());
        }
        g
    }
}

fn m(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn hhmm(t: i64) -> String {
    let r = Timestamp::from_nanos(t).to_rfc3339();
    // "YYYY-MM-DDTHH:MM:SS…": the hour and minute.
    r.get(11..16).map_or(r.clone(), str::to_string)
}

fn hour_start(hour: i64) -> String {
    Timestamp::from_nanos(hour.saturating_mul(HOUR_NS)).to_rfc3339()
}

/// First, some in between and the current record, at most ten.
fn evidence(first: &[Ev], current: Ev) -> Vec<(phiwatch_event::Origin, Timestamp)> {
    let mut v: Vec<Ev> = first.iter().copied().take(9).collect();
    if v.last() != Some(&current) {
        v.push(current);
    }
    v.into_iter().map(Ev::to_pair).collect()
}

/// When a series' first counted record of the hour was (else the hour's
/// first request).
fn first_of(b: &Bucket, series: usize) -> Timestamp {
    Timestamp::from_nanos(b.evidence[series].first().map_or(b.first_ns, |e| e.t))
}

/// The numbers of a series' threshold, as metrics.
fn th_metrics(out: &mut BTreeMap<String, f64>, th: &Th, v: f64) {
    let z = if th.samples > 0 {
        (v - th.median) / th.spread
    } else {
        0.0
    };
    for (k, x) in [
        ("threshold", th.value),
        ("samples", th.samples as f64),
        ("median", th.median),
        ("mad", th.mad),
        ("q", th.q),
        ("z", z),
        ("peer_samples", th.peer.n as f64),
        ("peer_median", th.peer.median),
        ("peer_q", th.peer.q),
        ("by_own", f64::from(u8::from(th.by == By::Own))),
        ("by_peers", f64::from(u8::from(th.by == By::Peers))),
        ("cold_start", f64::from(u8::from(th.by == By::Cold))),
    ] {
        out.insert(k.to_string(), x);
    }
}

fn baseline_text(th: &Th, quantile: f64) -> String {
    let q = (quantile * 100.0).round();
    match th.by {
        By::Own => format!("own median {:.0}, q{q} {:.0}", th.median, th.q),
        By::Peers => format!(
            "new agent ({} h of history), peers' q{q} {:.0}",
            th.samples, th.peer.q
        ),
        By::Cold | By::Never => format!(
            "new agent ({} h of history), no peers' baseline yet",
            th.samples
        ),
    }
}

/// `api-enumeration`.
pub(crate) fn enumeration(
    c: &Config,
    who: &Who<'_>,
    b: &Bucket,
    current: Ev,
    level: Level,
    held: u64,
) -> AnalyticHit {
    let e = &c.enumeration;
    let th = &b.th[PATIENTS];
    let v = b.counts[PATIENTS] as f64;
    let mut metrics = m(&[
        ("patients", v),
        ("requests", b.requests as f64),
        ("failed", b.failed as f64),
        ("untracked_patients", b.untracked as f64),
        ("hour_start_secs", (b.hour.saturating_mul(3600)) as f64),
        ("suppressed", held as f64),
        ("min_patients", e.min_patients as f64),
        ("min_samples", e.min_samples as f64),
        ("min_z", e.min_z),
        ("z_floor", e.z_floor),
        ("quantile", e.quantile),
        ("quantile_factor", e.quantile_factor),
        ("new_agent_patients", e.new_agent_patients as f64),
        ("peer_factor", e.peer_factor),
        ("min_peer_samples", e.min_peer_samples as f64),
        ("critical_patients", e.critical_patients as f64),
        ("suppress_s", c.suppress_secs as f64),
    ]);
    th_metrics(&mut metrics, th, v);
    let mut group = who.group();
    group.insert("hour".to_string(), hour_start(b.hour));
    AnalyticHit {
        analytic: ENUMERATION,
        title: format!(
            "API enumeration: {} requested {v:.0} patients' records in the hour from {} UTC ({})",
            who.name(),
            hhmm(b.hour.saturating_mul(HOUR_NS)),
            baseline_text(th, e.quantile)
        ),
        level,
        time: first_of(b, PATIENTS),
        end_time: Timestamp::from_nanos(current.t),
        entity: who.entity(),
        tags: ["attack.collection", "attack.t1213", "attack.t1119"]
            .map(String::from)
            .to_vec(),
        metrics,
        group,
        evidence: evidence(&b.evidence[PATIENTS], current),
    }
}

/// Why an export was reported.
pub(crate) struct ExportWhy<'a> {
    pub(crate) path: &'a str,
    pub(crate) new_client: bool,
    pub(crate) off_hours: bool,
    pub(crate) weekend: bool,
    pub(crate) earlier_exports: u64,
    pub(crate) days_at_hour: u32,
    pub(crate) hours: (u8, u8),
    pub(crate) status: Option<i64>,
}

/// `api-bulk-export`.
pub(crate) fn export(
    c: &Config,
    who: &Who<'_>,
    why: &ExportWhy<'_>,
    current: Ev,
    held: u64,
) -> AnalyticHit {
    let flag = |x: bool| f64::from(u8::from(x));
    let hod = current.t.div_euclid(HOUR_NS).rem_euclid(24) as f64;
    let metrics = m(&[
        ("new_client", flag(why.new_client)),
        ("off_hours", flag(why.off_hours)),
        ("weekend", flag(why.weekend)),
        ("earlier_exports", why.earlier_exports as f64),
        ("days_exported_at_hour", f64::from(why.days_at_hour)),
        ("hour_of_day", hod),
        ("work_hours_start", f64::from(why.hours.0)),
        ("work_hours_end", f64::from(why.hours.1)),
        ("weekends_off", flag(c.weekends_off)),
        ("learn_days", f64::from(c.export.learn_days)),
        ("hour_slack", f64::from(c.export.hour_slack)),
        ("suppressed", held as f64),
        ("suppress_s", c.suppress_secs as f64),
    ]);
    let mut metrics = metrics;
    if let Some(s) = why.status {
        metrics.insert("status".to_string(), s as f64);
    }
    let mut reasons = Vec::new();
    if why.new_client {
        reasons.push("new client".to_string());
    }
    if why.off_hours {
        reasons.push(format!("off-hours {} UTC", hhmm(current.t)));
    }
    let mut group = who.group();
    group.insert("path".to_string(), why.path.to_string());
    AnalyticHit {
        analytic: EXPORT,
        title: format!(
            "FHIR bulk export by {}: {} ({})",
            who.name(),
            why.path,
            reasons.join(", ")
        ),
        level: Level::High,
        time: Timestamp::from_nanos(current.t),
        end_time: Timestamp::from_nanos(current.t),
        entity: who.entity(),
        tags: [
            "attack.collection",
            "attack.t1213",
            "attack.t1119",
            "attack.exfiltration",
        ]
        .map(String::from)
        .to_vec(),
        metrics,
        group,
        evidence: evidence(&[], current),
    }
}

/// Why an access was off-hours.
pub(crate) struct OffWhy {
    pub(crate) hours: (u8, u8),
    pub(crate) weekend: bool,
    pub(crate) days_near: u32,
    pub(crate) active_days: u32,
    pub(crate) weekend_hours: u32,
    pub(crate) span_days: f64,
}

/// `off-hours-access`.
pub(crate) fn off_hours(
    c: &Config,
    who: &Who<'_>,
    b: &Bucket,
    why: &OffWhy,
    current: Ev,
    held: u64,
) -> AnalyticHit {
    let o = &c.off_hours;
    let hod = current.t.div_euclid(HOUR_NS).rem_euclid(24) as f64;
    let metrics = m(&[
        ("hour_of_day", hod),
        ("weekend", f64::from(u8::from(why.weekend))),
        ("days_active_near_hour", f64::from(why.days_near)),
        ("active_days", f64::from(why.active_days)),
        ("weekend_hours", f64::from(why.weekend_hours)),
        ("history_span_days", why.span_days),
        ("patients", b.counts[PATIENTS] as f64),
        ("requests", b.requests as f64),
        ("work_hours_start", f64::from(why.hours.0)),
        ("work_hours_end", f64::from(why.hours.1)),
        ("weekends_off", f64::from(u8::from(c.weekends_off))),
        ("min_active_days", f64::from(o.min_active_days)),
        ("min_hour_days", f64::from(o.min_hour_days)),
        ("hour_slack", f64::from(o.hour_slack)),
        ("weekend_min_span_days", f64::from(o.weekend_min_span_days)),
        ("suppressed", held as f64),
        ("suppress_s", c.suppress_secs as f64),
    ]);
    let reason = if why.days_near < o.min_hour_days {
        format!(
            "active within {} h of this hour on {} of {} days",
            o.hour_slack, why.days_near, why.active_days
        )
    } else {
        format!("no weekend activity in {:.0} days", why.span_days)
    };
    AnalyticHit {
        analytic: OFF_HOURS,
        title: format!(
            "Off-hours patient record access by {} at {} UTC ({reason})",
            who.name(),
            hhmm(current.t)
        ),
        level: Level::Medium,
        time: Timestamp::from_nanos(b.first_ns),
        end_time: Timestamp::from_nanos(current.t),
        entity: who.entity(),
        tags: ["attack.collection", "attack.t1213", "attack.t1078"]
            .map(String::from)
            .to_vec(),
        metrics,
        group: who.group(),
        evidence: evidence(&b.evidence[PATIENTS], current),
    }
}

/// `record-snooping`, for the new-patients (`series == NEW`) or the
/// name-search signal.
#[allow(clippy::too_many_arguments)]
pub(crate) fn snooping(
    c: &Config,
    who: &Who<'_>,
    b: &Bucket,
    series: usize,
    correlated: bool,
    current: Ev,
    level: Level,
    held: u64,
) -> AnalyticHit {
    let s = &c.snooping;
    let th = &b.th[series];
    let v = b.counts[series] as f64;
    let patients = b.counts[PATIENTS] as f64;
    let new = b.counts[NEW] as f64;
    let mut metrics = m(&[
        ("patients", patients),
        ("new_patients", new),
        (
            "new_share",
            if patients > 0.0 { new / patients } else { 0.0 },
        ),
        ("searches", b.counts[SEARCHES] as f64),
        ("requests", b.requests as f64),
        ("correlated", f64::from(u8::from(correlated))),
        ("hour_start_secs", (b.hour.saturating_mul(3600)) as f64),
        ("suppressed", held as f64),
        ("min_new", s.min_new as f64),
        ("min_share", s.min_share),
        ("min_samples", s.min_samples as f64),
        ("min_z", s.min_z),
        ("z_floor", s.z_floor),
        ("quantile", s.quantile),
        ("quantile_factor", s.quantile_factor),
        ("peer_factor", s.peer_factor),
        ("min_peer_samples", s.min_peer_samples as f64),
        ("min_searches", s.min_searches as f64),
        ("search_factor", s.search_factor),
        ("search_z_floor", s.search_z_floor),
        ("correlate_s", s.correlate_secs as f64),
        ("suppress_s", c.suppress_secs as f64),
    ]);
    th_metrics(&mut metrics, th, v);
    let mut group = who.group();
    group.insert("hour".to_string(), hour_start(b.hour));
    let from = hhmm(b.hour.saturating_mul(HOUR_NS));
    let (signal, what) = if series == NEW {
        (
            "new-patients",
            format!("opened {v:.0} patients' records new to them"),
        )
    } else {
        ("name-search", format!("ran {v:.0} patient name searches"))
    };
    group.insert("signal".to_string(), signal.to_string());
    let also = match (correlated, series == NEW) {
        (true, true) => ", after name searches",
        (true, false) => ", after opening many new patients",
        _ => "",
    };
    AnalyticHit {
        analytic: SNOOPING,
        title: format!(
            "Record snooping: {} {what} in the hour from {from} UTC ({}{also})",
            who.name(),
            baseline_text(th, s.quantile)
        ),
        level,
        time: first_of(b, series),
        end_time: Timestamp::from_nanos(current.t),
        entity: who.entity(),
        tags: ["attack.collection", "attack.t1213"]
            .map(String::from)
            .to_vec(),
        metrics,
        group,
        evidence: evidence(&b.evidence[series], current),
    }
}
