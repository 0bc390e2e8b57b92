//! The four-factor risk-assessment worksheet and the HHS breach portal
//! fields, pre-filled from the evidence.

use crate::cite;
use crate::date::Date;
use crate::facts::{Encryption, Facts, Role};
use crate::output::{Conclusion, Factor, PhiType, Portal, Worksheet};
use crate::rules::Ctx;

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none recorded".to_string()
    } else {
        items.join(", ")
    }
}

fn factor(n: &str, text: &str, prefilled: Vec<String>, officer: &[&str]) -> Factor {
    Factor {
        factor: text.to_string(),
        citation: format!("45 CFR 164.402(2)({n})"),
        prefilled,
        officer_fields: officer.iter().map(|s| s.to_string()).collect(),
    }
}

/// The worksheet of 164.402(2)(i)-(iv).
pub(crate) fn worksheet(f: &Facts, ctx: &mut Ctx) -> Worksheet {
    ctx.cites.federal(cite::FACTORS);
    let e = &f.evidence;
    let factors = vec![
        factor(
            "i",
            "The nature and extent of the PHI involved, including the types of identifiers and the likelihood of re-identification",
            vec![
                format!("PHI categories: {}", list(&f.categories)),
                format!("Individuals affected: {}", f.individuals),
                format!("Data silos accessed: {}", list(&e.silos)),
                format!("Records viewed or read: {}", e.records_viewed),
            ],
            &["How sensitive the data is (financial, clinical, identity-theft risk)", "How likely the PHI can be re-identified or used against the individuals"],
        ),
        factor(
            "ii",
            "The unauthorized person who used the PHI or to whom the disclosure was made",
            vec![
                format!("Actors seen: {}", list(&e.actors)),
                format!("Destinations: {}", list(&e.destinations)),
            ],
            &["Who the recipient is, if known", "Whether the recipient is obliged to protect the PHI (e.g. another covered entity) or is a criminal actor"],
        ),
        factor(
            "iii",
            "Whether the PHI was actually acquired or viewed",
            vec![
                format!("Exfiltration seen: {}", if e.exfiltration_seen { "yes" } else { "no" }),
                format!("Bytes out: {} to {} destination(s)", e.bytes_out, e.destinations.len()),
                format!("Records viewed or read: {}", e.records_viewed),
            ],
            &["The forensic conclusion: acquired, viewed only, or neither (and the log coverage it rests on)"],
        ),
        factor(
            "iv",
            "The extent to which the risk to the PHI has been mitigated",
            vec!["No mitigation is recorded in the evidence".to_string()],
            &["Mitigation steps taken (recipient's assurance of destruction, credential resets, takedowns)", "Whether those assurances are reliable"],
        ),
    ];
    Worksheet {
        summary: e.summary.clone(),
        factors,
        conclusion: conclusion(f, ctx),
    }
}

fn conclusion(f: &Facts, ctx: &mut Ctx) -> Conclusion {
    match &f.assessment {
        Some(a) if !a.documented_by.trim().is_empty() => Conclusion {
            low_probability: Some(a.low_probability),
            documented_by: Some(a.documented_by.clone()),
            date: Some(a.date),
            notes: a.notes.clone(),
            status: "documented".to_string(),
        },
        _ if f.encryption == Encryption::Secured => Conclusion {
            low_probability: None,
            documented_by: None,
            date: None,
            notes: None,
            status: "not needed (secured PHI)".to_string(),
        },
        _ => {
            ctx.todo("Complete and document the four-factor risk assessment (worksheet) and its conclusion; without a documented conclusion of low probability the breach is presumed", cite::FACTORS);
            Conclusion {
                low_probability: None,
                documented_by: None,
                date: None,
                notes: None,
                status: "not documented: the privacy officer concludes".to_string(),
            }
        }
    }
}

/// HHS portal "type of PHI" groups for the facts' categories.
pub fn phi_types(categories: &[String]) -> Vec<PhiType> {
    let group = |c: &str| match c {
        "name" | "address" | "dob" | "ssn" | "license" | "contact" | "email" | "phone" => {
            "Demographic"
        }
        "financial" | "insurance" | "account" => "Financial",
        "clinical" => "Clinical",
        _ => "Other",
    };
    let mut out: Vec<PhiType> = ["Demographic", "Financial", "Clinical", "Other"]
        .iter()
        .map(|k| PhiType {
            kind: k.to_string(),
            categories: Vec::new(),
        })
        .collect();
    for c in categories {
        if let Some(t) = out.iter_mut().find(|t| t.kind == group(c)) {
            if !t.categories.contains(c) {
                t.categories.push(c.clone());
            }
        }
    }
    out.retain(|t| !t.categories.is_empty());
    out
}

/// What the portal needs from the notices.
pub(crate) struct PortalNotices {
    pub(crate) clock_start: Date,
    pub(crate) individual: Option<Date>,
    pub(crate) substitute: bool,
    pub(crate) media: bool,
    pub(crate) hhs_required: bool,
}

/// The HHS breach portal fields.
pub(crate) fn portal(f: &Facts, n: &PortalNotices, ctx: &mut Ctx) -> Portal {
    let e = &f.evidence;
    let mut officer = vec![
        "Covered entity type (Health Plan, Healthcare Provider, Healthcare Clearinghouse)"
            .to_string(),
        "Safeguards in place prior to the breach".to_string(),
        "Actions taken in response to the breach".to_string(),
        "Dates the individual, substitute and media notices were provided".to_string(),
    ];
    let breach_type = f.breach_type.clone().or_else(|| {
        (e.exfiltration_seen || !e.actors.is_empty() || e.bytes_out > 0)
            .then(|| "Hacking/IT Incident".to_string())
    });
    if breach_type.is_none() {
        officer.push("Type of breach".to_string());
    }
    let location = match &f.location {
        Some(l) => vec![l.clone()],
        None if e.silos.is_empty() => {
            officer.push("Location of breached information".to_string());
            Vec::new()
        }
        None => {
            let mut l = vec!["Network Server".to_string()];
            let ehr = e.silos.iter().any(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("ehr") || s.contains("emr")
            });
            if ehr {
                l.push("Electronic Medical Record".to_string());
            }
            l
        }
    };
    if f.breach_start.is_none() {
        officer.push("Breach start date".to_string());
    }
    if f.breach_end.is_none() {
        officer.push("Breach end date".to_string());
    }
    if n.hhs_required {
        ctx.todo(
            format!("HHS portal fields to complete: {}", officer.join("; ")),
            "45 CFR 164.408",
        );
    }
    Portal {
        covered_entity: f.covered_entity.clone(),
        entity_type: None,
        business_associate_involved: matches!(f.role, Role::BusinessAssociate { .. }),
        breach_start: f.breach_start,
        breach_end: f.breach_end,
        discovery_date: n.clock_start,
        individuals_affected: f.individuals,
        breach_type,
        location,
        phi_types: phi_types(&f.categories),
        safeguards_in_place: None,
        actions_taken: None,
        individual_notice_deadline: n.individual,
        substitute_notice_required: n.substitute,
        media_notice_required: n.media,
        officer_fields: officer,
    }
}
