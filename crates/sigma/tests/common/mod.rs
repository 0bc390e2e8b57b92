//! Shared helpers for the Sigma integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use phiwatch_event::Event;
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order};
use phiwatch_sigma::{Engine, EngineConfig, RuleSet};

/// The SigmaHQ rule folders copied into tests/data/sigmahq.
pub fn sigmahq_dirs() -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigmahq");
    ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| base.join(d))
        .collect()
}

/// The whole SigmaHQ set, loaded once per test binary.
pub fn sigmahq() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| RuleSet::load_paths(&sigmahq_dirs()))
}

/// An engine over the whole SigmaHQ set, built once per test binary.
pub fn sigmahq_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::build(sigmahq(), &EngineConfig::default()))
}

/// The regression corpus (EVTX + JSON twins + info.yml), kept by the ingest crate.
pub fn regression_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/data/evtx")
}

/// Every event of a file, in file order, with the rejections.
pub fn read_events(path: &Path) -> (Vec<Event>, u64) {
    let inputs = resolve_inputs(&[path.display().to_string()]);
    let sink = Arc::new(CollectSink::default());
    let cfg = IngestConfig {
        order: Order::Arrival,
        threads: 1,
        ..IngestConfig::default()
    };
    let mut run = Ingest::start(inputs.inputs, inputs.errors, cfg, sink.clone());
    let events: Vec<Event> = run.by_ref().collect();
    let report = run.finish();
    (events, report.totals().rejected)
}

/// Files under `dir` (recursive) whose name ends with `suffix`, sorted.
pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
