//! FHIR AuditEvent and access-log decoding throughput: 10k generated
//! AuditEvent NDJSON lines and 10k nginx `combined` lines, against the
//! floor of merely finding the line ends with `memchr` over the same bytes.
//!
//! `cargo bench -p phiwatch-decode --bench fhir -- --warm-up-time 1 --measurement-time 3`
//! reports elements/s, where an element is one line.

#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phiwatch_decode::Format;

mod common;
use common::{decode_all, Rng};

const RECORDS: usize = 10_000;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len() * 4 / 3 + 4);
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | u32::from(c) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// AuditEvents as an EHR's FHIR server writes them: reads, searches with a
/// base64 query, the odd `$export` and failure.
fn fhir_ndjson() -> Vec<u8> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(RECORDS * 1200);
    let mut secs: u64 = 1_793_577_600;
    for n in 0..RECORDS {
        secs += r.below(5);
        let (h, m, sec) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let patient = format!("pt-{}", 1000 + r.below(5000));
        let user = r.below(40);
        let ip = format!("10.20.{}.{}", r.below(4), 1 + r.below(254));
        let (sub, action, entity, query) = match r.below(10) {
            0..=4 => (
                "read",
                "R",
                format!("{{\"what\":{{\"reference\":\"Patient/{patient}\"}},\"type\":{{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-entity-type\",\"code\":\"1\"}},\"role\":{{\"system\":\"http://terminology.hl7.org/CodeSystem/object-role\",\"code\":\"1\",\"display\":\"Patient\"}}}}"),
                None,
            ),
            5..=8 => (
                "search-type",
                "E",
                format!("{{\"what\":{{\"reference\":\"Patient/{patient}\"}},\"role\":{{\"system\":\"http://terminology.hl7.org/CodeSystem/object-role\",\"code\":\"1\"}}}}"),
                Some(format!("Observation?patient={patient}&category=laboratory&_count=50")),
            ),
            _ => (
                "$export",
                "E",
                "{\"what\":{\"reference\":\"Group/cohort-7\"}}".to_string(),
                Some("https://ehr.example.org/fhir/Group/cohort-7/$export?_type=Patient,Observation".to_string()),
            ),
        };
        let outcome = if r.below(50) == 0 { "8" } else { "0" };
        let query = query.map_or(String::new(), |q| {
            format!(
                ",{{\"type\":{{\"code\":\"2\"}},\"role\":{{\"code\":\"24\",\"display\":\"Query\"}},\"query\":\"{}\"}}",
                base64(&q)
            )
        });
        let _ = writeln!(
            s,
            "{{\"resourceType\":\"AuditEvent\",\"id\":\"ae-{n}\",\"type\":{{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\",\"display\":\"Restful Operation\"}},\
             \"subtype\":[{{\"system\":\"http://hl7.org/fhir/restful-interaction\",\"code\":\"{sub}\"}}],\"action\":\"{action}\",\
             \"recorded\":\"2026-11-02T{h:02}:{m:02}:{sec:02}.{:03}Z\",\"outcome\":\"{outcome}\",\
             \"agent\":[{{\"type\":{{\"coding\":[{{\"system\":\"http://terminology.hl7.org/CodeSystem/extra-security-role-type\",\"code\":\"humanuser\"}}]}},\
             \"who\":{{\"identifier\":{{\"value\":\"u-{user}\"}},\"display\":\"clinician.test.{user}\"}},\"requestor\":true,\"network\":{{\"address\":\"{ip}\",\"type\":\"2\"}}}}],\
             \"source\":{{\"site\":\"ehr-prod\",\"observer\":{{\"display\":\"Example EHR FHIR API\"}}}},\
             \"entity\":[{entity}{query}]}}",
            r.below(1000)
        );
    }
    s.into_bytes()
}

/// nginx `combined` lines with FHIR API calls and static assets.
fn combined() -> Vec<u8> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let mut s = String::with_capacity(RECORDS * 220);
    let mut secs: u64 = 0;
    for _ in 0..RECORDS {
        secs += r.below(3);
        let (h, m, sec) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let ip = if r.below(20) == 0 {
            format!("2001:db8::{:x}", r.below(65_536))
        } else {
            format!("198.51.100.{}", 1 + r.below(254))
        };
        let user = if r.below(3) == 0 {
            "-"
        } else {
            "dr.test.alpha"
        };
        let (method, target, status) = match r.below(10) {
            0..=3 => (
                "GET",
                format!("/fhir/r4/Patient/pt-{}", 1000 + r.below(5000)),
                200,
            ),
            4..=6 => (
                "GET",
                format!(
                    "/fhir/r4/Observation?patient=pt-{}&category=vital-signs&_count=100",
                    1000 + r.below(5000)
                ),
                200,
            ),
            7 => ("POST", "/fhir/r4/Observation/_search".to_string(), 200),
            8 => ("GET", "/static/js/app.4f3c2b1a.js".to_string(), 304),
            _ => (
                "GET",
                "/fhir/r4/Patient?name=test%20person".to_string(),
                401,
            ),
        };
        let _ = writeln!(
            s,
            "{ip} - {user} [{:02}/{}/2026:{h:02}:{m:02}:{sec:02} +0000] \"{method} {target} HTTP/1.1\" {status} {} \"https://portal.example.org/chart\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36\"",
            1 + r.below(28),
            MONTHS[r.below(12) as usize],
            r.below(50_000),
        );
    }
    s.into_bytes()
}

/// Decodes every line; returns the number of events, to check the input.
fn bench(c: &mut Criterion) {
    let fhir = fhir_ndjson();
    let access = combined();
    assert_eq!(
        decode_all(Format::FhirAudit, &fhir),
        RECORDS,
        "every AuditEvent decodes"
    );
    assert_eq!(
        decode_all(Format::AccessLog, &access),
        RECORDS,
        "every access-log line decodes"
    );
    let fhir_lines = memchr::memchr_iter(b'\n', &fhir).count() as u64;
    let access_lines = memchr::memchr_iter(b'\n', &access).count() as u64;

    let mut g = c.benchmark_group("fhir");
    g.throughput(Throughput::Elements(fhir_lines));
    g.bench_function("auditevent_ndjson_decode", |b| {
        b.iter(|| decode_all(Format::FhirAudit, black_box(&fhir)))
    });
    g.bench_function("auditevent_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&fhir)).count())
    });
    g.throughput(Throughput::Elements(access_lines));
    g.bench_function("combined_decode", |b| {
        b.iter(|| decode_all(Format::AccessLog, black_box(&access)))
    });
    g.bench_function("combined_memchr_lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&access)).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
