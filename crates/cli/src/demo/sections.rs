//! The chain's sections of `phiwatch demo`'s summary, as text and as
//! JSON: the detections, the incident, its scope, the HIPAA
//! determination and the ground-truth check.

use std::io::{self, Write};
use std::path::Path;

use phiwatch_finding::{Detector, Finding, Level};
use phiwatch_hipaa::Determination;
use phiwatch_scope::Scope;
use serde_json::{json, Value};

use super::chain::Chain;
use super::detections::Detections;
use super::text::{bytes_text, plural, second_text, span_text, wrap_list};
use super::truth::{Differences, TruthCheck};

/// Rules and analytics listed in the table (all of them in the JSON).
const FIRED_ROWS: usize = 15;
/// Destinations listed in the table.
const DESTINATION_ROWS: usize = 5;
/// Differences from the truth listed in the table (all in the JSON).
const DIFFERENCE_ROWS: usize = 6;
/// Width of wrapped lists.
const WIDTH: usize = 84;
/// Levels, highest first, as the table's columns.
const LEVELS: [Level; 5] = [
    Level::Critical,
    Level::High,
    Level::Medium,
    Level::Low,
    Level::Informational,
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Findings by detector and level, then the rules that fired.
pub(super) fn write_detections(
    out: &mut impl Write,
    d: &Detections,
    findings: &Path,
) -> io::Result<()> {
    writeln!(
        out,
        "DETECTIONS (Sigma rules, correlations, analytics, PHI and incidents over the same events)"
    )?;
    if d.findings == 0 {
        return writeln!(out, "  no finding\n");
    }
    writeln!(
        out,
        "  {:<12} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "DETECTOR", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO", "TOTAL"
    )?;
    for det in Detector::ALL {
        let total = d.of_detector(det);
        if total == 0 {
            continue;
        }
        let [c, h, m, l, i] = LEVELS.map(|l| d.count(det, l));
        writeln!(
            out,
            "  {:<12} {c:>8} {h:>6} {m:>6} {l:>6} {i:>6} {total:>6}",
            det.as_str()
        )?;
    }
    writeln!(
        out,
        "\n  {:<9} {:<12} {:>5}  {:<20}  {:<20}  RULE OR ANALYTIC",
        "LEVEL", "DETECTOR", "COUNT", "FIRST", "LAST"
    )?;
    for f in d.fired.iter().take(FIRED_ROWS) {
        writeln!(
            out,
            "  {:<9} {:<12} {:>5}  {:<20}  {:<20}  {}",
            f.level.as_str(),
            f.detector.as_str(),
            f.count,
            second_text(f.first),
            second_text(f.last),
            f.title
        )?;
    }
    if d.fired.len() > FIRED_ROWS {
        writeln!(
            out,
            "  … {} more ({} has every finding)",
            d.fired.len() - FIRED_ROWS,
            findings.display()
        )?;
    }
    writeln!(out)
}

fn incidents(c: &Chain) -> u64 {
    c.detections.of_detector(Detector::Incident)
}

/// The incident scoped.
pub(super) fn write_incident(out: &mut impl Write, c: &Chain) -> io::Result<()> {
    let Some(f) = &c.incident else {
        return writeln!(
            out,
            "INCIDENT\n  none: the detectors' findings did not add up to an incident\n"
        );
    };
    let n = incidents(c);
    writeln!(
        out,
        "INCIDENT {} (the highest of {n} incident{})",
        f.id,
        plural(n)
    )?;
    writeln!(
        out,
        "  level     {}, risk {:.2}",
        f.rule.level.as_str(),
        f.metrics.get("risk").copied().unwrap_or(f.score)
    )?;
    writeln!(out, "  chain     {}", opt(f.group.get("chain")))?;
    writeln!(out, "  actors    {}", wrap_list(&entities(f), 12, WIDTH))?;
    writeln!(
        out,
        "  findings  {} linked, from {} detector{}",
        metric(f, "findings"),
        metric(f, "detectors"),
        plural(metric(f, "detectors"))
    )?;
    writeln!(
        out,
        "  span      {} to {} ({})\n",
        second_text(f.time),
        second_text(f.end_time),
        span_text((f.end_time.as_nanos() - f.time.as_nanos()) as f64 / 1e9)
    )
}

/// The incident's actors (`user:…`, `ip:…`, `host:…`, `net:…`): what its
/// scope is about (all its entities when it names no actors).
fn entities(f: &Finding) -> Vec<&str> {
    f.group
        .get("actors")
        .or_else(|| f.group.get("entities"))
        .map(|s| s.split(", ").filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

/// A count among an incident's metrics.
fn metric(f: &Finding, name: &str) -> u64 {
    f.metrics.get(name).map_or(0, |v| v.max(0.0) as u64)
}

/// The incident's scope: silos, individuals, bytes out.
pub(super) fn write_scope(out: &mut impl Write, c: &Chain) -> io::Result<()> {
    let Some(r) = &c.report else {
        return writeln!(out, "SCOPE\n  nothing to scope: no incident\n");
    };
    let s = &r.scope;
    writeln!(
        out,
        "SCOPE (the incident's window and actors over the data-access ledger)"
    )?;
    writeln!(
        out,
        "  {:<20} {:<6} {:>8}  {:<4} {:>8}",
        "SILO", "KIND", "PATIENTS", "BULK", "ACCESSES"
    )?;
    for silo in &s.silos {
        writeln!(
            out,
            "  {:<20} {:<6} {:>8}  {:<4} {:>8}",
            silo.name,
            silo.kind,
            silo.patients,
            if silo.bulk { "yes" } else { "no" },
            silo.accesses
        )?;
    }
    let i = &s.individuals;
    writeln!(
        out,
        "  individuals  {} in {} state{} ({} deceased, {} living without contact details)",
        i.total,
        i.by_state.len(),
        plural(i.by_state.len() as u64),
        i.deceased,
        i.without_contact
    )?;
    let mut states: Vec<(&String, &u64)> = i.by_state.iter().collect();
    states.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    writeln!(out, "  by state     {}", wrap_list(&states, 15, WIDTH))?;
    writeln!(out, "  bytes out    {}\n", exfiltration_text(s))
}

/// Bytes out and their destinations, one destination a line.
fn exfiltration_text(s: &Scope) -> String {
    let e = &s.exfiltration;
    if e.destinations.is_empty() {
        return "none seen from the actors".into();
    }
    let mut text = format!(
        "{} to {} destination{}",
        bytes_text(e.bytes),
        e.destinations.len(),
        plural(e.destinations.len() as u64),
    );
    for d in e.destinations.iter().take(DESTINATION_ROWS) {
        text.push_str(&format!(
            "\n               {:>9}  {}",
            bytes_text(d.bytes),
            d.address
        ));
        if let Some(name) = d.names.first() {
            text.push_str(&format!(" ({name})"));
        }
    }
    if e.destinations.len() > DESTINATION_ROWS {
        text.push_str(&format!(
            "\n               … {} more (report.json has them all)",
            e.destinations.len() - DESTINATION_ROWS
        ));
    }
    text
}

/// The State notices whose regulator must be told: (state, regulator,
/// deadline).
fn regulators(h: &Determination) -> Vec<(&str, &str, String)> {
    h.state_notices
        .iter()
        .filter(|n| n.regulator_required)
        .map(|n| {
            (
                n.state.as_str(),
                n.regulator.as_deref().unwrap_or("the regulator"),
                opt(n.regulator_deadline),
            )
        })
        .collect()
}

/// The HIPAA determination's key answers.
pub(super) fn write_hipaa(out: &mut impl Write, c: &Chain) -> io::Result<()> {
    let Some(r) = &c.report else {
        return writeln!(out, "HIPAA\n  no determination: no incident\n");
    };
    let h = &r.hipaa;
    writeln!(
        out,
        "HIPAA (45 CFR 164.400-414; discovered {} assumed: the day after the logs end)",
        c.discovered
    )?;
    writeln!(
        out,
        "  breach presumed    {}",
        if h.breach_presumed { "yes" } else { "no" }
    )?;
    writeln!(
        out,
        "  individual notice  by {}",
        opt(h.individual_deadline)
    )?;
    let mode = h.hhs.mode.map(|m| match m {
        phiwatch_hipaa::HhsMode::Contemporaneous => "contemporaneous",
        phiwatch_hipaa::HhsMode::AnnualLog => "annual log",
    });
    writeln!(
        out,
        "  HHS                {}, by {}",
        opt(mode),
        opt(h.hhs.deadline)
    )?;
    let media: Vec<String> = h
        .media_notice
        .states
        .iter()
        .map(|m| format!("{} ({})", m.state, m.residents))
        .collect();
    writeln!(
        out,
        "  media notice       {}",
        if media.is_empty() {
            "none (no State above 500 residents)".into()
        } else {
            format!("{} by {}", media.join(", "), opt(h.media_notice.deadline))
        }
    )?;
    let sub = &h.substitute_notice;
    writeln!(
        out,
        "  substitute notice  {}",
        match sub.kind {
            Some(phiwatch_hipaa::SubstituteKind::WebOrMedia) => format!(
                "web posting or major media, toll-free number ({} without contact details)",
                sub.count
            ),
            Some(phiwatch_hipaa::SubstituteKind::Alternative) => format!(
                "alternative written notice or telephone ({} without contact details)",
                sub.count
            ),
            None => "not required".into(),
        }
    )?;
    let regs = regulators(h);
    if regs.is_empty() {
        writeln!(out, "  state regulators   none required")?;
    }
    for (i, (state, who, by)) in regs.iter().enumerate() {
        let label = if i == 0 { "state regulators" } else { "" };
        let who: Vec<&str> = who.split(", ").collect();
        writeln!(
            out,
            "  {label:<18} {state} by {by}: {}",
            wrap_list(&who, 21, WIDTH - 20)
        )?;
    }
    writeln!(out)
}

/// The ground-truth check.
pub(super) fn write_truth(out: &mut impl Write, t: &TruthCheck, path: &Path) -> io::Result<()> {
    writeln!(
        out,
        "GROUND TRUTH ({}: the generator's answer key)",
        path.display()
    )?;
    writeln!(
        out,
        "  verdict          {}",
        if t.matches() { "matches" } else { "differs" }
    )?;
    let expected = match &t.truth {
        Some(s) => format!(
            "an attack ({} silo{}, {} individuals)",
            s.silos.len(),
            plural(s.silos.len() as u64),
            s.individuals.total
        ),
        None => "no attack (the truth's scope is null): no incident expected".into(),
    };
    writeln!(
        out,
        "  expected         {expected}; found {}",
        if t.incident_found {
            "an incident"
        } else {
            "no incident"
        }
    )?;
    if let Some(d) = &t.window {
        write_differences(out, "truth's window", d, "same silos, patients and states")?;
    }
    if let Some(d) = &t.incident {
        write_differences(
            out,
            "incident's scope",
            d,
            "same silos, patients and states",
        )?;
    }
    Ok(())
}

fn write_differences(
    out: &mut impl Write,
    label: &str,
    d: &Differences,
    same: &str,
) -> io::Result<()> {
    if d.none() {
        return writeln!(out, "  {label:<16} matches: {same}");
    }
    let mut lines: Vec<&str> = Vec::new();
    if d.individuals.is_empty() {
        lines.push("individuals and states match");
    }
    lines.extend(d.all().map(String::as_str));
    let shown = lines.len().min(DIFFERENCE_ROWS);
    for (i, line) in lines.iter().take(shown).enumerate() {
        let label = if i == 0 { label } else { "" };
        writeln!(out, "  {label:<16} {line}")?;
    }
    if lines.len() > shown {
        writeln!(
            out,
            "  {:<16} … {} more (--format jsonl lists them all)",
            "",
            lines.len() - shown
        )?;
    }
    Ok(())
}

pub(super) fn detections_json(d: &Detections) -> Value {
    let by_detector: serde_json::Map<String, Value> = d
        .by_detector
        .iter()
        .map(|(det, levels)| {
            let m: serde_json::Map<String, Value> = levels
                .iter()
                .map(|(l, n)| (l.as_str().to_string(), json!(n)))
                .collect();
            (det.as_str().to_string(), Value::Object(m))
        })
        .collect();
    let fired: Vec<Value> = d
        .fired
        .iter()
        .map(|f| {
            json!({
                "level": f.level.as_str(),
                "detector": f.detector.as_str(),
                "rule": f.rule,
                "title": f.title,
                "count": f.count,
                "first": f.first.to_rfc3339(),
                "last": f.last.to_rfc3339(),
            })
        })
        .collect();
    json!({ "findings": d.findings, "by_detector": by_detector, "fired": fired })
}

pub(super) fn incident_json(c: &Chain) -> Value {
    let Some(f) = &c.incident else {
        return Value::Null;
    };
    json!({
        "id": f.id,
        "incidents": incidents(c),
        "level": f.rule.level.as_str(),
        "risk": f.metrics.get("risk").copied().unwrap_or(f.score),
        "chain": f.group.get("chain"),
        "actors": entities(f),
        "findings": metric(f, "findings"),
        "detectors": metric(f, "detectors"),
        "from": f.time.to_rfc3339(),
        "to": f.end_time.to_rfc3339(),
        "summary": f.summary,
    })
}

pub(super) fn scope_json(c: &Chain) -> Value {
    let Some(r) = &c.report else {
        return Value::Null;
    };
    let s = &r.scope;
    let silos: Vec<Value> = s
        .silos
        .iter()
        .map(|x| {
            json!({
                "name": x.name, "kind": x.kind, "patients": x.patients,
                "bulk": x.bulk, "accesses": x.accesses,
            })
        })
        .collect();
    let dests: Vec<Value> = s
        .exfiltration
        .destinations
        .iter()
        .map(|d| json!({"address": d.address, "names": d.names, "bytes": d.bytes}))
        .collect();
    json!({
        "window": {"from": s.window.from.to_rfc3339(), "to": s.window.to.to_rfc3339()},
        "actors": s.actors,
        "silos": silos,
        "individuals": {
            "total": s.individuals.total,
            "by_state": s.individuals.by_state,
            "deceased": s.individuals.deceased,
            "without_contact": s.individuals.without_contact,
        },
        "categories": s.categories,
        "bytes_out": s.exfiltration.bytes,
        "destinations": dests,
    })
}

pub(super) fn hipaa_json(c: &Chain) -> Value {
    let Some(r) = &c.report else {
        return Value::Null;
    };
    let h = &r.hipaa;
    let regs: Vec<Value> = regulators(h)
        .into_iter()
        .map(|(state, who, by)| json!({"state": state, "regulator": who, "deadline": by}))
        .collect();
    json!({
        "discovered": c.discovered,
        "breach_presumed": h.breach_presumed,
        "individual_deadline": h.individual_deadline,
        "hhs": {"required": h.hhs.required, "mode": h.hhs.mode, "deadline": h.hhs.deadline},
        "media_states": h.media_states,
        "substitute_notice": {
            "required": h.substitute_notice.required,
            "kind": h.substitute_notice.kind,
            "count": h.substitute_notice.count,
        },
        "state_regulators": regs,
    })
}

fn differences_json(d: Option<&Differences>) -> Value {
    match d {
        None => Value::Null,
        Some(d) => json!({
            "matches": d.none(),
            "individuals_match": d.individuals.is_empty(),
            "differences": d.all().collect::<Vec<_>>(),
        }),
    }
}

pub(super) fn truth_json(t: &TruthCheck) -> Value {
    json!({
        "matches": t.matches(),
        "attack_expected": t.truth.is_some(),
        "incident_found": t.incident_found,
        "truth": t.truth.as_ref().map(|s| json!({
            "from": s.from,
            "to": s.to,
            "actors": s.actors,
            "silos": s.silos.len(),
            "individuals": s.individuals.total,
            "by_state": s.individuals.by_state,
        })),
        "window_scope": differences_json(t.window.as_ref()),
        "incident_scope": differences_json(t.incident.as_ref()),
    })
}
