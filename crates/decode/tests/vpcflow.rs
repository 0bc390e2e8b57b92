//! VPC Flow Logs decoder: the panther-analysis scenario file (v2 with a
//! header) and own edge cases in `tests/data/vpcflow/edge/`.

// In tests a panic is a failure with a location; that is what we want.
#![allow(clippy::unwrap_used)]

use phiwatch_decode::{Decoder, DecoderConfig, ErrorKind, Format};
use phiwatch_event::{keys, Event, Key, Origin, ValueRef};
use proptest::prelude::*;

mod common;
use common::{i, s, Run};

const SCENARIO: &str =
    include_str!("data/vpcflow/panther/scenario-compromised-root-creds.vpcflow.log");
const CUSTOM_V5: &str = include_str!("data/vpcflow/edge/custom-v5.log");
const NODATA: &str = include_str!("data/vpcflow/edge/nodata.log");
const BAD: &str = include_str!("data/vpcflow/edge/bad.log");

fn decoder(fields: Option<&str>) -> Box<dyn Decoder> {
    let cfg = DecoderConfig {
        vpc_fields: fields.map(str::to_string),
        ..DecoderConfig::default()
    };
    Format::VpcFlow.decoder(&cfg).expect("decoder")
}

fn run(dec: &mut dyn Decoder, text: &str) -> Run {
    common::run_lines(dec, text)
}

fn text(ev: &Event, k: Key) -> String {
    ev.get(k).map(|v| v.to_string()).unwrap_or_default()
}

#[test]
fn panther_scenario() {
    let r = run(&mut *decoder(None), SCENARIO);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (6, 1));
    let ev = &r.events[0];
    assert_eq!(ev.time().to_rfc3339(), "2020-11-01T21:35:44.000000Z");
    assert_eq!(ev.origin().line, 2);
    assert_eq!(s(ev, keys::EVENT_DATASET), Some("aws.vpcflow"));
    assert_eq!(s(ev, keys::EVENT_MODULE), Some("aws"));
    assert_eq!(s(ev, keys::PHIWATCH_FORMAT), Some("vpcflow"));
    assert_eq!(s(ev, keys::CLOUD_PROVIDER), Some("aws"));
    assert_eq!(text(ev, keys::SOURCE_IP), "92.55.146.245");
    assert!(matches!(
        ev.get(keys::DESTINATION_IP),
        Some(ValueRef::Ip(_))
    ));
    assert_eq!(text(ev, keys::DESTINATION_IP), "172.31.77.31");
    assert_eq!(i(ev, keys::SOURCE_PORT), Some(48316));
    assert_eq!(i(ev, keys::DESTINATION_PORT), Some(22));
    assert_eq!(i(ev, keys::NETWORK_IANA_NUMBER), Some(6));
    assert_eq!(s(ev, keys::NETWORK_TRANSPORT), Some("tcp"));
    assert_eq!(i(ev, keys::SOURCE_BYTES), Some(7119));
    assert_eq!(i(ev, keys::NETWORK_BYTES), Some(7119));
    assert_eq!(i(ev, keys::SOURCE_PACKETS), Some(19));
    assert_eq!(i(ev, keys::NETWORK_PACKETS), Some(19));
    assert_eq!(s(ev, keys::EVENT_ACTION), Some("accept"));
    assert_eq!(s(ev, keys::EVENT_OUTCOME), Some("success"));
    assert_eq!(s(ev, keys::CLOUD_ACCOUNT_ID), Some("493859302102"));
    assert_eq!(
        s(ev, keys::PHIWATCH_INTERFACE_ID),
        Some("eni-0b13344793d4fde67")
    );
    assert_eq!(text(ev, keys::EVENT_START), "2020-11-01T21:35:44.000000Z");
    assert_eq!(text(ev, keys::EVENT_END), "2020-11-01T21:36:00.000000Z");
    assert_eq!(i(ev, keys::EVENT_DURATION), Some(16_000_000_000));
    // Raw names stay reachable.
    assert_eq!(
        ev.get_raw("log-status").and_then(|v| v.as_str()),
        Some("OK")
    );
    let reject = &r.events[2];
    assert_eq!(s(reject, keys::EVENT_ACTION), Some("reject"));
    assert_eq!(s(reject, keys::EVENT_OUTCOME), Some("failure"));
    let total: i64 = r
        .events
        .iter()
        .filter_map(|e| i(e, keys::SOURCE_BYTES))
        .sum();
    assert_eq!(total, 7119 * 3 + 3_048_576 + 1_048_576 * 2);

    // The same records without the header, on the default field list.
    let body: String = SCENARIO.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let r2 = run(&mut *decoder(None), &body);
    assert_eq!((r2.events.len(), r2.errors.len(), r2.skipped), (6, 0, 0));
}

