//! `phiwatch-analytics-bench`: the analytics engine's memory per entity and
//! its speed.
//!
//! 1. **Memory.** Takes one real event per kind of log from a generated
//!    hospital (connections out and inside, DNS, TLS, database audit, FHIR,
//!    web access, identity provider, CloudTrail S3: the first of each kind,
//!    reading one file at a time), then makes `N` copies of each with the
//!    internal addresses and user names replaced by the `i`th synthetic
//!    ones, and feeds them all to every analytic: `N` entities per kind of
//!    log. This runs in a child process of its own (`--memory-of all`) with
//!    mimalloc told to give freed memory back at once
//!    (`MIMALLOC_PURGE_DELAY=0`), so that its resident memory is the
//!    analytics' and nothing else's. Prints, per analytic, the entities it
//!    tracks, the bytes it reports (`memory_bytes`) and bytes per entity,
//!    and the process's resident memory growth. With `--each`, every
//!    analytic is also fed alone in a child of its own (`--memory-of
//!    NAME`), so that the resident memory it takes can be set against the
//!    bytes it reports (`rep/res`).
//! 2. **Speed.** Replays the hospital's events (time order) through the
//!    whole engine, median of `RUNS`, against a pass that reads each event's
//!    time and source address (the limit) in the same process; then each
//!    analytic alone in an engine of its own (its rate includes the
//!    engine's routing and the first read of each event).
//!
//! Usage: `phiwatch-analytics-bench [--each] [--no-memory] [--no-speed]
//! [--only NAME|engine] [N] [RUNS] [CORPUS_DIR]` (defaults 1 000 000, 3, a
//! 1-day small vendor-compromise corpus generated into a temporary
//! directory). `--only NAME` times that analytic alone and `--only engine`
//! the whole engine alone (for profiling).
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

