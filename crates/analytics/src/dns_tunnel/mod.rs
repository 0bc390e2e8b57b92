//! DNS tunnelling: a client that sends many distinct, long or random
//! subdomains (or mostly TXT/NULL queries) to one registered domain is
//! carrying data in query names (ATT&CK T1048, T1071.004).
//!
//! State is kept per (client, registered domain) over a sliding window
//! ([`Config::window_secs`], sliding in sixths). A window *qualifies* when
//! it holds at least [`Config::min_queries`] queries and either
//!
//! - at least [`Config::min_distinct`] distinct subdomains whose mean
//!   Shannon entropy is at least [`Config::min_entropy`] bits per byte or
//!   whose mean length is at least [`Config::min_label_len`] bytes, or
//! - at least [`Config::min_txt`] TXT/NULL queries making up at least
//!   [`Config::txt_share`] of its queries, with at least
//!   [`Config::min_txt_distinct`] distinct subdomains.
//!
//! The first qualifying window opens a *burst*; the burst closes, and one
//! hit is reported, once the pair has gone [`Config::suppress_secs`]
//! without a qualifying window (or at the end of the input). The hit is
//! `high`, `critical` when the burst carried more than
//! [`Config::critical_bytes`] bytes of query names.
//!
//! Only queries move the clock, so the events of phiwatch's own datasets
//! that never hold one (connections, web, database, identity logs) are not
//! looked at ([`Analytic::wants`]); any other dataset is. A pair that
//! queried a few names takes about 300 bytes: only the slots with queries
//! are kept, and the subdomain hashes in a short list until they are
//! many.
//!
//! ```
//! use phiwatch_analytics::dns_tunnel::{Config, DnsTunnel};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let mut a = DnsTunnel::new(Config::default());
//! let mut hits = Vec::new();
//! for i in 0..200i64 {
//!     let mut ev = Event::new(Timestamp::from_secs(1_000 + i).unwrap());
//!     ev.push_norm(keys::SOURCE_IP, Value::Ip("10.0.0.5".parse().unwrap()));
//!     let label = format!("{:016x}{:016x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15), i * 7);
//!     ev.push_norm_str(keys::DNS_QUESTION_NAME, &format!("{label}.t.exfil.example"));
//!     a.observe(&ev, &mut hits);
//! }
//! a.finish(&mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].group["domain"], "exfil.example");
//! ```

mod name;
mod window;

use std::collections::BTreeMap;
use std::net::IpAddr;

use foldhash::HashSet;
use phiwatch_event::{keys, Event};
use phiwatch_finding::{Entity, Level};
use serde::{Deserialize, Serialize};

use std::fmt::Write as _;

use crate::state::{alloc_size, Bounded};
use crate::{Analytic, AnalyticHit, StateError};
use name::{is_txt, normalize, normalize_into, split, Facts};
use window::{Burst, DomainWindow, Params, Totals, SLOTS};

use crate::seen::Ev;

const NAME: &str = "dns-tunnel";
const NANOS: i64 = 1_000_000_000;
const TAGS: [&str; 4] = [
    "attack.exfiltration",
    "attack.t1048",
    "attack.command-and-control",
    "attack.t1071.004",
];

