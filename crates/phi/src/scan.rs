//! The scanner: one multi-pattern pass over text for every identifier type,
//! validators on the candidates, context scoring.
//!
//! How a text is scanned:
//!
//! 1. Candidate *shapes* of every enabled type (digit runs, `3-2-4` groups,
//!    dates, IPs, emails, `letters+digits`, …) are found in one pass: a
//!    cheap walk finds the positions where a shape can start ([`starts`]:
//!    words with an early digit that pass a look at their first bytes, the
//!    word before an `@`, name keywords), and one lazy DFA over all the
//!    shape patterns runs anchored at each (leftmost-first, like one
//!    multi-pattern regex over the whole text, without walking every byte
//!    through it). Boundaries are checked in code (an SSN inside a longer
//!    digit run, the last group of a UUID or a hex hash are not candidates).
//! 2. Each shape maps to the types it may be (nine bare digits: SSN, ITIN,
//!    routing number, MRN), each with a base score; the validator of each type
//!    ([`crate::validate::validate`]) drops those it rejects.
//! 3. Context ([`context`]) raises or lowers each remaining type: words in a
//!    window around the candidate and the key the text is the value of.
//!    `DATE_OF_BIRTH` and `MEDICAL_RECORD_NUMBER` need positive context.
//! 4. The best-scoring type is reported for the span (at most one type per
//!    span; ties go to the type listed first for the shape, SSN before ITIN
//!    before routing), if it reaches the threshold.
//!
//! ```
//! use phiwatch_phi::{PhiType, ScanConfig, Scanner};
//!
//! let scanner = Scanner::new(ScanConfig::default());
//! let mut out = Vec::new();
//! scanner.scan("patient ssn: 536-22-8741, order 1234567", None, &mut out);
//! assert_eq!(out.len(), 1);
//! assert_eq!(out[0].ty, PhiType::UsSsn);
//! assert_eq!((out[0].start, out[0].end), (13, 24));
//! ```

mod shapes;
mod starts;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

use self::shapes::{Cand, Shape};
use self::starts::{Keywords, Kind, Known, Start};
use crate::context::{self, bit, Context, Signals, TypeMask};
use crate::types::PhiType;
use crate::validate::validate;

/// Scanner options.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Findings scoring below this are dropped (0–1).
    pub threshold: f32,
    /// Types to look for (all by default).
    pub types: Vec<PhiType>,
    /// Bytes on each side of a candidate searched for context words.
    pub window: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            threshold: 0.5,
            types: PhiType::ALL.to_vec(),
            window: 48,
        }
    }
}

/// One identifier found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Byte offset of the first byte, in the scanned text.
    pub start: usize,
    /// Byte offset after the last byte (exclusive).
    pub end: usize,
    /// The type.
    pub ty: PhiType,
    /// Confidence, 0–1, after validation and context.
    pub score: f32,
    /// Whether a validator (checksum, ranges) accepted it.
    pub validated: bool,
}

/// Score changes from context.
pub mod weights {
    /// A positive word in the window.
    pub const WINDOW_POS: f32 = 0.25;
    /// A negative word nearest before the candidate.
    pub const WINDOW_NEG: f32 = 0.3;
    /// A key that names the type (`ssn`, `dob`, `npi`).
    pub const KEY_POS: f32 = 0.3;
    /// A key that speaks against it (`order_id`, `version`).
    pub const KEY_NEG: f32 = 0.3;
    /// The nearest context word (or the key) names another type only
    /// (`routing 123456789` as an SSN).
    pub const OTHER_TYPE: f32 = 0.2;
    /// [`OTHER_TYPE`] applies only to shapes weaker than this (bare digit
    /// runs that several types share), not to an email or a formatted SSN.
    pub const OTHER_TYPE_BELOW: f32 = 0.6;
}

/// The compiled detectors. Build once, share between threads.
#[derive(Debug)]
pub struct Scanner {
    config: ScanConfig,
    enabled: TypeMask,
    /// None when no enabled type has a shape.
    automata: Option<Automata>,
    context: Context,
}

/// One lazy DFA over some shapes' patterns, run anchored.
#[derive(Clone, Debug)]
struct Shapes {
    dfa: DFA,
    /// Pattern index → shape.
    shapes: Vec<Shape>,
}

