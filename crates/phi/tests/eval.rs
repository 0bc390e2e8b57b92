//! Precision and recall of the scanner on the generated, labeled corpus
//! (`phiwatch_phi::corpus`): every document is scanned as its layout says
//! (`scan_document`: text line by line with its query strings, CSV cells
//! with their headers, JSON values with their key paths), findings are
//! matched to labels (same type and overlapping span), and a per-type table
//! is printed. Run with `--nocapture` to see it; `PHI_EVAL_SCALE` changes
//! the corpus size (documents per kind) and `PHI_EVAL_SEED` the seed (to
//! check that tuning on the default seed generalizes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Instant;

use phiwatch_phi::corpus::{generate, percent_decode, Doc};
use phiwatch_phi::{scan_document, validate, Found, Layout, PhiType, ScanConfig, Scanner};

const SEED: u64 = 0x5EED_2026;
const SCALE: usize = 20;

/// The types whose validators make them near-certain: precision and
/// recall must both reach 0.97 (issue 6).
const STRICT: [PhiType; 6] = [
    PhiType::UsSsn,
    PhiType::UsNpi,
    PhiType::UsDea,
    PhiType::UsMbi,
    PhiType::CreditCard,
    PhiType::UsBankRouting,
];

/// Floors (precision, recall) for the other types. Measured on this
/// corpus (seed and scale above) on 2026-11-28: ≥ 0.99 on both for every
/// type (NDC recall was 0.94 while the validator rejected zero package
/// codes such as `-0`/`-00`, which are the firm's to assign and real). An
/// earlier scanner had ZIP_CODE precision at 0.88 (5-digit response sizes
/// right after a `zip=` parameter taken for ZIPs), hence its lower floor.
/// The floors leave room for tuning yet sit far above what shape-only
/// guessing gives (unvalidated 5- and 7–8-digit numbers are everywhere in
/// logs), so a regression in context scoring fails the test.
fn floor(ty: PhiType) -> (f64, f64) {
    match ty {
        t if STRICT.contains(&t) => (0.97, 0.97),
        PhiType::ZipCode => (0.85, 0.90),
        _ => (0.90, 0.90),
    }
}

