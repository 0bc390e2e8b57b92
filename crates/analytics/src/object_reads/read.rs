//! One S3 data event as this analytic counts it: who read which bucket,
//! how many bytes, from where, and, for a copy, to which account.

use std::net::IpAddr;

use phiwatch_event::{keys, Event, FieldKind, ValueRef};

use super::Config;
use crate::seen::{text, RawField};

/// The raw CloudTrail fields read, resolved once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    account: RawField,
    recipient: RawField,
    endpoint: RawField,
    source_ip: RawField,
    copy_source: RawField,
}

impl Raw {
    pub(crate) fn new() -> Raw {
        Raw {
            account: RawField::new("userIdentity.accountId"),
            recipient: RawField::new("recipientAccountId"),
            endpoint: RawField::new("vpcEndpointId"),
            source_ip: RawField::new("sourceIPAddress"),
            copy_source: RawField::new("requestParameters.x-amz-copy-source"),
        }
    }
}

/// Where a call came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum From {
    /// An address (internal, trusted or not: decided by the caller).
    Ip(IpAddr),
    /// An AWS service on the principal's behalf (`athena.amazonaws.com`,
    /// `AWS Internal`), or a VPC endpoint: inside AWS.
    Aws,
    /// Not recorded.
    Unknown,
}

/// A copy's destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Copy {
    /// The destination bucket.
    pub(crate) bucket: String,
    /// The destination's account, when the record says; else the other
    /// account the record names.
    pub(crate) account: String,
}

/// One read (or copy) of an object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Read {
    /// The principal: the role or user name, else the ARN, else the
    /// principal id, else the account.
    pub(crate) principal: String,
    /// The bucket read from (a copy's source bucket).
    pub(crate) bucket: String,
    /// The object key, when recorded.
    pub(crate) key: Option<String>,
    /// Bytes sent to the caller (`bytesTransferredOut`; 0 when absent).
    pub(crate) bytes: u64,
    pub(crate) from: From,
    /// The caller's account, when it is not the bucket owner's.
    pub(crate) foreign_account: Option<String>,
    /// For a copy to another account: where to.
    pub(crate) copy_out: Option<Copy>,
}

/// What an event is to this analytic.
pub(crate) enum Call {
    /// A read to count.
    Read(Read),
    /// A read call that failed (`AccessDenied`, …).
    Failed,
    /// Anything else.
    Other,
}

fn raw_text<'a>(ev: &'a Event, f: &RawField) -> Option<&'a str> {
    match f.get(ev) {
        Some(ValueRef::Str(s)) if !s.trim().is_empty() => Some(s.trim()),
        _ => None,
    }
}

/// Account ids as text (a trimmed record may hold a number).
fn account(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        ValueRef::Int(i) if i >= 0 => Some(format!("{i:012}")),
        _ => None,
    }
}

/// The role of an assumed-role session ARN
/// (`arn:aws:sts::1:assumed-role/ROLE/SESSION` → `ROLE`): sessions come and
/// go, the role stays.
fn role_of(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":assumed-role/")?.1;
    rest.split('/').next().filter(|r| !r.is_empty())
}

fn principal_of(ev: &Event, raw: &Raw) -> String {
    text(ev, keys::USER_NAME)
        .or_else(|| text(ev, keys::PHIWATCH_USER_ARN).and_then(role_of))
        .or_else(|| text(ev, keys::PHIWATCH_USER_ARN))
        .or_else(|| text(ev, keys::USER_ID))
        .map(str::to_string)
        .or_else(|| {
            raw.account
                .get(ev)
                .and_then(account)
                .map(|a| format!("account {a}"))
        })
        .unwrap_or_else(|| "-".to_string())
}

fn from_of(ev: &Event, raw: &Raw) -> From {
    if raw_text(ev, &raw.endpoint).is_some() {
        return From::Aws;
    }
    if let Some(ip) = ev.get(keys::SOURCE_IP).and_then(|v| v.as_ip()) {
        return From::Ip(ip);
    }
    if text(ev, keys::SOURCE_DOMAIN).is_some() {
        return From::Aws;
    }
    match raw_text(ev, &raw.source_ip) {
        // Not an address: a service name (`AWS Internal`).
        Some(s) if s.parse::<IpAddr>().is_err() => From::Aws,
        _ => From::Unknown,
    }
}

/// The bucket of `x-amz-copy-source` (`bucket/key`, `/bucket/key`,
/// `bucket/key?versionId=…`, or an access point ARN).
fn copy_source_bucket(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('/');
    let s = s.split('?').next().unwrap_or("");
    let b = s.split('/').next().unwrap_or("");
    // Percent-encoded slashes (`bucket%2Fkey`) end the bucket too.
    let b = b.split("%2F").next().unwrap_or("");
    let b = b.split("%2f").next().unwrap_or("");
    (!b.is_empty()).then(|| b.chars().take(255).collect())
}

