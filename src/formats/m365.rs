//! Microsoft 365 unified audit log: the Office 365 Management Activity API's JSON records (one
//! per line, or a JSON array / `{"value": [...]}` document, which ingest turns into lines), and
//! the Purview audit search CSV export, whose `AuditData` column holds the same JSON record.
//!
//! Mapping (documented in `docs/activities.md`): `CreationTime` → time (UTC), `UserId` → user,
//! `ClientIP` / `ActorIpAddress` → ip, `Operation` → action and activity type, `Workload` → app,
//! `ObjectId` / `SourceFileName` → object, `UserAgent` (or the `UserAgent` extended property) →
//! user agent. Failure: `UserLoginFailed`, or `ResultStatus` of `Failed`/`Failure`/`False`.
//! Admin: Exchange admin cmdlets (`RecordType` 1) and directory changes (`Add user.`,
//! `Add member to role.`...).

use super::activity::{self as act, Activity, ActivityType, Outcome};
use super::{fields, Format, FormatInfo, Header, Line, LineParser, ParseCtx, Reject};
use serde_json::{Map, Value};

builtin_format! {
    /// Management Activity API JSON records.
    M365 {
        id: "m365",
        vendor: "Microsoft 365",
        variant: "unified audit log, Management Activity API JSON",
        description: "Microsoft 365 unified audit log records (JSON lines or a JSON array)",
        attributes: [user, source_ip],
    }
}

builtin_format! {
    /// Purview audit search CSV export.
    M365Csv {
        id: "m365-csv",
        vendor: "Microsoft 365",
        variant: "Purview audit search CSV export (AuditData column)",
        description: "Microsoft Purview audit log search export (CSV with an AuditData JSON column)",
        attributes: [user, source_ip],
    }
}

impl Format for M365 {
    fn claims(&self, line: &[u8]) -> bool {
        fields::json_with_any(
            line,
            &["\"Workload\"", "\"workload\"", "\"RecordType\"", "\"recordtype\""],
        )
    }
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(JsonParser)
    }
}

impl Format for M365Csv {
    fn info(&self) -> &FormatInfo {
        &self.info
    }
    fn header(&self) -> Header {
        Header::FirstLine
    }
    fn parser(&self, _ctx: &ParseCtx) -> Box<dyn LineParser> {
        Box::new(CsvParser { audit_col: None })
    }
}

struct JsonParser;

impl LineParser for JsonParser {
    fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Line<'a>, Reject> {
        if line.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let m = act::object_with(line, KEYS)?;
        Ok(Line::Activities(vec![from_record(&m)?]))
    }
}

/// Every member [`from_record`] reads: a record's other members are skipped unbuilt.
const KEYS: &[&str] = &[
    "ActorIpAddress",
    "ClientIP",
    "ClientIPAddress",
    "CreationTime",
    "ExtendedProperties",
    "Id",
    "Item",
    "ObjectId",
    "Operation",
    "Parameters",
    "RecordType",
    "ResultStatus",
    "SourceFileName",
    "UserAgent",
    "UserId",
    "Workload",
];

struct CsvParser {
    audit_col: Option<usize>,
}

impl LineParser for CsvParser {
    fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Line<'a>, Reject> {
        if line.trim_ascii().is_empty() {
            return Ok(Line::Meta);
        }
        let mut cols = Vec::new();
        fields::csv_fields(line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line), b',', &mut cols)?;
        let Some(i) = self.audit_col else {
            let i = cols
                .iter()
                .position(|c| c.trim_ascii().eq_ignore_ascii_case(b"AuditData"))
                .ok_or("not a Purview audit export: the header has no AuditData column")?;
            self.audit_col = Some(i);
            return Ok(Line::Meta);
        };
        let data = cols.get(i).ok_or("row has no AuditData column")?;
        let m: Map<String, Value> =
            serde_json::from_slice(data).map_err(|e| Reject::from(format!("AuditData is not JSON: {e}")))?;
        Ok(Line::Activities(vec![from_record(&m)?]))
    }
}

/// The catalog app of a workload.
fn workload_app(w: &str) -> Option<&'static str> {
    Some(match w.to_ascii_lowercase().as_str() {
        "exchange" => "exchange-online",
        "sharepoint" => "sharepoint-online",
        "onedrive" => "onedrive",
        "microsoftteams" => "microsoft-teams",
        "azureactivedirectory" => "entra-id",
        "securitycompliancecenter" | "officenative" | "publicendpoint" => "microsoft-365",
        _ => return None,
    })
}

