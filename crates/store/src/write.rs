//! Adding findings, ledger entries and coverage: one transaction per call,
//! prepared statements, de-duplication by key (see [`crate::keys`]).

use std::collections::HashMap;
use std::path::Path;

use phiwatch_finding::{Detector, Finding, Level};
use phiwatch_scope::{Access, Reach};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::{Result, StoreError};
use crate::exact::encode_exact;
use crate::keys::{self, finding_keys, Key, Keys, SourceMap};
use crate::store::{sql_at, Store};
use crate::types::{Added, EntityKind, RunId};

/// `meta` key: the longest `end_time - time` of a stored finding, which
/// bounds the window query's index range.
pub(crate) const MAX_SPAN: &str = "findings_max_span_ns";

/// Entities seen in one batch, folded before they are written.
#[derive(Default)]
struct EntityBatch([HashMap<String, EntityAgg>; 3]);

#[derive(Clone, Copy)]
struct EntityAgg {
    first: i64,
    last: i64,
    findings: i64,
    accesses: i64,
}

const KINDS: [EntityKind; 3] = [EntityKind::User, EntityKind::Ip, EntityKind::Host];

impl EntityBatch {
    fn note(&mut self, kind: EntityKind, value: &str, first: i64, last: i64, finding: bool) {
        if value.is_empty() {
            return;
        }
        let map = match kind {
            EntityKind::User => &mut self.0[0],
            EntityKind::Ip => &mut self.0[1],
            EntityKind::Host => &mut self.0[2],
        };
        let e = match map.get_mut(value) {
            Some(e) => e,
            None => map.entry(value.to_string()).or_insert(EntityAgg {
                first,
                last,
                findings: 0,
                accesses: 0,
            }),
        };
        e.first = e.first.min(first);
        e.last = e.last.max(last);
        if finding {
            e.findings += 1;
        } else {
            e.accesses += 1;
        }
    }

    fn write(&self, tx: &Transaction<'_>, path: &Path) -> Result<()> {
        let e = |source| sql_at(path, "updating entities", source);
        let mut st = tx
            .prepare_cached(
                "INSERT INTO entities (kind, value, first, last, findings, accesses) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, value) DO UPDATE SET first = min(first, excluded.first),
                 last = max(last, excluded.last), findings = findings + excluded.findings,
                 accesses = accesses + excluded.accesses",
            )
            .map_err(e)?;
        for (kind, map) in KINDS.iter().zip(&self.0) {
            for (value, a) in map {
                st.execute(params![
                    kind.as_str(),
                    value,
                    a.first,
                    a.last,
                    a.findings,
                    a.accesses
                ])
                .map_err(e)?;
            }
        }
        Ok(())
    }
}

fn level_rank(l: Level) -> i64 {
    Level::ALL.iter().position(|x| *x == l).unwrap_or(0) as i64
}

fn reach_str(r: Reach) -> &'static str {
    match r {
        Reach::Records => "records",
        Reach::Bulk => "bulk",
        Reach::Unresolved => "unresolved",
    }
}

/// Content keys of member findings: those of the batch, then the store's.
struct MemberKeys<'a> {
    batch: HashMap<&'a str, Key>,
    error: Option<rusqlite::Error>,
}

impl MemberKeys<'_> {
    fn lookup(&mut self, tx: &Transaction<'_>, id: &str) -> Option<Key> {
        if let Some(k) = self.batch.get(id) {
            return Some(*k);
        }
        let found = tx
            .prepare_cached(
                "SELECT content_key FROM findings WHERE finding_id = ?1 ORDER BY id LIMIT 1",
            )
            .and_then(|mut st| st.query_row([id], |r| r.get::<_, Vec<u8>>(0)).optional());
        match found {
            Ok(v) => v.and_then(|v| v.try_into().ok()),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }
}

