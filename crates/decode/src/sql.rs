//! A little SQL, shared by the database audit decoders (MySQL family, SQL
//! Server): a statement's verb ([`sql_operation`]) and its main table
//! ([`sql_table`]), through a small lexer that knows quoting in the MySQL,
//! ANSI and T-SQL styles and skips comments.
//!
//! The pgAudit decoder has its own `table_from_statement`
//! (`postgres/audit.rs`): PostgreSQL's rules differ (it keeps quoted names as
//! written and knows `COPY`, `TRUNCATE` and `ONLY`).

/// SQL verbs reported as `db.operation`, upper case.
const VERBS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "MERGE",
    "UPSERT",
    "CALL",
    "EXECUTE",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "RENAME",
    "GRANT",
    "REVOKE",
    "DENY",
    "SHOW",
    "SET",
    "USE",
    "DESCRIBE",
    "EXPLAIN",
    "LOAD",
    "HANDLER",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "LOCK",
    "UNLOCK",
    "FLUSH",
    "KILL",
    "ANALYZE",
    "OPTIMIZE",
    "BACKUP",
    "RESTORE",
    "BULK",
    "DECLARE",
    "PREPARE",
    "DEALLOCATE",
    "COPY",
    "VALUES",
    "TABLE",
];

pub(crate) fn verb(word: &str) -> Option<&'static str> {
    if word.eq_ignore_ascii_case("EXEC") {
        return Some("EXECUTE");
    }
    if word.eq_ignore_ascii_case("DESC") {
        return Some("DESCRIBE");
    }
    VERBS.iter().copied().find(|v| v.eq_ignore_ascii_case(word))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    /// A keyword or bare identifier.
    Word(&'a str),
    /// A quoted identifier (`` `x` ``, `[x]`, `"x"`), without its quotes.
    Quoted(&'a str),
    /// A string or other literal.
    Literal,
    /// One punctuation byte (0 for non-ASCII characters).
    Punct(u8),
}

/// Tokens of a SQL statement, skipping whitespace and comments.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer { s, pos: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        self.s.as_bytes().get(self.pos..).unwrap_or(&[])
    }

    /// Byte index of `end` at or after `from`, or the end of the text.
    fn find_from(&self, from: usize, end: &[u8]) -> usize {
        let hay = self.s.as_bytes().get(from..).unwrap_or(&[]);
        memchr::memmem::find(hay, end).map_or(self.s.len(), |i| from + i)
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            let r = self.rest();
            match r {
                [c, ..] if c.is_ascii_whitespace() => self.pos += 1,
                [b'-', b'-', ..] | [b'#', ..] => {
                    self.pos = self.find_from(self.pos, b"\n");
                }
                [b'/', b'*', ..] => {
                    self.pos = (self.find_from(self.pos + 2, b"*/") + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn quoted(&mut self, close: u8) -> &'a str {
        let start = self.pos + 1;
        let end = self.find_from(start, &[close]);
        self.pos = (end + 1).min(self.s.len());
        self.s.get(start..end).unwrap_or("")
    }

    fn next_tok(&mut self) -> Option<Tok<'a>> {
        self.skip_space_and_comments();
        let &c = self.rest().first()?;
        let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'@' | b'#');
        Some(match c {
            b'`' => Tok::Quoted(self.quoted(b'`')),
            b'[' => Tok::Quoted(self.quoted(b']')),
            b'"' => Tok::Quoted(self.quoted(b'"')),
            b'\'' => {
                // A string literal: `''` and `\'` do not end it.
                let b = self.s.as_bytes();
                let mut i = self.pos + 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => break,
                        _ => i += 1,
                    }
                }
                self.pos = (i + 1).min(b.len());
                Tok::Literal
            }
            c if word(c) => {
                let start = self.pos;
                let n = self.rest().iter().take_while(|&&b| word(b)).count();
                self.pos += n;
                Tok::Word(self.s.get(start..self.pos).unwrap_or(""))
            }
            c if c.is_ascii() => {
                self.pos += 1;
                Tok::Punct(c)
            }
            _ => {
                let n = self
                    .s
                    .get(self.pos..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                self.pos += n;
                Tok::Punct(0)
            }
        })
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Tok<'a>;
    fn next(&mut self) -> Option<Tok<'a>> {
        self.next_tok()
    }
}

