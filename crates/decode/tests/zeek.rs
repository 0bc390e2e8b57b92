//! Zeek TSV and JSON decoders against real Zeek btest baselines and the OTRF
//! APT29 Zeek export (see `tests/data/zeek/README.md`), plus crafted inputs
//! for what the real data does not cover.

// A panic is how a test reports; `unwrap` is fine here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use phiwatch_decode::{DecodeError, Decoder, ErrorKind, Format};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};

mod common;
use common::{decoder, i, s};

const MASK: &str = "XXXXXXXXXX.XXXXXX";
/// What the tests put in place of the btest mask: 2011-03-18T19:06:07.096535Z.
const UNMASKED: &str = "1300475167.096535";

fn data(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/zeek")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unmask(b: &[u8]) -> Vec<u8> {
    String::from_utf8(b.to_vec())
        .expect("baselines are UTF-8")
        .replace(MASK, UNMASKED)
        .into_bytes()
}

/// The lines of a file as the framing layer gives them: without terminators,
/// and no empty line after the final newline.
fn lines(b: &[u8]) -> Vec<&[u8]> {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == b'\n').collect()
}

#[derive(Default)]
struct Outcome {
    events: Vec<Event>,
    errors: Vec<(u64, DecodeError)>,
    skipped: usize,
}

impl Outcome {
    fn rejected_by_kind(&self) -> BTreeMap<ErrorKind, usize> {
        let mut m = BTreeMap::new();
        for (_, e) in &self.errors {
            *m.entry(e.kind).or_insert(0) += 1;
        }
        m
    }
}

fn run(fmt: Format, b: &[u8]) -> Outcome {
    run_with(&mut *decoder(fmt), b)
}

fn run_with(dec: &mut dyn Decoder, b: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    let mut offset = 0u64;
    for (i, line) in lines(b).into_iter().enumerate() {
        let origin = Origin {
            line: i as u64 + 1,
            offset,
            record: i as u64 + 1,
            ..Origin::default()
        };
        offset += line.len() as u64 + 1;
        match dec.decode(line, origin) {
            Ok(Some(ev)) => {
                assert_eq!(ev.origin(), origin, "decoder must keep the origin");
                out.events.push(ev);
            }
            Ok(None) => out.skipped += 1,
            Err(e) => out.errors.push((origin.line, e)),
        }
    }
    out
}

fn text(ev: &Event, key: Key) -> Option<String> {
    ev.get(key).map(|v| v.to_string())
}

fn raw_text(ev: &Event, name: &str) -> Option<String> {
    ev.get_raw(name).map(|v| v.to_string())
}

