//! What the SIEM envelopes (CEF and LEEF) carry, as a record: the standard keys of both, then
//! the vendor's dialect, chosen by the header's vendor and product.
//!
//! Owns: the mapping of envelope keys to the record, and the vendor dialects (byte direction,
//! which events are traffic, vendor-prefixed keys, time keys). Must not touch: the envelope
//! grammar (`cef`, `leef`), files, the catalog.
//!
//! Vendors disagree on the standard keys, so the dialect matters:
//!
//! | vendor / product | bytes up / down | traffic events (the others are skipped) |
//! |---|---|---|
//! | generic | CEF `out` / `in`, LEEF `srcBytes` / `dstBytes` | all |
//! | Palo Alto `PAN-OS` (CEF, LEEF) | CEF **`in` / `out`** | TRAFFIC, THREAT `url` |
//! | Palo Alto `LF` (Strata Logging Service CEF), `Next Generation Firewall` (its LEEF) | `out` / `in` | TRAFFIC, THREAT `url` |
//! | Fortinet FortiGate (`FTNTFGT…`, `FortinetFortiGate…`, `ad.…` keys) | `out` / `in` | `traffic`, `utm:webfilter`, `utm:app-ctrl` |
//! | McAfee / Skyhigh Web Gateway | CEF **`in` / `out`**, Skyhigh `bytes_out` / `bytes_in` | all |
//! | Zscaler NSS | `out` / `in` | web and firewall logs (DNS, audit, tunnel, alert skipped) |
//! | Check Point | `client_outbound_bytes` / `client_inbound_bytes` | all |
//! | Forcepoint, WatchGuard | `out` / `in`; WatchGuard `sent_bytes` / `rcvd_bytes` | all |

use super::fields;
use super::{Action, Line, ParseCtx, Record, Reject};
use std::borrow::Cow;

/// Which envelope an event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ArcSight CEF.
    Cef,
    /// IBM QRadar LEEF.
    Leef,
}

/// One envelope event: its header and its key/value pairs, in order.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// CEF or LEEF.
    pub kind: Kind,
    /// Device vendor.
    pub vendor: Cow<'a, str>,
    /// Device product.
    pub product: Cow<'a, str>,
    /// CEF signature id, LEEF event id.
    pub event_id: Cow<'a, str>,
    /// CEF name (empty for LEEF).
    pub name: Cow<'a, str>,
    /// Key/value pairs, unescaped.
    pub pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Event<'a> {
    /// First value of `key`.
    pub fn get(&self, key: &str) -> Option<&Cow<'a, str>> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// First non-empty value of `key`, `-` and `None` being empty, one pair of quotes removed.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|v| unquote(v)).filter(|v| !is_empty(v))
    }

    /// Value of a custom field by its label (`cs1Label=Block Reason cs1=x`).
    pub fn labelled(&self, label: &str) -> Option<&str> {
        let (k, _) = self
            .pairs
            .iter()
            .find(|(k, v)| k.ends_with("Label") && v.eq_ignore_ascii_case(label))?;
        self.value(k.strip_suffix("Label")?)
    }
}

fn is_empty(v: &str) -> bool {
    matches!(v.trim(), "" | "-" | "None" | "none" | "N/A" | "n/a")
}

/// An address field (`last`: the line's last pair). An address, also zero-padded
/// (`010.001.001.005`), is read; a placeholder or a name a vendor writes there (`NA`,
/// `unknown`, a host name) is none; a cut address (`dst=64.2`, or a last pair starting with a
/// digit, `src=10.4.1.2 sp`) makes the line malformed rather than a record without it.
fn address(key: &str, v: &str, last: bool) -> Result<Option<std::net::IpAddr>, Reject> {
    if is_empty(v) {
        return Ok(None);
    }
    let u = unquote(v).trim();
    if let Some(ip) = fields::opt_ip(u.as_bytes()).or_else(|| padded_v4(u)) {
        return Ok(Some(ip));
    }
    let b = u.as_bytes();
    let shaped =
        b.iter().all(|&c| c.is_ascii_hexdigit() || c == b'.' || c == b':') && b.iter().any(|&c| c == b'.' || c == b':');
    if shaped || (last && b.first().is_some_and(u8::is_ascii_digit)) {
        return Err(Reject::recognised(format!("{key}={v:?} is not an IP address")));
    }
    Ok(None)
}

