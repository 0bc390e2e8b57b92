//! Incidents with their members, coverage, entities and runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use phiwatch_finding::Detector;
use phiwatch_store::{Added, EntityKind, RunTotals, Store, HOUR_NS};

fn registered(s: &mut Store, dir: &str) -> phiwatch_store::RunId {
    let run = s.begin_run(&info("hunt")).unwrap();
    for f in ["a.log", "b.log", "c.log"] {
        register(s, run, f, &format!("{dir}{f}"));
    }
    run
}

#[test]
fn incidents_are_listed_with_their_members() {
    let mut s = Store::open_in_memory().unwrap();
    let run = registered(&mut s, "logs/");
    let fs = findings_at("logs/");
    s.put_findings(run, &fs).unwrap();
    let incidents = s.incidents().unwrap();
    assert_eq!(incidents.len(), 1);
    let inc = &incidents[0];
    assert_eq!(inc.detector, Detector::Incident);
    let want: Vec<String> = ["r-bulk-select", "r-copy-to", "egress_volume"]
        .iter()
        .map(|r| fs.iter().find(|f| f.rule.id == *r).unwrap().id.clone())
        .collect();
    assert_eq!(s.incident_members(&inc.id).unwrap(), want);
    let with = s.incidents_with_members().unwrap();
    assert_eq!(with.len(), 1);
    assert_eq!(&with[0].finding, inc);
    assert_eq!(with[0].members, want);
    // Each member is a stored finding.
    for id in &want {
        assert!(s.finding(id).unwrap().is_some());
    }
    assert!(s.incident_members("not-an-incident").unwrap().is_empty());
    assert!(s.incident_members(&want[0]).unwrap().is_empty());
}

#[test]
fn members_arriving_first_under_other_names_resolve_to_the_stored_ids() {
    let mut s = Store::open_in_memory().unwrap();
    // Run 1: only the member findings, from logs/.
    let r1 = registered(&mut s, "logs/");
    let first = findings_at("logs/");
    let members: Vec<_> = first
        .iter()
        .filter(|f| f.detector != Detector::Incident)
        .cloned()
        .collect();
    assert_eq!(s.put_findings(r1, &members).unwrap().new, 5);
    // Run 2: the same content renamed, incident included: the members are
    // duplicates, the incident is new and names the stored members.
    let r2 = registered(&mut s, "renamed/");
    let second = findings_at("renamed/");
    let a = s.put_findings(r2, &second).unwrap();
    assert_eq!((a.new, a.duplicate), (1, 5));
    let inc = second
        .iter()
        .find(|f| f.detector == Detector::Incident)
        .unwrap();
    let listed: Vec<&str> = inc.group["findings"].split(',').collect();
    let got = s.incident_members(&inc.id).unwrap();
    assert_eq!(got.len(), 3);
    for (got, listed) in got.iter().zip(&listed) {
        assert_ne!(got, listed, "renamed ids differ from the stored ones");
        let stored = s.finding(got).unwrap().expect("member stored");
        assert!(stored.evidence[0].source.starts_with("logs/"));
    }
    // A member the store never saw keeps its listed id.
    let mut s2 = Store::open_in_memory().unwrap();
    let r = registered(&mut s2, "logs/");
    let inc = first
        .iter()
        .find(|f| f.detector == Detector::Incident)
        .unwrap();
    let a = s2.put_findings(r, std::slice::from_ref(inc)).unwrap();
    assert_eq!((a.new, a.unregistered), (1, 1));
    let listed: Vec<String> = inc.group["findings"].split(',').map(String::from).collect();
    assert_eq!(s2.incident_members(&inc.id).unwrap(), listed);
}

