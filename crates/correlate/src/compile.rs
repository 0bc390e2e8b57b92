//! From parsed correlation rules to compiled plans: references resolved,
//! conditions checked, cycles found. Every problem becomes one
//! [`CorrelationError`] for its correlation; the others still compile.

use std::collections::HashMap;

use rsigma_parser::{
    ConditionExpr, ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType,
    WindowMode,
};

use crate::window::{Kind, ENTRY_CAP};
use crate::{CorrelationError, RuleName};

/// Largest condition bound used to size windows (bigger bounds still work,
/// the window cap just stops growing).
const MAX_BOUND_CAP: usize = 1 << 22;

/// Where one entry of a correlation's `rules` comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Base rules (all with that name or id).
    Base(Vec<usize>),
    /// Another correlation's hits.
    Corr(usize),
}

/// A comparison in a threshold condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `eq`
    Eq,
    /// `neq`
    Neq,
}

/// A boolean expression over the referenced rules (temporal `condition`
/// given as a string).
#[derive(Clone, Debug, PartialEq)]
pub enum RuleExpr {
    /// The rule at this position was seen.
    Rule(usize),
    /// All hold.
    And(Vec<RuleExpr>),
    /// One holds.
    Or(Vec<RuleExpr>),
    /// Does not hold.
    Not(Box<RuleExpr>),
}

/// When a correlation matches.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// Every predicate holds for the value.
    Threshold(Vec<(Op, f64)>),
    /// Temporal types without a condition: every referenced rule is seen.
    AllRules,
    /// Temporal with a string condition.
    Expr(RuleExpr),
}

/// How the timespan is laid over time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Trailing window of `timespan` (the spec's semantics).
    Sliding,
    /// Epoch-aligned buckets of `timespan`.
    Tumbling,
    /// Extends while events are at most `gap` apart, capped at `timespan`.
    Session {
        /// Largest pause, in nanoseconds.
        gap: i64,
    },
}

/// One usable correlation.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The correlation's type.
    pub kind: Kind,
    /// The timespan in nanoseconds.
    pub span: i64,
    /// The window mode.
    pub mode: Mode,
    /// The condition.
    pub cond: Cond,
    /// True when the condition can be decided as soon as it holds (only
    /// `gt`/`gte`, or the default/positive temporal conditions); false when
    /// it is decided when the window closes.
    pub eager: bool,
    /// `condition.field` (value_* types).
    pub fields: Vec<String>,
    /// One source per entry of `rules`.
    pub sources: Vec<Source>,
    /// Per entry of `rules`, the field name to read for each group-by name
    /// (aliases resolved).
    pub group_fields: Vec<Vec<String>>,
    /// The group-by names as written.
    pub group_names: Vec<String>,
    /// Most entries kept per window.
    pub cap: usize,
    /// `generate: true`.
    pub generate: bool,
}

/// Compiles every correlation; `Err` holds the reason a correlation cannot
/// be used. References to other correlations are resolved but not checked
/// for cycles here (see [`check_graph`]).
pub fn compile_all(rules: &[CorrelationRule], base: &[RuleName]) -> Vec<Result<Plan, String>> {
    let mut base_refs: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, b) in base.iter().enumerate() {
        for key in [b.id.as_deref(), b.name.as_deref()].into_iter().flatten() {
            let list = base_refs.entry(key).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }
    let mut corr_refs: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in rules.iter().enumerate() {
        for key in [c.id.as_deref(), c.name.as_deref()].into_iter().flatten() {
            let list = corr_refs.entry(key).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }
    rules
        .iter()
        .map(|r| compile_one(r, &base_refs, &corr_refs, base, rules))
        .collect()
}

fn resolve(
    reference: &str,
    base_refs: &HashMap<&str, Vec<usize>>,
    corr_refs: &HashMap<&str, Vec<usize>>,
) -> Result<Source, String> {
    match (base_refs.get(reference), corr_refs.get(reference)) {
        (Some(_), Some(_)) => Err(format!(
            "reference '{reference}' names both a rule and a correlation"
        )),
        (Some(list), None) => Ok(Source::Base(list.clone())),
        (None, Some(list)) if list.len() == 1 => Ok(Source::Corr(list[0])),
        (None, Some(_)) => Err(format!(
            "reference '{reference}' names several correlations"
        )),
        (None, None) => Err(format!("unknown rule reference '{reference}'")),
    }
}

fn compile_one(
    r: &CorrelationRule,
    base_refs: &HashMap<&str, Vec<usize>>,
    corr_refs: &HashMap<&str, Vec<usize>>,
    base: &[RuleName],
    corrs: &[CorrelationRule],
) -> Result<Plan, String> {
    if r.rules.is_empty() {
        return Err("correlation references no rules".into());
    }
    let sources = r
        .rules
        .iter()
        .map(|name| resolve(name, base_refs, corr_refs))
        .collect::<Result<Vec<_>, _>>()?;
    let (kind, fields) = kind_and_fields(r)?;
    let span = timespan_nanos(r.timespan.seconds)?;
    let mode = match r.window {
        WindowMode::Sliding => Mode::Sliding,
        WindowMode::Tumbling => Mode::Tumbling,
        WindowMode::Session => {
            let gap = r
                .gap
                .as_ref()
                .map(|g| g.seconds)
                .unwrap_or(r.timespan.seconds);
            Mode::Session {
                gap: timespan_nanos(gap)?,
            }
        }
    };
    let (cond, eager) = compile_condition(r, kind)?;
    let cap = match &cond {
        Cond::Threshold(preds) => {
            let bound = preds.iter().map(|p| p.1).fold(0.0, f64::max);
            let bound = if bound.is_finite() { bound as usize } else { 0 };
            ENTRY_CAP.max(bound.saturating_add(1).min(MAX_BOUND_CAP))
        }
        _ => ENTRY_CAP,
    };
    let group_fields = r
        .rules
        .iter()
        .zip(&sources)
        .map(|(reference, source)| resolve_group_fields(r, reference, source, base, corrs))
        .collect();
    Ok(Plan {
        kind,
        span,
        mode,
        cond,
        eager,
        fields,
        sources,
        group_fields,
        group_names: r.group_by.clone(),
        cap,
        generate: r.generate,
    })
}

fn timespan_nanos(seconds: u64) -> Result<i64, String> {
    if seconds == 0 {
        return Err("timespan must be longer than zero".into());
    }
    i64::try_from(seconds)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| "timespan too long".into())
}

