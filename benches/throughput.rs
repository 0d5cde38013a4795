//! In-process throughput of the scan pipeline, per stage, on files made by `benches/generate/`.
//!
//! ```text
//! cargo bench --bench generate -- --format squid --size 200MB --out /tmp/squid.log
//! cargo bench --bench throughput -- /tmp/squid.log [more files...]
//! ```
//!
//! For each file it reports the best of three runs of: reading and chunking only, parsing only,
//! and the full scan (parse + attribute + aggregate, with the bundled GeoIP database), in MB/s
//! of uncompressed input, so a regression can be pinned on a stage. Without arguments it prints this help and exits 0
//! (so `cargo bench` with no files does nothing surprising).

use cloudcensus::catalog::{Catalog, Matcher};
use cloudcensus::formats::{Line, ParseCtx, Registry};
use cloudcensus::ingest::{chunker, ChunkEvent, Chunker};
use cloudcensus::pipeline::scan::{self, ScanOptions};
use rayon::prelude::*;
use std::time::Instant;

fn best_of<F: FnMut() -> u64>(n: usize, mut f: F) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut out = 0;
    for _ in 0..n {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out)
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if files.is_empty() {
        eprintln!("usage: cargo bench --bench throughput -- FILE...   (make files with benches/generate/)");
        return;
    }
    let catalog = Catalog::load(None).expect("bundled catalog");
    let matcher = Matcher::new(&catalog);
    let registry = Registry::new(vec![]);
    println!("threads: {}", rayon::current_num_threads());
    println!(
        "{:<40} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "file", "MB", "chunk MB/s", "parse MB/s", "scan MB/s", "records"
    );
    for f in &files {
        let mb = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        // 1. Read + chunk (single thread, as in a scan's producer).
        let (t_chunk, _) = best_of(3, || {
            let mut ch = Chunker::new(std::fs::File::open(f).unwrap(), 0, chunker::DEFAULT_CHUNK);
            let mut n = 0;
            while let Some(ChunkEvent::Chunk(c)) = ch.next_event(Vec::new()).unwrap() {
                n += c.data.len() as u64;
            }
            n
        });
        // 2. Parse only, in parallel over pre-read chunks.
        let head = std::fs::read(f).unwrap();
        let sample: Vec<&[u8]> = head.split(|&c| c == b'\n').take(64).collect();
        let ctx = ParseCtx::default();
        let format = registry.sniff(&sample, &ctx).expect("recognised format");
        let mut chunks = Vec::new();
        let mut ch = Chunker::new(&head[..], 0, chunker::DEFAULT_CHUNK);
        ch.set_header_kind(format.header());
        while let Some(ChunkEvent::Chunk(c)) = ch.next_event(Vec::new()).unwrap() {
            chunks.push(c);
        }
        let (t_parse, _) = best_of(3, || {
            chunks
                .par_iter()
                .map(|c| {
                    let mut p = format.parser(&ctx);
                    if let Some(h) = &c.header {
                        for l in h.split(|&b| b == b'\n') {
                            let _ = p.parse(l);
                        }
                    }
                    chunker::lines(c)
                        .filter(|(_, l)| matches!(p.parse(l), Ok(Line::Record(_))))
                        .count() as u64
                })
                .sum()
        });
        drop(chunks);
        drop(head);
        // 3. Full scan.
        let opts = ScanOptions::new(vec![f.clone()], registry.clone());
        // With the bundled GeoIP database, as `cloudcensus scan` runs by default (destination
        // countries are counted per record).
        let geo = cloudcensus::enrich::GeoDb::bundled();
        let (t_scan, records) = best_of(3, || {
            scan::scan(&opts, &catalog, &matcher, Some(&geo)).unwrap().0.records()
        });
        let name: String = f.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        println!(
            "{:<40} {:>10.1} {:>12.0} {:>12.0} {:>12.0} {:>12}",
            name,
            mb,
            mb / t_chunk,
            mb / t_parse,
            mb / t_scan,
            records
        );
    }
}
