//! A recursive-descent parser for STIX 2.1 patterns. Keywords are matched
//! without regard to case; identifiers may contain `-` (`ipv4-addr`, and the
//! `hashes.SHA-256` that STIX 2.0 producers write unquoted). Nesting is
//! limited so that hostile input cannot exhaust the stack.

use phiwatch_event::Timestamp;

use super::pattern::{
    CompExpr, Comparison, Constant, ObjectPath, ObsExpr, Op, PathStep, Pattern, Qualifier,
};

/// Why a pattern does not parse, and where (a byte offset into it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("pattern syntax error at byte {position}: {reason}")]
pub struct ParseError {
    /// Byte offset of the offending token (the pattern's length at its end).
    pub position: usize,
    /// What was wrong.
    pub reason: String,
}

/// The deepest nesting of parentheses and brackets accepted.
pub const MAX_DEPTH: usize = 64;

/// Parses a STIX pattern.
///
/// ```
/// use phiwatch_intel::stix::{parse_pattern, ObsExpr};
/// let p = parse_pattern("[ipv4-addr:value = '198.51.100.1']").unwrap();
/// assert!(matches!(p.expr, ObsExpr::Observation(_)));
/// let e = parse_pattern("[ipv4-addr:value = ]").unwrap_err();
/// assert_eq!(e.position, 19);
/// ```
pub fn parse_pattern(text: &str) -> Result<Pattern, ParseError> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = p.followed_by()?;
    match p.toks.get(p.pos) {
        None => Ok(Pattern { expr }),
        Some(t) => Err(err(
            t.at,
            format!("unexpected {} after the pattern", t.tok.describe()),
        )),
    }
}

fn err(position: usize, reason: impl Into<String>) -> ParseError {
    ParseError {
        position,
        reason: reason.into(),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Cmp(Op),
    Word(String),
    Quoted(String),
    Str(String),
    Int(i64),
    Float(f64),
    Ts(Timestamp),
    Hex(String),
    Bin(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LBrack => "'['".into(),
            Tok::RBrack => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Colon => "':'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Comma => "','".into(),
            Tok::Star => "'*'".into(),
            Tok::Cmp(op) => format!("operator {op}"),
            Tok::Word(w) => format!("word {w:?}"),
            Tok::Quoted(w) => format!("identifier \"{w}\""),
            Tok::Str(_) => "a string".into(),
            Tok::Int(_) | Tok::Float(_) => "a number".into(),
            Tok::Ts(_) => "a timestamp".into(),
            Tok::Hex(_) => "a hex constant".into(),
            Tok::Bin(_) => "a binary constant".into(),
        }
    }
}

struct Spanned {
    tok: Tok,
    at: usize,
}

fn lex(text: &str) -> Result<Vec<Spanned>, ParseError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() || c == 0x0b {
            i += 1;
            continue;
        }
        if c >= 0x80 {
            // Unicode whitespace is skipped; anything else is an error.
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            if ch.is_whitespace() {
                i += ch.len_utf8();
                continue;
            }
            return Err(err(i, format!("unexpected character {ch:?}")));
        }
        if text[i..].starts_with("/*") {
            let close = text[i + 2..]
                .find("*/")
                .ok_or_else(|| err(i, "unterminated comment"))?;
            i += close + 4;
            continue;
        }
        if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        let (tok, next) = lex_one(text, i)?;
        out.push(Spanned { tok, at: start });
        i = next;
    }
    Ok(out)
}

fn lex_one(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let b = text.as_bytes();
    let next = b.get(i + 1).copied();
    let simple = |t| Ok((t, i + 1));
    match b[i] {
        b'[' => simple(Tok::LBrack),
        b']' => simple(Tok::RBrack),
        b'(' => simple(Tok::LParen),
        b')' => simple(Tok::RParen),
        b':' => simple(Tok::Colon),
        b'.' => simple(Tok::Dot),
        b',' => simple(Tok::Comma),
        b'*' => simple(Tok::Star),
        b'=' if next == Some(b'=') => Ok((Tok::Cmp(Op::Eq), i + 2)),
        b'=' => simple(Tok::Cmp(Op::Eq)),
        b'!' if next == Some(b'=') => Ok((Tok::Cmp(Op::Neq), i + 2)),
        b'<' if next == Some(b'>') => Ok((Tok::Cmp(Op::Neq), i + 2)),
        b'<' if next == Some(b'=') => Ok((Tok::Cmp(Op::Le), i + 2)),
        b'<' => simple(Tok::Cmp(Op::Lt)),
        b'>' if next == Some(b'=') => Ok((Tok::Cmp(Op::Ge), i + 2)),
        b'>' => simple(Tok::Cmp(Op::Gt)),
        b'\'' => lex_string(text, i).map(|(s, n)| (Tok::Str(s), n)),
        b'"' => lex_quoted_identifier(text, i),
        b'0'..=b'9' | b'+' | b'-' => lex_number(text, i),
        c if c.is_ascii_alphabetic() || c == b'_' => lex_word(text, i),
        c => Err(err(i, format!("unexpected character {:?}", c as char))),
    }
}

