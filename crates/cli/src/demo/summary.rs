//! What `phiwatch demo` gathers from the events: per-dataset counts and a
//! handful of descriptive aggregations (top talkers, top readers, failures
//! by address), each the top rows of a plain sum by key. They describe the
//! data; they are not detections.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use phiwatch_event::{keys, Event, Key, Timestamp};
use phiwatch_ingest::{resolve_inputs, Ingest, IngestConfig, Order, Report};

use phiwatch_sigma::{Engine, EngineConfig, RuleSet};

use super::sigma::{Detect, SigmaTally};
use super::text::plural;
use crate::diag::StderrSink;

/// Rows shown per aggregation.
const TOP: usize = 5;

/// Ingests every log under `logs` in time order, looks at each event and
/// runs the built-in Sigma pack over it; also says whether an input could
/// not be resolved.
pub(super) fn read_back(logs: &Path) -> (Report, Look, SigmaTally, bool) {
    let resolved = resolve_inputs(&[logs.display().to_string()]);
    let input_failed = !resolved.errors.is_empty();
    let sink = Arc::new(StderrSink::new(20));
    let cfg = IngestConfig {
        order: Order::Time,
        ..IngestConfig::default()
    };
    let mut ingest = Ingest::start(resolved.inputs, resolved.errors, cfg, sink);
    let mut look = Look::default();
    let engine = Engine::build(&RuleSet::builtin(), &EngineConfig::default());
    let mut detect = Detect::new(&engine);
    for ev in ingest.by_ref() {
        look.add(&ev);
        detect.add(&ev);
    }
    (ingest.finish(), look, detect.finish(), input_failed)
}

/// Per-dataset counts and time range.
#[derive(Debug, Clone, Copy)]
pub(super) struct DatasetStats {
    pub(super) events: u64,
    pub(super) first: Timestamp,
    pub(super) last: Timestamp,
}

/// What `demo` gathers from the events: counts and a few plain aggregations.
#[derive(Debug, Default)]
pub(super) struct Look {
    pub(super) datasets: BTreeMap<String, DatasetStats>,
    /// Database user → (rows returned, statements, tables read).
    db_rows: HashMap<String, (u64, u64, BTreeSet<String>)>,
    /// Database user → (most rows returned by one statement, its table).
    db_max: HashMap<String, (u64, String)>,
    /// External destination → (bytes sent by internal hosts, connections).
    egress: HashMap<IpAddr, (u64, u64)>,
    /// Server names seen in TLS handshakes, by destination address.
    sni: HashMap<IpAddr, String>,
    /// Address → (failed sign-ins, users tried).
    okta_failures: HashMap<String, (u64, BTreeSet<String>)>,
    /// "user from address" → (`$export` requests, datasets that logged them).
    exports: HashMap<String, (u64, BTreeSet<String>)>,
    /// Domain → (queries with a long name, longest name).
    dns_long: HashMap<String, (u64, u64)>,
    /// Cloud principal → (bytes read from objects, object reads, buckets).
    s3_reads: HashMap<String, (u64, u64, BTreeSet<String>)>,
    /// FHIR user → (patient references, records).
    fhir_patients: HashMap<String, (u64, u64)>,
}

/// DNS names longer than this many characters count as long.
const LONG_DNS: usize = 50;

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_loopback() || v.is_link_local(),
        IpAddr::V6(v) => v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00,
    }
}

fn text(ev: &Event, k: Key) -> Option<String> {
    ev.get(k)
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .filter(|s| !s.is_empty() && s != "-")
}

/// The last two labels of a DNS name.
pub(super) fn domain_of(name: &str) -> String {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.rsplitn(3, '.').collect();
    match labels.as_slice() {
        [tld, second, ..] => format!("{second}.{tld}"),
        _ => name.to_string(),
    }
}

