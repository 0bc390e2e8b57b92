#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Matching indicators over events: one `check` per feature, with the
//! indicators, the event's fields and the hits expected as
//! (indicator index, field, value).

use std::net::IpAddr;

use phiwatch_event::{keys, Event, Key, Timestamp, Value};
use phiwatch_intel::matcher::{Hit, IntelSet, Sightings};
use phiwatch_intel::{
    normalize_domain, normalize_email, normalize_hash, normalize_url, parse_ip_net, HashKind,
    Indicator, Observable,
};

/// A field value to put in a test event.
enum F<'a> {
    Ip(&'a str),
    S(&'a str),
    List(&'a [&'a str]),
}

fn ip(s: &str) -> Observable {
    Observable::Ip(parse_ip_net(s).unwrap())
}
fn domain(s: &str) -> Observable {
    Observable::Domain(normalize_domain(s).unwrap())
}
fn url(s: &str) -> Observable {
    Observable::Url(normalize_url(s).unwrap())
}
fn file_hash(s: &str) -> Observable {
    let (k, h) = normalize_hash(s, None).unwrap();
    Observable::FileHash(k, h)
}

fn ind(o: Observable) -> Indicator {
    Indicator::of(o, "test.txt")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs).unwrap()
}

fn event_at(t: Timestamp, fields: &[(Key, F<'_>)]) -> Event {
    let mut ev = Event::new(t);
    for (k, v) in fields {
        let value = match v {
            F::Ip(s) => Value::Ip(s.parse::<IpAddr>().unwrap()),
            F::S(s) => ev.store_str(s),
            F::List(items) => {
                let vals: Vec<Value> = items
                    .iter()
                    .map(|s| match s.parse::<IpAddr>() {
                        Ok(a) => Value::Ip(a),
                        Err(_) => ev.store_str(s),
                    })
                    .collect();
                ev.store_list(vals)
            }
        };
        ev.push_norm(*k, value);
    }
    ev
}

fn hits_of(set: &IntelSet, ev: &Event) -> Vec<(usize, &'static str, String)> {
    let mut out = Vec::new();
    set.matches(ev, &mut out);
    out.into_iter()
        .map(|h| (h.indicator, h.field, h.value))
        .collect()
}

/// Builds a set of `indicators`, matches one event of `fields` at time
/// 1000 s and compares the hits.
fn check(indicators: Vec<Indicator>, fields: &[(Key, F<'_>)], want: &[(usize, &str, &str)]) {
    let set = IntelSet::new(&indicators);
    let ev = event_at(at(1000), fields);
    let got = hits_of(&set, &ev);
    let want: Vec<(usize, &str, String)> = want
        .iter()
        .map(|(i, f, v)| (*i, *f, v.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn exact_ipv4_and_ipv6() {
    let inds = || vec![ind(ip("192.0.2.7")), ind(ip("2001:DB8::7"))];
    check(
        inds(),
        &[(keys::SOURCE_IP, F::Ip("192.0.2.7"))],
        &[(0, "source.ip", "192.0.2.7")],
    );
    check(
        inds(),
        &[(keys::DESTINATION_IP, F::Ip("2001:db8:0::7"))],
        &[(1, "destination.ip", "2001:db8::7")],
    );
    check(inds(), &[(keys::SOURCE_IP, F::Ip("192.0.2.8"))], &[]);
    // An address as text, in an address field, and v4-mapped IPv6.
    check(
        inds(),
        &[(keys::CLIENT_IP, F::S("192.0.2.7"))],
        &[(0, "client.ip", "192.0.2.7")],
    );
    check(
        inds(),
        &[(keys::SERVER_ADDRESS, F::S("[2001:db8::7]"))],
        &[(1, "server.address", "[2001:db8::7]")],
    );
    check(inds(), &[(keys::SOURCE_ADDRESS, F::S("not-an-ip"))], &[]);
    check(
        inds(),
        &[(keys::HOST_IP, F::Ip("::ffff:192.0.2.7"))],
        &[(0, "host.ip", "::ffff:192.0.2.7")],
    );
}

#[test]
fn overlapping_cidrs_all_match() {
    let inds = || {
        vec![
            ind(ip("10.0.0.0/8")),
            ind(ip("10.1.0.0/16")),
            ind(ip("10.1.2.3")),
        ]
    };
    check(
        inds(),
        &[(keys::DESTINATION_IP, F::Ip("10.1.2.3"))],
        &[
            (0, "destination.ip", "10.1.2.3"),
            (1, "destination.ip", "10.1.2.3"),
            (2, "destination.ip", "10.1.2.3"),
        ],
    );
    check(
        inds(),
        &[(keys::DESTINATION_IP, F::Ip("10.2.0.1"))],
        &[(0, "destination.ip", "10.2.0.1")],
    );
    check(inds(), &[(keys::DESTINATION_IP, F::Ip("11.1.2.3"))], &[]);
}

#[test]
fn ipv6_cidr() {
    let inds = || vec![ind(ip("2001:db8::/32")), ind(ip("2001:db8:abcd::/48"))];
    check(
        inds(),
        &[(keys::SOURCE_IP, F::Ip("2001:db8:abcd:1::5"))],
        &[
            (0, "source.ip", "2001:db8:abcd:1::5"),
            (1, "source.ip", "2001:db8:abcd:1::5"),
        ],
    );
    check(
        inds(),
        &[(keys::SOURCE_IP, F::Ip("2001:db8:1::5"))],
        &[(0, "source.ip", "2001:db8:1::5")],
    );
    check(inds(), &[(keys::SOURCE_IP, F::Ip("2001:db9::5"))], &[]);
    // An IPv4 address never falls in an IPv6 network.
    check(inds(), &[(keys::SOURCE_IP, F::Ip("32.1.13.184"))], &[]);
}

#[test]
fn subdomains_match_their_parent() {
    let inds = || vec![ind(domain("evil.example"))];
    let q = keys::DNS_QUESTION_NAME;
    check(
        inds(),
        &[(q, F::S("x.evil.example"))],
        &[(0, "dns.question.name", "x.evil.example")],
    );
    check(
        inds(),
        &[(q, F::S("a.b.evil.example"))],
        &[(0, "dns.question.name", "a.b.evil.example")],
    );
    check(
        inds(),
        &[(q, F::S("evil.example"))],
        &[(0, "dns.question.name", "evil.example")],
    );
    check(inds(), &[(q, F::S("notevil.example"))], &[]);
    check(inds(), &[(q, F::S("evil.example.com"))], &[]);
    check(inds(), &[(q, F::S("example"))], &[]);
}

#[test]
fn trailing_dots_uppercase_and_idn_names() {
    let inds = || vec![ind(domain("evil.example")), ind(domain("bücher.example"))];
    let sni = keys::TLS_CLIENT_SERVER_NAME;
    check(
        inds(),
        &[(sni, F::S("WWW.Evil.Example."))],
        &[(0, "tls.client.server_name", "WWW.Evil.Example.")],
    );
    check(
        inds(),
        &[(sni, F::S("shop.BÜCHER.example"))],
        &[(1, "tls.client.server_name", "shop.BÜCHER.example")],
    );
    check(
        inds(),
        &[(keys::URL_DOMAIN, F::S("xn--bcher-kva.example"))],
        &[(1, "url.domain", "xn--bcher-kva.example")],
    );
    check(inds(), &[(sni, F::S("bucher.example"))], &[]);
}

#[test]
fn dns_answers_are_addresses_and_names() {
    let inds = || vec![ind(ip("198.51.100.0/24")), ind(domain("cdn.evil.example"))];
    check(
        inds(),
        &[
            (keys::DNS_QUESTION_NAME, F::S("innocent.example")),
            (
                keys::DNS_ANSWERS_DATA,
                F::List(&["edge.cdn.evil.example", "198.51.100.9", "203.0.113.1"]),
            ),
        ],
        &[
            (0, "dns.answers.data", "198.51.100.9"),
            (1, "dns.answers.data", "edge.cdn.evil.example"),
        ],
    );
}

#[test]
fn urls_are_normalized_and_their_hosts_matched() {
    let inds = || {
        vec![
            ind(url("http://evil.example/payload?id=1")),
            ind(domain("other.example")),
            ind(ip("203.0.113.5")),
        ]
    };
    let full = keys::URL_FULL;
    let want = [(0, "url.full", "HTTP://Evil.EXAMPLE:80/payload?id=1#top")];
    check(
        inds(),
        &[(full, F::S("HTTP://Evil.EXAMPLE:80/payload?id=1#top"))],
        &want,
    );
    check(
        inds(),
        &[(full, F::S("http://evil.example/payload?id=2"))],
        &[],
    );
    check(
        inds(),
        &[(full, F::S("https://evil.example/payload?id=1"))],
        &[],
    );
    check(
        inds(),
        &[(keys::URL_ORIGINAL, F::S("https://a.other.example:8443/x"))],
        &[(1, "url.original", "https://a.other.example:8443/x")],
    );
    check(
        inds(),
        &[(keys::URL_ORIGINAL, F::S("http://203.0.113.5/x"))],
        &[(2, "url.original", "http://203.0.113.5/x")],
    );
    // A path joined to url.domain.
    check(
        inds(),
        &[
            (keys::URL_DOMAIN, F::S("EVIL.example")),
            (keys::URL_ORIGINAL, F::S("/payload?id=1")),
        ],
        &[(0, "url.original", "/payload?id=1")],
    );
}

#[test]
fn hashes_fingerprints_and_identities() {
    let sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let inds = || {
        vec![
            ind(file_hash(sha)),
            ind(Observable::CertHash(
                HashKind::Sha1,
                "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3".into(),
            )),
            ind(Observable::Email(
                normalize_email("Bad.Actor@Evil.Example").unwrap(),
            )),
            ind(Observable::Ja3(md5.into())),
            ind(Observable::Ja4(
                "t13d1516h2_8daaf6152771_b186095e22b6".into(),
            )),
            ind(Observable::UserAgent("EvilBot/1.0".into())),
            ind(Observable::FileName("exfil.zip".into())),
            ind(Observable::Ja3s(md5.into())),
        ]
    };
    check(
        inds(),
        &[(keys::FILE_HASH_SHA256, F::S(sha))],
        &[(0, "file.hash.sha256", sha)],
    );
    let lower = sha.to_ascii_lowercase();
    check(
        inds(),
        &[(keys::FILE_HASH_SHA256, F::S(&lower))],
        &[(0, "file.hash.sha256", &lower)],
    );
    check(
        inds(),
        &[(
            keys::TLS_SERVER_HASH_SHA1,
            F::S("A94A8FE5CCB19BA61C4C0873D391E987982FBBD3"),
        )],
        &[(
            1,
            "tls.server.hash.sha1",
            "A94A8FE5CCB19BA61C4C0873D391E987982FBBD3",
        )],
    );
    // A certificate hash is not a file hash.
    check(
        inds(),
        &[(
            keys::FILE_HASH_SHA1,
            F::S("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
        )],
        &[],
    );
    check(
        inds(),
        &[(keys::USER_EMAIL, F::S("bad.actor@EVIL.example"))],
        &[(2, "user.email", "bad.actor@EVIL.example")],
    );
    check(
        inds(),
        &[(keys::TLS_CLIENT_JA3, F::S(md5))],
        &[(3, "tls.client.ja3", md5)],
    );
    check(
        inds(),
        &[(keys::TLS_SERVER_JA3S, F::S(md5))],
        &[(7, "tls.server.ja3s", md5)],
    );
    let ja4 = "t13d1516h2_8daaf6152771_b186095e22b6";
    check(
        inds(),
        &[(keys::TLS_CLIENT_JA4, F::S(ja4))],
        &[(4, "tls.client.ja4", ja4)],
    );
    check(
        inds(),
        &[(keys::USER_AGENT_ORIGINAL, F::S("EvilBot/1.0"))],
        &[(5, "user_agent.original", "EvilBot/1.0")],
    );
    check(
        inds(),
        &[(keys::USER_AGENT_ORIGINAL, F::S("evilbot/1.0"))],
        &[],
    );
    check(
        inds(),
        &[(keys::FILE_NAME, F::S("exfil.zip"))],
        &[(6, "file.name", "exfil.zip")],
    );
}

#[test]
fn and_group_needs_every_observable_in_one_event() {
    let mut both = ind(ip("192.0.2.1"));
    both.any_of = vec![vec![ip("192.0.2.1"), domain("evil.example")]];
    let inds = || vec![both.clone()];
    check(inds(), &[(keys::DESTINATION_IP, F::Ip("192.0.2.1"))], &[]);
    check(
        inds(),
        &[(keys::TLS_CLIENT_SERVER_NAME, F::S("evil.example"))],
        &[],
    );
    check(
        inds(),
        &[
            (keys::DESTINATION_IP, F::Ip("192.0.2.1")),
            (keys::TLS_CLIENT_SERVER_NAME, F::S("www.evil.example")),
        ],
        &[
            (0, "destination.ip", "192.0.2.1"),
            (0, "tls.client.server_name", "www.evil.example"),
        ],
    );
    // OR of groups: the second group alone is enough.
    let mut either = both.clone();
    either
        .any_of
        .push(vec![file_hash("d41d8cd98f00b204e9800998ecf8427e")]);
    let set = IntelSet::new(&[either]);
    let ev = event_at(
        at(1),
        &[(
            keys::FILE_HASH_MD5,
            F::S("D41D8CD98F00B204E9800998ECF8427E"),
        )],
    );
    let mut out = Vec::new();
    set.matches(&ev, &mut out);
    assert_eq!(
        out.iter()
            .map(|h| (h.indicator, h.group))
            .collect::<Vec<_>>(),
        [(0, 1)]
    );
}

#[test]
fn an_observable_in_two_fields_is_reported_once() {
    check(
        vec![ind(domain("evil.example"))],
        &[
            (keys::URL_ORIGINAL, F::S("http://evil.example/a")),
            (keys::URL_DOMAIN, F::S("evil.example")),
        ],
        &[(0, "url.original", "http://evil.example/a")],
    );
}

#[test]
fn validity_window() {
    let mut i = ind(ip("192.0.2.1"));
    i.valid_from = Some(at(100));
    i.valid_until = Some(at(200));
    let set = IntelSet::new(&[i, ind(ip("192.0.2.1"))]);
    for (t, want) in [
        (99, vec![1]),
        (100, vec![0, 1]),
        (200, vec![0, 1]),
        (201, vec![1]),
    ] {
        let ev = event_at(at(t), &[(keys::SOURCE_IP, F::Ip("192.0.2.1"))]);
        let got: Vec<usize> = hits_of(&set, &ev).into_iter().map(|h| h.0).collect();
        assert_eq!(got, want, "at {t}");
    }
}

#[test]
fn no_match_allocates_nothing() {
    let set = IntelSet::new(&[
        ind(ip("192.0.2.1")),
        ind(ip("10.0.0.0/8")),
        ind(domain("evil.example")),
        ind(url("http://evil.example/x")),
        ind(file_hash("d41d8cd98f00b204e9800998ecf8427e")),
    ]);
    let ev = event_at(
        at(1),
        &[
            (keys::SOURCE_IP, F::Ip("192.0.2.2")),
            (keys::DESTINATION_IP, F::Ip("2001:db8::1")),
            (keys::DNS_QUESTION_NAME, F::S("www.Innocent.example.")),
            (
                keys::URL_ORIGINAL,
                F::S("https://innocent.example/evil.example/x"),
            ),
            (
                keys::FILE_HASH_MD5,
                F::S("00000000000000000000000000000000"),
            ),
        ],
    );
    let mut out: Vec<Hit> = Vec::with_capacity(0);
    set.matches(&ev, &mut out);
    assert!(out.is_empty());
    assert_eq!(out.capacity(), 0);
}

#[test]
fn hits_already_in_out_are_kept() {
    let set = IntelSet::new(&[ind(ip("192.0.2.1"))]);
    let ev = event_at(at(1), &[(keys::SOURCE_IP, F::Ip("192.0.2.1"))]);
    let mut out = Vec::new();
    set.matches(&ev, &mut out);
    set.matches(&ev, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], out[1]);
}

#[test]
fn first_and_last_sighting_across_history() {
    let set = IntelSet::new(&[
        ind(ip("192.0.2.1")),
        ind(domain("evil.example")),
        ind(ip("192.0.2.99")),
    ]);
    let events = [
        event_at(at(300), &[(keys::SOURCE_IP, F::Ip("192.0.2.1"))]),
        event_at(at(100), &[(keys::DESTINATION_IP, F::Ip("192.0.2.1"))]),
        event_at(
            at(200),
            &[(keys::DNS_QUESTION_NAME, F::S("a.evil.example"))],
        ),
        event_at(
            at(500),
            &[(keys::DNS_QUESTION_NAME, F::S("b.evil.example"))],
        ),
        event_at(at(400), &[(keys::SOURCE_IP, F::Ip("192.0.2.2"))]),
    ];
    let mut sightings = Sightings::new();
    let mut hits = Vec::new();
    for (line, ev) in events.iter().enumerate() {
        hits.clear();
        set.matches(ev, &mut hits);
        sightings.record(ev.time(), &hits, &line);
    }
    let got: Vec<(usize, u64, Timestamp, Timestamp, usize)> = sightings
        .iter()
        .map(|(i, s)| (i, s.count, s.first, s.last, s.values.len()))
        .collect();
    assert_eq!(
        got,
        [(0, 2, at(100), at(300), 2), (1, 2, at(200), at(500), 2)]
    );
    let s0 = sightings.get(0).unwrap();
    assert_eq!(s0.earliest, vec![(at(100), 1), (at(300), 0)]);
    assert_eq!(s0.latest, (at(300), 0));
    assert!(sightings.get(2).is_none());
}
