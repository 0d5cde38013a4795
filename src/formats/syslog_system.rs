//! System messages of the operating systems under the devices (`cron[123]: (root) CMD (…)`,
//! `sshd[77]: Accepted publickey for admin…`, `ntpd`, `kernel`…), as they arrive in a
//! firewall's or a collector's syslog file: recognised and skipped (`syslog system message
//! (cron)`), never malformed. A nightly job must not exit 3 because a firewall's BSD base
//! logs its cron runs.
//!
//! A line is one only when it has a syslog header (RFC 5424, or an RFC 3164 time, optionally a
//! host) and its program tag is one of the Unix daemons listed here; any other unknown line is
//! still reported as malformed.

use super::{Format, FormatInfo, Line, LineParser, ParseCtx, Reject};

builtin_format! {
    /// Operating-system syslog messages (skipped).
    SyslogSystem {
        id: "syslog-system",
        vendor: "Any device's operating system",
        variant: "syslog messages of Unix daemons (cron, sshd, ntpd, kernel…): skipped",
        description: "System syslog messages (cron, sshd, ntpd, kernel, systemd…): recognised and skipped, no traffic",
        attributes: [],
    }
}

impl Format for SyslogSystem {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn claims(&self, line: &[u8]) -> bool {
        daemon(line).is_some()
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(SystemParser)
    }
}

/// Program names of Unix daemons that firewalls and proxies run on their base system.
const DAEMONS: [&str; 40] = [
    "cron",
    "CRON",
    "crond",
    "anacron",
    "atd",
    "sshd",
    "sudo",
    "su",
    "login",
    "ntpd",
    "chronyd",
    "systemd",
    "systemd-logind",
    "kernel",
    "dhclient",
    "dhcpd",
    "named",
    "syslogd",
    "rsyslogd",
    "syslog-ng",
    "newsyslog",
    "inetd",
    "xinetd",
    "snmpd",
    "postfix",
    "sendmail",
    "auditd",
    "polkitd",
    "dbus-daemon",
    "NetworkManager",
    "logrotate",
    "ntpdate",
    "smartd",
    "lighttpd",
    "nginx",
    "httpd",
    "php-fpm",
    "dnsmasq",
    "unbound",
    "init",
];

/// The daemon of a syslog line: `Mmm dd hh:mm:ss host tag[pid]: …` or
/// `<PRI>1 TIMESTAMP HOST tag PROCID …`.
fn daemon(line: &[u8]) -> Option<&str> {
    let head = std::str::from_utf8(&line[..line.len().min(160)]).ok()?;
    let head = head.trim_start();
    let rest = head
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map_or(head, |(_, r)| r);
    let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).take(8).collect();
    // RFC 5424: `1 TIMESTAMP HOST APP PROCID`.
    if words.first() == Some(&"1") && words.get(1).is_some_and(|t| t.len() >= 19 && t.as_bytes()[4] == b'-') {
        let app = *words.get(3)?;
        return DAEMONS.contains(&app).then_some(app);
    }
    // RFC 3164: `Mmm dd hh:mm:ss HOST tag[pid]:` (the host may be missing).
    super::time::month_abbrev(words.first()?.as_bytes())?;
    words.get(2).filter(|t| t.len() == 8 && t.as_bytes()[2] == b':')?;
    for w in words.iter().skip(3).take(2) {
        if let Some(tag) = w.strip_suffix(':') {
            let name = tag.split('[').next().unwrap_or(tag);
            if DAEMONS.contains(&name) {
                return Some(name);
            }
        }
    }
    None
}

struct SystemParser;

impl LineParser for SystemParser {
    fn parse<'a>(&mut self, raw: &'a [u8]) -> Result<Line<'a>, Reject> {
        if raw.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        match daemon(raw) {
            Some(d) => Ok(Line::skip(format!("syslog system message ({d})"))),
            None => Err("not a system syslog message of a known daemon".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemons_only_with_a_syslog_header() {
        for (line, want) in [
            (
                "<78>May  1 12:00:00 srx-edge cron[1234]: (root) CMD (newsyslog)",
                Some("cron"),
            ),
            (
                "May  1 12:00:00 fw01 sshd[77]: Accepted publickey for admin from 10.0.0.9",
                Some("sshd"),
            ),
            (
                "<30>1 2024-05-01T12:00:00+02:00 fw01 ntpd 812 - - time reset +0.2 s",
                Some("ntpd"),
            ),
            (
                "May  1 12:00:00 fw01 kernel: em0: link state changed to UP",
                Some("kernel"),
            ),
            ("cron[1234]: (root) CMD (newsyslog)", None),
            ("May  1 12:00:00 fw01 myproxy[1]: 10.0.0.1 GET http://x/", None),
        ] {
            assert_eq!(daemon(line.as_bytes()), want, "{line}");
        }
        let mut p = SyslogSystem::new().parser(&ParseCtx::default());
        assert!(matches!(
            p.parse(b"May  1 12:00:00 fw01 cron[1]: (root) CMD (x)"),
            Ok(Line::Ignored(_))
        ));
        assert!(p.parse(b"hello").is_err());
    }
}
