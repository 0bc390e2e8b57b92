//! Building a [`Scope`]: events (or ledger entries and findings from a
//! store) in, the report out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use phiwatch_analytics::net::{default_internal, in_any, Cidr};
use phiwatch_event::{Event, Timestamp};
use phiwatch_finding::{Finding, Tactic, Technique};
use phiwatch_inventory::{Inventory, Patient, PatientTables};

use crate::access::{Access, Reach};
use crate::actor::{Actors, Who};
use crate::ledger::{note_hour, Flow, Ledger};
use crate::report::{
    AttackChain, DataGap, Destination, Exfiltration, Individuals, Ioc, Scope, SiloScope,
    TimelineEntry, Totals, Window,
};

/// What to scope.
#[derive(Clone, Debug, Default)]
pub struct ScopeConfig {
    /// Start of the window (inclusive).
    pub from: Timestamp,
    /// End of the window (inclusive).
    pub to: Timestamp,
    /// The actors; none: everyone.
    pub actors: Actors,
    /// The incident, when scoped by id: its findings are in scope whoever
    /// they name.
    pub incident: Option<String>,
    /// The incident's member findings.
    pub members: BTreeSet<String>,
    /// Networks inside the organization (default: the non-Internet
    /// ranges).
    pub internal: Vec<Cidr>,
}

/// Accesses further apart than this start a new timeline line.
const MERGE_GAP_NS: i64 = 15 * 60 * 1_000_000_000;
/// Named records missing from a silo's list, kept per silo.
const UNLISTED_CAP: usize = 100_000;
const HOUR_NS: i64 = 3_600 * 1_000_000_000;

#[derive(Default)]
struct SiloAcc {
    patients: Vec<bool>,
    in_scope: u64,
    bulk: bool,
    unlisted: BTreeSet<String>,
    accesses: u64,
    unresolved: u64,
    filtered: u64,
    rows: u64,
    bytes: u64,
    actors: BTreeSet<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    evidence: Vec<String>,
}

#[derive(Default)]
struct DestAcc {
    names: BTreeSet<String>,
    bytes: u64,
    connections: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

/// The result: the report and the affected individuals (PHI: written only
/// when the user asks).
#[derive(Clone, Debug, Default)]
pub struct ScopeResult {
    /// The report.
    pub scope: Scope,
    /// The affected individuals, by id.
    pub affected: Vec<Patient>,
}

/// Collects a scope.
pub struct ScopeBuilder<'i> {
    cfg: ScopeConfig,
    inv: &'i Inventory,
    patients: &'i PatientTables,
    silos: Vec<SiloAcc>,
    dests: HashMap<IpAddr, DestAcc>,
    /// Hourly flows counted whole though part of them is outside the
    /// window.
    straddling: u64,
    own: Ledger,
    timeline: Vec<TimelineEntry>,
    tactics: Vec<Tactic>,
    techniques: Vec<Technique>,
    iocs: BTreeSet<Ioc>,
    coverage: BTreeMap<String, BTreeSet<i64>>,
    totals: Totals,
}

impl<'i> ScopeBuilder<'i> {
    /// A builder over the inventory's silos and patient lists.
    pub fn new(mut cfg: ScopeConfig, inv: &'i Inventory, patients: &'i PatientTables) -> Self {
        if cfg.internal.is_empty() {
            cfg.internal = default_internal();
        }
        let silos = (0..inv.silos.len())
            .map(|i| SiloAcc {
                patients: vec![false; patients.of(i).map_or(0, |p| p.len())],
                ..SiloAcc::default()
            })
            .collect();
        let internal = cfg.internal.clone();
        ScopeBuilder {
            cfg,
            inv,
            patients,
            silos,
            dests: HashMap::new(),
            straddling: 0,
            own: Ledger::new(internal),
            timeline: Vec::new(),
            tactics: Vec::new(),
            techniques: Vec::new(),
            iocs: BTreeSet::new(),
            coverage: BTreeMap::new(),
            totals: Totals::default(),
        }
    }

    fn in_window(&self, t: Timestamp) -> bool {
        t >= self.cfg.from && t <= self.cfg.to
    }

