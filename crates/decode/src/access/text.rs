//! Text access logs (`access-log`): the NCSA common and combined formats of
//! Apache httpd and nginx, with the usual nginx additions.

use std::borrow::Cow;

use phiwatch_event::{escape_invalid_utf8, keys, Event, Key, Origin, Timestamp, Value};

use crate::json::{self, type_error};
use crate::url::parse_addr;
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use super::fields::{push_http, upstream_seconds, Http};

pub(crate) struct AccessLogDecoder;

impl AccessLogDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        AccessLogDecoder
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Bare(&'a [u8]),
    /// Between the quotes, still escaped.
    Quoted(&'a [u8]),
    /// Between the brackets.
    Bracket(&'a [u8]),
}

/// Splits a line into tokens; `None` at the end. An unterminated quote or
/// bracket is a syntax error.
fn next_token<'a>(s: &'a [u8], pos: &mut usize) -> Result<Option<Tok<'a>>, DecodeError> {
    while s.get(*pos).is_some_and(|&b| b == b' ' || b == b'\t') {
        *pos += 1;
    }
    let Some(&first) = s.get(*pos) else {
        return Ok(None);
    };
    let start = *pos + 1;
    match first {
        b'"' => {
            let mut i = start;
            while i < s.len() {
                match s[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        *pos = i + 1;
                        return Ok(Some(Tok::Quoted(&s[start..i])));
                    }
                    _ => i += 1,
                }
            }
            Err(DecodeError::new(
                ErrorKind::Syntax,
                format!("unterminated quoted field starting at column {}", start),
            ))
        }
        b'[' => match memchr::memchr(b']', &s[start..]) {
            Some(n) => {
                *pos = start + n + 1;
                Ok(Some(Tok::Bracket(&s[start..start + n])))
            }
            None => Err(DecodeError::new(
                ErrorKind::Syntax,
                format!("unterminated [time] starting at column {}", start),
            )),
        },
        _ => {
            let n = s[*pos..]
                .iter()
                .position(|&b| b == b' ' || b == b'\t')
                .unwrap_or(s.len() - *pos);
            let t = &s[*pos..*pos + n];
            *pos += n;
            Ok(Some(Tok::Bare(t)))
        }
    }
}

