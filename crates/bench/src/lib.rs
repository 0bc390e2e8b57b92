//! Benchmark corpora: deterministic synthetic logs of the shapes phiwatch
//! reads, for throughput measurements. (The synthetic-hospital generator
//! will supersede these for realistic content; these exist to time parsers.)
//!
//! ```
//! let tsv = phiwatch_bench::zeek_conn_tsv(3, 42);
//! assert_eq!(tsv.lines().filter(|l| !l.starts_with('#')).count(), 3);
//! ```

use std::fmt::Write;

pub mod measure;

/// The deterministic generator shared with the synthetic hospital.
pub use phiwatch_synth::Rng;

struct Conn {
    ts: f64,
    uid: String,
    orig: String,
    orig_p: u64,
    resp: String,
    resp_p: u64,
    proto: &'static str,
    service: &'static str,
    duration: f64,
    orig_bytes: u64,
    resp_bytes: u64,
    state: &'static str,
    history: &'static str,
    orig_pkts: u64,
    resp_pkts: u64,
}

fn conns(n: usize, seed: u64) -> impl Iterator<Item = Conn> {
    let mut rng = Rng::new(seed);
    let mut ts = 1_700_000_000.0f64;
    const SERVICES: [(&str, &str, u64); 5] = [
        ("tcp", "ssl", 443),
        ("udp", "dns", 53),
        ("tcp", "http", 80),
        ("tcp", "-", 5432),
        ("tcp", "ssh", 22),
    ];
    (0..n).map(move |_| {
        ts += rng.below(20_000) as f64 / 1_000_000.0;
        let (proto, service, port) = SERVICES[rng.below(5) as usize];
        let uid: String = (0..17)
            .map(|_| {
                let c = rng.below(62) as u8;
                (match c {
                    0..=9 => b'0' + c,
                    10..=35 => b'a' + c - 10,
                    _ => b'A' + c - 36,
                }) as char
            })
            .collect();
        Conn {
            ts,
            uid: format!("C{uid}"),
            orig: format!(
                "10.{}.{}.{}",
                rng.below(4),
                rng.below(256),
                rng.below(254) + 1
            ),
            orig_p: 1024 + rng.below(64000),
            resp: format!(
                "{}.{}.{}.{}",
                23 + rng.below(180),
                rng.below(256),
                rng.below(256),
                rng.below(254) + 1
            ),
            resp_p: port,
            proto,
            service,
            duration: rng.below(5_000_000) as f64 / 1_000_000.0,
            orig_bytes: rng.below(100_000),
            resp_bytes: rng.below(2_000_000),
            state: ["SF", "S0", "REJ", "RSTO", "SH"][rng.below(5) as usize],
            history: ["ShADadFf", "S", "ShR", "ShADadfR", "D"][rng.below(5) as usize],
            orig_pkts: rng.below(500),
            resp_pkts: rng.below(2000),
        }
    })
}

const CONN_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
const CONN_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";

/// `n` Zeek conn.log records in TSV with a full header.
pub fn zeek_conn_tsv(n: usize, seed: u64) -> String {
    let mut s = String::with_capacity(n * 200 + 512);
    s.push_str("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-13-20\n");
    let _ = writeln!(s, "#fields\t{CONN_FIELDS}\n#types\t{CONN_TYPES}");
    for c in conns(n, seed) {
        let _ = writeln!(
            s,
            "{:.6}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6}\t{}\t{}\t{}\tT\tF\t0\t{}\t{}\t{}\t{}\t{}\t(empty)",
            c.ts, c.uid, c.orig, c.orig_p, c.resp, c.resp_p, c.proto, c.service, c.duration,
            c.orig_bytes, c.resp_bytes, c.state, c.history, c.orig_pkts, c.orig_bytes + 40 * c.orig_pkts,
            c.resp_pkts, c.resp_bytes + 40 * c.resp_pkts
        );
    }
    s.push_str("#close\t2023-11-14-23-00-00\n");
    s
}

/// The same records as Zeek JSON lines.
pub fn zeek_conn_json(n: usize, seed: u64) -> String {
    let mut s = String::with_capacity(n * 380);
    for c in conns(n, seed) {
        let service = if c.service == "-" {
            String::new()
        } else {
            format!(",\"service\":\"{}\"", c.service)
        };
        let _ = writeln!(
            s,
            "{{\"ts\":{:.6},\"uid\":\"{}\",\"id.orig_h\":\"{}\",\"id.orig_p\":{},\"id.resp_h\":\"{}\",\"id.resp_p\":{},\"proto\":\"{}\"{service},\"duration\":{:.6},\"orig_bytes\":{},\"resp_bytes\":{},\"conn_state\":\"{}\",\"local_orig\":true,\"local_resp\":false,\"missed_bytes\":0,\"history\":\"{}\",\"orig_pkts\":{},\"orig_ip_bytes\":{},\"resp_pkts\":{},\"resp_ip_bytes\":{}}}",
            c.ts, c.uid, c.orig, c.orig_p, c.resp, c.resp_p, c.proto, c.duration, c.orig_bytes,
            c.resp_bytes, c.state, c.history, c.orig_pkts, c.orig_bytes + 40 * c.orig_pkts,
            c.resp_pkts, c.resp_bytes + 40 * c.resp_pkts
        );
    }
    s
}

