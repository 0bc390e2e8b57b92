//! MISP event JSON: `{"Event": {…}}`, `{"response": [{"Event": …}]}`, a
//! list of those, or a bare event object.
//!
//! Each attribute (in `Event.Attribute[]` and `Event.Object[].Attribute[]`)
//! is one item read. Attributes with `to_ids` false, deleted ones, and those
//! of types that carry no network observable (`text`, `comment`, `link`,
//! `vulnerability`, …) are context: counted in `not_for_detection`. Types
//! phiwatch does not match (`AS`, `jarm-fingerprint`, `regkey`, …) and
//! values that do not parse are problems.
//!
//! | MISP type | observables |
//! |---|---|
//! | `ip-src`, `ip-dst` (and `…|port`) | address or network |
//! | `domain`, `hostname` (and `hostname|port`) | domain |
//! | `domain|ip` | domain, or address (two groups) |
//! | `url`, absolute `uri` | URL |
//! | `md5`, `sha1`, `sha256`, `sha512` | file hash |
//! | `filename|md5` … `filename|sha512`, `malware-sample` | file hash, or file name |
//! | `filename` | file name |
//! | `email`, `email-src`, `email-dst` | email |
//! | `ja3-fingerprint-md5` | JA3 |
//! | `user-agent` | user agent |
//! | `x509-fingerprint-md5`/`-sha1`/`-sha256` | certificate hash |
//!
//! The indicator id is the attribute's `uuid` (else the event's uuid and the
//! attribute's number), its name the event's `info` and the value, its
//! labels the event's and the attribute's tags; ATT&CK techniques come from
//! galaxy tags (`misp-galaxy:mitre-attack-pattern="… - T1071"`), kill-chain
//! phases from `kill-chain:…` tags and galaxy clusters' `kill_chain`.

use serde_json::{Map, Value};

use super::{problem, shorten};
use crate::model::{HashKind, Indicator, KillChainPhase, LoadReport, Observable};
use crate::normalize::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net,
};

/// Types that describe rather than detect: counted as not for detection.
const CONTEXT_TYPES: &[&str] = &[
    "text",
    "comment",
    "other",
    "link",
    "vulnerability",
    "weakness",
    "attachment",
    "threat-actor",
    "campaign-name",
    "campaign-id",
    "counter",
    "datetime",
    "float",
    "size-in-bytes",
    "boolean",
    "cpe",
    "anonymised",
    "whois-registrar",
    "whois-creation-date",
];

/// Loads the indicators of MISP event JSON text.
pub fn load(text: &str, source: &str, report: &mut LoadReport) -> Vec<Indicator> {
    match serde_json::from_str::<Value>(super::strip_bom(text)) {
        Ok(v) => load_value(&v, source, report),
        Err(e) => {
            problem(report, source, "file", &format!("invalid JSON: {e}"));
            Vec::new()
        }
    }
}

/// Loads the indicators of parsed MISP event JSON.
pub fn load_value(v: &Value, source: &str, report: &mut LoadReport) -> Vec<Indicator> {
    let mut events = Vec::new();
    collect_events(v, &mut events, 0);
    let mut out = Vec::new();
    for ev in events {
        load_event(ev, source, report, &mut out);
    }
    out
}

/// Finds the event objects in the document.
fn collect_events<'a>(v: &'a Value, out: &mut Vec<&'a Map<String, Value>>, depth: u8) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_events(i, out, depth + 1)),
        Value::Object(o) => match (o.get("Event"), o.get("response")) {
            (Some(Value::Object(e)), _) => out.push(e),
            (Some(other), _) | (None, Some(other)) => collect_events(other, out, depth + 1),
            (None, None) => out.push(o),
        },
        _ => {}
    }
}

/// What an event gives each of its attributes.
struct EventCtx<'a> {
    source: &'a str,
    info: Option<&'a str>,
    uuid: Option<&'a str>,
    tags: Vec<String>,
}

