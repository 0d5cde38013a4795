//! Alert delivery: a webhook (HTTP POST of the alert JSON, or of a PagerDuty Events API v2
//! event) and e-mail over SMTP (the seed's PagerDuty integration works by e-mail).
//!
//! Both speak the plain protocols directly over TCP with timeouts: `http://` webhooks and SMTP
//! without TLS or authentication, i.e. a relay on the local network (Postfix, an SMTP relay
//! host, a webhook gateway). An `https://` webhook is refused with an error saying so, never
//! silently dropped. Each delivery is tried up to `attempts` times with a growing pause; the
//! outcome of every target is returned so that the state store records it, and undelivered
//! alerts are tried again by the next run.

use super::Alert;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where alerts go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// HTTP POST of the alert record.
    Webhook(String),
    /// HTTP POST of a PagerDuty Events API v2 event to `url` with this routing key.
    PagerDuty {
        /// Events API URL (e.g. `http://relay/v2/enqueue`).
        url: String,
        /// Routing (integration) key.
        routing_key: String,
    },
    /// E-mail to this address.
    Email(String),
}

impl Target {
    /// A stable text form, for the state store and `run.json`.
    pub fn key(&self) -> String {
        match self {
            Target::Webhook(u) => format!("webhook:{u}"),
            Target::PagerDuty { url, .. } => format!("pagerduty:{url}"),
            Target::Email(a) => format!("email:{a}"),
        }
    }
}

/// SMTP settings (`[alerts.smtp]` in the config).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// `host:port` of the relay.
    pub server: String,
    /// Envelope and header sender.
    pub from: String,
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SMTP relay (needed for e-mail targets).
    pub smtp: Option<Smtp>,
    /// Tries per target.
    pub attempts: u32,
    /// Connect/read/write timeout.
    pub timeout: Duration,
    /// Pause before the second try (doubled after each failure).
    pub backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            smtp: None,
            attempts: 3,
            timeout: Duration::from_secs(10),
            backoff: Duration::from_millis(500),
        }
    }
}

/// Outcome of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Target key.
    pub target: String,
    /// Tries made.
    pub attempts: u32,
    /// `None` when delivered, else the last error.
    pub error: Option<String>,
}

fn connect(host_port: &str, timeout: Duration) -> Result<TcpStream, String> {
    let addrs = host_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host_port}: {e}"))?;
    let mut last = format!("{host_port}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
                s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) => last = format!("cannot connect to {a}: {e}"),
        }
    }
    Err(last)
}

/// POST `body` as JSON to an `http://` URL; Ok on a 2xx status.
pub fn http_post(url: &str, body: &[u8], timeout: Duration) -> Result<(), String> {
    if url.starts_with("https://") {
        return Err(format!(
            "{url}: https webhooks are not supported (no TLS in this build); point the webhook at a local http:// relay that forwards over TLS"
        ));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: a webhook URL must start with http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host_port = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut s = connect(&host_port, timeout)?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: cloudcensus/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body))
        .and_then(|_| s.flush())
        .map_err(|e| format!("{url}: write failed: {e}"))?;
    let mut status = String::new();
    BufReader::new(&mut s)
        .read_line(&mut status)
        .map_err(|e| format!("{url}: no response: {e}"))?;
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{url}: not an HTTP response: {:?}", status.trim()))?;
    if (200..300).contains(&code) {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {code}"))
    }
}

/// The PagerDuty Events API v2 `trigger` event for an alert (dedup key = alert id, so
/// PagerDuty folds repeats into one incident).
pub fn pagerduty_event(a: &Alert, routing_key: &str) -> serde_json::Value {
    let severity = match a.severity {
        crate::policy::model::Severity::High => "critical",
        crate::policy::model::Severity::Medium => "warning",
        crate::policy::model::Severity::Low => "info",
    };
    let summary: String = a.description.chars().take(1024).collect();
    serde_json::json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": a.id,
        "payload": {
            "summary": summary,
            "source": "cloudcensus",
            "severity": severity,
            "timestamp": crate::formats::time::format_rfc3339(a.start_us),
            "component": a.apps.join(", "),
            "group": a.policy_id,
            "class": a.category,
            "custom_details": a.to_json(),
        }
    })
}

