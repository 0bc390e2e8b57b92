//! PostgreSQL server logs, with pgAudit `AUDIT:` records: the stderr format
//! (lines led by a `log_line_prefix`) and csvlog.
//!
//! **stderr.** The prefix is the one configured (`DecoderConfig::pg_prefix`)
//! or, when none is, the first of the common ones ([`prefix::CANDIDATES`]:
//! pgBadger's, RDS's, Debian's, the default) that a line matches; a later
//! line that stops matching switches to another candidate. A report spans
//! lines: its continuation lines start with a tab (PostgreSQL writes one after
//! every newline of a message, and one is removed here), and its DETAIL, HINT,
//! CONTEXT, STATEMENT, QUERY and LOCATION lines follow it with their own
//! prefix. The decoder holds a report until the next one starts and returns it
//! then (with the origin of its first line); [`crate::Decoder::finish`] returns the
//! last one.
//!
//! **csvlog.** The 23 (PostgreSQL 9–12), 24 (13) or 26 (14+) columns; a quoted
//! field may hold newlines, so lines are gathered until the quotes balance
//! (a record longer than [`MAX_RECORD`] is rejected).
//!
//! **pgAudit.** A message `AUDIT: <type>,<statement id>,<substatement id>,
//! <class>,<command>,<object type>,<object name>,<statement>,<parameter>[,<rows>]`
//! gives dataset `postgresql.audit`; other messages give `postgresql.log`.
//!
//! **Sessions.** `connection received` / `connection authorized` lines fill a
//! per-backend-pid table (at most [`session::CAPACITY`] sessions, oldest
//! evicted; a `disconnection` line ends one), so that an audit record whose
//! prefix lacks the user, database, client or application still gets them.
//! The session id is `%c` / `session_id` when logged, else the same form
//! (hex start seconds `.` hex pid) from the `connection received` line.

mod audit;
mod builder;
mod csvlog;
mod fields;
mod prefix;
mod session;
mod stderr;
mod time;

use prefix::Prefix;

pub(crate) use csvlog::PostgresCsvDecoder;
pub(crate) use stderr::PostgresLogDecoder;

/// The longest record accepted (bytes, all lines together).
pub(crate) const MAX_RECORD: usize = 8 << 20;

const MODULE: &str = "postgresql";
const DATASET_LOG: &str = "postgresql.log";
const DATASET_AUDIT: &str = "postgresql.audit";

/// One record of either format, before it becomes an event. Text fields are
/// `None` when absent or empty.
#[derive(Default)]
struct Rec<'a> {
    log_time: &'a str,
    user: Option<&'a str>,
    db: Option<&'a str>,
    pid: Option<&'a str>,
    /// csvlog `connection_from` (`host:port`) or `%r` (`host(port)`).
    connection_from: Option<&'a str>,
    /// `%h`.
    remote_host: Option<&'a str>,
    local_addr: Option<&'a str>,
    session_id: Option<&'a str>,
    line_num: Option<&'a str>,
    command_tag: Option<&'a str>,
    session_start: Option<&'a str>,
    vxid: Option<&'a str>,
    xid: Option<&'a str>,
    sqlstate: Option<&'a str>,
    message: &'a str,
    detail: Option<&'a str>,
    hint: Option<&'a str>,
    internal_query: Option<&'a str>,
    internal_query_pos: Option<&'a str>,
    context: Option<&'a str>,
    query: Option<&'a str>,
    query_pos: Option<&'a str>,
    location: Option<&'a str>,
    app: Option<&'a str>,
    backend_type: Option<&'a str>,
    leader_pid: Option<&'a str>,
    query_id: Option<&'a str>,
}

fn some(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// A user, database or application value that names something.
fn known(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty() && *s != "[unknown]")
}

// ---------------------------------------------------------------- detection

/// Whether these first non-empty lines are a PostgreSQL stderr log: the
/// first line, or two of them, match a common prefix and a severity.
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    let prefixes: Vec<Prefix> = prefix::CANDIDATES
        .iter()
        .filter_map(|p| Prefix::parse(p).ok())
        .collect();
    let hit = |l: &&[u8]| {
        std::str::from_utf8(l).is_ok_and(|s| prefixes.iter().any(|p| p.matches(s).is_some()))
    };
    lines.first().is_some_and(hit) || lines.iter().filter(|l| hit(l)).count() >= 2
}

/// Whether these first non-empty lines are a PostgreSQL csvlog: the first
/// starts with a csvlog time and a comma and carries a severity followed by
/// a SQLSTATE.
pub(crate) fn detect_csv(lines: &[&[u8]]) -> bool {
    let Some(first) = lines.first() else {
        return false;
    };
    let Some(n) = prefix::time_len(first, true) else {
        return false;
    };
    if first.get(n) != Some(&b',') {
        return false;
    }
    const SEVERITIES: &[&[u8]] = &[
        b",LOG,",
        b",ERROR,",
        b",FATAL,",
        b",PANIC,",
        b",WARNING,",
        b",NOTICE,",
        b",INFO,",
        b",DEBUG1,",
        b",DEBUG2,",
        b",DEBUG3,",
        b",DEBUG4,",
        b",DEBUG5,",
    ];
    SEVERITIES.iter().any(|sev| {
        memchr::memmem::find_iter(first, sev).any(|i| {
            let code = first.get(i + sev.len()..i + sev.len() + 6);
            code.is_some_and(|c| c[..5].iter().all(u8::is_ascii_alphanumeric) && c[5] == b',')
        })
    })
}

#[cfg(test)]
mod tests {

    use super::csvlog::CSV_COLUMNS;
    use super::fields::session_time;
    use super::fields::split_host_port;
    use super::fields::RAW;
    use super::time::pg_time;

    #[test]
    fn times_and_zones() {
        let t = pg_time("2024-03-01 10:00:00.123 CET").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T09:00:00.123000Z");
        let t = pg_time("2024-03-01 10:00:00 -0330").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-01T13:30:00.000000Z");
        assert!(pg_time("2024-03-01 10:00:00 XYZT").is_none());
        assert!(pg_time("2024-03-01").is_none());
        assert_eq!(session_time("1:02:03.5"), Some(3_723_500_000_000));
    }

    #[test]
    fn raw_names_are_registered() {
        for n in CSV_COLUMNS.iter().chain(RAW) {
            assert!(phiwatch_event::Key::lookup(n).is_some(), "{n}");
        }
    }

    #[test]
    fn host_ports() {
        assert_eq!(
            split_host_port("10.0.0.1(5432)"),
            ("10.0.0.1", Some("5432"))
        );
        assert_eq!(split_host_port("10.0.0.1:5432"), ("10.0.0.1", Some("5432")));
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1", None));
        assert_eq!(
            split_host_port("2001:db8::1:5432"),
            ("2001:db8::1:5432", None)
        );
        assert_eq!(split_host_port("[local]"), ("[local]", None));
        assert_eq!(split_host_port("db.example:99"), ("db.example", Some("99")));
    }
}
