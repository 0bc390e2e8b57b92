//! Destinations: their names (registered base domains), who talks to them
//! (prevalence) and what they received in their first hours.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::seen::Ev;
use crate::state::{alloc_size, push_capped};

/// Public suffixes of more than one label that are common enough to matter
/// (a short built-in list, not the Public Suffix List): country
/// second-level domains, and hosting platforms where every customer has
/// their own name under the platform's (an upload to `x.s3.amazonaws.com`
/// must not inherit the prevalence of `amazonaws.com`).
pub(crate) const SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "nhs.uk",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "co.in",
    "co.za",
    "com.br",
    "com.cn",
    "com.mx",
    "com.tr",
    "com.sg",
    "s3.amazonaws.com",
    "cloudfront.net",
    "elasticbeanstalk.com",
    "azurewebsites.net",
    "blob.core.windows.net",
    "web.core.windows.net",
    "azureedge.net",
    "herokuapp.com",
    "appspot.com",
    "firebaseapp.com",
    "web.app",
    "github.io",
    "githubusercontent.com",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "workers.dev",
    "r2.dev",
    "ngrok.io",
    "ngrok-free.app",
    "trycloudflare.com",
    "duckdns.org",
    "no-ip.org",
];

/// The registered base domain of a server name: lower case, without a
/// trailing dot, the last two labels, or one more when the last ones are a
/// suffix in `suffixes`. None for empty names, IP literals and single
/// labels.
#[cfg(test)]
pub(crate) fn base_domain(name: &str, suffixes: &[String]) -> Option<String> {
    let mut out = String::new();
    base_domain_into(name, suffixes, &mut out).then_some(out)
}

/// [`base_domain`] written into `out` (cleared first, allocating only to
/// grow it); whether there is one.
pub(crate) fn base_domain_into(name: &str, suffixes: &[String], out: &mut String) -> bool {
    out.clear();
    out.push_str(name.trim().trim_end_matches('.'));
    out.make_ascii_lowercase();
    let name = out.as_str();
    if name.is_empty() || !name.contains('.') || name.parse::<IpAddr>().is_ok() {
        return false;
    }
    if name.split('.').any(str::is_empty) {
        return false;
    }
    // The longest suffix the name ends with (as whole labels).
    let suffix_labels = suffixes
        .iter()
        .filter(|s| name.len() > s.len() && name.ends_with(s.as_str()))
        .filter(|s| name.as_bytes().get(name.len() - s.len() - 1) == Some(&b'.'))
        .map(|s| s.split('.').count())
        .max()
        .unwrap_or(1);
    // The last `keep` labels: after the `keep`-th dot from the end.
    let keep = suffix_labels + 1;
    let start = name
        .rmatch_indices('.')
        .nth(keep - 1)
        .map_or(0, |(i, _)| i + 1);
    out.replace_range(..start, "");
    true
}

/// Whether `name` is `domain` or under it (whole labels, no case).
pub(crate) fn under(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.');
    let domain = domain.trim().trim_start_matches('.').trim_end_matches('.');
    if domain.is_empty() {
        return false;
    }
    let Some(start) = name.len().checked_sub(domain.len()) else {
        return false;
    };
    let Some(tail) = name.get(start..) else {
        return false;
    };
    tail.eq_ignore_ascii_case(domain)
        && (start == 0 || name.as_bytes().get(start - 1) == Some(&b'.'))
}

/// An internal host that contacted a destination.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Host {
    pub(crate) ip: IpAddr,
    /// Its latest contact (nanoseconds).
    pub(crate) last: i64,
    /// Bytes it sent in the destination's first window.
    pub(crate) out: u64,
}

/// One external destination: a registered base domain when the connection
/// was named, else an address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Dest {
    /// First contact (nanoseconds).
    pub(crate) first_seen: i64,
    pub(crate) last_seen: i64,
    /// Internal hosts seen in the prevalence window, at most the cap.
    pub(crate) hosts: Vec<Host>,
    /// More hosts than the cap contacted it: popular for good.
    pub(crate) popular: bool,
    /// Bytes out, in and connections in the first window.
    pub(crate) first_out: u64,
    pub(crate) first_in: u64,
    pub(crate) first_conns: u64,
    /// Highest level reported by `rare-destination` (0 none, 1 medium,
    /// 2 high).
    pub(crate) reported: u8,
    /// A full server name and an address seen for it.
    pub(crate) name: Option<String>,
    pub(crate) ip: Option<IpAddr>,
    /// First connections of the first window, and the latest.
    pub(crate) evidence: Vec<Ev>,
    pub(crate) last_ev: Option<Ev>,
}

/// Evidence kept per destination: the first connections.
const EVIDENCE_FIRST: usize = 8;

impl Dest {
    pub(crate) fn new(t: i64) -> Dest {
        Dest {
            first_seen: t,
            last_seen: t,
            hosts: Vec::new(),
            popular: false,
            first_out: 0,
            first_in: 0,
            first_conns: 0,
            reported: 0,
            name: None,
            ip: None,
            evidence: Vec::new(),
            last_ev: None,
        }
    }

