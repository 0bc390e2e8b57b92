//! `phiwatch ioc`: check intel files (`ioc check`), and export what was
//! observed in logs as a STIX 2.1 bundle with sightings, a Zeek intel file
//! or CSV (`ioc export`): the imported indicators that were seen, and the
//! outside addresses and names phiwatch's own high and critical detections
//! surfaced.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use phiwatch_event::{keys, Event, Key, Timestamp, ValueRef};
use phiwatch_finding::{Evidence, Level};
use phiwatch_ingest::Order;
use phiwatch_intel::export::{csv, stix_export, to_string, zeek_export, Observed};
use phiwatch_intel::{normalize_domain, Indicator, Observable};
use phiwatch_sigma::{Engine, EngineConfig, RuleSet};

use crate::diag::write_summary;
use crate::events::{start, InputArgs, Started};
use crate::hunt::entity_of;
use crate::hunt_ioc::{self, IocHunt};
use crate::output::{open_output, written};
use crate::{exit, CliError};

#[derive(Args, Debug)]
pub struct IocArgs {
    #[command(subcommand)]
    pub command: IocCommand,
}

#[derive(Subcommand, Debug)]
pub enum IocCommand {
    /// Load intel files and report what was loaded, merged, expired or not
    /// usable (and why).
    Check(CheckArgs),
    /// Write what the logs show as a STIX 2.1 bundle (indicators and
    /// sightings with first_seen, last_seen and count), a Zeek intel file or
    /// CSV.
    Export(Box<ExportArgs>),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// STIX 2.1 bundles, MISP event JSON, Zeek intel files, CSV or plain
    /// lists (by content).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Exit 1 when any item could not be used.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Indicators to look for (as `hunt --ioc`); repeatable. Without any,
    /// only what phiwatch's detections surfaced is exported.
    #[arg(long = "ioc", value_name = "FILE")]
    pub ioc: Vec<PathBuf>,

    /// Output form.
    #[arg(long, value_enum, default_value_t = ExportFormat::Stix)]
    pub format: ExportFormat,

    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Export only the imported indicators that were seen, not the outside
    /// addresses and names of phiwatch's own high and critical detections.
    #[arg(long)]
    pub no_detections: bool,
}

/// `ioc export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A STIX 2.1 bundle: indicators and sightings.
    Stix,
    /// A Zeek intel file.
    Zeek,
    /// CSV, one row per observable.
    Csv,
}

pub fn run(args: IocArgs) -> Result<u8, CliError> {
    match args.command {
        IocCommand::Check(a) => check(a),
        IocCommand::Export(a) => export(*a),
    }
}

fn check(args: CheckArgs) -> Result<u8, CliError> {
    let (_, report) = hunt_ioc::load(&args.files, true)?;
    let mut out = io::stdout().lock();
    hunt_ioc::write_report(&mut out, &report, usize::MAX)?;
    Ok(if args.strict && !report.problems.is_empty() {
        exit::RUNTIME
    } else {
        exit::OK
    })
}

