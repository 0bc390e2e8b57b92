//! Field values: stored compactly inside an [`crate::Event`], read through
//! [`ValueRef`].

use std::fmt;
use std::net::IpAddr;

use crate::Timestamp;

/// A range of an event's string buffer or list arena. Only an [`crate::Event`]
/// makes them, so a span is always valid for the event that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Span {
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// A stored value. Strings and lists point into the owning event; build them
/// with [`crate::Event::store_str`] and [`crate::Event::store_list`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// Absent or unset (`-` in Zeek, `null` in JSON).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (counts, ports, bytes).
    Int(i64),
    /// A floating-point number (intervals in seconds, scores).
    Float(f64),
    /// A string in the event's buffer.
    Str(Span),
    /// A string constant (dataset names, normalized enumerations).
    Static(&'static str),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A point in time.
    Time(Timestamp),
    /// A list (Zeek set or vector, JSON array of scalars) in the event's arena.
    List(Span),
}

/// A borrowed view of a value, as returned by lookups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// Absent or unset.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// An IP address.
    Ip(IpAddr),
    /// A point in time.
    Time(Timestamp),
    /// A list of values.
    List(ListRef<'a>),
}

/// A borrowed list; iterate it for its items.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListRef<'a> {
    pub(crate) items: &'a [Value],
    pub(crate) buf: &'a str,
}

impl<'a> ListRef<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list has no items (Zeek's `(empty)`).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = ValueRef<'a>> + 'a {
        let buf = self.buf;
        self.items.iter().map(move |v| ValueRef::scalar(*v, buf))
    }
}

impl<'a> ValueRef<'a> {
    pub(crate) fn scalar(v: Value, buf: &'a str) -> ValueRef<'a> {
        match v {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(b),
            Value::Int(i) => ValueRef::Int(i),
            Value::Float(f) => ValueRef::Float(f),
            Value::Str(s) => ValueRef::Str(buf.get(s.range()).unwrap_or("")),
            Value::Static(s) => ValueRef::Str(s),
            Value::Ip(ip) => ValueRef::Ip(ip),
            Value::Time(t) => ValueRef::Time(t),
            // Lists never nest; a list item that is a list reads as null.
            Value::List(_) => ValueRef::Null,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            ValueRef::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer or an integral string.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ValueRef::Int(i) => Some(*i),
            ValueRef::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            ValueRef::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The number as a float, if numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ValueRef::Int(i) => Some(*i as f64),
            ValueRef::Float(f) => Some(*f),
            ValueRef::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The address, if this is an IP address or a string that parses as one.
    pub fn as_ip(&self) -> Option<IpAddr> {
        match self {
            ValueRef::Ip(ip) => Some(*ip),
            ValueRef::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ValueRef::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }
}

impl fmt::Display for ValueRef<'_> {
    /// The text form used for matching and tables: strings as they are,
    /// lists comma-separated, null as the empty string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Null => Ok(()),
            ValueRef::Bool(b) => write!(f, "{b}"),
            ValueRef::Int(i) => write!(f, "{i}"),
            ValueRef::Float(x) => write!(f, "{x}"),
            ValueRef::Str(s) => f.write_str(s),
            ValueRef::Ip(ip) => write!(f, "{ip}"),
            ValueRef::Time(t) => write!(f, "{t}"),
            ValueRef::List(l) => {
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}
