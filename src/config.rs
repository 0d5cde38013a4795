//! The config file (TOML): scan settings and custom formats, so a nightly job needs one file
//! instead of twenty flags. Command-line flags override the file.
//!
//! ```toml
//! [scan]
//! out = "/var/lib/cloudcensus/out"
//! catalog = "/etc/cloudcensus/catalog"   # merged over the bundled catalog
//! geoip = "/usr/share/GeoIP/GeoLite2-Country.mmdb"   # or "none"
//! timezone = "Europe/Paris"               # for logs whose timestamps carry no zone
//!
//! [[formats]]                             # a custom CSV/TSV/JSON Lines mapping
//! name = "acme"
//! kind = "csv"
//! timestamp = "Time"
//! source_ip = "Client"
//! url = "URL"
//! ```

use crate::formats::custom::CustomSpec;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The 1-based line of a TOML error in `text` (0 when the error has no position).
pub fn toml_error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(0)
}

/// A config problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: cannot read config file: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown / mistyped key.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// `[scan]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Format id or `auto`.
    pub format: Option<String>,
    /// Extra catalog directory.
    pub catalog: Option<PathBuf>,
    /// GeoIP `.mmdb` path, or `none`.
    pub geoip: Option<String>,
    /// IANA zone for zone-less timestamps.
    pub timezone: Option<String>,
    /// Longest accepted line.
    pub max_line_bytes: Option<usize>,
    /// How many rejected lines to list in `rejected_lines.jsonl`.
    pub rejected_lines_cap: Option<usize>,
    /// Length of top-N lists in `dashboard.json`.
    pub top_n: Option<usize>,
    /// Worker threads (0 = one per core).
    pub threads: Option<usize>,
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Scan settings.
    #[serde(default)]
    pub scan: ScanSection,
    /// Custom formats.
    #[serde(default)]
    pub formats: Vec<CustomSpec>,
    /// Where it was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// Parse a config file. Relative paths inside it are taken relative to the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &mut Option<PathBuf>| {
            if let Some(x) = p {
                if x.is_relative() {
                    *x = base.join(&*x);
                }
            }
        };
        rel(&mut cfg.scan.out);
        rel(&mut cfg.scan.catalog);
        if let Some(g) = &cfg.scan.geoip {
            if g != "none" && Path::new(g).is_relative() {
                cfg.scan.geoip = Some(base.join(g).display().to_string());
            }
        }
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parse config text (`name` is used in messages).
    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = toml_error_line(text, &e);
            ConfigError::Syntax {
                path: name.to_string(),
                line,
                message: e.message().to_string(),
            }
        })?;
        for f in &cfg.formats {
            f.validate().map_err(|m| ConfigError::Invalid {
                path: name.to_string(),
                message: m,
            })?;
        }
        let mut names: Vec<&str> = cfg.formats.iter().map(|f| f.name.as_str()).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::Invalid {
                path: name.to_string(),
                message: format!("two custom formats are named {:?}", w[0]),
            });
        }
        if let Some(tz) = &cfg.scan.timezone {
            crate::formats::NaiveZone::named(tz).map_err(|m| ConfigError::Invalid {
                path: name.to_string(),
                message: m,
            })?;
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let e = Config::parse("[scan]\nout = \"x\"\noutput = \"y\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:3:"), "{e}");
        let e = Config::parse("[scan]\ntimezone = \"Nowhere/Land\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Nowhere/Land"), "{e}");
        let ok = Config::parse(
            "[scan]\ntop_n = 5\n[[formats]]\nname='a'\nkind='tsv'\ntimestamp='t'\nsource_ip='s'\ndest_host='h'\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(ok.formats.len(), 1);
    }
}
