//! Bulk database reads: a query that returns far more rows than its
//! principal usually reads from that table, from database audit records that
//! carry the rows returned (`db.response.returned_rows`: pgAudit, MySQL and
//! SQL Server audit as decoded by phiwatch).
//!
//! # Decision
//!
//! Reads are keyed by (principal, table): the principal is `db.user`, else
//! `user.name`; the table is `db.sql.table`, else `db.name`, else `-`. Each
//! pair keeps the rows returned by its last `history` reads
//! ([`stats::Window`](crate::stats::Window)). A read of `rows` rows is scored
//! against that history *before* it joins it (a burst of large reads is
//! judged against what came before the burst):
//!
//! - nothing below `min_rows` is ever reported;
//! - with at least `min_samples` reads in the history: reported when the
//!   robust z-score `(rows − median) / max(1.4826·MAD, z_floor_rows)` is at
//!   least `min_z` **and** `rows ≥ quantile_factor × q`, where `q` is the
//!   history's `quantile` quantile;
//! - with fewer (a new principal/table pair): reported when
//!   `rows ≥ new_pair_rows` and, if it read before, `rows ≥
//!   quantile_factor × the largest read it made` (a nightly job's second
//!   night is not news).
//!
//! A hit is level high, critical from `critical_rows`; on a cold start
//! (no restored state), a pair's first read during the first
//! `learning_secs` of reads is medium (`learning` in the metrics). Each pair reports at
//! most once per `suppress_secs`: the reads of at least `min_rows` rows
//! meanwhile (whether or not they meet the other thresholds, which a burst
//! soon stops doing as it joins the history) are counted, with their rows,
//! in the pair's next hit (`suppressed`, `suppressed_rows`). Reads by allowlisted principals or
//! pairs are never reported but still feed the history. Every number above
//! is in the hit's metrics.
//!
//! Only the events of database audit datasets (and of datasets phiwatch
//! does not know) are looked at ([`Analytic::wants`]). A pair takes about
//! 350 bytes with its principal, plus 4 bytes a read of history.
//!
//! Dump tools and `COPY … TO` statements are the Sigma rules' business; this
//! analytic looks at row volumes, and at new access paths:
//!
//! # New access (`db-new-access`)
//!
//! A principal with at least `new_access_min_reads` reads behind it that
//! reads a table it never read is reported: medium, high when it does so
//! through an interactive client (`console_clients`: psql, DBeaver, SSMS,
//! …) it never used before (a billing clerk's account pulling patient rows
//! with `psql` from a workstation). Principals are tracked up to
//! `principal_capacity` (least recently seen evicted), with the client
//! applications they used; one hit per principal per `suppress_secs`;
//! allowlisted principals and pairs are never reported.
//!
//! ```
//! use phiwatch_analytics::bulk_read::{BulkRead, Config};
//! use phiwatch_analytics::Analytic;
//! use phiwatch_event::{keys, Event, Timestamp, Value};
//!
//! let mut a = BulkRead::new(Config::default());
//! let mut hits = Vec::new();
//! for (i, rows) in [40, 55, 38, 61, 47, 52, 45, 250_000].into_iter().enumerate() {
//!     let mut ev = Event::new(Timestamp::from_secs(1_800_000_000 + i as i64 * 60).unwrap());
//!     ev.push_norm(keys::DB_USER, Value::Static("mallory"));
//!     ev.push_norm(keys::DB_SQL_TABLE, Value::Static("ehr.patients"));
//!     ev.push_norm(keys::DB_RESPONSE_RETURNED_ROWS, Value::Int(rows));
//!     a.observe(&ev, &mut hits);
//! }
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].metrics["rows"], 250_000.0);
//! ```

use std::collections::{BTreeMap, HashSet};

use crate::seen::secs_ns;
use crate::state::{alloc_size, push_capped};

use phiwatch_event::{keys, Event};
use phiwatch_finding::{Entity, Level};
use serde::{Deserialize, Serialize};

use crate::state::Bounded;
use crate::stats::Window;
use crate::{Analytic, AnalyticHit, StateError};

const NAME: &str = "bulk-read";
const SAVE_VERSION: u64 = 1;
/// The table when the record names none.
const NO_TABLE: &str = "-";

