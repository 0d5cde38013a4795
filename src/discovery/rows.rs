//! [`Rows`]: a table of unique keys kept in key order — the form of the million-row aggregates
//! (app×user, app×source IP) once counting is done. In memory it is one vector sorted by key:
//! no hash-table slack (a hash table is 1.1–2.3× its rows), the order the report writes, and a
//! linear merge. After a long scan it can instead be a file the scan spilled
//! ([`super::spilled`]), read back in chunks, so that the rows are never all in memory.
//!
//! Readers therefore see the rows a chunk at a time ([`Rows::for_each_chunk`],
//! [`Rows::try_for_each`]), never as one slice.
//!
//! Owns: the row order and the in-memory/spilled choice. Must not touch: what the rows count.

use rayon::prelude::*;
use std::sync::Arc;

/// Rows read back from a spill file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// Writing the temporary file failed (often: no space left in the temporary folder).
    #[error(
        "cannot write discovery rows to a temporary file in {dir}: {source} (set TMPDIR to a folder with free space)"
    )]
    Write {
        /// The temporary folder.
        dir: String,
        /// Why.
        source: std::io::Error,
    },
    /// Reading the temporary file back failed.
    #[error("cannot read back the temporary file of discovery rows: {0}")]
    Read(std::io::Error),
}

/// What [`RowSource::chunks`] calls with each chunk.
pub type ChunkFn<'a, K, V> = dyn FnMut(&[(K, V)]) -> Result<(), ChunkStop> + 'a;

/// Where spilled rows come from: a file of rows in key order, read back a chunk at a time.
pub trait RowSource<K, V>: Send + Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Call `f` with consecutive chunks of exactly `n` rows (the last one may be shorter), in
    /// key order, until it fails.
    fn chunks(&self, n: usize, f: &mut ChunkFn<'_, K, V>) -> Result<(), RowsError>;
}

/// A chunk visitor asked to stop (its own error is kept by the caller).
#[derive(Debug)]
pub struct ChunkStop;

/// Rows with unique keys, sorted by key.
pub struct Rows<K, V>(Inner<K, V>);

enum Inner<K, V> {
    Mem(Vec<(K, V)>),
    Spilled(Arc<dyn RowSource<K, V>>),
}

impl<K: Clone, V: Clone> Clone for Rows<K, V> {
    fn clone(&self) -> Self {
        Rows(match &self.0 {
            Inner::Mem(v) => Inner::Mem(v.clone()),
            Inner::Spilled(s) => Inner::Spilled(Arc::clone(s)),
        })
    }
}

impl<K: std::fmt::Debug + Clone, V: std::fmt::Debug + Clone> std::fmt::Debug for Rows<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Inner::Mem(v) => f.debug_tuple("Rows").field(v).finish(),
            Inner::Spilled(s) => write!(f, "Rows(spilled, {} rows)", s.len()),
        }
    }
}

impl<K: PartialEq + Clone, V: PartialEq + Clone> PartialEq for Rows<K, V> {
    /// Equal rows in the same order, wherever they are kept (spilled rows are read back; rows
    /// that cannot be read are equal to nothing).
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        match (&self.0, &other.0) {
            (Inner::Mem(a), Inner::Mem(b)) => a == b,
            _ => matches!((self.to_vec(), other.to_vec()), (Ok(a), Ok(b)) if a == b),
        }
    }
}

impl<K: Eq + Clone, V: Eq + Clone> Eq for Rows<K, V> {}

impl<K, V> Default for Rows<K, V> {
    fn default() -> Self {
        Rows(Inner::Mem(Vec::new()))
    }
}

impl<K: serde::Serialize + Clone, V: serde::Serialize + Clone> serde::Serialize for Rows<K, V> {
    /// A sequence of (key, value), in key order; spilled rows are streamed from their file.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        match &self.0 {
            Inner::Mem(v) => v.serialize(s),
            Inner::Spilled(src) => {
                let mut seq = s.serialize_seq(Some(src.len()))?;
                let mut err = None;
                let read = src.chunks(8192, &mut |c| {
                    for row in c {
                        if let Err(e) = seq.serialize_element(row) {
                            err = Some(e);
                            return Err(ChunkStop);
                        }
                    }
                    Ok(())
                });
                if let Some(e) = err {
                    return Err(e);
                }
                read.map_err(S::Error::custom)?;
                seq.end()
            }
        }
    }
}

impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de> for Rows<K, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Rows(Inner::Mem(Vec::deserialize(d)?)))
    }
}

impl<K: Ord + Send, V: Send> Rows<K, V> {
    /// From rows with unique keys in any order (e.g. drained from a hash map).
    pub fn from_unique(mut v: Vec<(K, V)>) -> Self {
        v.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        debug_assert!(v.windows(2).all(|w| w[0].0 < w[1].0), "keys must be unique");
        Rows(Inner::Mem(v))
    }
}

impl<K: Ord + Clone, V: Clone> Rows<K, V> {
    /// Whether the keys are unique and in order (rows read back from a file are checked;
    /// spilled rows were written in order by this process).
    pub fn is_sorted_unique(&self) -> bool {
        match &self.0 {
            Inner::Mem(v) => v.windows(2).all(|w| w[0].0 < w[1].0),
            Inner::Spilled(_) => true,
        }
    }

