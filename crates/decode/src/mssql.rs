//! Microsoft SQL Server audit records, as returned by `sys.fn_get_audit_file`
//! and exported either as CSV (a header line naming the columns, then one
//! row per record; quoted fields may hold commas, doubled quotes and
//! newlines) or as JSON (objects one per line, or an array the ingest layer
//! frames).
//!
//! Raw fields keep the column names (`event_time`, `action_id`,
//! `server_principal_name`, …). The action code maps to `event.action`,
//! `db.operation` and an audit class; `succeeded` to `event.outcome`; the
//! principal, database, object, statement, client, rows and session to
//! `db.*`, `client.*` and `phiwatch.*` names. A row whose quotes do not
//! balance continues on the next line; the decoder holds it until they do
//! (and reports one still open at the end from [`Decoder::finish`]).

use phiwatch_event::{keys, Event, Origin, Timestamp, Value, ValueRef};

use crate::csv;
use crate::json::{self, copy_checked, Conv};
use crate::mysql::{categorize, push_client_ip, Activity};
use crate::sql::{sql_operation, sql_table};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

/// The largest CSV record held across lines (statements and
/// `additional_information` are at most 4000 characters each).
const MAX_RECORD: usize = 1 << 20;

pub(crate) struct MssqlAuditDecoder {
    /// Column names from the CSV header line, lower case.
    header: Option<Vec<String>>,
    /// A CSV row whose quoted field continues on the next line.
    pending: Vec<u8>,
    pending_origin: Origin,
    /// Unquoted field text of the row being decoded, and each field's range.
    text: String,
    ranges: Vec<(usize, usize)>,
}

impl MssqlAuditDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        MssqlAuditDecoder {
            header: None,
            pending: Vec::new(),
            pending_origin: Origin::default(),
            text: String::new(),
            ranges: Vec::new(),
        }
    }

    fn csv_record(&mut self, rec: &[u8], origin: Origin) -> Result<Event, DecodeError> {
        let s = std::str::from_utf8(rec).map_err(crate::utf8_error)?;
        split_csv(s, &mut self.text, &mut self.ranges)?;
        let header = self.header.as_deref().unwrap_or(&[]);
        if self.ranges.len() != header.len() {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                format!(
                    "expected {} columns (as the header line), found {}",
                    header.len(),
                    self.ranges.len()
                ),
            ));
        }
        let mut ev = Event::with_capacity(Timestamp::EPOCH, header.len() + 24, s.len() + 128);
        for (name, &(a, b)) in header.iter().zip(&self.ranges) {
            let v = self.text.get(a..b).unwrap_or("").trim_end_matches(' ');
            if v.is_empty() || v == "NULL" {
                continue;
            }
            let key = ev.name(name);
            let value = ev.store_str(v);
            ev.push_raw(key, value);
        }
        normalize(&mut ev)?;
        ev.set_origin(origin);
        Ok(ev)
    }
}

impl Decoder for MssqlAuditDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let line = record.strip_suffix(b"\r").unwrap_or(record);
        if !self.pending.is_empty() {
            let first = self.pending_origin;
            if self.pending.len() + line.len() >= MAX_RECORD {
                self.pending.clear();
                return Err(DecodeError::new(
                    ErrorKind::TooLong,
                    "CSV record with an unterminated quoted field exceeds 1 MiB",
                )
                .at_line(first.line));
            }
            self.pending.push(b'\n');
            self.pending.extend_from_slice(line);
            if !quotes_balanced(&self.pending) {
                return Ok(None);
            }
            let rec = std::mem::take(&mut self.pending);
            let out = self
                .csv_record(&rec, first)
                .map(Some)
                .map_err(|e| e.at_line(first.line));
            self.pending = rec;
            self.pending.clear();
            return out;
        }
        let t = line.trim_ascii();
        if t.is_empty() || matches!(t, b"[" | b"]" | b"," | b"[]") {
            return Ok(None);
        }
        if t.first() == Some(&b'{') && self.header.is_none() {
            let t = t.strip_suffix(b",").unwrap_or(t);
            let Some(mut ev) = json::flatten_record(t, 64, 128)? else {
                return Ok(None);
            };
            normalize(&mut ev)?;
            ev.set_origin(origin);
            return Ok(Some(ev));
        }
        if self.header.is_none() && t.starts_with(b"#TYPE ") {
            // Windows PowerShell's `Export-Csv` type line before the header.
            return Ok(None);
        }
        if let Some(cols) = parse_header(line) {
            self.header = Some(cols);
            return Ok(None);
        }
        if self.header.is_none() {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "CSV row before a header line naming the columns (event_time, action_id, …)",
            ));
        }
        if !quotes_balanced(line) {
            self.pending.clear();
            self.pending.extend_from_slice(line);
            self.pending_origin = origin;
            return Ok(None);
        }
        self.csv_record(line, origin).map(Some)
    }

    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        if self.pending.is_empty() {
            return None;
        }
        self.pending.clear();
        Some(Err(DecodeError::new(
            ErrorKind::Syntax,
            "CSV record ends inside a quoted field",
        )
        .at_line(self.pending_origin.line)))
    }
}

