//! TOML values with their positions, for error messages that give a line
//! and column: [`Node`] is a TOML value (only as much of one as a field
//! mapping needs), [`At`] a value and the byte offset where it starts.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A TOML value and where it starts, when the parser says (values under
/// dotted keys such as `source.ip = "x"` have no position of their own; they
/// are reported at their parent's).
#[derive(Debug)]
pub(super) struct At {
    pub(super) pos: Option<usize>,
    pub(super) node: Node,
}

/// A TOML value.
#[derive(Debug)]
pub(super) enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array,
    /// Entries: key, the key's position, value.
    Table(Vec<(String, Option<usize>, At)>),
}

impl Node {
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Bool(_) => "a boolean",
            Node::Array => "an array",
            Node::Table(_) => "a table",
        }
    }
}

// The `toml` deserializer reports a value's position to a struct with these
// names (the protocol behind `toml::Spanned`). `toml::Spanned` itself fails
// on values that have no position (tables made by dotted keys), so `At`
// speaks the protocol directly and accepts plain values too. Should the
// names ever change, values simply arrive without positions.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];

impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<At, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, AtVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(AtVisitor).map(|at| at.node)
    }
}

struct AtVisitor;

fn plain(node: Node) -> At {
    At { pos: None, node }
}

impl<'de> Visitor<'de> for AtVisitor {
    type Value = At;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<At, E> {
        Ok(plain(Node::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<At, E> {
        Ok(plain(Node::Int(i)))
    }
    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<At, E> {
        i64::try_from(u)
            .map(|i| plain(Node::Int(i)))
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, f: f64) -> Result<At, E> {
        Ok(plain(Node::Float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<At, E> {
        Ok(plain(Node::Str(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<At, E> {
        Ok(plain(Node::Str(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<At, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(plain(Node::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<At, A::Error> {
        let Some(first) = map.next_key::<At>()? else {
            return Ok(plain(Node::Table(Vec::new())));
        };
        if matches!(&first.node, Node::Str(k) if k == SPANNED_START) {
            // The positioned form: start, end, then the value itself.
            let start: usize = map.next_value()?;
            let mut node = None;
            while let Some(k) = map.next_key::<String>()? {
                if k == SPANNED_VALUE {
                    node = Some(map.next_value::<Node>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            let node = node.ok_or_else(|| serde::de::Error::missing_field("value"))?;
            return Ok(At {
                pos: Some(start),
                node,
            });
        }
        let mut entries = Vec::new();
        let mut key = Some(first);
        while let Some(k) = key {
            let v = map.next_value::<At>()?;
            let name = match k.node {
                Node::Str(s) => s,
                _ => return Err(serde::de::Error::custom("expected a string key")),
            };
            entries.push((name, k.pos, v));
            key = map.next_key::<At>()?;
        }
        Ok(plain(Node::Table(entries)))
    }
}
