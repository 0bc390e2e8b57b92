//! The scope rules on hand-made activities: the window's edges, who is an
//! actor, what is a read of which silo, bulk against named patients, and
//! the counting of individuals.

use std::net::Ipv4Addr;

use super::*;
use crate::model::{Aws, Db, Fhir, Patient};
use crate::{org, GenConfig};

const T0: i64 = 1_793_577_600 * SEC;
const ATTACKER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 77);
const OTHER: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 9);

/// The generated organization's silos, with eight patients.
fn small_org() -> Org {
    let mut org = org::build(&GenConfig::default());
    let rows: [(&'static str, bool, bool); 8] = [
        ("MA", false, true),
        ("MA", true, false),
        ("NH", false, false),
        ("CA", false, true),
        ("TX", true, true),
        ("MA", false, true),
        ("NY", false, false),
        ("FL", false, true),
    ];
    org.patients = rows
        .iter()
        .enumerate()
        .map(|(i, &(state, deceased, contact))| Patient {
            id: org::patient_id(i),
            state,
            deceased,
            contact,
        })
        .collect();
    org
}

fn tracker(org: &Org) -> ScopeTracker {
    ScopeTracker::new(
        org,
        AttackActors {
            users: vec!["Acme_Support".into(), "acme-sync".into()],
            ips: vec![ATTACKER],
            choice: "test",
        },
    )
}

fn at(ns: i64, step: Option<usize>, kind: Kind) -> Activity {
    Activity {
        time: Timestamp::from_nanos(T0 + ns),
        step,
        kind,
    }
}

fn sql(user: &str, ip: Ipv4Addr, class: &'static str, object: &str, stmt: &str) -> Kind {
    Kind::Db(Db {
        pid: 1,
        user: user.into(),
        database: "ehr".into(),
        client: (ip, 5000),
        application: "psql".into(),
        what: DbWhat::Audit {
            class,
            command: if stmt.starts_with("COPY") {
                "COPY"
            } else {
                "SELECT"
            },
            object: object.into(),
            statement: stmt.into(),
            rows: 1,
        },
    })
}

fn api(
    agent: &str,
    interaction: &'static str,
    resource: &'static str,
    ids: &[usize],
    status: u16,
) -> Kind {
    Kind::Fhir(Fhir {
        agent: agent.into(),
        app: true,
        client: OTHER,
        interaction,
        resource,
        patients: ids.iter().map(|&i| org::patient_id(i)).collect(),
        path: "/fhir/x".into(),
        status,
        bytes: 10,
        user_agent: "t".into(),
    })
}

fn s3(org: &Org, key: &str, error: Option<&'static str>) -> Kind {
    Kind::Aws(Aws {
        source: "s3.amazonaws.com",
        name: "GetObject",
        principal: "exporter".into(),
        principal_type: "AssumedRole",
        ip: ATTACKER,
        object: Some((org.phi_bucket.clone(), key.into())),
        bytes: 10,
        error,
        mfa: None,
    })
}

/// A labeled activity that reads nothing.
fn mark(ns: i64) -> Activity {
    at(
        ns,
        Some(0),
        Kind::Dns(crate::model::Dns {
            src: OTHER,
            resolver: OTHER,
            query: "x.test".into(),
            qtype: "A",
            answers: Vec::new(),
            rcode: "NOERROR",
        }),
    )
}

fn run(org: &Org, acts: &[Activity]) -> Option<Scope> {
    let mut t = tracker(org);
    for a in acts {
        t.observe(a);
    }
    t.finish(org)
}

fn silo<'a>(s: &'a Scope, name: &str) -> &'a ScopeSilo {
    s.silos
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no silo {name} in {:?}", s.silos))
}

const MS_: i64 = MS;

