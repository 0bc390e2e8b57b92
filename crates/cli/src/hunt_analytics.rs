//! `hunt`'s analytics and incidents: the inventory (`--inventory`), the
//! analytics engine (`--analytics FILE`, `--state FILE`, `--no-analytics`)
//! and the incident chain (`--no-incidents`).

use std::collections::BTreeSet;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use phiwatch_analytics::context::{Context, Vendor};
use phiwatch_analytics::engine::{Config, Engine, Memory};
use phiwatch_analytics::incident::Incidents;
use phiwatch_analytics::net::Cidr;
use phiwatch_analytics::AnalyticHit;
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use phiwatch_finding::{attack_from_tags, Detector, Finding, RuleRef};
use phiwatch_ingest::SourceInfo;
use phiwatch_inventory::Inventory;

use crate::CliError;

#[derive(Args, Debug, Default)]
pub struct AnalyticsArgs {
    /// The inventory (TOML, PRODUCT.md): data silos, internal networks and
    /// vendors. Its internal networks replace the default (RFC 1918 and the
    /// other non-Internet ranges), its vendors are checked by the
    /// authentication analytics, and incidents name the silos their actors
    /// touched.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Analytics settings (TOML): a table per analytic with its thresholds,
    /// allowlists and sizes, `[incident]` for the incident chain, and
    /// `disabled = ["beacon", …]`. Missing keys keep their defaults
    /// (`phiwatch analytics defaults` prints them all).
    #[arg(long = "analytics", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Baselines: read the analytics' state from FILE when it exists and
    /// write it back at the end, so what one run learned serves the next.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Do not run the exfiltration analytics (baselines, volumes,
    /// beaconing, …).
    #[arg(long)]
    pub no_analytics: bool,

    /// Do not assemble `incident` findings from the others.
    #[arg(long)]
    pub no_incidents: bool,
}

/// The analytics settings file: the engine's tables plus `[incident]`.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    #[serde(flatten)]
    pub engine: Config,
    pub incident: phiwatch_analytics::incident::Config,
}

/// Reads the settings file (defaults when `None`).
pub fn settings(path: Option<&Path>) -> Result<Settings, CliError> {
    let Some(p) = path else {
        return Ok(Settings::default());
    };
    let text = std::fs::read_to_string(p)
        .map_err(|e| CliError::Usage(format!("--analytics {}: {e}", p.display())))?;
    toml::from_str(&text).map_err(|e| CliError::Usage(format!("--analytics {}: {e}", p.display())))
}

/// The organization the inventory describes, as the analytics see it.
pub fn context(inv: Option<&Inventory>) -> Context {
    let mut ctx = Context::default();
    let Some(inv) = inv else {
        return ctx;
    };
    if !inv.internal_networks.is_empty() {
        ctx.internal = internal_networks(inv);
    }
    ctx.vendors = inv
        .vendors
        .iter()
        .map(|v| Vendor {
            name: v.name.clone(),
            accounts: v.accounts.clone(),
            networks: v.networks.iter().filter_map(|n| n.parse().ok()).collect(),
            domains: v.domains.clone(),
            hours: v.hours,
        })
        .collect();
    ctx
}

