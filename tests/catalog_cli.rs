//! `cloudcensus catalog ...`: validate (every problem with file:line), match, search, show, export.

mod common;
use common::*;

#[test]
fn shipped_catalog_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let (code, out, err) = run(&["catalog", "validate", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("valid: "), "{out}");
    let (code, _, err) = run(&["catalog", "validate"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn validate_lists_every_problem_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("apps")).unwrap();
    std::fs::write(
        d.path().join("apps/a.toml"),
        "[[app]]\nid = \"one\"\nname = \"One\"\ncategory = \"CRM\"\ndomains = [\"one.example\"]\n\n[[app]]\nid = \"two\"\nname = \"Two\"\ncategory = \"Nonsense\"\ndomains = [\"one.example\", \"Bad_Host.example\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("apps/b.toml"),
        "[[app]]\nid = \"three\"\nname = \"Three\"\ncategory = \"CRM\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["catalog", "validate", d.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a.toml:8: app \"two\": unknown category \"Nonsense\""),
        "{err}"
    );
    assert!(
        err.contains("a.toml:8: app \"two\": domain \"one.example\" is also listed by app \"one\""),
        "{err}"
    );
    assert!(err.contains("Bad_Host.example"), "{err}");
    assert!(err.contains("b.toml:5:"), "{err}");
    assert!(err.contains("4 problem(s)"), "{err}");
    // A scan with that catalog is refused (exit 2) with the same messages.
    let f = d.path().join("x.log");
    std::fs::write(
        &f,
        "1700000000.000 10 10.0.0.1 TCP_MISS/200 1 GET http://one.example/ - DIRECT/- -\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--catalog",
        d.path().to_str().unwrap(),
        "-o",
        d.path().join("o").to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown category"), "{err}");
}

#[test]
fn match_search_show_export() {
    let (code, out, _) = run(&["catalog", "match", "https://files.dropbox.com/x"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["app_id"], "dropbox");
    assert_eq!(v["matched_by"], "domain");
    let (code, out, _) = run(&["catalog", "match", "nothing.unknown-example.co.uk"]);
    assert_eq!(code, 1);
    assert!(out.contains("unknown-example.co.uk"));
    let (code, out, _) = run(&["catalog", "search", "dropbox"]);
    assert_eq!(code, 0);
    assert!(out.lines().next().unwrap().starts_with("dropbox "));
    let (code, out, _) = run(&["catalog", "show", "dropbox"]);
    assert_eq!(code, 0);
    assert!(out.contains("category = \"Cloud storage\""), "{out}");
    let (code, out, _) = run(&["catalog", "export", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("id,name,category"));
    let (_, jsonl, _) = run(&["catalog", "export"]);
    let (_, stats, _) = run(&["catalog", "stats", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(jsonl.lines().count() as u64, s["apps"].as_u64().unwrap());
    assert!(s["apps"].as_u64().unwrap() >= 300);
}
