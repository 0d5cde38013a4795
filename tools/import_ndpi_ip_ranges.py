#!/usr/bin/env python3
"""Import nDPI's generated IP lists into catalog/generated/ip_ranges.toml (stdlib only).

Usage:
    python3 tools/import_ndpi_ip_ranges.py /work/shared/catalog-sources/ndpi/ip_lists.json \
        > catalog/generated/ip_ranges.toml
    python3 tools/import_ndpi_ip_ranges.py ip_lists.json --out catalog/generated/ip_ranges.toml

Input: nDPI's ip_lists.json, a JSON object whose keys are list names (e.g. "ndpi_zoom_match",
after the nDPI source file src/lib/inc_generated/<name>.c) and whose values hold one or more
entries {"protocol": "NDPI_PROTOCOL_...", "cidrs": ["a.b.c.d/n", ...]}; an entry container may
be an object (inner list name -> entry), an array of entries, or a single entry.

Only lists that belong to ONE app of our catalog are imported (MAPPING below). Everything else
is listed in EXCLUDED with the reason; a list that is in neither table makes the tool fail, so
that a newer nDPI drop forces an explicit decision. CIDRs are validated with
ipaddress.ip_network(strict=False), written in normalised form, de-duplicated per app and sorted
(IPv4 before IPv6). The output is deterministic, so re-running on the same input gives the same
file byte for byte.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import tomllib
from pathlib import Path

# nDPI list name -> (our app id, expected nDPI protocol id). Order = output order.
MAPPING: list[tuple[str, str, str]] = [
    # Online meetings / collaboration
    ("ndpi_zoom_match", "zoom", "NDPI_PROTOCOL_ZOOM"),
    ("ndpi_asn_webex", "webex", "NDPI_PROTOCOL_WEBEX"),
    ("ndpi_ms_skype_teams_match", "microsoft-teams", "NDPI_PROTOCOL_SKYPE_TEAMS"),
    # Microsoft 365 (nDPI splits it the same way our catalog does)
    ("ndpi_ms_office365_match", "microsoft-365", "NDPI_PROTOCOL_MICROSOFT_365"),
    ("ndpi_ms_onedrive_match", "onedrive", "NDPI_PROTOCOL_MS_ONE_DRIVE"),
    ("ndpi_ms_outlook_match", "exchange-online", "NDPI_PROTOCOL_MS_OUTLOOK"),
    # Cloud storage / code hosting / remote access
    ("ndpi_asn_dropbox", "dropbox", "NDPI_PROTOCOL_DROPBOX"),
    ("ndpi_asn_github", "github", "NDPI_PROTOCOL_GITHUB"),
    ("ndpi_asn_teamviewer", "teamviewer", "NDPI_PROTOCOL_TEAMVIEWER"),
    # Cloud platforms and CDN (vendor-published ranges; traffic to them is "hosted on X")
    ("ndpi_amazon_aws_match", "aws", "NDPI_PROTOCOL_AMAZON_AWS"),
    ("ndpi_azure_match", "azure", "NDPI_PROTOCOL_MICROSOFT_AZURE"),
    ("ndpi_google_cloud_match", "google-cloud", "NDPI_PROTOCOL_GOOGLE_CLOUD"),
    ("ndpi_cloudflare_match", "cloudflare", "NDPI_PROTOCOL_CLOUDFLARE"),
    ("ndpi_asn_yandex_cloud", "yandex-cloud", "NDPI_PROTOCOL_YANDEX_CLOUD"),
    ("ndpi_asn_alibaba", "alibaba-cloud", "NDPI_PROTOCOL_ALIBABA"),
    # Messaging and social networks (the operator's own AS)
    ("ndpi_asn_telegram", "telegram", "NDPI_PROTOCOL_TELEGRAM"),
    ("ndpi_whatsapp_match", "whatsapp", "NDPI_PROTOCOL_WHATSAPP"),
    ("ndpi_asn_discord", "discord", "NDPI_PROTOCOL_DISCORD"),
    ("ndpi_asn_line", "line", "NDPI_PROTOCOL_LINE"),
    ("ndpi_asn_threema", "threema", "NDPI_PROTOCOL_THREEMA"),
    ("ndpi_asn_twitter", "x-twitter", "NDPI_PROTOCOL_TWITTER"),
    ("ndpi_asn_vk", "vk", "NDPI_PROTOCOL_VK"),
    # Other single-service business apps
    ("ndpi_asn_bloomberg", "bloomberg", "NDPI_PROTOCOL_BLOOMBERG"),
    ("ndpi_asn_opendns", "cisco-umbrella", "NDPI_PROTOCOL_OPENDNS"),
    ("ndpi_asn_avast", "avast", "NDPI_PROTOCOL_AVAST"),
]

# nDPI list name -> why it is not imported as app ranges.
EXCLUDED: dict[str, str] = {
    "ndpi_tor_match": "Tor exit nodes: anonymiser IP tag (later issue), not an app",
    "ndpi_nordvpn_match": "VPN provider servers: IP tag (later issue), not an app",
    "ndpi_mullvad_match": "VPN provider servers: IP tag (later issue), not an app",
    "ndpi_protonvpn_in_match": "VPN provider servers: IP tag (later issue), not an app",
    "ndpi_protonvpn_out_match": "VPN provider egress addresses: IP tag (later issue), not an app",
    "ndpi_surfshark_match": "VPN provider servers: IP tag (later issue), not an app",
    "ndpi_icloud_private_relay_match": "iCloud Private Relay egress: IP tag (later issue), not an app",
    "ndpi_crawlers_match": "search-engine crawlers (source addresses): IP tag, not an app",
    "ndpi_asn_apple": "whole Apple AS (17.0.0.0/8 ...): every Apple service, not clearly iCloud",
    "ndpi_google_match": "Google front-ends serve Gmail, Drive, YouTube, Search, DNS...: not one app",
    "ndpi_asn_facebook": "Meta AS serves Facebook, Instagram, Messenger, Threads, WhatsApp: not one app",
    "ndpi_asn_yandex": "Yandex AS serves search, mail, disk, metrica...: not one app",
    "ndpi_asn_tencent": "Tencent AS mixes Tencent Cloud customers with QQ/WeChat: not one app",
    "ndpi_asn_goto": "GoTo AS serves both GoTo Meeting and LogMeIn/GoTo Resolve: not one app",
    "ndpi_asn_ubuntuone": "Canonical AS (archive, snapcraft, launchpad); Ubuntu One is discontinued",
    "ndpi_asn_nvidia": "NVIDIA AS: mostly GeForce NOW game streaming (games)",
    "ndpi_asn_edgecast": "Edgecast/Edgio CDN: no app in the catalog (CDN for many customers)",
    "ndpi_cachefly_match": "CacheFly CDN: no app in the catalog (CDN for many customers)",
    "ndpi_ethereum_match": "Ethereum bootnodes: not a cloud app",
    "ndpi_asn_netflix": "streaming (later issue)",
    "ndpi_asn_disney_plus": "streaming (later issue)",
    "ndpi_asn_hulu": "streaming (later issue)",
    "ndpi_asn_twitch": "streaming (later issue)",
    "ndpi_asn_epicgames": "games",
    "ndpi_asn_riotgames": "games",
    "ndpi_asn_roblox": "games",
    "ndpi_asn_starcraft": "games",
    "ndpi_asn_steam": "games",
}

# Overlaps: the matcher uses longest-prefix match. Microsoft's Azure list contains more-specific
# prefixes inside the Microsoft 365 ranges (e.g. inside Teams' 52.112.0.0/14), which would make
# Teams/Exchange traffic look like "Azure". A platform app listed here drops every CIDR that lies
# inside (or equals) a CIDR of one of the named, more specific apps of the same vendor.
YIELD_TO: dict[str, list[str]] = {
    "azure": ["microsoft-teams", "exchange-online", "microsoft-365", "onedrive"],
}

HEADER = (
    "# GENERATED by tools/import_ndpi_ip_ranges.py from nDPI ip_lists.json "
    "(LGPL-3.0-or-later data, nDPI project, as of {as_of}). "
    "Do not edit by hand; re-run the tool.\n"
)


def entries_of(value: object, list_name: str) -> list[dict]:
    """Return the {protocol, cidrs} entries of one top-level list, whatever the container."""
    if isinstance(value, dict) and "cidrs" in value:
        return [value]
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"{list_name}: unexpected value of type {type(value).__name__}")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("cidrs"), list):
            raise ValueError(f"{list_name}: entry without a 'cidrs' array")
        out.append(item)
    return out


def catalog_app_ids(catalog_dir: Path) -> set[str] | None:
    apps_dir = catalog_dir / "apps"
    if not apps_dir.is_dir():
        return None
    ids: set[str] = set()
    for path in sorted(apps_dir.glob("*.toml")):
        with path.open("rb") as f:
            for app in tomllib.load(f).get("app", []):
                ids.add(app.get("id"))
    return ids


def toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string of ASCII text is a valid TOML basic string


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ip_lists", type=Path, help="path to nDPI ip_lists.json")
    ap.add_argument("--out", type=Path, help="write here instead of standard output")
    ap.add_argument("--as-of", default="2024-10-21", help="date of the nDPI data (for the header)")
    ap.add_argument(
        "--catalog",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "catalog",
        help="catalog directory used to check that mapped app ids exist (default: ../catalog)",
    )
    args = ap.parse_args(argv[1:])

    with args.ip_lists.open(encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        print("error: ip_lists.json must be a JSON object (list name -> entries)", file=sys.stderr)
        return 1

    errors: list[str] = []
    mapped_names = {name for name, _, _ in MAPPING}
    for name in sorted(set(data) - mapped_names - set(EXCLUDED)):
        errors.append(f"list {name!r} is neither in MAPPING nor in EXCLUDED: decide and add it")
    for name in sorted(mapped_names - set(data)):
        print(f"warning: mapped list {name!r} is not in the input", file=sys.stderr)

    known = catalog_app_ids(args.catalog)
    if known is not None:
        for name, app, _ in MAPPING:
            if app not in known:
                errors.append(f"{name}: app id {app!r} is not in the catalog")

    # app id -> (sources in order, set of networks)
    per_app: dict[str, tuple[list[str], set]] = {}
    order: list[str] = []
    stats = {"in": 0, "normalised": 0, "dup": 0, "nonpublic": 0, "yielded": 0}
    for name, app, expected_proto in MAPPING:
        if name not in data:
            continue
        try:
            entries = entries_of(data[name], name)
        except ValueError as e:
            errors.append(str(e))
            continue
        if app not in per_app:
            per_app[app] = ([], set())
            order.append(app)
        sources, nets = per_app[app]
        sources.append(f"nDPI {name}")
        for entry in entries:
            proto = entry.get("protocol")
            if proto != expected_proto:
                errors.append(f"{name}: protocol {proto!r}, expected {expected_proto!r}")
            for raw in entry["cidrs"]:
                stats["in"] += 1
                try:
                    net = ipaddress.ip_network(str(raw).strip(), strict=False)
                except ValueError as e:
                    errors.append(f"{name}: invalid CIDR {raw!r}: {e}")
                    continue
                if not net.is_global:
                    # private, loopback, documentation, ... never identify a cloud app
                    stats["nonpublic"] += 1
                    print(f"warning: {name}: skipping non-public network {net}", file=sys.stderr)
                    continue
                if str(net) != raw:
                    stats["normalised"] += 1
                if net in nets:
                    stats["dup"] += 1
                nets.add(net)

    for platform, specific_apps in YIELD_TO.items():
        if platform not in per_app:
            continue
        specific = [n for a in specific_apps if a in per_app for n in per_app[a][1]]
        nets = per_app[platform][1]
        drop = {n for n in nets if any(n.version == s.version and n.subnet_of(s) for s in specific)}
        stats["yielded"] += len(drop)
        nets -= drop

    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        return 1

    parts = [HEADER.format(as_of=args.as_of)]
    parts.append(
        "# One [[range]] per app: app = catalog app id, source = nDPI list(s), cidrs = IPv4 then IPv6,\n"
        "# normalised and de-duplicated. Excluded nDPI lists and the reasons are in the tool.\n"
        "# Matching is longest-prefix; azure yields CIDRs lying inside Microsoft 365 app ranges (YIELD_TO).\n"
    )
    total = 0
    for app in order:
        sources, nets = per_app[app]
        ordered = sorted(nets, key=lambda n: (n.version, n.network_address, n.prefixlen))
        total += len(ordered)
        parts.append("\n[[range]]\n")
        parts.append(f"app = {toml_str(app)}\n")
        parts.append(f"source = {toml_str(', '.join(sources))}\n")
        parts.append("cidrs = [\n" + "".join(f"  {toml_str(str(n))},\n" for n in ordered) + "]\n")
    text = "".join(parts)

    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(
        f"imported {total} CIDRs for {len(order)} apps from {len(mapped_names & set(data))} nDPI lists "
        f"({stats['in']} read, {stats['normalised']} normalised, {stats['dup']} duplicates dropped, "
        f"{stats['nonpublic']} non-public skipped, {stats['yielded']} platform CIDRs yielded to specific apps; "
        f"{len(set(data) & set(EXCLUDED))} lists excluded)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
