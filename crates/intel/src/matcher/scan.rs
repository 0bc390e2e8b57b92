//! Matching one event: reading the fields that can carry an observable and
//! looking their values up.

use std::fmt;
use std::net::IpAddr;

use phiwatch_event::{keys, Event, Timestamp, ValueRef};

use super::text::{self, BUF};
use super::{Hit, IntelSet, Role, StrIndex};
use crate::model::{mask_v4, mask_v6};
use crate::normalize::{normalize_domain, normalize_email, normalize_url};

impl IntelSet {
    /// Appends to `out` a [`Hit`] for every observable of this set that
    /// `ev` holds, for indicators valid at the event's time (`valid_from` ≤
    /// time ≤ `valid_until`).
    ///
    /// Hits of one event are ordered by indicator, group and observable;
    /// an observable found in several fields is reported once, for the
    /// first field. A group of several observables is reported only when
    /// all of them are found. Hits already in `out` are left alone. An
    /// event that matches nothing allocates nothing, unless it holds a
    /// non-ASCII (IDN) host name or email, which is normalized the full way;
    /// URLs are normalized only when their host is one of the indexed URLs'
    /// hosts.
    pub fn matches(&self, ev: &Event, out: &mut Vec<Hit>) {
        if self.atoms.is_empty() {
            return;
        }
        let start = out.len();
        let mut scan = Scan {
            set: self,
            ev,
            time: ev.time(),
            out,
        };
        for f in ev.fields() {
            let Some(k) = f.key else { continue };
            let role = match self.roles.get(k.index()) {
                Some(&r) if r != Role::None => r,
                _ => continue,
            };
            let field = k.name();
            match f.value {
                ValueRef::List(list) => list.iter().for_each(|v| scan.value(role, field, v)),
                v => scan.value(role, field, v),
            }
        }
        if out.len() > start {
            self.settle(out, start);
        }
    }

    /// Orders the event's hits, drops repeats of an observable and the
    /// observables of groups not wholly matched.
    fn settle(&self, out: &mut Vec<Hit>, start: usize) {
        if out.len() == start + 1 && self.group_sizes.is_empty() {
            return;
        }
        out[start..].sort_by_key(|h| (h.indicator, h.group, h.observable));
        let tail: Vec<Hit> = out.drain(start..).collect();
        let mut keep = vec![false; tail.len()];
        let mut i = 0;
        while i < tail.len() {
            let ig = (tail[i].indicator, tail[i].group);
            let end = tail[i..]
                .iter()
                .position(|h| (h.indicator, h.group) != ig)
                .map_or(tail.len(), |n| i + n);
            let run = &tail[i..end];
            let distinct = 1 + run
                .windows(2)
                .filter(|w| w[0].observable != w[1].observable)
                .count();
            let need = u32::try_from(ig.0)
                .ok()
                .zip(u32::try_from(ig.1).ok())
                .and_then(|k| self.group_sizes.get(&k))
                .map_or(1, |&n| usize::from(n));
            if distinct >= need {
                for j in i..end {
                    keep[j] = j == i || tail[j - 1].observable != tail[j].observable;
                }
            }
            i = end;
        }
        out.extend(
            tail.into_iter()
                .zip(keep)
                .filter_map(|(h, k)| k.then_some(h)),
        );
    }
}

