//! One block-list syntax per appliance, with its wildcard rule and its documented limits.
//!
//! | appliance | entry | covers subdomains | reference |
//! |---|---|---|---|
//! | `pan-edl` | `d/` and `*.d/` (URL list) | `*.d/` needs a label, so both | PAN-OS "Guidelines for URL Category Exceptions"; EDL "Formatting Guidelines": 255 characters an entry |
//! | `squid` | `.d` | yes | squid.conf `acl dstdomain`; `src/acl/DomainData.cc` (a listed subdomain of a listed domain is a fatal error) |
//! | `fortigate` | `d` and `*.d` | not documented for feeds, so both | FortiOS "Domain name threat feed": 128K entries and 10 MB a feed before 7.4.4, 4K a line |
//! | `zscaler` | `.d` | up to 5 levels | ZIA "URL Format Guidelines": 1,024 characters, 255 a host; 25,000 custom URLs an organisation |
//! | `bluecoat` | `url.domain=d deny` in a `<Proxy>` layer | yes (whole labels) | ProxySG CPL Guide, `url.domain=`; Defender for Cloud Apps' block-script example |
//! | `websense` | `dest_host=d action=deny` | exact host | Defender for Cloud Apps' block script (its MCAS module); no Forcepoint document |
//! | `cisco-asa` | `object network` + `fqdn d`, an object group, a deny ACE and a permit | exact host: `d` and `www.d` | ASA CLI reference `fqdn`; object names ≤ 64 characters |
//! | `juniper-srx` | `url-pattern` values `http://d`, `http://*.d` | both (before 20.4R1 `*` needs a label) | Junos `url-pattern`: 8,192 values a list |
//! | `rpz` | `d CNAME .` and `*.d CNAME .` | both (RFC 4592 wildcards need a label) | BIND 9 ARM, Response Policy Zones; names ≤ 255 octets with the zone |
//! | `hosts` | `0.0.0.0 d` and `0.0.0.0 www.d` | exact host | hosts(5); one name a line |
//! | `domains` | `d` | — | a plain list for anything else |

use super::{BlockError, LeftOut, Selection};

/// An appliance.
#[derive(Debug, Clone, Copy)]
pub struct Appliance {
    /// Name on the command line.
    pub name: &'static str,
    /// Product.
    pub title: &'static str,
    /// The vendor reference the syntax follows.
    pub reference: &'static str,
    /// Most entries (lines of the list), if documented.
    pub max_entries: Option<usize>,
    /// Largest file, if documented.
    pub max_bytes: Option<usize>,
    /// Longest domain an entry can carry.
    pub max_domain: usize,
    /// Whether an entry covers the subdomains of its domain (then children are merged).
    pub covers_subdomains: bool,
}

