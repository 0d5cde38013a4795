//! cloudcensus — batch cloud discovery (shadow IT) and activity policies over firewall, proxy
//! and SaaS logs.
//!
//! The pipeline reads top to bottom, and so do the modules:
//!
//! 1. [`ingest`] — find inputs, decompress, cut into line-aligned chunks.
//! 2. [`formats`] — one parser per log format, all producing one normalized [`formats::Record`].
//! 3. [`catalog`] — which app a host or IP belongs to.
//! 4. [`enrich`] — GeoIP country of addresses.
//! 5. [`discovery`] — mergeable aggregates per app, user, IP, day, unmatched domain.
//! 6. [`policy`] — SaaS and traffic activities replayed through activity policies.
//! 7. [`report`] and [`alerts`] — Parquet and JSON outputs, alert files and delivery, written
//!    atomically.
//! 8. [`state`] — what survives between nightly runs (alerts and their triage, policy
//!    switches), in SQLite.
//!
//! [`scan`] runs stages 1–5 in parallel, [`replay`] stages 6–8; [`config`] reads the config
//! file.

pub mod alerts;
pub mod base;
pub mod catalog;
pub mod config;
pub mod discovery;
pub mod enrich;
pub mod formats;
pub mod ingest;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod state;
