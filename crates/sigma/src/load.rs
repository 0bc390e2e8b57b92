//! Loading Sigma documents: files, directories (recursive), the built-in
//! pack; every failure kept with its file and reason.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsigma_parser::{CorrelationRule, FilterRule, SigmaRule};

/// A document and the file it came from.
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    /// The parsed document.
    pub doc: T,
    /// The file (or `builtin:NAME` for the embedded pack).
    pub path: Arc<str>,
}

/// A file or document that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: String,
    /// What is wrong (the parser's message, which for conditions includes
    /// the position within the condition).
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Sigma documents loaded from files: detection rules, correlations and
/// filters, plus the failures.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Sourced<SigmaRule>>,
    correlations: Vec<Sourced<CorrelationRule>>,
    filters: Vec<Sourced<FilterRule>>,
    errors: Vec<LoadError>,
    files: usize,
}

/// The healthcare exfiltration pack shipped in `rules/healthcare/`, embedded
/// at build time as (file name, text).
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

impl RuleSet {
    /// An empty set.
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// The built-in healthcare pack.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::new();
        for (name, text) in BUILTIN {
            set.add_str(&format!("builtin:{name}"), text);
        }
        set
    }

    /// Loads every path: a file is read whatever its name; a directory is
    /// walked recursively for `*.yml` / `*.yaml`, in sorted order.
    pub fn load_paths(paths: &[PathBuf]) -> RuleSet {
        let mut set = RuleSet::new();
        for p in paths {
            set.add_path(p);
        }
        set
    }

    /// Adds a file or directory.
    pub fn add_path(&mut self, path: &Path) {
        if path.is_dir() {
            let walk = walkdir::WalkDir::new(path).sort_by_file_name();
            for entry in walk {
                match entry {
                    Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => {
                        self.add_file(e.path())
                    }
                    Ok(_) => {}
                    Err(e) => self.errors.push(LoadError {
                        path: e.path().unwrap_or(path).display().to_string(),
                        reason: format!("cannot read: {e}"),
                    }),
                }
            }
        } else {
            self.add_file(path);
        }
    }

    fn add_file(&mut self, path: &Path) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_str(&path.display().to_string(), &text),
            Err(e) => self.errors.push(LoadError {
                path: path.display().to_string(),
                reason: format!("cannot read: {e}"),
            }),
        }
    }

    /// Adds the documents of one YAML text; `origin` names it in errors.
    pub fn add_str(&mut self, origin: &str, yaml: &str) {
        self.files += 1;
        let path: Arc<str> = Arc::from(origin);
        match rsigma_parser::parse_sigma_yaml(yaml) {
            Ok(c) => {
                let wrap = |p: &Arc<str>| p.clone();
                self.rules.extend(c.rules.into_iter().map(|doc| Sourced {
                    doc,
                    path: wrap(&path),
                }));
                self.correlations
                    .extend(c.correlations.into_iter().map(|doc| Sourced {
                        doc,
                        path: wrap(&path),
                    }));
                self.filters
                    .extend(c.filters.into_iter().map(|doc| Sourced {
                        doc,
                        path: wrap(&path),
                    }));
                self.errors
                    .extend(c.errors.into_iter().map(|reason| LoadError {
                        path: origin.to_owned(),
                        reason: one_line(&reason),
                    }));
            }
            Err(e) => self.errors.push(LoadError {
                path: origin.to_owned(),
                reason: one_line(&e.to_string()),
            }),
        }
    }

    /// Appends another set.
    pub fn extend(&mut self, other: RuleSet) {
        self.rules.extend(other.rules);
        self.correlations.extend(other.correlations);
        self.filters.extend(other.filters);
        self.errors.extend(other.errors);
        self.files += other.files;
    }

    /// Detection rules.
    pub fn rules(&self) -> &[Sourced<SigmaRule>] {
        &self.rules
    }

    /// Correlation rules.
    pub fn correlations(&self) -> &[Sourced<CorrelationRule>] {
        &self.correlations
    }

    /// Filters.
    pub fn filters(&self) -> &[Sourced<FilterRule>] {
        &self.filters
    }

    /// Documents and files that failed to load.
    pub fn errors(&self) -> &[LoadError] {
        &self.errors
    }

    /// Files (or texts) read.
    pub fn files(&self) -> usize {
        self.files
    }
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

/// Parser messages can span lines (a caret diagram); keep diagnostics on one
/// line each. A condition error becomes its position and what was expected,
/// with a hint for Sigma 1 aggregations (`| count() > n`, `| near`), which
/// Sigma 2 replaced by correlation rules.
fn one_line(s: &str) -> String {
    if let Some(short) = condition_error(s) {
        return short;
    }
    flatten(s)
}

fn condition_error(s: &str) -> Option<String> {
    let head = s.lines().next()?;
    let at = head.find("Condition parse error at ")?;
    let pos = head[at + "Condition parse error at ".len()..]
        .split(':')
        .take(2)
        .collect::<Vec<_>>()
        .join(":");
    let expected = s.lines().find_map(|l| l.trim().strip_prefix("= "))?;
    let expected = expected
        .replace("EOI", "end of condition")
        .replace("or_op", "`or`")
        .replace("and_op", "`and`");
    let source = s.lines().find_map(|l| {
        let t = l.trim_start();
        let (n, rest) = t.split_once(" | ")?;
        n.trim().parse::<u32>().ok().map(|_| rest.to_owned())
    });
    let mut out = format!("{}condition error at {pos}: {expected}", &head[..at]);
    if let Some(src) = source {
        out.push_str(&format!(" in `{}`", src.trim()));
        let squeezed = src.replace(' ', "");
        if ["|count(", "|near", "|sum(", "|max(", "|min(", "|avg("]
            .iter()
            .any(|a| squeezed.contains(a))
        {
            out.push_str(" (a Sigma 1 aggregation: Sigma 2 expresses it as a correlation rule)");
        }
    }
    Some(out)
}

fn flatten(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push_str(" | ");
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn condition_errors_are_one_line_with_a_hint() {
        let mut set = RuleSet::new();
        set.add_str(
            "agg.yml",
            "title: t\nlogsource: {category: dns}\ndetection:\n  sel: {query: x}\n  condition: sel |near other\n",
        );
        assert_eq!(set.errors().len(), 1);
        let e = set.errors()[0].to_string();
        assert!(e.starts_with("agg.yml: "), "{e}");
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("condition error at 1:5"), "{e}");
        assert!(
            e.contains("`sel |near other`") && e.contains("correlation rule"),
            "{e}"
        );
    }

    #[test]
    fn yaml_errors_keep_the_file() {
        let mut set = RuleSet::new();
        set.add_str("bad.yml", "title: [unclosed\n");
        assert_eq!(set.errors().len(), 1);
        assert!(set.errors()[0].to_string().starts_with("bad.yml: "));
        assert_eq!(set.files(), 1);
    }
}
