//! One service's state: its history of normal buckets, the buckets still
//! open, and the outage in progress; the judging of a closed bucket.

use foldhash::HashSet;
use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::Ev;
use crate::state::{alloc_size, push_capped};
use crate::stats::{quantile, Window};

/// Failures kept as evidence from an outage's first bucket.
const FIRST_EVIDENCE: usize = 3;
/// Failures sampled from the middle of an outage.
const MIDDLE_EVIDENCE: usize = 4;

/// The last `cap` normal buckets of a service, as (failed, total).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Ring {
    cap: usize,
    items: Vec<(u32, u32)>,
    next: usize,
}

impl Ring {
    pub(crate) fn new(cap: usize) -> Ring {
        Ring {
            cap: cap.max(1),
            items: Vec::new(),
            next: 0,
        }
    }

    pub(crate) fn push(&mut self, failed: u32, total: u32) {
        if self.items.len() < self.cap {
            self.items.push((failed, total));
        } else if let Some(slot) = self.items.get_mut(self.next) {
            *slot = (failed, total);
            self.next = (self.next + 1) % self.cap;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    fn shares(&self) -> Vec<f64> {
        self.items
            .iter()
            .map(|&(f, n)| f64::from(f) / f64::from(n.max(1)))
            .collect()
    }

    fn failed(&self) -> Vec<f64> {
        self.items.iter().map(|&(f, _)| f64::from(f)).collect()
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        alloc_size(self.items.capacity() * std::mem::size_of::<(u32, u32)>())
    }
}

/// One service's requests in one bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Bucket {
    /// Buckets since the epoch.
    pub(crate) idx: i64,
    pub(crate) total: u32,
    pub(crate) failed: u32,
    /// Distinct clients that saw a failure (at most `max_clients`).
    pub(crate) clients: HashSet<String>,
    /// The first failures, and the last.
    pub(crate) first_fails: Vec<Ev>,
    pub(crate) last_fail: Option<Ev>,
}

impl Bucket {
    pub(crate) fn new(idx: i64) -> Bucket {
        Bucket {
            idx,
            total: 0,
            failed: 0,
            clients: HashSet::default(),
            first_fails: Vec::new(),
            last_fail: None,
        }
    }

    pub(crate) fn add(&mut self, failed: bool, client: Option<&str>, ev: Ev, max_clients: usize) {
        self.total = self.total.saturating_add(1);
        if !failed {
            return;
        }
        self.failed = self.failed.saturating_add(1);
        if let Some(c) = client {
            if self.clients.len() < max_clients && !self.clients.contains(c) {
                self.clients.insert(c.to_string());
            }
        }
        push_capped(&mut self.first_fails, ev, FIRST_EVIDENCE);
        // Late events within the grace may arrive out of order.
        if self.last_fail.is_none_or(|l| ev.t >= l.t) {
            self.last_fail = Some(ev);
        }
    }

    pub(crate) fn share(&self) -> f64 {
        f64::from(self.failed) / f64::from(self.total.max(1))
    }

    /// Heap bytes held (the bucket itself excluded).
    fn heap_bytes(&self) -> usize {
        set_bytes(&self.clients)
            + alloc_size(self.first_fails.capacity() * std::mem::size_of::<Ev>())
    }
}

/// Heap bytes of a set of client names.
fn set_bytes(s: &HashSet<String>) -> usize {
    if s.capacity() == 0 {
        return 0;
    }
    alloc_size(s.capacity() * (std::mem::size_of::<String>() + 1) + 16)
        + s.iter().map(|c| alloc_size(c.capacity())).sum::<usize>()
}

/// The numbers behind the decision on the bucket that opened an outage.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) abnormal: bool,
    pub(crate) failed: u32,
    pub(crate) total: u32,
    pub(crate) share: f64,
    pub(crate) clients: usize,
    pub(crate) samples: usize,
    pub(crate) median_share: f64,
    pub(crate) mad_share: f64,
    pub(crate) z: f64,
    pub(crate) q_share: f64,
    pub(crate) q_failed: f64,
}

