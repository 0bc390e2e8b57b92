//! A synthetic healthcare organization: hosts, people, patients, data
//! silos, a daily and weekly rhythm of ordinary work, and attack scenarios
//! woven into it, written as the logs phiwatch reads (Zeek, PostgreSQL with
//! pgAudit, FHIR AuditEvent, Okta, CloudTrail with S3 data events, nginx),
//! plus the inventory file and patients CSV of the product contract, and a
//! ground truth of every labeled attack step in a separate directory.
//!
//! Everything is a pure function of [`GenConfig`]: the same seed gives
//! byte-identical files. Generation streams one time slice at a time, so
//! memory is bounded by a slice, not by the corpus.
//!
//! Layers: [`model`] (the organization and the [`model::Activity`] records
//! that scenarios and the baseline produce), `baseline` and `scenario`
//! (who does what when), `writers` (one per log format), `truth` (the
//! labeled steps, and the breach's [`truth::Scope`]: the silos the
//! attacker read and the patients reached, computed from the activities,
//! never from the logs, to check `phiwatch scope` against).
//!
//! ```
//! use phiwatch_synth::{truth, GenConfig, Scenario};
//!
//! // The scope of a day of insider snooping, without writing any file
//! // (`generate` writes the same into `truth/truth.json`).
//! let cfg = GenConfig { scenario: Scenario::InsiderSnooping, days: 1, ..GenConfig::default() };
//! let scope = truth::scope_of(&cfg).expect("an attack has a scope");
//! assert_eq!(scope.silos.len(), 1);
//! assert_eq!(scope.silos[0].name, "fhir.Patient");
//! assert!(!scope.silos[0].bulk);
//! let people = &scope.individuals;
//! assert_eq!(people.by_state.values().sum::<u64>(), people.total);
//! assert!(people.total > 0 && people.total < 5_000);
//! ```

pub mod baseline;
pub mod model;
pub mod org;
mod rng;
pub mod scenario;
pub mod truth;
mod writers;

pub use rng::Rng;

use std::path::{Path, PathBuf};

use phiwatch_event::Timestamp;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// The attack scenario woven into the baseline.
    pub scenario: Scenario,
    /// Days of logs.
    pub days: u32,
    /// Size of the organization and its activity.
    pub scale: Scale,
    /// Seed of every random choice.
    pub seed: u64,
    /// First day (UTC midnight), as seconds since the epoch.
    pub start_secs: i64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            scenario: Scenario::VendorCompromise,
            days: 2,
            scale: Scale::Small,
            seed: 1,
            // 2026-11-02, a Monday.
            start_secs: 1_793_577_600,
        }
    }
}

/// The attack scenarios (and the decoy-only baseline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A vendor account is compromised: password spraying, a login without
    /// MFA from a new network, bulk database reads, FHIR enumeration and
    /// `$export`, staging, gigabytes uploaded over TLS to a first-seen
    /// destination, DNS tunnelling, then hours of service disruption.
    VendorCompromise,
    /// Slow-drip exfiltration to a rare destination with beaconing.
    SlowDrip,
    /// An insider snooping on patient records through the EHR API.
    InsiderSnooping,
    /// No attack: only benign activity that looks alarming (nightly
    /// backups, weekly BI extracts, busy emergency physicians, video calls,
    /// software updates).
    BenignDecoys,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: &'static [Scenario] = &[
        Scenario::VendorCompromise,
        Scenario::SlowDrip,
        Scenario::InsiderSnooping,
        Scenario::BenignDecoys,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::VendorCompromise => "vendor-compromise",
            Scenario::SlowDrip => "slow-drip",
            Scenario::InsiderSnooping => "insider-snooping",
            Scenario::BenignDecoys => "benign-decoys",
        }
    }

    /// The scenario with this name.
    pub fn from_name(s: &str) -> Option<Scenario> {
        Scenario::ALL.iter().copied().find(|x| x.name() == s)
    }
}

/// Size presets. Records per day are approximate; see [`Scale::records_per_day`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// ~50k records a day: tests and `phiwatch demo`.
    Small,
    /// ~1M records a day.
    Medium,
    /// ~10M records a day.
    Large,
    /// ~50M records a day (with 2 days: the 100M benchmark corpus).
    Huge,
}

impl Scale {
    /// Every scale.
    pub const ALL: &'static [Scale] = &[Scale::Small, Scale::Medium, Scale::Large, Scale::Huge];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
            Scale::Huge => "huge",
        }
    }

    /// The scale with this name.
    pub fn from_name(s: &str) -> Option<Scale> {
        Scale::ALL.iter().copied().find(|x| x.name() == s)
    }

    /// Approximate records a day across all logs.
    pub fn records_per_day(self) -> u64 {
        match self {
            Scale::Small => 50_000,
            Scale::Medium => 1_000_000,
            Scale::Large => 10_000_000,
            Scale::Huge => 50_000_000,
        }
    }
}

