#!/usr/bin/env bash
# Fuzz every target (nightly toolchain and cargo-fuzz: `cargo install cargo-fuzz`).
#   fuzz/run.sh [SECONDS_PER_TARGET] [RUNS_PER_TARGET] [LANES]   defaults: 3600 s, 10,000,000 runs, 1 lane
# Each target stops at whichever limit comes first; LANES targets run side by side (one core
# each). The saved corpus fuzz/corpus/<target> is the seed; the campaign works in
# target/fuzz-corpus/<target> (a copy, grown and minimised with `cargo fuzz cmin`), so the
# repository never takes in what libFuzzer derives from ../shared/samples (a read-only seed
# folder when present: other projects' logs are never copied in). A crash leaves its input in
# fuzz/artifacts/<target>/: fix it, add a unit test, and copy the input into
# fuzz/corpus/<target>/ so tests/fuzz_corpus.rs keeps it fixed. Each target's libFuzzer output
# is in target/fuzz-<target>.log, its final figures in target/fuzz-summary.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-3600}
runs=${2:-10000000}
lanes=${3:-1}
shared=../shared/samples
targets=(formats sniff_route json_doc config policy filter query catalog)
[ -d fuzz/corpus ] || python3 fuzz/seed.py
cargo +nightly fuzz build -s none --dev
mkdir -p target
: > target/fuzz-summary.txt

one() {
  local t=$1 extra=() work=target/fuzz-corpus/$1
  mkdir -p "$work"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  case $t in formats|sniff_route|json_doc) [ -d "$shared" ] && extra=("$shared") ;; esac
  echo "== $t: up to $secs s or $runs runs"
  local start=$SECONDS rc=0
  cargo +nightly fuzz run -s none --dev "$t" "$work" "${extra[@]}" -- \
    -max_total_time="$secs" -runs="$runs" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 > "target/fuzz-$t.log" 2>&1 || rc=$?
  local execs speed crashes
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "target/fuzz-$t.log" | grep -o '[0-9]*$' || echo "?")
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "target/fuzz-$t.log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(ls "fuzz/artifacts/$t" 2>/dev/null | wc -l)
  echo "$t runs=$execs exec_per_s=$speed seconds=$((SECONDS - start)) exit=$rc artifacts=$crashes" | tee -a target/fuzz-summary.txt
  cargo +nightly fuzz cmin -s none --dev "$t" "$work" >/dev/null 2>&1 || true
}

lane() {
  local k=$1 i
  for i in "${!targets[@]}"; do
    if (( i % lanes == k )); then one "${targets[$i]}"; fi
  done
}

for ((k = 0; k < lanes; k++)); do lane "$k" & done
wait
echo "== summary"; cat target/fuzz-summary.txt
