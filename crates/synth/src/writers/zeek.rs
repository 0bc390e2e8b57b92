//! Zeek TSV: conn.log (every connection), ssl.log (with a server name),
//! http.log (with an HTTP request), dns.log (DNS queries).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use phiwatch_event::Timestamp;

use super::{base62, Ctx, Naming, Rotating, Style};
use crate::model::{Conn, Dns};
use crate::GenError;

const CONN_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
];
const CONN_TYPES: &[&str] = &[
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "string",
    "interval",
    "count",
    "count",
    "string",
    "bool",
    "bool",
    "count",
    "string",
    "count",
    "count",
    "count",
    "count",
    "set[string]",
];

const DNS_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
];
const DNS_TYPES: &[&str] = &[
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "count",
    "interval",
    "string",
    "count",
    "string",
    "count",
    "string",
    "count",
    "string",
    "bool",
    "bool",
    "bool",
    "bool",
    "count",
    "vector[string]",
    "vector[interval]",
    "bool",
];

const SSL_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "version",
    "cipher",
    "curve",
    "server_name",
    "resumed",
    "last_alert",
    "next_protocol",
    "established",
    "ssl_history",
    "cert_chain_fps",
    "client_cert_chain_fps",
    "sni_matches_cert",
];
const SSL_TYPES: &[&str] = &[
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "string",
    "string",
    "string",
    "string",
    "bool",
    "string",
    "string",
    "bool",
    "string",
    "vector[string]",
    "vector[string]",
    "bool",
];

const HTTP_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "trans_depth",
    "method",
    "host",
    "uri",
    "referrer",
    "version",
    "user_agent",
    "origin",
    "request_body_len",
    "response_body_len",
    "status_code",
    "status_msg",
    "info_code",
    "info_msg",
    "tags",
    "username",
    "password",
    "proxied",
    "orig_fuids",
    "orig_filenames",
    "orig_mime_types",
    "resp_fuids",
    "resp_filenames",
    "resp_mime_types",
];
const HTTP_TYPES: &[&str] = &[
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "count",
    "string",
    "string",
    "string",
    "string",
    "string",
    "string",
    "string",
    "count",
    "count",
    "count",
    "string",
    "count",
    "string",
    "set[enum]",
    "string",
    "string",
    "set[string]",
    "vector[string]",
    "vector[string]",
    "vector[string]",
    "vector[string]",
    "vector[string]",
    "vector[string]",
];

pub(crate) struct Zeek {
    conn: Rotating,
    dns: Rotating,
    ssl: Rotating,
    http: Rotating,
}

fn daily(
    stem: &'static str,
    fields: &'static [&'static str],
    types: &'static [&'static str],
) -> Rotating {
    Rotating::new(
        "logs/zeek",
        Naming::Daily { stem, ext: "log" },
        Style::Zeek {
            path: stem,
            fields,
            types,
        },
    )
}

fn ts(out: &mut String, t: Timestamp) {
    let n = t.as_nanos();
    let _ = write!(
        out,
        "{}.{:06}",
        n.div_euclid(1_000_000_000),
        n.rem_euclid(1_000_000_000) / 1000
    );
}

fn uid(ctx: &mut Ctx, out: &mut String) {
    out.push('C');
    base62(&mut ctx.rng, 17, out);
}

/// Appends a Zeek string value: escaped separator and control bytes,
/// `(empty)` for the empty string, `-` escaped when it is the whole value.
fn string(out: &mut String, s: &str) {
    if s.is_empty() {
        out.push_str("(empty)");
        return;
    }
    if s == "-" {
        out.push_str("\\x2d");
        return;
    }
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\x5c"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A container element: also escapes the set separator.
fn element(out: &mut String, s: &str) {
    if s.contains(',') {
        string(out, &s.replace(',', "\\x2c"));
    } else {
        string(out, s);
    }
}

fn is_local(ip: Ipv4Addr) -> bool {
    ip.octets()[0] == 10
}

fn tf(b: bool) -> &'static str {
    if b {
        "T"
    } else {
        "F"
    }
}

fn ids(out: &mut String, src: Ipv4Addr, sp: u16, dst: Ipv4Addr, dp: u16) {
    let _ = write!(out, "\t{src}\t{sp}\t{dst}\t{dp}");
}

fn status_msg(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "-",
    }
}

fn qtype_num(q: &str) -> u32 {
    match q {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "NULL" => 10,
        "PTR" => 12,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        "HTTPS" => 65,
        "ANY" => 255,
        _ => 1,
    }
}

fn rcode_num(r: &str) -> u32 {
    match r {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        _ => 0,
    }
}

impl Zeek {
    pub(crate) fn new() -> Zeek {
        Zeek {
            conn: daily("conn", CONN_FIELDS, CONN_TYPES),
            dns: daily("dns", DNS_FIELDS, DNS_TYPES),
            ssl: daily("ssl", SSL_FIELDS, SSL_TYPES),
            http: daily("http", HTTP_FIELDS, HTTP_TYPES),
        }
    }

