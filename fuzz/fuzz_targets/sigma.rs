//! A Sigma YAML document from arbitrary bytes (UTF-8, lossy): loading,
//! compiling and evaluating it on one fixed Sysmon-like event must never
//! panic. Covers rsigma-parser, phiwatch's compiler and matchers, and the
//! correlator's build.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use phiwatch_event::{keys, Event, Timestamp, Value};
use phiwatch_sigma::{Engine, EngineConfig, RuleSet};

/// The built-in taxonomy, parsed once (it is not what this target fuzzes).
fn config() -> &'static EngineConfig {
    static CONFIG: OnceLock<EngineConfig> = OnceLock::new();
    CONFIG.get_or_init(EngineConfig::default)
}

fn event() -> Event {
    let mut ev = Event::new(Timestamp::from_nanos(1_700_000_000_000_000_000));
    ev.push_norm(keys::EVENT_DATASET, Value::Static("windows.sysmon"));
    let fields = [
        ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ("Image", "C:\\Windows\\System32\\cmd.exe"),
        (
            "CommandLine",
            "cmd.exe /c whoami & echo SGVsbG8= > C:\\Users\\Public\\x.txt",
        ),
        ("ParentImage", "C:\\Windows\\explorer.exe"),
        ("User", "CORP\\alice"),
    ];
    for (k, v) in fields {
        let name = ev.name(k);
        let v = ev.store_str(v);
        ev.push_raw(name, v);
    }
    let name = ev.name("EventID");
    ev.push_raw(name, Value::Int(1));
    ev
}

fuzz_target!(|data: &[u8]| {
    let yaml = String::from_utf8_lossy(data);
    let mut set = RuleSet::new();
    set.add_str("fuzz.yml", &yaml);
    let engine = Engine::build(&set, config());
    let ev = event();
    let mut session = engine.session();
    let mut hits = Vec::new();
    session.process(&ev, &mut hits);
    session.process(&ev, &mut hits);
    session.finish(&mut hits);
    for h in &hits {
        assert!(
            h.rule < engine.rules().len(),
            "hit names a rule that does not exist"
        );
    }
});
