//! Enrichment of what the logs say with what they do not: the country of an IP address from a
//! MaxMind-format GeoIP database, the category and tags of IP ranges, and one form for each
//! user's name (`CORP\jdoe`, `jdoe@corp.example`); and what the logs must not say: tokens in
//! place of user names, masked source addresses, excluded users, ranges and apps.
//!
//! Owns: opening and querying `.mmdb` files, IP range lookups, user-name normalization,
//! pseudonymization and exclusion tests. Must
//! not touch: parsing, catalog matching, aggregation. Destination countries are looked up while
//! records are counted, through a fixed-size per-worker [`CountryCache`]; source-address
//! countries once per distinct (app, source address) at report time.

pub mod exclude;
pub mod geo;
pub mod identity;
pub mod ip_ranges;
pub mod privacy;

pub use exclude::{ExcludeError, Exclusions};
pub use geo::{CountryCache, GeoDb, GeoError};
pub use identity::{Identity, IdentityError};
pub use privacy::{Privacy, PrivacyError};
