//! Prints the ground truth of a breach's scope without writing any logs:
//! `cargo run -p phiwatch-synth --example scope -- [SCENARIO] [DAYS] [SCALE] [SEED]`
//! (defaults: vendor-compromise, 3 days, small, seed 1).

use phiwatch_synth::{truth, GenConfig, Scale, Scenario};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let Some(scenario) = Scenario::from_name(arg(0).unwrap_or("vendor-compromise")) else {
        eprintln!("usage: scope [SCENARIO] [DAYS] [small|medium|large|huge] [SEED]");
        std::process::exit(2);
    };
    let cfg = GenConfig {
        scenario,
        days: arg(1).and_then(|s| s.parse().ok()).unwrap_or(3),
        scale: arg(2).and_then(Scale::from_name).unwrap_or(Scale::Small),
        seed: arg(3).and_then(|s| s.parse().ok()).unwrap_or(1),
        ..GenConfig::default()
    };
    match truth::scope_of(&cfg) {
        Some(scope) => match serde_json::to_string_pretty(&scope) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("scope: {e}");
                std::process::exit(1);
            }
        },
        None => println!("null"),
    }
}