/// Undoes `\"` and `\\` (the other escapes, `\xHH`, stay as written: they
/// are how the server showed bytes it would not log).
fn unescape(b: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', b).is_none() {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(&c @ (b'"' | b'\\'))) => {
                out.push(c);
                i += 2;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `10/Oct/2000:13:55:36 -0700` (a fraction after the seconds is allowed,
/// the zone is optional and then UTC).
pub(crate) fn parse_clf_time(b: &[u8]) -> Option<Timestamp> {
    let b = b.trim_ascii();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let month = MONTHS
        .iter()
        .position(|m| b[3..6].eq_ignore_ascii_case(*m))?
        + 1;
    // Rebuild as RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac]±HH:MM.
    let mut s = Vec::with_capacity(40);
    s.extend_from_slice(&b[7..11]);
    s.push(b'-');
    s.push(b'0' + (month / 10) as u8);
    s.push(b'0' + (month % 10) as u8);
    s.push(b'-');
    s.extend_from_slice(&b[0..2]);
    s.push(b'T');
    let (clock, zone) = match b[12..].iter().position(|&c| c == b' ') {
        Some(i) => (&b[12..12 + i], b[12 + i..].trim_ascii()),
        None => (&b[12..], &b""[..]),
    };
    s.extend_from_slice(clock);
    match zone {
        [] => s.push(b'Z'),
        [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            s.extend_from_slice(&[*sign, *h1, *h2, b':', *m1, *m2]);
        }
        _ => return None,
    }
    Timestamp::parse_rfc3339(&s)
}

fn text_field_error(n: usize, what: &str) -> DecodeError {
    DecodeError::new(ErrorKind::Schema, format!("field {n}: expected {what}"))
}

fn raw(name: &'static str) -> Key {
    // Every name used here is registered in `raw_names::WEB`; `MESSAGE` is a
    // harmless stand-in should the registry ever lose one.
    Key::lookup(name).unwrap_or(keys::MESSAGE)
}

/// `-` or digits, as an integer (`None` for `-`).
fn int_or_dash(b: &[u8], field: &str) -> Result<Option<i64>, DecodeError> {
    if b == b"-" {
        return Ok(None);
    }
    std::str::from_utf8(b)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|s| s.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| type_error(field, "an integer or `-`"))
}

impl Decoder for AccessLogDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let line = record.trim_ascii();
        if line.is_empty() {
            return Ok(None);
        }
        let mut toks: Vec<Tok<'_>> = Vec::with_capacity(12);
        let mut pos = 0;
        while let Some(t) = next_token(line, &mut pos)? {
            toks.push(t);
        }
        // `vhost_combined`: a `host:port` before the client.
        let vhost = match (toks.get(3), toks.get(4)) {
            (Some(Tok::Bare(_)), Some(Tok::Bracket(_))) => match toks.remove(0) {
                Tok::Bare(v) => Some(v),
                _ => None,
            },
            _ => None,
        };
        if toks.len() < 7 {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                format!(
                    "expected at least 7 fields (host ident user [time] \"request\" status bytes), found {}",
                    toks.len()
                ),
            ));
        }
        let bare = |i: usize, what: &str| match toks[i] {
            Tok::Bare(b) => Ok(b),
            _ => Err(text_field_error(i + 1, what)),
        };
        let host = bare(0, "the client address")?;
        let ident = bare(1, "the ident (`-`)")?;
        let user: Cow<'_, [u8]> = match toks[2] {
            Tok::Bare(b) => Cow::Borrowed(b),
            // Some servers quote the user name.
            Tok::Quoted(b) => unescape(b),
            Tok::Bracket(_) => return Err(text_field_error(3, "the user name")),
        };
        let Tok::Bracket(time) = toks[3] else {
            return Err(text_field_error(4, "the [time] in brackets"));
        };
        let Tok::Quoted(request) = toks[4] else {
            return Err(text_field_error(5, "the \"request\" in quotes"));
        };
        let status = int_or_dash(bare(5, "the status code")?, "status")?;
        if status.is_some_and(|s| !(0..=999).contains(&s)) {
            return Err(type_error("status", "an HTTP status code"));
        }
        let bytes = int_or_dash(bare(6, "the response size")?, "body_bytes_sent")?;
        let ts = parse_clf_time(time).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "field `time_local`: expected dd/Mon/yyyy:HH:MM:SS ±hhmm",
            )
        })?;

        let mut ev = Event::with_capacity(ts, 48, line.len() * 2 + 64);
        ev.set_origin(origin);
        json::tag(&mut ev, "web", "web.access", "access-log");
        if let Some(v) = vhost {
            let v = ev.store_bytes(v);
            ev.push_raw(raw("vhost"), v);
        }
        let v = ev.store_bytes(host);
        ev.push_raw(raw("remote_addr"), v);
        let v = ev.store_bytes(ident);
        ev.push_raw(raw("ident"), v);
        let v = ev.store_bytes(&user);
        ev.push_raw(raw("remote_user"), v);
        let v = ev.store_bytes(time);
        ev.push_raw(raw("time_local"), v);
        let request = unescape(request);
        let v = ev.store_bytes(&request);
        ev.push_raw(raw("request"), v);
        ev.push_raw(raw("status"), status.map_or(Value::Null, Value::Int));
        ev.push_raw(
            raw("body_bytes_sent"),
            bytes.map_or(Value::Null, Value::Int),
        );
        if let Some(b) = bytes {
            ev.push_norm(keys::HTTP_RESPONSE_BODY_BYTES, Value::Int(b));
        }

        let tail = parse_tail(&toks[7..]);
        let duration = push_tail(&mut ev, &tail);
        let Tail {
            referrer,
            user_agent,
            forwarded_for,
            upstream,
            ..
        } = tail;
        let referrer_s = referrer.as_deref().map(lossless);
        let ua_s = user_agent.as_deref().map(lossless);
        let xff_s = forwarded_for.map(lossless);

        // The request line: `METHOD target HTTP/x.y`, or HTTP/0.9 `METHOD
        // target`; anything else (TLS bytes sent to a plain-text port, a
        // scanner's junk) is kept raw only.
        let req = lossless(&request);
        let (method, target, version) = split_request(&req);
        let host_s = lossless(host);
        let user_s = lossless(&user);
        let h = Http {
            client: Some(&host_s),
            user: Some(&user_s),
            method,
            target,
            version,
            status,
            referrer: referrer_s.as_deref(),
            user_agent: ua_s.as_deref(),
            forwarded_for: xff_s.as_deref(),
            host: None,
            duration,
            upstream: upstream.as_deref().and_then(upstream_seconds),
        };
        push_http(&mut ev, &h);
        Ok(Some(ev))
    }
}

