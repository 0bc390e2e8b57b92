//! Reading indicators from a STIX 2.1 bundle (or a bare indicator, or a JSON
//! array of objects). STIX 2.0 indicators, which have no `pattern_type`, are
//! read as STIX patterns.

use foldhash::HashMap;
use phiwatch_event::Timestamp;
use serde_json::{Map, Value};

use crate::model::{Indicator, KillChainPhase, LoadReport, Problem};

use super::compile::compile_pattern;
use super::parse::parse_stix_timestamp;

type Object = Map<String, Value>;

/// Reads the indicators of a STIX bundle. Every `indicator` object counts in
/// `report.read` and ends as one of: returned (`loaded`), expired at `now`
/// (`expired`), or a problem located at its id (a pattern that is not a STIX
/// pattern, does not parse or cannot be evaluated; a revoked indicator; a bad
/// timestamp). Other objects are context: `indicates` relationships to
/// `attack-pattern` objects with ATT&CK ids add techniques and tactics.
/// Invalid JSON is one problem for the file.
///
/// ```
/// use phiwatch_intel::{stix, LoadReport, Observable};
/// use phiwatch_event::Timestamp;
/// let text = r#"{"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
///     "pattern": "[url:value = 'http://Evil.Example/x']", "valid_from": "2024-01-01T00:00:00Z"}"#;
/// let mut report = LoadReport::default();
/// let found = stix::load(text, "feed.json", Timestamp::EPOCH, &mut report);
/// assert_eq!(found[0].any_of, vec![vec![Observable::Url("http://evil.example/x".into())]]);
/// assert_eq!((report.read, report.loaded), (1, 1));
/// ```
pub fn load(text: &str, source: &str, now: Timestamp, report: &mut LoadReport) -> Vec<Indicator> {
    let problem = |location: &str, reason: String| Problem {
        source: source.to_string(),
        location: location.to_string(),
        reason,
    };
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            report
                .problems
                .push(problem("file", format!("not JSON: {e}")));
            return Vec::new();
        }
    };
    let objects: Vec<&Object> = match &root {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("bundle") => o
            .get("objects")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default(),
        Value::Object(o) => vec![o],
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        _ => {
            report.problems.push(problem(
                "file",
                "not a STIX bundle, object or array of objects".into(),
            ));
            return Vec::new();
        }
    };
    let context = Context::new(&objects);
    let mut out = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        if str_of(obj, "type") != Some("indicator") {
            continue;
        }
        report.read += 1;
        let location = str_of(obj, "id").map_or_else(|| format!("objects[{i}]"), str::to_string);
        match indicator(obj, source, now, &context) {
            Ok(Some(ind)) => {
                report.loaded += 1;
                out.push(ind);
            }
            Ok(None) => report.expired += 1,
            Err(reason) => report.problems.push(problem(&location, reason)),
        }
    }
    out
}

