//! `phiwatch demo`: generate a synthetic hospital's logs with an attack in
//! them, read them back, and show what the data holds; `phiwatch demo
//! generate`: only the generation, at any size.
//!
//! Until detectors exist, the "what the data shows" part is a handful of
//! plain aggregations over the normalized events (top talkers, top readers,
//! failures by address). They are descriptive, not detections: the labels
//! say which field each one sums.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use phiwatch_event::{keys, Event, Key, Timestamp};
use phiwatch_ingest::{resolve_inputs, Ingest, IngestConfig, Order, Report};
use phiwatch_synth::{generate, GenConfig, GenReport, Scale, Scenario};

use crate::diag::StderrSink;
use crate::{exit, CliError};

/// The file that marks a directory as written by `phiwatch demo`.
const MARKER: &str = ".phiwatch-demo";

/// Rows shown per aggregation.
const TOP: usize = 5;

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

/// Seconds as a short human figure.
fn secs_text(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Bytes as a short human figure (decimal units).
fn bytes_text(b: u64) -> String {
    let f = b as f64;
    if b < 1_000 {
        format!("{b} B")
    } else if b < 1_000_000 {
        format!("{:.1} kB", f / 1e3)
    } else if b < 1_000_000_000 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}

/// A report path as a path to print: relative paths are under `out`.
fn under(out: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || p.starts_with(out) {
        p.to_path_buf()
    } else {
        out.join(p)
    }
}

/// Runs the generator, timed; an empty result is an error (nothing to show).
fn generate_timed(cfg: &GenConfig, out: &Path) -> Result<(GenReport, f64), CliError> {
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

fn run_generate(args: GenerateArgs) -> Result<u8, CliError> {
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

/// `YYYY-MM-DD` of a day given in epoch seconds.
fn day_text(secs: i64) -> String {
    Timestamp::from_secs(secs)
        .map_or_else(|| secs.to_string(), |t| t.to_rfc3339()[..10].to_string())
}

/// Makes `out` ready for a demo: creates it, or clears a previous demo's
/// output; refuses other non-empty directories unless `force`.
fn prepare_out(out: &Path, force: bool, cfg: &GenConfig) -> Result<(), CliError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            if out.join(MARKER).is_file() {
                for sub in ["logs", "inventory", "truth"] {
                    let p = out.join(sub);
                    if p.exists() {
                        std::fs::remove_dir_all(&p)
                            .with_context(|| format!("cannot remove {}", p.display()))?;
                    }
                }
            } else if !empty && !force {
                return Err(CliError::Usage(format!(
                    "{} is not empty and is not a previous demo output; choose another --out or pass --force",
                    out.display()
                )));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(CliError::Usage(format!(
                "{} exists and is not a directory",
                out.display()
            )));
        }
        Err(e) => {
            return Err(anyhow::Error::from(e)
                .context(format!("cannot read {}", out.display()))
                .into())
        }
    }
    let marker = out.join(MARKER);
    std::fs::write(
        &marker,
        format!(
            "written by `phiwatch demo`: scenario {}, seed {}, {} days, {} scale\n",
            cfg.scenario.name(),
            cfg.seed,
            cfg.days,
            cfg.scale.name()
        ),
    )
    .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(())
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

    let (report, look, input_failed) = read_back(&args.out.join("logs"));
    let summary = Summary {
        cfg: &cfg,
        out: &args.out,
        gen: &gen,
        report: &report,
        look: &look,
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

/// Ingests every log under `logs` in time order and looks at each event;
/// also says whether an input could not be resolved.
fn read_back(logs: &Path) -> (Report, Look, bool) {
    let resolved = resolve_inputs(&[logs.display().to_string()]);
    let input_failed = !resolved.errors.is_empty();
    let sink = Arc::new(StderrSink::new(20));
    let cfg = IngestConfig {
        order: Order::Time,
        ..IngestConfig::default()
    };
    let mut ingest = Ingest::start(resolved.inputs, resolved.errors, cfg, sink);
    let mut look = Look::default();
    for ev in ingest.by_ref() {
        look.add(&ev);
    }
    (ingest.finish(), look, input_failed)
}

/// Per-dataset counts and time range.
#[derive(Debug, Clone, Copy)]
struct DatasetStats {
    events: u64,
    first: Timestamp,
    last: Timestamp,
}

/// What `demo` gathers from the events: counts and a few plain aggregations.
#[derive(Debug, Default)]
struct Look {
    datasets: BTreeMap<String, DatasetStats>,
    /// Database user → (rows returned, statements, tables read).
    db_rows: HashMap<String, (u64, u64, BTreeSet<String>)>,
    /// Database user → (most rows returned by one statement, its table).
    db_max: HashMap<String, (u64, String)>,
    /// External destination → (bytes sent by internal hosts, connections).
    egress: HashMap<IpAddr, (u64, u64)>,
    /// Server names seen in TLS handshakes, by destination address.
    sni: HashMap<IpAddr, String>,
    /// Address → (failed sign-ins, users tried).
    okta_failures: HashMap<String, (u64, BTreeSet<String>)>,
    /// "user from address" → (`$export` requests, datasets that logged them).
    exports: HashMap<String, (u64, BTreeSet<String>)>,
    /// Domain → (queries with a long name, longest name).
    dns_long: HashMap<String, (u64, u64)>,
    /// Cloud principal → (bytes read from objects, object reads, buckets).
    s3_reads: HashMap<String, (u64, u64, BTreeSet<String>)>,
    /// FHIR user → (patient references, records).
    fhir_patients: HashMap<String, (u64, u64)>,
}

/// DNS names longer than this many characters count as long.
const LONG_DNS: usize = 50;

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_loopback() || v.is_link_local(),
        IpAddr::V6(v) => v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00,
    }
}

fn text(ev: &Event, k: Key) -> Option<String> {
    ev.get(k)
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .filter(|s| !s.is_empty() && s != "-")
}

/// The last two labels of a DNS name.
fn domain_of(name: &str) -> String {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.rsplitn(3, '.').collect();
    match labels.as_slice() {
        [tld, second, ..] => format!("{second}.{tld}"),
        _ => name.to_string(),
    }
}

impl Look {
    fn add(&mut self, ev: &Event) {
        let dataset = text(ev, keys::EVENT_DATASET).unwrap_or_else(|| "-".into());
        let t = ev.time();
        self.datasets
            .entry(dataset.clone())
            .and_modify(|d| {
                d.events += 1;
                d.first = d.first.min(t);
                d.last = d.last.max(t);
            })
            .or_insert(DatasetStats {
                events: 1,
                first: t,
                last: t,
            });
        if let Some(rows) = ev
            .get(keys::DB_RESPONSE_RETURNED_ROWS)
            .and_then(|v| v.as_i64())
        {
            let user = text(ev, keys::DB_USER)
                .or_else(|| text(ev, keys::USER_NAME))
                .unwrap_or_else(|| "-".into());
            let rows = rows.max(0) as u64;
            let table = text(ev, keys::DB_SQL_TABLE);
            let m = self.db_max.entry(user.clone()).or_default();
            if rows > m.0 || m.1.is_empty() && rows == m.0 {
                *m = (rows, table.clone().unwrap_or_else(|| "-".into()));
            }
            let e = self.db_rows.entry(user).or_default();
            e.0 += rows;
            e.1 += 1;
            if let Some(table) = table {
                if e.2.len() < 8 {
                    e.2.insert(table);
                }
            }
        }
        let url = text(ev, keys::URL_ORIGINAL).or_else(|| text(ev, keys::URL_PATH));
        if url.as_deref().is_some_and(|u| u.contains("$export")) {
            let who = text(ev, keys::USER_NAME).unwrap_or_else(|| "-".into());
            let from = text(ev, keys::CLIENT_IP)
                .or_else(|| text(ev, keys::SOURCE_IP))
                .unwrap_or_else(|| "-".into());
            let e = self
                .exports
                .entry(format!("{who} from {from}"))
                .or_default();
            e.0 += 1;
            e.1.insert(dataset.clone());
        }
        match dataset.as_str() {
            "zeek.conn" => {
                let (Some(src), Some(dst)) = (
                    ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip()),
                    ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip()),
                ) else {
                    return;
                };
                if is_internal(src) && !is_internal(dst) {
                    let bytes = ev
                        .get(keys::SOURCE_BYTES)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(0);
                    let e = self.egress.entry(dst).or_default();
                    e.0 += bytes.max(0) as u64;
                    e.1 += 1;
                }
            }
            "zeek.ssl" => {
                if let (Some(dst), Some(name)) = (
                    ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip()),
                    text(ev, keys::TLS_CLIENT_SERVER_NAME),
                ) {
                    self.sni.entry(dst).or_insert(name);
                }
            }
            "zeek.dns" => {
                if let Some(name) = text(ev, keys::DNS_QUESTION_NAME) {
                    if name.len() > LONG_DNS {
                        let e = self.dns_long.entry(domain_of(&name)).or_default();
                        e.0 += 1;
                        e.1 = e.1.max(name.len() as u64);
                    }
                }
            }
            "okta.system"
                if ev.get(keys::EVENT_OUTCOME).and_then(|v| v.as_str()) == Some("failure") =>
            {
                let ip = text(ev, keys::SOURCE_IP).unwrap_or_else(|| "-".into());
                let e = self.okta_failures.entry(ip).or_default();
                e.0 += 1;
                if let Some(u) = text(ev, keys::USER_NAME) {
                    e.1.insert(u);
                }
            }
            "aws.cloudtrail" => {
                if let Some(b) = ev
                    .get(keys::PHIWATCH_OBJECT_BYTES_OUT)
                    .and_then(|v| v.as_i64())
                {
                    let who = text(ev, keys::USER_NAME)
                        .or_else(|| text(ev, keys::PHIWATCH_USER_ARN))
                        .unwrap_or_else(|| "-".into());
                    let e = self.s3_reads.entry(who).or_default();
                    e.0 += b.max(0) as u64;
                    e.1 += 1;
                    if let Some(bucket) = text(ev, keys::PHIWATCH_OBJECT_BUCKET) {
                        if e.2.len() < 4 {
                            e.2.insert(bucket);
                        }
                    }
                }
            }
            "fhir.audit" => {
                let n = match ev.get(keys::PATIENT_IDS) {
                    Some(phiwatch_event::ValueRef::List(l)) => l.len() as u64,
                    Some(_) => 1,
                    None => 0,
                };
                if n > 0 {
                    let who = text(ev, keys::USER_NAME).unwrap_or_else(|| "-".into());
                    let e = self.fhir_patients.entry(who).or_default();
                    e.0 += n;
                    e.1 += 1;
                }
            }
            _ => {}
        }
    }

    /// The aggregations, each sorted by its value (largest first, ties by key).
    fn aggregations(&self) -> Vec<Aggregation> {
        let mut out = Vec::new();
        out.push(Aggregation::new(
            "db_rows_by_user",
            "Top database users by rows returned",
            "sum of db.response.returned_rows (pgAudit READ) by db.user",
            ["USER", "ROWS", "DETAIL"],
            self.db_rows.iter().map(|(u, (rows, n, tables))| {
                let t: Vec<&str> = tables.iter().map(|s| s.as_str()).collect();
                (
                    u.clone(),
                    *rows,
                    format!("{} statement{}; tables {}", n, plural(*n), t.join(", ")),
                )
            }),
        ));
        out.push(Aggregation::new(
            "db_largest_read_by_user",
            "Largest single database reads, by user",
            "most db.response.returned_rows in one pgAudit READ statement, by db.user",
            ["USER", "ROWS", "DETAIL"],
            self.db_max
                .iter()
                .map(|(u, (rows, table))| (u.clone(), *rows, format!("table {table}"))),
        ));
        out.push(Aggregation::new(
            "egress_by_destination",
            "Top external destinations by bytes sent from inside",
            "sum of source.bytes of zeek.conn from private to public addresses, by destination.ip (TLS server name from zeek.ssl)",
            ["DESTINATION", "BYTES SENT", "DETAIL"],
            self.egress.iter().map(|(ip, (b, n))| {
                let name = self.sni.get(ip).map_or("-", |s| s.as_str());
                (ip.to_string(), *b, format!("{n} connection{}; server name {name}", plural(*n)))
            }),
        ));
        out.push(Aggregation::new(
            "okta_failures_by_ip",
            "Okta sign-in failures by client address",
            "okta.system events with event.outcome = failure, by source.ip",
            ["ADDRESS", "FAILURES", "DETAIL"],
            self.okta_failures.iter().map(|(ip, (n, users))| {
                (
                    ip.clone(),
                    *n,
                    format!(
                        "{} distinct user{}",
                        users.len(),
                        plural(users.len() as u64)
                    ),
                )
            }),
        ));
        out.push(Aggregation::new(
            "fhir_export",
            "FHIR bulk $export requests",
            "events whose url.original contains $export, by user.name and client address",
            ["WHO", "REQUESTS", "DETAIL"],
            self.exports.iter().map(|(k, (n, ds))| {
                let d: Vec<&str> = ds.iter().map(|s| s.as_str()).collect();
                (k.clone(), *n, format!("logged by {}", d.join(", ")))
            }),
        ));
        out.push(Aggregation::new(
            "fhir_patients_by_user",
            "FHIR patient references by user",
            "count of phiwatch.patient.ids in fhir.audit, by user.name",
            ["USER", "PATIENT REFS", "DETAIL"],
            self.fhir_patients.iter().map(|(u, (n, recs))| {
                (
                    u.clone(),
                    *n,
                    format!("{recs} audit record{}", plural(*recs)),
                )
            }),
        ));
        out.push(Aggregation::new(
            "dns_long_names",
            "DNS queries with long names, by domain",
            "zeek.dns queries whose dns.question.name is longer than 50 characters, by its last two labels",
            ["DOMAIN", "QUERIES", "DETAIL"],
            self.dns_long
                .iter()
                .map(|(d, (n, longest))| (d.clone(), *n, format!("longest {longest} chars"))),
        ));
        out.push(Aggregation::new(
            "s3_reads_by_principal",
            "S3 object bytes read by principal",
            "sum of phiwatch.object.bytes_out in aws.cloudtrail data events, by user.name",
            ["PRINCIPAL", "BYTES READ", "DETAIL"],
            self.s3_reads.iter().map(|(u, (b, n, buckets))| {
                let bk: Vec<&str> = buckets.iter().map(|s| s.as_str()).collect();
                (
                    u.clone(),
                    *b,
                    format!("{n} read{}; buckets {}", plural(*n), bk.join(", ")),
                )
            }),
        ));
        out
    }
}

