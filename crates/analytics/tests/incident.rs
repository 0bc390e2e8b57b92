//! The incident chain over hand-made findings: the read → staging → egress
//! sequence of one actor is one incident; links, vendors, hubs, gaps and
//! thresholds decide what joins.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_analytics::context::{Context, Vendor};
use phiwatch_analytics::incident::{Config, Incidents, RULE_ID};
use phiwatch_event::Timestamp;
use phiwatch_finding::{attack_from_tags, Detector, Entity, Finding, Level, RuleRef};

const T0: i64 = 1_793_577_600; // 2026-11-02 00:00 UTC
const HOUR: i64 = 3600;

struct F<'a> {
    at: i64,
    detector: Detector,
    title: &'a str,
    level: Level,
    tags: &'a [&'a str],
    user: Option<&'a str>,
    ip: Option<&'a str>,
    group: &'a [(&'a str, &'a str)],
    metrics: &'a [(&'a str, f64)],
}

impl Default for F<'_> {
    fn default() -> Self {
        F {
            at: 0,
            detector: Detector::Analytics,
            title: "x",
            level: Level::High,
            tags: &[],
            user: None,
            ip: None,
            group: &[],
            metrics: &[],
        }
    }
}

fn finding(f: F<'_>) -> Finding {
    let rule = RuleRef {
        id: f.title.to_string(),
        title: f.title.to_string(),
        level: f.level,
        author: None,
        source: None,
    };
    let mut out = Finding::new(f.detector, rule, Timestamp::from_secs(T0 + f.at).unwrap());
    out.end_time = Timestamp::from_secs(T0 + f.at + 60).unwrap();
    out.tags = f.tags.iter().map(|t| t.to_string()).collect();
    out.attack = attack_from_tags(&out.tags);
    out.entity = Entity {
        user: f.user.map(str::to_string),
        host: None,
        ip: f.ip.map(str::to_string),
    };
    for (k, v) in f.group {
        out.group.insert(k.to_string(), v.to_string());
    }
    for (k, v) in f.metrics {
        out.metrics.insert(k.to_string(), *v);
    }
    out.refresh_id();
    out
}

fn ctx() -> Context {
    Context {
        internal: vec!["10.0.0.0/8".parse().unwrap()],
        vendors: vec![Vendor {
            name: "Acme Billing".into(),
            accounts: vec![
                "acme.support@acme-billing.example".into(),
                "acme_support".into(),
            ],
            ..Vendor::default()
        }],
    }
}

fn members(i: &Finding) -> Vec<&str> {
    i.group["findings"].split(',').collect()
}

/// The vendor attack: login, database read, staging to the file server,
/// egress from it.
fn attack() -> Vec<(Finding, &'static str)> {
    vec![
        (
            finding(F {
                at: 0,
                title: "login without MFA",
                level: Level::Medium,
                tags: &["attack.initial_access", "attack.t1078"],
                user: Some("acme.support@acme-billing.example"),
                ip: Some("203.0.113.77"),
                ..F::default()
            }),
            "okta",
        ),
        (
            finding(F {
                at: 5 * HOUR,
                title: "bulk read",
                tags: &["attack.collection", "attack.t1213"],
                user: Some("acme_support"),
                ip: Some("10.0.2.10"),
                group: &[("principal", "acme_support"), ("table", "ehr.patients")],
                metrics: &[("rows", 30_000.0)],
                ..F::default()
            }),
            "postgresql",
        ),
        (
            finding(F {
                at: 8 * HOUR,
                title: "internal staging",
                tags: &["attack.collection", "attack.t1074.002"],
                ip: Some("10.0.2.10"),
                group: &[("source", "10.0.2.10"), ("destination", "10.0.1.30")],
                ..F::default()
            }),
            "zeek",
        ),
        (
            finding(F {
                at: 9 * HOUR,
                title: "egress",
                level: Level::Critical,
                tags: &["attack.exfiltration", "attack.t1048"],
                ip: Some("10.0.1.30"),
                group: &[("destination", "100.64.23.45")],
                metrics: &[("bytes_out", 4.5e9)],
                ..F::default()
            }),
            "zeek",
        ),
    ]
}

