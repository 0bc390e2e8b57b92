//! The hits: their metrics, titles and evidence.

use std::collections::BTreeMap;

use phiwatch_event::{Origin, Timestamp};
use phiwatch_finding::{Entity, Level};

use super::series::Best;
use super::{Config, PairKey, PairState, MILLIS, NAME, NANOS, UNKNOWN};
use crate::AnalyticHit;

/// What a beacon hit says besides the scores.
pub(crate) struct Context {
    /// Start of the window, nanoseconds.
    pub window_start: i64,
    pub window_ns: i64,
    pub level: Level,
    /// Sources whose pair with this destination scored as a beacon.
    pub destination_sources: usize,
    /// Windows suppressed since the previous hit of the pair.
    pub suppressed: u64,
    /// Level of the previous hit of the pair, if any is remembered.
    pub previous: Option<Level>,
    /// Whether the window was still open (a check, not its close).
    pub early: bool,
}

/// Counts and thresholds common to both kinds of hit.
pub(crate) fn pair_metrics(c: &Config, window_ns: i64, st: &PairState) -> Vec<(&'static str, f64)> {
    vec![
        ("connections", st.count as f64),
        ("connections_kept", st.conns.len() as f64),
        ("bytes_out", st.bytes_out as f64),
        ("bytes_in", st.bytes_in as f64),
        ("min_score", c.min_score),
        ("high_score", c.high_score),
        ("min_connections", c.min_connections as f64),
        ("min_span_s", c.min_span_secs),
        ("min_interval_s", c.min_interval_secs),
        ("interval_madm_ratio", c.interval_madm_ratio),
        ("period_tolerance", c.period_tolerance),
        ("size_madm_ratio", c.size_madm_ratio),
        ("size_madm_floor_bytes", c.size_madm_floor_bytes),
        ("size_class_ratio", c.size_class_ratio),
        ("interval_weight", c.interval_weight),
        ("count_weight", c.count_weight),
        ("period_weight", c.period_weight),
        ("size_weight", c.size_weight),
        ("check_s", c.check_secs as f64),
        ("suppress_s", c.suppress_secs as f64),
        ("fleet_sources", c.fleet_sources as f64),
        ("long_conn_s", c.long_conn_secs),
        ("window_s", window_ns as f64 / NANOS as f64),
    ]
}

/// A numeric rank of a level for the metrics (low 1 … critical 4).
fn rank(l: Level) -> f64 {
    match l {
        Level::Informational => 0.0,
        Level::Low => 1.0,
        Level::Medium => 2.0,
        Level::High => 3.0,
        Level::Critical => 4.0,
    }
}

