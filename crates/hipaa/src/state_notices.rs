//! The State-law notices: the table's rule per State with affected
//! residents, or the default rule.

use crate::date::Date;
use crate::facts::{Facts, UNKNOWN_STATE};
use crate::output::{CraNotice, OtherDeadline, StateNotice};
use crate::rules::{Ctx, NOTICE_DAYS};
use crate::states::{Anchor, Basis, DeadlineRule, StateLaw, StateTable, Threshold};

/// The dates State deadlines count from.
pub(crate) struct Anchors {
    /// Whether notices are due at all.
    pub(crate) notify: bool,
    /// Whether the PHI was secured (safe harbor).
    pub(crate) secured: bool,
    /// The covered entity's clock start (discovery / determination).
    pub(crate) start: Date,
    /// The HIPAA individual deadline.
    pub(crate) individual: Option<Date>,
    /// The HHS deadline.
    pub(crate) hhs: Option<Date>,
    /// Individuals in total.
    pub(crate) total: u64,
}

impl Anchors {
    fn date(&self, anchor: Anchor, state_individual: Option<Date>) -> Option<Date> {
        match anchor {
            Anchor::Discovery | Anchor::Determination => Some(self.start),
            Anchor::IndividualNotice => state_individual.or(self.individual),
            Anchor::HhsNotice => self.hhs,
        }
    }

    fn deadline(&self, rule: &DeadlineRule, state_individual: Option<Date>) -> Option<Date> {
        if !self.notify {
            return None;
        }
        let from = self.date(rule.from, state_individual)?;
        match (rule.days, rule.business_days) {
            (Some(d), _) => Some(from.add_days(i64::from(d))),
            (None, Some(b)) => Some(from.add_business_days(b)),
            (None, None) => None,
        }
    }

    fn met(&self, t: &Threshold, residents: u64) -> bool {
        self.notify
            && t.met(match t.basis {
                Basis::Residents => residents,
                Basis::Total => self.total,
            })
    }
}

/// One notice per State (and "unknown") with affected residents, in code
/// order.
pub(crate) fn state_notices(
    f: &Facts,
    table: &StateTable,
    a: &Anchors,
    ctx: &mut Ctx,
) -> Vec<StateNotice> {
    let mut out = Vec::new();
    let mut by_determination = Vec::new();
    for (code, &residents) in f.by_state.iter().filter(|(_, n)| **n > 0) {
        let mut notice = match table.get(code) {
            Some(law) => {
                if law.individual.from == Anchor::Determination {
                    by_determination.push(code.clone());
                }
                from_law(law, residents, a, ctx)
            }
            None => default_rule(code, residents, a, ctx),
        };
        if a.secured {
            notice.notes.push("The PHI was secured: State laws generally exempt encrypted data when the key was not compromised; confirm under this State's definition.".to_string());
        }
        out.push(notice);
    }
    if a.notify && f.by_state.values().all(|n| *n == 0) {
        ctx.todo(
            "No State of residence was given for the individuals: the media notice (more than 500 residents of a State) and the State laws cannot be determined until it is",
            "45 CFR 164.406",
        );
    }
    if a.notify && !by_determination.is_empty() {
        ctx.todo(
            format!(
                "{} {} from the determination that a breach occurred: the dates shown count from the discovery date; recompute if the determination came later",
                by_determination.join(", "),
                if by_determination.len() == 1 { "counts" } else { "count" }
            ),
            "state law",
        );
    }
    if !a.notify && !a.secured && !out.is_empty() && f.individuals > 0 {
        ctx.todo("The HIPAA determination does not settle the State laws, which have their own breach definitions and harm thresholds: assess each State listed", "state law");
    }
    out
}