impl Look {
    /// Counts one event into every aggregation it belongs to.
    fn add(&mut self, ev: &Event) {
        let dataset = text(ev, keys::EVENT_DATASET).unwrap_or_else(|| "-".into());
        self.add_dataset(&dataset, ev);
        self.add_db_read(ev);
        self.add_export(&dataset, ev);
        match dataset.as_str() {
            "zeek.conn" => self.add_conn(ev),
            "zeek.ssl" => self.add_ssl(ev),
            "zeek.dns" => self.add_dns(ev),
            "okta.system"
                if ev.get(keys::EVENT_OUTCOME).and_then(|v| v.as_str()) == Some("failure") =>
            {
                self.add_okta_failure(ev)
            }
            "aws.cloudtrail" => self.add_s3_read(ev),
            "fhir.audit" => self.add_fhir(ev),
            _ => {}
        }
    }

    /// Per-dataset count and time range.
    fn add_dataset(&mut self, dataset: &str, ev: &Event) {
        let t = ev.time();
        self.datasets
            .entry(dataset.to_string())
            .and_modify(|d| {
                d.events += 1;
                d.first = d.first.min(t);
                d.last = d.last.max(t);
            })
            .or_insert(DatasetStats {
                events: 1,
                first: t,
                last: t,
            });
    }

    /// Rows returned by a database statement, by user.
    fn add_db_read(&mut self, ev: &Event) {
        let Some(rows) = ev
            .get(keys::DB_RESPONSE_RETURNED_ROWS)
            .and_then(|v| v.as_i64())
        else {
            return;
        };
        let user = text(ev, keys::DB_USER)
            .or_else(|| text(ev, keys::USER_NAME))
            .unwrap_or_else(|| "-".into());
        let rows = rows.max(0) as u64;
        let table = text(ev, keys::DB_SQL_TABLE);
        let m = self.db_max.entry(user.clone()).or_default();
        if rows > m.0 || m.1.is_empty() && rows == m.0 {
            *m = (rows, table.clone().unwrap_or_else(|| "-".into()));
        }
        let e = self.db_rows.entry(user).or_default();
        e.0 += rows;
        e.1 += 1;
        if let Some(table) = table {
            if e.2.len() < 8 {
                e.2.insert(table);
            }
        }
    }

    /// FHIR bulk `$export` requests, in whichever dataset logged them.
    fn add_export(&mut self, dataset: &str, ev: &Event) {
        let url = text(ev, keys::URL_ORIGINAL).or_else(|| text(ev, keys::URL_PATH));
        if !url.as_deref().is_some_and(|u| u.contains("$export")) {
            return;
        }
        let who = text(ev, keys::USER_NAME).unwrap_or_else(|| "-".into());
        let from = text(ev, keys::CLIENT_IP)
            .or_else(|| text(ev, keys::SOURCE_IP))
            .unwrap_or_else(|| "-".into());
        let e = self
            .exports
            .entry(format!("{who} from {from}"))
            .or_default();
        e.0 += 1;
        e.1.insert(dataset.to_string());
    }

