//! The data-access ledger: one [`Access`] per event that touched a silo of
//! the inventory, with the patients it names or the bulk flag.
//!
//! Which patients an access touches:
//! - **records**: the event names them: FHIR/API patient ids
//!   (`phiwatch.patient.ids`, from `Patient/123` references and paths), or
//!   a SQL `WHERE` comparing a key column (`id`, `patient_id`, `mrn`, …) to
//!   literals (`= 'pt-1'`, `IN ('pt-1', 'pt-2')`);
//! - **bulk**: a read of the whole silo: SQL without `WHERE` (paged or
//!   not), `COPY … TO`, a FHIR `$export`, an object or file read: every
//!   patient of the silo counts (HIPAA presumes the worst the logs allow);
//!   A read filtered on something else (`WHERE status = 'denied'`) is
//!   bulk too, marked `filtered`: its rows cannot be tied to patients, so
//!   the whole silo counts and the report says why;
//! - **unresolved**: an API search or read that names no patients (and is
//!   not a bulk `$export`): counted apart and shown for review, never
//!   silently added or dropped.
//!
//! Failed accesses (HTTP status 400 and above, `event.outcome: failure`)
//! are not accesses.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Key, Timestamp, ValueRef};
use phiwatch_inventory::Inventory;
use serde::{Deserialize, Serialize};

/// How much of a silo an access covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The patients in [`Access::records`].
    Records,
    /// Every patient of the silo.
    Bulk,
    /// Rows that cannot be tied to patients.
    Unresolved,
}

/// One access to a silo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// When.
    #[serde(with = "phiwatch_finding::rfc3339")]
    pub time: Timestamp,
    /// The silo's name.
    pub silo: String,
    /// What was done (`SELECT`, `COPY`, `read`, `search-type`, `$export`,
    /// `GetObject`, …).
    pub action: String,
    /// The account, when the log names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The client address, when the log gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The host, when the log names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Records, bulk or unresolved.
    pub reach: Reach,
    /// A bulk read that had a filter the logs cannot tie to patients.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub filtered: bool,
    /// The patient ids named (with [`Reach::Records`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// Rows or resources returned, when the log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Bytes returned, when the log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The record behind it (`path:line`).
    pub source: String,
}

/// A field's text, when it has some (`-` is a log's way of saying none).
pub(crate) fn text(ev: &Event, key: Key) -> Option<&str> {
    match ev.get(key)? {
        ValueRef::Str(s) if !s.is_empty() && s != "-" => Some(s),
        _ => None,
    }
}

fn number(ev: &Event, key: Key) -> Option<u64> {
    ev.get(key)
        .and_then(|v| v.as_i64())
        .and_then(|n| u64::try_from(n).ok())
}

/// Whether the event reports a failed request.
fn failed(ev: &Event) -> bool {
    if let Some(status) = ev
        .get(keys::HTTP_RESPONSE_STATUS_CODE)
        .and_then(|v| v.as_i64())
    {
        return status >= 400;
    }
    text(ev, keys::EVENT_OUTCOME) == Some("failure")
}

/// The patient ids an event names.
fn patient_ids(ev: &Event) -> Vec<String> {
    match ev.get(keys::PATIENT_IDS) {
        Some(ValueRef::List(l)) => l
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(ValueRef::Str(s)) if !s.trim().is_empty() && s.trim() != "-" => {
            vec![s.trim().to_string()]
        }
        _ => Vec::new(),
    }
}

