//! Sightings: what the hits of many events say per indicator.

use std::collections::BTreeMap;

use phiwatch_event::Timestamp;

use super::Hit;

/// Distinct field/value pairs kept per indicator by default.
const MAX_VALUES: usize = 16;
/// Earliest evidence samples kept per indicator by default.
const MAX_SAMPLES: usize = 3;

/// How often one field/value pair matched an indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldValueCount {
    /// The event field (`destination.ip`).
    pub field: &'static str,
    /// The value as the event had it.
    pub value: String,
    /// Hits with this field and value.
    pub count: u64,
}

/// One indicator's sightings.
#[derive(Clone, Debug, PartialEq)]
pub struct Sighting<E> {
    /// Events in which it matched.
    pub count: u64,
    /// The earliest such event's time.
    pub first: Timestamp,
    /// The latest such event's time.
    pub last: Timestamp,
    /// Matched field/value pairs, in the order first seen, at most the
    /// limit given (16 by default).
    pub values: Vec<FieldValueCount>,
    /// Hits whose field/value pair did not fit in `values`.
    pub other_values: u64,
    /// Evidence of the earliest events, in time order, at most the limit
    /// given (3 by default).
    pub earliest: Vec<(Timestamp, E)>,
    /// Evidence of the latest event.
    pub latest: (Timestamp, E),
}

/// Sightings per indicator, accumulated over any number of events (all of
/// history given, in any order).
#[derive(Clone, Debug)]
pub struct Sightings<E> {
    by_indicator: BTreeMap<usize, Sighting<E>>,
    max_values: usize,
    max_samples: usize,
}

impl<E: Clone> Default for Sightings<E> {
    fn default() -> Self {
        Sightings::new()
    }
}

impl<E: Clone> Sightings<E> {
    /// No sightings yet, with the default limits (16 field/value pairs, 3
    /// earliest evidence samples per indicator).
    pub fn new() -> Sightings<E> {
        Sightings::with_limits(MAX_VALUES, MAX_SAMPLES)
    }

    /// No sightings yet, keeping at most `max_values` field/value pairs and
    /// `max_samples` earliest evidence samples per indicator.
    pub fn with_limits(max_values: usize, max_samples: usize) -> Sightings<E> {
        Sightings {
            by_indicator: BTreeMap::new(),
            max_values,
            max_samples,
        }
    }

    /// Records the hits of one event at `time`, with `evidence` (a handle to
    /// the event: a source and line, a record id). Each indicator counts
    /// once per call however many of its observables matched.
    pub fn record(&mut self, time: Timestamp, hits: &[Hit], evidence: &E) {
        let grouped = hits.windows(2).all(|w| w[0].indicator <= w[1].indicator);
        for (i, h) in hits.iter().enumerate() {
            let repeat = if grouped {
                i > 0 && hits[i - 1].indicator == h.indicator
            } else {
                hits[..i].iter().any(|p| p.indicator == h.indicator)
            };
            let (max_values, max_samples) = (self.max_values, self.max_samples);
            let s = entry(&mut self.by_indicator, h.indicator, time, evidence);
            if !repeat {
                s.count += 1;
                s.first = s.first.min(time);
                s.last = s.last.max(time);
                if time >= s.latest.0 {
                    s.latest = (time, evidence.clone());
                }
                add_sample(&mut s.earliest, max_samples, time, evidence);
            }
            let pair = (h.field, h.value.as_str());
            count_value(&mut s.values, &mut s.other_values, max_values, pair, 1);
        }
    }

    /// Folds in sightings gathered elsewhere (another thread, another batch
    /// of files).
    pub fn merge(&mut self, other: Sightings<E>) {
        for (i, o) in other.by_indicator {
            let Some(s) = self.by_indicator.get_mut(&i) else {
                self.by_indicator.insert(i, o);
                continue;
            };
            s.count += o.count;
            s.first = s.first.min(o.first);
            s.last = s.last.max(o.last);
            if o.latest.0 >= s.latest.0 {
                s.latest = o.latest;
            }
            for (t, e) in &o.earliest {
                add_sample(&mut s.earliest, self.max_samples, *t, e);
            }
            s.other_values += o.other_values;
            for v in o.values {
                let pair = (v.field, v.value.as_str());
                count_value(
                    &mut s.values,
                    &mut s.other_values,
                    self.max_values,
                    pair,
                    v.count,
                );
            }
        }
    }

    /// The sightings of one indicator, if it was seen.
    pub fn get(&self, indicator: usize) -> Option<&Sighting<E>> {
        self.by_indicator.get(&indicator)
    }

    /// Indicators seen, in indicator order, with their sightings.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Sighting<E>)> + '_ {
        self.by_indicator.iter().map(|(i, s)| (*i, s))
    }

    /// The number of indicators seen.
    pub fn len(&self) -> usize {
        self.by_indicator.len()
    }

    /// Whether no indicator was seen.
    pub fn is_empty(&self) -> bool {
        self.by_indicator.is_empty()
    }
}

/// Keeps the `max` earliest samples, in time order (stable for ties).
fn add_sample<E: Clone>(samples: &mut Vec<(Timestamp, E)>, max: usize, t: Timestamp, e: &E) {
    if samples.len() >= max && samples.last().is_none_or(|l| l.0 <= t) {
        return;
    }
    let at = samples.partition_point(|s| s.0 <= t);
    samples.insert(at, (t, e.clone()));
    samples.truncate(max);
}

/// The sighting of `indicator`, made empty at `time` if new.
fn entry<'m, E: Clone>(
    map: &'m mut BTreeMap<usize, Sighting<E>>,
    indicator: usize,
    time: Timestamp,
    evidence: &E,
) -> &'m mut Sighting<E> {
    map.entry(indicator).or_insert_with(|| Sighting {
        count: 0,
        first: time,
        last: time,
        values: Vec::new(),
        other_values: 0,
        earliest: Vec::new(),
        latest: (time, evidence.clone()),
    })
}

/// Counts `n` hits of a field/value pair, in `values` while it has room.
fn count_value(
    values: &mut Vec<FieldValueCount>,
    other: &mut u64,
    max: usize,
    (field, value): (&'static str, &str),
    n: u64,
) {
    if let Some(v) = values
        .iter_mut()
        .find(|v| v.field == field && v.value == value)
    {
        v.count += n;
    } else if values.len() < max {
        values.push(FieldValueCount {
            field,
            value: value.to_string(),
            count: n,
        });
    } else {
        *other += n;
    }
}
