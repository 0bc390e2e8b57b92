//! Just enough SQL for the scope truth: the table a read names, and the
//! patients its `WHERE` names. It reads the statements this generator
//! writes (and their obvious variants), not SQL at large: a clause it does
//! not understand makes the read a bulk read, never a smaller one.

/// The keys that name a patient in a `WHERE`.
const PATIENT_KEYS: &[&str] = &["patient_id", "id"];

/// The table a reading statement names: the one after `COPY` (`COPY
/// ehr.patients TO stdout`), else the first after `FROM`. Lowercase.
pub(crate) fn named_table(statement: &str) -> Option<String> {
    let lower = statement.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_ascii_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let after = |kw: &str| -> Option<String> {
        let i = words.iter().position(|w| *w == kw)?;
        let next = words.get(i + 1)?;
        let name = next.trim_end_matches(')');
        (!name.is_empty() && !name.starts_with('(')).then(|| name.to_string())
    };
    if words.first() == Some(&"copy") {
        if let Some(t) = after("copy") {
            return Some(t);
        }
    }
    after("from")
}

/// The patients a statement's `WHERE` names by key (`patient_id = 'pt-1'`,
/// `id = 'pt-1'`, `patient_id IN ('pt-1', 'pt-2')`, keys possibly qualified
/// as `c.patient_id`), or `None` when it names none: no `WHERE`, a `WHERE`
/// on other columns only, or one with an `OR` (which could reach beyond
/// the named patients). A `None` read is a bulk read.
pub(crate) fn where_patients(statement: &str) -> Option<Vec<String>> {
    let lower = statement.to_ascii_lowercase();
    let start = keyword(&lower, "where")? + "where".len();
    let tail = lower.get(start..)?;
    let end = ["order by", "group by", "limit", "offset", "returning", ";"]
        .iter()
        .filter_map(|k| keyword(tail, k).map(|i| start + i))
        .min()
        .unwrap_or(lower.len());
    let (clause, clause_lower) = (statement.get(start..end)?, lower.get(start..end)?);
    if keyword(clause_lower, "or").is_some() {
        return None;
    }
    let mut ids = Vec::new();
    let mut keyed = false;
    let mut rest = (clause, clause_lower);
    loop {
        let cut = keyword(rest.1, "and");
        let (c, cl) = match cut {
            Some(i) => (rest.0.get(..i)?, rest.1.get(..i)?),
            None => rest,
        };
        if let Some(found) = conjunct(c, cl) {
            keyed = true;
            ids.extend(found);
        }
        match cut {
            Some(i) => rest = (rest.0.get(i + 3..)?, rest.1.get(i + 3..)?),
            None => break,
        }
    }
    (keyed && !ids.is_empty()).then_some(ids)
}

/// The literal ids of one conjunct comparing a patient key, if it is one.
fn conjunct(c: &str, lower: &str) -> Option<Vec<String>> {
    let t = lower.trim_start();
    let key_end = t
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' || ch == '"'))
        .unwrap_or(t.len());
    let key = t.get(..key_end)?.replace('"', "");
    let key = key.rsplit('.').next().unwrap_or("");
    if !PATIENT_KEYS.contains(&key) {
        return None;
    }
    let offset = lower.len() - t.len() + key_end;
    let (op, op_lower) = (
        c.get(offset..)?.trim_start(),
        lower.get(offset..)?.trim_start(),
    );
    if let Some(v) = op.strip_prefix('=') {
        let (lit, tail) = literal(v.trim_start())?;
        return tail.trim().is_empty().then(|| vec![lit]);
    }
    if op_lower.starts_with("in") {
        let list = op.get(2..)?.trim_start().strip_prefix('(')?;
        let (inner, tail) = list.split_once(')')?;
        if !tail.trim().is_empty() {
            return None;
        }
        return inner
            .split(',')
            .map(|x| {
                let (lit, tail) = literal(x.trim())?;
                tail.trim().is_empty().then_some(lit)
            })
            .collect();
    }
    None
}

