//! From the parser's AST to our plan: a rule becomes an arena of detection
//! nodes and a condition tree over them, with the literal needles its
//! prefilter requires.

use std::collections::HashMap;

use phiwatch_event::{Event, Timestamp, ValueRef};
use rsigma_parser::{
    detection_name_matches, ConditionExpr, Detection, Detections, FilterRule, FilterRuleTarget,
    LogSource, Quantifier, SelectorPattern, SigmaRule,
};

use crate::matcher::{CompileContext, FieldId, Fields, ValueMatcher};

/// Sigma field names interned to dense ids.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<String, FieldId>,
    pub(crate) names: Vec<String>,
}

impl Interner {
    pub(crate) fn intern(&mut self, name: &str) -> FieldId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = FieldId(self.names.len() as u32);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }
}

/// One node of a compiled condition.
#[derive(Debug)]
pub(crate) enum Node {
    /// A field test.
    Item(FieldId, ValueMatcher),
    /// A keyword test over every value of the event.
    Keyword(ValueMatcher),
    All(Vec<Node>),
    Any(Vec<Node>),
    AtLeast(usize, Vec<Node>),
    Not(Box<Node>),
    /// A named detection of the rule's arena.
    Ref(usize),
}

/// A compiled detection rule.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) dets: Vec<Node>,
    pub(crate) root: Node,
    /// Clauses of lowercase literals: every matching event contains one
    /// needle of each clause in the needle's field. Empty when the rule must
    /// always be evaluated.
    pub(crate) needles: Vec<Clause>,
}

/// What the compiler needs besides the rule.
pub(crate) struct Compiler<'a> {
    pub(crate) interner: &'a mut Interner,
    pub(crate) placeholders: &'a HashMap<String, Vec<String>>,
    pub(crate) warnings: Vec<String>,
}

impl Compiler<'_> {
    /// Compiles a rule and the filters that target it.
    pub(crate) fn rule(
        &mut self,
        rule: &SigmaRule,
        filters: &[&FilterRule],
    ) -> Result<CompiledRule, String> {
        let mut dets = Vec::new();
        let root = self.detections(&rule.detection, &mut dets)?;
        let mut parts = vec![root];
        for f in filters {
            let cond = self
                .detections(&f.detection, &mut dets)
                .map_err(|e| format!("filter '{}': {e}", f.title))?;
            // The filter's condition names the events to suppress
            // (the specification's example: "admins start with adm_").
            parts.push(Node::Not(Box::new(cond)));
        }
        let root = if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::All(parts)
        };
        let needles = needles(&root, &dets);
        Ok(CompiledRule {
            dets,
            root,
            needles,
        })
    }

    /// Compiles named detections into `dets` and returns the condition.
    fn detections(&mut self, d: &Detections, dets: &mut Vec<Node>) -> Result<Node, String> {
        let mut names: Vec<(&String, usize)> = Vec::new();
        let mut sorted: Vec<(&String, &Detection)> = d.named.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (name, det) in sorted {
            let node = self
                .detection(det)
                .map_err(|e| format!("detection '{name}': {e}"))?;
            dets.push(node);
            names.push((name, dets.len() - 1));
        }
        if d.conditions.is_empty() {
            return Err("no condition".into());
        }
        let mut conds = Vec::new();
        for c in &d.conditions {
            conds.push(condition(c, &names)?);
        }
        Ok(if conds.len() == 1 {
            conds.remove(0)
        } else {
            Node::Any(conds)
        })
    }

    fn detection(&mut self, d: &Detection) -> Result<Node, String> {
        Ok(match d {
            Detection::AllOf(items) => {
                let mut v = Vec::with_capacity(items.len());
                for it in items {
                    let mut warnings = std::mem::take(&mut self.warnings);
                    let interner = &mut *self.interner;
                    let ph = self.placeholders;
                    let mut intern = |n: &str| interner.intern(n);
                    let lookup = |n: &str| ph.get(n).cloned();
                    let node = {
                        let mut cx = CompileContext { intern: &mut intern, placeholders: &lookup, warnings: &mut warnings };
                        match &it.field.name {
                            Some(name) => {
                                let m = ValueMatcher::compile(&it.field.modifiers, &it.values, &mut cx)
                                    .map_err(|e| format!("{name}: {e}"))?;
                                let id = (cx.intern)(name);
                                Node::Item(id, m)
                            }
                            None => Node::Keyword(
                                ValueMatcher::compile_keywords(&it.field.modifiers, &it.values, &mut cx)
                                    .map_err(|e| format!("keywords: {e}"))?,
                            ),
                        }
                    };
                    self.warnings = warnings;
                    v.push(node);
                }
                Node::All(v)
            }
            Detection::AnyOf(ds) => Node::Any(ds.iter().map(|d| self.detection(d)).collect::<Result<_, _>>()?),
            Detection::And(ds) => Node::All(ds.iter().map(|d| self.detection(d)).collect::<Result<_, _>>()?),
            Detection::Keywords(values) => {
                let mut warnings = std::mem::take(&mut self.warnings);
                let interner = &mut *self.interner;
                let ph = self.placeholders;
                let mut intern = |n: &str| interner.intern(n);
                let lookup = |n: &str| ph.get(n).cloned();
                let mut cx = CompileContext { intern: &mut intern, placeholders: &lookup, warnings: &mut warnings };
                let m = ValueMatcher::compile_keywords(&[], values, &mut cx).map_err(|e| format!("keywords: {e}"));
                self.warnings = warnings;
                Node::Keyword(m?)
            }
            Detection::ArrayMatch { field, .. } => {
                return Err(format!("{field}: array object-scope blocks (field[any]/field[all]) are a proposed extension, not supported"))
            }
            Detection::Conditional { .. } => return Err("element-scoped conditions are a proposed extension, not supported".into()),
        })
    }
}

