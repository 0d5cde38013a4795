//! The output folder, published in one step.
//!
//! `--out OUT` is a symbolic link to a complete run's folder. Every run is written into a fresh
//! folder beside it, in `OUT.runs/`, and published by replacing the link with one `rename(2)`:
//! a reader following `OUT` sees the previous run or the new one, never a mix, and a run killed
//! at any point leaves the previous run published.
//!
//! ```text
//! OUT -> OUT.runs/20261202T011500Z-1a2b     the published run (a relative link)
//! OUT.runs/.lock                            held by the scan writing to OUT (exit 5 for a second)
//! OUT.runs/20261201T011500Z-9f0c/           the run before it, kept for readers still on it
//! OUT.runs/.staging-<pid>-<nanos>/          a run being written
//! ```
//!
//! A scan takes the lock before it reads a byte, so anything else it finds in `OUT.runs/` that
//! is neither published nor the run before is left by a dead process and is removed. A real
//! folder at `OUT` (written by cloudcensus before 0.4, or made by hand) is moved into
//! `OUT.runs/` on the first publish, when it is empty or holds a `run.json`; a folder with other
//! files is refused before anything is read.
//!
//! Owns: that layout, the lock and the publish. Must not touch: what the files contain.

use super::ReportError;
use std::path::{Path, PathBuf};

const STAGING_PREFIX: &str = ".staging-";
const LEGACY_PREFIX: &str = "before-";

/// An output folder being written.
#[derive(Debug)]
pub struct OutputDir {
    /// `OUT`, as given.
    link: PathBuf,
    /// `OUT.runs`.
    runs: PathBuf,
    staging: PathBuf,
    files: Vec<String>,
    committed: bool,
    /// Fail at the publish (for the tests of what a failed write leaves).
    fail_publish: bool,
    /// Held until the run is published (or abandoned).
    _lock: std::fs::File,
}

fn io(path: &Path, source: std::io::Error) -> ReportError {
    ReportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// `OUT.runs` for `OUT`.
pub fn runs_dir(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "out".into());
    name.push(".runs");
    out.with_file_name(name)
}

/// `OUT` as an absolute path whose last component is the link itself (not where it points).
pub fn absolute(out: &Path) -> PathBuf {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), out.file_name()) {
        (Ok(p), Some(n)) => p.join(n),
        _ => out.to_path_buf(),
    }
}

/// What is at `OUT` now.
enum AtOut {
    Nothing,
    Link,
    /// A real folder: empty or with a `run.json` (an earlier layout's outputs).
    Folder,
}

fn at_out(out: &Path) -> Result<AtOut, ReportError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AtOut::Nothing),
        Err(e) => return Err(io(out, e)),
    };
    if meta.file_type().is_symlink() {
        return Ok(AtOut::Link);
    }
    let refuse = |why: &str| ReportError::OutputFolder {
        path: out.display().to_string(),
        message: why.to_string(),
    };
    if !meta.is_dir() {
        return Err(refuse("is a file, not an output folder; choose another --out"));
    }
    let mut any = false;
    let mut ours = false;
    for e in std::fs::read_dir(out).map_err(|e| io(out, e))?.flatten() {
        any = true;
        let n = e.file_name();
        ours |= n == "run.json" || n.to_string_lossy().starts_with(".cloudcensus-staging-");
    }
    if any && !ours {
        return Err(refuse(
            "is a folder with files that are not cloudcensus outputs (no run.json); cloudcensus publishes each run by replacing --out with a link, so give it an empty or new folder",
        ));
    }
    Ok(AtOut::Folder)
}

