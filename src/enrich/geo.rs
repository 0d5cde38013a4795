//! Country lookups in a MaxMind DB file (`.mmdb`): GeoIP2/GeoLite2 Country or City databases
//! (key `country.iso_code`) and the ip-location-db layout (key `country_code`), such as the
//! bundled DB-IP country database (CC BY 4.0, "IP Geolocation by DB-IP").
//!
//! The country of an address is where the address is registered/announced ("IP country"), not
//! necessarily where a person is: anycast CDN addresses in particular have no meaningful country.

use maxminddb::{PathElement, Reader, WithinOptions};
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
        // The metadata alone says little: a damaged search tree or data section would give wrong
        // countries (or none) for some addresses, silently. Walk the whole tree once.
        check_tree(&reader).map_err(|e| {
            err(format!(
                "not a valid MaxMind DB (the search tree or data section is damaged: {e}); download the database again"
            ))
        })?;
        Ok(GeoDb {
            reader,
            path: path.display().to_string(),
        })
    }

    /// The bundled DB-IP country database (checked by a test, not at every start).
    pub fn bundled() -> GeoDb {
        let reader =
            Reader::from_source(Cow::Borrowed(BUNDLED)).expect("the bundled GeoIP database is a valid MaxMind DB");
        GeoDb {
            reader,
            path: "built-in: DB-IP country (data/dbip-country.mmdb)".into(),
        }
    }

    /// What identifies the database's content: type, build time, IP version and size (the
    /// basis of a partial scan, which must not depend on the file's path).
    pub fn identity(&self) -> String {
        let m = self.reader.metadata();
        format!(
            "{} built {} ipv{} {} nodes",
            m.database_type, m.build_epoch, m.ip_version, m.node_count
        )
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
        self.country_code(ip).map(|c| String::from_utf8_lossy(&c).into_owned())
    }

    /// [`GeoDb::country`] as two upper-case ASCII letters.
    pub fn country_code(&self, ip: IpAddr) -> Option<[u8; 2]> {
        self.lookup(ip).0
    }

    /// The country of `ip` and the prefix length of the database network that holds it (every
    /// address of that network has the same answer).
    fn lookup(&self, ip: IpAddr) -> (Option<[u8; 2]>, u8) {
        let Ok(res) = self.reader.lookup(ip) else {
            return (None, 128);
        };
        let prefix = res.network().map_or(128, |n| n.prefix());
        (self.decode(&res), prefix)
    }

    fn decode(&self, res: &maxminddb::LookupResult<'_, Cow<'static, [u8]>>) -> Option<[u8; 2]> {
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
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
            }
            _ => None,
        }
    }
}

/// A slot of the per-address table: ((address, family), answer).
type ExactSlot = ((u128, u8), Option<[u8; 2]>);

/// Slots of each [`CountryCache`] table (a power of two).
const CACHE_SLOTS: usize = 4096;

/// A small, fixed-size memo in front of [`GeoDb::country_code`], one per worker thread, so that
/// counting destination countries at record time costs a lookup per network, not per record.
///
/// Exact by construction: the database says which network holds an address, and every address
/// of a network has the same answer. When that network covers the address's whole IPv4 /16 (or
/// IPv6 /32), the answer is kept for that wide block; else when it covers its /24 (IPv6 /48),
/// for that block; else for the address alone. IPv4 /16s have one slot each (65,536 of them,
/// 256 KiB: a log's many distinct /16s, as fresh CDN addresses give, never evict each other);
/// the other tables (IPv6 /32s, /24 and /48 blocks, single addresses) are direct-mapped (a new
/// entry replaces whatever shared its slot). So memory is fixed (576 KiB) however many distinct
/// addresses a log has.
pub struct CountryCache {
    /// Per IPv4 /16: 0 = not known yet, else [`V4_KNOWN`] with [`V4_COUNTRY`] and the code.
    v4_wide: Box<[u32]>,
    wide: Box<[(u64, Option<[u8; 2]>)]>,
    blocks: Box<[(u64, Option<[u8; 2]>)]>,
    /// (address, family: 4 or 6, 0 for an empty slot), answer.
    exact: Box<[ExactSlot]>,
    /// Lookups answered from the tables, and lookups that went to the database (read by the
    /// tests, which check that the tables are used at all).
    hits: u64,
    misses: u64,
}

/// A [`CountryCache::v4_wide`] slot that holds an answer.
const V4_KNOWN: u32 = 1 << 31;
/// A [`CountryCache::v4_wide`] answer that is a country (its code in the low 16 bits).
const V4_COUNTRY: u32 = 1 << 30;

