//! Running sources in parallel and merging their events in time order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use phiwatch_event::{Event, SourceId, Timestamp};

use crate::input::InputSpec;
use crate::source::SourceReader;
use crate::stats::{Report, SourceInfo, SourceStats};
use crate::{DiagnosticSink, IngestConfig, Order};

enum Msg {
    Batch(Vec<Event>),
    Done(SourceId, Box<SourceStats>),
}

/// Shared by the threads of one run.
struct Ctx {
    cfg: Arc<IngestConfig>,
    sink: Arc<dyn DiagnosticSink>,
    progress: Arc<AtomicU64>,
    infos: Vec<SourceInfo>,
    specs: Vec<InputSpec>,
}

impl Ctx {
    fn open(
        &self,
        id: usize,
        stdin: Option<Box<dyn Read + Send>>,
    ) -> Result<SourceReader, Box<SourceStats>> {
        SourceReader::open(
            self.infos[id].clone(),
            &self.specs[id],
            stdin,
            self.cfg.clone(),
            self.sink.clone(),
            self.progress.clone(),
        )
    }
}

/// A running ingestion: iterate it for events, then call [`Ingest::finish`]
/// for the totals.
pub struct Ingest {
    ctx: Arc<Ctx>,
    stats: Vec<Option<SourceStats>>,
    input_errors: Vec<String>,
    total_bytes: u64,
    mode: Mode,
    last: Timestamp,
    out_of_order: u64,
    threads: Vec<JoinHandle<()>>,
    limits: Limits,
}

/// Per-source buffer sizes. A time-ordered run may hold every source open
/// at once, so the configured sizes are shared out to keep the events in
/// flight (reorder windows, batches in channels) within a fixed budget
/// however many sources overlap.
#[derive(Debug, Clone, Copy)]
struct Limits {
    window: usize,
    batch: usize,
}

/// Events all reorder windows may hold together (each holds up to twice its size).
const WINDOW_BUDGET: usize = 65_536;
/// Events all batches may hold together (up to four per source are in flight).
const BATCH_BUDGET: usize = 16_384;

impl Limits {
    fn for_sources(cfg: &IngestConfig, sources: usize) -> Limits {
        let n = sources.max(1);
        Limits {
            window: cfg.reorder_window.min((WINDOW_BUDGET / n).max(64)),
            batch: cfg.batch_size.clamp(1, (BATCH_BUDGET / n).max(16)),
        }
    }
}

enum Mode {
    Arrival {
        rx: Option<Receiver<Msg>>,
        batch: std::vec::IntoIter<Event>,
    },
    Time(TimeMerge),
}

struct Pending {
    first: Timestamp,
    id: usize,
    /// Records already decoded (and diagnosed) while probing.
    seen: u64,
    stdin: Option<(SourceReader, Event)>,
}

struct Active {
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<Event>,
    head: Option<Event>,
}

struct TimeMerge {
    pending: VecDeque<Pending>,
    active: Vec<Option<Active>>,
    heap: BinaryHeap<Reverse<(Timestamp, u64, usize)>>,
    seq: u64,
}

impl Ingest {
    /// Starts reading `inputs`. Time-ordered runs first read the beginning
    /// of every source to schedule them; this call returns when that is done.
    pub fn start(
        inputs: Vec<InputSpec>,
        input_errors: Vec<String>,
        cfg: IngestConfig,
        sink: Arc<dyn DiagnosticSink>,
    ) -> Ingest {
        let infos: Vec<SourceInfo> = inputs
            .iter()
            .enumerate()
            .map(|(i, spec)| SourceInfo {
                id: SourceId(i as u32),
                path: spec.display().into(),
                size: match spec {
                    InputSpec::File(p) | InputSpec::Found(p) => {
                        std::fs::metadata(p).ok().map(|m| m.len())
                    }
                    InputSpec::Stdin => None,
                },
            })
            .collect();
        let total_bytes = infos.iter().filter_map(|i| i.size).sum();
        let order = cfg.order;
        // Arrival order holds at most one source per worker.
        let limits = Limits::for_sources(&cfg, cfg.threads.max(1));
        let ctx = Arc::new(Ctx {
            cfg: Arc::new(cfg),
            sink,
            progress: Arc::new(AtomicU64::new(0)),
            infos,
            specs: inputs,
        });
        let mut run = Ingest {
            stats: vec![None; ctx.infos.len()],
            ctx,
            input_errors,
            total_bytes,
            mode: Mode::Arrival {
                rx: None,
                batch: Vec::new().into_iter(),
            },
            last: Timestamp::MIN,
            out_of_order: 0,
            threads: Vec::new(),
            limits,
        };
        match order {
            Order::Arrival => run.start_arrival(),
            Order::Time => run.start_time(),
        }
        run
    }