impl Shapes {
    /// The shapes of `all` that `keep` keeps; None when none is kept or (in
    /// practice never) the fixed patterns fail to compile.
    fn build(all: &[(Shape, String)], keep: impl Fn(Shape) -> bool) -> Option<Shapes> {
        let (shapes, pats): (Vec<Shape>, Vec<String>) = all
            .iter()
            .filter(|(s, _)| keep(*s))
            .map(|(s, p)| (*s, shapes::anchored(*s, p)))
            .unzip();
        if shapes.is_empty() {
            return None;
        }
        // Byte-oriented: every shape starts and ends on an ASCII byte, so
        // spans stay on character boundaries.
        let dfa = DFA::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().utf8(false))
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .cache_capacity(2 << 20),
            )
            .build_many(&pats)
            .ok();
        debug_assert!(dfa.is_some(), "the shape patterns compile");
        Some(Shapes { dfa: dfa?, shapes })
    }

    /// The leftmost-first match starting exactly at `s`: its shape and end.
    fn at(&self, cache: &mut Cache, text: &[u8], s: usize) -> Option<(Shape, usize)> {
        let input = Input::new(text).range(s..).anchored(Anchored::Yes);
        let hm = self.dfa.try_search_fwd(cache, &input).ok()??;
        Some((*self.shapes.get(hm.pattern().as_usize())?, hm.offset()))
    }
}

/// The DFAs of [`Automata`].
#[derive(Clone, Copy, Debug)]
enum Dfa {
    /// Every shape.
    All = 0,
    /// Every shape but IPv4.
    NoIp4 = 1,
    /// Emails only.
    Email = 2,
    /// Names only.
    Name = 3,
}

/// Per-thread search state: one cache per DFA, the candidate positions.
#[derive(Debug)]
struct Scratch {
    caches: [Option<Cache>; 4],
    starts: Vec<Start>,
}

type ScratchFn =
    Box<dyn Fn() -> Scratch + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// The shape automata of the enabled types and what finds where to run them.
#[derive(Debug)]
struct Automata {
    /// Indexed by [`Dfa`].
    dfas: [Option<Shapes>; 4],
    /// The shapes known without a DFA that are wanted.
    known: Known,
    /// The name keywords (None: no name shape).
    names: Option<Keywords>,
    pool: Pool<Scratch, ScratchFn>,
}

impl Automata {
    fn new(enabled: TypeMask) -> Option<Automata> {
        let all: Vec<(Shape, String)> = shapes::patterns()
            .into_iter()
            .filter(|(s, _)| shapes::shape_types(*s) & enabled != 0)
            .collect();
        let dfas = [
            Shapes::build(&all, |_| true),
            Shapes::build(&all, |s| s != Shape::Ip4),
            Shapes::build(&all, |s| s == Shape::Email),
            Shapes::build(&all, |s| s == Shape::Name),
        ];
        dfas[0].as_ref()?;
        let names = dfas[Dfa::Name as usize]
            .as_ref()
            .and_then(|_| Keywords::new(&shapes::name_keywords()));
        let for_pool = dfas.clone();
        let create: ScratchFn = Box::new(move || Scratch {
            caches: for_pool
                .each_ref()
                .map(|d| d.as_ref().map(|d| d.dfa.create_cache())),
            starts: Vec::new(),
        });
        let has = |shape: Shape| all.iter().any(|(s, _)| *s == shape);
        let known = Known {
            ip4: has(Shape::Ip4),
            digits: has(Shape::Digits),
        };
        Some(Automata {
            dfas,
            known,
            names,
            pool: Pool::new(create),
        })
    }

