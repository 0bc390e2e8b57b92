//! Exact numbers beside the JSON.
//!
//! A finding's JSON does not round-trip every `f64` bit for bit (serde_json
//! parses long mantissas to the nearest-but-one double now and then), and
//! writes non-finite numbers as `null`, which it then cannot read back as
//! a number; SQLite stores a NaN REAL as NULL. So the store keeps `score`
//! and `metrics` in a small binary blob (`findings.exact`) and puts them
//! back over what the JSON gave.
//!
//! Blob layout: the score's IEEE 754 bits as a little-endian `u64`; a
//! `u32` metric count; per metric a `u32` name length, the name's UTF-8
//! bytes and the value's bits as a little-endian `u64`.

use std::collections::BTreeMap;

use phiwatch_finding::Finding;

/// Encodes a score and metrics.
pub(crate) fn encode_exact(score: f64, m: &BTreeMap<String, f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + m.len() * 24);
    out.extend_from_slice(&score.to_bits().to_le_bytes());
    out.extend_from_slice(&(m.len() as u32).to_le_bytes());
    for (k, v) in m {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    out
}

/// Reads `n` bytes at `*at`.
fn take<'a>(b: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
    let s = b.get(*at..at.checked_add(n)?)?;
    *at += n;
    Some(s)
}

fn u32_at(b: &[u8], at: &mut usize) -> Option<u32> {
    take(b, at, 4)?.try_into().ok().map(u32::from_le_bytes)
}

fn f64_at(b: &[u8], at: &mut usize) -> Option<f64> {
    let bits: [u8; 8] = take(b, at, 8)?.try_into().ok()?;
    Some(f64::from_bits(u64::from_le_bytes(bits)))
}

/// Decodes a score and metrics; `None` for a damaged blob.
pub(crate) fn decode_exact(b: &[u8]) -> Option<(f64, BTreeMap<String, f64>)> {
    let mut at = 0;
    let score = f64_at(b, &mut at)?;
    let n = u32_at(b, &mut at)?;
    let mut m = BTreeMap::new();
    for _ in 0..n {
        let len = u32_at(b, &mut at)? as usize;
        let name = std::str::from_utf8(take(b, &mut at, len)?).ok()?;
        m.insert(name.to_string(), f64_at(b, &mut at)?);
    }
    (at == b.len()).then_some((score, m))
}

/// A finding from its stored JSON and exact blob.
pub(crate) fn decode_finding(json: &str, exact: &[u8]) -> Result<Finding, String> {
    let mut f = match serde_json::from_str::<Finding>(json) {
        Ok(f) => f,
        Err(first) => lenient(json).ok_or_else(|| json_problem("finding", &first))?,
    };
    let (score, metrics) = decode_exact(exact).ok_or("exact blob is malformed")?;
    f.score = score;
    f.metrics = metrics;
    Ok(f)
}

/// What is wrong with stored JSON, without quoting it: serde's messages
/// can quote values, and values may be patient identifiers.
pub(crate) fn json_problem(what: &str, e: &serde_json::Error) -> String {
    format!(
        "{what} JSON is invalid ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    )
    .to_lowercase()
}

/// Reads JSON whose `score` or metrics hold `null` (non-finite numbers):
/// they are replaced by 0 here and restored from the exact columns.
fn lenient(json: &str) -> Option<Finding> {
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    let o = v.as_object_mut()?;
    if o.get("score").is_some_and(|s| s.is_null()) {
        o.insert("score".into(), 0.into());
    }
    if let Some(m) = o.get_mut("metrics").and_then(|m| m.as_object_mut()) {
        for (_, x) in m.iter_mut() {
            if x.is_null() {
                *x = 0.into();
            }
        }
    }
    serde_json::from_value(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_round_trip_bit_for_bit() {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("z", 2.6990383094166964e-307),
            ("bytes", 1.2e9),
            ("nan", f64::NAN),
            ("inf", f64::NEG_INFINITY),
            ("", 0.1 + 0.2),
        ] {
            m.insert(k.to_string(), v);
        }
        let (score, back) = decode_exact(&encode_exact(f64::NAN, &m)).unwrap();
        assert!(score.is_nan());
        assert_eq!(back.len(), 5);
        for (k, v) in &m {
            assert_eq!(back[k].to_bits(), v.to_bits(), "{k}");
        }
    }

    #[test]
    fn damaged_blobs_are_refused() {
        let good = encode_exact(0.5, &BTreeMap::from([("a".to_string(), 1.0)]));
        assert!(decode_exact(&good).is_some());
        for bad in [
            &good[..good.len() - 1],
            &[][..],
            &good[..8],
            &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0][..],
            &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255][..],
        ] {
            assert!(decode_exact(bad).is_none(), "{bad:?}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode_exact(&longer).is_none());
    }
}
