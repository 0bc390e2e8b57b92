//! A vendor account is compromised: password spraying against the identity
//! provider, a login without MFA from a new network, bulk database reads
//! through the vendor gateway, FHIR enumeration and `$export`, staging on
//! the file server, a multi-GB TLS upload to a first-seen destination, DNS
//! tunnelling, then hours of service disruption.

use std::net::Ipv4Addr;

use crate::baseline::{act, audit, db, dns_a, fhir, okta, tcp, tls, Cast, SEC};
use crate::model::{Activity, DbWhat, Dns, Kind, Org, StepInfo};
use crate::org::{self, EHR_API_HOST, FILE_HOST, GATEWAY_HOST, RESOLVER_HOST};
use crate::scenario::{label, AttackActors, Plan, Window};
use crate::{GenConfig, Rng};

/// The steps.
pub(crate) const STEPS: &[StepInfo] = &[
    StepInfo {
        id: "vc-01-spray",
        name: "Password spraying against the identity provider",
        tactic: "TA0006",
        techniques: &["T1110.003"],
    },
    StepInfo {
        id: "vc-02-login",
        name: "Login to a vendor account without MFA from a new network",
        tactic: "TA0001",
        techniques: &["T1078", "T1199"],
    },
    StepInfo {
        id: "vc-03-db-bulk",
        name: "Bulk reads of patient tables from the vendor gateway",
        tactic: "TA0009",
        techniques: &["T1213", "T1005"],
    },
    StepInfo {
        id: "vc-04-fhir-enum",
        name: "Enumeration of Patient records through the FHIR API",
        tactic: "TA0009",
        techniques: &["T1213", "T1119"],
    },
    StepInfo {
        id: "vc-05-fhir-export",
        name: "FHIR bulk $export by the vendor client",
        tactic: "TA0009",
        techniques: &["T1213", "T1119"],
    },
    StepInfo {
        id: "vc-06-staging",
        name: "Staging of exported data on the file server",
        tactic: "TA0009",
        techniques: &["T1074.002"],
    },
    StepInfo {
        id: "vc-07-exfil-tls",
        name: "Upload of gigabytes over TLS to a first-seen destination",
        tactic: "TA0010",
        techniques: &["T1048.002", "T1567"],
    },
    StepInfo {
        id: "vc-08-dns-tunnel",
        name: "Exfiltration through DNS tunnelling",
        tactic: "TA0010",
        techniques: &["T1048.003", "T1071.004"],
    },
    StepInfo {
        id: "vc-09-disruption",
        name: "Service disruption of the EHR",
        tactic: "TA0040",
        techniques: &["T1486", "T1489", "T1499"],
    },
];

/// The attacker's login address and network.
const ATTACKER_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 77);
const ATTACKER_ASN: (u32, &str) = (64_511, "EXAMPLE-TRANSIT-HOSTING");
const SPRAY_ASN: (u32, &str) = (64_510, "EXAMPLE-VPS");
/// The first-seen exfiltration destination.
const EXFIL_IP: Ipv4Addr = Ipv4Addr::new(100, 64, 23, 45);
const EXFIL_SNI: &str = "dl.quickshare-files.test";
/// The tunnelling domain.
const TUNNEL: &str = "t.cdn-metrics-sync.test";
/// The vendor's bulk-data client.
const CLIENT: &str = "acme-sync";
const CLIENT_UA: &str = "acme-sync/2.1 (+https://acme-billing.example)";
const SPRAY_UA: &str = "python-requests/2.31.0";

/// The attacker in the breach scope.
const ACTOR_CHOICE: &str = "the compromised vendor account under every name it appears with \
(identity-provider login, database role, the vendor's FHIR bulk-data client) and the \
attacker's external login address; not the password-spray victims, not the clinicians hit \
by the outage, not the vendor's other accounts, and not the vendor gateway's address \
(shared by every vendor's sessions)";

pub(crate) struct Vendor {
    seed: u64,
    /// Windows of each step, in step order.
    w: [Window; 9],
    /// The compromised account (index into `Org::people`).
    victim: usize,
    /// Database pid of the bulk-read session.
    pid: u32,
}

