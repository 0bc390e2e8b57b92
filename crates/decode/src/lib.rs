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

mod cloudtrail;
mod detect;
pub mod json;
mod jsonl;
mod suricata;
mod vpcflow;
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
}

impl DecodeError {
    /// A new error.
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> Self {
        DecodeError {
            kind,
            reason: reason.into(),
        }
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
    /// bytes were not a record (a header, comment or blank line).
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError>;
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
}
