//! The baselines while a run goes: users and countries as dense ids. A user's state is then
//! one hash lookup per activity, and a (user, country) pair costs 16 bytes in the user's list
//! and about as much in the organisation's table, not a copy of each name and a tree entry in
//! each (which made the pairs most of the replay's memory when users move between many
//! countries). [`Known::into_baselines`] gives back the form the state keeps, in key order.
//!
//! Owns: the working form and its conversion to and from [`Baselines`]. Must not touch: the
//! detection rules (`detect`).

use super::detect::{Baselines, Loc, UserBaseline};
use std::collections::{BTreeMap, HashMap};

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// One user's [`UserBaseline`] during a run, with its countries as ids.
#[derive(Debug, Default)]
pub(super) struct UserWork {
    /// The last activity instant processed (µs).
    pub watermark_us: i64,
    /// The first UTC day the user was seen.
    pub first_day: i64,
    /// The last successful interactive location.
    pub last_loc: Option<Loc>,
    /// (country id, the last UTC day the user was seen there): one per country, unordered.
    pub countries: Vec<(u32, i64)>,
    /// UTC day → activities per type (see [`UserBaseline::days`]).
    pub days: BTreeMap<i64, BTreeMap<u8, u32>>,
}

impl UserWork {
    /// The last day the user was seen in country `c`.
    pub fn last_in(&self, c: Option<u32>) -> Option<i64> {
        let c = c?;
        self.countries.iter().find(|(x, _)| *x == c).map(|(_, d)| *d)
    }

    /// The user was seen in country `c` on `day` (days only grow: the stream is in time order).
    pub fn seen_in(&mut self, c: u32, day: i64) {
        match self.countries.iter_mut().find(|(x, _)| *x == c) {
            Some((_, d)) => *d = day,
            None => self.countries.push((c, day)),
        }
    }
}

/// The users and countries a run knows.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// User names by id (lower-case).
    names: Vec<String>,
    ids: Map<String, u32>,
    /// By user id; `None` for a name only the organisation's countries hold.
    users: Vec<Option<UserWork>>,
    /// The watermark each user had when the run started, by id (`None`: not in the baselines).
    before: Vec<Option<i64>>,
    country_names: Vec<String>,
    country_ids: Map<String, u32>,
    /// By country id: user id → the last UTC day they were seen there.
    pub org: Vec<Map<u32, i64>>,
}

impl Known {
    /// The working form of what the state kept.
    pub fn from_baselines(users: BTreeMap<String, UserBaseline>, org: BTreeMap<String, BTreeMap<String, i64>>) -> Self {
        let mut k = Known::default();
        for (name, u) in users {
            let id = k.name_id(&name);
            k.before[id as usize] = Some(u.watermark_us);
            let countries = u.countries.iter().map(|(c, d)| (k.country_id(c), *d)).collect();
            k.users[id as usize] = Some(UserWork {
                watermark_us: u.watermark_us,
                first_day: u.first_day,
                last_loc: u.last_loc,
                countries,
                days: u.days,
            });
        }
        for (c, m) in org {
            let c = k.country_id(&c) as usize;
            for (name, d) in m {
                let id = k.name_id(&name);
                k.org[c].insert(id, d);
            }
        }
        k
    }