/// Tokens at parenthesis depth 0; a parenthesized group shows as its
/// opening `(` alone.
fn top_level(stmt: &str) -> impl Iterator<Item = Tok<'_>> + '_ {
    let mut depth = 0usize;
    Lexer::new(stmt).filter(move |t| match t {
        Tok::Punct(b'(') => {
            depth += 1;
            depth == 1
        }
        Tok::Punct(b')') => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

/// The statement's operation (`SELECT`, `INSERT`, …), upper case; a `WITH`
/// query is the verb after its common table expressions.
pub(crate) fn sql_operation(stmt: &str) -> Option<&'static str> {
    let first = Lexer::new(stmt).find(|t| *t != Tok::Punct(b'('))?;
    let Tok::Word(w) = first else { return None };
    if w.eq_ignore_ascii_case("WITH") {
        return top_level(stmt).skip(1).find_map(|t| match t {
            Tok::Word(w) => ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]
                .iter()
                .copied()
                .find(|v| v.eq_ignore_ascii_case(w)),
            _ => None,
        });
    }
    verb(w)
}

/// The main table of a simple statement: after `FROM` (SELECT, DELETE),
/// `INTO` (INSERT, REPLACE, MERGE) or `UPDATE`; qualified names are joined
/// with `.` and unquoted (`[ehr].[dbo].[patients]` → `ehr.dbo.patients`).
pub(crate) fn sql_table(stmt: &str) -> Option<String> {
    let op = sql_operation(stmt)?;
    let mut toks = top_level(stmt).peekable();
    // Move past the verb (for WITH, past the CTEs to the main verb).
    toks.find(|t| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(op)))?;
    let is = |t: &Tok<'_>, kw: &str| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw));
    let mut toks = std::iter::from_fn(move || {
        let t = toks.next()?;
        // `TOP (n)`: the group is part of the clause, not a derived table.
        if is(&t, "TOP") && toks.peek() == Some(&Tok::Punct(b'(')) {
            toks.next();
        }
        Some(t)
    })
    .peekable();
    match op {
        "SELECT" => {
            toks.find(|t| is(t, "FROM"))?;
        }
        "DELETE" => {
            // `DELETE FROM t`, `DELETE t WHERE …` (T-SQL), `DELETE LOW_PRIORITY FROM t`.
            while toks
                .peek()
                .is_some_and(|t| ["LOW_PRIORITY", "QUICK", "IGNORE"].iter().any(|k| is(t, k)))
            {
                toks.next();
            }
            if toks.peek().is_some_and(|t| is(t, "FROM")) {
                toks.next();
            } else if toks.peek().is_some_and(|t| is(t, "TOP")) {
                toks.find(|t| is(t, "FROM"))?;
            }
        }
        "INSERT" | "REPLACE" | "MERGE" => {
            while toks.peek().is_some_and(|t| {
                ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "TOP"]
                    .iter()
                    .any(|k| is(t, k))
                    || matches!(t, Tok::Literal)
            }) {
                toks.next();
            }
            if toks.peek().is_some_and(|t| is(t, "INTO")) {
                toks.next();
            }
        }
        "UPDATE" => {
            while toks
                .peek()
                .is_some_and(|t| ["LOW_PRIORITY", "IGNORE", "TOP"].iter().any(|k| is(t, k)))
            {
                toks.next();
            }
        }
        _ => return None,
    }
    let mut name = String::new();
    loop {
        match toks.next()? {
            Tok::Word(w) if !name.is_empty() || verb(w).is_none() => name.push_str(w),
            Tok::Quoted(q) => name.push_str(q),
            _ => return None,
        }
        if toks.peek() == Some(&Tok::Punct(b'.')) {
            toks.next();
            name.push('.');
        } else {
            break;
        }
    }
    (!name.is_empty() && !name.eq_ignore_ascii_case("DUAL")).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_tables() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("SELECT * FROM patients", Some("SELECT"), Some("patients")),
            (
                "select p.* from `ehr`.`patients` p join visits v on 1",
                Some("SELECT"),
                Some("ehr.patients"),
            ),
            (
                "SELECT TOP 100 * FROM [ehr].[dbo].[patients] WHERE x = 'a,b'",
                Some("SELECT"),
                Some("ehr.dbo.patients"),
            ),
            (
                "/* c */ INSERT INTO ehr.notes (id) VALUES (1)",
                Some("INSERT"),
                Some("ehr.notes"),
            ),
            ("UPDATE LOW_PRIORITY t1 SET a=1", Some("UPDATE"), Some("t1")),
            ("DELETE FROM x WHERE id=1", Some("DELETE"), Some("x")),
            (
                "DELETE patients WHERE id=1",
                Some("DELETE"),
                Some("patients"),
            ),
            (
                "WITH c AS (SELECT * FROM a) SELECT * FROM c",
                Some("SELECT"),
                Some("c"),
            ),
            (
                "WITH c AS (SELECT * FROM a) DELETE FROM b",
                Some("DELETE"),
                Some("b"),
            ),
            ("SELECT (SELECT 1 FROM a) FROM b", Some("SELECT"), Some("b")),
            ("SELECT * FROM (SELECT 1) x", Some("SELECT"), None),
            ("UPDATE TOP (10) t SET a = 1", Some("UPDATE"), Some("t")),
            (
                "INSERT INTO t (a, b) SELECT a, b FROM u",
                Some("INSERT"),
                Some("t"),
            ),
            ("SELECT 1", Some("SELECT"), None),
            ("SELECT 1 FROM DUAL", Some("SELECT"), None),
            ("exec dbo.usp_export @n = 5", Some("EXECUTE"), None),
            ("SHOW VARIABLES", Some("SHOW"), None),
            ("Login failed for user 'x'.", None, None),
            ("", None, None),
            ("'unterminated", None, None),
            ("SELECT * FROM /* unterminated", Some("SELECT"), None),
        ];
        for (stmt, op, table) in cases {
            assert_eq!(sql_operation(stmt), *op, "{stmt}");
            assert_eq!(sql_table(stmt).as_deref(), *table, "{stmt}");
        }
    }
}
