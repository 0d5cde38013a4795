//! Block scripts: the domains of the apps carrying a tag (`unsanctioned` by default), as a list
//! in the syntax of one appliance (`appliances.rs`, each with the vendor reference it follows).
//!
//! Which domains: every catalog domain of every app with the tag, lower-cased, except
//! - a domain of an app tagged `sanctioned`, or a parent of one (blocking `openai.com` would
//!   block a sanctioned `api.openai.com`); a domain *under* a sanctioned app's domain is the
//!   other app's own (the catalog attributes it to the most specific app), so it stays;
//! - a name of the built-in do-not-block list (`catalog/do-not-block.txt`: sign-in, updates,
//!   certificate checks) or a parent of one;
//! - a name that is not a valid DNS name, or too long for the appliance.
//!
//! Each domain left out is listed with the app and the reason. For appliances whose entries
//! cover subdomains, a domain under another selected domain is merged into it (Squid even
//! refuses such a list).
//!
//! Owns: the selection and the rendering. Must not touch: scans; it reads the catalog and tags.

mod appliances;

use crate::catalog::Catalog;
pub use appliances::{Appliance, APPLIANCES};
use std::collections::{BTreeMap, BTreeSet};

/// A block script that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// More entries than the appliance takes.
    #[error("{appliance}: {entries} entries, more than the {limit} the appliance takes ({reference}); block fewer apps, or split them by tag")]
    TooMany {
        /// Appliance name.
        appliance: &'static str,
        /// Entries the list would have.
        entries: usize,
        /// The limit.
        limit: usize,
        /// Where the limit is documented.
        reference: &'static str,
    },
    /// A bigger file than the appliance takes.
    #[error("{appliance}: {bytes} bytes, more than the {limit} the appliance takes ({reference}); block fewer apps, or split them by tag")]
    TooBig {
        /// Appliance name.
        appliance: &'static str,
        /// Size of the list.
        bytes: usize,
        /// The limit.
        limit: usize,
        /// Where the limit is documented.
        reference: &'static str,
    },
}

/// The built-in do-not-block list.
pub const DO_NOT_BLOCK: &str = include_str!("../../../catalog/do-not-block.txt");

/// A domain left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// The domain.
    pub domain: String,
    /// The app it belongs to.
    pub app: String,
    /// Why.
    pub reason: String,
}

/// The domains to block.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The tag the apps were picked by.
    pub tag: String,
    /// App ids with the tag, sorted.
    pub apps: Vec<String>,
    /// Domain → the app it comes from, sorted by domain.
    pub domains: BTreeMap<String, String>,
    /// Left out, in domain order.
    pub left_out: Vec<LeftOut>,
}

/// `a` is `b` or a parent domain of it (`example.com` of `x.example.com`).
fn covers(a: &str, b: &str) -> bool {
    b == a || (b.len() > a.len() && b.ends_with(a) && b.as_bytes()[b.len() - a.len() - 1] == b'.')
}

/// A DNS name the appliances can take: ASCII letters, digits, `-` and `_`, labels of 1–63,
/// at most 253 characters, not starting or ending with `-`.
pub fn valid_name(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// The do-not-block list: (name, whether everything under it is protected too).
pub fn protected() -> Vec<(String, bool)> {
    DO_NOT_BLOCK
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix('.') {
            Some(d) => (d.to_ascii_lowercase(), true),
            None => (l.to_ascii_lowercase(), false),
        })
        .collect()
}

/// Pick the domains of the apps tagged `tag`.
pub fn select(catalog: &Catalog, tags: &BTreeMap<String, Vec<String>>, tag: &str) -> Selection {
    let has = |id: &str, t: &str| {
        tags.get(id)
            .is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case(t)))
    };
    let sanctioned: Vec<(&str, &str)> = catalog
        .apps
        .iter()
        .filter(|a| has(&a.id, "sanctioned"))
        .flat_map(|a| a.domains.iter().map(move |d| (d.as_str(), a.id.as_str())))
        .collect();
    let protected = protected();
    let mut sel = Selection {
        tag: tag.to_string(),
        ..Selection::default()
    };
    let mut apps = BTreeSet::new();
    for a in catalog.apps.iter().filter(|a| has(&a.id, tag)) {
        apps.insert(a.id.clone());
        // A sanctioned app is never blocked, whatever else it is tagged.
        let self_sanctioned = has(&a.id, "sanctioned");
        for d in &a.domains {
            let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
            let out = |reason: String| LeftOut {
                domain: d.clone(),
                app: a.id.clone(),
                reason,
            };
            if self_sanctioned {
                sel.left_out.push(out("the app is tagged sanctioned too".into()));
            } else if !valid_name(&d) {
                sel.left_out.push(out("not a valid DNS name for a block list".into()));
            } else if let Some((s, app)) = sanctioned.iter().find(|(s, _)| covers(&d, s)) {
                sel.left_out.push(out(if *s == d {
                    format!("shared with the sanctioned app {app}")
                } else {
                    format!("would also block {s} of the sanctioned app {app}")
                }));
            } else if let Some((p, _)) = protected
                .iter()
                .find(|(p, subtree)| covers(&d, p) || (*subtree && covers(p, &d)))
            {
                sel.left_out.push(out(format!(
                    "on the do-not-block list ({p}: sign-in, updates or certificate checks)"
                )));
            } else {
                sel.domains.entry(d).or_insert_with(|| a.id.clone());
            }
        }
    }
    sel.apps = apps.into_iter().collect();
    sel.left_out
        .sort_by(|a, b| (&a.domain, &a.app).cmp(&(&b.domain, &b.app)));
    sel.left_out.dedup();
    sel
}

impl Selection {
    /// The domains with the ones under another selected domain merged into it (for entries
    /// that cover subdomains): (kept, merged away as (domain, into)).
    pub fn merged(&self) -> (Vec<&str>, Vec<(&str, &str)>) {
        let mut kept: Vec<&str> = Vec::new();
        let mut merged = Vec::new();
        // Shortest first: a parent is seen before its children.
        let mut all: Vec<&str> = self.domains.keys().map(String::as_str).collect();
        all.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        for d in all {
            match kept.iter().find(|k| covers(k, d)) {
                Some(k) => merged.push((d, *k)),
                None => kept.push(d),
            }
        }
        kept.sort_unstable();
        merged.sort_unstable();
        (kept, merged)
    }
}

/// The script for an appliance. `generated` is the day (`YYYY-MM-DD`) for its header.
pub fn render(appliance: &Appliance, sel: &Selection, generated: &str) -> Result<(String, Vec<LeftOut>), BlockError> {
    appliances::render(appliance, sel, generated)
}

#[cfg(test)]
mod tests;
