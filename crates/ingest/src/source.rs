//! Reading one source: open, decompress, detect, frame, decode, count.

use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use phiwatch_decode::{detect, DecodeError, Decoder, ErrorKind, Format, Framing};
use phiwatch_event::{Event, Origin, Timestamp};

use crate::evtx::EvtxFramer;
use crate::frame::{decompress, split_documents, Counting, DocRecord, Line, LineReader};
use crate::input::{io_reason, InputSpec};
use crate::stats::{Diagnostic, SourceInfo, SourceStats};
use crate::IngestConfig;

/// How much of a source detection looks at.
const SAMPLE_BYTES: usize = 64 * 1024;

enum Framer {
    Lines(LineReader<Box<dyn Read + Send>>),
    Docs {
        text: String,
        records: std::vec::IntoIter<DocRecord>,
        error: Option<(u64, String)>,
    },
    Evtx(Box<EvtxFramer>),
}

/// An open source that yields accepted events and counts everything else.
pub(crate) struct SourceReader {
    info: SourceInfo,
    framer: Framer,
    decoder: Box<dyn Decoder>,
    pub(crate) stats: SourceStats,
    cfg: Arc<IngestConfig>,
    sink: Arc<dyn crate::DiagnosticSink>,
    done: bool,
    /// The framer is exhausted; the decoder may still hold a record.
    framed_all: bool,
    /// Records up to this index were already diagnosed (by a probe).
    quiet: u64,
}

impl SourceReader {
    /// Opens a source. On failure the stats say why (and a diagnostic was sent).
    pub(crate) fn open(
        info: SourceInfo,
        spec: &InputSpec,
        stdin: Option<Box<dyn Read + Send>>,
        cfg: Arc<IngestConfig>,
        sink: Arc<dyn crate::DiagnosticSink>,
        progress: Arc<AtomicU64>,
    ) -> Result<SourceReader, Box<SourceStats>> {
        let mut stats = SourceStats::default();
        let fail = |mut stats: SourceStats, reason: String| {
            sink.report(&Diagnostic {
                source: info.id,
                path: info.path.clone(),
                line: 0,
                kind: None,
                reason: reason.clone(),
            });
            stats.error = Some(reason);
            Box::new(stats)
        };
        let raw: Box<dyn Read + Send> = match (spec, stdin) {
            (_, Some(r)) => r,
            (InputSpec::File(p) | InputSpec::Found(p), None) => match std::fs::File::open(p) {
                Ok(f) => Box::new(f),
                Err(e) => return Err(fail(stats, format!("cannot open: {}", io_reason(&e)))),
            },
            (InputSpec::Stdin, None) => Box::new(std::io::stdin()),
        };
        let raw: Box<dyn Read + Send> = Box::new(Counting {
            inner: raw,
            counter: progress,
        });
        let (reader, compression) = match decompress(raw) {
            Ok(x) => x,
            Err(e) => return Err(fail(stats, format!("cannot read: {}", io_reason(&e)))),
        };
        stats.compression = compression;
        let mut lines = LineReader::new(reader, cfg.max_record_bytes);
        let sample = match lines.peek(SAMPLE_BYTES) {
            Ok(s) => s,
            Err(e) => return Err(fail(stats, format!("cannot read: {}", io_reason(&e)))),
        };
        if sample.is_empty() {
            // An empty source is not an error: nothing to read.
            stats.format = cfg.format;
            let decoder = match cfg
                .format
                .unwrap_or(Format::JsonLines)
                .decoder(&cfg.decoder)
            {
                Ok(d) => d,
                Err(e) => return Err(fail(stats, e.reason)),
            };
            return Ok(SourceReader {
                info,
                framer: Framer::Lines(lines),
                decoder,
                stats,
                cfg,
                sink,
                done: true,
                framed_all: true,
                quiet: 0,
            });
        }
        let detected = detect(sample);
        let (format, framing) = match (cfg.format, detected) {
            (Some(f), Some(d)) if d.format == f => (f, d.framing),
            (Some(f), _) => (f, forced_framing(f, sample)),
            (None, Some(d)) => (d.format, d.framing),
            (None, None)
                if cfg.decoder.mapping.is_some() && sample.trim_ascii_start().starts_with(b"{") =>
            {
                // JSON whose time field only the user's mapping names.
                (Format::JsonLines, Framing::Lines)
            }
            (None, None) if matches!(spec, InputSpec::Found(_)) => {
                stats.skipped = Some("not a recognized log format".into());
                return Err(Box::new(stats));
            }
            (None, None) => {
                let what = if sample.iter().take(512).any(|&b| b == 0) {
                    "binary data"
                } else {
                    "no known log format"
                };
                return Err(fail(
                    stats,
                    format!("cannot detect the format ({what}); use --input-format"),
                ));
            }
        };
        stats.format = Some(format);
        let mut decoder_cfg = cfg.decoder.clone();
        if decoder_cfg.year.is_none() {
            decoder_cfg.year = Some(year_of(info.modified));
        }
        let decoder = match format.decoder(&decoder_cfg) {
            Ok(d) => d,
            Err(e) => return Err(fail(stats, e.reason)),
        };
        let framer = match framing {
            Framing::Lines => Framer::Lines(lines),
            Framing::JsonDocuments => match read_document(&mut lines, cfg.max_document_bytes) {
                Ok(text) => {
                    stats.bytes = text.len() as u64;
                    let (records, error) = split_documents(&text);
                    Framer::Docs {
                        text,
                        records: records.into_iter(),
                        error,
                    }
                }
                Err(reason) => return Err(fail(stats, reason)),
            },
            Framing::Evtx => match EvtxFramer::open(&mut lines, cfg.max_document_bytes) {
                Ok(f) => {
                    stats.bytes = f.len();
                    Framer::Evtx(Box::new(f))
                }
                Err(reason) => return Err(fail(stats, reason)),
            },
        };
        Ok(SourceReader {
            info,
            framer,
            decoder,
            stats,
            cfg,
            sink,
            done: false,
            framed_all: false,
            quiet: 0,
        })
    }

