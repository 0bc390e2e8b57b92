//! `log_line_prefix`: parsing the setting and matching it against lines.

use crate::{DecodeError, ErrorKind};

/// The values a prefix escape can carry, indexing [`Values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Esc {
    /// `%a` application name.
    App = 0,
    /// `%u` user name.
    User,
    /// `%d` database name.
    Db,
    /// `%r` remote host and port, `host(port)`.
    RemoteHostPort,
    /// `%h` remote host.
    RemoteHost,
    /// `%L` local address.
    LocalAddr,
    /// `%p` process id.
    Pid,
    /// `%P` parallel group leader pid.
    LeaderPid,
    /// `%m` time with milliseconds.
    TimeMs,
    /// `%t` time.
    Time,
    /// `%n` epoch time with milliseconds.
    TimeEpoch,
    /// `%c` session id.
    Session,
    /// `%l` session line number.
    LineNum,
    /// `%s` session start time.
    SessionStart,
    /// `%v` virtual transaction id.
    Vxid,
    /// `%x` transaction id.
    Xid,
    /// `%e` SQLSTATE.
    SqlState,
    /// `%i` command tag.
    CommandTag,
    /// `%b` backend type.
    BackendType,
    /// `%Q` query id.
    QueryId,
}

/// Number of [`Esc`] values.
pub(crate) const ESC_COUNT: usize = 20;

impl Esc {
    fn from_char(c: char) -> Option<Esc> {
        Some(match c {
            'a' => Esc::App,
            'u' => Esc::User,
            'd' => Esc::Db,
            'r' => Esc::RemoteHostPort,
            'h' => Esc::RemoteHost,
            'L' => Esc::LocalAddr,
            'p' => Esc::Pid,
            'P' => Esc::LeaderPid,
            'm' => Esc::TimeMs,
            't' => Esc::Time,
            'n' => Esc::TimeEpoch,
            'c' => Esc::Session,
            'l' => Esc::LineNum,
            's' => Esc::SessionStart,
            'v' => Esc::Vxid,
            'x' => Esc::Xid,
            'e' => Esc::SqlState,
            'i' => Esc::CommandTag,
            'b' => Esc::BackendType,
            'Q' => Esc::QueryId,
            _ => return None,
        })
    }

    /// Whether the value is free text, delimited only by what follows it.
    fn is_free(self) -> bool {
        matches!(
            self,
            Esc::App
                | Esc::User
                | Esc::Db
                | Esc::RemoteHostPort
                | Esc::RemoteHost
                | Esc::LocalAddr
                | Esc::CommandTag
                | Esc::BackendType
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Lit(String),
    Esc(Esc),
    /// `%q`: what follows is absent for non-session processes.
    Quiet,
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone)]
pub(crate) struct Prefix {
    items: Vec<Item>,
}

/// Byte ranges of escape values in a matched line, indexed by [`Esc`].
pub(crate) type Values = [Option<(usize, usize)>; ESC_COUNT];

/// Message severities and the follow-on lines of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Log,
    Error,
    Fatal,
    Panic,
    Warning,
    Notice,
    Info,
    Debug,
    Statement,
    Detail,
    Hint,
    Context,
    Query,
    Location,
}

const LEVELS: &[(&str, Level)] = &[
    ("LOG", Level::Log),
    ("ERROR", Level::Error),
    ("FATAL", Level::Fatal),
    ("PANIC", Level::Panic),
    ("WARNING", Level::Warning),
    ("NOTICE", Level::Notice),
    ("INFO", Level::Info),
    ("DEBUG", Level::Debug),
    ("DEBUG1", Level::Debug),
    ("DEBUG2", Level::Debug),
    ("DEBUG3", Level::Debug),
    ("DEBUG4", Level::Debug),
    ("DEBUG5", Level::Debug),
    ("STATEMENT", Level::Statement),
    ("DETAIL", Level::Detail),
    ("HINT", Level::Hint),
    ("CONTEXT", Level::Context),
    ("QUERY", Level::Query),
    ("LOCATION", Level::Location),
];

impl Level {
    /// The level named `s` (as PostgreSQL writes it).
    pub(crate) fn from_name(s: &str) -> Option<Level> {
        LEVELS.iter().find(|(n, _)| *n == s).map(|(_, l)| *l)
    }

    /// The name, as PostgreSQL writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Log => "LOG",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
            Level::Panic => "PANIC",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Statement => "STATEMENT",
            Level::Detail => "DETAIL",
            Level::Hint => "HINT",
            Level::Context => "CONTEXT",
            Level::Query => "QUERY",
            Level::Location => "LOCATION",
        }
    }

    /// Whether lines of this level belong to the report before them.
    pub(crate) fn is_follow_on(self) -> bool {
        matches!(
            self,
            Level::Statement
                | Level::Detail
                | Level::Hint
                | Level::Context
                | Level::Query
                | Level::Location
        )
    }

    /// Whether this is an error severity.
    pub(crate) fn is_error(self) -> bool {
        matches!(self, Level::Error | Level::Fatal | Level::Panic)
    }
}

