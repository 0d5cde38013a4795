//! Countries for the location detections: a representative point and the land borders of
//! every ISO 3166-1 country (`data/country_geo.tsv`, made by `tools/make_country_geo.py` from
//! Natural Earth 1:50m via world-atlas 2.0.2; public domain and ISC).
//!
//! Owns: the table and great-circle distances. Must not touch: activities.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../../data/country_geo.tsv");

/// One country.
#[derive(Debug, Clone)]
pub struct Country {
    /// Short name.
    pub name: String,
    /// Latitude of its representative point (degrees).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Countries it shares a land border with.
    pub borders: Vec<String>,
}

fn table() -> &'static HashMap<String, Country> {
    static T: OnceLock<HashMap<String, Country>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("code\t"))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let code = f.next()?.to_string();
                let name = f.next()?.to_string();
                let lat = f.next()?.parse().ok()?;
                let lon = f.next()?.parse().ok()?;
                let borders = f
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                Some((
                    code,
                    Country {
                        name,
                        lat,
                        lon,
                        borders,
                    },
                ))
            })
            .collect()
    })
}

/// A country by its alpha-2 code (any case).
pub fn country(code: &str) -> Option<&'static Country> {
    let t = table();
    if code.bytes().any(|b| b.is_ascii_lowercase()) {
        t.get(&code.to_ascii_uppercase())
    } else {
        t.get(code)
    }
}

/// Whether two countries share a land border.
pub fn bordering(a: &str, b: &str) -> bool {
    country(a).is_some_and(|c| c.borders.iter().any(|x| x.eq_ignore_ascii_case(b)))
}

/// The name of a country for a description: "France (FR)", or the code alone.
pub fn label(code: &str) -> String {
    match country(code) {
        Some(c) => format!("{} ({})", c.name, code.to_ascii_uppercase()),
        None => code.to_ascii_uppercase(),
    }
}

/// Great-circle distance in km between the representative points of two countries.
pub fn distance_km(a: &str, b: &str) -> Option<f64> {
    let (a, b) = (country(a)?, country(b)?);
    let r = 6371.0;
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * r * h.sqrt().asin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borders_and_distances() {
        assert!(table().len() > 240);
        assert!(bordering("FR", "es") && bordering("ES", "FR"));
        assert!(!bordering("FR", "GB"));
        assert!(bordering("US", "CA") && !bordering("AU", "NZ"));
        // Paris–Madrid area ~1,000 km; Fiji across the antimeridian from Samoa ~1,100 km.
        let d = distance_km("FR", "ES").unwrap();
        assert!((700.0..1200.0).contains(&d), "{d}");
        let d = distance_km("US", "AU").unwrap();
        assert!((13_000.0..16_500.0).contains(&d), "{d}");
        assert!(distance_km("FJ", "WS").unwrap() < 1500.0);
        assert_eq!(label("fr"), "France (FR)");
        assert!(distance_km("FR", "ZZ").is_none());
    }
}
