//! Query names: the registered (base) domain, the subdomain part, its
//! features, and a stable hash for counting distinct subdomains.

use phiwatch_event::ValueRef;

use crate::stats::entropy;

/// Second-level labels that act as public suffixes under a two-letter TLD
/// (`example.co.uk`, `example.com.au`).
const SECOND_LEVELS: &[&str] = &["ac", "co", "com", "edu", "gov", "net", "org"];

/// A query name split into its registered domain and the labels below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The registered domain: the last two labels, or three under a
    /// public second level (`co.uk`).
    pub base: &'a str,
    /// The rest (empty when the name is the base domain itself).
    pub sub: &'a str,
}

/// Splits a normalized (lower-case, no trailing dot) name.
pub(crate) fn split(name: &str) -> Split<'_> {
    let whole = Split {
        base: name,
        sub: "",
    };
    let mut dots = name.rmatch_indices('.').map(|(i, _)| i);
    let (Some(d1), Some(d2)) = (dots.next(), dots.next()) else {
        return whole;
    };
    let tld = &name[d1 + 1..];
    let sld = &name[d2 + 1..d1];
    let cut = if tld.len() == 2 && SECOND_LEVELS.contains(&sld) {
        match dots.next() {
            Some(d3) => d3,
            None => return whole,
        }
    } else {
        d2
    };
    Split {
        base: &name[cut + 1..],
        sub: &name[..cut],
    }
}

/// Lower-cases a name and drops surrounding dots and whitespace; None when
/// nothing is left.
pub(crate) fn normalize(name: &str) -> Option<String> {
    let mut out = String::new();
    normalize_into(name, &mut out).then_some(out)
}

/// [`normalize`] into `out` (cleared first); whether anything is left.
pub(crate) fn normalize_into(name: &str, out: &mut String) -> bool {
    out.clear();
    let n = name.trim().trim_matches('.');
    out.push_str(n);
    out.make_ascii_lowercase();
    !n.is_empty()
}

/// What one query contributes to a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Facts {
    /// Bytes of the whole query name.
    pub name_bytes: u64,
    /// Bytes of the subdomain part (0 when none).
    pub sub_len: u64,
    /// Shannon entropy of the subdomain part, bits per byte.
    pub entropy: f64,
    /// Longest label of the subdomain part.
    pub max_label: u64,
    /// A TXT or NULL query.
    pub txt: bool,
    /// Stable hash of the subdomain part (None when there is none).
    pub hash: Option<u64>,
}

impl Facts {
    /// The features of `name` (normalized), given its split and query type.
    pub(crate) fn of(name: &str, parts: Split<'_>, txt: bool) -> Facts {
        let sub = parts.sub.as_bytes();
        Facts {
            name_bytes: name.len() as u64,
            sub_len: sub.len() as u64,
            entropy: entropy(sub),
            max_label: parts.sub.split('.').map(str::len).max().unwrap_or(0) as u64,
            txt,
            hash: (!sub.is_empty()).then(|| hash(sub)),
        }
    }
}

/// Whether a query type is TXT or NULL (by name or number).
pub(crate) fn is_txt(qtype: Option<ValueRef<'_>>) -> bool {
    match qtype {
        Some(ValueRef::Str(s)) => {
            s.eq_ignore_ascii_case("TXT")
                || s.eq_ignore_ascii_case("NULL")
                || s == "16"
                || s == "10"
        }
        Some(ValueRef::Int(16 | 10)) => true,
        _ => false,
    }
}

/// FNV-1a with a murmur3 finalizer: stable across runs and platforms (a
/// saved state's hashes stay valid), with well-mixed low bits (used for
/// sampling).
pub(crate) fn hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, base: &str, sub: &str) {
        assert_eq!(split(name), Split { base, sub }, "{name}");
    }

    #[test]
    fn splits_base_domains() {
        check("a.b.example.com", "example.com", "a.b");
        check("example.com", "example.com", "");
        check("localhost", "localhost", "");
        check("www.nhs.co.uk", "nhs.co.uk", "www");
        check("co.uk", "co.uk", "");
        check("x.co.uk", "x.co.uk", "");
        check("a.b.example.com.au", "example.com.au", "a.b");
        // Not a public second level, or not a two-letter TLD.
        check("img1.cdn.example.de", "example.de", "img1.cdn");
        check("a.co.example", "co.example", "a");
        check("q.0.t.exfil-tunnel.test", "exfil-tunnel.test", "q.0.t");
    }

    #[test]
    fn features_of_a_query() {
        let n = normalize(" ABCD.efgh.Example.COM. ").unwrap();
        assert_eq!(n, "abcd.efgh.example.com");
        let f = Facts::of(&n, split(&n), false);
        assert_eq!(f.name_bytes, 21);
        assert_eq!(f.sub_len, 9);
        assert_eq!(f.max_label, 4);
        assert!((f.entropy - entropy(b"abcd.efgh")).abs() < 1e-12);
        assert_eq!(f.hash, Some(hash(b"abcd.efgh")));
        assert_eq!(
            Facts::of("example.com", split("example.com"), true).hash,
            None
        );
        assert_eq!(normalize(" . "), None);
    }

    #[test]
    fn txt_and_null_by_name_or_number() {
        assert!(is_txt(Some(ValueRef::Str("TXT"))));
        assert!(is_txt(Some(ValueRef::Str("null"))));
        assert!(is_txt(Some(ValueRef::Int(16))));
        assert!(!is_txt(Some(ValueRef::Str("A"))));
        assert!(!is_txt(Some(ValueRef::Int(1))));
        assert!(!is_txt(None));
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(hash(b"abc"), hash(b"abc"));
        assert_ne!(hash(b"abc"), hash(b"abd"));
        // Fixed values: saved states depend on them.
        assert_eq!(hash(b""), 0xefd0_1f60_ba99_2926);
        assert_eq!(hash(b"abc"), 0x33eb_af99_27cb_c5bd);
    }
}