/// What a generation wrote.
#[derive(Debug, Clone, Default)]
pub struct GenReport {
    /// Every log file written (under `out/logs/`), with the records a
    /// decoder reads from it, sorted by path.
    pub files: Vec<(PathBuf, u64)>,
    /// Log records written in all.
    pub records: u64,
    /// Bytes written in all (logs, inventory, patients CSV, ground truth).
    pub bytes: u64,
    /// The ground-truth file.
    pub truth: PathBuf,
    /// The inventory file (TOML); the patients CSV is beside it.
    pub inventory: PathBuf,
    /// Labeled attack steps in the ground truth.
    pub steps: usize,
}

/// Errors of generation (I/O only: generation itself cannot fail).
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Generates the organization's logs under `out/logs/`, the inventory under
/// `out/inventory/`, and the ground truth under `out/truth/`.
///
/// Time advances in slices of [`SLICE_SECS`]: each slice's activities are
/// generated, sorted by time (a stable sort, so simultaneous activities keep
/// the generator's deterministic order) and written; nothing but counters
/// is kept from one slice to the next.
pub fn generate(cfg: &GenConfig, out: &Path) -> Result<GenReport, GenError> {
    let io = |path: &Path, source: std::io::Error| GenError::Io {
        path: path.to_path_buf(),
        source,
    };
    for d in writers::LOG_DIRS {
        let p = out.join("logs").join(d);
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
    }
    for d in ["inventory", "truth"] {
        let p = out.join(d);
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
    }
    let org = org::build(cfg);
    let mut bytes = 0u64;
    let mut put = |path: PathBuf, text: &[u8]| -> Result<PathBuf, GenError> {
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        bytes += text.len() as u64;
        Ok(path)
    };
    let inventory = put(
        out.join("inventory").join("inventory.toml"),
        writers::inventory::inventory_toml(&org, "patients.csv").as_bytes(),
    )?;
    put(
        out.join("inventory").join("patients.csv"),
        writers::inventory::patients_csv(&org).as_bytes(),
    )?;

    let mut world = baseline::World::new(cfg, &org);
    let steps = world.steps();
    let mut truth = truth::Truth::new(cfg);
    let mut scope = world
        .actors(&org)
        .map(|a| truth::ScopeTracker::new(&org, a));
    let mut w = writers::Writers::new(out, &org, Rng::new(cfg.seed).fork("writers"));
    run(cfg, &org, &mut world, |a| {
        w.write(a)?;
        if let Some(s) = scope.as_mut() {
            s.observe(a);
        }
        if let Some(step) = a.step {
            truth.observe(a);
            for &(id, n) in &w.ctx.touched {
                let rel = &w.ctx.files[id].rel;
                truth.record(step, rel.strip_prefix("logs/").unwrap_or(rel), n);
            }
        }
        Ok(())
    })?;
    w.finish()?;

    truth.scope = scope.and_then(|s| s.finish(&org));
    let truth_path = out.join("truth").join("truth.json");
    let mut json = truth.to_json();
    json.push('\n');
    let truth_path = put(truth_path, json.as_bytes())?;

    let mut files: Vec<(PathBuf, u64)> = w
        .ctx
        .files
        .iter()
        .map(|f| (out.join(&f.rel), f.records))
        .collect();
    files.sort();
    Ok(GenReport {
        records: w.ctx.files.iter().map(|f| f.records).sum(),
        bytes: bytes + w.ctx.files.iter().map(|f| f.bytes).sum::<u64>(),
        files,
        truth: truth_path,
        inventory,
        steps: steps.len(),
    })
}

/// Runs `world` over the range of `cfg`, one slice at a time, handing
/// each activity to `f` in time order (a stable sort, so simultaneous
/// activities keep the generator's deterministic order).
pub(crate) fn run<E>(
    cfg: &GenConfig,
    org: &model::Org,
    world: &mut baseline::World,
    mut f: impl FnMut(&model::Activity) -> Result<(), E>,
) -> Result<(), E> {
    let sec = 1_000_000_000i64;
    let start = cfg.start_secs.saturating_mul(sec);
    let end = start.saturating_add(i64::from(cfg.days) * 86_400 * sec);
    let mut t = start;
    while t < end {
        let next = (t + SLICE_SECS * sec).min(end);
        let mut acts = world.slice(org, Timestamp::from_nanos(t), Timestamp::from_nanos(next));
        acts.sort_by_key(|a| a.time);
        for a in &acts {
            f(a)?;
        }
        t = next;
    }
    Ok(())
}

/// The length of a generation slice, in seconds.
pub const SLICE_SECS: i64 = 600;