/// `010.001.001.005`: an IPv4 address with zero-padded octets, which `IpAddr` refuses.
fn padded_v4(v: &str) -> Option<std::net::IpAddr> {
    let mut octets = [0u8; 4];
    let mut parts = v.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then(|| std::net::IpAddr::from(octets))
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(v)
}

fn own(v: &str) -> Option<Cow<'static, str>> {
    (!is_empty(v)).then(|| Cow::Owned(unquote(v).to_string()))
}

/// A time value as envelopes write it: epoch seconds/ms/µs/ns (by digit count),
/// `MMM dd yyyy HH:mm:ss[.SSS][ zone]`, ISO 8601, or `ctime`.
pub fn time_value(v: &str, ctx: &ParseCtx) -> Option<i64> {
    let b = unquote(v.trim()).as_bytes();
    super::time::parse_epoch_any(b)
        .or_else(|| super::time::parse_mon_d_y_hms(b, &ctx.naive))
        .or_else(|| super::time::parse_iso(b, &ctx.naive))
        .or_else(|| super::time::parse_ctime(b, &ctx.naive))
}

/// Whole-word match of a blocking verb, unless negated (`act=not blocked`).
pub fn is_blocking(act: &str) -> bool {
    const WORDS: &[&str] = &[
        "block",
        "blocked",
        "deny",
        "denied",
        "drop",
        "dropped",
        "reject",
        "rejected",
        "prevent",
        "prevented",
        "quarantine",
        "quarantined",
        "reset",
    ];
    // A blocking word counts unless "not" comes right before it (`act=not blocked`); an
    // action that says only allow/allowed has no blocking word.
    let mut prev_not = false;
    for w in act
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !prev_not && WORDS.iter().any(|b| b.eq_ignore_ascii_case(w)) {
            return true;
        }
        prev_not = w.eq_ignore_ascii_case("not");
    }
    false
}

/// A user as directories write it in web-gateway logs: `LDAP://host OU=…,DC=…/jdoe` and
/// `WinNT://CORP/jdoe` name the account after the last `/`.
pub(super) fn directory_user(v: &str) -> &str {
    if v.starts_with("LDAP://") || v.starts_with("WinNT://") {
        v.rsplit('/').next().unwrap_or(v)
    } else {
        v
    }
}

/// The URL of a request logged as a path next to its host (`/drive/my-drive` and
/// `drive.google.com`): `https://host/path`, `http://` when the port is 80.
pub fn url_from_path(host: &str, path: &str, port: Option<u16>) -> String {
    let scheme = if port == Some(80) { "http" } else { "https" };
    format!("{scheme}://{host}{path}")
}

/// The record (or skip) an envelope event gives. `header_time` is asked for the syslog
/// header's time when the event carries none.
pub fn to_line<'a>(ev: &Event<'a>, ctx: &ParseCtx, header_time: &dyn Fn() -> Option<i64>) -> Result<Line<'a>, Reject> {
    let dialect = Dialect::of(ev);
    if let Some(skip) = dialect.skip(ev) {
        return Ok(Line::Ignored(skip));
    }
    let mut rec = standard(ev, ctx, dialect)?;
    dialect.refine(ev, &mut rec, ctx)?;
    if dialect == Dialect::Generic && rec.dest_ip.is_none() && rec.dest_host.is_none() && rec.url.is_none() {
        // An alert or system event (a sign-in to a management console, a scan result): nothing
        // was reached, so there is no traffic to discover.
        return Ok(Line::Ignored(Cow::Owned(format!(
            "{} {} event without a destination (no dst, dhost, request or c6a3)",
            ev.vendor.trim(),
            ev.product.trim()
        ))));
    }
    fields::host_from_url(&mut rec);
    if rec.time_us.is_none() {
        rec.time_us = header_time();
    }
    Ok(Line::Record(rec))
}

