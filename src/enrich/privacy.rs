//! Pseudonymized users (`[privacy]`): user names become stable, reversible tokens before
//! anything is counted, so that no output, history, state row, rejected-line listing or
//! delivered alert holds a name; source addresses can be masked to a prefix.
//!
//! * **Tokens** are AES-SIV (RFC 5297, the RustCrypto `aes-siv` crate, 512-bit key) of the
//!   identity-normalized name in lower case, written `u_` + lower-case base32. SIV is deterministic: the same name
//!   under the same key is the same token on every night, in traffic and activity logs alike,
//!   so counts per user stay exact; and it is authenticated: a token opens only under the key
//!   that made it, and a token that was altered, or made with another key, is refused (never a
//!   wrong name). A bare hash would not do: anyone with a list of employee names could hash
//!   them all and read every token back.
//! * **Rejected lines** (`rejected_lines.jsonl`) cannot be searched for where the name is, so
//!   with users pseudonymized their excerpt is sealed whole (`r_` + base64url, the same scheme
//!   under another associated data) and quoted text in reasons is elided: `users reveal` opens
//!   a sealed line like a user token, on the record. With addresses masked and names kept
//!   there is no key to seal with: the excerpt is withheld.
//! * **Names inside text**: an activity's object that is a user account (formats mark it:
//!   the target of a password reset, a role grant, an IAM user policy) becomes that user's token;
//!   any other object (a shared-with address, a OneDrive `/personal/<name>/` path) has its e-mail
//!   addresses, `DOMAIN\name` accounts and the acting user's own name replaced by tokens.
//! * **Source addresses** (`source_ips = "mask"`) keep their first `ipv4_prefix` / `ipv6_prefix`
//!   bits; activities are masked after their country and IP range were looked up.
//!
//! The key is 64 random bytes, written as 128 hexadecimal characters, from
//! `CLOUDCENSUS_PRIVACY_KEY` or `[privacy] key_file` (a file only its owner can read); it is
//! never written anywhere. Outputs, the state and the history carry its [`Privacy::fingerprint`]
//! (a SHA-256 of the key, which reveals nothing of it) so that a state or history is never fed
//! by two keys, or by names and tokens.
//!
//! Owns: the key, tokens, sealing and masking. Must not touch: parsing, aggregation, storage
//! (the audit of reveals is the state's and the command's).

use crate::base::activity::Activity;
use crate::base::Record;
use crate::enrich::Identity;
use aes_siv::siv::Aes256Siv;
use aes_siv::KeyInit;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// The environment variable that holds the key (it wins over `[privacy] key_file`).
pub const KEY_ENV: &str = "CLOUDCENSUS_PRIVACY_KEY";
/// Bytes of a key.
pub const KEY_BYTES: usize = 64;
const AD_USER: &[u8] = b"cloudcensus user v1";
const AD_TEXT: &[u8] = b"cloudcensus text v1";

/// What a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A user name (`u_…`).
    User,
    /// A sealed text: a rejected line's excerpt (`r_…`).
    Text,
}

impl TokenKind {
    /// `user` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::Text => "text",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::User => "u_",
            TokenKind::Text => "r_",
        }
    }
    fn ad(self) -> &'static [u8] {
        match self {
            TokenKind::User => AD_USER,
            TokenKind::Text => AD_TEXT,
        }
    }
}

/// Why privacy cannot be set up, or a token cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrivacyError {
    /// A mode that is not one of the known ones.
    #[error("[privacy] {field} = {value:?}: expected {expected}")]
    BadMode {
        /// The setting.
        field: &'static str,
        /// As written.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// A prefix length out of range.
    #[error("[privacy] {field} = {value}: expected 0 to {max}")]
    BadPrefix {
        /// The setting.
        field: &'static str,
        /// As written.
        value: u32,
        /// The address width.
        max: u8,
    },
    /// Pseudonymization is on and no key is given.
    #[error("[privacy] users = \"pseudonymize\" needs a key: set {KEY_ENV} or [privacy] key_file = \"PATH\" (make one with `cloudcensus users keygen --out PATH`)")]
    NoKey,
    /// The key file cannot be read.
    #[error("cannot read the privacy key file {path}: {message}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The key is not 64 bytes of hexadecimal.
    #[error("the privacy key from {from} is not {KEY_BYTES} bytes written as {} hexadecimal characters (make one with `cloudcensus users keygen`)", KEY_BYTES * 2)]
    BadKey {
        /// `CLOUDCENSUS_PRIVACY_KEY` or the file.
        from: String,
    },
    /// The key file can be read by others.
    #[error("the privacy key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")]
    KeyFileOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a token at all.
    #[error("{0:?} is not a cloudcensus token (tokens start with u_ or r_)")]
    NotAToken(String),
    /// A token that does not open under this key.
    #[error("this token does not open with this key: it was made with another key (after a key rotation, reveal with the old key) or it was altered")]
    WrongKey,
    /// Revealing needs a key and pseudonymization is not configured.
    #[error("no privacy key is configured: set {KEY_ENV} or [privacy] key_file in the config")]
    NotConfigured,
}

