//! Deterministic generator of realistic firewall / proxy / secure-web-gateway traffic logs for
//! cloudcensus benchmarks and parser tests.
//!
//! std-only on purpose: it is built both as a cargo `[[bench]]` target (`harness = false`) and
//! standalone with `rustc -O --edition 2021 benches/generate/main.rs -o /tmp/gen`.
//!
//! ```text
//! generate --format FMT --size SIZE [--seed N] [--malformed-per-mille N] [--heavy]
//!          [--catalog DIR] [--out FILE|-]
//! SIZE = bytes, with optional suffix k/K/KB/M/MB/G/GB (powers of 1000) or KiB/MiB/GiB
//! ```
//!
//! Cardinalities are those of real proxy logs, not of a benchmark: 5,000 users on 10,000
//! client addresses (`--heavy`: 50,000 on 500,000), a quarter of host names with a one-off
//! random sub-domain, and 70% of requests to a fresh destination address (CDN front ends).
//! Without `--out` the log streams to standard output, so
//! `generate --format squid --size 10GB | cloudcensus scan -` measures a 10 GB night without
//! the disk.
//!
//! FMT, by family (`gen/`; the layouts are the ones `docs/formats.md` describes):
//!
//! | family (file) | formats |
//! |---|---|
//! | proxies (`gen/proxies.rs`) | `squid`, `squid-common`, `w3c` (Blue Coat), `cisco-wsa`, `mcafee-wg`, `custom-csv` (the sample config's `acme-proxy`) |
//! | cloud gateways (`gen/gateways.rs`) | `zscaler-csv`, `zscaler-json`, `netskope`, `menlo`, `iboss`, `barracuda`, `cisco-umbrella`, `forcepoint-csv` |
//! | CEF / LEEF (`gen/siem.rs`) | `cef`, `leef` |
//! | Palo Alto (`gen/paloalto.rs`) | `panos` |
//! | key=value firewalls (`gen/kv_firewalls.rs`) | `fortigate`, `sonicwall`, `sophos`, `stormshield`, `welf`, `juniper-ssg`, `watchguard` |
//! | other firewall syntaxes (`gen/syslog_firewalls.rs`) | `cisco-asa`, `juniper-srx`, `cisco-meraki`, `checkpoint`, `zeek` |
//!
//! The syslog framings (RFC 3164, RFC 5424, rsyslog's file format) are written once, in
//! `gen/syslog.rs`. The rest of the tree: `world.rs` (users, IPs, domains from the catalog),
//! `event.rs` (one transaction), `rng.rs`, `put.rs` (allocation-free writers and the clock),
//! `fmt.rs` (the format list).
//!
//! Run without `--format` under `cargo bench` (which passes `--bench`) it generates 20 MB of
//! every format into a sink and prints the speed. Same seed + same catalog + same arguments =
//! byte-identical output.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

mod event;
mod fmt;
mod gen;
mod put;
mod rng;
mod world;

use fmt::{Fmt, ALL_FMTS};
use gen::Gen;
use rng::Rng;
use world::{Profile, World, FLUSH_AT, SPAN_SECS, START_SECS};

struct Args {
    fmt: Option<Fmt>,
    size: u64,
    seed: u64,
    malformed_pm: u64,
    catalog: PathBuf,
    out: Option<PathBuf>,
    bench: bool,
    heavy: bool,
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("generate: {msg}");
    }
    eprintln!(
        "usage: generate --format FMT --size SIZE [--seed N] [--malformed-per-mille N] [--heavy] [--catalog DIR] [--out FILE|-]\n\
         FMT: {}\n\
         SIZE: bytes with optional suffix k, KB, MB, GB (x1000) or KiB, MiB, GiB (x1024), e.g. 700MB, 1GiB, 10k\n\
         --heavy: 50,000 users on 500,000 client addresses (default 5,000 on 10,000)\n\
         Without --out (or with --out -) the log goes to standard output: generate ... | cloudcensus scan -",
        ALL_FMTS.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
    );
    std::process::exit(2)
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((num * mult) as u64)
}

