//! CEF and LEEF envelopes (a secure web gateway's CEF, Forcepoint's LEEF).

use super::Gen;
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    /// Generic CEF from a (fictitious) secure web gateway, behind varying syslog framing.
    pub(crate) fn cef(&mut self, b: &mut Vec<u8>) {
        let frame = self.rng.below(100);
        let c = &self.clock;
        let e = &self.ev;
        if frame < 70 {
            self.rfc3164(b, "<134>", "swg01");
        } else if frame < 90 {
            self.rfc5424(b, "<134>", true, "swg01.corp.example webgw - - -");
        } else {
            self.rsyslog_file(b, "swg01");
        }
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        put(b, "CEF:0|Contoso|Secure Web Gateway|4.2.1|");
        if e.blocked {
            put(b, "200|");
            put_cef_hdr(b, "Blocked | URL filtering");
            put(b, "|7|");
        } else {
            put(b, "100|");
            put_cef_hdr(b, "HTTP transaction");
            put(b, "|1|");
        }
        // rt: epoch millis mostly, sometimes the MMM dd yyyy HH:mm:ss.SSS zzz form
        put(b, "rt=");
        if e.dom % 7 == 3 {
            put(b, MONTHS[c.mon as usize - 1]);
            b.push(b' ');
            put2(b, c.mday);
            b.push(b' ');
            put_u64(b, c.year as u64);
            b.push(b' ');
            c.hms(b);
            b.push(b'.');
            put_u64_pad(b, e.millis(), 3, b'0');
            put(b, " UTC");
        } else {
            put_u64(b, e.t_us / 1000);
        }
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " spt=");
        put_u64(b, e.cport as u64);
        if !e.auth407 && !u.anon {
            put(b, " suser=");
            put_cef_ext(b, u.raw.as_bytes());
        }
        put(b, " dhost=");
        let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
        put_bytes(b, &e.host[..hl]);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        put(b, " dpt=");
        put_u64(b, e.port as u64);
        put(b, " requestMethod=");
        put(b, e.method);
        put(b, " request=");
        self.scratch.clear();
        e.put_url(&mut self.scratch);
        put_cef_ext(b, &self.scratch);
        put(b, " requestClientApplication=");
        put_cef_ext(b, UAS[e.ua].as_bytes());
        // in = bytes the client received (response), out = bytes the client sent (request)
        put(b, " in=");
        put_u64(b, e.down);
        put(b, " out=");
        put_u64(b, e.up);
        put(b, " act=");
        put(
            b,
            if e.blocked {
                "blocked"
            } else if e.auth407 {
                "auth_required"
            } else {
                "allowed"
            },
        );
        put(b, " outcome=");
        put_u64(b, e.status as u64);
        put(b, " cat=");
        put_cef_ext(b, cat.0.as_bytes());
        put(b, " app=");
        put(b, if e.https { "HTTPS" } else { "HTTP" });
        put(b, " deviceDirection=1 cs1Label=Policy cs1=");
        put(
            b,
            if e.blocked {
                "Block Unsanctioned"
            } else {
                "Default Allow"
            },
        );
        put(b, " cs2Label=AppName cs2=");
        put(b, if e.known { &d.app } else { "Unknown" });
        b.push(b'\n');
    }

    /// LEEF 1.0 (tab-separated attributes), as a Forcepoint-style web gateway would send it.
    pub(crate) fn leef(&mut self, b: &mut Vec<u8>) {
        self.rfc3164(b, "<134>", "swg02");
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let cat = self.cat();
        put(b, "LEEF:1.0|Forcepoint|Security|8.5|");
        put(
            b,
            if e.blocked {
                "transaction:blocked|"
            } else {
                "transaction:permitted|"
            },
        );
        put(b, "devTime=");
        put_u64(b, e.t_us / 1000);
        put(b, "\tsrc=");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\tsrcPort=");
        put_u64(b, e.cport as u64);
        put(b, "\tdst=");
        put_ip4(b, e.dst_ip);
        put(b, "\tdstPort=");
        put_u64(b, e.port as u64);
        if !e.auth407 && !u.anon {
            put(b, "\tusrName=");
            put_bytes(b, u.raw.as_bytes());
        }
        put(b, "\tsrcBytes=");
        put_u64(b, e.up);
        put(b, "\tdstBytes=");
        put_u64(b, e.down);
        put(b, "\trequestMethod=");
        put(b, e.method);
        put(b, "\turl=");
        self.scratch.clear();
        e.put_url(&mut self.scratch);
        let url = std::mem::take(&mut self.scratch);
        put_bytes(b, &url);
        self.scratch = url;
        put(b, "\taction=");
        put(b, if e.blocked { "blocked" } else { "permitted" });
        put(b, "\tcat=");
        put(b, cat.0);
        b.push(b'\n');
    }
}
