//! Queries.

use phiwatch_event::Timestamp;
use phiwatch_finding::Finding;
use phiwatch_scope::Access;
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::exact::{decode_finding, json_problem};
use crate::types::{
    Added, Counts, EntityKind, EntityRow, Incident, RunId, RunInfo, RunRow, RunTotals,
};
use crate::write::MAX_SPAN;
use crate::Store;

/// Nanoseconds per hour.
pub const HOUR_NS: i64 = 3_600_000_000_000;

const FINDING_COLS: &str = "id, json, exact";

impl Store {
    fn damaged(&self, table: &'static str, row: i64, detail: String) -> StoreError {
        StoreError::Damaged {
            path: self.path.clone(),
            table,
            row,
            detail,
        }
    }

    /// Decodes a row of [`FINDING_COLS`].
    fn finding_of(&self, r: &Row<'_>) -> Result<Finding> {
        let e = self.sql("reading findings");
        let id: i64 = r.get(0).map_err(&e)?;
        let json: String = r.get(1).map_err(&e)?;
        let exact = r
            .get_ref(2)
            .map_err(&e)?
            .as_blob()
            .map_err(|x| self.damaged("findings", id, format!("exact column: {x}")))?;
        decode_finding(&json, exact).map_err(|d| self.damaged("findings", id, d))
    }

    /// Runs `sql` (selecting [`FINDING_COLS`]) with `params`.
    fn query_findings(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Finding>> {
        let e = self.sql("reading findings");
        let mut st = self.conn.prepare_cached(sql).map_err(&e)?;
        let mut rows = st.query(params).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            out.push(self.finding_of(r)?);
        }
        Ok(out)
    }

    /// Findings whose `[time, end_time]` overlaps `[from, to]` (both
    /// inclusive), incidents included, in time order (then insertion
    /// order).
    pub fn findings(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Finding>> {
        let span: i64 = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [MAX_SPAN], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sql("reading findings"))?
            .unwrap_or(0);
        let lo = from.as_nanos().saturating_sub(span.max(0));
        self.query_findings(
            &format!(
                "SELECT {FINDING_COLS} FROM findings WHERE time >= ?1 AND time <= ?2 AND end_time >= ?3 ORDER BY time, id"
            ),
            params![lo, to.as_nanos(), from.as_nanos()],
        )
    }

    /// The finding with this id (the first stored, should several carry
    /// it).
    pub fn finding(&self, id: &str) -> Result<Option<Finding>> {
        let mut v = self.query_findings(
            &format!(
                "SELECT {FINDING_COLS} FROM findings WHERE finding_id = ?1 ORDER BY id LIMIT 1"
            ),
            [id],
        )?;
        Ok(v.pop())
    }

    /// Every incident (detector `incident`), in time order.
    pub fn incidents(&self) -> Result<Vec<Finding>> {
        self.query_findings(
            &format!(
                "SELECT {FINDING_COLS} FROM findings WHERE detector = 'incident' ORDER BY time, id"
            ),
            [],
        )
    }

