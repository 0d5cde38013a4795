#!/usr/bin/env python3
"""Generate app entries from third-party data sets (stdlib only, 3.11+).

Usage:
    python3 tools/import_apps.py --sources /work/shared/catalog-sources --catalog catalog \
        --out catalog/generated/apps          # summary and review lists on stderr
    python3 tools/check_catalog.py

Writes catalog/generated/apps/<category-slug>.toml: `[[app]]` tables of the same schema as
catalog/apps/ (see catalog/README.md) for cloud apps that the curated catalog does NOT have.
Every file in --out that ends in .toml is rewritten or removed, so a category that loses all its
apps loses its file. The output is deterministic (apps sorted by id, files by category).

Inputs (kept outside the repository, see catalog-sources/README.md):
  * wappalyzer-<version>/technologies/*.json, categories.json   Wappalyzer (MIT). Only
    technologies with "saas": true; the domain is the registrable domain of `website`.
  * 2fa-directory/entries/*/*.json   2fa.directory (MIT): domain, additional-domains, categories.
  * ndpi/host_match.json             nDPI (LGPL-3.0-or-later): pattern, app, category.
  * catalog/apps/*.toml (the curated apps), catalog/categories.toml, the Public Suffix List.

Order and precedence (every domain string appears once across curated + generated):
  1. Curated apps always win. A candidate is skipped as a duplicate when its id, or its name
     reduced to [a-z0-9], equals a curated app's id or name reduced the same way, or when ANY of
     its domains is resolved by a curated app with the scanner's rule (walk the label suffixes,
     the longest listed one wins). Same-name products checked by hand to be different are in
     HOMONYMS (they get their own id).
  2. 2fa.directory first (its names are those of the site/brand that owns the domain), then
     Wappalyzer (whose technologies are often product pages on a vendor's domain), then nDPI.
     A later candidate with a domain that an earlier GENERATED app already resolves is merged
     into that app (its other domains are added, its source is added to `notes`).
  3. Ids are slugs of the names; an id already taken by another generated app of different
     domains gets `-2`, `-3`... (different products of the same name, e.g. two "Bolt"s).

Wappalyzer: a technology is kept when one of its categories maps to ours (WAPPALYZER_CATEGORIES,
in priority order: the first listed category that the technology has decides); categories
mapped to None are not SaaS products with their own domain (JS libraries, frameworks, CMS
plugins and themes, web servers, fonts...). Technologies whose website is on the same
registrable domain (product pages of one vendor: boldcommerce.com/bundles, .../upsell) become
one app named after the words their names share ("Bold"); without a shared word they are
skipped (reported).

2fa.directory: entries of the same name up to a region tag ("Foodora [FI]", "Foodora [NO]")
become one app. The category is the first of TFA_CATEGORIES (priority order) that the entry
lists; categories mapped to None are not business/cloud apps and an entry with only those is
skipped. Domains are the entry's `domain` and `additional-domains`, as given (minus `www.`).

nDPI: every host pattern outside the excluded categories (ads, trackers, games, streaming,
video, music, adult content, media: the same as tools/ndpi_coverage.py). Patterns that are not
host names (no dot, a leading or trailing `-`, or a trailing `.`: nDPI's label-prefix patterns
such as `amazon.` or `mail.google.`) cannot be matched by a suffix walk and are only reported.
Host-name patterns that the catalog (curated + generated so far) does not resolve are grouped
by nDPI `app` into one app (id = slug of the nDPI app name, category from NDPI_APP_CATEGORY or
else NDPI_CATEGORIES). When the nDPI app is a curated app (its slug, compared without `-`,
equals a curated id or name; or its other patterns resolve to curated apps and it is not in
NDPI_NEW_PRODUCTS), no app is generated: the hosts are listed on stderr as domains to add to
the curated app by hand ("curated gaps").

Fields: `vendor` and `homepage` are required by the schema but the sources give no vendor: the
app name stands in for the vendor. `homepage` is Wappalyzer's `website`, else https://<domain>/.
`headquarters` is never set (unknown). `notes` = "imported from <source> (<licence>), <as of>".
Domains are lower case, valid host names, never a public suffix (ICANN or private section of
the PSL), registrable domains or deeper; a domain that is a sub-domain of another domain of the
same app is dropped (the suffix rule covers it).
"""

from __future__ import annotations

import argparse
import collections
import html
import json
import re
import sys
import tomllib
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no tools/__pycache__ from the two imports below
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_catalog import domain_problem  # noqa: E402
from import_factors import DEFAULT_PSL, PublicSuffixList, parents, read_dataset_dates, toml_str  # noqa: E402

