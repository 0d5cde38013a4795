//! Deterministic randomness: a SplitMix64 generator, a stable string hash, and a Zipf-like
//! sampler (popular hosts get most of the traffic, as in real logs).

/// SplitMix64: tiny, fast, good enough statistically for synthetic data.
pub(crate) struct Rng {
    pub(crate) s: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        let mut r = Rng {
            s: seed ^ 0x243F_6A88_85A3_08D3,
        };
        r.next();
        r
    }
    #[inline(always)]
    pub(crate) fn next(&mut self) -> u64 {
        self.s = self.s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    #[inline(always)]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    #[inline(always)]
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    #[inline(always)]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// True with probability per_mille / 1000.
    #[inline(always)]
    pub(crate) fn pm(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    #[inline(always)]
    pub(crate) fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    /// Log-normal-ish: median * exp(sigma * N(0,1)), N approximated by Irwin-Hall(4).
    #[inline(always)]
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> u64 {
        let n = (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732_050_8;
        let v = median * (sigma * n).exp();
        if v < 1.0 {
            1
        } else if v > 4.0e9 {
            4_000_000_000
        } else {
            v as u64
        }
    }
}

pub(crate) fn hash_str(s: &str) -> u64 {
    // FNV-1a then a splitmix finaliser.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut r = Rng { s: h };
    r.next()
}

/// Zipf(s) over ranks 0..n: cumulative table plus a 4096-bucket index so a
/// draw costs one table lookup and a short scan instead of a binary search.
pub(crate) struct Zipf {
    pub(crate) cdf: Vec<f64>,
    pub(crate) index: Vec<u32>,
}

pub(crate) const ZIPF_BUCKETS: usize = 4096;

impl Zipf {
    pub(crate) fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for k in 0..n {
            acc += 1.0 / ((k + 1) as f64).powf(s);
            cdf.push(acc);
        }
        for c in cdf.iter_mut() {
            *c /= acc;
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        let mut index = Vec::with_capacity(ZIPF_BUCKETS);
        for k in 0..ZIPF_BUCKETS {
            let lo = k as f64 / ZIPF_BUCKETS as f64;
            index.push(cdf.partition_point(|&c| c < lo) as u32);
        }
        Zipf { cdf, index }
    }
    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        let mut i = self.index[((u * ZIPF_BUCKETS as f64) as usize).min(ZIPF_BUCKETS - 1)] as usize;
        let last = self.cdf.len() - 1;
        while i < last && self.cdf[i] < u {
            i += 1;
        }
        i
    }
}
