//! Reading and validating the inventory file: every problem is collected
//! (with its line) before any is reported.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Spanned, Table, Value};

use crate::{Inventory, Silo, SiloKind, SiloMatch, Vendor, CATEGORIES};

/// A file's name (for problems) and its text; a file that cannot be read
/// is one problem at line 0.
pub(crate) fn read_text(path: &Path) -> Result<(String, String), Problems> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((file, text)),
        Err(e) => Err(Problems(vec![Problem {
            file,
            line: 0,
            message: format!("cannot read: {e}"),
        }])),
    }
}

/// One thing wrong with an inventory file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: String,
    /// Line (1-based; 0 when the file could not be read).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Every problem of an inventory file, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    silo: Vec<Spanned<Table>>,
    #[serde(default)]
    entity: Option<Spanned<Table>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// Collects problems with lines computed from byte offsets.
struct Check<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        1 + self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn at(&mut self, offset: usize, message: String) {
        let line = self.line(offset);
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            message,
        });
    }
}

impl Inventory {
    /// Reads and validates the inventory at `path`.
    ///
    /// # Errors
    ///
    /// Every problem found: unreadable file, TOML syntax, unknown keys,
    /// missing or invalid values, duplicate silo names.
    pub fn load(path: &Path) -> Result<Inventory, Problems> {
        let (file, text) = read_text(path)?;
        let mut inv = Inventory::parse(&text, &file)?;
        inv.path = path.to_path_buf();
        Ok(inv)
    }

    /// Validates inventory text; `file` names it in problems.
    ///
    /// # Errors
    ///
    /// Every problem found.
    pub fn parse(text: &str, file: &str) -> Result<Inventory, Problems> {
        let mut c = Check {
            file,
            text,
            problems: Vec::new(),
        };
        let raw: RawFile = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                c.at(offset, format!("not valid TOML: {}", e.message()));
                return Err(Problems(c.problems));
            }
        };
        for k in raw.other.keys() {
            // Flattened values carry no span: find the key's line.
            let offset = [
                format!("[{k}]"),
                format!("[[{k}]]"),
                format!("{k} ="),
                format!("{k}="),
            ]
            .iter()
            .filter_map(|pat| {
                text.match_indices(pat.as_str())
                    .map(|(i, _)| i)
                    .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
            })
            .min()
            .unwrap_or(0);
            c.at(
                offset,
                format!("unknown table or key {k:?} (known: silo, entity)"),
            );
        }
        let mut inv = Inventory::default();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for s in &raw.silo {
            let offset = s.span().start;
            if let Some(name) = string(s.get_ref().get("name")) {
                let line = c.line(offset);
                if let Some(first) = names.insert(name.to_string(), line) {
                    c.at(
                        offset,
                        format!("silo {name:?}: name already used by the silo on line {first}"),
                    );
                }
            }
            if let Some(silo) = silo(&mut c, offset, s.get_ref()) {
                inv.silos.push(silo);
            }
        }
        if let Some(e) = &raw.entity {
            entity(&mut c, e.span().start, e.get_ref(), &mut inv);
        }
        if c.problems.is_empty() {
            Ok(inv)
        } else {
            c.problems.sort_by_key(|p| p.line);
            Err(Problems(c.problems))
        }
    }
}

fn string(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// A list of strings; `None` (with a problem noted) if it is something else.
fn strings(c: &mut Check<'_>, offset: usize, what: &str, v: Option<&Value>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match x.as_str() {
                    Some(s) => out.push(s.to_string()),
                    None => c.at(offset, format!("{what}[{i}]: not a string")),
                }
            }
            out
        }
        Some(_) => {
            c.at(offset, format!("{what}: not a list of strings"));
            Vec::new()
        }
    }
}

fn silo(c: &mut Check<'_>, offset: usize, t: &Table) -> Option<Silo> {
    let line = c.line(offset);
    let name = string(t.get("name")).map(str::to_string);
    let label = name
        .as_deref()
        .map_or_else(|| "silo".to_string(), |n| format!("silo {n:?}"));
    for k in t.keys() {
        if !["name", "kind", "match", "categories", "patients"].contains(&k.as_str()) {
            c.at(
                offset,
                format!(
                    "{label}: unknown key {k:?} (known: name, kind, match, categories, patients)"
                ),
            );
        }
    }
    if name.is_none() {
        c.at(offset, "silo: missing \"name\"".into());
    }
    let kind = match string(t.get("kind")) {
        Some("table") => Some(SiloKind::Table),
        Some("bucket") => Some(SiloKind::Bucket),
        Some("path") => Some(SiloKind::Path),
        Some("api") => Some(SiloKind::Api),
        Some(other) => {
            c.at(
                offset,
                format!("{label}: kind {other:?} is not one of table, bucket, path, api"),
            );
            None
        }
        None => {
            c.at(offset, format!("{label}: missing \"kind\""));
            None
        }
    };
    let matcher = match (kind, t.get("match")) {
        (_, None) => {
            c.at(offset, format!("{label}: missing \"match\""));
            None
        }
        (None, Some(_)) => None,
        (Some(k), Some(Value::Table(m))) => silo_match(c, offset, &label, k, m),
        (Some(_), Some(_)) => {
            c.at(offset, format!("{label}: \"match\" is not a table"));
            None
        }
    };
    let categories = strings(
        c,
        offset,
        &format!("{label}: categories"),
        t.get("categories"),
    );
    for cat in &categories {
        if !CATEGORIES.contains(&cat.as_str()) {
            c.at(
                offset,
                format!(
                    "{label}: category {cat:?} is not one of {}",
                    CATEGORIES.join(", ")
                ),
            );
        }
    }
    let patients = match t.get("patients") {
        None => None,
        Some(Value::String(p)) if !p.trim().is_empty() => Some(PathBuf::from(p)),
        Some(_) => {
            c.at(offset, format!("{label}: \"patients\" is not a file name"));
            None
        }
    };
    Some(Silo {
        name: name?,
        kind: kind?,
        matcher: matcher?,
        categories,
        patients,
        line,
    })
}

