//! String matching without allocation: sets of literals (exact, prefix,
//! suffix, substring) behind tries and Aho-Corasick, and wildcard globs.
//!
//! Case-insensitive matching folds each character with [`fold`]: ASCII
//! letters by ASCII rules, other characters by their simple lowercase
//! mapping, except that a non-ASCII character never folds to an ASCII one
//! (the Kelvin sign stays itself). So an ASCII pattern byte only ever meets
//! an ASCII haystack byte, which lets ASCII patterns be compared byte-wise
//! and keeps the ASCII-case-insensitive prefilter exact.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::memmem;

/// Folds one character for case-insensitive comparison.
pub(crate) fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) if !l.is_ascii() => l,
        _ => c,
    }
}

/// Folds a whole string with [`fold`].
pub(crate) fn fold_str(s: &str) -> String {
    s.chars().map(fold).collect()
}

/// How a literal must sit in the haystack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The whole haystack.
    Exact,
    /// At its start.
    Prefix,
    /// At its end.
    Suffix,
    /// Anywhere.
    Contains,
}

const EXACT: u8 = 1;
const PREFIX: u8 = 2;

/// A byte trie walked from one end of the haystack.
#[derive(Debug, Default)]
struct Trie {
    flags: Vec<u8>,
    edges: Vec<Vec<(u8, u32)>>,
}

impl Trie {
    fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    fn insert(&mut self, bytes: impl Iterator<Item = u8>, flag: u8) {
        if self.flags.is_empty() {
            self.flags.push(0);
            self.edges.push(Vec::new());
        }
        let mut node = 0usize;
        for b in bytes {
            let next = match self.edges[node].binary_search_by_key(&b, |e| e.0) {
                Ok(i) => self.edges[node][i].1 as usize,
                Err(i) => {
                    let id = self.flags.len();
                    self.flags.push(0);
                    self.edges.push(Vec::new());
                    self.edges[node].insert(i, (b, id as u32));
                    id
                }
            };
            node = next;
        }
        self.flags[node] |= flag;
    }

    /// Whether a `PREFIX` entry is a prefix of `bytes`, or an `EXACT` entry
    /// equals it.
    fn walk(&self, mut bytes: impl ExactSizeIterator<Item = u8>, ci: bool) -> bool {
        if self.flags.is_empty() {
            return false;
        }
        let mut node = 0usize;
        loop {
            let flags = self.flags[node];
            if flags & PREFIX != 0 {
                return true;
            }
            let Some(mut b) = bytes.next() else {
                return flags & EXACT != 0;
            };
            if ci {
                b = b.to_ascii_lowercase();
            }
            let edges = &self.edges[node];
            let found = if edges.len() <= 8 {
                edges.iter().find(|e| e.0 == b).map(|e| e.1)
            } else {
                edges
                    .binary_search_by_key(&b, |e| e.0)
                    .ok()
                    .map(|i| edges[i].1)
            };
            match found {
                Some(n) => node = n as usize,
                None => return false,
            }
        }
    }
}

/// A substring search for one needle.
#[derive(Debug)]
enum OneFinder {
    Cased(Box<memmem::Finder<'static>>),
    /// ASCII-case-insensitive: scan for the needle's rarest byte (both
    /// cases), then verify around it.
    Ci {
        needle: Box<[u8]>,
        at: usize,
    },
}

impl OneFinder {
    fn new(needle: &[u8], ci: bool) -> OneFinder {
        if !ci {
            return OneFinder::Cased(Box::new(memmem::Finder::new(needle).into_owned()));
        }
        let needle: Box<[u8]> = needle.to_ascii_lowercase().into();
        let mut at = 0;
        for (i, &b) in needle.iter().enumerate() {
            if rarity(b) > rarity(needle[at]) {
                at = i;
            }
        }
        OneFinder::Ci { needle, at }
    }