impl OutputDir {
    /// Lock `OUT` for this run and create a fresh staging folder, before anything is read: a
    /// second scan on the same `OUT` gets [`ReportError::Busy`], an unwritable place fails now.
    /// Runs left by dead processes are removed.
    pub fn create(out: &Path) -> Result<OutputDir, ReportError> {
        at_out(out)?;
        let runs = runs_dir(out);
        std::fs::create_dir_all(&runs).map_err(|e| io(&runs, e))?;
        let lp = runs.join(".lock");
        let Some(lock) = crate::base::lock::try_exclusive(&lp).map_err(|e| io(&lp, e))? else {
            return Err(ReportError::Busy {
                path: out.display().to_string(),
                lock: lp.display().to_string(),
            });
        };
        clean(out, &runs);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let staging = runs.join(format!("{STAGING_PREFIX}{}-{nanos}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|e| io(&staging, e))?;
        // Probe: a folder can be creatable on a read-only or full file system's edge cases.
        let probe = staging.join(".probe");
        std::fs::write(&probe, b"").map_err(|e| io(&probe, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputDir {
            link: out.to_path_buf(),
            runs,
            staging,
            files: Vec::new(),
            committed: false,
            fail_publish: false,
            _lock: lock,
        })
    }

    /// The output folder as given (the link).
    pub fn dir(&self) -> &Path {
        &self.link
    }

    /// Path to write `name` to (inside the staging folder); the file is published with the rest.
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

    /// Make [`OutputDir::commit`] fail as a full disk would, just before the switch (tests).
    #[doc(hidden)]
    pub fn fail_at_publish(&mut self) {
        self.fail_publish = true;
    }

    /// Names of the files written so far.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Publish: the staging folder becomes `OUT.runs/<run_id>` and `OUT` is switched to it in
    /// one rename. Returns the files, `last` (e.g. `run.json`) last.
    pub fn commit(mut self, run_id: &str, last: &str) -> Result<Vec<String>, ReportError> {
        let mut names = self.files.clone();
        names.sort_by_key(|n| n == last);
        for n in &names {
            // Data on disk before the name that makes it visible.
            if let Ok(f) = std::fs::File::open(self.staging.join(n)) {
                let _ = f.sync_all();
            }
        }
        sync_dir(&self.staging);
        // Run ids name the second and the process: runs of one process in the same second
        // (a script, a test) get a counter, zero-padded so that the names still sort by time.
        let base = sanitize(run_id);
        let mut id = base.clone();
        let mut n = 1u32;
        while self.runs.join(&id).exists() {
            n += 1;
            id = format!("{base}-{n:04}");
        }
        let run = self.runs.join(&id);
        std::fs::rename(&self.staging, &run).map_err(|e| io(&run, e))?;
        sync_dir(&self.runs);
        pause_for_tests("publish");
        if self.fail_publish {
            return Err(io(
                &self.link,
                std::io::Error::other("publish failed (a test's fault injection)"),
            ));
        }
        if let AtOut::Folder = at_out(&self.link)? {
            adopt_folder(&self.link, &self.runs)?;
        }
        let runs_name = self.runs.file_name().expect("runs folder has a name").to_owned();
        let target = Path::new(&runs_name).join(&id);
        let tmp = self.runs.join(format!(".link-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &self.link).map_err(|e| io(&self.link, e))?;
        if let Some(p) = self.link.parent() {
            sync_dir(if p.as_os_str().is_empty() { Path::new(".") } else { p });
        }
        self.committed = true;
        clean(&self.link, &self.runs);
        Ok(names)
    }
}

/// The run folder `OUT` points to.
fn published(out: &Path) -> Option<String> {
    let t = std::fs::read_link(out).ok()?;
    Some(t.file_name()?.to_string_lossy().into_owned())
}

/// Remove what is neither published, nor the newest run before it, nor a moved-in old folder.
/// Only called with the lock held, so staging folders found here have no live owner.
fn clean(out: &Path, runs: &Path) {
    let current = published(out);
    let Ok(rd) = std::fs::read_dir(runs) else { return };
    let mut done: Vec<String> = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == ".lock" || name.starts_with(LEGACY_PREFIX) {
            continue;
        }
        if name.starts_with(STAGING_PREFIX) || name.starts_with(".link-") {
            if name.starts_with(".link-") {
                let _ = std::fs::remove_file(e.path());
            } else {
                let _ = std::fs::remove_dir_all(e.path());
            }
            continue;
        }
        if Some(&name) != current.as_ref() && e.path().join("run.json").is_file() {
            done.push(name);
        }
    }
    // Run ids sort by time: keep the newest run older than the published one (readers may
    // still be on it); a newer one was renamed but never published (its run was killed).
    done.sort();
    let keep = current.and_then(|cur| done.iter().rfind(|n| n.as_str() < cur.as_str()).cloned());
    for n in done {
        if Some(&n) != keep.as_ref() {
            let _ = std::fs::remove_dir_all(runs.join(&n));
        }
    }
}

/// Move an earlier layout's output folder into `OUT.runs/` (or drop it when empty).
fn adopt_folder(out: &Path, runs: &Path) -> Result<(), ReportError> {
    if std::fs::remove_dir(out).is_ok() {
        return Ok(());
    }
    let stamp = crate::base::time::format_rfc3339(crate::base::time::now_us());
    let to = runs.join(format!("{LEGACY_PREFIX}{}", sanitize(&stamp)));
    std::fs::rename(out, &to).map_err(|e| io(&to, e))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect()
}

fn sync_dir(d: &Path) {
    if let Ok(f) = std::fs::File::open(d) {
        let _ = f.sync_all();
    }
}

/// For the kill tests only: `CLOUDCENSUS_TEST_PAUSE=<point>` makes the run stop at that point
/// (printing `paused at <point>` on stderr) until it is killed. Points: `staged` (every file
/// written, nothing published), `publish` (the run folder renamed, the link not yet switched),
/// `published` (the link switched, the state not yet committed).
pub fn pause_for_tests(point: &str) {
    if std::env::var("CLOUDCENSUS_TEST_PAUSE").is_ok_and(|p| p == point) {
        eprintln!("paused at {point}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
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

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn nothing_visible_until_commit_then_one_switch() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let mut o = OutputDir::create(&out).unwrap();
        o.write("a.parquet", b"x").unwrap();
        o.write("run.json", b"{}").unwrap();
        assert!(!out.exists());
        let names = o.commit("20261202T000000Z-0001", "run.json").unwrap();
        assert_eq!(names.last().unwrap(), "run.json");
        assert!(std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(out.join("a.parquet")).unwrap(), b"x");
        assert_eq!(entries(&out), ["a.parquet", "run.json"]);
        assert_eq!(published(&out).as_deref(), Some("20261202T000000Z-0001"));
    }

    #[test]
    fn keeps_the_published_run_and_the_one_before() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        for (i, id) in [
            "20261201T000000Z-0001",
            "20261202T000000Z-0001",
            "20261203T000000Z-0001",
        ]
        .iter()
        .enumerate()
        {
            let mut o = OutputDir::create(&out).unwrap();
            o.write("run.json", format!("{i}").as_bytes()).unwrap();
            o.commit(id, "run.json").unwrap();
        }
        assert_eq!(std::fs::read(out.join("run.json")).unwrap(), b"2");
        assert_eq!(
            entries(&runs_dir(&out)),
            [".lock", "20261202T000000Z-0001", "20261203T000000Z-0001"]
        );
    }

    #[test]
    fn runs_with_the_same_id_each_get_their_own_folder() {
        // Three runs of one process in one second: each is published, the last one wins.
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        for i in 0..3 {
            let mut o = OutputDir::create(&out).unwrap();
            o.write("run.json", format!("{i}").as_bytes()).unwrap();
            o.commit("20261204T030624Z-1b42", "run.json").unwrap();
        }
        assert_eq!(std::fs::read(out.join("run.json")).unwrap(), b"2");
        assert_eq!(published(&out).as_deref(), Some("20261204T030624Z-1b42-0003"));
        assert_eq!(
            entries(&runs_dir(&out)),
            [".lock", "20261204T030624Z-1b42-0002", "20261204T030624Z-1b42-0003"]
        );
    }

    #[test]
    fn abandoned_and_stale_runs_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        {
            let mut o = OutputDir::create(&out).unwrap();
            o.write("a.parquet", b"half").unwrap();
        }
        assert_eq!(entries(&runs_dir(&out)), [".lock"]);
        // Left by killed runs: a staging folder of any name (even a live-looking pid), a run
        // renamed but never published.
        let runs = runs_dir(&out);
        std::fs::create_dir(runs.join(format!(".staging-{}-1", std::process::id()))).unwrap();
        std::fs::create_dir(runs.join(".staging-junk")).unwrap();
        let o = OutputDir::create(&out).unwrap();
        assert_eq!(entries(&runs).len(), 2, "{:?}", entries(&runs)); // .lock and its own staging
        drop(o);
        assert_eq!(entries(&runs), [".lock"]);
    }

    #[test]
    fn a_second_writer_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let first = OutputDir::create(&out).unwrap();
        match OutputDir::create(&out) {
            Err(ReportError::Busy { .. }) => {}
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        OutputDir::create(&out).expect("lock released");
    }

    #[test]
    fn an_old_output_folder_is_moved_in_and_a_foreign_one_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("run.json"), b"old").unwrap();
        let mut o = OutputDir::create(&out).unwrap();
        o.write("run.json", b"new").unwrap();
        o.commit("20261202T000000Z-0001", "run.json").unwrap();
        assert_eq!(std::fs::read(out.join("run.json")).unwrap(), b"new");
        let runs = entries(&runs_dir(&out));
        assert!(runs.iter().any(|n| n.starts_with("before-")), "{runs:?}");

        let home = d.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join("thesis.tex"), b"precious").unwrap();
        match OutputDir::create(&home) {
            Err(ReportError::OutputFolder { .. }) => {}
            other => panic!("expected OutputFolder, got {other:?}"),
        }
        assert_eq!(std::fs::read(home.join("thesis.tex")).unwrap(), b"precious");
        // An empty folder (e.g. made by `mkdir`) is fine and becomes the link.
        let empty = d.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let mut o = OutputDir::create(&empty).unwrap();
        o.write("run.json", b"{}").unwrap();
        o.commit("20261202T000000Z-0002", "run.json").unwrap();
        assert!(std::fs::symlink_metadata(&empty).unwrap().file_type().is_symlink());
    }
}
