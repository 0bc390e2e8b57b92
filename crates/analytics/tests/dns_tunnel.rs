#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The DNS tunnelling analytic over hand-made query streams.

use std::net::IpAddr;

use phiwatch_analytics::dns_tunnel::{Config, DnsTunnel};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

const T0: i64 = 1_793_656_500;

/// A deterministic pseudo-random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn base32(&mut self, n: usize) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
        (0..n)
            .map(|_| char::from(A[(self.next() % 32) as usize]))
            .collect()
    }
}

/// A DNS query event at `ms` milliseconds after T0.
fn query(ms: i64, client: &str, name: &str, qtype: &str, line: u64) -> Event {
    let mut ev = Event::new(Timestamp::from_millis(T0 * 1000 + ms).unwrap());
    ev.set_origin(Origin {
        line,
        ..Origin::default()
    });
    ev.push_norm(
        keys::SOURCE_IP,
        Value::Ip(client.parse::<IpAddr>().unwrap()),
    );
    ev.push_norm_str(keys::DNS_QUESTION_NAME, name);
    ev.push_norm_str(keys::DNS_QUESTION_TYPE, qtype);
    ev
}

fn run(a: &mut DnsTunnel, events: &[Event]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for ev in events {
        a.observe(ev, &mut hits);
    }
    a.finish(&mut hits);
    hits
}

fn run_default(events: &[Event]) -> Vec<AnalyticHit> {
    run(&mut DnsTunnel::new(Config::default()), events)
}

/// `n` queries of random base32 subdomains (`label_len` chars) under
/// `t.<domain>`, evenly over `secs` seconds from `start_ms`.
fn tunnel(
    rng: &mut Rng,
    start_ms: i64,
    n: i64,
    secs: i64,
    label_len: usize,
    qtype: &str,
) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let name = format!("{}.t.exfil-tunnel.test", rng.base32(label_len));
            let ms = start_ms + i * secs * 1000 / n;
            query(ms, "10.0.1.30", &name, qtype, i as u64 + 1)
        })
        .collect()
}

/// Office browsing: 20 clients, 40 domains with a handful of hostnames
/// each, and a CDN with `img1`..`img80`, over two hours.
fn browsing(rng: &mut Rng) -> Vec<Event> {
    let hosts = ["www", "api", "mail", "login", "static", "cdn"];
    let mut evs = Vec::new();
    for i in 0..4000i64 {
        let client = format!("10.1.0.{}", 10 + rng.next() % 20);
        let name = if i % 3 == 0 {
            format!("img{}.cdn.assets-example.com", 1 + rng.next() % 80)
        } else {
            let h = hosts[(rng.next() % 6) as usize];
            format!("{h}.site{}.example.org", rng.next() % 40)
        };
        evs.push(query(i * 1800, &client, &name, "A", i as u64 + 1));
    }
    evs
}

#[test]
fn random_base32_tunnel_gives_one_hit_with_its_metrics() {
    let mut rng = Rng(7);
    let evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    let hits = run_default(&evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "dns-tunnel");
    assert_eq!(h.group["domain"], "exfil-tunnel.test");
    assert_eq!(h.group["client"], "10.0.1.30");
    assert_eq!(h.entity.ip.as_deref(), Some("10.0.1.30"));
    assert_eq!(h.time, evs[0].time());
    assert_eq!(h.end_time, evs[199].time());
    let m = &h.metrics;
    assert_eq!(m["queries"], 200.0);
    assert_eq!(m["distinct_subdomains"], 200.0);
    assert_eq!(m["max_label_len"], 52.0);
    assert_eq!(m["mean_subdomain_len"], 54.0); // 52 + ".t"
    assert!(m["mean_entropy"] > 4.2, "{}", m["mean_entropy"]);
    // Each name is 52 + 20 bytes ("<label>.t.exfil-tunnel.test").
    assert_eq!(m["bytes_out"], 200.0 * 72.0);
    assert_eq!(m["txt_share"], 0.0);
    assert_eq!(m["by_names"], 1.0);
    assert_eq!(m["by_txt"], 0.0);
    assert_eq!(m["min_distinct"], 50.0);
    assert_eq!(m["min_entropy"], 3.5);
    assert_eq!(h.level, Level::High);
    assert_eq!(h.evidence.len(), 5);
    assert_eq!(h.evidence[0].0.line, 1);
    for t in [
        "attack.exfiltration",
        "attack.t1048",
        "attack.command-and-control",
        "attack.t1071.004",
    ] {
        assert!(h.tags.iter().any(|x| x == t), "{t}");
    }
}