fn kind_and_fields(r: &CorrelationRule) -> Result<(Kind, Vec<String>), String> {
    let (field, percentile) = match &r.condition {
        CorrelationCondition::Threshold {
            field, percentile, ..
        } => (field.clone().unwrap_or_default(), *percentile),
        CorrelationCondition::Extended(_) => (Vec::new(), None),
    };
    let numeric = |kind: Kind| -> Result<(Kind, Vec<String>), String> {
        match field.len() {
            0 => Err(format!(
                "{} needs condition.field",
                r.correlation_type.as_str()
            )),
            1 => Ok((kind, field.clone())),
            n => Err(format!(
                "{} takes one numeric field, got {n}",
                r.correlation_type.as_str()
            )),
        }
    };
    match r.correlation_type {
        CorrelationType::EventCount => Ok((Kind::EventCount, Vec::new())),
        CorrelationType::Temporal => Ok((Kind::Temporal, Vec::new())),
        CorrelationType::TemporalOrdered => Ok((Kind::TemporalOrdered, Vec::new())),
        CorrelationType::ValueCount if field.is_empty() => {
            Err("value_count needs condition.field".into())
        }
        CorrelationType::ValueCount => Ok((Kind::ValueCount, field.clone())),
        CorrelationType::ValueSum => numeric(Kind::Sum),
        CorrelationType::ValueAvg => numeric(Kind::Avg),
        CorrelationType::ValueMedian => numeric(Kind::Percentile(50.0)),
        CorrelationType::ValuePercentile => match percentile.unwrap_or(50) {
            p if p > 100 => Err(format!("percentile {p} is out of range 0-100")),
            p => numeric(Kind::Percentile(p as f64)),
        },
    }
}

fn compile_condition(r: &CorrelationRule, kind: Kind) -> Result<(Cond, bool), String> {
    let temporal = matches!(kind, Kind::Temporal | Kind::TemporalOrdered);
    match &r.condition {
        CorrelationCondition::Threshold { predicates, .. } => {
            // The parser turns a missing temporal condition into `gte: 1`,
            // which would make "all of these rules" fire on any one of them;
            // we read it as the spec's default: every referenced rule.
            if temporal && predicates.as_slice() == [(ConditionOperator::Gte, 1)] {
                return Ok((Cond::AllRules, true));
            }
            let preds: Vec<(Op, f64)> = predicates
                .iter()
                .map(|(op, v)| (convert_op(*op), *v as f64))
                .collect();
            let eager = preds.iter().all(|(op, _)| matches!(op, Op::Gt | Op::Gte));
            Ok((Cond::Threshold(preds), eager))
        }
        CorrelationCondition::Extended(expr) => {
            if kind != Kind::Temporal {
                return Err(format!(
                    "a condition expression is only supported for temporal, not {}",
                    r.correlation_type.as_str()
                ));
            }
            let compiled = compile_expr(expr, &r.rules)?;
            let eager = !has_not(&compiled);
            Ok((Cond::Expr(compiled), eager))
        }
    }
}

fn convert_op(op: ConditionOperator) -> Op {
    match op {
        ConditionOperator::Gt => Op::Gt,
        ConditionOperator::Gte => Op::Gte,
        ConditionOperator::Lt => Op::Lt,
        ConditionOperator::Lte => Op::Lte,
        ConditionOperator::Eq => Op::Eq,
        ConditionOperator::Neq => Op::Neq,
    }
}

