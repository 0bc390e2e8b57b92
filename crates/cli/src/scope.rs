//! `phiwatch scope`: the breach scope of a window and its actors (or of an
//! incident), from logs or from a store: silos, records, patients by
//! state, PHI categories, bytes out, the timeline.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use phiwatch_event::{Event, Timestamp};
use phiwatch_finding::{Detector, Finding};
use phiwatch_ingest::SourceInfo;
use phiwatch_inventory::{Inventory, PatientTables};
use phiwatch_scope::{Actor, Ledger, ScopeBuilder, ScopeConfig, ScopeResult};

use crate::events::{parse_time, InputArgs};
use crate::hunt::{self, HuntArgs};
use crate::hunt_analytics::{self, internal_networks};
use crate::hunt_store::store_err;
use crate::output::open_output;
use crate::scope_hipaa::{self, HipaaArgs};
use crate::{exit, CliError};

#[derive(Args, Debug)]
pub struct ScopeArgs {
    /// Logs to read: files, directories (recursive) or globs; without them,
    /// --store.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Read the ledger and findings `hunt --store DB` kept instead of logs.
    #[arg(long, value_name = "DB")]
    pub store: Option<PathBuf>,

    /// The inventory (TOML, PRODUCT.md): silos, their PHI categories and
    /// patients CSVs, internal networks, vendors.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,

    /// Start of the breach window (RFC 3339, a date, or epoch seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<Timestamp>,

    /// End of the breach window (RFC 3339, a date: the end of that day, or
    /// epoch seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_end_time)]
    pub to: Option<Timestamp>,

    /// Who: `user:NAME` (any spelling of the account: `acme_support` is
    /// also `acme.support@…`), `ip:ADDRESS`, `ip:CIDR`, `host:NAME`;
    /// repeatable. None: everyone in the window.
    #[arg(long = "actor", value_name = "KIND:VALUE", value_parser = parse_actor)]
    pub actors: Vec<Actor>,

    /// Scope an incident (`detector: incident` finding id, or a unique
    /// prefix): from its first finding to the end of the data (give --to
    /// when it was contained), its actors and its findings; --from, --to
    /// and --actor then change the window or add actors.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,

    /// Output form: json (the scope report) or html (the same, as a
    /// self-contained page).
    #[arg(long, value_enum, default_value_t = ScopeFormat::Json)]
    pub format: ScopeFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write every document into DIR: report.html, report.json,
    /// forensic-summary.md, attack-layer.json (ATT&CK Navigator), iocs.csv
    /// and the notice letter drafts under letters/.
    #[arg(long, value_name = "DIR")]
    pub documents: Option<PathBuf>,

    /// Write the affected individuals (patient_id,state,deceased,contact)
    /// to FILE. It is PHI: written only when asked, readable by the owner
    /// only.
    #[arg(long, value_name = "FILE")]
    pub individuals: Option<PathBuf>,

    /// Read every source as this format instead of detecting it.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,

    /// PostgreSQL `log_line_prefix` of stderr logs (autodetected when not
    /// given).
    #[arg(long, value_name = "PREFIX")]
    pub pg_prefix: Option<String>,

    /// Worker threads for reading (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub hipaa: HipaaArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScopeFormat {
    /// The scope report as JSON.
    Json,
    /// A self-contained HTML page.
    Html,
}

/// `--to`: like `--from`, but a date alone means the end of that day.
fn parse_end_time(s: &str) -> Result<Timestamp, String> {
    let t = parse_time(s)?;
    if s.len() == 10 {
        return Ok(Timestamp::from_nanos(
            t.as_nanos().saturating_add(86_400_000_000_000 - 1),
        ));
    }
    Ok(t)
}

fn parse_actor(s: &str) -> Result<Actor, String> {
    s.parse::<Actor>().map_err(|e| e.to_string())
}

