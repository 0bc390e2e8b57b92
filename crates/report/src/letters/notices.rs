//! The drafts themselves.

use phiwatch_hipaa::{StateNotice, SubstituteKind};

use super::drafting_note;
use super::parts::{Parts, Reader};
use crate::text;
use crate::Report;

const SIGNATURE: &str = "Sincerely,\n\n[SIGNATORY NAME]  \n[SIGNATORY TITLE]  \n";

fn state_content_note(r: &Report) -> String {
    let states: Vec<&str> = r
        .hipaa
        .state_notices
        .iter()
        .map(|s| s.state.as_str())
        .filter(|s| *s != phiwatch_hipaa::UNKNOWN_STATE)
        .collect();
    format!(
        "Residents of {} States are affected ({}): check each State's content rules and deadlines in the report's State notices; some States add or forbid content, and the deadline of the strictest State applies to its residents.",
        states.len(),
        states.join(", ")
    )
}

/// The State individual-notice deadlines earlier than the HIPAA one.
fn earlier_state_deadlines(r: &Report) -> Vec<String> {
    let hipaa = r.hipaa.individual_deadline;
    r.hipaa
        .state_notices
        .iter()
        .filter_map(|s| {
            let d = s.individual_deadline?;
            (hipaa.is_none_or(|h| d < h)).then(|| {
                format!(
                    "Residents of {} ({}): send by {d} under {}.",
                    text::state_name(&s.state),
                    s.state,
                    s.citation
                )
            })
        })
        .collect()
}

/// The letter to each living individual.
pub(super) fn individual(r: &Report, p: &Parts) -> String {
    let d = &r.hipaa;
    let body = format!(
        "[DATE OF LETTER]\n\n[PATIENT NAME]  \n[ADDRESS LINE 1]  \n[ADDRESS LINE 2]  \n[CITY, STATE ZIP]\n\n# Notice of Data Breach\n\nDear [PATIENT NAME],\n\n{entity} is writing to tell you about an incident that may have involved some of your information. We take the privacy of your information seriously, and we are sorry this happened. This letter explains what happened, what we are doing, and steps you can take.\n\n{sections}{SIGNATURE}{entity}\n",
        entity = p.entity,
        sections = p.sections(Reader::Individual),
    );
    let mut notes = vec![
        "Individual notice under 45 CFR 164.404: plain language, first-class mail to the last known address (or email if the individual agreed). The five headings are California's (Cal. Civ. Code 1798.82(d)); together they carry the five elements of 164.404(c): what happened with the breach and discovery dates, the types of PHI, the steps individuals should take, what the entity is doing, and contact procedures.".to_string(),
        format!("Living individuals to notify: {}.", text::count(d.individual_notice.living)),
        state_content_note(r),
    ];
    notes.extend(earlier_state_deadlines(r));
    if d.substitute_notice.required {
        notes.push(format!(
            "{} living individuals lack current contact details: see substitute-notice.md.",
            text::count(d.substitute_notice.count)
        ));
    }
    let deadline = d
        .individual_notice
        .deadline
        .map(|x| (x, "without unreasonable delay and no later than 60 calendar days after discovery (45 CFR 164.404(b)); a State deadline may be earlier."));
    let note = drafting_note(
        "Letter to each affected individual (mail merge).",
        deadline,
        &notes,
        &body,
    );
    format!("{note}{body}")
}

/// The letter to the next of kin or personal representative of a deceased
/// individual.
pub(super) fn next_of_kin(r: &Report, p: &Parts) -> String {
    let d = &r.hipaa;
    let body = format!(
        "[DATE OF LETTER]\n\n[NEXT OF KIN OR PERSONAL REPRESENTATIVE NAME]  \n[ADDRESS LINE 1]  \n[ADDRESS LINE 2]  \n[CITY, STATE ZIP]\n\n# Notice of Data Breach\n\nRe: [PATIENT NAME]\n\nDear [NEXT OF KIN OR PERSONAL REPRESENTATIVE NAME],\n\n{entity} is writing to you as the next of kin or personal representative of [PATIENT NAME], because an incident may have involved some of their information. We are sorry for your loss, and we are sorry to write to you about this.\n\n{sections}{SIGNATURE}{entity}\n",
        entity = p.entity,
        sections = p.sections(Reader::NextOfKin),
    );
    let notes = vec![
        format!(
            "Deceased individuals: {}; of them without a known next of kin or personal representative: {} (no substitute notice is required for those).",
            text::count(d.deceased.count),
            text::count(d.deceased.next_of_kin_without_contact)
        ),
        d.deceased.rule.clone(),
    ];
    let deadline = d.individual_notice.deadline.map(|x| {
        (
            x,
            "the individual-notice deadline (45 CFR 164.404(b), (d)(1)(ii)).",
        )
    });
    let note = drafting_note(
        "Letter to the next of kin or personal representative of a deceased individual (mail merge).",
        deadline,
        &notes,
        &body,
    );
    format!("{note}{body}")
}