    /// `zeek.conn`: bytes sent from internal to external addresses.
    fn add_conn(&mut self, ev: &Event) {
        let (Some(src), Some(dst)) = (
            ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip()),
            ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip()),
        ) else {
            return;
        };
        if is_internal(src) && !is_internal(dst) {
            let bytes = ev
                .get(keys::SOURCE_BYTES)
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            let e = self.egress.entry(dst).or_default();
            e.0 += bytes.max(0) as u64;
            e.1 += 1;
        }
    }

    /// `zeek.ssl`: the first server name seen for each destination.
    fn add_ssl(&mut self, ev: &Event) {
        if let (Some(dst), Some(name)) = (
            ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip()),
            text(ev, keys::TLS_CLIENT_SERVER_NAME),
        ) {
            self.sni.entry(dst).or_insert(name);
        }
    }

    /// `zeek.dns`: queries with long names, by domain.
    fn add_dns(&mut self, ev: &Event) {
        if let Some(name) = text(ev, keys::DNS_QUESTION_NAME) {
            if name.len() > LONG_DNS {
                let e = self.dns_long.entry(domain_of(&name)).or_default();
                e.0 += 1;
                e.1 = e.1.max(name.len() as u64);
            }
        }
    }

    /// `okta.system` failure: counted by client address.
    fn add_okta_failure(&mut self, ev: &Event) {
        let ip = text(ev, keys::SOURCE_IP).unwrap_or_else(|| "-".into());
        let e = self.okta_failures.entry(ip).or_default();
        e.0 += 1;
        if let Some(u) = text(ev, keys::USER_NAME) {
            e.1.insert(u);
        }
    }

    /// `aws.cloudtrail`: object bytes read, by principal.
    fn add_s3_read(&mut self, ev: &Event) {
        if let Some(b) = ev
            .get(keys::PHIWATCH_OBJECT_BYTES_OUT)
            .and_then(|v| v.as_i64())
        {
            let who = text(ev, keys::USER_NAME)
                .or_else(|| text(ev, keys::PHIWATCH_USER_ARN))
                .unwrap_or_else(|| "-".into());
            let e = self.s3_reads.entry(who).or_default();
            e.0 += b.max(0) as u64;
            e.1 += 1;
            if let Some(bucket) = text(ev, keys::PHIWATCH_OBJECT_BUCKET) {
                if e.2.len() < 4 {
                    e.2.insert(bucket);
                }
            }
        }
    }

    /// `fhir.audit`: patient references, by user.
    fn add_fhir(&mut self, ev: &Event) {
        let n = match ev.get(keys::PATIENT_IDS) {
            Some(phiwatch_event::ValueRef::List(l)) => l.len() as u64,
            Some(_) => 1,
            None => 0,
        };
        if n > 0 {
            let who = text(ev, keys::USER_NAME).unwrap_or_else(|| "-".into());
            let e = self.fhir_patients.entry(who).or_default();
            e.0 += n;
            e.1 += 1;
        }
    }

    /// The aggregations, each sorted by its value (largest first, ties by key).
    pub(super) fn aggregations(&self) -> Vec<Aggregation> {
        vec![
            self.db_rows_by_user(),
            self.db_largest_read_by_user(),
            self.egress_by_destination(),
            self.okta_failures_by_ip(),
            self.fhir_export(),
            self.fhir_patients_by_user(),
            self.dns_long_names(),
            self.s3_reads_by_principal(),
        ]
    }

    /// The `db_rows_by_user` aggregation.
    fn db_rows_by_user(&self) -> Aggregation {
        Aggregation::new(
            "db_rows_by_user",
            "Top database users by rows returned",
            "sum of db.response.returned_rows (pgAudit READ) by db.user",
            ["USER", "ROWS", "DETAIL"],
            self.db_rows.iter().map(|(u, (rows, n, tables))| {
                let t: Vec<&str> = tables.iter().map(|s| s.as_str()).collect();
                (
                    u.clone(),
                    *rows,
                    format!("{} statement{}; tables {}", n, plural(*n), t.join(", ")),
                )
            }),
        )
    }

    /// The `db_largest_read_by_user` aggregation.
    fn db_largest_read_by_user(&self) -> Aggregation {
        Aggregation::new(
            "db_largest_read_by_user",
            "Largest single database reads, by user",
            "most db.response.returned_rows in one pgAudit READ statement, by db.user",
            ["USER", "ROWS", "DETAIL"],
            self.db_max
                .iter()
                .map(|(u, (rows, table))| (u.clone(), *rows, format!("table {table}"))),
        )
    }

    /// The `egress_by_destination` aggregation.
    fn egress_by_destination(&self) -> Aggregation {
        Aggregation::new(
            "egress_by_destination",
            "Top external destinations by bytes sent from inside",
            "sum of source.bytes of zeek.conn from private to public addresses, by destination.ip (TLS server name from zeek.ssl)",
            ["DESTINATION", "BYTES SENT", "DETAIL"],
            self.egress.iter().map(|(ip, (b, n))| {
                let name = self.sni.get(ip).map_or("-", |s| s.as_str());
                (ip.to_string(), *b, format!("{n} connection{}; server name {name}", plural(*n)))
            }),
        )
    }

    /// The `okta_failures_by_ip` aggregation.
    fn okta_failures_by_ip(&self) -> Aggregation {
        Aggregation::new(
            "okta_failures_by_ip",
            "Okta sign-in failures by client address",
            "okta.system events with event.outcome = failure, by source.ip",
            ["ADDRESS", "FAILURES", "DETAIL"],
            self.okta_failures.iter().map(|(ip, (n, users))| {
                (
                    ip.clone(),
                    *n,
                    format!(
                        "{} distinct user{}",
                        users.len(),
                        plural(users.len() as u64)
                    ),
                )
            }),
        )
    }

    /// The `fhir_export` aggregation.
    fn fhir_export(&self) -> Aggregation {
        Aggregation::new(
            "fhir_export",
            "FHIR bulk $export requests",
            "events whose url.original contains $export, by user.name and client address",
            ["WHO", "REQUESTS", "DETAIL"],
            self.exports.iter().map(|(k, (n, ds))| {
                let d: Vec<&str> = ds.iter().map(|s| s.as_str()).collect();
                (k.clone(), *n, format!("logged by {}", d.join(", ")))
            }),
        )
    }

    /// The `fhir_patients_by_user` aggregation.
    fn fhir_patients_by_user(&self) -> Aggregation {
        Aggregation::new(
            "fhir_patients_by_user",
            "FHIR patient references by user",
            "count of phiwatch.patient.ids in fhir.audit, by user.name",
            ["USER", "PATIENT REFS", "DETAIL"],
            self.fhir_patients.iter().map(|(u, (n, recs))| {
                (
                    u.clone(),
                    *n,
                    format!("{recs} audit record{}", plural(*recs)),
                )
            }),
        )
    }

    /// The `dns_long_names` aggregation.
    fn dns_long_names(&self) -> Aggregation {
        Aggregation::new(
            "dns_long_names",
            "DNS queries with long names, by domain",
            "zeek.dns queries whose dns.question.name is longer than 50 characters, by its last two labels",
            ["DOMAIN", "QUERIES", "DETAIL"],
            self.dns_long
                .iter()
                .map(|(d, (n, longest))| (d.clone(), *n, format!("longest {longest} chars"))),
        )
    }

    /// The `s3_reads_by_principal` aggregation.
    fn s3_reads_by_principal(&self) -> Aggregation {
        Aggregation::new(
            "s3_reads_by_principal",
            "S3 object bytes read by principal",
            "sum of phiwatch.object.bytes_out in aws.cloudtrail data events, by user.name",
            ["PRINCIPAL", "BYTES READ", "DETAIL"],
            self.s3_reads.iter().map(|(u, (b, n, buckets))| {
                let bk: Vec<&str> = buckets.iter().map(|s| s.as_str()).collect();
                (
                    u.clone(),
                    *b,
                    format!("{n} read{}; buckets {}", plural(*n), bk.join(", ")),
                )
            }),
        )
    }
}

