//! The chain `phiwatch demo` runs over the logs it generated, in one pass:
//! every detector (findings to `findings.jsonl`), the data-access ledger
//! and the per-dataset counts on the way; the store; the incident, its
//! scope and the HIPAA determination; the documents; the ground-truth
//! check. The same steps as `hunt --store`, then `scope --incident`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use phiwatch_event::{Event, Timestamp};
use phiwatch_finding::Finding;
use phiwatch_ingest::{Report, SourceInfo};
use phiwatch_inventory::{Inventory, PatientTables};
use phiwatch_scope::{Ledger, ScopeBuilder, ScopeConfig};
use phiwatch_synth::{GenConfig, GenReport};

use super::detections::{main_incident, Detections};
use super::look::Look;
use super::text::{day_text, secs_text, under};
use super::truth::{self, CheckInput, TruthCheck};
use crate::events::InputArgs;
use crate::hunt::{self, Detected, HuntArgs};
use crate::hunt_analytics::{self, internal_networks};
use crate::output::open_output;
use crate::scope::{make_report, write_documents};
use crate::scope_hipaa::HipaaArgs;
use crate::{hunt_store, CliError};

/// Where a demo's inputs and outputs are.
#[derive(Debug, Clone)]
pub(super) struct Paths {
    pub(super) logs: PathBuf,
    pub(super) inventory: PathBuf,
    pub(super) truth: PathBuf,
    pub(super) findings: PathBuf,
    pub(super) db: PathBuf,
    pub(super) report: PathBuf,
}

/// The file names of the chain's outputs under the demo directory (also
/// what a new demo clears).
pub(super) const FINDINGS: &str = "findings.jsonl";
pub(super) const DB: &str = "phiwatch.db";
pub(super) const REPORT: &str = "report";

impl Paths {
    pub(super) fn new(out: &Path, gen: &GenReport) -> Paths {
        Paths {
            logs: out.join("logs"),
            inventory: under(out, &gen.inventory),
            truth: under(out, &gen.truth),
            findings: out.join(FINDINGS),
            db: out.join(DB),
            report: out.join(REPORT),
        }
    }
}

/// What the chain found and wrote.
pub(super) struct Chain {
    /// Events by dataset.
    pub(super) look: Look,
    /// Every source read, with its format and counts.
    pub(super) ingest: Report,
    /// Events read.
    pub(super) events: u64,
    /// The exit code of the reading (runtime error when a source failed).
    pub(super) exit: u8,
    pub(super) detections: Detections,
    /// The incident scoped (highest level, then score).
    pub(super) incident: Option<Finding>,
    /// The report on it: its scope and the HIPAA determination.
    pub(super) report: Option<phiwatch_report::Report>,
    /// The documents written (under `report/`).
    pub(super) documents: Vec<PathBuf>,
    pub(super) truth: TruthCheck,
    /// The date of discovery assumed: the day after the last generated day.
    pub(super) discovered: String,
    /// Ledger entries kept in the store.
    pub(super) accesses: usize,
}

/// The inventory and its patient lists.
fn load_inventory(path: &Path) -> Result<(Inventory, PatientTables), CliError> {
    let inv = hunt_analytics::inventory(Some(path))?.unwrap_or_default();
    let patients = inv.load_patients().map_err(|e| {
        CliError::Runtime(anyhow::anyhow!(
            "{}: {} problem{} in the patients lists:\n{e}",
            path.display(),
            e.0.len(),
            if e.0.len() == 1 { "" } else { "s" }
        ))
    })?;
    Ok((inv, patients))
}

/// `hunt LOGS --inventory FILE` as the demo runs it: every detector, quiet.
fn hunt_args(paths: &Paths) -> HuntArgs {
    HuntArgs::every_detector(
        InputArgs::defaults(vec![paths.logs.display().to_string()], true),
        paths.inventory.clone(),
    )
}

/// One pass over the logs: the findings (written to `findings.jsonl` and
/// kept), the events counted by dataset and the data-access ledger.
fn detect(paths: &Paths, inv: &Inventory) -> Result<(Detected, Look, Ledger), CliError> {
    let args = hunt_args(paths);
    let out = open_output(Some(&paths.findings))?;
    let mut look = Look::default();
    let mut ledger = hunt_store::ledger(inv);
    let mut tap = |ev: &Event, sources: &[SourceInfo]| {
        look.add(ev);
        ledger.observe(ev, inv, || {
            hunt::evidence(sources, &ev.origin(), ev.time()).source
        });
    };
    let det = hunt::detect(&args, out, Some(&mut tap), true)?;
    Ok((det, look, ledger))
}

/// The incident's scope, the report on it and its documents.
fn report_on(
    incident: &Finding,
    discovered: &str,
    ledger: &Ledger,
    det: &Detected,
    paths: &Paths,
    (inv, patients): (&Inventory, &PatientTables),
) -> Result<(phiwatch_report::Report, Vec<PathBuf>), CliError> {
    let mut cfg = ScopeConfig::from_incident(incident, ledger.last_time());
    cfg.internal = internal_networks(inv);
    let mut b = ScopeBuilder::new(cfg, inv, patients);
    b.ledger(ledger);
    for f in &det.findings {
        b.finding(f);
    }
    let result = b.finish();
    let hipaa = HipaaArgs {
        discovered: Some(discovered.to_string()),
        ..HipaaArgs::default()
    };
    let report = make_report(&hipaa, result.scope, inv, Some(incident))?;
    let documents = write_documents(&paths.report, &report, None)?;
    Ok((report, documents))
}

/// Runs the chain over the generated data.
pub(super) fn run_chain(cfg: &GenConfig, paths: &Paths) -> Result<Chain, CliError> {
    let (inv, patients) = load_inventory(&paths.inventory)?;
    let started = Timestamp::now();
    let t = Instant::now();
    let (det, look, ledger) = detect(paths, &inv)?;
    hunt_store::keep(&paths.db, started, &det, &ledger, true)?;
    eprintln!(
        "phiwatch: read {} events, {} findings, {} data accesses in {}; scoping …",
        det.events,
        det.findings.len(),
        ledger.accesses.len(),
        secs_text(t.elapsed().as_secs_f64())
    );
    let incident = main_incident(&det.findings).cloned();
    let discovered = day_text(cfg.start_secs + i64::from(cfg.days) * 86_400);
    let (report, documents) = match &incident {
        Some(i) => {
            let (r, d) = report_on(i, &discovered, &ledger, &det, paths, (&inv, &patients))?;
            (Some(r), d)
        }
        None => (None, Vec::new()),
    };
    let truth = truth::check(&CheckInput {
        truth_path: &paths.truth,
        ledger: &ledger,
        inv: &inv,
        patients: &patients,
        incident: report.as_ref().map(|r| &r.scope),
    })?;
    Ok(Chain {
        detections: Detections::of(&det.findings),
        look,
        ingest: det.ingest,
        events: det.events,
        exit: det.exit,
        incident,
        report,
        documents,
        truth,
        discovered,
        accesses: ledger.accesses.len(),
    })
}
