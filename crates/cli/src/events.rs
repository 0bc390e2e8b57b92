//! `phiwatch events`: logs in, normalized events out.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use phiwatch_decode::{DecoderConfig, FieldMapping, Format};
use phiwatch_event::Timestamp;
use phiwatch_ingest::{resolve_inputs, Ingest, IngestConfig, Order};
use phiwatch_phi::{redact, scan_document, Found, Layout, RedactMode, Scanner};

use crate::diag::{write_summary, StderrSink};
use crate::output::{
    open_output, table_header, write_jsonl, write_table, written, EventFormat, FieldSet,
};
use crate::{exit, CliError};

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output form.
    #[arg(long, value_enum, default_value_t = EventFormat::Jsonl)]
    pub format: EventFormat,

    /// Write events to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which fields to print (jsonl).
    #[arg(long, value_enum, default_value_t = FieldSet::All)]
    pub fields: FieldSet,

    /// Event order: `time` merges all sources into one time-ordered stream;
    /// `arrival` prints events as decoded (fastest).
    #[arg(long, value_enum, default_value_t = OrderArg::Time)]
    pub order: OrderArg,

    /// Print field values as they are. By default identifiers found in them
    /// (SSNs, record numbers, dates of birth, names, emails, phone numbers
    /// and the other types of `phiwatch scan`, but not IP addresses) are
    /// masked to their last four letters or digits.
    #[arg(long)]
    pub show_phi: bool,
}

/// Where logs come from and how they are read: shared by every command that
/// reads logs.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Files, directories (read recursively), globs, or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Read every source as this format instead of detecting it.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub input_format: Option<Format>,

    /// Drop events before this time (RFC 3339, a date, or epoch seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<Timestamp>,

    /// Drop events after this time (RFC 3339, a date, or epoch seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<Timestamp>,

    /// Field mapping (TOML) for generic JSON lines.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// VPC flow field list for files without a header line, space-separated.
    #[arg(long, value_name = "FIELDS")]
    pub vpc_fields: Option<String>,

    /// PostgreSQL `log_line_prefix` of stderr logs, e.g. '%m [%p] %q%u@%d '
    /// (autodetected when not given).
    #[arg(long, value_name = "PREFIX")]
    pub pg_prefix: Option<String>,

    /// Year of timestamps written without one (RFC 3164 syslog, auth.log);
    /// default: the year each file was last modified.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,

    /// Worker threads for reading (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Events held per source to restore time order in nearly sorted logs.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub reorder_window: usize,

    /// Longest record accepted, in bytes; longer lines are skipped and reported.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_record_bytes: usize,

    /// Largest JSON document read whole (a pretty-printed or `{"Records":[…]}`
    /// file, a binary EVTX file), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 512 * 1024 * 1024)]
    pub max_document_bytes: usize,

    /// Diagnostics printed in all; the rest are counted in the summary.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_diagnostics: u64,

    /// Print no summary and no progress bar on stderr (diagnostics still print).
    #[arg(short, long)]
    pub quiet: bool,
}

impl InputArgs {
    /// The input options' defaults for `paths`, as the flags give them: for
    /// commands that read logs on the user's behalf (`scope`, `demo`).
    pub fn defaults(paths: Vec<String>, quiet: bool) -> InputArgs {
        InputArgs {
            paths,
            input_format: None,
            from: None,
            to: None,
            mapping: None,
            vpc_fields: None,
            pg_prefix: None,
            year: None,
            threads: None,
            reorder_window: 4096,
            max_record_bytes: 16 * 1024 * 1024,
            max_document_bytes: 512 * 1024 * 1024,
            max_diagnostics: 50,
            quiet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderArg {
    /// One stream in time order.
    Time,
    /// As decoded.
    Arrival,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!(
            "unknown format '{s}'; expected one of: {}",
            names.join(", ")
        )
    })
}

/// Parses `--from`/`--to`: RFC 3339, `YYYY-MM-DD` (midnight UTC), or epoch seconds.
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    let b = s.as_bytes();
    let t = if b.len() == 10 && b[4] == b'-' {
        Timestamp::parse_rfc3339(format!("{s}T00:00:00Z").as_bytes())
    } else {
        Timestamp::parse_any(b)
    };
    t.ok_or_else(|| format!("'{s}' is not a time (use RFC 3339, YYYY-MM-DD or epoch seconds)"))
}

/// The ingest configuration the input flags ask for.
fn ingest_config(input: &InputArgs, order: Order) -> Result<IngestConfig, CliError> {
    if let (Some(f), Some(t)) = (input.from, input.to) {
        if f > t {
            return Err(CliError::Usage("--from is after --to".into()));
        }
    }
    let mapping = match &input.mapping {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read mapping file {}", p.display()))?;
            let m = FieldMapping::parse(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?;
            Some(Arc::new(m))
        }
    };
    Ok(IngestConfig {
        format: input.input_format,
        decoder: DecoderConfig {
            mapping,
            vpc_fields: input.vpc_fields.clone(),
            pg_prefix: input.pg_prefix.clone(),
            year: input.year,
        },
        order,
        threads: input
            .threads
            .unwrap_or(IngestConfig::default().threads)
            .max(1),
        reorder_window: input.reorder_window,
        max_record_bytes: input.max_record_bytes.max(1),
        max_document_bytes: input.max_document_bytes.max(1),
        from: input.from,
        to: input.to,
        ..IngestConfig::default()
    })
}

