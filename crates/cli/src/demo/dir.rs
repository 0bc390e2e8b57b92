//! The output directory of `phiwatch demo`: a marker file says a directory
//! was written by a previous demo (its output is replaced: logs, inventory,
//! truth, findings, store and report); any other non-empty directory is
//! refused unless `--force`.

use std::io;
use std::path::Path;

use anyhow::Context;
use phiwatch_synth::GenConfig;

use super::chain::{DB, FINDINGS, REPORT};
use crate::CliError;

/// The file that marks a directory as written by `phiwatch demo`.
const MARKER: &str = ".phiwatch-demo";

/// Directories a demo writes (replaced whole by the next demo).
const DIRS: [&str; 4] = ["logs", "inventory", "truth", REPORT];

/// Removes what a previous demo wrote into `out`: the generated data, the
/// findings, the store (with its SQLite journal files) and the report.
fn clear_previous(out: &Path) -> Result<(), CliError> {
    for sub in DIRS {
        let p = out.join(sub);
        if p.is_dir() {
            std::fs::remove_dir_all(&p)
                .with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    remove_files(out, &[FINDINGS])?;
    remove_store(out)
}

/// Removes the store a previous run left (a demo's store holds one run).
fn remove_store(out: &Path) -> Result<(), CliError> {
    remove_files(out, &[DB, &format!("{DB}-wal"), &format!("{DB}-shm")])
}

fn remove_files(out: &Path, names: &[&str]) -> Result<(), CliError> {
    for name in names {
        let p = out.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot remove {}", p.display()))
                    .into())
            }
        }
    }
    Ok(())
}

/// Makes `out` ready for a demo: creates it, or clears a previous demo's
/// output; refuses other non-empty directories unless `force`.
pub(super) fn prepare_out(out: &Path, force: bool, cfg: &GenConfig) -> Result<(), CliError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            if out.join(MARKER).is_file() {
                clear_previous(out)?;
            } else if !empty && !force {
                return Err(CliError::Usage(format!(
                    "{} is not empty and is not a previous demo output; choose another --out or pass --force",
                    out.display()
                )));
            } else {
                remove_store(out)?;
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(CliError::Usage(format!(
                "{} exists and is not a directory",
                out.display()
            )));
        }
        Err(e) => {
            return Err(anyhow::Error::from(e)
                .context(format!("cannot read {}", out.display()))
                .into())
        }
    }
    let marker = out.join(MARKER);
    std::fs::write(
        &marker,
        format!(
            "written by `phiwatch demo`: scenario {}, seed {}, {} days, {} scale\n",
            cfg.scenario.name(),
            cfg.seed,
            cfg.days,
            cfg.scale.name()
        ),
    )
    .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_demo_is_cleared_and_other_files_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let cfg = GenConfig::default();
        prepare_out(out, false, &cfg).unwrap();
        for d in ["logs/zeek", "inventory", "truth", "report/letters"] {
            std::fs::create_dir_all(out.join(d)).unwrap();
        }
        let written = [
            "logs/zeek/conn.log",
            "report/letters/x.md",
            "findings.jsonl",
            "phiwatch.db",
            "phiwatch.db-wal",
            "phiwatch.db-shm",
        ];
        for f in written.iter().chain(&["notes.txt"]) {
            std::fs::write(out.join(f), "x").unwrap();
        }
        prepare_out(out, false, &cfg).unwrap();
        for f in written {
            assert!(!out.join(f).exists(), "{f} is left");
        }
        for d in DIRS {
            assert!(!out.join(d).exists(), "{d} is left");
        }
        assert!(out.join("notes.txt").is_file(), "other files are kept");
        assert!(out.join(MARKER).is_file());
    }

    #[test]
    fn a_foreign_directory_needs_force_and_loses_only_the_store() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        std::fs::create_dir_all(out.join("logs")).unwrap();
        for f in ["logs/mine.log", "phiwatch.db", "findings.jsonl"] {
            std::fs::write(out.join(f), "x").unwrap();
        }
        let refused = prepare_out(out, false, &GenConfig::default());
        assert!(matches!(refused, Err(CliError::Usage(m)) if m.contains("--force")));
        assert!(out.join("phiwatch.db").is_file());
        prepare_out(out, true, &GenConfig::default()).unwrap();
        assert!(!out.join("phiwatch.db").exists());
        assert!(out.join("logs/mine.log").is_file());
        assert!(out.join("findings.jsonl").is_file(), "overwritten later");
    }
}