fn list_len(ev: &Event, name: &str) -> Option<usize> {
    match ev.get_raw(name)? {
        ValueRef::List(l) => Some(l.len()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Golden counts: every copied file, line by line.
// ---------------------------------------------------------------------------

/// Golden counts per fixture, counted independently of the decoder
/// (`grep -c '^#'`, `grep -vc '^#'`, see the README): file, format, lines
/// that are not records (btest banner, header, `#close`), records accepted,
/// records rejected, the kind of every rejection, and records accepted once
/// the btest mask is replaced by a number. A TSV baseline has the banner, 8
/// header lines and `#close`; each data line has a masked `ts`.
const GOLDEN: &str = "
baseline/core.ipv6-frag/dns.log                                                     tsv  10   0   3 time     3
baseline/core.local-flip/conn.log                                                   tsv  10   0   1 time     1
baseline/core.max-analyzer-violations/weird.log                                     tsv  10   0   3 time     3
# The one baseline whose ts is a real value (0.000000).
baseline/core.pcap.filter-warning/notice.log                                        tsv  10   1   0 -        1
baseline/core.tcp.large-file-reassembly/files.log                                   tsv  10   0   2 time     2
baseline/core.tunnels.teredo/conn.log                                               tsv  10   0  21 time    21
baseline/core.tunnels.teredo/http.log                                               tsv  10   0   4 time     4
baseline/core.tunnels.vxlan/conn.log                                                tsv  10   0   5 time     5
baseline/opt.basic/conn.log                                                         tsv  10   0  34 time    34
baseline/opt.basic/dns.log                                                          tsv  10   0  34 time    34
baseline/opt.basic/http.log                                                         tsv  10   0  14 time    14
baseline/scripts.base.files.x509.disable-certificate-events-known-certs/ssl.log     tsv  10   0   8 time     8
baseline/scripts.base.files.x509.files/files.log                                    tsv  10   0   6 time     6
baseline/scripts.base.frameworks.analyzer.dpd-logging-configuration/conn.log        tsv  10   0   1 time     1
baseline/scripts.base.frameworks.file-analysis.logging/files.log                    tsv  10   0   1 time     1
baseline/scripts.base.frameworks.logging.field-extension-complex/conn.log           tsv  10   0  34 time    34
baseline/scripts.base.frameworks.logging.scope_sep/conn.log                         tsv  10   0  34 time    34
baseline/scripts.base.frameworks.notice.file-info-multiple-conns/files.log          tsv  10   0   3 time     3
baseline/scripts.base.frameworks.notice.file-info-multiple-conns/notice.log         tsv  10   0   1 time     1
baseline/scripts.base.frameworks.notice.suppression/notice.log                      tsv  10   0   1 time     1
baseline/scripts.base.protocols.dns.dns-edns-ecs/weird.log                          tsv  10   0   6 time     6
baseline/scripts.base.protocols.dns.mdns-no-assoc/dns.log                           tsv  10   0   6 time     6
baseline/scripts.base.protocols.dns.multiple-txt-strings/dns.log                    tsv  10   0   1 time     1
baseline/scripts.base.protocols.dns.rrsig/dns.log                                   tsv  10   0   4 time     4
baseline/scripts.base.protocols.ftp.ftp-ipv6/conn.log                               tsv  10   0   6 time     6
baseline/scripts.base.protocols.ftp.gridftp/notice.log                              tsv  10   0   1 time     1
baseline/scripts.base.protocols.http.concurrent-range-requests/files.log            tsv  10   0   3 time     3
baseline/scripts.base.protocols.http.concurrent-range-requests/http.log             tsv  10   0   3 time     3
baseline/scripts.base.protocols.http.http-methods/http.log                          tsv  10   0  49 time    49
baseline/scripts.base.protocols.http.http-methods/weird.log                         tsv  10   0  34 time    34
baseline/scripts.base.protocols.http.http-pipelining/http.log                       tsv  10   0   5 time     5
baseline/scripts.base.protocols.http.multipart-extract/http.log                     tsv  10   0   1 time     1
baseline/scripts.base.protocols.imap.starttls/ssl.log                               tsv  10   0   1 time     1
baseline/scripts.base.protocols.smb.smb2-read-write/files.log                       tsv  10   0   2 time     2
baseline/scripts.base.protocols.smtp.attachment/files.log                           tsv  10   0   4 time     4
baseline/scripts.base.protocols.smtp.attachment/smtp.log                            tsv  10   0   2 time     2
baseline/scripts.base.protocols.ssl.dtls-stun-dpd/ssl.log                           tsv  10   0   1 time     1
baseline/scripts.policy.frameworks.intel.seen.filename-in-http-post/intel.log       tsv  10   0   1 time     1
baseline/scripts.policy.frameworks.intel.seen.smb/intel.log                         tsv  10   0   1 time     1
baseline/scripts.policy.frameworks.intel.seen.smtp/intel.log                        tsv  10   0   7 time     7
baseline/scripts.policy.frameworks.intel.whitelisting/intel.log                     tsv  10   0  20 time    20
baseline/scripts.policy.protocols.conn.vlan-logging/conn.log                        tsv  10   0   2 time     2
baseline/scripts.policy.protocols.ssl.validate-certs-no-cache/ssl.log               tsv  10   0   3 time     3
# Zeek JSON baselines: the btest banner is a comment; a masked number is
# not JSON.
baseline/javascript.http-uri-sha256/http.log                                        json  1   0   1 syntax   1
baseline/scripts.base.frameworks.logging.json-non-printable-escaping/http.log.json  json  1   0   4 syntax   4
# Masked `t` (not `ts`): invalid JSON; unmasked, still no `ts` field.
baseline/scripts.base.frameworks.logging.ascii-json/ssh.log                         json  1   0   1 syntax   0
# The time column is `t`, not `ts`: no event time.
baseline/scripts.base.frameworks.logging.ascii-json-iso-timestamps/ssh.log          json  1   0  10 time     0
# ts is null.
baseline/scripts.base.frameworks.logging.ascii-json-optional/testing_nullfields.log json  1   0   1 time     0
# zeek-cut logs: 9 header lines, real times.
zeek-cut-logs/conn.log                                                              tsv   9   5   0 -        5
zeek-cut-logs/conncomma.log                                                         tsv   9   5   0 -        5
# Columns ts1 and ts2, no `ts`: the first time column places the record.
zeek-cut-logs/multiple-times.log                                                    tsv   9   4   0 -        4
zeek-cut-logs/time-optional.log                                                     tsv   9   1   0 -        1
zeek-cut-logs/unset-field.log                                                       tsv   9   1   0 -        1
# OTRF APT29: one JSON object per line, real times.
otrf/combined_zeek.head600.log                                                      json  0 600   0 -      600
otrf/individual_zeek_logs/NASHUA_dpd.log                                            json  0   6   0 -        6
otrf/individual_zeek_logs/NASHUA_kerberos.log                                       json  0  13   0 -       13
otrf/individual_zeek_logs/NASHUA_notice.log                                         json  0   1   0 -        1
otrf/individual_zeek_logs/NASHUA_smb_mapping.log                                    json  0   5   0 -        5
otrf/individual_zeek_logs/NASHUA_weird.log                                          json  0   6   0 -        6
otrf/individual_zeek_logs/SCRANTON_conn.log                                         json  0 134   0 -      134
otrf/individual_zeek_logs/SCRANTON_dce_rpc.log                                      json  0  66   0 -       66
otrf/individual_zeek_logs/SCRANTON_dns.log                                          json  0  32   0 -       32
otrf/individual_zeek_logs/SCRANTON_dpd.log                                          json  0   6   0 -        6
otrf/individual_zeek_logs/SCRANTON_files.log                                        json  0  69   0 -       69
otrf/individual_zeek_logs/SCRANTON_http.log                                         json  0  62   0 -       62
otrf/individual_zeek_logs/SCRANTON_kerberos.log                                     json  0  22   0 -       22
otrf/individual_zeek_logs/SCRANTON_notice.log                                       json  0   1   0 -        1
otrf/individual_zeek_logs/SCRANTON_pe.log                                           json  0   1   0 -        1
otrf/individual_zeek_logs/SCRANTON_smb_files.log                                    json  0   6   0 -        6
otrf/individual_zeek_logs/SCRANTON_smb_mapping.log                                  json  0   6   0 -        6
otrf/individual_zeek_logs/SCRANTON_ssl.log                                          json  0   2   0 -        2
otrf/individual_zeek_logs/SCRANTON_weird.log                                        json  0   6   0 -        6
otrf/individual_zeek_logs/SCRANTON_x509.log                                         json  0   2   0 -        2
";

struct Golden {
    file: &'static str,
    format: Format,
    skipped: usize,
    accepted: usize,
    rejected: usize,
    kind: Option<ErrorKind>,
    unmasked_accepted: usize,
}

fn golden() -> Vec<Golden> {
    let num = |s: Option<&str>| -> usize { s.and_then(|s| s.parse().ok()).expect("a count") };
    GOLDEN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut w = l.split_whitespace();
            let file = w.next().expect("file");
            let format = match w.next() {
                Some("tsv") => Format::ZeekTsv,
                Some("json") => Format::ZeekJson,
                other => panic!("format {other:?}"),
            };
            let (skipped, accepted, rejected) = (num(w.next()), num(w.next()), num(w.next()));
            let kind = match w.next() {
                Some("time") => Some(ErrorKind::Time),
                Some("syntax") => Some(ErrorKind::Syntax),
                Some("-") => None,
                other => panic!("kind {other:?}"),
            };
            Golden {
                file,
                format,
                skipped,
                accepted,
                rejected,
                kind,
                unmasked_accepted: num(w.next()),
            }
        })
        .collect()
}

#[test]
fn golden_counts_for_every_fixture() {
    let mut failures = Vec::new();
    let table = golden();
    assert_eq!(table.len(), 73);
    for gold in &table {
        let bytes = data(gold.file);
        let out = run(gold.format, &bytes);
        let kinds: Vec<ErrorKind> = out.rejected_by_kind().into_keys().collect();
        let want_kinds: Vec<ErrorKind> = gold.kind.into_iter().collect();
        let got = (out.skipped, out.events.len(), out.errors.len(), kinds);
        let want = (gold.skipped, gold.accepted, gold.rejected, want_kinds);
        if got != want {
            failures.push(format!(
                "{}: got (skipped, accepted, rejected, kinds) {got:?}, want {want:?}; first error {:?}",
                gold.file,
                out.errors.first()
            ));
        }
        let un = run(gold.format, &unmask(&bytes));
        if un.events.len() != gold.unmasked_accepted || un.skipped != gold.skipped {
            failures.push(format!(
                "{} unmasked: accepted {} (want {}), skipped {}; first error {:?}",
                gold.file,
                un.events.len(),
                gold.unmasked_accepted,
                un.skipped,
                un.errors.first()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_is_in_the_golden_table() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&root)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if !matches!(
                    name.as_str(),
                    "README" | "README.md" | "COPYING" | "LICENSE"
                ) {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    let mut listed: Vec<String> = golden().iter().map(|g| g.file.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
fn masked_rejections_name_the_mask_and_nothing_else() {
    let out = run(Format::ZeekTsv, &data("baseline/opt.basic/conn.log"));
    assert_eq!(out.errors.len(), 34);
    for (line, e) in &out.errors {
        assert_eq!(e.kind, ErrorKind::Time, "line {line}");
        assert_eq!(e.reason, "ts: masked timestamp (XXXXXXXXXX.XXXXXX)");
    }
    // Rejections point at the data lines: banner and 8 header lines, then
    // 34 records (10..=43), then #close.
    assert_eq!(out.errors.first().map(|e| e.0), Some(10));
    assert_eq!(out.errors.last().map(|e| e.0), Some(43));
}

#[test]
fn masked_json_is_a_syntax_error() {
    let out = run(
        Format::ZeekJson,
        &data("baseline/javascript.http-uri-sha256/http.log"),
    );
    assert_eq!(out.errors.len(), 1);
    let e = &out.errors[0].1;
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(!e.reason.contains("CHhAvVGS1DHFjwGM9"), "{e}");
}

// ---------------------------------------------------------------------------
// Decoded values, spot-checked against the files.
// ---------------------------------------------------------------------------

#[test]
fn conn_opt_basic_values() {
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/opt.basic/conn.log")),
    );
    assert_eq!(out.events.len(), 34);
    let ev = &out.events[0];
    // XXXXXXXXXX.XXXXXX  CHhAvVGS1DHFjwGM9  141.142.220.202  5353  224.0.0.251  5353  udp  dns  -  -  -  S0  F  T  0  D  1  73  0  0  -  17
    assert_eq!(ev.time().to_rfc3339(), "2011-03-18T19:06:07.096535Z");
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.conn"));
    assert_eq!(s(ev, keys::EVENT_MODULE), Some("zeek"));
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("zeek-tsv"));
    assert_eq!(s(ev, keys::PHIWATCH_SESSION_ID), Some("CHhAvVGS1DHFjwGM9"));
    assert_eq!(
        ev.get(keys::SOURCE_IP),
        Some(ValueRef::Ip("141.142.220.202".parse().unwrap()))
    );
    assert_eq!(ev.get_raw("id.orig_h"), ev.get(keys::SOURCE_IP));
    assert_eq!(i(ev, keys::SOURCE_PORT), Some(5353));
    assert_eq!(
        text(ev, keys::DESTINATION_IP).as_deref(),
        Some("224.0.0.251")
    );
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(5353));
    assert_eq!(s(ev, keys::NETWORK_TRANSPORT), Some("udp"));
    assert_eq!(s(ev, keys::NETWORK_PROTOCOL), Some("dns"));
    // `-` is null, and null raw values give no normalized field.
    assert!(ev.get_raw("duration").unwrap().is_null());
    assert!(ev.get(keys::EVENT_DURATION).is_none());
    assert!(ev.get(keys::SOURCE_BYTES).is_none());
    assert_eq!(ev.get_raw("local_orig"), Some(ValueRef::Bool(false)));
    assert_eq!(ev.get_raw("local_resp"), Some(ValueRef::Bool(true)));
    assert!(ev.get_raw("tunnel_parents").unwrap().is_null());
    assert_eq!(ev.get_raw("ip_proto"), Some(ValueRef::Int(17)));
    assert_eq!(i(ev, keys::SOURCE_PACKETS), Some(1));
    assert_eq!(ev.get_raw("ts"), Some(ValueRef::Time(ev.time())));

    // Second record: IPv6.
    let ev = &out.events[1];
    assert_eq!(
        text(ev, keys::SOURCE_IP).as_deref(),
        Some("fe80::217:f2ff:fed7:cf65")
    );
    assert_eq!(text(ev, keys::DESTINATION_IP).as_deref(), Some("ff02::fb"));

    // Fourth: CmES5u32sYpV7JYN … dns 0.000435 38 89 SF F F 0 Dd 1 66 1 117
    let ev = &out.events[3];
    assert_eq!(s(ev, keys::PHIWATCH_SESSION_ID), Some("CmES5u32sYpV7JYN"));
    assert_eq!(ev.get_raw("duration"), Some(ValueRef::Float(0.000435)));
    assert_eq!(i(ev, keys::EVENT_DURATION), Some(435_000));
    assert_eq!(i(ev, keys::SOURCE_BYTES), Some(38));
    assert_eq!(i(ev, keys::DESTINATION_BYTES), Some(89));
    assert_eq!(i(ev, keys::SOURCE_PACKETS), Some(1));
    assert_eq!(i(ev, keys::DESTINATION_PACKETS), Some(1));
    assert_eq!(ev.get_raw("history").and_then(|v| v.as_str()), Some("Dd"));

    // Every record has the 22 raw columns plus normalized fields.
    for ev in &out.events {
        assert_eq!(
            ev.fields()
                .filter(|f| f.kind == phiwatch_event::FieldKind::Raw)
                .count(),
            22
        );
        assert!(ev.get(keys::SOURCE_IP).is_some());
    }
}

#[test]
fn sets_lists_and_empty_versus_unset() {
    // teredo conn: tunnel_parents is set[string], one or two items, or `-`.
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/core.tunnels.teredo/conn.log")),
    );
    let sizes: Vec<Option<usize>> = out
        .events
        .iter()
        .map(|e| list_len(e, "tunnel_parents"))
        .collect();
    assert_eq!(sizes.iter().filter(|s| **s == Some(1)).count(), 3);
    assert_eq!(sizes.iter().filter(|s| **s == Some(2)).count(), 1);
    assert_eq!(sizes.iter().filter(|s| s.is_none()).count(), 17);
    let two = out
        .events
        .iter()
        .find(|e| list_len(e, "tunnel_parents") == Some(2))
        .unwrap();
    assert_eq!(
        raw_text(two, "tunnel_parents").as_deref(),
        Some("Ck51lg1bScffFj34Ri,CtPZjS20MLrsMUOJi2")
    );

    // http opt.basic: tags is `(empty)` → empty list; orig_fuids `-` → null.
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/opt.basic/http.log")),
    );
    let ev = &out.events[1];
    assert_eq!(list_len(ev, "tags"), Some(0));
    assert!(ev.get_raw("orig_fuids").unwrap().is_null());

    // conncomma: `(empty)` tunnel_parents, `-` local_orig.
    let out = run(Format::ZeekTsv, &data("zeek-cut-logs/conncomma.log"));
    assert_eq!(list_len(&out.events[0], "tunnel_parents"), Some(0));
    assert!(out.events[0].get_raw("local_orig").unwrap().is_null());

    // A string column with `(empty)` is the empty string (notice email_dest
    // is a set, peer_descr a string; craft one).
    let tsv = "#separator \\x09\n#fields\tts\ts\tv\n#types\ttime\tstring\tvector[count]\n1.5\t(empty)\t0,-,2\n";
    let out = run(Format::ZeekTsv, tsv.as_bytes());
    let ev = &out.events[0];
    assert_eq!(ev.get_raw("s"), Some(ValueRef::Str("")));
    let ValueRef::List(l) = ev.get_raw("v").unwrap() else {
        panic!("not a list")
    };
    let items: Vec<ValueRef<'_>> = l.iter().collect();
    assert_eq!(items, [ValueRef::Int(0), ValueRef::Null, ValueRef::Int(2)]);
}

#[test]
fn dns_vectors_are_normalized() {
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/scripts.base.protocols.dns.rrsig/dns.log")),
    );
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.dns"));
    assert_eq!(s(ev, keys::DNS_QUESTION_NAME), Some("virgo.sas.upenn.edu"));
    assert_eq!(s(ev, keys::DNS_QUESTION_TYPE), Some("A"));
    assert_eq!(s(ev, keys::DNS_RESPONSE_CODE), Some("NOERROR"));
    assert_eq!(i(ev, keys::DNS_ID), Some(17129));
    assert_eq!(
        text(ev, keys::DNS_ANSWERS_DATA).as_deref(),
        Some("128.91.234.142,RRSIG 1 upenn.edu")
    );
    let ValueRef::List(ttls) = ev.get(keys::DNS_ANSWERS_TTL).unwrap() else {
        panic!("TTLs")
    };
    assert_eq!(
        ttls.iter().collect::<Vec<_>>(),
        [ValueRef::Float(30.0), ValueRef::Float(30.0)]
    );
    assert_eq!(ev.get_raw("AA"), Some(ValueRef::Bool(true)));
    // Last record: unset rtt, rcode, answers.
    let ev = &out.events[3];
    assert!(ev.get(keys::DNS_ANSWERS_DATA).is_none());
    assert!(ev.get(keys::DNS_RESPONSE_CODE).is_none());
    assert!(ev.get_raw("rtt").unwrap().is_null());

    // IPv6 transport and a long TXT answer.
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/core.ipv6-frag/dns.log")),
    );
    assert_eq!(
        text(&out.events[0], keys::SOURCE_IP).as_deref(),
        Some("2001:470:1f11:81f:d138:5f55:6d4:1fe2")
    );
    let ValueRef::List(ttl) = out.events[0].get(keys::DNS_ANSWERS_TTL).unwrap() else {
        panic!("TTLs")
    };
    assert_eq!(ttl.iter().collect::<Vec<_>>(), [ValueRef::Float(1.0)]);
    assert!(
        s(&out.events[0], keys::DNS_ANSWERS_DATA).is_none(),
        "a vector is a list, not a string"
    );
    assert_eq!(list_len(&out.events[0], "answers"), Some(1));
}

