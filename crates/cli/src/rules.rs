//! `phiwatch rules check`: load Sigma rules, say what failed and why, and
//! what phiwatch can run.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use phiwatch_sigma::{Engine, EngineConfig, RuleKind, RuleSet, Taxonomy};

use crate::{exit, CliError};

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Load Sigma rules and report per-rule errors, counts by log source and
    /// loaded/failed totals.
    ///
    /// Directories are read recursively for *.yml and *.yaml. Each failure is
    /// printed as `path: rule 'title': reason`. A rule whose log source
    /// phiwatch reads no events for (macOS, GCP, …) loads but is never run;
    /// it is counted under NO DATA. Exit status is 0 even when rules fail,
    /// unless --strict.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rule files or directories.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Also check the built-in healthcare pack (the default when no PATH is given).
    #[arg(long)]
    pub builtin: bool,

    /// Exit with status 1 when any rule fails to load or compile.
    #[arg(long)]
    pub strict: bool,

    /// Output form: `table` (failures, then counts by log source) or `jsonl`
    /// (one object per rule and per failure).
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// How rules are compiled: shared by `rules check` and `hunt`.
#[derive(Args, Debug)]
pub struct EngineArgs {
    /// Extra log-source classes and field mappings (TOML, the format of
    /// crates/sigma/data/logsources.toml), added to the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Values for `expand` placeholders: a TOML file of `name = ["value", …]`
    /// (the name without its percent signs), e.g. `Admins_Workstations =
    /// ["ws-admin-*"]`. Without it, a placeholder value never matches.
    #[arg(long, value_name = "FILE")]
    pub placeholders: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Human-readable.
    Table,
    /// One JSON object per line.
    Jsonl,
}

pub fn run(args: RulesArgs) -> Result<u8, CliError> {
    match args.command {
        RulesCommand::Check(a) => check(a),
    }
}

/// The engine configuration with a user's taxonomy extension and
/// placeholder values, if any. A file that cannot be read or parsed is a
/// usage error, like a missing `--rules` path.
pub fn engine_config(args: &EngineArgs) -> Result<EngineConfig, CliError> {
    let mut cfg = EngineConfig::default();
    let read = |p: &PathBuf, what: &str| {
        std::fs::read_to_string(p)
            .map_err(|e| CliError::Usage(format!("cannot read {what} {}: {e}", p.display())))
    };
    if let Some(p) = &args.placeholders {
        let text = read(p, "placeholders")?;
        cfg.placeholders = toml::from_str::<HashMap<String, Vec<String>>>(&text).map_err(|e| {
            CliError::Usage(format!(
                "{}: {}",
                p.display(),
                e.to_string().replace('\n', " ")
            ))
        })?;
    }
    if let Some(p) = &args.taxonomy {
        let text = read(p, "taxonomy")?;
        let extra = Taxonomy::from_toml(&text, &p.display().to_string()).map_err(|errs| {
            CliError::Usage(
                errs.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
        cfg.taxonomy.extend(extra);
    }
    Ok(cfg)
}

fn check(args: CheckArgs) -> Result<u8, CliError> {
    for p in &args.paths {
        if !p.exists() {
            return Err(CliError::Usage(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    let mut set = RuleSet::load_paths(&args.paths);
    if args.builtin || args.paths.is_empty() {
        set.extend(RuleSet::builtin());
    }
    let cfg = engine_config(&args.engine)?;
    let engine = Engine::build(&set, &cfg);
    let mut out = io::stdout().lock();
    let written = match args.format {
        CheckFormat::Table => write_table(&mut out, &set, &engine),
        CheckFormat::Jsonl => write_jsonl(&mut out, &set, &engine),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    let failed = set.errors().len() + engine.errors().len() + engine.correlation_errors().len();
    Ok(if args.strict && failed > 0 {
        exit::RUNTIME
    } else {
        exit::OK
    })
}

/// Counts by log source: (runs, no data).
fn by_logsource(engine: &Engine) -> BTreeMap<&str, (usize, usize)> {
    let mut m: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in engine.rules() {
        let e = m.entry(r.logsource.as_str()).or_default();
        if r.has_data {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    m
}

fn write_table(out: &mut dyn Write, set: &RuleSet, engine: &Engine) -> io::Result<()> {
    for e in set.errors() {
        writeln!(out, "FAILED  {e}")?;
    }
    for e in engine.errors() {
        writeln!(out, "FAILED  {e}")?;
    }
    for e in engine.correlation_errors() {
        writeln!(out, "FAILED  {e}")?;
    }
    for w in engine.warnings() {
        writeln!(out, "WARNING {w}")?;
    }
    let counts = by_logsource(engine);
    if !counts.is_empty() {
        if !set.errors().is_empty() || !engine.errors().is_empty() || !engine.warnings().is_empty()
        {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{:<52} {:>6} {:>8}",
            "LOG SOURCE (product/category/service)", "RUN", "NO DATA"
        )?;
        for (ls, (run, none)) in &counts {
            writeln!(out, "{ls:<52} {run:>6} {none:>8}")?;
        }
    }
    let t = Totals::of(set, engine);
    writeln!(
        out,
        "\n{} files: {} rules loaded ({} run, {} without a log source phiwatch reads), {} correlations, {} filters; {} failed",
        set.files(),
        t.loaded,
        t.loaded - t.no_data,
        t.no_data,
        t.correlations,
        set.filters().len(),
        t.failed
    )
}

struct Totals {
    loaded: usize,
    no_data: usize,
    correlations: usize,
    failed: usize,
}

impl Totals {
    fn of(set: &RuleSet, engine: &Engine) -> Totals {
        let detections = &engine.rules()[..engine.detection_count()];
        let correlation_failed = engine.correlation_errors().len();
        Totals {
            loaded: detections.len(),
            no_data: detections.iter().filter(|r| !r.has_data).count(),
            correlations: engine.rules().len()
                - detections.len()
                - correlation_failed.min(engine.rules().len() - detections.len()),
            failed: set.errors().len() + engine.errors().len() + correlation_failed,
        }
    }
}

fn write_jsonl(out: &mut dyn Write, set: &RuleSet, engine: &Engine) -> io::Result<()> {
    for r in engine.rules() {
        let v = serde_json::json!({
            "status": if r.has_data { "loaded" } else { "no_data" },
            "kind": match r.kind { RuleKind::Detection => "detection", RuleKind::Correlation => "correlation" },
            "path": &*r.path,
            "id": r.id,
            "title": r.title,
            "level": r.level.as_str(),
            "logsource": r.logsource,
        });
        writeln!(out, "{v}")?;
    }
    for e in set.errors() {
        writeln!(
            out,
            "{}",
            serde_json::json!({"status": "failed", "path": e.path, "reason": e.reason})
        )?;
    }
    for e in engine.errors() {
        writeln!(
            out,
            "{}",
            serde_json::json!({"status": "failed", "path": e.path, "title": e.title, "reason": e.reason})
        )?;
    }
    for e in engine.correlation_errors() {
        writeln!(
            out,
            "{}",
            serde_json::json!({"status": "failed", "kind": "correlation", "reason": e.to_string()})
        )?;
    }
    Ok(())
}