    pub(crate) fn conn(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        c: &Conn,
    ) -> Result<(), GenError> {
        let mut id = String::with_capacity(18);
        uid(ctx, &mut id);
        line.clear();
        ts(line, t);
        line.push('\t');
        line.push_str(&id);
        ids(line, c.src, c.src_port, c.dst, c.dst_port);
        let tcp = c.proto == "tcp";
        let (history, established) = match (c.state, tcp) {
            ("S0", true) => ("S", false),
            ("REJ", true) => ("Sr", false),
            ("RSTO", true) => ("ShADadR", true),
            ("RSTR", true) => ("ShADadr", true),
            ("SH", true) => ("ShF", false),
            (_, true) => ("ShADadFf", true),
            ("S0", false) => ("D", false),
            (_, false) => ("Dd", true),
        };
        let orig_bytes = if established { c.orig_bytes } else { 0 };
        let resp_bytes = if established { c.resp_bytes } else { 0 };
        let hdr = if tcp { 52 } else { 28 };
        let orig_pkts = if tcp { 2 } else { 0 } + orig_bytes.div_ceil(1400).max(1);
        let resp_pkts = if !established {
            u64::from(c.state == "REJ")
        } else {
            u64::from(tcp) * 2 + resp_bytes.div_ceil(1400).max(1)
        };
        let _ = write!(line, "\t{}\t", c.proto);
        if c.service.is_empty() || c.service == "-" {
            line.push('-');
        } else {
            string(line, c.service);
        }
        if established || c.duration > 0.0 {
            let _ = write!(line, "\t{:.6}", c.duration.max(0.0));
        } else {
            line.push_str("\t-");
        }
        if established {
            let _ = write!(line, "\t{orig_bytes}\t{resp_bytes}");
        } else {
            line.push_str("\t0\t0");
        }
        let _ = writeln!(
            line,
            "\t{}\t{}\t{}\t0\t{}\t{}\t{}\t{}\t{}\t(empty)",
            c.state,
            tf(is_local(c.src)),
            tf(is_local(c.dst)),
            history,
            orig_pkts,
            orig_bytes + orig_pkts * hdr,
            resp_pkts,
            resp_bytes + resp_pkts * hdr,
        );
        self.conn.write(ctx, t, line.as_bytes(), 1)?;

        if let Some(sni) = &c.server_name {
            line.clear();
            ts(line, t);
            line.push('\t');
            line.push_str(&id);
            ids(line, c.src, c.src_port, c.dst, c.dst_port);
            line.push_str("\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\t");
            string(line, sni);
            let _ = writeln!(
                line,
                "\tF\t-\t-\t{}\t{}\t-\t-\t-",
                tf(established),
                if established { "CsiI" } else { "C" }
            );
            self.ssl.write(ctx, t, line.as_bytes(), 1)?;
        }
        if let Some(h) = &c.http {
            line.clear();
            ts(line, t);
            line.push('\t');
            line.push_str(&id);
            ids(line, c.src, c.src_port, c.dst, c.dst_port);
            line.push_str("\t1\t");
            string(line, h.method);
            line.push('\t');
            string(line, &h.host);
            line.push('\t');
            string(line, &h.uri);
            line.push_str("\t-\t1.1\t");
            string(line, &h.user_agent);
            let _ = writeln!(
                line,
                "\t-\t{}\t{}\t{}\t{}\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-",
                c.orig_bytes.saturating_sub(300).min(orig_bytes),
                c.resp_bytes.saturating_sub(300).min(resp_bytes),
                h.status,
                status_msg(h.status)
            );
            self.http.write(ctx, t, line.as_bytes(), 1)?;
        }
        Ok(())
    }

    pub(crate) fn dns(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        d: &Dns,
    ) -> Result<(), GenError> {
        line.clear();
        ts(line, t);
        line.push('\t');
        uid(ctx, line);
        let sport = 1024 + (ctx.rng.below(64_511) as u16);
        ids(line, d.src, sport, d.resolver, 53);
        let trans = ctx.rng.below(65_536);
        let rtt = 0.0002 + ctx.rng.unit() * 0.05;
        let _ = write!(line, "\tudp\t{trans}\t{rtt:.6}\t");
        string(line, &d.query);
        let _ = write!(
            line,
            "\t1\tC_INTERNET\t{}\t{}\t{}\t{}\tF\tF\tT\tT\t0\t",
            qtype_num(d.qtype),
            d.qtype,
            rcode_num(d.rcode),
            d.rcode
        );
        if d.answers.is_empty() {
            line.push_str("-\t-");
        } else {
            for (i, a) in d.answers.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                element(line, a);
            }
            line.push('\t');
            for i in 0..d.answers.len() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str("300.000000");
            }
        }
        line.push_str("\tF\n");
        self.dns.write(ctx, t, line.as_bytes(), 1)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.conn.close(ctx)?;
        self.dns.close(ctx)?;
        self.ssl.close(ctx)?;
        self.http.close(ctx)
    }
}
