//! The STIX 2.1 bundle: one `identity` for phiwatch, then per indicator an
//! `indicator` object and a `sighting` of it.

use phiwatch_event::Timestamp;
use serde_json::{json, Map, Value};

use super::{
    deterministic_uuid, export_time, merge, Export, ExportSummary, LeftOut, Merged, Observed,
};
use crate::model::{Indicator, IpNet, Observable};

/// The largest `count` a STIX sighting may carry.
const MAX_SIGHTING_COUNT: u64 = 999_999_999;

/// The STIX 2.1 indicator-type vocabulary: labels in it become
/// `indicator_types`.
const INDICATOR_TYPES: [&str; 7] = [
    "anomalous-activity",
    "anonymization",
    "benign",
    "compromised",
    "malicious-activity",
    "attribution",
    "unknown",
];

/// Why JA3, JA3S and JA4 are left out of STIX patterns.
const NO_STIX_FORM: &str = "no STIX 2.1 pattern form (TLS fingerprints)";

/// Why the rest of an AND group holding a fingerprint is left out (the
/// group without it would match more than the indicator does).
const AND_WITH_FINGERPRINT: &str = "in an AND group with a TLS fingerprint";

/// The STIX 2.1 bundle of `items` (see [`stix_export`]).
pub fn stix_bundle(items: &[Observed], created: Timestamp) -> Value {
    stix_export(items, created).output
}

/// The STIX 2.1 bundle of `items`, `created` being the `created` and
/// `modified` time of every object, with what it left out.
///
/// Objects: one `identity` (phiwatch, class `system`); per indicator an
/// `indicator` (its original STIX pattern when it has one, else one built
/// from its observables: groups joined by `OR`, a group's comparisons by
/// `AND` inside one `[…]`) and a `sighting` of it (first and last seen,
/// count, sighted where the identity is). Ids are deterministic UUIDs from
/// the indicator id. JA3, JA3S and JA4 fingerprints have no STIX pattern
/// form: a group holding one is left out of the pattern (and named in the
/// description); an indicator with nothing else is skipped. Both are counted
/// in the summary.
pub fn stix_export(items: &[Observed], created: Timestamp) -> Export<Value> {
    let merged = merge(items);
    let ctx = Ctx {
        created: export_time(created),
        identity: format!("identity--{}", deterministic_uuid("identity", "phiwatch")),
    };
    let mut summary = ExportSummary {
        items: items.len(),
        merged: items.len() - merged.len(),
        ..ExportSummary::default()
    };
    let mut objects = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": ctx.identity,
        "created": ctx.created,
        "modified": ctx.created,
        "name": "phiwatch",
        "description": "phiwatch, a detector of patient-data theft in logs.",
        "identity_class": "system",
    })];
    let mut bundle_key = ctx.created.clone();
    for m in &merged {
        let Some(built) = pattern_of(m.indicator, &mut summary.left_out) else {
            summary.skipped += 1;
            continue;
        };
        let indicator = indicator_object(&ctx, m, built);
        let sighting = sighting_object(&ctx, m, &indicator["id"]);
        objects.push(indicator);
        objects.push(sighting);
        summary.indicators += 1;
        summary.sightings += 1;
        bundle_key.push('\n');
        bundle_key.push_str(&m.indicator.id);
    }
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", deterministic_uuid("bundle", &bundle_key)),
        "objects": objects,
    });
    Export {
        output: bundle,
        summary,
    }
}

/// A bundle as pretty JSON text, with a final newline.
pub fn to_string(bundle: &Value) -> String {
    // Serializing a `Value` cannot fail: its map keys are strings.
    let mut s = serde_json::to_string_pretty(bundle).unwrap_or_default();
    s.push('\n');
    s
}

/// What every object shares.
struct Ctx {
    created: String,
    identity: String,
}

/// A pattern and the note on what was left out of it.
struct Built {
    pattern: String,
    note: Option<String>,
}

