//! The ATT&CK Navigator layer (layer format 4.5) of the techniques in
//! scope.

use phiwatch_finding::{technique, ATTACK_VERSION};
use serde_json::{json, Value};

use crate::text;
use crate::Report;

/// The layer format version written.
pub const LAYER_VERSION: &str = "4.5";
/// The Navigator version the layer names (any Navigator reading layer
/// format 4.5 opens it).
pub const NAVIGATOR_VERSION: &str = "4.9.1";

/// The colour of a technique seen in scope.
const SEEN: &str = "#e8743b";

/// An ATT&CK Navigator layer (format 4.5, domain `enterprise-attack`) with
/// one entry per technique of the scope and tactic it served there: the
/// tactics of the technique (from the embedded ATT&CK tables) that are in
/// the scope's chain, or all of its tactics when none is, or no tactic
/// (every tactic, for Navigator) when the technique is not in the tables.
/// Every entry has score 1 and is enabled; a parent technique whose
/// sub-technique is in scope shows its sub-techniques.
pub fn navigator_layer(r: &Report) -> Value {
    let scope = &r.scope;
    let chain: Vec<&str> = scope
        .attack
        .tactics
        .iter()
        .map(|t| t.shortname.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let context = context(r);
    let mut techniques = Vec::new();
    for t in &scope.attack.techniques {
        let name = if t.name.is_empty() {
            technique(&t.id).map_or("", |i| i.name)
        } else {
            t.name.as_str()
        };
        let show_subs = !t.id.contains('.')
            && scope
                .attack
                .techniques
                .iter()
                .any(|o| o.id.starts_with(&format!("{}.", t.id)));
        let comment = format!("{name}: seen in {context}");
        let entry = |tactic: Option<&str>| {
            let mut e = json!({
                "techniqueID": t.id,
                "score": 1,
                "color": SEEN,
                "comment": comment,
                "enabled": true,
                "metadata": [],
                "links": [],
                "showSubtechniques": show_subs,
            });
            if let (Some(tactic), Some(obj)) = (tactic, e.as_object_mut()) {
                obj.insert("tactic".into(), Value::String(tactic.to_string()));
            }
            e
        };
        match technique(&t.id) {
            Some(info) => {
                let in_chain: Vec<&str> = info
                    .tactics
                    .iter()
                    .copied()
                    .filter(|s| chain.contains(s))
                    .collect();
                let tactics = if in_chain.is_empty() {
                    info.tactics.clone()
                } else {
                    in_chain
                };
                techniques.extend(tactics.into_iter().map(|s| entry(Some(s))));
            }
            None => techniques.push(entry(None)),
        }
    }
    layer(r, &context, techniques)
}

fn context(r: &Report) -> String {
    let w = &r.scope.window;
    match &r.scope.incident {
        Some(id) => format!("incident {id}"),
        None => format!(
            "the breach scope {} to {}",
            text::time(w.from),
            text::time(w.to)
        ),
    }
}

fn layer(r: &Report, context: &str, techniques: Vec<Value>) -> Value {
    let attack_major = ATTACK_VERSION.split('.').next().unwrap_or(ATTACK_VERSION);
    let tactics: Vec<String> = r
        .scope
        .attack
        .tactics
        .iter()
        .map(|t| format!("{} ({})", t.name, t.id))
        .collect();
    json!({
        "name": format!("phiwatch: {} breach", r.facts.covered_entity),
        "versions": {
            "attack": attack_major,
            "navigator": NAVIGATOR_VERSION,
            "layer": LAYER_VERSION,
        },
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques of the findings in {context}. Tactic chain: {}.",
            if tactics.is_empty() { "none".to_string() } else { tactics.join(" -> ") }
        ),
        "sorting": 0,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": true,
            "showName": true,
            "showAggregateScores": false,
            "countUnscored": false,
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {
            "colors": ["#ffffff", SEEN],
            "minValue": 0,
            "maxValue": 1,
        },
        "legendItems": [
            { "label": "Seen in the breach scope", "color": SEEN },
        ],
        "metadata": [
            { "name": "generator", "value": r.generator },
            { "name": "generated", "value": r.generated },
            { "name": "scope", "value": context },
        ],
        "links": [],
        "showTromboneLines": true,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
    })
}
