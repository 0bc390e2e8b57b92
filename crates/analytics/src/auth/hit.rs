//! How the rules' hits are put together: the parts of a hit, ATT&CK tags,
//! and small helpers for numbers in titles and metrics.

use std::collections::BTreeMap;

use phiwatch_event::{Origin, Timestamp};
use phiwatch_finding::{Entity, Level};

use super::NANOS;
use crate::AnalyticHit;

pub(super) const T_SPRAY: &[&str] = &["attack.credential_access", "attack.t1110.003"];
pub(super) const T_SPRAY_OK: &[&str] = &[
    "attack.credential_access",
    "attack.t1110.003",
    "attack.initial_access",
    "attack.t1078",
];
pub(super) const T_BRUTE: &[&str] = &["attack.credential_access", "attack.t1110.001"];
pub(super) const T_BRUTE_OK: &[&str] = &[
    "attack.credential_access",
    "attack.t1110.001",
    "attack.initial_access",
    "attack.t1078",
];
pub(super) const T_VALID: &[&str] = &["attack.initial_access", "attack.t1078"];
pub(super) const T_VENDOR: &[&str] = &["attack.initial_access", "attack.t1199", "attack.t1078"];

/// The parts of a hit.
pub(super) struct Parts<'a> {
    pub(super) analytic: &'static str,
    pub(super) level: Level,
    pub(super) title: String,
    pub(super) time: i64,
    pub(super) end: i64,
    pub(super) user: Option<String>,
    pub(super) ip: Option<String>,
    pub(super) host: Option<String>,
    pub(super) tags: &'a [&'a str],
    pub(super) metrics: Vec<(&'a str, f64)>,
    pub(super) group: Vec<(&'a str, String)>,
    pub(super) evidence: Vec<(Origin, Timestamp)>,
}

pub(super) fn build(p: Parts<'_>) -> AnalyticHit {
    let ts = |t: i64| Timestamp::from_nanos(t);
    AnalyticHit {
        analytic: p.analytic,
        title: p.title,
        level: p.level,
        time: ts(p.time.min(p.end)),
        end_time: ts(p.end.max(p.time)),
        entity: Entity {
            user: p.user,
            host: p.host,
            ip: p.ip,
        },
        tags: p.tags.iter().map(|s| (*s).to_string()).collect(),
        metrics: p
            .metrics
            .into_iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        group: p
            .group
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
        evidence: p.evidence,
    }
}

pub(super) fn secs(d: i64) -> f64 {
    d as f64 / NANOS as f64
}

pub(super) fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Minutes, for titles.
pub(super) fn mins(d: i64) -> i64 {
    d.max(0).saturating_add(30 * NANOS) / (60 * NANOS)
}

/// Whether UTC hour of `t` is within `[start, end)` (wrapping midnight
/// when `start > end`; `start == end` is every hour).
pub(super) fn in_hours((start, end): (u8, u8), t: i64) -> bool {
    let h = t.div_euclid(3600 * NANOS).rem_euclid(24) as u8;
    match start.cmp(&end) {
        std::cmp::Ordering::Less => (start..end).contains(&h),
        std::cmp::Ordering::Greater => h >= start || h < end,
        std::cmp::Ordering::Equal => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_wrap_midnight() {
        let at = |h: i64| h * 3600 * NANOS;
        assert!(in_hours((8, 18), at(8)) && in_hours((8, 18), at(17)));
        assert!(!in_hours((8, 18), at(18)) && !in_hours((8, 18), at(3)));
        assert!(in_hours((22, 6), at(23)) && in_hours((22, 6), at(2)));
        assert!(!in_hours((22, 6), at(12)));
        assert!(in_hours((0, 0), at(12)));
        assert!(in_hours((8, 18), at(24 + 9)));
        assert!(in_hours((8, 18), -at(24) + at(9)));
    }
}
