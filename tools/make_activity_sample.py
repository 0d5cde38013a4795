#!/usr/bin/env python3
"""Write samples/logs/m365/audit.jsonl: one day of a small tenant's Microsoft 365 unified audit
log (Management Activity API records, one per line) with the incidents the bundled policy
templates look for, so that `cloudcensus scan --config samples/cloudcensus.toml samples/logs`
shows alerts as well as discovery tables. Deterministic: rerunning writes the same file.

Usage: python3 tools/make_activity_sample.py
"""
import json
import random

rng = random.Random(20261120)
DAY = "2026-11-20"
USERS = [f"{n}@contoso.com" for n in ("ann", "raj", "li", "tom", "sara", "omar", "ines", "ken")]
OFFICE_IP = "198.51.100.20"   # the sample config marks 198.51.100.0/24 as corporate
lines = []
seq = 0


def rec(sec, op, workload, rt, user, ip, status="Succeeded", **extra):
    global seq
    seq += 1
    h, m, s = sec // 3600, (sec // 60) % 60, sec % 60
    r = {
        "CreationTime": f"{DAY}T{h:02}:{m:02}:{s:02}",
        "Id": f"sample-{seq:06}",
        "Operation": op,
        "OrganizationId": "contoso-org",
        "RecordType": rt,
        "ResultStatus": status,
        "UserKey": f"key-{user}",
        "UserType": 0,
        "Version": 1,
        "Workload": workload,
        "ClientIP": ip,
        "UserId": user,
    }
    r.update(extra)
    lines.append((sec, json.dumps(r, separators=(",", ":"))))


# Ordinary work: sign-ins, file views, edits, a few downloads and uploads, from the office.
for u in USERS:
    t = 8 * 3600 + rng.randrange(1800)
    rec(t, "UserLoggedIn", "AzureActiveDirectory", 15, u, OFFICE_IP)
    for _ in range(rng.randrange(40, 80)):
        t += rng.randrange(20, 400)
        op, wl = rng.choice([("FileAccessed", "SharePoint"), ("FilePreviewed", "SharePoint"),
                             ("FileModified", "OneDrive"), ("FileDownloaded", "SharePoint"),
                             ("FileUploaded", "OneDrive"), ("MailItemsAccessed", "Exchange")])
        rec(t, op, wl, 6, u, OFFICE_IP + f":{rng.randrange(1024, 65535)}",
            ObjectId=f"https://contoso.sharepoint.com/sites/team/Shared Documents/doc{rng.randrange(500)}.docx")
# Incident 1: password spraying against one account — 70 failures in one minute.
for k in range(70):
    rec(9 * 3600 + k * 6 // 7, "UserLoginFailed", "AzureActiveDirectory", 15, "ken@contoso.com", "203.0.113.66",
        status="Failed")
# Incident 2: one user downloads 1,200 files in two minutes.
for k in range(1200):
    rec(10 * 3600 + k // 10, "FileDownloaded", "SharePoint", 6, "omar@contoso.com", OFFICE_IP,
        ObjectId=f"https://contoso.sharepoint.com/sites/finance/Shared Documents/ledger{k}.xlsx")
# Incident 3: a sign-in from a Tor exit node.
rec(11 * 3600, "UserLoggedIn", "AzureActiveDirectory", 15, "ines@contoso.com", "185.220.101.5")
# Incident 4: files renamed by ransomware synced back to OneDrive.
for k in range(3):
    rec(12 * 3600 + k * 40, "FileUploaded", "OneDrive", 6, "tom@contoso.com", OFFICE_IP,
        SourceFileName=f"Q{k + 1} forecast.xlsx.locky")
# Incident 5: an admin adds a mailbox forwarding rule from home.
rec(13 * 3600, "Set-Mailbox", "Exchange", 1, "sara@contoso.com", "81.2.69.142", status="True",
    Parameters=[{"Name": "ForwardingSmtpAddress", "Value": "smtp:sara.private@example.net"}])

lines.sort(key=lambda x: x[0])
with open("samples/logs/m365/audit.jsonl", "w") as f:
    for _, l in lines:
        f.write(l + "\n")
print(f"wrote samples/logs/m365/audit.jsonl: {len(lines)} records")