/// The ledger entry of `ev`, when it touched a silo; `source` is its
/// `path:line`.
pub fn access_of(ev: &Event, inv: &Inventory, source: impl FnOnce() -> String) -> Option<Access> {
    let silo = inv.silos.get(inv.silo_of(ev)?)?;
    if failed(ev) {
        return None;
    }
    let statement = text(ev, keys::DB_STATEMENT);
    let operation = text(ev, keys::DB_OPERATION);
    let action = operation
        .or_else(|| text(ev, keys::EVENT_ACTION))
        .unwrap_or("access")
        .to_string();
    if statement.is_some() && !is_read(operation, statement) {
        // Writes and schema changes disclose nothing.
        return None;
    }
    if statement.is_none() && !is_read_request(ev, &action) {
        // Uploads, updates and deletions disclose nothing either.
        return None;
    }
    let ids = patient_ids(ev);
    let mut filtered = false;
    let (reach, records) = if !ids.is_empty() {
        (Reach::Records, ids)
    } else if let Some(sql) = statement {
        match sql_reach(sql) {
            SqlReach::Keys(ids) => (Reach::Records, ids),
            SqlReach::All => (Reach::Bulk, Vec::new()),
            SqlReach::Filtered => {
                filtered = true;
                (Reach::Bulk, Vec::new())
            }
        }
    } else {
        let path = text(ev, keys::URL_PATH).unwrap_or("");
        let bulk_api = action.contains("export") || path.contains("$export");
        match silo.kind {
            phiwatch_inventory::SiloKind::Api if !bulk_api => (Reach::Unresolved, Vec::new()),
            _ => (Reach::Bulk, Vec::new()),
        }
    };
    let user = text(ev, keys::USER_NAME)
        .or_else(|| text(ev, keys::DB_USER))
        .map(str::to_string);
    let ip = [keys::CLIENT_IP, keys::SOURCE_IP]
        .into_iter()
        .find_map(|k| ev.get(k).and_then(|v| v.as_ip()));
    let host = text(ev, keys::HOST_NAME).map(str::to_string);
    Some(Access {
        time: ev.time(),
        silo: silo.name.clone(),
        action,
        user,
        ip,
        host,
        reach,
        filtered,
        records,
        rows: number(ev, keys::DB_RESPONSE_RETURNED_ROWS),
        bytes: number(ev, keys::PHIWATCH_OBJECT_BYTES_OUT)
            .or_else(|| number(ev, keys::HTTP_RESPONSE_BODY_BYTES)),
        source: source(),
    })
}

/// Whether a request that is not SQL reads data: an object-store `Get…`
/// or `SelectObjectContent`, an HTTP `GET` or `POST` search/operation, a
/// FHIR interaction other than create, update, patch and delete, a file
/// access that is not a write.
fn is_read_request(ev: &Event, action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    if ev.get(keys::PHIWATCH_OBJECT_BUCKET).is_some() {
        return a.starts_with("get") || a == "selectobjectcontent";
    }
    if let Some(m) = text(ev, keys::HTTP_REQUEST_METHOD) {
        let path = text(ev, keys::URL_PATH).unwrap_or("");
        return match m.to_ascii_uppercase().as_str() {
            "GET" => true,
            "POST" => path.contains("_search") || path.contains('$'),
            _ => false,
        };
    }
    !matches!(
        a.as_str(),
        "create"
            | "update"
            | "patch"
            | "delete"
            | "write"
            | "put"
            | "putobject"
            | "deleteobject"
            | "rename"
            | "modify"
            | "moved"
            | "deleted"
            | "created"
            | "modified"
            | "renamed"
    ) && !a.contains("write")
}

/// Whether a statement reads data (SELECT, COPY … TO, a read class).
fn is_read(operation: Option<&str>, statement: Option<&str>) -> bool {
    let op = operation.unwrap_or("").to_ascii_uppercase();
    match op.as_str() {
        "SELECT" | "FETCH" | "SHOW" => true,
        "COPY" => {
            // `COPY t TO …` reads; `COPY t FROM …` writes.
            let s = statement.unwrap_or("").to_ascii_uppercase();
            !s.contains(" FROM ") || s.contains(" TO ")
        }
        "" => statement.is_some_and(|s| {
            let t = s.trim_start().to_ascii_uppercase();
            t.starts_with("SELECT") || t.starts_with("WITH") || t.starts_with("COPY")
        }),
        _ => false,
    }
}

