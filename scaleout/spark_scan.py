#!/usr/bin/env python3
"""cloudcensus on Spark: one night's scan split over a cluster's executors, merged exactly.

    spark-submit [--master M] scaleout/spark_scan.py --binary PATH --out DIR [options] INPUT...

The driver expands the inputs (files, folders walked as `cloudcensus scan` walks them: sorted,
hidden entries skipped; shell-style globs) into one ordered list of files and cuts it into
contiguous groups of about equal size. Each group is one Spark task: the executor runs
`cloudcensus scan --partial` on its files with the binary, config, catalog, policies, GeoIP
database and a snapshot of the state shipped with the job (SparkContext.addFile), and sends the
partial back. The driver then runs `cloudcensus merge` over the partials in group order, which
replays every activity in time order across all groups, writes the outputs and the history and
stores the run in the state: the same as one `cloudcensus scan` over the same list of files.

What has to be true on a real cluster (README, "Scaling out"):
- every executor can read the input paths (a shared filesystem: NFS, /dbfs on Databricks, a
  FUSE mount of the bucket); object-store URIs (s3://, abfss://, gs://) are not read yet;
- the binary runs on the executors (the same OS and CPU architecture as where it was built; a
  static musl build runs on any Linux of that architecture);
- the partials come back to the driver through Spark (their size is that of the night's
  aggregates plus its activities); with --partials-dir on a shared filesystem they are written
  there instead and only their names travel.

The exit code is the merge's (0 ok, 3 malformed lines, 4 some inputs unreadable, see
`cloudcensus scan --help`), 2 for a bad command line, or the first failing group's code when a
group cannot be scanned (then nothing is merged and the last outputs stay as they were).
"""

import argparse
import glob
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import urllib.request

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

# Exit codes of a partial scan that still wrote a partial: all good, malformed lines, some
# inputs unreadable.
PARTIAL_OK = (0, 3, 4)
USAGE = 2


def fail(msg, code=USAGE):
    print(f"spark_scan: error: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="spark_scan.py",
        description="Run one cloudcensus scan over many Spark executors and merge the shards exactly.",
    )
    p.add_argument("--binary", required=True, help="the cloudcensus binary (shipped to the executors)")
    p.add_argument("--out", required=True, help="output folder of the merged run (on the driver)")
    p.add_argument("--config", help="config file (shipped); relative paths in it resolve beside it")
    p.add_argument("--catalog", help="catalog folder merged over the bundled one (shipped)")
    p.add_argument("--policies", help="activity policies folder (shipped)")
    p.add_argument("--geoip", help="GeoIP .mmdb (shipped), or none")
    p.add_argument("--state", help="state file (the executors get a snapshot), or none")
    p.add_argument("--history", help="history folder, written by the merge on the driver, or none")
    p.add_argument("--format", default="auto", help="log format of every input (default auto)")
    p.add_argument("--timezone", help="time zone of zone-less timestamps")
    p.add_argument("--groups", type=int, help="how many groups (default: Spark's default parallelism)")
    p.add_argument("--threads", type=int, default=1, help="threads per executor's scan (default 1)")
    p.add_argument("--partials-dir", help="a folder every executor and the driver see: partials go there")
    p.add_argument("--keep-partials", action="store_true", help="keep the partials (else removed)")
    p.add_argument("--allow-empty", action="store_true", help="a night without any line is normal")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders or globs")
    return p.parse_args(argv)


def walk(folder, out):
    """A folder's files as `cloudcensus scan` reads them: sorted, hidden entries skipped."""
    for name in sorted(os.listdir(folder)):
        if name.startswith("."):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            walk(path, out)
        elif os.path.isfile(path):
            out.append(path)


def expand(inputs):
    files = []
    for i in inputs:
        if "://" in i and not i.startswith("file://"):
            fail(f"{i}: object-store URIs are not read yet; give a path every executor sees (NFS, /dbfs, a FUSE mount)")
        i = i[len("file://"):] if i.startswith("file://") else i
        if glob.has_magic(i):
            # Folder by folder, as `scan` walks: "a/x" before "a-b/x".
            matched = sorted(glob.glob(i, recursive=True), key=lambda p: p.split(os.sep))
            if not matched:
                fail(f"{i}: no file matches")
            for m in matched:
                (walk(m, files) if os.path.isdir(m) else files.append(m))
        elif os.path.isdir(i):
            before = len(files)
            walk(i, files)
            if len(files) == before:
                fail(f"{i}: the folder holds no files")
        elif os.path.exists(i):
            files.append(i)
        else:
            fail(f"{i}: no such file or folder")
    return [os.path.abspath(f) for f in files]


def cut(files, n):
    """Contiguous groups of about equal byte size (order kept: the merge numbers the inputs as
    one scan over the list does)."""
    sizes = [max(os.path.getsize(f), 1) for f in files]
    n = max(1, min(n, len(files)))
    total, groups, cur, acc = sum(sizes), [], [], 0
    for k, (f, s) in enumerate(zip(files, sizes)):
        cur.append(f)
        acc += s
        left_files, left_groups = len(files) - k - 1, n - len(groups) - 1
        if left_groups > 0 and (acc >= total * (len(groups) + 1) / n or left_files == left_groups):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def load_config(path):
    if not path:
        return {}, None
    if tomllib is None:
        fail("reading the config needs Python 3.11 or later (tomllib)")
    with open(path, "rb") as f:
        return tomllib.load(f), os.path.dirname(os.path.abspath(path))


