//! JSON to event, shared by every JSON format: objects are flattened into
//! dotted names (`userIdentity.arn`), arrays of scalars become lists, and
//! arrays of objects give one field per element under the same name.
//! Values are written straight into the event; no intermediate tree is built.
//!
//! Also the helpers the decoders share to turn a flattened record into an
//! event: [`alias`] and its strict form copy raw fields to normalized names
//! through one set of conversions ([`Conv`]), and [`tag`] names the source.

use std::fmt;

use phiwatch_event::{keys, Event, FieldKind, Key, Timestamp, Value, ValueRef};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{DecodeError, ErrorKind};

/// Flattens the JSON object in `json` into raw fields of `ev`.
///
/// Fails on anything but one well-formed JSON object (trailing whitespace is
/// allowed). The error reason gives the column but never the content.
pub fn flatten_object(ev: &mut Event, json: &[u8]) -> Result<(), DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut path = String::with_capacity(64);
    TopSeed {
        ev,
        path: &mut path,
    }
    .deserialize(&mut de)
    .map_err(json_error)?;
    de.end().map_err(json_error)
}

/// A decode error for a serde_json error, without echoing input.
pub fn json_error(e: serde_json::Error) -> DecodeError {
    let kind = if e.is_data() {
        ErrorKind::Schema
    } else {
        ErrorKind::Syntax
    };
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Io => "I/O error reading JSON",
    };
    let detail = if e.to_string().contains("control character") {
        " (control character in string)"
    } else if e.to_string().contains("expected a JSON object") {
        " (expected an object)"
    } else {
        ""
    };
    DecodeError::new(kind, format!("{what}{detail} at column {}", e.column()))
}

struct TopSeed<'a> {
    ev: &'a mut Event,
    path: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(ObjectOnly(self))
    }
}

struct ObjectOnly<'a>(TopSeed<'a>);

impl<'de> Visitor<'de> for ObjectOnly<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let ObjectOnly(TopSeed { ev, path }) = self;
        visit_object(ev, path, map)
    }
}

fn visit_object<'de, A: MapAccess<'de>>(
    ev: &mut Event,
    path: &mut String,
    mut map: A,
) -> Result<(), A::Error> {
    let base = path.len();
    while map.next_key_seed(KeySeed { path, base })?.is_some() {
        map.next_value_seed(ValueSeed {
            ev: &mut *ev,
            path: &mut *path,
        })?;
        path.truncate(base);
    }
    Ok(())
}

/// Appends a key to the path (with a `.` when nested).
struct KeySeed<'a> {
    path: &'a mut String,
    base: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<(), E> {
        self.path.truncate(self.base);
        if self.base > 0 {
            self.path.push('.');
        }
        self.path.push_str(k);
        Ok(())
    }
}

struct ValueSeed<'a> {
    ev: &'a mut Event,
    path: &'a mut String,
}

impl ValueSeed<'_> {
    fn push(self, v: Value) {
        let name = self.ev.name(self.path);
        self.ev.push(name, FieldKind::Raw, v);
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.push(Value::Bool(b));
        Ok(())
    }
    fn visit_i64<E>(self, i: i64) -> Result<(), E> {
        self.push(Value::Int(i));
        Ok(())
    }
    fn visit_u64<E>(self, u: u64) -> Result<(), E> {
        self.push(u64_value(u));
        Ok(())
    }
    fn visit_f64<E>(self, f: f64) -> Result<(), E> {
        self.push(Value::Float(f));
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        let v = self.ev.store_str(s);
        self.push(v);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        visit_object(self.ev, self.path, map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        let mut objects = 0usize;
        visit_array(self.ev, self.path, seq, &mut items, &mut objects)?;
        if !items.is_empty() || objects == 0 {
            let list = self.ev.store_list(items);
            self.push(list);
        }
        Ok(())
    }
}

fn u64_value(u: u64) -> Value {
    i64::try_from(u).map_or(Value::Float(u as f64), Value::Int)
}

fn visit_array<'de, A: SeqAccess<'de>>(
    ev: &mut Event,
    path: &mut String,
    mut seq: A,
    items: &mut Vec<Value>,
    objects: &mut usize,
) -> Result<(), A::Error> {
    while seq
        .next_element_seed(ElementSeed {
            ev: &mut *ev,
            path: &mut *path,
            items: &mut *items,
            objects: &mut *objects,
        })?
        .is_some()
    {}
    Ok(())
}

