//! The ordinary work of each role, minute by minute: chart views by
//! clinicians, browsing, the file share, billing sessions, admin ssh,
//! reporting exports, the EHR application's connection pool, and logins at
//! shift starts (with a vendor's session through the gateway).

use std::net::Ipv4Addr;

use super::kinds::{audit, db, dns_a, eport, fhir, okta, tcp, tls, BROWSER_UA, EHR_UA};
use super::{
    act, rng_at, weekday, Cast, World, DAY, EGRESS, HOME_ASN, HOME_GEO, HOUR, MIN, POOL, SEC,
};
use crate::model::{Activity, DbWhat, Kind, Org, Person, Role};
use crate::org::{self, EHR_API_HOST, FILE_HOST, GATEWAY_HOST, SITE_IDP, SITE_STORAGE};
use crate::Rng;

impl World {
    /// One action of the ordinary workload, of kind `kind` (an index into
    /// [`MIX`](super::MIX)), at `t`.
    pub(super) fn ordinary(
        &self,
        org: &Org,
        kind: usize,
        t: i64,
        in_outage: bool,
        r: &mut Rng,
        out: &mut Vec<Activity>,
    ) {
        match kind {
            0 => self.chart_work(org, t, in_outage, r, out),
            1 => self.web(org, t, r, out),
            2 => self.file_share(org, t, r, out),
            3 => self.billing(org, t, r, out),
            4 => self.admin_ssh(org, t, r, out),
            5 => self.reporting(org, t, r, out),
            _ => self.internal_dns(org, t, r, out),
        }
    }

    /// A clinician views one to three records of a patient of their panel
    /// (mostly held back during an outage).
    fn chart_work(&self, org: &Org, t: i64, in_outage: bool, r: &mut Rng, out: &mut Vec<Activity>) {
        if in_outage && !r.chance(0.1) {
            return;
        }
        let Some(&p) = r.pick(&self.cast.clinical) else {
            return;
        };
        let k = 1 + r.below(3) as usize;
        let pt = self.panel_patient(p, r);
        self.chart(org, p, &[pt; 3][..k], t, None, r, out);
    }

    /// A workstation reads a file from the file share.
    fn file_share(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let ws = self.random_ws(org, r);
        let bytes = r.range(2_000, 400_000);
        out.push(act(
            t,
            None,
            tcp(
                r,
                ws,
                org.hosts[FILE_HOST].ip,
                445,
                "smb",
                0.5,
                800,
                bytes,
                "SF",
            ),
        ));
    }

    /// An IT administrator's ssh session to a server.
    fn admin_ssh(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let Some(&p) = r.pick(&self.cast.it) else {
            return;
        };
        let server = org.hosts[r.below(6) as usize].ip;
        let dur = r.range(5, 900) as f64;
        let (ob, rb) = (r.range(3_000, 60_000), r.range(5_000, 200_000));
        out.push(act(
            t,
            None,
            tcp(
                r,
                org.hosts[org.people[p].host].ip,
                server,
                22,
                "ssh",
                dur,
                ob,
                rb,
                "SF",
            ),
        ));
    }

    /// A workstation looks up an internal server.
    fn internal_dns(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let ws = self.random_ws(org, r);
        let h = &org.hosts[r.below(6) as usize];
        out.push(act(
            t,
            None,
            dns_a(org, ws, &format!("{}.corp.{}", h.name, org.domain), h.ip),
        ));
    }

    /// A random workstation's address.
    pub(super) fn random_ws(&self, org: &Org, r: &mut Rng) -> Ipv4Addr {
        org.hosts[org::FIRST_WORKSTATION + r.below(self.cast.nws as u64) as usize].ip
    }

    /// A patient of person `p`'s usual panel (a ward's worth of patients).
    pub(crate) fn panel_patient(&self, p: usize, r: &mut Rng) -> usize {
        panel_patient(self.seed, &self.cast, p, r)
    }

    /// A chart view: TLS to the EHR API, FHIR reads, and the app's DB reads.
    #[allow(clippy::too_many_arguments)]
    fn chart(
        &self,
        org: &Org,
        p: usize,
        patients: &[usize],
        t: i64,
        step: Option<usize>,
        r: &mut Rng,
        out: &mut Vec<Activity>,
    ) {
        chart(self.seed, org, p, patients, t, step, r, out);
    }