    /// Notes that a kind of log had a record at `t` (for the data gaps).
    pub fn covered(&mut self, kind: &str, t: Timestamp) {
        // The hour of `t` counts when it overlaps the window: a store or a
        // ledger gives hours by their start.
        let hour = t.as_nanos().div_euclid(HOUR_NS);
        let start = hour.saturating_mul(HOUR_NS);
        let end = start.saturating_add(HOUR_NS - 1);
        if end >= self.cfg.from.as_nanos() && start <= self.cfg.to.as_nanos() {
            note_hour(&mut self.coverage, kind, hour);
        }
    }

    /// Looks at one event (any order); `source` gives its `path:line`.
    pub fn observe(&mut self, ev: &Event, source: impl Fn() -> String) {
        self.totals.events += 1;
        let t = ev.time();
        if !self.in_window(t) {
            return;
        }
        self.totals.in_window += 1;
        let before = self.own.accesses.len();
        self.own.observe(ev, self.inv, source);
        let new: Vec<Access> = self.own.accesses.drain(before..).collect();
        for a in &new {
            self.access(a);
        }
    }

    /// Takes a ledger: its accesses, flows and coverage.
    pub fn ledger(&mut self, l: &Ledger) {
        for a in &l.accesses {
            self.access(a);
        }
        for f in l.flows() {
            self.flow(&f);
        }
        for (kind, hours) in &l.coverage {
            for h in hours {
                self.covered(kind, Timestamp::from_nanos(h.saturating_mul(HOUR_NS)));
            }
        }
    }

    /// Takes one hourly flow from inside to outside: counted when it
    /// overlaps the window and its inside address or host is an actor.
    pub fn flow(&mut self, f: &Flow) {
        if f.last < self.cfg.from || f.first > self.cfg.to {
            return;
        }
        let who = Who {
            users: [None, None],
            ips: [f.src, None],
            hosts: [f.host.as_deref(), None],
        };
        if !self.cfg.actors.matches(&who) {
            return;
        }
        let Some(dst) = f.dst else {
            return;
        };
        if f.first < self.cfg.from || f.last > self.cfg.to {
            self.straddling += 1;
        }
        let d = self.dests.entry(dst).or_default();
        d.bytes += f.bytes;
        d.connections += f.connections;
        d.first = Some(d.first.map_or(f.first, |x| x.min(f.first)));
        d.last = Some(d.last.map_or(f.last, |x| x.max(f.last)));
        d.names.extend(f.names.iter().cloned());
    }

    /// Takes one ledger entry (from `observe` or a store).
    pub fn access(&mut self, a: &Access) {
        if !self.in_window(a.time) {
            return;
        }
        self.totals.accesses += 1;
        let who = Who {
            users: [a.user.as_deref(), None],
            ips: [a.ip, None],
            hosts: [a.host.as_deref(), None],
        };
        if !self.cfg.actors.matches(&who) {
            return;
        }
        let Some(i) = self.inv.silos.iter().position(|s| s.name == a.silo) else {
            return;
        };
        self.totals.accesses_in_scope += 1;
        let table = self.patients.of(i);
        let Some(s) = self.silos.get_mut(i) else {
            return;
        };
        s.accesses += 1;
        s.rows += a.rows.unwrap_or(0);
        s.bytes += a.bytes.unwrap_or(0);
        let actor = actor_label(a);
        s.actors.insert(actor.clone());
        s.first = Some(s.first.map_or(a.time, |f| f.min(a.time)));
        s.last = Some(s.last.map_or(a.time, |l| l.max(a.time)));
        if s.evidence.len() < 2 {
            s.evidence.push(a.source.clone());
        } else if let Some(last) = s.evidence.last_mut() {
            last.clone_from(&a.source);
        }
        s.filtered += u64::from(a.filtered);
        match a.reach {
            Reach::Bulk => s.bulk = true,
            Reach::Unresolved => {
                s.unresolved += 1;
                self.totals.unresolved += 1;
            }
            Reach::Records => {
                for id in &a.records {
                    match table.and_then(|t| t.position(id)) {
                        Some(p) => {
                            if let Some(slot) = s.patients.get_mut(p as usize) {
                                if !*slot {
                                    *slot = true;
                                    s.in_scope += 1;
                                }
                            }
                        }
                        None if s.unlisted.len() < UNLISTED_CAP => {
                            s.unlisted.insert(id.clone());
                        }
                        None => {}
                    }
                }
            }
        }
        self.note_access(a, actor);
    }

