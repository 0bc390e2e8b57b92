//! The compiled plan: an immutable [`Engine`] (rules, routes by log-source
//! class, prefilters) and a per-thread [`Session`] that evaluates events and
//! feeds the correlator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use phiwatch_correlate::{
    CorrelationConfig, CorrelationError, CorrelationHit, Correlator, Observation, RuleName,
};
use phiwatch_event::{keys, Event, Key, Origin, Timestamp, ValueRef};
pub use phiwatch_finding::Level;
use rsigma_parser::{LogSource, SigmaRule};

use crate::compile::{
    eval, filter_targets, quality, CompiledRule, Compiler, EvalCx, Interner, Needle,
};
use crate::fields::{field_text, push_text, resolve, Sel};
use crate::load::RuleSet;
use crate::matcher::FieldId;
use crate::prefilter::{event_text, scan_value, Found, Scanner};
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
    /// Report a correlation's continuous burst once: a hit of the same
    /// correlation and group within a timespan of the previous one is
    /// counted ([`Session::suppressed`]) instead of reported.
    pub suppress_repeats: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            taxonomy: Taxonomy::builtin(),
            placeholders: HashMap::new(),
            correlation: CorrelationConfig::default(),
            suppress_repeats: true,
        }
    }
}

/// A rule's level as the finding crate names it (`informational` when the
/// rule has none).
fn level_of(l: Option<&rsigma_parser::Level>) -> Level {
    l.and_then(|l| l.as_str().parse().ok())
        .unwrap_or(Level::Informational)
}

/// Whether a rule is a detection rule or a correlation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// A detection rule, evaluated per event.
    Detection,
    /// A correlation over detection matches.
    Correlation,
}

impl RuleKind {
    /// The finding detector of this kind's hits: `sigma` or `correlation`.
    pub fn detector(self) -> phiwatch_finding::Detector {
        match self {
            RuleKind::Detection => phiwatch_finding::Detector::Sigma,
            RuleKind::Correlation => phiwatch_finding::Detector::Correlation,
        }
    }
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
    /// Where the events were read, and their times.
    pub evidence: Vec<(Origin, Timestamp)>,
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
    /// Prefilter automata per Sigma field (indexed by [`FieldId`]), over
    /// that field's needles; each automaton's pattern k is the route's
    /// pattern `ids[k]`.
    field_ac: Vec<Option<Scanner>>,
    /// The automaton of keyword needles, over the whole event.
    keyword_ac: Option<Scanner>,
    /// Which fields with an automaton an event field serves: by key index…
    by_key: Vec<Vec<u32>>,
    /// …and by name (spaces removed when the class is `spaceless`).
    by_name: HashMap<Box<str>, Vec<u32>>,
    /// Pattern i found enables `by_pattern[i]`.
    by_pattern: Vec<Vec<u32>>,
    /// Per rule, the other clauses: each needs one of its patterns found.
    checks: Vec<Vec<Vec<u32>>>,
    /// Number of patterns.
    found: usize,
    /// Field resolution by [`FieldId`].
    fields: Vec<Vec<Sel>>,
    /// The class (for fields the interner does not know).
    class: Class,
}

