//! What the Zeek TSV and JSON decoders share: log paths to datasets, dataset
//! inference from field names, and the raw → normalized field rules.
//!
//! A rule is chosen once per raw name (per TSV header, or once for all JSON
//! records) and applied to the stored raw value, which is copied as is where
//! the type already fits (copying a [`Value`] is free).

use std::sync::LazyLock;

use phiwatch_event::{keys, Event, Key, Timestamp, Value, ValueRef};

/// The group of normalization rules a Zeek log path gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Conn,
    Dns,
    Http,
    Ssl,
    Files,
    Notice,
    Intel,
    Weird,
    /// A known or unknown path with only the rules common to every path.
    Other,
}

const KINDS: usize = 9;

impl Kind {
    fn index(self) -> usize {
        self as usize
    }
}

/// A log's dataset: the `event.dataset` string and its rule group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dataset {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

/// The dataset of a log whose path is not known.
pub(crate) const UNKNOWN: Dataset = Dataset {
    name: "zeek.unknown",
    kind: Kind::Other,
};

/// The dataset of a Zeek log path (`conn`, `dns`, …), if it is a known one.
pub(crate) fn dataset_for_path(path: &[u8]) -> Option<Dataset> {
    let (name, kind) = match path {
        b"conn" => ("zeek.conn", Kind::Conn),
        b"dns" => ("zeek.dns", Kind::Dns),
        b"http" => ("zeek.http", Kind::Http),
        b"ssl" => ("zeek.ssl", Kind::Ssl),
        b"files" => ("zeek.files", Kind::Files),
        b"notice" => ("zeek.notice", Kind::Notice),
        b"intel" => ("zeek.intel", Kind::Intel),
        b"weird" => ("zeek.weird", Kind::Weird),
        b"x509" => ("zeek.x509", Kind::Other),
        b"smtp" => ("zeek.smtp", Kind::Other),
        b"ssh" => ("zeek.ssh", Kind::Other),
        b"kerberos" => ("zeek.kerberos", Kind::Other),
        b"dce_rpc" => ("zeek.dce_rpc", Kind::Other),
        b"smb_files" => ("zeek.smb_files", Kind::Other),
        b"smb_mapping" => ("zeek.smb_mapping", Kind::Other),
        b"dpd" => ("zeek.dpd", Kind::Other),
        b"pe" => ("zeek.pe", Kind::Other),
        b"ftp" => ("zeek.ftp", Kind::Other),
        b"rdp" => ("zeek.rdp", Kind::Other),
        b"ntlm" => ("zeek.ntlm", Kind::Other),
        b"software" => ("zeek.software", Kind::Other),
        b"known_hosts" => ("zeek.known_hosts", Kind::Other),
        b"known_services" => ("zeek.known_services", Kind::Other),
        b"known_certs" => ("zeek.known_certs", Kind::Other),
        b"tunnel" => ("zeek.tunnel", Kind::Other),
        b"dhcp" => ("zeek.dhcp", Kind::Other),
        b"sip" => ("zeek.sip", Kind::Other),
        b"snmp" => ("zeek.snmp", Kind::Other),
        b"radius" => ("zeek.radius", Kind::Other),
        b"mysql" => ("zeek.mysql", Kind::Other),
        b"irc" => ("zeek.irc", Kind::Other),
        b"socks" => ("zeek.socks", Kind::Other),
        b"syslog" => ("zeek.syslog", Kind::Other),
        b"ntp" => ("zeek.ntp", Kind::Other),
        b"quic" => ("zeek.quic", Kind::Other),
        b"ocsp" => ("zeek.ocsp", Kind::Other),
        b"rfb" => ("zeek.rfb", Kind::Other),
        b"modbus" => ("zeek.modbus", Kind::Other),
        b"dnp3" => ("zeek.dnp3", Kind::Other),
        b"signatures" => ("zeek.signatures", Kind::Other),
        b"notice_alarm" => ("zeek.notice_alarm", Kind::Other),
        b"analyzer" => ("zeek.analyzer", Kind::Other),
        b"capture_loss" => ("zeek.capture_loss", Kind::Other),
        b"stats" => ("zeek.stats", Kind::Other),
        b"reporter" => ("zeek.reporter", Kind::Other),
        b"traceroute" => ("zeek.traceroute", Kind::Other),
        b"packet_filter" => ("zeek.packet_filter", Kind::Other),
        b"loaded_scripts" => ("zeek.loaded_scripts", Kind::Other),
        b"netcontrol" => ("zeek.netcontrol", Kind::Other),
        b"conn_long" => ("zeek.conn_long", Kind::Conn),
        _ => return None,
    };
    Some(Dataset { name, kind })
}

