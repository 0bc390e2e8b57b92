//! `phiwatch scan`: PHI content findings in files (redacted by default), or,
//! with `--redact`, a filter that writes the input with its identifiers
//! replaced.

mod stream;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use phiwatch_ingest::{resolve_inputs, InputSpec};
use phiwatch_phi::redact::mask;
use phiwatch_phi::{
    redact, scan_document, Found, Layout, PhiType, RedactMode, ScanConfig, Scanner,
};

use crate::output::{json_str, open_output, written};
use crate::{exit, CliError};
use stream::{Block, Failure};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files, directories (read recursively), globs, or `-` for standard
    /// input. gzip and zstd input is recognized by its first bytes and
    /// decompressed: offsets are then in the decompressed stream.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output form of findings: jsonl (one finding per line: path, line,
    /// start, end — byte offsets in the file, or in the decompressed stream
    /// of a compressed file, end exclusive —, type, score, safe_harbor, text,
    /// key) or table.
    #[arg(long, value_enum, default_value_t = ScanFormat::Jsonl)]
    pub format: ScanFormat,

    /// Print each finding's text as found instead of masked. The output then
    /// holds the identifiers themselves.
    #[arg(long)]
    pub show_text: bool,

    /// Lowest score reported, 0–1 (default: the scanner's, 0.5).
    #[arg(long, value_name = "F")]
    pub threshold: Option<f32>,

    /// Types to look for, comma-separated (default: all), e.g.
    /// US_SSN,CREDIT_CARD.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,

    /// How inputs are laid out (auto: detected per input from its content).
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    pub layout: LayoutArg,

    /// Write the per-file and total counts to FILE instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// Instead of findings, write the input with every identifier replaced:
    /// mask (keep the last four letters or digits), redact ([REDACTED]),
    /// hash (keyed HMAC-SHA256 pseudonym, needs --hash-key or
    /// PHIWATCH_HASH_KEY) or replace (the type, e.g. <US_SSN>). Compressed
    /// input is written decompressed.
    #[arg(long, value_enum, value_name = "MODE")]
    pub redact: Option<RedactArg>,

    /// Key of --redact hash (default: the PHIWATCH_HASH_KEY environment
    /// variable). The same key gives the same pseudonyms.
    #[arg(long, value_name = "KEY")]
    pub hash_key: Option<String>,

    /// Write to FILE instead of standard output; with --redact and several
    /// inputs or a directory, a directory that mirrors the inputs.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Largest input read whole (JSON, CSV; plain text is streamed in
    /// blocks), in bytes (after decompression).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_bytes: u64,

    /// Print no summary on standard error (errors still print).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Output forms of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// One JSON object per finding.
    Jsonl,
    /// Aligned columns for reading.
    Table,
}

/// `--layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutArg {
    /// Detect from the content.
    Auto,
    /// Plain text, line by line.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON document.
    Json,
    /// One JSON document per line.
    Ndjson,
}

/// `--redact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RedactArg {
    /// Keep the last four letters or digits and the separators.
    Mask,
    /// [REDACTED].
    Redact,
    /// A keyed pseudonym, <US_SSN:0123456789abcdef>.
    Hash,
    /// The type as a placeholder, <US_SSN>.
    Replace,
}

impl LayoutArg {
    fn layout(self) -> Layout {
        match self {
            LayoutArg::Auto => Layout::Auto,
            LayoutArg::Text => Layout::Text,
            LayoutArg::Csv => Layout::Csv(b','),
            LayoutArg::Tsv => Layout::Csv(b'\t'),
            LayoutArg::Json => Layout::Json,
            LayoutArg::Ndjson => Layout::Ndjson,
        }
    }
}

/// Counts by type, per file and in all.
#[derive(Default)]
struct Tally {
    files: Vec<(String, u64, BTreeMap<PhiType, u64>)>,
}

