//! The rules' citations (paraphrased, not quoted) and the collector that
//! lists those a determination used.

use serde::{Deserialize, Serialize};

/// A citation and what it says, as used by the determination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The citation (`45 CFR 164.404(b)`).
    pub cite: String,
    /// What it says, paraphrased.
    pub text: String,
}

/// Definition of breach and of unsecured PHI.
pub const BREACH: &str = "45 CFR 164.402";
/// The four factors.
pub const FACTORS: &str = "45 CFR 164.402(2)(i)-(iv)";
/// Discovery.
pub const DISCOVERY: &str = "45 CFR 164.404(a)(2)";
/// Individual notice timing.
pub const INDIVIDUAL: &str = "45 CFR 164.404(b)";
/// Individual notice content.
pub const CONTENT: &str = "45 CFR 164.404(c)";
/// Written notice and deceased individuals.
pub const METHOD: &str = "45 CFR 164.404(d)(1)";
/// Substitute notice.
pub const SUBSTITUTE: &str = "45 CFR 164.404(d)(2)";
/// Media notice.
pub const MEDIA: &str = "45 CFR 164.406";
/// HHS, 500 or more.
pub const HHS_500: &str = "45 CFR 164.408(b)";
/// HHS, fewer than 500.
pub const HHS_LOG: &str = "45 CFR 164.408(c)";
/// Business associate.
pub const BA: &str = "45 CFR 164.410";
/// Law-enforcement delay.
pub const LAW_ENFORCEMENT: &str = "45 CFR 164.412";
/// Burden of proof.
pub const BURDEN: &str = "45 CFR 164.414(b)";
/// Documentation retention.
pub const RETENTION: &str = "45 CFR 164.530(j)";
/// HHS guidance on securing PHI.
pub const GUIDANCE: &str = "HHS Guidance, 74 FR 42740 (2009-08-24)";

/// The text of a federal citation used by the engine.
pub fn text_of(cite: &str) -> &'static str {
    match cite {
        BREACH => "An acquisition, access, use or disclosure of PHI not permitted by the Privacy Rule is presumed to be a breach unless the covered entity or business associate demonstrates, by a documented risk assessment of at least four factors, a low probability that the PHI has been compromised. Notification duties apply to unsecured PHI only: PHI not rendered unusable, unreadable or indecipherable to unauthorized persons by a technology or methodology named in HHS guidance.",
        FACTORS => "The risk assessment considers at least: (i) the nature and extent of the PHI involved, including the types of identifiers and the likelihood of re-identification; (ii) the unauthorized person who used the PHI or to whom it was disclosed; (iii) whether the PHI was actually acquired or viewed; (iv) the extent to which the risk to the PHI has been mitigated.",
        DISCOVERY => "A breach is treated as discovered on the first day it is known to the covered entity, or by exercising reasonable diligence would have been known, to any workforce member or agent other than the person committing it.",
        INDIVIDUAL => "Individual notice is given without unreasonable delay and in no case later than 60 calendar days after discovery.",
        CONTENT => "The notice is in plain language and contains: a brief description of what happened with the dates of the breach and of its discovery; the types of unsecured PHI involved; the steps individuals should take to protect themselves; what the covered entity is doing to investigate, mitigate harm and protect against further breaches; and contact procedures including a toll-free number, an email address, a website or a postal address.",
        METHOD => "Written notice by first-class mail to the last known address (or email if the individual agreed); if the individual is known to be deceased, to the next of kin or personal representative whose address is known.",
        SUBSTITUTE => "When contact information is insufficient or out of date: for fewer than 10 individuals, an alternative form of written notice, telephone or other means; for 10 or more, a conspicuous posting on the home page of the web site for 90 days or conspicuous notice in major print or broadcast media where the individuals likely reside, with a toll-free number active for at least 90 days. Not required for deceased individuals whose next of kin or personal representative cannot be reached.",
        MEDIA => "For a breach involving more than 500 residents of a State or jurisdiction, notice to prominent media outlets serving it, without unreasonable delay and no later than 60 calendar days after discovery, with the content of the individual notice.",
        HHS_500 => "For a breach involving 500 or more individuals, notice to the Secretary of HHS contemporaneously with the individual notice (same deadline), through the HHS breach portal.",
        HHS_LOG => "For a breach involving fewer than 500 individuals, keep a log and notify the Secretary no later than 60 days after the end of each calendar year of the breaches discovered during it.",
        BA => "A business associate notifies the covered entity without unreasonable delay and no later than 60 calendar days after discovering a breach, identifying each individual affected and giving the information the covered entity needs for its notices. A business associate acting as the covered entity's agent: its discovery is imputed to the covered entity.",
        LAW_ENFORCEMENT => "If a law-enforcement official states that notice would impede a criminal investigation or damage national security: a written statement specifying a time delays notice for that time; an oral statement is documented (with the official's identity) and delays notice no longer than 30 days from the statement unless a written statement is submitted during that time.",
        BURDEN => "The covered entity or business associate has the burden of demonstrating that all notifications were made, or that the use or disclosure did not constitute a breach.",
        RETENTION => "Documentation (including the risk assessment) is retained for six years.",
        GUIDANCE => "PHI is secured when encrypted consistent with NIST SP 800-111 (at rest) or NIST SP 800-52, 800-77 or 800-113 (in transit) with the key not compromised, or destroyed consistent with NIST SP 800-88.",
        _ => "",
    }
}

/// The citations a determination used, in first-use order, without
/// duplicates.
#[derive(Debug, Default)]
pub(crate) struct Cites(Vec<Citation>);

impl Cites {
    /// Records a federal citation; returns it for use in a field.
    pub(crate) fn federal(&mut self, cite: &str) -> String {
        self.add(cite, text_of(cite));
        cite.to_string()
    }

    /// Records any citation with its text.
    pub(crate) fn add(&mut self, cite: &str, text: &str) {
        if !self.0.iter().any(|c| c.cite == cite) {
            self.0.push(Citation {
                cite: cite.to_string(),
                text: text.to_string(),
            });
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Citation> {
        self.0
    }
}
