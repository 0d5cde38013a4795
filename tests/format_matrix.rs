//! Every traffic format, one real-looking line each (written by `benches/generate/` in the
//! vendor's layout), through the same variations: as is, with an IPv6 client, with a non-ASCII
//! user name, and behind RFC 3164 and RFC 5424 syslog headers. Each variant must be recognised
//! by `--format auto` as its format and read back with the changed value.

use cloudcensus::formats::{Line, ParseCtx, Registry};

struct Case {
    format: &'static str,
    header: &'static [&'static str],
    line: &'static str,
    ip: &'static str,
    user: Option<&'static str>,
}

const CASES: [Case; 28] = [
    Case {
        format: "squid",
        header: &[],
        line: r##"1793491201.504   6120 10.62.177.40 TCP_TUNNEL/200 2400 CONNECT guj3i13k.shop.app:443 user3299 HIER_DIRECT/108.140.222.60 -"##,
        ip: "10.62.177.40",
        user: Some("user3299"),
    },
    Case {
        format: "squid-common",
        header: &[],
        line: r##"10.59.9.197 - user0260 [01/Nov/2026:00:03:44 +0000] "GET https://media-4758.unknown-site.io/s/chat HTTP/1.1" 200 644 TCP_MISS:HIER_DIRECT"##,
        ip: "10.59.9.197",
        user: Some("user0260"),
    },
    Case {
        format: "w3c",
        header: &[
            r##"#Software: SGOS 7.3.16.2"##,
            r##"#Version: 1.0"##,
            r##"#Start-Date: 2026-11-01 00:05:21"##,
            r##"#Date: 2026-11-01 00:05:21"##,
            r##"#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id"##,
            r##"#Remark: 4711000001 "proxysg01" "192.0.2.10" "main""##,
        ],
        line: r##"2026-11-01 00:05:21 112 10.48.111.254 user0351 Support - PROXIED "Shopping" - 200 TCP_NC_MISS GET text/html http assets.bingads.microsoft.com 80 /search/collect/d4b825c6 ?q=folder&page=6 - "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86" 192.0.2.10 29414 813 -"##,
        ip: "10.48.111.254",
        user: Some("user0351"),
    },
    Case {
        format: "zscaler-csv",
        header: &[],
        line: r##""Sun Nov 1 00:04:52 2026","user0242@corp.example","HTTPS","www.music-2256.example.co.uk","Allowed","General Browsing","General Browsing","3680","11308","397","596","Bandwidth Loss","Information Technology","Online Storage","None","None","37","None","None","HQ-Paris","Engineering","10.25.215.145","199.159.156.19","CONNECT","200","Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)","None","None","None","Other","None","user0242","LAPTOP-8917","N/A""##,
        ip: "10.25.215.145",
        user: Some("user0242"),
    },
    Case {
        format: "zscaler-json",
        header: &[],
        line: r##"{ "sourcetype" : "zscalernss-web", "event" :{"time":"Sun Nov 1 00:05:35 2026","login":"user0031@corp.example","proto":"HTTP","eurl":"travel-9940.example-unknown.com/video/js/f4927667","action":"Allowed","appname":"General Browsing","appclass":"General Browsing","reqsize":"189","respsize":"21051","stime":"958","ctime":"1438","urlclass":"Business Use","urlsupercat":"Internet Communication","urlcat":"Web Mail","malwarecat":"None","threatname":"None","riskscore":"7","dlpeng":"None","dlpdict":"None","location":"new-gre","dept":"Support","cip":"10.10.19.250","sip":"40.105.120.40","reqmethod":"GET","respcode":"200","ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86","ereferer":"None","ruletype":"None","rulelabel":"None","contenttype":"text/html","unscannabletype":"None","deviceowner":"user0031","devicehostname":"LAPTOP-1110"}}"##,
        ip: "10.10.19.250",
        user: Some("user0031"),
    },
    Case {
        format: "panos",
        header: &[],
        line: r##"Nov  1 00:00:47 PA-3220 1,2026/11/01 00:00:47,013201001234,TRAFFIC,end,2561,2026/11/01 00:00:47,10.3.200.99,108.140.222.61,198.51.100.7,108.140.222.61,allow-web-outbound,corp\user0297,,shop-base,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default-fwd,2026/11/01 00:00:47,100022,1,38450,80,30718,80,0x400053,tcp,allow,1043,477,566,4,2026/11/01 00:00:47,0,social-networking,0,7000001,0x0,10.0.0.0-10.255.255.255,United States,0,2,2,tcp-fin,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0,c6a7f3d2-91b4-4c0a-8e6f-2d7b5a9e4c10,0,0,,,,,,,"##,
        ip: "10.3.200.99",
        user: Some("user0297"),
    },
    Case {
        format: "cef",
        header: &[],
        line: r##"<134>Nov  1 00:04:59 swg01 CEF:0|Contoso|Secure Web Gateway|4.2.1|100|HTTP transaction|1|rt=1793491499116 src=10.58.203.230 spt=53927 suser=user0263 dhost=us-east-1.yandex.cloud dst=66.233.201.69 dpt=443 requestMethod=GET request=https://us-east-1.yandex.cloud/files/drive.zip requestClientApplication=Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 in=6481 out=251 act=allowed outcome=200 cat=Email app=HTTPS deviceDirection=1 cs1Label=Policy cs1=Default Allow cs2Label=AppName cs2=Yandex"##,
        ip: "10.58.203.230",
        user: Some("user0263"),
    },
    Case {
        format: "fortigate",
        header: &[],
        line: r##"<189>date=2026-11-01 time=00:06:13 devname="FGT60E-HQ" devid="FGT60E4Q16000001" eventtime=1793491573336540000 tz="+0000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.8.174.225 srcport=65438 srcintf="internal" srcintfrole="lan" dstip=108.140.222.62 dstport=80 dstintf="wan1" dstintfrole="wan" sessionid=560782103 proto=6 action="close" policyid=1 service="HTTP" user="user0226" trandisp="snat" duration=0 sentbyte=523 rcvdbyte=756 sentpkt=1 rcvdpkt=1 app="Shop" appcat="Storage.Backup""##,
        ip: "10.8.174.225",
        user: Some("user0226"),
    },
    Case {
        format: "leef",
        header: &[],
        line: r##"<134>Nov  1 00:14:51 swg02 LEEF:1.0|Forcepoint|Security|8.5|transaction:permitted|devTime=1793492091637	src=10.34.78.80	srcPort=55134	dst=34.161.215.19	dstPort=80	usrName=user0240	srcBytes=508	dstBytes=295031	requestMethod=GET	url=http://www.buff.ly/events/img/upload/c8795d4f	action=permitted	cat=News"##,
        ip: "10.34.78.80",
        user: Some("user0240"),
    },
    Case {
        format: "cisco-asa",
        header: &[],
        line: r##"<166>Nov  1 00:04:33 asa01 %ASA-6-302014: Teardown TCP connection 461205626 for outside:72.233.199.75/80 to inside:10.60.154.38/26505 duration 0:00:00 bytes 3561 TCP FINs"##,
        ip: "10.60.154.38",
        user: None,
    },
    Case {
        format: "sonicwall",
        header: &[],
        line: r##"<134>id=firewall sn=0017C5A1B2C3 time="2026-11-01 00:05:43 UTC" fw=203.0.113.1 pri=6 c=1024 m=97 msg="Web site hit" n=17978014 src=10.40.255.186:3991:X0 dst=66.213.245.26:80:X1 proto=tcp/http usr="user0002" dstname=acquia-sites.com arg=/share/docs.json op=GET"##,
        ip: "10.40.255.186",
        user: Some("user0002"),
    },
    Case {
        format: "juniper-srx",
        header: &[],
        line: r##"<14>1 2026-11-01T00:21:49.708Z srx01 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.129 reason="TCP FIN" source-address="10.61.138.91" source-port="42132" destination-address="34.68.105.18" destination-port="443" connection-tag="0" service-name="junos-https" nat-source-address="203.0.113.5" nat-source-port="42132" nat-destination-address="34.68.105.18" nat-destination-port="443" nat-connection-tag="0" src-nat-rule-type="source rule" src-nat-rule-name="snat-out" dst-nat-rule-type="N/A" dst-nat-rule-name="N/A" protocol-id="6" policy-name="allow-web" source-zone-name="trust" destination-zone-name="untrust" session-id-32="497154168" packets-from-client="35" bytes-from-client="48767" packets-from-server="132" bytes-from-server="184375" elapsed-time="0" application="SSL" nested-application="UNKNOWN" username="user1008" roles="N/A" packet-incoming-interface="ge-0/0/1.0" encrypted="No"]"##,
        ip: "10.61.138.91",
        user: Some("user1008"),
    },
    Case {
        format: "sophos",
        header: &[],
        line: r##"<30>device="SFW" date=2026-11-01 time=00:08:53 timezone="UTC" device_name="XG230" device_id=C01001K2PRT8H1X log_id=010101600001 log_type="Content Filtering" log_component="HTTP" log_subtype="Allowed" status="" priority=Information fw_rule_id=5 user_name="user0488" user_gp="Staff" iap=13 category="Business/Economy" category_type="Acceptable" url="http://www.photo-2950.example-unknown.org/v1/media/img.png" contenttype="image/png" src_ip=10.27.66.148 dst_ip=208.63.79.83 protocol="TCP" src_port=12980 dst_port=80 sent_bytes=1014 recv_bytes=111429 domain=www.photo-2950.example-unknown.org exceptions="" activityname="" reason="" user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" status_code="200""##,
        ip: "10.27.66.148",
        user: Some("user0488"),
    },
    Case {
        format: "stormshield",
        header: &[],
        line: r##"<134>Nov  1 00:12:16 SN310 asqd: id=firewall time="2026-11-01 00:12:16" fw="SN310" tz=+0000 startime="2026-11-01 00:12:16" pri=5 confid=01 slotlevel=2 ruleid=9 srcif="Ethernet1" srcifname="in" ipproto=tcp dstif="Ethernet0" dstifname="out" proto=ssl src=10.40.115.41 srcport=12930 srcportname=ephemeral_fw_tcp dst=54.206.15.73 dstport=443 dstportname=https dstname=prnt.sc user="user2018" sent=272 rcvd=163924 duration=3.795 action=pass logtype="connection""##,
        ip: "10.40.115.41",
        user: Some("user2018"),
    },
    Case {
        format: "welf",
        header: &[],
        line: r##"<14>Nov  1 00:07:45 srx02 id=firewall time="2026-11-01 00:07:45" fw=203.0.113.2 pri=6 proto=http src=10.10.89.118:37532 dst=35.199.197.90:80 dstname=canvaslms.com arg=/inbox/950edab9 op=GET result=200 user="user0039" sent=782 rcvd=1796 msg="session close""##,
        ip: "10.10.89.118",
        user: Some("user0039"),
    },
    Case {
        format: "zeek",
        header: &[
            r##"#separator \x09"##,
            r##"#set_separator	,"##,
            r##"#empty_field	(empty)"##,
            r##"#unset_field	-"##,
            r##"#path	http"##,
            r##"#open	2026-11-01-00-00-00"##,
            r##"#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	trans_depth	method	host	uri	referrer	version	user_agent	origin	request_body_len	response_body_len	status_code	status_msg	info_code	info_msg	tags	username	password	proxied	orig_fuids	orig_filenames	orig_mime_types	resp_fuids	resp_filenames	resp_mime_types"##,
            r##"#types	time	string	addr	port	addr	port	count	string	string	string	string	string	string	string	count	count	count	string	count	string	set[enum]	string	string	set[string]	vector[string]	vector[string]	vector[string]	vector[string]	vector[string]	vector[string]"##,
        ],
        line: r##"1793491528.435399	C5f2b949b08a1	10.35.177.212	30385	66.172.224.83	443	1	CONNECT	api.workday.com	/	-	1.1	Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1	-	549	6466	200	OK	-	-	(empty)	-	-	-	-	-	-	-	-	-"##,
        ip: "10.35.177.212",
        user: None,
    },
    Case {
        format: "juniper-ssg",
        header: &[],
        line: r##"<134>Nov  1 00:03:02 10.1.1.1 ssg550: NetScreen device_id=ssg550  [Root]system-notification-00257(traffic): start_time="2026-11-01 00:03:02" duration=0 policy_id=2 service=http proto=6 src zone=Trust dst zone=Untrust action=Permit sent=274 rcvd=2748 src=10.27.222.96 dst=23.66.145.126 src_port=6452 dst_port=80 session_id=21803 reason=Close - TCP FIN"##,
        ip: "10.27.222.96",
        user: None,
    },
    Case {
        format: "watchguard",
        header: &[],
        line: r##"<140>Nov  1 00:11:49 FireboxM400 801F0000000000 (2026-11-01T00:11:49) http-proxy[2100]: msg_id="1AFF-0024" Allow 1-Trusted 0-External tcp 10.27.230.11 151.223.162.91 21918 80 msg="HTTP request" proxy_act="HTTP-Client.Standard" op="GET" dstname="us-east-1.mulesoft.com" arg="/8f38d819.json" sent_bytes="671" rcvd_bytes="4503" elapsed_time="0.032 sec(s)" src_user="noah.kim814@Firebox-DB" (HTTP-proxy-00)"##,
        ip: "10.27.230.11",
        user: Some("noah.kim814"),
    },
    Case {
        format: "cisco-meraki",
        header: &[],
        line: r##"<134>1 1793491490.402840123 MX84 urls src=10.17.92.58:51718 dst=40.100.65.114:443 mac=00:18:0A:12:34:56 agent='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' request: CONNECT https://amazon.se:443/"##,
        ip: "10.17.92.58",
        user: None,
    },
    Case {
        format: "checkpoint",
        header: &[],
        line: r##"<134>1 2026-11-01T00:02:59Z gw-cp01 CheckPoint 15190 - [action:"Accept"; flags:"411908"; ifdir:"outbound"; loguid:"{0xc08fca19,0x0,0x0,0x0}"; origin:"203.0.113.5"; time:"1793491379"; version:"5"; src:"10.30.204.235"; dst:"204.101.151.23"; proto:"6"; s_port:"9612"; service:"80"; client_inbound_bytes:"38535"; client_outbound_bytes:"336"; http_host:"api.login.windows.net"; resource:"http://api.login.windows.net/public/download/70e9adff?id=251530"; appi_name:"Windows"; src_user_name:"user0816"; product:"URL Filtering"]"##,
        ip: "10.30.204.235",
        user: Some("user0816"),
    },
    Case {
        format: "netskope",
        header: &[],
        line: r##"{"date":"2026-11-01","time":"00:07:03","c-ip":"10.61.51.198","s-ip":"40.168.205.64","cs-host":"www.sport-1269.example.co.uk","cs-uri-scheme":"http","cs-uri":"/docs/export/upload","cs-uri-port":"80","cs-method":"GET","cs-username":"user0479@corp.example","cs-bytes":"795","sc-bytes":"7434","sc-status":"200","cs-user-agent":"Microsoft SkyDriveSync 24.201.1006.0005 ship; Windows NT 10.0 (22631)","x-cs-app":"Example","x-policy-action":"allow","x-transaction-id":"1793491623472192"}"##,
        ip: "10.61.51.198",
        user: Some("user0479"),
    },
    Case {
        format: "menlo",
        header: &[],
        line: r##"{"event_time":"2026-11-01T00:06:15Z","origin_ip":"10.15.153.195","dst":"216.230.147.114","url":"https://temu.com/api/upload/718f0b27?q=s&page=3","domain":"temu.com","userid":"user0118@corp.example","pe_action":"allow","categories":"Email","user-agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0","status_code":"200","event_type":"web","product":"MSIP","vendor":"Menlo Security"}"##,
        ip: "10.15.153.195",
        user: Some("user0118"),
    },
    Case {
        format: "iboss",
        header: &[],
        line: r##"<134>Nov  1 00:12:35 iboss-gw01 iboss: {"proxyTransactionStartTime":1793491955,"sourceIpAddress":"10.31.199.182","ipAddress":"40.105.120.38","destinationPort":80,"host":"travel-9940.example-unknown.com","url":"http://travel-9940.example-unknown.com/","username":"user0430","upstreamByteUsage":659,"downstreamByteUsage":75828,"totalByteCount":76487,"proxyRule":"Default","action":"Allowed","categories":"Email","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0","responseCode":200}"##,
        ip: "10.31.199.182",
        user: Some("user0430"),
    },
    Case {
        format: "barracuda",
        header: &[],
        line: r##"{"timestamp":1793491850393,"log_type":"WF","traffic_type":1,"source_ip":"10.52.176.80","destination_ip":"52.237.53.83","destination_port":443,"domain":"blog-3971.example-unknown.de","name":"https://blog-3971.example-unknown.de:443/","user":"user0361","size":12434,"action":0,"category":"Web Storage"}"##,
        ip: "10.52.176.80",
        user: Some("user0361"),
    },
    Case {
        format: "cisco-umbrella",
        header: &[],
        line: r##""2026-11-01 00:09:42","maria.smith495 (maria.smith495@corp.example)","10.15.228.63","203.0.113.9","108.252.19.14","application/javascript","ALLOWED",https://web.duosecurity.com/share/f8965e75.js?q=media&page=6,"","Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","200","733","2662","2662","","Technology/Internet","","","","","","AD Users","","maria.smith495","AD Users","GET","","","","","","""##,
        ip: "10.15.228.63",
        user: Some("maria.smith495"),
    },
    Case {
        format: "forcepoint-csv",
        header: &[],
        line: r##""01/11/2026","00:07:22",CORP\user1618,"Not available","Email","Allowed","Business Usage,None","Default",files.signal.me/cdn/ccb33324.json,"203.0.113.9","64.152.92.104","10.58.112.165","None","None","Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","200","Post""##,
        ip: "10.58.112.165",
        user: Some("user1618"),
    },
    Case {
        format: "cisco-wsa",
        header: &[],
        line: r##"1793491637.267 29 10.3.252.16 TCP_MISS/200 2419 POST http://auth.shop.app/home/export/v2 user0372 DIRECT/auth.shop.app text/html DEFAULT_CASE_12-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9,-,"-",-,-,-,-> -"##,
        ip: "10.3.252.16",
        user: Some("user0372"),
    },
    Case {
        format: "mcafee-wg",
        header: &[],
        line: r##"<134>Nov  1 00:02:17 mwg01 mwg: [01/Nov/2026:00:02:17 +0000] "user2740" 10.1.169.214 200 "GET https://gl8v3q19.linecorp.com/index.docx HTTP/1.1" "News" "Minimal Risk" "application/vnd.openxmlformats-officedocument.wordprocessingml.document" 50609 "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" "" "0""##,
        ip: "10.1.169.214",
        user: Some("user2740"),
    },
];

