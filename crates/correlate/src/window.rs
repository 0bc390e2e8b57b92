//! The aggregate kept for one group's window, per correlation type.
//!
//! Every aggregate supports the same four operations: add an input, forget
//! what is older than a cutoff (sliding windows only), give the current
//! value, and tell the time of the oldest input still counted. Times are
//! nanoseconds since the epoch.

use std::collections::VecDeque;

use foldhash::fast::RandomState;

/// Most numeric values kept per window for `value_percentile` (the newest
/// are kept; the percentile is computed over them).
pub const PERCENTILE_CAP: usize = 1024;

/// Least number of entries kept per window for `event_count`,
/// `value_count`, `value_sum` and `value_avg` before the oldest are dropped.
/// The real cap is the larger of this and the condition's largest bound plus
/// one, so a threshold can always be reached.
pub const ENTRY_CAP: usize = 65_536;

/// The correlation types, compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// `event_count`.
    EventCount,
    /// `value_count`.
    ValueCount,
    /// `temporal` (any order).
    Temporal,
    /// `temporal_ordered`.
    TemporalOrdered,
    /// `value_sum`.
    Sum,
    /// `value_avg`.
    Avg,
    /// `value_percentile` (and `value_median`) at this rank, 0–100.
    Percentile(f64),
}

impl Kind {
    /// `temporal` or `temporal_ordered`.
    pub fn is_temporal(self) -> bool {
        matches!(self, Kind::Temporal | Kind::TemporalOrdered)
    }
}

/// What one input adds to a window.
#[derive(Clone, Debug)]
pub enum Contribution {
    /// A counted event (`event_count`).
    Event,
    /// A value to count distinct (`value_count`).
    Text(String),
    /// A referenced rule, by its position in the correlation's `rules`.
    Rule(usize),
    /// A number (`value_sum`, `value_avg`, `value_percentile`).
    Number(f64),
}

/// One group's window aggregate.
#[derive(Debug)]
pub enum Agg {
    /// Event times, sorted; `dropped` counts entries dropped by the cap.
    Count {
        /// Times of the counted events.
        times: VecDeque<i64>,
        /// Entries dropped by the cap (still counted in anchored windows).
        dropped: u64,
    },
    /// Distinct values with the newest time each was seen.
    Distinct {
        /// Value → newest time.
        newest: std::collections::HashMap<Box<str>, i64, RandomState>,
        /// (time, value), sorted by time; entries whose time is not the
        /// value's newest are stale and skipped.
        queue: VecDeque<(i64, Box<str>)>,
    },
    /// Newest time each referenced rule was seen.
    Rules(Vec<Option<i64>>),
    /// For each step of the ordered sequence, the chain that completes it
    /// with the latest start: (start, end).
    Steps(Vec<Option<(i64, i64)>>),
    /// Numbers with their times, sorted by time, and their running sum.
    Numbers {
        /// (time, value).
        entries: VecDeque<(i64, f64)>,
        /// Sum of `entries`.
        sum: f64,
    },
}

impl Agg {
    /// An empty aggregate for `kind` over `rules` referenced rules.
    pub fn new(kind: Kind, rules: usize) -> Agg {
        match kind {
            Kind::EventCount => Agg::Count {
                times: VecDeque::new(),
                dropped: 0,
            },
            Kind::ValueCount => Agg::Distinct {
                newest: std::collections::HashMap::with_hasher(RandomState::default()),
                queue: VecDeque::new(),
            },
            Kind::Temporal => Agg::Rules(vec![None; rules]),
            Kind::TemporalOrdered => Agg::Steps(vec![None; rules]),
            Kind::Sum | Kind::Avg | Kind::Percentile(_) => Agg::Numbers {
                entries: VecDeque::new(),
                sum: 0.0,
            },
        }
    }

    /// Forgets everything (after a hit, or when a window closes).
    pub fn clear(&mut self) {
        match self {
            Agg::Count { times, dropped } => {
                times.clear();
                *dropped = 0;
            }
            Agg::Distinct { newest, queue } => {
                newest.clear();
                queue.clear();
            }
            Agg::Rules(seen) => seen.iter_mut().for_each(|s| *s = None),
            Agg::Steps(steps) => steps.iter_mut().for_each(|s| *s = None),
            Agg::Numbers { entries, sum } => {
                entries.clear();
                *sum = 0.0;
            }
        }
    }