/// What a SQL statement reaches.
#[derive(Debug, PartialEq, Eq)]
pub enum SqlReach {
    /// A key column compared to these literals.
    Keys(Vec<String>),
    /// No `WHERE`: the whole table.
    All,
    /// A `WHERE` on something else.
    Filtered,
}

/// Reads the `WHERE` of a statement: key columns compared to literals give
/// their ids; no `WHERE` is the whole table.
pub fn sql_reach(sql: &str) -> SqlReach {
    let lower = sql.to_ascii_lowercase();
    let Some(w) = find_word(&lower, "where") else {
        return SqlReach::All;
    };
    let clause = &sql[w + 5..];
    let lower_clause = &lower[w + 5..];
    // Only a plain conjunction of key comparisons names its records: an
    // OR, a NOT, a set operation, a subquery or a bound parameter can reach
    // other rows (or rows the text does not show).
    if ["or", "not", "union", "intersect", "except", "select"]
        .iter()
        .any(|kw| find_word(lower_clause, kw).is_some())
        || has_placeholder(lower_clause)
    {
        return SqlReach::Filtered;
    }
    // A bare `id` or `mrn` names patients only in a patients table.
    let patient_table = find_word(&lower[..w], "from")
        .map(|f| &lower[f..w])
        .is_some_and(|from| from.contains("patient") || from.contains("person"));
    let mut ids = Vec::new();
    let mut rest = 0;
    while let Some(i) = lower_clause[rest..].find(['=', '(']) {
        let at = rest + i;
        rest = at + 1;
        let before = lower_clause[..at].trim_end();
        let before = before.strip_suffix(" in").unwrap_or(before).trim_end();
        let column = before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"'))
            .next()
            .unwrap_or("")
            .trim_matches('"');
        let column = column.rsplit('.').next().unwrap_or(column);
        if !is_key_column(column, patient_table) {
            continue;
        }
        let after = &clause[at + 1..];
        let values = if lower_clause.as_bytes().get(at) == Some(&b'(') {
            after.split(')').next().unwrap_or("")
        } else {
            after
                .trim_start()
                .split(|c: char| c.is_whitespace() || c == ')' || c == ';')
                .next()
                .unwrap_or("")
        };
        ids.extend(literals(values));
    }
    if ids.is_empty() {
        SqlReach::Filtered
    } else {
        ids.sort();
        ids.dedup();
        SqlReach::Keys(ids)
    }
}

/// Whether a clause has a bound parameter (`$1`, `?`, `:name`, `@p1`).
fn has_placeholder(clause: &str) -> bool {
    let b = clause.as_bytes();
    let mut in_quote = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\'' {
            in_quote = !in_quote;
            continue;
        }
        if in_quote {
            continue;
        }
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        let prev = if i == 0 { b' ' } else { b[i - 1] };
        match c {
            b'?' => return true,
            b'$' | b'@' if next.is_ascii_alphanumeric() => return true,
            b':' if prev != b':'
                && next != b':'
                && (next.is_ascii_alphabetic() || next.is_ascii_digit()) =>
            {
                return true
            }
            _ => {}
        }
    }
    false
}

/// The position of `word` as a whole word in `s` (lower case).
fn find_word(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find(word) {
        let at = from + i;
        let end = at + word.len();
        let ok_before = at == 0 || !b[at - 1].is_ascii_alphanumeric() && b[at - 1] != b'_';
        let ok_after = end >= b.len() || !b[end].is_ascii_alphanumeric() && b[end] != b'_';
        if ok_before && ok_after {
            return Some(at);
        }
        from = end;
    }
    None
}

/// Column names that identify a patient record; a bare `id` or `mrn` only
/// in a patients table.
fn is_key_column(c: &str, patient_table: bool) -> bool {
    ((c == "id" || c == "mrn") && patient_table)
        || c == "patient"
        || c == "patientid"
        || c.ends_with("_id")
            && (c.contains("patient") || c.contains("person") || c == "subject_id")
}