/// Sniff `header + line`, parse it with the detected format; the record of the last line.
fn read(case: &Case, line: &str) -> Result<(String, cloudcensus::formats::Record<'static>), String> {
    let reg = Registry::new(Vec::new());
    let ctx = ParseCtx::default();
    let mut all: Vec<&[u8]> = case.header.iter().map(|h| h.as_bytes()).collect();
    all.push(line.as_bytes());
    let f = reg.sniff(&all, &ctx).ok_or("not recognised")?;
    let mut p = f.parser(&ctx);
    for h in case.header {
        p.parse(h.as_bytes()).map_err(|e| format!("header: {}", e.reason))?;
    }
    match p.parse(line.as_bytes()).map_err(|e| e.reason.to_string())? {
        Line::Record(r) => Ok((f.info().id.clone(), r.into_owned())),
        other => Err(format!("not a record: {other:?}")),
    }
}

fn check(case: &Case, variant: &str, line: &str, ip: &str, user: Option<&str>, failures: &mut Vec<String>) {
    match read(case, line) {
        Err(e) => failures.push(format!("{} / {variant}: {e}\n    {line}", case.format)),
        Ok((id, r)) => {
            if id != case.format {
                failures.push(format!("{} / {variant}: recognised as {id}", case.format));
            }
            let got_ip = r.source_ip.map(|i| i.to_string());
            if got_ip.as_deref() != Some(ip) {
                failures.push(format!("{} / {variant}: source_ip {got_ip:?}, want {ip}", case.format));
            }
            if let Some(u) = user {
                if !r.user.as_deref().is_some_and(|x| x.contains(u)) {
                    failures.push(format!(
                        "{} / {variant}: user {:?}, want one containing {u:?}",
                        case.format, r.user
                    ));
                }
            }
        }
    }
}