fn from_law(law: &StateLaw, residents: u64, a: &Anchors, ctx: &mut Ctx) -> StateNotice {
    ctx.cites.add(&law.citation, &law.law);
    let individual = a.deadline(&law.individual, None);
    let regulator_required = law
        .regulator
        .as_ref()
        .is_some_and(|r| a.met(&r.threshold, residents));
    let regulator_deadline = law
        .regulator
        .as_ref()
        .filter(|_| regulator_required)
        .and_then(|r| a.deadline(&r.deadline, individual));
    let other_deadlines = law
        .other
        .iter()
        .map(|o| {
            ctx.cites.add(&o.citation, &o.name);
            OtherDeadline {
                name: o.name.clone(),
                citation: o.citation.clone(),
                applies_to: o.applies_to.clone(),
                deadline: a.deadline(&o.deadline, individual),
                text: o.deadline.text.clone(),
            }
        })
        .collect();
    let mut notes = law.notes.clone();
    notes.push(match &law.hipaa {
        Some(h) => format!("HIPAA deemed compliance: {h}"),
        None => "HIPAA deemed compliance: none recorded for this State; HIPAA notices do not by themselves satisfy it.".to_string(),
    });
    if !law.verify.is_empty() && a.notify {
        ctx.todo(
            format!(
                "Verify the {} values marked `verify` with counsel",
                law.code
            ),
            law.citation.clone(),
        );
    }
    StateNotice {
        state: law.code.clone(),
        residents,
        law: law.law.clone(),
        citation: law.citation.clone(),
        default_rule: false,
        individual_deadline: individual,
        individual_deadline_text: law.individual.text.clone(),
        regulator: law.regulator.as_ref().map(|r| r.name.clone()),
        regulator_required,
        regulator_threshold: law.regulator.as_ref().map(|r| r.threshold.to_string()),
        regulator_deadline,
        regulator_deadline_text: law.regulator.as_ref().map(|r| r.deadline.text.clone()),
        consumer_reporting_agencies: law.cra.as_ref().map(|c| CraNotice {
            required: a.met(&c.threshold, residents),
            threshold: c.threshold.to_string(),
            text: c.text.clone(),
        }),
        hipaa_deemed_compliance: law.hipaa.clone(),
        other_deadlines,
        notes,
        verify: law.verify.clone(),
    }
}

/// The rule for a State not in the table, and for "unknown".
fn default_rule(code: &str, residents: u64, a: &Anchors, ctx: &mut Ctx) -> StateNotice {
    let unknown = code == UNKNOWN_STATE;
    let shown: String = code.chars().take(10).collect();
    let (law, citation, notes) = if unknown {
        ctx.todo(format!("Find the State of residence of the {residents} individuals whose State is unknown: each State's law applies"), "state law");
        (
            "State of residence unknown".to_string(),
            "the breach law of each individual's State of residence".to_string(),
            vec!["Find these individuals' States: the media threshold (more than 500 residents of a State) and each State's law depend on it.".to_string()],
        )
    } else {
        ctx.todo(format!("Check the {shown} breach notification statute: individual deadline, regulator notice and threshold, consumer reporting agencies"), "state law");
        (
            format!("{shown} breach notification law"),
            format!("the {shown} breach notification statute (not in the engine's table)"),
            Vec::new(),
        )
    };
    // HIPAA's 60 days, not moved by a law-enforcement delay (State
    // deadlines never are).
    let individual = a.notify.then(|| a.start.add_days(NOTICE_DAYS));
    StateNotice {
        state: shown,
        residents,
        law,
        citation,
        default_rule: true,
        individual_deadline: individual,
        individual_deadline_text: "The State's breach law applies: without unreasonable delay; HIPAA's 60 days is the outer bound used here; check the statute.".to_string(),
        regulator: None,
        regulator_required: false,
        regulator_threshold: None,
        regulator_deadline: None,
        regulator_deadline_text: None,
        consumer_reporting_agencies: None,
        hipaa_deemed_compliance: None,
        other_deadlines: Vec::new(),
        notes,
        verify: vec!["Individual deadline, regulator and threshold, consumer-reporting-agency notice and HIPAA deemed compliance under this State's statute.".to_string()],
    }
}
