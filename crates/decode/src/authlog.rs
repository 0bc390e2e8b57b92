//! Linux `auth.log` (Debian, Ubuntu) and `secure` (RHEL): syslog lines from
//! sshd, sudo, su, PAM, systemd-logind and cron, as written by rsyslog in
//! its traditional form (`Mar  5 10:01:02 host sshd[123]: …`, RFC 3164
//! time without a year) or its high-precision form
//! (`2024-03-05T10:01:02.123456+00:00 host sshd[123]: …`).
//!
//! The traditional form has neither year nor zone: the year comes from
//! [`DecoderConfig::year`] (a line is rejected without one) and the time is
//! read as UTC. A line's header gives `host.name`, `process.name`,
//! `process.pid`; its message is `message`. Known messages add
//! `event.action` (`ssh_login`, `ssh_login_failed`, `invalid_user`,
//! `sudo`, `session_opened`, …), `event.outcome`, the user, the client's
//! address and port, the authentication method, and for sudo the target
//! user and command. Other messages are kept with `event.action` `other`.
//! `key=value` parts of PAM and sudo messages are also kept as raw fields
//! under their own names (`rhost`, `ruser`, `TTY`, `PWD`, `USER`,
//! `COMMAND`, …).
//!
//! Bytes that are not UTF-8 in a message (attackers send binary user
//! names) are kept as `\xNN`; in the host or program name they reject the
//! line.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Origin, Timestamp, Value};

use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct AuthLogDecoder {
    year: Option<i32>,
}

impl AuthLogDecoder {
    pub(crate) fn new(cfg: &DecoderConfig) -> Self {
        AuthLogDecoder { year: cfg.year }
    }
}

impl Decoder for AuthLogDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.trim_ascii();
        if record.is_empty() {
            return Ok(None);
        }
        let escaped;
        let (line, was_valid) = match std::str::from_utf8(record) {
            Ok(s) => (s, true),
            Err(_) => {
                let mut s = String::with_capacity(record.len() + 16);
                phiwatch_event::escape_invalid_utf8(record, &mut s);
                escaped = s;
                (escaped.as_str(), false)
            }
        };
        let h = parse_header(line)?;
        if !was_valid && (h.host.contains("\\x") || h.program.contains("\\x")) {
            return Err(DecodeError::new(
                ErrorKind::Encoding,
                "invalid UTF-8 in the host or program name",
            ));
        }
        let time = h.time.resolve(self.year)?;
        let mut ev = Event::with_capacity(time, 24, line.len() + 64);
        ev.set_origin(origin);
        crate::json::tag(&mut ev, "system", "system.auth", "auth-log");
        ev.push_norm_str(keys::HOST_NAME, h.host);
        if !h.program.is_empty() {
            ev.push_norm_str(keys::PROCESS_NAME, h.program);
        }
        if let Some(pid) = h.pid.and_then(|p| p.parse::<i64>().ok()) {
            ev.push_norm(keys::PROCESS_PID, Value::Int(pid));
        }
        ev.push_norm_str(keys::MESSAGE, h.msg);
        let facts = classify(h.program, h.msg);
        facts.push(&mut ev);
        Ok(Some(ev))
    }
}

/// The header's time, before the year is known.
enum HeaderTime {
    /// RFC 3164: month, day, `HH:MM:SS`.
    NoYear(u32, u32, [u8; 8]),
    /// A full RFC 3339 time.
    Full(Timestamp),
}

impl HeaderTime {
    fn resolve(&self, year: Option<i32>) -> Result<Timestamp, DecodeError> {
        match *self {
            HeaderTime::Full(t) => Ok(t),
            HeaderTime::NoYear(month, day, hms) => {
                let Some(year) = year else {
                    return Err(DecodeError::new(
                        ErrorKind::Time,
                        "the RFC 3164 timestamp has no year and none was configured \
                         (set the log's year; it is taken from the file's modification \
                         time when known)",
                    ));
                };
                let hms = std::str::from_utf8(&hms).unwrap_or("");
                let text = format!("{year:04}-{month:02}-{day:02}T{hms}Z");
                Timestamp::parse_rfc3339(text.as_bytes()).ok_or_else(|| {
                    DecodeError::new(
                        ErrorKind::Time,
                        "invalid RFC 3164 timestamp (no such day or time in the configured year)",
                    )
                })
            }
        }
    }
}

