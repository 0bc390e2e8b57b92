//! Zeek intel files (the input of Zeek's `Intel::read_files`): a `#fields`
//! line naming the columns (`indicator`, `indicator_type`, `meta.source`,
//! `meta.desc`, `meta.url`, …), then one item per line, tab-separated.
//!
//! | Zeek type | observable |
//! |---|---|
//! | `Intel::ADDR`, `Intel::SUBNET` | address or network |
//! | `Intel::DOMAIN` | domain |
//! | `Intel::URL` (written without a scheme) | URL |
//! | `Intel::EMAIL` | email |
//! | `Intel::FILE_HASH` | file hash (kind by length) |
//! | `Intel::CERT_HASH` | certificate hash |
//! | `Intel::FILE_NAME` | file name |
//! | `Intel::SOFTWARE` | user agent |
//!
//! `Intel::USER_NAME` and `Intel::PUBKEY_HASH` are problems (not matched),
//! as is any line that cannot be read. Lines with `meta.whitelist` set to
//! `T` are not for detection. Other `#` lines are metadata.

use super::{problem, shorten};
use crate::model::{Indicator, LoadReport, Observable};
use crate::normalize::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net,
};

/// Where the columns phiwatch reads are.
struct Columns {
    indicator: usize,
    ty: usize,
    source: Option<usize>,
    desc: Option<usize>,
    url: Option<usize>,
    whitelist: Option<usize>,
}

/// The header state: separator, unset and empty markers, columns.
struct Header {
    separator: String,
    unset: String,
    empty: String,
    columns: Option<Columns>,
}

/// Loads the indicators of a Zeek intel file's text.
pub fn load(text: &str, source: &str, report: &mut LoadReport) -> Vec<Indicator> {
    let mut header = Header {
        separator: "\t".to_string(),
        unset: "-".to_string(),
        empty: "(empty)".to_string(),
        columns: None,
    };
    let mut out = Vec::new();
    for (n, line) in super::strip_bom(text).lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let location = format!("line {}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('#') {
            if let Err(reason) = header_line(&mut header, line) {
                problem(report, source, &location, &reason);
            }
            continue;
        }
        report.read += 1;
        match data_line(&header, line, source) {
            Ok(Some(ind)) => out.push(ind),
            Ok(None) => report.not_for_detection += 1,
            Err(reason) => problem(report, source, &location, &reason),
        }
    }
    out
}

/// Reads a `#` line into the header.
fn header_line(h: &mut Header, line: &str) -> Result<(), String> {
    let Some((key, rest)) = line.split_once(['\t', ' ']) else {
        return Ok(());
    };
    match key {
        "#separator" => h.separator = unescape(rest.trim()),
        "#unset_field" => h.unset = rest.to_string(),
        "#empty_field" => h.empty = rest.to_string(),
        "#fields" => {
            h.columns = None;
            let names: Vec<&str> = if rest.contains(h.separator.as_str()) {
                rest.split(h.separator.as_str()).map(str::trim).collect()
            } else {
                rest.split_whitespace().collect()
            };
            let find = |want: &str| names.iter().position(|n| *n == want);
            let (Some(indicator), Some(ty)) = (find("indicator"), find("indicator_type")) else {
                return Err("#fields names no indicator and indicator_type columns".into());
            };
            h.columns = Some(Columns {
                indicator,
                ty,
                source: find("meta.source"),
                desc: find("meta.desc"),
                url: find("meta.url"),
                whitelist: find("meta.whitelist"),
            });
        }
        _ => {}
    }
    Ok(())
}

/// `\x09` and the like as the characters they stand for.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(hex) = rest.strip_prefix("\\x").and_then(|r| r.get(..2)) {
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(char::from(b));
                rest = &rest[4..];
                continue;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    if out.is_empty() {
        "\t".to_string()
    } else {
        out
    }
}

/// One item line: an indicator, None when whitelisted, or the reason it
/// cannot be used.
fn data_line(h: &Header, line: &str, source: &str) -> Result<Option<Indicator>, String> {
    let Some(c) = &h.columns else {
        return Err("an item before the #fields line".into());
    };
    let fields: Vec<&str> = line.split(h.separator.as_str()).collect();
    let need = c.indicator.max(c.ty) + 1;
    if fields.len() < need {
        return Err(format!(
            "expected at least {need} fields, found {}",
            fields.len()
        ));
    }
    let cell = |i: Option<usize>| {
        i.and_then(|i| fields.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && *s != h.unset && *s != h.empty)
    };
    if cell(c.whitelist) == Some("T") {
        return Ok(None);
    }
    let value = fields[c.indicator].trim();
    let observable = observable(fields[c.ty].trim(), value)?;
    let mut ind = Indicator::of(observable, source);
    let desc = cell(c.desc);
    if let Some(d) = desc {
        ind.name = d.to_string();
    }
    ind.description = match (desc, cell(c.url)) {
        (Some(d), Some(u)) => Some(format!("{d} ({u})")),
        (Some(d), None) => Some(d.to_string()),
        (None, Some(u)) => Some(u.to_string()),
        (None, None) => None,
    };
    if let Some(s) = cell(c.source) {
        ind.labels.push(s.to_string());
    }
    Ok(Some(ind))
}

/// The observable of a Zeek intel type and value.
fn observable(ty: &str, value: &str) -> Result<Observable, String> {
    let bad = || format!("{:?} is not a valid {ty}", shorten(value));
    let name = ty.strip_prefix("Intel::").unwrap_or(ty);
    let o = match name {
        "ADDR" | "SUBNET" => parse_ip_net(value).map(Observable::Ip),
        "DOMAIN" => normalize_domain(value).map(Observable::Domain),
        "URL" => normalize_url(value).map(Observable::Url),
        "EMAIL" => normalize_email(value).map(Observable::Email),
        "FILE_HASH" => normalize_hash(value, None).map(|(k, h)| Observable::FileHash(k, h)),
        "CERT_HASH" => normalize_hash(value, None).map(|(k, h)| Observable::CertHash(k, h)),
        "FILE_NAME" => (!value.is_empty()).then(|| Observable::FileName(value.to_string())),
        "SOFTWARE" => (!value.is_empty()).then(|| Observable::UserAgent(value.to_string())),
        "USER_NAME" | "PUBKEY_HASH" => return Err(format!("Zeek type {ty} is not matched")),
        _ => return Err(format!("unknown Zeek intel type {:?}", shorten(ty))),
    };
    o.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_escapes() {
        assert_eq!(unescape("\\x09"), "\t");
        assert_eq!(unescape("\\x2c"), ",");
        assert_eq!(unescape("|"), "|");
        assert_eq!(unescape("\\xZZ"), "\\xZZ");
    }
}