#[test]
fn a_large_tunnel_is_critical() {
    let mut rng = Rng(8);
    // 1500 queries of 83 bytes: 124 500 bytes out.
    let hits = run_default(&tunnel(&mut rng, 0, 1500, 1800, 63, "A"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].level, Level::Critical);
    assert!(hits[0].metrics["bytes_out"] > 100_000.0);
}

#[test]
fn normal_browsing_and_a_cdn_give_nothing() {
    let mut rng = Rng(9);
    let hits = run_default(&browsing(&mut rng));
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn txt_heavy_tunnel_is_caught_on_the_txt_path() {
    let mut rng = Rng(10);
    // Short names (below the entropy/length thresholds on their own and
    // too few to reach min_distinct), all TXT.
    let evs = tunnel(&mut rng, 0, 40, 600, 4, "TXT");
    let hits = run_default(&evs);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["by_txt"], 1.0);
    assert_eq!(hits[0].metrics["by_names"], 0.0);
    assert_eq!(hits[0].metrics["txt_share"], 1.0);
    // The same names as A queries are not enough.
    let mut rng = Rng(10);
    assert!(run_default(&tunnel(&mut rng, 0, 40, 600, 4, "A")).is_empty());
}

#[test]
fn polling_one_txt_record_is_not_a_tunnel() {
    let evs: Vec<Event> = (0..100)
        .map(|i| query(i * 30_000, "10.1.0.5", "_config.vendor.example", "TXT", 1))
        .collect();
    assert!(run_default(&evs).is_empty());
}

#[test]
fn allowlisted_domain_gives_nothing() {
    let mut rng = Rng(7);
    let evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    let mut a = DnsTunnel::new(Config {
        allowlist: vec!["exfil-tunnel.test".into()],
        ..Config::default()
    });
    assert!(run(&mut a, &evs).is_empty());
    assert_eq!(a.entities(), 0);
}

#[test]
fn below_the_floor_gives_nothing() {
    let mut rng = Rng(7);
    let evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    let mut a = DnsTunnel::new(Config {
        min_queries: 201,
        ..Config::default()
    });
    assert!(run(&mut a, &evs).is_empty());
    // 49 random names: under min_distinct.
    let mut rng = Rng(7);
    assert!(run_default(&tunnel(&mut rng, 0, 49, 600, 52, "A")).is_empty());
}

#[test]
fn a_slow_tunnel_spread_past_the_window_is_not_caught() {
    // 100 names over 3 hours: never 50 in one hour.
    let mut rng = Rng(11);
    assert!(run_default(&tunnel(&mut rng, 0, 100, 3 * 3600, 52, "A")).is_empty());
}

#[test]
fn one_hit_per_burst_and_a_new_one_after_a_quiet_window() {
    let mut rng = Rng(12);
    let mut evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    // Resumes 30 minutes later: same burst.
    evs.extend(tunnel(&mut rng, 2_400_000, 200, 600, 52, "A"));
    let hits = run_default(&evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["queries"], 400.0);
    // Resumes 3 hours after the end: a second burst, reported as soon as
    // the pair is seen again after the quiet time.
    let mut rng = Rng(12);
    let mut evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    evs.extend(tunnel(&mut rng, 3 * 3_600_000, 200, 600, 52, "A"));
    let mut a = DnsTunnel::new(Config::default());
    let mut hits = Vec::new();
    for ev in &evs {
        a.observe(ev, &mut hits);
    }
    assert_eq!(hits.len(), 1, "first burst reported before the end");
    a.finish(&mut hits);
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.metrics["queries"] == 200.0));
}

#[test]
fn out_of_order_and_a_clock_jump_back_do_not_panic() {
    let mut rng = Rng(13);
    let mut evs = tunnel(&mut rng, 0, 200, 600, 52, "A");
    // Shuffle within the stream (deterministically).
    for i in (1..evs.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        evs.swap(i, j);
    }
    let hits = run_default(&evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["queries"], 200.0);
    // Far earlier than the first event ever: counted in the oldest slot.
    let mut evs = tunnel(&mut rng, 0, 100, 600, 52, "A");
    evs.extend(tunnel(&mut rng, -40 * 86_400_000, 100, 600, 52, "A"));
    evs.push(query(
        i64::MIN / 2_000_000,
        "10.0.1.30",
        "x.exfil-tunnel.test",
        "A",
        0,
    ));
    let hits = run_default(&evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].metrics["queries"], 201.0);
}