    fn find(&self, hay: &[u8]) -> bool {
        match self {
            OneFinder::Cased(f) => f.find(hay).is_some(),
            OneFinder::Ci { needle, at } => ci_contains(hay, needle, *at),
        }
    }
}

/// ASCII-case-insensitive substring test; `needle` is lowercase and
/// `needle[at]` is the byte to scan for.
fn ci_contains(hay: &[u8], needle: &[u8], at: usize) -> bool {
    let n = needle.len();
    if n == 0 {
        return true;
    }
    if hay.len() < n {
        return false;
    }
    let b = needle[at];
    let upper = b.to_ascii_uppercase();
    // Candidates for the anchor byte lie in hay[at .. hay.len() - (n - at) + 1].
    let window = &hay[at..hay.len() - (n - 1 - at)];
    let verify = |pos: usize| hay[pos - at..pos - at + n].eq_ignore_ascii_case(needle);
    if upper == b {
        memchr::memchr_iter(b, window).any(|p| verify(p + at))
    } else {
        memchr::memchr2_iter(b, upper, window).any(|p| verify(p + at))
    }
}

/// A rough rarity rank of a byte in log text (higher is rarer).
fn rarity(b: u8) -> u8 {
    match b.to_ascii_lowercase() {
        b' ' | b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 0,
        b'h' | b'l' | b'd' | b'c' | b'u' | b'm' | b'\\' | b'/' | b'.' | b'-' | b'_' => 1,
        b'0'..=b'9' | b'p' | b'g' | b'f' | b'w' | b'y' | b'b' | b'v' | b'=' | b':' => 2,
        b'a'..=b'z' => 3,
        0..=127 => 4,
        _ => 1,
    }
}

/// Literals OR-ed together, all compared the same way (ASCII-case-
/// insensitively, or exactly), each with its own anchoring.
#[derive(Debug)]
pub(crate) struct LitSet {
    ci: bool,
    any: bool,
    /// The lengths of the exact literals, when the set has no prefixes: a
    /// haystack of another length skips the forward trie.
    exact_lens: Option<Vec<usize>>,
    fwd: Trie,
    rev: Trie,
    contains: Option<Contains>,
}

#[derive(Debug)]
enum Contains {
    One(OneFinder),
    Many(AhoCorasick),
}

impl LitSet {
    /// Builds the set; `ci` compares ASCII letters case-insensitively
    /// (every other byte exactly).
    pub(crate) fn new(ci: bool, lits: &[(Vec<u8>, Anchor)]) -> Result<LitSet, String> {
        let mut set = LitSet {
            ci,
            any: false,
            exact_lens: None,
            fwd: Trie::default(),
            rev: Trie::default(),
            contains: None,
        };
        let fold = |b: &u8| if ci { b.to_ascii_lowercase() } else { *b };
        let mut subs: Vec<&[u8]> = Vec::new();
        for (lit, anchor) in lits {
            match anchor {
                Anchor::Exact => set.fwd.insert(lit.iter().map(fold), EXACT),
                Anchor::Prefix if lit.is_empty() => set.any = true,
                Anchor::Prefix => set.fwd.insert(lit.iter().map(fold), PREFIX),
                Anchor::Suffix if lit.is_empty() => set.any = true,
                Anchor::Suffix => set.rev.insert(lit.iter().rev().map(fold), PREFIX),
                Anchor::Contains if lit.is_empty() => set.any = true,
                Anchor::Contains => subs.push(lit),
            }
        }
        if lits.iter().all(|(_, a)| *a != Anchor::Prefix) {
            let mut lens: Vec<usize> = lits
                .iter()
                .filter(|(_, a)| *a == Anchor::Exact)
                .map(|(l, _)| l.len())
                .collect();
            lens.sort_unstable();
            lens.dedup();
            set.exact_lens = Some(lens);
        }
        subs.sort_unstable();
        subs.dedup();
        set.contains = match subs.as_slice() {
            [] => None,
            [one] => Some(Contains::One(OneFinder::new(one, ci))),
            many => Some(Contains::Many(
                AhoCorasick::builder()
                    .ascii_case_insensitive(ci)
                    .match_kind(MatchKind::Standard)
                    .kind((many.len() <= 256).then_some(AhoCorasickKind::DFA))
                    .build(many)
                    .map_err(|e| format!("cannot build a literal matcher: {e}"))?,
            )),
        };
        Ok(set)
    }

    /// Whether any literal of the set matches `hay`.
    pub(crate) fn matches(&self, hay: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let try_fwd = match &self.exact_lens {
            Some(lens) => lens.binary_search(&hay.len()).is_ok(),
            None => true,
        };
        if try_fwd && !self.fwd.is_empty() && self.fwd.walk(hay.iter().copied(), self.ci) {
            return true;
        }
        if !self.rev.is_empty() && self.rev.walk(hay.iter().rev().copied(), self.ci) {
            return true;
        }
        match &self.contains {
            None => false,
            Some(Contains::One(f)) => f.find(hay),
            Some(Contains::Many(ac)) => ac.is_match(hay),
        }
    }
}

/// One element of a glob segment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Item {
    /// Bytes compared exactly, or ASCII-case-insensitively when the glob is.
    Bytes(Box<[u8]>),
    /// Folded text compared character by character (non-ASCII, case-
    /// insensitive).
    Folded(Box<str>),
    /// Exactly one character (`?`).
    One,
    /// One of the Windows dash characters (`windash` left unexpanded).
    Dash,
}

