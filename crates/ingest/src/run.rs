//! Running sources on a pool of workers and merging their events in time
//! order.
//!
//! Time order: every source is first probed for its first event (in
//! parallel); sources are then opened in the order of those first events,
//! only when the merge reaches them. A fixed pool of workers reads them a
//! batch at a time; each source may have at most [`CREDITS`] batches
//! waiting for the merge, so memory is bounded by the number of open
//! sources, never by their size, and workers never block on a slow source.
//! Arrival order: the workers read whole sources into one shared channel.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use phiwatch_event::{Event, SourceId, Timestamp};

use crate::input::InputSpec;
use crate::source::SourceReader;
use crate::stats::{Report, SourceInfo, SourceStats};
use crate::task::{Limits, Opening, Step, Task};
use crate::{DiagnosticSink, IngestConfig, Order};

/// Batches a source may have waiting for the merge.
const CREDITS: usize = 2;

/// Work-queue entry that tells a worker to exit.
const STOP: usize = usize::MAX;

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
    fn open(&self, id: usize) -> Result<SourceReader, Box<SourceStats>> {
        self.open_with(id, None)
    }

    fn open_with(
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
}

enum Mode {
    Arrival {
        rx: Option<Receiver<Msg>>,
        batch: std::vec::IntoIter<Event>,
    },
    Time(TimeMerge),
    Finished,
}

/// A source waiting for the merge to reach its first event.
struct Pending {
    first: Timestamp,
    id: usize,
    /// Records already decoded (and diagnosed) while probing.
    seen: u64,
    /// The probe's reader and events, kept for standard input (which cannot
    /// be reopened) and for sources the probe read to the end.
    preloaded: Option<(SourceReader, Vec<Event>)>,
}

/// The merge's view of an open source.
struct Active {
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<Event>,
    head: Option<Event>,
}

/// The workers' view of an open source.
#[derive(Default)]
struct SlotState {
    /// The task, when no worker holds it.
    task: Option<Task>,
    /// Batches sent and not yet taken by the merge.
    outstanding: usize,
    /// Out of credits: waits for the merge to take a batch.
    parked: bool,
    tx: Option<Sender<Msg>>,
}

struct Pool {
    slots: Vec<Mutex<SlotState>>,
    queue: Sender<usize>,
}

struct TimeMerge {
    pending: VecDeque<Pending>,
    active: Vec<Option<Active>>,
    heap: BinaryHeap<Reverse<(Timestamp, u64, usize)>>,
    seq: u64,
    pool: Arc<Pool>,
    limits: Limits,
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
            .map(|(i, spec)| {
                let meta = match spec {
                    InputSpec::File(p) | InputSpec::Found(p) => std::fs::metadata(p).ok(),
                    InputSpec::Stdin => None,
                };
                SourceInfo {
                    id: SourceId(i as u32),
                    path: spec.display().into(),
                    size: meta.as_ref().map(|m| m.len()),
                    modified: meta
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .and_then(|d| Timestamp::from_secs(d.as_secs() as i64)),
                }
            })
            .collect();
        let total_bytes = infos.iter().filter_map(|i| i.size).sum();
        let order = cfg.order;
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
            mode: Mode::Finished,
            last: Timestamp::MIN,
            out_of_order: 0,
            threads: Vec::new(),
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

    fn workers(&self) -> usize {
        self.ctx.cfg.threads.clamp(1, self.ctx.infos.len().max(1))
    }

