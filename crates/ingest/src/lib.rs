//! Reading logs for phiwatch: from paths to a stream of normalized events.
//!
//! - **Inputs**: files, directories (recursive), globs and `-` for standard
//!   input ([`resolve_inputs`]).
//! - **Bytes**: gzip and zstd are recognized by their magic bytes, not by
//!   name; a source is streamed, never loaded whole (JSON documents that
//!   are not one-record-per-line are the exception, capped by
//!   [`IngestConfig::max_document_bytes`]).
//! - **Records**: format detection by content (or a forced format), line
//!   framing with a size cap, and the decoders of `phiwatch-decode`.
//! - **Order**: sources are decoded in parallel; [`Order::Time`] merges them
//!   into one time-ordered stream (a k-way merge over per-source reorder
//!   windows, opening each source only when the merge reaches its first
//!   event), [`Order::Arrival`] passes events on as they are decoded.
//! - **Counting**: every source reports records read, accepted and rejected
//!   ([`SourceStats`]); rejections go to a [`DiagnosticSink`] as
//!   `path:line: reason`, capped per source.
//!
//! ```
//! use std::sync::Arc;
//! use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig};
//!
//! let dir = std::env::temp_dir().join(format!("phiwatch-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("flows.log");
//! std::fs::write(&path, "2 123456789010 eni-1 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n\
//!                        2 123456789010 eni-1 10.0.0.1 10.0.0.2 not-a-port 22 6 20 4249 1418530011 1418530070 ACCEPT OK\n").unwrap();
//!
//! let inputs = resolve_inputs(&[path.display().to_string()]);
//! let sink = Arc::new(CollectSink::default());
//! let mut run = Ingest::start(inputs.inputs, inputs.errors, IngestConfig::default(), sink.clone());
//! let events: Vec<_> = run.by_ref().collect();
//! let report = run.finish();
//! let totals = report.totals();
//! assert_eq!((events.len(), totals.records, totals.accepted, totals.rejected), (1, 2, 1, 1));
//! assert!(sink.take()[0].to_string().ends_with("flows.log:2: field `srcport`: expected an integer"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod evtx;
mod frame;
mod input;
mod run;
mod source;
mod stats;
mod task;

use phiwatch_decode::{DecoderConfig, Format};
use phiwatch_event::Timestamp;

pub use frame::decompress;
pub use input::{resolve_inputs, InputSpec, ResolvedInputs};
pub use run::Ingest;
pub use stats::{
    CollectSink, Compression, Diagnostic, DiagnosticSink, Report, SourceInfo, SourceStats,
};

/// In which order events leave the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// One stream in time order across all sources (within the reorder window).
    #[default]
    Time,
    /// As decoded: fastest, no ordering between sources.
    Arrival,
}

/// How to read. The defaults suit interactive use on any machine.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Use this format for every source instead of detecting it.
    pub format: Option<Format>,
    /// Options for decoders (JSON field mapping, VPC flow field list).
    pub decoder: DecoderConfig,
    /// Event order.
    pub order: Order,
    /// Worker threads for arrival order and for probing sources.
    pub threads: usize,
    /// Events held per source to put a nearly sorted source in order.
    pub reorder_window: usize,
    /// Longest record (line) accepted; longer ones are skipped and reported.
    pub max_record_bytes: usize,
    /// Largest JSON document (pretty-printed or `{"Records":[…]}` file).
    pub max_document_bytes: usize,
    /// Drop events before this time (inclusive bound).
    pub from: Option<Timestamp>,
    /// Drop events after this time (inclusive bound).
    pub to: Option<Timestamp>,
    /// Diagnostics reported per source; the rest are only counted.
    pub diagnostics_per_source: usize,
    /// Events per batch handed between threads.
    pub batch_size: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            format: None,
            decoder: DecoderConfig::default(),
            order: Order::Time,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            reorder_window: 4096,
            max_record_bytes: 16 * 1024 * 1024,
            max_document_bytes: 512 * 1024 * 1024,
            from: None,
            to: None,
            diagnostics_per_source: 10,
            batch_size: 512,
        }
    }
}
