//! The federal rules (45 CFR 164.402-164.412): the clock, the presumption,
//! the law-enforcement delay, and the individual, media, substitute, HHS
//! and business-associate notices.

use crate::cite::{self, Cites};
use crate::date::Date;
use crate::facts::{Encryption, Facts, LawEnforcement, Role, UNKNOWN_STATE};
use crate::output::{
    BusinessAssociate, Clock, Deceased, Hhs, HhsMode, IndividualNotice, LawEnforcementDelay,
    MediaNotice, MediaState, SafeHarbor, SubstituteKind, SubstituteNotice, ToComplete, Tolled,
};
use crate::states::is_jurisdiction;

/// Calendar days for individual, media, HHS (500+) and BA notices.
pub const NOTICE_DAYS: i64 = 60;
/// Days after the end of the calendar year for the HHS log (fewer than 500).
pub const LOG_DAYS: i64 = 60;
/// HHS threshold: 500 or more individuals.
pub const HHS_THRESHOLD: u64 = 500;
/// Media threshold: more than 500 residents of a State.
pub const MEDIA_THRESHOLD: u64 = 500;
/// Substitute notice: 10 or more without contact details -> web or media.
pub const SUBSTITUTE_THRESHOLD: u64 = 10;
/// Longest delay an oral law-enforcement statement allows.
pub const ORAL_DELAY_DAYS: i64 = 30;
/// Days a substitute web posting and toll-free number stay active.
pub const SUBSTITUTE_ACTIVE_DAYS: u32 = 90;

/// What the determination collects while it runs.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) cites: Cites,
    pub(crate) todo: Vec<ToComplete>,
}

impl Ctx {
    pub(crate) fn todo(&mut self, item: impl Into<String>, cite: impl Into<String>) {
        self.todo.push(ToComplete {
            item: item.into(),
            cite: cite.into(),
        });
    }
}

/// The covered entity's clock start.
pub(crate) fn clock(f: &Facts, ctx: &mut Ctx) -> Clock {
    let (start, basis, assumed) = match f.role {
        Role::CoveredEntity => (
            f.discovered,
            "discovery by the covered entity (164.404(a)(2))".to_string(),
            false,
        ),
        Role::BusinessAssociate {
            agent_of_ce: true, ..
        } => (
            f.discovered,
            "the business associate acts as the covered entity's agent: its discovery is the covered entity's (164.404(a)(2), 164.410)".to_string(),
            false,
        ),
        Role::BusinessAssociate {
            ce_notified: Some(n),
            ..
        } => (
            n,
            "the covered entity's clock starts when the business associate notified it (164.410)".to_string(),
            false,
        ),
        Role::BusinessAssociate { .. } => {
            ctx.todo(
                "Enter the date the covered entity was notified (role.ce_notified): its deadlines are shown as if notified on the business associate's discovery date, the earliest possible",
                cite::BA,
            );
            (
                f.discovered,
                "the covered entity has not been notified yet: its clock is assumed to start on the business associate's discovery date (earliest); recompute when notified (164.410)".to_string(),
                true,
            )
        }
    };
    ctx.cites.federal(cite::DISCOVERY);
    Clock {
        discovered: f.discovered,
        start,
        basis,
        assumed,
    }
}

/// The safe-harbor question and answer.
pub(crate) fn safe_harbor(f: &Facts, ctx: &mut Ctx) -> SafeHarbor {
    let citation = format!(
        "{}; {}",
        ctx.cites.federal(cite::BREACH),
        ctx.cites.federal(cite::GUIDANCE)
    );
    let (answer, consequence) = match f.encryption {
        Encryption::Secured => (
            "secured",
            "Secured PHI is not \"unsecured PHI\": no breach notification is required. Keep the evidence that the encryption met HHS guidance and that the key was not compromised.",
        ),
        Encryption::Unsecured => (
            "unsecured",
            "The PHI was unsecured: the notification rules apply unless a documented assessment shows a low probability of compromise.",
        ),
        Encryption::Unknown => {
            ctx.todo(
                "Answer the safe-harbor question: was the PHI encrypted per HHS guidance (key not compromised) or destroyed? Until answered it is presumed unsecured",
                cite::GUIDANCE,
            );
            (
                "unknown",
                "Not answered yet: the PHI is presumed unsecured and the notification rules apply.",
            )
        }
    };
    SafeHarbor {
        question: "Was the PHI encrypted consistent with HHS guidance (NIST SP 800-111 at rest; SP 800-52, 800-77 or 800-113 in transit) with the decryption key not compromised, or destroyed consistent with NIST SP 800-88?".to_string(),
        answer: answer.to_string(),
        consequence: consequence.to_string(),
        citation,
    }
}

