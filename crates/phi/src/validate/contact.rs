//! Contact and location: NANP phone numbers, email addresses, IP addresses,
//! ZIP codes.

use super::{grouped, Digits};

/// Collects the digits of a phone number written with an optional `+1` or
/// `1` country code, an optional `(`area code`)`, and `-`, `.` or spaces
/// between groups. `+` may only come first; a `(` must enclose exactly the 3
/// digits of the area code; no two separators in a row.
fn phone_digits(s: &[u8]) -> Option<Digits> {
    let mut out = Digits::new();
    let mut open_at = None;
    let mut closed = false;
    let mut prev_sep = false;
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                if !out.push(b - b'0') {
                    return None;
                }
                prev_sep = false;
            }
            b'+' if i == 0 => {}
            b'(' if open_at.is_none() && !closed => open_at = Some(out.len),
            b')' if !closed => {
                let at = open_at?;
                if out.len != at + 3 {
                    return None;
                }
                closed = true;
            }
            b'-' | b'.' | b' ' if !prev_sep && i > 0 => prev_sep = true,
            _ => return None,
        }
    }
    if open_at.is_some() != closed || prev_sep {
        return None;
    }
    let country = out.len == 11;
    if s.first() == Some(&b'+') && !country {
        return None;
    }
    // The parenthesized digits must be the area code.
    if let Some(at) = open_at {
        if at != usize::from(country) {
            return None;
        }
    }
    Some(out)
}

/// NANP telephone number: 10 digits, or 11 with a leading country code 1.
/// Area code NXX: first digit 2–9, not N11 (service codes), second digit
/// not 9 (reserved for expansion), not 37X or 96X (reserved by NANPA for
/// unforeseen uses). Exchange NXX: first digit 2–9, not N11. The numbers
/// 555-0100 to 555-0199 are set aside for fiction (films, examples) and are
/// invalid.
pub(super) fn phone(s: &[u8]) -> bool {
    let Some(d) = phone_digits(s) else {
        return false;
    };
    let start = match d.len {
        10 => 0,
        11 if d.buf[0] == 1 => 1,
        _ => return false,
    };
    let area = d.number(start, start + 3);
    let exchange = d.number(start + 3, start + 6);
    let line = d.number(start + 6, start + 10);
    let nxx_ok = |n: u32| n >= 200 && n % 100 != 11;
    nxx_ok(area)
        && (area / 10) % 10 != 9
        && !matches!(area / 10, 37 | 96)
        && nxx_ok(exchange)
        && !(exchange == 555 && (100..=199).contains(&line))
}

/// The characters RFC 5322 allows in a dot-atom, besides letters and digits.
const ATEXT: &[u8] = b"!#$%&'*+/=?^_`{|}~-";

/// Email address: `local@domain`. The local part is a dot-atom of at most 64
/// bytes (letters, digits, ``!#$%&'*+/=?^_`{|}~-``, dots not first, last
/// or doubled); the domain has at least two labels of letters, digits and
/// inner hyphens (at most 63 bytes each, 253 in all), the last one (the TLD)
/// of 2 or more letters. Quoted local parts and address literals
/// (`user@[10.0.0.1]`) are not accepted, nor are punycode TLDs.
pub(super) fn email(s: &[u8]) -> bool {
    let Some(at) = s.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    local_ok(local) && domain_ok(domain)
}

fn local_ok(local: &[u8]) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local.split(|&b| b == b'.').all(|atom| {
            !atom.is_empty()
                && atom
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(b))
        })
}

fn domain_ok(domain: &[u8]) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&b| b == b'.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-');
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

/// IP address: an IPv4 dotted quad as `std::net` parses it (octets 0–255
/// without leading zeros, since `010` means 8 to some parsers and 10 to
/// others) or an IPv6 address, optionally in brackets (`[::1]`). Special
/// addresses (loopback, private, unspecified) are valid: whether they
/// identify anyone is for context to decide.
pub(super) fn ip(s: &str) -> bool {
    if let Some(v4) = ipv4(s.as_bytes()) {
        return v4;
    }
    let inner = s.strip_prefix('[').and_then(|x| x.strip_suffix(']'));
    match inner {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => s.parse::<std::net::IpAddr>().is_ok(),
    }
}

