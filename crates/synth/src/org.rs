//! The organization: hosts, people, vendors, patients, silos and ordinary
//! external sites, a pure function of the seed and the scale.

use std::net::Ipv4Addr;

use crate::model::{Host, HostKind, Org, Patient, Person, Role, Silo, Site, Vendor};
use crate::{GenConfig, Rng, Scale};

/// Index of each server in `Org::hosts` (servers come first, in this order).
pub const DB_HOST: usize = 0;
/// The EHR's FHIR API server.
pub const EHR_API_HOST: usize = 1;
/// The file server.
pub const FILE_HOST: usize = 2;
/// The internal resolver.
pub const RESOLVER_HOST: usize = 3;
/// The backup server.
pub const BACKUP_HOST: usize = 4;
/// The vendor jump host.
pub const GATEWAY_HOST: usize = 5;
/// The first workstation.
pub const FIRST_WORKSTATION: usize = 6;

/// The software-update site (large downloads, a decoy).
pub const SITE_UPDATES: usize = 0;
/// The video-conferencing site (long large flows, a decoy).
pub const SITE_VIDEO: usize = 1;
/// The object-storage site that S3 traffic goes to.
pub const SITE_STORAGE: usize = 2;
/// The identity provider (Okta) site.
pub const SITE_IDP: usize = 3;

/// Workstations at each scale.
pub fn workstations(scale: Scale) -> usize {
    match scale {
        Scale::Small => 50,
        Scale::Medium => 600,
        Scale::Large => 2_500,
        Scale::Huge => 5_000,
    }
}

/// Patients at each scale.
pub fn patient_count(scale: Scale) -> usize {
    match scale {
        Scale::Small => 5_000,
        Scale::Medium => 100_000,
        Scale::Large => 600_000,
        Scale::Huge => 2_000_000,
    }
}

/// The id of patient `i` (`pt-0000123`).
pub fn patient_id(i: usize) -> String {
    format!("pt-{i:07}")
}

const FIRST: &[&str] = &[
    "Ala", "Bexi", "Caro", "Dova", "Eli", "Fen", "Gari", "Hollo", "Ines", "Joru", "Kael", "Lumi",
    "Maro", "Nedi", "Oska", "Pella", "Quen", "Rafi", "Sela", "Tovi", "Ulla", "Vero", "Wen", "Yara",
    "Zeno",
];
const LAST_A: &[&str] = &[
    "Al", "Bran", "Cor", "Dal", "Es", "Fal", "Gor", "Hal", "Ist", "Jen", "Kor", "Lor", "Mar",
    "Nor", "Or", "Pel", "Quar", "Ros", "Sten", "Tal", "Ur", "Val", "Wes", "Yor",
];
const LAST_B: &[&str] = &[
    "varo", "dena", "ketti", "mont", "ridge", "sella", "tano", "wick", "zeni", "bury", "lund",
    "maris",
];

/// States of residence, weighted toward a few (the hospital's region).
const STATES: &[(&str, u32)] = &[
    ("MA", 46),
    ("NH", 14),
    ("RI", 9),
    ("CT", 7),
    ("ME", 5),
    ("VT", 4),
    ("NY", 4),
    ("CA", 2),
    ("FL", 2),
    ("TX", 2),
    ("NJ", 2),
    ("PA", 1),
    ("IL", 1),
    ("WA", 1),
];

fn state(r: &mut Rng) -> &'static str {
    let total: u32 = STATES.iter().map(|s| s.1).sum();
    let mut x = r.below(u64::from(total)) as u32;
    for (s, w) in STATES {
        if x < *w {
            return s;
        }
        x -= w;
    }
    "MA"
}

fn okta_id(r: &mut Rng) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut s = String::from("00u");
    for _ in 0..17 {
        s.push(char::from(A[r.below(A.len() as u64) as usize]));
    }
    s
}

/// The vendors: name, domain, network, account local parts.
const VENDORS: &[(&str, &str, &str, &[&str])] = &[
    (
        "Acme Billing Services",
        "acme-billing.example",
        "192.0.2.16/28",
        &["acme.support", "acme.ops", "acme.sync"],
    ),
    (
        "Globex Imaging",
        "globex-imaging.example",
        "192.0.2.32/28",
        &["globex.field"],
    ),
    (
        "Initech Transcription",
        "initech-transcribe.example",
        "192.0.2.48/28",
        &["initech.tx", "initech.qa"],
    ),
];