#[test]
fn vlan_and_extension_columns() {
    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.policy.protocols.conn.vlan-logging/conn.log",
        )),
    );
    let ev = &out.events[0];
    assert_eq!(ev.get_raw("vlan"), Some(ValueRef::Int(13)));
    assert_eq!(ev.get_raw("inner_vlan"), Some(ValueRef::Int(10)));
    assert_eq!(i(ev, keys::NETWORK_VLAN_ID), Some(13));

    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.frameworks.logging.field-extension-complex/conn.log",
        )),
    );
    assert_eq!(out.events.len(), 34);
    let ev = &out.events[0];
    assert!(matches!(ev.get_raw("_write_ts"), Some(ValueRef::Time(_))));
    assert_eq!(raw_text(ev, "_stream").as_deref(), Some("conn"));
    assert_eq!(ev.get_raw("_innerLogged.a"), Some(ValueRef::Int(1)));
    assert_eq!(ev.get_raw("_innerLogged.c"), Some(ValueRef::Int(3)));
    let ValueRef::List(d) = ev.get_raw("_innerLogged.d").unwrap() else {
        panic!("set[count]")
    };
    assert_eq!(
        d.iter().collect::<Vec<_>>(),
        [4, 2, 3, 1].map(ValueRef::Int)
    );
    assert!(ev.get_raw("_system_name").unwrap().is_null());
    assert_eq!(
        text(ev, keys::SOURCE_IP).as_deref(),
        Some("173.192.163.128")
    );
    // The masked `_write_ts` (a time column other than ts) is kept as a
    // string, not rejected; only ts decides.
    let masked_write_ts = format!(
        "#separator \\x09\n#path\tconn\n#fields\t_write_ts\tts\n#types\ttime\ttime\n{MASK}\t{UNMASKED}\n"
    );
    let out = run(Format::ZeekTsv, masked_write_ts.as_bytes());
    assert_eq!(
        out.events[0].get_raw("_write_ts"),
        Some(ValueRef::Str(MASK))
    );
}