/// A privacy key (zeroed when dropped is not promised: it lives as long as the process).
#[derive(Clone)]
pub struct Key([u8; KEY_BYTES]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    /// Parse 128 hexadecimal characters (surrounding white space ignored).
    pub fn parse(text: &str, from: &str) -> Result<Key, PrivacyError> {
        let t = text.trim();
        let bad = || PrivacyError::BadKey { from: from.to_string() };
        if t.len() != KEY_BYTES * 2 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut k = [0u8; KEY_BYTES];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Key(k))
    }

    /// A new random key from the operating system.
    pub fn generate() -> Result<Key, std::io::Error> {
        let mut k = [0u8; KEY_BYTES];
        getrandom::fill(&mut k).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Key(k))
    }

    /// The key as 128 hexadecimal characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Read the key: the environment variable when set, else `file`.
    pub fn load(file: Option<&std::path::Path>) -> Result<Option<Key>, PrivacyError> {
        if let Ok(v) = std::env::var(KEY_ENV) {
            if !v.trim().is_empty() {
                return Key::parse(&v, KEY_ENV).map(Some);
            }
        }
        let Some(p) = file else { return Ok(None) };
        let path = p.display().to_string();
        let meta = std::fs::metadata(p).map_err(|e| PrivacyError::KeyFile {
            path: path.clone(),
            message: e.to_string(),
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(PrivacyError::KeyFileOpen { path, mode });
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text = std::fs::read_to_string(p).map_err(|e| PrivacyError::KeyFile {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Key::parse(&text, &path).map(Some)
    }
}

/// What is done to whom, for a run.
#[derive(Debug, Clone, Default)]
pub struct Privacy {
    key: Option<Key>,
    users: bool,
    /// (IPv4, IPv6) prefix lengths kept of source addresses.
    mask: Option<(u8, u8)>,
}

/// A token opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revealed {
    /// What it stood for.
    pub kind: TokenKind,
    /// The name (or text).
    pub text: String,
}

/// A prefix of `ip`: its first `v4` or `v6` bits, the rest zero.
pub fn mask_ip(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = if v4 == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(v4.min(32)))
            };
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = if v6 == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(v6.min(128)))
            };
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

impl Privacy {
    /// Nothing pseudonymized, nothing masked.
    pub fn off() -> Privacy {
        Privacy::default()
    }

    /// From the config's settings. `users`: `keep` or `pseudonymize`; `source_ips`: `keep` or
    /// `mask`. The key is needed only to pseudonymize (but kept when given, for reveals).
    pub fn new(users: &str, source_ips: &str, prefixes: (u32, u32), key: Option<Key>) -> Result<Privacy, PrivacyError> {
        let users = match users {
            "keep" => false,
            "pseudonymize" => true,
            v => {
                return Err(PrivacyError::BadMode {
                    field: "users",
                    value: v.to_string(),
                    expected: "\"keep\" or \"pseudonymize\"",
                })
            }
        };
        let (v4, v6) = prefixes;
        if v4 > 32 {
            return Err(PrivacyError::BadPrefix {
                field: "ipv4_prefix",
                value: v4,
                max: 32,
            });
        }
        if v6 > 128 {
            return Err(PrivacyError::BadPrefix {
                field: "ipv6_prefix",
                value: v6,
                max: 128,
            });
        }
        let mask = match source_ips {
            "keep" => None,
            "mask" => Some((v4 as u8, v6 as u8)),
            v => {
                return Err(PrivacyError::BadMode {
                    field: "source_ips",
                    value: v.to_string(),
                    expected: "\"keep\" or \"mask\"",
                })
            }
        };
        if users && key.is_none() {
            return Err(PrivacyError::NoKey);
        }
        Ok(Privacy { key, users, mask })
    }

    /// Whether anything is changed at all.
    pub fn is_off(&self) -> bool {
        !self.users && self.mask.is_none()
    }