/// `n` pgAudit records in a PostgreSQL stderr log (Debian's prefix), with
/// sessions opening and closing and a multi-line statement now and then.
pub fn pgaudit_log(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(n * 160);
    let tables = [
        "ehr.patients",
        "ehr.encounters",
        "ehr.notes",
        "billing.claims",
    ];
    let users = ["app_ehr", "billing_svc", "report_ro", "acme_vendor"];
    let mut secs = 1_772_438_400u64; // 2026-03-02
    let mut pid = 4000;
    for i in 0..n {
        if i % 50 == 0 {
            pid += 1;
            let _ = writeln!(
                s,
                "{} UTC [{pid}] [unknown]@[unknown] LOG:  connection received: host=10.20.{}.{} port={}",
                pg_time(secs, i),
                rng.below(250),
                rng.below(250) + 1,
                1024 + rng.below(60000)
            );
            let user = users[rng.below(4) as usize];
            let _ = writeln!(
                s,
                "{} UTC [{pid}] {user}@ehr LOG:  connection authorized: user={user} database=ehr application_name=psql",
                pg_time(secs, i)
            );
        }
        secs += rng.below(3);
        let table = tables[rng.below(4) as usize];
        let rows = rng.below(5000);
        let user = users[(pid % 4) as usize];
        if i % 10 == 0 {
            let _ = writeln!(
                s,
                "{} UTC [{pid}] {user}@ehr LOG:  AUDIT: SESSION,{i},1,READ,SELECT,TABLE,{table},\"SELECT id, family_name, birth_date\n\t  FROM {table}\n\t WHERE id > {rows}\",<not logged>,{rows}",
                pg_time(secs, i)
            );
        } else {
            let _ = writeln!(
                s,
                "{} UTC [{pid}] {user}@ehr LOG:  AUDIT: SESSION,{i},1,READ,SELECT,TABLE,{table},SELECT * FROM {table} WHERE id = $1,<not logged>,{rows}",
                pg_time(secs, i)
            );
        }
    }
    s
}

fn pg_time(secs: u64, i: usize) -> String {
    let t = phiwatch_event::Timestamp::from_secs(secs as i64)
        .unwrap_or_default()
        .to_rfc3339();
    // 2026-03-02T00:00:00.000000Z → 2026-03-02 00:00:00.mmm
    format!("{} {}.{:03}", &t[..10], &t[11..19], i % 1000)
}

/// `n` FHIR R4 AuditEvents as NDJSON: reads and searches of patients by
/// clinicians, and now and then a bulk `$export` by a client application.
pub fn fhir_audit_ndjson(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(n * 700);
    let mut secs = 1_793_577_600i64; // 2026-11-02
    for i in 0..n {
        secs += rng.below(5) as i64;
        let t = phiwatch_event::Timestamp::from_secs(secs)
            .unwrap_or_default()
            .to_rfc3339();
        let patient = rng.below(100_000);
        let (code, action) = match rng.below(20) {
            0 => ("$export", "E"),
            1..=8 => ("search-type", "E"),
            _ => ("read", "R"),
        };
        let _ = writeln!(
            s,
            "{{\"resourceType\":\"AuditEvent\",\"id\":\"ae-{i}\",\"type\":{{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"}},\"subtype\":[{{\"system\":\"http://hl7.org/fhir/restful-interaction\",\"code\":\"{code}\"}}],\"action\":\"{action}\",\"recorded\":\"{t}\",\"outcome\":\"0\",\"agent\":[{{\"type\":{{\"coding\":[{{\"code\":\"humanuser\"}}]}},\"who\":{{\"identifier\":{{\"value\":\"u-{}\"}},\"display\":\"clinician.{}\"}},\"requestor\":true,\"network\":{{\"address\":\"10.20.{}.{}\",\"type\":\"2\"}}}}],\"source\":{{\"site\":\"ehr-prod\",\"observer\":{{\"display\":\"Example EHR FHIR API\"}}}},\"entity\":[{{\"what\":{{\"reference\":\"Patient/pt-{patient}\"}},\"type\":{{\"code\":\"1\"}},\"role\":{{\"code\":\"1\"}}}}]}}",
            rng.below(500),
            rng.below(500),
            rng.below(250),
            rng.below(250) + 1
        );
    }
    s
}