/// A `'…'` string from `i` (at the quote): its value and the index after it.
fn lex_string(text: &str, i: usize) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = text[i + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '\'' => return Ok((out, i + 1 + off + 1)),
            '\\' => match chars.next() {
                Some((_, '\'')) => out.push('\''),
                Some((_, '\\')) => out.push('\\'),
                Some((_, other)) => {
                    return Err(err(
                        i + 1 + off,
                        format!("invalid escape \\{other} in a string (only \\' and \\\\)"),
                    ))
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(err(i, "unterminated string"))
}

fn lex_quoted_identifier(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let mut out = String::new();
    let rest = &text[i + 1..];
    let mut chars = rest.char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if c == '"' {
            if chars.peek().is_some_and(|&(_, d)| d == '"') {
                chars.next();
                out.push('"');
                continue;
            }
            return Ok((Tok::Quoted(out), i + 1 + off + 1));
        }
        out.push(c);
    }
    Err(err(i, "unterminated quoted identifier"))
}

fn lex_number(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let b = text.as_bytes();
    let mut j = i;
    if matches!(b[j], b'+' | b'-') {
        j += 1;
    }
    let digits_start = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if j == digits_start {
        return Err(err(i, "a sign must be followed by digits"));
    }
    let is_float = b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit);
    if is_float {
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let v: f64 = text[i..j].parse().map_err(|_| err(i, "invalid number"))?;
        return Ok((Tok::Float(v), j));
    }
    let v: i64 = text[i..j]
        .parse()
        .map_err(|_| err(i, "integer out of range"))?;
    Ok((Tok::Int(v), j))
}

fn lex_word(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let b = text.as_bytes();
    if b.get(i + 1) == Some(&b'\'') {
        match b[i] {
            b't' => return lex_timestamp(text, i),
            b'h' => return lex_hex(text, i),
            b'b' => return lex_binary(text, i),
            _ => {}
        }
    }
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
        j += 1;
    }
    Ok((Tok::Word(text[i..j].to_string()), j))
}

fn lex_timestamp(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let (s, next) = lex_string(text, i + 1)?;
    let ts = parse_stix_timestamp(&s).ok_or_else(|| {
        err(
            i,
            format!("invalid timestamp t'{s}' (want YYYY-MM-DDTHH:MM:SS[.s]Z)"),
        )
    })?;
    Ok((Tok::Ts(ts), next))
}

/// A STIX timestamp: RFC 3339 in UTC with a `Z`.
pub(crate) fn parse_stix_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 || b.get(10) != Some(&b'T') || !s.ends_with(['Z', 'z']) {
        return None;
    }
    Timestamp::parse_rfc3339(b)
}

fn lex_hex(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let (s, next) = lex_string(text, i + 1)?;
    if s.len() % 2 != 0 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(err(i, "a hex constant needs pairs of hex digits"));
    }
    Ok((Tok::Hex(s), next))
}