# --------------------------------------------------------------------------------------------
# Category tables. A source category missing from its table makes the tool fail, so that a new
# data-set release forces an explicit decision.

# Wappalyzer category name -> our category (None: not a SaaS product with its own domain).
# Priority order: for a technology with several categories the first one listed here wins.
WAPPALYZER_CATEGORIES: dict[str, str | None] = {
    "CRM": "CRM",
    "Webmail": "Webmail",
    "Live chat": "Customer support",
    "Issue trackers": "Website monitoring",  # the saas ones are status pages/uptime (+ Zendesk, Canny)
    "Documentation": "Content management",
    "User onboarding": "Customer support",
    "Surveys": "Marketing",  # as curated surveymonkey/typeform
    "Recruitment & staffing": "Human resource management",
    "LMS": "Education",
    "Appointment scheduling": "Productivity",  # as curated calendly
    "Security": "Security",
    "Authentication": "Security",
    "SSL/TLS certificate authorities": "Security",
    "Browser fingerprinting": "Security",  # fraud/bot detection services
    "Cookie compliance": "Security",  # consent/privacy compliance services
    "PaaS": "Cloud computing platform",
    "IaaS": "Cloud computing platform",
    "Database managers": "Cloud computing platform",
    "Load balancers": "Cloud computing platform",
    "Network storage": "Cloud storage",
    "Hosting": "Hosting services",
    "Hosting panels": "Hosting services",
    "CDN": "Hosting services",  # as curated akamai/fastly/cloudflare
    "Performance": "Hosting services",  # image/edge optimisation services
    "Caching": "Hosting services",
    "RUM": "Website monitoring",
    "Development": "Development tools",
    "Feature management": "Development tools",
    "Search engines": "Development tools",  # site-search APIs, as curated algolia
    "Geolocation": "Development tools",  # IP-geolocation APIs
    "Maps": "Development tools",  # as curated mapbox
    "Editors": "Development tools",
    "Tag managers": "Web analytics",
    "Analytics": "Web analytics",
    "A/B Testing": "Web analytics",
    "Advertising": "Advertising",
    "Retargeting": "Advertising",
    "Email": "Marketing",  # e-mail marketing / transactional e-mail services
    "Marketing automation": "Marketing",
    "Customer data platform": "Marketing",
    "Personalisation": "Marketing",
    "Segmentation": "Marketing",
    "SEO": "Marketing",
    "Affiliate programs": "Marketing",
    "Referral marketing": "Marketing",
    "Loyalty & rewards": "Marketing",
    "Reviews": "Marketing",
    "Content curation": "Marketing",
    "Cart abandonment": "Marketing",
    "Payment processors": "Accounting and finance",
    "Buy now pay later": "Accounting and finance",
    "Shipping carriers": "Supply chain and logistics",
    "Fulfilment": "Supply chain and logistics",
    "Returns": "E-commerce",
    "Cross border ecommerce": "E-commerce",
    "Ecommerce": "E-commerce",
    "Reservations & delivery": "E-commerce",  # restaurant booking/ordering
    "Ticket booking": "E-commerce",
    "Augmented reality": "E-commerce",  # virtual try-on for shops
    "Shopify apps": "E-commerce",  # SaaS add-ons with their own site (apps.shopify.com -> curated shopify)
    "Digital asset management": "Content management",
    "Translation": "Content management",
    "Accessibility": "Content management",
    "CMS": "Content management",
    "Blogs": "Content management",
    "Page builders": "Content management",
    "Message boards": "Forums",
    "Photo galleries": "Content sharing",
    "Video players": "Content sharing",
    "Livestreaming": "Content sharing",
    "Widgets": "Marketing",  # embeddable site widgets (pop-ups, social proof, booking...)
    "Miscellaneous": "Business management",
    # not SaaS products with their own domain
    "WordPress plugins": None,
    "WordPress themes": None,
    "Web frameworks": None,
    "JavaScript libraries": None,
    "JavaScript graphics": None,
    "UI frameworks": None,
    "Font scripts": None,
    "Web servers": None,
}

