//! Writes the labeled evaluation corpus (`phiwatch_phi::corpus`) to a
//! directory for external tools: one file per document, `labels.jsonl`
//! (`{"path","start","end","type"}`, byte offsets, end exclusive) and
//! `negatives.jsonl` (`{"path","start","end","kind"}`).
//!
//! With `--logs-mb N` it writes instead `logs.txt`, about N MB of log-like
//! text (access and application logs only), for throughput measurements.
//!
//! ```text
//! cargo run --release -p phiwatch-phi --example phi_corpus -- OUT_DIR [--seed N] [--scale N]
//! cargo run --release -p phiwatch-phi --example phi_corpus -- OUT_DIR --logs-mb 50
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use phiwatch_phi::corpus::{generate, generate_logs, Corpus};

struct Args {
    out: PathBuf,
    seed: u64,
    scale: usize,
    logs_mb: Option<usize>,
}

fn usage() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "usage: phi_corpus OUT_DIR [--seed N] [--scale N] [--logs-mb N]",
    )
}

fn parse_args() -> io::Result<Args> {
    let mut it = std::env::args().skip(1);
    let out = it.next().map(PathBuf::from).ok_or_else(usage)?;
    let mut args = Args {
        out,
        seed: 0x5EED_2026,
        scale: 20,
        logs_mb: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(usage)?;
        let n: u64 = value.parse().map_err(|_| usage())?;
        match flag.as_str() {
            "--seed" => args.seed = n,
            "--scale" => args.scale = n as usize,
            "--logs-mb" => args.logs_mb = Some(n as usize),
            _ => return Err(usage()),
        }
    }
    Ok(args)
}

fn write_corpus(dir: &Path, corpus: &Corpus) -> io::Result<()> {
    let mut labels = BufWriter::new(File::create(dir.join("labels.jsonl"))?);
    let mut negatives = BufWriter::new(File::create(dir.join("negatives.jsonl"))?);
    for doc in &corpus.docs {
        fs::write(dir.join(&doc.name), &doc.text)?;
        // Names are generated ASCII without quotes or backslashes.
        for l in &doc.labels {
            writeln!(
                labels,
                r#"{{"path":"{}","start":{},"end":{},"type":"{}"}}"#,
                doc.name,
                l.start,
                l.end,
                l.ty.name()
            )?;
        }
        for n in &doc.negatives {
            writeln!(
                negatives,
                r#"{{"path":"{}","start":{},"end":{},"kind":"{}"}}"#,
                doc.name, n.start, n.end, n.kind
            )?;
        }
    }
    labels.flush()?;
    negatives.flush()
}

/// Writes about `mb` MB of access and application log text to `path`.
fn write_logs(path: &Path, seed: u64, mb: usize) -> io::Result<usize> {
    let target = mb * 1_000_000;
    let mut out = BufWriter::new(File::create(path)?);
    let mut written = 0;
    let mut round = 0;
    while written < target {
        let corpus = generate_logs(seed.wrapping_add(round), 256);
        for doc in &corpus.docs {
            out.write_all(doc.text.as_bytes())?;
            written += doc.text.len();
        }
        round += 1;
    }
    out.flush()?;
    Ok(written)
}

fn main() -> io::Result<()> {
    let args = parse_args()?;
    fs::create_dir_all(&args.out)?;
    if let Some(mb) = args.logs_mb {
        let path = args.out.join("logs.txt");
        let n = write_logs(&path, args.seed, mb)?;
        println!("{}: {n} bytes", path.display());
        return Ok(());
    }
    let corpus = generate(args.seed, args.scale);
    write_corpus(&args.out, &corpus)?;
    let labels: usize = corpus.docs.iter().map(|d| d.labels.len()).sum();
    println!(
        "{}: {} documents, {} bytes, {labels} labels",
        args.out.display(),
        corpus.docs.len(),
        corpus.bytes()
    );
    Ok(())
}