/// One descriptive aggregation: the top rows of a sum by key.
#[derive(Debug)]
struct Aggregation {
    id: &'static str,
    title: &'static str,
    how: &'static str,
    columns: [&'static str; 3],
    /// (key, value, detail), top `TOP` rows.
    rows: Vec<(String, u64, String)>,
    /// Keys in all.
    total_keys: usize,
}

impl Aggregation {
    fn new(
        id: &'static str,
        title: &'static str,
        how: &'static str,
        columns: [&'static str; 3],
        rows: impl Iterator<Item = (String, u64, String)>,
    ) -> Self {
        let mut rows: Vec<_> = rows.collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total_keys = rows.len();
        rows.truncate(TOP);
        Aggregation {
            id,
            title,
            how,
            columns,
            rows,
            total_keys,
        }
    }

    /// Whether the value column holds bytes.
    fn is_bytes(&self) -> bool {
        self.columns[1].starts_with("BYTES")
    }
}

/// Totals of one format across its sources.
#[derive(Debug, Default, Clone, Copy)]
struct FormatTotals {
    files: u64,
    records: u64,
    accepted: u64,
    rejected: u64,
}

struct Summary<'a> {
    cfg: &'a GenConfig,
    out: &'a Path,
    gen: &'a GenReport,
    report: &'a Report,
    look: &'a Look,
}

impl Summary<'_> {
    fn formats(&self) -> BTreeMap<&'static str, FormatTotals> {
        let mut m: BTreeMap<&'static str, FormatTotals> = BTreeMap::new();
        for (_, s) in &self.report.sources {
            if s.skipped.is_some() {
                continue;
            }
            let f = m.entry(s.format.map_or("-", |f| f.name())).or_default();
            f.files += 1;
            f.records += s.records;
            f.accepted += s.accepted;
            f.rejected += s.rejected;
        }
        m
    }

    fn logs(&self) -> PathBuf {
        self.out.join("logs")
    }

    fn truth(&self) -> PathBuf {
        under(self.out, &self.gen.truth)
    }

    fn inventory(&self) -> PathBuf {
        under(self.out, &self.gen.inventory)
    }

    fn next_command(&self) -> String {
        format!("phiwatch events {} --format table", self.logs().display())
    }

    fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        let c = self.cfg;
        writeln!(
            out,
            "phiwatch demo: a synthetic hospital, {} days from {}, {} scale, scenario {}, seed {}",
            c.days,
            day_text(c.start_secs),
            c.scale.name(),
            c.scenario.name(),
            c.seed
        )?;
        writeln!(
            out,
            "generated {} records ({}) in {} files\n",
            self.gen.records,
            bytes_text(self.gen.bytes),
            self.gen.files.len()
        )?;
        writeln!(
            out,
            "READ BACK (phiwatch's decoders, one time-ordered stream)"
        )?;
        writeln!(
            out,
            "  {:<18} {:>9}  {:<20}  LAST",
            "DATASET", "EVENTS", "FIRST"
        )?;
        for (ds, s) in &self.look.datasets {
            writeln!(
                out,
                "  {:<18} {:>9}  {:<20}  {}",
                ds,
                s.events,
                second_text(s.first),
                second_text(s.last)
            )?;
        }
        writeln!(
            out,
            "\n  {:<12} {:>5} {:>9} {:>9} {:>9}",
            "FORMAT", "FILES", "READ", "ACCEPTED", "REJECTED"
        )?;
        for (f, t) in self.formats() {
            writeln!(
                out,
                "  {:<12} {:>5} {:>9} {:>9} {:>9}",
                f, t.files, t.records, t.accepted, t.rejected
            )?;
        }
        let t = self.report.totals();
        writeln!(
            out,
            "  {} sources, {} records read: {} accepted, {} rejected, {} failed sources\n",
            self.report.sources.len() - self.report.skipped_sources(),
            t.records,
            t.accepted,
            t.rejected,
            self.report.failed_sources()
        )?;
        writeln!(
            out,
            "WHAT THE DATA SHOWS (descriptive aggregations of the events, not detections)"
        )?;
        for a in self.look.aggregations() {
            writeln!(out, "  {} — {}", a.title, a.how)?;
            if a.rows.is_empty() {
                writeln!(out, "    (none)")?;
                continue;
            }
            writeln!(
                out,
                "    {:<40} {:>14}  {}",
                a.columns[0], a.columns[1], a.columns[2]
            )?;
            for (k, v, d) in &a.rows {
                let value = if a.is_bytes() {
                    bytes_text(*v)
                } else {
                    v.to_string()
                };
                let mut k = k.clone();
                if k.chars().count() > 40 {
                    k = k.chars().take(39).collect::<String>() + "…";
                }
                writeln!(out, "    {k:<40} {value:>14}  {d}")?;
            }
            if a.total_keys > a.rows.len() {
                writeln!(out, "    … {} more", a.total_keys - a.rows.len())?;
            }
        }
        writeln!(out, "\nWHERE THINGS ARE")?;
        writeln!(out, "  logs          {}", self.logs().display())?;
        writeln!(out, "  inventory     {}", self.inventory().display())?;
        writeln!(
            out,
            "  ground truth  {} ({} labeled attack steps; the answer key, not read by phiwatch)",
            self.truth().display(),
            self.gen.steps
        )?;
        writeln!(out, "\nNEXT")?;
        writeln!(out, "  {}", self.next_command())?;
        writeln!(
            out,
            "  phiwatch demo generate --scenario {} --days 7 --scale medium --out DIR",
            self.cfg.scenario.name()
        )?;
        Ok(())
    }

    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        use serde_json::{json, Value};
        let c = self.cfg;
        let datasets: Vec<Value> = self
            .look
            .datasets
            .iter()
            .map(|(ds, s)| {
                json!({
                    "dataset": ds,
                    "events": s.events,
                    "first": s.first.to_rfc3339(),
                    "last": s.last.to_rfc3339(),
                })
            })
            .collect();
        let formats: Vec<Value> = self
            .formats()
            .into_iter()
            .map(|(f, t)| {
                json!({
                    "format": f,
                    "files": t.files,
                    "records": t.records,
                    "accepted": t.accepted,
                    "rejected": t.rejected,
                })
            })
            .collect();
        let aggregations: Vec<Value> = self
            .look
            .aggregations()
            .into_iter()
            .map(|a| {
                let rows: Vec<Value> = a
                    .rows
                    .iter()
                    .map(|(k, v, d)| json!({"key": k, "value": v, "detail": d}))
                    .collect();
                json!({
                    "id": a.id,
                    "title": a.title,
                    "how": a.how,
                    "descriptive": true,
                    "keys": a.total_keys,
                    "rows": rows,
                })
            })
            .collect();
        let t = self.report.totals();
        let v = json!({
            "scenario": c.scenario.name(),
            "seed": c.seed,
            "days": c.days,
            "scale": c.scale.name(),
            "start": day_text(c.start_secs),
            "generated": {
                "records": self.gen.records,
                "bytes": self.gen.bytes,
                "files": self.gen.files.len(),
                "steps": self.gen.steps,
            },
            "datasets": datasets,
            "formats": formats,
            "totals": {
                "sources": self.report.sources.len() - self.report.skipped_sources(),
                "failed_sources": self.report.failed_sources(),
                "records": t.records,
                "accepted": t.accepted,
                "rejected": t.rejected,
            },
            "aggregations": aggregations,
            "paths": {
                "logs": self.logs().display().to_string(),
                "inventory": self.inventory().display().to_string(),
                "truth": self.truth().display().to_string(),
            },
            "next": [self.next_command()],
        });
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
        writeln!(out)
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A time to the second, for the table.
fn second_text(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    match s.find('.') {
        Some(i) => format!("{}Z", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
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

    /// The summary over the bundled samples (real-world shapes, no
    /// generator needed).
    #[test]
    fn summary_of_the_samples() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
        let (report, look, failed) = read_back(&samples);
        assert!(!failed);
        let gen = GenReport {
            records: 1,
            bytes: 1,
            files: vec![(PathBuf::from("logs/x"), 1)],
            truth: PathBuf::from("truth/truth.jsonl"),
            inventory: PathBuf::from("inventory/inventory.toml"),
            steps: 3,
        };
        let cfg = GenConfig::default();
        let out = Path::new("demo-out");
        let s = Summary {
            cfg: &cfg,
            out,
            gen: &gen,
            report: &report,
            look: &look,
        };
        let mut table = Vec::new();
        s.write_table(&mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        for want in [
            "zeek.conn",
            "okta.system",
            "fhir.audit",
            "postgresql.audit",
            "aws.cloudtrail",
            "web.access",
            "not detections",
            "demo-out/truth/truth.jsonl (3 labeled attack steps",
            "phiwatch events demo-out/logs --format table",
        ] {
            assert!(table.contains(want), "{want} not in\n{table}");
        }
        let mut json = Vec::new();
        s.write_json(&mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["paths"]["truth"], "demo-out/truth/truth.jsonl");
        assert!(v["aggregations"].as_array().unwrap().len() >= 5);
        println!("{table}");
    }

    #[test]
    fn aggregations_sort_by_value_then_key() {
        let a = Aggregation::new(
            "x",
            "x",
            "x",
            ["K", "V", "D"],
            [("b", 2), ("a", 2), ("c", 9)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v, String::new()))
                .chain((0..10).map(|i| (format!("z{i}"), 0, String::new()))),
        );
        let keys: Vec<&str> = a.rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(keys, ["c", "a", "b", "z0", "z1"]);
        assert_eq!(a.total_keys, 13);
    }
}
