//! The ground-truth check of `phiwatch demo`: the generator's answer key
//! (`truth/truth.json`, its `scope`: the window, the attacker's actors,
//! the silos read and the patients reached) against what phiwatch found.
//!
//! Two comparisons: the truth's own window and actors scoped by phiwatch
//! over the run's data-access ledger (the scope engine's check), and the
//! scope of the incident the detectors assembled (the whole chain's check:
//! its individuals must be the truth's; its actors may reach more silos).

use std::collections::BTreeMap;
use std::path::Path;

use phiwatch_event::Timestamp;
use phiwatch_inventory::{Inventory, PatientTables};
use phiwatch_scope::{Actor, Actors, Ledger, Scope, ScopeBuilder, ScopeConfig};
use serde::Deserialize;

use crate::hunt_analytics::internal_networks;
use crate::CliError;

/// The part of `truth.json` the check reads.
#[derive(Debug, Deserialize)]
struct TruthFile {
    scope: Option<TruthScope>,
}

/// The breach's scope as the generator knows it.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TruthScope {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) actors: Vec<String>,
    pub(super) silos: Vec<TruthSilo>,
    pub(super) individuals: TruthIndividuals,
}

/// One silo the attacker read.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TruthSilo {
    pub(super) name: String,
    pub(super) patients: u64,
    pub(super) bulk: bool,
}

/// The patients reached.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TruthIndividuals {
    pub(super) total: u64,
    pub(super) by_state: BTreeMap<String, u64>,
    pub(super) deceased: u64,
    pub(super) without_contact: u64,
}

/// How a scope differs from the truth's; both lists empty: it matches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Differences {
    /// Silos read in one and not the other, or with other patients.
    pub(super) silos: Vec<String>,
    /// Individuals: total, per state, deceased, without contact.
    pub(super) individuals: Vec<String>,
}

impl Differences {
    pub(super) fn none(&self) -> bool {
        self.silos.is_empty() && self.individuals.is_empty()
    }

    /// Every difference, silos first.
    pub(super) fn all(&self) -> impl Iterator<Item = &String> {
        self.silos.iter().chain(&self.individuals)
    }
}

/// The check's outcome.
#[derive(Debug, Clone)]
pub(super) struct TruthCheck {
    /// The truth's scope (`None`: the scenario has no attack).
    pub(super) truth: Option<TruthScope>,
    /// Whether the detectors assembled an incident.
    pub(super) incident_found: bool,
    /// The truth's window and actors scoped by phiwatch, against the truth.
    pub(super) window: Option<Differences>,
    /// The incident's scope against the truth.
    pub(super) incident: Option<Differences>,
}

impl TruthCheck {
    /// An incident where the truth has an attack (none where it has none),
    /// the truth's window scoped exactly, and the incident's individuals
    /// the truth's.
    pub(super) fn matches(&self) -> bool {
        self.truth.is_some() == self.incident_found
            && self.window.as_ref().is_none_or(Differences::none)
            && self
                .incident
                .as_ref()
                .is_none_or(|d| d.individuals.is_empty())
    }
}

/// Reads the truth's scope from `truth.json`.
pub(super) fn read_truth(path: &Path) -> Result<Option<TruthScope>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    let file: TruthFile = serde_json::from_str(&text).map_err(|e| {
        CliError::Runtime(anyhow::anyhow!(
            "{}: not a ground-truth file: {e}",
            path.display()
        ))
    })?;
    Ok(file.scope)
}

/// The scope configuration of the truth's window and actors.
pub(super) fn truth_config(t: &TruthScope, path: &Path) -> Result<ScopeConfig, CliError> {
    let bad = |what: String| {
        CliError::Runtime(anyhow::anyhow!(
            "{}: scope: {what} (the generator wrote something phiwatch cannot read)",
            path.display()
        ))
    };
    let time = |s: &str| {
        Timestamp::parse_rfc3339(s.as_bytes()).ok_or_else(|| bad(format!("{s:?} is not a time")))
    };
    let actors = t
        .actors
        .iter()
        .map(|a| {
            a.parse::<Actor>()
                .map_err(|e| bad(format!("actor {a:?}: {e}")))
        })
        .collect::<Result<Vec<Actor>, CliError>>()?;
    Ok(ScopeConfig {
        from: time(&t.from)?,
        to: time(&t.to)?,
        actors: Actors(actors),
        ..ScopeConfig::default()
    })
}

