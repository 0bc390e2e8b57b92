//! The phiwatch event model.
//!
//! Every decoder produces [`Event`]s and every detector reads them. An event
//! has a UTC [`Timestamp`] with nanosecond precision, an [`Origin`] (source,
//! line, byte offset), and fields. Each field carries a name — a registered
//! [`Key`] (ECS names such as `source.ip`, OpenTelemetry `db.*`, `phiwatch.*`,
//! and the raw names of the built-in formats) or a dynamic name — and a
//! [`Value`]. Raw fields keep the source's own names; normalized fields are
//! added beside them and usually share the same stored value.
//!
//! ```
//! use phiwatch_event::{keys, Event, Key, Timestamp, Value};
//!
//! let ts = Timestamp::parse_epoch_decimal(b"1300475167.096535").unwrap();
//! let mut ev = Event::new(ts);
//! let ip = Value::Ip("10.0.0.7".parse().unwrap());
//! ev.push_raw(Key::lookup("id.orig_h").unwrap(), ip);
//! ev.push_norm(keys::SOURCE_IP, ip);
//!
//! assert_eq!(ev.get(keys::SOURCE_IP).unwrap().to_string(), "10.0.0.7");
//! assert_eq!(ev.get_raw("id.orig_h").unwrap().to_string(), "10.0.0.7");
//! assert_eq!(ev.time().to_rfc3339(), "2011-03-18T19:06:07.096535Z");
//! ```

mod event;
mod key;
mod raw_names;
mod time;
mod value;

pub use event::{escape_invalid_utf8, Event, FieldKind, FieldRef, Name, Origin, SourceId};
pub use key::{keys, Key};
pub use time::{Civil, Timestamp};
pub use value::{ListRef, Span, Value, ValueRef};
