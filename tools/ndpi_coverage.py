#!/usr/bin/env python3
"""Coverage of nDPI's host patterns by the catalog: the share of business/cloud patterns (ads,
trackers, games, streaming and adult content left out) that resolve to a catalog app with the
same label-suffix rule the scanner uses (most specific catalog domain wins).

usage: python3 tools/ndpi_coverage.py /path/to/catalog-sources/ndpi/host_match.json [catalog_dir] [--missing]
"""
import json
import pathlib
import sys
import tomllib

EXCLUDED = {
    "CUSTOM_CATEGORY_ADVERTISEMENT", "NDPI_PROTOCOL_CATEGORY_ADVERTISEMENT", "NDPI_PROTOCOL_CATEGORY_TRACKER_ANALYTICS",
    "NDPI_PROTOCOL_CATEGORY_GAME", "NDPI_PROTOCOL_CATEGORY_STREAMING", "NDPI_PROTOCOL_CATEGORY_VIDEO",
    "NDPI_PROTOCOL_CATEGORY_MUSIC", "NDPI_PROTOCOL_CATEGORY_ADULT_CONTENT", "NDPI_PROTOCOL_CATEGORY_MEDIA",
}


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    patterns = json.load(open(args[0]))
    cat_dir = pathlib.Path(args[1] if len(args) > 1 else "catalog")
    domains = {}
    for f in sorted((cat_dir / "apps").glob("*.toml")):
        for app in tomllib.load(open(f, "rb")).get("app", []):
            for d in app.get("domains", []):
                domains[d] = app["id"]

    def match(host: str):
        h = host
        while True:
            if h in domains:
                return domains[h]
            if "." not in h:
                return None
            h = h.split(".", 1)[1]

    kept = [p for p in patterns if p.get("category") not in EXCLUDED]
    hit, missing = 0, []
    for p in kept:
        host = p["pattern"].lower().lstrip("*").lstrip(".").rstrip(".")
        if match(host):
            hit += 1
        else:
            missing.append((p["app"], host, p.get("category", "")))
    print(f"nDPI host patterns: {len(patterns)}, business/cloud kept: {len(kept)}, resolved to an app: {hit} ({100.0 * hit / max(len(kept), 1):.1f}%)")
    if "--missing" in sys.argv:
        for m in sorted(missing):
            print("  missing:", *m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