    /// Fold `other` in: rows of equal keys are combined with `f`, others kept; stays sorted.
    /// Spilled rows are read into memory first (merging is for partial results, which are
    /// decoded into memory anyway).
    pub fn merge_with(&mut self, other: Rows<K, V>, f: impl Fn(&mut V, V)) -> Result<(), RowsError> {
        let other = other.into_vec()?;
        if other.is_empty() {
            return Ok(());
        }
        let a = std::mem::take(self).into_vec()?;
        if a.is_empty() {
            self.0 = Inner::Mem(other);
            return Ok(());
        }
        let mut out = Vec::with_capacity(a.len().max(other.len()));
        let (mut a, mut b) = (a.into_iter().peekable(), other.into_iter().peekable());
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
        self.0 = Inner::Mem(out);
        Ok(())
    }
}

impl<K: Clone, V: Clone> Rows<K, V> {
    /// All rows in one vector, in key order (spilled rows are read back).
    pub fn to_vec(&self) -> Result<Vec<(K, V)>, RowsError> {
        match &self.0 {
            Inner::Mem(v) => Ok(v.clone()),
            Inner::Spilled(_) => {
                let mut out = Vec::with_capacity(self.len());
                self.try_for_each(|k, v| out.push((k.clone(), v.clone())))?;
                Ok(out)
            }
        }
    }

    fn into_vec(self) -> Result<Vec<(K, V)>, RowsError> {
        match self.0 {
            Inner::Mem(v) => Ok(v),
            Inner::Spilled(_) => self.to_vec(),
        }
    }
}

impl<K, V> Rows<K, V> {
    /// Rows kept in a file (see `discovery::spilled`).
    pub fn spilled(src: Arc<dyn RowSource<K, V>>) -> Self {
        Rows(Inner::Spilled(src))
    }

    /// Whether the rows are in a spill file rather than in memory.
    pub fn is_spilled(&self) -> bool {
        matches!(self.0, Inner::Spilled(_))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.0 {
            Inner::Mem(v) => v.len(),
            Inner::Spilled(s) => s.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Call `f` with consecutive chunks of exactly `n` rows (`n` ≥ 1; the last chunk may be
    /// shorter), in key order; stops at the first error, `f`'s or the spill file's.
    pub fn for_each_chunk<E: From<RowsError>>(
        &self,
        n: usize,
        mut f: impl FnMut(&[(K, V)]) -> Result<(), E>,
    ) -> Result<(), E> {
        let n = n.max(1);
        match &self.0 {
            Inner::Mem(v) => v.chunks(n).try_for_each(f),
            Inner::Spilled(s) => {
                let mut err = None;
                let read = s.chunks(n, &mut |c| {
                    f(c).map_err(|e| {
                        err = Some(e);
                        ChunkStop
                    })
                });
                match err {
                    Some(e) => Err(e),
                    None => read.map_err(E::from),
                }
            }
        }
    }

    /// Call `f` with every row, in key order.
    pub fn try_for_each(&self, mut f: impl FnMut(&K, &V)) -> Result<(), RowsError> {
        self.for_each_chunk(8192, |c| {
            c.iter().for_each(|(k, v)| f(k, v));
            Ok::<(), RowsError>(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spill stand-in: rows served from a vector, `n` at a time, as a file would.
    struct Served(Vec<(i32, i32)>);
    impl RowSource<i32, i32> for Served {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn chunks(&self, n: usize, f: &mut ChunkFn<'_, i32, i32>) -> Result<(), RowsError> {
            for c in self.0.chunks(n) {
                if f(c).is_err() {
                    break;
                }
            }
            Ok(())
        }
    }

    #[test]
    fn merge_is_a_sorted_union_combining_equal_keys() {
        let mut a = Rows::from_unique(vec![(5, 1), (1, 10), (3, 100)]);
        let b = Rows::from_unique(vec![(4, 2), (3, 20), (9, 7), (0, 1)]);
        a.merge_with(b, |x, y| *x += y).unwrap();
        let want = vec![(0, 1), (1, 10), (3, 120), (4, 2), (5, 1), (9, 7)];
        assert_eq!(a.to_vec().unwrap(), want);
        let mut e = Rows::default();
        e.merge_with(a.clone(), |x: &mut i32, y| *x += y).unwrap();
        assert_eq!(e, a);
        a.merge_with(Rows::default(), |x, y| *x += y).unwrap();
        assert_eq!(e, a);
        // Spilled rows read the same, equal the rows in memory, and merge the same.
        let s = Rows::spilled(Arc::new(Served(want.clone())));
        assert!(s.is_spilled() && s.len() == 6);
        assert_eq!(s, a);
        assert_eq!(a, s);
        let mut seen = Vec::new();
        s.for_each_chunk(4, |c| {
            seen.push(c.len());
            Ok::<_, RowsError>(())
        })
        .unwrap();
        assert_eq!(seen, [4, 2]);
        let mut m = s.clone();
        m.merge_with(Rows::from_unique(vec![(3, 1), (7, 7)]), |x, y| *x += y)
            .unwrap();
        assert_eq!(
            m.to_vec().unwrap(),
            [(0, 1), (1, 10), (3, 121), (4, 2), (5, 1), (7, 7), (9, 7)]
        );
        assert!(!m.is_spilled());
        // A visitor's error stops the walk and comes back as it was.
        let mut calls = 0;
        let r = s.for_each_chunk(1, |_| {
            calls += 1;
            if calls == 2 {
                Err(RowsError::Read(std::io::Error::other("stop")))
            } else {
                Ok(())
            }
        });
        assert!(r.is_err() && calls == 2);
        // Serialised, spilled rows are the same sequence as rows in memory.
        assert_eq!(serde_json::to_string(&s).unwrap(), serde_json::to_string(&a).unwrap());
        let back: Rows<i32, i32> = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, a);
    }
}
