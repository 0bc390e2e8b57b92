//! The incident chain: findings of every detector (Sigma, correlation,
//! analytics, PHI, IoC) that share an actor within a time window become one
//! `incident` finding, with a risk score that rises with independent log
//! sources and ATT&CK tactics, the chain of tactics in time order, bytes
//! out, rows read and the silos touched.
//!
//! # Entities and links
//!
//! Each finding names entity keys: `user:` (names compared without case,
//! domain, dots, dashes or underscores, so `acme.sync@acme-billing.example`,
//! `acme_sync` and `acme-sync` are one account), `ip:`, `host:`, the vendor
//! owning an account (`vendor:`, from the inventory, so one vendor's IdP
//! user, database role and API client are one actor), and for an external
//! IPv4 source its /24 (`net:`, attacker infrastructure). Group values that
//! name a principal, agent or client add `user:` keys; an *internal*
//! destination adds its `ip:` (staging from one host to another joins both).
//!
//! Observed sessions link keys too ([`Incidents::link`]: a user logging in
//! from an address, a database session's user and client address).
//!
//! A key shared by more than [`Config::max_degree`] other keys is a hub (a
//! NAT address, a database server, a service account everyone's requests go
//! through) and joins nothing.
//!
//! # Chaining
//!
//! Keys joined by links form actors (union-find). For each actor, its
//! findings in time order chain while the quiet gap between one and the next
//! is at most [`Config::gap_secs`]; findings chained through any shared
//! actor form one cluster. A cluster of impact findings alone (an outage
//! names the service, not who caused it) joins the latest strong cluster
//! that ended at most the gap before it ([`Config::attach_impact`]).
//!
//! # Risk
//!
//! For each ATT&CK tactic, the best member score `s`; `risk = 1 − Π(1 −
//! w·s)` with `w` = [`Config::tactic_weight`], times `0.7 + 0.3 ·
//! min(1, (sources − 1) / 2)` where `sources` is the number of distinct
//! log-source kinds behind the members (network, database, identity, API:
//! independent witnesses). A cluster becomes an incident when `risk ≥`
//! [`Config::min_risk`] and it has at least [`Config::min_tactics`] tactics
//! or at least [`Config::min_findings`] findings with one high or critical.
//! Level: critical from [`Config::critical_risk`] with exfiltration or
//! impact in the chain; high from [`Config::high_risk`], or when a high or
//! critical member is corroborated by another detector or another kind of
//! log; medium otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Attack, Detector, Entity, Evidence, Finding, Level, RuleRef};
use serde::{Deserialize, Serialize};

use crate::context::Context;

/// Rule id of incident findings.
pub const RULE_ID: &str = "phiwatch-incident";
/// ATT&CK tactic order (the kill chain, Enterprise matrix).
const TACTIC_ORDER: [&str; 14] = [
    "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006", "TA0007",
    "TA0008", "TA0009", "TA0011", "TA0010", "TA0040",
];
/// Group keys whose values name an account.
const ACCOUNT_KEYS: [&str; 7] = [
    "user",
    "principal",
    "agent",
    "client",
    "account",
    "db.user",
    "user.name",
];
/// Group keys whose values name a destination.
const DESTINATION_KEYS: [&str; 4] = ["destination", "destination.ip", "server", "target"];

/// Settings of the incident chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Longest quiet gap, in seconds, between two findings of one actor in
    /// one incident (default 604 800: a week).
    pub gap_secs: u64,
    /// A key linked to more distinct keys than this is a hub and joins
    /// nothing (default 12).
    pub max_degree: usize,
    /// Weight of a tactic's best score in the risk (default 0.8).
    pub tactic_weight: f64,
    /// Smallest risk of an incident (default 0.5).
    pub min_risk: f64,
    /// Risk from which an incident is high (default 0.75).
    pub high_risk: f64,
    /// Risk from which an incident with exfiltration or impact is critical
    /// (default 0.9).
    pub critical_risk: f64,
    /// Tactics that make a cluster an incident on their own (default 2).
    pub min_tactics: usize,
    /// Findings that, with a high or critical one, make a cluster an
    /// incident (default 3).
    pub min_findings: usize,
    /// Lowest level of a finding taken into incidents (default low).
    pub min_level: Level,
    /// Member finding ids listed in the incident's group (default 50; the
    /// metrics count all).
    pub max_listed: usize,
    /// Impact findings that name no actor of their own (a service outage)
    /// join the latest strong cluster that ended at most `gap_secs` before
    /// them (default true).
    pub attach_impact: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            gap_secs: 7 * 86_400,
            max_degree: 12,
            tactic_weight: 0.8,
            min_risk: 0.5,
            high_risk: 0.75,
            critical_risk: 0.9,
            min_tactics: 2,
            min_findings: 3,
            min_level: Level::Low,
            max_listed: 50,
            attach_impact: true,
        }
    }
}

