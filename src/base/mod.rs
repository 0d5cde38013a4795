//! The vocabulary every stage speaks: the normalized traffic [`Record`] and user
//! [`Activity`], time (civil days, UTC days, now, timestamp parsing), stable hashing, case-insensitive
//! text, string interning, URL hosts, TOML error positions, exclusive file locks, and text made inert for
//! terminals, spreadsheets and SIEMs.
//!
//! Owns: these types and helpers. Must not touch: anything else in the crate — `base` imports
//! nothing from it, so that every floor above can use it without a loop.

pub mod activity;
pub mod case;
pub mod hash;
pub mod intern;
pub mod lock;
pub mod record;
pub mod text;
pub mod time;
pub mod toml_line;
pub mod units;
pub mod url;

pub use activity::{Activity, ActivityType, IpCategory, Outcome};
pub use record::{Action, Record};
pub use time::NaiveZone;
