//! The rendering of `phiwatch demo`'s summary: aligned text (`--format
//! table`) or one JSON object on one line (`--format jsonl`). This file
//! holds the frame (what was generated and read back, where things are,
//! what to run next); [`super::sections`] the chain's sections.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use phiwatch_synth::{GenConfig, GenReport};
use serde_json::{json, Value};

use super::chain::{Chain, Paths};
use super::sections;
use super::text::{bytes_text, day_text, second_text, wrap_list};

/// Totals of one format across its sources.
#[derive(Debug, Default, Clone, Copy)]
struct FormatTotals {
    files: u64,
    records: u64,
    accepted: u64,
    rejected: u64,
}

/// Everything the summary shows: what was generated, read back, found,
/// scoped and determined.
pub(super) struct Summary<'a> {
    pub(super) cfg: &'a GenConfig,
    pub(super) gen: &'a GenReport,
    pub(super) paths: &'a Paths,
    pub(super) chain: &'a Chain,
}

impl Summary<'_> {
    fn formats(&self) -> BTreeMap<&'static str, FormatTotals> {
        let mut m: BTreeMap<&'static str, FormatTotals> = BTreeMap::new();
        for (_, s) in &self.chain.ingest.sources {
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

    fn sources(&self) -> usize {
        let r = &self.chain.ingest;
        r.sources.len() - r.skipped_sources()
    }

    /// The commands that redo each step by hand.
    pub(super) fn next_commands(&self) -> Vec<String> {
        let p = self.paths;
        let mut next = vec![format!(
            "phiwatch hunt {} --inventory {} --store {} --format jsonl -o {}",
            p.logs.display(),
            p.inventory.display(),
            p.db.display(),
            p.findings.display()
        )];
        let incident = self.chain.incident.as_ref();
        next.push(format!(
            "phiwatch scope --store {} --inventory {} {} --discovered {} --format html -o {}",
            p.db.display(),
            p.inventory.display(),
            incident.map_or(
                "--from TIME --to TIME --actor KIND:VALUE".to_string(),
                |f| { format!("--incident {}", f.id) }
            ),
            self.chain.discovered,
            p.report.join("report.html").display()
        ));
        if incident.is_some() {
            next.push(format!(
                "open {} (in a browser)",
                p.report.join("report.html").display()
            ));
        }
        next.push(format!(
            "phiwatch demo generate --scenario {} --days 7 --scale medium --out DIR",
            self.cfg.scenario.name()
        ));
        next
    }

    /// The summary as aligned text.
    pub(super) fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_table_header(out)?;
        self.write_table_read_back(out)?;
        sections::write_detections(out, &self.chain.detections, &self.paths.findings)?;
        sections::write_incident(out, self.chain)?;
        sections::write_scope(out, self.chain)?;
        sections::write_hipaa(out, self.chain)?;
        sections::write_truth(out, &self.chain.truth, &self.paths.truth)?;
        self.write_table_footer(out)
    }

    /// What was generated.
    fn write_table_header(&self, out: &mut impl Write) -> io::Result<()> {
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
            "generated {} records ({}) in {} files; then hunted, scoped and reported in one pass\n",
            self.gen.records,
            bytes_text(self.gen.bytes),
            self.gen.files.len()
        )
    }

    /// Events by dataset and records by format, as read back.
    fn write_table_read_back(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "READ BACK (phiwatch's decoders, one time-ordered stream)"
        )?;
        writeln!(
            out,
            "  {:<18} {:>9}  {:<20}  LAST",
            "DATASET", "EVENTS", "FIRST"
        )?;
        for (ds, s) in &self.chain.look.datasets {
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
        let t = self.chain.ingest.totals();
        writeln!(
            out,
            "  {} sources, {} records read: {} accepted, {} rejected, {} failed sources; {} events\n",
            self.sources(),
            t.records,
            t.accepted,
            t.rejected,
            self.chain.ingest.failed_sources(),
            self.chain.events
        )
    }

    /// Where the output is, and what to run next.
    fn write_table_footer(&self, out: &mut impl Write) -> io::Result<()> {
        let p = self.paths;
        let c = self.chain;
        writeln!(out, "\nWHERE THINGS ARE")?;
        writeln!(out, "  logs          {}", p.logs.display())?;
        writeln!(out, "  inventory     {}", p.inventory.display())?;
        writeln!(
            out,
            "  ground truth  {} ({} labeled attack steps; the answer key, not read by the detectors)",
            p.truth.display(),
            self.gen.steps
        )?;
        writeln!(
            out,
            "  findings      {} ({} findings, one JSON object a line)",
            p.findings.display(),
            c.detections.findings
        )?;
        writeln!(
            out,
            "  store         {} (SQLite: the findings, {} data accesses, the logs' coverage)",
            p.db.display(),
            c.accesses
        )?;
        match report_html(&c.documents) {
            None => writeln!(out, "  report        none: no incident to report on")?,
            Some(html) => {
                writeln!(
                    out,
                    "  report        {} (open it in a browser)",
                    html.display()
                )?;
                let others: Vec<String> = c
                    .documents
                    .iter()
                    .filter(|d| *d != html)
                    .map(|d| d.strip_prefix(&p.report).unwrap_or(d).display().to_string())
                    .collect();
                writeln!(
                    out,
                    "                and beside it: {}",
                    wrap_list(&others, 31, 80)
                )?;
            }
        }
        writeln!(out, "\nNEXT (each step by hand)")?;
        for cmd in self.next_commands() {
            writeln!(out, "  {cmd}")?;
        }
        Ok(())
    }

    /// The summary as one JSON object on one line.
    pub(super) fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let c = self.cfg;
        let t = self.chain.ingest.totals();
        let p = self.paths;
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
            "datasets": self.datasets_json(),
            "formats": self.formats_json(),
            "totals": {
                "sources": self.sources(),
                "failed_sources": self.chain.ingest.failed_sources(),
                "records": t.records,
                "accepted": t.accepted,
                "rejected": t.rejected,
                "events": self.chain.events,
                "findings": self.chain.detections.findings,
                "accesses": self.chain.accesses,
            },
            "detections": sections::detections_json(&self.chain.detections),
            "incident": sections::incident_json(self.chain),
            "scope": sections::scope_json(self.chain),
            "hipaa": sections::hipaa_json(self.chain),
            "truth_check": sections::truth_json(&self.chain.truth),
            "paths": {
                "logs": p.logs.display().to_string(),
                "inventory": p.inventory.display().to_string(),
                "truth": p.truth.display().to_string(),
                "findings": p.findings.display().to_string(),
                "store": p.db.display().to_string(),
                "report": report_html(&self.chain.documents).map(|d| d.display().to_string()),
                "documents": self.chain.documents.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
            },
            "next": self.next_commands(),
        });
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
        writeln!(out)
    }

    fn datasets_json(&self) -> Vec<Value> {
        self.chain
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
            .collect()
    }

    fn formats_json(&self) -> Vec<Value> {
        self.formats()
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
            .collect()
    }
}

/// The report page among the documents.
fn report_html(documents: &[PathBuf]) -> Option<&Path> {
    documents
        .iter()
        .map(PathBuf::as_path)
        .find(|d| d.file_name().is_some_and(|n| n == "report.html"))
}