/// The compiled rule set. Immutable once built except for its route cache;
/// share it between threads and give each thread a [`Session`].
#[derive(Debug)]
pub struct Engine {
    infos: Vec<RuleInfo>,
    compiled: Vec<CompiledRule>,
    /// How correlations name the detection rules (index = rule index).
    names: Vec<RuleName>,
    logsources: Vec<LogSource>,
    interner: Interner,
    taxonomy: Taxonomy,
    errors: Vec<CompileError>,
    warnings: Vec<String>,
    correlations: Vec<rsigma_parser::CorrelationRule>,
    correlation_config: CorrelationConfig,
    correlation_errors: Vec<CorrelationError>,
    suppress_repeats: bool,
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
                    compiled.push(cr);
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
                level: level_of(c.doc.level.as_ref()),
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
            names,
            logsources,
            interner,
            taxonomy: config.taxonomy.clone(),
            errors,
            warnings,
            correlations,
            correlation_config: config.correlation.clone(),
            correlation_errors,
            suppress_repeats: config.suppress_repeats,
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
        let (correlator, _) = Correlator::build(
            &self.correlations,
            &self.names,
            self.correlation_config.clone(),
        );
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
            seen: Vec::new(),
            triggered: Vec::new(),
            generation: 0,
            matched: Vec::new(),
            corr_hits: Vec::new(),
            bursts: HashMap::new(),
            suppressed: 0,
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
        let fields: Vec<Vec<Sel>> = self
            .interner
            .names
            .iter()
            .map(|n| resolve(&class, n))
            .collect();
        let mut always = Vec::new();
        let mut patterns: Vec<Needle> = Vec::new();
        let mut index: HashMap<Needle, u32> = HashMap::new();
        let mut by_pattern: Vec<Vec<u32>> = Vec::new();
        let mut checks: Vec<Vec<Vec<u32>>> = vec![Vec::new(); self.compiled.len()];
        for (i, c) in self.compiled.iter().enumerate() {
            if !class.admits(&self.logsources[i]) {
                continue;
            }
            // The best clause triggers the rule; the others are checked
            // against the patterns found before the rule is evaluated.
            let Some(best) = (0..c.needles.len()).max_by_key(|&k| quality(&c.needles[k])) else {
                always.push(i as u32);
                continue;
            };
            for (k, clause) in c.needles.iter().enumerate() {
                let ids: Vec<u32> = clause
                    .iter()
                    .map(|n| {
                        *index.entry(n.clone()).or_insert_with(|| {
                            patterns.push(n.clone());
                            by_pattern.push(Vec::new());
                            (patterns.len() - 1) as u32
                        })
                    })
                    .collect();
                if k == best {
                    for &p in &ids {
                        by_pattern[p as usize].push(i as u32);
                    }
                } else {
                    checks[i].push(ids);
                }
            }
        }
        // One automaton per field, one for keywords.
        let mut per_field: Vec<(Vec<&[u8]>, Vec<u32>)> =
            vec![(Vec::new(), Vec::new()); fields.len()];
        let mut keywords: (Vec<&[u8]>, Vec<u32>) = (Vec::new(), Vec::new());
        for (p, (field, bytes)) in patterns.iter().enumerate() {
            let slot = match field {
                Some(f) => &mut per_field[f.0 as usize],
                None => &mut keywords,
            };
            slot.0.push(bytes);
            slot.1.push(p as u32);
        }
        let mut failed = false;
        let mut build = |(pats, ids): (Vec<&[u8]>, Vec<u32>)| {
            if pats.is_empty() {
                return None;
            }
            let s = Scanner::build(&pats, ids);
            failed |= s.is_none();
            s
        };
        let field_ac: Vec<Option<Scanner>> = per_field.into_iter().map(&mut build).collect();
        let keyword_ac = build(keywords);
        if failed {
            // Without a prefilter every candidate is evaluated.
            for rules in &by_pattern {
                always.extend_from_slice(rules);
            }
            always.sort_unstable();
            always.dedup();
            by_pattern.iter_mut().for_each(Vec::clear);
        }
        let mut by_key: Vec<Vec<u32>> = vec![Vec::new(); Key::count()];
        let mut by_name: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (f, sels) in fields.iter().enumerate() {
            if field_ac[f].is_none() {
                continue;
            }
            for sel in sels {
                match sel {
                    Sel::Key(k) => by_key[k.index()].push(f as u32),
                    Sel::KeySpaceless(k, n) => {
                        by_key[k.index()].push(f as u32);
                        by_name.entry(n.clone()).or_default().push(f as u32);
                    }
                    Sel::Name(n) | Sel::Spaceless(n) => {
                        by_name.entry(n.clone()).or_default().push(f as u32)
                    }
                    Sel::Time => {}
                }
            }
        }
        let found = patterns.len();
        Route {
            always,
            field_ac,
            keyword_ac,
            by_key,
            by_name,
            by_pattern,
            checks,
            found,
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
        level: level_of(r.level.as_ref()),
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

/// Taxonomy entries that may apply to a dataset, and the fields that
/// decide between them.
type DatasetPlan = (Vec<usize>, Vec<String>);

/// Per-thread evaluation state: caches of event classes, the prefilter's
/// scratch, and the correlator.
pub struct Session<'a> {
    engine: &'a Engine,
    correlator: Correlator,
    generates: Vec<bool>,
    /// dataset → (taxonomy entries that may apply, their discriminating fields).
    datasets: HashMap<String, Arc<DatasetPlan>>,
    /// dataset + discriminator values → route.
    classes: HashMap<String, Arc<Route>>,
    key: String,
    text: String,
    stamp: Vec<u32>,
    /// Per pattern of the current route: the generation it was last found in.
    seen: Vec<u32>,
    triggered: Vec<u32>,
    generation: u32,
    matched: Vec<usize>,
    corr_hits: Vec<CorrelationHit>,
    /// (correlation, group) → end of the last hit of its current burst (ns).
    bursts: HashMap<(usize, Vec<(String, String)>), i64>,
    suppressed: u64,
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
            let c = &self.engine.compiled[r];
            let keep = eval(&c.root, &c.dets, &cx);
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
                    evidence: vec![(ev.origin(), ev.time())],
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
        let hits = std::mem::take(&mut self.corr_hits);
        for h in hits {
            if !self.correlator.correlation_generates(h.correlation) {
                continue;
            }
            if self.engine.suppress_repeats && self.repeats(&h) {
                self.suppressed += 1;
                continue;
            }
            out.push(Hit {
                rule: base + h.correlation,
                time: h.first,
                end_time: h.last,
                evidence: h.evidence.into_iter().zip(h.evidence_times).collect(),
                group: h.group,
                value: Some(h.value),
            });
        }
    }