fn str_of<'a>(obj: &'a Object, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn strings(obj: &Object, key: &str) -> Vec<String> {
    obj.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Techniques and tactics reachable from indicators through `indicates`
/// relationships to `attack-pattern` objects.
struct Context<'a> {
    attack_patterns: HashMap<&'a str, &'a Object>,
    indicates: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Context<'a> {
    fn new(objects: &[&'a Object]) -> Context<'a> {
        let mut attack_patterns = HashMap::default();
        let mut indicates: HashMap<&str, Vec<&str>> = HashMap::default();
        for obj in objects {
            match str_of(obj, "type") {
                Some("attack-pattern") => {
                    if let Some(id) = str_of(obj, "id") {
                        attack_patterns.insert(id, *obj);
                    }
                }
                Some("relationship") if str_of(obj, "relationship_type") == Some("indicates") => {
                    if let (Some(s), Some(t)) =
                        (str_of(obj, "source_ref"), str_of(obj, "target_ref"))
                    {
                        indicates.entry(s).or_default().push(t);
                    }
                }
                _ => {}
            }
        }
        Context {
            attack_patterns,
            indicates,
        }
    }

    /// Adds the ATT&CK techniques and tactics of the attack patterns that
    /// indicator `id` indicates.
    fn enrich(&self, id: &str, ind: &mut Indicator) {
        for target in self.indicates.get(id).into_iter().flatten() {
            let Some(ap) = self.attack_patterns.get(target) else {
                continue;
            };
            let techniques = attack_ids(ap);
            if techniques.is_empty() {
                continue;
            }
            push_unique(&mut ind.techniques, techniques);
            let tactics = kill_chain(ap)
                .into_iter()
                .filter(|k| k.chain == "mitre-attack");
            for k in tactics {
                if !ind.kill_chain.contains(&k) {
                    ind.kill_chain.push(k);
                }
            }
        }
    }
}

fn push_unique(into: &mut Vec<String>, items: Vec<String>) {
    for s in items {
        if !into.contains(&s) {
            into.push(s);
        }
    }
}

/// ATT&CK technique ids (`T1071.001`) among an object's external references.
fn attack_ids(obj: &Object) -> Vec<String> {
    let refs = obj.get("external_references").and_then(Value::as_array);
    refs.into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter(|r| str_of(r, "source_name") == Some("mitre-attack"))
        .filter_map(|r| str_of(r, "external_id"))
        .filter(|id| id.starts_with('T'))
        .map(str::to_string)
        .collect()
}

fn kill_chain(obj: &Object) -> Vec<KillChainPhase> {
    let phases = obj.get("kill_chain_phases").and_then(Value::as_array);
    phases
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|p| {
            Some(KillChainPhase {
                chain: str_of(p, "kill_chain_name")?.to_string(),
                phase: str_of(p, "phase_name")?.to_string(),
            })
        })
        .collect()
}

fn timestamp(obj: &Object, key: &str) -> Result<Option<Timestamp>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_stix_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("{key} {s:?} is not a STIX timestamp")),
        Some(other) => Err(format!("{key} {other} is not a STIX timestamp")),
    }
}

/// One indicator object: Ok(None) when expired at `now`.
fn indicator(
    obj: &Object,
    source: &str,
    now: Timestamp,
    context: &Context<'_>,
) -> Result<Option<Indicator>, String> {
    let id = str_of(obj, "id").ok_or("indicator without an id")?;
    if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
        return Err("revoked; not used".into());
    }
    let valid_from = timestamp(obj, "valid_from")?;
    let valid_until = timestamp(obj, "valid_until")?;
    if valid_until.is_some_and(|u| u < now) {
        return Ok(None);
    }
    let pattern_type = str_of(obj, "pattern_type").unwrap_or("stix");
    if pattern_type != "stix" {
        return Err(format!("pattern_type {pattern_type} is not evaluated"));
    }
    let pattern = str_of(obj, "pattern").ok_or("indicator without a pattern")?;
    let any_of = compile_pattern(pattern).map_err(|e| e.to_string())?;
    let mut labels = strings(obj, "labels");
    push_unique(&mut labels, strings(obj, "indicator_types"));
    let confidence = obj
        .get("confidence")
        .and_then(Value::as_u64)
        .filter(|&c| c <= 100)
        .and_then(|c| u8::try_from(c).ok());
    let mut ind = Indicator {
        id: id.to_string(),
        name: str_of(obj, "name")
            .filter(|s| !s.is_empty())
            .unwrap_or(pattern)
            .to_string(),
        source: source.to_string(),
        any_of,
        pattern: Some(pattern.to_string()),
        valid_from,
        valid_until,
        confidence,
        labels,
        kill_chain: kill_chain(obj),
        techniques: attack_ids(obj),
        description: str_of(obj, "description")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    };
    context.enrich(id, &mut ind);
    Ok(Some(ind))
}