struct Header<'a> {
    time: HeaderTime,
    host: &'a str,
    program: &'a str,
    pid: Option<&'a str>,
    msg: &'a str,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn shape_error() -> DecodeError {
    DecodeError::new(
        ErrorKind::Schema,
        "not an auth.log line: expected `Mmm dd hh:mm:ss host program[pid]: message` \
         or an RFC 3339 time, host and program",
    )
}

/// Splits a line into time, host, program, pid and message.
fn parse_header(line: &str) -> Result<Header<'_>, DecodeError> {
    let (time, rest) = if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (t, rest) = line.split_once(' ').ok_or_else(shape_error)?;
        let t = Timestamp::parse_rfc3339(t.as_bytes()).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "invalid timestamp: expected RFC 3339 (`2024-03-05T10:01:02.123456+00:00`)",
            )
        })?;
        (HeaderTime::Full(t), rest)
    } else {
        rfc3164_time(line)?
    };
    let rest = rest.trim_start_matches(' ');
    let (host, rest) = rest.split_once(' ').ok_or_else(shape_error)?;
    if host.is_empty() {
        return Err(shape_error());
    }
    let rest = rest.trim_start_matches(' ');
    let (program, pid, msg) = split_tag(rest);
    Ok(Header {
        time,
        host,
        program,
        pid,
        msg,
    })
}

/// `Mmm dd hh:mm:ss` (the day space-padded or not) and the rest.
fn rfc3164_time(line: &str) -> Result<(HeaderTime, &str), DecodeError> {
    let b = line.as_bytes();
    let month = b
        .get(..3)
        .and_then(|m| MONTHS.iter().position(|x| x.as_bytes() == m))
        .ok_or_else(shape_error)?;
    let rest = line.get(3..).ok_or_else(shape_error)?;
    if !rest.starts_with(' ') {
        return Err(shape_error());
    }
    let rest = rest.trim_start_matches(' ');
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&digits) {
        return Err(shape_error());
    }
    let day: u32 = rest[..digits].parse().map_err(|_| shape_error())?;
    let rest = rest[digits..].strip_prefix(' ').ok_or_else(shape_error)?;
    let hms = rest.as_bytes().get(..8).ok_or_else(shape_error)?;
    let ok = hms.iter().enumerate().all(|(i, c)| match i {
        2 | 5 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !ok {
        return Err(DecodeError::new(
            ErrorKind::Time,
            "invalid RFC 3164 timestamp: expected `hh:mm:ss` after the day",
        ));
    }
    let mut t = [0u8; 8];
    t.copy_from_slice(hms);
    let rest = rest.get(8..).ok_or_else(shape_error)?;
    if !rest.starts_with(' ') {
        return Err(shape_error());
    }
    Ok((HeaderTime::NoYear(month as u32 + 1, day, t), rest))
}

/// `program[pid]: message` or `program: message`; a line without a tag
/// has an empty program and the whole rest as message.
fn split_tag(rest: &str) -> (&str, Option<&str>, &str) {
    let Some(colon) = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(str::len))
    else {
        return ("", None, rest);
    };
    let tag = &rest[..colon];
    let msg = rest.get(colon + 2..).unwrap_or("");
    if tag.is_empty() || tag.contains(' ') {
        return ("", None, rest);
    }
    match tag.split_once('[') {
        Some((prog, pid)) => match pid.strip_suffix(']') {
            Some(pid) if !prog.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
                (prog, Some(pid), msg)
            }
            _ => ("", None, rest),
        },
        None => (tag, None, msg),
    }
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// What a message says.
#[derive(Default)]
struct Facts<'a> {
    action: &'static str,
    category: Option<&'static str>,
    outcome: Option<&'static str>,
    user: Option<&'a str>,
    address: Option<&'a str>,
    port: Option<&'a str>,
    method: Option<&'a str>,
    effective: Option<&'a str>,
    command: Option<&'a str>,
    reason: Option<&'a str>,
    session: Option<&'a str>,
    /// `key=value` parts (PAM, sudo), kept as raw fields.
    pairs: Vec<(&'a str, &'a str)>,
}

