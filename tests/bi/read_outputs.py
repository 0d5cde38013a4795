"""Read every Parquet output of a scan with pyarrow, pandas, polars and DuckDB, as a BI user would,
with no set-up: default readers, no type mapping. Exits non-zero, saying why, on any problem.

usage: python read_outputs.py OUT_DIR [HISTORY_DIR]

With HISTORY_DIR, the history's tables too: DuckDB over the Hive-partitioned globs
(`hive_partitioning = true`) and pandas over each table's folder, which must agree, with the
partition `date` as a date, plus the investigation query the history is for.
"""
import glob
import os
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

LISTS = {
    "discovered_apps.parquet": ["tags"],
    "alerts.parquet": ["activities", "ip_addresses", "apps", "countries"],
    "activities.parquet": ["ip_tags"],
}
COUNTS = ["transactions", "blocked_transactions", "bytes_up", "bytes_down", "users", "ip_addresses", "activity_count"]

out = sys.argv[1]
problems = []
files = sorted(glob.glob(os.path.join(out, "*.parquet")))
if len(files) < 7:
    problems.append(f"expected 7 tables, found {[os.path.basename(f) for f in files]}")
for f in files:
    name = os.path.basename(f)
    schema = pq.read_schema(f)
    for field in schema:
        t = field.type
        inner = t.value_type if pa.types.is_large_list(t) or pa.types.is_list(t) else t
        if "view" in str(t):
            problems.append(f"{name}.{field.name}: view type {t}")
        if pa.types.is_unsigned_integer(inner):
            problems.append(f"{name}.{field.name}: unsigned {t}")
        if field.name in COUNTS and not pa.types.is_large_list(t) and not pa.types.is_list(t) and t != pa.int64():
            problems.append(f"{name}.{field.name}: count is {t}, not int64")
    for col in LISTS.get(name, []):
        t = schema.field(col).type
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
            problems.append(f"{name}.{col}: {t}, not a list")
    table = pq.read_table(f)
    # Unknown is null, never an empty string.
    for col in table.column_names:
        c = table.column(col)
        if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
            empty = pc.sum(pc.equal(c, "")).as_py() or 0
            if empty:
                problems.append(f"{name}.{col}: {empty} empty strings (unknown must be null)")
    try:
        df = pd.read_parquet(f)
    except Exception as e:  # the failure this test exists for
        problems.append(f"{name}: pandas.read_parquet failed: {e}")
        continue
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{f}')").fetchall()[0][0]
    try:
        pdf = pl.read_parquet(f)
    except Exception as e:
        problems.append(f"{name}: polars.read_parquet failed: {e}")
        continue
    if not (len(df) == table.num_rows == rows == pdf.height):
        problems.append(f"{name}: pandas {len(df)}, pyarrow {table.num_rows}, duckdb {rows}, polars {pdf.height} rows")
    for col in LISTS.get(name, []):
        cells = [c for c in df[col] if c is not None]
        if cells and not all(hasattr(c, "__len__") and not isinstance(c, str) for c in cells):
            problems.append(f"{name}.{col}: pandas does not see lists")
    if name == "discovered_apps.parquet" and rows:
        # A list-valued filter in SQL, as a dashboard would write it.
        duckdb.sql(f"SELECT app_id FROM read_parquet('{f}') WHERE list_contains(tags, 'sanctioned')").fetchall()
    print(f"{name}: {rows} rows read by pyarrow, pandas, polars and duckdb")
    if "run_id" not in table.column_names and name != "activities.parquet":
        problems.append(f"{name}: no run_id column")

if len(sys.argv) > 2:
    hist = sys.argv[2]
    for t in ["app_daily", "app_users_daily", "app_user_ips_daily", "unmatched_daily"]:
        glob_path = os.path.join(hist, t, "*", "*.parquet")
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{glob_path}', hive_partitioning = true)")
        types = dict(zip(rel.columns, [str(x) for x in rel.types]))
        if types.get("date") != "DATE":
            problems.append(f"history {t}: date is {types.get('date')}, not DATE")
        for c in COUNTS:
            if c in types and types[c] != "BIGINT":
                problems.append(f"history {t}.{c}: {types[c]}")
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob_path}', hive_partitioning = true)").fetchall()[0][0]
        df = pd.read_parquet(os.path.join(hist, t))
        if len(df) != n or "date" not in df.columns:
            problems.append(f"history {t}: pandas {len(df)} rows, duckdb {n}; pandas columns {list(df.columns)}")
        pdf = pl.read_parquet(glob_path, hive_partitioning=True)
        if pdf.height != n or pdf.schema.get("date") != pl.Date:
            problems.append(f"history {t}: polars {pdf.height} rows, date {pdf.schema.get('date')}")
        print(f"history {t}: {n} rows read by duckdb, pandas and polars")
    # "Which users uploaded more than 10 MB to cloud storage apps yesterday, and from which
    # IPs": one query over the history.
    duckdb.sql(f"""
        SELECT u.user, u.source_ip, a.app, sum(u.bytes_up) AS up
        FROM read_parquet('{hist}/app_user_ips_daily/*/*.parquet', hive_partitioning = true) u
        JOIN read_parquet('{hist}/app_daily/*/*.parquet', hive_partitioning = true) a
          ON a.app_id = u.app_id AND a.date = u.date
        WHERE a.category = 'Cloud storage'
          AND u.date = (SELECT max(date) FROM read_parquet('{hist}/app_daily/*/*.parquet', hive_partitioning = true))
        GROUP BY ALL HAVING sum(u.bytes_up) > 10000000 ORDER BY up DESC
    """).fetchall()

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
