//! The one kind of lock the crate takes: an exclusive OS advisory lock on a lock file beside
//! what it protects (the state file, the history folder, the `--out` folder). The operating
//! system releases it when the process ends, killed or not, so a lock is never stale.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Take the lock on `path` (created if needed) without waiting: `Ok(None)` when another
/// process holds it. The lock lasts as long as the returned file is open.
pub fn try_exclusive(path: &Path) -> std::io::Result<Option<File>> {
    let f = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_holder_is_refused_until_the_first_is_gone() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".lock");
        let first = super::try_exclusive(&p).unwrap();
        assert!(first.is_some());
        assert!(super::try_exclusive(&p).unwrap().is_none());
        drop(first);
        assert!(super::try_exclusive(&p).unwrap().is_some());
    }
}
