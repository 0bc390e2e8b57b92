//! The pgAudit `AUDIT:` payload: `AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,
//! CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]`.

use std::borrow::Cow;

use crate::csv;
use crate::{DecodeError, ErrorKind};

/// One parsed audit record.
#[derive(Debug)]
pub(crate) struct Audit<'a> {
    pub audit_type: Cow<'a, str>,
    pub statement_id: i64,
    pub substatement_id: i64,
    pub class: Cow<'a, str>,
    pub command: Cow<'a, str>,
    pub object_type: Cow<'a, str>,
    pub object_name: Cow<'a, str>,
    pub statement: Cow<'a, str>,
    pub parameter: Cow<'a, str>,
    pub rows: Option<i64>,
}

/// The marker that starts a pgAudit message.
pub(crate) const MARKER: &str = "AUDIT: ";

/// Placeholders pgAudit writes instead of a statement or parameters.
pub(crate) fn is_placeholder(s: &str) -> bool {
    matches!(s, "<not logged>" | "<none>" | "<previously logged>" | "")
}

fn int(s: &str, field: &str) -> Result<i64, DecodeError> {
    s.parse()
        .map_err(|_| crate::json::type_error(field, "an integer"))
}

/// Parses the payload after `AUDIT: `.
pub(crate) fn parse<'a>(
    payload: &'a str,
    scratch: &mut Vec<csv::Field>,
) -> Result<Audit<'a>, DecodeError> {
    csv::split(payload, scratch)
        .map_err(|why| DecodeError::new(ErrorKind::Syntax, format!("pgAudit record: {why}")))?;
    let n = scratch.len();
    if !(9..=10).contains(&n) {
        return Err(DecodeError::new(
            ErrorKind::Schema,
            format!("pgAudit record: expected 9 or 10 fields, found {n}"),
        ));
    }
    let f = |i: usize| scratch.get(i).map(|f| f.text(payload)).unwrap_or_default();
    let audit_type = f(0);
    if !matches!(&*audit_type, "SESSION" | "OBJECT") {
        return Err(DecodeError::new(
            ErrorKind::Value,
            "pgAudit field `audit_type`: expected SESSION or OBJECT",
        ));
    }
    let rows = match scratch.get(9) {
        Some(r) => Some(int(&r.text(payload), "rows")?),
        None => None,
    };
    Ok(Audit {
        audit_type,
        statement_id: int(&f(1), "statement_id")?,
        substatement_id: int(&f(2), "substatement_id")?,
        class: f(3),
        command: f(4),
        object_type: f(5),
        object_name: f(6),
        statement: f(7),
        parameter: f(8),
        rows,
    })
}

/// Whether an object type names a relation whose name is a table name.
pub(crate) fn is_relation(object_type: &str) -> bool {
    matches!(
        object_type,
        "TABLE"
            | "VIEW"
            | "MATERIALIZED VIEW"
            | "FOREIGN TABLE"
            | "PARTITIONED TABLE"
            | "TOAST TABLE"
    )
}

/// Words of a statement: skips whitespace and `--` / `/* */` comments;
/// yields tokens, keeping double-quoted identifiers whole.
struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn skip_space(&mut self) {
        let b = self.s.as_bytes();
        loop {
            while b.get(self.pos).is_some_and(|c| c.is_ascii_whitespace()) {
                self.pos += 1;
            }
            if b.get(self.pos..self.pos + 2) == Some(b"--") {
                let rest = b.get(self.pos..).unwrap_or(&[]);
                self.pos += memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            } else if b.get(self.pos..self.pos + 2) == Some(b"/*") {
                let rest = b.get(self.pos + 2..).unwrap_or(&[]);
                self.pos += 2 + memchr::memmem::find(rest, b"*/").map_or(rest.len(), |e| e + 2);
            } else {
                return;
            }
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.skip_space();
        let b = self.s.as_bytes();
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        if matches!(b[start], b'(' | b')' | b',' | b';') {
            self.pos += 1;
            return self.s.get(start..self.pos);
        }
        let mut i = start;
        while let Some(&c) = b.get(i) {
            if c == b'"' {
                i += 1 + memchr::memchr(b'"', b.get(i + 1..).unwrap_or(&[]))
                    .map_or(b.len(), |q| q + 1);
                continue;
            }
            if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',' | b';') {
                break;
            }
            i += 1;
        }
        self.pos = i.min(b.len());
        self.s.get(start..self.pos)
    }
}

