//! The facts of an incident the engine decides on, and their consistency
//! checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::states::is_jurisdiction;

/// PHI categories the facts may name (the inventory's categories).
pub const CATEGORIES: [&str; 16] = [
    "name",
    "address",
    "dob",
    "ssn",
    "mrn",
    "insurance",
    "clinical",
    "financial",
    "contact",
    "email",
    "phone",
    "license",
    "biometric",
    "photo",
    "device",
    "account",
];

/// The key of `Facts::by_state` for individuals whose state is not known.
pub const UNKNOWN_STATE: &str = "unknown";

/// Everything the determination needs to know about an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The covered entity's name (portal fields, letters).
    pub covered_entity: String,
    /// Who is running this determination: the covered entity or one of its
    /// business associates.
    #[serde(default)]
    pub role: Role,
    /// Date of discovery by the party running this (45 CFR 164.404(a)(2),
    /// 164.410(a)(2)): the first day the breach was known, or by exercising
    /// reasonable diligence would have been known, to any workforce member
    /// or agent other than the person who committed it.
    pub discovered: Date,
    /// First day of the breach, when known.
    #[serde(default)]
    pub breach_start: Option<Date>,
    /// Last day of the breach, when known.
    #[serde(default)]
    pub breach_end: Option<Date>,
    /// Individuals affected, deduplicated (living and deceased).
    pub individuals: u64,
    /// Residents per State or jurisdiction (USPS code); individuals whose
    /// state is not known under `"unknown"`.
    #[serde(default)]
    pub by_state: BTreeMap<String, u64>,
    /// Of the individuals, those known to be deceased.
    #[serde(default)]
    pub deceased: u64,
    /// Living individuals with insufficient or out-of-date contact
    /// information (drives substitute notice, 164.404(d)(2)).
    #[serde(default)]
    pub without_contact: u64,
    /// Deceased individuals whose next of kin or personal representative
    /// has no known address (no substitute notice needed for them).
    #[serde(default)]
    pub deceased_without_contact: u64,
    /// PHI categories involved (see [`CATEGORIES`]).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Whether the PHI was secured per HHS guidance.
    #[serde(default)]
    pub encryption: Encryption,
    /// A documented four-factor risk assessment, when one was made.
    #[serde(default)]
    pub assessment: Option<Assessment>,
    /// A law-enforcement request to delay notice (164.412).
    #[serde(default)]
    pub law_enforcement: Option<LawEnforcement>,
    /// What the logs showed, to pre-fill the worksheet and portal.
    #[serde(default)]
    pub evidence: Evidence,
    /// HHS portal "type of breach"; pre-filled from the evidence when None.
    #[serde(default)]
    pub breach_type: Option<String>,
    /// HHS portal "location of breached information"; pre-filled when None.
    #[serde(default)]
    pub location: Option<String>,
}

/// Who runs the determination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Role {
    /// The covered entity itself.
    #[default]
    CoveredEntity,
    /// A business associate of the covered entity.
    BusinessAssociate {
        /// Whether the BA acts as the covered entity's agent (federal common
        /// law of agency): then its discovery is the covered entity's.
        #[serde(default)]
        agent_of_ce: bool,
        /// When the BA notified the covered entity, if it has.
        #[serde(default)]
        ce_notified: Option<Date>,
    },
}

/// Whether the PHI was "secured" (the safe harbor of 164.402).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// Not known yet: presumed unsecured.
    #[default]
    Unknown,
    /// Encrypted or destroyed per HHS guidance, key not compromised.
    Secured,
    /// Not secured per HHS guidance.
    Unsecured,
}

/// A documented risk assessment (164.402(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The conclusion: a low probability that the PHI was compromised.
    pub low_probability: bool,
    /// Who documented it (name or role of the privacy officer).
    pub documented_by: String,
    /// When it was documented.
    pub date: Date,
    /// Notes (the reasoning per factor).
    #[serde(default)]
    pub notes: Option<String>,
}

/// A law-enforcement statement that notice would impede an investigation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LawEnforcement {
    /// A written statement specifying how long the delay is.
    Written {
        /// Date of the statement.
        stated: Date,
        /// End of the delay it specifies.
        until: Date,
    },
    /// An oral statement, possibly followed by a written one.
    Oral {
        /// Date of the oral statement.
        stated: Date,
        /// End of the delay specified by a written statement that followed.
        #[serde(default)]
        written_until: Option<Date>,
        /// When that written statement was received.
        #[serde(default)]
        written_received: Option<Date>,
    },
}

/// What the logs showed about the incident.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Data silos accessed.
    #[serde(default)]
    pub silos: Vec<String>,
    /// Actors (users, hosts, addresses) behind the access.
    #[serde(default)]
    pub actors: Vec<String>,
    /// Bytes that left the organization.
    #[serde(default)]
    pub bytes_out: u64,
    /// Where they went.
    #[serde(default)]
    pub destinations: Vec<String>,
    /// Whether exfiltration (acquisition) was seen.
    #[serde(default)]
    pub exfiltration_seen: bool,
    /// Records viewed or read.
    #[serde(default)]
    pub records_viewed: u64,
    /// A short incident summary.
    #[serde(default)]
    pub summary: Option<String>,
}