/// The inventory's internal networks (validated when it was loaded); empty
/// when it names none, and the users of the list fall back to the
/// non-Internet ranges.
pub fn internal_networks(inv: &Inventory) -> Vec<Cidr> {
    inv.internal_networks
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// Loads `--inventory`, every problem reported at once.
pub fn inventory(path: Option<&Path>) -> Result<Option<Inventory>, CliError> {
    let Some(p) = path else {
        return Ok(None);
    };
    Inventory::load(p).map(Some).map_err(|e| {
        CliError::Usage(format!(
            "--inventory: {} problem{}:\n{e}",
            e.0.len(),
            if e.0.len() == 1 { "" } else { "s" }
        ))
    })
}

/// The analytics, the incident chain and what they need from the events.
pub struct Analytics {
    engine: Option<Engine>,
    incidents: Option<Incidents>,
    inventory: Option<Inventory>,
    state: Option<PathBuf>,
    hits: Vec<AnalyticHit>,
    /// The kind of log of each source (`event.module` of its first event).
    modules: Vec<Option<String>>,
}

fn text(ev: &Event, key: Key) -> Option<&str> {
    match ev.get(key)? {
        ValueRef::Str(s) if !s.is_empty() && s != "-" => Some(s),
        _ => None,
    }
}

fn as_ip(v: ValueRef<'_>) -> Option<IpAddr> {
    match v {
        ValueRef::Ip(ip) => Some(ip),
        ValueRef::Str(s) => s.parse().ok(),
        _ => None,
    }
}

fn usable(s: &str) -> bool {
    !s.is_empty() && s != "-"
}

/// Fields that silos match on.
const SILO_KEYS: [Key; 5] = [
    keys::DB_SQL_TABLE,
    keys::PHIWATCH_OBJECT_BUCKET,
    keys::FILE_PATH,
    keys::RESOURCE_TYPE,
    keys::URL_PATH,
];

impl Analytics {
    /// Builds what `args` asks for; restores `--state` when the file exists.
    pub fn new(args: &AnalyticsArgs) -> Result<Analytics, CliError> {
        let inv = inventory(args.inventory.as_deref())?;
        let settings = settings(args.config.as_deref())?;
        let ctx = context(inv.as_ref());
        let mut engine = if args.no_analytics {
            None
        } else {
            Some(
                Engine::new(&settings.engine, &ctx)
                    .map_err(|e| CliError::Usage(format!("--analytics: {e}")))?,
            )
        };
        if let (Some(engine), Some(path)) = (&mut engine, &args.state) {
            if path.exists() {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::Usage(format!("--state {}: {e}", path.display())))?;
                let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    CliError::Usage(format!("--state {}: not JSON: {e}", path.display()))
                })?;
                engine
                    .restore(&value)
                    .map_err(|e| CliError::Usage(format!("--state {}: {e}", path.display())))?;
            }
        }
        Ok(Analytics {
            engine,
            incidents: (!args.no_incidents).then(|| Incidents::new(settings.incident, &ctx)),
            inventory: inv,
            state: args.state.clone(),
            hits: Vec::new(),
            modules: Vec::new(),
        })
    }

    /// Nothing: no analytics, no incidents.
    pub fn disabled() -> Analytics {
        Analytics {
            engine: None,
            incidents: None,
            inventory: None,
            state: None,
            hits: Vec::new(),
            modules: Vec::new(),
        }
    }

    /// Whether anything runs.
    pub fn active(&self) -> bool {
        self.engine.is_some() || self.incidents.is_some()
    }

    /// Looks at one event: analytics hits become findings in `out`; links
    /// and silo accesses are noted for incidents.
    pub fn observe(&mut self, ev: &Event, sources: &[SourceInfo], out: &mut Vec<Finding>) {
        let src = ev.origin().source.0 as usize;
        if self.modules.len() <= src {
            self.modules.resize(src + 1, None);
        }
        if self.modules[src].is_none() {
            self.modules[src] = text(ev, keys::EVENT_MODULE)
                .or_else(|| text(ev, keys::EVENT_DATASET).and_then(|d| d.split('.').next()))
                .map(str::to_string);
        }
        if let Some(engine) = &mut self.engine {
            engine.observe(ev, &mut self.hits);
        }
        if !self.hits.is_empty() {
            for h in std::mem::take(&mut self.hits) {
                let f = finding(&h, sources);
                let origins: Vec<Origin> = h.evidence.iter().map(|e| e.0).collect();
                self.note(&f, origins.iter());
                out.push(f);
            }
        }
        if let Some(inc) = &mut self.incidents {
            let get_str = |k: Key| match ev.get(k) {
                Some(ValueRef::Str(s)) if usable(s) => Some(s),
                _ => None,
            };
            let user = get_str(keys::USER_NAME);
            let db_user = if user.is_none() {
                get_str(keys::DB_USER)
            } else {
                None
            };
            let src = ev.get(keys::SOURCE_IP).and_then(as_ip);
            let client = if src.is_none() {
                ev.get(keys::CLIENT_IP).and_then(as_ip)
            } else {
                None
            };
            let failed = (user.is_some() || db_user.is_some())
                && (src.is_some() || client.is_some())
                && get_str(keys::EVENT_OUTCOME) == Some("failure");
            let silo_field =
                self.inventory.is_some() && SILO_KEYS.iter().any(|&k| ev.get(k).is_some());
            let user = user.or(db_user);
            let from = src.or(client);
            if let (Some(u), Some(a), false) = (user, from, failed) {
                inc.link(u, a);
            }
            if silo_field {
                if let Some(inv) = &self.inventory {
                    if let Some(s) = inv.silo_of(ev).and_then(|i| inv.silos.get(i)) {
                        inc.silo(user, from, &s.name, ev.time());
                    }
                }
            }
        }
    }

    /// The kinds of log behind `origins`.
    fn kinds<'a>(&self, origins: impl Iterator<Item = &'a Origin>) -> BTreeSet<String> {
        origins
            .filter_map(|o| self.modules.get(o.source.0 as usize).cloned().flatten())
            .collect()
    }

    /// Takes a finding into the incident chain; `origins` are its events.
    pub fn note<'a>(&mut self, f: &Finding, origins: impl Iterator<Item = &'a Origin>) {
        let kinds = self.kinds(origins);
        if let Some(inc) = &mut self.incidents {
            inc.add(f, kinds);
        }
    }

    /// End of input: the analytics' last hits (in `out`), the state saved,
    /// then the incidents (returned).
    pub fn finish(
        &mut self,
        sources: &[SourceInfo],
        out: &mut Vec<Finding>,
    ) -> Result<Vec<Finding>, CliError> {
        if let Some(engine) = &mut self.engine {
            engine.finish(&mut self.hits);
            if let Some(path) = &self.state {
                let text = serde_json::to_string(&engine.save())
                    .map_err(|e| CliError::Runtime(e.into()))?;
                std::fs::write(path, text).map_err(|e| {
                    CliError::Runtime(anyhow::anyhow!("--state {}: {e}", path.display()))
                })?;
            }
        }
        for h in std::mem::take(&mut self.hits) {
            let f = finding(&h, sources);
            let origins: Vec<Origin> = h.evidence.iter().map(|e| e.0).collect();
            self.note(&f, origins.iter());
            out.push(f);
        }
        Ok(self
            .incidents
            .take()
            .map(Incidents::finish)
            .unwrap_or_default())
    }

    /// Memory held per analytic.
    pub fn memory(&self) -> Vec<Memory> {
        self.engine.as_ref().map(Engine::memory).unwrap_or_default()
    }
}

