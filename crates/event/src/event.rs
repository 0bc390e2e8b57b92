//! The [`Event`]: one normalized log record.

use crate::value::{ListRef, Span};
use crate::{Key, Timestamp, Value, ValueRef};

/// Identifies the input an event came from; an index into the run's source
/// table (which holds the path, format and compression).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u32);

/// Where in its source an event was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The source (file or stream).
    pub source: SourceId,
    /// 1-based line of the record's first byte; 0 when the record has no line
    /// (an element of a JSON document that spans many records).
    pub line: u64,
    /// Byte offset of the record in the decompressed stream.
    pub offset: u64,
    /// 1-based index of the record in its source.
    pub record: u64,
}

/// Whether a field is as the source named it, a normalized name, or both
/// (a source that already uses the normalized name, like ECS JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// The source's own name.
    Raw,
    /// A normalized (ECS / OTel / phiwatch) name derived from raw fields.
    Normalized,
    /// The source used the normalized name itself.
    Both,
}

/// A field name inside an event: a registered [`Key`] or a dynamic name
/// stored in the event's buffer. Get one from [`Event::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// A registered name.
    Known(Key),
    /// A name stored in the event.
    Dyn(Span),
}

impl From<Key> for Name {
    fn from(k: Key) -> Name {
        Name::Known(k)
    }
}

#[derive(Clone, Copy, Debug)]
struct Field {
    name: Name,
    kind: FieldKind,
    value: Value,
}

/// A borrowed field, as iterated by [`Event::fields`].
#[derive(Clone, Copy, Debug)]
pub struct FieldRef<'a> {
    /// The field's name.
    pub name: &'a str,
    /// The registered key, when the name has one.
    pub key: Option<Key>,
    /// Raw, normalized or both.
    pub kind: FieldKind,
    /// The value.
    pub value: ValueRef<'a>,
}

/// One normalized log record.
///
/// An event owns one string buffer and two small vectors, whatever the number
/// of fields: building one costs three allocations, and a lookup is a scan of
/// integer keys. Field order is the order of insertion; a name may repeat
/// (a JSON array of objects gives one field per element), and
/// [`Event::get_all`] sees every occurrence.
#[derive(Clone, Debug, Default)]
pub struct Event {
    time: Timestamp,
    origin: Origin,
    buf: String,
    fields: Vec<Field>,
    items: Vec<Value>,
    /// Where the registered keys are: see [`Slots`].
    slots: Slots,
}

/// A lookup table of an event's registered keys, by `key % 128`: 0 when no
/// field of such a key was pushed, `i + 1` when field `i` is the only one,
/// [`Slots::MANY`] when there are several (or `i` is too large), which
/// sends the lookup to a scan of the fields. Looking up a key costs one
/// byte and at most one comparison in the common case, instead of a scan
/// of every field: the analytics probe many keys that only some logs carry.
#[derive(Clone, Debug)]
struct Slots([u8; 128]);

impl Default for Slots {
    fn default() -> Slots {
        Slots([0; 128])
    }
}

impl Slots {
    const MANY: u8 = u8::MAX;

    #[inline]
    fn note(&mut self, key: Key, field: usize) {
        let slot = &mut self.0[(key.0 % 128) as usize];
        *slot = if *slot == 0 && field < usize::from(Self::MANY - 1) {
            field as u8 + 1
        } else {
            Self::MANY
        };
    }

    #[inline]
    fn get(&self, key: Key) -> u8 {
        self.0[(key.0 % 128) as usize]
    }
}

impl Event {
    /// An empty event at `time`.
    pub fn new(time: Timestamp) -> Event {
        Event {
            time,
            ..Event::default()
        }
    }

    /// An empty event with room for `fields` fields and `bytes` of strings.
    pub fn with_capacity(time: Timestamp, fields: usize, bytes: usize) -> Event {
        Event {
            time,
            origin: Origin::default(),
            buf: String::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
            items: Vec::new(),
            slots: Slots::default(),
        }
    }