/// Whether a JSON object with these keys is this format.
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    has("event_time")
        && has("action_id")
        && [
            "succeeded",
            "server_principal_name",
            "sequence_number",
            "session_id",
        ]
        .iter()
        .any(|k| has(k))
}

/// Whether these first non-empty lines start with an audit CSV header.
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    lines
        .first()
        .and_then(|l| parse_header(l))
        .is_some_and(|cols| {
            [
                "succeeded",
                "server_principal_name",
                "statement",
                "session_id",
            ]
            .iter()
            .any(|k| cols.iter().any(|c| c == k))
        })
}

/// The column names of a header line naming at least `event_time` and
/// `action_id`, lower case.
fn parse_header(line: &[u8]) -> Option<Vec<String>> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let s = std::str::from_utf8(line).ok()?.trim();
    if !s.contains("event_time") && !s.contains("EVENT_TIME") {
        return None;
    }
    let mut text = String::new();
    let mut ranges = Vec::new();
    split_csv(s, &mut text, &mut ranges).ok()?;
    let cols: Vec<String> = ranges
        .iter()
        .map(|&(a, b)| text.get(a..b).unwrap_or("").trim().to_ascii_lowercase())
        .collect();
    let ok = cols.iter().any(|c| c == "event_time")
        && cols.iter().any(|c| c == "action_id")
        && cols
            .iter()
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    ok.then_some(cols)
}

fn quotes_balanced(b: &[u8]) -> bool {
    memchr::memchr_iter(b'"', b).count().is_multiple_of(2)
}

/// Splits one CSV record (RFC 4180: `"` quotes, `""` inside quotes is a
/// quote) into `text`, recording each field's range.
fn split_csv(
    s: &str,
    text: &mut String,
    ranges: &mut Vec<(usize, usize)>,
) -> Result<(), DecodeError> {
    text.clear();
    ranges.clear();
    let mut fields = Vec::new();
    csv::split(s, &mut fields).map_err(|e| {
        let what = match e.problem {
            csv::Problem::TextAfterQuote => "text after the closing quote",
            p => p.as_str(),
        };
        DecodeError::new(ErrorKind::Syntax, format!("column {}: {what}", e.column))
    })?;
    for f in &fields {
        let start = text.len();
        text.push_str(&f.text(s));
        ranges.push((start, text.len()));
    }
    Ok(())
}

/// An action's `event.action`, `db.operation` and audit class.
type Action = (&'static str, Option<&'static str>, Option<&'static str>);

/// What an audit action code means: `event.action`, `db.operation`, and
/// the audit class (pgAudit's vocabulary; none for logins).
fn action(code: &str) -> Option<Action> {
    Some(match code {
        "SL" => ("select", Some("SELECT"), Some("READ")),
        "IN" => ("insert", Some("INSERT"), Some("WRITE")),
        "UP" => ("update", Some("UPDATE"), Some("WRITE")),
        "DL" => ("delete", Some("DELETE"), Some("WRITE")),
        "EX" => ("execute", Some("EXECUTE"), Some("FUNCTION")),
        "RC" => ("receive", Some("RECEIVE"), Some("READ")),
        "RF" => ("references", None, Some("READ")),
        "LGIS" | "LGIF" => ("login", None, None),
        "LGO" => ("logout", None, None),
        "AUSC" => ("audit-session-changed", None, Some("MISC")),
        "CR" => ("create", Some("CREATE"), Some("DDL")),
        "AL" => ("alter", Some("ALTER"), Some("DDL")),
        "DR" => ("drop", Some("DROP"), Some("DDL")),
        "G" | "GWG" => ("grant", Some("GRANT"), Some("ROLE")),
        "D" | "DWC" => ("deny", Some("DENY"), Some("ROLE")),
        "R" => ("revoke", Some("REVOKE"), Some("ROLE")),
        "TO" => ("take-ownership", None, Some("ROLE")),
        "IMP" => ("impersonate", None, Some("ROLE")),
        "BA" | "BAL" => ("backup", Some("BACKUP"), Some("MISC")),
        "VDST" => ("view-database-state", None, Some("MISC")),
        "VSST" => ("view-server-state", None, Some("MISC")),
        _ => return None,
    })
}

/// `class_type` codes of objects, as `phiwatch.db.object_type`.
fn object_type(class: &str) -> Option<&'static str> {
    Some(match class {
        "U" => "TABLE",
        "V" => "VIEW",
        "P" | "PC" | "X" => "PROCEDURE",
        "FN" | "IF" | "TF" | "FS" | "FT" => "FUNCTION",
        "DB" => "DATABASE",
        "SV" => "SERVER",
        "SC" => "SCHEMA",
        _ => return None,
    })
}

