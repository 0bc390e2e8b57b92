//! URL helpers shared by the decoders that see HTTP request targets (access
//! logs) and FHIR REST calls (FHIR AuditEvent `entity.query`): percent
//! decoding, splitting a target into its parts, and host / port / address
//! parsing.

use std::borrow::Cow;
use std::net::IpAddr;

/// Decodes `%XX` escapes (and `+` as a space when `plus` is set, for query
/// strings). Invalid escapes are kept as they are.
pub(crate) fn percent_decode(b: &[u8], plus: bool) -> Cow<'_, [u8]> {
    if !b.iter().any(|&c| c == b'%' || plus && c == b'+') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| {
                    let hi = (h[0] as char).to_digit(16)?;
                    let lo = (h[1] as char).to_digit(16)?;
                    Some((hi * 16 + lo) as u8)
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The parts of a request target: origin form (`/a?b`) or absolute form
/// (`https://host:443/a?b`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    pub(crate) scheme: Option<&'a str>,
    pub(crate) domain: Option<&'a str>,
    pub(crate) port: Option<u16>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
}

/// Splits a URL; never fails (an unrecognised target is all path).
pub(crate) fn split_url(s: &str) -> UrlParts<'_> {
    let s = s.split('#').next().unwrap_or("");
    let mut parts = UrlParts::default();
    let mut rest = s;
    if let Some(i) = s.find("://") {
        let scheme = &s[..i];
        if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphabetic()) {
            parts.scheme = Some(scheme);
            let after = &s[i + 3..];
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let authority = &after[..end];
            let host = authority.rsplit('@').next().unwrap_or("");
            let (h, port) = split_host_port(host);
            parts.domain = (!h.is_empty()).then_some(h);
            parts.port = port;
            rest = &after[end..];
        }
    }
    match rest.split_once('?') {
        Some((p, q)) => {
            parts.path = p;
            parts.query = Some(q);
        }
        None => parts.path = rest,
    }
    parts
}

/// `host:port`, `[v6]:port`, `v6`, `host`.
pub(crate) fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(r) = s.strip_prefix('[') {
        if let Some((h, p)) = r.split_once(']') {
            return (h, p.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
        return (s, None);
    }
    match s.rsplit_once(':') {
        // One colon: host:port; more: a bare IPv6 address.
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (s, None),
        },
        _ => (s, None),
    }
}

/// An address with an optional port (`203.0.113.9`, `203.0.113.9:5012`,
/// `[2001:db8::1]:443`, `2001:db8::1`).
pub(crate) fn parse_addr(s: &str) -> Option<(IpAddr, Option<u16>)> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some((ip, None));
    }
    let (h, p) = split_host_port(s);
    h.parse().ok().map(|ip| (ip, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(&*percent_decode(b"a%20b%zz+c%4", true), b"a b%zz c%4");
        assert_eq!(&*percent_decode(b"a+b", false), b"a+b");
    }

    #[test]
    fn urls() {
        let p = split_url("https://ehr.example:8443/fhir/Patient?name=x#frag");
        assert_eq!(p.domain, Some("ehr.example"));
        assert_eq!(p.port, Some(8443));
        assert_eq!(p.path, "/fhir/Patient");
        assert_eq!(p.query, Some("name=x"));
        assert_eq!(
            split_host_port("[2001:db8::1]:443"),
            ("2001:db8::1", Some(443))
        );
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1", None));
    }
}