pub fn run(args: ScanArgs) -> Result<u8, CliError> {
    let scanner = Scanner::new(scan_config(&args)?);
    // What stderr is scrubbed with: every type, whatever was asked for.
    let guard = Scanner::new(ScanConfig::default());
    let mode = redact_mode(&args)?;
    let resolved = resolve_inputs(&args.paths);
    let mut failed = !resolved.errors.is_empty();
    for e in &resolved.errors {
        eprintln!("phiwatch: {}", scrub(&guard, e, true));
    }
    let mirror = match &mode {
        Some(_) => mirror_dir(&args, &resolved.inputs)?,
        None => None,
    };
    let mut out = match (&mode, &mirror) {
        (Some(_), Some(_)) => None,
        _ => Some(open_output(args.output.as_ref())?),
    };
    let mut tally = Tally::default();
    if let (Some(o), None, ScanFormat::Table) = (out.as_mut(), &mode, args.format) {
        written(table_header(o), "findings")?;
    }
    for input in &resolved.inputs {
        let path = input.display();
        let dest = match (&mode, &mirror, out.as_deref_mut()) {
            (Some(m), Some(dir), _) => {
                Dest::Mirror(dir.join(relative(input, &args.paths)), None, m)
            }
            (Some(m), None, Some(o)) => Dest::Redacted(o, m),
            (None, _, Some(o)) => Dest::Findings(o),
            // Without a mirror directory there is an output.
            (Some(_), None, None) | (None, _, None) => continue,
        };
        let mut pass = Pass {
            scanner: &scanner,
            args: &args,
            path: &path,
            dest,
            found: Vec::new(),
            redacted: Vec::new(),
            by: BTreeMap::new(),
        };
        let layout = args.layout.layout();
        match stream::each_block(input, layout, args.max_bytes, |b| pass.block(b)) {
            Ok(bytes) => tally.add(&path, bytes, pass.by),
            Err(Failure::Read(e)) => {
                let msg = format!("{path}: {e}");
                eprintln!("phiwatch: {}", scrub(&guard, &msg, true));
                failed = true;
            }
            Err(Failure::Fatal(e)) => return Err(e),
        }
    }
    if let Some(mut o) = out {
        written(o.flush(), "output")?;
    }
    write_tally(&args, &tally, &guard)?;
    Ok(if failed { exit::RUNTIME } else { exit::OK })
}

fn scan_config(args: &ScanArgs) -> Result<ScanConfig, CliError> {
    let mut cfg = ScanConfig::default();
    if let Some(t) = args.threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(CliError::Usage(format!(
                "--threshold {t}: must be between 0 and 1"
            )));
        }
        cfg.threshold = t;
    }
    if !args.types.is_empty() {
        let mut types = Vec::new();
        for name in args
            .types
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let ty = name
                .parse::<PhiType>()
                .map_err(|e| CliError::Usage(format!("--types: {e}")))?;
            if !types.contains(&ty) {
                types.push(ty);
            }
        }
        if types.is_empty() {
            return Err(CliError::Usage("--types: no type given".into()));
        }
        cfg.types = types;
    }
    Ok(cfg)
}

fn redact_mode(args: &ScanArgs) -> Result<Option<RedactMode>, CliError> {
    let key = args
        .hash_key
        .clone()
        .or_else(|| std::env::var("PHIWATCH_HASH_KEY").ok());
    Ok(match args.redact {
        None => None,
        Some(RedactArg::Mask) => Some(RedactMode::Mask),
        Some(RedactArg::Redact) => Some(RedactMode::Redact),
        Some(RedactArg::Replace) => Some(RedactMode::Replace),
        Some(RedactArg::Hash) => match key {
            Some(k) if !k.is_empty() => Some(RedactMode::Hash {
                key: k.into_bytes(),
            }),
            _ => {
                return Err(CliError::Usage(
                    "--redact hash needs a key: --hash-key KEY or PHIWATCH_HASH_KEY".into(),
                ))
            }
        },
    })
}

