//! Diagnostics on stderr: capped while running, summarized at the end.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use indicatif::ProgressBar;
use phiwatch_ingest::{Diagnostic, DiagnosticSink, Report};

/// Prints diagnostics to stderr, at most `max` of them; counts the rest.
pub struct StderrSink {
    max: u64,
    shown: AtomicU64,
    hidden: AtomicU64,
    bar: Mutex<Option<ProgressBar>>,
}

impl StderrSink {
    pub fn new(max: u64) -> Self {
        StderrSink {
            max,
            shown: AtomicU64::new(0),
            hidden: AtomicU64::new(0),
            bar: Mutex::new(None),
        }
    }

    /// Routes output around a progress bar while it is shown.
    pub fn set_bar(&self, bar: Option<ProgressBar>) {
        if let Ok(mut b) = self.bar.lock() {
            *b = bar;
        }
    }

    /// Diagnostics not printed because of the cap.
    pub fn hidden(&self) -> u64 {
        self.hidden.load(Ordering::Relaxed)
    }
}

impl DiagnosticSink for StderrSink {
    fn report(&self, d: &Diagnostic) {
        if self.shown.fetch_add(1, Ordering::Relaxed) >= self.max {
            self.hidden.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let line = format!("phiwatch: {d}");
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

/// Writes the end-of-run summary: sources with problems (or every source
/// when there are few), then the totals.
pub fn write_summary(out: &mut impl Write, report: &Report, hidden: u64) -> std::io::Result<()> {
    for e in &report.input_errors {
        writeln!(out, "phiwatch: {e}")?;
    }
    let few = report.sources.len() <= 20;
    let mut listed = 0;
    let header = format!(
        "{:<12} {:<8} {:>10} {:>10} {:>9} {:>9}  SOURCE",
        "FORMAT", "COMPRESS", "READ", "ACCEPTED", "REJECTED", "FILTERED"
    );
    let mut wrote_header = false;
    for (info, s) in &report.sources {
        if s.skipped.is_some() {
            continue;
        }
        let problem = s.rejected > 0 || s.error.is_some();
        if !(few || problem) || listed >= 50 {
            continue;
        }
        if !wrote_header {
            writeln!(out, "{header}")?;
            wrote_header = true;
        }
        listed += 1;
        let format = s.format.map_or("-", |f| f.name());
        write!(
            out,
            "{:<12} {:<8} {:>10} {:>10} {:>9} {:>9}  {}",
            format,
            s.compression.name(),
            s.records,
            s.accepted,
            s.rejected,
            s.filtered,
            info.path
        )?;
        if !s.rejected_by_kind.is_empty() {
            let kinds: Vec<String> = s
                .rejected_by_kind
                .iter()
                .map(|(k, n)| format!("{}: {n}", k.label()))
                .collect();
            write!(out, "  (rejected {})", kinds.join(", "))?;
        }
        if let Some(e) = &s.error {
            write!(out, "  [{e}]")?;
        }
        writeln!(out)?;
    }
    let t = report.totals();
    let failed = report.failed_sources();
    writeln!(
        out,
        "phiwatch: {} sources read ({} failed, {} skipped), {} records read: {} accepted, {} rejected; {} events emitted ({} outside --from/--to), {} late, {} out of order",
        report.sources.len() - report.skipped_sources(),
        failed,
        report.skipped_sources(),
        t.records,
        t.accepted,
        t.rejected,
        t.emitted(),
        t.filtered,
        t.late,
        report.out_of_order
    )?;
    let skipped: Vec<&str> = report
        .sources
        .iter()
        .filter(|(_, s)| s.skipped.is_some())
        .map(|(i, _)| &*i.path)
        .collect();
    if !skipped.is_empty() {
        let shown: Vec<&str> = skipped.iter().take(5).copied().collect();
        let more = if skipped.len() > 5 {
            format!(" and {} more", skipped.len() - 5)
        } else {
            String::new()
        };
        writeln!(
            out,
            "phiwatch: skipped {} files found in directories that are not a recognized log format: {}{more}",
            skipped.len(),
            shown.join(", ")
        )?;
    }
    let not_shown = hidden + t.suppressed;
    if not_shown > 0 {
        writeln!(
            out,
            "phiwatch: {not_shown} more diagnostics not shown (the per-source and total caps; see the table above for counts by reason)"
        )?;
    }
    Ok(())
}
