//! Writers: one per log format. Each turns [`Activity`] records into the
//! lines of its format and appends them to files rotated by time (daily;
//! CloudTrail hourly), counting the records a decoder will read back.
//!
//! Everything written is a function of the activities and of the writers'
//! own random generator (for incidental ids: Zeek uids, UUIDs): no
//! wall-clock time, no hash-map order.

mod cloudtrail;
mod fhir;
pub(crate) mod inventory;
mod nginx;
mod okta;
mod postgres;
mod zeek;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use phiwatch_event::Timestamp;

use crate::model::{Activity, Kind, Org};
use crate::{GenError, Rng};

/// A file written, with what a decoder will count in it.
#[derive(Debug, Clone)]
pub(crate) struct FileStat {
    /// Path relative to the output directory (`logs/zeek/conn.2026-11-02.log`).
    pub rel: String,
    /// Records (decoded events) in it.
    pub records: u64,
    /// Bytes in it.
    pub bytes: u64,
}

/// State shared by the writers: the files and what the last activity wrote.
pub(crate) struct Ctx {
    out: PathBuf,
    /// Every file opened, in order of opening.
    pub files: Vec<FileStat>,
    /// `(file index, records)` written for the current activity.
    pub touched: Vec<(usize, u64)>,
    /// Incidental randomness (ids).
    pub rng: Rng,
}

impl Ctx {
    fn io(&self, rel: &str, source: std::io::Error) -> GenError {
        GenError::Io {
            path: self.out.join(rel),
            source,
        }
    }
}

/// How a rotated file is named.
#[derive(Debug, Clone)]
pub(crate) enum Naming {
    /// `<stem>.<YYYY-MM-DD>.<ext>`, one a day.
    Daily {
        stem: &'static str,
        ext: &'static str,
    },
    /// `<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>.json`, one an hour.
    CloudTrailHourly { account: String },
}

/// What surrounds the records of a file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    /// One record per line (or per few lines), nothing around.
    Plain,
    /// A Zeek TSV header (`#separator` … `#types`) and a `#close` footer.
    Zeek {
        path: &'static str,
        fields: &'static [&'static str],
        types: &'static [&'static str],
    },
    /// A CloudTrail `{"Records":[…]}` envelope, one element per line.
    Records,
}

struct Open {
    id: usize,
    start: i64,
    w: BufWriter<File>,
    last: Timestamp,
    empty: bool,
}

/// A log rotated by time.
pub(crate) struct Rotating {
    rel_dir: String,
    naming: Naming,
    style: Style,
    cur: Option<Open>,
}

impl Rotating {
    pub(crate) fn new(rel_dir: &str, naming: Naming, style: Style) -> Rotating {
        Rotating {
            rel_dir: rel_dir.to_string(),
            naming,
            style,
            cur: None,
        }
    }

    fn period(&self) -> i64 {
        match self.naming {
            Naming::Daily { .. } => 86_400,
            Naming::CloudTrailHourly { .. } => 3_600,
        }
    }

    fn file_name(&self, start: i64) -> String {
        let c = Civil::of(start);
        match &self.naming {
            Naming::Daily { stem, ext } => {
                format!("{stem}.{:04}-{:02}-{:02}.{ext}", c.y, c.m, c.d)
            }
            Naming::CloudTrailHourly { account } => format!(
                "{account}_CloudTrail_us-east-1_{:04}{:02}{:02}T{:02}00Z.json",
                c.y, c.m, c.d, c.hh
            ),
        }
    }