#[test]
fn every_format_in_every_variant() {
    let mut failures = Vec::new();
    for c in &CASES {
        check(c, "as is", c.line, c.ip, c.user, &mut failures);
        // An IPv6 client (formats that write `ip:port` get the bracketed form).
        let v6 = "2001:db8:0:1::5";
        let line = if c.format == "sonicwall" {
            // SonicWall writes IPv6 in srcV6, leaving the address part of src empty.
            c.line.replace(&format!("src={}:", c.ip), &format!("srcV6={v6} src=:"))
        } else if c.line.contains(&format!("{}:", c.ip)) && !c.line.contains(&format!("{}:\"", c.ip)) {
            c.line.replace(&format!("{}:", c.ip), &format!("[{v6}]:"))
        } else {
            c.line.replace(c.ip, v6)
        };
        check(c, "IPv6 client", &line, v6, c.user, &mut failures);
        // A non-ASCII user name.
        if let Some(u) = c.user {
            let line = c.line.replace(u, "jürgen.groß");
            check(c, "non-ASCII user", &line, c.ip, Some("jürgen.groß"), &mut failures);
        }
        // Syslog framing in front (for lines that do not carry a syslog header already).
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let framed = c.line.starts_with('<') || months.iter().any(|m| c.line.starts_with(&format!("{m} ")));
        if !framed && c.header.is_empty() {
            let l3164 = format!("<134>Nov 20 08:00:00 loghost {}", c.line);
            check(c, "RFC 3164 syslog", &l3164, c.ip, c.user, &mut failures);
            let l5424 = format!("<134>1 2026-11-20T08:00:00Z loghost proxy - - - {}", c.line);
            check(c, "RFC 5424 syslog", &l5424, c.ip, c.user, &mut failures);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