    fn start_arrival(&mut self) {
        let workers = self.workers();
        let (tx, rx) = bounded::<Msg>(4 * workers);
        let queue = Arc::new(Mutex::new(
            (0..self.ctx.infos.len()).collect::<VecDeque<_>>(),
        ));
        // Arrival order holds one source per worker.
        let limits = Limits::for_sources(&self.ctx.cfg, workers);
        for _ in 0..workers {
            let (ctx, queue, tx) = (self.ctx.clone(), queue.clone(), tx.clone());
            self.threads.push(std::thread::spawn(move || loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(id) = next else { return };
                let mut task = Task::new(SourceId(id as u32), Opening::Later, 0, &ctx.cfg, limits);
                loop {
                    let sent = match task.step(|| ctx.open(id)) {
                        Step::Batch(b) => tx.send(Msg::Batch(b)).is_ok(),
                        Step::Finished(batches, stats) => {
                            let ok = batches.into_iter().all(|b| tx.send(Msg::Batch(b)).is_ok());
                            if !ok || tx.send(Msg::Done(task.id, stats)).is_err() {
                                return;
                            }
                            break;
                        }
                    };
                    if !sent {
                        return;
                    }
                }
            }));
        }
        self.mode = Mode::Arrival {
            rx: Some(rx),
            batch: Vec::new().into_iter(),
        };
    }

    fn start_time(&mut self) {
        let pending = self.probe();
        let n = self.ctx.infos.len();
        let (queue_tx, queue_rx) = unbounded::<usize>();
        let pool = Arc::new(Pool {
            slots: (0..n).map(|_| Mutex::new(SlotState::default())).collect(),
            queue: queue_tx,
        });
        for _ in 0..self.workers() {
            let (ctx, pool, queue) = (self.ctx.clone(), pool.clone(), queue_rx.clone());
            self.threads
                .push(std::thread::spawn(move || work(&ctx, &pool, &queue)));
        }
        self.mode = Mode::Time(TimeMerge {
            limits: Limits::for_sources(&self.ctx.cfg, pending.len()),
            pending: pending.into(),
            active: (0..n).map(|_| None).collect(),
            heap: BinaryHeap::new(),
            seq: 0,
            pool,
        });
    }

    /// Reads the first events of every source, in parallel, to schedule it
    /// by the earliest of them (a source's first record is not always its
    /// earliest). Sources with no event are finished here; the others are
    /// returned in time order.
    fn probe(&mut self) -> Vec<Pending> {
        let n = self.ctx.infos.len();
        let probe_events = Limits::for_sources(&self.ctx.cfg, n).window.max(1);
        let probes: Vec<Mutex<Option<Pending>>> = (0..n).map(|_| Mutex::new(None)).collect();
        let done: Vec<Mutex<Option<SourceStats>>> = (0..n).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let ctx = &self.ctx;
        std::thread::scope(|s| {
            for _ in 0..self.workers() {
                s.spawn(|| loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= n {
                        return;
                    }
                    match ctx.open(id) {
                        Err(stats) => put(&done[id], *stats),
                        Ok(mut reader) => match reader.probe(probe_events) {
                            (_, None, _) => put(&done[id], reader.into_stats()),
                            (events, Some(first), ended) => {
                                let seen = reader.stats.records;
                                let keep = ended || ctx.specs[id] == InputSpec::Stdin;
                                let preloaded = keep.then_some((reader, events));
                                put(
                                    &probes[id],
                                    Pending {
                                        first,
                                        id,
                                        seen,
                                        preloaded,
                                    },
                                );
                            }
                        },
                    }
                });
            }
        });
        let mut pending = Vec::new();
        for (id, (p, d)) in probes.into_iter().zip(done).enumerate() {
            if let Some(stats) = d.into_inner().ok().flatten() {
                self.stats[id] = Some(stats);
            }
            pending.extend(p.into_inner().ok().flatten());
        }
        pending.sort_by_key(|p| (p.first, p.id));
        pending
    }

    fn next_time(&mut self) -> Option<Event> {
        let Mode::Time(m) = &mut self.mode else {
            return None;
        };
        loop {
            // Open every source whose first event is due, all at once so
            // that they warm up in parallel, then wait for their heads.
            let due = match (m.heap.peek(), m.pending.front()) {
                (Some(Reverse((t, _, _))), _) => *t,
                (None, Some(p)) => p.first,
                (None, None) => return None,
            };
            let mut opened = Vec::new();
            while m.pending.front().is_some_and(|p| p.first <= due) {
                if let Some(p) = m.pending.pop_front() {
                    opened.push(p.id);
                    m.activate(p, &self.ctx.cfg);
                }
            }
            for id in &opened {
                m.advance(*id, &mut self.stats);
            }
            if !opened.is_empty() {
                continue;
            }
            let Reverse((_, _, id)) = m.heap.pop()?;
            let ev = m.active[id].as_mut().and_then(|a| a.head.take());
            m.advance(id, &mut self.stats);
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

    /// Tells the workers to stop and waits for them. Arrival workers stop
    /// when their channel closes; pool workers on a stop sentinel.
    fn stop(&mut self) {
        if let Mode::Time(m) = &self.mode {
            for _ in 0..self.threads.len() {
                let _ = m.pool.queue.send(STOP);
            }
        }
        self.mode = Mode::Finished;
        for h in std::mem::take(&mut self.threads) {
            let _ = h.join();
        }
    }

    /// Stops reading (if not at the end) and returns the totals.
    pub fn finish(mut self) -> Report {
        self.stop();
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

impl TimeMerge {
    /// Hands a due source to the workers.
    fn activate(&mut self, p: Pending, cfg: &IngestConfig) {
        let (tx, rx) = unbounded::<Msg>();
        let opening = match p.preloaded {
            Some((reader, events)) => Opening::Open(Box::new(reader), events),
            None => Opening::Later,
        };
        let task = Task::new(SourceId(p.id as u32), opening, p.seen, cfg, self.limits);
        if let Ok(mut slot) = self.pool.slots[p.id].lock() {
            *slot = SlotState {
                task: Some(task),
                outstanding: 0,
                parked: false,
                tx: Some(tx),
            };
        }
        self.active[p.id] = Some(Active {
            rx,
            batch: Vec::new().into_iter(),
            head: None,
        });
        let _ = self.pool.queue.send(p.id);
    }

    /// Loads the next head event of active source `id` into the heap.
    fn advance(&mut self, id: usize, stats: &mut [Option<SourceStats>]) {
        let Some(a) = self.active[id].as_mut() else {
            return;
        };
        loop {
            if let Some(ev) = a.batch.next() {
                self.seq += 1;
                self.heap.push(Reverse((ev.time(), self.seq, id)));
                a.head = Some(ev);
                return;
            }
            match a.rx.recv() {
                Ok(Msg::Batch(b)) => {
                    a.batch = b.into_iter();
                    self.pool.return_credit(id);
                }
                Ok(Msg::Done(sid, s)) => {
                    stats[sid.0 as usize] = Some(*s);
                    self.active[id] = None;
                    return;
                }
                Err(_) => {
                    self.active[id] = None;
                    return;
                }
            }
        }
    }
}

impl Pool {
    /// The merge took a batch of source `id`: let it read another.
    fn return_credit(&self, id: usize) {
        let Ok(mut slot) = self.slots[id].lock() else {
            return;
        };
        slot.outstanding = slot.outstanding.saturating_sub(1);
        if slot.parked && slot.outstanding < CREDITS {
            slot.parked = false;
            let _ = self.queue.send(id);
        }
    }
}

/// A worker: takes a ready source, reads one batch, sends it, and puts the
/// source back in the queue while it has credits.
fn work(ctx: &Ctx, pool: &Pool, queue: &Receiver<usize>) {
    while let Ok(id) = queue.recv() {
        if id == STOP {
            return;
        }
        let Some(mut task) = pool.slots[id].lock().ok().and_then(|mut s| s.task.take()) else {
            continue;
        };
        let step = task.step(|| ctx.open(id));
        let Ok(mut slot) = pool.slots[id].lock() else {
            return;
        };
        let Some(tx) = slot.tx.clone() else { continue };
        match step {
            Step::Batch(b) => {
                slot.outstanding += 1;
                if tx.send(Msg::Batch(b)).is_err() {
                    continue;
                }
                slot.task = Some(task);
                if slot.outstanding >= CREDITS {
                    slot.parked = true;
                } else {
                    let _ = pool.queue.send(id);
                }
            }
            Step::Finished(batches, stats) => {
                slot.tx = None;
                for b in batches {
                    let _ = tx.send(Msg::Batch(b));
                }
                let _ = tx.send(Msg::Done(task.id, stats));
            }
        }
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Iterator for Ingest {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let ev = match self.mode {
            Mode::Arrival { .. } => self.next_arrival(),
            Mode::Time(_) => self.next_time(),
            Mode::Finished => None,
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