/// The inventory and its patient lists, every problem at once.
fn load_inventory(path: &std::path::Path) -> Result<(Inventory, PatientTables), CliError> {
    let Some(inv) = hunt_analytics::inventory(Some(path))? else {
        return Err(CliError::Usage("--inventory is required".into()));
    };
    let patients = inv.load_patients().map_err(|e| {
        CliError::Usage(format!(
            "--inventory: {} problem{} in the patients lists:\n{e}",
            e.0.len(),
            if e.0.len() == 1 { "" } else { "s" }
        ))
    })?;
    Ok((inv, patients))
}

/// The logs read with every detector (for the timeline, the ATT&CK chain
/// and incidents) and the ledger collected on the way.
fn from_logs(args: &ScopeArgs, inv: &Inventory) -> Result<(Ledger, Vec<Finding>, u8), CliError> {
    let mut input = InputArgs::defaults(args.paths.clone(), args.quiet);
    input.input_format = match &args.input_format {
        Some(f) => Some(
            phiwatch_decode::Format::from_name(f)
                .ok_or_else(|| CliError::Usage(format!("--input-format {f}: unknown format")))?,
        ),
        None => None,
    };
    input.pg_prefix = args.pg_prefix.clone();
    input.threads = args.threads;
    let hunt_args = HuntArgs::every_detector(input, args.inventory.clone());
    let mut ledger = Ledger::new(internal_networks(inv));
    let mut tap = |ev: &Event, sources: &[SourceInfo]| {
        ledger.observe(ev, inv, || {
            hunt::evidence(sources, &ev.origin(), ev.time()).source
        });
    };
    let det = hunt::detect(&hunt_args, Box::new(io::sink()), Some(&mut tap), true)?;
    Ok((ledger, det.findings, det.exit))
}

/// The scope from what `hunt --store` kept: the ledger, the coverage and
/// the findings of the window.
fn from_store(
    args: &ScopeArgs,
    db: &std::path::Path,
    inv: &Inventory,
    patients: &PatientTables,
) -> Result<(ScopeResult, Option<Finding>, u8), CliError> {
    if !db.exists() {
        return Err(CliError::Usage(format!(
            "--store {}: no such file (write one with `phiwatch hunt LOGS --inventory FILE --store DB`)",
            db.display()
        )));
    }
    let store = phiwatch_store::Store::open_existing(db).map_err(store_err)?;
    let incident = match &args.incident {
        Some(id) => Some(find_incident(&store.incidents().map_err(store_err)?, id)?.clone()),
        None => None,
    };
    // The data ends with the last hour any log covers.
    let data_end = store
        .coverage(Timestamp::MIN, Timestamp::MAX)
        .map_err(store_err)?
        .iter()
        .map(|(_, h)| *h)
        .max()
        .map(|h| {
            Timestamp::from_nanos(
                h.saturating_add(1)
                    .saturating_mul(phiwatch_store::HOUR_NS)
                    .saturating_sub(1),
            )
        });
    let mut cfg = config(args, incident.as_ref(), data_end)?;
    cfg.internal = internal_networks(inv);
    let (from, to) = (cfg.from, cfg.to);
    let mut b = ScopeBuilder::new(cfg, inv, patients);
    for a in store.accesses(from, to).map_err(store_err)? {
        b.access(&a);
    }
    for f in store.flows(from, to).map_err(store_err)? {
        b.flow(&f);
    }
    for (kind, hour) in store.coverage(from, to).map_err(store_err)? {
        b.covered(
            &kind,
            Timestamp::from_nanos(hour.saturating_mul(phiwatch_store::HOUR_NS)),
        );
    }
    for f in store.findings(from, to).map_err(store_err)? {
        b.finding(&f);
    }
    Ok((b.finish(), incident, exit::OK))
}

