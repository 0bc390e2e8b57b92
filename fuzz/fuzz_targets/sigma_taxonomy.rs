//! A log-source taxonomy (TOML) from arbitrary bytes: parsing must report
//! errors, never panic; a taxonomy that parses must build an engine and
//! route an event through its classes and field maps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiwatch_event::{keys, Event, Timestamp, Value};
use phiwatch_sigma::{Engine, EngineConfig, RuleSet, Taxonomy};

const RULE: &str = "title: t\nid: 5b3e6f1a-0000-4000-8000-000000000001\n\
logsource:\n  product: windows\n  category: process_creation\n\
detection:\n  sel:\n    CommandLine|contains: whoami\n  condition: sel\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(taxonomy) = Taxonomy::from_toml(&text, "fuzz.toml") else {
        return;
    };
    let mut set = RuleSet::new();
    set.add_str("rule.yml", RULE);
    let config = EngineConfig {
        taxonomy,
        ..EngineConfig::default()
    };
    let engine = Engine::build(&set, &config);
    let mut ev = Event::new(Timestamp::from_nanos(0));
    ev.push_norm(keys::EVENT_DATASET, Value::Static("windows.sysmon"));
    for (k, v) in [
        ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ("CommandLine", "whoami"),
    ] {
        let name = ev.name(k);
        let v = ev.store_str(v);
        ev.push_raw(name, v);
    }
    let name = ev.name("EventID");
    ev.push_raw(name, Value::Int(1));
    let mut hits = Vec::new();
    engine.session().process(&ev, &mut hits);
});
