//! The organization and the activity records that scenarios and the
//! baseline produce. Writers turn activities into log lines; the ground
//! truth is built from the activities that carry a step label.
//!
//! Additive changes only: fields may be added (writers and scenarios are
//! written by different people against this file).

use std::net::Ipv4Addr;

use phiwatch_event::Timestamp;

/// What kind of machine a host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// A staff workstation.
    Workstation,
    /// The PostgreSQL server of the EHR.
    Database,
    /// The EHR's FHIR API server (behind nginx).
    EhrApi,
    /// A file server (staging area for exports).
    FileServer,
    /// The internal DNS resolver.
    Resolver,
    /// The backup server.
    Backup,
    /// A jump host vendors connect through.
    VendorGateway,
}

/// An internal host.
#[derive(Debug, Clone)]
pub struct Host {
    /// Short name (`ws-0042`, `db-ehr-01`).
    pub name: String,
    /// Address in 10.0.0.0/8.
    pub ip: Ipv4Addr,
    /// What it is.
    pub kind: HostKind,
}

/// A person's or account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Physician.
    Clinician,
    /// Emergency physician (busy, reads many charts: a decoy).
    EmergencyPhysician,
    /// Nurse.
    Nurse,
    /// Billing staff.
    Billing,
    /// IT administrator.
    ItAdmin,
    /// A service account (EHR app, backup, BI extract).
    Service,
    /// A vendor's account.
    Vendor,
}

/// A user or account.
#[derive(Debug, Clone)]
pub struct Person {
    /// Login name (`dr.alvarez`, `svc_backup`, `acme.support`).
    pub username: String,
    /// Display name (fictional).
    pub display: String,
    /// Role.
    pub role: Role,
    /// Email at the organization's (or the vendor's) domain.
    pub email: String,
    /// Okta user id (`00u…`).
    pub okta_id: String,
    /// The workstation or server they work from (index into `Org::hosts`).
    pub host: usize,
    /// Their database login, when they have one.
    pub db_user: Option<String>,
    /// Index into `Org::vendors` for vendor accounts.
    pub vendor: Option<usize>,
}

/// A vendor with access.
#[derive(Debug, Clone)]
pub struct Vendor {
    /// Name (`Acme Billing Services`).
    pub name: String,
    /// Their email domain.
    pub domain: String,
    /// The networks they connect from (documentation ranges).
    pub networks: Vec<String>,
}

/// A patient (the patients CSV of the inventory).
#[derive(Debug, Clone)]
pub struct Patient {
    /// Id used in the EHR and in FHIR references (`pt-000123`).
    pub id: String,
    /// Two-letter US state of residence.
    pub state: &'static str,
    /// Whether the patient is deceased.
    pub deceased: bool,
    /// Whether current contact details are on file.
    pub contact: bool,
}

/// A data silo of the inventory file.
#[derive(Debug, Clone)]
pub struct Silo {
    /// Name shown in reports (`ehr.patients`).
    pub name: String,
    /// `table`, `bucket`, `path` or `api`.
    pub kind: &'static str,
    /// The match table of the inventory (`db`/`table`, `bucket`/`prefix`,
    /// `host`/`path`, `resource`), as TOML key/value pairs.
    pub matcher: Vec<(&'static str, String)>,
    /// PHI categories.
    pub categories: Vec<&'static str>,
}

/// An external destination (SaaS, update servers, attackers).
#[derive(Debug, Clone)]
pub struct Site {
    /// DNS name.
    pub domain: String,
    /// Address (documentation or plausible public ranges, never a real
    /// service's address).
    pub ip: Ipv4Addr,
}

/// The whole organization.
#[derive(Debug, Clone)]
pub struct Org {
    /// Organization name (fictional).
    pub name: String,
    /// Its email / DNS domain.
    pub domain: String,
    /// Internal hosts; servers first.
    pub hosts: Vec<Host>,
    /// Users and accounts.
    pub people: Vec<Person>,
    /// Vendors.
    pub vendors: Vec<Vendor>,
    /// Patients.
    pub patients: Vec<Patient>,
    /// Data silos.
    pub silos: Vec<Silo>,
    /// Ordinary external destinations.
    pub sites: Vec<Site>,
    /// The AWS account id of the organization (12 digits).
    pub aws_account: String,
    /// The S3 bucket holding PHI exports.
    pub phi_bucket: String,
}

/// A labeled attack step, as the ground truth lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// Stable id within the scenario (`vc-01-spray`).
    pub id: &'static str,
    /// What happens.
    pub name: &'static str,
    /// ATT&CK tactic (`TA0006`).
    pub tactic: &'static str,
    /// ATT&CK techniques (`T1110.003`).
    pub techniques: &'static [&'static str],
}

/// Something that happened, to be written to one or more logs.
#[derive(Debug, Clone)]
pub struct Activity {
    /// When (UTC).
    pub time: Timestamp,
    /// The attack step this belongs to (index into the scenario's steps),
    /// `None` for ordinary activity and decoys.
    pub step: Option<usize>,
    /// What it was.
    pub kind: Kind,
}

/// The kinds of activity, one per log family.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A network connection (Zeek conn.log; with `server_name` also ssl.log,
    /// with `http` also http.log).
    Conn(Conn),
    /// A DNS query (Zeek dns.log).
    Dns(Dns),
    /// A database event (PostgreSQL log with pgAudit).
    Db(Db),
    /// An EHR API access (FHIR AuditEvent, and an nginx access-log line).
    Fhir(Fhir),
    /// An identity event (Okta System Log).
    Okta(Okta),
    /// An AWS API call (CloudTrail; S3 data events for GetObject/PutObject).
    Aws(Aws),
}

