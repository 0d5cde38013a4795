//! `cloudcensus block-script`: the domains of the apps with a tag (unsanctioned by default), in
//! one appliance's block-list syntax.

use super::{load_config, usage, usage_error, CatalogArg};
use anyhow::{Context, Result};
use clap::Args;
use cloudcensus::report::block::{self, APPLIANCES};
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Args)]
#[command(after_help = BLOCK_HELP)]
pub(crate) struct BlockArgs {
    /// Appliance: pan-edl, squid, fortigate, zscaler, bluecoat, websense, cisco-asa,
    /// juniper-srx, rpz, hosts, or domains (a plain list for anything else).
    #[arg(long, value_name = "A")]
    appliance: String,
    /// Block the apps with this tag.
    #[arg(long, value_name = "TAG", default_value = "unsanctioned")]
    tag: String,
    /// Config file with the tags ([apps.tags]). Default: ./cloudcensus.toml if present.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// State file whose tags (set by discovery policies) count too. Default: the config's, if
    /// the file exists; `none` for the config's tags only.
    #[arg(long, value_name = "FILE")]
    state: Option<String>,
    /// Write here instead of stdout (a folder: `<date>_cloudcensus_<appliance>_block_script.txt`
    /// in it). The file is replaced whole, never half-written.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    cat: CatalogArg,
}

const BLOCK_HELP: &str = "\
Never blocked: a domain of an app tagged sanctioned, a parent of one (blocking openai.com
would block a sanctioned api.openai.com), and the built-in do-not-block list of sign-in,
update and certificate-check names (catalog/do-not-block.txt). Each domain left out is
listed on stderr with the reason. docs/block-scripts.md has each appliance's syntax, limits
and the vendor reference it follows.

Examples:
  cloudcensus block-script --appliance squid --out /etc/squid/cloudcensus-blocked.txt
  cloudcensus block-script --appliance pan-edl --out /var/www/edl/   # served to the firewall
  cloudcensus block-script --appliance rpz --tag \"blocked-by-legal\"

Exit codes: 0 written (also when no app has the tag), 2 unknown appliance, bad config, or
more entries than the appliance takes.";

pub(crate) fn run(a: BlockArgs) -> Result<i32> {
    let Some(appliance) = APPLIANCES.iter().find(|x| x.name == a.appliance) else {
        let names: Vec<&str> = APPLIANCES.iter().map(|x| x.name).collect();
        return usage_error(format!(
            "unknown appliance {:?}; one of {}",
            a.appliance,
            names.join(", ")
        ));
    };
    let cfg = load_config(a.config.as_ref())?;
    let catalog = a.cat.load()?;
    let mut tags = cfg.apps.tags_by_app();
    if let Some(path) = cloudcensus::pipeline::run::state_path(a.state.as_deref(), &cfg).filter(|p| p.exists()) {
        let st = usage(cloudcensus::state::State::open(&path, false).map_err(anyhow::Error::from))?;
        cloudcensus::config::merge_tags(&mut tags, st.app_tags()?.into_iter().map(|(a, t, _, _)| (a, t)));
    }
    let sel = block::select(&catalog, &tags, &a.tag);
    let today =
        cloudcensus::base::time::format_day(cloudcensus::base::time::utc_day(cloudcensus::base::time::now_us()));
    let (text, too_long) = match block::render(appliance, &sel, &today) {
        Ok(x) => x,
        Err(e) => return usage_error(e.to_string()),
    };
    match &a.out {
        None => print!("{text}"),
        Some(p) => {
            let path = if p.is_dir() {
                p.join(format!("{today}_cloudcensus_{}_block_script.txt", appliance.name))
            } else {
                p.clone()
            };
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot write here", dir.display()))?;
            std::io::Write::write_all(&mut tmp, text.as_bytes())?;
            // A temporary file is private (0600); the list is read by other services (a web
            // server for an EDL, squid): keep the mode of the file it replaces, else 0644.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
                std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))?;
            }
            tmp.as_file().sync_all()?;
            tmp.persist(&path)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!("block-script: wrote {}", path.display());
        }
    }
    let (kept, merged) = sel.merged();
    eprintln!(
        "block-script: {} app(s) tagged {:?}: {} domain(s) for {}{}; {} left out",
        sel.apps.len(),
        a.tag,
        sel.domains.len() - too_long.len(),
        appliance.name,
        if appliance.covers_subdomains && !merged.is_empty() {
            format!(
                " ({} entries: {} covered by a parent domain)",
                kept.len() - too_long.len(),
                merged.len()
            )
        } else {
            String::new()
        },
        sel.left_out.len() + too_long.len()
    );
    if sel.apps.is_empty() {
        eprintln!(
            "block-script: no app is tagged {:?} (tag apps with `cloudcensus apps tag APP --unsanctioned`)",
            a.tag
        );
    }
    for l in sel.left_out.iter().chain(&too_long) {
        eprintln!("  left out {} ({}): {}", l.domain, l.app, l.reason);
    }
    Ok(exit::OK)
}