# 2fa.directory category -> our category (None: not a business/cloud app, skipped).
# Priority order: for an entry with several categories the first one listed here wins.
TFA_CATEGORIES: dict[str, str | None] = {
    "email": "Webmail",
    "identity": "Security",  # password managers, IdPs
    "security": "Security",
    "vpn": "Security",
    "developer": "Development tools",
    "cloud": "Cloud computing platform",
    "hosting": "Hosting services",
    "domains": "Hosting services",  # registrars and DNS hosting
    "backup": "Cloud storage",
    "remote": "IT services",  # remote access / RMM
    "task": "Project management",
    "communication": "Communications",
    "marketing": "Marketing",
    "legal": "Business management",  # e-signature, legal practice management, consent
    "creativity": "Product design",
    "iot": "Internet of Things",
    "health": "Health",
    "education": "Education",
    "universities": "Education",
    "postal": "Supply chain and logistics",
    "transport": "Transportation and travel",
    "travel": "Transportation and travel",
    "tickets": "E-commerce",
    "food": "E-commerce",  # food ordering/delivery
    "retail": "E-commerce",
    "payments": "Accounting and finance",
    "finance": "Accounting and finance",
    "investing": "Accounting and finance",
    "banking": "Accounting and finance",  # online banking: a CASB lists consumer finance sites too
    "insurance": "Accounting and finance",
    "crowdfunding": "Accounting and finance",
    "cryptocurrencies": "Accounting and finance",  # exchanges and wallets
    "social": "Social network",
    "entertainment": "News and entertainment",
    "gaming": "News and entertainment",  # game platforms/stores; we have no gaming category
    "betting": None,  # gambling
    "government": None,  # public-administration portals, not cloud apps
    "utilities": None,  # energy/telecom providers' customer portals
    "other": None,  # a miscellany (news sites, kennel club, HR tools...): no category to give
}

# nDPI category -> our category (None: excluded, as in tools/ndpi_coverage.py).
NDPI_CATEGORIES: dict[str, str | None] = {
    "NDPI_PROTOCOL_CATEGORY_CLOUD": "Cloud computing platform",
    "NDPI_PROTOCOL_CATEGORY_COLLABORATIVE": "Collaboration",
    "NDPI_PROTOCOL_CATEGORY_CHAT": "Personal instant messaging",
    "NDPI_PROTOCOL_CATEGORY_VOIP": "Communications",
    "NDPI_PROTOCOL_CATEGORY_MAIL": "Webmail",
    "NDPI_PROTOCOL_CATEGORY_SOCIAL_NETWORK": "Social network",
    "NDPI_PROTOCOL_CATEGORY_SHOPPING": "E-commerce",
    "NDPI_PROTOCOL_CATEGORY_CYBERSECURITY": "Security",
    "NDPI_PROTOCOL_CATEGORY_VPN": "Security",
    "NDPI_PROTOCOL_CATEGORY_DOWNLOAD_FT": "Content sharing",
    "NDPI_PROTOCOL_CATEGORY_DATA_TRANSFER": "Content sharing",
    "NDPI_PROTOCOL_CATEGORY_DATABASE": "Cloud computing platform",
    "NDPI_PROTOCOL_CATEGORY_REMOTE_ACCESS": "IT services",
    "NDPI_PROTOCOL_CATEGORY_NETWORK": "IT services",
    "NDPI_PROTOCOL_CATEGORY_SW_UPDATE": "IT services",
    "NDPI_PROTOCOL_CATEGORY_SYSTEM_OS": "IT services",
    "NDPI_PROTOCOL_CATEGORY_CONNECTIVITY_CHECK": "IT services",
    "NDPI_PROTOCOL_CATEGORY_VIRTUAL_ASSISTANT": "IT services",
    "NDPI_PROTOCOL_CATEGORY_WEB": "IT services",  # generic; see NDPI_APP_CATEGORY
    "CUSTOM_CATEGORY_ADVERTISEMENT": None,
    "NDPI_PROTOCOL_CATEGORY_ADVERTISEMENT": None,
    "NDPI_PROTOCOL_CATEGORY_TRACKER_ANALYTICS": None,
    "NDPI_PROTOCOL_CATEGORY_GAME": None,
    "NDPI_PROTOCOL_CATEGORY_STREAMING": None,
    "NDPI_PROTOCOL_CATEGORY_VIDEO": None,
    "NDPI_PROTOCOL_CATEGORY_MUSIC": None,
    "NDPI_PROTOCOL_CATEGORY_ADULT_CONTENT": None,
    "NDPI_PROTOCOL_CATEGORY_MEDIA": None,
}

# nDPI app -> our category, where nDPI's category is too generic (WEB) or does not fit.
NDPI_APP_CATEGORY: dict[str, str] = {
    "AccuWeather": "News and entertainment",
    "Wikipedia": "News and entertainment",
    "Sina": "News and entertainment",
    "CacheFly": "Hosting services",  # CDN, as curated akamai/fastly
    "Crashlytics": "Development tools",
    "BitTorrent": "Content sharing",
    "IRC": "Personal instant messaging",
}

