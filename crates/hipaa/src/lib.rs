//! The HIPAA breach-notification determination (45 CFR 164.400-414) and
//! the State breach laws, as decision support for a privacy officer (not
//! legal advice).
//!
//! From the [`Facts`] of an incident (who discovered it and when, how many
//! individuals in which States, the PHI categories, encryption, a documented
//! risk assessment, a law-enforcement delay, what the logs showed),
//! [`determine`] decides whether a breach is presumed and computes every
//! notice with its deadline and citation: individuals (164.404), substitute
//! notice, deceased individuals, media (164.406), HHS (164.408),
//! business associate to covered entity (164.410), the law-enforcement
//! delay (164.412), the State laws of a data table (`data/states.toml`,
//! see [`StateTable`]), the four-factor worksheet, the HHS portal fields,
//! and what the officer must still complete. It is a pure function: no I/O,
//! no clock (every date comes from the facts).
//!
//! ```
//! use phiwatch_hipaa::{determine, Date, Facts, HhsMode};
//!
//! let facts: Facts = serde_json::from_str(r#"{
//!     "covered_entity": "Example Health",
//!     "discovered": "2026-11-20",
//!     "individuals": 48213,
//!     "by_state": {"CA": 30000, "TX": 18000, "unknown": 213},
//!     "categories": ["name", "ssn", "clinical"]
//! }"#).unwrap();
//! let d = determine(&facts);
//! assert!(d.breach_presumed);
//! assert_eq!(d.individual_deadline, Some(Date::new(2027, 1, 19).unwrap()));
//! assert_eq!(d.hhs.mode, Some(HhsMode::Contemporaneous));
//! assert_eq!(d.media_states, ["CA", "TX"]);
//! let tx = d.state_notices.iter().find(|s| s.state == "TX").unwrap();
//! assert!(tx.regulator_required); // at least 250 Texas residents
//! ```

mod cite;
mod date;
mod facts;
mod output;
mod rules;
mod state_notices;
mod states;
mod worksheet;

pub use cite::{text_of as citation_text, Citation};
pub use date::{is_leap_year, Date, DateError, Weekday};
pub use facts::{
    Assessment, Encryption, Evidence, Facts, LawEnforcement, Problem, Role, CATEGORIES,
    UNKNOWN_STATE,
};
pub use output::{
    BusinessAssociate, Clock, Conclusion, CraNotice, Deceased, Determination, Factor, Hhs, HhsMode,
    IndividualNotice, LawEnforcementDelay, MediaNotice, MediaState, OtherDeadline, PhiType, Portal,
    SafeHarbor, StateNotice, SubstituteKind, SubstituteNotice, ToComplete, Tolled, Worksheet,
};
pub use rules::{
    content_elements, HHS_THRESHOLD, MEDIA_THRESHOLD, NOTICE_DAYS, ORAL_DELAY_DAYS,
    SUBSTITUTE_THRESHOLD,
};
pub use states::{
    is_jurisdiction, Anchor, Basis, Cra, DeadlineRule, OtherRule, Regulator, StateLaw, StateTable,
    TableError, TableProblem, Threshold, BUILTIN_STATES, JURISDICTIONS,
};
pub use worksheet::phi_types;

use rules::{Ctx, Toller};
use state_notices::Anchors;
use worksheet::PortalNotices;

/// The determination with the built-in State table.
///
/// The built-in table is checked by the crate's tests; should it ever fail
/// to load, the determination is still made (every State then gets the
/// default rule) and the failure is listed in `problems`.
pub fn determine(facts: &Facts) -> Determination {
    match StateTable::builtin() {
        Ok(table) => determine_with(facts, &table),
        Err(e) => {
            let mut d = determine_with(facts, &StateTable::default());
            d.problems.push(Problem {
                field: "states.toml".to_string(),
                message: format!("the built-in State table did not load: {e}"),
            });
            d
        }
    }
}

/// The determination with a given State table.
pub fn determine_with(facts: &Facts, table: &StateTable) -> Determination {
    let mut ctx = Ctx::default();
    let problems = facts.check();
    let clock = rules::clock(facts, &mut ctx);
    let safe_harbor = rules::safe_harbor(facts, &mut ctx);
    let (breach_presumed, reason) = rules::presumption(facts, &mut ctx);
    let notify = breach_presumed && facts.individuals > 0;
    let mut toller = Toller::new(rules::delay(facts, &mut ctx));
    let start = clock.start;

    let individual_notice = rules::individual(facts, notify, start, &mut toller, &mut ctx);
    let media_notice = rules::media(facts, notify, start, &mut toller, &mut ctx);
    let hhs = rules::hhs(facts, notify, start, &mut toller, &mut ctx);
    let business_associate = if breach_presumed {
        rules::business_associate(facts, &clock, &mut toller, &mut ctx)
    } else {
        None
    };
    let law_enforcement = toller.finish(&mut ctx);
    let substitute_notice = rules::substitute(facts, notify, &mut ctx);
    let deceased = rules::deceased(facts, notify, &mut ctx);
    let anchors = Anchors {
        notify,
        secured: facts.encryption == Encryption::Secured,
        start,
        individual: individual_notice.deadline,
        hhs: hhs.deadline,
        total: facts.individuals,
    };
    let state_notices = state_notices::state_notices(facts, table, &anchors, &mut ctx);
    let worksheet = worksheet::worksheet(facts, &mut ctx);
    let portal_notices = PortalNotices {
        clock_start: start,
        individual: individual_notice.deadline,
        substitute: substitute_notice.required,
        media: media_notice.required,
        hhs_required: hhs.required,
    };
    let portal = worksheet::portal(facts, &portal_notices, &mut ctx);
    if !problems.is_empty() {
        ctx.todo(
            format!(
                "Resolve the {} problem(s) in the facts (see `problems`)",
                problems.len()
            ),
            "facts",
        );
    }
    Determination {
        breach_presumed,
        reason,
        safe_harbor,
        hhs,
        individual_deadline: individual_notice.deadline,
        individual_notice,
        media_states: media_notice
            .states
            .iter()
            .map(|s| s.state.clone())
            .collect(),
        media_notice,
        substitute_notice,
        deceased,
        state_notices,
        worksheet,
        business_associate,
        law_enforcement,
        portal,
        clock,
        citations: ctx.cites.into_vec(),
        to_complete: ctx.todo,
        problems,
    }
}