fn layout(doc: &Doc) -> Layout {
    match doc.layout {
        "csv" => Layout::Csv(b','),
        "json" => Layout::Json,
        "ndjson" => Layout::Ndjson,
        _ => Layout::Text,
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    labels: usize,
    found: usize,
    tp_labels: usize,
    tp_found: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.tp_found as f64 / self.found as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.labels == 0 {
            1.0
        } else {
            self.tp_labels as f64 / self.labels as f64
        }
    }
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// The text of a span with letters and digits masked, for messages.
fn masked(doc: &Doc, start: usize, end: usize) -> String {
    let lo = doc.text.floor_char_boundary(start.saturating_sub(24));
    let hi = doc.text.ceil_char_boundary((end + 8).min(doc.text.len()));
    doc.text[lo..hi]
        .chars()
        .map(|c| match c {
            '0'..='9' => '#',
            'a'..='z' | 'A'..='Z' => 'x',
            '\n' => ' ',
            c => c,
        })
        .collect()
}

struct Eval {
    per_type: BTreeMap<PhiType, Counts>,
    /// False positives by (type reported, negative kind it fell on, or
    /// "unmarked").
    fp_kinds: BTreeMap<(PhiType, &'static str), usize>,
    /// Hard negatives by kind: (placed, reported as anything).
    negatives: BTreeMap<&'static str, (usize, usize)>,
    examples: Vec<String>,
    bytes: usize,
    secs: f64,
}

fn evaluate(seed: u64, scale: usize) -> Eval {
    let corpus = generate(seed, scale);
    let scanner = Scanner::new(ScanConfig::default());
    let mut eval = Eval {
        per_type: PhiType::ALL
            .iter()
            .map(|t| (*t, Counts::default()))
            .collect(),
        fp_kinds: BTreeMap::new(),
        negatives: BTreeMap::new(),
        examples: Vec::new(),
        bytes: corpus.bytes(),
        secs: 0.0,
    };
    let mut found: Vec<Found> = Vec::new();
    let t0 = Instant::now();
    for doc in &corpus.docs {
        found.clear();
        scan_document(&scanner, doc.text.as_bytes(), layout(doc), &mut found);
        score_doc(doc, &found, &mut eval);
    }
    eval.secs = t0.elapsed().as_secs_f64();
    eval
}

fn score_doc(doc: &Doc, found: &[Found], eval: &mut Eval) {
    for n in &doc.negatives {
        let e = eval.negatives.entry(n.kind).or_default();
        e.0 += 1;
        if found
            .iter()
            .any(|f| overlaps((f.start, f.end), (n.start, n.end)))
        {
            e.1 += 1;
        }
    }
    for l in &doc.labels {
        let c = eval.per_type.entry(l.ty).or_default();
        c.labels += 1;
        let hit = found
            .iter()
            .any(|f| f.ty == l.ty && overlaps((f.start, f.end), (l.start, l.end)));
        if hit {
            c.tp_labels += 1;
        } else if eval.examples.len() < 40 {
            let text = masked(doc, l.start, l.end);
            eval.examples.push(format!(
                "FN {} {}@{}: …{text}…",
                l.ty.name(),
                doc.name,
                l.start
            ));
        }
    }
    for f in found {
        let c = eval.per_type.entry(f.ty).or_default();
        c.found += 1;
        let hit = doc
            .labels
            .iter()
            .any(|l| f.ty == l.ty && overlaps((f.start, f.end), (l.start, l.end)));
        if hit {
            c.tp_found += 1;
            continue;
        }
        let kind = doc
            .negatives
            .iter()
            .find(|n| overlaps((f.start, f.end), (n.start, n.end)))
            .map_or("unmarked", |n| n.kind);
        *eval.fp_kinds.entry((f.ty, kind)).or_default() += 1;
        if eval.examples.len() < 40 {
            let text = masked(doc, f.start, f.end);
            let key = f.key.as_deref().unwrap_or("-");
            eval.examples.push(format!(
                "FP {} ({kind}, key {key}) {}@{}: …{text}…",
                f.ty.name(),
                doc.name,
                f.start
            ));
        }
    }
}

fn print(eval: &Eval) {
    println!(
        "corpus: {} bytes scanned in {:.2} s ({:.1} MB/s, debug builds are slow)",
        eval.bytes,
        eval.secs,
        eval.bytes as f64 / 1e6 / eval.secs.max(1e-9)
    );
    println!(
        "{:<22} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7}",
        "type", "labels", "TP", "FP", "FN", "precision", "recall"
    );
    for (ty, c) in &eval.per_type {
        println!(
            "{:<22} {:>6} {:>6} {:>6} {:>6} {:>9.3} {:>7.3}",
            ty.name(),
            c.labels,
            c.tp_labels,
            c.found - c.tp_found,
            c.labels - c.tp_labels,
            c.precision(),
            c.recall()
        );
    }
    for (kind, (placed, hit)) in &eval.negatives {
        println!("hard negatives: {kind:<18} {hit:>5} of {placed:>5} reported");
    }
    for ((ty, kind), n) in &eval.fp_kinds {
        println!("false positives: {n:>5} {} on {kind}", ty.name());
    }
    for e in &eval.examples {
        println!("{e}");
    }
}

#[test]
fn precision_and_recall_per_type_reach_their_floors() {
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse().ok());
    let scale = env("PHI_EVAL_SCALE").unwrap_or(SCALE as u64) as usize;
    let eval = evaluate(env("PHI_EVAL_SEED").unwrap_or(SEED), scale);
    print(&eval);
    let mut failures = Vec::new();
    for (ty, c) in &eval.per_type {
        let min_labels = if STRICT.contains(ty) { 51 } else { 20 };
        assert!(
            c.labels >= min_labels,
            "{}: only {} labels, the test would be vacuous",
            ty.name(),
            c.labels
        );
        let (p, r) = floor(*ty);
        if c.precision() < p || c.recall() < r {
            failures.push(format!(
                "{}: precision {:.3} (floor {p}), recall {:.3} (floor {r})",
                ty.name(),
                c.precision(),
                c.recall()
            ));
        }
    }
    for kind in NEAR_MISSES {
        let (placed, hit) = eval.negatives.get(kind).copied().unwrap_or_default();
        assert!(placed > 50, "{kind}: only {placed} placed");
        if hit as f64 > 0.03 * placed as f64 {
            failures.push(format!("{kind}: {hit} of {placed} near misses reported"));
        }
    }
    assert!(
        failures.is_empty(),
        "below the floor:\n{}",
        failures.join("\n")
    );
}

/// Near misses of the validated types (one rule broken): at most 3% may be
/// reported, as anything.
const NEAR_MISSES: [&str; 6] = [
    "ssn_bad_range",
    "npi_luhn_fail",
    "dea_check_fail",
    "card_luhn_fail",
    "aba_checksum_fail",
    "mbi_bad_char",
];

/// The validators agree with the corpus: every label of a validated type
/// passes, every near miss fails.
#[test]
fn validators_accept_every_label_and_reject_every_near_miss() {
    let corpus = generate(SEED, 10);
    let mut bad = Vec::new();
    let mut checked = 0;
    for doc in &corpus.docs {
        for l in &doc.labels {
            if !(STRICT.contains(&l.ty) || l.ty == PhiType::UsItin) {
                continue;
            }
            let raw = percent_decode(&doc.text[l.start..l.end]);
            checked += 1;
            if validate(l.ty, &raw) != Some(true) {
                bad.push(format!(
                    "{} label rejected: {}",
                    l.ty.name(),
                    masked(doc, l.start, l.end)
                ));
            }
        }
        for n in &doc.negatives {
            let ty = match n.kind {
                "ssn_bad_range" => PhiType::UsSsn,
                "npi_luhn_fail" => PhiType::UsNpi,
                "dea_check_fail" => PhiType::UsDea,
                "mbi_bad_char" => PhiType::UsMbi,
                "card_luhn_fail" => PhiType::CreditCard,
                "aba_checksum_fail" => PhiType::UsBankRouting,
                _ => continue,
            };
            let raw = percent_decode(&doc.text[n.start..n.end]);
            checked += 1;
            if validate(ty, &raw) != Some(false) {
                bad.push(format!("{} near miss accepted ({})", ty.name(), n.kind));
            }
        }
    }
    assert!(checked > 1000, "only {checked} checked");
    bad.truncate(20);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The matching itself: a finding on its label is a true positive, one of
/// another type or on a negative is a false positive, a label with no
/// finding is a false negative.
#[test]
fn matching_counts_true_and_false_positives_and_misses() {
    let doc = generate(SEED, 1).docs.into_iter().next().unwrap();
    let (a, b) = (doc.labels[0], doc.labels[1]);
    let neg = doc.negatives[0];
    let found = |start: usize, end: usize, ty: PhiType| Found {
        start,
        end,
        line: 1,
        ty,
        score: 1.0,
        key: None,
    };
    let other = if a.ty == PhiType::UsSsn {
        PhiType::ZipCode
    } else {
        PhiType::UsSsn
    };
    let findings = [
        found(a.start + 1, a.end, a.ty),
        found(b.start, b.end, other),
        found(neg.start, neg.end, PhiType::UsNpi),
    ];
    let mut eval = Eval {
        per_type: BTreeMap::new(),
        fp_kinds: BTreeMap::new(),
        negatives: BTreeMap::new(),
        examples: Vec::new(),
        bytes: 0,
        secs: 0.0,
    };
    score_doc(&doc, &findings, &mut eval);
    let ca = eval.per_type[&a.ty];
    assert_eq!((ca.tp_found, ca.tp_labels), (1, 1));
    assert_eq!(eval.per_type[&b.ty].tp_labels, 0, "wrong type is a miss");
    assert_eq!(eval.fp_kinds[&(PhiType::UsNpi, neg.kind)], 1);
    assert_eq!(eval.negatives[neg.kind].1, 1);
    let total_labels: usize = eval.per_type.values().map(|c| c.labels).sum();
    assert_eq!(total_labels, doc.labels.len());
}