#[test]
fn coverage_is_kept_per_kind_and_hour() {
    let mut s = Store::open_in_memory().unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    let h0 = ts("2026-11-28T10:00:00Z").as_nanos() / HOUR_NS;
    s.put_coverage(run, "zeek", &[h0, h0 + 1, h0 + 2, h0 + 5])
        .unwrap();
    s.put_coverage(run, "postgresql", &[h0 + 1]).unwrap();
    // Idempotent, and a second run adds only what is new.
    let run2 = s.begin_run(&info("hunt")).unwrap();
    s.put_coverage(run2, "zeek", &[h0, h0 + 3]).unwrap();
    assert_eq!(s.counts().unwrap().coverage, 6);
    let got = s
        .coverage(ts("2026-11-28T10:30:00Z"), ts("2026-11-28T13:00:00Z"))
        .unwrap();
    let want: Vec<(String, i64)> = [
        ("postgresql", h0 + 1),
        ("zeek", h0),
        ("zeek", h0 + 1),
        ("zeek", h0 + 2),
        ("zeek", h0 + 3),
    ]
    .iter()
    .map(|(k, h)| (k.to_string(), *h))
    .collect();
    assert_eq!(got, want);
    // The hour 15:00-16:00 (h0 + 5) overlaps a window from 15:59:59.
    let got = s
        .coverage(ts("2026-11-28T15:59:59Z"), ts("2026-11-28T18:00:00Z"))
        .unwrap();
    assert_eq!(got, vec![("zeek".to_string(), h0 + 5)]);
    let e = s.put_coverage(run, "", &[1]).unwrap_err();
    assert!(e.to_string().contains("empty log kind"), "{e}");
}

#[test]
fn entities_are_maintained_from_findings_and_accesses() {
    let mut s = Store::open_in_memory().unwrap();
    let run = registered(&mut s, "logs/");
    s.put_findings(run, &findings_at("logs/")).unwrap();
    s.put_accesses(run, &accesses_at("logs/")).unwrap();
    let before = s.entities().unwrap();
    // Duplicates do not count again.
    let run2 = registered(&mut s, "again/");
    s.put_findings(run2, &findings_at("again/")).unwrap();
    s.put_accesses(run2, &accesses_at("again/")).unwrap();
    let rows = s.entities().unwrap();
    assert_eq!(rows, before);
    let got: Vec<(EntityKind, &str, &str, &str, u64, u64)> = rows
        .iter()
        .map(|e| {
            (
                e.kind,
                e.value.as_str(),
                leak(e.first.to_rfc3339()),
                leak(e.last.to_rfc3339()),
                e.findings,
                e.accesses,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                EntityKind::Host,
                "db01",
                "2026-11-28T10:00:00.000000Z",
                "2026-11-28T10:25:00.000000Z",
                3,
                5
            ),
            (
                EntityKind::Ip,
                "10.0.0.5",
                "2026-11-28T10:00:00.000000Z",
                "2026-11-28T10:25:00.000000Z",
                3,
                4
            ),
            (
                EntityKind::Ip,
                "198.51.100.7",
                "2026-11-28T12:00:00.000000Z",
                "2026-11-28T12:00:00.000000Z",
                0,
                1
            ),
            (
                EntityKind::User,
                "acme-sync",
                "2026-11-28T12:00:00.000000Z",
                "2026-11-28T12:00:00.000000Z",
                1,
                1
            ),
            (
                EntityKind::User,
                "svc-report",
                "2026-11-28T10:00:00.000000Z",
                "2026-11-28T10:25:00.000000Z",
                4,
                5
            ),
        ]
    );
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn runs_are_recorded_with_their_totals() {
    let mut s = Store::open_in_memory().unwrap();
    let r1 = registered(&mut s, "logs/");
    let findings = s.put_findings(r1, &findings_at("logs/")).unwrap();
    let accesses = s.put_accesses(r1, &accesses_at("logs/")).unwrap();
    let totals = RunTotals {
        events_read: 8,
        events_accepted: 7,
        events_rejected: 1,
        findings,
        accesses,
        finished: ts("2026-11-29T08:00:03.5Z"),
    };
    s.finish_run(r1, &totals).unwrap();
    let r2 = registered(&mut s, "renamed/");
    let runs = s.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, r1);
    assert_eq!(runs[0].info, info("hunt"));
    assert_eq!(runs[0].totals, Some(totals));
    assert_eq!(
        runs[0].totals.unwrap().findings,
        Added {
            new: 6,
            duplicate: 0,
            unregistered: 0
        }
    );
    assert_eq!((runs[0].sources, runs[0].new_sources), (3, 3));
    assert_eq!(runs[1].id, r2);
    assert_eq!(runs[1].totals, None);
    assert_eq!((runs[1].sources, runs[1].new_sources), (3, 0));
    let e = s
        .finish_run(phiwatch_store::RunId(99), &totals)
        .unwrap_err();
    assert!(e.to_string().contains("no run 99"), "{e}");
}
