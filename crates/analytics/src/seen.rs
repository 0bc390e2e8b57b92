//! A record behind a hit, as analytics keep it in their saved state: where
//! it was read and when (an `Origin` and a time, serializable).

use phiwatch_event::{Event, Origin, SourceId, Timestamp};
use serde::{Deserialize, Serialize};

/// Where an event was read, and when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ev {
    /// Event time, nanoseconds.
    pub(crate) t: i64,
    pub(crate) source: u32,
    pub(crate) line: u64,
    pub(crate) offset: u64,
    pub(crate) record: u64,
}

impl Ev {
    /// The record of `ev`.
    pub(crate) fn of(ev: &Event) -> Ev {
        let o = ev.origin();
        Ev {
            t: ev.time().as_nanos(),
            source: o.source.0,
            line: o.line,
            offset: o.offset,
            record: o.record,
        }
    }

    /// As a hit's evidence entry.
    pub(crate) fn to_pair(self) -> (Origin, Timestamp) {
        let o = Origin {
            source: SourceId(self.source),
            line: self.line,
            offset: self.offset,
            record: self.record,
        };
        (o, Timestamp::from_nanos(self.t))
    }
}