fn condition(c: &ConditionExpr, names: &[(&String, usize)]) -> Result<Node, String> {
    Ok(match c {
        ConditionExpr::And(v) => Node::All(
            v.iter()
                .map(|c| condition(c, names))
                .collect::<Result<_, _>>()?,
        ),
        ConditionExpr::Or(v) => Node::Any(
            v.iter()
                .map(|c| condition(c, names))
                .collect::<Result<_, _>>()?,
        ),
        ConditionExpr::Not(c) => Node::Not(Box::new(condition(c, names)?)),
        ConditionExpr::Identifier(id) => match names.iter().find(|(n, _)| *n == id) {
            Some(&(_, i)) => Node::Ref(i),
            None => return Err(format!("condition names '{id}', which is not a detection")),
        },
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let refs: Vec<Node> = names
                .iter()
                .filter(|(n, _)| match pattern {
                    SelectorPattern::Them => !n.starts_with('_'),
                    SelectorPattern::Pattern(p) => detection_name_matches(p, n),
                })
                .map(|&(_, i)| Node::Ref(i))
                .collect();
            if refs.is_empty() {
                return Err(format!(
                    "condition '{quantifier} of {pattern}' matches no detection"
                ));
            }
            match quantifier {
                Quantifier::Any => Node::Any(refs),
                Quantifier::All => Node::All(refs),
                Quantifier::Count(n) => Node::AtLeast(*n as usize, refs),
            }
        }
    })
}

/// A needle: lowercase bytes that must occur in a field's value (`None`:
/// anywhere in the event, for keyword items).
pub(crate) type Needle = (Option<FieldId>, Vec<u8>);

/// A clause: the event must contain one of these needles.
pub(crate) type Clause = Vec<Needle>;

/// What a node requires of the event's text, as clauses that must all hold
/// (see [`CompiledRule::needles`]); empty when nothing is required.
fn needles(node: &Node, dets: &[Node]) -> Vec<Clause> {
    match node {
        Node::Item(f, m) => match m.needles() {
            Some(n) if !n.is_empty() => vec![n.into_iter().map(|b| (Some(*f), b)).collect()],
            _ => Vec::new(),
        },
        Node::Keyword(m) => match m.needles() {
            Some(n) if !n.is_empty() => vec![n.into_iter().map(|b| (None, b)).collect()],
            _ => Vec::new(),
        },
        Node::Ref(i) => dets.get(*i).map(|d| needles(d, dets)).unwrap_or_default(),
        Node::Not(_) | Node::AtLeast(0, _) => Vec::new(),
        Node::All(v) => {
            let mut all: Vec<Clause> = v.iter().flat_map(|n| needles(n, dets)).collect();
            all.sort();
            all.dedup();
            all
        }
        Node::Any(v) | Node::AtLeast(_, v) => {
            // One clause: the best clause of each alternative, united.
            let mut union = Clause::new();
            for n in v {
                let best = needles(n, dets).into_iter().max_by_key(|c| quality(c));
                match best {
                    Some(c) => union.extend(c),
                    None => return Vec::new(),
                }
            }
            union.sort();
            union.dedup();
            if union.is_empty() {
                Vec::new()
            } else {
                vec![union]
            }
        }
    }
}