#[test]
fn scope_sep_names_normalize_like_dotted_ones() {
    let sep = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.frameworks.logging.scope_sep/conn.log",
        )),
    );
    let dotted = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.frameworks.logging.field-extension-complex/conn.log",
        )),
    );
    assert_eq!(sep.events.len(), 34);
    for (a, b) in sep.events.iter().zip(&dotted.events) {
        assert!(a.get_raw("id_orig_h").is_some());
        assert!(
            a.get_raw("id.orig_h").is_none(),
            "raw names stay as written"
        );
        for k in [
            keys::SOURCE_IP,
            keys::SOURCE_PORT,
            keys::DESTINATION_IP,
            keys::DESTINATION_PORT,
            keys::PHIWATCH_SESSION_ID,
        ] {
            assert_eq!(a.get(k), b.get(k), "{k}");
            assert!(a.get(k).is_some(), "{k}");
        }
    }
}

#[test]
fn comma_separator_and_custom_unset_field() {
    let tab = run(Format::ZeekTsv, &data("zeek-cut-logs/conn.log"));
    let comma = run(Format::ZeekTsv, &data("zeek-cut-logs/conncomma.log"));
    assert_eq!(tab.events.len(), 5);
    let render = |ev: &Event| -> Vec<(String, String)> {
        ev.fields()
            .map(|f| (f.name.to_string(), f.value.to_string()))
            .collect()
    };
    // The two files hold the same connections with other uids, in another
    // order: compare by time, without the uid.
    let by_time = |evs: &[Event]| -> BTreeMap<i64, Vec<(String, String)>> {
        evs.iter()
            .map(|e| {
                let mut r = render(e);
                r.retain(|(n, _)| n != "uid" && n != "phiwatch.session_id");
                (e.time().as_nanos(), r)
            })
            .collect()
    };
    assert_eq!(by_time(&tab.events), by_time(&comma.events));
    assert_eq!(by_time(&comma.events).len(), 5);
    let ev = &comma.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2012-02-21T16:52:55.736107Z");
    assert_eq!(s(ev, keys::NETWORK_PROTOCOL), Some("ftp-data"));
    assert_eq!(i(ev, keys::EVENT_DURATION), Some(112_432_000));
    assert_eq!(i(ev, keys::DESTINATION_BYTES), Some(342));

    // `(unset_test)` as the unset marker reads exactly like `-`.
    let custom = run(Format::ZeekTsv, &data("zeek-cut-logs/unset-field.log"));
    let dash = run(Format::ZeekTsv, &data("zeek-cut-logs/time-optional.log"));
    assert_eq!(render(&custom.events[0]), render(&dash.events[0]));
    let ev = &custom.events[0];
    assert!(ev.get_raw("error_msg").unwrap().is_null());
    assert!(ev.get_raw("from").unwrap().is_null());
    assert_eq!(
        ev.get_raw("till"),
        Some(ValueRef::Time(phiwatch_event::Timestamp::EPOCH))
    );
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.kerberos"));
    assert_eq!(ev.get_raw("success"), Some(ValueRef::Bool(true)));
}

