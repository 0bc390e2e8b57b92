//! `phiwatch analytics defaults` (every analytics setting with its default,
//! as the TOML `hunt --analytics FILE` reads) and `phiwatch inventory check
//! FILE` (validate an inventory, every problem at once).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use phiwatch_inventory::Inventory;

use crate::hunt_analytics::Settings;
use crate::output::open_output;
use crate::{exit, CliError};

#[derive(Args, Debug)]
pub struct AnalyticsArgs {
    #[command(subcommand)]
    pub command: AnalyticsCommand,
}

#[derive(Subcommand, Debug)]
pub enum AnalyticsCommand {
    /// Print every analytics setting with its default value, as the TOML
    /// that `hunt --analytics FILE` reads: a table per analytic
    /// (thresholds, allowlists, sizes), `[incident]` for the incident chain,
    /// and `disabled`. Copy it, keep what you change.
    Defaults {
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(args: AnalyticsArgs) -> Result<u8, CliError> {
    match args.command {
        AnalyticsCommand::Defaults { output } => {
            let text = toml::to_string(&Settings::default())
                .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot write defaults: {e}")))?;
            let mut out = open_output(output.as_ref())?;
            out.write_all(b"# phiwatch analytics settings: every key with its default.\n# Use with `phiwatch hunt --analytics FILE`; keep only what you change.\n\n")?;
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(exit::OK)
        }
    }
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[command(subcommand)]
    pub command: InventoryCommand,
}

#[derive(Subcommand, Debug)]
pub enum InventoryCommand {
    /// Validate an inventory file: print what it holds, or every problem
    /// with its line (exit 1).
    Check {
        /// The inventory (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn run_inventory(args: InventoryArgs) -> Result<u8, CliError> {
    match args.command {
        InventoryCommand::Check { file } => {
            // The TOML first, then the patients lists it names: every
            // problem of both is listed before the exit.
            let (inv, mut problems) = match Inventory::load(&file) {
                Ok(inv) => (Some(inv), Vec::new()),
                Err(p) => (None, p.0),
            };
            let tables = match &inv {
                Some(inv) => match inv.load_patients() {
                    Ok(t) => Some(t),
                    Err(p) => {
                        problems.extend(p.0);
                        None
                    }
                },
                None => None,
            };
            if let (Some(inv), Some(tables), true) = (&inv, &tables, problems.is_empty()) {
                println!(
                    "{}: {}{} silos, {} internal networks, {} vendors",
                    file.display(),
                    inv.name
                        .as_ref()
                        .map_or(String::new(), |n| format!("{n}: ")),
                    inv.silos.len(),
                    inv.internal_networks.len(),
                    inv.vendors.len()
                );
                for (i, s) in inv.silos.iter().enumerate() {
                    let patients = tables.of(i).map_or("no patients list".to_string(), |p| {
                        format!("{} patients in {}", p.len(), p.path.display())
                    });
                    println!(
                        "  silo {} ({}): {}; {patients}",
                        s.name,
                        s.kind.as_str(),
                        s.categories.join(", ")
                    );
                }
                for v in &inv.vendors {
                    println!(
                        "  vendor {}: {} accounts, networks {}",
                        v.name,
                        v.accounts.len(),
                        v.networks.join(", ")
                    );
                }
                return Ok(exit::OK);
            }
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!(
                "phiwatch: {}: {} problem{}",
                file.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            Ok(exit::RUNTIME)
        }
    }
}
