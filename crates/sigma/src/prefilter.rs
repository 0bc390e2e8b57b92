//! The literal prefilter: Aho-Corasick automata over the needles of a
//! route's rules, scanned over the values of the fields that have needles.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use phiwatch_event::{Event, ValueRef};

use crate::fields::push_text;

/// An automaton and the route-wide ids of its patterns.
#[derive(Debug)]
pub(crate) struct Scanner {
    ac: AhoCorasick,
    ids: Vec<u32>,
}

impl Scanner {
    pub(crate) fn build(patterns: &[&[u8]], ids: Vec<u32>) -> Option<Scanner> {
        let build = |kind| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(patterns)
        };
        let ac = build(Some(AhoCorasickKind::DFA))
            .or_else(|_| build(None))
            .ok()?;
        Some(Scanner { ac, ids })
    }
}

/// Patterns found in the current event, and the rules they trigger.
pub(crate) struct Found<'a> {
    pub(crate) seen: &'a mut [u32],
    pub(crate) stamp: &'a mut [u32],
    pub(crate) triggered: &'a mut Vec<u32>,
    pub(crate) generation: u32,
    pub(crate) by_pattern: &'a [Vec<u32>],
}

impl Found<'_> {
    pub(crate) fn scan(&mut self, sc: &Scanner, text: &str) {
        for m in sc.ac.find_overlapping_iter(text) {
            let p = sc.ids[m.pattern().as_usize()] as usize;
            if self.seen[p] == self.generation {
                continue;
            }
            self.seen[p] = self.generation;
            for &r in &self.by_pattern[p] {
                let s = &mut self.stamp[r as usize];
                if *s != self.generation {
                    *s = self.generation;
                    self.triggered.push(r);
                }
            }
        }
    }
}

/// Scans one field value (each item of a list; non-strings as text).
pub(crate) fn scan_value(
    sc: &Scanner,
    v: ValueRef<'_>,
    scratch: &mut String,
    found: &mut Found<'_>,
) {
    match v {
        ValueRef::Null => {}
        ValueRef::Str(s) => found.scan(sc, s),
        ValueRef::List(l) => l
            .iter()
            .for_each(|item| scan_value(sc, item, scratch, found)),
        other => {
            scratch.clear();
            push_text(other, scratch);
            found.scan(sc, scratch);
        }
    }
}

/// The text the prefilter scans: the event's string storage (every string
/// value), and the textual form of its other values.
pub(crate) fn event_text(ev: &Event, out: &mut String) {
    out.push_str(ev.text_buffer());
    for f in ev.fields() {
        match f.value {
            ValueRef::Str(_) | ValueRef::Null => {}
            ValueRef::List(l) => {
                for item in l.iter() {
                    if !matches!(item, ValueRef::Str(_)) {
                        out.push('\n');
                        push_text(item, out);
                    }
                }
            }
            v => {
                out.push('\n');
                push_text(v, out);
            }
        }
    }
}