#[test]
fn http_ssl_files_notice_intel_weird_normalization() {
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/core.tunnels.teredo/http.log")),
    );
    let ev = out
        .events
        .iter()
        .find(|e| s(e, keys::URL_ORIGINAL).is_some_and(|u| u.contains('?')))
        .expect("a uri with a query");
    assert_eq!(
        s(ev, keys::URL_ORIGINAL),
        Some("/search?hl=en&q=Wireshark+!&btnG=Google+Search")
    );
    assert_eq!(s(ev, keys::URL_PATH), Some("/search"));
    assert_eq!(
        s(ev, keys::URL_QUERY),
        Some("hl=en&q=Wireshark+!&btnG=Google+Search")
    );

    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/opt.basic/http.log")),
    );
    let ev = &out.events[1];
    assert_eq!(s(ev, keys::HTTP_REQUEST_METHOD), Some("GET"));
    assert_eq!(s(ev, keys::URL_DOMAIN), Some("upload.wikimedia.org"));
    assert_eq!(
        s(ev, keys::URL_PATH),
        Some("/wikipedia/commons/6/63/Wikipedia-logo.png")
    );
    assert!(ev.get(keys::URL_QUERY).is_none());
    assert_eq!(
        s(ev, keys::HTTP_REQUEST_REFERRER),
        Some("http://www.wikipedia.org/")
    );
    assert_eq!(s(ev, keys::HTTP_VERSION), Some("1.0"));
    assert!(s(ev, keys::USER_AGENT_ORIGINAL)
        .unwrap()
        .starts_with("Mozilla/5.0 (X11; U; Linux x86_64"));
    assert_eq!(i(ev, keys::HTTP_RESPONSE_STATUS_CODE), Some(304));
    assert_eq!(i(ev, keys::HTTP_REQUEST_BODY_BYTES), Some(0));
    assert_eq!(i(ev, keys::HTTP_RESPONSE_BODY_BYTES), Some(0));

    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.protocols.ssl.dtls-stun-dpd/ssl.log",
        )),
    );
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::TLS_VERSION), Some("1.0"));
    assert_eq!(s(ev, keys::TLS_VERSION_PROTOCOL), Some("dtls"));
    assert_eq!(
        s(ev, keys::TLS_CIPHER),
        Some("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA")
    );
    assert_eq!(ev.get(keys::TLS_ESTABLISHED), Some(ValueRef::Bool(true)));
    assert_eq!(ev.get(keys::TLS_RESUMED), Some(ValueRef::Bool(false)));
    assert_eq!(s(ev, keys::TLS_SERVER_SUBJECT), Some("CN=a"));
    assert_eq!(
        s(ev, keys::TLS_CLIENT_SUBJECT),
        Some("CN=mantis.tokbox.com,O=Tokbox,L=San Francisco,ST=California,C=US")
    );
    assert!(ev.get(keys::TLS_CLIENT_SERVER_NAME).is_none());

    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.files.x509.disable-certificate-events-known-certs/ssl.log",
        )),
    );
    assert!(out
        .events
        .iter()
        .all(|e| s(e, keys::TLS_VERSION) == Some("1.2")
            && s(e, keys::TLS_VERSION_PROTOCOL) == Some("tls")));
    assert_eq!(list_len(&out.events[0], "cert_chain_fps"), Some(3));
    assert_eq!(list_len(&out.events[0], "client_cert_chain_fps"), Some(0));

    // files: total_bytes unset → file.size from seen_bytes.
    let out = run(
        Format::ZeekTsv,
        &unmask(&data("baseline/scripts.base.files.x509.files/files.log")),
    );
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.files"));
    assert_eq!(i(ev, keys::FILE_SIZE), Some(1859));
    assert_eq!(ev.get_all(keys::FILE_SIZE).count(), 1);
    assert_eq!(
        s(ev, keys::FILE_HASH_MD5),
        Some("7af07aca6d5c6e8e87fe4bb34786edc0")
    );
    assert_eq!(
        s(ev, keys::FILE_HASH_SHA1),
        Some("548b9e03bc183d1cd39f93a37985cb3950f8f06f")
    );
    assert_eq!(
        s(ev, keys::FILE_MIME_TYPE),
        Some("application/x-x509-user-cert")
    );
    assert_eq!(
        raw_text(ev, "analyzers").as_deref(),
        Some("MD5,SHA1,SHA256,X509")
    );

    // notice with id.* set: one source.ip (src is the same address).
    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.protocols.ftp.gridftp/notice.log",
        )),
    );
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::RULE_NAME), Some("GridFTP::Data_Channel"));
    assert_eq!(
        s(ev, keys::MESSAGE),
        Some("GridFTP data channel over threshold 2 bytes")
    );
    assert_eq!(ev.get_all(keys::SOURCE_IP).count(), 1);
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(55968));
    // notice without a connection: the ts is 0.000000, the epoch.
    let out = run(
        Format::ZeekTsv,
        &data("baseline/core.pcap.filter-warning/notice.log"),
    );
    let ev = &out.events[0];
    assert_eq!(ev.time(), phiwatch_event::Timestamp::EPOCH);
    assert_eq!(
        s(ev, keys::RULE_NAME),
        Some("PacketFilter::Install_Failure")
    );
    assert!(ev.get(keys::SOURCE_IP).is_none());
    assert_eq!(ev.get_raw("suppress_for"), Some(ValueRef::Float(3600.0)));
    assert_eq!(list_len(ev, "email_dest"), Some(0));
    // src/dst/p without id.*: they fill source/destination.
    let src_only = String::from_utf8(data(
        "baseline/scripts.base.frameworks.notice.suppression/notice.log",
    ))
    .unwrap()
    .replace(MASK, UNMASKED)
    .replace(
        "Test_Notice\ttest\t-\t-\t-\t-",
        "Test_Notice\ttest\t-\t10.1.1.1\t10.2.2.2\t443",
    );
    let ev = &run(Format::ZeekTsv, src_only.as_bytes()).events[0];
    assert_eq!(text(ev, keys::SOURCE_IP).as_deref(), Some("10.1.1.1"));
    assert_eq!(text(ev, keys::DESTINATION_IP).as_deref(), Some("10.2.2.2"));
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(443));

    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.policy.frameworks.intel.seen.smtp/intel.log",
        )),
    );
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.intel"));
    assert_eq!(s(ev, keys::THREAT_INDICATOR_TYPE), Some("Intel::EMAIL"));
    assert_eq!(raw_text(ev, "matched").as_deref(), Some("Intel::EMAIL"));
    assert_eq!(list_len(ev, "sources"), Some(1));

    let out = run(
        Format::ZeekTsv,
        &unmask(&data(
            "baseline/scripts.base.protocols.http.http-methods/weird.log",
        )),
    );
    assert_eq!(
        s(&out.events[0], keys::EVENT_ACTION),
        Some("missing_HTTP_uri")
    );
    assert_eq!(s(&out.events[0], keys::EVENT_DATASET), Some("zeek.weird"));
}

#[test]
fn unknown_and_missing_paths() {
    let conn = String::from_utf8(unmask(&data("baseline/opt.basic/conn.log"))).unwrap();
    let custom = conn.replace("#path\tconn", "#path\tmy_custom_log");
    let ev = &run(Format::ZeekTsv, custom.as_bytes()).events[3];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.unknown"));
    assert_eq!(raw_text(ev, "_path").as_deref(), Some("my_custom_log"));
    assert!(
        ev.get(keys::SOURCE_IP).is_some(),
        "common rules still apply"
    );
    assert!(ev.get(keys::SOURCE_BYTES).is_none(), "conn rules do not");
    // No #path at all: inferred from the columns (conn_state, history).
    let no_path = conn.replace("#path\tconn\n", "");
    let ev = &run(Format::ZeekTsv, no_path.as_bytes()).events[3];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.conn"));
    assert!(ev.get_raw("_path").is_none());
    assert_eq!(i(ev, keys::SOURCE_BYTES), Some(38));
}

#[test]
fn concatenated_logs_switch_schema() {
    let mut all = unmask(&data("baseline/opt.basic/conn.log"));
    all.extend(unmask(&data("baseline/opt.basic/dns.log")));
    all.extend(data("zeek-cut-logs/conncomma.log"));
    all.extend(unmask(&data(
        "baseline/scripts.base.protocols.ssl.dtls-stun-dpd/ssl.log",
    )));
    let out = run(Format::ZeekTsv, &all);
    assert!(out.errors.is_empty(), "{:?}", out.errors.first());
    assert_eq!(out.events.len(), 34 + 34 + 5 + 1);
    let datasets: Vec<&str> = out
        .events
        .iter()
        .map(|e| s(e, keys::EVENT_DATASET).unwrap())
        .collect();
    assert!(datasets[..34].iter().all(|d| *d == "zeek.conn"));
    assert!(datasets[34..68].iter().all(|d| *d == "zeek.dns"));
    assert!(datasets[68..73].iter().all(|d| *d == "zeek.conn"));
    assert_eq!(datasets[73], "zeek.ssl");
    assert!(out.events[40].get(keys::DNS_QUESTION_NAME).is_some());
    assert!(out.events[40].get(keys::NETWORK_PROTOCOL).is_none());
    assert_eq!(
        out.events[70].get_raw("missed_bytes"),
        Some(ValueRef::Int(0))
    );
}

#[test]
fn wrong_column_count_is_a_schema_error_without_values() {
    let conn = String::from_utf8(data("zeek-cut-logs/conn.log")).unwrap();
    let mut lines: Vec<String> = conn.lines().map(str::to_string).collect();
    // Line 9 is the first record (20 columns): drop its last column, and
    // give line 10 one extra.
    lines[8] = lines[8].rsplit_once('\t').unwrap().0.to_string();
    lines[9].push_str("\tSECRET-123-45-6789");
    let out = run(Format::ZeekTsv, lines.join("\n").as_bytes());
    assert_eq!(out.events.len(), 3);
    assert_eq!(out.errors.len(), 2);
    let (l1, e1) = &out.errors[0];
    let (l2, e2) = &out.errors[1];
    assert_eq!((*l1, *l2), (9, 10));
    assert_eq!(e1.kind, ErrorKind::Schema);
    assert_eq!(
        e1.reason,
        "wrong column count: expected 20 columns, found 19"
    );
    assert_eq!(
        e2.reason,
        "wrong column count: expected 20 columns, found 21"
    );
    assert!(!e2.reason.contains("SECRET"));
}

