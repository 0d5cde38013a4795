//! Excluded entities (`[exclude]`): users, source address ranges and apps whose traffic and
//! activities are not counted anywhere: not in the discovery tables, the history, the
//! activities table, the policies or the anomaly detections. `run.json` says how many records
//! and activities were excluded, per input and in total.
//!
//! * `users`: compared after the `[identity]` normalization, on both sides (so `CORP\jdoe`
//!   excludes `jdoe@corp.example` under `users = "upn"`), before any pseudonymization;
//!   letter case is ignored.
//! * `ips`: CIDR ranges (`10.20.0.0/16`, `2001:db8::/32`) or single addresses, matched on the
//!   source (client) address.
//! * `apps`: catalog app ids or names; a traffic record is excluded when it is attributed to
//!   the app, an activity when its source names the app.
//!
//! Owns: the exclusion test. Must not touch: counting (the scan counts what this excludes).

use crate::base::activity::Activity;
use crate::base::Record;
use crate::catalog::{Catalog, Matcher};
use crate::enrich::Identity;
use std::collections::HashSet;
use std::net::IpAddr;

/// A bad `[exclude]` entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExcludeError {
    /// Not an address or CIDR range.
    #[error("[exclude] ips: {0:?} is not an IP address or CIDR range (e.g. \"10.20.0.0/16\")")]
    BadRange(String),
    /// An app the catalog does not have.
    #[error("[exclude] apps: {0:?} is not a catalog app id or name (see `cloudcensus catalog search`)")]
    UnknownApp(String),
}

/// What a run excludes. The default excludes nothing.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    users: HashSet<String>,
    nets: Vec<ipnet::IpNet>,
    /// Catalog app indexes (for traffic), and the catalog's matcher when there are any.
    app_idx: HashSet<u32>,
    matcher: Option<std::sync::Arc<Matcher>>,
    /// Catalog app ids and lower-cased names (for activities).
    app_keys: HashSet<String>,
}

impl Exclusions {
    /// From the config's lists, checked against the catalog.
    pub fn new(
        users: &[String],
        ips: &[String],
        apps: &[String],
        identity: &Identity,
        catalog: &Catalog,
    ) -> Result<Exclusions, ExcludeError> {
        let users = users.iter().map(|u| key(identity, u.trim())).collect();
        let nets = ips
            .iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| ExcludeError::BadRange(s.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let mut app_idx = HashSet::new();
        let mut app_keys = HashSet::new();
        for a in apps {
            let want = a.trim().to_lowercase();
            let found = catalog
                .apps
                .iter()
                .position(|c| c.id.to_lowercase() == want || c.name.to_lowercase() == want)
                .ok_or_else(|| ExcludeError::UnknownApp(a.clone()))?;
            let app = &catalog.apps[found];
            app_idx.insert(found as u32);
            app_keys.insert(app.id.to_lowercase());
            app_keys.insert(app.name.to_lowercase());
        }
        let matcher = (!app_idx.is_empty()).then(|| std::sync::Arc::new(Matcher::new(catalog)));
        Ok(Exclusions {
            users,
            nets,
            matcher,
            app_idx,
            app_keys,
        })
    }

    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.nets.is_empty() && self.app_idx.is_empty()
    }

    fn user(&self, u: Option<&str>) -> bool {
        !self.users.is_empty() && u.is_some_and(|u| self.users.contains(&u.to_lowercase()))
    }

    fn ip(&self, ip: Option<IpAddr>) -> bool {
        // An IPv4 client logged as `::ffff:10.1.2.3` is the IPv4 client.
        ip.map(|ip| ip.to_canonical())
            .is_some_and(|ip| self.nets.iter().any(|n| n.contains(&ip)))
    }

    /// Whether a traffic record (its user already normalized) is excluded.
    pub fn record(&self, r: &Record<'_>) -> bool {
        if self.is_empty() {
            return false;
        }
        self.user(r.user.as_deref())
            || self.ip(r.source_ip)
            || self
                .matcher
                .as_ref()
                .is_some_and(|m| m.attribute(r).is_some_and(|(a, _)| self.app_idx.contains(&a)))
    }

    /// Whether an activity (its user already normalized) is excluded.
    pub fn activity(&self, a: &Activity) -> bool {
        if self.is_empty() {
            return false;
        }
        self.user(a.user.as_deref())
            || self.ip(a.ip)
            || (!self.app_keys.is_empty()
                && (a.app_id.is_some_and(|id| self.app_keys.contains(&id.to_lowercase()))
                    || a.app
                        .as_deref()
                        .is_some_and(|n| self.app_keys.contains(&n.to_lowercase()))))
    }
}

fn key(identity: &Identity, u: &str) -> String {
    identity.apply(u).to_lowercase()
}