    /// Appends `bytes` (whole records, with their line ends) holding
    /// `records` records of time `t`.
    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        t: Timestamp,
        bytes: &[u8],
        records: u64,
    ) -> Result<(), GenError> {
        let period = self.period();
        let mut start = t.as_secs().div_euclid(period) * period;
        if let Some(cur) = &self.cur {
            // Never go back to a closed file: a late record joins the current one.
            start = start.max(cur.start);
            if start != cur.start {
                self.close(ctx)?;
            }
        }
        if self.cur.is_none() {
            self.open(ctx, start)?;
        }
        let Some(cur) = self.cur.as_mut() else {
            return Ok(());
        };
        let stat = &mut ctx.files[cur.id];
        let mut n = 0u64;
        let res = (|| {
            if matches!(self.style, Style::Records) && !cur.empty {
                cur.w.write_all(b",\n")?;
                n += 2;
            }
            cur.w.write_all(bytes)
        })();
        if let Err(e) = res {
            let rel = stat.rel.clone();
            return Err(ctx.io(&rel, e));
        }
        stat.bytes += n + bytes.len() as u64;
        stat.records += records;
        cur.empty = false;
        cur.last = cur.last.max(t);
        ctx.touched.push((cur.id, records));
        Ok(())
    }

    fn open(&mut self, ctx: &mut Ctx, start: i64) -> Result<(), GenError> {
        let rel = format!("{}/{}", self.rel_dir, self.file_name(start));
        let path = ctx.out.join(&rel);
        let file = File::create(&path).map_err(|e| ctx.io(&rel, e))?;
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        let mut head = String::new();
        match self.style {
            Style::Plain => {}
            Style::Zeek {
                path,
                fields,
                types,
            } => {
                let c = Civil::of(start);
                head.push_str(
                    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n",
                );
                head.push_str(&format!("#path\t{path}\n#open\t{}\n", c.zeek()));
                head.push_str("#fields");
                for f in fields {
                    head.push('\t');
                    head.push_str(f);
                }
                head.push_str("\n#types");
                for t in types {
                    head.push('\t');
                    head.push_str(t);
                }
                head.push('\n');
            }
            Style::Records => head.push_str("{\"Records\":[\n"),
        }
        w.write_all(head.as_bytes()).map_err(|e| ctx.io(&rel, e))?;
        ctx.files.push(FileStat {
            rel,
            records: 0,
            bytes: head.len() as u64,
        });
        self.cur = Some(Open {
            id: ctx.files.len() - 1,
            start,
            w,
            last: Timestamp::from_nanos(start.saturating_mul(1_000_000_000)),
            empty: true,
        });
        Ok(())
    }

    /// Writes the footer and flushes the current file.
    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        let Some(mut cur) = self.cur.take() else {
            return Ok(());
        };
        let tail = match self.style {
            Style::Plain => String::new(),
            Style::Zeek { .. } => format!("#close\t{}\n", Civil::of(cur.last.as_secs()).zeek()),
            Style::Records => "\n]}\n".to_string(),
        };
        let stat = &mut ctx.files[cur.id];
        stat.bytes += tail.len() as u64;
        let rel = stat.rel.clone();
        cur.w
            .write_all(tail.as_bytes())
            .and_then(|()| cur.w.flush())
            .map_err(|e| ctx.io(&rel, e))
    }
}

/// Every writer.
pub(crate) struct Writers {
    pub ctx: Ctx,
    zeek: zeek::Zeek,
    pg: postgres::Postgres,
    fhir: fhir::FhirWriter,
    nginx: nginx::Nginx,
    okta: okta::OktaWriter,
    cloudtrail: cloudtrail::CloudTrail,
    line: String,
}

/// The log directories under `out/logs/`.
pub(crate) const LOG_DIRS: &[&str] = &["zeek", "postgres", "fhir", "okta", "cloudtrail", "nginx"];

impl Writers {
    /// Writers into `out/logs/…` (the directories must exist).
    pub(crate) fn new(out: &Path, org: &Org, rng: Rng) -> Writers {
        Writers {
            ctx: Ctx {
                out: out.to_path_buf(),
                files: Vec::new(),
                touched: Vec::new(),
                rng,
            },
            zeek: zeek::Zeek::new(),
            pg: postgres::Postgres::new(),
            fhir: fhir::FhirWriter::new(org),
            nginx: nginx::Nginx::new(),
            okta: okta::OktaWriter::new(org),
            cloudtrail: cloudtrail::CloudTrail::new(org),
            line: String::with_capacity(4096),
        }
    }

