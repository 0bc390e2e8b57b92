//! The `phiwatch` command line: a thin shell over the engine crates.

mod analytics_cmd;
mod demo;
mod diag;
mod events;
mod hunt;
mod hunt_analytics;
mod hunt_ioc;
mod hunt_phi;
mod hunt_store;
mod ioc;
mod output;
mod rules;
mod scan;
mod scope;
mod scope_hipaa;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: events are built on decoding threads and freed on the consuming
/// thread; glibc's allocator made that cross-thread free the bottleneck
/// (see ARCHITECTURE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// phiwatch detects, scopes and reports the theft of patient data.
#[derive(Parser, Debug)]
#[command(name = "phiwatch", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read logs and print them as normalized events.
    ///
    /// Reads files, directories (recursively), globs and `-` (standard
    /// input); gzip and zstd are recognized by content; the format of each
    /// source is detected unless --input-format says it. Events go to stdout
    /// (or -o FILE) in time order; per-source totals and diagnostics go to
    /// stderr.
    Events(events::EventsArgs),

    /// Generate a synthetic hospital's logs with an attack in them, read
    /// them back and show what they hold (`demo generate`: only generate).
    ///
    /// Without a subcommand: writes a small scenario into --out (default
    /// ./phiwatch-demo), ingests every log in time order and prints, on
    /// stdout, the events per dataset, what each format gave, a few
    /// descriptive aggregations (not detections) that show the attack's
    /// traces, where the logs, inventory and ground truth are, and what to
    /// run next.
    Demo(demo::DemoArgs),

    /// Run the detectors over logs and print findings.
    ///
    /// Reads logs like `events` (files, directories, globs, `-`; formats
    /// detected), merges them in time order, and runs the built-in healthcare
    /// Sigma pack plus every --rules file or directory: detection rules per
    /// event, routed by log source, and correlation rules over their matches.
    /// Findings go to stdout (or -o FILE) as a table, JSON lines, CSV or
    /// OCSF; rules that fail to load and the totals go to stderr.
    Hunt(hunt::HuntArgs),

    /// Work with Sigma rules (`rules check DIR…`).
    Rules(rules::RulesArgs),

    /// Find PHI (SSNs, card numbers, NPIs, dates of birth, …) in files, or
    /// write them with the identifiers replaced (--redact).
    ///
    /// Reads files, directories (recursively), globs and `-`; gzip and zstd
    /// are recognized by content. Text is scanned line by line (URL query
    /// parameters decoded), CSV/TSV cells under their headers, JSON values
    /// under their key paths. Findings go to stdout (or -o FILE) with their
    /// text masked unless --show-text; counts by type go to stderr (or
    /// --summary FILE).
    Scan(scan::ScanArgs),

    /// Threat intel: check intel files (`ioc check FILE…`), or export what
    /// the logs show as a STIX 2.1 bundle with sightings, a Zeek intel file
    /// or CSV (`ioc export PATH… --ioc FILE…`).
    Ioc(ioc::IocArgs),

    /// Exfiltration analytics settings (`analytics defaults`: every
    /// threshold, allowlist and size with its default, as the TOML
    /// `hunt --analytics FILE` reads).
    Analytics(analytics_cmd::AnalyticsArgs),

    /// Check an inventory file (`inventory check FILE`): its silos, networks
    /// and vendors, or every problem with its line.
    Inventory(analytics_cmd::InventoryArgs),

    /// The breach scope of a window and its actors, or of an incident: the
    /// silos reached, records and patients (deduplicated, by state),
    /// categories of PHI, bytes out and where to, and the timeline.
    ///
    /// Reads logs (running every detector, for the timeline and
    /// incidents) or a store `hunt --store` wrote. A silo's events that
    /// name patients count those; a bulk read counts all its patients.
    Scope(scope::ScopeArgs),
}

/// Exit codes of the public contract.
pub(crate) mod exit {
    /// Success, whatever was found.
    pub const OK: u8 = 0;
    /// A runtime error (unreadable input, unwritable output).
    pub const RUNTIME: u8 = 1;
    /// A usage error (bad flags or values); clap uses it too.
    pub const USAGE: u8 = 2;
}

/// An error with its exit code: usage errors are the caller's to fix.
#[derive(Debug)]
pub(crate) enum CliError {
    Usage(String),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Runtime(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Runtime(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Events(args) => events::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Ioc(args) => ioc::run(args),
        Command::Analytics(args) => analytics_cmd::run(args),
        Command::Inventory(args) => analytics_cmd::run_inventory(args),
        Command::Scope(args) => scope::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(CliError::Usage(msg)) => {
            eprintln!("phiwatch: error: {msg}");
            ExitCode::from(exit::USAGE)
        }
        Err(CliError::Runtime(e)) => {
            eprintln!("phiwatch: error: {e:#}");
            ExitCode::from(exit::RUNTIME)
        }
    }
}
