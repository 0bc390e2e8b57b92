//! URL query strings: `?a=b&c=d` after a path or a URL, each parameter's
//! value percent-decoded and scanned under the parameter's name.

use super::{Ctx, Origin};

/// Bytes that end a query string in free text.
fn ends_query(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'<' | b'>' | b'#' | b'`' | b'|'
    )
}

/// Scans every query string in `text` (which sits at `origin`).
pub(super) fn scan(ctx: &mut Ctx<'_, '_>, text: &[u8], origin: Origin<'_>) {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'?', &text[from..]) {
        let q = from + i;
        let end = text[q + 1..]
            .iter()
            .position(|&b| ends_query(b))
            .map_or(text.len(), |n| q + 1 + n);
        // A query string follows a path or a URL: something not blank.
        if q > 0 && !ends_query(text[q - 1]) {
            scan_params(ctx, text, q + 1, end, origin);
        }
        from = end.max(q + 1);
        if from >= text.len() {
            break;
        }
    }
}

fn scan_params(ctx: &mut Ctx<'_, '_>, text: &[u8], start: usize, end: usize, origin: Origin<'_>) {
    let mut p = start;
    while p < end {
        let stop = text[p..end]
            .iter()
            .position(|&b| b == b'&' || b == b';')
            .map_or(end, |n| p + n);
        let param = &text[p..stop];
        if let Some(eq) = memchr::memchr(b'=', param) {
            let raw_name = &param[..eq];
            let name = if encoded(raw_name) {
                String::from_utf8_lossy(&decode(raw_name, p, origin).0).into_owned()
            } else {
                String::from_utf8_lossy(raw_name).into_owned()
            };
            let key = (!name.is_empty()).then_some(name.as_str());
            let v_at = p + eq + 1;
            let raw = &text[v_at..stop];
            if encoded(raw) {
                let (v, m) = decode(raw, v_at, origin);
                if !v.is_empty() {
                    ctx.scan_plain(&v, Origin::Mapped(&m), key);
                }
            } else if !raw.is_empty() {
                // Nothing to decode: the bytes as they are, where they are.
                ctx.scan_plain(raw, origin.shifted(v_at), key);
            }
        }
        p = stop + 1;
    }
}

/// Whether `raw` has anything [`decode`] changes.
fn encoded(raw: &[u8]) -> bool {
    memchr::memchr2(b'%', b'+', raw).is_some()
}

/// Percent-decodes `raw` (at text offset `at`): the decoded bytes and their
/// map to document offsets (one entry more than the bytes).
fn decode(raw: &[u8], at: usize, origin: Origin<'_>) -> (Vec<u8>, Vec<usize>) {
    let mut value = Vec::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < raw.len() {
        map.push(origin.at(at + i));
        let escaped = match raw.get(i + 1..i + 3) {
            Some(&[h, l]) if raw[i] == b'%' => hex(h).zip(hex(l)),
            _ => None,
        };
        match (escaped, raw[i]) {
            (Some((h, l)), _) => {
                value.push(h << 4 | l);
                i += 3;
            }
            (None, b'+') => {
                value.push(b' ');
                i += 1;
            }
            (None, b) => {
                value.push(b);
                i += 1;
            }
        }
    }
    map.push(origin.at(at + raw.len()));
    (value, map)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw` into text (lossy), for tests and keys.
#[cfg(test)]
pub(super) fn decode_str(raw: &str) -> String {
    let (v, _) = decode(raw.as_bytes(), 0, Origin::At(0));
    String::from_utf8_lossy(&v).into_owned()
}
