//! phiwatch findings: the public finding record, stable ids, MITRE ATT&CK
//! names, and output formats.
//!
//! Every detector (Sigma, correlation, analytics, PHI, IoC) reports through
//! [`Finding`]; `phiwatch hunt --format table|jsonl|csv|ocsf` prints findings
//! through a [`FindingSink`]. The JSON shape of a finding is a public contract
//! (documented on [`Finding`]): keys may be added, never removed.
//!
//! - [`Finding::stable_id`]: a 128-bit id (32 hex digits) that depends only on
//!   the detector, rule id, group values, first evidence source and time.
//! - [`attack_from_tags`]: Sigma `attack.*` tags to ATT&CK tactics and
//!   techniques with names, from embedded ATT&CK Enterprise v18.1 tables.
//! - [`sink`]: a [`Format`] and a writer give a boxed [`FindingSink`]
//!   ([`JsonlSink`], [`TableSink`], [`CsvSink`], [`OcsfSink`]); [`Counts`]
//!   totals findings by level and detector.
//!
//! # Example
//!
//! ```
//! use phiwatch_event::Timestamp;
//! use phiwatch_finding::{
//!     attack_from_tags, sink, Detector, Evidence, Finding, Format, Level, RuleRef,
//! };
//!
//! let time = Timestamp::parse_rfc3339(b"2026-11-28T10:00:00Z").unwrap();
//! let rule = RuleRef { id: "r-1".into(), title: "Upload to cloud storage".into(), level: Level::High, author: None, source: None };
//! let mut f = Finding::new(Detector::Sigma, rule, time);
//! f.tags = vec!["attack.t1567.002".to_string(), "attack.g0016".to_string()];
//! f.attack = attack_from_tags(&f.tags);
//! assert_eq!(f.attack.techniques[0].name, "Exfiltration to Cloud Storage");
//! assert_eq!(f.attack.tactics[0].id, "TA0010"); // added from the technique
//! f.entity.user = Some("alice".into());
//! f.summary = "alice uploaded 1.2 GB to a cloud bucket".into();
//! f.evidence.push(Evidence { source: "logs/proxy.log:17".into(), time, record: None });
//! f.metrics.insert("bytes".into(), 1.2e9);
//! f.refresh_id();
//! assert_eq!(f.score, 0.75);
//!
//! let mut out = Vec::new();
//! {
//!     let mut s = sink(Format::Jsonl, &mut out);
//!     s.write(&f).unwrap();
//!     s.finish().unwrap();
//! }
//! let line = String::from_utf8(out).unwrap();
//! assert!(line.starts_with(&format!("{{\"id\":\"{}\"", f.id)));
//! assert!(line.contains("\"time\":\"2026-11-28T10:00:00.000000Z\""));
//! assert!(line.contains("\"detector\":\"sigma\""));
//! assert!(line.ends_with("}\n"));
//! ```

mod attack;
mod finding;
mod id;
mod sink;

pub use attack::{
    attack_from_tags, tactic, tactics, technique, techniques, TacticInfo, TechniqueInfo,
    ATTACK_VERSION,
};
pub use finding::rfc3339;
pub use finding::{Attack, Detector, Entity, Evidence, Finding, Level, RuleRef, Tactic, Technique};
pub use sink::{
    push_csv_field, sink, Counts, CsvSink, FindingSink, Format, JsonlSink, OcsfSink, TableSink,
    CSV_HEADER,
};

/// The OCSF mapping, for callers that want the object rather than a line.
pub mod ocsf {
    pub use crate::sink::ocsf::{to_ocsf, OCSF_VERSION};
}

/// A name that is not one of the accepted values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not `table`, `jsonl`, `csv` or `ocsf`.
    #[error("unknown output format {0:?} (expected table, jsonl, csv or ocsf)")]
    Format(String),
    /// Not a Sigma level.
    #[error("unknown level {0:?} (expected informational, low, medium, high or critical)")]
    Level(String),
    /// Not a detector name.
    #[error(
        "unknown detector {0:?} (expected sigma, correlation, analytics, phi, ioc or incident)"
    )]
    Detector(String),
}