    /// The sources of this run, indexed by [`SourceId`].
    pub fn sources(&self) -> &[SourceInfo] {
        &self.ctx.infos
    }

    /// Bytes read from disk so far, and the total size of the file inputs.
    pub fn progress(&self) -> (u64, u64) {
        (self.ctx.progress.load(Ordering::Relaxed), self.total_bytes)
    }

    fn start_arrival(&mut self) {
        let (tx, rx) = bounded::<Msg>(4 * self.ctx.cfg.threads.max(1));
        let queue = Arc::new(Mutex::new(
            (0..self.ctx.infos.len()).collect::<VecDeque<_>>(),
        ));
        let workers = self.ctx.cfg.threads.clamp(1, self.ctx.infos.len().max(1));
        for _ in 0..workers {
            let (ctx, queue, tx) = (self.ctx.clone(), queue.clone(), tx.clone());
            let limits = self.limits;
            self.threads.push(std::thread::spawn(move || loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(id) = next else { return };
                let reader = ctx.open(id, None);
                if !produce(&ctx.cfg, limits, reader, id, None, 0, &tx) {
                    return;
                }
            }));
        }
        self.mode = Mode::Arrival {
            rx: Some(rx),
            batch: Vec::new().into_iter(),
        };
    }

    fn start_time(&mut self) {
        let n = self.ctx.infos.len();
        let probes: Vec<Mutex<Option<Pending>>> = (0..n).map(|_| Mutex::new(None)).collect();
        let done: Vec<Mutex<Option<SourceStats>>> = (0..n).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let ctx = &self.ctx;
        std::thread::scope(|s| {
            for _ in 0..ctx.cfg.threads.clamp(1, n.max(1)) {
                s.spawn(|| loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= n {
                        return;
                    }
                    match ctx.open(id, None) {
                        Err(stats) => put(&done[id], *stats),
                        Ok(mut reader) => match reader.first_time() {
                            None => put(&done[id], reader.stats),
                            Some((first, ev)) => {
                                let seen = reader.stats.records;
                                let is_stdin = ctx.specs[id] == InputSpec::Stdin;
                                put(
                                    &probes[id],
                                    Pending {
                                        first,
                                        id,
                                        seen,
                                        stdin: is_stdin.then_some((reader, ev)),
                                    },
                                );
                            }
                        },
                    }
                });
            }
        });
        let mut pending: Vec<Pending> = Vec::new();
        for (id, (p, d)) in probes.into_iter().zip(done).enumerate() {
            if let Some(stats) = d.into_inner().ok().flatten() {
                self.stats[id] = Some(stats);
            }
            if let Some(p) = p.into_inner().ok().flatten() {
                pending.push(p);
            }
        }
        pending.sort_by_key(|p| (p.first, p.id));
        self.limits = Limits::for_sources(&self.ctx.cfg, pending.len());
        self.mode = Mode::Time(TimeMerge {
            pending: pending.into(),
            active: (0..n).map(|_| None).collect(),
            heap: BinaryHeap::new(),
            seq: 0,
        });
    }

    fn activate(&mut self, p: Pending) {
        let (tx, rx) = bounded::<Msg>(2);
        let ctx = self.ctx.clone();
        let limits = self.limits;
        let handle = std::thread::Builder::new()
            .name(format!("source-{}", p.id))
            .stack_size(512 * 1024)
            .spawn(move || {
                let (reader, first) = match p.stdin {
                    Some((r, ev)) => (Ok(r), Some(ev)),
                    None => (ctx.open(p.id, None), None),
                };
                produce(&ctx.cfg, limits, reader, p.id, first, p.seen, &tx);
            });
        if let Mode::Time(m) = &mut self.mode {
            m.active[p.id] = Some(Active {
                rx,
                batch: Vec::new().into_iter(),
                head: None,
            });
        }
        match handle {
            Ok(h) => self.threads.push(h),
            Err(e) => {
                let stats = SourceStats {
                    error: Some(format!("cannot start a reader thread: {e}")),
                    ..SourceStats::default()
                };
                self.stats[p.id] = Some(stats);
            }
        }
    }

    /// Loads the next head event of active source `id` into the heap.
    fn advance(&mut self, id: usize) {
        let Mode::Time(m) = &mut self.mode else {
            return;
        };
        let Some(a) = m.active[id].as_mut() else {
            return;
        };
        loop {
            if let Some(ev) = a.batch.next() {
                m.seq += 1;
                m.heap.push(Reverse((ev.time(), m.seq, id)));
                a.head = Some(ev);
                return;
            }
            match a.rx.recv() {
                Ok(Msg::Batch(b)) => a.batch = b.into_iter(),
                Ok(Msg::Done(sid, stats)) => {
                    self.stats[sid.0 as usize] = Some(*stats);
                    m.active[id] = None;
                    return;
                }
                Err(_) => {
                    m.active[id] = None;
                    return;
                }
            }
        }
    }

    fn next_time(&mut self) -> Option<Event> {
        loop {
            let Mode::Time(m) = &mut self.mode else {
                return None;
            };
            // Open every source whose first event is due, all at once so
            // that they warm up in parallel, then wait for their heads.
            let due = match (m.heap.peek(), m.pending.front()) {
                (Some(Reverse((t, _, _))), _) => *t,
                (None, Some(p)) => p.first,
                (None, None) => Timestamp::MIN,
            };
            let mut due_sources = Vec::new();
            while m.pending.front().is_some_and(|p| p.first <= due) {
                due_sources.extend(m.pending.pop_front());
            }
            if !due_sources.is_empty() {
                let ids: Vec<usize> = due_sources.iter().map(|p| p.id).collect();
                for p in due_sources {
                    self.activate(p);
                }
                for id in ids {
                    self.advance(id);
                }
                continue;
            }
            let Mode::Time(m) = &mut self.mode else {
                return None;
            };
            let Reverse((_, _, id)) = m.heap.pop()?;
            let ev = m.active[id].as_mut().and_then(|a| a.head.take());
            self.advance(id);
            if ev.is_some() {
                return ev;
            }
        }
    }

    fn next_arrival(&mut self) -> Option<Event> {
        let Mode::Arrival { rx, batch } = &mut self.mode else {
            return None;
        };
        loop {
            if let Some(ev) = batch.next() {
                return Some(ev);
            }
            match rx.as_ref()?.recv() {
                Ok(Msg::Batch(b)) => *batch = b.into_iter(),
                Ok(Msg::Done(sid, stats)) => self.stats[sid.0 as usize] = Some(*stats),
                Err(_) => {
                    *rx = None;
                    return None;
                }
            }
        }
    }

    /// Stops reading (if not at the end) and returns the totals.
    pub fn finish(mut self) -> Report {
        self.mode = Mode::Arrival {
            rx: None,
            batch: Vec::new().into_iter(),
        };
        for h in std::mem::take(&mut self.threads) {
            let _ = h.join();
        }
        let sources = self
            .ctx
            .infos
            .iter()
            .cloned()
            .zip(std::mem::take(&mut self.stats))
            .map(|(info, s)| {
                let s = s.unwrap_or_else(|| SourceStats {
                    error: Some("not read to the end (the run stopped early)".into()),
                    ..SourceStats::default()
                });
                (info, s)
            })
            .collect();
        Report {
            sources,
            input_errors: std::mem::take(&mut self.input_errors),
            out_of_order: self.out_of_order,
        }
    }
}