/// The STIX comparison expression for one observable
/// (`ipv4-addr:value = '192.0.2.1'`), without brackets; None for JA3, JA3S
/// and JA4, which have no STIX form. Strings escape `\` and `'`.
///
/// ```
/// use phiwatch_intel::export::comparison;
/// use phiwatch_intel::{parse_ip_net, Observable};
/// let net = Observable::Ip(parse_ip_net("10.0.0.0/8").unwrap());
/// assert_eq!(comparison(&net).unwrap(), "ipv4-addr:value ISSUBSET '10.0.0.0/8'");
/// assert_eq!(comparison(&Observable::Ja3("e7d7".into())), None);
/// ```
pub fn comparison(o: &Observable) -> Option<String> {
    let (path, op, value) = match o {
        Observable::Ip(net) => ip_comparison(net),
        Observable::Domain(d) => ("domain-name:value".to_string(), "=", d.clone()),
        Observable::Url(u) => ("url:value".to_string(), "=", u.clone()),
        Observable::FileHash(k, h) => (format!("file:hashes.'{}'", k.stix_name()), "=", h.clone()),
        Observable::CertHash(k, h) => (
            format!("x509-certificate:hashes.'{}'", k.stix_name()),
            "=",
            h.clone(),
        ),
        Observable::Email(e) => ("email-addr:value".to_string(), "=", e.clone()),
        Observable::UserAgent(ua) => (
            "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'".to_string(),
            "=",
            ua.clone(),
        ),
        Observable::FileName(n) => ("file:name".to_string(), "=", n.clone()),
        Observable::Ja3(_) | Observable::Ja3s(_) | Observable::Ja4(_) => return None,
    };
    Some(format!("{path} {op} '{}'", escape(&value)))
}

fn ip_comparison(net: &IpNet) -> (String, &'static str, String) {
    let path = if net.addr.is_ipv4() {
        "ipv4-addr:value"
    } else {
        "ipv6-addr:value"
    };
    let op = if net.is_host() { "=" } else { "ISSUBSET" };
    (path.to_string(), op, net.to_string())
}

/// A STIX string literal's body: `\` and `'` escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The indicator's pattern: its original one, or one built from its
/// observables. None when nothing in it has a STIX form (recorded in
/// `left_out`).
fn pattern_of(ind: &Indicator, left_out: &mut Vec<LeftOut>) -> Option<Built> {
    if let Some(p) = ind.pattern.as_deref().filter(|p| !p.trim().is_empty()) {
        return Some(Built {
            pattern: p.to_string(),
            note: None,
        });
    }
    let mut groups = Vec::new();
    let mut dropped = Vec::new();
    for group in &ind.any_of {
        let parts: Option<Vec<String>> = group.iter().map(comparison).collect();
        match parts {
            Some(parts) if !parts.is_empty() => groups.push(format!("[{}]", parts.join(" AND "))),
            Some(_) => {}
            None => {
                for o in group {
                    dropped.push(format!("{} {}", o.kind(), o.value()));
                    let reason = match comparison(o) {
                        None => NO_STIX_FORM,
                        Some(_) => AND_WITH_FINGERPRINT,
                    };
                    left_out.push(LeftOut {
                        indicator_id: ind.id.clone(),
                        observable: o.clone(),
                        reason,
                    });
                }
            }
        }
    }
    if groups.is_empty() {
        return None;
    }
    let note = (!dropped.is_empty())
        .then(|| format!("Not in the pattern (no STIX form): {}.", dropped.join(", ")));
    Some(Built {
        pattern: groups.join(" OR "),
        note,
    })
}

