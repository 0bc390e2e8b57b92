//! CSV: a header and one row per observable of every observed indicator.

use phiwatch_finding::push_csv_field as push_field;

use super::{export_time, merge, Observed};

/// The header row, in column order (without its newline).
pub const CSV_HEADER: &str =
    "indicator_id,name,type,value,first_seen,last_seen,count,source,observed_by_phiwatch";

/// The CSV of `items`: the header, then one row per observable of each
/// indicator (after merging items with the same id), every observable kind
/// included. `type` is the observable's kind (`ip`, `domain`, `ja3`, …);
/// an indicator without observables gets one row with its STIX pattern as
/// the value (type `stix-pattern`), or empty type and value. Fields are
/// quoted when they hold `,`, `"`, CR or LF or start or end with a space;
/// quotes inside are doubled. Rows end with `\n`.
pub fn csv(items: &[Observed]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for m in merge(items) {
        let ind = m.indicator;
        let first = export_time(m.first_seen);
        let last = export_time(m.last_seen);
        let count = m.count.to_string();
        let ours = if m.observed_by_phiwatch {
            "true"
        } else {
            "false"
        };
        let mut rows: Vec<(&str, String)> = ind
            .any_of
            .iter()
            .flatten()
            .map(|o| (o.kind(), o.value()))
            .collect();
        if rows.is_empty() {
            rows.push(match &ind.pattern {
                Some(p) => ("stix-pattern", p.clone()),
                None => ("", String::new()),
            });
        }
        for (kind, value) in rows {
            let fields = [
                ind.id.as_str(),
                ind.name.as_str(),
                kind,
                value.as_str(),
                first.as_str(),
                last.as_str(),
                count.as_str(),
                ind.source.as_str(),
                ours,
            ];
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_field(&mut out, f);
            }
            out.push('\n');
        }
    }
    out
}
