//! What `phiwatch demo` counts while the detectors read the logs: events
//! per dataset, with the first and last time of each.

use std::collections::BTreeMap;

use phiwatch_event::{keys, Event, Timestamp, ValueRef};

/// Per-dataset counts and time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DatasetStats {
    pub(super) events: u64,
    pub(super) first: Timestamp,
    pub(super) last: Timestamp,
}

/// Events by dataset (`event.dataset`; `-` when an event has none).
#[derive(Debug, Default)]
pub(super) struct Look {
    pub(super) datasets: BTreeMap<String, DatasetStats>,
}

impl Look {
    /// Counts one event.
    pub(super) fn add(&mut self, ev: &Event) {
        let dataset = match ev.get(keys::EVENT_DATASET) {
            Some(ValueRef::Str(s)) if !s.is_empty() => s,
            _ => "-",
        };
        let t = ev.time();
        match self.datasets.get_mut(dataset) {
            Some(d) => {
                d.events += 1;
                d.first = d.first.min(t);
                d.last = d.last.max(t);
            }
            None => {
                self.datasets.insert(
                    dataset.to_string(),
                    DatasetStats {
                        events: 1,
                        first: t,
                        last: t,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(secs: i64, dataset: Option<&str>) -> Event {
        let mut ev = Event::new(Timestamp::from_secs(secs).unwrap());
        if let Some(d) = dataset {
            let v = ev.store_str(d);
            ev.push_norm(keys::EVENT_DATASET, v);
        }
        ev
    }

    #[test]
    fn counts_by_dataset_with_the_time_range() {
        let mut look = Look::default();
        for (t, d) in [
            (30, Some("zeek.conn")),
            (10, Some("zeek.conn")),
            (20, Some("okta.system")),
            (40, None),
            (50, Some("")),
        ] {
            look.add(&event(t, d));
        }
        assert_eq!(look.datasets.values().map(|d| d.events).sum::<u64>(), 5);
        assert_eq!(look.datasets.len(), 3);
        let conn = look.datasets["zeek.conn"];
        assert_eq!(conn.events, 2);
        assert_eq!(conn.first, Timestamp::from_secs(10).unwrap());
        assert_eq!(conn.last, Timestamp::from_secs(30).unwrap());
        assert_eq!(look.datasets["-"].events, 2);
        assert_eq!(look.datasets["okta.system"].events, 1);
    }
}