fn str_field<'a>(ev: &'a Event, name: &str) -> Option<&'a str> {
    match ev.get_raw(name) {
        Some(ValueRef::Str(s)) if !s.trim().is_empty() => Some(s.trim_end_matches(' ')),
        _ => None,
    }
}

/// Adds the normalized fields of a record (CSV or JSON: the same names).
fn normalize(ev: &mut Event) -> Result<(), DecodeError> {
    let t = event_time(ev)?;
    ev.set_time(t);
    let code = action_code(ev)?;
    json::tag(ev, "mssql", "mssql.audit", "mssql-audit");
    ev.push_norm(keys::DB_SYSTEM, Value::Static("mssql"));
    ev.push_norm_str(keys::EVENT_CODE, &code);
    let known = action(&code);
    match known {
        Some((act, _, class)) => {
            ev.push_norm(keys::EVENT_ACTION, Value::Static(act));
            if let Some(class) = class {
                ev.push_norm(keys::DB_AUDIT_CLASS, Value::Static(class));
            }
        }
        None => {
            let lower = code.to_ascii_lowercase();
            ev.push_norm_str(keys::EVENT_ACTION, &lower);
        }
    }
    let login = code.starts_with("LG");

    let succeeded = succeeded(ev)?;
    let failed = code == "LGIF" || succeeded == Some(false);
    if succeeded.is_some() || code == "LGIF" {
        let o = if failed { "failure" } else { "success" };
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
    }

    if str_field(ev, "server_principal_name").is_some() {
        json::alias(ev, "server_principal_name", keys::DB_USER, Conv::Same);
        json::alias(ev, "server_principal_name", keys::USER_NAME, Conv::Same);
    }
    if str_field(ev, "database_name").is_some() {
        json::alias(ev, "database_name", keys::DB_NAME, Conv::Same);
    }
    if let Some(h) = str_field(ev, "server_instance_name") {
        // `HOST\INSTANCE`: the host is the server's name.
        let host = h.split('\\').next().unwrap_or(h).to_owned();
        ev.push_norm_str(keys::HOST_NAME, &host);
    }

    push_object(ev, &code, known, login);
    push_client(ev);
    push_counts(ev)?;
    let activity = match code.as_str() {
        "LGIS" | "LGIF" => Activity::Login,
        "LGO" => Activity::Logout,
        "RF" => Activity::Read,
        _ => Activity::Statement,
    };
    categorize(ev, activity);
    for f in ["sequence_number", "transaction_id"] {
        if let Some(v) = ev.get_raw(f) {
            if !v.is_null() && v.as_i64().is_none() {
                return Err(json::type_error(f, "an integer"));
            }
        }
    }
    Ok(())
}

/// `event_time`, the record's time.
fn event_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    Ok(match ev.get_raw("event_time") {
        Some(ValueRef::Str(s)) => parse_event_time(s.trim()).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "field `event_time`: expected a `YYYY-MM-DD hh:mm:ss[.fffffff]` time",
            )
        })?,
        None | Some(ValueRef::Null) => {
            return Err(DecodeError::new(
                ErrorKind::Time,
                "missing time: `event_time` is not present",
            ))
        }
        Some(_) => {
            return Err(DecodeError::new(
                ErrorKind::Time,
                "field `event_time`: expected a time string",
            ))
        }
    })
}

/// `action_id`, the audit action code, trimmed.
fn action_code(ev: &Event) -> Result<String, DecodeError> {
    Ok(match ev.get_raw("action_id") {
        Some(ValueRef::Str(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(v) if !v.is_null() => {
            return Err(json::type_error("action_id", "an action code string"))
        }
        _ => {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "missing field `action_id`",
            ))
        }
    })
}