def from_config(cfg, base, section, key):
    """A path setting of the config, resolved as cloudcensus resolves it (beside the file)."""
    v = cfg.get(section, {}).get(key)
    if v is None or v == "none":
        return v
    return v if os.path.isabs(v) else os.path.join(base, v)


def default_state():
    home = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(home, "cloudcensus", "state.db")


def privacy_key(cfg, base):
    """The key the scans pseudonymize with: CLOUDCENSUS_PRIVACY_KEY, else [privacy] key_file.
    It reaches the executors inside the task (the subprocess's environment), never in the
    Spark configuration or UI."""
    if cfg.get("privacy", {}).get("users") not in ("pseudonymize",):
        return None
    env = os.environ.get("CLOUDCENSUS_PRIVACY_KEY", "").strip()
    if env:
        return env
    path = from_config(cfg, base, "privacy", "key_file")
    if not path:
        return None  # cloudcensus itself says what is missing
    with open(path) as f:
        return f.read().strip()


# What a partial scan reads of the state; the rest (alerts, their history, deliveries, the
# reveal audit, baselines) stays on the driver.
STATE_TABLES = ("meta", "policies", "app_tags")


def snapshot_state(path, into):
    """A consistent copy of the state's policy switches and app tags for the executors; a
    missing state is none."""
    if not os.path.exists(path):
        return None
    dst = os.path.join(into, "state-snapshot.db")
    src = sqlite3.connect(f"file:{urllib.request.pathname2url(os.path.abspath(path))}?mode=ro", uri=True)
    out = sqlite3.connect(dst)
    with out:
        src.backup(out)
    src.close()
    tables = [r[0] for r in out.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with out:
        for t in tables:
            if t not in STATE_TABLES and not t.startswith("sqlite_"):
                out.execute(f'DELETE FROM "{t}"')
    out.execute("VACUUM")
    out.close()
    os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR)
    return dst


def archive(folder, into):
    """A folder as a zip for SparkContext.addArchive (addFile ships local folders only in local
    mode); executors find it unpacked under the zip's name."""
    name = os.path.basename(os.path.abspath(folder).rstrip(os.sep)) or "folder"
    base = os.path.join(into, name)
    return shutil.make_archive(base, "zip", root_dir=folder)


def scan_group(rows, binary, shipped, flags, key, threads, partials_dir):
    """On an executor: `cloudcensus scan --partial` over each group of this Spark partition."""
    from pyspark import SparkFiles

    local = tempfile.mkdtemp(prefix="cloudcensus-exec-")
    try:
        exe = os.path.join(local, "cloudcensus")
        shutil.copyfile(SparkFiles.get(binary), exe)
        os.chmod(exe, stat.S_IRWXU)
        args = list(flags)
        for flag, name in shipped:
            path = SparkFiles.get(name)
            if flag == "--state":
                # A copy of its own: tasks on one executor share SparkFiles' folder, and opening
                # a state may write to it (its schema, WAL mode).
                own = os.path.join(local, name)
                shutil.copyfile(path, own)
                path = own
            args += [flag, path]
        env = dict(os.environ)
        env.pop("CLOUDCENSUS_PRIVACY_KEY", None)
        if key:
            env["CLOUDCENSUS_PRIVACY_KEY"] = key
        for idx, files in rows:
            name = f"part-{idx:05d}.ccpart"
            part = os.path.join(partials_dir or local, name)
            cmd = [exe, "scan", "--partial", part, "--threads", str(threads), *args, "--", *files]
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            err = p.stderr.decode("utf-8", "replace")
            code = p.returncode if p.returncode >= 0 else 128 - p.returncode  # killed: 128+signal
            if code not in PARTIAL_OK:
                yield (idx, code, err, None)
                continue
            if partials_dir:
                yield (idx, code, err, part)
            else:
                with open(part, "rb") as f:
                    data = f.read()
                os.remove(part)
                yield (idx, code, err, data)
    finally:
        shutil.rmtree(local, ignore_errors=True)


