//! Builders of single activities of each kind: TLS and TCP connections,
//! DNS answers, FHIR accesses, database events and audited statements,
//! Okta events, and the user agents they carry.

use std::net::Ipv4Addr;

use crate::model::{Conn, Db, DbWhat, Dns, Fhir, Kind, Okta, Org};
use crate::org::RESOLVER_HOST;
use crate::Rng;

/// A desktop browser.
pub(super) const BROWSER_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
/// The EHR's web client.
pub(super) const EHR_UA: &str = "EHRWeb/4.2 (Windows NT 10.0; Win64; x64)";

/// An ephemeral port.
pub(crate) fn eport(r: &mut Rng) -> u16 {
    r.range(49_152, 65_535) as u16
}

/// A TLS connection with SNI.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tls(
    r: &mut Rng,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sni: &str,
    duration: f64,
    orig_bytes: u64,
    resp_bytes: u64,
) -> Kind {
    Kind::Conn(Conn {
        src,
        src_port: eport(r),
        dst,
        dst_port: 443,
        proto: "tcp",
        service: "ssl",
        duration,
        orig_bytes,
        resp_bytes,
        state: "SF",
        server_name: Some(sni.to_string()),
        http: None,
    })
}

/// A plain TCP connection.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tcp(
    r: &mut Rng,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    port: u16,
    service: &'static str,
    duration: f64,
    orig_bytes: u64,
    resp_bytes: u64,
    state: &'static str,
) -> Kind {
    Kind::Conn(Conn {
        src,
        src_port: eport(r),
        dst,
        dst_port: port,
        proto: "tcp",
        service,
        duration,
        orig_bytes,
        resp_bytes,
        state,
        server_name: None,
        http: None,
    })
}

/// An `A` query answered with `ip`.
pub(crate) fn dns_a(org: &Org, src: Ipv4Addr, name: &str, ip: Ipv4Addr) -> Kind {
    Kind::Dns(Dns {
        src,
        resolver: org.hosts[RESOLVER_HOST].ip,
        query: name.to_string(),
        qtype: "A",
        answers: vec![ip.to_string()],
        rcode: "NOERROR",
    })
}

/// A FHIR access to one patient.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fhir(
    agent: &str,
    app: bool,
    client: Ipv4Addr,
    interaction: &'static str,
    resource: &'static str,
    patients: Vec<String>,
    path: String,
    status: u16,
    bytes: u64,
    ua: &str,
) -> Kind {
    Kind::Fhir(Fhir {
        agent: agent.to_string(),
        app,
        client,
        interaction,
        resource,
        patients,
        path,
        status,
        bytes,
        user_agent: ua.to_string(),
    })
}

/// A database event.
pub(crate) fn db(
    pid: u32,
    user: &str,
    database: &str,
    client: (Ipv4Addr, u16),
    application: &str,
    what: DbWhat,
) -> Kind {
    Kind::Db(Db {
        pid,
        user: user.to_string(),
        database: database.to_string(),
        client,
        application: application.to_string(),
        what,
    })
}

/// An audited statement.
pub(crate) fn audit(
    class: &'static str,
    command: &'static str,
    object: &str,
    statement: String,
    rows: u64,
) -> DbWhat {
    DbWhat::Audit {
        class,
        command,
        object: object.to_string(),
        statement,
        rows,
    }
}

/// An Okta event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn okta(
    event_type: &'static str,
    user: &str,
    user_id: &str,
    ip: Ipv4Addr,
    outcome: &'static str,
    reason: Option<&'static str>,
    mfa: Option<bool>,
    geo: (&'static str, &'static str),
    asn: (u32, &'static str),
    ua: &str,
) -> Kind {
    Kind::Okta(Okta {
        event_type,
        user: user.to_string(),
        user_id: user_id.to_string(),
        ip,
        outcome,
        reason,
        mfa,
        geo,
        asn,
        user_agent: ua.to_string(),
    })
}