/// `LEVEL:  ` at the start of `s`: the level and the message offset.
pub(crate) fn level_at(s: &str) -> Option<(Level, usize)> {
    let colon = s.bytes().take(10).position(|c| c == b':')?;
    let level = Level::from_name(s.get(..colon)?)?;
    let after = s.get(colon + 1..)?;
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if spaces == 0 && !after.is_empty() {
        return None;
    }
    Some((level, colon + 1 + spaces))
}

/// Where a `LEVEL:  ` marker starts in `s`, for a free-text value that ends
/// the prefix.
fn find_level(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|t| t.find(":  ")) {
        let colon = from + i;
        let word_start = s[..colon].rfind([' ', ':', ']']).map_or(0, |p| p + 1);
        if Level::from_name(&s[word_start..colon]).is_some() {
            return Some(word_start);
        }
        from = colon + 1;
    }
    None
}

impl Prefix {
    /// Compiles a `log_line_prefix` setting. Escapes this decoder cannot
    /// match, a free-text escape directly followed by another escape, and a
    /// prefix without a time are errors.
    pub(crate) fn parse(setting: &str) -> Result<Prefix, DecodeError> {
        let err =
            |why: String| DecodeError::new(ErrorKind::Schema, format!("log_line_prefix: {why}"));
        let mut items: Vec<Item> = Vec::new();
        let mut lit = String::new();
        let mut chars = setting.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            let Some(e) = chars.next() else {
                return Err(err("ends with a lone `%`".into()));
            };
            if e == '%' {
                lit.push('%');
                continue;
            }
            if !lit.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut lit)));
            }
            if e == 'q' {
                items.push(Item::Quiet);
            } else if let Some(esc) = Esc::from_char(e) {
                items.push(Item::Esc(esc));
            } else if e.is_ascii_digit() || e == '-' {
                return Err(err("padded escapes (`%-10u`) are not supported".into()));
            } else {
                return Err(err(format!("unsupported escape `%{}`", e.escape_debug())));
            }
        }
        if !lit.is_empty() {
            items.push(Item::Lit(lit));
        }
        for (i, item) in items.iter().enumerate() {
            let Item::Esc(esc) = item else { continue };
            if !esc.is_free() {
                continue;
            }
            let next = items[i + 1..].iter().find(|it| **it != Item::Quiet);
            if let Some(Item::Esc(_)) = next {
                return Err(err(
                    "a text escape (%a %u %d %h %r %L %i %b) is directly followed by another escape"
                        .into(),
                ));
            }
        }
        let has_time = items
            .iter()
            .any(|it| matches!(it, Item::Esc(Esc::TimeMs | Esc::Time | Esc::TimeEpoch)));
        if !has_time {
            return Err(err("no time escape (%m, %t or %n)".into()));
        }
        Ok(Prefix { items })
    }

    /// Matches the prefix at the start of `line`: the escape values and the
    /// offset of the level that follows it, with the level and the offset
    /// of the message.
    pub(crate) fn matches(&self, line: &str) -> Option<(Values, Level, usize)> {
        let mut vals: Values = [None; ESC_COUNT];
        let mut pos = 0;
        let mut i = 0;
        while let Some(item) = self.items.get(i) {
            let rest = line.get(pos..)?;
            match item {
                Item::Lit(s) => {
                    if !rest.starts_with(s.as_str()) {
                        return None;
                    }
                    pos += s.len();
                }
                Item::Quiet => {
                    if level_at(rest).is_some() {
                        break;
                    }
                }
                Item::Esc(esc) if esc.is_free() => {
                    let next = self.items[i + 1..].iter().find(|it| **it != Item::Quiet);
                    let len = match next {
                        Some(Item::Lit(s)) => rest.find(s.as_str())?,
                        _ => find_level(rest)?,
                    };
                    vals[*esc as usize] = Some((pos, pos + len));
                    pos += len;
                }
                Item::Esc(esc) => {
                    let len = fixed_len(*esc, rest.as_bytes())?;
                    vals[*esc as usize] = Some((pos, pos + len));
                    pos += len;
                }
            }
            i += 1;
        }
        let (level, msg) = level_at(line.get(pos..)?)?;
        Some((vals, level, pos + msg))
    }
}

fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Length of a `YYYY-MM-DD HH:MM:SS[.fff] TZ` time at the start of `b`.
pub(crate) fn time_len(b: &[u8], millis: bool) -> Option<usize> {
    let shape = b.get(..19)?;
    let ok = shape.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b' ',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !ok {
        return None;
    }
    let mut n = 19;
    if millis {
        if b.get(19) != Some(&b'.') {
            return None;
        }
        let d = digits(b.get(20..)?);
        if d == 0 {
            return None;
        }
        n = 20 + d;
    }
    if b.get(n) != Some(&b' ') {
        return None;
    }
    let tz = b
        .get(n + 1..)?
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'+' || **c == b'-')
        .count();
    if tz == 0 {
        return None;
    }
    Some(n + 1 + tz)
}

/// Length of a fixed-shape escape value at the start of `b`.
fn fixed_len(esc: Esc, b: &[u8]) -> Option<usize> {
    let n = match esc {
        Esc::TimeMs => time_len(b, true)?,
        Esc::Time | Esc::SessionStart => time_len(b, false)?,
        Esc::TimeEpoch => {
            let a = digits(b);
            if a == 0 || b.get(a) != Some(&b'.') {
                return None;
            }
            a + 1 + digits(b.get(a + 1..)?)
        }
        Esc::Pid | Esc::LeaderPid | Esc::LineNum | Esc::Xid => {
            let n = digits(b);
            if n == 0 && esc != Esc::LeaderPid {
                return None;
            }
            n
        }
        Esc::QueryId => {
            usize::from(b.first() == Some(&b'-'))
                + digits(b.get(usize::from(b.first() == Some(&b'-'))..)?)
        }
        Esc::Session => b
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() || **c == b'.')
            .count(),
        Esc::Vxid => b
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'/' || **c == b'-')
            .count(),
        Esc::SqlState => {
            let n = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
            if n != 5 {
                return None;
            }
            n
        }
        _ => return None,
    };
    Some(n)
}

/// The prefixes tried when none is configured, most specific first.
pub(crate) const CANDIDATES: &[&str] = &[
    // pgBadger's recommendation.
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    // Amazon RDS / Aurora.
    "%t:%r:%u@%d:[%p]:",
    // Debian and Ubuntu packages (also matches PostgreSQL's default `%m [%p] `).
    "%m [%p] %q%u@%d ",
    "%t [%p] %q%u@%d ",
    "%m [%p] ",
    "%t [%p] ",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn val<'a>(line: &'a str, v: &Values, e: Esc) -> Option<&'a str> {
        v[e as usize].map(|(a, b)| &line[a..b])
    }

    #[test]
    fn debian_prefix_with_and_without_session() {
        let p = Prefix::parse("%m [%p] %q%u@%d ").unwrap();
        let l = "2024-03-01 10:00:00.123 UTC [4242] alice@ehr LOG:  AUDIT: x";
        let (v, lvl, msg) = p.matches(l).unwrap();
        assert_eq!(lvl, Level::Log);
        assert_eq!(&l[msg..], "AUDIT: x");
        assert_eq!(val(l, &v, Esc::User), Some("alice"));
        assert_eq!(val(l, &v, Esc::Db), Some("ehr"));
        assert_eq!(val(l, &v, Esc::Pid), Some("4242"));
        assert_eq!(val(l, &v, Esc::TimeMs), Some("2024-03-01 10:00:00.123 UTC"));
        let l = "2024-03-01 10:00:00.123 UTC [1] LOG:  database system is ready";
        let (v, _, msg) = p.matches(l).unwrap();
        assert_eq!(val(l, &v, Esc::User), None);
        assert_eq!(&l[msg..], "database system is ready");
    }

    #[test]
    fn rds_and_pgbadger() {
        let p = Prefix::parse(CANDIDATES[2]).unwrap();
        let l = "2024-03-01 10:00:00 UTC:198.51.100.7(50432):bob@ehr:[77]:ERROR:  boom";
        let (v, lvl, _) = p.matches(l).unwrap();
        assert_eq!(lvl, Level::Error);
        assert_eq!(val(l, &v, Esc::RemoteHostPort), Some("198.51.100.7(50432)"));
        let p = Prefix::parse(CANDIDATES[0]).unwrap();
        let l =
            "2024-03-01 10:00:00 UTC [77]: [3-1] user=bob,db=ehr,app=psql,client=10.1.2.3 LOG:  x";
        let (v, _, _) = p.matches(l).unwrap();
        assert_eq!(val(l, &v, Esc::App), Some("psql"));
        assert_eq!(val(l, &v, Esc::RemoteHost), Some("10.1.2.3"));
        assert_eq!(val(l, &v, Esc::LineNum), Some("3"));
    }

    #[test]
    fn bad_prefixes() {
        assert!(Prefix::parse("%m %z ").is_err());
        assert!(Prefix::parse("%m %u%d ").is_err());
        assert!(Prefix::parse("[%p] ").is_err());
        assert!(Prefix::parse("%m %").is_err());
        assert!(Prefix::parse("%m %-10u ").is_err());
        assert!(Prefix::parse("%m 100%% %u ").is_ok());
    }
}