#[test]
fn data_before_header_is_rejected() {
    let conn = data("zeek-cut-logs/conn.log");
    let first_record = lines(&conn)[8].to_vec();
    let mut dec = decoder(Format::ZeekTsv);
    let e = dec.decode(&first_record, Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schema);
    assert_eq!(e.reason, "data line before #fields header");
    // Then the header arrives and the same line decodes.
    let mut with_header = lines(&conn)[..8].to_vec();
    with_header.push(&first_record);
    let mut n = 0;
    for l in with_header {
        if dec.decode(l, Origin::default()).unwrap().is_some() {
            n += 1;
        }
    }
    assert_eq!(n, 1);
    // Comments and blank lines are not records and do not need a header.
    let mut dec = decoder(Format::ZeekTsv);
    assert!(dec.decode(b"", Origin::default()).unwrap().is_none());
    assert!(dec
        .decode(b"### BTest baseline data", Origin::default())
        .unwrap()
        .is_none());
    assert!(dec
        .decode(b"#close\t2014-06-30-16-10-55", Origin::default())
        .unwrap()
        .is_none());
}

#[test]
fn bad_ts_values_are_time_errors_that_quote_nothing() {
    let head = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n";
    for (ts, want) in [
        (
            "123-45-6789",
            "ts: not a valid time (expected epoch seconds)",
        ),
        ("-", "ts: unset"),
        ("", "ts: not a valid time (expected epoch seconds)"),
        (MASK, "ts: masked timestamp (XXXXXXXXXX.XXXXXX)"),
    ] {
        let input = format!("{head}{ts}\tC1\n");
        let out = run(Format::ZeekTsv, input.as_bytes());
        assert_eq!(out.errors.len(), 1, "{ts}");
        assert_eq!(out.errors[0].1.kind, ErrorKind::Time);
        assert_eq!(out.errors[0].1.reason, want);
    }
    // No `ts` column: the first time-typed column is the event time.
    let out = run(Format::ZeekTsv, &data("zeek-cut-logs/multiple-times.log"));
    assert!(out.errors.is_empty());
    assert_eq!(out.events.len(), 4);
    assert_eq!(
        out.events[0].time().to_rfc3339(),
        "2012-02-21T16:52:55.736107Z"
    );
    // No time column at all.
    let input = "#separator \\x09\n#fields\tuid\tproto\n#types\tstring\tenum\nC1\ttcp\n";
    let out = run(Format::ZeekTsv, input.as_bytes());
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].1.reason, "ts: missing (no ts field)");
}

#[test]
fn tsv_escapes_and_invalid_utf8() {
    let head = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n\
                #fields\tts\turi\tuser_agent\tresp_mime_types\tid.orig_h\torig_bytes\n\
                #types\ttime\tstring\tstring\tvector[string]\taddr\tcount\n";
    let mut input = head.as_bytes().to_vec();
    // \x07 (bell), \x09 (a tab inside the field), \\ (a backslash), \x2d (a
    // literal "-", not unset), \x2c (a comma inside a set item), \xff (not
    // UTF-8 once decoded), and a raw 0xfe byte.
    input.extend_from_slice(
        b"1.0\t/a\\x07b\\x09c\\\\d\t\\x2d\ta\\x2cb,c\tnot-an-ip\t18446744073709551616\n\
          2.0\t/e\\xff\\xfef\tagent\xfe\t(empty)\t::1\t7\n",
    );
    let out = run(Format::ZeekTsv, &input);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::URL_ORIGINAL), Some("/a\x07b\tc\\d"));
    assert_eq!(s(ev, keys::USER_AGENT_ORIGINAL), Some("-"));
    assert_eq!(list_len(ev, "resp_mime_types"), Some(2));
    assert_eq!(raw_text(ev, "resp_mime_types").as_deref(), Some("a,b,c"));
    // An address or count that does not parse is kept as a string.
    assert_eq!(ev.get_raw("id.orig_h"), Some(ValueRef::Str("not-an-ip")));
    assert!(ev.get(keys::SOURCE_IP).is_none());
    assert_eq!(
        ev.get_raw("orig_bytes"),
        Some(ValueRef::Str("18446744073709551616"))
    );
    let ev = &out.events[1];
    assert_eq!(s(ev, keys::URL_ORIGINAL), Some("/e\\xff\\xfef"));
    assert_eq!(s(ev, keys::USER_AGENT_ORIGINAL), Some("agent\\xfe"));
    assert_eq!(list_len(ev, "resp_mime_types"), Some(0));
    assert_eq!(text(ev, keys::SOURCE_IP).as_deref(), Some("::1"));
}

#[test]
fn crlf_lines_and_types_mismatch() {
    let conn = String::from_utf8(data("zeek-cut-logs/conn.log"))
        .unwrap()
        .replace('\n', "\r\n");
    let out = run(Format::ZeekTsv, conn.as_bytes());
    assert_eq!(out.events.len(), 5);
    assert_eq!(list_len(&out.events[0], "tunnel_parents"), Some(0));

    let input = "#separator \\x09\n#fields\tts\ta\tb\n#types\ttime\tcount\n1.0\t5\t6\n";
    let out = run(Format::ZeekTsv, input.as_bytes());
    assert_eq!(out.errors.len(), 1);
    assert_eq!(
        out.errors[0].1.reason,
        "#types has 2 entries but #fields has 3"
    );
    // The record still decodes; the untyped column reads as a string.
    assert_eq!(out.events[0].get_raw("a"), Some(ValueRef::Int(5)));
    assert_eq!(out.events[0].get_raw("b"), Some(ValueRef::Str("6")));
}

#[test]
fn a_megabyte_of_junk_is_rejected_quickly_and_quietly() {
    let mut junk = Vec::with_capacity(1 << 20);
    let mut x: u32 = 12345;
    while junk.len() < 1 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = (x >> 16) as u8;
        if b != b'\n' {
            junk.push(b);
        }
    }
    junk[0] = b'J';
    let mut tsv = decoder(Format::ZeekTsv);
    for l in lines(&data("zeek-cut-logs/conn.log")).into_iter().take(8) {
        tsv.decode(l, Origin::default()).unwrap();
    }
    let e = tsv.decode(&junk, Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schema);
    assert!(e.reason.len() < 100, "{}", e.reason);
    // All tabs: the right column count of empty values; ts is empty.
    let tabs = vec![b'\t'; 19];
    assert_eq!(
        tsv.decode(&tabs, Origin::default()).unwrap_err().kind,
        ErrorKind::Time
    );

    let mut json = decoder(Format::ZeekJson);
    let e = json.decode(&junk, Origin::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.reason.len() < 100, "{}", e.reason);
    // A megabyte string value inside a valid record is fine.
    let big = format!(
        "{{\"ts\":1.5,\"_path\":\"http\",\"uri\":\"/{}\"}}",
        "a".repeat(1 << 20)
    );
    let ev = json
        .decode(big.as_bytes(), Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::URL_PATH).map(str::len), Some((1 << 20) + 1));
}

// ---------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------

#[test]
fn otrf_streams_datasets_and_underscore_names() {
    let out = run(Format::ZeekJson, &data("otrf/combined_zeek.head600.log"));
    let mut by_dataset: BTreeMap<&str, usize> = BTreeMap::new();
    for ev in &out.events {
        *by_dataset
            .entry(s(ev, keys::EVENT_DATASET).unwrap())
            .or_insert(0) += 1;
    }
    // `grep -o '"@stream":"[a-z_]*"' | sort | uniq -c` on the same lines.
    let want: BTreeMap<&str, usize> = [
        ("zeek.conn", 479),
        ("zeek.dce_rpc", 57),
        ("zeek.dns", 21),
        ("zeek.dpd", 6),
        ("zeek.files", 37),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_dataset, want);

    // First line: {"@stream":"conn",…,"ts":1588205199.82437,"uid":"Cvf4XX17hSAgXDdGEd",
    // "id_orig_h":"10.0.1.6","id_orig_p":54243,"id_resp_h":"10.0.0.4","id_resp_p":53,
    // "proto":"udp","service":"dns","duration":0.001528024673461914,"orig_bytes":39,…}
    let ev = &out.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2020-04-30T00:06:39.824370Z");
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("zeek-json"));
    assert_eq!(raw_text(ev, "id_orig_h").as_deref(), Some("10.0.1.6"));
    assert!(ev.get_raw("id.orig_h").is_none());
    assert_eq!(
        ev.get(keys::SOURCE_IP),
        Some(ValueRef::Ip("10.0.1.6".parse().unwrap()))
    );
    assert_eq!(i(ev, keys::SOURCE_PORT), Some(54243));
    assert_eq!(text(ev, keys::DESTINATION_IP).as_deref(), Some("10.0.0.4"));
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(53));
    assert_eq!(s(ev, keys::NETWORK_TRANSPORT), Some("udp"));
    assert_eq!(s(ev, keys::NETWORK_PROTOCOL), Some("dns"));
    assert_eq!(i(ev, keys::EVENT_DURATION), Some(1_528_025));
    assert_eq!(i(ev, keys::SOURCE_BYTES), Some(39));
    assert_eq!(s(ev, keys::PHIWATCH_SESSION_ID), Some("Cvf4XX17hSAgXDdGEd"));
    assert_eq!(
        raw_text(ev, "@system").as_deref(),
        Some("bobs.bigwheel.local")
    );

    // Every OTRF record gets its addresses when it has them.
    for ev in &out.events {
        assert_eq!(
            ev.get(keys::SOURCE_IP).is_some(),
            ev.get_raw("id_orig_h").is_some()
        );
    }
}

