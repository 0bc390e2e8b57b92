//! The output directory of `phiwatch demo`: a marker file says a directory
//! was written by a previous demo (its output may be replaced); any other
//! non-empty directory is refused unless `--force`.

use std::io;
use std::path::Path;

use anyhow::Context;
use phiwatch_synth::GenConfig;

use crate::CliError;

/// The file that marks a directory as written by `phiwatch demo`.
const MARKER: &str = ".phiwatch-demo";

/// Makes `out` ready for a demo: creates it, or clears a previous demo's
/// output; refuses other non-empty directories unless `force`.
pub(super) fn prepare_out(out: &Path, force: bool, cfg: &GenConfig) -> Result<(), CliError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            if out.join(MARKER).is_file() {
                for sub in ["logs", "inventory", "truth"] {
                    let p = out.join(sub);
                    if p.exists() {
                        std::fs::remove_dir_all(&p)
                            .with_context(|| format!("cannot remove {}", p.display()))?;
                    }
                }
            } else if !empty && !force {
                return Err(CliError::Usage(format!(
                    "{} is not empty and is not a previous demo output; choose another --out or pass --force",
                    out.display()
                )));
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