/// Infers the dataset from the names a record or header has, for logs that
/// do not say their path. `has` is asked about dotted names; callers answer
/// for the `_`-separated form too.
pub(crate) fn infer_dataset(has: impl Fn(&str) -> bool) -> Dataset {
    let path: &[u8] = if has("conn_state") || has("history") {
        b"conn"
    } else if has("query") && (has("qtype_name") || has("rcode")) {
        b"dns"
    } else if has("method") && has("uri") {
        b"http"
    } else if has("request_type") && has("client") {
        b"kerberos"
    } else if has("named_pipe") || (has("endpoint") && has("operation")) {
        b"dce_rpc"
    } else if has("server_name") || has("cipher") || has("ssl_history") {
        b"ssl"
    } else if has("fuid") && (has("mime_type") || has("seen_bytes")) {
        b"files"
    } else if has("certificate.subject") {
        b"x509"
    } else if has("note") {
        b"notice"
    } else if has("seen.indicator") {
        b"intel"
    } else if has("name") && (has("addl") || has("notice")) {
        b"weird"
    } else {
        return UNKNOWN;
    };
    dataset_for_path(path).unwrap_or(UNKNOWN)
}

/// The `_`-separated spelling that some exports (Zeek's `scope_sep`, the
/// OTRF data) use for a nested name we read.
pub(crate) fn underscore_form(dotted: &str) -> Option<&'static str> {
    Some(match dotted {
        "id.orig_h" => "id_orig_h",
        "id.orig_p" => "id_orig_p",
        "id.resp_h" => "id_resp_h",
        "id.resp_p" => "id_resp_p",
        "seen.indicator" => "seen_indicator",
        "seen.indicator_type" => "seen_indicator_type",
        "certificate.subject" => "certificate_subject",
        _ => return None,
    })
}

/// The dotted name for a raw name, mapping the `_`-separated forms back.
pub(crate) fn canonical(name: &str) -> &str {
    match name {
        "id_orig_h" => "id.orig_h",
        "id_orig_p" => "id.orig_p",
        "id_resp_h" => "id.resp_h",
        "id_resp_p" => "id.resp_p",
        "seen_indicator" => "seen.indicator",
        "seen_indicator_type" => "seen.indicator_type",
        "certificate_subject" => "certificate.subject",
        other => other,
    }
}

/// How one raw field becomes normalized fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Copy the value (strings, lists, booleans, numbers) as it is.
    Same(Key),
    /// An address; a string is parsed, anything else is skipped.
    Ip(Key),
    /// An integer; integral floats and digit strings are converted.
    Int(Key),
    /// `duration` (seconds) → `event.duration` (integer nanoseconds).
    Duration,
    /// `uri` → `url.original`, `url.path` and `url.query`.
    Uri,
    /// ssl `version` → `tls.version` and `tls.version_protocol`.
    TlsVersion,
    /// files `total_bytes` → `file.size`.
    TotalBytes,
    /// files `seen_bytes` → `file.size` when `total_bytes` is unset.
    SeenBytes,
    /// notice `src` → `source.ip` unless `id.orig_h` gave one.
    NoticeSrc,
    /// notice `dst` → `destination.ip` unless `id.resp_h` gave one.
    NoticeDst,
    /// notice `p` → `destination.port` unless `id.resp_p` gave one.
    NoticePort,
}

type Table = &'static [(&'static str, Rule)];

