//! Web and API access logs.
//!
//! **Text** (`access-log`): the NCSA `common` and `combined` formats of
//! Apache httpd and nginx,
//! `host ident authuser [dd/Mon/yyyy:HH:MM:SS ±zzzz] "request" status bytes ["referer" "user-agent"]`,
//! with an optional leading virtual host (`vhost_combined`) and the usual
//! nginx additions after the user agent: bare `$request_time` and
//! `$upstream_response_time`, a quoted `$http_x_forwarded_for`, and
//! `name=value` pairs (`rt=0.004 urt="0.003"`). Raw fields are named after
//! the nginx variables (`remote_addr`, `request`, `body_bytes_sent`, …).
//!
//! **JSON** (`access-json`): nginx `log_format … escape=json` logs with the
//! variable names as keys, Traefik access logs (`ClientHost`,
//! `RequestMethod`, `DownstreamStatus`, …), Caddy access logs (`request`
//! object, `status`, `size`, `duration`) and Envoy / Istio JSON access logs
//! (`method`, `path`, `response_code`, `downstream_remote_address`, …).
//! Other shapes are accepted with whatever of these keys they have, as long
//! as they carry a time.
//!
//! Both add the same normalized fields, and FHIR REST facts when the path is
//! a FHIR call (`phiwatch.resource.*`, `phiwatch.patient.ids`, the FHIR
//! interaction as `event.action`).

use std::borrow::Cow;
use std::net::IpAddr;

use phiwatch_event::{escape_invalid_utf8, keys, Event, Key, Origin, Timestamp, Value, ValueRef};

use crate::fhir::{patient_ids_from_query, rest_facts, Ids};
use crate::json::{self, type_error};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

// ---------------------------------------------------------------------------
// URL helpers (shared with the FHIR decoder).

/// Decodes `%XX` escapes (and `+` as a space when `plus` is set, for query
/// strings). Invalid escapes are kept as they are.
pub(crate) fn percent_decode(b: &[u8], plus: bool) -> Cow<'_, [u8]> {
    if !b.iter().any(|&c| c == b'%' || plus && c == b'+') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| {
                    let hi = (h[0] as char).to_digit(16)?;
                    let lo = (h[1] as char).to_digit(16)?;
                    Some((hi * 16 + lo) as u8)
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The parts of a request target: origin form (`/a?b`) or absolute form
/// (`https://host:443/a?b`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    pub(crate) scheme: Option<&'a str>,
    pub(crate) domain: Option<&'a str>,
    pub(crate) port: Option<u16>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
}

/// Splits a URL; never fails (an unrecognised target is all path).
pub(crate) fn split_url(s: &str) -> UrlParts<'_> {
    let s = s.split('#').next().unwrap_or("");
    let mut parts = UrlParts::default();
    let mut rest = s;
    if let Some(i) = s.find("://") {
        let scheme = &s[..i];
        if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphabetic()) {
            parts.scheme = Some(scheme);
            let after = &s[i + 3..];
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let authority = &after[..end];
            let host = authority.rsplit('@').next().unwrap_or("");
            let (h, port) = split_host_port(host);
            parts.domain = (!h.is_empty()).then_some(h);
            parts.port = port;
            rest = &after[end..];
        }
    }
    match rest.split_once('?') {
        Some((p, q)) => {
            parts.path = p;
            parts.query = Some(q);
        }
        None => parts.path = rest,
    }
    parts
}

/// `host:port`, `[v6]:port`, `v6`, `host`.
fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(r) = s.strip_prefix('[') {
        if let Some((h, p)) = r.split_once(']') {
            return (h, p.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
        return (s, None);
    }
    match s.rsplit_once(':') {
        // One colon: host:port; more: a bare IPv6 address.
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (s, None),
        },
        _ => (s, None),
    }
}

/// An address with an optional port (`203.0.113.9`, `203.0.113.9:5012`,
/// `[2001:db8::1]:443`, `2001:db8::1`).
fn parse_addr(s: &str) -> Option<(IpAddr, Option<u16>)> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some((ip, None));
    }
    let (h, p) = split_host_port(s);
    h.parse().ok().map(|ip| (ip, p))
}

