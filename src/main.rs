//! The `cloudcensus` command line: the clap definitions and the dispatch to one file per
//! subcommand under `cli/`. Everything a command does is in the library; `cli/` renders it.

mod cli;

/// mimalloc rather than the system allocator, told to give freed memory back to the system at
/// once: a scan frees and regrows tables of tens of MB all night, and glibc's malloc keeps
/// what is freed (a third of the peak, measured). See `docs/architecture.md`, "Memory".
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Places in mimalloc.h's `mi_option_e` (libmimalloc-sys names no constants for these two; the
/// test below checks each place by its default).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Hold only the memory in use: purge freed pages at once (not after mimalloc's default second),
/// and commit arena memory as it is used (not the whole arena up front; that added ~40 MiB to
/// a small scan). Only the defaults change: `MIMALLOC_PURGE_DELAY` or
/// `MIMALLOC_ARENA_EAGER_COMMIT` in the environment, read by mimalloc itself, still win. Nothing
/// here allocates, so no arena is reserved before the options are set.
fn hold_only_memory_in_use() {
    for option in [MI_OPTION_PURGE_DELAY, MI_OPTION_ARENA_EAGER_COMMIT] {
        // SAFETY: changes the default of a mimalloc option (a plain store). It runs before any
        // other thread exists: from a constructor, or first thing in `main`.
        unsafe { libmimalloc_sys::mi_option_set_default(option, 0) }
    }
}

use clap::{Parser, Subcommand};
use cloudcensus::report::run::exit;
use std::path::PathBuf;

/// The exit codes, as one literal (for `concat!`).
macro_rules! exit_codes {
    () => {
        "\
Exit codes (for schedulers):
  0  every input read completely, no malformed line
  1  fatal error after the scan (e.g. disk full): the previous outputs stay published
  2  bad command line, config, catalog, GeoIP or state file, or an output folder that is not
     writable or holds other files: nothing scanned
  3  outputs written, but some lines were malformed (listed in rejected_lines.jsonl)
  4  some inputs could not be read or were read only in part, truncated .gz/.zst/.bz2
     included (see run.json); if no input could be read, or all were empty (without
     --allow-empty), nothing is replaced: the last good outputs stay published
  5  another scan is using the same state file, history or output folder: nothing was
     done, try again later"
    };
}

const EXIT_CODES: &str = exit_codes!();

/// `scan --help`'s epilogue.
const SCAN_HELP: &str = concat!(
    "Activities are sorted through anonymous temporary files in TMPDIR (their text plus about 80\n",
    "bytes each, gone when the run ends). If TMPDIR cannot take them, the run stops with exit\n",
    "code 1 and writes no outputs.\n\n",
    exit_codes!()
);

const MERGE_HELP: &str = concat!(
    "A night too large for one machine: split its input files into groups, run
",
    "`cloudcensus scan --partial GROUP.ccpart FILES...` on each group (anywhere, in any order,
",
    "with the same release, config, catalog, GeoIP database, policies and state), then merge the
",
    "partials here, in the order of the groups. The outputs, history, alerts and state equal one
",
    "scan over every group's files in that order; activities are replayed here, in time order
",
    "across all shards. scaleout/spark_scan.py does this on Spark; docs/partials.md has the file
",
    "layout. A partial that is cut short, altered or made on another basis exits 2, and nothing
",
    "is written.

",
    exit_codes!()
);

/// Cloud discovery (shadow IT) for firewall and proxy logs: which cloud apps are used, by whom,
/// how much, and how risky — as Parquet and JSON that BI tools read directly. SaaS activity logs
/// (Microsoft 365, Entra ID, Okta, CloudTrail...) in the same scan are replayed through activity
/// policies, and their alerts are kept, triaged and delivered.
#[derive(Parser)]
#[command(name = "cloudcensus", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan traffic and activity logs: the discovery tables, dashboard.json, the activity
    /// table and the policies' alerts (JSON, Parquet, CEF), and run.json.
    #[command(after_help = SCAN_HELP)]
    Scan(cli::scan::ScanArgs),
    /// Merge the partials of `scan --partial` (one per shard of a night split over many
    /// machines) into the outputs, history, alerts and state of one scan over all their inputs.
    #[command(after_help = MERGE_HELP)]
    Merge(cli::merge::MergeArgs),
    /// Print the normalized records of traffic logs, and the activities of activity logs, as
    /// JSON Lines (for investigation).
    #[command(
        after_help = "Malformed lines go to stderr as `file:line: reason`.\n\nExit codes: 0 all good, 2 bad arguments, 3 malformed lines seen, 4 some inputs unreadable."
    )]
    Parse(cli::parse::ParseArgs),
    /// Inspect and check the app catalog: stats, search, show, match, validate, export.
    #[command(subcommand)]
    Catalog(cli::catalog::CatalogCmd),
    /// Tag apps (sanctioned, unsanctioned, monitored, or your own tags) in the config file, and
    /// query a scan's discovered apps (`apps query 'tags = "unsanctioned" and users > 10'`).
    #[command(subcommand)]
    Apps(cli::apps::AppsCmd),
    /// A block list of the apps tagged unsanctioned (or any tag) for a firewall, proxy or DNS
    /// server: pan-edl, squid, fortigate, zscaler, bluecoat, websense, cisco-asa, juniper-srx,
    /// rpz, hosts, domains.
    BlockScript(cli::block_script::BlockArgs),
    /// Check, test, enable and disable activity policies.
    #[command(subcommand)]
    Policy(cli::policy::PolicyCmd),
    /// Triage alerts kept in the state file: list and close them.
    #[command(subcommand)]
    Alerts(cli::alerts::AlertsCmd),
    /// The nightly history (`scan --history DIR`) for a person: per day, or per app.
    #[command(subcommand)]
    History(cli::history::HistoryCmd),
    /// A user's activities from the last scan that read activity logs (its activities.parquet).
    Activities(cli::activities::ActivitiesArgs),
    /// Pseudonymized user names (`[privacy]`): make a key, find a person's token, reveal a
    /// token for a stated reason, and list the audit of reveals.
    #[command(subcommand)]
    Users(cli::users::UsersCmd),
    /// List the supported log formats with the data attributes each one carries.
    Formats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Config file (its custom formats are listed too).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Restore the default SIGPIPE action, so that `cloudcensus alerts list | head -1` ends quietly
