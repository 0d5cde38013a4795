//! Attribution of a destination to a catalog app.
//!
//! Hosts: a label-suffix walk over a hash map of catalog domains (`a.b.example.com`, then
//! `b.example.com`, then `example.com`), so the most specific rule wins and only whole labels
//! match (`notdropbox.com` is not `dropbox.com`). Measured elsewhere at ~100 ns per host; exact.
//! IPs: longest-prefix match over per-prefix-length hash maps (only the lengths in use are probed).

use super::Catalog;
use std::collections::HashMap;
use std::net::IpAddr;

/// How a record was attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribution {
    /// By destination host name.
    Domain,
    /// By destination IP address (only records that carry no host name).
    Ip,
}

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Longest-prefix table for one address family (also used by `enrich::ip_ranges`).
#[derive(Debug, Default)]
pub(crate) struct Lpm<T: Copy + Eq + std::hash::Hash> {
    /// (prefix length, network → value), longest first.
    pub(crate) by_len: Vec<(u8, Map<T, u32>)>,
}

impl<T: Copy + Eq + std::hash::Hash> Lpm<T> {
    /// Add a network; the first value inserted for a network wins.
    pub(crate) fn insert(&mut self, len: u8, net: T, app: u32) {
        match self.by_len.iter_mut().find(|(l, _)| *l == len) {
            Some((_, m)) => {
                m.entry(net).or_insert(app);
            }
            None => {
                let mut m = Map::default();
                m.insert(net, app);
                self.by_len.push((len, m));
                self.by_len.sort_by_key(|e| std::cmp::Reverse(e.0));
            }
        }
    }
}

/// Longest-prefix tables for both address families (also used by `enrich::ip_ranges`).
#[derive(Debug, Default)]
pub(crate) struct IpTable {
    pub(crate) v4: Lpm<u32>,
    pub(crate) v6: Lpm<u128>,
}

impl IpTable {
    /// Add a network; the first value inserted for a network wins.
    pub(crate) fn insert(&mut self, net: ipnet::IpNet, value: u32) {
        match net {
            ipnet::IpNet::V4(n) => self
                .v4
                .insert(n.prefix_len(), mask4(n.network().into(), n.prefix_len()), value),
            ipnet::IpNet::V6(n) => self
                .v6
                .insert(n.prefix_len(), mask6(n.network().into(), n.prefix_len()), value),
        }
    }

    /// The value of the longest prefix containing `ip`, and that prefix's length. IPv4-mapped
    /// IPv6 addresses are looked up as IPv4.
    pub(crate) fn get(&self, ip: IpAddr) -> Option<(u32, u8)> {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4
                    .by_len
                    .iter()
                    .find_map(|(len, m)| m.get(&mask4(a, *len)).map(|&v| (v, *len)))
            }
            IpAddr::V6(a) => {
                if let Some(v4) = a.to_ipv4_mapped() {
                    return self.get(IpAddr::V4(v4));
                }
                let a = u128::from(a);
                self.v6
                    .by_len
                    .iter()
                    .find_map(|(len, m)| m.get(&mask6(a, *len)).map(|&v| (v, *len)))
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.v4.by_len.is_empty() && self.v6.by_len.is_empty()
    }
}

/// Matches hosts and IPs against the catalog.
#[derive(Debug)]
pub struct Matcher {
    domains: Map<Box<[u8]>, u32>,
    ips: IpTable,
}

/// `a` with only its first `len` bits.
pub(crate) fn mask4(a: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        a & (u32::MAX << (32 - len as u32))
    }
}

/// `a` with only its first `len` bits.
pub(crate) fn mask6(a: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        a & (u128::MAX << (128 - len as u32))
    }
}

impl Matcher {
    /// Build from a loaded catalog (app index = position in `catalog.apps`).
    pub fn new(catalog: &Catalog) -> Matcher {
        let mut m = Matcher {
            domains: Map::default(),
            ips: IpTable::default(),
        };
        for (i, app) in catalog.apps.iter().enumerate() {
            for d in &app.domains {
                m.domains.entry(d.as_bytes().into()).or_insert(i as u32);
            }
            for r in &app.ip_ranges {
                // (validated at load time)
                if let Ok(net) = r.parse::<ipnet::IpNet>() {
                    m.ips.insert(net, i as u32);
                }
            }
        }
        m
    }

