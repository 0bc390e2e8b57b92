//! The scope's sections of the page: silos, exfiltration, timeline, ATT&CK,
//! IoCs, data gaps, review items, methodology and totals.

use std::fmt::Write;

use phiwatch_finding::technique;

use super::{list, table, td, td_evidence, td_num};
use crate::text::{self, escape_html as esc};
use crate::Report;

pub(super) fn silos(out: &mut String, r: &Report) {
    out.push_str("<section id=\"silos\">\n<h2>Data silos accessed</h2>\n");
    let rows: Vec<String> = r
        .scope
        .silos
        .iter()
        .map(|s| {
            [
                td(&s.name),
                td(&s.kind),
                td(&s.categories.join(", ")),
                td_num(s.records_accessed),
                td_num(s.patients),
                td(if s.bulk { "yes" } else { "no" }),
                td_num(s.accesses),
                td_num(s.unresolved),
                td_num(s.rows),
                td_num(s.bytes),
                td(&s.actors.join(", ")),
                td(&text::opt_time(s.first)),
                td(&text::opt_time(s.last)),
                td_evidence(&s.evidence),
            ]
            .concat()
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">No silo of the inventory was accessed by the actors in the window.</p>\n");
    } else {
        table(
            out,
            "silo-table",
            &[
                "Silo",
                "Kind",
                "PHI categories",
                "#Records",
                "#Patients",
                "Bulk read",
                "#Accesses",
                "#Unresolved",
                "#Rows",
                "#Bytes",
                "Actors",
                "First",
                "Last",
                "Evidence",
            ],
            &rows,
        );
    }
    out.push_str("</section>\n");
}

pub(super) fn exfiltration(out: &mut String, r: &Report) {
    let ex = &r.scope.exfiltration;
    let _ = writeln!(
        out,
        "<section id=\"exfiltration\">\n<h2>Exfiltration</h2>\n<p>{} ({} bytes) sent by the actors to {} destination(s) outside the organization.</p>",
        esc(&text::bytes(ex.bytes)),
        text::count(ex.bytes),
        ex.destinations.len()
    );
    let rows: Vec<String> = ex
        .destinations
        .iter()
        .map(|d| {
            [
                td(&d.address),
                td(&d.names.join(", ")),
                td_num(d.bytes),
                td_num(d.connections),
                td(&text::opt_time(d.first)),
                td(&text::opt_time(d.last)),
            ]
            .concat()
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            "destinations",
            &[
                "Address",
                "Names",
                "#Bytes",
                "#Connections",
                "First",
                "Last",
            ],
            &rows,
        );
    }
    out.push_str("</section>\n");
}

