#!/usr/bin/env bash
# Throughput comparison: `cloudcensus scan` versus an equivalent DuckDB query,
# both computing the per-app table (transactions, blocked transactions,
# bytes_down, distinct users, distinct client IPs, first/last seen) from the
# same synthetic Squid native access.log.
#
# Run from anywhere (it moves to the repository root):
#   benches/compare_duckdb.sh
# Environment knobs:
#   SIZE=700MB                 size of the generated log (benches/generate syntax: 700MB, 1GiB, ...)
#   WORKDIR=/tmp/cloudcensus-bench   where the log, venv, outputs and timings go
#   SEED=42                    generator seed
#   MALFORMED=1                malformed lines per mille
#   CATALOG=catalog/apps       app catalog (TOML files with `domains = [...]`)
#   SKIP_CLOUDCENSUS=1         only run the DuckDB side (no cargo build)
#   KEEP_LOG=0                 delete the generated log at the end
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

SIZE=${SIZE:-700MB}
WORKDIR=${WORKDIR:-/tmp/cloudcensus-bench}
SEED=${SEED:-42}
MALFORMED=${MALFORMED:-1}
CATALOG=${CATALOG:-catalog/apps}
SKIP_CLOUDCENSUS=${SKIP_CLOUDCENSUS:-0}
KEEP_LOG=${KEEP_LOG:-1}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/release/cloudcensus"

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[ -d "$CATALOG" ] || die "catalog directory '$CATALOG' not found (set CATALOG=...)"
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
LOG="$WORKDIR/access-squid-$SIZE-seed$SEED-m$MALFORMED.log"
DOMAINS_CSV="$WORKDIR/domains.csv"
DUCK_OUT="$WORKDIR/duckdb_apps.csv"
OUR_OUT="$WORKDIR/out"
PY="$WORKDIR/venv/bin/python"

# ---------------------------------------------------------------- helpers

# timed NAME CMD... : runs CMD, records "wall_seconds peak_rss_kb" in $WORKDIR/NAME.time
timed() {
    local name=$1; shift
    local tf="$WORKDIR/$name.time"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %M' -o "$tf" "$@" || return $?
    else
        local t0 t1
        t0=$(date +%s.%N)
        "$@"
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f 0\n", b - a }' > "$tf"
    fi
}
secs_of() { tail -n 1 "$WORKDIR/$1.time" | awk '{ print $1 }'; }
rss_mb_of() { tail -n 1 "$WORKDIR/$1.time" | awk '{ printf "%.0f", $2 / 1024 }'; }

# ---------------------------------------------------------------- 1. build

if [ "$SKIP_CLOUDCENSUS" != 1 ]; then
    step "building cloudcensus: cargo build --release"
    cargo build --release
    [ -x "$BIN" ] || die "$BIN not found after the build"
fi

# ---------------------------------------------------------------- 2. generate the log

GEN="$WORKDIR/generate"
if [ ! -x "$GEN" ] || [ -n "$(find benches/generate -newer "$GEN" -name '*.rs')" ]; then
    step "compiling the generator: rustc -O benches/generate/main.rs -o $GEN"
    rustc -O --edition 2021 benches/generate/main.rs -o "$GEN"
fi
if [ ! -s "$LOG" ]; then
    step "generating $SIZE Squid native log -> $LOG"
    "$GEN" --format squid --size "$SIZE" --seed "$SEED" --malformed-per-mille "$MALFORMED" \
        --catalog "$CATALOG" --out "$LOG.tmp"
    mv "$LOG.tmp" "$LOG"
else
    step "reusing $LOG"
