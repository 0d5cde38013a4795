//! TOML error positions, for the messages of every file the crate loads (config, catalog,
//! policies, golden cases).

/// The 1-based line of a TOML error in `text` (0 when the error has no position).
pub fn toml_error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(0)
}
