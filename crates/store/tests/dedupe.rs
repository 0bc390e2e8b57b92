//! Re-ingesting the same content (even renamed) adds no duplicates;
//! different content adds rows. Each scenario is a list of runs; a run
//! registers fixture logs under names and puts the fixture findings and
//! ledger entries pointing at those names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use phiwatch_store::{Added, Counts, Store};

/// One run: (fixture log, name registered) for a.log, b.log and c.log's
/// roles, and what it should add: (findings new, duplicate), (accesses
/// new, duplicate).
struct Run {
    files: [(&'static str, &'static str); 3],
    findings: (u64, u64),
    accesses: (u64, u64),
}

struct Scenario {
    name: &'static str,
    runs: &'static [Run],
    /// findings, incidents, incident members, accesses, sources
    counts: (u64, u64, u64, u64, u64),
}

const ORIGINAL: [(&str, &str); 3] = [
    ("a.log", "logs/a.log"),
    ("b.log", "logs/b.log"),
    ("c.log", "logs/c.log"),
];

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "the same files twice",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: ORIGINAL,
                findings: (0, 6),
                accesses: (0, 6),
            },
        ],
        counts: (6, 1, 3, 6, 3),
    },
    Scenario {
        name: "the same content renamed and moved",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: [
                    ("a.log", "evidence/host1/postgresql-renamed.log"),
                    ("b.log", "/mnt/copy/conn.log.1"),
                    ("c.log", "c.log"),
                ],
                findings: (0, 6),
                accesses: (0, 6),
            },
        ],
        counts: (6, 1, 3, 6, 3),
    },
    Scenario {
        name: "different content under new names",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: [
                    ("a-grown.log", "day2/a.log"),
                    ("b-other.log", "day2/b.log"),
                    ("c.log", "day2/c.log"),
                ],
                // a and b changed: the five findings and five entries on
                // them are new; the ioc finding and entry on c are not.
                findings: (5, 1),
                accesses: (5, 1),
            },
        ],
        counts: (11, 2, 6, 11, 5),
    },
    Scenario {
        name: "one file changed, two the same",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: [
                    ("a.log", "logs/a.log"),
                    ("b-other.log", "moved/b.log"),
                    ("c.log", "logs/c.log"),
                ],
                // The egress finding (b only) and the incident (a and b).
                findings: (2, 4),
                accesses: (0, 6),
            },
        ],
        counts: (8, 2, 6, 6, 4),
    },
    Scenario {
        name: "a log that grew, read again under its name",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: [
                    ("a-grown.log", "logs/a.log"),
                    ("b.log", "logs/b.log"),
                    ("c.log", "logs/c.log"),
                ],
                // New hash for a.log, but its records are the same
                // `path:line` with the same content: the path key holds.
                findings: (0, 6),
                accesses: (0, 6),
            },
        ],
        counts: (6, 1, 3, 6, 4),
    },
    Scenario {
        name: "three runs: original, renamed, original again",
        runs: &[
            Run {
                files: ORIGINAL,
                findings: (6, 0),
                accesses: (6, 0),
            },
            Run {
                files: [("a.log", "x/1"), ("b.log", "x/2"), ("c.log", "x/3")],
                findings: (0, 6),
                accesses: (0, 6),
            },
            Run {
                files: ORIGINAL,
                findings: (0, 6),
                accesses: (0, 6),
            },
        ],
        counts: (6, 1, 3, 6, 3),
    },
];

fn play(s: &Scenario) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    for (i, r) in s.runs.iter().enumerate() {
        let run = store.begin_run(&info("hunt")).unwrap();
        for (file, name) in r.files {
            register(&mut store, run, file, name);
        }
        let rename = |f: &str| -> String {
            let role = ["a.log", "b.log", "c.log"]
                .iter()
                .position(|x| *x == f)
                .unwrap();
            r.files[role].1.to_string()
        };
        let f = store.put_findings(run, &findings_named(&rename)).unwrap();
        let a = store.put_accesses(run, &accesses_named(&rename)).unwrap();
        let ctx = format!("{}: run {}", s.name, i + 1);
        assert_eq!((f.new, f.duplicate), r.findings, "{ctx}: findings");
        assert_eq!((a.new, a.duplicate), r.accesses, "{ctx}: accesses");
        assert_eq!((f.unregistered, a.unregistered), (0, 0), "{ctx}");
    }
    store
}

#[test]
fn scenarios() {
    for s in SCENARIOS {
        let store = play(s);
        let c = store.counts().unwrap();
        let (findings, incidents, members, accesses, sources) = s.counts;
        assert_eq!(
            c,
            Counts {
                runs: s.runs.len() as u64,
                sources,
                findings,
                incidents,
                incident_members: members,
                accesses,
                entities: c.entities,
                coverage: 0,
            },
            "{}",
            s.name
        );
    }
}

