//! The determination: what must be notified, to whom, by when, and why.
//! Field names of [`Determination`], [`Hhs`], [`SubstituteNotice`] and
//! [`StateNotice`] named in PRODUCT.md are a public contract.

use serde::{Deserialize, Serialize};

use crate::cite::Citation;
use crate::date::Date;
use crate::facts::Problem;

/// The HIPAA breach-notification determination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determination {
    /// Whether a breach of unsecured PHI is presumed (notification duties).
    pub breach_presumed: bool,
    /// Why presumed or not.
    pub reason: String,
    /// The encryption question and its answer.
    pub safe_harbor: SafeHarbor,
    /// Notice to the Secretary of HHS.
    pub hhs: Hhs,
    /// Individual notice deadline (null when no notice is required).
    pub individual_deadline: Option<Date>,
    /// Individual notice: deadline, method, the five content elements.
    pub individual_notice: IndividualNotice,
    /// States and jurisdictions with more than 500 affected residents.
    pub media_states: Vec<String>,
    /// Media notice details.
    pub media_notice: MediaNotice,
    /// Substitute notice for individuals without current contact details.
    pub substitute_notice: SubstituteNotice,
    /// Deceased individuals: notice to next of kin.
    pub deceased: Deceased,
    /// One entry per State (and "unknown") with affected residents.
    pub state_notices: Vec<StateNotice>,
    /// The four-factor risk-assessment worksheet.
    pub worksheet: Worksheet,
    /// Business-associate duties (when the role is business associate).
    pub business_associate: Option<BusinessAssociate>,
    /// The law-enforcement delay applied (when there is one).
    pub law_enforcement: Option<LawEnforcementDelay>,
    /// The HHS breach portal fields, pre-filled.
    pub portal: Portal,
    /// Where the covered entity's clock starts.
    pub clock: Clock,
    /// Every citation used, with what it says.
    pub citations: Vec<Citation>,
    /// What the privacy officer must still decide or supply.
    pub to_complete: Vec<ToComplete>,
    /// Inconsistencies in the facts (the determination is made anyway).
    pub problems: Vec<Problem>,
}

/// Where the covered entity's deadlines run from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Discovery by the party running the determination.
    pub discovered: Date,
    /// The covered entity's clock start (its discovery date).
    pub start: Date,
    /// Why this date.
    pub basis: String,
    /// True when the start is an assumption the officer must confirm.
    pub assumed: bool,
}

/// The safe-harbor (encryption) question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeHarbor {
    /// The question.
    pub question: String,
    /// "secured", "unsecured" or "unknown".
    pub answer: String,
    /// What the answer means here.
    pub consequence: String,
    /// Citations.
    pub citation: String,
}

/// How HHS is notified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HhsMode {
    /// With the individual notices (500 or more individuals).
    Contemporaneous,
    /// In the annual log submission (fewer than 500).
    AnnualLog,
}

/// Notice to the Secretary of HHS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hhs {
    /// Whether HHS must be notified.
    pub required: bool,
    /// The latest date (null when not required).
    pub deadline: Option<Date>,
    /// Contemporaneous or annual log (null when not required).
    pub mode: Option<HhsMode>,
    /// Individuals counted for the 500 threshold.
    pub individuals: u64,
    /// How.
    pub how: String,
    /// Citation.
    pub citation: String,
}

/// Individual notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualNotice {
    /// Whether required.
    pub required: bool,
    /// Latest date (after any law-enforcement delay).
    pub deadline: Option<Date>,
    /// Clock start + 60 days, before any delay.
    pub base_deadline: Option<Date>,
    /// Living individuals to notify directly.
    pub living: u64,
    /// How.
    pub method: String,
    /// The five required elements of 164.404(c).
    pub content_elements: Vec<String>,
    /// Citations.
    pub citation: String,
}

/// A State with more than 500 affected residents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaState {
    /// USPS code.
    pub state: String,
    /// Affected residents.
    pub residents: u64,
}

/// Media notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaNotice {
    /// Whether required (some State above 500).
    pub required: bool,
    /// The States.
    pub states: Vec<MediaState>,
    /// Latest date.
    pub deadline: Option<Date>,
    /// How.
    pub how: String,
    /// Citation.
    pub citation: String,
}

/// Kind of substitute notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubstituteKind {
    /// 10 or more: web posting 90 days or major media, toll-free number.
    WebOrMedia,
    /// Fewer than 10: alternative written notice, telephone or other means.
    Alternative,
}

/// Substitute notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubstituteNotice {
    /// Whether required.
    pub required: bool,
    /// Which kind (null when not required).
    pub kind: Option<SubstituteKind>,
    /// Living individuals without current contact details.
    pub count: u64,
    /// What to do.
    pub how: String,
    /// Days the web posting stays up and the toll-free number stays active.
    pub active_days: Option<u32>,
    /// Citation.
    pub citation: String,
}

/// Deceased individuals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deceased {
    /// Deceased individuals among those affected.
    pub count: u64,
    /// Of them, next of kin / personal representative without an address.
    pub next_of_kin_without_contact: u64,
    /// The rule.
    pub rule: String,
    /// Always false: substitute notice is not required for them.
    pub substitute_notice_required: bool,
    /// Citation.
    pub citation: String,
}

/// Consumer-reporting-agency notice under a State law.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CraNotice {
    /// Whether the threshold is met.
    pub required: bool,
    /// The threshold in words.
    pub threshold: String,
    /// What to do.
    pub text: String,
}

