//! The finding record: what every detector emits and `phiwatch hunt` prints.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use phiwatch_event::Timestamp;
use serde::{Deserialize, Serialize};

use crate::id::Fnv128;
use crate::ParseError;

/// One detection: the public record behind every output format.
///
/// JSON shape (`jsonl`, one object per line) — the contract users script
/// against; extra keys may be added, these are never removed:
///
/// ```json
/// {"id":"<32 hex>","time":"2026-11-28T10:00:00.000000Z","end_time":"…",
///  "detector":"sigma","rule":{"id":"…","title":"…","level":"high"},
///  "attack":{"tactics":[{"id":"TA0010","name":"Exfiltration","shortname":"exfiltration"}],
///            "techniques":[{"id":"T1567.002","name":"Exfiltration to Cloud Storage"}]},
///  "entity":{"user":"alice","host":"ws1","ip":"10.0.0.5"},
///  "score":0.75,"summary":"…",
///  "evidence":[{"source":"logs/conn.log:17","time":"…"}],
///  "metrics":{"bytes":1.2e9},"tags":["attack.exfiltration"],"group":{"user":"alice"}}
/// ```
///
/// Times are RFC 3339 UTC ([`Timestamp::to_rfc3339`]). `entity` omits the
/// keys it does not know; `group` is omitted when empty. A non-finite number
/// in `score` or `metrics` serializes as `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: same input, same id (see [`Finding::stable_id`]).
    pub id: String,
    /// When the activity began (first evidence).
    #[serde(with = "rfc3339")]
    pub time: Timestamp,
    /// When it ended (last evidence); equal to `time` for a single event.
    #[serde(with = "rfc3339")]
    pub end_time: Timestamp,
    /// Which kind of detector produced it.
    pub detector: Detector,
    /// The rule or analytic that fired.
    pub rule: RuleRef,
    /// ATT&CK tactics and techniques.
    pub attack: Attack,
    /// Who and where.
    pub entity: Entity,
    /// Confidence/severity in `0..=1`; [`Level::score`] when the detector has
    /// no better number.
    pub score: f64,
    /// One human sentence.
    pub summary: String,
    /// The records behind the decision.
    pub evidence: Vec<Evidence>,
    /// The numbers behind the decision (`bytes`, `rows`, `baseline`, `z`, …).
    pub metrics: BTreeMap<String, f64>,
    /// The rule's raw tags (extra).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Correlation group-by values (extra; omitted when empty).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub group: BTreeMap<String, String>,
}

impl Finding {
    /// A finding with `end_time = time`, `score = rule.level.score()`, no
    /// ATT&CK, entity, evidence or metrics, and the stable id of
    /// (detector, rule id, time). Fill the public fields, then call
    /// [`Finding::refresh_id`] once group and evidence are known.
    pub fn new(detector: Detector, rule: RuleRef, time: Timestamp) -> Finding {
        let mut f = Finding {
            id: String::new(),
            time,
            end_time: time,
            detector,
            score: rule.level.score(),
            rule,
            attack: Attack::default(),
            entity: Entity::default(),
            summary: String::new(),
            evidence: Vec::new(),
            metrics: BTreeMap::new(),
            tags: Vec::new(),
            group: BTreeMap::new(),
        };
        f.refresh_id();
        f
    }

    /// A deterministic id from (detector, rule id, group values, first
    /// evidence source, time): FNV-1a 128 over a length-prefixed encoding,
    /// as 32 lower-case hex digits. The same on every run, machine and Rust
    /// version. Not a cryptographic hash: it names findings, it does not
    /// authenticate them.
    pub fn stable_id(
        detector: Detector,
        rule_id: &str,
        group: &BTreeMap<String, String>,
        first_evidence: Option<&str>,
        time: Timestamp,
    ) -> String {
        let mut h = Fnv128::new();
        h.field(b"phiwatch-finding-id/v1");
        h.field(detector.as_str().as_bytes());
        h.field(rule_id.as_bytes());
        h.field(&(group.len() as u64).to_le_bytes());
        for (k, v) in group {
            h.field(k.as_bytes());
            h.field(v.as_bytes());
        }
        match first_evidence {
            Some(s) => {
                h.field(b"E");
                h.field(s.as_bytes());
            }
            None => h.field(b"-"),
        }
        h.field(&time.as_nanos().to_le_bytes());
        format!("{:032x}", h.finish())
    }