/// What a member finding keeps.
#[derive(Clone, Debug)]
struct Member {
    id: String,
    time: Timestamp,
    end_time: Timestamp,
    detector: Detector,
    rule: String,
    level: Level,
    score: f64,
    attack: Attack,
    keys: Vec<String>,
    sources: BTreeSet<String>,
    bytes_out: f64,
    rows: f64,
    evidence: Option<Evidence>,
    entity: Entity,
}

/// A silo access by an actor, as the caller saw it in the events.
#[derive(Clone, Debug, Default)]
struct SiloUse {
    first: i64,
    last: i64,
    events: u64,
}

/// Builds incidents from findings and observed links.
#[derive(Debug)]
pub struct Incidents {
    config: Config,
    ctx: Context,
    members: Vec<Member>,
    /// Observed links between keys, with their count.
    links: BTreeMap<(String, String), u64>,
    /// Silo accesses per key, by silo name: filled by `finish` from `uses`.
    silos: BTreeMap<String, BTreeMap<String, SiloUse>>,
    /// Silo accesses per (actor, silo id), as events arrive: a hash lookup
    /// per event, no allocation after an actor's first access.
    uses: foldhash::HashMap<(Actor, u32), SiloUse>,
    /// Silo names by id, and ids by name.
    silo_names: Vec<String>,
    silo_ids: foldhash::HashMap<String, u32>,
    /// Account keys (`user:…`) by id, and ids by key.
    user_keys: Vec<String>,
    user_ids: foldhash::HashMap<String, u32>,
    /// Distinct partners per key, capped at `max_degree + 1`.
    partners: BTreeMap<String, BTreeSet<String>>,
    /// Hashes of the (user, address) pairs already linked: the common
    /// repeat costs a hash, not an allocation.
    linked: foldhash::HashSet<u64>,
    /// Vendor accounts, normalized: (account key, vendor name).
    vendor_accounts: Vec<(String, String)>,
    /// The account key id of the names seen in silo accesses (None: no
    /// usable account).
    account_cache: foldhash::HashMap<String, Option<u32>>,
}

/// Who touched a silo: an account key (by id) or an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Actor {
    User(u32),
    Ip(IpAddr),
}

/// Accounts whose keys are cached for silo accesses; the cache is emptied
/// when it grows past this.
const ACCOUNT_CACHE: usize = 100_000;

use crate::seen::account_key;

impl Incidents {
    /// An empty builder.
    pub fn new(config: Config, ctx: &Context) -> Incidents {
        Incidents {
            config,
            ctx: ctx.clone(),
            members: Vec::new(),
            links: BTreeMap::new(),
            silos: BTreeMap::new(),
            uses: foldhash::HashMap::default(),
            silo_names: Vec::new(),
            silo_ids: foldhash::HashMap::default(),
            user_keys: Vec::new(),
            user_ids: foldhash::HashMap::default(),
            partners: BTreeMap::new(),
            linked: foldhash::HashSet::default(),
            vendor_accounts: ctx
                .vendors
                .iter()
                .flat_map(|v| v.accounts.iter().map(|a| (account_key(a), v.name.clone())))
                .collect(),
            account_cache: foldhash::HashMap::default(),
        }
    }

    /// The keys of an account: `user:` and, for a vendor's account,
    /// `vendor:`.
    fn account_keys(&self, name: &str, out: &mut Vec<String>) {
        let k = account_key(name);
        if k.is_empty() || k == "unknown" || k == "anonymous" {
            return;
        }
        if let Some((_, v)) = self.vendor_accounts.iter().find(|(a, _)| *a == k) {
            out.push(format!("vendor:{v}"));
        }
        out.push(format!("user:{k}"));
    }

