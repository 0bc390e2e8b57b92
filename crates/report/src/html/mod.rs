//! The self-contained HTML report page.

mod hipaa;
mod scope;
mod style;

use std::fmt::Write;

use crate::text::{self, escape_html as esc, id_part};
use crate::Report;

/// The report as one self-contained HTML page: inline CSS, no script, no
/// external resource, print-friendly. Every string is escaped; the page
/// holds no patient data (the report has none).
///
/// The key numbers sit in elements with stable ids, each with the raw
/// value in `data-value` and a readable form as text: `covered-entity`,
/// `incident-id`, `window-from`, `window-to`, `individuals-total`,
/// `deceased`, `without-contact`, `silo-count`, `records`, `bytes-out`,
/// `destination-count`, `breach-presumed`, `individual-deadline`,
/// `media-deadline`, `hhs-deadline`, `hhs-mode`, `media-states`,
/// `substitute-count`, `ba-deadline` (business associates only),
/// `state-XX` (residents of State `XX`), `state-deadline-XX` and
/// `regulator-deadline-XX` (State notices). Deadlines that do not apply
/// read "not required" with an empty `data-value`.
pub fn html(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Breach scope report: {}", r.facts.covered_entity);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        esc(&r.generator),
        esc(&title),
        style::CSS
    );
    header(&mut out, r, &title);
    key_numbers(&mut out, r);
    hipaa::determination(&mut out, r);
    scope::silos(&mut out, r);
    scope::exfiltration(&mut out, r);
    scope::timeline(&mut out, r);
    scope::attack(&mut out, r);
    scope::iocs(&mut out, r);
    scope::data_gaps(&mut out, r);
    scope::review(&mut out, r);
    scope::methodology(&mut out, r);
    hipaa::citations(&mut out, r);
    let _ = write!(
        out,
        "<footer><p>{}</p><p>Generated {} by {}. This page holds no patient identifiers.</p></footer>\n</body>\n</html>\n",
        esc(text::NOT_LEGAL_ADVICE),
        esc(&r.generated),
        esc(&r.generator)
    );
    out
}

fn header(out: &mut String, r: &Report, title: &str) {
    let s = &r.scope;
    let _ = write!(out, "<header>\n<h1>{}</h1>\n", esc(title));
    let _ = writeln!(
        out,
        "<p class=\"note\" id=\"legal-note\"><strong>{}</strong></p>",
        esc(text::NOT_LEGAL_ADVICE)
    );
    out.push_str("<dl class=\"meta\">\n");
    meta(
        out,
        "Covered entity",
        Some("covered-entity"),
        &r.facts.covered_entity,
    );
    let incident = s
        .incident
        .as_deref()
        .unwrap_or("none (scoped by window and actors)");
    meta(out, "Incident", Some("incident-id"), incident);
    let _ = writeln!(
        out,
        "<dt>Window</dt><dd><span id=\"window-from\" data-value=\"{}\">{}</span> to <span id=\"window-to\" data-value=\"{}\">{}</span></dd>",
        esc(&s.window.from.to_rfc3339()),
        esc(&text::time(s.window.from)),
        esc(&s.window.to.to_rfc3339()),
        esc(&text::time(s.window.to)),
    );
    let actors = if s.actors.is_empty() {
        "all (no actor given)".to_string()
    } else {
        s.actors.join(", ")
    };
    meta(out, "Actors", Some("actors"), &actors);
    let f = &r.facts;
    meta(out, "Discovered", None, &f.discovered.to_string());
    let span = format!(
        "{} to {}",
        text::opt_date(f.breach_start, "unknown"),
        text::opt_date(f.breach_end, "unknown")
    );
    meta(out, "Breach dates", None, &span);
    meta(
        out,
        "Generated",
        None,
        &format!("{} by {}", r.generated, r.generator),
    );
    out.push_str("</dl>\n</header>\n");
}

fn meta(out: &mut String, label: &str, id: Option<&str>, value: &str) {
    let id = id.map_or(String::new(), |i| format!(" id=\"{i}\""));
    let _ = writeln!(out, "<dt>{}</dt><dd{id}>{}</dd>", esc(label), esc(value));
}