/// A network connection.
#[derive(Debug, Clone)]
pub struct Conn {
    /// Originator.
    pub src: Ipv4Addr,
    /// Originator port.
    pub src_port: u16,
    /// Responder.
    pub dst: Ipv4Addr,
    /// Responder port.
    pub dst_port: u16,
    /// `tcp` or `udp`.
    pub proto: &'static str,
    /// Zeek service (`ssl`, `http`, `dns`, `ssh`, `postgresql`, or `-`).
    pub service: &'static str,
    /// Seconds.
    pub duration: f64,
    /// Bytes sent by the originator.
    pub orig_bytes: u64,
    /// Bytes sent by the responder.
    pub resp_bytes: u64,
    /// Zeek conn_state (`SF`, `S0`, `REJ`, …).
    pub state: &'static str,
    /// TLS SNI, when the connection is TLS (adds an ssl.log record).
    pub server_name: Option<String>,
    /// HTTP request on the connection (adds an http.log record).
    pub http: Option<HttpReq>,
}

/// An HTTP request seen on the wire.
#[derive(Debug, Clone)]
pub struct HttpReq {
    /// Method.
    pub method: &'static str,
    /// Host header.
    pub host: String,
    /// Path and query.
    pub uri: String,
    /// Status.
    pub status: u16,
    /// User agent.
    pub user_agent: String,
}

/// A DNS query.
#[derive(Debug, Clone)]
pub struct Dns {
    /// Client.
    pub src: Ipv4Addr,
    /// Resolver.
    pub resolver: Ipv4Addr,
    /// Queried name.
    pub query: String,
    /// `A`, `AAAA`, `TXT`, `NULL`, `CNAME`, …
    pub qtype: &'static str,
    /// Answers.
    pub answers: Vec<String>,
    /// `NOERROR`, `NXDOMAIN`, …
    pub rcode: &'static str,
}

/// A database event.
#[derive(Debug, Clone)]
pub struct Db {
    /// Backend pid (a session).
    pub pid: u32,
    /// Database user.
    pub user: String,
    /// Database.
    pub database: String,
    /// Client address and port.
    pub client: (Ipv4Addr, u16),
    /// Client application (`psql`, `pg_dump`, `ehr-app`).
    pub application: String,
    /// What happened.
    pub what: DbWhat,
}

/// Database event kinds.
#[derive(Debug, Clone)]
pub enum DbWhat {
    /// Session start (connection received + authorized lines).
    Connect,
    /// A failed password authentication.
    AuthFailed,
    /// An audited statement: class (READ, WRITE, …), command (SELECT,
    /// COPY, …), object (`ehr.patients`, or empty as pgAudit leaves it for
    /// `COPY … TO stdout`), statement, rows returned or affected.
    Audit {
        /// pgAudit class.
        class: &'static str,
        /// Command.
        command: &'static str,
        /// Object name or empty.
        object: String,
        /// SQL text.
        statement: String,
        /// Rows (pgaudit.log_rows).
        rows: u64,
    },
    /// Session end.
    Disconnect,
}

/// An EHR API access: a FHIR AuditEvent and the nginx access-log line of
/// the same request.
#[derive(Debug, Clone)]
pub struct Fhir {
    /// Requesting user or client (`dr.alvarez`, `acme-sync`).
    pub agent: String,
    /// Whether the agent is an application (a bulk-data client).
    pub app: bool,
    /// Client address.
    pub client: Ipv4Addr,
    /// Interaction: `read`, `search-type`, `$export`, `create`, `update`.
    pub interaction: &'static str,
    /// Resource type (`Patient`, `Observation`, `Group`).
    pub resource: &'static str,
    /// Patients touched.
    pub patients: Vec<String>,
    /// HTTP path and query (`/fhir/Patient/pt-000123`).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Response bytes.
    pub bytes: u64,
    /// User agent.
    pub user_agent: String,
}

/// An identity event.
#[derive(Debug, Clone)]
pub struct Okta {
    /// Okta event type (`user.session.start`, `user.authentication.auth_via_mfa`,
    /// `user.account.lock`, …).
    pub event_type: &'static str,
    /// The user (login / email).
    pub user: String,
    /// The user's Okta id.
    pub user_id: String,
    /// Client address.
    pub ip: Ipv4Addr,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: &'static str,
    /// Failure reason.
    pub reason: Option<&'static str>,
    /// Whether MFA was used (None: not an authentication).
    pub mfa: Option<bool>,
    /// Country and city of the client.
    pub geo: (&'static str, &'static str),
    /// Autonomous system number and organization of the client.
    pub asn: (u32, &'static str),
    /// User agent.
    pub user_agent: String,
}

/// An AWS API call.
#[derive(Debug, Clone)]
pub struct Aws {
    /// `s3.amazonaws.com`, `iam.amazonaws.com`, `sts.amazonaws.com`, …
    pub source: &'static str,
    /// `GetObject`, `PutObject`, `ListObjects`, `ConsoleLogin`, …
    pub name: &'static str,
    /// IAM user or role session name.
    pub principal: String,
    /// `IAMUser` or `AssumedRole`.
    pub principal_type: &'static str,
    /// Caller address.
    pub ip: Ipv4Addr,
    /// Bucket and key for S3 data events.
    pub object: Option<(String, String)>,
    /// Bytes transferred out (GetObject) or in (PutObject).
    pub bytes: u64,
    /// Error code when the call failed.
    pub error: Option<&'static str>,
    /// Whether MFA was used (console logins).
    pub mfa: Option<bool>,
}