fn smtp_reply(r: &mut BufReader<&TcpStream>, want: &[u8]) -> Result<(), String> {
    loop {
        let mut line = String::new();
        r.read_line(&mut line).map_err(|e| format!("SMTP read failed: {e}"))?;
        if line.len() < 4 {
            return Err(format!("SMTP: unexpected reply {:?}", line.trim()));
        }
        if line.as_bytes()[3] == b'-' {
            continue; // multi-line reply
        }
        if want.iter().any(|c| line.as_bytes()[0] == *c) {
            return Ok(());
        }
        return Err(format!("SMTP: server said {:?}", line.trim()));
    }
}

/// Send one e-mail through an SMTP relay (no TLS, no authentication).
pub fn send_mail(smtp: &Smtp, to: &str, subject: &str, body: &str, timeout: Duration) -> Result<(), String> {
    let s = connect(&smtp.server, timeout)?;
    let mut r = BufReader::new(&s);
    let mut w = &s;
    let cmd = |w: &mut &TcpStream, r: &mut BufReader<&TcpStream>, line: &str, want: &[u8]| {
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\r\n"))
            .map_err(|e| format!("SMTP write failed: {e}"))?;
        smtp_reply(r, want)
    };
    smtp_reply(&mut r, b"2")?;
    cmd(&mut w, &mut r, "EHLO cloudcensus", b"2")?;
    cmd(&mut w, &mut r, &format!("MAIL FROM:<{}>", smtp.from), b"2")?;
    cmd(&mut w, &mut r, &format!("RCPT TO:<{to}>"), b"2")?;
    cmd(&mut w, &mut r, "DATA", b"3")?;
    let date = crate::formats::time::format_rfc3339(crate::report::now_us());
    let mut msg = format!(
        "From: {}\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nX-Mailer: cloudcensus\r\n\r\n",
        smtp.from,
        subject.replace(['\r', '\n'], " ")
    );
    for line in body.lines() {
        if line.starts_with('.') {
            msg.push('.'); // dot-stuffing
        }
        msg.push_str(line);
        msg.push_str("\r\n");
    }
    msg.push('.');
    cmd(&mut w, &mut r, &msg, b"2")?;
    let _ = cmd(&mut w, &mut r, "QUIT", b"2");
    Ok(())
}

fn with_retries(settings: &Settings, mut f: impl FnMut() -> Result<(), String>) -> (u32, Option<String>) {
    let mut pause = settings.backoff;
    let mut last = None;
    for attempt in 1..=settings.attempts.max(1) {
        match f() {
            Ok(()) => return (attempt, None),
            Err(e) => last = Some(e),
        }
        if attempt < settings.attempts {
            std::thread::sleep(pause);
            pause *= 2;
        }
    }
    (settings.attempts.max(1), last)
}

/// Deliver one alert to one target, with retries.
pub fn deliver(a: &Alert, target: &Target, settings: &Settings) -> Outcome {
    let (attempts, error) = match target {
        Target::Webhook(url) => {
            let body = serde_json::to_vec(&a.to_json()).expect("JSON");
            with_retries(settings, || http_post(url, &body, settings.timeout))
        }
        Target::PagerDuty { url, routing_key } => {
            let body = serde_json::to_vec(&pagerduty_event(a, routing_key)).expect("JSON");
            with_retries(settings, || http_post(url, &body, settings.timeout))
        }
        Target::Email(to) => match &settings.smtp {
            None => (
                0,
                Some("no [alerts.smtp] server configured for e-mail delivery".to_string()),
            ),
            Some(smtp) => {
                let subject = format!(
                    "[cloudcensus] {} alert: {} — {}",
                    a.severity.title(),
                    a.policy_name,
                    a.user.as_deref().unwrap_or("unknown user")
                );
                let body = format!(
                    "{}\n\nAlert id: {}\nPolicy: {} ({})\nSeverity: {}\n\n{}\n",
                    a.description,
                    a.id,
                    a.policy_name,
                    a.policy_id,
                    a.severity.title(),
                    serde_json::to_string_pretty(&a.to_json()).expect("JSON")
                );
                with_retries(settings, || send_mail(smtp, to, &subject, &body, settings.timeout))
            }
        },
    };
    Outcome {
        target: target.key(),
        attempts,
        error,
    }
}