    /// Merges an access into the timeline: one line per run of accesses
    /// of one actor to one silo with one action.
    fn note_access(&mut self, a: &Access, actor: String) {
        let reach = match a.reach {
            Reach::Bulk => "bulk",
            Reach::Records => "records",
            Reach::Unresolved => "unresolved",
        };
        let title = format!("{} on {} ({reach})", a.action, a.silo);
        if let Some(e) = self.timeline.iter_mut().rev().take(64).find(|e| {
            e.kind == "access"
                && e.silo.as_deref() == Some(a.silo.as_str())
                && e.actor.as_deref() == Some(actor.as_str())
                && e.title == title
                && a.time.as_nanos().abs_diff(e.end_time.as_nanos()) <= MERGE_GAP_NS as u64
        }) {
            e.count += 1;
            e.time = e.time.min(a.time);
            e.end_time = e.end_time.max(a.time);
            if e.evidence.len() < 2 {
                e.evidence.push(a.source.clone());
            } else if let Some(last) = e.evidence.last_mut() {
                last.clone_from(&a.source);
            }
            return;
        }
        self.timeline.push(TimelineEntry {
            time: a.time,
            end_time: a.time,
            kind: "access".into(),
            title,
            actor: Some(actor),
            silo: Some(a.silo.clone()),
            count: 1,
            evidence: vec![a.source.clone()],
            ..TimelineEntry::default()
        });
    }

    /// Takes a finding: in scope when it overlaps the window and names an
    /// actor (or belongs to the incident scoped).
    pub fn finding(&mut self, f: &Finding) {
        self.totals.findings += 1;
        if f.end_time < self.cfg.from || f.time > self.cfg.to {
            return;
        }
        let ip = f
            .entity
            .ip
            .as_deref()
            .and_then(|s| s.parse::<IpAddr>().ok());
        let member =
            self.cfg.incident.as_deref() == Some(f.id.as_str()) || self.cfg.members.contains(&f.id);
        let who = Who {
            users: [f.entity.user.as_deref(), None],
            ips: [ip, None],
            hosts: [f.entity.host.as_deref(), None],
        };
        // No actors: everyone's findings in the window.
        if !member && !self.cfg.actors.matches(&who) {
            return;
        }
        self.totals.findings_in_scope += 1;
        for t in &f.attack.tactics {
            if !self.tactics.iter().any(|x| x.id == t.id) {
                self.tactics.push(t.clone());
            }
        }
        for t in &f.attack.techniques {
            if !self.techniques.iter().any(|x| x.id == t.id) {
                self.techniques.push(t.clone());
            }
        }
        if let Some(ip) = ip {
            if !in_any(&self.cfg.internal, ip) {
                self.iocs.insert(Ioc {
                    kind: if ip.is_ipv4() { "ipv4" } else { "ipv6" }.into(),
                    value: ip.to_string(),
                    context: f.rule.title.clone(),
                });
            }
        }
        let actor = f
            .entity
            .user
            .clone()
            .or_else(|| f.entity.ip.clone())
            .or_else(|| f.entity.host.clone());
        let evidence: Vec<String> = match (f.evidence.first(), f.evidence.last()) {
            (Some(a), Some(b)) if a.source != b.source => vec![a.source.clone(), b.source.clone()],
            (Some(a), _) => vec![a.source.clone()],
            _ => Vec::new(),
        };
        self.timeline.push(TimelineEntry {
            time: f.time,
            end_time: f.end_time,
            kind: f.detector.as_str().to_string(),
            title: f.rule.title.clone(),
            actor,
            silo: None,
            level: Some(f.rule.level.as_str().to_string()),
            finding: Some(f.id.clone()),
            tactics: f.attack.tactics.iter().map(|t| t.id.clone()).collect(),
            count: 1,
            evidence,
        });
    }

