//! Zeek JSON logs: one object per line, as written by Zeek's JSON writer
//! (`id.orig_h`) or by exports that replace the scope separator
//! (`id_orig_h`, as in the OTRF data, which also adds `@stream`).
//!
//! The record is flattened by [`crate::json::flatten_object`]; raw names stay
//! as the source wrote them. The dataset comes from `_path`, else `@stream`,
//! else is inferred from the fields present.

use std::io::Write as _;

use phiwatch_event::{Event, Key, Origin, Timestamp, ValueRef};

use crate::zeek_common::{self, Dataset, NormState, TimeProblem};
use crate::{DecodeError, Decoder};

/// Decodes Zeek JSON logs.
pub(crate) struct ZeekJsonDecoder {
    ts: Option<Key>,
    path: Option<Key>,
    stream: Option<Key>,
    text: String,
    prev_fields: usize,
}

impl ZeekJsonDecoder {
    pub(crate) fn new() -> Self {
        ZeekJsonDecoder {
            ts: Key::lookup("ts"),
            path: Key::lookup("_path"),
            stream: Key::lookup("@stream"),
            text: String::new(),
            prev_fields: 48,
        }
    }

    fn dataset(&self, ev: &Event) -> Dataset {
        for key in [self.path, self.stream].into_iter().flatten() {
            if let Some(ValueRef::Str(p)) = ev.get(key) {
                return zeek_common::dataset_for_path(p.as_bytes()).unwrap_or(zeek_common::UNKNOWN);
            }
        }
        zeek_common::infer_dataset(|name| {
            ev.get_by_name(name).is_some()
                || zeek_common::underscore_form(name).is_some_and(|u| ev.get_by_name(u).is_some())
        })
    }
}

impl Decoder for ZeekJsonDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let rec = record.trim_ascii();
        if rec.is_empty() || rec[0] == b'#' {
            // Blank, or a comment such as the btest baseline header.
            return Ok(None);
        }
        let mut ev = Event::with_capacity(Timestamp::EPOCH, self.prev_fields, rec.len());
        crate::json::flatten_object(&mut ev, rec)?;
        let time = match self.ts.and_then(|k| ev.get(k)) {
            None => Err(TimeProblem::Missing),
            Some(v) => json_time(v),
        };
        let time = time.map_err(zeek_common::time_error)?;
        ev.set_time(time);

        let dataset = self.dataset(&ev);
        let mut st = NormState::default();
        for r in zeek_common::resolved(dataset.kind) {
            let v = [r.dotted, r.underscore]
                .into_iter()
                .flatten()
                .find_map(|k| ev.get_value(k));
            if let Some(v) = v {
                zeek_common::apply(&mut ev, r.rule, v, &mut st, &mut self.text);
            }
        }
        zeek_common::finish(&mut ev, &mut st);
        crate::json::tag(&mut ev, "zeek", dataset.name, "zeek-json");
        ev.set_origin(origin);
        self.prev_fields = ev.len();
        Ok(Some(ev))
    }
}

/// The event time from a JSON `ts`: epoch seconds (number or string) or an
/// ISO 8601 string.
fn json_time(v: ValueRef<'_>) -> Result<Timestamp, TimeProblem> {
    match v {
        ValueRef::Null => Err(TimeProblem::Unset),
        ValueRef::Int(i) => Timestamp::from_secs(i).ok_or(TimeProblem::InvalidJson),
        ValueRef::Float(f) => float_secs(f).ok_or(TimeProblem::InvalidJson),
        ValueRef::Str(s) if zeek_common::is_masked(s.as_bytes()) => Err(TimeProblem::Masked),
        ValueRef::Str(s) => Timestamp::parse_any(s.as_bytes()).ok_or(TimeProblem::InvalidJson),
        _ => Err(TimeProblem::InvalidJson),
    }
}

/// Epoch seconds read as a float, converted through their shortest decimal
/// form so that `1588205199.82437` is exactly .824370000, not a binary
/// neighbour.
fn float_secs(f: f64) -> Option<Timestamp> {
    if !f.is_finite() {
        return None;
    }
    let mut buf = [0u8; 40];
    let mut cur = &mut buf[..];
    if write!(cur, "{f}").is_ok() {
        let n = 40 - cur.len();
        if let Some(t) = Timestamp::parse_epoch_decimal(&buf[..n]) {
            return Some(t);
        }
    }
    zeek_common::secs_to_nanos(f).map(Timestamp::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_seconds_are_exact() {
        let t = float_secs(1588205199.82437).expect("finite");
        assert_eq!(t.as_nanos(), 1_588_205_199_824_370_000);
        assert_eq!(float_secs(-0.5).expect("finite").as_nanos(), -500_000_000);
        assert_eq!(float_secs(f64::NAN), None);
        assert!(float_secs(1e300).is_none());
    }
}
