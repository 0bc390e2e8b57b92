//! Syslog: RFC 5424, RFC 3164 (BSD) and its rsyslog file forms, carrying
//! plain messages or CEF / LEEF payloads.
//!
//! A record is one line. Its header is one of:
//! - RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`, with
//!   `-` for nil fields; structured-data parameters become raw fields
//!   `sd.<SD-ID>.<PARAM-NAME>`;
//! - RFC 3164: `[<PRI>]Mmm dd hh:mm:ss [HOST] [TAG[PID]:] MSG` (the form
//!   rsyslog writes to files, without `<PRI>`), where the year comes from
//!   [`DecoderConfig::year`] and a record is rejected when none is set;
//! - the rsyslog high-precision form: an RFC 3339 time in place of the BSD
//!   one;
//! - none at all: an ArcSight line starting with `CEF:` or `LEEF:`.
//!
//! A message starting with `CEF:` or `LEEF:` is parsed as such (see the `cef`
//! and `leef` submodules): its fields are raw fields under their own keys,
//! the standard keys are mapped to ECS, and its device time (`rt`,
//! `devTime`) becomes the event time. Header times without a zone (BSD, CEF
//! `MMM dd yyyy HH:mm:ss`) are read as UTC unless a zone is given.

mod cef;
mod cisco;
mod leef;
mod rfc3164;
mod rfc5424;
mod timefmt;

use phiwatch_event::{keys, Event, Origin, Timestamp, Value};

use crate::json;
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct SyslogDecoder {
    year: Option<i32>,
}

impl SyslogDecoder {
    pub(crate) fn new(cfg: &DecoderConfig) -> Self {
        SyslogDecoder { year: cfg.year }
    }
}

/// A parsed syslog header, borrowing the record.
#[derive(Debug, Default)]
struct Header<'a> {
    pri: Option<u8>,
    time: Option<Timestamp>,
    hostname: Option<&'a str>,
    appname: Option<&'a str>,
    procid: Option<&'a str>,
    msgid: Option<&'a str>,
    msg: &'a str,
}

const SEVERITY_NAMES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

impl Decoder for SyslogDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.trim_ascii();
        if record.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let mut ev = Event::with_capacity(Timestamp::EPOCH, 40, text.len() + 96);
        let header = parse_header(text, self.year, &mut ev)?;
        push_header(&mut ev, &header);

        let msg = header.msg;
        let (dataset, payload_time) = if let Some(cef) = msg.strip_prefix("CEF:") {
            ("cef", cef::decode(cef, &mut ev, self.year)?)
        } else if let Some(leef) = msg.strip_prefix("LEEF:") {
            ("leef", leef::decode(leef, &mut ev, self.year)?)
        } else {
            if !msg.is_empty() {
                ev.push_norm_str(keys::MESSAGE, msg);
            }
            let cisco = header.msgid.is_some()
                && header.appname.is_none()
                && ev.get_raw("cisco.mnemonic").is_some();
            (
                if cisco { "cisco" } else { "syslog" },
                PayloadTime::default(),
            )
        };
        let time = payload_time
            .device
            .or(header.time)
            .or(payload_time.fallback)
            .ok_or_else(|| {
                DecodeError::new(
                    ErrorKind::Time,
                    "missing time: no syslog timestamp and no device time (`rt`, `start`, `end`, `devTime`)",
                )
            })?;
        ev.set_time(time);
        ev.set_origin(origin);
        json::tag(&mut ev, "syslog", dataset, "syslog");
        Ok(Some(ev))
    }
}

/// Times a CEF or LEEF payload carries: the device time of the event, and a
/// time to use only when neither it nor the syslog header has one.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PayloadTime {
    device: Option<Timestamp>,
    fallback: Option<Timestamp>,
}

fn is_payload(s: &str) -> bool {
    s.starts_with("CEF:") || s.starts_with("LEEF:")
}