/// Operation → activity type (and whether it is administrative on its own).
fn operation_type(op: &str, record_type: Option<u64>) -> (ActivityType, bool) {
    use ActivityType::*;
    let t = match op {
        "UserLoggedIn" | "UserLoginFailed" | "MailboxLogin" | "SignInEvent" | "TeamsSessionStarted" => Login,
        "UserLoggedOut" | "SignOut" => Logout,
        "FileDownloaded" | "FileSyncDownloadedFull" | "FileSyncDownloadedPartial" | "FileDownloadedFromBrowser" => {
            Download
        }
        "FileUploaded" | "FileSyncUploadedFull" | "FileSyncUploadedPartial" | "Send" | "SendAs" | "SendOnBehalf" => {
            Upload
        }
        "FileDeleted"
        | "FileDeletedFirstStageRecycleBin"
        | "FileDeletedSecondStageRecycleBin"
        | "FileRecycled"
        | "FolderDeleted"
        | "FolderRecycled"
        | "SoftDelete"
        | "HardDelete"
        | "MoveToDeletedItems" => Delete,
        "SharingSet"
        | "SharingInvitationCreated"
        | "AnonymousLinkCreated"
        | "SecureLinkCreated"
        | "CompanyLinkCreated"
        | "AddedToSecureLink"
        | "SharingInheritanceBroken"
        | "AddedToSharingLink"
        | "SharingInvitationAccepted"
        | "Add-MailboxPermission"
        | "Add-RecipientPermission" => Share,
        "FileAccessed"
        | "FilePreviewed"
        | "FileAccessedExtended"
        | "PageViewed"
        | "MailItemsAccessed"
        | "FolderAccessed"
        | "SearchQueryPerformed" => View,
        "FileModified"
        | "FileModifiedExtended"
        | "FileRenamed"
        | "FileMoved"
        | "FolderModified"
        | "FolderRenamed"
        | "FolderMoved"
        | "Update"
        | "Move" => Modify,
        "FolderCreated" | "FileCopied" | "Create" | "TeamCreated" | "ChannelAdded" => Create,
        "New-InboxRule" | "Set-InboxRule" | "UpdateInboxRules" | "New-TransportRule" | "Set-TransportRule" => {
            MailForwardingRule
        }
        "Change user password." | "Reset user password." | "Set force change user password." | "Change password." => {
            PasswordChange
        }
        _ => Other,
    };
    if op == "Set-Mailbox" {
        // Forwarding is set with Set-Mailbox -ForwardingSmtpAddress; other changes stay admin.
        return (Admin, true);
    }
    // RecordType 1 = ExchangeAdmin (cmdlets run by admins); directory changes end with a dot.
    let directory_change = op.ends_with('.') && t != PasswordChange;
    let admin = record_type == Some(1) || directory_change;
    if t == Other && admin {
        return (Admin, true);
    }
    (t, admin || t == MailForwardingRule)
}