/// Whether a breach is presumed, and why.
pub(crate) fn presumption(f: &Facts, ctx: &mut Ctx) -> (bool, String) {
    ctx.cites.federal(cite::BREACH);
    if f.encryption == Encryption::Secured {
        ctx.cites.federal(cite::BURDEN);
        return (false, "The PHI was secured (encrypted or destroyed consistent with HHS guidance): it is not unsecured PHI, so no breach notification is required (164.402). The covered entity keeps the proof (164.414(b)).".to_string());
    }
    let documented = |a: &crate::facts::Assessment| !a.documented_by.trim().is_empty();
    match &f.assessment {
        Some(a) if a.low_probability && documented(a) => {
            ctx.cites.federal(cite::BURDEN);
            ctx.cites.federal(cite::RETENTION);
            (false, format!("A risk assessment documented on {} concluded a low probability that the PHI was compromised: not a breach (164.402(2)). Keep the assessment six years (164.530(j)); the burden of proof stays with the entity (164.414(b)).", a.date))
        }
        Some(a) if a.low_probability => (true, "An assessment concluding a low probability of compromise was given but not documented (no author): it cannot rebut the presumption, so a breach is presumed (164.402(2)).".to_string()),
        Some(a) => (true, format!("The risk assessment documented on {} did not conclude a low probability of compromise: breach presumed (164.402).", a.date)),
        None => {
            let mut reason = "An unauthorized acquisition, access, use or disclosure of PHI is presumed a breach unless a documented assessment of the four factors demonstrates a low probability of compromise (164.402); none has been documented.".to_string();
            if f.encryption == Encryption::Unknown {
                reason.push_str(" The encryption question is unanswered, so the PHI is presumed unsecured.");
            }
            if f.individuals == 0 {
                reason.push_str(" No affected individual has been counted yet, so no notice is computed.");
            }
            (true, reason)
        }
    }
}

/// A law-enforcement delay, as applied.
pub(crate) struct Delay {
    kind: &'static str,
    stated: Date,
    days: i64,
    note: Option<String>,
}

/// The delay the facts ask for, if any.
pub(crate) fn delay(f: &Facts, ctx: &mut Ctx) -> Option<Delay> {
    let le = f.law_enforcement.as_ref()?;
    ctx.cites.federal(cite::LAW_ENFORCEMENT);
    let d = match *le {
        LawEnforcement::Written { stated, until } => Delay {
            kind: "written",
            stated,
            days: stated.days_until(until).max(0),
            note: None,
        },
        LawEnforcement::Oral {
            stated,
            written_until: None,
            ..
        } => {
            ctx.todo("Document the oral law-enforcement statement, including the official's identity; the delay ends 30 days after it unless a written statement arrives within that time", cite::LAW_ENFORCEMENT);
            Delay {
                kind: "oral",
                stated,
                days: ORAL_DELAY_DAYS,
                note: None,
            }
        }
        LawEnforcement::Oral {
            stated,
            written_until: Some(until),
            written_received,
        } => oral_then_written(stated, until, written_received, ctx),
    };
    Some(d)
}

fn oral_then_written(stated: Date, until: Date, received: Option<Date>, ctx: &mut Ctx) -> Delay {
    match received {
        Some(r) if stated.days_until(r) > ORAL_DELAY_DAYS => {
            ctx.todo("The written law-enforcement statement arrived more than 30 days after the oral one: the oral delay had ended; ask counsel whether the written statement starts a new delay", cite::LAW_ENFORCEMENT);
            Delay {
                kind: "oral",
                stated,
                days: ORAL_DELAY_DAYS,
                note: Some(format!("The written statement was received on {r}, more than 30 days after the oral statement: only the 30-day oral delay is applied.")),
            }
        }
        _ => {
            if received.is_none() {
                ctx.todo("Confirm that the written law-enforcement statement was received within 30 days of the oral one (law_enforcement.written_received)", cite::LAW_ENFORCEMENT);
            }
            Delay {
                kind: "oral_then_written",
                stated,
                days: stated.days_until(until).max(0),
                note: None,
            }
        }
    }
}

/// Applies the delay to deadlines, recording those it moves.
pub(crate) struct Toller {
    delay: Option<Delay>,
    affected: Vec<Tolled>,
}

impl Toller {
    pub(crate) fn new(delay: Option<Delay>) -> Toller {
        Toller {
            delay,
            affected: Vec::new(),
        }
    }

    /// The deadline after the delay: a deadline that falls during the delay
    /// (from the statement to the delay's end, both included) moves later
    /// by the delay's length; others stay.
    pub(crate) fn toll(&mut self, notice: &str, deadline: Date) -> Date {
        match &self.delay {
            Some(d)
                if d.days > 0 && deadline >= d.stated && deadline <= d.stated.add_days(d.days) =>
            {
                let tolled = deadline.add_days(d.days);
                self.affected.push(Tolled {
                    notice: notice.to_string(),
                    deadline,
                    tolled,
                });
                tolled
            }
            _ => deadline,
        }
    }

