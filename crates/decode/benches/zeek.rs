//! Zeek decoding throughput: ~10k realistic conn records as TSV and as the
//! equivalent JSON, generated deterministically in memory, against the floor
//! of merely finding the line ends with `memchr`.
//!
//! `cargo bench -p phiwatch-decode --bench zeek -- --warm-up-time 1 --measurement-time 3`
//! reports elements/s, where an element is one line.

#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_decode::Format;

mod common;
use common::{decode_all, Rng};

const RECORDS: usize = 10_000;

const FIELDS: &str =
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t\
    orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\t\
    orig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\tcommunity_id";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t\
    string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\tstring";

struct Conn {
    ts: String,
    uid: String,
    orig_h: String,
    orig_p: u64,
    resp_h: String,
    resp_p: u64,
    proto: &'static str,
    service: Option<&'static str>,
    duration: Option<String>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    conn_state: &'static str,
    local_orig: bool,
    local_resp: bool,
    history: &'static str,
    orig_pkts: u64,
    orig_ip_bytes: u64,
    resp_pkts: u64,
    resp_ip_bytes: u64,
    tunnel_parents: Option<String>,
    ip_proto: u64,
    community_id: String,
}

fn records() -> Vec<Conn> {
    const UID: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ts_us: u64 = 1_588_205_199_824_370;
    (0..RECORDS)
        .map(|_| {
            ts_us += r.below(20_000);
            let (proto, resp_p, service, ip_proto) = match r.below(10) {
                0..=3 => ("tcp", 443, Some("ssl"), 6),
                4 => ("tcp", 80, Some("http"), 6),
                5 => ("tcp", 445, Some("smb,gssapi"), 6),
                6..=7 => ("udp", 53, Some("dns"), 17),
                8 => ("tcp", 1024 + r.below(60_000), None, 6),
                _ => ("icmp", 8, None, 1),
            };
            let established = r.below(4) != 0;
            let uid: String = std::iter::once('C')
                .chain((0..17).map(|_| UID[r.below(UID.len() as u64) as usize] as char))
                .collect();
            let v6 = r.below(20) == 0;
            let orig_h = if v6 {
                format!("fe80::{:x}:{:x}", r.below(65_536), r.below(65_536))
            } else {
                format!("10.0.{}.{}", r.below(4), 1 + r.below(254))
            };
            let resp_h = if v6 {
                format!("2001:db8::{:x}", r.below(65_536))
            } else {
                format!(
                    "{}.{}.{}.{}",
                    1 + r.below(223),
                    r.below(256),
                    r.below(256),
                    1 + r.below(254)
                )
            };
            let orig_pkts = 1 + r.below(40);
            let resp_pkts = if established { 1 + r.below(60) } else { 0 };
            Conn {
                ts: format!("{}.{:06}", ts_us / 1_000_000, ts_us % 1_000_000),
                uid,
                orig_h,
                orig_p: 49_152 + r.below(16_384),
                resp_h,
                resp_p,
                proto,
                service: if established { service } else { None },
                duration: established
                    .then(|| format!("{}.{:06}", r.below(120), r.below(1_000_000))),
                orig_bytes: established.then(|| r.below(100_000)),
                resp_bytes: established.then(|| r.below(5_000_000)),
                conn_state: if established { "SF" } else { "S0" },
                local_orig: true,
                local_resp: r.below(3) == 0,
                history: if established { "ShADadFf" } else { "S" },
                orig_pkts,
                orig_ip_bytes: orig_pkts * 52 + r.below(100_000),
                resp_pkts,
                resp_ip_bytes: resp_pkts * 52 + r.below(5_000_000),
                tunnel_parents: (r.below(50) == 0).then(|| "CmES5u32sYpV7JYN".to_string()),
                ip_proto,
                community_id: format!("1:{:016x}{:012x}=", r.next(), r.below(1 << 48)),
            }
        })
        .collect()
}

