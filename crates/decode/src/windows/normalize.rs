//! Normalization of a flattened Windows event: dataset and action by channel,
//! provider and event ID, and the process, user, network, file, registry and
//! logon facts under ECS and `phiwatch.*` names.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Value, ValueRef};

use crate::json::{self, Conv};
use crate::{DecodeError, ErrorKind};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dataset {
    Security,
    Sysmon,
    PowerShell,
    System,
    Application,
    Other,
}

impl Dataset {
    fn of(channel: &str) -> Dataset {
        let c = channel.trim();
        if c.eq_ignore_ascii_case("Security") || c == "Sec" {
            Dataset::Security
        } else if c.eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational") || c == "Sysmon" {
            Dataset::Sysmon
        } else if c.eq_ignore_ascii_case("Microsoft-Windows-PowerShell/Operational")
            || c.eq_ignore_ascii_case("Windows PowerShell")
            || c.eq_ignore_ascii_case("PowerShellCore/Operational")
            || c.starts_with("PwSh")
        {
            Dataset::PowerShell
        } else if c.eq_ignore_ascii_case("System") || c == "Sys" {
            Dataset::System
        } else if c.eq_ignore_ascii_case("Application") || c == "App" {
            Dataset::Application
        } else {
            Dataset::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dataset::Security => "windows.security",
            Dataset::Sysmon => "windows.sysmon",
            Dataset::PowerShell => "windows.powershell",
            Dataset::System => "windows.system",
            Dataset::Application => "windows.application",
            Dataset::Other => "windows.other",
        }
    }
}

/// A raw string field that carries a value (not empty, not `-`).
fn text<'e>(ev: &'e Event, name: &str) -> Option<&'e str> {
    match ev.get_by_name(name) {
        Some(ValueRef::Str(s)) => {
            let t = s.trim();
            (!t.is_empty() && t != "-").then_some(t)
        }
        _ => None,
    }
}

/// Copies the first of `from` that holds a value (not empty, not `-`).
fn alias_text(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) -> bool {
    for f in from {
        if text(ev, f).is_some() {
            return json::alias(ev, f, to, Conv::Same);
        }
    }
    false
}