impl Vendor {
    pub(crate) fn new(cfg: &GenConfig, org: &Org, _cast: &Cast, range: (i64, i64)) -> Vendor {
        let days = i64::from(cfg.days.max(1));
        let at = |day: i64, h: i64, m: i64, len: i64| Window::at(range, day, h * 60 + m, len);
        let w = if days == 1 {
            [
                at(0, 17, 0, 50),
                at(0, 18, 5, 5),
                at(0, 18, 15, 60),
                at(0, 19, 20, 60),
                at(0, 20, 25, 10),
                at(0, 20, 40, 20),
                at(0, 21, 5, 45),
                at(0, 21, 55, 35),
                at(0, 22, 40, 80),
            ]
        } else {
            let last = if days >= 3 { days - 1 } else { 1 };
            let dis = if days >= 3 {
                at(last, 9, 0, 360)
            } else {
                at(1, 10, 0, 360)
            };
            [
                at(0, 19, 0, 50),
                at(0, 20, 30, 5),
                at(1, 1, 0, 60),
                at(1, 2, 10, 60),
                at(1, 3, 20, 10),
                at(1, 3, 40, 30),
                at(1, 4, 20, 60),
                at(1, 5, 30, 60),
                dis,
            ]
        };
        let victim = org
            .people
            .iter()
            .position(|p| p.username.starts_with("acme.support@"))
            .unwrap_or(0);
        let mut r = Rng::new(cfg.seed).fork("vendor-compromise");
        Vendor {
            seed: cfg.seed,
            w,
            victim,
            pid: 50_000 + r.below(9_000) as u32,
        }
    }
}

fn dns_tunnel_query(org: &Org, r: &mut Rng, seq: i64) -> Kind {
    let q = format!("{}.{}.{seq:x}.{TUNNEL}", label(r, 52), label(r, 40));
    Kind::Dns(Dns {
        src: org.hosts[FILE_HOST].ip,
        resolver: org.hosts[RESOLVER_HOST].ip,
        query: q,
        qtype: "TXT",
        answers: vec![format!("TXT 32 {}", label(r, 24))],
        rcode: "NOERROR",
    })
}

impl Plan for Vendor {
    fn outage(&self) -> Option<(i64, i64)> {
        Some((self.w[8].start, self.w[8].end))
    }

    fn actors(&self, org: &Org) -> Option<AttackActors> {
        let victim = org.people.get(self.victim)?;
        // The same role name the bulk reads use.
        let role = victim.db_user.as_deref().unwrap_or("acme_support");
        Some(AttackActors {
            users: vec![
                victim.username.clone(),
                role.to_string(),
                CLIENT.to_string(),
            ],
            ips: vec![ATTACKER_IP],
            choice: ACTOR_CHOICE,
        })
    }