pub(super) fn timeline(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p>{} lines: accesses, egress and findings merged in time order, each with the log records behind it (<code>path:line</code>).</p>",
        r.scope.timeline.len()
    );
    let rows: Vec<String> = r
        .scope
        .timeline
        .iter()
        .map(|t| {
            let when = if t.end_time == t.time {
                text::time(t.time)
            } else {
                format!("{} to {}", text::time(t.time), text::time(t.end_time))
            };
            [
                td(&when),
                td(&t.kind),
                td(&t.title),
                td(t.actor.as_deref().unwrap_or("")),
                td(t.silo.as_deref().unwrap_or("")),
                td(t.level.as_deref().unwrap_or("")),
                td(&t.tactics.join(" ")),
                td_num(t.count),
                td_evidence(&t.evidence),
            ]
            .concat()
        })
        .collect();
    table(
        out,
        "timeline-table",
        &[
            "Time", "Kind", "What", "Actor", "Silo", "Level", "Tactics", "#Count", "Evidence",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

pub(super) fn attack(out: &mut String, r: &Report) {
    let a = &r.scope.attack;
    out.push_str("<section id=\"attack\">\n<h2>ATT&amp;CK chain</h2>\n");
    if a.tactics.is_empty() && a.techniques.is_empty() {
        out.push_str("<p class=\"muted\">No ATT&amp;CK tactic or technique among the findings in scope.</p>\n</section>\n");
        return;
    }
    out.push_str("<ol class=\"chain\">\n");
    let mut placed = vec![false; a.techniques.len()];
    for tac in &a.tactics {
        let _ = write!(
            out,
            "<li><strong>{}</strong> <span class=\"muted\">{}</span><ul>",
            esc(&tac.name),
            esc(&tac.id)
        );
        for (i, t) in a.techniques.iter().enumerate() {
            let serves =
                technique(&t.id).is_some_and(|info| info.tactics.contains(&tac.shortname.as_str()));
            if serves {
                if let Some(p) = placed.get_mut(i) {
                    *p = true;
                }
                let _ = write!(out, "<li>{} {}</li>", esc(&t.id), esc(&t.name));
            }
        }
        out.push_str("</ul></li>\n");
    }
    let rest: Vec<String> = a
        .techniques
        .iter()
        .zip(&placed)
        .filter(|(_, p)| !**p)
        .map(|(t, _)| format!("{} {}", t.id, t.name))
        .collect();
    if !rest.is_empty() {
        out.push_str("<li><strong>Other techniques</strong><ul>");
        for t in &rest {
            let _ = write!(out, "<li>{}</li>", esc(t));
        }
        out.push_str("</ul></li>\n");
    }
    let _ = writeln!(
        out,
        "</ol>\n<p class=\"muted\">{} tactic(s), {} technique(s); the ATT&amp;CK Navigator layer is <code>attack-layer.json</code>.</p>\n</section>",
        a.tactics.len(),
        a.techniques.len()
    );
}

pub(super) fn iocs(out: &mut String, r: &Report) {
    out.push_str("<section id=\"iocs\">\n<h2>Indicators of compromise</h2>\n");
    let rows: Vec<String> = r
        .scope
        .iocs
        .iter()
        .map(|i| {
            [
                td(&i.kind),
                format!("<td><code>{}</code></td>", esc(&i.value)),
                td(&i.context),
            ]
            .concat()
        })
        .collect();
    if rows.is_empty() {
        out.push_str(
            "<p class=\"muted\">No external address or name was used by the actors.</p>\n",
        );
    } else {
        table(out, "ioc-table", &["Kind", "Value", "Why"], &rows);
    }
    out.push_str("</section>\n");
}

pub(super) fn data_gaps(out: &mut String, r: &Report) {
    let gaps = &r.scope.data_gaps;
    out.push_str("<section id=\"data-gaps\">\n<h2>Data gaps</h2>\n");
    if gaps.is_empty() {
        out.push_str(
            "<p>Every kind of log had records in every hour of the window.</p>\n</section>\n",
        );
        return;
    }
    let hours: u64 = gaps.iter().map(|g| g.hours).sum();
    let _ = writeln!(
        out,
        "<p>{} stretch(es), {} hour(s) in all, when a kind of log had no record: the scope cannot see that source then, and its numbers are lower bounds.</p>",
        gaps.len(),
        text::count(hours)
    );
    let rows: Vec<String> = gaps
        .iter()
        .map(|g| {
            [
                td(&g.source),
                td(&text::time(g.from)),
                td(&text::time(g.to)),
                td_num(g.hours),
            ]
            .concat()
        })
        .collect();
    table(
        out,
        "gap-table",
        &["Log source", "From", "To", "#Hours"],
        &rows,
    );
    out.push_str("</section>\n");
}

pub(super) fn review(out: &mut String, r: &Report) {
    out.push_str("<section id=\"review\">\n<h2>For review</h2>\n");
    list(
        out,
        "review",
        &r.scope.review,
        "Nothing to review: every access in scope was tied to patients of the lists.",
    );
    out.push_str("</section>\n");
}

pub(super) fn methodology(out: &mut String, r: &Report) {
    out.push_str("<section id=\"methodology\">\n<h2>Methodology</h2>\n");
    for (name, body) in text::METHODOLOGY {
        let _ = writeln!(out, "<p><strong>{}.</strong> {}</p>", esc(name), esc(body));
    }
    let t = &r.scope.totals;
    let rows: Vec<String> = [
        ("Events read", t.events),
        ("Events in the window", t.in_window),
        ("Silo accesses in the window (all actors)", t.accesses),
        ("Silo accesses by the actors", t.accesses_in_scope),
        ("Of them unresolved", t.unresolved),
        ("Findings considered", t.findings),
        ("Findings in scope", t.findings_in_scope),
    ]
    .iter()
    .map(|(k, v)| [td(k), td_num(*v)].concat())
    .collect();
    out.push_str("<h3>Counts behind the report</h3>\n");
    table(out, "totals", &["Count", "#Value"], &rows);
    out.push_str("</section>\n");
}
