//! The compiled plan: an immutable [`Engine`] (rules, routes by log-source
//! class, prefilters) and a per-thread [`Session`] that evaluates events and
//! feeds the correlator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use phiwatch_correlate::{
    CorrelationConfig, CorrelationError, CorrelationHit, Correlator, Observation, RuleName,
};
use phiwatch_event::{keys, Event, Key, Origin, Timestamp, ValueRef};
use rsigma_parser::{LogSource, SigmaRule};

use crate::compile::{eval, filter_targets, CompiledRule, Compiler, EvalCx, Interner};
use crate::load::RuleSet;
use crate::matcher::FieldId;
use crate::taxonomy::{Class, Taxonomy};

/// Options for building an [`Engine`].
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Log sources and field mappings.
    pub taxonomy: Taxonomy,
    /// Values for `expand` placeholders (`%Admins%` without the percents).
    pub placeholders: HashMap<String, Vec<String>>,
    /// Correlation limits.
    pub correlation: CorrelationConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            taxonomy: Taxonomy::builtin(),
            placeholders: HashMap::new(),
            correlation: CorrelationConfig::default(),
        }
    }
}

/// Severity of a rule, as Sigma names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// informational
    Informational,
    /// low
    Low,
    /// medium
    Medium,
    /// high
    High,
    /// critical
    Critical,
}

impl Level {
    /// The Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    fn of(l: Option<&rsigma_parser::Level>) -> Level {
        match l.map(|l| l.as_str()) {
            Some("low") => Level::Low,
            Some("medium") => Level::Medium,
            Some("high") => Level::High,
            Some("critical") => Level::Critical,
            _ => Level::Informational,
        }
    }
}

/// Whether a rule is a detection rule or a correlation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// A detection rule, evaluated per event.
    Detection,
    /// A correlation over detection matches.
    Correlation,
}

/// What the engine knows of a loaded rule.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    /// The rule's `id` (empty when it has none).
    pub id: String,
    /// The rule's `name`, used by correlations.
    pub name: Option<String>,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// Tags (`attack.t1567`, …).
    pub tags: Vec<String>,
    /// Log source as `product/category/service` with `*` for unnamed parts.
    pub logsource: String,
    /// The file it came from.
    pub path: Arc<str>,
    /// Detection or correlation.
    pub kind: RuleKind,
    /// Whether phiwatch has events for its log source (false: never run).
    pub has_data: bool,
    /// Description.
    pub description: Option<String>,
    /// Author (kept with matches, as the Detection Rule License asks).
    pub author: Option<String>,
}

/// A rule that could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The file.
    pub path: String,
    /// The rule's title.
    pub title: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: rule '{}': {}", self.path, self.title, self.reason)
    }
}

/// A rule that fired.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Index into [`Engine::rules`].
    pub rule: usize,
    /// Time of the (first) event.
    pub time: Timestamp,
    /// Time of the last event (equal to `time` for a detection).
    pub end_time: Timestamp,
    /// Where the events were read.
    pub evidence: Vec<Origin>,
    /// Correlation group-by values.
    pub group: Vec<(String, String)>,
    /// The correlation's aggregated value.
    pub value: Option<f64>,
}

/// One log-source class's rules and prefilter.
#[derive(Debug)]
struct Route {
    /// Candidate rules without needles: always evaluated.
    always: Vec<u32>,
    /// Prefilter over the event's text; pattern i enables `by_pattern[i]`.
    ac: Option<AhoCorasick>,
    by_pattern: Vec<Vec<u32>>,
    /// Field resolution by [`FieldId`].
    fields: Vec<Vec<Sel>>,
    /// The class (for fields the interner does not know).
    class: Class,
}

#[derive(Clone, Debug)]
enum Sel {
    Key(Key),
    Name(Box<str>),
    /// A name that may also be written with spaces in the event.
    Spaceless(Box<str>),
    /// The event's own time (`@timestamp`, as ECS names it).
    Time,
}

