//! The privacy side of the state: which key's tokens the state holds, and the audit of every
//! token revealed or looked up (`cloudcensus users reveal`, `users token`), which a DPO reads
//! with `cloudcensus users audit`.
//!
//! Owns: the `privacy_audit` table and the `privacy_key` meta row. Must not touch: the key
//! itself (only its fingerprint is stored) or the names revealed (never stored).

use super::{State, StateError};
use rusqlite::{params, OptionalExtension};

/// Tables this part of the state adds (created with the others).
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS privacy_audit(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_us INTEGER NOT NULL, who TEXT NOT NULL,
    action TEXT NOT NULL, token TEXT NOT NULL, outcome TEXT NOT NULL, justification TEXT NOT NULL);";

/// Store the mark [`State::check_privacy`] accepted, in the run's transaction.
pub(super) fn store_mark(tx: &rusqlite::Transaction<'_>, mark: Option<&str>) -> rusqlite::Result<()> {
    if let Some(m) = mark {
        tx.execute(
            "INSERT INTO meta(key, value) VALUES('privacy_key', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![m],
        )?;
    }
    Ok(())
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    /// When (µs since the epoch).
    pub at_us: i64,
    /// Who ran the command (operating-system account).
    pub who: String,
    /// `reveal` or `token`.
    pub action: String,
    /// The token revealed, or the token a name was looked up to.
    pub token: String,
    /// `revealed`, `refused: …`, or `looked up`.
    pub outcome: String,
    /// Why, as given.
    pub justification: String,
}

impl State {
    /// Check that this state holds tokens of the same key as this run (`fingerprint`: the
    /// key's fingerprint when users are pseudonymized, else none), so that one state never
    /// mixes names with tokens, or tokens of two keys. The first run records its fingerprint
    /// when it commits ([`State::commit_run`]).
    pub fn check_privacy(&mut self, fingerprint: Option<&str>) -> Result<(), StateError> {
        let stored = self.privacy_key()?;
        let runs: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .map_err(self.sql())?;
        let want = fingerprint.unwrap_or("none");
        match stored.as_deref() {
            Some(s) if s == want => {}
            None if runs == 0 || want == "none" => {}
            have => {
                let have = have.unwrap_or("none");
                let message = match (have, want) {
                    ("none", _) => "this state holds real user names from earlier runs; a run with pseudonymized users needs a new state file (--state) and history, or the old ones removed".to_string(),
                    (_, "none") => format!("this state holds user tokens of the privacy key {have}; set that key ([privacy] key_file or CLOUDCENSUS_PRIVACY_KEY) or give this run a new state file (--state)"),
                    _ => format!("this state holds user tokens of the privacy key {have}, not of this run's key {want}; after a key rotation start a new state file (--state) and history (see README, Privacy)"),
                };
                return Err(StateError::Schema {
                    path: self.path.clone(),
                    message,
                });
            }
        }
        self.privacy_mark = Some(want.to_string());
        Ok(())
    }

    /// The fingerprint of the privacy key whose tokens this state holds (`none`: names; `None`:
    /// no run recorded one yet).
    pub fn privacy_key(&self) -> Result<Option<String>, StateError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'privacy_key'", [], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    /// Add an audit row (before the name is shown: a reveal that cannot be recorded is not made).
    pub fn audit(&self, row: &AuditRow) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO privacy_audit(at_us, who, action, token, outcome, justification)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    row.at_us,
                    row.who,
                    row.action,
                    row.token,
                    row.outcome,
                    row.justification
                ],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Every audit row, oldest first.
    pub fn audit_rows(&self) -> Result<Vec<AuditRow>, StateError> {
        let mut st = self
            .conn
            .prepare("SELECT at_us, who, action, token, outcome, justification FROM privacy_audit ORDER BY id")
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| {
                Ok(AuditRow {
                    at_us: r.get(0)?,
                    who: r.get(1)?,
                    action: r.get(2)?,
                    token: r.get(3)?,
                    outcome: r.get(4)?,
                    justification: r.get(5)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }
}
