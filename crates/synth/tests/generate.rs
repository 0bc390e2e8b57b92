//! Generation end to end: every file read back by phiwatch's own decoders
//! with zero rejections and by independent readers, byte-identical output
//! for a seed, and a ground truth consistent with the logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiwatch_decode::Format;
use phiwatch_ingest::{resolve_inputs, CollectSink, Ingest, IngestConfig, Order};
use phiwatch_synth::{generate, GenConfig, GenReport, Scale, Scenario};

fn config(scenario: Scenario, seed: u64) -> GenConfig {
    GenConfig {
        scenario,
        days: 1,
        scale: Scale::Small,
        seed,
        ..GenConfig::default()
    }
}

fn gen(cfg: &GenConfig) -> (tempfile::TempDir, GenReport) {
    let dir = tempfile::tempdir().unwrap();
    let report = generate(cfg, dir.path()).unwrap();
    (dir, report)
}

/// Every file under `dir`, relative to it, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

fn intended(rel: &Path) -> Format {
    let dir = rel
        .components()
        .nth(1)
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    match dir {
        "zeek" => Format::ZeekTsv,
        "postgres" => Format::PostgresLog,
        "fhir" => Format::FhirAudit,
        "okta" => Format::Okta,
        "cloudtrail" => Format::CloudTrail,
        "nginx" => Format::AccessLog,
        other => panic!("unexpected log directory {other:?}"),
    }
}

/// Reads `out/logs` with phiwatch-ingest; checks zero rejections, the
/// detected formats and the record counts of the report.
fn read_back(out: &Path, report: &GenReport) {
    let args = vec![out.join("logs").display().to_string()];
    let inputs = resolve_inputs(&args);
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let sink = Arc::new(CollectSink::default());
    let cfg = IngestConfig {
        order: Order::Arrival,
        ..IngestConfig::default()
    };
    let mut ingest = Ingest::start(inputs.inputs, inputs.errors, cfg, sink.clone());
    let events = ingest.by_ref().count() as u64;
    let rep = ingest.finish();
    let diags = sink.take();
    assert!(diags.is_empty(), "{:#?}", &diags[..diags.len().min(10)]);
    let want: BTreeMap<PathBuf, u64> = report
        .files
        .iter()
        .map(|(p, n)| (p.strip_prefix(out).unwrap().to_path_buf(), *n))
        .collect();
    let logs: Vec<PathBuf> = walk(out)
        .into_iter()
        .filter(|p| p.starts_with("logs"))
        .collect();
    assert_eq!(
        logs,
        want.keys().cloned().collect::<Vec<_>>(),
        "the report lists every log file"
    );
    assert_eq!(rep.sources.len(), want.len());
    for (info, st) in &rep.sources {
        let rel = Path::new(&*info.path)
            .strip_prefix(out)
            .unwrap()
            .to_path_buf();
        assert_eq!(st.format, Some(intended(&rel)), "{}", rel.display());
        assert_eq!(st.rejected, 0, "{}: {st:?}", rel.display());
        assert!(st.error.is_none() && st.skipped.is_none(), "{st:?}");
        assert_eq!(st.accepted, want[&rel], "{}", rel.display());
    }
    let t = rep.totals();
    assert_eq!(t.accepted, report.records);
    assert_eq!(events, report.records);
}

#[test]
fn every_scenario_reads_back_with_zero_rejections() {
    for &s in Scenario::ALL {
        let (dir, report) = gen(&config(s, 11));
        assert!(report.records > 20_000, "{s:?}: {}", report.records);
        for d in ["zeek", "postgres", "fhir", "okta", "cloudtrail", "nginx"] {
            assert!(
                report
                    .files
                    .iter()
                    .any(|(p, n)| p.starts_with(dir.path().join("logs").join(d)) && *n > 0),
                "{s:?}: no {d} records"
            );
        }
        read_back(dir.path(), &report);
    }
}

// ------------------------------------------------------------ independent readers

fn check_zeek(text: &str, name: &str) -> usize {
    let mut fields = None;
    let mut rows = 0;
    let mut closed = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = Some(f.split('\t').count());
        } else if let Some(t) = line.strip_prefix("#types\t") {
            assert_eq!(Some(t.split('\t').count()), fields, "{name}: #types");
        } else if line.starts_with("#close\t") {
            closed = true;
        } else if !line.starts_with('#') {
            assert!(!closed, "{name}:{}: data after #close", i + 1);
            let n = fields.expect("#fields before data");
            assert_eq!(line.split('\t').count(), n, "{name}:{}: {line}", i + 1);
            let ts: f64 = line.split('\t').next().unwrap().parse().unwrap();
            assert!(ts > 1.0e9, "{name}:{}", i + 1);
            rows += 1;
        }
    }
    assert!(text.starts_with("#separator \\x09\n"), "{name}");
    assert!(closed, "{name}: no #close");
    rows
}