#[test]
fn custom_v5_header_and_a_second_header() {
    let r = run(&mut *decoder(None), CUSTOM_V5);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (7, 2));
    let ev = &r.events[0];
    assert_eq!(s(ev, keys::CLOUD_INSTANCE_ID), Some("i-0123456789abcdef0"));
    assert_eq!(s(ev, keys::CLOUD_REGION), Some("us-east-1"));
    assert_eq!(s(ev, keys::NETWORK_DIRECTION), Some("egress"));
    assert_eq!(ev.get_raw("tcp-flags").and_then(|v| v.as_i64()), Some(19));
    assert_eq!(ev.get_raw("traffic-path").and_then(|v| v.as_i64()), Some(8));
    assert_eq!(
        ev.get_raw("vpc-id").and_then(|v| v.as_str()),
        Some("vpc-0abc1234def567890")
    );
    assert!(ev.get_raw("sublocation-type").is_some_and(|v| v.is_null()));
    let rdp = &r.events[1];
    assert_eq!(s(rdp, keys::NETWORK_DIRECTION), Some("ingress"));
    assert_eq!(s(rdp, keys::EVENT_OUTCOME), Some("failure"));
    assert!(rdp.get_raw("traffic-path").is_some_and(|v| v.is_null()));
    let s3 = &r.events[2];
    assert_eq!(
        s3.get_raw("pkt-dst-aws-service").and_then(|v| v.as_str()),
        Some("S3")
    );
    assert_eq!(i(s3, keys::SOURCE_BYTES), Some(3_145_728));
    let v6 = &r.events[3];
    assert_eq!(text(v6, keys::SOURCE_IP), "2001:db8:10::5");
    assert_eq!(s(v6, keys::NETWORK_TRANSPORT), Some("udp"));
    assert_eq!(v6.get(keys::CLOUD_INSTANCE_ID), None);
    // NODATA: accepted, with null addresses and no action.
    let nodata = &r.events[4];
    assert_eq!(
        nodata.get_raw("log-status").and_then(|v| v.as_str()),
        Some("NODATA")
    );
    assert_eq!(nodata.get(keys::SOURCE_IP), None);
    assert_eq!(nodata.get(keys::EVENT_ACTION), None);
    assert_eq!(nodata.time().to_rfc3339(), "2024-03-05T14:01:40.000000Z");
    // After the second header: a reordered v3-style list.
    let v3 = &r.events[5];
    assert_eq!(v3.origin().line, 8);
    assert_eq!(i(v3, keys::SOURCE_BYTES), Some(5120));
    assert_eq!(i(v3, keys::SOURCE_PACKETS), Some(40));
    assert_eq!(s(v3, keys::CLOUD_INSTANCE_ID), Some("i-0123456789abcdef0"));
    assert_eq!(v3.get(keys::CLOUD_ACCOUNT_ID), None);
    let icmp = &r.events[6];
    assert_eq!(s(icmp, keys::NETWORK_TRANSPORT), Some("icmp"));
}