/// A (principal, table) pair that is allowed bulk reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowPair {
    /// The principal (`db.user`, else `user.name`), exactly.
    pub principal: String,
    /// The table (`db.sql.table`, else `db.name`), exactly.
    pub table: String,
}

/// Settings of [`BulkRead`]. Every threshold is also reported in the metrics
/// of each hit. Missing keys take the defaults below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Fewest rows a read must return to be reported at all (default
    /// 10 000).
    pub min_rows: u64,
    /// Reads a pair's history must hold for the baseline rule; with fewer the
    /// new-pair rule applies (default 20).
    pub min_samples: usize,
    /// Smallest robust z-score of a reported read against its pair's history
    /// (default 6).
    pub min_z: f64,
    /// Smallest spread (rows) used by the robust z-score, so that a flat
    /// history does not turn every change into an outlier (default 100).
    pub z_floor_rows: f64,
    /// The quantile of the history a reported read must exceed, times
    /// `quantile_factor` (default 0.99).
    pub quantile: f64,
    /// How many times the history's `quantile` a reported read must return
    /// (default 5).
    pub quantile_factor: f64,
    /// Fewest rows reported for a pair with fewer than `min_samples` reads
    /// (default 50 000).
    pub new_pair_rows: u64,
    /// Rows from which a hit is critical rather than high (default 100 000).
    pub critical_rows: u64,
    /// Reads kept per pair (default 512).
    pub history: usize,
    /// Seconds after a hit during which the pair reports nothing more; the
    /// large reads meanwhile are counted in the next hit (default 3600).
    pub suppress_secs: u64,
    /// Principals never reported (scheduled jobs: backup, BI), exactly as
    /// logged; their reads still feed the baselines (default none).
    pub allow_principals: Vec<String>,
    /// (principal, table) pairs never reported; their reads still feed the
    /// baselines (default none).
    pub allow_pairs: Vec<AllowPair>,
    /// Most pairs tracked at once; the least recently seen is evicted
    /// (default 100 000).
    pub capacity: usize,
    /// `db-new-access`: an established principal (at least this many reads
    /// of other tables) reading a table it never read is reported (default
    /// 50; 0 turns it off).
    pub new_access_min_reads: u64,
    /// Interactive database clients (application names, compared without
    /// case, as a prefix): a new access through one the principal never
    /// used is high rather than medium (default psql, pgAdmin, DBeaver,
    /// DataGrip, sqlcmd, SSMS, mysql, MySQL Workbench, HeidiSQL, Toad, SQL
    /// Developer, Azure Data Studio).
    pub console_clients: Vec<String>,
    /// Principals tracked for new access; the least recently seen is
    /// evicted (default 100 000).
    pub principal_capacity: usize,
    /// Cold start: during the first this many seconds of reads the
    /// analytic sees (without a saved state), a pair's first read is
    /// reported at level medium, not high (default 86 400; 0: off).
    pub learning_secs: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_rows: 10_000,
            min_samples: 20,
            min_z: 6.0,
            z_floor_rows: 100.0,
            quantile: 0.99,
            quantile_factor: 5.0,
            new_pair_rows: 50_000,
            critical_rows: 100_000,
            history: 512,
            suppress_secs: 3600,
            allow_principals: Vec::new(),
            allow_pairs: Vec::new(),
            capacity: 100_000,
            new_access_min_reads: 50,
            console_clients: [
                "psql",
                "pgadmin",
                "dbeaver",
                "datagrip",
                "sqlcmd",
                "microsoft sql server management studio",
                "ssms",
                "mysql",
                "heidisql",
                "toad",
                "sql developer",
                "azure data studio",
            ]
            .map(String::from)
            .to_vec(),
            principal_capacity: 100_000,
            learning_secs: 86_400,
        }
    }
}

/// What the analytic has counted since it was made (restored with its
/// state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events observed.
    pub events: u64,
    /// Reads scored (events with a row count).
    pub reads: u64,
    /// Reads of at least `min_rows` rows.
    pub large: u64,
    /// Reads that met the thresholds but were allowlisted.
    pub allowed: u64,
    /// Reads of at least `min_rows` rows during a pair's suppression
    /// period.
    pub suppressed: u64,
    /// Hits reported.
    pub hits: u64,
    /// Events earlier than the latest one seen (out of order, clock skew).
    pub out_of_order: u64,
    /// Pairs evicted to stay within the capacity.
    pub evicted: u64,
    /// New-access hits reported.
    #[serde(default)]
    pub new_access: u64,
}