/// A field value as the event has it, made text only for a hit.
#[derive(Clone, Copy)]
enum Text<'a> {
    Str(&'a str),
    Ip(IpAddr),
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Str(s) => f.write_str(s),
            Text::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// The state of matching one event.
struct Scan<'s, 'e> {
    set: &'s IntelSet,
    ev: &'e Event,
    time: Timestamp,
    out: &'s mut Vec<Hit>,
}

impl<'s> Scan<'s, '_> {
    fn value(&mut self, role: Role, field: &'static str, v: ValueRef<'_>) {
        let set = self.set;
        match (role, v) {
            (Role::Ip | Role::Host, ValueRef::Ip(ip)) => self.ip(ip, field, Text::Ip(ip)),
            (Role::Ip, ValueRef::Str(s)) => {
                if let Ok(ip) = text::unbracket(s.trim()).parse() {
                    self.ip(ip, field, Text::Str(s));
                }
            }
            (Role::Host, ValueRef::Str(s)) => self.host(s, field, Text::Str(s)),
            (Role::Url, ValueRef::Str(s)) => self.url(s, field),
            (Role::FileHash, ValueRef::Str(s)) => self.folded(&set.file_hashes, s, field),
            (Role::CertHash, ValueRef::Str(s)) => self.folded(&set.cert_hashes, s, field),
            (Role::Email, ValueRef::Str(s)) => self.email(s, field),
            (Role::Ja3, ValueRef::Str(s)) => self.folded(&set.ja3, s, field),
            (Role::Ja3s, ValueRef::Str(s)) => self.folded(&set.ja3s, s, field),
            (Role::Ja4, ValueRef::Str(s)) => self.folded(&set.ja4, s, field),
            (Role::UserAgent, ValueRef::Str(s)) => self.exact(&set.user_agents, s, field),
            (Role::FileName, ValueRef::Str(s)) => self.exact(&set.file_names, s, field),
            _ => {}
        }
    }

    /// Reports every atom of posting `p` valid at the event's time.
    fn emit(&mut self, p: &'s u32, field: &'static str, value: Text<'_>) {
        let set = self.set;
        for &a in set.posting(p) {
            let Some(atom) = set.atoms.get(a as usize) else {
                continue;
            };
            if !set.windows.is_empty()
                && set
                    .windows
                    .get(&atom.indicator)
                    .is_some_and(|w| !w.contains(self.time))
            {
                continue;
            }
            self.out.push(Hit {
                indicator: atom.indicator as usize,
                group: atom.group as usize,
                observable: usize::from(atom.observable),
                field,
                value: value.to_string(),
            });
        }
    }

    /// Exact addresses, then networks longest prefix first.
    fn ip(&mut self, ip: IpAddr, field: &'static str, value: Text<'_>) {
        let set = self.set;
        match ip.to_canonical() {
            IpAddr::V4(a) => {
                let x = u32::from(a);
                if let Some(p) = set.v4.get(&x) {
                    self.emit(p, field, value);
                }
                if !set.v4_block_hit(x) {
                    return;
                }
                for (prefix, nets) in &set.v4_nets {
                    if let Some(p) = nets.get(&(x & mask_v4(*prefix))) {
                        self.emit(p, field, value);
                    }
                }
            }
            IpAddr::V6(a) => {
                let x = u128::from(a);
                if let Some(p) = set.v6.get(&x) {
                    self.emit(p, field, value);
                }
                for (prefix, nets) in &set.v6_nets {
                    if let Some(p) = nets.get(&(x & mask_v6(*prefix))) {
                        self.emit(p, field, value);
                    }
                }
            }
        }
    }

    /// A host name, or an address written as one.
    fn host(&mut self, s: &str, field: &'static str, value: Text<'_>) {
        let t = s.trim();
        let maybe_ip = t.contains(':') || t.bytes().last().is_some_and(|b| b.is_ascii_digit());
        if maybe_ip {
            if let Ok(ip) = text::unbracket(t).parse() {
                return self.ip(ip, field, value);
            }
        }
        if self.set.domains.is_empty() {
            return;
        }
        let mut buf = [0u8; BUF];
        if let Some(h) = text::host(t, &mut buf) {
            self.domain(h, field, value);
        } else if !t.is_ascii() {
            if let Some(h) = normalize_domain(t) {
                self.domain(&h, field, value);
            }
        }
    }

    /// The name and each of its parent suffixes.
    fn domain(&mut self, name: &str, field: &'static str, value: Text<'_>) {
        let set = self.set;
        let mut q = name;
        loop {
            if let Some(p) = set.domains.get(q) {
                self.emit(p, field, value);
            }
            match q.find('.') {
                Some(i) => q = &q[i + 1..],
                None => break,
            }
        }
    }

    /// A URL's host as a domain or an address; the whole URL, normalized,
    /// when its host is one of the indexed URLs' hosts. A relative URL
    /// (`/path`) is joined to `url.domain` (and `url.scheme`, else http).
    fn url(&mut self, s: &str, field: &'static str) {
        let host = text::url_host(s);
        if let Some(h) = host {
            self.host(h, field, Text::Str(s));
        }
        if self.set.urls.is_empty() {
            return;
        }
        let normalized = match host {
            Some(h) if self.url_host_indexed(h) => normalize_url(s),
            Some(_) => None,
            None => {
                let domain = self.ev.get(keys::URL_DOMAIN).and_then(|v| v.as_str());
                match domain {
                    Some(d) if self.url_host_indexed(d) => {
                        let scheme = self.ev.get(keys::URL_SCHEME).and_then(|v| v.as_str());
                        let scheme = scheme.unwrap_or("http").trim();
                        normalize_url(&format!("{scheme}://{}{}", d.trim(), s.trim()))
                    }
                    _ => None,
                }
            }
        };
        let set = self.set;
        if let Some(p) = normalized.and_then(|n| set.urls.get(n.as_str())) {
            self.emit(p, field, Text::Str(s));
        }
    }

    /// Whether an event URL's host may be one of the indexed URLs' hosts
    /// (when unsure, yes; a host too long to be one, no).
    fn url_host_indexed(&self, h: &str) -> bool {
        let h = h.trim().trim_end_matches('.');
        if let Ok(ip) = text::unbracket(h).parse::<IpAddr>() {
            return self.set.url_ips.contains_key(&ip.to_canonical())
                || self.set.url_ips.contains_key(&ip);
        }
        if text::odd_host(h) {
            return true;
        }
        let mut buf = [0u8; BUF];
        text::host(h, &mut buf).is_some_and(|l| self.set.url_hosts.contains_key(l))
    }

    /// A case-insensitive value (hashes, fingerprints).
    fn folded(&mut self, map: &'s StrIndex, s: &str, field: &'static str) {
        if map.is_empty() {
            return;
        }
        let mut buf = [0u8; BUF];
        let t = s.trim();
        // Hex and fingerprints are short ASCII: anything else cannot match.
        if let Some(p) = text::lower(t, &mut buf).and_then(|k| map.get(k)) {
            self.emit(p, field, Text::Str(s));
        }
    }

    fn email(&mut self, s: &str, field: &'static str) {
        let set = self.set;
        let map = &set.emails;
        let t = s.trim();
        let t = t.strip_prefix("mailto:").unwrap_or(t);
        let mut buf = [0u8; BUF];
        let p = match text::host(t, &mut buf) {
            Some(k) => map.get(k),
            None => normalize_email(t).and_then(|e| map.get(e.as_str())),
        };
        if let Some(p) = p {
            self.emit(p, field, Text::Str(s));
        }
    }

    fn exact(&mut self, map: &'s StrIndex, s: &str, field: &'static str) {
        if let Some(p) = map.get(s) {
            self.emit(p, field, Text::Str(s));
        }
    }
}