const COMMON: Table = &[
    ("id.orig_h", Rule::Ip(keys::SOURCE_IP)),
    ("id.orig_p", Rule::Int(keys::SOURCE_PORT)),
    ("id.resp_h", Rule::Ip(keys::DESTINATION_IP)),
    ("id.resp_p", Rule::Int(keys::DESTINATION_PORT)),
    ("uid", Rule::Same(keys::PHIWATCH_SESSION_ID)),
    ("proto", Rule::Same(keys::NETWORK_TRANSPORT)),
    ("community_id", Rule::Same(keys::NETWORK_COMMUNITY_ID)),
];

const CONN: Table = &[
    ("service", Rule::Same(keys::NETWORK_PROTOCOL)),
    ("orig_bytes", Rule::Int(keys::SOURCE_BYTES)),
    ("resp_bytes", Rule::Int(keys::DESTINATION_BYTES)),
    ("orig_pkts", Rule::Int(keys::SOURCE_PACKETS)),
    ("resp_pkts", Rule::Int(keys::DESTINATION_PACKETS)),
    ("duration", Rule::Duration),
    ("vlan", Rule::Int(keys::NETWORK_VLAN_ID)),
];

const DNS: Table = &[
    ("query", Rule::Same(keys::DNS_QUESTION_NAME)),
    ("qtype_name", Rule::Same(keys::DNS_QUESTION_TYPE)),
    ("rcode_name", Rule::Same(keys::DNS_RESPONSE_CODE)),
    ("answers", Rule::Same(keys::DNS_ANSWERS_DATA)),
    ("TTLs", Rule::Same(keys::DNS_ANSWERS_TTL)),
    ("trans_id", Rule::Same(keys::DNS_ID)),
];

const HTTP: Table = &[
    ("method", Rule::Same(keys::HTTP_REQUEST_METHOD)),
    ("host", Rule::Same(keys::URL_DOMAIN)),
    ("uri", Rule::Uri),
    ("referrer", Rule::Same(keys::HTTP_REQUEST_REFERRER)),
    ("user_agent", Rule::Same(keys::USER_AGENT_ORIGINAL)),
    ("status_code", Rule::Int(keys::HTTP_RESPONSE_STATUS_CODE)),
    ("request_body_len", Rule::Int(keys::HTTP_REQUEST_BODY_BYTES)),
    (
        "response_body_len",
        Rule::Int(keys::HTTP_RESPONSE_BODY_BYTES),
    ),
    ("version", Rule::Same(keys::HTTP_VERSION)),
    ("username", Rule::Same(keys::USER_NAME)),
];

const SSL: Table = &[
    ("version", Rule::TlsVersion),
    ("cipher", Rule::Same(keys::TLS_CIPHER)),
    ("server_name", Rule::Same(keys::TLS_CLIENT_SERVER_NAME)),
    ("established", Rule::Same(keys::TLS_ESTABLISHED)),
    ("resumed", Rule::Same(keys::TLS_RESUMED)),
    ("subject", Rule::Same(keys::TLS_SERVER_SUBJECT)),
    ("issuer", Rule::Same(keys::TLS_SERVER_ISSUER)),
    ("client_subject", Rule::Same(keys::TLS_CLIENT_SUBJECT)),
    ("client_issuer", Rule::Same(keys::TLS_CLIENT_ISSUER)),
    ("ja3", Rule::Same(keys::TLS_CLIENT_JA3)),
    ("ja3s", Rule::Same(keys::TLS_SERVER_JA3S)),
    ("ja4", Rule::Same(keys::TLS_CLIENT_JA4)),
];

const FILES: Table = &[
    ("md5", Rule::Same(keys::FILE_HASH_MD5)),
    ("sha1", Rule::Same(keys::FILE_HASH_SHA1)),
    ("sha256", Rule::Same(keys::FILE_HASH_SHA256)),
    ("mime_type", Rule::Same(keys::FILE_MIME_TYPE)),
    ("filename", Rule::Same(keys::FILE_NAME)),
    ("total_bytes", Rule::TotalBytes),
    ("seen_bytes", Rule::SeenBytes),
];