/// What the check needs from the run.
pub(super) struct CheckInput<'a> {
    pub(super) truth_path: &'a Path,
    pub(super) ledger: &'a Ledger,
    pub(super) inv: &'a Inventory,
    pub(super) patients: &'a PatientTables,
    /// The incident's scope, when there is an incident.
    pub(super) incident: Option<&'a Scope>,
}

/// Runs the check.
pub(super) fn check(input: &CheckInput<'_>) -> Result<TruthCheck, CliError> {
    let truth = read_truth(input.truth_path)?;
    let window = match &truth {
        Some(t) => {
            let mut cfg = truth_config(t, input.truth_path)?;
            cfg.internal = internal_networks(input.inv);
            let mut b = ScopeBuilder::new(cfg, input.inv, input.patients);
            b.ledger(input.ledger);
            Some(differences(&b.finish().scope, t))
        }
        None => None,
    };
    let incident = match (&truth, input.incident) {
        (Some(t), Some(s)) => Some(differences(s, t)),
        _ => None,
    };
    Ok(TruthCheck {
        truth,
        incident_found: input.incident.is_some(),
        window,
        incident,
    })
}

/// How `scope` differs from the truth `t`.
pub(super) fn differences(scope: &Scope, t: &TruthScope) -> Differences {
    let mut d = Differences::default();
    let have: BTreeMap<&str, (u64, bool)> = scope
        .silos
        .iter()
        .map(|s| (s.name.as_str(), (s.patients, s.bulk)))
        .collect();
    let want: BTreeMap<&str, (u64, bool)> = t
        .silos
        .iter()
        .map(|s| (s.name.as_str(), (s.patients, s.bulk)))
        .collect();
    for (name, (p, bulk)) in &have {
        match want.get(name) {
            None => d.silos.push(format!(
                "silo {name}: {p} patients{}, not read in the truth",
                if *bulk { " (bulk)" } else { "" }
            )),
            Some((tp, _)) if tp != p => d
                .silos
                .push(format!("silo {name}: {p} patients, the truth {tp}")),
            Some((_, tb)) if tb != bulk => d.silos.push(format!(
                "silo {name}: {} here, {} in the truth",
                bulk_word(*bulk),
                bulk_word(*tb)
            )),
            Some(_) => {}
        }
    }
    for (name, (tp, _)) in &want {
        if !have.contains_key(name) {
            d.silos
                .push(format!("silo {name}: not reached, the truth {tp} patients"));
        }
    }
    individuals(&mut d.individuals, scope, &t.individuals);
    d
}

fn bulk_word(bulk: bool) -> &'static str {
    if bulk {
        "a bulk read"
    } else {
        "named patients"
    }
}

