//! Cloud object reads: a principal that reads far more from an S3 bucket in
//! an hour than it usually does, copies objects to another AWS account, or
//! reads from where it never did (ATT&CK T1530 data from cloud storage,
//! T1537 transfer to a cloud account, T1078.004 cloud accounts).
//!
//! # What is counted
//!
//! CloudTrail S3 data events ([`Config::read_actions`]: `GetObject`,
//! `SelectObjectContent`, `GetObjectTorrent`; [`Config::copy_actions`]:
//! `CopyObject`, `UploadPartCopy`) that succeeded, per (principal, bucket)
//! and UTC hour. The principal is `user.name` (an assumed role's role
//! name, so its many sessions are one principal; an IAM user's name),
//! else the ARN, else the principal id. The bucket is the one read: a
//! copy's source (`x-amz-copy-source`). An hour holds the bytes sent
//! (`phiwatch.object.bytes_out`, CloudTrail's `bytesTransferredOut`) and
//! the distinct objects read (keys, at most [`Config::max_keys`]). Failed
//! calls are counted apart (`failed_reads`).
//!
//! Where the read came from:
//!
//! - *outside the organization*: an address neither in the [`Context`]'s
//!   internal networks nor in [`Config::trusted_networks`] (the
//!   organization's NAT and VPN egress addresses belong there); calls by
//!   AWS services (`athena.amazonaws.com`, `AWS Internal`) and through a
//!   VPC endpoint are inside AWS;
//! - *a new external network*: outside, from a `/24` (IPv4) or `/48`
//!   (IPv6) the principal had not read from among its last
//!   [`Config::source_networks`], once it has made
//!   [`Config::min_source_reads`] reads (before that every network is new);
//! - *another account*: the caller's account is not the bucket owner's
//!   (`recipientAccountId`) nor in [`Config::trusted_accounts`];
//! - *a copy to another account*: the destination bucket's account (from
//!   the record's resources) is not the caller's nor trusted.
//!
//! # Decision
//!
//! An hour closes when the newest read seen is [`Config::grace_secs`] past
//! its end (reads of a closed hour are counted as late and dropped), when
//! the pair's own reads are that far past it (so one record stamped years
//! ahead holds up no pair for long), or at [`Analytic::finish`]. A closed hour of `bytes` and `objects` is judged
//! *before* it joins its pair's history ([`Config::history`] hours with
//! reads):
//!
//! - with at least [`Config::min_samples`] hours: by bytes when
//!   `bytes ≥ min_bytes`, robust z (median, MAD, spread at least
//!   [`Config::z_floor_bytes`]) `≥ min_z` and `bytes ≥ quantile_factor ×`
//!   the history's [`Config::quantile`]; by objects likewise
//!   (`min_objects`, [`Config::z_floor_objects`]);
//! - with fewer (a new pair): by bytes when `bytes ≥ new_pair_bytes` (and
//!   `≥ min_bytes`) and, once the peers (every pair's past hours,
//!   [`Config::peer_history`]) hold `min_samples` hours, `bytes ≥
//!   peer_factor ×` their quantile; by objects likewise
//!   (`new_pair_objects`).
//!
//! A volume hit, or [`Config::min_copies_out`] copies to another account,
//! is level high; critical from [`Config::critical_bytes`] or
//! [`Config::critical_objects`], or when a volume hit came from a new
//! external network or another account. Reads from a new external network,
//! or the first reads of a pair by another account, without volume are
//! level medium. A pair reports at most once per [`Config::suppress_secs`]
//! unless the level rises; the hours that met the thresholds meanwhile are
//! counted in the next hit (`suppressed_hours`, `suppressed_bytes`,
//! `suppressed_objects`). Allowlisted principals, buckets and pairs are
//! never reported but feed the baselines. Every threshold is in the hit's
//! metrics. Only CloudTrail (and datasets phiwatch does not know) is looked
//! at ([`Analytic::wants`]).
//!
//! ```
//! use phiwatch_analytics::context::Context;
//! use phiwatch_analytics::object_reads::{Config, ObjectReads};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let get = |hour: i64, n: i64, bytes: i64| {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + hour * 3600 + n).unwrap());
//!     ev.push_norm_str(keys::EVENT_PROVIDER, "s3.amazonaws.com");
//!     ev.push_norm_str(keys::EVENT_ACTION, "GetObject");
//!     ev.push_norm_str(keys::USER_NAME, "reporting");
//!     ev.push_norm_str(keys::PHIWATCH_OBJECT_BUCKET, "phi-exports");
//!     ev.push_norm_str(keys::PHIWATCH_OBJECT_KEY, &format!("exports/{hour}/{n}.csv"));
//!     ev.push_norm(keys::PHIWATCH_OBJECT_BYTES_OUT, Value::Int(bytes));
//!     ev
//! };
//! let mut a = ObjectReads::new(Config::default(), &Context::default());
//! let mut hits = Vec::new();
//! for hour in 0..48 {
//!     for n in 0..4 {
//!         a.observe(&get(hour, n, 2_000_000), &mut hits);
//!     }
//! }
//! // 3 000 objects of 2 MB in one hour: 6 GB.
//! for n in 0..3000 {
//!     a.observe(&get(48, n, 2_000_000), &mut hits);
//! }
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].metrics["objects"], 3000.0);
//! assert_eq!(hits[0].group["bucket"], "phi-exports");
//! ```

