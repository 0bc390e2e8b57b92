//! The breach documents: what a privacy officer, counsel and the incident
//! responders take away from `phiwatch scope`.
//!
//! A [`Report`] is the scope of a breach ([`phiwatch_scope::Scope`]) with
//! the HIPAA determination made on its facts ([`phiwatch_hipaa`]); it
//! serializes as the JSON `phiwatch scope` prints (the scope's fields at
//! the top level, then `hipaa`, `facts`, `generated`, `generator`). From it
//! this crate renders, as strings (no file I/O: the CLI writes them):
//! - [`html`]: one self-contained, print-friendly HTML page (inline CSS,
//!   no script, no external resource) whose key numbers carry stable `id`s;
//! - [`letters`]: the individual notice letter drafts (the five elements of
//!   45 CFR 164.404(c) under California's headings), next-of-kin, substitute
//!   notice, media notice and regulator cover note drafts;
//! - [`forensic_summary`]: the Markdown forensic summary;
//! - [`navigator_layer`]: an ATT&CK Navigator layer of the techniques;
//! - [`iocs_csv`] and, only from the patient list, [`individuals_csv`] (the
//!   one document that holds PHI);
//! - [`documents`]: all of them, named as `--documents DIR` writes them.
//!
//! ```
//! use phiwatch_event::Timestamp;
//! use phiwatch_hipaa::Facts;
//! use phiwatch_report::{documents, facts_from_scope, html, Report};
//! use phiwatch_scope::Scope;
//!
//! let mut scope = Scope::default();
//! scope.individuals.total = 1200;
//! scope.individuals.by_state.insert("MA".into(), 700);
//! scope.individuals.by_state.insert("NH".into(), 500);
//! scope.categories = vec!["name".into(), "ssn".into()];
//! let base: Facts = serde_json::from_str(
//!     r#"{"covered_entity": "Example Health", "discovered": "2026-11-20", "individuals": 0}"#,
//! ).unwrap();
//! let facts = facts_from_scope(&scope, base);
//! let report = Report::new(scope, facts, Timestamp::from_secs(1_795_000_000).unwrap());
//! assert_eq!(report.hipaa.media_states, ["MA"]); // more than 500 residents
//!
//! let page = html(&report);
//! assert!(page.contains(r#"id="individuals-total" data-value="1200""#));
//! assert!(page.contains(r#"id="hhs-deadline" data-value="2027-01-19""#));
//!
//! let docs = documents(&report, None).unwrap();
//! assert!(docs.iter().any(|d| d.name == "letters/individual-notice.md"));
//! assert!(docs.iter().all(|d| !d.phi)); // no individuals.csv without the list
//! ```

mod csv;
mod facts;
mod html;
mod letters;
mod navigator;
mod summary;
mod text;

use phiwatch_event::Timestamp;
use phiwatch_hipaa::{Determination, Facts};
use phiwatch_inventory::Patient;
use phiwatch_scope::Scope;
use serde::{Deserialize, Serialize};

pub use crate::csv::{individuals_csv, iocs_csv, PHI_WARNING};
pub use crate::facts::{activity_span, facts_from_scope};
pub use crate::html::html;
pub use crate::letters::{letters, HEADINGS as LETTER_HEADINGS};
pub use crate::navigator::{navigator_layer, LAYER_VERSION, NAVIGATOR_VERSION};
pub use crate::summary::forensic_summary;
pub use crate::text::{category_words, escape_html, escape_md, state_name};

/// The scope report: the JSON `phiwatch scope` prints.
///
/// The scope's fields (`silos`, `individuals`, `categories`,
/// `exfiltration`, `timeline`, …) are at the top level, as PRODUCT.md's
/// contract says; `hipaa` is the determination made on `facts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The scope.
    #[serde(flatten)]
    pub scope: Scope,
    /// The HIPAA determination.
    pub hipaa: Determination,
    /// The facts it was made on.
    pub facts: Facts,
    /// When the report was made (RFC 3339).
    pub generated: String,
    /// What made it (`phiwatch 0.1.0`).
    pub generator: String,
}

impl Report {
    /// Makes the determination on `facts` (see [`facts_from_scope`]) and
    /// assembles the report; `generated` is the time to print (the crate
    /// reads no clock).
    pub fn new(scope: Scope, facts: Facts, generated: Timestamp) -> Report {
        Report {
            hipaa: phiwatch_hipaa::determine(&facts),
            scope,
            facts,
            generated: generated.to_rfc3339(),
            generator: generator(),
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String, ReportError> {
        serde_json::to_string_pretty(self).map_err(ReportError::Json)
    }

    /// Reads a report from its JSON.
    pub fn from_json(text: &str) -> Result<Report, ReportError> {
        serde_json::from_str(text).map_err(ReportError::Json)
    }
}

/// `phiwatch` and this version.
pub fn generator() -> String {
    format!("phiwatch {}", env!("CARGO_PKG_VERSION"))
}

/// One document to write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Path relative to the documents directory (`letters/…` for letters).
    pub name: String,
    /// Its media type (`text/html; charset=utf-8`, `text/markdown`, …).
    pub media_type: String,
    /// Its content.
    pub content: String,
    /// Whether it holds PHI (only `individuals.csv`): write it with
    /// restrictive permissions.
    pub phi: bool,
}

impl Document {
    pub(crate) fn new(name: impl Into<String>, media_type: &str, content: String) -> Document {
        Document {
            name: name.into(),
            media_type: media_type.to_string(),
            content,
            phi: false,
        }
    }
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report could not be written or read as JSON.
    #[error("report JSON: {0}")]
    Json(#[source] serde_json::Error),
}

/// Every document for `--documents DIR`: `report.html`, `report.json`,
/// `forensic-summary.md`, `attack-layer.json`, `iocs.csv`, the letter
/// drafts under `letters/`, and `individuals.csv` (PHI) only when the
/// affected individuals are given.
pub fn documents(r: &Report, affected: Option<&[Patient]>) -> Result<Vec<Document>, ReportError> {
    let layer = serde_json::to_string_pretty(&navigator_layer(r)).map_err(ReportError::Json)?;
    let mut docs = vec![
        Document::new("report.html", "text/html; charset=utf-8", html(r)),
        Document::new("report.json", "application/json", r.to_json()?),
        Document::new(
            "forensic-summary.md",
            "text/markdown; charset=utf-8",
            forensic_summary(r),
        ),
        Document::new("attack-layer.json", "application/json", layer),
        Document::new(
            "iocs.csv",
            "text/csv; charset=utf-8",
            iocs_csv(&r.scope.iocs),
        ),
    ];
    docs.extend(letters(r));
    if let Some(list) = affected {
        let mut d = Document::new(
            "individuals.csv",
            "text/csv; charset=utf-8",
            individuals_csv(list),
        );
        d.phi = true;
        docs.push(d);
    }
    Ok(docs)
}
