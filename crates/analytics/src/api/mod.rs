//! FHIR and API access: who reads which patients' records through the
//! API, and when. Four hit kinds, from FHIR AuditEvent records and the API's
//! web access log:
//!
//! - `api-enumeration`: one agent requests far more distinct patients in an
//!   hour than it, or its peers, usually do (ATT&CK T1213, T1119);
//! - `api-bulk-export`: a FHIR bulk data `$export` kick-off by a client that
//!   has never exported, or off-hours;
//! - `off-hours-access`: a person reads patient records at an hour they
//!   have never worked;
//! - `record-snooping`: a person opens many patients' records new to them,
//!   or looks patients up by name, far above their own and their peers'
//!   norm.
//!
//! # Requests, agents, sources
//!
//! A request is an event of [`Config::audit_datasets`] (FHIR AuditEvent:
//! who, from where, which patients) or [`Config::access_datasets`] (the web
//! server's access log: an address, a URL; patients only from the URL). The
//! same request is usually in both: an access record is held
//! [`Config::dedupe_secs`] of event time and dropped when an audit record
//! from the same client address lies within that distance of it, so each
//! request counts once, from the audit record when there is one (swap the
//! two lists to prefer the access log).
//!
//! The agent is the user (`user.name`, else `user.id`) or, without one, the
//! client address. The FHIR agent type tells people (`humanuser`) from
//! applications (DICOM `110150`); a user without a type is taken for a
//! person. [`Config::service_accounts`] read for many people (the EHR back
//! end, an integration engine): they are never judged as people, stay out
//! of the peers' baselines, and are judged against their own history only,
//! so their volume (everyone's) teaches nothing about anyone. When a record
//! names both an application and the person it acts for, the decoder makes
//! the requesting person the user, and the read counts against them. (A
//! service account reading the database on behalf of users, such as the
//! EHR's own SQL, is the database analytics' business.)
//!
//! # Hours and baselines
//!
//! Each agent's requests are counted per UTC hour: distinct patients
//! requested, patients new to the user (never opened before by them;
//! people only; successful requests other than name searches, whose
//! results are candidates, not opened records; remembered per person in two
//! generations of [`Config::patient_memory`]), and name searches (a
//! `Patient` search by one of [`Snooping::search_params`]). When the hour
//! closes ([`Config::grace_secs`] of event time after it ends, so late
//! records from a skewed source still count; later ones are counted as late
//! and dropped) each count joins the agent's own history of active
//! hours ([`Config::history`]) and the peers' ([`Config::peer_history`]:
//! every agent but service accounts for patients, people for the others).
//! A count whose signal fired joins the agent's own history clipped at the
//! threshold it crossed ([`Config::learn_flagged`]): one burst does not make
//! bursts normal, yet a pattern that keeps repeating is learned over days.
//! It never joins the peers' baselines (they say what is normal).
//!
//! When an hour opens, each series gets a threshold from the baselines, and
//! the signal fires as soon as the hour's count reaches it (not at the end
//! of the hour):
//!
//! - with at least `min_samples` hours of own history: `max(floor,
//!   quantile_factor × own q, median + min_z × spread)` where `q` is the
//!   history's `quantile` and `spread = max(1.4826 × MAD, z_floor)` (so the
//!   count is both a robust-z outlier and far above the usual maximum);
//! - with a shorter history, once the peers hold `min_peer_samples` hours:
//!   `max(floor, new-agent floor, peer_factor × peers' q)`;
//! - with neither: enumeration uses the new-agent floor alone; the snooping
//!   signals do not judge.
//!
//! # The hits
//!
//! **`api-enumeration`** ([`Enumeration`]): distinct patients of any agent
//! (person, application or address); high, critical from
//! `critical_patients`.
//!
//! **`api-bulk-export`** ([`Export`]): a successful `$export` kick-off
//! (`/$export`, `/Patient/$export`, `/Group/{id}/$export`; status polls and
//! file downloads are not) by a client with no earlier kick-off, or outside
//! the working hours ([`Config::work_hours`], weekends with
//! [`Config::weekends_off`]; a vendor's own hours from the inventory for its
//! accounts) unless the client has exported at that hour of the day on
//! `learn_days` earlier days (a nightly job). High. Clients of
//! `allow_clients` are never reported.
//!
//! **`off-hours-access`** ([`OffHours`]): a person's successful request
//! naming patients outside the working hours, when they have been active on
//! at least `min_active_days` days and on fewer than `min_hour_days` of them
//! within `hour_slack` hours of this hour of the day (with `weekends_off`,
//! a weekend access by someone with no weekend activity in at least
//! `weekend_min_span_days` of history). Medium.
//!
//! **`record-snooping`** ([`Snooping`]): for a person, the hour's patients
//! new to them reach their threshold (floor `min_new`) while making up at
//! least `min_share` of the hour's patients, or the hour's name searches
//! reach theirs (floor `min_searches`). Medium; high when both signals fire
//! within `correlate_secs` of each other (looking people up by name, then
//! opening strangers' charts).
//!
//! Every agent reports each kind at most once per [`Config::suppress_secs`]
//! unless the level rises (a high enumeration that turns critical is
//! reported again); what was held back is counted in the next hit
//! (`suppressed`). [`Config::allow_agents`] are never reported. Every
//! threshold used is in the hit's metrics with the baseline behind it
//! (median, MAD, quantile, z, peers' quantile, samples).
//!
//! ```
//! use phiwatch_analytics::api::{ApiAccess, Config};
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! // A client nobody has seen reads 400 patients in seven minutes, before
//! // any baseline exists: the new-agent floor (300 patients) applies.
//! let mut a = ApiAccess::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! for i in 0..400 {
//!     let mut ev = Event::new(Timestamp::from_secs(1_793_671_200 + i64::from(i) * 1).unwrap());
//!     ev.push_norm_str(keys::EVENT_DATASET, "fhir.audit");
//!     ev.push_norm_str(keys::USER_NAME, "bulk-sync");
//!     ev.push_norm(keys::CLIENT_IP, Value::Ip("10.0.2.10".parse().unwrap()));
//!     let id = ev.store_str(&format!("pt-{i:07}"));
//!     let ids = ev.store_list([id]);
//!     ev.push_norm(keys::PATIENT_IDS, ids);
//!     a.observe(&ev, &mut hits);
//! }
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].analytic, "api-enumeration");
//! assert_eq!(hits[0].metrics["patients"], 300.0);
//! assert_eq!(hits[0].metrics["cold_start"], 1.0);
//! ```

