//! IBM QRadar Log Event Extended Format:
//! `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>…` and
//! `LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value…`,
//! where the delimiter is one character or a hex code (`x09`, `0x09`); an
//! empty or absent delimiter field means tab.
//!
//! Header fields become raw fields `leef.version`, `leef.vendor`,
//! `leef.product`, `leef.product_version`, `leef.event_id` (and
//! `leef.delimiter`); attributes are raw fields under their keys. The LEEF
//! predefined attributes are mapped to ECS; other keys get the CEF mapping,
//! since many LEEF producers reuse ArcSight keys (`act`, `request`, …). A
//! LEEF 1.0 line whose tabs were turned into spaces is split like a CEF
//! extension. An attribute without `=` continues the previous value (the
//! delimiter was part of it). `devTime` is the event time, read with
//! `devTimeFormat` (a Java `SimpleDateFormat` pattern) when given.

use std::borrow::Cow;

use phiwatch_event::{keys, Event, Value};

use super::{cef, split_pipes, timefmt, PayloadTime};
use crate::{DecodeError, ErrorKind};

const HEADER: [&str; 5] = [
    "leef.version",
    "leef.vendor",
    "leef.product",
    "leef.product_version",
    "leef.event_id",
];

/// Decodes a LEEF payload (after `LEEF:`) into `ev`.
pub(super) fn decode(
    s: &str,
    ev: &mut Event,
    year: Option<i32>,
) -> Result<PayloadTime, DecodeError> {
    let v2 = s.starts_with('2');
    let (header, mut attrs, delim) = if v2 {
        match split_pipes(s, 6) {
            Ok((mut h, rest)) => {
                let d = h.pop().unwrap_or(Cow::Borrowed(""));
                if d.contains('=') {
                    // No delimiter field: the sixth field is attributes.
                    let (h5, rest5) = split_pipes(s, 5).map_err(|_| header_error(5, 0))?;
                    (h5, rest5, '\t')
                } else {
                    let c = delimiter(&d).ok_or_else(|| {
                        DecodeError::new(
                            ErrorKind::Schema,
                            "LEEF 2.0 header `DelimiterCharacter`: expected one character or a \
                             hex code (`x09`, `0x09`)",
                        )
                    })?;
                    (h, rest, c)
                }
            }
            Err(_) => {
                let (h5, rest5) = split_pipes(s, 5).map_err(|(f, _)| header_error(5, f.len()))?;
                (h5, rest5, '\t')
            }
        }
    } else {
        let (h, rest) = match split_pipes(s, 5) {
            Ok(p) => p,
            // `LEEF:1.0|V|P|1|ID` without the final `|` and attributes.
            Err((mut f, rest)) if f.len() == 4 && !rest.contains('=') => {
                f.push(Cow::Borrowed(rest));
                (f, "")
            }
            Err((f, _)) => return Err(header_error(5, f.len())),
        };
        (h, rest, '\t')
    };
    let version = header.first().map(|v| v.trim()).unwrap_or("");
    if !matches!(version, "1.0" | "2.0" | "1" | "2") {
        return Err(DecodeError::new(
            ErrorKind::Value,
            "LEEF header `Version`: expected 1.0 or 2.0",
        ));
    }
    let mut hv = [Value::Null; 5];
    for ((slot, name), text) in hv.iter_mut().zip(HEADER).zip(&header) {
        let text = text.trim();
        let v = if text.is_empty() {
            Value::Null
        } else {
            ev.store_str(text)
        };
        *slot = v;
        let n = ev.name(name);
        ev.push_raw(n, v);
    }
    if v2 {
        let mut b = [0u8; 4];
        let d = ev.store_str(delim.encode_utf8(&mut b));
        let n = ev.name("leef.delimiter");
        ev.push_raw(n, d);
    }
    let [_, vendor, product, pversion, event_id] = hv;
    for (v, k) in [
        (vendor, keys::OBSERVER_VENDOR),
        (product, keys::OBSERVER_PRODUCT),
        (pversion, keys::OBSERVER_VERSION),
        (event_id, keys::EVENT_CODE),
    ] {
        if v != Value::Null {
            ev.push_norm(k, v);
        }
    }

    attrs = attrs.trim_matches(|c: char| c == delim || c == ' ');
    let pairs: Vec<(&str, Cow<'_, str>)> =
        if delim == '\t' && !attrs.contains('\t') && attrs.contains(' ') {
            cef::parse_ext(attrs)?
        } else {
            split_attrs(attrs, delim)?
        };
    cef::push_pairs(ev, &pairs, map_key)?;
    device_time(&pairs, year)
}

fn header_error(want: usize, found: usize) -> DecodeError {
    DecodeError::new(
        ErrorKind::Schema,
        format!("LEEF header: expected {want} `|`-terminated fields, found {found}"),
    )
}

/// A LEEF 2.0 delimiter: one character, or `x`/`0x` and 1–4 hex digits.
fn delimiter(d: &str) -> Option<char> {
    let d = d.trim_matches(' ');
    let mut chars = d.chars();
    match (chars.next(), chars.next()) {
        (None, _) => return Some('\t'),
        (Some(c), None) => return Some(c),
        _ => {}
    }
    let hex = d
        .strip_prefix("0x")
        .or_else(|| d.strip_prefix("0X"))
        .or_else(|| d.strip_prefix('x'))
        .or_else(|| d.strip_prefix('X'))?;
    if hex.is_empty() || hex.len() > 4 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// Attributes split on `delim`, each `key=value`; a piece without `=`
/// continues the previous value.
fn split_attrs(attrs: &str, delim: char) -> Result<Vec<(&str, Cow<'_, str>)>, DecodeError> {
    let mut pairs: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(24);
    for piece in attrs.split(delim) {
        if piece.is_empty() {
            continue;
        }
        match piece.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => pairs.push((k, Cow::Borrowed(v))),
            _ => match pairs.last_mut() {
                Some((_, prev)) => {
                    let p = prev.to_mut();
                    p.push(delim);
                    p.push_str(piece);
                }
                None => {
                    return Err(DecodeError::new(
                        ErrorKind::Syntax,
                        "LEEF attributes: expected `key=value`",
                    ))
                }
            },
        }
    }
    Ok(pairs)
}

/// The LEEF predefined attributes; other keys get the CEF mapping.
fn map_key(ev: &mut Event, key: &str, v: Value, text: &str) -> Result<(), DecodeError> {
    match key {
        "srcPort" => port(ev, key, keys::SOURCE_PORT, text),
        "dstPort" => port(ev, key, keys::DESTINATION_PORT, text),
        "usrName" => {
            ev.push_norm(keys::USER_NAME, v);
            Ok(())
        }
        "sev" => {
            if let Some(sev) = cef::severity(text.trim()) {
                ev.push_norm(keys::EVENT_SEVERITY, Value::Int(sev));
            }
            Ok(())
        }
        "srcMAC" => {
            ev.push_norm(keys::SOURCE_MAC, v);
            Ok(())
        }
        "dstMAC" => {
            ev.push_norm(keys::DESTINATION_MAC, v);
            Ok(())
        }
        "srcBytes" => cef::int(ev, key, keys::SOURCE_BYTES, text),
        "dstBytes" => cef::int(ev, key, keys::DESTINATION_BYTES, text),
        "totalBytes" => cef::int(ev, key, keys::NETWORK_BYTES, text),
        "srcPackets" => cef::int(ev, key, keys::SOURCE_PACKETS, text),
        "dstPackets" => cef::int(ev, key, keys::DESTINATION_PACKETS, text),
        "totalPackets" => cef::int(ev, key, keys::NETWORK_PACKETS, text),
        "url" => {
            ev.push_norm(keys::URL_ORIGINAL, v);
            Ok(())
        }
        "identHostName" => {
            ev.push_norm(keys::SOURCE_DOMAIN, v);
            Ok(())
        }
        "devTime" | "devTimeFormat" | "cat" | "srcPreNAT" | "dstPreNAT" | "srcPostNAT"
        | "dstPostNAT" | "srcPreNATPort" | "dstPreNATPort" | "srcPostNATPort"
        | "dstPostNATPort" | "identSrc" | "accountName" | "role" | "realm" | "policy"
        | "resource" | "groupID" | "domain" => Ok(()),
        // `src`, `dst`, `proto` and the ArcSight keys.
        _ => cef::map_key(ev, key, v, text),
    }
}

fn port(ev: &mut Event, key: &str, to: phiwatch_event::Key, text: &str) -> Result<(), DecodeError> {
    match text.trim().parse::<i64>() {
        Ok(p) if (0..=65_535).contains(&p) => {
            ev.push_norm(to, Value::Int(p));
            Ok(())
        }
        _ => Err(crate::json::type_error(key, "a port number (0-65535)")),
    }
}

/// `devTime`, read with `devTimeFormat` when given.
fn device_time(
    pairs: &[(&str, Cow<'_, str>)],
    year: Option<i32>,
) -> Result<PayloadTime, DecodeError> {
    let get = |name: &str| cef::pair(pairs, name);
    let Some(t) = get("devTime") else {
        return Ok(PayloadTime::default());
    };
    let parsed = match get("devTimeFormat") {
        Some(fmt) => timefmt::with_pattern(t, fmt, year),
        None => timefmt::device_time(t, year, 0),
    };
    match parsed {
        Some(ts) => Ok(PayloadTime {
            device: Some(ts),
            fallback: None,
        }),
        None => Err(DecodeError::new(
            ErrorKind::Time,
            "field `devTime`: expected a time matching `devTimeFormat`, epoch milliseconds or \
             `MMM dd yyyy HH:mm:ss[.SSS zzz]`",
        )),
    }
}
