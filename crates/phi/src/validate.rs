//! Validators: the structural and checksum rules of each identifier.

use crate::types::PhiType;

/// Whether `candidate` (the matched text, separators included) satisfies the
/// rules of `ty`: `Some(true)` valid, `Some(false)` invalid (wrong checksum,
/// reserved range, impossible date, …), `None` when the type has no rules to
/// check (names, addresses, …).
pub fn validate(ty: PhiType, candidate: &str) -> Option<bool> {
    let _ = (ty, candidate);
    None
}
