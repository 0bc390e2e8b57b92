//! One correlation at run time: routes an input to its group, keeps the
//! group's window, decides the condition and emits hits.

use phiwatch_event::{Origin, Timestamp};

use crate::compile::{Cond, Mode, Op, Plan, RuleExpr};
use crate::groups::{Group, Groups};
use crate::window::{Agg, Contribution, Kind};
use crate::{CorrelationConfig, CorrelationHit, CorrelationStats};

/// One input to a correlation: a matching event, or a hit of a referenced
/// correlation.
pub struct Input<'a> {
    /// Time in nanoseconds.
    pub time: i64,
    /// Where it was read (evidence).
    pub origins: &'a [Origin],
    /// Position in the correlation's `rules`.
    pub position: usize,
    /// Field lookup by name.
    pub field: &'a dyn Fn(&str) -> Option<String>,
}

/// What became of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Counted.
    Used,
    /// A group-by or value field was missing, or the value was not a number.
    Skipped,
    /// Older than the group's window.
    Late,
}

/// A compiled correlation and its groups.
#[derive(Debug)]
pub struct Engine {
    /// Index of the correlation.
    pub index: usize,
    /// The compiled plan.
    pub plan: Plan,
    groups: Groups,
}

impl Engine {
    /// A correlation with no groups yet.
    pub fn new(index: usize, plan: Plan) -> Engine {
        Engine {
            index,
            plan,
            groups: Groups::new(),
        }
    }

    /// Number of live groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Feeds one input; a hit goes to `out`.
    pub fn feed(
        &mut self,
        input: &Input<'_>,
        config: &CorrelationConfig,
        stats: &mut CorrelationStats,
        out: &mut Vec<CorrelationHit>,
    ) -> Outcome {
        let Some(key) = self.group_key(input) else {
            return Outcome::Skipped;
        };
        let Some(contribution) = self.contribution(input) else {
            return Outcome::Skipped;
        };
        let (kind, rules) = (self.plan.kind, self.plan.sources.len());
        let slot = self.groups.get_or_insert(
            key,
            config.max_groups,
            || Agg::new(kind, rules),
            &mut stats.groups_evicted,
        );
        let Some(group) = self.groups.get_mut(slot) else {
            return Outcome::Skipped;
        };
        let t = input.time;
        let deadline = if self.plan.mode == Mode::Sliding && self.plan.eager {
            if t < group.newest.saturating_sub(self.plan.span) {
                return Outcome::Late;
            }
            group.newest = group.newest.max(t);
            let cutoff = group.newest.saturating_sub(self.plan.span);
            group.agg.evict(cutoff);
            while group.evidence.front().is_some_and(|e| e.0 < cutoff) {
                group.evidence.pop_front();
            }
            None
        } else {
            match open_anchored(self.index, &self.plan, group, t, out) {
                Some(deadline) => Some(deadline),
                None => return Outcome::Late,
            }
        };
        group.agg.add(t, contribution, self.plan.cap);
        for &origin in input.origins {
            if config.max_evidence == 0 {
                break;
            }
            if group.evidence.len() >= config.max_evidence {
                group.evidence.pop_front();
            }
            group.evidence.push_back((t, origin));
        }
        if self.plan.eager {
            if let Some(value) = decide(&self.plan, &group.agg) {
                out.push(make_hit(self.index, &self.plan, group, value, t));
                // One burst, one hit: the group starts afresh.
                self.groups.remove(slot);
                return Outcome::Used;
            }
        }
        if let Some(deadline) = deadline {
            if group.deadline != deadline {
                self.groups.set_deadline(slot, deadline);
            }
        }
        self.groups.touch(slot);
        Outcome::Used
    }

    /// Time has reached `now`: closes anchored windows that ended before it
    /// (emitting the hits of conditions decided at close) and drops sliding
    /// windows with nothing left in them. `now == i64::MAX` closes all.
    pub fn sweep(&mut self, now: i64, out: &mut Vec<CorrelationHit>) {
        if self.plan.mode == Mode::Sliding && self.plan.eager {
            if now == i64::MAX {
                self.groups = Groups::new();
            } else {
                self.groups.expire_idle(now.saturating_sub(self.plan.span));
            }
            return;
        }
        while let Some(group) = self.groups.pop_due(now) {
            if let Some(hit) = close(self.index, &self.plan, &group) {
                out.push(hit);
            }
        }
    }

    fn group_key(&self, input: &Input<'_>) -> Option<Vec<String>> {
        let fields = self.plan.group_fields.get(input.position)?;
        fields.iter().map(|f| (input.field)(f)).collect()
    }

