//! The forensic summary (Markdown).

use std::collections::BTreeMap;
use std::fmt::Write;

use phiwatch_finding::technique;
use phiwatch_hipaa::{Date, HhsMode};

use crate::facts::activity_span;
use crate::text::{self, escape_md as md};
use crate::Report;

/// The forensic summary in Markdown: an executive summary a privacy
/// officer can read (what, when, who, how many, which States, deadlines),
/// the deadlines, the timeline with its evidence (`path:line`), the ATT&CK
/// chain, the IoCs, the silos, the counts, the methodology, the data gaps
/// (which log sources were silent for which periods) and the review items.
pub fn forensic_summary(r: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let s = &r.scope;
    let _ = writeln!(out, "# Forensic summary: {}\n", md(&r.facts.covered_entity));
    let _ = writeln!(
        out,
        "- Incident: {}\n- Window: {} to {}\n- Actors: {}\n- Generated: {} by {}\n",
        md(s.incident
            .as_deref()
            .unwrap_or("none (scoped by window and actors)")),
        text::time(s.window.from),
        text::time(s.window.to),
        if s.actors.is_empty() {
            "all".to_string()
        } else {
            md(&s.actors.join(", "))
        },
        md(&r.generated),
        md(&r.generator)
    );
    let _ = writeln!(out, "## Executive summary\n\n{}\n", executive_summary(r));
    deadlines(&mut out, r);
    timeline(&mut out, r);
    attack(&mut out, r);
    iocs(&mut out, r);
    silos(&mut out, r);
    counts(&mut out, r);
    out.push_str("## Methodology\n\n");
    for (name, body) in text::METHODOLOGY {
        let _ = writeln!(out, "**{name}.** {}\n", md(body));
    }
    data_gaps(&mut out, r);
    out.push_str("## For review\n\n");
    if s.review.is_empty() {
        out.push_str("Nothing to review.\n\n");
    }
    for item in &s.review {
        let _ = writeln!(out, "- {}", md(item));
    }
    let _ = writeln!(out, "\n---\n\n*{}*", text::NOT_LEGAL_ADVICE);
    out
}

/// The paragraph: what, when, who, how many, which States, deadlines.
pub(crate) fn executive_summary(r: &Report) -> String {
    let s = &r.scope;
    let d = &r.hipaa;
    let (first, last) = activity_span(s);
    let mut p = crate::facts::summary_sentence(s, first, last);
    let ind = &s.individuals;
    let mut states: Vec<(&String, &u64)> = ind.by_state.iter().collect();
    states.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = states
        .iter()
        .take(5)
        .map(|(c, n)| format!("{} {}", c, text::count(**n)))
        .collect();
    let _ = write!(
        p,
        " Of the {} individuals, {} are deceased and {} living lack current contact details; they live in {} State(s) (most: {}).",
        text::count(ind.total),
        text::count(ind.deceased),
        text::count(ind.without_contact),
        states.iter().filter(|(c, _)| c.as_str() != phiwatch_hipaa::UNKNOWN_STATE).count(),
        if top.is_empty() { "none".to_string() } else { top.join(", ") }
    );
    if !s.categories.is_empty() {
        let _ = write!(
            p,
            " The PHI involved: {}.",
            text::categories_phrase(&s.categories)
        );
    }
    if !d.breach_presumed {
        let _ = write!(p, " A breach is not presumed: {}", d.reason);
        return md(&p);
    }
    let _ = write!(
        p,
        " A breach of unsecured PHI is presumed (discovered {}): notify the individuals by {}",
        r.facts.discovered,
        date_or(d.individual_deadline)
    );
    if d.hhs.required {
        let how = match d.hhs.mode {
            Some(HhsMode::AnnualLog) => "in the annual log",
            _ => "with the individual notices",
        };
        let _ = write!(
            p,
            ", the Secretary of HHS by {} ({how})",
            date_or(d.hhs.deadline)
        );
    }
    if d.media_notice.required {
        let _ = write!(
            p,
            ", and the media in {} by {}",
            text::join_words(&d.media_states),
            date_or(d.media_notice.deadline)
        );
    }
    p.push('.');
    if let Some((date, what)) = earliest_state_deadlines(r) {
        let _ = write!(
            p,
            " The earliest State deadline is {date}: {}.",
            text::join_words(&what)
        );
    }
    md(&p)
}

