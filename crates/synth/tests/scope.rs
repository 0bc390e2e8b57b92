//! The ground truth of each scenario's breach scope: consistent with the
//! patients CSV and the inventory, deterministic per seed, absent without an
//! attack, written into truth.json by generation, and (for the record-level
//! scenario) equal to what an independent reading of the logs finds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use phiwatch_event::Timestamp;
use phiwatch_synth::truth::{scope_of, Scope};
use phiwatch_synth::{generate, org, GenConfig, Scale, Scenario};

const ATTACKS: [Scenario; 3] = [
    Scenario::VendorCompromise,
    Scenario::SlowDrip,
    Scenario::InsiderSnooping,
];

fn cfg(scenario: Scenario, days: u32, seed: u64) -> GenConfig {
    GenConfig {
        scenario,
        days,
        scale: Scale::Small,
        seed,
        ..GenConfig::default()
    }
}

fn ns(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s.as_bytes())
        .unwrap_or_else(|| panic!("bad time {s}"))
        .as_nanos()
}

/// Patients per state, deceased, living without contact, over `ids` (all
/// when `None`), from the organization's patients.
fn census(cfg: &GenConfig, ids: Option<&BTreeSet<String>>) -> (BTreeMap<String, u64>, u64, u64) {
    let org = org::build(cfg);
    let mut by_state = BTreeMap::new();
    let (mut dead, mut no_contact) = (0, 0);
    for p in &org.patients {
        if ids.is_some_and(|s| !s.contains(&p.id)) {
            continue;
        }
        *by_state.entry(p.state.to_string()).or_insert(0) += 1;
        dead += u64::from(p.deceased);
        no_contact += u64::from(!p.contact && !p.deceased);
    }
    (by_state, dead, no_contact)
}

/// What holds for every attack's scope, whatever the scenario.
fn check_consistent(cfg: &GenConfig, s: &Scope) {
    let what = format!(
        "{} days={} seed={}",
        cfg.scenario.name(),
        cfg.days,
        cfg.seed
    );
    let org = org::build(cfg);
    let np = org.patients.len() as u64;
    let silo_names: Vec<&str> = org.silos.iter().map(|x| x.name.as_str()).collect();
    assert!(!s.actors.is_empty(), "{what}");
    for a in &s.actors {
        assert!(
            a.starts_with("user:") || a.starts_with("ip:"),
            "{what}: {a}"
        );
    }
    assert!(!s.actor_choice.is_empty(), "{what}");
    let (from, to) = (ns(&s.from), ns(&s.to));
    assert!(from < to, "{what}");
    assert_eq!(from % 1_000_000_000, 0, "{what}: whole seconds");
    assert_eq!(to % 1_000_000_000, 0, "{what}: whole seconds");
    let start = cfg.start_secs * 1_000_000_000;
    assert!(from >= start && to <= start + i64::from(cfg.days) * 86_400_000_000_000);
    assert!(!s.silos.is_empty(), "{what}: no silo read");
    for x in &s.silos {
        assert!(silo_names.contains(&x.name.as_str()), "{what}: {}", x.name);
        assert!(x.accesses >= 1, "{what}: {}", x.name);
        assert!(from <= ns(&x.first) && ns(&x.first) <= ns(&x.last) && ns(&x.last) <= to);
        if x.bulk {
            assert_eq!(x.patients, np, "{what}: bulk {} is every patient", x.name);
        } else {
            assert!(x.patients >= 1 && x.patients < np, "{what}: {}", x.name);
        }
    }
    let i = &s.individuals;
    assert_eq!(i.by_state.values().sum::<u64>(), i.total, "{what}");
    assert!(i.total >= s.silos.iter().map(|x| x.patients).max().unwrap_or(0));
    assert!(
        i.total <= np && i.deceased + i.without_contact <= i.total,
        "{what}"
    );
    assert_eq!(i.unlisted, 0, "{what}");
    if s.silos.iter().any(|x| x.bulk) {
        assert_eq!(i.total, np, "{what}");
        assert_eq!(
            (i.by_state.clone(), i.deceased, i.without_contact),
            census(cfg, None),
            "{what}"
        );
    }
}