/// `succeeded`, a bit, `true` / `false`, or absent.
fn succeeded(ev: &Event) -> Result<Option<bool>, DecodeError> {
    Ok(match ev.get_raw("succeeded") {
        None | Some(ValueRef::Null) => None,
        Some(ValueRef::Bool(b)) => Some(b),
        Some(ValueRef::Int(0)) => Some(false),
        Some(ValueRef::Int(1)) => Some(true),
        Some(ValueRef::Str(s)) => match s.trim() {
            "1" => Some(true),
            "0" => Some(false),
            s if s.eq_ignore_ascii_case("true") => Some(true),
            s if s.eq_ignore_ascii_case("false") => Some(false),
            _ => return Err(json::type_error("succeeded", "a bit (0 or 1)")),
        },
        Some(_) => return Err(json::type_error("succeeded", "a bit (0 or 1)")),
    })
}

/// The object: a table or view for data access, else its kind; the
/// statement, its operation and its table.
fn push_object(ev: &mut Event, code: &str, known: Option<Action>, login: bool) {
    let class = str_field(ev, "class_type").map(str::to_owned);
    if let Some(kind) = class.as_deref().and_then(object_type) {
        ev.push_norm(keys::DB_OBJECT_TYPE, Value::Static(kind));
    }
    let op = known.and_then(|k| k.1);
    let data_access = matches!(
        op,
        Some("SELECT" | "INSERT" | "UPDATE" | "DELETE" | "RECEIVE")
    ) || code == "RF"
        || matches!(class.as_deref(), Some("U" | "V"));
    let object = str_field(ev, "object_name").map(str::to_owned);
    let schema = str_field(ev, "schema_name").map(str::to_owned);
    let statement = str_field(ev, "statement").map(str::to_owned);
    let mut table = None;
    if data_access {
        table = match (schema, object) {
            (Some(s), Some(o)) => Some(format!("{s}.{o}")),
            (None, Some(o)) => Some(o),
            _ => None,
        };
    }
    if let Some(stmt) = statement.as_deref() {
        if login {
            // A login record's `statement` is the server's message.
            json::alias(ev, "statement", keys::ERROR_MESSAGE, Conv::Same);
        } else {
            json::alias(ev, "statement", keys::DB_STATEMENT, Conv::Same);
            if table.is_none() && (known.is_none() || data_access) {
                table = sql_table(stmt);
            }
        }
    }
    let op = op.or_else(|| {
        statement
            .as_deref()
            .filter(|_| !login && known.is_none())
            .and_then(sql_operation)
    });
    if let Some(op) = op {
        ev.push_norm(keys::DB_OPERATION, Value::Static(op));
    }
    if let Some(t) = table {
        ev.push_norm_str(keys::DB_SQL_TABLE, &t);
    }
}

/// The client: address, host name, application, and the error code of
/// `additional_information`.
fn push_client(ev: &mut Event) {
    let info = str_field(ev, "additional_information").map(str::to_owned);
    let ip = str_field(ev, "client_ip").and_then(|s| s.trim().parse().ok());
    let ip = ip.or_else(|| {
        info.as_deref()
            .and_then(|i| xml_element(i, "address"))
            .and_then(|a| a.trim().parse().ok())
    });
    if let Some(ip) = ip {
        push_client_ip(ev, ip);
    }
    if str_field(ev, "host_name").is_some()
        && json::alias(ev, "host_name", keys::CLIENT_ADDRESS, Conv::Same)
    {
        if let Some(v) = ev.get_value(keys::CLIENT_ADDRESS) {
            ev.push_norm(keys::SOURCE_ADDRESS, v);
        }
    }
    if str_field(ev, "application_name").is_some() {
        json::alias(ev, "application_name", keys::CLIENT_APPLICATION, Conv::Same);
    }
    if let Some(err) = info.as_deref().and_then(|i| xml_element(i, "error")) {
        let err = err.trim();
        let n = match err.strip_prefix("0x").or_else(|| err.strip_prefix("0X")) {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => err.parse().ok(),
        };
        if let Some(n) = n.filter(|n| *n != 0) {
            ev.push_norm_str(keys::ERROR_CODE, &n.to_string());
        }
    }
}