mod hit;
mod pair;
mod read;

use std::collections::HashSet;

use phiwatch_event::Event;
use phiwatch_finding::Level;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::net::{in_any, Cidr};
use crate::seen::{secs_ns, Ev};
use crate::state::{alloc_size, Bounded};
use crate::stats::Window;
use crate::{Analytic, AnalyticHit, StateError};
use hit::make_hit;
use pair::{judge, network_of, Hour, Noted, Pair, Peers, Sources, HOUR_NS};
use read::{call_of, Call, From, Raw, Read};

const NAME: &str = "object-reads";
/// Version of the saved state (2: compact hours and networks).
const VERSION: u64 = 2;

/// A (principal, bucket) pair allowed to read in bulk.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowPair {
    /// The principal (role or user name), exactly.
    pub principal: String,
    /// The bucket, exactly.
    pub bucket: String,
}

/// Thresholds and sizes of [`ObjectReads`]; every field has a default, and
/// every threshold is repeated in the hit's metrics. Bytes are decimal
/// (1 GB = 10⁹ bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// S3 calls that send object bytes to the caller (default
    /// `GetObject`, `SelectObjectContent`, `GetObjectTorrent`).
    pub read_actions: Vec<String>,
    /// S3 calls that copy an object (default `CopyObject`,
    /// `UploadPartCopy`): a read of the source bucket.
    pub copy_actions: Vec<String>,
    /// Bytes in an hour below which the bytes rule never fires (default
    /// 100 MB).
    pub min_bytes: u64,
    /// Objects in an hour below which the objects rule never fires
    /// (default 500).
    pub min_objects: u64,
    /// Hours with reads in a pair's history before it is used (default 24).
    pub min_samples: usize,
    /// Robust z against the pair's history (default 6).
    pub min_z: f64,
    /// Smallest spread (bytes) of the bytes z-score (default 10 MB).
    pub z_floor_bytes: u64,
    /// Smallest spread (objects) of the objects z-score (default 10).
    pub z_floor_objects: f64,
    /// The history's quantile compared with (default 0.99).
    pub quantile: f64,
    /// An hour must read at least this times the history's quantile
    /// (default 5).
    pub quantile_factor: f64,
    /// Bytes an hour of a new pair must read (default 1 GB).
    pub new_pair_bytes: u64,
    /// Objects an hour of a new pair must read (default 5 000).
    pub new_pair_objects: u64,
    /// A new pair must also read this times the peers' quantile, once the
    /// peers hold `min_samples` hours (default 10).
    pub peer_factor: f64,
    /// Bytes from which a hit is critical (default 10 GB).
    pub critical_bytes: u64,
    /// Objects from which a hit is critical (default 50 000).
    pub critical_objects: u64,
    /// Copies to another account in an hour that make a hit (default 1).
    pub min_copies_out: u64,
    /// Addresses of the organization outside its internal networks (NAT,
    /// VPN egress): reads from them are not from outside (default none).
    pub trusted_networks: Vec<Cidr>,
    /// Other AWS accounts of the organization or its partners: reads by
    /// them and copies to them are expected (default none).
    pub trusted_accounts: Vec<String>,
    /// Reads a principal must have made before a new external network is
    /// news (default 50).
    pub min_source_reads: u64,
    /// External networks remembered per principal (default 32).
    pub source_networks: usize,
    /// Principals never reported, exactly as shown; their reads still feed
    /// the baselines (default none).
    pub allow_principals: Vec<String>,
    /// Buckets never reported (default none).
    pub allow_buckets: Vec<String>,
    /// (principal, bucket) pairs never reported (default none).
    pub allow_pairs: Vec<AllowPair>,
    /// Seconds after a hit during which its pair reports nothing more
    /// unless the level rises (default 21 600: six hours).
    pub suppress_secs: u64,
    /// Hours with reads kept per pair (default 336: two weeks of hours).
    pub history: usize,
    /// Hours of all pairs kept for the peer view (default 10 000).
    pub peer_history: usize,
    /// Distinct object keys counted per pair and hour (default 50 000).
    pub max_keys: usize,
    /// Seconds past an hour's end before it closes, for late records and
    /// sources whose clock is behind (default 600).
    pub grace_secs: u64,
    /// Pairs tracked, and principals; the least recently seen are evicted
    /// (default 50 000).
    pub capacity: usize,
}