#[test]
fn eviction_at_capacity_is_counted() {
    let mut a = DnsTunnel::new(Config {
        capacity: 10,
        ..Config::default()
    });
    let evs: Vec<Event> = (0..25)
        .map(|i| query(i * 1000, "10.1.0.5", &format!("www.d{i}.example"), "A", 1))
        .collect();
    let _ = run(&mut a, &evs);
    assert_eq!(a.entities(), 10);
    assert_eq!(a.evicted(), 15);
    assert!(a.memory_bytes() > 10 * 100);
}

#[test]
fn save_and_restore_mid_stream_gives_the_same_hits() {
    let mut rng = Rng(14);
    let mut evs = browsing(&mut rng);
    let t1 = tunnel(&mut rng, 600_000, 300, 1200, 40, "A");
    let t2 = tunnel(&mut rng, 5 * 3_600_000, 100, 900, 20, "TXT");
    evs.extend(t1);
    evs.extend(t2);
    evs.sort_by_key(|e| e.time());
    let whole = run_default(&evs);
    assert_eq!(whole.len(), 2, "{whole:#?}");

    let half = evs.len() / 2;
    let mut first = DnsTunnel::new(Config::default());
    let mut hits = Vec::new();
    for ev in &evs[..half] {
        first.observe(ev, &mut hits);
    }
    let saved = first.save();
    let text = serde_json::to_string(&saved).unwrap();
    let mut second = DnsTunnel::new(Config::default());
    second
        .restore(&serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(second.entities(), first.entities());
    for ev in &evs[half..] {
        second.observe(ev, &mut hits);
    }
    second.finish(&mut hits);
    assert_eq!(hits, whole);
}

#[test]
fn restore_rejects_foreign_or_mismatched_state() {
    let mut a = DnsTunnel::new(Config::default());
    assert!(a.restore(&serde_json::json!({"x": 1})).is_err());
    let other = DnsTunnel::new(Config {
        window_secs: 600,
        ..Config::default()
    });
    let err = a.restore(&other.save()).unwrap_err();
    assert!(err.to_string().contains("600"), "{err}");
    assert!(a.restore(&DnsTunnel::new(Config::default()).save()).is_ok());
}

#[test]
fn reverse_lookups_are_skipped() {
    let evs: Vec<Event> = (0..200u64)
        .map(|i| {
            let nibbles: String = format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .chars()
                .rev()
                .flat_map(|c| [c, '.'])
                .collect();
            query(
                i as i64 * 1000,
                "10.0.1.25",
                &format!("{nibbles}ip6.arpa"),
                "PTR",
                1,
            )
        })
        .collect();
    assert!(run_default(&evs).is_empty());
    let mut a = DnsTunnel::new(Config {
        skip_reverse: false,
        ..Config::default()
    });
    assert_eq!(run(&mut a, &evs).len(), 1);
}

#[test]
fn only_datasets_that_can_hold_queries_are_wanted() {
    let a = DnsTunnel::new(Config::default());
    assert!(a.wants("zeek.dns") && a.wants("suricata.dns") && a.wants("windows.sysmon"));
    // phiwatch's own datasets without DNS questions are passed over...
    assert!(!a.wants("web.access") && !a.wants("zeek.conn") && !a.wants("fhir.audit"));
    // ...but a dataset it does not know may carry anything.
    assert!(a.wants("json") && a.wants("") && a.wants("corp.resolver"));
}

#[test]
fn a_pair_that_queried_once_is_small() {
    let mut a = DnsTunnel::new(Config::default());
    let mut hits = Vec::new();
    for i in 0..20_000u32 {
        let mut ev = Event::new(Timestamp::from_secs(T0).unwrap());
        let ip = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
        ev.push_norm_str(keys::DNS_QUESTION_NAME, "www.example.com");
        a.observe(&ev, &mut hits);
    }
    let per = a.memory_bytes() / a.entities();
    // Slot, index, key, one time slot with one evidence record, one hash.
    assert!(per < 400, "{per} bytes per pair");
}
