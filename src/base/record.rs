//! The one normalized record type every format produces.
//!
//! A [`Record`] borrows from the line it was parsed from wherever it can, so the hot path does
//! not allocate; fields that needed unescaping or case folding are `Cow::Owned`.

use std::borrow::Cow;
use std::net::IpAddr;

/// What the device did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// Allowed, or the log does not say (most proxies only mark denials).
    #[default]
    Allowed,
    /// Blocked, denied, dropped or reset by the device.
    Blocked,
}

impl Action {
    /// The contract's spelling: `allowed` or `blocked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allowed => "allowed",
            Action::Blocked => "blocked",
        }
    }
}

/// One traffic record, normalized. `None` means "the log has no such value".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record<'a> {
    /// Event time, microseconds since the Unix epoch, UTC.
    pub time_us: Option<i64>,
    /// Client (source) address.
    pub source_ip: Option<IpAddr>,
    /// User name as logged; `-` and empty are normalized to `None`.
    pub user: Option<Cow<'a, str>>,
    /// Destination host name, as logged (may contain upper case; see [`Record::dest_host_lower`]).
    pub dest_host: Option<Cow<'a, str>>,
    /// Destination (server) address.
    pub dest_ip: Option<IpAddr>,
    /// Destination port.
    pub dest_port: Option<u16>,
    /// Full URL (or `host:port` for CONNECT) as logged.
    pub url: Option<Cow<'a, str>>,
    /// HTTP method.
    pub method: Option<Cow<'a, str>>,
    /// HTTP status code.
    pub status: Option<u16>,
    /// Allowed or blocked.
    pub action: Action,
    /// Bytes sent by the client (request / upload).
    pub bytes_up: Option<u64>,
    /// Bytes received by the client (response / download).
    pub bytes_down: Option<u64>,
    /// HTTP user agent.
    pub user_agent: Option<Cow<'a, str>>,
    /// The application name the device itself assigned (Zscaler `appname`, PAN-OS `app`...).
    pub vendor_app: Option<Cow<'a, str>>,
    /// The risk the device itself gives the application or URL, as logged (Zscaler
    /// `appriskscore`, FortiGate `apprisk`, Netskope CCL/CCI, Forcepoint risk class, McAfee
    /// reputation level).
    pub vendor_risk: Option<Cow<'a, str>>,
}

impl Record<'_> {
    /// Lower-case destination host without a trailing dot, or `None`.
    pub fn dest_host_lower(&self) -> Option<Cow<'_, str>> {
        let h = self.dest_host.as_deref()?;
        let h = h.strip_suffix('.').unwrap_or(h);
        if h.is_empty() {
            return None;
        }
        if h.bytes().any(|b| b.is_ascii_uppercase()) {
            Some(Cow::Owned(h.to_ascii_lowercase()))
        } else {
            Some(Cow::Borrowed(h))
        }
    }

    /// Detach the record from the line buffer it borrows from.
    pub fn into_owned(self) -> Record<'static> {
        fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        Record {
            time_us: self.time_us,
            source_ip: self.source_ip,
            user: own(self.user),
            dest_host: own(self.dest_host),
            dest_ip: self.dest_ip,
            dest_port: self.dest_port,
            url: own(self.url),
            method: own(self.method),
            status: self.status,
            action: self.action,
            bytes_up: self.bytes_up,
            bytes_down: self.bytes_down,
            user_agent: own(self.user_agent),
            vendor_app: own(self.vendor_app),
            vendor_risk: own(self.vendor_risk),
        }
    }
}
