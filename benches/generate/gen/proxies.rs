//! Proxy access logs: Squid (native and common), Blue Coat W3C, Cisco WSA, McAfee Web Gateway, and the custom CSV of the bundled sample config.

use super::Gen;
use crate::event::*;
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    pub(crate) fn squid_code(&self) -> (&'static str, u16) {
        let e = &self.ev;
        let code = match e.cache {
            Cache::Denied => "TCP_DENIED",
            Cache::Tunnel => "TCP_TUNNEL",
            Cache::Hit => "TCP_HIT",
            Cache::MemHit => "TCP_MEM_HIT",
            Cache::Refresh => "TCP_REFRESH_UNMODIFIED",
            Cache::Miss => "TCP_MISS",
        };
        (code, e.status)
    }

    /// `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
    pub(crate) fn squid(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[if e.auth407 { 0 } else { e.user }];
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        b.push(b' ');
        put_u64_pad(b, e.elapsed_ms, 6, b' ');
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        let (code, st) = self.squid_code();
        put(b, code);
        b.push(b'/');
        put_u64_pad(b, st as u64, 3, b'0');
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        b.push(b' ');
        put(b, if e.auth407 { "-" } else { &u.squid });
        b.push(b' ');
        match e.cache {
            Cache::Miss | Cache::Tunnel | Cache::Refresh => {
                put(b, "HIER_DIRECT/");
                put_ip4(b, e.dst_ip);
            }
            _ => put(b, "HIER_NONE/-"),
        }
        b.push(b' ');
        put(b, e.mime);
        b.push(b'\n');
    }

    /// `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh`
    pub(crate) fn squid_common(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, &self.w.ips[e.ip].text);
        put(b, " - ");
        put(b, if e.auth407 { "-" } else { &u.squid });
        put(b, " [");
        put2(b, self.clock.mday);
        b.push(b'/');
        put(b, MONTHS[self.clock.mon as usize - 1]);
        b.push(b'/');
        put_u64(b, self.clock.year as u64);
        b.push(b':');
        self.clock.hms(b);
        put(b, " +0000] \"");
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        put(b, " HTTP/1.1\" ");
        put_u64(b, e.status as u64);
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        let (code, _) = self.squid_code();
        put(b, code);
        b.push(b':');
        put(
            b,
            match e.cache {
                Cache::Miss | Cache::Tunnel | Cache::Refresh => "HIER_DIRECT",
                _ => "HIER_NONE",
            },
        );
        b.push(b'\n');
    }

    /// Blue Coat ProxySG default main access log (see header()).
    pub(crate) fn w3c(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let cat = self.cat();
        self.clock.ymd(b, b'-');
        b.push(b' ');
        self.clock.hms(b);
        b.push(b' ');
        put_u64(b, e.elapsed_ms);
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put(b, if e.auth407 { "-" } else { &u.raw });
        b.push(b' ');
        put(
            b,
            if u.anon || e.auth407 {
                "-"
            } else {
                DEPTS[e.user % DEPTS.len()].split(' ').next().unwrap_or("-")
            },
        );
        b.push(b' ');
        put(
            b,
            if e.blocked {
                "policy_denied"
            } else if e.auth407 {
                "authentication_failed"
            } else {
                "-"
            },
        );
        b.push(b' ');
        put(
            b,
            if e.blocked || e.auth407 {
                "DENIED"
            } else if e.cache == Cache::Tunnel {
                "OBSERVED"
            } else {
                "PROXIED"
            },
        );
        put(b, " \"");
        put(b, cat.0);
        put(b, "\" ");
        if e.referer {
            put(b, "https://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            b.push(b'-');
        }
        b.push(b' ');
        put_u64(b, e.status as u64);
        b.push(b' ');
        put(
            b,
            match e.cache {
                Cache::Denied => "TCP_DENIED",
                Cache::Tunnel => "TCP_TUNNELED",
                Cache::Hit | Cache::MemHit => "TCP_HIT",
                Cache::Refresh => "TCP_REFRESH_MISS",
                Cache::Miss => "TCP_NC_MISS",
            },
        );
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        put(b, e.mime);
        b.push(b' ');
        put(
            b,
            if e.connect {
                "tcp"
            } else if e.https {
                "https"
            } else {
                "http"
            },
        );
        b.push(b' ');
        let host_len = if e.connect { e.host.len() - 4 } else { e.host.len() };
        put_bytes(b, &e.host[..host_len]);
        b.push(b' ');
        put_u64(b, e.port as u64);
        b.push(b' ');
        if e.connect {
            b.push(b'/');
        } else {
            put_bytes(b, &e.path);
        }
        b.push(b' ');
        if e.query.is_empty() {
            b.push(b'-');
        } else {
            put_bytes(b, &e.query);
        }
        b.push(b' ');
        put(b, if e.ext.is_empty() { "-" } else { e.ext });
        put(b, " \"");
        put(b, UAS[e.ua]);
        put(b, "\" 192.0.2.10 ");
        put_u64(b, e.down);
        b.push(b' ');
        put_u64(b, e.up);
        put(b, " -\n");
    }

    /// Cisco Secure Web Appliance (IronPort WSA) access log: the Squid layout plus the ACL
    /// decision tag.
    pub(crate) fn cisco_wsa(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        b.push(b' ');
        put_u64(b, e.elapsed_ms);
        b.push(b' ');
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        let (code, status) = self.squid_code();
        put(b, if e.blocked { "TCP_DENIED" } else { code });
        b.push(b'/');
        put_u64(b, if e.blocked { 403 } else { status as u64 });
        b.push(b' ');
        put_u64(b, e.down);
        b.push(b' ');
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put(b, "tunnel://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            e.put_url(b);
        }
        b.push(b' ');
        put(b, if u.anon || e.auth407 { "-" } else { &u.short });
        put(b, " DIRECT/");
        put_bytes(b, self.host_only());
        b.push(b' ');
        put(b, e.mime);
        put(
            b,
            if e.blocked {
                " BLOCK_WEBCAT_12-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,\"-\",-,-,-,-> -\n"
            } else {
                " DEFAULT_CASE_12-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,\"-\",-,-,-,-> -\n"
            },
        );
    }

    /// McAfee / Skyhigh Web Gateway default access log (syslog).
    pub(crate) fn mcafee_wg(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        self.rfc3164(b, "<134>", "mwg01");
        put(b, "mwg: [");
        put2(b, self.clock.mday);
        b.push(b'/');
        put(b, MONTHS[self.clock.mon as usize - 1]);
        b.push(b'/');
        put_u64(b, self.clock.year as u64);
        b.push(b':');
        self.clock.hms(b);
        put(b, " +0000] \"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
        }
        put(b, "\" ");
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put_u64(b, if e.blocked { 403 } else { e.status as u64 });
        put(b, " \"");
        put(b, e.method);
        b.push(b' ');
        if e.connect {
            put_bytes(b, &e.host);
        } else {
            e.put_url(b);
        }
        put(b, " HTTP/1.1\" \"");
        put(b, self.cat().0);
        put(b, "\" \"Minimal Risk\" \"");
        put(b, e.mime);
        put(b, "\" ");
        put_u64(b, e.down);
        put(b, " \"");
        put(b, UAS[e.ua]);
        put(b, "\" \"\" \"");
        put(b, if e.blocked { "14" } else { "0" });
        put(b, "\"\n");
    }

    /// `Timestamp,SourceIP,User,Url,DestIP,BytesSent,BytesReceived,Action`
    pub(crate) fn custom_csv(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        b.push(b'.');
        put_u64_pad(b, e.millis(), 3, b'0');
        put(b, "Z,");
        put(b, &self.w.ips[e.ip].text);
        b.push(b',');
        if !(u.anon || e.auth407) {
            put_csv_field(b, u.raw.as_bytes());
        }
        b.push(b',');
        // only the generated "?ids=1,2" queries contain a comma; no field has quotes
        let quote = e.query.contains(&b',');
        if quote {
            b.push(b'"');
        }
        e.put_url(b);
        if quote {
            b.push(b'"');
        }
        b.push(b',');
        put_ip4(b, e.dst_ip);
        b.push(b',');
        put_u64(b, e.up);
        b.push(b',');
        put_u64(b, e.down);
        put(b, if e.blocked { ",Blocked\n" } else { ",Allowed\n" });
    }
}
