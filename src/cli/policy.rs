//! `cloudcensus policy`: validate, test (golden cases), enable, disable and list the activity,
//! app discovery and anomaly detection policies.

use super::{open_state, usage, StateArg, Usage};
use anyhow::{Context, Result};
use clap::Subcommand;
use cloudcensus::pipeline::replay;
use cloudcensus::report::run::exit;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Check every policy file of a folder: each problem with file:line and the reason.
    #[command(after_help = "Exit codes: 0 valid, 2 problems found.")]
    Validate {
        /// Policy folder (default: the bundled templates).
        dir: Option<PathBuf>,
    },
    /// Run the golden cases in DIR/tests/ (input activities + expected alerts).
    #[command(after_help = "Exit codes: 0 every case passed, 2 invalid policies, 6 a case failed.")]
    Test {
        /// Policy folder (default: the bundled templates and their cases).
        dir: Option<PathBuf>,
    },
    /// Enable a policy for later scans (kept in the state file).
    Enable {
        /// Policy id.
        id: String,
        #[command(flatten)]
        st: StateArg,
        /// Policy folder the id must exist in (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
    /// Disable a policy for later scans (kept in the state file).
    Disable {
        /// Policy id.
        id: String,
        #[command(flatten)]
        st: StateArg,
        /// Policy folder the id must exist in (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
    /// List the policies with their enabled state.
    List {
        #[command(flatten)]
        st: StateArg,
        /// Policy folder (default: from the config, else the bundled templates).
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
}

fn print_problems(e: &cloudcensus::policy::PolicyError) {
    match e {
        cloudcensus::policy::PolicyError::Invalid(ps) => {
            for p in ps {
                eprintln!("{p}");
            }
        }
        other => eprintln!("cloudcensus: error: {other}"),
    }
}

pub(crate) fn run(c: PolicyCmd) -> Result<i32> {
    use cloudcensus::policy;
    match c {
        PolicyCmd::Validate { dir } => match (
            policy::load(dir.as_deref()),
            policy::load_discovery(dir.as_deref()),
            policy::load_anomaly(dir.as_deref()),
        ) {
            (Ok(ps), Ok(ds), Ok(an)) => {
                println!(
                    "valid: {} activity, {} app discovery and {} anomaly detection policies ({})",
                    ps.len(),
                    ds.len(),
                    an.len(),
                    dir.as_ref().map_or("built-in".into(), |d| d.display().to_string())
                );
                Ok(exit::OK)
            }
            (a, b, c) => {
                for e in [a.err(), b.err(), c.err()].into_iter().flatten() {
                    print_problems(&e);
                }
                Ok(exit::USAGE)
            }
        },
        PolicyCmd::Test { dir } => {
            let ps = match policy::load(dir.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    print_problems(&e);
                    return Ok(exit::USAGE);
                }
            };
            // App queries pick from the bundled catalog, untagged (golden cases do not read
            // a config file).
            let catalog = usage(cloudcensus::catalog::Catalog::load(None).map_err(anyhow::Error::from))?;
            let today = cloudcensus::pipeline::run::today_days();
            let cfg = cloudcensus::catalog::risk::ScoreConfig::default();
            policy::resolve_app_queries(
                &ps,
                &catalog,
                &Default::default(),
                &cloudcensus::catalog::risk::scores(&catalog, &catalog.factors, &cfg, today),
                &cloudcensus::catalog::risk::evidence(&catalog, &catalog.factors, &cfg, today),
            );
            let an = match policy::load_anomaly(dir.as_deref()) {
                Ok(a) => a,
                Err(e) => {
                    print_problems(&e);
                    return Ok(exit::USAGE);
                }
            };
            let results = match &dir {
                None => policy::golden::run_bundled(&ps, &an),
                Some(folder) => usage(policy::golden::run_dir(folder, &ps, &an).with_context(|| {
                    format!(
                        "{}: cannot read the golden cases folder",
                        folder.join("tests").display()
                    )
                }))?,
            };
            let failed = results.iter().filter(|r| r.failure.is_some()).count();
            for r in &results {
                match &r.failure {
                    None => println!("ok    {} — {}", r.file, r.description),
                    Some(f) => println!("FAIL  {} — {}\n      {f}", r.file, r.description),
                }
            }
            println!(
                "{} case(s), {} passed, {} failed",
                results.len(),
                results.len() - failed,
                failed
            );
            Ok(if failed > 0 { 6 } else { exit::OK })
        }
        c @ (PolicyCmd::Enable { .. } | PolicyCmd::Disable { .. }) => {
            let (enable, id, st, policies) = match c {
                PolicyCmd::Enable { id, st, policies } => (true, id, st, policies),
                PolicyCmd::Disable { id, st, policies } => (false, id, st, policies),
                _ => unreachable!("matched above"),
            };
            let (cfg, state) = open_state(&st)?;
            let dir = policies.or_else(|| cfg.policies.dir.clone());
            let ps = usage(policy::load(dir.as_deref()).map_err(anyhow::Error::from))?;
            let ds = usage(policy::load_discovery(dir.as_deref()).map_err(anyhow::Error::from))?;
            let an = usage(policy::load_anomaly(dir.as_deref()).map_err(anyhow::Error::from))?;
            let ids: Vec<&str> = ps
                .iter()
                .map(|p| p.id.as_str())
                .chain(ds.iter().map(|p| p.id.as_str()))
                .chain(an.iter().map(|p| p.id.as_str()))
                .collect();
            if !ids.contains(&id.as_str()) {
                return Err(anyhow::Error::new(Usage(anyhow::anyhow!(
                    "no policy with id {id:?}; known: {}",
                    ids.join(", ")
                ))));
            }
            state.set_policy_enabled(&id, enable)?;
            println!("policy {id} {}", if enable { "enabled" } else { "disabled" });
            Ok(exit::OK)
        }
        PolicyCmd::List { st, policies } => {
            let (cfg, state) = open_state(&st)?;
            let dir = policies.or_else(|| cfg.policies.dir.clone());
            let ps = usage(policy::load(dir.as_deref()).map_err(anyhow::Error::from))?;
            let ds = usage(policy::load_discovery(dir.as_deref()).map_err(anyhow::Error::from))?;
            let en = replay::enabled_flags(&ps, Some(&state))?;
            let over = state.policy_overrides()?;
            println!("{:<36} {:<8} {:<8} {:<11} NAME", "ID", "ENABLED", "SEVERITY", "KIND");
            for (p, e) in ps.iter().zip(en) {
                let kind = match &p.repeated {
                    None => "single".to_string(),
                    Some(r) => format!("{}/{}s", r.count, r.window_us / 1_000_000),
                };
                println!(
                    "{:<36} {:<8} {:<8} {:<11} {}",
                    super::cell(&p.id, 60),
                    e,
                    p.severity.as_str(),
                    kind,
                    super::cell(&p.name, 200)
                );
            }
            for p in &ds {
                let e = over.get(&p.id).copied().unwrap_or(p.enabled);
                println!(
                    "{:<36} {:<8} {:<8} {:<11} {}",
                    super::cell(&p.id, 60),
                    e,
                    p.severity.as_str(),
                    "discovery",
                    super::cell(&p.name, 200)
                );
            }
            let an = usage(policy::load_anomaly(dir.as_deref()).map_err(anyhow::Error::from))?;
            for p in &an {
                let e = over.get(&p.id).copied().unwrap_or(p.enabled);
                println!(
                    "{:<36} {:<8} {:<8} {:<11} {}",
                    super::cell(&p.id, 60),
                    e,
                    p.severity.as_str(),
                    "anomaly",
                    super::cell(&p.name, 200)
                );
            }
            Ok(exit::OK)
        }
    }
}
