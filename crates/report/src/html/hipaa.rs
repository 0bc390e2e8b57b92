//! The HIPAA determination's sections of the page.

use std::fmt::Write;

use phiwatch_hipaa::{Date, Determination, HhsMode, StateNotice, SubstituteKind};

use super::{list, stat, table, td, td_num};
use crate::text::{self, escape_html as esc, id_part};
use crate::Report;

const NOT_REQUIRED: &str = "not required";

fn date_stat(out: &mut String, id: &str, label: &str, d: Option<Date>) {
    let value = d.map(|d| d.to_string()).unwrap_or_default();
    let shown = d.map_or_else(|| NOT_REQUIRED.to_string(), |d| d.to_string());
    stat(out, id, label, &shown, &value);
}

fn mode_name(m: Option<HhsMode>) -> (&'static str, &'static str) {
    match m {
        Some(HhsMode::Contemporaneous) => ("contemporaneous", "contemporaneous"),
        Some(HhsMode::AnnualLog) => ("annual_log", "annual log"),
        None => ("", NOT_REQUIRED),
    }
}

/// The deadline boxes of the key numbers.
pub(super) fn key_deadlines(out: &mut String, r: &Report) {
    let d = &r.hipaa;
    let (shown, value) = if d.breach_presumed {
        ("Breach presumed", "true")
    } else {
        ("Not presumed", "false")
    };
    stat(out, "breach-presumed", "HIPAA breach", shown, value);
    date_stat(
        out,
        "individual-deadline",
        "Individual notice by",
        d.individual_deadline,
    );
    date_stat(out, "hhs-deadline", "HHS notice by", d.hhs.deadline);
    let (mode, mode_text) = mode_name(d.hhs.mode);
    stat(out, "hhs-mode", "HHS notice mode", mode_text, mode);
    date_stat(
        out,
        "media-deadline",
        "Media notice by",
        d.media_notice.deadline,
    );
    let media = d.media_states.join(", ");
    stat(
        out,
        "media-states",
        "Media notice in",
        if media.is_empty() { "no State" } else { &media },
        &d.media_states.join(","),
    );
    if let Some(ba) = &d.business_associate {
        date_stat(
            out,
            "ba-deadline",
            "Notify the covered entity by",
            Some(ba.notify_ce_by),
        );
    }
}

/// The determination section.
pub(super) fn determination(out: &mut String, r: &Report) {
    let d = &r.hipaa;
    out.push_str("<section id=\"hipaa\">\n<h2>HIPAA breach-notification determination</h2>\n");
    let class = if d.breach_presumed {
        "verdict presumed"
    } else {
        "verdict"
    };
    let verdict = if d.breach_presumed {
        "A breach of unsecured PHI is presumed: the notification duties apply."
    } else {
        "A breach is not presumed."
    };
    let _ = writeln!(
        out,
        "<p class=\"{class}\">{}</p>\n<p>{}</p>",
        esc(verdict),
        esc(&d.reason)
    );
    let sh = &d.safe_harbor;
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"safe-harbor\"><h3>Safe harbor (encryption)</h3><p>{}</p><p><strong>Answer:</strong> {}. {}</p><p class=\"muted\">{}</p></div>",
        esc(&sh.question),
        esc(&sh.answer),
        esc(&sh.consequence),
        esc(&sh.citation)
    );
    let c = &d.clock;
    let _ = writeln!(
        out,
        "<p><strong>Clock:</strong> discovered {}, deadlines count from {} ({}){}.</p>",
        c.discovered,
        c.start,
        esc(&c.basis),
        if c.assumed {
            "; an assumption the officer must confirm"
        } else {
            ""
        }
    );
    deadlines(out, d);
    notices(out, d);
    business_associate(out, d);
    law_enforcement(out, d);
    state_notices(out, d);
    worksheet(out, d);
    portal(out, d);
    to_complete(out, d);
    out.push_str("</section>\n");
}