    /// Adds one input at time `t`; `cap` bounds the entries kept.
    pub fn add(&mut self, t: i64, c: Contribution, cap: usize) {
        match (self, c) {
            (Agg::Count { times, dropped }, Contribution::Event) => {
                insert_sorted(times, t, |x| *x);
                if times.len() > cap {
                    times.pop_front();
                    *dropped += 1;
                }
            }
            (Agg::Distinct { newest, queue }, Contribution::Text(v)) => {
                add_distinct(newest, queue, t, v, cap);
            }
            (Agg::Rules(seen), Contribution::Rule(p)) => {
                if let Some(slot) = seen.get_mut(p) {
                    *slot = Some(slot.map_or(t, |old| old.max(t)));
                }
            }
            (Agg::Steps(steps), Contribution::Rule(p)) => add_step(steps, p, t),
            (Agg::Numbers { entries, sum }, Contribution::Number(x)) => {
                insert_sorted(entries, (t, x), |e| e.0);
                *sum += x;
                if entries.len() > cap {
                    if let Some((_, old)) = entries.pop_front() {
                        *sum -= old;
                    }
                }
            }
            _ => {}
        }
    }

    /// Forgets inputs older than `cutoff` (sliding windows).
    pub fn evict(&mut self, cutoff: i64) {
        match self {
            Agg::Count { times, .. } => {
                while times.front().is_some_and(|&t| t < cutoff) {
                    times.pop_front();
                }
            }
            Agg::Distinct { newest, queue } => {
                while let Some((t, _)) = queue.front() {
                    if *t >= cutoff {
                        break;
                    }
                    if let Some((t, v)) = queue.pop_front() {
                        if newest.get(&v) == Some(&t) {
                            newest.remove(&v);
                        }
                    }
                }
            }
            Agg::Rules(seen) => seen
                .iter_mut()
                .filter(|s| s.is_some_and(|t| t < cutoff))
                .for_each(|s| *s = None),
            Agg::Steps(steps) => steps
                .iter_mut()
                .filter(|s| s.is_some_and(|(start, _)| start < cutoff))
                .for_each(|s| *s = None),
            Agg::Numbers { entries, sum } => {
                while entries.front().is_some_and(|e| e.0 < cutoff) {
                    if let Some((_, x)) = entries.pop_front() {
                        *sum -= x;
                    }
                }
                if entries.is_empty() {
                    *sum = 0.0;
                }
            }
        }
    }

    /// The aggregated value (`None` when the window has none, e.g. an empty
    /// percentile window).
    pub fn value(&self, kind: Kind) -> Option<f64> {
        match self {
            Agg::Count { times, dropped } => Some(times.len() as f64 + *dropped as f64),
            Agg::Distinct { newest, .. } => Some(newest.len() as f64),
            Agg::Rules(seen) => Some(seen.iter().filter(|s| s.is_some()).count() as f64),
            Agg::Steps(steps) => Some(
                steps
                    .iter()
                    .rposition(Option::is_some)
                    .map_or(0.0, |p| (p + 1) as f64),
            ),
            Agg::Numbers { entries, sum } => numeric_value(kind, entries, *sum),
        }
    }

    /// Which referenced rules are seen (temporal types).
    pub fn rule_seen(&self, p: usize) -> bool {
        match self {
            Agg::Rules(seen) => seen.get(p).is_some_and(Option::is_some),
            Agg::Steps(steps) => steps.get(p).is_some_and(Option::is_some),
            _ => false,
        }
    }

