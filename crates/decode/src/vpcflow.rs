//! AWS VPC Flow Logs: space-separated records whose fields are the default
//! version 2 list or a custom list of version 2–5 fields.
//!
//! The field list comes from, in order of preference: a header line in the
//! source (every token a known field name, as CloudWatch and S3 deliveries
//! write it; a later header replaces an earlier one), the list given to
//! [`VpcFlowDecoder::new`], or the version 2 default. `-` is null. `NODATA`
//! and `SKIPDATA` records (no traffic, or records skipped by AWS) are events
//! like the others, with null addresses.

use phiwatch_event::{keys, Event, Key, Origin, Timestamp, Value};

use crate::json::{self, Conv};
use crate::{DecodeError, Decoder, ErrorKind};

/// How a field's text is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Ip,
}

/// Known field names (versions 2 to 5) and their types.
const FIELDS: &[(&str, Ty)] = &[
    ("version", Ty::Int),
    ("account-id", Ty::Str),
    ("interface-id", Ty::Str),
    ("srcaddr", Ty::Ip),
    ("dstaddr", Ty::Ip),
    ("srcport", Ty::Int),
    ("dstport", Ty::Int),
    ("protocol", Ty::Int),
    ("packets", Ty::Int),
    ("bytes", Ty::Int),
    ("start", Ty::Int),
    ("end", Ty::Int),
    ("action", Ty::Str),
    ("log-status", Ty::Str),
    ("vpc-id", Ty::Str),
    ("subnet-id", Ty::Str),
    ("instance-id", Ty::Str),
    ("tcp-flags", Ty::Int),
    ("type", Ty::Str),
    ("pkt-srcaddr", Ty::Ip),
    ("pkt-dstaddr", Ty::Ip),
    ("region", Ty::Str),
    ("az-id", Ty::Str),
    ("sublocation-type", Ty::Str),
    ("sublocation-id", Ty::Str),
    ("pkt-src-aws-service", Ty::Str),
    ("pkt-dst-aws-service", Ty::Str),
    ("flow-direction", Ty::Str),
    ("traffic-path", Ty::Int),
    ("ecs-cluster-arn", Ty::Str),
    ("ecs-cluster-name", Ty::Str),
    ("ecs-container-instance-arn", Ty::Str),
    ("ecs-container-instance-id", Ty::Str),
    ("ecs-container-id", Ty::Str),
    ("ecs-second-container-id", Ty::Str),
    ("ecs-service-name", Ty::Str),
    ("ecs-task-definition-arn", Ty::Str),
    ("ecs-task-arn", Ty::Str),
    ("ecs-task-id", Ty::Str),
    ("reject-reason", Ty::Str),
];

/// Whether `name` is a VPC flow log field name (versions 2 to 5).
pub(crate) fn is_field_name(name: &str) -> bool {
    FIELDS.iter().any(|(n, _)| *n == name)
}

/// The version 2 default format.
const DEFAULT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
                       protocol packets bytes start end action log-status";

/// One column of the current field list.
#[derive(Debug, Clone, Copy)]
struct Column {
    key: Key,
    ty: Ty,
}

pub(crate) struct VpcFlowDecoder {
    columns: Vec<Column>,
}

impl VpcFlowDecoder {
    /// A decoder for records with the space-separated field list `fields`
    /// (the version 2 default when `None`). An unknown or repeated name is an
    /// error.
    pub(crate) fn new(fields: Option<&str>) -> Result<Self, DecodeError> {
        let list = fields.unwrap_or(DEFAULT);
        let mut columns = Vec::new();
        for (i, name) in list.split_ascii_whitespace().enumerate() {
            let Some(c) = column(name) else {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    format!(
                        "VPC flow field list: unknown field `{}` at position {}",
                        name.escape_debug(),
                        i + 1
                    ),
                ));
            };
            if columns.iter().any(|o: &Column| o.key == c.key) {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    format!("VPC flow field list: `{name}` appears twice"),
                ));
            }
            columns.push(c);
        }
        if columns.is_empty() {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "VPC flow field list is empty",
            ));
        }
        Ok(VpcFlowDecoder { columns })
    }
}

fn column(name: &str) -> Option<Column> {
    let ty = FIELDS.iter().find(|(n, _)| *n == name)?.1;
    Some(Column {
        key: Key::lookup(name)?,
        ty,
    })
}

impl VpcFlowDecoder {
    /// The record's fields, typed, as raw fields of a new event.
    fn raw_event(&self, tokens: &[&str], bytes: usize) -> Result<Event, DecodeError> {
        if tokens.len() != self.columns.len() {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                format!(
                    "expected {} fields, found {}",
                    self.columns.len(),
                    tokens.len()
                ),
            ));
        }
        let mut ev = Event::with_capacity(Timestamp::EPOCH, tokens.len() + 20, bytes);
        for (col, tok) in self.columns.iter().zip(tokens) {
            let v = if *tok == "-" {
                Value::Null
            } else {
                match col.ty {
                    Ty::Str => ev.store_str(tok),
                    Ty::Int => match tok.parse::<i64>() {
                        Ok(i) => Value::Int(i),
                        Err(_) => return Err(json::type_error(col.key.name(), "an integer")),
                    },
                    Ty::Ip => match tok.parse() {
                        Ok(ip) => Value::Ip(ip),
                        Err(_) => return Err(json::type_error(col.key.name(), "an IP address")),
                    },
                }
            };
            ev.push_raw(col.key, v);
        }
        Ok(ev)
    }
}

