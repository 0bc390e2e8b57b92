//! Reads a mapping file's TOML into a [`FieldMapping`], collecting every
//! problem (unknown sections and keys, targets that are not normalized
//! names, values of the wrong type) into one [`MappingError`] instead of
//! stopping at the first.

use phiwatch_event::{keys, Key};

use super::mapping::{FieldMapping, FieldRule, MapConv, MappingError, SetValue};
use super::spanned::{At, Node};
use super::time::TimeFormat;

/// Reads a mapping from TOML text; see [`FieldMapping::parse`].
pub(super) fn build(toml_text: &str) -> Result<FieldMapping, MappingError> {
    let root: Node = match toml::from_str(toml_text) {
        Ok(n) => n,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            let mut err = MappingError::default();
            err.push(toml_text, at, e.message().trim().to_string());
            return Err(err);
        }
    };
    let mut b = Builder {
        text: toml_text,
        err: MappingError::default(),
        map: FieldMapping::default(),
    };
    b.root(root);
    if b.err.is_empty() {
        Ok(b.map)
    } else {
        b.err.sort();
        Err(b.err)
    }
}

struct Builder<'a> {
    text: &'a str,
    err: MappingError,
    map: FieldMapping,
}

impl Builder<'_> {
    fn problem(&mut self, at: usize, message: String) {
        self.err.push(self.text, at, message);
    }

    fn root(&mut self, root: Node) {
        let Node::Table(sections) = root else {
            self.problem(0, "expected a TOML table".to_string());
            return;
        };
        let mut fields = None;
        let mut set = None;
        for (name, key_at, v) in sections {
            let at = v.pos.or(key_at).unwrap_or(0);
            let key_at = key_at.unwrap_or(at);
            match (name.as_str(), v.node) {
                ("time", Node::Table(t)) => self.time(at, t),
                ("fields", Node::Table(t)) => fields = Some((at, t)),
                ("set", Node::Table(t)) => set = Some((at, t)),
                (s @ ("time" | "fields" | "set"), other) => self.problem(
                    at,
                    format!("`{s}` must be a table, not {}", other.type_name()),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown section `{other}` (expected `time`, `fields` or `set`)"),
                ),
            }
        }
        // [set] first, so that [fields] can report targets set twice.
        if let Some((at, t)) = set {
            let mut flat = Vec::new();
            flatten_targets("", at, t, &mut flat, false);
            for (name, key_at, at, value) in flat {
                self.set_entry(name, key_at, at, value);
            }
        }
        if let Some((at, t)) = fields {
            let mut flat = Vec::new();
            flatten_targets("", at, t, &mut flat, true);
            for (name, key_at, at, value) in flat {
                self.field_entry(name, key_at, at, value);
            }
        }
    }

    fn time(&mut self, section_at: usize, entries: Vec<(String, Option<usize>, At)>) {
        for (k, key_at, v) in entries {
            let at = v.pos.unwrap_or(section_at);
            let key_at = key_at.unwrap_or(at);
            match (k.as_str(), v.node) {
                ("field", Node::Str(s)) if !s.is_empty() => self.map.time_field = Some(s),
                ("field", Node::Str(_)) => {
                    self.problem(at, "`time.field` must not be empty".to_string())
                }
                ("format", Node::Str(s)) => match TimeFormat::from_name(&s) {
                    Some(f) => self.map.time_format = f,
                    None => self.problem(
                        at,
                        format!(
                            "unknown time format `{s}` (expected one of: {})",
                            TimeFormat::ALL
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                },
                (name @ ("field" | "format"), other) => self.problem(
                    at,
                    format!("`time.{name}` must be a string, not {}", other.type_name()),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown key `{other}` in [time] (expected `field` or `format`)"),
                ),
            }
        }
    }

    /// Checks a target name; the key when valid.
    fn target(&mut self, n: &str, at: usize, section: &str) -> Option<Key> {
        match Key::lookup(n) {
            Some(k) if k == keys::PHIWATCH_FORMAT => {
                self.problem(at, format!("[{section}] `{n}` is set by phiwatch itself"));
                None
            }
            Some(k) if k.is_normalized() => Some(k),
            _ => {
                self.problem(
                    at,
                    format!("[{section}] `{n}` is not a normalized field name"),
                );
                None
            }
        }
    }

    fn field_entry(&mut self, name: String, key_at: usize, at: usize, value: Node) {
        let target = self.target(&name, key_at, "fields");
        let default_conv = MapConv::for_target(&name);
        let rule = match value {
            Node::Str(s) if !s.is_empty() => Some((s, default_conv)),
            Node::Str(_) => {
                self.problem(at, "the source field name must not be empty".to_string());
                None
            }
            Node::Table(entries) => self.rule_table(at, entries, default_conv),
            other => {
                self.problem(
                    at,
                    format!(
                        "expected a source field name (a string) or {{ from = \"…\", convert = \"…\" }}, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        };
        let (Some(target), Some((source, conv))) = (target, rule) else {
            return;
        };
        if self.map.sets(target) {
            self.problem(key_at, format!("`{name}` is in both [fields] and [set]"));
            return;
        }
        self.map.fields.push(FieldRule {
            target,
            source,
            conv,
        });
    }

    fn rule_table(
        &mut self,
        at: usize,
        entries: Vec<(String, Option<usize>, At)>,
        default_conv: MapConv,
    ) -> Option<(String, MapConv)> {
        let mut from = None;
        let mut conv = Some(default_conv);
        for (k, key_at, v) in entries {
            let vat = v.pos.unwrap_or(at);
            let key_at = key_at.unwrap_or(vat);
            match (k.as_str(), v.node) {
                ("from", Node::Str(s)) if !s.is_empty() => from = Some(s),
                ("convert", Node::Str(s)) => {
                    conv = MapConv::from_name(&s);
                    if conv.is_none() {
                        self.problem(
                            vat,
                            format!(
                                "unknown conversion `{s}` (expected same, ip, int, lower or time)"
                            ),
                        );
                    }
                }
                (name @ ("from" | "convert"), other) => self.problem(
                    vat,
                    format!(
                        "`{name}` must be a non-empty string, not {}",
                        other.type_name()
                    ),
                ),
                (other, _) => self.problem(
                    key_at,
                    format!("unknown key `{other}` (expected `from` or `convert`)"),
                ),
            }
        }
        if from.is_none() {
            self.problem(at, "missing `from` (the source field name)".to_string());
        }
        Some((from?, conv?))
    }

    fn set_entry(&mut self, name: String, key_at: usize, at: usize, value: Node) {
        let target = self.target(&name, key_at, "set");
        let n = name.as_str();
        let v = match (MapConv::for_target(n), value) {
            (MapConv::Ip, Node::Str(s)) => match s.parse() {
                Ok(ip) => Some(SetValue::Ip(ip)),
                Err(_) => {
                    self.problem(at, format!("`{n}` must be an IP address"));
                    None
                }
            },
            (MapConv::Int, Node::Int(i)) => Some(SetValue::Int(i)),
            (MapConv::Int, other) => {
                self.problem(
                    at,
                    format!("`{n}` must be an integer, not {}", other.type_name()),
                );
                None
            }
            (_, Node::Str(s)) => Some(SetValue::Str(s)),
            (_, Node::Int(i)) => Some(SetValue::Int(i)),
            (_, Node::Float(f)) => Some(SetValue::Float(f)),
            (_, Node::Bool(b)) => Some(SetValue::Bool(b)),
            (_, other) => {
                self.problem(
                    at,
                    format!(
                        "`{n}` must be a string, number or boolean, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        };
        if let (Some(k), Some(v)) = (target, v) {
            self.map.set.push((k, v));
        }
    }
}

/// Joins nested tables into dotted target names (`source = { ip = "x" }` is
/// `"source.ip" = "x"`), each with the position of its key and of its
/// value (or its parent's, when the parser has none). In `[fields]`, a
/// table with a `from` or `convert` key is a rule, not a nesting.
fn flatten_targets(
    prefix: &str,
    parent_at: usize,
    entries: Vec<(String, Option<usize>, At)>,
    out: &mut Vec<(String, usize, usize, Node)>,
    rules: bool,
) {
    for (k, key_at, v) in entries {
        let name = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        let at = v.pos.or(key_at).unwrap_or(parent_at);
        let key_at = key_at.unwrap_or(parent_at);
        match v.node {
            Node::Table(t)
                if !(rules && t.iter().any(|(k, _, _)| k == "from" || k == "convert")) =>
            {
                flatten_targets(&name, key_at, t, out, rules);
            }
            node => out.push((name, key_at, at, node)),
        }
    }
}