impl Default for CountryCache {
    fn default() -> Self {
        CountryCache {
            v4_wide: vec![0; 1 << 16].into_boxed_slice(),
            // Key 0 with the "valid" bit clear never matches a real key (see `block_key`).
            wide: vec![(0, None); CACHE_SLOTS].into_boxed_slice(),
            blocks: vec![(0, None); CACHE_SLOTS].into_boxed_slice(),
            exact: vec![((0, 0), None); CACHE_SLOTS].into_boxed_slice(),
            hits: 0,
            misses: 0,
        }
    }
}

/// The block an address falls in, tagged with a valid bit and its family: the first `v4_bits`
/// bits of an IPv4 address, the first `v6_bits` of an IPv6 one (at most 60).
#[inline]
fn block_key(ip: IpAddr, v4_bits: u32, v6_bits: u32) -> u64 {
    match ip {
        IpAddr::V4(v4) => (1 << 63) | u64::from(u32::from(v4) >> (32 - v4_bits)),
        IpAddr::V6(v6) => (1 << 63) | (1 << 62) | (u128::from(v6) >> (128 - v6_bits)) as u64,
    }
}

#[inline]
fn exact_key(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 4),
        IpAddr::V6(v6) => (u128::from(v6), 6),
    }
}

#[inline]
fn slot(h: u64) -> usize {
    // Fibonacci hashing: the high bits of a multiply spread consecutive blocks.
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CACHE_SLOTS.trailing_zeros())) as usize
}

impl CountryCache {
    /// The country of `ip` in `db`: the same answer as [`GeoDb::country_code`].
    #[inline]
    pub fn country(&mut self, db: &GeoDb, ip: IpAddr) -> Option<[u8; 2]> {
        let v4_slot = match ip {
            IpAddr::V4(v4) => {
                let s = (u32::from(v4) >> 16) as usize;
                let v = self.v4_wide[s];
                if v & V4_KNOWN != 0 {
                    self.hits += 1;
                    return (v & V4_COUNTRY != 0).then(|| (v as u16).to_be_bytes());
                }
                Some(s)
            }
            IpAddr::V6(_) => None,
        };
        let wk = block_key(ip, 16, 32);
        let ws = slot(wk);
        if v4_slot.is_none() && self.wide[ws].0 == wk {
            self.hits += 1;
            return self.wide[ws].1;
        }
        let bk = block_key(ip, 24, 48);
        let bs = slot(bk);
        if self.blocks[bs].0 == bk {
            self.hits += 1;
            return self.blocks[bs].1;
        }
        let ek = exact_key(ip);
        let es = slot((ek.0 as u64) ^ ((ek.0 >> 64) as u64).rotate_left(17) ^ u64::from(ek.1));
        if self.exact[es].0 == ek {
            self.hits += 1;
            return self.exact[es].1;
        }
        self.misses += 1;
        let (code, prefix) = db.lookup(ip);
        let (wide_bits, block_bits) = if ip.is_ipv4() { (16, 24) } else { (32, 48) };
        if prefix <= wide_bits {
            match v4_slot {
                Some(s) => {
                    self.v4_wide[s] = V4_KNOWN | code.map_or(0, |c| V4_COUNTRY | u32::from(u16::from_be_bytes(c)))
                }
                None => self.wide[ws] = (wk, code),
            }
        } else if prefix <= block_bits {
            self.blocks[bs] = (bk, code);
        } else {
            self.exact[es] = (ek, code);
        }
        code
    }
}