impl Decoder for VpcFlowDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        let record = record.trim_ascii();
        if record.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();

        // A header: every token a known field name.
        if let Some(header) = tokens.iter().map(|t| column(t)).collect::<Option<Vec<_>>>() {
            let distinct = header
                .iter()
                .enumerate()
                .all(|(i, c)| header.iter().skip(i + 1).all(|o| o.key != c.key));
            if !distinct {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "header line names a field twice",
                ));
            }
            self.columns = header;
            return Ok(None);
        }

        let mut ev = self.raw_event(&tokens, record.len())?;
        let start = start_time(&ev)?;
        ev.set_time(start);
        ev.set_origin(origin);
        json::tag(&mut ev, "aws", "aws.vpcflow", "vpcflow");
        ev.push_norm(keys::CLOUD_PROVIDER, Value::Static("aws"));
        ev.push_norm(keys::EVENT_START, Value::Time(start));
        if let Some(end) = ev
            .get_raw("end")
            .and_then(|v| v.as_i64())
            .and_then(Timestamp::from_secs)
        {
            ev.push_norm(keys::EVENT_END, Value::Time(end));
            let d = end.as_nanos().saturating_sub(start.as_nanos());
            if d >= 0 {
                ev.push_norm(keys::EVENT_DURATION, Value::Int(d));
            }
        }
        normalize(&mut ev)?;
        Ok(Some(ev))
    }
}

/// The record's time: its `start`, in epoch seconds.
fn start_time(ev: &Event) -> Result<Timestamp, DecodeError> {
    match ev.get_raw("start").and_then(|v| v.as_i64()) {
        Some(s) => Timestamp::from_secs(s).ok_or_else(|| {
            DecodeError::new(ErrorKind::Time, "field `start`: epoch seconds out of range")
        }),
        None => Err(DecodeError::new(
            ErrorKind::Time,
            "missing time: field `start` is absent or `-`",
        )),
    }
}

fn normalize(ev: &mut Event) -> Result<(), DecodeError> {
    json::alias(ev, "srcaddr", keys::SOURCE_IP, Conv::Same);
    json::alias(ev, "dstaddr", keys::DESTINATION_IP, Conv::Same);
    json::copy_checked(ev, "srcport", keys::SOURCE_PORT, Conv::Port)?;
    json::copy_checked(ev, "dstport", keys::DESTINATION_PORT, Conv::Port)?;
    if let Some(n) = ev.get_raw("protocol").and_then(|v| v.as_i64()) {
        json::push_iana_protocol(ev, n);
    }
    json::alias(ev, "bytes", keys::SOURCE_BYTES, Conv::Same);
    json::alias(ev, "bytes", keys::NETWORK_BYTES, Conv::Same);
    json::alias(ev, "packets", keys::SOURCE_PACKETS, Conv::Same);
    json::alias(ev, "packets", keys::NETWORK_PACKETS, Conv::Same);
    let action = match ev.get_raw("action").and_then(|v| v.as_str()) {
        Some(a) if a.eq_ignore_ascii_case("accept") => Some(("accept", "success")),
        Some(a) if a.eq_ignore_ascii_case("reject") => Some(("reject", "failure")),
        _ => None,
    };
    if let Some((action, outcome)) = action {
        ev.push_norm(keys::EVENT_ACTION, Value::Static(action));
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(outcome));
    }
    json::alias(ev, "account-id", keys::CLOUD_ACCOUNT_ID, Conv::Same);
    json::alias(ev, "interface-id", keys::PHIWATCH_INTERFACE_ID, Conv::Same);
    json::alias(ev, "instance-id", keys::CLOUD_INSTANCE_ID, Conv::Same);
    json::alias(ev, "region", keys::CLOUD_REGION, Conv::Same);
    match ev.get_raw("flow-direction").and_then(|v| v.as_str()) {
        Some("ingress") => ev.push_norm(keys::NETWORK_DIRECTION, Value::Static("ingress")),
        Some("egress") => ev.push_norm(keys::NETWORK_DIRECTION, Value::Static("egress")),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_name_is_registered() {
        for (n, _) in FIELDS {
            assert!(Key::lookup(n).is_some(), "{n}");
        }
    }

    #[test]
    fn field_lists_are_checked() {
        assert!(VpcFlowDecoder::new(None).is_ok());
        assert!(VpcFlowDecoder::new(Some("version srcaddr start")).is_ok());
        let e = VpcFlowDecoder::new(Some("version bogus start"))
            .err()
            .map(|e| e.reason);
        assert_eq!(
            e.as_deref(),
            Some("VPC flow field list: unknown field `bogus` at position 2")
        );
        assert!(VpcFlowDecoder::new(Some("start start")).is_err());
        assert!(VpcFlowDecoder::new(Some("  ")).is_err());
    }
}
