//! The activity side of a scan, after parsing: enrich the activities, replay them through the
//! policies, apply daily limits against the state store, build alerts, deliver the new ones.
//!
//! 1. [`enrich`] — catalog app names, GeoIP country (when the log has none), IP category and
//!    tags from the configured and built-in ranges.
//! 2. [`run`] — one pass over the scan's sorted activity runs: each activity enriched, written
//!    to `activities.parquet` and replayed ([`crate::policy::engine`]); then dedup against the
//!    state store (an alert id already stored is not new; a closed alert stays closed), daily
//!    limits, alert records. It only reads the state: the alerts are committed by
//!    [`super::run`] after the outputs.
//! 3. [`deliver`] — each new alert to its policy's and the global targets; failures are
//!    recorded in the state store and retried by the next run.

use crate::alerts::delivery::{self, DeliveryReport, Target};
use crate::alerts::Alert;
use crate::base::activity::{Activity, ActivityType};
use crate::base::Record;
use crate::catalog::{Catalog, Matcher};
use crate::enrich::ip_ranges::IpRanges;
use crate::enrich::{CountryCache, GeoDb, Privacy};
use crate::policy::model::{Policy, Source};
use crate::policy::PolicyReport;
use crate::state::{State, StateError};
use std::collections::HashMap;

mod stream;
pub use stream::{run, ReplayError, ReplayInput, Replayed};

/// Fills in app names, countries and IP categories, then masks the source address when
/// `[privacy]` says so, one activity at a time (its GeoIP memo has a fixed size). User names
/// are already in their configured form (and tokens): the scan's workers did that at parse time.
pub struct Enricher<'a> {
    by_id: HashMap<&'a str, &'a str>,
    by_name: HashMap<String, &'a str>,
    geo: Option<&'a GeoDb>,
    countries: CountryCache,
    ranges: &'a IpRanges,
    privacy: &'a Privacy,
}

impl<'a> Enricher<'a> {
    /// An enricher for the given catalog, database, IP ranges and privacy settings.
    pub fn new(catalog: &'a Catalog, geo: Option<&'a GeoDb>, ranges: &'a IpRanges, privacy: &'a Privacy) -> Self {
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
            privacy,
        }
    }

    /// Enrich one activity.
    pub fn apply(&mut self, a: &mut Activity) {
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
        self.privacy.mask_activity(a);
    }
}

/// [`Enricher::apply`] on every activity.
pub fn enrich(acts: &mut [Activity], catalog: &Catalog, geo: Option<&GeoDb>, ranges: &IpRanges, privacy: &Privacy) {
    let mut e = Enricher::new(catalog, geo, ranges, privacy);
    acts.iter_mut().for_each(|a| e.apply(a));
}

/// Turns traffic records into activities for the enabled `source = "traffic"` policies.
pub struct TrafficSelector {
    policies: Vec<Policy>,
    names: Vec<String>,
}

impl TrafficSelector {
    /// `None` when no enabled policy reads traffic (then traffic costs nothing extra).
    pub fn new(policies: &[Policy], enabled: &[bool], catalog: &Catalog) -> Option<TrafficSelector> {
        let ps: Vec<Policy> = policies
            .iter()
            .zip(enabled)
            .filter(|(p, e)| **e && p.source == Source::Traffic)
            .map(|(p, _)| p.clone())
            .collect();
        if ps.is_empty() {
            return None;
        }
        Some(TrafficSelector {
            policies: ps,
            names: catalog.apps.iter().map(|a| a.name.clone()).collect(),
        })
    }
}

/// A traffic record as an activity: `upload` when the request carried more bytes than the
/// response, else `download`; the app is the catalog app the record is attributed to.
pub fn traffic_activity(r: &Record<'_>, app: Option<&str>) -> Option<Activity> {
    let time_us = r.time_us?;
    let up = r.bytes_up.unwrap_or(0);
    let down = r.bytes_down.unwrap_or(0);
    Some(Activity {
        time_us,
        user: r.user.as_deref().map(str::to_string),
        app: app.map(str::to_string),
        activity: if up > down {
            ActivityType::Upload
        } else {
            ActivityType::Download
        },
        action: r.method.as_deref().unwrap_or("").to_string(),
        ip: r.source_ip,
        object: r.dest_host_lower().map(|h| h.into_owned()),
        user_agent: r.user_agent.as_deref().map(str::to_string),
        bytes_up: r.bytes_up,
        bytes_down: r.bytes_down,
        traffic: true,
        ..Activity::default()
    })
}

