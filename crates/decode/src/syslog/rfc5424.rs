//! RFC 5424 headers: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID
//! SP MSGID SP STRUCTURED-DATA [SP MSG]` (after `<PRI>`), `-` for nil.
//! Structured-data parameters become raw fields `sd.<SD-ID>.<PARAM-NAME>`
//! with `\"`, `\\` and `\]` unescaped (RFC 5424 §6.3.3); a BOM before MSG
//! is dropped.

use std::borrow::Cow;

use phiwatch_event::{keys, Event, Timestamp, Value};

use super::Header;
use crate::{DecodeError, ErrorKind};

const FIELDS: [&str; 5] = ["TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID"];

/// Parses what follows `<PRI>VERSION `; structured data goes into `ev`.
pub(super) fn parse<'a>(s: &'a str, ev: &mut Event) -> Result<Header<'a>, DecodeError> {
    let mut rest = s;
    let mut tokens: [Option<&str>; 5] = [None; 5];
    for (slot, name) in tokens.iter_mut().zip(FIELDS) {
        let (tok, after) = match rest.split_once(' ') {
            Some(p) => p,
            None => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    format!(
                    "RFC 5424 header: truncated at {name} (expected 5 fields and STRUCTURED-DATA)"
                ),
                ))
            }
        };
        if tok.is_empty() {
            return Err(DecodeError::new(
                ErrorKind::Syntax,
                format!("RFC 5424 header: {name} is empty (expected a value or `-`)"),
            ));
        }
        *slot = (tok != "-").then_some(tok);
        rest = after;
    }
    let [ts, hostname, appname, procid, msgid] = tokens;
    let time = match ts {
        None => None,
        Some(t) => Some(Timestamp::parse_rfc3339(t.as_bytes()).ok_or_else(|| {
            DecodeError::new(
                ErrorKind::Time,
                "RFC 5424 TIMESTAMP: expected an RFC 3339 date and time or `-`",
            )
        })?),
    };
    let rest = if let Some(r) = rest.strip_prefix('-') {
        r
    } else if rest.starts_with('[') {
        structured_data(rest, ev)?
    } else {
        return Err(DecodeError::new(
            ErrorKind::Syntax,
            "RFC 5424 STRUCTURED-DATA: expected `-` or `[`",
        ));
    };
    let msg = if rest.is_empty() {
        ""
    } else if let Some(m) = rest.strip_prefix(' ') {
        m.strip_prefix('\u{feff}').unwrap_or(m)
    } else {
        return Err(DecodeError::new(
            ErrorKind::Syntax,
            "RFC 5424: expected a space between STRUCTURED-DATA and MSG",
        ));
    };
    Ok(Header {
        pri: None,
        time,
        hostname,
        appname,
        procid,
        msgid,
        msg,
    })
}

fn sd_error(what: &str, element: usize) -> DecodeError {
    DecodeError::new(
        ErrorKind::Syntax,
        format!("RFC 5424 STRUCTURED-DATA element {element}: {what}"),
    )
}

/// Parses SD-ELEMENTs at the start of `s` into raw fields; returns the rest.
fn structured_data<'a>(mut s: &'a str, ev: &mut Event) -> Result<&'a str, DecodeError> {
    let mut name = String::with_capacity(48);
    let mut element = 0;
    while let Some(body) = s.strip_prefix('[') {
        element += 1;
        let id_end = body
            .find([' ', ']'])
            .ok_or_else(|| sd_error("unterminated (expected `]`)", element))?;
        let id = body.get(..id_end).unwrap_or("");
        if id.is_empty() || id.contains(['=', '"']) {
            return Err(sd_error("expected an SD-ID", element));
        }
        s = body.get(id_end..).unwrap_or("");
        let mut params = 0;
        loop {
            if let Some(r) = s.strip_prefix(']') {
                s = r;
                break;
            }
            let Some(p) = s.strip_prefix(' ') else {
                return Err(sd_error("expected ` PARAM-NAME=\"VALUE\"` or `]`", element));
            };
            let p = p.trim_start_matches(' ');
            if let Some(r) = p.strip_prefix(']') {
                s = r;
                break;
            }
            let eq = p
                .find('=')
                .ok_or_else(|| sd_error("expected `=` after PARAM-NAME", element))?;
            let pname = p.get(..eq).unwrap_or("");
            if pname.is_empty() || pname.contains([' ', ']', '"']) {
                return Err(sd_error("expected a PARAM-NAME", element));
            }
            let Some(v) = p.get(eq + 1..).and_then(|v| v.strip_prefix('"')) else {
                return Err(sd_error("expected `\"` to open PARAM-VALUE", element));
            };
            let (value, after) = param_value(v)
                .ok_or_else(|| sd_error("unterminated PARAM-VALUE (expected `\"`)", element))?;
            name.clear();
            name.push_str("sd.");
            name.push_str(id);
            name.push('.');
            name.push_str(pname);
            let n = ev.name(&name);
            let stored = ev.store_str(&value);
            ev.push_raw(n, stored);
            if id == "origin" && pname == "ip" {
                if let Ok(ip) = value.parse() {
                    ev.push_norm(keys::HOST_IP, Value::Ip(ip));
                }
            }
            params += 1;
            s = after;
        }
        if params == 0 {
            name.clear();
            name.push_str("sd.");
            name.push_str(id);
            let n = ev.name(&name);
            ev.push_raw(n, Value::Null);
        }
    }
    Ok(s)
}

/// A PARAM-VALUE after its opening quote: the unescaped value and the text
/// after the closing quote.
fn param_value(v: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut owned: Option<String> = None;
    let mut start = 0;
    let mut it = v.char_indices();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => {
                let seg = v.get(start..i)?;
                let value = match owned {
                    Some(mut buf) => {
                        buf.push_str(seg);
                        Cow::Owned(buf)
                    }
                    None => Cow::Borrowed(seg),
                };
                return Some((value, v.get(i + 1..)?));
            }
            '\\' => {
                if let Some((j, e @ ('"' | '\\' | ']'))) = it.clone().next() {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(v.get(start..i)?);
                    buf.push(e);
                    it.next();
                    start = j + 1;
                }
            }
            _ => {}
        }
    }
    None
}
