//! Value matchers: one Sigma detection item (a field's modifiers and values)
//! compiled into a test of one field value.
//!
//! The plan ([`crate::plan`]) finds the field's value in the event and asks
//! the matcher; the matcher knows every modifier of the specification.
//!
//! # Semantics (where the specification leaves room)
//!
//! - Strings match case-insensitively unless `cased` (ASCII by ASCII rules,
//!   other letters by their simple lowercase; a non-ASCII character never
//!   equals an ASCII one). `*` and `?` are wildcards (`?` is one character)
//!   and match across newlines.
//! - A non-string event value is matched as text by string values (its
//!   `Display` form; times in RFC 3339), and numerically by numeric values
//!   (`EventID: 4688` matches `Int(4688)`, `"4688"` and `4688.0`; numeric
//!   text may also be `0x` hexadecimal). Booleans match `Bool` and the
//!   text `true`/`false` in any case.
//! - A list value matches when one of its items does; with `all`, each value
//!   may be matched by a different item (as rsigma-eval does).
//! - `null` matches an absent field or a `Null` value (our model's "unset",
//!   e.g. Zeek's `-`), not the empty string (the specification keeps `''`
//!   and `null` apart).
//! - `exists: true` holds for a present, non-null value (`Null` is "unset"
//!   in our model).
//! - `neq` holds for a present, non-null value equal to none of the values;
//!   an absent field does not match.
//! - `windash` follows pySigma: a `-` or `/` that starts a word may be any
//!   of `-`, `/`, `–`, `—`, `―`.
//! - `base64offset` implies `contains` when no string operator is given.
//! - `minute`…`year` read the field as a time (a time value, text
//!   `Timestamp::parse_any` reads, or epoch seconds) in UTC, `week` being
//!   the ISO week; when the field is absent they read the event time.
//! - `cidr` ignores host bits (`10.0.0.1/8` is `10.0.0.0/8`).

mod needles;
mod pattern;
mod scalar;

pub(crate) use scalar::with_text;
#[cfg(test)]
mod tests;
mod text;

use phiwatch_event::{Timestamp, ValueRef};
use rsigma_parser::{Modifier, SigmaString, SigmaValue};

use pattern::{shape, Pat, Shape};
use scalar::{Cmp, Net, TimePart};
use text::{Anchor, Glob, LitSet};

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
    body: Body,
    /// `neq`: the item holds when the values do not.
    negate: bool,
    /// Time-part modifiers read the event time when the field is absent.
    event_time: bool,
    needles: Option<Vec<Vec<u8>>>,
}

#[derive(Debug)]
enum Body {
    Exists(bool),
    /// The values OR-ed.
    Any(Group),
    /// The values AND-ed (`all`), each an OR of its variants.
    All(Vec<Group>),
}

/// Alternatives OR-ed: literal sets, other tests, and whether null matches.
#[derive(Debug, Default)]
struct Group {
    lits: Vec<LitSet>,
    tests: Vec<Test>,
    null_ok: bool,
    /// Whether any test reads the value's text.
    texty: bool,
}

/// One test of a scalar value.
#[derive(Debug)]
enum Test {
    Glob(Glob),
    Regex(regex::Regex),
    Int(i64),
    Num(Cmp, f64),
    Bool(bool),
    Cidr(Net),
    FieldRef {
        field: FieldId,
        anchor: Anchor,
        ci: bool,
    },
    Time {
        part: TimePart,
        cmp: Cmp,
        n: f64,
    },
}

impl Test {
    fn is_text(&self) -> bool {
        matches!(self, Test::Glob(_) | Test::Regex(_))
    }
}

/// One value's compiled alternative, before grouping.
enum Alt {
    Pat(Pat),
    Test(Test),
    /// The regex source with its flags, kept for needle extraction.
    Regex(regex::Regex, String),
    Null,
}

impl ValueMatcher {
    /// Compiles `values` under `modifiers` (in rule order).
    pub fn compile(
        modifiers: &[Modifier],
        values: &[SigmaValue],
        cx: &mut CompileContext<'_>,
    ) -> Result<ValueMatcher, MatcherError> {
        compile_item(modifiers, values, cx, false)
    }