    pub(crate) fn finish(self, ctx: &mut Ctx) -> Option<LawEnforcementDelay> {
        let d = self.delay?;
        let days = u32::try_from(d.days).unwrap_or(u32::MAX);
        let mut interpretation = format!(
            "Applied as tolling: each HIPAA notice deadline (individual, media, HHS, business associate) that falls during the delay, from the statement of {} to the delay's end on {} (both included), moves later by the delay's length, {days} days; a deadline before the statement or after the delay's end is unchanged (the notice can be sent outside the delay). State-law deadlines are not moved: each State has its own law-enforcement provision. This is an interpretation of 164.412: confirm it with counsel.",
            d.stated,
            d.stated.add_days(d.days)
        );
        if let Some(note) = &d.note {
            interpretation.push(' ');
            interpretation.push_str(note);
        }
        ctx.todo("Confirm with counsel how the law-enforcement delay applies (tolling interpretation) and check each State's own delay provision", cite::LAW_ENFORCEMENT);
        Some(LawEnforcementDelay {
            kind: d.kind.to_string(),
            stated: d.stated,
            delay_end: d.stated.add_days(d.days),
            delay_days: days,
            interpretation,
            affected: self.affected,
            citation: cite::LAW_ENFORCEMENT.to_string(),
        })
    }
}

