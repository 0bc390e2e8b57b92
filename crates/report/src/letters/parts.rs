//! The plain-language paragraphs the drafts share, one per heading.

use crate::text;
use crate::Report;

/// Who reads a paragraph.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// The individual ("your information").
    Individual,
    /// The next of kin of a deceased individual ("your family member's").
    NextOfKin,
    /// The public (web posting, media): "patients' information".
    Public,
}

/// The paragraphs under each heading.
pub(crate) struct Parts {
    /// Covered entity.
    pub(crate) entity: String,
    /// The breach dates in words.
    pub(crate) when: String,
    /// The discovery date in words.
    pub(crate) discovered: String,
    /// The PHI categories in words (`name, address and date of birth`).
    pub(crate) categories: String,
    ssn: bool,
    financial: bool,
    health: bool,
    copied: bool,
    regulators: Vec<String>,
    hhs: bool,
}

impl Parts {
    pub(crate) fn new(r: &Report) -> Parts {
        let f = &r.facts;
        let when = match (f.breach_start, f.breach_end) {
            (Some(a), Some(b)) if a == b => format!("on {}", text::long_date(a)),
            (Some(a), Some(b)) => {
                format!("between {} and {}", text::long_date(a), text::long_date(b))
            }
            (Some(a), None) => format!("beginning on {}", text::long_date(a)),
            (None, Some(b)) => format!("on or before {}", text::long_date(b)),
            (None, None) => "[DATES OF THE BREACH]".to_string(),
        };
        let has = |c: &str| f.categories.iter().any(|x| x == c);
        let regulators = r
            .hipaa
            .state_notices
            .iter()
            .filter(|s| s.regulator_required)
            .filter_map(|s| s.regulator.clone())
            .collect();
        Parts {
            entity: f.covered_entity.clone(),
            when,
            discovered: text::long_date(f.discovered),
            categories: text::categories_phrase(&f.categories),
            ssn: has("ssn"),
            financial: has("financial") || has("account"),
            health: has("clinical") || has("insurance") || has("mrn"),
            copied: r.scope.exfiltration.bytes > 0 || f.evidence.exfiltration_seen,
            regulators,
            hhs: r.hipaa.hhs.required,
        }
    }

    /// "What Happened".
    pub(crate) fn what_happened(&self, reader: Reader) -> String {
        let whose = match reader {
            Reader::Individual => "some of your information",
            Reader::NextOfKin => "some of your family member's information",
            Reader::Public => "information about some of our patients",
        };
        let copied = if self.copied {
            "Our investigation found that information was copied out of our systems."
        } else {
            "Our investigation has not found that information was copied out of our systems, but we cannot rule out that it was viewed or taken."
        };
        format!(
            "{when_cap}, an unauthorized person gained access to computer systems that {entity} uses and that hold {whose}. [DESCRIBE IN ONE OR TWO PLAIN SENTENCES HOW THE ACCESS HAPPENED.] We discovered this on {discovered}. {copied}",
            when_cap = capitalize(&self.when),
            entity = self.entity,
            discovered = self.discovered,
        )
    }

    /// "What Information Was Involved".
    pub(crate) fn what_information(&self, reader: Reader) -> String {
        if self.categories.is_empty() {
            return "[DESCRIBE THE TYPES OF INFORMATION INVOLVED.]".to_string();
        }
        let whose = match reader {
            Reader::Individual => "your",
            Reader::NextOfKin => "your family member's",
            Reader::Public => "patients'",
        };
        let mut s = format!(
            "The information involved may have included {whose} {}. Not every type of information was involved for every person.",
            self.categories
        );
        if reader != Reader::Public {
            s.push_str(" [IF KNOWN FOR THIS MAIL-MERGE GROUP, LIST ONLY THE TYPES THAT APPLY.]");
        }
        s
    }

    /// "What We Are Doing".
    pub(crate) fn what_we_are_doing(&self) -> String {
        let mut s = String::from(
            "We are investigating what happened, working to limit any harm, and taking steps to keep this from happening again. [DESCRIBE THE STEPS: ACCESS STOPPED ON DATE, ACCOUNTS DISABLED, PASSWORDS RESET, FORENSIC FIRM ENGAGED, LAW ENFORCEMENT NOTIFIED, NEW SAFEGUARDS.]",
        );
        let mut told = Vec::new();
        if self.hhs {
            told.push("the U.S. Department of Health and Human Services".to_string());
        }
        told.extend(self.regulators.iter().map(|r| {
            let name = strip_parenthetical(r);
            if name.starts_with("the ") {
                name
            } else {
                format!("the {name}")
            }
        }));
        if !told.is_empty() {
            s.push_str(&format!(
                " We are also notifying {}.",
                text::join_words(&told)
            ));
        }
        if self.ssn {
            s.push_str(" [IF OFFERED:] We are offering [NUMBER] months of credit monitoring and identity protection at no cost: [ENROLLMENT INSTRUCTIONS, CODE AND DEADLINE].");
        }
        s
    }

    /// "What You Can Do", as Markdown list items.
    pub(crate) fn what_you_can_do(&self, reader: Reader) -> Vec<String> {
        let mut out = Vec::new();
        if reader == Reader::NextOfKin {
            out.push("Ask each of the three nationwide credit bureaus (Equifax, Experian and TransUnion) to place a \"deceased - do not issue credit\" notice on your family member's credit file; they will ask for a copy of the death certificate and proof that you are the next of kin or personal representative.".to_string());
        }
        if self.health {
            out.push("Review the statements you receive from health insurers and health care providers (such as Explanation of Benefits). If you see services that were not received, call the insurer or provider.".to_string());
        }
        if self.ssn {
            out.push("Place a free fraud alert or security freeze on the credit file with Equifax (equifax.com), Experian (experian.com) and TransUnion (transunion.com). A freeze stops new credit from being opened in the name on the file.".to_string());
            out.push("Get a free credit report from each bureau at annualcreditreport.com or 1-877-322-8228 and check it for accounts you do not recognize.".to_string());
        }
        if self.financial {
            out.push("Review bank, credit card and billing statements and report any charge you do not recognize to the bank or card issuer.".to_string());
        }
        out.push("Be careful with calls, emails and texts that mention this incident: we will not ask for your Social Security number, passwords or payment details by phone or email.".to_string());
        out.push("If you believe someone is using the information, report it to the Federal Trade Commission at IdentityTheft.gov or 1-877-438-4338, and to your local police.".to_string());
        out
    }

    /// "For More Information".
    pub(crate) fn more_information(&self) -> String {
        format!(
            "If you have questions, call our toll-free number [TOLL-FREE NUMBER], [DAYS AND HOURS, TIME ZONE], email [EMAIL ADDRESS], visit [WEBSITE], or write to {} at [POSTAL ADDRESS].",
            self.entity
        )
    }

    /// The five sections under their headings (Markdown `##`).
    pub(crate) fn sections(&self, reader: Reader) -> String {
        let mut s = String::new();
        let bodies = [
            self.what_happened(reader),
            self.what_information(reader),
            self.what_we_are_doing(),
            self.what_you_can_do(reader)
                .iter()
                .map(|i| format!("- {i}"))
                .collect::<Vec<_>>()
                .join("\n"),
            self.more_information(),
        ];
        for (h, b) in super::HEADINGS.iter().zip(bodies) {
            s.push_str(&format!("## {h}\n\n{b}\n\n"));
        }
        s
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `California Attorney General (one sample copy…)` → `California Attorney General`.
fn strip_parenthetical(s: &str) -> String {
    s.split(" (").next().unwrap_or(s).trim().to_string()
}
