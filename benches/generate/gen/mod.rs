//! The line writer: one [`Gen`] per output file turns the event stream into lines of one
//! format (one file per format family below), writes the header lines of the formats that have
//! them, and damages the requested share of lines.

mod gateways;
mod kv_firewalls;
mod paloalto;
mod proxies;
mod siem;
mod syslog;
mod syslog_firewalls;

use crate::event::*;
use crate::fmt::Fmt;
use crate::put::*;
use crate::rng::Rng;
use crate::world::*;

pub(crate) struct Gen<'w> {
    pub(crate) w: &'w World,
    pub(crate) rng: Rng,
    pub(crate) ev: Ev,
    pub(crate) clock: Clock,
    /// second clock for session start times (PAN-OS)
    pub(crate) clock2: Clock,
    pub(crate) fmt: Fmt,
    pub(crate) dt_mean_us: u64,
    pub(crate) pan_session: u64,
    pub(crate) pan_seq: u64,
    pub(crate) scratch: Vec<u8>,
    pub(crate) last_header_day: u64,
}

impl<'w> Gen<'w> {
    pub(crate) fn new(w: &'w World, fmt: Fmt, seed: u64, size: u64) -> Gen<'w> {
        let est_lines = (size / fmt.est_line_len()).max(1);
        Gen {
            w,
            rng: Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(fmt as u64)),
            ev: Ev::new(),
            clock: Clock::new(),
            clock2: Clock::new(),
            fmt,
            dt_mean_us: (SPAN_SECS * 1_000_000 / est_lines).max(1),
            pan_session: 100_000,
            pan_seq: 7_000_000,
            scratch: Vec::with_capacity(256),
            last_header_day: u64::MAX,
        }
    }