mod access;
mod agent;
mod config;
mod hits;
mod judge;

use phiwatch_event::Event;
use serde::{Deserialize, Serialize};

pub use config::{Config, Enumeration, Export, Flagged, OffHours, Snooping};

use crate::context::Context;
use crate::seen::{account_key, account_key_into};
use crate::state::{alloc_size, Bounded};
use crate::stats::Window;
use crate::{Analytic, AnalyticHit, StateError};
use access::{Access, Dedupe, Kind, Pattern, Reader, Released, Source};
use agent::{Agent, Bucket, PeerStat, Rule, Seen, Th, HOUR_NS, NEW, PATIENTS, SEARCHES, SERIES};
use hits::Who;
use judge::Judge;

const NAME: &str = "api";
const VERSION: u64 = 1;
const NANOS: i64 = 1_000_000_000;

/// What the analytic saw and did (restored with its state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Audit records read.
    pub audit_records: u64,
    /// Access-log records read (held for deduplication).
    pub access_records: u64,
    /// Access-log records dropped as duplicates of audit records.
    pub duplicates: u64,
    /// Requests counted (audit records and access-log records kept).
    pub requests: u64,
    /// Requests with neither a user nor an address.
    pub unattributed: u64,
    /// Requests of an hour already closed for their agent (out of order,
    /// clock skew past the grace period): dropped.
    pub late: u64,
    /// Events earlier than the latest one seen.
    pub out_of_order: u64,
    /// Agent-hours closed and learned.
    pub hours_closed: u64,
    /// Successful `$export` kick-offs.
    pub exports: u64,
    /// Signals that met their thresholds (reported or not).
    pub signals: u64,
    /// Signals held back by the suppression window.
    pub suppressed: u64,
    /// Signals of allowlisted agents or export clients.
    pub allowed: u64,
    /// Hits reported.
    pub hits: u64,
    /// Agents evicted to stay within the capacity.
    pub evicted: u64,
}