const NOTICE: Table = &[
    ("note", Rule::Same(keys::RULE_NAME)),
    ("msg", Rule::Same(keys::MESSAGE)),
    ("src", Rule::NoticeSrc),
    ("dst", Rule::NoticeDst),
    ("p", Rule::NoticePort),
];

const INTEL: Table = &[(
    "seen.indicator_type",
    Rule::Same(keys::THREAT_INDICATOR_TYPE),
)];

const WEIRD: Table = &[("name", Rule::Same(keys::EVENT_ACTION))];

fn table(kind: Kind) -> Table {
    match kind {
        Kind::Conn => CONN,
        Kind::Dns => DNS,
        Kind::Http => HTTP,
        Kind::Ssl => SSL,
        Kind::Files => FILES,
        Kind::Notice => NOTICE,
        Kind::Intel => INTEL,
        Kind::Weird => WEIRD,
        Kind::Other => &[],
    }
}

/// The rule for a raw name (dotted or `_`-separated) in a log of `kind`.
pub(crate) fn rule_for(kind: Kind, raw_name: &str) -> Option<Rule> {
    let name = canonical(raw_name);
    COMMON
        .iter()
        .chain(table(kind).iter())
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
}

/// A rule with its raw name resolved to keys: the dotted key and, when the
/// name is nested, the key of its `_`-separated form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved {
    pub(crate) dotted: Option<Key>,
    pub(crate) underscore: Option<Key>,
    pub(crate) rule: Rule,
}

static RESOLVED: LazyLock<Vec<Vec<Resolved>>> = LazyLock::new(|| {
    let kinds = [
        Kind::Conn,
        Kind::Dns,
        Kind::Http,
        Kind::Ssl,
        Kind::Files,
        Kind::Notice,
        Kind::Intel,
        Kind::Weird,
        Kind::Other,
    ];
    let mut all = vec![Vec::new(); KINDS];
    for kind in kinds {
        all[kind.index()] = COMMON
            .iter()
            .chain(table(kind).iter())
            .map(|(name, rule)| Resolved {
                dotted: Key::lookup(name),
                underscore: underscore_form(name).and_then(Key::lookup),
                rule: *rule,
            })
            .collect();
    }
    all
});

/// Every rule of `kind`, resolved to keys, for decoders that look raw
/// fields up by key (JSON).
pub(crate) fn resolved(kind: Kind) -> &'static [Resolved] {
    RESOLVED.get(kind.index()).map_or(&[], Vec::as_slice)
}

/// Per-record state of the rules that depend on other fields.
#[derive(Default)]
pub(crate) struct NormState {
    source_ip: bool,
    destination_ip: bool,
    destination_port: bool,
    file_size: bool,
    seen_bytes: Option<Value>,
    notice_src: Option<Value>,
    notice_dst: Option<Value>,
    notice_port: Option<Value>,
}

impl NormState {
    fn pushed(&mut self, key: Key) {
        if key == keys::SOURCE_IP {
            self.source_ip = true;
        } else if key == keys::DESTINATION_IP {
            self.destination_ip = true;
        } else if key == keys::DESTINATION_PORT {
            self.destination_port = true;
        }
    }
}