/// The standard keys of both envelopes.
fn standard<'a>(ev: &Event<'a>, ctx: &ParseCtx, dialect: Dialect) -> Result<Record<'a>, Reject> {
    let mut rec = Record::default();
    let mut time_rank = u8::MAX;
    let mut user_rank = u8::MAX;
    let (cef_in, cef_out) = if dialect.in_is_up() {
        ("out", "in")
    } else {
        ("in", "out")
    };
    let keep = |v: &Cow<'a, str>| -> Option<Cow<'a, str>> {
        if is_empty(v) {
            None
        } else if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
            Some(Cow::Owned(v[1..v.len() - 1].to_string()))
        } else {
            Some(v.clone())
        }
    };
    for (n, (k, v)) in ev.pairs.iter().enumerate() {
        let key = k.as_ref();
        let last = n + 1 == ev.pairs.len();
        match key {
            // CEF: `rt` (receipt) before `end` before `start`; a dialect may prefer another.
            "rt" | "end" | "start" | "devTime" => {
                let rank = dialect.time_rank(key);
                if rank < time_rank && !is_empty(v) {
                    rec.time_us =
                        Some(time_value(v, ctx).ok_or_else(|| Reject::from(format!("bad time `{key}={v}`")))?);
                    time_rank = rank;
                }
            }
            "src" | "c6a2" | "srcip" => {
                if rec.source_ip.is_none() {
                    rec.source_ip = address(key, v, last)?;
                }
            }
            "dst" | "c6a3" | "dstip" => {
                if rec.dest_ip.is_none() {
                    rec.dest_ip = address(key, v, last)?;
                }
            }
            "dpt" | "dstPort" => rec.dest_port = rec.dest_port.or_else(|| fields::opt_u16(unquote(v).as_bytes())),
            "loginID" | "suser" | "usrName" | "duser" => {
                let rank = match key {
                    "loginID" => 0,
                    "suser" | "usrName" => 1,
                    _ => 2,
                };
                if rank < user_rank {
                    if let Some(u) = keep(v) {
                        rec.user = Some(match directory_user(&u) {
                            d if d.len() == u.len() => u,
                            d => Cow::Owned(d.to_string()),
                        });
                        user_rank = rank;
                    }
                }
            }
            "dhost" | "hostname" => rec.dest_host = keep(v).or(rec.dest_host.take()),
            "request" | "url" | "URL" => rec.url = keep(v).or(rec.url.take()),
            "requestMethod" | "method" | "reqmethod" | "Meth" | "HTTPMethod" => {
                if let Some(m) = keep(v) {
                    rec.method = Some(if m.bytes().any(|c| c.is_ascii_lowercase()) {
                        Cow::Owned(m.to_ascii_uppercase())
                    } else {
                        m
                    });
                }
            }
            "requestClientApplication" | "userAgent" | "useragent" | "usrAgent" | "UserAgent" => {
                rec.user_agent = keep(v);
            }
            "srcBytes" | "reqsize" | "requestSize" => rec.bytes_up = fields::lenient_u64(v.as_bytes()),
            "dstBytes" | "respsize" | "responseSize" => rec.bytes_down = fields::lenient_u64(v.as_bytes()),
            "act" | "action" | "Action" | "disp" if is_blocking(v) => rec.action = Action::Blocked,
            "outcome" if v.eq_ignore_ascii_case("blocked") => rec.action = Action::Blocked,
            "appname" | "Application" => rec.vendor_app = keep(v),
            _ if ev.kind == Kind::Cef && key == cef_in => rec.bytes_down = fields::lenient_u64(v.as_bytes()),
            _ if ev.kind == Kind::Cef && key == cef_out => rec.bytes_up = fields::lenient_u64(v.as_bytes()),
            _ => {
                // `csN` under an application label (`cs2Label=AppName`).
                if key.len() == 3 && key.starts_with("cs") {
                    let label = ev
                        .pairs
                        .iter()
                        .find(|(l, _)| l.len() == 8 && l.starts_with(key) && l.ends_with("Label"))
                        .map(|(_, l)| l.as_ref());
                    const APP_LABELS: [&str; 6] = [
                        "appname",
                        "application",
                        "app",
                        "application name",
                        "cloudappname",
                        "cloud application",
                    ];
                    if label.is_some_and(|l| APP_LABELS.iter().any(|a| a.eq_ignore_ascii_case(l))) {
                        rec.vendor_app = keep(v);
                    }
                }
            }
        }
    }
    Ok(rec)
}