/// Every network of the search tree reachable, without a cycle, and each distinct data record
/// decodable. Like `Reader::verify`'s tree and data checks, without its metadata rules (which
/// refuse real databases, e.g. an empty `description` map in DB-IP's conversion).
fn check_tree<S: AsRef<[u8]>>(reader: &Reader<S>) -> Result<(), maxminddb::MaxMindDbError> {
    let max = (reader.metadata().node_count as usize).saturating_mul(3);
    let mut seen = std::collections::HashSet::new();
    let opts = WithinOptions::default().include_networks_without_data();
    for (n, r) in reader.networks(opts)?.enumerate() {
        let l = r?;
        if n > max {
            return Err(maxminddb::MaxMindDbError::invalid_database(
                "the search tree has a cycle (more networks than its nodes allow)",
            ));
        }
        if let Some(off) = l.offset() {
            if seen.insert(off) {
                l.decode::<serde::de::IgnoredAny>()?;
            }
        }
    }
    Ok(())
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

    /// Every answer of the cache equals the database's own, for addresses spread over the whole
    /// space and for neighbours inside one /24 that the database splits into smaller networks.
    fn cache_agrees(db: &GeoDb, ips: &[IpAddr]) -> CountryCache {
        let mut cache = CountryCache::default();
        for _round in 0..2 {
            for &ip in ips {
                assert_eq!(cache.country(db, ip), db.country_code(ip), "{ip}");
            }
        }
        cache
    }

    fn spread(n: usize) -> Vec<IpAddr> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(if i % 10 == 9 {
                // IPv6 in the allocated 2000::/3.
                IpAddr::V6(std::net::Ipv6Addr::from(
                    (0x2000u128 << 112) | (u128::from(x) << 40) | u128::from(x >> 50),
                ))
            } else {
                IpAddr::V4(std::net::Ipv4Addr::from(x as u32))
            });
        }
        out
    }

    #[test]
    fn country_cache_is_exact_on_the_bundled_database() {
        let db = GeoDb::bundled();
        let mut ips = spread(50_000);
        // All 256 addresses of some /24s, twice.
        for base in [0x0808_0800u32, 0x5102_4500, 0xC633_6400, 0x0A00_0000] {
            ips.extend((0..256).map(|i| IpAddr::V4(std::net::Ipv4Addr::from(base + i))));
        }
        let cache = cache_agrees(&db, &ips);
        assert!(cache.hits > 0 && cache.misses > 0);
    }

    #[test]
    fn every_wide_ipv4_block_keeps_its_own_answer() {
        // One address in each of the 65,536 IPv4 /16s: on a second pass every /16 that one
        // network covers is answered from the memo (none evicted another), the rest are
        // answered exactly too.
        let db = GeoDb::bundled();
        let ips: Vec<IpAddr> = (0..=0xFFFFu32)
            .map(|b| IpAddr::V4(std::net::Ipv4Addr::from((b << 16) | 0x0101)))
            .collect();
        let is_wide: Vec<bool> = ips.iter().map(|ip| db.lookup(*ip).1 <= 16).collect();
        let wide = is_wide.iter().filter(|w| **w).count();
        assert!(wide > 4 * CACHE_SLOTS, "the probe needs many wide blocks: {wide}");
        let mut cache = CountryCache::default();
        for &ip in &ips {
            cache.country(&db, ip);
        }
        for (&ip, &w) in ips.iter().zip(&is_wide) {
            let misses = cache.misses;
            assert_eq!(cache.country(&db, ip), db.country_code(ip), "{ip}");
            if w {
                assert_eq!(cache.misses, misses, "{ip}: its /16 was evicted");
            }
        }
        // What the docs say the memo takes.
        let bytes = std::mem::size_of_val(&*cache.v4_wide)
            + std::mem::size_of_val(&*cache.wide)
            + std::mem::size_of_val(&*cache.blocks)
            + std::mem::size_of_val(&*cache.exact);
        assert_eq!(bytes, 576 << 10);
    }

    #[test]
    fn country_cache_is_exact_where_networks_are_smaller_than_a_block() {
        // MaxMind's test database has networks of /27 to /31 next to each other in 81.2.69.0/24
        // and 2001:218::/32 style IPv6 ones: the cache must answer per address there.
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/GeoIP2-Country-Test.mmdb");
        let db = GeoDb::open(&p).unwrap();
        let mut ips: Vec<IpAddr> = (0..=255u32)
            .map(|i| IpAddr::V4(std::net::Ipv4Addr::from(0x5102_4500 + i)))
            .collect();
        ips.extend((0..512u128).map(|i| IpAddr::V6(std::net::Ipv6Addr::from((0x2001_0218u128 << 96) | (i << 60)))));
        // IPv4-mapped IPv6 addresses (dual-stack proxies log them) next to the same IPv4 ones,
        // and IPv6 neighbours across /48s and inside one.
        ips.extend((0..=255u32).map(|i| IpAddr::V6(std::net::Ipv4Addr::from(0x5102_4500 + i).to_ipv6_mapped())));
        ips.extend((0..256u128).map(|i| IpAddr::V6(std::net::Ipv6Addr::from((0x2001_0218u128 << 96) | (i << 72)))));
        ips.extend((0..256u128).map(|i| IpAddr::V6(std::net::Ipv6Addr::from((0x2a02_d300u128 << 96) | (i << 88)))));
        ips.extend(spread(5_000));
        let answers: std::collections::BTreeSet<_> = ips.iter().map(|ip| db.country_code(*ip)).collect();
        assert!(answers.len() >= 3, "the probe must see several answers: {answers:?}");
        cache_agrees(&db, &ips);
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
