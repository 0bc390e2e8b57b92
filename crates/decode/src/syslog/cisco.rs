//! Cisco IOS / IOS-XE / NX-OS messages, as devices send them and as
//! collectors write them: `[<PRI>][HOST ][SEQ: ][*|.]Mmm dd [yyyy ]hh:mm:ss[.fff][ TZ]: %FACILITY-SEVERITY-MNEMONIC: text`.
//! The `*` or `.` before the time says the device clock is not
//! synchronized; the time is still the device's.

use phiwatch_event::{keys, Event, Timestamp, Value};

use super::{timefmt, Header};
use crate::{DecodeError, ErrorKind};

/// The `%FACILITY-SEVERITY-MNEMONIC` of a message.
pub(super) struct Mnemonic<'a> {
    pub(super) code: &'a str,
    pub(super) facility: &'a str,
    pub(super) severity: u8,
    pub(super) mnemonic: &'a str,
}

/// The position of `: %` that starts a Cisco mnemonic in `s`, and the
/// mnemonic, when there is one.
fn find(s: &str) -> Option<(usize, Mnemonic<'_>, &str)> {
    let mut from = 0;
    while let Some(i) = s.get(from..)?.find(": %") {
        let at = from + i;
        let tail = s.get(at + 3..)?;
        let end = tail.find(':').unwrap_or(tail.len());
        let code = tail.get(..end)?;
        if let Some(m) = mnemonic(code) {
            let msg = tail.get(end + 1..).unwrap_or("").trim_start();
            return Some((at, m, msg));
        }
        from = at + 3;
    }
    None
}

/// `FAC[-SUBFAC]-SEV-MNEMONIC` with a severity digit 0–7.
fn mnemonic(code: &str) -> Option<Mnemonic<'_>> {
    let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let mut parts = code.rsplitn(3, '-');
    let mnemonic = parts.next()?;
    let sev = parts.next()?;
    let facility = parts.next()?;
    let severity = match sev.as_bytes() {
        [d @ b'0'..=b'7'] => d - b'0',
        _ => return None,
    };
    (ok(mnemonic) && facility.split('-').all(ok)).then_some(Mnemonic {
        code,
        facility,
        severity,
        mnemonic,
    })
}

/// Whether `s` (after any `<PRI>`) carries a Cisco mnemonic.
pub(super) fn looks_like(s: &str) -> bool {
    find(s).is_some()
}

/// Parses a Cisco message (after any `<PRI>`); `None` when `s` is not one.
pub(super) fn parse<'a>(
    s: &'a str,
    year: Option<i32>,
    ev: &mut Event,
) -> Option<Result<Header<'a>, DecodeError>> {
    let (at, m, msg) = find(s)?;
    let prefix = s.get(..at)?.trim();
    Some(header(prefix, &m, msg, year).inspect(|_| push(ev, &m)))
}

fn header<'a>(
    prefix: &'a str,
    m: &Mnemonic<'a>,
    msg: &'a str,
    year: Option<i32>,
) -> Result<Header<'a>, DecodeError> {
    let mut rest = prefix;
    let mut hostname = None;
    let mut sequence = None;
    // A host first, unless the prefix starts with the sequence or the time.
    if let Some((first, after)) = rest.split_once(' ') {
        if !is_sequence(first) && timefmt::month(first.trim_start_matches(['*', '.'])).is_none() {
            hostname = Some(first.trim_end_matches(':'));
            rest = after.trim_start();
        }
    }
    if let Some((first, after)) = rest.split_once(' ') {
        if is_sequence(first) {
            sequence = Some(first.trim_end_matches(':'));
            rest = after.trim_start();
        }
    }
    // `45: %SYS-…`: only a sequence number, no time (`service timestamps` off).
    let bare = rest.trim_end_matches(':');
    if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
        sequence = Some(bare);
        rest = "";
    }
    let time = if rest.is_empty() {
        None
    } else {
        Some(time(rest.trim_start_matches(['*', '.']), year)?)
    };
    Ok(Header {
        pri: None,
        time,
        hostname,
        appname: None,
        procid: sequence,
        msgid: Some(m.code),
        msg,
    })
}