    /// Records a contact by `host` at `t`; hosts not seen for `window_ns`
    /// are forgotten; past `cap` hosts the destination is popular.
    pub(crate) fn contact(&mut self, host: IpAddr, t: i64, window_ns: i64, cap: usize) {
        self.first_seen = self.first_seen.min(t);
        self.last_seen = self.last_seen.max(t);
        let horizon = self.last_seen.saturating_sub(window_ns);
        self.hosts.retain(|h| h.last >= horizon || h.ip == host);
        if let Some(h) = self.hosts.iter_mut().find(|h| h.ip == host) {
            h.last = h.last.max(t);
            return;
        }
        if self.hosts.len() >= cap.max(1) {
            self.popular = true;
            // Keep the most recent: drop the oldest.
            if let Some(i) = self
                .hosts
                .iter()
                .enumerate()
                .min_by_key(|(_, h)| h.last)
                .map(|(i, _)| i)
            {
                self.hosts.swap_remove(i);
            }
        }
        push_capped(
            &mut self.hosts,
            Host {
                ip: host,
                last: t,
                out: 0,
            },
            usize::MAX,
        );
    }

    /// Internal hosts that contacted it in the prevalence window.
    pub(crate) fn prevalence(&self) -> usize {
        self.hosts.len()
    }

    /// Whether at most `max` hosts talk to it.
    pub(crate) fn rare(&self, max: usize) -> bool {
        !self.popular && self.hosts.len() <= max
    }

    /// Adds a connection's bytes when it is in the first window.
    pub(crate) fn first_window(
        &mut self,
        host: IpAddr,
        t: i64,
        out: u64,
        inb: u64,
        ev: Ev,
        w: i64,
    ) {
        self.last_ev = Some(
            self.last_ev
                .map_or(ev, |l| if ev.t >= l.t { ev } else { l }),
        );
        if t >= self.first_seen.saturating_add(w) {
            return;
        }
        self.first_out = self.first_out.saturating_add(out);
        self.first_in = self.first_in.saturating_add(inb);
        self.first_conns += 1;
        if let Some(h) = self.hosts.iter_mut().find(|h| h.ip == host) {
            h.out = h.out.saturating_add(out);
        }
        push_capped(&mut self.evidence, ev, EVIDENCE_FIRST);
    }

    /// The host that sent the most in the first window.
    pub(crate) fn top_host(&self) -> Option<&Host> {
        self.hosts
            .iter()
            .max_by(|a, b| a.out.cmp(&b.out).then(b.ip.cmp(&a.ip)))
    }

    /// Heap bytes held (the destination itself excluded).
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.hosts.capacity() * std::mem::size_of::<Host>())
            + alloc_size(self.evidence.capacity() * std::mem::size_of::<Ev>())
            + self.name.as_ref().map_or(0, |n| alloc_size(n.capacity()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sfx() -> Vec<String> {
        SUFFIXES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn base_domains() {
        let s = sfx();
        let b = |n: &str| base_domain(n, &s);
        assert_eq!(
            b("sync.metrics-collector.test").as_deref(),
            Some("metrics-collector.test")
        );
        assert_eq!(b("A.B.Example.COM.").as_deref(), Some("example.com"));
        assert_eq!(b("www.nhs.uk").as_deref(), Some("www.nhs.uk"));
        assert_eq!(b("a.b.example.co.uk").as_deref(), Some("example.co.uk"));
        assert_eq!(
            b("evil.s3.amazonaws.com").as_deref(),
            Some("evil.s3.amazonaws.com")
        );
        assert_eq!(
            b("x.evil.s3.amazonaws.com").as_deref(),
            Some("evil.s3.amazonaws.com")
        );
        assert_eq!(b("amazonaws.com").as_deref(), Some("amazonaws.com"));
        assert_eq!(b("notco.uk").as_deref(), Some("notco.uk"));
        assert_eq!(b("localhost"), None);
        assert_eq!(b("10.0.0.1"), None);
        assert_eq!(b(""), None);
        assert_eq!(b("a..b"), None);
    }

    #[test]
    fn names_under_domains() {
        assert!(under("a.example.com", "example.com"));
        assert!(under("Example.COM", "example.com"));
        assert!(under("a.example.com", ".example.com"));
        assert!(!under("badexample.com", "example.com"));
        assert!(!under("com", "example.com"));
        assert!(!under("a.example.com", ""));
    }

    #[test]
    fn prevalence_forgets_old_hosts_and_saturates() {
        let ip = |i: u8| IpAddr::from([10, 0, 0, i]);
        let mut d = Dest::new(0);
        d.contact(ip(1), 0, 100, 3);
        d.contact(ip(2), 10, 100, 3);
        d.contact(ip(1), 20, 100, 3);
        assert_eq!(d.prevalence(), 2);
        assert!(d.rare(2) && !d.rare(1));
        // Host 2 was last seen at 10: gone after 110.
        d.contact(ip(1), 200, 100, 3);
        assert_eq!(d.prevalence(), 1);
        for i in 2..6 {
            d.contact(ip(i), 201, 100, 3);
        }
        assert!(d.popular && !d.rare(100));
        assert_eq!(d.prevalence(), 3);
    }
}