/// Loads one event's attributes, then its objects' attributes.
fn load_event(
    ev: &Map<String, Value>,
    source: &str,
    report: &mut LoadReport,
    out: &mut Vec<Indicator>,
) {
    let mut tags = tag_names(ev.get("Tag"));
    union(&mut tags, galaxy_tags(ev.get("Galaxy")));
    let ctx = EventCtx {
        source,
        info: ev
            .get("info")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty()),
        uuid: ev
            .get("uuid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty()),
        tags,
    };
    let mut index = 0usize;
    let attributes = as_array(ev.get("Attribute"));
    let objects = as_array(ev.get("Object"));
    let object_attributes = objects.iter().flat_map(|o| as_array(o.get("Attribute")));
    for attr in attributes.iter().chain(object_attributes) {
        index += 1;
        if let Value::Object(a) = attr {
            report.read += 1;
            if let Some(ind) = load_attribute(&ctx, a, index, report) {
                out.push(ind);
            }
        }
    }
}

/// The attribute as an indicator, or None (counted) when it is context or
/// a problem.
fn load_attribute(
    ctx: &EventCtx<'_>,
    a: &Map<String, Value>,
    index: usize,
    report: &mut LoadReport,
) -> Option<Indicator> {
    let uuid = a
        .get("uuid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let location = match uuid {
        Some(u) => format!("Attribute {u}"),
        None => format!("Attribute {index}"),
    };
    let ty = a.get("type").and_then(Value::as_str).unwrap_or("").trim();
    let value = match a.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            problem(
                report,
                ctx.source,
                &location,
                "MISP attribute without a value",
            );
            return None;
        }
    };
    if !to_ids(a.get("to_ids")) || a.get("deleted").and_then(Value::as_bool) == Some(true) {
        report.not_for_detection += 1;
        return None;
    }
    let any_of = match map_type(ty, &value) {
        Mapped::Groups(g) => g,
        Mapped::Context => {
            report.not_for_detection += 1;
            return None;
        }
        Mapped::NotMatched(reason) => {
            problem(report, ctx.source, &location, &reason);
            return None;
        }
        Mapped::Bad => {
            let reason = format!("MISP {ty} value {:?} cannot be read", shorten(&value));
            problem(report, ctx.source, &location, &reason);
            return None;
        }
    };
    Some(build(ctx, a, uuid, index, &value, any_of))
}

/// The indicator of a mapped attribute.
fn build(
    ctx: &EventCtx<'_>,
    a: &Map<String, Value>,
    uuid: Option<&str>,
    index: usize,
    value: &str,
    any_of: Vec<Vec<Observable>>,
) -> Indicator {
    let id = match (uuid, ctx.uuid) {
        (Some(u), _) => u.to_string(),
        (None, Some(e)) => format!("{e}#{index}"),
        (None, None) => format!("misp:{}#{index}", ctx.source),
    };
    let value = value.trim();
    let name = match ctx.info {
        Some(info) => format!("{} / {value}", info.trim()),
        None => value.to_string(),
    };
    let mut labels = ctx.tags.clone();
    union(&mut labels, tag_names(a.get("Tag")));
    union(&mut labels, galaxy_tags(a.get("Galaxy")));
    let mut kill_chain = kill_chain_of(&labels);
    union(&mut kill_chain, galaxy_kill_chain(a.get("Galaxy")));
    let description = a
        .get("comment")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    Indicator {
        id,
        name,
        source: ctx.source.to_string(),
        any_of,
        pattern: None,
        valid_from: None,
        valid_until: None,
        confidence: None,
        techniques: techniques_of(&labels),
        labels,
        kill_chain,
        description,
    }
}

/// What a MISP attribute's type and value amount to.
enum Mapped {
    /// Observables to look for.
    Groups(Vec<Vec<Observable>>),
    /// Context, not an observable.
    Context,
    /// An observable phiwatch does not match, with the reason.
    NotMatched(String),
    /// A value that does not parse as its type.
    Bad,
}

