//! Building an [`IntelSet`] from indicators.

use std::net::IpAddr;

use phiwatch_event::{keys, Key};

use super::{post, Atom, Index, IntelSet, Map, Role, Window, MULTI};
use crate::model::{Indicator, IpNet, Observable};
use crate::normalize::{normalize_domain, normalize_url};

impl IntelSet {
    /// Compiles `indicators`. Hits name indicators by their index in this
    /// slice.
    ///
    /// Values are expected normalized (built through `normalize.rs`);
    /// case and trailing dots are folded again here to be safe. Empty
    /// groups never match. Indexes are 32-bit: past 2^31 observables, the
    /// rest are not indexed.
    pub fn new(indicators: &[Indicator]) -> IntelSet {
        let mut set = IntelSet::empty(indicators.len());
        for (i, ind) in indicators.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if ind.valid_from.is_some() || ind.valid_until.is_some() {
                let w = Window {
                    from: ind.valid_from,
                    until: ind.valid_until,
                };
                set.windows.insert(i, w);
            }
            for (g, group) in ind.any_of.iter().enumerate() {
                let (Ok(g), Ok(len)) = (u32::try_from(g), u16::try_from(group.len())) else {
                    continue;
                };
                if len > 1 {
                    set.group_sizes.insert((i, g), len);
                }
                for (o, obs) in (0u16..).zip(group) {
                    let Ok(atom) = u32::try_from(set.atoms.len()) else {
                        break;
                    };
                    if atom >= MULTI {
                        break;
                    }
                    set.atoms.push(Atom {
                        indicator: i,
                        group: g,
                        observable: o,
                    });
                    set.add(obs, atom);
                }
            }
        }
        set.finish();
        set
    }

    fn empty(indicators: usize) -> IntelSet {
        IntelSet {
            indicators,
            atoms: Vec::with_capacity(indicators),
            multi: Vec::new(),
            group_sizes: Map::default(),
            windows: Map::default(),
            v4: Map::default(),
            v6: Map::default(),
            v4_nets: Vec::new(),
            v4_blocks: Vec::new(),
            v6_nets: Vec::new(),
            domains: Map::default(),
            urls: Map::default(),
            url_hosts: Map::default(),
            url_ips: Map::default(),
            file_hashes: Map::default(),
            cert_hashes: Map::default(),
            emails: Map::default(),
            ja3: Map::default(),
            ja3s: Map::default(),
            ja4: Map::default(),
            user_agents: Map::default(),
            file_names: Map::default(),
            roles: Vec::new(),
        }
    }

    /// Indexes one observable as `atom`.
    fn add(&mut self, obs: &Observable, atom: u32) {
        let multi = &mut self.multi;
        let lower = |s: &str| s.trim().to_ascii_lowercase().into_boxed_str();
        match obs {
            Observable::Ip(net) => self.add_net(*net, atom),
            Observable::Domain(d) => {
                let d = if d.is_ascii() {
                    lower(d.trim_end_matches('.'))
                } else {
                    normalize_domain(d).unwrap_or_default().into_boxed_str()
                };
                post(&mut self.domains, multi, d, atom);
            }
            Observable::Url(u) => {
                let u = normalize_url(u).unwrap_or_else(|| u.clone());
                if let Ok(parsed) = url::Url::parse(&u) {
                    match parsed.host() {
                        Some(url::Host::Ipv4(a)) => _ = self.url_ips.insert(IpAddr::V4(a), ()),
                        Some(url::Host::Ipv6(a)) => _ = self.url_ips.insert(IpAddr::V6(a), ()),
                        Some(url::Host::Domain(h)) => _ = self.url_hosts.insert(h.into(), ()),
                        None => {}
                    }
                }
                post(&mut self.urls, multi, u.into_boxed_str(), atom);
            }
            Observable::FileHash(_, h) => post(&mut self.file_hashes, multi, lower(h), atom),
            Observable::CertHash(_, h) => post(&mut self.cert_hashes, multi, lower(h), atom),
            Observable::Email(e) => post(&mut self.emails, multi, lower(e), atom),
            Observable::Ja3(h) => post(&mut self.ja3, multi, lower(h), atom),
            Observable::Ja3s(h) => post(&mut self.ja3s, multi, lower(h), atom),
            Observable::Ja4(h) => post(&mut self.ja4, multi, lower(h), atom),
            Observable::UserAgent(s) => post(&mut self.user_agents, multi, s.as_str().into(), atom),
            Observable::FileName(s) => post(&mut self.file_names, multi, s.as_str().into(), atom),
        }
    }

    fn add_net(&mut self, net: IpNet, atom: u32) {
        match net.addr {
            IpAddr::V4(a) if net.prefix >= 32 => {
                post(&mut self.v4, &mut self.multi, a.into(), atom)
            }
            IpAddr::V6(a) if net.prefix >= 128 => {
                post(&mut self.v6, &mut self.multi, a.into(), atom)
            }
            IpAddr::V4(a) => {
                let m = prefix_map(&mut self.v4_nets, net.prefix);
                post(
                    m,
                    &mut self.multi,
                    u32::from(a) & crate::model::mask_v4(net.prefix),
                    atom,
                );
            }
            IpAddr::V6(a) => {
                let m = prefix_map(&mut self.v6_nets, net.prefix);
                post(
                    m,
                    &mut self.multi,
                    u128::from(a) & crate::model::mask_v6(net.prefix),
                    atom,
                );
            }
        }
    }

    /// Orders network maps longest prefix first, trims spare capacity and
    /// fills the lookup tables.
    fn finish(&mut self) {
        self.v4_nets.sort_by_key(|n| std::cmp::Reverse(n.0));
        self.v6_nets.sort_by_key(|n| std::cmp::Reverse(n.0));
        self.fill_v4_blocks();
        self.atoms.shrink_to_fit();
        self.multi.shrink_to_fit();
        for list in &mut self.multi {
            list.shrink_to_fit();
        }
        self.fill_roles();
    }

    /// Marks the event fields worth reading: those that can carry a kind
    /// of observable the set holds.
    fn fill_roles(&mut self) {
        self.roles = vec![Role::None; Key::count()];
        let any_ip = !(self.v4.is_empty()
            && self.v6.is_empty()
            && self.v4_nets.is_empty()
            && self.v6_nets.is_empty());
        let any_host = any_ip || !self.domains.is_empty();
        let ip_keys = [
            keys::SOURCE_IP,
            keys::DESTINATION_IP,
            keys::CLIENT_IP,
            keys::SERVER_IP,
            keys::HOST_IP,
            keys::SOURCE_ADDRESS,
            keys::DESTINATION_ADDRESS,
            keys::CLIENT_ADDRESS,
            keys::SERVER_ADDRESS,
        ];
        let host_keys = [
            keys::DNS_QUESTION_NAME,
            keys::DNS_ANSWERS_DATA,
            keys::TLS_CLIENT_SERVER_NAME,
            keys::URL_DOMAIN,
            keys::SOURCE_DOMAIN,
            keys::DESTINATION_DOMAIN,
        ];
        let table: [(&[Key], Role, bool); 11] = [
            (&ip_keys, Role::Ip, any_ip),
            (&host_keys, Role::Host, any_host),
            (
                &[keys::URL_ORIGINAL, keys::URL_FULL],
                Role::Url,
                any_host || !self.urls.is_empty(),
            ),
            (
                &[
                    keys::FILE_HASH_MD5,
                    keys::FILE_HASH_SHA1,
                    keys::FILE_HASH_SHA256,
                ],
                Role::FileHash,
                !self.file_hashes.is_empty(),
            ),
            (
                &[keys::TLS_SERVER_HASH_SHA1],
                Role::CertHash,
                !self.cert_hashes.is_empty(),
            ),
            (&[keys::USER_EMAIL], Role::Email, !self.emails.is_empty()),
            (&[keys::TLS_CLIENT_JA3], Role::Ja3, !self.ja3.is_empty()),
            (&[keys::TLS_SERVER_JA3S], Role::Ja3s, !self.ja3s.is_empty()),
            (&[keys::TLS_CLIENT_JA4], Role::Ja4, !self.ja4.is_empty()),
            (
                &[keys::USER_AGENT_ORIGINAL],
                Role::UserAgent,
                !self.user_agents.is_empty(),
            ),
            (
                &[keys::FILE_NAME],
                Role::FileName,
                !self.file_names.is_empty(),
            ),
        ];
        for (ks, role, wanted) in table {
            for k in ks.iter().filter(|_| wanted) {
                if let Some(slot) = self.roles.get_mut(k.index()) {
                    *slot = role;
                }
            }
        }
    }
}

impl IntelSet {
    /// Marks the /16 blocks each IPv4 network overlaps.
    fn fill_v4_blocks(&mut self) {
        if self.v4_nets.is_empty() {
            return;
        }
        let mut blocks = vec![0u64; (1 << 16) / 64];
        for (prefix, nets) in &self.v4_nets {
            // A network of fewer than 16 bits spans 2^(16 - prefix) blocks.
            let span = 1usize << 16u8.saturating_sub(*prefix);
            for net in nets.keys() {
                let first = (net >> 16) as usize;
                for b in first..(first + span).min(1 << 16) {
                    if let Some(w) = blocks.get_mut(b / 64) {
                        *w |= 1 << (b % 64);
                    }
                }
            }
        }
        self.v4_blocks = blocks;
    }
}

/// The map of networks of `prefix` bits, made if new.
fn prefix_map<K>(nets: &mut Vec<(u8, Index<K>)>, prefix: u8) -> &mut Index<K> {
    let at = match nets.iter().position(|(p, _)| *p == prefix) {
        Some(at) => at,
        None => {
            nets.push((prefix, Map::default()));
            nets.len() - 1
        }
    };
    &mut nets[at].1
}
