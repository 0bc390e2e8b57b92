//! Okta System Log: one event per record, as the System Log API returns
//! them (a JSON array, framed one element per record), as NDJSON exports,
//! or as data-lake exports whose top-level keys were lowercased
//! (`eventtype`, `debugcontext`, …; nested keys keep their case).
//!
//! Raw fields keep Okta's dotted names (`actor.alternateId`,
//! `client.geographicalContext.city`, `debugContext.debugData.factor`, …);
//! the actor, client address and place, outcome, target user, session and
//! MFA facts are added under ECS and `phiwatch.*` names.

use std::borrow::Cow;

use phiwatch_event::{keys, Event, Key, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, Conv};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

pub(crate) struct OktaDecoder;

impl OktaDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        OktaDecoder
    }
}

impl Decoder for OktaDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(mut ev) = json::flatten_record(record, 96, 96)? else {
            return Ok(None);
        };
        ev.set_time(record_time(&ev)?);
        ev.set_origin(origin);
        json::tag(&mut ev, "okta", "okta.system", "okta");
        ev.push_norm(keys::OBSERVER_VENDOR, Value::Static("Okta"));
        ev.push_norm(keys::OBSERVER_PRODUCT, Value::Static("Okta System Log"));

        alias(&mut ev, "eventType", keys::EVENT_ACTION, Conv::Same);
        alias(&mut ev, "uuid", keys::EVENT_ID, Conv::Same);
        alias(&mut ev, "displayMessage", keys::MESSAGE, Conv::Same);
        severity(&mut ev);
        category(&mut ev);
        outcome(&mut ev);
        actor(&mut ev);
        client(&mut ev)?;
        target(&mut ev);
        session(&mut ev);
        auth(&mut ev);
        Ok(Some(ev))
    }
}

/// The name under which `name` is present: as Okta writes it, or with its
/// first segment lowercased (data-lake exports). `None` when absent or null.
fn present(ev: &Event, name: &'static str) -> Option<Cow<'static, str>> {
    let usable = |n: &str| !matches!(ev.get_by_name(n), None | Some(ValueRef::Null));
    if usable(name) {
        return Some(Cow::Borrowed(name));
    }
    let (head, tail) = name.split_once('.').unwrap_or((name, ""));
    if !head.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut lower = head.to_ascii_lowercase();
    if !tail.is_empty() {
        lower.push('.');
        lower.push_str(tail);
    }
    usable(&lower).then_some(Cow::Owned(lower))
}

/// The value of `name` (or its lowercased-head form).
fn value<'e>(ev: &'e Event, name: &'static str) -> Option<ValueRef<'e>> {
    present(ev, name).and_then(|n| ev.get_by_name(&n))
}

fn text<'e>(ev: &'e Event, name: &'static str) -> Option<&'e str> {
    value(ev, name).and_then(|v| v.as_str())
}

/// [`json::alias`] through [`present`].
fn alias(ev: &mut Event, from: &'static str, to: Key, conv: Conv) -> bool {
    match present(ev, from) {
        Some(n) => json::alias(ev, &n, to, conv),
        None => false,
    }
}

/// `published`, the time Okta recorded the event.
fn record_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    let Some(name) = present(ev, "published") else {
        return Err(DecodeError::new(
            ErrorKind::Time,
            "missing time: `published` is absent",
        ));
    };
    json::rfc3339_field(ev, &name).unwrap_or_else(|| {
        Err(DecodeError::new(
            ErrorKind::Time,
            "missing time: `published` is absent",
        ))
    })
}

/// `severity` (DEBUG, INFO, WARN, ERROR) as `log.level`, and as
/// `event.severity` on the syslog scale (7 debug … 3 error), since Okta has
/// no numeric severity of its own.
fn severity(ev: &mut Event) {
    let Some(s) = text(ev, "severity") else {
        return;
    };
    let n = match s.to_ascii_uppercase().as_str() {
        "DEBUG" => 7,
        "INFO" => 6,
        "WARN" | "WARNING" => 4,
        "ERROR" => 3,
        _ => 0,
    };
    alias(ev, "severity", keys::LOG_LEVEL, Conv::Lower);
    if n > 0 {
        ev.push_norm(keys::EVENT_SEVERITY, Value::Int(n));
    }
}

