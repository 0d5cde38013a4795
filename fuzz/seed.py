#!/usr/bin/env python3
"""Write the seed corpora into fuzz/corpus/<target>/ from this repository's own files: the
bundled sample logs (one file per format and per 20-line slice), config, policies, catalog
files, app queries, and the regression inputs of crashes found so far (issue 14). The shared
conformance samples (../shared/samples) are given to libFuzzer as a read-only seed folder by
run.sh and are never copied here."""
import hashlib, os, pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "corpus"

def put(target, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

logs = sorted(p for p in (root / "samples" / "logs").rglob("*") if p.is_file() and not p.name.endswith(".gz"))
for p in logs:
    lines = p.read_bytes().split(b"\n")
    for i in range(0, min(len(lines), 40), 10):
        chunk = b"\n".join(lines[i:i + 10])
        put("sniff_route", chunk)
        # Byte 0 picks the format; every format sees every sample slice somewhere.
        for k in range(i // 10, 64, 16):
            put("formats", bytes([(k + i) % 256]) + chunk)
    if lines and lines[0][:1] in (b"[", b"{"):
        put("json_doc", b"[" + b",".join(l for l in lines[:5] if l.strip()) + b"]")
put("json_doc", '{"records":[{"a":1},{"b":"x"}]}')
put("json_doc", '{"value":[' + "[" * 50 + "]" * 50 + "]}")

# The crashes of issue 14 item 1 (fixed), kept as inputs.
cp = '<134>1 2026-11-01T00:02:59Z gw-cp01 CheckPoint 15190 - [action:"Accept"; src:"10.30.204.235"; dst:"204.101.151.23"; src_user_name:"j\\\u00fcrgen"]'
for k in range(64):
    put("formats", bytes([k]) + cp.encode())
    put("formats", bytes([k]) + b"#Fields: date time c-ip cs-host\n<1>\n<1> \n")
    put("formats", bytes([k]) + "<134>1 2026-11-01T00:02:5\u00e9Z gw CheckPoint 1 - [action:\"Accept\"]".encode())
put("sniff_route", cp)
put("sniff_route", "#Fields: date time c-ip cs-host\n<1>\n")

for p in [root / "samples" / "cloudcensus.toml"]:
    put("config", p.read_text())
readme = (root / "README.md").read_text()
for block in re.findall(r"```toml\n(.*?)```", readme, re.S):
    put("config", block)
for p in sorted((root / "policies").glob("*.toml")):
    put("policy", p.read_text())
for p in sorted((root / "catalog" / "apps").glob("*.toml"))[:6]:
    t = p.read_text()
    put("catalog", t[:4000])
put("catalog", '[[app]]\nid = "x"\nname = "X"\ncategory = "CRM"\ndomains = ["x.example"]\n')
for f, op, v in [("activity", "eq", "login"), ("ip.category", "in", "risky\nvpn"), ("bytes", "gt", "10MB"),
                 ("user", "matches", "^a.*$"), ("app", "query", 'risk < 5'), ("country", "not_in", "US\nFR")]:
    put("filter", f"{f}\n{op}\n{v}")
for q in ['category = "Cloud storage" and not tags = "sanctioned"', 'risk < 5 or (users > 10 and bytes_total > 1GB)',
          'headquarters in ["US", "CN"]', 'not (((a)))', 'app ~ "drop"']:
    put("query", q)
print("seeded", sum(1 for _ in out.rglob("*") if _.is_file()), "files")
