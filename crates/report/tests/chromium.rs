//! The HTML report renders in headless Chromium (Debian's `chromium`):
//! the DOM Chromium builds from the page holds the key numbers under their
//! ids, and the page prints to a PDF.
//!
//! Chromium missing fails the test with how to install it, unless
//! `PHIWATCH_SKIP_CHROMIUM=1` is set (then the test says it was skipped).
//! `PHIWATCH_CHROMIUM=/path/to/browser` picks another binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{report, SCENARIOS};
use phiwatch_report::html;

/// A guard against a hung browser, not a speed requirement.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `PHIWATCH_CHROMIUM` (a path to the browser) when set, else
/// `/usr/bin/chromium`, else `chromium` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PHIWATCH_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
}

/// Runs Chromium headless with `args` on `url`; returns its stdout. Kills
/// it and fails after [`TIMEOUT`].
fn run(bin: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {TIMEOUT:?}; killed");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap().unwrap();
    let stderr = err.join().unwrap();
    assert!(status.success(), "chromium failed ({status}):\n{stderr}");
    stdout
}

/// The text content of the element with `id` in a DOM dump (the element
/// holds text only).
fn text_of(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let open_end = at + dom[at..].find('>')? + 1;
    let close = open_end + dom[open_end..].find('<')?;
    Some(dom[open_end..close].to_string())
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var("PHIWATCH_SKIP_CHROMIUM").as_deref() == Ok("1") {
            eprintln!("SKIPPED: chromium is not installed (PHIWATCH_SKIP_CHROMIUM=1)");
            return;
        }
        panic!(
            "chromium is not installed: install it (`apt-get install chromium`) to run this test, \
             or set PHIWATCH_SKIP_CHROMIUM=1 to skip it"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let mut checked = 0;
    for s in SCENARIOS {
        let r = report(s);
        let file = dir.path().join(format!("{s}.html"));
        std::fs::write(&file, html(&r)).unwrap();
        let url = format!("file://{}", file.display());
        let dom = run(&bin, &profile, &["--dump-dom".to_string()], &url);
        assert!(dom.contains("</html>"), "{s}: no DOM dumped");
        let ind = &r.scope.individuals;
        let mut want = vec![
            ("individuals-total".to_string(), common_count(ind.total)),
            ("deceased".to_string(), common_count(ind.deceased)),
            ("silo-count".to_string(), r.scope.silos.len().to_string()),
            ("hhs-deadline".to_string(), "2027-01-05".to_string()),
            ("individual-deadline".to_string(), "2027-01-05".to_string()),
            ("state-deadline-NY".to_string(), "2026-12-06".to_string()),
        ];
        for (code, n) in &ind.by_state {
            want.push((format!("state-{code}"), common_count(*n)));
        }
        for (id, text) in &want {
            assert_eq!(
                text_of(&dom, id).as_deref(),
                Some(text.as_str()),
                "{s}: {id}"
            );
            checked += 1;
        }
        let bytes = r.scope.exfiltration.bytes.to_string();
        assert!(
            dom.contains(&format!("id=\"bytes-out\" data-value=\"{bytes}\"")),
            "{s}: bytes out"
        );
        // The parsed tables have every row: one per State (plus header
        // and total) and one per silo.
        let by_state = &dom[dom.find("id=\"by-state\"").unwrap()..];
        let by_state = &by_state[..by_state.find("</table>").unwrap()];
        assert_eq!(
            by_state.matches("<tr>").count(),
            ind.by_state.len() + 2,
            "{s}"
        );
        let silos = &dom[dom.find("id=\"silo-table\"").unwrap()..];
        let silos = &silos[..silos.find("</table>").unwrap()];
        assert_eq!(
            silos.matches("<tr>").count(),
            r.scope.silos.len() + 1,
            "{s}"
        );
    }
    // 6 ids + 14 States, three scenarios.
    assert_eq!(checked, 3 * (6 + 14));

    // Print to PDF once.
    let file = dir.path().join("vendor-compromise.html");
    let pdf = dir.path().join("report.pdf");
    let args = [
        format!("--print-to-pdf={}", pdf.display()),
        "--no-pdf-header-footer".to_string(),
    ];
    run(&bin, &profile, &args, &format!("file://{}", file.display()));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(bytes.len() > 10_000, "PDF of {} bytes", bytes.len());
}

fn common_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
