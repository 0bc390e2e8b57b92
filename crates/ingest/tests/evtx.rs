//! Windows EVTX through the ingest layer: the 202 Sigma regression cases
//! (tests/data/evtx/, Detection Rule License 1.1), each a binary `.evtx` and
//! its JSON twin. Every EVTX must decode without a rejection and give the
//! same events, field for field, as its twin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiwatch_decode::Format;
use phiwatch_event::{keys, Event, FieldKind};
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order, Report};

/// Events in the 202 EVTX files (and in their twins).
const TOTAL_EVENTS: u64 = 238;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evtx")
}

fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with_ext(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

struct Run {
    events: Vec<Event>,
    report: Report,
    diags: Vec<String>,
}

fn ingest(path: &Path) -> Run {
    let inputs = resolve_inputs(&[path.display().to_string()]);
    let sink = Arc::new(CollectSink::default());
    let cfg = IngestConfig {
        order: Order::Arrival,
        threads: 1,
        ..IngestConfig::default()
    };
    let mut run = Ingest::start(inputs.inputs, inputs.errors, cfg, sink.clone());
    let events: Vec<Event> = run.by_ref().collect();
    let report = run.finish();
    let diags = sink.take().into_iter().map(|d| d.reason).collect();
    Run {
        events,
        report,
        diags,
    }
}

fn record_id(ev: &Event) -> i64 {
    ev.get_raw("EventRecordID")
        .and_then(|v| v.as_i64())
        .expect("EventRecordID")
}

/// Every field of an event as (name, kind, value text), in a stable order.
fn fields(ev: &Event) -> Vec<(String, &'static str, String)> {
    let mut out: Vec<(String, &'static str, String)> = ev
        .fields()
        .map(|f| {
            let kind = match f.kind {
                FieldKind::Raw => "raw",
                FieldKind::Normalized => "norm",
                FieldKind::Both => "both",
            };
            let mut value = f.value.to_string();
            if f.name == "TimeCreated" {
                // 7 fractional digits (EVTX) vs 6 (twins): compare to µs.
                if let Some(dot) = value.find('.') {
                    value.truncate(dot + 7);
                }
            }
            // The twins' exporter trimmed text (`"cmd.exe" ` → `"cmd.exe"`);
            // Windows keeps the trailing space and so do we.
            let value = value.trim_end().to_string();
            (f.name.to_string(), kind, value)
        })
        .collect();
    out.sort();
    out
}

/// Twins that differ from their EVTX in the data itself (edited by hand
/// upstream): the file and field, which must then match ignoring case.
const TWIN_EDITS: &[(&str, &str)] = &[(
    "proc_creation_win_susp_right_to_left_override/ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx",
    "ParentCommandLine",
)];

fn tolerate_edits(name: &str, fields: &mut [(String, &'static str, String)]) {
    let normalized_twin = |f: &str| f == "process.parent.command_line";
    for (file, field) in TWIN_EDITS {
        if name.ends_with(file) {
            for f in fields.iter_mut() {
                if f.0 == *field || normalized_twin(&f.0) {
                    f.2.make_ascii_lowercase();
                }
            }
        }
    }
}

fn sorted(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by_key(record_id);
    events
}

#[test]
fn every_evtx_decodes_like_its_json_twin() {
    let mut evtx_files = Vec::new();
    files_with_ext(&corpus(), "evtx", &mut evtx_files);
    assert_eq!(evtx_files.len(), 202, "the corpus holds 202 EVTX files");

    let mut total_events = 0u64;
    let mut datasets: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for evtx in &evtx_files {
        let twin = evtx.with_extension("json");
        let name = evtx.strip_prefix(corpus()).unwrap().display().to_string();
        let a = ingest(evtx);
        let b = ingest(&twin);
        let (ta, tb) = (a.report.sources[0].1.clone(), b.report.sources[0].1.clone());
        assert_eq!((a.report.sources.len(), b.report.sources.len()), (1, 1));
        assert_eq!(
            ta.format,
            Some(Format::Windows),
            "{name}: EVTX detected as Windows"
        );
        assert_eq!(
            tb.format,
            Some(Format::Windows),
            "{name}: JSON twin detected as Windows"
        );
        if ta.rejected != 0 || tb.rejected != 0 || ta.records == 0 {
            failures.push(format!(
                "{name}: evtx {ta:?} {:?}; json {tb:?} {:?}",
                a.diags, b.diags
            ));
            continue;
        }
        if a.events.len() != b.events.len() {
            failures.push(format!(
                "{name}: {} events from EVTX, {} from JSON",
                a.events.len(),
                b.events.len()
            ));
            continue;
        }
        // Each case's rule matches `match_count` of its events.
        let info = std::fs::read_to_string(evtx.with_file_name("info.yml")).unwrap();
        if let Some(m) = info
            .lines()
            .find_map(|l| l.trim().strip_prefix("match_count:"))
            .and_then(|m| m.trim().parse::<usize>().ok())
        {
            assert!(a.events.len() >= m, "{name}: fewer events than matches");
        }
        total_events += a.events.len() as u64;
        for (x, y) in sorted(a.events).iter().zip(sorted(b.events).iter()) {
            *datasets
                .entry(x.get(keys::EVENT_DATASET).unwrap().to_string())
                .or_default() += 1;
            // The `evtx` crate renders SystemTime to 100 ns (7 digits);
            // the twins were cut to microseconds.
            if x.time().as_nanos() / 1000 != y.time().as_nanos() / 1000 {
                failures.push(format!(
                    "{name} record {}: time {} vs {}",
                    record_id(x),
                    x.time().to_rfc3339(),
                    y.time().to_rfc3339()
                ));
            }
            let (mut fx, mut fy) = (fields(x), fields(y));
            tolerate_edits(&name, &mut fx);
            tolerate_edits(&name, &mut fy);
            if fx != fy {
                let only_x: Vec<_> = fx.iter().filter(|f| !fy.contains(f)).collect();
                let only_y: Vec<_> = fy.iter().filter(|f| !fx.contains(f)).collect();
                failures.push(format!(
                    "{name} record {}: evtx only {only_x:?}; json only {only_y:?}",
                    record_id(x)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total_events} events; datasets {datasets:?}");
    assert_eq!(total_events, TOTAL_EVENTS);
    let expected: BTreeMap<String, u64> = [
        ("windows.other", 3),
        ("windows.security", 2),
        ("windows.sysmon", 233),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(datasets, expected);
}

#[test]
fn sysmon_process_creation_is_normalized() {
    let mut evtx_files = Vec::new();
    files_with_ext(&corpus(), "evtx", &mut evtx_files);
    let mut checked = 0;
    for evtx in &evtx_files {
        let run = ingest(evtx);
        for ev in &run.events {
            if ev.get(keys::EVENT_DATASET).unwrap().as_str() != Some("windows.sysmon")
                || ev.get_raw("EventID").unwrap().as_i64() != Some(1)
            {
                continue;
            }
            let image = ev.get_raw("Image").unwrap().to_string();
            assert_eq!(ev.get(keys::PROCESS_EXECUTABLE).unwrap().to_string(), image);
            assert_eq!(ev.get(keys::EVENT_CODE).unwrap().as_str(), Some("1"));
            assert_eq!(
                ev.get(keys::EVENT_ACTION).unwrap().as_str(),
                Some("process-created")
            );
            assert!(ev.get(keys::PROCESS_PID).unwrap().as_i64().is_some());
            assert!(ev.get(keys::HOST_NAME).is_some());
            assert_eq!(
                ev.get(keys::EVENT_PROVIDER).unwrap().as_str(),
                Some("Microsoft-Windows-Sysmon")
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} Sysmon process creations");
}
