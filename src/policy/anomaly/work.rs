//! The baselines while a run goes: users and countries as dense ids. A user's state is then
//! one hash lookup per activity, and a (user, country) pair costs 8 bytes in the user's list,
//! not a copy of the country's code and a tree entry. [`Known::into_baselines`] gives back the
//! form the state keeps, in key order.
//!
//! The organisation's table keeps, per country, only the users seen there most recently: the
//! detections ask of it only whether at least `n` *other* users were there since a day, for
//! `n` up to the largest `org_min_users` of the loaded policies (1 for `org_wide`). The `n + 1`
//! users with the latest days answer that exactly (whoever is dropped has a day no later than
//! all of them), and at least [`ORG_KEEP`] are kept, so raising `org_min_users` that far later
//! still finds the history. Without this the table held every (user, country) pair a second
//! time, and on logs where users move between many countries that was most of the replay's
//! memory.
//!
//! Owns: the working form and its conversion to and from [`Baselines`]. Must not touch: the
//! detection rules (`detect`).

use super::detect::{Baselines, Loc, UserBaseline};
use crate::base::intern::Interner;
use std::collections::BTreeMap;

/// The fewest users kept per country in the organisation's table.
pub(super) const ORG_KEEP: usize = 32;

/// A day number as kept here. Days from µs timestamps are within ±1.1e8, so this is exact for
/// every day an activity can have; a state edited by hand is clamped.
fn day32(d: i64) -> i32 {
    d.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

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
    pub countries: Vec<(u32, i32)>,
    /// UTC day → activities per type (see [`UserBaseline::days`]).
    pub days: BTreeMap<i64, BTreeMap<u8, u32>>,
}

impl UserWork {
    /// The last day the user was seen in country `c`.
    pub fn last_in(&self, c: Option<u32>) -> Option<i64> {
        let c = c?;
        self.countries.iter().find(|(x, _)| *x == c).map(|(_, d)| i64::from(*d))
    }

    /// The user was seen in country `c` on `day` (days only grow: the stream is in time order).
    pub fn seen_in(&mut self, c: u32, day: i64) {
        let day = day32(day);
        match self.countries.iter_mut().find(|(x, _)| *x == c) {
            Some((_, d)) => *d = day,
            None => self.countries.push((c, day)),
        }
    }
}

/// The users and countries a run knows.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// User names (lower-case).
    names: Interner,
    /// By user id; `None` for a name only the organisation's countries hold.
    users: Vec<Option<UserWork>>,
    /// The watermark each user had when the run started, by id (`None`: not in the baselines).
    before: Vec<Option<i64>>,
    countries: Interner,
    /// By country id: (user id, the last UTC day they were seen there) of the `org_keep`
    /// users seen there most recently, latest day first.
    org: Vec<Vec<(u32, i32)>>,
    org_keep: usize,
}

impl Known {
    /// The working form of what the state kept; the organisation's table answers for up to
    /// `org_min_users` other users (see the module doc).
    pub fn from_baselines(
        users: BTreeMap<String, UserBaseline>,
        org: BTreeMap<String, BTreeMap<String, i64>>,
        org_min_users: usize,
    ) -> Self {
        let mut k = Known {
            org_keep: (org_min_users + 1).max(ORG_KEEP),
            ..Known::default()
        };
        for (name, u) in users {
            let id = k.name_id(&name);
            k.before[id as usize] = Some(u.watermark_us);
            let countries = u.countries.iter().map(|(c, d)| (k.country_id(c), day32(*d))).collect();
            k.users[id as usize] = Some(UserWork {
                watermark_us: u.watermark_us,
                first_day: u.first_day,
                last_loc: u.last_loc,
                countries,
                days: u.days,
            });
        }
        for (c, m) in org {
            let c = k.country_id(&c);
            for (name, d) in m {
                let id = k.name_id(&name);
                k.org_seen(c, id, d);
            }
        }
        k
    }

    /// User `id` was seen in country `c` on `day`.
    pub fn org_seen(&mut self, c: u32, id: u32, day: i64) {
        let day = day32(day);
        let list = &mut self.org[c as usize];
        if let Some(i) = list.iter().position(|(u, _)| *u == id) {
            if list[i].1 >= day {
                return;
            }
            list.remove(i);
        }
        // Latest first; a day no later than all the kept ones falls off the end when full.
        let at = list.iter().position(|(_, d)| *d < day).unwrap_or(list.len());
        if at < self.org_keep {
            list.insert(at, (id, day));
            list.truncate(self.org_keep);
        }
    }

    /// How many users other than `me` were seen in country `c` on `since` or later, counted
    /// up to the `org_min_users` the table was made for (beyond it, the count may be short).
    pub fn others_since(&self, c: Option<u32>, me: Option<u32>, since: i64) -> usize {
        let Some(c) = c else { return 0 };
        let others = self.org[c as usize].iter();
        others.filter(|(u, d)| Some(*u) != me && i64::from(*d) >= since).count()
    }

    /// Forget the organisation's days before `keep`.
    pub fn org_forget_before(&mut self, keep: i64) {
        for list in &mut self.org {
            list.retain(|(_, d)| i64::from(*d) >= keep);
        }
    }

