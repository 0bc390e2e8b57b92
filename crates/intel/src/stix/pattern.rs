//! The STIX 2.1 patterning language's syntax tree (STIX 2.1 part 9).

use std::fmt;

use phiwatch_event::Timestamp;

/// A parsed STIX pattern: one observation expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The top observation expression.
    pub expr: ObsExpr,
}

/// An observation expression: `[ … ]` observations joined by AND, OR and
/// FOLLOWEDBY, with qualifiers. Chains of one operator are flat (a list),
/// so the tree is only as deep as the pattern's parentheses.
#[derive(Clone, Debug, PartialEq)]
pub enum ObsExpr {
    /// `[ comparison expression ]`: one observation.
    Observation(CompExpr),
    /// `a AND b AND …`: all observed (in any events). Two or more.
    And(Vec<ObsExpr>),
    /// `a OR b OR …`. Two or more.
    Or(Vec<ObsExpr>),
    /// `a FOLLOWEDBY b …`: each observed after the one before. Two or more.
    FollowedBy(Vec<ObsExpr>),
    /// An expression with its qualifiers (`WITHIN 10 SECONDS`), in order.
    Qualified(Box<ObsExpr>, Vec<Qualifier>),
}

/// An observation expression's qualifier.
#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(f64),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'…' STOP t'…'`.
    StartStop(Timestamp, Timestamp),
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(s) => write!(f, "WITHIN {s} SECONDS"),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => {
                write!(f, "START t'{}' STOP t'{}'", a.to_rfc3339(), b.to_rfc3339())
            }
        }
    }
}

/// A comparison expression: comparisons joined by AND and OR.
#[derive(Clone, Debug, PartialEq)]
pub enum CompExpr {
    /// One comparison.
    Test(Comparison),
    /// All hold (on one observation). Two or more.
    And(Vec<CompExpr>),
    /// Any holds. Two or more.
    Or(Vec<CompExpr>),
}

/// One comparison: `object-path [NOT] operator constant`, or
/// `[NOT] EXISTS object-path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The property compared.
    pub path: ObjectPath,
    /// `NOT` before the operator.
    pub negated: bool,
    /// The operator.
    pub op: Op,
    /// The constant (None for `EXISTS`).
    pub value: Option<Constant>,
}

/// An object path: `file:hashes.'SHA-256'`, `email-message:to_refs[*].value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath {
    /// The object type (`file`, `ipv4-addr`).
    pub object_type: String,
    /// The property steps after the colon (at least one).
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// A property or dictionary key (`hashes`, `SHA-256`).
    Key(String),
    /// A list index (`[0]`), or any item (`[*]`) when None.
    Index(Option<u64>),
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_identifier(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "'{}'", k.replace('\\', "\\\\").replace('\'', "\\'"))?;
                    }
                }
                PathStep::Index(Some(n)) => write!(f, "[{n}]")?,
                PathStep::Index(None) => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `IN (…)`
    In,
    /// `LIKE`
    Like,
    /// `MATCHES` (a regular expression)
    Matches,
    /// `ISSUBSET` (an address inside a network)
    IsSubset,
    /// `ISSUPERSET`
    IsSuperset,
    /// `EXISTS`
    Exists,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Neq => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::In => "IN",
            Op::Like => "LIKE",
            Op::Matches => "MATCHES",
            Op::IsSubset => "ISSUBSET",
            Op::IsSuperset => "ISSUPERSET",
            Op::Exists => "EXISTS",
        })
    }
}

/// A constant in a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    /// `'text'` (escapes resolved).
    Str(String),
    /// `42`
    Int(i64),
    /// `4.2`
    Float(f64),
    /// `true` / `false`
    Bool(bool),
    /// `t'2020-01-01T00:00:00Z'`
    Timestamp(Timestamp),
    /// `h'ff00'`: the hex digits.
    Hex(String),
    /// `b'AAE='`: the base64 text.
    Binary(String),
    /// `('a', 'b')` (for `IN`).
    Set(Vec<Constant>),
}