/// (silo, bulk) pairs of a scope.
fn silos(s: &Scope) -> Vec<(&str, bool)> {
    s.silos.iter().map(|x| (x.name.as_str(), x.bulk)).collect()
}

#[test]
fn every_attack_has_a_consistent_scope() {
    for days in [1, 3] {
        for scenario in ATTACKS {
            let c = cfg(scenario, days, 1);
            let s = scope_of(&c).unwrap_or_else(|| panic!("{scenario:?}: no scope"));
            check_consistent(&c, &s);
            let np = org::patient_count(Scale::Small) as u64;
            match scenario {
                Scenario::VendorCompromise => {
                    // Bulk database reads, enumeration and $export; from
                    // the second day on, the account's routine claims query
                    // (on other columns than a patient key) falls in the
                    // window too.
                    let mut want = vec![
                        ("ehr.encounters", true),
                        ("ehr.patients", true),
                        ("fhir.Patient", true),
                    ];
                    if days > 1 {
                        want.insert(0, ("billing.claims", true));
                    }
                    assert_eq!(silos(&s), want, "days={days}");
                    assert!(s.actors.contains(&"ip:203.0.113.77".to_string()));
                    assert!(s.actors.contains(&"user:acme_support".to_string()));
                    assert!(s.actors.contains(&"user:acme-sync".to_string()));
                }
                Scenario::SlowDrip => {
                    // Paged SELECTs without a WHERE are bulk; the user's own
                    // claim lookups name patients.
                    assert_eq!(
                        silos(&s),
                        [("billing.claims", false), ("ehr.patients", true)]
                    );
                    assert!(s.silos[1].accesses >= u64::from(days));
                }
                _ => {
                    // Record level: FHIR reads and searches of a subset.
                    assert_eq!(silos(&s), [("fhir.Patient", false)]);
                    let t = s.individuals.total;
                    assert!(t >= 100 * u64::from(days) && t < np, "{t}");
                    assert_eq!(s.silos[0].patients, t);
                }
            }
        }
    }
}

#[test]
fn deterministic_per_seed() {
    for scenario in ATTACKS {
        let a = scope_of(&cfg(scenario, 2, 4)).unwrap();
        assert_eq!(
            Some(&a),
            scope_of(&cfg(scenario, 2, 4)).as_ref(),
            "{scenario:?}"
        );
        let b = scope_of(&cfg(scenario, 2, 5)).unwrap();
        assert_ne!(a, b, "{scenario:?}: another seed, the same scope");
    }
}

#[test]
fn no_attack_no_scope() {
    for days in [1, 2] {
        assert_eq!(scope_of(&cfg(Scenario::BenignDecoys, days, 1)), None);
    }
}

/// Each scenario's scope at the small scale, seed 1, 3 days, as the
/// reference the scope engine is checked against (the numbers the lead
/// compares `phiwatch scope` with). `PHIWATCH_BLESS=1` rewrites them.
#[test]
fn reference_scopes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scope");
    for scenario in Scenario::ALL {
        let got = serde_json::to_string_pretty(&scope_of(&cfg(*scenario, 3, 1))).unwrap() + "\n";
        let path = dir.join(format!("{}-small-3d-seed1.json", scenario.name()));
        if std::env::var_os("PHIWATCH_BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            got,
            want,
            "{}: scope differs from {}",
            scenario.name(),
            path.display()
        );
        let v: serde_json::Value = serde_json::from_str(&want).unwrap();
        let silo_count = v["silos"].as_array().map_or(0, Vec::len);
        let want_silos = match scenario {
            Scenario::VendorCompromise => 4,
            Scenario::SlowDrip => 2,
            Scenario::InsiderSnooping => 1,
            Scenario::BenignDecoys => 0,
        };
        assert_eq!(silo_count, want_silos, "{}", scenario.name());
    }
}

// ------------------------------------------------- generated truth and logs

