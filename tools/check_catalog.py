#!/usr/bin/env python3
"""Validate the cloudcensus app catalog (stdlib only, Python 3.11+).

Usage: python3 tools/check_catalog.py [CATALOG_DIR]   (default: catalog/ next to tools/)

Loads catalog/categories.toml, every catalog/apps/*.toml (curated apps),
catalog/generated/apps/*.toml (generated apps, tools/import_apps.py; same schema and checks) and
catalog/generated/*.toml and reports, one line per problem ("path: app-id: message"):
  - TOML syntax errors and schema errors (missing/unknown keys, wrong types)
  - category not in categories.toml, or not matching the file it is in
  - duplicate app id, duplicate domain (same string in two places), also across curated and
    generated apps (re-run tools/import_apps.py after adding a curated app: curated wins)
  - bad domain syntax (lower case, no scheme/path/port/wildcard/leading or trailing dot)
  - headquarters that is not two upper-case letters
  - ip range entries referring to an unknown app, invalid CIDRs, duplicate CIDRs
Exit status 1 if any problem was found, 0 otherwise. Counts are printed at the end.
"""

from __future__ import annotations

import collections
import ipaddress
import re
import sys
import tomllib
from pathlib import Path

APP_REQUIRED = {"id": str, "name": str, "category": str, "vendor": str, "homepage": str, "domains": list}
APP_OPTIONAL = {"headquarters": str, "notes": str, "ip_ranges": list}
RANGE_REQUIRED = {"app": str, "source": str, "cidrs": list}

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
HQ_RE = re.compile(r"^[A-Z]{2}$")