    /// The report, and the affected individuals.
    pub fn finish(mut self) -> ScopeResult {
        let own = std::mem::replace(&mut self.own, Ledger::new(Vec::new()));
        for f in own.flows() {
            self.flow(&f);
        }
        for (kind, hours) in &own.coverage {
            for h in hours {
                self.covered(kind, Timestamp::from_nanos(h.saturating_mul(HOUR_NS)));
            }
        }
        let mut review = Vec::new();
        let mut silos = Vec::new();
        let mut affected: BTreeMap<&str, &Patient> = BTreeMap::new();
        let mut categories: BTreeSet<String> = BTreeSet::new();
        for (i, s) in self.silos.iter().enumerate() {
            if s.accesses == 0 {
                continue;
            }
            let Some(silo) = self.inv.silos.get(i) else {
                continue;
            };
            let table = self.patients.of(i);
            let mut patients = 0u64;
            if let Some(t) = table {
                for (p, hit) in t.list.iter().zip(&s.patients) {
                    if s.bulk || *hit {
                        patients += 1;
                        affected.insert(p.id.as_str(), p);
                    }
                }
            } else {
                review.push(format!(
                    "silo {} has no patients list in the inventory: its patients are not counted",
                    silo.name
                ));
            }
            if s.unresolved > 0 {
                review.push(format!(
                    "silo {}: {} accesses by the actors name no patients (API searches whose results were not logged); they are not counted",
                    silo.name, s.unresolved
                ));
            }
            if s.filtered > 0 {
                review.push(format!(
                    "silo {}: {} reads by the actors were filtered on something the logs cannot tie to patients (e.g. a status); the whole silo is counted, as HIPAA presumes the worst the logs allow: narrow it with the database if you can",
                    silo.name, s.filtered
                ));
            }
            if !s.unlisted.is_empty() {
                review.push(format!(
                    "silo {}: {} record ids accessed are not in its patients list",
                    silo.name,
                    s.unlisted.len()
                ));
            }
            categories.extend(silo.categories.iter().cloned());
            silos.push(SiloScope {
                name: silo.name.clone(),
                kind: silo.kind.as_str().to_string(),
                categories: silo.categories.clone(),
                records_accessed: patients + s.unlisted.len() as u64,
                patients,
                bulk: s.bulk,
                accesses: s.accesses,
                unresolved: s.unresolved,
                rows: s.rows,
                bytes: s.bytes,
                actors: s.actors.iter().cloned().collect(),
                first: s.first,
                last: s.last,
                evidence: s.evidence.clone(),
            });
        }
        if self.straddling > 0 {
            review.push(format!(
                "{} hourly flows out straddle the window's edges: their bytes are counted whole (the store keeps flows by the hour)",
                self.straddling
            ));
        }
        let mut individuals = Individuals::default();
        for p in affected.values() {
            individuals.total += 1;
            *individuals.by_state.entry(p.state.clone()).or_insert(0) += 1;
            if p.deceased {
                individuals.deceased += 1;
                individuals.deceased_without_contact += u64::from(!p.contact);
            } else if !p.contact {
                individuals.without_contact += 1;
            }
        }
        let exfiltration = self.exfiltration();
        let data_gaps = self.gaps();
        let mut timeline = std::mem::take(&mut self.timeline);
        for d in &exfiltration.destinations {
            timeline.push(TimelineEntry {
                time: d.first.unwrap_or_default(),
                end_time: d.last.unwrap_or_default(),
                kind: "egress".into(),
                title: format!(
                    "{} bytes in {} connections to {}{}",
                    d.bytes,
                    d.connections,
                    d.address,
                    if d.names.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", d.names.join(", "))
                    }
                ),
                count: d.connections,
                ..TimelineEntry::default()
            });
        }
        timeline.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.kind.cmp(&b.kind)));
        let mut iocs = std::mem::take(&mut self.iocs);
        for d in &exfiltration.destinations {
            let kind = if d.address.contains(':') {
                "ipv6"
            } else {
                "ipv4"
            };
            iocs.insert(Ioc {
                kind: kind.into(),
                value: d.address.clone(),
                context: "destination of data sent by the actors".into(),
            });
            for n in &d.names {
                iocs.insert(Ioc {
                    kind: "domain".into(),
                    value: n.clone(),
                    context: "name of a destination of data sent by the actors".into(),
                });
            }
        }
        let mut tactics = std::mem::take(&mut self.tactics);
        tactics.sort_by_key(|t| {
            phiwatch_finding::tactics()
                .iter()
                .position(|x| x.id == t.id)
                .unwrap_or(usize::MAX)
        });
        let scope = Scope {
            window: Window {
                from: self.cfg.from,
                to: self.cfg.to,
            },
            actors: self.cfg.actors.names(),
            incident: self.cfg.incident.clone(),
            silos,
            individuals,
            categories: categories.into_iter().collect(),
            exfiltration,
            timeline,
            attack: AttackChain {
                tactics,
                techniques: {
                    let mut t = std::mem::take(&mut self.techniques);
                    t.sort_by(|a, b| a.id.cmp(&b.id));
                    t
                },
            },
            iocs: iocs.into_iter().collect(),
            data_gaps,
            totals: self.totals.clone(),
            review,
        };
        ScopeResult {
            scope,
            affected: affected.into_values().cloned().collect(),
        }
    }

    fn exfiltration(&mut self) -> Exfiltration {
        let mut destinations: Vec<Destination> = self
            .dests
            .iter()
            .map(|(ip, d)| Destination {
                address: ip.to_string(),
                names: d.names.iter().cloned().collect(),
                bytes: d.bytes,
                connections: d.connections,
                first: d.first,
                last: d.last,
            })
            .collect();
        destinations.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.address.cmp(&b.address))
        });
        Exfiltration {
            bytes: destinations.iter().map(|d| d.bytes).sum(),
            destinations,
        }
    }

    /// Per kind of log, the runs of hours of the window without a record.
    fn gaps(&self) -> Vec<DataGap> {
        let first = self.cfg.from.as_nanos().div_euclid(HOUR_NS);
        let last = self.cfg.to.as_nanos().div_euclid(HOUR_NS);
        let mut out = Vec::new();
        for (kind, hours) in &self.coverage {
            let mut start: Option<i64> = None;
            for h in first..=last.max(first) {
                let silent = !hours.contains(&h);
                match (silent, start) {
                    (true, None) => start = Some(h),
                    (false, Some(s)) => {
                        out.push(gap(kind, s, h));
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                out.push(gap(kind, s, last + 1));
            }
        }
        out
    }
}

fn gap(kind: &str, from_hour: i64, to_hour: i64) -> DataGap {
    DataGap {
        source: kind.to_string(),
        from: Timestamp::from_nanos(from_hour.saturating_mul(HOUR_NS)),
        to: Timestamp::from_nanos(to_hour.saturating_mul(HOUR_NS)),
        hours: u64::try_from(to_hour - from_hour).unwrap_or(0),
    }
}

fn actor_label(a: &Access) -> String {
    match (&a.user, a.ip) {
        (Some(u), _) => format!("user:{u}"),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => a
            .host
            .as_ref()
            .map_or_else(|| "unknown".into(), |h| format!("host:{h}")),
    }
}

impl ScopeConfig {
    /// The scope of an incident finding: from its first finding to the
    /// end of the data examined (`data_end`; what the actors reached after
    /// the last finding counts until containment, which the caller sets
    /// with its own end), the actors of its actor keys (`user:`, `ip:`,
    /// `net:`, `host:`; vendors are named by their accounts; an outage's
    /// service is not an actor), or of all its entity keys when it lists no
    /// actors, and its member findings.
    pub fn from_incident(f: &Finding, data_end: Option<Timestamp>) -> ScopeConfig {
        let mut actors = Vec::new();
        let keys = f
            .group
            .get("actors")
            .or_else(|| f.group.get("entities"))
            .map(String::as_str)
            .unwrap_or("");
        for key in keys.split(", ") {
            let Some((kind, value)) = key.split_once(':') else {
                continue;
            };
            let actor = match kind {
                "user" | "ip" | "host" => key.parse().ok(),
                "net" => format!("ip:{value}").parse().ok(),
                _ => None,
            };
            if let Some(a) = actor {
                if !actors.contains(&a) {
                    actors.push(a);
                }
            }
        }
        ScopeConfig {
            from: f.time,
            to: data_end.map_or(f.end_time, |e| e.max(f.end_time)),
            actors: Actors(actors),
            incident: Some(f.id.clone()),
            members: f
                .group
                .get("findings")
                .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
                .unwrap_or_default(),
            internal: Vec::new(),
        }
    }
}
