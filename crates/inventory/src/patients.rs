//! The patients CSVs a silo names (`patients = "patients.csv"`):
//! `patient_id,state[,deceased][,contact]`, one patient per line. Every
//! problem of every file is reported at once, with its line; a patient id
//! may appear once per file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{Inventory, Problem, Problems};

/// One patient of a silo's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patient {
    /// The id the logs use (`pt-0000179`, an MRN).
    pub id: String,
    /// State or jurisdiction of residence (USPS code, upper case), or
    /// `unknown` when the column is empty.
    pub state: String,
    /// Whether the patient is deceased (default false).
    pub deceased: bool,
    /// Whether current contact details are on file (default true).
    pub contact: bool,
}

/// The patients of one CSV file.
#[derive(Clone, Debug, Default)]
pub struct Patients {
    /// The file.
    pub path: PathBuf,
    /// The patients, in file order.
    pub list: Vec<Patient>,
    index: HashMap<String, u32>,
}

impl Patients {
    /// Reads and validates a patients CSV.
    pub fn load(path: &Path) -> Result<Patients, Problems> {
        let (file, text) = crate::load::read_text(path)?;
        let mut p = Patients::parse(&text, &file)?;
        p.path = path.to_path_buf();
        Ok(p)
    }

    /// Parses a patients CSV; `file` names it in problems.
    pub fn parse(text: &str, file: &str) -> Result<Patients, Problems> {
        let mut problems = Vec::new();
        let mut at = |line: u64, message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line: usize::try_from(line).unwrap_or(usize::MAX),
                message,
            })
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
            Err(e) => {
                at(1, format!("cannot read the header: {e}"));
                return Err(Problems(problems));
            }
        };
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(id_col), Some(state_col)) = (col("patient_id"), col("state")) else {
            at(
                1,
                "the header must name patient_id and state (and may name deceased, contact)".into(),
            );
            return Err(Problems(problems));
        };
        let (deceased_col, contact_col) = (col("deceased"), col("contact"));
        let mut out = Patients::default();
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    at(line, format!("not valid CSV: {e}"));
                    continue;
                }
            };
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let id = rec.get(id_col).unwrap_or("");
            if id.is_empty() {
                at(line, "empty patient_id".into());
                continue;
            }
            let state = rec.get(state_col).unwrap_or("");
            let state = if state.is_empty() {
                "unknown".to_string()
            } else if state.len() == 2 && state.bytes().all(|b| b.is_ascii_alphabetic()) {
                state.to_ascii_uppercase()
            } else {
                at(
                    line,
                    format!(
                        "state {state:?} is not a two-letter code (leave it empty when unknown)"
                    ),
                );
                continue;
            };
            let flag = |c: Option<usize>, name: &str, default: bool| -> Result<bool, String> {
                match c.and_then(|c| rec.get(c)).unwrap_or("") {
                    "" => Ok(default),
                    v => parse_bool(v).ok_or_else(|| {
                        format!("{name} {v:?} is not true/false (yes/no, 1/0 also read)")
                    }),
                }
            };
            let (deceased, contact) = match (
                flag(deceased_col, "deceased", false),
                flag(contact_col, "contact", true),
            ) {
                (Ok(d), Ok(c)) => (d, c),
                (Err(e), _) | (_, Err(e)) => {
                    at(line, e);
                    continue;
                }
            };
            let n = u32::try_from(out.list.len()).unwrap_or(u32::MAX);
            if out.index.insert(id.to_string(), n).is_some() {
                at(line, "patient_id listed twice".into());
                continue;
            }
            out.list.push(Patient {
                id: id.to_string(),
                state,
                deceased,
                contact,
            });
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }

    /// The position of the patient with this id.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Number of patients.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the file lists nobody.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// The patients of every silo: each file read once, however many silos
/// name it.
#[derive(Clone, Debug, Default)]
pub struct PatientTables {
    /// The files.
    pub tables: Vec<Patients>,
    /// For each silo (inventory order), its table.
    pub of_silo: Vec<Option<usize>>,
}

impl PatientTables {
    /// The patients of silo `i`.
    pub fn of(&self, silo: usize) -> Option<&Patients> {
        self.of_silo
            .get(silo)
            .copied()
            .flatten()
            .and_then(|t| self.tables.get(t))
    }
}

impl Inventory {
    /// Reads every patients CSV the silos name (relative to the inventory
    /// file), reporting every problem of every file at once.
    pub fn load_patients(&self) -> Result<PatientTables, Problems> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let mut out = PatientTables::default();
        let mut by_path: HashMap<PathBuf, usize> = HashMap::new();
        let mut problems = Vec::new();
        let mut failed: Vec<PathBuf> = Vec::new();
        for silo in &self.silos {
            let Some(rel) = &silo.patients else {
                out.of_silo.push(None);
                continue;
            };
            let path = base.join(rel);
            if let Some(&t) = by_path.get(&path) {
                out.of_silo.push(Some(t));
                continue;
            }
            if failed.contains(&path) {
                out.of_silo.push(None);
                continue;
            }
            match Patients::load(&path) {
                Ok(p) => {
                    by_path.insert(path, out.tables.len());
                    out.of_silo.push(Some(out.tables.len()));
                    out.tables.push(p);
                }
                Err(Problems(mut ps)) => {
                    problems.append(&mut ps);
                    failed.push(path);
                    out.of_silo.push(None);
                }
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }
}
