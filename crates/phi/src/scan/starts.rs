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
    pub(crate) fn new(words: &[String]) -> Option<Keywords> {
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

    /// Calls `f` with the span of every (non-overlapping) occurrence.
    fn each(&self, text: &[u8], mut f: impl FnMut(usize, usize)) {
        match self {
            Keywords::Packed(p) => p.find_iter(text).for_each(|m| f(m.start(), m.end())),
            Keywords::Automaton(a) => a.find_iter(text).for_each(|m| f(m.start(), m.end())),
        }
    }
}

/// The `::` searcher, built once (building one per call costs more than
/// searching a short text such as a query value).
static COLONS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"::"));

/// What found a candidate position, which says what may start there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Kind {
    /// Known without the automaton: an IPv4 address of four groups of one
    /// to three digits ([`ip4_at`]).
    Ip4 = 0,
    /// Known without the automaton: a run of five or more digits that no
    /// other shape can extend ([`digit_run`]).
    Digits = 1,
    /// A word start where a shape with a digit, a date or an IPv6 address
    /// may start: every shape.
    Word = 2,
    /// The word before an `@`: an email.
    Email = 3,
    /// A name keyword: a name.
    Name = 4,
}

impl Kind {
    /// The bit of the kind in a set of kinds.
    pub(crate) const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A candidate position packed with its kind, so that sorting orders by
/// position, then by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Start(u64);

impl Start {
    fn new(pos: usize, kind: Kind) -> Start {
        Start(((pos as u64) << 3) | kind as u64)
    }

    pub(crate) fn pos(self) -> usize {
        (self.0 >> 3) as usize
    }

    pub(crate) fn kind(self) -> Kind {
        match self.0 & 7 {
            0 => Kind::Ip4,
            1 => Kind::Digits,
            2 => Kind::Word,
            3 => Kind::Email,
            _ => Kind::Name,
        }
    }
}

/// Which shapes may start at `s` when the last match ended at `pos`: a
/// shape's boundary bytes before it must not belong to that match.
///
/// - Emails and names need one boundary byte (two when it is `:` or `/`:
///   the byte before it belongs to the boundary).
/// - Every other shape needs one boundary byte that is not `:` or `/`, or
///   two, `:` or `/` after a byte that is not a letter or digit: a number
///   after `x:` or `x/` (`13:45:12`, `Chrome/120.0`, `HTTP/1.1`) is part of
///   what comes before it, never a shape of its own.
/// - IPv4 addresses take `//` but no other `/` (`http://10.0.0.1/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Allowed {
    /// Emails and names.
    pub one: bool,
    /// Every other shape.
    pub others: bool,
    /// IPv4 addresses.
    pub ip4: bool,
}

pub(crate) fn allowed(text: &[u8], s: usize, pos: usize) -> Allowed {
    let prev = s.checked_sub(1).map(|i| text[i]);
    match prev {
        None => Allowed {
            one: true,
            others: true,
            ip4: true,
        },
        // Two boundary bytes.
        Some(p @ (b':' | b'/')) if s >= 2 => {
            let free = s - 2 >= pos;
            let others = free && !text[s - 2].is_ascii_alphanumeric();
            Allowed {
                one: free,
                others,
                ip4: others && (p == b':' || text[s - 2] == b'/'),
            }
        }
        Some(p) => Allowed {
            one: s > pos,
            others: s > pos,
            ip4: s > pos && p != b'/',
        },
    }
}

/// Whether `s` follows `x:` or `x/` (see [`allowed`]): only an email or a
/// name may start there.
fn joined(text: &[u8], s: usize) -> bool {
    s >= 2 && matches!(text[s - 1], b':' | b'/') && text[s - 2].is_ascii_alphanumeric()
}

/// Which shapes the automaton has, for the matches known without it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Known {
    /// IPv4 addresses are wanted.
    pub ip4: bool,
    /// Digit runs are wanted.
    pub digits: bool,
}