impl Sel {
    fn of(name: &str, class: &Class) -> Sel {
        if name == "@timestamp" {
            return Sel::Time;
        }
        match Key::lookup(name) {
            Some(k) => Sel::Key(k),
            None if class.spaceless => Sel::Spaceless(name.into()),
            None => Sel::Name(name.into()),
        }
    }

    fn get<'e>(&self, ev: &'e Event) -> Option<ValueRef<'e>> {
        match self {
            Sel::Key(k) => ev.get(*k),
            Sel::Name(n) => ev.get_raw(n),
            Sel::Spaceless(n) => ev.get_raw(n).or_else(|| {
                ev.fields()
                    .find(|f| f.name.contains(' ') && spaceless_eq(f.name, n))
                    .map(|f| f.value)
            }),
            Sel::Time => Some(ValueRef::Time(ev.time())),
        }
    }
}

/// `with` equals `name` once its spaces are removed.
fn spaceless_eq(with: &str, name: &str) -> bool {
    let mut a = with.bytes().filter(|&b| b != b' ');
    let mut b = name.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// The compiled rule set. Immutable once built except for its route cache;
/// share it between threads and give each thread a [`Session`].
#[derive(Debug)]
pub struct Engine {
    infos: Vec<RuleInfo>,
    compiled: Vec<Option<CompiledRule>>,
    logsources: Vec<LogSource>,
    interner: Interner,
    taxonomy: Taxonomy,
    errors: Vec<CompileError>,
    warnings: Vec<String>,
    correlations: Vec<rsigma_parser::CorrelationRule>,
    correlation_config: CorrelationConfig,
    correlation_errors: Vec<CorrelationError>,
    routes: Mutex<HashMap<Vec<usize>, Arc<Route>>>,
}

impl Engine {
    /// Compiles a rule set. Rules that fail are left out and listed in
    /// [`Engine::errors`]; the rest work.
    pub fn build(set: &RuleSet, config: &EngineConfig) -> Engine {
        let mut interner = Interner::default();
        let mut infos = Vec::new();
        let mut compiled = Vec::new();
        let mut logsources = Vec::new();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for r in set.rules() {
            let filters: Vec<_> = set
                .filters()
                .iter()
                .map(|f| &f.doc)
                .filter(|f| filter_targets(f, &r.doc))
                .collect();
            let mut c = Compiler {
                interner: &mut interner,
                placeholders: &config.placeholders,
                warnings: Vec::new(),
            };
            let result = c.rule(&r.doc, &filters);
            warnings.extend(
                c.warnings
                    .into_iter()
                    .map(|w| format!("{}: rule '{}': {w}", r.path, r.doc.title)),
            );
            match result {
                Ok(cr) => {
                    infos.push(info(
                        &r.doc,
                        &r.path,
                        config.taxonomy.supports(&r.doc.logsource),
                    ));
                    compiled.push(Some(cr));
                    logsources.push(r.doc.logsource.clone());
                }
                Err(reason) => errors.push(CompileError {
                    path: r.path.to_string(),
                    title: r.doc.title.clone(),
                    reason,
                }),
            }
        }
        let names: Vec<RuleName> = infos
            .iter()
            .map(|i| RuleName {
                id: (!i.id.is_empty()).then(|| i.id.clone()),
                name: i.name.clone(),
            })
            .collect();
        let correlations: Vec<_> = set.correlations().iter().map(|c| c.doc.clone()).collect();
        let (_, correlation_errors) =
            Correlator::build(&correlations, &names, config.correlation.clone());
        for c in set.correlations() {
            infos.push(RuleInfo {
                id: c.doc.id.clone().unwrap_or_default(),
                name: c.doc.name.clone(),
                title: c.doc.title.clone(),
                level: Level::of(c.doc.level.as_ref()),
                tags: c.doc.tags.clone(),
                logsource: "correlation".into(),
                path: c.path.clone(),
                kind: RuleKind::Correlation,
                has_data: true,
                description: c.doc.description.clone(),
                author: c.doc.author.clone(),
            });
        }
        Engine {
            infos,
            compiled,
            logsources,
            interner,
            taxonomy: config.taxonomy.clone(),
            errors,
            warnings,
            correlations,
            correlation_config: config.correlation.clone(),
            correlation_errors,
            routes: Mutex::new(HashMap::new()),
        }
    }

    /// Loaded rules: detection rules first, then correlations. [`Hit::rule`]
    /// indexes this.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// Rules that failed to compile.
    pub fn errors(&self) -> &[CompileError] {
        &self.errors
    }

    /// Correlations that cannot be used.
    pub fn correlation_errors(&self) -> &[CorrelationError] {
        &self.correlation_errors
    }

    /// Non-fatal notes from compiling (unknown placeholders, …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of detection rules (the first entries of [`Engine::rules`]).
    pub fn detection_count(&self) -> usize {
        self.compiled.len()
    }

    /// A fresh evaluation session (per thread).
    pub fn session(&self) -> Session<'_> {
        let names: Vec<RuleName> = self.infos[..self.compiled.len()]
            .iter()
            .map(|i| RuleName {
                id: (!i.id.is_empty()).then(|| i.id.clone()),
                name: i.name.clone(),
            })
            .collect();
        let (correlator, _) =
            Correlator::build(&self.correlations, &names, self.correlation_config.clone());
        let generates = (0..self.compiled.len())
            .map(|i| correlator.base_generates(i))
            .collect();
        Session {
            engine: self,
            correlator,
            generates,
            datasets: HashMap::new(),
            classes: HashMap::new(),
            key: String::new(),
            text: String::new(),
            stamp: vec![0; self.compiled.len()],
            generation: 0,
            matched: Vec::new(),
            corr_hits: Vec::new(),
            events: 0,
            evaluated: 0,
        }
    }

    fn route(&self, entries: &[usize]) -> Arc<Route> {
        let mut routes = match self.routes.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(r) = routes.get(entries) {
            return r.clone();
        }
        let r = Arc::new(self.build_route(self.taxonomy.class_of(entries)));
        routes.insert(entries.to_vec(), r.clone());
        r
    }

    fn build_route(&self, class: Class) -> Route {
        let mut always = Vec::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut by_pattern: Vec<Vec<u32>> = Vec::new();
        for (i, c) in self.compiled.iter().enumerate() {
            let Some(c) = c else { continue };
            if !class.admits(&self.logsources[i]) {
                continue;
            }
            match &c.needles {
                None => always.push(i as u32),
                Some(ns) => {
                    for n in ns {
                        let p = *index.entry(n.clone()).or_insert_with(|| {
                            patterns.push(n.clone());
                            by_pattern.push(Vec::new());
                            patterns.len() - 1
                        });
                        by_pattern[p].push(i as u32);
                    }
                }
            }
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .or_else(|_| {
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .build(&patterns)
                })
                .ok()
        };
        if ac.is_none() {
            // Without a prefilter every candidate is evaluated.
            for rules in &by_pattern {
                always.extend_from_slice(rules);
            }
            always.sort_unstable();
            always.dedup();
            by_pattern.clear();
        }
        let fields = self
            .interner
            .names
            .iter()
            .map(|n| match class.fields.get(n) {
                Some(targets) => targets.iter().map(|t| Sel::of(t, &class)).collect(),
                None => vec![Sel::of(n, &class)],
            })
            .collect();
        Route {
            always,
            ac,
            by_pattern,
            fields,
            class,
        }
    }
}