/// A process id: a number, decimal text or `0x…` hex text.
fn pid(ev: &Event, name: &str) -> Option<i64> {
    match ev.get_by_name(name)? {
        ValueRef::Int(i) => Some(i),
        ValueRef::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => i64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// An address: `-`/empty are none; `::ffff:a.b.c.d` is read as IPv4.
fn ip(ev: &Event, name: &str) -> Option<IpAddr> {
    let v = ev.get_by_name(name)?;
    let ip = match v {
        ValueRef::Ip(ip) => ip,
        ValueRef::Str(s) => s.trim().trim_matches(['[', ']']).parse().ok()?,
        _ => return None,
    };
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

fn alias_ip(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) -> bool {
    for f in from {
        if let Some(a) = ip(ev, f) {
            ev.push_norm(to, Value::Ip(a));
            return true;
        }
    }
    false
}

fn alias_port(ev: &mut Event, from: &[&str], to: phiwatch_event::Key) {
    for f in from {
        let p = match ev.get_by_name(f) {
            Some(v) => v.as_i64(),
            None => continue,
        };
        if let Some(p) = p.filter(|p| (0..=65_535).contains(p)) {
            ev.push_norm(to, Value::Int(p));
            return;
        }
    }
}

/// Event ids that are logons (the user is the target, not the subject).
fn is_logon_event(id: i64) -> bool {
    matches!(
        id,
        4624 | 4625 | 4634 | 4647 | 4648 | 4672 | 4768 | 4769 | 4771 | 4776 | 4778 | 4779
    )
}

fn logon_type_name(t: i64) -> Option<&'static str> {
    Some(match t {
        0 => "system",
        2 => "interactive",
        3 => "network",
        4 => "batch",
        5 => "service",
        7 => "unlock",
        8 => "network-cleartext",
        9 => "new-credentials",
        10 => "remote-interactive",
        11 => "cached-interactive",
        12 => "cached-remote-interactive",
        13 => "cached-unlock",
        _ => return None,
    })
}

fn action(ds: Dataset, provider: Option<&str>, id: i64) -> Option<&'static str> {
    let sysmon = ds == Dataset::Sysmon || provider == Some("Microsoft-Windows-Sysmon");
    if sysmon {
        return Some(match id {
            1 => "process-created",
            2 => "file-creation-time-changed",
            3 => "network-connection",
            4 => "sysmon-state-changed",
            5 => "process-terminated",
            6 => "driver-loaded",
            7 => "image-loaded",
            8 => "create-remote-thread",
            9 => "raw-access-read",
            10 => "process-access",
            11 => "file-created",
            12 => "registry-object-added-or-deleted",
            13 => "registry-value-set",
            14 => "registry-object-renamed",
            15 => "file-stream-created",
            17 => "pipe-created",
            18 => "pipe-connected",
            19..=21 => "wmi-activity",
            22 => "dns-query",
            23 => "file-deleted",
            24 => "clipboard-changed",
            25 => "process-tampering",
            26 => "file-deleted-detected",
            27 => "file-block-executable",
            28 => "file-block-shredding",
            29 => "file-executable-detected",
            _ => return None,
        });
    }
    Some(match (ds, id) {
        (Dataset::Security, 4624) => "logged-in",
        (Dataset::Security, 4625) => "logon-failed",
        (Dataset::Security, 4634 | 4647) => "logged-out",
        (Dataset::Security, 4648) => "logged-in-explicit",
        (Dataset::Security, 4672) => "logged-in-special",
        (Dataset::Security, 4688) => "created-process",
        (Dataset::Security, 4689) => "exited-process",
        (Dataset::Security, 4663) => "object-access",
        (Dataset::Security, 4656) => "object-handle-requested",
        (Dataset::Security, 4698) => "scheduled-task-created",
        (Dataset::Security, 4720) => "added-user-account",
        (Dataset::Security, 4726) => "deleted-user-account",
        (Dataset::Security, 4728 | 4732 | 4756) => "added-member-to-group",
        (Dataset::Security, 4768) => "kerberos-authentication-ticket-requested",
        (Dataset::Security, 4769) => "kerberos-service-ticket-requested",
        (Dataset::Security, 4771) => "kerberos-preauth-failed",
        (Dataset::Security, 4776) => "credential-validated",
        (Dataset::Security, 1102) | (Dataset::System, 104) => "audit-log-cleared",
        (Dataset::Security, 5140) => "network-share-object-accessed",
        (Dataset::Security, 5145) => "network-share-object-checked",
        (Dataset::Security, 5156) => "network-connection-allowed",
        (Dataset::System, 7045) => "service-installed",
        (Dataset::PowerShell, 4103) => "module-logging",
        (Dataset::PowerShell, 4104) => "script-block-logging",
        _ => return None,
    })
}

pub(super) fn normalize(ev: &mut Event, hayabusa: bool) -> Result<(), DecodeError> {
    let id = match ev.get_by_name("EventID") {
        Some(ValueRef::Int(i)) => i,
        _ => return Err(DecodeError::new(ErrorKind::Schema, "missing `EventID`")),
    };
    let ds = text(ev, "Channel").map_or(Dataset::Other, Dataset::of);
    json::tag(ev, "windows", ds.name(), "windows");
    let code = id.to_string();
    ev.push_norm_str(keys::EVENT_CODE, &code);
    alias_text(ev, &["Computer"], keys::HOST_NAME);
    alias_text(ev, &["Provider_Name"], keys::EVENT_PROVIDER);
    if !hayabusa {
        if let Some(level) = ev.get_by_name("Level").and_then(|v| v.as_i64()) {
            let name = match level {
                0 | 4 => Some("information"),
                1 => Some("critical"),
                2 => Some("error"),
                3 => Some("warning"),
                5 => Some("verbose"),
                _ => None,
            };
            if let Some(n) = name {
                ev.push_norm(keys::LOG_LEVEL, Value::Static(n));
            }
        }
    } else {
        alias_text(ev, &["RuleTitle"], keys::RULE_NAME);
    }

    // Event action and outcome.
    let provider = text(ev, "Provider_Name").map(str::to_owned);
    match action(ds, provider.as_deref(), id) {
        Some(a) => ev.push_norm(keys::EVENT_ACTION, Value::Static(a)),
        None => ev.push_norm_str(keys::EVENT_ACTION, &code),
    }
    let security = ds == Dataset::Security;
    let outcome = match id {
        4624 if security => Some("success"),
        4625 | 4771 if security => Some("failure"),
        4768 | 4769 | 4776 if security => match ev.get_by_name("Status") {
            Some(ValueRef::Str(s)) => Some(if is_zero_status(s) {
                "success"
            } else {
                "failure"
            }),
            Some(ValueRef::Int(0)) => Some("success"),
            Some(ValueRef::Int(_)) => Some("failure"),
            _ => None,
        },
        _ => None,
    };
    if let Some(o) = outcome {
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
    }

    process(ev, hayabusa);
    user(ev, security && is_logon_event(id), hayabusa);
    network(ev, hayabusa);

    alias_text(ev, &["QueryName"], keys::DNS_QUESTION_NAME);
    alias_text(ev, &["TargetFilename"], keys::FILE_PATH);
    alias_text(ev, &["TargetObject"], keys::REGISTRY_PATH);

    // How the user authenticated.
    if security && is_logon_event(id) {
        let package = text(ev, "AuthenticationPackageName").map(str::to_ascii_lowercase);
        match package {
            Some(p) => ev.push_norm_str(keys::AUTH_METHOD, &p),
            None => {
                let lt = ev.get_by_name("LogonType").and_then(|v| v.as_i64());
                if let Some(n) = lt.and_then(logon_type_name) {
                    ev.push_norm(keys::AUTH_METHOD, Value::Static(n));
                }
            }
        }
    }
    Ok(())
}

fn is_zero_status(s: &str) -> bool {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b == b'0')
}

