//! The BI contract, checked with the real readers: every Parquet table of a scan of the
//! bundled samples, and its history, opens in pyarrow, pandas (default `read_parquet`), polars,
//! DuckDB and Spark with no set-up;
//! no view or unsigned types; counts are Int64; list-valued fields are lists; unknown text is
//! null, never an empty string.
//!
//! The readers come from a Python with pyarrow, pandas, polars and duckdb (and pyspark): `$CLOUDCENSUS_BI_PYTHON`
//! (which must have them: `.ci/run` sets it once it has installed them), else
//! `target/bi-venv/bin/python`, else `python3`. Without one, the test says so and skips.

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Named explicitly (as `.ci/run` does once it has installed them): it must work.
    if let Some(p) = std::env::var_os("CLOUDCENSUS_BI_PYTHON").map(PathBuf::from) {
        let ok = Command::new(&p)
            .args(["-c", "import pyarrow, pandas, polars, duckdb"])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "CLOUDCENSUS_BI_PYTHON={} cannot import pyarrow, pandas, polars and duckdb",
            p.display()
        );
        return Some(p);
    }
    let candidates = [root.join("target/bi-venv/bin/python"), PathBuf::from("python3")];
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import pyarrow, pandas, polars, duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn pyarrow_pandas_and_duckdb_read_every_table() {
    let Some(py) = python() else {
        eprintln!(
            "SKIPPED: no Python with pyarrow, pandas, polars and duckdb. Run .ci/run, or: python3 -m venv target/bi-venv && target/bi-venv/bin/pip install pyarrow pandas polars duckdb pyspark"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let cfg = root.join("samples/cloudcensus.toml");
    let (code, _, err) = common::run(&[
        "scan",
        "--quiet",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--state",
        d.path().join("state.db").to_str().unwrap(),
        "--history",
        d.path().join("hist").to_str().unwrap(),
        root.join("samples/logs").to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 3, "scan failed ({code}): {err}");
    // One of the reader scripts on the scan's outputs and history: its output, once it passed.
    let script = |name: &str| {
        let o = Command::new(&py)
            .arg(root.join("tests/bi").join(name))
            .arg(&out)
            .arg(d.path().join("hist"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {text}");
        text
    };
    let text = script("read_outputs.py");
    assert_eq!(
        text.matches("rows read by pyarrow, pandas, polars and duckdb").count(),
        7,
        "{text}"
    );
    assert_eq!(
        text.matches("rows read by duckdb, pandas and polars").count(),
        4,
        "{text}"
    );

    // Spark, when there is one (`.ci/run` installs pyspark and sets CLOUDCENSUS_SPARK=1, so
    // there it must run).
    let required = std::env::var_os("CLOUDCENSUS_SPARK").is_some_and(|v| v == "1");
    let has_spark = Command::new(&py)
        .args(["-c", "import pyspark"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !has_spark {
        assert!(
            !required,
            "CLOUDCENSUS_SPARK=1 but {} cannot import pyspark, or java is missing",
            py.display()
        );
        eprintln!(
            "SKIPPED: the Spark check (no pyspark in {}, or no java); .ci/run installs it",
            py.display()
        );
        return;
    }
    let text = script("spark_read.py");
    assert_eq!(text.matches("rows read by Spark").count(), 11, "{text}");
}