/// when the reader goes away, as Unix tools do, instead of panicking on "failed printing to
/// stdout" (Rust ignores SIGPIPE by default).
/// A closed stdout (`cloudcensus alerts list | head`) ends the command quietly with exit code 0,
/// as other Unix tools do, instead of a panic or an error. Writes to a closed pipe fail with
/// EPIPE (Rust ignores SIGPIPE); the failure is recognised here, in a returned error or in the
/// panic of `print!`.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(exit::OK);
        }
        default(info);
    }));
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|x| matches!(x.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe))
    })
}

/// Set the options before anything is allocated: mimalloc reads `arena_eager_commit` when it
/// reserves its first arena, which Rust's runtime does before `main` (measured: set in `main`,
/// it changed nothing). A constructor in `.init_array` runs first.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static HOLD_ONLY_MEMORY_IN_USE: extern "C" fn() = {
    extern "C" fn hold() {
        hold_only_memory_in_use();
    }
    hold
};

fn main() {
    #[cfg(not(target_os = "linux"))]
    hold_only_memory_in_use();
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Scan(a) => cli::scan::run(a),
        Command::Merge(a) => cli::merge::run(a),
        Command::Parse(a) => cli::parse::run(a),
        Command::Catalog(c) => cli::catalog::run(c),
        Command::Apps(c) => cli::apps::run(c),
        Command::BlockScript(a) => cli::block_script::run(a),
        Command::Policy(c) => cli::policy::run(c),
        Command::Alerts(c) => cli::alerts::run(c),
        Command::Activities(a) => cli::activities::run(a),
        Command::Users(c) => cli::users::run(c),
        Command::History(c) => cli::history::run(c),
        Command::Formats { json, config } => cli::formats::run(json, config),
    };
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) if broken_pipe(&e) => std::process::exit(exit::OK),
        Err(e) => {
            // File names and log text in a message are shown, not obeyed by the terminal.
            let msg = format!("{e:#}");
            let msg: Vec<_> = msg.split('\n').map(cloudcensus::base::text::inert).collect();
            eprintln!("cloudcensus: error: {}", msg.join("\n"));
            let code = if e.downcast_ref::<cli::Usage>().is_some() {
                exit::USAGE
            } else {
                exit::FATAL
            };
            std::process::exit(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constructor ran (in the test binary too; elsewhere than Linux the test calls the
    /// function itself) and set the two options meant, and only
    /// them: their neighbours in `mi_option_e` keep mimalloc v3's defaults. (The order of the
    /// options is the one `MIMALLOC_VERBOSE=1` prints; this fails if an update moves them.)
    #[test]
    fn the_options_set_are_the_ones_meant() {
        if ["MIMALLOC_PURGE_DELAY", "MIMALLOC_ARENA_EAGER_COMMIT"]
            .iter()
            .any(|v| std::env::var_os(v).is_some())
        {
            eprintln!("skipped: a MIMALLOC_ option is set in the environment");
            return;
        }
        #[cfg(not(target_os = "linux"))]
        hold_only_memory_in_use();
        // SAFETY: reads mimalloc options.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        assert_eq!(get(MI_OPTION_ARENA_EAGER_COMMIT), 0);
        assert_eq!(get(MI_OPTION_PURGE_DELAY), 0);
        // deprecated_eager_commit, purge_decommits; deprecated_eager_commit_delay, use_numa_nodes,
        // disallow_os_alloc, os_tag.
        let neighbours = [(3, 1), (5, 1), (14, 1), (16, 0), (17, 0), (18, 100)];
        for (option, default) in neighbours {
            assert_eq!(get(option), default, "option {option}");
        }
    }
}
