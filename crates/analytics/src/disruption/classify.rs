//! What one event says about a service: which service answered (or failed
//! to answer) which client.

use std::fmt::Write as _;
use std::net::IpAddr;

use phiwatch_event::{keys, Event, ValueRef};

use super::Config;
use crate::net::{in_any, Cidr};
use crate::seen::{first_text, RawField};

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

/// The raw fields read, resolved once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    conn_state: RawField,
    proto: RawField,
    outcome: RawField,
    outcome_code: RawField,
}

impl Raw {
    pub(crate) fn new() -> Raw {
        Raw {
            conn_state: RawField::new("conn_state"),
            proto: RawField::new("proto"),
            outcome: RawField::new("outcome"),
            outcome_code: RawField::new("outcome.code.code"),
        }
    }
}

/// Longest server name kept, in characters.
const MAX_NAME: usize = 255;

/// Server names come from the logs: keep them short.
fn bounded(s: &mut String) {
    if s.len() > MAX_NAME {
        if let Some((i, _)) = s.char_indices().nth(MAX_NAME) {
            s.truncate(i);
        }
    }
}

fn ip_of(ev: &Event, ks: &[phiwatch_event::Key]) -> Option<IpAddr> {
    ks.iter().find_map(|&k| ev.get(k).and_then(|v| v.as_ip()))
}

/// The client of a request: `source.ip`/`client.ip`, else the user name.
pub(crate) fn client_of(ev: &Event) -> Option<String> {
    ip_of(ev, &[keys::SOURCE_IP, keys::CLIENT_IP])
        .map(|ip| ip.to_string())
        .or_else(|| first_text(ev, &[keys::USER_NAME, keys::USER_ID]).map(str::to_string))
}

/// Writes the service a web request went to: the first segment of its
/// path (`/fhir/Patient/1` → `http /fhir`), so that one failing
/// application on a shared server is seen apart from the others.
fn http_service(ev: &Event, out: &mut String) {
    let path = first_text(ev, &[keys::URL_PATH, keys::URL_ORIGINAL]).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    out.push_str("http /");
    // Keep it short: the name is attacker-influenced.
    out.extend(first.chars().take(64));
}

/// The FHIR AuditEvent outcome code (`outcome`, R4; `outcome.code.code`,
/// R5), if any.
fn fhir_outcome(ev: &Event, raw: &Raw) -> Option<i64> {
    [raw.outcome, raw.outcome_code]
        .iter()
        .find_map(|f| f.get(ev).and_then(|v| v.as_i64()))
}

/// What `ev` says about a service, if anything: whether the service failed
/// to answer, with the server (an address or a host name, `-` when the log
/// names none) written to `server` and the service on it (`tcp/443`,
/// `http /fhir`, `fhir`) to `service`.
pub(crate) fn observe(
    ev: &Event,
    c: &Config,
    internal: &[Cidr],
    raw: &Raw,
    server: &mut String,
    service: &mut String,
) -> Option<bool> {
    server.clear();
    service.clear();
    let dataset = ev.get(keys::EVENT_DATASET).and_then(|v| v.as_str());
    // A Zeek connection record carries no HTTP status: straight to its
    // kind.
    if dataset == Some("zeek.conn") {
        return conn(ev, c, internal, raw, server, service);
    }
    if let Some(status) = ev.get(keys::HTTP_RESPONSE_STATUS_CODE) {
        let status = status.as_i64()?;
        let dst = ip_of(ev, &[keys::DESTINATION_IP, keys::SERVER_IP]);
        // A request to the Internet (Zeek http.log) is not ours to watch.
        if dst.is_some_and(|ip| !in_any(internal, ip)) {
            return None;
        }
        match dst {
            Some(ip) => {
                let _ = write!(server, "{ip}");
            }
            None => server.push_str(
                first_text(
                    ev,
                    &[
                        keys::URL_DOMAIN,
                        keys::SERVER_ADDRESS,
                        keys::HOST_NAME,
                        keys::OBSERVER_HOSTNAME,
                    ],
                )
                .unwrap_or(NO_SERVER),
            ),
        }
        bounded(server);
        http_service(ev, service);
        return Some(c.http_failures.iter().any(|&s| i64::from(s) == status));
    }
    let module = ev.get(keys::EVENT_MODULE).and_then(|v| v.as_str());
    if dataset == Some("fhir.audit") || module == Some("fhir") {
        return fhir(ev, c, raw, server, service);
    }
    conn(ev, c, internal, raw, server, service)
}

/// A FHIR AuditEvent: the FHIR service of its server.
fn fhir(
    ev: &Event,
    c: &Config,
    raw: &Raw,
    server: &mut String,
    service: &mut String,
) -> Option<bool> {
    let name = first_text(
        ev,
        &[
            keys::OBSERVER_HOSTNAME,
            keys::OBSERVER_NAME,
            keys::HOST_NAME,
        ],
    );
    match name {
        Some(n) => {
            server.push_str(n);
            bounded(server);
        }
        None => server.push_str(NO_SERVER),
    }
    service.push_str(FHIR_SERVICE);
    Some(fhir_outcome(ev, raw).is_some_and(|o| c.fhir_failure_outcomes.contains(&o)))
}

/// A Zeek connection record to an internal address.
fn conn(
    ev: &Event,
    c: &Config,
    internal: &[Cidr],
    raw: &Raw,
    server: &mut String,
    service: &mut String,
) -> Option<bool> {
    let state = match raw.conn_state.get(ev) {
        Some(ValueRef::Str(s)) => s,
        _ => return None,
    };
    let tcp = ev
        .get(keys::NETWORK_TRANSPORT)
        .and_then(|v| v.as_str())
        .or_else(|| raw.proto.get(ev).and_then(|v| v.as_str()))
        .is_some_and(|p| p.eq_ignore_ascii_case("tcp"));
    if !tcp {
        return None;
    }
    let dst = ev.get(keys::DESTINATION_IP).and_then(|v| v.as_ip())?;
    if !in_any(internal, dst) {
        return None;
    }
    let port = ev.get(keys::DESTINATION_PORT).and_then(|v| v.as_i64())?;
    let _ = write!(server, "{dst}");
    let _ = write!(service, "tcp/{port}");
    Some(c.conn_failure_states.iter().any(|s| s == state))
}
