//! `ocsf`: OCSF 1.x Detection Finding objects, one per line.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::FindingSink;
use crate::attack::{self, ATTACK_VERSION};
use crate::finding::{Finding, Level, Tactic, Technique};

/// The OCSF schema version written in `metadata.version`.
pub const OCSF_VERSION: &str = "1.3.0";

/// Writes each finding as an OCSF Detection Finding (class 2004), one JSON
/// object per line.
///
/// Mapping:
///
/// | OCSF | from the finding |
/// |---|---|
/// | `class_uid` 2004, `category_uid` 2, `activity_id` 1 (Create), `type_uid` 200401 | constant, with their `*_name` captions |
/// | `time`, `start_time` / `end_time` | `time` / `time`, `end_time`, epoch milliseconds |
/// | `severity_id`, `severity` | rule level: informational 1, low 2, medium 3, high 4, critical 5 |
/// | `status_id` 1 (New) | constant |
/// | `message` | `summary` |
/// | `risk_score` | `score` × 100, rounded |
/// | `finding_info.uid` / `title` / `desc` | `id` / rule title / `summary` |
/// | `finding_info.types` | `[detector]` |
/// | `finding_info.analytic` | `{uid: rule id, name: rule title, type_id: 1, type: "Rule"}` |
/// | `finding_info.attacks` | one entry per (tactic, technique) pair the ATT&CK data links; a technique with no linked tactic, or a tactic with no technique, gets an entry alone. A sub-technique goes in `sub_technique`, its parent in `technique`. `version` is the ATT&CK release. A tactic missing from the embedded data uses its shortname as `uid`. |
/// | `finding_info.first_seen_time` / `last_seen_time` | `time` / `end_time`, epoch ms |
/// | `evidences` | `[{data: {source: "path:line", time: RFC 3339}}]` |
/// | `metadata` | `{product: {name: "phiwatch", vendor_name: "phiwatch"}, version: "1.3.0"}` |
/// | `observables` | user (type_id 4, User Name), host (1, Hostname), ip (2, IP Address) |
/// | `unmapped.phiwatch` | `detector`, `score`, `metrics`, `tags`, `group` |
#[derive(Debug)]
pub struct OcsfSink<W: Write> {
    out: W,
}

impl<W: Write> OcsfSink<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Self {
        OcsfSink { out }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> FindingSink for OcsfSink<W> {
    fn write(&mut self, f: &Finding) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, &to_ocsf(f))?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn severity_name(level: Level) -> &'static str {
    match level {
        Level::Informational => "Informational",
        Level::Low => "Low",
        Level::Medium => "Medium",
        Level::High => "High",
        Level::Critical => "Critical",
    }
}

fn millis(t: phiwatch_event::Timestamp) -> i64 {
    t.as_nanos().div_euclid(1_000_000)
}

/// The OCSF Detection Finding object for one finding.
pub fn to_ocsf(f: &Finding) -> Value {
    let (time, end) = (millis(f.time), millis(f.end_time));
    let evidences: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| json!({ "data": { "source": e.source, "time": e.time.to_rfc3339() } }))
        .collect();
    let risk = if f.score.is_finite() {
        (f.score.clamp(0.0, 1.0) * 100.0).round() as i64
    } else {
        0
    };
    json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": time,
        "start_time": time,
        "end_time": end,
        "severity_id": f.rule.level.ocsf_severity_id(),
        "severity": severity_name(f.rule.level),
        "status_id": 1,
        "status": "New",
        "message": f.summary,
        "risk_score": risk,
        "finding_info": {
            "uid": f.id,
            "title": f.rule.title,
            "desc": f.summary,
            "types": [f.detector.as_str()],
            "analytic": { "uid": f.rule.id, "name": f.rule.title, "type_id": 1, "type": "Rule" },
            "attacks": attacks(&f.attack.tactics, &f.attack.techniques),
            "first_seen_time": time,
            "last_seen_time": end,
        },
        "evidences": evidences,
        "metadata": {
            "product": { "name": "phiwatch", "vendor_name": "phiwatch" },
            "version": OCSF_VERSION,
        },
        "observables": observables(f),
        "unmapped": { "phiwatch": {
            "detector": f.detector.as_str(),
            "score": f.score,
            "metrics": f.metrics,
            "tags": f.tags,
            "group": f.group,
        } },
    })
}

fn observables(f: &Finding) -> Vec<Value> {
    let e = &f.entity;
    [
        (&e.user, "entity.user", 4, "User Name"),
        (&e.host, "entity.host", 1, "Hostname"),
        (&e.ip, "entity.ip", 2, "IP Address"),
    ]
    .into_iter()
    .filter_map(|(v, name, type_id, ty)| {
        v.as_ref()
            .map(|v| json!({ "name": name, "type_id": type_id, "type": ty, "value": v }))
    })
    .collect()
}

fn tactic_obj(t: &Tactic) -> Value {
    let uid = if t.id.is_empty() { &t.shortname } else { &t.id };
    json!({ "uid": uid, "name": t.name })
}

/// `technique` (and `sub_technique` for `T1234.001`) members of one entry.
fn technique_members(t: &Technique, entry: &mut Map<String, Value>) {
    match t.id.split_once('.') {
        Some((parent, _)) => {
            let name = attack::technique(parent).map(|p| p.name).unwrap_or("");
            entry.insert("technique".into(), json!({ "uid": parent, "name": name }));
            entry.insert(
                "sub_technique".into(),
                json!({ "uid": t.id, "name": t.name }),
            );
        }
        None => {
            entry.insert("technique".into(), json!({ "uid": t.id, "name": t.name }));
        }
    }
}

/// Whether the ATT&CK data links technique `t` (or its parent) to tactic `ta`.
fn linked(t: &Technique, ta: &Tactic) -> bool {
    let info = attack::technique(&t.id)
        .or_else(|| t.id.split_once('.').and_then(|(p, _)| attack::technique(p)));
    info.is_some_and(|i| !ta.shortname.is_empty() && i.tactics.contains(&ta.shortname.as_str()))
}

fn attacks(tactics: &[Tactic], techniques: &[Technique]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut used = vec![false; tactics.len()];
    for t in techniques {
        let mut any = false;
        for (i, ta) in tactics.iter().enumerate() {
            if linked(t, ta) {
                any = true;
                used[i] = true;
                let mut entry = Map::new();
                entry.insert("tactic".into(), tactic_obj(ta));
                technique_members(t, &mut entry);
                entry.insert("version".into(), json!(ATTACK_VERSION));
                out.push(Value::Object(entry));
            }
        }
        if !any {
            let mut entry = Map::new();
            technique_members(t, &mut entry);
            entry.insert("version".into(), json!(ATTACK_VERSION));
            out.push(Value::Object(entry));
        }
    }
    for (ta, used) in tactics.iter().zip(used) {
        if !used {
            out.push(json!({ "tactic": tactic_obj(ta), "version": ATTACK_VERSION }));
        }
    }
    out
}
