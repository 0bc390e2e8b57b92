//! Exporting what was observed: a STIX 2.1 bundle (indicators plus
//! `sighting` objects), a Zeek intel file, or CSV.
//!
//! The input is a list of [`Observed`] items: imported indicators that were
//! sighted in the logs, and new ones that phiwatch's own detections surfaced
//! (an attacker address or domain from a finding, built with
//! [`Indicator::of`] and `observed_by_phiwatch` set). Items with the same
//! indicator id are merged first (earliest first sighting, latest last
//! sighting, counts added). Every export is a pure function of its input:
//! the same items give the same bytes, ids included.
//!
//! ```
//! use phiwatch_event::Timestamp;
//! use phiwatch_intel::export::{csv, stix_bundle, zeek_intel, Observed};
//! use phiwatch_intel::{parse_ip_net, Indicator, Observable};
//!
//! let ip = parse_ip_net("203.0.113.7").unwrap();
//! let t = Timestamp::from_secs(1_700_000_000).unwrap();
//! let items = [Observed {
//!     indicator: Indicator::of(Observable::Ip(ip), "phiwatch"),
//!     first_seen: t,
//!     last_seen: t,
//!     count: 3,
//!     observed_by_phiwatch: true,
//! }];
//! let bundle = stix_bundle(&items, t);
//! assert_eq!(bundle["objects"][1]["pattern"], "[ipv4-addr:value = '203.0.113.7']");
//! assert!(zeek_intel(&items).contains("203.0.113.7\tIntel::ADDR\tphiwatch\t"));
//! assert_eq!(csv(&items).lines().count(), 2);
//! ```

use phiwatch_event::Timestamp;

use crate::model::{Indicator, Observable};

mod csv;
mod ids;
mod stix;
mod zeek;

pub use self::csv::{csv, CSV_HEADER};
pub use self::ids::deterministic_uuid;
pub use self::stix::{comparison, stix_bundle, stix_export, to_string};
pub use self::zeek::{zeek_export, zeek_intel, ZEEK_HEADER};

/// An indicator that was observed, with its sighting.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The indicator: imported, or built from a finding.
    pub indicator: Indicator,
    /// When it was first seen.
    pub first_seen: Timestamp,
    /// When it was last seen.
    pub last_seen: Timestamp,
    /// How many times it was seen.
    pub count: u64,
    /// Whether phiwatch's own detections surfaced it (it was not imported).
    pub observed_by_phiwatch: bool,
}

/// An export's output and what it wrote and left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Export<T> {
    /// The bundle or the text.
    pub output: T,
    /// The counts.
    pub summary: ExportSummary,
}

/// What an export wrote and what it could not express.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Items given.
    pub items: usize,
    /// Items merged into an earlier one with the same indicator id.
    pub merged: usize,
    /// Indicators written.
    pub indicators: usize,
    /// Sighting objects written (STIX only).
    pub sightings: usize,
    /// Lines or rows written, header excluded (Zeek, CSV).
    pub lines: usize,
    /// Indicators left out entirely: nothing in them had a form in this
    /// format (a JA3-only indicator in STIX or Zeek intel).
    pub skipped: usize,
    /// Every observable left out, with the reason.
    pub left_out: Vec<LeftOut>,
}

/// One observable an export could not express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// The indicator's id.
    pub indicator_id: String,
    /// The observable.
    pub observable: Observable,
    /// Why.
    pub reason: &'static str,
}

/// One indicator after merging items with its id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Merged<'a> {
    pub indicator: &'a Indicator,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub observed_by_phiwatch: bool,
}

/// Merges items with the same indicator id, in order of first appearance.
/// First and last sightings are ordered even if an item has them swapped.
pub(crate) fn merge(items: &[Observed]) -> Vec<Merged<'_>> {
    let mut index: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
    let mut out: Vec<Merged<'_>> = Vec::with_capacity(items.len());
    for item in items {
        let first = item.first_seen.min(item.last_seen);
        let last = item.first_seen.max(item.last_seen);
        match index.get(item.indicator.id.as_str()) {
            Some(&i) => {
                let m = &mut out[i];
                m.first_seen = m.first_seen.min(first);
                m.last_seen = m.last_seen.max(last);
                m.count = m.count.saturating_add(item.count);
                m.observed_by_phiwatch |= item.observed_by_phiwatch;
            }
            None => {
                index.insert(item.indicator.id.as_str(), out.len());
                out.push(Merged {
                    indicator: &item.indicator,
                    first_seen: first,
                    last_seen: last,
                    count: item.count,
                    observed_by_phiwatch: item.observed_by_phiwatch,
                });
            }
        }
    }
    out
}

/// A timestamp as exports write it: RFC 3339 in UTC with milliseconds
/// (`2024-03-01T12:00:00.123Z`), truncated.
pub fn export_time(t: Timestamp) -> String {
    let c = t.civil();
    let millis = t.as_nanos().rem_euclid(1_000_000_000) / 1_000_000;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Replaces tabs, CR and LF with spaces (for one-line fields).
pub(crate) fn one_line(s: &str) -> String {
    s.replace(['\t', '\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::normalize::parse_ip_net;

    fn item(id: &str, first: i64, last: i64, count: u64, ours: bool) -> Observed {
        let mut indicator = Indicator::of(Observable::Ip(parse_ip_net("192.0.2.1").unwrap()), "x");
        indicator.id = id.to_string();
        Observed {
            indicator,
            first_seen: Timestamp::from_secs(first).unwrap(),
            last_seen: Timestamp::from_secs(last).unwrap(),
            count,
            observed_by_phiwatch: ours,
        }
    }

    #[test]
    fn merges_by_id_in_first_order() {
        let items = [
            item("b", 10, 20, 2, false),
            item("a", 5, 6, 1, false),
            item("b", 30, 4, u64::MAX, true),
        ];
        let m = merge(&items);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].indicator.id, "b");
        assert_eq!(m[0].first_seen, Timestamp::from_secs(4).unwrap());
        assert_eq!(m[0].last_seen, Timestamp::from_secs(30).unwrap());
        assert_eq!(m[0].count, u64::MAX);
        assert!(m[0].observed_by_phiwatch);
        assert_eq!(m[1].indicator.id, "a");
        assert!(!m[1].observed_by_phiwatch);
    }

    #[test]
    fn times_have_milliseconds() {
        let t = Timestamp::from_nanos(1_709_294_400_123_456_789);
        assert_eq!(export_time(t), "2024-03-01T12:00:00.123Z");
        assert_eq!(export_time(Timestamp::EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            export_time(Timestamp::from_nanos(-1)),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn one_line_replaces_breaks() {
        assert_eq!(one_line("a\tb\r\nc"), "a b  c");
    }
}
