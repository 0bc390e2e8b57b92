//! Cheap, allocation-free forms of event values for lookups.

/// Bytes of the stack buffer values are folded into; longer values take the
/// slow (allocating) path or are skipped.
pub(super) const BUF: usize = 256;

/// `s` in ASCII lowercase, in `buf`. None if `s` is not ASCII or too long.
pub(super) fn lower<'b>(s: &str, buf: &'b mut [u8; BUF]) -> Option<&'b str> {
    if !s.is_ascii() || s.len() > BUF {
        return None;
    }
    let out = buf.get_mut(..s.len())?;
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

/// A host name as compared: trimmed, without trailing dots, lowercase.
/// None if not ASCII (the caller normalizes it the slow way) or too long.
pub(super) fn host<'b>(s: &str, buf: &'b mut [u8; BUF]) -> Option<&'b str> {
    lower(s.trim().trim_end_matches('.'), buf)
}

/// The host of a URL, without port, user info or brackets' content
/// changed (`[::1]` stays bracketed). None for a relative reference
/// (`/path`) or an empty host.
pub(super) fn url_host(s: &str) -> Option<&str> {
    let s = s.trim();
    let rest = if let Some(r) = s.strip_prefix("//") {
        r
    } else if s.starts_with('/') {
        return None;
    } else {
        match s.find("://") {
            Some(i) if is_scheme(&s[..i]) => &s[i + 3..],
            _ => s,
        }
    };
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        &hostport[..=close]
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => hostport,
        }
    };
    (!host.is_empty()).then_some(host)
}

fn is_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

/// A host with IPv6 brackets removed, for parsing as an address.
pub(super) fn unbracket(h: &str) -> &str {
    h.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h)
}

/// Whether a URL host may read differently once the URL is parsed:
/// non-ASCII (IDN), percent-encoded, or with a numeric last label (the URL
/// standard reads `0x7f.1` as an IPv4 address).
pub(super) fn odd_host(h: &str) -> bool {
    let last = h.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    !h.is_ascii() || h.contains('%') || last.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        let cases = [
            ("http://Evil.Example:8080/a", Some("Evil.Example")),
            ("https://u:p@evil.example/", Some("evil.example")),
            ("http://[2001:db8::1]:80/x", Some("[2001:db8::1]")),
            ("evil.example/x?y", Some("evil.example")),
            ("//cdn.example/x", Some("cdn.example")),
            ("/index.php?x=1", None),
            ("http:///x", None),
            ("http://evil.example#frag", Some("evil.example")),
        ];
        for (url, want) in cases {
            assert_eq!(url_host(url), want, "{url}");
        }
    }

    #[test]
    fn folding() {
        let mut buf = [0u8; BUF];
        assert_eq!(
            host(" WWW.Evil.Example. ", &mut buf),
            Some("www.evil.example")
        );
        assert_eq!(host("bücher.example", &mut buf), None);
        assert_eq!(lower(&"a".repeat(BUF + 1), &mut buf), None);
        assert_eq!(unbracket("[::1]"), "::1");
        assert!(odd_host("0x7f.1"));
        assert!(odd_host("b%C3%BCcher.example"));
        assert!(!odd_host("evil.example"));
    }
}