    /// The event's time (UTC).
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// Sets the event's time.
    pub fn set_time(&mut self, t: Timestamp) {
        self.time = t;
    }

    /// Where the event was read.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Sets where the event was read.
    pub fn set_origin(&mut self, o: Origin) {
        self.origin = o;
    }

    /// Copies `s` into the event and returns it as a value.
    pub fn store_str(&mut self, s: &str) -> Value {
        let start = self.buf.len();
        self.buf.push_str(s);
        Value::Str(span(start, self.buf.len()))
    }

    /// Copies `b` into the event as a string value. Invalid UTF-8 is kept
    /// visible and reversible: each invalid byte becomes `\xNN`.
    pub fn store_bytes(&mut self, b: &[u8]) -> Value {
        match std::str::from_utf8(b) {
            Ok(s) => self.store_str(s),
            Err(_) => {
                let start = self.buf.len();
                escape_invalid_utf8(b, &mut self.buf);
                Value::Str(span(start, self.buf.len()))
            }
        }
    }

    /// Stores a list of scalar values (nested lists are flattened).
    pub fn store_list<I: IntoIterator<Item = Value>>(&mut self, values: I) -> Value {
        let start = self.items.len();
        for v in values {
            match v {
                Value::List(inner) => {
                    let copied: Vec<Value> = self.items[inner.range()].to_vec();
                    self.items.extend(copied);
                }
                other => self.items.push(other),
            }
        }
        Value::List(span(start, self.items.len()))
    }

    /// Starts a list whose items are pushed one by one with
    /// [`Event::push_item`]; finish it with [`Event::end_list`].
    pub fn begin_list(&mut self) -> usize {
        self.items.len()
    }

    /// Adds an item to the list begun by [`Event::begin_list`].
    pub fn push_item(&mut self, v: Value) {
        if !matches!(v, Value::List(_)) {
            self.items.push(v);
        }
    }

    /// Ends a list begun at `start`.
    pub fn end_list(&mut self, start: usize) -> Value {
        Value::List(span(start, self.items.len()))
    }

    /// The name for `s`: its registered key, or a copy stored in the event.
    pub fn name(&mut self, s: &str) -> Name {
        match Key::lookup(s) {
            Some(k) => Name::Known(k),
            None => {
                let start = self.buf.len();
                self.buf.push_str(s);
                Name::Dyn(span(start, self.buf.len()))
            }
        }
    }

    /// Adds a field.
    #[inline]
    pub fn push(&mut self, name: impl Into<Name>, kind: FieldKind, value: Value) {
        let name = name.into();
        if let Name::Known(k) = name {
            self.slots.note(k, self.fields.len());
        }
        self.fields.push(Field { name, kind, value });
    }

    /// Adds a raw field (the source's own name).
    #[inline]
    pub fn push_raw(&mut self, name: impl Into<Name>, value: Value) {
        self.push(name, FieldKind::Raw, value);
    }

    /// Adds a normalized field.
    #[inline]
    pub fn push_norm(&mut self, key: Key, value: Value) {
        self.push(key, FieldKind::Normalized, value);
    }

    /// Adds a normalized string field, copying the string.
    pub fn push_norm_str(&mut self, key: Key, s: &str) {
        let v = self.store_str(s);
        self.push_norm(key, v);
    }

    /// The value stored under a field's raw value, for aliasing: the stored
    /// value of the most recently pushed field.
    pub fn last_value(&self) -> Option<Value> {
        self.fields.last().map(|f| f.value)
    }