/// With `--redact`: the directory that mirrors the inputs, when there are
/// several inputs or a directory among them (`-o DIR` is then required).
fn mirror_dir(args: &ScanArgs, inputs: &[InputSpec]) -> Result<Option<PathBuf>, CliError> {
    let walked = inputs.iter().any(|i| matches!(i, InputSpec::Found(_)));
    let to_dir = args.output.as_ref().is_some_and(|o| o.is_dir());
    if inputs.len() <= 1 && !walked && !to_dir {
        if let (Some(o), Some(InputSpec::File(p))) = (&args.output, inputs.first()) {
            if same_file(o, p) {
                return Err(CliError::Usage(format!(
                    "-o {}: is the input; write elsewhere",
                    o.display()
                )));
            }
        }
        return Ok(None);
    }
    let Some(dir) = args.output.clone() else {
        return Err(CliError::Usage(
            "--redact with several inputs or a directory needs -o DIR".into(),
        ));
    };
    if dir.is_file() {
        return Err(CliError::Usage(format!(
            "-o {}: is a file; several inputs need a directory",
            dir.display()
        )));
    }
    for p in &args.paths {
        if Path::new(p).is_dir() && same_file(&dir, Path::new(p)) {
            return Err(CliError::Usage(format!(
                "-o {}: is an input directory; write elsewhere",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    Ok(Some(dir))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Where an input goes under the mirror directory: its path below the
/// directory argument it was found in, or its file name.
fn relative(input: &InputSpec, args: &[String]) -> PathBuf {
    let path = match input {
        InputSpec::Stdin => return PathBuf::from("stdin"),
        InputSpec::File(p) | InputSpec::Found(p) => p,
    };
    let rel = args
        .iter()
        .map(Path::new)
        .filter(|a| a.is_dir())
        .find_map(|a| path.strip_prefix(a).ok())
        .map(Path::to_path_buf)
        .or_else(|| path.file_name().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("input"));
    // Written decompressed: drop the compression suffix.
    match rel.extension().and_then(|e| e.to_str()) {
        Some("gz" | "zst") => rel.with_extension(""),
        _ => rel,
    }
}

/// Where the findings or the redacted text of one input go.
enum Dest<'a> {
    /// Findings, to the output.
    Findings(&'a mut dyn Write),
    /// The input redacted, to the output.
    Redacted(&'a mut dyn Write, &'a RedactMode),
    /// The input redacted, to its file under the mirror directory (created
    /// at the first block, appended to at the next ones).
    Mirror(PathBuf, Option<std::fs::File>, &'a RedactMode),
}

/// One input being scanned: where it goes and what was found in it so far.
struct Pass<'a> {
    scanner: &'a Scanner,
    args: &'a ScanArgs,
    path: &'a str,
    dest: Dest<'a>,
    /// The findings of the current block (in its coordinates).
    found: Vec<Found>,
    /// The current block redacted.
    redacted: Vec<u8>,
    /// Counts by type in the blocks so far.
    by: BTreeMap<PhiType, u64>,
}

impl Pass<'_> {
    /// Scans one block of the input and writes what it gives.
    fn block(&mut self, block: &Block<'_>) -> Result<(), CliError> {
        self.found.clear();
        scan_document(self.scanner, block.bytes, block.layout, &mut self.found);
        for f in &self.found {
            *self.by.entry(f.ty).or_insert(0) += 1;
        }
        let (out, mode) = match &mut self.dest {
            Dest::Findings(o) => {
                let r = write_findings(*o, self.path, block, &self.found, self.args);
                return written(r, "findings");
            }
            Dest::Redacted(o, m) => (&mut **o, *m),
            Dest::Mirror(target, file, m) => {
                let f = match file {
                    Some(f) => f,
                    None => file.insert(create_file(target)?),
                };
                self.redacted.clear();
                redact(block.bytes, &self.found, m, &mut self.redacted);
                f.write_all(&self.redacted)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
                return Ok(());
            }
        };
        self.redacted.clear();
        redact(block.bytes, &self.found, mode, &mut self.redacted);
        written(out.write_all(&self.redacted), "the redacted output")
    }
}

/// Creates `target` and the directories above it.
fn create_file(target: &Path) -> Result<std::fs::File, CliError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::File::create(target)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()).into())
}

fn table_header(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<40}  {:<15}  {:<22}  {:>5}  {:<20}  {:<24}  TEXT",
        "PATH:LINE", "OFFSETS", "TYPE", "SCORE", "SAFE HARBOR", "KEY"
    )
}

