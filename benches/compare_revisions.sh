#!/usr/bin/env bash
# Per-format throughput of this checkout against an older revision, side by side in one run:
# both release binaries scan the same generated file, alternately (base, new, base, new, …) so
# that a machine whose speed drifts during the run moves both; the ratio new/base is taken run
# by run and its median and range are printed. Whole-process figures from GNU time.
#
#   benches/compare_revisions.sh BASE_REV [FORMAT ...]
#   benches/compare_revisions.sh 31b0c03 squid fortigate panos cef
#
# Environment knobs:
#   SIZE=200MB        size of each generated log (benches/generate syntax)
#   RUNS=5            timed runs of each binary per format (after one warm-up run each)
#   WORKDIR=/tmp/cloudcensus-revs   the base worktree, its target dir, the logs and outputs
# Needs: git, cargo, python3, GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BASE_REV=${1:?usage: benches/compare_revisions.sh BASE_REV [FORMAT ...]}
shift
FORMATS=("$@")
[ ${#FORMATS[@]} -gt 0 ] || FORMATS=(squid fortigate panos cef)
SIZE=${SIZE:-200MB}
RUNS=${RUNS:-5}
WORKDIR=${WORKDIR:-/tmp/cloudcensus-revs}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "error: GNU time not found at $TIME (apt-get install time)" >&2; exit 2; }
mkdir -p "$WORKDIR"

step() { printf '\n==> %s\n' "$*" >&2; }

step "release build of this checkout"
cargo build --release --bin cloudcensus --bench generate >&2
NEW="$ROOT/target/release/cloudcensus"

step "release build of $BASE_REV (worktree $WORKDIR/base)"
if [ ! -d "$WORKDIR/base" ]; then
  git worktree add --detach "$WORKDIR/base" "$BASE_REV" >&2
else
  git -C "$WORKDIR/base" checkout --detach "$BASE_REV" >&2
fi
(cd "$WORKDIR/base" && CARGO_TARGET_DIR="$WORKDIR/base-target" cargo build --release --bin cloudcensus >&2)
BASE="$WORKDIR/base-target/release/cloudcensus"

for f in "${FORMATS[@]}"; do
  log="$WORKDIR/$f-$SIZE.log"
  if [ ! -s "$log" ]; then
    step "generate $f ($SIZE)"
    cargo bench -q --bench generate -- --format "$f" --size "$SIZE" --out "$log" >&2
  fi
  times="$WORKDIR/$f.times"
  : > "$times"
  for i in $(seq 0 "$RUNS"); do
    for side in base new; do
      bin=$BASE; [ "$side" = new ] && bin=$NEW
      # Exit 3 (malformed lines, the generator's 1‰) is expected; anything else is not.
      rc=0
      "$TIME" -f "$side $i %e %U %S %M" -a -o "$times" \
        "$bin" scan -q --state none -o "$WORKDIR/out-$side" "$log" || rc=$?
      [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "error: $side exited $rc on $log" >&2; exit 1; }
    done
  done
  python3 - "$f" "$times" <<'PY'
import statistics as st, sys
fmt, path = sys.argv[1], sys.argv[2]
runs = {"base": {}, "new": {}}
for line in open(path):
    if not line.startswith(("base ", "new ")):
        continue  # GNU time's "Command exited with non-zero status 3"
    side, i, wall, user, sys_, rss = line.split()
    if i != "0":  # the warm-up
        runs[side][i] = (float(wall), float(user) + float(sys_), int(rss) / 1024)
keys = sorted(runs["new"], key=int)
def med(side, k):
    return st.median(runs[side][i][k] for i in keys)
ratio = [runs["new"][i][0] / runs["base"][i][0] for i in keys]
cpu = [runs["new"][i][1] / runs["base"][i][1] for i in keys]
print(f"{fmt}: wall base {med('base', 0):.3f} s, new {med('new', 0):.3f} s; "
      f"new/base wall {st.median(ratio):.3f} ({min(ratio):.3f}-{max(ratio):.3f}), "
      f"cpu {st.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f}); "
      f"peak MiB base {med('base', 2):.0f}, new {med('new', 2):.0f}")
PY
done