    fn emit(&self, org: &Org, cast: &Cast, m: i64, r: &mut Rng, out: &mut Vec<Activity>) {
        let victim = &org.people[self.victim];
        let gw = org.hosts[GATEWAY_HOST].ip;
        let fs = org.hosts[FILE_HOST].ip;
        let np = cast.np as u64;
        let t0 = m + r.below(5 * SEC as u64) as i64;

        // 0: spraying: one password tried against many accounts.
        let w = &self.w[0];
        if w.has(m) {
            let n = 4 + r.below(6);
            for j in 0..n {
                let Some(&pi) = r.pick(&cast.sprayed) else {
                    break;
                };
                let p = &org.people[pi];
                let ip = Ipv4Addr::new(203, 0, 113, 10 + r.below(30) as u8);
                let t = t0 + j as i64 * 5 * SEC;
                out.push(act(
                    t,
                    Some(0),
                    okta(
                        "user.session.start",
                        &p.username,
                        &p.okta_id,
                        ip,
                        "FAILURE",
                        Some("INVALID_CREDENTIALS"),
                        None,
                        ("NL", "Amsterdam"),
                        SPRAY_ASN,
                        SPRAY_UA,
                    ),
                ));
            }
            if w.index(m) % 10 == 3 {
                out.push(act(
                    t0 + 50 * SEC,
                    Some(0),
                    okta(
                        "user.session.start",
                        &victim.username,
                        &victim.okta_id,
                        Ipv4Addr::new(203, 0, 113, 21),
                        "FAILURE",
                        Some("INVALID_CREDENTIALS"),
                        None,
                        ("NL", "Amsterdam"),
                        SPRAY_ASN,
                        SPRAY_UA,
                    ),
                ));
            }
        }

        // 1: the successful login, without MFA, from a new network; then in
        // to the vendor gateway.
        let w = &self.w[1];
        if m == w.start {
            out.push(act(
                t0,
                Some(1),
                okta(
                    "user.session.start",
                    &victim.username,
                    &victim.okta_id,
                    ATTACKER_IP,
                    "SUCCESS",
                    None,
                    Some(false),
                    ("RO", "Bucharest"),
                    ATTACKER_ASN,
                    SPRAY_UA,
                ),
            ));
            out.push(act(
                t0 + 40 * SEC,
                Some(1),
                tcp(
                    r,
                    ATTACKER_IP,
                    gw,
                    22,
                    "ssh",
                    14_400.0,
                    2_500_000,
                    40_000_000,
                    "SF",
                ),
            ));
        }

        // 2: bulk database reads from the gateway.
        let w = &self.w[2];
        if w.has(m) {
            let user = victim
                .db_user
                .clone()
                .unwrap_or_else(|| "acme_support".into());
            let client = (gw, 51_515);
            let k = w.index(m) as u64;
            let batches = (w.len() as u64).saturating_sub(4).clamp(1, 8);
            let batch = np.div_ceil(batches).max(1);
            // Every record of the step is in the vendor's one psql session.
            let session = |t: i64, what: DbWhat| {
                act(t, Some(2), db(self.pid, &user, "ehr", client, "psql", what))
            };
            let mut t = t0;
            if k == 0 {
                out.push(session(t, DbWhat::Connect));
                t += SEC;
            }
            if k < batches {
                let rows = batch.min(np.saturating_sub(k * batch));
                let stmt = format!(
                    "SELECT id, name, dob, ssn, address, phone, insurance_id FROM ehr.patients ORDER BY id LIMIT {batch} OFFSET {}",
                    k * batch
                );
                out.push(session(
                    t,
                    audit("READ", "SELECT", "ehr.patients", stmt, rows),
                ));
            } else if k == batches {
                let stmt = "COPY ehr.patients TO stdout;".into();
                out.push(session(t, audit("READ", "COPY", "", stmt, np)));
            } else if k == batches + 1 {
                let stmt = "SELECT * FROM ehr.encounters".into();
                out.push(session(
                    t,
                    audit("READ", "SELECT", "ehr.encounters", stmt, np * 6),
                ));
            }
            if w.is_last(m) {
                out.push(session(t + 30 * SEC, DbWhat::Disconnect));
                let dur = (w.len() * 60) as f64;
                out.push(act(
                    t + 31 * SEC,
                    Some(2),
                    tcp(
                        r,
                        gw,
                        org.hosts[org::DB_HOST].ip,
                        5432,
                        "postgresql",
                        dur,
                        600_000,
                        np * 7 * 500,
                        "SF",
                    ),
                ));
            }
        }

        // 3: FHIR enumeration of Patient ids.
        let w = &self.w[3];
        if w.has(m) {
            let per = (np / w.len().max(1) as u64).clamp(10, 100);
            let k = w.index(m) as u64;
            for j in 0..per {
                let pt = ((k * per + j) % np) as usize;
                let id = org::patient_id(pt);
                let bytes = r.range(2_000, 9_000);
                out.push(act(
                    t0 + j as i64 * (55 * SEC / per as i64),
                    Some(3),
                    fhir(
                        CLIENT,
                        true,
                        gw,
                        "read",
                        "Patient",
                        vec![id.clone()],
                        format!("/fhir/Patient/{id}"),
                        200,
                        bytes,
                        CLIENT_UA,
                    ),
                ));
            }
        }

        // 4: bulk $export: kick-off, polling, then the NDJSON files.
        let w = &self.w[4];
        if w.has(m) {
            let k = w.index(m);
            if k == 0 {
                out.push(act(
                    t0,
                    Some(4),
                    fhir(
                        CLIENT,
                        true,
                        gw,
                        "$export",
                        "Patient",
                        Vec::new(),
                        "/fhir/Patient/$export?_type=Patient,Observation,Condition".into(),
                        202,
                        0,
                        CLIENT_UA,
                    ),
                ));
            }
            if k < 3 {
                out.push(act(
                    t0 + 30 * SEC,
                    Some(4),
                    fhir(
                        CLIENT,
                        true,
                        gw,
                        "$export",
                        "Patient",
                        Vec::new(),
                        "/fhir/$export-poll-status?_jobId=7f3a91".into(),
                        if k < 2 { 202 } else { 200 },
                        120,
                        CLIENT_UA,
                    ),
                ));
            } else {
                let files = np.div_ceil(1_000).min(10);
                let f = (k - 3) as u64;
                if f < files {
                    let lo = f * 1_000;
                    let hi = (lo + 1_000).min(np);
                    let ids: Vec<String> = (lo..hi).map(|i| org::patient_id(i as usize)).collect();
                    let bytes = (hi - lo) * 4_000;
                    out.push(act(
                        t0 + 10 * SEC,
                        Some(4),
                        fhir(
                            CLIENT,
                            true,
                            gw,
                            "read",
                            "Patient",
                            ids,
                            format!("/fhir/bulk/7f3a91/Patient-{}.ndjson", f + 1),
                            200,
                            bytes,
                            CLIENT_UA,
                        ),
                    ));
                }
            }
        }

        // 5: staging on the file server's export share.
        let w = &self.w[5];
        if w.has(m) {
            let b = r.range(60_000_000, 120_000_000);
            out.push(act(
                t0,
                Some(5),
                tcp(r, gw, fs, 445, "smb", 58.0, b, 300_000, "SF"),
            ));
        }

        // 6: upload to a first-seen destination.
        let w = &self.w[6];
        if w.has(m) {
            if m == w.start {
                out.push(act(t0, Some(6), dns_a(org, fs, EXFIL_SNI, EXFIL_IP)));
            }
            let b = r.range(90_000_000, 140_000_000);
            out.push(act(
                t0 + SEC,
                Some(6),
                tls(r, fs, EXFIL_IP, EXFIL_SNI, 58.0, b, 90_000),
            ));
        }

        // 7: DNS tunnelling.
        let w = &self.w[7];
        if w.has(m) {
            let n = 20 + r.below(20);
            for j in 0..n {
                let seq = w.index(m) * 64 + j as i64;
                out.push(act(
                    t0 + j as i64 * (50 * SEC / n as i64),
                    Some(7),
                    dns_tunnel_query(org, r, seq),
                ));
            }
        }

        // 8: disruption: the EHR fails for hours.
        let w = &self.w[8];
        if w.has(m) {
            let api = org.hosts[EHR_API_HOST].ip;
            if w.index(m) < 10 {
                // Encrypting the shares.
                let b = r.range(200_000_000, 400_000_000);
                out.push(act(
                    t0,
                    Some(8),
                    tcp(r, gw, fs, 445, "smb", 59.0, b, b, "SF"),
                ));
            }
            let busy = (cast.clinical.len() as u64 / 3).clamp(5, 60);
            for _ in 0..r.range(busy / 2, busy + 1) {
                let Some(&p) = r.pick(&cast.clinical) else {
                    break;
                };
                let person = &org.people[p];
                let ws = org.hosts[person.host].ip;
                let t = m + r.below(55 * SEC as u64) as i64;
                if r.chance(0.6) {
                    let pt = crate::baseline::panel_patient(self.seed, cast, p, r);
                    let id = org::patient_id(pt);
                    out.push(act(
                        t,
                        Some(8),
                        fhir(
                            &person.username,
                            false,
                            ws,
                            "read",
                            "Patient",
                            vec![id.clone()],
                            format!("/fhir/Patient/{id}"),
                            503,
                            180,
                            "EHRWeb/4.2 (Windows NT 10.0; Win64; x64)",
                        ),
                    ));
                } else {
                    let state = if r.chance(0.5) { "REJ" } else { "S0" };
                    out.push(act(t, Some(8), tcp(r, ws, api, 443, "-", 0.0, 0, 0, state)));
                }
            }
            if w.index(m) % 5 == 0 {
                out.push(act(
                    t0,
                    Some(8),
                    tcp(
                        r,
                        api,
                        org.hosts[org::DB_HOST].ip,
                        5432,
                        "-",
                        0.0,
                        0,
                        0,
                        "REJ",
                    ),
                ));
            }
        }
    }
}
