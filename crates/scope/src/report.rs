//! The scope report: the JSON of `phiwatch scope` (PRODUCT.md's contract:
//! `silos[]`, `individuals`, `categories`, `exfiltration`, `timeline[]`;
//! the CLI adds `hipaa`) and what phiwatch adds to it.

use std::collections::BTreeMap;

use phiwatch_event::Timestamp;
use phiwatch_finding::{Tactic, Technique};
use serde::{Deserialize, Serialize};

/// The scope of a breach window and its actors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// The window examined.
    pub window: Window,
    /// The actors (`user:…`, `ip:…`, `host:…`); empty: everyone.
    pub actors: Vec<String>,
    /// The incident scoped, when it was given by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// Silos the actors accessed, by name.
    pub silos: Vec<SiloScope>,
    /// The affected individuals, deduplicated across silos.
    pub individuals: Individuals,
    /// PHI categories involved (union of the accessed silos').
    pub categories: Vec<String>,
    /// Bytes that left, and where to.
    pub exfiltration: Exfiltration,
    /// Accesses, egress and findings, merged in time order.
    pub timeline: Vec<TimelineEntry>,
    /// ATT&CK tactics and techniques of the findings in scope.
    pub attack: AttackChain,
    /// External addresses and names the actors used (for sharing).
    pub iocs: Vec<Ioc>,
    /// Where the logs are silent: per kind of log, the hours of the window
    /// without a record.
    pub data_gaps: Vec<DataGap>,
    /// Counts behind the report.
    pub totals: Totals,
    /// What the officer should look at: reads that could not be tied to
    /// patients, ids not in the patient lists, silos without a list.
    pub review: Vec<String>,
}

/// A time window (inclusive).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start (RFC 3339).
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub from: Timestamp,
    /// End (RFC 3339).
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub to: Timestamp,
}

/// One silo's part of the scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiloScope {
    /// Name from the inventory.
    pub name: String,
    /// `table`, `bucket`, `path` or `api`.
    pub kind: String,
    /// PHI categories it holds.
    pub categories: Vec<String>,
    /// Records accessed: the silo's patients in scope (all of them after
    /// a bulk read), plus named records missing from its patient list.
    pub records_accessed: u64,
    /// Patients of its list in scope.
    pub patients: u64,
    /// Whether a bulk read reached the whole silo.
    pub bulk: bool,
    /// Access records (log lines) in scope.
    pub accesses: u64,
    /// Accesses that could not be tied to patients.
    pub unresolved: u64,
    /// Rows or resources returned, where the logs say.
    pub rows: u64,
    /// Bytes returned, where the logs say.
    pub bytes: u64,
    /// Who accessed it (users and addresses as logged).
    pub actors: Vec<String>,
    /// First access in scope.
    #[serde(with = "opt_time", default)]
    pub first: Option<Timestamp>,
    /// Last access in scope.
    #[serde(with = "opt_time", default)]
    pub last: Option<Timestamp>,
    /// Some of the records behind it (`path:line`): first and last.
    pub evidence: Vec<String>,
}

/// The affected individuals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Individuals {
    /// Distinct patients.
    pub total: u64,
    /// Per state of residence (`unknown` when the list has none).
    pub by_state: BTreeMap<String, u64>,
    /// Of them, deceased.
    pub deceased: u64,
    /// Living, without current contact details on file.
    pub without_contact: u64,
    /// Deceased, without contact details for next of kin on file.
    #[serde(default)]
    pub deceased_without_contact: u64,
}

/// Data that left.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Exfiltration {
    /// Bytes sent by the actors to addresses outside the organization.
    pub bytes: u64,
    /// Per destination, most bytes first.
    pub destinations: Vec<Destination>,
}

/// One destination outside.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// Address.
    pub address: String,
    /// Names seen for it (TLS SNI, HTTP host, DNS answers).
    pub names: Vec<String>,
    /// Bytes sent to it.
    pub bytes: u64,
    /// Connections.
    pub connections: u64,
    /// First connection.
    #[serde(with = "opt_time", default)]
    pub first: Option<Timestamp>,
    /// Last connection.
    #[serde(with = "opt_time", default)]
    pub last: Option<Timestamp>,
}

/// One line of the timeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Start.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub time: Timestamp,
    /// End.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub end_time: Timestamp,
    /// `access`, `egress` or a finding's detector (`sigma`, `analytics`,
    /// `incident`, …).
    pub kind: String,
    /// What happened, without PHI.
    pub title: String,
    /// Who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The silo, for accesses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silo: Option<String>,
    /// A finding's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// A finding's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// ATT&CK tactic ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<String>,
    /// Records merged into this line.
    pub count: u64,
    /// Records behind it (`path:line`): first and last.
    pub evidence: Vec<String>,
}

/// The ATT&CK chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttackChain {
    /// Tactics in kill-chain order of first appearance.
    pub tactics: Vec<Tactic>,
    /// Techniques.
    pub techniques: Vec<Technique>,
}

/// An indicator.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ioc {
    /// `ipv4`, `ipv6` or `domain`.
    pub kind: String,
    /// The value.
    pub value: String,
    /// Why it is one.
    pub context: String,
}

/// A stretch of the window without records of one kind of log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataGap {
    /// The kind of log (`event.module`: `zeek`, `postgresql`, …).
    pub source: String,
    /// Start of the silence.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub from: Timestamp,
    /// End of the silence.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub to: Timestamp,
    /// Hours without a record.
    pub hours: u64,
}

/// Counts behind the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Events read.
    pub events: u64,
    /// Of them, in the window.
    pub in_window: u64,
    /// Accesses to silos in the window (all actors).
    pub accesses: u64,
    /// Accesses by the actors.
    pub accesses_in_scope: u64,
    /// Of them, not tied to patients.
    pub unresolved: u64,
    /// Findings considered, and in scope.
    pub findings: u64,
    /// Findings in scope.
    pub findings_in_scope: u64,
}

/// `Option<Timestamp>` as an RFC 3339 string or null.
pub mod opt_time {
    use phiwatch_event::Timestamp;
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Writes the time or null.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.to_rfc3339()),
            None => s.serialize_none(),
        }
    }

    /// Reads a time or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let s = <Option<String>>::deserialize(d)?;
        s.map(|s| {
            Timestamp::parse_rfc3339(s.as_bytes())
                .ok_or_else(|| de::Error::custom(format!("not an RFC 3339 time: {s:?}")))
        })
        .transpose()
    }
}