fn export(args: ExportArgs) -> Result<u8, CliError> {
    let indicators = if args.ioc.is_empty() {
        Vec::new()
    } else {
        hunt_ioc::load(&args.ioc, args.input.quiet)?.0
    };
    let mut ioc = IocHunt::new(indicators);
    let engine =
        (!args.no_detections).then(|| Engine::build(&RuleSet::builtin(), &EngineConfig::default()));
    let Started {
        mut run,
        diags,
        bar,
        input_failed,
    } = start(&args.input, Order::Time)?;
    let mut surfaced = Surfaced::default();
    let mut session = engine.as_ref().map(Engine::session);
    let mut hits = Vec::new();
    for ev in run.by_ref() {
        ioc.observe(&ev, || no_evidence(ev.time()), || entity_of(&ev));
        if let (Some(engine), Some(session)) = (&engine, session.as_mut()) {
            hits.clear();
            session.process(&ev, &mut hits);
            let serious = hits.iter().any(|h| {
                engine
                    .rules()
                    .get(h.rule)
                    .is_some_and(|r| r.level >= Level::High)
            });
            if serious {
                surfaced.add(&ev);
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    diags.set_bar(None);
    let report = run.finish();
    let items = observed(&ioc, surfaced);
    let mut out = open_output(args.output.as_ref())?;
    let (text, summary) = match args.format {
        ExportFormat::Stix => {
            let e = stix_export(&items, Timestamp::now());
            (to_string(&e.output), e.summary)
        }
        ExportFormat::Zeek => {
            let e = zeek_export(&items);
            (e.output, e.summary)
        }
        ExportFormat::Csv => (csv(&items), Default::default()),
    };
    written(
        out.write_all(text.as_bytes()).and_then(|()| out.flush()),
        "the export",
    )?;
    if !args.input.quiet {
        let mut err = io::stderr().lock();
        write_summary(&mut err, &report, diags.hidden())?;
        let seen = items.iter().filter(|o| !o.observed_by_phiwatch).count();
        writeln!(
            err,
            "phiwatch: ioc export: {} of {} indicators seen, {} surfaced by detections; {} written, {} left out",
            seen,
            ioc.indicators().len(),
            items.len() - seen,
            summary.indicators.max(summary.lines),
            summary.left_out.len()
        )?;
    }
    Ok(if input_failed || report.failed_sources() > 0 {
        exit::RUNTIME
    } else {
        exit::OK
    })
}

/// Sightings in `ioc export` need no evidence entries.
fn no_evidence(time: Timestamp) -> Evidence {
    Evidence {
        source: String::new(),
        time,
        record: None,
    }
}

/// The imported indicators seen, then what detections surfaced that no
/// imported indicator already covers.
fn observed(ioc: &IocHunt, surfaced: Surfaced) -> Vec<Observed> {
    let mut items: Vec<Observed> = ioc
        .sighted()
        .map(|(ind, s)| Observed {
            indicator: ind.clone(),
            first_seen: s.first,
            last_seen: s.last,
            count: s.count,
            observed_by_phiwatch: false,
        })
        .collect();
    let covered: std::collections::BTreeSet<Observable> = items
        .iter()
        .flat_map(|o| o.indicator.any_of.iter().flatten().cloned())
        .collect();
    let inside = |obs: &Observable| match obs {
        Observable::Ip(n) => covered.iter().any(|c| match c {
            Observable::Ip(net) => net.contains(&n.addr),
            _ => false,
        }),
        Observable::Domain(d) => covered.iter().any(|c| match c {
            Observable::Domain(p) => d == p || d.ends_with(&format!(".{p}")),
            _ => false,
        }),
        _ => covered.contains(obs),
    };
    for (obs, (first, last, count)) in surfaced.seen {
        // Already in an imported indicator seen (an address inside its
        // network, a name under its domain).
        if inside(&obs) {
            continue;
        }
        let mut indicator = Indicator::of(obs, "phiwatch");
        indicator.description =
            Some("seen in events of phiwatch's high or critical detections".into());
        items.push(Observed {
            indicator,
            first_seen: first,
            last_seen: last,
            count,
            observed_by_phiwatch: true,
        });
    }
    items
}

/// Outside addresses and names in the events of serious detections.
#[derive(Default)]
struct Surfaced {
    seen: BTreeMap<Observable, (Timestamp, Timestamp, u64)>,
}

const IP_FIELDS: [Key; 4] = [
    keys::SOURCE_IP,
    keys::DESTINATION_IP,
    keys::CLIENT_IP,
    keys::SERVER_IP,
];
const NAME_FIELDS: [Key; 4] = [
    keys::DNS_QUESTION_NAME,
    keys::TLS_CLIENT_SERVER_NAME,
    keys::URL_DOMAIN,
    keys::DESTINATION_DOMAIN,
];

impl Surfaced {
    fn add(&mut self, ev: &Event) {
        let t = ev.time();
        for key in IP_FIELDS {
            let ip = match ev.get(key) {
                Some(ValueRef::Ip(ip)) => Some(ip),
                Some(ValueRef::Str(s)) => s.parse::<IpAddr>().ok(),
                _ => None,
            };
            if let Some(net) = ip
                .filter(|ip| !internal(ip))
                .and_then(|ip| phiwatch_intel::parse_ip_net(&ip.to_string()))
            {
                self.note(Observable::Ip(net), t);
            }
        }
        for key in NAME_FIELDS {
            if let Some(ValueRef::Str(s)) = ev.get(key) {
                if let Some(d) = normalize_domain(s).filter(|d| d.contains('.')) {
                    self.note(Observable::Domain(base_domain(&d)), t);
                }
            }
        }
    }

    fn note(&mut self, obs: Observable, t: Timestamp) {
        let e = self.seen.entry(obs).or_insert((t, t, 0));
        e.0 = e.0.min(t);
        e.1 = e.1.max(t);
        e.2 += 1;
    }
}

/// The last two labels of a name: a DNS tunnel's queries
/// (`4gkx….9.t.cdn-metrics-sync.test`) share one indicator. (Without the
/// public suffix list, `example.co.uk` gives `co.uk`; such names are rare in
/// what detections surface and still match as a suffix.)
fn base_domain(d: &str) -> String {
    let labels: Vec<&str> = d.rsplitn(3, '.').collect();
    match labels.as_slice() {
        [tld, sld, ..] => format!("{sld}.{tld}"),
        _ => d.to_string(),
    }
}

/// Inside the organization or nobody's: the analytics' convention
/// (`phiwatch_analytics::net::default_internal`: private, loopback,
/// link-local, unspecified, multicast; CGNAT's shared space is someone
/// else's, as it is on an enterprise's logs).
fn internal(ip: &IpAddr) -> bool {
    static INTERNAL: std::sync::LazyLock<Vec<phiwatch_analytics::net::Cidr>> =
        std::sync::LazyLock::new(phiwatch_analytics::net::default_internal);
    phiwatch_analytics::net::in_any(&INTERNAL, *ip)
}
