//! The state-law table: per State, the individual deadline, the regulator
//! and its threshold and deadline, the consumer-reporting-agency notice,
//! HIPAA deemed compliance, extra deadlines and what to verify. Read from
//! TOML (the built-in `data/states.toml` or a file of the user's), with
//! every problem reported at once with its line.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::{Spanned, Table, Value};

/// The built-in table (`crates/hipaa/data/states.toml`).
pub const BUILTIN_STATES: &str = include_str!("../data/states.toml");

/// USPS codes of the States and jurisdictions the media rule (164.406)
/// speaks of: the 50 States, DC, and the territories.
pub const JURISDICTIONS: [&str; 56] = [
    "AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID",
    "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS", "MT", "NC", "ND",
    "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX",
    "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
];

/// Whether `code` is a USPS State or jurisdiction code (upper case).
pub fn is_jurisdiction(code: &str) -> bool {
    JURISDICTIONS.contains(&code)
}

/// What a deadline counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Discovery of the breach (the HIPAA clock start).
    Discovery,
    /// Determination that a breach occurred (computed from the discovery).
    Determination,
    /// The date individual notices are sent (latest allowed date).
    IndividualNotice,
    /// The date HHS is notified (latest allowed date).
    HhsNotice,
}

/// A deadline rule: a count of calendar or business days from an anchor,
/// or text only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// Calendar days.
    #[serde(default)]
    pub days: Option<u32>,
    /// Business days (Monday to Friday; holidays not skipped).
    #[serde(default)]
    pub business_days: Option<u32>,
    /// What it counts from.
    pub from: Anchor,
    /// The rule in words.
    pub text: String,
}

/// What a threshold counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The State's residents.
    #[default]
    Residents,
    /// All individuals notified.
    Total,
}

/// A count threshold: "more than N" or "at least N".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    /// Strictly more than `count` (else at least `count`).
    pub more_than: bool,
    /// The count.
    pub count: u64,
    /// What is counted.
    pub basis: Basis,
}

impl Threshold {
    /// Whether `n` meets the threshold.
    pub fn met(&self, n: u64) -> bool {
        if self.more_than {
            n > self.count
        } else {
            n >= self.count
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.more_than {
            "more than"
        } else {
            "at least"
        };
        let plural = if self.count == 1 { "" } else { "s" };
        let what = match self.basis {
            Basis::Residents => format!("resident{plural} of the State"),
            Basis::Total => format!("individual{plural} notified in total"),
        };
        write!(f, "{op} {} {what}", self.count)
    }
}

/// A regulator to notify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regulator {
    /// Who.
    pub name: String,
    /// When the notice is required.
    pub threshold: Threshold,
    /// By when.
    pub deadline: DeadlineRule,
}

/// Consumer-reporting-agency notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cra {
    /// When it is required.
    pub threshold: Threshold,
    /// What to do.
    pub text: String,
}

/// A further deadline of the State (a health-facility statute, a copy of
/// the HHS notice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherRule {
    /// What must be done.
    pub name: String,
    /// Its citation.
    pub citation: String,
    /// To whom it applies.
    pub applies_to: String,
    /// By when.
    pub deadline: DeadlineRule,
}

/// One State's law.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateLaw {
    /// USPS code.
    pub code: String,
    /// The State's name.
    pub name: String,
    /// The law's name.
    pub law: String,
    /// Its citation.
    pub citation: String,
    /// The individual-notice deadline.
    pub individual: DeadlineRule,
    /// The regulator, if the law names one.
    pub regulator: Option<Regulator>,
    /// Consumer-reporting-agency notice, if required above a threshold.
    pub cra: Option<Cra>,
    /// Whether and how HIPAA compliance counts as compliance.
    pub hipaa: Option<String>,
    /// Further deadlines.
    pub other: Vec<OtherRule>,
    /// Notes for the officer.
    pub notes: Vec<String>,
    /// Values to verify with counsel.
    pub verify: Vec<String>,
}

/// The table of State laws, by USPS code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateTable {
    laws: BTreeMap<String, StateLaw>,
}