fn is_sequence(t: &str) -> bool {
    let d = t.trim_end_matches(':');
    t.ends_with(':') && !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// `Mmm dd [yyyy] hh:mm:ss[.fff] [TZ]`.
fn time(s: &str, year: Option<i32>) -> Result<Timestamp, DecodeError> {
    let bad = || {
        DecodeError::new(
            ErrorKind::Time,
            "Cisco timestamp: expected `Mmm dd [yyyy] hh:mm:ss[.fff] [zone]` before the `%` mnemonic",
        )
    };
    let (parts, zone) = timefmt::bsd(s).ok_or_else(bad)?;
    let p = parts.map_err(|()| bad())?;
    let y =
        match (p.year, year) {
            (Some(y), _) => y,
            (None, Some(y)) => i64::from(y),
            (None, None) => return Err(DecodeError::new(
                ErrorKind::Time,
                "Cisco timestamp has no year and no year is configured (set the year of the log)",
            )),
        };
    let zone = zone.trim();
    let offset = if zone.is_empty() {
        0
    } else {
        timefmt::zone(zone).ok_or_else(bad)?
    };
    let (hh, mm, ss, nanos) = p.clock;
    Timestamp::from_civil(y, p.month, p.day, hh, mm, ss, nanos, offset).ok_or_else(bad)
}

/// The mnemonic's fields; its severity stands in for a missing `<PRI>`.
fn push(ev: &mut Event, m: &Mnemonic<'_>) {
    ev.push_norm(keys::OBSERVER_VENDOR, Value::Static("Cisco"));
    ev.push_norm_str(keys::EVENT_CODE, m.code);
    for (name, text) in [
        ("cisco.facility", m.facility),
        ("cisco.mnemonic", m.mnemonic),
    ] {
        let n = ev.name(name);
        let v = ev.store_str(text);
        ev.push_raw(n, v);
    }
    let n = ev.name("cisco.severity");
    ev.push_raw(n, Value::Int(i64::from(m.severity)));
    ev.push_norm(
        keys::LOG_SYSLOG_SEVERITY_CODE,
        Value::Int(i64::from(m.severity)),
    );
    if let Some(name) = super::SEVERITY_NAMES.get(usize::from(m.severity)) {
        ev.push_norm(keys::LOG_LEVEL, Value::Static(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str, year: Option<i32>) -> Result<(Header<'_>, Event), DecodeError> {
        let mut ev = Event::new(Timestamp::EPOCH);
        let h = parse(s, year, &mut ev).expect("cisco shape")?;
        Ok((h, ev))
    }

    #[test]
    fn collector_line_with_host_sequence_and_millis() {
        // The SigmaHQ regression sample (cisco_cli_dot1x_disabled).
        let (h, ev) = decode(
            "172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no access-session port-control",
            Some(2025),
        )
        .unwrap();
        assert_eq!(h.hostname, Some("172.16.5.10"));
        assert_eq!(h.procid, Some("6705"));
        assert_eq!(h.time.unwrap().to_rfc3339(), "2025-02-17T13:40:03.673000Z");
        assert_eq!(
            h.msg,
            "User:admin  logged command:no access-session port-control"
        );
        assert_eq!(
            ev.get(keys::EVENT_CODE).unwrap().as_str(),
            Some("PARSER-5-CFGLOG_LOGGEDCMD")
        );
        assert_eq!(ev.get(keys::LOG_LEVEL).unwrap().as_str(), Some("notice"));
    }

    #[test]
    fn device_forms() {
        let (h, _) = decode("123: *Mar  1 18:48:50.483 UTC: %SYS-5-CONFIG_I: Configured from console by vty2 (10.34.195.36)", Some(2024)).unwrap();
        assert_eq!((h.hostname, h.procid), (None, Some("123")));
        assert_eq!(h.time.unwrap().to_rfc3339(), "2024-03-01T18:48:50.483000Z");
        let (h, _) = decode("router1: Mar 1 2023 09:00:00 UTC: %LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to down", None).unwrap();
        assert_eq!(h.hostname, Some("router1"));
        assert_eq!(h.time.unwrap().to_rfc3339(), "2023-03-01T09:00:00.000000Z");
        let (h, _) = decode("45: %SYS-5-RESTART: System restarted --", None).unwrap();
        assert!(h.time.is_none());
        let (h, ev) = decode(
            "sw1 Mar 1 2023 09:00:00 EST: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: admin]",
            None,
        )
        .unwrap();
        assert_eq!(h.time.unwrap().to_rfc3339(), "2023-03-01T14:00:00.000000Z");
        assert_eq!(
            ev.get_raw("cisco.facility").unwrap().as_str(),
            Some("SEC_LOGIN")
        );
    }

    #[test]
    fn not_cisco() {
        let mut ev = Event::new(Timestamp::EPOCH);
        for s in [
            "Mar  1 10:00:00 host su: %what",
            "a: %B-9-C: x",
            "x: %-5-Y: z",
            "plain text",
        ] {
            assert!(parse(s, Some(2024), &mut ev).is_none(), "{s}");
        }
        assert!(decode("1: Feb 30 10:00:00: %SYS-5-X: y", Some(2024)).is_err());
        assert!(decode("1: Feb 3 10:00:00: %SYS-5-X: y", None).is_err());
    }
}