impl crate::pipeline::scan::TrafficActivities for TrafficSelector {
    fn select(&self, r: &Record<'_>, matcher: &Matcher) -> Option<Activity> {
        let app = matcher.attribute(r).map(|(i, _)| self.names[i as usize].as_str());
        let a = traffic_activity(r, app)?;
        self.policies
            .iter()
            .any(|p| p.filters.iter().all(|f| f.matches(&a)))
            .then_some(a)
    }
}

/// Outcome of the replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOutcome {
    /// Alerts of this run, in time order.
    pub alerts: Vec<Alert>,
    /// Per policy.
    pub policies: Vec<PolicyReport>,
    /// Where the policies came from (`built-in` or a folder).
    pub policy_source: String,
}

/// Policy enable state: the file's, overridden by the state store.
pub fn enabled_flags(policies: &[Policy], state: Option<&State>) -> Result<Vec<bool>, StateError> {
    let over = match state {
        Some(s) => s.policy_overrides()?,
        None => HashMap::new(),
    };
    Ok(policies
        .iter()
        .map(|p| over.get(&p.id).copied().unwrap_or(p.enabled))
        .collect())
}

/// Targets of an alert: its policy's, then the global ones.
pub fn targets_for(policy: &Policy, global: &[Target]) -> Vec<Target> {
    let mut t = Vec::new();
    if let Some(u) = &policy.notify.webhook {
        match &policy.notify.pagerduty_routing_key {
            Some(k) => t.push(Target::PagerDuty {
                url: u.clone(),
                routing_key: k.clone(),
            }),
            None => t.push(Target::Webhook(u.clone())),
        }
    }
    t.extend(policy.notify.email.iter().map(|e| Target::Email(e.clone())));
    for g in global {
        if !t.contains(g) {
            t.push(g.clone());
        }
    }
    t
}

/// Deliver the run's open alerts to every target that has not received them (new alerts, and
/// earlier failures of alerts this run sees again). Every outcome is recorded in the state
/// store (when there is one) and returned.
pub fn deliver(
    outcome: &ReplayOutcome,
    policies: &[Policy],
    global: &[Target],
    settings: &delivery::Settings,
    state: Option<&State>,
) -> Result<Vec<DeliveryReport>, StateError> {
    // Every open alert of this run goes to each of its targets that has not received it yet:
    // new alerts, and alerts whose delivery failed or was cut short (e.g. a killed run) before.
    let mut jobs: Vec<(&Alert, Target)> = Vec::new();
    for a in &outcome.alerts {
        if a.status != "open" {
            continue;
        }
        // Discovery and anomaly alerts have no activity policy: they go to the global targets.
        let targets = match policies.iter().find(|p| p.id == a.policy_id) {
            Some(p) => targets_for(p, global),
            None if a.kind != crate::alerts::AlertKind::Activity => global.to_vec(),
            None => continue,
        };
        for t in targets {
            let done = match state {
                Some(s) => s.delivered(&a.id, &t.key())?,
                None => !a.is_new,
            };
            if !done {
                jobs.push((a, t));
            }
        }
    }
    let mut out = Vec::new();
    for (a, t) in jobs {
        let o = delivery::deliver(a, &t, settings);
        if let Some(s) = state {
            s.record_delivery(&a.id, &o)?;
        }
        out.push(DeliveryReport {
            alert_id: a.id.clone(),
            target: o.target.clone(),
            attempts: o.attempts,
            delivered: o.error.is_none(),
            permanent: o.permanent,
            error: o.error,
        });
    }
    Ok(out)
}
