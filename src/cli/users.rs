//! `cloudcensus users`: pseudonymized user names (`[privacy] users = "pseudonymize"`) — make a
//! key, find one person's token, reveal a token for a stated reason, and list the audit of
//! every reveal and lookup kept in the state file.

use super::{cell, open_state, usage, usage_error, StateArg};
use anyhow::{Context, Result};
use clap::Subcommand;
use cloudcensus::config::Config;
use cloudcensus::enrich::privacy::{Key, Privacy, PrivacyError};
use cloudcensus::report::run::exit;
use cloudcensus::state::AuditRow;
use std::io::Write;
use std::path::PathBuf;

/// Characters a justification needs at least.
const MIN_JUSTIFICATION: usize = 10;

#[derive(Subcommand)]
pub(crate) enum UsersCmd {
    /// Make a new privacy key: 64 random bytes as 128 hexadecimal characters, written to FILE
    /// (readable by you only; an existing file is never overwritten) or printed.
    Keygen {
        /// Write the key to this file (mode 600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The token of a user name (normalized by `[identity]` first), to find one person's
    /// traffic and alerts in the outputs. Recorded in the audit.
    #[command(
        after_help = "Example:\n  cloudcensus users token 'CORP\\jdoe' --justification \"HR case 2291: find jdoe's traffic\""
    )]
    Token {
        /// The user name, as a log writes it.
        name: String,
        /// Why (recorded in the audit).
        #[arg(long, value_name = "TEXT", default_value = "")]
        justification: String,
        #[command(flatten)]
        st: StateArg,
    },
    /// The name behind a token (u_…), or the line behind a sealed rejected line (r_…). Needs a
    /// justification; the reveal is recorded in the audit (who, when, which token, why) before
    /// the name is shown, and is refused when it cannot be recorded.
    #[command(
        after_help = "Example:\n  cloudcensus users reveal u_Qm9i… --justification \"incident INC-4411: mass download alert\"\n\nExit codes: 0 revealed, 1 refused (wrong key, altered token, or the audit could not be written), 2 bad arguments."
    )]
    Reveal {
        /// The token.
        token: String,
        /// Why (at least 10 characters; recorded in the audit).
        #[arg(long, value_name = "TEXT", required = true)]
        justification: String,
        /// Print the name as JSON (`{"token", "kind", "name"}`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        st: StateArg,
    },
    /// Every reveal and lookup, oldest first: when, who, what, which token, the outcome, why.
    Audit {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        st: StateArg,
    },
}

pub(crate) fn run(c: UsersCmd) -> Result<i32> {
    match c {
        UsersCmd::Keygen { out } => keygen(out),
        UsersCmd::Token {
            name,
            justification,
            st,
        } => {
            let (cfg, state) = open_state(&st)?;
            let p = privacy(&cfg)?;
            // A token of another key than the state's would be found nowhere.
            if let (Some(have), Some(want)) = (state.privacy_key()?, p.fingerprint()) {
                if have != want {
                    return usage_error(format!(
                        "this key (fingerprint {want}) is not the one whose tokens the state holds ({have}); set that key ([privacy] key_file or CLOUDCENSUS_PRIVACY_KEY)"
                    ));
                }
            }
            let identity = usage(cfg.identity.identity().map_err(anyhow::Error::from))?;
            let normalized = identity.apply(name.trim());
            let token = p.token(&normalized).expect("pseudonymizing");
            state.audit(&AuditRow {
                at_us: cloudcensus::base::time::now_us(),
                who: who(),
                action: "token".into(),
                token: token.clone(),
                outcome: "looked up".into(),
                justification: justification.trim().to_string(),
            })?;
            println!("{token}");
            Ok(exit::OK)
        }
        UsersCmd::Reveal {
            token,
            justification,
            json,
            st,
        } => {
            let why = justification.trim();
            if why.chars().count() < MIN_JUSTIFICATION {
                return usage_error(format!(
                    "--justification must say why the name is needed (at least {MIN_JUSTIFICATION} characters, e.g. an incident or case number); it is recorded in the audit"
                ));
            }
            let (cfg, state) = open_state(&st)?;
            let p = privacy(&cfg)?;
            let token = token.trim().to_string();
            let opened = p.open(&token);
            let outcome = match &opened {
                Ok(_) => "revealed".to_string(),
                Err(e) => format!("refused: {e}"),
            };
            state
                .audit(&AuditRow {
                    at_us: cloudcensus::base::time::now_us(),
                    who: who(),
                    action: "reveal".into(),
                    token: token.clone(),
                    outcome,
                    justification: why.to_string(),
                })
                .context("the reveal could not be recorded in the audit, so it was not made")?;
            let r = opened?;
            let mut out = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({"token": token, "kind": r.kind.as_str(), "name": r.text});
                writeln!(out, "{v}")?;
            } else {
                writeln!(out, "{}", cell(&r.text, usize::MAX))?;
            }
            Ok(exit::OK)
        }
        UsersCmd::Audit { json, st } => {
            let (_, state) = open_state(&st)?;
            let rows = state.audit_rows()?;
            let mut out = std::io::stdout().lock();
            if json {
                for r in &rows {
                    writeln!(out, "{}", serde_json::to_string(r)?)?;
                }
                return Ok(exit::OK);
            }
            if rows.is_empty() {
                writeln!(out, "no reveal or lookup recorded")?;
                return Ok(exit::OK);
            }
            writeln!(
                out,
                "{:<20}  {:<16}  {:<6}  {:<24}  {:<10}  justification",
                "when (UTC)", "who", "action", "token", "outcome"
            )?;
            for r in &rows {
                let when = cloudcensus::base::time::format_rfc3339(r.at_us);
                writeln!(
                    out,
                    "{:<20}  {:<16}  {:<6}  {:<24}  {:<10}  {}",
                    &when[..when.len().min(19)],
                    cell(&r.who, 16),
                    r.action,
                    cell(&r.token, 24),
                    cell(&r.outcome, 60),
                    cell(&r.justification, 200)
                )?;
            }
            Ok(exit::OK)
        }
    }
}

/// The key of the config (or `CLOUDCENSUS_PRIVACY_KEY`), for tokens and reveals.
fn privacy(cfg: &Config) -> Result<Privacy> {
    let key = usage(Key::load(cfg.privacy.key_file.as_deref()).map_err(anyhow::Error::from))?;
    let Some(key) = key else {
        return usage(Err(PrivacyError::NotConfigured.into()));
    };
    usage(Privacy::new("pseudonymize", "keep", (32, 128), Some(key)).map_err(anyhow::Error::from))
}

/// The operating-system account running the command.
fn who() -> String {
    let name = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    #[cfg(unix)]
    {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        match name {
            Some(n) => format!("{n} (uid {uid})"),
            None => format!("uid {uid}"),
        }
    }
    #[cfg(not(unix))]
    {
        name.unwrap_or_else(|| "unknown".into())
    }
}

fn keygen(out: Option<PathBuf>) -> Result<i32> {
    let key = Key::generate().context("the operating system gave no random bytes")?;
    let Some(path) = out else {
        println!("{}", key.to_hex());
        return Ok(exit::OK);
    };
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = match o.open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return usage_error(format!(
                "{} exists: a key file is never overwritten (tokens made with it could no longer be revealed); choose another path",
                path.display()
            ))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    writeln!(f, "{}", key.to_hex()).with_context(|| format!("cannot write {}", path.display()))?;
    f.sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote a new privacy key to {}; point [privacy] key_file at it and keep a backup: without it no token can be revealed",
        path.display()
    );
    Ok(exit::OK)
}