/// A vendor's way of filling the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Generic,
    PanOs,
    Strata,
    Fortinet,
    McAfee,
    Zscaler,
    CheckPoint,
    Forcepoint,
    WatchGuard,
}

impl Dialect {
    fn of(ev: &Event) -> Dialect {
        // Case-insensitive prefix tests, without allocating on every line.
        let starts =
            |s: &str, p: &str| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        let (v, p) = (ev.vendor.trim(), ev.product.trim());
        if starts(v, "palo alto") {
            if p.eq_ignore_ascii_case("lf") || p.eq_ignore_ascii_case("next generation firewall") {
                Dialect::Strata
            } else {
                Dialect::PanOs
            }
        } else if starts(v, "fortinet") && starts(p, "forti") {
            Dialect::Fortinet
        } else if starts(v, "mcafee") || starts(v, "skyhigh") {
            Dialect::McAfee
        } else if starts(v, "zscaler") {
            Dialect::Zscaler
        } else if starts(v, "check point") || v.eq_ignore_ascii_case("checkpoint") {
            Dialect::CheckPoint
        } else if starts(v, "forcepoint") || starts(v, "websense") {
            Dialect::Forcepoint
        } else if starts(v, "watchguard") {
            Dialect::WatchGuard
        } else {
            Dialect::Generic
        }
    }

    /// CEF `in` counts bytes from the client (PAN-OS native CEF, McAfee/Skyhigh).
    fn in_is_up(self) -> bool {
        matches!(self, Dialect::PanOs | Dialect::McAfee)
    }

    /// Order of preference of the time keys (lower first).
    fn time_rank(self, key: &str) -> u8 {
        match (self, key) {
            // Palo Alto: `start` is the generated time, `rt` the receipt (seconds later).
            (Dialect::PanOs | Dialect::Strata, "start") => 0,
            (Dialect::PanOs | Dialect::Strata, "devTime") => 1,
            (_, "devTime") | (_, "rt") => 2,
            (_, "end") => 3,
            _ => 4,
        }
    }

