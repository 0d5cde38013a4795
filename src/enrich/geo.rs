//! Country lookups in a MaxMind DB file (`.mmdb`): GeoIP2/GeoLite2 Country or City databases
//! (key `country.iso_code`) and the ip-location-db layout (key `country_code`), such as the
//! bundled DB-IP country database (CC BY 4.0, "IP Geolocation by DB-IP").
//!
//! The country of an address is where the address is registered/announced ("IP country"), not
//! necessarily where a person is: anycast CDN addresses in particular have no meaningful country.

use maxminddb::{PathElement, Reader};
use std::borrow::Cow;
use std::net::IpAddr;
use std::path::Path;

/// The DB-IP country database shipped in the repository (`data/dbip-country.mmdb`), embedded so
/// the default works wherever the binary is copied.
static BUNDLED: &[u8] = include_bytes!("../../data/dbip-country.mmdb");

/// A GeoIP problem.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be opened or is not a MaxMind DB.
    #[error("{path}: cannot open GeoIP database: {message} (pass a GeoIP2/GeoLite2 or ip-location-db .mmdb with --geoip, or --geoip none to scan without one)")]
    Open {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// An open GeoIP database.
pub struct GeoDb {
    reader: Reader<Cow<'static, [u8]>>,
    path: String,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb").field("path", &self.path).finish()
    }
}

/// Metadata worth recording in `run.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GeoInfo {
    /// File path.
    pub path: String,
    /// `database_type` from the file's metadata.
    pub database_type: String,
    /// Build date (UTC, from `build_epoch`).
    pub build_date: String,
}

impl GeoDb {
    /// Open a `.mmdb` file.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        let err = |message: String| GeoError::Open {
            path: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let reader = Reader::from_source(Cow::Owned(bytes)).map_err(|e| err(e.to_string()))?;
        Ok(GeoDb {
            reader,
            path: path.display().to_string(),
        })
    }

    /// The bundled DB-IP country database.
    pub fn bundled() -> GeoDb {
        let reader =
            Reader::from_source(Cow::Borrowed(BUNDLED)).expect("the bundled GeoIP database is a valid MaxMind DB");
        GeoDb {
            reader,
            path: "built-in: DB-IP country (data/dbip-country.mmdb)".into(),
        }
    }

    /// File metadata.
    pub fn info(&self) -> GeoInfo {
        let m = self.reader.metadata();
        let days = (m.build_epoch / 86_400) as i64;
        let (y, mo, d) = crate::base::time::civil_from_days(days);
        GeoInfo {
            path: self.path.clone(),
            database_type: m.database_type.clone(),
            build_date: format!("{y:04}-{mo:02}-{d:02}"),
        }
    }

    /// ISO 3166-1 alpha-2 country code of `ip`, or `None` when the database has no country for
    /// it (private ranges, unknown, or a database of another kind).
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let res = self.reader.lookup(ip).ok()?;
        if !res.has_data() {
            return None;
        }
        let iso: Option<String> = res
            .decode_path(&[PathElement::Key("country"), PathElement::Key("iso_code")])
            .ok()
            .flatten();
        let code = iso
            .or_else(|| res.decode_path(&[PathElement::Key("country_code")]).ok().flatten())
            .or_else(|| {
                res.decode_path(&[PathElement::Key("registered_country"), PathElement::Key("iso_code")])
                    .ok()
                    .flatten()
            })?;
        if code.len() == 2 && code.bytes().all(|c| c.is_ascii_alphabetic()) {
            Some(code.to_ascii_uppercase())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_database_answers() {
        let db = GeoDb::bundled();
        // Well-known, long-stable allocations.
        assert_eq!(db.country("8.8.8.8".parse().unwrap()).as_deref(), Some("US"));
        assert_eq!(db.country("10.1.2.3".parse().unwrap()), None);
        assert!(db.country("2001:4860:4860::8888".parse().unwrap()).is_some());
        let info = db.info();
        assert!(!info.database_type.is_empty());
    }

    #[test]
    fn geoip2_layout_from_a_users_file() {
        // MaxMind's public test database, real GeoIP2 Country layout (`country.iso_code`).
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/GeoIP2-Country-Test.mmdb");
        let db = GeoDb::open(&p).unwrap();
        assert_eq!(db.country("81.2.69.142".parse().unwrap()).as_deref(), Some("GB"));
        assert_eq!(db.country("2001:218::1".parse().unwrap()).as_deref(), Some("JP"));
        assert_eq!(db.country("10.0.0.1".parse().unwrap()), None);
        assert!(db.info().database_type.contains("Country"));
    }

    #[test]
    fn open_errors_name_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("junk.mmdb");
        std::fs::write(&p, b"not a database").unwrap();
        let e = GeoDb::open(&p).unwrap_err().to_string();
        assert!(e.contains("junk.mmdb"), "{e}");
    }
}
