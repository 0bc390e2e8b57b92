//! Where a shape can start: the candidate positions the anchored automata
//! are run at, found without walking every byte through an automaton.
//!
//! Every shape but a name starts at a *word start*: the start of the text or
//! the byte after a boundary byte (anything but `[0-9A-Za-z_.(+%-]`). Which
//! word starts can begin a shape follows from the patterns in
//! [`super::shapes::patterns`]:
//!
//! - Most shapes have a digit among the first six bytes of their first word
//!   (`123-45-6789`, `(555) …`, `+1 …`, `AB1234563`, `MRN-12345`, `F32.9`,
//!   `10.0.0.1`). A SWAR loop jumps from digit to digit; each word with a
//!   digit that early goes through a gate that looks at its first bytes
//!   (a lone `200` or `13/Mar` cannot be anything, `1.1` is not an address,
//!   `00:27:04` is not IPv6) before the automaton is run.
//! - An email starts at the word before an `@` (memchr).
//! - A name starts at a keyword (`Patient`, `Mr`, `name`; an Aho-Corasick
//!   search), after any byte that is not a letter or digit (`first_name:`).
//! - A date written with a month name starts at the word before its day.
//! - An IPv6 address may start with a group of letters (`fe80::1`,
//!   `abcd::12`): the groups before a digit word that follows a `:`, and
//!   before every `::`.
//!
//! The gates only ever drop positions where no pattern can match, so the
//! matches are those of one leftmost-first pass of all the patterns over the
//! text (a test in `scan.rs` checks this against that pass).

use aho_corasick::{packed, AhoCorasick, MatchKind};

/// A searcher for a few short words: Teddy (SIMD) where the CPU has it,
/// else an Aho-Corasick automaton.
#[derive(Clone, Debug)]
pub(crate) enum Keywords {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Keywords {
    /// None only if the words cannot be compiled (in practice never).
    pub(crate) fn new(words: &[&str]) -> Option<Keywords> {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(words)
            .build();
        match packed {
            Some(p) => Some(Keywords::Packed(p)),
            None => AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(words)
                .ok()
                .map(Keywords::Automaton),
        }
    }

    /// Calls `f` with the start of every (non-overlapping) occurrence.
    fn each(&self, text: &[u8], mut f: impl FnMut(usize)) {
        match self {
            Keywords::Packed(p) => p.find_iter(text).for_each(|m| f(m.start())),
            Keywords::Automaton(a) => a.find_iter(text).for_each(|m| f(m.start())),
        }
    }
}

/// What may start at a candidate position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Kind {
    /// A word start: every shape.
    Word = 0,
    /// A word start after `x/` (`Chrome/120.0.0.0`): every shape but IPv4.
    WordNoIp4 = 1,
    /// A name keyword inside a word (`first_name`): names only.
    NameOnly = 2,
}

/// A candidate position packed with its kind, so that sorting orders by
/// position, then by the most permissive kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Start(u64);

impl Start {
    fn new(pos: usize, kind: Kind) -> Start {
        Start(((pos as u64) << 2) | kind as u64)
    }

    pub(crate) fn pos(self) -> usize {
        (self.0 >> 2) as usize
    }

    pub(crate) fn kind(self) -> Kind {
        match self.0 & 3 {
            0 => Kind::Word,
            1 => Kind::WordNoIp4,
            _ => Kind::NameOnly,
        }
    }
}

/// Boundary bytes: not `[0-9A-Za-z_.(+%-]` (every byte ≥ 0x80 is one).
static BOUNDARY: [bool; 256] = {
    let mut t = [true; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'(' | b'+' | b'%' | b'-') {
            t[b] = false;
        }
        b += 1;
    }
    t
};

fn boundary(b: u8) -> bool {
    BOUNDARY[b as usize]
}

/// Whether `pos` is a word start.
fn word_start(text: &[u8], pos: usize) -> bool {
    pos == 0 || boundary(text[pos - 1])
}

/// The kind of a word start: an IPv4 address may not follow `x/` (a
/// version in a user agent), but may follow `//` (`http://10.0.0.1/`).
fn word_kind(text: &[u8], pos: usize) -> Kind {
    if pos >= 1 && text[pos - 1] == b'/' && !(pos >= 2 && text[pos - 2] == b'/') {
        Kind::WordNoIp4
    } else {
        Kind::Word
    }
}