    /// Looks a field up by key. A normalized field wins over a raw field of
    /// the same name; otherwise the first occurrence is returned.
    #[inline]
    pub fn get(&self, key: Key) -> Option<ValueRef<'_>> {
        match self.slots.get(key) {
            0 => return None,
            Slots::MANY => {}
            i => {
                // The only field of its slot: this key's, or the key is absent.
                let f = self.fields.get(usize::from(i - 1))?;
                return (f.name == Name::Known(key)).then(|| self.view(f.value));
            }
        }
        let mut raw = None;
        for f in &self.fields {
            if f.name == Name::Known(key) {
                if f.kind != FieldKind::Raw {
                    return Some(self.view(f.value));
                }
                if raw.is_none() {
                    raw = Some(f.value);
                }
            }
        }
        raw.map(|v| self.view(v))
    }

    /// The stored value of a field, for copying it to another name.
    pub fn get_value(&self, key: Key) -> Option<Value> {
        match self.slots.get(key) {
            0 => return None,
            Slots::MANY => {}
            i => {
                let f = self.fields.get(usize::from(i - 1))?;
                return (f.name == Name::Known(key)).then_some(f.value);
            }
        }
        self.fields
            .iter()
            .find(|f| f.name == Name::Known(key))
            .map(|f| f.value)
    }

    /// Every value of a field, in order (a name may repeat).
    pub fn get_all(&self, key: Key) -> impl Iterator<Item = ValueRef<'_>> + '_ {
        self.fields
            .iter()
            .filter(move |f| f.name == Name::Known(key))
            .map(move |f| self.view(f.value))
    }

    /// Looks a field up by any name, registered or not, raw or normalized.
    pub fn get_by_name(&self, name: &str) -> Option<ValueRef<'_>> {
        match Key::lookup(name) {
            Some(k) => self.get(k),
            None => self
                .fields
                .iter()
                .find(|f| self.name_is(f.name, name))
                .map(|f| self.view(f.value)),
        }
    }

    /// Looks a field up by the name the source gave it (raw fields only).
    pub fn get_raw(&self, name: &str) -> Option<ValueRef<'_>> {
        self.fields
            .iter()
            .filter(|f| f.kind != FieldKind::Normalized)
            .find(|f| self.name_is(f.name, name))
            .map(|f| self.view(f.value))
    }

    /// Every field in insertion order.
    pub fn fields(&self) -> impl Iterator<Item = FieldRef<'_>> + '_ {
        self.fields.iter().map(move |f| FieldRef {
            name: self.name_str(f.name),
            key: match f.name {
                Name::Known(k) => Some(k),
                Name::Dyn(_) => None,
            },
            kind: f.kind,
            value: self.view(f.value),
        })
    }

    /// Number of fields (raw and normalized).
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the event has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The event's string storage: every string value (and every field name
    /// not registered as a key), concatenated without separators, in no
    /// particular order. For whole-event scans such as literal prefilters;
    /// non-string values (numbers, addresses, times, constants) are not in
    /// it.
    pub fn text_buffer(&self) -> &str {
        &self.buf
    }

    /// Heap bytes held by this event (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.fields.capacity() * std::mem::size_of::<Field>()
            + self.items.capacity() * std::mem::size_of::<Value>()
    }

    /// Reads a stored value.
    pub fn view(&self, v: Value) -> ValueRef<'_> {
        match v {
            Value::List(s) => ValueRef::List(ListRef {
                items: self.items.get(s.range()).unwrap_or(&[]),
                buf: &self.buf,
            }),
            other => ValueRef::scalar(other, &self.buf),
        }
    }

    fn name_str(&self, n: Name) -> &str {
        match n {
            Name::Known(k) => k.name(),
            Name::Dyn(s) => self.buf.get(s.range()).unwrap_or(""),
        }
    }

    fn name_is(&self, n: Name, s: &str) -> bool {
        self.name_str(n) == s
    }
}

fn span(start: usize, end: usize) -> Span {
    // Records are capped far below 4 GiB by the framing layer; saturate
    // rather than wrap if a caller ignores that.
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        len: u32::try_from(end.saturating_sub(start)).unwrap_or(0),
    }
}

