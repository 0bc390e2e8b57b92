//! The ground truth of a breach's scope, computed from the activities the
//! generator wrote (never from the logs): which silos the attacker's
//! accounts and addresses read between the first and the last labeled
//! activity of the attack, and which patients those reads reached.
//!
//! The rules, which the scope engine implements from the logs:
//!
//! - The window is [`from`, `to`]: the second of the first labeled activity
//!   (rounded down) to the second of the last one (rounded up). An access is
//!   in it when the time its log records is: PostgreSQL and FHIR AuditEvent
//!   times are written to the millisecond, CloudTrail's to the second (both
//!   truncated), so an access is compared at that precision.
//! - An access is a successful read by a matching actor that touches a
//!   silo: a pgAudit `READ` (`SELECT`, `COPY … TO`) of a table silo's table
//!   (the audit's object, else the table the statement names); a FHIR
//!   interaction on an API silo's resource with a status below 400; an S3
//!   `GetObject` without error in a bucket silo's bucket under its prefix.
//!   The model has no file reads, so path silos are never read.
//! - A matching actor: the activity's account (database role, FHIR agent,
//!   AWS principal) is one of the actors' users, compared
//!   case-insensitively, or its client address is one of their addresses.
//! - A read names patients when it is a FHIR read or search with patients,
//!   or a statement whose `WHERE` compares a patient key to literal ids;
//!   any other read (`$export`, `SELECT` without such a `WHERE`, `COPY`,
//!   `GetObject`) is bulk and reaches every patient of the silo.
//! - Individuals: the union over silos of the patients reached, by
//!   `patient_id`, counted by state, deceased, and without contact details
//!   (no contact and not deceased). Every silo lists the same patients CSV.
//!
//! Activities must be observed in time order (as generation writes them);
//! apart from the silos' named patients, the tracker keeps only the reads
//! seen since the last labeled activity.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use phiwatch_event::Timestamp;
use serde::Serialize;

use super::sql;
use crate::model::{Activity, DbWhat, Kind, Org};
use crate::scenario::AttackActors;

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// How the scope truth was computed, written beside it.
const METHOD: &str = "reads by the actors (account case-insensitive, or client address) at \
the time their log records (PostgreSQL and FHIR AuditEvent: milliseconds; CloudTrail: seconds) \
within [from, to]: pgAudit READ of a table silo, FHIR status < 400 on an API silo's resource, \
S3 GetObject in a bucket silo; FHIR reads/searches and WHERE patient-key literals name \
patients, any other read is bulk (every patient of the silo's CSV)";

/// The scope of the breach, as the generator knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Start of the window (RFC 3339): the second of the first labeled
    /// activity, rounded down.
    pub from: String,
    /// End of the window, inclusive (RFC 3339): the second of the last
    /// labeled activity, rounded up.
    pub to: String,
    /// The attacker's accounts and addresses (`user:NAME`, `ip:ADDRESS`).
    pub actors: Vec<String>,
    /// Why these actors and not others.
    pub actor_choice: String,
    /// How accesses were counted.
    pub method: String,
    /// The silos read, by name.
    pub silos: Vec<ScopeSilo>,
    /// The patients reached, over all silos.
    pub individuals: Individuals,
}

/// One silo the attacker read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeSilo {
    /// Silo name of the inventory.
    pub name: String,
    /// `table`, `bucket`, `path` or `api`.
    pub kind: String,
    /// Patients reached in this silo.
    pub patients: u64,
    /// Whether any read was bulk (then every patient of its CSV).
    pub bulk: bool,
    /// Reads counted.
    pub accesses: u64,
    /// First read (RFC 3339, as its log records it).
    pub first: String,
    /// Last read.
    pub last: String,
}

/// The patients reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Individuals {
    /// Distinct patients.
    pub total: u64,
    /// Patients per state of residence.
    pub by_state: BTreeMap<String, u64>,
    /// Deceased patients.
    pub deceased: u64,
    /// Living patients without current contact details.
    pub without_contact: u64,
    /// Patient ids named by reads but absent from the patients CSV (never,
    /// for generated data; not counted in `total`).
    #[serde(skip_serializing_if = "is_zero")]
    pub unlisted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What identifies a silo's data in an activity.
#[derive(Debug, Clone)]
enum SiloMatch {
    Table {
        db: String,
        table: String,
    },
    Bucket {
        bucket: String,
        prefix: String,
    },
    Api {
        resource: String,
    },
    /// Path silos (and unknown kinds): no activity reads them.
    None,
}

