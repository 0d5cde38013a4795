//! Firewall messages with their own syntax: Cisco ASA, Juniper SRX structured data, Meraki, Check Point Log Exporter, and Zeek http.log.

use super::Gen;
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    /// Cisco ASA syslog: 302014 TCP teardowns with a byte total (no host name, no user) and
    /// 106023 denies for blocked traffic.
    pub(crate) fn cisco_asa(&mut self, b: &mut Vec<u8>) {
        let with_pri = self.rng.below(100) < 50;
        let e = &self.ev;
        let pri = match (with_pri, e.blocked) {
            (false, _) => "",
            (true, true) => "<164>",
            (true, false) => "<166>",
        };
        self.rfc3164(b, pri, "asa01");
        if e.blocked {
            put(b, "%ASA-4-106023: Deny tcp src inside:");
            put(b, &self.w.ips[e.ip].text);
            b.push(b'/');
            put_u64(b, e.cport as u64);
            put(b, " dst outside:");
            put_ip4(b, e.dst_ip);
            b.push(b'/');
            put_u64(b, e.port as u64);
            put(b, " by access-group \"inside_in\" [0x0, 0x0]\n");
            return;
        }
        put(b, "%ASA-6-302014: Teardown TCP connection ");
        put_u64(b, e.t_us % 1_000_000_007);
        put(b, " for outside:");
        put_ip4(b, e.dst_ip);
        b.push(b'/');
        put_u64(b, e.port as u64);
        put(b, " to inside:");
        put(b, &self.w.ips[e.ip].text);
        b.push(b'/');
        put_u64(b, e.cport as u64);
        put(b, " duration ");
        let secs = e.elapsed_ms / 1000;
        put_u64(b, secs / 3600);
        b.push(b':');
        put2(b, (secs / 60 % 60) as u32);
        b.push(b':');
        put2(b, (secs % 60) as u32);
        put(b, " bytes ");
        put_u64(b, e.up + e.down);
        put(b, " TCP FINs\n");
    }

    /// Juniper SRX structured syslog (RFC 5424): RT_FLOW_SESSION_CLOSE with the byte counts
    /// and RT_FLOW_SESSION_DENY for blocked traffic; no host name.
    pub(crate) fn juniper_srx(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        self.rfc5424(b, "<14>", true, "srx01 RT_FLOW -");
        put(
            b,
            if e.blocked {
                "RT_FLOW_SESSION_DENY"
            } else {
                "RT_FLOW_SESSION_CLOSE"
            },
        );
        put(b, " [junos@2636.1.1.1.2.129");
        if !e.blocked {
            put(b, " reason=\"TCP FIN\"");
        }
        put(b, " source-address=\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\" source-port=\"");
        put_u64(b, e.cport as u64);
        put(b, "\" destination-address=\"");
        put_ip4(b, e.dst_ip);
        put(b, "\" destination-port=\"");
        put_u64(b, e.port as u64);
        put(b, "\" connection-tag=\"0\" service-name=\"");
        put(b, if e.https { "junos-https" } else { "junos-http" });
        if !e.blocked {
            put(b, "\" nat-source-address=\"203.0.113.5\" nat-source-port=\"");
            put_u64(b, e.cport as u64);
            put(b, "\" nat-destination-address=\"");
            put_ip4(b, e.dst_ip);
            put(b, "\" nat-destination-port=\"");
            put_u64(b, e.port as u64);
            put(b, "\" nat-connection-tag=\"0\" src-nat-rule-type=\"source rule\" src-nat-rule-name=\"snat-out\" dst-nat-rule-type=\"N/A\" dst-nat-rule-name=\"N/A");
        }
        put(b, "\" protocol-id=\"6\" policy-name=\"");
        put(b, if e.blocked { "deny-unsanctioned" } else { "allow-web" });
        put(
            b,
            "\" source-zone-name=\"trust\" destination-zone-name=\"untrust\" session-id-32=\"",
        );
        put_u64(b, e.t_us % 1_000_000_007);
        if !e.blocked {
            put(b, "\" packets-from-client=\"");
            put_u64(b, e.up / 1400 + 1);
            put(b, "\" bytes-from-client=\"");
            put_u64(b, e.up);
            put(b, "\" packets-from-server=\"");
            put_u64(b, e.down / 1400 + 1);
            put(b, "\" bytes-from-server=\"");
            put_u64(b, e.down);
            put(b, "\" elapsed-time=\"");
            put_u64(b, e.elapsed_ms / 1000);
        }
        put(b, "\" application=\"");
        put(b, if e.https { "SSL" } else { "HTTP" });
        put(b, "\" nested-application=\"");
        if e.known && e.dom % 2 == 1 {
            for ch in d.app.bytes() {
                b.push(if ch == b' ' { b'-' } else { ch.to_ascii_uppercase() });
            }
        } else {
            put(b, "UNKNOWN");
        }
        put(b, "\" username=\"");
        if !e.auth407 && !u.anon {
            put_bytes(b, u.short.as_bytes());
        } else {
            put(b, "N/A");
        }
        put(
            b,
            "\" roles=\"N/A\" packet-incoming-interface=\"ge-0/0/1.0\" encrypted=\"No\"]\n",
        );
    }

    /// Cisco Meraki MX `urls` log (allowed requests) and `flows deny` (blocked ones).
    pub(crate) fn meraki(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        put(b, "<134>1 ");
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.t_us % 1_000_000, 6, b'0');
        put(b, "123 MX84");
        if e.blocked {
            put(b, " flows deny src=");
            put(b, &self.w.ips[e.ip].text);
            put(b, " dst=");
            put_ip4(b, e.dst_ip);
            put(b, " mac=00:18:0A:12:34:56 protocol=tcp sport=");
            put_u64(b, e.cport as u64);
            put(b, " dport=");
            put_u64(b, e.port as u64);
            b.push(b'\n');
            return;
        }
        put(b, " urls src=");
        put(b, &self.w.ips[e.ip].text);
        b.push(b':');
        put_u64(b, e.cport as u64);
        put(b, " dst=");
        put_ip4(b, e.dst_ip);
        b.push(b':');
        put_u64(b, e.port as u64);
        put(b, " mac=00:18:0A:12:34:56 agent='");
        put(b, UAS[e.ua]);
        put(b, "' request: ");
        put(b, e.method);
        b.push(b' ');
        e.put_url(b);
        b.push(b'\n');
    }

    /// Check Point Log Exporter (RFC 5424 structured data, `key:"value";`).
    pub(crate) fn checkpoint(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        self.rfc5424(b, "<134>", false, "gw-cp01 CheckPoint 15190 -");
        put(b, "[action:\"");
        put(b, if e.blocked { "Drop" } else { "Accept" });
        put(b, "\"; flags:\"411908\"; ifdir:\"outbound\"; loguid:\"{0x");
        put_hex(b, e.t_us, 8);
        put(b, ",0x0,0x0,0x0}\"; origin:\"203.0.113.5\"; time:\"");
        put_u64(b, e.secs());
        put(b, "\"; version:\"5\"; src:\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\"; dst:\"");
        put_ip4(b, e.dst_ip);
        put(b, "\"; proto:\"6\"; s_port:\"");
        put_u64(b, e.cport as u64);
        put(b, "\"; service:\"");
        put_u64(b, e.port as u64);
        // Check Point counts from the client: outbound is what it sent, inbound what it received.
        put(b, "\"; client_inbound_bytes:\"");
        put_u64(b, e.down);
        put(b, "\"; client_outbound_bytes:\"");
        put_u64(b, e.up);
        put(b, "\"; http_host:\"");
        put_bytes(b, self.host_only());
        put(b, "\"; resource:\"");
        e.put_url(b);
        put(b, "\"; appi_name:\"");
        put(b, &self.domain().app);
        b.push(b'"');
        if let Some(u) = self.user_short() {
            put(b, "; src_user_name:\"");
            put(b, u);
            b.push(b'"');
        }
        put(b, "; product:\"URL Filtering\"]\n");
    }

    /// Zeek `http.log` (TSV under the `#fields` header written by header()).
    pub(crate) fn zeek(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        put_u64(b, e.secs());
        b.push(b'.');
        put_u64_pad(b, e.t_us % 1_000_000, 6, b'0');
        put(b, "\tC");
        put_hex(b, e.t_us ^ 0x5DEE_CE66, 12);
        b.push(b'\t');
        put(b, &self.w.ips[e.ip].text);
        b.push(b'\t');
        put_u64(b, e.cport as u64);
        b.push(b'\t');
        put_ip4(b, e.dst_ip);
        b.push(b'\t');
        put_u64(b, e.port as u64);
        put(b, "\t1\t");
        put(b, e.method);
        b.push(b'\t');
        put_bytes(b, self.host_only());
        b.push(b'\t');
        self.put_path(b);
        put(b, "\t-\t1.1\t");
        put(b, UAS[e.ua]);
        put(b, "\t-\t");
        put_u64(b, e.up);
        b.push(b'\t');
        put_u64(b, e.down);
        b.push(b'\t');
        put_u64(b, e.status as u64);
        put(b, "\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t");
        put(b, e.mime);
        b.push(b'\n');
    }
}