struct ElementSeed<'a> {
    ev: &'a mut Event,
    path: &'a mut String,
    items: &'a mut Vec<Value>,
    objects: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.items.push(Value::Bool(b));
        Ok(())
    }
    fn visit_i64<E>(self, i: i64) -> Result<(), E> {
        self.items.push(Value::Int(i));
        Ok(())
    }
    fn visit_u64<E>(self, u: u64) -> Result<(), E> {
        self.items.push(u64_value(u));
        Ok(())
    }
    fn visit_f64<E>(self, f: f64) -> Result<(), E> {
        self.items.push(Value::Float(f));
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        let v = self.ev.store_str(s);
        self.items.push(v);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.items.push(Value::Null);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        *self.objects += 1;
        visit_object(self.ev, self.path, map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        visit_array(self.ev, self.path, seq, self.items, self.objects)
    }
}

/// How to convert a raw value when copying it to a normalized field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// Copy the stored value as it is.
    Same,
    /// An IP address (or a string holding one).
    Ip,
    /// An integer (or a string of digits, or an integral float).
    Int,
    /// A port: an integer in 0..=65535.
    Port,
    /// A string, lowercased (e.g. `TCP` → `tcp`).
    Lower,
    /// A timestamp (RFC 3339 or epoch seconds).
    Time,
}

impl Conv {
    /// What the conversion expects, for error messages.
    fn expected(self) -> &'static str {
        match self {
            Conv::Same | Conv::Lower => "a value",
            Conv::Ip => "an IP address",
            Conv::Int => "an integer",
            Conv::Port => "a port number (0-65535)",
            Conv::Time => "a time",
        }
    }
}

/// Converts `v` as `conv` asks, for the conversions that store nothing
/// (addresses, integers, ports and times); `None` when `v` is not one. `Same`
/// and `Lower` need the event to store into: they go through [`alias`].
pub(crate) fn convert(v: ValueRef<'_>, conv: Conv) -> Option<Value> {
    match conv {
        Conv::Ip => v.as_ip().map(Value::Ip),
        Conv::Int => v.as_i64().map(Value::Int),
        Conv::Port => v
            .as_i64()
            .filter(|p| (0..=65_535).contains(p))
            .map(Value::Int),
        Conv::Time => match v {
            ValueRef::Time(t) => Some(Value::Time(t)),
            ValueRef::Str(s) => Timestamp::parse_any(s.as_bytes()).map(Value::Time),
            ValueRef::Float(f) => Some(Value::Time(Timestamp::from_nanos((f * 1e9) as i64))),
            ValueRef::Int(i) => Timestamp::from_secs(i).map(Value::Time),
            _ => None,
        },
        Conv::Same | Conv::Lower => None,
    }
}

/// What raw field `from` gives when converted.
enum Converted {
    /// The field is absent or null.
    Absent,
    /// The converted value, stored in the event.
    Value(Value),
    /// The field is present but cannot be converted.
    Mismatch,
}

/// Raw field `from` (any name) converted as `conv` asks.
fn convert_field(ev: &mut Event, from: &str, conv: Conv) -> Converted {
    let v = match ev.get_by_name(from) {
        None | Some(ValueRef::Null) => return Converted::Absent,
        Some(v) => v,
    };
    let out = match conv {
        Conv::Same => match Key::lookup(from).and_then(|k| ev.get_value(k)) {
            Some(v) => Some(v),
            None => {
                let s = v.to_string();
                Some(ev.store_str(&s))
            }
        },
        Conv::Lower => match v {
            ValueRef::Str(s) if s.bytes().any(|b| b.is_ascii_uppercase()) => {
                let lower = s.to_ascii_lowercase();
                Some(ev.store_str(&lower))
            }
            ValueRef::Str(s) => match Key::lookup(from).and_then(|k| ev.get_value(k)) {
                Some(v) => Some(v),
                None => {
                    // A dynamic (unregistered) name: copy the already
                    // lowercase text rather than lose it.
                    let s = s.to_string();
                    Some(ev.store_str(&s))
                }
            },
            other => {
                let s = other.to_string();
                Some(ev.store_str(&s))
            }
        },
        Conv::Ip | Conv::Int | Conv::Port | Conv::Time => convert(v, conv),
    };
    out.map_or(Converted::Mismatch, Converted::Value)
}

