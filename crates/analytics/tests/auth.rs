#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The authentication analytics over small hand-made sign-in series.

use phiwatch_analytics::auth::{Auth, Config, SprayGroup};
use phiwatch_analytics::context::{Context, Vendor};
use phiwatch_analytics::{Analytic, AnalyticHit};
use phiwatch_event::{keys, Event, Origin, Timestamp, Value};
use phiwatch_finding::Level;

/// Monday 2026-11-02 00:00:00 UTC.
const T0: i64 = 1_793_577_600;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

const VENDOR: &str = "acme.support@acme-billing.example";

/// One sign-in record.
#[derive(Clone)]
struct S {
    secs: i64,
    dataset: &'static str,
    action: &'static str,
    outcome: &'static str,
    user: String,
    ip: String,
    asn: Option<i64>,
    country: Option<&'static str>,
    city: Option<&'static str>,
    geo: Option<(f64, f64)>,
    mfa: Option<bool>,
    code: Option<&'static str>,
}

impl S {
    fn okta(secs: i64, outcome: &'static str, user: &str, ip: &str) -> S {
        S {
            secs,
            dataset: "okta.system",
            action: "user.session.start",
            outcome,
            user: user.to_string(),
            ip: ip.to_string(),
            asn: None,
            country: None,
            city: None,
            geo: None,
            mfa: None,
            code: None,
        }
    }
    fn fail(secs: i64, user: &str, ip: &str) -> S {
        S::okta(secs, "failure", user, ip)
    }
    fn login(secs: i64, user: &str, ip: &str) -> S {
        S::okta(secs, "success", user, ip)
    }
    /// Okta's MFA step.
    fn mfa_step(secs: i64, user: &str, ip: &str) -> S {
        S {
            action: "user.authentication.auth_via_mfa",
            mfa: Some(true),
            ..S::okta(secs, "success", user, ip)
        }
    }
    /// An Entra sign-in, which says whether MFA was used.
    fn entra(secs: i64, outcome: &'static str, user: &str, ip: &str, mfa: Option<bool>) -> S {
        S {
            dataset: "entra.signin",
            action: "sign-in",
            mfa,
            ..S::okta(secs, outcome, user, ip)
        }
    }
    fn net(mut self, asn: i64, country: &'static str) -> S {
        self.asn = Some(asn);
        self.country = Some(country);
        self
    }
    fn at(mut self, city: &'static str, lat: f64, lon: f64) -> S {
        self.city = Some(city);
        self.geo = Some((lat, lon));
        self
    }
    fn mfa(mut self, used: bool) -> S {
        self.mfa = Some(used);
        self
    }
    fn event(&self) -> Event {
        let mut ev = Event::new(Timestamp::from_secs(T0 + self.secs).unwrap());
        ev.set_origin(Origin {
            line: self.secs.unsigned_abs(),
            record: self.secs.unsigned_abs(),
            ..Origin::default()
        });
        ev.push_norm(keys::EVENT_DATASET, Value::Static(self.dataset));
        ev.push_norm(keys::EVENT_CATEGORY, Value::Static("authentication"));
        ev.push_norm(keys::EVENT_ACTION, Value::Static(self.action));
        ev.push_norm(keys::EVENT_OUTCOME, Value::Static(self.outcome));
        ev.push_norm_str(keys::USER_NAME, &self.user);
        if let Ok(ip) = self.ip.parse() {
            ev.push_norm(keys::SOURCE_IP, Value::Ip(ip));
        }
        if let Some(a) = self.asn {
            ev.push_norm(keys::SOURCE_AS_NUMBER, Value::Int(a));
        }
        if let Some(c) = self.country {
            ev.push_norm(keys::SOURCE_GEO_COUNTRY_ISO_CODE, Value::Static(c));
        }
        if let Some(c) = self.city {
            ev.push_norm(keys::SOURCE_GEO_CITY_NAME, Value::Static(c));
        }
        if let Some((la, lo)) = self.geo {
            ev.push_norm(keys::SOURCE_GEO_LATITUDE, Value::Float(la));
            ev.push_norm(keys::SOURCE_GEO_LONGITUDE, Value::Float(lo));
        }
        if let Some(m) = self.mfa {
            ev.push_norm(keys::PHIWATCH_AUTH_MFA, Value::Bool(m));
        }
        if let Some(c) = self.code {
            ev.push_norm(keys::ERROR_CODE, Value::Static(c));
        }
        ev
    }
}