/// `IP - user [dd/Mon/yyyy:hh:mm:ss +zzzz] "request" status bytes "referrer" "ua"…`
fn check_nginx_line(line: &str) -> bool {
    let Some((ip, rest)) = line.split_once(' ') else {
        return false;
    };
    if ip.parse::<std::net::IpAddr>().is_err() {
        return false;
    }
    let Some(rest) = rest.strip_prefix("- ") else {
        return false;
    };
    let Some((_user, rest)) = rest.split_once(" [") else {
        return false;
    };
    let Some((date, rest)) = rest.split_once("] ") else {
        return false;
    };
    let date_ok = date.len() == 26
        && date.as_bytes()[2] == b'/'
        && date.as_bytes()[6] == b'/'
        && date.as_bytes()[11] == b':'
        && date.ends_with(" +0000");
    let mut quoted = Vec::new();
    let mut bare = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        if let Some(r) = s.strip_prefix('"') {
            let Some(end) = r.find('"') else { return false };
            quoted.push(&r[..end]);
            s = r[end + 1..].trim_start_matches(' ');
        } else {
            let end = s.find(' ').unwrap_or(s.len());
            bare.push(&s[..end]);
            s = s[end..].trim_start_matches(' ');
        }
    }
    let request_ok = quoted.first().is_some_and(|r| {
        let parts: Vec<&str> = r.split(' ').collect();
        parts.len() == 3 && parts[1].starts_with('/') && parts[2].starts_with("HTTP/")
    });
    date_ok
        && request_ok
        && quoted.len() >= 3
        && bare.len() >= 2
        && bare[0]
            .parse::<u16>()
            .is_ok_and(|s| (100..600).contains(&s))
        && bare[1].parse::<u64>().is_ok()
}

#[test]
fn independent_readers_agree() {
    let (dir, report) = gen(&config(Scenario::VendorCompromise, 5));
    let out = dir.path();
    let counts: BTreeMap<PathBuf, u64> = report.files.iter().cloned().collect();
    let mut seen = BTreeMap::new();
    for rel in walk(out) {
        let path = out.join(&rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let name = rel.display().to_string();
        let kind = rel
            .components()
            .nth(1)
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = match (rel.starts_with("logs"), kind.as_str()) {
            (true, "zeek") => check_zeek(&text, &name) as u64,
            (true, "fhir" | "okta") => {
                for (i, l) in text.lines().enumerate() {
                    let v: serde_json::Value =
                        serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
                    assert!(v.is_object());
                    if kind == "fhir" {
                        assert_eq!(v["resourceType"], "AuditEvent");
                    }
                }
                text.lines().count() as u64
            }
            (true, "cloudtrail") => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let recs = v["Records"].as_array().unwrap();
                for r in recs {
                    assert!(r["eventTime"].is_string() && r["eventName"].is_string());
                }
                recs.len() as u64
            }
            (true, "nginx") => {
                for (i, l) in text.lines().enumerate() {
                    assert!(check_nginx_line(l), "{name}:{}: {l}", i + 1);
                }
                text.lines().count() as u64
            }
            (true, "postgres") => {
                // Records: every line that starts with the prefix and is not
                // a DETAIL line (continuation lines start with a tab).
                text.lines()
                    .filter(|l| !l.starts_with('\t') && !l.contains(" DETAIL:  "))
                    .count() as u64
            }
            _ => continue,
        };
        seen.insert(path.clone(), n);
        assert_eq!(Some(&n), counts.get(&path), "{name}");
    }
    assert_eq!(seen.len(), counts.len());

    // patients.csv: a header and one row per patient, ids unique.
    let csv = std::fs::read_to_string(out.join("inventory/patients.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("patient_id,state,deceased,contact"));
    let mut ids = std::collections::BTreeSet::new();
    for l in lines {
        let cols: Vec<&str> = l.split(',').collect();
        assert_eq!(cols.len(), 4, "{l}");
        assert_eq!(cols[1].len(), 2, "{l}");
        assert!(matches!(cols[2], "true" | "false") && matches!(cols[3], "true" | "false"));
        assert!(ids.insert(cols[0].to_string()), "duplicate {l}");
    }
    assert!(ids.len() >= 100, "{} patients", ids.len());

    // inventory.toml: parses, has the silos and the vendors.
    let inv: toml::Value =
        toml::from_str(&std::fs::read_to_string(&report.inventory).unwrap()).unwrap();
    let silos = inv["silo"].as_array().unwrap();
    assert!(silos.len() >= 3, "{silos:?}");
    for s in silos {
        assert!(s["name"].is_str());
        assert!(matches!(
            s["kind"].as_str(),
            Some("table" | "bucket" | "path" | "api")
        ));
        assert!(s["match"].is_table());
        assert!(!s["categories"].as_array().unwrap().is_empty());
        assert_eq!(s["patients"].as_str(), Some("patients.csv"));
    }
    assert!(silos
        .iter()
        .any(|s| s["name"].as_str() == Some("ehr.patients")));
    let vendors = inv["entity"]["vendors"].as_array().unwrap();
    assert!(!vendors.is_empty());
    assert!(!vendors[0]["accounts"].as_array().unwrap().is_empty());
}

// ------------------------------------------------------------ determinism

fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|rel| {
            let b = std::fs::read(dir.join(&rel)).unwrap();
            (rel, b)
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, ra) = gen(&config(Scenario::SlowDrip, 3));
    let (b, rb) = gen(&config(Scenario::SlowDrip, 3));
    let (c, _) = gen(&config(Scenario::SlowDrip, 4));
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{} differs between runs", k.display());
    }
    assert_eq!((ra.records, ra.bytes), (rb.records, rb.bytes));
    let differs = ta.iter().any(|(k, v)| tc.get(k) != Some(v));
    assert!(differs, "another seed gives the same files");
}