/// The dash-like characters `windash` makes interchangeable.
pub(crate) const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// A wildcard pattern: segments separated by `*`.
#[derive(Debug)]
pub(crate) struct Glob {
    ci: bool,
    start: bool,
    end: bool,
    segs: Vec<Vec<Item>>,
}

impl Glob {
    /// A glob from its `*`-separated segments; `start`/`end` anchor the first
    /// and last segment to the haystack's ends.
    pub(crate) fn new(ci: bool, start: bool, end: bool, segs: Vec<Vec<Item>>) -> Glob {
        Glob {
            ci,
            start,
            end,
            segs,
        }
    }

    /// The same pattern as a regular expression (for the `regex` crate), with
    /// the same case rules: ASCII letters as `[aA]` classes when
    /// case-insensitive, folded non-ASCII characters as the class of the
    /// characters that fold to them. Several globs of one item are combined
    /// into one regex, which scans a value once instead of once per glob.
    pub(crate) fn regex_source(&self) -> String {
        let mut out = String::from("(?s:");
        if self.start {
            out.push_str("\\A");
        }
        for (i, seg) in self.segs.iter().enumerate() {
            if i > 0 {
                out.push_str(".*");
            }
            for item in seg {
                match item {
                    Item::Bytes(lit) => {
                        for c in String::from_utf8_lossy(lit).chars() {
                            push_char(&mut out, c, self.ci && c.is_ascii_alphabetic());
                        }
                    }
                    Item::Folded(lit) => {
                        for c in lit.chars() {
                            push_folded(&mut out, c);
                        }
                    }
                    Item::One => out.push('.'),
                    Item::Dash => out.push_str("[-/\\x{2013}\\x{2014}\\x{2015}]"),
                }
            }
        }
        if self.end {
            out.push_str("\\z");
        }
        out.push(')');
        out
    }

    /// Whether `hay` matches the whole pattern.
    pub(crate) fn matches(&self, hay: &str) -> bool {
        let n = self.segs.len();
        if n == 0 {
            return !self.start || !self.end || hay.is_empty();
        }
        let mut pos = 0usize;
        for (i, seg) in self.segs.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == n;
            if first && self.start {
                match self.seg_at(seg, hay, 0) {
                    Some(e) if !(last && self.end) || e == hay.len() => pos = e,
                    _ => return false,
                }
                continue;
            }
            if last && self.end {
                return self.ends_with(seg, hay, pos);
            }
            match self.find(seg, hay, pos) {
                Some(e) => pos = e,
                None => return false,
            }
        }
        true
    }

    /// The first occurrence of `seg` at or after `from`: its end.
    fn find(&self, seg: &[Item], hay: &str, from: usize) -> Option<usize> {
        let bytes = hay.as_bytes();
        if let Some(Item::Bytes(lit)) = seg.first() {
            if let Some(&b) = lit.first() {
                let rest = bytes.get(from..)?;
                let upper = b.to_ascii_uppercase();
                let lower = b.to_ascii_lowercase();
                return if self.ci && upper != lower {
                    memchr::memchr2_iter(lower, upper, rest)
                        .find_map(|p| self.seg_at(seg, hay, from + p))
                } else {
                    memchr::memchr_iter(b, rest).find_map(|p| self.seg_at(seg, hay, from + p))
                };
            }
        }
        (from..=bytes.len())
            .filter(|&p| p == bytes.len() || !is_continuation(bytes[p]))
            .find_map(|p| self.seg_at(seg, hay, p))
    }

    /// Whether `seg` matches a suffix of `hay` starting at or after `from`.
    fn ends_with(&self, seg: &[Item], hay: &str, from: usize) -> bool {
        let bytes = hay.as_bytes();
        if let Some(len) = byte_len(seg) {
            return bytes.len() >= len
                && bytes.len() - len >= from
                && self.seg_at(seg, hay, bytes.len() - len) == Some(bytes.len());
        }
        (from..=bytes.len())
            .filter(|&p| p == bytes.len() || !is_continuation(bytes[p]))
            .any(|p| self.seg_at(seg, hay, p) == Some(bytes.len()))
    }

    /// Matches `seg` at byte `at`: the end of the match.
    fn seg_at(&self, seg: &[Item], hay: &str, at: usize) -> Option<usize> {
        let bytes = hay.as_bytes();
        let mut p = at;
        for item in seg {
            match item {
                Item::Bytes(lit) => {
                    let got = bytes.get(p..p + lit.len())?;
                    let ok = if self.ci {
                        got.eq_ignore_ascii_case(lit)
                    } else {
                        got == &lit[..]
                    };
                    if !ok {
                        return None;
                    }
                    p += lit.len();
                }
                Item::Folded(lit) => {
                    let rest = hay.get(p..)?;
                    let mut chars = rest.char_indices();
                    for want in lit.chars() {
                        let (_, c) = chars.next()?;
                        if fold(c) != want {
                            return None;
                        }
                    }
                    p += chars.next().map_or(rest.len(), |(i, _)| i);
                }
                Item::One => p += hay.get(p..)?.chars().next()?.len_utf8(),
                Item::Dash => {
                    let c = hay.get(p..)?.chars().next()?;
                    if !DASHES.contains(&c) {
                        return None;
                    }
                    p += c.len_utf8();
                }
            }
        }
        Some(p)
    }
}

