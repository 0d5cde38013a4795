//! The pipeline: one nightly run as library functions, stage by stage.
//!
//! - [`scan`] — inputs → chunks → parsed records and activities → discovery aggregates, in
//!   parallel (ingest, formats, enrich, discovery).
//! - [`replay`] — the activities through the activity policies, against the state store, into
//!   alerts and their delivery (enrich, policy, alerts, state).
//! - [`run`] — the whole `cloudcensus scan` (or `merge`): set-up, lock, scan, replay, outputs written, then
//!   state committed, and the exit code a scheduler acts on.
//! - [`nightly`] — the history and the app discovery policies over each app's usage per day.
//! - [`spill`] — the activities between the scan and the replay, as sorted runs (in memory or
//!   in temporary files) merged back in replay order.
//! - [`partial`] — one shard's scan result and activities as a file (`scan --partial`), and
//!   the fold of many into one scan's result (`merge`: [`run`] then replays and writes as
//!   usual).
//! - [`setup`] — what `scan` and `parse` share before reading: formats, catalog, time zone,
//!   scan options.
//!
//! Owns: the order of the stages and what passes between them. Must not touch: how a line is
//! parsed, counted, matched or written — each stage's own module does that.

pub mod nightly;
pub mod partial;
pub mod replay;
pub mod run;
pub mod scan;
pub mod setup;
pub mod spill;