    /// Time of the oldest input still counted.
    pub fn first(&self) -> Option<i64> {
        match self {
            Agg::Count { times, .. } => times.front().copied(),
            Agg::Distinct { newest, .. } => newest.values().min().copied(),
            Agg::Rules(seen) => seen.iter().flatten().min().copied(),
            Agg::Steps(steps) => steps.iter().rev().flatten().next().map(|s| s.0),
            Agg::Numbers { entries, .. } => entries.front().map(|e| e.0),
        }
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        match self {
            Agg::Count { times, dropped } => times.is_empty() && *dropped == 0,
            Agg::Distinct { newest, .. } => newest.is_empty(),
            Agg::Rules(seen) => seen.iter().all(Option::is_none),
            Agg::Steps(steps) => steps.iter().all(Option::is_none),
            Agg::Numbers { entries, .. } => entries.is_empty(),
        }
    }
}

/// Inserts `item` keeping `items` sorted by `key` (input is mostly in order,
/// so the position is found from the back).
fn insert_sorted<T>(items: &mut VecDeque<T>, item: T, key: impl Fn(&T) -> i64) {
    let t = key(&item);
    if items.back().is_none_or(|last| key(last) <= t) {
        items.push_back(item);
    } else {
        let at = items.partition_point(|x| key(x) <= t);
        items.insert(at, item);
    }
}

fn add_distinct(
    newest: &mut std::collections::HashMap<Box<str>, i64, RandomState>,
    queue: &mut VecDeque<(i64, Box<str>)>,
    t: i64,
    v: String,
    cap: usize,
) {
    let v: Box<str> = v.into_boxed_str();
    let full = newest.len() >= cap;
    match newest.get_mut(&v) {
        Some(old) if *old >= t => return,
        Some(old) => *old = t,
        None if full => return,
        None => {
            newest.insert(v.clone(), t);
        }
    }
    insert_sorted(queue, (t, v), |e| e.0);
    // Stale entries (a value seen again) pile up; rebuild from the map when
    // they outnumber the live ones.
    if queue.len() > 2 * newest.len() + 64 {
        let mut live: Vec<(i64, Box<str>)> = newest.iter().map(|(k, &t)| (t, k.clone())).collect();
        live.sort_unstable_by_key(|e| e.0);
        *queue = live.into();
    }
}

/// Temporal-ordered step update: the rule at position `p` was seen at `t`.
/// A chain completing step `p` extends the chain completing step `p - 1`
/// when that one ended no later than `t`; the latest start is kept, since it
/// leaves the most room in the window.
fn add_step(steps: &mut [Option<(i64, i64)>], p: usize, t: i64) {
    let candidate = if p == 0 {
        Some((t, t))
    } else {
        match steps.get(p - 1) {
            Some(Some((start, end))) if *end <= t => Some((*start, t)),
            _ => None,
        }
    };
    if let (Some((start, end)), Some(slot)) = (candidate, steps.get_mut(p)) {
        let better = match slot {
            None => true,
            Some((s, e)) => start > *s || (start == *s && end < *e),
        };
        if better {
            *slot = Some((start, end));
        }
    }
}

fn numeric_value(kind: Kind, entries: &VecDeque<(i64, f64)>, sum: f64) -> Option<f64> {
    if entries.is_empty() {
        return match kind {
            Kind::Sum => Some(0.0),
            _ => None,
        };
    }
    match kind {
        Kind::Sum => Some(sum),
        Kind::Avg => Some(sum / entries.len() as f64),
        Kind::Percentile(rank) => {
            let mut values: Vec<f64> = entries.iter().map(|e| e.1).collect();
            values.sort_unstable_by(f64::total_cmp);
            Some(percentile(&values, rank))
        }
        _ => None,
    }
}