/// Every appliance.
pub const APPLIANCES: [Appliance; 11] = [
    Appliance {
        name: "pan-edl",
        title: "Palo Alto Networks External Dynamic List (type URL List)",
        reference: "PAN-OS admin guide, Formatting Guidelines for an External Dynamic List, URL List; Guidelines for URL Category Exceptions",
        max_entries: None,
        max_bytes: None,
        max_domain: 252, // "*." + domain + "/" within 255 characters
        covers_subdomains: true,
    },
    Appliance {
        name: "squid",
        title: "Squid dstdomain ACL file",
        reference: "squid.conf acl dstdomain (https://www.squid-cache.org/Doc/config/acl/)",
        max_entries: None,
        max_bytes: None,
        max_domain: 253,
        covers_subdomains: true,
    },
    Appliance {
        name: "fortigate",
        title: "Fortinet FortiGate external threat feed (Domain Name)",
        reference: "FortiOS administration guide, Domain name threat feed (131,072 entries before FortiOS 7.4.4)",
        max_entries: Some(131_072),
        max_bytes: Some(10 * 1024 * 1024),
        max_domain: 253,
        covers_subdomains: true,
    },
    Appliance {
        name: "zscaler",
        title: "Zscaler Internet Access custom URL category",
        reference: "Zscaler help, URL Format Guidelines; 25,000 custom URLs per organization",
        max_entries: Some(25_000),
        max_bytes: None,
        max_domain: 254,
        covers_subdomains: true,
    },
    Appliance {
        name: "bluecoat",
        title: "Symantec (Blue Coat) ProxySG CPL",
        reference: "ProxySG Content Policy Language Guide, url.domain= condition",
        max_entries: None,
        max_bytes: None,
        max_domain: 253,
        covers_subdomains: true,
    },
    Appliance {
        name: "websense",
        title: "Forcepoint (Websense) Web Security",
        reference: "the dest_host=... action=deny lines of Microsoft Defender for Cloud Apps' Websense block script",
        max_entries: None,
        max_bytes: None,
        max_domain: 253,
        covers_subdomains: false,
    },
    Appliance {
        name: "cisco-asa",
        title: "Cisco ASA FQDN network objects and an access list",
        reference: "Cisco ASA command reference, fqdn; Objects for Access Control",
        max_entries: None,
        max_bytes: None,
        max_domain: 249, // "www." + domain
        covers_subdomains: false,
    },
    Appliance {
        name: "juniper-srx",
        title: "Juniper SRX content security (UTM) custom URL category",
        reference: "Junos OS, url-pattern (8,192 values per pattern list)",
        max_entries: None,
        max_bytes: None,
        max_domain: 244, // "http://*." + domain
        covers_subdomains: true,
    },
    Appliance {
        name: "rpz",
        title: "DNS response policy zone (BIND, Unbound, PowerDNS, Infoblox)",
        reference: "BIND 9 ARM, Response Policy Zone (RPZ) Rewriting; RFC 1035 2.3.4",
        max_entries: None,
        max_bytes: None,
        max_domain: 235, // "*." + domain + ".rpz.cloudcensus" within 253
        covers_subdomains: true,
    },
    Appliance {
        name: "hosts",
        title: "hosts file (0.0.0.0 entries)",
        reference: "hosts(5)",
        max_entries: None,
        max_bytes: None,
        max_domain: 249, // "www." + domain
        covers_subdomains: false,
    },
    Appliance {
        name: "domains",
        title: "plain domain list",
        reference: "one registrable or catalog domain per line",
        max_entries: None,
        max_bytes: None,
        max_domain: 253,
        covers_subdomains: true,
    },
];

/// Juniper: values per `url-pattern` list.
const JUNIPER_LIST: usize = 8192;

/// An ASA object name (≤ 64 characters): `cc-` and the domain, or a cut name and a hash.
fn asa_name(d: &str) -> String {
    let n = format!("cc-{d}");
    if n.len() <= 64 {
        n
    } else {
        let h = crate::base::hash::fnv1a(&[d.as_bytes()]);
        format!("{}-{:08x}", &n[..51], h as u32)
    }
}