// ---------------------------------------------------------------------------
// The normalized fields common to both forms.

/// What both decoders found, before it becomes fields.
#[derive(Default)]
struct Http<'a> {
    client: Option<&'a str>,
    user: Option<&'a str>,
    method: Option<&'a str>,
    target: Option<&'a str>,
    version: Option<&'a str>,
    status: Option<i64>,
    referrer: Option<&'a str>,
    user_agent: Option<&'a str>,
    forwarded_for: Option<&'a str>,
    host: Option<&'a str>,
    /// Seconds.
    duration: Option<f64>,
    /// Seconds (summed over several upstreams).
    upstream: Option<f64>,
}

fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty() && *s != "-")
}

fn push_http(ev: &mut Event, h: &Http<'_>) {
    ev.push_norm(keys::EVENT_KIND, Value::Static("event"));
    ev.push_norm(keys::EVENT_CATEGORY, Value::Static("web"));
    ev.push_norm(keys::EVENT_TYPE, Value::Static("access"));
    if let Some(c) = present(h.client) {
        ev.push_norm_str(keys::SOURCE_ADDRESS, c);
        match parse_addr(c) {
            Some((ip, port)) => {
                ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
                if let Some(p) = port {
                    ev.push_norm(keys::SOURCE_PORT, Value::Int(i64::from(p)));
                }
            }
            None => ev.push_norm_str(keys::SOURCE_DOMAIN, c),
        }
    }
    // The original client behind proxies: the first X-Forwarded-For entry.
    if let Some(xff) = present(h.forwarded_for) {
        let first = xff.split(',').next().unwrap_or("");
        if let Some((ip, _)) = parse_addr(first) {
            ev.push_norm(keys::CLIENT_IP, Value::Ip(ip));
        }
    }
    if let Some(u) = present(h.user) {
        ev.push_norm_str(keys::USER_NAME, u);
    }
    if let Some(m) = present(h.method) {
        ev.push_norm_str(keys::HTTP_REQUEST_METHOD, m);
    }
    if let Some(v) = present(h.version) {
        let v = v.strip_prefix("HTTP/").unwrap_or(v);
        ev.push_norm_str(keys::HTTP_VERSION, v);
    }
    if let Some(host) = present(h.host) {
        let (d, _) = split_host_port(host);
        ev.push_norm_str(keys::URL_DOMAIN, d);
    }
    if let Some(t) = present(h.target) {
        push_url(ev, h.method.unwrap_or(""), t, h.host.is_some());
    }
    if let Some(s) = h.status {
        ev.push_norm(keys::HTTP_RESPONSE_STATUS_CODE, Value::Int(s));
        if s > 0 {
            let o = if s >= 400 { "failure" } else { "success" };
            ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
        }
    }
    if let Some(r) = present(h.referrer) {
        ev.push_norm_str(keys::HTTP_REQUEST_REFERRER, r);
    }
    if let Some(ua) = present(h.user_agent) {
        ev.push_norm_str(keys::USER_AGENT_ORIGINAL, ua);
    }
    if let Some(d) = h.duration.filter(|d| d.is_finite() && *d >= 0.0) {
        ev.push_norm(keys::EVENT_DURATION, Value::Int((d * 1e9).round() as i64));
    }
    if let Some(u) = h.upstream.filter(|d| d.is_finite() && *d >= 0.0) {
        ev.push_norm(keys::HTTP_UPSTREAM_TIME, Value::Float(u));
    }
}

