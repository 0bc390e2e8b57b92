//! One API request as the analytic counts it ([`Access`]), read from an
//! audit or access-log event, and the choice between the two sources
//! ([`Dedupe`]): a request in both is counted once, from the audit record.

use std::collections::VecDeque;
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Key, ValueRef};
use serde::{Deserialize, Serialize};

use super::Config;
use crate::seen::{text, Ev};
use crate::state::{alloc_size, Bounded};

/// Who made a request, as far as the record tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    /// A person (FHIR `humanuser` agent).
    Human,
    /// An application (FHIR agent type `110150`).
    App,
    /// A configured service account (reads for many people).
    Service,
    /// A user name without a type: treated as a person.
    User,
    /// Only a client address (access logs without a user).
    Address,
}

impl Kind {
    /// Whether the person rules (off-hours, snooping) apply.
    pub(crate) fn is_person(self) -> bool {
        matches!(self, Kind::Human | Kind::User)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Human => "human",
            Kind::App => "application",
            Kind::Service => "service",
            Kind::User => "user",
            Kind::Address => "address",
        }
    }
}

/// One request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Access {
    pub(crate) ev: Ev,
    /// `user:<name>` or `ip:<address>` (lower case).
    pub(crate) key: Box<str>,
    /// The user name as logged, if any.
    pub(crate) user: Option<Box<str>>,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) kind: Kind,
    /// Fingerprints of the patients named.
    pub(crate) patients: Vec<u64>,
    /// Answered without error.
    pub(crate) ok: bool,
    /// A `Patient` search by name.
    pub(crate) search: bool,
    /// A bulk `$export` kick-off: its URL path.
    pub(crate) export: Option<String>,
    /// HTTP status, when known.
    pub(crate) status: Option<i64>,
}

impl Access {
    pub(crate) fn t(&self) -> i64 {
        self.ev.t
    }

    /// Heap bytes held (the record itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.key.len())
            + self.user.as_ref().map_or(0, |u| alloc_size(u.len()))
            + alloc_size(self.patients.capacity() * 8)
            + self.export.as_ref().map_or(0, |e| alloc_size(e.capacity()))
    }
}

/// Where an event comes from, for the analytic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Audit,
    AccessLog,
}

/// Reads requests out of events (resolved names, compiled lists).
#[derive(Debug)]
pub(crate) struct Reader {
    agent_type: Option<Key>,
    service: Vec<Pattern>,
}

/// A name pattern: exact, `prefix*`, `*suffix` or `*`, without case.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Any,
}

impl Pattern {
    pub(crate) fn new(p: &str) -> Pattern {
        let p = p.trim().to_lowercase();
        if p == "*" {
            Pattern::Any
        } else if let Some(s) = p.strip_suffix('*') {
            Pattern::Prefix(s.to_string())
        } else if let Some(s) = p.strip_prefix('*') {
            Pattern::Suffix(s.to_string())
        } else {
            Pattern::Exact(p)
        }
    }

    /// Whether `name` (lower case) matches.
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(p) => name == p,
            Pattern::Prefix(p) => name.starts_with(p.as_str()),
            Pattern::Suffix(p) => name.ends_with(p.as_str()),
            Pattern::Any => true,
        }
    }
}

/// The prefix of a user agent's key.
const USER_PREFIX: &str = "user:";

/// `user:<name in lower case>`, in one allocation.
fn user_key(user: &str) -> String {
    let mut key = String::with_capacity(USER_PREFIX.len() + user.len());
    key.push_str(USER_PREFIX);
    if user.is_ascii() {
        key.extend(user.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        // Unicode lower case has context rules (a final sigma): the
        // standard library's.
        key.push_str(&user.to_lowercase());
    }
    key
}

/// A stable 64-bit fingerprint (FNV-1a) of a patient id: the same in every
/// run, so saved states stay valid.
pub(crate) fn fingerprint(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Whether `path` kicks off a bulk export (`/$export`,
/// `/Patient/$export`, `/Group/7/$export`), not a status poll.
pub(crate) fn is_export_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(|seg| seg == "$export")
}

/// `path` without patient ids: a segment after `Patient` (other than an
/// operation) becomes `{id}`, so a path can go into a hit.
pub(crate) fn masked_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_patient = false;
    for seg in path.split('/') {
        if after_patient && !seg.is_empty() && !seg.starts_with('$') {
            out.push("{id}");
        } else {
            out.push(seg);
        }
        after_patient = seg == "Patient";
    }
    out.join("/")
}

/// Whether `path` can be a `Patient` search (its last segment).
fn searchable(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    last == "Patient" || last == "_search"
}

/// Whether a request on `path` with `query` is a `Patient` search by one of
/// `params`.
pub(crate) fn is_name_search(path: &str, query: &str, params: &[String]) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if last != "Patient" && last != "_search" {
        return false;
    }
    if last == "_search" && !path.contains("/Patient/") {
        return false;
    }
    query.split('&').any(|kv| {
        let name = kv.split('=').next().unwrap_or("");
        let name = name.split(':').next().unwrap_or("");
        params.iter().any(|p| p.eq_ignore_ascii_case(name))
    })
}