impl Default for Config {
    fn default() -> Config {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Config {
            read_actions: s(&["GetObject", "SelectObjectContent", "GetObjectTorrent"]),
            copy_actions: s(&["CopyObject", "UploadPartCopy"]),
            min_bytes: 100_000_000,
            min_objects: 500,
            min_samples: 24,
            min_z: 6.0,
            z_floor_bytes: 10_000_000,
            z_floor_objects: 10.0,
            quantile: 0.99,
            quantile_factor: 5.0,
            new_pair_bytes: 1_000_000_000,
            new_pair_objects: 5_000,
            peer_factor: 10.0,
            critical_bytes: 10_000_000_000,
            critical_objects: 50_000,
            min_copies_out: 1,
            trusted_networks: Vec::new(),
            trusted_accounts: Vec::new(),
            min_source_reads: 50,
            source_networks: 32,
            allow_principals: Vec::new(),
            allow_buckets: Vec::new(),
            allow_pairs: Vec::new(),
            suppress_secs: 21_600,
            history: 336,
            peer_history: 10_000,
            max_keys: 50_000,
            grace_secs: 600,
            capacity: 50_000,
        }
    }
}

/// What the analytic saw and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Object reads (and copies) counted.
    pub reads: u64,
    /// Read calls that failed (access denied, no such key): not counted.
    pub failed_reads: u64,
    /// Reads from outside the organization.
    pub outside_reads: u64,
    /// Reads from an external network new for their principal.
    pub new_sources: u64,
    /// Copies to another, untrusted account.
    pub copies_out: u64,
    /// Reads of an hour already closed (late, clock skew): dropped.
    pub late: u64,
    /// Pair-hours closed and judged.
    pub hours_closed: u64,
    /// Hours that met the thresholds but were allowlisted.
    pub allowed: u64,
    /// Hours that met the thresholds during a pair's suppression.
    pub suppressed: u64,
    /// Hits reported.
    pub hits: u64,
    /// Pairs evicted to stay within the capacity.
    pub evicted: u64,
    /// Principals' networks evicted to stay within the capacity.
    pub evicted_principals: u64,
}

/// A (principal, bucket) pair.
type Key = (Box<str>, Box<str>);

/// Recognizes the pair (`principal`, `bucket`).
fn is_pair<'a>(principal: &'a str, bucket: &'a str) -> impl Fn(&Key) -> bool + 'a {
    move |k| &*k.0 == principal && &*k.1 == bucket
}

/// The cloud object reads analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct ObjectReads {
    config: Config,
    internal: Vec<Cidr>,
    allow_principals: HashSet<String>,
    allow_buckets: HashSet<String>,
    allow_pairs: HashSet<Key>,
    pairs: Bounded<Key, Pair>,
    sources: Bounded<Box<str>, Sources>,
    raw: Raw,
    peer_bytes: Window,
    peer_objects: Window,
    latest: Option<i64>,
    closed_below: Option<i64>,
    counters: Counters,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    latest: Option<i64>,
    closed_below: Option<i64>,
    counters: Counters,
    peer_bytes: Window,
    peer_objects: Window,
    pairs: Vec<(String, String, Pair)>,
    sources: Vec<(String, Sources)>,
}

