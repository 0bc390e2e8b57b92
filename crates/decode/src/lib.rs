//! Log format decoders: one framed record in, one normalized [`Event`] out.
//!
//! A [`Decoder`] knows one format. It receives a record's bytes (a line, or
//! one element of a JSON document, framed by `phiwatch-ingest`) and its
//! [`Origin`], and returns an event, `None` for lines that carry no record
//! (headers, comments, blank lines), or a [`DecodeError`] saying what was
//! wrong. Decoders never do I/O and never panic on any input.
//!
//! ```
//! use phiwatch_decode::{DecoderConfig, Format};
//! use phiwatch_event::{keys, Origin};
//!
//! let mut dec = Format::VpcFlow.decoder(&DecoderConfig::default()).unwrap();
//! let line = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
//! let ev = dec.decode(line, Origin::default()).unwrap().unwrap();
//! assert_eq!(ev.get(keys::DESTINATION_PORT).unwrap().as_i64(), Some(22));
//! ```

use std::sync::Arc;

use phiwatch_event::{Event, Origin};

mod access;
mod authlog;
mod cloudtrail;
mod csv;
mod detect;
mod entra;
mod fhir;
pub mod json;
mod jsonl;
mod jtree;
mod mssql;
mod mysql;
mod okta;
mod postgres;
mod sql;
mod suricata;
mod syslog;
mod url;
mod vpcflow;
mod windows;
mod zeek_common;
mod zeek_json;
mod zeek_tsv;

pub use detect::{detect, Detected, Framing};
pub use jsonl::{FieldMapping, MappingError, TimeFormat};

/// What was wrong with a record. The reason never quotes field values in
/// full: logs may hold PHI, and diagnostics are printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    /// The class of problem, for summaries.
    pub kind: ErrorKind,
    /// A short human-readable reason.
    pub reason: String,
    /// The line the problem belongs to, when it is not the line just given
    /// to the decoder (a record spanning lines is judged when it ends).
    pub line: Option<u64>,
}

impl DecodeError {
    /// A new error.
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> Self {
        DecodeError {
            kind,
            reason: reason.into(),
            line: None,
        }
    }

    /// The same error, attributed to `line`.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

/// The error for text that is not valid UTF-8 (gives the offset, never the
/// bytes).
pub(crate) fn utf8_error(e: std::str::Utf8Error) -> DecodeError {
    DecodeError::new(
        ErrorKind::Encoding,
        format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    )
}

/// Classes of decode errors, used to summarize rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Not well-formed for the format (bad JSON, bad quoting).
    Syntax,
    /// Well-formed but not the expected shape (wrong column count, missing field).
    Schema,
    /// A field's value is not of its type (a port that is not a number).
    Value,
    /// The record's time is missing or invalid.
    Time,
    /// Not valid text where text is required.
    Encoding,
    /// The record exceeds the size limit.
    TooLong,
}

impl ErrorKind {
    /// A short label for summaries.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Schema => "schema",
            ErrorKind::Value => "value",
            ErrorKind::Time => "time",
            ErrorKind::Encoding => "encoding",
            ErrorKind::TooLong => "too long",
        }
    }
}

/// Decodes records of one format. One decoder serves one source, in order:
/// formats with headers (Zeek TSV, VPC flow) keep state between records.
pub trait Decoder: Send {
    /// Decodes one record (without its line terminator). `Ok(None)` means the
    /// bytes were not a record of their own (a header, comment or blank
    /// line, or a line that continues a record spanning lines).
    ///
    /// A format whose records span lines (PostgreSQL statements, CSV with
    /// quoted newlines) keeps the record until the next one starts, then
    /// returns it (with the origin of its first line) while keeping the new
    /// line; errors about such a record carry its line (see
    /// [`DecodeError::at_line`]).
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError>;

    /// Called once at the end of the source: returns a record still held
    /// (the last record of a format whose records span lines). The default
    /// holds nothing.
    fn finish(&mut self) -> Option<Result<Event, DecodeError>> {
        None
    }
}

/// The formats phiwatch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Zeek ASCII logs with `#fields`/`#types` headers.
    ZeekTsv,
    /// Zeek JSON logs, one object per line (`id.orig_h` or `id_orig_h`).
    ZeekJson,
    /// Suricata EVE JSON.
    SuricataEve,
    /// AWS CloudTrail records (from `Records` files, lines or Logstash exports).
    CloudTrail,
    /// AWS VPC Flow Logs, default or custom field list.
    VpcFlow,
    /// PostgreSQL server log (stderr format with a `log_line_prefix`),
    /// including pgAudit `AUDIT:` records.
    PostgresLog,
    /// PostgreSQL csvlog, including pgAudit `AUDIT:` records.
    PostgresCsv,
    /// MySQL Enterprise / Percona / MariaDB audit plugin JSON.
    MysqlAudit,
    /// Microsoft SQL Server audit records (`fn_get_audit_file`) as CSV or JSON.
    MssqlAudit,
    /// FHIR R4 AuditEvent: resources, Bundles, NDJSON.
    FhirAudit,
    /// nginx / Apache access logs, combined and common formats.
    AccessLog,
    /// JSON access logs (nginx `escape=json`, load balancers, API gateways).
    AccessJson,
    /// Okta System Log JSON.
    Okta,
    /// Microsoft Entra ID sign-in logs JSON.
    EntraSignIn,
    /// Linux `auth.log` / `secure` (sshd, sudo, su, PAM).
    AuthLog,
    /// Windows events: EVTX records and their JSON exports (evtx_dump,
    /// Chainsaw, Hayabusa).
    Windows,
    /// Syslog RFC 3164 / RFC 5424, with CEF or LEEF payloads.
    Syslog,
    /// Generic JSON lines (ECS or any shape), with an optional field mapping.
    JsonLines,
}

