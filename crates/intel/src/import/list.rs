//! CSV files and plain lists: one indicator per line; blank lines and `#`
//! comments skipped.
//!
//! A first line whose cells name an indicator column (`indicator`, `ioc`,
//! `value`, `observable`, or a name containing one of those) is a header;
//! it may also name a `type` column, a description (`description`, `desc`,
//! `comment`) and an expiry (`valid_until`, `expires`). Without a header the
//! first column is the indicator. Cells are separated by tabs, commas or
//! semicolons (whichever the first line has), and may be double-quoted.
//!
//! Without a type, the kind is told from the value, after undoing
//! defanging (`hxxp://`, `[.]`): an address or CIDR network, a URL (has
//! `://`, or a domain followed by a path), an email, a hash by its number of
//! hex digits (32 is MD5: a JA3 needs a `ja3` type), a domain (with a dot).
//! Anything else is a problem naming its line.

use phiwatch_event::Timestamp;

use super::{parse_time, problem, shorten, undefang};
use crate::model::{HashKind, Indicator, LoadReport, Observable};
use crate::normalize::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net,
};

/// Where the columns are.
#[derive(Default)]
struct Columns {
    indicator: usize,
    ty: Option<usize>,
    desc: Option<usize>,
    until: Option<usize>,
}

/// Loads the indicators of a CSV file or plain list; those whose expiry is
/// before `now` are counted in `report.expired` and skipped.
pub fn load(text: &str, source: &str, now: Timestamp, report: &mut LoadReport) -> Vec<Indicator> {
    let mut out = Vec::new();
    let mut layout: Option<(Option<char>, Columns)> = None;
    for (n, raw) in super::strip_bom(text).lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if layout.is_none() {
            let delimiter = ['\t', ',', ';'].into_iter().find(|d| line.contains(*d));
            let header = header_columns(&split(line, delimiter));
            let is_header = header.is_some();
            layout = Some((delimiter, header.unwrap_or_default()));
            if is_header {
                continue;
            }
        }
        let Some((delimiter, columns)) = &layout else {
            continue;
        };
        let location = format!("line {}", n + 1);
        report.read += 1;
        match read_line(&split(line, *delimiter), columns, source, now) {
            Ok(Some(ind)) => out.push(ind),
            Ok(None) => report.expired += 1,
            Err(reason) => problem(report, source, &location, &reason),
        }
    }
    out
}