#[test]
fn renamed_content_keeps_the_first_paths_for_display() {
    let store = play(&SCENARIOS[1]);
    let all = store
        .accesses(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        .unwrap();
    assert!(
        all.iter().all(|a| a.source.starts_with("logs/")),
        "{:?}",
        all.iter().map(|a| &a.source).collect::<Vec<_>>()
    );
    assert_eq!(all, accesses_at("logs/"));
    let f = store
        .findings(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(f.len(), 6);
    for want in findings_at("logs/") {
        assert!(f.contains(&want), "{}", want.rule.id);
    }
}

#[test]
fn source_registration_reports_new_content() {
    let mut s = Store::open_in_memory().unwrap();
    let r1 = s.begin_run(&info("hunt")).unwrap();
    assert!(register(&mut s, r1, "a.log", "logs/a.log"));
    // Same path, same content, same run: fine, not new.
    assert!(!register(&mut s, r1, "a.log", "logs/a.log"));
    // Same content under another name: not new.
    assert!(!register(&mut s, r1, "a.log", "copy.log"));
    assert!(register(&mut s, r1, "b.log", "logs/b.log"));
    // Another content under a name already registered in this run: refused.
    let hash = phiwatch_store::content_hash(&data("logs/c.log")).unwrap();
    let e = s.add_source(r1, "logs/a.log", &hash, 85).unwrap_err();
    assert!(
        e.to_string()
            .contains("registered twice in run 1 with different content"),
        "{e}"
    );
    let r2 = s.begin_run(&info("hunt")).unwrap();
    // Another run may see other content under that name (a rotated log).
    assert!(s.add_source(r2, "logs/a.log", &hash, 85).unwrap());
    assert_eq!(s.counts().unwrap().sources, 3);
    let e = s.add_source(r2, "logs/x.log", "", 0).unwrap_err();
    assert!(e.to_string().contains("content hash"), "{e}");
}

#[test]
fn unregistered_paths_are_counted_and_fall_back_to_the_path() {
    let mut s = Store::open_in_memory().unwrap();
    let r1 = s.begin_run(&info("hunt")).unwrap();
    let f = s.put_findings(r1, &findings_at("logs/")).unwrap();
    let a = s.put_accesses(r1, &accesses_at("logs/")).unwrap();
    assert_eq!(
        f,
        Added {
            new: 6,
            duplicate: 0,
            unregistered: 6
        }
    );
    assert_eq!(
        a,
        Added {
            new: 6,
            duplicate: 0,
            unregistered: 6
        }
    );
    // Same names again: duplicates by path.
    let r2 = s.begin_run(&info("hunt")).unwrap();
    let f = s.put_findings(r2, &findings_at("logs/")).unwrap();
    assert_eq!((f.new, f.duplicate), (0, 6));
    // Other names, nothing registered: the content is unknown, so new rows.
    let r3 = s.begin_run(&info("hunt")).unwrap();
    let a = s.put_accesses(r3, &accesses_at("other/")).unwrap();
    assert_eq!((a.new, a.duplicate, a.unregistered), (6, 0, 6));
}

#[test]
fn duplicates_within_one_batch_keep_the_first() {
    let mut s = Store::open_in_memory().unwrap();
    let run = s.begin_run(&info("hunt")).unwrap();
    for f in ["a.log", "b.log", "c.log"] {
        register(&mut s, run, f, &format!("logs/{f}"));
    }
    let mut batch = accesses_at("logs/");
    batch.extend(accesses_at("logs/"));
    let a = s.put_accesses(run, &batch).unwrap();
    assert_eq!((a.new, a.duplicate), (6, 6));
    let mut fs = findings_at("logs/");
    let mut second = fs[0].clone();
    second.summary = "a later copy with another summary".into();
    fs.push(second);
    let f = s.put_findings(run, &fs).unwrap();
    assert_eq!((f.new, f.duplicate), (6, 1));
    assert_eq!(
        s.finding(&fs[0].id).unwrap().unwrap().summary,
        fs[0].summary
    );
}

#[test]
fn unknown_runs_are_refused() {
    let mut s = Store::open_in_memory().unwrap();
    let bogus = phiwatch_store::RunId(42);
    let e = s.put_findings(bogus, &findings_at("logs/")).unwrap_err();
    assert_eq!(e.to_string(), "store :memory:: no run 42");
    assert!(s.put_accesses(bogus, &[]).is_err());
    assert!(s.add_source(bogus, "a", "h", 1).is_err());
    assert!(s.put_coverage(bogus, "zeek", &[1]).is_err());
    assert_eq!(s.counts().unwrap(), Counts::default());
}

#[test]
fn content_hash_is_blake3_of_the_bytes_streamed() {
    // BLAKE3 of the empty input (the published test vector).
    assert_eq!(
        phiwatch_store::content_hash_bytes(b""),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    let dir = tempfile::tempdir().unwrap();
    // Larger than the 64 KiB read block, not a multiple of it.
    let bytes: Vec<u8> = (0..200_001u32).map(|i| (i % 251) as u8).collect();
    let p = dir.path().join("big.log");
    std::fs::write(&p, &bytes).unwrap();
    let h = phiwatch_store::content_hash(&p).unwrap();
    assert_eq!(h.len(), 64);
    assert_eq!(h, phiwatch_store::content_hash_bytes(&bytes));
    assert_eq!(h, phiwatch_store::content_hash_reader(&bytes[..]).unwrap());
    // One byte more is another content.
    let mut more = bytes.clone();
    more.push(0);
    assert_ne!(h, phiwatch_store::content_hash_bytes(&more));
    let e = phiwatch_store::content_hash(&dir.path().join("absent")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}