    /// The event type when it carries no traffic (skipped), else `None`.
    fn skip(self, ev: &Event) -> Option<Cow<'static, str>> {
        match self {
            Dialect::PanOs | Dialect::Strata => palo_alto_type(ev, self),
            Dialect::Fortinet => fortinet_type(ev),
            Dialect::Zscaler => {
                let p = ev.product.trim();
                let has = |w: &str| {
                    p.as_bytes()
                        .windows(w.len())
                        .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
                };
                if ["nssweblog", "nssfwlog", "nss", "nssweb", "nssfw"]
                    .iter()
                    .any(|n| p.eq_ignore_ascii_case(n))
                {
                    None
                } else if has("dns") {
                    Some("Zscaler DNS log".into())
                } else if has("audit") {
                    Some("Zscaler admin audit log".into())
                } else if has("tunnel") {
                    Some("Zscaler tunnel log".into())
                } else if has("alert") {
                    Some("Zscaler alert".into())
                } else if p.len() >= 3 && p[..3].eq_ignore_ascii_case("nss") {
                    Some(Cow::Owned(format!("Zscaler {p} log")))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Vendor keys after the standard ones.
    fn refine(self, ev: &Event, rec: &mut Record, ctx: &ParseCtx) -> Result<(), Reject> {
        match self {
            Dialect::Generic => {}
            Dialect::PanOs | Dialect::Strata => {
                rec.vendor_app = ev.value("app").and_then(own).or(rec.vendor_app.take());
                if let (Some(d), Some(u)) = (ev.value("sntdom"), ev.value("suser")) {
                    if !u.contains('\\') && !u.contains('@') {
                        rec.user = Some(Cow::Owned(format!("{d}\\{u}")));
                    }
                }
                if let Some(h) = ev.value("PanOSURLDomain").or_else(|| ev.value("URLDomain")) {
                    rec.dest_host = own(h);
                }
                if rec.url.is_none() {
                    rec.url = ev.value("Miscellaneous").and_then(own);
                }
                if self == Dialect::Strata && ev.kind == Kind::Cef {
                    // `start`/`rt` are written without a zone; `dtz` names it.
                    if let (Some(z), Some(s)) = (ev.value("dtz"), ev.value("start").or_else(|| ev.value("rt"))) {
                        if !z.eq_ignore_ascii_case("utc") {
                            // An unknown zone name keeps the time as read (UTC).
                            if let Ok(zone) = super::NaiveZone::named(z) {
                                rec.time_us = super::time::parse_mon_d_y_hms(s.as_bytes(), &zone).or(rec.time_us);
                            }
                        }
                    }
                }
                let act = ev
                    .value("act")
                    .or_else(|| ev.value("action"))
                    .or_else(|| ev.value("Action"))
                    .unwrap_or("allow");
                let is = |w: &[&str]| w.iter().any(|x| act.eq_ignore_ascii_case(x));
                let (ty, _) = palo_alto_header(ev, self);
                rec.action = if ty.eq_ignore_ascii_case("threat") {
                    // URL filtering: alert/allow/continue/override let the request through.
                    if is(&["alert", "allow", "allowed", "continue", "override"]) {
                        Action::Allowed
                    } else {
                        Action::Blocked
                    }
                } else if is(&["allow", "allowed"]) {
                    Action::Allowed
                } else {
                    Action::Blocked
                };
            }
            Dialect::Fortinet => {
                let f = |k: &str| fortinet_value(ev, k);
                if let Some(t) = f("eventtime").and_then(|v| super::time::parse_epoch_any(v.as_bytes())) {
                    rec.time_us = Some(t);
                } else if let (Some(s), Some(tz)) = (ev.value("start"), f("tz")) {
                    if let (Some(t), Some(off)) = (
                        super::time::parse_mon_d_y_hms(s.as_bytes(), &super::NaiveZone::utc()),
                        super::time::parse_offset(tz.as_bytes()),
                    ) {
                        rec.time_us = Some(t - off * 1_000_000);
                    }
                }
                // `app` is the service (HTTPS); the application is the vendor key.
                rec.vendor_app = fortinet_prefixed(ev, "app").and_then(own);
                if rec.user.is_none() {
                    rec.user = f("user").and_then(own);
                }
                if let Some(u) = ev.value("duser") {
                    rec.user = own(u);
                }
                if f("utmaction").is_some_and(is_blocking) {
                    rec.action = Action::Blocked;
                }
                if let (Some(h), Some(path)) = (rec.dest_host.as_deref(), rec.url.as_deref()) {
                    if path.starts_with('/') {
                        rec.url = Some(Cow::Owned(url_from_path(h, path, rec.dest_port)));
                    }
                }
            }
            Dialect::McAfee => {
                if let Some(v) = ev.value("bytes_in") {
                    rec.bytes_down = fields::lenient_u64(v.as_bytes());
                }
                if let Some(v) = ev.value("bytes_out") {
                    rec.bytes_up = fields::lenient_u64(v.as_bytes());
                }
                rec.dest_host = ev.value("dest_host").and_then(own).or(rec.dest_host.take());
                rec.dest_ip = ev
                    .value("dest_ip")
                    .and_then(|v| fields::opt_ip(v.as_bytes()))
                    .or(rec.dest_ip);
                rec.dest_port = ev
                    .value("dest_port")
                    .and_then(|v| fields::opt_u16(v.as_bytes()))
                    .or(rec.dest_port);
                rec.source_ip = ev
                    .value("src_ip")
                    .and_then(|v| fields::opt_ip(v.as_bytes()))
                    .or(rec.source_ip);
                rec.vendor_app = ev.value("application").and_then(own).or(rec.vendor_app.take());
                let reason = ev
                    .labelled("Block Reason")
                    .or_else(|| ev.value("block_reason"))
                    .or_else(|| ev.value("blockReason"));
                if reason.is_some_and(|r| r.trim() != "0") {
                    rec.action = Action::Blocked;
                }
            }
            Dialect::Zscaler => {
                if rec.time_us.is_none() {
                    rec.time_us = ev
                        .value("epochtime")
                        .and_then(|v| super::time::parse_epoch_any(v.as_bytes()));
                }
                if ev.kind == Kind::Leef && !ev.event_id.eq_ignore_ascii_case("allowed") && !is_empty(&ev.event_id) {
                    // Zscaler's LEEF has no action key: the event id is `Allowed` or the reason
                    // of the block.
                    rec.action = Action::Blocked;
                }
                if let Some(u) = ev.value("login") {
                    rec.user = own(u);
                }
            }
            Dialect::CheckPoint => {
                if let Some(v) = ev.value("client_outbound_bytes") {
                    rec.bytes_up = fields::lenient_u64(v.as_bytes());
                }
                if let Some(v) = ev.value("client_inbound_bytes") {
                    rec.bytes_down = fields::lenient_u64(v.as_bytes());
                }
                rec.vendor_app = ev.value("appi_name").and_then(own).or(rec.vendor_app.take());
                if let Some(a) = ev.value("act") {
                    if ["drop", "reject", "block", "prevent"]
                        .iter()
                        .any(|w| a.eq_ignore_ascii_case(w))
                    {
                        rec.action = Action::Blocked;
                    }
                }
            }
            Dialect::Forcepoint => {
                let id = ev.event_id.as_bytes();
                if id.len() >= 8 && id[id.len() - 8..].eq_ignore_ascii_case(b":blocked") {
                    rec.action = Action::Blocked;
                }
            }
            Dialect::WatchGuard => {
                if let Some(v) = ev.value("sent_bytes") {
                    rec.bytes_up = fields::lenient_u64(v.as_bytes());
                }
                if let Some(v) = ev.value("rcvd_bytes") {
                    rec.bytes_down = fields::lenient_u64(v.as_bytes());
                }
                rec.user = ev.value("src_user").and_then(own).or(rec.user.take());
                if let Some(h) = ev.value("dstname") {
                    rec.dest_host = own(h);
                    if let Some(path) = ev.value("arg").filter(|p| p.starts_with('/')) {
                        rec.url = Some(Cow::Owned(url_from_path(h, path, rec.dest_port)));
                    }
                }
                if ev.value("disp").is_some_and(|d| d.eq_ignore_ascii_case("deny")) {
                    rec.action = Action::Blocked;
                }
                let _ = ctx;
            }
        }
        Ok(())
    }
}

/// A FortiGate key, with any of the vendor prefixes the CEF encoders add.
fn fortinet_prefixed<'e>(ev: &'e Event, key: &str) -> Option<&'e str> {
    ev.pairs
        .iter()
        .find(|(k, _)| {
            ["FTNTFGT", "FortinetFortiGate", "ad."]
                .iter()
                .any(|p| k.strip_prefix(p) == Some(key))
        })
        .map(|(_, v)| unquote(v))
        .filter(|v| !is_empty(v))
}

/// A FortiGate key, prefixed or not.
fn fortinet_value<'e>(ev: &'e Event, key: &str) -> Option<&'e str> {
    fortinet_prefixed(ev, key).or_else(|| ev.value(key))
}

