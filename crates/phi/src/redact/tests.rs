use super::*;
use crate::structure::tests::{fake_ssns, FakeSsn};
use crate::structure::{scan_with, Layout};

fn found(start: usize, end: usize, ty: PhiType) -> Found {
    Found {
        start,
        end,
        line: 1,
        ty,
        score: 0.9,
        key: None,
    }
}

fn apply(doc: &str, f: &[Found], mode: &RedactMode) -> String {
    let mut out = Vec::new();
    redact(doc.as_bytes(), f, mode, &mut out);
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn modes() {
    let doc = "a 219-45-6781 b";
    let f = [found(2, 13, PhiType::UsSsn)];
    assert_eq!(apply(doc, &f, &RedactMode::Mask), "a ***-**-6781 b");
    assert_eq!(apply(doc, &f, &RedactMode::Redact), "a [REDACTED] b");
    assert_eq!(apply(doc, &f, &RedactMode::Replace), "a <US_SSN> b");
    let key = RedactMode::Hash {
        key: b"k1".to_vec(),
    };
    let h = apply(doc, &f, &key);
    assert!(h.starts_with("a <US_SSN:") && h.ends_with("> b"), "{h}");
    assert_eq!(h.len(), "a <US_SSN:> b".len() + 16);
    assert!(!h.contains("6781"));
}

#[test]
fn hash_pseudonyms_are_stable_and_keyed() {
    let p = |k: &[u8], ty, v: &[u8]| pseudonym(k, ty, v);
    let a = p(b"k", PhiType::UsSsn, b"219-45-6781");
    assert_eq!(a, p(b"k", PhiType::UsSsn, b"219456781"));
    assert_ne!(a, p(b"other", PhiType::UsSsn, b"219-45-6781"));
    assert_ne!(a, p(b"k", PhiType::UsSsn, b"219-45-6782"));
    assert_ne!(a, p(b"k", PhiType::UsItin, b"219-45-6781"));
    assert_eq!(
        p(b"k", PhiType::EmailAddress, b"Ann@x.org"),
        p(b"k", PhiType::EmailAddress, b"ann@X.ORG")
    );
    // HMAC-SHA256("k", "US_SSN:219456781"), first 8 bytes (Python's hmac).
    assert_eq!(a, "<US_SSN:6ad7c36025569719>");
}

#[test]
fn mask_keeps_last_four_and_separators() {
    assert_eq!(mask(b"4111 1111 1111 1111"), "**** **** **** 1111");
    assert_eq!(mask(b"ann@x.org"), "***@x.org");
    assert_eq!(mask(b"12"), "12");
    assert_eq!(mask(b"Jos\xc3\xa9 Ruiz"), "**** Ruiz");
    assert_eq!(
        mask(b"12\xff34567"),
        "**\u{fffd}*4567".replace('\u{fffd}', "*")
    );
}

#[test]
fn overlapping_spans_merge_and_outside_bytes_stay() {
    let doc = "xx 4111 1111 1111 1111 yy";
    let f = [
        found(8, 22, PhiType::PhoneNumber),
        found(3, 22, PhiType::CreditCard),
        found(20, 40, PhiType::ZipCode),
    ];
    assert_eq!(
        merge(&f, doc.len()),
        vec![(3, doc.len(), PhiType::CreditCard)]
    );
    assert_eq!(apply(doc, &f, &RedactMode::Replace), "xx <CREDIT_CARD>");
    let f = [found(3, 7, PhiType::Ndc), found(7, 9, PhiType::ZipCode)];
    assert_eq!(
        apply(doc, &f, &RedactMode::Redact),
        "xx [REDACTED][REDACTED]111 1111 1111 yy"
    );
    assert_eq!(apply(doc, &[], &RedactMode::Mask), doc);
}

fn ssn() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    (1u32..900, 1u32..100, 1u32..10000, proptest::bool::ANY).prop_map(|(a, g, s, dash)| {
        if dash {
            format!("{a:03}-{g:02}-{s:04}")
        } else {
            format!("{a:03}{g:02}{s:04}")
        }
    })
}