    /// Writes one activity; afterwards `ctx.touched` says which files got
    /// how many records.
    pub(crate) fn write(&mut self, a: &Activity) -> Result<(), GenError> {
        self.ctx.touched.clear();
        let ctx = &mut self.ctx;
        let line = &mut self.line;
        match &a.kind {
            Kind::Conn(c) => self.zeek.conn(ctx, line, a.time, c),
            Kind::Dns(d) => self.zeek.dns(ctx, line, a.time, d),
            Kind::Db(d) => self.pg.write(ctx, line, a.time, d),
            Kind::Fhir(f) => {
                self.fhir.write(ctx, line, a.time, f)?;
                self.nginx.write(ctx, line, a.time, f)
            }
            Kind::Okta(o) => self.okta.write(ctx, line, a.time, o),
            Kind::Aws(x) => self.cloudtrail.write(ctx, line, a.time, x),
        }
    }

    /// Closes every file (footers, flush).
    pub(crate) fn finish(&mut self) -> Result<(), GenError> {
        let ctx = &mut self.ctx;
        self.zeek.close(ctx)?;
        self.pg.close(ctx)?;
        self.fhir.close(ctx)?;
        self.nginx.close(ctx)?;
        self.okta.close(ctx)?;
        self.cloudtrail.close(ctx)
    }
}

// ------------------------------------------------------------------ helpers

/// A UTC civil time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Civil {
    pub y: i64,
    pub m: u32,
    pub d: u32,
    pub hh: u32,
    pub mm: u32,
    pub ss: u32,
}

impl Civil {
    /// The civil time of epoch seconds.
    pub(crate) fn of(secs: i64) -> Civil {
        let c = Timestamp::from_nanos(secs.saturating_mul(1_000_000_000)).civil();
        Civil {
            y: c.year,
            m: c.month,
            d: c.day,
            hh: c.hour,
            mm: c.minute,
            ss: c.second,
        }
    }

    /// Zeek's `#open` / `#close` form: `2026-11-02-00-00-00`.
    pub(crate) fn zeek(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
            self.y, self.m, self.d, self.hh, self.mm, self.ss
        )
    }
}

/// Milliseconds within the second of `t`.
pub(crate) fn millis(t: Timestamp) -> u32 {
    (t.as_nanos().rem_euclid(1_000_000_000) / 1_000_000) as u32
}

/// `2026-11-02T10:00:00.123Z`.
pub(crate) fn rfc3339_ms(out: &mut String, t: Timestamp) {
    use std::fmt::Write as _;
    let c = Civil::of(t.as_secs());
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.y,
        c.m,
        c.d,
        c.hh,
        c.mm,
        c.ss,
        millis(t)
    );
}

/// `2026-11-02T10:00:00Z`.
pub(crate) fn rfc3339_s(out: &mut String, t: Timestamp) {
    use std::fmt::Write as _;
    let c = Civil::of(t.as_secs());
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.y, c.m, c.d, c.hh, c.mm, c.ss
    );
}

/// Appends `s` as a JSON string (quoted and escaped).
pub(crate) fn json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A random UUID (version 4 form) from `rng`.
pub(crate) fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// `n` random characters of `[A-Za-z0-9]`.
pub(crate) fn base62(rng: &mut Rng, n: usize, out: &mut String) {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = rng.next_u64();
    for i in 0..n {
        if i % 10 == 9 {
            x = rng.next_u64();
        }
        out.push(char::from(A[(x % 62) as usize]));
        x /= 62;
    }
}

