//! JSON access logs (`access-json`): nginx `escape=json`, Traefik, Caddy and
//! Envoy / Istio shapes.

use phiwatch_event::{keys, Event, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, type_error};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use super::fields::{push_http, upstream_seconds, Http};
use super::text::{parse_clf_time, split_request};

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
        let shape = Shape::of(&ev);

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
        let (method, target, version) = request(&ev);
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
        let (duration, upstream) = durations(&ev, shape)?;
        push_sizes(&mut ev, shape)?;
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

impl Shape {
    /// The shape of a flattened record, by the keys it has.
    fn of(ev: &Event) -> Shape {
        let has = |ev: &Event, k: &str| ev.get_raw(k).is_some();
        if has(ev, "DownstreamStatus") || has(ev, "ClientHost") {
            Shape::Traefik
        } else if has(ev, "response_code") {
            Shape::Envoy
        } else if has(ev, "request.method") || has(ev, "request.uri") {
            Shape::Caddy
        } else {
            Shape::Nginx
        }
    }
}

/// Method, target and version: from the request line, overridden by the
/// fields that carry them separately.
fn request(ev: &Event) -> (Option<String>, Option<String>, Option<String>) {
    let (mut method, mut target, mut version) = (None, None, None);
    if let Some(line) = first_text(ev, &["request"]) {
        let (m, t, v) = split_request(&line);
        method = m.map(str::to_string);
        target = t.map(str::to_string);
        version = v.map(str::to_string);
    }
    method = first_text(
        ev,
        &[
            "request_method",
            "RequestMethod",
            "request.method",
            "method",
        ],
    )
    .or(method);
    target = first_text(ev, &["request_uri", "RequestPath", "request.uri", "path"])
        .or(target)
        .or_else(|| {
            let uri = first_text(ev, &["uri"])?;
            Some(match first_text(ev, &["args", "query_string"]) {
                Some(a) => format!("{uri}?{a}"),
                None => uri,
            })
        });
    version = first_text(
        ev,
        &[
            "server_protocol",
            "RequestProtocol",
            "request.proto",
            "protocol",
        ],
    )
    .or(version);
    (method, target, version)
}

/// The request and upstream durations in seconds: nginx and Caddy write
/// seconds, Traefik nanoseconds, Envoy milliseconds.
fn durations(ev: &Event, shape: Shape) -> Result<(Option<f64>, Option<f64>), DecodeError> {
    // Durations: nginx and Caddy in seconds, Traefik in nanoseconds,
    // Envoy in milliseconds.
    Ok(match shape {
        Shape::Traefik => (
            first_number(ev, &["Duration"])?.map(|n| n / 1e9),
            first_number(ev, &["OriginDuration"])?.map(|n| n / 1e9),
        ),
        Shape::Envoy => (
            first_number(ev, &["duration"])?.map(|n| n / 1e3),
            first_number(ev, &["upstream_service_time"])?.map(|n| n / 1e3),
        ),
        Shape::Caddy | Shape::Nginx => (
            first_number(ev, &["request_time", "duration"])?,
            first_number(ev, &["upstream_response_time"])?,
        ),
    })
}

/// Request and response sizes, request id and scheme.
fn push_sizes(ev: &mut Event, shape: Shape) -> Result<(), DecodeError> {
    let body = match shape {
        Shape::Envoy => first_int(ev, &["bytes_sent"])?,
        _ => first_int(ev, &["body_bytes_sent", "DownstreamContentSize", "size"])?,
    };
    if let Some(b) = body {
        ev.push_norm(keys::HTTP_RESPONSE_BODY_BYTES, Value::Int(b));
    }
    if shape != Shape::Envoy {
        if let Some(b) = first_int(ev, &["bytes_sent"])? {
            ev.push_norm(keys::HTTP_RESPONSE_BYTES, Value::Int(b));
        }
    }
    if let Some(b) = first_int(ev, &["request_length"])? {
        ev.push_norm(keys::HTTP_REQUEST_BYTES, Value::Int(b));
    }
    if let Some(b) = first_int(ev, &["bytes_received", "bytes_read", "RequestContentSize"])? {
        ev.push_norm(keys::HTTP_REQUEST_BODY_BYTES, Value::Int(b));
    }
    if let Some(id) = first_text(ev, &["request_id", "x_request_id", "RequestID"]) {
        ev.push_norm_str(keys::HTTP_REQUEST_ID, &id);
    }
    if let Some(s) = first_text(ev, &["scheme", "RequestScheme"]) {
        ev.push_norm_str(keys::URL_SCHEME, &s);
    }
    Ok(())
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