/// A single-quoted literal at the start of `s` (with `''` as a quote) and
/// what follows it.
fn literal(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == '\'' {
            if chars.peek().map(|&(_, c)| c) == Some('\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            return Some((out, body.get(i + 1..)?));
        }
        out.push(ch);
    }
    None
}

/// The byte offset of `kw` in `s` outside quoted literals, as a whole word
/// (neither neighbour a letter, digit or `_`) when `kw` is made of letters.
fn keyword(s: &str, kw: &str) -> Option<usize> {
    let b = s.as_bytes();
    let letters = kw.bytes().all(|c| c.is_ascii_alphabetic() || c == b' ');
    let word = |i: usize| {
        letters
            && b.get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            quoted = !quoted;
        } else if !quoted
            && s.get(i..).is_some_and(|r| r.starts_with(kw))
            && (i == 0 || !word(i - 1))
            && !word(i + kw.len())
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table(stmt: &str, want: Option<&str>) {
        assert_eq!(named_table(stmt).as_deref(), want, "{stmt}");
    }

    fn check_where(stmt: &str, want: Option<&[&str]>) {
        let got = where_patients(stmt);
        let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(got, want, "{stmt}");
    }

    #[test]
    fn tables() {
        check_table("COPY ehr.patients TO stdout;", Some("ehr.patients"));
        check_table(
            "copy ehr.patients (id, ssn) to stdout",
            Some("ehr.patients"),
        );
        check_table(
            "COPY (SELECT * FROM ehr.notes) TO stdout",
            Some("ehr.notes"),
        );
        check_table("SELECT * FROM ehr.encounters", Some("ehr.encounters"));
        check_table(
            "SELECT id, name FROM ehr.patients ORDER BY id LIMIT 10 OFFSET 0",
            Some("ehr.patients"),
        );
        check_table("select 1", None);
        check_table("SELECT * FROM", None);
        check_table("", None);
    }

    #[test]
    fn patients_named_by_a_where() {
        check_where(
            "SELECT * FROM ehr.patients WHERE patient_id = 'pt-0000007'",
            Some(&["pt-0000007"]),
        );
        check_where(
            "SELECT claim_id FROM billing.claims WHERE patient_id = 'pt-1' ORDER BY service_date DESC",
            Some(&["pt-1"]),
        );
        check_where(
            "select * from ehr.patients where id='pt-2';",
            Some(&["pt-2"]),
        );
        check_where(
            "SELECT * FROM ehr.patients p WHERE p.id IN ('pt-1', 'pt-2','pt-3') LIMIT 3",
            Some(&["pt-1", "pt-2", "pt-3"]),
        );
        check_where(
            "SELECT * FROM ehr.notes WHERE patient_id = 'pt-4' AND kind = 'progress'",
            Some(&["pt-4"]),
        );
        check_where(
            "SELECT * FROM ehr.notes WHERE kind = 'a or b' AND \"patient_id\" = 'pt-5'",
            Some(&["pt-5"]),
        );
        check_where("SELECT * FROM t WHERE id = 'it''s'", Some(&["it's"]));
    }

    #[test]
    fn bulk_reads() {
        // No WHERE, a WHERE on other columns, an OR, a key compared to
        // something else than literals, an unterminated literal.
        for stmt in [
            "SELECT id, name, dob, ssn FROM ehr.patients ORDER BY id LIMIT 500 OFFSET 1000",
            "COPY ehr.patients TO stdout;",
            "SELECT * FROM ehr.encounters",
            "SELECT claim_id, status, payer FROM billing.claims WHERE status = 'denied' AND service_date > now() - interval '30 days'",
            "SELECT * FROM ehr.patients WHERE patient_id = 'pt-1' OR 1=1",
            "SELECT * FROM ehr.patients WHERE patient_id = patient_id",
            "SELECT * FROM ehr.patients WHERE patient_id > 'pt-1'",
            "SELECT * FROM ehr.patients WHERE patient_id IN (SELECT x FROM y)",
            "SELECT * FROM ehr.patients WHERE patient_id = 'pt-1",
            "SELECT * FROM ehr.patients WHERE identity = 'pt-1'",
            "SELECT * FROM ehr.patients WHERE patient_id IN ()",
        ] {
            check_where(stmt, None);
        }
    }
}
