//! `phiwatch hunt`: logs in, findings out. Runs the built-in healthcare
//! Sigma pack and the user's rules (`--rules`) over time-ordered events.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use phiwatch_event::{keys, Event, Origin, Timestamp, ValueRef};
use phiwatch_finding::{
    attack_from_tags, sink, Attack, Counts, Entity, Evidence, Finding, Format, RuleRef,
};
use phiwatch_ingest::{Ingest, Order, SourceInfo};
use phiwatch_sigma::{Engine, Hit, RuleInfo, RuleSet};

use crate::diag::write_summary;
use crate::events::{start, InputArgs, Started};
use crate::hunt_analytics::{Analytics, AnalyticsArgs, Pipeline};
use crate::output::{open_output, written};
use crate::rules::{engine_config, EngineArgs};
use crate::{exit, CliError};
use crate::{hunt_analytics, hunt_ioc, hunt_phi, hunt_store};

#[derive(Args, Debug)]
pub struct HuntArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Sigma rules to run besides the built-in pack: files or directories
    /// (recursive); repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Do not run the built-in healthcare pack.
    #[arg(long)]
    pub no_builtin: bool,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Output form: table, jsonl (one finding per line), csv, or ocsf (OCSF
    /// Detection Finding objects, one per line).
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = parse_format)]
    pub format: Format,

    /// Write findings to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not scan URLs, database statements and log messages for PHI
    /// identifiers (by default each event field with identifiers gives a
    /// `phi` finding with counts by type, never the text).
    #[arg(long)]
    pub no_phi: bool,

    /// Most groups a correlation rule keeps (the oldest is dropped beyond it,
    /// and the summary says so).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_groups: usize,

    /// Indicators of compromise to look for: STIX 2.1 bundles, MISP event
    /// JSON, Zeek intel files, CSV or plain lists (by content); repeatable.
    /// Each indicator seen gives one `ioc` finding with its first and last
    /// sighting.
    #[arg(long = "ioc", value_name = "FILE")]
    pub ioc: Vec<PathBuf>,

    #[command(flatten)]
    pub analytics: AnalyticsArgs,

    /// Also keep the findings, the data-access ledger (with --inventory)
    /// and the logs' coverage in this SQLite store (created if missing);
    /// content already there (even under another file name) is not added
    /// twice. `phiwatch scope --store DB` reads it.
    #[arg(long, value_name = "DB")]
    pub store: Option<PathBuf>,
}

