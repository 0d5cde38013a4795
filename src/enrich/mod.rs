//! Enrichment of what the logs say with what they do not: the country of an IP address from a
//! MaxMind-format GeoIP database.
//!
//! Owns: opening and querying `.mmdb` files. Must not touch: parsing, catalog matching,
//! aggregation. Lookups happen once per distinct address at report time, not per record.

pub mod geo;
pub mod ip_ranges;

pub use geo::{GeoDb, GeoError};
