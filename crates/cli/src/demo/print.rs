//! The rendering of `phiwatch demo`'s summary: aligned text (`--format
//! table`) or one JSON object on one line (`--format jsonl`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use phiwatch_ingest::Report;
use phiwatch_synth::{GenConfig, GenReport};
use serde_json::{json, Value};

use super::sigma::SigmaTally;
use super::summary::{Aggregation, Look};
use super::text::{bytes_text, day_text, second_text, under};

/// Totals of one format across its sources.
#[derive(Debug, Default, Clone, Copy)]
struct FormatTotals {
    files: u64,
    records: u64,
    accepted: u64,
    rejected: u64,
}

/// Everything the summary shows: what was generated and what was read back.
pub(super) struct Summary<'a> {
    pub(super) cfg: &'a GenConfig,
    pub(super) out: &'a Path,
    pub(super) gen: &'a GenReport,
    pub(super) report: &'a Report,
    pub(super) look: &'a Look,
    pub(super) sigma: &'a SigmaTally,
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

    /// The summary as aligned text.
    pub(super) fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_table_header(out)?;
        self.write_table_read_back(out)?;
        self.write_table_aggregations(out)?;
        self.sigma
            .write_table(out, &self.logs().display().to_string())?;
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
            "generated {} records ({}) in {} files\n",
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
        )
    }

    /// Every aggregation, its top rows.
    fn write_table_aggregations(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "WHAT THE DATA SHOWS (descriptive aggregations of the events, not detections)"
        )?;
        for a in self.look.aggregations() {
            write_table_aggregation(out, &a)?;
        }
        Ok(())
    }

    /// Where the output is, and what to run next.
    fn write_table_footer(&self, out: &mut impl Write) -> io::Result<()> {
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
            "  phiwatch hunt {} --inventory {}",
            self.logs().display(),
            self.inventory().display()
        )?;
        writeln!(
            out,
            "  phiwatch demo generate --scenario {} --days 7 --scale medium --out DIR",
            self.cfg.scenario.name()
        )?;
        Ok(())
    }

    /// The summary as one JSON object on one line.
    pub(super) fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let c = self.cfg;
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
            "datasets": self.datasets_json(),
            "formats": self.formats_json(),
            "totals": {
                "sources": self.report.sources.len() - self.report.skipped_sources(),
                "failed_sources": self.report.failed_sources(),
                "records": t.records,
                "accepted": t.accepted,
                "rejected": t.rejected,
            },
            "aggregations": self.aggregations_json(),
            "detections": self.sigma.json(),
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

    fn datasets_json(&self) -> Vec<Value> {
        self.look
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

    fn aggregations_json(&self) -> Vec<Value> {
        self.look
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
            .collect()
    }
}

/// One aggregation as a titled table of its top rows.
fn write_table_aggregation(out: &mut impl Write, a: &Aggregation) -> io::Result<()> {
    writeln!(out, "  {} — {}", a.title, a.how)?;
    if a.rows.is_empty() {
        return writeln!(out, "    (none)");
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::summary::read_back;
    use super::*;

    #[test]
    fn summary_of_the_samples() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
        let (report, look, sigma, failed) = read_back(&samples);
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
            sigma: &sigma,
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
            "DETECTIONS (the built-in healthcare Sigma pack",
            "phiwatch hunt demo-out/logs",
        ] {
            assert!(table.contains(want), "{want} not in\n{table}");
        }
        let mut json = Vec::new();
        s.write_json(&mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["paths"]["truth"], "demo-out/truth/truth.jsonl");
        assert!(v["aggregations"].as_array().unwrap().len() >= 5);
        assert!(v["detections"]["rules"].as_u64().unwrap() >= 25);
        assert!(v["detections"]["fired"].is_array());
        println!("{table}");
    }
}
