//! `scope`'s HIPAA flags and the facts the determination starts from: the
//! scope's counts, the inventory's organization, and what the officer
//! says on the command line (or in a facts file).

use std::path::PathBuf;

use clap::Args;
use phiwatch_event::Timestamp;
use phiwatch_hipaa::{Date, Encryption, Evidence, Facts, LawEnforcement, Role};
use phiwatch_inventory::Inventory;
use phiwatch_scope::Scope;

use crate::CliError;

#[derive(Args, Debug, Default)]
pub struct HipaaArgs {
    /// Date the breach was discovered (YYYY-MM-DD; 45 CFR 164.404(a)(2));
    /// default: today (UTC), noted as assumed.
    #[arg(long, value_name = "DATE")]
    pub discovered: Option<String>,

    /// The covered entity's name (default: the inventory's `[entity] name`).
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,

    /// Who runs the determination: covered-entity, or business-associate
    /// (then --ba-agent and --ce-notified say how the covered entity's
    /// clock runs).
    #[arg(long, value_enum, default_value_t = RoleArg::CoveredEntity)]
    pub role: RoleArg,

    /// The business associate acts as the covered entity's agent: its
    /// discovery is the covered entity's.
    #[arg(long)]
    pub ba_agent: bool,

    /// When the business associate notified the covered entity (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub ce_notified: Option<String>,

    /// Whether the PHI was encrypted per HHS guidance (the safe harbor):
    /// unknown (presumed unsecured), secured, unsecured.
    #[arg(long, value_enum, default_value_t = EncryptionArg::Unknown)]
    pub encryption: EncryptionArg,

    /// A law-enforcement delay (164.412): `written:STATED:UNTIL` or
    /// `oral:STATED`, dates as YYYY-MM-DD.
    #[arg(long, value_name = "KIND:DATES")]
    pub law_enforcement: Option<String>,

    /// Facts as JSON (the fields of phiwatch_hipaa::Facts, docs/hipaa.md):
    /// a documented risk assessment, a law-enforcement delay, portal
    /// choices; fields given there replace the ones derived from the logs.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// The covered entity itself.
    #[default]
    CoveredEntity,
    /// A business associate of the covered entity.
    BusinessAssociate,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EncryptionArg {
    /// Not known yet: presumed unsecured.
    #[default]
    Unknown,
    /// Encrypted or destroyed per HHS guidance, key not compromised.
    Secured,
    /// Not secured.
    Unsecured,
}

fn date(flag: &str, s: &str) -> Result<Date, CliError> {
    Date::parse(s).map_err(|e| CliError::Usage(format!("{flag} {s}: {e}")))
}

fn date_of(t: Timestamp) -> Option<Date> {
    let c = t.civil();
    Date::new(c.year, c.month, c.day).ok()
}

/// The facts of the determination; `exfiltration_seen` says whether a
/// finding in scope had the exfiltration tactic.
pub fn facts(
    args: &HipaaArgs,
    scope: &Scope,
    inv: &Inventory,
    summary: Option<String>,
) -> Result<(Facts, bool), CliError> {
    let (discovered, assumed) = match &args.discovered {
        Some(d) => (date("--discovered", d)?, false),
        None => (
            date_of(Timestamp::now()).ok_or_else(|| {
                CliError::Runtime(anyhow::anyhow!("the clock gives no valid date"))
            })?,
            true,
        ),
    };
    let role = match args.role {
        RoleArg::CoveredEntity => Role::CoveredEntity,
        RoleArg::BusinessAssociate => Role::BusinessAssociate {
            agent_of_ce: args.ba_agent,
            ce_notified: match &args.ce_notified {
                Some(d) => Some(date("--ce-notified", d)?),
                None => None,
            },
        },
    };
    let law_enforcement = match &args.law_enforcement {
        None => None,
        Some(s) => Some(law_enforcement(s)?),
    };
    // What only the organization knows; the scope's counts, dates of
    // activity and evidence come from `facts_from_scope`.
    let base = Facts {
        covered_entity: args
            .entity
            .clone()
            .or_else(|| inv.name.clone())
            .unwrap_or_else(|| "[COVERED ENTITY]".into()),
        role,
        discovered,
        breach_start: None,
        breach_end: None,
        individuals: 0,
        by_state: Default::default(),
        deceased: 0,
        without_contact: 0,
        deceased_without_contact: scope.individuals.deceased_without_contact,
        categories: Vec::new(),
        encryption: match args.encryption {
            EncryptionArg::Unknown => Encryption::Unknown,
            EncryptionArg::Secured => Encryption::Secured,
            EncryptionArg::Unsecured => Encryption::Unsecured,
        },
        assessment: None,
        law_enforcement,
        evidence: Evidence {
            // A finding in scope with the exfiltration tactic counts too.
            exfiltration_seen: scope.attack.tactics.iter().any(|t| t.id == "TA0010"),
            summary: summary.clone(),
            ..Evidence::default()
        },
        breach_type: None,
        location: None,
    };
    let mut facts = phiwatch_report::facts_from_scope(scope, base);
    // The evidence summary is the incident's own, or none: the report
    // crate's one-sentence summary is not put in the worksheet here.
    facts.evidence.summary = summary;
    if let Some(path) = &args.facts {
        facts = overlay(facts, path)?;
    }
    Ok((facts, assumed))
}

/// `--law-enforcement written:STATED:UNTIL` or `oral:STATED`.
fn law_enforcement(s: &str) -> Result<LawEnforcement, CliError> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        ["written", stated, until] => Ok(LawEnforcement::Written {
            stated: date("--law-enforcement", stated)?,
            until: date("--law-enforcement", until)?,
        }),
        ["oral", stated] => Ok(LawEnforcement::Oral {
            stated: date("--law-enforcement", stated)?,
            written_until: None,
            written_received: None,
        }),
        _ => Err(CliError::Usage(format!(
            "--law-enforcement {s}: expected written:STATED:UNTIL or oral:STATED (dates YYYY-MM-DD)"
        ))),
    }
}

/// The facts with the fields of a JSON file replacing theirs.
fn overlay(facts: Facts, path: &PathBuf) -> Result<Facts, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--facts {}: {e}", path.display())))?;
    let extra: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("--facts {}: not JSON: {e}", path.display())))?;
    let serde_json::Value::Object(extra) = extra else {
        return Err(CliError::Usage(format!(
            "--facts {}: expected a JSON object",
            path.display()
        )));
    };
    let mut base = serde_json::to_value(&facts).map_err(|e| CliError::Runtime(e.into()))?;
    if let serde_json::Value::Object(m) = &mut base {
        for (k, v) in extra {
            m.insert(k, v);
        }
    }
    serde_json::from_value(base)
        .map_err(|e| CliError::Usage(format!("--facts {}: {e}", path.display())))
}
