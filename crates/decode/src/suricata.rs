//! Suricata EVE JSON: one object per line, `event_type` saying which.
//!
//! Every record keeps its flattened raw fields (`flow.bytes_toserver`,
//! `alert.signature`, …); the common ones are added under ECS names. DNS
//! answers are collected into `dns.answers.data` from any EVE DNS layout:
//! version 1 (one record per answer, `dns.rdata`), version 2 (`answers`
//! objects and/or `grouped` lists) and version 3 (`queries` and `answers`).

use phiwatch_event::{keys, Event, Key, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, copy_checked, type_error, Conv};
use crate::{DecodeError, Decoder, ErrorKind};

pub(crate) struct SuricataDecoder;

impl SuricataDecoder {
    pub(crate) fn new() -> Self {
        SuricataDecoder
    }
}

/// `event.dataset` for an `event_type`.
fn dataset(event_type: &str) -> &'static str {
    match event_type {
        "flow" => "suricata.flow",
        "dns" => "suricata.dns",
        "http" => "suricata.http",
        "tls" => "suricata.tls",
        "fileinfo" => "suricata.fileinfo",
        "alert" => "suricata.alert",
        "netflow" => "suricata.netflow",
        "anomaly" => "suricata.anomaly",
        "stats" => "suricata.stats",
        "ssh" => "suricata.ssh",
        "smtp" => "suricata.smtp",
        _ => "suricata.other",
    }
}

impl Decoder for SuricataDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(mut ev) = json::flatten_record(record, 48, 64)? else {
            return Ok(None);
        };
        ev.set_time(record_time(&ev)?);
        ev.set_origin(origin);

        let event_type = match ev.get_raw("event_type") {
            Some(ValueRef::Str(s)) => s,
            None | Some(ValueRef::Null) => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "missing field `event_type`",
                ))
            }
            Some(_) => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "field `event_type`: expected a string",
                ))
            }
        };
        let ds = dataset(event_type);
        let kind = match event_type {
            "alert" => "alert",
            "stats" => "metric",
            _ => "event",
        };
        json::tag(&mut ev, "suricata", ds, "suricata");
        ev.push_norm(keys::EVENT_KIND, Value::Static(kind));

        common(&mut ev)?;
        flow(&mut ev)?;
        alert(&mut ev)?;
        dns(&mut ev);
        http(&mut ev)?;
        tls(&mut ev);
        fileinfo(&mut ev)?;
        Ok(Some(ev))
    }
}

fn record_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    json::rfc3339_field(ev, "timestamp").unwrap_or_else(|| {
        Err(DecodeError::new(
            ErrorKind::Time,
            "missing field `timestamp`",
        ))
    })
}

/// The five-tuple and flow identity, present on most event types.
fn common(ev: &mut Event) -> Result<(), DecodeError> {
    copy_checked(ev, "src_ip", keys::SOURCE_IP, Conv::Ip)?;
    copy_checked(ev, "src_port", keys::SOURCE_PORT, Conv::Port)?;
    copy_checked(ev, "dest_ip", keys::DESTINATION_IP, Conv::Ip)?;
    copy_checked(ev, "dest_port", keys::DESTINATION_PORT, Conv::Port)?;

    // `proto` is a name (`TCP`, `IPv6-ICMP`) or, for protocols Suricata does
    // not name, the IANA number as text.
    match ev.get_raw("proto") {
        Some(v @ (ValueRef::Int(_) | ValueRef::Str(_))) => match v.as_i64() {
            Some(n) => json::push_iana_protocol(ev, n),
            None => {
                json::alias(ev, "proto", keys::NETWORK_TRANSPORT, Conv::Lower);
            }
        },
        None | Some(ValueRef::Null) => {}
        Some(_) => return Err(type_error("proto", "a protocol name or number")),
    }
    // `failed` means protocol detection failed: no protocol to report.
    if !matches!(ev.get_raw("app_proto"), Some(ValueRef::Str("failed"))) {
        json::alias(ev, "app_proto", keys::NETWORK_PROTOCOL, Conv::Lower);
    }
    // The flow id is an identifier, kept as text like Zeek's `uid`.
    match ev.get_raw("flow_id") {
        Some(ValueRef::Int(i)) => {
            let s = i.to_string();
            ev.push_norm_str(keys::PHIWATCH_SESSION_ID, &s);
        }
        Some(ValueRef::Float(f)) if f.is_finite() && f >= 0.0 => {
            // Beyond i64: JSON readers lose the low digits; keep what is left.
            let s = format!("{f:.0}");
            ev.push_norm_str(keys::PHIWATCH_SESSION_ID, &s);
        }
        Some(ValueRef::Str(_)) => {
            json::alias(ev, "flow_id", keys::PHIWATCH_SESSION_ID, Conv::Same);
        }
        None | Some(ValueRef::Null) => {}
        Some(_) => return Err(type_error("flow_id", "an integer")),
    }
    json::alias(ev, "community_id", keys::NETWORK_COMMUNITY_ID, Conv::Same);
    json::alias(ev, "host", keys::OBSERVER_NAME, Conv::Same);
    Ok(())
}