    /// The shape matches of `text` in order (start, trimmed end, shape),
    /// as one leftmost-first pass of every pattern would find them.
    fn matches(&self, text: &[u8], mut f: impl FnMut(usize, usize, Shape)) {
        let mut guard = self.pool.get();
        let Scratch { caches, starts } = &mut *guard;
        starts.clear();
        starts::candidates(text, self.names.as_ref(), self.known, starts);
        // Runs (the digit words, the emails, the names) merge in one pass.
        starts.sort();
        let mut pos = 0;
        let mut i = 0;
        while let Some(first) = starts.get(i) {
            // Every kind found at this position.
            let s = first.pos();
            let mut kinds = 0u8;
            while let Some(st) = starts.get(i).filter(|st| st.pos() == s) {
                kinds |= st.kind().bit();
                i += 1;
            }
            if s < pos {
                continue;
            }
            let a = starts::allowed(text, s, pos);
            let has = |k: Kind| kinds & k.bit() != 0;
            let mut run = |d: Dfa| match (&self.dfas[d as usize], &mut caches[d as usize]) {
                (Some(dfa), Some(cache)) => dfa.at(cache, text, s),
                _ => None,
            };
            let found = if has(Kind::Ip4) && a.ip4 {
                starts::ip4_at(text, s).map(|e| (Shape::Ip4, e))
            } else if has(Kind::Digits) && a.others {
                Some((Shape::Digits, s + starts::digit_run(text, s)))
            } else if (has(Kind::Word) || has(Kind::Ip4)) && a.others {
                run(if a.ip4 { Dfa::All } else { Dfa::NoIp4 })
            } else {
                // The other shapes at this position have their own kinds:
                // an email (first) or a name.
                let email = (has(Kind::Email) && a.one).then(|| run(Dfa::Email));
                match email.flatten() {
                    Some(m) => Some(m),
                    None => (has(Kind::Name) && a.one).then(|| run(Dfa::Name)).flatten(),
                }
            };
            if let Some((shape, e)) = found {
                let e = shapes::trim_end(text, shape, s, e);
                pos = e;
                f(s, e, shape);
            }
        }
    }
}

impl Scanner {
    /// Compiles the detectors for `config`.
    pub fn new(config: ScanConfig) -> Scanner {
        let enabled = config.types.iter().fold(0, |m, t| m | bit(*t));
        Scanner {
            config,
            enabled,
            automata: Automata::new(enabled),
            context: Context::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// Finds identifiers in `text`, appending to `out` in order of `start`.
    /// `key` is the name the text is the value of, when known (a CSV column
    /// header, a JSON key path, a query parameter): it counts as context.
    pub fn scan(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>) {
        let key_sig = key.map(|k| self.context.key(k)).unwrap_or_default();
        if self.name_value(text, key, out) {
            return;
        }
        let Some(automata) = &self.automata else {
            return;
        };
        automata.matches(text.as_bytes(), |s, e, shape| {
            if let Some(found) = self.consider(text, shape, s, e, key_sig) {
                out.push(found);
            }
        });
    }

    /// A value whose key names a person (`first_name`, `Patient Name`) and
    /// that reads as a name is one `PERSON_NAME` match.
    fn name_value(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>) -> bool {
        if self.enabled & bit(PhiType::PersonName) == 0 {
            return false;
        }
        let Some(key) = key else { return false };
        let mut buf = [0u8; 64];
        if !context::key_is_name(context::normalize_key(key, &mut buf)) {
            return false;
        }
        let Some((start, end)) = shapes::whole_name(text) else {
            return false;
        };
        let score = (shapes::base::NAME + weights::KEY_POS).min(1.0);
        if score >= self.config.threshold {
            out.push(Match {
                start,
                end,
                ty: PhiType::PersonName,
                score,
                validated: false,
            });
        }
        true
    }

    /// Turns one shape match into a finding, or None.
    fn consider(
        &self,
        text: &str,
        shape: Shape,
        mut s: usize,
        e: usize,
        key_sig: Signals,
    ) -> Option<Match> {
        let bytes = text.as_bytes();
        if !shape_bounded(bytes, shape, &mut s, e) {
            return None;
        }
        if shape == Shape::Date && shapes::is_timestamp(bytes, e) {
            return None;
        }
        // A lone five-digit number (a ZIP code and nothing else) is one only
        // with context: checked first, since response sizes and counts are
        // everywhere in logs and this is cheaper than validation.
        if shape == Shape::Digits
            && e - s == 5
            && key_sig.pos & bit(PhiType::ZipCode) == 0
            && shapes::base::ZIP5 < self.config.threshold
            && !shapes::after_state_code(bytes, s)
            && !context::maybe_zip_context(bytes, s, e, self.config.window)
        {
            return None;
        }
        let cands = shapes::classify(shape, bytes.get(s..e)?);
        let (kept, n, mask) = self.validated(cands.as_slice(), text.get(s..e)?);
        if n == 0 {
            return None;
        }
        let best_possible = kept[..n].iter().map(|k| k.1).fold(0.0, f32::max)
            + weights::WINDOW_POS
            + if key_sig.pos & mask != 0 {
                weights::KEY_POS
            } else {
                0.0
            };
        if best_possible < self.config.threshold {
            return None;
        }
        let win = self.window_signals(bytes, shape, s, e, mask);
        let mut best: Option<Match> = None;
        for &(ty, base, validated) in &kept[..n] {
            let Some(score) = score(ty, base, win, key_sig) else {
                continue;
            };
            if score >= self.config.threshold && best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Match {
                    start: s,
                    end: e,
                    ty,
                    score,
                    validated,
                });
            }
        }
        best
    }