/// Thresholds and sizes of [`DnsTunnel`]; every field has a default
/// (`#[serde(default)]`), and every threshold is repeated in the hit's
/// metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Length of the sliding window, seconds (default 3600).
    pub window_secs: u64,
    /// Distinct subdomains of one domain from one client in a window
    /// (default 50).
    pub min_distinct: u64,
    /// Mean Shannon entropy of the subdomain parts, bits per byte
    /// (default 3.5; English hostnames stay below 3, base32/hex/base64
    /// payloads are above 4).
    pub min_entropy: f64,
    /// Mean length of the subdomain parts, bytes (default 30).
    pub min_label_len: f64,
    /// Share of TXT/NULL queries (default 0.5).
    pub txt_share: f64,
    /// TXT/NULL queries in a window for the TXT path (default 20).
    pub min_txt: u64,
    /// Distinct subdomains for the TXT path (default 10), so that a client
    /// polling one TXT record (SPF, a vendor's configuration) does not fire.
    pub min_txt_distinct: u64,
    /// Queries in a window below which nothing is reported (default 20).
    pub min_queries: u64,
    /// Query-name bytes in a burst above which the hit is critical
    /// (default 100 000).
    pub critical_bytes: u64,
    /// Quiet time (no qualifying window) that ends a burst; one hit per
    /// burst (default 3600).
    pub suppress_secs: u64,
    /// Domains never reported (a name equal to or below one of them):
    /// none by default. Typical entries are services that encode data in
    /// names by design: anti-virus reputation lookups (`sophosxl.net`,
    /// `mcafee.com` GTI), CDN and telemetry endpoints (`akamaiedge.net`,
    /// `cloudfront.net`), DNSBLs (`spamhaus.org`).
    pub allowlist: Vec<String>,
    /// Skip reverse lookups under `.arpa` (default true): `ip6.arpa` PTR
    /// names are long and varied by nature.
    pub skip_reverse: bool,
    /// (client, domain) pairs tracked; the least recently seen are evicted
    /// (default 100 000).
    pub capacity: usize,
    /// Subdomain hashes tracked per pair; past it the distinct count is
    /// estimated from a sample of hashes (default 4096).
    pub max_subdomains: usize,
    /// Events kept as evidence per hit (default 5).
    pub evidence: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            window_secs: 3600,
            min_distinct: 50,
            min_entropy: 3.5,
            min_label_len: 30.0,
            txt_share: 0.5,
            min_txt: 20,
            min_txt_distinct: 10,
            min_queries: 20,
            critical_bytes: 100_000,
            suppress_secs: 3600,
            allowlist: Vec::new(),
            skip_reverse: true,
            capacity: 100_000,
            max_subdomains: 4096,
            evidence: 5,
        }
    }
}

/// The DNS tunnelling analytic (see the [module docs](self)).
#[derive(Debug)]
pub struct DnsTunnel {
    config: Config,
    allow: HashSet<String>,
    params: Params,
    /// Keyed by `"<client> <domain>"` (a client never holds a space).
    pairs: Bounded<Box<str>, DomainWindow>,
    /// Buffers for the normalized query name and the pair's key, so that
    /// a query allocates nothing.
    name_buf: String,
    key_buf: String,
    /// Latest event time seen (ns).
    clock: i64,
    /// Clock at which the next sweep for quiet bursts runs (ns).
    next_sweep: i64,
}

/// The state to save.
#[derive(Serialize)]
struct SavedRef<'a> {
    slot_ns: i64,
    clock: i64,
    next_sweep: i64,
    pairs: &'a Bounded<Box<str>, DomainWindow>,
}

/// The saved state, read back.
#[derive(Deserialize)]
struct Saved {
    slot_ns: i64,
    clock: i64,
    next_sweep: i64,
    pairs: Bounded<Box<str>, DomainWindow>,
}