fn truth_scope(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("truth/truth.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v.as_object().unwrap().contains_key("scope"));
    v["scope"].clone()
}

#[test]
fn generation_writes_the_scope_into_the_truth() {
    for scenario in [Scenario::VendorCompromise, Scenario::BenignDecoys] {
        let c = cfg(scenario, 1, 3);
        let dir = tempfile::tempdir().unwrap();
        generate(&c, dir.path()).unwrap();
        let written = truth_scope(dir.path());
        assert_eq!(written, serde_json::to_value(scope_of(&c)).unwrap());
        if scenario == Scenario::BenignDecoys {
            assert!(written.is_null());
            continue;
        }
        // Bulk: every row of the patients CSV, counted from the file.
        let csv = std::fs::read_to_string(dir.path().join("inventory/patients.csv")).unwrap();
        let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
        for line in csv.lines().skip(1) {
            let state = line.split(',').nth(1).unwrap();
            *by_state.entry(state.to_string()).or_insert(0) += 1;
        }
        let rows: u64 = by_state.values().sum();
        assert_eq!(rows, 5_000);
        assert_eq!(written["individuals"]["total"], rows);
        assert_eq!(
            written["individuals"]["by_state"],
            serde_json::to_value(&by_state).unwrap()
        );
        let bulk = written["silos"].as_array().unwrap();
        assert!(bulk
            .iter()
            .all(|s| s["patients"] == rows && s["bulk"] == true));
    }
}

/// The FHIR AuditEvents of `out`'s logs.
fn audit_events(out: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<_> = std::fs::read_dir(out.join("logs/fhir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<serde_json::Value>>()
        })
        .collect()
}

/// Standard base64, for the AuditEvent's query.
fn unbase64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | A.iter().position(|&x| x == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn record_level_scope_equals_an_independent_reading_of_the_logs() {
    let c = cfg(Scenario::InsiderSnooping, 2, 2);
    let dir = tempfile::tempdir().unwrap();
    generate(&c, dir.path()).unwrap();
    let scope = truth_scope(dir.path());
    let (from, to) = (
        ns(scope["from"].as_str().unwrap()),
        ns(scope["to"].as_str().unwrap()),
    );
    let actors: Vec<&str> = scope["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // Successful Patient interactions by the actors in the window: the
    // patients their entities reference.
    let mut patients = BTreeSet::new();
    let mut reads = 0u64;
    for e in audit_events(dir.path()) {
        let agent = &e["agent"][0];
        let who = format!(
            "user:{}",
            agent["who"]["identifier"]["value"].as_str().unwrap()
        );
        let ip = format!("ip:{}", agent["network"]["address"].as_str().unwrap());
        let t = ns(e["recorded"].as_str().unwrap());
        if e["outcome"] != "0"
            || !(actors.contains(&who.as_str()) || actors.contains(&ip.as_str()))
            || t < from
            || t > to
        {
            continue;
        }
        let entities = e["entity"].as_array().unwrap();
        let query = entities
            .iter()
            .find_map(|x| x["query"].as_str())
            .map(unbase64);
        if query.is_some_and(|q| !q.starts_with("/fhir/Patient")) {
            continue;
        }
        reads += 1;
        for x in entities {
            if let Some(r) = x["what"]["reference"].as_str() {
                patients.insert(r.strip_prefix("Patient/").unwrap().to_string());
            }
        }
    }
    let silo = &scope["silos"][0];
    assert_eq!(scope["silos"].as_array().unwrap().len(), 1);
    assert_eq!(silo["name"], "fhir.Patient");
    assert_eq!(silo["accesses"], reads);
    assert_eq!(silo["patients"], patients.len() as u64);
    let (by_state, dead, no_contact) = census(&c, Some(&patients));
    let i = &scope["individuals"];
    assert_eq!(i["total"], patients.len() as u64);
    assert_eq!(i["by_state"], serde_json::to_value(&by_state).unwrap());
    assert_eq!(
        (i["deceased"].as_u64(), i["without_contact"].as_u64()),
        (Some(dead), Some(no_contact))
    );
    assert!(
        patients.len() > 150 && patients.len() < 5_000,
        "{}",
        patients.len()
    );
}