    /// A fingerprint of the key (16 hex characters of SHA-256 over a label and the key), when
    /// users are pseudonymized: what the state and `run.json` record instead of the key.
    pub fn fingerprint(&self) -> Option<String> {
        use sha2::Digest as _;
        let k = self.key.as_ref().filter(|_| self.users)?;
        let mut h = sha2::Sha256::new();
        h.update(b"cloudcensus key fingerprint v1\0");
        h.update(k.0);
        let d = h.finalize();
        Some(d[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// `run.json`'s `privacy` object.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "users": if self.users { "pseudonymized" } else { "as-logged" },
            "key_fingerprint": self.fingerprint(),
            "source_ips": match self.mask {
                Some((a, b)) => format!("masked to /{a} (IPv4) and /{b} (IPv6)"),
                None => "as-logged".to_string(),
            },
        })
    }

    /// A per-thread tokenizer (it remembers the names it has seen).
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens {
            p: self,
            siv: self
                .key
                .as_ref()
                .filter(|_| self.users)
                .map(|k| Aes256Siv::new_from_slice(&k.0).expect("a 64-byte key is an AES-256-SIV key")),
            memo: HashMap::new(),
            identity: None,
        }
    }

    /// Open a token (`u_…` or `r_…`) under this key.
    pub fn open(&self, token: &str) -> Result<Revealed, PrivacyError> {
        let t = token.trim();
        let kind = if t.starts_with("u_") {
            TokenKind::User
        } else if t.starts_with("r_") {
            TokenKind::Text
        } else {
            return Err(PrivacyError::NotAToken(t.to_string()));
        };
        let key = self.key.as_ref().ok_or(PrivacyError::NotConfigured)?;
        let bytes = base32::decode(B32, &t[2..].to_ascii_uppercase())
            .filter(|_| {
                t[2..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
            })
            .ok_or_else(|| PrivacyError::NotAToken(t.to_string()))?;
        let mut siv = Aes256Siv::new_from_slice(&key.0).expect("a 64-byte key is an AES-256-SIV key");
        let plain = siv.decrypt([kind.ad()], &bytes).map_err(|_| PrivacyError::WrongKey)?;
        let text = String::from_utf8(plain).map_err(|_| PrivacyError::WrongKey)?;
        Ok(Revealed { kind, text })
    }

    /// The token of one (already normalized) name; `None` when users are not pseudonymized.
    pub fn token(&self, name: &str) -> Option<String> {
        self.tokens()
            .siv
            .as_mut()
            .map(|s| seal(s, TokenKind::User, name.as_bytes()))
    }
}

/// Tokens are written in lower-case RFC 4648 base32: letters, digits and `_` only, so a token
/// survives every place that folds case (filters, the anomaly baselines) and needs no quoting
/// in CSV, SQL, JSON, URLs or a shell.
const B32: base32::Alphabet = base32::Alphabet::Rfc4648 { padding: false };

fn seal(siv: &mut Aes256Siv, kind: TokenKind, text: &[u8]) -> String {
    let ct = siv.encrypt([kind.ad()], text).expect("one associated data item");
    let mut s = String::with_capacity(2 + ct.len() * 8 / 5 + 1);
    s.push_str(kind.prefix());
    s.push_str(&base32::encode(B32, &ct).to_ascii_lowercase());
    s
}

/// Whether a user field holds a name at all (formats write `-` or nothing for none).
fn is_name(u: &str) -> bool {
    !u.is_empty() && u != "-"
}

/// Names remembered per tokenizer before the memo starts over (a few MB at most).
const MEMO_MAX: usize = 1 << 16;

/// Tokens for one thread: the cipher and a memo of the names seen, so that a user's token is
/// computed about once per thread, not once per record.
pub struct Tokens<'a> {
    p: &'a Privacy,
    siv: Option<Aes256Siv>,
    memo: HashMap<Box<str>, Box<str>>,
    identity: Option<&'a Identity>,
}