impl Store {
    /// Adds findings of `run`. A finding whose content key or path key the
    /// store holds is a duplicate (the first one stays). Incidents
    /// (detector `incident`) also get their member list; members may come
    /// in the same batch or an earlier one.
    pub fn put_findings(&mut self, run: RunId, findings: &[Finding]) -> Result<Added> {
        self.check_run(run)?;
        let sources = self.source_map(run)?;
        let path = self.path.clone();
        let e = |source| sql_at(&path, "adding findings", source);
        let tx = self.conn.transaction().map_err(e)?;
        let all_keys = batch_keys(&tx, &path, findings, &sources)?;
        let mut added = Added::default();
        let mut entities = EntityBatch::default();
        let mut incidents: Vec<(i64, &Finding)> = Vec::new();
        let mut max_span = 0i64;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO findings (finding_id, content_key, path_key, run, time, end_time,
                     detector, rule_id, level, user, host, ip, score, exact, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT DO NOTHING",
                )
                .map_err(e)?;
            for (f, k) in findings.iter().zip(&all_keys) {
                added.unregistered += u64::from(k.unregistered);
                if !insert_finding(&mut st, &path, run, f, k)? {
                    added.duplicate += 1;
                    continue;
                }
                added.new += 1;
                let (t0, t1) = (f.time.as_nanos(), f.end_time.as_nanos());
                max_span = max_span.max(t1.saturating_sub(t0));
                let last = t1.max(t0);
                let ent = &f.entity;
                for (kind, v) in [
                    (EntityKind::User, &ent.user),
                    (EntityKind::Host, &ent.host),
                    (EntityKind::Ip, &ent.ip),
                ] {
                    if let Some(v) = v {
                        entities.note(kind, v, t0, last, true);
                    }
                }
                if f.detector == Detector::Incident {
                    incidents.push((tx.last_insert_rowid(), f));
                }
            }
        }
        write_members(&tx, &path, &incidents, findings, &all_keys)?;
        entities.write(&tx, &path)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
            params![MAX_SPAN, max_span],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(added)
    }

    /// Adds ledger entries of `run`; an entry whose content key or path key
    /// the store holds is a duplicate.
    pub fn put_accesses(&mut self, run: RunId, accesses: &[Access]) -> Result<Added> {
        self.check_run(run)?;
        let sources = self.source_map(run)?;
        let path = self.path.clone();
        let e = |source| sql_at(&path, "adding ledger entries", source);
        let enc = |source| StoreError::Encode {
            path: path.clone(),
            what: "a ledger entry",
            source,
        };
        let tx = self.conn.transaction().map_err(e)?;
        let mut added = Added::default();
        let mut entities = EntityBatch::default();
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO accesses (content_key, path_key, run, source, time, silo, action,
                     user, ip, host, reach, records, rows, bytes, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT DO NOTHING",
                )
                .map_err(e)?;
            for a in accesses {
                let json = serde_json::to_string(a).map_err(enc)?;
                let r = sources.resolve(&a.source);
                added.unregistered += u64::from(r.source.is_none());
                let (ck, pk) = keys::access_keys(a, &json, &r.content).map_err(enc)?;
                let t = a.time.as_nanos();
                let ip = a.ip.map(|ip| ip.to_string());
                let n = st
                    .execute(params![
                        &ck[..],
                        &pk[..],
                        run.0,
                        r.source,
                        t,
                        a.silo,
                        a.action,
                        a.user,
                        ip,
                        a.host,
                        reach_str(a.reach),
                        a.records.len() as i64,
                        a.rows.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
                        a.bytes.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
                        json,
                    ])
                    .map_err(e)?;
                if n == 0 {
                    added.duplicate += 1;
                    continue;
                }
                added.new += 1;
                for (kind, v) in [
                    (EntityKind::User, a.user.as_deref()),
                    (EntityKind::Ip, ip.as_deref()),
                    (EntityKind::Host, a.host.as_deref()),
                ] {
                    if let Some(v) = v {
                        entities.note(kind, v, t, t, false);
                    }
                }
            }
        }
        entities.write(&tx, &path)?;
        tx.commit().map_err(e)?;
        Ok(added)
    }

    /// Adds hourly flows from inside to outside of `run`. A flow the store
    /// holds (same addresses, hour and first record) is a duplicate, or
    /// replaces the stored one when it has more bytes (a log that grew):
    /// never counted twice.
    pub fn put_flows(&mut self, run: RunId, flows: &[phiwatch_scope::Flow]) -> Result<Added> {
        self.check_run(run)?;
        let sources = self.source_map(run)?;
        let path = self.path.clone();
        let e = |source| sql_at(&path, "adding flows", source);
        let enc = |source| StoreError::Encode {
            path: path.clone(),
            what: "a flow",
            source,
        };
        let tx = self.conn.transaction().map_err(e)?;
        let mut added = Added::default();
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO flows (content_key, path_key, run, hour, first, last, src, dst,
                     bytes, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (content_key) DO UPDATE SET
                       bytes = excluded.bytes, first = excluded.first, last = excluded.last,
                       json = excluded.json
                     WHERE excluded.bytes > flows.bytes
                     ON CONFLICT (path_key) DO UPDATE SET
                       bytes = excluded.bytes, first = excluded.first, last = excluded.last,
                       json = excluded.json
                     WHERE excluded.bytes > flows.bytes",
                )
                .map_err(e)?;
            for f in flows {
                let json = serde_json::to_string(f).map_err(enc)?;
                let r = sources.resolve(&f.source);
                added.unregistered += u64::from(r.source.is_none());
                let (ck, pk) = keys::flow_keys(f, &r.content);
                let n = st
                    .execute(params![
                        &ck[..],
                        &pk[..],
                        run.0,
                        f.hour.as_nanos(),
                        f.first.as_nanos(),
                        f.last.as_nanos(),
                        f.src.map(|ip| ip.to_string()),
                        f.dst.map(|ip| ip.to_string()),
                        i64::try_from(f.bytes).unwrap_or(i64::MAX),
                        json,
                    ])
                    .map_err(e)?;
                if n == 0 {
                    added.duplicate += 1;
                } else {
                    added.new += 1;
                }
            }
        }
        tx.commit().map_err(e)?;
        Ok(added)
    }

    /// Records that logs of `kind` (an `event.module` such as `zeek` or
    /// `postgresql`) had records in each of `hours` (hours since the epoch,
    /// UTC: `nanos.div_euclid(3_600_000_000_000)`). Idempotent.
    pub fn put_coverage(&mut self, run: RunId, kind: &str, hours: &[i64]) -> Result<()> {
        if kind.is_empty() {
            return Err(self.invalid(format!("coverage of run {run}: empty log kind")));
        }
        self.check_run(run)?;
        let path = self.path.clone();
        let e = |source| sql_at(&path, "adding coverage", source);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut st = tx
                .prepare_cached("INSERT INTO coverage (kind, hour, first_run) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
                .map_err(e)?;
            for h in hours {
                st.execute(params![kind, h, run.0]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }
}

/// Inserts one finding; `false` when its content or path key is stored.
fn insert_finding(
    st: &mut rusqlite::CachedStatement<'_>,
    path: &Path,
    run: RunId,
    f: &Finding,
    k: &Keys,
) -> Result<bool> {
    let json = serde_json::to_string(f).map_err(|source| StoreError::Encode {
        path: path.to_path_buf(),
        what: "a finding",
        source,
    })?;
    let n = st
        .execute(params![
            f.id,
            &k.content[..],
            &k.path[..],
            run.0,
            f.time.as_nanos(),
            f.end_time.as_nanos(),
            f.detector.as_str(),
            f.rule.id,
            level_rank(f.rule.level),
            f.entity.user,
            f.entity.host,
            f.entity.ip,
            f.score,
            encode_exact(f.score, &f.metrics),
            json,
        ])
        .map_err(|source| sql_at(path, "adding findings", source))?;
    Ok(n == 1)
}

/// Keys of every finding of a batch: other findings first, so that an
/// incident can name members of the same batch.
fn batch_keys(
    tx: &Transaction<'_>,
    path: &Path,
    findings: &[Finding],
    sources: &SourceMap,
) -> Result<Vec<Keys>> {
    let mut members = MemberKeys {
        batch: HashMap::new(),
        error: None,
    };
    let mut out: Vec<Option<Keys>> = Vec::with_capacity(findings.len());
    for f in findings {
        if f.detector == Detector::Incident {
            out.push(None);
            continue;
        }
        let k = finding_keys(f, sources, &mut |_| None);
        members.batch.entry(f.id.as_str()).or_insert(k.content);
        out.push(Some(k));
    }
    let mut keys = Vec::with_capacity(findings.len());
    for (f, k) in findings.iter().zip(out) {
        let k = match k {
            Some(k) => k,
            None => finding_keys(f, sources, &mut |id| members.lookup(tx, id)),
        };
        keys.push(k);
    }
    if let Some(source) = members.error {
        return Err(sql_at(path, "looking up incident members", source));
    }
    Ok(keys)
}

/// Writes the member lists of new incidents. A member is resolved to the
/// stored finding with its content key (which may carry another id when
/// the same content was first read under another name).
fn write_members(
    tx: &Transaction<'_>,
    path: &Path,
    incidents: &[(i64, &Finding)],
    findings: &[Finding],
    all_keys: &[Keys],
) -> Result<()> {
    if incidents.is_empty() {
        return Ok(());
    }
    let e = |source| sql_at(path, "adding incident members", source);
    let mut batch: HashMap<&str, Key> = HashMap::new();
    for (f, k) in findings.iter().zip(all_keys) {
        batch.entry(f.id.as_str()).or_insert(k.content);
    }
    let mut by_id = tx
        .prepare_cached(
            "SELECT id, finding_id FROM findings WHERE finding_id = ?1 ORDER BY id LIMIT 1",
        )
        .map_err(e)?;
    let mut by_key = tx
        .prepare_cached("SELECT id, finding_id FROM findings WHERE content_key = ?1")
        .map_err(e)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO incident_members (incident, position, member_id, member) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e)?;
    let row_of = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    for (row, f) in incidents {
        for (pos, id) in keys::member_ids(f).into_iter().enumerate() {
            // By content key first: the member may be stored under another
            // id; then by id (a member stored by its path key).
            let mut stored: Option<(i64, String)> = None;
            if let Some(k) = batch.get(id) {
                stored = by_key.query_row([&k[..]], row_of).optional().map_err(e)?;
            }
            if stored.is_none() {
                stored = by_id.query_row([id], row_of).optional().map_err(e)?;
            }
            let (member, member_id) = match stored {
                Some((m, sid)) => (Some(m), sid),
                None => (None, id.to_string()),
            };
            insert
                .execute(params![row, pos as i64, member_id, member])
                .map_err(e)?;
        }
    }
    Ok(())
}
