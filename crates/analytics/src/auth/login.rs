//! Successful logins: spray and brute-force successes, vendor access, new
//! networks, impossible travel, dormant accounts (the MFA judgement is in
//! `mfa.rs`).

use phiwatch_finding::Level;

use super::attempt::{distance_km, hash, Attempt};
use super::hit::{
    build, flag, in_hours, mins, secs, Parts, T_BRUTE_OK, T_SPRAY_OK, T_VALID, T_VENDOR,
};
use super::state::{GeoMark, Rule, Slot, Source, User};
use super::{ns, Auth, NANOS};
use crate::context::Vendor;
use crate::net::in_any;
use crate::AnalyticHit;

impl Auth {
    /// The vendor of an account: listed among its accounts, or in one of
    /// its domains (`someone@acme-billing.example`).
    pub(super) fn vendor_of(&self, account: &str) -> Option<&Vendor> {
        self.ctx.vendor_of(account).or_else(|| {
            let (_, domain) = account.rsplit_once('@')?;
            self.ctx
                .vendors
                .iter()
                .find(|v| v.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
        })
    }

    /// A successful login.
    pub(super) fn login(&mut self, a: &Attempt, out: &mut Vec<AnalyticHit>) {
        self.counters.logins += 1;
        let Some(key) = a.key.clone() else {
            return;
        };
        let t = a.ev.t;
        let user_hash = hash(&key);
        let ip_text = a.ip.map(|ip| ip.to_canonical().to_string());
        let group = a.group(&self.config);
        // Logins are kept per source too: a source where many log in is a
        // shared egress, not a sprayer.
        if let Some(g) = &group {
            if !self.allowed_source(a) {
                let c = &self.config;
                let s = self
                    .sources
                    .entry_by(g.as_str(), || g.as_str().into(), Source::default);
                let slot = Slot {
                    t,
                    user: user_hash,
                    ip: hash(ip_text.as_deref().unwrap_or("-")),
                    ok: true,
                };
                s.push(slot, ns(c.spray_window_secs), c.max_window_events);
            }
        }
        if let Some(tg) = self.targets.touch(a.target.as_str()) {
            tg.login(user_hash);
        }
        let reporting = !self.allow_users.contains(&key);
        let name = a.user.clone().unwrap_or_else(|| key.clone());
        let ctx = Ctx {
            a,
            key: &key,
            name: &name,
            ip: ip_text.as_deref(),
            reporting,
        };
        if let Some(g) = &group {
            self.spray_success(&ctx, g, out);
        }
        self.brute_success(&ctx, out);
        self.vendor_access(&ctx, out);
        self.new_network(&ctx, out);
        self.travel(&ctx, out);
        self.dormant(&ctx, out);
        self.login_mfa(&ctx, out);
        let c = &self.config;
        let u = self
            .users
            .entry_by(key.as_str(), || key.as_str().into(), User::default);
        u.logins += 1;
        u.last_login = Some(u.last_login.map_or(t, |l| l.max(t)));
        u.last_seen = u.last_seen.max(t);
        if let Some(asn) = a.asn {
            User::remember(&mut u.asns, asn, t, c.max_places);
        }
        if let Some(country) = &a.country {
            if let Some(e) = u.countries.iter_mut().find(|e| *e.0 == **country) {
                e.1 = e.1.max(t);
            } else {
                User::remember(&mut u.countries, country.as_str().into(), t, c.max_places);
            }
        }
        if let Some(geo) = a.geo {
            if u.last_geo.as_ref().is_none_or(|g| g.t <= t) {
                u.last_geo = Some(Box::new(GeoMark {
                    t,
                    lat: geo.0,
                    lon: geo.1,
                    place: a.place(),
                    ip: ip_text.unwrap_or_default(),
                    asn: a.asn,
                    ev: a.ev,
                }));
            }
        }
    }

    /// Reports through the user's gate for `rule`.
    fn report(&mut self, key: &str, rule: Rule, t: i64, reporting: bool) -> Option<u64> {
        if !reporting {
            self.counters.allowed += 1;
            return None;
        }
        let sup = ns(self.config.suppress_secs).unsigned_abs();
        let u = self.users.entry_by(key, || key.into(), User::default);
        let passed = u.gate(rule).pass(t, sup);
        if passed.is_none() {
            self.counters.suppressed += 1;
        }
        passed
    }

    fn spray_success(&mut self, x: &Ctx<'_>, g: &str, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = x.a.ev.t;
        let within = ns(c.spray_success_secs).unsigned_abs();
        let Some(src) = self.sources.get(g) else {
            return;
        };
        if !src.gate.open_since(t, within) {
            return;
        }
        let gh = hash(g);
        let Some(u) = self.users.get(x.key) else {
            return;
        };
        let Some(failed_at) = u
            .fail_from()
            .iter()
            .filter(|f| f.group == gh && f.t <= t && t.abs_diff(f.t) <= within)
            .map(|f| f.t)
            .max()
        else {
            return;
        };
        let (failed_users, failures) = (src.failed_users(), src.failures());
        let Some(suppressed) = self.report(x.key, Rule::SpraySuccess, t, x.reporting) else {
            return;
        };
        let c = &self.config;
        let hit = build(Parts {
            analytic: "password-spray",
            level: Level::Critical,
            title: format!(
                "Password spray succeeded: {} logged in from {} after failing from spraying {g}",
                x.name,
                x.ip.unwrap_or("-")
            ),
            time: failed_at,
            end: t,
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_SPRAY_OK,
            metrics: vec![
                ("since_failure_s", secs(t.saturating_sub(failed_at))),
                ("source_failed_users", failed_users as f64),
                ("source_failures", failures as f64),
                ("suppressed", suppressed as f64),
                ("spray_success_s", c.spray_success_secs as f64),
                ("spray_min_users", c.spray_min_users as f64),
            ],
            group: vec![
                ("kind", "success".into()),
                ("source", g.to_string()),
                ("user", x.name.to_string()),
                ("target", x.a.target.clone()),
            ],
            evidence: vec![x.a.ev.to_pair()],
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn brute_success(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = x.a.ev.t;
        let within = ns(c.brute_success_secs).unsigned_abs();
        let Some(u) = self.users.get(x.key) else {
            return;
        };
        if !u.open_since(Rule::Brute, t, within) {
            return;
        }
        let ip = hash(x.ip.unwrap_or("-"));
        let Some(failed_at) = u
            .fail_from()
            .iter()
            .filter(|f| f.ip == ip && f.t <= t && t.abs_diff(f.t) <= within)
            .map(|f| f.t)
            .max()
        else {
            return;
        };
        let (failures, addresses) = u.failures();
        let evidence = u.trail_evidence(x.a.ev);
        let Some(suppressed) = self.report(x.key, Rule::BruteSuccess, t, x.reporting) else {
            return;
        };
        let c = &self.config;
        let hit = build(Parts {
            analytic: "brute-force",
            level: Level::High,
            title: format!(
                "Brute force succeeded: {} logged in from {} after repeated failures from it",
                x.name,
                x.ip.unwrap_or("-")
            ),
            time: failed_at,
            end: t,
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_BRUTE_OK,
            metrics: vec![
                ("failures", failures as f64),
                ("addresses", addresses as f64),
                ("since_failure_s", secs(t.saturating_sub(failed_at))),
                ("suppressed", suppressed as f64),
                ("brute_window_s", c.brute_window_secs as f64),
                ("brute_min_failures", c.brute_min_failures as f64),
                ("brute_success_s", c.brute_success_secs as f64),
            ],
            group: vec![
                ("kind", "success".into()),
                ("user", x.name.to_string()),
                ("target", x.a.target.clone()),
            ],
            evidence,
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn vendor_access(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        let Some(v) = self.vendor_of(x.name) else {
            return;
        };
        let t = x.a.ev.t;
        let internal = self.is_internal(x.a);
        let outside_net = !v.networks.is_empty()
            && x.a.ip.is_some_and(|ip| {
                !(in_any(&v.networks, ip) || (self.config.vendor_internal_ok && internal))
            });
        let outside_hours = v.hours.is_some_and(|h| !in_hours(h, t));
        if !outside_net && !outside_hours {
            return;
        }
        let vendor = v.name.clone();
        let networks: Vec<String> = v.networks.iter().map(ToString::to_string).collect();
        let hours = v.hours;
        let Some(suppressed) = self.report(x.key, Rule::Vendor, t, x.reporting) else {
            return;
        };
        let why = match (outside_net, outside_hours) {
            (true, true) => "outside its networks and hours",
            (true, false) => "outside its networks",
            _ => "outside its hours",
        };
        let hour = t.div_euclid(3600 * NANOS).rem_euclid(24) as f64;
        let mut metrics = vec![
            ("outside_networks", flag(outside_net)),
            ("outside_hours", flag(outside_hours)),
            ("hour_utc", hour),
            ("vendor_networks", networks.len() as f64),
            ("suppressed", suppressed as f64),
            ("vendor_internal_ok", flag(self.config.vendor_internal_ok)),
            ("suppress_s", self.config.suppress_secs as f64),
        ];
        if let Some((s, e)) = hours {
            metrics.push(("hours_start", f64::from(s)));
            metrics.push(("hours_end", f64::from(e)));
        }
        let hit = build(Parts {
            analytic: "vendor-access",
            level: Level::High,
            title: format!(
                "Vendor account {} ({vendor}) logged in {why} from {}",
                x.name,
                x.ip.unwrap_or("an unknown address")
            ),
            time: t,
            end: t,
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_VENDOR,
            metrics,
            group: vec![
                ("user", x.name.to_string()),
                ("vendor", vendor),
                ("networks", networks.join(" ")),
            ],
            evidence: vec![x.a.ev.to_pair()],
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn new_network(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        if self.allowed_source(x.a) || self.is_internal(x.a) {
            return;
        }
        let c = &self.config;
        let t = x.a.ev.t;
        let Some(u) = self.users.get(x.key) else {
            return;
        };
        if u.logins < c.min_logins {
            return;
        }
        let new_asn =
            x.a.asn
                .filter(|n| !self.allow_asns.contains(n) && !u.asns.iter().any(|k| k.0 == *n));
        let new_country =
            x.a.country
                .as_ref()
                .filter(|co| !u.countries.iter().any(|k| k.0.eq_ignore_ascii_case(co)));
        if new_asn.is_none() && new_country.is_none() {
            return;
        }
        let (logins, asns, countries) = (u.logins, u.asns.len(), u.countries.len());
        let Some(suppressed) = self.report(x.key, Rule::NewNetwork, t, x.reporting) else {
            return;
        };
        let c = &self.config;
        let net = match (x.a.asn, &x.a.as_org) {
            (Some(n), Some(o)) => format!("AS{n} {o}"),
            (Some(n), None) => format!("AS{n}"),
            _ => "an unknown network".into(),
        };
        let what = match (new_asn.is_some(), new_country.is_some()) {
            (true, true) => "new network and country",
            (true, false) => "new network",
            _ => "new country",
        };
        let mut group = vec![("user", x.name.to_string())];
        if let Some(n) = x.a.asn {
            group.push(("asn", n.to_string()));
        }
        if let Some(co) = &x.a.country {
            group.push(("country", co.clone()));
        }
        let hit = build(Parts {
            analytic: "new-network",
            level: Level::Medium,
            title: format!(
                "Login from a {what}: {} from {net} in {} ({} earlier logins)",
                x.name,
                x.a.place(),
                logins
            ),
            time: t,
            end: t,
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_VALID,
            metrics: vec![
                ("new_asn", flag(new_asn.is_some())),
                ("new_country", flag(new_country.is_some())),
                ("logins", logins as f64),
                ("known_asns", asns as f64),
                ("known_countries", countries as f64),
                ("suppressed", suppressed as f64),
                ("min_logins", c.min_logins as f64),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group,
            evidence: vec![x.a.ev.to_pair()],
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn travel(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        let Some(here) = x.a.geo else {
            return;
        };
        if self.allowed_source(x.a) {
            return;
        }
        let c = &self.config;
        let t = x.a.ev.t;
        let Some(prev) = self
            .users
            .get(x.key)
            .and_then(|u| u.last_geo.as_deref().cloned())
        else {
            return;
        };
        // A VPN or proxy network moves its users around the map.
        if [x.a.asn, prev.asn]
            .iter()
            .flatten()
            .any(|n| self.allow_asns.contains(n))
        {
            return;
        }
        if x.ip.is_some_and(|ip| ip == prev.ip) {
            return;
        }
        let km = distance_km((prev.lat, prev.lon), here);
        let elapsed = t.abs_diff(prev.t);
        let floor = ns(c.travel_min_secs).unsigned_abs().max(1);
        let hours = elapsed.max(floor) as f64 / (3600.0 * NANOS as f64);
        let kmh = km / hours;
        if km < c.travel_min_km || kmh <= c.max_kmh {
            return;
        }
        let Some(suppressed) = self.report(x.key, Rule::Travel, t, x.reporting) else {
            return;
        };
        let c = &self.config;
        let mut evidence = vec![prev.ev.to_pair(), x.a.ev.to_pair()];
        evidence.sort_by_key(|e| e.1);
        let hit = build(Parts {
            analytic: "impossible-travel",
            level: Level::High,
            title: format!(
                "Impossible travel: {} logged in from {} and {} ({km:.0} km apart) {} min apart ({kmh:.0} km/h)",
                x.name,
                prev.place,
                x.a.place(),
                mins(i64::try_from(elapsed).unwrap_or(i64::MAX))
            ),
            time: prev.t.min(t),
            end: prev.t.max(t),
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_VALID,
            metrics: vec![
                ("distance_km", km),
                ("elapsed_s", elapsed as f64 / NANOS as f64),
                ("speed_kmh", kmh),
                ("suppressed", suppressed as f64),
                ("max_kmh", c.max_kmh),
                ("travel_min_km", c.travel_min_km),
                ("travel_min_s", c.travel_min_secs as f64),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group: vec![
                ("user", x.name.to_string()),
                ("from", prev.place),
                ("to", x.a.place()),
                ("from_ip", prev.ip),
            ],
            evidence,
        });
        self.counters.hits += 1;
        out.push(hit);
    }

    fn dormant(&mut self, x: &Ctx<'_>, out: &mut Vec<AnalyticHit>) {
        let c = &self.config;
        let t = x.a.ev.t;
        let Some(last) = self.users.get(x.key).and_then(|u| u.last_login) else {
            return;
        };
        let idle = t.saturating_sub(last);
        if c.dormant_days == 0 || idle < ns(c.dormant_days.saturating_mul(86_400)) {
            return;
        }
        let Some(suppressed) = self.report(x.key, Rule::Dormant, t, x.reporting) else {
            return;
        };
        let c = &self.config;
        let days = idle as f64 / (86_400.0 * NANOS as f64);
        let hit = build(Parts {
            analytic: "dormant-account",
            level: Level::Medium,
            title: format!(
                "Dormant account logged in: {} after {days:.0} days, from {}",
                x.name,
                x.ip.unwrap_or("an unknown address")
            ),
            time: t,
            end: t,
            user: Some(x.name.to_string()),
            ip: x.ip.map(str::to_string),
            host: x.a.host.clone(),
            tags: T_VALID,
            metrics: vec![
                ("idle_days", days),
                ("suppressed", suppressed as f64),
                ("dormant_days", c.dormant_days as f64),
                ("suppress_s", c.suppress_secs as f64),
            ],
            group: vec![("user", x.name.to_string())],
            evidence: vec![x.a.ev.to_pair()],
        });
        self.counters.hits += 1;
        out.push(hit);
    }
}

/// A login being judged.
pub(super) struct Ctx<'a> {
    pub(super) a: &'a Attempt,
    pub(super) key: &'a str,
    pub(super) name: &'a str,
    pub(super) ip: Option<&'a str>,
    /// False for allowlisted accounts.
    pub(super) reporting: bool,
}
