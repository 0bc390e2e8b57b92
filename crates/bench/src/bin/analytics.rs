//! `phiwatch-analytics-bench`: the analytics engine's memory per entity and
//! its speed.
//!
//! 1. **Memory.** Takes one real event per kind of log from a generated
//!    hospital (connections out and inside, DNS, TLS, database audit, FHIR,
//!    web access, identity provider, CloudTrail S3), then makes `N` copies
//!    of each with the internal addresses and user names replaced by the
//!    `i`th synthetic ones, and feeds them all to every analytic: `N`
//!    entities per analytic. Prints, per analytic, the entities it tracks,
//!    the bytes it reports (`memory_bytes`) and bytes per entity, and the
//!    process's resident memory before and after.
//! 2. **Speed.** Replays the hospital's events (time order) through the
//!    whole engine, median of `RUNS`, against a pass that reads each event's
//!    time and source address (the limit) in the same process.
//!
//! Usage: `phiwatch-analytics-bench [N] [RUNS] [CORPUS_DIR]` (defaults
//! 1 000 000, 3, a 1-day small vendor-compromise corpus generated into a
//! temporary directory).
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use phiwatch_analytics::context::Context;
use phiwatch_analytics::engine::{Config, Engine};
use phiwatch_bench::measure::{files_under, read_events};
use phiwatch_event::{keys, Event, Name, Value, ValueRef};
use phiwatch_synth::{generate, GenConfig, Scale, Scenario};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn internal(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) if v4.octets()[0] == 10 => Some(v4),
        _ => None,
    }
}

/// One template event and what to replace in it.
struct Template {
    what: &'static str,
    ev: Event,
    /// Internal addresses in it, in order of first appearance.
    ips: Vec<Ipv4Addr>,
    /// User names in it.
    users: Vec<String>,
}

impl Template {
    fn new(what: &'static str, ev: &Event) -> Template {
        let mut ips: Vec<Ipv4Addr> = Vec::new();
        let mut users: Vec<String> = Vec::new();
        for f in ev.fields() {
            if let ValueRef::Ip(ip) = f.value {
                if let Some(v4) = internal(ip) {
                    if !ips.contains(&v4) {
                        ips.push(v4);
                    }
                }
            }
        }
        for k in [keys::USER_NAME, keys::DB_USER, keys::USER_ID] {
            if let Some(ValueRef::Str(s)) = ev.get(k) {
                if !s.is_empty() && !users.iter().any(|u| u == s) {
                    users.push(s.to_string());
                }
            }
        }
        Template {
            what,
            ev: ev.clone(),
            ips,
            users,
        }
    }

    /// The `i`th entity's copy.
    fn variant(&self, i: u32) -> Event {
        let ip_for = |j: usize| {
            let hi = u8::try_from((j as u32 * 16 + (i >> 16)) & 0xff).unwrap_or(0);
            Ipv4Addr::new(10, hi, ((i >> 8) & 0xff) as u8, (i & 0xff) as u8)
        };
        let map_ip = |ip: IpAddr| -> IpAddr {
            match internal(ip).and_then(|v4| self.ips.iter().position(|x| *x == v4)) {
                Some(j) => IpAddr::V4(ip_for(j)),
                None => ip,
            }
        };
        let map_str = |s: &str| -> String {
            let mut out = s.to_string();
            for (j, u) in self.users.iter().enumerate() {
                if out.contains(u.as_str()) {
                    out = out.replace(u.as_str(), &format!("u{i}x{j}"));
                }
            }
            for (j, ip) in self.ips.iter().enumerate() {
                let t = ip.to_string();
                if out.contains(&t) {
                    out = out.replace(&t, &ip_for(j).to_string());
                }
            }
            out
        };
        let mut ev = Event::with_capacity(self.ev.time(), self.ev.len(), 256);
        ev.set_origin(self.ev.origin());
        for f in self.ev.fields() {
            let name = match f.key {
                Some(k) => Name::Known(k),
                None => ev.name(f.name),
            };
            let value = match f.value {
                ValueRef::Null => Value::Null,
                ValueRef::Bool(b) => Value::Bool(b),
                ValueRef::Int(n) => Value::Int(n),
                ValueRef::Float(x) => Value::Float(x),
                ValueRef::Time(t) => Value::Time(t),
                ValueRef::Ip(ip) => Value::Ip(map_ip(ip)),
                ValueRef::Str(s) => ev.store_str(&map_str(s)),
                ValueRef::List(l) => {
                    let items: Vec<String> = l
                        .iter()
                        .map(|v| match v {
                            ValueRef::Str(s) => map_str(s),
                            other => other.to_string(),
                        })
                        .collect();
                    let start = ev.begin_list();
                    for s in &items {
                        let v = ev.store_str(s);
                        ev.push_item(v);
                    }
                    ev.end_list(start)
                }
            };
            ev.push(name, f.kind, value);
        }
        ev
    }
}

