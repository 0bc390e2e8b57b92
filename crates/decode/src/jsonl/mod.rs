//! Generic JSON lines: one JSON object per record, any shape, with an
//! optional user-supplied [`FieldMapping`].
//!
//! Without a mapping, an object is flattened into dotted raw names, and its
//! time is the first present of `@timestamp`, `timestamp`, `time`, `ts`,
//! `eventTime` and `date` (RFC 3339 text, or epoch seconds, milliseconds,
//! microseconds or nanoseconds told apart by magnitude). A record without any
//! of them is rejected with [`ErrorKind::Time`]. Fields that the source
//! already names with a normalized (ECS) name, such as `source.ip` in ECS
//! JSON, are kept as [`FieldKind::Both`], typed by their name (`*.ip` as an
//! address, `*.port` as an integer, …) when the value allows it.
//!
//! With a mapping, the mapping's time field and format are used instead, its
//! `[fields]` copy raw fields to normalized names (a value that cannot be
//! converted rejects the record with [`ErrorKind::Value`]), and its `[set]`
//! constants are added to every event.
//!
//! This module is the decoder; [`mapping`] holds the mapping itself,
//! [`builder`] and [`spanned`] read it from TOML, and [`time`] reads times.

use std::sync::Arc;

use phiwatch_event::{keys, Event, FieldKind, Name, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, Conv};
use crate::{DecodeError, Decoder, ErrorKind};

mod builder;
mod mapping;
mod spanned;
mod time;

pub use mapping::{FieldMapping, MappingError};
use mapping::{FieldRule, MapConv, SetValue};
pub use time::TimeFormat;

/// Time fields tried, in order, when no mapping names one.
pub(crate) const DEFAULT_TIME_FIELDS: &[&str] =
    &["@timestamp", "timestamp", "time", "ts", "eventTime", "date"];

pub(crate) struct JsonLinesDecoder {
    mapping: Option<Arc<FieldMapping>>,
}

impl JsonLinesDecoder {
    pub(crate) fn new(mapping: Option<Arc<FieldMapping>>) -> Self {
        JsonLinesDecoder { mapping }
    }
}

impl Decoder for JsonLinesDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(flat) = json::flatten_record(record, 32, 0)? else {
            return Ok(None);
        };
        let mapping = self.mapping.as_deref();
        let mut ev = if flat
            .fields()
            .any(|f| f.key.is_some_and(|k| k.is_normalized()))
        {
            retype(&flat, record.len(), mapping)
        } else {
            flat
        };

        ev.set_time(find_time(&ev, mapping)?);
        ev.set_origin(origin);

        if let Some(m) = mapping {
            for rule in &m.fields {
                apply_rule(&mut ev, rule)?;
            }
            for (k, v) in &m.set {
                let value = match v {
                    SetValue::Str(s) => ev.store_str(s),
                    SetValue::Int(i) => Value::Int(*i),
                    SetValue::Float(f) => Value::Float(*f),
                    SetValue::Bool(b) => Value::Bool(*b),
                    SetValue::Ip(ip) => Value::Ip(*ip),
                };
                ev.push_norm(*k, value);
            }
        }
        if ev.get(keys::EVENT_MODULE).is_none() {
            ev.push_norm(keys::EVENT_MODULE, Value::Static("json"));
        }
        if ev.get(keys::EVENT_DATASET).is_none() {
            ev.push_norm(keys::EVENT_DATASET, Value::Static("json"));
        }
        ev.push_norm(keys::PHIWATCH_FORMAT, Value::Static("json"));
        Ok(Some(ev))
    }
}

/// The record's time: the mapping's field, or the first present default.
fn find_time(ev: &Event, mapping: Option<&FieldMapping>) -> Result<Timestamp, DecodeError> {
    let format = mapping.map_or(TimeFormat::Auto, |m| m.time_format);
    let (name, value) = match mapping.and_then(|m| m.time_field.as_deref()) {
        Some(f) => match ev.get_by_name(f) {
            Some(v) if !v.is_null() => (f, v),
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::Time,
                    format!("missing time field `{f}`"),
                ))
            }
        },
        None => DEFAULT_TIME_FIELDS
            .iter()
            .find_map(|f| ev.get_raw(f).filter(|v| !v.is_null()).map(|v| (*f, v)))
            .ok_or_else(|| {
                DecodeError::new(
                    ErrorKind::Time,
                    "no time field (tried @timestamp, timestamp, time, ts, eventTime, date)",
                )
            })?,
    };
    format.parse(value).ok_or_else(|| {
        DecodeError::new(
            ErrorKind::Time,
            format!("time field `{name}`: expected {}", format.expected()),
        )
    })
}