impl Reader {
    pub(crate) fn new(c: &Config) -> Reader {
        Reader {
            agent_type: Key::lookup("agent.type.coding.code"),
            service: c.service_accounts.iter().map(|s| Pattern::new(s)).collect(),
        }
    }

    fn source(&self, ev: &Event, c: &Config) -> Option<Source> {
        let ds = text(ev, keys::EVENT_DATASET)?;
        if c.audit_datasets.iter().any(|d| d == ds) {
            Some(Source::Audit)
        } else if c.access_datasets.iter().any(|d| d == ds) {
            Some(Source::AccessLog)
        } else {
            None
        }
    }

    /// What the FHIR agent types say: Some(true) a person, Some(false) an
    /// application only, None nothing.
    fn human(&self, ev: &Event) -> Option<bool> {
        let k = self.agent_type?;
        let (mut human, mut app) = (false, false);
        let mut see = |s: &str| match s {
            "humanuser" => human = true,
            "110150" => app = true,
            _ => {}
        };
        for v in ev.get_all(k) {
            match v {
                ValueRef::Str(s) => see(s),
                ValueRef::List(l) => l.iter().filter_map(|x| x.as_str()).for_each(&mut see),
                _ => {}
            }
        }
        if human {
            Some(true)
        } else if app {
            Some(false)
        } else {
            None
        }
    }

    /// The request in `ev`, and its source; None when `ev` is not one,
    /// `Some(Err(()))` when it names neither a user nor an address.
    pub(crate) fn read(&self, ev: &Event, c: &Config) -> Option<Result<(Access, Source), ()>> {
        let source = self.source(ev, c)?;
        let path = text(ev, keys::URL_PATH);
        let mut patients: Vec<u64> = Vec::new();
        match ev.get(keys::PATIENT_IDS) {
            Some(ValueRef::List(l)) => {
                patients.reserve_exact(l.len());
                patients.extend(
                    l.iter()
                        .filter_map(|v| v.as_str())
                        .filter(|s| !s.is_empty())
                        .map(fingerprint),
                );
            }
            Some(ValueRef::Str(id)) if !id.trim().is_empty() && id.trim() != "-" => {
                patients.reserve_exact(1);
                patients.push(fingerprint(id.trim()));
            }
            _ => {}
        }
        let export = match path {
            Some(p) if is_export_path(p) => Some(masked_path(p)),
            Some(_) => None,
            None if text(ev, keys::EVENT_ACTION) == Some("$export") => Some("$export".to_string()),
            None => None,
        };
        if source == Source::AccessLog {
            let fhir =
                !patients.is_empty() || export.is_some() || ev.get(keys::RESOURCE_TYPE).is_some();
            let wanted = match path {
                Some(p) if !c.path_prefixes.is_empty() => c
                    .path_prefixes
                    .iter()
                    .any(|pre| p.starts_with(pre.as_str())),
                _ => c.path_prefixes.is_empty(),
            };
            if !fhir || !wanted {
                return None;
            }
        }
        let user = text(ev, keys::USER_NAME).or_else(|| text(ev, keys::USER_ID));
        let ip = [keys::CLIENT_IP, keys::SOURCE_IP]
            .into_iter()
            .find_map(|k| ev.get(k).and_then(|v| v.as_ip()));
        let (key, kind) = match (user, ip) {
            (Some(u), _) => {
                let key = user_key(u);
                let lower = key.get(USER_PREFIX.len()..).unwrap_or("");
                let kind = if self.service.iter().any(|p| p.matches(lower)) {
                    Kind::Service
                } else {
                    match self.human(ev) {
                        Some(true) => Kind::Human,
                        Some(false) => Kind::App,
                        None => Kind::User,
                    }
                };
                (key, kind)
            }
            (None, Some(ip)) => (format!("ip:{ip}"), Kind::Address),
            (None, None) => return Some(Err(())),
        };
        let status = ev
            .get(keys::HTTP_RESPONSE_STATUS_CODE)
            .and_then(|v| v.as_i64());
        let ok = match status {
            Some(s) => s < 400,
            None => text(ev, keys::EVENT_OUTCOME) != Some("failure"),
        };
        // The query is read only for a path a name search can have.
        let search = path.is_some_and(|p| {
            searchable(p)
                && is_name_search(
                    p,
                    text(ev, keys::URL_QUERY).unwrap_or(""),
                    &c.snooping.search_params,
                )
        });
        Some(Ok((
            Access {
                ev: Ev::of(ev),
                key: key.into_boxed_str(),
                user: user.map(Box::from),
                ip,
                kind,
                patients,
                ok,
                search,
                export,
                status,
            },
            source,
        )))
    }
}

