//! Log formats: one file per format, all behind the small [`Format`]/[`LineParser`] pair, all
//! producing the one normalized [`Record`].
//!
//! Owns: turning one line of bytes into a record (or a reason it is not one), recognising a
//! format from a file's first lines, and routing a line the file's format cannot read to a format
//! that can ([`registry`]). Must not touch: files, decompression or chunking (`ingest`: a
//! format only names the [`Header`] kind the chunker must carry to its chunks), the catalog or
//! aggregation (`enrich`, `discovery`).
//!
//! Auto-detection is done with the parsers themselves: each candidate parses the first lines of
//! a file, and the one that reads the most of them wins (a few broken lines may be among them;
//! they are then reported as malformed). Lines of the file that the winner does not recognise are
//! offered to the formats that [claim](Format::claims) them.

/// Declares a built-in format: the struct holding its [`FormatInfo`], `new()` and `Default`.
/// Attributes listed are `true`, the others `false`.
macro_rules! builtin_format {
    ($(#[$meta:meta])* $name:ident {
        id: $id:expr,
        vendor: $vendor:expr,
        variant: $variant:expr,
        description: $description:expr,
        attributes: [$($attr:ident),* $(,)?] $(,)?
    }) => {
        $(#[$meta])*
        pub struct $name {
            info: $crate::formats::FormatInfo,
        }

        impl $name {
            /// The format descriptor.
            pub fn new() -> Self {
                $name {
                    info: $crate::formats::FormatInfo {
                        id: $id.into(),
                        vendor: $vendor,
                        variant: $variant,
                        description: $description,
                        attributes: {
                            #[allow(unused_mut)]
                            let mut a = $crate::formats::Attributes::default();
                            $(a.$attr = true;)*
                            a
                        },
                    },
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

/// Declares the `Format` and the stateless line parser of an activity format whose lines are
/// one JSON object each (syslog framing allowed): `$convert` turns the object into activities;
/// the format claims JSON lines that hold one of the `$keys`. Only the top-level `$members`
/// are built (`activity::object_with`): list every member `$convert` reads, and check the list
/// with `activity::assert_members_cover` in the format's tests.
macro_rules! json_activity_format {
    ($name:ident, $parser:ident, $keys:expr, $members:expr, $convert:expr) => {
        impl $crate::formats::Format for $name {
            fn info(&self) -> &$crate::formats::FormatInfo {
                &self.info
            }
            fn claims(&self, line: &[u8]) -> bool {
                $crate::formats::fields::json_with_any(line, $keys)
            }
            fn parser(&self, _ctx: &$crate::formats::ParseCtx) -> Box<dyn $crate::formats::LineParser> {
                Box::new($parser)
            }
        }

        /// The (stateless) parser.
        struct $parser;

        impl $crate::formats::LineParser for $parser {
            fn parse<'a>(&mut self, line: &'a [u8]) -> Result<$crate::formats::Line<'a>, $crate::formats::Reject> {
                if line.trim_ascii().is_empty() {
                    return Ok($crate::formats::Line::Meta);
                }
                let m = $crate::formats::activity::object_with(line, $members)?;
                let convert: fn(
                    &serde_json::Map<String, serde_json::Value>,
                ) -> Result<Vec<$crate::formats::Activity>, $crate::formats::Reject> = $convert;
                Ok($crate::formats::Line::Activities(convert(&m)?))
            }
        }
    };
}

pub mod activity;
pub mod barracuda_syslog;
pub mod box_events;
pub mod cef;
pub mod checkpoint;
pub mod cisco_asa;
pub mod cisco_umbrella;
pub mod cisco_wsa;
pub mod cloudtrail;
pub mod custom;
pub mod dropbox;
pub mod entra;
pub mod fields;
pub mod forcepoint_csv;
pub mod forcepoint_kv;
pub mod fortigate;
pub mod github_audit;
pub mod google_workspace;
pub mod juniper_srx;
pub mod juniper_ssg;
pub mod leef;
pub mod m365;
pub mod mcafee_wg;
pub mod meraki;
pub mod netskope;
pub mod okta;
pub mod panos;
pub mod panos_json;
pub mod registry;
pub mod siem;
pub mod slack_audit;
pub mod sonicwall;
pub mod sophos;
pub mod squid;
pub mod squid_common;
pub mod stormshield;
pub mod syslog;
pub mod syslog_system;
pub mod w3c;
pub mod watchguard;
pub mod web_gateways_json;
pub mod welf;
pub mod zeek;
pub mod zscaler;

use std::borrow::Cow;
use std::sync::Arc;

// The base vocabulary, under the names the format files use.
pub use crate::base::{record, time};
pub use crate::ingest::chunker::Header;
pub use activity::Activity;
pub use record::{Action, Record};
pub use registry::{LineRouter, Registry};
pub use time::NaiveZone;

/// What one line turned out to be.
// Records are the common case and borrow from the line: boxing them would allocate per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Line<'a> {
    /// A traffic record.
    Record(Record<'a>),
    /// User activities from a SaaS activity log (one line may hold several, e.g. a CloudTrail
    /// `Records` file or a Google Workspace activity with several events).
    Activities(Vec<Activity>),
    /// A header, directive, comment or blank line: part of the file's structure, not data.
    Meta,
    /// A well-formed line that carries no traffic (e.g. a PAN-OS SYSTEM log): counted per
    /// input as skipped, with this reason (the vendor and event type, e.g. `FortiGate event
    /// (system)`).
    Ignored(Cow<'static, str>),
}

impl Line<'_> {
    /// A well-formed line that carries no traffic, skipped for `reason`.
    pub fn skip(reason: impl Into<Cow<'static, str>>) -> Self {
        Line::Ignored(reason.into())
    }

    /// The same line, owning its text.
    pub fn into_owned(self) -> Line<'static> {
        match self {
            Line::Record(r) => Line::Record(r.into_owned()),
            Line::Activities(a) => Line::Activities(a),
            Line::Meta => Line::Meta,
            Line::Ignored(why) => Line::Ignored(why),
        }
    }
}

/// Why a line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Why, for `rejected_lines.jsonl` and `parse`'s stderr.
    pub reason: Cow<'static, str>,
    /// The parser recognised the line as its own format (a broken record of this format, e.g.
    /// an audit event without a time) rather than a line of another format: auto-detection
    /// counts such lines for the format, and the line is not offered to other formats.
    pub recognised: bool,
}

impl Reject {
    /// A fixed reason.
    pub const fn new(reason: &'static str) -> Self {
        Reject {
            reason: Cow::Borrowed(reason),
            recognised: false,
        }
    }

    /// A record of this format that cannot be used (e.g. it has no time).
    pub fn recognised(reason: impl Into<Cow<'static, str>>) -> Self {
        Reject {
            reason: reason.into(),
            recognised: true,
        }
    }
}

impl From<&'static str> for Reject {
    fn from(s: &'static str) -> Self {
        Reject {
            reason: Cow::Borrowed(s),
            recognised: false,
        }
    }
}

impl From<String> for Reject {
    fn from(s: String) -> Self {
        Reject {
            reason: Cow::Owned(s),
            recognised: false,
        }
    }
}

/// Parses lines of one file, in order. May keep state (e.g. the W3C `#Fields:` in force).
pub trait LineParser: Send {
    /// Parse one line (without its line terminator).
    fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Line<'a>, Reject>;
}

/// Which data attributes a format carries (the product's "data attributes" table).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Attributes {
    /// Target URL or host name.
    pub url: bool,
    /// Destination IP address.
    pub dest_ip: bool,
    /// User name.
    pub user: bool,
    /// Source (client) IP address.
    pub source_ip: bool,
    /// Total bytes.
    pub total_bytes: bool,
    /// Uploaded bytes, separately.
    pub upload_bytes: bool,
}

