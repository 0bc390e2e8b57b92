//! Indicators of compromise in `hunt` (`--ioc FILE…`): every event is
//! matched against the loaded indicators; at the end, each indicator seen
//! gives one `ioc` finding with its first and last sighting across all the
//! history given, how often, where (field and value) and the evidence.

use std::io::Write;
use std::path::PathBuf;

use phiwatch_event::{Event, Timestamp};
use phiwatch_finding::{attack_from_tags, Detector, Entity, Evidence, Finding, Level, RuleRef};
use phiwatch_intel::matcher::{Hit, IntelSet, Sighting, Sightings};
use phiwatch_intel::{import, Indicator, LoadReport};

use crate::CliError;

/// Loads intel files for a command: every path must exist (a usage error
/// otherwise); what loading did goes to stderr unless `quiet`.
pub fn load(paths: &[PathBuf], quiet: bool) -> Result<(Vec<Indicator>, LoadReport), CliError> {
    for p in paths {
        if !p.exists() {
            return Err(CliError::Usage(format!(
                "--ioc {}: no such file or directory",
                p.display()
            )));
        }
    }
    let (indicators, report) = import::load_all(paths, Timestamp::now());
    if !quiet {
        write_report(&mut std::io::stderr().lock(), &report, 10)?;
    }
    Ok((indicators, report))
}

/// `phiwatch: ioc: …` lines: the totals, then up to `max` problems.
pub fn write_report(out: &mut dyn Write, r: &LoadReport, max: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "phiwatch: ioc: {} file(s), {} item(s) read: {} indicators loaded, {} merged as duplicates, {} expired, {} not for detection, {} not usable",
        r.files,
        r.read,
        r.loaded,
        r.merged,
        r.expired,
        r.not_for_detection,
        r.problems.len()
    )?;
    for p in r.problems.iter().take(max) {
        writeln!(out, "phiwatch: ioc: {p}")?;
    }
    if r.problems.len() > max {
        writeln!(
            out,
            "phiwatch: ioc: … and {} more (phiwatch ioc check lists them all)",
            r.problems.len() - max
        )?;
    }
    Ok(())
}

/// The matching state of one run.
pub struct IocHunt {
    indicators: Vec<Indicator>,
    set: IntelSet,
    sightings: Sightings<Evidence>,
    /// Who acted in the first event of each indicator seen.
    entities: Vec<Option<Entity>>,
    hits: Vec<Hit>,
}

impl IocHunt {
    /// Compiles the indicators.
    pub fn new(indicators: Vec<Indicator>) -> IocHunt {
        let set = IntelSet::new(&indicators);
        IocHunt {
            entities: vec![None; indicators.len()],
            indicators,
            set,
            sightings: Sightings::new(),
            hits: Vec::new(),
        }
    }

    /// The indicators loaded.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Matches one event; `evidence` and `entity` are asked for only when it
    /// matches.
    pub fn observe(
        &mut self,
        ev: &Event,
        evidence: impl FnOnce() -> Evidence,
        entity: impl FnOnce() -> Entity,
    ) -> bool {
        self.hits.clear();
        self.set.matches(ev, &mut self.hits);
        if self.hits.is_empty() {
            return false;
        }
        let mut who = None;
        let mut entity = Some(entity);
        for h in &self.hits {
            if let Some(slot) = self.entities.get_mut(h.indicator).filter(|s| s.is_none()) {
                if who.is_none() {
                    who = entity.take().map(|f| f());
                }
                *slot = who.clone();
            }
        }
        self.sightings.record(ev.time(), &self.hits, &evidence());
        true
    }

    /// Every indicator seen with its sighting, in indicator order.
    pub fn sighted(&self) -> impl Iterator<Item = (&Indicator, &Sighting<Evidence>)> + '_ {
        self.sightings
            .iter()
            .filter_map(|(i, s)| self.indicators.get(i).map(|ind| (ind, s)))
    }

    /// One `ioc` finding per indicator seen, ordered by first sighting.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .sightings
            .iter()
            .filter_map(|(i, s)| {
                let ind = self.indicators.get(i)?;
                let who = self.entities.get(i).cloned().flatten();
                Some(finding(ind, s, who))
            })
            .collect();
        out.sort_by(|a, b| (a.time, &a.rule.id).cmp(&(b.time, &b.rule.id)));
        out
    }
}

/// The finding of one indicator seen.
fn finding(ind: &Indicator, s: &Sighting<Evidence>, who: Option<Entity>) -> Finding {
    let level = match ind.confidence {
        Some(c) if c < 50 => Level::Medium,
        _ => Level::High,
    };
    let rule = RuleRef {
        id: ind.id.clone(),
        title: format!("Indicator of compromise: {}", ind.name),
        level,
        author: None,
        source: Some(ind.source.clone()),
    };
    let mut f = Finding::new(Detector::Ioc, rule, s.first);
    f.end_time = s.last;
    f.tags = tags(ind);
    f.attack = attack_from_tags(&f.tags);
    f.entity = who.unwrap_or_default();
    f.score = f64::from(ind.confidence.unwrap_or(80).min(100)) / 100.0;
    f.metrics.insert("sightings".into(), s.count as f64);
    f.metrics.insert(
        "values".into(),
        (s.values.len() as u64 + s.other_values) as f64,
    );
    f.group.insert("indicator".into(), ind.id.clone());
    f.group.insert("source".into(), ind.source.clone());
    if let Some(v) = s.values.first() {
        f.group.insert("field".into(), v.field.to_string());
        f.group.insert("value".into(), v.value.clone());
    }
    for (_, e) in &s.earliest {
        f.evidence.push(e.clone());
    }
    if s.count as usize > s.earliest.len() {
        f.evidence.push(s.latest.1.clone());
    }
    let mut what = s.values.first().map_or_else(
        || ind.name.clone(),
        |v| format!("{} in {}", v.value, v.field),
    );
    if s.values.first().is_some_and(|v| v.value != ind.name) {
        what.push_str(&format!(" ({})", ind.name));
    }
    f.summary = format!(
        "{what} seen in {} event(s) from {} to {}",
        s.count, s.first, s.last
    );
    f.refresh_id();
    f
}

/// Sigma-style tags from the indicator: ATT&CK tactics from `mitre-attack`
/// kill-chain phases, techniques, and the indicator's labels.
fn tags(ind: &Indicator) -> Vec<String> {
    let mut t = Vec::new();
    for k in &ind.kill_chain {
        if k.chain.eq_ignore_ascii_case("mitre-attack") {
            t.push(format!("attack.{}", k.phase.to_ascii_lowercase()));
        }
    }
    for tech in &ind.techniques {
        t.push(format!("attack.{}", tech.to_ascii_lowercase()));
    }
    for l in &ind.labels {
        t.push(format!("ioc.{l}"));
    }
    t.sort();
    t.dedup();
    t
}
