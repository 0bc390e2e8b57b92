//! De-duplication keys.
//!
//! Every finding and ledger entry gets two 128-bit keys (BLAKE3 over a
//! length-prefixed encoding, truncated), each UNIQUE in its table:
//!
//! - the **content key**: every `path:line` reference rewritten to
//!   `<content-hash>:line` with the hash the run registered for that path,
//!   and an incident's member ids replaced by their members' content keys.
//!   The same bytes read under another name or directory give the same
//!   key.
//! - the **path key**: the references as given. The same record read again
//!   from a file that has grown since (a live log) gives the same key,
//!   although the file's hash changed.
//!
//! A row whose content key or path key is already stored is a duplicate.

use std::collections::HashMap;

use phiwatch_finding::{Detector, Finding};
use phiwatch_scope::Access;

/// A 128-bit key.
pub(crate) type Key = [u8; 16];

/// The paths a run registered: path → (content hash, `sources.id`).
#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    paths: HashMap<String, (String, i64)>,
}

/// A `path:line` reference resolved through a [`SourceMap`].
pub(crate) struct Resolved<'a> {
    /// `<content-hash>:line` (or the reference itself when unregistered).
    pub content: std::borrow::Cow<'a, str>,
    /// The `sources.id` of the path, when registered.
    pub source: Option<i64>,
}

impl SourceMap {
    pub(crate) fn insert(&mut self, path: String, hash: String, id: i64) {
        self.paths.insert(path, (hash, id));
    }

    /// Rewrites `path:line` (or a bare path) to `<hash>:line`.
    pub(crate) fn resolve<'a>(&self, reference: &'a str) -> Resolved<'a> {
        let (path, line) = split_reference(reference);
        match self.paths.get(path) {
            Some((hash, id)) => Resolved {
                content: match line {
                    Some(l) => format!("{hash}:{l}").into(),
                    None => hash.clone().into(),
                },
                source: Some(*id),
            },
            None => Resolved {
                content: reference.into(),
                source: None,
            },
        }
    }
}

/// Splits `path:line` at the last colon followed only by digits; a
/// reference without such a suffix is all path.
pub(crate) fn split_reference(reference: &str) -> (&str, Option<&str>) {
    match reference.rsplit_once(':') {
        Some((path, line))
            if !line.is_empty() && !path.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (path, Some(line))
        }
        _ => (reference, None),
    }
}

/// BLAKE3 over length-prefixed fields.
#[derive(Clone)]
struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    fn new(domain: &str) -> KeyHasher {
        let mut h = KeyHasher(blake3::Hasher::new());
        h.field(domain.as_bytes());
        h
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn int(&mut self, n: i64) {
        self.0.update(&n.to_le_bytes());
    }

    fn finish(&self) -> Key {
        let mut k = [0u8; 16];
        k.copy_from_slice(&self.0.finalize().as_bytes()[..16]);
        k
    }
}

