"""Read every Parquet output of a scan with pyarrow, pandas and DuckDB, as a BI user would,
with no set-up: default readers, no type mapping. Exits non-zero, saying why, on any problem.

usage: python read_outputs.py OUT_DIR
"""
import glob
import os
import sys

import duckdb
import pandas as pd
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
    if not (len(df) == table.num_rows == rows):
        problems.append(f"{name}: pandas {len(df)}, pyarrow {table.num_rows}, duckdb {rows} rows")
    for col in LISTS.get(name, []):
        cells = [c for c in df[col] if c is not None]
        if cells and not all(hasattr(c, "__len__") and not isinstance(c, str) for c in cells):
            problems.append(f"{name}.{col}: pandas does not see lists")
    if name == "discovered_apps.parquet" and rows:
        # A list-valued filter in SQL, as a dashboard would write it.
        duckdb.sql(f"SELECT app_id FROM read_parquet('{f}') WHERE list_contains(tags, 'sanctioned')").fetchall()
    print(f"{name}: {rows} rows read by pyarrow, pandas and duckdb")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
