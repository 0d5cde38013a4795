//! The cloud-app catalog: the app model and its loader, the domain and CIDR matchers.
//!
//! Owns: reading and validating `catalog/` data (bundled into the binary by `build.rs`, and a
//! user's `--catalog DIR` merged over it), and answering "which app is this host / IP?".
//! Owns the risk-score model too: factor definitions and values (`factors`), weights, scores and
//! explanations (`risk`).
//! Must not touch: log parsing, aggregation, output.

mod bundled;
pub mod factors;
pub mod inspect;
pub mod matcher;
pub mod model;
pub mod risk;

pub use matcher::{Attribution, Matcher};
pub use model::{App, Catalog, CatalogError};
