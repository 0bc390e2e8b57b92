//! Scanner throughput on ~8 MB of synthetic log text (nginx access lines
//! with identifiers in some query strings, JSON lines with some SSN/NPI/phone
//! values, free-text notes), every detector on, against a `memchr` count of
//! newlines over the same bytes as the limit.
//!
//! `cargo bench -p phiwatch-phi --bench scan`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_phi::{ScanConfig, Scanner};
use std::fmt::Write;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// A synthetic SSN in the valid ranges.
fn ssn(r: &mut Rng) -> String {
    format!(
        "{:03}-{:02}-{:04}",
        100 + r.below(565),
        1 + r.below(98),
        1 + r.below(9998)
    )
}

/// A synthetic NPI with a correct check digit (Luhn over 80840 + 9 digits).
fn npi(r: &mut Rng) -> String {
    let body = format!("1{:08}", r.below(100_000_000));
    let digits: Vec<u32> = format!("80840{body}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let x = if i % 2 == 0 { d * 2 } else { *d };
        sum += if x > 9 { x - 9 } else { x };
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn phone(r: &mut Rng) -> String {
    format!(
        "({}{:02}) {}{:02}-{:04}",
        2 + r.below(8),
        r.below(100),
        2 + r.below(8),
        r.below(100),
        r.below(10000)
    )
}

const PATHS: &[&str] = &[
    "/api/v1/patients",
    "/fhir/Patient",
    "/static/app.js",
    "/login",
    "/api/v1/claims",
    "/images/logo.png",
    "/portal/home",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "curl/8.4.0",
    "python-requests/2.31.0",
];
const NOTES: &[&str] = &[
    "Follow-up visit scheduled; patient reports improvement after medication change.",
    "Discharge summary reviewed by attending physician, no complications noted.",
    "Lab results pending, will call back when available.",
    "Order 48213 shipped via ground, tracking number sent to customer.",
];

fn access_line(r: &mut Rng, s: &mut String) {
    let ip = format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254));
    let path = r.pick(PATHS);
    let query = match r.below(20) {
        0 => format!("?ssn={}", ssn(r)),
        1 => format!("?npi={}", npi(r)),
        2 => format!("?page={}&size=50", r.below(40)),
        3 => format!("?id={}", r.below(10_000_000)),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "{ip} - - [28/Nov/2026:{:02}:{:02}:{:02} +0000] \"GET {path}{query} HTTP/1.1\" {} {} \"-\" \"{}\"",
        r.below(24),
        r.below(60),
        r.below(60),
        r.pick(&["200", "200", "304", "404"]),
        r.below(50_000),
        r.pick(AGENTS)
    );
}

fn json_line(r: &mut Rng, s: &mut String) {
    let extra = match r.below(10) {
        0 => format!(",\"ssn\":\"{}\"", ssn(r)),
        1 => format!(",\"npi\":\"{}\"", npi(r)),
        2 => format!(",\"phone\":\"{}\"", phone(r)),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "{{\"ts\":\"2026-11-28T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"info\",\"service\":\"ehr-api\",\"user\":\"u{}\",\"action\":\"read\",\"resource\":\"Patient\",\"duration_ms\":{},\"status\":200{extra}}}",
        r.below(24),
        r.below(60),
        r.below(60),
        r.below(1000),
        r.below(5000),
        r.below(2000)
    );
}

/// ~`target` bytes of mixed log text.
fn corpus(target: usize) -> String {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(target + 1024);
    while s.len() < target {
        match r.below(10) {
            0..=5 => access_line(&mut r, &mut s),
            6..=8 => json_line(&mut r, &mut s),
            _ => {
                let _ = writeln!(s, "{} {}", r.pick(NOTES), r.pick(NOTES));
            }
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = corpus(8 << 20);
    let scanner = Scanner::new(ScanConfig::default());
    let mut out = Vec::new();
    scanner.scan(&text, None, &mut out);
    eprintln!("corpus {} bytes, {} findings", text.len(), out.len());
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("memchr_newlines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', text.as_bytes()).count())
    });
    g.bench_function("scan_all_types", |b| {
        b.iter(|| {
            out.clear();
            scanner.scan(&text, None, &mut out);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