/// The incident `id` (or unique prefix) among `findings`.
fn find_incident<'a>(findings: &'a [Finding], id: &str) -> Result<&'a Finding, CliError> {
    let matches: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.detector == Detector::Incident && f.id.starts_with(id))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::Usage(format!(
            "--incident {id}: no incident with that id ({} incidents found)",
            findings
                .iter()
                .filter(|f| f.detector == Detector::Incident)
                .count()
        ))),
        many => Err(CliError::Usage(format!(
            "--incident {id}: {} incidents start with it; give more of the id",
            many.len()
        ))),
    }
}

/// The window and actors: from the incident when given, then the flags.
fn config(
    args: &ScopeArgs,
    incident: Option<&Finding>,
    data_end: Option<Timestamp>,
) -> Result<ScopeConfig, CliError> {
    let mut cfg = match incident {
        Some(f) => ScopeConfig::from_incident(f, data_end),
        None => {
            let (Some(from), Some(to)) = (args.from, args.to) else {
                return Err(CliError::Usage(
                    "give the breach window (--from and --to) or an --incident".into(),
                ));
            };
            ScopeConfig {
                from,
                to,
                ..ScopeConfig::default()
            }
        }
    };
    if let Some(from) = args.from {
        cfg.from = from;
    }
    if let Some(to) = args.to {
        cfg.to = to;
    }
    if cfg.from > cfg.to {
        return Err(CliError::Usage(format!(
            "the window ends ({}) before it starts ({})",
            cfg.to.to_rfc3339(),
            cfg.from.to_rfc3339()
        )));
    }
    cfg.actors.0.extend(args.actors.iter().cloned());
    Ok(cfg)
}

pub fn run(args: ScopeArgs) -> Result<u8, CliError> {
    if args.paths.is_empty() && args.store.is_none() {
        return Err(CliError::Usage(
            "give logs to read (PATH…) or a store (--store DB)".into(),
        ));
    }
    if !args.paths.is_empty() && args.store.is_some() {
        return Err(CliError::Usage(
            "give logs (PATH…) or --store DB, not both".into(),
        ));
    }
    let (inv, patients) = load_inventory(&args.inventory)?;
    let (result, incident, code) = match &args.store {
        Some(db) => from_store(&args, db, &inv, &patients)?,
        None => {
            let (ledger, findings, code) = from_logs(&args, &inv)?;
            let incident = match &args.incident {
                Some(id) => Some(find_incident(&findings, id)?.clone()),
                None => None,
            };
            let mut cfg = config(&args, incident.as_ref(), ledger.last_time())?;
            cfg.internal = internal_networks(&inv);
            let mut b = ScopeBuilder::new(cfg, &inv, &patients);
            b.ledger(&ledger);
            for f in &findings {
                b.finding(f);
            }
            (b.finish(), incident, code)
        }
    };
    let incident = incident.as_ref();
    let report = make_report(&args.hipaa, result.scope.clone(), &inv, incident)?;
    write_report(&args, &report)?;
    if let Some(dir) = &args.documents {
        write_documents(dir, &report, None)?;
    }
    if let Some(path) = &args.individuals {
        write_private(path, &phiwatch_report::individuals_csv(&result.affected))?;
    }
    if !args.quiet {
        summary(&result, &report.hipaa)?;
        if let Some(dir) = &args.documents {
            eprintln!("phiwatch: scope: documents in {}", dir.display());
        }
        if let Some(path) = &args.individuals {
            eprintln!(
                "phiwatch: scope: {} affected individuals listed in {} (PHI: keep it safe)",
                result.affected.len(),
                path.display()
            );
        }
    }
    Ok(code)
}

/// The report: the determination made on the scope's facts and the
/// officer's flags.
pub(crate) fn make_report(
    hipaa: &HipaaArgs,
    scope: phiwatch_scope::Scope,
    inv: &Inventory,
    incident: Option<&Finding>,
) -> Result<phiwatch_report::Report, CliError> {
    let (facts, assumed) =
        scope_hipaa::facts(hipaa, &scope, inv, incident.map(|f| f.summary.clone()))?;
    let mut report = phiwatch_report::Report::new(scope, facts, Timestamp::now());
    if assumed {
        report.hipaa.to_complete.insert(
            0,
            phiwatch_hipaa::ToComplete {
                item: format!(
                    "the date of discovery: {} (today) was assumed; give --discovered",
                    report.facts.discovered
                ),
                cite: "45 CFR 164.404(a)(2)".into(),
            },
        );
    }
    Ok(report)
}