#[test]
fn otrf_per_stream_normalization() {
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_http.log"),
    )
    .events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.http"));
    assert!(ev.get(keys::HTTP_REQUEST_METHOD).is_some());
    assert!(ev.get(keys::URL_ORIGINAL).is_some());
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_ssl.log"),
    )
    .events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.ssl"));
    assert!(ev.get(keys::TLS_VERSION).is_some());
    assert!(ev.get(keys::TLS_CIPHER).is_some());
    let out = run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_dns.log"),
    );
    assert!(out
        .events
        .iter()
        .all(|e| s(e, keys::EVENT_DATASET) == Some("zeek.dns")));
    assert!(out
        .events
        .iter()
        .any(|e| e.get(keys::DNS_QUESTION_NAME).is_some()));
    let out = run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_files.log"),
    );
    assert!(out.events.iter().all(|e| e.get(keys::FILE_SIZE).is_some()
        == (e.get_raw("total_bytes").is_some() || e.get_raw("seen_bytes").is_some())));
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_notice.log"),
    )
    .events[0];
    assert!(ev.get(keys::RULE_NAME).is_some());
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_weird.log"),
    )
    .events[0];
    assert!(ev.get(keys::EVENT_ACTION).is_some());
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_x509.log"),
    )
    .events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.x509"));
    let ev = &run(
        Format::ZeekJson,
        &data("otrf/individual_zeek_logs/SCRANTON_pe.log"),
    )
    .events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.pe"));
    assert_eq!(list_len(ev, "section_names"), Some(3));
}

#[test]
fn zeek_json_baselines_unmasked() {
    let out = run(
        Format::ZeekJson,
        &unmask(&data("baseline/javascript.http-uri-sha256/http.log")),
    );
    let ev = &out.events[0];
    // No _path and no @stream: inferred from method + uri.
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.http"));
    assert_eq!(ev.time().to_rfc3339(), "2011-03-18T19:06:07.096535Z");
    assert_eq!(s(ev, keys::URL_DOMAIN), Some("bro.org"));
    assert_eq!(s(ev, keys::URL_PATH), Some("/download/CHANGES.bro-aux.txt"));
    assert_eq!(i(ev, keys::HTTP_RESPONSE_BODY_BYTES), Some(4705));
    assert_eq!(list_len(ev, "tags"), Some(0));

    // Zeek's JSON writer escapes non-printable bytes as a literal `\x07`.
    let out = run(
        Format::ZeekJson,
        &unmask(&data(
            "baseline/scripts.base.frameworks.logging.json-non-printable-escaping/http.log.json",
        )),
    );
    let uris: Vec<&str> = out
        .events
        .iter()
        .map(|e| s(e, keys::URL_ORIGINAL).unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "/regular_file.html",
            "/printable_😄",
            "/non_printable_\\x07",
            "/non_printable_literal_\\x07"
        ]
    );

    // Every Zeek type in JSON, with the masked `t` unmasked and renamed ts.
    let all = String::from_utf8(data(
        "baseline/scripts.base.frameworks.logging.ascii-json/ssh.log",
    ))
    .unwrap()
    .replace(&format!("\"t\":{MASK}"), &format!("\"ts\":{UNMASKED}"));
    let out = run(Format::ZeekJson, all.as_bytes());
    let ev = &out.events[0];
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("zeek.unknown"));
    assert_eq!(ev.get_raw("b"), Some(ValueRef::Bool(true)));
    assert_eq!(ev.get_raw("i"), Some(ValueRef::Int(-42)));
    assert_eq!(raw_text(ev, "vn").as_deref(), Some("0,,2"));
    assert_eq!(list_len(ev, "se"), Some(0));
    assert_eq!(ev.get_raw("iv"), Some(ValueRef::Float(100.0)));
}

