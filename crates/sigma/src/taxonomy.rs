//! Log-source classes and field mappings, as data
//! (`crates/sigma/data/logsources.toml`; see that file for the format).
//!
//! The taxonomy answers two questions: which Sigma log sources (product,
//! service, category) an event belongs to, decided from its `event.dataset`
//! and a few discriminating fields; and, for those log sources, which event
//! fields a Sigma field name means.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rsigma_parser::LogSource;
use serde::Deserialize;

const BUILTIN: &str = include_str!("../data/logsources.toml");

/// A problem in a taxonomy file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {reason}")]
pub struct TaxonomyError {
    /// The file.
    pub origin: String,
    /// What is wrong, with the entry's position where there is one.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

fn vec_of(v: Option<OneOrMany>) -> Vec<String> {
    v.map(OneOrMany::into_vec).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    dataset: OneOrMany,
    #[serde(default)]
    when: BTreeMap<String, OneOrMany>,
    product: Option<OneOrMany>,
    service: Option<OneOrMany>,
    category: Option<OneOrMany>,
    fields: Option<OneOrMany>,
    #[serde(default)]
    spaceless_fields: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default)]
    source: Vec<EntryFile>,
    #[serde(default)]
    fields: BTreeMap<String, BTreeMap<String, OneOrMany>>,
}

/// One `[[source]]` entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Exact dataset names and prefixes (without the `*`).
    datasets: Vec<String>,
    prefixes: Vec<String>,
    /// Field name and accepted values (text).
    pub(crate) when: Vec<(String, Vec<String>)>,
    pub(crate) products: Vec<String>,
    pub(crate) services: Vec<String>,
    pub(crate) categories: Vec<String>,
    pub(crate) maps: Vec<String>,
    pub(crate) spaceless: bool,
}

impl Entry {
    fn covers(&self, dataset: &str) -> bool {
        self.datasets.iter().any(|d| d == dataset)
            || self
                .prefixes
                .iter()
                .any(|p| dataset.starts_with(p.as_str()))
    }
}

/// The log-source taxonomy: entries and field maps.
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    pub(crate) entries: Vec<Entry>,
    pub(crate) maps: HashMap<String, HashMap<String, Vec<String>>>,
}

/// The Sigma log sources of one class of events and its field mapping.
#[derive(Clone, Debug, Default)]
pub struct Class {
    /// Products.
    pub products: BTreeSet<String>,
    /// Services.
    pub services: BTreeSet<String>,
    /// Categories.
    pub categories: BTreeSet<String>,
    /// Sigma field name → event field names, first present wins.
    pub fields: HashMap<String, Vec<String>>,
    /// Whether a Sigma field name also matches an event field whose name
    /// has spaces (Windows EventData: `SourceName` for "Source Name").
    pub spaceless: bool,
}

impl Class {
    /// Whether a rule with log source `ls` may match events of this class.
    pub fn admits(&self, ls: &LogSource) -> bool {
        let ok = |want: &Option<String>, have: &BTreeSet<String>| match want {
            None => true,
            Some(w) => have.contains(&w.to_ascii_lowercase()),
        };
        ok(&ls.product, &self.products)
            && ok(&ls.service, &self.services)
            && ok(&ls.category, &self.categories)
    }
}

impl Taxonomy {
    /// The taxonomy shipped with phiwatch.
    pub fn builtin() -> Taxonomy {
        // The built-in file is tested; an empty taxonomy only disables routing.
        Taxonomy::from_toml(BUILTIN, "builtin:logsources.toml").unwrap_or_default()
    }