fi
LOG_BYTES=$(stat -c %s "$LOG")
LOG_MB=$(awk -v b="$LOG_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')

# ---------------------------------------------------------------- 3. python venv with duckdb

if [ ! -x "$PY" ]; then
    step "creating venv $WORKDIR/venv"
    python3 -m venv "$WORKDIR/venv"
fi
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    step "pip install duckdb (into the venv)"
    "$WORKDIR/venv/bin/pip" install --quiet --disable-pip-version-check duckdb
fi
if ! "$PY" -c 'import tomllib' 2>/dev/null && ! "$PY" -c 'import tomli' 2>/dev/null; then
    "$WORKDIR/venv/bin/pip" install --quiet --disable-pip-version-check tomli
fi
DUCK_VERSION=$("$PY" -c 'import duckdb; print(duckdb.__version__)')

# ---------------------------------------------------------------- 4. domain -> app_id CSV

step "writing domain->app_id table from $CATALOG -> $DOMAINS_CSV"
"$PY" - "$CATALOG" "$DOMAINS_CSV" <<'PYEOF'
import csv, pathlib, sys
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
rows, seen, dup = [], set(), 0

def norm(d):
    d = d.strip().lower()
    while d.startswith("*.") or d.startswith("."):
        d = d[2:] if d.startswith("*.") else d[1:]
    return d.rstrip(".")

def walk(node, path):
    """Every table holding a `domains` list is an app; its id is `id`/`app_id`/`slug`, else the file stem."""
    global dup
    if isinstance(node, dict):
        doms = node.get("domains")
        if isinstance(doms, list):
            app = node.get("id") or node.get("app_id") or node.get("slug") or path.stem
            for d in doms:
                if isinstance(d, str) and norm(d):
                    d = norm(d)
                    if d in seen:
                        dup += 1
                        continue
                    seen.add(d)
                    rows.append((d, str(app)))
        for v in node.values():
            if isinstance(v, (dict, list)):
                walk(v, path)
    elif isinstance(node, list):
        for v in node:
            walk(v, path)

for f in sorted(root.rglob("*.toml")):
    with open(f, "rb") as fh:
        walk(tomllib.load(fh), f)

with open(out, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["domain", "app_id"])
    w.writerows(rows)
apps = len({a for _, a in rows})
print(f"    {len(rows)} domains for {apps} apps ({dup} duplicate domains ignored, first one wins)", file=sys.stderr)
if not rows:
    sys.exit("no domains found in the catalog")
PYEOF

# ---------------------------------------------------------------- 5a. DuckDB query

cat > "$WORKDIR/duckdb_squid.py" <<'PYEOF'
"""Per-app table from a Squid native access.log, in DuckDB SQL.

Layout: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
Host   : the authority of %ru without port/userinfo (CONNECT logs host:port, others a full URL);
         extracted by the same regular expression that splits the line.
Blocked: result code contains DENIED (except the 407 proxy-auth challenge), or NONE*/403
         (docs/formats.md, section 1).
App    : exact or label-suffix match against the catalog, longest domain wins.
"""
import sys, time
import duckdb

log, domains_csv, out_csv = sys.argv[1:4]
con = duckdb.connect()
con.execute(
    "CREATE TABLE domains AS SELECT lower(domain) AS domain, app_id "
    "FROM read_csv(?, header = true, columns = {'domain': 'VARCHAR', 'app_id': 'VARCHAR'})",
    [domains_csv],
)
SQL = r"""
WITH lines AS (
  SELECT line
  FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, delim = E'\x1f', quote = '',
                escape = '', auto_detect = false, ignore_errors = true, strict_mode = false)
), raw AS (
  SELECT regexp_extract(line,
           '^(\d+)\.(\d+) +\d+ +(\S+) +([A-Z_]+)/(\d+) +(\d+) +\S+ +(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^/@ ]*@)?([^/:?# ]*)\S* +(\S+) +[A-Z_]+/\S+ +\S+',
           ['ts_s', 'ts_ms', 'client', 'code', 'status', 'bytes', 'host', 'usr']) AS m
  FROM lines
), rec AS MATERIALIZED (
  SELECT make_timestamp(m.ts_s::BIGINT * 1000000 + m.ts_ms::BIGINT * 1000) AS ts,
         m.client AS client,
         m.usr AS usr,
         m.bytes::UBIGINT AS bytes_down,
         ((m.code LIKE '%DENIED%' AND m.status <> '407') OR (m.code LIKE 'NONE%' AND m.status = '403')) AS blocked,
         rtrim(lower(m.host), '.') AS host
  FROM raw
  WHERE m.ts_s <> ''
), hosts AS (
  SELECT DISTINCT host FROM rec WHERE host <> ''
), suffixes AS (
  SELECT h.host, array_to_string(h.labels[r.i:], '.') AS suffix
  FROM (SELECT host, string_split(host, '.') AS labels FROM hosts) h
  JOIN range(1, 128) r(i) ON r.i <= len(h.labels)
), best AS (
  SELECT s.host, arg_max(d.app_id, length(d.domain)) AS app_id
  FROM suffixes s JOIN domains d ON d.domain = s.suffix
  GROUP BY s.host
)
SELECT b.app_id,
       count(*)                                       AS transactions,
       count(*) FILTER (WHERE blocked)                AS blocked_transactions,
       sum(bytes_down)                                AS bytes_down,
       count(DISTINCT usr) FILTER (WHERE usr <> '-')  AS users,
       count(DISTINCT client)                         AS client_ips,
       min(ts)                                        AS first_seen,
       max(ts)                                        AS last_seen
FROM rec JOIN best b USING (host)
GROUP BY b.app_id
ORDER BY transactions DESC, b.app_id
"""
t0 = time.time()
con.execute(f"COPY ({SQL}) TO '{out_csv.replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ',')", [log])
dt = time.time() - t0
n = con.execute("SELECT count(*) FROM read_csv(?)", [out_csv]).fetchone()[0]
print(f"    duckdb {duckdb.__version__}: query {dt:.2f}s, {n} apps -> {out_csv}", file=sys.stderr)
PYEOF

# ---------------------------------------------------------------- 5b. compare script

cat > "$WORKDIR/compare.py" <<'PYEOF'
"""Compare DuckDB's per-app CSV with cloudcensus' discovered_apps.parquet (column names guessed)."""
import sys
import duckdb

duck_csv, ours = sys.argv[1:3]
def lit(s):
    return "'" + s.replace("'", "''") + "'"

con = duckdb.connect()
con.execute(f"CREATE VIEW duck AS SELECT * FROM read_csv({lit(duck_csv)})")
con.execute(f"CREATE VIEW ours AS SELECT * FROM read_parquet({lit(ours)})")
cols = [r[0] for r in con.execute("DESCRIBE ours").fetchall()]
n_duck = con.execute("SELECT count(*) FROM duck").fetchone()[0]
n_ours = con.execute("SELECT count(*) FROM ours").fetchone()[0]
print(f"    per-app rows: duckdb={n_duck} cloudcensus={n_ours}" + ("  (same)" if n_duck == n_ours else "  (DIFFERENT)"))
print(f"    cloudcensus columns: {', '.join(cols)}")

def find(*names):
    low = {c.lower(): c for c in cols}
    for n in names:
        if n in low:
            return low[n]
    return None

key = find("app_id", "app", "id", "application", "app_name")
if key is None:
    print("    (no app id column recognised: skipping the per-app comparison)")
    sys.exit(0)
pairs = [
    ("transactions", find("transactions", "transaction_count", "requests", "events", "hits")),
    ("blocked_transactions", find("blocked_transactions", "blocked", "blocked_count")),
    ("bytes_down", find("bytes_down", "download_bytes", "bytes_received", "downloaded_bytes")),
    ("users", find("users", "distinct_users", "user_count", "unique_users")),
    ("client_ips", find("ip_addresses", "client_ips", "distinct_ips", "ip_count", "unique_ips", "ips")),
]
only_duck = con.execute(f'SELECT count(*) FROM duck WHERE app_id NOT IN (SELECT "{key}"::VARCHAR FROM ours)').fetchone()[0]
only_ours = con.execute(f'SELECT count(*) FROM ours WHERE "{key}"::VARCHAR NOT IN (SELECT app_id FROM duck)').fetchone()[0]
print(f"    apps only in duckdb: {only_duck}, only in cloudcensus: {only_ours}")
for dcol, ocol in pairs:
    if ocol is None:
        print(f"    {dcol:22s}: no matching cloudcensus column")
        continue
    same, total, diff_sum = con.execute(
        f'SELECT count(*) FILTER (WHERE d.{dcol} = o."{ocol}"), count(*), '
        f'sum(abs(d.{dcol}::HUGEINT - o."{ocol}"::HUGEINT)) '
        f'FROM duck d JOIN ours o ON d.app_id = o."{key}"::VARCHAR').fetchone()
    print(f"    {dcol:22s}: equal for {same}/{total} apps (sum of |differences| = {diff_sum})")
PYEOF

# warm the page cache so both sides read from memory
step "warming the page cache ($LOG_MB MB)"
cat "$LOG" > /dev/null

# ---------------------------------------------------------------- 5c. run both

if [ "$SKIP_CLOUDCENSUS" != 1 ]; then
    step "timing: $BIN scan --quiet --out $OUR_OUT $LOG"
    rm -rf "$OUR_OUT"
    # Exit 3 means "outputs written, some lines malformed": expected, the generator adds some.
    rc=0
    timed cloudcensus "$BIN" scan --quiet --out "$OUR_OUT" "$LOG" || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "cloudcensus scan failed with exit code $rc"
fi

step "timing: DuckDB $DUCK_VERSION per-app query on the same file"
timed duckdb "$PY" "$WORKDIR/duckdb_squid.py" "$LOG" "$DOMAINS_CSV" "$DUCK_OUT"

# ---------------------------------------------------------------- 6. report

step "results ($LOG_MB MB Squid log, $(nproc) cores)"
D_S=$(secs_of duckdb)
printf '    %-12s %8s s  %8s MB/s  peak RSS %6s MB\n' duckdb "$D_S" \
    "$(awk -v mb="$LOG_MB" -v s="$D_S" 'BEGIN { printf "%.1f", mb / (s > 0 ? s : 1e-9) }')" "$(rss_mb_of duckdb)"
if [ "$SKIP_CLOUDCENSUS" != 1 ]; then
    C_S=$(secs_of cloudcensus)
    printf '    %-12s %8s s  %8s MB/s  peak RSS %6s MB\n' cloudcensus "$C_S" \
        "$(awk -v mb="$LOG_MB" -v s="$C_S" 'BEGIN { printf "%.1f", mb / (s > 0 ? s : 1e-9) }')" "$(rss_mb_of cloudcensus)"
    awk -v c="$C_S" -v d="$D_S" 'BEGIN {
        if (c > 0) printf "    ratio: cloudcensus is %.2fx the speed of duckdb (duckdb time / cloudcensus time)\n", d / c }'
    # `-H`: the output folder is a symlink to the latest run's folder.
    PARQ=$(find -H "$OUR_OUT" -name 'discovered_apps.parquet' -print -quit 2>/dev/null || true)
    if [ -n "$PARQ" ]; then
        step "comparing per-app tables"
        "$PY" "$WORKDIR/compare.py" "$DUCK_OUT" "$PARQ"
    else
        die "no discovered_apps.parquet under $OUR_OUT: the tables cannot be compared"
    fi
fi
step "top apps according to DuckDB ($DUCK_OUT)"
head -n 6 "$DUCK_OUT" | sed 's/^/    /'

if [ "$KEEP_LOG" = 0 ]; then
    rm -f "$LOG"
fi