/// Copies raw field `from` (any name) to normalized `to`, converting with
/// `conv`. Returns whether a value was copied; null values are not, and
/// neither are values that cannot be converted (the crate's decoders use a
/// strict form that rejects those).
pub fn alias(ev: &mut Event, from: &str, to: Key, conv: Conv) -> bool {
    match convert_field(ev, from, conv) {
        Converted::Value(v) => {
            ev.push_norm(to, v);
            true
        }
        Converted::Absent | Converted::Mismatch => false,
    }
}

/// Like [`alias`], but strict: a present value that cannot be converted is
/// an [`ErrorKind::Value`] error naming the field and the expected type,
/// never the value. Absent and null fields are skipped (`Ok(false)`).
pub(crate) fn copy_checked(
    ev: &mut Event,
    from: &str,
    to: Key,
    conv: Conv,
) -> Result<bool, DecodeError> {
    match convert_field(ev, from, conv) {
        Converted::Absent => Ok(false),
        Converted::Value(v) => {
            ev.push_norm(to, v);
            Ok(true)
        }
        Converted::Mismatch => Err(type_error(from, conv.expected())),
    }
}

/// Copies the first of the raw fields `from` that [`alias`] copies; whether
/// one was.
pub(crate) fn alias_first(ev: &mut Event, from: &[&str], to: Key, conv: Conv) -> bool {
    from.iter().any(|f| alias(ev, f, to, conv))
}

/// The error for a field whose value is not of the expected type.
pub(crate) fn type_error(field: &str, expected: &str) -> DecodeError {
    DecodeError::new(
        ErrorKind::Value,
        format!("field `{field}`: expected {expected}"),
    )
}

/// The record's time from a field holding RFC 3339 text: `None` when the
/// field is absent or null, an [`ErrorKind::Time`] error when it holds
/// anything else.
pub(crate) fn rfc3339_field(ev: &Event, name: &str) -> Option<Result<Timestamp, DecodeError>> {
    match ev.get_raw(name) {
        None | Some(ValueRef::Null) => None,
        Some(ValueRef::Str(s)) => Some(Timestamp::parse_rfc3339(s.as_bytes()).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                format!("field `{name}`: expected an RFC 3339 time"),
            )
        })),
        Some(_) => Some(Err(DecodeError::new(
            ErrorKind::Time,
            format!("field `{name}`: expected an RFC 3339 time string"),
        ))),
    }
}

/// The JSON object in one framed record, flattened into a new event (time
/// unset) with room for `fields` fields and `extra_bytes` more than the
/// record's text. Surrounding ASCII whitespace (a `\r` before the newline,
/// indentation of a framed JSON element) is ignored, and a blank record is
/// `Ok(None)`. Invalid UTF-8 is an [`ErrorKind::Encoding`] error rather than
/// a JSON syntax error.
pub(crate) fn flatten_record(
    record: &[u8],
    fields: usize,
    extra_bytes: usize,
) -> Result<Option<Event>, DecodeError> {
    let record = record.trim_ascii();
    if record.is_empty() {
        return Ok(None);
    }
    let mut ev = Event::with_capacity(Timestamp::EPOCH, fields, record.len() + extra_bytes);
    flatten_object(&mut ev, record).map_err(|e| match std::str::from_utf8(record) {
        Ok(_) => e,
        Err(u) => crate::utf8_error(u),
    })?;
    Ok(Some(ev))
}

/// The `network.transport` name of an IANA protocol number.
pub fn transport_from_iana(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => return None,
    })
}

/// Adds `network.iana_number` and, for a protocol with a name,
/// `network.transport`.
pub(crate) fn push_iana_protocol(ev: &mut Event, n: i64) {
    ev.push_norm(keys::NETWORK_IANA_NUMBER, Value::Int(n));
    if let Some(t) = transport_from_iana(n) {
        ev.push_norm(keys::NETWORK_TRANSPORT, Value::Static(t));
    }
}