impl HuntArgs {
    /// `hunt INPUT --inventory FILE` with every detector and no output
    /// file: the detection pass `scope` and `demo` run.
    pub(crate) fn every_detector(input: InputArgs, inventory: PathBuf) -> HuntArgs {
        HuntArgs {
            input,
            rules: Vec::new(),
            no_builtin: false,
            engine: crate::rules::EngineArgs {
                taxonomy: None,
                placeholders: None,
            },
            format: Format::Jsonl,
            output: None,
            no_phi: false,
            max_groups: 100_000,
            ioc: Vec::new(),
            analytics: AnalyticsArgs {
                inventory: Some(inventory),
                ..AnalyticsArgs::default()
            },
            store: None,
        }
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

pub fn run(args: HuntArgs) -> Result<u8, CliError> {
    let out = open_output(args.output.as_ref())?;
    let Some(db) = &args.store else {
        return Ok(detect(&args, out, None, false)?.exit);
    };
    let started = Timestamp::now();
    let inventory = hunt_analytics::inventory(args.analytics.inventory.as_deref())?;
    let inv = inventory.unwrap_or_default();
    let mut ledger = hunt_store::ledger(&inv);
    let mut tap = |ev: &Event, sources: &[SourceInfo]| {
        ledger.observe(ev, &inv, || {
            evidence(sources, &ev.origin(), ev.time()).source
        });
    };
    let det = detect(&args, out, Some(&mut tap), true)?;
    hunt_store::keep(db, started, &det, &ledger, args.input.quiet)?;
    Ok(det.exit)
}

/// What sees each event after the detectors (with the sources, for
/// evidence references).
pub(crate) type Tap<'a> = dyn FnMut(&Event, &[SourceInfo]) + 'a;

/// What [`detect`] gives back besides the findings it wrote.
pub(crate) struct Detected {
    /// The exit code (runtime error when a source failed).
    pub exit: u8,
    /// Every finding, when asked.
    pub findings: Vec<Finding>,
    /// The sources read, by id.
    pub sources: Vec<SourceInfo>,
    /// Events read.
    pub events: u64,
    /// Records read, accepted and rejected by the decoders.
    pub records: (u64, u64, u64),
    /// The ingest report: every source with its format and counts.
    pub ingest: phiwatch_ingest::Report,
}

/// Runs every detector of `args` over its input: findings to `out` in
/// `args.format`, each event also to `tap` (after the detectors), the
/// findings kept when `keep`. Shared by `hunt` and `scope`.
pub(crate) fn detect(
    args: &HuntArgs,
    out: Box<dyn Write>,
    tap: Option<&mut Tap<'_>>,
    keep: bool,
) -> Result<Detected, CliError> {
    for p in &args.rules {
        if !p.exists() {
            return Err(CliError::Usage(format!(
                "--rules {}: no such file or directory",
                p.display()
            )));
        }
    }
    let mut set = if args.no_builtin {
        RuleSet::new()
    } else {
        RuleSet::builtin()
    };
    for p in &args.rules {
        set.add_path(p);
    }
    let mut ecfg = engine_config(&args.engine)?;
    ecfg.correlation.max_groups = args.max_groups.max(1);
    let engine = Engine::build(&set, &ecfg);
    report_rule_errors(&set, &engine, args.input.quiet);
    let ioc = if args.ioc.is_empty() {
        None
    } else {
        let (indicators, _) = hunt_ioc::load(&args.ioc, args.input.quiet)?;
        Some(hunt_ioc::IocHunt::new(indicators))
    };
    let analytics = Analytics::new(&args.analytics)?;
    if engine.rules().is_empty() && ioc.is_none() && !analytics.active() {
        return Err(CliError::Usage(
            "nothing to run (no rules loaded, no --ioc, and --no-analytics --no-incidents)".into(),
        ));
    }

    let Started {
        mut run,
        diags,
        bar,
        input_failed,
    } = start(&args.input, Order::Time)?;
    let mut tap = tap;
    let mut hunter = Hunter::new(&engine, args.format, out);
    hunter.ioc = ioc;
    hunter.analytics = Pipeline::Idle(Box::new(analytics));
    // Reborrowed for the hunter's (shorter) lifetime.
    hunter.tap = match &mut tap {
        Some(t) => Some(&mut **t),
        None => None,
    };
    if keep {
        hunter.kept = Some(Vec::new());
    }
    if !args.no_phi {
        hunter.phi = Some(hunt_phi::scanner());
    }
    let result = hunter.run(&mut run, bar.as_ref());
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    diags.set_bar(None);
    let report = run.finish();
    written(result, "findings")?;
    if !args.input.quiet {
        let mut err = io::stderr().lock();
        write_summary(&mut err, &report, diags.hidden())?;
        hunter.write_summary(&mut err)?;
    }
    Ok(Detected {
        exit: if input_failed || report.failed_sources() > 0 {
            exit::RUNTIME
        } else {
            exit::OK
        },
        findings: hunter.kept.take().unwrap_or_default(),
        sources: std::mem::take(&mut hunter.sources),
        events: hunter.events,
        records: {
            let t = report.totals();
            (t.records, t.accepted, t.rejected)
        },
        ingest: report,
    })
}

fn report_rule_errors(set: &RuleSet, engine: &Engine, quiet: bool) {
    let errors: Vec<String> = set
        .errors()
        .iter()
        .map(|e| e.to_string())
        .chain(engine.errors().iter().map(|e| e.to_string()))
        .chain(engine.correlation_errors().iter().map(|e| e.to_string()))
        .collect();
    if errors.is_empty() || quiet {
        return;
    }
    for e in errors.iter().take(10) {
        eprintln!("phiwatch: rule not loaded: {e}");
    }
    if errors.len() > 10 {
        eprintln!(
            "phiwatch: {} more rules not loaded (`phiwatch rules check` lists them all)",
            errors.len() - 10
        );
    }
}

/// Turns engine hits into findings and writes them.
struct Hunter<'e> {
    engine: &'e Engine,
    session: phiwatch_sigma::Session<'e>,
    sink: Box<dyn phiwatch_finding::FindingSink + 'e>,
    attack: Vec<Option<Attack>>,
    sources: Vec<SourceInfo>,
    hits: Vec<Hit>,
    counts: Counts,
    events: u64,
    /// The PHI scanner for `phi` findings (`None` with `--no-phi`).
    phi: Option<phiwatch_phi::Scanner>,
    found: Vec<phiwatch_phi::Found>,
    /// The indicators of `--ioc`.
    ioc: Option<hunt_ioc::IocHunt>,
    /// The analytics and the incident chain (on their own thread during
    /// the run).
    analytics: Pipeline,
    /// Analytics findings of the current event.
    pending: Vec<Finding>,
    /// Every finding written, when the caller wants them (`scope`, `--store`).
    kept: Option<Vec<Finding>>,
    /// Sees every event after the detectors (`scope`, `--store`).
    tap: Option<&'e mut Tap<'e>>,
}

impl<'e> Hunter<'e> {
    fn new(engine: &'e Engine, format: Format, out: Box<dyn Write + 'e>) -> Hunter<'e> {
        Hunter {
            engine,
            session: engine.session(),
            sink: sink(format, out),
            attack: vec![None; engine.rules().len()],
            sources: Vec::new(),
            hits: Vec::new(),
            counts: Counts::default(),
            events: 0,
            phi: None,
            found: Vec::new(),
            ioc: None,
            analytics: Pipeline::Idle(Box::new(Analytics::disabled())),
            pending: Vec::new(),
            kept: None,
            tap: None,
        }
    }

