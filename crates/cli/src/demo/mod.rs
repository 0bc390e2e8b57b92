//! `phiwatch demo`: generate a synthetic hospital's logs with an attack in
//! them, then run the whole chain over them in one pass, as a user would
//! with `hunt --store` and `scope --incident`: every detector (findings to
//! `findings.jsonl`), the data-access ledger and the SQLite store
//! (`phiwatch.db`), the incident with the highest level, its breach scope,
//! the HIPAA determination and the documents (`report/`), and a check of
//! the scope against the generator's ground truth. `phiwatch demo
//! generate`: only the generation, at any size.
//!
//! Layout: this file holds the clap arguments and the entry points;
//! [`generate`] runs `demo generate`, [`dir`] prepares the output
//! directory, [`chain`] runs the chain (counting events by dataset in
//! [`look`], tallying findings in [`detections`]), [`truth`] checks the
//! scope against the ground truth, [`print`] and [`sections`] render the
//! summary, and [`text`] holds the short human figures.

mod chain;
mod detections;
mod dir;
mod generate;
mod look;
mod print;
mod sections;
mod text;
mod truth;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use phiwatch_event::Timestamp;
use phiwatch_synth::{GenConfig, Scale, Scenario};

use crate::output::written;
use crate::CliError;

use self::chain::{run_chain, Paths};
use self::dir::prepare_out;
use self::generate::{generate_timed, run_generate};
use self::print::Summary;
use self::text::{bytes_text, secs_text};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub command: Option<DemoCommand>,

    /// Directory to write the demo into (created; a previous demo output
    /// there is replaced).
    #[arg(long, value_name = "DIR", default_value = "phiwatch-demo")]
    pub out: PathBuf,

    /// Attack scenario woven into the baseline.
    #[arg(long, value_name = "NAME", default_value = "vendor-compromise", value_parser = scenario_parser())]
    pub scenario: Scenario,

    /// Seed of every random choice (same seed, same logs).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Output form of the summary (the findings, the store and the report
    /// are written into --out either way).
    #[arg(long, value_enum, default_value_t = DemoFormat::Table)]
    pub format: DemoFormat,

    /// Write into --out even if it is a non-empty directory that is not a
    /// previous demo output (files there are kept; the files the demo
    /// writes, phiwatch.db included, are replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum DemoCommand {
    /// Generate a synthetic hospital's logs, inventory and ground truth.
    ///
    /// Writes DIR/logs/ (Zeek, PostgreSQL/pgAudit, FHIR AuditEvent, Okta,
    /// CloudTrail, nginx), DIR/inventory/ (inventory TOML and patients CSV)
    /// and DIR/truth/ (the labeled attack steps). Same seed, same bytes.
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Attack scenario woven into the baseline.
    #[arg(long, value_name = "NAME", default_value = "vendor-compromise", value_parser = scenario_parser())]
    pub scenario: Scenario,

    /// Days of logs.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,

    /// Size of the organization and its activity (small ≈ 50k records a
    /// day, medium ≈ 1M, large ≈ 10M, huge ≈ 50M).
    #[arg(long, value_name = "NAME", default_value = "small", value_parser = scale_parser())]
    pub scale: Scale,

    /// Seed of every random choice (same seed, same bytes).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// First day, YYYY-MM-DD (UTC); default 2026-11-02, a Monday.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub start: Option<i64>,
}

/// Output forms of `phiwatch demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoFormat {
    /// Aligned text for reading.
    Table,
    /// One JSON object.
    Jsonl,
}

fn scenario_parser() -> impl TypedValueParser<Value = Scenario> {
    PossibleValuesParser::new(Scenario::ALL.iter().map(|s| s.name())).try_map(|s| {
        Scenario::from_name(&s).ok_or_else(|| {
            let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
            format!(
                "unknown scenario '{s}'; expected one of: {}",
                names.join(", ")
            )
        })
    })
}

fn scale_parser() -> impl TypedValueParser<Value = Scale> {
    PossibleValuesParser::new(Scale::ALL.iter().map(|s| s.name())).try_map(|s| {
        Scale::from_name(&s).ok_or_else(|| {
            let names: Vec<&str> = Scale::ALL.iter().map(|s| s.name()).collect();
            format!("unknown scale '{s}'; expected one of: {}", names.join(", "))
        })
    })
}

/// Parses `--start`: a date `YYYY-MM-DD`, as seconds since the epoch at UTC midnight.
fn parse_date(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    let bad = || format!("'{s}' is not a date (use YYYY-MM-DD)");
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    Timestamp::parse_rfc3339(format!("{s}T00:00:00Z").as_bytes())
        .map(|t| t.as_secs())
        .ok_or_else(bad)
}

pub fn run(args: DemoArgs) -> Result<u8, CliError> {
    match args.command {
        Some(DemoCommand::Generate(g)) => run_generate(g),
        None => run_demo(&args),
    }
}

fn run_demo(args: &DemoArgs) -> Result<u8, CliError> {
    let cfg = GenConfig {
        scenario: args.scenario,
        seed: args.seed,
        ..GenConfig::default()
    };
    prepare_out(&args.out, args.force, &cfg)?;
    eprintln!(
        "phiwatch: generating {} ({} days, {} scale, seed {}) into {} …",
        cfg.scenario.name(),
        cfg.days,
        cfg.scale.name(),
        cfg.seed,
        args.out.display()
    );
    let (gen, secs) = generate_timed(&cfg, &args.out)?;
    eprintln!(
        "phiwatch: generated {} records ({}) in {} ({:.0} records/s); hunting …",
        gen.records,
        bytes_text(gen.bytes),
        secs_text(secs),
        gen.records as f64 / secs.max(1e-9)
    );
    let t = Instant::now();
    let paths = Paths::new(&args.out, &gen);
    let chain = run_chain(&cfg, &paths)?;
    eprintln!(
        "phiwatch: hunted, scoped and reported in {}",
        secs_text(t.elapsed().as_secs_f64())
    );
    let summary = Summary {
        cfg: &cfg,
        gen: &gen,
        paths: &paths,
        chain: &chain,
    };
    let mut stdout = io::stdout().lock();
    let result = match args.format {
        DemoFormat::Table => summary.write_table(&mut stdout),
        DemoFormat::Jsonl => summary.write_json(&mut stdout),
    }
    .and_then(|()| stdout.flush());
    written(result, "the summary")?;
    Ok(chain.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-11-02"), Ok(1_793_577_600));
        assert!(parse_date("2026-11-02T00:00:00Z").is_err());
        assert!(parse_date("soon").is_err());
    }
}