/// The API access analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct ApiAccess {
    config: Config,
    ctx: Context,
    reader: Reader,
    allow: Vec<Pattern>,
    allow_export: Vec<Pattern>,
    agents: Bounded<Box<str>, Agent>,
    /// Vendors' accounts in comparable form, with their vendor's index.
    vendor_keys: Vec<(String, usize)>,
    /// A buffer for the comparable form of a request's account.
    scratch: String,
    peers: [Window; SERIES],
    peer_stats: [PeerStat; SERIES],
    dedupe: Dedupe,
    latest: Option<i64>,
    /// Hours before this one are closed (hours since the epoch).
    closed_below: Option<i64>,
    counters: Counters,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    counters: Counters,
    latest: Option<i64>,
    closed_below: Option<i64>,
    peers: [Window; SERIES],
    peer_stats: [PeerStat; SERIES],
    dedupe: Dedupe,
    /// Least recently seen first.
    agents: Vec<(Box<str>, Agent)>,
}

pub(crate) use crate::seen::secs_ns;

/// Whether `hod` is outside working hours `(start, end)`.
fn outside(hours: (u8, u8), hod: u8) -> bool {
    let (s, e) = hours;
    if s == e {
        return false;
    }
    let inside = if s < e {
        hod >= s && hod < e
    } else {
        hod >= s || hod < e
    };
    !inside
}

impl ApiAccess {
    /// An analytic with `config`, knowing the organization's vendors.
    pub fn new(config: Config, ctx: &Context) -> ApiAccess {
        let pats = |v: &[String]| v.iter().map(|s| Pattern::new(s)).collect::<Vec<_>>();
        ApiAccess {
            reader: Reader::new(&config),
            allow: pats(&config.allow_agents),
            allow_export: pats(&config.export.allow_clients),
            agents: Bounded::new(config.capacity),
            vendor_keys: ctx
                .vendors
                .iter()
                .enumerate()
                .flat_map(|(i, v)| v.accounts.iter().map(move |a| (account_key(a), i)))
                .collect(),
            scratch: String::new(),
            peers: std::array::from_fn(|_| Window::new(config.peer_history)),
            peer_stats: [PeerStat::default(); SERIES],
            dedupe: Dedupe::new(config.capacity),
            latest: None,
            closed_below: None,
            counters: Counters::default(),
            ctx: ctx.clone(),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it saw and did.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted: self.agents.evicted,
            ..self.counters
        }
    }

    fn grace_ns(&self) -> i64 {
        secs_ns(self.config.grace_secs).max(secs_ns(self.config.dedupe_secs) + NANOS)
    }

    fn quantile(&self, series: usize) -> f64 {
        if series == PATIENTS {
            self.config.enumeration.quantile
        } else {
            self.config.snooping.quantile
        }
    }

    /// Adds an agent's learned hour to the peers' baselines.
    fn learn_peers(peers: &mut [Window; SERIES], kind: Kind, learned: [Option<f64>; SERIES]) {
        for (s, v) in learned.iter().enumerate() {
            let Some(v) = v else { continue };
            let counts = match s {
                PATIENTS => kind != Kind::Service,
                _ => kind.is_person(),
            };
            if counts {
                peers[s].push(*v);
            }
        }
    }

    /// Closes every agent's hour before `boundary`.
    fn sweep(&mut self, boundary: i64) {
        if self.closed_below.is_some_and(|c| c >= boundary) {
            return;
        }
        let mut learned: Vec<(i64, &str, Kind, [Option<f64>; SERIES])> = Vec::new();
        for (k, ag) in self.agents.iter_mut() {
            if let Some(b) = ag.open.take_if(|b| b.hour < boundary) {
                let l = ag.learn(&b, &self.config);
                learned.push((b.hour, k, ag.kind, l));
            }
        }
        learned.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        self.counters.hours_closed += learned.len() as u64;
        for (_, _, kind, l) in learned {
            Self::learn_peers(&mut self.peers, kind, l);
        }
        for s in 0..SERIES {
            self.peer_stats[s] = PeerStat::of(&self.peers[s], self.quantile(s));
        }
        self.closed_below = Some(boundary);
    }