fn text(ev: &Event, k: phiwatch_event::Key) -> &str {
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

/// What each template is, and how it is recognized.
type Pick = (&'static str, fn(&Event) -> bool);

/// The kinds of log, one template each.
const PICKS: [Pick; 10] = [
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
        let ds = text(e, keys::EVENT_DATASET);
        ds == "web.access" || ds.starts_with("nginx") || text(e, keys::EVENT_MODULE) == "nginx"
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

/// One template per kind of log: the first event of each kind in the
/// hospital's files, read one file at a time (in name order) until every
/// kind is found, so that little memory is taken before measuring.
fn templates(files: &[PathBuf]) -> Vec<Template> {
    let mut found: Vec<Option<Template>> = PICKS.iter().map(|_| None).collect();
    for f in files {
        let events = read_events(std::slice::from_ref(f));
        for ((what, pick), slot) in PICKS.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                *slot = events
                    .iter()
                    .find(|e| pick(e))
                    .map(|e| Template::new(what, e));
            }
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    found.into_iter().flatten().collect()
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

/// Feeds `n` entities per template to `engine`; the events fed.
fn feed(engine: &mut Engine, tpl: &[Template], n: u32) -> u64 {
    let mut hits = Vec::new();
    let mut fed = 0u64;
    for i in 0..n {
        for tp in tpl {
            engine.observe(&tp.variant(i), &mut hits);
            fed += 1;
        }
        hits.clear();
    }
    fed
}

fn per_entity(bytes: f64, entities: usize) -> f64 {
    if entities > 0 {
        bytes / entities as f64
    } else {
        0.0
    }
}

/// `--memory-of NAME` (or `all`): the analytic alone (or every one) in a
/// process of its own, so that the resident memory it takes is its own.
/// Prints a `MEMORY name entities bytes` line per analytic and a
/// `RESIDENT bytes` line for the parent.
fn memory_child(name: &str, n: u32, tpl: &[Template], ctx: &Context) -> anyhow::Result<()> {
    let config = Config {
        disabled: phiwatch_analytics::engine::ANALYTICS
            .iter()
            .filter(|a| name != "all" && **a != name)
            .map(|a| (*a).to_string())
            .collect(),
        ..Config::default()
    };
    let rss0 = rss_bytes();
    let mut engine = Engine::new(&config, ctx)?;
    feed(&mut engine, tpl, n);
    let rss1 = rss_bytes();
    for m in engine.memory() {
        println!("MEMORY {} {} {}", m.analytic, m.entities, m.bytes);
    }
    println!("RESIDENT {}", rss1.saturating_sub(rss0));
    Ok(())
}

/// Per analytic (name, entities, bytes reported), and resident bytes.
type Measured = (Vec<(String, usize, f64)>, f64);

/// What a memory child reported.
fn run_child(name: &str, n: u32, dir: &std::path::Path) -> anyhow::Result<Measured> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--memory-of")
        .arg(name)
        .arg(n.to_string())
        .arg("1")
        .arg(dir)
        // Freed memory goes back to the system at once, so that the memory
        // read to find the templates does not hide the analytics' own.
        .env("MIMALLOC_PURGE_DELAY", "0")
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = Vec::new();
    let mut resident = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
        match f.first() {
            Some(&"MEMORY") => rows.push((
                f.get(1).map_or_else(String::new, |s| (*s).to_string()),
                num(2) as usize,
                num(3),
            )),
            Some(&"RESIDENT") => resident = Some(num(1)),
            _ => {}
        }
    }
    let Some(resident) = resident else {
        anyhow::bail!(
            "{name}: no RESIDENT line: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Ok((rows, resident))
}

/// Memory per entity: every analytic together in a child process, and
/// with `each` every analytic alone in one too.
fn memory(n: u32, tpl: &[Template], dir: &std::path::Path, each: bool) -> anyhow::Result<()> {
    println!(
        "memory: {n} entities per kind of log, from {} templates ({})",
        tpl.len(),
        tpl.iter().map(|t| t.what).collect::<Vec<_>>().join(", ")
    );
    let (rows, resident) = run_child("all", n, dir)?;
    print!(
        "  {:<13} {:>9} {:>10} {:>9}",
        "analytic", "entities", "reported", "B/entity"
    );
    if each {
        print!(" {:>10} {:>9} {:>8}", "resident", "B/entity", "rep/res");
    }
    println!();
    let mut total = 0.0;
    for (name, entities, bytes) in &rows {
        total += bytes;
        print!(
            "  {name:<13} {entities:>9} {:>8.1}MB {:>9.0}",
            bytes / 1e6,
            per_entity(*bytes, *entities)
        );
        if each {
            let (_, alone) = run_child(name, n, dir)?;
            print!(
                " {:>8.1}MB {:>9.0} {:>8.2}",
                alone / 1e6,
                per_entity(alone, *entities),
                if alone > 0.0 { bytes / alone } else { 0.0 }
            );
        }
        println!();
    }
    println!(
        "  all: {:.1} MB reported, resident memory +{:.1} MB (reported/resident {:.2})",
        total / 1e6,
        resident / 1e6,
        if resident > 0.0 {
            total / resident
        } else {
            0.0
        }
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut pos: Vec<String> = Vec::new();
    let mut each = false;
    let mut memory = true;
    let mut speed = true;
    let mut child: Option<String> = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--each" => each = true,
            "--no-memory" => memory = false,
            "--no-speed" => speed = false,
            "--memory-of" => child = args.next(),
            "--only" => only = args.next(),
            _ => pos.push(a),
        }
    }
    let mut pos = pos.into_iter();
    let n: u32 = pos.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = pos.next().map_or(Ok(3), |s| s.parse())?;
    let (dir, _keep) = corpus(pos.next())?;
    let files = files_under(&dir.join("logs"))?;
    let ctx = Context {
        internal: vec!["10.0.0.0/8".parse().map_err(|e| anyhow::anyhow!("{e}"))?],
        ..Context::default()
    };
    let tpl = templates(&files);
    if let Some(name) = child {
        return memory_child(&name, n, &tpl, &ctx);
    }

    // 1. Memory per entity.
    if memory {
        self::memory(n, &tpl, &dir, each)?;
    }

    // 2. Speed over the hospital's events.
    if !speed {
        return Ok(());
    }
    let events = read_events(&files);
    anyhow::ensure!(!events.is_empty(), "no events under {}", dir.display());
    let mut hits = Vec::new();
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

        if only.as_deref().is_none_or(|o| o == "engine") {
            let mut engine = Engine::new(&Config::default(), &ctx)?;
            let t = Instant::now();
            for e in &events {
                engine.observe(e, &mut hits);
            }
            engine.finish(&mut hits);
            full.push(t.elapsed().as_secs_f64());
            hits.clear();
        }

        for name in phiwatch_analytics::engine::ANALYTICS {
            if only.as_ref().is_some_and(|o| o != name) {
                continue;
            }
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
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let (l, f) = (median(&mut limit), median(&mut full));
    let ne = events.len() as f64;
    // Each analytic's time is the engine's with it alone: the limit's
    // reading of the events included.
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
