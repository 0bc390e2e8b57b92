//! The normalized fields both access-log forms add: client and server
//! addresses, the HTTP request and response, the URL, and FHIR REST facts
//! when the path is a FHIR call.

use phiwatch_event::{keys, Event, Value};

use crate::fhir::{patient_ids_from_query, rest_facts, Ids};
use crate::url::{parse_addr, percent_decode, split_host_port, split_url};

/// What both decoders found, before it becomes fields.
#[derive(Default)]
pub(super) struct Http<'a> {
    pub(super) client: Option<&'a str>,
    pub(super) user: Option<&'a str>,
    pub(super) method: Option<&'a str>,
    pub(super) target: Option<&'a str>,
    pub(super) version: Option<&'a str>,
    pub(super) status: Option<i64>,
    pub(super) referrer: Option<&'a str>,
    pub(super) user_agent: Option<&'a str>,
    pub(super) forwarded_for: Option<&'a str>,
    pub(super) host: Option<&'a str>,
    /// Seconds.
    pub(super) duration: Option<f64>,
    /// Seconds (summed over several upstreams).
    pub(super) upstream: Option<f64>,
}

fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty() && *s != "-")
}

pub(super) fn push_http(ev: &mut Event, h: &Http<'_>) {
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
pub(super) fn upstream_seconds(s: &str) -> Option<f64> {
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