fn is_name(w: &str) -> bool {
    !w.is_empty() && !matches!(w, "(" | ")" | "," | ";") && !w.starts_with('$')
}

/// The first table a simple statement reads or writes: `COPY t [(…)] TO`,
/// `INSERT INTO t`, `UPDATE [ONLY] t`, `DELETE FROM [ONLY] t`,
/// `TRUNCATE [TABLE] [ONLY] t`, `SELECT … FROM t`. `None` when the
/// statement is not one of those or the source is a subquery.
pub(crate) fn table_from_statement(stmt: &str) -> Option<&str> {
    let mut w = Words { s: stmt, pos: 0 };
    let first = w.next()?;
    let kw = |x: &str, k: &str| x.eq_ignore_ascii_case(k);
    let mut name = match first {
        f if kw(f, "COPY") => w.next()?,
        f if kw(f, "INSERT") => {
            if !kw(w.next()?, "INTO") {
                return None;
            }
            w.next()?
        }
        f if kw(f, "UPDATE") => w.next()?,
        f if kw(f, "DELETE") => {
            if !kw(w.next()?, "FROM") {
                return None;
            }
            w.next()?
        }
        f if kw(f, "TRUNCATE") => {
            let n = w.next()?;
            if kw(n, "TABLE") {
                w.next()?
            } else {
                n
            }
        }
        f if kw(f, "SELECT") => {
            let mut depth = 0usize;
            loop {
                let t = w.next()?;
                match t {
                    "(" => depth += 1,
                    ")" => depth = depth.saturating_sub(1),
                    t if depth == 0 && kw(t, "FROM") => break w.next()?,
                    _ => {}
                }
            }
        }
        _ => return None,
    };
    if kw(name, "ONLY") {
        name = w.next()?;
    }
    let name = name.strip_suffix('*').unwrap_or(name);
    is_name(name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_payloads() {
        let mut s = Vec::new();
        let a = parse(
            "SESSION,12,1,READ,SELECT,TABLE,public.account,\"PREPARE p (oid) AS\nSELECT *\n  FROM account\n WHERE id = $1\",1",
            &mut s,
        )
        .unwrap();
        assert_eq!(a.statement_id, 12);
        assert_eq!(a.object_name, "public.account");
        assert_eq!(a.parameter, "1");
        assert_eq!(a.rows, None);
        let a = parse(
            "SESSION,6,1,MISC,SET,,,SET pgaudit.log_rows = on,<none>,0",
            &mut s,
        )
        .unwrap();
        assert_eq!(a.rows, Some(0));
        assert!(parse("SESSION,x,1,MISC,SET,,,S,<none>", &mut s).is_err());
        assert!(parse("SESSION,1,1,MISC", &mut s).is_err());
        assert!(parse("BOGUS,1,1,MISC,SET,,,S,<none>", &mut s).is_err());
    }

    #[test]
    fn tables_from_statements() {
        let t = table_from_statement;
        assert_eq!(
            t("COPY public.patients (id, name, dob) TO stdout;"),
            Some("public.patients")
        );
        assert_eq!(t("copy ehr.notes to '/tmp/x'"), Some("ehr.notes"));
        assert_eq!(t("COPY (SELECT 1) TO stdout"), None);
        assert_eq!(t("insert into t1 values (1)"), Some("t1"));
        assert_eq!(t("UPDATE ONLY \"My T\" SET a = 1"), Some("\"My T\""));
        assert_eq!(t("DELETE FROM x.y WHERE 1"), Some("x.y"));
        assert_eq!(t("TRUNCATE TABLE ONLY a"), Some("a"));
        assert_eq!(t("select count(*) from (select 1) s"), None);
        assert_eq!(
            t("SELECT a, (SELECT 1 FROM z) FROM ehr.patients WHERE 1"),
            Some("ehr.patients")
        );
        assert_eq!(t("/* c */ SELECT 1"), None);
        assert_eq!(t("VACUUM"), None);
        assert_eq!(t(""), None);
    }
}