#[test]
fn window_edges_are_whole_seconds_at_log_precision() {
    let org = small_org();
    let named = |i: usize| format!("SELECT * FROM ehr.notes WHERE patient_id = 'pt-{i:07}'");
    let acts = [
        // The second before the first labeled activity's: out.
        at(
            10 * SEC - MS_,
            None,
            sql("acme_support", OTHER, "READ", "ehr.notes", &named(0)),
        ),
        // Its second, before it: in.
        at(
            10 * SEC + 100 * MS_,
            None,
            sql("acme_support", OTHER, "READ", "ehr.notes", &named(1)),
        ),
        mark(10 * SEC + 500 * MS_),
        at(
            20 * SEC,
            None,
            sql("acme_support", OTHER, "READ", "ehr.notes", &named(2)),
        ),
        mark(30 * SEC + 200 * MS_),
        // After the last labeled activity, within its second rounded up
        // (31 s, inclusive, as a millisecond log shows it): in.
        at(
            31 * SEC + 400_000,
            None,
            sql("acme_support", OTHER, "READ", "ehr.notes", &named(3)),
        ),
        // Past it: out.
        at(
            31 * SEC + MS_,
            None,
            sql("acme_support", OTHER, "READ", "ehr.notes", &named(4)),
        ),
    ];
    let s = run(&org, &acts).unwrap();
    assert_eq!(s.from, "2026-11-02T00:00:10.000000Z");
    assert_eq!(s.to, "2026-11-02T00:00:31.000000Z");
    let notes = silo(&s, "ehr.notes");
    assert_eq!((notes.accesses, notes.patients, notes.bulk), (3, 3, false));
    assert_eq!(notes.first, "2026-11-02T00:00:10.100000Z");
    assert_eq!(notes.last, "2026-11-02T00:00:31.000000Z");
    assert_eq!(s.individuals.total, 3);
    assert_eq!(s.silos.len(), 1);
}

#[test]
fn a_window_on_whole_seconds_stays_there() {
    let org = small_org();
    let acts = [
        mark(5 * SEC),
        at(
            5 * SEC,
            None,
            sql(
                "ACME_SUPPORT",
                OTHER,
                "READ",
                "ehr.patients",
                "SELECT * FROM ehr.patients",
            ),
        ),
        mark(7 * SEC),
        at(
            7 * SEC + MS_,
            None,
            sql(
                "acme_support",
                OTHER,
                "READ",
                "ehr.notes",
                "SELECT * FROM ehr.notes",
            ),
        ),
    ];
    let s = run(&org, &acts).unwrap();
    assert_eq!(
        (s.from.as_str(), s.to.as_str()),
        ("2026-11-02T00:00:05.000000Z", "2026-11-02T00:00:07.000000Z")
    );
    assert_eq!(s.silos.len(), 1, "{:?}", s.silos);
    assert!(silo(&s, "ehr.patients").bulk);
}

#[test]
fn only_successful_reads_by_actors_count() {
    let org = small_org();
    let one = "SELECT * FROM ehr.patients WHERE id = 'pt-0000001'";
    let acts = [
        mark(0),
        // Actors: a user (case-insensitive), an address.
        at(
            SEC,
            None,
            sql("ACME_SUPPORT", OTHER, "READ", "ehr.patients", one),
        ),
        at(
            SEC,
            None,
            sql(
                "someone",
                ATTACKER,
                "READ",
                "ehr.encounters",
                "SELECT * FROM ehr.encounters WHERE patient_id IN ('pt-0000002', 'pt-0000003')",
            ),
        ),
        at(SEC, None, api("Acme-Sync", "read", "Patient", &[4], 200)),
        // Not: another user from another address, a write, a failure, a
        // resource that is not a silo, a table that is not one.
        at(
            SEC,
            None,
            sql(
                "dr.who",
                OTHER,
                "READ",
                "ehr.notes",
                "SELECT * FROM ehr.notes",
            ),
        ),
        at(
            SEC,
            None,
            sql(
                "acme_support",
                OTHER,
                "WRITE",
                "ehr.notes",
                "UPDATE ehr.notes SET x = 1",
            ),
        ),
        at(SEC, None, api("acme-sync", "read", "Patient", &[5], 403)),
        at(
            SEC,
            None,
            api("acme-sync", "read", "Observation", &[6], 200),
        ),
        at(
            SEC,
            None,
            sql(
                "acme_support",
                OTHER,
                "READ",
                "ehr.audit",
                "SELECT * FROM ehr.audit",
            ),
        ),
        mark(2 * SEC),
    ];
    let s = run(&org, &acts).unwrap();
    let names: Vec<&str> = s.silos.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["ehr.encounters", "ehr.patients", "fhir.Patient"]);
    assert_eq!(s.silos.iter().map(|x| x.accesses).sum::<u64>(), 3);
    assert!(s.silos.iter().all(|x| !x.bulk));
    assert_eq!(s.individuals.total, 4);
    assert_eq!(silo(&s, "ehr.encounters").patients, 2);
}