/// The five elements of 164.404(c)(1).
pub fn content_elements() -> Vec<String> {
    [
        "A brief description of what happened, including the date of the breach and the date of its discovery, if known",
        "A description of the types of unsecured PHI involved (such as name, Social Security number, date of birth, address, account number, diagnosis, disability code)",
        "Any steps individuals should take to protect themselves from potential harm resulting from the breach",
        "A brief description of what the covered entity is doing to investigate the breach, mitigate harm to individuals, and protect against further breaches",
        "Contact procedures for individuals to ask questions, including a toll-free telephone number, an email address, a web site, or a postal address",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Individual notice.
pub(crate) fn individual(
    f: &Facts,
    notify: bool,
    start: Date,
    toller: &mut Toller,
    ctx: &mut Ctx,
) -> IndividualNotice {
    let citation = format!(
        "{}; {}; {}",
        ctx.cites.federal(cite::INDIVIDUAL),
        ctx.cites.federal(cite::CONTENT),
        ctx.cites.federal(cite::METHOD)
    );
    let base = start.add_days(NOTICE_DAYS);
    IndividualNotice {
        required: notify,
        deadline: notify.then(|| toller.toll("individual notice (164.404)", base)),
        base_deadline: notify.then_some(base),
        living: f.living(),
        method: "Written notice by first-class mail to each individual's last known address, or by email if the individual agreed to electronic notice; in plain language; telephone in addition when misuse is imminent (164.404(d)(3)).".to_string(),
        content_elements: content_elements(),
        citation,
    }
}

/// Media notice.
pub(crate) fn media(
    f: &Facts,
    notify: bool,
    start: Date,
    toller: &mut Toller,
    ctx: &mut Ctx,
) -> MediaNotice {
    let states: Vec<MediaState> = f
        .by_state
        .iter()
        .filter(|(code, n)| {
            notify
                && **n > MEDIA_THRESHOLD
                && code.as_str() != UNKNOWN_STATE
                && is_jurisdiction(code)
        })
        .map(|(code, n)| MediaState {
            state: code.clone(),
            residents: *n,
        })
        .collect();
    let required = !states.is_empty();
    if required {
        ctx.cites.federal(cite::MEDIA);
    }
    MediaNotice {
        required,
        deadline: required.then(|| toller.toll("media notice (164.406)", start.add_days(NOTICE_DAYS))),
        states,
        how: "Notice to prominent media outlets serving each listed State or jurisdiction (more than 500 affected residents; exactly 500 does not require it), with the content of the individual notice.".to_string(),
        citation: cite::MEDIA.to_string(),
    }
}

/// Substitute notice for living individuals without contact details.
pub(crate) fn substitute(f: &Facts, notify: bool, ctx: &mut Ctx) -> SubstituteNotice {
    let count = f.without_contact;
    let kind = match count {
        _ if !notify => None,
        0 => None,
        n if n < SUBSTITUTE_THRESHOLD => Some(SubstituteKind::Alternative),
        _ => Some(SubstituteKind::WebOrMedia),
    };
    let how = match kind {
        None => "Not required.".to_string(),
        Some(SubstituteKind::Alternative) => format!("{count} living individuals (fewer than 10) lack current contact details: an alternative form of written notice, telephone, or other means."),
        Some(SubstituteKind::WebOrMedia) => format!("{count} living individuals (10 or more) lack current contact details: a conspicuous posting on the home page of the web site for 90 days, or conspicuous notice in major print or broadcast media where they likely reside; and a toll-free number active for at least 90 days."),
    };
    if kind.is_some() {
        ctx.cites.federal(cite::SUBSTITUTE);
        ctx.todo("Arrange the substitute notice (and, for 10 or more, the toll-free number active 90 days)", cite::SUBSTITUTE);
    }
    SubstituteNotice {
        required: kind.is_some(),
        kind,
        count,
        how,
        active_days: (kind == Some(SubstituteKind::WebOrMedia)).then_some(SUBSTITUTE_ACTIVE_DAYS),
        citation: cite::SUBSTITUTE.to_string(),
    }
}

/// Deceased individuals.
pub(crate) fn deceased(f: &Facts, notify: bool, ctx: &mut Ctx) -> Deceased {
    if notify && f.deceased > 0 {
        ctx.cites.federal(cite::METHOD);
        ctx.cites.federal(cite::SUBSTITUTE);
        ctx.todo(
            format!(
                "Find the next of kin or personal representative of the {} deceased individuals",
                f.deceased
            ),
            cite::METHOD,
        );
    }
    Deceased {
        count: f.deceased,
        next_of_kin_without_contact: f.deceased_without_contact,
        rule: "Notice to a deceased individual goes by first-class mail to the next of kin or personal representative whose address is known (164.404(d)(1)(ii)). Substitute notice is not required when their contact information is insufficient or out of date (164.404(d)(2)).".to_string(),
        substitute_notice_required: false,
        citation: format!("{}(ii); {}", cite::METHOD, cite::SUBSTITUTE),
    }
}

/// Notice to the Secretary of HHS.
pub(crate) fn hhs(f: &Facts, notify: bool, start: Date, toller: &mut Toller, ctx: &mut Ctx) -> Hhs {
    if !notify {
        return Hhs {
            required: false,
            deadline: None,
            mode: None,
            individuals: f.individuals,
            how: "Not required.".to_string(),
            citation: "45 CFR 164.408".to_string(),
        };
    }
    if f.individuals >= HHS_THRESHOLD {
        let citation = ctx.cites.federal(cite::HHS_500);
        Hhs {
            required: true,
            deadline: Some(toller.toll("HHS notice (164.408(b))", start.add_days(NOTICE_DAYS))),
            mode: Some(HhsMode::Contemporaneous),
            individuals: f.individuals,
            how: "500 or more individuals: notify the Secretary through the HHS breach portal contemporaneously with the individual notices.".to_string(),
            citation,
        }
    } else {
        let citation = ctx.cites.federal(cite::HHS_LOG);
        let base = start.end_of_year().add_days(LOG_DAYS);
        Hhs {
            required: true,
            deadline: Some(toller.toll("HHS annual log (164.408(c))", base)),
            mode: Some(HhsMode::AnnualLog),
            individuals: f.individuals,
            how: format!("Fewer than 500 individuals: log the breach and submit it through the HHS breach portal no later than 60 days after the end of {}, the calendar year of discovery.", start.year()),
            citation,
        }
    }
}

/// Business-associate duties.
pub(crate) fn business_associate(
    f: &Facts,
    clock: &Clock,
    toller: &mut Toller,
    ctx: &mut Ctx,
) -> Option<BusinessAssociate> {
    let Role::BusinessAssociate { agent_of_ce, .. } = f.role else {
        return None;
    };
    let citation = ctx.cites.federal(cite::BA);
    let base = f.discovered.add_days(NOTICE_DAYS);
    let ce_clock = if agent_of_ce {
        "The business associate is the covered entity's agent: the covered entity's deadlines run from the business associate's discovery.".to_string()
    } else if clock.assumed {
        "The covered entity's deadlines run from the day it is notified; not notified yet, so they are shown from the business associate's discovery (the earliest they can be).".to_string()
    } else {
        format!(
            "The covered entity's deadlines run from the day it was notified, {}.",
            clock.start
        )
    };
    Some(BusinessAssociate {
        notify_ce_by: toller.toll("business associate to covered entity (164.410)", base),
        base_deadline: base,
        agent_of_ce,
        ce_clock,
        ce_clock_start: clock.start,
        content: vec![
            "The identification of each individual whose unsecured PHI was, or is reasonably believed to have been, accessed, acquired, used or disclosed (164.410(c)(1))".to_string(),
            "Any other available information the covered entity needs for its notice to individuals, at the time of the notice or promptly thereafter (164.410(c)(2))".to_string(),
        ],
        citation,
    })
}
