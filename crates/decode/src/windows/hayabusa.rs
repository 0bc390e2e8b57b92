//! Hayabusa JSON timeline records: their fields and their time.

use phiwatch_event::{Event, Timestamp};

use crate::jtree::{get, Json, Obj};
use crate::{DecodeError, ErrorKind};

use super::flatten::{push_event_id, put};

pub(super) fn is_hayabusa(top: &Obj<'_>) -> bool {
    get(top, "Timestamp").is_some()
        && get(top, "EventID").is_some()
        && (get(top, "Channel").is_some() || get(top, "Computer").is_some())
}

/// A Hayabusa timeline record: its header fields by their names
/// (`RecordID` also as `EventRecordID`), `AllFieldInfo` and `ExtraFieldInfo`
/// children by their (original) names, `Details` (abbreviated names) under
/// `Details.<name>`.
pub(super) fn flatten_hayabusa(ev: &mut Event, top: &Obj<'_>) -> Result<(), DecodeError> {
    for (k, v) in top {
        let k: &str = k;
        match (k, v) {
            ("EventID", v) => push_event_id(ev, v)?,
            ("RecordID", v) => {
                put(ev, "RecordID", v);
                put(ev, "EventRecordID", v);
            }
            ("AllFieldInfo" | "ExtraFieldInfo", Json::Obj(fields)) => {
                for (f, fv) in fields {
                    put(ev, f, fv);
                }
            }
            _ => put(ev, k, v),
        }
    }
    let time = match get(top, "Timestamp") {
        Some(Json::Str(s)) => parse_hayabusa_time(s).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "field `Timestamp`: expected a time like `2016-08-19 08:06:57.658 +09:00`",
            )
        })?,
        _ => {
            return Err(DecodeError::new(
                ErrorKind::Time,
                "field `Timestamp`: expected a time string",
            ))
        }
    };
    ev.set_time(time);
    Ok(())
}

/// Hayabusa's times: `2016-08-19 08:06:57.658 +09:00` (local, the default),
/// RFC 3339 (`--ISO-8601`), or `… UTC`-style suffixes.
fn parse_hayabusa_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some(t) = Timestamp::parse_rfc3339(s.as_bytes()) {
        return Some(t);
    }
    // `date time offset`: drop the space before the offset.
    let (head, off) = s.rsplit_once(' ')?;
    let off = match off {
        "UTC" | "Z" => "Z",
        o => o,
    };
    let mut joined = String::with_capacity(s.len());
    joined.push_str(head);
    joined.push_str(off);
    Timestamp::parse_rfc3339(joined.as_bytes())
}
