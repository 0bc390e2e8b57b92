//! A small RFC 4180 splitter, shared by the PostgreSQL decoders (csvlog
//! records, pgAudit payloads) and the SQL Server audit CSV decoder.

use std::borrow::Cow;
use std::fmt;

/// One field of a split record: its byte range and whether it holds
/// doubled quotes to undo.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    start: usize,
    end: usize,
    escaped: bool,
}

impl Field {
    /// The field's text in `s` (the record it was split from).
    pub(crate) fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let raw = s.get(self.start..self.end).unwrap_or("");
        if self.escaped {
            Cow::Owned(raw.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(raw)
        }
    }
}

/// What was wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// A quoted field has no closing quote.
    Unterminated,
    /// A closing quote is followed by something other than a comma.
    TextAfterQuote,
    /// A quote stands inside an unquoted field.
    QuoteInUnquoted,
}

impl Problem {
    /// A short description.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Problem::Unterminated => "unterminated quoted field",
            Problem::TextAfterQuote => "text after a closing quote",
            Problem::QuoteInUnquoted => "quote inside an unquoted field",
        }
    }
}

/// A record that is not well-formed CSV: the problem and its column (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub(crate) column: usize,
    pub(crate) problem: Problem,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.problem.as_str())
    }
}

/// Splits `s` into `out` (cleared first). A quote must open a field and
/// close it just before a comma or the end; the error says what was wrong
/// and where.
pub(crate) fn split(s: &str, out: &mut Vec<Field>) -> Result<(), CsvError> {
    out.clear();
    let b = s.as_bytes();
    let mut pos = 0;
    let err = |out: &Vec<Field>, problem| CsvError {
        column: out.len() + 1,
        problem,
    };
    loop {
        if b.get(pos) == Some(&b'"') {
            let start = pos + 1;
            let mut i = start;
            let mut escaped = false;
            let end = loop {
                match memchr::memchr(b'"', b.get(i..).unwrap_or(&[])) {
                    None => return Err(err(out, Problem::Unterminated)),
                    Some(q) => {
                        let q = i + q;
                        if b.get(q + 1) == Some(&b'"') {
                            escaped = true;
                            i = q + 2;
                        } else {
                            break q;
                        }
                    }
                }
            };
            out.push(Field {
                start,
                end,
                escaped,
            });
            pos = end + 1;
            match b.get(pos) {
                None => return Ok(()),
                Some(b',') => pos += 1,
                Some(_) => {
                    // The field is already pushed: it is the last one.
                    return Err(CsvError {
                        column: out.len(),
                        problem: Problem::TextAfterQuote,
                    });
                }
            }
        } else {
            let rest = b.get(pos..).unwrap_or(&[]);
            let len = memchr::memchr(b',', rest).unwrap_or(rest.len());
            if memchr::memchr(b'"', &rest[..len]).is_some() {
                return Err(err(out, Problem::QuoteInUnquoted));
            }
            out.push(Field {
                start: pos,
                end: pos + len,
                escaped: false,
            });
            pos += len;
            if pos >= b.len() {
                return Ok(());
            }
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &str) -> Result<Vec<String>, CsvError> {
        let mut v = Vec::new();
        split(s, &mut v)?;
        Ok(v.iter().map(|f| f.text(s).into_owned()).collect())
    }

    #[test]
    fn splits() {
        assert_eq!(fields("a,,b").unwrap(), ["a", "", "b"]);
        assert_eq!(fields("a,").unwrap(), ["a", ""]);
        assert_eq!(fields("").unwrap(), [""]);
        assert_eq!(
            fields("\"x, \"\"y\"\"\nz\",1").unwrap(),
            ["x, \"y\"\nz", "1"]
        );
        assert_eq!(fields("\"\",\"a\"").unwrap(), ["", "a"]);
        assert!(fields("\"abc").is_err());
        assert!(fields("\"a\"b,c").is_err());
        assert!(fields("a\"b").is_err());
    }

    #[test]
    fn errors_name_their_column() {
        let mut v = Vec::new();
        let col = |s: &str, v: &mut Vec<Field>| split(s, v).map_err(|e| (e.column, e.problem));
        assert_eq!(col("a,\"b", &mut v), Err((2, Problem::Unterminated)));
        assert_eq!(col("a,b,\"c\"d", &mut v), Err((3, Problem::TextAfterQuote)));
        assert_eq!(col("a\"b", &mut v), Err((1, Problem::QuoteInUnquoted)));
    }
}