fn parse_args() -> Args {
    let mut a = Args {
        fmt: None,
        size: 0,
        seed: 42,
        malformed_pm: 1,
        catalog: PathBuf::from("catalog/apps"),
        out: None,
        bench: false,
        heavy: false,
    };
    let mut size_given = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut val = |name: &str| -> String {
            inline
                .clone()
                .or_else(|| it.next())
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match key.as_str() {
            "--bench" => a.bench = true,
            "--heavy" => a.heavy = true,
            "--format" | "-f" => {
                let v = val("--format");
                a.fmt = Some(Fmt::parse(&v).unwrap_or_else(|| usage(&format!("unknown format {v:?}"))));
            }
            "--size" | "-s" => {
                let v = val("--size");
                a.size = parse_size(&v).unwrap_or_else(|| usage(&format!("bad size {v:?}")));
                size_given = true;
            }
            "--seed" => {
                let v = val("--seed");
                a.seed = v.parse().unwrap_or_else(|_| usage(&format!("bad seed {v:?}")));
            }
            "--malformed-per-mille" => {
                let v = val("--malformed-per-mille");
                a.malformed_pm = v.parse().unwrap_or_else(|_| usage(&format!("bad per-mille {v:?}")));
                if a.malformed_pm > 1000 {
                    usage("--malformed-per-mille must be 0..=1000");
                }
            }
            "--catalog" => a.catalog = PathBuf::from(val("--catalog")),
            "--out" | "-o" => a.out = Some(PathBuf::from(val("--out"))).filter(|p| p.as_os_str() != "-"),
            "-h" | "--help" => usage(""),
            // cargo may pass a bench-name filter after --bench; ignore it then.
            _ if a.bench && !key.starts_with('-') => {}
            _ => usage(&format!("unknown argument {arg:?}")),
        }
    }
    if a.fmt.is_some() && !size_given {
        usage("--size is required");
    }
    if a.fmt.is_none() && !a.bench {
        usage("--format is required");
    }
    a
}

// ---------------------------------------------------------------- driver

struct Stats {
    records: u64,
    headers: u64,
    malformed: u64,
    bytes: u64,
    secs: f64,
}

fn generate(w: &World, fmt: Fmt, size: u64, seed: u64, malformed_pm: u64, out: &mut dyn Write) -> io::Result<Stats> {
    let t0 = Instant::now();
    let mut g = Gen::new(w, fmt, seed, size);
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + (64 << 10));
    let mut written: u64 = 0;
    let mut st = Stats {
        records: 0,
        headers: 0,
        malformed: 0,
        bytes: 0,
        secs: 0.0,
    };
    let mut mal_rng = Rng::new(seed ^ 0xBAD_u64.wrapping_mul(0x100_0000_01B3));
    let end_us = (START_SECS + SPAN_SECS) * 1_000_000;
    while written + (buf.len() as u64) < size {
        g.next_event();
        st.headers += g.header(&mut buf);
        let start = buf.len();
        g.render(&mut buf);
        if malformed_pm > 0 && mal_rng.pm(malformed_pm) {
            g.corrupt(&mut buf, start);
            st.malformed += 1;
        }
        st.records += 1;
        if st.records == 20_000 {
            // refine the pacing from the real mean line length
            let done = written + buf.len() as u64;
            let avg = (done / st.records).max(1);
            let remaining_lines = (size.saturating_sub(done) / avg).max(1);
            let remaining_us = end_us.saturating_sub(g.ev.t_us).max(remaining_lines);
            g.dt_mean_us = (remaining_us / remaining_lines).max(1);
        }
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    written += buf.len() as u64;
    out.flush()?;
    st.bytes = written;
    st.secs = t0.elapsed().as_secs_f64();
    Ok(st)
}

fn report(fmt: Fmt, st: &Stats) {
    eprintln!(
        "generate: format={} lines={} header_lines={} malformed={} bytes={} seconds={:.3} ({:.0} MB/s)",
        fmt.name(),
        st.records,
        st.headers,
        st.malformed,
        st.bytes,
        st.secs,
        st.bytes as f64 / 1e6 / st.secs.max(1e-9)
    );
}

fn main() {
    let args = parse_args();
    let profile = if args.heavy { Profile::HEAVY } else { Profile::DEFAULT };
    let world = World::build(args.seed, &args.catalog, profile);
    let result = match args.fmt {
        None => {
            // `cargo bench`: quick speed check of every format into a sink
            let size = 20_000_000;
            for fmt in ALL_FMTS {
                let st = generate(&world, fmt, size, args.seed, args.malformed_pm, &mut io::sink()).expect("sink");
                report(fmt, &st);
            }
            return;
        }
        Some(fmt) => match &args.out {
            Some(path) => match fs::File::create(path) {
                Ok(mut f) => generate(&world, fmt, args.size, args.seed, args.malformed_pm, &mut f).map(|s| (fmt, s)),
                Err(e) => {
                    eprintln!("generate: cannot create {}: {e}", path.display());
                    std::process::exit(1);
                }
            },
            None => {
                let stdout = io::stdout();
                let mut lock = stdout.lock();
                generate(&world, fmt, args.size, args.seed, args.malformed_pm, &mut lock).map(|s| (fmt, s))
            }
        },
    };
    match result {
        Ok((fmt, st)) => report(fmt, &st),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("generate: write error: {e}");
            std::process::exit(1);
        }
    }
}