    /// Browsing: a DNS lookup and TLS to an outside site.
    fn web(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let ws = self.random_ws(org, r);
        let i = 3 + r.below(org.sites.len().saturating_sub(3) as u64) as usize;
        let Some(site) = org.sites.get(i) else { return };
        out.push(act(t, None, dns_a(org, ws, &site.domain, site.ip)));
        let dur = r.range(1, 120) as f64 + r.unit();
        let (ob, rb) = (r.range(500, 40_000), r.range(2_000, 3_000_000));
        out.push(act(
            t + 30_000_000,
            None,
            tls(r, ws, site.ip, &site.domain, dur, ob, rb),
        ));
    }

    /// A billing clerk's session: a few claim lookups.
    fn billing(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let Some(&p) = r.pick(&self.cast.billing) else {
            return;
        };
        let person = &org.people[p];
        let user = person
            .db_user
            .clone()
            .unwrap_or_else(|| person.username.clone());
        let pid = 20_000 + r.below(40_000) as u32;
        let client = (org.hosts[person.host].ip, eport(r));
        let mut t = t;
        out.push(act(
            t,
            None,
            db(
                pid,
                &user,
                "billing",
                client,
                "billing-app",
                DbWhat::Connect,
            ),
        ));
        for _ in 0..1 + r.below(3) {
            t += r.range(50, 2_000) as i64 * 1_000_000;
            let rows = r.range(1, 400);
            let pt = org::patient_id(r.below(self.cast.np as u64) as usize);
            let stmt = format!(
                "SELECT claim_id, patient_id, payer, amount, status FROM billing.claims WHERE patient_id = '{pt}' ORDER BY service_date DESC"
            );
            out.push(act(
                t,
                None,
                db(
                    pid,
                    &user,
                    "billing",
                    client,
                    "billing-app",
                    audit("READ", "SELECT", "billing.claims", stmt, rows),
                ),
            ));
        }
        t += r.range(50, 500) as i64 * 1_000_000;
        out.push(act(
            t,
            None,
            db(
                pid,
                &user,
                "billing",
                client,
                "billing-app",
                DbWhat::Disconnect,
            ),
        ));
    }

    /// The reporting role reads or writes an export in the PHI bucket.
    fn reporting(&self, org: &Org, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let put = r.chance(0.3);
        let day = t.div_euclid(DAY);
        let key = format!("exports/reports/{day}/report-{:05}.csv", r.below(100_000));
        let bytes = r.range(20_000, 5_000_000);
        let src = org.hosts[FILE_HOST].ip;
        out.push(act(
            t,
            None,
            Kind::Aws(crate::model::Aws {
                source: "s3.amazonaws.com",
                name: if put { "PutObject" } else { "GetObject" },
                principal: "reporting".into(),
                principal_type: "AssumedRole",
                ip: EGRESS,
                object: Some((org.phi_bucket.clone(), key)),
                bytes,
                error: None,
                mfa: None,
            }),
        ));
        let site = &org.sites[SITE_STORAGE];
        let (ob, rb) = if put { (bytes, 4_000) } else { (3_000, bytes) };
        out.push(act(
            t + 2_000_000,
            None,
            dns_a(org, src, &site.domain, site.ip),
        ));
        out.push(act(
            t + 5_000_000,
            None,
            tls(r, src, site.ip, &site.domain, 2.0, ob, rb),
        ));
    }

    /// The EHR application's pooled sessions reconnect every hour.
    pub(super) fn pool(&self, org: &Org, m: i64, out: &mut Vec<Activity>) {
        if m.rem_euclid(HOUR) != 0 {
            return;
        }
        let hour = m / HOUR;
        let svc = &org.people[self.cast.svc[0]];
        let user = svc.db_user.as_deref().unwrap_or("svc_ehr");
        let ip = org.hosts[EHR_API_HOST].ip;
        for slot in 0..POOL {
            let (old, old_port) = pool_pid(self.seed, hour - 1, slot);
            let (new, port) = pool_pid(self.seed, hour, slot);
            let t = m + i64::from(slot) * 100_000_000;
            if m > self.range.0 {
                out.push(act(
                    t,
                    None,
                    db(
                        old,
                        user,
                        "ehr",
                        (ip, old_port),
                        "ehr-app",
                        DbWhat::Disconnect,
                    ),
                ));
            }
            out.push(act(
                t + 20_000_000,
                None,
                db(new, user, "ehr", (ip, port), "ehr-app", DbWhat::Connect),
            ));
        }
    }