/// Standard base64 of `bytes`.
pub(crate) fn base64(bytes: &[u8], out: &mut String) {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::model::*;
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    #[test]
    fn civil_and_base64() {
        let c = Civil::of(1_793_577_600);
        assert_eq!((c.y, c.m, c.d, c.hh), (2026, 11, 2, 0));
        assert_eq!(c.zeek(), "2026-11-02-00-00-00");
        let c = Civil::of(951_782_400 + 86_399); // 2000-02-29 23:59:59
        assert_eq!((c.y, c.m, c.d, c.hh, c.mm, c.ss), (2000, 2, 29, 23, 59, 59));
        let mut s = String::new();
        base64(b"Man", &mut s);
        base64(b"Ma", &mut s);
        base64(b"M", &mut s);
        assert_eq!(s, "TWFuTWE=TQ==");
        let mut j = String::new();
        json_str(&mut j, "a\"b\\\n\u{1}");
        assert_eq!(j, "\"a\\\"b\\\\\\n\\u0001\"");
    }

    fn org() -> Org {
        Org {
            name: "Example General".into(),
            domain: "example.org".into(),
            hosts: vec![],
            people: vec![Person {
                username: "acme.support".into(),
                display: "Acme Support".into(),
                role: Role::Vendor,
                email: "support@acme.example".into(),
                okta_id: "00uacme".into(),
                host: 0,
                db_user: Some("acme_sync".into()),
                vendor: Some(0),
            }],
            vendors: vec![Vendor {
                name: "Acme".into(),
                domain: "acme.example".into(),
                networks: vec!["198.51.100.0/24".into()],
            }],
            patients: vec![Patient {
                id: "pt-000001".into(),
                state: "MA",
                deceased: false,
                contact: true,
            }],
            silos: vec![Silo {
                name: "ehr.patients".into(),
                kind: "table",
                matcher: vec![("db", "ehr".into()), ("table", "patients".into())],
                categories: vec!["name", "ssn"],
            }],
            sites: vec![],
            aws_account: "123456789012".into(),
            phi_bucket: "phi-exports".into(),
        }
    }

    fn acts(t0: i64) -> Vec<Activity> {
        let t = |s: i64| Timestamp::from_nanos((t0 + s) * 1_000_000_000 + 123_456_789);
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        let ext = Ipv4Addr::new(203, 0, 113, 9);
        let db = |what| {
            Kind::Db(Db {
                pid: 4242,
                user: "acme_sync".into(),
                database: "ehr".into(),
                client: (ip, 50000),
                application: "psql".into(),
                what,
            })
        };
        let mut v = vec![
            Kind::Conn(Conn {
                src: ip,
                src_port: 50123,
                dst: ext,
                dst_port: 443,
                proto: "tcp",
                service: "ssl",
                duration: 12.5,
                orig_bytes: 3_000_000_000,
                resp_bytes: 4000,
                state: "SF",
                server_name: Some("files.exfil.example".into()),
                http: None,
            }),
            Kind::Conn(Conn {
                src: ip,
                src_port: 50124,
                dst: ext,
                dst_port: 80,
                proto: "tcp",
                service: "http",
                duration: 0.5,
                orig_bytes: 500,
                resp_bytes: 40000,
                state: "SF",
                server_name: None,
                http: Some(HttpReq {
                    method: "GET",
                    host: "updates.example.com".into(),
                    uri: "/a b\tc".into(),
                    status: 200,
                    user_agent: "Agent, \"quoted\"".into(),
                }),
            }),
            Kind::Conn(Conn {
                src: ip,
                src_port: 50125,
                dst: ext,
                dst_port: 22,
                proto: "tcp",
                service: "-",
                duration: 0.0,
                orig_bytes: 0,
                resp_bytes: 0,
                state: "S0",
                server_name: None,
                http: None,
            }),
            Kind::Dns(Dns {
                src: ip,
                resolver: Ipv4Addr::new(10, 0, 0, 53),
                query: "aGVsbG8.t.exfil.example".into(),
                qtype: "TXT",
                answers: vec!["v=a,b".into(), "x".into()],
                rcode: "NOERROR",
            }),
            Kind::Dns(Dns {
                src: ip,
                resolver: Ipv4Addr::new(10, 0, 0, 53),
                query: "nx.example".into(),
                qtype: "A",
                answers: vec![],
                rcode: "NXDOMAIN",
            }),
            db(DbWhat::Connect),
            db(DbWhat::Audit {
                class: "READ",
                command: "SELECT",
                object: "ehr.patients".into(),
                statement: "SELECT id, name\n  FROM ehr.patients WHERE note = 'a \"b\"'".into(),
                rows: 48213,
            }),
            db(DbWhat::Audit {
                class: "READ",
                command: "COPY",
                object: String::new(),
                statement: "COPY ehr.patients TO stdout;".into(),
                rows: 250000,
            }),
            db(DbWhat::Disconnect),
            db(DbWhat::AuthFailed),
            Kind::Fhir(Fhir {
                agent: "dr.test".into(),
                app: false,
                client: ip,
                interaction: "read",
                resource: "Patient",
                patients: vec!["pt-000001".into()],
                path: "/fhir/Patient/pt-000001".into(),
                status: 200,
                bytes: 1834,
                user_agent: "EHRWeb/4.2".into(),
            }),
            Kind::Fhir(Fhir {
                agent: "acme-sync".into(),
                app: true,
                client: ext,
                interaction: "$export",
                resource: "Group",
                patients: vec![],
                path: "/fhir/Group/all/$export?_type=Patient".into(),
                status: 202,
                bytes: 0,
                user_agent: "acme-sync/0.1".into(),
            }),
            Kind::Okta(Okta {
                event_type: "user.session.start",
                user: "support@acme.example".into(),
                user_id: "00uacme".into(),
                ip: ext,
                outcome: "FAILURE",
                reason: Some("INVALID_CREDENTIALS"),
                mfa: Some(false),
                geo: ("NL", "Amsterdam"),
                asn: (64_511, "EXAMPLE-HOSTING"),
                user_agent: "python-requests/2.31".into(),
            }),
            Kind::Aws(Aws {
                source: "s3.amazonaws.com",
                name: "GetObject",
                principal: "etl-role/nightly".into(),
                principal_type: "AssumedRole",
                ip,
                object: Some(("phi-exports".into(), "2026/11/02/patients.csv".into())),
                bytes: 123456,
                error: None,
                mfa: None,
            }),
            Kind::Aws(Aws {
                source: "signin.amazonaws.com",
                name: "ConsoleLogin",
                principal: "admin".into(),
                principal_type: "IAMUser",
                ip: ext,
                object: None,
                bytes: 0,
                error: Some("Failed authentication"),
                mfa: Some(false),
            }),
        ];
        let mut out = Vec::new();
        for (i, k) in v.drain(..).enumerate() {
            out.push(Activity {
                time: t(i as i64 * 7),
                step: None,
                kind: k,
            });
        }
        out
    }

    #[test]
    fn hand_made_activities_decode_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        for d in LOG_DIRS {
            std::fs::create_dir_all(dir.path().join("logs").join(d)).unwrap();
        }
        let org = org();
        let mut w = Writers::new(dir.path(), &org, Rng::new(7));
        let t0 = 1_793_577_600;
        // Two days and two hours: rotation.
        for day in [0, 3600, 86_400] {
            for a in acts(t0 + day) {
                w.write(&a).unwrap();
            }
        }
        w.finish().unwrap();
        let args = vec![dir.path().join("logs").display().to_string()];
        let inputs = phiwatch_ingest::resolve_inputs(&args);
        let sink = Arc::new(phiwatch_ingest::CollectSink::default());
        let mut ingest = phiwatch_ingest::Ingest::start(
            inputs.inputs,
            inputs.errors,
            phiwatch_ingest::IngestConfig::default(),
            sink.clone(),
        );
        let evs: Vec<phiwatch_event::Event> = ingest.by_ref().collect();
        let n = evs.len();
        let report = ingest.finish();
        let diags = sink.take();
        assert!(diags.is_empty(), "{diags:#?}");
        let mut want = 0;
        for (info, st) in &report.sources {
            let rel = info
                .path
                .strip_prefix(&*dir.path().display().to_string())
                .unwrap();
            let rel = rel.trim_start_matches('/');
            let f = w.ctx.files.iter().find(|f| f.rel == rel).unwrap();
            assert_eq!(st.rejected, 0, "{rel}");
            assert_eq!(st.accepted, f.records, "{rel} {st:?}");
            assert_eq!(
                std::fs::metadata(&*info.path).unwrap().len(),
                f.bytes,
                "{rel}"
            );
            want += f.records;
            println!("{rel}: {:?} {}", st.format, st.accepted);
        }
        assert_eq!(report.sources.len(), w.ctx.files.len());
        assert_eq!(n as u64, want);
        let inv = inventory::inventory_toml(&org, "patients.csv");
        println!("{inv}");
    }
}
