//! The forensic summary: the executive summary's facts, every section,
//! the data gaps per log source.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{occurrences, read, report, SCENARIOS};
use phiwatch_report::forensic_summary;
use serde_json::Value;

#[test]
fn sections_in_order() {
    for s in SCENARIOS {
        let md = forensic_summary(&report(s));
        let mut at = 0;
        for h in [
            "# Forensic summary: Example Community Hospital",
            "## Executive summary",
            "## Deadlines",
            "## Timeline",
            "## ATT&CK chain",
            "## Indicators of compromise",
            "## Silos",
            "## Counts",
            "## Methodology",
            "## Data gaps",
            "## For review",
        ] {
            let pos = md.find(h).unwrap_or_else(|| panic!("{s}: {h}"));
            assert!(pos >= at, "{s}: {h} out of order");
            at = pos;
        }
        assert!(md.contains("not legal advice"));
    }
}

#[test]
fn executive_summary_says_what_when_who_how_many_where_and_by_when() {
    let md = forensic_summary(&report("slow-drip"));
    let start = md.find("## Executive summary").unwrap();
    let para = &md[start..md[start..].find("## Deadlines").unwrap() + start];
    for needle in [
        "user:caro.istvaro",                                           // who
        "2 data silo(s) (ehr.patients, billing.claims)",               // what
        "between 2026-11-02 09:00:30 UTC and 2026-11-04 23:57:32 UTC", // when
        "5,000 individuals are affected",                              // how many
        "179 are deceased and 326 living lack current contact details",
        "14 State(s) (most: MA 2,350, NH 706", // where
        "504.8 MB (504,843,072 bytes) left the organization to 19 external destination(s)",
        "Social Security number",
        "notify the individuals by 2027-01-05", // by when
        "the Secretary of HHS by 2027-01-05",
        "the media in MA and NH by 2027-01-05",
        "The earliest State deadline is 2026-12-06",
    ] {
        assert!(para.contains(needle), "missing {needle:?} in {para}");
    }
}

#[test]
fn counts_of_rows() {
    let exp: Value = serde_json::from_str(&read("expected.json")).unwrap();
    for s in SCENARIOS {
        let r = report(s);
        let md = forensic_summary(&r);
        let e = &exp[s];
        let section = |h: &str| {
            let start = md.find(h).unwrap();
            let rest = &md[start + h.len()..];
            rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
        };
        let table_rows = |h: &str| section(h).lines().filter(|l| l.starts_with("| ")).count() - 1;
        assert_eq!(
            table_rows("## Timeline") as u64,
            e["timeline"].as_u64().unwrap(),
            "{s}"
        );
        assert_eq!(
            table_rows("## Silos") as u64,
            e["silos"].as_u64().unwrap(),
            "{s}"
        );
        assert_eq!(
            table_rows("## Indicators of compromise") as u64,
            e["iocs"].as_u64().unwrap(),
            "{s}"
        );
        // Data gaps: one row per log source, with every period.
        let gaps = section("## Data gaps");
        let sources: Vec<&str> = e["gap_sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            gaps.lines().filter(|l| l.starts_with("| ")).count() - 1,
            sources.len(),
            "{s}"
        );
        for src in &sources {
            assert!(gaps.contains(&format!("| {src} |")), "{s}: {src}");
        }
        assert_eq!(
            occurrences(&gaps, " UTC to "),
            e["data_gaps"].as_u64().unwrap() as usize,
            "{s}"
        );
        // ATT&CK: one numbered line per tactic.
        let chain = section("## ATT&CK chain");
        let numbered = chain
            .lines()
            .filter(|l| {
                l.split_once(". **")
                    .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
            })
            .count();
        assert_eq!(numbered, r.scope.attack.tactics.len(), "{s}");
        // Methodology explains unresolved and filtered reads.
        assert!(md.contains("**Unresolved and filtered reads.**"));
    }
}