    /// Okta logins at shift starts.
    pub(super) fn logins(&self, org: &Org, m: i64, out: &mut Vec<Activity>) {
        let mod_ = (m.rem_euclid(DAY) / MIN) as usize;
        let day = m.div_euclid(DAY);
        let weekend = weekday(m) >= 5;
        for &i in &self.logins[mod_] {
            let p = &org.people[i as usize];
            let mut r = rng_at(self.seed, "login-day", day * 100_003 + i64::from(i));
            let works = match p.role {
                Role::Billing | Role::ItAdmin | Role::Vendor => !weekend && r.chance(0.9),
                _ => r.chance(if weekend { 0.3 } else { 0.85 }),
            };
            if !works {
                continue;
            }
            let t = m + r.below(50 * SEC as u64) as i64;
            let (ip, geo, asn) = match p.vendor {
                Some(v) => (
                    vendor_ip(org, v, i as u64),
                    ("US", "Hartford"),
                    (64_501 + v as u32, "VENDOR-NET"),
                ),
                None => (EGRESS, HOME_GEO, HOME_ASN),
            };
            if p.role == Role::Vendor && !p.username.starts_with("acme.support") && !r.chance(0.3) {
                continue;
            }
            for (dt, event) in [
                (0, "user.session.start"),
                (2 * SEC, "user.authentication.auth_via_mfa"),
            ] {
                out.push(act(
                    t + dt,
                    None,
                    okta(
                        event,
                        &p.username,
                        &p.okta_id,
                        ip,
                        "SUCCESS",
                        None,
                        Some(true),
                        geo,
                        asn,
                        BROWSER_UA,
                    ),
                ));
            }
            if p.vendor.is_none() {
                idp_traffic(org, p, t, &mut r, out);
            } else {
                vendor_session(org, p, ip, t, &mut r, out);
            }
        }
    }
}

/// A staff member's workstation reaching the identity provider just
/// before the login at `t`.
fn idp_traffic(org: &Org, p: &Person, t: i64, r: &mut Rng, out: &mut Vec<Activity>) {
    let site = &org.sites[SITE_IDP];
    out.push(act(
        t - SEC,
        None,
        dns_a(org, org.hosts[p.host].ip, &site.domain, site.ip),
    ));
    out.push(act(
        t - SEC / 2,
        None,
        tls(
            r,
            org.hosts[p.host].ip,
            site.ip,
            &site.domain,
            3.0,
            4_000,
            20_000,
        ),
    ));
}

/// The vendor's session through the gateway after the login at `t`: ssh
/// in from `ip`, then a small billing query.
fn vendor_session(
    org: &Org,
    p: &Person,
    ip: Ipv4Addr,
    t: i64,
    r: &mut Rng,
    out: &mut Vec<Activity>,
) {
    let gw = org.hosts[GATEWAY_HOST].ip;
    out.push(act(
        t + 10 * SEC,
        None,
        tcp(r, ip, gw, 22, "ssh", 1_800.0, 40_000, 300_000, "SF"),
    ));
    let user = p.db_user.clone().unwrap_or_default();
    let pid = 60_000 + r.below(5_000) as u32;
    let client = (gw, eport(r));
    out.push(act(
        t + 20 * SEC,
        None,
        db(pid, &user, "billing", client, "psql", DbWhat::Connect),
    ));
    let rows = r.range(20, 300);
    out.push(act(
        t + 25 * SEC,
        None,
        db(
            pid,
            &user,
            "billing",
            client,
            "psql",
            audit(
                "READ",
                "SELECT",
                "billing.claims",
                "SELECT claim_id, status, payer FROM billing.claims WHERE status = 'denied' AND service_date > now() - interval '30 days'".into(),
                rows,
            ),
        ),
    ));
    out.push(act(
        t + 40 * SEC,
        None,
        db(pid, &user, "billing", client, "psql", DbWhat::Disconnect),
    ));
}