    fn contribution(&self, input: &Input<'_>) -> Option<Contribution> {
        match self.plan.kind {
            Kind::EventCount => Some(Contribution::Event),
            Kind::Temporal | Kind::TemporalOrdered => Some(Contribution::Rule(input.position)),
            Kind::ValueCount => {
                let mut parts = self.plan.fields.iter().map(|f| (input.field)(f));
                let mut value = parts.next()??;
                for part in parts {
                    value.push('\u{1f}');
                    value.push_str(&part?);
                }
                Some(Contribution::Text(value))
            }
            Kind::Sum | Kind::Avg | Kind::Percentile(_) => {
                let text = (input.field)(self.plan.fields.first()?)?;
                let x: f64 = text.trim().parse().ok()?;
                x.is_finite().then_some(Contribution::Number(x))
            }
        }
    }
}

/// Anchored windows (tumbling, session, or sliding decided at close): closes
/// the group's window if `t` falls outside it (a hit may go to `out`), opens
/// one if needed, and returns the window's deadline; `None` when `t` is
/// before the window's start (late).
fn open_anchored(
    index: usize,
    plan: &Plan,
    group: &mut Group,
    t: i64,
    out: &mut Vec<CorrelationHit>,
) -> Option<i64> {
    let span = plan.span;
    if let Some(anchor) = group.anchor {
        let start = match plan.mode {
            Mode::Tumbling => bucket_start(t, span),
            _ => t,
        };
        if start < anchor {
            return None;
        }
        let outside = match plan.mode {
            Mode::Tumbling => start > anchor,
            Mode::Session { gap } => t - group.newest > gap || t - anchor > span,
            Mode::Sliding => t - anchor > span,
        };
        if outside {
            if let Some(hit) = close(index, plan, group) {
                out.push(hit);
            }
            reset(group);
        }
    }
    let anchor = *group.anchor.get_or_insert(match plan.mode {
        Mode::Tumbling => bucket_start(t, span),
        _ => t,
    });
    group.newest = group.newest.max(t);
    let end = anchor.saturating_add(span);
    Some(match plan.mode {
        Mode::Session { gap } => end.min(group.newest.saturating_add(gap)),
        _ => end,
    })
}

/// The hit of a window that closes, for conditions decided at close.
fn close(index: usize, plan: &Plan, group: &Group) -> Option<CorrelationHit> {
    if plan.eager || group.agg.is_empty() {
        return None;
    }
    let value = decide(plan, &group.agg)?;
    Some(make_hit(index, plan, group, value, group.deadline))
}

fn reset(group: &mut Group) {
    group.agg.clear();
    group.evidence.clear();
    group.anchor = None;
    group.newest = i64::MIN;
}

fn bucket_start(t: i64, span: i64) -> i64 {
    t - t.rem_euclid(span)
}

/// The value when the condition holds.
fn decide(plan: &Plan, agg: &Agg) -> Option<f64> {
    let value = agg.value(plan.kind)?;
    let holds = match &plan.cond {
        Cond::Threshold(preds) => preds.iter().all(|&(op, bound)| compare(op, value, bound)),
        Cond::AllRules => value >= plan.sources.len() as f64,
        Cond::Expr(expr) => eval(expr, agg),
    };
    holds.then_some(value)
}

fn compare(op: Op, value: f64, bound: f64) -> bool {
    match op {
        Op::Gt => value > bound,
        Op::Gte => value >= bound,
        Op::Lt => value < bound,
        Op::Lte => value <= bound,
        Op::Eq => value == bound,
        Op::Neq => value != bound,
    }
}

fn eval(expr: &RuleExpr, agg: &Agg) -> bool {
    match expr {
        RuleExpr::Rule(p) => agg.rule_seen(*p),
        RuleExpr::And(xs) => xs.iter().all(|x| eval(x, agg)),
        RuleExpr::Or(xs) => xs.iter().any(|x| eval(x, agg)),
        RuleExpr::Not(x) => !eval(x, agg),
    }
}

fn make_hit(index: usize, plan: &Plan, group: &Group, value: f64, last: i64) -> CorrelationHit {
    let first = group.agg.first().or(group.anchor).unwrap_or(last).min(last);
    CorrelationHit {
        correlation: index,
        group: plan
            .group_names
            .iter()
            .cloned()
            .zip(group.key.iter().cloned())
            .collect(),
        first: Timestamp::from_nanos(first),
        last: Timestamp::from_nanos(last),
        value,
        evidence: group.evidence.iter().map(|e| e.1).collect(),
        evidence_times: group
            .evidence
            .iter()
            .map(|e| Timestamp::from_nanos(e.0))
            .collect(),
    }
}
