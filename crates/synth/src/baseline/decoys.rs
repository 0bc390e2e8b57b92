//! Benign activity that looks alarming: the nightly backup, the weekly BI
//! extract, emergency physicians reading many charts at night, video calls
//! and software updates.

use std::net::Ipv4Addr;

use super::kinds::{audit, db, dns_a, eport, tcp, tls};
use super::work::chart;
use super::{act, rng_at, weekday, Cast, World, DAY, EGRESS, HOUR, MIN, SEC};
use crate::model::{Activity, DbWhat, Kind, Org};
use crate::org::{BACKUP_HOST, DB_HOST, FILE_HOST, SITE_STORAGE, SITE_UPDATES, SITE_VIDEO};
use crate::{Rng, Scenario};

impl World {
    /// Benign activity that looks alarming.
    pub(super) fn decoys(&self, org: &Org, m: i64, in_outage: bool, out: &mut Vec<Activity>) {
        let mut r = rng_at(self.seed, "decoys", m / MIN);
        let f = self.decoy_factor();
        let tod = m.rem_euclid(DAY);
        let wd = weekday(m);
        let scale = self.cast.nws as f64 / 50.0;
        // Nightly backup at 02:00.
        if tod == 2 * HOUR {
            backup(self.seed, org, &self.cast, m, out);
        }
        // Weekly BI extract, Sunday 03:00 (daily among the decoys).
        if tod == 3 * HOUR && (wd == 6 || self.scenario == Scenario::BenignDecoys) {
            bi_extract(self.seed, org, &self.cast, m, out);
        }
        // Emergency physicians read many charts at night.
        let night = !(6 * HOUR..22 * HOUR).contains(&tod);
        if night && !in_outage {
            for &p in &self.cast.ed {
                if r.chance((0.5 * f).min(1.0)) {
                    let pt = r.below(self.cast.np as u64) as usize;
                    let t = m + r.below(50 * SEC as u64) as i64;
                    chart(self.seed, org, p, &[pt], t, None, &mut r, out);
                }
            }
        }
        // Video calls in the daytime on weekdays.
        if wd < 5 && (8 * HOUR..17 * HOUR).contains(&tod) && r.chance((0.08 * scale * f).min(1.0)) {
            let ws = self.random_ws(org, &mut r);
            let site = &org.sites[SITE_VIDEO];
            let t = m + r.below(50 * SEC as u64) as i64;
            let dur = r.range(1_800, 5_400) as f64;
            let (ob, rb) = (
                r.range(300_000_000, 1_500_000_000),
                r.range(300_000_000, 1_500_000_000),
            );
            out.push(act(t, None, dns_a(org, ws, &site.domain, site.ip)));
            out.push(act(
                t + 20_000_000,
                None,
                tls(&mut r, ws, site.ip, &site.domain, dur, ob, rb),
            ));
        }
        // Software updates (large downloads).
        if (6 * HOUR..20 * HOUR).contains(&tod) && r.chance((0.006 * scale * f).min(1.0)) {
            let ws = self.random_ws(org, &mut r);
            let site = &org.sites[SITE_UPDATES];
            let t = m + r.below(50 * SEC as u64) as i64;
            let rb = r.range(200_000_000, 2_500_000_000);
            out.push(act(t, None, dns_a(org, ws, &site.domain, site.ip)));
            out.push(act(
                t + 20_000_000,
                None,
                tls(&mut r, ws, site.ip, &site.domain, 600.0, 150_000, rb),
            ));
        }
    }
}

