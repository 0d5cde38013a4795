#!/usr/bin/env python3
"""Rebuild data/country_geo.tsv: for each ISO 3166-1 alpha-2 country code, a representative
point (latitude, longitude) and the countries it shares a land border with. Used by the
"impossible travel" detection (distance between two countries' points; neighbours).

Inputs
  * world-atlas 2.0.2 (npm, ISC licence, (c) Mike Bostock), file countries-50m.json: Natural
    Earth 4.1.0 admin-0 countries at 1:50m (public domain) as TopoJSON. Get it with
        cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    which leaves /tmp/package/countries-50m.json.
  * vendor/i18n-iso-countries/codes.json: rows [alpha2, alpha3, numeric, ...], used to map the
    atlas ids (ISO 3166-1 numeric codes) to alpha-2.

Usage
    python3 tools/make_country_geo.py --atlas /tmp/package/countries-50m.json \\
        --codes vendor/i18n-iso-countries/codes.json --out data/country_geo.tsv

Method (python3 stdlib only; output is deterministic)
  * The TopoJSON arcs are decoded here (delta-encoded, quantized with transform scale/translate;
    arc index ~i means arc i reversed).
  * Each polygon is measured in an equal-area projection: Lambert cylindrical (x = lon,
    y = sin lat) after unwrapping longitudes so polygons crossing the 180 degree meridian stay
    contiguous; Lambert azimuthal centred on the pole for a ring that goes round a pole
    (Antarctica). Areas are therefore true spherical areas (up to the polygon's straight edges).
  * Representative point = area-weighted centroid (holes subtracted) of the country's LARGEST
    polygon, so France is in metropolitan France, the US in the contiguous US, Norway not in
    Svalbard. It can lie outside the polygon for curved shapes; these are listed on stderr.
  * Land borders: two countries border each other when their geometries share at least one
    TopoJSON arc (shared arcs are how TopoJSON encodes common boundaries). Coasts facing each
    other across the sea never share an arc.
  * Geometries without an ISO id: Kosovo -> XK; Somaliland -> SO and N. Cyprus -> CY (ISO 3166
    counts them as part of those countries; this also keeps the SO-DJ border); Indian Ocean Ter.
    is split into CX and CC; others (Siachen Glacier) are skipped and listed on stderr.
  * Natural Earth draws some overseas parts inside their sovereign's geometry although ISO gives
    them their own code (French overseas departments, Svalbard, Caribbean Netherlands). Those
    polygons are split off by bounding box (SPLITS below), so they get their own row and their own
    borders (GF borders BR and SR; FR does not).
  * Checks (representative points, known border pairs, borders only through outlying polygons,
    counts) are printed on stderr.
"""
import argparse
import hashlib
import json
import math
import sys

# Geometries with no (or no ISO) id, matched by the atlas name -> alpha-2 (None: skip).
NAME_TO_CODE = {
    "Kosovo": "XK",
    "Somaliland": "SO",
    "N. Cyprus": "CY",
    "Indian Ocean Ter.": None,  # split into CX / CC by SPLITS below
    "Siachen Glacier": None,  # disputed India / Pakistan, no ISO code
}

# (parent geometry: alpha-2 or atlas name, child alpha-2, child name,
#  lon_min, lon_max, lat_min, lat_max): a polygon of the parent whose bounding box centre lies
# in the box belongs to the child.
SPLITS = [
    ("FR", "GF", "French Guiana", -55.0, -51.0, 1.5, 6.5),
    ("FR", "GP", "Guadeloupe", -62.0, -61.0, 15.7, 16.7),
    ("FR", "MQ", "Martinique", -61.4, -60.6, 14.2, 15.0),
    ("FR", "RE", "R\u00e9union", 55.0, 56.0, -21.6, -20.6),
    ("FR", "YT", "Mayotte", 44.8, 45.5, -13.2, -12.4),
    ("NO", "SJ", "Svalbard and Jan Mayen", -10.0, 35.0, 70.5, 81.5),  # also Bear Island, Jan Mayen
    ("NL", "BQ", "Caribbean Netherlands", -69.0, -62.5, 11.5, 18.0),
    ("Indian Ocean Ter.", "CX", "Christmas I.", 105.0, 106.5, -11.0, -10.0),
    ("Indian Ocean Ter.", "CC", "Cocos (Keeling) Is.", 96.0, 97.5, -12.7, -11.5),
]

# Representative points printed for checking, and border pairs checked against expectations.
CHECK_POINTS = ["US", "FR", "NO", "RU", "CA", "AU", "NZ", "CL", "ID", "JP", "GB", "DK", "NL",
                "PT", "ES", "FJ", "KI"]