def main(argv):
    a = parse_args(argv)
    if not os.access(a.binary, os.X_OK):
        fail(f"{a.binary}: not an executable cloudcensus binary")
    if not a.config and os.path.isfile("cloudcensus.toml"):
        a.config = "cloudcensus.toml"  # as cloudcensus itself finds it
    cfg, base = load_config(a.config)
    files = expand(a.inputs)
    if not files:
        fail("the inputs hold no files")
    key = privacy_key(cfg, base)  # read now: a key that cannot be read stops the job here

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("cloudcensus scan").getOrCreate()
    sc = spark.sparkContext
    work = tempfile.mkdtemp(prefix="cloudcensus-driver-")
    stopped = False
    try:
        # What the executors need, under the names they find it by.
        shipped = []

        names = set()

        def add(path):
            name = os.path.basename(os.path.abspath(path))
            if name in names:
                fail(f"{path}: two shipped files or folders are both named {name!r}; rename one")
            names.add(name)
            sc.addFile(os.path.abspath(path))
            return name

        def ship(flag, path):
            shipped.append((flag, add(path)))

        def ship_folder(flag, folder):
            if not os.path.isdir(folder):
                fail(f"{folder}: not a folder")
            z = archive(folder, work)
            name = os.path.basename(z)
            if name in names:
                fail(f"{folder}: two shipped files or folders are both named {name!r}; rename one")
            names.add(name)
            sc.addArchive(z)
            shipped.append((flag, name))

        binary = add(a.binary)
        if a.config:
            ship("--config", a.config)
        catalog = a.catalog or from_config(cfg, base, "scan", "catalog")
        if catalog:
            ship_folder("--catalog", catalog)
        policies = a.policies or from_config(cfg, base, "policies", "dir")
        if policies:
            ship_folder("--policies", policies)
        flags = ["--format", a.format]
        if a.timezone:
            flags += ["--timezone", a.timezone]
        geoip = a.geoip or from_config(cfg, base, "scan", "geoip")
        if geoip == "none":
            flags += ["--geoip", "none"]
        elif geoip:
            ship("--geoip", geoip)
        state = a.state or from_config(cfg, base, "state", "path") or default_state()
        snap = None if state == "none" else snapshot_state(state, work)
        if snap:
            ship("--state", snap)
        else:
            flags += ["--state", "none"]

        n = a.groups or sc.defaultParallelism
        groups = cut(files, n)
        print(
            f"spark_scan: {len(files)} file(s), {sum(os.path.getsize(f) for f in files)} bytes, in {len(groups)} group(s)",
            file=sys.stderr,
        )
        rdd = sc.parallelize(list(enumerate(groups)), len(groups))
        partials_dir = os.path.abspath(a.partials_dir) if a.partials_dir else None
        if partials_dir:
            os.makedirs(partials_dir, exist_ok=True)
        from pyspark import StorageLevel

        # Every group is scanned at once (count), kept on the executors' disks, then fetched
        # one at a time (toLocalIterator alone would scan one group after the other).
        results = rdd.mapPartitions(
            lambda rows: scan_group(rows, binary, shipped, flags, key, a.threads, partials_dir)
        ).persist(StorageLevel.DISK_ONLY)
        parts, failed = {}, None
        local_parts = os.path.join(work, "partials")
        os.makedirs(local_parts)
        try:
            results.count()
            # One group's partial at a time reaches the driver, straight to disk.
            for idx, code, err, data in results.toLocalIterator():
                for line in err.splitlines():
                    print(f"spark_scan: group {idx}: {line}", file=sys.stderr)
                if data is None:
                    failed = failed or (idx, code)
                elif isinstance(data, str):
                    parts[idx] = data
                else:
                    parts[idx] = os.path.join(local_parts, f"part-{idx:05d}.ccpart")
                    with open(parts[idx], "wb") as f:
                        f.write(data)
            results.unpersist()
        except Exception as e:  # py4j's Py4JJavaError: a task or the transfer failed
            remove_partials(parts, partials_dir)
            first = str(e).strip().splitlines()[:3]
            fail(
                "the Spark job failed; nothing was merged. A partial larger than "
                "spark.driver.maxResultSize (1g by default) or 2 GB cannot come back through Spark: "
                "use --partials-dir on a shared filesystem, or more --groups. Spark said: " + " ".join(first),
                1,
            )
        # The executors are not needed for the merge.
        spark.stop()
        stopped = True
        if failed:
            remove_partials(parts, partials_dir)
            fail(f"group {failed[0]} could not be scanned (exit {failed[1]}); nothing was merged", failed[1])
        if len(parts) != len(groups):
            remove_partials(parts, partials_dir)
            fail(f"{len(groups) - len(parts)} group(s) sent no partial; nothing was merged", 1)

        cmd = [os.path.abspath(a.binary), "merge", "--out", a.out]
        for flag, value in (
            ("--config", a.config),
            ("--catalog", a.catalog),
            ("--policies", a.policies),
            ("--geoip", a.geoip),
            ("--state", a.state),
            ("--history", a.history),
        ):
            if value:
                cmd += [flag, value]
        if a.allow_empty:
            cmd.append("--allow-empty")
        cmd += [parts[i] for i in sorted(parts)]
        code = subprocess.call(cmd)
        if a.keep_partials:
            print(f"spark_scan: partials kept in {os.path.dirname(parts[0])}", file=sys.stderr)
        elif partials_dir:
            remove_partials(parts, partials_dir)
        return code
    finally:
        if not a.keep_partials or a.partials_dir:
            shutil.rmtree(work, ignore_errors=True)
        if not stopped:
            spark.stop()


def remove_partials(parts, partials_dir):
    """The partials this job wrote into the shared folder."""
    if partials_dir:
        for p in parts.values():
            try:
                os.remove(p)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