# nDPI apps whose uncovered hosts become a generated app although some of their patterns are
# already resolved by curated apps: groups of unrelated operators (DoH resolvers, security
# vendors, OCSP responders), and products the curated catalog does not have as an app.
NDPI_NEW_PRODUCTS: dict[str, str] = {
    "DoH_DoT": "public DNS-over-HTTPS/TLS resolvers; Google, Cloudflare and Cisco ones are curated",
    "Cybersec": "security vendors and anti-spam/reputation services not in the curated catalog",
    "OCSP": "OCSP responders of certificate authorities not in the curated catalog",
    "AmazonAlexa": "Alexa; its other hosts are on amazon.com (curated vendor fallback `amazon`)",
    "Sina": "Sina portal; only its weibo.com host is the curated `weibo`",
}

# Candidates whose name (or id) is that of a curated app but which are a different product
# (checked by hand): primary domain -> id to use.
HOMONYMS: dict[str, str] = {
    "gemini.com": "gemini-exchange",  # the crypto exchange, not Google's `gemini`
}

# Display names for nDPI groups whose app name is not a product name.
NDPI_NAMES: dict[str, str] = {
    "DoH_DoT": "DNS-over-HTTPS/TLS resolvers (nDPI group)",
    "Cybersec": "Security and anti-spam services (nDPI group)",
    "OCSP": "OCSP responders (nDPI group)",
    "AmazonAlexa": "Amazon Alexa",
    "UbuntuONE": "Ubuntu / Canonical services (nDPI UbuntuONE)",
}

LICENCES = {
    "wappalyzer": "Wappalyzer {version} technologies (MIT)",
    "2fa": "2fa.directory (MIT)",
    "ndpi": "nDPI host_match.json (LGPL-3.0-or-later)",
}

# --------------------------------------------------------------------------------------------
# Helpers


ASCII_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "đ": "d", "ł": "l", "Ł": "L"})