/// One unified-audit-log record to an activity.
pub fn from_record(m: &Map<String, Value>) -> Result<Activity, Reject> {
    let op = act::text(m, "Operation").ok_or("not a unified audit log record: no Operation")?;
    if !act::has(m, "Workload") && !act::has(m, "RecordType") {
        return Err("not a unified audit log record: no Workload or RecordType".into());
    }
    let time = act::get(m, "CreationTime")
        .and_then(act::time)
        .ok_or_else(|| Reject::recognised("CreationTime is missing or not a time"))?;
    let record_type = act::get(m, "RecordType").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let (mut activity, admin) = operation_type(&op, record_type);
    let mut set_mailbox_forward = false;
    if op == "Set-Mailbox" {
        if let Some(Value::Array(params)) = act::get(m, "Parameters") {
            set_mailbox_forward = params.iter().any(|p| {
                p.get("Name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.to_ascii_lowercase().contains("forward"))
            });
        }
        if set_mailbox_forward {
            activity = ActivityType::MailForwardingRule;
        }
    }
    let status = act::text(m, "ResultStatus");
    let failed = op == "UserLoginFailed"
        || status
            .as_deref()
            .is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "failed" | "failure" | "false"));
    let workload = act::text(m, "Workload");
    let ext = |name: &str| -> Option<String> {
        act::get(m, "ExtendedProperties")?
            .as_array()?
            .iter()
            .find_map(|p| (p.get("Name")?.as_str()? == name).then(|| p.get("Value")?.as_str().map(str::to_string))?)
    };
    let ip = act::text(m, "ClientIP")
        .or_else(|| act::text(m, "ActorIpAddress"))
        .or_else(|| act::text(m, "ClientIPAddress"))
        .and_then(|s| act::ip(&s));
    Ok(Activity {
        time_us: time,
        event_id: act::text(m, "Id"),
        user: act::text(m, "UserId"),
        app_id: workload.as_deref().and_then(workload_app),
        app: workload,
        activity,
        result: Some(if failed { Outcome::Failure } else { Outcome::Success }),
        ip,
        object: act::text(m, "ObjectId")
            .or_else(|| act::text(m, "SourceFileName"))
            .or_else(|| act::text(m, "Item")),
        user_agent: act::text(m, "UserAgent").or_else(|| ext("UserAgent")),
        admin,
        action: op,
        ..Activity::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(p: &mut dyn LineParser, line: &str) -> Activity {
        match p.parse(line.as_bytes()).unwrap() {
            Line::Activities(mut v) => v.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn maps_operations() {
        let mut p = JsonParser;
        let a = one(
            &mut p,
            r#"{"CreationTime":"2026-11-20T08:00:01","Id":"a1","Operation":"UserLoginFailed","RecordType":15,"ResultStatus":"Failed","UserId":"eve@contoso.com","Workload":"AzureActiveDirectory","ClientIP":"203.0.113.9:4431","ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"}]}"#,
        );
        assert_eq!(a.activity, ActivityType::Login);
        assert_eq!(a.result, Some(Outcome::Failure));
        assert_eq!(a.ip, "203.0.113.9".parse().ok());
        assert_eq!(a.app_id, Some("entra-id"));
        assert_eq!(a.user_agent.as_deref(), Some("Mozilla/5.0"));
        assert!(!a.admin);
        let d = one(
            &mut p,
            r#"{"CreationTime":"2026-11-20 08:00:02","Operation":"FileDownloaded","RecordType":6,"UserId":"bob@contoso.com","Workload":"SharePoint","ObjectId":"https://x.sharepoint.com/a.docx","ClientIP":"10.0.0.5"}"#,
        );
        assert_eq!(
            (d.activity, d.result, d.app_id),
            (
                ActivityType::Download,
                Some(Outcome::Success),
                Some("sharepoint-online")
            )
        );
        assert_eq!(d.object.as_deref(), Some("https://x.sharepoint.com/a.docx"));
        let x = one(
            &mut p,
            r#"{"CreationTime":"2026-11-20T08:00:03","Operation":"Set-Mailbox","RecordType":1,"ResultStatus":"True","UserId":"adm@contoso.com","Workload":"Exchange","Parameters":[{"Name":"ForwardingSmtpAddress","Value":"smtp:x@evil.example"}]}"#,
        );
        assert_eq!((x.activity, x.admin), (ActivityType::MailForwardingRule, true));
        let r = one(
            &mut p,
            r#"{"CreationTime":"2026-11-20T08:00:03","Operation":"Add member to role.","RecordType":8,"ResultStatus":"Success","UserId":"adm@contoso.com","Workload":"AzureActiveDirectory"}"#,
        );
        assert_eq!((r.activity, r.admin), (ActivityType::Admin, true));
        assert!(p.parse(br#"{"eventType":"user.session.start"}"#).is_err());
        assert!(
            p.parse(br#"{"Operation":"X","Workload":"Exchange"}"#).is_err(),
            "no time"
        );
    }

    #[test]
    fn skipping_unread_members_changes_nothing() {
        // Every key `from_record` reads is in KEYS (a key left out would read as absent), in
        // any case; escaped keys, duplicates (the last wins), nested values, extra members.
        let src = include_str!("m365.rs");
        let body = &src[src.find("pub fn from_record").unwrap()..src.find("#[cfg(test)]").unwrap()];
        for k in body.split("(m, \"").skip(1) {
            let k = &k[..k.find('"').unwrap()];
            assert!(KEYS.contains(&k), "{k} is read but not kept");
        }
        let lines = [
            r#"{"CreationTime":"2026-11-20T08:00:01","Id":"a1","Operation":"UserLoginFailed","RecordType":15,"ResultStatus":"Failed","UserId":"eve@contoso.com","Workload":"AzureActiveDirectory","ClientIP":"203.0.113.9:4431","ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"}],"AppAccessContext":{"AADSessionId":"x","CorrelationId":"y"},"Actor":[{"ID":"a","Type":5}]}"#,
            r#"{"creationtime":"2026-11-20T08:00:01","operation":"FileDownloaded","recordtype":"6","userid":"bob@x.com","workload":"OneDrive","sourcefilename":"a.txt","clientipaddress":"10.1.1.1"}"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"FileUploaded","Workload":"SharePoint","User\u0049d":"esc@x.com","UserId":"dup1","UserId":"dup2","ObjectId":null,"Item":"it","Site":{"a":[1,2,{"b":"\u00e9"}]}}"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"Set-Mailbox","RecordType":1,"Workload":"Exchange","Parameters":[{"Name":"ForwardingSmtpAddress","Value":"smtp:x@evil.example"}],"Extra":1.5e3}"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange"} trailing"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange","Bad":tru}"#,
            r#"["not","an","object"]"#,
            // What serde's plain skipping would let through, in members no reader keeps.
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange","Site":"\ud800"}"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange","Extra":1e400}"#,
            r#"{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange","Ok":[1,-2,3.5e-7,true,null,{"a":"\u00e9\n"}]}"#,
        ];
        let deep = format!(
            r#"{{"CreationTime":"2026-11-20T08:00:01","Operation":"X","Workload":"Exchange","X":{}1{}}}"#,
            "[".repeat(129),
            "]".repeat(129)
        );
        let latin1 = b"{\"CreationTime\":\"2026-11-20T08:00:01\",\"Operation\":\"X\",\"Workload\":\"Exchange\",\"Site\":\"caf\xe9\"}";
        for l in lines.iter().map(|l| l.as_bytes()).chain([deep.as_bytes(), &latin1[..]]) {
            // serde_json reading the bytes (what both did before they read a valid line as
            // `str`, which must change nothing).
            let bytes = if l.first() == Some(&b'{') {
                serde_json::from_slice::<Map<String, Value>>(l)
                    .map_err(|e| Reject::from(format!("invalid JSON: {e}")))
                    .and_then(|m| from_record(&m))
            } else {
                Err(Reject::from("not a JSON object"))
            };
            // The whole objects too, not only what `from_record` makes of them.
            if l.first() == Some(&b'{') {
                let plain = serde_json::from_slice::<Map<String, Value>>(l).map_err(|e| e.to_string());
                let read = act::object(l).map_err(|e| e.reason.to_string());
                assert_eq!(read, plain.map_err(|e| format!("invalid JSON: {e}")));
            }
            let full = act::object(l).and_then(|m| from_record(&m));
            let some = act::object_with(l, KEYS).and_then(|m| from_record(&m));
            let l = String::from_utf8_lossy(l);
            for (what, other) in [("object_with", some), ("from_slice", bytes)] {
                match (&full, other) {
                    (Ok(a), Ok(b)) => assert_eq!(a, &b, "{what}: {l}"),
                    (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what}: {l}"),
                    (a, b) => panic!("{what}: {l}: {a:?} vs {b:?}"),
                }
            }
        }
    }

    #[test]
    fn purview_csv() {
        let mut p = CsvParser { audit_col: None };
        assert!(matches!(
            p.parse(b"\xef\xbb\xbfCreationDate,UserIds,Operations,AuditData")
                .unwrap(),
            Line::Meta
        ));
        let a = one(
            &mut p,
            r#"2026-11-20T08:00:01.0000000Z,eve@contoso.com,FileUploaded,"{""CreationTime"":""2026-11-20T08:00:01"",""Operation"":""FileUploaded"",""UserId"":""eve@contoso.com"",""Workload"":""OneDrive"",""SourceFileName"":""notes.txt.locky""}""#,
        );
        assert_eq!((a.activity, a.app_id), (ActivityType::Upload, Some("onedrive")));
        assert_eq!(a.object.as_deref(), Some("notes.txt.locky"));
        assert!(p.parse(b"2026-11-20,eve,FileUploaded,not json").is_err());
        let mut q = CsvParser { audit_col: None };
        assert!(q.parse(b"a,b,c").is_err(), "a CSV without AuditData is not this format");
    }
}