/// One inconsistency in the facts. Messages hold counts, dates and codes,
/// never patient data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The field, as a path (`by_state.XX`, `law_enforcement.until`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn problem(out: &mut Vec<Problem>, field: impl Into<String>, message: impl Into<String>) {
    out.push(Problem {
        field: field.into(),
        message: message.into(),
    });
}

impl Facts {
    /// Every inconsistency in the facts, all at once (empty when none).
    /// The determination is made anyway and carries these as `problems`.
    pub fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        self.check_counts(&mut out);
        self.check_states(&mut out);
        self.check_dates(&mut out);
        for (i, c) in self.categories.iter().enumerate() {
            if !CATEGORIES.contains(&c.as_str()) {
                let shown: String = c.chars().take(40).collect();
                problem(
                    &mut out,
                    format!("categories[{i}]"),
                    format!(
                        "unknown PHI category {shown:?} (known: {})",
                        CATEGORIES.join(", ")
                    ),
                );
            }
        }
        if self.covered_entity.trim().is_empty() {
            problem(&mut out, "covered_entity", "the covered entity has no name");
        }
        out
    }

    fn check_counts(&self, out: &mut Vec<Problem>) {
        if self.deceased > self.individuals {
            problem(
                out,
                "deceased",
                format!(
                    "{} deceased of {} individuals",
                    self.deceased, self.individuals
                ),
            );
        }
        let living = self.individuals.saturating_sub(self.deceased);
        if self.without_contact > living {
            problem(
                out,
                "without_contact",
                format!(
                    "{} living individuals without contact details, but only {living} living individuals",
                    self.without_contact
                ),
            );
        }
        if self.deceased_without_contact > self.deceased {
            problem(
                out,
                "deceased_without_contact",
                format!(
                    "{} deceased without next-of-kin contact, but only {} deceased",
                    self.deceased_without_contact, self.deceased
                ),
            );
        }
        let by_state: u64 = self.by_state.values().fold(0, |a, b| a.saturating_add(*b));
        if !self.by_state.is_empty() && by_state != self.individuals {
            problem(
                out,
                "by_state",
                format!(
                    "residents by state add up to {by_state}, not the {} individuals",
                    self.individuals
                ),
            );
        }
    }

    fn check_states(&self, out: &mut Vec<Problem>) {
        for code in self.by_state.keys() {
            if code != UNKNOWN_STATE && !is_jurisdiction(code) {
                let shown: String = code.chars().take(10).collect();
                problem(
                    out,
                    format!("by_state.{shown}"),
                    format!("{shown:?} is not a USPS state or jurisdiction code (use \"unknown\" when the state is not known)"),
                );
            }
        }
    }

    fn check_dates(&self, out: &mut Vec<Problem>) {
        if let (Some(start), Some(end)) = (self.breach_start, self.breach_end) {
            if end < start {
                problem(
                    out,
                    "breach_end",
                    format!("breach ends ({end}) before it starts ({start})"),
                );
            }
        }
        if let Some(start) = self.breach_start {
            if self.discovered < start {
                problem(
                    out,
                    "discovered",
                    format!(
                        "discovered ({}) before the breach started ({start})",
                        self.discovered
                    ),
                );
            }
        }
        if let Role::BusinessAssociate {
            ce_notified: Some(n),
            ..
        } = self.role
        {
            if n < self.discovered {
                problem(
                    out,
                    "role.ce_notified",
                    format!(
                        "covered entity notified ({n}) before the discovery ({})",
                        self.discovered
                    ),
                );
            }
        }
        if let Some(a) = &self.assessment {
            if a.documented_by.trim().is_empty() {
                problem(
                    out,
                    "assessment.documented_by",
                    "an assessment must say who documented it (164.402(2), 164.530(j))",
                );
            }
        }
        self.check_law_enforcement(out);
    }

    fn check_law_enforcement(&self, out: &mut Vec<Problem>) {
        match &self.law_enforcement {
            Some(LawEnforcement::Written { stated, until }) if until < stated => problem(
                out,
                "law_enforcement.until",
                format!("delay ends ({until}) before the statement ({stated})"),
            ),
            Some(LawEnforcement::Oral {
                stated,
                written_until,
                written_received,
            }) => {
                if let Some(u) = written_until {
                    if u < stated {
                        problem(
                            out,
                            "law_enforcement.written_until",
                            format!("delay ends ({u}) before the oral statement ({stated})"),
                        );
                    }
                }
                if let Some(r) = written_received {
                    if r < stated {
                        problem(
                            out,
                            "law_enforcement.written_received",
                            format!("written statement ({r}) before the oral one ({stated})"),
                        );
                    }
                    if written_until.is_none() {
                        problem(
                            out,
                            "law_enforcement.written_until",
                            "a written statement was received but the end of its delay is missing",
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// Living individuals (individuals minus deceased).
    pub fn living(&self) -> u64 {
        self.individuals.saturating_sub(self.deceased)
    }
}
