//! A borrowed JSON tree, for the decoders that need to look at a record as a
//! whole (FHIR AuditEvent, Windows events) rather than flatten it on the fly
//! as [`crate::json`] does.
//!
//! Strings borrow from the record when they have no escapes, objects are
//! small vectors of members in the record's order (a repeated key keeps every
//! occurrence; lookups see the first): cheaper to build than
//! `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that is not an `i64` (fractions, and integers past its range).
    Float(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Vec<Member<'a>>),
}

/// A member of an object: its key and value.
pub(crate) type Member<'a> = (Cow<'a, str>, Json<'a>);

/// An object's members, in order.
pub(crate) type Obj<'a> = [Member<'a>];

/// The value of `key` in `obj` (its first occurrence).
pub(crate) fn get<'o, 'a>(obj: &'o Obj<'a>, key: &str) -> Option<&'o Json<'a>> {
    obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl<'a> Json<'a> {
    /// The value of `key` when this is an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Obj(o) => get(o, key),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Json::Obj(_))
    }

    /// The items when this is an array.
    pub(crate) fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json<'de>, E> {
        Ok(Json::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json<'de>, E> {
        Ok(i64::try_from(u).map_or(Json::Float(u as f64), Json::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Json<'de>, E> {
        Ok(Json::Float(f))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(KeyStr(k)) = map.next_key()? {
            let v: Json<'de> = map.next_value()?;
            members.push((k, v));
        }
        Ok(Json::Obj(members))
    }
}

/// An object key, borrowed when it has no escapes.
struct KeyStr<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = KeyStr<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<KeyStr<'de>, E> {
        Ok(KeyStr(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<KeyStr<'de>, E> {
        Ok(KeyStr(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<KeyStr<'de>, E> {
        Ok(KeyStr(Cow::Owned(s)))
    }
}

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_and_orders() {
        let src = r#"{"b":1,"a":[true,null,"x\ny",18446744073709551615,1.5],"b":2}"#;
        let v: Json<'_> = serde_json::from_str(src).expect("valid");
        let Json::Obj(o) = &v else { panic!("object") };
        assert_eq!(o.len(), 3);
        assert!(matches!(get(o, "b"), Some(Json::Int(1))));
        let a = v.get("a").and_then(Json::as_array).expect("array");
        assert!(matches!(a[2], Json::Str(Cow::Owned(_))));
        assert!(matches!(a[3], Json::Float(_)));
        assert!(v.is_object());
    }
}
