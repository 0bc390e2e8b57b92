//! Sigma rules for phiwatch: loading (files, collections, filters,
//! correlations), log-source classes and field mappings as data, a compiled
//! plan that routes each event to the rules of its log source behind a
//! literal prefilter, and the correlation engine (`phiwatch-correlate`).
//!
//! ```
//! use phiwatch_sigma::{Engine, EngineConfig, RuleSet};
//!
//! let mut set = RuleSet::new();
//! set.add_str("example.yml", "title: COPY to a program
//! id: 11111111-2222-4333-8444-555555555555
//! logsource: { product: postgresql, category: database }
//! detection:
//!   sel: { db.statement|contains|all: ['copy ', ' to program'] }
//!   condition: sel
//! level: high
//! ");
//! let engine = Engine::build(&set, &EngineConfig::default());
//! assert!(set.errors().is_empty() && engine.errors().is_empty());
//! assert_eq!(engine.rules()[0].title, "COPY to a program");
//! ```

mod compile;
mod fields;
pub mod load;
pub mod matcher;
mod plan;
mod prefilter;
pub mod taxonomy;

pub use load::{LoadError, RuleSet, Sourced};
pub use plan::{
    logsource_label, CompileError, Engine, EngineConfig, Hit, Level, RuleInfo, RuleKind, Session,
};
pub use taxonomy::{Class, Taxonomy, TaxonomyError};