/// The minute of the day person `i` logs in at the start of a shift
/// (`None` for service accounts).
pub(crate) fn login_minute(seed: u64, i: usize, role: Role) -> Option<usize> {
    let mut r = rng_at(seed, "login", i as i64);
    let base: i64 = match role {
        Role::Clinician | Role::Nurse => {
            *r.pick(&[7 * 60, 7 * 60, 15 * 60, 23 * 60]).unwrap_or(&420)
        }
        Role::EmergencyPhysician => *r.pick(&[19 * 60, 7 * 60]).unwrap_or(&1140),
        Role::Billing | Role::ItAdmin => 8 * 60 + 30,
        Role::Vendor => 10 * 60 + 30,
        Role::Service => return None,
    };
    Some((base - 20 + r.below(45) as i64).rem_euclid(1440) as usize)
}

/// Address `k` of vendor `v`'s network.
pub(crate) fn vendor_ip(org: &Org, v: usize, k: u64) -> Ipv4Addr {
    let base = org
        .vendors
        .get(v)
        .and_then(|x| x.networks.first())
        .and_then(|n| n.split('/').next())
        .and_then(|a| a.parse::<Ipv4Addr>().ok())
        .unwrap_or(Ipv4Addr::new(192, 0, 2, 16));
    let o = base.octets();
    Ipv4Addr::new(o[0], o[1], o[2], o[3] + 1 + (k % 13) as u8)
}

/// The pid and port of the EHR app's pool slot in an hour.
pub(crate) fn pool_pid(seed: u64, hour: i64, slot: u32) -> (u32, u16) {
    let mut r = rng_at(seed, "pool", hour * 64 + i64::from(slot));
    (10_000 + r.below(10_000) as u32, eport(&mut r))
}

/// A patient of person `p`'s usual panel.
pub(crate) fn panel_patient(seed: u64, cast: &Cast, p: usize, r: &mut Rng) -> usize {
    let mut pr = rng_at(seed, "panel", p as i64);
    let np = cast.np as u64;
    let start = pr.below(np);
    let size = (np * 3 / cast.clinical.len().max(1) as u64)
        .clamp(50, 2_000)
        .min(np);
    ((start + r.below(size)) % np) as usize
}

/// A chart view by person `p` of `patients`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn chart(
    seed: u64,
    org: &Org,
    p: usize,
    patients: &[usize],
    t: i64,
    step: Option<usize>,
    r: &mut Rng,
    out: &mut Vec<Activity>,
) {
    let person = &org.people[p];
    let ws = org.hosts[person.host].ip;
    let api = org.hosts[EHR_API_HOST].ip;
    let dur = r.range(1, 30) as f64;
    let (ob, rb) = (r.range(2_000, 20_000), r.range(20_000, 400_000));
    out.push(act(
        t,
        step,
        tls(r, ws, api, "ehr-api.examplehealth.example", dur, ob, rb),
    ));
    let hour = t.div_euclid(HOUR);
    let ehr_ip = org.hosts[EHR_API_HOST].ip;
    for (j, &pt) in patients.iter().enumerate() {
        let id = org::patient_id(pt);
        let tt = t + (j as i64 + 1) * 400_000_000;
        let (res, path, table, rows) = chart_read(j, &id, r);
        let interaction = if j == 0 { "read" } else { "search-type" };
        let bytes = r.range(1_500, 60_000);
        out.push(act(
            tt,
            step,
            fhir(
                &person.username,
                false,
                ws,
                interaction,
                res,
                vec![id.clone()],
                path,
                200,
                bytes,
                EHR_UA,
            ),
        ));
        let slot = r.below(u64::from(POOL)) as u32;
        let (pid, port) = pool_pid(seed, hour, slot);
        let stmt = format!("SELECT * FROM {table} WHERE patient_id = '{id}'");
        out.push(act(
            tt + 5_000_000,
            step,
            db(
                pid,
                "svc_ehr",
                "ehr",
                (ehr_ip, port),
                "ehr-app",
                audit("READ", "SELECT", table, stmt, rows),
            ),
        ));
    }
}

/// The `j`-th read of a chart view of patient `id`: the FHIR resource and
/// path, and the table and rows the EHR app reads for it.
fn chart_read(j: usize, id: &str, r: &mut Rng) -> (&'static str, String, &'static str, u64) {
    match j {
        0 => ("Patient", format!("/fhir/Patient/{id}"), "ehr.patients", 1),
        1 => (
            "Observation",
            format!("/fhir/Observation?patient={id}&_count=50"),
            "ehr.encounters",
            r.range(1, 50),
        ),
        _ => (
            "DocumentReference",
            format!("/fhir/DocumentReference?patient={id}"),
            "ehr.notes",
            r.range(1, 20),
        ),
    }
}