/// Prefer clauses whose shortest needle is longest, then fewer needles.
pub(crate) fn quality(s: &[Needle]) -> (usize, std::cmp::Reverse<usize>) {
    (
        s.iter().map(|n| n.1.len()).min().unwrap_or(0),
        std::cmp::Reverse(s.len()),
    )
}

/// Whether the filter applies to the rule: named by id, name or title (or
/// to every rule), and its log source agrees with the rule's.
pub(crate) fn filter_targets(f: &FilterRule, rule: &SigmaRule) -> bool {
    let named = match &f.rules {
        FilterRuleTarget::Any => true,
        FilterRuleTarget::Specific(list) => list.iter().any(|t| {
            rule.id.as_deref() == Some(t.as_str())
                || rule.name.as_deref() == Some(t.as_str())
                || rule.title == *t
        }),
    };
    named
        && f.logsource
            .as_ref()
            .is_none_or(|ls| logsource_agrees(ls, &rule.logsource))
}

fn logsource_agrees(f: &LogSource, r: &LogSource) -> bool {
    let agree = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    };
    agree(&f.product, &r.product)
        && agree(&f.service, &r.service)
        && agree(&f.category, &r.category)
}

/// The event under evaluation, seen through a route's field resolution.
pub(crate) struct EvalCx<'e, 'r> {
    pub(crate) ev: &'e Event,
    pub(crate) fields: &'r dyn Fn(FieldId) -> Option<ValueRef<'e>>,
    pub(crate) time: Timestamp,
}

impl<'e> Fields<'e> for EvalCx<'e, '_> {
    fn get(&self, id: FieldId) -> Option<ValueRef<'e>> {
        (self.fields)(id)
    }
}

/// Evaluates a node, short-circuiting.
pub(crate) fn eval<'e>(node: &Node, dets: &[Node], cx: &EvalCx<'e, '_>) -> bool {
    match node {
        Node::Item(f, m) => m.matches(cx.get(*f), cx, cx.time),
        Node::Keyword(m) => keyword(m, cx.ev),
        Node::All(v) => v.iter().all(|n| eval(n, dets, cx)),
        Node::Any(v) => v.iter().any(|n| eval(n, dets, cx)),
        Node::AtLeast(k, v) => {
            let mut hits = 0;
            for n in v {
                if eval(n, dets, cx) {
                    hits += 1;
                    if hits >= *k {
                        return true;
                    }
                }
            }
            hits >= *k
        }
        Node::Not(n) => !eval(n, dets, cx),
        Node::Ref(i) => dets.get(*i).is_some_and(|d| eval(d, dets, cx)),
    }
}

/// A keyword item over every value of the event (each value of an `all`
/// list may be found in a different field).
fn keyword(m: &ValueMatcher, ev: &Event) -> bool {
    let mut owned: Vec<String> = Vec::new();
    let mut texts: Vec<&str> = Vec::with_capacity(ev.len());
    fn collect<'e>(v: ValueRef<'e>, texts: &mut Vec<&'e str>, owned: &mut Vec<String>) {
        match v {
            ValueRef::Null => {}
            ValueRef::Str(s) => texts.push(s),
            ValueRef::List(l) => l.iter().for_each(|i| collect(i, texts, owned)),
            other => owned.push(other.to_string()),
        }
    }
    for f in ev.fields() {
        collect(f.value, &mut texts, &mut owned);
    }
    texts.extend(owned.iter().map(String::as_str));
    m.matches_texts(&texts)
}
