//! Field keys: small integers for every field name phiwatch knows at compile
//! time, so that building an event and looking a field up compare integers.
//!
//! Two kinds of names are known:
//! - **normalized** names (ECS, OpenTelemetry `db.*`, `phiwatch.*`), each a
//!   constant in [`keys`] (`keys::SOURCE_IP` is `source.ip`);
//! - **raw** names that the built-in formats emit often (`id.orig_h`,
//!   `eventName`, …), listed in `raw_names.rs`, so that decoding them
//!   allocates nothing.
//!
//! Any other name still works: an event stores it as a dynamic name in its own
//! buffer (see [`crate::Event::name`]). The registry is immutable after first
//! use; nothing attacker-controlled is ever added to it.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// A field name known to the registry. Cheap to copy and compare.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(pub(crate) u32);

macro_rules! normalized_keys {
    ($($(#[$m:meta])* $konst:ident = $name:literal;)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum Id { $($konst,)* }

        /// Normalized field names (ECS, OpenTelemetry `db.*`, `phiwatch.*`).
        pub mod keys {
            use super::{Id, Key};
            $(
                #[doc = concat!("`", $name, "`")]
                $(#[$m])*
                pub const $konst: Key = Key(Id::$konst as u32);
            )*
        }

        /// Normalized names in id order.
        pub(crate) const NORMALIZED: &[&str] = &[$($name,)*];
    };
}

normalized_keys! {
    // --- event metadata (ECS event.*) ---
    EVENT_DATASET = "event.dataset";
    EVENT_MODULE = "event.module";
    EVENT_KIND = "event.kind";
    EVENT_CATEGORY = "event.category";
    EVENT_TYPE = "event.type";
    EVENT_ACTION = "event.action";
    EVENT_OUTCOME = "event.outcome";
    /// Nanoseconds, as in ECS.
    EVENT_DURATION = "event.duration";
    EVENT_ID = "event.id";
    EVENT_PROVIDER = "event.provider";
    EVENT_START = "event.start";
    EVENT_END = "event.end";
    EVENT_SEVERITY = "event.severity";
    MESSAGE = "message";
    ERROR_CODE = "error.code";
    ERROR_MESSAGE = "error.message";
    // --- network ---
    SOURCE_IP = "source.ip";
    SOURCE_PORT = "source.port";
    SOURCE_BYTES = "source.bytes";
    SOURCE_PACKETS = "source.packets";
    SOURCE_MAC = "source.mac";
    SOURCE_DOMAIN = "source.domain";
    DESTINATION_IP = "destination.ip";
    DESTINATION_PORT = "destination.port";
    DESTINATION_BYTES = "destination.bytes";
    DESTINATION_PACKETS = "destination.packets";
    DESTINATION_MAC = "destination.mac";
    DESTINATION_DOMAIN = "destination.domain";
    CLIENT_IP = "client.ip";
    CLIENT_PORT = "client.port";
    CLIENT_ADDRESS = "client.address";
    SERVER_IP = "server.ip";
    SERVER_PORT = "server.port";
    SERVER_ADDRESS = "server.address";
    NETWORK_TRANSPORT = "network.transport";
    NETWORK_PROTOCOL = "network.protocol";
    NETWORK_TYPE = "network.type";
    NETWORK_IANA_NUMBER = "network.iana_number";
    NETWORK_BYTES = "network.bytes";
    NETWORK_PACKETS = "network.packets";
    NETWORK_COMMUNITY_ID = "network.community_id";
    NETWORK_DIRECTION = "network.direction";
    NETWORK_VLAN_ID = "network.vlan.id";
    // --- dns ---
    DNS_ID = "dns.id";
    DNS_QUESTION_NAME = "dns.question.name";
    DNS_QUESTION_TYPE = "dns.question.type";
    DNS_QUESTION_CLASS = "dns.question.class";
    DNS_RESPONSE_CODE = "dns.response_code";
    DNS_ANSWERS_DATA = "dns.answers.data";
    DNS_ANSWERS_TTL = "dns.answers.ttl";
    DNS_TYPE = "dns.type";
    // --- http / url ---
    URL_ORIGINAL = "url.original";
    URL_DOMAIN = "url.domain";
    URL_PATH = "url.path";
    URL_QUERY = "url.query";
    HTTP_REQUEST_METHOD = "http.request.method";
    HTTP_REQUEST_REFERRER = "http.request.referrer";
    HTTP_REQUEST_BODY_BYTES = "http.request.body.bytes";
    HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";
    HTTP_RESPONSE_BODY_BYTES = "http.response.body.bytes";
    HTTP_RESPONSE_MIME_TYPE = "http.response.mime_type";
    HTTP_VERSION = "http.version";
    USER_AGENT_ORIGINAL = "user_agent.original";
    // --- tls ---
    TLS_VERSION = "tls.version";
    TLS_VERSION_PROTOCOL = "tls.version_protocol";
    TLS_CIPHER = "tls.cipher";
    TLS_ESTABLISHED = "tls.established";
    TLS_RESUMED = "tls.resumed";
    TLS_CLIENT_SERVER_NAME = "tls.client.server_name";
    TLS_CLIENT_JA3 = "tls.client.ja3";
    TLS_CLIENT_JA4 = "tls.client.ja4";
    TLS_SERVER_JA3S = "tls.server.ja3s";
    TLS_SERVER_SUBJECT = "tls.server.subject";
    TLS_SERVER_ISSUER = "tls.server.issuer";
    TLS_CLIENT_SUBJECT = "tls.client.subject";
    TLS_CLIENT_ISSUER = "tls.client.issuer";
    TLS_SERVER_HASH_SHA1 = "tls.server.hash.sha1";
    // --- files ---
    FILE_NAME = "file.name";
    FILE_PATH = "file.path";
    FILE_SIZE = "file.size";
    FILE_MIME_TYPE = "file.mime_type";
    FILE_HASH_MD5 = "file.hash.md5";
    FILE_HASH_SHA1 = "file.hash.sha1";
    FILE_HASH_SHA256 = "file.hash.sha256";
    // --- identity ---
    USER_NAME = "user.name";
    USER_ID = "user.id";
    USER_DOMAIN = "user.domain";
    USER_EMAIL = "user.email";
    HOST_NAME = "host.name";
    HOST_IP = "host.ip";
    OBSERVER_NAME = "observer.name";
    OBSERVER_VENDOR = "observer.vendor";
    OBSERVER_PRODUCT = "observer.product";
    PROCESS_NAME = "process.name";
    // --- detections carried by the source (IDS alerts, Zeek notices) ---
    RULE_ID = "rule.id";
    RULE_NAME = "rule.name";
    RULE_CATEGORY = "rule.category";
    THREAT_INDICATOR_TYPE = "threat.indicator.type";
    // --- cloud ---
    CLOUD_PROVIDER = "cloud.provider";
    CLOUD_REGION = "cloud.region";
    CLOUD_ACCOUNT_ID = "cloud.account.id";
    CLOUD_INSTANCE_ID = "cloud.instance.id";
    CLOUD_SERVICE_NAME = "cloud.service.name";
    // --- databases (OpenTelemetry semantic conventions) ---
    DB_SYSTEM = "db.system";
    DB_NAME = "db.name";
    DB_USER = "db.user";
    DB_OPERATION = "db.operation";
    DB_SQL_TABLE = "db.sql.table";
    DB_STATEMENT = "db.statement";
    DB_RESPONSE_RETURNED_ROWS = "db.response.returned_rows";
    // --- issue 3: databases, web, identity, Windows, syslog ---
    EVENT_CODE = "event.code";
    EVENT_REASON = "event.reason";
    LOG_LEVEL = "log.level";
    LOG_SYSLOG_PRIORITY = "log.syslog.priority";
    LOG_SYSLOG_FACILITY_CODE = "log.syslog.facility.code";
    LOG_SYSLOG_SEVERITY_CODE = "log.syslog.severity.code";
    LOG_SYSLOG_HOSTNAME = "log.syslog.hostname";
    LOG_SYSLOG_APPNAME = "log.syslog.appname";
    LOG_SYSLOG_PROCID = "log.syslog.procid";
    LOG_SYSLOG_MSGID = "log.syslog.msgid";
    OBSERVER_VERSION = "observer.version";
    OBSERVER_HOSTNAME = "observer.hostname";
    OBSERVER_TYPE = "observer.type";
    SOURCE_ADDRESS = "source.address";
    DESTINATION_ADDRESS = "destination.address";
    SOURCE_USER_NAME = "source.user.name";
    DESTINATION_USER_NAME = "destination.user.name";
    SOURCE_GEO_COUNTRY_ISO_CODE = "source.geo.country_iso_code";
    SOURCE_GEO_COUNTRY_NAME = "source.geo.country_name";
    SOURCE_GEO_REGION_NAME = "source.geo.region_name";
    SOURCE_GEO_CITY_NAME = "source.geo.city_name";
    SOURCE_GEO_LATITUDE = "source.geo.location.lat";
    SOURCE_GEO_LONGITUDE = "source.geo.location.lon";
    SOURCE_AS_NUMBER = "source.as.number";
    SOURCE_AS_ORGANIZATION_NAME = "source.as.organization.name";
    USER_FULL_NAME = "user.full_name";
    USER_ROLES = "user.roles";
    USER_EFFECTIVE_NAME = "user.effective.name";
    USER_TARGET_NAME = "user.target.name";
    USER_TARGET_ID = "user.target.id";
    URL_FULL = "url.full";
    URL_SCHEME = "url.scheme";
    URL_PORT = "url.port";
    HTTP_REQUEST_BYTES = "http.request.bytes";
    HTTP_RESPONSE_BYTES = "http.response.bytes";
    HTTP_REQUEST_ID = "http.request.id";
    PROCESS_PID = "process.pid";
    PROCESS_EXECUTABLE = "process.executable";
    PROCESS_COMMAND_LINE = "process.command_line";
    PROCESS_PARENT_EXECUTABLE = "process.parent.executable";
    PROCESS_PARENT_COMMAND_LINE = "process.parent.command_line";
    PROCESS_PARENT_PID = "process.parent.pid";
    PROCESS_USER_NAME = "process.user.name";
    REGISTRY_PATH = "registry.path";
    DB_RESPONSE_AFFECTED_ROWS = "phiwatch.db.affected_rows";
    /// The database session a statement belongs to (PostgreSQL backend
    /// pid + session start, MySQL connection id, SQL Server session id).
    DB_SESSION_ID = "phiwatch.db.session_id";
    /// pgAudit class (READ, WRITE, DDL, ROLE, FUNCTION, MISC) or the
    /// equivalent audit category of other databases.
    DB_AUDIT_CLASS = "phiwatch.db.audit_class";
    /// The kind of database object (TABLE, VIEW, FUNCTION, …).
    DB_OBJECT_TYPE = "phiwatch.db.object_type";
    /// Bind parameters of a statement (may hold PHI; never printed unredacted
    /// once PHI redaction lands).
    DB_PARAMETERS = "phiwatch.db.parameters";
    /// The client application name (PostgreSQL `application_name`, SQL
    /// Server `application_name`, an OAuth client, an Entra app).
    CLIENT_APPLICATION = "phiwatch.client.application";
    /// Patients a record touched (FHIR `Patient/…` references, ids), a list.
    PATIENT_IDS = "phiwatch.patient.ids";
    /// The type of resource a record is about (FHIR `Patient`, `Observation`, …).
    RESOURCE_TYPE = "phiwatch.resource.type";
    /// The id of the resource a record is about.
    RESOURCE_ID = "phiwatch.resource.id";
    /// Seconds the upstream (application server) took, from access logs.
    HTTP_UPSTREAM_TIME = "phiwatch.http.upstream_time";
    /// How the user authenticated (`password`, `publickey`, `mfa`, …).
    AUTH_METHOD = "phiwatch.auth.method";
    // --- phiwatch's own ---
    /// The decoder that produced the event (`zeek-tsv`, `cloudtrail`, …).
    PHIWATCH_FORMAT = "phiwatch.format";
    /// A session or flow id shared by related records (Zeek `uid`, Suricata `flow_id`).
    PHIWATCH_SESSION_ID = "phiwatch.session_id";
    /// Cloud object store bucket (S3 `bucketName`).
    PHIWATCH_OBJECT_BUCKET = "phiwatch.object.bucket";
    /// Cloud object key.
    PHIWATCH_OBJECT_KEY = "phiwatch.object.key";
    /// Bytes sent to the caller by an object read.
    PHIWATCH_OBJECT_BYTES_OUT = "phiwatch.object.bytes_out";
    /// Bytes received from the caller by an object write.
    PHIWATCH_OBJECT_BYTES_IN = "phiwatch.object.bytes_in";
    /// Cloud principal ARN.
    PHIWATCH_USER_ARN = "phiwatch.user.arn";
    /// Kind of cloud principal (`IAMUser`, `AssumedRole`, `Root`, …).
    PHIWATCH_USER_TYPE = "phiwatch.user.type";
    /// Whether the authentication used MFA.
    PHIWATCH_AUTH_MFA = "phiwatch.auth.mfa";
    /// The flow's network interface (VPC flow `interface-id`).
    PHIWATCH_INTERFACE_ID = "phiwatch.interface.id";
}

/// Raw names of the built-in formats, registered after the normalized names.
const RAW_SECTIONS: &[&[&str]] = &[
    crate::raw_names::ZEEK,
    crate::raw_names::SURICATA,
    crate::raw_names::CLOUDTRAIL,
    crate::raw_names::VPCFLOW,
    crate::raw_names::POSTGRES,
    crate::raw_names::DB_AUDIT,
    crate::raw_names::FHIR,
    crate::raw_names::WEB,
    crate::raw_names::IDENTITY,
    crate::raw_names::WINDOWS,
    crate::raw_names::SYSLOG,
];

struct Registry {
    names: Vec<&'static str>,
    by_name: HashMap<&'static str, Key, foldhash::fast::FixedState>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = Vec::with_capacity(1024);
    let mut by_name =
        HashMap::with_capacity_and_hasher(1024, foldhash::fast::FixedState::default());
    for name in NORMALIZED
        .iter()
        .chain(RAW_SECTIONS.iter().flat_map(|s| s.iter()))
    {
        if !by_name.contains_key(name) {
            by_name.insert(*name, Key(names.len() as u32));
            names.push(*name);
        }
    }
    Registry { names, by_name }
});

impl Key {
    /// The key registered for `name`, if any.
    #[inline]
    pub fn lookup(name: &str) -> Option<Key> {
        REGISTRY.by_name.get(name).copied()
    }

    /// The registered name of this key.
    pub fn name(self) -> &'static str {
        REGISTRY.names.get(self.0 as usize).copied().unwrap_or("?")
    }

    /// Whether this is one of the normalized (ECS / OTel / phiwatch) names.
    pub fn is_normalized(self) -> bool {
        (self.0 as usize) < NORMALIZED.len()
    }

    /// The number of registered keys; every key's index is below it.
    pub fn count() -> usize {
        REGISTRY.names.len()
    }

    /// A dense index in `0..Key::count()`, for tables indexed by key.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.name())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_resolve_to_their_names() {
        assert_eq!(keys::SOURCE_IP.name(), "source.ip");
        assert_eq!(Key::lookup("source.ip"), Some(keys::SOURCE_IP));
        assert_eq!(Key::lookup("db.statement"), Some(keys::DB_STATEMENT));
        assert!(keys::DB_STATEMENT.is_normalized());
    }

    #[test]
    fn raw_names_are_registered_and_distinct() {
        let k = Key::lookup("id.orig_h").expect("zeek raw name");
        assert!(!k.is_normalized());
        assert_eq!(k.name(), "id.orig_h");
        assert_ne!(k, keys::SOURCE_IP);
        assert_eq!(Key::lookup("no.such.field"), None);
    }

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for n in NORMALIZED {
            assert!(seen.insert(*n), "duplicate normalized name {n}");
        }
    }
}