    /// The keys of an address: `ip:` and, for an external IPv4 address, its
    /// `/24` as `net:`.
    fn ip_keys(&self, ip: IpAddr, out: &mut Vec<String>) {
        out.push(format!("ip:{ip}"));
        if let IpAddr::V4(v4) = ip {
            if !self.ctx.is_internal(ip) {
                let o = v4.octets();
                out.push(format!("net:{}.{}.{}.0/24", o[0], o[1], o[2]));
            }
        }
    }

    /// The entity keys of a finding.
    fn keys_of(&self, f: &Finding) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(u) = &f.entity.user {
            self.account_keys(u, &mut keys);
        }
        if let Some(ip) = f
            .entity
            .ip
            .as_deref()
            .and_then(|s| s.parse::<IpAddr>().ok())
        {
            self.ip_keys(ip, &mut keys);
        }
        if let Some(h) = &f.entity.host {
            keys.push(format!("host:{}", h.to_ascii_lowercase()));
        }
        for (k, v) in &f.group {
            if ACCOUNT_KEYS.contains(&k.as_str()) {
                match v.parse::<IpAddr>() {
                    Ok(ip) => self.ip_keys(ip, &mut keys),
                    Err(_) => self.account_keys(v, &mut keys),
                }
            } else if DESTINATION_KEYS.contains(&k.as_str()) {
                if let Ok(ip) = v.parse::<IpAddr>() {
                    if self.ctx.is_internal(ip) {
                        keys.push(format!("ip:{ip}"));
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }

    fn note_partners(&mut self, keys: &[String]) {
        let cap = self.config.max_degree + 1;
        for a in keys {
            let p = self.partners.entry(a.clone()).or_default();
            for b in keys {
                if a != b && p.len() < cap {
                    p.insert(b.clone());
                }
            }
        }
    }

    /// Takes a finding in (those below [`Config::min_level`] and incidents
    /// are ignored). `sources` are the kinds of log behind it (`zeek`,
    /// `postgres`, `fhir`, …).
    pub fn add(&mut self, f: &Finding, sources: impl IntoIterator<Item = String>) {
        if f.detector == Detector::Incident || f.rule.level < self.config.min_level {
            return;
        }
        let keys = self.keys_of(f);
        let impact = f.attack.tactics.iter().any(|t| t.id == "TA0040");
        if keys.is_empty() && !(impact && self.config.attach_impact) {
            return;
        }
        self.note_partners(&keys);
        let exfil = f.attack.tactics.iter().any(|t| t.id == "TA0010");
        let bytes_out = if exfil {
            metric(f, &["bytes_out", "bytes", "total_bytes"])
        } else {
            0.0
        };
        let rows = metric(f, &["rows", "rows_read", "patients"]);
        self.members.push(Member {
            id: f.id.clone(),
            time: f.time,
            end_time: f.end_time.max(f.time),
            detector: f.detector,
            rule: f.rule.title.clone(),
            level: f.rule.level,
            score: f.score,
            attack: f.attack.clone(),
            keys,
            sources: sources.into_iter().collect(),
            bytes_out,
            rows,
            evidence: f.evidence.first().cloned(),
            entity: f.entity.clone(),
        });
    }

    /// Records that `user` acted from `ip` (a login, a database session).
    pub fn link(&mut self, user: &str, ip: IpAddr) {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x5eed).hash_one((user, ip));
        if !self.linked.insert(h) {
            return;
        }
        let mut a = Vec::new();
        self.account_keys(user, &mut a);
        let Some(u) = a.iter().find(|k| k.starts_with("user:")).cloned() else {
            return;
        };
        let i = format!("ip:{ip}");
        let mut pair = vec![u.clone(), i.clone()];
        pair.extend(a.into_iter().filter(|k| k.starts_with("vendor:")));
        self.note_partners(&pair);
        *self.links.entry((u, i)).or_insert(0) += 1;
    }

    /// Records that the actor `user`/`ip` touched the silo `silo` at `t`.
    pub fn silo(&mut self, user: Option<&str>, ip: Option<IpAddr>, silo: &str, t: Timestamp) {
        let t = t.as_nanos();
        let silo = match self.silo_ids.get(silo) {
            Some(&id) => id,
            None => {
                let id = self.silo_names.len() as u32;
                self.silo_names.push(silo.to_string());
                self.silo_ids.insert(silo.to_string(), id);
                id
            }
        };
        if let Some(u) = user {
            let id = match self.account_cache.get(u) {
                Some(&id) => id,
                None => {
                    if self.account_cache.len() >= ACCOUNT_CACHE {
                        self.account_cache.clear();
                    }
                    let mut keys = Vec::new();
                    self.account_keys(u, &mut keys);
                    let id = keys.into_iter().find(|k| k.starts_with("user:")).map(|k| {
                        let next = self.user_keys.len() as u32;
                        let id = *self.user_ids.entry(k.clone()).or_insert(next);
                        if id == next {
                            self.user_keys.push(k);
                        }
                        id
                    });
                    self.account_cache.insert(u.to_string(), id);
                    id
                }
            };
            if let Some(id) = id {
                self.note_silo(Actor::User(id), silo, t);
            }
        }
        if let Some(ip) = ip {
            self.note_silo(Actor::Ip(ip), silo, t);
        }
    }

    fn note_silo(&mut self, actor: Actor, silo: u32, t: i64) {
        let u = self.uses.entry((actor, silo)).or_insert(SiloUse {
            first: t,
            last: t,
            events: 0,
        });
        u.first = u.first.min(t);
        u.last = u.last.max(t);
        u.events += 1;
    }

    /// `uses` by key and silo name, for `finish`.
    fn silo_table(&self) -> BTreeMap<String, BTreeMap<String, SiloUse>> {
        let mut out: BTreeMap<String, BTreeMap<String, SiloUse>> = BTreeMap::new();
        for (&(actor, silo), u) in &self.uses {
            let key = match actor {
                Actor::User(i) => self.user_keys[i as usize].clone(),
                Actor::Ip(ip) => format!("ip:{ip}"),
            };
            let name = self.silo_names[silo as usize].clone();
            let e = out.entry(key).or_default().entry(name).or_default();
            if e.events == 0 {
                e.first = u.first;
                e.last = u.last;
            } else {
                e.first = e.first.min(u.first);
                e.last = e.last.max(u.last);
            }
            e.events += u.events;
        }
        out
    }

    fn hub(&self, key: &str) -> bool {
        self.partners
            .get(key)
            .is_some_and(|p| p.len() > self.config.max_degree)
    }

    /// The incidents, in time order.
    pub fn finish(mut self) -> Vec<Finding> {
        self.silos = self.silo_table();
        let n = self.members.len();
        // Actors: keys joined by links (hubs excluded).
        let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &self.members {
            for k in &m.keys {
                let len = keys.len();
                keys.entry(k.as_str()).or_insert(len);
            }
        }
        let mut actor = Dsu::new(keys.len());
        for (a, b) in self.links.keys() {
            if self.hub(a) || self.hub(b) {
                continue;
            }
            if let (Some(&x), Some(&y)) = (keys.get(a.as_str()), keys.get(b.as_str())) {
                actor.union(x, y);
            }
        }
        // Findings per actor, in time order; chain through short gaps.
        let mut per_actor: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, m) in self.members.iter().enumerate() {
            let mut seen = BTreeSet::new();
            for k in &m.keys {
                if self.hub(k) {
                    continue;
                }
                if let Some(&x) = keys.get(k.as_str()) {
                    let a = actor.find(x);
                    if seen.insert(a) {
                        per_actor.entry(a).or_default().push(i);
                    }
                }
            }
        }
        let gap = i64::try_from(self.config.gap_secs)
            .unwrap_or(i64::MAX / 1_000_000_000)
            .saturating_mul(1_000_000_000);
        let mut cluster = Dsu::new(n);
        for list in per_actor.values_mut() {
            list.sort_by_key(|&i| (self.members[i].time, i));
            let mut reach = i64::MIN;
            let mut prev: Option<usize> = None;
            for &i in list.iter() {
                let m = &self.members[i];
                if let Some(p) = prev {
                    if m.time.as_nanos() <= reach.saturating_add(gap) {
                        cluster.union(p, i);
                    }
                }
                reach = reach.max(m.end_time.as_nanos());
                prev = Some(i);
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            groups.entry(cluster.find(i)).or_default().push(i);
        }
        if self.config.attach_impact {
            self.attach_impact(&mut groups, gap);
        }
        let mut out: Vec<Finding> = groups
            .into_values()
            .filter_map(|g| self.incident(&g))
            .collect();
        out.sort_by_key(|f| (f.time, f.id.clone()));
        out
    }

    /// Clusters made only of impact findings (an outage names the service,
    /// not who caused it) join the latest strong cluster (two or more
    /// findings, one high or critical, some tactic other than impact) that
    /// ended at most `gap` before they began.
    fn attach_impact(&self, groups: &mut BTreeMap<usize, Vec<usize>>, gap: i64) {
        let impact = |i: usize| {
            self.members[i]
                .attack
                .tactics
                .iter()
                .any(|t| t.id == "TA0040")
        };
        let span = |g: &[usize]| {
            let start = g.iter().map(|&i| self.members[i].time.as_nanos()).min();
            let end = g.iter().map(|&i| self.members[i].end_time.as_nanos()).max();
            (start.unwrap_or(0), end.unwrap_or(0))
        };
        let lone: Vec<usize> = groups
            .iter()
            .filter(|(_, g)| g.iter().all(|&i| impact(i)))
            .map(|(r, _)| *r)
            .collect();
        for r in lone {
            let Some(g) = groups.get(&r) else { continue };
            let (start, _) = span(g);
            let target = groups
                .iter()
                .filter(|(k, g)| {
                    **k != r
                        && g.len() >= 2
                        && !g.iter().all(|&i| impact(i))
                        && g.iter().any(|&i| self.members[i].level >= Level::High)
                })
                .map(|(k, g)| (*k, span(g)))
                .filter(|(_, (s0, end))| *s0 <= start && start.saturating_sub(*end) <= gap)
                .max_by_key(|(k, (_, end))| (*end, std::cmp::Reverse(*k)))
                .map(|(k, _)| k);
            if let Some(t) = target {
                if let Some(moved) = groups.remove(&r) {
                    groups.entry(t).or_default().extend(moved);
                }
            }
        }
    }

    /// The incident of one cluster, if it is one.
    fn incident(&self, idx: &[usize]) -> Option<Finding> {
        let ms: Vec<&Member> = idx.iter().map(|&i| &self.members[i]).collect();
        // Best score per tactic, and when each tactic was first seen.
        let mut tactics: BTreeMap<String, (f64, Timestamp, String)> = BTreeMap::new();
        let mut attack = Attack::default();
        for m in &ms {
            for t in &m.attack.tactics {
                let key = if t.id.is_empty() {
                    t.shortname.clone()
                } else {
                    t.id.clone()
                };
                let e = tactics
                    .entry(key)
                    .or_insert((0.0, m.time, t.shortname.clone()));
                e.0 = e.0.max(m.score);
                e.1 = e.1.min(m.time);
                if !attack
                    .tactics
                    .iter()
                    .any(|x| x.id == t.id && x.shortname == t.shortname)
                {
                    attack.tactics.push(t.clone());
                }
            }
            for t in &m.attack.techniques {
                if !attack.techniques.iter().any(|x| x.id == t.id) {
                    attack.techniques.push(t.clone());
                }
            }
        }
        let sources: BTreeSet<&str> = ms
            .iter()
            .flat_map(|m| m.sources.iter().map(String::as_str))
            .collect();
        let w = self.config.tactic_weight.clamp(0.0, 1.0);
        let miss: f64 = tactics
            .values()
            .map(|(s, _, _)| 1.0 - w * s.clamp(0.0, 1.0))
            .product();
        let independent = (sources.len().saturating_sub(1) as f64 / 2.0).min(1.0);
        let risk = (1.0 - miss) * (0.7 + 0.3 * independent);
        let strong = ms.iter().any(|m| m.level >= Level::High);
        let enough = tactics.len() >= self.config.min_tactics
            || (strong && ms.len() >= self.config.min_findings);
        if risk < self.config.min_risk || !enough {
            return None;
        }
        // The chain: tactics by first time, kill-chain order breaking ties.
        let mut chain: Vec<(Timestamp, usize, String)> = tactics
            .iter()
            .map(|(id, (_, t, short))| {
                let rank = TACTIC_ORDER
                    .iter()
                    .position(|x| x == id)
                    .unwrap_or(TACTIC_ORDER.len());
                let name = if short.is_empty() {
                    id.clone()
                } else {
                    short.clone()
                };
                (*t, rank, name)
            })
            .collect();
        chain.sort();
        let chain: Vec<String> = chain.into_iter().map(|c| c.2).collect();
        let terminal = tactics.contains_key("TA0010") || tactics.contains_key("TA0040");
        let detector_kinds: BTreeSet<Detector> = ms.iter().map(|m| m.detector).collect();
        let corroborated = strong && (detector_kinds.len() >= 2 || sources.len() >= 2);
        let level = if risk >= self.config.critical_risk && terminal {
            Level::Critical
        } else if risk >= self.config.high_risk || corroborated {
            Level::High
        } else {
            Level::Medium
        };
        let time = ms.iter().map(|m| m.time).min()?;
        let end_time = ms.iter().map(|m| m.end_time).max()?;
        // Entities: every key, and the most named user / address / host.
        let mut all_keys: BTreeMap<&str, usize> = BTreeMap::new();
        // Keys of actors: an outage's keys name the service that failed,
        // not who touched the silos.
        let mut actor_keys: BTreeSet<&str> = BTreeSet::new();
        for m in &ms {
            let impact_only =
                !m.attack.tactics.is_empty() && m.attack.tactics.iter().all(|t| t.id == "TA0040");
            for k in &m.keys {
                *all_keys.entry(k.as_str()).or_insert(0) += 1;
                if !impact_only {
                    actor_keys.insert(k.as_str());
                }
            }
        }
        let entity = main_entity(&ms);
        // Silos touched by the incident's actors during it.
        let (t0, t1) = (time.as_nanos(), end_time.as_nanos());
        let mut silos: BTreeMap<&str, u64> = BTreeMap::new();
        for k in &actor_keys {
            if self.hub(k) || !(k.starts_with("user:") || k.starts_with("ip:")) {
                continue;
            }
            for (name, u) in self.silos.get(*k).into_iter().flatten() {
                if u.last >= t0 && u.first <= t1 {
                    *silos.entry(name.as_str()).or_insert(0) += u.events;
                }
            }
        }
        let bytes_out: f64 = ms.iter().map(|m| m.bytes_out).sum();
        let rows: f64 = ms.iter().map(|m| m.rows).sum();
        let detectors: BTreeSet<&str> = ms.iter().map(|m| m.detector.as_str()).collect();
        let rules: BTreeSet<&str> = ms.iter().map(|m| m.rule.as_str()).collect();

        let who = entity
            .user
            .as_deref()
            .or(entity.ip.as_deref())
            .or(entity.host.as_deref())
            .unwrap_or("unknown actor");
        let rule = RuleRef {
            id: RULE_ID.into(),
            title: "Incident: linked findings of one actor".into(),
            level,
            author: Some("phiwatch".into()),
            source: None,
        };
        let mut f = Finding::new(Detector::Incident, rule, time);
        f.end_time = end_time;
        f.attack = attack;
        f.entity = entity.clone();
        f.score = risk.clamp(0.0, 1.0);
        f.summary = format!(
            "Incident ({}): {} by {who}, {} findings from {} detectors{}{}",
            level.as_str(),
            chain.join(" → "),
            ms.len(),
            detectors.len(),
            if bytes_out > 0.0 {
                format!(", {} out", human_bytes(bytes_out))
            } else {
                String::new()
            },
            if silos.is_empty() {
                String::new()
            } else {
                format!(
                    ", silos {}",
                    silos.keys().copied().collect::<Vec<_>>().join(", ")
                )
            },
        );
        let mut sorted: Vec<&&Member> = ms.iter().collect();
        sorted.sort_by_key(|m| (m.time, m.id.clone()));
        f.evidence = sorted
            .iter()
            .filter_map(|m| m.evidence.clone())
            .take(20)
            .collect();
        let metrics = [
            ("risk", risk),
            ("findings", ms.len() as f64),
            ("detectors", detectors.len() as f64),
            ("rules", rules.len() as f64),
            ("sources", sources.len() as f64),
            ("tactics", tactics.len() as f64),
            (
                "high_findings",
                ms.iter().filter(|m| m.level >= Level::High).count() as f64,
            ),
            ("bytes_out", bytes_out),
            ("rows_read", rows),
            ("silos", silos.len() as f64),
            ("entities", all_keys.len() as f64),
            (
                "duration_secs",
                (end_time.as_nanos() - time.as_nanos()) as f64 / 1e9,
            ),
            ("gap_secs", self.config.gap_secs as f64),
            ("min_risk", self.config.min_risk),
        ];
        for (k, v) in metrics {
            f.metrics.insert(k.into(), v);
        }
        f.group.insert("chain".into(), chain.join(" > "));
        f.group.insert(
            "entities".into(),
            all_keys.keys().copied().collect::<Vec<_>>().join(", "),
        );
        // The actors: the entities of the members that are not only an
        // outage, without hubs (what `scope --incident` scopes).
        f.group.insert(
            "actors".into(),
            actor_keys
                .iter()
                .copied()
                .filter(|k| !self.hub(k))
                .collect::<Vec<_>>()
                .join(", "),
        );
        f.group.insert(
            "sources".into(),
            sources.iter().copied().collect::<Vec<_>>().join(", "),
        );
        if !silos.is_empty() {
            f.group.insert(
                "silos".into(),
                silos.keys().copied().collect::<Vec<_>>().join(", "),
            );
        }
        f.group.insert(
            "findings".into(),
            sorted
                .iter()
                .take(self.config.max_listed)
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
        f.tags = f
            .attack
            .tactics
            .iter()
            .filter(|t| !t.shortname.is_empty())
            .map(|t| format!("attack.{}", t.shortname.replace('-', "_")))
            .chain(
                f.attack
                    .techniques
                    .iter()
                    .map(|t| format!("attack.{}", t.id.to_ascii_lowercase())),
            )
            .collect();
        f.refresh_id();
        Some(f)
    }
}

/// The most often named user, address and host among the members
/// (ties: the earliest).
fn main_entity(ms: &[&Member]) -> Entity {
    fn most<'a>(it: impl Iterator<Item = &'a str>) -> Option<String> {
        let mut count: Vec<(&str, usize)> = Vec::new();
        for v in it {
            match count.iter_mut().find(|(k, _)| *k == v) {
                Some(c) => c.1 += 1,
                None => count.push((v, 1)),
            }
        }
        let best = count.iter().map(|c| c.1).max()?;
        count
            .into_iter()
            .find(|c| c.1 == best)
            .map(|c| c.0.to_string())
    }
    let mut sorted: Vec<&&Member> = ms.iter().collect();
    sorted.sort_by_key(|m| m.time);
    Entity {
        user: most(sorted.iter().filter_map(|m| m.entity.user.as_deref())),
        host: most(sorted.iter().filter_map(|m| m.entity.host.as_deref())),
        ip: most(sorted.iter().filter_map(|m| m.entity.ip.as_deref())),
    }
}

fn metric(f: &Finding, names: &[&str]) -> f64 {
    names
        .iter()
        .find_map(|n| f.metrics.get(*n).copied())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(0.0)
}

fn human_bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

/// Union-find.
struct Dsu {
    parent: Vec<usize>,
}

impl Dsu {
    fn new(n: usize) -> Dsu {
        Dsu {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&p) = self.parent.get(x) {
            if p == x {
                break;
            }
            let gp = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x) {
                *slot = gp;
            }
            x = p;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            if let Some(slot) = self.parent.get_mut(hi) {
                *slot = lo;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_normalize_across_systems() {
        assert_eq!(account_key("acme.sync@acme-billing.example"), "acmesync");
        assert_eq!(account_key("acme_sync"), "acmesync");
        assert_eq!(account_key("acme-sync"), "acmesync");
        assert_eq!(account_key("CORP\\Acme.Sync"), "acmesync");
    }

    #[test]
    fn union_find_joins_transitively() {
        let mut d = Dsu::new(5);
        d.union(0, 1);
        d.union(3, 4);
        d.union(1, 4);
        assert_eq!(d.find(3), d.find(0));
        assert_ne!(d.find(2), d.find(0));
    }
}
