//! Expanding command-line paths into inputs: files, directories (walked recursively, in sorted
//! order, skipping hidden entries), and `-` for standard input.

use std::path::{Path, PathBuf};

/// Where an input's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// One input.
#[derive(Debug, Clone)]
pub struct Input {
    /// How it is named in messages and `run.json`.
    pub display: String,
    /// Where to read it.
    pub source: Source,
    /// Size on disk, when known (for the progress bar).
    pub size: Option<u64>,
}

fn walk(dir: &Path, skip: &[PathBuf], out: &mut Vec<Input>, errors: &mut Vec<(String, String)>) {
    if std::fs::canonicalize(dir).is_ok_and(|c| skip.contains(&c)) {
        return;
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push((dir.display().to_string(), format!("cannot list directory: {e}")));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, skip, out, errors),
            Ok(m) if m.is_file() => out.push(Input {
                display: p.display().to_string(),
                size: Some(m.len()),
                source: Source::File(p),
            }),
            Ok(_) => {} // sockets, fifos found while walking: not logs
            Err(e) => errors.push((p.display().to_string(), format!("cannot read: {e}"))),
        }
    }
}

/// Expand `paths` into inputs. Paths that cannot be read are returned as `(path, reason)`.
/// Folders in `skip` (canonical paths, e.g. the scan's own output folder) are not walked into.
pub fn expand(paths: &[String], skip: &[PathBuf]) -> (Vec<Input>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(Input {
                display: "-".into(),
                source: Source::Stdin,
                size: None,
            });
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                let before = out.len();
                walk(&path, skip, &mut out, &mut errors);
                if out.len() == before {
                    errors.push((p.clone(), "directory contains no log files".into()));
                }
            }
            Ok(m) => out.push(Input {
                display: p.clone(),
                size: m.is_file().then_some(m.len()),
                source: Source::File(path),
            }),
            Err(e) => errors.push((p.clone(), format!("cannot read: {e}"))),
        }
    }
    (out, errors)
}