/// Static description of a format, for `cloudcensus formats` and `run.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormatInfo {
    /// The `--format` value.
    pub id: String,
    /// Vendor / product.
    pub vendor: &'static str,
    /// Variant (e.g. "native access.log").
    pub variant: &'static str,
    /// One line for `--help`-style listings.
    pub description: &'static str,
    /// Data attributes carried.
    pub attributes: Attributes,
}

/// Settings every parser may need.
#[derive(Debug, Clone, Default)]
pub struct ParseCtx {
    /// Zone for timestamps that carry none.
    pub naive: NaiveZone,
    /// "Now" (µs since the epoch, UTC) for timestamps without a year (`May  1 10:00:00`):
    /// they are placed in the year that puts them at most one day after this instant.
    /// 0 means the current time.
    pub now_us: i64,
}

/// A log format.
pub trait Format: Send + Sync {
    /// Static description.
    fn info(&self) -> &FormatInfo;
    /// How parser state depends on earlier lines.
    fn header(&self) -> Header {
        Header::None
    }
    /// A fresh parser for one file (or one chunk of it).
    fn parser(&self, ctx: &ParseCtx) -> Box<dyn LineParser>;
    /// A cheap look at one line (a prefix or marker test, no parsing): could it be one of this
    /// format's lines? A line that the file's own format cannot read is handed to the formats
    /// that claim it (see [`LineRouter`]), so that a collector file mixing devices or message
    /// kinds loses nothing. Claiming too much costs a parse attempt; claiming too little loses
    /// lines. Formats whose lines depend on a header ([`Header`] other than `None`) are never
    /// asked.
    fn claims(&self, _line: &[u8]) -> bool {
        false
    }
}

