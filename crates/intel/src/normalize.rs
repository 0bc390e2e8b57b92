//! Normalizing observable values so that the same thing written two ways is
//! one key: domains, URLs, hashes, emails, addresses and networks.

use std::net::IpAddr;

use crate::model::{mask_v4, mask_v6, max_prefix, HashKind, IpNet};

/// A domain name as compared: lowercase, without a trailing dot, an IDN in
/// its ASCII (punycode) form. None if it is not a host name.
///
/// ```
/// use phiwatch_intel::normalize_domain;
/// assert_eq!(normalize_domain("Evil.Example."), Some("evil.example".into()));
/// assert_eq!(normalize_domain("bücher.example"), Some("xn--bcher-kva.example".into()));
/// assert_eq!(normalize_domain("not a domain"), None);
/// ```
pub fn normalize_domain(s: &str) -> Option<String> {
    let t = s.trim().trim_end_matches('.');
    if t.is_empty() || t.contains(['/', ' ', '@', ':']) {
        return None;
    }
    match url::Host::parse(t).ok()? {
        url::Host::Domain(d) => Some(d.trim_end_matches('.').to_string()),
        _ => None,
    }
}

/// A URL as compared: scheme and host lowercase (IDN as punycode), default
/// port dropped, no fragment, path and query as `url` serializes them. A URL
/// without a scheme is read as `http://`. None if it does not parse.
///
/// ```
/// use phiwatch_intel::normalize_url;
/// assert_eq!(
///     normalize_url("HTTP://Evil.Example:80/a/../b?x=1#frag"),
///     Some("http://evil.example/b?x=1".into())
/// );
/// ```
pub fn normalize_url(s: &str) -> Option<String> {
    let t = s.trim();
    let parsed = url::Url::parse(t)
        .or_else(|_| url::Url::parse(&format!("http://{t}")))
        .ok()?;
    parsed.host_str()?;
    let mut u = parsed;
    u.set_fragment(None);
    if let Some(h) = u.host_str().map(|h| h.trim_end_matches('.').to_string()) {
        if h.is_empty() || u.set_host(Some(&h)).is_err() {
            return None;
        }
    }
    Some(u.to_string())
}

/// A hash as compared: lowercase hex, with its kind from its length (or the
/// kind given). None if it is not hex of a known length.
pub fn normalize_hash(s: &str, kind: Option<HashKind>) -> Option<(HashKind, String)> {
    let t = s.trim();
    if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let k = HashKind::from_hex_len(t.len())?;
    if kind.is_some_and(|want| want != k) {
        return None;
    }
    Some((k, t.to_ascii_lowercase()))
}

/// An email address as compared: lowercase, trimmed. None without one `@`
/// between a local part and a domain.
pub fn normalize_email(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches("mailto:");
    let (local, domain) = t.split_once('@')?;
    if local.is_empty() || domain.contains('@') {
        return None;
    }
    let domain = normalize_domain(domain)?;
    Some(format!("{}@{domain}", local.to_lowercase()))
}

/// An address or a CIDR network (`10.0.0.0/8`, `2001:db8::/32`, `[::1]`),
/// its host bits cleared. None if it is neither.
///
/// ```
/// use phiwatch_intel::parse_ip_net;
/// let n = parse_ip_net("10.1.2.3/8").unwrap();
/// assert_eq!(n.to_string(), "10.0.0.0/8");
/// assert!(parse_ip_net("2001:DB8::1").unwrap().is_host());
/// assert!(parse_ip_net("10.0.0.0/33").is_none());
/// ```
pub fn parse_ip_net(s: &str) -> Option<IpNet> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a.trim_end_matches(']'), Some(p.parse::<u8>().ok()?)),
        None => (t, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = max_prefix(&addr);
    let prefix = prefix.unwrap_or(max);
    if prefix > max {
        return None;
    }
    let addr = match addr {
        IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask_v4(prefix)).into()),
        IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask_v6(prefix)).into()),
    };
    Some(IpNet { addr, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            normalize_domain("WWW.Example.COM"),
            Some("www.example.com".into())
        );
        assert_eq!(normalize_domain("example.com."), Some("example.com".into()));
        assert_eq!(
            normalize_domain("ПРИМЕР.рф"),
            Some("xn--e1afmkfd.xn--p1ai".into())
        );
        assert_eq!(normalize_domain("10.0.0.1"), None);
        assert_eq!(normalize_domain("http://x.example/"), None);
        assert_eq!(normalize_domain(""), None);
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("https://EXAMPLE.com:443/Path?q=1"),
            Some("https://example.com/Path?q=1".into())
        );
        assert_eq!(
            normalize_url("evil.example/x"),
            Some("http://evil.example/x".into())
        );
        assert_eq!(
            normalize_url("http://evil.example./x"),
            Some("http://evil.example/x".into())
        );
        assert_eq!(normalize_url("not a url at all"), None);
    }

    #[test]
    fn hashes_and_emails() {
        let md5 = "D41D8CD98F00B204E9800998ECF8427E";
        assert_eq!(
            normalize_hash(md5, None),
            Some((HashKind::Md5, md5.to_ascii_lowercase()))
        );
        assert_eq!(normalize_hash(md5, Some(HashKind::Sha1)), None);
        assert_eq!(normalize_hash("xyz", None), None);
        assert_eq!(
            normalize_email("Bad.Actor@Evil.Example"),
            Some("bad.actor@evil.example".into())
        );
        assert_eq!(normalize_email("nobody"), None);
    }

    #[test]
    fn networks() {
        assert_eq!(
            parse_ip_net("[2001:db8::1]/64").map(|n| n.to_string()),
            Some("2001:db8::/64".into())
        );
        let n = parse_ip_net("192.168.0.0/16").unwrap();
        assert!(n.contains(&"192.168.44.1".parse().unwrap()));
        assert!(!n.contains(&"192.169.0.1".parse().unwrap()));
        assert!(!n.contains(&"::1".parse().unwrap()));
        assert_eq!(parse_ip_net("0.0.0.0/0").map(|n| n.prefix), Some(0));
        assert_eq!(parse_ip_net("1.2.3"), None);
    }
}