/// Maps a MISP attribute type and value to observables.
fn map_type(ty: &str, value: &str) -> Mapped {
    let (first, second) = match value.split_once('|') {
        Some((a, b)) => (a, b),
        None => (value, ""),
    };
    let hash_kind = |t: &str| match t.rsplit('|').next() {
        Some("md5") => Some(HashKind::Md5),
        Some("sha1") => Some(HashKind::Sha1),
        Some("sha256") => Some(HashKind::Sha256),
        Some("sha512") => Some(HashKind::Sha512),
        _ => None,
    };
    match ty {
        "ip-src" | "ip-dst" => one(ip(value)),
        "ip-src|port" | "ip-dst|port" => one(ip(first)),
        "domain" | "hostname" => one(domain(value)),
        "hostname|port" => one(domain(first)),
        "domain|ip" => two(domain(first), ip(second)),
        "url" => one(url(value)),
        "uri" if value.contains("://") => one(url(value)),
        "uri" => Mapped::NotMatched("MISP uri without a host is not matched".into()),
        "md5" | "sha1" | "sha256" | "sha512" => one(file_hash(value, hash_kind(ty))),
        "filename|md5" | "filename|sha1" | "filename|sha256" | "filename|sha512" => {
            two(file_hash(second, hash_kind(ty)), file_name(first))
        }
        "malware-sample" => two(file_hash(second, Some(HashKind::Md5)), file_name(first)),
        "filename" => one(file_name(value)),
        "email" | "email-src" | "email-dst" => one(normalize_email(value).map(Observable::Email)),
        "ja3-fingerprint-md5" => {
            one(normalize_hash(value, Some(HashKind::Md5)).map(|(_, h)| Observable::Ja3(h)))
        }
        "user-agent" => one(non_empty(value).map(Observable::UserAgent)),
        "x509-fingerprint-md5" | "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => {
            let kind = ty.rsplit('-').next().and_then(hash_kind);
            let hex: String = value.chars().filter(|c| *c != ':').collect();
            one(normalize_hash(&hex, kind).map(|(k, h)| Observable::CertHash(k, h)))
        }
        t if CONTEXT_TYPES.contains(&t) => Mapped::Context,
        _ => Mapped::NotMatched(format!("MISP type {} is not matched", shorten(ty))),
    }
}

/// One group of one observable, or a bad value.
fn one(o: Option<Observable>) -> Mapped {
    o.map_or(Mapped::Bad, |o| Mapped::Groups(vec![vec![o]]))
}

/// Two groups of one observable each (either matches), or a bad value.
fn two(a: Option<Observable>, b: Option<Observable>) -> Mapped {
    match (a, b) {
        (Some(a), Some(b)) => Mapped::Groups(vec![vec![a], vec![b]]),
        _ => Mapped::Bad,
    }
}

fn ip(s: &str) -> Option<Observable> {
    parse_ip_net(s).map(Observable::Ip)
}

fn domain(s: &str) -> Option<Observable> {
    normalize_domain(s).map(Observable::Domain)
}

fn url(s: &str) -> Option<Observable> {
    normalize_url(s).map(Observable::Url)
}

fn file_hash(s: &str, kind: Option<HashKind>) -> Option<Observable> {
    normalize_hash(s, kind).map(|(k, h)| Observable::FileHash(k, h))
}

fn file_name(s: &str) -> Option<Observable> {
    non_empty(s).map(Observable::FileName)
}

/// The trimmed text, if any.
fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Whether `to_ids` is set: true unless false, `0` or `"0"`/`"false"`.
fn to_ids(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(Value::String(s)) => !matches!(s.trim(), "0" | "false" | "False"),
        _ => true,
    }
}