pub fn run(args: EventsArgs) -> Result<u8, CliError> {
    let order = match args.order {
        OrderArg::Time => Order::Time,
        OrderArg::Arrival => Order::Arrival,
    };
    let Started {
        mut run,
        diags: sink,
        bar,
        input_failed,
    } = start(&args.input, order)?;
    let mut out = open_output(args.output.as_ref())?;
    let flushed = write_events(&mut run, &mut out, &args, bar.as_ref()).and_then(|()| out.flush());
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    sink.set_bar(None);
    let report = run.finish();
    written(flushed, "events")?;
    if !args.input.quiet {
        write_summary(&mut io::stderr().lock(), &report, sink.hidden())?;
    }
    Ok(if input_failed || report.failed_sources() > 0 {
        exit::RUNTIME
    } else {
        exit::OK
    })
}

fn write_events(
    run: &mut Ingest,
    out: &mut dyn Write,
    args: &EventsArgs,
    bar: Option<&ProgressBar>,
) -> io::Result<()> {
    let sources = run.sources().to_vec();
    let mut buf = String::with_capacity(4096);
    if args.format == EventFormat::Table {
        table_header(out)?;
    }
    let mut masker = (!args.show_phi).then(|| Masker::new(args.format == EventFormat::Jsonl));
    let mut line = Vec::with_capacity(4096);
    let mut n: u64 = 0;
    while let Some(ev) = run.next() {
        line.clear();
        match args.format {
            EventFormat::Jsonl => write_jsonl(&mut line, &ev, &sources, args.fields, &mut buf)?,
            EventFormat::Table => write_table(&mut line, &ev)?,
        }
        match masker.as_mut() {
            Some(m) => out.write_all(m.mask(&line))?,
            None => out.write_all(&line)?,
        }
        n += 1;
        if n.is_multiple_of(8192) {
            if let Some(b) = bar {
                b.set_position(run.progress().0);
            }
        }
    }
    Ok(())
}

/// Masks the identifiers in printed events: the PHI scanner over each
/// printed line, every type but IP addresses (the network data the events
/// are about), masked to the last four letters or digits. A JSON line is
/// scanned as JSON (values under their key paths) and only identifiers in
/// string values are masked: numbers are measurements the normalizer wrote
/// (bytes, durations, ports), and masking only letters and digits inside
/// strings keeps the line valid JSON.
struct Masker {
    scanner: Scanner,
    json: bool,
    found: Vec<Found>,
    out: Vec<u8>,
}

impl Masker {
    fn new(json: bool) -> Masker {
        Masker {
            // The scanner `hunt` uses for `phi` findings: the same types.
            scanner: crate::hunt_phi::scanner(),
            json,
            found: Vec::new(),
            out: Vec::new(),
        }
    }

    /// `line` with its identifiers masked.
    fn mask<'a>(&'a mut self, line: &'a [u8]) -> &'a [u8] {
        self.found.clear();
        let layout = if self.json {
            Layout::Ndjson
        } else {
            Layout::Text
        };
        scan_document(&self.scanner, line, layout, &mut self.found);
        if self.json {
            let strings = json_strings(line);
            self.found
                .retain(|f| strings.iter().any(|&(s, e)| s <= f.start && f.end <= e));
        }
        if self.found.is_empty() {
            return line;
        }
        self.out.clear();
        redact(line, &self.found, &RedactMode::Mask, &mut self.out);
        &self.out
    }
}

/// The spans of the contents of the JSON string literals in `line` (between
/// the quotes).
fn json_strings(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(q) = line[i..].iter().position(|b| *b == b'"').map(|k| i + k) {
        let mut j = q + 1;
        while j < line.len() && line[j] != b'"' {
            j += if line[j] == b'\\' { 2 } else { 1 };
        }
        spans.push((q + 1, j.min(line.len())));
        i = j + 1;
        if i >= line.len() {
            break;
        }
    }
    spans
}

/// An ingest run started from the input flags, with its diagnostics going
/// to stderr and a progress bar on a terminal.
pub struct Started {
    /// The run.
    pub run: Ingest,
    /// Where diagnostics go (the bar is attached).
    pub diags: Arc<StderrSink>,
    /// The progress bar, on a terminal for large inputs.
    pub bar: Option<ProgressBar>,
    /// Whether some path could not be resolved.
    pub input_failed: bool,
}

/// Resolves the input paths and starts reading them in `order`.
pub fn start(input: &InputArgs, order: Order) -> Result<Started, CliError> {
    let cfg = ingest_config(input, order)?;
    let resolved = resolve_inputs(&input.paths);
    let input_failed = !resolved.errors.is_empty();
    let diags = Arc::new(StderrSink::new(input.max_diagnostics));
    let run = Ingest::start(resolved.inputs, resolved.errors, cfg, diags.clone());
    let bar = progress_bar(&run, input.quiet);
    diags.set_bar(bar.clone());
    Ok(Started {
        run,
        diags,
        bar,
        input_failed,
    })
}

fn progress_bar(run: &Ingest, quiet: bool) -> Option<ProgressBar> {
    let (_, total) = run.progress();
    if quiet || !io::stderr().is_terminal() || total < 8 * 1024 * 1024 {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
