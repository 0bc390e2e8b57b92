//! Shared fixtures for the integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use phiwatch_event::Timestamp;
use phiwatch_finding::{attack_from_tags, Detector, Evidence, Finding, Level, RuleRef};

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s.as_bytes()).unwrap()
}

pub fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A full finding: every contract field set.
pub fn sample(level: Level) -> Finding {
    let rule = RuleRef {
        id: "5f6c1a2b-0000-4000-8000-000000000001".into(),
        title: "Bulk export of patient records".into(),
        level,
        author: None,
        source: None,
    };
    let mut f = Finding::new(Detector::Sigma, rule, ts("2026-11-28T10:00:00.5Z"));
    f.end_time = ts("2026-11-28T10:05:00Z");
    f.tags = tags(&["attack.exfiltration", "attack.t1567.002", "attack.g0016"]);
    f.attack = attack_from_tags(&f.tags);
    f.entity.user = Some("alice".into());
    f.entity.host = Some("ws-17".into());
    f.summary = "alice exported 12000 rows from ehr.patients".into();
    f.evidence.push(Evidence {
        source: "logs/pgaudit.log:17".into(),
        time: f.time,
        record: None,
    });
    f.evidence.push(Evidence {
        source: "logs/pgaudit.log:42".into(),
        time: f.end_time,
        record: None,
    });
    f.metrics.insert("rows".into(), 12000.0);
    f.metrics.insert("z".into(), 7.5);
    f.refresh_id();
    f
}