    /// Compiles a keyword detection (values without a field): strings match
    /// anywhere in a value (`contains`) unless the modifiers name another
    /// operator, and numbers and booleans match as text. Call
    /// [`ValueMatcher::matches`] on each string value of the event, or
    /// [`ValueMatcher::matches_texts`] with all of them (needed for `all`,
    /// whose values may sit in different fields).
    pub fn compile_keywords(
        modifiers: &[Modifier],
        values: &[SigmaValue],
        cx: &mut CompileContext<'_>,
    ) -> Result<ValueMatcher, MatcherError> {
        compile_item(modifiers, values, cx, true)
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
        let value = match value {
            None if self.event_time => Some(ValueRef::Time(time)),
            v => v,
        };
        let present = value.filter(|v| !v.is_null());
        match &self.body {
            Body::Exists(want) => present.is_some() == *want,
            _ if self.negate => present.is_some_and(|v| !self.holds(v, fields)),
            _ => match value {
                Some(v) => self.holds(v, fields),
                None => self.null_ok(),
            },
        }
    }

    /// Whether the item holds for a set of texts standing for one value
    /// (keywords over all of an event's strings): like a list value, each
    /// value of `all` may be matched by a different text.
    pub fn matches_texts(&self, texts: &[&str]) -> bool {
        let any = |g: &Group| texts.iter().any(|s| g.scalar(ValueRef::Str(s), &NoFields));
        let hit = match &self.body {
            Body::Exists(want) => return *want != texts.is_empty(),
            Body::Any(g) => any(g),
            Body::All(gs) => gs.iter().all(any),
        };
        hit != self.negate
    }

    /// Literal needles for the prefilter: lowercase byte strings such that
    /// every value this matcher accepts contains at least one of them
    /// (compared ASCII-case-insensitively) in its text form (the `Display`
    /// of [`ValueRef`], times in RFC 3339, lists item by item). `None` when
    /// no such set exists (`exists`, null, numeric comparisons, `fieldref`,
    /// a regex without a required literal, needles shorter than 3 bytes or
    /// that could be the text of a number, address, time or boolean, …);
    /// an empty set when the item can never match (an unknown placeholder).
    pub fn needles(&self) -> Option<Vec<Vec<u8>>> {
        self.needles.clone()
    }

    fn holds<'e>(&self, v: ValueRef<'e>, fields: &dyn Fields<'e>) -> bool {
        match &self.body {
            Body::Exists(_) => !v.is_null(),
            Body::Any(g) => g.matches(v, fields),
            Body::All(gs) => gs.iter().all(|g| g.matches(v, fields)),
        }
    }

    fn null_ok(&self) -> bool {
        match &self.body {
            Body::Exists(want) => !want,
            Body::Any(g) => g.null_ok,
            Body::All(gs) => gs.iter().all(|g| g.null_ok),
        }
    }
}

/// No other fields (keyword matching).
struct NoFields;

impl<'e> Fields<'e> for NoFields {
    fn get(&self, _: FieldId) -> Option<ValueRef<'e>> {
        None
    }
}

impl Group {
    fn build(alts: Vec<Alt>) -> Result<Group, MatcherError> {
        let mut g = Group::default();
        let mut globs: Vec<Glob> = Vec::new();
        let mut lits: [Vec<(Vec<u8>, Anchor)>; 2] = [Vec::new(), Vec::new()];
        for alt in alts {
            match alt {
                Alt::Null => g.null_ok = true,
                Alt::Test(t) => g.tests.push(t),
                Alt::Regex(re, _) => g.tests.push(Test::Regex(re)),
                Alt::Pat(p) => match shape(&p) {
                    Shape::Lit { bytes, anchor, ci } => lits[usize::from(ci)].push((bytes, anchor)),
                    Shape::Glob(glob) => globs.push(glob),
                },
            }
        }
        match combined(&globs) {
            Some(re) => g.tests.push(Test::Regex(re)),
            None => g.tests.extend(globs.into_iter().map(Test::Glob)),
        }
        for (ci, set) in lits.iter().enumerate() {
            if !set.is_empty() {
                g.lits
                    .push(LitSet::new(ci == 1, set).map_err(MatcherError)?);
            }
        }
        // Cheap value tests first, then text tests.
        g.tests.sort_by_key(Test::is_text);
        g.texty = !g.lits.is_empty() || g.tests.iter().any(Test::is_text);
        Ok(g)
    }

