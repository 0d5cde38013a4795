//! Alert delivery: a webhook (HTTP POST of the alert JSON, or of a PagerDuty Events API v2
//! event) and e-mail over SMTP (the seed's PagerDuty integration works by e-mail).
//!
//! Webhooks go over `http://` or `https://` (ureq with rustls and the Mozilla root
//! certificates), so PagerDuty's Events API, Slack or Teams incoming webhooks are reached
//! directly. E-mail speaks plain SMTP without TLS or authentication, i.e. to a relay on the
//! local network (Postfix, an SMTP relay host).
//!
//! A failure is a [`DeliveryError`], which says whether trying again can help: a connection
//! that could not be made or timed out, HTTP 429 or 5xx, an SMTP 4xx reply are transient and
//! are tried up to `attempts` times with a doubling pause; a bad URL, TLS failure, HTTP 4xx,
//! SMTP 5xx reply or missing SMTP server are permanent and are recorded at once, with their
//! reason. The outcome of every target is returned so that the state store records it, and
//! undelivered alerts are tried again by the next run (after the config is fixed, say).

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

/// Why a delivery failed, and whether trying again can help ([`DeliveryError::is_transient`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The target could not be reached: name resolution, connection, timeout, a connection cut
    /// during the exchange. Transient.
    #[error("{0}")]
    Network(String),
    /// The webhook URL is not `http://` or `https://`. Permanent.
    #[error("{url}: a webhook URL must start with http:// or https://")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// The HTTP exchange failed for a reason that retrying does not change (TLS, a bad URI, a
    /// redirect loop, a protocol error). Permanent.
    #[error("{url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server answered with a status other than 2xx: 429 and 5xx are transient, the
    /// others permanent.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The SMTP server refused: a 4xx reply is transient, a 5xx reply permanent.
    #[error("SMTP: server said {reply:?}")]
    SmtpReply {
        /// The reply line.
        reply: String,
    },
    /// An e-mail target without an `[alerts.smtp]` server. Permanent.
    #[error("no [alerts.smtp] server configured for e-mail delivery")]
    NoSmtp,
}

impl DeliveryError {
    /// Whether the same delivery may succeed if tried again later.
    pub fn is_transient(&self) -> bool {
        match self {
            DeliveryError::Network(_) => true,
            DeliveryError::Status { status, .. } => *status == 429 || *status >= 500,
            DeliveryError::SmtpReply { reply } => reply.starts_with('4'),
            DeliveryError::BadUrl { .. } | DeliveryError::Http { .. } | DeliveryError::NoSmtp => false,
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
    /// The last error cannot go away by trying again (it was not tried again).
    pub permanent: bool,
}

fn connect(host_port: &str, timeout: Duration) -> Result<TcpStream, DeliveryError> {
    let addrs = host_port
        .to_socket_addrs()
        .map_err(|e| DeliveryError::Network(format!("cannot resolve {host_port}: {e}")))?;
    let mut last = format!("{host_port}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                let set = |r: std::io::Result<()>| r.map_err(|e| DeliveryError::Network(e.to_string()));
                set(s.set_read_timeout(Some(timeout)))?;
                set(s.set_write_timeout(Some(timeout)))?;
                return Ok(s);
            }
            Err(e) => last = format!("cannot connect to {a}: {e}"),
        }
    }
    Err(DeliveryError::Network(last))
}

/// A ureq failure as a delivery error: what can pass (connection, timeout, I/O) is transient.
fn http_error(url: &str, e: ureq::Error) -> DeliveryError {
    match e {
        // rustls reports a failed handshake (a bad certificate, a server that does not speak
        // TLS) as invalid data on the socket: trying again does not change it.
        ureq::Error::Io(ref io) if io.kind() == std::io::ErrorKind::InvalidData => DeliveryError::Http {
            url: url.to_string(),
            reason: e.to_string(),
        },
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => DeliveryError::Network(format!("{url}: {e}")),
        ureq::Error::StatusCode(status) => DeliveryError::Status {
            url: url.to_string(),
            status,
        },
        e => DeliveryError::Http {
            url: url.to_string(),
            reason: e.to_string(),
        },
    }
}

/// POST `body` as JSON to an `http://` or `https://` URL (TLS by rustls with the Mozilla root
/// certificates); Ok on a 2xx status. `key` (the alert id) goes in an `Idempotency-Key` header:
/// a retried or repeated delivery of one alert carries the same key, so a receiver can drop
/// the duplicates (the body's `AlertId` is the same value).
pub fn http_post(url: &str, body: &[u8], timeout: Duration, key: Option<&str>) -> Result<(), DeliveryError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(DeliveryError::BadUrl { url: url.to_string() });
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("cloudcensus/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", "application/json");
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send(body).map_err(|e| http_error(url, e))?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(DeliveryError::Status {
            url: url.to_string(),
            status,
        })
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

