//! `phiwatch demo generate`: run the synthetic-hospital generator into a
//! directory and report what it wrote; also the timed generation that
//! `phiwatch demo` itself uses.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use phiwatch_synth::{generate, GenConfig, GenReport};

use super::text::{bytes_text, day_text, secs_text, under};
use super::GenerateArgs;
use crate::{exit, CliError};

/// Runs the generator, timed; an empty result is an error (nothing to show).
pub(super) fn generate_timed(cfg: &GenConfig, out: &Path) -> Result<(GenReport, f64), CliError> {
    let t = Instant::now();
    let report = generate(cfg, out)
        .map_err(|e| CliError::Runtime(anyhow::Error::from(e).context("generation failed")))?;
    let secs = t.elapsed().as_secs_f64();
    if report.records == 0 || report.files.is_empty() {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "nothing was generated into {}: the generator (phiwatch-synth) wrote no records",
            out.display()
        )));
    }
    Ok((report, secs))
}

/// `demo generate`: generates into `--out` and reports to stderr.
pub(super) fn run_generate(args: GenerateArgs) -> Result<u8, CliError> {
    let cfg = GenConfig {
        scenario: args.scenario,
        days: args.days,
        scale: args.scale,
        seed: args.seed,
        start_secs: args.start.unwrap_or(GenConfig::default().start_secs),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    eprintln!(
        "phiwatch: generating {}, {} day{} from {}, {} scale, seed {} into {}",
        cfg.scenario.name(),
        cfg.days,
        if cfg.days == 1 { "" } else { "s" },
        day_text(cfg.start_secs),
        cfg.scale.name(),
        cfg.seed,
        args.out.display()
    );
    let (report, secs) = generate_timed(&cfg, &args.out)?;
    let mut err = io::stderr().lock();
    writeln!(
        err,
        "phiwatch: {} records, {} in {} files, {} ({:.0} records/s)",
        report.records,
        bytes_text(report.bytes),
        report.files.len(),
        secs_text(secs),
        report.records as f64 / secs.max(1e-9)
    )?;
    writeln!(
        err,
        "phiwatch: logs:         {}",
        args.out.join("logs").display()
    )?;
    writeln!(
        err,
        "phiwatch: inventory:    {}",
        under(&args.out, &report.inventory).display()
    )?;
    writeln!(
        err,
        "phiwatch: ground truth: {} ({} labeled steps)",
        under(&args.out, &report.truth).display(),
        report.steps
    )?;
    Ok(exit::OK)
}