/// Byte and packet counts: `flow` (both directions) and `netflow` (one).
fn flow(ev: &mut Event) -> Result<(), DecodeError> {
    let sb = copy_checked(ev, "flow.bytes_toserver", keys::SOURCE_BYTES, Conv::Int)?;
    let db = copy_checked(
        ev,
        "flow.bytes_toclient",
        keys::DESTINATION_BYTES,
        Conv::Int,
    )?;
    let sp = copy_checked(ev, "flow.pkts_toserver", keys::SOURCE_PACKETS, Conv::Int)?;
    let dp = copy_checked(
        ev,
        "flow.pkts_toclient",
        keys::DESTINATION_PACKETS,
        Conv::Int,
    )?;
    if sb && db {
        sum(
            ev,
            keys::SOURCE_BYTES,
            keys::DESTINATION_BYTES,
            keys::NETWORK_BYTES,
        );
    }
    if sp && dp {
        sum(
            ev,
            keys::SOURCE_PACKETS,
            keys::DESTINATION_PACKETS,
            keys::NETWORK_PACKETS,
        );
    }
    json::alias(ev, "flow.start", keys::EVENT_START, Conv::Time);
    json::alias(ev, "flow.end", keys::EVENT_END, Conv::Time);
    // A netflow record describes one direction, from src to dest.
    copy_checked(ev, "netflow.bytes", keys::SOURCE_BYTES, Conv::Int)?;
    copy_checked(ev, "netflow.pkts", keys::SOURCE_PACKETS, Conv::Int)?;
    json::alias(ev, "netflow.start", keys::EVENT_START, Conv::Time);
    json::alias(ev, "netflow.end", keys::EVENT_END, Conv::Time);
    Ok(())
}

fn sum(ev: &mut Event, a: Key, b: Key, to: Key) {
    let x = ev.get(a).and_then(|v| v.as_i64());
    let y = ev.get(b).and_then(|v| v.as_i64());
    if let (Some(x), Some(y)) = (x, y) {
        ev.push_norm(to, Value::Int(x.saturating_add(y)));
    }
}

fn alert(ev: &mut Event) -> Result<(), DecodeError> {
    json::alias(ev, "alert.signature", keys::RULE_NAME, Conv::Same);
    json::alias(ev, "alert.signature_id", keys::RULE_ID, Conv::Same);
    json::alias(ev, "alert.category", keys::RULE_CATEGORY, Conv::Same);
    copy_checked(ev, "alert.severity", keys::EVENT_SEVERITY, Conv::Int)?;
    json::alias(ev, "alert.action", keys::EVENT_ACTION, Conv::Same);
    Ok(())
}

