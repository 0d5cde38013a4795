//! Replays the saved fuzz corpora (`fuzz/corpus/<target>/`, made by `fuzz/run.sh`) through the
//! fuzz targets' own code (`fuzz/harness.rs`) on the stable toolchain: an input that once
//! crashed a target stays a test, and the corpus's coverage runs on every CI build.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn every_saved_fuzz_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut total = 0;
    for (name, run) in harness::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a saved corpus)", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: empty corpus");
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "{name}: {} panics", f.display());
        }
        total += files.len();
    }
    assert!(total > 0);
}