    /// The app of a lower-case host name (no port, no trailing dot), most specific suffix first.
    #[inline]
    pub fn match_host(&self, host: &[u8]) -> Option<u32> {
        self.match_host_rule(host).map(|(app, _)| app)
    }

    /// Like [`Matcher::match_host`], also returning the catalog domain that matched.
    #[inline]
    pub fn match_host_rule<'h>(&self, host: &'h [u8]) -> Option<(u32, &'h [u8])> {
        let mut h = host;
        loop {
            if let Some(&app) = self.domains.get(h) {
                return Some((app, h));
            }
            let dot = memchr::memchr(b'.', h)?;
            h = &h[dot + 1..];
        }
    }

    /// The app whose range contains `ip` (longest prefix wins).
    #[inline]
    pub fn match_ip(&self, ip: IpAddr) -> Option<u32> {
        self.match_ip_rule(ip).map(|(a, _)| a)
    }

    /// Like [`Matcher::match_ip`], also returning the prefix length that matched.
    pub fn match_ip_rule(&self, ip: IpAddr) -> Option<(u32, u8)> {
        self.ips.get(ip)
    }

    /// Whether the catalog has any IP ranges.
    pub fn has_ranges(&self) -> bool {
        !self.ips.is_empty()
    }
}

impl Matcher {
    /// Attribute a record the way a scan does: by host name when it has one (an IP-literal host
    /// is matched against the ranges), else by destination IP.
    pub fn attribute(&self, rec: &crate::base::Record<'_>) -> Option<(u32, Attribution)> {
        match rec.dest_host_lower() {
            Some(h) => {
                if let Ok(ip) = h.parse::<IpAddr>() {
                    return self.match_ip(ip).map(|a| (a, Attribution::Ip));
                }
                self.match_host(h.as_bytes()).map(|a| (a, Attribution::Domain))
            }
            None => self.match_ip(rec.dest_ip?).map(|a| (a, Attribution::Ip)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::App;

    fn app(id: &str, domains: &[&str], ranges: &[&str]) -> App {
        App {
            id: id.into(),
            name: id.into(),
            category: "Collaboration".into(),
            vendor: None,
            homepage: None,
            headquarters: None,
            domains: domains.iter().map(|s| s.to_string()).collect(),
            ip_ranges: ranges.iter().map(|s| s.to_string()).collect(),
            notes: None,
            factors: Default::default(),
            score: None,
            custom: false,
        }
    }

    #[test]
    fn most_specific_domain_and_longest_prefix() {
        let cat = Catalog {
            apps: vec![
                app("google", &["google.com"], &["10.0.0.0/8"]),
                app("gdrive", &["drive.google.com"], &["10.1.0.0/16", "2001:db8::/32"]),
                app("gmail", &["mail.google.com"], &["10.1.2.0/24"]),
            ],
            ..Catalog::default()
        };
        let m = Matcher::new(&cat);
        assert_eq!(m.match_host(b"google.com"), Some(0));
        assert_eq!(m.match_host(b"www.google.com"), Some(0));
        assert_eq!(m.match_host(b"a.b.drive.google.com"), Some(1));
        assert_eq!(m.match_host(b"mail.google.com"), Some(2));
        assert_eq!(m.match_host(b"notgoogle.com"), None);
        assert_eq!(m.match_host(b"google.com.evil.example"), None);
        assert_eq!(m.match_host(b"com"), None);
        assert_eq!(
            m.match_host_rule(b"x.drive.google.com").map(|r| r.1),
            Some(&b"drive.google.com"[..])
        );
        assert_eq!(m.match_ip("10.9.9.9".parse().unwrap()), Some(0));
        assert_eq!(m.match_ip("10.1.9.9".parse().unwrap()), Some(1));
        assert_eq!(m.match_ip("10.1.2.3".parse().unwrap()), Some(2));
        assert_eq!(m.match_ip("11.0.0.1".parse().unwrap()), None);
        assert_eq!(m.match_ip("2001:db8::5".parse().unwrap()), Some(1));
        assert_eq!(m.match_ip("::ffff:10.1.2.3".parse().unwrap()), Some(2));
        assert_eq!(m.match_ip("2001:db9::5".parse().unwrap()), None);
    }
}
