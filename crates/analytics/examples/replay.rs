//! Runs the analytics over log files and prints their hits as JSON lines
//! (a developer's tool; `phiwatch hunt` is the user's).
//!
//! ```text
//! cargo run --release -p phiwatch-analytics --example replay -- \
//!     [--only TABLE]… [--config FILE.toml] [--internal CIDR]… PATH…
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::Arc;

use phiwatch_analytics::context::Context;
use phiwatch_analytics::engine::{Config, Engine, ANALYTICS};
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order};

fn main() {
    let mut only: Vec<String> = Vec::new();
    let mut config = Config::default();
    let mut ctx = Context::default();
    let mut internal = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => only.extend(args.next()),
            "--config" => {
                let p = PathBuf::from(args.next().unwrap_or_default());
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                config = toml::from_str(&text).unwrap_or_else(|e| {
                    eprintln!("{}: {e}", p.display());
                    std::process::exit(2)
                });
            }
            "--internal" => internal.extend(
                args.next()
                    .and_then(|s| s.parse::<phiwatch_analytics::net::Cidr>().ok()),
            ),
            _ => paths.push(a),
        }
    }
    if !internal.is_empty() {
        ctx.internal = internal;
    }
    if !only.is_empty() {
        config.disabled = ANALYTICS
            .iter()
            .filter(|n| !only.iter().any(|o| o == *n))
            .map(|n| (*n).to_string())
            .collect();
    }
    let mut engine = Engine::new(&config, &ctx).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let resolved = resolve_inputs(&paths);
    let cfg = IngestConfig {
        order: Order::Time,
        ..IngestConfig::default()
    };
    let mut run = Ingest::start(
        resolved.inputs,
        resolved.errors,
        cfg,
        Arc::new(CollectSink::default()),
    );
    let mut hits = Vec::new();
    let mut events = 0u64;
    let t0 = std::time::Instant::now();
    let print = |hits: &mut Vec<phiwatch_analytics::AnalyticHit>| {
        for h in hits.drain(..) {
            let j = serde_json::json!({
                "analytic": h.analytic,
                "level": format!("{:?}", h.level).to_lowercase(),
                "title": h.title,
                "time": h.time.to_rfc3339(),
                "end_time": h.end_time.to_rfc3339(),
                "entity": {"user": h.entity.user, "host": h.entity.host, "ip": h.entity.ip},
                "group": h.group,
                "metrics": h.metrics,
                "tags": h.tags,
            });
            println!("{j}");
        }
    };
    for ev in run.by_ref() {
        events += 1;
        engine.observe(&ev, &mut hits);
        print(&mut hits);
    }
    engine.finish(&mut hits);
    print(&mut hits);
    run.finish();
    eprintln!(
        "{events} events in {:.2} s; memory: {}",
        t0.elapsed().as_secs_f64(),
        serde_json::to_string(&engine.memory()).unwrap_or_default()
    );
}
