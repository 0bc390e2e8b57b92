//! The notice drafts: individual letters (and the next-of-kin variant),
//! the substitute notice, media notices and regulator cover notes.
//!
//! Every draft is Markdown with `[UPPER CASE]` placeholders for mail
//! merge and for what only the organization knows; a drafting note at the
//! top (to delete before sending) lists the deadline, the placeholders and
//! what to check.

mod notices;
mod parts;

use phiwatch_hipaa::Date;

use crate::text::{self, id_part};
use crate::{Document, Report};

pub(crate) use parts::Parts;

const MARKDOWN: &str = "text/markdown; charset=utf-8";

/// The California headings, in order (Cal. Civ. Code 1798.82(d)); each
/// carries one or more of the five HIPAA elements of 45 CFR 164.404(c).
pub const HEADINGS: [&str; 5] = [
    "What Happened",
    "What Information Was Involved",
    "What We Are Doing",
    "What You Can Do",
    "For More Information",
];

/// The notice drafts for a report, as documents under `letters/`:
/// - `individual-notice.md`: the letter to each living individual, in
///   plain language, with the five required elements of 45 CFR 164.404(c)
///   under California's headings (they satisfy HIPAA too) and
///   `[PATIENT NAME]`-style placeholders for mail merge;
/// - `next-of-kin-notice.md` when individuals are deceased;
/// - `substitute-notice.md` when substitute notice is required;
/// - `media-notice-XX.md` per State of the media notice;
/// - `regulator-XX.md` per State whose regulator must be notified.
pub fn letters(r: &Report) -> Vec<Document> {
    let p = Parts::new(r);
    let mut out = vec![Document::new(
        "letters/individual-notice.md",
        MARKDOWN,
        notices::individual(r, &p),
    )];
    if r.scope.individuals.deceased > 0 || r.hipaa.deceased.count > 0 {
        out.push(Document::new(
            "letters/next-of-kin-notice.md",
            MARKDOWN,
            notices::next_of_kin(r, &p),
        ));
    }
    if r.hipaa.substitute_notice.required {
        out.push(Document::new(
            "letters/substitute-notice.md",
            MARKDOWN,
            notices::substitute(r, &p),
        ));
    }
    for m in &r.hipaa.media_notice.states {
        out.push(Document::new(
            format!("letters/media-notice-{}.md", id_part(&m.state)),
            MARKDOWN,
            notices::media(r, &p, &m.state, m.residents),
        ));
    }
    for s in r
        .hipaa
        .state_notices
        .iter()
        .filter(|s| s.regulator_required)
    {
        out.push(Document::new(
            format!("letters/regulator-{}.md", id_part(&s.state)),
            MARKDOWN,
            notices::regulator(r, s),
        ));
    }
    out
}

/// The `[UPPER CASE]` placeholders of a text, in first-use order.
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let after = rest.get(start + 1..).unwrap_or("");
        let Some(end) = after.find(']') else {
            break;
        };
        let inner = after.get(..end).unwrap_or("");
        let is_placeholder = inner.chars().any(|c| c.is_ascii_uppercase())
            && !inner.chars().any(|c| c.is_ascii_lowercase());
        if is_placeholder && !out.iter().any(|p| p == inner) {
            out.push(inner.to_string());
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out
}

/// The drafting note at the top of a draft: what it is, the deadline,
/// notes, and the placeholders of `body`.
pub(crate) fn drafting_note(
    what: &str,
    deadline: Option<(Date, &str)>,
    notes: &[String],
    body: &str,
) -> String {
    let mut s = format!("> **DRAFT - delete this note before sending.** {what}\n>\n");
    if let Some((d, rule)) = deadline {
        s.push_str(&format!(
            "> **Send by {} ({d})**: {rule}\n>\n",
            text::long_date(d)
        ));
    }
    for n in notes {
        s.push_str(&format!("> - {n}\n"));
    }
    let ph = placeholders(body);
    if !ph.is_empty() {
        let list: Vec<String> = ph.iter().map(|p| format!("[{p}]")).collect();
        s.push_str(&format!(">\n> Fill in: {}\n", list.join(", ")));
    }
    s.push_str(&format!("> {}\n\n", text::NOT_LEGAL_ADVICE));
    s
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn finds_placeholders_once_in_order() {
        let t = "Dear [PATIENT NAME], call [TOLL-FREE NUMBER] or [PATIENT NAME] [not one] [x";
        assert_eq!(placeholders(t), ["PATIENT NAME", "TOLL-FREE NUMBER"]);
    }
}
