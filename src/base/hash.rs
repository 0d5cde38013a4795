//! Stable hashing for ids that must not change between runs or machines (alert ids, dedup
//! keys): FNV-1a, not the standard library's randomly seeded hasher.

/// 64-bit FNV-1a: a stable hash (the same on every platform and release) for alert ids.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(std::iter::once(&0u8)) {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