impl<'a> Tokens<'a> {
    /// Names found inside text are normalized like users before they are tokenized, so that
    /// `CORP\jdoe` in an object gets the token of the user `jdoe@corp.example`.
    pub fn with_identity(mut self, identity: &'a Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    fn normalized<'n>(&self, name: &'n str) -> Cow<'n, str> {
        match self.identity {
            Some(i) if !i.is_as_logged() => i.apply(name),
            _ => Cow::Borrowed(name),
        }
    }

    /// Whether users are pseudonymized.
    pub fn on(&self) -> bool {
        self.siv.is_some()
    }

    /// The token of a (normalized) user name; the name itself when users are kept, or when it
    /// is no name (empty or `-`). Letter case is folded first (as directories compare names),
    /// so `Bob@Contoso.com` and `bob@contoso.com` are one person, one token.
    pub fn user<'n>(&mut self, name: &'n str) -> Cow<'n, str> {
        let Some(siv) = &mut self.siv else {
            return Cow::Borrowed(name);
        };
        if !is_name(name) {
            return Cow::Borrowed(name);
        }
        if let Some(t) = self.memo.get(name) {
            return Cow::Owned(t.to_string());
        }
        let t = seal(siv, TokenKind::User, name.to_lowercase().as_bytes());
        if self.memo.len() >= MEMO_MAX {
            self.memo.clear();
        }
        self.memo.insert(name.into(), t.as_str().into());
        Cow::Owned(t)
    }

    /// A traffic record's user replaced by a token (its source address is masked by
    /// [`Privacy::mask_record`], once traffic policies have taken what they need).
    pub fn record(&mut self, r: &mut Record<'_>) {
        if self.siv.is_some() {
            if let Some(u) = r.user.take() {
                r.user = Some(Cow::Owned(self.user(&u).into_owned()));
            }
        }
    }

    /// An activity: its user replaced by a token, names in its object too (`logged` is the
    /// user as the log wrote it, before normalization). Addresses are masked later
    /// ([`Privacy::mask_activity`]), once the IP ranges and country have been looked up.
    pub fn activity(&mut self, a: &mut Activity, logged: Option<&str>) {
        if self.siv.is_none() {
            return;
        }
        let own = a.user.clone();
        if let Some(u) = &a.user {
            a.user = Some(self.user(u).into_owned());
        }
        if let Some(o) = &a.object {
            if a.object_is_user {
                // A user account: that user's token (the same as when they act themselves).
                let name = self.normalized(o).into_owned();
                a.object = Some(self.user(&name).into_owned());
            } else if let Cow::Owned(s) = self.scrub(o, &[logged, own.as_deref()]) {
                a.object = Some(s);
            }
        }
    }

    /// `text` with the given names (as logged, and normalized), then e-mail addresses,
    /// `DOMAIN\name` accounts and OneDrive `/personal/<name>/` folders replaced by user tokens.
    /// File paths keep their shape: `C:\Users\…` is a path, not an account, and a file name
    /// with an `@` at the end of a path (`/img/logo@2x.png`) is a file, not an address.
    pub fn scrub<'t>(&mut self, text: &'t str, names: &[Option<&str>]) -> Cow<'t, str> {
        if self.siv.is_none() {
            return Cow::Borrowed(text);
        }
        // The names first, on the text as it came (a short name must not match inside a token).
        let mut s: Cow<'t, str> = Cow::Borrowed(text);
        for n in names.iter().flatten().filter(|n| n.len() >= 3 && is_name(n)) {
            if s.contains(n) {
                let t = self.user(&self.normalized(n)).into_owned();
                s = Cow::Owned(s.replace(n, &t));
            }
        }
        let text: &str = &s;
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let b = text.as_bytes();
        let mut i = 0;
        let mut last = 0;
        while i < b.len() {
            // A `/personal/<name>/` segment (OneDrive for Business paths).
            if b[i] == b'/' && text[i..].starts_with("/personal/") {
                let s = i + "/personal/".len();
                let e = text[s..].find(['/', '?', '#']).map_or(text.len(), |k| s + k);
                if e > s {
                    out.push_str(&text[last..s]);
                    out.push_str(&self.user(&text[s..e]));
                    last = e;
                    i = e;
                    changed = true;
                    continue;
                }
            }
            if b[i] == b'@' || b[i] == b'\\' {
                let s = text[..i]
                    .rfind(|c: char| !is_name_char(c))
                    .map_or(0, |k| k + text[k..].chars().next().map_or(1, char::len_utf8));
                let mut e = text[i + 1..]
                    .find(|c: char| !is_name_char(c))
                    .map_or(text.len(), |k| i + 1 + k);
                // A sentence's full stop is not a part of the address.
                while e > i + 1 && b[e - 1] == b'.' {
                    e -= 1;
                }
                let before = s.checked_sub(1).map(|k| b[k]);
                let account = if b[i] == b'@' {
                    // Not the last segment of a path.
                    !matches!(before, Some(b'/') | Some(b'\\'))
                } else {
                    // One backslash in a word of its own: `CORP\jdoe`, not `C:\Users\x`.
                    let word_start = text[..s].rfind(char::is_whitespace).map_or(0, |k| k + 1);
                    let word_end = text[e..].find(char::is_whitespace).map_or(text.len(), |k| e + k);
                    let word = &text[word_start..word_end];
                    word.matches('\\').count() == 1 && !word.contains([':', '/'])
                };
                if account && s >= last && s < i && e > i + 1 {
                    out.push_str(&text[last..s]);
                    let name = self.normalized(&text[s..e]).into_owned();
                    out.push_str(&self.user(&name));
                    last = e;
                    i = e;
                    changed = true;
                    continue;
                }
            }
            i += 1;
        }
        if !changed {
            return s;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// A rejected line's excerpt, sealed whole; the excerpt itself when nothing is hidden.
    /// With masked addresses but users kept (no key to seal with) it is withheld, since the
    /// line's addresses cannot be found in a line that could not be read.
    pub fn seal_excerpt(&mut self, raw: &str) -> String {
        match &mut self.siv {
            Some(siv) => seal(siv, TokenKind::Text, raw.as_bytes()),
            None if self.p.mask.is_some() => {
                format!("(withheld: [privacy] source_ips = \"mask\"; {} bytes)", raw.len())
            }
            None => raw.to_string(),
        }
    }
}

