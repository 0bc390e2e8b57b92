//! Measures the time-slice generator without writing logs: how long a Huge
//! world takes to build and to produce a ten-minute slice, then for each
//! scenario at the Small and Medium scales a day's records, the largest
//! slice, activities per labeled step and per kind:
//! `cargo run --release -p phiwatch-synth --example stats`.

use std::collections::BTreeMap;
use std::time::Instant;

use phiwatch_event::Timestamp;
use phiwatch_synth::baseline::{records, World};
use phiwatch_synth::{org, GenConfig, Scale, Scenario};

/// Nanoseconds in a minute.
const MIN: i64 = 60_000_000_000;
/// Nanoseconds in an hour.
const HOUR: i64 = 60 * MIN;
/// Nanoseconds in a day.
const DAY: i64 = 24 * HOUR;

fn ts(ns: i64) -> Timestamp {
    Timestamp::from_nanos(ns)
}

/// Build time of a Huge world and of one ten-minute slice at 10:00.
fn huge() {
    let cfg = GenConfig {
        scale: Scale::Huge,
        ..GenConfig::default()
    };
    let st = Instant::now();
    let org = org::build(&cfg);
    let mut w = World::new(&cfg, &org);
    eprintln!("huge build records {:?}", st.elapsed());
    let s0 = cfg.start_secs * 1_000_000_000 + 10 * HOUR;
    let v = w.slice(&org, ts(s0), ts(s0 + 10 * MIN));
    let n: u64 = v.iter().map(records).sum();
    eprintln!("huge slice records {n} {:?}", st.elapsed());
}

/// A day of `scenario` at `scale`, in ten-minute slices.
fn day(scale: Scale, scenario: Scenario) {
    let cfg = GenConfig {
        scenario,
        days: 1,
        scale,
        ..GenConfig::default()
    };
    let org = org::build(&cfg);
    let mut w = World::new(&cfg, &org);
    let st = Instant::now();
    let s0 = cfg.start_secs * 1_000_000_000;
    let mut t = s0;
    let mut n = 0u64;
    let mut steps = vec![0u64; w.steps().len()];
    let mut kinds = BTreeMap::new();
    let mut maxslice = 0;
    while t < s0 + DAY {
        let v = w.slice(&org, ts(t), ts(t + 10 * MIN));
        maxslice = maxslice.max(v.len());
        for a in &v {
            n += records(a);
            let k = format!("{:?}", a.kind)
                .split('(')
                .next()
                .unwrap_or("")
                .to_string();
            *kinds.entry(k).or_insert(0u64) += 1;
            if let Some(i) = a.step {
                steps[i] += 1;
            }
        }
        t += 10 * MIN;
    }
    eprintln!(
        "{scale:?} {scenario:?}: {n} records, {:?}, max slice {maxslice}, steps {steps:?}, kinds {kinds:?}",
        st.elapsed()
    );
}

fn main() {
    huge();
    for &scale in &[Scale::Small, Scale::Medium] {
        for &scenario in Scenario::ALL {
            day(scale, scenario);
        }
    }
}