    /// Fill `self.ev` with the next transaction.
    pub(crate) fn next_event(&mut self) {
        let w = self.w;
        let r = &mut self.rng;
        let e = &mut self.ev;
        e.t_us += r.below(2 * self.dt_mean_us + 1);

        // who
        e.user = if r.below(100) < 55 {
            r.below(w.heavy_users as u64)
        } else {
            r.below(w.users.len() as u64)
        } as usize;
        let u = &w.users[e.user];
        e.ip = if r.below(100) < 92 {
            u.home_ip
        } else {
            r.below(w.ips.len() as u64) as usize
        };
        e.cport = r.range(1025, 65535) as u16;
        e.ua = if r.below(100) < 80 {
            (e.user * 31 + 7) % 8
        } else {
            r.below(UAS.len() as u64) as usize
        };

        // where
        e.known = r.below(100) >= 25;
        e.host.clear();
        let dom = if e.known {
            e.dom = w.known_zipf.sample(r);
            &w.known[e.dom]
        } else {
            e.dom = w.unknown_zipf.sample(r);
            &w.unknown[e.dom]
        };
        if r.below(100) < 25 {
            // A one-off sub-domain, as CDN shards, tracking ids and per-tenant hosts give real
            // logs: a 10-character random label, practically never seen twice.
            for _ in 0..10 {
                e.host
                    .push(b"abcdefghijklmnopqrstuvwxyz0123456789"[r.below(36) as usize]);
            }
            e.host.push(b'.');
        } else if !dom.name.starts_with("www.") {
            let p = r.below(100);
            if p < 40 {
            } else if p < 62 {
                put_bytes(&mut e.host, b"www.");
            } else if p < 72 {
                put_bytes(&mut e.host, b"api.");
            } else if p < 92 {
                let sub: &str = r.pick::<&str>(&SUBDOMAINS);
                put(&mut e.host, sub);
                e.host.push(b'.');
            } else {
                // random label such as "x7k2q"
                let n = r.range(3, 8);
                for _ in 0..n {
                    e.host
                        .push(b"abcdefghijklmnopqrstuvwxyz0123456789"[r.below(36) as usize]);
                }
                e.host.push(b'.');
            }
        }
        put(&mut e.host, &dom.name);
        // Most requests reach a fresh address (CDN and cloud front ends rotate them), the rest
        // one of the app's few fixed ones.
        e.dst_ip = if r.below(100) < 70 {
            public_ip_for(r.next())
        } else {
            dom.ip_base.wrapping_add(r.below(4) as u32)
        };

        // what
        let m = r.below(1000);
        let (method, connect) = if m < 640 {
            ("GET", false)
        } else if m < 780 {
            ("POST", false)
        } else if m < 955 {
            ("CONNECT", true)
        } else if m < 975 {
            ("PUT", false)
        } else if m < 990 {
            ("HEAD", false)
        } else {
            ("OPTIONS", false)
        };
        e.method = method;
        e.connect = connect;
        e.https = connect || r.below(100) < 20; // ssl-bumped requests show https:// URLs
        e.port = if e.https { 443 } else { 80 };
        if connect {
            put_bytes(&mut e.host, b":443");
        }

        e.path.clear();
        e.query.clear();
        e.ext = "";
        e.mime = "text/html";
        if !connect {
            let segs = r.below(4);
            for _ in 0..segs {
                e.path.push(b'/');
                let word: &str = r.pick::<&str>(&PATH_WORDS);
                put(&mut e.path, word);
            }
            if r.below(100) < 30 {
                e.path.push(b'/');
                let v = r.next();
                put_hex(&mut e.path, v, 8);
            }
            if r.below(100) < 45 {
                let (ext, mime) = *r.pick(&EXTS);
                if e.path.is_empty() {
                    put(&mut e.path, "/index");
                }
                e.path.push(b'.');
                put(&mut e.path, ext);
                e.ext = ext;
                e.mime = mime;
            } else if e.path.is_empty() {
                e.path.push(b'/');
            } else if e.path.starts_with(b"/api") || e.host.starts_with(b"api.") {
                e.mime = "application/json";
            }
            let q = r.below(100);
            if q < 12 {
                put(&mut e.query, "?id=");
                put_u64(&mut e.query, r.range(1, 999_999));
            } else if q < 20 {
                put(&mut e.query, "?q=");
                let word: &str = r.pick::<&str>(&PATH_WORDS);
                put(&mut e.query, word);
                put(&mut e.query, "&page=");
                put_u64(&mut e.query, r.range(1, 20));
            } else if q < 22 {
                // a comma inside the URL, to exercise CSV quoting
                put(&mut e.query, "?ids=");
                put_u64(&mut e.query, r.range(1, 99));
                e.query.push(b',');
                put_u64(&mut e.query, r.range(100, 999));
            }
        }
        e.referer = !connect && r.below(100) < 30;

        // outcome
        let o = r.below(1000);
        e.blocked = o < 50;
        e.auth407 = !e.blocked && o < 57;
        if e.blocked || e.auth407 {
            e.status = if e.blocked { 403 } else { 407 };
            e.cache = Cache::Denied;
            e.mime = "text/html";
            e.down = r.range(3400, 4300);
            e.up = r.range(250, 900);
            e.elapsed_ms = r.below(5);
        } else if connect {
            e.status = 200;
            e.cache = Cache::Tunnel;
            e.mime = "-";
            e.up = r.lognormal(2500.0, 1.5);
            e.down = r.lognormal(22_000.0, 2.0);
            e.elapsed_ms = r.lognormal(4000.0, 1.5);
        } else {
            let s = r.below(1000);
            e.status = if s < 780 {
                200
            } else if s < 860 {
                304
            } else if s < 900 {
                302
            } else if s < 910 {
                301
            } else if s < 940 {
                204
            } else if s < 980 {
                404
            } else if s < 990 {
                500
            } else {
                503
            };
            let c = r.below(100);
            if e.status == 304 && e.method != "GET" {
                e.status = 200;
            }
            e.cache = if e.status == 304 {
                Cache::Refresh
            } else if c < 80 || e.method != "GET" {
                Cache::Miss
            } else if c < 92 {
                Cache::Hit
            } else {
                Cache::MemHit
            };
            e.up = if e.method == "POST" || e.method == "PUT" {
                r.lognormal(3500.0, 1.7) + 300
            } else {
                r.lognormal(420.0, 0.45)
            };
            e.down = match e.status {
                304 | 204 => r.range(180, 420),
                301 | 302 => r.range(300, 900),
                404 | 500 | 503 => r.range(400, 2500),
                _ if e.method == "HEAD" || e.method == "OPTIONS" => r.range(200, 700),
                _ => r.lognormal(6500.0, 1.8) + 250,
            };
            e.elapsed_ms = match e.cache {
                Cache::Hit | Cache::MemHit => r.below(15),
                _ => r.lognormal(140.0, 1.1),
            };
        }
    }

