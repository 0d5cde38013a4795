//! Palo Alto PAN-OS CSV: TRAFFIC and THREAT/url records.

use super::{pan_method, Gen};
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    /// PAN-OS syslog CSV: TRAFFIC (end/deny) and THREAT/url.
    pub(crate) fn panos(&mut self, b: &mut Vec<u8>) {
        // syslog framing: mostly as written to file by a syslog daemon, sometimes with PRI
        let pri = if self.rng.below(100) < 20 { "<14>" } else { "" };
        self.rfc3164(b, pri, "PA-3220");
        let threat = self.rng.below(100) < 35;
        self.pan_session += self.rng.range(1, 40);
        self.pan_seq += 1;
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let r = &mut self.rng;
        let c = &self.clock;
        let ts = |b: &mut Vec<u8>| {
            c.ymd(b, b'/');
            b.push(b' ');
            c.hms(b);
        };
        // 0 future_use, 1 receive_time, 2 serial, 3 type, 4 subtype, 5 config version, 6 generated_time
        put(b, "1,");
        ts(b);
        put(b, ",013201001234,");
        put(
            b,
            if threat {
                "THREAT,url,"
            } else if e.blocked {
                "TRAFFIC,deny,"
            } else {
                "TRAFFIC,end,"
            },
        );
        put(b, "2561,");
        ts(b);
        // 7 src, 8 dst, 9 natsrc, 10 natdst
        b.push(b',');
        put(b, &self.w.ips[e.ip].text);
        b.push(b',');
        put_ip4(b, e.dst_ip);
        put(b, ",198.51.100.7,");
        put_ip4(b, e.dst_ip);
        // 11 rule, 12 srcuser, 13 dstuser, 14 app, 15 vsys, 16 from, 17 to, 18 inbound_if, 19 outbound_if, 20 log_action
        put(
            b,
            if e.blocked {
                ",block-unsanctioned,"
            } else {
                ",allow-web-outbound,"
            },
        );
        put_csv_field(b, u.pan.as_bytes());
        b.push(b',');
        b.push(b',');
        let app: &str = if e.known && e.dom.is_multiple_of(3) {
            &d.appid
        } else if e.https {
            if !threat && e.dom % 11 == 5 {
                "quic"
            } else {
                "ssl"
            }
        } else {
            "web-browsing"
        };
        put(b, app);
        put(b, ",vsys1,trust,untrust,ethernet1/2,ethernet1/1,default-fwd,");
        // 21 time_logged (future use), 22 sessionid, 23 repeatcnt, 24 sport, 25 dport, 26 natsport, 27 natdport, 28 flags, 29 proto, 30 action
        ts(b);
        b.push(b',');
        put_u64(b, self.pan_session);
        put(b, ",1,");
        put_u64(b, e.cport as u64);
        b.push(b',');
        put_u64(b, e.port as u64);
        b.push(b',');
        put_u64(b, r.range(1024, 65535));
        b.push(b',');
        put_u64(b, e.port as u64);
        put(b, if threat { ",0x403000," } else { ",0x400053," });
        put(b, if app == "quic" { "udp," } else { "tcp," });
        if threat {
            put(b, if e.blocked { "block-url" } else { "alert" });
            // 31 misc (URL, quoted), 32 threatid, 33 category, 34 severity, 35 direction
            put(b, ",\"");
            if e.connect {
                put_bytes(b, &e.host[..e.host.len() - 4]);
                b.push(b'/');
            } else {
                e.put_url_noscheme(b);
            }
            put(b, "\",(9999),");
            put(b, cat.4);
            put(b, ",informational,client-to-server,");
            // 36 seqno, 37 actionflags, 38 srcloc, 39 dstloc, 40 future, 41 contenttype, 42 pcap_id, 43 filedigest, 44 cloud, 45 url_idx
            put_u64(b, self.pan_seq);
            put(b, ",0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,");
            if e.mime != "-" {
                put(b, e.mime);
            }
            put(b, ",0,,,");
            put_u64(b, r.range(1, 4));
            // 46 user_agent, 47 filetype, 48 xff, 49 referer
            put(b, ",\"");
            put(b, UAS[e.ua]);
            put(b, "\",,,");
            if e.referer {
                put(b, "\"https://");
                put_bytes(b, &e.host);
                put(b, "/\"");
            }
            // 50 sender, 51 subject, 52 recipient, 53 reportid, 54-57 dg hierarchy, 58 vsys_name, 59 device_name, 60 future
            put(b, ",,,,0,0,0,0,0,,PA-3220,,");
            // 61 src_uuid, 62 dst_uuid, 63 http_method, 64 imsi, 65 imei, 66 parent_session_id, 67 parent_start_time, 68 tunnel
            put(b, ",,");
            if !e.connect {
                put(b, pan_method(e.method));
            }
            put(b, ",0,,0,,N/A,");
            // 69 thr_category, 70 contentver, 71 future, 72 assoc_id, 73 ppid, 74 http_headers, 75 url_category_list
            put(b, "N/A,AppThreat-8900-8752,0x0,0,4294967295,,\"");
            put(b, cat.4);
            put(b, ",low-risk\",");
            // 76 rule_uuid, 77 http2_connection, 78 dynusergroup_name
            put(
                b,
                if e.blocked {
                    "7b0c3b0e-2f5d-4e27-9a55-6c1d3f1f0b11"
                } else {
                    "c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10"
                },
            );
            put(b, ",0,\n");
        } else {
            put(
                b,
                if !e.blocked {
                    "allow"
                } else if e.cport.is_multiple_of(3) {
                    "drop"
                } else if e.cport % 3 == 1 {
                    "deny"
                } else {
                    "reset-both"
                },
            );
            // 31 bytes, 32 bytes_sent (client->server), 33 bytes_received (server->client), 34 packets
            let (up, down) = if e.blocked { (e.up.min(600), 0) } else { (e.up, e.down) };
            b.push(b',');
            put_u64(b, up + down);
            b.push(b',');
            put_u64(b, up);
            b.push(b',');
            put_u64(b, down);
            let pk_s = up / 1200 + 2;
            let pk_r = down / 1400 + if down > 0 { 2 } else { 0 };
            b.push(b',');
            put_u64(b, pk_s + pk_r);
            // 35 start_time, 36 elapsed (s), 37 category, 38 future
            b.push(b',');
            let start = e.secs().saturating_sub(e.elapsed_ms / 1000);
            self.clock2.set(start);
            self.clock2.ymd(b, b'/');
            b.push(b' ');
            self.clock2.hms(b);
            b.push(b',');
            put_u64(b, e.elapsed_ms / 1000);
            b.push(b',');
            put(b, if e.https && !e.known { "any" } else { cat.4 });
            put(b, ",0,");
            // 39 seqno, 40 actionflags, 41 srcloc, 42 dstloc, 43 future, 44 pkts_sent, 45 pkts_received, 46 session_end_reason
            put_u64(b, self.pan_seq);
            put(b, ",0x0,10.0.0.0-10.255.255.255,United States,0,");
            put_u64(b, pk_s);
            b.push(b',');
            put_u64(b, pk_r);
            b.push(b',');
            put(
                b,
                if e.blocked {
                    "policy-deny"
                } else if app == "quic" {
                    "aged-out"
                } else if e.pan_sess_odd() {
                    "tcp-rst-from-client"
                } else {
                    "tcp-fin"
                },
            );
            // 47-50 dg hierarchy, 51 vsys_name, 52 device_name, 53 action_source, 54 src_uuid, 55 dst_uuid,
            // 56 imsi, 57 imei, 58 parent_session_id, 59 parent_start_time, 60 tunnel,
            // 61 assoc_id, 62 chunks, 63 chunks_sent, 64 chunks_received, 65 rule_uuid, 66 http2_connection,
            // 67 link_change_count, 68 policy_id, 69 link_switches, 70 sdwan_cluster, 71 sdwan_device_type,
            // 72 sdwan_cluster_type, 73 sdwan_site, 74 dynusergroup_name
            put(b, ",0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,");
            put(
                b,
                if e.blocked {
                    "7b0c3b0e-2f5d-4e27-9a55-6c1d3f1f0b11"
                } else {
                    "c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10"
                },
            );
            put(b, ",0,0,,,,,,,\n");
        }
    }
}