impl DnsTunnel {
    /// An analytic with `config`.
    pub fn new(config: Config) -> DnsTunnel {
        let allow = config
            .allowlist
            .iter()
            .filter_map(|d| normalize(d))
            .collect();
        let window_ns = i64::try_from(config.window_secs)
            .unwrap_or(i64::MAX / NANOS)
            .clamp(SLOTS, i64::MAX / NANOS)
            * NANOS;
        let params = Params {
            slot_ns: window_ns / SLOTS,
            max_subdomains: config.max_subdomains,
            evidence: config.evidence,
        };
        DnsTunnel {
            pairs: Bounded::new(config.capacity),
            name_buf: String::new(),
            key_buf: String::new(),
            allow,
            params,
            clock: i64::MIN,
            next_sweep: i64::MIN,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Pairs evicted to stay within [`Config::capacity`].
    pub fn evicted(&self) -> u64 {
        self.pairs.evicted
    }

    fn suppress_ns(&self) -> i64 {
        i64::try_from(self.config.suppress_secs)
            .unwrap_or(i64::MAX)
            .saturating_mul(NANOS)
    }

    fn allowed(&self, name: &str) -> bool {
        if self.allow.is_empty() {
            return false;
        }
        let mut rest = name;
        loop {
            if self.allow.contains(rest) {
                return true;
            }
            match rest.find('.') {
                Some(i) => rest = &rest[i + 1..],
                None => return false,
            }
        }
    }

    /// Closes the bursts quiet for the suppression time (all of them when
    /// `all`) and drops pairs whose window is empty.
    fn sweep(&mut self, all: bool, out: &mut Vec<AnalyticHit>) {
        let quiet_before = self.clock.saturating_sub(self.suppress_ns());
        let now_slot = self.clock.div_euclid(self.params.slot_ns);
        let mut hits = Vec::new();
        for (key, w) in self.pairs.iter_mut() {
            if let Some(b) = w
                .burst
                .take_if(|b| all || b.last_qualifying_ns < quiet_before)
            {
                hits.push(make_hit(&self.config, key, *b));
            }
        }
        self.pairs
            .retain(|_, w| w.burst.is_some() || !w.is_stale(now_slot));
        hits.sort_by(|a, b| (a.time, &a.group).cmp(&(b.time, &b.group)));
        out.extend(hits);
    }
}

/// Which paths a window qualifies by: (names, txt).
fn judge(t: &Totals, c: &Config) -> (bool, bool) {
    if t.queries < c.min_queries {
        return (false, false);
    }
    let by_names = t.distinct >= c.min_distinct
        && (t.mean_entropy() >= c.min_entropy || t.mean_len() >= c.min_label_len);
    let by_txt =
        t.txt >= c.min_txt && t.txt_share() >= c.txt_share && t.distinct >= c.min_txt_distinct;
    (by_names, by_txt)
}

/// Writes the client of a DNS event to `out`: `source.ip`, else
/// `host.name` (spaces as `_`), else `-`.
fn client_of(ev: &Event, out: &mut String) {
    if let Some(ip) = ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip()) {
        let _ = write!(out, "{ip}");
        return;
    }
    match ev.get(keys::HOST_NAME).and_then(|v| v.as_str()) {
        Some(h) if !h.trim().is_empty() => {
            out.extend(h.trim().chars().map(|c| if c == ' ' { '_' } else { c }));
        }
        _ => out.push('-'),
    }
}

fn make_hit(c: &Config, key: &str, b: Burst) -> AnalyticHit {
    let (client, domain) = key.split_once(' ').unwrap_or(("-", key));
    let t = &b.totals;
    let level = if t.bytes > c.critical_bytes {
        Level::Critical
    } else {
        Level::High
    };
    let entity = match client.parse::<IpAddr>() {
        Ok(_) => Entity {
            ip: Some(client.to_string()),
            ..Entity::default()
        },
        Err(_) if client != "-" => Entity {
            host: Some(client.to_string()),
            ..Entity::default()
        },
        Err(_) => Entity::default(),
    };
    let metrics: BTreeMap<String, f64> = [
        ("distinct_subdomains", t.distinct as f64),
        ("peak_window_distinct", b.peak_distinct as f64),
        ("queries", t.queries as f64),
        ("txt_queries", t.txt as f64),
        ("txt_share", t.txt_share()),
        ("mean_entropy", t.mean_entropy()),
        ("mean_subdomain_len", t.mean_len()),
        ("max_label_len", t.max_label as f64),
        ("bytes_out", t.bytes as f64),
        ("by_names", f64::from(u8::from(b.by_names))),
        ("by_txt", f64::from(u8::from(b.by_txt))),
        ("window_secs", c.window_secs as f64),
        ("min_distinct", c.min_distinct as f64),
        ("min_entropy", c.min_entropy),
        ("min_label_len", c.min_label_len),
        ("txt_share_min", c.txt_share),
        ("min_txt", c.min_txt as f64),
        ("min_txt_distinct", c.min_txt_distinct as f64),
        ("min_queries", c.min_queries as f64),
        ("critical_bytes", c.critical_bytes as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let group = [("domain", domain), ("client", client)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let evidence: Vec<_> = b.evidence.iter().map(|e| e.to_pair()).collect();
    AnalyticHit {
        analytic: NAME,
        title: format!(
            "DNS tunnelling from {client} to {domain}: {} distinct subdomains, {} bytes in query names",
            t.distinct, t.bytes
        ),
        level,
        time: phiwatch_event::Timestamp::from_nanos(t.first_ns),
        end_time: phiwatch_event::Timestamp::from_nanos(t.last_ns),
        entity,
        tags: TAGS.iter().map(|s| s.to_string()).collect(),
        metrics,
        group,
        evidence,
    }
}

/// phiwatch's datasets whose events may carry `dns.question.name` (Windows
/// DNS queries among them).
const DNS_DATASETS: &[&str] = &[
    "zeek.dns",
    "suricata.dns",
    "windows.application",
    "windows.other",
    "windows.powershell",
    "windows.security",
    "windows.sysmon",
    "windows.system",
];

impl Analytic for DnsTunnel {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Only queries move its clock: datasets of phiwatch's without them
    /// are passed over.
    fn wants(&self, dataset: &str) -> bool {
        crate::seen::wants_dataset(dataset, DNS_DATASETS)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        let Some(raw) = ev.get(keys::DNS_QUESTION_NAME).and_then(|v| v.as_str()) else {
            return;
        };
        let mut name = std::mem::take(&mut self.name_buf);
        let mut key = std::mem::take(&mut self.key_buf);
        if normalize_into(raw, &mut name) {
            self.query(ev, &name, &mut key, out);
        }
        self.name_buf = name;
        self.key_buf = key;
    }
    fn finish(&mut self, out: &mut Vec<AnalyticHit>) {
        self.sweep(true, out);
    }

    fn memory_bytes(&self) -> usize {
        self.pairs.heap_bytes()
            + self
                .pairs
                .iter()
                .map(|(k, w)| alloc_size(k.len()) + w.heap_bytes())
                .sum::<usize>()
            + self
                .allow
                .iter()
                .map(|d| alloc_size(d.capacity()) + 32)
                .sum::<usize>()
            + alloc_size(self.name_buf.capacity())
            + alloc_size(self.key_buf.capacity())
            + std::mem::size_of::<DnsTunnel>()
    }

    fn entities(&self) -> usize {
        self.pairs.len()
    }

    fn save(&self) -> serde_json::Value {
        let saved = SavedRef {
            slot_ns: self.params.slot_ns,
            clock: self.clock,
            next_sweep: self.next_sweep,
            pairs: &self.pairs,
        };
        // Keys are strings and numbers are finite: serializing cannot fail.
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let invalid = |reason: String| StateError::Invalid {
            analytic: NAME,
            reason,
        };
        let s = Saved::deserialize(state).map_err(|e| invalid(e.to_string()))?;
        if s.slot_ns != self.params.slot_ns {
            return Err(invalid(format!(
                "saved with a window of {} s, configured {} s",
                s.slot_ns * SLOTS / NANOS,
                self.params.slot_ns * SLOTS / NANOS
            )));
        }
        self.clock = s.clock;
        self.next_sweep = s.next_sweep;
        self.pairs = s.pairs;
        Ok(())
    }
}

impl DnsTunnel {
    /// One query for the normalized `name`; `key` is a buffer for the
    /// pair's key.
    fn query(&mut self, ev: &Event, name: &str, key: &mut String, out: &mut Vec<AnalyticHit>) {
        if (self.config.skip_reverse && (name == "arpa" || name.ends_with(".arpa")))
            || self.allowed(name)
        {
            return;
        }
        let t = ev.time().as_nanos();
        self.clock = self.clock.max(t);
        if self.clock >= self.next_sweep {
            self.sweep(false, out);
            self.next_sweep = self.clock.saturating_add(self.params.slot_ns);
        }
        let parts = split(name);
        let facts = Facts::of(name, parts, is_txt(ev.get(keys::DNS_QUESTION_TYPE)));
        key.clear();
        client_of(ev, key);
        key.push(' ');
        key.push_str(parts.base);
        let key = key.as_str();
        let suppress_ns = self.suppress_ns();
        let w = self.pairs.entry_by(key, || key.into(), DomainWindow::new);
        // A burst whose pair went quiet closes before this query counts.
        if let Some(b) = w
            .burst
            .take_if(|b| t.saturating_sub(b.last_qualifying_ns) > suppress_ns)
        {
            out.push(make_hit(&self.config, key, *b));
        }
        let added = w.add(t, &facts, Ev::of(ev), self.params);
        if let Some(b) = &mut w.burst {
            b.totals.add(&facts, t);
            b.totals.distinct += added;
            if b.evidence.len() < self.params.evidence {
                b.evidence.push(Ev::of(ev));
            }
        }
        let totals = w.totals();
        let (by_names, by_txt) = judge(&totals, &self.config);
        if !(by_names || by_txt) {
            return;
        }
        match &mut w.burst {
            Some(b) => {
                b.last_qualifying_ns = b.last_qualifying_ns.max(t);
                b.peak_distinct = b.peak_distinct.max(totals.distinct);
                b.by_names |= by_names;
                b.by_txt |= by_txt;
            }
            None => {
                w.burst = Some(Box::new(Burst {
                    evidence: w.evidence(self.params.evidence),
                    last_qualifying_ns: t,
                    peak_distinct: totals.distinct,
                    by_names,
                    by_txt,
                    totals,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests;
