//! Indicators and observables.

use std::fmt;
use std::net::IpAddr;

use phiwatch_event::Timestamp;

/// An IP address or network (`prefix` bits; 32 or 128 for one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpNet {
    /// The network's address with the host bits cleared.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl IpNet {
    /// Whether this is a single address (not a network).
    pub fn is_host(&self) -> bool {
        self.prefix == max_prefix(&self.addr)
    }

    /// Whether `ip` is inside this network.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = mask_v4(self.prefix);
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = mask_v6(self.prefix);
                u128::from(n) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

/// The prefix length of a single address of `ip`'s family.
pub fn max_prefix(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// The IPv4 netmask of `prefix` bits.
pub fn mask_v4(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// The IPv6 netmask of `prefix` bits.
pub fn mask_v6(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p => u128::MAX << (128 - u32::from(p.min(128))),
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// A hash algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashKind {
    /// MD5 (32 hex digits).
    Md5,
    /// SHA-1 (40).
    Sha1,
    /// SHA-256 (64).
    Sha256,
    /// SHA-512 (128).
    Sha512,
}

impl HashKind {
    /// The STIX hash name (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
    pub fn stix_name(self) -> &'static str {
        match self {
            HashKind::Md5 => "MD5",
            HashKind::Sha1 => "SHA-1",
            HashKind::Sha256 => "SHA-256",
            HashKind::Sha512 => "SHA-512",
        }
    }

    /// The number of hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            HashKind::Md5 => 32,
            HashKind::Sha1 => 40,
            HashKind::Sha256 => 64,
            HashKind::Sha512 => 128,
        }
    }

    /// The kind of a hash of `len` hex digits.
    pub fn from_hex_len(len: usize) -> Option<HashKind> {
        match len {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            128 => Some(HashKind::Sha512),
            _ => None,
        }
    }
}

/// One normalized value an indicator looks for. Values are normalized when
/// built (see `normalize.rs`): lowercase domains without a trailing dot and
/// with IDNs in their ASCII form, URLs in `url`'s serialization, lowercase
/// hex hashes, lowercase emails.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Observable {
    /// An address or a network: a destination, source, client or server
    /// address inside it matches.
    Ip(IpNet),
    /// A domain: the name itself and every subdomain match (DNS questions,
    /// TLS SNI, HTTP hosts, URL hosts).
    Domain(String),
    /// A URL (normalized).
    Url(String),
    /// A file hash.
    FileHash(HashKind, String),
    /// An X.509 certificate hash.
    CertHash(HashKind, String),
    /// An email address.
    Email(String),
    /// A JA3 client fingerprint (MD5 hex).
    Ja3(String),
    /// A JA3S server fingerprint (MD5 hex).
    Ja3s(String),
    /// A JA4 fingerprint.
    Ja4(String),
    /// A user agent, exactly.
    UserAgent(String),
    /// A file name, exactly.
    FileName(String),
}

impl Observable {
    /// A short name of the kind (`ip`, `domain`, `url`, `file-hash`, …), as
    /// used in findings and exports.
    pub fn kind(&self) -> &'static str {
        match self {
            Observable::Ip(_) => "ip",
            Observable::Domain(_) => "domain",
            Observable::Url(_) => "url",
            Observable::FileHash(..) => "file-hash",
            Observable::CertHash(..) => "cert-hash",
            Observable::Email(_) => "email",
            Observable::Ja3(_) => "ja3",
            Observable::Ja3s(_) => "ja3s",
            Observable::Ja4(_) => "ja4",
            Observable::UserAgent(_) => "user-agent",
            Observable::FileName(_) => "file-name",
        }
    }

    /// The value as text (`10.0.0.0/8`, `evil.example`, a hash's hex).
    pub fn value(&self) -> String {
        match self {
            Observable::Ip(n) => n.to_string(),
            Observable::Domain(s)
            | Observable::Url(s)
            | Observable::Email(s)
            | Observable::Ja3(s)
            | Observable::Ja3s(s)
            | Observable::Ja4(s)
            | Observable::UserAgent(s)
            | Observable::FileName(s)
            | Observable::FileHash(_, s)
            | Observable::CertHash(_, s) => s.clone(),
        }
    }
}

/// A kill-chain phase (`mitre-attack` / `exfiltration`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KillChainPhase {
    /// The kill chain's name (`mitre-attack`, `lockheed-martin-cyber-kill-chain`).
    pub chain: String,
    /// The phase (`command-and-control`).
    pub phase: String,
}

/// One indicator of compromise.
#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    /// Its id: the STIX id (`indicator--…`), the MISP attribute uuid, or one
    /// derived from the source and the value.
    pub id: String,
    /// A name for people (the STIX name, the MISP event info, the value).
    pub name: String,
    /// The file it was read from (the first, when merged from several).
    pub source: String,
    /// What it looks for: any of these groups, each group's observables all
    /// in one event (a STIX comparison expression `[a AND b]`). Most
    /// indicators have one group of one observable.
    pub any_of: Vec<Vec<Observable>>,
    /// The STIX pattern it came from, if any.
    pub pattern: Option<String>,
    /// Not valid before this time (None: always).
    pub valid_from: Option<Timestamp>,
    /// Not valid after this time (None: never expires).
    pub valid_until: Option<Timestamp>,
    /// Confidence 0–100, when given.
    pub confidence: Option<u8>,
    /// Labels, tags, categories.
    pub labels: Vec<String>,
    /// Kill-chain phases (ATT&CK tactics when the chain is `mitre-attack`).
    pub kill_chain: Vec<KillChainPhase>,
    /// ATT&CK technique ids named by the source (MISP galaxies, STIX
    /// external references), `T1071.001`.
    pub techniques: Vec<String>,
    /// A description, when given.
    pub description: Option<String>,
}

impl Indicator {
    /// An indicator of one observable, with an id derived from `source` and
    /// the value, valid always.
    pub fn of(observable: Observable, source: &str) -> Indicator {
        let name = observable.value();
        Indicator {
            id: format!("{}:{}", observable.kind(), name),
            name,
            source: source.to_string(),
            any_of: vec![vec![observable]],
            pattern: None,
            valid_from: None,
            valid_until: None,
            confidence: None,
            labels: Vec::new(),
            kill_chain: Vec::new(),
            techniques: Vec::new(),
            description: None,
        }
    }

    /// Whether it is expired at `now` (its `valid_until` is before).
    pub fn expired_at(&self, now: Timestamp) -> bool {
        self.valid_until.is_some_and(|u| u < now)
    }
}

/// Something in an intel file phiwatch could not use: a pattern it cannot
/// evaluate, a line it cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub source: String,
    /// Where in it: `line 12`, `indicator--…`, `Attribute 7`.
    pub location: String,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.source, self.location, self.reason)
    }
}

/// What loading intel files did: every item read is loaded, merged into an
/// earlier one, skipped (expired, not for detection) or a problem.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Files read.
    pub files: usize,
    /// Items read (STIX indicators, MISP attributes, lines).
    pub read: usize,
    /// Indicators kept.
    pub loaded: usize,
    /// Items merged into an indicator with the same observables.
    pub merged: usize,
    /// Items skipped because their `valid_until` has passed.
    pub expired: usize,
    /// MISP attributes with `to_ids` false (context, not detection).
    pub not_for_detection: usize,
    /// Items that could not be used, each with its reason.
    pub problems: Vec<Problem>,
}