/// FortiGate: `cat=traffic:forward`, `cat=utm:webfilter` (FortiOS), or `cat=traffic` with
/// `ad.subtype=forward` (FortiAnalyzer).
fn fortinet_type(ev: &Event) -> Option<Cow<'static, str>> {
    let cat = ev.value("cat").unwrap_or("");
    let (ty, sub) = match cat.split_once(':') {
        Some((t, s)) => (t, s),
        None => (cat, fortinet_value(ev, "subtype").unwrap_or("")),
    };
    if ty.eq_ignore_ascii_case("traffic")
        || (ty.eq_ignore_ascii_case("utm")
            && (sub.eq_ignore_ascii_case("webfilter") || sub.eq_ignore_ascii_case("app-ctrl")))
    {
        None
    } else if ty.is_empty() {
        Some("FortiGate CEF event without a category".into())
    } else {
        Some(Cow::Owned(format!("FortiGate {}/{sub}", ty.to_ascii_lowercase())))
    }
}

/// (log type, subtype) of a Palo Alto event: PAN-OS CEF writes `subtype|type` in the header,
/// the Strata Logging Service `type|subtype`; LEEF has `Type`/`Subtype` or `cat`/`SubType`.
fn palo_alto_header<'e>(ev: &'e Event, dialect: Dialect) -> (&'e str, &'e str) {
    match ev.kind {
        Kind::Cef if dialect == Dialect::PanOs => (&ev.name, &ev.event_id),
        Kind::Cef => (&ev.event_id, &ev.name),
        Kind::Leef => (
            ev.value("Type").or_else(|| ev.value("cat")).unwrap_or(""),
            ev.value("Subtype")
                .or_else(|| ev.value("SubType"))
                .or_else(|| ev.value("subtype"))
                .unwrap_or(""),
        ),
    }
}

