//! ArcSight Common Event Format:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Device Event
//! Class ID|Name|Severity|Extension`.
//!
//! Header fields unescape `\|` and `\\`; they become raw fields
//! `cef.version`, `cef.device.vendor`, `cef.device.product`,
//! `cef.device.version`, `cef.device.event_class_id`, `cef.name` and
//! `cef.severity`. The extension is `key=value` pairs separated by spaces,
//! where values may hold spaces and `\=`, `\\`, `\n`, `\r` escapes; a new
//! pair starts at a space followed by a key and an unescaped `=`. Each pair
//! is a raw field under its key (an empty value is null), and a custom field
//! (`cs1`…`cs6`, `cn1`…`cn4`, `cfp1`…`cfp4`, `c6a1`…`c6a4`,
//! `deviceCustomDate1`/`2`, `flexString1`/`2`, `flexNumber1`/`2`) with a
//! label (`cs1Label`, …) is also a raw field named by its label.
//!
//! Direction of byte counts follows the CEF key dictionary: `in` (bytesIn)
//! is data "flowing from source to destination", hence ECS `source.bytes`;
//! `out` (bytesOut) flows from destination to source, hence
//! `destination.bytes`; `network.bytes` is their sum.

use std::borrow::Cow;

use phiwatch_event::{keys, Event, Key, Timestamp, Value};

use super::{split_pipes, timefmt, PayloadTime};
use crate::json;
use crate::{DecodeError, ErrorKind};

const HEADER: [&str; 7] = [
    "cef.version",
    "cef.device.vendor",
    "cef.device.product",
    "cef.device.version",
    "cef.device.event_class_id",
    "cef.name",
    "cef.severity",
];

/// Decodes a CEF payload (after `CEF:`) into `ev`.
pub(super) fn decode(
    s: &str,
    ev: &mut Event,
    year: Option<i32>,
) -> Result<PayloadTime, DecodeError> {
    let (header, ext) = split_pipes(s, 7).map_err(|(found, _)| {
        DecodeError::new(
            ErrorKind::Schema,
            format!(
                "CEF header: expected 7 `|`-terminated fields before the extension, found {}",
                found.len()
            ),
        )
    })?;
    let mut values = [Value::Null; 7];
    for ((slot, name), text) in values.iter_mut().zip(HEADER).zip(&header) {
        let text = text.trim();
        let v = if text.is_empty() {
            Value::Null
        } else {
            ev.store_str(text)
        };
        *slot = v;
        push_raw(ev, name, v);
    }
    let version = header.first().map(|v| v.trim()).unwrap_or("");
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::new(
            ErrorKind::Value,
            "CEF header `Version`: expected an integer",
        ));
    }
    let [_, vendor, product, dversion, class_id, name, _] = values;
    for (v, k) in [
        (vendor, keys::OBSERVER_VENDOR),
        (product, keys::OBSERVER_PRODUCT),
        (dversion, keys::OBSERVER_VERSION),
        (class_id, keys::EVENT_CODE),
        (name, keys::RULE_NAME),
    ] {
        if v != Value::Null {
            ev.push_norm(k, v);
        }
    }
    if let Some(sev) = header.get(6).and_then(|s| severity(s.trim())) {
        ev.push_norm(keys::EVENT_SEVERITY, Value::Int(sev));
    }

    let pairs = parse_ext(ext)?;
    push_pairs(ev, &pairs, map_key)?;
    times(ev, &pairs, year)
}

fn push_raw(ev: &mut Event, name: &str, v: Value) {
    let n = ev.name(name);
    ev.push_raw(n, v);
}