impl Verdict {
    pub(crate) fn metrics(&self) -> [(&'static str, f64); 10] {
        [
            ("trigger_failed", f64::from(self.failed)),
            ("trigger_total", f64::from(self.total)),
            ("trigger_share", self.share),
            ("trigger_clients", self.clients as f64),
            ("samples", self.samples as f64),
            ("median_share", self.median_share),
            ("mad_share", self.mad_share),
            ("robust_z", self.z),
            ("q_share", self.q_share),
            ("q_failed", self.q_failed),
        ]
    }
}

/// Judges a closed bucket against the service's history of normal buckets
/// (see the module docs).
pub(crate) fn judge(b: &Bucket, h: &Ring, c: &Config) -> Verdict {
    let share = b.share();
    let mut v = Verdict {
        failed: b.failed,
        total: b.total,
        share,
        clients: b.clients.len(),
        samples: h.len(),
        ..Verdict::default()
    };
    let floors = u64::from(b.total) >= c.min_requests
        && u64::from(b.failed) >= c.min_failures
        && share >= c.min_share
        && b.clients.len() >= c.min_clients;
    // Statistics only for buckets past the floors: the common case is cheap.
    if !floors || h.len() < c.min_samples {
        return v;
    }
    let mut w = Window::new(h.len());
    for s in h.shares() {
        w.push(s);
    }
    v.median_share = w.median().unwrap_or(0.0);
    v.mad_share = w.mad().unwrap_or(0.0);
    v.z = w.robust_z(share, c.z_floor_share).unwrap_or(0.0);
    v.q_share = w.quantile(c.quantile).unwrap_or(0.0);
    v.q_failed = quantile(&h.failed(), c.quantile).unwrap_or(0.0);
    v.abnormal = v.z >= c.min_z
        && share >= v.q_share + c.share_margin
        && f64::from(b.failed) >= v.q_failed * c.count_factor;
    v
}

/// An outage in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Outage {
    /// First and last failure (nanoseconds).
    pub(crate) start_ns: i64,
    pub(crate) end_ns: i64,
    /// Buckets where it was failing.
    pub(crate) bad_buckets: u32,
    /// Healthy buckets in a row since the last failing one.
    pub(crate) good_run: u32,
    pub(crate) total: u64,
    pub(crate) failed: u64,
    /// Distinct clients that saw a failure (at most `max_clients`).
    pub(crate) clients: HashSet<String>,
    /// Whether more clients saw failures than are kept.
    pub(crate) clients_capped: bool,
    pub(crate) peak_share: f64,
    pub(crate) trigger: Verdict,
    pub(crate) first: Vec<Ev>,
    /// The first failure of every `stride`-th failing bucket after the
    /// first, at most [`MIDDLE_EVIDENCE`].
    pub(crate) middle: Vec<Ev>,
    pub(crate) stride: u32,
    pub(crate) last: Option<Ev>,
    /// Whether it was already reported while going on
    /// ([`Config::report_after_secs`]).
    #[serde(default)]
    pub(crate) reported: bool,
}

impl Outage {
    pub(crate) fn open(b: Bucket, trigger: Verdict, c: &Config) -> Outage {
        let start_ns = b.first_fails.iter().map(|e| e.t).min().unwrap_or(0);
        let mut o = Outage {
            start_ns,
            end_ns: start_ns,
            bad_buckets: 0,
            good_run: 0,
            total: 0,
            failed: 0,
            clients: HashSet::default(),
            clients_capped: false,
            peak_share: 0.0,
            trigger,
            first: b.first_fails.clone(),
            middle: Vec::new(),
            stride: 1,
            last: None,
            reported: false,
        };
        o.extend(b, c);
        o
    }

    /// Adds a failing bucket.
    pub(crate) fn extend(&mut self, b: Bucket, c: &Config) {
        self.bad_buckets = self.bad_buckets.saturating_add(1);
        self.good_run = 0;
        self.total = self.total.saturating_add(u64::from(b.total));
        self.failed = self.failed.saturating_add(u64::from(b.failed));
        self.peak_share = self.peak_share.max(b.share());
        for client in b.clients {
            if self.clients.len() < c.max_clients {
                self.clients.insert(client);
            } else if !self.clients.contains(&client) {
                self.clients_capped = true;
            }
        }
        if self.bad_buckets > 1 && (self.bad_buckets - 1).is_multiple_of(self.stride) {
            if let Some(&e) = b.first_fails.first() {
                if self.middle.len() >= MIDDLE_EVIDENCE {
                    // Keep every other sample and sample half as often.
                    let kept: Vec<Ev> = self.middle.iter().step_by(2).copied().collect();
                    self.middle = kept;
                    self.stride = self.stride.saturating_mul(2);
                }
                self.middle.push(e);
            }
        }
        if let Some(l) = b.last_fail {
            if self.last.is_none_or(|x| l.t >= x.t) {
                self.last = Some(l);
            }
            self.end_ns = self.end_ns.max(l.t);
        }
    }

    /// Adds a healthy bucket seen while it lasts.
    pub(crate) fn healthy(&mut self, b: &Bucket) {
        self.good_run = self.good_run.saturating_add(1);
        self.total = self.total.saturating_add(u64::from(b.total));
        self.failed = self.failed.saturating_add(u64::from(b.failed));
    }

