//! Account numbers: payment cards and ABA routing numbers.

use super::{bare_digits, luhn_valid, Digits};

/// The card networks told apart by their issuer prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Network {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    UnionPay,
}

impl Network {
    /// The network of a card number, by its leading digits.
    fn of(d: &Digits) -> Option<Network> {
        let p2 = d.number(0, 2);
        let p3 = d.number(0, 3);
        let p4 = d.number(0, 4);
        let p6 = d.number(0, 6);
        // Order matters: Discover's 622126–622925 lies inside UnionPay's 62.
        Some(match () {
            () if d.number(0, 1) == 4 => Network::Visa,
            () if matches!(p2, 51..=55) || matches!(p4, 2221..=2720) => Network::Mastercard,
            () if p2 == 34 || p2 == 37 => Network::Amex,
            () if p4 == 6011 || matches!(p3, 644..=649) || p2 == 65 => Network::Discover,
            () if matches!(p6, 622_126..=622_925) => Network::Discover,
            () if p2 == 62 => Network::UnionPay,
            () if matches!(p4, 3528..=3589) => Network::Jcb,
            () if matches!(p3, 300..=305) || p4 == 3095 || matches!(p2, 36 | 38 | 39) => {
                Network::Diners
            }
            () => return None,
        })
    }

    /// Whether the network issues numbers of this length.
    fn length_ok(self, len: usize) -> bool {
        match self {
            Network::Visa => matches!(len, 13 | 16 | 19),
            Network::Mastercard => len == 16,
            Network::Amex => len == 15,
            Network::Discover | Network::Jcb | Network::UnionPay => matches!(len, 16..=19),
            Network::Diners => matches!(len, 14..=19),
        }
    }
}

/// Collects the digits of a card number: bare, or in groups split by one
/// `-` or space (the same one throughout). Groups are 4 digits with a last
/// group of 1–4 (`4111 1111 1111 1111`, `4111-1111-1111-1111-123`), or the
/// Amex/Diners `4-6-5` and `4-6-4`.
fn card_digits(s: &[u8]) -> Option<Digits> {
    let mut out = Digits::new();
    let mut groups = [0usize; 6];
    let mut ngroups = 1;
    let mut sep = None;
    for &b in s {
        if b.is_ascii_digit() {
            if !out.push(b - b'0') {
                return None;
            }
            *groups.get_mut(ngroups - 1)? += 1;
        } else if (b == b'-' || b == b' ') && sep.is_none_or(|x| x == b) {
            sep = Some(b);
            if *groups.get(ngroups - 1)? == 0 {
                return None;
            }
            ngroups += 1;
            if ngroups > groups.len() {
                return None;
            }
        } else {
            return None;
        }
    }
    let groups = groups.get(..ngroups)?;
    let last = *groups.last()?;
    let shape_ok = ngroups == 1
        || groups == [4, 6, 5]
        || groups == [4, 6, 4]
        || (groups.iter().take(ngroups - 1).all(|&g| g == 4) && (1..=4).contains(&last));
    shape_ok.then_some(out)
}

/// Payment card number: 13–19 digits, an issuer prefix with a length that
/// issuer uses (Visa 4: 13, 16, 19; Mastercard 51–55 and 2221–2720: 16;
/// Amex 34, 37: 15; Discover 6011, 644–649, 65, 622126–622925: 16–19; JCB
/// 3528–3589: 16–19; Diners 300–305, 3095, 36, 38, 39: 14–19; UnionPay 62:
/// 16–19), and the Luhn check. (Some old UnionPay cards do not use Luhn;
/// they are not accepted: a failing checksum is far likelier a false hit.)
pub(super) fn card(s: &[u8]) -> bool {
    let Some(d) = card_digits(s) else {
        return false;
    };
    let len = d.len;
    (13..=19).contains(&len)
        && Network::of(&d).is_some_and(|n| n.length_ok(len))
        && luhn_valid(d.as_slice())
}

/// ABA routing transit number: 9 bare digits; the first two (the Federal
/// Reserve district) in 00–12 (banks; 00 is the US government), 21–32
/// (thrifts), 61–72 (electronic) or 80 (traveler's checks); and
/// `3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)`.
pub(super) fn routing(s: &[u8]) -> bool {
    let Some(d) = bare_digits(s) else {
        return false;
    };
    if d.len != 9 || !matches!(d.number(0, 2), 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let x = |i: usize| u32::from(d.buf[i]);
    let sum = 3 * (x(0) + x(3) + x(6)) + 7 * (x(1) + x(4) + x(7)) + (x(2) + x(5) + x(8));
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_networks_and_lengths() {
        assert!(card(b"4111111111111111"));
        assert!(card(b"4111 1111 1111 1111"));
        assert!(card(b"4111-1111-1111-1111"));
        assert!(!card(b"4111-1111 1111-1111"));
        assert!(!card(b"41111 11111 111111"));
        assert!(card(b"3782-822463-10005"));
        assert!(card(b"5555555555554444"));
        assert!(card(b"2223003122003222"));
        assert!(card(b"6011111111111117"));
        assert!(card(b"3530111333300000"));
        assert!(card(b"30569309025904"));
        assert!(card(b"6200000000000005"));
        // Luhn-valid but no issuer starts with 1.
        assert!(!card(b"1111111111111117"));
        // Amex prefix with 16 digits.
        assert!(!card(b"3782822463100005"));
        assert!(!card(b"4111111111111112"));
    }

    #[test]
    fn routing_prefix_and_checksum() {
        assert!(routing(b"011000015"));
        assert!(routing(b"021000021"));
        assert!(!routing(b"011000016"));
        // Checksum holds but 13 is no Federal Reserve prefix.
        assert!(!routing(b"130000006"));
        assert!(!routing(b"01100001"));
    }
}