    fn run(&mut self, run: &mut Ingest, bar: Option<&indicatif::ProgressBar>) -> io::Result<()> {
        self.sources = run.sources().to_vec();
        let idle = Pipeline::Idle(Box::new(Analytics::disabled()));
        self.analytics = std::mem::replace(&mut self.analytics, idle).start(&self.sources)?;
        while let Some(ev) = run.next() {
            self.events += 1;
            self.session.process(&ev, &mut self.hits);
            if !self.hits.is_empty() {
                self.emit(Some(&ev))?;
            }
            if let Some(scanner) = &self.phi {
                for mut f in hunt_phi::findings(scanner, &ev, &mut self.found) {
                    entity_from_event(&mut f, &ev);
                    f.evidence
                        .push(evidence(&self.sources, &ev.origin(), ev.time()));
                    f.refresh_id();
                    self.analytics.note(&f, std::iter::once(&ev.origin()));
                    Self::put(&mut self.counts, &mut self.sink, &mut self.kept, &f)?;
                }
            }
            if let Some(ioc) = &mut self.ioc {
                let sources = &self.sources;
                ioc.observe(
                    &ev,
                    || evidence(sources, &ev.origin(), ev.time()),
                    || entity_of(&ev),
                );
            }
            if self.events.is_multiple_of(8192) {
                if let Some(b) = bar {
                    b.set_position(run.progress().0);
                }
            }
            if let Some(tap) = &mut self.tap {
                tap(&ev, &self.sources);
            }
            self.analytics.event(ev);
        }
        self.session.finish(&mut self.hits);
        self.emit(None)?;
        if let Some(ioc) = &self.ioc {
            for f in ioc.findings() {
                let origins: Vec<Origin> = Vec::new();
                self.analytics.note(&f, origins.iter());
                Self::put(&mut self.counts, &mut self.sink, &mut self.kept, &f)?;
            }
        }
        // The analytics' findings follow the others: they come from their
        // thread at the end, so that the output's order does not depend on
        // the threads' timing.
        self.pending = self.analytics.join()?;
        let sources = &self.sources;
        let incidents = match self.analytics.analytics() {
            Some(a) => a
                .finish(sources, &mut self.pending)
                .map_err(|e| io::Error::other(format!("{e:?}")))?,
            None => Vec::new(),
        };
        self.write_pending()?;
        for f in &incidents {
            Self::put(&mut self.counts, &mut self.sink, &mut self.kept, f)?;
        }
        self.sink.finish()
    }

    /// Counts, writes and (when asked) keeps a finding.
    fn put(
        counts: &mut Counts,
        sink: &mut Box<dyn phiwatch_finding::FindingSink + 'e>,
        kept: &mut Option<Vec<Finding>>,
        f: &Finding,
    ) -> io::Result<()> {
        counts.add(f);
        if let Some(k) = kept {
            k.push(f.clone());
        }
        sink.write(f)
    }

    /// Writes the analytics findings waiting in `pending`.
    fn write_pending(&mut self) -> io::Result<()> {
        for f in std::mem::take(&mut self.pending) {
            Self::put(&mut self.counts, &mut self.sink, &mut self.kept, &f)?;
        }
        Ok(())
    }

    fn emit(&mut self, ev: Option<&Event>) -> io::Result<()> {
        let hits = std::mem::take(&mut self.hits);
        for h in &hits {
            let f = self.finding(h, ev);
            self.analytics.note(&f, h.evidence.iter().map(|(o, _)| o));
            Self::put(&mut self.counts, &mut self.sink, &mut self.kept, &f)?;
        }
        self.hits = hits;
        self.hits.clear();
        Ok(())
    }