fn silo_match(
    c: &mut Check<'_>,
    offset: usize,
    label: &str,
    kind: SiloKind,
    m: &Table,
) -> Option<SiloMatch> {
    let keys: &[&str] = match kind {
        SiloKind::Table => &["db", "table"],
        SiloKind::Bucket => &["bucket", "prefix"],
        SiloKind::Path => &["host", "path"],
        SiloKind::Api => &["resource"],
    };
    for k in m.keys() {
        if !keys.contains(&k.as_str()) {
            c.at(
                offset,
                format!(
                    "{label}: match key {k:?} does not apply to kind {} (keys: {})",
                    kind.as_str(),
                    keys.join(", ")
                ),
            );
        }
    }
    let get = |k: &str| string(m.get(k)).map(str::to_string);
    let required = |c: &mut Check<'_>, k: &str| {
        let v = get(k);
        if v.is_none() {
            c.at(
                offset,
                format!("{label}: match needs \"{k}\" for kind {}", kind.as_str()),
            );
        }
        v
    };
    Some(match kind {
        SiloKind::Table => SiloMatch::Table {
            db: get("db"),
            table: required(c, "table")?,
        },
        SiloKind::Bucket => SiloMatch::Bucket {
            bucket: required(c, "bucket")?,
            prefix: get("prefix").unwrap_or_default(),
        },
        SiloKind::Path => SiloMatch::Path {
            host: get("host"),
            path: required(c, "path")?,
        },
        SiloKind::Api => SiloMatch::Api {
            resource: required(c, "resource")?,
        },
    })
}

/// Whether `s` is an address or an address block.
pub(crate) fn is_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let Ok(ip) = addr.trim().parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|p| p.trim().parse::<u8>().is_ok_and(|n| n <= max))
}

fn networks(c: &mut Check<'_>, offset: usize, what: &str, v: Option<&Value>) -> Vec<String> {
    let list = strings(c, offset, what, v);
    for n in &list {
        if !is_cidr(n) {
            c.at(
                offset,
                format!("{what}: {n:?} is not an address or CIDR block"),
            );
        }
    }
    list
}

fn entity(c: &mut Check<'_>, offset: usize, t: &Table, inv: &mut Inventory) {
    for k in t.keys() {
        if !["name", "internal_networks", "vendors"].contains(&k.as_str()) {
            c.at(
                offset,
                format!("entity: unknown key {k:?} (known: name, internal_networks, vendors)"),
            );
        }
    }
    match t.get("name") {
        None => {}
        Some(Value::String(n)) if !n.trim().is_empty() => inv.name = Some(n.trim().to_string()),
        Some(_) => c.at(offset, "entity: name is not a non-empty string".into()),
    }
    inv.internal_networks = networks(
        c,
        offset,
        "entity: internal_networks",
        t.get("internal_networks"),
    );
    let vendors = match t.get("vendors") {
        None => return,
        Some(Value::Array(a)) => a,
        Some(_) => {
            c.at(offset, "entity: vendors is not a list of tables".into());
            return;
        }
    };
    for (i, v) in vendors.iter().enumerate() {
        let Value::Table(v) = v else {
            c.at(offset, format!("entity: vendors[{i}] is not a table"));
            continue;
        };
        let Some(name) = string(v.get("name")) else {
            c.at(offset, format!("entity: vendors[{i}]: missing \"name\""));
            continue;
        };
        let label = format!("entity: vendor {name:?}");
        for k in v.keys() {
            if !["name", "accounts", "networks", "domains", "hours"].contains(&k.as_str()) {
                c.at(
                    offset,
                    format!(
                        "{label}: unknown key {k:?} (known: name, accounts, networks, domains, hours)"
                    ),
                );
            }
        }
        let hours = match v.get("hours") {
            None => None,
            Some(Value::Array(h))
                if h.len() == 2
                    && h.iter()
                        .all(|x| x.as_integer().is_some_and(|n| (0..=24).contains(&n))) =>
            {
                let n = |i: usize| {
                    h.get(i)
                        .and_then(Value::as_integer)
                        .and_then(|x| u8::try_from(x).ok())
                        .unwrap_or(0)
                };
                Some((n(0), n(1)))
            }
            Some(_) => {
                c.at(
                    offset,
                    format!("{label}: hours must be [from, to] in UTC hours 0-24"),
                );
                None
            }
        };
        inv.vendors.push(Vendor {
            name: name.to_string(),
            accounts: strings(c, offset, &format!("{label}: accounts"), v.get("accounts")),
            networks: networks(c, offset, &format!("{label}: networks"), v.get("networks")),
            domains: strings(c, offset, &format!("{label}: domains"), v.get("domains")),
            hours,
        });
    }
}