/// One read: the silo, the time its log records, the patients it names
/// (`None`: bulk).
#[derive(Debug, Clone)]
struct Access {
    silo: usize,
    at: i64,
    patients: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
struct SiloAcc {
    accesses: u64,
    bulk: bool,
    named: BTreeSet<String>,
    first: Option<i64>,
    last: Option<i64>,
}

/// Accumulates the scope truth from a time-ordered stream of activities.
#[derive(Debug, Clone)]
pub struct ScopeTracker {
    actors: AttackActors,
    silos: Vec<(String, String, SiloMatch)>,
    acc: Vec<SiloAcc>,
    /// Reads not yet known to be inside the window: before the first
    /// labeled activity, those of its second; after it, those since the
    /// last labeled activity.
    held: Vec<Access>,
    first: Option<i64>,
    last: Option<i64>,
    /// The second up to which `held` was pruned before the window opened.
    pruned: i64,
}

impl ScopeTracker {
    /// A tracker for `actors` over the silos of `org`.
    pub fn new(org: &Org, actors: AttackActors) -> ScopeTracker {
        let silos: Vec<_> = org
            .silos
            .iter()
            .map(|s| {
                let get = |k: &str| {
                    s.matcher
                        .iter()
                        .find(|(key, _)| *key == k)
                        .map(|(_, v)| v.clone())
                };
                let m = match s.kind {
                    "table" => get("db")
                        .zip(get("table"))
                        .map(|(db, table)| SiloMatch::Table { db, table }),
                    "bucket" => get("bucket").map(|bucket| SiloMatch::Bucket {
                        bucket,
                        prefix: get("prefix").unwrap_or_default(),
                    }),
                    "api" => get("resource").map(|resource| SiloMatch::Api { resource }),
                    _ => None,
                };
                (
                    s.name.clone(),
                    s.kind.to_string(),
                    m.unwrap_or(SiloMatch::None),
                )
            })
            .collect();
        ScopeTracker {
            actors,
            acc: vec![SiloAcc::default(); silos.len()],
            silos,
            held: Vec::new(),
            first: None,
            last: None,
            pruned: i64::MIN,
        }
    }

    /// Notes one activity (labeled or not), in time order.
    pub fn observe(&mut self, a: &Activity) {
        let t = a.time.as_nanos();
        if self.first.is_none() {
            let floor = t.div_euclid(SEC) * SEC;
            if floor > self.pruned {
                self.held.retain(|x| x.at >= floor);
                self.pruned = floor;
            }
        }
        if let Some(x) = self.access(a) {
            self.held.push(x);
        }
        if a.step.is_some() {
            self.labeled(t);
        }
    }

