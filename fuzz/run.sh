#!/usr/bin/env bash
# Fuzz every target in turn (nightly toolchain and cargo-fuzz: `cargo install cargo-fuzz`).
#   fuzz/run.sh [SECONDS_PER_TARGET] [RUNS_PER_TARGET]     defaults: 3600 s, 10,000,000 runs
# Each target stops at whichever limit comes first. New inputs go to fuzz/corpus/<target>
# (minimised at the end with `cargo fuzz cmin`); ../shared/samples, when present, is a
# read-only seed folder. A crash leaves its input in fuzz/artifacts/<target>/: add it to the
# corpus once fixed, so tests/fuzz_corpus.rs keeps it fixed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-3600}
runs=${2:-10000000}
shared=../shared/samples
[ -d fuzz/corpus ] || python3 fuzz/seed.py
cargo +nightly fuzz build -s none --dev
for t in formats sniff_route json_doc config policy filter query catalog; do
  extra=()
  case $t in formats|sniff_route|json_doc) [ -d "$shared" ] && extra=("$shared") ;; esac
  echo "== $t: up to $secs s or $runs runs"
  cargo +nightly fuzz run -s none --dev "$t" "fuzz/corpus/$t" "${extra[@]}" -- \
    -max_total_time="$secs" -runs="$runs" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 2>&1 | tee "target/fuzz-$t.log" | grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|==)" || true
  cargo +nightly fuzz cmin -s none --dev "$t" "fuzz/corpus/$t" >/dev/null 2>&1 || true
done