/// The built-in formats, most specific first (the order breaks sniffing ties).
pub fn builtin() -> Vec<Arc<dyn Format>> {
    vec![
        Arc::new(m365::M365::new()),
        Arc::new(entra::Entra::new()),
        Arc::new(okta::Okta::new()),
        Arc::new(cloudtrail::CloudTrail::new()),
        Arc::new(google_workspace::GoogleWorkspace::new()),
        Arc::new(github_audit::GithubAudit::new()),
        Arc::new(box_events::BoxEvents::new()),
        Arc::new(dropbox::Dropbox::new()),
        Arc::new(slack_audit::SlackAudit::new()),
        Arc::new(m365::M365Csv::new()),
        Arc::new(w3c::W3c::new()),
        Arc::new(cef::Cef::new()),
        Arc::new(leef::Leef::new()),
        Arc::new(panos::PanOs::new()),
        Arc::new(panos_json::PanosJson::new()),
        Arc::new(sophos::Sophos::new()),
        Arc::new(sonicwall::SonicWall::new()),
        Arc::new(stormshield::Stormshield::new()),
        Arc::new(welf::Welf::new()),
        Arc::new(fortigate::FortiGate::new()),
        Arc::new(zeek::Zeek::new()),
        Arc::new(cisco_asa::CiscoAsa::new()),
        Arc::new(juniper_srx::JuniperSrx::new()),
        Arc::new(juniper_ssg::JuniperSsg::new()),
        Arc::new(watchguard::WatchGuard::new()),
        Arc::new(meraki::Meraki::new()),
        Arc::new(checkpoint::CheckPoint::new()),
        Arc::new(netskope::Netskope::new()),
        Arc::new(netskope::NetskopeCsv::new()),
        Arc::new(web_gateways_json::Menlo::new()),
        Arc::new(web_gateways_json::Iboss::new()),
        Arc::new(web_gateways_json::Barracuda::new()),
        Arc::new(barracuda_syslog::BarracudaCloudGen::new()),
        Arc::new(barracuda_syslog::BarracudaWsg::new()),
        Arc::new(zscaler::ZscalerJson::new()),
        Arc::new(zscaler::ZscalerKv::new()),
        Arc::new(cisco_umbrella::CiscoUmbrella::new()),
        Arc::new(forcepoint_csv::ForcepointCsv::new()),
        Arc::new(forcepoint_kv::ForcepointKv::new()),
        Arc::new(zscaler::ZscalerCsv::new()),
        Arc::new(cisco_wsa::CiscoWsa::new()),
        Arc::new(mcafee_wg::McafeeWg::new()),
        Arc::new(squid::SquidNative::new()),
        Arc::new(squid_common::SquidCommon::new()),
        Arc::new(syslog_system::SyslogSystem::new()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Auto-detection of the formats that have no sample in `../shared/samples`: one
    /// syslog-framed line each must be recognised as that format and no other.
    #[test]
    fn sniffs_formats_without_shared_samples() {
        let cases: [(&str, &str); 7] = [
            ("mcafee-wg", r#"<134>Dec 10 10:48:52 mwg mwg: [10/Dec/2019:10:48:52 +0000] "jdoe" 10.0.0.1 200 "GET http://www.dropbox.com/ HTTP/1.1" "Online Storage" "Minimal Risk" "text/html" 1234 "Mozilla/5.0" "" "0""#),
            ("welf", r#"<14>Jan 31 16:11:32 srx1 id=firewall time="2013-01-31 16:11:32" fw=172.17.216.90 pri=6 proto=http src=10.1.1.5:50123 dst=162.125.1.1:80 dstname=www.dropbox.com arg=/upload op=POST result=200 sent=5000 rcvd=320"#),
            ("juniper-ssg", r#"<134>Mar 10 12:34:56 10.1.1.1 ns5gt: NetScreen device_id=ns5gt  [Root]system-notification-00257(traffic): start_time="2009-03-10 12:34:50" duration=5 policy_id=2 service=https proto=6 src zone=Trust dst zone=Untrust action=Permit sent=1234 rcvd=5678 src=192.168.1.10 dst=162.125.1.1 src_port=3456 dst_port=443 session_id=1234 reason=Close - TCP FIN"#),
            ("stormshield", r#"<134>May 15 10:22:33 SN210W asqd: id=firewall time="2019-05-15 10:22:33" fw="SN210W" tz=+0200 src=192.168.1.10 srcport=49000 dst=162.125.1.1 dstport=443 dstname=www.dropbox.com sent=1200 rcvd=45000 action=pass logtype="connection""#),
            ("watchguard", r#"<140>Jan 10 12:00:00 FireboxM200 801F0000000000 (2019-01-10T12:00:00) http-proxy[2100]: msg_id="1AFF-0024" Allow 1-Trusted 0-External tcp 10.0.1.2 162.125.1.1 52000 80 msg="HTTP request" op="GET" dstname="www.dropbox.com" arg="/" sent_bytes="443" rcvd_bytes="1234" (HTTP-proxy-00)"#),
            ("cisco-wsa", r#"1159826486.123 218 10.1.1.1 TCP_MISS/200 2138 GET http://www.dropbox.com/x jdoe DIRECT/www.dropbox.com text/html DEFAULT_CASE_11-DefaultGroup-Identity-NONE-NONE-NONE-DefaultRouting <IW_comp,6.9> -"#),
            ("leef", "LEEF:1.0|Forcepoint|Security|8.5|transaction:permitted|devTime=1557908553000\tsrc=10.0.0.1\tdst=162.125.1.1\tusrName=jdoe\turl=https://www.dropbox.com/\tsrcBytes=100\tdstBytes=2000"),
        ];
        let reg = Registry::new(Vec::new());
        for (want, line) in cases {
            let got = reg
                .sniff(&[line.as_bytes()], &ParseCtx::default())
                .map(|f| f.info().id.clone());
            assert_eq!(got.as_deref(), Some(want), "{line}");
        }
    }
}