impl ObjectReads {
    /// An analytic with `config`, knowing the organization's internal
    /// networks from `ctx`.
    pub fn new(config: Config, ctx: &Context) -> ObjectReads {
        ObjectReads {
            internal: ctx.internal.clone(),
            allow_principals: config.allow_principals.iter().cloned().collect(),
            allow_buckets: config.allow_buckets.iter().cloned().collect(),
            allow_pairs: config
                .allow_pairs
                .iter()
                .map(|p| (p.principal.as_str().into(), p.bucket.as_str().into()))
                .collect(),
            pairs: Bounded::new(config.capacity),
            sources: Bounded::new(config.capacity),
            raw: Raw::new(),
            peer_bytes: Window::new(config.peer_history),
            peer_objects: Window::new(config.peer_history),
            latest: None,
            closed_below: None,
            counters: Counters::default(),
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
            evicted: self.pairs.evicted,
            evicted_principals: self.sources.evicted,
            ..self.counters
        }
    }

    /// Closes every open hour before `below` and judges it.
    fn sweep(&mut self, below: i64, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let peers = Peers::of(&self.peer_bytes, &self.peer_objects, c.quantile);
        let mut learned: Vec<(i64, Key, u64, u64)> = Vec::new();
        let mut hits = Vec::new();
        for (key, p) in self.pairs.iter_mut() {
            while let Some(h) = p.pop_before(below) {
                self.counters.hours_closed += 1;
                let allowed = self.allow_principals.contains(&*key.0)
                    || self.allow_buckets.contains(&*key.1)
                    || self.allow_pairs.contains(key);
                let k = (&*key.0, &*key.1);
                if let Some(hit) = close_hour(k, p, &h, peers, c, allowed, &mut self.counters) {
                    hits.push(hit);
                }
                learned.push((h.idx, key.clone(), h.bytes, h.objects()));
            }
        }
        // Pairs come in no particular order: sort, so that every run gives
        // the same hits and the same peer history.
        learned.sort();
        for (_, _, bytes, objects) in learned {
            self.peer_bytes.push(bytes as f64);
            self.peer_objects.push(objects as f64);
        }
        hits.sort_by(|a: &AnalyticHit, b: &AnalyticHit| {
            (a.time, &a.group).cmp(&(b.time, &b.group))
        });
        out.extend(hits);
    }

    /// Closes the hours of one pair below `below`.
    fn close_pair(
        &mut self,
        (principal, bucket): (&str, &str),
        below: i64,
        out: &mut Vec<AnalyticHit>,
    ) {
        let due = self
            .pairs
            .get_by(&(principal, bucket), is_pair(principal, bucket))
            .and_then(Pair::first_open)
            .is_some_and(|k| k < below);
        if !due {
            return;
        }
        let c = &self.config;
        let peers = Peers::of(&self.peer_bytes, &self.peer_objects, c.quantile);
        let allowed = self.allow_principals.contains(principal)
            || self.allow_buckets.contains(bucket)
            || self
                .allow_pairs
                .contains(&(Box::<str>::from(principal), Box::<str>::from(bucket)));
        let p = self.pairs.entry_with(
            &(principal, bucket),
            is_pair(principal, bucket),
            || (principal.into(), bucket.into()),
            || Pair::new(c, 0),
        );
        while let Some(h) = p.pop_before(below) {
            self.counters.hours_closed += 1;
            out.extend(close_hour(
                (principal, bucket),
                p,
                &h,
                peers,
                c,
                allowed,
                &mut self.counters,
            ));
            self.peer_bytes.push(h.bytes as f64);
            self.peer_objects.push(h.objects() as f64);
        }
    }

