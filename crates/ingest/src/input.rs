//! Turning the paths a user gives into a list of sources: files,
//! directories (recursive), globs, and `-` for standard input.

use std::path::{Path, PathBuf};

use globset::GlobBuilder;

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputSpec {
    /// A regular file named by the user (or matched by a glob).
    File(PathBuf),
    /// A file found by walking a directory. Unlike a named file, one whose
    /// format is not recognized (a README beside the logs) is skipped, not
    /// a failure.
    Found(PathBuf),
    /// Standard input.
    Stdin,
}

impl InputSpec {
    /// The path for display (`-` for standard input).
    pub fn display(&self) -> String {
        match self {
            InputSpec::File(p) | InputSpec::Found(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
        }
    }
}

/// Inputs found, and problems with arguments that found nothing.
#[derive(Debug, Default)]
pub struct ResolvedInputs {
    /// Sources in a stable order: arguments in the order given, directory
    /// contents sorted by path.
    pub inputs: Vec<InputSpec>,
    /// One message per argument or directory entry that could not be used.
    pub errors: Vec<String>,
}

/// Resolves command-line paths. A directory is walked recursively (symbolic
/// links to files are followed, to directories are not); an argument that is
/// neither a file nor a directory is a glob (`logs/**/conn.*.log.gz`).
/// Duplicates are read once.
pub fn resolve_inputs<S: AsRef<str>>(args: &[S]) -> ResolvedInputs {
    let mut out = ResolvedInputs::default();
    let mut seen = std::collections::HashSet::new();
    let mut add = |out: &mut ResolvedInputs, spec: InputSpec| {
        if seen.insert(spec.display()) {
            out.inputs.push(spec);
        }
    };
    for arg in args {
        let arg = arg.as_ref();
        if arg == "-" {
            add(&mut out, InputSpec::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                for f in walk(path, &mut out.errors) {
                    add(&mut out, InputSpec::Found(f));
                }
            }
            Ok(_) => add(&mut out, InputSpec::File(path.to_path_buf())),
            Err(e) if is_glob(arg) => match glob(arg, &mut out.errors) {
                files if files.is_empty() => {
                    out.errors
                        .push(format!("{arg}: no file matches this pattern"));
                    let _ = e;
                }
                files => files
                    .into_iter()
                    .for_each(|f| add(&mut out, InputSpec::File(f))),
            },
            Err(e) => out.errors.push(format!("{arg}: {}", io_reason(&e))),
        }
    }
    // A directory walked by several arguments reports its problems once.
    let mut said = std::collections::HashSet::new();
    out.errors.retain(|e| said.insert(e.clone()));
    out
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

fn walk(dir: &Path, errors: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            Ok(e) if e.file_type().is_symlink() => match std::fs::metadata(e.path()) {
                Ok(m) if m.is_file() => files.push(e.into_path()),
                Ok(_) => {}
                Err(err) => errors.push(format!("{}: {}", e.path().display(), io_reason(&err))),
            },
            Ok(_) => {}
            Err(err) => {
                let p = err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let reason = err.io_error().map_or_else(|| err.to_string(), io_reason);
                errors.push(format!("{p}: {reason}"));
            }
        }
    }
    files
}

/// Expands a glob by walking from its longest literal directory prefix.
fn glob(pattern: &str, errors: &mut Vec<String>) -> Vec<PathBuf> {
    let matcher = match GlobBuilder::new(pattern).literal_separator(true).build() {
        Ok(g) => g.compile_matcher(),
        Err(e) => {
            errors.push(format!("{pattern}: invalid glob: {e}"));
            return Vec::new();
        }
    };
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
        .collect();
    let root = if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    };
    let strip_dot = !pattern.starts_with("./") && root == Path::new(".");
    walk(&root, errors)
        .into_iter()
        .filter_map(|p| {
            let p = if strip_dot {
                p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)
            } else {
                p
            };
            matcher.is_match(&p).then_some(p)
        })
        .collect()
}

/// A short reason for an I/O error, without the OS error number.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::UnexpectedEof => {
            "unexpected end of data (truncated or corrupt compressed stream?)".into()
        }
        K::InvalidData => format!("invalid data: {e}"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_dirs_globs_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        for f in ["a/conn.log", "a/b/dns.log", "a/b/conn.1.log.gz", "x.json"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("missing"), d.join("a/dangling")).unwrap();
        let args = [
            d.join("a").display().to_string(),
            d.join("x.json").display().to_string(),
            format!("{}/**/conn*.log*", d.display()),
            d.join("nope.log").display().to_string(),
            format!("{}/*.zzz", d.display()),
        ];
        let r = resolve_inputs(&args);
        let names: Vec<String> = r
            .inputs
            .iter()
            .map(|i| i.display().replace(&d.display().to_string(), ""))
            .collect();
        assert_eq!(
            names,
            [
                "/a/b/conn.1.log.gz",
                "/a/b/dns.log",
                "/a/conn.log",
                "/x.json"
            ]
        );
        assert!(matches!(r.inputs[0], InputSpec::Found(_)));
        assert!(matches!(r.inputs[3], InputSpec::File(_)));
        assert_eq!(r.errors.len(), 3, "{:?}", r.errors);
        assert!(r
            .errors
            .iter()
            .any(|e| e.contains("dangling") && e.contains("no such file")));
        assert!(r.errors.iter().any(|e| e.contains("nope.log")));
        assert!(r.errors.iter().any(|e| e.contains("no file matches")));
    }
}
