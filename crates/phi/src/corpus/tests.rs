use super::*;
use crate::types::PhiType as T;

/// Independent checks of the rules each generated value must satisfy
/// (written apart from the generators, from the published rules).
fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn luhn(ds: &[u32]) -> bool {
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn ssn_ok(s: &str) -> bool {
    let d = digits(s);
    let area = d[0] * 100 + d[1] * 10 + d[2];
    let group = d[3] * 10 + d[4];
    let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    d.len() == 9 && area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn npi_ok(s: &str) -> bool {
    let mut d = vec![8, 0, 8, 4, 0];
    d.extend(digits(s));
    s.len() == 10 && (s.starts_with('1') || s.starts_with('2')) && luhn(&d)
}

fn dea_ok(s: &str) -> bool {
    let d = digits(&s[2..]);
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    s.len() == 9 && s.as_bytes()[..2].iter().all(u8::is_ascii_uppercase) && check == d[6]
}

fn aba_ok(s: &str) -> bool {
    let d = digits(s);
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8];
    let prefix = d[0] * 10 + d[1];
    d.len() == 9 && sum.is_multiple_of(10) && matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80)
}

fn mbi_ok(s: &str) -> bool {
    let c: Vec<char> = s.chars().filter(|c| *c != '-').collect();
    let alpha = |x: char| x.is_ascii_uppercase() && !"SLOIBZ".contains(x);
    let num = |x: char| x.is_ascii_digit();
    c.len() == 11
        && ('1'..='9').contains(&c[0])
        && alpha(c[1])
        && (alpha(c[2]) || num(c[2]))
        && num(c[3])
        && alpha(c[4])
        && (alpha(c[5]) || num(c[5]))
        && num(c[6])
        && alpha(c[7])
        && alpha(c[8])
        && num(c[9])
        && num(c[10])
}

fn card_ok(s: &str) -> bool {
    let d = digits(s);
    let p2 = d[0] * 10 + d[1];
    let p4 = p2 * 100 + d[2] * 10 + d[3];
    let issuer = match d.len() {
        15 => p2 == 34 || p2 == 37,
        16 => {
            d[0] == 4
                || (51..=55).contains(&p2)
                || (2221..=2720).contains(&p4)
                || p4 == 6011
                || p2 == 65
        }
        _ => false,
    };
    issuer && luhn(&d)
}

fn itin_ok(s: &str) -> bool {
    let d = digits(s);
    let group = d[3] * 10 + d[4];
    d.len() == 9 && d[0] == 9 && matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

fn phone_ok(s: &str) -> bool {
    let mut d = digits(s);
    if d.len() == 11 && d[0] == 1 {
        d.remove(0);
    }
    let nxx = |a: u32, b: u32, c: u32| a >= 2 && !(b == 1 && c == 1);
    let reserved_area = matches!((d[0], d[1]), (3, 7) | (9, 6));
    d.len() == 10 && nxx(d[0], d[1], d[2]) && d[1] != 9 && !reserved_area && nxx(d[3], d[4], d[5])
}

/// The rule a label of `ty` must pass, where the type has one.
fn check(ty: T, s: &str) -> Option<bool> {
    Some(match ty {
        T::UsSsn => ssn_ok(s),
        T::UsItin => itin_ok(s),
        T::UsNpi => npi_ok(s),
        T::UsDea => dea_ok(s),
        T::UsMbi => mbi_ok(s),
        T::CreditCard => card_ok(s),
        T::UsBankRouting => aba_ok(s),
        T::PhoneNumber => phone_ok(s),
        _ => return None,
    })
}

#[test]
fn splitmix64_matches_the_reference_sequence() {
    let mut r = SplitMix64::new(0);
    assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    assert_eq!(SplitMix64::new(5).below(0), 0);
}

#[test]
fn same_seed_same_corpus_other_seed_other_corpus() {
    assert_eq!(generate(42, 3), generate(42, 3));
    assert_ne!(generate(42, 3), generate(43, 3));
    assert_eq!(generate(42, 3).docs.len(), 21);
}

#[test]
fn labels_and_negatives_are_in_bounds_sorted_and_disjoint() {
    let corpus = generate(1, 10);
    for doc in &corpus.docs {
        let mut spans: Vec<(usize, usize)> = doc
            .labels
            .iter()
            .map(|l| (l.start, l.end))
            .chain(doc.negatives.iter().map(|n| (n.start, n.end)))
            .collect();
        spans.sort_unstable();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{}: overlapping spans {:?}", doc.name, w);
        }
        for &(s, e) in &spans {
            assert!(s < e && e <= doc.text.len(), "{}", doc.name);
            assert!(doc.text.is_char_boundary(s) && doc.text.is_char_boundary(e));
        }
        assert!(doc.labels.windows(2).all(|w| w[0].start <= w[1].start));
    }
}