/// `url.*` and, for a FHIR REST call, the resource, patients and interaction.
fn push_url(ev: &mut Event, method: &str, target: &str, has_host: bool) {
    ev.push_norm_str(keys::URL_ORIGINAL, target);
    if method == "CONNECT" {
        // Authority form: `host:port`.
        let (h, port) = split_host_port(target);
        if !has_host {
            ev.push_norm_str(keys::URL_DOMAIN, h);
        }
        if let Some(p) = port {
            ev.push_norm(keys::URL_PORT, Value::Int(i64::from(p)));
        }
        return;
    }
    let parts = split_url(target);
    if let Some(s) = parts.scheme {
        ev.push_norm_str(keys::URL_SCHEME, s);
    }
    if let (Some(d), false) = (parts.domain, has_host) {
        ev.push_norm_str(keys::URL_DOMAIN, d);
    }
    if let Some(p) = parts.port {
        ev.push_norm(keys::URL_PORT, Value::Int(i64::from(p)));
    }
    if !parts.path.is_empty() {
        let p = percent_decode(parts.path.as_bytes(), false);
        let v = ev.store_bytes(&p);
        ev.push_norm(keys::URL_PATH, v);
    }
    if let Some(q) = parts.query.filter(|q| !q.is_empty()) {
        let dq = percent_decode(q.as_bytes(), true);
        let v = ev.store_bytes(&dq);
        ev.push_norm(keys::URL_QUERY, v);
    }
    let Some(rest) = rest_facts(true, parts.path) else {
        return;
    };
    let mut patients = Ids::default();
    if rest.resource_type == "Patient" {
        if let Some(id) = rest.id {
            patients.add(id);
        }
    }
    if let Some(q) = parts.query {
        patient_ids_from_query(Some(rest.resource_type), q, &mut patients);
    }
    patients.push(ev);
    if !rest.resource_type.is_empty() {
        ev.push_norm_str(keys::RESOURCE_TYPE, rest.resource_type);
        if let Some(id) = rest.id {
            ev.push_norm_str(keys::RESOURCE_ID, id);
        }
    }
    if let Some(i) = rest.interaction(method) {
        ev.push_norm_str(keys::EVENT_ACTION, i);
    }
}

/// nginx `$upstream_response_time`: `0.004`, `0.004, 0.002` (several
/// upstreams), `0.004 : 0.010` (internal redirect), `-`. The sum, when any
/// part is a number.
fn upstream_seconds(s: &str) -> Option<f64> {
    let mut sum = None;
    for part in s.split([',', ':']) {
        if let Ok(v) = part.trim().parse::<f64>() {
            if v.is_finite() && v >= 0.0 {
                sum = Some(sum.unwrap_or(0.0) + v);
            }
        }
    }
    sum
}

// ---------------------------------------------------------------------------
// Text: common / combined.

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

        // The optional tail: referer, user agent, then nginx additions.
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
        for (i, t) in toks[7..].iter().enumerate() {
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
        let referrer_s = referrer.as_deref().map(lossless);
        let ua_s = user_agent.as_deref().map(lossless);
        if let Some(r) = &referrer {
            let v = ev.store_bytes(r);
            ev.push_raw(raw("http_referer"), v);
        }
        if let Some(u) = &user_agent {
            let v = ev.store_bytes(u);
            ev.push_raw(raw("http_user_agent"), v);
        }
        let mut duration = None;
        if let Some(rt) = request_time {
            let v = ev.store_bytes(rt);
            ev.push_raw(raw("request_time"), v);
            duration = seconds(rt);
        }
        if let Some(u) = &upstream {
            let v = ev.store_str(u);
            ev.push_raw(raw("upstream_response_time"), v);
        }
        let xff_s = forwarded_for.map(lossless);
        if let Some(x) = forwarded_for {
            let v = ev.store_bytes(x);
            ev.push_raw(raw("http_x_forwarded_for"), v);
        }
        if !extra.is_empty() {
            let values: Vec<Value> = extra.iter().map(|e| ev.store_bytes(e)).collect();
            let list = ev.store_list(values);
            ev.push_raw(raw("extra"), list);
        }

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
fn split_request(req: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
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

// ---------------------------------------------------------------------------
// JSON access logs.

pub(crate) struct AccessJsonDecoder;

impl AccessJsonDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        AccessJsonDecoder
    }
}

/// Time keys, in order of preference.
const TIME_KEYS: &[&str] = &[
    "time_iso8601",
    "time_local",
    "msec",
    "StartUTC",
    "start_time",
    "time",
    "ts",
    "timestamp",
    "@timestamp",
];