fn info(r: &SigmaRule, path: &Arc<str>, has_data: bool) -> RuleInfo {
    RuleInfo {
        id: r.id.clone().unwrap_or_default(),
        name: r.name.clone(),
        title: r.title.clone(),
        level: Level::of(r.level.as_ref()),
        tags: r.tags.clone(),
        logsource: logsource_label(&r.logsource),
        path: path.clone(),
        kind: RuleKind::Detection,
        has_data,
        description: r.description.clone(),
        author: r.author.clone(),
    }
}

/// `product/category/service`, `*` for a part the rule leaves open.
pub fn logsource_label(ls: &LogSource) -> String {
    let p = |s: &Option<String>| s.clone().unwrap_or_else(|| "*".into());
    format!("{}/{}/{}", p(&ls.product), p(&ls.category), p(&ls.service))
}

/// Per-thread evaluation state: caches of event classes, the prefilter's
/// scratch, and the correlator.
pub struct Session<'a> {
    engine: &'a Engine,
    correlator: Correlator,
    generates: Vec<bool>,
    /// dataset → (taxonomy entries that may apply, their discriminating fields).
    datasets: HashMap<String, Arc<(Vec<usize>, Vec<String>)>>,
    /// dataset + discriminator values → route.
    classes: HashMap<String, (Arc<Route>, Vec<usize>)>,
    key: String,
    text: String,
    stamp: Vec<u32>,
    generation: u32,
    matched: Vec<usize>,
    corr_hits: Vec<CorrelationHit>,
    events: u64,
    evaluated: u64,
}

