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

/// A needle, unless too short. Needles that look like the text of a number,
/// address, time or boolean are fine: the prefilter scans the text form of
/// every value (`plan::event_text`), the same form matchers compare.
fn usable(n: Vec<u8>) -> Option<Vec<u8>> {
    if n.len() < MIN_NEEDLE {
        return None;
    }
    Some(n)
}

/// The regex's required literals: its prefix or suffix literals, or a
/// literal every match must contain somewhere inside (`.*werfault\.exe\s`),
/// whichever set is best; ASCII-lowercased.
fn regex_needles(src: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(src).ok()?;
    let inner = inner(&hir).filter(|s| s.iter().all(|n| n.len() >= MIN_NEEDLE));
    best([affix_needles(src), inner].into_iter())
}

/// A literal character of a class: `[aA]` or a one-character class.
fn class_char(c: &regex_syntax::hir::Class) -> Option<u8> {
    use regex_syntax::hir::Class;
    let mut chars: Vec<u32> = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                if (r.end() as u32) - (r.start() as u32) > 2 {
                    return None;
                }
                chars.extend(r.start() as u32..=r.end() as u32);
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                if r.end() - r.start() > 2 {
                    return None;
                }
                chars.extend(u32::from(r.start())..=u32::from(r.end()));
            }
        }
    }
    let first = *chars.first()?;
    let lower = |c: u32| {
        u8::try_from(c)
            .ok()
            .filter(u8::is_ascii)
            .map(|b| b.to_ascii_lowercase())
    };
    let l = lower(first)?;
    // Case variants of one ASCII letter only (non-ASCII case partners, like
    // the Kelvin sign, would make the lowercase needle miss).
    chars
        .iter()
        .all(|&c| lower(c) == Some(l))
        .then_some(l)
        .filter(|_| chars.len() <= 2)
}

/// Literals one of which every match of `h` contains; `None` when unknown.
fn inner(h: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Literal(l) => Some(vec![l.0.to_ascii_lowercase()]),
        HirKind::Class(c) => class_char(c).map(|b| vec![vec![b]]),
        HirKind::Capture(c) => inner(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => inner(&r.sub),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(inner(a)?);
            }
            out.sort_unstable();
            out.dedup();
            Some(out)
        }
        HirKind::Concat(parts) => {
            // Runs of single literals join into one needle; otherwise the
            // best part's set stands for the whole.
            let mut candidates: Vec<Vec<Vec<u8>>> = Vec::new();
            let mut run: Vec<u8> = Vec::new();
            for p in parts {
                let single = match p.kind() {
                    HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
                    HirKind::Class(c) => class_char(c).map(|b| vec![b]),
                    _ => None,
                };
                match single {
                    Some(bytes) => run.extend(bytes),
                    None => {
                        if !run.is_empty() {
                            candidates.push(vec![std::mem::take(&mut run)]);
                        }
                        if let Some(set) = inner(p) {
                            candidates.push(set);
                        }
                    }
                }
            }
            if !run.is_empty() {
                candidates.push(vec![run]);
            }
            best(candidates.into_iter().map(Some))
        }
        _ => None,
    }
}

/// The regex's required literals (every match starts with, or ends with,
/// one of them), ASCII-lowercased.
fn affix_needles(src: &str) -> Option<Vec<Vec<u8>>> {
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