    /// Counts `r`, read at `ev`.
    fn count(&mut self, ev: &Event, r: Read, out: &mut Vec<AnalyticHit>) {
        let t = ev.time().as_nanos();
        let idx = t.div_euclid(HOUR_NS);
        let (principal, bucket) = (r.principal.as_str(), r.bucket.as_str());
        // The pair's own clock closes its old hours too, so that one record
        // stamped far ahead (which stops the sweeps) holds up nobody.
        let own_below = t
            .saturating_sub(secs_ns(self.config.grace_secs))
            .div_euclid(HOUR_NS);
        self.close_pair((principal, bucket), own_below, out);
        let c = &self.config;
        let p = self.pairs.entry_with(
            &(principal, bucket),
            is_pair(principal, bucket),
            || (principal.into(), bucket.into()),
            || Pair::new(c, t),
        );
        if p.closed_through.is_some_and(|x| idx <= x) {
            self.counters.late += 1;
            return;
        }
        p.last_seen = p.last_seen.max(t);
        self.counters.reads += 1;
        let at = Ev::of(ev);
        let outside_ip = match r.from {
            From::Ip(ip) if !in_any(&self.internal, ip) && !in_any(&c.trusted_networks, ip) => {
                Some(ip)
            }
            _ => None,
        };
        let src = self
            .sources
            .entry_by(principal, || principal.into(), Sources::default);
        let established = src.reads >= c.min_source_reads;
        src.reads += 1;
        let new_source = outside_ip.filter(|ip| {
            let known = src.note(network_of(*ip), t, c.source_networks);
            !known && established
        });
        let trusted = |a: &str| c.trusted_accounts.iter().any(|x| x == a);
        let foreign = r.foreign_account.filter(|a| !trusted(a));
        let copy = r.copy_out.filter(|cp| !trusted(&cp.account));
        let max_keys = c.max_keys;
        let h = p.hour(idx);
        h.add(r.key.as_deref(), r.bytes, at, max_keys);
        if h.source_ip.is_none() {
            if let From::Ip(ip) = r.from {
                h.source_ip = Some(ip);
            }
        }
        if outside_ip.is_some() {
            self.counters.outside_reads += 1;
            h.outside_reads += 1;
            h.outside_bytes = h.outside_bytes.saturating_add(r.bytes);
        }
        if let Some(ip) = new_source {
            self.counters.new_sources += 1;
            h.new_source_reads += 1;
            h.notes_mut().new_source.get_or_insert(Noted {
                what: ip.to_string(),
                ev: at,
            });
        }
        if let Some(a) = foreign {
            h.foreign_reads += 1;
            h.notes_mut()
                .foreign
                .get_or_insert(Noted { what: a, ev: at });
        }
        if let Some(cp) = copy {
            self.counters.copies_out += 1;
            h.copies_out += 1;
            h.notes_mut().copy_to.get_or_insert(Noted {
                what: format!("{} (account {})", cp.bucket, cp.account),
                ev: at,
            });
        }
    }
}

/// Judges a closed hour, learns it, and returns its hit if it has one.
fn close_hour(
    key: (&str, &str),
    p: &mut Pair,
    h: &Hour,
    peers: Peers,
    c: &Config,
    allowed: bool,
    counters: &mut Counters,
) -> Option<AnalyticHit> {
    p.closed_through = Some(p.closed_through.map_or(h.idx, |x| x.max(h.idx)));
    let v = judge(h, p, peers, c);
    p.learn(h);
    let volume = v.by_bytes || v.by_objects;
    let copy = h.copies_out > 0 && h.copies_out >= c.min_copies_out;
    let new_source = h.new_source_reads > 0;
    let foreign = h.foreign_reads > 0;
    let foreign_first = foreign && !p.foreign_noted;
    let huge = h.bytes >= c.critical_bytes || h.objects() >= c.critical_objects;
    let level = if volume || copy {
        if huge || (volume && (new_source || foreign)) {
            Level::Critical
        } else {
            Level::High
        }
    } else if new_source || foreign_first {
        Level::Medium
    } else {
        return None;
    };
    if allowed {
        counters.allowed += 1;
        return None;
    }
    p.foreign_noted |= foreign;
    let window = secs_ns(c.suppress_secs);
    if let Some((hh, lvl)) = p.last_hit {
        let since = h.idx.saturating_sub(hh).saturating_mul(HOUR_NS);
        if since < window && level <= lvl {
            counters.suppressed += 1;
            p.suppressed_hours += 1;
            p.suppressed_bytes = p.suppressed_bytes.saturating_add(h.bytes);
            p.suppressed_objects = p.suppressed_objects.saturating_add(h.objects());
            return None;
        }
    }
    let suppressed = [
        std::mem::take(&mut p.suppressed_hours),
        std::mem::take(&mut p.suppressed_bytes),
        std::mem::take(&mut p.suppressed_objects),
    ];
    p.last_hit = Some((h.idx, level));
    counters.hits += 1;
    Some(make_hit(key, h, &v, level, suppressed, c))
}