/// The items of a JSON array (nothing for anything else).
fn as_array(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// `Tag[].name`.
fn tag_names(v: Option<&Value>) -> Vec<String> {
    as_array(v)
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `Galaxy[].GalaxyCluster[].tag_name`.
fn galaxy_tags(v: Option<&Value>) -> Vec<String> {
    galaxy_clusters(v)
        .filter_map(|c| c.get("tag_name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The clusters of a `Galaxy` list.
fn galaxy_clusters(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    as_array(v)
        .iter()
        .flat_map(|g| as_array(g.get("GalaxyCluster")))
}

/// `Galaxy[].GalaxyCluster[].meta.kill_chain[]` (`mitre-attack:…:phase`).
fn galaxy_kill_chain(v: Option<&Value>) -> Vec<KillChainPhase> {
    galaxy_clusters(v)
        .flat_map(|c| as_array(c.get("meta").and_then(|m| m.get("kill_chain"))))
        .filter_map(Value::as_str)
        .filter_map(|s| {
            let chain = s.split(':').next()?.trim();
            let phase = s.rsplit(':').next()?.trim();
            (s.contains(':') && !chain.is_empty() && !phase.is_empty()).then(|| KillChainPhase {
                chain: chain.to_string(),
                phase: phase.to_string(),
            })
        })
        .collect()
}

/// Kill-chain phases from `kill-chain:Phase` tags (the Lockheed Martin
/// kill chain taxonomy): `kill-chain:Command and Control` is
/// `lockheed-martin-cyber-kill-chain` / `command-and-control`.
fn kill_chain_of(tags: &[String]) -> Vec<KillChainPhase> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("kill-chain:"))
        .map(|p| {
            p.trim()
                .trim_matches('"')
                .trim()
                .to_lowercase()
                .replace(' ', "-")
        })
        .filter(|p| !p.is_empty())
        .map(|phase| KillChainPhase {
            chain: "lockheed-martin-cyber-kill-chain".to_string(),
            phase,
        })
        .collect()
}

/// ATT&CK technique ids from attack-pattern galaxy tags
/// (`misp-galaxy:mitre-attack-pattern="Application Layer Protocol - T1071"`).
fn techniques_of(tags: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags.iter().filter(|t| t.contains("attack-pattern")) {
        let value = tag
            .split_once('=')
            .map_or(tag.as_str(), |(_, v)| v)
            .trim()
            .trim_matches('"');
        let id = value.rsplit_once(" - ").map_or(value, |(_, id)| id).trim();
        if is_technique(id) && !out.iter().any(|t| t == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// `T1234` or `T1234.567`.
fn is_technique(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// Appends the items of `more` not already in `into`.
fn union<T: PartialEq>(into: &mut Vec<T>, more: Vec<T>) {
    for item in more {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_and_phases_from_tags() {
        let tags = vec![
            "misp-galaxy:mitre-attack-pattern=\"Application Layer Protocol - T1071\"".to_string(),
            "misp-galaxy:mitre-attack-pattern=\"Web Protocols - T1071.001\"".to_string(),
            "misp-galaxy:threat-actor=\"Sofacy\"".to_string(),
            "kill-chain:Command and Control".to_string(),
        ];
        assert_eq!(techniques_of(&tags), vec!["T1071", "T1071.001"]);
        let kc = kill_chain_of(&tags);
        assert_eq!(kc.len(), 1);
        assert_eq!(kc[0].phase, "command-and-control");
        assert!(!is_technique("T10"));
        assert!(!is_technique("X1071"));
    }

    #[test]
    fn composite_types() {
        match map_type("domain|ip", "Evil.Example.|10.0.0.1") {
            Mapped::Groups(g) => {
                assert_eq!(g[0], vec![Observable::Domain("evil.example".into())]);
                assert_eq!(g[1][0].value(), "10.0.0.1");
            }
            _ => panic!("domain|ip not mapped"),
        }
        assert!(matches!(
            map_type("ip-dst|port", "2001:db8::1|443"),
            Mapped::Groups(_)
        ));
        assert!(matches!(map_type("ip-dst", "nope"), Mapped::Bad));
        assert!(matches!(map_type("text", "x"), Mapped::Context));
        assert!(matches!(map_type("AS", "AS64496"), Mapped::NotMatched(_)));
        assert!(matches!(
            map_type("uri", "/gate.php"),
            Mapped::NotMatched(_)
        ));
    }
}