/// CEF severity: 0–10, or Unknown / Low / Medium / High / Very-High mapped
/// to the top of their CEF bands (0–3, 4–6, 7–8, 9–10). Anything else is
/// kept raw only.
pub(super) fn severity(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return (0..=10).contains(&n).then_some(n);
    }
    match s.to_ascii_lowercase().as_str() {
        "low" => Some(3),
        "medium" => Some(6),
        "high" => Some(8),
        "very-high" | "very high" | "veryhigh" | "critical" => Some(10),
        _ => None,
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Whether the `=` at `i` is escaped (an odd number of `\` before it).
fn escaped(b: &[u8], i: usize) -> bool {
    let n = b
        .get(..i)
        .unwrap_or(b"")
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    n % 2 == 1
}

/// The `key=value` pairs of a CEF extension, values unescaped.
pub(super) fn parse_ext(ext: &str) -> Result<Vec<(&str, Cow<'_, str>)>, DecodeError> {
    let mut pairs = Vec::with_capacity(24);
    let ext = ext.trim_start();
    if ext.trim_end().is_empty() {
        return Ok(pairs);
    }
    let b = ext.as_bytes();
    let first_eq = (0..b.len())
        .find(|&i| b.get(i) == Some(&b'=') && !escaped(b, i))
        .ok_or_else(|| {
            DecodeError::new(ErrorKind::Syntax, "CEF extension: expected `key=value`")
        })?;
    let mut key = ext.get(..first_eq).unwrap_or("");
    if key.is_empty() || !key.bytes().all(is_key_byte) {
        return Err(DecodeError::new(
            ErrorKind::Syntax,
            "CEF extension: expected a key before the first `=`",
        ));
    }
    let mut val_start = first_eq + 1;
    let mut i = val_start;
    while i < b.len() {
        if b.get(i) == Some(&b'=') && !escaped(b, i) {
            // A new pair starts if a key directly follows a space.
            let mut k = i;
            while k > val_start && b.get(k - 1).copied().is_some_and(is_key_byte) {
                k -= 1;
            }
            if k < i && k > val_start && b.get(k - 1) == Some(&b' ') {
                let raw = ext.get(val_start..k - 1).unwrap_or("");
                pairs.push((key, unescape(raw.trim_end())));
                key = ext.get(k..i).unwrap_or("");
                val_start = i + 1;
            }
        }
        i += 1;
    }
    let raw = ext.get(val_start..).unwrap_or("");
    pairs.push((key, unescape(raw.trim_end())));
    Ok(pairs)
}

/// Unescapes an extension value: `\=`, `\\`, `\|`, `\n`, `\r`; other
/// backslashes are kept.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some(e @ ('=' | '\\' | '|')) => {
                out.push(e);
                it.next();
            }
            Some('n') => {
                out.push('\n');
                it.next();
            }
            Some('r') => {
                out.push('\r');
                it.next();
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Maps one extension pair (stored as `v`, text `text`) to normalized
/// fields. Keys with fixed meanings in the CEF key dictionary; the long
/// ("full") names are accepted too.
pub(super) fn map_key(ev: &mut Event, key: &str, v: Value, text: &str) -> Result<(), DecodeError> {
    match key {
        "src" | "sourceAddress" => ip(ev, key, keys::SOURCE_IP, text)?,
        "dst" | "destinationAddress" => ip(ev, key, keys::DESTINATION_IP, text)?,
        "spt" | "sourcePort" => port(ev, key, keys::SOURCE_PORT, text)?,
        "dpt" | "destinationPort" => port(ev, key, keys::DESTINATION_PORT, text)?,
        "smac" | "sourceMacAddress" => ev.push_norm(keys::SOURCE_MAC, v),
        "dmac" | "destinationMacAddress" => ev.push_norm(keys::DESTINATION_MAC, v),
        "shost" | "sourceHostName" => ev.push_norm(keys::SOURCE_DOMAIN, v),
        "dhost" | "destinationHostName" => ev.push_norm(keys::DESTINATION_DOMAIN, v),
        "suser" | "sourceUserName" => {
            ev.push_norm(keys::SOURCE_USER_NAME, v);
            ev.push_norm(keys::USER_NAME, v);
        }
        "duser" | "destinationUserName" => ev.push_norm(keys::DESTINATION_USER_NAME, v),
        "act" | "deviceAction" => ev.push_norm(keys::EVENT_ACTION, v),
        "app" | "applicationProtocol" => lower(ev, keys::NETWORK_PROTOCOL, v, text),
        "proto" | "transportProtocol" => transport(ev, v, text),
        "in" | "bytesIn" => int(ev, key, keys::SOURCE_BYTES, text)?,
        "out" | "bytesOut" => int(ev, key, keys::DESTINATION_BYTES, text)?,
        "request" | "requestURL" | "requestUrl" => ev.push_norm(keys::URL_ORIGINAL, v),
        "requestMethod" => ev.push_norm(keys::HTTP_REQUEST_METHOD, v),
        "requestClientApplication" => ev.push_norm(keys::USER_AGENT_ORIGINAL, v),
        "requestContext" => ev.push_norm(keys::HTTP_REQUEST_REFERRER, v),
        "fname" | "fileName" => ev.push_norm(keys::FILE_NAME, v),
        "fsize" | "fileSize" => int(ev, key, keys::FILE_SIZE, text)?,
        "filePath" => ev.push_norm(keys::FILE_PATH, v),
        "fileHash" => {
            if let Some(k) = hash_key(text) {
                ev.push_norm(k, v);
            }
        }
        "msg" | "message" => ev.push_norm(keys::MESSAGE, v),
        "outcome" | "eventOutcome" => outcome(ev, text),
        "reason" => ev.push_norm(keys::EVENT_REASON, v),
        "dvchost" | "deviceHostName" => ev.push_norm(keys::OBSERVER_HOSTNAME, v),
        "externalId" => ev.push_norm(keys::EVENT_ID, v),
        "deviceDirection" => match text {
            "0" => ev.push_norm(keys::NETWORK_DIRECTION, Value::Static("inbound")),
            "1" => ev.push_norm(keys::NETWORK_DIRECTION, Value::Static("outbound")),
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

fn ip(ev: &mut Event, key: &str, to: Key, text: &str) -> Result<(), DecodeError> {
    match text.trim().parse() {
        Ok(ip) => {
            ev.push_norm(to, Value::Ip(ip));
            Ok(())
        }
        Err(_) => Err(json::type_error(key, "an IP address")),
    }
}

fn port(ev: &mut Event, key: &str, to: Key, text: &str) -> Result<(), DecodeError> {
    match text.trim().parse::<i64>() {
        Ok(p) if (0..=65_535).contains(&p) => {
            ev.push_norm(to, Value::Int(p));
            Ok(())
        }
        _ => Err(json::type_error(key, "a port number (0-65535)")),
    }
}

pub(super) fn int(ev: &mut Event, key: &str, to: Key, text: &str) -> Result<(), DecodeError> {
    match text.trim().parse::<i64>() {
        Ok(n) => {
            ev.push_norm(to, Value::Int(n));
            Ok(())
        }
        Err(_) => Err(json::type_error(key, "an integer")),
    }
}

fn lower(ev: &mut Event, to: Key, v: Value, text: &str) {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        let l = text.to_ascii_lowercase();
        ev.push_norm_str(to, &l);
    } else {
        ev.push_norm(to, v);
    }
}

/// `proto`: a name (`TCP` → `tcp`) or an IANA number.
pub(super) fn transport(ev: &mut Event, v: Value, text: &str) {
    match text.trim().parse::<i64>() {
        Ok(n) => json::push_iana_protocol(ev, n),
        Err(_) => lower(ev, keys::NETWORK_TRANSPORT, v, text),
    }
}

fn outcome(ev: &mut Event, text: &str) {
    let o = match text.to_ascii_lowercase().as_str() {
        "success" | "successful" | "succeeded" | "succeed" | "ok" => "success",
        "failure" | "failed" | "fail" | "error" => "failure",
        "unknown" => "unknown",
        _ => return,
    };
    ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
}

/// The `file.hash.*` key for a hex digest, by its length.
fn hash_key(text: &str) -> Option<Key> {
    let t = text.trim();
    if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match t.len() {
        32 => Some(keys::FILE_HASH_MD5),
        40 => Some(keys::FILE_HASH_SHA1),
        64 => Some(keys::FILE_HASH_SHA256),
        _ => None,
    }
}

/// Names of custom fields that have a `…Label` companion.
fn is_labelled(key: &str) -> bool {
    let n = |p: &str, max: u8| {
        key.strip_prefix(p)
            .and_then(|d| d.parse::<u8>().ok())
            .is_some_and(|d| (1..=max).contains(&d))
            && !key.ends_with("Label")
    };
    n("cs", 6)
        || n("cn", 4)
        || n("cfp", 4)
        || n("c6a", 4)
        || n("deviceCustomDate", 2)
        || n("flexString", 2)
        || n("flexNumber", 2)
        || n("flexDate", 1)
}

/// Stores each pair raw (empty text as null) and maps it to normalized
/// fields with `map_key` (the format's own), then does the work common to
/// CEF and LEEF ([`post_common`]).
pub(super) fn push_pairs(
    ev: &mut Event,
    pairs: &[(&str, Cow<'_, str>)],
    map_key: fn(&mut Event, &str, Value, &str) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut stored = Vec::with_capacity(pairs.len());
    for (key, text) in pairs {
        let v = if text.is_empty() {
            Value::Null
        } else {
            ev.store_str(text)
        };
        let n = ev.name(key);
        ev.push_raw(n, v);
        if v != Value::Null {
            map_key(ev, key, v, text)?;
        }
        stored.push((*key, v));
    }
    post_common(ev, pairs, &stored)
}

/// Work common to CEF and LEEF after every pair is stored: custom fields
/// under their labels, and `network.bytes` from `in` + `out`.
fn post_common(
    ev: &mut Event,
    pairs: &[(&str, Cow<'_, str>)],
    stored: &[(&str, Value)],
) -> Result<(), DecodeError> {
    let mut label_name = String::with_capacity(16);
    for (key, v) in stored {
        if *v == Value::Null || !is_labelled(key) {
            continue;
        }
        label_name.clear();
        label_name.push_str(key);
        label_name.push_str("Label");
        let label = pairs
            .iter()
            .rev()
            .find(|(k, _)| *k == label_name)
            .map(|(_, l)| l.trim());
        if let Some(label) = label.filter(|l| !l.is_empty()) {
            let n = ev.name(label);
            ev.push_raw(n, *v);
        }
    }
    let num = |name: &str| -> Option<i64> {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, t)| t.trim().parse().ok())
    };
    let bytes_in = num("in").or_else(|| num("bytesIn"));
    let bytes_out = num("out").or_else(|| num("bytesOut"));
    if bytes_in.is_some() || bytes_out.is_some() {
        let total = bytes_in.unwrap_or(0).saturating_add(bytes_out.unwrap_or(0));
        ev.push_norm(keys::NETWORK_BYTES, Value::Int(total));
    }
    Ok(())
}

/// The text of the first pair named `name` that is not blank.
pub(super) fn pair<'p>(pairs: &'p [(&str, Cow<'_, str>)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, t)| *k == name && !t.trim().is_empty())
        .map(|(_, t)| t.as_ref())
}

/// `rt` (the event time), `start` and `end`, with `dtz` as the zone of
/// times that carry none.
fn times(
    ev: &mut Event,
    pairs: &[(&str, Cow<'_, str>)],
    year: Option<i32>,
) -> Result<PayloadTime, DecodeError> {
    let get = |name: &str| pair(pairs, name);
    let offset = get("dtz")
        .or_else(|| get("deviceTimeZone"))
        .and_then(timefmt::zone)
        .unwrap_or(0);
    let parse = |name: &str, alt: &str| -> Result<Option<Timestamp>, DecodeError> {
        match get(name).or_else(|| get(alt)) {
            None => Ok(None),
            Some(t) => timefmt::device_time(t, year, offset)
                .map(Some)
                .ok_or_else(|| {
                    DecodeError::new(
                        ErrorKind::Time,
                        format!(
                        "field `{name}`: expected epoch milliseconds or `MMM dd yyyy HH:mm:ss` \
                         (a time without a year needs the year configured)"
                    ),
                    )
                }),
        }
    };
    let rt = parse("rt", "deviceReceiptTime")?;
    let start = parse("start", "startTime")?;
    let end = parse("end", "endTime")?;
    if let Some(t) = start {
        ev.push_norm(keys::EVENT_START, Value::Time(t));
    }
    if let Some(t) = end {
        ev.push_norm(keys::EVENT_END, Value::Time(t));
    }
    if let (Some(s), Some(e)) = (start, end) {
        let d = e.as_nanos().saturating_sub(s.as_nanos());
        if d >= 0 {
            ev.push_norm(keys::EVENT_DURATION, Value::Int(d));
        }
    }
    Ok(PayloadTime {
        device: rt,
        fallback: start.or(end),
    })
}