/// Appends `b` to `out`, writing each byte of an invalid UTF-8 sequence as `\xNN`.
pub fn escape_invalid_utf8(mut b: &[u8], out: &mut String) {
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or(""));
                let bad = e.error_len().unwrap_or(rest.len());
                for byte in &rest[..bad] {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
                b = &rest[bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use std::net::IpAddr;

    #[test]
    fn raw_and_normalized_share_a_value() {
        let mut ev = Event::new(Timestamp::from_nanos(1));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let k = Key::lookup("id.orig_h").unwrap();
        ev.push_raw(k, Value::Ip(ip));
        ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
        assert_eq!(ev.get(keys::SOURCE_IP), Some(ValueRef::Ip(ip)));
        assert_eq!(ev.get_raw("id.orig_h"), Some(ValueRef::Ip(ip)));
        assert_eq!(ev.get_raw("source.ip"), None);
        assert_eq!(ev.get_by_name("source.ip"), Some(ValueRef::Ip(ip)));
    }

    #[test]
    fn dynamic_names_and_lists() {
        let mut ev = Event::new(Timestamp::EPOCH);
        let n = ev.name("_innerLogged.custom");
        let a = ev.store_str("a");
        let b = ev.store_str("b");
        let l = ev.store_list([a, b]);
        ev.push_raw(n, l);
        let got = ev.get_raw("_innerLogged.custom").unwrap();
        assert_eq!(got.to_string(), "a,b");
        let ValueRef::List(list) = got else {
            panic!("not a list")
        };
        assert_eq!(list.len(), 2);
        assert_eq!(ev.fields().count(), 1);
        assert_eq!(ev.fields().next().unwrap().name, "_innerLogged.custom");
    }

    #[test]
    fn normalized_wins_over_raw_of_same_name() {
        let mut ev = Event::new(Timestamp::EPOCH);
        let raw = ev.store_str("raw");
        ev.push_raw(keys::USER_NAME, raw);
        let norm = ev.store_str("norm");
        ev.push_norm(keys::USER_NAME, norm);
        assert_eq!(ev.get(keys::USER_NAME).unwrap().as_str(), Some("norm"));
        assert_eq!(ev.get_raw("user.name").unwrap().as_str(), Some("raw"));
        assert_eq!(ev.get_all(keys::USER_NAME).count(), 2);
    }

    #[test]
    fn invalid_utf8_is_escaped_not_lost() {
        let mut ev = Event::new(Timestamp::EPOCH);
        let v = ev.store_bytes(b"ab\xff\xfecd\xe2\x82");
        ev.push_raw(keys::MESSAGE, v);
        assert_eq!(
            ev.get(keys::MESSAGE).unwrap().as_str(),
            Some("ab\\xff\\xfecd\\xe2\\x82")
        );
    }

    /// The lookup table against a plain scan: keys sharing a slot, repeats,
    /// raw before normalized, absent keys whose slot is taken, and events
    /// with more fields than the table can index.
    #[test]
    fn lookups_agree_with_a_scan_of_the_fields() {
        fn scan(ev: &Event, key: Key) -> Option<String> {
            let all: Vec<FieldRef<'_>> = ev.fields().filter(|f| f.key == Some(key)).collect();
            all.iter()
                .find(|f| f.kind != FieldKind::Raw)
                .or_else(|| all.first())
                .map(|f| f.value.to_string())
        }
        let n = Key::count() as u32;
        for (fields, step) in [(10usize, 7u32), (60, 128), (300, 1), (600, 3)] {
            let mut ev = Event::new(Timestamp::EPOCH);
            for i in 0..fields {
                let key = Key((i as u32 * step) % n);
                let v = ev.store_str(&format!("v{i}"));
                if i % 5 == 0 {
                    ev.push_raw(key, v);
                } else {
                    ev.push_norm(key, v);
                }
            }
            for k in 0..n {
                let key = Key(k);
                assert_eq!(
                    ev.get(key).map(|v| v.to_string()),
                    scan(&ev, key),
                    "{fields} fields, key {}",
                    key.name()
                );
                assert_eq!(
                    ev.get_value(key).map(|v| ev.view(v).to_string()),
                    ev.fields()
                        .find(|f| f.key == Some(key))
                        .map(|f| f.value.to_string())
                );
            }
        }
    }
}