/// Session id, row counts and duration.
fn push_counts(ev: &mut Event) -> Result<(), DecodeError> {
    copy_checked(ev, "session_id", keys::DB_SESSION_ID, Conv::Int)?;
    copy_checked(
        ev,
        "response_rows",
        keys::DB_RESPONSE_RETURNED_ROWS,
        Conv::Int,
    )?;
    copy_checked(
        ev,
        "affected_rows",
        keys::DB_RESPONSE_AFFECTED_ROWS,
        Conv::Int,
    )?;
    match ev.get_raw("duration_milliseconds") {
        None | Some(ValueRef::Null) => {}
        Some(v) => {
            let ms = v
                .as_i64()
                .filter(|ms| (0..=i64::MAX / 1_000_000).contains(ms))
                .ok_or_else(|| {
                    json::type_error("duration_milliseconds", "a non-negative integer")
                })?;
            ev.push_norm(keys::EVENT_DURATION, Value::Int(ms * 1_000_000));
        }
    }
    Ok(())
}

/// `event_time` as written by the export: ISO 8601 (`2024-06-01
/// 02:14:07.1234567`, `T`, an offset), Windows PowerShell's JSON
/// (`/Date(1717208047123)/`), or PowerShell's en-US CSV text
/// (`6/1/2024 2:14:07 AM`; only with AM/PM, which fixes the month-first
/// order). Times without an offset are UTC, as `fn_get_audit_file` returns.
fn parse_event_time(s: &str) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse_rfc3339(s.as_bytes()) {
        return Some(t);
    }
    if let Some(ms) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        return ms.parse().ok().and_then(Timestamp::from_millis);
    }
    let (date, time) = s.split_once(' ')?;
    let (time, half) = time.rsplit_once(' ')?;
    let pm = match half {
        "AM" | "am" => false,
        "PM" | "pm" => true,
        _ => return None,
    };
    let mut d = date.split('/');
    let (mo, da, yr) = (d.next()?, d.next()?, d.next()?);
    let mut t = time.split(':');
    let (h, mi, se) = (t.next()?, t.next()?, t.next()?);
    if d.next().is_some() || t.next().is_some() || yr.len() != 4 {
        return None;
    }
    let num = |x: &str, max: u32| {
        (!x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    let hour12 = num(h, 12).filter(|h| *h >= 1)?;
    let hour = hour12 % 12 + if pm { 12 } else { 0 };
    let iso = format!(
        "{yr}-{:02}-{:02}T{hour:02}:{:02}:{:02}Z",
        num(mo, 12)?,
        num(da, 31)?,
        num(mi, 59)?,
        num(se, 60)?
    );
    Timestamp::parse_rfc3339(iso.as_bytes())
}

/// The text of the first `<name>…</name>` element in `xml` (the
/// `additional_information` of login records).
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml.get(start..)?.find(&close)?;
    xml.get(start..start + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_splitting() {
        let mut text = String::new();
        let mut ranges = Vec::new();
        split_csv(
            r#"a,"b,""c""",,"d
e""#,
            &mut text,
            &mut ranges,
        )
        .unwrap();
        let f: Vec<&str> = ranges.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(f, ["a", "b,\"c\"", "", "d\ne"]);
        assert!(split_csv(r#""a"b"#, &mut text, &mut ranges).is_err());
        assert!(split_csv(r#"a"b"#, &mut text, &mut ranges).is_err());
        assert!(split_csv(r#""ab"#, &mut text, &mut ranges).is_err());
    }

    #[test]
    fn event_times() {
        let t = |s: &str| parse_event_time(s).map(Timestamp::to_rfc3339);
        let want = Some("2024-06-01T14:14:07.000000Z".to_owned());
        assert_eq!(t("2024-06-01 14:14:07"), want);
        assert_eq!(t("2024-06-01T16:14:07+02:00"), want);
        assert_eq!(t("/Date(1717251247000)/"), want);
        assert_eq!(t("6/1/2024 2:14:07 PM"), want);
        assert_eq!(t("06/01/2024 02:14:07 PM"), want);
        assert_eq!(
            t("6/1/2024 12:00:00 AM").as_deref(),
            Some("2024-06-01T00:00:00.000000Z")
        );
        assert_eq!(
            t("6/1/2024 12:30:00 PM").as_deref(),
            Some("2024-06-01T12:30:00.000000Z")
        );
        for bad in [
            "01/06/2024 14:14:07",
            "13/1/2024 1:00:00 PM",
            "6/1/24 1:00:00 PM",
            "6/1/2024 0:00:00 AM",
            "6/1/2024 1:00 PM",
            "/Date(x)/",
            "",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn xml_elements() {
        let x =
            "<action_info><error>0x00004818</error><address>203.0.113.7</address></action_info>";
        assert_eq!(xml_element(x, "error"), Some("0x00004818"));
        assert_eq!(xml_element(x, "address"), Some("203.0.113.7"));
        assert_eq!(xml_element(x, "state"), None);
    }
}
