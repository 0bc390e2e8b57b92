//! Unit tests of the pattern parser and compiler.

use phiwatch_event::Timestamp;

use crate::model::{HashKind, Observable};

use super::*;
fn parse(s: &str) -> Pattern {
    match parse_pattern(s) {
        Ok(p) => p,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn single(s: &str) -> Comparison {
    match parse(s).expr {
        ObsExpr::Observation(CompExpr::Test(c)) => c,
        other => panic!("{s}: not one comparison: {other:?}"),
    }
}

fn key(k: &str) -> PathStep {
    PathStep::Key(k.into())
}

#[test]
fn object_paths() {
    let c = single("[file:hashes.'SHA-256' = 'ab']");
    assert_eq!(c.path.object_type, "file");
    assert_eq!(c.path.steps, vec![key("hashes"), key("SHA-256")]);
    let c = single("[file:hashes.SHA-256 = 'ab']");
    assert_eq!(c.path.steps, vec![key("hashes"), key("SHA-256")]);
    let c = single("[email-message:body_multipart[*].body_raw_ref.name = 'x']");
    assert_eq!(
        c.path.steps,
        vec![
            key("body_multipart"),
            PathStep::Index(None),
            key("body_raw_ref"),
            key("name")
        ]
    );
    let c = single("[network-traffic:dst_ref.value = '10.0.0.1']");
    assert_eq!(c.path.to_string(), "network-traffic:dst_ref.value");
    let c = single("[x-thing:list[3].\"odd name\" = 1]");
    assert_eq!(c.path.steps[1], PathStep::Index(Some(3)));
    assert_eq!(c.path.to_string(), "x-thing:list[3].'odd name'");
}

#[test]
fn constants() {
    let v = |s: &str| single(s).value;
    assert_eq!(
        v(r"[a:b = 'it\'s \\ here']"),
        Some(Constant::Str("it's \\ here".into()))
    );
    assert_eq!(v("[a:b = -42]"), Some(Constant::Int(-42)));
    assert_eq!(v("[a:b > 4.5]"), Some(Constant::Float(4.5)));
    assert_eq!(v("[a:b = TRUE]"), Some(Constant::Bool(true)));
    assert_eq!(v("[a:b = h'ff00']"), Some(Constant::Hex("ff00".into())));
    assert_eq!(v("[a:b = b'AAE=']"), Some(Constant::Binary("AAE=".into())));
    let t = Timestamp::parse_rfc3339(b"2020-01-01T00:00:00Z");
    assert_eq!(
        v("[a:b < t'2020-01-01T00:00:00Z']"),
        t.map(Constant::Timestamp)
    );
    assert_eq!(
        v("[a:b IN ('x', 2)]"),
        Some(Constant::Set(vec![
            Constant::Str("x".into()),
            Constant::Int(2)
        ]))
    );
    assert_eq!(v("[a:b IN ()]"), Some(Constant::Set(vec![])));
}

#[test]
fn operators() {
    let op = |s: &str| {
        let c = single(s);
        (c.op, c.negated)
    };
    assert_eq!(op("[a:b == 1]"), (Op::Eq, false));
    assert_eq!(op("[a:b <> 1]"), (Op::Neq, false));
    assert_eq!(op("[a:b NOT LIKE 'x%']"), (Op::Like, true));
    assert_eq!(op("[a:b matches '^x']"), (Op::Matches, false));
    assert_eq!(op("[a:b ISSUBSET '10.0.0.0/8']"), (Op::IsSubset, false));
    assert_eq!(op("[a:b ISSUPERSET '10.0.0.0/8']"), (Op::IsSuperset, false));
    assert_eq!(op("[a:b >= 1]"), (Op::Ge, false));
    assert_eq!(op("[a:b <= 1]"), (Op::Le, false));
    assert_eq!(op("[EXISTS a:b]"), (Op::Exists, false));
    assert_eq!(op("[NOT EXISTS a:b]"), (Op::Exists, true));
}

#[test]
fn precedence_and_qualifiers() {
    // AND binds tighter than OR, OR tighter than FOLLOWEDBY.
    let p = parse("[a:b = 1] OR [a:b = 2] AND [a:b = 3] FOLLOWEDBY [a:b = 4]");
    let ObsExpr::FollowedBy(items) = p.expr else {
        panic!("not FOLLOWEDBY")
    };
    assert_eq!(items.len(), 2);
    let ObsExpr::Or(ors) = &items[0] else {
        panic!("not OR")
    };
    assert!(matches!(&ors[1], ObsExpr::And(a) if a.len() == 2));
    let p = parse("[a:b = 1 OR a:b = 2 AND a:b = 3 OR (a:b = 4)]");
    let ObsExpr::Observation(CompExpr::Or(ors)) = p.expr else {
        panic!("not OR")
    };
    assert_eq!(ors.len(), 3);
    assert!(matches!(&ors[1], CompExpr::And(a) if a.len() == 2));
    let p = parse("([a:b = 1] AND [c:d = 2]) WITHIN 300 SECONDS REPEATS 2 TIMES");
    let ObsExpr::Qualified(_, q) = p.expr else {
        panic!("not qualified")
    };
    assert_eq!(q, vec![Qualifier::Within(300.0), Qualifier::Repeats(2)]);
    let p = parse("[a:b = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00.5Z'");
    assert!(matches!(p.expr, ObsExpr::Qualified(_, q) if matches!(q[0], Qualifier::StartStop(..))));
    parse("/* c */ [a:b = 1] // trailing");
}

#[test]
fn errors_say_what_and_where() {
    let e = |s: &str| match parse_pattern(s) {
        Ok(p) => panic!("{s} parsed: {p:?}"),
        Err(e) => (e.position, e.reason),
    };
    assert_eq!(e("").0, 0);
    assert!(e("").1.contains("expected an observation"));
    let (at, why) = e("[file:hashes:sha256 = 'x']");
    assert_eq!(at, 12);
    assert!(why.contains("comparison operator"), "{why}");
    let (at, why) = e("[a:b = 'open]");
    assert_eq!((at, why.as_str()), (7, "unterminated string"));
    assert!(e(r"[a:b = 'bad \n escape']").1.contains("invalid escape"));
    assert!(e("[a:b = 1").1.contains("']'"));
    assert!(e("[a:b = 1] [a:b = 2]").1.contains("after the pattern"));
    assert!(e("[a:b LIKE 5]").1.contains("LIKE needs a string"));
    assert!(e("[a:b = t'2020-13-01']").1.contains("invalid timestamp"));
    assert!(e("[a:b = h'abc']").1.contains("hex"));
    assert!(e("[a:b = 99999999999999999999]").1.contains("out of range"));
    assert!(e("[a:b = 1] WITHIN 0 SECONDS").1.contains("WITHIN"));
    assert!(e("[a:b = 1] WITHIN 5 MINUTES").1.contains("SECONDS"));
    let deep = format!("{}[a:b = 1]{}", "(".repeat(100), ")".repeat(100));
    assert!(e(&deep).1.contains("nested more than"));
    let t = e("[a:b = 1] WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS WITHIN 1 SECONDS");
    assert!(t.1.contains("more than three"));
}

#[test]
fn long_chains_are_flat() {
    let many = vec!["[a:b = 1]"; 5000].join(" OR ");
    let ObsExpr::Or(items) = parse(&many).expr else {
        panic!("not OR")
    };
    assert_eq!(items.len(), 5000);
}

fn groups(s: &str) -> Groups {
    match compile_pattern(s) {
        Ok(g) => g,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn refused(s: &str) -> String {
    match compile_pattern(s) {
        Ok(g) => panic!("{s} compiled: {g:?}"),
        Err(PatternError::NotEvaluated(why)) => why,
        Err(e) => panic!("{s}: parse error {e}"),
    }
}

fn ip(s: &str) -> Observable {
    Observable::Ip(crate::normalize::parse_ip_net(s).unwrap_or_else(|| panic!("{s}")))
}

#[test]
fn compiles_each_supported_path() {
    let one = |s: &str| {
        let g = groups(s);
        assert_eq!(g.len(), 1, "{s}");
        assert_eq!(g[0].len(), 1, "{s}");
        g[0][0].clone()
    };
    assert_eq!(
        one("[ipv4-addr:value = '198.51.100.7']"),
        ip("198.51.100.7")
    );
    assert_eq!(one("[ipv6-addr:value = '2001:DB8::1']"), ip("2001:db8::1"));
    assert_eq!(
        one("[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
        ip("198.51.100.0/24")
    );
    assert_eq!(
        one("[network-traffic:dst_ref.value = '203.0.113.9']"),
        ip("203.0.113.9")
    );
    assert_eq!(
        one("[network-traffic:src_ref.value = 'Evil.Example']"),
        Observable::Domain("evil.example".into())
    );
    assert_eq!(
        one("[domain-name:value = 'bücher.example.']"),
        Observable::Domain("xn--bcher-kva.example".into())
    );
    assert_eq!(
        one("[url:value = 'HTTP://Evil.Example:80/a']"),
        Observable::Url("http://evil.example/a".into())
    );
    assert_eq!(
        one("[email-addr:value = 'Bad@Evil.Example']"),
        Observable::Email("bad@evil.example".into())
    );
    assert_eq!(
        one("[email-message:sender_ref.value = 'x@evil.example']"),
        Observable::Email("x@evil.example".into())
    );
    assert_eq!(
        one("[email-message:from_ref.value = 'y@evil.example']"),
        Observable::Email("y@evil.example".into())
    );
    assert_eq!(
        one("[file:name = 'Crypt1.exe']"),
        Observable::FileName("Crypt1.exe".into())
    );
    let md5 = "D41D8CD98F00B204E9800998ECF8427E";
    let lower = md5.to_ascii_lowercase();
    assert_eq!(
        one(&format!("[file:hashes.MD5 = '{md5}']")),
        Observable::FileHash(HashKind::Md5, lower.clone())
    );
    assert_eq!(
        one(&format!("[x509-certificate:hashes.'md5' = '{md5}']")),
        Observable::CertHash(HashKind::Md5, lower)
    );
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    assert_eq!(
        one(&format!("[file:hashes.SHA1 = '{sha1}']")),
        Observable::FileHash(HashKind::Sha1, sha1.into())
    );
    assert_eq!(
        one("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'EvilBot/1.0']"),
        Observable::UserAgent("EvilBot/1.0".into())
    );
}

#[test]
fn and_or_become_groups() {
    let g = groups("[ipv4-addr:value = '192.0.2.1' OR domain-name:value = 'evil.example']");
    assert_eq!(
        g,
        vec![
            vec![ip("192.0.2.1")],
            vec![Observable::Domain("evil.example".into())]
        ]
    );
    let g = groups("[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'evil.example']");
    assert_eq!(
        g,
        vec![vec![
            ip("192.0.2.1"),
            Observable::Domain("evil.example".into())
        ]]
    );
    let g = groups("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2') AND (url:value = 'http://a.example/' OR url:value = 'http://b.example/')]");
    assert_eq!(g.len(), 4);
    assert!(g.iter().all(|grp| grp.len() == 2));
    let g = groups("[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.1'] OR [ipv6-addr:value = '::1']");
    assert_eq!(g, vec![vec![ip("192.0.2.1")], vec![ip("::1")]]);
}

#[test]
fn refuses_with_reasons() {
    let cases = [
        (
            "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'x.example']",
            "AND between observations",
        ),
        (
            "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'x.example']",
            "FOLLOWEDBY",
        ),
        (
            "[ipv4-addr:value = '192.0.2.1'] WITHIN 60 SECONDS",
            "qualifier WITHIN 60 SECONDS",
        ),
        (
            "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES",
            "REPEATS 5 TIMES",
        ),
        (
            "[ipv4-addr:value != '192.0.2.1']",
            "operator != on ipv4-addr:value",
        ),
        ("[ipv4-addr:value NOT = '192.0.2.1']", "NOT ="),
        (
            "[network-traffic:dst_port > 1024]",
            "property network-traffic:dst_port",
        ),
        ("[url:value > 'http://a.example/']", "operator >"),
        ("[url:value LIKE 'http://%']", "operator LIKE"),
        ("[file:name MATCHES '^a']", "operator MATCHES"),
        (
            "[domain-name:value ISSUBSET 'example']",
            "operator ISSUBSET",
        ),
        ("[EXISTS file:name]", "operator EXISTS"),
        ("[process:name = 'evil.exe']", "object type process"),
        ("[file:size = 10]", "property file:size"),
        ("[file:hashes.SSDEEP = 'x']", "hash SSDEEP"),
        (
            "[email-message:to_refs[*].value = 'a@b.example']",
            "list path",
        ),
        ("[ipv4-addr:value = 'not an address']", "not an IP address"),
        (
            "[file:hashes.MD5 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
            "not a MD5 hash",
        ),
        ("[ipv4-addr:value = 7]", "non-string"),
        ("[ipv4-addr:value IN ()]", "empty set"),
    ];
    for (pattern, want) in cases {
        let why = refused(pattern);
        assert!(why.contains(want), "{pattern}: {why}");
    }
    // 8 × 8 = 64 groups is accepted; 8 × 9 is not.
    let set = |n: usize, f: &dyn Fn(usize) -> String| {
        let items: Vec<String> = (0..n).map(|i| format!("'{}'", f(i))).collect();
        items.join(", ")
    };
    let v4 = |i: usize| format!("192.0.2.{i}");
    let dom = |i: usize| format!("d{i}.example");
    let p = format!(
        "[ipv4-addr:value IN ({}) AND domain-name:value IN ({})]",
        set(8, &v4),
        set(8, &dom)
    );
    assert_eq!(groups(&p).len(), 64);
    let p = format!(
        "[ipv4-addr:value IN ({}) AND domain-name:value IN ({})]",
        set(8, &v4),
        set(9, &dom)
    );
    assert!(refused(&p).contains("more than 64"));
}