impl Analytic for ObjectReads {
    fn name(&self) -> &'static str {
        NAME
    }

    /// CloudTrail only (reads are its only clock).
    fn wants(&self, dataset: &str) -> bool {
        crate::seen::wants_dataset(dataset, &["aws.cloudtrail"])
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let r = match call_of(ev, &self.config, &self.raw) {
            Call::Read(r) => r,
            Call::Failed => {
                self.counters.failed_reads += 1;
                return;
            }
            Call::Other => return,
        };
        let t = ev.time().as_nanos();
        let latest = self.latest.map_or(t, |l| l.max(t));
        self.latest = Some(latest);
        let below = latest
            .saturating_sub(secs_ns(self.config.grace_secs))
            .div_euclid(HOUR_NS);
        if self.closed_below.is_none_or(|b| below > b) {
            self.closed_below = Some(below);
            self.sweep(below, out);
        }
        self.count(ev, r, out);
    }

    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.sweep(i64::MAX, out);
    }

    fn memory_bytes(&self) -> usize {
        let pairs: usize = self
            .pairs
            .iter()
            .map(|(k, p)| alloc_size(k.0.len()) + alloc_size(k.1.len()) + p.heap_bytes())
            .sum();
        let sources: usize = self
            .sources
            .iter()
            .map(|(k, s)| alloc_size(k.len()) + s.heap_bytes())
            .sum();
        let allow: usize = self
            .allow_pairs
            .iter()
            .map(|p| p.0.len() + p.1.len() + 40)
            .chain(
                self.allow_principals
                    .iter()
                    .chain(self.allow_buckets.iter())
                    .map(|s| s.capacity() + 32),
            )
            .sum();
        std::mem::size_of::<ObjectReads>()
            + self.pairs.heap_bytes()
            + pairs
            + self.sources.heap_bytes()
            + sources
            + allow
            + self.peer_bytes.heap_bytes()
            + self.peer_objects.heap_bytes()
    }

    fn entities(&self) -> usize {
        self.pairs.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            latest: Option<i64>,
            closed_below: Option<i64>,
            counters: Counters,
            peer_bytes: &'a Window,
            peer_objects: &'a Window,
            /// Least recently seen first.
            pairs: Vec<(&'a str, &'a str, &'a Pair)>,
            sources: Vec<(&'a str, &'a Sources)>,
        }
        let saved = SavedRef {
            version: VERSION,
            latest: self.latest,
            closed_below: self.closed_below,
            counters: self.counters(),
            peer_bytes: &self.peer_bytes,
            peer_objects: &self.peer_objects,
            pairs: self
                .pairs
                .iter_oldest_first()
                .map(|(k, p)| (&*k.0, &*k.1, p))
                .collect(),
            sources: self
                .sources
                .iter_oldest_first()
                .map(|(k, s)| (&**k, s))
                .collect(),
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        // Version 1 (open hours as a map, notes inline, networks as text)
        // reads into this layout.
        let saved: Saved =
            crate::hit::load_state(NAME, state, &[VERSION, 1], |s: &Saved| s.version)?;
        // Saved least recently seen first: the eviction order survives.
        let cap = self.config.capacity;
        let mut pairs = Bounded::from_oldest_first(
            cap,
            saved
                .pairs
                .into_iter()
                .map(|(p, b, x)| ((p.into(), b.into()), x)),
        );
        pairs.evicted += saved.counters.evicted;
        let mut sources =
            Bounded::from_oldest_first(cap, saved.sources.into_iter().map(|(p, s)| (p.into(), s)));
        sources.evicted += saved.counters.evicted_principals;
        self.pairs = pairs;
        self.sources = sources;
        self.peer_bytes = saved.peer_bytes;
        self.peer_objects = saved.peer_objects;
        self.latest = saved.latest;
        self.closed_below = saved.closed_below;
        self.counters = saved.counters;
        Ok(())
    }
}