fn dns(ev: &mut Event) {
    // Version 3 puts the question in a `queries` array.
    json::alias_first(
        ev,
        &["dns.rrname", "dns.queries.rrname"],
        keys::DNS_QUESTION_NAME,
        Conv::Same,
    );
    json::alias_first(
        ev,
        &["dns.rrtype", "dns.queries.rrtype"],
        keys::DNS_QUESTION_TYPE,
        Conv::Same,
    );
    json::alias(ev, "dns.rcode", keys::DNS_RESPONSE_CODE, Conv::Same);
    json::alias(ev, "dns.id", keys::DNS_ID, Conv::Same);
    match ev.get_raw("dns.type").and_then(|v| v.as_str()) {
        Some("query" | "request") => ev.push_norm(keys::DNS_TYPE, Value::Static("query")),
        Some("answer" | "response") => ev.push_norm(keys::DNS_TYPE, Value::Static("answer")),
        _ => {}
    }

    dns_answers(ev);
}

/// `dns.answers.data` from v2/v3 `answers[].rdata`, else v2
/// `grouped.<TYPE>` lists, else the v1 per-answer `rdata`; and
/// `dns.answers.ttl` from any of them.
fn dns_answers(ev: &mut Event) {
    let mut data: Vec<String> = Vec::new();
    let mut grouped: Vec<String> = Vec::new();
    let mut v1: Vec<String> = Vec::new();
    let mut ttls: Vec<i64> = Vec::new();
    for f in ev.fields() {
        let target = if f.name == "dns.answers.rdata" {
            &mut data
        } else if f.name.starts_with("dns.grouped.") {
            &mut grouped
        } else if f.name == "dns.rdata" {
            &mut v1
        } else {
            if f.name == "dns.answers.ttl" || f.name == "dns.ttl" {
                ttls.extend(f.value.as_i64());
            }
            continue;
        };
        match f.value {
            ValueRef::List(l) => {
                target.extend(l.iter().filter(|v| !v.is_null()).map(|v| v.to_string()))
            }
            ValueRef::Null => {}
            v => target.push(v.to_string()),
        }
    }
    let answers = if !data.is_empty() {
        data
    } else if !grouped.is_empty() {
        grouped
    } else {
        v1
    };
    if !answers.is_empty() {
        let stored: Vec<Value> = answers.iter().map(|s| ev.store_str(s)).collect();
        let list = ev.store_list(stored);
        ev.push_norm(keys::DNS_ANSWERS_DATA, list);
    }
    if !ttls.is_empty() {
        let list = ev.store_list(ttls.into_iter().map(Value::Int));
        ev.push_norm(keys::DNS_ANSWERS_TTL, list);
    }
}

fn http(ev: &mut Event) -> Result<(), DecodeError> {
    json::alias(ev, "http.hostname", keys::URL_DOMAIN, Conv::Same);
    if json::alias(ev, "http.url", keys::URL_ORIGINAL, Conv::Same) {
        if let Some(url) = ev.get(keys::URL_ORIGINAL).and_then(|v| v.as_str()) {
            let (path, query) = split_url(url);
            let (path, query) = (path.map(str::to_string), query.map(str::to_string));
            if let Some(p) = path {
                ev.push_norm_str(keys::URL_PATH, &p);
            }
            if let Some(q) = query {
                ev.push_norm_str(keys::URL_QUERY, &q);
            }
        }
    }
    json::alias(
        ev,
        "http.http_method",
        keys::HTTP_REQUEST_METHOD,
        Conv::Same,
    );
    copy_checked(
        ev,
        "http.status",
        keys::HTTP_RESPONSE_STATUS_CODE,
        Conv::Int,
    )?;
    json::alias(
        ev,
        "http.http_user_agent",
        keys::USER_AGENT_ORIGINAL,
        Conv::Same,
    );
    copy_checked(ev, "http.length", keys::HTTP_RESPONSE_BODY_BYTES, Conv::Int)?;
    json::alias(
        ev,
        "http.http_refer",
        keys::HTTP_REQUEST_REFERRER,
        Conv::Same,
    );
    json::alias(
        ev,
        "http.http_content_type",
        keys::HTTP_RESPONSE_MIME_TYPE,
        Conv::Same,
    );
    if let Some(v) = ev
        .get_raw("http.protocol")
        .and_then(|v| v.as_str())
        .and_then(|p| p.strip_prefix("HTTP/"))
    {
        let v = v.to_string();
        ev.push_norm_str(keys::HTTP_VERSION, &v);
    }
    Ok(())
}