/// One principal: reads seen and the client applications it used.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Principal {
    reads: u64,
    /// Applications seen, in lower case (at most [`MAX_APPS`]).
    apps: Vec<Box<str>>,
    /// Time of the last new-access hit (nanoseconds).
    last_hit: Option<i64>,
}

/// Applications remembered per principal.
const MAX_APPS: usize = 16;

/// One pair's history.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PairState {
    rows: Window,
    /// Time of the last hit (nanoseconds).
    last_hit: Option<i64>,
    /// Reads of at least `min_rows` rows suppressed since the last hit, and
    /// their rows.
    suppressed: u64,
    suppressed_rows: f64,
    /// Latest read (nanoseconds), for the eviction order on restore.
    last_seen: i64,
}

/// The saved state.
#[derive(Serialize, Deserialize)]
struct Saved {
    version: u64,
    counters: Counters,
    latest: Option<i64>,
    pairs: Vec<(String, String, PairState)>,
    #[serde(default)]
    principals: Option<Bounded<Box<str>, Principal>>,
    #[serde(default)]
    first: Option<i64>,
}

/// The history's numbers behind a decision.
#[derive(Clone, Copy, Debug)]
struct Baseline {
    samples: usize,
    max: Option<f64>,
    median: Option<f64>,
    mad: Option<f64>,
    z: Option<f64>,
    q: Option<f64>,
}

impl Baseline {
    fn of(w: &Window, rows: f64, c: &Config) -> Baseline {
        let s = w.sorted();
        Baseline {
            samples: w.len(),
            max: s.quantile(1.0),
            median: s.median(),
            mad: s.mad(),
            z: s.robust_z(rows, c.z_floor_rows),
            q: s.quantile(c.quantile),
        }
    }

    /// Whether a read of `rows` rows is a bulk read against this baseline.
    fn flags(&self, rows: f64, c: &Config) -> bool {
        if rows < c.min_rows as f64 {
            return false;
        }
        if self.samples < c.min_samples {
            // A new pair: large, and far above anything it read before (a
            // nightly job's second night is not news).
            return rows >= c.new_pair_rows as f64
                && self.max.is_none_or(|m| rows >= m * c.quantile_factor);
        }
        match (self.z, self.q) {
            (Some(z), Some(q)) => z >= c.min_z && rows >= q * c.quantile_factor,
            _ => rows >= c.new_pair_rows as f64,
        }
    }
}

/// The bulk database reads analytic (`bulk-read`): see the module
/// documentation.
#[derive(Debug)]
pub struct BulkRead {
    config: Config,
    allow_principals: HashSet<String>,
    /// Usually a few: compared in turn.
    allow_pairs: Vec<(String, String)>,
    pairs: Bounded<(Box<str>, Box<str>), PairState>,
    principals: Bounded<Box<str>, Principal>,
    latest: Option<i64>,
    /// The earliest read seen (nanoseconds): the learning period runs from
    /// it.
    first: Option<i64>,
    counters: Counters,
}