    /// The id of a user name, if the run knows it.
    pub fn user(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The user's watermark when the run started.
    pub fn before(&self, id: Option<u32>) -> Option<i64> {
        self.before.get(id? as usize).copied().flatten()
    }

    /// The user's baseline, if the user was seen (in this run or an earlier one).
    pub fn work(&self, id: Option<u32>) -> Option<&UserWork> {
        self.users.get(id? as usize)?.as_ref()
    }

    /// The user's baseline, started on `day` when the user is new.
    pub fn work_mut(&mut self, id: Option<u32>, name: &str, day: i64) -> (u32, &mut UserWork) {
        let id = id.unwrap_or_else(|| self.name_id(name));
        let w = self.users[id as usize].get_or_insert_with(|| UserWork {
            first_day: day,
            ..UserWork::default()
        });
        (id, w)
    }

    /// The id of a country, if any user was seen there.
    pub fn country(&self, code: &str) -> Option<u32> {
        self.country_ids.get(code).copied()
    }

    /// A country's code.
    pub fn country_name(&self, id: u32) -> &str {
        &self.country_names[id as usize]
    }

    /// The id of country `code`, added when new.
    pub fn country_id(&mut self, code: &str) -> u32 {
        if let Some(id) = self.country_ids.get(code) {
            return *id;
        }
        let id = u32::try_from(self.country_names.len()).expect("fewer than 2^32 countries");
        self.country_names.push(code.to_string());
        self.country_ids.insert(code.to_string(), id);
        self.org.push(Map::default());
        id
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 users");
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        self.users.push(None);
        self.before.push(None);
        id
    }

    /// The users seen, in no order.
    pub fn users_mut(&mut self) -> impl Iterator<Item = &mut UserWork> {
        self.users.iter_mut().flatten()
    }

    /// The kept form: every user seen, and the organisation's countries that still have a
    /// user, in key order.
    pub fn into_baselines(self, b: &mut Baselines) {
        let Known {
            names,
            users,
            country_names,
            org,
            ..
        } = self;
        b.users = names
            .iter()
            .zip(users)
            .filter_map(|(name, w)| {
                let w = w?;
                let countries = w
                    .countries
                    .iter()
                    .map(|(c, d)| (country_names[*c as usize].clone(), *d))
                    .collect();
                let u = UserBaseline {
                    watermark_us: w.watermark_us,
                    first_day: w.first_day,
                    last_loc: w.last_loc,
                    countries,
                    days: w.days,
                };
                Some((name.clone(), u))
            })
            .collect();
        b.org_countries = org
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(|(c, m)| {
                let m = m.into_iter().map(|(u, d)| (names[u as usize].clone(), d)).collect();
                (country_names[c].clone(), m)
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_come_back_as_they_went_in() {
        let user = |w: i64, countries: &[(&str, i64)]| UserBaseline {
            watermark_us: w,
            first_day: 3,
            last_loc: Some(Loc {
                time_us: w,
                country: "FR".into(),
                ip: Some("192.0.2.1".into()),
                trusted: false,
            }),
            countries: countries.iter().map(|(c, d)| (c.to_string(), *d)).collect(),
            days: BTreeMap::from([(9, BTreeMap::from([(2u8, 7u32)]))]),
        };
        let mut b = Baselines {
            first_us: Some(1),
            users: BTreeMap::from([
                ("zoe@contoso.com".into(), user(50, &[("FR", 9), ("DE", 8)])),
                ("al@contoso.com".into(), user(40, &[])),
            ]),
            // "ghost" is only in the organisation's table (an older state's leftover).
            org_countries: BTreeMap::from([
                (
                    "FR".into(),
                    BTreeMap::from([("zoe@contoso.com".into(), 9), ("ghost".into(), 2)]),
                ),
                ("DE".into(), BTreeMap::from([("zoe@contoso.com".into(), 8)])),
            ]),
            terminated: BTreeMap::new(),
        };
        let want = b.clone();
        let k = Known::from_baselines(std::mem::take(&mut b.users), std::mem::take(&mut b.org_countries));
        let (zoe, ghost) = (k.user("zoe@contoso.com"), k.user("ghost"));
        assert_eq!(k.before(zoe), Some(50));
        assert!(ghost.is_some() && k.before(ghost).is_none() && k.work(ghost).is_none());
        assert_eq!(k.work(zoe).unwrap().last_in(k.country("DE")), Some(8));
        assert_eq!(k.work(zoe).unwrap().last_in(k.country("US")), None);
        k.into_baselines(&mut b);
        assert_eq!(b, want);
    }

    #[test]
    fn a_user_is_added_once_and_a_country_day_moves_on() {
        let mut k = Known::default();
        let (id, w) = k.work_mut(None, "eve", 10);
        w.watermark_us = 5;
        let fr = k.country_id("FR");
        assert_eq!(k.country_id("FR"), fr);
        let (again, w) = k.work_mut(Some(id), "eve", 11);
        assert_eq!((again, w.first_day, w.watermark_us), (id, 10, 5));
        w.seen_in(fr, 10);
        w.seen_in(fr, 12);
        assert_eq!(w.countries, [(fr, 12)]);
        assert_eq!(k.user("eve"), Some(id));
        assert!(k.before(Some(id)).is_none());
    }
}