fn compile_expr(expr: &ConditionExpr, rules: &[String]) -> Result<RuleExpr, String> {
    let all = |xs: &[ConditionExpr]| -> Result<Vec<RuleExpr>, String> {
        xs.iter().map(|x| compile_expr(x, rules)).collect()
    };
    match expr {
        ConditionExpr::Identifier(name) => rules
            .iter()
            .position(|r| r == name)
            .map(RuleExpr::Rule)
            .ok_or_else(|| format!("condition names '{name}', which is not in rules")),
        ConditionExpr::And(xs) => Ok(RuleExpr::And(all(xs)?)),
        ConditionExpr::Or(xs) => Ok(RuleExpr::Or(all(xs)?)),
        ConditionExpr::Not(x) => Ok(RuleExpr::Not(Box::new(compile_expr(x, rules)?))),
        ConditionExpr::Selector { .. } => {
            Err("selectors ('1 of …') are not supported in a correlation condition".into())
        }
    }
}

fn has_not(e: &RuleExpr) -> bool {
    match e {
        RuleExpr::Rule(_) => false,
        RuleExpr::Not(_) => true,
        RuleExpr::And(xs) | RuleExpr::Or(xs) => xs.iter().any(has_not),
    }
}

/// For one referenced rule, the field to read for each group-by name: the
/// alias mapping for that rule (by the reference as written, or the rule's
/// name or id), else the group-by name itself.
fn resolve_group_fields(
    r: &CorrelationRule,
    reference: &str,
    source: &Source,
    base: &[RuleName],
    corrs: &[CorrelationRule],
) -> Vec<String> {
    let mut names: Vec<&str> = vec![reference];
    match source {
        Source::Base(list) => {
            for b in list.iter().filter_map(|&i| base.get(i)) {
                names.extend(b.name.as_deref());
                names.extend(b.id.as_deref());
            }
        }
        Source::Corr(c) => {
            if let Some(c) = corrs.get(*c) {
                names.extend(c.name.as_deref());
                names.extend(c.id.as_deref());
            }
        }
    }
    r.group_by
        .iter()
        .map(|g| {
            r.aliases
                .iter()
                .find(|a| &a.alias == g)
                .and_then(|a| names.iter().find_map(|n| a.mapping.get(*n)))
                .unwrap_or(g)
                .clone()
        })
        .collect()
}

/// Finds reference cycles and correlations that depend on unusable ones;
/// returns the errors to add and the usable correlations in an order where
/// each comes after those it references.
pub fn check_graph(plans: &[Result<Plan, String>]) -> (Vec<CorrelationError>, Vec<usize>) {
    let n = plans.len();
    let edges: Vec<Vec<usize>> = plans
        .iter()
        .map(|p| match p {
            Ok(plan) => plan
                .sources
                .iter()
                .filter_map(|s| match s {
                    Source::Corr(c) => Some(*c),
                    Source::Base(_) => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        })
        .collect();
    let mut errors = Vec::new();
    let mut usable: Vec<bool> = plans.iter().map(Result::is_ok).collect();
    for cycle in find_cycles(&edges) {
        let path: Vec<String> = cycle.iter().map(|c| c.to_string()).collect();
        for &c in &cycle {
            if usable[c] {
                usable[c] = false;
                errors.push(CorrelationError {
                    index: c,
                    reason: format!("reference cycle through correlations {}", path.join(" -> ")),
                });
            }
        }
    }
    // Propagate: a correlation fed by an unusable one cannot work.
    let mut changed = true;
    while changed {
        changed = false;
        for c in 0..n {
            if let Some(&bad) = edges[c].iter().find(|&&d| !usable[d]) {
                if usable[c] {
                    usable[c] = false;
                    changed = true;
                    errors.push(CorrelationError {
                        index: c,
                        reason: format!("references correlation {bad}, which is unusable"),
                    });
                }
            }
        }
    }
    (errors, topo_order(&edges, &usable))
}

/// Cycles (each as the list of correlations on it) by depth-first search.
fn find_cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut cycles = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&child) = edges[node].get(*next) {
                *next += 1;
                match state[child] {
                    0 => {
                        state[child] = 1;
                        stack.push((child, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(x, _)| *x == child).unwrap_or(0);
                        cycles.push(stack[from..].iter().map(|(x, _)| *x).collect());
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    cycles
}

fn topo_order(edges: &[Vec<usize>], usable: &[bool]) -> Vec<usize> {
    let n = edges.len();
    let mut done = vec![false; n];
    let mut order = Vec::new();
    // Usable correlations have acyclic references to usable ones only.
    while order.len() < usable.iter().filter(|u| **u).count() {
        let before = order.len();
        for c in 0..n {
            if usable[c] && !done[c] && edges[c].iter().all(|&d| done[d]) {
                done[c] = true;
                order.push(c);
            }
        }
        if order.len() == before {
            break;
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_including_self_loops() {
        let edges = vec![vec![1], vec![0], vec![2], vec![], vec![0]];
        let mut cycles = find_cycles(&edges);
        cycles.iter_mut().for_each(|c| c.sort_unstable());
        assert_eq!(cycles, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn topo_order_puts_references_first() {
        let edges = vec![vec![2], vec![], vec![1]];
        assert_eq!(topo_order(&edges, &[true, true, true]), vec![1, 2, 0]);
        assert_eq!(topo_order(&edges, &[false, true, true]), vec![1, 2]);
    }
}
