//! Unlabeled log text for throughput measurements: web access lines (a
//! client IP in each, an SSN or NPI in some query strings), JSON application
//! lines (an SSN, NPI or phone number in some) and free-text notes, mixed
//! 6:3:1 — what `phiwatch scan` meets in a log directory, with every
//! detector on.

use std::fmt::Write;

use super::ids::{self, PhoneFmt};
use super::SplitMix64 as Rng;

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

/// About `target` bytes (whole lines) of mixed log text, the same for the
/// same `seed`.
pub fn mixed_logs(seed: u64, target: usize) -> String {
    let mut r = Rng::new(seed);
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

fn access_line(r: &mut Rng, s: &mut String) {
    let ip = format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254));
    let query = match r.below(20) {
        0 => format!("?ssn={}", ids::ssn(r, "-")),
        1 => format!("?npi={}", ids::npi(r)),
        2 => format!("?page={}&size=50", r.below(40)),
        3 => format!("?id={}", r.below(10_000_000)),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "{ip} - - [28/Nov/2026:{:02}:{:02}:{:02} +0000] \"GET {}{query} HTTP/1.1\" {} {} \"-\" \"{}\"",
        r.below(24),
        r.below(60),
        r.below(60),
        r.pick(PATHS),
        r.pick(&["200", "200", "304", "404"]),
        r.below(50_000),
        r.pick(AGENTS)
    );
}

fn json_line(r: &mut Rng, s: &mut String) {
    let extra = match r.below(10) {
        0 => format!(",\"ssn\":\"{}\"", ids::ssn(r, "-")),
        1 => format!(",\"npi\":\"{}\"", ids::npi(r)),
        2 => format!(",\"phone\":\"{}\"", ids::phone(r, PhoneFmt::Parens)),
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