fn ctx() -> Context {
    Context {
        vendors: vec![Vendor {
            name: "Acme Billing Services".into(),
            accounts: vec![VENDOR.into(), "acme_support".into()],
            networks: vec!["192.0.2.16/28".parse().unwrap()],
            domains: vec!["acme-billing.example".into()],
            hours: None,
        }],
        ..Context::default()
    }
}

fn run(a: &mut Auth, series: &[S]) -> Vec<AnalyticHit> {
    let mut hits = Vec::new();
    for s in series {
        a.observe(&s.event(), &mut hits);
    }
    hits
}

fn fresh(series: &[S]) -> (Auth, Vec<AnalyticHit>) {
    let mut a = Auth::new(Config::default(), &ctx());
    let hits = run(&mut a, series);
    (a, hits)
}

fn named<'h>(hits: &'h [AnalyticHit], analytic: &str) -> Vec<&'h AnalyticHit> {
    hits.iter().filter(|h| h.analytic == analytic).collect()
}

/// `n` users failing once each from addresses of 203.0.113.0/24, one every
/// 20 s from `start`.
fn spray(start: i64, n: usize) -> Vec<S> {
    (0..n)
        .map(|i| {
            S::fail(
                start + i as i64 * 20,
                &format!("user{i:03}"),
                &format!("203.0.113.{}", 10 + i % 30),
            )
            .net(64_510, "NL")
        })
        .collect()
}

/// Five days of logins with MFA at 08:00 from the office for `user`.
fn habit(user: &str) -> Vec<S> {
    (0..5)
        .flat_map(|d| {
            let t = d * DAY + 8 * HOUR;
            [
                S::login(t, user, "198.51.100.250")
                    .net(64_500, "US")
                    .at("Boston", 42.36, -71.06)
                    .mfa(true),
                S::mfa_step(t + 2, user, "198.51.100.250"),
            ]
        })
        .collect()
}

// --- password-spray ---

#[test]
fn a_spray_from_one_network_is_high() {
    let (a, hits) = fresh(&spray(19 * HOUR, 40));
    let sprays = named(&hits, "password-spray");
    assert_eq!(sprays.len(), 1, "{hits:#?}");
    let h = sprays[0];
    assert_eq!(h.level, Level::High);
    assert_eq!(h.group["kind"], "source");
    assert_eq!(h.group["source"], "203.0.113.0/24");
    assert!(h.tags.contains(&"attack.t1110.003".to_string()));
    assert!(!h.title.contains("user0"), "{}", h.title);
    let m = &h.metrics;
    assert_eq!(m["failed_users"], 10.0);
    assert_eq!(m["addresses"], 10.0);
    assert_eq!(m["ok_users"], 0.0);
    for k in [
        "spray_window_s",
        "spray_min_users",
        "spray_max_success_ratio",
        "suppress_s",
    ] {
        assert!(m.contains_key(k), "{k}");
    }
    // Detected at the 10th user, 3 minutes in; the first failure starts it.
    assert_eq!(h.time, Timestamp::from_secs(T0 + 19 * HOUR).unwrap());
    assert_eq!(
        h.end_time,
        Timestamp::from_secs(T0 + 19 * HOUR + 180).unwrap()
    );
    assert!(h.evidence.len() >= 2 && h.evidence.len() <= 10);
    assert!(h.evidence.windows(2).all(|w| w[0].1 <= w[1].1));
    // Nothing else: no brute force (one failure per user), no distributed
    // spray (the source is already reported).
    assert_eq!(hits.len(), 1);
    assert_eq!(a.counters().failures, 40);
}

#[test]
fn a_user_the_spray_tries_often_is_not_also_brute_forced() {
    let mut s = spray(0, 40);
    // The spray comes back to one account twelve times in four minutes.
    s.extend((0..12).map(|i| S::fail(800 + i * 20, "user005", &format!("203.0.113.{}", 10 + i))));
    let (_, hits) = fresh(&s);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].analytic, "password-spray");
    // The same from an address that is not spraying is brute force.
    let mut s = spray(0, 40);
    s.extend((0..12).map(|i| S::fail(800 + i * 20, "user005", "198.51.100.9")));
    let (_, hits) = fresh(&s);
    assert_eq!(named(&hits, "brute-force").len(), 1, "{hits:#?}");
}

#[test]
fn too_few_users_or_a_busy_egress_is_no_spray() {
    let (_, hits) = fresh(&spray(0, 9));
    assert!(hits.is_empty(), "{hits:#?}");
    // The office egress: 100 users log in, 12 of them mistype once.
    let mut s: Vec<S> = (0..100)
        .map(|i| S::login(i * 10, &format!("staff{i}"), "198.51.100.250").mfa(true))
        .collect();
    s.extend((0..12).map(|i| S::fail(1000 + i * 10, &format!("staff{i}"), "198.51.100.250")));
    let (_, hits) = fresh(&s);
    assert!(named(&hits, "password-spray").is_empty(), "{hits:#?}");
}

