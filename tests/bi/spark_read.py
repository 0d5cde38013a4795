"""Read every Parquet output of a scan, and the history, with Spark (pyspark, local mode), as a
data team's scale-out job would: `spark.read.parquet(path)` with no schema and no options.
Checks that counts are long (not decimal), list fields are arrays, the history's `date` is a
date partition column, and that Spark sees as many rows as pyarrow. Exits non-zero on a problem.

usage: python spark_read.py OUT_DIR HISTORY_DIR
"""
import glob
import os
import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

out, hist = sys.argv[1], sys.argv[2]
spark = (
    SparkSession.builder.master("local[1]")
    .appName("cloudcensus-bi-check")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
COUNTS = {"transactions", "blocked_transactions", "bytes_up", "bytes_down", "users", "ip_addresses", "activity_count"}
LISTS = {
    "discovered_apps.parquet": ["tags"],
    "alerts.parquet": ["activities", "ip_addresses", "apps", "countries"],
    "activities.parquet": ["ip_tags"],
}
problems = []


def check(name, df, rows):
    for f in df.schema.fields:
        t = f.dataType.simpleString()
        if f.name in COUNTS and t not in ("bigint", "array<string>"):
            problems.append(f"{name}.{f.name}: Spark reads {t}, not bigint")
        if t.startswith("decimal"):
            problems.append(f"{name}.{f.name}: Spark reads {t}")
    n = df.count()
    if n != rows:
        problems.append(f"{name}: Spark {n} rows, pyarrow {rows}")
    print(f"{name}: {n} rows read by Spark")


for f in sorted(glob.glob(os.path.join(out, "*.parquet"))):
    name = os.path.basename(f)
    df = spark.read.parquet(f)
    types = dict((x.name, x.dataType.simpleString()) for x in df.schema.fields)
    for col in LISTS.get(name, []):
        if not types.get(col, "").startswith("array"):
            problems.append(f"{name}.{col}: Spark reads {types.get(col)}, not an array")
    check(name, df, pq.read_table(f).num_rows)

for t in ["app_daily", "app_users_daily", "app_user_ips_daily", "unmatched_daily"]:
    p = os.path.join(hist, t)
    df = spark.read.parquet(p)
    types = dict((f.name, f.dataType.simpleString()) for f in df.schema.fields)
    if types.get("date") != "date":
        problems.append(f"history {t}: the partition column date is {types.get('date')}, not date")
    check(f"history {t}", df, ds.dataset(p, format="parquet", partitioning="hive").count_rows())

spark.stop()
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
