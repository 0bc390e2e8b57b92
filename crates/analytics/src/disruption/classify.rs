//! What one event says about a service: which service answered (or failed
//! to answer) which client.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, ValueRef};

use super::Config;
use crate::net::{in_any, Cidr};

/// Where an observation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A web access log record (HTTP status).
    Http,
    /// A FHIR AuditEvent (its outcome code).
    Fhir,
    /// A Zeek connection record (its `conn_state`).
    Conn,
}

impl Kind {
    /// As shown in a hit's group.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Http => "web access log",
            Kind::Fhir => "FHIR AuditEvent",
            Kind::Conn => "Zeek conn",
        }
    }

    /// From the service text's form (the inverse of [`observe`]'s naming).
    pub(crate) fn of_service(service: &str) -> Kind {
        if service == FHIR_SERVICE {
            Kind::Fhir
        } else if service.starts_with("http ") {
            Kind::Http
        } else {
            Kind::Conn
        }
    }
}

/// The service of every FHIR AuditEvent of one server.
pub(crate) const FHIR_SERVICE: &str = "fhir";
/// The server when a web log names none.
pub(crate) const NO_SERVER: &str = "-";

/// One request (or connection attempt) to a service.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Obs {
    /// The server: an address or a host name (`-` when the log names none).
    pub(crate) server: String,
    /// The service on it: `tcp/443`, `http /fhir`, `fhir`.
    pub(crate) service: String,
    /// Who asked: an address, else a user name.
    pub(crate) client: Option<String>,
    /// Whether the service failed to answer.
    pub(crate) failed: bool,
}

fn text<'a>(ev: &'a Event, ks: &[phiwatch_event::Key]) -> Option<&'a str> {
    ks.iter().find_map(|&k| {
        ev.get(k)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "-")
    })
}

/// Longest server name kept, in characters.
const MAX_NAME: usize = 255;

/// Server names come from the logs: keep them short.
fn bounded(s: String) -> String {
    if s.len() <= MAX_NAME {
        return s;
    }
    s.chars().take(MAX_NAME).collect()
}

fn ip_of(ev: &Event, ks: &[phiwatch_event::Key]) -> Option<IpAddr> {
    ks.iter().find_map(|&k| ev.get(k).and_then(|v| v.as_ip()))
}

fn client_of(ev: &Event) -> Option<String> {
    ip_of(ev, &[keys::SOURCE_IP, keys::CLIENT_IP])
        .map(|ip| ip.to_string())
        .or_else(|| text(ev, &[keys::USER_NAME, keys::USER_ID]).map(str::to_string))
}

/// The service a web request went to: the first segment of its path
/// (`/fhir/Patient/1` → `http /fhir`), so that one failing application on
/// a shared server is seen apart from the others.
fn http_service(ev: &Event) -> String {
    let path = text(ev, &[keys::URL_PATH, keys::URL_ORIGINAL]).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    // Keep it short: the name is attacker-influenced.
    let first: String = first.chars().take(64).collect();
    format!("http /{first}")
}

/// The FHIR AuditEvent outcome code (`outcome`, R4; `outcome.code.code`,
/// R5), if any.
fn fhir_outcome(ev: &Event) -> Option<i64> {
    ["outcome", "outcome.code.code"]
        .iter()
        .find_map(|n| ev.get_raw(n).and_then(|v| v.as_i64()))
}

/// What `ev` says about a service, if anything.
pub(crate) fn observe(ev: &Event, c: &Config, internal: &[Cidr]) -> Option<Obs> {
    if let Some(status) = ev.get(keys::HTTP_RESPONSE_STATUS_CODE) {
        let status = status.as_i64()?;
        let dst = ip_of(ev, &[keys::DESTINATION_IP, keys::SERVER_IP]);
        // A request to the Internet (Zeek http.log) is not ours to watch.
        if dst.is_some_and(|ip| !in_any(internal, ip)) {
            return None;
        }
        let server = dst
            .map(|ip| ip.to_string())
            .or_else(|| {
                text(
                    ev,
                    &[
                        keys::URL_DOMAIN,
                        keys::SERVER_ADDRESS,
                        keys::HOST_NAME,
                        keys::OBSERVER_HOSTNAME,
                    ],
                )
                .map(str::to_string)
            })
            .unwrap_or_else(|| NO_SERVER.to_string());
        return Some(Obs {
            server: bounded(server),
            service: http_service(ev),
            client: client_of(ev),
            failed: c.http_failures.iter().any(|&s| i64::from(s) == status),
        });
    }
    let dataset = ev.get(keys::EVENT_DATASET).and_then(|v| v.as_str());
    let module = ev.get(keys::EVENT_MODULE).and_then(|v| v.as_str());
    if dataset == Some("fhir.audit") || module == Some("fhir") {
        let server = text(
            ev,
            &[
                keys::OBSERVER_HOSTNAME,
                keys::OBSERVER_NAME,
                keys::HOST_NAME,
            ],
        )
        .map_or_else(|| NO_SERVER.to_string(), |s| bounded(s.to_string()));
        let failed = fhir_outcome(ev).is_some_and(|o| c.fhir_failure_outcomes.contains(&o));
        return Some(Obs {
            server,
            service: FHIR_SERVICE.to_string(),
            client: client_of(ev),
            failed,
        });
    }
    let state = match ev.get_raw("conn_state") {
        Some(ValueRef::Str(s)) => s,
        _ => return None,
    };
    let tcp = ev
        .get(keys::NETWORK_TRANSPORT)
        .and_then(|v| v.as_str())
        .or_else(|| ev.get_raw("proto").and_then(|v| v.as_str()))
        .is_some_and(|p| p.eq_ignore_ascii_case("tcp"));
    if !tcp {
        return None;
    }
    let dst = ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip())?;
    if !in_any(internal, dst) {
        return None;
    }
    let port = ev.get(keys::DESTINATION_PORT).and_then(|v| v.as_i64())?;
    Some(Obs {
        server: dst.to_string(),
        service: format!("tcp/{port}"),
        client: client_of(ev),
        failed: c.conn_failure_states.iter().any(|s| s == state),
    })
}