/// The substitute notice: a web posting (10 or more without contact
/// details) or the text of an alternative notice (fewer than 10).
pub(super) fn substitute(r: &Report, p: &Parts) -> String {
    let s = &r.hipaa.substitute_notice;
    let (what, lead) = match s.kind {
        Some(SubstituteKind::Alternative) => (
            "Substitute notice for fewer than 10 individuals without current contact details: use this text for an alternative written notice, a telephone call or other means.",
            "",
        ),
        _ => (
            "Substitute notice: post conspicuously on the home page of the web site for 90 days (or publish in major print or broadcast media where the individuals likely reside), with a toll-free number active for at least 90 days (45 CFR 164.404(d)(2)).",
            "Posted [DATE POSTED]; this notice stays on our home page for at least 90 days.\n\n",
        ),
    };
    let body = format!(
        "# Notice of Data Breach\n\n{lead}{entity} is providing notice of an incident that may have involved information about some of our patients. We have mailed letters to the people whose addresses we have; this notice is for those we could not reach by mail.\n\n{sections}If you think your information may have been involved, call [TOLL-FREE NUMBER] (toll-free, active until at least [DATE 90 DAYS AFTER POSTING]) to find out whether it was.\n",
        entity = p.entity,
        sections = p.sections(Reader::Public),
    );
    let notes = vec![
        format!(
            "Living individuals without current contact details: {}.",
            text::count(s.count)
        ),
        s.how.clone(),
    ];
    let deadline = r.hipaa.individual_notice.deadline.map(|x| {
        (
            x,
            "with the individual notices (45 CFR 164.404(b), (d)(2)).",
        )
    });
    let note = drafting_note(what, deadline, &notes, &body);
    format!("{note}{body}")
}

/// The media notice for one State.
pub(super) fn media(r: &Report, p: &Parts, state: &str, residents: u64) -> String {
    let name = text::state_name(state);
    let body = format!(
        "FOR IMMEDIATE RELEASE - [DATE OF RELEASE]\n\n# {entity} Notifies Patients of Data Security Incident\n\n[CITY, STATE] - {entity} is notifying {total} patients, including approximately {residents} residents of {name}, of an incident that may have involved their information.\n\n{sections}Media contact: [MEDIA CONTACT NAME], [MEDIA CONTACT PHONE], [MEDIA CONTACT EMAIL].\n",
        entity = p.entity,
        total = text::count(r.facts.individuals),
        residents = text::count(residents),
        sections = p.sections(Reader::Public),
    );
    let notes = vec![
        format!(
            "{} has {} affected residents (more than 500): notice to prominent media outlets serving it, with the content of the individual notice (45 CFR 164.406).",
            name,
            text::count(residents)
        ),
        "Choose outlets that serve the areas where the affected residents live; keep a record of where and when it ran.".to_string(),
    ];
    let deadline = r
        .hipaa
        .media_notice
        .deadline
        .map(|x| (x, "without unreasonable delay and no later than 60 calendar days after discovery (45 CFR 164.406(b))."));
    let note = drafting_note(
        &format!("Media notice for {name} ({state})."),
        deadline,
        &notes,
        &body,
    );
    format!("{note}{body}")
}

/// A cover note to a State regulator.
pub(super) fn regulator(r: &Report, s: &StateNotice) -> String {
    let f = &r.facts;
    let name = text::state_name(&s.state);
    let recipient = s
        .regulator
        .clone()
        .unwrap_or_else(|| "[REGULATOR]".to_string());
    let dates = match (f.breach_start, f.breach_end) {
        (Some(a), Some(b)) => format!("from {} to {}", text::long_date(a), text::long_date(b)),
        _ => "[DATES OF THE BREACH]".to_string(),
    };
    let body = format!(
        "[DATE]\n\n{recipient}  \n[REGULATOR ADDRESS OR SUBMISSION PORTAL]\n\n# Notice of Data Breach under {citation}\n\nOn behalf of {entity}, we notify you of a breach of the security of personal and health information affecting approximately {residents} residents of {name} ({total} individuals in all).\n\n- Dates of the breach: {dates}; discovered on {discovered}.\n- Types of information involved: {categories}.\n- Notice to the affected residents: sent [DATE NOTICES MAILED] by first-class mail; a sample notice is enclosed.\n- Steps taken: [DESCRIBE CONTAINMENT AND REMEDIATION].\n- Credit monitoring offered: [YES: NUMBER MONTHS, PROVIDER / NO].\n- Contact: [CONTACT NAME], [CONTACT TITLE], [CONTACT PHONE], [CONTACT EMAIL].\n\nEnclosure: sample individual notice.\n\n{SIGNATURE}{entity}\n",
        citation = s.citation,
        entity = f.covered_entity,
        residents = text::count(s.residents),
        total = text::count(f.individuals),
        discovered = text::long_date(f.discovered),
        categories = text::categories_phrase(&f.categories),
    );
    let mut notes = Vec::new();
    if let Some(t) = &s.regulator_threshold {
        notes.push(format!(
            "Threshold: {t}; {} residents are affected.",
            text::count(s.residents)
        ));
    }
    if let Some(t) = &s.regulator_deadline_text {
        notes.push(format!("Timing: {t}."));
    }
    notes.push("Use the regulator's own form or portal where it has one; this note lists what it usually asks.".to_string());
    notes.extend(s.verify.iter().map(|v| format!("Verify: {v}")));
    let deadline = s.regulator_deadline.map(|x| {
        (
            x,
            "the State law's regulator deadline (see the report's State notices).",
        )
    });
    let note = drafting_note(
        &format!("Cover note to the regulator of {name} ({}).", s.state),
        deadline,
        &notes,
        &body,
    );
    format!("{note}{body}")
}
