//! Enrichment of activities: the catalog's app name, the GeoIP country when the log gives
//! none, the category and tags of the client address's IP ranges, the user name in the
//! configured form. Done by each scan worker as activities are read, before they are sorted.

use super::ip_ranges::IpRanges;
use super::{CountryCache, GeoDb, Identity};
use crate::base::activity::Activity;
use crate::catalog::Catalog;
use std::collections::HashMap;

/// Fills in app names, countries and IP categories, and writes users in the configured form,
/// one activity at a time (its GeoIP memo has a fixed size).
pub struct Enricher<'a> {
    by_id: HashMap<&'a str, &'a str>,
    by_name: HashMap<String, &'a str>,
    geo: Option<&'a GeoDb>,
    countries: CountryCache,
    ranges: &'a IpRanges,
    identity: &'a Identity,
}

impl<'a> Enricher<'a> {
    /// An enricher for the given catalog, database, IP ranges and identity settings.
    pub fn new(catalog: &'a Catalog, geo: Option<&'a GeoDb>, ranges: &'a IpRanges, identity: &'a Identity) -> Self {
        Enricher {
            by_id: catalog.apps.iter().map(|a| (a.id.as_str(), a.name.as_str())).collect(),
            by_name: catalog
                .apps
                .iter()
                .map(|a| (a.name.to_lowercase(), a.name.as_str()))
                .collect(),
            geo,
            countries: CountryCache::default(),
            ranges,
            identity,
        }
    }

    /// Enrich one activity.
    pub fn apply(&mut self, a: &mut Activity) {
        if !self.identity.is_as_logged() {
            if let Some(std::borrow::Cow::Owned(u)) = a.user.as_deref().map(|u| self.identity.apply(u)) {
                a.user = Some(u);
            }
        }
        if let Some(name) = a.app_id.and_then(|id| self.by_id.get(id)) {
            a.app = Some(name.to_string());
        } else if let Some(name) = a.app.as_ref().and_then(|n| self.by_name.get(&n.to_lowercase())) {
            a.app = Some(name.to_string());
        }
        if let Some(ip) = a.ip {
            if a.country.is_none() {
                if let Some(g) = self.geo {
                    a.country = self
                        .countries
                        .country(g, ip)
                        .map(|c| String::from_utf8_lossy(&c).into_owned());
                }
            }
            if let Some(r) = self.ranges.lookup(ip) {
                a.ip_category = Some(r.category);
                a.ip_tags = r.tags.clone();
            }
        }
        if let Some(c) = &mut a.country {
            c.make_ascii_uppercase();
        }
    }
}

/// [`Enricher::apply`] on every activity.
pub fn enrich(acts: &mut [Activity], catalog: &Catalog, geo: Option<&GeoDb>, ranges: &IpRanges, identity: &Identity) {
    let mut e = Enricher::new(catalog, geo, ranges, identity);
    acts.iter_mut().for_each(|a| e.apply(a));
}