fn write_report(args: &ScopeArgs, r: &phiwatch_report::Report) -> Result<(), CliError> {
    let mut out = open_output(args.output.as_ref())?;
    match args.format {
        ScopeFormat::Json => {
            out.write_all(
                r.to_json()
                    .map_err(|e| CliError::Runtime(e.into()))?
                    .as_bytes(),
            )?;
            writeln!(out)?;
        }
        ScopeFormat::Html => out.write_all(phiwatch_report::html(r).as_bytes())?,
    }
    out.flush()?;
    Ok(())
}

/// Writes every document into `dir` (created); `affected` adds the
/// individuals list (PHI).
pub(crate) fn write_documents(
    dir: &std::path::Path,
    r: &phiwatch_report::Report,
    affected: Option<&[phiwatch_inventory::Patient]>,
) -> Result<Vec<PathBuf>, CliError> {
    let docs = phiwatch_report::documents(r, affected).map_err(|e| CliError::Runtime(e.into()))?;
    let mut written = Vec::new();
    for d in docs {
        let path = dir.join(&d.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                CliError::Runtime(anyhow::anyhow!("cannot create {}: {e}", parent.display()))
            })?;
        }
        if d.phi {
            write_private(&path, &d.content)?;
        } else {
            std::fs::write(&path, &d.content).map_err(|e| {
                CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display()))
            })?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Writes a file only its owner can read (PHI).
fn write_private(path: &std::path::Path, content: &str) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display())))?;
    // A file that existed keeps its mode on open: narrow it before writing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| {
                CliError::Runtime(anyhow::anyhow!("cannot protect {}: {e}", path.display()))
            })?;
    }
    f.write_all(content.as_bytes())
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// The key numbers on stderr.
fn summary(r: &ScopeResult, h: &phiwatch_hipaa::Determination) -> io::Result<()> {
    let s = &r.scope;
    let mut err = io::stderr().lock();
    writeln!(
        err,
        "phiwatch: scope: {} silos, {} individuals in {} states ({} deceased, {} without contact details), {} bytes out to {} destinations; {} accesses by the actors, {} findings in scope",
        s.silos.len(),
        s.individuals.total,
        s.individuals.by_state.len(),
        s.individuals.deceased,
        s.individuals.without_contact,
        s.exfiltration.bytes,
        s.exfiltration.destinations.len(),
        s.totals.accesses_in_scope,
        s.totals.findings_in_scope,
    )?;
    match (h.individual_deadline, h.hhs.deadline, h.hhs.mode) {
        (Some(ind), Some(hhs), Some(mode)) => writeln!(
            err,
            "phiwatch: scope: HIPAA: breach {}; individual notice by {ind}; HHS {} by {hhs}; media notice in {}",
            if h.breach_presumed { "presumed" } else { "not presumed" },
            match mode {
                phiwatch_hipaa::HhsMode::Contemporaneous => "contemporaneous",
                phiwatch_hipaa::HhsMode::AnnualLog => "annual log",
            },
            if h.media_states.is_empty() {
                "no state".into()
            } else {
                h.media_states.join(", ")
            },
        )?,
        _ if s.individuals.total == 0 => writeln!(
            err,
            "phiwatch: scope: HIPAA: no deadlines computed: no affected individual counted"
        )?,
        _ => writeln!(err, "phiwatch: scope: HIPAA: no notice required: {}", h.reason)?,
    }
    for line in &s.review {
        writeln!(err, "phiwatch: scope: review: {line}")?;
    }
    Ok(())
}