fn json_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    for name in TIME_KEYS {
        let t = match ev.get_raw(name) {
            None | Some(ValueRef::Null) => continue,
            Some(ValueRef::Str(s)) => {
                Timestamp::parse_any(s.as_bytes()).or_else(|| parse_clf_time(s.as_bytes()))
            }
            Some(ValueRef::Float(f)) if f.is_finite() => {
                Some(Timestamp::from_nanos((f * 1e9) as i64))
            }
            Some(ValueRef::Int(i)) => Timestamp::from_secs(i),
            Some(_) => None,
        };
        return t.ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                format!("field `{name}`: expected a time (RFC 3339, dd/Mon/yyyy:HH:MM:SS ±zzzz or epoch seconds)"),
            )
        });
    }
    Err(DecodeError::new(
        ErrorKind::Time,
        "missing time: none of time_iso8601, time_local, msec, StartUTC, start_time, time, ts, timestamp",
    ))
}

/// The text of the first present field among `names` (the first item of a
/// list, as Caddy logs headers); `-` and empty count as absent.
fn first_text(ev: &Event, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let s = match ev.get_raw(n)? {
            ValueRef::Str(s) => s.to_string(),
            ValueRef::List(l) => l.iter().next()?.to_string(),
            ValueRef::Null => return None,
            other => other.to_string(),
        };
        let t = s.trim();
        (!t.is_empty() && t != "-").then(|| t.to_string())
    })
}

/// A number (or a numeric string) from the first present field; a present
/// value that is not a number is an error naming the field.
fn first_number(ev: &Event, names: &[&str]) -> Result<Option<f64>, DecodeError> {
    for n in names {
        match ev.get_raw(n) {
            None | Some(ValueRef::Null) => continue,
            Some(ValueRef::Int(i)) => return Ok(Some(i as f64)),
            Some(ValueRef::Float(f)) => return Ok(Some(f)),
            Some(ValueRef::Str(s)) => {
                let s = s.trim();
                if s.is_empty() || s == "-" {
                    return Ok(None);
                }
                return match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => upstream_seconds(s)
                        .map(Some)
                        .ok_or_else(|| type_error(n, "a number")),
                };
            }
            Some(_) => return Err(type_error(n, "a number")),
        }
    }
    Ok(None)
}

fn first_int(ev: &Event, names: &[&str]) -> Result<Option<i64>, DecodeError> {
    for n in names {
        match ev.get_raw(n) {
            None | Some(ValueRef::Null) => continue,
            Some(v) => {
                if matches!(v, ValueRef::Str(s) if s.trim() == "-" || s.trim().is_empty()) {
                    return Ok(None);
                }
                return match v.as_i64() {
                    Some(i) => Ok(Some(i)),
                    None => Err(type_error(n, "an integer")),
                };
            }
        }
    }
    Ok(None)
}

/// Which product wrote the line; units differ between them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Nginx,
    Traefik,
    Caddy,
    Envoy,
}

