//! What the analytics read from events, in one place: the record behind a
//! hit as they keep it in their saved state ([`Ev`]: where it was read and
//! when), the field getters they share ([`text`], [`first_text`],
//! [`RawField`]), event-time arithmetic ([`secs_ns`]) and the comparable
//! form of an account name ([`account_key`]).

use phiwatch_event::{Event, Key, Origin, SourceId, Timestamp, ValueRef};
use serde::{Deserialize, Serialize};

/// Nanoseconds in a second.
pub(crate) const NANOS: i64 = 1_000_000_000;

/// Where an event was read, and when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ev {
    /// Event time, nanoseconds.
    pub(crate) t: i64,
    pub(crate) source: u32,
    pub(crate) line: u64,
    pub(crate) offset: u64,
    pub(crate) record: u64,
}

impl Ev {
    /// The record of `ev`.
    pub(crate) fn of(ev: &Event) -> Ev {
        let o = ev.origin();
        Ev {
            t: ev.time().as_nanos(),
            source: o.source.0,
            line: o.line,
            offset: o.offset,
            record: o.record,
        }
    }

    /// As a hit's evidence entry.
    pub(crate) fn to_pair(self) -> (Origin, Timestamp) {
        let o = Origin {
            source: SourceId(self.source),
            line: self.line,
            offset: self.offset,
            record: self.record,
        };
        (o, Timestamp::from_nanos(self.t))
    }
}

/// `secs` seconds in nanoseconds, saturating (a configured duration far
/// beyond any log's span stays the largest time).
pub(crate) fn secs_ns(secs: u64) -> i64 {
    i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(NANOS)
}

/// The text of field `k`, trimmed; None when absent, not text, empty or
/// `-` (the "none" of access logs).
pub(crate) fn text(ev: &Event, k: Key) -> Option<&str> {
    match ev.get(k) {
        Some(ValueRef::Str(s)) => {
            let s = s.trim();
            (!s.is_empty() && s != "-").then_some(s)
        }
        _ => None,
    }
}

/// The first of `ks` with [`text`].
pub(crate) fn first_text<'a>(ev: &'a Event, ks: &[Key]) -> Option<&'a str> {
    ks.iter().find_map(|&k| text(ev, k))
}

/// A field looked up by the name the source gave it ([`Event::get_raw`]),
/// resolved once: a name the event model registers is found by its key
/// (an integer comparison per field), any other by comparing names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawField {
    name: &'static str,
    key: Option<Key>,
}

impl RawField {
    /// The raw field `name`.
    pub(crate) fn new(name: &'static str) -> RawField {
        // A registered raw name is never a normalized one, so `get` finds
        // exactly the raw fields `get_raw` would.
        let key = Key::lookup(name).filter(|k| !k.is_normalized());
        RawField { name, key }
    }

    /// Its value in `ev`, if any.
    pub(crate) fn get<'a>(&self, ev: &'a Event) -> Option<ValueRef<'a>> {
        match self.key {
            Some(k) => ev.get(k),
            None => ev.get_raw(self.name),
        }
    }
}

/// The `event.dataset` values phiwatch's own decoders write. An analytic
/// may name those of them whose events never carry what it reads, and
/// pass over them ([`crate::Analytic::wants`]); events of any other
/// dataset (a custom mapping, generic JSON, CEF) go to every analytic.
const KNOWN_DATASETS: &[&str] = &[
    "aws.cloudtrail",
    "aws.vpcflow",
    "entra.signin",
    "fhir.audit",
    "mssql.audit",
    "mysql.audit",
    "okta.system",
    "postgresql.audit",
    "postgresql.log",
    "suricata.alert",
    "suricata.anomaly",
    "suricata.dns",
    "suricata.fileinfo",
    "suricata.flow",
    "suricata.http",
    "suricata.netflow",
    "suricata.other",
    "suricata.smtp",
    "suricata.ssh",
    "suricata.stats",
    "suricata.tls",
    "system.auth",
    "web.access",
    "windows.application",
    "windows.other",
    "windows.powershell",
    "windows.security",
    "windows.sysmon",
    "windows.system",
    "zeek.conn",
    "zeek.dce_rpc",
    "zeek.dhcp",
    "zeek.dnp3",
    "zeek.dns",
    "zeek.dpd",
    "zeek.files",
    "zeek.ftp",
    "zeek.http",
    "zeek.intel",
    "zeek.irc",
    "zeek.kerberos",
    "zeek.known_certs",
    "zeek.known_hosts",
    "zeek.known_services",
    "zeek.modbus",
    "zeek.mysql",
    "zeek.notice",
    "zeek.ntlm",
    "zeek.ntp",
    "zeek.ocsp",
    "zeek.pe",
    "zeek.quic",
    "zeek.radius",
    "zeek.rdp",
    "zeek.rfb",
    "zeek.sip",
    "zeek.smb_files",
    "zeek.smb_mapping",
    "zeek.smtp",
    "zeek.snmp",
    "zeek.socks",
    "zeek.software",
    "zeek.ssh",
    "zeek.ssl",
    "zeek.syslog",
    "zeek.tunnel",
    "zeek.weird",
    "zeek.x509",
];