    fn finding(&mut self, h: &Hit, ev: Option<&Event>) -> Finding {
        let info: &RuleInfo = &self.engine.rules()[h.rule];
        let detector = info.kind.detector();
        let rule = RuleRef {
            id: if info.id.is_empty() {
                info.title.clone()
            } else {
                info.id.clone()
            },
            title: info.title.clone(),
            level: info.level,
            author: info.author.clone(),
            source: Some(info.path.to_string()),
        };
        let mut f = Finding::new(detector, rule, h.time);
        f.end_time = h.end_time;
        f.tags = info.tags.clone();
        f.attack = self.attack[h.rule]
            .get_or_insert_with(|| attack_from_tags(&info.tags))
            .clone();
        match ev.filter(|_| h.group.is_empty()) {
            Some(ev) => entity_from_event(&mut f, ev),
            None => entity_from_group(&mut f, &h.group),
        }
        f.group = h.group.iter().cloned().collect();
        for (o, time) in &h.evidence {
            f.evidence.push(evidence(&self.sources, o, *time));
        }
        if let Some(v) = h.value {
            f.metrics.insert("value".into(), v);
            f.metrics.insert("events".into(), h.evidence.len() as f64);
        }
        f.summary = summary(info, &f);
        f.refresh_id();
        f
    }

    fn write_summary(&self, out: &mut dyn Write) -> io::Result<()> {
        let (events, evaluated) = self.session.counts();
        let cs = self.session.correlation_stats();
        let run = self.engine.rules().iter().filter(|r| r.has_data).count();
        writeln!(
            out,
            "phiwatch: hunt: {events} events against {} rules ({run} for log sources phiwatch reads; {evaluated} rule evaluations after the prefilter); {}",
            self.engine.rules().len(),
            self.counts,
        )?;
        if self.session.suppressed() > 0 {
            writeln!(
                out,
                "phiwatch: hunt: {} repeated correlation hits folded into the bursts already reported",
                self.session.suppressed()
            )?;
        }
        let mem = self.analytics.memory();
        if !mem.is_empty() {
            let entities: usize = mem.iter().map(|m| m.entities).sum();
            let bytes: usize = mem.iter().map(|m| m.bytes).sum();
            writeln!(
                out,
                "phiwatch: hunt: analytics: {} analytics, {entities} entities tracked, {:.1} MB of state ({:.0} bytes per entity)",
                mem.len(),
                bytes as f64 / 1e6,
                bytes as f64 / entities.max(1) as f64
            )?;
        }
        if cs.groups_evicted > 0 {
            writeln!(
                out,
                "phiwatch: hunt: correlation group limit reached: {} groups dropped (raise --max-groups)",
                cs.groups_evicted
            )?;
        }
        Ok(())
    }
}

/// An evidence entry: `path:line`, with the record index when the record
/// has no line of its own.
pub(crate) fn evidence(sources: &[SourceInfo], o: &Origin, time: Timestamp) -> Evidence {
    let path = sources
        .get(o.source.0 as usize)
        .map(|s| &*s.path)
        .unwrap_or("?");
    Evidence {
        source: format!("{path}:{}", o.line),
        time,
        record: (o.line == 0).then_some(o.record),
    }
}

fn text(ev: &Event, key: phiwatch_event::Key) -> Option<String> {
    match ev.get(key)? {
        ValueRef::Null => None,
        ValueRef::Str(s) if s.is_empty() || s == "-" => None,
        v => Some(v.to_string()),
    }
}

fn entity_from_event(f: &mut Finding, ev: &Event) {
    f.entity = entity_of(ev);
}

/// Who acted in an event: its user (or database user), host and source
/// address.
pub(crate) fn entity_of(ev: &Event) -> Entity {
    Entity {
        user: text(ev, keys::USER_NAME).or_else(|| text(ev, keys::DB_USER)),
        host: text(ev, keys::HOST_NAME),
        ip: text(ev, keys::SOURCE_IP).or_else(|| text(ev, keys::CLIENT_IP)),
    }
}

fn entity_from_group(f: &mut Finding, group: &[(String, String)]) {
    for (k, v) in group {
        let k = k.to_ascii_lowercase();
        if k.contains("user") || k.contains("principal") || k.contains("arn") || k.contains("agent")
        {
            f.entity.user.get_or_insert_with(|| v.clone());
        } else if k.contains("host") || k == "computer" {
            f.entity.host.get_or_insert_with(|| v.clone());
        } else if k.ends_with("ip") || k.ends_with("_h") || k.contains("address") {
            f.entity.ip.get_or_insert_with(|| v.clone());
        }
    }
}

/// One sentence: the rule and who, never record content.
fn summary(info: &RuleInfo, f: &Finding) -> String {
    let mut s = info.title.clone();
    let mut who = Vec::new();
    if let Some(u) = &f.entity.user {
        who.push(format!("user {u}"));
    }
    if let Some(ip) = &f.entity.ip {
        who.push(format!("from {ip}"));
    }
    if let Some(h) = &f.entity.host {
        who.push(format!("on {h}"));
    }
    if !who.is_empty() {
        s.push_str(" (");
        s.push_str(&who.join(" "));
        s.push(')');
    }
    if let Some(v) = f.metrics.get("value") {
        s.push_str(&format!(": value {v} over the window"));
    }
    s
}
