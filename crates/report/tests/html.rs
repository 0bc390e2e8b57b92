//! The HTML page: key numbers under their ids (data-driven over the scope
//! fixtures and `tests/data/expected.json`), one row per silo and State,
//! escaping of hostile strings, self-containment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{data_value, occurrences, read, report, report_of, scope, SCENARIOS};
use phiwatch_report::html;
use serde_json::Value;

fn expected() -> Value {
    serde_json::from_str(&read("expected.json")).unwrap()
}

#[test]
fn key_numbers_have_their_ids_and_values() {
    let exp = expected();
    let mut checked = 0;
    for s in SCENARIOS {
        let page = html(&report(s));
        let ids = exp[s]["html"].as_object().unwrap();
        for (id, want) in ids {
            let got = data_value(&page, id);
            assert_eq!(got.as_deref(), want.as_str(), "{s}: id {id}");
            // Each id exactly once.
            assert_eq!(
                occurrences(&page, &format!("id=\"{id}\"")),
                1,
                "{s}: id {id}"
            );
            checked += 1;
        }
    }
    // 18 fixed ids plus one per State, for three scenarios.
    assert_eq!(checked, 3 * 18 + 14 * 3);
}

#[test]
fn readable_numbers_next_to_the_raw_ones() {
    let page = html(&report("slow-drip"));
    assert!(page.contains(r#"id="individuals-total" data-value="5000">5,000<"#));
    assert!(page.contains(r#"id="state-MA" data-value="2350">2,350<"#));
    assert!(page.contains(r#"id="bytes-out" data-value="504843072">504.8 MB<"#));
    assert!(page.contains(r#"id="hhs-deadline" data-value="2027-01-05">2027-01-05<"#));
    let insider = html(&report("insider-snooping"));
    // No State above 500 residents: no media notice, and the page says so.
    assert!(insider.contains(r#"id="media-deadline" data-value="">not required<"#));
    assert!(insider.contains(r#"id="media-states" data-value="">no State<"#));
}

#[test]
fn one_row_per_silo_state_timeline_line_ioc_and_gap() {
    let exp = expected();
    for s in SCENARIOS {
        let r = report(s);
        let page = html(&r);
        let section = |id: &str| {
            let start = page
                .find(&format!("<table id=\"{id}\">"))
                .unwrap_or_else(|| panic!("{s}: table {id}"));
            let end = start + page[start..].find("</table>").unwrap();
            page[start..end].to_string()
        };
        let e = &exp[s];
        let rows = |id: &str| occurrences(&section(id), "<tr>") - 1; // minus the header row
        assert_eq!(
            rows("silo-table") as u64,
            e["silos"].as_u64().unwrap(),
            "{s}"
        );
        assert_eq!(
            rows("timeline-table") as u64,
            e["timeline"].as_u64().unwrap(),
            "{s}"
        );
        assert_eq!(rows("ioc-table") as u64, e["iocs"].as_u64().unwrap(), "{s}");
        assert_eq!(
            rows("gap-table") as u64,
            e["data_gaps"].as_u64().unwrap(),
            "{s}"
        );
        assert_eq!(
            rows("state-notices") as u64,
            e["states"].as_u64().unwrap(),
            "{s}"
        );
        let by_state = section("by-state");
        assert_eq!(
            occurrences(&by_state, "<tr>") as u64,
            e["states"].as_u64().unwrap() + 2,
            "{s}"
        );
        let silos = section("silo-table");
        for silo in &r.scope.silos {
            assert!(
                silos.contains(&format!("<td>{}</td>", silo.name)),
                "{s}: {}",
                silo.name
            );
        }
        for code in r.scope.individuals.by_state.keys() {
            assert!(
                page.contains(&format!("id=\"notice-{code}\"")),
                "{s}: card {code}"
            );
        }
        // Evidence references are shown as path:line.
        let first = r
            .scope
            .timeline
            .iter()
            .find_map(|t| t.evidence.first())
            .unwrap();
        assert!(page.contains(&format!("<code>{first}</code>")), "{s}");
    }
}

#[test]
fn hipaa_sections_are_all_there() {
    let page = html(&report("vendor-compromise"));
    for needle in [
        "id=\"safe-harbor\"",
        "id=\"deadlines\"",
        "id=\"substitute-notice\"",
        "id=\"deceased-notice\"",
        "id=\"worksheet\"",
        "id=\"conclusion\"",
        "id=\"portal-fields\"",
        "id=\"to-complete\"",
        "id=\"citations\"",
        "id=\"methodology\"",
        "id=\"legal-note\"",
        "45 CFR 164.404(b)",
        "45 CFR 164.408(b)",
        "Cal. Civ. Code § 1798.82",
        "Decision support, not legal advice",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
    // Four factors, each with blank fields for the officer.
    assert_eq!(occurrences(&page, "class=\"card factor\""), 4);
    assert!(occurrences(&page, "class=\"blank tall\"") >= 4);
    // No business associate, no law-enforcement delay: no such sections.
    assert!(!page.contains("id=\"business-associate\""));
    assert!(!page.contains("id=\"law-enforcement\""));
    assert!(!page.contains("id=\"ba-deadline\""));
}

#[test]
fn business_associate_and_delay_sections_when_present() {
    let mut base = common::base_facts();
    base.role =
        serde_json::from_str(r#"{"kind": "business_associate", "agent_of_ce": false}"#).unwrap();
    base.law_enforcement = serde_json::from_str(
        r#"{"kind": "written", "stated": "2027-01-01", "until": "2027-01-21"}"#,
    )
    .unwrap();
    let sc = scope("insider-snooping");
    let facts = phiwatch_report::facts_from_scope(&sc, base);
    let r = phiwatch_report::Report::new(sc, facts, common::generated());
    let page = html(&r);
    assert!(page.contains("id=\"business-associate\""));
    assert!(page.contains("id=\"law-enforcement\""));
    assert!(page.contains("id=\"tolled\""));
    // The BA deadline (discovery + 60 days) fell in the 20-day delay.
    assert_eq!(
        data_value(&page, "ba-deadline").as_deref(),
        Some("2027-01-25")
    );
}

#[test]
fn hostile_strings_are_escaped() {
    let mut sc = scope("vendor-compromise");
    sc.silos[0].name = "<script>alert(1)</script>".into();
    sc.actors
        .push("user:\"><img src=x onerror=alert(2)>".into());
    sc.timeline[0].title = "Tom & Jerry's <b>bold</b>".into();
    sc.individuals.by_state.insert("X\"Y".into(), 0);
    let mut r = report_of(sc);
    r.facts.covered_entity = "A & B <Health>".into();
    let page = html(&r);
    assert!(!page.to_ascii_lowercase().contains("<script"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>bold"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("Tom &amp; Jerry&#39;s &lt;b&gt;bold&lt;/b&gt;"));
    assert!(page.contains("<title>Breach scope report: A &amp; B &lt;Health&gt;</title>"));
    // An odd State key still makes a valid id.
    assert!(page.contains("id=\"state-X_Y\""));
}

#[test]
fn self_contained_without_script() {
    for s in SCENARIOS {
        let page = html(&report(s)).to_ascii_lowercase();
        for bad in [
            "<script", "<link", " src=", "url(", "@import", "http://", "https://", "<iframe",
        ] {
            assert!(!page.contains(bad), "{s}: {bad}");
        }
        assert!(page.starts_with("<!doctype html>"));
        assert_eq!(occurrences(&page, "<style>"), 1);
        assert!(page.contains("@media print"));
        assert!(page.trim_end().ends_with("</html>"));
    }
}
