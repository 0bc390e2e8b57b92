//! Redaction: a document rewritten with its identifiers replaced, every
//! other byte unchanged.
//!
//! ```
//! use phiwatch_phi::{redact, Found, PhiType, RedactMode};
//!
//! let doc = b"ssn=219-45-6781 ok";
//! let found = [Found { start: 4, end: 15, line: 1, ty: PhiType::UsSsn, score: 0.9, key: None }];
//! let mut out = Vec::new();
//! redact(doc, &found, &RedactMode::Mask, &mut out);
//! assert_eq!(out, b"ssn=***-**-6781 ok");
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::structure::Found;
use crate::types::PhiType;

/// How an identifier is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedactMode {
    /// Keep the last four letters and digits and the separators; every other
    /// letter or digit becomes `*` (`***-**-6781`).
    Mask,
    /// `[REDACTED]`.
    Redact,
    /// A keyed pseudonym, `<US_SSN:0123456789abcdef>`: the first 8 bytes of
    /// HMAC-SHA256(key, type name ":" value) in hex. The same value (letters
    /// and digits, case ignored: `219-45-6781` and `219456781` alike) gets
    /// the same pseudonym under the same key.
    Hash {
        /// The HMAC key (must not be empty to mean anything).
        key: Vec<u8>,
    },
    /// The type's name as a placeholder: `<US_SSN>`.
    Replace,
}

/// Writes `bytes` to `out` with every span of `found` replaced as `mode`
/// says. Overlapping spans are merged (the merged span takes the
/// type of its longest part); spans past the end are clipped. Bytes outside
/// the spans are copied unchanged.
pub fn redact(bytes: &[u8], found: &[Found], mode: &RedactMode, out: &mut Vec<u8>) {
    let mut at = 0;
    for (start, end, ty) in merge(found, bytes.len()) {
        out.extend_from_slice(&bytes[at..start]);
        replacement(&bytes[start..end], ty, mode, out);
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
}

/// The spans of `found`, clipped to `len`, sorted and merged.
pub fn merge(found: &[Found], len: usize) -> Vec<(usize, usize, PhiType)> {
    let mut spans: Vec<(usize, usize, PhiType)> = found
        .iter()
        .map(|f| (f.start.min(len), f.end.min(len), f.ty))
        .filter(|(s, e, _)| s < e)
        .collect();
    spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut merged: Vec<(usize, usize, PhiType, usize)> = Vec::with_capacity(spans.len());
    for (s, e, ty) in spans {
        match merged.last_mut() {
            Some(m) if s < m.1 => {
                if e - s > m.3 {
                    m.2 = ty;
                    m.3 = e - s;
                }
                m.1 = m.1.max(e);
            }
            _ => merged.push((s, e, ty, e - s)),
        }
    }
    merged.into_iter().map(|(s, e, ty, _)| (s, e, ty)).collect()
}

/// Appends the replacement of `value` (of type `ty`).
fn replacement(value: &[u8], ty: PhiType, mode: &RedactMode, out: &mut Vec<u8>) {
    match mode {
        RedactMode::Mask => out.extend_from_slice(mask(value).as_bytes()),
        RedactMode::Redact => out.extend_from_slice(b"[REDACTED]"),
        RedactMode::Replace => {
            out.push(b'<');
            out.extend_from_slice(ty.name().as_bytes());
            out.push(b'>');
        }
        RedactMode::Hash { key } => out.extend_from_slice(pseudonym(key, ty, value).as_bytes()),
    }
}

/// `value` masked: letters and digits become `*` except the last four;
/// separators stay; bytes that are not UTF-8 become `*`.
pub fn mask(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen + 4 > alnum {
                    c
                } else {
                    '*'
                }
            } else if c == char::REPLACEMENT_CHARACTER {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// The keyed pseudonym of `value`: `<TYPE:hex16>`.
pub fn pseudonym(key: &[u8], ty: PhiType, value: &[u8]) -> String {
    use std::fmt::Write as _;
    let text = String::from_utf8_lossy(value);
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return format!("<{}>", ty.name()),
    };
    mac.update(ty.name().as_bytes());
    mac.update(b":");
    for c in text.chars().filter(|c| c.is_alphanumeric()) {
        for u in c.to_uppercase() {
            let mut buf = [0u8; 4];
            mac.update(u.encode_utf8(&mut buf).as_bytes());
        }
    }
    let digest = mac.finalize().into_bytes();
    let mut s = format!("<{}:", ty.name());
    for b in &digest[..8] {
        let _ = write!(s, "{b:02x}");
    }
    s.push('>');
    s
}

#[cfg(test)]
mod tests;
