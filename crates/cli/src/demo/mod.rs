//! `phiwatch demo`: generate a synthetic hospital's logs with an attack in
//! them, read them back, and show what the data holds; `phiwatch demo
//! generate`: only the generation, at any size.
//!
//! Until detectors exist, the "what the data shows" part is a handful of
//! plain aggregations over the normalized events (top talkers, top readers,
//! failures by address). They are descriptive, not detections: the labels
//! say which field each one sums.
//!
//! Layout: this file holds the clap arguments and the entry points;
//! [`generate`] runs `demo generate`, [`dir`] prepares the output
//! directory, [`summary`] gathers the aggregations over the events,
//! [`print`] renders them, and [`text`] holds the short human figures.

mod dir;
mod generate;
mod print;
mod sigma;
mod summary;
mod text;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use phiwatch_event::Timestamp;
use phiwatch_synth::{GenConfig, Scale, Scenario};

use crate::{exit, CliError};

use self::dir::prepare_out;
use self::generate::{generate_timed, run_generate};
use self::print::Summary;
use self::summary::read_back;
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

    /// Output form of the summary.
    #[arg(long, value_enum, default_value_t = DemoFormat::Table)]
    pub format: DemoFormat,

    /// Write into --out even if it is a non-empty directory that is not a
    /// previous demo output (files there are kept; generated files overwrite).
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
        "phiwatch: generated {} records ({}) in {} ({:.0} records/s); reading them back …",
        gen.records,
        bytes_text(gen.bytes),
        secs_text(secs),
        gen.records as f64 / secs.max(1e-9)
    );

    let (report, look, sigma, input_failed) = read_back(&args.out.join("logs"));
    let summary = Summary {
        cfg: &cfg,
        out: &args.out,
        gen: &gen,
        report: &report,
        look: &look,
        sigma: &sigma,
    };
    let mut stdout = io::stdout().lock();
    let written = match args.format {
        DemoFormat::Table => summary.write_table(&mut stdout),
        DemoFormat::Jsonl => summary.write_json(&mut stdout),
    }
    .and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            return Err(anyhow::Error::from(e)
                .context("cannot write the summary")
                .into())
        }
    }
    Ok(if input_failed || report.failed_sources() > 0 {
        exit::RUNTIME
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::summary::domain_of;
    use super::text::day_text;
    use super::*;

    #[test]
    fn dates_and_domains() {
        assert_eq!(parse_date("2026-11-02"), Ok(1_793_577_600));
        assert!(parse_date("2026-11-02T00:00:00Z").is_err());
        assert!(parse_date("soon").is_err());
        assert_eq!(day_text(1_793_577_600), "2026-11-02");
        assert_eq!(domain_of("abc.def.tunnel.example."), "tunnel.example");
        assert_eq!(domain_of("localhost"), "localhost");
        assert_eq!(bytes_text(2_500_000_000), "2.50 GB");
    }
}
