//! The stderr format: lines led by a `log_line_prefix`, reports spanning
//! lines, gathered until the next report starts.

use phiwatch_event::{Event, Origin, Timestamp};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use super::builder::Builder;
use super::prefix::{Esc, Level, Prefix, Values};
use super::time::{pg_time, time_error};
use super::{prefix, some, Rec, MAX_RECORD};

/// A report being gathered.
struct Held {
    origin: Origin,
    head: String,
    vals: Values,
    level: Level,
    /// The message, then the follow-on sections.
    text: String,
    /// `(level, start, end)` in `text`; the first is the message.
    sections: Vec<(Level, usize, usize)>,
    failed: Option<DecodeError>,
}

pub(crate) struct PostgresLogDecoder {
    prefixes: Vec<Prefix>,
    current: usize,
    held: Option<Held>,
    builder: Builder,
}

impl PostgresLogDecoder {
    /// A decoder for the configured prefix, or for the common ones when none
    /// is configured; an invalid or unsupported prefix is an error.
    pub(crate) fn new(cfg: &DecoderConfig) -> Result<Self, DecodeError> {
        let prefixes = match &cfg.pg_prefix {
            Some(p) => vec![Prefix::parse(p)?],
            None => prefix::CANDIDATES
                .iter()
                .map(|p| Prefix::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(PostgresLogDecoder {
            prefixes,
            current: 0,
            held: None,
            builder: Builder::new("postgres"),
        })
    }

    fn match_line(&mut self, line: &str) -> Option<(Values, Level, usize)> {
        if let Some(m) = self
            .prefixes
            .get(self.current)
            .and_then(|p| p.matches(line))
        {
            return Some(m);
        }
        for (i, p) in self.prefixes.iter().enumerate() {
            if i == self.current {
                continue;
            }
            if let Some(m) = p.matches(line) {
                self.current = i;
                return Some(m);
            }
        }
        None
    }

    fn finalize(&mut self, h: Held) -> Result<Event, DecodeError> {
        let line = h.origin.line;
        if let Some(e) = h.failed {
            return Err(e.at_line(line));
        }
        let v = |e: Esc| {
            h.vals[e as usize]
                .and_then(|(a, b)| h.head.get(a..b))
                .and_then(some)
        };
        let section = |l: Level| {
            h.sections
                .iter()
                .skip(1)
                .find(|s| s.0 == l)
                .and_then(|&(_, a, b)| h.text.get(a..b))
        };
        let (log_time, time) = if let Some(t) = v(Esc::TimeMs).or_else(|| v(Esc::Time)) {
            (
                t,
                pg_time(t).ok_or_else(|| time_error("log_time").at_line(line))?,
            )
        } else if let Some(t) = v(Esc::TimeEpoch) {
            (
                t,
                Timestamp::parse_epoch_decimal(t.as_bytes())
                    .ok_or_else(|| time_error("log_time").at_line(line))?,
            )
        } else {
            return Err(time_error("log_time").at_line(line));
        };
        let message = h
            .sections
            .first()
            .and_then(|&(_, a, b)| h.text.get(a..b))
            .unwrap_or("");
        let rec = Rec {
            log_time,
            user: v(Esc::User),
            db: v(Esc::Db),
            pid: v(Esc::Pid),
            connection_from: v(Esc::RemoteHostPort),
            remote_host: v(Esc::RemoteHost),
            local_addr: v(Esc::LocalAddr),
            session_id: v(Esc::Session),
            line_num: v(Esc::LineNum),
            command_tag: v(Esc::CommandTag),
            session_start: v(Esc::SessionStart),
            vxid: v(Esc::Vxid),
            xid: v(Esc::Xid),
            sqlstate: v(Esc::SqlState),
            message,
            detail: section(Level::Detail),
            hint: section(Level::Hint),
            internal_query: section(Level::Query),
            internal_query_pos: None,
            context: section(Level::Context),
            query: section(Level::Statement),
            query_pos: None,
            location: section(Level::Location),
            app: v(Esc::App),
            backend_type: v(Esc::BackendType),
            leader_pid: v(Esc::LeaderPid),
            query_id: v(Esc::QueryId),
        };
        self.builder
            .build(&rec, h.level, time, h.origin)
            .map_err(|e| e.at_line(line))
    }
}

impl Decoder for PostgresLogDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if let Some(cont) = record.strip_prefix(b"\t") {
            let Some(h) = self.held.as_mut() else {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "continuation line (starting with a tab) without a report before it",
                ));
            };
            match std::str::from_utf8(cont) {
                Ok(s) if h.failed.is_none() => {
                    if h.head.len() + h.text.len() + s.len() > MAX_RECORD {
                        h.failed = Some(DecodeError::new(
                            ErrorKind::TooLong,
                            format!("report longer than {MAX_RECORD} bytes"),
                        ));
                    } else {
                        h.text.push('\n');
                        h.text.push_str(s);
                        if let Some(last) = h.sections.last_mut() {
                            last.2 = h.text.len();
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if h.failed.is_none() {
                        h.failed = Some(crate::utf8_error(e));
                    }
                }
            }
            return Ok(None);
        }
        if record.trim_ascii().is_empty() {
            return Ok(None);
        }
        let line = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let Some((vals, level, msg)) = self.match_line(line) else {
            return Err(DecodeError::new(
                ErrorKind::Syntax,
                "line does not start with the log_line_prefix and a severity",
            ));
        };
        let body = line.get(msg..).unwrap_or("");
        if level.is_follow_on() {
            let Some(h) = self.held.as_mut() else {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    format!("{} line without a report before it", level.name()),
                ));
            };
            if h.head.len() + h.text.len() + body.len() > MAX_RECORD {
                if h.failed.is_none() {
                    h.failed = Some(DecodeError::new(
                        ErrorKind::TooLong,
                        format!("report longer than {MAX_RECORD} bytes"),
                    ));
                }
                return Ok(None);
            }
            let start = h.text.len();
            h.text.push_str(body);
            h.sections.push((level, start, h.text.len()));
            return Ok(None);
        }
        let mut text = String::with_capacity(body.len() + 64);
        text.push_str(body);
        let new = Held {
            origin,
            head: line.to_string(),
            vals,
            level,
            sections: vec![(level, 0, text.len())],
            text,
            failed: None,
        };
        match self.held.replace(new) {
            Some(prev) => self.finalize(prev).map(Some),
            None => Ok(None),
        }
    }

    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        let h = self.held.take()?;
        Some(self.finalize(h))
    }
}
