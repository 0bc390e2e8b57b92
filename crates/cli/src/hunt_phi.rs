//! PHI identifiers in events: `hunt` scans the places where identifiers
//! leak into logs (URLs and their query strings, database statements, log
//! messages) with the PHI scanner and reports a `phi` finding per event and
//! field, with counts by type and Safe Harbor category — never the text.

use std::collections::BTreeMap;

use phiwatch_event::{keys, Event, Key, ValueRef};
use phiwatch_finding::{Detector, Finding, Level, RuleRef};
use phiwatch_phi::{scan_document, Found, Layout, PhiType, ScanConfig, Scanner};

/// The fields scanned and how each is named in the finding.
const FIELDS: [(Key, &str); 4] = [
    (keys::URL_ORIGINAL, "url"),
    (keys::URL_FULL, "url"),
    (keys::DB_STATEMENT, "statement"),
    (keys::MESSAGE, "message"),
];

/// Types that identify a patient or their payment data strongly enough to
/// raise the finding to high.
const STRONG: [PhiType; 6] = [
    PhiType::UsSsn,
    PhiType::UsMbi,
    PhiType::CreditCard,
    PhiType::MedicalRecordNumber,
    PhiType::DateOfBirth,
    PhiType::UsItin,
];

/// The scanner `hunt` uses: every type but IP addresses (every log line
/// has them; they are not a patient's).
pub fn scanner() -> Scanner {
    let types = PhiType::ALL
        .iter()
        .copied()
        .filter(|t| *t != PhiType::IpAddress)
        .collect();
    Scanner::new(ScanConfig {
        types,
        ..ScanConfig::default()
    })
}

/// The `phi` findings of one event (one per field with identifiers), with
/// the rule, times and metrics filled; the caller adds entity and evidence.
pub fn findings(scanner: &Scanner, ev: &Event, found: &mut Vec<Found>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen_url = false;
    for (key, label) in FIELDS {
        let Some(ValueRef::Str(text)) = ev.get(key) else {
            continue;
        };
        if label == "url" {
            // url.original and url.full usually repeat one URL.
            if seen_url {
                continue;
            }
            seen_url = true;
        }
        found.clear();
        scan_document(scanner, text.as_bytes(), Layout::Text, found);
        if found.is_empty() {
            continue;
        }
        out.push(finding(ev, label, found));
    }
    out
}

fn finding(ev: &Event, label: &str, found: &[Found]) -> Finding {
    let mut by_type: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut categories: Vec<String> = Vec::new();
    let mut strong = false;
    for f in found {
        *by_type.entry(f.ty.name()).or_default() += 1.0;
        let h = f.ty.safe_harbor();
        let cat = format!("safe_harbor.{}", h.letter());
        if !categories.contains(&cat) {
            categories.push(cat);
        }
        strong |= STRONG.contains(&f.ty);
    }
    let level = if strong { Level::High } else { Level::Medium };
    let rule = RuleRef {
        id: format!("phiwatch-phi-{label}"),
        title: format!("PHI identifiers in a {}", field_noun(label)),
        level,
        author: Some("phiwatch".into()),
        source: None,
    };
    let mut f = Finding::new(Detector::Phi, rule, ev.time());
    let types: Vec<&str> = by_type.keys().copied().collect();
    f.summary = format!(
        "{} identifier{} ({}) in a {}",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        types.join(", "),
        field_noun(label)
    );
    f.tags = types
        .iter()
        .map(|t| format!("phi.{t}"))
        .chain(categories)
        .collect();
    f.metrics = by_type
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    f.metrics.insert("identifiers".into(), found.len() as f64);
    f.score = found.iter().map(|x| f64::from(x.score)).fold(0.0, f64::max);
    f
}

fn field_noun(label: &str) -> &'static str {
    match label {
        "url" => "URL",
        "statement" => "database statement",
        _ => "log message",
    }
}
