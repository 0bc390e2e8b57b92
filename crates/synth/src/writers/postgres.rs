//! PostgreSQL stderr log with Debian's prefix `%m [%p] %q%u@%d ` and
//! pgAudit session records.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use phiwatch_event::Timestamp;

use super::{millis, Civil, Ctx, Naming, Rotating, Style};
use crate::model::{Db, DbWhat};
use crate::GenError;

/// Sessions remembered at most (a backend that never disconnects is
/// forgotten, oldest first, beyond this).
const MAX_SESSIONS: usize = 100_000;

struct Session {
    start: Timestamp,
    statements: u64,
}

pub(crate) struct Postgres {
    log: Rotating,
    sessions: BTreeMap<u32, Session>,
}

/// `2026-11-02 10:00:00.123 UTC [4242] `.
fn prefix(out: &mut String, t: Timestamp, pid: u32) {
    let c = Civil::of(t.as_secs());
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC [{pid}] ",
        c.y,
        c.m,
        c.d,
        c.hh,
        c.mm,
        c.ss,
        millis(t)
    );
}

/// A pgAudit CSV field: quoted when it holds a comma, quote, newline or
/// surrounding space; newlines are followed by a tab as PostgreSQL writes
/// continuation lines.
fn csv_field(out: &mut String, s: &str) {
    let s = s.replace('\r', "");
    let quote =
        s.is_empty() || s.contains([',', '"', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        out.push('"');
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\"\""),
                '\n' => out.push_str("\n\t"),
                c => out.push(c),
            }
        }
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

/// A name as `%u` / `%d` print it (no spaces or `@`, which would make the
/// prefix ambiguous).
fn name(s: &str) -> &str {
    if s.is_empty() {
        "[unknown]"
    } else {
        s
    }
}

impl Postgres {
    pub(crate) fn new() -> Postgres {
        Postgres {
            log: Rotating::new(
                "logs/postgres",
                Naming::Daily {
                    stem: "postgresql",
                    ext: "log",
                },
                Style::Plain,
            ),
            sessions: BTreeMap::new(),
        }
    }

    pub(crate) fn write(
        &mut self,
        ctx: &mut Ctx,
        line: &mut String,
        t: Timestamp,
        d: &Db,
    ) -> Result<(), GenError> {
        line.clear();
        let user = name(&d.user);
        let db = name(&d.database);
        let (host, port) = d.client;
        let records = match &d.what {
            DbWhat::Connect => {
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "[unknown]@[unknown] LOG:  connection received: host={host} port={port}"
                );
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "{user}@{db} LOG:  connection authorized: user={user} database={db} application_name={} SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)",
                    if d.application.is_empty() { "[unknown]" } else { &d.application }
                );
                if self.sessions.len() >= MAX_SESSIONS {
                    self.sessions.pop_first();
                }
                self.sessions.insert(
                    d.pid,
                    Session {
                        start: t,
                        statements: 0,
                    },
                );
                2
            }
            DbWhat::AuthFailed => {
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "[unknown]@[unknown] LOG:  connection received: host={host} port={port}"
                );
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "{user}@{db} FATAL:  password authentication failed for user \"{user}\""
                );
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "{user}@{db} DETAIL:  Connection matched file \"/etc/postgresql/16/main/pg_hba.conf\" line 118: \"hostssl all all 0.0.0.0/0 scram-sha-256\""
                );
                2
            }
            DbWhat::Audit {
                class,
                command,
                object,
                statement,
                rows,
            } => {
                let id = match self.sessions.get_mut(&d.pid) {
                    Some(s) => {
                        s.statements += 1;
                        s.statements
                    }
                    None => {
                        self.sessions.insert(
                            d.pid,
                            Session {
                                start: t,
                                statements: 1,
                            },
                        );
                        1
                    }
                };
                prefix(line, t, d.pid);
                let _ = write!(
                    line,
                    "{user}@{db} LOG:  AUDIT: SESSION,{id},1,{class},{command},{},",
                    if object.is_empty() { "" } else { "TABLE" }
                );
                if !object.is_empty() {
                    csv_field(line, object);
                }
                line.push(',');
                csv_field(line, statement);
                let _ = writeln!(line, ",<not logged>,{rows}");
                1
            }
            DbWhat::Disconnect => {
                let start = self.sessions.remove(&d.pid).map_or(t, |s| s.start);
                let ms = ((t.as_nanos() - start.as_nanos()).max(0) / 1_000_000) as u64;
                prefix(line, t, d.pid);
                let _ = writeln!(
                    line,
                    "{user}@{db} LOG:  disconnection: session time: {}:{:02}:{:02}.{:03} user={user} database={db} host={host} port={port}",
                    ms / 3_600_000,
                    ms / 60_000 % 60,
                    ms / 1000 % 60,
                    ms % 1000
                );
                1
            }
        };
        self.log.write(ctx, t, line.as_bytes(), records)
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx) -> Result<(), GenError> {
        self.log.close(ctx)
    }
}
