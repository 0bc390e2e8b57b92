//! The HIPAA facts a scope supplies.

use phiwatch_event::Timestamp;
use phiwatch_hipaa::Facts;
use phiwatch_scope::Scope;

use crate::text;

/// The facts of an incident, with what the scope knows filled in.
///
/// `base` holds what only the organization knows (covered entity, role,
/// discovery date, encryption, a documented assessment, a law-enforcement
/// delay, deceased without next-of-kin contact). From the scope:
/// - always: `individuals`, `by_state`, `deceased`, `without_contact`;
/// - `categories`: the scope's, then any more that `base` names;
/// - `breach_start`/`breach_end` when `base` has none: the days of the
///   first and last access or egress in scope (the window when there is
///   none);
/// - `evidence`: each field `base` leaves empty (silos, actors, bytes out,
///   destinations, exfiltration seen, records read, a one-sentence
///   summary without PHI).
pub fn facts_from_scope(scope: &Scope, base: Facts) -> Facts {
    let mut f = base;
    let ind = &scope.individuals;
    f.individuals = ind.total;
    f.by_state = ind.by_state.clone();
    f.deceased = ind.deceased;
    f.without_contact = ind.without_contact;
    let mut categories = scope.categories.clone();
    for c in &f.categories {
        if !categories.contains(c) {
            categories.push(c.clone());
        }
    }
    f.categories = categories;
    let (first, last) = activity_span(scope);
    if f.breach_start.is_none() {
        f.breach_start = text::date_of(first);
    }
    if f.breach_end.is_none() {
        f.breach_end = text::date_of(last);
    }
    fill_evidence(&mut f, scope, first, last);
    f
}

/// First and last access or egress in scope; the window when none.
pub fn activity_span(scope: &Scope) -> (Timestamp, Timestamp) {
    let silo_times = scope.silos.iter().flat_map(|s| [s.first, s.last]);
    let dest_times = scope
        .exfiltration
        .destinations
        .iter()
        .flat_map(|d| [d.first, d.last]);
    let times: Vec<Timestamp> = silo_times.chain(dest_times).flatten().collect();
    let first = times.iter().min().copied().unwrap_or(scope.window.from);
    let last = times.iter().max().copied().unwrap_or(scope.window.to);
    (first, last)
}

fn fill_evidence(f: &mut Facts, scope: &Scope, first: Timestamp, last: Timestamp) {
    let e = &mut f.evidence;
    if e.silos.is_empty() {
        e.silos = scope.silos.iter().map(|s| s.name.clone()).collect();
    }
    if e.actors.is_empty() {
        e.actors = scope.actors.clone();
    }
    if e.bytes_out == 0 {
        e.bytes_out = scope.exfiltration.bytes;
    }
    if e.destinations.is_empty() {
        e.destinations = scope
            .exfiltration
            .destinations
            .iter()
            .map(|d| d.address.clone())
            .collect();
    }
    e.exfiltration_seen |= scope.exfiltration.bytes > 0;
    if e.records_viewed == 0 {
        e.records_viewed = scope.silos.iter().map(|s| s.records_accessed).sum();
    }
    if e.summary.is_none() {
        e.summary = Some(summary_sentence(scope, first, last));
    }
}

/// One sentence: who, how many silos, when, how many individuals, bytes
/// out. Names only silos, actors and counts: no PHI.
pub(crate) fn summary_sentence(scope: &Scope, first: Timestamp, last: Timestamp) -> String {
    let who = if scope.actors.is_empty() {
        "All actors".to_string()
    } else {
        format!("The actor(s) {}", text::join_words(&scope.actors))
    };
    let silos: Vec<&str> = scope.silos.iter().map(|s| s.name.as_str()).collect();
    let bulk = scope.silos.iter().filter(|s| s.bulk).count();
    let mut s = format!(
        "{who} accessed {} data silo(s) ({}) between {} and {}",
        silos.len(),
        if silos.is_empty() {
            "none".to_string()
        } else {
            silos.join(", ")
        },
        text::time(first),
        text::time(last),
    );
    if bulk > 0 {
        s.push_str(&format!(", {bulk} of them by bulk reads"));
    }
    s.push_str(&format!(
        "; {} individuals are affected",
        text::count(scope.individuals.total)
    ));
    let ex = &scope.exfiltration;
    if ex.bytes > 0 {
        s.push_str(&format!(
            "; {} ({} bytes) left the organization to {} external destination(s)",
            text::bytes(ex.bytes),
            text::count(ex.bytes),
            ex.destinations.len()
        ));
    } else {
        s.push_str("; no transfer out of the organization was seen in the logs");
    }
    s.push('.');
    s
}
