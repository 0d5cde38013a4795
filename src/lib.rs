//! cloudcensus — batch cloud discovery (shadow IT) and activity policies over firewall, proxy
//! and SaaS logs.
//!
//! The modules are floors; each imports only from the floors below it (`docs/architecture.md`):
//!
//! 1. [`base`] — the vocabulary every stage speaks: [`base::Record`], [`base::Activity`], time,
//!    stable hashing, URL hosts, TOML error lines. [`ingest`] — find inputs, decompress, cut
//!    them into line-aligned chunks.
//! 2. [`formats`] — one parser per log format: each line to a record, activities, a skip with
//!    its event type, or a reject with its reason. [`catalog`] — which app a host or IP
//!    belongs to, and its risk score. [`policy`] — activity policies and their replay.
//! 3. [`enrich`] — GeoIP country, IP range categories, one form for user names.
//!    [`discovery`] — mergeable aggregates per app, user, IP, day, unmatched domain, and the
//!    scan's per-input accounting. [`alerts`] — the alert model and its delivery.
//! 4. [`report`] — every output file, written atomically. [`state`] — what survives between
//!    nightly runs (alerts and their triage, policy switches, deliveries), in SQLite.
//!    [`config`] — the config file.
//! 5. [`pipeline`] — the stages put together: [`pipeline::scan`] (ingest → formats → enrich →
//!    discovery, in parallel), [`pipeline::replay`] (enrich → policy → alerts), and
//!    [`pipeline::run`], one whole nightly run as a function.
//!
//! The binary (`src/main.rs`, `src/cli/`) parses the command line, calls one of these, and
//! renders the answer.

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