    /// The vendor owning `user`: one of its accounts, compared in
    /// comparable form (an account equal without ASCII case has the same
    /// form).
    fn vendor(&mut self, user: Option<&str>) -> Option<&crate::context::Vendor> {
        let user = user?;
        if self.vendor_keys.is_empty() {
            return None;
        }
        account_key_into(user, &mut self.scratch);
        if self.scratch.is_empty() {
            return None;
        }
        let k = self.scratch.as_str();
        // The first vendor, in order, with a matching account.
        let i = self
            .vendor_keys
            .iter()
            .filter(|(a, _)| a == k)
            .map(|(_, i)| *i)
            .min()?;
        self.ctx.vendors.get(i)
    }

    fn matches(list: &[Pattern], a: &Access) -> bool {
        if list.is_empty() {
            return false;
        }
        let user = a.user.as_ref().map(|u| u.to_lowercase());
        let ip = a.ip.map(|ip| ip.to_string());
        list.iter().any(|p| {
            user.as_deref().is_some_and(|u| p.matches(u))
                || ip.as_deref().is_some_and(|i| p.matches(i))
        })
    }

    /// Counts one request and reports what it makes fire.
    fn process(&mut self, a: Access, out: &mut Vec<AnalyticHit>) {
        let t = a.t();
        let hour = t.div_euclid(HOUR_NS);
        if self.closed_below.is_some_and(|c| hour < c) {
            self.counters.late += 1;
            return;
        }
        let vendor_of = self.vendor(a.user.as_deref());
        let vendor = vendor_of.map(|v| v.name.clone());
        let vendor_hours = vendor_of.and_then(|v| v.hours);
        let allowed = Self::matches(&self.allow, &a);
        let allowed_export = allowed || Self::matches(&self.allow_export, &a);
        let ApiAccess {
            config: c,
            agents,
            peers,
            peer_stats,
            counters,
            ..
        } = self;
        let agent = agents.entry_by(&*a.key, || a.key.clone(), || Agent::new(a.kind, t, c));
        if agent.kind != a.kind {
            agent.kind = a.kind;
            if a.kind.is_person() && agent.seen.is_none() {
                agent.seen = Some(Seen::default());
            }
        }
        agent.last_seen = agent.last_seen.max(t);
        agent.first_seen = agent.first_seen.min(t);
        let mut b = match agent.open.take() {
            Some(b) if b.hour > hour => {
                agent.open = Some(b);
                counters.late += 1;
                return;
            }
            Some(b) if b.hour == hour => b,
            old => {
                if let Some(old) = old {
                    let l = agent.learn(&old, c);
                    counters.hours_closed += 1;
                    Self::learn_peers(peers, agent.kind, l);
                }
                Box::new(Bucket::new(hour, t, thresholds(c, agent, peer_stats)))
            }
        };
        counters.requests += 1;
        count(c, agent, &mut b, &a);
        let mut judge = Judge {
            c,
            counters,
            out,
            who: Who {
                key: &a.key,
                user: a.user.as_deref(),
                ip: a.ip,
                kind: agent.kind,
                vendor: vendor.as_deref(),
            },
            a: &a,
            allowed,
            allowed_export,
            vendor_hours,
        };
        judge.all(agent, &mut b);
        agent.open = Some(b);
    }

    /// Releases held access-log records due by `now`, counting the ones no
    /// audit record covered.
    fn release(&mut self, now: i64, out: &mut Vec<AnalyticHit>) {
        let window = secs_ns(self.config.dedupe_secs);
        let mut released = Vec::new();
        self.dedupe.release(now, window, &mut released);
        self.handle(released, out);
    }

    fn handle(&mut self, released: Vec<Released>, out: &mut Vec<AnalyticHit>) {
        for r in released {
            match r {
                Released::Duplicate => self.counters.duplicates += 1,
                Released::Count(a) => self.process(a, out),
            }
        }
    }
}

/// The thresholds of an agent's new hour.
fn thresholds(c: &Config, agent: &Agent, stats: &[PeerStat; SERIES]) -> [Th; SERIES] {
    std::array::from_fn(|s| {
        let mut rule = Rule::of(c, s);
        if agent.kind == Kind::Service {
            rule.peers = false;
            rule.cold = false;
        }
        if s != PATIENTS && !agent.kind.is_person() {
            rule.min_samples = usize::MAX;
            rule.peers = false;
            rule.cold = false;
        }
        rule.threshold(&agent.history[s], stats[s])
    })
}