/// Ordinary external sites (the first four have fixed roles, see the
/// `SITE_*` constants).
const SITES: &[&str] = &[
    "updates.softvendor.example",
    "meet.videoconf.example",
    "storage.cloudprovider.example",
    "examplehealth.okta.example",
    "mail.saasmail.example",
    "docs.officesuite.example",
    "crm.example.com",
    "news.example.net",
    "weather.example.org",
    "cdn.assets.example",
    "pharmacy-portal.example.com",
    "labs.partner-lab.example",
    "payer-gateway.example.org",
    "telemetry.osvendor.example",
    "learning.cme-courses.example",
    "maps.example.net",
    "chat.teamchat.example",
    "search.example.com",
    "ntp.timeservice.example",
    "calendar.officesuite.example",
];

/// Builds the organization for `cfg` (deterministic in seed and scale).
pub fn build(cfg: &GenConfig) -> Org {
    let root = Rng::new(cfg.seed).fork("org");
    let mut r = root.fork("people");
    let nws = workstations(cfg.scale);

    let mut hosts = vec![
        Host {
            name: "db-ehr-01".into(),
            ip: Ipv4Addr::new(10, 0, 1, 10),
            kind: HostKind::Database,
        },
        Host {
            name: "ehr-api-01".into(),
            ip: Ipv4Addr::new(10, 0, 1, 20),
            kind: HostKind::EhrApi,
        },
        Host {
            name: "fs-01".into(),
            ip: Ipv4Addr::new(10, 0, 1, 30),
            kind: HostKind::FileServer,
        },
        Host {
            name: "dns-01".into(),
            ip: Ipv4Addr::new(10, 0, 1, 53),
            kind: HostKind::Resolver,
        },
        Host {
            name: "backup-01".into(),
            ip: Ipv4Addr::new(10, 0, 1, 40),
            kind: HostKind::Backup,
        },
        Host {
            name: "vgw-01".into(),
            ip: Ipv4Addr::new(10, 0, 2, 10),
            kind: HostKind::VendorGateway,
        },
    ];
    // Workstations spread over 10.1.0.0/16 .. with a seed-dependent start.
    let base = r.below(200) as usize;
    for i in 0..nws {
        let n = base + i;
        hosts.push(Host {
            name: format!("ws-{:04}", i + 1),
            ip: Ipv4Addr::new(
                10,
                (1 + n / 250 / 250) as u8,
                (n / 250 % 250) as u8,
                (n % 250 + 2) as u8,
            ),
            kind: HostKind::Workstation,
        });
    }

    let domain = "examplehealth.example".to_string();
    let mut people = Vec::new();
    let mut used = std::collections::HashSet::new();
    for i in 0..nws {
        const PATTERN: [Role; 20] = [
            Role::Clinician,
            Role::Nurse,
            Role::Billing,
            Role::Nurse,
            Role::EmergencyPhysician,
            Role::Clinician,
            Role::Nurse,
            Role::ItAdmin,
            Role::Clinician,
            Role::Nurse,
            Role::Billing,
            Role::Nurse,
            Role::Clinician,
            Role::Nurse,
            Role::Clinician,
            Role::Nurse,
            Role::Billing,
            Role::Nurse,
            Role::Clinician,
            Role::Nurse,
        ];
        let role = PATTERN[i % PATTERN.len()];
        let first = *r.pick(FIRST).unwrap_or(&"Ala");
        let last = format!(
            "{}{}",
            r.pick(LAST_A).unwrap_or(&"Al"),
            r.pick(LAST_B).unwrap_or(&"varo")
        );
        let stem = match role {
            Role::Clinician | Role::EmergencyPhysician => format!("dr.{}", last.to_lowercase()),
            _ => format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
        };
        let mut username = stem.clone();
        let mut k = 2;
        while !used.insert(username.clone()) {
            username = format!("{stem}{k}");
            k += 1;
        }
        let db_user = match role {
            Role::Billing | Role::ItAdmin => Some(username.replace('.', "_")),
            _ => None,
        };
        people.push(Person {
            email: format!("{username}@{domain}"),
            display: format!("{first} {last}"),
            username,
            role,
            okta_id: okta_id(&mut r),
            host: FIRST_WORKSTATION + i,
            db_user,
            vendor: None,
        });
    }
    for (name, host, display) in [
        ("svc_ehr", EHR_API_HOST, "EHR application"),
        ("svc_backup", BACKUP_HOST, "Backup service"),
        ("svc_bi", FILE_HOST, "BI extract service"),
    ] {
        people.push(Person {
            username: name.into(),
            display: display.into(),
            role: Role::Service,
            email: format!("{name}@{domain}"),
            okta_id: okta_id(&mut r),
            host,
            db_user: Some(name.into()),
            vendor: None,
        });
    }

    // 2–3 vendors (Acme always, it is the one compromised).
    let nvendors = 2 + r.below(2) as usize;
    let mut vendors = Vec::new();
    for (vi, (name, vdomain, net, accounts)) in VENDORS.iter().take(nvendors).enumerate() {
        vendors.push(Vendor {
            name: (*name).into(),
            domain: (*vdomain).into(),
            networks: vec![(*net).into()],
        });
        for local in accounts.iter() {
            people.push(Person {
                username: format!("{local}@{vdomain}"),
                display: format!("{name} ({local})"),
                role: Role::Vendor,
                email: format!("{local}@{vdomain}"),
                okta_id: okta_id(&mut r),
                host: GATEWAY_HOST,
                db_user: Some(local.replace('.', "_")),
                vendor: Some(vi),
            });
        }
    }

    let mut pr = root.fork("patients");
    let np = patient_count(cfg.scale);
    let patients = (0..np)
        .map(|i| Patient {
            id: patient_id(i),
            state: state(&mut pr),
            deceased: pr.chance(0.04),
            contact: !pr.chance(0.07),
        })
        .collect();

    let mut sr = root.fork("sites");
    let sites = SITES
        .iter()
        .enumerate()
        .map(|(i, d)| Site {
            domain: (*d).into(),
            ip: Ipv4Addr::new(198, 51, 100, (10 + i * 7 + sr.below(5) as usize) as u8),
        })
        .collect();

    let phi_bucket = format!(
        "examplehealth-phi-exports-{:04}",
        root.fork("bucket").below(10_000)
    );
    let ehr_cats = || vec!["name", "address", "dob", "ssn", "insurance", "clinical"];
    let silos = vec![
        Silo {
            name: "ehr.patients".into(),
            kind: "table",
            matcher: vec![("db", "ehr".into()), ("table", "patients".into())],
            categories: vec![
                "name",
                "address",
                "dob",
                "ssn",
                "insurance",
                "clinical",
                "financial",
            ],
        },
        Silo {
            name: "ehr.encounters".into(),
            kind: "table",
            matcher: vec![("db", "ehr".into()), ("table", "encounters".into())],
            categories: vec!["name", "dob", "clinical"],
        },
        Silo {
            name: "ehr.notes".into(),
            kind: "table",
            matcher: vec![("db", "ehr".into()), ("table", "notes".into())],
            categories: vec!["name", "clinical"],
        },
        Silo {
            name: "billing.claims".into(),
            kind: "table",
            matcher: vec![("db", "billing".into()), ("table", "claims".into())],
            categories: vec!["name", "address", "insurance", "financial"],
        },
        Silo {
            name: "s3.phi-exports".into(),
            kind: "bucket",
            matcher: vec![
                ("bucket", phi_bucket.clone()),
                ("prefix", "exports/".into()),
            ],
            categories: ehr_cats(),
        },
        Silo {
            name: "fs.exports".into(),
            kind: "path",
            matcher: vec![("host", "fs-01".into()), ("path", "/share/exports".into())],
            categories: ehr_cats(),
        },
        Silo {
            name: "fhir.Patient".into(),
            kind: "api",
            matcher: vec![("resource", "Patient".into())],
            categories: vec!["name", "address", "dob", "clinical"],
        },
    ];

    Org {
        name: "Example General Hospital".into(),
        domain,
        hosts,
        people,
        vendors,
        patients,
        silos,
        sites,
        aws_account: format!("{:012}", root.fork("aws").below(1_000_000_000_000)),
        phi_bucket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(seed: u64) -> GenConfig {
        GenConfig {
            seed,
            ..GenConfig::default()
        }
    }

    #[test]
    fn deterministic() {
        let a = build(&cfg(7));
        let b = build(&cfg(7));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn seed_changes_org() {
        let a = build(&cfg(7));
        let b = build(&cfg(8));
        assert_ne!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn shape() {
        let o = build(&cfg(1));
        assert_eq!(o.hosts[DB_HOST].kind, HostKind::Database);
        assert_eq!(o.hosts[GATEWAY_HOST].kind, HostKind::VendorGateway);
        assert_eq!(o.hosts.len(), FIRST_WORKSTATION + 50);
        assert_eq!(o.patients.len(), 5_000);
        assert!(o
            .people
            .iter()
            .any(|p| p.username == "acme.support@acme-billing.example"));
        for svc in ["svc_ehr", "svc_backup", "svc_bi"] {
            assert!(o.people.iter().any(|p| p.username == svc));
        }
        for role in [
            Role::Clinician,
            Role::EmergencyPhysician,
            Role::Nurse,
            Role::Billing,
            Role::ItAdmin,
        ] {
            assert!(o.people.iter().any(|p| p.role == role), "{role:?}");
        }
        assert!((2..=3).contains(&o.vendors.len()));
        assert!(o.patients.iter().any(|p| p.deceased));
        assert!(o.patients.iter().any(|p| !p.contact));
        let names: std::collections::HashSet<_> = o.people.iter().map(|p| &p.username).collect();
        assert_eq!(names.len(), o.people.len());
    }
}