    /// [`Finding::stable_id`] of this finding's own fields.
    pub fn derived_id(&self) -> String {
        let first = self.evidence.first().map(|e| e.source.as_str());
        Finding::stable_id(self.detector, &self.rule.id, &self.group, first, self.time)
    }

    /// Sets `id` to [`Finding::derived_id`].
    pub fn refresh_id(&mut self) {
        self.id = self.derived_id();
    }
}

/// The kind of detector behind a finding; serialized in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    /// A single-event Sigma rule.
    Sigma,
    /// A Sigma correlation rule.
    Correlation,
    /// A statistical analytic (baselines, volumes).
    Analytics,
    /// Patient-data (PHI) exposure detection.
    Phi,
    /// An indicator-of-compromise match.
    Ioc,
    /// An incident assembled from other findings.
    Incident,
}

impl Detector {
    /// Every detector, in declaration order.
    pub const ALL: [Detector; 6] = [
        Detector::Sigma,
        Detector::Correlation,
        Detector::Analytics,
        Detector::Phi,
        Detector::Ioc,
        Detector::Incident,
    ];

    /// The lower-case name (`sigma`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::Sigma => "sigma",
            Detector::Correlation => "correlation",
            Detector::Analytics => "analytics",
            Detector::Phi => "phi",
            Detector::Ioc => "ioc",
            Detector::Incident => "incident",
        }
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Detector {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Detector::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseError::Detector(s.to_owned()))
    }
}

/// Severity, as in Sigma's `level`; ordered from informational to critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    /// Every level, from informational to critical.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The default score for a detector without a better number:
    /// informational 0.1, low 0.3, medium 0.5, high 0.75, critical 0.95.
    pub fn score(self) -> f64 {
        match self {
            Level::Informational => 0.1,
            Level::Low => 0.3,
            Level::Medium => 0.5,
            Level::High => 0.75,
            Level::Critical => 0.95,
        }
    }

    /// OCSF `severity_id`: informational 1, low 2, medium 3, high 4,
    /// critical 5.
    pub fn ocsf_severity_id(self) -> u8 {
        match self {
            Level::Informational => 1,
            Level::Low => 2,
            Level::Medium => 3,
            Level::High => 4,
            Level::Critical => 5,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = ParseError;
    /// Parses a Sigma level, in any case; `info` is read as informational.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.eq_ignore_ascii_case("info") {
            return Ok(Level::Informational);
        }
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseError::Level(s.to_owned()))
    }
}

/// The rule or analytic that produced a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The rule's id (a Sigma UUID, or a built-in analytic's name).
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's level.
    pub level: Level,
    /// The rule's author (extra; kept with matches as the Detection Rule
    /// License asks of SigmaHQ rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The rule's file (extra).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// ATT&CK context. Items are objects: tactics
/// `{"id":"TA0010","name":"Exfiltration","shortname":"exfiltration"}`,
/// techniques `{"id":"T1567.002","name":"Exfiltration to Cloud Storage"}`.
/// Unknown ids keep their id with an empty name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attack {
    /// Tactics, first-seen order.
    pub tactics: Vec<Tactic>,
    /// Techniques and sub-techniques, first-seen order.
    pub techniques: Vec<Technique>,
}

/// An ATT&CK tactic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tactic {
    /// `TA0010`; empty for a tactic word missing from the embedded data.
    pub id: String,
    /// `Exfiltration`; empty when unknown.
    pub name: String,
    /// `exfiltration`; empty when only an unknown id was given.
    #[serde(default)]
    pub shortname: String,
}

/// An ATT&CK technique or sub-technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// `T1567.002`.
    pub id: String,
    /// `Exfiltration to Cloud Storage`; empty when unknown.
    pub name: String,
}

/// Who and where; unknown keys are omitted from JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// IP address, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Entity {
    /// True when no key is known.
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.host.is_none() && self.ip.is_none()
    }
}

/// One record behind a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `path:line` of the record (`path:0` for a record without a line of
    /// its own: an EVTX record, an element of a JSON document).
    pub source: String,
    /// The record's time.
    #[serde(with = "rfc3339")]
    pub time: Timestamp,
    /// The record's 1-based index in its source (extra; given when the
    /// line does not locate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

/// Serde adapter: [`Timestamp`] as an RFC 3339 UTC string
/// (`#[serde(with = "phiwatch_finding::rfc3339")]`).
pub mod rfc3339 {
    use phiwatch_event::Timestamp;
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Writes the time as RFC 3339.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    /// Reads an RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(s.as_bytes())
            .ok_or_else(|| de::Error::custom(format!("not an RFC 3339 time: {s:?}")))
    }
}
