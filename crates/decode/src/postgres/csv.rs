//! A small RFC 4180 splitter for csvlog records and pgAudit payloads.

use std::borrow::Cow;

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

/// Splits `s` into `out` (cleared first). A quote must open a field and
/// close it just before a comma or the end; the error says what was wrong.
pub(crate) fn split(s: &str, out: &mut Vec<Field>) -> Result<(), &'static str> {
    out.clear();
    let b = s.as_bytes();
    let mut pos = 0;
    loop {
        if b.get(pos) == Some(&b'"') {
            let start = pos + 1;
            let mut i = start;
            let mut escaped = false;
            let end = loop {
                match memchr::memchr(b'"', b.get(i..).unwrap_or(&[])) {
                    None => return Err("unterminated quoted field"),
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
                Some(_) => return Err("text after a closing quote"),
            }
        } else {
            let rest = b.get(pos..).unwrap_or(&[]);
            let len = memchr::memchr(b',', rest).unwrap_or(rest.len());
            if memchr::memchr(b'"', &rest[..len]).is_some() {
                return Err("quote inside an unquoted field");
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

    fn fields(s: &str) -> Result<Vec<String>, &'static str> {
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
}