def slug(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.translate(ASCII_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def compact(s: str) -> str:
    return slug(s).replace("-", "")


def registrable(psl: PublicSuffixList, host: str) -> str | None:
    """host's registrable domain (public suffix + one label; both PSL sections), None if host is
    itself a public suffix."""
    labels = host.split(".")
    for i in range(len(labels)):
        if psl.kind(".".join(labels[i:])):
            return ".".join(labels[i - 1:]) if i > 0 else None
    return host  # not reached: a single label is always a suffix


def clean_domain(psl: PublicSuffixList, d: str) -> tuple[str | None, str]:
    """(domain, '') or (None, reason)."""
    d = d.strip().lower().rstrip(".").removeprefix("*.").removeprefix(".")
    d = d.removeprefix("www.")
    msg = domain_problem(d)
    if msg:
        return None, msg
    if psl.kind(d):
        return None, f"{d!r} is a public suffix"
    return d, ""


def minimise(domains: list[str]) -> list[str]:
    """Unique, sorted, without domains under another of the list."""
    ds = sorted(set(domains))
    s = set(ds)
    return [d for d in ds if not any(p in s for p in list(parents(d))[1:])]


@dataclass
class App:
    id: str
    name: str
    category: str
    vendor: str
    homepage: str
    domains: list[str]
    sources: list[str] = field(default_factory=list)  # notes, in order

    def lines(self) -> list[str]:
        out = [
            "[[app]]",
            f"id = {toml_str(self.id)}",
            f"name = {toml_str(self.name)}",
            f"category = {toml_str(self.category)}",
            f"vendor = {toml_str(self.vendor)}",
            f"homepage = {toml_str(self.homepage)}",
        ]
        one = "domains = [" + ", ".join(toml_str(d) for d in self.domains) + "]"
        if len(one) <= 100:
            out.append(one)
        else:
            out += ["domains = ["] + [f"  {toml_str(d)}," for d in self.domains] + ["]"]
        out.append(f"notes = {toml_str('; '.join(self.sources))}")
        return out


@dataclass
class Candidate:
    key: str  # source entry, for messages
    name: str
    category: str
    homepage: str
    domains: list[str]  # cleaned; primary first
    note: str
    id: str = ""  # default: slug of the name


class Index:
    """Curated + generated apps: ids, names, and the domain -> app map of the scanner's rule."""

    def __init__(self):
        self.owner: dict[str, str] = {}
        self.curated: dict[str, dict] = {}
        self.curated_keys: dict[str, str] = {}  # compact id / compact name -> curated id
        self.generated: dict[str, App] = {}

    def add_curated(self, app: dict) -> None:
        self.curated[app["id"]] = app
        for k in (compact(app["id"]), compact(app["name"])):
            self.curated_keys.setdefault(k, app["id"])
        for d in app["domains"]:
            self.owner[d.lower()] = app["id"]

    def lookup(self, host: str) -> str | None:
        for p in parents(host):
            if p in self.owner:
                return self.owner[p]
        return None

    def is_curated(self, app_id: str | None) -> bool:
        return app_id is not None and app_id in self.curated

    def taken(self, app_id: str) -> bool:
        return app_id in self.curated or app_id in self.generated

    def add_domains(self, app: App, domains: list[str]) -> list[str]:
        new = [d for d in domains if self.lookup(d) is None]
        new = [d for d in minimise(new)]
        app.domains = minimise(app.domains + new)
        for d in new:
            self.owner[d] = app.id
        return new


@dataclass
class Stats:
    candidates: int = 0
    kept: int = 0
    merged: int = 0
    dup: list[str] = field(default_factory=list)
    non_business: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    name_only: list[str] = field(default_factory=list)  # same name as a curated app, other domains


def place(idx: Index, c: Candidate, st: Stats) -> None:
    """Add candidate c to the generated apps: skip, merge or create (see the module doc)."""
    cid = c.id or HOMONYMS.get(c.domains[0]) or slug(c.name) or slug(c.domains[0])
    ck = compact(c.name)
    hits = [(d, idx.lookup(d)) for d in c.domains]
    for d, owner in hits:
        if idx.is_curated(owner):
            st.dup.append(f"{c.key}: {d} resolves to curated app {owner!r}")
            return
    if (ck in idx.curated_keys or cid in idx.curated) and c.domains[0] not in HOMONYMS:
        other = idx.curated_keys.get(ck, cid)
        st.dup.append(f"{c.key}: name/id of curated app {other!r}")
        st.name_only.append(f"{c.key} ({', '.join(c.domains)}) ~ curated {other!r} "
                            f"({', '.join(idx.curated[other]['domains'])})")
        return
    gen = [owner for _, owner in hits if owner]
    if gen:
        app = idx.generated[gen[0]]
        added = idx.add_domains(app, c.domains)
        if c.note not in app.sources:
            app.sources.append(c.note)
        st.merged += 1
        if len(set(gen)) > 1:
            st.review.append(f"{c.key}: domains resolve to several generated apps {sorted(set(gen))}; merged into {app.id}")
        elif added:
            st.review.append(f"{c.key}: merged into {app.id} (+{', '.join(added)})")
        return
    app_id, n = cid, 1
    while idx.taken(app_id):
        n += 1
        app_id = f"{cid}-{n}"
    if n > 1:
        st.review.append(f"{c.key}: id {cid!r} taken by a different generated app; using {app_id!r}")
    for d in sorted(set(c.domains)):
        under = sorted({o for cd, o in idx.owner.items() if cd.endswith("." + d) and idx.is_curated(o)})
        if under:
            st.review.append(f"{c.key}: {d} is a parent of domains of curated {', '.join(under)} (those stay curated)")
    app = App(app_id, c.name, c.category, c.name, c.homepage, [], [c.note])
    idx.generated[app_id] = app
    idx.add_domains(app, c.domains)
    st.kept += 1


# --------------------------------------------------------------------------------------------
# Sources


def wappalyzer_candidates(root: Path, psl: PublicSuffixList, idx: Index, note: str, st: Stats) -> list[Candidate]:
    cats = {k: v["name"] for k, v in json.loads((root / "categories.json").read_text(encoding="utf-8")).items()}
    unknown = sorted(set(cats.values()) - set(WAPPALYZER_CATEGORIES))
    techs: dict[str, dict] = {}
    for path in sorted((root / "technologies").glob("*.json")):
        techs.update(json.loads(path.read_text(encoding="utf-8")))
    if not techs:
        sys.exit(f"error: no Wappalyzer technologies under {root}")
    rank = {c: i for i, c in enumerate(WAPPALYZER_CATEGORIES)}
    by_domain: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
    for name in sorted(techs):
        t = techs[name]
        if not t.get("saas"):
            continue
        st.candidates += 1
        names = [cats[str(c)] for c in t.get("cats", [])]
        missing = [n for n in names if n not in WAPPALYZER_CATEGORIES]
        if missing:
            sys.exit(f"error: Wappalyzer category {missing} (of {name!r}) is not in WAPPALYZER_CATEGORIES")
        mapped = sorted((rank[n], WAPPALYZER_CATEGORIES[n]) for n in names if WAPPALYZER_CATEGORIES[n])
        if not mapped:
            st.non_business.append(f"wappalyzer {name}: categories {names}")
            continue
        url = str(t.get("website", ""))
        host = (urllib.parse.urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
        d, why = clean_domain(psl, host)
        reg = registrable(psl, d) if d else None
        if not reg:
            st.bad.append(f"wappalyzer {name}: website {url!r}: {why or 'public suffix'}")
            continue
        name = html.unescape(name)
        path = urllib.parse.urlsplit(url if "://" in url else "https://" + url).path
        vendor_page = path not in ("", "/") or d != reg
        if vendor_page and not name_fits(name, reg):
            if d != reg and name_fits(name, d.split(".")[0] + "." + reg):
                reg = d  # a product host on a vendor's domain: pagseguro.uol.com.br
            else:
                st.bad.append(f"wappalyzer {name}: website {url!r} is on a domain that does not carry the name")
                continue
        by_domain[reg].append((name, mapped[0][1], url))
    del unknown  # categories no saas technology uses need no decision
    out = []
    for reg in sorted(by_domain):
        items = by_domain[reg]
        if len(items) == 1:
            name, category, url = items[0]
            home = url if re.match(r"^https?://[^\s/]+(/\S*)?$", url) else f"https://{reg}/"
        else:
            words = [re.findall(r"[^\s/]+", n) for n, _, _ in items]
            common = []
            for ws in zip(*words):
                if len({w.lower() for w in ws}) > 1:
                    break
                common.append(ws[0])
            name = " ".join(common).strip(" -:")
            if name and not name_fits(name, reg):
                name = ""
            owner = idx.lookup(reg)
            if not name and idx.is_curated(owner):
                st.dup.append(f"wappalyzer {', '.join(n for n, _, _ in items)}: {reg} resolves to curated app {owner!r}")
                continue
            if not name:
                st.bad.append(f"wappalyzer {', '.join(n for n, _, _ in items)}: share {reg} with no common name, skipped")
                continue
            category = collections.Counter(c for _, c, _ in items).most_common(1)[0][0]
            home = f"https://{reg}/"
            st.review.append(f"wappalyzer {', '.join(n for n, _, _ in items)}: one app {name!r} for {reg}")
        out.append(Candidate(f"wappalyzer {name}", name, category, home, [reg], note))
    return out


def tfa_candidates(src: Path, psl: PublicSuffixList, note: str, st: Stats) -> list[Candidate]:
    rank = {c: i for i, c in enumerate(TFA_CATEGORIES)}
    groups: dict[str, list[tuple[str, dict]]] = collections.defaultdict(list)
    files = sorted(src.glob("*/*.json"))
    if not files:
        sys.exit(f"error: no 2fa.directory entries under {src}")
    for path in files:
        for name, e in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
            base = re.sub(r"\s*\[[^\]]*\]\s*$", "", name).strip() or name
            groups[base.lower()].append((name, e))
    out = []
    for key in sorted(groups):
        entries = sorted(groups[key], key=lambda ne: (("[" in ne[0]), ne[0]))
        st.candidates += 1
        names = [n for n, _ in entries]
        label = f"2fa {' + '.join(names)}"
        cats = sorted({c for _, e in entries for c in e.get("categories", [])})
        missing = [c for c in cats if c not in TFA_CATEGORIES]
        if missing:
            sys.exit(f"error: 2fa.directory category {missing} (of {names}) is not in TFA_CATEGORIES")
        mapped = sorted((rank[c], TFA_CATEGORIES[c]) for c in cats if TFA_CATEGORIES[c])
        if not mapped:
            st.non_business.append(f"{label}: categories {cats}")
            continue
        domains: list[str] = []
        for _, e in entries:
            for raw in [e.get("domain", "")] + list(e.get("additional-domains", [])):
                d, why = clean_domain(psl, str(raw))
                if d is None:
                    st.bad.append(f"{label}: domain {raw!r}: {why}")
                elif d not in domains:
                    domains.append(d)
        if not domains:
            st.bad.append(f"{label}: no valid domain")
            continue
        # primary first (the unbracketed entry's domain), the rest sorted
        domains = [domains[0]] + sorted(set(domains[1:]) - {domains[0]})
        name = html.unescape(re.sub(r"\s*\[[^\]]*\]\s*$", "", entries[0][0]).strip() or entries[0][0])
        out.append(Candidate(label, name, mapped[0][1], f"https://{domains[0]}/", domains, note))
    return out


def name_fits(name: str, domain: str) -> bool:
    """Whether the first label of domain and the name share their brand: one contains the other,
    or the label contains the name's first word (at least 3 characters)."""
    label = compact(domain.split(".")[0])
    n = compact(name)
    first = compact(name.split()[0]) if name.split() else ""
    return bool(n) and (n in label or label in n or (len(first) >= 3 and first in label))


def is_host_pattern(raw: str) -> bool:
    """A pattern a suffix walk can match: see the module doc."""
    p = raw.lower().lstrip("*").lstrip(".")
    if p.endswith(".") or p.startswith("-") or p.endswith("-") or "." not in p:
        return False
    return domain_problem(p) is None


def ndpi_place(path: Path, idx: Index, psl: PublicSuffixList, note: str, st: Stats,
               partial: list[str], gaps: list[str]) -> None:
    patterns = json.loads(path.read_text(encoding="utf-8"))
    by_app: dict[str, list[dict]] = collections.defaultdict(list)
    for p in patterns:
        cat = p.get("category", "")
        if cat not in NDPI_CATEGORIES:
            sys.exit(f"error: nDPI category {cat!r} (of {p.get('app')!r}) is not in NDPI_CATEGORIES")
        if NDPI_CATEGORIES[cat] is None:
            continue
        if not is_host_pattern(p["pattern"]):
            partial.append(f"{p['app']}: {p['pattern']!r}")
            continue
        by_app[p["app"]].append(p)
    for name in sorted(by_app):
        ps = by_app[name]
        hosts = sorted({p["pattern"].lower().lstrip("*").lstrip(".") for p in ps})
        owners = {h: idx.lookup(h) for h in hosts}
        todo = [h for h in hosts if owners[h] is None]
        if not todo:
            continue
        st.candidates += 1
        label = f"nDPI {name}"
        cur = collections.Counter(o for o in owners.values() if idx.is_curated(o))
        gen = collections.Counter(o for o in owners.values() if o and not idx.is_curated(o))
        curated_id = idx.curated_keys.get(compact(name)) or (slug(name) if slug(name) in idx.curated else None)
        if curated_id is None and cur and name not in NDPI_NEW_PRODUCTS:
            curated_id = cur.most_common(1)[0][0]
        if curated_id:
            gaps.append(f"{curated_id} (nDPI {name}): {', '.join(todo)}")
            st.dup.append(f"{label}: hosts of curated app {curated_id!r} (curated gap, see below)")
            continue
        clean = []
        for h in todo:
            d, why = clean_domain(psl, h)
            if d is None:
                st.bad.append(f"{label}: {h}: {why}")
            else:
                clean.append(d)
        if not clean:
            continue
        cats = collections.Counter(NDPI_CATEGORIES[p["category"]] for p in ps)
        category = NDPI_APP_CATEGORY.get(name) or sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        app_name = NDPI_NAMES.get(name, name)
        same = [a.id for a in idx.generated.values() if compact(name) in (compact(a.id), compact(a.name))]
        gen_id = same[0] if same else None
        if gen_id is None and gen and name not in NDPI_NEW_PRODUCTS:
            gen_id = sorted(gen.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        if gen_id:
            app = idx.generated[gen_id]
            added = idx.add_domains(app, clean)
            if f"{note}; nDPI app {name}" not in app.sources:
                app.sources.append(f"{note}; nDPI app {name}")
            st.merged += 1
            st.review.append(f"{label}: merged into generated {gen_id} (+{', '.join(added)})")
            continue
        reg = min((registrable(psl, d) or d for d in clean), key=lambda r: (len(r), r))
        c = Candidate(label, app_name, category, f"https://{reg}/", clean, f"{note}; nDPI app {name}", slug(name))
        place(idx, c, st)


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", required=True, type=Path, help="catalog-sources folder")
    ap.add_argument("--catalog", default=Path(__file__).resolve().parent.parent / "catalog", type=Path)
    ap.add_argument("--out", type=Path, help="output folder (default: CATALOG/generated/apps)")
    ap.add_argument("--psl", default=DEFAULT_PSL, type=Path, help=f"public suffix list (default {DEFAULT_PSL})")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list every skipped candidate")
    args = ap.parse_args()
    out_dir = args.out or args.catalog / "generated" / "apps"

    if not args.psl.is_file():
        sys.exit(f"error: public suffix list {args.psl} not found (apt-get install publicsuffix, or --psl FILE)")
    psl = PublicSuffixList(args.psl)
    with (args.catalog / "categories.toml").open("rb") as f:
        categories: list[str] = tomllib.load(f)["categories"]
    for table in (WAPPALYZER_CATEGORIES, TFA_CATEGORIES, NDPI_CATEGORIES, NDPI_APP_CATEGORY):
        bad = sorted({c for c in table.values() if c and c not in categories})
        if bad:
            sys.exit(f"error: mapping to unknown categories {bad}")

    idx = Index()
    for path in sorted((args.catalog / "apps").glob("*.toml")):
        with path.open("rb") as f:
            for app in tomllib.load(f).get("app", []):
                idx.add_curated(app)
    n_curated = len(idx.curated)

    dates = read_dataset_dates(args.sources / "README.md")
    wapp_dirs = sorted(args.sources.glob("wappalyzer-*"))
    if not wapp_dirs:
        sys.exit(f"error: no wappalyzer-<version> folder in {args.sources}")
    wapp = wapp_dirs[-1]
    version = wapp.name.removeprefix("wappalyzer-")
    tfa_date, ndpi_date = dates.get("2fa-directory"), dates.get("ndpi")
    if not tfa_date or not ndpi_date:
        sys.exit("error: data-set dates of 2fa-directory/ndpi not found in the sources README")
    notes = {
        "wappalyzer": f"imported from {LICENCES['wappalyzer'].format(version=version)}, as of release {version}",
        "2fa": f"imported from {LICENCES['2fa']}, as of {tfa_date}",
        "ndpi": f"imported from {LICENCES['ndpi']}, as of {ndpi_date}",
    }

    stats = {k: Stats() for k in ("2fa", "wappalyzer", "ndpi")}
    for c in tfa_candidates(args.sources / "2fa-directory" / "entries", psl, notes["2fa"], stats["2fa"]):
        place(idx, c, stats["2fa"])
    for c in wappalyzer_candidates(wapp, psl, idx, notes["wappalyzer"], stats["wappalyzer"]):
        place(idx, c, stats["wappalyzer"])
    partial: list[str] = []
    gaps: list[str] = []
    ndpi_place(args.sources / "ndpi" / "host_match.json", idx, psl, notes["ndpi"], stats["ndpi"], partial, gaps)

    # ---- output ----
    by_cat: dict[str, list[App]] = collections.defaultdict(list)
    for app in idx.generated.values():
        by_cat[app.category].append(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    srcs = (f"Wappalyzer {version} (MIT), 2fa.directory (MIT, as of {tfa_date}), "
            f"nDPI host_match.json (LGPL-3.0-or-later, as of {ndpi_date})")
    for cat in sorted(by_cat):
        lines = [
            f"# cloudcensus app catalog - category {toml_str(cat)}: GENERATED apps.",
            "# GENERATED by tools/import_apps.py - do not edit; curated apps go in catalog/apps/",
            "# (a curated app with the same id or a domain of it always wins; re-run the tool).",
            f"# Sources: {srcs}; each app's `notes` names its source.",
        ]
        for app in sorted(by_cat[cat], key=lambda a: a.id):
            lines += [""] + app.lines()
        text = "\n".join(lines) + "\n"
        tomllib.loads(text)
        name = slug(cat) + ".toml"
        wanted.add(name)
        (out_dir / name).write_bytes(text.encode("utf-8"))
    for old in sorted(out_dir.glob("*.toml")):
        if old.name not in wanted:
            old.unlink()

    # ---- summary on stderr ----
    err = sys.stderr
    n_gen = len(idx.generated)
    print(f"curated apps: {n_curated}; generated apps: {n_gen}; total: {n_curated + n_gen}", file=err)
    for k, s in stats.items():
        print(f"{k}: {s.candidates} candidates, {s.kept} new apps, {s.merged} merged into earlier generated apps, "
              f"skipped: {len(s.dup)} duplicates of curated, {len(s.non_business)} non-business, "
              f"{len(s.bad)} bad domain/name", file=err)
    per_source = collections.Counter(a.sources[0].split(" (")[0].removeprefix("imported from ") for a in idx.generated.values())
    print("generated apps by first source: " + ", ".join(f"{k} {v}" for k, v in sorted(per_source.items())), file=err)
    print("generated apps per category:", file=err)
    for cat in categories:
        print(f"  {len(by_cat.get(cat, [])):4d}  {cat}", file=err)
    print(f"nDPI patterns that are not host names (not matchable by a suffix walk, not imported): {len(partial)}", file=err)
    for p in sorted(partial):
        print(f"  {p}", file=err)
    print(f"curated gaps: nDPI host patterns of curated apps, NOT imported; add them to catalog/apps by hand "
          f"({sum(g.count(',') + 1 for g in gaps)} hosts):", file=err)
    for g in gaps:
        print(f"  {g}", file=err)
    for k, s in stats.items():
        lists = [("to review", s.review), ("bad domain/name", s.bad),
                 ("skipped for the name/id of a curated app, domains not in it (homonym, or a "
                  "domain the curated app lacks)", s.name_only)]
        if args.verbose:
            lists += [("duplicates of curated", s.dup), ("non-business", s.non_business)]
        for title, items in lists:
            if items:
                print(f"{k} {title} ({len(items)}):", file=err)
                for it in items:
                    print(f"  {it}", file=err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
