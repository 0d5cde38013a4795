//! [`Interner`]: strings as dense ids (0, 1, 2, ... in first-seen order), so that tables keyed
//! by names can hold a `u32` instead of a copy of each name.
//!
//! Owns: the id ↔ name mapping. Must not touch: what the names mean.

use std::collections::HashMap;

/// Names by dense id, and ids by name.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Box<str>, u32, foldhash::fast::FixedState>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The id of `s`, added when new (the next id: [`Interner::len`] before the call).
    #[inline]
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The id of `s`, if it has one.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// The name of `id` (an id this interner gave).
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// Every name, by id.
    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_in_first_seen_order() {
        let mut i = Interner::default();
        assert!(i.is_empty() && i.get("a").is_none());
        assert_eq!((i.id("b"), i.id("a"), i.id("b")), (0, 1, 0));
        assert_eq!((i.get("a"), i.name(0), i.len()), (Some(1), "b", 2));
        assert_eq!(i.names().iter().map(|n| &**n).collect::<Vec<_>>(), ["b", "a"]);
    }
}