fn text<'a>(ev: &'a Event, k: phiwatch_event::Key) -> &'a str {
    match ev.get(k) {
        Some(ValueRef::Str(s)) => s,
        _ => "",
    }
}

fn ip(ev: &Event, k: phiwatch_event::Key) -> Option<IpAddr> {
    match ev.get(k)? {
        ValueRef::Ip(ip) => Some(ip),
        ValueRef::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// One template per kind of log, picked from the hospital's events.
fn templates(events: &[Event]) -> Vec<Template> {
    type Pick = (&'static str, fn(&Event) -> bool);
    let picks: [Pick; 10] = [
        ("connection out", |e| {
            text(e, keys::EVENT_DATASET) == "zeek.conn"
                && ip(e, keys::SOURCE_IP).and_then(internal).is_some()
                && ip(e, keys::DESTINATION_IP).is_some_and(|d| internal(d).is_none())
        }),
        ("connection inside", |e| {
            text(e, keys::EVENT_DATASET) == "zeek.conn"
                && ip(e, keys::SOURCE_IP).and_then(internal).is_some()
                && ip(e, keys::DESTINATION_IP).and_then(internal).is_some()
        }),
        ("dns", |e| text(e, keys::EVENT_DATASET) == "zeek.dns"),
        ("tls", |e| text(e, keys::EVENT_DATASET) == "zeek.ssl"),
        ("database audit", |e| {
            e.get(keys::DB_RESPONSE_RETURNED_ROWS).is_some() && e.get(keys::DB_USER).is_some()
        }),
        ("fhir audit", |e| {
            text(e, keys::EVENT_DATASET).starts_with("fhir")
        }),
        ("web access", |e| {
            text(e, keys::EVENT_MODULE) == "nginx"
                || text(e, keys::EVENT_DATASET).starts_with("nginx")
        }),
        ("login success", |e| {
            text(e, keys::EVENT_MODULE) == "okta" && text(e, keys::EVENT_OUTCOME) == "success"
        }),
        ("login failure", |e| {
            text(e, keys::EVENT_MODULE) == "okta" && text(e, keys::EVENT_OUTCOME) == "failure"
        }),
        ("object read", |e| {
            text(e, keys::EVENT_ACTION) == "GetObject"
        }),
    ];
    picks
        .iter()
        .filter_map(|(what, pick)| {
            events
                .iter()
                .find(|e| pick(e))
                .map(|e| Template::new(what, e))
        })
        .collect()
}

fn corpus(arg: Option<String>) -> anyhow::Result<(PathBuf, Option<tempfile_dir::Dir>)> {
    if let Some(dir) = arg {
        return Ok((PathBuf::from(dir), None));
    }
    let tmp = tempfile_dir::Dir::new()?;
    let cfg = GenConfig {
        scenario: Scenario::VendorCompromise,
        days: 1,
        scale: Scale::Small,
        ..GenConfig::default()
    };
    generate(&cfg, tmp.path()).context("cannot generate the corpus")?;
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}

/// A temporary directory removed on drop (std only).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> std::io::Result<Dir> {
            let p = std::env::temp_dir()
                .join(format!("phiwatch-analytics-bench-{}", std::process::id()));
            std::fs::create_dir_all(&p)?;
            Ok(Dir(p))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let (dir, _keep) = corpus(args.next())?;
    let files = files_under(&dir.join("logs"))?;
    let events = read_events(&files);
    anyhow::ensure!(!events.is_empty(), "no events under {}", dir.display());
    let ctx = Context {
        internal: vec!["10.0.0.0/8".parse().map_err(|e| anyhow::anyhow!("{e}"))?],
        ..Context::default()
    };

    // 1. Memory per entity.
    let tpl = templates(&events);
    println!(
        "memory: {n} entities per kind of log, from {} templates ({})",
        tpl.len(),
        tpl.iter().map(|t| t.what).collect::<Vec<_>>().join(", ")
    );
    let rss0 = rss_bytes();
    let mut engine = Engine::new(&Config::default(), &ctx)?;
    let mut hits = Vec::new();
    let t = Instant::now();
    let mut fed = 0u64;
    for i in 0..n {
        for tp in &tpl {
            engine.observe(&tp.variant(i), &mut hits);
            fed += 1;
        }
        hits.clear();
    }
    let secs = t.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    let mut total = 0usize;
    for m in engine.memory() {
        total += m.bytes;
        println!(
            "  {:<13} {:>9} entities {:>10.1} MB {:>8.0} B/entity",
            m.analytic,
            m.entities,
            m.bytes as f64 / 1e6,
            if m.entities > 0 {
                m.bytes as f64 / m.entities as f64
            } else {
                0.0
            }
        );
    }
    println!(
        "  all: {:.1} MB reported; resident memory {:.1} MB -> {:.1} MB (+{:.1} MB); {fed} events in {secs:.1} s",
        total as f64 / 1e6,
        rss0 as f64 / 1e6,
        rss1 as f64 / 1e6,
        rss1.saturating_sub(rss0) as f64 / 1e6
    );
    drop(engine);

    // 2. Speed over the hospital's events.
    let mut limit = Vec::new();
    let mut full = Vec::new();
    let mut per: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut x = 0i64;
        for e in &events {
            x = x.wrapping_add(e.time().as_nanos());
            if let Some(ip) = ip(e, keys::SOURCE_IP) {
                x = x.wrapping_add(i64::from(ip.is_ipv4()));
            }
        }
        std::hint::black_box(x);
        limit.push(t.elapsed().as_secs_f64());

        let mut engine = Engine::new(&Config::default(), &ctx)?;
        let t = Instant::now();
        for e in &events {
            engine.observe(e, &mut hits);
        }
        engine.finish(&mut hits);
        full.push(t.elapsed().as_secs_f64());
        hits.clear();

        for name in phiwatch_analytics::engine::ANALYTICS {
            let config = Config {
                disabled: phiwatch_analytics::engine::ANALYTICS
                    .iter()
                    .filter(|n| **n != name)
                    .map(|n| (*n).to_string())
                    .collect(),
                ..Config::default()
            };
            let mut one = Engine::new(&config, &ctx)?;
            let t = Instant::now();
            for e in &events {
                one.observe(e, &mut hits);
            }
            one.finish(&mut hits);
            per.entry(name).or_default().push(t.elapsed().as_secs_f64());
            hits.clear();
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (l, f) = (median(&mut limit), median(&mut full));
    let ne = events.len() as f64;
    println!(
        "speed: {} events; engine {:.0} events/s ({:.3} s), limit {:.0} events/s ({:.3} s): engine at {:.1}x the limit's time",
        events.len(),
        ne / f,
        f,
        ne / l,
        l,
        f / l
    );
    for (name, v) in per.iter_mut() {
        let s = median(v);
        println!("  {name:<13} {:>12.0} events/s", ne / s);
    }
    Ok(())
}