/// The value at percentile `rank` (0–100) of sorted `values`, by linear
/// interpolation between closest ranks (rank × (n − 1)).
pub fn percentile(values: &[f64], rank: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let pos = rank.clamp(0.0, 100.0) / 100.0 * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    let (a, b) = (values[lo.min(n - 1)], values[hi]);
    a + (b - a) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_evicts_older_than_cutoff_and_keeps_order() {
        let mut a = Agg::new(Kind::EventCount, 1);
        for t in [10, 30, 20] {
            a.add(t, Contribution::Event, 100);
        }
        assert_eq!(a.first(), Some(10));
        a.evict(20);
        assert_eq!(a.value(Kind::EventCount), Some(2.0));
        assert_eq!(a.first(), Some(20));
    }

    #[test]
    fn count_cap_drops_oldest_but_still_counts() {
        let mut a = Agg::new(Kind::EventCount, 1);
        for t in 0..10 {
            a.add(t, Contribution::Event, 4);
        }
        assert_eq!(a.value(Kind::EventCount), Some(10.0));
        assert_eq!(a.first(), Some(6));
    }

    #[test]
    fn distinct_counts_values_and_forgets_old_ones() {
        let mut a = Agg::new(Kind::ValueCount, 1);
        a.add(1, Contribution::Text("alice".into()), 100);
        a.add(2, Contribution::Text("bob".into()), 100);
        a.add(5, Contribution::Text("alice".into()), 100);
        assert_eq!(a.value(Kind::ValueCount), Some(2.0));
        a.evict(3); // bob (2) goes, alice was seen again at 5
        assert_eq!(a.value(Kind::ValueCount), Some(1.0));
        assert_eq!(a.first(), Some(5));
    }

    #[test]
    fn distinct_queue_stays_bounded_with_repeats() {
        let mut a = Agg::new(Kind::ValueCount, 1);
        for t in 0..10_000 {
            a.add(t, Contribution::Text(format!("v{}", t % 3)), 100);
        }
        match &a {
            Agg::Distinct { queue, newest } => {
                assert_eq!(newest.len(), 3);
                assert!(queue.len() <= 2 * 3 + 64 + 1, "queue {}", queue.len());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn distinct_cap_stops_new_values() {
        let mut a = Agg::new(Kind::ValueCount, 1);
        for t in 0..10 {
            a.add(t, Contribution::Text(format!("v{t}")), 4);
        }
        assert_eq!(a.value(Kind::ValueCount), Some(4.0));
    }

    #[test]
    fn steps_follow_order_only() {
        let mut a = Agg::new(Kind::TemporalOrdered, 3);
        a.add(1, Contribution::Rule(1), 0); // b before any a: ignored
        assert_eq!(a.value(Kind::TemporalOrdered), Some(0.0));
        a.add(2, Contribution::Rule(0), 0);
        a.add(3, Contribution::Rule(2), 0); // c before b: ignored
        assert_eq!(a.value(Kind::TemporalOrdered), Some(1.0));
        a.add(4, Contribution::Rule(1), 0);
        a.add(5, Contribution::Rule(2), 0);
        assert_eq!(a.value(Kind::TemporalOrdered), Some(3.0));
        assert_eq!(a.first(), Some(2));
    }

    #[test]
    fn steps_keep_latest_start() {
        let mut a = Agg::new(Kind::TemporalOrdered, 2);
        a.add(0, Contribution::Rule(0), 0);
        a.add(50, Contribution::Rule(0), 0);
        a.add(60, Contribution::Rule(1), 0);
        a.evict(10); // the chain from 0 is gone, the one from 50 stays
        assert_eq!(a.value(Kind::TemporalOrdered), Some(2.0));
        assert_eq!(a.first(), Some(50));
    }

    #[test]
    fn numbers_sum_avg_percentile() {
        let mut a = Agg::new(Kind::Sum, 1);
        for (t, x) in [(1, 10.0), (2, 20.0), (3, 30.0), (4, 40.0)] {
            a.add(t, Contribution::Number(x), 100);
        }
        assert_eq!(a.value(Kind::Sum), Some(100.0));
        assert_eq!(a.value(Kind::Avg), Some(25.0));
        assert_eq!(a.value(Kind::Percentile(50.0)), Some(25.0));
        assert_eq!(a.value(Kind::Percentile(100.0)), Some(40.0));
        a.evict(3);
        assert_eq!(a.value(Kind::Sum), Some(70.0));
        a.evict(10);
        assert_eq!(a.value(Kind::Sum), Some(0.0));
        assert_eq!(a.value(Kind::Avg), None);
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 50.0), 3.0);
        assert_eq!(percentile(&[1.0, 2.0], 25.0), 1.25);
        assert_eq!(percentile(&[7.0], 90.0), 7.0);
        assert_eq!(percentile(&[], 90.0), 0.0);
    }
}
