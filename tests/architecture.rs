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
    ("policy", 3),
    ("enrich", 3),
    ("discovery", 3),
    ("alerts", 4),
    ("report", 5),
    ("state", 5),
    ("config", 5),
    ("pipeline", 6),
    ("cli", 7),
    ("main", 8),
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

/// The code of a Rust file with comments and string/char literals blanked out (newlines kept, so
/// line numbers stay), so that `"https://crate::x"` or `// crate::x` is not read as an import.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if c == b'r'
            && matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let end: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let body_end = text[j + 1..]
                .find(std::str::from_utf8(&end).unwrap())
                .map_or(b.len(), |p| j + 1 + p + end.len());
            for &x in &b[i..body_end] {
                blank(&mut out, x);
            }
            i = body_end;
        } else if c == b'"' {
            blank(&mut out, c);
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                blank(&mut out, b[i]);
                i += 1;
            }
            if i < b.len() {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            let close = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..].iter().position(|&x| x == b'\'').map(|p| i + 2 + p)
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 2)
            } else {
                // A multi-byte char literal, or a lifetime.
                let s = &text[i + 1..];
                let ch = s.chars().next();
                match ch {
                    Some(ch) if s[ch.len_utf8()..].starts_with('\'') => Some(i + 1 + ch.len_utf8()),
                    _ => None,
                }
            };
            match close {
                Some(e) => {
                    for &x in &b[i..=e] {
                        blank(&mut out, x);
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first names of the paths in a brace group that starts right after `{` in `s`:
/// `a::{x, y}, b, c as d` gives `a`, `b`, `c`. Nested groups are skipped whole.
fn braced_names(s: &str) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    let mut depth = 1;
    let mut at_item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                at_item_start = false;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 1 => {
                at_item_start = false;
                let name = ident(&s[i..]);
                if !name.is_empty() {
                    names.push((i, name.to_string()));
                }
            }
            _ => {}
        }
    }
    names
}

/// The crate modules a file's code names, with the line they are on: `crate::x`, `super::x`
/// (resolved against where the file sits: `super::super::x` from `src/formats/a/b.rs` is
/// `formats`, one more `super` is the crate root, so `x`), and `cloudcensus::x` in the binary.
/// `file_module` is the file's module path under `src/` (`["formats", "a", "b"]`).
/// Comments and string literals are not read; `use` statements over several lines and nested
/// braces are. Inline `mod` blocks are not tracked, so `super` inside one counts from the file.
fn uses_in(text: &str, file_module: &[&str]) -> Vec<(usize, String)> {
    let code = code_only(text);
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
    let mut out = Vec::new();
    let push_path = |pos: usize, after: &str, base: &[&str], out: &mut Vec<(usize, String)>| {
        // `base` is the module the path is relative to; the top-level module it lands in is
        // base[0] when base is not the root, else the path's own first name(s).
        if let Some(top) = base.first() {
            out.push((line_of(pos), top.to_string()));
            return;
        }
        let after = after.trim_start();
        if let Some(inner) = after.strip_prefix('{') {
            // Each name on its own line: its offset in `code`.
            let at = inner.as_ptr() as usize - code.as_ptr() as usize;
            for (i, name) in braced_names(inner) {
                out.push((line_of(at + i), name));
            }
        } else {
            let name = ident(after);
            if !name.is_empty() {
                out.push((line_of(pos), name.to_string()));
            }
        }
    };
    let boundary = |pos: usize| {
        pos == 0 || {
            let p = code.as_bytes()[pos - 1];
            !(p.is_ascii_alphanumeric() || p == b'_' || p == b':')
        }
    };
    for prefix in ["crate::", "cloudcensus::"] {
        let mut from = 0;
        while let Some(p) = code[from..].find(prefix).map(|p| p + from) {
            from = p + prefix.len();
            if boundary(p) {
                push_path(p, &code[from..], &[], &mut out);
            }
        }
    }
    let mut from = 0;
    while let Some(p) = code[from..].find("super::").map(|p| p + from) {
        from = p + "super::".len();
        if !boundary(p) {
            continue;
        }
        let mut base: Vec<&str> = file_module.to_vec();
        base.pop();
        let mut rest = &code[from..];
        while let Some(r) = rest.trim_start().strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        push_path(p, rest, &base, &mut out);
    }
    out.sort();
    out
}

/// A file's module path under `src/`: `formats/a/b.rs` is `["formats", "a", "b"]`, `formats/mod.rs` is `["formats"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
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
        let path = module_path(&src, f);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        for (line, target) in uses_in(&std::fs::read_to_string(f).unwrap(), &path) {
            if target == m || target == "self" {
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
    let names = |text: &str, at: &[&str]| -> Vec<String> { uses_in(text, at).into_iter().map(|(_, n)| n).collect() };
    // A plain path and a braced group; a comment and a string naming a module are not imports.
    let text = "use crate::report::ReportError; // crate::state in a comment\nuse crate::{base, state};\nlet u = \"https://crate::pipeline\";";
    assert_eq!(names(text, &["formats", "x"]), ["report", "base", "state"]);
    // A `use` over several lines, with nested braces: only the top-level names count.
    let text = "use crate::{\n    base::{Record, time::{self, utc_day}},\n    report::{\n        Report,\n    },\n    state as st,\n};";
    assert_eq!(names(text, &["formats", "x"]), ["base", "report", "state"]);
    assert_eq!(uses_in(text, &["formats", "x"])[1].0, 3, "the line of `report`");
    // `super::` resolved against where the file sits.
    assert_eq!(names("use super::fields;", &["formats", "m365"]), ["formats"]);
    assert_eq!(names("use super::super::report::X;", &["formats", "m365"]), ["report"]);
    assert_eq!(names("use super::{state, base};", &["formats"]), ["base", "state"]);
    assert_eq!(
        names("use super::super::x;", &["pipeline", "scan", "worker"]),
        ["pipeline"]
    );
    // Raw strings, char literals and lifetimes do not confuse it.
    let text = "let a = r#\"crate::state\"#; let q = '\"'; fn f<'a>(x: &'a str) {} use crate::cli;";
    assert_eq!(names(text, &["formats"]), ["cli"]);
    assert!(floor("report") > floor("formats"));
}