/// The optional fields after the size: referer, user agent, then the nginx
/// additions.
struct Tail<'a> {
    referrer: Option<Cow<'a, [u8]>>,
    user_agent: Option<Cow<'a, [u8]>>,
    forwarded_for: Option<&'a [u8]>,
    request_time: Option<&'a [u8]>,
    upstream: Option<String>,
    extra: Vec<&'a [u8]>,
}

/// Reads the tokens after the size.
fn parse_tail<'a>(toks: &[Tok<'a>]) -> Tail<'a> {
    let mut referrer = None;
    let mut user_agent = None;
    let mut forwarded_for = None;
    let mut request_time = None;
    let mut upstream: Option<String> = None;
    let mut extra = Vec::new();
    let mut bare_numbers = 0;
    // `$upstream_response_time` lists several upstreams as `0.1, 0.2`
    // and redirects as `0.1 : 0.2`: the parts after the first are
    // separate tokens.
    let mut upstream_open = false;
    for (i, t) in toks.iter().enumerate() {
        match *t {
            Tok::Quoted(q) if i == 0 => referrer = Some(unescape(q)),
            Tok::Quoted(q) if i == 1 && referrer.is_some() => user_agent = Some(unescape(q)),
            Tok::Quoted(q) if forwarded_for.is_none() && is_address_list(q) => {
                forwarded_for = Some(q);
            }
            Tok::Bare(b) if upstream_open && (is_seconds(b) || b == b":" || b == b"-") => {
                if let Some(u) = upstream.as_mut() {
                    u.push(' ');
                    u.push_str(&lossless(b));
                    upstream_open = b == b":" || u.ends_with(',');
                }
            }
            Tok::Bare(b) => {
                upstream_open = false;
                match b.iter().position(|&c| c == b'=') {
                    Some(eq) => {
                        let (k, v) = (&b[..eq], &b[eq + 1..]);
                        let v = v
                            .strip_prefix(b"\"")
                            .and_then(|v| v.strip_suffix(b"\""))
                            .unwrap_or(v);
                        match k {
                            b"rt" | b"request_time" => request_time = Some(v),
                            b"urt" | b"upstream_response_time" => {
                                upstream = Some(lossless(v).into_owned());
                            }
                            _ => extra.push(b),
                        }
                    }
                    None if bare_numbers == 0 && is_seconds(b) => {
                        request_time = Some(b);
                        bare_numbers += 1;
                    }
                    None if bare_numbers == 1 && (is_seconds(b) || b == b"-") => {
                        let u = lossless(b).into_owned();
                        upstream_open = u.ends_with(',');
                        upstream = Some(u);
                        bare_numbers += 1;
                    }
                    None => extra.push(b),
                }
            }
            Tok::Quoted(q) | Tok::Bracket(q) => {
                upstream_open = false;
                extra.push(q);
            }
        }
    }
    Tail {
        referrer,
        user_agent,
        forwarded_for,
        request_time,
        upstream,
        extra,
    }
}

