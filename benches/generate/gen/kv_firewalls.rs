//! Key=value firewall logs: FortiGate, SonicWall, Sophos, Stormshield, WELF, Juniper SSG, WatchGuard.

use super::Gen;
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    /// FortiGate key=value: `type="traffic"` sessions (no host name, 60 %) and `type="utm"
    /// subtype="webfilter"` entries (host + path), syslog-framed like a FortiAnalyzer forward.
    pub(crate) fn fortigate(&mut self, b: &mut Vec<u8>) {
        if self.rng.below(100) < 50 {
            put(b, "<189>");
        }
        let web = self.rng.below(100) < 40;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let c = &self.clock;
        put(b, "date=");
        c.ymd(b, b'-');
        put(b, " time=");
        c.hms(b);
        put(b, " devname=\"FGT60E-HQ\" devid=\"FGT60E4Q16000001\" eventtime=");
        put_u64(b, e.t_us * 1000);
        put(b, " tz=\"+0000\" logid=");
        put(b, if web { "\"0316013056\"" } else { "\"0000000013\"" });
        put(
            b,
            if web {
                " type=\"utm\" subtype=\"webfilter\" eventtype="
            } else {
                " type=\"traffic\" subtype=\"forward\""
            },
        );
        if web {
            put(
                b,
                if e.blocked {
                    "\"ftgd_blk\" level=\"warning\""
                } else {
                    "\"ftgd_allow\" level=\"notice\""
                },
            );
        } else {
            put(b, " level=\"notice\"");
        }
        put(b, " vd=\"root\" srcip=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " srcport=");
        put_u64(b, e.cport as u64);
        put(b, " srcintf=\"internal\" srcintfrole=\"lan\" dstip=");
        put_ip4(b, e.dst_ip);
        put(b, " dstport=");
        put_u64(b, e.port as u64);
        put(b, " dstintf=\"wan1\" dstintfrole=\"wan\" sessionid=");
        put_u64(b, e.t_us % 1_000_000_007);
        put(b, " proto=6 action=");
        put(
            b,
            if e.blocked {
                if web {
                    "\"blocked\""
                } else {
                    "\"deny\""
                }
            } else if web {
                "\"passthrough\""
            } else {
                "\"close\""
            },
        );
        put(b, " policyid=1 service=");
        put(b, if e.https { "\"HTTPS\"" } else { "\"HTTP\"" });
        if !e.auth407 && !u.anon {
            put(b, " user=\"");
            put_bytes(b, u.short.as_bytes());
            b.push(b'"');
        }
        if web {
            let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
            put(b, " hostname=\"");
            put_bytes(b, &e.host[..hl]);
            put(b, "\" url=\"");
            put_bytes(b, &e.path);
            put(b, "\" method=\"domain\" cat=");
            put_u64(b, d.cat as u64 + 1);
            put(b, " catdesc=\"");
            put(b, cat.0);
            b.push(b'"');
        } else {
            put(b, " trandisp=\"snat\" duration=");
            put_u64(b, e.elapsed_ms / 1000);
            put(b, " sentbyte=");
            put_u64(b, e.up);
            put(b, " rcvdbyte=");
            put_u64(b, e.down);
            put(b, " sentpkt=");
            put_u64(b, e.up / 1400 + 1);
            put(b, " rcvdpkt=");
            put_u64(b, e.down / 1400 + 1);
            if e.known && e.dom.is_multiple_of(2) {
                put(b, " app=\"");
                put(b, &d.app);
                put(b, "\" appcat=\"Storage.Backup\"");
            } else {
                put(b, " appcat=\"unscanned\"");
            }
        }
        b.push(b'\n');
    }

    /// SonicWall key=value: m=537 Connection Closed (no host name) and m=97 Web site hit.
    pub(crate) fn sonicwall(&mut self, b: &mut Vec<u8>) {
        let web = self.rng.below(100) < 40;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        put(b, "<134>id=firewall sn=0017C5A1B2C3 time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, " UTC\" fw=203.0.113.1 pri=6 c=");
        put(
            b,
            if web {
                "1024 m=97 msg=\"Web site hit\""
            } else {
                "262144 m=537 msg=\"Connection Closed\""
            },
        );
        if e.blocked {
            put(b, " fw_action=\"drop\"");
        }
        put(b, " n=");
        put_u64(b, e.t_us % 100_000_007);
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, ":X0 dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, ":X1 proto=tcp/");
        put(b, if e.https { "https" } else { "http" });
        if !e.auth407 && !u.anon {
            put(b, " usr=\"");
            put_bytes(b, u.short.as_bytes());
            b.push(b'"');
        }
        if web {
            let hl = if e.connect { e.host.len() - 4 } else { e.host.len() };
            put(b, " dstname=");
            put_bytes(b, &e.host[..hl]);
            put(b, " arg=");
            if e.path.is_empty() {
                b.push(b'/');
            } else {
                put_bytes(b, &e.path);
            }
            put(b, " op=");
            put(b, e.method);
        } else {
            put(b, " sent=");
            put_u64(b, e.up);
            put(b, " rcvd=");
            put_u64(b, e.down);
        }
        b.push(b'\n');
    }

    /// Sophos XG / SFOS: web "Content Filtering" lines with the URL and both byte counts.
    pub(crate) fn sophos(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        put(b, "<30>device=\"SFW\" date=");
        c.ymd(b, b'-');
        put(b, " time=");
        c.hms(b);
        put(b, " timezone=\"UTC\" device_name=\"XG230\" device_id=C01001K2PRT8H1X log_id=010101600001 log_type=\"Content Filtering\" log_component=\"HTTP\" log_subtype=\"");
        put(b, if e.blocked { "Denied" } else { "Allowed" });
        put(b, "\" status=\"\" priority=Information fw_rule_id=5 user_name=\"");
        if let Some(u) = self.user_short() {
            put(b, u);
        }
        put(b, "\" user_gp=\"Staff\" iap=13 category=\"");
        put(b, self.cat().0);
        put(b, "\" category_type=\"Acceptable\" url=\"");
        e.put_url(b);
        put(b, "\" contenttype=\"");
        put(b, e.mime);
        put(b, "\" src_ip=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " dst_ip=");
        put_ip4(b, e.dst_ip);
        put(b, " protocol=\"TCP\" src_port=");
        put_u64(b, e.cport as u64);
        put(b, " dst_port=");
        put_u64(b, e.port as u64);
        put(b, " sent_bytes=");
        put_u64(b, e.up);
        put(b, " recv_bytes=");
        put_u64(b, e.down);
        put(b, " domain=");
        put_bytes(b, self.host_only());
        put(b, " exceptions=\"\" activityname=\"\" reason=\"\" user_agent=\"");
        put(b, UAS[e.ua]);
        put(b, "\" status_code=\"");
        put_u64(b, e.status as u64);
        put(b, "\"\n");
    }

    /// Stormshield SNS `connection` log (syslog): both byte counts, the host name when known.
    pub(crate) fn stormshield(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        self.rfc3164(b, "<134>", "SN310");
        put(b, "asqd: id=firewall time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" fw=\"SN310\" tz=+0000 startime=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" pri=5 confid=01 slotlevel=2 ruleid=9 srcif=\"Ethernet1\" srcifname=\"in\" ipproto=tcp dstif=\"Ethernet0\" dstifname=\"out\" proto=");
        put(b, if e.https { "ssl" } else { "http" });
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " srcport=");
        put_u64(b, e.cport as u64);
        put(b, " srcportname=ephemeral_fw_tcp dst=");
        put_ip4(b, e.dst_ip);
        put(b, " dstport=");
        put_u64(b, e.port as u64);
        put(b, " dstportname=");
        put(b, if e.https { "https" } else { "http" });
        if e.known || self.rng.below(100) < 70 {
            put(b, " dstname=");
            put_bytes(b, self.host_only());
        }
        if let Some(u) = self.user_short() {
            put(b, " user=\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(b, " duration=");
        put_u64(b, e.elapsed_ms / 1000);
        b.push(b'.');
        put_u64_pad(b, e.elapsed_ms % 1000, 3, b'0');
        put(b, if e.blocked { " action=block" } else { " action=pass" });
        put(b, " logtype=\"connection\"\n");
    }

    /// WebTrends Enhanced Log Format (Juniper SRX/ScreenOS WELF, and others).
    pub(crate) fn welf(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        self.rfc3164(b, "<14>", "srx02");
        put(b, "id=firewall time=\"");
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" fw=203.0.113.2 pri=6 proto=");
        put(b, if e.https { "https" } else { "http" });
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, " dstname=");
        put_bytes(b, self.host_only());
        put(b, " arg=");
        self.put_path(b);
        put(b, " op=");
        put(b, e.method);
        put(b, " result=");
        put_u64(b, e.status as u64);
        if let Some(u) = self.user_short() {
            put(b, " user=\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(
            b,
            if e.blocked {
                " msg=\"session denied\""
            } else {
                " msg=\"session close\""
            },
        );
        if e.blocked {
            put(b, " act=deny");
        }
        b.push(b'\n');
    }

    /// Juniper NetScreen / SSG traffic log (no host name).
    pub(crate) fn juniper_ssg(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        self.rfc3164(b, "<134>", "10.1.1.1");
        put(
            b,
            "ssg550: NetScreen device_id=ssg550  [Root]system-notification-00257(traffic): start_time=\"",
        );
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\" duration=");
        put_u64(b, e.elapsed_ms / 1000);
        put(b, " policy_id=2 service=");
        put(b, if e.https { "https" } else { "http" });
        put(b, " proto=6 src zone=Trust dst zone=Untrust action=");
        put(b, if e.blocked { "Deny" } else { "Permit" });
        put(b, " sent=");
        put_u64(b, e.up);
        put(b, " rcvd=");
        put_u64(b, e.down);
        put(b, " src=");
        put(b, &self.w.ips[e.ip].text);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        put(b, " src_port=");
        put_u64(b, e.cport as u64);
        put(b, " dst_port=");
        put_u64(b, e.port as u64);
        put(b, " session_id=");
        put_u64(b, e.t_us % 65_521);
        put(b, " reason=Close - TCP FIN\n");
    }

    /// WatchGuard Firebox HTTP proxy log.
    pub(crate) fn watchguard(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        self.rfc3164(b, "<140>", "FireboxM400");
        put(b, "801F0000000000 (");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        put(b, ") http-proxy[2100]: msg_id=\"1AFF-0024\" ");
        put(b, if e.blocked { "Deny" } else { "Allow" });
        put(b, " 1-Trusted 0-External tcp ");
        put(b, &self.w.ips[e.ip].text);
        b.push(b' ');
        put_ip4(b, e.dst_ip);
        b.push(b' ');
        put_u64(b, e.cport as u64);
        b.push(b' ');
        put_u64(b, e.port as u64);
        put(b, " msg=\"HTTP request\" proxy_act=\"HTTP-Client.Standard\" op=\"");
        put(b, e.method);
        put(b, "\" dstname=\"");
        put_bytes(b, self.host_only());
        put(b, "\" arg=\"");
        self.put_path(b);
        put(b, "\" sent_bytes=\"");
        put_u64(b, e.up);
        put(b, "\" rcvd_bytes=\"");
        put_u64(b, e.down);
        put(b, "\" elapsed_time=\"0.");
        put_u64_pad(b, e.elapsed_ms % 1000, 3, b'0');
        put(b, " sec(s)\"");
        if let Some(u) = self.user_short() {
            put(b, " src_user=\"");
            put(b, u);
            put(b, "@Firebox-DB\"");
        }
        put(b, " (HTTP-proxy-00)\n");
    }
}