/// `event.category` from the event type's family.
fn category(ev: &mut Event) {
    let Some(t) = text(ev, "eventType") else {
        return;
    };
    let cat = if t.starts_with("user.authentication.")
        || t.starts_with("user.session.")
        || t.starts_with("user.mfa.")
        || t.starts_with("policy.evaluate_sign_on")
    {
        "authentication"
    } else if t.starts_with("user.lifecycle.")
        || t.starts_with("user.account.")
        || t.starts_with("group.")
        || t.starts_with("application.user_membership.")
        || t.starts_with("system.mfa.")
        || t.starts_with("user.factor.")
    {
        "iam"
    } else {
        return;
    };
    ev.push_norm(keys::EVENT_CATEGORY, Value::Static(cat));
}

/// `outcome.result`: SUCCESS and ALLOW are successes, FAILURE and DENY
/// failures, anything else (CHALLENGE, SKIPPED, RATE_LIMIT, UNKNOWN)
/// unknown. `outcome.reason` is the reason.
fn outcome(ev: &mut Event) {
    if let Some(r) = text(ev, "outcome.result") {
        let o = match r.to_ascii_uppercase().as_str() {
            "SUCCESS" | "ALLOW" => "success",
            "FAILURE" | "DENY" => "failure",
            _ => "unknown",
        };
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(o));
    }
    alias(ev, "outcome.reason", keys::EVENT_REASON, Conv::Same);
}

fn actor(ev: &mut Event) {
    alias(ev, "actor.alternateId", keys::USER_NAME, Conv::Same);
    if text(ev, "actor.alternateId").is_some_and(|s| s.contains('@') && !s.contains(' ')) {
        alias(ev, "actor.alternateId", keys::USER_EMAIL, Conv::Same);
    }
    // Failed logins of unknown users have `unknown` as id and name.
    let known = |ev: &Event, f| text(ev, f).is_some_and(|s| !s.eq_ignore_ascii_case("unknown"));
    if known(ev, "actor.id") {
        alias(ev, "actor.id", keys::USER_ID, Conv::Same);
    }
    if known(ev, "actor.displayName") {
        alias(ev, "actor.displayName", keys::USER_FULL_NAME, Conv::Same);
    }
    alias(ev, "actor.type", keys::PHIWATCH_USER_TYPE, Conv::Same);
}

/// The client's address (else the first of `request.ipChain`), user agent,
/// place and network.
fn client(ev: &mut Event) -> Result<(), DecodeError> {
    if !alias(ev, "client.ipAddress", keys::SOURCE_IP, Conv::Ip) {
        alias(ev, "request.ipChain.ip", keys::SOURCE_IP, Conv::Ip);
    }
    alias(
        ev,
        "client.userAgent.rawUserAgent",
        keys::USER_AGENT_ORIGINAL,
        Conv::Same,
    );
    alias(
        ev,
        "client.geographicalContext.country",
        keys::SOURCE_GEO_COUNTRY_NAME,
        Conv::Same,
    );
    alias(
        ev,
        "client.geographicalContext.state",
        keys::SOURCE_GEO_REGION_NAME,
        Conv::Same,
    );
    alias(
        ev,
        "client.geographicalContext.city",
        keys::SOURCE_GEO_CITY_NAME,
        Conv::Same,
    );
    float(
        ev,
        "client.geographicalContext.geolocation.lat",
        keys::SOURCE_GEO_LATITUDE,
    )?;
    float(
        ev,
        "client.geographicalContext.geolocation.lon",
        keys::SOURCE_GEO_LONGITUDE,
    )?;
    if let Some(name) = present(ev, "securityContext.asNumber") {
        json::copy_checked(ev, &name, keys::SOURCE_AS_NUMBER, Conv::Int)?;
    }
    alias(
        ev,
        "securityContext.asOrg",
        keys::SOURCE_AS_ORGANIZATION_NAME,
        Conv::Same,
    );
    Ok(())
}

/// Copies a number (or numeric text) as a float; anything else is an error.
fn float(ev: &mut Event, from: &'static str, to: Key) -> Result<(), DecodeError> {
    let Some(name) = present(ev, from) else {
        return Ok(());
    };
    match ev.get_by_name(&name).and_then(|v| v.as_f64()) {
        Some(f) if f.is_finite() => {
            ev.push_norm(to, Value::Float(f));
            Ok(())
        }
        _ => Err(json::type_error(&name, "a number")),
    }
}