// ------------------------------------------------------------ ground truth

fn rfc3339_secs(s: &str) -> i64 {
    phiwatch_event::Timestamp::parse_rfc3339(s.as_bytes())
        .unwrap_or_else(|| panic!("bad time {s}"))
        .as_secs()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The time (epoch seconds) of every record of a log file, read without
/// phiwatch's decoders.
fn record_times(path: &Path) -> Vec<i64> {
    let text = std::fs::read_to_string(path).unwrap();
    let kind = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    match kind {
        "zeek" => text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('.').next().unwrap().parse().unwrap())
            .collect(),
        "okta" | "fhir" => text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let t = v.get("published").or_else(|| v.get("recorded")).unwrap();
                rfc3339_secs(t.as_str().unwrap())
            })
            .collect(),
        "cloudtrail" => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| rfc3339_secs(r["eventTime"].as_str().unwrap()))
                .collect()
        }
        "postgres" => text
            .lines()
            .filter(|l| !l.starts_with('\t'))
            .map(|l| rfc3339_secs(&format!("{}T{}Z", &l[..10], &l[11..23])))
            .collect(),
        "nginx" => text
            .lines()
            .map(|l| {
                let d = &l[l.find('[').unwrap() + 1..];
                let month = MONTHS.iter().position(|m| *m == &d[3..6]).unwrap() + 1;
                rfc3339_secs(&format!(
                    "{}-{month:02}-{}T{}Z",
                    &d[7..11],
                    &d[0..2],
                    &d[12..20]
                ))
            })
            .collect(),
        other => panic!("unknown log kind {other}"),
    }
}

fn zeek_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = Vec::new();
    let mut rows = Vec::new();
    for l in text.lines() {
        if let Some(f) = l.strip_prefix("#fields\t") {
            names = f.split('\t').map(str::to_string).collect();
        } else if !l.starts_with('#') {
            rows.push(l.split('\t').map(str::to_string).collect());
        }
    }
    (names, rows)
}