impl Facts<'_> {
    fn push(&self, ev: &mut Event) {
        ev.push_norm(keys::EVENT_ACTION, Value::Static(self.action));
        if let Some(c) = self.category {
            ev.push_norm(keys::EVENT_CATEGORY, Value::Static(c));
        }
        if let Some(o) = self.outcome {
            ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
        }
        if let Some(u) = nonempty(self.user) {
            ev.push_norm_str(keys::USER_NAME, u);
        }
        if let Some(a) = nonempty(self.address) {
            ev.push_norm_str(keys::SOURCE_ADDRESS, a);
            match a.parse::<IpAddr>() {
                Ok(ip) => ev.push_norm(keys::SOURCE_IP, Value::Ip(ip)),
                Err(_) => ev.push_norm_str(keys::SOURCE_DOMAIN, a),
            }
        }
        if let Some(p) = self.port.and_then(|p| p.parse::<u16>().ok()) {
            ev.push_norm(keys::SOURCE_PORT, Value::Int(i64::from(p)));
        }
        if let Some(m) = nonempty(self.method) {
            ev.push_norm_str(keys::AUTH_METHOD, m);
        }
        if let Some(e) = nonempty(self.effective) {
            ev.push_norm_str(keys::USER_EFFECTIVE_NAME, e);
        }
        if let Some(c) = nonempty(self.command) {
            ev.push_norm_str(keys::PROCESS_COMMAND_LINE, c);
        }
        if let Some(r) = nonempty(self.reason) {
            ev.push_norm_str(keys::EVENT_REASON, r);
        }
        if let Some(s) = nonempty(self.session) {
            ev.push_norm_str(keys::PHIWATCH_SESSION_ID, s);
        }
        for (k, v) in &self.pairs {
            let name = ev.name(k);
            let v = ev.store_str(v);
            ev.push_raw(name, v);
        }
    }
}

fn classify<'a>(program: &str, msg: &'a str) -> Facts<'a> {
    let mut f = Facts {
        action: "other",
        ..Facts::default()
    };
    if msg.starts_with("pam_") || msg.starts_with("PAM ") {
        pam(msg, &mut f);
    } else if program.starts_with("sshd") {
        sshd(msg, &mut f);
    } else if program == "sudo" {
        sudo(msg, &mut f);
    } else if program == "su" {
        su(msg, &mut f);
    } else if program == "systemd-logind" {
        logind(msg, &mut f);
    }
    f
}

/// `USER from ADDR port N …`: the user (maybe after `invalid user `), the
/// address and the port.
fn user_from<'a>(s: &'a str, f: &mut Facts<'a>) {
    let s = match s.strip_prefix("invalid user ") {
        Some(rest) => {
            f.reason = Some("invalid user");
            rest
        }
        None => s,
    };
    let Some(at) = s.rfind(" from ") else {
        f.user = Some(s.trim_end());
        return;
    };
    f.user = Some(&s[..at]);
    let mut toks = s[at + 6..].split_whitespace();
    f.address = toks.next();
    if toks.next() == Some("port") {
        f.port = toks
            .next()
            .map(|p| p.trim_end_matches(|c: char| !c.is_ascii_digit()));
    }
}

/// `[authenticating user |invalid user |user ]USER ADDR port N[ …]`, or
/// just `ADDR port N`.
fn user_addr_port<'a>(s: &'a str, f: &mut Facts<'a>) {
    let (s, named) = if let Some(r) = s.strip_prefix("authenticating user ") {
        (r, true)
    } else if let Some(r) = s.strip_prefix("invalid user ") {
        f.reason = Some("invalid user");
        (r, true)
    } else if let Some(r) = s.strip_prefix("user ") {
        (r, true)
    } else {
        (s, false)
    };
    let Some(at) = s.rfind(" port ") else {
        if !named {
            f.address = s.split_whitespace().next();
        }
        return;
    };
    f.port = s[at + 6..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .filter(|p| !p.is_empty());
    let head = &s[..at];
    match head.rsplit_once(' ') {
        Some((user, addr)) if named => {
            f.user = Some(user);
            f.address = Some(addr);
        }
        _ => f.address = Some(head),
    }
}