    fn matches<'e>(&self, v: ValueRef<'e>, fields: &dyn Fields<'e>) -> bool {
        match v {
            ValueRef::List(l) => l.iter().any(|item| self.scalar(item, fields)),
            v => self.scalar(v, fields),
        }
    }

    fn scalar<'e>(&self, v: ValueRef<'e>, fields: &dyn Fields<'e>) -> bool {
        if v.is_null() {
            return self.null_ok;
        }
        for t in &self.tests {
            let hit = match t {
                Test::Glob(_) | Test::Regex(_) => break,
                Test::Int(n) => scalar::int_eq(v, *n),
                Test::Num(cmp, n) => scalar::num_of(v).is_some_and(|x| cmp.holds(x, *n)),
                Test::Bool(b) => scalar::bool_eq(v, *b),
                Test::Cidr(net) => v.as_ip().is_some_and(|ip| net.contains(ip)),
                Test::Time { part, cmp, n } => scalar::time_of(v)
                    .is_some_and(|t| cmp.holds(scalar::time_part(t, *part) as f64, *n)),
                Test::FieldRef { field, anchor, ci } => {
                    fieldref(v, fields.get(*field), *anchor, *ci)
                }
            };
            if hit {
                return true;
            }
        }
        if !self.texty {
            return false;
        }
        scalar::with_text(v, |s| {
            self.lits.iter().any(|l| l.matches(s.as_bytes()))
                || self.tests.iter().any(|t| match t {
                    Test::Glob(g) => g.matches(s),
                    Test::Regex(re) => re.is_match(s),
                    _ => false,
                })
        })
        .unwrap_or(false)
    }
}

/// The globs of one item as one regex (`None` when there are none, or the
/// regex would be too large: then each glob is tried in turn).
fn combined(globs: &[Glob]) -> Option<regex::Regex> {
    if globs.is_empty() {
        return None;
    }
    let source: Vec<String> = globs.iter().map(Glob::regex_source).collect();
    regex::RegexBuilder::new(&source.join("|"))
        .unicode(true)
        .size_limit(16 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .ok()
}

/// `fieldref`: this value against the other field's value, as text.
fn fieldref(v: ValueRef<'_>, other: Option<ValueRef<'_>>, anchor: Anchor, ci: bool) -> bool {
    let Some(other) = other else { return false };
    let one = |o: ValueRef<'_>| {
        scalar::with_text(v, |a| {
            scalar::with_text(o, |b| text::compare_runtime(a, b, anchor, ci)).unwrap_or(false)
        })
        .unwrap_or(false)
    };
    match other {
        ValueRef::List(l) => l.iter().any(one),
        o => one(o),
    }
}

/// The modifiers of one item, checked for conflicts.
#[derive(Default)]
struct Mods {
    anchor: Option<Anchor>,
    all: bool,
    cased: bool,
    neq: bool,
    exists: bool,
    fieldref: bool,
    re: bool,
    re_flags: String,
    cidr: bool,
    cmp: Option<Cmp>,
    time: Option<TimePart>,
    /// Value transformations, in rule order.
    transforms: Vec<Modifier>,
    /// Keyword item: numbers and booleans are text.
    keywords: bool,
}

fn compile_item(
    modifiers: &[Modifier],
    values: &[SigmaValue],
    cx: &mut CompileContext<'_>,
    keywords: bool,
) -> Result<ValueMatcher, MatcherError> {
    let m = Mods::parse(modifiers, keywords)?;
    if m.exists {
        return exists(values);
    }
    if values.is_empty() {
        return Err(MatcherError("the item has no values".into()));
    }
    let mut per_value = Vec::with_capacity(values.len());
    for v in values {
        per_value.push(compile_value(v, &m, cx)?);
    }
    let (body, needles) = if m.all && per_value.len() > 1 {
        let needles = needles::best(per_value.iter().map(|alts| needles::of(alts)));
        let groups = per_value
            .into_iter()
            .map(Group::build)
            .collect::<Result<_, _>>()?;
        (Body::All(groups), needles)
    } else {
        let alts: Vec<Alt> = per_value.into_iter().flatten().collect();
        let needles = needles::of(&alts);
        (Body::Any(Group::build(alts)?), needles)
    };
    Ok(ValueMatcher {
        body,
        negate: m.neq,
        event_time: m.time.is_some(),
        needles: if m.neq { None } else { needles },
    })
}

fn exists(values: &[SigmaValue]) -> Result<ValueMatcher, MatcherError> {
    let want = match values {
        [SigmaValue::Bool(b)] => *b,
        [SigmaValue::String(s)] if s.original.eq_ignore_ascii_case("true") => true,
        [SigmaValue::String(s)] if s.original.eq_ignore_ascii_case("false") => false,
        _ => {
            return Err(MatcherError(
                "exists: the value must be a single true or false".into(),
            ))
        }
    };
    Ok(ValueMatcher {
        body: Body::Exists(want),
        negate: false,
        event_time: false,
        needles: None,
    })
}