/// Characters of the name and domain parts of an account (`jdoe.smith-2@corp.example`).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '\'')
}

impl Privacy {
    /// A traffic record's source address masked.
    pub fn mask_record(&self, r: &mut Record<'_>) {
        if let (Some((v4, v6)), Some(ip)) = (self.mask, r.source_ip) {
            r.source_ip = Some(mask_ip(ip, v4, v6));
        }
    }

    /// A raw line quoted in an error message: as a Rust string literal, or sealed (or withheld)
    /// under `[privacy]`, since it may name a user or an address.
    pub fn quote_line(&self, line: &str) -> String {
        if self.is_off() {
            format!("{line:?}")
        } else {
            self.tokens().seal_excerpt(line)
        }
    }

    /// An activity's source address masked (after enrichment).
    pub fn mask_activity(&self, a: &mut Activity) {
        if let (Some((v4, v6)), Some(ip)) = (self.mask, a.ip) {
            a.ip = Some(mask_ip(ip, v4, v6));
        }
    }

    /// A reason with its quoted parts elided when users are pseudonymized: a reason may quote
    /// the field it could not read, and that field may be a name.
    pub fn scrub_reason<'r>(&self, reason: &'r str) -> Cow<'r, str> {
        if !self.users || !reason.contains(['"', '`']) {
            return Cow::Borrowed(reason);
        }
        let mut out = String::with_capacity(reason.len());
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for c in reason.chars() {
            match quote {
                Some(_) if escaped => escaped = false,
                Some(_) if c == '\\' => escaped = true,
                Some(q) if c == q => {
                    out.push('…');
                    out.push(c);
                    quote = None;
                }
                Some(_) => {}
                None if matches!(c, '"' | '`') => {
                    out.push(c);
                    quote = Some(c);
                }
                None => out.push(c),
            }
        }
        if quote.is_some() {
            out.push('…');
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key {
        Key([b; KEY_BYTES])
    }

    fn on() -> Privacy {
        Privacy::new("pseudonymize", "keep", (24, 64), Some(key(7))).unwrap()
    }

    #[test]
    fn tokens_are_stable_distinct_and_open_only_with_their_key() {
        let p = on();
        let mut t = p.tokens();
        let a = t.user("alice@contoso.com").into_owned();
        assert!(a.starts_with("u_"), "{a}");
        assert!(
            a[2..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
            "{a}"
        );
        // One person whatever the letter case; no token for no name.
        assert_eq!(t.user("Alice@Contoso.COM"), a);
        assert_eq!(t.user("-"), "-");
        assert_eq!(t.user(""), "");
        assert_eq!(a, p.token("alice@contoso.com").unwrap(), "stable across tokenizers");
        assert_ne!(a, t.user("bob@contoso.com"));
        assert_eq!(p.open(&a).unwrap().text, "alice@contoso.com");
        let other = Privacy::new("pseudonymize", "keep", (24, 64), Some(key(8))).unwrap();
        assert_ne!(
            other.token("alice@contoso.com").unwrap(),
            a,
            "another key, another token"
        );
        assert_eq!(other.open(&a), Err(PrivacyError::WrongKey));
        // Altered by one character: refused, never a wrong name.
        let mut bad = a.clone().into_bytes();
        let k = bad.len() - 3;
        bad[k] = if bad[k] == b'a' { b'b' } else { b'a' };
        assert_eq!(p.open(std::str::from_utf8(&bad).unwrap()), Err(PrivacyError::WrongKey));
        assert!(matches!(p.open("alice"), Err(PrivacyError::NotAToken(_))));
        // A sealed line is not a user token: its kind is authenticated too.
        let r = t.seal_excerpt("line with alice");
        assert!(r.starts_with("r_"));
        let forged = format!("u_{}", &r[2..]);
        assert_eq!(p.open(&forged), Err(PrivacyError::WrongKey));
        assert_eq!(p.open(&r).unwrap().kind, TokenKind::Text);
    }

    #[test]
    fn keys_parse_from_hex_only() {
        let k = key(0xab);
        assert_eq!(Key::parse(&format!(" {}\n", k.to_hex()), "f").unwrap().0, k.0);
        assert!(Key::parse("abcd", "f").is_err());
        assert!(Key::parse(&"zz".repeat(64), "f").is_err());
        assert_eq!(
            Privacy::new("pseudonymize", "keep", (24, 64), None).unwrap_err(),
            PrivacyError::NoKey
        );
        assert!(Privacy::new("hide", "keep", (24, 64), None).is_err());
        assert!(Privacy::new("keep", "mask", (33, 64), None).is_err());
        assert!(Key::generate().unwrap().0 != Key::generate().unwrap().0);
    }

    #[test]
    fn names_in_text_are_replaced() {
        let p = on();
        let mut t = p.tokens();
        let bob = p.token("bob@fabrikam.com").unwrap();
        let s = t.scrub("Shared with bob@fabrikam.com (edit)", &[]);
        assert_eq!(s, format!("Shared with {bob} (edit)"));
        let s = t.scrub(
            "https://contoso-my.sharepoint.com/personal/alice_contoso_com/Documents/q3.xlsx",
            &[],
        );
        assert!(!s.contains("alice"), "{s}");
        assert!(s.ends_with("/Documents/q3.xlsx"));
        let s = t.scrub("Add member CORP\\jdoe to role", &[]);
        assert!(!s.contains("jdoe"), "{s}");
        let s = t.scrub("report for jdoe.smith", &[Some("jdoe.smith")]);
        assert!(!s.contains("jdoe"), "{s}");
        assert_eq!(t.scrub("no names here/at all", &[]), "no names here/at all");
        // Paths keep their shape (a ransomware policy matches the extension).
        let s = t.scrub("C:\\Users\\alice\\Docs\\x.locky", &[Some("alice")]);
        assert!(
            !s.contains("alice") && s.starts_with("C:\\Users\\u_") && s.ends_with("\\Docs\\x.locky"),
            "{s}"
        );
        assert_eq!(t.scrub("/img/logo@2x.png", &[]), "/img/logo@2x.png");
        // A short name never lands inside a token.
        let s = t.scrub("bob@fabrikam.com and abc", &[Some("abc")]);
        assert!(s.contains(&bob) && !s.contains("abc"), "{s}");
        let off = Privacy::off();
        assert_eq!(off.tokens().scrub("bob@fabrikam.com", &[]), "bob@fabrikam.com");
    }

    #[test]
    fn masks_keep_the_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(mask_ip(ip("203.0.113.77"), 24, 64), ip("203.0.113.0"));
        assert_eq!(mask_ip(ip("2001:db8:1:2:3:4:5:6"), 24, 64), ip("2001:db8:1:2::"));
        assert_eq!(mask_ip(ip("10.1.2.3"), 0, 0), ip("0.0.0.0"));
        assert_eq!(mask_ip(ip("10.1.2.3"), 32, 128), ip("10.1.2.3"));
    }

    #[test]
    fn reasons_lose_their_quotes() {
        let p = on();
        assert_eq!(
            p.scrub_reason("bad time \"alice\" in field 3"),
            "bad time \"…\" in field 3"
        );
        assert_eq!(p.scrub_reason("no quotes"), "no quotes");
        assert_eq!(p.scrub_reason(r#"bad value "a\"lice" here"#), "bad value \"…\" here");
        assert_eq!(Privacy::off().scrub_reason("bad \"x\""), "bad \"x\"");
    }
}
