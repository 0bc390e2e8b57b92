//! The hit of a closed hour: its title, metrics, group, tags and
//! evidence.

use std::collections::BTreeMap;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Entity, Level};

use super::pair::{Hour, Verdict, HOUR_NS};
use super::{Config, NAME};
use crate::seen::Ev;
use crate::stats::human_bytes as human;
use crate::AnalyticHit;

/// The numbers behind a hit, and every threshold.
fn metrics(h: &Hour, v: &Verdict, suppressed: [u64; 3], c: &Config) -> BTreeMap<String, f64> {
    let start = Timestamp::from_nanos(h.idx.saturating_mul(HOUR_NS));
    let mut m: BTreeMap<String, f64> = [
        ("bytes", h.bytes as f64),
        ("objects", h.objects() as f64),
        ("reads", h.reads as f64),
        ("keys_capped", f64::from(u8::from(h.keys_capped))),
        ("outside_reads", h.outside_reads as f64),
        ("outside_bytes", h.outside_bytes as f64),
        ("new_source_reads", h.new_source_reads as f64),
        ("foreign_account_reads", h.foreign_reads as f64),
        ("copies_out", h.copies_out as f64),
        ("hour_start_secs", start.as_secs() as f64),
        ("suppressed_hours", suppressed[0] as f64),
        ("suppressed_bytes", suppressed[1] as f64),
        ("suppressed_objects", suppressed[2] as f64),
        ("min_bytes", c.min_bytes as f64),
        ("min_objects", c.min_objects as f64),
        ("min_samples", c.min_samples as f64),
        ("min_z", c.min_z),
        ("z_floor_bytes", c.z_floor_bytes as f64),
        ("z_floor_objects", c.z_floor_objects),
        ("quantile", c.quantile),
        ("quantile_factor", c.quantile_factor),
        ("new_pair_bytes", c.new_pair_bytes as f64),
        ("new_pair_objects", c.new_pair_objects as f64),
        ("peer_factor", c.peer_factor),
        ("critical_bytes", c.critical_bytes as f64),
        ("critical_objects", c.critical_objects as f64),
        ("min_copies_out", c.min_copies_out as f64),
        ("min_source_reads", c.min_source_reads as f64),
        ("suppress_s", c.suppress_secs as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, x) in v.metrics() {
        m.insert(k.to_string(), x);
    }
    m
}

/// One line for people: what was read, how much, against what usual, and
/// the notes (never an object key: keys may name patients).
fn title(key: (&str, &str), h: &Hour, v: &Verdict, notes: &str) -> String {
    let (principal, bucket) = key;
    let volume = v.by_bytes || v.by_objects;
    let start = Timestamp::from_nanos(h.idx.saturating_mul(HOUR_NS));
    let baseline = if v.new_pair {
        format!("new pair, {} earlier hours", v.samples)
    } else {
        format!("usual hour {}", human(v.median_bytes as u64))
    };
    if volume {
        format!(
            "Cloud object reads: {principal} read {} ({} objects) from bucket {bucket} in the hour from {} ({baseline}){notes}",
            human(h.bytes),
            h.objects(),
            start.to_rfc3339()
        )
    } else if h.copy_to().is_some() {
        format!(
            "Cloud objects copied to another account: {principal} copied from bucket {bucket} in the hour from {}{notes}",
            start.to_rfc3339()
        )
    } else {
        format!(
            "Cloud object reads from outside: {principal} read {} objects ({}) from bucket {bucket} in the hour from {}{notes}",
            h.objects(),
            human(h.bytes),
            start.to_rfc3339()
        )
    }
}

pub(super) fn make_hit(
    key: (&str, &str),
    h: &Hour,
    v: &Verdict,
    level: Level,
    suppressed: [u64; 3],
    c: &Config,
) -> AnalyticHit {
    let (principal, bucket) = key;
    let start = Timestamp::from_nanos(h.idx.saturating_mul(HOUR_NS));
    let mut notes = Vec::new();
    let mut group = BTreeMap::from([
        ("principal".to_string(), principal.to_string()),
        ("bucket".to_string(), bucket.to_string()),
    ]);
    let mut tags: Vec<String> = vec!["attack.collection".into(), "attack.t1530".into()];
    if let Some(n) = h.new_source() {
        notes.push(format!("from new external address {}", n.what));
        group.insert("source_ip".into(), n.what.clone());
    }
    if let Some(n) = h.foreign() {
        notes.push(format!("by another account ({})", n.what));
        group.insert("account".into(), n.what.clone());
    }
    if h.new_source().is_some() || h.foreign().is_some() {
        tags.extend(["attack.initial_access".into(), "attack.t1078.004".into()]);
    }
    if let Some(n) = h.copy_to() {
        notes.push(format!("{} copied to {}", h.copies_out, n.what));
        group.insert("destination".into(), n.what.clone());
        tags.extend(["attack.exfiltration".into(), "attack.t1537".into()]);
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    };
    let title = title(key, h, v, &notes);
    let ip = h
        .new_source()
        .map(|n| n.what.clone())
        .or_else(|| h.source_ip.map(|ip| ip.to_string()));
    let evidence: Vec<Ev> = h.evidence();
    AnalyticHit {
        analytic: NAME,
        title,
        level,
        time: evidence
            .first()
            .map_or(start, |e| Timestamp::from_nanos(e.t)),
        end_time: evidence
            .last()
            .map_or(start, |e| Timestamp::from_nanos(e.t)),
        entity: Entity {
            user: (principal != "-").then(|| principal.to_string()),
            ip,
            ..Entity::default()
        },
        tags,
        metrics: metrics(h, v, suppressed, c),
        group,
        evidence: evidence.into_iter().map(Ev::to_pair).collect(),
    }
}