/// Adds the `event.dataset`, `event.module` and `phiwatch.format` fields.
pub fn tag(ev: &mut Event, module: &'static str, dataset: &'static str, format: &'static str) {
    ev.push_norm(keys::EVENT_MODULE, Value::Static(module));
    ev.push_norm(keys::EVENT_DATASET, Value::Static(dataset));
    ev.push_norm(keys::PHIWATCH_FORMAT, Value::Static(format));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(json: &str) -> Event {
        let mut ev = Event::new(Timestamp::EPOCH);
        flatten_object(&mut ev, json.as_bytes()).expect(json);
        ev
    }

    #[test]
    fn nested_objects_become_dotted_names() {
        let ev = flat(
            r#"{"userIdentity":{"type":"IAMUser","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}},"n":5}"#,
        );
        assert_eq!(
            ev.get_raw("userIdentity.type").unwrap().as_str(),
            Some("IAMUser")
        );
        assert_eq!(
            ev.get_raw("userIdentity.sessionContext.attributes.mfaAuthenticated")
                .unwrap()
                .as_str(),
            Some("true")
        );
        assert_eq!(ev.get_raw("n").unwrap().as_i64(), Some(5));
        assert_eq!(ev.len(), 3);
    }

    #[test]
    fn arrays_of_scalars_are_lists_and_objects_repeat() {
        let ev = flat(
            r#"{"answers":["a.example","10.0.0.1"],"resources":[{"ARN":"x"},{"ARN":"y"}],"e":[],"u":18446744073709551615,"z":null}"#,
        );
        assert_eq!(
            ev.get_raw("answers").unwrap().to_string(),
            "a.example,10.0.0.1"
        );
        let arns: Vec<String> = ev
            .fields()
            .filter(|f| f.name == "resources.ARN")
            .map(|f| f.value.to_string())
            .collect();
        assert_eq!(arns, ["x", "y"]);
        assert_eq!(ev.get_raw("e").unwrap().to_string(), "");
        assert!(ev.get_raw("u").unwrap().as_f64().unwrap() > 1.8e19);
        assert!(ev.get_raw("z").unwrap().is_null());
    }

    #[test]
    fn bad_json_is_an_error_without_content() {
        for bad in [
            r#"{"ssn":"123-45-6789""#,
            "[1,2]",
            "{} x",
            "",
            r#"{"a":tru}"#,
        ] {
            let mut ev = Event::new(Timestamp::EPOCH);
            let err = flatten_object(&mut ev, bad.as_bytes()).unwrap_err();
            assert!(!err.reason.contains("123-45"), "{err}");
        }
    }

    #[test]
    fn lower_keeps_lowercase_values_of_unregistered_names() {
        let mut ev = flat(r#"{"op_custom":"read","op_up":"READ"}"#);
        assert!(alias(&mut ev, "op_custom", keys::EVENT_ACTION, Conv::Lower));
        assert!(alias(&mut ev, "op_up", keys::DB_OPERATION, Conv::Lower));
        assert_eq!(ev.get(keys::EVENT_ACTION).unwrap().as_str(), Some("read"));
        assert_eq!(ev.get(keys::DB_OPERATION).unwrap().as_str(), Some("read"));
    }

    #[test]
    fn alias_converts() {
        let mut ev =
            flat(r#"{"src":"10.1.2.3","proto":"TCP","port":"443","when":"2020-01-01T00:00:00Z"}"#);
        assert!(alias(&mut ev, "src", keys::SOURCE_IP, Conv::Ip));
        assert!(alias(
            &mut ev,
            "proto",
            keys::NETWORK_TRANSPORT,
            Conv::Lower
        ));
        assert!(alias(&mut ev, "port", keys::SOURCE_PORT, Conv::Int));
        assert!(alias(&mut ev, "when", keys::EVENT_START, Conv::Time));
        assert!(!alias(&mut ev, "proto", keys::DESTINATION_IP, Conv::Ip));
        assert_eq!(ev.get(keys::SOURCE_IP).unwrap().to_string(), "10.1.2.3");
        assert_eq!(
            ev.get(keys::NETWORK_TRANSPORT).unwrap().as_str(),
            Some("tcp")
        );
        assert_eq!(ev.get(keys::SOURCE_PORT).unwrap().as_i64(), Some(443));
    }
}