fn date_cell(id: &str, d: Option<Date>) -> String {
    let value = d.map(|d| d.to_string()).unwrap_or_default();
    let shown = d.map_or_else(|| NOT_REQUIRED.to_string(), |d| d.to_string());
    format!(
        "<td class=\"date\" id=\"{}\" data-value=\"{}\">{}</td>",
        esc(id),
        esc(&value),
        esc(&shown)
    )
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn deadlines(out: &mut String, d: &Determination) {
    out.push_str("<h3>Notices and deadlines</h3>\n");
    let i = &d.individual_notice;
    let mut how = i.method.clone();
    if let Some(base) = i.base_deadline.filter(|b| Some(*b) != i.deadline) {
        how.push_str(&format!(" (before the law-enforcement delay: {base})"));
    }
    let m = &d.media_notice;
    let media_how = if m.states.is_empty() {
        m.how.clone()
    } else {
        let states: Vec<String> = m
            .states
            .iter()
            .map(|s| format!("{} ({})", s.state, text::count(s.residents)))
            .collect();
        format!("{} States: {}.", m.how, states.join(", "))
    };
    let (mode, _) = mode_name(d.hhs.mode);
    let hhs_how = format!(
        "{} Mode: {}.",
        d.hhs.how,
        if mode.is_empty() { "-" } else { mode }
    );
    let rows = [
        [
            td("Individuals"),
            td(yes(i.required)),
            date_cell("deadline-individual", i.deadline),
            td(&how),
            td(&i.citation),
        ]
        .concat(),
        [
            td("Media"),
            td(yes(m.required)),
            date_cell("deadline-media", m.deadline),
            td(&media_how),
            td(&m.citation),
        ]
        .concat(),
        [
            td("Secretary of HHS"),
            td(yes(d.hhs.required)),
            date_cell("deadline-hhs", d.hhs.deadline),
            td(&hhs_how),
            td(&d.hhs.citation),
        ]
        .concat(),
    ];
    table(
        out,
        "deadlines",
        &["Notice", "Required", "Deadline", "How", "Citation"],
        &rows,
    );
    out.push_str("<h4>The five elements every individual notice contains</h4>\n<ol>\n");
    for e in &i.content_elements {
        let _ = writeln!(out, "<li>{}</li>", esc(e));
    }
    out.push_str("</ol>\n");
}

fn notices(out: &mut String, d: &Determination) {
    let s = &d.substitute_notice;
    let kind = match s.kind {
        Some(SubstituteKind::WebOrMedia) => "web posting or major media, with a toll-free number",
        Some(SubstituteKind::Alternative) => "alternative written notice, telephone or other means",
        None => NOT_REQUIRED,
    };
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"substitute-notice\"><h3>Substitute notice</h3><p><strong>Required:</strong> {} ({}); living individuals without current contact details: <span id=\"substitute-count\" data-value=\"{}\">{}</span>{}.</p><p>{}</p><p class=\"muted\">{}</p></div>",
        yes(s.required),
        esc(kind),
        s.count,
        text::count(s.count),
        s.active_days.map_or(String::new(), |n| format!("; active {n} days")),
        esc(&s.how),
        esc(&s.citation)
    );
    let dc = &d.deceased;
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"deceased-notice\"><h3>Deceased individuals</h3><p>{} deceased, of whom {} without a known next of kin or personal representative.</p><p>{}</p><p class=\"muted\">{}</p></div>",
        text::count(dc.count),
        text::count(dc.next_of_kin_without_contact),
        esc(&dc.rule),
        esc(&dc.citation)
    );
}

fn business_associate(out: &mut String, d: &Determination) {
    let Some(ba) = &d.business_associate else {
        return;
    };
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"business-associate\"><h3>Business associate duties</h3><p>Notify the covered entity by <strong>{}</strong> (60 days from discovery: {}). Agent of the covered entity: {}. The covered entity's clock: {} (from {}).</p>",
        ba.notify_ce_by,
        ba.base_deadline,
        yes(ba.agent_of_ce),
        esc(&ba.ce_clock),
        ba.ce_clock_start
    );
    list(out, "", &ba.content, "");
    let _ = writeln!(out, "<p class=\"muted\">{}</p></div>", esc(&ba.citation));
}

fn law_enforcement(out: &mut String, d: &Determination) {
    let Some(le) = &d.law_enforcement else {
        return;
    };
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"law-enforcement\"><h3>Law-enforcement delay</h3><p>{} statement of {}; delay until {} ({} days).</p><p>{}</p>",
        esc(&le.kind),
        le.stated,
        le.delay_end,
        le.delay_days,
        esc(&le.interpretation)
    );
    let rows: Vec<String> = le
        .affected
        .iter()
        .map(|t| {
            [
                td(&t.notice),
                td(&t.deadline.to_string()),
                td(&t.tolled.to_string()),
            ]
            .concat()
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            "tolled",
            &["Notice", "Without the delay", "With the delay"],
            &rows,
        );
    }
    let _ = writeln!(out, "<p class=\"muted\">{}</p></div>", esc(&le.citation));
}