impl Iterator for Ingest {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let ev = match self.mode {
            Mode::Arrival { .. } => self.next_arrival(),
            Mode::Time(_) => self.next_time(),
        }?;
        if matches!(self.mode, Mode::Time(_)) {
            if ev.time() < self.last {
                self.out_of_order += 1;
            } else {
                self.last = ev.time();
            }
        }
        Some(ev)
    }
}

fn put<T>(slot: &Mutex<Option<T>>, v: T) {
    if let Ok(mut g) = slot.lock() {
        *g = Some(v);
    }
}

/// Reads one source to the end, sending batches; false if the consumer left.
fn produce(
    cfg: &IngestConfig,
    limits: Limits,
    reader: Result<SourceReader, Box<SourceStats>>,
    id: usize,
    first: Option<Event>,
    quiet_records: u64,
    tx: &Sender<Msg>,
) -> bool {
    let sid = SourceId(id as u32);
    let mut reader = match reader {
        Ok(r) => r,
        Err(stats) => return tx.send(Msg::Done(sid, stats)).is_ok(),
    };
    reader.set_quiet(quiet_records);
    let mut reorder = Reorder::new(limits.window);
    let batch_size = limits.batch.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    let mut late = 0;
    let mut filtered = 0;
    let mut events = first
        .into_iter()
        .chain(std::iter::from_fn(|| reader.next_event()));
    for ev in events.by_ref() {
        let t = ev.time();
        if cfg.from.is_some_and(|f| t < f) || cfg.to.is_some_and(|to| t > to) {
            filtered += 1;
            continue;
        }
        reorder.push(ev, &mut batch, &mut late);
        if batch.len() >= batch_size {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
            if tx.send(Msg::Batch(full)).is_err() {
                return false;
            }
        }
    }
    drop(events);
    reorder.finish(&mut batch);
    for chunk in chunks(batch, batch_size) {
        if tx.send(Msg::Batch(chunk)).is_err() {
            return false;
        }
    }
    let mut stats = std::mem::take(&mut reader.stats);
    stats.filtered = filtered;
    stats.late = late;
    tx.send(Msg::Done(sid, Box::new(stats))).is_ok()
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
            buf: Vec::with_capacity(if window > 0 { 2 * window } else { 0 }),
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