fn date_or(d: Option<Date>) -> String {
    text::opt_date(d, "(no date)")
}

/// The earliest State deadline and every notice due that day.
fn earliest_state_deadlines(r: &Report) -> Option<(Date, Vec<String>)> {
    let mut all: Vec<(Date, String)> = Vec::new();
    for s in &r.hipaa.state_notices {
        if let Some(d) = s.individual_deadline {
            all.push((d, format!("{} residents' notice ({})", s.state, s.citation)));
        }
        if let (true, Some(d)) = (s.regulator_required, s.regulator_deadline) {
            let who = s.regulator.as_deref().unwrap_or("regulator");
            let who = who.split(" (").next().unwrap_or(who);
            all.push((d, format!("{} notice to the {who}", s.state)));
        }
    }
    let first = all.iter().map(|(d, _)| *d).min()?;
    let due = all
        .into_iter()
        .filter(|(d, _)| *d == first)
        .map(|(_, w)| w)
        .collect();
    Some((first, due))
}

fn deadlines(out: &mut String, r: &Report) {
    let d = &r.hipaa;
    out.push_str("## Deadlines\n\n| Notice | Deadline | Citation |\n|---|---|---|\n");
    let mut row = |what: String, date: Option<Date>, cite: &str| {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md(&what),
            text::opt_date(date, "not required"),
            md(cite)
        );
    };
    row(
        "Individuals".into(),
        d.individual_deadline,
        &d.individual_notice.citation,
    );
    row("Secretary of HHS".into(), d.hhs.deadline, &d.hhs.citation);
    row(
        format!(
            "Media ({})",
            if d.media_states.is_empty() {
                "no State".to_string()
            } else {
                d.media_states.join(", ")
            }
        ),
        d.media_notice.deadline,
        &d.media_notice.citation,
    );
    if let Some(ba) = &d.business_associate {
        row(
            "Business associate to the covered entity".into(),
            Some(ba.notify_ce_by),
            &ba.citation,
        );
    }
    for s in &d.state_notices {
        row(
            format!("{} residents ({})", s.state, text::count(s.residents)),
            s.individual_deadline,
            &s.citation,
        );
        if s.regulator_required {
            let who = s.regulator.as_deref().unwrap_or("regulator");
            row(
                format!("{} regulator: {}", s.state, who),
                s.regulator_deadline,
                &s.citation,
            );
        }
    }
    out.push('\n');
}

fn timeline(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "## Timeline\n\n{} lines, in time order; evidence is `path:line` of the log records.\n\n| Time | Kind | What | Actor | Evidence |\n|---|---|---|---|---|",
        r.scope.timeline.len()
    );
    for t in &r.scope.timeline {
        let when = if t.end_time == t.time {
            text::time(t.time)
        } else {
            format!("{} to {}", text::time(t.time), text::time(t.end_time))
        };
        let ev: Vec<String> = t
            .evidence
            .iter()
            .map(|e| format!("`{}`", e.replace('`', "'")))
            .collect();
        let what = match (&t.silo, &t.level) {
            (Some(silo), _) if !t.title.contains(silo.as_str()) => format!("{} ({silo})", t.title),
            (_, Some(level)) => format!("{} ({level})", t.title),
            _ => t.title.clone(),
        };
        let _ = writeln!(
            out,
            "| {when} | {} | {} | {} | {} |",
            md(&t.kind),
            md(&what),
            md(t.actor.as_deref().unwrap_or("")),
            ev.join(" ")
        );
    }
    out.push('\n');
}

fn attack(out: &mut String, r: &Report) {
    let a = &r.scope.attack;
    out.push_str("## ATT&CK chain\n\n");
    if a.tactics.is_empty() && a.techniques.is_empty() {
        out.push_str("No ATT&CK tactic or technique among the findings in scope.\n\n");
        return;
    }
    for (i, tac) in a.tactics.iter().enumerate() {
        let techs: Vec<String> = a
            .techniques
            .iter()
            .filter(|t| {
                technique(&t.id).is_some_and(|info| info.tactics.contains(&tac.shortname.as_str()))
            })
            .map(|t| format!("{} {}", t.id, t.name))
            .collect();
        let _ = writeln!(
            out,
            "{}. **{}** ({}){}{}",
            i + 1,
            md(&tac.name),
            md(&tac.id),
            if techs.is_empty() { "" } else { ": " },
            md(&techs.join("; "))
        );
    }
    let _ = writeln!(
        out,
        "\n{} technique(s) in all; the ATT&CK Navigator layer is `attack-layer.json`.\n",
        a.techniques.len()
    );
}