    /// Parses a taxonomy file, reporting every problem at once.
    pub fn from_toml(text: &str, origin: &str) -> Result<Taxonomy, Vec<TaxonomyError>> {
        let err = |reason: String| TaxonomyError {
            origin: origin.to_owned(),
            reason,
        };
        let file: TaxonomyFile =
            toml::from_str(text).map_err(|e| vec![err(e.to_string().replace('\n', " "))])?;
        let mut errors = Vec::new();
        let maps: HashMap<String, HashMap<String, Vec<String>>> = file
            .fields
            .into_iter()
            .map(|(name, m)| {
                (
                    name,
                    m.into_iter().map(|(k, v)| (k, v.into_vec())).collect(),
                )
            })
            .collect();
        let mut entries = Vec::new();
        for (i, e) in file.source.into_iter().enumerate() {
            let mut entry = Entry {
                datasets: Vec::new(),
                prefixes: Vec::new(),
                when: e.when.into_iter().map(|(k, v)| (k, v.into_vec())).collect(),
                products: lower(vec_of(e.product)),
                services: lower(vec_of(e.service)),
                categories: lower(vec_of(e.category)),
                maps: vec_of(e.fields),
                spaceless: e.spaceless_fields,
            };
            for d in e.dataset.into_vec() {
                match d.strip_suffix('*') {
                    Some(p) => entry.prefixes.push(p.to_owned()),
                    None => entry.datasets.push(d),
                }
            }
            for m in &entry.maps {
                if !maps.contains_key(m) {
                    errors.push(err(format!("source #{}: no [fields.{m}] table", i + 1)));
                }
            }
            if entry.products.is_empty()
                && entry.services.is_empty()
                && entry.categories.is_empty()
                && entry.maps.is_empty()
            {
                errors.push(err(format!(
                    "source #{}: names no product, service, category or fields",
                    i + 1
                )));
            }
            entries.push(entry);
        }
        if errors.is_empty() {
            Ok(Taxonomy { entries, maps })
        } else {
            Err(errors)
        }
    }

    /// Adds another taxonomy's entries and field maps (a user's extension).
    pub fn extend(&mut self, other: Taxonomy) {
        self.entries.extend(other.entries);
        for (name, map) in other.maps {
            self.maps.entry(name).or_default().extend(map);
        }
    }

    /// Indices of the entries that may apply to events of `dataset`.
    pub(crate) fn entries_for(&self, dataset: &str) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].covers(dataset))
            .collect()
    }

    /// The class made of the given entries.
    pub(crate) fn class_of(&self, entries: &[usize]) -> Class {
        let mut c = Class::default();
        for &i in entries {
            let e = &self.entries[i];
            c.products.extend(e.products.iter().cloned());
            c.services.extend(e.services.iter().cloned());
            c.categories.extend(e.categories.iter().cloned());
            c.spaceless |= e.spaceless;
            for m in &e.maps {
                if let Some(map) = self.maps.get(m) {
                    for (k, v) in map {
                        c.fields.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        c
    }

    /// Whether phiwatch has any events for a rule's log source: every
    /// dimension the rule names is declared by some entry, and one entry
    /// declares the most specific of them together with the product.
    pub fn supports(&self, ls: &LogSource) -> bool {
        let has = |want: &Option<String>, pick: fn(&Entry) -> &Vec<String>| match want {
            None => true,
            Some(w) => {
                let w = w.to_ascii_lowercase();
                self.entries.iter().any(|e| pick(e).contains(&w))
            }
        };
        has(&ls.product, |e| &e.products)
            && has(&ls.service, |e| &e.services)
            && has(&ls.category, |e| &e.categories)
    }
}

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ls(p: Option<&str>, s: Option<&str>, c: Option<&str>) -> LogSource {
        LogSource {
            product: p.map(str::to_owned),
            service: s.map(str::to_owned),
            category: c.map(str::to_owned),
            ..LogSource::default()
        }
    }

    #[test]
    fn builtin_parses_and_declares_the_main_sources() {
        let t = Taxonomy::from_toml(BUILTIN, "builtin").unwrap();
        assert!(t.entries.len() > 100, "{}", t.entries.len());
        assert!(t.supports(&ls(Some("windows"), None, Some("process_creation"))));
        assert!(t.supports(&ls(None, None, Some("proxy"))));
        assert!(t.supports(&ls(Some("aws"), Some("cloudtrail"), None)));
        assert!(!t.supports(&ls(Some("macos"), None, Some("process_creation"))));
        assert!(!t.supports(&ls(Some("gcp"), Some("gcp.audit"), None)));
    }

    #[test]
    fn a_class_admits_rules_of_its_sources_only() {
        let t = Taxonomy::builtin();
        let idx = t.entries_for("zeek.http");
        let c = t.class_of(&idx);
        assert!(c.admits(&ls(Some("zeek"), Some("http"), None)));
        assert!(c.admits(&ls(None, None, Some("proxy"))));
        assert!(!c.admits(&ls(Some("zeek"), Some("dns"), None)));
        assert_eq!(
            c.fields.get("c-uri").unwrap(),
            &vec!["url.original".to_owned()]
        );
    }

    #[test]
    fn errors_are_all_reported() {
        let text = "[[source]]\ndataset = \"x\"\nfields = \"nope\"\n[[source]]\ndataset = \"y\"\n";
        let errs = Taxonomy::from_toml(text, "t.toml").unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0]
            .to_string()
            .starts_with("t.toml: source #1: no [fields.nope]"));
    }
}