/// A further State deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherDeadline {
    /// What must be done.
    pub name: String,
    /// Citation.
    pub citation: String,
    /// To whom it applies.
    pub applies_to: String,
    /// Latest date, when computable.
    pub deadline: Option<Date>,
    /// The rule in words.
    pub text: String,
}

/// The notices one State's law asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateNotice {
    /// USPS code, or "unknown".
    pub state: String,
    /// Affected residents.
    pub residents: u64,
    /// The law's name.
    pub law: String,
    /// Its citation.
    pub citation: String,
    /// True when the engine's default rule was used (no table entry).
    pub default_rule: bool,
    /// Individual-notice deadline under the State law.
    pub individual_deadline: Option<Date>,
    /// That deadline in words.
    pub individual_deadline_text: String,
    /// The regulator to notify, if the law names one.
    pub regulator: Option<String>,
    /// Whether the regulator threshold is met.
    pub regulator_required: bool,
    /// The threshold in words.
    pub regulator_threshold: Option<String>,
    /// The regulator deadline (when required and computable).
    pub regulator_deadline: Option<Date>,
    /// That deadline in words.
    pub regulator_deadline_text: Option<String>,
    /// Consumer-reporting-agency notice, if the law has one.
    pub consumer_reporting_agencies: Option<CraNotice>,
    /// Whether HIPAA compliance is deemed compliance, and how far.
    pub hipaa_deemed_compliance: Option<String>,
    /// Further deadlines.
    pub other_deadlines: Vec<OtherDeadline>,
    /// Notes.
    pub notes: Vec<String>,
    /// Values to verify with counsel.
    pub verify: Vec<String>,
}

/// One factor of the risk assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    /// The factor.
    pub factor: String,
    /// Its citation.
    pub citation: String,
    /// What the evidence pre-fills.
    pub prefilled: Vec<String>,
    /// What the officer must complete.
    pub officer_fields: Vec<String>,
}

/// The assessment's conclusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conclusion {
    /// Low probability of compromise (null until the officer concludes).
    pub low_probability: Option<bool>,
    /// Who documented it.
    pub documented_by: Option<String>,
    /// When.
    pub date: Option<Date>,
    /// Notes.
    pub notes: Option<String>,
    /// "documented", "not documented" or "not needed (secured PHI)".
    pub status: String,
}

/// The four-factor worksheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worksheet {
    /// The incident summary from the evidence, when given.
    pub summary: Option<String>,
    /// The four factors.
    pub factors: Vec<Factor>,
    /// The conclusion.
    pub conclusion: Conclusion,
}

/// Business-associate duties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessAssociate {
    /// Latest date to notify the covered entity (after any delay).
    pub notify_ce_by: Date,
    /// Discovery + 60 days, before any delay.
    pub base_deadline: Date,
    /// Whether the BA is the covered entity's agent.
    pub agent_of_ce: bool,
    /// The covered entity's own clock.
    pub ce_clock: String,
    /// Its start date.
    pub ce_clock_start: Date,
    /// What the notice to the covered entity contains.
    pub content: Vec<String>,
    /// Citation.
    pub citation: String,
}

/// A deadline moved by the law-enforcement delay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tolled {
    /// Which notice.
    pub notice: String,
    /// Its deadline without the delay.
    pub deadline: Date,
    /// Its deadline with the delay.
    pub tolled: Date,
}

/// The law-enforcement delay applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LawEnforcementDelay {
    /// "written", "oral" or "oral_then_written".
    pub kind: String,
    /// Date of the (first) statement.
    pub stated: Date,
    /// End of the delay.
    pub delay_end: Date,
    /// Its length in days.
    pub delay_days: u32,
    /// How it was applied.
    pub interpretation: String,
    /// Deadlines it moved.
    pub affected: Vec<Tolled>,
    /// Citation.
    pub citation: String,
}

/// A category group of the HHS portal's "type of PHI".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhiType {
    /// Demographic, Financial, Clinical or Other.
    pub kind: String,
    /// The facts' categories mapped to it.
    pub categories: Vec<String>,
}

/// The HHS breach portal fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portal {
    /// Covered entity name.
    pub covered_entity: String,
    /// Covered entity type (officer completes unless known).
    pub entity_type: Option<String>,
    /// Whether a business associate was involved.
    pub business_associate_involved: bool,
    /// Breach start date.
    pub breach_start: Option<Date>,
    /// Breach end date.
    pub breach_end: Option<Date>,
    /// Discovery date (of the covered entity).
    pub discovery_date: Date,
    /// Approximate number of individuals affected.
    pub individuals_affected: u64,
    /// Type of breach.
    pub breach_type: Option<String>,
    /// Location of breached information.
    pub location: Vec<String>,
    /// Type of PHI involved.
    pub phi_types: Vec<PhiType>,
    /// Safeguards in place before the breach (officer completes).
    pub safeguards_in_place: Option<String>,
    /// Actions taken in response (officer completes).
    pub actions_taken: Option<String>,
    /// Individual notice deadline.
    pub individual_notice_deadline: Option<Date>,
    /// Whether substitute notice is required.
    pub substitute_notice_required: bool,
    /// Whether media notice is required.
    pub media_notice_required: bool,
    /// Fields the officer must complete before filing.
    pub officer_fields: Vec<String>,
}

/// Something the officer must still decide or supply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToComplete {
    /// What.
    pub item: String,
    /// Under which rule.
    pub cite: String,
}
