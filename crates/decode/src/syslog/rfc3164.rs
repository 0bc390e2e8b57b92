//! RFC 3164 (BSD) headers, as sent and as rsyslog writes them to files:
//! `[<PRI>]TIMESTAMP [HOSTNAME] [TAG[[PID]]:] MSG` where TIMESTAMP is
//! `Mmm dd hh:mm:ss` (RFC 3164 §4.1.2) or an RFC 3339 time (rsyslog's
//! high-precision template). Deviations accepted: no hostname (the first
//! word is a `tag:`), no tag (RFC 3164 §5.4 example 2), a tag with `[pid]`
//! but no `:`, and a year between day and time.

use std::net::IpAddr;

use phiwatch_event::Timestamp;

use super::{is_payload, timefmt, Header};
use crate::{DecodeError, ErrorKind};

/// Parses a BSD header (after `<PRI>` when `has_pri`).
pub(super) fn parse(s: &str, year: Option<i32>, has_pri: bool) -> Result<Header<'_>, DecodeError> {
    let (time, rest) = timestamp(s, year, has_pri)?;
    let rest = rest.trim_start_matches(' ');
    let mut h = Header {
        time: Some(time),
        ..Header::default()
    };
    if is_payload(rest) {
        h.msg = rest;
        return Ok(h);
    }
    let (first, after_first) = rest.split_once(' ').unwrap_or((rest, ""));
    // No hostname: the first word is already a tag (`su:`, `cron[12]:`).
    if first.parse::<IpAddr>().is_err()
        && (first.ends_with(':') || first.ends_with(']'))
        && first.contains([':', '['])
    {
        if let Some((app, pid, msg)) = tag(rest) {
            h.appname = Some(app);
            h.procid = pid;
            h.msg = msg;
            return Ok(h);
        }
    }
    if !first.is_empty() {
        h.hostname = Some(first);
    }
    let rest = after_first.trim_start_matches(' ');
    if is_payload(rest) {
        h.msg = rest;
        return Ok(h);
    }
    match tag(rest) {
        Some((app, pid, msg)) => {
            h.appname = Some(app);
            h.procid = pid;
            h.msg = msg;
        }
        None => h.msg = rest,
    }
    Ok(h)
}

/// The header's time and the text after it.
fn timestamp(s: &str, year: Option<i32>, has_pri: bool) -> Result<(Timestamp, &str), DecodeError> {
    if let Some((parts, rest)) = timefmt::bsd(s) {
        let bad = || {
            DecodeError::new(
                ErrorKind::Time,
                "BSD timestamp: expected a valid `Mmm dd hh:mm:ss` date and time",
            )
        };
        let p = parts.map_err(|()| bad())?;
        let y = match (p.year, year) {
            (Some(y), _) => y,
            (None, Some(y)) => i64::from(y),
            (None, None) => {
                return Err(DecodeError::new(
                    ErrorKind::Time,
                    "BSD timestamp `Mmm dd hh:mm:ss` has no year and no year is configured \
                     (set the year of the log, e.g. from the file's date)",
                ))
            }
        };
        let (hh, mm, ss, nanos) = p.clock;
        let t = Timestamp::from_civil(y, p.month, p.day, hh, mm, ss, nanos, 0).ok_or_else(bad)?;
        return Ok((t, rest));
    }
    let (tok, rest) = s.split_once(' ').unwrap_or((s, ""));
    let b = tok.as_bytes();
    if b.len() >= 19 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
        return match Timestamp::parse_rfc3339(b) {
            Some(t) => Ok((t, rest)),
            None => Err(DecodeError::new(
                ErrorKind::Time,
                "timestamp: expected an RFC 3339 date and time",
            )),
        };
    }
    if has_pri {
        Err(DecodeError::new(
            ErrorKind::Time,
            "missing time: `<PRI>` is not followed by a `Mmm dd hh:mm:ss` or RFC 3339 timestamp",
        ))
    } else {
        Err(DecodeError::new(
            ErrorKind::Syntax,
            "not a syslog record: expected `<PRI>`, a `Mmm dd hh:mm:ss` or RFC 3339 timestamp, \
             or `CEF:` / `LEEF:`",
        ))
    }
}

/// A TAG at the start of `s`: `name:`, `name[pid]:` or `name[pid]`, then
/// the message. `None` when `s` does not start with one.
fn tag(s: &str) -> Option<(&str, Option<&str>, &str)> {
    let end = s.find(['[', ':', ' '])?;
    let name = s.get(..end)?;
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    match s.as_bytes().get(end) {
        Some(b'[') => {
            let inner = s.get(end + 1..)?;
            let close = inner.find(']')?;
            let pid = inner.get(..close)?;
            if pid.is_empty() || pid.contains(' ') {
                return None;
            }
            let after = inner.get(close + 1..)?;
            let after = after.strip_prefix(':').unwrap_or(after);
            if !(after.is_empty() || after.starts_with(' ')) {
                return None;
            }
            Some((name, Some(pid), after.trim_start_matches(' ')))
        }
        Some(b':') => {
            let after = s.get(end + 1..)?;
            Some((name, None, after.trim_start_matches(' ')))
        }
        _ => None,
    }
}
