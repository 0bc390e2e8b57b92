//! Compiling a STIX pattern into what the matcher evaluates: any of several
//! groups of observables, each group all seen in one event. Only what exact,
//! CIDR and domain-suffix matching can answer is compiled; anything else is
//! refused with the reason, never dropped or approximated.

use crate::model::{HashKind, Observable};
use crate::normalize::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net,
};

use super::parse::{parse_pattern, ParseError};
use super::pattern::{CompExpr, Comparison, Constant, ObjectPath, ObsExpr, Op, PathStep, Pattern};

/// The most groups a pattern may expand to when AND is distributed over OR
/// inside one observation.
pub const MAX_GROUPS: usize = 64;

/// Why a pattern is not evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// It does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// It parses, but phiwatch cannot evaluate it by exact matching.
    #[error("{0}")]
    NotEvaluated(String),
}

/// What a pattern looks for: any of these groups, each group's observables
/// all in one event.
pub type Groups = Vec<Vec<Observable>>;

/// Parses and compiles a STIX pattern.
///
/// ```
/// use phiwatch_intel::stix::compile_pattern;
/// use phiwatch_intel::Observable;
/// let g = compile_pattern("[domain-name:value IN ('Evil.Example.', 'bad.example')]").unwrap();
/// assert_eq!(g, vec![
///     vec![Observable::Domain("evil.example".into())],
///     vec![Observable::Domain("bad.example".into())],
/// ]);
/// let e = compile_pattern("[a:b = 1] FOLLOWEDBY [c:d = 2]").unwrap_err();
/// assert!(e.to_string().contains("FOLLOWEDBY"));
/// ```
pub fn compile_pattern(text: &str) -> Result<Groups, PatternError> {
    let p = parse_pattern(text)?;
    compile(&p).map_err(PatternError::NotEvaluated)
}

/// Compiles a parsed pattern, or says why it cannot be evaluated.
pub fn compile(pattern: &Pattern) -> Result<Groups, String> {
    let mut groups = observation(&pattern.expr)?;
    dedup_groups(&mut groups);
    Ok(groups)
}

fn observation(e: &ObsExpr) -> Result<Groups, String> {
    match e {
        ObsExpr::Observation(c) => comparison_expr(c),
        ObsExpr::Or(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(observation(item)?);
            }
            Ok(out)
        }
        ObsExpr::And(_) => {
            Err("AND between observations needs correlation across events; not evaluated".into())
        }
        ObsExpr::FollowedBy(_) => {
            Err("FOLLOWEDBY needs ordered correlation across events; not evaluated".into())
        }
        ObsExpr::Qualified(_, quals) => {
            let names: Vec<String> = quals.iter().map(ToString::to_string).collect();
            Err(format!(
                "qualifier {} needs counting or timing across events; not evaluated",
                names.join(" ")
            ))
        }
    }
}

fn comparison_expr(c: &CompExpr) -> Result<Groups, String> {
    match c {
        CompExpr::Test(t) => Ok(test(t)?.into_iter().map(|o| vec![o]).collect()),
        CompExpr::Or(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(comparison_expr(item)?);
            }
            Ok(out)
        }
        CompExpr::And(items) => {
            let mut acc: Groups = vec![Vec::new()];
            for item in items {
                let alts = comparison_expr(item)?;
                if acc.len().saturating_mul(alts.len()) > MAX_GROUPS {
                    return Err(format!(
                        "AND over OR expands to more than {MAX_GROUPS} alternatives; not evaluated"
                    ));
                }
                acc = product(&acc, &alts);
            }
            Ok(acc)
        }
    }
}

fn product(a: &Groups, b: &Groups) -> Groups {
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut g = x.clone();
            for o in y {
                if !g.contains(o) {
                    g.push(o.clone());
                }
            }
            out.push(g);
        }
    }
    out
}

fn dedup_groups(groups: &mut Groups) {
    for g in groups.iter_mut() {
        g.sort();
        g.dedup();
    }
    let mut seen = Vec::with_capacity(groups.len());
    groups.retain(|g| {
        if seen.contains(g) {
            false
        } else {
            seen.push(g.clone());
            true
        }
    });
}

/// What kind of observable an object path's values become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Ip,
    IpOrDomain,
    Domain,
    Url,
    Email,
    FileHash(HashKind),
    CertHash(HashKind),
    FileName,
    UserAgent,
}