fn process(ev: &mut Event, hayabusa: bool) {
    let exe = alias_text(ev, &["Image", "NewProcessName"], keys::PROCESS_EXECUTABLE)
        || (hayabusa && alias_text(ev, &["Details.Proc"], keys::PROCESS_EXECUTABLE));
    if exe {
        if let Some(name) = ev
            .get(keys::PROCESS_EXECUTABLE)
            .and_then(|v| v.as_str())
            .and_then(|p| p.rsplit(['\\', '/']).next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
        {
            ev.push_norm_str(keys::PROCESS_NAME, &name);
        }
    }
    if !alias_text(ev, &["CommandLine"], keys::PROCESS_COMMAND_LINE) && hayabusa {
        alias_text(ev, &["Details.Cmdline"], keys::PROCESS_COMMAND_LINE);
    }
    alias_text(
        ev,
        &["ParentImage", "ParentProcessName"],
        keys::PROCESS_PARENT_EXECUTABLE,
    );
    alias_text(
        ev,
        &["ParentCommandLine"],
        keys::PROCESS_PARENT_COMMAND_LINE,
    );
    // Security 4688 names the new process `NewProcessId` and its creator
    // `ProcessId`; Sysmon names them `ProcessId` and `ParentProcessId`.
    if let Some(p) = pid(ev, "NewProcessId") {
        ev.push_norm(keys::PROCESS_PID, Value::Int(p));
        if let Some(pp) = pid(ev, "ProcessId") {
            ev.push_norm(keys::PROCESS_PARENT_PID, Value::Int(pp));
        }
    } else {
        if let Some(p) =
            pid(ev, "ProcessId").or_else(|| hayabusa.then(|| pid(ev, "Details.PID")).flatten())
        {
            ev.push_norm(keys::PROCESS_PID, Value::Int(p));
        }
        if let Some(pp) = pid(ev, "ParentProcessId") {
            ev.push_norm(keys::PROCESS_PARENT_PID, Value::Int(pp));
        }
    }
}

fn user(ev: &mut Event, logon: bool, hayabusa: bool) {
    let pairs: &[(&str, &str, &str)] = if logon {
        &[
            ("TargetUserName", "TargetDomainName", "TargetUserSid"),
            ("SubjectUserName", "SubjectDomainName", "SubjectUserSid"),
        ]
    } else {
        &[
            ("SubjectUserName", "SubjectDomainName", "SubjectUserSid"),
            ("TargetUserName", "TargetDomainName", "TargetUserSid"),
        ]
    };
    for (name, domain, sid) in pairs {
        if text(ev, name).is_some() {
            alias_text(ev, &[name], keys::USER_NAME);
            alias_text(ev, &[domain], keys::USER_DOMAIN);
            alias_text(ev, &[sid], keys::USER_ID);
            return;
        }
    }
    // Sysmon and others: `User` as `DOMAIN\name`.
    let user = ["User", "Details.User", "Details.TgtUser"]
        .into_iter()
        .filter(|n| hayabusa || !n.starts_with("Details."))
        .find_map(|n| text(ev, n))
        .map(str::to_owned);
    if let Some(u) = user {
        match u.split_once('\\') {
            Some((d, n)) if !n.is_empty() => {
                ev.push_norm_str(keys::USER_NAME, n);
                if !d.is_empty() {
                    ev.push_norm_str(keys::USER_DOMAIN, d);
                }
            }
            _ => ev.push_norm_str(keys::USER_NAME, &u),
        }
    }
    if ev.get(keys::USER_ID).is_none() {
        alias_text(ev, &["UserID"], keys::USER_ID);
    }
}

fn network(ev: &mut Event, hayabusa: bool) {
    let src: &[&str] = if hayabusa {
        &["IpAddress", "SourceIp", "SourceAddress", "Details.SrcIP"]
    } else {
        &["IpAddress", "SourceIp", "SourceAddress"]
    };
    if alias_ip(ev, src, keys::SOURCE_IP) {
        alias_port(
            ev,
            &["IpPort", "SourcePort", "Details.SrcPort"],
            keys::SOURCE_PORT,
        );
    }
    let dst: &[&str] = if hayabusa {
        &["DestinationIp", "DestAddress", "Details.TgtIP"]
    } else {
        &["DestinationIp", "DestAddress"]
    };
    if alias_ip(ev, dst, keys::DESTINATION_IP) {
        alias_port(
            ev,
            &["DestinationPort", "DestPort", "Details.TgtPort"],
            keys::DESTINATION_PORT,
        );
    }
    alias_text(ev, &["WorkstationName"], keys::SOURCE_DOMAIN);
    alias_text(ev, &["SourceHostname"], keys::SOURCE_DOMAIN);
    alias_text(ev, &["DestinationHostname"], keys::DESTINATION_DOMAIN);
    if let Some(p) = text(ev, "Protocol").map(str::to_ascii_lowercase) {
        if matches!(p.as_str(), "tcp" | "udp" | "icmp") {
            ev.push_norm_str(keys::NETWORK_TRANSPORT, &p);
        }
    }
}
