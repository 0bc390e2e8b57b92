//! The engine's own semantics on hand-made events: routing by log source,
//! field mappings, Windows names with spaces, `@timestamp`, keywords,
//! filters, correlation through the engine and the folding of repeated
//! correlation hits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_event::{keys, Event, Timestamp, Value};
use phiwatch_sigma::{Engine, EngineConfig, Hit, RuleSet};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s.as_bytes()).unwrap()
}

/// An event of `dataset` at `time` with raw string fields.
fn event(dataset: &'static str, time: &str, raw: &[(&str, &str)]) -> Event {
    let mut ev = Event::new(ts(time));
    ev.push_norm(keys::EVENT_DATASET, Value::Static(dataset));
    for (k, v) in raw {
        let name = ev.name(k);
        let v = ev.store_str(v);
        ev.push_raw(name, v);
    }
    ev
}

fn engine(yaml: &str) -> Engine {
    let mut set = RuleSet::new();
    set.add_str("test.yml", yaml);
    assert!(set.errors().is_empty(), "{:?}", set.errors());
    let e = Engine::build(&set, &EngineConfig::default());
    assert!(e.errors().is_empty(), "{:?}", e.errors());
    assert!(
        e.correlation_errors().is_empty(),
        "{:?}",
        e.correlation_errors()
    );
    e
}