fn smtp_reply(r: &mut BufReader<&TcpStream>, want: &[u8]) -> Result<(), DeliveryError> {
    loop {
        let mut line = String::new();
        r.read_line(&mut line)
            .map_err(|e| DeliveryError::Network(format!("SMTP read failed: {e}")))?;
        if line.len() < 4 {
            // A cut connection or a server that is not speaking SMTP yet.
            return Err(DeliveryError::Network(format!(
                "SMTP: unexpected reply {:?}",
                line.trim()
            )));
        }
        if line.as_bytes()[3] == b'-' {
            continue; // multi-line reply
        }
        if want.iter().any(|c| line.as_bytes()[0] == *c) {
            return Ok(());
        }
        return Err(DeliveryError::SmtpReply {
            reply: line.trim().to_string(),
        });
    }
}

/// Send one e-mail through an SMTP relay (no TLS, no authentication).
pub fn send_mail(smtp: &Smtp, to: &str, subject: &str, body: &str, timeout: Duration) -> Result<(), DeliveryError> {
    let s = connect(&smtp.server, timeout)?;
    let mut r = BufReader::new(&s);
    let mut w = &s;
    let cmd = |w: &mut &TcpStream, r: &mut BufReader<&TcpStream>, line: &str, want: &[u8]| {
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\r\n"))
            .map_err(|e| DeliveryError::Network(format!("SMTP write failed: {e}")))?;
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

/// Try `f` until it succeeds, fails permanently, or `attempts` tries are used up, pausing
/// (doubling from `backoff`) between tries. Returns the tries made and the last error.
fn with_retries(settings: &Settings, mut f: impl FnMut() -> Result<(), DeliveryError>) -> (u32, Option<DeliveryError>) {
    let mut pause = settings.backoff;
    let attempts = settings.attempts.max(1);
    let mut last = None;
    for attempt in 1..=attempts {
        match f() {
            Ok(()) => return (attempt, None),
            Err(e) if !e.is_transient() => return (attempt, Some(e)),
            Err(e) => last = Some(e),
        }
        if attempt < attempts {
            std::thread::sleep(pause);
            pause *= 2;
        }
    }
    (attempts, last)
}

/// Deliver one alert to one target, with retries.
pub fn deliver(a: &Alert, target: &Target, settings: &Settings) -> Outcome {
    let (attempts, error) = match target {
        Target::Webhook(url) => {
            let body = serde_json::to_vec(&a.to_json()).expect("JSON");
            with_retries(settings, || http_post(url, &body, settings.timeout, Some(&a.id)))
        }
        Target::PagerDuty { url, routing_key } => {
            let body = serde_json::to_vec(&pagerduty_event(a, routing_key)).expect("JSON");
            with_retries(settings, || http_post(url, &body, settings.timeout, Some(&a.id)))
        }
        Target::Email(to) => match &settings.smtp {
            None => (0, Some(DeliveryError::NoSmtp)),
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
        permanent: error.as_ref().is_some_and(|e| !e.is_transient()),
        error: error.map(|e| e.to_string()),
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
    /// The failure cannot go away by trying again (a bad URL, a TLS failure, HTTP 4xx other
    /// than 429, SMTP 5xx, no SMTP server): it was not tried again. The next run tries again
    /// all the same (the config may have been fixed).
    pub permanent: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn fast(attempts: u32) -> Settings {
        Settings {
            smtp: None,
            attempts,
            timeout: Duration::from_secs(5),
            backoff: Duration::from_millis(1),
        }
    }

    /// An HTTP server answering each request with the next status of `statuses` (the last one
    /// repeats); returns its URL and the number of requests it has seen.
    fn http_server(statuses: Vec<u16>) -> (String, Arc<AtomicUsize>) {
        let (url, seen, _) = http_server_heads(statuses);
        (url, seen)
    }

    /// [`http_server`], also keeping each request's head (lower-cased).
    fn http_server_heads(statuses: Vec<u16>) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>) {
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = heads.clone();
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten() {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let status = statuses[n.min(statuses.len() - 1)];
                // Read the request head and its body.
                let mut buf = Vec::new();
                let mut b = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => buf.extend_from_slice(&b[..k]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                keep.lock().unwrap().push(head.clone());
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let body_start = buf
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(buf.len(), |p| p + 4);
                let mut have = buf.len() - body_start;
                while have < len {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => have += k,
                    }
                }
                let _ = c.write_all(
                    format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
                );
            }
        });
        (url, seen, heads)
    }

    #[test]
    fn every_attempt_carries_the_alert_id_as_its_idempotency_key() {
        let (url, _, heads) = http_server_heads(vec![503, 200]);
        let o = deliver(&alert(), &Target::Webhook(url), &fast(3));
        assert!(o.error.is_none(), "{o:?}");
        let heads = heads.lock().unwrap();
        assert_eq!(heads.len(), 2, "a retry");
        for h in heads.iter() {
            assert!(h.contains("idempotency-key: cc-0000000000000001"), "{h}");
        }
    }

    fn alert() -> Alert {
        Alert {
            kind: Default::default(),
            id: "cc-0000000000000001".into(),
            policy_id: "p".into(),
            policy_name: "P".into(),
            severity: crate::policy::model::Severity::High,
            category: "threat-detection".into(),
            user: Some("jdoe@corp.example".into()),
            start_us: 0,
            end_us: 0,
            trigger_us: 0,
            generated_us: 0,
            count: 1,
            ips: Vec::new(),
            apps: Vec::new(),
            countries: Vec::new(),
            objects: Vec::new(),
            event_ids: Vec::new(),
            activities: Vec::new(),
            actions: Vec::new(),
            description: "d".into(),
            remediation: Vec::new(),
            status: "open".into(),
            resolution: None,
            is_new: true,
        }
    }

    #[test]
    fn transient_http_failures_are_retried_permanent_ones_are_not() {
        for (statuses, delivered, tries, permanent) in [
            (vec![400], false, 1, true),
            (vec![404], false, 1, true),
            (vec![503], false, 3, false),
            (vec![429], false, 3, false),
            (vec![500, 200], true, 2, false),
            (vec![204], true, 1, false),
        ] {
            let (url, seen) = http_server(statuses.clone());
            let o = deliver(&alert(), &Target::Webhook(url), &fast(3));
            assert_eq!(o.error.is_none(), delivered, "{statuses:?}: {o:?}");
            assert_eq!(o.attempts, tries, "{statuses:?}: {o:?}");
            assert_eq!(
                seen.load(Ordering::SeqCst),
                tries as usize,
                "{statuses:?}: requests made"
            );
            assert_eq!(o.permanent, permanent, "{statuses:?}: {o:?}");
        }
    }

    #[test]
    fn unreachable_targets_are_retried_bad_urls_are_not() {
        // A port nobody listens on: connection refused, a transient failure.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let o = deliver(
            &alert(),
            &Target::Webhook(format!("http://127.0.0.1:{port}/x")),
            &fast(3),
        );
        assert_eq!((o.attempts, o.permanent), (3, false), "{o:?}");
        let o = deliver(&alert(), &Target::Webhook("ftp://example.com/x".into()), &fast(3));
        assert_eq!((o.attempts, o.permanent), (1, true), "{o:?}");
        assert!(o.error.unwrap().contains("must start with http:// or https://"));
        let o = deliver(&alert(), &Target::Email("soc@corp.example".into()), &fast(3));
        assert_eq!((o.attempts, o.permanent), (0, true), "{o:?}");
    }

    /// An SMTP server that accepts up to RCPT TO, then answers it with `rcpt`.
    fn smtp_server(rcpt: &'static str) -> (String, Arc<AtomicUsize>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let seen = Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let mut w = c.try_clone().unwrap();
                let mut r = BufReader::new(c);
                let _ = w.write_all(b"220 test\r\n");
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let reply = if line.starts_with("RCPT") { rcpt } else { "250 ok" };
                    let _ = w.write_all(format!("{reply}\r\n").as_bytes());
                    if line.starts_with("RCPT") {
                        break;
                    }
                    line.clear();
                }
            }
        });
        (addr, seen)
    }

    #[test]
    fn smtp_4xx_is_retried_5xx_is_not() {
        for (reply, tries, permanent) in [("550 no such user", 1, true), ("451 try later", 3, false)] {
            let (server, seen) = smtp_server(reply);
            let mut st = fast(3);
            st.smtp = Some(Smtp {
                server,
                from: "cloudcensus@corp.example".into(),
            });
            let o = deliver(&alert(), &Target::Email("soc@corp.example".into()), &st);
            assert_eq!((o.attempts, o.permanent), (tries, permanent), "{reply}: {o:?}");
            assert_eq!(seen.load(Ordering::SeqCst), tries as usize, "{reply}");
            assert!(o.error.unwrap().contains(reply), "{reply}");
        }
    }

    #[test]
    fn https_webhooks_speak_tls_and_bad_urls_are_refused() {
        // A server that is not TLS: the handshake must fail with a TLS error, recorded as such
        // and not retried. The server reads the ClientHello before it answers in plain HTTP.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let mut s = s;
                let mut hello = [0u8; 512];
                let _ = s.read(&mut hello);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let err = http_post(
            &format!("https://127.0.0.1:{port}/hook"),
            b"{}",
            Duration::from_secs(5),
            None,
        )
        .unwrap_err();
        let e = err.to_string();
        assert!(e.starts_with(&format!("https://127.0.0.1:{port}/hook: ")), "{e}");
        assert!(!e.contains("HTTP 200"), "{e}");
        assert!(!err.is_transient(), "a TLS failure is permanent: {err:?}");
        let o = deliver(
            &alert(),
            &Target::Webhook(format!("https://127.0.0.1:{port}/hook")),
            &fast(3),
        );
        assert_eq!((o.attempts, o.permanent), (1, true), "{o:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 2, "one connection each, no retry");
        let e = http_post("ftp://x/y", b"{}", Duration::from_secs(1), None).unwrap_err();
        assert!(!e.is_transient());
        assert!(e.to_string().contains("must start with http:// or https://"), "{e}");
    }
}
