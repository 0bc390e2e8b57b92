//! One source as a unit of work: read a batch of events at a time, keep
//! them in order within a window, count what was filtered and late.

use phiwatch_event::{Event, SourceId, Timestamp};

use crate::source::SourceReader;
use crate::stats::SourceStats;
use crate::IngestConfig;

/// Per-source buffer sizes. A time-ordered run may hold every source open
/// at once, so the configured sizes are shared out to keep the events in
/// flight (reorder windows, batches) within a fixed budget however many
/// sources overlap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) window: usize,
    pub(crate) batch: usize,
}

/// Events all reorder windows may hold together (each holds up to twice its size).
const WINDOW_BUDGET: usize = 65_536;
/// Events all batches may hold together (a few per source are in flight).
const BATCH_BUDGET: usize = 16_384;

impl Limits {
    pub(crate) fn for_sources(cfg: &IngestConfig, sources: usize) -> Limits {
        let n = sources.max(1);
        Limits {
            window: cfg.reorder_window.min((WINDOW_BUDGET / n).max(64)),
            batch: cfg.batch_size.clamp(1, (BATCH_BUDGET / n).max(16)),
        }
    }
}

/// What a step of a task produced.
pub(crate) enum Step {
    /// A batch of events; the source has more.
    Batch(Vec<Event>),
    /// The source is finished: its last batches and its counters.
    Finished(Vec<Vec<Event>>, Box<SourceStats>),
}

/// How a task gets its reader.
pub(crate) enum Opening {
    /// Already open, with the events the probe read (standard input, which
    /// cannot be reopened, and sources the probe read to the end).
    Open(Box<SourceReader>, Vec<Event>),
    /// To open on the first step.
    Later,
}

/// A source being read.
pub(crate) struct Task {
    pub(crate) id: SourceId,
    opening: Option<Opening>,
    reader: Option<Box<SourceReader>>,
    first: std::vec::IntoIter<Event>,
    /// Records already diagnosed by a probe (not reported again).
    quiet: u64,
    reorder: Reorder,
    batch: usize,
    filtered: u64,
    late: u64,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

impl Task {
    pub(crate) fn new(
        id: SourceId,
        opening: Opening,
        quiet: u64,
        cfg: &IngestConfig,
        limits: Limits,
    ) -> Task {
        Task {
            id,
            opening: Some(opening),
            reader: None,
            first: Vec::new().into_iter(),
            quiet,
            reorder: Reorder::new(limits.window),
            batch: limits.batch.max(1),
            filtered: 0,
            late: 0,
            from: cfg.from,
            to: cfg.to,
        }
    }

    /// Reads until one batch is full or the source ends. `open` opens the
    /// source when the task has not been opened yet.
    pub(crate) fn step(
        &mut self,
        open: impl FnOnce() -> Result<SourceReader, Box<SourceStats>>,
    ) -> Step {
        if let Some(opening) = self.opening.take() {
            let opened = match opening {
                Opening::Open(r, first) => {
                    self.first = first.into_iter();
                    Ok(r)
                }
                Opening::Later => open().map(Box::new),
            };
            match opened {
                Ok(mut r) => {
                    r.set_quiet(self.quiet);
                    self.reader = Some(r);
                }
                Err(stats) => return Step::Finished(Vec::new(), stats),
            }
        }
        let Some(reader) = self.reader.as_mut() else {
            return Step::Finished(Vec::new(), Box::default());
        };
        let mut out = Vec::with_capacity(self.batch);
        while out.len() < self.batch {
            let Some(ev) = self.first.next().or_else(|| reader.next_event()) else {
                return self.finish(out);
            };
            let t = ev.time();
            if self.from.is_some_and(|f| t < f) || self.to.is_some_and(|to| t > to) {
                self.filtered += 1;
                continue;
            }
            self.reorder.push(ev, &mut out, &mut self.late);
        }
        Step::Batch(out)
    }

    fn finish(&mut self, mut out: Vec<Event>) -> Step {
        self.reorder.finish(&mut out);
        let mut stats = match self.reader.take() {
            Some(r) => Box::new(r.into_stats()),
            None => Box::default(),
        };
        stats.filtered = self.filtered;
        stats.late = self.late;
        Step::Finished(chunks(out, self.batch), stats)
    }
}

fn chunks(mut v: Vec<Event>, size: usize) -> Vec<Vec<Event>> {
    let mut out = Vec::new();
    while v.len() > size {
        let rest = v.split_off(size);
        out.push(std::mem::replace(&mut v, rest));
    }
    if !v.is_empty() {
        out.push(v);
    }
    out
}

/// A bounded reorder buffer: sorts events within a window so that slightly
/// out-of-order sources (Zeek writes a connection when it ends) come out in
/// time order; events later than the window are counted as late.
struct Reorder {
    window: usize,
    buf: Vec<Event>,
    watermark: Option<Timestamp>,
}

impl Reorder {
    fn new(window: usize) -> Self {
        Reorder {
            window,
            buf: Vec::new(),
            watermark: None,
        }
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>, late: &mut u64) {
        if self.watermark.is_some_and(|w| ev.time() < w) {
            *late += 1;
        }
        if self.window == 0 {
            self.watermark = Some(ev.time());
            out.push(ev);
            return;
        }
        self.buf.push(ev);
        if self.buf.len() >= 2 * self.window {
            // Stable and linear on presorted input, which logs nearly are.
            self.buf.sort_by_key(Event::time);
            out.extend(self.buf.drain(..self.window));
            self.watermark = out.last().map(Event::time);
        }
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        self.buf.sort_by_key(Event::time);
        out.append(&mut self.buf);
    }
}