impl Mods {
    fn parse(modifiers: &[Modifier], keywords: bool) -> Result<Mods, MatcherError> {
        let mut m = Mods {
            keywords,
            ..Mods::default()
        };
        let mut ops: Vec<&'static str> = Vec::new();
        let mut string_op = false;
        for (i, md) in modifiers.iter().enumerate() {
            if let Some(anchor) = anchor_of(*md) {
                if m.anchor.replace(anchor).is_some() {
                    return Err(MatcherError(
                        "only one of contains, startswith and endswith may apply".into(),
                    ));
                }
                // After `fieldref` it says how the two fields compare.
                if !modifiers[..i].contains(&Modifier::FieldRef) {
                    if modifiers[i..].contains(&Modifier::FieldRef) {
                        let name = modifier_name(*md);
                        return Err(MatcherError(format!("{name}: must follow fieldref")));
                    }
                    string_op = true;
                }
            } else if let Some(cmp) = cmp_of(*md) {
                if m.cmp.replace(cmp).is_some() {
                    return Err(MatcherError(
                        "only one of gt, gte, lt, lte may apply".into(),
                    ));
                }
            } else if let Some(part) = time_part_of(*md) {
                if m.time.replace(part).is_some() {
                    return Err(MatcherError("only one time part may apply".into()));
                }
            } else {
                m.flag(*md, &mut ops);
            }
        }
        if m.cmp.is_some() && m.time.is_none() {
            ops.push("gt/gte/lt/lte");
        }
        if m.time.is_some() {
            ops.push("a time part");
        }
        if string_op {
            ops.push("contains/startswith/endswith");
        }
        m.check(&ops)?;
        Ok(m)
    }

    /// Records a modifier that is neither a string operator, a comparison
    /// nor a time part.
    fn flag(&mut self, md: Modifier, ops: &mut Vec<&'static str>) {
        match md {
            Modifier::All => self.all = true,
            Modifier::Cased => self.cased = true,
            Modifier::Neq => self.neq = true,
            Modifier::Exists => {
                self.exists = true;
                ops.push("exists");
            }
            Modifier::FieldRef => {
                self.fieldref = true;
                ops.push("fieldref");
            }
            Modifier::Re => {
                self.re = true;
                ops.push("re");
            }
            Modifier::Cidr => {
                self.cidr = true;
                ops.push("cidr");
            }
            Modifier::IgnoreCase => self.re_flags.push('i'),
            Modifier::Multiline => self.re_flags.push('m'),
            Modifier::DotAll => self.re_flags.push('s'),
            other => self.transforms.push(other),
        }
    }

    fn check(&self, ops: &[&str]) -> Result<(), MatcherError> {
        if ops.len() > 1 {
            return Err(MatcherError(format!(
                "conflicting modifiers: {} cannot be combined",
                ops.join(" and ")
            )));
        }
        let count = |ms: &[Modifier]| self.transforms.iter().filter(|t| ms.contains(t)).count();
        if count(&[Modifier::Wide, Modifier::Utf16be, Modifier::Utf16]) > 1 {
            return Err(MatcherError("only one UTF-16 encoding may apply".into()));
        }
        if count(&[Modifier::Base64, Modifier::Base64Offset]) > 1 {
            return Err(MatcherError("base64 and base64offset are exclusive".into()));
        }
        if let (Some(op), Some(t)) = (ops.first(), self.transforms.first()) {
            if *op != "contains/startswith/endswith" {
                return Err(MatcherError(format!(
                    "{} transforms strings and cannot be combined with {op}",
                    modifier_name(*t)
                )));
            }
        }
        if !self.re && !self.re_flags.is_empty() {
            return Err(MatcherError(format!(
                "the regex flags {} need re",
                self.re_flags
            )));
        }
        if self.neq && self.exists {
            return Err(MatcherError("neq cannot be combined with exists".into()));
        }
        Ok(())
    }

    /// Whether numbers and booleans are matched as text.
    fn stringy(&self) -> bool {
        self.keywords || self.anchor.is_some() || !self.transforms.is_empty()
    }
}

fn anchor_of(m: Modifier) -> Option<Anchor> {
    match m {
        Modifier::Contains => Some(Anchor::Contains),
        Modifier::StartsWith => Some(Anchor::Prefix),
        Modifier::EndsWith => Some(Anchor::Suffix),
        _ => None,
    }
}