/// Counts request `a` in the agent's hour `b`.
fn count(c: &Config, agent: &mut Agent, b: &mut Bucket, a: &Access) {
    let t = a.t();
    b.requests += 1;
    b.failed += u64::from(!a.ok);
    b.first_ns = b.first_ns.min(t);
    b.last_ns = b.last_ns.max(t);
    let (mut fresh, mut new) = (false, false);
    for &p in &a.patients {
        let first_in_hour = if b.patients.contains(p) {
            false
        } else if b.patients.len() < c.max_hour_patients {
            b.patients.insert(p)
        } else {
            b.untracked += 1;
            true
        };
        if first_in_hour {
            b.counts[PATIENTS] += 1;
            fresh = true;
        }
        // A name search lists candidates; it opens none of their records.
        if a.ok && !a.search {
            if let Some(seen) = agent.seen.as_mut() {
                if seen.first_time(p, c.patient_memory) {
                    b.counts[NEW] += 1;
                    new = true;
                }
            }
        }
    }
    if fresh {
        b.note(PATIENTS, a.ev);
    }
    if new {
        b.note(NEW, a.ev);
    }
    if a.search && a.ok && agent.kind.is_person() {
        b.counts[SEARCHES] += 1;
        b.note(SEARCHES, a.ev);
    }
}

impl Analytic for ApiAccess {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, dataset: &str) -> bool {
        let c = &self.config;
        (c.audit_datasets.is_empty() && c.access_datasets.is_empty())
            || c.audit_datasets.iter().any(|d| d == dataset)
            || c.access_datasets.iter().any(|d| d == dataset)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        let now = match self.latest {
            Some(l) if t < l => {
                self.counters.out_of_order += 1;
                l
            }
            _ => {
                self.latest = Some(t);
                t
            }
        };
        self.release(now, out);
        self.sweep(now.saturating_sub(self.grace_ns()).div_euclid(HOUR_NS));
        let (a, source) = match self.reader.read(ev, &self.config) {
            None => return,
            Some(Err(())) => {
                self.counters.unattributed += 1;
                return;
            }
            Some(Ok(r)) => r,
        };
        match source {
            Source::Audit => {
                self.counters.audit_records += 1;
                self.dedupe.audited(a.ip, a.t());
                self.process(a, out);
            }
            Source::AccessLog => {
                self.counters.access_records += 1;
                let window = secs_ns(self.config.dedupe_secs);
                if let Some(r) = self.dedupe.hold(a, self.config.max_pending, window) {
                    self.handle(vec![r], out);
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.release(i64::MAX, out);
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<ApiAccess>()
            + self.agents.heap_bytes()
            + self
                .agents
                .iter()
                .map(|(k, a)| alloc_size(k.len()) + a.heap_bytes())
                .sum::<usize>()
            + self.peers.iter().map(Window::heap_bytes).sum::<usize>()
            + self.dedupe.memory_bytes()
            + self
                .vendor_keys
                .iter()
                .map(|(k, _)| alloc_size(k.capacity()) + 32)
                .sum::<usize>()
    }

    fn entities(&self) -> usize {
        self.agents.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            counters: Counters,
            latest: Option<i64>,
            closed_below: Option<i64>,
            peers: &'a [Window; SERIES],
            peer_stats: [PeerStat; SERIES],
            dedupe: &'a Dedupe,
            /// Least recently seen first.
            agents: Vec<(&'a str, &'a Agent)>,
        }
        let saved = SavedRef {
            version: VERSION,
            counters: self.counters(),
            latest: self.latest,
            closed_below: self.closed_below,
            peers: &self.peers,
            peer_stats: self.peer_stats,
            dedupe: &self.dedupe,
            agents: self
                .agents
                .iter_oldest_first()
                .map(|(k, a)| (&**k, a))
                .collect(),
        };
        // Keys are strings and numbers finite: serializing cannot fail.
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let s: Saved = crate::hit::load_state(NAME, state, &[VERSION], |s: &Saved| s.version)?;
        let mut agents = Bounded::from_oldest_first(self.config.capacity, s.agents);
        agents.evicted += s.counters.evicted;
        self.agents = agents;
        self.counters = Counters {
            evicted: 0,
            ..s.counters
        };
        self.latest = s.latest;
        self.closed_below = s.closed_below;
        self.peers = s.peers;
        self.peer_stats = s.peer_stats;
        self.dedupe = s.dedupe;
        Ok(())
    }
}