/// Every value of a raw field, in order: the field may repeat (one per
/// element of a JSON array of objects) and each may be a list.
fn raw_all(ev: &Event, names: &[&str]) -> Vec<Option<String>> {
    for n in names {
        let mut out = Vec::new();
        for f in ev
            .fields()
            .filter(|f| f.kind != FieldKind::Normalized && f.name == *n)
        {
            match f.value {
                ValueRef::List(l) => out.extend(l.iter().map(account)),
                v => out.push(account(v)),
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    Vec::new()
}

/// Longest principal or bucket name kept, in characters (names come from
/// the logs; AWS's own limits are far below).
const MAX_NAME: usize = 512;

/// Resource types whose record carries an `accountId` (objects do not).
const ACCOUNT_CARRIERS: [&str; 3] = ["AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::KMS::Key"];

/// The destination account of a copy to `dest`, when the record shows a
/// bucket of another account than the caller's. Flattening loses which
/// resource an `accountId` belongs to; they are matched, in order, with
/// the resources that carry one (buckets, access points, KMS keys). The
/// destination bucket's account when its ARN is there; else the first
/// bucket of another account (the direction is then unknown); when the
/// accounts cannot be matched, the first other account unless a KMS key
/// (whose account proves nothing) is among the resources.
fn copy_account(ev: &Event, dest: &str, caller: Option<&str>) -> Option<String> {
    let accounts: Vec<String> = raw_all(ev, &["resources.accountId"])
        .into_iter()
        .flatten()
        .collect();
    let arns: Vec<String> = raw_all(ev, &["resources.ARN", "resources.arn"])
        .into_iter()
        .flatten()
        .collect();
    let types: Vec<String> = raw_all(ev, &["resources.type"])
        .into_iter()
        .flatten()
        .collect();
    let foreign = |a: &&String| caller.is_none_or(|c| c != a.as_str());
    let carriers: Vec<(&String, &String)> = arns
        .iter()
        .zip(types.iter())
        .filter(|(_, t)| ACCOUNT_CARRIERS.contains(&t.as_str()))
        .collect();
    if carriers.len() == accounts.len() {
        let want = format!("arn:aws:s3:::{dest}");
        let owned: Vec<(&(&String, &String), &String)> =
            carriers.iter().zip(accounts.iter()).collect();
        if let Some((_, a)) = owned.iter().find(|((arn, _), _)| **arn == want) {
            return foreign(a).then(|| (*a).clone());
        }
        return owned
            .iter()
            .find(|((_, t), a)| t.as_str() == "AWS::S3::Bucket" && foreign(a))
            .map(|(_, a)| (*a).clone());
    }
    if types.iter().any(|t| t == "AWS::KMS::Key") {
        return None;
    }
    accounts.iter().find(foreign).cloned()
}

/// What `ev` is, for [`Config::read_actions`] and [`Config::copy_actions`].
pub(crate) fn call_of(ev: &Event, c: &Config, raw: &Raw) -> Call {
    if let Some(p) = text(ev, keys::EVENT_PROVIDER) {
        if p != "s3.amazonaws.com" {
            return Call::Other;
        }
    }
    let Some(action) = text(ev, keys::EVENT_ACTION) else {
        return Call::Other;
    };
    let is_read = c.read_actions.iter().any(|a| a == action);
    let is_copy = c.copy_actions.iter().any(|a| a == action);
    if !is_read && !is_copy {
        return Call::Other;
    }
    let Some(named) = text(ev, keys::PHIWATCH_OBJECT_BUCKET) else {
        return Call::Other;
    };
    let failed = ev.get(keys::EVENT_OUTCOME).and_then(|v| v.as_str()) == Some("failure")
        || text(ev, keys::ERROR_CODE).is_some();
    if failed {
        return Call::Failed;
    }
    let caller = raw.account.get(ev).and_then(account);
    let owner = raw.recipient.get(ev).and_then(account);
    let foreign_account = match (&caller, &owner) {
        (Some(a), Some(o)) if a != o => Some(a.clone()),
        _ => None,
    };
    let (bucket, copy_out) = if is_copy {
        let source = raw_text(ev, &raw.copy_source)
            .and_then(copy_source_bucket)
            .unwrap_or_else(|| named.to_string());
        let to = copy_account(ev, named, caller.as_deref()).map(|account| Copy {
            bucket: named.to_string(),
            account,
        });
        (source, to)
    } else {
        (named.chars().take(MAX_NAME).collect(), None)
    };
    let bytes = ev
        .get(keys::PHIWATCH_OBJECT_BYTES_OUT)
        .and_then(|v| v.as_i64())
        .map_or(0, |b| u64::try_from(b).unwrap_or(0));
    Call::Read(Read {
        principal: principal_of(ev, raw).chars().take(MAX_NAME).collect(),
        bucket,
        key: text(ev, keys::PHIWATCH_OBJECT_KEY).map(str::to_string),
        bytes,
        from: from_of(ev, raw),
        foreign_account,
        copy_out,
    })
}

#[cfg(test)]
mod tests {
    use super::{copy_source_bucket, role_of};

    #[test]
    fn sessions_are_their_role() {
        assert_eq!(
            role_of("arn:aws:sts::111111111111:assumed-role/etl/i-0abc"),
            Some("etl")
        );
        assert_eq!(role_of("arn:aws:iam::111111111111:user/alice"), None);
        assert_eq!(role_of("arn:aws:sts::1:assumed-role/"), None);
    }

    #[test]
    fn copy_sources_name_their_bucket() {
        for (s, want) in [
            ("phi/exports/a.csv", Some("phi")),
            ("/phi/exports/a.csv?versionId=3", Some("phi")),
            ("phi%2Fexports%2Fa.csv", Some("phi")),
            ("", None),
            ("/", None),
        ] {
            assert_eq!(copy_source_bucket(s).as_deref(), want, "{s}");
        }
    }
}