/// The first ASCII digit at or after `from`.
#[inline]
fn next_digit(text: &[u8], mut i: usize) -> Option<usize> {
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    const TENS: u64 = u64::from_ne_bytes([10; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    while let Some(chunk) = text.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A byte is a digit when `b ^ '0'` is below ten; the lowest flagged
        // byte is always a true one (a borrow only runs upwards).
        let t = u64::from_le_bytes(word) ^ ZEROS;
        let m = t.wrapping_sub(TENS) & !t & HIGH;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    text.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|k| i + k)
}

fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Whether the hex-and-colon run from `pos` (bounded like the longest IPv6
/// address) has a `::` or seven colons, as every IPv6 shape does.
fn ip6_run(text: &[u8], pos: usize) -> bool {
    let (mut colons, mut double, mut prev_colon) = (0, false, false);
    for &b in text.iter().skip(pos).take(45) {
        if b == b':' {
            colons += 1;
            double |= prev_colon;
            prev_colon = true;
        } else if hex(b) {
            prev_colon = false;
        } else {
            break;
        }
    }
    double || colons >= 7
}

/// Whether the three letters at `pos` begin a month name (any case of the
/// first letter as the pattern has it: capitalized).
fn month_at(text: &[u8], pos: usize) -> bool {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    text.get(pos..pos + 3)
        .is_some_and(|w| MONTHS.iter().any(|m| w == *m))
}

/// Collects the candidate positions of `text` into `out` (unsorted; may
/// repeat). `names` finds the name keywords (None: names are not wanted).
pub(crate) fn candidates(text: &[u8], names: Option<&Keywords>, out: &mut Vec<Start>) {
    digit_words(text, out);
    // `abcd::`: an IPv6 address without a digit.
    for at in memchr::memmem::find_iter(text, b"::") {
        ip6_before(text, at + 1, out);
    }
    for at in memchr::memchr_iter(b'@', text) {
        let mut s = at;
        while s > 0 && !boundary(text[s - 1]) {
            s -= 1;
        }
        if s < at {
            out.push(Start::new(s, word_kind(text, s)));
        }
    }
    if let Some(names) = names {
        names.each(text, |s| {
            if s == 0 || !text[s - 1].is_ascii_alphanumeric() {
                let kind = if word_start(text, s) {
                    Kind::Word
                } else {
                    Kind::NameOnly
                };
                out.push(Start::new(s, kind));
            }
        });
    }
}

/// The words with a digit among their first six bytes that pass
/// [`gate`], plus the month-name and IPv6 starts found from them.
fn digit_words(text: &[u8], out: &mut Vec<Start>) {
    let mut i = 0;
    while let Some(d) = next_digit(text, i) {
        // The start of the word holding the digit: at most five bytes back
        // for a shape to start there (`MRN-12345`).
        let mut ws = d;
        while ws > 0 && d - ws < 6 && !boundary(text[ws - 1]) {
            ws -= 1;
        }
        let mut we = d + 1;
        while we < text.len() && !boundary(text[we]) {
            we += 1;
        }
        i = we;
        if !word_start(text, ws) {
            continue;
        }
        if gate(text, ws, d) {
            out.push(Start::new(ws, word_kind(text, ws)));
        }
        if ws >= 2 && d == ws {
            match (text[ws - 2], text[ws - 1]) {
                (_, b' ') => month_before(text, ws, out),
                // Letters-only groups before (`abcd:12:…`); a digit group
                // before has been seen as a word itself, `::` is found
                // on its own.
                (b'a'..=b'f' | b'A'..=b'F', b':') => ip6_before(text, ws, out),
                _ => {}
            }
        }
    }
}

/// Whether any shape can start at the word start `ws` whose first digit is
/// at `d`. Only ever false where no pattern matches.
fn gate(text: &[u8], ws: usize, d: usize) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    if d > ws {
        let p = &text[ws..d];
        return match p[0] {
            // A phone number: `(555) …`, `+1 …`.
            b'(' => p.len() == 1,
            b'+' => p.len() == 1 && at(d) == b'1',
            // DEA `AB1234563`, `A91234567`; an ID `MRN-12345`, `AB12345`;
            // ICD-10 `F32.9`; IPv6 `FE80::1`.
            b'A'..=b'Z' => {
                let letters = p.strip_suffix(b"-").unwrap_or(p);
                (letters.len() <= 4 && letters.iter().all(u8::is_ascii_uppercase))
                    || ip6_group(text, ws)
            }
            // IPv6 `fe80::1`, `db8:…`.
            b'a'..=b'f' => ip6_group(text, ws),
            _ => false,
        };
    }
    let mut r = 0;
    while at(d + r).is_ascii_digit() {
        r += 1;
    }
    if r >= 5 {
        return true;
    }
    let (n, n2) = (at(d + r), at(d + r + 1));
    match n {
        // SSN/phone/card groups, an address's street, a day before a month,
        // `1 (555) …`.
        b' ' => n2.is_ascii_digit() || n2.is_ascii_uppercase() || n2 == b'(',
        // SSN, phone, NDC, card, date groups; IPv4 and dotted SSN/phone.
        b'-' | b'/' => n2.is_ascii_digit(),
        b'.' => n2.is_ascii_digit() && dotted(text, d, r),
        b':' => ip6_run(text, ws),
        // An MBI (`1EG4-TE5-MK73`) or an IPv6 group (`12ab:…`).
        b'A'..=b'Z' | b'a'..=b'z' => {
            (r == 1 && d == ws && text[d] != b'0' && n.is_ascii_uppercase())
                || (r <= 3 && ip6_group(text, ws))
        }
        _ => false,
    }
}

/// A digit run of length `r` at `d` followed by `.` and a digit: an IPv4
/// address (three dots in the word) or a dotted SSN or phone number (three
/// digits first).
fn dotted(text: &[u8], d: usize, r: usize) -> bool {
    if r == 3 {
        return true;
    }
    let dots = text
        .iter()
        .skip(d)
        .take(16)
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .filter(|b| **b == b'.')
        .count();
    r <= 3 && dots >= 3
}

/// Whether the word at `ws` is an IPv6 group (one to four hex digits and a
/// colon) starting a run with `::` or seven colons.
fn ip6_group(text: &[u8], ws: usize) -> bool {
    let n = text
        .iter()
        .skip(ws)
        .take(5)
        .take_while(|b| hex(**b))
        .count();
    (1..=4).contains(&n) && text.get(ws + n) == Some(&b':') && ip6_run(text, ws)
}

/// A day (`5` in `Jan 5, 1980`, `Sept. 12 1980`) after a month word: the
/// month word's start.
fn month_before(text: &[u8], ws: usize, out: &mut Vec<Start>) {
    // The month word: three letters, up to six more, an optional dot.
    let mut ms = ws - 1;
    while ms > 0 && ws - 1 - ms < 10 && (text[ms - 1].is_ascii_alphabetic() || text[ms - 1] == b'.')
    {
        ms -= 1;
    }
    if ws - 1 - ms >= 3 && word_start(text, ms) && month_at(text, ms) {
        out.push(Start::new(ms, word_kind(text, ms)));
    }
}

/// A digit word at `ws` after `:` (or the second colon of `::` at
/// `ws - 1`): the starts of the IPv6 groups before it (`abcd::12`, where no
/// group before the digits has a digit).
fn ip6_before(text: &[u8], ws: usize, out: &mut Vec<Start>) {
    let mut rs = ws;
    while rs > 0 && ws - rs < 45 && (hex(text[rs - 1]) || text[rs - 1] == b':') {
        rs -= 1;
    }
    if !ip6_run(text, rs) {
        return;
    }
    for s in rs..ws {
        if hex(text[s]) && (s == rs && word_start(text, s) || s > rs && text[s - 1] == b':') {
            out.push(Start::new(s, word_kind(text, s)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<(usize, Kind)> {
        let mut v = Vec::new();
        candidates(text.as_bytes(), None, &mut v);
        v.sort();
        v.dedup_by_key(|s| s.pos());
        v.into_iter().map(|s| (s.pos(), s.kind())).collect()
    }

    #[test]
    fn digits_are_found_in_every_position() {
        let t = "abcdefgh1jklmnopqrstuvwxyz2";
        for i in 0..t.len() {
            let want = t[i..].find(|c: char| c.is_ascii_digit()).map(|k| i + k);
            assert_eq!(next_digit(t.as_bytes(), i), want, "from {i}");
        }
        assert_eq!(next_digit("é9".as_bytes(), 0), Some(2));
        assert_eq!(next_digit(b"/:;@", 0), None);
    }

    #[test]
    fn gates() {
        use Kind::*;
        assert_eq!(starts("ssn 123-45-6789"), [(4, Word)]);
        // A status code, a size below five digits, a time: nothing.
        assert!(starts("\" 200 \"-\" 13/Mar/2026:00:27:04").is_empty());
        assert!(starts("Mozilla/5.0 (Windows NT 10.0; Win64; x64)").is_empty());
        assert_eq!(starts("Chrome/120.0.0.0"), [(7, WordNoIp4)]);
        assert_eq!(starts("http://10.0.0.1/"), [(7, Word)]);
        assert_eq!(starts("(555) 123-4567"), [(0, Word), (6, Word)]);
        assert_eq!(starts("MRN-1234567 x"), [(0, Word)]);
        assert_eq!(starts("born Jan. 5, 1980"), [(5, Word)]);
        assert_eq!(starts("fe80::1"), [(0, Word)]);
        assert_eq!(starts("at abcd::12"), [(3, Word)]);
        assert_eq!(starts("mail 9x@ex.com"), [(5, Word)]);
        assert!(starts("sha a3f9e0b1c2d3e4f5").is_empty());
    }
}