/// The first target of type `User`: its `alternateId` and `id`.
///
/// `target` is an array of objects, flattened into repeated
/// `target.type` / `target.id` / … fields in order; an element ends where
/// one of its keys repeats. Okta writes every key of every target, so the
/// elements are told apart exactly.
fn target(ev: &mut Event) {
    let found = {
        let mut seen: u8 = 0;
        // type, alternateId, id of the element being read.
        let mut cur: [Option<&str>; 3] = [None; 3];
        let is_user = |cur: &[Option<&str>; 3]| cur[0] == Some("User");
        for f in ev.fields() {
            let Some(rest) = f.name.strip_prefix("target.") else {
                continue;
            };
            let bit = match rest {
                "type" => 1u8,
                "alternateId" => 2,
                "id" => 4,
                "displayName" => 8,
                _ => continue,
            };
            if seen & bit != 0 {
                if is_user(&cur) {
                    break;
                }
                seen = 0;
                cur = [None; 3];
            }
            seen |= bit;
            let v = f.value.as_str().filter(|s| !s.is_empty());
            match bit {
                1 => cur[0] = v,
                2 => cur[1] = v,
                4 => cur[2] = v,
                _ => {}
            }
        }
        is_user(&cur).then(|| (cur[1].map(str::to_owned), cur[2].map(str::to_owned)))
    };
    if let Some((name, id)) = found {
        if let Some(n) = name {
            ev.push_norm_str(keys::USER_TARGET_NAME, &n);
        }
        if let Some(i) = id {
            ev.push_norm_str(keys::USER_TARGET_ID, &i);
        }
    }
}

/// `authenticationContext.externalSessionId` (the Okta session), unless it
/// is Okta's `unknown` placeholder.
fn session(ev: &mut Event) {
    let id = text(ev, "authenticationContext.externalSessionId");
    if id.is_some_and(|s| !s.is_empty() && s != "unknown") {
        alias(
            ev,
            "authenticationContext.externalSessionId",
            keys::PHIWATCH_SESSION_ID,
            Conv::Same,
        );
    }
}

/// How the user authenticated, and whether it was a second factor.
///
/// The method is `authenticationContext.credentialType` (PASSWORD, OTP,
/// ASSERTION, …), else the factor of `debugContext.debugData.factor`,
/// lowercased. MFA is told by an MFA event type
/// (`user.authentication.auth_via_mfa`, `user.mfa.*` verification), a
/// `core.user.factor.*` legacy type, or a factor in the debug data; when
/// none says so, `phiwatch.auth.mfa` is left unset (Okta does not say that
/// a session had no second factor).
fn auth(ev: &mut Event) {
    alias_first(
        ev,
        &[
            "authenticationContext.credentialType",
            "debugContext.debugData.factor",
        ],
        keys::AUTH_METHOD,
    );
    let t = text(ev, "eventType").unwrap_or("");
    let legacy = text(ev, "legacyEventType").unwrap_or("");
    let mfa = t == "user.authentication.auth_via_mfa"
        || t.starts_with("user.mfa.factor.")
        || t == "system.push.send_factor_verify_push"
        || legacy.starts_with("core.user.factor.attempt")
        || text(ev, "debugContext.debugData.factor").is_some_and(|f| !f.is_empty());
    if mfa {
        ev.push_norm(keys::PHIWATCH_AUTH_MFA, Value::Bool(true));
    }
}

fn alias_first(ev: &mut Event, from: &[&'static str], to: Key) {
    for f in from {
        if text(ev, f).is_some_and(|s| !s.is_empty()) && alias(ev, f, to, Conv::Lower) {
            return;
        }
    }
}

/// Whether a JSON object with these keys is an Okta System Log event.
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    let any = |names: &[&str]| names.iter().any(|n| has(n));
    any(&["eventType", "eventtype"])
        && any(&["published", "uuid"])
        && any(&[
            "actor",
            "displayMessage",
            "displaymessage",
            "legacyEventType",
            "legacyeventtype",
        ])
}
