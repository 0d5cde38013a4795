//! `cloudcensus formats`: the supported log formats (built-in and the config's custom ones) with
//! the data attributes each carries, as a table or JSON.

use super::load_config;
use anyhow::Result;
use cloudcensus::report::run::exit;
use std::path::PathBuf;

pub(crate) fn run(json: bool, config: Option<PathBuf>) -> Result<i32> {
    let cfg = load_config(config.as_ref())?;
    let reg = cloudcensus::pipeline::setup::registry(&cfg);
    if json {
        let infos: Vec<_> = reg.all().iter().map(|f| f.info().clone()).collect();
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(exit::OK);
    }
    let yn = |b: bool| if b { "Y" } else { "-" };
    println!(
        "{:<16} {:<46} {:>3} {:>4} {:>4} {:>4} {:>5} {:>6}",
        "FORMAT", "VENDOR / VARIANT", "URL", "DST", "USER", "SRC", "TOTAL", "UPLOAD"
    );
    for f in reg.all() {
        let i = f.info();
        let a = i.attributes;
        let vv = format!("{} — {}", i.vendor, i.variant);
        let vv: String = if vv.chars().count() > 46 {
            vv.chars().take(45).collect::<String>() + "…"
        } else {
            vv
        };
        println!(
            "{:<16} {:<46} {:>3} {:>4} {:>4} {:>4} {:>5} {:>6}",
            i.id,
            vv,
            yn(a.url),
            yn(a.dest_ip),
            yn(a.user),
            yn(a.source_ip),
            yn(a.total_bytes),
            yn(a.upload_bytes)
        );
    }
    println!("\nauto: recognise each input from its first lines (the default).");
    Ok(exit::OK)
}