fn run(
    config: Config,
    found: &[(Finding, &str)],
    setup: impl FnOnce(&mut Incidents),
) -> Vec<Finding> {
    let mut inc = Incidents::new(config, &ctx());
    setup(&mut inc);
    for (f, src) in found {
        inc.add(f, [src.to_string()]);
    }
    inc.finish()
}

#[test]
fn read_staging_egress_by_one_actor_is_one_critical_incident() {
    let found = attack();
    let out = run(Config::default(), &found, |_| {});
    assert_eq!(out.len(), 1, "{out:#?}");
    let i = &out[0];
    assert_eq!(i.detector, Detector::Incident);
    assert_eq!(i.rule.id, RULE_ID);
    assert_eq!(i.rule.level, Level::Critical);
    assert_eq!(members(i).len(), 4);
    for (f, _) in &found {
        assert!(members(i).contains(&f.id.as_str()));
    }
    assert_eq!(
        i.group["chain"],
        "initial-access > collection > exfiltration"
    );
    assert_eq!(i.metrics["tactics"], 3.0);
    assert_eq!(i.metrics["findings"], 4.0);
    assert_eq!(i.metrics["sources"], 3.0);
    assert_eq!(i.metrics["bytes_out"], 4.5e9);
    assert_eq!(i.metrics["rows_read"], 30_000.0);
    assert!(i.score >= 0.9, "{}", i.score);
    assert_eq!(i.time, found[0].0.time);
    assert_eq!(i.end_time, found[3].0.end_time);
    // The vendor's two account names are one actor.
    assert!(
        i.group["entities"].contains("vendor:Acme Billing"),
        "{}",
        i.group["entities"]
    );
    assert!(i.summary.contains("4.5 GB out"), "{}", i.summary);
    assert_eq!(i.evidence.len(), 0); // the hand-made findings have none
                                     // Same input, same id.
    let again = run(Config::default(), &found, |_| {});
    assert_eq!(again[0].id, i.id);
}

#[test]
fn without_the_vendor_link_the_login_stands_alone() {
    let found = attack();
    let mut inc = Incidents::new(
        Config::default(),
        &Context {
            internal: vec!["10.0.0.0/8".parse().unwrap()],
            vendors: Vec::new(),
        },
    );
    for (f, s) in &found {
        inc.add(f, [s.to_string()]);
    }
    let out = inc.finish();
    assert_eq!(out.len(), 1);
    // acme.support@… and acme_support still normalize to one account.
    assert_eq!(members(&out[0]).len(), 4);
    // But a login by someone else from elsewhere does not join.
    let mut found = attack();
    found[0].0.entity.user = Some("mallory@example.org".into());
    found[0].0.refresh_id();
    let out = run(Config::default(), &found, |_| {});
    assert_eq!(out.len(), 1);
    assert_eq!(members(&out[0]).len(), 3);
    assert_eq!(out[0].group["chain"], "collection > exfiltration");
}

#[test]
fn observed_sessions_link_a_user_to_an_address() {
    // A finding about bob, one about an address with no user: apart, two
    // single-tactic clusters that are not incidents.
    let found = vec![
        (
            finding(F {
                at: 0,
                title: "snooping",
                tags: &["attack.collection"],
                user: Some("bob"),
                ..F::default()
            }),
            "fhir",
        ),
        (
            finding(F {
                at: HOUR,
                title: "egress",
                tags: &["attack.exfiltration"],
                ip: Some("10.1.0.5"),
                ..F::default()
            }),
            "zeek",
        ),
    ];
    assert!(run(Config::default(), &found, |_| {}).is_empty());
    let out = run(Config::default(), &found, |inc| {
        inc.link("bob", "10.1.0.5".parse().unwrap());
        inc.silo(
            Some("bob"),
            None,
            "ehr.patients",
            Timestamp::from_secs(T0 + 600).unwrap(),
        );
        // A silo touched outside the incident's time is not its.
        inc.silo(
            Some("bob"),
            None,
            "billing.claims",
            Timestamp::from_secs(T0 + 90 * 86_400).unwrap(),
        );
    });
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].group["silos"], "ehr.patients");
    assert_eq!(out[0].metrics["silos"], 1.0);
}

