//! Alert delivery: a webhook (HTTP POST of the alert JSON, or of a PagerDuty Events API v2
//! event) and e-mail over SMTP (the seed's PagerDuty integration works by e-mail).
//!
//! Webhooks go over `http://` or `https://` (ureq with rustls and the Mozilla root
//! certificates), so PagerDuty's Events API, Slack or Teams incoming webhooks are reached
//! directly. E-mail speaks plain SMTP without TLS or authentication, i.e. to a relay on the
//! local network (Postfix, an SMTP relay host). Each delivery is tried up to `attempts` times with a growing pause; the
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
        /// Events API URL (`https://events.pagerduty.com/v2/enqueue`).
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
            // The routing key picks the PagerDuty service; it is a secret, so only a hash of it
            // goes into the state file.
            Target::PagerDuty { url, routing_key } => format!(
                "pagerduty:{url}#{:016x}",
                crate::base::hash::fnv1a(&[routing_key.as_bytes()])
            ),
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

/// POST `body` as JSON to an `http://` or `https://` URL (TLS by rustls with the Mozilla root
/// certificates); Ok on a 2xx status.
pub fn http_post(url: &str, body: &[u8], timeout: Duration) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url}: a webhook URL must start with http:// or https://"));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("cloudcensus/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(|e| format!("{url}: {e}"))?;
    let code = resp.status().as_u16();
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
            "timestamp": crate::base::time::format_rfc3339(a.start_us),
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
    let date = crate::base::time::format_rfc3339(crate::base::time::now_us());
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

/// One delivery's result, for `run.json`.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct DeliveryReport {
    /// Alert id.
    pub alert_id: String,
    /// Target.
    pub target: String,
    /// Tries.
    pub attempts: u32,
    /// Whether it arrived.
    pub delivered: bool,
    /// Last error.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_webhooks_speak_tls_and_bad_urls_are_refused() {
        // A server that is not TLS: the handshake must fail with a TLS error, recorded as such.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let mut s = s;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let e = http_post(&format!("https://127.0.0.1:{port}/hook"), b"{}", Duration::from_secs(5)).unwrap_err();
        assert!(e.starts_with(&format!("https://127.0.0.1:{port}/hook: ")), "{e}");
        assert!(!e.contains("HTTP 200"), "{e}");
        let e = http_post("ftp://x/y", b"{}", Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("must start with http:// or https://"), "{e}");
    }
}