    /// The next accepted event; `None` at the end of the source. Rejections
    /// are counted and reported on the way.
    pub(crate) fn next_event(&mut self) -> Option<Event> {
        while !self.done {
            if self.framed_all {
                // A decoder whose records span lines may hold the last one.
                self.done = true;
                match self.decoder.finish() {
                    Some(Ok(ev)) => {
                        self.stats.records += 1;
                        self.stats.accepted += 1;
                        return Some(ev);
                    }
                    Some(Err(e)) => self.reject(0, e),
                    None => {}
                }
                break;
            }
            let outcome = match &mut self.framer {
                Framer::Lines(lines) => match lines.next_line() {
                    Ok(Some(Line::Text(bytes, line, offset))) => {
                        let origin = Origin {
                            source: self.info.id,
                            line,
                            offset,
                            record: self.stats.records + 1,
                        };
                        Some((line, self.decoder.decode(bytes, origin)))
                    }
                    Ok(Some(Line::TooLong(line, _, len))) => Some((
                        line,
                        Err(DecodeError::new(
                            ErrorKind::TooLong,
                            format!(
                                "line of {len} bytes exceeds the {} byte limit; skipped",
                                self.cfg.max_record_bytes
                            ),
                        )),
                    )),
                    Ok(None) => {
                        self.stats.bytes = lines.position();
                        self.framed_all = true;
                        None
                    }
                    Err(e) => {
                        self.stats.bytes = lines.position();
                        let pending = lines.pending();
                        self.framed_all = true;
                        self.source_error(format!(
                            "read error after line {}: {}",
                            self.stats.records + self.stats.meta_lines,
                            io_reason(&e)
                        ));
                        (pending > 0).then(|| {
                            (
                                0,
                                Err(DecodeError::new(
                                    ErrorKind::Syntax,
                                    "incomplete last record (the read error cut it)",
                                )),
                            )
                        })
                    }
                },
                Framer::Docs {
                    text,
                    records,
                    error,
                } => match records.next() {
                    Some(r) => {
                        let origin = Origin {
                            source: self.info.id,
                            line: r.line,
                            offset: r.start as u64,
                            record: self.stats.records + 1,
                        };
                        let bytes = text.as_bytes().get(r.start..r.end).unwrap_or(b"");
                        Some((r.line, self.decoder.decode(bytes, origin)))
                    }
                    None => {
                        self.framed_all = true;
                        error.take().map(|(line, reason)| {
                            (
                                line,
                                Err(DecodeError::new(
                                    ErrorKind::Syntax,
                                    format!("{reason}; the rest of the document is unreadable"),
                                )),
                            )
                        })
                    }
                },
                Framer::Evtx(f) => match f.next_record() {
                    None => {
                        self.framed_all = true;
                        None
                    }
                    Some(Err(reason)) => {
                        Some((0, Err(DecodeError::new(ErrorKind::Syntax, reason))))
                    }
                    Some(Ok((record_id, json))) => {
                        let origin = Origin {
                            source: self.info.id,
                            line: 0,
                            offset: record_id,
                            record: self.stats.records + 1,
                        };
                        Some((0, self.decoder.decode(json.as_bytes(), origin)))
                    }
                },
            };
            match outcome {
                None => {}
                Some((_, Ok(Some(ev)))) => {
                    self.stats.records += 1;
                    self.stats.accepted += 1;
                    return Some(ev);
                }
                Some((_, Ok(None))) => self.stats.meta_lines += 1,
                Some((line, Err(e))) => self.reject(line, e),
            }
        }
        None
    }

