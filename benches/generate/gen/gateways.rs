//! Cloud secure web gateways: Zscaler NSS (CSV and JSON), Netskope, Menlo, iboss, Barracuda, Cisco Umbrella, Forcepoint CSV.

use super::Gen;
use crate::put::*;
use crate::world::*;

impl Gen<'_> {
    /// Zscaler NSS web feed: 34-column quoted CSV or the {sourcetype,event} JSON.
    pub(crate) fn zscaler(&mut self, b: &mut Vec<u8>, json: bool) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let d = self.domain();
        let cat = self.cat();
        let c = &self.clock;
        let mut first = true;
        // open a field
        let f = |b: &mut Vec<u8>, first: &mut bool, name: &str| {
            if !*first {
                b.push(b',');
            }
            *first = false;
            if json {
                b.push(b'"');
                put(b, name);
                put(b, "\":\"");
            } else {
                b.push(b'"');
            }
        };
        if json {
            put(b, "{ \"sourcetype\" : \"zscalernss-web\", \"event\" :{");
        }
        f(b, &mut first, "time");
        put(b, WDAYS[c.wday]);
        b.push(b' ');
        put(b, MONTHS[c.mon as usize - 1]);
        b.push(b' ');
        put_u64(b, c.mday as u64);
        b.push(b' ');
        c.hms(b);
        b.push(b' ');
        put_u64(b, c.year as u64);
        b.push(b'"');
        f(b, &mut first, "login");
        put_json_str(b, u.email.as_bytes());
        b.push(b'"');
        f(b, &mut first, "proto");
        put(b, if e.https { "HTTPS" } else { "HTTP" });
        b.push(b'"');
        f(b, &mut first, "eurl");
        if e.connect {
            // tunnel without inspection: host only
            put_bytes(b, &e.host[..e.host.len() - 4]);
        } else {
            e.put_url_noscheme(b);
        }
        b.push(b'"');
        f(b, &mut first, "action");
        put(b, if e.blocked { "Blocked" } else { "Allowed" });
        b.push(b'"');
        f(b, &mut first, "appname");
        put(b, if e.known { &d.app } else { "General Browsing" });
        b.push(b'"');
        f(b, &mut first, "appclass");
        put(
            b,
            if e.known {
                APP_CLASSES[d.appclass]
            } else {
                "General Browsing"
            },
        );
        b.push(b'"');
        f(b, &mut first, "reqsize");
        put_u64(b, e.up);
        b.push(b'"');
        f(b, &mut first, "respsize");
        put_u64(b, e.down);
        b.push(b'"');
        f(b, &mut first, "stime");
        put_u64(b, e.elapsed_ms * 2 / 3);
        b.push(b'"');
        f(b, &mut first, "ctime");
        put_u64(b, e.elapsed_ms);
        b.push(b'"');
        f(b, &mut first, "urlclass");
        put(b, cat.3);
        b.push(b'"');
        f(b, &mut first, "urlsupercat");
        put(b, cat.1);
        b.push(b'"');
        f(b, &mut first, "urlcat");
        put(b, cat.2);
        b.push(b'"');
        f(b, &mut first, "malwarecat");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "threatname");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "riskscore");
        put_u64(b, if e.known { 0 } else { (e.dom as u64 * 7) % 40 });
        b.push(b'"');
        f(b, &mut first, "dlpeng");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "dlpdict");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "location");
        // unauthenticated traffic is logged with the location name as login
        put(
            b,
            if u.anon {
                &u.email
            } else {
                LOCATIONS[e.ip % LOCATIONS.len()]
            },
        );
        b.push(b'"');
        f(b, &mut first, "dept");
        put(b, if u.anon { "Unknown" } else { DEPTS[e.user % DEPTS.len()] });
        b.push(b'"');
        f(b, &mut first, "cip");
        put(b, &self.w.ips[e.ip].text);
        b.push(b'"');
        f(b, &mut first, "sip");
        put_ip4(b, e.dst_ip);
        b.push(b'"');
        f(b, &mut first, "reqmethod");
        put(b, e.method);
        b.push(b'"');
        f(b, &mut first, "respcode");
        put_u64(b, if e.auth407 { 200 } else { e.status as u64 });
        b.push(b'"');
        f(b, &mut first, "ua");
        put(b, UAS[e.ua]);
        b.push(b'"');
        f(b, &mut first, "ereferer");
        if e.referer {
            put(b, "https://");
            put_bytes(b, &e.host);
            b.push(b'/');
        } else {
            put(b, "None");
        }
        b.push(b'"');
        f(b, &mut first, "ruletype");
        put(b, if e.blocked { "URL Filtering" } else { "None" });
        b.push(b'"');
        f(b, &mut first, "rulelabel");
        put(b, if e.blocked { "Block_Unsanctioned_Apps" } else { "None" });
        b.push(b'"');
        f(b, &mut first, "contenttype");
        put(b, if e.mime == "-" { "Other" } else { e.mime });
        b.push(b'"');
        f(b, &mut first, "unscannabletype");
        put(b, "None");
        b.push(b'"');
        f(b, &mut first, "deviceowner");
        put(b, &u.short);
        b.push(b'"');
        f(b, &mut first, "devicehostname");
        if u.anon {
            put(b, "NA");
        } else {
            put(b, "LAPTOP-");
            put_u64_pad(b, (e.user as u64 * 37) % 10_000, 4, b'0');
        }
        b.push(b'"');
        if json {
            put(b, "}}\n");
        } else {
            f(b, &mut first, "keyprotectiontype");
            put(b, "N/A\"\n");
        }
    }

    /// Netskope web transaction event (JSON).
    pub(crate) fn netskope(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        let u = &self.w.users[e.user];
        put(b, "{\"date\":\"");
        c.ymd(b, b'-');
        put(b, "\",\"time\":\"");
        c.hms(b);
        put(b, "\",\"c-ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"s-ip\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"cs-host\":\"");
        put_bytes(b, self.host_only());
        put(b, "\",\"cs-uri-scheme\":\"");
        put(b, if e.https { "https" } else { "http" });
        put(b, "\",\"cs-uri\":");
        self.scratch.clear();
        let mut path = std::mem::take(&mut self.scratch);
        self.put_path(&mut path);
        put_json_q(b, &path);
        self.scratch = path;
        put(b, ",\"cs-uri-port\":\"");
        put_u64(b, e.port as u64);
        put(b, "\",\"cs-method\":\"");
        put(b, e.method);
        put(b, "\",\"cs-username\":");
        if u.anon || e.auth407 {
            put(b, "\"-\"");
        } else {
            put_json_q(b, u.email.as_bytes());
        }
        put(b, ",\"cs-bytes\":\"");
        put_u64(b, e.up);
        put(b, "\",\"sc-bytes\":\"");
        put_u64(b, e.down);
        put(b, "\",\"sc-status\":\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"cs-user-agent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"x-cs-app\":");
        put_json_q(b, self.domain().app.as_bytes());
        put(b, ",\"x-policy-action\":\"");
        put(b, if e.blocked { "block" } else { "allow" });
        put(b, "\",\"x-transaction-id\":\"");
        put_u64(b, e.t_us);
        put(b, "\"}\n");
    }

    /// Menlo Security web log (JSON).
    pub(crate) fn menlo(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        let u = &self.w.users[e.user];
        put(b, "{\"event_time\":\"");
        c.ymd(b, b'-');
        b.push(b'T');
        c.hms(b);
        put(b, "Z\",\"origin_ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"dst\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"url\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        put(b, ",\"domain\":");
        put_json_q(b, self.host_only());
        if !(u.anon || e.auth407) {
            put(b, ",\"userid\":");
            put_json_q(b, u.email.as_bytes());
        }
        put(b, ",\"pe_action\":\"");
        put(b, if e.blocked { "block" } else { "allow" });
        put(b, "\",\"categories\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, ",\"user-agent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"status_code\":\"");
        put_u64(b, e.status as u64);
        put(
            b,
            "\",\"event_type\":\"web\",\"product\":\"MSIP\",\"vendor\":\"Menlo Security\"}\n",
        );
    }

    /// iboss cloud gateway web log (syslog header + JSON).
    pub(crate) fn iboss(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        self.rfc3164(b, "<134>", "iboss-gw01");
        put(b, "iboss: {\"proxyTransactionStartTime\":");
        put_u64(b, e.secs());
        put(b, ",\"sourceIpAddress\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"ipAddress\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"destinationPort\":");
        put_u64(b, e.port as u64);
        put(b, ",\"host\":");
        put_json_q(b, self.host_only());
        put(b, ",\"url\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        if !(u.anon || e.auth407) {
            put(b, ",\"username\":");
            put_json_q(b, u.short.as_bytes());
        }
        put(b, ",\"upstreamByteUsage\":");
        put_u64(b, e.up);
        put(b, ",\"downstreamByteUsage\":");
        put_u64(b, e.down);
        put(b, ",\"totalByteCount\":");
        put_u64(b, e.up + e.down);
        put(b, ",\"proxyRule\":\"Default\",\"action\":\"");
        put(b, if e.blocked { "Blocked" } else { "Allowed" });
        put(b, "\",\"categories\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, ",\"userAgent\":");
        put_json_q(b, UAS[e.ua].as_bytes());
        put(b, ",\"responseCode\":");
        put_u64(b, e.status as u64);
        put(b, "}\n");
    }

    /// Barracuda CloudGen Firewall web log (JSON).
    pub(crate) fn barracuda(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        put(b, "{\"timestamp\":");
        put_u64(b, e.t_us / 1000);
        put(b, ",\"log_type\":\"WF\",\"traffic_type\":1,\"source_ip\":\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"destination_ip\":\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"destination_port\":");
        put_u64(b, e.port as u64);
        put(b, ",\"domain\":");
        put_json_q(b, self.host_only());
        put(b, ",\"name\":");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_json_q(b, &url);
        self.scratch = url;
        put(b, ",\"user\":");
        if u.anon || e.auth407 {
            put_json_q(b, self.w.ips[e.ip].text.as_bytes());
        } else {
            put_json_q(b, u.short.as_bytes());
        }
        put(b, ",\"size\":");
        put_u64(b, e.down);
        put(b, ",\"action\":");
        put(b, if e.blocked { "1" } else { "0" });
        put(b, ",\"category\":");
        put_json_q(b, self.cat().0.as_bytes());
        put(b, "}\n");
    }

    /// Cisco Umbrella proxy log (S3 export CSV, positional).
    pub(crate) fn umbrella(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let u = &self.w.users[e.user];
        let c = &self.clock;
        b.push(b'"');
        c.ymd(b, b'-');
        b.push(b' ');
        c.hms(b);
        put(b, "\",\"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
            put(b, " (");
            put(b, &u.email);
            b.push(b')');
        }
        put(b, "\",\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"203.0.113.9\",\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"");
        put(b, e.mime);
        put(b, "\",\"");
        put(b, if e.blocked { "BLOCKED" } else { "ALLOWED" });
        put(b, "\",");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url(&mut url);
        put_csv_field(b, &url);
        self.scratch = url;
        put(b, ",\"\",");
        put_csv_field(b, UAS[e.ua].as_bytes());
        put(b, ",\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"");
        put_u64(b, e.up);
        put(b, "\",\"");
        put_u64(b, e.down);
        put(b, "\",\"");
        put_u64(b, e.down);
        put(b, "\",\"\",\"");
        put(b, self.cat().0);
        put(b, "\",\"\",\"\",\"\",\"\",\"\",\"");
        put(b, if u.anon || e.auth407 { "Networks" } else { "AD Users" });
        put(b, "\",\"\",\"");
        if !(u.anon || e.auth407) {
            put(b, &u.short);
        }
        put(b, "\",\"");
        put(b, if u.anon || e.auth407 { "Networks" } else { "AD Users" });
        put(b, "\",\"");
        put(b, e.method);
        put(b, "\",\"\",\"\",\"\",\"\",\"\",\"\"\n");
    }

    /// Forcepoint (Websense) investigative CSV export.
    pub(crate) fn forcepoint_csv(&mut self, b: &mut Vec<u8>) {
        let e = &self.ev;
        let c = &self.clock;
        b.push(b'"');
        put2(b, c.mday);
        b.push(b'/');
        put2(b, c.mon);
        b.push(b'/');
        put_u64(b, c.year as u64);
        put(b, "\",\"");
        c.hms(b);
        put(b, "\",");
        match self.user_short() {
            Some(u) => put_csv_field(b, format!("CORP\\{u}").as_bytes()),
            None => put(b, "\"anonymous\""),
        }
        put(b, ",\"Not available\",\"");
        put(b, self.cat().0);
        put(b, "\",\"");
        put(b, if e.blocked { "Blocked by policy" } else { "Allowed" });
        put(b, "\",\"Business Usage,None\",\"Default\",");
        self.scratch.clear();
        let mut url = std::mem::take(&mut self.scratch);
        e.put_url_noscheme(&mut url);
        put_csv_field(b, &url);
        self.scratch = url;
        // connection_ip (the site's public address), destination_ip, source_ip
        put(b, ",\"203.0.113.9\",\"");
        put_ip4(b, e.dst_ip);
        put(b, "\",\"");
        put(b, &self.w.ips[e.ip].text);
        put(b, "\",\"None\",\"None\",");
        put_csv_field(b, UAS[e.ua].as_bytes());
        put(b, ",\"");
        put_u64(b, e.status as u64);
        put(b, "\",\"");
        let m = e.method;
        put(b, &m[..1]);
        put(b, &m[1..].to_ascii_lowercase());
        put(b, "\"\n");
    }
}