/// `<PRI>` at the start of `s` (after the `<`): the priority and the rest.
fn parse_pri(s: &str) -> Result<(u8, &str), DecodeError> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    let bad = || {
        DecodeError::new(
            ErrorKind::Syntax,
            "PRI: expected `<` then 1-3 digits (0-191) then `>`",
        )
    };
    if n == 0 || n > 3 || s.as_bytes().get(n) != Some(&b'>') {
        return Err(bad());
    }
    let pri: u8 = s.get(..n).and_then(|d| d.parse().ok()).ok_or_else(bad)?;
    if pri > 191 {
        return Err(bad());
    }
    Ok((pri, s.get(n + 1..).unwrap_or("")))
}

fn parse_header<'a>(
    text: &'a str,
    year: Option<i32>,
    ev: &mut Event,
) -> Result<Header<'a>, DecodeError> {
    if let Some(rest) = text.strip_prefix('<') {
        let (pri, rest) = parse_pri(rest)?;
        if is_payload(rest) {
            return Ok(Header {
                pri: Some(pri),
                msg: rest,
                ..Header::default()
            });
        }
        let v = rest.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=2).contains(&v) && rest.as_bytes().get(v) == Some(&b' ') {
            let mut h = rfc5424::parse(rest.get(v + 1..).unwrap_or(""), ev)?;
            h.pri = Some(pri);
            return Ok(h);
        }
        if let Some(h) = cisco::parse(rest, year, ev) {
            let mut h = h?;
            h.pri = Some(pri);
            return Ok(h);
        }
        let mut h = rfc3164::parse(rest, year, true)?;
        h.pri = Some(pri);
        return Ok(h);
    }
    if is_payload(text) {
        return Ok(Header {
            msg: text,
            ..Header::default()
        });
    }
    if let Some(h) = cisco::parse(text, year, ev) {
        return h;
    }
    rfc3164::parse(text, year, false)
}

fn push_header(ev: &mut Event, h: &Header<'_>) {
    if let Some(pri) = h.pri {
        ev.push_norm(keys::LOG_SYSLOG_PRIORITY, Value::Int(i64::from(pri)));
        ev.push_norm(
            keys::LOG_SYSLOG_FACILITY_CODE,
            Value::Int(i64::from(pri >> 3)),
        );
        let sev = pri & 7;
        ev.push_norm(keys::LOG_SYSLOG_SEVERITY_CODE, Value::Int(i64::from(sev)));
        if let Some(name) = SEVERITY_NAMES.get(usize::from(sev)) {
            ev.push_norm(keys::LOG_LEVEL, Value::Static(name));
        }
    }
    if let Some(host) = h.hostname {
        let v = ev.store_str(host);
        ev.push_norm(keys::LOG_SYSLOG_HOSTNAME, v);
        ev.push_norm(keys::HOST_NAME, v);
    }
    if let Some(app) = h.appname {
        let v = ev.store_str(app);
        ev.push_norm(keys::LOG_SYSLOG_APPNAME, v);
        ev.push_norm(keys::PROCESS_NAME, v);
    }
    if let Some(pid) = h.procid {
        let v = ev.store_str(pid);
        ev.push_norm(keys::LOG_SYSLOG_PROCID, v);
        if let Ok(n) = pid.parse::<i64>() {
            ev.push_norm(keys::PROCESS_PID, Value::Int(n));
        }
    }
    if let Some(id) = h.msgid {
        ev.push_norm_str(keys::LOG_SYSLOG_MSGID, id);
    }
}

/// Header fields and the text after them.
type Pipes<'a> = (Vec<std::borrow::Cow<'a, str>>, &'a str);

