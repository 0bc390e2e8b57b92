//! String values as token patterns, and the transformation modifiers
//! (`expand`, `windash`, the UTF-16 encodings, `base64`, `base64offset`)
//! applied to them in rule order.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsigma_parser::{Modifier, SigmaString, SpecialChar, StringPart};

use super::text::{fold_str, Anchor, Glob, Item, DASHES};
use super::{CompileContext, MatcherError};

/// Most variants one value may expand to (`expand` products, `windash`).
const MAX_VARIANTS: usize = 4096;
/// `windash` positions expanded into literal variants (5^3 = 125); more
/// become a dash class in a glob.
const MAX_WINDASH_EXPANDED: u32 = 3;

/// One token of a string pattern.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// Literal bytes.
    Lit(Vec<u8>),
    /// `?`: one character.
    One,
    /// `*`: any run of characters.
    Many,
    /// Any of the `windash` characters.
    Dash,
}

/// A string pattern after transformations.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pat {
    /// Tokens in order.
    pub toks: Vec<Tok>,
    /// Compared case-sensitively (`cased`, or base64 output).
    pub cased: bool,
    /// Literals are encoded bytes (UTF-16), compared byte-wise.
    pub binary: bool,
}

impl Pat {
    /// A pattern from a parsed Sigma string (wildcards kept).
    pub(crate) fn from_sigma(s: &SigmaString) -> Pat {
        Pat {
            toks: parts_to_toks(&s.parts),
            cased: false,
            binary: false,
        }
    }

    /// Applies the string operator: `*` around (contains), after
    /// (startswith) or before (endswith) the value.
    pub(crate) fn anchor(mut self, anchor: Anchor) -> Pat {
        if matches!(anchor, Anchor::Suffix | Anchor::Contains) {
            self.toks.insert(0, Tok::Many);
        }
        if matches!(anchor, Anchor::Prefix | Anchor::Contains) {
            self.toks.push(Tok::Many);
        }
        self.normalize();
        self
    }

    /// Merges adjacent literals, drops empty ones, collapses `**`.
    fn normalize(&mut self) {
        let mut out: Vec<Tok> = Vec::with_capacity(self.toks.len());
        for t in self.toks.drain(..) {
            match (out.last_mut(), t) {
                (_, Tok::Lit(l)) if l.is_empty() => {}
                (Some(Tok::Lit(a)), Tok::Lit(b)) => a.extend_from_slice(&b),
                (Some(Tok::Many), Tok::Many) => {}
                (_, t) => out.push(t),
            }
        }
        self.toks = out;
    }
}

fn parts_to_toks(parts: &[StringPart]) -> Vec<Tok> {
    parts
        .iter()
        .map(|p| match p {
            StringPart::Plain(s) => Tok::Lit(s.as_bytes().to_vec()),
            StringPart::Special(SpecialChar::WildcardMulti) => Tok::Many,
            StringPart::Special(SpecialChar::WildcardSingle) => Tok::One,
        })
        .collect()
}

/// Applies the transformation modifiers of `mods` (in order) to one string
/// value: its variants, OR-ed. An empty result never matches.
pub(crate) fn transform(
    s: &SigmaString,
    mods: &[Modifier],
    cx: &mut CompileContext<'_>,
) -> Result<Vec<Pat>, MatcherError> {
    let mut pats = if mods.contains(&Modifier::Expand) {
        expand(s, cx)?
    } else {
        vec![Pat::from_sigma(s)]
    };
    for m in mods {
        let mut next = Vec::with_capacity(pats.len());
        for p in pats {
            match m {
                Modifier::WindAsh => next.extend(windash(p)?),
                Modifier::Wide => next.push(utf16(p, false, false)?),
                Modifier::Utf16be => next.push(utf16(p, true, false)?),
                Modifier::Utf16 => next.push(utf16(p, false, true)?),
                Modifier::Base64 => next.push(base64(p)?),
                Modifier::Base64Offset => next.extend(base64offset(p)?),
                _ => next.push(p),
            }
        }
        if next.len() > MAX_VARIANTS {
            return Err(MatcherError(format!(
                "'{}' expands to more than {MAX_VARIANTS} variants",
                s.original
            )));
        }
        pats = next;
    }
    for p in &mut pats {
        p.normalize();
    }
    Ok(pats)
}

