#!/usr/bin/env python3
"""Import risk-factor values (`mfa`, `supports_saml`) from third-party data sets (stdlib only, 3.11+).

Usage:
    python3 tools/import_factors.py --sources /work/shared/catalog-sources --catalog catalog \
        --out catalog/generated/factors.toml          # without --out: TOML on stdout

Inputs (kept outside the repository, see catalog-sources/README.md):
  * 2fa-directory/entries/*/*.json   2fa.directory (MIT): {"<Name>": {"domain", "additional-domains",
                                     "tfa": [...], ...}}; an entry without `tfa` lists a site that
                                     offers no 2FA.
  * sso-wall-of-shame/_vendors/*.yaml  SSO Wall of Shame / sso.tax (Apache-2.0): vendors that offer
                                     SSO only at a higher price (name, vendor_url, base_pricing,
                                     sso_pricing, updated_at, vendor_note...).
  * the Public Suffix List (Debian package `publicsuffix`; --psl to point elsewhere).
  * catalog/apps/*.toml (app ids and domains) and catalog/factors.toml (factor ids).

Output: one `[[factors]]` table per app that got at least one value, apps sorted by id, keys
sorted, every value with `source` and `as_of`. The output is deterministic.

Values
  mfa            true  = the matched 2fa.directory entry lists at least one 2FA method (`tfa`);
                 false = the entry exists and has no `tfa` key (listed as not supporting 2FA);
                 no matching entry -> no value (N/A).  as_of = the 2fa.directory data-set date.
  supports_saml  true  = the vendor is on the SSO Wall of Shame with SSO available (at any price;
                 the pricing goes into `source`); false = the entry says SSO is not available
                 (UNAVAILABLE_RE, no current entry does); not listed -> N/A.
                 as_of = the vendor entry's `updated_at`.
                 Entries in SSO_SKIP (SSO that is not SAML / not for the product the host stands
                 for) are left out, with the reason.

Matching a source domain S (2fa.directory `domain` or one of its `additional-domains`; the
SSO vendor's `vendor_url` host without `www.`) to a catalog app A with domains D(A):
  1. exact      S is one of D(A).
  2. sub-domain S is a sub-domain of some d in D(A), AND the catalog's own host matching
                (longest listed suffix wins) gives A for S, i.e. no more specific app claims S.
  3. parent     some d in D(A) is a sub-domain of S, AND no catalog app claims S or any parent
                of S (so a vendor-wide fallback like `google` keeps `google.com` to itself and
                `gmail` does not inherit it).
  Never on a public suffix: S or d that is an ICANN public suffix (`co.uk`, `com.au`) takes part
  in no match; one from the PSL's private section (`github.io`, `googleapis.com`, many of them
  are vendors' own domains) matches only exactly, never by rule 2 or 3.
  An app takes its matches from the best (lowest-numbered) rule that gives any; entries from
  worse rules are ignored for that app. If the entries it takes disagree (one lists 2FA, the
  other says no 2FA), the app is ambiguous: it gets no `mfa` value and is listed on stderr.
  Several agreeing entries are all named in `source`.

A summary (matched apps, true/false counts, unmatched source entries, non-exact matches for
review) is printed on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PSL = "/usr/share/publicsuffix/public_suffix_list.dat"
RULE_NAMES = {1: "exact", 2: "sub-domain", 3: "parent"}

# sso_pricing / vendor_note wording that would mean "SSO is not available at all" (-> false).
UNAVAILABLE_RE = re.compile(
    r"\b(?:sso|saml|single sign-on)\b[^.]*\b(?:not available|unavailable|not offered|not supported)\b"
    r"|^\s*(?:n/?a|none|not available|unavailable)\s*$",
    re.IGNORECASE,
)

# SSO Wall of Shame entries (file stem) that must not give `supports_saml`, with the reason.
SSO_SKIP: dict[str, str] = {
    "backblaze": "vendor_note: enterprise SSO is OIDC (Okta, Azure AD); SAML is not stated",
}


# --------------------------------------------------------------------------------------------
# Small helpers


def toml_str(s: str) -> str:
    """A TOML basic string (JSON string escapes are a subset of TOML's)."""
    return json.dumps(s, ensure_ascii=False)


def is_under(host: str, parent: str) -> bool:
    """True when host is a strict sub-domain of parent (label-wise)."""
    return host.endswith("." + parent)


def parents(host: str):
    """host itself, then each shorter label suffix."""
    labels = host.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


class PublicSuffixList:
    """The Public Suffix List: `icann` holds the ICANN section (co.uk, com.au...), `private` the
    private section (github.io, herokuapp.com, googleapis.com...)."""

    def __init__(self, path: Path):
        self.icann = _Rules()
        self.private = _Rules()
        section = self.icann
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if "===BEGIN PRIVATE DOMAINS===" in line:
                section = self.private
            if not line or line.startswith("//"):
                continue
            section.add(line.split()[0].lower())

    def kind(self, d: str) -> str | None:
        """'icann', 'private' or None (not a public suffix)."""
        if "." not in d or self.icann.has(d):
            return "icann"
        if self.private.has(d):
            return "private"
        return None


class _Rules:
    def __init__(self):
        self.rules: set[str] = set()
        self.wild: set[str] = set()
        self.exc: set[str] = set()

    def add(self, rule: str) -> None:
        if rule.startswith("!"):
            self.exc.add(rule[1:])
        elif rule.startswith("*."):
            self.wild.add(rule[2:])
        else:
            self.rules.add(rule)

    def has(self, d: str) -> bool:
        if d in self.exc:
            return False
        return d in self.rules or ("." in d and d.split(".", 1)[1] in self.wild)


def read_dataset_dates(readme: Path) -> dict[str, str]:
    """folder prefix -> 'as of' date from the catalog-sources README table."""
    out: dict[str, str] = {}
    if not readme.is_file():
        return out
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        m = re.search(r"\d{4}-\d{2}-\d{2}", cells[-1])
        if m:
            out[cells[0].split("/")[0]] = m.group(0)
    return out


def parse_flat_yaml(text: str) -> dict[str, object]:
    """The subset of YAML the vendor files use: `key: scalar`, `key:` + `- item` lists,
    comments, optional quotes. A repeated key keeps its last value (as Jekyll does)."""
    doc: dict[str, object] = {}
    key = None
    for raw in text.splitlines():
        line = raw.rstrip("\r").rstrip()
        s = line.strip()
        if not s or s.startswith("#") or s == "---":
            continue
        if s.startswith("- ") and key is not None:
            cur = doc.get(key)
            if not isinstance(cur, list):
                cur = []
            cur.append(unquote(s[2:].strip()))
            doc[key] = cur
            continue
        m = re.match(r"^([A-Za-z0-9_]+):(?:\s+(.*))?$", s)
        if not m:
            raise ValueError(f"unsupported YAML line: {line!r}")
        key, val = m.group(1), (m.group(2) or "").strip()
        doc[key] = unquote(val) if val else []
    return doc


def unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        inner = v[1:-1]
        if v[0] == '"':
            inner = inner.replace('\\"', '"').replace("\\\\", "\\")
        else:
            inner = inner.replace("''", "'")
        return inner
    return v


# --------------------------------------------------------------------------------------------
# Catalog


@dataclass
class Catalog:
    apps: dict[str, list[str]]  # app id -> domains
    owner: dict[str, str]  # domain -> app id
    factor_ids: set[str]

    def lookup(self, host: str) -> str | None:
        """The catalog's host matching: longest listed suffix wins."""
        for p in parents(host):
            if p in self.owner:
                return self.owner[p]
        return None


def load_catalog(root: Path) -> Catalog:
    apps: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    # Curated apps, then generated ones (curated ids/domains win, as in the scanner's loader).
    paths = sorted((root / "apps").glob("*.toml")) + sorted((root / "generated" / "apps").glob("*.toml"))
    for path in paths:
        with path.open("rb") as f:
            doc = tomllib.load(f)
        for app in doc.get("app", []):
            if app["id"] in apps:
                continue
            apps[app["id"]] = [d.lower() for d in app["domains"] if d.lower() not in owner]
            for d in apps[app["id"]]:
                owner[d] = app["id"]
    with (root / "factors.toml").open("rb") as f:
        factor_ids = {x["id"] for x in tomllib.load(f).get("factor", [])}
    return Catalog(apps, owner, factor_ids)


def match_host(cat: Catalog, psl: PublicSuffixList, s: str) -> list[tuple[str, int, str]]:
    """(app id, rule, app domain) for every app that source host s matches, per the rules."""
    s_kind = psl.kind(s)
    if s_kind == "icann":
        return []
    out: list[tuple[str, int, str]] = []
    claimed = cat.lookup(s)
    for app_id, domains in cat.apps.items():
        for d in domains:
            d_kind = psl.kind(d)
            if d_kind == "icann":
                continue
            if s == d:
                out.append((app_id, 1, d))
            elif s_kind or d_kind:
                continue  # a private public suffix (github.io...) matches only exactly
            elif is_under(s, d) and claimed == app_id:
                out.append((app_id, 2, d))
            elif is_under(d, s) and claimed is None:
                out.append((app_id, 3, d))
    return out


# --------------------------------------------------------------------------------------------
# Sources


@dataclass
class Candidate:
    """One source entry matched to one app."""

    key: str  # identifies the source entry (file)
    rule: int
    value: bool
    label: str  # text for `source`
    as_of: str
    detail: str = ""  # how it matched, for the review list


@dataclass
class Stats:
    entries: int = 0
    unmatched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def match_note(entry_host: str, s: str, rule: int, d: str) -> str:
    bits = []
    if s != entry_host:
        bits.append(f"additional domain {s}")
    if rule == 2:
        bits.append(f"sub-domain of {d}")
    elif rule == 3:
        bits.append(f"parent of {d}")
    return f" [{'; '.join(bits)}]" if bits else ""


def load_2fa(src: Path, cat: Catalog, psl: PublicSuffixList, as_of: str, stats: Stats):
    cands: dict[str, list[Candidate]] = {}
    files = sorted(src.glob("*/*.json"))
    if not files:
        sys.exit(f"error: no 2fa.directory entries under {src}")
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for name, e in sorted(doc.items()):
            stats.entries += 1
            host = e["domain"].lower()
            key = f"{path.relative_to(src)}#{name}"
            if "tfa" in e:
                methods = [str(m) for m in e["tfa"]]
                if not methods:
                    stats.skipped.append(f"{key}: empty `tfa` list, neither listed-with nor -without 2FA")
                    continue
                value, what = True, f"tfa: {', '.join(methods)}"
            else:
                value, what = False, "listed without 2FA"
            hosts = [host] + [h.lower() for h in e.get("additional-domains", []) if h.lower() != host]
            # app -> (rule, matched on an additional domain, source host, app domain): the best
            # rule, then the entry's primary domain before its additional ones.
            best: dict[str, tuple[int, bool, str, str]] = {}
            for s in hosts:
                for app_id, rule, d in match_host(cat, psl, s):
                    k = (rule, s != host, s, d)
                    if app_id not in best or k < best[app_id]:
                        best[app_id] = k
            if not best:
                stats.unmatched.append(key)
            for app_id, (rule, _, s, d) in best.items():
                note = match_note(host, s, rule, d)
                cands.setdefault(app_id, []).append(
                    Candidate(key, rule, value, f"{host}{note} ({what})", as_of, f"{name} ({host}){note}")
                )
    return cands


def load_sso(src: Path, cat: Catalog, psl: PublicSuffixList, stats: Stats):
    cands: dict[str, list[Candidate]] = {}
    files = sorted(src.glob("*.yaml"))
    if not files:
        sys.exit(f"error: no SSO Wall of Shame vendors under {src}")
    for path in files:
        stats.entries += 1
        v = parse_flat_yaml(path.read_text(encoding="utf-8"))
        key = path.name
        for k in ("name", "vendor_url", "updated_at"):
            if not isinstance(v.get(k), str) or not v[k]:
                sys.exit(f"error: {path}: missing `{k}`")
        if path.stem in SSO_SKIP:
            stats.skipped.append(f"{key}: {SSO_SKIP[path.stem]}")
            continue
        url = str(v["vendor_url"])
        host = (urllib.parse.urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
        host = host.removeprefix("www.")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(v["updated_at"])):
            sys.exit(f"error: {path}: updated_at {v['updated_at']!r} is not YYYY-MM-DD")
        sso = str(v.get("sso_pricing", "")).strip()
        base = str(v.get("base_pricing", "")).strip()
        note = v.get("vendor_note") if isinstance(v.get("vendor_note"), str) else ""
        if UNAVAILABLE_RE.search(sso) or UNAVAILABLE_RE.search(str(note)):
            value, what = False, f"SSO not available: {sso or note}"
        else:
            value, what = True, f"SSO at {sso or '?'} vs base {base or '?'}"
        best: dict[str, tuple[int, str]] = {}
        for app_id, rule, d in match_host(cat, psl, host):
            if app_id not in best or (rule, d) < best[app_id]:
                best[app_id] = (rule, d)
        if not best:
            stats.unmatched.append(f"{key} ({host})")
        for app_id, (rule, d) in best.items():
            mnote = match_note(host, host, rule, d)
            cands.setdefault(app_id, []).append(
                Candidate(key, rule, value, f"{v['name']}{mnote} ({what})", str(v["updated_at"]),
                          f"{v['name']} ({host}){mnote}")
            )
    return cands


@dataclass
class Decision:
    value: bool
    source: str
    as_of: str
    used: list[Candidate]


def decide(cands: list[Candidate], prefix: str) -> tuple[Decision | None, list[Candidate]]:
    """Best rule only; None when the entries it gives disagree. Returns also the shadowed ones."""
    best_rule = min(c.rule for c in cands)
    used = sorted((c for c in cands if c.rule == best_rule), key=lambda c: (c.label, c.key))
    shadowed = [c for c in cands if c.rule != best_rule]
    if len({c.value for c in used}) > 1:
        return None, shadowed
    source = f"{prefix}: " + "; ".join(c.label for c in used)
    return Decision(used[0].value, source, max(c.as_of for c in used), used), shadowed


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", required=True, type=Path, help="catalog-sources folder")
    ap.add_argument("--catalog", default=Path(__file__).resolve().parent.parent / "catalog", type=Path)
    ap.add_argument("--out", type=Path, help="output file (default: stdout)")
    ap.add_argument("--psl", default=DEFAULT_PSL, type=Path, help=f"public suffix list (default {DEFAULT_PSL})")
    ap.add_argument("--tfa-date", help="2fa.directory data-set date (default: from the sources README)")
    ap.add_argument("--sso-date", help="SSO Wall of Shame data-set date (default: from the sources README)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list unmatched source entries")
    args = ap.parse_args()

    if not args.psl.is_file():
        sys.exit(f"error: public suffix list {args.psl} not found (apt-get install publicsuffix, or --psl FILE)")
    psl = PublicSuffixList(args.psl)
    cat = load_catalog(args.catalog)
    for needed in ("mfa", "supports_saml"):
        if needed not in cat.factor_ids:
            sys.exit(f"error: factor {needed!r} is not defined in {args.catalog / 'factors.toml'}")

    dates = read_dataset_dates(args.sources / "README.md")
    tfa_date = args.tfa_date or dates.get("2fa-directory")
    sso_date = args.sso_date or dates.get("sso-wall-of-shame")
    if not tfa_date or not sso_date:
        sys.exit("error: data-set dates not found in the sources README; give --tfa-date and --sso-date")

    psl_app_domains = {k: sorted(d for ds in cat.apps.values() for d in ds if psl.kind(d) == k)
                       for k in ("icann", "private")}

    tfa_stats, sso_stats = Stats(), Stats()
    tfa = load_2fa(args.sources / "2fa-directory" / "entries", cat, psl, tfa_date, tfa_stats)
    sso = load_sso(args.sources / "sso-wall-of-shame" / "_vendors", cat, psl, sso_stats)

    values: dict[str, dict[str, Decision]] = {}
    ambiguous: list[str] = []
    review: list[str] = []
    used_keys: dict[str, set[str]] = {"mfa": set(), "supports_saml": set()}
    for factor, cands, prefix in (("mfa", tfa, "2fa.directory"), ("supports_saml", sso, "SSO Wall of Shame")):
        for app_id in sorted(cands):
            dec, shadowed = decide(cands[app_id], prefix)
            if dec is None:
                best = min(c.rule for c in cands[app_id])
                sides = "; ".join(
                    f"{c.detail} -> {str(c.value).lower()}"
                    for c in sorted(cands[app_id], key=lambda c: c.detail) if c.rule == best
                )
                ambiguous.append(f"{app_id} {factor}: {sides}")
                continue
            values.setdefault(app_id, {})[factor] = dec
            used_keys[factor].update(c.key for c in dec.used)
            for c in dec.used:
                if c.rule != 1 or "additional domain" in c.detail:
                    review.append(f"{app_id} {factor} <- {c.detail} [{RULE_NAMES[c.rule]}]")
            for c in shadowed:
                if c.value != dec.value:
                    review.append(
                        f"{app_id} {factor}: ignored {c.detail} -> {str(c.value).lower()} "
                        f"({RULE_NAMES[c.rule]}; a better match says {str(dec.value).lower()})"
                    )

    # ---- output ----
    lines = [
        "# GENERATED by tools/import_factors.py — do not edit; curated values go in catalog/curated/factors.toml",
        f"# Sources: 2fa.directory (MIT, entries as of {tfa_date}), SSO Wall of Shame (Apache-2.0, as of {sso_date})",
    ]
    for app_id in sorted(values):
        lines += ["", "[[factors]]", f"app = {toml_str(app_id)}"]
        for factor in sorted(values[app_id]):
            d = values[app_id][factor]
            lines.append(
                f"{factor} = {{ value = {str(d.value).lower()}, source = {toml_str(d.source)}, as_of = {toml_str(d.as_of)} }}"
            )
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # must parse
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(text.encode("utf-8"))
    else:
        sys.stdout.write(text)

    # ---- summary on stderr ----
    err = sys.stderr
    mfa_vals = [v["mfa"].value for v in values.values() if "mfa" in v]
    saml_vals = [v["supports_saml"].value for v in values.values() if "supports_saml" in v]
    print(f"catalog: {len(cat.apps)} apps; {len(values)} apps get at least one value", file=err)
    print(
        f"2fa.directory ({tfa_date}): {tfa_stats.entries} entries; {len(mfa_vals)} apps matched "
        f"(mfa true {sum(mfa_vals)}, false {len(mfa_vals) - sum(mfa_vals)}); "
        f"{len(used_keys['mfa'])} entries used; {len(tfa_stats.unmatched)} entries match no app",
        file=err,
    )
    print(
        f"SSO Wall of Shame ({sso_date}): {sso_stats.entries} vendors; {len(saml_vals)} apps matched "
        f"(supports_saml true {sum(saml_vals)}, false {len(saml_vals) - sum(saml_vals)}); "
        f"{len(used_keys['supports_saml'])} vendors used; {len(sso_stats.unmatched)} vendors match no app",
        file=err,
    )
    if psl_app_domains["icann"]:
        print(f"catalog domains that are ICANN public suffixes (never matched): "
              f"{', '.join(psl_app_domains['icann'])}", file=err)
    if psl_app_domains["private"]:
        print(f"catalog domains in the PSL private section (exact matches only): "
              f"{len(psl_app_domains['private'])}", file=err)
    for title, items in (
        ("ambiguous, skipped", ambiguous),
        ("source entries skipped", tfa_stats.skipped + sso_stats.skipped),
        ("non-exact matches, to review", review),
    ):
        if items:
            print(f"{title} ({len(items)}):", file=err)
            for it in items:
                print(f"  {it}", file=err)
    if args.verbose:
        for title, items in (("unmatched 2fa.directory entries", tfa_stats.unmatched),
                             ("unmatched SSO vendors", sso_stats.unmatched)):
            print(f"{title} ({len(items)}):", file=err)
            for it in items:
                print(f"  {it}", file=err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
