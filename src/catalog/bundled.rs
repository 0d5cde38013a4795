//! The catalog files bundled into the binary by `build.rs` (`catalog/apps`, ranges, factors).

mod generated {
    include!(concat!(env!("OUT_DIR"), "/bundled_catalog.rs"));
}

pub(crate) use generated::BUNDLED;

/// A bundled catalog file by its path under `catalog/`.
pub(crate) fn file(rel: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(p, _)| *p == rel).map(|(_, t)| *t)
}