/// Nightly pg_dump of whole tables, then an offsite copy.
fn backup(seed: u64, org: &Org, cast: &Cast, m: i64, out: &mut Vec<Activity>) {
    let mut r = rng_at(seed, "backup", m / MIN);
    let np = cast.np as u64;
    let bk = org.hosts[BACKUP_HOST].ip;
    let dbh = org.hosts[DB_HOST].ip;
    let mut t = m + SEC;
    let mut total = 0;
    for (database, tables) in [
        (
            "ehr",
            &[
                ("ehr.patients", np),
                ("ehr.encounters", np * 6),
                ("ehr.notes", np * 10),
            ][..],
        ),
        ("billing", &[("billing.claims", np * 4)][..]),
    ] {
        total += pg_dump(bk, database, tables, &mut t, &mut r, out);
    }
    out.push(act(
        t,
        None,
        tcp(
            &mut r,
            bk,
            dbh,
            5432,
            "postgresql",
            2_400.0,
            200_000,
            total,
            "SF",
        ),
    ));
    let site = &org.sites[SITE_STORAGE];
    out.push(act(t + SEC, None, dns_a(org, bk, &site.domain, site.ip)));
    out.push(act(
        t + 2 * SEC,
        None,
        tls(
            &mut r,
            bk,
            site.ip,
            &site.domain,
            3_000.0,
            total / 3,
            80_000,
        ),
    ));
}

/// One pg_dump session of `database` from the backup host `bk`: a COPY of
/// each of `tables` (name, rows), starting at `*t`, which is left at the
/// disconnection. Returns the bytes dumped.
fn pg_dump(
    bk: Ipv4Addr,
    database: &str,
    tables: &[(&str, u64)],
    t: &mut i64,
    r: &mut Rng,
    out: &mut Vec<Activity>,
) -> u64 {
    let mut total = 0;
    let pid = 30_000 + r.below(10_000) as u32;
    let client = (bk, eport(r));
    let session = |what: DbWhat| db(pid, "svc_backup", database, client, "pg_dump", what);
    out.push(act(*t, None, session(DbWhat::Connect)));
    for (table, rows) in tables {
        *t += 2 * SEC;
        let stmt = format!("COPY {table} TO stdout;");
        out.push(act(
            *t,
            None,
            session(audit("READ", "COPY", "", stmt, *rows)),
        ));
        total += rows * 400;
    }
    *t += SEC;
    out.push(act(*t, None, session(DbWhat::Disconnect)));
    total
}

/// The weekly BI extract: a large SELECT and an upload to the PHI bucket.
fn bi_extract(seed: u64, org: &Org, cast: &Cast, m: i64, out: &mut Vec<Activity>) {
    let mut r = rng_at(seed, "bi", m / MIN);
    let np = cast.np as u64;
    let src = org.hosts[FILE_HOST].ip;
    let pid = 40_000 + r.below(10_000) as u32;
    let client = (src, eport(&mut r));
    let t = m + 5 * SEC;
    out.push(act(
        t,
        None,
        db(pid, "svc_bi", "ehr", client, "bi-extract", DbWhat::Connect),
    ));
    out.push(act(
        t + SEC,
        None,
        db(
            pid,
            "svc_bi",
            "ehr",
            client,
            "bi-extract",
            audit(
                "READ",
                "SELECT",
                "ehr.encounters",
                "SELECT e.encounter_id, e.patient_id, e.admit_date, e.discharge_date, e.drg FROM ehr.encounters e WHERE e.admit_date >= now() - interval '7 days'".into(),
                np * 6,
            ),
        ),
    ));
    out.push(act(
        t + 30 * SEC,
        None,
        db(
            pid,
            "svc_bi",
            "ehr",
            client,
            "bi-extract",
            DbWhat::Disconnect,
        ),
    ));
    let bytes = np * 6 * 300;
    let day = m.div_euclid(DAY);
    out.push(act(
        t + 40 * SEC,
        None,
        Kind::Aws(crate::model::Aws {
            source: "s3.amazonaws.com",
            name: "PutObject",
            principal: "bi-extract".into(),
            principal_type: "AssumedRole",
            ip: EGRESS,
            object: Some((
                org.phi_bucket.clone(),
                format!("exports/bi/{day}/encounters.parquet"),
            )),
            bytes,
            error: None,
            mfa: None,
        }),
    ));
    let site = &org.sites[SITE_STORAGE];
    out.push(act(
        t + 40 * SEC + 500_000_000,
        None,
        dns_a(org, src, &site.domain, site.ip),
    ));
    out.push(act(
        t + 41 * SEC,
        None,
        tls(&mut r, src, site.ip, &site.domain, 900.0, bytes, 50_000),
    ));
}