    /// First failures, samples from the middle and the last one, in time
    /// order, without repeats.
    pub(crate) fn evidence(&self) -> Vec<Ev> {
        let mut v: Vec<Ev> = self
            .first
            .iter()
            .chain(self.middle.iter())
            .chain(self.last.iter())
            .copied()
            .collect();
        v.sort_by_key(|e| (e.t, e.source, e.record, e.line));
        v.dedup();
        v
    }

    /// Heap bytes, the outage's own included (it is boxed).
    fn memory_bytes(&self) -> usize {
        alloc_size(std::mem::size_of::<Outage>())
            + set_bytes(&self.clients)
            + alloc_size(self.first.capacity() * std::mem::size_of::<Ev>())
            + alloc_size(self.middle.capacity() * std::mem::size_of::<Ev>())
    }
}

/// One service.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Service {
    /// Past normal buckets with at least `learn_min_requests` requests.
    pub(crate) history: Ring,
    /// Buckets still open, oldest first (one or two: the current one and
    /// the last in its grace period). Saved as a map by index.
    #[serde(with = "open_buckets")]
    pub(crate) open: Vec<Bucket>,
    /// The last bucket closed: events of it or earlier are late.
    pub(crate) closed_through: Option<i64>,
    /// The outage in progress (boxed: rare).
    pub(crate) outage: Option<Box<Outage>>,
    /// End of the last reported outage (nanoseconds).
    pub(crate) last_hit_end: Option<i64>,
    /// Outages not reported since the last hit (suppressed), and their
    /// failures.
    pub(crate) suppressed: u64,
    pub(crate) suppressed_failed: u64,
    /// Latest event (nanoseconds).
    pub(crate) last_seen: i64,
}

impl Service {
    pub(crate) fn new(c: &Config, t: i64) -> Service {
        Service {
            history: Ring::new(c.history),
            open: Vec::new(),
            closed_through: None,
            outage: None,
            last_hit_end: None,
            suppressed: 0,
            suppressed_failed: 0,
            last_seen: t,
        }
    }

    /// Closes bucket `b` (the oldest open one); the outage it ended, if
    /// the service recovered.
    pub(crate) fn close(&mut self, b: Bucket, c: &Config, opened: &mut u64) -> Option<Outage> {
        self.closed_through = Some(self.closed_through.map_or(b.idx, |x| x.max(b.idx)));
        if let Some(o) = self.outage.as_mut() {
            let failing = b.failed > 0 && b.share() >= c.recover_share;
            if failing {
                o.extend(b, c);
                return None;
            }
            o.healthy(&b);
            let done = o.good_run >= c.recover_buckets;
            self.learn(&b, c);
            return if done {
                self.outage.take().map(|o| *o)
            } else {
                None
            };
        }
        let v = judge(&b, &self.history, c);
        if v.abnormal {
            *opened += 1;
            self.outage = Some(Box::new(Outage::open(b, v, c)));
        } else {
            self.learn(&b, c);
        }
        None
    }

    fn learn(&mut self, b: &Bucket, c: &Config) {
        if u64::from(b.total) >= c.learn_min_requests {
            self.history.push(b.failed, b.total);
        }
    }

    /// The oldest open bucket's index.
    pub(crate) fn first_open(&self) -> Option<i64> {
        self.open.first().map(|b| b.idx)
    }

    /// Takes the oldest open bucket when it is before `below`.
    pub(crate) fn pop_before(&mut self, below: i64) -> Option<Bucket> {
        if self.first_open()? < below {
            return Some(self.open.remove(0));
        }
        None
    }

    /// Open bucket `idx`, opened when new.
    pub(crate) fn bucket(&mut self, idx: i64) -> &mut Bucket {
        let i = match self.open.binary_search_by_key(&idx, |b| b.idx) {
            Ok(i) => i,
            Err(i) => {
                self.open.reserve_exact(1);
                self.open.insert(i, Bucket::new(idx));
                i
            }
        };
        // Invariant: `i` was found or just inserted.
        &mut self.open[i]
    }

    /// Heap bytes held (the service itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.history.memory_bytes()
            + alloc_size(self.open.capacity() * std::mem::size_of::<Bucket>())
            + self.open.iter().map(Bucket::heap_bytes).sum::<usize>()
            + self.outage.as_deref().map_or(0, Outage::memory_bytes)
    }
}

/// Open buckets saved as a map from index to bucket (as first written).
mod open_buckets {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::Bucket;

    pub(super) fn serialize<S: Serializer>(v: &[Bucket], ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_map(v.iter().map(|b| (b.idx, b)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<Bucket>, D::Error> {
        let m = BTreeMap::<i64, Bucket>::deserialize(de)?;
        Ok(m.into_values().collect())
    }
}