    /// A labeled activity at `t`: every held read is now inside the window
    /// (from the first's second on).
    fn labeled(&mut self, t: i64) {
        let from = match self.first {
            Some(f) => f.div_euclid(SEC) * SEC,
            None => {
                self.first = Some(t);
                t.div_euclid(SEC) * SEC
            }
        };
        for x in std::mem::take(&mut self.held) {
            if x.at >= from {
                self.commit(x);
            }
        }
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    fn commit(&mut self, x: Access) {
        let Some(s) = self.acc.get_mut(x.silo) else {
            return;
        };
        s.accesses += 1;
        s.first = Some(s.first.map_or(x.at, |f| f.min(x.at)));
        s.last = Some(s.last.map_or(x.at, |l| l.max(x.at)));
        match x.patients {
            None => {
                s.bulk = true;
                s.named.clear();
            }
            Some(ids) if !s.bulk => s.named.extend(ids),
            Some(_) => {}
        }
    }

    fn is_actor(&self, user: &str, ip: Ipv4Addr) -> bool {
        self.actors.ips.contains(&ip)
            || self.actors.users.iter().any(|u| {
                u.eq_ignore_ascii_case(user)
                    || (!(u.is_ascii() && user.is_ascii())
                        && u.to_lowercase() == user.to_lowercase())
            })
    }

    /// The silo read by `a`, if `a` is a successful read of one by an actor.
    fn access(&self, a: &Activity) -> Option<Access> {
        let t = a.time.as_nanos();
        let ms = t.div_euclid(MS) * MS;
        match &a.kind {
            Kind::Db(d) => {
                let DbWhat::Audit {
                    class,
                    command,
                    object,
                    statement,
                    ..
                } = &d.what
                else {
                    return None;
                };
                let read = class.eq_ignore_ascii_case("READ")
                    && (command.eq_ignore_ascii_case("SELECT")
                        || command.eq_ignore_ascii_case("COPY"));
                if !read || !self.is_actor(&d.user, d.client.0) {
                    return None;
                }
                let named = if object.is_empty() {
                    sql::named_table(statement)?
                } else {
                    object.to_ascii_lowercase()
                };
                let table = named.rsplit('.').next().unwrap_or(&named);
                let silo = self.silos.iter().position(|(_, _, m)| {
                    matches!(m, SiloMatch::Table { db, table: t }
                        if db.eq_ignore_ascii_case(&d.database) && t.eq_ignore_ascii_case(table))
                })?;
                Some(Access {
                    silo,
                    at: ms,
                    patients: sql::where_patients(statement),
                })
            }
            Kind::Fhir(f) => {
                if f.status >= 400 || !self.is_actor(&f.agent, f.client) {
                    return None;
                }
                let silo = self.silos.iter().position(
                    |(_, _, m)| matches!(m, SiloMatch::Api { resource } if resource == f.resource),
                )?;
                let bulk = f.interaction.starts_with('$') || f.patients.is_empty();
                Some(Access {
                    silo,
                    at: ms,
                    patients: (!bulk).then(|| f.patients.clone()),
                })
            }
            Kind::Aws(w) => {
                let get = w.source == "s3.amazonaws.com" && w.name == "GetObject";
                if !get || w.error.is_some() || !self.is_actor(&w.principal, w.ip) {
                    return None;
                }
                let (b, key) = w.object.as_ref()?;
                let silo = self.silos.iter().position(|(_, _, m)| {
                    matches!(m, SiloMatch::Bucket { bucket, prefix }
                        if bucket == b && key.starts_with(prefix.as_str()))
                })?;
                Some(Access {
                    silo,
                    at: t.div_euclid(SEC) * SEC,
                    patients: None,
                })
            }
            Kind::Conn(_) | Kind::Dns(_) | Kind::Okta(_) => None,
        }
    }

    /// The scope, once every activity was observed (`None` when no labeled
    /// activity was).
    pub fn finish(mut self, org: &Org) -> Option<Scope> {
        let (first, last) = (self.first?, self.last?);
        let from = first.div_euclid(SEC) * SEC;
        let to = last.div_euclid(SEC) * SEC + if last.rem_euclid(SEC) > 0 { SEC } else { 0 };
        for x in std::mem::take(&mut self.held) {
            if x.at <= to {
                self.commit(x);
            }
        }
        let (silos, individuals) = self.count(org);
        Some(Scope {
            from: Timestamp::from_nanos(from).to_rfc3339(),
            to: Timestamp::from_nanos(to).to_rfc3339(),
            actors: self.actors.cli(),
            actor_choice: self.actors.choice.to_string(),
            method: METHOD.to_string(),
            silos,
            individuals,
        })
    }

    /// The silos read and the patients reached, against the patients CSV.
    fn count(&self, org: &Org) -> (Vec<ScopeSilo>, Individuals) {
        let any_bulk = self.acc.iter().any(|s| s.bulk);
        let named: Vec<usize> = (0..self.acc.len())
            .filter(|&i| self.acc.get(i).is_some_and(|s| !s.named.is_empty()))
            .collect();
        let mut per_silo = vec![0u64; self.acc.len()];
        let mut ind = Individuals::default();
        let mut listed_named = BTreeSet::new();
        for p in &org.patients {
            let mut reached = any_bulk;
            for &i in &named {
                if self.acc.get(i).is_some_and(|s| s.named.contains(&p.id)) {
                    reached = true;
                    listed_named.insert(p.id.as_str());
                    if let Some(n) = per_silo.get_mut(i) {
                        *n += 1;
                    }
                }
            }
            if reached {
                ind.total += 1;
                *ind.by_state.entry(p.state.to_string()).or_insert(0) += 1;
                ind.deceased += u64::from(p.deceased);
                ind.without_contact += u64::from(!p.contact && !p.deceased);
            }
        }
        let all_named: BTreeSet<&str> = self
            .acc
            .iter()
            .flat_map(|s| s.named.iter().map(String::as_str))
            .collect();
        ind.unlisted = all_named.difference(&listed_named).count() as u64;
        let np = org.patients.len() as u64;
        let mut silos: Vec<ScopeSilo> = self
            .acc
            .iter()
            .zip(&self.silos)
            .zip(per_silo)
            .filter(|((s, _), _)| s.accesses > 0)
            .map(|((s, (name, kind, _)), n)| ScopeSilo {
                name: name.clone(),
                kind: kind.clone(),
                patients: if s.bulk { np } else { n },
                bulk: s.bulk,
                accesses: s.accesses,
                first: Timestamp::from_nanos(s.first.unwrap_or(0)).to_rfc3339(),
                last: Timestamp::from_nanos(s.last.unwrap_or(0)).to_rfc3339(),
            })
            .collect();
        silos.sort_by(|a, b| a.name.cmp(&b.name));
        (silos, ind)
    }
}

#[cfg(test)]
mod tests;
