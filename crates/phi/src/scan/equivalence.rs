//! The anchored search at [`super::starts`]'s positions finds exactly what
//! one leftmost-first pass of every shape pattern (with its boundaries in
//! the pattern) finds: on the labeled corpus, the log corpus, and random
//! text built from the pieces identifiers and logs are made of.

use std::sync::LazyLock;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::Input;

use super::shapes::{self, Shape};
use super::Automata;
use crate::corpus;

/// The single pass: one meta regex over every pattern with its boundaries.
struct Reference {
    regex: Regex,
    shapes: Vec<Shape>,
}

impl Reference {
    fn new() -> Reference {
        let (shapes, pats): (Vec<Shape>, Vec<String>) = shapes::patterns()
            .into_iter()
            .map(|(s, p)| (s, shapes::with_boundary(s, &p)))
            .unzip();
        let regex = Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(&pats)
            .expect("the patterns compile");
        Reference { regex, shapes }
    }

    fn matches(&self, text: &[u8]) -> Vec<(usize, usize, Shape)> {
        let mut out = Vec::new();
        let mut caps = self.regex.create_captures();
        let mut at = 0;
        loop {
            self.regex
                .search_captures(&Input::new(text).range(at..), &mut caps);
            let Some(m) = caps.get_match() else {
                break;
            };
            let shape = self.shapes[m.pattern().as_usize()];
            let Some(g) = caps.get_group(1) else {
                break;
            };
            let e = shapes::trim_end(text, shape, g.start, g.end);
            out.push((g.start, e, shape));
            at = e;
        }
        out
    }
}

fn anchored(a: &Automata, text: &[u8]) -> Vec<(usize, usize, Shape)> {
    let mut out = Vec::new();
    a.matches(text, |s, e, shape| out.push((s, e, shape)));
    out
}

static AUTOMATA: LazyLock<Automata> = LazyLock::new(|| Automata::new(u32::MAX).expect("shapes"));
static REFERENCE: LazyLock<Reference> = LazyLock::new(Reference::new);

#[test]
fn same_matches_on_the_corpora() {
    let (a, r) = (&*AUTOMATA, &*REFERENCE);
    let mut docs = corpus::generate(7, 3).docs;
    docs.extend(corpus::generate_logs(11, 3000).docs);
    let mut total = 0;
    for d in &docs {
        let want = r.matches(d.text.as_bytes());
        assert_eq!(anchored(a, d.text.as_bytes()), want, "{}", d.name);
        total += want.len();
    }
    assert!(total > 10_000, "{total} matches");
}

/// Pieces random text is built from: separators, identifier fragments, log
/// fragments, words that start shapes.
const PIECES: &[&str] = &[
    " ", " ", "-", ".", "/", "//", ":", "::", ",", "\"", "(", ")", "+", "@", "_", "=", "&", "?",
    "\n", "T", "é", "1", "12", "123", "1234", "12345", "536", "22", "8741", "2026", "0", "555",
    "4111", "10", "255", "9", "fe80", "abcd", "db8", "Jan", "Sept.", "May", "Main", "Street", "St",
    "Ave", "Apt", "N", "Patient", "name", "Mr", "Dr.", "John", "Smith", "MRN", "AB", "F32", "A",
    "x", "Chrome", "ex.com", "john.doe", "1EG4", "TE5", "MK73",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    #[test]
    fn same_matches_on_random_text(
        picks in proptest::collection::vec(0..PIECES.len(), 0..40),
    ) {
        let text: String = picks.iter().map(|i| PIECES[*i]).collect();
        let (a, r) = (&*AUTOMATA, &*REFERENCE);
        proptest::prop_assert_eq!(
            anchored(a, text.as_bytes()),
            r.matches(text.as_bytes()),
            "{:?}", text
        );
    }
}
