//! Atomic output directory: stage every file, then rename them into place.

use super::ReportError;
use std::path::{Path, PathBuf};

const STAGING_PREFIX: &str = ".cloudcensus-staging-";

/// An output directory being written.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    files: Vec<String>,
    committed: bool,
}

fn io(path: &Path, source: std::io::Error) -> ReportError {
    ReportError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").is_dir() && Path::new(&format!("/proc/{pid}")).exists()
}

impl OutputDir {
    /// Create `dir` if needed and a fresh staging folder inside it. Staging folders left by
    /// killed runs (whose process is gone) are removed.
    pub fn create(dir: &Path) -> Result<OutputDir, ReportError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(rest) = name.strip_prefix(STAGING_PREFIX) {
                    let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
                    if pid.is_some_and(|p| p != std::process::id() && Path::new("/proc").is_dir() && !pid_alive(p)) {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let staging = dir.join(format!("{STAGING_PREFIX}{}-{nanos}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|e| io(&staging, e))?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staging,
            files: Vec::new(),
            committed: false,
        })
    }

    /// The final directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path to write `name` to (inside the staging folder); the file is committed with the rest.
    pub fn staged(&mut self, name: &str) -> PathBuf {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
        self.staging.join(name)
    }

    /// Write bytes to a staged file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let p = self.staged(name);
        std::fs::write(&p, bytes).map_err(|e| io(&p, e))
    }

    /// Names of the files written so far.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Rename every staged file into the output directory; `last` (e.g. `run.json`) goes last.
    pub fn commit(mut self, last: &str) -> Result<Vec<String>, ReportError> {
        let mut names = self.files.clone();
        names.sort_by_key(|n| n == last);
        for n in &names {
            let from = self.staging.join(n);
            let to = self.dir.join(n);
            // fsync the file before it becomes visible.
            if let Ok(f) = std::fs::File::open(&from) {
                let _ = f.sync_all();
            }
            std::fs::rename(&from, &to).map_err(|e| io(&to, e))?;
        }
        let _ = std::fs::remove_dir(&self.staging);
        self.committed = true;
        Ok(names)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_visible_until_commit() {
        let d = tempfile::tempdir().unwrap();
        let mut o = OutputDir::create(d.path()).unwrap();
        o.write("run.json", b"{}").unwrap();
        o.write("a.parquet", b"x").unwrap();
        assert!(!d.path().join("a.parquet").exists());
        let names = o.commit("run.json").unwrap();
        assert_eq!(names.last().unwrap(), "run.json");
        assert!(d.path().join("a.parquet").exists());
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    #[test]
    fn abandoned_run_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        {
            let mut o = OutputDir::create(d.path()).unwrap();
            o.write("a.parquet", b"half").unwrap();
        }
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        // A staging folder of a dead process is cleaned up by the next run.
        std::fs::create_dir(d.path().join(".cloudcensus-staging-999999999-1")).unwrap();
        let o = OutputDir::create(d.path()).unwrap();
        drop(o);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