/// Applies `rule` to the stored raw value `v`. Null values give nothing.
/// `scratch` is reused for the one rule that splits a string (`uri`).
pub(crate) fn apply(
    ev: &mut Event,
    rule: Rule,
    v: Value,
    st: &mut NormState,
    scratch: &mut String,
) {
    if matches!(v, Value::Null) {
        return;
    }
    match rule {
        Rule::Same(key) => ev.push_norm(key, v),
        Rule::Ip(key) => {
            if let Some(ip) = to_ip(ev, v) {
                ev.push_norm(key, ip);
                st.pushed(key);
            }
        }
        Rule::Int(key) => {
            if let Some(i) = to_int(ev, v) {
                ev.push_norm(key, i);
                st.pushed(key);
            }
        }
        Rule::Duration => {
            if let Some(n) = duration_nanos(ev.view(v)) {
                ev.push_norm(keys::EVENT_DURATION, Value::Int(n));
            }
        }
        Rule::Uri => push_uri(ev, v, scratch),
        Rule::TlsVersion => {
            if let ValueRef::Str(s) = ev.view(v) {
                if let Some((version, protocol)) = tls_version(s) {
                    ev.push_norm(keys::TLS_VERSION, Value::Static(version));
                    ev.push_norm(keys::TLS_VERSION_PROTOCOL, Value::Static(protocol));
                }
            }
        }
        Rule::TotalBytes => {
            if let Some(i) = to_int(ev, v) {
                ev.push_norm(keys::FILE_SIZE, i);
                st.file_size = true;
            }
        }
        Rule::SeenBytes => st.seen_bytes = Some(v),
        Rule::NoticeSrc => st.notice_src = Some(v),
        Rule::NoticeDst => st.notice_dst = Some(v),
        Rule::NoticePort => st.notice_port = Some(v),
    }
}

/// A Zeek `interval` (seconds) as whole nanoseconds.
fn duration_nanos(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Float(f) => secs_to_nanos(f),
        ValueRef::Int(i) => i.checked_mul(1_000_000_000),
        ValueRef::Str(s) => Timestamp::parse_epoch_decimal(s.as_bytes()).map(Timestamp::as_nanos),
        _ => None,
    }
}

/// `url.original`, and `url.path` and `url.query` split at the first `?`.
fn push_uri(ev: &mut Event, v: Value, scratch: &mut String) {
    ev.push_norm(keys::URL_ORIGINAL, v);
    let q = match ev.view(v) {
        ValueRef::Str(s) => s.find('?').inspect(|_| {
            scratch.clear();
            scratch.push_str(s);
        }),
        _ => return,
    };
    match q {
        None => ev.push_norm(keys::URL_PATH, v),
        Some(q) => {
            ev.push_norm_str(keys::URL_PATH, &scratch[..q]);
            if q + 1 < scratch.len() {
                ev.push_norm_str(keys::URL_QUERY, &scratch[q + 1..]);
            }
        }
    }
}

/// Pushes the normalized fields that waited for the whole record.
pub(crate) fn finish(ev: &mut Event, st: &mut NormState) {
    if !st.file_size {
        if let Some(i) = st.seen_bytes.and_then(|v| to_int(ev, v)) {
            ev.push_norm(keys::FILE_SIZE, i);
        }
    }
    if !st.source_ip {
        if let Some(ip) = st.notice_src.and_then(|v| to_ip(ev, v)) {
            ev.push_norm(keys::SOURCE_IP, ip);
        }
    }
    if !st.destination_ip {
        if let Some(ip) = st.notice_dst.and_then(|v| to_ip(ev, v)) {
            ev.push_norm(keys::DESTINATION_IP, ip);
        }
    }
    if !st.destination_port {
        if let Some(p) = st.notice_port.and_then(|v| to_int(ev, v)) {
            ev.push_norm(keys::DESTINATION_PORT, p);
        }
    }
}

fn to_ip(ev: &Event, v: Value) -> Option<Value> {
    match v {
        Value::Ip(_) => Some(v),
        Value::Str(_) => ev.view(v).as_ip().map(Value::Ip),
        _ => None,
    }
}

fn to_int(ev: &Event, v: Value) -> Option<Value> {
    match v {
        Value::Int(_) => Some(v),
        Value::Float(_) | Value::Str(_) => ev.view(v).as_i64().map(Value::Int),
        _ => None,
    }
}

/// Seconds as a float to whole nanoseconds, rounded; `None` when not finite
/// or out of range.
pub(crate) fn secs_to_nanos(f: f64) -> Option<i64> {
    let n = (f * 1e9).round();
    (n.is_finite() && n.abs() < 9.2e18).then_some(n as i64)
}