impl Format {
    /// Every format, in detection-priority order.
    pub const ALL: &'static [Format] = &[
        Format::ZeekTsv,
        Format::ZeekJson,
        Format::SuricataEve,
        Format::CloudTrail,
        Format::VpcFlow,
        Format::PostgresLog,
        Format::PostgresCsv,
        Format::MysqlAudit,
        Format::MssqlAudit,
        Format::FhirAudit,
        Format::AccessLog,
        Format::AccessJson,
        Format::Okta,
        Format::EntraSignIn,
        Format::AuthLog,
        Format::Windows,
        Format::Syslog,
        Format::JsonLines,
    ];

    /// The name used by `--input-format` and in `phiwatch.format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::ZeekTsv => "zeek-tsv",
            Format::ZeekJson => "zeek-json",
            Format::SuricataEve => "suricata",
            Format::CloudTrail => "cloudtrail",
            Format::VpcFlow => "vpcflow",
            Format::PostgresLog => "postgres",
            Format::PostgresCsv => "postgres-csv",
            Format::MysqlAudit => "mysql-audit",
            Format::MssqlAudit => "mssql-audit",
            Format::FhirAudit => "fhir-audit",
            Format::AccessLog => "access-log",
            Format::AccessJson => "access-json",
            Format::Okta => "okta",
            Format::EntraSignIn => "entra-signin",
            Format::AuthLog => "auth-log",
            Format::Windows => "windows",
            Format::Syslog => "syslog",
            Format::JsonLines => "json",
        }
    }

    /// The format with this name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// A decoder for this format.
    pub fn decoder(self, cfg: &DecoderConfig) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(match self {
            Format::ZeekTsv => Box::new(zeek_tsv::ZeekTsvDecoder::new()),
            Format::ZeekJson => Box::new(zeek_json::ZeekJsonDecoder::new()),
            Format::SuricataEve => Box::new(suricata::SuricataDecoder::new()),
            Format::CloudTrail => Box::new(cloudtrail::CloudTrailDecoder::new()),
            Format::VpcFlow => Box::new(vpcflow::VpcFlowDecoder::new(cfg.vpc_fields.as_deref())?),
            Format::PostgresLog => Box::new(postgres::PostgresLogDecoder::new(cfg)?),
            Format::PostgresCsv => Box::new(postgres::PostgresCsvDecoder::new(cfg)),
            Format::MysqlAudit => Box::new(mysql::MysqlAuditDecoder::new(cfg)),
            Format::MssqlAudit => Box::new(mssql::MssqlAuditDecoder::new(cfg)),
            Format::FhirAudit => Box::new(fhir::FhirAuditDecoder::new(cfg)),
            Format::AccessLog => Box::new(access::AccessLogDecoder::new(cfg)),
            Format::AccessJson => Box::new(access::AccessJsonDecoder::new(cfg)),
            Format::Okta => Box::new(okta::OktaDecoder::new(cfg)),
            Format::EntraSignIn => Box::new(entra::EntraDecoder::new(cfg)),
            Format::AuthLog => Box::new(authlog::AuthLogDecoder::new(cfg)),
            Format::Windows => Box::new(windows::WindowsDecoder::new(cfg)),
            Format::Syslog => Box::new(syslog::SyslogDecoder::new(cfg)),
            Format::JsonLines => Box::new(jsonl::JsonLinesDecoder::new(cfg.mapping.clone())),
        })
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Options shared by decoders; the default suits autodetected input.
#[derive(Debug, Clone, Default)]
pub struct DecoderConfig {
    /// Field mapping for generic JSON lines.
    pub mapping: Option<Arc<FieldMapping>>,
    /// VPC flow field list for files without a header line
    /// (space-separated, e.g. `"version account-id … log-status"`).
    pub vpc_fields: Option<String>,
    /// PostgreSQL `log_line_prefix` of stderr logs (autodetected when unset).
    pub pg_prefix: Option<String>,
    /// The year of timestamps that carry none (RFC 3164 syslog, auth.log).
    /// The ingest layer sets it from the file's modification time when the
    /// user does not.
    pub year: Option<i32>,
}