#[test]
fn ground_truth_matches_the_logs() {
    let cfg = config(Scenario::VendorCompromise, 9);
    let (dir, report) = gen(&cfg);
    let out = dir.path();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report.truth).unwrap()).unwrap();
    assert!(report.truth.starts_with(out.join("truth")));
    assert_eq!(truth["scenario"], "vendor-compromise");
    let steps = truth["steps"].as_array().unwrap();
    assert_eq!(steps.len(), report.steps);
    assert_eq!(steps.len(), 9);
    let logs = out.join("logs");
    for s in steps {
        let id = s["id"].as_str().unwrap();
        assert!(s["tactic"].as_str().unwrap().starts_with("TA"), "{id}");
        assert!(!s["techniques"].as_array().unwrap().is_empty(), "{id}");
        let first = rfc3339_secs(s["first"].as_str().unwrap());
        let last = rfc3339_secs(s["last"].as_str().unwrap());
        let records = s["records"].as_object().unwrap();
        let total: u64 = records.values().map(|n| n.as_u64().unwrap()).sum();
        assert!(total >= 1, "{id}: no labeled records");
        for (file, n) in records {
            let path = logs.join(file);
            assert!(path.is_file(), "{id}: {file} does not exist");
            let in_window = record_times(&path)
                .iter()
                .filter(|&&t| t >= first && t <= last)
                .count() as u64;
            assert!(
                n.as_u64().unwrap() >= 1 && in_window >= 1,
                "{id}: {file} has no record in {first}..{last}"
            );
        }
    }
    let step = |id: &str| steps.iter().find(|s| s["id"] == id).unwrap();
    let window = |s: &serde_json::Value| {
        (
            rfc3339_secs(s["first"].as_str().unwrap()),
            rfc3339_secs(s["last"].as_str().unwrap()),
        )
    };
    let file_of = |s: &serde_json::Value, dir: &str, stem: &str| -> PathBuf {
        let f = s["records"]
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.starts_with(&format!("{dir}/{stem}")))
            .unwrap_or_else(|| panic!("{}: no {dir}/{stem} file", s["id"]))
            .clone();
        logs.join(f)
    };

    // Spraying: FAILURE logins from the spraying addresses in the window.
    let spray = step("vc-01-spray");
    let (a, b) = window(spray);
    let spray_ips: Vec<&str> = spray["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let okta = std::fs::read_to_string(file_of(spray, "okta", "")).unwrap();
    let failures = okta
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| {
            let t = rfc3339_secs(v["published"].as_str().unwrap());
            v["outcome"]["result"] == "FAILURE"
                && (a..=b).contains(&t)
                && spray_ips.contains(&v["client"]["ipAddress"].as_str().unwrap())
        })
        .count() as u64;
    assert!(failures >= 20, "{failures} spray failures");
    assert!(failures >= spray["activities"].as_u64().unwrap());

    // Bulk reads: AUDIT records by the vendor's database account with large
    // row counts.
    let bulk = step("vc-03-db-bulk");
    let (a, b) = window(bulk);
    let actors: Vec<&str> = bulk["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let pg = std::fs::read_to_string(file_of(bulk, "postgres", "")).unwrap();
    let mut reads = 0;
    let mut big = 0;
    let mut rows_total = 0u64;
    for l in pg.lines().filter(|l| l.contains(" LOG:  AUDIT: SESSION,")) {
        let t = rfc3339_secs(&format!("{}T{}Z", &l[..10], &l[11..23]));
        let user = l.split("] ").nth(1).unwrap().split('@').next().unwrap();
        let Ok(rows) = l.rsplit(',').next().unwrap().parse::<u64>() else {
            continue; // a statement spanning lines
        };
        if (a..=b).contains(&t) && actors.contains(&user) {
            reads += 1;
            rows_total += rows;
            big += u64::from(rows >= 1_000);
        }
    }
    assert!(reads >= 10 && big >= 1, "{reads} reads, {big} large");
    let patients = std::fs::read_to_string(out.join("inventory/patients.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert!(
        rows_total >= patients,
        "{rows_total} rows < {patients} patients"
    );

    // Upload: gigabytes to a destination never seen before the step.
    let exfil = step("vc-07-exfil-tls");
    let (a, b) = window(exfil);
    let conn = file_of(exfil, "zeek", "conn");
    let (names, rows) = zeek_rows(&conn);
    let col = |n: &str| names.iter().position(|x| x == n).unwrap();
    let (ts, dst, ob) = (col("ts"), col("id.resp_h"), col("orig_bytes"));
    let dests: Vec<&str> = exfil["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .filter(|ip| !ip.starts_with("10."))
        .collect();
    assert!(!dests.is_empty());
    let mut up = 0u64;
    for r in &rows {
        let t: f64 = r[ts].parse().unwrap();
        if !dests.contains(&r[dst].as_str()) {
            continue;
        }
        assert!(
            t as i64 >= a,
            "destination {} seen before the upload",
            r[dst]
        );
        if t as i64 <= b {
            up += r[ob].parse::<u64>().unwrap();
        }
    }
    assert!(up >= 1_000_000_000, "{up} bytes uploaded");
    // Its TLS server name is in ssl.log.
    let (snames, srows) = zeek_rows(&file_of(exfil, "zeek", "ssl"));
    let sni = snames.iter().position(|x| x == "server_name").unwrap();
    let sdst = snames.iter().position(|x| x == "id.resp_h").unwrap();
    assert!(srows
        .iter()
        .any(|r| dests.contains(&r[sdst].as_str()) && r[sni] != "-"));

    // Benign decoys have no labeled steps.
    let (dir, report) = gen(&config(Scenario::BenignDecoys, 9));
    assert_eq!(report.steps, 0);
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("truth/truth.json")).unwrap(),
    )
    .unwrap();
    assert!(t["steps"].as_array().unwrap().is_empty());
}