/// The `indicator` object.
fn indicator_object(ctx: &Ctx, m: &Merged<'_>, built: Built) -> Value {
    let ind = m.indicator;
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_string(), v);
    };
    put("type", "indicator".into());
    put("spec_version", "2.1".into());
    put(
        "id",
        format!("indicator--{}", deterministic_uuid("indicator", &ind.id)).into(),
    );
    put("created_by_ref", ctx.identity.clone().into());
    put("created", ctx.created.clone().into());
    put("modified", ctx.created.clone().into());
    put(
        "name",
        if ind.name.is_empty() {
            ind.id.clone()
        } else {
            ind.name.clone()
        }
        .into(),
    );
    put("description", description(m, built.note).into());
    put("indicator_types", indicator_types(&ind.labels).into());
    put("pattern", built.pattern.into());
    put("pattern_type", "stix".into());
    put("pattern_version", "2.1".into());
    let valid_from = ind.valid_from.unwrap_or(m.first_seen);
    put("valid_from", export_time(valid_from).into());
    // STIX requires valid_until after valid_from; a contradicting one is dropped.
    if let Some(until) = ind.valid_until.filter(|u| *u > valid_from) {
        put("valid_until", export_time(until).into());
    }
    if !ind.kill_chain.is_empty() {
        let phases: Vec<Value> = ind
            .kill_chain
            .iter()
            .map(|k| json!({"kill_chain_name": k.chain, "phase_name": k.phase}))
            .collect();
        put("kill_chain_phases", phases.into());
    }
    if let Some(c) = ind.confidence {
        put("confidence", c.min(100).into());
    }
    if !ind.labels.is_empty() {
        put("labels", ind.labels.clone().into());
    }
    if !ind.techniques.is_empty() {
        let refs: Vec<Value> = ind
            .techniques
            .iter()
            .map(|t| json!({"source_name": "mitre-attack", "external_id": t}))
            .collect();
        put("external_references", refs.into());
    }
    Value::Object(o)
}

/// The indicator's description, or one saying where it came from, with the
/// note on what its pattern left out.
fn description(m: &Merged<'_>, note: Option<String>) -> String {
    let mut d = match &m.indicator.description {
        Some(d) if !d.trim().is_empty() => d.clone(),
        _ if m.observed_by_phiwatch => "Surfaced by phiwatch's own detections.".to_string(),
        _ => "Imported indicator sighted by phiwatch.".to_string(),
    };
    if let Some(note) = note {
        d.push(' ');
        d.push_str(&note);
    }
    d
}

/// The labels that are STIX indicator types, or `malicious-activity`.
fn indicator_types(labels: &[String]) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for l in labels {
        if INDICATOR_TYPES.contains(&l.as_str()) && !types.contains(l) {
            types.push(l.clone());
        }
    }
    if types.is_empty() {
        types.push("malicious-activity".to_string());
    }
    types
}

/// The `sighting` object of the indicator with id `of`.
fn sighting_object(ctx: &Ctx, m: &Merged<'_>, of: &Value) -> Value {
    json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{}", deterministic_uuid("sighting", &m.indicator.id)),
        "created_by_ref": ctx.identity,
        "created": ctx.created,
        "modified": ctx.created,
        "sighting_of_ref": of,
        "first_seen": export_time(m.first_seen),
        "last_seen": export_time(m.last_seen),
        "count": m.count.min(MAX_SIGHTING_COUNT),
        "where_sighted_refs": [ctx.identity],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn escapes_backslash_then_quote() {
        assert_eq!(escape(r"a\'b"), r"a\\\'b");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn types_from_labels() {
        let labels = vec!["apt".to_string(), "compromised".to_string()];
        assert_eq!(indicator_types(&labels), vec!["compromised"]);
        assert_eq!(indicator_types(&[]), vec!["malicious-activity"]);
    }

    #[test]
    fn and_group_with_fingerprint_is_dropped_whole() {
        let mut ind = Indicator::of(Observable::Domain("evil.example".into()), "x");
        ind.any_of.push(vec![
            Observable::Email("a@evil.example".into()),
            Observable::Ja4("t13d1516h2_8daaf6152771_02713d6af862".into()),
        ]);
        let mut left = Vec::new();
        let built = pattern_of(&ind, &mut left).unwrap();
        assert_eq!(built.pattern, "[domain-name:value = 'evil.example']");
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].reason, AND_WITH_FINGERPRINT);
        assert_eq!(left[1].reason, NO_STIX_FORM);
        assert!(built.note.unwrap().contains("ja4 t13d1516h2"));
    }
}
