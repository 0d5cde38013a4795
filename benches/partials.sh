#!/usr/bin/env bash
# What splitting a night costs (issue 16): one scan against `scan --partial` per group plus
# `merge`, and against the Spark driver in local mode, on the same generated files.
#
#   WORKDIR=/tmp/ccparts GROUPS=4 SIZE=256MB benches/partials.sh
#
# Needs the release binary (built here) and, for the Spark line, a Python with pyspark
# ($PYSPARK_VENV/bin/spark-submit; default target/bi-venv, which .ci/run creates) and java.
# Prints wall-clock seconds and peak RSS of each way; run it twice on a noisy machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${WORKDIR:-/tmp/ccparts}
groups=${GROUPS:-4}
size=${SIZE:-256MB}
venv=${PYSPARK_VENV:-target/bi-venv}
mkdir -p "$work/in"
cargo build -q --release --bin cloudcensus
bin=$PWD/target/release/cloudcensus
[ -x "$work/gen" ] || rustc -O --edition 2021 benches/generate/main.rs -o "$work/gen"
for i in $(seq 1 "$groups"); do
  f="$work/in/squid-$i.log"
  [ -s "$f" ] || "$work/gen" --format squid --size "$size" --seed "$i" --out "$f" >/dev/null
done
m="$work/in/zz-m365.json"
# 100,000 Microsoft 365 audit records (~93 MB), from the replay benchmark's generator.
[ -s "$m" ] || cargo bench -q --bench replay -- 100000 --write "$m" >/dev/null
cat "$work"/in/* >/dev/null # page cache
bytes=$(du -cb "$work"/in/* | tail -1 | cut -f1)
echo "inputs: $(ls "$work/in" | wc -l) files, $bytes bytes"

measure() { # label, command...
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  read -r secs kb <"$work/time"
  printf '%-34s %7.2f s  %6d MiB\n' "$label" "$secs" $((kb / 1024))
}

files=("$work"/in/*)
measure "one scan" "$bin" scan -q --state none -o "$work/out-one" "${files[@]}"
# The groups the driver would make: contiguous, about equal in size (here: one Squid file each,
# the activity log with the last).
rm -f "$work"/g*.ccpart
total=0
for i in $(seq 1 "$groups"); do
  g=("$work/in/squid-$i.log")
  [ "$i" = "$groups" ] && g+=("$m")
  measure "scan --partial group $i" "$bin" scan -q --state none --partial "$work/g$i.ccpart" "${g[@]}"
done
measure "merge" "$bin" merge -q --state none -o "$work/out-merged" "$work"/g*.ccpart
ls -l "$work"/g*.ccpart | awk '{s+=$5} END {printf "partials: %d bytes\n", s}'
if [ -x "$venv/bin/spark-submit" ] && command -v java >/dev/null; then
  PATH="$PWD/$venv/bin:$PATH" PYSPARK_PYTHON="$PWD/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/$venv/bin/python" \
    measure "spark_scan.py local[2], $groups groups" "$venv/bin/spark-submit" --master 'local[2]' \
    --conf spark.ui.enabled=false scaleout/spark_scan.py --binary "$bin" --state none \
    --out "$work/out-spark" --groups "$groups" "$work/in"
  echo "(spark's peak RSS is spark-submit's JVM, not the executors' scans)"
fi