pub(super) fn render(a: &Appliance, sel: &Selection, generated: &str) -> Result<(String, Vec<LeftOut>), BlockError> {
    let mut left_out = Vec::new();
    let domains: Vec<&str> = if a.covers_subdomains {
        let (kept, _merged) = sel.merged();
        kept
    } else {
        sel.domains.keys().map(String::as_str).collect()
    };
    let domains: Vec<&str> = domains
        .into_iter()
        .filter(|d| {
            let ok = d.len() <= a.max_domain;
            if !ok {
                left_out.push(LeftOut {
                    domain: d.to_string(),
                    app: sel.domains.get(*d).cloned().unwrap_or_default(),
                    reason: format!(
                        "longer than the {} characters a {} entry can take",
                        a.max_domain, a.name
                    ),
                });
            }
            ok
        })
        .collect();
    let header = |c: &str| {
        format!(
            "{c} cloudcensus block script for {}: {} domains of {} app(s) tagged {:?}, {generated}\n{c} Syntax: {}\n",
            a.title,
            domains.len(),
            sel.apps.len(),
            sel.tag,
            a.reference
        )
    };
    let mut s = String::new();
    let lines = |s: &mut String, f: &dyn Fn(&str) -> String| {
        for d in &domains {
            s.push_str(&f(d));
        }
    };
    match a.name {
        // No comment syntax is documented for URL lists, feeds or Zscaler: entries only.
        "pan-edl" => lines(&mut s, &|d| format!("{d}/\n*.{d}/\n")),
        "fortigate" => lines(&mut s, &|d| format!("{d}\n*.{d}\n")),
        "zscaler" => lines(&mut s, &|d| format!(".{d}\n")),
        "websense" => lines(&mut s, &|d| format!("dest_host={d} action=deny\n")),
        "domains" => lines(&mut s, &|d| format!("{d}\n")),
        "squid" => {
            s.push_str(&header("#"));
            s.push_str("# squid.conf: acl cloudcensus_blocked dstdomain \"/etc/squid/cloudcensus-blocked.txt\"\n#             http_access deny cloudcensus_blocked   (before the allow rules)\n");
            lines(&mut s, &|d| format!(".{d}\n"));
        }
        "bluecoat" => {
            s.push_str(&header(";"));
            s.push_str("<Proxy>\n");
            lines(&mut s, &|d| format!("url.domain={d} deny\n"));
        }
        "hosts" => {
            s.push_str(&header("#"));
            s.push_str("# A hosts file has no wildcards: only these names and their www. names are blocked.\n");
            lines(&mut s, &|d| format!("0.0.0.0 {d}\n0.0.0.0 www.{d}\n"));
        }
        "rpz" => {
            s.push_str(&header(";"));
            s.push_str(
                "; named.conf: options { response-policy { zone \"rpz.cloudcensus\"; }; };\n\
                 ;             zone \"rpz.cloudcensus\" { type primary; file \"rpz.cloudcensus.db\"; allow-query { localhost; }; };\n\
                 $TTL 300\n",
            );
            // A date serial, so that secondaries take a new zone (one a day; `YYYYMMDD00`).
            s.push_str(&format!(
                "@ IN SOA localhost. hostmaster.localhost. ( {}00 1h 15m 30d 2h )\n  IN NS localhost.\n",
                generated.replace('-', "")
            ));
            lines(&mut s, &|d| format!("{d} CNAME .\n*.{d} CNAME .\n"));
        }
        "cisco-asa" => {
            s.push_str(&header("!"));
            s.push_str(
                "! FQDN objects match exact names: each domain and its www. name. The ASA resolves them\n\
                 ! with its DNS server (dns domain-lookup). The access list denies them and permits the\n\
                 ! rest; bind it with `access-group cloudcensus-block in interface inside`, or copy the\n\
                 ! deny line to the top of the inside interface's own list. Re-running replaces the list\n\
                 ! and the group; objects of domains no longer listed stay until removed (`no object network`).\n\
                 clear configure access-list cloudcensus-block\n\
                 no object-group network cloudcensus-blocked\n",
            );
            let mut names = Vec::new();
            for d in &domains {
                for host in [d.to_string(), format!("www.{d}")] {
                    let n = asa_name(&host);
                    s.push_str(&format!("object network {n}\n fqdn {host}\n"));
                    names.push(n);
                }
            }
            s.push_str("object-group network cloudcensus-blocked\n");
            for n in &names {
                s.push_str(&format!(" network-object object {n}\n"));
            }
            s.push_str("access-list cloudcensus-block extended deny ip any object-group cloudcensus-blocked\n");
            s.push_str("access-list cloudcensus-block extended permit ip any any\n");
        }
        "juniper-srx" => {
            s.push_str(&header("#"));
            s.push_str("# Then block the category in a web-filtering profile, e.g.\n# set security utm feature-profile web-filtering juniper-local profile P category cloudcensus-blocked action block\n");
            let values: Vec<String> = domains
                .iter()
                .flat_map(|d| [format!("\"http://{d}\""), format!("\"http://*.{d}\"")])
                .collect();
            // Replace, not add: a re-run must drop the domains no longer listed.
            s.push_str("delete security utm custom-objects custom-url-category cloudcensus-blocked\n");
            for i in 0..values.len().div_ceil(JUNIPER_LIST).max(1) {
                s.push_str(&format!(
                    "delete security utm custom-objects url-pattern cloudcensus-blocked-{}\n",
                    i + 1
                ));
            }
            for (i, chunk) in values.chunks(JUNIPER_LIST).enumerate() {
                s.push_str(&format!(
                    "set security utm custom-objects url-pattern cloudcensus-blocked-{} value [ {} ]\n",
                    i + 1,
                    chunk.join(" ")
                ));
                s.push_str(&format!(
                    "set security utm custom-objects custom-url-category cloudcensus-blocked value cloudcensus-blocked-{}\n",
                    i + 1
                ));
            }
        }
        other => unreachable!("appliance {other} has no renderer"),
    }
    if let Some(limit) = a.max_bytes {
        if s.len() > limit {
            return Err(BlockError::TooBig {
                appliance: a.name,
                bytes: s.len(),
                limit,
                reference: a.reference,
            });
        }
    }
    let entries = s.lines().filter(|l| !l.is_empty()).count();
    if let Some(limit) = a.max_entries {
        if entries > limit {
            return Err(BlockError::TooMany {
                appliance: a.name,
                entries,
                limit,
                reference: a.reference,
            });
        }
    }
    Ok((s, left_out))
}
