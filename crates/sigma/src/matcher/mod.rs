//! Value matchers: one Sigma detection item (a field's modifiers and values)
//! compiled into a test of one field value.
//!
//! The plan ([`crate::plan`]) finds the field's value in the event and asks
//! the matcher; the matcher knows every modifier of the specification.

use phiwatch_event::{Timestamp, ValueRef};
use rsigma_parser::{Modifier, SigmaValue};

/// An interned Sigma field name. The plan resolves it per log-source class
/// (field mappings are data), so matchers never see event field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// The fields of the event under evaluation, by Sigma field id (used by
/// `fieldref`, which compares two fields of one event).
pub trait Fields<'e> {
    /// The value of field `id`, if the event has it.
    fn get(&self, id: FieldId) -> Option<ValueRef<'e>>;
}

/// What a matcher needs at compile time.
pub struct CompileContext<'a> {
    /// Interns a Sigma field name (for `fieldref`).
    pub intern: &'a mut dyn FnMut(&str) -> FieldId,
    /// Values for `expand` placeholders (`%Admins%` → list), from configuration.
    pub placeholders: &'a dyn Fn(&str) -> Option<Vec<String>>,
    /// Non-fatal notes (an unknown placeholder, …), shown by `rules check`.
    pub warnings: &'a mut Vec<String>,
}

/// A detection item that cannot be compiled (bad regex, bad CIDR, a modifier
/// combination the specification does not allow, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MatcherError(pub String);

/// One compiled detection item: its modifiers applied to its values.
#[derive(Debug)]
pub struct ValueMatcher {
    _todo: (),
}

impl ValueMatcher {
    /// Compiles `values` under `modifiers` (in rule order).
    pub fn compile(
        modifiers: &[Modifier],
        values: &[SigmaValue],
        cx: &mut CompileContext<'_>,
    ) -> Result<ValueMatcher, MatcherError> {
        let _ = (modifiers, values, cx);
        Err(MatcherError("not implemented".into()))
    }

    /// Compiles a keyword (field-less) item: plain strings match anywhere in
    /// a value (substring, case-insensitive).
    pub fn compile_keywords(
        modifiers: &[Modifier],
        values: &[SigmaValue],
        cx: &mut CompileContext<'_>,
    ) -> Result<ValueMatcher, MatcherError> {
        Self::compile(modifiers, values, cx)
    }

    /// Whether the item holds for a field whose value is `value` (`None`:
    /// the event has no such field). A list value matches when one of its
    /// items does. `fields` serves `fieldref`; `time` is the event time.
    pub fn matches<'e>(
        &self,
        value: Option<ValueRef<'e>>,
        fields: &dyn Fields<'e>,
        time: Timestamp,
    ) -> bool {
        let _ = (value, fields, time);
        false
    }

    /// Literal needles for the prefilter: lowercase byte strings such that
    /// every value this matcher accepts contains at least one of them
    /// (compared ASCII-case-insensitively). `None` when no such set exists
    /// (`exists`, null, numeric comparisons, `fieldref`, a regex without a
    /// required literal, …).
    pub fn needles(&self) -> Option<Vec<Vec<u8>>> {
        None
    }
}