    fn reject(&mut self, line: u64, e: DecodeError) {
        let line = e.line.unwrap_or(line);
        self.stats.records += 1;
        self.stats.rejected += 1;
        *self.stats.rejected_by_kind.entry(e.kind).or_default() += 1;
        if self.stats.records <= self.quiet {
            return;
        }
        if self.stats.rejected > self.cfg.diagnostics_per_source as u64 {
            self.stats.suppressed += 1;
            return;
        }
        self.sink.report(&Diagnostic {
            source: self.info.id,
            path: self.info.path.clone(),
            line,
            kind: Some(e.kind),
            reason: e.reason,
        });
    }

    fn source_error(&mut self, reason: String) {
        self.sink.report(&Diagnostic {
            source: self.info.id,
            path: self.info.path.clone(),
            line: 0,
            kind: None,
            reason: reason.clone(),
        });
        self.stats.error = Some(reason);
    }

    /// Decodes up to `k` events, for scheduling: returns them, their
    /// earliest time, and whether the source ended within them.
    pub(crate) fn probe(&mut self, k: usize) -> (Vec<Event>, Option<Timestamp>, bool) {
        let mut events = Vec::new();
        let mut earliest: Option<Timestamp> = None;
        while events.len() < k.max(1) {
            match self.next_event() {
                Some(ev) => {
                    earliest = Some(earliest.map_or(ev.time(), |t| t.min(ev.time())));
                    events.push(ev);
                }
                None => return (events, earliest, true),
            }
        }
        (events, earliest, false)
    }

    /// The counters, once the source is read.
    pub(crate) fn into_stats(self) -> SourceStats {
        self.stats
    }

    /// Do not report diagnostics for the first `records` records (a probe
    /// already reported them).
    pub(crate) fn set_quiet(&mut self, records: u64) {
        self.quiet = records;
    }
}

/// The framing for a format the user named, when detection disagreed.
fn forced_framing(f: Format, sample: &[u8]) -> Framing {
    let first = sample.iter().find(|b| !b.is_ascii_whitespace());
    match (f, first) {
        (Format::ZeekTsv | Format::VpcFlow, _) => Framing::Lines,
        (_, Some(b'[')) => Framing::JsonDocuments,
        _ => match detect(sample) {
            Some(d) => d.framing,
            None => Framing::Lines,
        },
    }
}

/// Reads a whole JSON document source, up to `max` bytes (its lines may
/// be of any length: the document's cap is the only one that applies).
fn read_document(
    lines: &mut LineReader<Box<dyn Read + Send>>,
    max: usize,
) -> Result<String, String> {
    let bytes = lines
        .read_rest(max)
        .map_err(|e| format!("JSON document: {}", io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "JSON document is not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The year for timestamps that carry none: the file's modification year,
/// else the current year.
fn year_of(modified: Option<Timestamp>) -> i32 {
    modified
        .unwrap_or_else(Timestamp::now)
        .to_rfc3339()
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}