#[test]
fn iso_timestamps() {
    let iso = String::from_utf8(data(
        "baseline/scripts.base.frameworks.logging.ascii-json-iso-timestamps/ssh.log",
    ))
    .unwrap()
    .replace("{\"t\":", "{\"ts\":");
    let out = run(Format::ZeekJson, iso.as_bytes());
    assert!(out.errors.is_empty());
    let times: Vec<String> = out.events.iter().map(|e| e.time().to_rfc3339()).collect();
    assert_eq!(
        times,
        [
            "2008-07-09T16:13:30.005432Z",
            "1986-12-01T01:01:01.900000Z",
            "1969-12-31T23:59:59.600000Z",
            "1969-12-31T23:59:59.500000Z",
            "1969-12-31T23:59:59.400000Z",
            "1969-12-31T23:59:59.000000Z",
            "1969-12-31T23:59:58.600000Z",
            "1969-12-31T23:59:58.500000Z",
            "1969-12-31T23:59:58.400000Z",
            "1969-12-31T23:58:21.000000Z",
        ]
    );
    let mut dec = decoder(Format::ZeekJson);
    for (rec, reason) in [
        (
            r#"{"ts":"yesterday","ssn":"123-45-6789"}"#,
            "ts: not a valid time (expected epoch seconds or an ISO 8601 string)",
        ),
        (
            r#"{"ts":true}"#,
            "ts: not a valid time (expected epoch seconds or an ISO 8601 string)",
        ),
        (
            r#"{"ts":"XXXXXXXXXX.XXXXXX"}"#,
            "ts: masked timestamp (XXXXXXXXXX.XXXXXX)",
        ),
        (r#"{"uid":"C1"}"#, "ts: missing (no ts field)"),
    ] {
        let e = dec.decode(rec.as_bytes(), Origin::default()).unwrap_err();
        assert_eq!((e.kind, e.reason.as_str()), (ErrorKind::Time, reason));
    }
    let ev = dec
        .decode(
            br#"{"ts":"1300475167.5","_path":"conn"}"#,
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2011-03-18T19:06:07.500000Z");
    let ev = dec
        .decode(br#"{"ts":1300475167}"#, Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2011-03-18T19:06:07.000000Z");
}

#[test]
fn json_dataset_sources_and_inference() {
    let mut dec = decoder(Format::ZeekJson);
    let mut ds = |rec: &str| -> String {
        let ev = dec
            .decode(rec.as_bytes(), Origin::default())
            .unwrap()
            .unwrap();
        s(&ev, keys::EVENT_DATASET).unwrap().to_string()
    };
    assert_eq!(
        ds(r#"{"ts":1,"_path":"dns","@stream":"conn","query":"a"}"#),
        "zeek.dns"
    );
    assert_eq!(ds(r#"{"ts":1,"@stream":"smb_files"}"#), "zeek.smb_files");
    assert_eq!(ds(r#"{"ts":1,"conn_state":"S0"}"#), "zeek.conn");
    assert_eq!(ds(r#"{"ts":1,"history":"Dd"}"#), "zeek.conn");
    assert_eq!(ds(r#"{"ts":1,"query":"a","qtype_name":"A"}"#), "zeek.dns");
    assert_eq!(ds(r#"{"ts":1,"query":"a","rcode":0}"#), "zeek.dns");
    assert_eq!(ds(r#"{"ts":1,"method":"GET","uri":"/"}"#), "zeek.http");
    assert_eq!(ds(r#"{"ts":1,"server_name":"x"}"#), "zeek.ssl");
    assert_eq!(ds(r#"{"ts":1,"ssl_history":"CsiI"}"#), "zeek.ssl");
    assert_eq!(
        ds(r#"{"ts":1,"fuid":"F1","mime_type":"text/plain"}"#),
        "zeek.files"
    );
    assert_eq!(ds(r#"{"ts":1,"fuid":"F1","seen_bytes":3}"#), "zeek.files");
    assert_eq!(
        ds(r#"{"ts":1,"certificate":{"subject":"CN=x"}}"#),
        "zeek.x509"
    );
    assert_eq!(ds(r#"{"ts":1,"certificate_subject":"CN=x"}"#), "zeek.x509");
    assert_eq!(ds(r#"{"ts":1,"note":"Scan::Port_Scan"}"#), "zeek.notice");
    assert_eq!(ds(r#"{"ts":1,"seen.indicator":"1.2.3.4"}"#), "zeek.intel");
    assert_eq!(
        ds(r#"{"ts":1,"name":"bad_TCP_checksum","notice":false}"#),
        "zeek.weird"
    );
    assert_eq!(ds(r#"{"ts":1,"query":"a"}"#), "zeek.unknown");
    // An unknown path keeps the raw `_path`.
    let ev = dec
        .decode(
            br#"{"ts":1,"_path":"my_log","id.orig_h":"10.0.0.1"}"#,
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::EVENT_DATASET), Some("zeek.unknown"));
    assert_eq!(raw_text(&ev, "_path").as_deref(), Some("my_log"));
    assert_eq!(text(&ev, keys::SOURCE_IP).as_deref(), Some("10.0.0.1"));
    // Nested `id` objects flatten to the dotted names.
    let ev = dec
        .decode(
            br#"{"ts":1,"_path":"conn","id":{"orig_h":"10.0.0.1","resp_p":80}}"#,
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(text(&ev, keys::SOURCE_IP).as_deref(), Some("10.0.0.1"));
    assert_eq!(i(&ev, keys::DESTINATION_PORT), Some(80));
    // Blank and comment lines are not records.
    assert!(dec.decode(b"   ", Origin::default()).unwrap().is_none());
    assert!(dec
        .decode(b"### BTest", Origin::default())
        .unwrap()
        .is_none());
    // Not an object; invalid UTF-8.
    assert_eq!(
        dec.decode(b"[1,2]", Origin::default()).unwrap_err().kind,
        ErrorKind::Schema
    );
    let e = dec
        .decode(b"{\"ts\":1,\"uri\":\"/\xff\"}", Origin::default())
        .unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::Syntax | ErrorKind::Encoding),
        "{e:?}"
    );
}

/// The same conn records, as TSV and as the JSON Zeek would write for them
/// (unset fields omitted, sets as arrays), normalize the same.
#[test]
fn tsv_and_json_parity() {
    let tsv = data("zeek-cut-logs/conn.log");
    let tsv_out = run(Format::ZeekTsv, &tsv);
    let all = lines(&tsv);
    let fields: Vec<&str> = std::str::from_utf8(all[6])
        .unwrap()
        .split('\t')
        .skip(1)
        .collect();
    let types: Vec<&str> = std::str::from_utf8(all[7])
        .unwrap()
        .split('\t')
        .skip(1)
        .collect();
    let mut json = String::new();
    for l in &all[8..13] {
        let vals: Vec<&str> = std::str::from_utf8(l).unwrap().split('\t').collect();
        let mut obj = vec!["\"_path\":\"conn\"".to_string()];
        for ((name, ty), v) in fields.iter().zip(&types).zip(&vals) {
            if *v == "-" {
                continue;
            }
            let jv = match *ty {
                "time" | "interval" | "count" | "port" | "int" | "double" => v.to_string(),
                "bool" => (*v == "T").to_string(),
                t if t.starts_with("set[") => {
                    if *v == "(empty)" {
                        "[]".to_string()
                    } else {
                        format!(
                            "[{}]",
                            v.split(',')
                                .map(|x| format!("\"{x}\""))
                                .collect::<Vec<_>>()
                                .join(",")
                        )
                    }
                }
                _ => format!("\"{v}\""),
            };
            obj.push(format!("\"{name}\":{jv}"));
        }
        json.push_str(&format!("{{{}}}\n", obj.join(",")));
    }
    let json_out = run(Format::ZeekJson, json.as_bytes());
    assert_eq!(tsv_out.events.len(), 5);
    assert_eq!(json_out.events.len(), 5);
    for (t, j) in tsv_out.events.iter().zip(&json_out.events) {
        assert_eq!(t.time(), j.time());
        let norm = |ev: &Event| -> Vec<(String, String)> {
            ev.fields()
                .filter(|f| {
                    f.kind == phiwatch_event::FieldKind::Normalized && f.name != "phiwatch.format"
                })
                .map(|f| (f.name.to_string(), f.value.to_string()))
                .collect()
        };
        let (mut a, mut b) = (norm(t), norm(j));
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(a.len() >= 14, "{a:?}");
    }
}

// ---------------------------------------------------------------------------
// Never panics.
// ---------------------------------------------------------------------------

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "-",
        "(empty)",
        "",
        "\\",
        "\\x",
        "\\xZZ",
        "\\x41",
        "\\\\",
        ",",
        ",,",
        "0",
        "-1",
        "18446744073709551616",
        "1.5",
        "1e400",
        "nan",
        "T",
        "F",
        "10.0.0.1",
        "::1",
        "1.2.3.4.5",
        "XXXXXXXXXX.XXXXXX",
        "1300475167.096535",
        "\u{fffd}",
        "#",
        "set[",
        "{",
        "\"",
    ];

    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(
                any::<u8>().prop_filter("no newline", |b| *b != b'\n'),
                0..200
            ),
            proptest::collection::vec(proptest::sample::select(TOKENS), 0..30)
                .prop_map(|t| t.join("\t").into_bytes()),
            (
                proptest::sample::select(
                    &[
                        "#separator ",
                        "#set_separator\t",
                        "#empty_field\t",
                        "#unset_field\t",
                        "#fields\t",
                        "#types\t",
                        "#path\t",
                    ][..]
                ),
                proptest::collection::vec(proptest::sample::select(TOKENS), 0..6),
            )
                .prop_map(|(d, t)| format!("{d}{}", t.join("\t")).into_bytes()),
            proptest::collection::vec(proptest::sample::select(TOKENS), 0..10).prop_map(|t| {
                format!(
                    "{{\"ts\":1.5,\"_path\":\"conn\",\"id.orig_h\":\"{}\",\"x\":[{}]}}",
                    t.join(""),
                    t.len()
                )
                .into_bytes()
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn decoders_never_panic(input in proptest::collection::vec(line(), 0..12)) {
            for fmt in [Format::ZeekTsv, Format::ZeekJson] {
                let mut dec = decoder(fmt);
                let header = if matches!(fmt, Format::ZeekTsv) {
                    lines(&data("baseline/opt.basic/dns.log")).into_iter().take(10).map(<[u8]>::to_vec).collect()
                } else {
                    Vec::new()
                };
                for l in header.iter().chain(&input) {
                    let _ = dec.decode(l, Origin::default());
                }
            }
        }
    }
}