/// The individuals' differences: total, per state, deceased, without
/// contact details.
fn individuals(out: &mut Vec<String>, scope: &Scope, t: &TruthIndividuals) {
    let i = &scope.individuals;
    for (what, have, want) in [
        ("individuals", i.total, t.total),
        ("deceased", i.deceased, t.deceased),
        (
            "without contact details",
            i.without_contact,
            t.without_contact,
        ),
    ] {
        if have != want {
            out.push(format!("{what}: {have}, the truth {want}"));
        }
    }
    let states: std::collections::BTreeSet<&String> =
        i.by_state.keys().chain(t.by_state.keys()).collect();
    for s in states {
        let have = i.by_state.get(s).copied().unwrap_or(0);
        let want = t.by_state.get(s).copied().unwrap_or(0);
        if have != want {
            out.push(format!("state {s}: {have}, the truth {want}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use phiwatch_scope::report::{Individuals, SiloScope};

    use super::*;

    fn truth() -> TruthScope {
        serde_json::from_str::<TruthFile>(
            r#"{"scenario":"x","scope":{"from":"2026-11-02T19:00:02.000000Z",
            "to":"2026-11-03T15:59:55.000000Z","actors":["user:acme_support","ip:203.0.113.77"],
            "actor_choice":"-","method":"-",
            "silos":[{"name":"a","kind":"table","patients":10,"bulk":true,"accesses":1,"first":"-","last":"-"},
                     {"name":"b","kind":"api","patients":3,"bulk":false,"accesses":3,"first":"-","last":"-"}],
            "individuals":{"total":10,"by_state":{"MA":7,"NY":3},"deceased":1,"without_contact":2}}}"#,
        )
        .unwrap()
        .scope
        .unwrap()
    }

    fn silo(name: &str, patients: u64, bulk: bool) -> SiloScope {
        SiloScope {
            name: name.into(),
            patients,
            bulk,
            ..SiloScope::default()
        }
    }

    fn scope(silos: Vec<SiloScope>, by_state: &[(&str, u64)]) -> Scope {
        let by_state: BTreeMap<String, u64> =
            by_state.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        Scope {
            silos,
            individuals: Individuals {
                total: by_state.values().sum(),
                by_state,
                deceased: 1,
                without_contact: 2,
                deceased_without_contact: 0,
            },
            ..Scope::default()
        }
    }

    #[test]
    fn the_same_scope_matches() {
        let t = truth();
        let s = scope(
            vec![silo("b", 3, false), silo("a", 10, true)],
            &[("MA", 7), ("NY", 3)],
        );
        let d = differences(&s, &t);
        assert!(d.none(), "{d:?}");
        let cfg = truth_config(&t, Path::new("truth.json")).unwrap();
        assert_eq!(cfg.actors.0.len(), 2);
        assert!(cfg.from < cfg.to);
    }

    #[test]
    fn every_difference_is_listed() {
        let t = truth();
        let s = scope(
            vec![silo("a", 9, true), silo("c", 4, false)],
            &[("MA", 6), ("NY", 3), ("VT", 2)],
        );
        let d = differences(&s, &t);
        assert_eq!(
            d.silos,
            [
                "silo a: 9 patients, the truth 10",
                "silo c: 4 patients, not read in the truth",
                "silo b: not reached, the truth 3 patients",
            ]
        );
        assert_eq!(
            d.individuals,
            [
                "individuals: 11, the truth 10",
                "state MA: 6, the truth 7",
                "state VT: 2, the truth 0",
            ]
        );
        assert_eq!(d.all().count(), 6);
        let check = TruthCheck {
            truth: Some(t),
            incident_found: true,
            window: Some(Differences::default()),
            incident: Some(Differences {
                silos: d.silos.clone(),
                individuals: Vec::new(),
            }),
        };
        assert!(
            check.matches(),
            "extra silos of the incident are noted, not failed"
        );
        let check = TruthCheck {
            incident: Some(d),
            ..check
        };
        assert!(!check.matches());
    }

    #[test]
    fn no_attack_and_no_incident_match() {
        let check = TruthCheck {
            truth: None,
            incident_found: false,
            window: None,
            incident: None,
        };
        assert!(check.matches());
        let check = TruthCheck {
            incident_found: true,
            ..check
        };
        assert!(!check.matches());
    }

    #[test]
    fn a_bad_truth_file_names_the_file() {
        let t = TruthScope {
            from: "yesterday".into(),
            ..truth()
        };
        let Err(CliError::Runtime(e)) = truth_config(&t, Path::new("x/truth.json")) else {
            panic!("a bad time is a runtime error");
        };
        let e = e.to_string();
        assert!(e.contains("x/truth.json") && e.contains("yesterday"), "{e}");
    }
}
