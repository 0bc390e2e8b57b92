//! Deterministic UUIDs for exported objects: the same input gives the same
//! id in every run, so re-exporting the same sightings does not mint new
//! objects downstream.

const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

/// A UUID derived from `kind` and `key`: FNV-1a (128 bits) over
/// `kind`, a NUL byte and `key`, each half then mixed with the SplitMix64
/// finalizer so every input bit reaches every output bit. The version nibble
/// is set to 4 and the variant bits to RFC 4122 (`10`), so the text is
/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lowercase, as STIX
/// validators expect of an id.
///
/// ```
/// use phiwatch_intel::export::deterministic_uuid;
/// let a = deterministic_uuid("indicator", "ip:192.0.2.1");
/// assert_eq!(a, deterministic_uuid("indicator", "ip:192.0.2.1"));
/// assert_ne!(a, deterministic_uuid("sighting", "ip:192.0.2.1"));
/// assert_eq!(&a[14..15], "4");
/// ```
pub fn deterministic_uuid(kind: &str, key: &str) -> String {
    let mut h = FNV_OFFSET;
    let bytes = kind.bytes().chain(std::iter::once(0)).chain(key.bytes());
    for b in bytes {
        h ^= u128::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    let hi = splitmix64((h >> 64) as u64);
    let lo = splitmix64(h as u64 ^ hi);
    let mut b = ((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hex_digit(n: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(n & 0x0f)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_v4_shape(u: &str) -> bool {
        let b = u.as_bytes();
        u.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
            && b[14] == b'4'
            && matches!(b[19], b'8' | b'9' | b'a' | b'b')
            && u.bytes().enumerate().all(|(i, c)| {
                matches!(i, 8 | 13 | 18 | 23) || matches!(c, b'0'..=b'9' | b'a'..=b'f')
            })
    }

    #[test]
    fn shape_and_spread() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..2000 {
            let u = deterministic_uuid("indicator", &format!("ip:10.0.{}.{}", i / 256, i % 256));
            assert!(is_v4_shape(&u), "{u}");
            assert!(seen.insert(u));
        }
        // The kind and the key are separated: ("ab", "c") is not ("a", "bc").
        assert_ne!(deterministic_uuid("ab", "c"), deterministic_uuid("a", "bc"));
        assert_eq!(deterministic_uuid("", ""), deterministic_uuid("", ""));
    }
}
