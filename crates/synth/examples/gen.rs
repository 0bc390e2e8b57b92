//! Generates a corpus and reports its size and speed:
//! `cargo run --release -p phiwatch-synth --example gen -- OUT [SCALE] [DAYS] [SCENARIO] [SEED]`.

use std::time::Instant;

use phiwatch_synth::{generate, GenConfig, Scale, Scenario};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: gen OUT [small|medium|large|huge] [DAYS] [SCENARIO] [SEED]");
        std::process::exit(2);
    };
    let scale = args
        .get(1)
        .and_then(|s| Scale::from_name(s))
        .unwrap_or(Scale::Small);
    let days = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let scenario = args
        .get(3)
        .and_then(|s| Scenario::from_name(s))
        .unwrap_or(Scenario::VendorCompromise);
    let seed = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1);
    let cfg = GenConfig {
        scenario,
        days,
        scale,
        seed,
        ..GenConfig::default()
    };
    let t = Instant::now();
    match generate(&cfg, std::path::Path::new(out)) {
        Ok(r) => {
            let secs = t.elapsed().as_secs_f64();
            for (p, n) in &r.files {
                println!("{n:>10}  {}", p.display());
            }
            println!(
                "{} records, {} files, {:.1} MB in {secs:.2} s: {:.0} records/s, {:.1} MB/s; {} steps",
                r.records,
                r.files.len(),
                r.bytes as f64 / 1e6,
                r.records as f64 / secs,
                r.bytes as f64 / 1e6 / secs,
                r.steps
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
