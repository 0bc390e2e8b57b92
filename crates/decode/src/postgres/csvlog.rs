//! csvlog: 23, 24 or 26 columns, quoted fields that may hold newlines.

use std::borrow::Cow;

use phiwatch_event::{Event, Origin};

use crate::{csv, DecodeError, Decoder, DecoderConfig, ErrorKind};

use super::builder::Builder;
use super::prefix::Level;
use super::time::{pg_time, time_error};
use super::{some, Rec, MAX_RECORD};

/// csvlog column names, in order.
#[cfg(test)]
pub(super) const CSV_COLUMNS: &[&str] = &[
    "log_time",
    "user_name",
    "database_name",
    "process_id",
    "connection_from",
    "session_id",
    "session_line_num",
    "command_tag",
    "session_start_time",
    "virtual_transaction_id",
    "transaction_id",
    "error_severity",
    "sql_state_code",
    "message",
    "detail",
    "hint",
    "internal_query",
    "internal_query_pos",
    "context",
    "query",
    "query_pos",
    "location",
    "application_name",
    "backend_type",
    "leader_pid",
    "query_id",
];

pub(crate) struct PostgresCsvDecoder {
    buf: Vec<u8>,
    first: Origin,
    lines: u64,
    open: bool,
    fields: Vec<csv::Field>,
    builder: Builder,
}

impl PostgresCsvDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        PostgresCsvDecoder {
            buf: Vec::new(),
            first: Origin::default(),
            lines: 0,
            open: false,
            fields: Vec::new(),
            builder: Builder::new("postgres-csv"),
        }
    }

    fn record(&mut self) -> Result<Event, DecodeError> {
        let text = std::str::from_utf8(&self.buf).map_err(crate::utf8_error)?;
        csv::split(text, &mut self.fields)
            .map_err(|why| DecodeError::new(ErrorKind::Syntax, format!("csvlog: {why}")))?;
        let n = self.fields.len();
        if !(23..=26).contains(&n) || n == 25 {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                format!("csvlog: expected 23, 24 or 26 columns, found {n}"),
            ));
        }
        let cols: Vec<Cow<'_, str>> = self.fields.iter().map(|f| f.text(text)).collect();
        let c = |i: usize| cols.get(i).map(|s| s.as_ref()).and_then(some);
        let log_time = c(0).ok_or_else(|| time_error("log_time"))?;
        let time = pg_time(log_time).ok_or_else(|| time_error("log_time"))?;
        let level = c(11)
            .and_then(Level::from_name)
            .filter(|l| !l.is_follow_on())
            .ok_or_else(|| crate::json::type_error("error_severity", "a PostgreSQL severity"))?;
        let rec = Rec {
            log_time,
            user: c(1),
            db: c(2),
            pid: c(3),
            connection_from: c(4),
            remote_host: None,
            local_addr: None,
            session_id: c(5),
            line_num: c(6),
            command_tag: c(7),
            session_start: c(8),
            vxid: c(9),
            xid: c(10),
            sqlstate: c(12),
            message: c(13).unwrap_or(""),
            detail: c(14),
            hint: c(15),
            internal_query: c(16),
            internal_query_pos: c(17),
            context: c(18),
            query: c(19),
            query_pos: c(20),
            location: c(21),
            app: c(22),
            backend_type: c(23),
            leader_pid: c(24),
            query_id: c(25),
        };
        self.builder.build(&rec, level, time, self.first)
    }
}

impl Decoder for PostgresCsvDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if self.buf.is_empty() && !self.open {
            if record.trim_ascii().is_empty() {
                return Ok(None);
            }
            self.first = origin;
            self.lines = 0;
        } else {
            self.buf.push(b'\n');
        }
        self.lines += 1;
        self.buf.extend_from_slice(record);
        if memchr::memchr_iter(b'"', record).count() % 2 == 1 {
            self.open = !self.open;
        }
        let line = self.first.line;
        let multi = self.lines > 1;
        let mark = |e: DecodeError| if multi { e.at_line(line) } else { e };
        if self.open {
            if self.buf.len() > MAX_RECORD {
                self.buf.clear();
                self.open = false;
                return Err(mark(DecodeError::new(
                    ErrorKind::TooLong,
                    format!("csvlog record longer than {MAX_RECORD} bytes (unbalanced quotes?)"),
                )));
            }
            return Ok(None);
        }
        let out = self.record().map_err(mark);
        self.buf.clear();
        out.map(Some)
    }

    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        if self.buf.is_empty() && !self.open {
            return None;
        }
        self.buf.clear();
        self.open = false;
        Some(Err(DecodeError::new(
            ErrorKind::Syntax,
            "csvlog: the last record ends inside a quoted field",
        )
        .at_line(self.first.line)))
    }
}
