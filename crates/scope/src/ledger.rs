//! Collecting the ledger from events: the accesses to silos, the hourly
//! flows from inside to outside, and which kinds of log had records in
//! which hours (for the data gaps). `hunt --store` keeps it; `scope` over
//! logs builds the scope from it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use phiwatch_analytics::net::{default_internal, in_any, Cidr};
use phiwatch_event::{keys, Event, Timestamp};
use phiwatch_inventory::Inventory;
use serde::{Deserialize, Serialize};

use crate::access::{access_of, text, Access};

const HOUR_NS: i64 = 3_600 * 1_000_000_000;

/// Bytes sent from one inside address to one outside address in one UTC
/// hour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// Start of the hour.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub hour: Timestamp,
    /// First connection in the hour.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub first: Timestamp,
    /// Last connection in the hour.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub last: Timestamp,
    /// The inside address.
    pub src: Option<IpAddr>,
    /// The outside address.
    pub dst: Option<IpAddr>,
    /// The host name of the inside address, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Bytes sent out.
    pub bytes: u64,
    /// Connections.
    pub connections: u64,
    /// Names seen for the outside address (TLS SNI, HTTP host).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The first connection record (`path:line`).
    pub source: String,
}

/// Notes that logs of `kind` had a record in `hour` (allocating the kind
/// only the first time).
pub(crate) fn note_hour(coverage: &mut BTreeMap<String, BTreeSet<i64>>, kind: &str, hour: i64) {
    match coverage.get_mut(kind) {
        Some(h) => {
            h.insert(hour);
        }
        None => {
            coverage.insert(kind.to_string(), BTreeSet::from([hour]));
        }
    }
}

/// Accesses, flows and coverage collected from events.
#[derive(Debug)]
pub struct Ledger {
    internal: Vec<Cidr>,
    /// Accesses to silos, in the order seen.
    pub accesses: Vec<Access>,
    flows: HashMap<(IpAddr, IpAddr, i64), Flow>,
    names: HashMap<IpAddr, BTreeSet<String>>,
    /// Per kind of log (`event.module`), the hours (since the epoch) with
    /// records.
    pub coverage: BTreeMap<String, BTreeSet<i64>>,
    last: Option<Timestamp>,
}

impl Ledger {
    /// An empty ledger; `internal` networks (default: the non-Internet
    /// ranges) tell outside from inside.
    pub fn new(internal: Vec<Cidr>) -> Ledger {
        Ledger {
            internal: if internal.is_empty() {
                default_internal()
            } else {
                internal
            },
            accesses: Vec::new(),
            flows: HashMap::new(),
            names: HashMap::new(),
            coverage: BTreeMap::new(),
            last: None,
        }
    }

    /// Takes one event; `source` gives its `path:line`.
    pub fn observe(&mut self, ev: &Event, inv: &Inventory, source: impl Fn() -> String) {
        self.last = Some(self.last.map_or(ev.time(), |l| l.max(ev.time())));
        let hour = ev.time().as_nanos().div_euclid(HOUR_NS);
        if let Some(kind) = text(ev, keys::EVENT_MODULE) {
            note_hour(&mut self.coverage, kind, hour);
        }
        if let Some(a) = access_of(ev, inv, &source) {
            self.accesses.push(a);
            return;
        }
        self.flow(ev, hour, &source);
    }

    fn flow(&mut self, ev: &Event, hour: i64, source: &impl Fn() -> String) {
        let (Some(src), Some(dst)) = (
            ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip()),
            ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip()),
        ) else {
            return;
        };
        if in_any(&self.internal, dst) || !in_any(&self.internal, src) {
            return;
        }
        if let Some(n) = text(ev, keys::TLS_CLIENT_SERVER_NAME)
            .or_else(|| text(ev, keys::URL_DOMAIN))
            .or_else(|| text(ev, keys::DESTINATION_DOMAIN))
        {
            let n = n.to_ascii_lowercase();
            if !self.names.get(&dst).is_some_and(|s| s.contains(&n)) {
                self.names.entry(dst).or_default().insert(n);
            }
        }
        // Connection records carry the bytes; TLS and HTTP records of the
        // same connection only names.
        let Some(bytes) = ev
            .get(keys::SOURCE_BYTES)
            .and_then(|v| v.as_i64())
            .and_then(|b| u64::try_from(b).ok())
        else {
            return;
        };
        let t = ev.time();
        let f = self.flows.entry((src, dst, hour)).or_insert_with(|| Flow {
            hour: Timestamp::from_nanos(hour.saturating_mul(HOUR_NS)),
            first: t,
            last: t,
            src: Some(src),
            dst: Some(dst),
            host: text(ev, keys::HOST_NAME).map(str::to_string),
            source: source(),
            ..Flow::default()
        });
        f.bytes += bytes;
        f.connections += 1;
        f.first = f.first.min(t);
        f.last = f.last.max(t);
    }

    /// The time of the latest event seen.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.last
    }

    /// The flows, with the names seen for their destinations, in time
    /// order.
    pub fn flows(&self) -> Vec<Flow> {
        let mut out: Vec<Flow> = self
            .flows
            .values()
            .map(|f| {
                let mut f = f.clone();
                if let Some(n) = f.dst.and_then(|d| self.names.get(&d)) {
                    f.names = n.iter().cloned().collect();
                }
                f
            })
            .collect();
        out.sort_by(|a, b| {
            (a.hour, a.src, a.dst)
                .partial_cmp(&(b.hour, b.src, b.dst))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        out
    }
}