/// Titles of the rules that fire, per event, over the whole stream.
fn fired(e: &Engine, events: &[Event]) -> Vec<String> {
    let mut s = e.session();
    let mut hits: Vec<Hit> = Vec::new();
    for ev in events {
        s.process(ev, &mut hits);
    }
    s.finish(&mut hits);
    hits.iter()
        .map(|h| e.rules()[h.rule].title.clone())
        .collect()
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

#[test]
fn rules_run_only_on_events_of_their_log_source() {
    let e = engine(
        "title: proc
logsource: { product: windows, category: process_creation }
detection: { sel: { CommandLine|contains: 'rclone' }, condition: sel }
---
title: dns
logsource: { category: dns }
detection: { sel: { query|contains: 'rclone' }, condition: sel }
",
    );
    let proc1 = event(
        "windows.sysmon",
        "2026-01-01T00:00:00Z",
        &[
            ("Channel", SYSMON),
            ("EventID", "1"),
            ("CommandLine", "rclone copy x"),
        ],
    );
    // Same field, but a file-creation event (EventID 11): not process_creation.
    let file11 = event(
        "windows.sysmon",
        "2026-01-01T00:00:01Z",
        &[
            ("Channel", SYSMON),
            ("EventID", "11"),
            ("CommandLine", "rclone copy x"),
        ],
    );
    let dns = event(
        "zeek.dns",
        "2026-01-01T00:00:02Z",
        &[("query", "rclone.example")],
    );
    let http = event(
        "zeek.http",
        "2026-01-01T00:00:03Z",
        &[("query", "rclone.example")],
    );
    assert_eq!(fired(&e, &[proc1, file11, dns, http]), vec!["proc", "dns"]);
}

#[test]
fn security_4688_is_process_creation_with_sysmon_names() {
    let e = engine(
        "title: proc
logsource: { product: windows, category: process_creation }
detection: { sel: { Image|endswith: '\\7z.exe', ParentImage|endswith: '\\cmd.exe' }, condition: sel }
",
    );
    let ev = event(
        "windows.security",
        "2026-01-01T00:00:00Z",
        &[
            ("Channel", "Security"),
            ("EventID", "4688"),
            ("NewProcessName", "C:\\Tools\\7z.exe"),
            ("ParentProcessName", "C:\\Windows\\System32\\cmd.exe"),
        ],
    );
    assert_eq!(fired(&e, &[ev]), vec!["proc"]);
}

#[test]
fn proxy_field_names_map_onto_access_log_fields() {
    let e = engine(
        "title: upload
logsource: { category: proxy }
detection: { sel: { cs-method: POST, c-uri|contains: '/upload' }, condition: sel }
",
    );
    let mut ev = Event::new(ts("2026-01-01T00:00:00Z"));
    ev.push_norm(keys::EVENT_DATASET, Value::Static("web.access"));
    ev.push_norm_str(keys::HTTP_REQUEST_METHOD, "POST");
    ev.push_norm_str(keys::URL_ORIGINAL, "/api/upload?x=1");
    let mut get = ev.clone();
    get.push_norm_str(keys::HTTP_REQUEST_METHOD, "GET");
    assert_eq!(fired(&e, &[ev]), vec!["upload"]);
    // The first `http.request.method` wins: POST, so still a match; a GET-only event does not.
    let mut only_get = Event::new(ts("2026-01-01T00:00:01Z"));
    only_get.push_norm(keys::EVENT_DATASET, Value::Static("web.access"));
    only_get.push_norm_str(keys::HTTP_REQUEST_METHOD, "GET");
    only_get.push_norm_str(keys::URL_ORIGINAL, "/api/upload");
    assert!(fired(&e, &[only_get]).is_empty());
    assert_eq!(fired(&e, &[get]).len(), 1);
}

#[test]
fn windows_names_with_spaces_match_without_them() {
    let e = engine(
        "title: defender
logsource: { product: windows, service: windefend }
detection: { sel: { SourceName: 'Real-Time Protection', ThreatName|endswith: 'EICAR_Test_File' }, condition: sel }
",
    );
    let ev = event(
        "windows.other",
        "2026-01-01T00:00:00Z",
        &[
            ("Channel", "Microsoft-Windows-Windows Defender/Operational"),
            ("EventID", "1116"),
            ("Source Name", "Real-Time Protection"),
            ("Threat Name", "Virus:DOS/EICAR_Test_File"),
        ],
    );
    assert_eq!(fired(&e, &[ev]), vec!["defender"]);
}

#[test]
fn timestamp_is_the_event_time() {
    let e = engine(
        "title: night
logsource: { product: okta, service: okta }
detection: { sel: { '@timestamp|hour|gte': 21 }, condition: sel }
",
    );
    let night = event(
        "okta.system",
        "2026-01-01T22:15:00Z",
        &[("eventType", "user.session.start")],
    );
    let day = event(
        "okta.system",
        "2026-01-01T10:15:00Z",
        &[("eventType", "user.session.start")],
    );
    assert_eq!(fired(&e, &[night, day]), vec!["night"]);
}

#[test]
fn keywords_search_every_value() {
    let e = engine(
        "title: kw
logsource: { product: linux, service: auth }
detection: { keywords: ['authentication failure'], condition: keywords }
",
    );
    let hit = event(
        "system.auth",
        "2026-01-01T00:00:00Z",
        &[(
            "message",
            "pam_unix(sshd:auth): Authentication failure; user=x",
        )],
    );
    let miss = event(
        "system.auth",
        "2026-01-01T00:00:01Z",
        &[("message", "session opened")],
    );
    assert_eq!(fired(&e, &[hit, miss]), vec!["kw"]);
}

#[test]
fn a_filter_suppresses_what_its_condition_selects() {
    let e = engine(
        "title: Data Compressed
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: { product: windows, category: process_creation }
detection: { sel: { Image|endswith: '\\rar.exe' }, condition: sel }
---
title: Filter Administrator account
logsource: { product: windows, category: process_creation }
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection: { User|startswith: 'adm_' }
  condition: selection
",
    );
    let admin = event(
        "windows.sysmon",
        "2026-01-01T00:00:00Z",
        &[
            ("Channel", SYSMON),
            ("EventID", "1"),
            ("Image", "C:\\rar.exe"),
            ("User", "adm_bob"),
        ],
    );
    let user = event(
        "windows.sysmon",
        "2026-01-01T00:00:01Z",
        &[
            ("Channel", SYSMON),
            ("EventID", "1"),
            ("Image", "C:\\rar.exe"),
            ("User", "alice"),
        ],
    );
    assert_eq!(fired(&e, &[admin, user]), vec!["Data Compressed"]);
}

const SPRAY: &str = "title: failed login
name: failed
logsource: { product: okta, service: okta }
detection: { sel: { outcome.result: FAILURE }, condition: sel }
---
title: spray
correlation:
  type: value_count
  rules: [failed]
  group-by: [client.ipAddress]
  timespan: 10m
  condition: { field: actor.alternateId, gte: 3 }
";

fn failures(ip: &str, start_min: u32, users: u32) -> Vec<Event> {
    (0..users)
        .map(|i| {
            let user = format!("user{i}@example.org");
            event(
                "okta.system",
                &format!("2026-01-01T00:{:02}:{:02}Z", start_min + i / 60, i % 60),
                &[
                    ("outcome.result", "FAILURE"),
                    ("client.ipAddress", ip),
                    ("actor.alternateId", user.as_str()),
                ],
            )
        })
        .collect()
}

#[test]
fn correlations_fire_once_per_burst_and_base_rules_stay_quiet() {
    let e = engine(SPRAY);
    // 30 users from one address: a single burst, reported once.
    let mut events = failures("203.0.113.9", 0, 30);
    // Two users from another address: below the threshold.
    events.extend(failures("198.51.100.7", 1, 2));
    events.sort_by_key(|e| e.time());
    assert_eq!(fired(&e, &events), vec!["spray"]);

    // Without folding, every third distinct user fires again.
    let mut set = RuleSet::new();
    set.add_str("t.yml", SPRAY);
    let cfg = EngineConfig {
        suppress_repeats: false,
        ..EngineConfig::default()
    };
    let unfolded = Engine::build(&set, &cfg);
    assert_eq!(fired(&unfolded, &events).len(), 10);
}

#[test]
fn rules_for_sources_phiwatch_does_not_read_are_marked_and_never_run() {
    let e = engine(
        "title: mac
logsource: { product: macos, category: process_creation }
detection: { sel: { CommandLine|contains: 'x' }, condition: sel }
",
    );
    assert!(!e.rules()[0].has_data);
    assert_eq!(e.rules()[0].logsource, "macos/process_creation/*");
}

#[test]
fn bad_rules_are_reported_and_the_rest_still_load() {
    let mut set = RuleSet::new();
    set.add_str(
        "mixed.yml",
        "title: good
logsource: { category: dns }
detection: { sel: { query: x }, condition: sel }
---
title: bad regex
logsource: { category: dns }
detection: { sel: { query|re: '(?<=a)b' }, condition: sel }
---
title: bad condition
logsource: { category: dns }
detection: { sel: { query: x }, condition: sel and nothing }
",
    );
    let e = Engine::build(&set, &EngineConfig::default());
    assert_eq!(e.rules().len(), 1);
    assert_eq!(
        e.errors().len() + set.errors().len(),
        2,
        "{:?} {:?}",
        e.errors(),
        set.errors()
    );
    let all: Vec<String> = e
        .errors()
        .iter()
        .map(|x| x.to_string())
        .chain(set.errors().iter().map(|x| x.to_string()))
        .collect();
    assert!(all.iter().all(|m| m.starts_with("mixed.yml: ")), "{all:?}");
    assert!(
        all.iter()
            .any(|m| m.contains("bad regex") && m.contains("look")),
        "{all:?}"
    );
}

#[test]
fn the_builtin_pack_loads_cleanly() {
    let set = RuleSet::builtin();
    assert!(set.errors().is_empty(), "{:?}", set.errors());
    let e = Engine::build(&set, &EngineConfig::default());
    assert!(e.errors().is_empty() && e.correlation_errors().is_empty());
    assert!(e.rules().len() >= 25);
    assert!(
        e.rules().iter().all(|r| r.has_data),
        "every pack rule has a phiwatch log source"
    );
}

#[test]
fn expand_placeholders_take_their_values_from_the_configuration() {
    let yaml = "title: admin workstation
logsource: { product: windows, category: process_creation }
detection: { sel: { Computer|expand: '%Admin_Workstations%' }, condition: sel }
";
    let mut set = RuleSet::new();
    set.add_str("t.yml", yaml);
    let ev = |host: &str| {
        event(
            "windows.sysmon",
            "2026-01-01T00:00:00Z",
            &[("Channel", SYSMON), ("EventID", "1"), ("Computer", host)],
        )
    };
    // Without values the placeholder never matches, and the engine says so.
    let bare = Engine::build(&set, &EngineConfig::default());
    assert_eq!(bare.warnings().len(), 1, "{:?}", bare.warnings());
    assert!(fired(&bare, &[ev("ws-admin-01")]).is_empty());
    let mut cfg = EngineConfig::default();
    cfg.placeholders.insert(
        "Admin_Workstations".into(),
        vec!["ws-admin-*".into(), "jump01".into()],
    );
    let e = Engine::build(&set, &cfg);
    assert!(e.warnings().is_empty(), "{:?}", e.warnings());
    assert_eq!(
        fired(&e, &[ev("WS-ADMIN-07"), ev("jump01"), ev("ws-user-01")]).len(),
        2
    );
}

#[test]
fn registered_names_also_match_with_spaces() {
    // `ProcessName` is a registered key; Defender writes "Process Name".
    let e = engine(
        "title: redsun
logsource: { product: windows, service: windefend }
detection: { sel: { ProcessName|endswith: '\\RedSun.exe' }, condition: sel }
",
    );
    let ev = event(
        "windows.other",
        "2026-01-01T00:00:00Z",
        &[
            ("Channel", "Microsoft-Windows-Windows Defender/Operational"),
            ("EventID", "1119"),
            ("Process Name", "C:\\Users\\x\\Downloads\\RedSun.exe"),
        ],
    );
    assert_eq!(fired(&e, &[ev]), vec!["redsun"]);
}