fn state_notices(out: &mut String, d: &Determination) {
    out.push_str("<h3>State notices</h3>\n");
    let rows: Vec<String> = d
        .state_notices
        .iter()
        .map(|s| {
            let id = id_part(&s.state);
            let regulator = match (&s.regulator, s.regulator_required) {
                (Some(name), true) => format!("{name} (required)"),
                (Some(name), false) => format!(
                    "{name} (not required: {})",
                    s.regulator_threshold
                        .as_deref()
                        .unwrap_or("threshold not met")
                ),
                (None, _) => "none named".to_string(),
            };
            [
                format!(
                    "<td>{} <span class=\"muted\">{}</span></td>",
                    esc(&s.state),
                    esc(text::state_name(&s.state))
                ),
                td_num(s.residents),
                if s.default_rule {
                    td(&format!("default rule: {}", s.citation))
                } else {
                    td(&format!("{} ({})", s.law, s.citation))
                },
                date_cell(&format!("state-deadline-{id}"), s.individual_deadline),
                td(&regulator),
                date_cell(&format!("regulator-deadline-{id}"), s.regulator_deadline),
            ]
            .concat()
        })
        .collect();
    table(
        out,
        "state-notices",
        &[
            "State",
            "#Residents",
            "Law",
            "Individual notice by",
            "Regulator",
            "Regulator notice by",
        ],
        &rows,
    );
    for s in &d.state_notices {
        state_card(out, s);
    }
}

fn state_card(out: &mut String, s: &StateNotice) {
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"notice-{}\"><h4>{} ({}): {}</h4><p><strong>Individuals:</strong> {}</p>",
        esc(&id_part(&s.state)),
        esc(text::state_name(&s.state)),
        esc(&s.state),
        esc(&s.citation),
        esc(&s.individual_deadline_text)
    );
    if let Some(t) = &s.regulator_deadline_text {
        let _ = writeln!(out, "<p><strong>Regulator:</strong> {}</p>", esc(t));
    }
    if let Some(c) = &s.consumer_reporting_agencies {
        let _ = writeln!(
            out,
            "<p><strong>Consumer reporting agencies</strong> ({}; {}): {}</p>",
            if c.required {
                "required"
            } else {
                "not required"
            },
            esc(&c.threshold),
            esc(&c.text)
        );
    }
    if let Some(h) = &s.hipaa_deemed_compliance {
        let _ = writeln!(out, "<p><strong>HIPAA compliance:</strong> {}</p>", esc(h));
    }
    let others: Vec<String> = s
        .other_deadlines
        .iter()
        .map(|o| {
            format!(
                "{} ({}), for {}: {}; {}",
                o.name,
                o.citation,
                o.applies_to,
                text::opt_date(o.deadline, "no date computed"),
                o.text
            )
        })
        .collect();
    list(out, "", &others, "");
    // The engine repeats the deemed-compliance text among the notes.
    let notes: Vec<String> = s
        .notes
        .iter()
        .filter(|n| {
            s.hipaa_deemed_compliance.is_none() || !n.starts_with("HIPAA deemed compliance:")
        })
        .cloned()
        .collect();
    list(out, "", &notes, "");
    if !s.verify.is_empty() {
        out.push_str("<p><strong>Verify with counsel:</strong></p>\n");
        list(out, "checklist", &s.verify, "");
    }
    out.push_str("</div>\n");
}

fn blank(out: &mut String, label: &str, tall: bool) {
    let _ = writeln!(
        out,
        "<div class=\"field\"><span class=\"label\">{}</span><div class=\"blank{}\"></div></div>",
        esc(label),
        if tall { " tall" } else { "" }
    );
}