/// Pushes the raw fields of the tail; returns the request time in seconds.
fn push_tail(ev: &mut Event, t: &Tail<'_>) -> Option<f64> {
    if let Some(r) = &t.referrer {
        let v = ev.store_bytes(r);
        ev.push_raw(raw("http_referer"), v);
    }
    if let Some(u) = &t.user_agent {
        let v = ev.store_bytes(u);
        ev.push_raw(raw("http_user_agent"), v);
    }
    let mut duration = None;
    if let Some(rt) = t.request_time {
        let v = ev.store_bytes(rt);
        ev.push_raw(raw("request_time"), v);
        duration = seconds(rt);
    }
    if let Some(u) = &t.upstream {
        let v = ev.store_str(u);
        ev.push_raw(raw("upstream_response_time"), v);
    }
    if let Some(x) = t.forwarded_for {
        let v = ev.store_bytes(x);
        ev.push_raw(raw("http_x_forwarded_for"), v);
    }
    if !t.extra.is_empty() {
        let values: Vec<Value> = t.extra.iter().map(|e| ev.store_bytes(e)).collect();
        let list = ev.store_list(values);
        ev.push_raw(raw("extra"), list);
    }
    duration
}

/// Text with invalid UTF-8 bytes written as `\xNN` (as the event stores them).
fn lossless(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            escape_invalid_utf8(b, &mut out);
            Cow::Owned(out)
        }
    }
}

/// `METHOD target [HTTP/x.y]`; a method is an upper-case token.
pub(super) fn split_request(req: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let req = req.trim();
    let Some((method, rest)) = req.split_once(' ') else {
        return (None, None, None);
    };
    let method_ok = !method.is_empty()
        && method.len() <= 32
        && method
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
    if !method_ok {
        return (None, None, None);
    }
    let rest = rest.trim();
    match rest.rsplit_once(' ') {
        Some((target, v)) if v.starts_with("HTTP/") => (Some(method), Some(target.trim()), Some(v)),
        _ if rest.is_empty() => (Some(method), None, None),
        _ => (Some(method), Some(rest), None),
    }
}

/// Seconds as nginx writes them (`0.004`) or Apache `%D` microseconds
/// (an integer).
fn seconds(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.contains('.') {
        s.parse::<f64>().ok()
    } else {
        s.parse::<u64>().ok().map(|us| us as f64 / 1e6)
    }
}

fn is_seconds(b: &[u8]) -> bool {
    let b = b.strip_suffix(b",").unwrap_or(b);
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && b.iter().filter(|&&c| c == b'.').count() <= 1
}

/// `-`, or a comma-separated list of addresses (X-Forwarded-For).
fn is_address_list(q: &[u8]) -> bool {
    q == b"-"
        || std::str::from_utf8(q).is_ok_and(|s| {
            !s.is_empty()
                && s.split(',')
                    .all(|a| parse_addr(a).is_some() || a.trim() == "unknown")
        })
}

/// Whether these first non-empty lines of a source are this format: most
/// of them parse as common/combined lines (at most one bad line of eight).
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    if lines.is_empty() {
        return false;
    }
    let mut dec = AccessLogDecoder;
    let good = lines
        .iter()
        .filter(|l| looks_like_clf(l) && matches!(dec.decode(l, Origin::default()), Ok(Some(_))))
        .count();
    good >= 1 && good * 8 >= lines.len() * 7
}

/// A quick shape test before a full decode: `x x x [dd/Mon/yyyy:…] "`.
fn looks_like_clf(l: &[u8]) -> bool {
    let Some(open) = memchr::memchr(b'[', l) else {
        return false;
    };
    let after = &l[open + 1..];
    after.len() > 21
        && after[2] == b'/'
        && after[6] == b'/'
        && after[11] == b':'
        && memchr::memchr(b'"', after).is_some()
}