#[test]
fn nodata_and_skipdata_on_the_default_list() {
    let r = run(&mut *decoder(None), NODATA);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.events.len(), r.skipped), (3, 0));
    let statuses: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| e.get_raw("log-status").and_then(|v| v.as_str()))
        .collect();
    assert_eq!(statuses, ["NODATA", "SKIPDATA", "OK"]);
    assert_eq!(
        r.events[0].time().to_rfc3339(),
        "2015-05-10T18:01:16.000000Z"
    );
    assert_eq!(r.events[1].get(keys::SOURCE_BYTES), None);
}

#[test]
fn configured_field_list() {
    let mut dec = decoder(Some("srcaddr dstaddr dstport start action"));
    let ev = dec
        .decode(
            b"10.0.0.1 192.0.2.1 443 1700000000 REJECT",
            Origin::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(i(&ev, keys::DESTINATION_PORT), Some(443));
    assert_eq!(s(&ev, keys::EVENT_OUTCOME), Some("failure"));
    assert_eq!(ev.get(keys::EVENT_END), None);
    // A default-format line no longer fits.
    let e = dec
        .decode(
            NODATA.lines().nth(2).unwrap_or("").as_bytes(),
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(
        (e.kind, e.reason.as_str()),
        (ErrorKind::Schema, "expected 5 fields, found 14")
    );

    let cfg = DecoderConfig {
        vpc_fields: Some("version account-id srcaddr bogus-field".to_string()),
        ..DecoderConfig::default()
    };
    let e = Format::VpcFlow
        .decoder(&cfg)
        .err()
        .expect("unknown field rejected");
    assert_eq!(e.kind, ErrorKind::Schema);
    assert!(
        e.reason.contains("`bogus-field` at position 4"),
        "{}",
        e.reason
    );
}

#[test]
fn bad_lines_have_the_right_kind() {
    let r = run(&mut *decoder(None), BAD);
    assert_eq!((r.events.len(), r.errors.len(), r.skipped), (1, 7, 2));
    let got: Vec<(u64, ErrorKind, &str)> = r
        .errors
        .iter()
        .map(|(l, e)| (*l, e.kind, e.reason.as_str()))
        .collect();
    use ErrorKind::*;
    assert_eq!(
        got,
        [
            (1, Schema, "expected 14 fields, found 13"),
            (2, Schema, "expected 14 fields, found 15"),
            (3, Value, "field `srcport`: expected an integer"),
            (
                4,
                Value,
                "field `dstport`: expected a port number (0-65535)"
            ),
            (5, Value, "field `srcaddr`: expected an IP address"),
            (6, Time, "missing time: field `start` is absent or `-`"),
            (7, Value, "field `packets`: expected an integer"),
        ]
    );
    assert_eq!(r.events[0].origin().line, 10);

    let mut dec = decoder(None);
    let e = dec
        .decode(
            b"2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 \xff\xfe 2 ACCEPT OK",
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    let e = dec
        .decode(b"version srcaddr srcaddr", Origin::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schema);
    let e = dec
        .decode(
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 99999999999999999 2 ACCEPT OK",
            Origin::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Time);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decoder(None).decode(&bytes, Origin::default());
    }

    #[test]
    fn arbitrary_tokens_never_panic(
        header in any::<bool>(),
        tokens in proptest::collection::vec(
            "(-|[0-9]{1,20}|-[0-9]{1,3}|ACCEPT|REJECT|OK|NODATA|10\\.0\\.0\\.[0-9]{1,3}|2001:db8::[0-9a-f]{1,4}|eni-[0-9a-f]{4}|version|start|end|srcport|flow-direction|ingress)",
            0..30,
        ),
    ) {
        let mut dec = decoder(None);
        if header {
            let _ = dec.decode(b"srcaddr srcport start end action flow-direction protocol", Origin::default());
        }
        let line = tokens.join(" ");
        let _ = dec.decode(line.as_bytes(), Origin::default());
    }
}