/// Whether `dataset` is in an analytic's configured `datasets` (an empty
/// list: every dataset).
pub(crate) fn listed(datasets: &[String], dataset: &str) -> bool {
    datasets.is_empty() || datasets.iter().any(|d| d == dataset)
}

/// Whether an analytic that reads only `relevant` of phiwatch's own
/// datasets wants the events of `dataset`: one of them, or one phiwatch's
/// decoders do not write (its fields are unknown).
pub(crate) fn wants_dataset(dataset: &str, relevant: &[&str]) -> bool {
    relevant.contains(&dataset) || !KNOWN_DATASETS.contains(&dataset)
}

/// The comparable form of an account name: local part, without case,
/// dots, dashes, underscores or spaces (`acme.sync@acme.example`,
/// `acme_sync` and `acme-sync` are one account).
pub fn account_key(name: &str) -> String {
    let mut out = String::new();
    account_key_into(name, &mut out);
    out
}

/// [`account_key`] written into `out` (cleared first), to reuse a buffer.
pub(crate) fn account_key_into(name: &str, out: &mut String) {
    out.clear();
    let local = name.split('@').next().unwrap_or(name);
    let local = local.rsplit('\\').next().unwrap_or(local);
    out.extend(
        local
            .chars()
            .filter(|c| !matches!(c, '.' | '_' | '-' | ' '))
            .flat_map(char::to_lowercase),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiwatch_event::{keys, Value};

    #[test]
    fn accounts_compare_by_their_local_part() {
        assert_eq!(account_key("Acme.Sync@acme.example"), "acmesync");
        assert_eq!(account_key("acme_sync"), "acmesync");
        assert_eq!(account_key("CORP\\acme-sync"), "acmesync");
        let mut buf = String::from("old");
        account_key_into("x.y", &mut buf);
        assert_eq!(buf, "xy");
    }

    #[test]
    fn text_skips_blanks_and_dashes() {
        let mut ev = Event::new(Timestamp::from_nanos(0));
        ev.push_norm_str(keys::USER_NAME, "  alice ");
        ev.push_norm_str(keys::URL_PATH, "-");
        ev.push_norm(keys::SOURCE_PORT, Value::Int(5));
        assert_eq!(text(&ev, keys::USER_NAME), Some("alice"));
        assert_eq!(text(&ev, keys::URL_PATH), None);
        assert_eq!(text(&ev, keys::SOURCE_PORT), None);
        assert_eq!(
            first_text(&ev, &[keys::URL_PATH, keys::USER_NAME]),
            Some("alice")
        );
        assert_eq!(secs_ns(2), 2 * NANOS);
        assert_eq!(secs_ns(u64::MAX), i64::MAX);
    }

    #[test]
    fn unknown_datasets_are_always_wanted() {
        assert!(wants_dataset("zeek.dns", &["zeek.dns"]));
        assert!(!wants_dataset("zeek.conn", &["zeek.dns"]));
        assert!(wants_dataset("json", &["zeek.dns"]));
        assert!(wants_dataset("", &[]));
        assert!(wants_dataset("cef", &[]));
        let mut sorted = KNOWN_DATASETS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, KNOWN_DATASETS);
    }

    #[test]
    fn raw_fields_are_found_by_key_or_name() {
        let mut ev = Event::new(Timestamp::from_nanos(0));
        let n = ev.name("conn_state");
        ev.push(n, phiwatch_event::FieldKind::Raw, Value::Static("REJ"));
        let n = ev.name("no_such_registered_name");
        ev.push(n, phiwatch_event::FieldKind::Raw, Value::Int(3));
        for name in ["conn_state", "no_such_registered_name"] {
            let f = RawField::new(name);
            assert_eq!(
                f.get(&ev).map(|v| v.to_string()),
                ev.get_raw(name).map(|v| v.to_string())
            );
        }
        assert!(RawField::new("absent").get(&ev).is_none());
    }
}
