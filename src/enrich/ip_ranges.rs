//! IP address ranges: CIDR → category (corporate, administrative, risky, vpn, cloud_provider,
//! other) and tags, for activity policies (`ip_category`, `ip_tags`).
//!
//! Built-in ranges (`data/ip_tags.toml`, from nDPI's lists: Tor exit nodes, VPN
//! providers, cloud providers) are compiled in; ranges from the config file (`[[ip_ranges]]`)
//! override them: an address inside any user range gets the longest-prefix user range, and only
//! otherwise the longest-prefix built-in one, as in the product (custom beats built-in).

use crate::base::activity::IpCategory;
use crate::catalog::matcher::IpTable;
use serde::Deserialize;
use std::net::IpAddr;

/// The built-in ranges file.
pub const BUILTIN: &str = include_str!("../../data/ip_tags.toml");

/// One named range set.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Name (for people).
    pub name: String,
    /// Category.
    pub category: IpCategory,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Networks (CIDR or single addresses).
    pub cidrs: Vec<String>,
    /// Where the data comes from (built-in ranges).
    #[serde(default)]
    pub source: Option<String>,
    /// As of when (built-in ranges).
    #[serde(default)]
    pub as_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangesFile {
    range: Vec<RangeSpec>,
}

/// IP range errors.
#[derive(Debug, thiserror::Error)]
pub enum IpRangeError {
    /// A CIDR that does not parse.
    #[error("ip range {name:?}: {cidr:?} is not a CIDR range or IP address")]
    BadCidr {
        /// Range name.
        name: String,
        /// The value.
        cidr: String,
    },
    /// The built-in file is broken (a build problem).
    #[error("built-in ip_tags.toml: {0}")]
    Builtin(String),
}

/// Compiled ranges: user ranges first, then built-in ones.
pub struct IpRanges {
    specs: Vec<RangeSpec>,
    user: IpTable,
    builtin: IpTable,
}

impl IpRanges {
    /// Built-in ranges (unless `builtin` is false) plus the user's.
    pub fn new(user: &[RangeSpec], builtin: bool) -> Result<IpRanges, IpRangeError> {
        let mut r = IpRanges {
            specs: Vec::new(),
            user: IpTable::default(),
            builtin: IpTable::default(),
        };
        let parse = |s: &RangeSpec, c: &str| {
            c.parse::<ipnet::IpNet>()
                .or_else(|_| c.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| IpRangeError::BadCidr {
                    name: s.name.clone(),
                    cidr: c.to_string(),
                })
        };
        for s in user {
            let idx = r.specs.len() as u32;
            for c in &s.cidrs {
                r.user.insert(parse(s, c)?, idx);
            }
            r.specs.push(s.clone());
        }
        if builtin {
            let f: RangesFile = toml::from_str(BUILTIN).map_err(|e| IpRangeError::Builtin(e.to_string()))?;
            for s in f.range {
                let idx = r.specs.len() as u32;
                for c in &s.cidrs {
                    r.builtin.insert(parse(&s, c)?, idx);
                }
                r.specs.push(s);
            }
        }
        Ok(r)
    }

    /// The range an address falls in: the longest-prefix user range, else the longest-prefix
    /// built-in range.
    pub fn lookup(&self, ip: IpAddr) -> Option<&RangeSpec> {
        self.user
            .get(ip)
            .or_else(|| self.builtin.get(ip))
            .map(|(i, _)| &self.specs[i as usize])
    }

    /// Number of range sets and networks, for `run.json`.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// No ranges at all.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The range sets (user ones first).
    pub fn specs(&self) -> &[RangeSpec] {
        &self.specs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, cat: IpCategory, cidrs: &[&str]) -> RangeSpec {
        RangeSpec {
            name: name.into(),
            category: cat,
            tags: vec![name.to_lowercase()],
            cidrs: cidrs.iter().map(|s| s.to_string()).collect(),
            source: None,
            as_of: None,
        }
    }

    #[test]
    fn longest_prefix_and_user_over_builtin() {
        let r = IpRanges::new(
            &[
                spec("Office", IpCategory::Corporate, &["203.0.113.0/24"]),
                spec(
                    "Admins",
                    IpCategory::Administrative,
                    &["203.0.113.128/25", "2001:db8::/32"],
                ),
            ],
            true,
        )
        .unwrap();
        let cat = |ip: &str| r.lookup(ip.parse().unwrap()).map(|s| s.category);
        assert_eq!(cat("203.0.113.5"), Some(IpCategory::Corporate));
        assert_eq!(cat("203.0.113.200"), Some(IpCategory::Administrative), "longest prefix");
        assert_eq!(cat("2001:db8::1"), Some(IpCategory::Administrative));
        assert_eq!(cat("::ffff:203.0.113.5"), Some(IpCategory::Corporate), "IPv4-mapped");
        assert_eq!(cat("192.0.2.1"), None);
        // A Tor exit node from the built-in list.
        let tor: String = {
            let f: RangesFile = toml::from_str(BUILTIN).unwrap();
            let t = f.range.iter().find(|s| s.tags.contains(&"tor".to_string())).unwrap();
            t.cidrs[0].split('/').next().unwrap().to_string()
        };
        let hit = r.lookup(tor.parse().unwrap()).unwrap();
        assert_eq!(hit.category, IpCategory::Risky);
        assert!(hit.tags.contains(&"tor".to_string()));
        // A user range over the same address wins over the built-in one.
        let r2 = IpRanges::new(&[spec("Lab", IpCategory::Corporate, &[&format!("{tor}/32")])], true).unwrap();
        assert_eq!(r2.lookup(tor.parse().unwrap()).unwrap().category, IpCategory::Corporate);
        assert!(IpRanges::new(&[spec("Bad", IpCategory::Other, &["10.0.0/8"])], false).is_err());
    }
}