    /// The id of a user name, if the run knows it.
    pub fn user(&self, name: &str) -> Option<u32> {
        self.names.get(name)
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
        self.countries.get(code)
    }

    /// A country's code.
    pub fn country_name(&self, id: u32) -> &str {
        self.countries.name(id)
    }

    /// The id of country `code`, added when new.
    pub fn country_id(&mut self, code: &str) -> u32 {
        let id = self.countries.id(code);
        if id as usize == self.org.len() {
            self.org.push(Vec::new());
        }
        id
    }

    fn name_id(&mut self, name: &str) -> u32 {
        let id = self.names.id(name);
        if id as usize == self.users.len() {
            self.users.push(None);
            self.before.push(None);
        }
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
            countries,
            org,
            ..
        } = self;
        b.users = names
            .names()
            .iter()
            .zip(users)
            .filter_map(|(name, w)| {
                let w = w?;
                let countries = w
                    .countries
                    .iter()
                    .map(|(c, d)| (countries.name(*c).to_string(), i64::from(*d)))
                    .collect();
                let u = UserBaseline {
                    watermark_us: w.watermark_us,
                    first_day: w.first_day,
                    last_loc: w.last_loc,
                    countries,
                    days: w.days,
                };
                Some((name.to_string(), u))
            })
            .collect();
        b.org_countries = org
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(|(c, m)| {
                let m = m
                    .into_iter()
                    .map(|(u, d)| (names.name(u).to_string(), i64::from(d)))
                    .collect();
                (countries.name(c as u32).to_string(), m)
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
        let k = Known::from_baselines(std::mem::take(&mut b.users), std::mem::take(&mut b.org_countries), 3);
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
        let mut k = Known::from_baselines(BTreeMap::new(), BTreeMap::new(), 3);
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

    #[test]
    fn the_organisations_table_answers_as_the_whole_table_would() {
        // Users seen in one country on pseudo-random days, not in day order; the latest users
        // kept must count others since a day as the whole table would.
        let mut k = Known::from_baselines(BTreeMap::new(), BTreeMap::new(), 3);
        assert_eq!(k.org_keep, ORG_KEEP);
        let c = k.country_id("FR");
        let mut all: std::collections::HashMap<u32, i64> = Default::default();
        let mut x = 7u64;
        for step in 0..5_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let id = (x >> 33) as u32 % 400;
            let day = 100 + (step / 10) as i64 - ((x >> 20) % 50) as i64;
            k.org_seen(c, id, day);
            let d = all.entry(id).or_insert(day);
            *d = (*d).max(day);
            if step % 97 == 0 {
                for me in [None, Some(id), Some(401)] {
                    for since in [day - 40, day - 5, day, day + 1] {
                        let want = all.iter().filter(|(u, d)| Some(**u) != me && **d >= since).count();
                        let got = k.others_since(Some(c), me, since);
                        // Exact up to what the table was made for (ORG_KEEP - 1 others).
                        assert_eq!(got.min(ORG_KEEP - 1), want.min(ORG_KEEP - 1), "step {step}");
                    }
                }
            }
        }
        assert_eq!(k.others_since(k.country("DE"), None, 0), 0);
        // A larger org_min_users keeps more.
        let big = Known::from_baselines(BTreeMap::new(), BTreeMap::new(), 100);
        assert_eq!(big.org_keep, 101);
    }

    #[test]
    fn ties_pruning_and_a_larger_stored_table() {
        // n + 1 kept is exactly enough: 50 users on one day, org_min_users 40 (41 kept); the
        // asker kept among them still sees 40 others, as the whole table would say (49 ≥ 40).
        let mut k = Known::from_baselines(BTreeMap::new(), BTreeMap::new(), 40);
        let c = k.country_id("FR");
        for u in 0..50 {
            k.org_seen(c, u, 10);
        }
        assert_eq!(k.org[c as usize].len(), 41);
        for me in [Some(0), Some(49), None] {
            assert!(k.others_since(Some(c), me, 10) >= 40, "{me:?}");
        }
        assert_eq!(k.others_since(Some(c), None, 11), 0);
        // Pruning keeps the answer: users on days 1..=50, then days before 30 forgotten.
        let mut k = Known::from_baselines(BTreeMap::new(), BTreeMap::new(), 3);
        let c = k.country_id("DE");
        for u in 0..50u32 {
            k.org_seen(c, u, i64::from(u) + 1);
        }
        k.org_forget_before(30);
        assert_eq!(k.others_since(Some(c), None, 0), 21);
        // A state written with the whole table (an older version): the latest 32 are kept.
        let fr: BTreeMap<String, i64> = (0..100).map(|i| (format!("u{i:03}"), i)).collect();
        let k = Known::from_baselines(BTreeMap::new(), BTreeMap::from([("FR".to_string(), fr)]), 3);
        assert_eq!(k.others_since(k.country("FR"), None, 90), 10);
        assert_eq!(k.others_since(k.country("FR"), k.user("u099"), 90), 9);
        let mut b = Baselines::default();
        k.into_baselines(&mut b);
        let kept = &b.org_countries["FR"];
        assert_eq!(kept.len(), ORG_KEEP);
        assert!(kept.iter().all(|(u, d)| *d >= 68 && *u == format!("u{d:03}")));
    }
}