fn apply_rule(ev: &mut Event, rule: &FieldRule) -> Result<(), DecodeError> {
    let src = rule.source.as_str();
    let v = match ev.get_by_name(src) {
        None | Some(ValueRef::Null) => return Ok(()),
        Some(v) => v,
    };
    let fail = |expected: &str| {
        DecodeError::new(
            ErrorKind::Value,
            format!(
                "field `{src}` (mapped to {}): expected {expected}",
                rule.target
            ),
        )
    };
    let out = match rule.conv {
        MapConv::Ip => json::convert(v, Conv::Ip).ok_or_else(|| fail("an IP address"))?,
        MapConv::Int => json::convert(v, Conv::Int).ok_or_else(|| fail("an integer"))?,
        MapConv::Time => Value::Time(TimeFormat::Auto.parse(v).ok_or_else(|| fail("a time"))?),
        MapConv::IntIfNumeric if plain_int(v).is_some() => {
            Value::Int(plain_int(v).unwrap_or_default())
        }
        MapConv::IntIfNumeric | MapConv::Same => {
            json::alias(ev, src, rule.target, Conv::Same);
            return Ok(());
        }
        MapConv::Lower => {
            json::alias(ev, src, rule.target, Conv::Lower);
            return Ok(());
        }
    };
    ev.push_norm(rule.target, out);
    Ok(())
}

/// An integer, or a string of digits without a leading zero.
fn plain_int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Int(i) => Some(i),
        ValueRef::Str(s)
            if !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0')) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// Stores a copy of `v` in `ev` (values read from another event, or from
/// `ev` itself, which this re-stores).
fn copy_value(ev: &mut Event, v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Bool(b) => Value::Bool(b),
        ValueRef::Int(i) => Value::Int(i),
        ValueRef::Float(f) => Value::Float(f),
        ValueRef::Ip(ip) => Value::Ip(ip),
        ValueRef::Time(t) => Value::Time(t),
        ValueRef::Str(s) => {
            let s = s.to_string();
            ev.store_str(&s)
        }
        ValueRef::List(l) => {
            let items: Vec<ValueRef<'_>> = l.iter().collect();
            let mut stored = Vec::with_capacity(items.len());
            for it in items {
                stored.push(match it {
                    ValueRef::Str(s) => {
                        let s = s.to_string();
                        ev.store_str(&s)
                    }
                    ValueRef::Bool(b) => Value::Bool(b),
                    ValueRef::Int(i) => Value::Int(i),
                    ValueRef::Float(f) => Value::Float(f),
                    ValueRef::Ip(ip) => Value::Ip(ip),
                    ValueRef::Time(t) => Value::Time(t),
                    ValueRef::Null | ValueRef::List(_) => Value::Null,
                });
            }
            ev.store_list(stored)
        }
    }
}

/// Rebuilds a flattened event so that fields the source named with a
/// normalized name are [`FieldKind::Both`], typed by their name when the
/// value allows it. Targets of the mapping stay raw: the mapping wins.
fn retype(flat: &Event, bytes: usize, mapping: Option<&FieldMapping>) -> Event {
    let mut ev = Event::with_capacity(flat.time(), flat.len() + 8, bytes);
    for f in flat.fields() {
        let both = f
            .key
            .filter(|k| k.is_normalized() && !mapping.is_some_and(|m| m.maps_to(*k)));
        let (name, kind, value) = match both {
            Some(k) => {
                let typed = match MapConv::for_target(k.name()) {
                    MapConv::Ip => json::convert(f.value, Conv::Ip),
                    MapConv::Int => match f.value {
                        ValueRef::Str(_) => json::convert(f.value, Conv::Int),
                        _ => None,
                    },
                    MapConv::Time => match f.value {
                        ValueRef::Str(s) => Timestamp::parse_rfc3339(s.as_bytes()).map(Value::Time),
                        _ => None,
                    },
                    _ => None,
                };
                let v = match typed {
                    Some(v) => v,
                    None => copy_value(&mut ev, f.value),
                };
                (Name::Known(k), FieldKind::Both, v)
            }
            None => {
                let name = match f.key {
                    Some(k) => Name::Known(k),
                    None => ev.name(f.name),
                };
                (name, FieldKind::Raw, copy_value(&mut ev, f.value))
            }
        };
        ev.push(name, kind, value);
    }
    ev
}
