//! `exp(-|z|)` and `ln(1 + e)` over a block of margins, in plain arithmetic the compiler
//! vectorizes: the two library calls per row that the logistic loss needs (`exp`, `ln_1p`)
//! cost as much as the rest of a block's pass together, and a library call cannot be
//! vectorized.
//!
//! Both are polynomials after an exact range reduction, without fused multiply-adds or
//! tables, so every build (baseline, AVX2, AVX-512) returns the same bits. Accuracy, checked
//! against the C library over the whole input range by the tests: `exp` within 2 ulp,
//! `ln_1p` within 4 ulp, far inside what a loss summed over many rows or a Newton step can
//! see.

use simd_kernels::Isa;

/// `e[i] = exp(-|z[i]|)` and `l[i] = ln(1 + e[i])`, on the build for `isa` when this CPU runs
/// it (the results are the same bits on every build).
pub(super) fn exp_log1p(isa: Isa, z: &[f64], e: &mut [f64], l: &mut [f64]) {
    match isa {
        Isa::Avx512 if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX-512F.
            unsafe { block_avx512(z, e, l) }
        }
        Isa::Avx2Fma if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX2 and FMA.
            unsafe { block_avx2(z, e, l) }
        }
        _ => block(z, e, l),
    }
}

#[target_feature(enable = "avx512f")]
fn block_avx512(z: &[f64], e: &mut [f64], l: &mut [f64]) {
    block(z, e, l)
}

#[target_feature(enable = "avx2,fma")]
fn block_avx2(z: &[f64], e: &mut [f64], l: &mut [f64]) {
    block(z, e, l)
}

#[inline(always)]
fn block(z: &[f64], e: &mut [f64], l: &mut [f64]) {
    let n = z.len().min(e.len()).min(l.len());
    let (z, e, l) = (&z[..n], &mut e[..n], &mut l[..n]);
    for i in 0..n {
        let v = exp_nonpositive(-z[i].abs());
        e[i] = v;
        l[i] = ln_1p_unit(v);
    }
}

/// `2^52 + 2^51`: adding it rounds a value below `2^51` in magnitude to an integer, which
/// then sits in the low bits of the sum's significand.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `exp(x)` for `x <= 0` (NaN gives NaN). Below -708 the result is clamped to `exp(-708)`
/// (about `3.3e-308`, the smallest normal range): the logistic terms it feeds are then far
/// below one ulp of anything they are added to.
#[inline(always)]
pub(super) fn exp_nonpositive(x: f64) -> f64 {
    // ln 2 split so that n * LN2_HI is exact for |n| < 2^20 (its low 32 bits are zero).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const INV_LN2: f64 = std::f64::consts::LOG2_E;
    // 1/k!, k = 13 down to 2.
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let x = if x < -708.0 { -708.0 } else { x };
    let t = x * INV_LN2 + ROUNDER;
    let n = t - ROUNDER;
    // x - n ln2, |r| <= ln2 / 2 (plus a rounding): n * LN2_HI is exact and x - n * LN2_HI
    // loses nothing (the two are within a factor two of each other, or n = 0).
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = horner(&C, r);
    // 1 + r + r^2 p, the small terms first.
    let p = 1.0 + (r + r * r * p);
    // 2^n from the low bits of t: (2^51 + n + 1023) << 52 keeps n + 1023 in the exponent
    // field (n >= -1022 here, so the exponent is normal).
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// `ln(1 + e)` for `0 <= e <= 1` (NaN gives NaN).
#[inline(always)]
pub(super) fn ln_1p_unit(e: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    const SQRT2: f64 = std::f64::consts::SQRT_2;
    // 1/(2j + 1), j = 11 down to 1, then 1.
    const C: [f64; 12] = [
        1.0 / 23.0,
        1.0 / 21.0,
        1.0 / 19.0,
        1.0 / 17.0,
        1.0 / 15.0,
        1.0 / 13.0,
        1.0 / 11.0,
        1.0 / 9.0,
        1.0 / 7.0,
        1.0 / 5.0,
        1.0 / 3.0,
        1.0,
    ];
    let u = 1.0 + e;
    // What rounding 1 + e lost, relative to u: ln(1 + e) = ln(u) + c to first order.
    let c = (e - (u - 1.0)) / u;
    // u = m 2^k with m in [sqrt(2)/2, sqrt(2)], k in {0, 1}; halving is exact.
    let big = u > SQRT2;
    let m = if big { 0.5 * u } else { u };
    let k = if big { LN2 } else { 0.0 };
    // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172; m - 1 is exact.
    let s = (m - 1.0) / (m + 1.0);
    let w = s * s;
    let p = horner(&C, w);
    k + (2.0 * s * p + c)
}

/// `c[0] x^(n-1) + c[1] x^(n-2) + ... + c[n-1]` by Horner's rule, a multiply then an add
/// (never fused, so every build rounds alike).
#[inline(always)]
fn horner(c: &[f64], x: f64) -> f64 {
    c[1..].iter().fold(c[0], |p, &ci| p * x + ci)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(got: f64, want: f64) -> f64 {
        if got == want {
            return 0.0;
        }
        let ulp = (want.abs() * f64::EPSILON).max(f64::MIN_POSITIVE);
        (got - want).abs() / ulp
    }

    /// Inputs across the whole range, dense near zero, with the edges.
    fn samples() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            -1e-300,
            -1e-17,
            -0.5,
            -0.34657359,
            -std::f64::consts::LN_2,
        ];
        let mut x = -1e-12;
        while x > -708.0 {
            v.push(x);
            x *= 1.0137;
        }
        for i in 0..20_000 {
            v.push(-(i as f64) * 0.0355);
        }
        v
    }

    #[test]
    fn exp_is_within_two_ulp_of_the_library() {
        for x in samples() {
            let (got, want) = (exp_nonpositive(x), x.exp());
            assert!(
                ulps(got, want) <= 2.0,
                "exp({x:e}) = {got:e}, library {want:e}"
            );
        }
        assert_eq!(exp_nonpositive(-800.0), exp_nonpositive(-708.0));
        assert!(exp_nonpositive(f64::NAN).is_nan());
    }

    #[test]
    fn ln_1p_is_within_four_ulp_of_the_library() {
        for x in samples() {
            let e = x.exp();
            let (got, want) = (ln_1p_unit(e), e.ln_1p());
            assert!(
                ulps(got, want) <= 4.0,
                "ln_1p({e:e}) = {got:e}, library {want:e}"
            );
        }
        for e in [
            0.0,
            1.0,
            f64::MIN_POSITIVE,
            1e-20,
            0.41421356237309503,
            0.4142135623730951,
        ] {
            assert!(ulps(ln_1p_unit(e), e.ln_1p()) <= 4.0, "{e:e}");
        }
    }

    #[test]
    fn every_build_gives_the_same_bits() {
        let z: Vec<f64> = samples()
            .iter()
            .map(|x| x * if x.to_bits() % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let n = z.len();
        let (mut e0, mut l0) = (vec![0.0; n], vec![0.0; n]);
        exp_log1p(Isa::Scalar, &z, &mut e0, &mut l0);
        for isa in Isa::available() {
            let (mut e, mut l) = (vec![0.0; n], vec![0.0; n]);
            exp_log1p(isa, &z, &mut e, &mut l);
            assert!(
                e.iter().zip(&e0).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa}"
            );
            assert!(
                l.iter().zip(&l0).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa}"
            );
        }
    }
}
