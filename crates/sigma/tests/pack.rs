//! The healthcare rule pack (`rules/healthcare/`): every rule file has a
//! `tests/<name>/match.*` that must fire it and a `nomatch.*` (a near miss)
//! that must not, with the whole pack loaded as in production. The pack's
//! shape is checked too: at least 25 rules, ATT&CK tags on each, a test pair
//! for each file, every rule on a log source phiwatch produces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiwatch_event::Event;
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig};
use phiwatch_sigma::{Engine, EngineConfig, Hit, RuleKind, RuleSet};

/// ATT&CK tactics as Sigma tags name them.
const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

fn pack_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/healthcare")
}

/// The pack's rule files (`*.yml` directly in the pack directory), sorted.
fn rule_files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(pack_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    out.sort();
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// `tests/<stem>/<kind>.*` for a rule file, if present.
fn test_file(rule: &Path, kind: &str) -> Option<PathBuf> {
    let dir = pack_dir().join("tests").join(stem(rule));
    let prefix = format!("{kind}.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Every event of a file in time order, with the number of rejected records.
fn read_events(path: &Path) -> (Vec<Event>, u64) {
    let inputs = resolve_inputs(&[path.display().to_string()]);
    let sink = Arc::new(CollectSink::default());
    let mut run = Ingest::start(
        inputs.inputs,
        inputs.errors,
        IngestConfig::default(),
        sink.clone(),
    );
    let events: Vec<Event> = run.by_ref().collect();
    let report = run.finish();
    (events, report.totals().rejected)
}

fn load_pack() -> (RuleSet, Engine) {
    let set = RuleSet::load_paths(&[pack_dir()]);
    let errors: Vec<String> = set.errors().iter().map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "pack does not load:\n{}",
        errors.join("\n")
    );
    let engine = Engine::build(&set, &EngineConfig::default());
    let errors: Vec<String> = engine.errors().iter().map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "pack does not compile:\n{}",
        errors.join("\n")
    );
    assert!(
        engine.correlation_errors().is_empty(),
        "correlations do not compile: {:?}",
        engine.correlation_errors()
    );
    assert!(
        engine.warnings().is_empty(),
        "pack compiles with warnings:\n{}",
        engine.warnings().join("\n")
    );
    (set, engine)
}

/// The rule a file's tests are about: its correlation if it has one, else
/// its (single) detection rule.
fn target_rule(engine: &Engine, file: &Path) -> Option<usize> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let of_file: Vec<usize> = (0..engine.rules().len())
        .filter(|&i| {
            let p = &engine.rules()[i].path;
            Path::new(&**p)
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == name)
        })
        .collect();
    of_file
        .iter()
        .copied()
        .find(|&i| engine.rules()[i].kind == RuleKind::Correlation)
        .or_else(|| of_file.first().copied())
}

/// Whether rule `target` fires on the events of `file`; `Err` when the file
/// does not decode cleanly.
fn fires(engine: &Engine, target: usize, file: &Path) -> Result<bool, String> {
    let (events, rejected) = read_events(file);
    if rejected > 0 || events.is_empty() {
        return Err(format!("{} events, {rejected} rejected", events.len()));
    }
    let mut session = engine.session();
    let mut hits: Vec<Hit> = Vec::new();
    for ev in &events {
        session.process(ev, &mut hits);
    }
    session.finish(&mut hits);
    Ok(hits.iter().any(|h| h.rule == target))
}

/// One line of the failure table.
fn check_file(engine: &Engine, file: &Path) -> Vec<String> {
    let name = stem(file);
    let Some(target) = target_rule(engine, file) else {
        return vec![format!("{name:<45} no rule loaded from this file")];
    };
    let id = &engine.rules()[target].id;
    let mut out = Vec::new();
    for (kind, want) in [("match", true), ("nomatch", false)] {
        let Some(path) = test_file(file, kind) else {
            out.push(format!(
                "{name:<45} {kind:<8} missing tests/{name}/{kind}.*"
            ));
            continue;
        };
        match fires(engine, target, &path) {
            Ok(got) if got == want => {}
            Ok(got) => out.push(format!(
                "{name:<45} {kind:<8} rule {id} fired={got}, expected {want}"
            )),
            Err(e) => out.push(format!("{name:<45} {kind:<8} bad test file: {e}")),
        }
    }
    out
}

#[test]
fn every_rule_fires_on_its_match_file_and_not_on_its_near_miss() {
    let (_set, engine) = load_pack();
    let files = rule_files();
    let failures: Vec<String> = files.iter().flat_map(|f| check_file(&engine, f)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} rule files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn pack_has_enough_rules_each_with_attack_tags_and_data() {
    let (_set, engine) = load_pack();
    let files = rule_files();
    assert!(files.len() >= 25, "only {} rule files", files.len());
    assert!(
        engine.rules().len() >= 25,
        "only {} rules loaded",
        engine.rules().len()
    );
    let mut problems = Vec::new();
    for r in engine.rules() {
        let technique = r.tags.iter().any(|t| {
            t.strip_prefix("attack.t")
                .is_some_and(|n| n.len() >= 4 && n[..4].bytes().all(|b| b.is_ascii_digit()))
        });
        let tactic = r.tags.iter().any(|t| {
            t.strip_prefix("attack.")
                .is_some_and(|n| TACTICS.contains(&n))
        });
        if !technique || !tactic {
            problems.push(format!("{}: tags {:?}", r.title, r.tags));
        }
        if r.id.is_empty() {
            problems.push(format!("{}: no id", r.title));
        }
        if r.kind == RuleKind::Detection && !r.has_data {
            problems.push(format!(
                "{}: no phiwatch events for {}",
                r.title, r.logsource
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_file_has_both_test_files() {
    let missing: Vec<String> = rule_files()
        .iter()
        .flat_map(|f| {
            ["match", "nomatch"]
                .into_iter()
                .filter(|k| test_file(f, k).is_none())
                .map(move |k| format!("{}: no tests/{}/{k}.*", stem(f), stem(f)))
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