#[test]
fn copy_names_its_table_and_is_bulk() {
    let org = small_org();
    let acts = [
        mark(0),
        at(
            SEC,
            None,
            sql(
                "acme_support",
                OTHER,
                "READ",
                "",
                "COPY ehr.patients TO stdout;",
            ),
        ),
        mark(2 * SEC),
    ];
    let s = run(&org, &acts).unwrap();
    let p = silo(&s, "ehr.patients");
    assert_eq!((p.bulk, p.patients, p.accesses), (true, 8, 1));
    assert_eq!(s.individuals.total, 8);
}

#[test]
fn bucket_reads_under_the_prefix_without_error() {
    let org = small_org();
    let mut t = tracker(&org);
    t.actors.users.push("exporter".into());
    for a in [
        mark(0),
        at(SEC, None, s3(&org, "other/a.csv", None)),
        at(SEC, None, s3(&org, "exports/a.csv", Some("AccessDenied"))),
        mark(2 * SEC),
    ] {
        t.observe(&a);
    }
    assert!(t.clone().finish(&org).unwrap().silos.is_empty());
    // CloudTrail keeps whole seconds: a read at 2.7 s shows as 2 s, inside.
    t.observe(&at(
        2 * SEC + 700 * MS_,
        None,
        s3(&org, "exports/a.csv", None),
    ));
    let s = t.finish(&org).unwrap();
    let b = silo(&s, "s3.phi-exports");
    assert_eq!(
        (b.kind.as_str(), b.bulk, b.patients, b.accesses),
        ("bucket", true, 8, 1)
    );
    assert_eq!(b.first, "2026-11-02T00:00:02.000000Z");
}

#[test]
fn bulk_and_named_reads_and_the_union_of_silos() {
    let org = small_org();
    let acts = [
        mark(0),
        at(
            SEC,
            None,
            api("acme-sync", "search-type", "Patient", &[1, 2, 2], 200),
        ),
        at(
            SEC,
            None,
            sql(
                "acme_support",
                OTHER,
                "READ",
                "ehr.notes",
                "SELECT * FROM ehr.notes WHERE patient_id = 'pt-0000002'",
            ),
        ),
        at(
            SEC,
            None,
            sql(
                "acme_support",
                OTHER,
                "READ",
                "ehr.notes",
                "SELECT * FROM ehr.notes WHERE patient_id = 'pt-0000006'",
            ),
        ),
        // Named but not in the patients CSV.
        at(SEC, None, api("acme-sync", "read", "Patient", &[99], 200)),
        mark(2 * SEC),
    ];
    let s = run(&org, &acts).unwrap();
    assert_eq!(silo(&s, "fhir.Patient").patients, 2);
    assert_eq!(silo(&s, "ehr.notes").patients, 2);
    let i = &s.individuals;
    // pt-1 (MA, deceased, no contact), pt-2 (NH, no contact), pt-6 (NY, no contact).
    assert_eq!(i.total, 3);
    assert_eq!(
        i.by_state,
        BTreeMap::from([("MA".into(), 1), ("NH".into(), 1), ("NY".into(), 1)])
    );
    assert_eq!((i.deceased, i.without_contact, i.unlisted), (1, 2, 1));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["individuals"]["unlisted"], 1);

    // An $export makes the API silo bulk, and so every patient reached.
    let mut more = acts.to_vec();
    more.push(at(
        3 * SEC,
        Some(0),
        api("acme-sync", "$export", "Patient", &[], 202),
    ));
    let s = run(&org, &more).unwrap();
    let api_silo = silo(&s, "fhir.Patient");
    assert_eq!(
        (api_silo.bulk, api_silo.patients, api_silo.accesses),
        (true, 8, 3)
    );
    let i = &s.individuals;
    assert_eq!((i.total, i.deceased, i.without_contact), (8, 2, 2));
    assert_eq!(i.by_state.values().sum::<u64>(), 8);
    assert_eq!(i.by_state.get("MA"), Some(&3));
    assert!(serde_json::to_value(&s).unwrap()["individuals"]
        .get("unlisted")
        .is_none());
}

#[test]
fn no_labeled_activity_no_scope() {
    let org = small_org();
    let acts = [at(
        SEC,
        None,
        sql(
            "acme_support",
            OTHER,
            "READ",
            "ehr.notes",
            "SELECT * FROM ehr.notes",
        ),
    )];
    assert_eq!(run(&org, &acts), None);
}

#[test]
fn actors_in_command_line_form() {
    let org = small_org();
    let s = run(&org, &[mark(0)]).unwrap();
    assert_eq!(
        s.actors,
        ["user:Acme_Support", "user:acme-sync", "ip:203.0.113.77"]
    );
    assert!(s.silos.is_empty());
    assert_eq!(s.individuals, Individuals::default());
}