/// One data line: an indicator, None when expired, or why it is unusable.
fn read_line(
    cells: &[String],
    c: &Columns,
    source: &str,
    now: Timestamp,
) -> Result<Option<Indicator>, String> {
    let cell = |i: Option<usize>| {
        i.and_then(|i| cells.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let Some(value) = cell(Some(c.indicator)) else {
        return Err("no indicator in the line".into());
    };
    let observable = match cell(c.ty) {
        Some(ty) => typed(ty, value)?,
        None => detect(value)?,
    };
    let mut ind = Indicator::of(observable, source);
    if let Some(until) = cell(c.until) {
        let t = parse_time(until)
            .ok_or_else(|| format!("cannot read the time {:?}", shorten(until)))?;
        ind.valid_until = Some(t);
        if ind.expired_at(now) {
            return Ok(None);
        }
    }
    ind.description = cell(c.desc).map(str::to_string);
    Ok(Some(ind))
}

/// The columns named by a header line, or None if it is not a header.
fn header_columns(cells: &[String]) -> Option<Columns> {
    let names: Vec<String> = cells
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let find = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
    let ty = find(&[
        "type",
        "indicator_type",
        "ioc_type",
        "observable_type",
        "kind",
        "value_type",
    ]);
    let desc = find(&["description", "desc", "comment", "comments"]);
    let until = find(&["valid_until", "expires", "expiry", "expiration", "valid_to"]);
    let indicator = find(&["indicator", "ioc", "value", "observable"]).or_else(|| {
        names.iter().enumerate().position(|(i, n)| {
            Some(i) != ty
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ' || b == b'-')
                && ["indicator", "ioc", "value", "observable"]
                    .iter()
                    .any(|w| n.contains(w))
        })
    })?;
    Some(Columns {
        indicator,
        ty,
        desc,
        until,
    })
}

/// The cells of a line (double quotes group, `""` is a quote).
fn split(line: &str, delimiter: Option<char>) -> Vec<String> {
    let Some(d) = delimiter else {
        return vec![unquote(line)];
    };
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' if quoted || cur.trim().is_empty() => quoted = !quoted,
            c if c == d && !quoted => cells.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

/// A whole line without surrounding double quotes.
fn unquote(s: &str) -> String {
    let t = s.trim();
    match t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => t.to_string(),
    }
}

/// The observable of a value whose kind is not given.
pub(crate) fn detect(raw: &str) -> Result<Observable, String> {
    let v = undefang(raw);
    let cannot = || format!("cannot tell what {:?} is", shorten(raw.trim()));
    if let Some(n) = parse_ip_net(&v) {
        return Ok(Observable::Ip(n));
    }
    if v.contains("://") {
        return normalize_url(&v).map(Observable::Url).ok_or_else(cannot);
    }
    if v.contains('@') {
        return normalize_email(&v)
            .map(Observable::Email)
            .ok_or_else(cannot);
    }
    if let Some((k, h)) = normalize_hash(&v, None) {
        return Ok(Observable::FileHash(k, h));
    }
    if let Some((host, _)) = v.split_once('/') {
        if normalize_domain(host).is_some_and(|d| d.contains('.')) {
            return normalize_url(&v).map(Observable::Url).ok_or_else(cannot);
        }
    }
    match normalize_domain(&v) {
        Some(d) if d.contains('.') => Ok(Observable::Domain(d)),
        _ => Err(cannot()),
    }
}

/// The observable of a value of a named type (`ip`, `domain`, `url`,
/// `sha256`, `ja3`, …; Zeek's `Intel::` names too).
pub(crate) fn typed(ty: &str, raw: &str) -> Result<Observable, String> {
    let t = ty.trim().to_ascii_lowercase();
    let t = t.strip_prefix("intel::").unwrap_or(&t);
    let v = undefang(raw);
    let hash = |kind: Option<HashKind>| normalize_hash(&v, kind);
    let o = match t {
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "addr"
        | "address" | "cidr" | "subnet" | "network" => parse_ip_net(&v).map(Observable::Ip),
        "domain" | "hostname" | "host" | "fqdn" | "domain-name" | "dns" => {
            normalize_domain(&v).map(Observable::Domain)
        }
        "url" | "uri" | "link" => normalize_url(&v).map(Observable::Url),
        "email" | "email-addr" | "email-src" | "email-dst" | "mail" => {
            normalize_email(&v).map(Observable::Email)
        }
        "md5" => hash(Some(HashKind::Md5)).map(|(k, h)| Observable::FileHash(k, h)),
        "sha1" | "sha-1" => hash(Some(HashKind::Sha1)).map(|(k, h)| Observable::FileHash(k, h)),
        "sha256" | "sha-256" => {
            hash(Some(HashKind::Sha256)).map(|(k, h)| Observable::FileHash(k, h))
        }
        "sha512" | "sha-512" => {
            hash(Some(HashKind::Sha512)).map(|(k, h)| Observable::FileHash(k, h))
        }
        "hash" | "filehash" | "file_hash" | "file-hash" => {
            hash(None).map(|(k, h)| Observable::FileHash(k, h))
        }
        "cert" | "cert_hash" | "cert-hash" | "x509" | "x509-fingerprint" => {
            hash(None).map(|(k, h)| Observable::CertHash(k, h))
        }
        "ja3" | "ja3-fingerprint-md5" => hash(Some(HashKind::Md5)).map(|(_, h)| Observable::Ja3(h)),
        "ja3s" => hash(Some(HashKind::Md5)).map(|(_, h)| Observable::Ja3s(h)),
        "ja4" => Some(v.to_ascii_lowercase())
            .filter(|s| !s.is_empty() && !s.contains(' '))
            .map(Observable::Ja4),
        "user-agent" | "useragent" | "user_agent" | "software" => Some(raw.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(Observable::UserAgent),
        "filename" | "file-name" | "file_name" | "file" => Some(raw.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(Observable::FileName),
        _ => return Err(format!("type {:?} is not matched", shorten(ty))),
    };
    o.ok_or_else(|| format!("{:?} is not a valid {}", shorten(raw.trim()), shorten(ty)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert!(matches!(detect("10.0.0.0/8"), Ok(Observable::Ip(_))));
        assert!(matches!(detect("[2001:db8::1]"), Ok(Observable::Ip(_))));
        assert_eq!(
            detect("hxxps://evil[.]example/x"),
            Ok(Observable::Url("https://evil.example/x".into()))
        );
        assert_eq!(
            detect("evil[.]example/gate.php"),
            Ok(Observable::Url("http://evil.example/gate.php".into()))
        );
        assert_eq!(
            detect("Bad[@]Evil.Example"),
            Ok(Observable::Email("bad@evil.example".into()))
        );
        assert_eq!(
            detect("Evil.Example."),
            Ok(Observable::Domain("evil.example".into()))
        );
        assert!(matches!(
            detect("D41D8CD98F00B204E9800998ECF8427E"),
            Ok(Observable::FileHash(HashKind::Md5, _))
        ));
        assert!(detect("localhost").is_err());
        assert!(detect("1.2.3").is_err());
        assert!(detect("not a thing").is_err());
    }

    #[test]
    fn csv_cells() {
        assert_eq!(split("a,\"b,c\",d", Some(',')), vec!["a", "b,c", "d"]);
        assert_eq!(
            split("\"say \"\"hi\"\"\",x", Some(',')),
            vec!["say \"hi\"", "x"]
        );
        assert_eq!(split("\"one\"", None), vec!["one"]);
        let h = header_columns(&split("ioc_value,ioc_type,comment", Some(','))).unwrap();
        assert_eq!((h.indicator, h.ty, h.desc), (0, Some(1), Some(2)));
        assert!(header_columns(&split("1.2.3.4,bad", Some(','))).is_none());
        assert!(header_columns(&split("value.example.com", None)).is_none());
    }
}