/// Access-log records wait [`Config::dedupe_secs`] (event time) for an
/// audit record from the same client address; the ones none came for are
/// counted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Dedupe {
    /// Latest audit record per client address.
    audited: Bounded<IpAddr, i64>,
    /// Latest audit record without an address (covers every address).
    audited_any: Option<i64>,
    pending: VecDeque<Access>,
}

/// What became of a waiting access-log record.
pub(crate) enum Released {
    /// No audit record came: count it.
    Count(Access),
    /// An audit record from its address came: a duplicate.
    Duplicate,
}

impl Dedupe {
    pub(crate) fn new(capacity: usize) -> Dedupe {
        Dedupe {
            audited: Bounded::new(capacity),
            audited_any: None,
            pending: VecDeque::new(),
        }
    }

    /// An audit record from `ip` at `t`.
    pub(crate) fn audited(&mut self, ip: Option<IpAddr>, t: i64) {
        let slot = match ip {
            Some(ip) => self.audited.entry(&ip, || t),
            None => self.audited_any.get_or_insert(t),
        };
        *slot = (*slot).max(t);
    }

    /// Holds an access-log record; when more than `max` wait, the oldest is
    /// released at once (returned).
    pub(crate) fn hold(&mut self, a: Access, max: usize, window: i64) -> Option<Released> {
        self.pending.push_back(a);
        if self.pending.len() > max.max(1) {
            return self.pending.pop_front().map(|a| self.judge(a, window));
        }
        None
    }

    fn judge(&self, a: Access, window: i64) -> Released {
        let t = a.t();
        let near = |x: i64| x >= t.saturating_sub(window);
        let by_ip =
            a.ip.and_then(|ip| self.audited.get(&ip).copied())
                .is_some_and(near);
        if by_ip || self.audited_any.is_some_and(near) {
            Released::Duplicate
        } else {
            Released::Count(a)
        }
    }

    /// Releases the records that waited long enough by `now` (all with
    /// `now == i64::MAX`).
    pub(crate) fn release(&mut self, now: i64, window: i64, out: &mut Vec<Released>) {
        while let Some(a) = self.pending.front() {
            if now != i64::MAX && a.t().saturating_add(window) > now {
                break;
            }
            if let Some(a) = self.pending.pop_front() {
                out.push(self.judge(a, window));
            }
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        alloc_size(self.pending.capacity() * std::mem::size_of::<Access>())
            + self.pending.iter().map(Access::heap_bytes).sum::<usize>()
            + self.audited.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::Snooping;
    use super::*;

    #[test]
    fn export_paths_and_name_searches() {
        assert!(is_export_path("/fhir/Patient/$export"));
        assert!(is_export_path("/fhir/Group/7/$export"));
        assert!(is_export_path("/$export"));
        assert!(!is_export_path("/fhir/$export-poll-status"));
        assert!(!is_export_path("/fhir/Patient/123"));
        assert_eq!(
            masked_path("/fhir/Patient/$export"),
            "/fhir/Patient/$export"
        );
        assert_eq!(
            masked_path("/fhir/Patient/pt-1/$export"),
            "/fhir/Patient/{id}/$export"
        );
        assert_eq!(
            masked_path("/fhir/Group/7/$export"),
            "/fhir/Group/7/$export"
        );
        let p = Snooping::default().search_params;
        assert!(is_name_search(
            "/fhir/Patient",
            "family=Smith&_count=20",
            &p
        ));
        assert!(is_name_search("/fhir/Patient", "name:contains=jo", &p));
        assert!(!is_name_search("/fhir/Patient", "identifier=123", &p));
        assert!(!is_name_search("/fhir/Observation", "patient=pt-1", &p));
        assert!(is_name_search("/fhir/Patient/_search", "given=Ann", &p));
    }

    #[test]
    fn patterns() {
        assert!(Pattern::new("svc_*").matches("svc_ehr"));
        assert!(Pattern::new("*@acme.example").matches("x@acme.example"));
        assert!(Pattern::new("SVC_EHR").matches("svc_ehr"));
        assert!(!Pattern::new("svc_ehr").matches("svc_ehr2"));
        assert_ne!(fingerprint("pt-1"), fingerprint("pt-2"));
    }
}