    /// Whether a correlation hit continues a burst already reported: the
    /// same correlation and group fired less than a timespan before. The
    /// burst's end moves with each repeat, so a continuous burst is one
    /// finding.
    fn repeats(&mut self, h: &CorrelationHit) -> bool {
        let span = self
            .engine
            .correlations
            .get(h.correlation)
            .map_or(0, |c| c.timespan.seconds as i64)
            .saturating_mul(1_000_000_000);
        let key = (h.correlation, h.group.clone());
        let end = h.last.as_nanos();
        match self.bursts.get_mut(&key) {
            Some(last) if end.saturating_sub(*last) <= span => {
                *last = end;
                true
            }
            _ => {
                if self.bursts.len() >= self.engine.correlation_config.max_groups {
                    let horizon = end.saturating_sub(span);
                    self.bursts.retain(|_, t| *t >= horizon);
                }
                self.bursts.insert(key, end);
                false
            }
        }
    }

    /// Correlation hits not reported because they continued a reported
    /// burst (see [`EngineConfig::suppress_repeats`]).
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// Candidate rules for the event: those without needles, and those
    /// whose every needle clause is satisfied: a needle of a field occurs
    /// in that field's value, a keyword needle anywhere in the event.
    fn candidates(&mut self, ev: &Event, route: &Route) {
        self.matched
            .extend(route.always.iter().map(|&r| r as usize));
        if route.found == 0 {
            return;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        if self.seen.len() < route.found {
            self.seen.resize(route.found, 0);
        }
        self.triggered.clear();
        let mut found = Found {
            seen: &mut self.seen,
            stamp: &mut self.stamp,
            triggered: &mut self.triggered,
            generation: self.generation,
            by_pattern: &route.by_pattern,
        };
        for f in ev.fields() {
            let fids: &[u32] = match f.key {
                Some(k) => route.by_key.get(k.index()).map_or(&[], Vec::as_slice),
                None if route.class.spaceless && f.name.contains(' ') => {
                    self.key.clear();
                    self.key.extend(f.name.chars().filter(|&c| c != ' '));
                    route
                        .by_name
                        .get(self.key.as_str())
                        .map_or(&[], Vec::as_slice)
                }
                None => route.by_name.get(f.name).map_or(&[], Vec::as_slice),
            };
            for &fid in fids {
                if let Some(sc) = &route.field_ac[fid as usize] {
                    scan_value(sc, f.value, &mut self.text, &mut found);
                }
            }
        }
        if let Some(sc) = &route.keyword_ac {
            self.text.clear();
            event_text(ev, &mut self.text);
            found.scan(sc, &self.text);
        }
        let generation = self.generation;
        for &r in &self.triggered {
            let ok = route.checks[r as usize]
                .iter()
                .all(|clause| clause.iter().any(|&p| self.seen[p as usize] == generation));
            if ok {
                self.matched.push(r as usize);
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
        if let Some(r) = self.classes.get(self.key.as_str()) {
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
                        vals.contains(&t)
                    })
            })
            .collect();
        let route = self.engine.route(&entries);
        if self.classes.len() < MAX_CLASSES {
            self.classes.insert(self.key.clone(), route.clone());
        }
        route
    }
}