/// One problem of a state-law file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableProblem {
    /// The file's name.
    pub file: String,
    /// Line, 1-based.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TableProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Every problem of a state-law file, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TableError(pub Vec<TableProblem>);

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    state: Vec<Spanned<Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    code: String,
    name: String,
    law: String,
    citation: String,
    individual: DeadlineRule,
    #[serde(default)]
    regulator: Option<RawRegulator>,
    #[serde(default)]
    cra: Option<RawCra>,
    #[serde(default)]
    hipaa: Option<String>,
    #[serde(default)]
    other: Vec<OtherRule>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    verify: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegulator {
    name: String,
    #[serde(default)]
    more_than: Option<u64>,
    #[serde(default)]
    at_least: Option<u64>,
    #[serde(default)]
    basis: Basis,
    deadline: DeadlineRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCra {
    #[serde(default)]
    more_than: Option<u64>,
    #[serde(default)]
    at_least: Option<u64>,
    #[serde(default)]
    basis: Basis,
    text: String,
}

fn threshold(
    more_than: Option<u64>,
    at_least: Option<u64>,
    basis: Basis,
) -> Result<Threshold, String> {
    match (more_than, at_least) {
        (Some(count), None) => Ok(Threshold {
            more_than: true,
            count,
            basis,
        }),
        (None, Some(count)) => Ok(Threshold {
            more_than: false,
            count,
            basis,
        }),
        _ => Err("give exactly one of more_than or at_least".to_string()),
    }
}

fn check_deadline(rule: &DeadlineRule, what: &str, errs: &mut Vec<String>) {
    if rule.days.is_some() && rule.business_days.is_some() {
        errs.push(format!("{what}: give days or business_days, not both"));
    }
    if rule.text.trim().is_empty() {
        errs.push(format!("{what}: the text is empty"));
    }
}

/// Converts one raw entry, collecting every semantic problem.
fn convert(raw: RawState) -> Result<StateLaw, Vec<String>> {
    let mut errs = Vec::new();
    if !is_jurisdiction(&raw.code) {
        errs.push(format!(
            "{:?} is not a USPS State or jurisdiction code",
            raw.code
        ));
    }
    check_deadline(&raw.individual, "individual", &mut errs);
    for (i, o) in raw.other.iter().enumerate() {
        check_deadline(&o.deadline, &format!("other[{i}].deadline"), &mut errs);
    }
    let regulator = raw.regulator.and_then(|r| {
        check_deadline(&r.deadline, "regulator.deadline", &mut errs);
        match threshold(r.more_than, r.at_least, r.basis) {
            Ok(t) => Some(Regulator {
                name: r.name,
                threshold: t,
                deadline: r.deadline,
            }),
            Err(e) => {
                errs.push(format!("regulator: {e}"));
                None
            }
        }
    });
    let cra = raw
        .cra
        .and_then(|c| match threshold(c.more_than, c.at_least, c.basis) {
            Ok(t) => Some(Cra {
                threshold: t,
                text: c.text,
            }),
            Err(e) => {
                errs.push(format!("cra: {e}"));
                None
            }
        });
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(StateLaw {
        code: raw.code,
        name: raw.name,
        law: raw.law,
        citation: raw.citation,
        individual: raw.individual,
        regulator,
        cra,
        hipaa: raw.hipaa,
        other: raw.other,
        notes: raw.notes,
        verify: raw.verify,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text
        .as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

impl StateTable {
    /// The built-in table.
    pub fn builtin() -> Result<StateTable, TableError> {
        StateTable::parse(BUILTIN_STATES, "states.toml")
    }

    /// Reads a table from TOML text; `file` names it in problems.
    pub fn parse(text: &str, file: &str) -> Result<StateTable, TableError> {
        let mut problems = Vec::new();
        let mut push = |line: usize, message: String| {
            problems.push(TableProblem {
                file: file.to_string(),
                line,
                message,
            })
        };
        let raw: RawFile = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                push(line, e.message().to_string());
                return Err(TableError(problems));
            }
        };
        let mut laws = BTreeMap::new();
        for entry in raw.state {
            let line = line_of(text, entry.span().start);
            let parsed = Value::Table(entry.into_inner()).try_into::<RawState>();
            match parsed
                .map_err(|e| vec![e.message().to_string()])
                .and_then(convert)
            {
                Ok(law) => {
                    if laws.contains_key(&law.code) {
                        push(line, format!("{} is listed twice", law.code));
                    } else {
                        laws.insert(law.code.clone(), law);
                    }
                }
                Err(errs) => errs.into_iter().for_each(|m| push(line, m)),
            }
        }
        if problems.is_empty() {
            Ok(StateTable { laws })
        } else {
            Err(TableError(problems))
        }
    }

    /// The law of a State, if the table has it.
    pub fn get(&self, code: &str) -> Option<&StateLaw> {
        self.laws.get(code)
    }

    /// The States the table covers, in code order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.laws.keys().map(String::as_str)
    }

    /// How many States the table covers.
    pub fn len(&self) -> usize {
        self.laws.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.laws.is_empty()
    }
}