#[test]
fn the_source_can_be_one_address_or_an_asn() {
    let c = Config {
        spray_group: SprayGroup::Ip,
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    // 40 users from 30 addresses: no address reaches 10 users; but the
    // distributed rule sees 30 sources.
    let hits = run(&mut a, &spray(0, 40));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].group["kind"], "distributed");
    let c = Config {
        spray_group: SprayGroup::Asn,
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let hits = run(&mut a, &spray(0, 40));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group["source"], "AS64510");
}

#[test]
fn a_distributed_spray_is_reported_per_target() {
    // 30 users, each failing once from a different network.
    let s: Vec<S> = (0..30)
        .map(|i| S::fail(i * 15, &format!("user{i}"), &format!("198.18.{i}.7")))
        .collect();
    let (_, hits) = fresh(&s);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.analytic, "password-spray");
    assert_eq!(h.group["kind"], "distributed");
    assert_eq!(h.group["target"], "okta.system");
    assert_eq!(h.metrics["failed_users"], 20.0);
    assert_eq!(h.metrics["sources"], 20.0);
    assert!(h.metrics.contains_key("distributed_min_sources"));
}

#[test]
fn people_who_mistype_and_then_log_in_are_no_distributed_spray() {
    let mut s = Vec::new();
    for i in 0..30 {
        let ip = format!("198.18.{i}.7");
        s.push(S::fail(i * 15, &format!("user{i}"), &ip));
        s.push(S::login(i * 15 + 5, &format!("user{i}"), &ip).mfa(true));
    }
    let (_, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn a_sprayed_user_logging_in_from_the_spraying_network_is_critical() {
    let mut s = spray(19 * HOUR, 40);
    s.push(S::fail(19 * HOUR + 900, VENDOR, "203.0.113.21"));
    // Later, the account logs in from another address of that network.
    s.push(S::login(20 * HOUR + 1800, VENDOR, "203.0.113.77").net(64_511, "RO"));
    // And someone never sprayed logs in from it too: not critical.
    s.push(S::login(20 * HOUR + 1900, "nobody", "203.0.113.78"));
    let (_, hits) = fresh(&s);
    let crit: Vec<_> = hits.iter().filter(|h| h.level == Level::Critical).collect();
    assert_eq!(crit.len(), 1, "{hits:#?}");
    let h = crit[0];
    assert_eq!(h.analytic, "password-spray");
    assert_eq!(h.group["kind"], "success");
    assert_eq!(h.entity.user.as_deref(), Some(VENDOR));
    assert_eq!(h.entity.ip.as_deref(), Some("203.0.113.77"));
    assert!(h.tags.contains(&"attack.t1078".to_string()));
    assert_eq!(h.metrics["since_failure_s"], 4500.0);
    // The vendor's login is also outside its networks.
    let v = named(&hits, "vendor-access");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].level, Level::High);
}

// --- brute-force ---

#[test]
fn many_failures_against_one_user_are_brute_force_and_a_success_after_is_high() {
    let mut s: Vec<S> = (0..12)
        .map(|i| S::fail(i * 20, "bob", "198.51.100.9"))
        .collect();
    s.push(S::login(600, "bob", "198.51.100.77"));
    s.push(S::login(700, "bob", "198.51.100.9"));
    let (_, hits) = fresh(&s);
    let b = named(&hits, "brute-force");
    assert_eq!(b.len(), 2, "{hits:#?}");
    assert_eq!(b[0].level, Level::Medium);
    assert_eq!(b[0].metrics["failures"], 10.0);
    assert_eq!(b[0].metrics["addresses"], 1.0);
    assert_eq!(b[0].entity.user.as_deref(), Some("bob"));
    assert!(b[0].tags.contains(&"attack.t1110.001".to_string()));
    assert_eq!(b[1].level, Level::High);
    assert_eq!(b[1].group["kind"], "success");
    assert_eq!(b[1].entity.ip.as_deref(), Some("198.51.100.9"));
    assert_eq!(b[1].metrics["since_failure_s"], 480.0);
}