/// The finding of an analytic hit.
pub fn finding(h: &AnalyticHit, sources: &[SourceInfo]) -> Finding {
    let rule = RuleRef {
        id: format!("phiwatch-analytics-{}", h.analytic),
        title: phiwatch_analytics::rule_title(h.analytic).to_string(),
        level: h.level,
        author: Some("phiwatch".into()),
        source: None,
    };
    let mut f = Finding::new(Detector::Analytics, rule, h.time);
    f.end_time = h.end_time.max(h.time);
    f.entity = h.entity.clone();
    f.tags.clone_from(&h.tags);
    f.attack = attack_from_tags(&h.tags);
    f.summary.clone_from(&h.title);
    f.metrics.clone_from(&h.metrics);
    f.group.clone_from(&h.group);
    for (o, t) in &h.evidence {
        f.evidence.push(crate::hunt::evidence(sources, o, *t));
    }
    if let Some(s) = h.metrics.get("score").filter(|s| s.is_finite()) {
        f.score = s.clamp(0.0, 1.0);
    }
    f.refresh_id();
    f
}

/// What the hunt loop hands the analytics thread, in event order.
// Events are nearly every message: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Msg {
    /// An event, after Sigma, PHI and the indicators are done with it.
    Event(Event),
    /// A finding of another detector, for the incident chain, with its
    /// events.
    Note(Box<(Finding, Vec<Origin>)>),
}