/// The byte length every match of `seg` has, when fixed.
fn byte_len(seg: &[Item]) -> Option<usize> {
    seg.iter()
        .map(|i| match i {
            Item::Bytes(b) => Some(b.len()),
            _ => None,
        })
        .sum()
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Case-insensitive (by [`fold`]) or exact comparison of two runtime
/// strings under `anchor` (used by `fieldref`).
pub(crate) fn compare_runtime(hay: &str, needle: &str, anchor: Anchor, ci: bool) -> bool {
    if !ci {
        return match anchor {
            Anchor::Exact => hay == needle,
            Anchor::Prefix => hay.starts_with(needle),
            Anchor::Suffix => hay.ends_with(needle),
            Anchor::Contains => hay.contains(needle),
        };
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return match anchor {
            Anchor::Exact => h.eq_ignore_ascii_case(n),
            Anchor::Prefix => h.len() >= n.len() && h[..n.len()].eq_ignore_ascii_case(n),
            Anchor::Suffix => h.len() >= n.len() && h[h.len() - n.len()..].eq_ignore_ascii_case(n),
            Anchor::Contains => {
                h.windows(n.len().max(1)).any(|w| w.eq_ignore_ascii_case(n)) || n.is_empty()
            }
        };
    }
    let folded: Box<str> = fold_str(needle).into();
    let seg = vec![Item::Folded(folded)];
    let glob = match anchor {
        Anchor::Exact => Glob::new(true, true, true, vec![seg]),
        Anchor::Prefix => Glob::new(true, true, false, vec![seg]),
        Anchor::Suffix => Glob::new(true, false, true, vec![seg]),
        Anchor::Contains => Glob::new(true, false, false, vec![seg]),
    };
    glob.matches(hay)
}

/// Appends `c` to a regex, escaped; `both` adds its other ASCII case.
fn push_char(out: &mut String, c: char, both: bool) {
    if both {
        out.push('[');
        out.push(c.to_ascii_lowercase());
        out.push(c.to_ascii_uppercase());
        out.push(']');
    } else {
        let mut buf = [0u8; 4];
        out.push_str(&regex_syntax::escape(c.encode_utf8(&mut buf)));
    }
}

/// Appends the class of characters that [`fold`] maps to `c`.
fn push_folded(out: &mut String, c: char) {
    if c.is_ascii() {
        push_char(out, c, c.is_ascii_alphabetic());
        return;
    }
    let mut class: Vec<char> = vec![c];
    for u in c.to_uppercase() {
        if fold(u) == c && !class.contains(&u) {
            class.push(u);
        }
    }
    // Title-case and other forms that lowercase to `c`.
    for cand in [char::from_u32(c as u32 - 1), char::from_u32(c as u32 + 1)]
        .into_iter()
        .flatten()
    {
        if fold(cand) == c && !class.contains(&cand) {
            class.push(cand);
        }
    }
    if class.len() == 1 {
        push_char(out, c, false);
    } else {
        out.push('[');
        for k in class {
            let mut buf = [0u8; 4];
            out.push_str(&regex_syntax::escape(k.encode_utf8(&mut buf)));
        }
        out.push(']');
    }
}