#[test]
fn a_few_failures_or_a_success_from_elsewhere_is_not_brute_force() {
    let mut s: Vec<S> = (0..9)
        .map(|i| S::fail(i * 20, "bob", "198.51.100.9"))
        .collect();
    s.push(S::login(600, "bob", "198.51.100.9"));
    let (_, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
    // Ten failures spread over hours: never ten in 15 minutes.
    let s: Vec<S> = (0..10)
        .map(|i| S::fail(i * 1200, "bob", "198.51.100.9"))
        .collect();
    let (_, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
}

// --- new-network ---

#[test]
fn a_login_from_a_new_network_after_enough_history_is_medium() {
    let mut s = habit("alice");
    s.push(
        S::login(6 * DAY, "alice", "203.0.113.77")
            .net(64_511, "RO")
            .mfa(true),
    );
    let (_, hits) = fresh(&s);
    let n = named(&hits, "new-network");
    assert_eq!(n.len(), 1, "{hits:#?}");
    let h = n[0];
    assert_eq!(h.level, Level::Medium);
    assert_eq!(h.group["asn"], "64511");
    assert_eq!(h.group["country"], "RO");
    assert_eq!(h.metrics["new_asn"], 1.0);
    assert_eq!(h.metrics["new_country"], 1.0);
    assert_eq!(h.metrics["logins"], 5.0);
    assert_eq!(h.metrics["min_logins"], 5.0);
    assert_eq!(hits.len(), 1, "{hits:#?}");
}

#[test]
fn a_new_user_or_a_short_history_has_no_new_network() {
    // A new entity: its first login is from anywhere.
    let (_, hits) = fresh(&[S::login(0, "newbie", "203.0.113.77").net(64_511, "RO")]);
    assert!(hits.is_empty());
    // Two logins of history only.
    let mut s: Vec<S> = habit("carol").into_iter().take(4).collect();
    s.push(S::login(6 * DAY, "carol", "203.0.113.77").net(64_511, "RO"));
    let (_, hits) = fresh(&s);
    assert!(named(&hits, "new-network").is_empty(), "{hits:#?}");
    // An allowlisted ASN is never new.
    let c = Config {
        allow_asns: vec![64_511],
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let mut s = habit("alice");
    s.push(S::login(6 * DAY, "alice", "203.0.113.77").net(64_511, "US"));
    assert!(run(&mut a, &s).is_empty());
}

// --- impossible-travel ---

#[test]
fn boston_then_bucharest_in_half_an_hour_is_impossible() {
    let mut s = habit("alice");
    s.push(
        S::login(4 * DAY + 8 * HOUR + 1800, "alice", "198.51.100.40")
            .net(64_500, "US")
            .at("Bucharest", 44.43, 26.10)
            .mfa(true),
    );
    let (_, hits) = fresh(&s);
    let t = named(&hits, "impossible-travel");
    assert_eq!(t.len(), 1, "{hits:#?}");
    let h = t[0];
    assert_eq!(h.level, Level::High);
    assert!(h.metrics["distance_km"] > 7000.0);
    assert_eq!(h.metrics["elapsed_s"], 1800.0);
    assert!(h.metrics["speed_kmh"] > 14_000.0);
    assert_eq!(h.metrics["max_kmh"], 1000.0);
    assert_eq!(h.group["from"], "Boston, US");
    assert_eq!(h.group["to"], "Bucharest, US");
    assert_eq!(h.evidence.len(), 2);
}

#[test]
fn near_places_or_a_plausible_flight_are_not_impossible() {
    let mut s = habit("alice");
    // New York, 300 km, 30 minutes later: below travel_min_km.
    s.push(
        S::login(4 * DAY + 8 * HOUR + 1800, "alice", "198.51.100.41")
            .net(64_500, "US")
            .at("New York", 40.71, -74.01),
    );
    // London, 10 hours after that: about 560 km/h.
    s.push(
        S::login(4 * DAY + 18 * HOUR + 1800, "alice", "198.51.100.42")
            .net(64_500, "US")
            .at("London", 51.51, -0.13),
    );
    let (_, hits) = fresh(&s);
    assert!(named(&hits, "impossible-travel").is_empty(), "{hits:#?}");
    // Bucharest half an hour after Boston, through an allowlisted VPN.
    let c = Config {
        allow_asns: vec![64_999],
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let mut s = habit("alice");
    s.push(
        S::login(4 * DAY + 8 * HOUR + 1800, "alice", "198.51.100.40")
            .net(64_999, "RO")
            .at("Bucharest", 44.43, 26.10)
            .mfa(true),
    );
    let hits = run(&mut a, &s);
    assert!(named(&hits, "impossible-travel").is_empty(), "{hits:#?}");
    // Its country is still new to her.
    assert_eq!(named(&hits, "new-network").len(), 1);
}

// --- no-mfa ---

#[test]
fn a_vendor_login_without_an_mfa_step_is_high_after_the_grace() {
    let mut s = vec![S::login(20 * HOUR, VENDOR, "192.0.2.20")];
    // Other Okta events go on; 5 minutes later the wait is over.
    s.push(S::login(20 * HOUR + 200, "alice", "198.51.100.250").mfa(true));
    s.push(S::login(20 * HOUR + 301, "bob", "198.51.100.250").mfa(true));
    let (a, hits) = fresh(&s);
    let n = named(&hits, "no-mfa");
    assert_eq!(n.len(), 1, "{hits:#?}");
    let h = n[0];
    assert_eq!(h.level, Level::High);
    assert_eq!(h.group["vendor"], "Acme Billing Services");
    assert_eq!(h.metrics["vendor"], 1.0);
    assert_eq!(h.metrics["waited_s"], 301.0);
    assert_eq!(h.time, Timestamp::from_secs(T0 + 20 * HOUR).unwrap());
    assert!(h.tags.contains(&"attack.t1199".to_string()));
    assert_eq!(a.pending(), 0);
    // Inside its networks: no vendor-access.
    assert!(named(&hits, "vendor-access").is_empty());
}

#[test]
fn an_mfa_step_before_or_after_the_login_counts() {
    let s = vec![
        S::login(0, VENDOR, "192.0.2.20"),
        S::mfa_step(3, VENDOR, "192.0.2.20"),
        S::mfa_step(1000, VENDOR, "192.0.2.20"),
        S::login(1002, VENDOR, "192.0.2.20"),
        S::login(2000, "alice", "198.51.100.250").mfa(true),
    ];
    let (a, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.pending(), 0);
    assert_eq!(a.counters().mfa_steps, 2);
    // The vendor's own MFA a minute earlier does not cover an intruder's
    // login from elsewhere.
    let s = vec![
        S::login(0, VENDOR, "192.0.2.20"),
        S::mfa_step(2, VENDOR, "192.0.2.20"),
        S::login(60, VENDOR, "192.0.2.30"),
        S::mfa_step(61, VENDOR, "192.0.2.20"),
        S::login(400, "alice", "198.51.100.250").mfa(true),
    ];
    let (_, hits) = fresh(&s);
    let n = named(&hits, "no-mfa");
    assert_eq!(n.len(), 1, "{hits:#?}");
    assert_eq!(n[0].entity.ip.as_deref(), Some("192.0.2.30"));
}

#[test]
fn a_user_who_usually_uses_mfa_and_logs_in_without_is_medium() {
    let mut s: Vec<S> = (0..6)
        .map(|d| S::entra(d * DAY, "success", "dave", "198.51.100.250", Some(true)))
        .collect();
    s.push(S::entra(
        7 * DAY,
        "success",
        "dave",
        "198.51.100.250",
        Some(false),
    ));
    // Erin never uses MFA: nothing to say.
    s.extend((0..8).map(|d| {
        S::entra(
            d * DAY + 60,
            "success",
            "erin",
            "198.51.100.250",
            Some(false),
        )
    }));
    // The root account is privileged.
    s.push(S::entra(
        7 * DAY + 100,
        "success",
        "root",
        "198.51.100.250",
        Some(false),
    ));
    // From inside, a sign-on policy may skip MFA: not reported for dave.
    s.push(S::entra(
        8 * DAY,
        "success",
        "dave",
        "10.1.0.20",
        Some(false),
    ));
    let (_, hits) = fresh(&s);
    let n = named(&hits, "no-mfa");
    assert_eq!(n.len(), 2, "{hits:#?}");
    assert_eq!(n[0].entity.user.as_deref(), Some("dave"));
    assert_eq!(n[0].level, Level::Medium);
    assert_eq!(n[0].metrics["mfa_share"], 1.0);
    assert_eq!(n[0].metrics["mfa_logins"], 6.0);
    assert_eq!(n[1].entity.user.as_deref(), Some("root"));
    assert_eq!(n[1].level, Level::High);
    assert_eq!(n[1].metrics["privileged"], 1.0);
}

// --- dormant-account ---

#[test]
fn a_login_after_forty_days_is_dormant_even_across_a_restore() {
    let mut a = Auth::new(Config::default(), &ctx());
    let mut hits = run(
        &mut a,
        &[S::login(0, "old.timer", "198.51.100.250").mfa(true)],
    );
    let saved = a.save();
    let mut b = Auth::new(Config::default(), &ctx());
    b.restore(&saved).unwrap();
    hits.extend(run(
        &mut b,
        &[S::login(40 * DAY, "old.timer", "198.51.100.250").mfa(true)],
    ));
    let d = named(&hits, "dormant-account");
    assert_eq!(d.len(), 1, "{hits:#?}");
    assert_eq!(d[0].level, Level::Medium);
    assert_eq!(d[0].metrics["idle_days"], 40.0);
    assert_eq!(d[0].metrics["dormant_days"], 30.0);
    // Twenty days is not dormant.
    let (_, hits) = fresh(&[
        S::login(0, "u", "198.51.100.250").mfa(true),
        S::login(20 * DAY, "u", "198.51.100.250").mfa(true),
    ]);
    assert!(hits.is_empty());
    // 0 turns the rule off.
    let c = Config {
        dormant_days: 0,
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let s = [
        S::login(0, "u", "198.51.100.250").mfa(true),
        S::login(400 * DAY, "u", "198.51.100.250").mfa(true),
    ];
    assert!(run(&mut a, &s).is_empty());
}

// --- vendor-access ---

#[test]
fn a_vendor_outside_its_networks_or_hours_is_high() {
    let mut c = ctx();
    c.vendors[0].hours = Some((8, 18));
    let mut a = Auth::new(Config::default(), &c);
    let hits = run(
        &mut a,
        &[
            // Inside: networks and hours.
            S::login(10 * HOUR, VENDOR, "192.0.2.20").mfa(true),
            // Through the internal gateway (a database role).
            S::login(11 * HOUR, "acme_support", "10.0.2.10").mfa(true),
            // Outside the networks.
            S::login(DAY + 10 * HOUR, VENDOR, "203.0.113.77").mfa(true),
            // Outside the hours (another day: not suppressed).
            S::login(3 * DAY + 3 * HOUR, VENDOR, "192.0.2.20").mfa(true),
            // An account of the vendor's domain that the inventory does
            // not list.
            S::login(
                4 * DAY + 10 * HOUR,
                "new.hire@ACME-billing.example",
                "203.0.113.8",
            )
            .mfa(true),
        ],
    );
    let v = named(&hits, "vendor-access");
    assert_eq!(v.len(), 3, "{hits:#?}");
    assert_eq!(
        v[2].entity.user.as_deref(),
        Some("new.hire@ACME-billing.example")
    );
    assert_eq!(v[0].metrics["outside_networks"], 1.0);
    assert_eq!(v[0].metrics["outside_hours"], 0.0);
    assert_eq!(v[0].group["networks"], "192.0.2.16/28");
    assert_eq!(v[1].metrics["outside_networks"], 0.0);
    assert_eq!(v[1].metrics["outside_hours"], 1.0);
    assert_eq!(v[1].metrics["hour_utc"], 3.0);
    assert_eq!(v[1].metrics["hours_start"], 8.0);
    assert!(v.iter().all(|h| h.level == Level::High));
    assert!(v[0].tags.contains(&"attack.t1199".to_string()));
}

// --- allowlists, suppression ---

#[test]
fn allowlisted_users_and_sources_are_not_reported() {
    let c = Config {
        allow_users: vec![VENDOR.to_uppercase()],
        allow_sources: vec!["203.0.113.0/24".parse().unwrap()],
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let mut s = spray(0, 40);
    s.push(S::login(1000, VENDOR, "198.51.100.66"));
    s.push(S::login(2000, "alice", "198.51.100.250").mfa(true));
    let hits = run(&mut a, &s);
    assert!(hits.is_empty(), "{hits:#?}");
    assert!(a.counters().allowed >= 40);
}

#[test]
fn an_ongoing_spray_reports_once_an_hour_with_what_it_suppressed() {
    // 3 hours of spraying: a new user every minute.
    let s: Vec<S> = (0..180)
        .map(|i| S::fail(i * 60, &format!("user{i}"), "203.0.113.5"))
        .collect();
    let (a, hits) = fresh(&s);
    let sp = named(&hits, "password-spray");
    assert_eq!(sp.len(), 3, "{hits:#?}");
    assert_eq!(sp[0].metrics["suppressed"], 0.0);
    // 9 minutes to the first hit, then 60 failures suppressed.
    assert_eq!(sp[1].metrics["suppressed"], 59.0);
    assert_eq!(sp[1].end_time, Timestamp::from_secs(T0 + 69 * 60).unwrap());
    assert_eq!(a.counters().hits, 3);
    // Brute force suppression: one hit for 40 failures in 13 minutes.
    let s: Vec<S> = (0..40)
        .map(|i| S::fail(i * 20, "bob", "198.51.100.9"))
        .collect();
    let (_, hits) = fresh(&s);
    assert_eq!(named(&hits, "brute-force").len(), 1);
}

// --- order, skew ---

#[test]
fn out_of_order_and_late_events_are_counted_not_fatal() {
    let mut s = spray(HOUR, 12);
    s.swap(3, 7);
    s.swap(0, 11);
    // A failure a day too late, an event at the epoch, and a login far in
    // the past.
    s.push(S::fail(-DAY, "user999", "203.0.113.9"));
    s.push(S::fail(-T0, "user998", "203.0.113.9"));
    s.push(S::login(-T0, "old", "203.0.113.9"));
    let (a, hits) = fresh(&s);
    assert_eq!(named(&hits, "password-spray").len(), 1, "{hits:#?}");
    let c = a.counters();
    assert!(c.out_of_order >= 4, "{c:?}");
    assert!(c.late >= 2, "{c:?}");
}

#[test]
fn a_source_ahead_of_okta_does_not_hurry_the_mfa_wait() {
    // Okta's login, then Entra events ahead of Okta's clock (up to 580 s
    // past the login: more than the 300 s wait, less than it plus the
    // 300 s skew), then Okta's MFA step 2 s after the login in Okta's time.
    let mut s = vec![S::login(HOUR, VENDOR, "192.0.2.20")];
    for i in 0..4 {
        s.push(S::entra(
            HOUR + 400 + i * 60,
            "success",
            "zed",
            "198.51.100.5",
            Some(true),
        ));
    }
    s.push(S::mfa_step(HOUR + 2, VENDOR, "192.0.2.20"));
    let (a, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.pending(), 0);
    // Without the step, Okta's own clock ends the wait.
    let s = vec![
        S::login(HOUR, VENDOR, "192.0.2.20"),
        S::entra(HOUR + 400, "success", "zed", "198.51.100.5", Some(true)),
        S::login(HOUR + 310, "alice", "198.51.100.250").mfa(true),
    ];
    let (_, hits) = fresh(&s);
    assert_eq!(named(&hits, "no-mfa").len(), 1, "{hits:#?}");
    // A quiet Okta: the other source, skew_secs past the deadline, ends it.
    let s = vec![
        S::login(HOUR, VENDOR, "192.0.2.20"),
        S::entra(
            HOUR + 300 + 301,
            "success",
            "zed",
            "198.51.100.5",
            Some(true),
        ),
    ];
    let (_, hits) = fresh(&s);
    assert_eq!(named(&hits, "no-mfa").len(), 1, "{hits:#?}");
}

#[test]
fn extreme_times_do_not_overflow() {
    let mut c = ctx();
    c.vendors[0].hours = Some((22, 6));
    let mut a = Auth::new(Config::default(), &c);
    let mut hits = Vec::new();
    let base = S::login(0, VENDOR, "203.0.113.77").at("Bucharest", 44.43, 26.10);
    for t in [i64::MAX, i64::MIN, 0, i64::MAX, i64::MIN + 1, -1] {
        for s in [
            base.clone(),
            S::fail(0, VENDOR, "203.0.113.77"),
            S::mfa_step(0, VENDOR, "203.0.113.77"),
            S::login(0, VENDOR, "198.51.100.1").at("Boston", 42.36, -71.06),
        ] {
            let mut ev = s.event();
            ev.set_time(Timestamp::from_nanos(t));
            a.observe(&ev, &mut hits);
        }
    }
    a.finish(&mut hits);
    assert!(!hits.is_empty());
    let mut b = Auth::new(Config::default(), &c);
    b.restore(&a.save()).unwrap();
}

#[test]
fn interruptions_and_unknown_accounts_are_not_failures() {
    let s: Vec<S> = (0..30)
        .map(|i| S {
            code: Some("50074"),
            ..S::entra(i * 10, "failure", "bob", "198.51.100.9", None)
        })
        .collect();
    let (a, hits) = fresh(&s);
    assert!(hits.is_empty());
    assert_eq!(a.counters().ignored, 30);
    assert_eq!(a.counters().failures, 0);
    // An Internet scanner trying 50 account names that do not exist on a
    // host, and 12 that do.
    let ssh = |i: i64, action: &'static str, user: String| S {
        dataset: "system.auth",
        action,
        ..S::fail(i, &user, "198.51.100.200")
    };
    let mut s: Vec<S> = (0..50)
        .map(|i| ssh(i, "invalid_user", format!("guess{i}")))
        .collect();
    let (a, hits) = fresh(&s);
    assert!(hits.is_empty(), "{hits:#?}");
    assert_eq!(a.counters().ignored, 50);
    s.extend((0..12).map(|i| ssh(100 + i, "ssh_login_failed", format!("staff{i}"))));
    let (_, hits) = fresh(&s);
    assert_eq!(named(&hits, "password-spray").len(), 1, "{hits:#?}");
    assert_eq!(hits[0].metrics["failed_users"], 10.0);
}

// --- state ---

/// A week of everything: habits, a spray, a vendor login, brute force.
fn mixed() -> Vec<S> {
    let mut s = habit("alice");
    s.extend(habit("bob"));
    s.extend(spray(5 * DAY + 19 * HOUR, 60));
    s.push(S::fail(5 * DAY + 19 * HOUR + 500, VENDOR, "203.0.113.21"));
    s.push(S::login(5 * DAY + 20 * HOUR, VENDOR, "203.0.113.77").net(64_511, "RO"));
    s.extend((0..15).map(|i| S::fail(5 * DAY + 21 * HOUR + i * 30, "bob", "198.51.100.9")));
    s.push(S::login(5 * DAY + 21 * HOUR + 600, "bob", "198.51.100.9").net(64_499, "DE"));
    s.push(S::login(5 * DAY + 22 * HOUR, "alice", "198.51.100.250").mfa(true));
    s.sort_by_key(|x| x.secs);
    s
}

#[test]
fn save_and_restore_give_the_hits_of_an_uninterrupted_run() {
    let s = mixed();
    let (_, whole) = fresh(&s);
    let names: Vec<&str> = whole.iter().map(|h| h.analytic).collect();
    for n in [
        "password-spray",
        "vendor-access",
        "no-mfa",
        "brute-force",
        "new-network",
    ] {
        assert!(names.contains(&n), "{n}: {names:?}");
    }
    for cut in [10, s.len() / 2, s.len() - 5] {
        let mut a = Auth::new(Config::default(), &ctx());
        let mut hits = run(&mut a, &s[..cut]);
        let saved = a.save();
        let text = serde_json::to_string(&saved).unwrap();
        let mut b = Auth::new(Config::default(), &ctx());
        b.restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(b.entities(), a.entities());
        hits.extend(run(&mut b, &s[cut..]));
        assert_eq!(hits, whole, "cut at {cut}");
        assert_eq!(b.counters(), fresh(&s).0.counters());
    }
}

#[test]
fn a_bad_state_is_refused() {
    let mut a = Auth::new(Config::default(), &ctx());
    assert!(a.restore(&serde_json::json!({"version": 1})).is_err());
    assert!(a.restore(&serde_json::Value::Null).is_err());
    let mut saved = a.save();
    saved["version"] = serde_json::json!(99);
    assert!(a.restore(&saved).is_err());
}

#[test]
fn state_stays_within_its_capacity() {
    let c = Config {
        capacity: 50,
        source_capacity: 20,
        target_capacity: 2,
        max_window_events: 16,
        ..Config::default()
    };
    let mut a = Auth::new(c, &ctx());
    let s: Vec<S> = (0..2000)
        .map(|i| {
            S::fail(
                i,
                &format!("u{i}"),
                &format!("198.{}.{}.1", 18 + i % 2, i % 250),
            )
        })
        .collect();
    run(&mut a, &s);
    let small = a.memory_bytes();
    let c = a.counters();
    assert_eq!(a.entities(), 50 + 20 + 1);
    assert_eq!(c.evicted_users, 1950);
    assert!(c.evicted_sources >= 480, "{c:?}");
    let s: Vec<S> = (2000..20_000)
        .map(|i| {
            S::fail(
                i,
                &format!("u{i}"),
                &format!("198.{}.{}.1", 18 + i % 2, i % 250),
            )
        })
        .collect();
    run(&mut a, &s);
    assert_eq!(a.entities(), 71);
    assert!(
        a.memory_bytes() < small * 2,
        "{} vs {small}",
        a.memory_bytes()
    );
    // Restored into the same capacity, the eviction count goes on.
    let mut b = Auth::new(a.config().clone(), &ctx());
    b.restore(&a.save()).unwrap();
    assert_eq!(b.counters().evicted_users, a.counters().evicted_users);
}

#[test]
fn the_config_is_a_toml_table_with_defaults() {
    let c: Config = toml::from_str("spray_group = \"asn\"\nmin_logins = 3\n").unwrap();
    assert_eq!(c.spray_group, SprayGroup::Asn);
    assert_eq!(c.min_logins, 3);
    assert_eq!(c.spray_min_users, Config::default().spray_min_users);
    assert!(toml::from_str::<Config>("no_such_key = 1").is_err());
    let back: Config = toml::from_str(&toml::to_string(&Config::default()).unwrap()).unwrap();
    assert_eq!(back, Config::default());
}
