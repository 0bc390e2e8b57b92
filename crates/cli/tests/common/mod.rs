//! Running the `phiwatch` binary from the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (bundled samples, rules and test data live there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `phiwatch ARGS…` in `cwd`, stdin closed, output captured.
pub fn phiwatch_in(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phiwatch"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run phiwatch")
}

/// Runs `phiwatch ARGS…` at the repository root.
pub fn phiwatch(args: &[&str]) -> Output {
    phiwatch_in(args, &repo())
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
