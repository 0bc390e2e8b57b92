//! The scope on hand-made events: what is an access (writes are not),
//! everyone's findings when no actor is given, data gaps at window edges
//! that fall inside an hour, flows that straddle the window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp};
use phiwatch_finding::{Detector, Finding, Level, RuleRef};
use phiwatch_inventory::{Inventory, PatientTables, Patients};
use phiwatch_scope::{access_of, Actors, Flow, Reach, ScopeBuilder, ScopeConfig};

fn inventory() -> (Inventory, PatientTables) {
    let inv = Inventory::parse(
        r#"
[[silo]]
name = "s3.exports"
kind = "bucket"
match = { bucket = "exports", prefix = "" }
categories = ["name"]
patients = "p.csv"

[[silo]]
name = "fhir.Patient"
kind = "api"
match = { resource = "Patient" }
categories = ["name"]
patients = "p.csv"
"#,
        "inv.toml",
    )
    .unwrap();
    let p = Patients::parse("patient_id,state\npt-1,MA\npt-2,NY\npt-3,NY\n", "p.csv").unwrap();
    let t = PatientTables {
        tables: vec![p],
        of_silo: vec![Some(0), Some(0)],
    };
    (inv, t)
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs).unwrap()
}

fn s3(action: &str) -> Event {
    let mut ev = Event::new(t(100));
    ev.push_norm_str(keys::EVENT_ACTION, action);
    ev.push_norm_str(keys::PHIWATCH_OBJECT_BUCKET, "exports");
    ev.push_norm_str(keys::PHIWATCH_OBJECT_KEY, "a.csv");
    ev.push_norm_str(keys::USER_NAME, "reporting");
    ev
}

fn fhir(action: &str, method: Option<&str>, id: &str) -> Event {
    let mut ev = Event::new(t(100));
    ev.push_norm_str(keys::EVENT_ACTION, action);
    ev.push_norm_str(keys::RESOURCE_TYPE, "Patient");
    ev.push_norm_str(keys::PATIENT_IDS, id);
    if let Some(m) = method {
        ev.push_norm_str(keys::HTTP_REQUEST_METHOD, m);
        ev.push_norm_str(keys::URL_PATH, &format!("/fhir/Patient/{id}"));
    }
    ev
}

#[test]
fn writes_are_not_accesses_and_reads_are() {
    let (inv, _) = inventory();
    let src = || "x:1".to_string();
    assert!(access_of(&s3("PutObject"), &inv, src).is_none());
    assert!(access_of(&s3("DeleteObject"), &inv, src).is_none());
    let get = access_of(&s3("GetObject"), &inv, src).unwrap();
    assert_eq!(get.reach, Reach::Bulk);
    assert!(access_of(&fhir("update", None, "pt-2"), &inv, src).is_none());
    assert!(access_of(&fhir("delete", Some("DELETE"), "pt-2"), &inv, src).is_none());
    assert!(access_of(&fhir("read", Some("PUT"), "pt-2"), &inv, src).is_none());
    let read = access_of(&fhir("read", Some("GET"), "pt-2"), &inv, src).unwrap();
    assert_eq!(
        (read.reach, read.records.clone()),
        (Reach::Records, vec!["pt-2".to_string()])
    );
    assert!(access_of(&fhir("read", None, "pt-3"), &inv, src).is_some());
}

fn finding(user: &str, at: i64) -> Finding {
    let mut f = Finding::new(
        Detector::Analytics,
        RuleRef {
            id: "r".into(),
            title: "Something".into(),
            level: Level::High,
            author: None,
            source: None,
        },
        t(at),
    );
    f.entity.user = Some(user.into());
    f.refresh_id();
    f
}

#[test]
fn no_actor_means_everyone_findings_included() {
    let (inv, pts) = inventory();
    let cfg = ScopeConfig {
        from: t(0),
        to: t(1000),
        ..ScopeConfig::default()
    };
    let mut b = ScopeBuilder::new(cfg, &inv, &pts);
    b.finding(&finding("anyone", 10));
    b.finding(&finding("else", 5000));
    let r = b.finish();
    assert_eq!(r.scope.totals.findings_in_scope, 1);
    assert_eq!(r.scope.timeline.len(), 1);
    // With actors, only theirs.
    let cfg = ScopeConfig {
        from: t(0),
        to: t(1000),
        actors: Actors(vec!["user:someone".parse().unwrap()]),
        ..ScopeConfig::default()
    };
    let mut b = ScopeBuilder::new(cfg, &inv, &pts);
    b.finding(&finding("anyone", 10));
    assert_eq!(b.finish().scope.totals.findings_in_scope, 0);
}

#[test]
fn an_hour_that_overlaps_the_window_is_covered() {
    let (inv, pts) = inventory();
    // The window starts at 19:30; the logs have records in hours 18, 19,
    // 20 and 22.
    let h = 3600;
    let cfg = ScopeConfig {
        from: t(19 * h + 1800),
        to: t(22 * h + 600),
        ..ScopeConfig::default()
    };
    let mut b = ScopeBuilder::new(cfg, &inv, &pts);
    for hour in [18, 19, 20, 22] {
        b.covered("zeek", t(hour * h));
    }
    let gaps = b.finish().scope.data_gaps;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (gaps[0].from, gaps[0].to, gaps[0].hours),
        (t(21 * h), t(22 * h), 1)
    );
}

#[test]
fn flows_straddling_the_window_are_counted_and_said() {
    let (inv, pts) = inventory();
    let cfg = ScopeConfig {
        from: t(1800),
        to: t(7200),
        ..ScopeConfig::default()
    };
    let mut b = ScopeBuilder::new(cfg, &inv, &pts);
    let src: IpAddr = "10.0.1.30".parse().unwrap();
    let dst: IpAddr = "198.51.100.9".parse().unwrap();
    for (first, last, bytes) in [(100, 3000, 500u64), (3600, 3700, 70), (8000, 9000, 9)] {
        b.flow(&Flow {
            hour: t(first - first % 3600),
            first: t(first),
            last: t(last),
            src: Some(src),
            dst: Some(dst),
            bytes,
            connections: 1,
            source: "conn.log:1".into(),
            ..Flow::default()
        });
    }
    let r = b.finish().scope;
    assert_eq!(
        r.exfiltration.bytes, 570,
        "the flow after the window is out"
    );
    assert!(
        r.review
            .iter()
            .any(|l| l.starts_with("1 hourly flows out straddle")),
        "{:?}",
        r.review
    );
}