fn sshd<'a>(msg: &'a str, f: &mut Facts<'a>) {
    let preauth = msg.ends_with("[preauth]");
    if let Some(rest) = msg.strip_prefix("Accepted ") {
        if let Some((method, rest)) = rest.split_once(" for ") {
            f.action = "ssh_login";
            f.category = Some("authentication");
            f.outcome = Some("success");
            f.method = Some(method);
            user_from(rest, f);
        }
    } else if let Some(rest) = msg.strip_prefix("Failed ") {
        if let Some((method, rest)) = rest.split_once(" for ") {
            f.action = "ssh_login_failed";
            f.category = Some("authentication");
            f.outcome = Some("failure");
            f.method = Some(method);
            user_from(rest, f);
        }
    } else if let Some(rest) = msg.strip_prefix("Invalid user ") {
        f.action = "invalid_user";
        f.category = Some("authentication");
        f.outcome = Some("failure");
        f.reason = Some("invalid user");
        // `Invalid user  from …` (an empty name) leaves the user empty.
        user_from(rest, f);
    } else if let Some(rest) =
        msg.strip_prefix("error: maximum authentication attempts exceeded for ")
    {
        f.action = "ssh_max_auth_attempts";
        f.category = Some("authentication");
        f.outcome = Some("failure");
        f.reason = Some("maximum authentication attempts exceeded");
        user_from(rest, f);
    } else if let Some(rest) = msg
        .strip_prefix("Connection closed by ")
        .or_else(|| msg.strip_prefix("Connection reset by "))
    {
        f.action = "ssh_connection_closed";
        f.category = Some("network");
        if preauth {
            f.outcome = Some("failure");
        }
        user_addr_port(rest, f);
    } else if let Some(rest) = msg.strip_prefix("Disconnected from ") {
        f.action = "ssh_disconnected";
        f.category = Some("session");
        if preauth {
            f.outcome = Some("failure");
        }
        user_addr_port(rest, f);
    } else if let Some(rest) = msg.strip_prefix("Disconnecting ") {
        // `Disconnecting invalid user X ADDR port N: Too many authentication failures`
        f.action = "ssh_disconnected";
        f.category = Some("session");
        if preauth || msg.contains("Too many authentication failures") {
            f.outcome = Some("failure");
        }
        user_addr_port(rest, f);
    } else if let Some(rest) = msg.strip_prefix("Received disconnect from ") {
        f.action = "ssh_disconnected";
        f.category = Some("session");
        if preauth {
            f.outcome = Some("failure");
        }
        user_addr_port(rest, f);
    }
}

/// `pam_unix(SERVICE:session): session opened|closed for user X…` and
/// `…: authentication failure; logname= uid=0 … rhost=ADDR  user=X`.
fn pam<'a>(msg: &'a str, f: &mut Facts<'a>) {
    if let Some(at) = msg.find("session opened for user ") {
        f.action = "session_opened";
        f.category = Some("session");
        f.outcome = Some("success");
        f.user = Some(pam_user(&msg[at + 24..]));
    } else if let Some(at) = msg.find("session closed for user ") {
        f.action = "session_closed";
        f.category = Some("session");
        f.user = Some(pam_user(&msg[at + 24..]));
    } else if let Some(at) = msg.find("authentication failure") {
        // `…: authentication failure; logname=…` and
        // `PAM 5 more authentication failures; logname=…`.
        f.action = "auth_failure";
        f.category = Some("authentication");
        f.outcome = Some("failure");
        let rest = &msg[at..];
        let kv = rest.split_once(';').map_or("", |(_, kv)| kv);
        for tok in kv.split_whitespace() {
            if let Some((k, v)) = tok.split_once('=') {
                if k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !k.is_empty() {
                    f.pairs.push((k, v));
                    match k {
                        "user" => f.user = Some(v),
                        "rhost" => f.address = Some(v),
                        _ => {}
                    }
                }
            }
        }
        if f.user.is_none() {
            f.user = f.pairs.iter().find(|(k, _)| *k == "ruser").map(|(_, v)| *v);
        }
    }
}