/// The length of the digit run at `pos`, eight bytes at a time.
pub(crate) fn digit_run(text: &[u8], pos: usize) -> usize {
    let mut i = pos;
    while let Some(chunk) = text.get(i..i + 8) {
        let m = non_digits(chunk);
        if m != 0 {
            return i - pos + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i - pos
        + text
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
}

/// The high bit of every byte of `chunk` (eight bytes) that is not an
/// ASCII digit (exact in every byte, not only the lowest).
fn non_digits(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    let x = u64::from_le_bytes(w);
    // Per byte, without carries between bytes: b ≥ '0' and b ≤ '9'.
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let low = x & !HIGH;
    let ge0 = low.wrapping_add(u64::from_ne_bytes([0x80 - b'0'; 8])) & !x & HIGH;
    let le9 = !(low.wrapping_add(u64::from_ne_bytes([0x7f - b'9'; 8]))) & !x & HIGH;
    !(ge0 & le9) & HIGH
}

/// The end of the word going on at `pos` (the first boundary byte).
fn word_end(text: &[u8], mut pos: usize) -> usize {
    while pos < text.len() && !boundary(text[pos]) {
        pos += 1;
    }
    pos
}

/// The end of an IPv4 shape at `pos` when it is four groups of one to three
/// digits, each but the last followed by `.` and the last by no digit; then
/// no pattern before IPv4's can match there unless an `@` ends the word.
pub(crate) fn ip4_at(text: &[u8], pos: usize) -> Option<usize> {
    let (mut i, mut dots, mut group) = (pos, 0, 0);
    loop {
        match text.get(i) {
            Some(b) if b.is_ascii_digit() => {
                group += 1;
                if group > 3 {
                    return None;
                }
            }
            Some(b'.') if group > 0 && dots < 3 => {
                dots += 1;
                group = 0;
            }
            _ => break,
        }
        i += 1;
    }
    (dots == 3 && group > 0).then_some(i)
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
/// address) has a `::` or seven colons, as every IPv6 shape does. A run
/// that has neither is remembered in `no_ip6` (its end): starts inside it
/// have neither either.
fn ip6_run(text: &[u8], pos: usize, no_ip6: &mut usize) -> bool {
    if pos < *no_ip6 {
        return false;
    }
    let (mut colons, mut double, mut prev_colon) = (0, false, false);
    let mut end = pos;
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
        end += 1;
    }
    let yes = double || colons >= 7;
    if !yes && end < pos + 45 {
        *no_ip6 = end;
    }
    yes
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
pub(crate) fn candidates(
    text: &[u8],
    names: Option<&Keywords>,
    known: Known,
    out: &mut Vec<Start>,
) {
    digit_words(text, known, out);
    // `abcd::`: an IPv6 address without a digit.
    for at in COLONS.find_iter(text) {
        ip6_before(text, at + 1, out);
    }
    for at in memchr::memchr_iter(b'@', text) {
        let mut s = at;
        while s > 0 && !boundary(text[s - 1]) {
            s -= 1;
        }
        if s < at {
            out.push(Start::new(s, Kind::Email));
        }
    }
    // Every name keyword is three bytes or more.
    if let Some(names) = names.filter(|_| text.len() >= 3) {
        names.each(text, |s, e| {
            if (s == 0 || !text[s - 1].is_ascii_alphanumeric()) && name_follows(text, e) {
                out.push(Start::new(s, Kind::Name));
            }
        });
    }
}

/// Whether a name can follow a keyword of [`super::shapes::name_keywords`]
/// that ends at `e`, as the name pattern reads it: after a word
/// (`Patient`), `.`, a quote, blanks, `:` or `=`, blanks, a quote; after a
/// title with its dot or space (`Mr.`), blanks; then a capital and a small
/// letter.
fn name_follows(text: &[u8], e: usize) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let skip = |i: &mut usize, set: &[u8], many: bool| {
        while set.contains(&at(*i)) {
            *i += 1;
            if !many {
                break;
            }
        }
    };
    let mut i = e;
    // Titles are searched with what follows them; words end with a letter.
    if at(e - 1).is_ascii_alphabetic() {
        skip(&mut i, b".", false);
        skip(&mut i, b"\"'", false);
        skip(&mut i, b" \t", true);
        skip(&mut i, b":=", false);
        skip(&mut i, b" \t", true);
        skip(&mut i, b"\"'", false);
    } else {
        skip(&mut i, b" \t", true);
    }
    at(i).is_ascii_uppercase() && at(i + 1).is_ascii_lowercase()
}

/// The words with a digit among their first six bytes that pass
/// [`gate`], plus the month-name and IPv6 starts found from them.
fn digit_words(text: &[u8], known: Known, out: &mut Vec<Start>) {
    let mut i = 0;
    // The end of the last hex-and-colon run that is no IPv6 address
    // (`13:45:12`): every later start inside it fails the same way.
    let mut no_ip6 = 0;
    while let Some(d) = next_digit(text, i) {
        // The start of the word holding the digit: at most five bytes back
        // for a shape to start there (`ABCD-12345`).
        let mut ws = d;
        while ws > 0 && d - ws < 6 && !boundary(text[ws - 1]) {
            ws -= 1;
        }
        let r = digit_run(text, d);
        let we = word_end(text, d + r);
        i = we;
        if !word_start(text, ws) {
            continue;
        }
        // An email's local part ends where its word does, at the `@`.
        let at_sign = text.get(we) == Some(&b'@');
        let gated = if joined(text, ws) {
            Gate::No
        } else {
            gate(text, ws, d, r, &mut no_ip6)
        };
        match gated {
            Gate::No => {}
            Gate::Digits if known.digits && !at_sign && !zip4_or_street(text, d, r) => {
                out.push(Start::new(ws, Kind::Digits));
            }
            Gate::Ip4 if known.ip4 && !at_sign => {
                out.push(Start::new(ws, Kind::Ip4));
            }
            _ => out.push(Start::new(ws, Kind::Word)),
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

/// Whether a run of `r` (five or more) digits at `d` may go on as a ZIP+4
/// or NDC (`62701-1234`) or as an address (`12345 Main St`, `12345 5th`).
fn zip4_or_street(text: &[u8], d: usize, r: usize) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    match at(d + r) {
        b'-' => true,
        b' ' => r <= 6 && (at(d + r + 1).is_ascii_uppercase() || at(d + r + 1).is_ascii_digit()),
        _ => false,
    }
}

/// What [`gate`] says of a word start.
enum Gate {
    /// No shape can start here.
    No,
    /// Some shape may: run the automaton.
    Maybe,
    /// A run of five or more digits.
    Digits,
    /// An IPv4 address as [`ip4_at`] reads one.
    Ip4,
}

/// Whether any shape can start at the word start `ws` whose first digit is
/// at `d`. Only ever says no where no pattern matches.
fn gate(text: &[u8], ws: usize, d: usize, r: usize, no_ip6: &mut usize) -> Gate {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let maybe = |yes: bool| if yes { Gate::Maybe } else { Gate::No };
    if d > ws {
        let p = &text[ws..d];
        return maybe(match p[0] {
            // A phone number: `(555) …`, `+1 …`.
            b'(' => p.len() == 1,
            b'+' => p.len() == 1 && at(d) == b'1',
            // DEA `AB1234563`, `A91234567`; an ID `MRN-12345`, `AB12345`;
            // ICD-10 `F32.9`; IPv6 `FE80::1`.
            b'A'..=b'Z' => {
                let letters = p.strip_suffix(b"-").unwrap_or(p);
                (letters.len() <= 4 && letters.iter().all(u8::is_ascii_uppercase))
                    || ip6_group(text, ws, no_ip6)
            }
            // IPv6 `fe80::1`, `db8:…`.
            b'a'..=b'f' => ip6_group(text, ws, no_ip6),
            _ => false,
        });
    }
    if r >= 5 {
        return Gate::Digits;
    }
    let (n, n2) = (at(d + r), at(d + r + 1));
    match n {
        b' ' if n2.is_ascii_digit() => maybe(spaced(text, d, r)),
        // An address's street (`12 Main`, `12 N. Oak`), a day before a
        // month (`5 Jan`).
        b' ' if n2.is_ascii_uppercase() => {
            let n3 = at(d + r + 2);
            maybe(
                n3.is_ascii_lowercase()
                    || matches!((n2, n3), (b'N' | b'S' | b'E' | b'W', b'.' | b' ')),
            )
        }
        // `1 (555) …`, `1-(555)`, `1.(555)`.
        b' ' | b'-' | b'.' if n2 == b'(' => maybe(r == 1 && text[d] == b'1'),
        // `2026-11-28T10:00:00Z` is no date, NDC or card.
        b'-' if r == 4 => maybe(n2.is_ascii_digit() && four_dash(text, d)),
        // SSN, phone, NDC, card, date groups.
        b'-' | b'/' => maybe(n2.is_ascii_digit()),
        // IPv4 and dotted SSN/phone.
        b'.' if n2.is_ascii_digit() => {
            if ip4_at(text, d).is_some() {
                Gate::Ip4
            } else {
                maybe(dotted(text, d, r))
            }
        }
        b':' => maybe(ip6_run(text, ws, no_ip6)),
        // An MBI (`1EG4-TE5-MK73`) or an IPv6 group (`12ab:…`).
        b'A'..=b'Z' | b'a'..=b'z' => maybe(
            (r == 1 && text[d] != b'0' && n.is_ascii_uppercase())
                || (r <= 3 && ip6_group(text, ws, no_ip6)),
        ),
        _ => Gate::No,
    }
}

/// `r` digits at `d`, a space and a digit: the groups of an SSN
/// (`536 22 8741`), a phone number (`555 123 4567`, `1 555 …`), a card
/// (`4111 1111 …`, `3782 822463 …`), or an address's ordinal street
/// (`200 5th Street`).
fn spaced(text: &[u8], d: usize, r: usize) -> bool {
    let g = digit_run(text, d + r + 1);
    let after = text.get(d + r + 1 + g).copied().unwrap_or(0);
    (r == 3 && (g == 2 || g == 3))
        || (r == 1 && g == 3)
        || (r == 4 && (g == 4 || g == 6))
        || (g <= 3 && after.is_ascii_lowercase())
}

/// Four digits at `d` and a dash: a date (`2026-11-28` not followed by
/// `T` or a word byte), an NDC (`1234-5678-90`) or a card in groups (four
/// or six digits next).
fn four_dash(text: &[u8], d: usize) -> bool {
    let g2 = digit_run(text, d + 5);
    if g2 == 4 || g2 == 6 {
        return true;
    }
    let g3 = digit_run(text, d + 8);
    let after = text.get(d + 10).copied().unwrap_or(b' ');
    g2 == 2
        && text.get(d + 7) == Some(&b'-')
        && g3 == 2
        && !(after == b'T' || after.is_ascii_alphanumeric())
}

/// A digit run of length `r` at `d` followed by `.` and a digit, that is no
/// IPv4 address by [`ip4_at`]: an IPv4 shape the pattern still reads
/// (`1.2.3.4567` as `1.2.3.456`), a dotted SSN (`536.22.8741`), a dotted
/// phone number (`555.123.4567`, `1.555.123.4567`).
fn dotted(text: &[u8], d: usize, r: usize) -> bool {
    let g2 = digit_run(text, d + r + 1);
    let after2 = text.get(d + r + 1 + g2).copied().unwrap_or(0);
    let ip4 = || {
        let mut i = d;
        for _ in 0..3 {
            let g = digit_run(text, i);
            if !(1..=3).contains(&g) || text.get(i + g) != Some(&b'.') {
                return false;
            }
            i += g + 1;
        }
        text.get(i).is_some_and(u8::is_ascii_digit)
    };
    (r <= 3 && ip4())
        || (r == 3 && (g2 == 2 || g2 == 3) && matches!(after2, b'.' | b'-' | b' '))
        || (r == 1 && text[d] == b'1' && g2 == 3 && matches!(after2, b'.' | b'-' | b' '))
}

/// Whether the word at `ws` is an IPv6 group (one to four hex digits and a
/// colon) starting a run with `::` or seven colons.
fn ip6_group(text: &[u8], ws: usize, no_ip6: &mut usize) -> bool {
    let n = text
        .iter()
        .skip(ws)
        .take(5)
        .take_while(|b| hex(**b))
        .count();
    (1..=4).contains(&n) && text.get(ws + n) == Some(&b':') && ip6_run(text, ws, no_ip6)
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
        out.push(Start::new(ms, Kind::Word));
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
    if !ip6_run(text, rs, &mut 0) {
        return;
    }
    for s in rs..ws {
        if hex(text[s]) && (s == rs && word_start(text, s) || s > rs && text[s - 1] == b':') {
            out.push(Start::new(s, Kind::Word));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<(usize, Kind)> {
        let mut v = Vec::new();
        let known = Known {
            ip4: true,
            digits: true,
        };
        let names = Keywords::new(&super::super::shapes::name_keywords());
        candidates(text.as_bytes(), names.as_ref(), known, &mut v);
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
        // Known without the automaton.
        assert_eq!(starts("ip 10.0.0.1 size 48213"), [(3, Ip4), (17, Digits)]);
        assert_eq!(starts("zip 48213-1234"), [(4, Word)]);
        assert_eq!(starts("48213@ex.com"), [(0, Word)]);
        // Not a lone space-separated number.
        assert!(starts("200 48213").len() == 1);
        // A status code, a size below five digits, a time: nothing.
        assert!(starts("\" 200 \"-\" 13/Mar/2026:00:27:04").is_empty());
        assert!(starts("Mozilla/5.0 (Windows NT 10.0; Win64; x64)").is_empty());
        // After `x/` or `x:`: part of what comes before.
        assert!(starts("Chrome/120.0.0.0 HTTP/1.1 at 13:45:12").is_empty());
        assert_eq!(starts("http://10.0.0.1/"), [(7, Ip4)]);
        assert_eq!(starts("(555) 123-4567"), [(0, Word), (6, Word)]);
        assert_eq!(starts("MRN-1234567 x"), [(0, Word)]);
        assert_eq!(starts("born Jan. 5, 1980"), [(5, Word)]);
        assert_eq!(starts("fe80::1"), [(0, Word)]);
        assert_eq!(starts("at abcd::12"), [(3, Word)]);
        assert_eq!(starts("mail 9x@ex.com"), [(5, Email)]);
        assert_eq!(starts("mailto:x1@ex.com"), [(7, Email)]);
        assert_eq!(starts("Mr. Smith"), [(0, Name)]);
        assert!(starts("sha a3f9e0b1c2d3e4f5").is_empty());
    }
}