/// Zeek's ssl `version` (`TLSv12`, `DTLSv10`, `SSLv3`) as ECS
/// `tls.version` and `tls.version_protocol`.
pub(crate) fn tls_version(s: &str) -> Option<(&'static str, &'static str)> {
    Some(match s {
        "TLSv10" => ("1.0", "tls"),
        "TLSv11" => ("1.1", "tls"),
        "TLSv12" => ("1.2", "tls"),
        "TLSv13" => ("1.3", "tls"),
        "DTLSv10" => ("1.0", "dtls"),
        "DTLSv12" => ("1.2", "dtls"),
        "DTLSv13" => ("1.3", "dtls"),
        "SSLv2" => ("2.0", "ssl"),
        "SSLv3" => ("3.0", "ssl"),
        _ => return None,
    })
}

/// Whether a time value is the btest mask (`XXXXXXXXXX.XXXXXX`): only `X`s
/// and dots, with at least one `X`. Quoting such a value leaks nothing.
pub(crate) fn is_masked(b: &[u8]) -> bool {
    b.contains(&b'X') && b.iter().all(|&c| c == b'X' || c == b'.')
}

/// The error for an event time that is missing or not a time. Never quotes
/// the value, except the all-`X` btest mask.
pub(crate) fn time_error(what: TimeProblem) -> crate::DecodeError {
    let reason = match what {
        TimeProblem::Missing => "ts: missing (no ts field)",
        TimeProblem::Unset => "ts: unset",
        TimeProblem::Masked => "ts: masked timestamp (XXXXXXXXXX.XXXXXX)",
        TimeProblem::Invalid => "ts: not a valid time (expected epoch seconds)",
        TimeProblem::InvalidJson => {
            "ts: not a valid time (expected epoch seconds or an ISO 8601 string)"
        }
    };
    crate::DecodeError::new(crate::ErrorKind::Time, reason)
}

/// Why an event time could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeProblem {
    Missing,
    Unset,
    Masked,
    Invalid,
    InvalidJson,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_name_is_registered() {
        for kind in [
            Kind::Conn,
            Kind::Dns,
            Kind::Http,
            Kind::Ssl,
            Kind::Files,
            Kind::Notice,
            Kind::Intel,
            Kind::Weird,
            Kind::Other,
        ] {
            for (r, (name, _)) in resolved(kind).iter().zip(COMMON.iter().chain(table(kind))) {
                assert!(r.dotted.is_some(), "{name} is not a registered key");
                if underscore_form(name).is_some() {
                    assert!(r.underscore.is_some(), "_ form of {name} is not registered");
                }
            }
        }
    }

    #[test]
    fn names_round_trip_between_forms() {
        for n in [
            "id.orig_h",
            "id.resp_p",
            "seen.indicator_type",
            "certificate.subject",
        ] {
            assert_eq!(canonical(underscore_form(n).expect("has a _ form")), n);
        }
        assert_eq!(canonical("uid"), "uid");
    }

    #[test]
    fn tls_versions() {
        assert_eq!(tls_version("TLSv12"), Some(("1.2", "tls")));
        assert_eq!(tls_version("DTLSv10"), Some(("1.0", "dtls")));
        assert_eq!(tls_version("tls"), None);
    }

    #[test]
    fn masks() {
        assert!(is_masked(b"XXXXXXXXXX.XXXXXX"));
        assert!(!is_masked(b"."));
        assert!(!is_masked(b"1X"));
    }

    #[test]
    fn uri_is_split_at_the_first_question_mark() {
        let mut ev = Event::new(Timestamp::EPOCH);
        let v = ev.store_str("/a/b?x=1?y");
        let mut st = NormState::default();
        let mut scratch = String::new();
        apply(&mut ev, Rule::Uri, v, &mut st, &mut scratch);
        assert_eq!(
            ev.get(keys::URL_ORIGINAL).expect("url.original").as_str(),
            Some("/a/b?x=1?y")
        );
        assert_eq!(
            ev.get(keys::URL_PATH).expect("url.path").as_str(),
            Some("/a/b")
        );
        assert_eq!(
            ev.get(keys::URL_QUERY).expect("url.query").as_str(),
            Some("x=1?y")
        );
    }
}