#[test]
fn a_hub_address_joins_nothing() {
    // Twenty users behind one NAT address, each with one finding of a
    // different tactic pair: the address is a hub, so no incident spans them.
    let users: Vec<String> = (0..20).map(|i| format!("user{i}")).collect();
    let found: Vec<(Finding, &str)> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let tags: &[&str] = if i % 2 == 0 {
                &["attack.collection"]
            } else {
                &["attack.exfiltration"]
            };
            (
                finding(F {
                    at: i as i64 * 60,
                    title: "x",
                    tags,
                    user: Some(u),
                    ip: Some("10.9.9.9"),
                    ..F::default()
                }),
                "zeek",
            )
        })
        .collect();
    assert!(run(Config::default(), &found, |_| {}).is_empty());
    // With a higher hub limit, they chain into one.
    let config = Config {
        max_degree: 100,
        ..Config::default()
    };
    let out = run(config, &found, |_| {});
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].metrics["findings"], 20.0);
}

#[test]
fn a_long_quiet_gap_splits_an_actor_into_two_stories() {
    let mut found = attack();
    // The egress comes eight days after the staging (the default gap is a
    // week).
    found[3].0.time = Timestamp::from_secs(T0 + 8 * 86_400 + 9 * HOUR).unwrap();
    found[3].0.end_time = found[3].0.time;
    found[3].0.refresh_id();
    let out = run(Config::default(), &found, |_| {});
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(members(&out[0]).len(), 3);
    let config = Config {
        gap_secs: 10 * 86_400,
        ..Config::default()
    };
    assert_eq!(members(&run(config, &found, |_| {})[0]).len(), 4);
}

#[test]
fn weak_clusters_are_not_incidents() {
    // Two medium findings of one tactic.
    let found = vec![
        (
            finding(F {
                at: 0,
                level: Level::Medium,
                tags: &["attack.collection"],
                user: Some("svc_backup"),
                ..F::default()
            }),
            "postgresql",
        ),
        (
            finding(F {
                at: 60,
                level: Level::Medium,
                tags: &["attack.collection"],
                user: Some("svc_backup"),
                ..F::default()
            }),
            "postgresql",
        ),
    ];
    assert!(run(Config::default(), &found, |_| {}).is_empty());
    // Findings under the minimum level are not taken at all.
    let config = Config {
        min_level: Level::High,
        ..Config::default()
    };
    let out = run(config, &attack(), |_| {});
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].metrics["findings"], 3.0);
    // Incidents given back are ignored.
    let mut inc = Incidents::new(Config::default(), &ctx());
    for (f, s) in attack() {
        inc.add(&f, [s.to_string()]);
    }
    let first = inc.finish();
    let mut inc = Incidents::new(Config::default(), &ctx());
    inc.add(&first[0], ["incident".to_string()]);
    assert!(inc.finish().is_empty());
}

#[test]
fn findings_in_any_order_give_the_same_incident() {
    let mut found = attack();
    let a = run(Config::default(), &found, |_| {});
    found.reverse();
    let b = run(Config::default(), &found, |_| {});
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].id, b[0].id);
    assert_eq!(a[0].group["chain"], b[0].group["chain"]);
}

#[test]
fn an_outage_after_the_theft_joins_the_incident() {
    let outage = finding(F {
        at: 5 * 86_400,
        title: "service disruption",
        level: Level::Critical,
        tags: &["attack.impact", "attack.t1499"],
        group: &[("service", "http /fhir")],
        ..F::default()
    });
    let mut found = attack();
    found.push((outage.clone(), "fhir"));
    let out = run(Config::default(), &found, |_| {});
    assert_eq!(out.len(), 1, "{out:#?}");
    assert!(members(&out[0]).contains(&outage.id.as_str()));
    assert!(
        out[0].group["chain"].ends_with("> impact"),
        "{}",
        out[0].group["chain"]
    );
    // Off, or too long after: it stays apart (and alone is no incident).
    let off = Config {
        attach_impact: false,
        ..Config::default()
    };
    assert_eq!(members(&run(off, &found, |_| {})[0]).len(), 4);
    let mut late = found.clone();
    late[4].0.time = Timestamp::from_secs(T0 + 20 * 86_400).unwrap();
    late[4].0.end_time = late[4].0.time;
    assert_eq!(members(&run(Config::default(), &late, |_| {})[0]).len(), 4);
    // An outage with no theft before it is no incident.
    assert!(run(Config::default(), &[(outage, "fhir")], |_| {}).is_empty());
}
