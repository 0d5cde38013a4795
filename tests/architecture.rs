//! The shape `docs/architecture.md` describes, checked: every module imports only from the
//! floors below it, no file in `src/` is over 800 lines, and every file says what it is in its
//! first line (`//!`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The floors of `docs/architecture.md`, ground first. A module may use a module of a lower
/// floor, never one of its own floor or above (the modules of one floor are independent).
const FLOORS: [(&str, u8); 14] = [
    ("base", 1),
    ("ingest", 1),
    ("formats", 2),
    ("catalog", 2),
    ("policy", 2),
    ("enrich", 3),
    ("discovery", 3),
    ("alerts", 3),
    ("report", 4),
    ("state", 4),
    ("config", 4),
    ("pipeline", 5),
    ("cli", 6),
    ("main", 7),
];

fn floor(module: &str) -> Option<u8> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file belongs to: the first path component under `src/`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

/// The crate modules a file's code names (`crate::x`, and `cloudcensus::x` in the binary),
/// outside comments, with the line they are on.
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["crate::", "cloudcensus::"] {
            let mut rest = code;
            while let Some(p) = rest.find(prefix) {
                let after = &rest[p + prefix.len()..];
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // `crate::{a, b}`: each name in the braces.
                if name.is_empty() && after.starts_with('{') {
                    let inner = &after[1..after.find('}').unwrap_or(after.len())];
                    for part in inner.split(',') {
                        let m: String = part
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !m.is_empty() {
                            out.push((n + 1, m));
                        }
                    }
                } else if !name.is_empty() {
                    out.push((n + 1, name));
                }
                rest = after;
            }
        }
    }
    out
}

#[test]
fn imports_run_down_the_floors() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut seen: BTreeMap<String, u8> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m == "lib" {
            continue; // the module list itself
        }
        let own =
            floor(&m).unwrap_or_else(|| panic!("{}: module {m:?} has no floor in docs/architecture.md", f.display()));
        seen.insert(m.clone(), own);
        for (line, target) in uses(&std::fs::read_to_string(f).unwrap()) {
            if target == m || target == "self" || target == "super" {
                continue;
            }
            // Names that are not modules (a macro, an item re-exported at the root) are not
            // floors; every crate module is in FLOORS.
            let Some(to) = floor(&target) else { continue };
            if to >= own {
                wrong.push(format!(
                    "{}:{line}: {m} (floor {own}) uses {target} (floor {to})",
                    f.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(seen.len() >= 12, "{seen:?}");
    assert!(
        wrong.is_empty(),
        "imports that do not run down the floors:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn files_are_small_and_say_what_they_are() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines = text.lines().count();
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        if lines > 800 {
            problems.push(format!("{rel}: {lines} lines (at most 800)"));
        }
        if !text.starts_with("//!") {
            problems.push(format!("{rel}: does not start with a //! comment saying what it owns"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_a_wrong_import() {
    // The checker itself: a floor-2 module naming a floor-4 one, and a braced import.
    let found = uses("use crate::report::ReportError; // crate::state in a comment\nuse crate::{base, state};");
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["report", "base", "state"]);
    assert!(floor("report") > floor("formats"));
}