    /// The enabled candidates that their validators do not reject, as
    /// (type, base score, validated), with their type mask.
    fn validated(
        &self,
        cands: &[Cand],
        text: &str,
    ) -> ([(PhiType, f32, bool); 4], usize, TypeMask) {
        let mut kept = [(PhiType::UsSsn, 0.0f32, false); 4];
        let mut n = 0;
        let mut mask: TypeMask = 0;
        for &Cand { ty, base } in cands.iter().take(kept.len()) {
            if self.enabled & bit(ty) == 0 {
                continue;
            }
            let validated = match validate(ty, text) {
                Some(false) => continue,
                Some(true) => true,
                None => false,
            };
            kept[n] = (ty, base, validated);
            n += 1;
            mask |= bit(ty);
        }
        (kept, n, mask)
    }

    /// Context signals around a candidate, with the shape's own hints (a
    /// state code before a ZIP, `MRN` glued to its digits).
    fn window_signals(
        &self,
        bytes: &[u8],
        shape: Shape,
        s: usize,
        e: usize,
        mask: TypeMask,
    ) -> Signals {
        let mut from = s;
        if shape == Shape::AlnumId {
            // "MRN12345678": the letters may be the context word.
            from = s + bytes[s..e]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
        }
        let mut win = self
            .context
            .window(bytes, from, e, self.config.window, mask);
        if mask & bit(PhiType::ZipCode) != 0 && shapes::after_state_code(bytes, s) {
            win.pos |= bit(PhiType::ZipCode);
        }
        win
    }
}

/// The score of one candidate type given its context, or None when the
/// type needs positive context and has none.
fn score(ty: PhiType, base: f32, win: Signals, key: Signals) -> Option<f32> {
    let pos = win.positive(ty) || key.positive(ty);
    if shapes::NEEDS_CONTEXT & bit(ty) != 0 && !pos {
        return None;
    }
    let mut score = base;
    if win.positive(ty) {
        score += weights::WINDOW_POS;
    }
    if win.negative(ty) {
        score -= weights::WINDOW_NEG;
    }
    if key.positive(ty) {
        score += weights::KEY_POS;
    }
    if key.negative(ty) {
        score -= weights::KEY_NEG;
    }
    let names_other = |m: TypeMask| m != 0 && m & bit(ty) == 0;
    if !pos
        && base < weights::OTHER_TYPE_BELOW
        && (names_other(win.nearest) || names_other(key.pos))
    {
        score -= weights::OTHER_TYPE;
    }
    Some(score.clamp(0.0, 1.0))
}

/// Boundary rules per shape; may move `s` forward (an email's leading
/// punctuation, a name's keyword).
fn shape_bounded(bytes: &[u8], shape: Shape, s: &mut usize, e: usize) -> bool {
    match shape {
        Shape::Email => {
            while *s < e && !bytes[*s].is_ascii_alphanumeric() {
                *s += 1;
            }
            *s < e && bytes[*s..e].contains(&b'@')
        }
        Shape::Name => {
            if *s > 0 && bytes[*s - 1].is_ascii_alphanumeric() {
                return false;
            }
            match shapes::name_start(bytes, *s, e) {
                Some(i) => {
                    *s = i;
                    true
                }
                None => false,
            }
        }
        // A port or a path may follow an address.
        Shape::Ip4 | Shape::Ip6 => {
            shapes::bounded_left(bytes, *s)
                && (shapes::bounded_right(bytes, e) || matches!(bytes.get(e), Some(b':' | b'/')))
        }
        _ => shapes::bounded(bytes, *s, e),
    }
}

#[cfg(test)]
mod equivalence;