fn cmp_of(m: Modifier) -> Option<Cmp> {
    match m {
        Modifier::Gt => Some(Cmp::Gt),
        Modifier::Gte => Some(Cmp::Gte),
        Modifier::Lt => Some(Cmp::Lt),
        Modifier::Lte => Some(Cmp::Lte),
        _ => None,
    }
}

fn time_part_of(m: Modifier) -> Option<TimePart> {
    match m {
        Modifier::Minute => Some(TimePart::Minute),
        Modifier::Hour => Some(TimePart::Hour),
        Modifier::Day => Some(TimePart::Day),
        Modifier::Week => Some(TimePart::Week),
        Modifier::Month => Some(TimePart::Month),
        Modifier::Year => Some(TimePart::Year),
        _ => None,
    }
}

fn modifier_name(m: Modifier) -> String {
    format!("{m:?}").to_lowercase()
}

/// A plain value's text (for regexes, networks, field names, numbers).
fn value_text(v: &SigmaValue) -> Option<String> {
    match v {
        SigmaValue::String(s) => Some(s.original.clone()),
        SigmaValue::Integer(i) => Some(i.to_string()),
        SigmaValue::Float(f) => Some(f.to_string()),
        SigmaValue::Bool(b) => Some(b.to_string()),
        SigmaValue::Null => None,
    }
}

fn value_num(v: &SigmaValue, what: &str) -> Result<f64, MatcherError> {
    match v {
        SigmaValue::Integer(i) => Ok(*i as f64),
        SigmaValue::Float(f) => Ok(*f),
        SigmaValue::String(s) => scalar::parse_num(s.original.trim())
            .ok_or_else(|| MatcherError(format!("{what}: '{}' is not a number", s.original))),
        other => Err(MatcherError(format!("{what}: '{other}' is not a number"))),
    }
}

fn compile_value(
    v: &SigmaValue,
    m: &Mods,
    cx: &mut CompileContext<'_>,
) -> Result<Vec<Alt>, MatcherError> {
    if matches!(v, SigmaValue::Null) {
        return Ok(vec![Alt::Null]);
    }
    if m.fieldref {
        let name = match v {
            SigmaValue::String(s) if s.contains_wildcards() => {
                return Err(MatcherError(format!(
                    "fieldref: '{}' is not a field name (wildcards)",
                    s.original
                )))
            }
            SigmaValue::String(s) => s.as_plain().unwrap_or_default(),
            other => other.to_string(),
        };
        let field = (cx.intern)(&name);
        let anchor = m.anchor.unwrap_or(Anchor::Exact);
        return Ok(vec![Alt::Test(Test::FieldRef {
            field,
            anchor,
            ci: !m.cased,
        })]);
    }
    if let Some(part) = m.time {
        let n = value_num(v, "time part")?;
        let cmp = m.cmp.unwrap_or(Cmp::Eq);
        return Ok(vec![Alt::Test(Test::Time { part, cmp, n })]);
    }
    if let Some(cmp) = m.cmp {
        return Ok(vec![Alt::Test(Test::Num(
            cmp,
            value_num(v, "gt/gte/lt/lte")?,
        ))]);
    }
    if m.re {
        let src = value_text(v).unwrap_or_default();
        let (re, flagged) = needles::build_regex(&src, &m.re_flags)?;
        return Ok(vec![Alt::Regex(re, flagged)]);
    }
    if m.cidr {
        let src = value_text(v).unwrap_or_default();
        return Ok(vec![Alt::Test(Test::Cidr(
            Net::parse(&src).map_err(MatcherError)?,
        ))]);
    }
    let s = match v {
        SigmaValue::Integer(i) if !m.stringy() => return Ok(vec![Alt::Test(Test::Int(*i))]),
        SigmaValue::Float(f) if !m.stringy() => return Ok(vec![Alt::Test(Test::Num(Cmp::Eq, *f))]),
        SigmaValue::Bool(b) if !m.stringy() => return Ok(vec![Alt::Test(Test::Bool(*b))]),
        SigmaValue::String(s) => s.clone(),
        other => SigmaString::new(&other.to_string()),
    };
    let anchor = match m.anchor {
        Some(a) => a,
        None if m.keywords || m.transforms.contains(&Modifier::Base64Offset) => Anchor::Contains,
        None => Anchor::Exact,
    };
    let pats = pattern::transform(&s, &m.transforms, cx)?;
    Ok(pats
        .into_iter()
        .map(|p| {
            let mut p = p.anchor(anchor);
            p.cased |= m.cased;
            Alt::Pat(p)
        })
        .collect())
}
