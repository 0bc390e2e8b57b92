//! `hunt --store DB`: the run's findings, data-access ledger and log
//! coverage kept in the embedded SQLite store, each input file registered
//! by the hash of its content so that the same logs read again (even
//! renamed) add nothing.

use std::io::{self, Write};
use std::path::Path;

use phiwatch_event::Timestamp;
use phiwatch_inventory::Inventory;
use phiwatch_scope::Ledger;
use phiwatch_store::{content_hash, RunInfo, RunTotals, Store};

use crate::hunt::Detected;
use crate::CliError;

/// An empty ledger with the inventory's internal networks.
pub fn ledger(inv: &Inventory) -> Ledger {
    Ledger::new(crate::hunt_analytics::internal_networks(inv))
}

/// A store error as a runtime error (its message names the file).
pub(crate) fn store_err(e: phiwatch_store::StoreError) -> CliError {
    CliError::Runtime(anyhow::anyhow!("{e}"))
}

/// Writes the run into the store at `db` and says what it added.
pub fn keep(
    db: &Path,
    started: Timestamp,
    det: &Detected,
    ledger: &Ledger,
    quiet: bool,
) -> Result<(), CliError> {
    let mut store = Store::open(db).map_err(store_err)?;
    let run = store
        .begin_run(&RunInfo {
            command: "hunt".into(),
            args: std::env::args().skip(1).collect(),
            version: env!("CARGO_PKG_VERSION").into(),
            started,
        })
        .map_err(store_err)?;
    let mut new_sources = 0u64;
    for s in &det.sources {
        if &*s.path == "-" {
            continue;
        }
        let hash = content_hash(Path::new(&*s.path)).map_err(|e| {
            CliError::Runtime(anyhow::anyhow!("--store: cannot hash {}: {e}", s.path))
        })?;
        let new = store
            .add_source(run, &s.path, &hash, s.size.unwrap_or(0))
            .map_err(store_err)?;
        new_sources += u64::from(new);
    }
    let findings = store.put_findings(run, &det.findings).map_err(store_err)?;
    let accesses = store
        .put_accesses(run, &ledger.accesses)
        .map_err(store_err)?;
    let flows = store.put_flows(run, &ledger.flows()).map_err(store_err)?;
    for (kind, hours) in &ledger.coverage {
        let hours: Vec<i64> = hours.iter().copied().collect();
        store.put_coverage(run, kind, &hours).map_err(store_err)?;
    }
    let (read, accepted, rejected) = det.records;
    store
        .finish_run(
            run,
            &RunTotals {
                events_read: read,
                events_accepted: accepted,
                events_rejected: rejected,
                findings,
                accesses,
                finished: Timestamp::now(),
            },
        )
        .map_err(store_err)?;
    if !quiet {
        let mut err = io::stderr().lock();
        writeln!(
            err,
            "phiwatch: hunt: store {}: run {run}: {} of {} input files new; findings {} added, {} already there; ledger {} accesses added, {} already there; {} hourly flows out added, {} already there",
            db.display(),
            new_sources,
            det.sources.len(),
            findings.new,
            findings.duplicate,
            accesses.new,
            accesses.duplicate,
            flows.new,
            flows.duplicate,
        )?;
    }
    Ok(())
}