/// The user of `X(uid=0) by …` or `X by …` or `X`.
fn pam_user(s: &str) -> &str {
    let end = s.find(['(', ' ']).unwrap_or(s.len());
    &s[..end]
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat x`
/// and its failures (`alice : 3 incorrect password attempts ; TTY=…`).
fn sudo<'a>(msg: &'a str, f: &mut Facts<'a>) {
    let Some((user, rest)) = msg.trim_start().split_once(" : ") else {
        return;
    };
    f.action = "sudo";
    f.category = Some("process");
    f.user = Some(user.trim());
    // COMMAND is last and may hold anything, ` ; ` included.
    let (items, command) = match rest.find("; COMMAND=") {
        Some(at) => (&rest[..at], Some(&rest[at + 10..])),
        None => match rest.strip_prefix("COMMAND=") {
            Some(c) => ("", Some(c)),
            None => (rest, None),
        },
    };
    for item in items.split(';').map(str::trim).filter(|i| !i.is_empty()) {
        match item.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_uppercase()) => {
                f.pairs.push((k, v));
                if k == "USER" {
                    f.effective = Some(v);
                }
            }
            _ if f.reason.is_none() => f.reason = Some(item),
            _ => {}
        }
    }
    if let Some(c) = command {
        f.pairs.push(("COMMAND", c));
        f.command = Some(c);
    }
    f.outcome = Some(if f.reason.is_some() {
        "failure"
    } else {
        "success"
    });
}

/// `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`,
/// `Successful su for root by alice`, `FAILED su for root by alice`.
fn su<'a>(msg: &'a str, f: &mut Facts<'a>) {
    let (failed, rest) = match msg.strip_prefix("FAILED SU ") {
        Some(r) => (true, r),
        None => (false, msg),
    };
    if let Some(r) = rest.strip_prefix("(to ") {
        if let Some((to, r)) = r.split_once(") ") {
            let by = r.split(" on ").next().unwrap_or(r);
            f.action = "su";
            f.category = Some("process");
            f.outcome = Some(if failed { "failure" } else { "success" });
            f.effective = Some(to);
            f.user = Some(by);
        }
        return;
    }
    let (failed, rest) = if let Some(r) = msg.strip_prefix("FAILED su for ") {
        (true, r)
    } else if let Some(r) = msg.strip_prefix("Successful su for ") {
        (false, r)
    } else {
        return;
    };
    if let Some((to, by)) = rest.split_once(" by ") {
        f.action = "su";
        f.category = Some("process");
        f.outcome = Some(if failed { "failure" } else { "success" });
        f.effective = Some(to);
        f.user = Some(by);
    }
}

/// `New session 12 of user alice.`, `Removed session 12.`,
/// `Session 12 logged out. Waiting for processes to exit.`
fn logind<'a>(msg: &'a str, f: &mut Facts<'a>) {
    if let Some(rest) = msg.strip_prefix("New session ") {
        if let Some((id, user)) = rest.split_once(" of user ") {
            f.action = "new_session";
            f.category = Some("session");
            f.session = Some(id);
            f.user = Some(user.trim_end_matches('.'));
        }
    } else if let Some(rest) = msg.strip_prefix("Removed session ") {
        f.action = "removed_session";
        f.category = Some("session");
        f.session = Some(rest.trim_end_matches('.'));
    } else if let Some(rest) = msg.strip_prefix("Session ") {
        if let Some((id, _)) = rest.split_once(" logged out") {
            f.action = "session_logged_out";
            f.category = Some("session");
            f.session = Some(id);
        }
    }
}

/// Programs that write to the authpriv facility (`auth.log`, `secure`).
fn is_auth_program(program: &str, msg: &str) -> bool {
    match program {
        "sshd" | "sshd-session" | "sshd-auth" | "sudo" | "su" | "systemd-logind" | "login"
        | "passwd" | "polkitd" | "pkexec" | "useradd" | "usermod" | "userdel" | "groupadd"
        | "groupdel" | "groupmod" | "chpasswd" | "chage" | "gpasswd" | "chsh" | "chfn"
        | "unix_chkpwd" | "doas" | "gdm-password" | "lightdm" | "sssd" => true,
        // cron writes to syslog too; only its PAM lines are auth.log's.
        "CRON" | "cron" | "crond" => msg.starts_with("pam_"),
        p => p.starts_with("pam") || p.starts_with("sshd"),
    }
}

/// Whether these first lines are an auth log: every line is a syslog line
/// in a form this decoder reads, and at least three quarters of them come
/// from authentication programs (a general syslog file does not qualify:
/// the syslog decoder reads those).
pub(crate) fn detect_text(lines: &[&[u8]]) -> bool {
    if lines.is_empty() {
        return false;
    }
    let mut auth = 0usize;
    for l in lines {
        let Ok(s) = std::str::from_utf8(l) else {
            return false;
        };
        let Ok(h) = parse_header(s) else {
            return false;
        };
        if h.program.is_empty() {
            return false;
        }
        if is_auth_program(h.program, h.msg) {
            auth += 1;
        }
    }
    auth * 4 >= lines.len() * 3
}