/// The quoted literals (or bare numbers) of a value list.
fn literals(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let start = i + 1;
            let mut end = None;
            for (j, d) in chars.by_ref() {
                if d == '\'' {
                    end = Some(j);
                    break;
                }
            }
            if let Some(e) = end {
                if let Some(v) = s.get(start..e) {
                    if !v.is_empty() {
                        out.push(v.to_string());
                    }
                }
            }
        } else if c.is_ascii_digit()
            && (i == 0 || !s[..i].ends_with(|p: char| p.is_ascii_alphanumeric()))
        {
            let n: String = s[i..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            for _ in 1..n.len() {
                chars.next();
            }
            out.push(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_reach_cases() {
        let keys = |v: &[&str]| SqlReach::Keys(v.iter().map(|s| s.to_string()).collect());
        for (sql, want) in [
            (
                "SELECT * FROM ehr.patients WHERE patient_id = 'pt-0000179'",
                keys(&["pt-0000179"]),
            ),
            (
                "select * from patients where id in ('a', 'b','a')",
                keys(&["a", "b"]),
            ),
            (
                "SELECT * FROM p WHERE p.\"patient_id\"='x' AND status = 'y'",
                keys(&["x"]),
            ),
            ("SELECT * FROM patients WHERE mrn = 1234", keys(&["1234"])),
            (
                "SELECT id, name FROM ehr.patients ORDER BY id LIMIT 625 OFFSET 0",
                SqlReach::All,
            ),
            ("COPY ehr.patients TO stdout;", SqlReach::All),
            (
                "SELECT claim_id FROM billing.claims WHERE status = 'denied'",
                SqlReach::Filtered,
            ),
            ("SELECT * FROM t WHERE claim_id = 'c1'", SqlReach::Filtered),
            ("SELECT nowhere FROM t", SqlReach::All),
            // Anything that can reach other rows is not a list of records.
            (
                "SELECT * FROM ehr.encounters WHERE patient_id = $1",
                SqlReach::Filtered,
            ),
            ("SELECT * FROM p WHERE patient_id = ?", SqlReach::Filtered),
            (
                "SELECT * FROM p WHERE patient_id = :pid",
                SqlReach::Filtered,
            ),
            (
                "SELECT * FROM ehr.patients WHERE id = 'pt-1' OR 1=1",
                SqlReach::Filtered,
            ),
            (
                "SELECT * FROM ehr.patients WHERE NOT id = 'pt-1'",
                SqlReach::Filtered,
            ),
            (
                "SELECT * FROM ehr.patients WHERE id = 'pt-1' UNION ALL SELECT * FROM ehr.patients",
                SqlReach::Filtered,
            ),
            (
                "SELECT * FROM e WHERE patient_id IN (SELECT patient_id FROM c WHERE s = 'x')",
                SqlReach::Filtered,
            ),
            // A bare id names patients only in a patients table.
            (
                "SELECT * FROM ehr.encounters WHERE id = 'enc-17'",
                SqlReach::Filtered,
            ),
            (
                "SELECT * FROM ehr.patients WHERE id = 'pt-2' AND active",
                keys(&["pt-2"]),
            ),
            (
                "SELECT * FROM ehr.patients WHERE name = 'a:b' AND id = 'pt-3'",
                keys(&["pt-3"]),
            ),
        ] {
            assert_eq!(sql_reach(sql), want, "{sql}");
        }
    }

    #[test]
    fn reads_and_writes() {
        assert!(is_read(Some("SELECT"), None));
        assert!(is_read(Some("COPY"), Some("COPY ehr.patients TO stdout")));
        assert!(!is_read(
            Some("COPY"),
            Some("COPY ehr.patients FROM '/tmp/x'")
        ));
        assert!(!is_read(Some("UPDATE"), Some("UPDATE t SET a = 1")));
        assert!(is_read(
            None,
            Some("  with x as (select 1) select * from x")
        ));
    }
}
