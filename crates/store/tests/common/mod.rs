//! Fixtures for the store's tests: synthetic findings and ledger entries
//! (tests/data/*.jsonl) whose evidence points at small synthetic logs
//! (tests/data/logs/), re-pointed at whatever names a test registers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Detector, Finding};
use phiwatch_store::{content_hash, Access, RunId, RunInfo, Store};

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s.as_bytes()).unwrap()
}

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(data(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Rewrites `file:line` with `rename(file)`.
fn repoint(source: &str, rename: &dyn Fn(&str) -> String) -> String {
    let (file, line) = source.rsplit_once(':').unwrap();
    format!("{}:{line}", rename(file))
}

/// The fixture findings with their evidence under `rename(file)` and ids
/// recomputed as `hunt` would (incidents list their members' new ids).
pub fn findings_named(rename: &dyn Fn(&str) -> String) -> Vec<Finding> {
    let mut out: Vec<Finding> = lines("findings.jsonl")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut new_ids = HashMap::new();
    for f in out.iter_mut().filter(|f| f.detector != Detector::Incident) {
        for e in &mut f.evidence {
            e.source = repoint(&e.source, rename);
        }
        let old = f.id.clone();
        f.refresh_id();
        new_ids.insert(old, f.id.clone());
    }
    for f in out.iter_mut().filter(|f| f.detector == Detector::Incident) {
        for e in &mut f.evidence {
            e.source = repoint(&e.source, rename);
        }
        let members = f.group["findings"]
            .split(',')
            .map(|id| new_ids[id].clone())
            .collect::<Vec<_>>()
            .join(",");
        f.group.insert("findings".into(), members);
        f.refresh_id();
    }
    out
}

/// The fixture findings under `dir` (`logs/` gives `logs/a.log:3`).
pub fn findings_at(dir: &str) -> Vec<Finding> {
    findings_named(&|f| format!("{dir}{f}"))
}

/// The fixture ledger entries with their sources under `rename(file)`.
pub fn accesses_named(rename: &dyn Fn(&str) -> String) -> Vec<Access> {
    lines("accesses.jsonl")
        .iter()
        .map(|l| {
            let mut a: Access = serde_json::from_str(l).unwrap();
            a.source = repoint(&a.source, rename);
            a
        })
        .collect()
}

pub fn accesses_at(dir: &str) -> Vec<Access> {
    accesses_named(&|f| format!("{dir}{f}"))
}

pub fn info(command: &str) -> RunInfo {
    RunInfo {
        command: command.into(),
        args: vec!["--store".into(), "x.db".into(), "logs/".into()],
        version: "0.1.0-test".into(),
        started: ts("2026-11-29T08:00:00Z"),
    }
}

/// Registers fixture log `file` (under tests/data/logs) as `path`; gives
/// whether the content was new.
pub fn register(store: &mut Store, run: RunId, file: &str, path: &str) -> bool {
    let p = data("logs").join(file);
    let hash = content_hash(&p).unwrap();
    let bytes = std::fs::metadata(&p).unwrap().len();
    store.add_source(run, path, &hash, bytes).unwrap()
}
