//! The findings of `phiwatch demo`, tallied: by detector and level, and
//! by rule or analytic (how many, first and last), highest level first.

use std::collections::BTreeMap;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Detector, Finding, Level};

/// One rule or analytic that fired.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fired {
    /// The highest level of its findings.
    pub(super) level: Level,
    pub(super) detector: Detector,
    pub(super) rule: String,
    pub(super) title: String,
    pub(super) count: u64,
    pub(super) first: Timestamp,
    pub(super) last: Timestamp,
}

/// The findings tallied.
#[derive(Debug, Default)]
pub(super) struct Detections {
    pub(super) findings: u64,
    /// Findings by detector, then level.
    pub(super) by_detector: BTreeMap<Detector, BTreeMap<Level, u64>>,
    /// Every rule or analytic that fired: highest level first, then most
    /// findings, then earliest, then by title.
    pub(super) fired: Vec<Fired>,
}

impl Detections {
    /// Tallies `findings`.
    pub(super) fn of(findings: &[Finding]) -> Detections {
        let mut by_detector: BTreeMap<Detector, BTreeMap<Level, u64>> = BTreeMap::new();
        let mut fired: BTreeMap<(Detector, &str), Fired> = BTreeMap::new();
        for f in findings {
            *by_detector
                .entry(f.detector)
                .or_default()
                .entry(f.rule.level)
                .or_default() += 1;
            fired
                .entry((f.detector, f.rule.id.as_str()))
                .and_modify(|r| {
                    r.level = r.level.max(f.rule.level);
                    r.count += 1;
                    r.first = r.first.min(f.time);
                    r.last = r.last.max(f.end_time);
                })
                .or_insert_with(|| Fired {
                    level: f.rule.level,
                    detector: f.detector,
                    rule: f.rule.id.clone(),
                    title: f.rule.title.clone(),
                    count: 1,
                    first: f.time,
                    last: f.end_time,
                });
        }
        let mut fired: Vec<Fired> = fired.into_values().collect();
        fired.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.count.cmp(&a.count))
                .then(a.first.cmp(&b.first))
                .then(a.title.cmp(&b.title))
        });
        Detections {
            findings: findings.len() as u64,
            by_detector,
            fired,
        }
    }

    /// Findings of one detector at one level.
    pub(super) fn count(&self, d: Detector, l: Level) -> u64 {
        self.by_detector
            .get(&d)
            .and_then(|m| m.get(&l))
            .copied()
            .unwrap_or(0)
    }

    /// Findings of one detector.
    pub(super) fn of_detector(&self, d: Detector) -> u64 {
        self.by_detector.get(&d).map_or(0, |m| m.values().sum())
    }
}

/// The incident to scope: the `incident` finding with the highest level,
/// then the highest score (ties: the earliest, then the smallest id).
pub(super) fn main_incident(findings: &[Finding]) -> Option<&Finding> {
    findings
        .iter()
        .filter(|f| f.detector == Detector::Incident)
        .max_by(|a, b| {
            a.rule
                .level
                .cmp(&b.rule.level)
                .then(a.score.total_cmp(&b.score))
                .then(b.time.cmp(&a.time))
                .then(b.id.cmp(&a.id))
        })
}

#[cfg(test)]
mod tests {
    use phiwatch_finding::RuleRef;

    use super::*;

    fn finding(d: Detector, rule: &str, level: Level, secs: i64, score: f64) -> Finding {
        let r = RuleRef {
            id: rule.into(),
            title: format!("title of {rule}"),
            level,
            author: None,
            source: None,
        };
        let mut f = Finding::new(d, r, Timestamp::from_secs(secs).unwrap());
        f.end_time = Timestamp::from_secs(secs + 5).unwrap();
        f.score = score;
        f.refresh_id();
        f
    }

    #[test]
    fn tallies_by_detector_level_and_rule() {
        let fs = [
            finding(Detector::Sigma, "a", Level::Medium, 30, 0.5),
            finding(Detector::Sigma, "a", Level::Medium, 10, 0.5),
            finding(Detector::Analytics, "b", Level::High, 20, 0.7),
            finding(Detector::Analytics, "b", Level::Critical, 40, 0.9),
            finding(Detector::Incident, "inc", Level::High, 50, 0.6),
            finding(Detector::Sigma, "c", Level::Medium, 5, 0.5),
        ];
        let d = Detections::of(&fs);
        assert_eq!(d.findings, 6);
        assert_eq!(d.count(Detector::Sigma, Level::Medium), 3);
        assert_eq!(d.count(Detector::Analytics, Level::Critical), 1);
        assert_eq!(d.count(Detector::Analytics, Level::Low), 0);
        assert_eq!(d.of_detector(Detector::Analytics), 2);
        assert_eq!(d.of_detector(Detector::Phi), 0);
        let order: Vec<(&str, Level, u64)> = d
            .fired
            .iter()
            .map(|f| (f.rule.as_str(), f.level, f.count))
            .collect();
        assert_eq!(
            order,
            [
                ("b", Level::Critical, 2),
                ("inc", Level::High, 1),
                ("a", Level::Medium, 2),
                ("c", Level::Medium, 1),
            ]
        );
        let a = &d.fired[2];
        assert_eq!(a.first, Timestamp::from_secs(10).unwrap());
        assert_eq!(a.last, Timestamp::from_secs(35).unwrap());
    }

    #[test]
    fn the_incident_is_the_highest_level_then_score() {
        let fs = [
            finding(Detector::Incident, "inc", Level::High, 10, 0.99),
            finding(Detector::Incident, "inc", Level::Critical, 20, 0.8),
            finding(Detector::Analytics, "x", Level::Critical, 5, 1.0),
            finding(Detector::Incident, "inc", Level::Critical, 30, 0.9),
        ];
        let i = main_incident(&fs).unwrap();
        assert_eq!(i.time, Timestamp::from_secs(30).unwrap());
        assert!(main_incident(&fs[2..3]).is_none());
    }
}