CHECK_PAIRS = [("FR", "ES", True), ("FR", "DE", True), ("FR", "GB", False), ("US", "CA", True),
               ("US", "MX", True), ("DE", "AT", True), ("ES", "PT", True), ("IE", "GB", True),
               ("DK", "DE", True), ("SE", "NO", True), ("SE", "FI", True), ("KR", "KP", True),
               ("CN", "IN", True), ("RU", "CN", True), ("FR", "BR", False), ("GF", "BR", True)]
CHECK_NONE = ["AU", "JP", "NZ"]


def log(*a):
    print(*a, file=sys.stderr)


def decode_arcs(topo):
    tr = topo.get("transform")
    out = []
    for arc in topo["arcs"]:
        pts = []
        if tr:
            (sx, sy), (tx, ty) = tr["scale"], tr["translate"]
            x = y = 0
            for p in arc:
                x += p[0]
                y += p[1]
                pts.append((x * sx + tx, y * sy + ty))
        else:
            pts = [(p[0], p[1]) for p in arc]
        out.append(pts)
    return out


def ring_coords(arcs, idx):
    out = []
    for i in idx:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(pts if not out else pts[1:])
    return out


def unwrap(ring, ref=None):
    """Longitudes made continuous (no jump > 180); returns (points, number of jumps).
    An odd number of jumps means the ring goes round a pole."""
    out = []
    jumps = 0
    off = 0.0
    prev = None
    for lon, lat in ring:
        if prev is not None:
            d = lon - prev
            if d > 180:
                off -= 360
                jumps += 1
            elif d < -180:
                off += 360
                jumps += 1
        prev = lon
        out.append((lon + off, lat))
    if ref is not None and out:
        # bring a hole next to its exterior ring
        s = round((ref - out[0][0]) / 360.0) * 360.0
        out = [(x + s, y) for x, y in out]
    return out, jumps


def shoelace(xy):
    """Signed area and area-weighted centroid of a closed ring of planar points."""
    a = cx = cy = 0.0
    n = len(xy)
    for k in range(n):
        x0, y0 = xy[k]
        x1, y1 = xy[(k + 1) % n]
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    a /= 2.0
    if a == 0:
        return 0.0, (0.0, 0.0)
    return a, (cx / (6 * a), cy / (6 * a))


def cyl(lon, lat):  # Lambert cylindrical equal-area (unit sphere)
    return math.radians(lon), math.sin(math.radians(lat))


def cyl_inv(x, y):
    return math.degrees(math.asin(max(-1.0, min(1.0, y)))), math.degrees(x)


def polar(lon, lat, south):  # Lambert azimuthal equal-area centred on a pole (unit sphere)
    phi = math.radians(lat)
    r = 2 * math.sin((math.pi / 2 + phi) / 2) if south else 2 * math.sin((math.pi / 2 - phi) / 2)
    lam = math.radians(lon)
    return r * math.sin(lam), (r * math.cos(lam) if south else -r * math.cos(lam))


def polar_inv(x, y, south):
    r = math.hypot(x, y)
    c = 2 * math.asin(min(1.0, r / 2))
    lat = (-90 + math.degrees(c)) if south else (90 - math.degrees(c))
    lon = math.degrees(math.atan2(x, y if south else -y)) if r > 0 else 0.0
    return lat, lon