/// A key as 32 lower-case hex digits.
pub(crate) fn hex(k: &Key) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(32);
    for b in k {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A finding's keys.
pub(crate) struct Keys {
    pub content: Key,
    pub path: Key,
    /// Some reference could not be rewritten (unregistered path, unknown
    /// incident member).
    pub unregistered: bool,
}

/// The group key of an incident that lists its member ids.
pub(crate) const MEMBERS_GROUP: &str = "findings";

/// The member ids an incident lists (its `group.findings`, comma
/// separated).
pub(crate) fn member_ids(f: &Finding) -> Vec<&str> {
    if f.detector != Detector::Incident {
        return Vec::new();
    }
    f.group
        .get(MEMBERS_GROUP)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The keys of `f`. `member` gives the content key of a member finding id
/// (for incidents), when known.
pub(crate) fn finding_keys(
    f: &Finding,
    sources: &SourceMap,
    member: &mut dyn FnMut(&str) -> Option<Key>,
) -> Keys {
    let mut unregistered = false;
    let mut content_ev: Vec<(String, i64, u64)> = Vec::with_capacity(f.evidence.len());
    let mut path_ev: Vec<(&str, i64, u64)> = Vec::with_capacity(f.evidence.len());
    for e in &f.evidence {
        let r = sources.resolve(&e.source);
        unregistered |= r.source.is_none();
        let record = e.record.unwrap_or(0);
        content_ev.push((r.content.into_owned(), e.time.as_nanos(), record));
        path_ev.push((&e.source, e.time.as_nanos(), record));
    }
    // Sorted: an incident's evidence order can depend on member ids.
    content_ev.sort();
    path_ev.sort();

    let members = member_ids(f);
    let mut content_members: Vec<String> = Vec::with_capacity(members.len());
    for id in &members {
        match member(id) {
            Some(k) => content_members.push(hex(&k)),
            None => {
                unregistered = true;
                content_members.push(format!("id:{id}"));
            }
        }
    }
    content_members.sort();
    let mut path_members = members.clone();
    path_members.sort_unstable();

    let mut c = KeyHasher::new("phiwatch-store/finding/v1");
    head(&mut c, f);
    let mut p = KeyHasher::new("phiwatch-store/finding/v1");
    head(&mut p, f);
    for (k, v) in &f.group {
        c.field(k.as_bytes());
        p.field(k.as_bytes());
        if k == MEMBERS_GROUP && f.detector == Detector::Incident {
            c.field(content_members.join(",").as_bytes());
            p.field(path_members.join(",").as_bytes());
        } else {
            c.field(v.as_bytes());
            p.field(v.as_bytes());
        }
    }
    for (s, t, r) in &content_ev {
        c.field(s.as_bytes());
        c.int(*t);
        c.int(*r as i64);
    }
    for (s, t, r) in &path_ev {
        p.field(s.as_bytes());
        p.int(*t);
        p.int(*r as i64);
    }
    Keys {
        content: c.finish(),
        path: p.finish(),
        unregistered,
    }
}

/// The fields of a finding's identity that hold no reference.
fn head(h: &mut KeyHasher, f: &Finding) {
    h.field(f.detector.as_str().as_bytes());
    h.field(f.rule.id.as_bytes());
    h.int(f.time.as_nanos());
    h.int(f.group.len() as i64);
    h.int(f.evidence.len() as i64);
}

/// An access's keys from its stored JSON: BLAKE3 over the JSON without
/// its source, then the source as given (path key) or rewritten (content
/// key). The common part is hashed once.
pub(crate) fn access_keys(
    a: &Access,
    json: &str,
    content_source: &str,
) -> serde_json::Result<(Key, Key)> {
    let mut h = KeyHasher::new("phiwatch-store/access/v1");
    match without_source(a, json)? {
        Without::Prefix(p) => h.field(p.as_bytes()),
        Without::Owned(j) => h.field(j.as_bytes()),
    }
    let mut c = h.clone();
    h.field(a.source.as_bytes());
    c.field(content_source.as_bytes());
    Ok((c.finish(), h.finish()))
}

/// The content and path keys of an hourly flow: what identifies it (inside
/// and outside address, hour), then its first record as `<hash>:line` or
/// as `path:line`. Its totals and names are not in the keys: the same
/// records read again (with other companion logs, or a log that grew) are
/// the same flow.
pub(crate) fn flow_keys(f: &phiwatch_scope::Flow, content_source: &str) -> (Key, Key) {
    let mut h = KeyHasher::new("phiwatch-store/flow/v2");
    h.field(
        f.src
            .map(|ip| ip.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    h.field(
        f.dst
            .map(|ip| ip.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    h.int(f.hour.as_nanos());
    let mut content = h.clone();
    h.field(f.source.as_bytes());
    content.field(content_source.as_bytes());
    (content.finish(), h.finish())
}

/// An access's JSON without its source.
enum Without<'a> {
    /// The stored JSON up to its last field, `"source":…}`.
    Prefix(&'a str),
    /// Serialized with an empty source (should `source` ever not come
    /// last).
    Owned(String),
}

fn without_source<'a>(a: &Access, json: &'a str) -> serde_json::Result<Without<'a>> {
    let quoted = serde_json::to_string(&a.source)?;
    if let Some(p) = json
        .strip_suffix('}')
        .and_then(|j| j.strip_suffix(quoted.as_str()))
        .and_then(|j| j.strip_suffix("\"source\":"))
    {
        return Ok(Without::Prefix(p));
    }
    let mut c = a.clone();
    c.source = String::new();
    serde_json::to_string(&c).map(Without::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_last_numeric_colon() {
        for (r, want) in [
            ("logs/a.log:17", ("logs/a.log", Some("17"))),
            ("C:\\logs\\a.log:3", ("C:\\logs\\a.log", Some("3"))),
            ("a:b", ("a:b", None)),
            ("noline", ("noline", None)),
            (":5", (":5", None)),
            ("x:", ("x:", None)),
            ("-:0", ("-", Some("0"))),
        ] {
            assert_eq!(split_reference(r), want, "{r}");
        }
    }

    #[test]
    fn resolve_rewrites_registered_paths_only() {
        let mut m = SourceMap::default();
        m.insert("logs/a.log".into(), "abc".into(), 4);
        let r = m.resolve("logs/a.log:17");
        assert_eq!((&*r.content, r.source), ("abc:17", Some(4)));
        let r = m.resolve("logs/a.log");
        assert_eq!((&*r.content, r.source), ("abc", Some(4)));
        let r = m.resolve("logs/b.log:17");
        assert_eq!((&*r.content, r.source), ("logs/b.log:17", None));
    }

    fn access(source: &str) -> Access {
        serde_json::from_str(&format!(
            r#"{{"time":"2026-11-28T10:00:00Z","silo":"s","action":"SELECT","reach":"bulk","source":{}}}"#,
            serde_json::to_string(source).unwrap()
        ))
        .unwrap()
    }

    #[test]
    fn access_keys_hash_the_json_without_its_source_once() {
        for src in ["logs/a.log:3", "we\"ird\\name.log:1", "-:0"] {
            let a = access(src);
            let json = serde_json::to_string(&a).unwrap();
            match without_source(&a, &json).unwrap() {
                Without::Prefix(p) => assert!(p.ends_with(r#""reach":"bulk","#), "{p}"),
                Without::Owned(_) => panic!("source is the last field of Access: {json}"),
            }
            let (c, p) = access_keys(&a, &json, "abc:3").unwrap();
            assert_ne!(c, p);
            // Same access under another path, same content: same content
            // key, another path key.
            let b = access("copy/x.log:3");
            let jb = serde_json::to_string(&b).unwrap();
            let (cb, pb) = access_keys(&b, &jb, "abc:3").unwrap();
            assert_eq!(cb, c);
            assert_ne!(pb, p);
            // Unregistered: the content key is the path key.
            let (c2, p2) = access_keys(&a, &json, src).unwrap();
            assert_eq!((c2, p2), (p, p));
        }
    }
}
