//! Prefilter needles of compiled values, and regex building (whose needles
//! come from the regex's required literals).

use regex_syntax::hir::literal::{ExtractKind, Extractor};

use super::pattern::pattern_needle;
use super::{Alt, MatcherError};

/// Shortest useful needle.
const MIN_NEEDLE: usize = 3;

/// Needles of OR-ed alternatives: one per alternative, `None` when one
/// alternative has none (or null matches).
pub(crate) fn of(alts: &[Alt]) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for alt in alts {
        match alt {
            Alt::Pat(p) => out.push(usable(pattern_needle(p)?)?),
            Alt::Regex(_, src) => {
                for n in regex_needles(src)? {
                    out.push(usable(n)?);
                }
            }
            Alt::Test(_) | Alt::Null => return None,
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The best needle set of AND-ed groups: any one group's set will do; the
/// one whose shortest needle is longest, then the smallest.
pub(crate) fn best(sets: impl Iterator<Item = Option<Vec<Vec<u8>>>>) -> Option<Vec<Vec<u8>>> {
    sets.flatten().filter(|s| !s.is_empty()).max_by_key(|s| {
        let min = s.iter().map(Vec::len).min().unwrap_or(0);
        (min.min(16), std::cmp::Reverse(s.len()))
    })
}

/// A needle, unless too short or possibly the text of a non-string value
/// (a number, address, time or boolean, which the event may not hold as
/// text).
fn usable(n: Vec<u8>) -> Option<Vec<u8>> {
    if n.len() < MIN_NEEDLE {
        return None;
    }
    let valueish = n.iter().all(
        |b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'.' | b':' | b'+' | b'-' | b't' | b'z' | b' '),
    );
    let boolish = |w: &[u8]| w.windows(n.len()).any(|x| x == &n[..]);
    if valueish || boolish(b"true") || boolish(b"false") {
        return None;
    }
    Some(n)
}

/// The regex's required literals (every match starts with, or ends with,
/// one of them), ASCII-lowercased.
fn regex_needles(src: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(src).ok()?;
    let mut best: Option<Vec<Vec<u8>>> = None;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_class(4).limit_total(4096);
        let seq = ex.extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        if lits.is_empty() {
            continue;
        }
        let mut set: Vec<Vec<u8>> = lits
            .iter()
            .map(|l| l.as_bytes().to_ascii_lowercase())
            .collect();
        set.sort_unstable();
        set.dedup();
        let min = set.iter().map(Vec::len).min().unwrap_or(0);
        if min < MIN_NEEDLE {
            continue;
        }
        let better = best.as_ref().is_none_or(|b| {
            let bmin = b.iter().map(Vec::len).min().unwrap_or(0);
            (min.min(16), std::cmp::Reverse(set.len())) > (bmin.min(16), std::cmp::Reverse(b.len()))
        });
        if better {
            best = Some(set);
        }
    }
    best
}

/// Compiles a Sigma regex with its flags (`i`, `m`, `s`): the regex and
/// its source with the flags inlined. PCRE constructs the `regex` crate
/// lacks are reported by name.
pub(crate) fn build_regex(src: &str, flags: &str) -> Result<(regex::Regex, String), MatcherError> {
    unsupported(src)?;
    let mut flagged = String::with_capacity(src.len() + 6);
    if !flags.is_empty() {
        let mut fs: Vec<char> = flags.chars().collect();
        fs.sort_unstable();
        fs.dedup();
        flagged.push_str("(?");
        flagged.extend(fs);
        flagged.push(')');
    }
    flagged.push_str(src);
    let re = regex::RegexBuilder::new(&flagged)
        .size_limit(16 << 20)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let reason = msg
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or(msg.as_str())
                .to_string();
            MatcherError(format!("re: {reason} in '{src}'"))
        })?;
    Ok((re, flagged))
}

/// Rejects look-around, atomic groups and back-references with a clear
/// reason.
fn unsupported(src: &str) -> Result<(), MatcherError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let rest = &b[i..];
        let found = match rest {
            [b'\\', d, ..] if !in_class && d.is_ascii_digit() && *d != b'0' => {
                Some("back-reference")
            }
            [b'\\', b'k', b'<' | b'{' | b'\'', ..] if !in_class => Some("back-reference"),
            [b'\\', ..] => {
                i += 2;
                continue;
            }
            [b'[', ..] if !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is literal.
                i += match rest {
                    [b'[', b'^', b']', ..] => 3,
                    [b'[', b']', ..] => 2,
                    _ => 1,
                };
                continue;
            }
            [b']', ..] if in_class => {
                in_class = false;
                None
            }
            _ if in_class => None,
            [b'(', b'?', b'=' | b'!', ..] => Some("look-ahead"),
            [b'(', b'?', b'<', b'=' | b'!', ..] => Some("look-behind"),
            [b'(', b'?', b'>', ..] => Some("atomic group"),
            [b'*' | b'+' | b'?' | b'}', b'+', ..] if i > 0 => Some("possessive quantifier"),
            _ => None,
        };
        if let Some(what) = found {
            return Err(MatcherError(format!(
                "re: unsupported {what} at offset {i} in '{src}'"
            )));
        }
        i += 1;
    }
    Ok(())
}
