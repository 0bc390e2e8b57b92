//! The hits of [`super::Rare`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Entity, Level};

use super::dest::Dest;
use super::drip::Pair;
use super::{Config, NANOS};
use crate::seen::Ev;
use crate::stats::human_bytes as human;
use crate::AnalyticHit;

const FIRST: &str = "rare-destination";
const DRIP: &str = "slow-drip";
const FIRST_TAGS: [&str; 5] = [
    "attack.exfiltration",
    "attack.t1041",
    "attack.t1048",
    "attack.command_and_control",
    "attack.t1071",
];
const DRIP_TAGS: [&str; 4] = [
    "attack.exfiltration",
    "attack.t1029",
    "attack.t1030",
    "attack.t1041",
];

/// The `rare-destination` hit.
pub(super) fn first_hit(
    c: &Config,
    key: &str,
    d: &Dest,
    level: u8,
    ratio: f64,
    learn_end: i64,
    now: i64,
) -> AnalyticHit {
    let host = d.top_host().map(|h| h.ip);
    let mut group = BTreeMap::from([("destination".to_string(), key.to_string())]);
    if let Some(ip) = d.ip {
        group.insert("destination_ip".into(), ip.to_string());
    }
    if let Some(n) = &d.name {
        group.insert("server_name".into(), n.clone());
    }
    if let Some(h) = host {
        group.insert("source".into(), h.to_string());
    }
    let after = now.saturating_sub(d.first_seen).max(0) / NANOS;
    let metrics: BTreeMap<String, f64> = [
        ("bytes_out", d.first_out as f64),
        ("bytes_in", d.first_in as f64),
        ("ratio", ratio),
        ("connections", d.first_conns as f64),
        ("prevalence", d.prevalence() as f64),
        ("secs_since_first_seen", after as f64),
        ("first_seen_secs", d.first_seen.div_euclid(NANOS) as f64),
        ("learning_end_secs", learn_end.div_euclid(NANOS) as f64),
        (
            "escalation",
            f64::from(u8::from(level == 2 && d.evidence.len() > 1)),
        ),
        ("min_bytes", c.min_bytes as f64),
        ("high_bytes", c.high_bytes as f64),
        ("high_min_ratio", c.high_min_ratio),
        ("max_prevalence", c.max_prevalence as f64),
        ("first_window_secs", c.first_window_secs as f64),
        ("learning_secs", c.learning_secs as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let shown = match (&d.ip, key.parse::<IpAddr>().is_ok()) {
        (Some(ip), false) => format!("{key} ({ip})"),
        _ => key.to_string(),
    };
    let from = host.map_or_else(String::new, |h| format!(" from {h}"));
    let mut evidence: Vec<(phiwatch_event::Origin, Timestamp)> =
        d.evidence.iter().map(|e| e.to_pair()).collect();
    if let Some(l) = d.last_ev.filter(|l| !d.evidence.contains(l)) {
        evidence.push(l.to_pair());
    }
    AnalyticHit {
        analytic: FIRST,
        title: format!(
            "First-seen destination {shown} received {}{from} in {} min (prevalence {})",
            human(d.first_out),
            after / 60,
            d.prevalence()
        ),
        level: if level == 2 {
            Level::High
        } else {
            Level::Medium
        },
        time: Timestamp::from_nanos(d.first_seen),
        end_time: Timestamp::from_nanos(now.max(d.first_seen)),
        entity: Entity {
            ip: host.map(|h| h.to_string()),
            ..Entity::default()
        },
        tags: FIRST_TAGS.iter().map(|s| s.to_string()).collect(),
        metrics,
        group,
        evidence,
    }
}

/// The `slow-drip` hit.
pub(super) fn drip_hit(
    p: &Pair,
    d: Option<&Dest>,
    level: Level,
    metrics: BTreeMap<String, f64>,
) -> AnalyticHit {
    let mut group = BTreeMap::from([
        ("source".to_string(), p.host.to_string()),
        ("destination".to_string(), p.dest.clone()),
    ]);
    if let Some(ip) = d.and_then(|d| d.ip) {
        group.insert("destination_ip".into(), ip.to_string());
    }
    if let Some(n) = d.and_then(|d| d.name.clone()) {
        group.insert("server_name".into(), n);
    }
    let get = |k: &str| metrics.get(k).copied().unwrap_or(0.0);
    let shown = match (d.and_then(|d| d.ip), p.dest.parse::<IpAddr>().is_ok()) {
        (Some(ip), false) => format!("{} ({ip})", p.dest),
        _ => p.dest.clone(),
    };
    let ev = p.evidence();
    AnalyticHit {
        analytic: DRIP,
        title: format!(
            "Slow drip: {} sent {} to rare destination {shown} over {} days ({} connections, at most {} a day)",
            p.host,
            human(get("total_bytes") as u64),
            get("days_active"),
            get("connections"),
            human(get("max_day_bytes") as u64),
        ),
        level,
        time: Timestamp::from_nanos(ev.first().map_or(p.first.t, |e| e.t)),
        end_time: Timestamp::from_nanos(p.last.t),
        entity: Entity {
            ip: Some(p.host.to_string()),
            ..Entity::default()
        },
        tags: DRIP_TAGS.iter().map(|s| s.to_string()).collect(),
        metrics,
        group,
        evidence: ev.into_iter().map(Ev::to_pair).collect(),
    }
}