/// The beacon hit of `key` for its best series `b`.
pub(crate) fn beacon_hit(
    c: &Config,
    key: &PairKey,
    st: &PairState,
    b: &Best,
    cx: &Context,
) -> AnalyticHit {
    let s = &b.scores;
    let iv = s.intervals;
    let per = s.periodicity;
    let mut m = pair_metrics(c, cx.window_ns, st);
    m.extend([
        ("series_connections", s.n as f64),
        ("size_classes", b.classes as f64),
        ("median_interval_s", iv.median),
        ("interval_q1_s", iv.q1),
        ("interval_q3_s", iv.q3),
        ("interval_skew", iv.skew),
        ("interval_madm_s", iv.madm),
        ("interval_skew_score", iv.skew_score),
        ("interval_madm_score", iv.madm_score),
        ("interval_score", s.interval_score),
        ("period_s", per.period),
        ("period_band_intervals", per.in_band as f64),
        ("period_eligible", per.eligible as f64),
        ("period_followed", per.followed as f64),
        ("period_chance", per.chance),
        ("period_score", s.period_score),
        ("count_score", s.count_score),
        ("span_s", s.span()),
        ("observed_s", s.end - s.first),
        ("score", s.score),
        ("destination_sources", cx.destination_sources as f64),
        ("suppressed_windows", cx.suppressed as f64),
        ("previous_level", cx.previous.map_or(0.0, rank)),
        ("early", if cx.early { 1.0 } else { 0.0 }),
    ]);
    if let Some(all) = b.score_all {
        m.push(("score_all", all));
    }
    if let Some((lo, hi)) = b.class {
        m.extend([
            ("series_min_bytes", f64::from(lo)),
            ("series_max_bytes", f64::from(hi)),
        ]);
    }
    if let (Some(sz), Some(size_score)) = (s.sizes, s.size_score) {
        m.extend([
            ("median_bytes", sz.median),
            ("size_skew", sz.skew),
            ("size_madm_bytes", sz.madm),
            ("size_skew_score", sz.skew_score),
            ("size_madm_score", sz.madm_score),
            ("size_score", size_score),
        ]);
    }
    let every = if per.period > 0.0 {
        per.period
    } else {
        iv.median
    };
    let what = match b.class {
        Some((lo, hi)) => format!(
            "{} of {} connections of {}–{}",
            s.n,
            st.count,
            bytes(lo),
            bytes(hi)
        ),
        None => format!("{} connections", st.count),
    };
    let fleet = if cx.level == Level::Low && c.fleet_sources > 0 {
        format!(", {} sources beacon there", cx.destination_sources)
    } else {
        String::new()
    };
    let title = format!(
        "Beaconing {} → {}:{} every ~{:.0} s ({what}, score {:.2}{fleet})",
        key.0, key.1, key.2, every, s.score
    );
    let at = |secs: f64| {
        let ms = (secs * 1e3).round() as i64;
        Timestamp::from_nanos(cx.window_start.saturating_add(ms.saturating_mul(MILLIS)))
    };
    let mut hit = hit(key, "beacon", title, cx.level, m, evidence(st, b.class));
    hit.time = at(s.first);
    // Starts are kept in whole milliseconds (truncated): the last one may be
    // up to a millisecond later.
    hit.end_time = Timestamp::from_nanos(at(s.last).as_nanos().saturating_add(MILLIS - 1));
    hit
}

/// A size for a title (bytes, kB, MB).
fn bytes(b: u32) -> String {
    match b {
        0..10_000 => format!("{b} B"),
        10_000..1_000_000 => format!("{:.0} kB", f64::from(b) / 1e3),
        _ => format!("{:.1} MB", f64::from(b) / 1e6),
    }
}

/// The evidence of `st` in the size class (all of it when None, or when
/// the class has fewer than two records kept).
fn evidence(st: &PairState, class: Option<(u32, u32)>) -> Vec<(Origin, Timestamp)> {
    let mut all: Vec<(super::Ev, u32)> = st.evidence.clone();
    if let Some(l) = st.last.filter(|l| !st.evidence.contains(l)) {
        all.push(l);
    }
    let inside = |b: u32| class.is_none_or(|(lo, hi)| b != UNKNOWN && b >= lo && b <= hi);
    let chosen: Vec<_> = all.iter().filter(|e| inside(e.1)).collect();
    if chosen.len() >= 2 {
        chosen.into_iter().map(|e| e.0.to_pair()).collect()
    } else {
        all.iter().map(|e| e.0.to_pair()).collect()
    }
}

/// A hit about the pair `key`.
pub(crate) fn hit(
    key: &PairKey,
    kind: &str,
    title: String,
    level: Level,
    metrics: Vec<(&'static str, f64)>,
    evidence: Vec<(Origin, Timestamp)>,
) -> AnalyticHit {
    let time = evidence.first().map_or(Timestamp::EPOCH, |e| e.1);
    let end_time = evidence.last().map_or(time, |e| e.1);
    let group = BTreeMap::from([
        ("source".to_string(), key.0.clone()),
        ("destination".to_string(), key.1.clone()),
        ("port".to_string(), key.2.to_string()),
        ("kind".to_string(), kind.to_string()),
    ]);
    let mut tags = vec!["attack.command_and_control".into(), "attack.t1071".into()];
    if matches!(key.2, 80 | 443 | 8080 | 8443) {
        tags.push("attack.t1071.001".into());
    }
    AnalyticHit {
        analytic: NAME,
        title,
        level,
        time,
        end_time,
        entity: Entity {
            ip: Some(key.0.clone()),
            ..Entity::default()
        },
        tags,
        metrics: metrics
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        group,
        evidence,
    }
}
