//! auth.log decoder: golden counts over the synthetic fixtures in
//! `tests/data/authlog/`, spot checks of each message family, bad input,
//! detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use phiwatch_decode::{detect, DecodeError, Decoder, DecoderConfig, ErrorKind, Format, Framing};
use phiwatch_event::{keys, Event, Origin};
use proptest::prelude::*;

mod common;
use common::s;

const AUTH_LOG: &str = include_str!("data/authlog/auth.log");
const SECURE_ISO: &str = include_str!("data/authlog/secure-iso.log");

fn decoder_with(year: Option<i32>) -> Box<dyn Decoder> {
    let cfg = DecoderConfig {
        year,
        ..DecoderConfig::default()
    };
    Format::AuthLog.decoder(&cfg).expect("decoder")
}

fn decoder() -> Box<dyn Decoder> {
    decoder_with(Some(2024))
}

fn run_lines(text: &str) -> (Vec<Event>, Vec<(u64, DecodeError)>, usize) {
    let r = common::run_lines(&mut *decoder(), text);
    (r.events, r.errors, r.skipped)
}

fn ip(ev: &Event) -> Option<String> {
    ev.get(keys::SOURCE_IP).map(|v| v.to_string())
}

fn one(line: &str) -> Event {
    decoder()
        .decode(line.as_bytes(), Origin::default())
        .expect(line)
        .expect(line)
}