/// A key number: a labelled box whose value element has the id.
pub(crate) fn stat(out: &mut String, id: &str, label: &str, shown: &str, value: &str) {
    let _ = writeln!(
        out,
        "<div class=\"stat\"><div class=\"label\">{}</div><div class=\"value\" id=\"{}\" data-value=\"{}\">{}</div></div>",
        esc(label),
        esc(id),
        esc(value),
        esc(shown)
    );
}

fn key_numbers(out: &mut String, r: &Report) {
    let s = &r.scope;
    let ind = &s.individuals;
    let records: u64 = s.silos.iter().map(|x| x.records_accessed).sum();
    out.push_str("<section id=\"key-numbers\">\n<h2>Key numbers</h2>\n<div class=\"stats\">\n");
    let n = |v: u64| (text::count(v), v.to_string());
    let items = [
        ("individuals-total", "Individuals affected", n(ind.total)),
        ("deceased", "Of them deceased", n(ind.deceased)),
        (
            "without-contact",
            "Living, without contact details",
            n(ind.without_contact),
        ),
        ("silo-count", "Data silos accessed", n(s.silos.len() as u64)),
        ("records", "Records accessed (all silos)", n(records)),
        (
            "bytes-out",
            "Bytes out",
            (
                text::bytes(s.exfiltration.bytes),
                s.exfiltration.bytes.to_string(),
            ),
        ),
        (
            "destination-count",
            "External destinations",
            n(s.exfiltration.destinations.len() as u64),
        ),
    ];
    for (id, label, (shown, value)) in &items {
        stat(out, id, label, shown, value);
    }
    hipaa::key_deadlines(out, r);
    out.push_str("</div>\n");
    by_state(out, r);
    let cats = text::categories_phrase(&s.categories);
    let _ = writeln!(
        out,
        "<p><strong>PHI categories:</strong> <span id=\"categories\" data-value=\"{}\">{}</span></p>",
        esc(&s.categories.join(",")),
        esc(if cats.is_empty() { "none" } else { &cats })
    );
    out.push_str("</section>\n");
}

fn by_state(out: &mut String, r: &Report) {
    let ind = &r.scope.individuals;
    out.push_str(
        "<h3>Affected individuals by State of residence</h3>\n<table id=\"by-state\">\n<thead><tr><th>State</th><th class=\"num\">Residents</th><th>Media notice</th></tr></thead>\n<tbody>\n",
    );
    for (code, n) in &ind.by_state {
        let media = if r.hipaa.media_states.iter().any(|m| m == code) {
            "required (more than 500)"
        } else {
            "-"
        };
        let _ = writeln!(
            out,
            "<tr><td>{} <span class=\"muted\">{}</span></td><td class=\"num\" id=\"state-{}\" data-value=\"{n}\">{}</td><td>{media}</td></tr>",
            esc(code),
            esc(text::state_name(code)),
            esc(&id_part(code)),
            text::count(*n)
        );
    }
    let _ = writeln!(
        out,
        "</tbody>\n<tfoot><tr><th>Total</th><th class=\"num\">{}</th><th></th></tr></tfoot>\n</table>",
        text::count(ind.total)
    );
}

/// A table: header cells, then rows of ready HTML cells (`<td>…</td>`).
pub(crate) fn table(out: &mut String, id: &str, headers: &[&str], rows: &[String]) {
    let _ = write!(out, "<table id=\"{}\">\n<thead><tr>", esc(id));
    for h in headers {
        let class = if h.starts_with('#') {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", esc(h.trim_start_matches('#')));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        let _ = writeln!(out, "<tr>{r}</tr>");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A text cell.
pub(crate) fn td(s: &str) -> String {
    format!("<td>{}</td>", esc(s))
}

/// A number cell.
pub(crate) fn td_num(n: u64) -> String {
    format!("<td class=\"num\">{}</td>", text::count(n))
}

/// A cell of `path:line` references.
pub(crate) fn td_evidence(refs: &[String]) -> String {
    let items: Vec<String> = refs
        .iter()
        .map(|e| format!("<code>{}</code>", esc(e)))
        .collect();
    format!("<td>{}</td>", items.join("<br>"))
}

/// A list of items (escaped), or the text for an empty one.
pub(crate) fn list(out: &mut String, class: &str, items: &[String], empty: &str) {
    if items.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(empty));
        return;
    }
    let _ = writeln!(out, "<ul class=\"{}\">", esc(class));
    for i in items {
        let _ = writeln!(out, "<li>{}</li>", esc(i));
    }
    out.push_str("</ul>\n");
}