fn worksheet(out: &mut String, d: &Determination) {
    let w = &d.worksheet;
    out.push_str("<h3 id=\"worksheet\">Four-factor risk assessment worksheet</h3>\n");
    if let Some(s) = &w.summary {
        let _ = writeln!(out, "<p><strong>Incident:</strong> {}</p>", esc(s));
    }
    for (n, f) in w.factors.iter().enumerate() {
        let _ = writeln!(
            out,
            "<div class=\"card factor\"><h4>Factor {}: {}</h4><p class=\"muted\">{}</p><p><strong>From the evidence:</strong></p>",
            n + 1,
            esc(&f.factor),
            esc(&f.citation)
        );
        list(out, "", &f.prefilled, "Nothing in the evidence.");
        for field in &f.officer_fields {
            blank(out, field, true);
        }
        out.push_str("</div>\n");
    }
    let c = &w.conclusion;
    let _ = writeln!(
        out,
        "<div class=\"card\" id=\"conclusion\"><h4>Conclusion</h4><p>Status: {}</p>",
        esc(&c.status)
    );
    match c.low_probability {
        Some(low) => {
            let _ = writeln!(
                out,
                "<p>Low probability of compromise: {}</p>",
                yes(low)
            );
        }
        None => out.push_str("<p>&#9744; Low probability of compromise (no notice) &nbsp; &#9744; Not demonstrated (notify)</p>\n"),
    }
    let given = [("Documented by", &c.documented_by), ("Notes", &c.notes)];
    for (label, v) in given {
        match v {
            Some(v) => {
                let _ = writeln!(out, "<p><strong>{}:</strong> {}</p>", esc(label), esc(v));
            }
            None => blank(out, label, label == "Notes"),
        }
    }
    match c.date {
        Some(dt) => {
            let _ = writeln!(out, "<p><strong>Date:</strong> {dt}</p>");
        }
        None => blank(out, "Date", false),
    }
    out.push_str("</div>\n");
}

fn portal(out: &mut String, d: &Determination) {
    let p = &d.portal;
    out.push_str("<h3 id=\"portal\">HHS breach portal fields</h3>\n");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let types: Vec<String> = p
        .phi_types
        .iter()
        .map(|t| format!("{}: {}", t.kind, t.categories.join(", ")))
        .collect();
    let fields: [(&str, String); 15] = [
        ("Covered entity", p.covered_entity.clone()),
        ("Covered entity type", opt(&p.entity_type)),
        (
            "Business associate involved",
            yes(p.business_associate_involved).into(),
        ),
        ("Breach start", text::opt_date(p.breach_start, "")),
        ("Breach end", text::opt_date(p.breach_end, "")),
        ("Discovery date", p.discovery_date.to_string()),
        ("Individuals affected", text::count(p.individuals_affected)),
        ("Type of breach", opt(&p.breach_type)),
        ("Location of breached information", p.location.join("; ")),
        ("Type of PHI", types.join("; ")),
        (
            "Safeguards in place before the breach",
            opt(&p.safeguards_in_place),
        ),
        ("Actions taken in response", opt(&p.actions_taken)),
        (
            "Individual notice deadline",
            text::opt_date(p.individual_notice_deadline, NOT_REQUIRED),
        ),
        (
            "Substitute notice required",
            yes(p.substitute_notice_required).into(),
        ),
        ("Media notice required", yes(p.media_notice_required).into()),
    ];
    let rows: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let value = if v.is_empty() {
                "<td><div class=\"blank\"></div><span class=\"muted\">officer completes</span></td>"
                    .to_string()
            } else {
                td(v)
            };
            [td(k), value].concat()
        })
        .collect();
    table(out, "portal-fields", &["Field", "Value"], &rows);
    out.push_str("<p><strong>The officer completes:</strong></p>\n");
    list(out, "checklist", &p.officer_fields, "Nothing.");
}

fn to_complete(out: &mut String, d: &Determination) {
    out.push_str(
        "<h3 id=\"to-complete\">What the privacy officer must still decide or supply</h3>\n",
    );
    let items: Vec<String> = d
        .to_complete
        .iter()
        .map(|t| format!("{} ({})", t.item, t.cite))
        .collect();
    list(out, "checklist", &items, "Nothing.");
    if !d.problems.is_empty() {
        out.push_str("<div class=\"note\" id=\"problems\"><strong>Problems in the facts</strong> (the determination was made anyway):\n");
        let items: Vec<String> = d
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        list(out, "", &items, "");
        out.push_str("</div>\n");
    }
}

/// The citations section.
pub(super) fn citations(out: &mut String, r: &Report) {
    out.push_str("<section id=\"citations\">\n<h2>Citations</h2>\n<dl class=\"meta\">\n");
    for c in &r.hipaa.citations {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(&c.cite), esc(&c.text));
    }
    out.push_str("</dl>\n</section>\n");
}