proptest::proptest! {
    #[test]
    fn redaction_leaves_no_identifier_and_keeps_the_rest(
        parts in proptest::collection::vec((r"[a-z ,=?&\n\x22{}:]{0,12}", ssn()), 0..8),
        tail in r"[a-z ,\n]{0,8}",
        mode in 0usize..4,
        layout in 0usize..3,
    ) {
        let mut doc = String::new();
        for (filler, id) in &parts {
            doc.push_str(filler);
            doc.push(' ');
            doc.push_str(id);
            doc.push(' ');
        }
        doc.push_str(&tail);
        let mode = [
            RedactMode::Mask,
            RedactMode::Redact,
            RedactMode::Replace,
            RedactMode::Hash { key: b"secret".to_vec() },
        ][mode].clone();
        let layout = [Layout::Text, Layout::Auto, Layout::Ndjson][layout];
        let mut f = Vec::new();
        scan_with(&FakeSsn, doc.as_bytes(), layout, &mut f);
        let mut out = Vec::new();
        redact(doc.as_bytes(), &f, &mode, &mut out);
        // Nothing SSN-shaped is left at the values found.
        let mut again = Vec::new();
        scan_with(&FakeSsn, &out, Layout::Text, &mut again);
        let before: Vec<&[u8]> = f.iter().map(|x| &doc.as_bytes()[x.start..x.end]).collect();
        for x in &again {
            proptest::prop_assert!(!before.contains(&&out[x.start..x.end]));
        }
        // Every inserted identifier was found and is gone.
        for (_, id) in &parts {
            proptest::prop_assert!(fake_ssns(&out).iter().all(|&(s, e)| &out[s..e] != id.as_bytes()));
        }
        // Bytes outside the spans are unchanged, in order; each span holds
        // its replacement.
        let (doc, mut at, mut o) = (doc.as_bytes(), 0, 0);
        for (s, e, ty) in merge(&f, doc.len()) {
            proptest::prop_assert_eq!(&out[o..o + s - at], &doc[at..s]);
            o += s - at;
            let len = match &mode {
                RedactMode::Mask => e - s,
                RedactMode::Redact => "[REDACTED]".len(),
                RedactMode::Replace => ty.name().len() + 2,
                RedactMode::Hash { .. } => ty.name().len() + 19,
            };
            proptest::prop_assert_ne!(&out[o..o + len], &doc[s..e]);
            o += len;
            at = e;
        }
        proptest::prop_assert_eq!(&out[o..], &doc[at..]);
    }
}

fn valid_ssn() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    (1u32..900, 1u32..100, 1u32..10000)
        .prop_map(|(a, g, s)| format!("{a:03}-{g:02}-{s:04}"))
        .prop_filter("a valid SSN", |s| {
            crate::validate(PhiType::UsSsn, s) == Some(true)
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// With the real scanner: every SSN and card put in a document is found
    /// and none is left after redaction, in any mode.
    #[test]
    fn real_scanner_redaction_leaves_nothing(
        parts in proptest::collection::vec((r"[a-z ]{0,10}", valid_ssn(), proptest::bool::ANY), 1..6),
        mode in 0usize..4,
    ) {
        let scanner = crate::Scanner::new(crate::ScanConfig::default());
        let mut doc = String::new();
        let mut ids = Vec::new();
        for (filler, ssn, card) in &parts {
            doc.push_str(filler);
            if *card {
                doc.push_str(" card 4111 1111 1111 1111\n");
                ids.push("4111 1111 1111 1111".to_string());
            } else {
                doc.push_str(&format!(" ssn {ssn}\n"));
                ids.push(ssn.clone());
            }
        }
        let mode = [
            RedactMode::Mask,
            RedactMode::Redact,
            RedactMode::Replace,
            RedactMode::Hash { key: b"k".to_vec() },
        ][mode].clone();
        let mut f = Vec::new();
        crate::scan_document(&scanner, doc.as_bytes(), Layout::Auto, &mut f);
        let mut out = Vec::new();
        redact(doc.as_bytes(), &f, &mode, &mut out);
        let out_text = String::from_utf8_lossy(&out).into_owned();
        for id in &ids {
            proptest::prop_assert!(!out_text.contains(id.as_str()), "{id} left in {out_text}");
        }
        let mut again = Vec::new();
        crate::scan_document(&scanner, &out, Layout::Auto, &mut again);
        for x in &again {
            let v = String::from_utf8_lossy(&out[x.start..x.end]).into_owned();
            proptest::prop_assert!(!ids.contains(&v), "{v} found again");
        }
    }
}