/// Path and query of a request target (`/a/b?x=1`, or an absolute URL).
fn split_url(url: &str) -> (Option<&str>, Option<&str>) {
    let no_frag = url.split('#').next().unwrap_or(url);
    let (before, query) = match no_frag.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (no_frag, None),
    };
    let path = match before.find("://") {
        Some(i) => {
            let after = before.get(i + 3..).unwrap_or("");
            after.find('/').and_then(|j| after.get(j..))
        }
        None => Some(before),
    };
    (path.filter(|p| !p.is_empty()), query)
}

fn tls(ev: &mut Event) {
    json::alias(ev, "tls.sni", keys::TLS_CLIENT_SERVER_NAME, Conv::Same);
    json::alias(ev, "tls.subject", keys::TLS_SERVER_SUBJECT, Conv::Same);
    json::alias(ev, "tls.issuerdn", keys::TLS_SERVER_ISSUER, Conv::Same);
    json::alias(ev, "tls.ja3.hash", keys::TLS_CLIENT_JA3, Conv::Same);
    json::alias(ev, "tls.ja3s.hash", keys::TLS_SERVER_JA3S, Conv::Same);
    json::alias(ev, "tls.ja4", keys::TLS_CLIENT_JA4, Conv::Same);
    // `TLS 1.2` → tls.version `1.2`, tls.version_protocol `tls`; `SSLv3` →
    // `3.0`, `ssl`. Other text (`UNDETERMINED`) is left raw only.
    let version = ev
        .get_raw("tls.version")
        .and_then(|v| v.as_str())
        .and_then(|v| {
            if let Some(n) = v.strip_prefix("TLS ").or_else(|| v.strip_prefix("TLSv")) {
                Some(("tls", n.to_string()))
            } else {
                v.strip_prefix("SSLv").map(|n| {
                    let n = if n.contains('.') {
                        n.to_string()
                    } else {
                        format!("{n}.0")
                    };
                    ("ssl", n)
                })
            }
        });
    if let Some((proto, n)) = version {
        ev.push_norm_str(keys::TLS_VERSION, &n);
        ev.push_norm(keys::TLS_VERSION_PROTOCOL, Value::Static(proto));
    }
    // Suricata's fingerprint is the certificate's SHA-1 as `aa:bb:…`; ECS
    // wants uppercase hex.
    if let Some(fp) = ev.get_raw("tls.fingerprint").and_then(|v| v.as_str()) {
        let hex: String = fp
            .chars()
            .filter(|c| *c != ':')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            ev.push_norm_str(keys::TLS_SERVER_HASH_SHA1, &hex);
        }
    }
}

fn fileinfo(ev: &mut Event) -> Result<(), DecodeError> {
    json::alias(ev, "fileinfo.filename", keys::FILE_NAME, Conv::Same);
    json::alias(ev, "fileinfo.md5", keys::FILE_HASH_MD5, Conv::Same);
    json::alias(ev, "fileinfo.sha1", keys::FILE_HASH_SHA1, Conv::Same);
    json::alias(ev, "fileinfo.sha256", keys::FILE_HASH_SHA256, Conv::Same);
    copy_checked(ev, "fileinfo.size", keys::FILE_SIZE, Conv::Int)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        assert_eq!(split_url("/a/b?x=1&y"), (Some("/a/b"), Some("x=1&y")));
        assert_eq!(split_url("/"), (Some("/"), None));
        assert_eq!(split_url("http://h.example/p?q"), (Some("/p"), Some("q")));
        assert_eq!(split_url("http://h.example"), (None, None));
        assert_eq!(split_url("?q"), (None, Some("q")));
        assert_eq!(split_url("/p#frag"), (Some("/p"), None));
    }
}