/// Dotted-quad IPv4 as the standard library reads it (four numbers up to
/// 255, no leading zeros), without its general parser: None when `s` is
/// not digits and dots at all.
fn ipv4(s: &[u8]) -> Option<bool> {
    let (mut parts, mut n, mut len, mut lead_zero) = (0, 0u32, 0, false);
    let mut ok = true;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                lead_zero |= len == 1 && n == 0;
                n = n * 10 + u32::from(b - b'0');
                len += 1;
                ok &= len <= 3 && n <= 255 && !lead_zero;
            }
            b'.' => {
                ok &= len > 0;
                parts += 1;
                (n, len, lead_zero) = (0, 0, false);
            }
            _ => return None,
        }
    }
    Some(ok && len > 0 && parts == 3 && !s.is_empty())
}

/// US ZIP code: 5 digits or ZIP+4 (`12345-6789`, `12345 6789` or 9 bare
/// digits). The 3-digit prefix 000 is not used by USPS (so `00000` and
/// its kin are invalid); `00501` (Holtsville, NY) is a real ZIP.
pub(super) fn zip(s: &[u8]) -> bool {
    let d = if s.len() == 5 {
        grouped(s, &[5], b"")
    } else {
        grouped(s, &[5, 4], b"- ")
    };
    d.is_some_and(|d| d.number(0, 3) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_shapes() {
        assert!(phone(b"(212) 456-7890"));
        assert!(phone(b"+1 212-456-7890"));
        assert!(phone(b"1-212-456-7890"));
        assert!(phone(b"212.456.7890"));
        assert!(phone(b"2124567890"));
        assert!(phone(b"+1 (212) 456-7890"));
        assert!(!phone(b"(2124) 56-7890"));
        assert!(!phone(b"212--456-7890"));
        assert!(!phone(b"+212-456-7890"));
        assert!(!phone(b"2-12-456-7890-"));
        assert!(!phone(b"(212 456-7890"));
    }

    #[test]
    fn phone_rules() {
        assert!(!phone(b"112-456-7890"));
        assert!(!phone(b"411-456-7890"));
        assert!(!phone(b"292-456-7890"));
        assert!(!phone(b"372-456-7890"));
        assert!(!phone(b"212-156-7890"));
        assert!(!phone(b"212-911-7890"));
        assert!(!phone(b"212-555-0123"));
        assert!(phone(b"212-555-0200"));
        assert!(!phone(b"2-212-456-7890"));
    }

    #[test]
    fn email_rules() {
        assert!(email(b"jane.doe+tag@example-clinic.org"));
        assert!(!email(b"jane..doe@example.org"));
        assert!(!email(b".jane@example.org"));
        assert!(!email(b"jane@example"));
        assert!(!email(b"jane@example.c"));
        assert!(!email(b"jane@example.c0m"));
        assert!(!email(b"jane@-example.org"));
        assert!(!email(b"@example.org"));
    }

    #[test]
    fn ip_and_zip() {
        assert!(ip("192.0.2.1"));
        assert!(ip("2001:db8::1"));
        assert!(ip("[2001:db8::1]"));
        assert!(!ip("192.0.2.01"));
        assert!(!ip("256.0.0.1"));
        assert!(!ip("[192.0.2.1]"));
        for t in [
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "00.1.2.3",
            "1.2.3.256",
            "1234.1.1.1",
            ".",
        ] {
            assert_eq!(ip(t), t.parse::<std::net::Ipv4Addr>().is_ok(), "{t}");
        }
        assert!(zip(b"02115"));
        assert!(zip(b"02115-1234"));
        assert!(!zip(b"00000"));
        assert!(!zip(b"0211"));
        assert!(!zip(b"02115-123"));
    }
}