/// Writes the findings of `block` (in its coordinates) with their offsets
/// and lines in the whole input.
fn write_findings(
    out: &mut dyn Write,
    path: &str,
    block: &Block<'_>,
    found: &[Found],
    args: &ScanArgs,
) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut buf = String::with_capacity(256);
    let mut text = String::new();
    for f in found {
        let value = block.bytes.get(f.start..f.end).unwrap_or_default();
        let (line, start, end) = (
            f.line + block.lines,
            f.start + block.offset,
            f.end + block.offset,
        );
        text.clear();
        if args.show_text {
            text.push_str(&String::from_utf8_lossy(value));
        } else {
            text.push_str(&mask(value));
        }
        let score = if f.score.is_finite() {
            (f.score * 1000.0).round() / 1000.0
        } else {
            0.0
        };
        let sh = f.ty.safe_harbor();
        buf.clear();
        match args.format {
            ScanFormat::Jsonl => {
                buf.push_str("{\"path\":");
                json_str(&mut buf, path);
                // Writing to a String cannot fail.
                let _ = write!(
                    buf,
                    ",\"line\":{},\"start\":{},\"end\":{},\"type\":\"{}\",\"score\":{score},\"safe_harbor\":\"{} {}\"",
                    line,
                    start,
                    end,
                    f.ty.name(),
                    sh.letter(),
                    sh.name()
                );
                buf.push_str(",\"text\":");
                json_str(&mut buf, &text);
                if let Some(k) = &f.key {
                    buf.push_str(",\"key\":");
                    json_str(&mut buf, k);
                }
                buf.push_str("}\n");
            }
            ScanFormat::Table => {
                let text: String = text.chars().filter(|c| !c.is_control()).collect();
                let category = format!("{} {}", sh.letter(), sh.name());
                let _ = writeln!(
                    buf,
                    "{:<40}  {:<15}  {:<22}  {score:>5.2}  {:<20}  {:<24}  {text}",
                    format!("{path}:{line}"),
                    format!("{start}-{end}"),
                    f.ty.name(),
                    category,
                    f.key.as_deref().unwrap_or("-"),
                );
            }
        }
        out.write_all(buf.as_bytes())?;
    }
    Ok(())
}

impl Tally {
    fn add(&mut self, path: &str, bytes: u64, by: BTreeMap<PhiType, u64>) {
        self.files.push((path.to_string(), bytes, by));
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut total = BTreeMap::new();
        let mut bytes = 0;
        for (path, n, by) in &self.files {
            writeln!(out, "scan: {path}: {} ({n} bytes)", counts(by))?;
            bytes += n;
            for (ty, c) in by {
                *total.entry(*ty).or_insert(0u64) += c;
            }
        }
        writeln!(
            out,
            "scan: total: {} in {} file(s), {bytes} bytes",
            counts(&total),
            self.files.len()
        )
    }
}

/// `3 findings (US_SSN 2, CREDIT_CARD 1)`.
fn counts(by: &BTreeMap<PhiType, u64>) -> String {
    let n: u64 = by.values().sum();
    let parts: Vec<String> = by
        .iter()
        .map(|(t, c)| format!("{} {c}", t.name()))
        .collect();
    let noun = if n == 1 { "finding" } else { "findings" };
    if parts.is_empty() {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun} ({})", parts.join(", "))
    }
}

fn write_tally(args: &ScanArgs, tally: &Tally, scanner: &Scanner) -> Result<(), CliError> {
    let mut text = Vec::new();
    tally.write(&mut text)?;
    let text = scrub(scanner, &String::from_utf8_lossy(&text), false);
    match &args.summary {
        Some(p) => {
            let mut f = open_output(Some(p))?;
            written(
                f.write_all(text.as_bytes()).and_then(|()| f.flush()),
                "the summary",
            )
        }
        None if args.quiet => Ok(()),
        None => written(
            io::stderr().lock().write_all(text.as_bytes()),
            "the summary",
        ),
    }
}

/// A message for standard error with the identifiers in it masked (a path
/// or an argument may hold one): what the scanner finds, and in error
/// messages (`digits`) any run of seven or more digits.
fn scrub(scanner: &Scanner, msg: &str, digits: bool) -> String {
    let mut found = Vec::new();
    scan_document(scanner, msg.as_bytes(), Layout::Text, &mut found);
    if digits {
        found.extend(digit_runs(msg.as_bytes()));
    }
    if found.is_empty() {
        return msg.to_string();
    }
    let mut out = Vec::with_capacity(msg.len());
    redact(msg.as_bytes(), &found, &RedactMode::Mask, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs of digits (with `-`, `.`, ` ` between them) holding seven or more
/// digits, as findings to mask.
fn digit_runs(b: &[u8]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (start, mut end, mut n) = (i, i, 0);
        while i < b.len() && (b[i].is_ascii_digit() || matches!(b[i], b'-' | b'.' | b' ')) {
            if b[i].is_ascii_digit() {
                n += 1;
                end = i + 1;
            }
            i += 1;
        }
        if n >= 7 {
            out.push(Found {
                start,
                end,
                line: 1,
                ty: PhiType::UsSsn,
                score: 1.0,
                key: None,
            });
        }
    }
    out
}