/// `expand`: `%name%` placeholders replaced by their configured values
/// (each parsed as a Sigma string, so wildcards work); `\%` is a plain `%`.
fn expand(s: &SigmaString, cx: &mut CompileContext<'_>) -> Result<Vec<Pat>, MatcherError> {
    let mut alts: Vec<Vec<Tok>> = vec![Vec::new()];
    for part in &s.parts {
        let StringPart::Plain(text) = part else {
            let tok = parts_to_toks(std::slice::from_ref(part));
            alts.iter_mut().for_each(|a| a.extend(tok.iter().cloned()));
            continue;
        };
        for piece in split_placeholders(text) {
            match piece {
                Piece::Text(t) => alts
                    .iter_mut()
                    .for_each(|a| a.push(Tok::Lit(t.as_bytes().to_vec()))),
                Piece::Name(name) => {
                    let Some(values) = (cx.placeholders)(&name) else {
                        cx.warnings.push(format!(
                            "expand: unknown placeholder %{name}%; the value '{}' never matches",
                            s.original
                        ));
                        return Ok(Vec::new());
                    };
                    if alts.len() * values.len() > MAX_VARIANTS {
                        return Err(MatcherError(format!(
                            "expand: '{}' expands to more than {MAX_VARIANTS} values",
                            s.original
                        )));
                    }
                    let mut next = Vec::with_capacity(alts.len() * values.len());
                    for a in &alts {
                        for v in &values {
                            let mut b = a.clone();
                            b.extend(parts_to_toks(&SigmaString::new(v).parts));
                            next.push(b);
                        }
                    }
                    alts = next;
                }
            }
        }
    }
    Ok(alts
        .into_iter()
        .map(|toks| Pat {
            toks,
            cased: false,
            binary: false,
        })
        .collect())
}

enum Piece {
    Text(String),
    Name(String),
}

fn split_placeholders(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'%') {
            cur.push('%');
            chars.next();
        } else if c == '%' {
            let rest: String = chars.clone().collect();
            match rest.find('%') {
                Some(end) if end > 0 => {
                    out.push(Piece::Text(std::mem::take(&mut cur)));
                    out.push(Piece::Name(rest[..end].to_string()));
                    for _ in 0..rest[..=end].chars().count() {
                        chars.next();
                    }
                }
                _ => cur.push('%'),
            }
        } else {
            cur.push(c);
        }
    }
    out.push(Piece::Text(cur));
    out
}