impl BulkRead {
    /// An analytic with these settings.
    pub fn new(config: Config) -> BulkRead {
        BulkRead {
            allow_principals: config.allow_principals.iter().cloned().collect(),
            allow_pairs: config
                .allow_pairs
                .iter()
                .map(|p| (p.principal.clone(), p.table.clone()))
                .collect(),
            pairs: Bounded::new(config.capacity),
            principals: Bounded::new(config.principal_capacity),
            latest: None,
            first: None,
            counters: Counters::default(),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it has counted so far.
    pub fn counters(&self) -> Counters {
        Counters {
            evicted: self.pairs.evicted,
            ..self.counters
        }
    }

    fn allowed(&self, (principal, table): (&str, &str)) -> bool {
        self.allow_principals.contains(principal)
            || self
                .allow_pairs
                .iter()
                .any(|(p, t)| p == principal && t == table)
    }

    /// The hit for a read of `rows` rows by `key`, `suppressed` large reads
    /// (and their rows) since the previous hit.
    fn hit(
        &self,
        key: (&str, &str),
        ev: &Event,
        rows: f64,
        b: &Baseline,
        suppressed: (u64, f64),
    ) -> AnalyticHit {
        let c = &self.config;
        let new_pair = b.samples < c.min_samples;
        let mut m: BTreeMap<String, f64> = [
            ("rows", rows),
            ("samples", b.samples as f64),
            ("history_max", b.max.unwrap_or(0.0)),
            ("new_pair", if new_pair { 1.0 } else { 0.0 }),
            ("suppressed", suppressed.0 as f64),
            ("suppressed_rows", suppressed.1),
            ("min_rows", c.min_rows as f64),
            ("min_samples", c.min_samples as f64),
            ("min_z", c.min_z),
            ("z_floor_rows", c.z_floor_rows),
            ("quantile", c.quantile),
            ("quantile_factor", c.quantile_factor),
            ("new_pair_rows", c.new_pair_rows as f64),
            ("critical_rows", c.critical_rows as f64),
            ("suppress_s", c.suppress_secs as f64),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in [
            ("median_rows", b.median),
            ("mad_rows", b.mad),
            ("robust_z", b.z),
            ("q_rows", b.q),
        ] {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        }
        // A pair never seen, while the analytic itself has seen less than
        // `learning_secs` of reads (a cold start without saved baselines):
        // the first night's backup is not yet known to be a routine.
        let t = ev.time().as_nanos();
        let learning = b.samples == 0
            && self
                .first
                .is_some_and(|f| t.saturating_sub(f) < crate::seen::secs_ns(c.learning_secs));
        m.insert("learning".to_string(), f64::from(u8::from(learning)));
        m.insert("learning_secs".to_string(), c.learning_secs as f64);
        let level = if learning {
            Level::Medium
        } else if rows >= c.critical_rows as f64 {
            Level::Critical
        } else {
            Level::High
        };
        let baseline = match (new_pair, b.median) {
            (false, Some(med)) => format!("median {med:.0}, z {:.1}", b.z.unwrap_or(0.0)),
            _ => format!("new pair, {} earlier reads", b.samples),
        };
        let title = format!(
            "Bulk read: {} read {rows:.0} rows from {} ({baseline})",
            key.0, key.1
        );
        let ip = [keys::SOURCE_IP, keys::CLIENT_IP]
            .into_iter()
            .find_map(|k| ev.get(k).and_then(|v| v.as_ip()))
            .map(|ip| ip.to_string());
        let user = (key.0 != NO_TABLE).then(|| key.0.to_string());
        AnalyticHit {
            analytic: NAME,
            title,
            level,
            time: ev.time(),
            end_time: ev.time(),
            entity: Entity {
                user,
                ip,
                ..Entity::default()
            },
            tags: vec!["attack.collection".into(), "attack.t1213".into()],
            metrics: m,
            group: BTreeMap::from([
                ("principal".to_string(), key.0.to_string()),
                ("table".to_string(), key.1.to_string()),
            ]),
            evidence: vec![(ev.origin(), ev.time())],
        }
    }
}

impl BulkRead {
    /// Notes the principal's read; the `db-new-access` hit when an
    /// established principal reads a table it never read.
    fn new_access(
        &mut self,
        ev: &Event,
        key: (&str, &str),
        new_pair: bool,
        allowed: bool,
        t: i64,
    ) -> Option<AnalyticHit> {
        let c = &self.config;
        if c.new_access_min_reads == 0 || key.0 == NO_TABLE {
            return None;
        }
        let raw_app = ev
            .get(keys::CLIENT_APPLICATION)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty());
        let suppress_ns = secs_ns(c.suppress_secs).unsigned_abs();
        let min_reads = c.new_access_min_reads;
        let principal = key.0;
        let p = self
            .principals
            .entry_by(principal, || principal.into(), Principal::default);
        let established = p.reads >= min_reads;
        let new_app = raw_app.is_some_and(|a| !p.apps.iter().any(|x| x.eq_ignore_ascii_case(a)));
        let prior_reads = p.reads;
        p.reads += 1;
        if let Some(a) = raw_app {
            if new_app {
                push_capped(&mut p.apps, a.to_ascii_lowercase().into(), MAX_APPS);
            }
        }
        if !(new_pair && established) || allowed {
            return None;
        }
        let app = raw_app.map(str::to_ascii_lowercase);
        if p.last_hit.is_some_and(|h| t.abs_diff(h) < suppress_ns) {
            return None;
        }
        p.last_hit = Some(t);
        let console = app.as_ref().is_some_and(|a| {
            c.console_clients
                .iter()
                .any(|cc| a.starts_with(&cc.to_ascii_lowercase()))
        });
        let level = if console && new_app {
            Level::High
        } else {
            Level::Medium
        };
        self.counters.new_access += 1;
        let ip = [keys::SOURCE_IP, keys::CLIENT_IP]
            .into_iter()
            .find_map(|k| ev.get(k).and_then(|v| v.as_ip()))
            .map(|ip| ip.to_string());
        let via = app
            .as_deref()
            .map_or(String::new(), |a| format!(" through {a}"));
        let mut group = BTreeMap::from([
            ("principal".to_string(), key.0.to_string()),
            ("table".to_string(), key.1.to_string()),
        ]);
        if let Some(a) = &app {
            group.insert("application".to_string(), a.clone());
        }
        Some(AnalyticHit {
            analytic: "db-new-access",
            title: format!(
                "New database access: {} read {} for the first time{via}{}",
                key.0,
                key.1,
                if new_app && app.is_some() {
                    ", a client it never used"
                } else {
                    ""
                }
            ),
            level,
            time: ev.time(),
            end_time: ev.time(),
            entity: Entity {
                user: Some(key.0.to_string()),
                ip,
                ..Entity::default()
            },
            tags: vec!["attack.collection".into(), "attack.t1213.006".into()],
            metrics: [
                ("prior_reads", prior_reads as f64),
                ("new_application", f64::from(u8::from(new_app))),
                ("console_client", f64::from(u8::from(console))),
                ("new_access_min_reads", min_reads as f64),
                ("suppress_s", c.suppress_secs as f64),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            group,
            evidence: vec![(ev.origin(), ev.time())],
        })
    }
}

/// The (principal, table) of a read, and its rows; None when `ev` carries no
/// row count.
fn read_of(ev: &Event) -> Option<((&str, &str), f64)> {
    let rows = ev.get(keys::DB_RESPONSE_RETURNED_ROWS)?;
    let rows = rows
        .as_i64()
        .map(|r| r as f64)
        .or_else(|| rows.as_f64())
        .filter(|r| r.is_finite() && *r >= 0.0)?;
    let first = |ks: &[phiwatch_event::Key]| {
        ks.iter()
            .find_map(|&k| ev.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()))
    };
    let principal = first(&[keys::DB_USER, keys::USER_NAME]).unwrap_or(NO_TABLE);
    let table = first(&[keys::DB_SQL_TABLE, keys::DB_NAME]).unwrap_or(NO_TABLE);
    Some(((principal, table), rows))
}

/// Recognizes the pair (`principal`, `table`).
fn is_pair<'a>(principal: &'a str, table: &'a str) -> impl Fn(&(Box<str>, Box<str>)) -> bool + 'a {
    move |k| &*k.0 == principal && &*k.1 == table
}

/// phiwatch's datasets whose events may carry a row count.
const DB_DATASETS: &[&str] = &[
    "postgresql.audit",
    "postgresql.log",
    "mysql.audit",
    "mssql.audit",
];

impl Analytic for BulkRead {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Database audit records only (their time is the only clock).
    fn wants(&self, dataset: &str) -> bool {
        crate::seen::wants_dataset(dataset, DB_DATASETS)
    }

    fn observe(&mut self, ev: &Event, out: &mut Vec<AnalyticHit>) {
        self.counters.events += 1;
        let t = ev.time().as_nanos();
        match self.latest {
            Some(l) if t < l => self.counters.out_of_order += 1,
            _ => self.latest = Some(t),
        }
        let Some((key, rows)) = read_of(ev) else {
            return;
        };
        if self.config.learning_secs > 0 {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
        }
        self.counters.reads += 1;
        if rows >= self.config.min_rows as f64 {
            self.counters.large += 1;
        }
        let allowed = self.allowed(key);
        let is_new_pair = self.pairs.get_by(&key, is_pair(key.0, key.1)).is_none();
        if let Some(hit) = self.new_access(ev, key, is_new_pair, allowed, t) {
            out.push(hit);
        }
        let c = &self.config;
        let history = c.history;
        let suppress_ns = secs_ns(c.suppress_secs).unsigned_abs();
        let (principal, table) = key;
        let st = self.pairs.entry_with(
            &key,
            is_pair(principal, table),
            || (principal.into(), table.into()),
            || PairState {
                rows: Window::new(history),
                last_hit: None,
                suppressed: 0,
                suppressed_rows: 0.0,
                last_seen: t,
            },
        );
        // Only a read of at least `min_rows` can be flagged: the baseline
        // (sorting the history) is computed for those alone.
        let b = if rows >= self.config.min_rows as f64 {
            Baseline::of(&st.rows, rows, &self.config)
        } else {
            Baseline {
                samples: st.rows.len(),
                max: None,
                median: None,
                mad: None,
                z: None,
                q: None,
            }
        };
        st.rows.push(rows);
        st.last_seen = st.last_seen.max(t);
        let flagged = b.flags(rows, &self.config);
        if allowed {
            self.counters.allowed += u64::from(flagged);
            return;
        }
        // Out-of-order reads near a hit, before or after it, are suppressed.
        if st.last_hit.is_some_and(|h| t.abs_diff(h) < suppress_ns) {
            if rows >= self.config.min_rows as f64 {
                st.suppressed += 1;
                st.suppressed_rows += rows;
                self.counters.suppressed += 1;
            }
            return;
        }
        if !flagged {
            return;
        }
        let suppressed = (
            std::mem::take(&mut st.suppressed),
            std::mem::take(&mut st.suppressed_rows),
        );
        st.last_hit = Some(st.last_hit.map_or(t, |h| h.max(t)));
        self.counters.hits += 1;
        let hit = self.hit(key, ev, rows, &b, suppressed);
        out.push(hit);
    }

    fn finish(&mut self, _out: &mut Vec<AnalyticHit>) {}

    fn memory_bytes(&self) -> usize {
        let pairs: usize = self.pairs.heap_bytes()
            + self
                .pairs
                .iter()
                .map(|(k, st)| alloc_size(k.0.len()) + alloc_size(k.1.len()) + st.rows.heap_bytes())
                .sum::<usize>();
        let allow: usize = self
            .config
            .allow_principals
            .iter()
            .map(|p| 2 * (p.capacity() + 24))
            .sum::<usize>()
            + self
                .config
                .allow_pairs
                .iter()
                .map(|p| 2 * (p.principal.capacity() + p.table.capacity() + 48))
                .sum::<usize>();
        let principals: usize = self.principals.heap_bytes()
            + self
                .principals
                .iter()
                .map(|(k, p)| {
                    alloc_size(k.len())
                        + alloc_size(p.apps.capacity() * std::mem::size_of::<Box<str>>())
                        + p.apps.iter().map(|a| alloc_size(a.len())).sum::<usize>()
                })
                .sum::<usize>();
        std::mem::size_of::<Self>() + pairs + allow + principals
    }

    fn entities(&self) -> usize {
        self.pairs.len()
    }

    fn save(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct SavedRef<'a> {
            version: u64,
            counters: Counters,
            latest: Option<i64>,
            /// Least recently seen first.
            pairs: Vec<(&'a str, &'a str, &'a PairState)>,
            principals: &'a Bounded<Box<str>, Principal>,
            first: Option<i64>,
        }
        let saved = SavedRef {
            version: SAVE_VERSION,
            counters: self.counters(),
            latest: self.latest,
            pairs: self
                .pairs
                .iter_oldest_first()
                .map(|(k, st)| (&*k.0, &*k.1, st))
                .collect(),
            principals: &self.principals,
            first: self.first,
        };
        serde_json::to_value(saved).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<(), StateError> {
        let saved: Saved =
            crate::hit::load_state(NAME, state, &[SAVE_VERSION], |s: &Saved| s.version)?;
        // Saved least recently seen first: the eviction order survives.
        let evicted_before = saved.counters.evicted;
        let mut pairs = Bounded::from_oldest_first(
            self.config.capacity,
            saved
                .pairs
                .into_iter()
                .map(|(p, t, st)| ((p.into(), t.into()), st)),
        );
        pairs.evicted += evicted_before;
        self.pairs = pairs;
        if let Some(p) = saved.principals {
            self.principals = p;
        }
        self.latest = saved.latest;
        // A restored state has learned already: no cold start.
        self.first = saved.first.or(Some(i64::MIN));
        self.counters = saved.counters;
        Ok(())
    }
}