/// Events per message: the channel costs one send per batch.
const BATCH: usize = 64;
/// Batches in flight: bounds the events held between the two threads.
const IN_FLIGHT: usize = 16;

/// The analytics and the incident chain, run on a thread of their own while
/// the hunt loop goes on with the next events. Everything reaches the
/// thread in the loop's order, so the results are those of running them in
/// the loop; their findings come back at the end.
pub enum Pipeline {
    /// Not started, or finished: the analytics are here.
    Idle(Box<Analytics>),
    /// Running on the thread.
    Running {
        tx: crossbeam_channel::Sender<Vec<Msg>>,
        batch: Vec<Msg>,
        thread: std::thread::JoinHandle<(Analytics, Vec<Finding>)>,
    },
}

impl Pipeline {
    /// Starts the thread when there is something to run.
    pub fn start(self, sources: &[SourceInfo]) -> io::Result<Pipeline> {
        let analytics = match self {
            Pipeline::Idle(a) if a.active() => *a,
            other => return Ok(other),
        };
        let (tx, rx) = crossbeam_channel::bounded::<Vec<Msg>>(IN_FLIGHT);
        let sources = sources.to_vec();
        let thread = std::thread::Builder::new()
            .name("analytics".into())
            .spawn(move || {
                let mut analytics = analytics;
                let mut found = Vec::new();
                for batch in rx {
                    for m in batch {
                        match m {
                            Msg::Event(ev) => analytics.observe(&ev, &sources, &mut found),
                            Msg::Note(n) => analytics.note(&n.0, n.1.iter()),
                        }
                    }
                }
                (analytics, found)
            })?;
        Ok(Pipeline::Running {
            tx,
            batch: Vec::with_capacity(BATCH),
            thread,
        })
    }

    fn push(&mut self, m: Msg) {
        if let Pipeline::Running { tx, batch, .. } = self {
            batch.push(m);
            if batch.len() >= BATCH {
                let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
                // A send fails only when the thread is gone (a panic), which
                // `finish` reports.
                let _ = tx.send(full);
            }
        }
    }

    /// Hands over an event (dropped when the analytics are off).
    pub fn event(&mut self, ev: Event) {
        self.push(Msg::Event(ev));
    }

    /// Takes a finding of another detector into the incident chain.
    pub fn note<'a>(&mut self, f: &Finding, origins: impl Iterator<Item = &'a Origin>) {
        match self {
            Pipeline::Idle(a) => a.note(f, origins),
            Pipeline::Running { .. } => {
                self.push(Msg::Note(Box::new((f.clone(), origins.copied().collect()))))
            }
        }
    }

    /// Waits for the thread; returns the analytics' findings so far.
    pub fn join(&mut self) -> io::Result<Vec<Finding>> {
        let idle = Pipeline::Idle(Box::new(Analytics::disabled()));
        match std::mem::replace(self, idle) {
            Pipeline::Idle(a) => {
                *self = Pipeline::Idle(a);
                Ok(Vec::new())
            }
            Pipeline::Running { tx, batch, thread } => {
                let _ = tx.send(batch);
                drop(tx);
                let (a, found) = thread
                    .join()
                    .map_err(|_| io::Error::other("the analytics thread failed"))?;
                *self = Pipeline::Idle(Box::new(a));
                Ok(found)
            }
        }
    }

    /// The analytics, once joined.
    pub fn analytics(&mut self) -> Option<&mut Analytics> {
        match self {
            Pipeline::Idle(a) => Some(a),
            Pipeline::Running { .. } => None,
        }
    }

    /// Memory held per analytic (empty while running).
    pub fn memory(&self) -> Vec<Memory> {
        match self {
            Pipeline::Idle(a) => a.memory(),
            Pipeline::Running { .. } => Vec::new(),
        }
    }
}