/// The observables one comparison stands for (any of them).
fn test(t: &Comparison) -> Result<Vec<Observable>, String> {
    if t.negated {
        return Err(format!("NOT {} on {} is not evaluated", t.op, t.path));
    }
    let target = target(&t.path)?;
    let one = |c: &Constant| match c {
        Constant::Str(s) => observable(target, s, &t.path),
        _ => Err(format!(
            "{} is compared with a non-string constant; not evaluated",
            t.path
        )),
    };
    match (t.op, &t.value) {
        (Op::Eq, Some(c)) => Ok(vec![one(c)?]),
        (Op::In, Some(Constant::Set(items))) if !items.is_empty() => {
            items.iter().map(one).collect()
        }
        (Op::In, _) => Err(format!(
            "{} IN an empty set never matches; not evaluated",
            t.path
        )),
        (Op::IsSubset, Some(Constant::Str(s)))
            if matches!(target, Target::Ip | Target::IpOrDomain) =>
        {
            let net = parse_ip_net(s)
                .ok_or_else(|| format!("{} ISSUBSET '{s}': not a network", t.path))?;
            Ok(vec![Observable::Ip(net)])
        }
        (op, _) => Err(format!(
            "operator {op} on {} is not evaluated (only =, IN, and ISSUBSET on addresses)",
            t.path
        )),
    }
}

fn target(path: &ObjectPath) -> Result<Target, String> {
    let mut keys = Vec::with_capacity(path.steps.len());
    for step in &path.steps {
        match step {
            PathStep::Key(k) => keys.push(k.as_str()),
            PathStep::Index(_) => return Err(format!("list path {path} is not evaluated")),
        }
    }
    let t = match (path.object_type.as_str(), keys.as_slice()) {
        ("ipv4-addr" | "ipv6-addr", ["value"]) => Target::Ip,
        ("network-traffic", ["dst_ref" | "src_ref", "value"]) => Target::IpOrDomain,
        ("domain-name", ["value"]) => Target::Domain,
        ("url", ["value"]) => Target::Url,
        ("email-addr", ["value"]) => Target::Email,
        ("email-message", ["from_ref" | "sender_ref", "value"]) => Target::Email,
        ("file", ["name"]) => Target::FileName,
        ("file", ["hashes", h]) => Target::FileHash(hash_kind(h, path)?),
        ("x509-certificate", ["hashes", h]) => Target::CertHash(hash_kind(h, path)?),
        ("network-traffic", ["extensions", "http-request-ext", "request_header", h])
            if h.eq_ignore_ascii_case("user-agent") =>
        {
            Target::UserAgent
        }
        (
            "ipv4-addr" | "ipv6-addr" | "network-traffic" | "domain-name" | "url" | "email-addr"
            | "email-message" | "file" | "x509-certificate",
            _,
        ) => return Err(format!("property {path} is not evaluated")),
        (other, _) => return Err(format!("object type {other} is not evaluated ({path})")),
    };
    Ok(t)
}

fn hash_kind(name: &str, path: &ObjectPath) -> Result<HashKind, String> {
    let n = name.to_ascii_uppercase().replace('-', "");
    match n.as_str() {
        "MD5" => Ok(HashKind::Md5),
        "SHA1" => Ok(HashKind::Sha1),
        "SHA256" => Ok(HashKind::Sha256),
        "SHA512" => Ok(HashKind::Sha512),
        _ => Err(format!(
            "hash {name} in {path} is not evaluated (MD5, SHA-1, SHA-256, SHA-512 are)"
        )),
    }
}

fn observable(target: Target, s: &str, path: &ObjectPath) -> Result<Observable, String> {
    let bad = |what: &str| format!("{path} = '{s}': not {what}");
    let o = match target {
        Target::Ip => Observable::Ip(parse_ip_net(s).ok_or_else(|| bad("an IP address"))?),
        Target::IpOrDomain => match parse_ip_net(s) {
            Some(n) => Observable::Ip(n),
            None => {
                Observable::Domain(normalize_domain(s).ok_or_else(|| bad("an address or domain"))?)
            }
        },
        Target::Domain => {
            Observable::Domain(normalize_domain(s).ok_or_else(|| bad("a domain name"))?)
        }
        Target::Url => Observable::Url(normalize_url(s).ok_or_else(|| bad("a URL"))?),
        Target::Email => {
            Observable::Email(normalize_email(s).ok_or_else(|| bad("an email address"))?)
        }
        Target::FileHash(k) => {
            let (k, h) = normalize_hash(s, Some(k))
                .ok_or_else(|| bad(&format!("a {} hash", k.stix_name())))?;
            Observable::FileHash(k, h)
        }
        Target::CertHash(k) => {
            let (k, h) = normalize_hash(s, Some(k))
                .ok_or_else(|| bad(&format!("a {} hash", k.stix_name())))?;
            Observable::CertHash(k, h)
        }
        Target::FileName if !s.is_empty() => Observable::FileName(s.to_string()),
        Target::UserAgent if !s.is_empty() => Observable::UserAgent(s.to_string()),
        Target::FileName | Target::UserAgent => return Err(bad("a non-empty value")),
    };
    Ok(o)
}