/// `action:outcome` of each event, outcome `-` when unset.
fn actions(evs: &[Event]) -> Vec<String> {
    evs.iter()
        .map(|e| {
            format!(
                "{}:{}",
                s(e, keys::EVENT_ACTION).unwrap_or("?"),
                s(e, keys::EVENT_OUTCOME).unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn auth_log_story() {
    let (evs, errs, skipped) = run_lines(AUTH_LOG);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((evs.len(), skipped), (40, 0));
    for ev in &evs {
        assert_eq!(s(ev, keys::EVENT_DATASET), Some("system.auth"));
        assert_eq!(s(ev, keys::EVENT_MODULE), Some("system"));
        assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("auth-log"));
        assert_eq!(s(ev, keys::HOST_NAME), Some("ehr-db01"));
    }
    assert_eq!(actions(&evs), GOLDEN_AUTH_LOG);

    // Brute force from one address, then a success from it.
    let attacker = "203.0.113.66";
    let failed = evs
        .iter()
        .filter(|e| {
            ip(e).as_deref() == Some(attacker) && s(e, keys::EVENT_OUTCOME) == Some("failure")
        })
        .count();
    assert_eq!(failed, 19);
    let login = evs
        .iter()
        .find(|e| s(e, keys::EVENT_ACTION) == Some("ssh_login"))
        .unwrap();
    assert_eq!(ip(login).as_deref(), Some(attacker));
    assert_eq!(s(login, keys::USER_NAME), Some("jdoe"));
    assert_eq!(s(login, keys::AUTH_METHOD), Some("password"));
    assert_eq!(
        login.get(keys::SOURCE_PORT).and_then(|v| v.as_i64()),
        Some(50388)
    );
    assert_eq!(s(login, keys::PROCESS_NAME), Some("sshd"));
    assert_eq!(
        login.get(keys::PROCESS_PID).and_then(|v| v.as_i64()),
        Some(2251)
    );
    assert_eq!(login.time().to_rfc3339(), "2024-03-05T09:03:05.000000Z");
    assert_eq!(
        s(login, keys::MESSAGE),
        Some("Accepted password for jdoe from 203.0.113.66 port 50388 ssh2")
    );

    // Invalid users, the empty one included.
    let invalid: Vec<Option<&str>> = evs
        .iter()
        .filter(|e| s(e, keys::EVENT_ACTION) == Some("invalid_user"))
        .map(|e| s(e, keys::USER_NAME))
        .collect();
    assert_eq!(invalid, [Some("admin"), None, Some("postgres")]);
    let failed_invalid = &evs[5];
    assert_eq!(s(failed_invalid, keys::USER_NAME), Some("admin"));
    assert_eq!(s(failed_invalid, keys::EVENT_REASON), Some("invalid user"));

    // sudo to root copying a patient export; sudo failure.
    let sudo: Vec<&Event> = evs
        .iter()
        .filter(|e| s(e, keys::EVENT_ACTION) == Some("sudo"))
        .collect();
    assert_eq!(sudo.len(), 2);
    assert_eq!(s(sudo[0], keys::USER_NAME), Some("jdoe"));
    assert_eq!(s(sudo[0], keys::USER_EFFECTIVE_NAME), Some("root"));
    assert_eq!(
        s(sudo[0], keys::PROCESS_COMMAND_LINE),
        Some("/usr/bin/cp /srv/ehr/exports/patients_2024-03.csv /tmp/.p.csv")
    );
    assert_eq!(
        sudo[0].get_raw("PWD").and_then(|v| v.as_str()),
        Some("/home/jdoe")
    );
    assert_eq!(
        sudo[0].get_raw("TTY").and_then(|v| v.as_str()),
        Some("pts/1")
    );
    assert_eq!(s(sudo[0], keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(sudo[1], keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(
        s(sudo[1], keys::EVENT_REASON),
        Some("3 incorrect password attempts")
    );

    // PAM authentication failure with rhost and user.
    let pam = &evs[13];
    assert_eq!(s(pam, keys::EVENT_ACTION), Some("auth_failure"));
    assert_eq!(s(pam, keys::USER_NAME), Some("jdoe"));
    assert_eq!(ip(pam).as_deref(), Some(attacker));
    assert_eq!(pam.get_raw("tty").and_then(|v| v.as_str()), Some("ssh"));

    // su and logind sessions.
    let su = &evs[30];
    assert_eq!(s(su, keys::EVENT_ACTION), Some("su"));
    assert_eq!(s(su, keys::USER_NAME), Some("jdoe"));
    assert_eq!(s(su, keys::USER_EFFECTIVE_NAME), Some("postgres"));
    let new = &evs[24];
    assert_eq!(s(new, keys::EVENT_ACTION), Some("new_session"));
    assert_eq!(s(new, keys::PHIWATCH_SESSION_ID), Some("17"));
    assert_eq!(s(new, keys::USER_NAME), Some("jdoe"));
    // A public key login from the backup host.
    let key = &evs[37];
    assert_eq!(s(key, keys::AUTH_METHOD), Some("publickey"));
    assert_eq!(s(key, keys::USER_NAME), Some("backup"));
}

const GOLDEN_AUTH_LOG: [&str; 40] = [
    "session_opened:success",
    "session_closed:-",
    "invalid_user:failure",
    "other:-",
    "auth_failure:failure",
    "ssh_login_failed:failure",
    "ssh_connection_closed:failure",
    "invalid_user:failure",
    "ssh_connection_closed:failure",
    "invalid_user:failure",
    "ssh_login_failed:failure",
    "ssh_disconnected:failure",
    "ssh_disconnected:failure",
    "auth_failure:failure",
    "ssh_login_failed:failure",
    "ssh_login_failed:failure",
    "ssh_login_failed:failure",
    "ssh_login_failed:failure",
    "ssh_login_failed:failure",
    "ssh_max_auth_attempts:failure",
    "ssh_disconnected:failure",
    "auth_failure:failure",
    "ssh_login:success",
    "session_opened:success",
    "new_session:-",
    "sudo:success",
    "session_opened:success",
    "session_closed:-",
    "sudo:failure",
    "su:failure",
    "su:success",
    "session_opened:success",
    "ssh_disconnected:-",
    "ssh_disconnected:-",
    "session_closed:-",
    "session_logged_out:-",
    "removed_session:-",
    "ssh_login:success",
    "session_opened:success",
    "other:-",
];

#[test]
fn high_precision_form() {
    let (evs, errs, skipped) = run_lines(SECURE_ISO);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((evs.len(), skipped), (8, 0));
    assert_eq!(
        actions(&evs),
        [
            "ssh_login_failed:failure",
            "ssh_login:success",
            "session_opened:success",
            "new_session:-",
            "sudo:failure",
            "ssh_connection_closed:-",
            "ssh_login:success",
            "other:-",
        ]
    );
    assert_eq!(evs[0].time().to_rfc3339(), "2024-03-05T10:01:02.123456Z");
    assert_eq!(s(&evs[0], keys::AUTH_METHOD), Some("publickey"));
    assert_eq!(
        s(&evs[1], keys::AUTH_METHOD),
        Some("keyboard-interactive/pam")
    );
    // +01:00 is converted to UTC.
    assert_eq!(evs[4].time().to_rfc3339(), "2024-03-05T10:02:00.500000Z");
    assert_eq!(s(&evs[4], keys::EVENT_REASON), Some("user NOT in sudoers"));
    assert_eq!(s(&evs[4], keys::USER_EFFECTIVE_NAME), Some("root"));
    assert_eq!(
        s(&evs[4], keys::PROCESS_COMMAND_LINE),
        Some("/usr/bin/tar czf /tmp/x.tgz /srv/phi")
    );
    assert_eq!(
        evs[4].get(keys::PROCESS_PID).and_then(|v| v.as_i64()),
        Some(3150)
    );
    assert_eq!(ip(&evs[5]).as_deref(), Some("198.51.100.23"));
    assert_eq!(
        evs[5].get(keys::SOURCE_PORT).and_then(|v| v.as_i64()),
        Some(60022)
    );
    assert_eq!(s(&evs[6], keys::PROCESS_NAME), Some("sshd-session"));
    assert_eq!(ip(&evs[6]).as_deref(), Some("2001:db8::7"));
    assert_eq!(s(&evs[7], keys::PROCESS_NAME), Some("polkitd"));
    assert_eq!(s(&evs[7], keys::HOST_NAME), Some("ehr-app02"));
}

#[test]
fn odd_lines() {
    // A host name instead of an address (UseDNS yes).
    let ev = one(
        "Mar  5 09:00:00 h sshd[1]: Failed password for root from scanner.example.net port 22 ssh2",
    );
    assert_eq!(ev.get(keys::SOURCE_IP), None);
    assert_eq!(s(&ev, keys::SOURCE_DOMAIN), Some("scanner.example.net"));
    // Two-digit day, no pid, util-linux su.
    let ev = one("Mar 15 09:00:00 h su: FAILED su for root by mallory");
    assert_eq!(ev.time().to_rfc3339(), "2024-03-15T09:00:00.000000Z");
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(s(&ev, keys::USER_EFFECTIVE_NAME), Some("root"));
    assert_eq!(ev.get(keys::PROCESS_PID), None);
    // A command holding ` ; ` stays whole.
    let ev = one("Mar  5 09:00:00 h sudo: bob : TTY=pts/2 ; PWD=/srv ; USER=postgres ; COMMAND=/bin/sh -c psql -c 'select 1' ; cat /tmp/x");
    assert_eq!(
        s(&ev, keys::PROCESS_COMMAND_LINE),
        Some("/bin/sh -c psql -c 'select 1' ; cat /tmp/x")
    );
    assert_eq!(s(&ev, keys::USER_EFFECTIVE_NAME), Some("postgres"));
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("success"));
    // A line without a program tag is kept.
    let ev = one("Mar  5 09:00:00 h -- MARK --");
    assert_eq!(s(&ev, keys::EVENT_ACTION), Some("other"));
    assert_eq!(ev.get(keys::PROCESS_NAME), None);
    assert_eq!(s(&ev, keys::MESSAGE), Some("-- MARK --"));
    // A binary user name is kept, escaped.
    let ev = decoder()
        .decode(
            b"Mar  5 09:00:00 h sshd[9]: Invalid user \xff\xfeadm from 192.0.2.9 port 4",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(s(&ev, keys::USER_NAME), Some("\\xff\\xfeadm"));
    assert_eq!(ip(&ev).as_deref(), Some("192.0.2.9"));
    // Leap day.
    let ev = decoder_with(Some(2024))
        .decode(b"Feb 29 00:00:00 h sshd[1]: x", Origin::default())
        .unwrap()
        .unwrap();
    assert_eq!(ev.time().to_rfc3339(), "2024-02-29T00:00:00.000000Z");
}

#[test]
fn bad_lines() {
    use ErrorKind::*;
    let cases: &[(&[u8], Option<i32>, ErrorKind, &str)] = &[
        (
            b"Mar  5 09:00:00 h sshd[1]: Accepted password for secret",
            None,
            Time,
            "has no year and none was configured",
        ),
        (
            b"Feb 29 00:00:00 h sshd[1]: x",
            Some(2023),
            Time,
            "invalid RFC 3164 timestamp",
        ),
        (
            b"Mar  5 9:00:00 h sshd[1]: x",
            Some(2024),
            Time,
            "expected `hh:mm:ss`",
        ),
        (
            b"2024-13-05T10:00:00Z h sshd[1]: x",
            Some(2024),
            Time,
            "invalid timestamp",
        ),
        (
            b"secret text that is not a log line",
            Some(2024),
            Schema,
            "not an auth.log line",
        ),
        (
            b"Mar  5 09:00:00",
            Some(2024),
            Schema,
            "not an auth.log line",
        ),
        (
            b"Mar  5 09:00:00 h\xff sshd[1]: x",
            Some(2024),
            Encoding,
            "invalid UTF-8",
        ),
        (
            b"Mar  5 09:00:00 h ss\xffhd[1]: x",
            Some(2024),
            Encoding,
            "invalid UTF-8",
        ),
    ];
    for (line, year, kind, reason) in cases {
        let e = decoder_with(*year)
            .decode(line, Origin::default())
            .expect_err(&String::from_utf8_lossy(line));
        assert_eq!(
            e.kind,
            *kind,
            "{}: {}",
            String::from_utf8_lossy(line),
            e.reason
        );
        assert!(e.reason.contains(reason), "{}", e.reason);
        assert!(!e.reason.contains("secret"));
    }
    assert!(decoder().decode(b"", Origin::default()).unwrap().is_none());
    assert!(decoder()
        .decode(b" \r", Origin::default())
        .unwrap()
        .is_none());
}

#[test]
fn detection() {
    for (name, text) in [("auth.log", AUTH_LOG), ("secure", SECURE_ISO)] {
        let d = detect(text.as_bytes()).expect(name);
        assert_eq!(
            (d.format, d.framing),
            (Format::AuthLog, Framing::Lines),
            "{name}"
        );
    }
    // A general syslog file (other programs, cron jobs) is not claimed.
    let syslog = "Mar  5 09:00:01 h CRON[10]: (root) CMD (run-parts /etc/cron.hourly)\n\
                  Mar  5 09:00:02 h kernel: [  12.0] eth0: link up\n\
                  Mar  5 09:00:03 h systemd[1]: Started Daily apt activities.\n\
                  Mar  5 09:00:04 h sshd[5]: Accepted password for a from 192.0.2.1 port 1 ssh2\n\
                  Mar  5 09:00:05 h dhclient[77]: DHCPACK of 10.0.0.5 from 10.0.0.1\n";
    assert_ne!(
        detect(syslog.as_bytes()).map(|d| d.format),
        Some(Format::AuthLog)
    );
    for other in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\"}\n",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com sshd - ID47 - Accepted password for a\n",
        "192.0.2.1 - - [05/Mar/2024:09:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
    ] {
        assert_ne!(detect(other.as_bytes()).map(|d| d.format), Some(Format::AuthLog), "{other}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decoder().decode(&bytes, Origin::default());
        let _ = decoder_with(None).decode(&bytes, Origin::default());
    }

    #[test]
    fn mutated_lines_never_panic(
        line in 0usize..40,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let src = AUTH_LOG.lines().nth(line).unwrap_or("");
        let b = common::mutate(src.as_bytes(), edits, cut);
        let _ = decoder().decode(&b, Origin::default());
    }

    #[test]
    fn message_shapes_never_panic(
        prog in "(sshd|sudo|su|systemd-logind|CRON|sshd-session)",
        msg in "(Accepted |Failed |Invalid user |Connection closed by |Disconnected from |Received disconnect from |pam_unix\\(x:auth\\): authentication failure;|New session |Removed session |\\(to |FAILED su for |Session )?[ -~]{0,40}",
    ) {
        let line = format!("Mar  5 09:00:00 h {prog}[1]: {msg}");
        let _ = decoder().decode(line.as_bytes(), Origin::default());
    }
}