fn tsv(recs: &[Conn]) -> Vec<u8> {
    let mut s = String::with_capacity(recs.len() * 260);
    s.push_str("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n");
    s.push_str("#path\tconn\n#open\t2020-04-30-00-00-00\n");
    let _ = writeln!(s, "#fields\t{FIELDS}\n#types\t{TYPES}");
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
    let tf = |b: bool| if b { "T" } else { "F" };
    for c in recs {
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t0\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.ts,
            c.uid,
            c.orig_h,
            c.orig_p,
            c.resp_h,
            c.resp_p,
            c.proto,
            c.service.unwrap_or("-"),
            c.duration.as_deref().unwrap_or("-"),
            opt(c.orig_bytes),
            opt(c.resp_bytes),
            c.conn_state,
            tf(c.local_orig),
            tf(c.local_resp),
            c.history,
            c.orig_pkts,
            c.orig_ip_bytes,
            c.resp_pkts,
            c.resp_ip_bytes,
            c.tunnel_parents.as_deref().unwrap_or("-"),
            c.ip_proto,
            c.community_id,
        );
    }
    s.push_str("#close\t2020-04-30-01-00-00\n");
    s.into_bytes()
}

/// The JSON Zeek writes for the same records: unset fields left out.
fn json(recs: &[Conn]) -> Vec<u8> {
    let mut s = String::with_capacity(recs.len() * 480);
    for c in recs {
        let _ = write!(
            s,
            "{{\"_path\":\"conn\",\"ts\":{},\"uid\":\"{}\",\"id.orig_h\":\"{}\",\"id.orig_p\":{},\
             \"id.resp_h\":\"{}\",\"id.resp_p\":{},\"proto\":\"{}\"",
            c.ts, c.uid, c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.proto
        );
        if let Some(v) = c.service {
            let _ = write!(s, ",\"service\":\"{v}\"");
        }
        if let Some(v) = &c.duration {
            let _ = write!(s, ",\"duration\":{v}");
        }
        if let Some(v) = c.orig_bytes {
            let _ = write!(s, ",\"orig_bytes\":{v}");
        }
        if let Some(v) = c.resp_bytes {
            let _ = write!(s, ",\"resp_bytes\":{v}");
        }
        let _ = write!(
            s,
            ",\"conn_state\":\"{}\",\"local_orig\":{},\"local_resp\":{},\"missed_bytes\":0,\
             \"history\":\"{}\",\"orig_pkts\":{},\"orig_ip_bytes\":{},\"resp_pkts\":{},\
             \"resp_ip_bytes\":{}",
            c.conn_state,
            c.local_orig,
            c.local_resp,
            c.history,
            c.orig_pkts,
            c.orig_ip_bytes,
            c.resp_pkts,
            c.resp_ip_bytes
        );
        if let Some(v) = &c.tunnel_parents {
            let _ = write!(s, ",\"tunnel_parents\":[\"{v}\"]");
        }
        let _ = writeln!(
            s,
            ",\"ip_proto\":{},\"community_id\":\"{}\"}}",
            c.ip_proto, c.community_id
        );
    }
    s.into_bytes()
}

/// Decodes every line; returns the number of events, to check the input.
fn bench(c: &mut Criterion) {
    let recs = records();
    let tsv = tsv(&recs);
    let json = json(&recs);
    assert_eq!(
        decode_all(Format::ZeekTsv, &tsv),
        RECORDS,
        "every TSV record decodes"
    );
    assert_eq!(
        decode_all(Format::ZeekJson, &json),
        RECORDS,
        "every JSON record decodes"
    );
    let tsv_lines = memchr::memchr_iter(b'\n', &tsv).count() as u64;
    let json_lines = memchr::memchr_iter(b'\n', &json).count() as u64;

    let mut g = c.benchmark_group("zeek");
    g.throughput(Throughput::Elements(tsv_lines));
    g.bench_function("tsv_conn_decode", |b| {
        b.iter(|| decode_all(Format::ZeekTsv, black_box(&tsv)))
    });
    g.bench_function("tsv_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&tsv)).count())
    });
    g.throughput(Throughput::Elements(json_lines));
    g.bench_function("json_conn_decode", |b| {
        b.iter(|| decode_all(Format::ZeekJson, black_box(&json)))
    });
    g.bench_function("json_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&json)).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