/// Bound on the per-session class cache (discriminator values come from the
/// logs, so an attacker could vary them).
const MAX_CLASSES: usize = 4096;

impl Session<'_> {
    /// Evaluates one event (in time order); hits go to `out`.
    pub fn process(&mut self, ev: &Event, out: &mut Vec<Hit>) {
        self.events += 1;
        let route = self.route_of(ev);
        self.matched.clear();
        self.candidates(ev, &route);
        let sel = |id: FieldId| {
            route
                .fields
                .get(id.0 as usize)?
                .iter()
                .find_map(|s| s.get(ev))
        };
        let cx = EvalCx {
            ev,
            fields: &sel,
            time: ev.time(),
        };
        let mut i = 0;
        while i < self.matched.len() {
            let r = self.matched[i];
            self.evaluated += 1;
            let keep = match &self.engine.compiled[r] {
                Some(c) => eval(&c.root, &c.dets, &cx),
                None => false,
            };
            if keep {
                i += 1;
            } else {
                self.matched.swap_remove(i);
            }
        }
        if self.matched.is_empty() {
            return;
        }
        self.matched.sort_unstable();
        for &r in &self.matched {
            if self.generates[r] {
                out.push(Hit {
                    rule: r,
                    time: ev.time(),
                    end_time: ev.time(),
                    evidence: vec![ev.origin()],
                    group: Vec::new(),
                    value: None,
                });
            }
        }
        let class = &route.class;
        let field = |name: &str| -> Option<String> { field_text(ev, class, name) };
        let obs = Observation {
            time: ev.time(),
            origin: ev.origin(),
            matched: &self.matched,
            field: &field,
        };
        self.correlator.observe(&obs, &mut self.corr_hits);
        self.drain_correlations(out);
    }

    /// End of input: correlations that only an end can decide.
    pub fn finish(&mut self, out: &mut Vec<Hit>) {
        self.correlator.finish(&mut self.corr_hits);
        self.drain_correlations(out);
    }

    /// Events processed and rule evaluations done (after the prefilter).
    pub fn counts(&self) -> (u64, u64) {
        (self.events, self.evaluated)
    }

    /// The correlator's counters.
    pub fn correlation_stats(&self) -> phiwatch_correlate::CorrelationStats {
        self.correlator.stats()
    }

    fn drain_correlations(&mut self, out: &mut Vec<Hit>) {
        let base = self.engine.compiled.len();
        for h in self.corr_hits.drain(..) {
            if !self.correlator.correlation_generates(h.correlation) {
                continue;
            }
            out.push(Hit {
                rule: base + h.correlation,
                time: h.first,
                end_time: h.last,
                evidence: h.evidence,
                group: h.group,
                value: Some(h.value),
            });
        }
    }

    /// Candidate rules for the event: those without needles, and those
    /// whose needles occur in the event's text.
    fn candidates(&mut self, ev: &Event, route: &Route) {
        self.matched
            .extend(route.always.iter().map(|&r| r as usize));
        let Some(ac) = &route.ac else { return };
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.text.clear();
        event_text(ev, &mut self.text);
        for m in ac.find_overlapping_iter(self.text.as_str()) {
            for &r in &route.by_pattern[m.pattern().as_usize()] {
                let s = &mut self.stamp[r as usize];
                if *s != self.generation {
                    *s = self.generation;
                    self.matched.push(r as usize);
                }
            }
        }
    }

    fn route_of(&mut self, ev: &Event) -> Arc<Route> {
        let dataset = match ev.get(keys::EVENT_DATASET) {
            Some(ValueRef::Str(s)) => s,
            _ => "",
        };
        let plan = match self.datasets.get(dataset) {
            Some(p) => p.clone(),
            None => {
                let entries = self.engine.taxonomy.entries_for(dataset);
                let mut disc: Vec<String> = Vec::new();
                for &i in &entries {
                    for (f, _) in &self.engine.taxonomy.entries[i].when {
                        if !disc.contains(f) {
                            disc.push(f.clone());
                        }
                    }
                }
                let p = Arc::new((entries, disc));
                if self.datasets.len() < MAX_CLASSES {
                    self.datasets.insert(dataset.to_owned(), p.clone());
                }
                p
            }
        };
        self.key.clear();
        self.key.push_str(dataset);
        for f in &plan.1 {
            self.key.push('\u{1f}');
            if let Some(v) = ev.get_by_name(f) {
                push_text(v, &mut self.key);
            }
        }
        if let Some((r, _)) = self.classes.get(self.key.as_str()) {
            return r.clone();
        }
        let entries: Vec<usize> = plan
            .0
            .iter()
            .copied()
            .filter(|&i| {
                self.engine.taxonomy.entries[i]
                    .when
                    .iter()
                    .all(|(f, vals)| {
                        let mut t = String::new();
                        if let Some(v) = ev.get_by_name(f) {
                            push_text(v, &mut t);
                        }
                        vals.iter().any(|x| *x == t)
                    })
            })
            .collect();
        let route = self.engine.route(&entries);
        if self.classes.len() < MAX_CLASSES {
            self.classes
                .insert(self.key.clone(), (route.clone(), entries));
        }
        route
    }
}

/// The text the prefilter scans: the event's string values, and the textual
/// form of its other values.
fn event_text(ev: &Event, out: &mut String) {
    for f in ev.fields() {
        push_text(f.value, out);
        out.push('\n');
    }
}

fn push_text(v: ValueRef<'_>, out: &mut String) {
    use std::fmt::Write;
    match v {
        ValueRef::Null => {}
        ValueRef::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        ValueRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Float(f) => {
            let _ = write!(out, "{f}");
        }
        ValueRef::Str(s) => out.push_str(s),
        ValueRef::Ip(ip) => {
            let _ = write!(out, "{ip}");
        }
        ValueRef::Time(t) => t.write_rfc3339(out),
        ValueRef::List(l) => {
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                push_text(item, out);
            }
        }
    }
}

/// A Sigma field's value as text, through the class's mapping.
fn field_text(ev: &Event, class: &Class, name: &str) -> Option<String> {
    let v = match class.fields.get(name) {
        Some(targets) => targets.iter().find_map(|t| Sel::of(t, class).get(ev)),
        None => Sel::of(name, class).get(ev),
    }?;
    if matches!(v, ValueRef::Null) {
        return None;
    }
    let mut s = String::new();
    push_text(v, &mut s);
    Some(s)
}
