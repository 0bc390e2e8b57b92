//! Re-ingesting renamed logs adds nothing: registers the test fixtures'
//! logs twice, the second time under other names, puts the fixture
//! findings and ledger entries each time, and prints what was added.
//!
//! `cargo run -p phiwatch-store --example reingest [DB]` (default: a new
//! file in the temporary directory).

use std::path::PathBuf;

use phiwatch_finding::{Detector, Finding};
use phiwatch_store::{content_hash, Access, RunInfo, RunTotals, Store, Timestamp};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn jsonl<T: serde::de::DeserializeOwned>(name: &str) -> Result<Vec<T>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(fixture(name))?;
    let mut out = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        out.push(serde_json::from_str(l)?);
    }
    Ok(out)
}

/// `a.log:3` → `{dir}a.log:3`, ids recomputed as `hunt` would.
fn findings(dir: &str) -> Result<Vec<Finding>, Box<dyn std::error::Error>> {
    let mut fs: Vec<Finding> = jsonl("findings.jsonl")?;
    let mut ids = std::collections::HashMap::new();
    for f in fs.iter_mut().filter(|f| f.detector != Detector::Incident) {
        for e in &mut f.evidence {
            e.source = format!("{dir}{}", e.source);
        }
        let old = std::mem::take(&mut f.id);
        f.refresh_id();
        ids.insert(old, f.id.clone());
    }
    for f in fs.iter_mut().filter(|f| f.detector == Detector::Incident) {
        for e in &mut f.evidence {
            e.source = format!("{dir}{}", e.source);
        }
        if let Some(m) = f.group.get_mut("findings") {
            let new: Vec<String> = m
                .split(',')
                .map(|id| ids.get(id).cloned().unwrap_or_else(|| id.to_string()))
                .collect();
            *m = new.join(",");
        }
        f.refresh_id();
    }
    Ok(fs)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = std::env::temp_dir().join(format!("phiwatch-store-{}.db", std::process::id()));
    let db = std::env::args().nth(1).map(PathBuf::from).unwrap_or(tmp);
    let mut store = Store::open(&db)?;
    for dir in ["logs/", "evidence/renamed-"] {
        let run = store.begin_run(&RunInfo {
            command: "hunt".into(),
            args: vec![dir.into()],
            version: env!("CARGO_PKG_VERSION").into(),
            started: Timestamp::now(),
        })?;
        let mut new_files = 0;
        for f in ["a.log", "b.log", "c.log"] {
            let p = fixture("logs").join(f);
            let bytes = std::fs::metadata(&p)?.len();
            new_files += u32::from(store.add_source(
                run,
                &format!("{dir}{f}"),
                &content_hash(&p)?,
                bytes,
            )?);
        }
        let fs = store.put_findings(run, &findings(dir)?)?;
        let mut ledger: Vec<Access> = jsonl("accesses.jsonl")?;
        for a in &mut ledger {
            a.source = format!("{dir}{}", a.source);
        }
        let ac = store.put_accesses(run, &ledger)?;
        store.finish_run(
            run,
            &RunTotals {
                events_read: 8,
                events_accepted: 8,
                events_rejected: 0,
                findings: fs,
                accesses: ac,
                finished: Timestamp::now(),
            },
        )?;
        println!(
            "run {run} ({dir}a.log …): {new_files} new files; findings {} new, {} duplicate; ledger {} new, {} duplicate",
            fs.new, fs.duplicate, ac.new, ac.duplicate
        );
    }
    let c = store.counts()?;
    println!(
        "store {}: schema v{}, {} runs, {} sources, {} findings ({} incident, {} members), {} ledger entries, {} entities",
        db.display(),
        store.schema_version()?,
        c.runs,
        c.sources,
        c.findings,
        c.incidents,
        c.incident_members,
        c.accesses,
        c.entities
    );
    Ok(())
}
