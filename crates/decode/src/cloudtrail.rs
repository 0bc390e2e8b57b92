//! AWS CloudTrail: one record per call, as found in the `Records` array of a
//! CloudTrail file (the ingest layer frames each element as a record), in
//! NDJSON exports, or in Logstash output (which drops `eventTime` and adds
//! `@timestamp`).
//!
//! Raw fields keep CloudTrail's dotted names (`userIdentity.arn`,
//! `requestParameters.bucketName`, …); identity, source, outcome, S3 object
//! and MFA facts are added under ECS and `phiwatch.*` names.

use phiwatch_event::{keys, Event, Origin, Timestamp, Value, ValueRef};

use crate::json::{self, copy_checked, Conv};
use crate::{DecodeError, Decoder, ErrorKind};

pub(crate) struct CloudTrailDecoder;

impl CloudTrailDecoder {
    pub(crate) fn new() -> Self {
        CloudTrailDecoder
    }
}

impl Decoder for CloudTrailDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let Some(mut ev) = json::flatten_record(record, 64, 64)? else {
            return Ok(None);
        };
        if ev
            .fields()
            .any(|f| f.name == "Records" || f.name.starts_with("Records."))
        {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "a whole CloudTrail file ({\"Records\":[…]}) was given as one record; \
                 it must be framed into one record per element of `Records`",
            ));
        }
        ev.set_time(record_time(&ev)?);
        ev.set_origin(origin);
        json::tag(&mut ev, "aws", "aws.cloudtrail", "cloudtrail");
        ev.push_norm(keys::CLOUD_PROVIDER, Value::Static("aws"));

        json::alias(&mut ev, "eventSource", keys::EVENT_PROVIDER, Conv::Same);
        json::alias(&mut ev, "eventName", keys::EVENT_ACTION, Conv::Same);
        json::alias(&mut ev, "eventID", keys::EVENT_ID, Conv::Same);
        json::alias(&mut ev, "awsRegion", keys::CLOUD_REGION, Conv::Same);
        json::alias(&mut ev, "userAgent", keys::USER_AGENT_ORIGINAL, Conv::Same);
        source(&mut ev);
        identity(&mut ev);
        outcome(&mut ev);
        json::alias(&mut ev, "errorMessage", keys::ERROR_MESSAGE, Conv::Same);

        json::alias(
            &mut ev,
            "requestParameters.bucketName",
            keys::PHIWATCH_OBJECT_BUCKET,
            Conv::Same,
        );
        json::alias(
            &mut ev,
            "requestParameters.key",
            keys::PHIWATCH_OBJECT_KEY,
            Conv::Same,
        );
        copy_checked(
            &mut ev,
            "additionalEventData.bytesTransferredOut",
            keys::PHIWATCH_OBJECT_BYTES_OUT,
            Conv::Int,
        )?;
        copy_checked(
            &mut ev,
            "additionalEventData.bytesTransferredIn",
            keys::PHIWATCH_OBJECT_BYTES_IN,
            Conv::Int,
        )?;
        mfa(&mut ev);
        Ok(Some(ev))
    }
}

/// `eventTime`, else Logstash's `@timestamp`.
fn record_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    ["eventTime", "@timestamp"]
        .into_iter()
        .find_map(|name| json::rfc3339_field(ev, name))
        .unwrap_or_else(|| {
            Err(DecodeError::new(
                ErrorKind::Time,
                "missing time: neither `eventTime` nor `@timestamp` is present",
            ))
        })
}

/// `sourceIPAddress` is an address for calls from outside AWS and a service
/// name (`ec2.amazonaws.com`) for calls AWS makes on a principal's behalf.
fn source(ev: &mut Event) {
    if json::alias(ev, "sourceIPAddress", keys::SOURCE_IP, Conv::Ip) {
        return;
    }
    let is_host = ev
        .get_raw("sourceIPAddress")
        .and_then(|v| v.as_str())
        .is_some_and(|s| {
            let tld = s.rsplit('.').next().unwrap_or("");
            s.contains('.')
                && tld.bytes().any(|b| b.is_ascii_alphabetic())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        });
    if is_host {
        json::alias(ev, "sourceIPAddress", keys::SOURCE_DOMAIN, Conv::Same);
    }
}

fn identity(ev: &mut Event) {
    json::alias(ev, "userIdentity.arn", keys::PHIWATCH_USER_ARN, Conv::Same);
    json::alias(
        ev,
        "userIdentity.type",
        keys::PHIWATCH_USER_TYPE,
        Conv::Same,
    );
    json::alias(ev, "userIdentity.principalId", keys::USER_ID, Conv::Same);
    let named = json::alias_first(
        ev,
        &[
            "userIdentity.userName",
            "userIdentity.sessionContext.sessionIssuer.userName",
        ],
        keys::USER_NAME,
        Conv::Same,
    );
    if !named && matches!(ev.get_raw("userIdentity.type"), Some(ValueRef::Str("Root"))) {
        ev.push_norm(keys::USER_NAME, Value::Static("root"));
    }
    for from in ["recipientAccountId", "userIdentity.accountId"] {
        match ev.get_raw(from) {
            Some(ValueRef::Str(s)) if !s.is_empty() => {
                json::alias(ev, from, keys::CLOUD_ACCOUNT_ID, Conv::Same);
                return;
            }
            // Account ids are text (leading zeros matter); a trimmed record
            // may hold a number.
            Some(ValueRef::Int(i)) if i >= 0 => {
                let s = format!("{i:012}");
                ev.push_norm_str(keys::CLOUD_ACCOUNT_ID, &s);
                return;
            }
            _ => {}
        }
    }
}

fn outcome(ev: &mut Event) {
    let has_error = match ev.get_raw("errorCode") {
        None | Some(ValueRef::Null) | Some(ValueRef::Str("")) => false,
        Some(_) => true,
    };
    if has_error {
        json::alias(ev, "errorCode", keys::ERROR_CODE, Conv::Same);
    }
    let console = matches!(ev.get_raw("eventName"), Some(ValueRef::Str("ConsoleLogin")));
    let login = if console {
        match ev.get_raw("responseElements.ConsoleLogin") {
            Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("success") => Some("success"),
            Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("failure") => Some("failure"),
            _ => None,
        }
    } else {
        None
    };
    let outcome = match login {
        Some(o) => o,
        None if has_error => "failure",
        None => "success",
    };
    ev.push_norm(keys::EVENT_OUTCOME, Value::Static(outcome));
}

/// `additionalEventData.MFAUsed` (console sign-in), else the session's
/// `mfaAuthenticated` attribute.
fn mfa(ev: &mut Event) {
    let used = match ev.get_raw("additionalEventData.MFAUsed") {
        Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("yes") => Some(true),
        Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("no") => Some(false),
        Some(ValueRef::Bool(b)) => Some(b),
        _ => None,
    };
    let used = used.or_else(|| {
        match ev.get_raw("userIdentity.sessionContext.attributes.mfaAuthenticated") {
            Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(ValueRef::Str(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            Some(ValueRef::Bool(b)) => Some(b),
            _ => None,
        }
    });
    if let Some(b) = used {
        ev.push_norm(keys::PHIWATCH_AUTH_MFA, Value::Bool(b));
    }
}