fn iocs(out: &mut String, r: &Report) {
    out.push_str("## Indicators of compromise\n\n");
    if r.scope.iocs.is_empty() {
        out.push_str("None: the actors used no external address or name.\n\n");
        return;
    }
    out.push_str("| Kind | Value | Why |\n|---|---|---|\n");
    for i in &r.scope.iocs {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            md(&i.kind),
            i.value.replace('`', "'"),
            md(&i.context)
        );
    }
    out.push_str("\nAlso in `iocs.csv`.\n\n");
}

fn silos(out: &mut String, r: &Report) {
    out.push_str("## Silos\n\n");
    if r.scope.silos.is_empty() {
        out.push_str("No silo of the inventory was accessed by the actors.\n\n");
        return;
    }
    out.push_str("| Silo | Kind | Records | Patients | Bulk | Accesses | Unresolved | Actors | First | Last |\n|---|---|---:|---:|---|---:|---:|---|---|---|\n");
    for s in &r.scope.silos {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&s.name),
            md(&s.kind),
            text::count(s.records_accessed),
            text::count(s.patients),
            if s.bulk { "yes" } else { "no" },
            text::count(s.accesses),
            text::count(s.unresolved),
            md(&s.actors.join(", ")),
            text::opt_time(s.first),
            text::opt_time(s.last)
        );
    }
    out.push('\n');
}

fn counts(out: &mut String, r: &Report) {
    let s = &r.scope;
    let ind = &s.individuals;
    let records: u64 = s.silos.iter().map(|x| x.records_accessed).sum();
    let _ = writeln!(
        out,
        "## Counts\n\n- Individuals affected: {}\n- Deceased: {}\n- Living without current contact details: {}\n- Records accessed (all silos): {}\n- Bytes out: {} ({} bytes) to {} destination(s)\n- Events read: {}; in the window: {}\n- Silo accesses in the window: {}; by the actors: {}; unresolved: {}\n- Findings considered: {}; in scope: {}\n",
        text::count(ind.total),
        text::count(ind.deceased),
        text::count(ind.without_contact),
        text::count(records),
        text::bytes(s.exfiltration.bytes),
        text::count(s.exfiltration.bytes),
        s.exfiltration.destinations.len(),
        text::count(s.totals.events),
        text::count(s.totals.in_window),
        text::count(s.totals.accesses),
        text::count(s.totals.accesses_in_scope),
        text::count(s.totals.unresolved),
        text::count(s.totals.findings),
        text::count(s.totals.findings_in_scope),
    );
    out.push_str("| State | Residents |\n|---|---:|\n");
    for (code, n) in &ind.by_state {
        let _ = writeln!(out, "| {} | {} |", md(code), text::count(*n));
    }
    out.push('\n');
}

fn data_gaps(out: &mut String, r: &Report) {
    out.push_str("## Data gaps\n\n");
    let gaps = &r.scope.data_gaps;
    if gaps.is_empty() {
        out.push_str("None: every kind of log had records in every hour of the window.\n\n");
        return;
    }
    let mut by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut hours: BTreeMap<&str, u64> = BTreeMap::new();
    for g in gaps {
        by_source
            .entry(g.source.as_str())
            .or_default()
            .push(format!("{} to {}", text::time(g.from), text::time(g.to)));
        *hours.entry(g.source.as_str()).or_default() += g.hours;
    }
    out.push_str("Hours of the window in which a kind of log had no record: the scope cannot see that source then, and its numbers are lower bounds.\n\n| Log source | Hours | Periods |\n|---|---:|---|\n");
    for (source, periods) in &by_source {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md(source),
            hours.get(source).copied().unwrap_or(0),
            periods.join("; ")
        );
    }
    out.push('\n');
}
