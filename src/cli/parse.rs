//! `cloudcensus parse`: every input line as JSON on stdout (records, activities, and with
//! `--skipped` the lines that carry no traffic), malformed lines as `file:line: reason` on
//! stderr — for investigations.

use super::{load_config, usage, Common};
use anyhow::Result;
use clap::Args;
use cloudcensus::catalog::Matcher;
use cloudcensus::pipeline::scan;
use cloudcensus::pipeline::setup::{self, Setup};
use cloudcensus::report::lines;
use std::io::Write;

#[derive(Args)]
pub(crate) struct ParseArgs {
    #[command(flatten)]
    common: Common,
    /// Also print the lines that carry no traffic (system, admin, VPN… messages), as
    /// `{"file", "line", "format", "skipped": "<vendor and event type>"}`
    #[arg(long)]
    skipped: bool,
}

pub(crate) fn run(a: ParseArgs) -> Result<i32> {
    let cfg = load_config(a.common.config.as_ref())?;
    let Setup { catalog, opts, .. } =
        usage(setup::prepare(cfg, &a.common.setup_options()).map_err(anyhow::Error::from))?;
    let matcher = Matcher::new(&catalog);
    let stdout = std::io::stdout();
    // (writer, broken pipe seen): shared by the record and activity callbacks.
    let sink = std::cell::RefCell::new((std::io::BufWriter::with_capacity(1 << 16, stdout.lock()), false));
    let emit = |v: serde_json::Value| {
        let mut g = sink.borrow_mut();
        if g.1 {
            return;
        }
        if serde_json::to_writer(&mut g.0, &v).is_err() || g.0.write_all(b"\n").is_err() {
            g.1 = true;
        }
    };
    let stderr = std::io::stderr();
    let result = scan::for_each_record(
        &opts,
        |file, fmt, line, r, domain| {
            let app = matcher.attribute(r).map(|(i, _)| catalog.apps[i as usize].id.as_str());
            emit(lines::record_json(file, fmt, line, r, domain, app));
        },
        |file, fmt, line, act, domain| emit(lines::activity_json(file, fmt, line, act, domain)),
        |file, fmt, line, why| {
            if a.skipped {
                emit(lines::skipped_json(file, fmt, line, why));
            }
        },
        |file, line, reason| {
            let _ = writeln!(stderr.lock(), "{file}:{line}: {reason}");
        },
    );
    let _ = sink.borrow_mut().0.flush();
    for i in &result.inputs {
        if let Some(e) = &i.error {
            eprintln!("cloudcensus: error: {e}");
        }
    }
    Ok(cloudcensus::report::run::exit_code(&result))
}