impl Decoder for AccessJsonDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(mut ev) = json::flatten_record(record, 48, 256)? else {
            return Ok(None);
        };
        ev.set_origin(origin);
        ev.set_time(json_time(&ev)?);
        json::tag(&mut ev, "web", "web.access", "access-json");
        let has = |ev: &Event, k: &str| ev.get_raw(k).is_some();
        let shape = if has(&ev, "DownstreamStatus") || has(&ev, "ClientHost") {
            Shape::Traefik
        } else if has(&ev, "response_code") {
            Shape::Envoy
        } else if has(&ev, "request.method") || has(&ev, "request.uri") {
            Shape::Caddy
        } else {
            Shape::Nginx
        };

        let client = first_text(
            &ev,
            &[
                "remote_addr",
                "ClientHost",
                "request.client_ip",
                "request.remote_ip",
                "downstream_remote_address",
                "client_ip",
                "ClientAddr",
            ],
        );
        let user = first_text(&ev, &["remote_user", "ClientUsername", "user_id"]);
        let (mut method, mut target, mut version) = (None, None, None);
        if let Some(line) = first_text(&ev, &["request"]) {
            let (m, t, v) = split_request(&line);
            method = m.map(str::to_string);
            target = t.map(str::to_string);
            version = v.map(str::to_string);
        }
        method = first_text(
            &ev,
            &[
                "request_method",
                "RequestMethod",
                "request.method",
                "method",
            ],
        )
        .or(method);
        target = first_text(&ev, &["request_uri", "RequestPath", "request.uri", "path"])
            .or(target)
            .or_else(|| {
                let uri = first_text(&ev, &["uri"])?;
                Some(match first_text(&ev, &["args", "query_string"]) {
                    Some(a) => format!("{uri}?{a}"),
                    None => uri,
                })
            });
        version = first_text(
            &ev,
            &[
                "server_protocol",
                "RequestProtocol",
                "request.proto",
                "protocol",
            ],
        )
        .or(version);
        let status = first_int(&ev, &["status", "DownstreamStatus", "response_code"])?;
        if status.is_some_and(|s| !(0..=999).contains(&s)) {
            return Err(type_error("status", "an HTTP status code"));
        }
        let referrer = first_text(
            &ev,
            &[
                "http_referer",
                "http_referrer",
                "request_Referer",
                "request.headers.Referer",
                "referer",
                "referrer",
            ],
        );
        let user_agent = first_text(
            &ev,
            &[
                "http_user_agent",
                "request_User-Agent",
                "request.headers.User-Agent",
                "user_agent",
            ],
        );
        let forwarded_for = first_text(
            &ev,
            &[
                "http_x_forwarded_for",
                "request_X-Forwarded-For",
                "request.headers.X-Forwarded-For",
                "x_forwarded_for",
            ],
        );
        let host = first_text(
            &ev,
            &[
                "host",
                "http_host",
                "RequestHost",
                "request.host",
                "authority",
                "server_name",
            ],
        );
        // Durations: nginx and Caddy in seconds, Traefik in nanoseconds,
        // Envoy in milliseconds.
        let (duration, upstream) = match shape {
            Shape::Traefik => (
                first_number(&ev, &["Duration"])?.map(|n| n / 1e9),
                first_number(&ev, &["OriginDuration"])?.map(|n| n / 1e9),
            ),
            Shape::Envoy => (
                first_number(&ev, &["duration"])?.map(|n| n / 1e3),
                first_number(&ev, &["upstream_service_time"])?.map(|n| n / 1e3),
            ),
            Shape::Caddy | Shape::Nginx => (
                first_number(&ev, &["request_time", "duration"])?,
                first_number(&ev, &["upstream_response_time"])?,
            ),
        };
        let body = match shape {
            Shape::Envoy => first_int(&ev, &["bytes_sent"])?,
            _ => first_int(&ev, &["body_bytes_sent", "DownstreamContentSize", "size"])?,
        };
        if let Some(b) = body {
            ev.push_norm(keys::HTTP_RESPONSE_BODY_BYTES, Value::Int(b));
        }
        if shape != Shape::Envoy {
            if let Some(b) = first_int(&ev, &["bytes_sent"])? {
                ev.push_norm(keys::HTTP_RESPONSE_BYTES, Value::Int(b));
            }
        }
        if let Some(b) = first_int(&ev, &["request_length"])? {
            ev.push_norm(keys::HTTP_REQUEST_BYTES, Value::Int(b));
        }
        if let Some(b) = first_int(&ev, &["bytes_received", "bytes_read", "RequestContentSize"])? {
            ev.push_norm(keys::HTTP_REQUEST_BODY_BYTES, Value::Int(b));
        }
        if let Some(id) = first_text(&ev, &["request_id", "x_request_id", "RequestID"]) {
            ev.push_norm_str(keys::HTTP_REQUEST_ID, &id);
        }
        if let Some(s) = first_text(&ev, &["scheme", "RequestScheme"]) {
            ev.push_norm_str(keys::URL_SCHEME, &s);
        }
        let h = Http {
            client: client.as_deref(),
            user: user.as_deref(),
            method: method.as_deref(),
            target: target.as_deref(),
            version: version.as_deref(),
            status,
            referrer: referrer.as_deref(),
            user_agent: user_agent.as_deref(),
            forwarded_for: forwarded_for.as_deref(),
            host: host.as_deref(),
            duration,
            upstream,
        };
        push_http(&mut ev, &h);
        Ok(Some(ev))
    }
}

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level names, and for dotted nested names when the object could not
/// be parsed). Zeek `http` (`ts`, `uid`, `id.orig_h`, `status_code`) and
/// Suricata `http` (`event_type`, `src_ip`, `http.*`) have none of these
/// combinations.
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    let zeek_or_suricata = has("uid") || has("id.orig_h") || has("event_type") || has("src_ip");
    if zeek_or_suricata {
        return false;
    }
    let nginx = has("remote_addr")
        && (has("request") || has("request_uri") || has("status") || has("request_method"));
    let traefik = (has("ClientHost") || has("ClientAddr"))
        && (has("DownstreamStatus") || has("RequestMethod"));
    let caddy = has("request") && has("status") && (has("resp_headers") || has("bytes_read"));
    let envoy = has("response_code")
        && (has("downstream_remote_address") || has("authority") || has("upstream_host"))
        && (has("method") || has("path"));
    nginx || traefik || caddy || envoy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_probe(keys: &[&str]) -> bool {
        detect_json(&|k| keys.contains(&k))
    }

    #[test]
    fn json_probe() {
        // Zeek http.log and Suricata http events are not access logs.
        let zeek = [
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "trans_depth",
            "method",
            "host",
            "uri",
            "version",
            "user_agent",
            "request_body_len",
            "response_body_len",
            "status_code",
            "status_msg",
        ];
        assert!(!keys_probe(&zeek));
        let suricata = [
            "timestamp",
            "flow_id",
            "event_type",
            "src_ip",
            "src_port",
            "dest_ip",
            "dest_port",
            "proto",
            "http",
            "http.hostname",
            "http.url",
            "http.http_user_agent",
            "http.http_method",
            "http.protocol",
            "http.status",
            "http.length",
        ];
        assert!(!keys_probe(&suricata));
        assert!(keys_probe(&[
            "time_local",
            "remote_addr",
            "request",
            "status"
        ]));
        assert!(keys_probe(&[
            "ClientHost",
            "DownstreamStatus",
            "RequestMethod"
        ]));
        assert!(keys_probe(&[
            "ts",
            "request",
            "status",
            "resp_headers",
            "bytes_read"
        ]));
        assert!(keys_probe(&[
            "start_time",
            "method",
            "path",
            "response_code",
            "downstream_remote_address"
        ]));
    }

    #[test]
    fn clf_time() {
        let t = parse_clf_time(b"10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(t.to_rfc3339(), "2000-10-10T20:55:36.000000Z");
        assert!(parse_clf_time(b"10/Foo/2000:13:55:36 -0700").is_none());
        assert!(parse_clf_time(b"10/Oct/2000:13:55:36 -07").is_none());
    }

    #[test]
    fn percent() {
        assert_eq!(&*percent_decode(b"a%20b%zz+c%4", true), b"a b%zz c%4");
        assert_eq!(&*percent_decode(b"a+b", false), b"a+b");
    }

    #[test]
    fn urls() {
        let p = split_url("https://ehr.example:8443/fhir/Patient?name=x#frag");
        assert_eq!(p.domain, Some("ehr.example"));
        assert_eq!(p.port, Some(8443));
        assert_eq!(p.path, "/fhir/Patient");
        assert_eq!(p.query, Some("name=x"));
        assert_eq!(
            split_host_port("[2001:db8::1]:443"),
            ("2001:db8::1", Some(443))
        );
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1", None));
    }

    #[test]
    fn requests() {
        assert_eq!(
            split_request("GET /a b HTTP/1.1"),
            (Some("GET"), Some("/a b"), Some("HTTP/1.1"))
        );
        assert_eq!(split_request("GET /"), (Some("GET"), Some("/"), None));
        assert_eq!(split_request("\\x16\\x03\\x01"), (None, None, None));
        assert_eq!(split_request("-"), (None, None, None));
    }
}