/// `windash` as pySigma does it: a `-` or `/` that starts a word (not
/// preceded by a word character, followed by one) may be any of
/// [`DASHES`]. Few positions expand into variants; many become a class.
fn windash(p: Pat) -> Result<Vec<Pat>, MatcherError> {
    if p.binary {
        return Err(MatcherError(
            "windash must come before an encoding modifier".into(),
        ));
    }
    // Split literals at dash positions.
    let mut toks: Vec<Tok> = Vec::new();
    let mut dashes = 0u32;
    for t in p.toks {
        let Tok::Lit(bytes) = t else {
            toks.push(t);
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let chars: Vec<char> = text.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let before = i == 0 || !is_word(chars[i - 1]);
            let after = chars.get(i + 1).is_some_and(|&n| is_word(n));
            if (c == '-' || c == '/') && before && after {
                toks.push(Tok::Lit(std::mem::take(&mut cur).into_bytes()));
                toks.push(Tok::Dash);
                dashes += 1;
            } else {
                cur.push(c);
            }
        }
        toks.push(Tok::Lit(cur.into_bytes()));
    }
    let base = Pat { toks, ..p };
    if dashes > MAX_WINDASH_EXPANDED {
        return Ok(vec![base]);
    }
    let mut out = vec![base];
    for _ in 0..dashes {
        let mut next = Vec::with_capacity(out.len() * DASHES.len());
        for pat in &out {
            let at = pat.toks.iter().position(|t| *t == Tok::Dash);
            let Some(at) = at else { continue };
            for d in DASHES {
                let mut q = pat.clone();
                q.toks[at] = Tok::Lit(d.to_string().into_bytes());
                next.push(q);
            }
        }
        out = next;
    }
    Ok(out)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// UTF-16 encodings of the literal parts (`be`: big-endian; `bom`: a
/// little-endian byte-order mark first). Wildcards stay wildcards.
fn utf16(p: Pat, be: bool, bom: bool) -> Result<Pat, MatcherError> {
    if p.binary {
        return Err(MatcherError("only one UTF-16 encoding may apply".into()));
    }
    let mut toks = Vec::with_capacity(p.toks.len() + 1);
    if bom {
        toks.push(Tok::Lit(vec![0xFF, 0xFE]));
    }
    for t in p.toks {
        toks.push(match t {
            Tok::Lit(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut out = Vec::with_capacity(bytes.len() * 2);
                for u in text.encode_utf16() {
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
                Tok::Lit(out)
            }
            Tok::Dash => {
                return Err(MatcherError(
                    "windash with more than 3 dashes cannot be encoded".into(),
                ))
            }
            t => t,
        });
    }
    Ok(Pat {
        toks,
        cased: p.cased,
        binary: true,
    })
}

/// The value's bytes, when it has no wildcards.
fn plain_bytes(p: &Pat, modifier: &str) -> Result<Vec<u8>, MatcherError> {
    let mut out = Vec::new();
    for t in &p.toks {
        match t {
            Tok::Lit(b) => out.extend_from_slice(b),
            _ => {
                return Err(MatcherError(format!(
                    "{modifier}: values with wildcards (or windash classes) cannot be encoded"
                )))
            }
        }
    }
    Ok(out)
}

/// `base64`: the encoded value, compared case-sensitively.
fn base64(p: Pat) -> Result<Pat, MatcherError> {
    let bytes = plain_bytes(&p, "base64")?;
    Ok(Pat {
        toks: vec![Tok::Lit(STANDARD.encode(bytes).into_bytes())],
        cased: true,
        binary: false,
    })
}

/// `base64offset`: the three encodings of the value shifted by 0, 1 and 2
/// bytes, with the characters that depend on neighbouring bytes trimmed
/// (pySigma's start offsets 0, 2, 3 and end trims none, 3, 2).
pub(crate) fn base64offset(p: Pat) -> Result<Vec<Pat>, MatcherError> {
    let bytes = plain_bytes(&p, "base64offset")?;
    if bytes.is_empty() {
        return Err(MatcherError("base64offset: empty value".into()));
    }
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for (i, &start) in START.iter().enumerate() {
        let mut shifted = vec![b' '; i];
        shifted.extend_from_slice(&bytes);
        let enc = STANDARD.encode(&shifted);
        let end = enc.len() - END_TRIM[(bytes.len() + i) % 3];
        if start < end {
            out.push(Pat {
                toks: vec![Tok::Lit(enc.as_bytes()[start..end].to_vec())],
                cased: true,
                binary: false,
            });
        }
    }
    Ok(out)
}

/// How a pattern is matched.
pub(crate) enum Shape {
    /// One literal under an anchor: goes into a literal set (`ci`: ASCII-
    /// case-insensitive).
    Lit {
        bytes: Vec<u8>,
        anchor: Anchor,
        ci: bool,
    },
    /// Anything else.
    Glob(Glob),
}

/// Chooses the matching strategy for a normalized pattern.
pub(crate) fn shape(p: &Pat) -> Shape {
    let ci = !p.cased;
    let toks = &p.toks[..];
    let lead = toks.first() == Some(&Tok::Many);
    let trail = toks.len() > usize::from(lead) && toks.last() == Some(&Tok::Many);
    let core = &toks[usize::from(lead)..toks.len() - usize::from(trail)];
    let start = !lead;
    let end = !(trail || lead && toks.len() == 1);
    let anchor = match (start, end) {
        (true, true) => Anchor::Exact,
        (true, false) => Anchor::Prefix,
        (false, true) => Anchor::Suffix,
        (false, false) => Anchor::Contains,
    };
    let single = match core {
        [] => Some(Vec::new()),
        [Tok::Lit(b)] => Some(b.clone()),
        _ => None,
    };
    if let Some(bytes) = single {
        if !ci || p.binary || bytewise(&bytes) {
            return Shape::Lit { bytes, anchor, ci };
        }
    }
    let mut segs: Vec<Vec<Item>> = vec![Vec::new()];
    for t in core {
        let item = match t {
            Tok::Many => {
                segs.push(Vec::new());
                continue;
            }
            Tok::One => Item::One,
            Tok::Dash => Item::Dash,
            Tok::Lit(b) if ci && !p.binary && !bytewise(b) => {
                Item::Folded(fold_str(&String::from_utf8_lossy(b)).into())
            }
            Tok::Lit(b) => Item::Bytes(b.clone().into()),
        };
        if let Some(seg) = segs.last_mut() {
            seg.push(item);
        }
    }
    segs.retain(|s| !s.is_empty());
    Shape::Glob(Glob::new(ci, start, end, segs))
}

/// Whether case-insensitive text can be compared byte-wise: every
/// character is ASCII or has no case (dashes, symbols, CJK).
fn bytewise(b: &[u8]) -> bool {
    b.is_ascii()
        || String::from_utf8_lossy(b)
            .chars()
            .all(|c| c.is_ascii() || caseless(c))
}

fn caseless(c: char) -> bool {
    !c.is_alphabetic() && c.to_lowercase().eq([c]) && c.to_uppercase().eq([c])
}

/// The best prefilter needle of a pattern: its longest literal run that
/// every match contains (ASCII-lowercased). For case-insensitive text only
/// ASCII runs count, since a non-ASCII letter may appear in another case.
pub(crate) fn pattern_needle(p: &Pat) -> Option<Vec<u8>> {
    let mut best: Option<Vec<u8>> = None;
    let mut consider = |run: &[u8]| {
        if best.as_ref().is_none_or(|b| run.len() > b.len()) {
            best = Some(run.to_ascii_lowercase());
        }
    };
    for t in &p.toks {
        if let Tok::Lit(b) = t {
            if p.cased || p.binary || bytewise(b) {
                consider(b);
            } else {
                let text = String::from_utf8_lossy(b);
                text.split(|c: char| !c.is_ascii() && !caseless(c))
                    .for_each(|run| consider(run.as_bytes()));
            }
        }
    }
    best
}