/// One descriptive aggregation: the top rows of a sum by key.
#[derive(Debug)]
pub(super) struct Aggregation {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) how: &'static str,
    pub(super) columns: [&'static str; 3],
    /// (key, value, detail), top `TOP` rows.
    pub(super) rows: Vec<(String, u64, String)>,
    /// Keys in all.
    pub(super) total_keys: usize,
}

impl Aggregation {
    fn new(
        id: &'static str,
        title: &'static str,
        how: &'static str,
        columns: [&'static str; 3],
        rows: impl Iterator<Item = (String, u64, String)>,
    ) -> Self {
        let mut rows: Vec<_> = rows.collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total_keys = rows.len();
        rows.truncate(TOP);
        Aggregation {
            id,
            title,
            how,
            columns,
            rows,
            total_keys,
        }
    }

    /// Whether the value column holds bytes.
    pub(super) fn is_bytes(&self) -> bool {
        self.columns[1].starts_with("BYTES")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregations_sort_by_value_then_key() {
        let a = Aggregation::new(
            "x",
            "x",
            "x",
            ["K", "V", "D"],
            [("b", 2), ("a", 2), ("c", 9)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v, String::new()))
                .chain((0..10).map(|i| (format!("z{i}"), 0, String::new()))),
        );
        let keys: Vec<&str> = a.rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(keys, ["c", "a", "b", "z0", "z1"]);
        assert_eq!(a.total_keys, 13);
    }
}