    pub(crate) fn cat(&self) -> &'static (&'static str, &'static str, &'static str, &'static str, &'static str) {
        &CATEGORIES[dom_of(self.w, &self.ev).cat]
    }

    pub(crate) fn domain(&self) -> &'w Domain {
        dom_of(self.w, &self.ev)
    }

    /// Header lines for the formats that have them (not counted as records).
    pub(crate) fn header(&mut self, b: &mut Vec<u8>) -> u64 {
        match self.fmt {
            Fmt::W3c => {
                let day = self.ev.secs() / 86_400;
                if day == self.last_header_day {
                    return 0;
                }
                self.last_header_day = day;
                self.clock.set(self.ev.secs());
                put(b, "#Software: SGOS 7.3.16.2\n#Version: 1.0\n#Start-Date: ");
                self.clock.ymd(b, b'-');
                b.push(b' ');
                self.clock.hms(b);
                put(b, "\n#Date: ");
                self.clock.ymd(b, b'-');
                b.push(b' ');
                self.clock.hms(b);
                put(
                    b,
                    "\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n",
                );
                put(b, "#Remark: 4711000001 \"proxysg01\" \"192.0.2.10\" \"main\"\n");
                6
            }
            Fmt::Zeek if self.last_header_day == u64::MAX => {
                self.last_header_day = 0;
                put(
                    b,
                    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n#open\t2026-11-01-00-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types\n#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\n",
                );
                8
            }
            Fmt::CustomCsv if self.last_header_day == u64::MAX => {
                self.last_header_day = 0;
                put(b, "Timestamp,SourceIP,User,Url,DestIP,BytesSent,BytesReceived,Action\n");
                1
            }
            _ => 0,
        }
    }

    /// Render the current event as one line (with '\n').
    pub(crate) fn render(&mut self, b: &mut Vec<u8>) {
        self.clock.set(self.ev.secs());
        match self.fmt {
            Fmt::Squid => self.squid(b),
            Fmt::SquidCommon => self.squid_common(b),
            Fmt::W3c => self.w3c(b),
            Fmt::ZscalerCsv => self.zscaler(b, false),
            Fmt::ZscalerJson => self.zscaler(b, true),
            Fmt::Panos => self.panos(b),
            Fmt::Cef => self.cef(b),
            Fmt::CustomCsv => self.custom_csv(b),
            Fmt::FortiGate => self.fortigate(b),
            Fmt::Leef => self.leef(b),
            Fmt::CiscoAsa => self.cisco_asa(b),
            Fmt::SonicWall => self.sonicwall(b),
            Fmt::JuniperSrx => self.juniper_srx(b),
            Fmt::Sophos => self.sophos(b),
            Fmt::Stormshield => self.stormshield(b),
            Fmt::Welf => self.welf(b),
            Fmt::Zeek => self.zeek(b),
            Fmt::JuniperSsg => self.juniper_ssg(b),
            Fmt::WatchGuard => self.watchguard(b),
            Fmt::Meraki => self.meraki(b),
            Fmt::CheckPoint => self.checkpoint(b),
            Fmt::Netskope => self.netskope(b),
            Fmt::Menlo => self.menlo(b),
            Fmt::Iboss => self.iboss(b),
            Fmt::Barracuda => self.barracuda(b),
            Fmt::Umbrella => self.umbrella(b),
            Fmt::ForcepointCsv => self.forcepoint_csv(b),
            Fmt::CiscoWsa => self.cisco_wsa(b),
            Fmt::McafeeWg => self.mcafee_wg(b),
        }
    }

    /// The host without the `:443` a CONNECT carries.
    pub(crate) fn host_only(&self) -> &[u8] {
        let e = &self.ev;
        if e.connect {
            &e.host[..e.host.len() - 4]
        } else {
            &e.host
        }
    }

    /// The user as a device logs it, or `None` (anonymous, or not authenticated yet).
    pub(crate) fn user_short(&self) -> Option<&'w str> {
        let u = &self.w.users[self.ev.user];
        (!u.anon && !self.ev.auth407).then_some(u.short.as_str())
    }

    /// Path and query, or `/`.
    pub(crate) fn put_path(&self, b: &mut Vec<u8>) {
        let e = &self.ev;
        if e.path.is_empty() {
            b.push(b'/');
        } else {
            put_bytes(b, &e.path);
        }
        put_bytes(b, &e.query);
    }

    /// Turn the line at b[start..] (ending in '\n') into garbage.
    pub(crate) fn corrupt(&mut self, b: &mut Vec<u8>, start: usize) {
        let r = &mut self.rng;
        let len = b.len() - start - 1; // without '\n'
        match r.below(10) {
            0..=3 if len > 10 => {
                // truncated record
                let keep = r.range(len as u64 / 10, len as u64 * 6 / 10) as usize;
                b.truncate(start + keep.max(1));
            }
            4..=6 => {
                b.truncate(start);
                let n = r.range(5, 120);
                for i in 0..n {
                    let ch = if i == 0 {
                        b'a' + r.below(26) as u8
                    } else {
                        0x20 + r.below(95) as u8
                    };
                    b.push(ch);
                }
            }
            7..=8 => {
                b.truncate(start);
                put(b, "\u{1}\u{0}");
                let n = r.range(4, 60);
                for _ in 0..n {
                    let mut ch = r.below(256) as u8;
                    if ch == b'\n' || ch == b'\r' {
                        ch = 0xff;
                    }
                    b.push(ch);
                }
            }
            _ => {
                // valid-looking prefix followed by invalid UTF-8 noise
                let keep = (len / 2).max(1);
                b.truncate(start + keep);
                put_bytes(b, &[0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]);
            }
        }
        b.push(b'\n');
    }
}

/// PAN-OS logs the HTTP method of URL-filtering records in lower case.
pub(crate) fn pan_method(m: &str) -> &'static str {
    match m {
        "GET" => "get",
        "POST" => "post",
        "PUT" => "put",
        "HEAD" => "head",
        "OPTIONS" => "options",
        "DELETE" => "delete",
        _ => "connect",
    }
}

pub(crate) fn dom_of<'w>(w: &'w World, e: &Ev) -> &'w Domain {
    if e.known {
        &w.known[e.dom]
    } else {
        &w.unknown[e.dom]
    }
}

impl Ev {
    #[inline(always)]
    pub(crate) fn pan_sess_odd(&self) -> bool {
        self.cport.is_multiple_of(7)
    }
}
