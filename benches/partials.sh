#!/usr/bin/env bash
# What splitting a night costs (issue 16): one scan against `scan --partial` per group plus
# `merge`, and against the Spark driver in local mode, on the same generated files.
#
#   WORKDIR=/tmp/ccparts NGROUPS=4 SIZE=256MB benches/partials.sh
#
# Needs the release binary (built here) and, for the Spark line, a Python with pyspark
# ($PYSPARK_VENV/bin/spark-submit; default target/bi-venv, which .ci/run creates) and java.
# Prints wall-clock seconds and peak RSS of each way; run it twice on a noisy machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${WORKDIR:-/tmp/ccparts}
groups=${NGROUPS:-4}
size=${SIZE:-256MB}
venv=$(realpath -m "${PYSPARK_VENV:-target/bi-venv}")
mkdir -p "$work/in"
cargo build -q --release --bin cloudcensus
bin=$PWD/target/release/cloudcensus
[ -x "$work/gen" ] || rustc -O --edition 2021 benches/generate/main.rs -o "$work/gen"
for i in $(seq 1 "$groups"); do
  f="$work/in/squid-$i.log"
  [ -s "$f" ] || "$work/gen" --format squid --size "$size" --seed "$i" --out "$f" >/dev/null
done
m="$work/in/zz-m365.json"
# 300,000 Microsoft 365 audit records (sign-ins, failures in bursts, file access and downloads).
[ -s "$m" ] || python3 - "$m" <<'PY'
import json, random, sys
r = random.Random(9)
ips = ["52.96.0.1", "81.2.69.160", "175.16.199.1", "89.160.20.112", "216.160.83.56"]
ops = [("UserLoggedIn", "AzureActiveDirectory", 15), ("UserLoginFailed", "AzureActiveDirectory", 15),
       ("FileAccessed", "SharePoint", 6), ("FileDownloaded", "SharePoint", 6), ("FileUploaded", "OneDrive", 6)]
t = 1795132800
with open(sys.argv[1], "w") as f:
    for i in range(300000):
        t += r.randrange(2)
        op, wl, rt = ops[r.randrange(5)]
        f.write(json.dumps({"CreationTime": f"2026-11-20T{t % 86400 // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}",
            "Id": f"e-{i}", "Operation": op, "OrganizationId": "org-1", "RecordType": rt,
            "ResultStatus": "Failed" if op == "UserLoginFailed" else "Succeeded", "UserKey": "k", "UserType": 0,
            "Version": 1, "Workload": wl, "ClientIP": ips[r.randrange(5)], "UserId": f"user{r.randrange(3000)}@corp.example",
            "ObjectId": f"https://corp.sharepoint.com/d{r.randrange(5000)}.docx"}) + "\n")
PY
cat "$work"/in/* >/dev/null # page cache
bytes=$(du -cb "$work"/in/* | tail -1 | cut -f1)
echo "inputs: $(ls "$work/in" | wc -l) files, $bytes bytes"

measure() { # label, command...
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  read -r secs kb < <(tail -1 "$work/time")
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
  PATH="$venv/bin:$PATH" PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python" \
    measure "spark_scan.py local[2], $groups groups" "$venv/bin/spark-submit" --master 'local[2]' \
    --conf spark.ui.enabled=false scaleout/spark_scan.py --binary "$bin" --state none \
    --out "$work/out-spark" --groups "$groups" "$work/in"
  echo "(spark's peak RSS is spark-submit's JVM, not the executors' scans)"
fi