#[test]
fn every_validated_label_passes_its_rules() {
    let corpus = generate(2, 20);
    let mut checked = 0;
    for doc in &corpus.docs {
        for l in &doc.labels {
            let raw = percent_decode(&doc.text[l.start..l.end]);
            if let Some(ok) = check(l.ty, &raw) {
                assert!(ok, "{}: {:?} label fails its rules", doc.name, l.ty);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} checked");
}

#[test]
fn every_near_miss_negative_fails_its_rules() {
    let corpus = generate(3, 20);
    let mut checked = 0;
    for doc in &corpus.docs {
        for n in &doc.negatives {
            let raw = percent_decode(&doc.text[n.start..n.end]);
            let ty = match n.kind {
                "ssn_bad_range" => T::UsSsn,
                "npi_luhn_fail" => T::UsNpi,
                "dea_check_fail" => T::UsDea,
                "mbi_bad_char" => T::UsMbi,
                "card_luhn_fail" => T::CreditCard,
                "aba_checksum_fail" => T::UsBankRouting,
                "phone_bad_area" => T::PhoneNumber,
                _ => continue,
            };
            assert_eq!(
                check(ty, &raw),
                Some(false),
                "{}: {} passes",
                doc.name,
                n.kind
            );
            if ty == T::UsSsn {
                assert!(!itin_ok(&raw), "bad SSN in the ITIN ranges");
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} checked");
}

#[test]
fn every_type_is_labeled_and_every_layout_present() {
    let corpus = generate(4, 20);
    for ty in T::ALL {
        assert!(corpus.count(ty) >= 20, "{ty:?}: {}", corpus.count(ty));
    }
    for layout in ["text", "csv", "json", "ndjson", "access"] {
        assert!(corpus.docs.iter().any(|d| d.layout == layout), "{layout}");
    }
    let kinds: std::collections::BTreeSet<&str> = corpus
        .docs
        .iter()
        .flat_map(|d| d.negatives.iter().map(|n| n.kind))
        .collect();
    assert!(kinds.len() >= 15, "{kinds:?}");
}

#[test]
fn generic_csv_headers_carry_no_context() {
    let corpus = generate(5, 5);
    let generic: Vec<&Doc> = corpus
        .docs
        .iter()
        .filter(|d| d.name.starts_with("generic-"))
        .collect();
    assert_eq!(generic.len(), 5);
    for doc in generic {
        let header = doc.text.lines().next().unwrap_or("");
        assert!(header.split(',').all(|h| h.starts_with("col")), "{header}");
        assert!(!doc.labels.is_empty());
    }
}

#[test]
fn percent_encoding_round_trips() {
    for s in ["a@b.example.com", "(217) 555-0143", "03/14/1962", "x y+z%"] {
        assert_eq!(percent_decode(&percent_encode(s, false)), s);
    }
    assert_eq!(percent_encode("a b@c", true), "a+b%40c");
    assert_eq!(percent_decode("a+b%40c%zz%4"), "a b@c%zz%4");
}

#[test]
fn logs_only_corpus_has_access_and_app_logs() {
    let corpus = generate_logs(9, 4);
    assert_eq!(corpus.docs.len(), 8);
    assert!(corpus.docs.iter().all(|d| d.name.ends_with(".log")));
    assert!(corpus.bytes() > 8 * 1000);
}