fn palo_alto_type(ev: &Event, dialect: Dialect) -> Option<Cow<'static, str>> {
    let (ty, sub) = palo_alto_header(ev, dialect);
    let who = if dialect == Dialect::Strata {
        "Strata Logging Service"
    } else {
        "PAN-OS"
    };
    if ty.eq_ignore_ascii_case("traffic") || (ty.eq_ignore_ascii_case("threat") && sub.eq_ignore_ascii_case("url")) {
        None
    } else if ty.eq_ignore_ascii_case("threat") {
        Some(Cow::Owned(format!("{who} THREAT/{sub}")))
    } else if ty.is_empty() {
        Some(Cow::Owned(format!("{who} event without a log type")))
    } else {
        Some(Cow::Owned(format!("{who} {}", ty.to_ascii_uppercase())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_fields() {
        let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
        assert_eq!(address("dst", "162.125.1.1", false).unwrap(), ip("162.125.1.1"));
        assert_eq!(address("dst", "\"2001:db8::5\"", false).unwrap(), ip("2001:db8::5"));
        assert_eq!(address("src", "010.001.001.005", false).unwrap(), ip("10.1.1.5"));
        // What vendors write for "none", and names: no address, the line stays readable.
        for v in ["", "-", "N/A", "NA", "unknown", "host1.corp.example"] {
            assert_eq!(address("src", v, true).unwrap(), None, "{v}");
        }
        // Cut inside the address, anywhere in the line or as its last pair.
        for (v, last) in [
            ("64.2", false),
            ("2001:db8:", false),
            ("10", true),
            ("10.4.1.2 sp", true),
        ] {
            assert!(address("dst", v, last).is_err(), "{v}");
        }
        assert_eq!(address("dst", "10", false).unwrap(), None);
        assert_eq!(padded_v4("1.2.3.256"), None);
        assert_eq!(padded_v4("1.2.3"), None);
        assert_eq!(padded_v4("1.2.3.4.5"), None);
    }

    #[test]
    fn blocking_words() {
        for (act, blocked) in [
            ("deny", true),
            ("Blocked", true),
            ("block-url", true),
            ("not blocked", false),
            ("allowed", false),
            ("server-rst", false),
            ("close", false),
        ] {
            assert_eq!(is_blocking(act), blocked, "{act}");
        }
    }

    #[test]
    fn directory_users() {
        assert_eq!(directory_user("LDAP://10.1.1.1 OU=Users,DC=corp/jdoe"), "jdoe");
        assert_eq!(directory_user("WinNT://CORP/jdoe"), "jdoe");
        assert_eq!(directory_user("CORP\\jdoe"), "CORP\\jdoe");
    }
}
