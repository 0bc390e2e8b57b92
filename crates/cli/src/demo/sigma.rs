//! The detections `phiwatch demo` shows: the built-in healthcare Sigma pack
//! run over the same time-ordered events, tallied by rule.

use std::collections::BTreeMap;
use std::io::{self, Write};

use phiwatch_event::{Event, Timestamp};
use phiwatch_sigma::{Engine, Hit, Session};
use serde_json::{json, Value};

use super::text::second_text;

/// One rule's findings.
#[derive(Debug, Clone)]
pub(super) struct RuleTally {
    pub(super) title: String,
    pub(super) level: &'static str,
    pub(super) detector: &'static str,
    pub(super) findings: u64,
    pub(super) first: Timestamp,
    pub(super) last: Timestamp,
}

/// Findings of the built-in pack, by rule.
#[derive(Debug, Default)]
pub(super) struct SigmaTally {
    pub(super) rules: usize,
    pub(super) by_rule: BTreeMap<usize, RuleTally>,
}

/// Feeds events to a session and tallies its hits.
pub(super) struct Detect<'e> {
    engine: &'e Engine,
    session: Session<'e>,
    hits: Vec<Hit>,
    tally: SigmaTally,
}

impl<'e> Detect<'e> {
    pub(super) fn new(engine: &'e Engine) -> Detect<'e> {
        Detect {
            engine,
            session: engine.session(),
            hits: Vec::new(),
            tally: SigmaTally {
                rules: engine.rules().len(),
                by_rule: BTreeMap::new(),
            },
        }
    }

    pub(super) fn add(&mut self, ev: &Event) {
        self.session.process(ev, &mut self.hits);
        self.drain();
    }

    pub(super) fn finish(mut self) -> SigmaTally {
        self.session.finish(&mut self.hits);
        self.drain();
        self.tally
    }

    fn drain(&mut self) {
        for h in self.hits.drain(..) {
            let info = &self.engine.rules()[h.rule];
            let t = self
                .tally
                .by_rule
                .entry(h.rule)
                .or_insert_with(|| RuleTally {
                    title: info.title.clone(),
                    level: info.level.as_str(),
                    detector: info.kind.detector().as_str(),
                    findings: 0,
                    first: h.time,
                    last: h.end_time,
                });
            t.findings += 1;
            t.first = t.first.min(h.time);
            t.last = t.last.max(h.end_time);
        }
    }
}

impl SigmaTally {
    /// The table section.
    pub(super) fn write_table(&self, out: &mut impl Write, logs: &str) -> io::Result<()> {
        writeln!(
            out,
            "\nDETECTIONS (the built-in healthcare Sigma pack, {} rules, over the same events; `phiwatch hunt {logs}` lists each finding)",
            self.rules
        )?;
        if self.by_rule.is_empty() {
            return writeln!(out, "  no rule fired");
        }
        writeln!(
            out,
            "  {:<9} {:<12} {:>8}  {:<20}  {:<20}  RULE",
            "LEVEL", "DETECTOR", "FINDINGS", "FIRST", "LAST"
        )?;
        let mut rows: Vec<&RuleTally> = self.by_rule.values().collect();
        rows.sort_by(|a, b| a.first.cmp(&b.first).then(a.title.cmp(&b.title)));
        for r in rows {
            writeln!(
                out,
                "  {:<9} {:<12} {:>8}  {:<20}  {:<20}  {}",
                r.level,
                r.detector,
                r.findings,
                second_text(r.first),
                second_text(r.last),
                r.title
            )?;
        }
        Ok(())
    }

    /// The JSON form: one object per rule that fired.
    pub(super) fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .by_rule
            .values()
            .map(|r| {
                json!({
                    "title": r.title,
                    "level": r.level,
                    "detector": r.detector,
                    "findings": r.findings,
                    "first": r.first.to_rfc3339(),
                    "last": r.last.to_rfc3339(),
                })
            })
            .collect();
        json!({ "rules": self.rules, "fired": rows })
    }
}