class Polygon:
    """One polygon: exterior + holes; equal-area measure, centroid, bbox, point-in-test."""

    def __init__(self, arcs, rings_idx):
        ext, jumps = unwrap(ring_coords(arcs, rings_idx[0]))
        rings = [ext]
        for h in rings_idx[1:]:
            rings.append(unwrap(ring_coords(arcs, h), ref=ext[0][0])[0])
        self.pole = None
        if jumps % 2:
            self.pole = "S" if sum(la for _, la in ext) < 0 else "N"
        south = self.pole == "S"
        if self.pole:
            self.proj = [[polar(lo, la, south) for lo, la in r] for r in rings]
        else:
            self.proj = [[cyl(lo, la) for lo, la in r] for r in rings]
        tot = sx = sy = 0.0
        for r in self.proj:
            a, (cx, cy) = shoelace(r)
            tot += a
            sx += a * cx
            sy += a * cy
        self.area = abs(tot)  # steradians
        if tot == 0:
            cx, cy = self.proj[0][0]
        else:
            cx, cy = sx / tot, sy / tot
        self.cxy = (cx, cy)
        if self.pole:
            lat, lon = polar_inv(cx, cy, south)
        else:
            lat, lon = cyl_inv(cx, cy)
        self.lat, self.lon = lat, ((lon + 180.0) % 360.0) - 180.0
        los = [p[0] for p in ext]
        las = [p[1] for p in ext]
        self.bbox = (min(los), max(los), min(las), max(las))
        c = ((self.bbox[0] + self.bbox[1]) / 2 + 180.0) % 360.0 - 180.0
        self.bbox_centre = (c, (self.bbox[2] + self.bbox[3]) / 2)
        self.arc_ids = sorted({i if i >= 0 else ~i for r in rings_idx for i in r})

    def contains_centroid(self):
        x, y = self.cxy
        inside = False
        for r in self.proj:
            n = len(r)
            for k in range(n):
                (x0, y0), (x1, y1) = r[k], r[(k + 1) % n]
                if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
        return inside


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--atlas", required=True, help="world-atlas countries-50m.json")
    ap.add_argument("--codes", required=True, help="vendor/i18n-iso-countries/codes.json")
    ap.add_argument("--out", required=True, help="output TSV (data/country_geo.tsv)")
    args = ap.parse_args()

    with open(args.atlas, encoding="utf-8") as f:
        topo = json.load(f)
    with open(args.codes, encoding="utf-8") as f:
        code_rows = json.load(f)
    num_to_a2 = {row[2]: row[0] for row in code_rows}
    all_a2 = sorted({row[0] for row in code_rows})
    arcs = decode_arcs(topo)

    countries = {}  # a2 -> {"name": str, "polys": [Polygon], "named": bool}
    skipped = []
    for geom in topo["objects"]["countries"]["geometries"]:
        gname = (geom.get("properties") or {}).get("name", "")
        gid = geom.get("id")
        if geom["type"] == "Polygon":
            plist = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            plist = geom["arcs"]
        else:
            skipped.append((gid, gname, "type " + geom["type"]))
            continue
        if gid in num_to_a2:
            code, how = num_to_a2[gid], "id"
        elif gname in NAME_TO_CODE:
            code, how = NAME_TO_CODE[gname], "by name"
        else:
            code, how = None, "unknown id, not in NAME_TO_CODE"
        parent_key = code if code else gname
        splits = [s for s in SPLITS if s[0] == parent_key]
        if code is None and not splits:
            skipped.append((gid, gname, "no ISO code" if how == "by name" else how))
            continue
        for rings_idx in plist:
            poly = Polygon(arcs, rings_idx)
            target, tname, by_id = code, gname, how == "id"
            lon, lat = poly.bbox_centre
            for _, child, cname, x0, x1, y0, y1 in splits:
                if x0 <= lon <= x1 and y0 <= lat <= y1:
                    target, tname, by_id = child, cname, True
                    break
            if target is None:
                skipped.append((gid, gname, "polygon at %.2f,%.2f outside splits" % (lat, lon)))
                continue
            poly.src, poly.by_id = tname, by_id
            countries.setdefault(target, {"polys": []})["polys"].append(poly)
    # Name: of the geometry carrying the ISO id (AU, not Ashmore and Cartier Is. which has the
    # same id; SO, not Somaliland; CY, not N. Cyprus), the largest by area if several.
    for code, c in countries.items():
        area_by_src = {}
        for p in c["polys"]:
            key = (p.by_id, p.src)
            area_by_src[key] = area_by_src.get(key, 0.0) + p.area
        c["name"] = max(area_by_src, key=lambda k: (k[0], area_by_src[k], k[1]))[1]
        c["srcs"] = sorted({k[1] for k in area_by_src})

    # representative points
    for code, c in countries.items():
        main_poly = max(c["polys"], key=lambda p: (p.area, -p.lat, -p.lon))
        c["main"] = main_poly
        c["lat"], c["lon"] = main_poly.lat, main_poly.lon

    # borders via shared arcs
    arc_users = {}
    arc_poly = {}
    for code, c in countries.items():
        for p in c["polys"]:
            for a in p.arc_ids:
                arc_users.setdefault(a, set()).add(code)
                arc_poly.setdefault(a, []).append((code, p))
    borders = {code: set() for code in countries}
    pair_main = {}  # pair -> True if some shared arc lies on both countries' largest polygon
    for a, users in arc_users.items():
        if len(users) < 2:
            continue
        for x in users:
            for y in users:
                if x != y:
                    borders[x].add(y)
        for i, (cx, px) in enumerate(arc_poly[a]):
            for cy, py in arc_poly[a][i + 1:]:
                if cx == cy:
                    continue
                key = tuple(sorted((cx, cy)))
                on_main = px is countries[cx]["main"] and py is countries[cy]["main"]
                pair_main[key] = pair_main.get(key, False) or on_main

    # output
    rows = []
    for code in sorted(countries):
        c = countries[code]
        name = c["name"].replace("\t", " ")
        rows.append("%s\t%s\t%.2f\t%.2f\t%s" % (code, name, c["lat"] + 0.0, c["lon"] + 0.0,
                                              ",".join(sorted(borders[code]))))
    rows = [r.replace("\t-0.00\t", "\t0.00\t") for r in rows]
    missing = [a for a in all_a2 if a not in countries]
    header = [
        "# GENERATED by tools/make_country_geo.py. Do not edit: rerun the tool (see its docstring).",
        "#   cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz && cd -",
        "#   python3 tools/make_country_geo.py --atlas /tmp/package/countries-50m.json \\",
        "#       --codes vendor/i18n-iso-countries/codes.json --out data/country_geo.tsv",
        "# Sources:",
        "#   world-atlas 2.0.2 (npm, `npm pack world-atlas@2.0.2`), countries-50m.json, ISC licence,",
        "#     Copyright 2013-2019 Michael Bostock; sha256 %s" % sha256(args.atlas),
        "#   derived from Natural Earth 4.1.0 Admin 0 countries 1:50m (naturalearthdata.com),",
        "#     public domain",
        "#   alpha-2 codes: vendor/i18n-iso-countries/codes.json (MIT); sha256 %s" % sha256(args.codes),
        "# Columns: code = ISO 3166-1 alpha-2 (XK = Kosovo); name = Natural Earth short name;",
        "#   lat, lon = area-weighted centroid of the country's largest polygon (WGS84 degrees);",
        "#   borders = countries sharing a land boundary with it (shared TopoJSON arc), sorted.",
        "# Notes: Somaliland is counted in SO and N. Cyprus in CY; Siachen Glacier is left out;",
        "#   GF GP MQ RE YT are split from FR, SJ from NO, BQ from NL, CX CC from Indian Ocean Ter.",
        "#   Codes absent from the 1:50m data (no row): %s" % (" ".join(missing) or "none"),
        "code\tname\tlat\tlon\tborders",
    ]
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(header + rows) + "\n")

    # checks on stderr
    for gid, gname, why in skipped:
        log("skipped geometry: id=%s name=%r (%s)" % (gid, gname, why))
    for code in sorted(countries):
        if len(countries[code]["srcs"]) > 1:
            log("merged into %s: %s" % (code, ", ".join(countries[code]["srcs"])))
    log("ISO codes with no geometry (no row): %s" % (" ".join(missing) or "none"))
    log("")
    log("representative points (largest polygon of n; share of the country's area):")
    log("  code  lat      lon      n_poly  share  name")
    for code in CHECK_POINTS:
        c = countries.get(code)
        if not c:
            log("  %-4s  MISSING" % code)
            continue
        tot = sum(p.area for p in c["polys"])
        log("  %-4s  %7.2f  %7.2f  %6d  %4.0f%%  %s" % (code, c["lat"], c["lon"], len(c["polys"]),
                                                     100 * c["main"].area / tot, c["name"]))
    outside = [code for code in sorted(countries) if not countries[code]["main"].contains_centroid()]
    log("centroid outside its own largest polygon: %s" % (" ".join(outside) or "none"))
    for code in ("GF", "RE", "SJ", "BQ", "CX", "CC", "XK", "SO", "CY", "AQ"):
        if code in countries:
            c = countries[code]
            log("  %-4s  %7.2f  %7.2f  %s" % (code, c["lat"], c["lon"], c["name"]))
    log("")
    log("border checks:")
    bad = 0
    for a, b, want in CHECK_PAIRS:
        got = b in borders.get(a, set())
        ok = got == want
        bad += not ok
        log("  %s-%s %-3s (expected %-3s) %s" % (a, b, "yes" if got else "no", "yes" if want else "no",
                                                "ok" if ok else "SURPRISE"))
    for a in CHECK_NONE:
        got = sorted(borders.get(a, set()))
        bad += bool(got)
        log("  %s none: %s %s" % (a, ",".join(got) or "(none)", "SURPRISE" if got else "ok"))
    log("borders only through an outlying (not the largest) polygon of either country:")
    off_main = sorted(k for k, v in pair_main.items() if not v)
    log("  " + " ".join("%s-%s" % k for k in off_main))
    far = []
    for k in sorted(pair_main):
        d = km((countries[k[0]]["lat"], countries[k[0]]["lon"]),
               (countries[k[1]]["lat"], countries[k[1]]["lon"]))
        if d > 3000:
            far.append("%s-%s %.0fkm" % (k[0], k[1], d))
    log("bordering pairs with representative points > 3000 km apart:")
    log("  " + ", ".join(far))
    n_b = sum(1 for code in countries if borders[code])
    log("")
    log("countries: %d rows; with at least one land border: %d; without: %d; pairs: %d%s"
        % (len(countries), n_b, len(countries) - n_b, len(pair_main),
           "" if not bad else "; %d check(s) surprising" % bad))


if __name__ == "__main__":
    main()