    /// Every incident with its members, in time order.
    pub fn incidents_with_members(&self) -> Result<Vec<Incident>> {
        let e = self.sql("reading incidents");
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {FINDING_COLS} FROM findings WHERE detector = 'incident' ORDER BY time, id"
            ))
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let row: i64 = r.get(0).map_err(&e)?;
            let finding = self.finding_of(r)?;
            let members = self.members_of(row)?;
            out.push(Incident { finding, members });
        }
        Ok(out)
    }

    /// The member finding ids of the incident with this id (empty when
    /// there is no such incident).
    pub fn incident_members(&self, incident_id: &str) -> Result<Vec<String>> {
        let row: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM findings WHERE finding_id = ?1 AND detector = 'incident' ORDER BY id LIMIT 1",
                [incident_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("reading incident members"))?;
        match row {
            Some(row) => self.members_of(row),
            None => Ok(Vec::new()),
        }
    }

    fn members_of(&self, row: i64) -> Result<Vec<String>> {
        let e = self.sql("reading incident members");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT member_id FROM incident_members WHERE incident = ?1 ORDER BY position",
            )
            .map_err(&e)?;
        let ids = st
            .query_map([row], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(&e)?;
        Ok(ids)
    }

    /// Rows of `table` (`id, json` selected by `sql` over `?1 = from`,
    /// `?2 = to`) decoded from their JSON; `(op, what)` name the reading
    /// and a row in errors.
    fn json_rows<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        (op, what): (&'static str, &'static str),
        sql: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<T>> {
        let e = self.sql(op);
        let mut st = self.conn.prepare_cached(sql).map_err(&e)?;
        let mut rows = st
            .query(params![from.as_nanos(), to.as_nanos()])
            .map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            let id: i64 = r.get(0).map_err(&e)?;
            let json = r
                .get_ref(1)
                .map_err(&e)?
                .as_str()
                .map_err(|x| self.damaged(table, id, format!("json column: {x}")))?;
            let v: T = serde_json::from_str(json)
                .map_err(|x| self.damaged(table, id, json_problem(what, &x)))?;
            out.push(v);
        }
        Ok(out)
    }

    /// Hourly flows overlapping `[from, to]`, in time order.
    pub fn flows(&self, from: Timestamp, to: Timestamp) -> Result<Vec<phiwatch_scope::Flow>> {
        self.json_rows(
            "flows",
            ("reading the flows", "flow"),
            "SELECT id, json FROM flows WHERE last >= ?1 AND first <= ?2 ORDER BY first, id",
            from,
            to,
        )
    }

    /// Ledger entries with `from <= time <= to`, in time order (then
    /// insertion order).
    pub fn accesses(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Access>> {
        self.json_rows(
            "accesses",
            ("reading the ledger", "ledger entry"),
            "SELECT id, json FROM accesses WHERE time >= ?1 AND time <= ?2 ORDER BY time, id",
            from,
            to,
        )
    }

    /// The (log kind, hour) pairs with records, for the hours that overlap
    /// `[from, to]`; ordered by kind, then hour. Hours count from the
    /// epoch (UTC).
    pub fn coverage(&self, from: Timestamp, to: Timestamp) -> Result<Vec<(String, i64)>> {
        let e = self.sql("reading coverage");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT kind, hour FROM coverage WHERE hour >= ?1 AND hour <= ?2 ORDER BY kind, hour",
            )
            .map_err(&e)?;
        let lo = from.as_nanos().div_euclid(HOUR_NS);
        let hi = to.as_nanos().div_euclid(HOUR_NS);
        let v = st
            .query_map([lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?
            .collect::<rusqlite::Result<Vec<(String, i64)>>>()
            .map_err(&e)?;
        Ok(v)
    }

    /// Every entity, ordered by kind (`host`, `ip`, `user`) and value.
    pub fn entities(&self) -> Result<Vec<EntityRow>> {
        let e = self.sql("reading entities");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT kind, value, first, last, findings, accesses FROM entities ORDER BY kind, value",
            )
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut out = Vec::new();
        let mut n = 0i64;
        while let Some(r) = rows.next().map_err(&e)? {
            n += 1;
            let kind: String = r.get(0).map_err(&e)?;
            let kind = EntityKind::parse(&kind)
                .ok_or_else(|| self.damaged("entities", n, "unknown entity kind".into()))?;
            out.push(EntityRow {
                kind,
                value: r.get(1).map_err(&e)?,
                first: Timestamp::from_nanos(r.get(2).map_err(&e)?),
                last: Timestamp::from_nanos(r.get(3).map_err(&e)?),
                findings: count(r.get(4).map_err(&e)?),
                accesses: count(r.get(5).map_err(&e)?),
            });
        }
        Ok(out)
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let e = self.sql("reading runs");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, command, args, version, started, finished,
                 events_read, events_accepted, events_rejected,
                 findings_new, findings_duplicate, findings_unregistered,
                 accesses_new, accesses_duplicate, accesses_unregistered,
                 (SELECT count(*) FROM run_sources WHERE run = runs.id),
                 (SELECT count(*) FROM sources WHERE first_run = runs.id)
                 FROM runs ORDER BY id",
            )
            .map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&e)? {
            out.push(self.run_of(r)?);
        }
        Ok(out)
    }

    fn run_of(&self, r: &Row<'_>) -> Result<RunRow> {
        let e = self.sql("reading runs");
        let get = |i: usize| -> Result<u64> {
            Ok(count(r.get::<_, Option<i64>>(i).map_err(&e)?.unwrap_or(0)))
        };
        let id: i64 = r.get(0).map_err(&e)?;
        let args: String = r.get(2).map_err(&e)?;
        let args: Vec<String> = serde_json::from_str(&args)
            .map_err(|x| self.damaged("runs", id, json_problem("run arguments", &x)))?;
        let finished: Option<i64> = r.get(5).map_err(&e)?;
        let totals = match finished {
            Some(t) => Some(RunTotals {
                events_read: get(6)?,
                events_accepted: get(7)?,
                events_rejected: get(8)?,
                findings: Added {
                    new: get(9)?,
                    duplicate: get(10)?,
                    unregistered: get(11)?,
                },
                accesses: Added {
                    new: get(12)?,
                    duplicate: get(13)?,
                    unregistered: get(14)?,
                },
                finished: Timestamp::from_nanos(t),
            }),
            None => None,
        };
        Ok(RunRow {
            id: RunId(id),
            info: RunInfo {
                command: r.get(1).map_err(&e)?,
                args,
                version: r.get(3).map_err(&e)?,
                started: Timestamp::from_nanos(r.get(4).map_err(&e)?),
            },
            totals,
            sources: get(15)?,
            new_sources: get(16)?,
        })
    }

    /// Rows per table.
    pub fn counts(&self) -> Result<Counts> {
        let e = self.sql("counting rows");
        let n = |sql: &str| -> Result<u64> {
            let v: i64 = self.conn.query_row(sql, [], |r| r.get(0)).map_err(&e)?;
            Ok(count(v))
        };
        Ok(Counts {
            runs: n("SELECT count(*) FROM runs")?,
            sources: n("SELECT count(*) FROM sources")?,
            findings: n("SELECT count(*) FROM findings")?,
            incidents: n("SELECT count(*) FROM findings WHERE detector = 'incident'")?,
            incident_members: n("SELECT count(*) FROM incident_members")?,
            accesses: n("SELECT count(*) FROM accesses")?,
            entities: n("SELECT count(*) FROM entities")?,
            coverage: n("SELECT count(*) FROM coverage")?,
        })
    }
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
