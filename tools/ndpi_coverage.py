#!/usr/bin/env python3
"""Coverage of nDPI's host patterns by the catalog: the share of business/cloud patterns (ads,
trackers, games, streaming and adult content left out) that resolve to a catalog app with the
same label-suffix rule the scanner uses (most specific catalog domain wins). The catalog is the
curated apps (catalog/apps/*.toml) plus the generated ones (catalog/generated/apps/*.toml).

Two figures are printed:
  * all kept patterns (the historical figure), and
  * kept HOST-NAME patterns only. nDPI also has patterns that are not host names and that no
    suffix walk can match: no dot (`goog`), a leading or trailing `-` (`fbcdn-`,
    `-speedtest.`), or a trailing `.` (nDPI's label-prefix patterns: `amazon.` matches
    amazon.<anything>, `mail.google.` mail.google.<anything>). They are left out of the second
    denominator and counted separately (--missing lists them).

usage: python3 tools/ndpi_coverage.py /path/to/catalog-sources/ndpi/host_match.json [catalog_dir] [--missing]
"""
import json
import pathlib
import re
import sys
import tomllib

EXCLUDED = {
    "CUSTOM_CATEGORY_ADVERTISEMENT", "NDPI_PROTOCOL_CATEGORY_ADVERTISEMENT", "NDPI_PROTOCOL_CATEGORY_TRACKER_ANALYTICS",
    "NDPI_PROTOCOL_CATEGORY_GAME", "NDPI_PROTOCOL_CATEGORY_STREAMING", "NDPI_PROTOCOL_CATEGORY_VIDEO",
    "NDPI_PROTOCOL_CATEGORY_MUSIC", "NDPI_PROTOCOL_CATEGORY_ADULT_CONTENT", "NDPI_PROTOCOL_CATEGORY_MEDIA",
}
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_host_pattern(raw: str) -> bool:
    """Same rule as tools/import_apps.py: a pattern that a suffix walk can match."""
    p = raw.lower().lstrip("*").lstrip(".")
    if p.endswith(".") or p.startswith("-") or p.endswith("-") or "." not in p:
        return False
    return all(LABEL_RE.match(label) for label in p.split("."))


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    patterns = json.load(open(args[0]))
    cat_dir = pathlib.Path(args[1] if len(args) > 1 else "catalog")
    domains = {}
    files = sorted((cat_dir / "apps").glob("*.toml")) + sorted((cat_dir / "generated" / "apps").glob("*.toml"))
    n_apps = 0
    for f in files:
        for app in tomllib.load(open(f, "rb")).get("app", []):
            n_apps += 1
            for d in app.get("domains", []):
                domains.setdefault(d, app["id"])  # curated files come first and win

    def match(host: str):
        h = host
        while True:
            if h in domains:
                return domains[h]
            if "." not in h:
                return None
            h = h.split(".", 1)[1]

    kept = [p for p in patterns if p.get("category") not in EXCLUDED]
    hit = hit_hosts = n_hosts = 0
    missing, partial = [], []
    for p in kept:
        host = p["pattern"].lower().lstrip("*").lstrip(".").rstrip(".")
        is_host = is_host_pattern(p["pattern"])
        n_hosts += is_host
        if match(host):
            hit += 1
            hit_hosts += is_host
        elif is_host:
            missing.append((p["app"], host, p.get("category", "")))
        else:
            partial.append((p["app"], p["pattern"], p.get("category", "")))
    print(f"catalog: {n_apps} apps ({len(files)} files, curated + generated)")
    print(f"nDPI host patterns: {len(patterns)}, business/cloud kept: {len(kept)}, resolved to an app: {hit} "
          f"({100.0 * hit / max(len(kept), 1):.1f}%)")
    print(f"kept host-name patterns: {n_hosts} (left out: {len(kept) - n_hosts} patterns that are not host names, "
          f"e.g. `amazon.`, `goog`, `fbcdn-`), resolved to an app: {hit_hosts} "
          f"({100.0 * hit_hosts / max(n_hosts, 1):.1f}%)")
    if "--missing" in sys.argv:
        for m in sorted(missing):
            print("  missing:", *m)
        for m in sorted(partial):
            print("  not a host name, unresolved:", *m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
