//! `seeded-rng` (layer 0): the workspace's one seeded pseudo-random generator.
//!
//! It makes reproducible data: the same seed gives the same numbers in every run and every
//! build, so a failing test, a bench input or the `mlp demo` market can be regenerated
//! exactly, and the Gaussian sketch of `fast-math`'s randomized SVD is a pure function of
//! its seed. The integer and uniform draws are exact or IEEE-rounded arithmetic, identical on
//! every platform; [`Rng::normal`] also calls `ln`, `sin` and `cos`, whose last bit may
//! differ between math libraries. Before this crate the workspace wrote out xoshiro,
//! SplitMix64 and xorshift generators by hand in a dozen places; this is the one to use
//! instead.
//!
//! [`Rng`] is xoshiro256++ (Blackman and Vigna, "Scrambled linear pseudorandom number
//! generators", 2021) with its 256-bit state filled by four outputs of SplitMix64 started at
//! the seed, as the authors recommend: any `u64` seed, including 0, gives a well-mixed
//! non-zero state. It is fast, small (32 bytes) and passes BigCrush and PractRand, which is
//! all test data and random sketches need.
//!
//! **Not cryptographic.** The state can be recovered from a few outputs; never use it for
//! keys, tokens, nonces or anything an adversary may try to predict.
//!
//! The crate has no dependencies, so every layer (and the benches) can use it.
//!
//! ```
//! use seeded_rng::{uniform_vec, Rng};
//!
//! let mut rng = Rng::new(42);
//! let x = rng.range(-1.0, 1.0);
//! assert!((-1.0..1.0).contains(&x));
//! let i = rng.below(10);
//! assert!(i < 10);
//! let z = rng.normal(); // standard normal
//! assert!(z.is_finite());
//!
//! // The same seed gives the same values.
//! assert_eq!(uniform_vec(5, 7, 0.0, 1.0), uniform_vec(5, 7, 0.0, 1.0));
//! ```

/// SplitMix64's increment (the golden ratio as a 64-bit fraction).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// 2^-53: turns the top 53 bits of an output into a multiple of the unit's spacing in [0, 1).
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// One step of SplitMix64 (Steele, Lea and Flood 2014; Vigna's `splitmix64.c`): advances
/// `state` by the golden gamma and returns the mixed value. Used only to seed [`Rng`].
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded xoshiro256++ generator with uniform, integer and standard normal draws.
///
/// Not `Copy` on purpose: a silent copy would replay the same stream twice. `clone()` it
/// when a replay is what you want.
///
/// Not cryptographic (see the crate docs).
#[derive(Clone, Debug)]
pub struct Rng {
    /// The xoshiro256++ state; never all zero (SplitMix64 outputs are a bijection of
    /// distinct counters, so four of them cannot all be 0).
    s: [u64; 4],
    /// The second value of the last Box-Muller pair, returned by the next [`Rng::normal`].
    spare: Option<f64>,
}

impl Rng {
    /// A generator whose state is the first four SplitMix64 outputs from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        Rng {
            s: [
                splitmix64(&mut x),
                splitmix64(&mut x),
                splitmix64(&mut x),
                splitmix64(&mut x),
            ],
            spare: None,
        }
    }

    /// The next 64 uniformly distributed bits (one xoshiro256++ step).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1): a multiple of 2^-53 from the top 53 bits (the low bits of the
    /// `+` scramblers are the weakest, so they are the ones dropped).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * UNIT
    }

    /// Uniform in (0, 1]: as [`Rng::uniform`] shifted up by 2^-53, so never 0 and its
    /// logarithm is always finite.
    #[inline]
    pub fn uniform_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * UNIT
    }

    /// Uniform in [lo, hi).
    ///
    /// `lo + (hi - lo) * u` can round up to `hi` itself; such a value is replaced by the
    /// largest float below `hi`, so the upper bound is always excluded.
    ///
    /// # Panics
    /// Unless `lo < hi` and `hi - lo` is finite.
    #[inline]
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        check_range(lo, hi);
        self.range_unchecked(lo, hi)
    }

    #[inline(always)]
    fn range_unchecked(&mut self, lo: f64, hi: f64) -> f64 {
        let x = lo + (hi - lo) * self.uniform();
        if x < hi {
            x
        } else {
            hi.next_down()
        }
    }

    /// An index in `0..n`, by the widening multiply `(next_u64() * n) >> 64` (Lemire 2019,
    /// without the rejection step).
    ///
    /// Bias: the 2^64 outputs fall into `n` buckets of `floor(2^64 / n)` or one more, so no
    /// index is more likely than another by more than a relative `n / 2^64` (below 1e-9 for
    /// any `n` under 2^34): invisible to tests and sampling, which is all this is for.
    ///
    /// # Panics
    /// If `n == 0`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0): the range 0..0 is empty");
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A standard normal value (mean 0, variance 1) by the Box-Muller transform.
    ///
    /// Each pair of uniforms `u1, u2` in (0, 1] gives `r cos(theta)` (returned now) and
    /// `r sin(theta)` (kept, returned by the next call), with `r = sqrt(-2 ln u1)` and
    /// `theta = 2 pi u2`; `u1 > 0` keeps `r` finite (at most about 8.6).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * self.uniform_open().ln()).sqrt();
        let theta = std::f64::consts::TAU * self.uniform_open();
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }

    /// Fills `out` with values uniform in [lo, hi), as [`Rng::range`] would return them.
    ///
    /// # Panics
    /// Unless `lo < hi` and `hi - lo` is finite.
    pub fn fill_uniform(&mut self, out: &mut [f64], lo: f64, hi: f64) {
        check_range(lo, hi);
        for v in out {
            *v = self.range_unchecked(lo, hi);
        }
    }
}

/// `n` values uniform in [lo, hi) from a generator seeded with `seed`.
///
/// # Panics
/// Unless `lo < hi` and `hi - lo` is finite.
pub fn uniform_vec(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut v = vec![0.0; n];
    Rng::new(seed).fill_uniform(&mut v, lo, hi);
    v
}

#[inline]
fn check_range(lo: f64, hi: f64) {
    assert!(
        lo < hi && (hi - lo).is_finite(),
        "uniform range [{lo}, {hi}) is empty or too wide"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from an independent implementation: a few lines of Python 3 transcribing
    // Vigna's splitmix64.c and xoshiro256plusplus.c with arbitrary-precision integers masked
    // to 64 bits, printing the first outputs.

    #[test]
    fn splitmix64_known_answers() {
        let mut s = 0;
        let got: Vec<u64> = (0..5).map(|_| splitmix64(&mut s)).collect();
        assert_eq!(
            got,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec,
                0x1b39_896a_51a8_749b,
            ]
        );
        let mut s = 42;
        let got: Vec<u64> = (0..5).map(|_| splitmix64(&mut s)).collect();
        assert_eq!(
            got,
            [
                0xbdd7_3226_2feb_6e95,
                0x28ef_e333_b266_f103,
                0x4752_6757_130f_9f52,
                0x581c_e1ff_0e4a_e394,
                0x09bc_585a_2448_23f2,
            ]
        );
    }

    /// The state [1, 2, 3, 4] bypasses the seeding; these are also the test vectors of the
    /// `rand_xoshiro` crate.
    #[test]
    fn xoshiro256plusplus_known_answers() {
        let mut rng = Rng {
            s: [1, 2, 3, 4],
            spare: None,
        };
        let got: Vec<u64> = (0..6).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                41943041,
                58720359,
                3588806011781223,
                3591011842654386,
                9228616714210784205,
                9973669472204895162,
            ]
        );
    }
}
