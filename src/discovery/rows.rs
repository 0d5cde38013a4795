//! [`Rows`]: a table of unique keys kept as one vector sorted by key — the form of the
//! million-row aggregates (app×user, app×source IP) once counting is done: no hash-table slack
//! (a hash table is 1.1–2.3× its rows), the order the report writes, and a linear merge.

use rayon::prelude::*;

/// Rows with unique keys, sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Rows<K, V>(Vec<(K, V)>);

impl<K, V> Default for Rows<K, V> {
    fn default() -> Self {
        Rows(Vec::new())
    }
}

impl<K: Ord + Send, V: Send> Rows<K, V> {
    /// From rows with unique keys in any order (e.g. drained from a hash map).
    pub fn from_unique(mut v: Vec<(K, V)>) -> Self {
        v.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        debug_assert!(v.windows(2).all(|w| w[0].0 < w[1].0), "keys must be unique");
        Rows(v)
    }

    /// Whether the keys are unique and in order (rows read back from a file are checked).
    pub fn is_sorted_unique(&self) -> bool {
        self.0.windows(2).all(|w| w[0].0 < w[1].0)
    }

    /// Fold `other` in: rows of equal keys are combined with `f`, others kept; stays sorted.
    pub fn merge_with(&mut self, other: Rows<K, V>, f: impl Fn(&mut V, V)) {
        if other.0.is_empty() {
            return;
        }
        if self.0.is_empty() {
            *self = other;
            return;
        }
        let a = std::mem::take(&mut self.0);
        let mut out = Vec::with_capacity(a.len().max(other.0.len()));
        let (mut a, mut b) = (a.into_iter().peekable(), other.0.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                    std::cmp::Ordering::Less => a.next(),
                    std::cmp::Ordering::Greater => b.next(),
                    std::cmp::Ordering::Equal => {
                        let (k, mut v) = a.next().expect("peeked");
                        f(&mut v, b.next().expect("peeked").1);
                        Some((k, v))
                    }
                },
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => None,
            };
            match next {
                Some(row) => out.push(row),
                None => break,
            }
        }
        self.0 = out;
    }

    /// The value of `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        self.0.binary_search_by(|r| r.0.cmp(k)).ok().map(|i| &self.0[i].1)
    }
}

impl<K, V> Rows<K, V> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The rows, in key order.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.0
    }
    /// The rows as (key, value), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<'a, K, V> IntoIterator for &'a Rows<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_a_sorted_union_combining_equal_keys() {
        let mut a = Rows::from_unique(vec![(5, 1), (1, 10), (3, 100)]);
        let b = Rows::from_unique(vec![(4, 2), (3, 20), (9, 7), (0, 1)]);
        a.merge_with(b, |x, y| *x += y);
        assert_eq!(a.as_slice(), &[(0, 1), (1, 10), (3, 120), (4, 2), (5, 1), (9, 7)]);
        assert_eq!(a.get(&3), Some(&120));
        assert_eq!(a.get(&2), None);
        let mut e = Rows::default();
        e.merge_with(a.clone(), |x: &mut i32, y| *x += y);
        assert_eq!(e, a);
        a.merge_with(Rows::default(), |x, y| *x += y);
        assert_eq!(e, a);
    }
}