/// Splits `s` into `n` fields ended by unescaped `|` (with `\|` and `\\`
/// unescaped), returning the fields and the rest after the last `|`; on too
/// few separators, the fields found and what follows them.
fn split_pipes(s: &str, n: usize) -> Result<Pipes<'_>, Pipes<'_>> {
    use std::borrow::Cow;
    let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(n);
    let mut start = 0;
    let mut owned: Option<String> = None;
    let mut iter = s.char_indices();
    while fields.len() < n {
        let Some((i, c)) = iter.next() else {
            break;
        };
        match c {
            '\\' => {
                let seg = s.get(start..i).unwrap_or("");
                let buf = owned.get_or_insert_with(String::new);
                buf.push_str(seg);
                match iter.next() {
                    Some((j, e @ ('|' | '\\'))) => {
                        buf.push(e);
                        start = j + 1;
                    }
                    Some((j, _)) => {
                        buf.push('\\');
                        start = j;
                    }
                    None => {
                        buf.push('\\');
                        start = s.len();
                    }
                }
            }
            '|' => {
                let seg = s.get(start..i).unwrap_or("");
                let field = match owned.take() {
                    Some(mut buf) => {
                        buf.push_str(seg);
                        Cow::Owned(buf)
                    }
                    None => Cow::Borrowed(seg),
                };
                fields.push(field);
                start = i + 1;
            }
            _ => {}
        }
    }
    let rest = s.get(start..).unwrap_or("");
    if fields.len() == n {
        Ok((fields, rest))
    } else {
        Err((fields, rest))
    }
}

/// Whether these first non-empty lines of a source are this format: the
/// first line and at least half of them look like syslog (a `<PRI>` header,
/// a `CEF:` / `LEEF:` line, or a BSD or RFC 3339 timestamp followed by a
/// host and a tag).
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    let Some(first) = lines.first() else {
        return false;
    };
    if !looks_like_syslog(first) {
        return false;
    }
    let n = lines.iter().filter(|l| looks_like_syslog(l)).count();
    n * 2 >= lines.len()
}

fn looks_like_syslog(line: &[u8]) -> bool {
    // Only the header matters; a message may hold any bytes.
    let head = line.get(..line.len().min(120)).unwrap_or(line);
    let s = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or(b"")).unwrap_or(""),
    };
    let (has_pri, s) = match s.strip_prefix('<') {
        Some(rest) => match parse_pri(rest) {
            Ok((_, rest)) => (true, rest),
            Err(_) => return false,
        },
        None => (false, s),
    };
    if cisco::looks_like(s) {
        return true;
    }
    if s.starts_with("CEF:") {
        return s.as_bytes().get(4).is_some_and(u8::is_ascii_digit) && s.contains('|');
    }
    if s.starts_with("LEEF:") {
        return s.as_bytes().get(5).is_some_and(u8::is_ascii_digit) && s.contains('|');
    }
    if has_pri {
        // RFC 5424: a version, then a time or `-`.
        let v = s.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=2).contains(&v) && s.as_bytes().get(v) == Some(&b' ') {
            let rest = s.get(v + 1..).unwrap_or("");
            return rest.starts_with("- ") || iso_time_token(rest).is_some();
        }
    }
    if let Some((Ok(_), rest)) = timefmt::bsd(s) {
        return has_pri || !rest.trim_start().is_empty();
    }
    if let Some(rest) = iso_time_token(s) {
        if has_pri {
            return true;
        }
        // Without PRI, an RFC 3339 time is common to many formats: ask for
        // a syslog tag (`name:` or `name[pid]:`) among the next two tokens.
        return rest
            .split(' ')
            .filter(|t| !t.is_empty())
            .take(2)
            .any(|t| t.len() > 1 && t.ends_with(':') && !t.starts_with('['));
    }
    false
}

/// An RFC 3339 time with a `T` at the start of `s` and the rest after it.
fn iso_time_token(s: &str) -> Option<&str> {
    let (tok, rest) = s.split_once(' ').unwrap_or((s, ""));
    let b = tok.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    Timestamp::parse_rfc3339(b).map(|_| rest)
}