fn lex_binary(text: &str, i: usize) -> Result<(Tok, usize), ParseError> {
    let (s, next) = lex_string(text, i + 1)?;
    if !s
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    {
        return Err(err(i, "a binary constant must be base64"));
    }
    Ok((Tok::Bin(s), next))
}

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.at)
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the pattern".into(), Tok::describe)
    }

    fn expected(&self, what: &str) -> ParseError {
        err(
            self.here(),
            format!("expected {what}, found {}", self.found()),
        )
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let yes = self.at_keyword(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.expected(kw))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                self.here(),
                format!("nested more than {MAX_DEPTH} deep"),
            ));
        }
        Ok(())
    }

    fn followed_by(&mut self) -> Result<ObsExpr, ParseError> {
        let first = self.obs_or()?;
        if !self.at_keyword("FOLLOWEDBY") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_keyword("FOLLOWEDBY") {
            items.push(self.obs_or()?);
        }
        Ok(ObsExpr::FollowedBy(items))
    }

    fn obs_or(&mut self) -> Result<ObsExpr, ParseError> {
        let first = self.obs_and()?;
        if !self.at_keyword("OR") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_keyword("OR") {
            items.push(self.obs_and()?);
        }
        Ok(ObsExpr::Or(items))
    }

    fn obs_and(&mut self) -> Result<ObsExpr, ParseError> {
        let first = self.obs_qualified()?;
        if !self.at_keyword("AND") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_keyword("AND") {
            items.push(self.obs_qualified()?);
        }
        Ok(ObsExpr::And(items))
    }

    fn obs_qualified(&mut self) -> Result<ObsExpr, ParseError> {
        let expr = self.obs_primary()?;
        let mut quals = Vec::new();
        loop {
            let q = if self.eat_keyword("WITHIN") {
                let secs = match self.next() {
                    Some(Tok::Int(n)) if n > 0 => n as f64,
                    Some(Tok::Float(f)) if f > 0.0 => f,
                    _ => {
                        return Err(err(
                            self.here(),
                            "WITHIN needs a positive number of seconds",
                        ))
                    }
                };
                self.expect_keyword("SECONDS")?;
                Qualifier::Within(secs)
            } else if self.eat_keyword("REPEATS") {
                let n = match self.next() {
                    Some(Tok::Int(n)) if n > 0 => n.unsigned_abs(),
                    _ => return Err(err(self.here(), "REPEATS needs a positive integer")),
                };
                self.expect_keyword("TIMES")?;
                Qualifier::Repeats(n)
            } else if self.eat_keyword("START") {
                let start = self.qualifier_time()?;
                self.expect_keyword("STOP")?;
                Qualifier::StartStop(start, self.qualifier_time()?)
            } else if quals.is_empty() {
                return Ok(expr);
            } else {
                return Ok(ObsExpr::Qualified(Box::new(expr), quals));
            };
            if quals.len() >= 3 {
                return Err(err(
                    self.here(),
                    "more than three qualifiers on one expression",
                ));
            }
            quals.push(q);
        }
    }

    fn qualifier_time(&mut self) -> Result<Timestamp, ParseError> {
        let at = self.here();
        match self.next() {
            Some(Tok::Ts(t)) => Ok(t),
            // STIX 2.0 wrote START/STOP times as plain strings.
            Some(Tok::Str(s)) => {
                parse_stix_timestamp(&s).ok_or_else(|| err(at, format!("invalid timestamp '{s}'")))
            }
            _ => Err(err(at, "START and STOP need a timestamp t'…'")),
        }
    }

    fn obs_primary(&mut self) -> Result<ObsExpr, ParseError> {
        self.enter()?;
        let expr = match self.peek() {
            Some(Tok::LBrack) => {
                self.pos += 1;
                let c = self.comp_or()?;
                self.expect(&Tok::RBrack, "']' or AND/OR")?;
                ObsExpr::Observation(c)
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.followed_by()?;
                self.expect(&Tok::RParen, "')'")?;
                e
            }
            _ => return Err(self.expected("an observation '[' or '('")),
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn comp_or(&mut self) -> Result<CompExpr, ParseError> {
        let first = self.comp_and()?;
        if !self.at_keyword("OR") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_keyword("OR") {
            items.push(self.comp_and()?);
        }
        Ok(CompExpr::Or(items))
    }

    fn comp_and(&mut self) -> Result<CompExpr, ParseError> {
        let first = self.comp_primary()?;
        if !self.at_keyword("AND") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_keyword("AND") {
            items.push(self.comp_primary()?);
        }
        Ok(CompExpr::And(items))
    }

    fn comp_primary(&mut self) -> Result<CompExpr, ParseError> {
        self.enter()?;
        let expr = if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.comp_or()?;
            self.expect(&Tok::RParen, "')' or AND/OR")?;
            e
        } else {
            CompExpr::Test(self.comparison()?)
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn comparison(&mut self) -> Result<Comparison, ParseError> {
        let is_path_start = matches!(
            self.toks.get(self.pos + 1).map(|t| &t.tok),
            Some(Tok::Colon)
        );
        if !is_path_start {
            let negated = self.eat_keyword("NOT");
            if self.eat_keyword("EXISTS") {
                let path = self.object_path()?;
                return Ok(Comparison {
                    path,
                    negated,
                    op: Op::Exists,
                    value: None,
                });
            }
            if negated {
                return Err(self.expected("EXISTS after NOT"));
            }
        }
        let path = self.object_path()?;
        let negated = self.eat_keyword("NOT");
        let op_at = self.here();
        let op = self.operator()?;
        let value = self.operand(op, op_at)?;
        Ok(Comparison {
            path,
            negated,
            op,
            value: Some(value),
        })
    }

    fn operator(&mut self) -> Result<Op, ParseError> {
        if let Some(Tok::Cmp(op)) = self.peek() {
            let op = *op;
            self.pos += 1;
            return Ok(op);
        }
        let words = [
            ("IN", Op::In),
            ("LIKE", Op::Like),
            ("MATCHES", Op::Matches),
            ("ISSUBSET", Op::IsSubset),
            ("ISSUPERSET", Op::IsSuperset),
        ];
        for (kw, op) in words {
            if self.eat_keyword(kw) {
                return Ok(op);
            }
        }
        Err(self.expected(
            "a comparison operator (=, !=, <, >, <=, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)",
        ))
    }

    fn operand(&mut self, op: Op, op_at: usize) -> Result<Constant, ParseError> {
        let at = self.here();
        match op {
            Op::In => self.set(),
            Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset => match self.next() {
                Some(Tok::Str(s)) => Ok(Constant::Str(s)),
                _ => Err(err(at, format!("{op} needs a string"))),
            },
            Op::Gt | Op::Lt | Op::Ge | Op::Le => match self.literal()? {
                Constant::Bool(_) => Err(err(at, format!("{op} cannot compare booleans"))),
                c => Ok(c),
            },
            Op::Eq | Op::Neq => self.literal(),
            Op::Exists => Err(err(op_at, "EXISTS goes before the object path")),
        }
    }

    fn set(&mut self) -> Result<Constant, ParseError> {
        self.expect(&Tok::LParen, "'(' to open a set")?;
        let mut items = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
            return Ok(Constant::Set(items));
        }
        loop {
            items.push(self.literal()?);
            match self.next() {
                Some(Tok::Comma) => {}
                Some(Tok::RParen) => return Ok(Constant::Set(items)),
                _ => {
                    return Err(err(
                        self.toks
                            .get(self.pos.saturating_sub(1))
                            .map_or(self.end, |t| t.at),
                        "expected ',' or ')' in a set",
                    ))
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Constant, ParseError> {
        let c = match self.peek() {
            Some(Tok::Str(s)) => Constant::Str(s.clone()),
            Some(Tok::Int(n)) => Constant::Int(*n),
            Some(Tok::Float(f)) => Constant::Float(*f),
            Some(Tok::Ts(t)) => Constant::Timestamp(*t),
            Some(Tok::Hex(h)) => Constant::Hex(h.clone()),
            Some(Tok::Bin(b)) => Constant::Binary(b.clone()),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Constant::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Constant::Bool(false),
            _ => return Err(self.expected("a constant")),
        };
        self.pos += 1;
        Ok(c)
    }

    fn object_path(&mut self) -> Result<ObjectPath, ParseError> {
        let object_type = match self.next() {
            Some(Tok::Word(w)) => w,
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.expected("an object path (type:property)"));
            }
        };
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.path_key()?)];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    steps.push(PathStep::Key(self.path_key()?));
                }
                Some(Tok::LBrack) => {
                    self.pos += 1;
                    let idx = match self.next() {
                        Some(Tok::Int(n)) if n >= 0 => Some(n.unsigned_abs()),
                        Some(Tok::Star) => None,
                        _ => {
                            return Err(err(
                                self.toks
                                    .get(self.pos.saturating_sub(1))
                                    .map_or(self.end, |t| t.at),
                                "a list index is a number or '*'",
                            ))
                        }
                    };
                    self.expect(&Tok::RBrack, "']' after a list index")?;
                    steps.push(PathStep::Index(idx));
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn path_key(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Word(w) | Tok::Quoted(w) | Tok::Str(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.expected("a property name")),
        }
    }
}
