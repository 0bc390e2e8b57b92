//! The Zeek intel file: a `#fields` header and one tab-separated line per
//! observable, as Zeek's Intel framework reads it.

use super::{export_time, merge, one_line, Export, ExportSummary, LeftOut, Merged, Observed};
use crate::model::Observable;

/// The header line (without its newline).
pub const ZEEK_HEADER: &str = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc";

/// Why JA3, JA3S and JA4 are left out.
const NO_ZEEK_TYPE: &str = "no Zeek intel type (TLS fingerprints)";

/// Why observables of an AND group are left out.
const AND_GROUP: &str = "in an AND group: a Zeek intel item matches one value alone";

/// The Zeek intel file of `items` (see [`zeek_export`]).
pub fn zeek_intel(items: &[Observed]) -> String {
    zeek_export(items).output
}

/// The Zeek intel file of `items`, with what it left out.
///
/// One line per observable: `indicator`, `indicator_type` (`Intel::ADDR`,
/// `Intel::SUBNET`, `Intel::DOMAIN`, `Intel::URL` without its scheme, as
/// Zeek sees URLs, `Intel::FILE_HASH`, `Intel::EMAIL`, `Intel::CERT_HASH`,
/// `Intel::SOFTWARE` for a user agent, `Intel::FILE_NAME`), `meta.source`
/// (the indicator's source) and `meta.desc` (its description or name, then
/// `seen N times, FIRST to LAST`). Tabs and line breaks in fields become
/// spaces; an empty field is written `-`. A Zeek intel item matches one value
/// alone, so observables of a group that needs several at once are left
/// out, as are JA3, JA3S and JA4 (no Zeek type); both are counted.
pub fn zeek_export(items: &[Observed]) -> Export<String> {
    let merged = merge(items);
    let mut summary = ExportSummary {
        items: items.len(),
        merged: items.len() - merged.len(),
        ..ExportSummary::default()
    };
    let mut out = String::from(ZEEK_HEADER);
    out.push('\n');
    for m in &merged {
        let lines = indicator_lines(m, &mut out, &mut summary.left_out);
        if lines == 0 {
            summary.skipped += 1;
        } else {
            summary.indicators += 1;
            summary.lines += lines;
        }
    }
    Export {
        output: out,
        summary,
    }
}

/// Appends the lines of one indicator; returns how many.
fn indicator_lines(m: &Merged<'_>, out: &mut String, left_out: &mut Vec<LeftOut>) -> usize {
    let ind = m.indicator;
    let base = match &ind.description {
        Some(d) if !d.trim().is_empty() => d.as_str(),
        _ => ind.name.as_str(),
    };
    let desc = format!(
        "{base}; seen {} times, {} to {}",
        m.count,
        export_time(m.first_seen),
        export_time(m.last_seen)
    );
    let mut n = 0;
    for group in &ind.any_of {
        for o in group {
            let typed = zeek_type(o);
            let reason = match typed {
                None => NO_ZEEK_TYPE,
                Some(_) if group.len() > 1 => AND_GROUP,
                Some((value, kind)) => {
                    for field in [value.as_str(), kind, ind.source.as_str()] {
                        out.push_str(&field_text(field));
                        out.push('\t');
                    }
                    out.push_str(&field_text(&desc));
                    out.push('\n');
                    n += 1;
                    continue;
                }
            };
            left_out.push(LeftOut {
                indicator_id: ind.id.clone(),
                observable: o.clone(),
                reason,
            });
        }
    }
    n
}

/// A field on one line; `-` (Zeek's unset) when empty.
fn field_text(s: &str) -> String {
    let t = one_line(s);
    if t.trim().is_empty() {
        "-".to_string()
    } else {
        t
    }
}

/// The Zeek value and intel type of an observable.
fn zeek_type(o: &Observable) -> Option<(String, &'static str)> {
    let typed = match o {
        Observable::Ip(net) if net.is_host() => (net.addr.to_string(), "Intel::ADDR"),
        Observable::Ip(net) => (net.to_string(), "Intel::SUBNET"),
        Observable::Domain(d) => (d.clone(), "Intel::DOMAIN"),
        Observable::Url(u) => (strip_scheme(u).to_string(), "Intel::URL"),
        Observable::FileHash(_, h) => (h.clone(), "Intel::FILE_HASH"),
        Observable::CertHash(_, h) => (h.clone(), "Intel::CERT_HASH"),
        Observable::Email(e) => (e.clone(), "Intel::EMAIL"),
        Observable::UserAgent(ua) => (ua.clone(), "Intel::SOFTWARE"),
        Observable::FileName(n) => (n.clone(), "Intel::FILE_NAME"),
        Observable::Ja3(_) | Observable::Ja3s(_) | Observable::Ja4(_) => return None,
    };
    Some(typed)
}

/// A URL without `scheme://`.
fn strip_scheme(u: &str) -> &str {
    match u.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !scheme.contains('/') => rest,
        _ => u,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_stripped() {
        assert_eq!(strip_scheme("http://evil.example/a"), "evil.example/a");
        assert_eq!(
            strip_scheme("https://evil.example/x?u=http://b"),
            "evil.example/x?u=http://b"
        );
        assert_eq!(strip_scheme("evil.example/a"), "evil.example/a");
    }

    #[test]
    fn empty_fields_are_unset() {
        assert_eq!(field_text(""), "-");
        assert_eq!(field_text("a\tb"), "a b");
    }
}