def slug(category: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")


def domain_problem(d: object) -> str | None:
    if not isinstance(d, str):
        return f"domain {d!r} is not a string"
    if d != d.strip() or not d:
        return f"domain {d!r} is empty or has surrounding whitespace"
    if d != d.lower():
        return f"domain {d!r} is not lower case"
    if "://" in d or "/" in d or ":" in d or "*" in d or "@" in d:
        return f"domain {d!r} must not contain a scheme, path, port, wildcard or user"
    if d.startswith(".") or d.endswith("."):
        return f"domain {d!r} must not start or end with a dot"
    if len(d) > 253:
        return f"domain {d!r} is too long"
    labels = d.split(".")
    if len(labels) < 2:
        return f"domain {d!r} has fewer than two labels"
    for label in labels:
        if not LABEL_RE.match(label):
            return f"domain {d!r} has an invalid label {label!r}"
    if labels[-1].isdigit():
        return f"domain {d!r} looks like an IP address"
    return None


def load(path: Path, problems: list[str], root: Path) -> dict | None:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, OSError) as e:
        problems.append(f"{path.relative_to(root.parent)}: -: TOML error: {e}")
        return None


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "catalog"
    root = root.resolve()
    problems: list[str] = []

    def rel(p: Path) -> str:
        return str(p.relative_to(root.parent))

    # --- categories -----------------------------------------------------------------------
    cat_path = root / "categories.toml"
    cat_doc = load(cat_path, problems, root) or {}
    categories = cat_doc.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        problems.append(f"{rel(cat_path)}: -: 'categories' must be an array of strings")
        categories = []
    for c, n in collections.Counter(categories).items():
        if n > 1:
            problems.append(f"{rel(cat_path)}: -: category {c!r} listed {n} times")
    category_set = set(categories)
    slug_to_category = {slug(c): c for c in categories}

    # --- apps -----------------------------------------------------------------------------
    app_ids: dict[str, str] = {}  # id -> file
    domain_owner: dict[str, tuple[str, str]] = {}  # domain -> (file, id)
    per_category: collections.Counter[str] = collections.Counter()
    n_generated = 0
    n_domains = 0
    n_app_cidrs = 0  # CIDRs written by hand in app entries (ip_ranges key)
    curated_files = sorted((root / "apps").glob("*.toml"))
    generated_files = sorted((root / "generated" / "apps").glob("*.toml"))
    app_files = curated_files + generated_files
    if not curated_files:
        problems.append(f"{rel(root / 'apps')}: -: no app files found")
    for path in app_files:
        doc = load(path, problems, root)
        if doc is None:
            continue
        file_category = slug_to_category.get(path.stem)
        if file_category is None:
            problems.append(f"{rel(path)}: -: file name does not match the slug of any category")
        extra_top = set(doc) - {"app"}
        if extra_top:
            problems.append(f"{rel(path)}: -: unexpected top-level keys {sorted(extra_top)}")
        apps = doc.get("app", [])
        if not isinstance(apps, list):
            problems.append(f"{rel(path)}: -: 'app' must be an array of tables ([[app]])")
            continue
        for i, app in enumerate(apps):
            app_id = app.get("id") if isinstance(app.get("id"), str) else f"#{i + 1}"
            where = f"{rel(path)}: {app_id}"
            for key, typ in APP_REQUIRED.items():
                if key not in app:
                    problems.append(f"{where}: missing required key '{key}'")
                elif not isinstance(app[key], typ):
                    problems.append(f"{where}: key '{key}' must be a {typ.__name__}")
            for key, typ in APP_OPTIONAL.items():
                if key in app and not isinstance(app[key], typ):
                    problems.append(f"{where}: key '{key}' must be a {typ.__name__}")
            unknown = set(app) - set(APP_REQUIRED) - set(APP_OPTIONAL)
            if unknown:
                problems.append(f"{where}: unknown keys {sorted(unknown)}")
            for key in ("name", "vendor", "homepage"):
                if isinstance(app.get(key), str) and not app[key].strip():
                    problems.append(f"{where}: key '{key}' is empty")

            if isinstance(app.get("id"), str):
                if not ID_RE.match(app_id):
                    problems.append(f"{where}: id must match [a-z0-9-] (lower-case slug)")
                if app_id in app_ids:
                    problems.append(f"{where}: duplicate app id (also in {app_ids[app_id]})")
                else:
                    app_ids[app_id] = rel(path)

            cat = app.get("category")
            if isinstance(cat, str):
                if cat not in category_set:
                    problems.append(f"{where}: unknown category {cat!r}")
                elif file_category is not None and cat != file_category:
                    problems.append(f"{where}: category {cat!r} does not match file (expected {file_category!r})")
                per_category[cat] += 1
            if path in generated_files:
                n_generated += 1

            home = app.get("homepage")
            if isinstance(home, str) and home and not re.match(r"^https?://[^\s/]+(/\S*)?$", home):
                problems.append(f"{where}: homepage {home!r} is not an http(s) URL")

            hq = app.get("headquarters")
            if hq is not None and (not isinstance(hq, str) or not HQ_RE.match(hq)):
                problems.append(f"{where}: headquarters {hq!r} must be two upper-case letters (ISO 3166-1 alpha-2)")

            ips = app.get("ip_ranges")
            if isinstance(ips, list):
                for c in ips:
                    try:
                        net = ipaddress.ip_network(c, strict=True)
                    except (ValueError, TypeError) as e:
                        problems.append(f"{where}: invalid CIDR {c!r} in ip_ranges: {e}")
                        continue
                    if str(net) != c:
                        problems.append(f"{where}: CIDR {c!r} is not in normalised form ({net})")
                    n_app_cidrs += 1

            domains = app.get("domains")
            if isinstance(domains, list):
                if not domains:
                    problems.append(f"{where}: 'domains' is empty")
                for d in domains:
                    msg = domain_problem(d)
                    if msg:
                        problems.append(f"{where}: {msg}")
                        continue
                    n_domains += 1
                    if d in domain_owner:
                        of, oid = domain_owner[d]
                        problems.append(f"{where}: duplicate domain {d!r} (also in {of}: {oid})")
                    else:
                        domain_owner[d] = (rel(path), app_id)

    # --- generated ip ranges --------------------------------------------------------------
    n_cidrs = 0
    v4 = v6 = 0
    ranged_apps: collections.Counter[str] = collections.Counter()
    for path in sorted((root / "generated").glob("*.toml")):
        doc = load(path, problems, root)
        if doc is None:
            continue
        if "factors" in doc:
            # Risk-factor values ([[factors]]): checked by `cloudcensus catalog validate`.
            continue
        ranges = doc.get("range", [])
        if not isinstance(ranges, list):
            problems.append(f"{rel(path)}: -: 'range' must be an array of tables ([[range]])")
            continue
        extra_top = set(doc) - {"range"}
        if extra_top:
            problems.append(f"{rel(path)}: -: unexpected top-level keys {sorted(extra_top)}")
        for i, rng in enumerate(ranges):
            app_id = rng.get("app") if isinstance(rng.get("app"), str) else f"range #{i + 1}"
            where = f"{rel(path)}: {app_id}"
            for key, typ in RANGE_REQUIRED.items():
                if key not in rng:
                    problems.append(f"{where}: missing required key '{key}'")
                elif not isinstance(rng[key], typ):
                    problems.append(f"{where}: key '{key}' must be a {typ.__name__}")
            unknown = set(rng) - set(RANGE_REQUIRED)
            if unknown:
                problems.append(f"{where}: unknown keys {sorted(unknown)}")
            if isinstance(rng.get("app"), str) and rng["app"] not in app_ids:
                problems.append(f"{where}: ip range refers to unknown app {rng['app']!r}")
            seen: set[str] = set()
            for c in rng.get("cidrs", []) if isinstance(rng.get("cidrs"), list) else []:
                try:
                    net = ipaddress.ip_network(c, strict=True)
                except (ValueError, TypeError) as e:
                    problems.append(f"{where}: invalid CIDR {c!r}: {e}")
                    continue
                if str(net) != c:
                    problems.append(f"{where}: CIDR {c!r} is not in normalised form ({net})")
                if c in seen:
                    problems.append(f"{where}: duplicate CIDR {c!r}")
                seen.add(c)
                n_cidrs += 1
                if net.version == 4:
                    v4 += 1
                else:
                    v6 += 1
            if isinstance(rng.get("app"), str):
                ranged_apps[rng["app"]] += len(seen)

    # --- report ---------------------------------------------------------------------------
    for p in problems:
        print(p)
    print(f"apps: {len(app_ids)} ({len(app_ids) - n_generated} curated, {n_generated} generated)")
    print(f"domains: {n_domains}")
    print(f"categories: {len(categories)} defined, {sum(1 for c in categories if per_category[c])} with apps")
    print(f"ip ranges: {n_cidrs} CIDRs ({v4} IPv4, {v6} IPv6) for {len(ranged_apps)} apps in generated/, "
          f"{n_app_cidrs} in app entries")
    print("apps per category:")
    for c in categories:
        print(f"  {per_category[c]:4d}  {c}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
